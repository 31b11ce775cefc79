//! EBS volumes left unattached, still billed every hour for storage, IOPS and throughput.
//!
//! ## What it finds
//! Volumes in state `available` (attached to nothing) for at least
//! `min-days-unattached` days as of the snapshot. How long a volume has been
//! unattached comes from the best evidence available, strongest first:
//! the recorded detach time (CloudTrail `DetachVolume`); the last CloudWatch
//! datapoint for the volume (EBS publishes metrics only while a volume is
//! attached); no datapoint at all during the metrics window (unattached for
//! at least the whole window); or, with none of these, the creation time.
//!
//! A volume with none of that evidence (no detach record, no metrics, no
//! creation time), or one neither billed by id nor priced by the price book,
//! is listed under "not enough data" instead of being guessed at.
//!
//! ## Why it costs money
//! EBS bills provisioned capacity, not use: an unattached volume costs exactly
//! what an attached one does — GB-months, plus provisioned IOPS for io1/io2
//! and gp3 above 3,000 IOPS, plus gp3 throughput above 125 MiB/s. They are
//! typically left behind when an instance is terminated without
//! `DeleteOnTermination`, or after a migration.
//!
//! ## How savings are estimated
//! The volume's full monthly cost. When the CUR bills the volume under its
//! id, that is its amortized cost over the last 14 days of billing data,
//! scaled to a 730-hour month; otherwise it is size × GB-month rate, plus
//! billable IOPS and throughput, at the region's rates (CUR-observed rate,
//! else the catalog scaled to the region; the report names which). The
//! itemized list-price breakdown is in the evidence either way. A final snapshot
//! costs at most size × the snapshot rate (less: snapshots store only used,
//! compressed blocks) and is shown as evidence, not subtracted, because you
//! may decide to keep no snapshot at all.
//!
//! Confidence is high with a recorded detach time or metrics that show the
//! detach, medium when the metrics window shows no activity at all, and low
//! when only the creation date is known.
//!
//! ## Settings
//! - `min-days-unattached` (default 7): minimum days unattached before a
//!   volume is reported. Short gaps are normal during maintenance.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::spend::{datetime_from, scalar_datetime};
use crate::{Dataset, Table};

/// Default for `min-days-unattached`.
pub const DEFAULT_MIN_DAYS_UNATTACHED: u32 = 7;

/// The rule.
pub struct UnattachedEbsVolume;

/// User options under `[rules.unattached-ebs-volume]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Minimum days unattached.
    pub min_days_unattached: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Minimum days unattached.
    pub min_days_unattached: u32,
}

impl Rule for UnattachedEbsVolume {
    const ID: &'static str = "unattached-ebs-volume";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        Ok(Settings { min_days_unattached: options.min_days_unattached.unwrap_or(DEFAULT_MIN_DAYS_UNATTACHED) })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(volumes) = ctx.dataset.table(Table::Volumes) else {
            return Ok(RuleOutput::default());
        };
        let as_of = ctx.dataset.as_of();
        let volumes = volumes
            .filter(col("state").eq(lit("available")))
            .collect()
            .during(|| "unattached-ebs-volume: reading volumes".into())?;
        if volumes.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let activity = MetricActivity::load(ctx.dataset, &volumes)?;

        let str_col = |name: &str| volumes.column(name).and_then(|c| c.str().cloned());
        let int_col = |name: &str| volumes.column(name).and_then(|c| c.i64().cloned());
        let time_col = |name: &str| volumes.column(name).and_then(|c| c.datetime().cloned());
        let context = || "unattached-ebs-volume: volume columns".to_owned();
        let account = str_col("account_id").during(context)?;
        let region = str_col("region").during(context)?;
        let id = str_col("volume_id").during(context)?;
        let name = str_col("name").during(context)?;
        let vtype = str_col("volume_type").during(context)?;
        let tags = str_col("tags").during(context)?;
        let az = str_col("availability_zone").during(context)?;
        let size = int_col("size_gib").during(context)?;
        let iops = int_col("iops").during(context)?;
        let throughput = int_col("throughput_mibps").during(context)?;
        let created = time_col("create_time").during(context)?;
        let detached = time_col("detached_at").during(context)?;

        let mut findings = Vec::new();
        let mut not_enough_data = Vec::new();
        for i in 0..volumes.height() {
            let (Some(account), Some(region), Some(volume_id), Some(volume_type), Some(size_gib)) =
                (account.get(i), region.get(i), id.get(i), vtype.get(i), size.get(i))
            else {
                continue;
            };
            let to_time = |v: Option<i64>| v.and_then(|v| datetime_from(v, TimeUnit::Microseconds));
            let since = unattached_since(
                to_time(detached.phys.get(i)),
                activity.last_seen(volume_id),
                activity.window_start,
                to_time(created.phys.get(i)),
            );
            let Some((since, basis)) = since else {
                not_enough_data.push(NotEnoughData {
                    account_id: account.into(),
                    region: Some(region.into()),
                    resource_id: volume_id.into(),
                    reason: "no detach record, no EBS metrics and no creation time: how long it has been unattached \
                             is unknown"
                        .into(),
                });
                continue;
            };
            let days = (as_of - since).num_seconds() as f64 / 86_400.0;
            if days < f64::from(settings.min_days_unattached) {
                continue;
            }
            let list = ctx.prices.ebs_volume_monthly(
                region,
                volume_type,
                size_gib as f64,
                iops.get(i).map(|v| v as f64),
                throughput.get(i).map(|v| v as f64),
            );
            let billed = ctx.billed.get(volume_id);
            let (monthly, price_source) = match (billed, &list) {
                (Some(b), _) => (b.monthly, ctx.billed.source()),
                (None, Some(cost)) => (cost.total, cost.source.clone()),
                (None, None) => {
                    not_enough_data.push(NotEnoughData {
                        account_id: account.into(),
                        region: Some(region.into()),
                        resource_id: volume_id.into(),
                        reason: format!(
                            "not billed by id in the CUR and no list price for volume type `{volume_type}` \
                             (set `ebs.{volume_type}_gb_month` under [prices])"
                        ),
                    });
                    continue;
                }
            };
            let snapshot_rate =
                ctx.prices.list_price(region, "ebs.snapshot_standard_gb_month").map_or(0.0, |p| p.value);
            let archive_rate = ctx.prices.list_price(region, "ebs.snapshot_archive_gb_month").map_or(0.0, |p| p.value);

            let mut evidence = vec![
                Evidence::text("state", "available (attached to nothing)"),
                Evidence::quantity(basis.label(), days.floor(), "days"),
                Evidence::text(
                    "unattached since",
                    format!("{} ({})", since.format("%Y-%m-%d %H:%M UTC"), basis.describe()),
                ),
                Evidence::text("volume type", volume_type),
                Evidence::quantity("size", size_gib as f64, "GiB"),
            ];
            if let Some(b) = billed {
                evidence.push(Evidence::monthly("cost now (CUR, billed)", b.monthly));
            }
            if let Some(cost) = &list {
                evidence.push(Evidence::monthly("storage cost", cost.storage));
                if cost.iops > 0.0 {
                    evidence.push(Evidence::quantity("provisioned IOPS", iops.get(i).unwrap_or(0) as f64, "IOPS"));
                    evidence.push(Evidence::monthly("IOPS cost", cost.iops));
                }
                if cost.throughput > 0.0 {
                    evidence.push(Evidence::quantity(
                        "provisioned throughput",
                        throughput.get(i).unwrap_or(0) as f64,
                        "MiB/s",
                    ));
                    evidence.push(Evidence::monthly("throughput cost", cost.throughput));
                }
                if billed.is_some() {
                    evidence.push(Evidence::monthly("list price total", cost.total));
                    evidence.push(Evidence::text("list prices", cost.source.to_string()));
                }
            }
            evidence
                .push(Evidence::monthly("final snapshot, at most (standard tier)", size_gib as f64 * snapshot_rate));
            evidence.push(Evidence::monthly("final snapshot, at most (archive tier)", size_gib as f64 * archive_rate));

            let display_name = name.get(i).map(str::to_owned);
            let az_text = az.get(i).map_or_else(String::new, |z| format!(" in {z}"));
            findings.push(Finding {
                rule: Self::ID.into(),
                category: Self::CATEGORY,
                account_id: account.into(),
                region: Some(region.into()),
                resource_type: "ebs-volume".into(),
                resource_id: volume_id.into(),
                resource_name: display_name,
                title: format!("{size_gib} GiB {volume_type} volume unattached for {} days{az_text}", days.floor()),
                evidence,
                monthly_cost: monthly,
                monthly_savings: monthly,
                price_source,
                confidence: basis.confidence(),
                risk: Risk::NonDisruptive,
                remediation: remediation(region, volume_id),
                tags: parse_tags(tags.get(i)),
                covers: Vec::new(),
            });
        }
        Ok(RuleOutput { findings, not_enough_data, spend: None })
    }
}

/// How the unattached-since time was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    DetachRecorded,
    LastMetric,
    NoMetricsInWindow,
    CreatedAt,
}

impl Basis {
    fn label(self) -> &'static str {
        match self {
            Basis::DetachRecorded | Basis::LastMetric => "days unattached",
            Basis::NoMetricsInWindow | Basis::CreatedAt => "days unattached, at least",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Basis::DetachRecorded => "recorded detach time",
            Basis::LastMetric => "last CloudWatch datapoint; EBS reports metrics only while attached",
            Basis::NoMetricsInWindow => "no CloudWatch datapoints in the whole metrics window",
            Basis::CreatedAt => "creation time; no detach record or metrics available",
        }
    }

    fn confidence(self) -> Confidence {
        match self {
            Basis::DetachRecorded | Basis::LastMetric => Confidence::High,
            Basis::NoMetricsInWindow => Confidence::Medium,
            Basis::CreatedAt => Confidence::Low,
        }
    }
}

fn unattached_since(
    detached_at: Option<NaiveDateTime>,
    last_metric: Option<NaiveDateTime>,
    metrics_window_start: Option<NaiveDateTime>,
    created: Option<NaiveDateTime>,
) -> Option<(NaiveDateTime, Basis)> {
    if let Some(t) = detached_at {
        return Some((t, Basis::DetachRecorded));
    }
    if let Some(t) = last_metric {
        return Some((t, Basis::LastMetric));
    }
    if let Some(window) = metrics_window_start {
        // Created inside the window and never attached: unattached since creation.
        return Some((created.map_or(window, |c| c.max(window)), Basis::NoMetricsInWindow));
    }
    created.map(|t| (t, Basis::CreatedAt))
}

/// When each candidate volume last reported an EBS metric.
struct MetricActivity {
    /// Start of the EBS metrics window, when EBS metrics were collected at all.
    window_start: Option<NaiveDateTime>,
    last_seen: HashMap<String, NaiveDateTime>,
}

impl MetricActivity {
    fn load(dataset: &Dataset, volumes: &DataFrame) -> Result<Self, Error> {
        let empty = Self { window_start: None, last_seen: HashMap::default() };
        let Some(metrics) = dataset.table(Table::Metrics) else { return Ok(empty) };
        let ebs = metrics.filter(col("namespace").eq(lit("AWS/EBS")));
        let window = ebs
            .clone()
            .select([col("period_start").min().alias("start"), len().alias("rows")])
            .collect()
            .during(|| "unattached-ebs-volume: EBS metrics window".into())?;
        let rows = window.column("rows").ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0);
        if rows == 0 {
            return Ok(empty);
        }
        let window_start = scalar_datetime(&window, "start");
        let ids = volumes.column("volume_id").during(|| "volume ids".into())?.as_materialized_series().clone();
        let last = ebs
            .filter(col("resource_id").is_in(lit(ids).implode(false), false))
            .group_by([col("resource_id")])
            .agg([(col("period_start")
                + (col("period_seconds") * lit(1_000_000i64)).cast(DataType::Duration(TimeUnit::Microseconds)))
            .max()
            .alias("last")])
            .collect()
            .during(|| "unattached-ebs-volume: last EBS datapoint per volume".into())?;
        let resource = last.column("resource_id").and_then(|c| c.str().cloned()).during(|| "metrics".into())?;
        let when = last.column("last").and_then(|c| c.datetime().cloned()).during(|| "metrics".into())?;
        let last_seen = (0..last.height())
            .filter_map(|i| {
                Some((resource.get(i)?.to_owned(), datetime_from(when.phys.get(i)?, TimeUnit::Microseconds)?))
            })
            .collect();
        Ok(Self { window_start, last_seen })
    }

    fn last_seen(&self, volume_id: &str) -> Option<NaiveDateTime> {
        self.last_seen.get(volume_id).copied()
    }
}

fn remediation(region: &str, volume_id: &str) -> Remediation {
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Snapshot {volume_id} (optionally move the snapshot to the archive tier), then delete the volume."
        ),
        cli: vec![
            format!(
                "SNAP=$(aws ec2 create-snapshot --region {region} --volume-id {volume_id} --description 'costwise: final snapshot of {volume_id}' --tag-specifications 'ResourceType=snapshot,Tags=[{{Key=costwise:source-volume,Value={volume_id}}}]' --query SnapshotId --output text)"
            ),
            format!("aws ec2 wait snapshot-completed --region {region} --snapshot-ids \"$SNAP\""),
            format!("aws ec2 delete-volume --region {region} --volume-id {volume_id}"),
            format!(
                "# optional, 75% cheaper storage for a snapshot you rarely restore:\naws ec2 modify-snapshot-tier --region {region} --snapshot-id \"$SNAP\" --storage-tier archive"
            ),
        ],
        terraform: Some(format!(
            "# Keep a final snapshot, then remove the aws_ebs_volume for {volume_id} from your configuration.\nresource \"aws_ebs_snapshot\" \"final_{}\" {{\n  volume_id = \"{volume_id}\"\n  tags      = {{ \"costwise:source-volume\" = \"{volume_id}\" }}\n}}",
            volume_id.replace('-', "_")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 10, day).unwrap().and_hms_opt(0, 0, 0).unwrap()
    }

    #[test]
    fn strongest_evidence_wins() {
        assert_eq!(
            unattached_since(Some(t(5)), Some(t(9)), Some(t(1)), Some(t(1))),
            Some((t(5), Basis::DetachRecorded))
        );
        assert_eq!(unattached_since(None, Some(t(9)), Some(t(1)), Some(t(1))), Some((t(9), Basis::LastMetric)));
        assert_eq!(unattached_since(None, None, Some(t(3)), Some(t(1))), Some((t(3), Basis::NoMetricsInWindow)));
        assert_eq!(unattached_since(None, None, Some(t(3)), Some(t(7))), Some((t(7), Basis::NoMetricsInWindow)));
        assert_eq!(unattached_since(None, None, None, Some(t(2))), Some((t(2), Basis::CreatedAt)));
        assert_eq!(unattached_since(None, None, None, None), None);
    }
}
