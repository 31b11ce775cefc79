//! Instances on previous-generation types that a current-generation type of the same size runs for less.
//!
//! ## What it finds
//! Running instances of a previous-generation family for which the family's
//! successor offers a size with at least the same vCPUs and memory, the same
//! architecture and GPUs, at a lower on-demand price in the instance's
//! region. The families and their successors: t1, t2 → t3; m1, m3, m4 → m5;
//! c1, c3, c4 → c5; m2, r3, r4 → r5; i2 → i3; d2 → d3.
//!
//! The successor stays in the same class (burstable to burstable, compute to
//! compute) and on Intel x86, so nothing but the type changes; AMD (`t3a`,
//! `m5a`) and Graviton types can save more but change the processor, and are
//! left to the rightsizing rules. When several sizes of the successor
//! qualify, the cheapest in the region wins (c4.8xlarge's 36 vCPUs need
//! c5.9xlarge). This list, not the catalog's `current_generation` flag,
//! decides what is "previous": the flag in the bundled `DescribeInstanceTypes`
//! data marks t2 as current and m5, c5 and r5 — the successors themselves —
//! as previous, so it cannot decide.
//!
//! Stopped instances are left to `stopped-instance`. Instances whose price
//! the price book cannot give — Windows and other licensed platforms (their
//! per-vCPU licence fees change with the type), dedicated tenancy, Spot —
//! are listed under "not enough data". Members of an Auto Scaling group are
//! reported per instance, with a remediation that changes the group's launch
//! template instead of the instance.
//!
//! ## Why it costs money
//! AWS prices each generation below the one it replaces for the same or
//! better hardware: m5.large costs 4% less than m4.large, c5.large 15% less
//! than c4.large, t3.micro 10% less than t2.micro — and is faster. Older
//! generations also run on the Xen hypervisor, without the Nitro system's
//! network and EBS performance.
//!
//! ## How savings are estimated
//! (current type's on-demand $/hour − successor's on-demand $/hour) × 730
//! hours, both from the price book for the instance's region (the CUR's own
//! rate when it bills that type there, else the catalog scaled by the
//! region's observed ratio). A successor at the same price is a performance
//! gain, not a saving: costwise reports dollars, so such instances (and any
//! whose move would save less than `min-monthly-savings`) are not flagged
//! (m3.medium's successor, m5.large, costs more: not flagged).
//!
//! The finding's monthly cost is the instance's amortized cost in the CUR when
//! the CUR bills it, else its on-demand rate × 730. When the CUR shows the
//! instance billed well below on-demand (under 90%), a reservation or savings
//! plan covers it: the evidence says so and confidence drops to low, because
//! the on-demand difference is not what you would save: a standard
//! reservation for m4 does not cover m5 (re-plan it first), and under a
//! savings plan the saving is the discounted difference.
//!
//! Changing the type needs a stop and start (risk: change window). Nitro
//! successors need the ENA and NVMe drivers in the operating system, and
//! paravirtual (PV) AMIs cannot move at all; the remediation starts with the
//! checks. Families with instance-store disks (m1, m2, m3, c1, c3, r3, i2, d2)
//! lose that data on stop, so their risk is "needs testing".
//!
//! ## Settings
//! - `min-monthly-savings` (default 0.01): the smallest monthly saving per
//!   instance, in dollars, worth reporting. The default drops only price
//!   ties; raise it to hide the cent-sized moves of the smallest burstables.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{strings, times};
use super::ec2_resize::{AutoScalingGroups, GroupTypeChange, InPlaceResize};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::Table;
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::{InstanceSpec, Price, PriceBook, catalog, family_of};
use crate::spend::stable;

/// Default for `min-monthly-savings`.
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 0.01;

/// Billed under this share of on-demand, an instance is taken to be covered
/// by a reservation or savings plan.
const COMMITMENT_COVERED_BELOW: f64 = 0.9;

/// Previous-generation family → its same-class, same-processor successor.
const SUCCESSORS: [(&str, &str); 13] = [
    ("t1", "t3"),
    ("t2", "t3"),
    ("m1", "m5"),
    ("m2", "r5"),
    ("m3", "m5"),
    ("m4", "m5"),
    ("c1", "c5"),
    ("c3", "c5"),
    ("c4", "c5"),
    ("r3", "r5"),
    ("r4", "r5"),
    ("i2", "i3"),
    ("d2", "d3"),
];

/// Previous-generation families whose instances come with instance-store disks.
const INSTANCE_STORE_FAMILIES: [&str; 8] = ["m1", "m2", "m3", "c1", "c3", "r3", "i2", "d2"];

/// The successor family of a previous-generation family (`m5` for `m4`).
pub fn successor_family(family: &str) -> Option<&'static str> {
    SUCCESSORS.iter().find(|(from, _)| *from == family).map(|(_, to)| *to)
}

/// The rule.
pub struct PreviousGenerationInstance;

/// User options under `[rules.previous-generation-instance]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Smallest monthly saving per instance worth reporting, in dollars.
    pub min_monthly_savings: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Smallest monthly saving per instance worth reporting, in dollars.
    pub min_monthly_savings: f64,
}

impl Rule for PreviousGenerationInstance {
    const ID: &'static str = "previous-generation-instance";
    const CATEGORY: Category = Category::Rightsizing;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let min_monthly_savings = options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS);
        if !min_monthly_savings.is_finite() || min_monthly_savings < 0.0 {
            return Err(format!(
                "`min-monthly-savings` must be a non-negative number of dollars, got {min_monthly_savings}"
            ));
        }
        Ok(Settings { min_monthly_savings })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(instances) = ctx.dataset.table(Table::Instances) else {
            return Ok(RuleOutput::default());
        };
        let context = "previous-generation-instance: instances";
        let running = instances
            .filter(col("state").eq(lit("running")))
            .collect()
            .during(|| format!("{context}: reading running instances"))?;
        let account = strings(&running, "account_id", context)?;
        let region = strings(&running, "region", context)?;
        let id = strings(&running, "instance_id", context)?;
        let name = strings(&running, "name", context)?;
        let itype = strings(&running, "instance_type", context)?;
        let platform = strings(&running, "platform", context)?;
        let architecture = strings(&running, "architecture", context)?;
        let tenancy = strings(&running, "tenancy", context)?;
        let lifecycle = strings(&running, "lifecycle", context)?;
        let asg = strings(&running, "auto_scaling_group", context)?;
        let tags = strings(&running, "tags", context)?;
        let launched = times(&running, "launch_time", context)?;
        let groups = AutoScalingGroups::load(ctx.dataset, Self::ID)?;

        let hours = ctx.prices.hours_per_month();
        let mut output = RuleOutput::default();
        for i in 0..running.height() {
            let (Some(account), Some(region), Some(instance_id), Some(instance_type)) =
                (account.get(i), region.get(i), id.get(i), itype.get(i))
            else {
                continue;
            };
            let family = family_of(instance_type);
            let Some(successor) = successor_family(family) else { continue };
            let Some(spec) = ctx.prices.instance_spec(instance_type) else {
                tracing::warn!(instance_id, instance_type, "previous-generation type not in the catalog; skipped");
                continue;
            };
            let skip = |reason: String| NotEnoughData {
                account_id: account.to_owned(),
                region: Some(region.to_owned()),
                resource_id: instance_id.to_owned(),
                reason,
            };
            if let Some(reason) = unpriced_reason(platform.get(i), tenancy.get(i), lifecycle.get(i), instance_type) {
                output.not_enough_data.push(skip(reason));
                continue;
            }
            let Some(current) = ctx.prices.ec2_on_demand_hourly(region, instance_type) else {
                output.not_enough_data.push(skip(format!("no on-demand price for {instance_type} in {region}")));
                continue;
            };
            let arch = architecture.get(i).unwrap_or_else(|| default_architecture(spec));
            let Some((target, target_price)) = cheapest_successor(ctx.prices, region, spec, arch, successor) else {
                tracing::debug!(instance_id, instance_type, successor, "no successor size fits; not flagged");
                continue;
            };
            let savings = stable((current.value - target_price.value) * hours);
            if savings <= 0.0 || savings < settings.min_monthly_savings {
                continue;
            }

            let on_demand_monthly = current.value * hours;
            let billed = ctx.billed.get(instance_id);
            let monthly_cost = stable(billed.map_or(on_demand_monthly, |b| b.monthly));
            let mut evidence = vec![
                Evidence::text("instance type", describe(spec, "previous generation")),
                Evidence::text("successor", describe(target, &format!("successor of the {family} family"))),
                Evidence::text("architecture", arch),
                Evidence::hourly(format!("on-demand rate, {instance_type}"), current.value),
                Evidence::hourly(format!("on-demand rate, {}", target.instance_type), target_price.value),
                Evidence::monthly("on-demand difference × 730 h", savings),
                Evidence::monthly("monthly cost", monthly_cost),
            ];
            let mut confidence = Confidence::High;
            match billed {
                Some(b) => {
                    evidence.push(Evidence::text(
                        "monthly cost basis",
                        format!("amortized cost billed in the CUR ({})", ctx.billed.source().detail),
                    ));
                    let reference =
                        if b.monthly_public_on_demand > 0.0 { b.monthly_public_on_demand } else { on_demand_monthly };
                    if reference > 0.0 && b.monthly < COMMITMENT_COVERED_BELOW * reference {
                        confidence = Confidence::Low;
                        evidence.push(Evidence::percent("billed share of on-demand", b.monthly / reference * 100.0));
                        evidence.push(Evidence::text(
                            "commitment",
                            format!(
                                "billed well below on-demand: a reservation or savings plan covers this instance. A standard reservation for {family} will not cover {successor}: re-plan it first. A savings plan moves with the instance, and the saving is then the discounted difference"
                            ),
                        ));
                    }
                }
                None => evidence.push(Evidence::text(
                    "monthly cost basis",
                    format!("on-demand rate × {hours} h (the CUR does not bill this instance by id)"),
                )),
            }
            let instance_store = INSTANCE_STORE_FAMILIES.contains(&family);
            if instance_store {
                evidence.push(Evidence::text(
                    "instance store",
                    format!("{family} comes with instance-store disks: their data is lost when the instance stops"),
                ));
            }
            let group = asg.get(i);
            if let Some(group) = group {
                evidence.push(Evidence::text("Auto Scaling group", group));
            }
            if let Some(launch) = launched.get(i).copied().flatten() {
                evidence.push(Evidence::text("launched", launch.format("%Y-%m-%d %H:%M UTC").to_string()));
            }

            output.findings.push(Finding {
                rule: Self::ID.into(),
                category: Self::CATEGORY,
                account_id: account.into(),
                region: Some(region.into()),
                resource_type: "ec2-instance".into(),
                resource_id: instance_id.into(),
                resource_name: name.get(i).map(str::to_owned),
                title: format!(
                    "{instance_type} is previous generation: {} (at least the same vCPU and memory) costs ${savings:.2}/month less",
                    target.instance_type
                ),
                evidence,
                monthly_cost,
                monthly_savings: savings,
                price_source: current.source.weakest(target_price.source),
                confidence,
                risk: if instance_store { Risk::NeedsTesting } else { Risk::ChangeWindow },
                remediation: match group {
                    Some(group) => group_remediation(&GroupTypeChange {
                        region,
                        group,
                        source: groups.as_ref().and_then(|g| g.get(account, region, group)),
                        to: &target.instance_type,
                        arm64_image: false,
                    }),
                    None => remediation(region, instance_id, instance_type, &target.instance_type, instance_store),
                },
                tags: parse_tags(tags.get(i)),
                covers: Vec::new(),
            });
        }
        Ok(output)
    }
}

/// Why the price book cannot price a type change for this instance, if it cannot.
fn unpriced_reason(
    platform: Option<&str>,
    tenancy: Option<&str>,
    lifecycle: Option<&str>,
    instance_type: &str,
) -> Option<String> {
    if let Some(platform) = platform.filter(|p| !p.starts_with("Linux/UNIX") && *p != "Linux") {
        return Some(format!(
            "runs {platform}: the price book has Linux on-demand rates only, and licence fees change with the type's vCPU count; compare {instance_type} with its successor in the price list"
        ));
    }
    if let Some(tenancy) = tenancy.filter(|t| *t != "default") {
        return Some(format!("{tenancy} tenancy: the price book has shared-tenancy rates only"));
    }
    if lifecycle == Some("spot") {
        return Some("Spot instance: Spot prices are not in the price book".into());
    }
    None
}

/// The architecture to match when the inventory does not say: x86_64 when the type supports it.
fn default_architecture(spec: &InstanceSpec) -> &str {
    if spec.architectures.iter().any(|a| a == "x86_64") {
        "x86_64"
    } else {
        spec.architectures.first().map_or("x86_64", String::as_str)
    }
}

/// The cheapest size of `family` in `region` with at least `source`'s vCPUs,
/// memory and GPUs, supporting `arch` (bare-metal sizes excluded).
fn cheapest_successor(
    prices: &PriceBook,
    region: &str,
    source: &InstanceSpec,
    arch: &str,
    family: &str,
) -> Option<(&'static InstanceSpec, Price)> {
    catalog()
        .instances
        .values()
        .filter(|t| {
            t.family() == family
                && !t.instance_type.rsplit_once('.').is_some_and(|(_, size)| size.starts_with("metal"))
                && t.vcpus >= source.vcpus
                && t.memory_mib >= source.memory_mib
                && t.gpus >= source.gpus
                && t.architectures.iter().any(|a| a == arch)
        })
        .filter_map(|t| prices.ec2_on_demand_hourly(region, &t.instance_type).map(|p| (t, p)))
        .min_by(|(a, pa), (b, pb)| {
            pa.value
                .total_cmp(&pb.value)
                .then(a.vcpus.cmp(&b.vcpus))
                .then(a.memory_mib.cmp(&b.memory_mib))
                .then_with(|| a.instance_type.cmp(&b.instance_type))
        })
}

fn describe(spec: &InstanceSpec, what: &str) -> String {
    format!("{}: {} vCPU, {} GiB memory ({what})", spec.instance_type, spec.vcpus, spec.memory_gib())
}

/// Changing the instance's type in place.
fn remediation(region: &str, instance_id: &str, from: &str, to: &str, instance_store: bool) -> Remediation {
    // Every previous generation this rule handles runs on Xen, every successor on Nitro.
    let resize = InPlaceResize {
        region,
        instance_id,
        from,
        to,
        to_nitro: true,
        instance_store,
        burstable_target: catalog().instances.get(to).is_some_and(|spec| spec.burstable),
    };
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "In a change window, check the instance is ready for {to} (HVM, ENA and NVMe drivers), stop it, change its type from {from} to {to} and start it."
        ),
        cli: resize.commands(),
        terraform: Some(resize.terraform()),
    }
}

fn group_remediation(change: &GroupTypeChange<'_>) -> Remediation {
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "The instance belongs to Auto Scaling group {}: after checking its AMI has the ENA and NVMe drivers, {}.",
            change.group,
            change.how()
        ),
        cli: change.commands(),
        terraform: Some(change.terraform()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_successor_family_is_in_the_catalog_with_prices() {
        for (from, to) in SUCCESSORS {
            for family in [from, to] {
                let priced = catalog()
                    .instances
                    .values()
                    .any(|t| t.family() == family && catalog().on_demand_hourly.contains_key(&t.instance_type));
                assert!(priced, "family {family} has a priced type in the catalog");
            }
        }
    }

    #[test]
    fn the_successor_is_the_cheapest_size_that_fits() {
        let book = PriceBook::catalog_only();
        let pick = |t: &str| {
            let spec = book.instance_spec(t).unwrap();
            let family = successor_family(family_of(t)).unwrap();
            cheapest_successor(&book, "us-east-1", spec, default_architecture(spec), family)
                .map(|(s, p)| (s.instance_type.clone(), p.value))
        };
        assert_eq!(pick("m4.large"), Some(("m5.large".into(), 0.096)));
        assert_eq!(pick("c4.large"), Some(("c5.large".into(), 0.085)), "3.75 GiB fits in c5.large's 4 GiB");
        assert_eq!(pick("t2.micro"), Some(("t3.micro".into(), 0.0104)), "t3.nano has too little memory");
        assert_eq!(pick("c4.8xlarge"), Some(("c5.9xlarge".into(), 1.53)), "36 vCPUs need c5.9xlarge");
        assert_eq!(pick("m3.medium"), Some(("m5.large".into(), 0.096)), "the fit costs more; the rule drops it");
        assert_eq!(pick("d2.8xlarge"), None, "no d3 size has 36 vCPUs");
    }

    #[test]
    fn only_linux_shared_on_demand_instances_are_priced() {
        assert_eq!(unpriced_reason(None, None, None, "m4.large"), None);
        assert_eq!(unpriced_reason(Some("Linux/UNIX"), Some("default"), Some("on-demand"), "m4.large"), None);
        assert!(unpriced_reason(Some("Windows"), None, None, "m4.large").unwrap().contains("runs Windows"));
        assert!(unpriced_reason(None, Some("dedicated"), None, "m4.large").unwrap().contains("dedicated tenancy"));
        assert!(unpriced_reason(None, None, Some("spot"), "m4.large").unwrap().contains("Spot"));
    }
}
