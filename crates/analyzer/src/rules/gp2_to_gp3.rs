//! gp2 volumes that would cost less as gp3 with the same baseline performance.
//!
//! ## What it finds
//! Every gp2 volume (attached or not; volumes being deleted are skipped)
//! whose gp3 equivalent costs less per month. The gp3 equivalent keeps the
//! size and matches what the gp2 volume delivers without burst credits:
//!
//! - IOPS: max(3,000, min(16,000, 3 × GiB)). gp2's baseline is 3 IOPS per
//!   GiB (at least 100, at most 16,000) and volumes under 1,000 GiB burst to
//!   3,000 IOPS on credits; gp3 includes 3,000 IOPS at any size, so only
//!   volumes above 1,000 GiB need IOPS provisioned beyond the included ones.
//! - Throughput: 250 MiB/s from 334 GiB, where gp2 sustains 250 MiB/s
//!   whatever its burst credits; 125 MiB/s (gp3's included throughput)
//!   below. Up to 170 GiB gp2 tops out at 128 MiB/s, a 2 % difference well
//!   inside gp2's own 99 %-of-the-time performance target. From 171 to
//!   333 GiB gp2 reaches 250 MiB/s only while burst credits last; set
//!   `match-burst-throughput` to provision 250 MiB/s for those too.
//!
//! Unattached gp2 volumes are reported as well; `unattached-ebs-volume`
//! usually saves more on them, and the report counts only the larger saving.
//!
//! ## Why it costs money
//! gp2 ties performance to size and bills $0.10/GB-month (us-east-1); gp3
//! bills $0.08/GB-month, 20 % less, and includes 3,000 IOPS and 125 MiB/s
//! at every size. The change is an online Elastic Volumes modification: no
//! detach, no restart, the volume stays in use while it is optimized.
//!
//! ## How savings are estimated
//! Savings = the gp2 volume's monthly cost − the gp3 equivalent's monthly
//! cost. The gp2 cost is the volume's own amortized cost in the CUR when it
//! is billed there, else size × the gp2 rate from the price book. The gp3
//! cost comes from the price book's gp3 rates: size × GB-month rate, plus
//! IOPS above 3,000 and throughput above 125 MiB/s at their per-unit rates.
//! A volume whose gp3 equivalent would not be cheaper (a discounted gp2 rate
//! in the CUR, say) is not reported.
//!
//! ## Settings
//! - `match-burst-throughput` (default false): also provision 250 MiB/s
//!   (billed above the included 125) for 171–333 GiB volumes, matching the
//!   throughput gp2 reaches only on burst credits. Turn it on when those
//!   volumes run sustained sequential I/O.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{ints, strings};
use super::{Context, Rule, RuleOutput, parse_tags};
use crate::Table;
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::{EbsMonthlyCost, Gp3Sizing, PriceOrigin, PriceSource, gp3_sizing};
use crate::spend::stable;

/// Default for `match-burst-throughput`.
pub const DEFAULT_MATCH_BURST_THROUGHPUT: bool = false;

/// gp2 (and gp3) IOPS ceiling used for the equivalent.
const MAX_IOPS: f64 = 16_000.0;
/// gp2 baseline IOPS per GiB.
const GP2_IOPS_PER_GIB: f64 = 3.0;
/// gp2 baseline IOPS floor.
const GP2_MIN_IOPS: f64 = 100.0;
/// gp2 volumes from this size sustain 250 MiB/s without burst credits.
const GP2_SUSTAINED_250_FROM_GIB: i64 = 334;
/// gp2 volumes above this size burst to 250 MiB/s on credits.
const GP2_BURST_250_ABOVE_GIB: i64 = 170;
/// gp2's throughput ceiling.
const GP2_MAX_THROUGHPUT_MIBPS: f64 = 250.0;
/// gp2 volumes up to 170 GiB deliver at most this.
const GP2_SMALL_THROUGHPUT_MIBPS: f64 = 128.0;
/// gp2 volumes below this size burst to 3,000 IOPS on credits.
const GP2_BURST_IOPS_BELOW_GIB: i64 = 1_000;

/// The rule.
pub struct Gp2ToGp3;

/// User options under `[rules.gp2-to-gp3]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Provision 250 MiB/s for 171–333 GiB volumes too.
    pub match_burst_throughput: Option<bool>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Provision 250 MiB/s for 171–333 GiB volumes too.
    pub match_burst_throughput: bool,
}

impl Rule for Gp2ToGp3 {
    const ID: &'static str = "gp2-to-gp3";
    const CATEGORY: Category = Category::Storage;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        Ok(Settings {
            match_burst_throughput: options.match_burst_throughput.unwrap_or(DEFAULT_MATCH_BURST_THROUGHPUT),
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(volumes) = ctx.dataset.table(Table::Volumes) else {
            return Ok(RuleOutput::default());
        };
        let context = "gp2-to-gp3: volumes";
        let volumes = volumes
            .filter(
                col("volume_type").eq(lit("gp2")).and(
                    col("state")
                        .is_in(lit(Series::new("gone".into(), ["deleting", "deleted"])).implode(false), false)
                        .not(),
                ),
            )
            .sort(["account_id", "region", "volume_id"], SortMultipleOptions::default())
            .collect()
            .during(|| context.into())?;
        let account = strings(&volumes, "account_id", context)?;
        let region = strings(&volumes, "region", context)?;
        let id = strings(&volumes, "volume_id", context)?;
        let name = strings(&volumes, "name", context)?;
        let state = strings(&volumes, "state", context)?;
        let tags = strings(&volumes, "tags", context)?;
        let attached = strings(&volumes, "attached_instance_id", context)?;
        let size = ints(&volumes, "size_gib", context)?;

        let mut findings = Vec::new();
        for i in 0..volumes.height() {
            let (Some(account), Some(region), Some(volume_id), Some(size_gib)) =
                (account.get(i), region.get(i), id.get(i), size.get(i))
            else {
                continue;
            };
            let target = gp3_equivalent(size_gib, settings.match_burst_throughput);
            let gib = size_gib as f64;
            let Some(gp3) =
                ctx.prices.ebs_volume_monthly(region, "gp3", gib, Some(target.iops), Some(target.throughput_mibps))
            else {
                tracing::warn!(volume_id, region, "no gp3 price; skipped");
                continue;
            };
            let list = ctx.prices.ebs_volume_monthly(region, "gp2", gib, None, None);
            let billed = ctx.billed.get(volume_id);
            let (current, current_source) = match (billed, &list) {
                (Some(b), _) => (b.monthly, ctx.billed.source()),
                (None, Some(l)) => (l.total, l.source.clone()),
                (None, None) => {
                    tracing::warn!(volume_id, region, "no gp2 price and not in the CUR; skipped");
                    continue;
                }
            };
            // Rounded to 1/100 cent: free of float noise (`0.3999…`) in reports and JSON.
            let savings = stable(current - gp3.total);
            if savings <= 0.0 {
                continue;
            }

            let mut evidence = vec![
                Evidence::text("volume type", "gp2"),
                Evidence::text("state", state.get(i).unwrap_or("unknown")),
                Evidence::quantity("size", gib, "GiB"),
                Evidence::quantity("gp2 baseline IOPS (3 per GiB, 100 to 16,000)", gp2_baseline_iops(gib), "IOPS"),
            ];
            if size_gib < GP2_BURST_IOPS_BELOW_GIB {
                evidence.push(Evidence::quantity("gp2 burst IOPS (on credits)", 3_000.0, "IOPS"));
            }
            evidence.push(Evidence::text("gp2 throughput", gp2_throughput_text(size_gib)));
            match billed {
                Some(b) => {
                    evidence.push(Evidence::monthly("gp2 cost now (CUR, billed)", b.monthly));
                    if let Some(l) = &list {
                        evidence.push(Evidence::monthly("gp2 cost at list price", l.total));
                    }
                }
                None => evidence.push(Evidence::monthly("gp2 cost now (price book)", current)),
            }
            evidence.extend([
                Evidence::quantity("gp3 IOPS to provision (3,000 included)", target.iops, "IOPS"),
                Evidence::quantity(
                    "gp3 throughput to provision (125 MiB/s included)",
                    target.throughput_mibps,
                    "MiB/s",
                ),
                Evidence::monthly("gp3 storage cost", gp3.storage),
            ]);
            if gp3.iops > 0.0 {
                evidence.push(Evidence::monthly("gp3 IOPS cost (above 3,000)", gp3.iops));
            }
            if gp3.throughput > 0.0 {
                evidence.push(Evidence::monthly("gp3 throughput cost (above 125 MiB/s)", gp3.throughput));
            }
            evidence.extend([
                Evidence::monthly("gp3 cost", gp3.total),
                Evidence::text("gp3 rates", gp3.source.to_string()),
                Evidence::percent("cheaper as gp3", savings / current * 100.0),
                Evidence::text(
                    "modification",
                    "online (Elastic Volumes): no detach or restart; a volume can be modified again only after 6 hours",
                ),
            ]);
            if let Some(instance) = attached.get(i) {
                evidence.push(Evidence::text("attached to", instance));
            }

            findings.push(Finding {
                rule: Self::ID.into(),
                category: Self::CATEGORY,
                account_id: account.into(),
                region: Some(region.into()),
                resource_type: "ebs-volume".into(),
                resource_id: volume_id.into(),
                resource_name: name.get(i).map(str::to_owned),
                title: format!(
                    "{size_gib} GiB gp2 volume costs less as gp3 ({} IOPS, {} MiB/s)",
                    target.iops, target.throughput_mibps
                ),
                evidence,
                monthly_cost: current,
                monthly_savings: savings,
                price_source: combined_source(&current_source, &gp3),
                confidence: Confidence::High,
                risk: Risk::NonDisruptive,
                remediation: remediation(region, volume_id, target),
                tags: parse_tags(tags.get(i)),
                covers: Vec::new(),
            });
        }
        Ok(findings.into())
    }
}

/// gp2's baseline IOPS for a size.
fn gp2_baseline_iops(size_gib: f64) -> f64 {
    (GP2_IOPS_PER_GIB * size_gib).clamp(GP2_MIN_IOPS, MAX_IOPS)
}

/// The gp3 configuration matching a gp2 volume's baseline performance.
fn gp3_equivalent(size_gib: i64, match_burst_throughput: bool) -> Gp3Sizing {
    let iops = (GP2_IOPS_PER_GIB * size_gib as f64).min(MAX_IOPS);
    let sustains_250 = size_gib >= GP2_SUSTAINED_250_FROM_GIB;
    let bursts_to_250 = size_gib > GP2_BURST_250_ABOVE_GIB;
    let throughput =
        if sustains_250 || (match_burst_throughput && bursts_to_250) { GP2_MAX_THROUGHPUT_MIBPS } else { 0.0 };
    gp3_sizing(iops, throughput)
}

fn gp2_throughput_text(size_gib: i64) -> String {
    if size_gib >= GP2_SUSTAINED_250_FROM_GIB {
        format!("{GP2_MAX_THROUGHPUT_MIBPS} MiB/s sustained (334 GiB and larger)")
    } else if size_gib > GP2_BURST_250_ABOVE_GIB {
        format!(
            "up to {GP2_MAX_THROUGHPUT_MIBPS} MiB/s only while burst credits last (171 to 333 GiB); gp3 includes 125 MiB/s"
        )
    } else {
        format!("at most {GP2_SMALL_THROUGHPUT_MIBPS} MiB/s (170 GiB and smaller); gp3 includes 125 MiB/s")
    }
}

/// The finding's price source: the current cost's, naming the gp3 rates' too.
fn combined_source(current: &PriceSource, gp3: &EbsMonthlyCost) -> PriceSource {
    let origin =
        if current.origin == PriceOrigin::Billed { PriceOrigin::Billed } else { current.origin.max(gp3.source.origin) };
    PriceSource { origin, detail: format!("gp2 cost: {current}; gp3 cost: {}", gp3.source) }
}

fn remediation(region: &str, volume_id: &str, target: Gp3Sizing) -> Remediation {
    let (iops, throughput) = (target.iops, target.throughput_mibps);
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Change {volume_id} to gp3 with {iops} IOPS and {throughput} MiB/s, online; the volume can be modified again after 6 hours."
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
            "# aws_ebs_volume for {volume_id} (or the root_block_device / ebs_block_device of its aws_instance or launch template):\ntype       = \"gp3\"   # volume_type in block devices\niops       = {iops}\nthroughput = {throughput}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gp3_equivalent_matches_the_gp2_baseline() {
        let small = gp3_equivalent(20, false);
        assert_eq!((small.iops, small.throughput_mibps), (3000.0, 125.0));
        let mid = gp3_equivalent(300, false);
        assert_eq!((mid.iops, mid.throughput_mibps), (3000.0, 125.0));
        let mid_burst = gp3_equivalent(300, true);
        assert_eq!((mid_burst.iops, mid_burst.throughput_mibps), (3000.0, 250.0));
        assert_eq!(gp3_equivalent(170, true).throughput_mibps, 125.0, "170 GiB does not burst to 250");
        assert_eq!(gp3_equivalent(334, false).throughput_mibps, 250.0);
        assert_eq!(gp3_equivalent(2000, false).iops, 6000.0);
        assert_eq!(gp3_equivalent(8000, false).iops, 16_000.0);
        assert_eq!(gp2_baseline_iops(20.0), 100.0);
        assert_eq!(gp2_baseline_iops(8000.0), 16_000.0);
    }
}
