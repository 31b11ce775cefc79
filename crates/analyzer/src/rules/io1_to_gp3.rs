//! io1/io2 volumes whose provisioned IOPS fit gp3 at a fraction of the price.
//!
//! ## What it finds
//! Attached (`in-use`) io1 and io2 volumes that gp3 can serve: provisioned
//! IOPS at most `gp3-max-iops`, size at most 16 TiB, and an observed peak
//! that fits gp3 with headroom. The peak comes from CloudWatch: per period,
//! (`VolumeReadOps` + `VolumeWriteOps`, statistic Sum) ÷ the period's
//! seconds, over the last `lookback-days`; where `VolumeReadBytes` and
//! `VolumeWriteBytes` are in the snapshot too, their peak MiB/s is checked
//! against `gp3-max-throughput-mibps` the same way. A peak is the average
//! over one period (an hour in most exports): bursts inside it are hidden,
//! which is what the headroom is for.
//!
//! A volume without those datapoints is never judged: the metric not
//! collected at all, a recorded metrics gap for its account and region, no
//! datapoints for the volume, or fewer than `min-days-with-data` days of
//! them put it under "not enough data". Unattached io1/io2 volumes publish
//! no I/O metrics and are left to `unattached-ebs-volume`, which saves their
//! whole cost. gp3 has no Multi-Attach: a Multi-Attach volume must stay on
//! io1/io2 (exclude it by id or tag).
//!
//! ## Why it costs money
//! io1 and io2 bill every provisioned IOPS ($0.065/IOPS-month in us-east-1,
//! so 10,000 IOPS is $650/month) on top of $0.125/GB-month. gp3 bills
//! $0.08/GB-month, includes 3,000 IOPS and 125 MiB/s, and sells more at
//! $0.005/IOPS-month and $0.04/MiB/s-month, up to 16,000 IOPS. The change
//! is an online Elastic Volumes modification.
//!
//! What gp3 does not match: io2 is designed for 99.999 % durability
//! (gp3 and io1: 99.8–99.9 %) and io2 Block Express for sub-millisecond
//! latency; io1/io2 deliver their IOPS 99.9 % of the time, gp3 99 %. io2
//! findings are therefore marked "needs testing", with the difference in
//! the evidence.
//!
//! ## How savings are estimated
//! Savings = the volume's monthly cost now − the gp3 volume's cost. The
//! cost now is the volume's amortized cost in the CUR when it is billed
//! there, else the price book's io1/io2 rates (io2 IOPS in their tiers).
//! The gp3 volume keeps the size and, by default, the provisioned IOPS
//! (like-for-like; never fewer than gp3's included 3,000). With
//! `right-size-iops` its IOPS are the observed peak × (1 + headroom)
//! instead, never below 3,000 nor above the io volume's. Its throughput is
//! what the workload can have used, × (1 + headroom): the observed byte peak
//! where `VolumeReadBytes`/`VolumeWriteBytes` exist, else the observed IOPS
//! peak × 256 KiB (the largest I/O EBS counts as one operation, so no more
//! can have moved). It is never more than the io volume itself delivers at
//! its IOPS (0.25 MiB/s per IOPS, at most 500 MiB/s for io1) and never less
//! than gp3's included 125 MiB/s; gp3's IOPS are raised where the throughput
//! needs more than its 0.25 MiB/s per IOPS. gp3 is priced from the price
//! book: storage, IOPS above 3,000 and throughput above 125 MiB/s. No
//! finding when gp3 would not be cheaper.
//!
//! Confidence is high when the metrics cover the whole lookback, medium when
//! they cover at least `min-days-with-data` days.
//!
//! ## Settings
//! - `lookback-days` (default 14): days of metrics the peak is taken over.
//! - `headroom-pct` (default 20): margin over the observed peak, in percent,
//!   that must still fit gp3's maximums, and that right-sizing provisions.
//! - `min-days-with-data` (default 7): fewer days with I/O datapoints in the
//!   lookback is "not enough data".
//! - `right-size-iops` (default false): provision the observed peak plus
//!   headroom instead of the io volume's IOPS. Saves more; the volume then
//!   has less margin for a load it has not shown yet (risk: needs testing).
//! - `gp3-max-iops` (default 16000): gp3's IOPS limit. AWS raised it to
//!   80,000 in most regions in 2025; raise this where your regions have it.
//! - `gp3-max-throughput-mibps` (default 1000): gp3's throughput limit
//!   (2,000 where the 2025 limits apply).

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{floats, ints, strings, times};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::{GP3_MAX_THROUGHPUT_PER_IOPS, Gp3Sizing, PriceOrigin, PriceSource, gp3_sizing};
use crate::spend::stable;
use crate::{Dataset, Table, metrics};

/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 14;
/// Default for `headroom-pct`.
pub const DEFAULT_HEADROOM_PCT: f64 = 20.0;
/// Default for `min-days-with-data`.
pub const DEFAULT_MIN_DAYS_WITH_DATA: u32 = 7;
/// Default for `right-size-iops`.
pub const DEFAULT_RIGHT_SIZE_IOPS: bool = false;
/// Default for `gp3-max-iops`.
pub const DEFAULT_GP3_MAX_IOPS: u32 = 16_000;
/// Default for `gp3-max-throughput-mibps`.
pub const DEFAULT_GP3_MAX_THROUGHPUT_MIBPS: u32 = 1_000;

/// gp3's size limit.
const GP3_MAX_SIZE_GIB: i64 = 16_384;
/// The largest I/O EBS SSD volumes count as one operation, in MiB (256 KiB).
const MAX_IO_MIB: f64 = 0.25;
/// io1's throughput ceiling at up to 32,000 IOPS.
const IO1_MAX_THROUGHPUT_MIBPS: f64 = 500.0;
/// Bytes per MiB.
const MIB: f64 = 1_048_576.0;

/// The rule.
pub struct Io1ToGp3;

/// User options under `[rules.io1-to-gp3]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days of metrics the peak is taken over.
    pub lookback_days: Option<u32>,
    /// Margin over the observed peak, percent.
    pub headroom_pct: Option<f64>,
    /// Minimum days with datapoints.
    pub min_days_with_data: Option<u32>,
    /// Provision the observed peak plus headroom instead of the io volume's IOPS.
    pub right_size_iops: Option<bool>,
    /// gp3's IOPS limit.
    pub gp3_max_iops: Option<u32>,
    /// gp3's throughput limit, MiB/s.
    pub gp3_max_throughput_mibps: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days of metrics the peak is taken over.
    pub lookback_days: u32,
    /// Margin over the observed peak, percent.
    pub headroom_pct: f64,
    /// Minimum days with datapoints.
    pub min_days_with_data: u32,
    /// Provision the observed peak plus headroom instead of the io volume's IOPS.
    pub right_size_iops: bool,
    /// gp3's IOPS limit.
    pub gp3_max_iops: u32,
    /// gp3's throughput limit, MiB/s.
    pub gp3_max_throughput_mibps: u32,
}

impl Rule for Io1ToGp3 {
    const ID: &'static str = "io1-to-gp3";
    const CATEGORY: Category = Category::Storage;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let settings = Settings {
            lookback_days: options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS),
            headroom_pct: options.headroom_pct.unwrap_or(DEFAULT_HEADROOM_PCT),
            min_days_with_data: options.min_days_with_data.unwrap_or(DEFAULT_MIN_DAYS_WITH_DATA),
            right_size_iops: options.right_size_iops.unwrap_or(DEFAULT_RIGHT_SIZE_IOPS),
            gp3_max_iops: options.gp3_max_iops.unwrap_or(DEFAULT_GP3_MAX_IOPS),
            gp3_max_throughput_mibps: options.gp3_max_throughput_mibps.unwrap_or(DEFAULT_GP3_MAX_THROUGHPUT_MIBPS),
        };
        if settings.lookback_days == 0 {
            return Err("`lookback-days` must be at least 1".into());
        }
        if settings.min_days_with_data > settings.lookback_days {
            return Err(format!(
                "`min-days-with-data` ({}) cannot exceed `lookback-days` ({})",
                settings.min_days_with_data, settings.lookback_days
            ));
        }
        if !(0.0..=1_000.0).contains(&settings.headroom_pct) {
            return Err(format!("`headroom-pct` must be between 0 and 1000, found {}", settings.headroom_pct));
        }
        if settings.gp3_max_iops < 3_000 || settings.gp3_max_throughput_mibps < 125 {
            return Err("`gp3-max-iops` must be at least 3000 and `gp3-max-throughput-mibps` at least 125".into());
        }
        Ok(settings)
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(volumes) = ctx.dataset.table(Table::Volumes) else {
            return Ok(RuleOutput::default());
        };
        let context = "io1-to-gp3: volumes";
        let volumes = volumes
            .filter(
                col("volume_type")
                    .is_in(lit(Series::new("types".into(), ["io1", "io2"])).implode(false), false)
                    .and(col("state").eq(lit("in-use"))),
            )
            .sort(["account_id", "region", "volume_id"], SortMultipleOptions::default())
            .collect()
            .during(|| context.into())?;
        if volumes.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let account = strings(&volumes, "account_id", context)?;
        let region = strings(&volumes, "region", context)?;
        let id = strings(&volumes, "volume_id", context)?;
        let name = strings(&volumes, "name", context)?;
        let vtype = strings(&volumes, "volume_type", context)?;
        let tags = strings(&volumes, "tags", context)?;
        let attached = strings(&volumes, "attached_instance_id", context)?;
        let size = ints(&volumes, "size_gib", context)?;
        let provisioned = ints(&volumes, "iops", context)?;

        let ops = PeakRates::load(ctx.dataset, &["VolumeReadOps", "VolumeWriteOps"], settings.lookback_days)?;
        let bytes = PeakRates::load(ctx.dataset, &["VolumeReadBytes", "VolumeWriteBytes"], settings.lookback_days)?;
        let headroom = 1.0 + settings.headroom_pct / 100.0;
        let gp3_max_iops = f64::from(settings.gp3_max_iops);
        let gp3_max_throughput = f64::from(settings.gp3_max_throughput_mibps);

        let mut output = RuleOutput::default();
        for i in 0..volumes.height() {
            let (Some(account), Some(region), Some(volume_id), Some(volume_type), Some(size_gib)) =
                (account.get(i), region.get(i), id.get(i), vtype.get(i), size.get(i))
            else {
                continue;
            };
            let skip = |reason: String| NotEnoughData {
                account_id: account.into(),
                region: Some(region.into()),
                resource_id: volume_id.into(),
                reason,
            };
            let Some(io_iops) = provisioned.get(i).map(|v| v as f64) else {
                output.not_enough_data.push(skip("no provisioned IOPS recorded for this io volume".into()));
                continue;
            };
            if io_iops > gp3_max_iops || size_gib > GP3_MAX_SIZE_GIB {
                continue;
            }
            if let Some(gap) = metrics::data_gap(ctx.dataset, Table::Metrics, account, region) {
                output.not_enough_data.push(skip(format!("metrics collection incomplete in {region}: {gap}")));
                continue;
            }
            if !ops.collected {
                output.not_enough_data.push(skip(format!(
                    "VolumeReadOps/VolumeWriteOps (Sum) not collected in this snapshot for the last {} days",
                    settings.lookback_days
                )));
                continue;
            }
            let Some(observed) = ops.by_volume.get(volume_id) else {
                output.not_enough_data.push(skip(format!(
                    "no VolumeReadOps/VolumeWriteOps datapoints for this volume in the last {} days",
                    settings.lookback_days
                )));
                continue;
            };
            let days = observed.days.len() as u32;
            if days < settings.min_days_with_data {
                output.not_enough_data.push(skip(format!(
                    "I/O datapoints on only {days} of the last {} days (at least {} needed)",
                    settings.lookback_days, settings.min_days_with_data
                )));
                continue;
            }
            let observed_mibps = bytes.by_volume.get(volume_id).map(|b| b.peak / MIB);
            if observed.peak * headroom > gp3_max_iops
                || observed_mibps.is_some_and(|t| t * headroom > gp3_max_throughput)
            {
                continue;
            }

            let io_ceiling = io_throughput_ceiling(volume_type, io_iops, gp3_max_throughput);
            // The most the workload can have moved: its byte peak, or its I/O peak at the largest I/O EBS counts.
            let used_mibps = observed_mibps.unwrap_or(observed.peak * MAX_IO_MIB);
            let throughput = (used_mibps * headroom).min(io_ceiling);
            let iops = if settings.right_size_iops { (observed.peak * headroom).ceil().min(io_iops) } else { io_iops };
            let target = gp3_sizing(iops, throughput);
            let target = Gp3Sizing {
                iops: target.iops.min(gp3_max_iops),
                throughput_mibps: target.throughput_mibps.min(gp3_max_throughput),
            };

            let gib = size_gib as f64;
            let Some(gp3) =
                ctx.prices.ebs_volume_monthly(region, "gp3", gib, Some(target.iops), Some(target.throughput_mibps))
            else {
                tracing::warn!(volume_id, region, "no gp3 price; skipped");
                continue;
            };
            let list = ctx.prices.ebs_volume_monthly(region, volume_type, gib, Some(io_iops), None);
            let billed = ctx.billed.get(volume_id);
            let (current, current_source) = match (billed, &list) {
                (Some(b), _) => (b.monthly, ctx.billed.source()),
                (None, Some(l)) => (l.total, l.source.clone()),
                (None, None) => {
                    tracing::warn!(volume_id, volume_type, "no price and not in the CUR; skipped");
                    continue;
                }
            };
            // Rounded to 1/100 cent: free of float noise (`0.3999…`) in reports and JSON.
            let savings = stable(current - gp3.total);
            if savings <= 0.0 {
                continue;
            }

            let window_days = i64::from(settings.lookback_days);
            let full_coverage = i64::from(days) >= window_days - 1;
            let mut evidence = vec![
                Evidence::text("volume type", volume_type),
                Evidence::quantity("size", gib, "GiB"),
                Evidence::quantity("provisioned IOPS", io_iops, "IOPS"),
                Evidence::quantity("peak observed IOPS (per-period average)", observed.peak, "IOPS"),
                Evidence::quantity("mean observed IOPS", observed.mean, "IOPS"),
                Evidence::quantity("metric period", observed.period_seconds as f64, "seconds"),
                Evidence::quantity("days with I/O datapoints", f64::from(days), "days"),
                Evidence::quantity("lookback", f64::from(settings.lookback_days), "days"),
                Evidence::percent("headroom over the peak", settings.headroom_pct),
                Evidence::quantity("gp3 IOPS limit", gp3_max_iops, "IOPS"),
            ];
            match observed_mibps {
                Some(t) => evidence.push(Evidence::quantity("peak observed throughput", t, "MiB/s")),
                None => evidence.push(Evidence::quantity(
                    "peak throughput possible at the observed IOPS (256 KiB per I/O)",
                    used_mibps,
                    "MiB/s",
                )),
            }
            evidence.push(Evidence::quantity(
                format!("{volume_type} throughput ceiling at {io_iops} IOPS"),
                io_ceiling,
                "MiB/s",
            ));
            if let Some(b) = billed {
                evidence.push(Evidence::monthly(format!("{volume_type} cost now (CUR, billed)"), b.monthly));
                if let Some(l) = &list {
                    evidence.push(Evidence::monthly(format!("{volume_type} cost at list price"), l.total));
                }
            } else {
                if let Some(l) = &list {
                    evidence.push(Evidence::monthly(format!("{volume_type} storage cost"), l.storage));
                    evidence.push(Evidence::monthly(format!("{volume_type} IOPS cost"), l.iops));
                }
                evidence.push(Evidence::monthly(format!("{volume_type} cost now (price book)"), current));
            }
            evidence.extend([
                Evidence::text(
                    "gp3 sizing",
                    if settings.right_size_iops {
                        "IOPS right-sized to the observed peak × (1 + headroom), at least 3,000; throughput to the workload's peak × (1 + headroom)"
                    } else {
                        "IOPS like-for-like (the io volume's, at least 3,000); throughput to the workload's peak × (1 + headroom)"
                    },
                ),
                Evidence::quantity("gp3 IOPS to provision", target.iops, "IOPS"),
                Evidence::quantity("gp3 throughput to provision", target.throughput_mibps, "MiB/s"),
                Evidence::monthly("gp3 storage cost", gp3.storage),
                Evidence::monthly("gp3 IOPS cost (above 3,000)", gp3.iops),
                Evidence::monthly("gp3 throughput cost (above 125 MiB/s)", gp3.throughput),
                Evidence::monthly("gp3 cost", gp3.total),
                Evidence::text("gp3 rates", gp3.source.to_string()),
            ]);
            let risk = if volume_type == "io2" {
                evidence.push(Evidence::text(
                    "durability",
                    "io2 is designed for 99.999 % (0.001 % annual failure rate); gp3 for 99.8–99.9 %",
                ));
                evidence.push(Evidence::text(
                    "latency",
                    "io2 Block Express: sub-millisecond; gp3: single-digit milliseconds, its IOPS delivered 99 % of the time",
                ));
                Risk::NeedsTesting
            } else {
                evidence.push(Evidence::text(
                    "durability",
                    "io1 and gp3 are both designed for 99.8–99.9 %; io1 delivers its IOPS 99.9 % of the time, gp3 99 %",
                ));
                if settings.right_size_iops && target.iops < io_iops { Risk::NeedsTesting } else { Risk::NonDisruptive }
            };
            evidence.push(Evidence::text(
                "modification",
                "online (Elastic Volumes): no detach or restart; a volume can be modified again only after 6 hours",
            ));
            if let Some(instance) = attached.get(i) {
                evidence.push(Evidence::text("attached to", instance));
            }

            output.findings.push(Finding {
                rule: Self::ID.into(),
                category: Self::CATEGORY,
                account_id: account.into(),
                region: Some(region.into()),
                resource_type: "ebs-volume".into(),
                resource_id: volume_id.into(),
                resource_name: name.get(i).map(str::to_owned),
                title: format!(
                    "{size_gib} GiB {volume_type} volume with {io_iops} IOPS (peak {:.0} observed) costs less as gp3",
                    observed.peak
                ),
                evidence,
                monthly_cost: current,
                monthly_savings: savings,
                price_source: PriceSource {
                    origin: if current_source.origin == PriceOrigin::Billed {
                        PriceOrigin::Billed
                    } else {
                        current_source.origin.max(gp3.source.origin)
                    },
                    detail: format!("{volume_type} cost: {current_source}; gp3 cost: {}", gp3.source),
                },
                confidence: if full_coverage { Confidence::High } else { Confidence::Medium },
                risk,
                remediation: remediation(region, volume_id, volume_type, target),
                tags: parse_tags(tags.get(i)),
                covers: Vec::new(),
            });
        }
        Ok(output)
    }
}

/// The most throughput an io volume delivers at its provisioned IOPS
/// (256 KiB I/Os), as gp3 can provision it: at least 125 MiB/s, at most
/// 500 MiB/s for io1 and gp3's maximum for io2.
fn io_throughput_ceiling(volume_type: &str, iops: f64, gp3_max_throughput: f64) -> f64 {
    let cap = if volume_type == "io1" { IO1_MAX_THROUGHPUT_MIBPS.min(gp3_max_throughput) } else { gp3_max_throughput };
    (iops * GP3_MAX_THROUGHPUT_PER_IOPS).clamp(125.0, cap.max(125.0))
}

/// Per-volume peak rate (per second) of the sum of some `AWS/EBS` Sum metrics.
struct PeakRates {
    /// Whether any of the metrics is in the snapshot for the window.
    collected: bool,
    by_volume: HashMap<String, Observed>,
}

/// One volume's observed rate.
struct Observed {
    /// Highest per-period rate.
    peak: f64,
    /// Mean per-period rate.
    mean: f64,
    /// Period length of the peak's datapoint.
    period_seconds: i64,
    /// UTC days with datapoints.
    days: BTreeSet<NaiveDate>,
}

impl PeakRates {
    fn load(dataset: &Dataset, metric_names: &[&str], lookback_days: u32) -> Result<Self, Error> {
        let empty = Self { collected: false, by_volume: HashMap::new() };
        let Some(metrics) = dataset.table(Table::Metrics) else { return Ok(empty) };
        let end = dataset.as_of();
        let start = end - Duration::days(i64::from(lookback_days));
        let context = format!("io1-to-gp3: {} per period", metric_names.join(" + "));
        let names = Series::new("names".into(), metric_names);
        let per_period = metrics
            .filter(
                col("namespace")
                    .eq(lit("AWS/EBS"))
                    .and(col("statistic").eq(lit("Sum")))
                    .and(col("metric").is_in(lit(names).implode(false), false))
                    .and(col("period_start").gt_eq(lit(start)))
                    .and(col("period_start").lt(lit(end))),
            )
            .group_by([col("resource_id"), col("period_start"), col("period_seconds")])
            .agg([col("value").sum().alias("total")])
            .sort(["resource_id", "period_start"], SortMultipleOptions::default())
            .collect()
            .during(|| context.clone())?;
        if per_period.height() == 0 {
            return Ok(empty);
        }
        let resource = strings(&per_period, "resource_id", &context)?;
        let period_start = times(&per_period, "period_start", &context)?;
        let seconds = ints(&per_period, "period_seconds", &context)?;
        let total = floats(&per_period, "total", &context)?;
        let mut sums: HashMap<String, (Observed, f64, usize)> = HashMap::new();
        for (i, start) in period_start.into_iter().enumerate() {
            let (Some(id), Some(start), Some(seconds), Some(total)) =
                (resource.get(i), start, seconds.get(i), total.get(i))
            else {
                continue;
            };
            if seconds <= 0 {
                continue;
            }
            let rate = total / seconds as f64;
            let entry = sums.entry(id.to_owned()).or_insert_with(|| {
                (Observed { peak: f64::MIN, mean: 0.0, period_seconds: seconds, days: BTreeSet::new() }, 0.0, 0)
            });
            if rate > entry.0.peak {
                entry.0.peak = rate;
                entry.0.period_seconds = seconds;
            }
            entry.0.days.insert(start.date());
            entry.1 += rate;
            entry.2 += 1;
        }
        let by_volume = sums
            .into_iter()
            .map(|(id, (mut observed, sum, n))| {
                observed.mean = sum / n as f64;
                (id, observed)
            })
            .collect();
        Ok(Self { collected: true, by_volume })
    }
}

fn remediation(region: &str, volume_id: &str, volume_type: &str, target: Gp3Sizing) -> Remediation {
    let (iops, throughput) = (target.iops, target.throughput_mibps);
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Change {volume_id} from {volume_type} to gp3 with {iops} IOPS and {throughput} MiB/s, online; watch its latency afterwards (the volume can be modified again after 6 hours)."
        ),
        cli: vec![
            format!(
                "aws ec2 modify-volume --region {region} --volume-id {volume_id} --volume-type gp3 --iops {iops} --throughput {throughput}"
            ),
            format!(
                "# watch it go from modifying to optimizing to completed:\naws ec2 describe-volumes-modifications --region {region} --volume-ids {volume_id} --query 'VolumesModifications[0].[ModificationState,Progress]' --output text"
            ),
        ],
        terraform: Some(format!(
            "# aws_ebs_volume for {volume_id} (or the ebs_block_device of its aws_instance or launch template):\ntype       = \"gp3\"   # volume_type in block devices\niops       = {iops}\nthroughput = {throughput}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_ceiling_follows_the_io_type() {
        assert_eq!(io_throughput_ceiling("io1", 100.0, 1000.0), 125.0);
        assert_eq!(io_throughput_ceiling("io1", 1000.0, 1000.0), 250.0);
        assert_eq!(io_throughput_ceiling("io1", 16_000.0, 1000.0), 500.0);
        assert_eq!(io_throughput_ceiling("io2", 16_000.0, 1000.0), 1000.0);
        assert_eq!(io_throughput_ceiling("io2", 3000.0, 1000.0), 750.0);
    }
}
