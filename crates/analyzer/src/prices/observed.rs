//! Learning public on-demand rates from the customer's own CUR.
//!
//! The CUR carries `pricing_public_on_demand_rate` on every usage line, for
//! the exact region the customer runs in. Those rates beat any catalog we
//! ship, and comparing them to the catalog gives each region's price ratio.

use std::collections::HashMap;

use polars::prelude::*;

use super::ObservedRates;
use crate::error::{PolarsResultExt, Result};
use crate::{Dataset, Table};

/// Usage-type suffixes (after the region prefix) that map onto catalog keys.
const USAGE_TYPE_KEYS: &[(&str, &str)] = &[
    ("EBS:VolumeUsage.gp3", "ebs.gp3_gb_month"),
    ("EBS:VolumeUsage.gp2", "ebs.gp2_gb_month"),
    ("EBS:VolumeUsage.piops", "ebs.io1_gb_month"),
    ("EBS:VolumeUsage.io2", "ebs.io2_gb_month"),
    ("EBS:VolumeUsage.st1", "ebs.st1_gb_month"),
    ("EBS:VolumeUsage.sc1", "ebs.sc1_gb_month"),
    ("EBS:VolumeUsage", "ebs.standard_gb_month"),
    ("EBS:VolumeP-IOPS.piops", "ebs.io1_iops_month"),
    ("EBS:VolumeP-IOPS.io2", "ebs.io2_iops_month_first_32000"),
    ("EBS:VolumeP-IOPS.gp3", "ebs.gp3_iops_month_above_3000"),
    ("EBS:VolumeP-Throughput.gp3", "ebs.gp3_mbps_month_above_125"),
    ("EBS:SnapshotUsage", "ebs.snapshot_standard_gb_month"),
    ("EBS:SnapshotArchiveStorage", "ebs.snapshot_archive_gb_month"),
    ("NatGateway-Hours", "ec2_network.nat_gateway_hour"),
    ("NatGateway-Bytes", "ec2_network.nat_gateway_gb_processed"),
    ("PublicIPv4:IdleAddress", "ec2_network.public_ipv4_hour"),
    ("PublicIPv4:InUseAddress", "ec2_network.public_ipv4_hour"),
    ("LoadBalancerUsage", "ec2_network.alb_hour"),
    ("TimedStorage-ByteHrs", "s3.storage_gb_month.standard_first_50tb"),
    ("TimedStorage-SIA-ByteHrs", "s3.storage_gb_month.standard_ia"),
    ("TimedStorage-ZIA-ByteHrs", "s3.storage_gb_month.onezone_ia"),
    ("TimedStorage-GIR-ByteHrs", "s3.storage_gb_month.glacier_ir"),
    ("TimedStorage-GlacierByteHrs", "s3.storage_gb_month.glacier_flexible"),
    ("TimedStorage-GDA-ByteHrs", "s3.storage_gb_month.deep_archive"),
];

/// Strips the CUR region prefix (`USW2-`, `EUW1-`, `EU-`) from a usage type.
///
/// us-east-1 usage types carry no prefix.
pub(crate) fn strip_region_prefix(usage_type: &str) -> &str {
    match usage_type.split_once('-') {
        Some((prefix, rest))
            if (2..=5).contains(&prefix.len())
                && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !rest.is_empty() =>
        {
            rest
        }
        _ => usage_type,
    }
}

/// Collects median public on-demand rates per region and key from the `costs` table.
///
/// EC2 instance rates come from Linux, shared-tenancy `BoxUsage` lines only,
/// so Windows or dedicated rates never leak into Linux estimates.
pub fn observe_cur_rates(dataset: &Dataset) -> Result<ObservedRates> {
    let Some(costs) = dataset.table(Table::Costs) else {
        return Ok(ObservedRates::default());
    };
    let grouped = costs
        .filter(
            col("public_on_demand_rate")
                .gt(lit(0.0))
                .and(col("region").is_not_null())
                .and(col("usage_type").is_not_null())
                .and(
                    col("line_item_type").is_in(
                        lit(Series::new("t".into(), ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"]))
                            .implode(false),
                        false,
                    ),
                ),
        )
        .group_by([col("region"), col("usage_type"), col("instance_type"), col("operating_system"), col("tenancy")])
        .agg([col("public_on_demand_rate").median().alias("rate")])
        .collect()
        .during(|| "observing public on-demand rates in the CUR".into())?;

    let mut samples: HashMap<(String, String), Vec<f64>> = HashMap::new();
    let region = grouped.column("region").and_then(|c| c.str().cloned()).during(|| "rates".into())?;
    let usage = grouped.column("usage_type").and_then(|c| c.str().cloned()).during(|| "rates".into())?;
    let itype = grouped.column("instance_type").and_then(|c| c.str().cloned()).during(|| "rates".into())?;
    let os = grouped.column("operating_system").and_then(|c| c.str().cloned()).during(|| "rates".into())?;
    let tenancy = grouped.column("tenancy").and_then(|c| c.str().cloned()).during(|| "rates".into())?;
    let rate = grouped.column("rate").and_then(|c| c.f64().cloned()).during(|| "rates".into())?;
    for i in 0..grouped.height() {
        let (Some(region), Some(usage_type), Some(rate)) = (region.get(i), usage.get(i), rate.get(i)) else {
            continue;
        };
        let suffix = strip_region_prefix(usage_type);
        let key = if suffix.starts_with("BoxUsage") {
            let linux = os.get(i).is_none_or(|o| o.eq_ignore_ascii_case("linux"));
            let shared = tenancy.get(i).is_none_or(|t| t.eq_ignore_ascii_case("shared"));
            let instance_type = itype.get(i).or_else(|| suffix.split_once(':').map(|(_, t)| t));
            match instance_type {
                Some(t) if linux && shared => format!("ec2:{t}"),
                _ => continue,
            }
        } else if let Some((_, key)) = USAGE_TYPE_KEYS.iter().find(|(ut, _)| *ut == suffix) {
            (*key).to_owned()
        } else {
            continue;
        };
        samples.entry((region.to_owned(), key)).or_default().push(rate);
    }
    let rates = samples
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by(f64::total_cmp);
            (k, v[v.len() / 2])
        })
        .collect();
    Ok(ObservedRates { rates })
}

#[cfg(test)]
mod tests {
    use super::strip_region_prefix;

    #[test]
    fn region_prefixes_are_stripped_only_when_present() {
        assert_eq!(strip_region_prefix("USW2-BoxUsage:m5.large"), "BoxUsage:m5.large");
        assert_eq!(strip_region_prefix("EU-EBS:VolumeUsage.gp2"), "EBS:VolumeUsage.gp2");
        assert_eq!(strip_region_prefix("BoxUsage:m5.large"), "BoxUsage:m5.large");
        assert_eq!(strip_region_prefix("NatGateway-Hours"), "NatGateway-Hours");
        assert_eq!(strip_region_prefix("EUW1-NatGateway-Hours"), "NatGateway-Hours");
    }
}
