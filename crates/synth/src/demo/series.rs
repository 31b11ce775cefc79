//! Hourly CloudWatch series of instances and volumes.
//!
//! Each resource draws from its own seeded stream (forked from the seed and
//! its id), so a series does not depend on which other resources exist or in
//! which order they are generated. The metrics table writes these series and
//! the oracle reads the very same ones to quote exact percentiles.
//!
//! - CPU `Average` follows the instance's diurnal profile with ±12% noise;
//!   the hourly `Maximum` is 1.15–1.6× the average (1.4–2.6× for nearly idle
//!   instances), always below the instance's CPU peak, except at 02:00 local
//!   time every day, when a nightly job drives it to exactly the peak
//!   ([`super::plan::Peaks`]).
//! - `CWAgent mem_used_percent` (`Maximum`), for instances with the agent:
//!   the typical level, a little higher in the afternoon, and exactly the
//!   memory peak at 02:00 local time.
//! - `NetworkOut` ≈ `(base + egress + CPU × bytes per CPU percent) × load`,
//!   `NetworkIn` 40% of it.
//! - Volumes: `VolumeWriteOps` ≈ the volume's write rate × load, reads 60% of
//!   it. An instance's `EBSReadOps`/`EBSWriteOps` are the sums over the
//!   volumes attached to it; `EBSReadBytes`/`EBSWriteBytes` assume 16 KiB
//!   reads and 32 KiB writes.

use super::plan::{Instance, Region, Volume};
use super::shape;
use crate::rng::Rng;

/// Local hour of the nightly job that drives the hourly maxima to their peaks.
pub const NIGHTLY_HOUR: u32 = 2;

/// Bytes per EBS read operation.
pub const READ_IO_BYTES: f64 = 16_384.0;
/// Bytes per EBS write operation.
pub const WRITE_IO_BYTES: f64 = 32_768.0;

/// One hour of an instance's `AWS/EC2` (and `CWAgent`) metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceHour {
    /// Window hour.
    pub h: usize,
    /// `CPUUtilization` Average, percent.
    pub cpu_average: f64,
    /// `CPUUtilization` Maximum, percent.
    pub cpu_maximum: f64,
    /// `NetworkIn` Sum, bytes.
    pub network_in: f64,
    /// `NetworkOut` Sum, bytes.
    pub network_out: f64,
    /// `CWAgent mem_used_percent` Maximum, when the agent is installed.
    pub memory: Option<f64>,
}

/// One hour of a volume's `AWS/EBS` operation counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeHour {
    /// Window hour.
    pub h: usize,
    /// `VolumeReadOps` Sum.
    pub read_ops: f64,
    /// `VolumeWriteOps` Sum.
    pub write_ops: f64,
}

/// Whether window hour `h` is the nightly job's hour in the region.
pub fn nightly(region: Region, h: usize) -> bool {
    shape::local_hour(region, h) == NIGHTLY_HOUR
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// The instance's hourly metrics over its running hours (empty when the
/// snapshot holds no metrics for it).
pub fn instance_hours(inst: &Instance, seed: u64) -> Vec<InstanceHour> {
    if inst.run_to <= inst.run_from || !inst.metrics {
        return Vec::new();
    }
    let mut rng = Rng::fork(seed, &format!("ec2-metrics {}", inst.id));
    let peak = inst.peaks.cpu;
    assert!(peak > 0.0, "{} ({}) has no CPU peak", inst.name, inst.id);
    let tiny = inst.cpu.high < 6.0;
    (inst.run_from..inst.run_to)
        .map(|h| {
            let busy = shape::busy(inst.region, h);
            let night = nightly(inst.region, h);
            let mean = inst.cpu.low + (inst.cpu.high - inst.cpu.low) * busy;
            let cpu_average = round_to((mean * (1.0 + 0.12 * rng.normal())).clamp(0.1, peak * 0.9), 3);
            let ratio = if tiny { rng.range(1.4, 2.6) } else { rng.range(1.15, 1.6) };
            let cpu_maximum =
                if night { peak } else { round_to((cpu_average * ratio).min(peak * 0.97), 3).max(cpu_average) };
            let memory = inst.peaks.memory.map(|m| {
                let level = m.typical * (1.0 + 0.03 * rng.normal()) + (m.peak - m.typical) * 0.3 * busy;
                if night { m.peak } else { round_to(level.clamp(1.0, m.peak * 0.97), 2) }
            });
            let traffic = inst.network.base_bytes_hour
                + inst.egress_gb_hour * 1.0e9
                + cpu_average * inst.network.bytes_per_cpu_percent;
            let load = shape::diurnal(inst.region, h, &mut rng);
            InstanceHour {
                h,
                cpu_average,
                cpu_maximum,
                network_in: (traffic * 0.4 * load).round(),
                network_out: (traffic * load).round(),
                memory,
            }
        })
        .collect()
}

/// The volume's hourly operation counts while it has metrics.
pub fn volume_hours(v: &Volume, seed: u64) -> Vec<VolumeHour> {
    let Some((from, to)) = v.metrics_hours else { return Vec::new() };
    let mut rng = Rng::fork(seed, &format!("ebs-metrics {}", v.id));
    let scale = v.write_ops_hour.unwrap_or_else(|| (v.size_gib as f64).sqrt() * 150.0);
    (from..to)
        .map(|h| {
            let load = shape::diurnal(v.region, h, &mut rng);
            VolumeHour { h, read_ops: (scale * 0.6 * load).round(), write_ops: (scale * load).round() }
        })
        .collect()
}
