//! EC2 instances stopped for weeks, still billing their EBS volumes and Elastic IPs.
//!
//! ## What it finds
//! Instances in state `stopped` for at least `min-days-stopped` days as of
//! the snapshot. When the instance stopped comes from the best evidence
//! available, strongest first:
//!
//! 1. the time in its state transition reason
//!    (`User initiated (2026-07-14 17:00:00 GMT)`): high confidence;
//! 2. else the end of the last hour the CUR billed it compute (`BoxUsage`,
//!    `SpotUsage`, `DedicatedUsage` under the instance id): medium confidence;
//! 3. else, when the CUR carries instance ids for the account but billed this
//!    instance no compute at all, the start of the billing data (it has been
//!    stopped at least that long): low confidence.
//!
//! With none of these the instance is listed under "not enough data". So is
//! an instance whose EBS volumes cannot be found (no `volumes` table, or no
//! volume attached to it: an EBS-backed instance always has a root volume).
//! Members of an Auto Scaling group are not reported: a stopped member is a
//! warm-pool instance kept stopped on purpose, and terminating it would only
//! make the group launch another.
//!
//! ## Why it costs money
//! A stopped instance bills no compute, but everything it holds still bills:
//! every attached EBS volume (GB-months, provisioned IOPS and throughput) and
//! every Elastic IP (public IPv4 is charged hourly whether or not the
//! instance runs). Instances stopped "for now" after a test or a migration
//! are typically forgotten for months.
//!
//! ## How savings are estimated
//! The sum of what it holds: each attached volume at its CUR amortized cost
//! (billed under the volume id), else at the price book's rate for its type,
//! size, IOPS and throughput; plus each associated Elastic IP at its CUR cost
//! (billed under the public IP), else the public IPv4 hourly rate × 730. The
//! finding covers those volumes and addresses, so another finding about them
//! is not counted twice. What the compute would cost if the instance were
//! started again (Linux on-demand × 730) is shown but not counted, and so is
//! the most the final image's snapshots can cost (volume sizes × the
//! standard snapshot rate; snapshots store only used blocks, so less).
//!
//! Terminating after creating an image (AMI) affects nothing running and the
//! image restores the instance, so the risk is non-disruptive. An instance
//! holding an Elastic IP needs a change window instead: releasing the
//! address is irreversible, and DNS records or allow-lists may name it.
//!
//! ## Settings
//! - `min-days-stopped` (default 30, as AWS Config's `ec2-stopped-instance`):
//!   minimum days stopped before an instance is reported. Instances stopped
//!   for a weekend or a maintenance window are not waste.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{strings, times};
use super::idle_elastic_ip::{address_monthly, release_command};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::PriceSource;
use crate::{Dataset, Table};

/// Default for `min-days-stopped`.
pub const DEFAULT_MIN_DAYS_STOPPED: u32 = 30;

/// Usage-type fragments of instance compute hours.
const COMPUTE_USAGE: [&str; 3] = ["BoxUsage", "SpotUsage", "DedicatedUsage"];

/// The rule.
pub struct StoppedInstance;

/// User options under `[rules.stopped-instance]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Minimum days stopped.
    pub min_days_stopped: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Minimum days stopped.
    pub min_days_stopped: u32,
}

impl Rule for StoppedInstance {
    const ID: &'static str = "stopped-instance";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        Ok(Settings { min_days_stopped: options.min_days_stopped.unwrap_or(DEFAULT_MIN_DAYS_STOPPED) })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(instances) = ctx.dataset.table(Table::Instances) else {
            return Ok(RuleOutput::default());
        };
        let context = "stopped-instance: instances";
        let stopped = instances
            .filter(col("state").eq(lit("stopped")).and(col("auto_scaling_group").is_null()))
            .collect()
            .during(|| context.into())?;
        if stopped.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let account = strings(&stopped, "account_id", context)?;
        let region = strings(&stopped, "region", context)?;
        let id = strings(&stopped, "instance_id", context)?;
        let name = strings(&stopped, "name", context)?;
        let instance_type = strings(&stopped, "instance_type", context)?;
        let platform = strings(&stopped, "platform", context)?;
        let root = strings(&stopped, "root_volume_id", context)?;
        let tags = strings(&stopped, "tags", context)?;
        let changed = times(&stopped, "state_changed_at", context)?;

        let ids = stopped.column("instance_id").during(|| context.into())?.as_materialized_series().clone();
        let volumes = Attached::volumes(ctx.dataset, &ids)?;
        let addresses = Attached::addresses(ctx.dataset, &ids)?;
        let compute = if changed.iter().any(Option::is_none) {
            ComputeHistory::load(ctx.dataset, &ids)?
        } else {
            ComputeHistory::default()
        };
        let as_of = ctx.dataset.as_of();
        let min_days = f64::from(settings.min_days_stopped);

        let mut output = RuleOutput::default();
        for i in 0..stopped.height() {
            let (Some(account), Some(region), Some(instance_id), Some(instance_type)) =
                (account.get(i), region.get(i), id.get(i), instance_type.get(i))
            else {
                continue;
            };
            let skip = |reason: String| NotEnoughData {
                account_id: account.into(),
                region: Some(region.into()),
                resource_id: instance_id.into(),
                reason,
            };
            let (since, basis) = match changed.get(i).copied().flatten() {
                Some(t) => (t, Basis::Recorded),
                None => match compute.stop_evidence(account, instance_id) {
                    Ok(evidence) => evidence,
                    Err(reason) => {
                        output.not_enough_data.push(skip(reason));
                        continue;
                    }
                },
            };
            let days = (as_of - since).num_seconds() as f64 / 86_400.0;
            if days < min_days {
                if basis == Basis::NoComputeBilled {
                    output.not_enough_data.push(skip(format!(
                        "stop time not recorded, and the {} days of billing data without compute for it are fewer than min-days-stopped ({})",
                        days.floor(),
                        settings.min_days_stopped
                    )));
                }
                continue;
            }
            let Some(volumes) = &volumes else {
                output.not_enough_data.push(skip(
                    "the snapshot has no volumes table, so the EBS volumes it still pays for cannot be priced".into(),
                ));
                continue;
            };
            let attached = volumes.of(account, instance_id);
            if attached.is_empty() {
                output.not_enough_data.push(skip(
                    "no EBS volume attached to it in the volumes table (an EBS-backed instance always has a root volume): the inventory looks incomplete"
                        .into(),
                ));
                continue;
            }

            let mut evidence = vec![
                Evidence::text("state", "stopped"),
                Evidence::quantity(basis.label(), days.floor(), "days"),
                Evidence::quantity("minimum days stopped", min_days, "days"),
                Evidence::text(
                    "stopped since",
                    format!("{} ({})", since.format("%Y-%m-%d %H:%M UTC"), basis.describe()),
                ),
                Evidence::text("instance type", instance_type),
            ];
            let mut held = Held::default();
            let root_volume = root.get(i);
            let mut snapshot_gib = 0.0;
            // The root volume first, then by id.
            let mut attached = attached.to_vec();
            attached.sort_by_key(|&row| volumes_row(volumes, row).is_none_or(|v| root_volume != Some(v.id)));
            for &row in &attached {
                let Some(volume) = volumes_row(volumes, row) else { continue };
                snapshot_gib += volume.size_gib as f64;
                let role = if root_volume == Some(volume.id) { ", root" } else { "" };
                let label = format!("EBS volume {} ({}, {} GiB{role})", volume.id, volume.kind, volume.size_gib);
                if let Some((monthly, source, billed)) = volume_monthly(ctx, region, &volume) {
                    evidence.push(Evidence::monthly(
                        format!("{label}, {}", if billed { "billed" } else { "list price" }),
                        monthly,
                    ));
                    held.add(volume.id, monthly, source, billed);
                } else {
                    tracing::warn!(volume_id = volume.id, volume_type = volume.kind, "no price for EBS volume type");
                    evidence.push(Evidence::text(label, "not priced: not billed by id and no rate for its type"));
                }
            }
            let mut eips = Vec::new();
            if let Some(addresses) = &addresses {
                for &row in addresses.of(account, instance_id) {
                    let Some((allocation_id, public_ip)) = address_row(addresses, row) else { continue };
                    let cost = address_monthly(ctx, region, public_ip, allocation_id);
                    evidence.push(Evidence::monthly(
                        format!(
                            "Elastic IP {public_ip} ({allocation_id}), {}",
                            if cost.billed { "billed" } else { "list price" }
                        ),
                        cost.monthly,
                    ));
                    held.add(allocation_id, cost.monthly, cost.source, cost.billed);
                    eips.push((allocation_id.to_owned(), public_ip.to_owned()));
                }
            } else {
                evidence.push(Evidence::text("Elastic IPs", "not checked: the snapshot has no addresses table"));
            }
            evidence.push(Evidence::text("cost basis", held.basis()));
            if let Some(price) = ctx.prices.ec2_on_demand_hourly(region, instance_type) {
                let label = match platform.get(i) {
                    Some(p) if !p.starts_with("Linux") => {
                        format!("compute if restarted ({p}; at the Linux on-demand rate, not counted)")
                    }
                    _ => "compute if restarted (Linux on-demand, not counted)".to_owned(),
                };
                evidence.push(Evidence::monthly(label, price.value * ctx.prices.hours_per_month()));
            }
            let snapshot_rate =
                ctx.prices.list_price(region, "ebs.snapshot_standard_gb_month").map_or(0.0, |p| p.value);
            evidence.push(Evidence::monthly(
                "final image snapshots, at most (standard tier)",
                snapshot_gib * snapshot_rate,
            ));

            let volume_ids: Vec<&str> =
                attached.iter().filter_map(|&row| volumes_row(volumes, row).map(|v| v.id)).collect();
            let volume_word = if volume_ids.len() == 1 { "EBS volume" } else { "EBS volumes" };
            let eip_text = match eips.len() {
                0 => String::new(),
                1 => " and 1 Elastic IP".to_owned(),
                n => format!(" and {n} Elastic IPs"),
            };
            let source = held.source(ctx);
            output.findings.push(Finding {
                rule: Self::ID.into(),
                category: Self::CATEGORY,
                account_id: account.into(),
                region: Some(region.into()),
                resource_type: "ec2-instance".into(),
                resource_id: instance_id.into(),
                resource_name: name.get(i).map(str::to_owned),
                title: format!(
                    "{instance_type} instance stopped for {} days, still paying for {} {volume_word}{eip_text}",
                    days.floor(),
                    volume_ids.len()
                ),
                evidence,
                monthly_cost: held.total,
                monthly_savings: held.total,
                price_source: source,
                confidence: basis.confidence(),
                risk: if eips.is_empty() { Risk::NonDisruptive } else { Risk::ChangeWindow },
                remediation: remediation(region, instance_id, as_of, &volume_ids, &eips),
                tags: parse_tags(tags.get(i)),
                covers: held.covers,
            });
        }
        Ok(output)
    }
}

/// How the stop time was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    /// The state transition reason's timestamp.
    Recorded,
    /// The end of the last hour of compute in the CUR.
    LastComputeBilled,
    /// No compute billed in the whole billing data: stopped at least since it starts.
    NoComputeBilled,
}

impl Basis {
    fn label(self) -> &'static str {
        match self {
            Basis::Recorded | Basis::LastComputeBilled => "days stopped",
            Basis::NoComputeBilled => "days stopped, at least",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Basis::Recorded => "state transition time",
            Basis::LastComputeBilled => "stop time not recorded; end of the last hour of compute billed in the CUR",
            Basis::NoComputeBilled => "stop time not recorded; no compute billed for it since the billing data starts",
        }
    }

    fn confidence(self) -> Confidence {
        match self {
            Basis::Recorded => Confidence::High,
            Basis::LastComputeBilled => Confidence::Medium,
            Basis::NoComputeBilled => Confidence::Low,
        }
    }
}

/// Compute hours billed per instance, for instances whose stop time is not recorded.
#[derive(Debug, Default)]
struct ComputeHistory {
    /// Billing data loaded at all.
    available: bool,
    /// End of the last compute hour billed, by (account, instance id).
    last: HashMap<(String, String), NaiveDateTime>,
    /// Accounts whose CUR bills compute under instance ids.
    accounts_with_ids: HashSet<String>,
    /// First billed hour, by account.
    start: HashMap<String, NaiveDateTime>,
}

impl ComputeHistory {
    fn load(dataset: &Dataset, ids: &Series) -> Result<Self, Error> {
        let Some(costs) = dataset.table(Table::Costs) else { return Ok(Self::default()) };
        let context = "stopped-instance: compute hours in the CUR";
        let billed = costs
            .clone()
            .filter(col("resource_id").str().starts_with(lit("i-")))
            .group_by([col("account_id"), col("resource_id"), col("usage_type")])
            .agg([col("usage_end").max().alias("last")])
            .collect()
            .during(|| context.into())?;
        let starts = costs
            .group_by([col("account_id")])
            .agg([col("usage_start").min().alias("start")])
            .collect()
            .during(|| context.into())?;

        let wanted: HashSet<&str> = ids.str().map(|s| s.iter().flatten().collect()).unwrap_or_default();
        let mut history = Self { available: true, ..Self::default() };
        let account = strings(&billed, "account_id", context)?;
        let resource = strings(&billed, "resource_id", context)?;
        let usage_type = strings(&billed, "usage_type", context)?;
        let last = times(&billed, "last", context)?;
        for (i, last) in last.into_iter().enumerate() {
            let (Some(account), Some(resource), Some(usage_type), Some(t)) =
                (account.get(i), resource.get(i), usage_type.get(i), last)
            else {
                continue;
            };
            if !COMPUTE_USAGE.iter().any(|fragment| usage_type.contains(fragment)) {
                continue;
            }
            history.accounts_with_ids.insert(account.to_owned());
            if wanted.contains(resource) {
                let entry = history.last.entry((account.to_owned(), resource.to_owned())).or_insert(t);
                *entry = (*entry).max(t);
            }
        }
        let account = strings(&starts, "account_id", context)?;
        let start = times(&starts, "start", context)?;
        for (i, start) in start.into_iter().enumerate() {
            if let (Some(account), Some(t)) = (account.get(i), start) {
                history.start.insert(account.to_owned(), t);
            }
        }
        Ok(history)
    }

    /// When the instance stopped according to the CUR, or why that cannot be told.
    fn stop_evidence(&self, account: &str, instance_id: &str) -> Result<(NaiveDateTime, Basis), String> {
        if let Some(t) = self.last.get(&(account.to_owned(), instance_id.to_owned())) {
            return Ok((*t, Basis::LastComputeBilled));
        }
        if !self.available {
            return Err("stop time unknown: no time in its state transition reason and no billing data".into());
        }
        match self.start.get(account) {
            Some(start) if self.accounts_with_ids.contains(account) => Ok((*start, Basis::NoComputeBilled)),
            _ => Err(
                "stop time unknown: no time in its state transition reason, and the CUR does not bill compute under instance ids for this account"
                    .into(),
            ),
        }
    }
}

/// Rows of a small inventory table, grouped by (account, instance id).
struct Attached {
    frame: DataFrame,
    by_instance: HashMap<(String, String), Vec<usize>>,
}

impl Attached {
    fn load(dataset: &Dataset, table: Table, column: &str, ids: &Series) -> Result<Option<Self>, Error> {
        let Some(frame) = dataset.table(table) else { return Ok(None) };
        let context = format!("stopped-instance: {table} of stopped instances");
        let frame = frame
            .filter(col(column).is_in(lit(ids.clone()).implode(false), false))
            .collect()
            .during(|| context.clone())?;
        let account = strings(&frame, "account_id", &context)?;
        let instance = strings(&frame, column, &context)?;
        let mut by_instance: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for i in 0..frame.height() {
            if let (Some(account), Some(instance)) = (account.get(i), instance.get(i)) {
                by_instance.entry((account.to_owned(), instance.to_owned())).or_default().push(i);
            }
        }
        Ok(Some(Self { frame, by_instance }))
    }

    fn volumes(dataset: &Dataset, ids: &Series) -> Result<Option<Self>, Error> {
        let mut attached = Self::load(dataset, Table::Volumes, "attached_instance_id", ids)?;
        if let Some(attached) = &mut attached {
            // By id: a stable evidence order.
            let volume_ids = strings(&attached.frame, "volume_id", "stopped-instance: volumes")?;
            for rows in attached.by_instance.values_mut() {
                rows.sort_by_key(|&r| volume_ids.get(r));
            }
        }
        Ok(attached)
    }

    fn addresses(dataset: &Dataset, ids: &Series) -> Result<Option<Self>, Error> {
        let mut attached = Self::load(dataset, Table::Addresses, "instance_id", ids)?;
        if let Some(attached) = &mut attached {
            let allocation = strings(&attached.frame, "allocation_id", "stopped-instance: addresses")?;
            for rows in attached.by_instance.values_mut() {
                rows.sort_by_key(|&r| allocation.get(r));
            }
        }
        Ok(attached)
    }

    fn of(&self, account: &str, instance_id: &str) -> &[usize] {
        self.by_instance.get(&(account.to_owned(), instance_id.to_owned())).map_or(&[], Vec::as_slice)
    }
}

/// One attached volume.
struct Volume<'a> {
    id: &'a str,
    kind: &'a str,
    size_gib: i64,
    iops: Option<i64>,
    throughput: Option<i64>,
}

fn volumes_row(volumes: &Attached, row: usize) -> Option<Volume<'_>> {
    let frame = &volumes.frame;
    let str_at = |name: &str| frame.column(name).ok()?.str().ok()?.get(row);
    let int_at = |name: &str| frame.column(name).ok()?.i64().ok()?.get(row);
    Some(Volume {
        id: str_at("volume_id")?,
        kind: str_at("volume_type")?,
        size_gib: int_at("size_gib")?,
        iops: int_at("iops"),
        throughput: int_at("throughput_mibps"),
    })
}

fn address_row(addresses: &Attached, row: usize) -> Option<(&str, &str)> {
    let frame = &addresses.frame;
    let str_at = |name: &str| frame.column(name).ok()?.str().ok()?.get(row);
    Some((str_at("allocation_id")?, str_at("public_ip")?))
}

/// A volume's monthly cost, its source, and whether it is the CUR's own figure.
fn volume_monthly(ctx: &Context<'_>, region: &str, volume: &Volume<'_>) -> Option<(f64, PriceSource, bool)> {
    if let Some(billed) = ctx.billed.get(volume.id) {
        return Some((billed.monthly, ctx.billed.source(), true));
    }
    let cost = ctx.prices.ebs_volume_monthly(
        region,
        volume.kind,
        volume.size_gib as f64,
        volume.iops.map(|v| v as f64),
        volume.throughput.map(|v| v as f64),
    )?;
    Some((cost.total, cost.source, false))
}

/// What a stopped instance still pays for.
#[derive(Default)]
struct Held {
    total: f64,
    covers: Vec<String>,
    billed: usize,
    listed: usize,
    weakest: Option<PriceSource>,
}

impl Held {
    fn add(&mut self, id: &str, monthly: f64, source: PriceSource, billed: bool) {
        self.total += monthly;
        self.covers.push(id.to_owned());
        if billed {
            self.billed += 1;
        } else {
            self.listed += 1;
        }
        self.weakest = Some(match self.weakest.take() {
            Some(weakest) => weakest.weakest(source),
            None => source,
        });
    }

    fn basis(&self) -> String {
        match (self.billed, self.listed) {
            (0, 0) => "nothing priced".into(),
            (_, 0) => "CUR amortized cost of every item".into(),
            (0, _) => "price book: none of the items is billed by id in the CUR".into(),
            (b, l) => format!("{b} item(s) at their CUR amortized cost, {l} at list price"),
        }
    }

    fn source(&self, ctx: &Context<'_>) -> PriceSource {
        self.weakest.clone().unwrap_or_else(|| ctx.billed.source())
    }
}

fn remediation(
    region: &str,
    instance_id: &str,
    as_of: NaiveDateTime,
    volume_ids: &[&str],
    eips: &[(String, String)],
) -> Remediation {
    let image_name = format!("costwise-final-{instance_id}-{}", as_of.format("%Y%m%d"));
    let mut cli = vec![
        format!(
            "AMI=$(aws ec2 create-image --region {region} --instance-id {instance_id} --name '{image_name}' --description 'costwise: final image of {instance_id} before termination' --no-reboot --tag-specifications 'ResourceType=image,Tags=[{{Key=costwise:source-instance,Value={instance_id}}}]' 'ResourceType=snapshot,Tags=[{{Key=costwise:source-instance,Value={instance_id}}}]' --query ImageId --output text)"
        ),
        format!("aws ec2 wait image-available --region {region} --image-ids \"$AMI\""),
        format!("aws ec2 terminate-instances --region {region} --instance-ids {instance_id}"),
        format!("aws ec2 wait instance-terminated --region {region} --instance-ids {instance_id}"),
    ];
    for (n, volume_id) in volume_ids.iter().enumerate() {
        let command = format!("aws ec2 delete-volume --region {region} --volume-id {volume_id}");
        if n == 0 {
            cli.push(format!(
                "# volumes without DeleteOnTermination (usually data volumes) survive termination and keep billing; the image holds a snapshot of each. InvalidVolume.NotFound means it is already gone:\n{command}"
            ));
        } else {
            cli.push(command);
        }
    }
    for (n, (allocation_id, public_ip)) in eips.iter().enumerate() {
        let command = release_command(region, allocation_id, public_ip);
        if n == 0 {
            cli.push(format!(
                "# termination only disassociates an Elastic IP; release it to stop its charge (check DNS records and allow-lists first: a released address is gone for good):\n{command}"
            ));
        } else {
            cli.push(command);
        }
    }
    let eip_text = if eips.is_empty() { "" } else { ", release its Elastic IP" };
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Create an image (AMI) of {instance_id} so it can be restored, terminate it, delete the volumes that survive termination{eip_text}."
        ),
        cli,
        terraform: Some(format!(
            "# Apply this first to keep a restorable image, then remove the aws_instance for {instance_id} (and its aws_ebs_volume, aws_volume_attachment and aws_eip resources) from your configuration.\nresource \"aws_ami_from_instance\" \"final_{}\" {{\n  name                    = \"{image_name}\"\n  source_instance_id      = \"{instance_id}\"\n  snapshot_without_reboot = true\n}}",
            instance_id.replace('-', "_")
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
    fn cur_evidence_prefers_the_last_compute_hour() {
        let mut history = ComputeHistory { available: true, ..ComputeHistory::default() };
        history.start.insert("1".into(), t(1));
        history.accounts_with_ids.insert("1".into());
        history.last.insert(("1".into(), "i-a".into()), t(9));
        assert_eq!(history.stop_evidence("1", "i-a"), Ok((t(9), Basis::LastComputeBilled)));
        assert_eq!(history.stop_evidence("1", "i-b"), Ok((t(1), Basis::NoComputeBilled)));
        assert!(history.stop_evidence("2", "i-c").unwrap_err().contains("does not bill compute under instance ids"));
        assert!(ComputeHistory::default().stop_evidence("1", "i-a").unwrap_err().contains("no billing data"));
    }
}
