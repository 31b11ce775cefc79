//! The requirement model: what a workload needs from an instance type, from
//! what it used, and how a candidate type measures up.

use serde::Serialize;

use super::burstable::baseline_per_vcpu;
use super::performance::{performance_ratio, relative_performance};
use super::usage::Usage;
use crate::prices::InstanceSpec;

/// Tolerance on capacity comparisons, so that an exact fit computed in
/// floating point is still a fit.
const EPSILON: f64 = 1e-9;

/// Headroom kept above the measured percentile, as fractions (0.2 = 20 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Headroom {
    /// CPU headroom.
    pub cpu: f64,
    /// Memory headroom.
    pub memory: f64,
}

/// What a workload needs, in the current type's terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    /// The type it runs on now.
    pub current: &'static InstanceSpec,
    /// The architecture it runs now (`x86_64`, `arm64`).
    pub architecture: String,
    /// Whether arm64 (Graviton) types may replace an x86_64 one.
    pub graviton: bool,
    /// vCPUs of the current type it needs, headroom included:
    /// current vCPU × percentile CPU / (1 − CPU headroom).
    pub vcpus: f64,
    /// vCPUs of the current type it used at the percentile (no headroom).
    pub vcpus_used: f64,
    /// Memory it needs in GiB: current GiB × percentile memory / (1 − memory
    /// headroom) when measured; the current memory when not (never shrunk blind).
    pub memory_gib: f64,
    /// Memory it used at the percentile, GiB, when measured.
    pub memory_used_gib: Option<f64>,
    /// Network baseline it needs, Gbps: the observed peak, or, when network
    /// was not measured, the current type's baseline (never shrunk blind).
    pub network_gbps: Option<f64>,
    /// Whether `network_gbps` is an observed peak.
    pub network_measured: bool,
    /// Peak EBS operations per second, when measured.
    pub ebs_iops: Option<f64>,
    /// Peak EBS bytes per second, when measured.
    pub ebs_bytes_per_second: Option<f64>,
    /// Mean CPU, percent of the current type: what a burstable type must sustain.
    pub mean_cpu_percent: f64,
    /// Whether the current type has instance-store disks (kept).
    pub instance_store: bool,
}

/// Why a candidate type does not fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Misfit {
    /// Other architecture (or arm64 with Graviton off).
    Architecture,
    /// Too little CPU for the requirement, after per-vCPU performance.
    Cpu,
    /// Too little memory.
    Memory,
    /// Network baseline under the requirement (or unknown).
    Network,
    /// EBS baseline IOPS under the observed peak.
    EbsIops,
    /// EBS baseline bandwidth under the observed peak.
    EbsThroughput,
    /// No instance store where the current type has one.
    InstanceStore,
    /// A burstable type whose baseline the mean CPU would exceed.
    BurstBaseline {
        /// Mean CPU per vCPU it would run at, percent.
        mean_percent: f64,
        /// Its baseline per vCPU, percent.
        baseline_percent: f64,
    },
    /// A burstable type whose baseline is not known.
    UnknownBaseline,
}

/// Where the current type falls short of its own requirement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resource", rename_all = "kebab-case")]
pub enum Shortfall {
    /// Percentile CPU above (1 − headroom) of its vCPUs.
    Cpu {
        /// vCPUs needed.
        required_vcpus: f64,
        /// vCPUs it has.
        vcpus: f64,
    },
    /// Percentile memory above (1 − headroom) of its memory.
    Memory {
        /// GiB needed.
        required_gib: f64,
        /// GiB it has.
        gib: f64,
    },
}

/// The utilization a candidate would run at, per resource, and its 0–4 score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceRisk {
    /// 0 (always enough capacity) to 4 (at or near the limit): the worst of the dimensions below.
    pub score: u8,
    /// Percentile CPU used / candidate CPU capacity.
    pub cpu: f64,
    /// Percentile memory used / candidate memory, when memory was measured.
    pub memory: Option<f64>,
    /// Peak network / candidate baseline, when network was measured.
    pub network: Option<f64>,
    /// Peak EBS IOPS or bandwidth / candidate baseline (the worse), when measured and published.
    pub ebs: Option<f64>,
}

/// The 0–4 score of one projected utilization: < 0.5 → 0, < 0.7 → 1, < 0.8 → 2, < 0.9 → 3, else 4.
pub fn risk_score(utilization: f64) -> u8 {
    match utilization {
        u if u < 0.5 => 0,
        u if u < 0.7 => 1,
        u if u < 0.8 => 2,
        u if u < 0.9 => 3,
        _ => 4,
    }
}

/// The architecture to assume for an instance whose inventory does not say:
/// x86_64 when its type supports it.
pub fn default_architecture(spec: &InstanceSpec) -> &str {
    if spec.architectures.iter().any(|a| a == "x86_64") {
        "x86_64"
    } else {
        spec.architectures.first().map_or("x86_64", String::as_str)
    }
}

impl Requirement {
    /// The requirement of a workload on `current` that used `usage`.
    pub fn new(
        current: &'static InstanceSpec,
        architecture: &str,
        usage: &Usage,
        headroom: Headroom,
        graviton: bool,
    ) -> Self {
        let vcpus_used = f64::from(current.vcpus) * usage.cpu_percentile / 100.0;
        let memory_used_gib = usage.memory.as_ref().map(|m| current.memory_gib() * m.percentile / 100.0);
        let memory_gib = memory_used_gib.map_or(current.memory_gib(), |used| used / (1.0 - headroom.memory));
        let network_measured = usage.network_peak_gbps.is_some();
        Self {
            current,
            architecture: architecture.to_owned(),
            graviton,
            vcpus: vcpus_used / (1.0 - headroom.cpu),
            vcpus_used,
            memory_gib,
            memory_used_gib,
            network_gbps: usage.network_peak_gbps.or(current.network_baseline_gbps),
            network_measured,
            ebs_iops: usage.ebs_peak_iops,
            ebs_bytes_per_second: usage.ebs_peak_bytes_per_second,
            mean_cpu_percent: usage.mean_cpu,
            instance_store: current.instance_storage_gb.is_some(),
        }
    }

    /// The architecture a candidate would run: the current one when it
    /// supports it, else arm64 when Graviton is allowed from x86_64.
    pub fn architecture_on(&self, candidate: &InstanceSpec) -> Option<&str> {
        let supports = |arch: &str| candidate.architectures.iter().any(|a| a == arch);
        if supports(&self.architecture) {
            Some(&self.architecture)
        } else if self.graviton && self.architecture == "x86_64" && supports("arm64") {
            Some("arm64")
        } else {
            None
        }
    }

    /// CPU capacity of `candidate` in current-type vCPUs.
    pub fn cpu_capacity(&self, candidate: &InstanceSpec) -> f64 {
        f64::from(candidate.vcpus) * performance_ratio(self.current, candidate)
    }

    /// Mean CPU per vCPU, percent, the workload would run at on `candidate`.
    pub fn mean_cpu_on(&self, candidate: &InstanceSpec) -> f64 {
        self.mean_cpu_percent * f64::from(self.current.vcpus) / self.cpu_capacity(candidate)
    }

    /// Why `candidate` does not meet the requirement, or `None` when it does.
    pub fn misfit(&self, candidate: &InstanceSpec) -> Option<Misfit> {
        if self.architecture_on(candidate).is_none() {
            return Some(Misfit::Architecture);
        }
        if self.cpu_capacity(candidate) + EPSILON < self.vcpus {
            return Some(Misfit::Cpu);
        }
        if candidate.memory_gib() + EPSILON < self.memory_gib {
            return Some(Misfit::Memory);
        }
        if let Some(needed) = self.network_gbps
            && candidate.network_baseline_gbps.is_none_or(|baseline| baseline + EPSILON < needed)
        {
            return Some(Misfit::Network);
        }
        if let (Some(peak), Some(baseline)) = (self.ebs_iops, candidate.ebs_baseline_iops)
            && baseline + EPSILON < peak
        {
            return Some(Misfit::EbsIops);
        }
        if let (Some(peak), Some(mbps)) = (self.ebs_bytes_per_second, candidate.ebs_baseline_mbps)
            && mbps * 1e6 / 8.0 + EPSILON < peak
        {
            return Some(Misfit::EbsThroughput);
        }
        if self.instance_store && candidate.instance_storage_gb.is_none() {
            return Some(Misfit::InstanceStore);
        }
        if candidate.burstable {
            let Some(baseline_percent) = baseline_per_vcpu(&candidate.instance_type) else {
                return Some(Misfit::UnknownBaseline);
            };
            let mean_percent = self.mean_cpu_on(candidate);
            if mean_percent > baseline_percent + EPSILON {
                return Some(Misfit::BurstBaseline { mean_percent, baseline_percent });
            }
        }
        None
    }

    /// The utilizations `candidate` would run at, and their 0–4 score (at
    /// least 1 for a burstable type). Dimensions not measured are not scored.
    pub fn performance_risk(&self, candidate: &InstanceSpec) -> PerformanceRisk {
        let cpu = self.vcpus_used / self.cpu_capacity(candidate);
        let memory = self.memory_used_gib.map(|used| used / candidate.memory_gib());
        let network = if self.network_measured {
            self.network_gbps.zip(candidate.network_baseline_gbps).map(|(peak, baseline)| peak / baseline)
        } else {
            None
        };
        let iops = self.ebs_iops.zip(candidate.ebs_baseline_iops).map(|(peak, baseline)| peak / baseline);
        let bytes =
            self.ebs_bytes_per_second.zip(candidate.ebs_baseline_mbps).map(|(peak, mbps)| peak / (mbps * 1e6 / 8.0));
        let ebs = match (iops, bytes) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let worst = [Some(cpu), memory, network, ebs].into_iter().flatten().fold(0.0, f64::max);
        let score = risk_score(worst).max(u8::from(candidate.burstable));
        PerformanceRisk { score, cpu, memory, network, ebs }
    }

    /// Where the current type falls short of this requirement: percentile CPU
    /// or memory above (1 − headroom) of its capacity. Empty when the current
    /// type is big enough. (A burstable type running above its baseline is not
    /// a shortfall here: see [`Requirement::burst_overrun`].)
    pub fn shortfalls(&self) -> Vec<Shortfall> {
        let mut out = Vec::new();
        let vcpus = f64::from(self.current.vcpus);
        if self.vcpus > vcpus + EPSILON {
            out.push(Shortfall::Cpu { required_vcpus: self.vcpus, vcpus });
        }
        let gib = self.current.memory_gib();
        if self.memory_gib > gib + EPSILON {
            out.push(Shortfall::Memory { required_gib: self.memory_gib, gib });
        }
        out
    }

    /// For a burstable current type whose mean CPU is above its baseline:
    /// `(mean per vCPU, baseline per vCPU)`, percent. It then spends more
    /// credits than it earns: throttled to the baseline in standard mode,
    /// billed for surplus credits in unlimited mode.
    pub fn burst_overrun(&self) -> Option<(f64, f64)> {
        let baseline = baseline_per_vcpu(&self.current.instance_type).filter(|_| self.current.burstable)?;
        (self.mean_cpu_percent > baseline + EPSILON).then_some((self.mean_cpu_percent, baseline))
    }

    /// Relative per-vCPU performance of the current type, if in the table.
    pub fn current_performance(&self) -> Option<f64> {
        relative_performance(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::catalog;
    use crate::rightsizing::usage::CpuStatistic;

    fn spec(t: &str) -> &'static InstanceSpec {
        &catalog().instances[t]
    }

    fn usage(cpu_percentile: f64, mean_cpu: f64, network: Option<f64>) -> Usage {
        Usage {
            samples: 336,
            cpu_statistic: CpuStatistic::Maximum,
            cpu_p50: mean_cpu,
            cpu_p95: cpu_percentile,
            cpu_percentile,
            cpu_max: cpu_percentile,
            mean_cpu,
            memory: None,
            network_peak_gbps: network,
            ebs_peak_iops: None,
            ebs_peak_bytes_per_second: None,
            daily_max_cpu: Vec::new(),
        }
    }

    const HEADROOM: Headroom = Headroom { cpu: 0.2, memory: 0.2 };

    #[test]
    fn cpu_requirement_scales_by_percentile_headroom_and_performance() {
        // m5.xlarge at p99.5 = 40 %: 4 × 0.40 / 0.8 = 2 vCPUs of m5.
        let r = Requirement::new(spec("m5.xlarge"), "x86_64", &usage(40.0, 10.0, Some(0.1)), HEADROOM, true);
        assert!((r.vcpus - 2.0).abs() < 1e-12 && (r.vcpus_used - 1.6).abs() < 1e-12);
        assert_eq!(r.shortfalls(), [], "2 of 4 vCPUs");
        assert_eq!(r.memory_gib, 16.0, "memory not measured: kept");
        assert_eq!(r.misfit(spec("m5.xlarge")), None);
        assert_eq!(r.misfit(spec("m5.large")), Some(Misfit::Memory), "2 vCPU fit, 8 GiB do not");
        assert_eq!(r.misfit(spec("r5.large")), None, "2 vCPU, 16 GiB");
        // x2gd.medium (16 GiB): 1 vCPU × 1.0 < 2.
        assert_eq!(r.misfit(spec("x2gd.medium")), Some(Misfit::Cpu));
        let risk = r.performance_risk(spec("r5.large"));
        assert!((risk.cpu - 0.8).abs() < 1e-12);
        assert_eq!(risk.score, 3, "an exact fit runs at 1 − headroom = 0.8: not under 0.8, under 0.9");
    }

    #[test]
    fn graviton_off_keeps_the_architecture() {
        let r = Requirement::new(spec("m5.large"), "x86_64", &usage(10.0, 3.0, Some(0.01)), HEADROOM, false);
        assert_eq!(r.misfit(spec("m7g.large")), Some(Misfit::Architecture));
        let on = Requirement { graviton: true, ..r };
        assert_eq!(on.architecture_on(spec("m7g.large")), Some("arm64"));
    }

    #[test]
    fn shortfalls_and_burst_overruns() {
        // c5.large at p99.5 = 95 %: 2 × 0.95 / 0.8 = 2.375 vCPU > 2.
        let hot = Requirement::new(spec("c5.large"), "x86_64", &usage(95.0, 70.0, None), HEADROOM, true);
        assert!(matches!(hot.shortfalls()[..], [Shortfall::Cpu { vcpus, .. }] if vcpus == 2.0));
        assert_eq!(hot.network_gbps, Some(0.75), "network not measured: the current baseline is kept");
        // t3.small averaging 30 % against a 20 % baseline: an overrun, not a shortfall.
        let busy = Requirement::new(spec("t3.small"), "x86_64", &usage(60.0, 30.0, Some(0.01)), HEADROOM, true);
        assert_eq!(busy.shortfalls(), []);
        assert_eq!(busy.burst_overrun(), Some((30.0, 20.0)));
        assert_eq!(
            busy.misfit(spec("t3.small")),
            Some(Misfit::BurstBaseline { mean_percent: 30.0, baseline_percent: 20.0 })
        );
    }
}
