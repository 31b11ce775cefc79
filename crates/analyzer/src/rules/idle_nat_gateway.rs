//! NAT gateways that send (almost) no traffic, still billed every hour.
//!
//! ## What it finds
//! NAT gateways in state `available` whose busiest day over the last
//! `lookback-days` days sent at most `max-gb-per-day` GB (10⁹ bytes) to
//! destinations: `AWS/NATGateway` `BytesOutToDestination`, Sum per UTC day.
//! Judging the busiest day rather than the average keeps a gateway that a
//! weekly job relies on from looking idle. `BytesInFromSource` (what the
//! private subnets sent into it) and the `ActiveConnectionCount` maximum are
//! shown as evidence when collected.
//!
//! NAT gateways publish their metrics every minute, zeros included, so missing
//! datapoints mean missing collection, never silence. Listed under "not
//! enough data" instead of flagged: gateways without a datapoint on every
//! whole day of the lookback; all of them when the metric is not in the
//! snapshot or the snapshot holds fewer days than the lookback; gateways
//! created inside the lookback (too young to judge); and gateways in an
//! account and region with a recorded metrics data gap.
//!
//! ## Why it costs money
//! A NAT gateway bills every hour it exists ($0.045/hour in us-east-1,
//! $32.85/month) plus every GB it processes ($0.045/GB). The hourly charge is
//! the same whether the private subnets behind it send terabytes or nothing:
//! gateways outlive the workloads of DR, staging and test VPCs, and
//! one-per-zone designs keep gateways in zones with no instances left. A
//! public gateway also holds an Elastic IP, billed separately as a public
//! IPv4 address ($0.005/hour).
//!
//! ## How savings are estimated
//! The hourly charge only: the `NatGateway-Hours` part of what the CUR bills
//! under the gateway's ARN (`arn:aws:ec2:<region>:<account>:natgateway/<id>`),
//! over the trailing 14 days scaled to 730 hours a month, else the region's
//! hourly list price × 730. Data processing is shown but not counted: what
//! little traffic remains either moves to another path (another NAT gateway,
//! a VPC endpoint), where it is billed again, or disappears with whatever
//! caused it. The Elastic IP is shown, not counted: release it after the
//! gateway (last remediation step); the idle-elastic-ip rule prices it if it
//! stays allocated.
//!
//! Confidence is high when the gateway sent 0 bytes every day, medium when
//! some traffic under the threshold still flowed (something uses it).
//! Risk is "needs testing": instances in subnets routed through the gateway
//! lose internet egress, including agents (SSM, CloudWatch) and package
//! updates that may be behind the remaining bytes.
//!
//! ## Settings
//! - `lookback-days` (default 7): days of metrics judged, ending at the
//!   snapshot's end.
//! - `max-gb-per-day` (default 0.1): the busiest day may send at most this
//!   many GB for the gateway to count as idle. At $0.045/hour a gateway costs
//!   $1.08 a day, so under 0.1 GB a day it costs over $10 per GB moved, 240
//!   times its processing rate: background chatter (agent heartbeats, time
//!   and update checks), not a workload. A gateway with zero traffic is
//!   always reported; set 0 to report only those.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{strings, times};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::metrics::{self, DailyMetric, MetricQuery, Statistic};
use crate::prices::PriceSource;
use crate::{Dataset, Table};

/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 7;
/// Default for `max-gb-per-day`.
pub const DEFAULT_MAX_GB_PER_DAY: f64 = 0.1;

/// Bytes in a GB, as AWS bills data processing.
const BYTES_PER_GB: f64 = 1e9;
const NAMESPACE: &str = "AWS/NATGateway";

/// The rule.
pub struct IdleNatGateway;

/// User options under `[rules.idle-nat-gateway]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days of metrics judged.
    pub lookback_days: Option<u32>,
    /// Most GB the busiest day may send for the gateway to count as idle.
    pub max_gb_per_day: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days of metrics judged.
    pub lookback_days: u32,
    /// Most GB the busiest day may send for the gateway to count as idle.
    pub max_gb_per_day: f64,
}

impl Rule for IdleNatGateway {
    const ID: &'static str = "idle-nat-gateway";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let lookback_days = options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
        if lookback_days == 0 {
            return Err("lookback-days must be at least 1".into());
        }
        let max_gb_per_day = options.max_gb_per_day.unwrap_or(DEFAULT_MAX_GB_PER_DAY);
        if !max_gb_per_day.is_finite() || max_gb_per_day < 0.0 {
            return Err(format!("max-gb-per-day must be a number ≥ 0, not {max_gb_per_day}"));
        }
        Ok(Settings { lookback_days, max_gb_per_day })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(table) = ctx.dataset.table(Table::NatGateways) else {
            return Ok(RuleOutput::default());
        };
        let context = "idle-nat-gateway: NAT gateways";
        let nats = table
            .filter(col("state").eq(lit("available")))
            .sort(["account_id", "region", "nat_gateway_id"], SortMultipleOptions::default())
            .collect()
            .during(|| format!("{context}: reading"))?;
        if nats.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let account = strings(&nats, "account_id", context)?;
        let region = strings(&nats, "region", context)?;
        let id = strings(&nats, "nat_gateway_id", context)?;
        let name = strings(&nats, "name", context)?;
        let connectivity = strings(&nats, "connectivity_type", context)?;
        let vpc = strings(&nats, "vpc_id", context)?;
        let subnet = strings(&nats, "subnet_id", context)?;
        let tags = strings(&nats, "tags", context)?;
        let created = times(&nats, "create_time", context)?;

        let signals = Signals::load(ctx.dataset, settings.lookback_days)?;
        let mut output = RuleOutput::default();
        for i in 0..nats.height() {
            let (Some(account), Some(region), Some(id)) = (account.get(i), region.get(i), id.get(i)) else {
                continue;
            };
            let nat = NatGateway {
                account,
                region,
                id,
                name: name.get(i),
                public: connectivity.get(i) != Some("private"),
                vpc: vpc.get(i),
                subnet: subnet.get(i),
                created: created.get(i).copied().flatten(),
                tags: tags.get(i),
            };
            match judge(settings, ctx, &signals, &nat) {
                Verdict::Busy => {}
                Verdict::Skipped(reason) => output.not_enough_data.push(NotEnoughData {
                    account_id: account.into(),
                    region: Some(region.into()),
                    resource_id: id.into(),
                    reason,
                }),
                Verdict::Idle(finding) => output.findings.push(*finding),
            }
        }
        Ok(output)
    }
}

/// The metrics the rule reads.
struct Signals {
    bytes_out: DailyMetric,
    bytes_in: DailyMetric,
    connections: DailyMetric,
}

impl Signals {
    fn load(dataset: &Dataset, lookback_days: u32) -> Result<Self, Error> {
        let query = |metric, statistic| {
            metrics::daily(dataset, MetricQuery { namespace: NAMESPACE, metric, statistic, lookback_days })
        };
        Ok(Self {
            bytes_out: query("BytesOutToDestination", Statistic::Sum)?,
            bytes_in: query("BytesInFromSource", Statistic::Sum)?,
            connections: query("ActiveConnectionCount", Statistic::Maximum)?,
        })
    }
}

/// One candidate, as read from the inventory.
struct NatGateway<'a> {
    account: &'a str,
    region: &'a str,
    id: &'a str,
    name: Option<&'a str>,
    public: bool,
    vpc: Option<&'a str>,
    subnet: Option<&'a str>,
    created: Option<NaiveDateTime>,
    tags: Option<&'a str>,
}

impl NatGateway<'_> {
    fn arn(&self) -> String {
        format!("arn:aws:ec2:{}:{}:natgateway/{}", self.region, self.account, self.id)
    }
}

enum Verdict {
    Busy,
    Skipped(String),
    Idle(Box<Finding>),
}

/// The UTC dates whose whole day lies inside `[start, end)`.
fn whole_days(start: NaiveDateTime, end: NaiveDateTime) -> Vec<NaiveDate> {
    let mut day = start.date();
    if day.and_hms_opt(0, 0, 0).is_some_and(|midnight| midnight < start) {
        day = day.succ_opt().unwrap_or(day);
    }
    let mut days = Vec::new();
    while day.and_hms_opt(0, 0, 0).is_some_and(|midnight| midnight + Duration::days(1) <= end) {
        days.push(day);
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    days
}

fn reported<'m>(metric: &'m DailyMetric, id: &str) -> Option<&'m BTreeMap<NaiveDate, f64>> {
    metric.days(id).filter(|d| metric.collected && !d.is_empty())
}

fn judge(settings: &Settings, ctx: &Context<'_>, signals: &Signals, nat: &NatGateway<'_>) -> Verdict {
    let lookback = settings.lookback_days;
    let out = &signals.bytes_out;
    if !out.collected {
        return Verdict::Skipped(format!(
            "no {NAMESPACE} BytesOutToDestination metric in the snapshot for the last {lookback} days"
        ));
    }
    let Some(days) = reported(out, nat.id) else {
        return Verdict::Skipped(format!(
            "no BytesOutToDestination datapoints for this NAT gateway in the last {lookback} days (NAT gateways report zeros too, so it was not collected)"
        ));
    };
    let (busiest_day, busiest) = days
        .iter()
        .fold((None, 0.0_f64), |(d, max), (day, v)| if *v > max || d.is_none() { (Some(*day), *v) } else { (d, max) });
    if busiest / BYTES_PER_GB > settings.max_gb_per_day {
        return Verdict::Busy;
    }

    // It looks idle: make sure the data can carry that verdict.
    let covered = metrics::covered_days(ctx.dataset, lookback);
    if covered + 1e-9 < f64::from(lookback) {
        return Verdict::Skipped(format!(
            "the snapshot holds {covered:.1} days of metrics; judging a NAT gateway needs the last {lookback}"
        ));
    }
    let as_of = ctx.dataset.as_of();
    if let Some(created) = nat.created.filter(|c| *c > out.start) {
        return Verdict::Skipped(format!(
            "created {} ({:.1} days before the snapshot), inside the {lookback}-day lookback: too young to judge",
            created.format("%Y-%m-%d %H:%M UTC"),
            (as_of - created).num_seconds() as f64 / 86_400.0,
        ));
    }
    let expected = whole_days(out.start, out.end);
    let missing = expected.iter().filter(|d| !days.contains_key(d)).count();
    if missing > 0 {
        return Verdict::Skipped(format!(
            "BytesOutToDestination reported on only {} of the last {} whole days; a missing day is not a quiet one",
            expected.len() - missing,
            expected.len()
        ));
    }
    if let Some(gap) = metrics::data_gap(ctx.dataset, Table::Metrics, nat.account, nat.region) {
        return Verdict::Skipped(format!("metrics incomplete for {} in {}: {gap}", nat.account, nat.region));
    }

    let total: f64 = days.values().sum();
    let mut evidence = vec![
        Evidence::text("state", "available"),
        Evidence::text(
            "connectivity",
            if nat.public { "public (holds an Elastic IP)" } else { "private (no Elastic IP)" },
        ),
    ];
    if let Some(vpc) = nat.vpc {
        evidence.push(Evidence::text(
            "placement",
            nat.subnet.map_or_else(|| vpc.to_owned(), |subnet| format!("{vpc}, {subnet}")),
        ));
    }
    evidence.push(Evidence::text(
        "created",
        nat.created.map_or_else(
            || "unknown".to_owned(),
            |c| format!("{} ({} days before the snapshot)", c.format("%Y-%m-%d"), (as_of - c).num_days()),
        ),
    ));
    evidence.push(Evidence::quantity("lookback", f64::from(lookback), "days"));
    evidence.push(Evidence::text(
        "metric",
        format!("{NAMESPACE} BytesOutToDestination (Sum), reported on all {} whole days", expected.len()),
    ));
    evidence.push(Evidence::quantity("sent to destinations in the lookback", total / BYTES_PER_GB, "GB"));
    evidence.push(Evidence::quantity("busiest day", busiest / BYTES_PER_GB, "GB"));
    if let Some(day) = busiest_day.filter(|_| busiest > 0.0) {
        evidence.push(Evidence::text("busiest day was", day.format("%Y-%m-%d").to_string()));
    }
    evidence.push(Evidence::quantity("threshold (max-gb-per-day)", settings.max_gb_per_day, "GB/day"));
    if let Some(days) = reported(&signals.bytes_in, nat.id) {
        evidence.push(Evidence::quantity(
            "received from the private subnets in the lookback (BytesInFromSource)",
            days.values().sum::<f64>() / BYTES_PER_GB,
            "GB",
        ));
    }
    let connections = reported(&signals.connections, nat.id).map(|d| d.values().copied().fold(0.0, f64::max));
    if let Some(most) = connections {
        evidence.push(Evidence::quantity(
            "most concurrent connections (ActiveConnectionCount Maximum)",
            most,
            "connections",
        ));
    }

    let cost = cost(ctx, nat);
    evidence.extend(cost.evidence.iter().cloned());

    let confidence =
        if total <= 0.0 && connections.is_none_or(|c| c <= 0.0) { Confidence::High } else { Confidence::Medium };
    let label = nat.name.map_or_else(|| nat.id.to_owned(), |name| format!("{name} ({})", nat.id));
    let title = if total <= 0.0 {
        format!("NAT gateway {label} sent nothing in {lookback} days")
    } else {
        format!(
            "NAT gateway {label} sent at most {} a day in {lookback} days (threshold {} GB/day)",
            format_bytes(busiest),
            settings.max_gb_per_day
        )
    };
    Verdict::Idle(Box::new(Finding {
        rule: IdleNatGateway::ID.into(),
        category: IdleNatGateway::CATEGORY,
        account_id: nat.account.into(),
        region: Some(nat.region.into()),
        resource_type: "nat-gateway".into(),
        resource_id: nat.id.into(),
        resource_name: nat.name.map(str::to_owned),
        title,
        evidence,
        monthly_cost: cost.monthly,
        monthly_savings: cost.savings,
        price_source: cost.source,
        confidence,
        risk: Risk::NeedsTesting,
        remediation: remediation(nat),
        tags: parse_tags(nat.tags),
        covers: Vec::new(),
    }))
}

/// `0 bytes`, `12.3 MB`, `0.45 GB`.
fn format_bytes(bytes: f64) -> String {
    if bytes <= 0.0 {
        "0 bytes".into()
    } else if bytes < 0.01 * BYTES_PER_GB {
        format!("{:.1} MB", bytes / 1e6)
    } else {
        format!("{:.2} GB", bytes / BYTES_PER_GB)
    }
}

/// What the gateway costs and what deleting it saves.
struct Cost {
    monthly: f64,
    savings: f64,
    source: PriceSource,
    evidence: Vec<Evidence>,
}

fn cost(ctx: &Context<'_>, nat: &NatGateway<'_>) -> Cost {
    let hours = ctx.prices.hours_per_month();
    let list_hourly = ctx.prices.list_price(nat.region, "ec2_network.nat_gateway_hour");
    let mut evidence = Vec::new();
    let arn = nat.arn();
    let (monthly_cost, savings, source) = match ctx.billed.first_of([arn.as_str(), nat.id]) {
        Some(billed) => {
            let part = |suffix: &str| -> Option<f64> {
                let mut values = billed.by_usage_type.iter().filter(|(u, _)| u.ends_with(suffix)).map(|(_, v)| *v);
                let first = values.next()?;
                Some(first + values.sum::<f64>())
            };
            let processing = part("NatGateway-Bytes").unwrap_or(0.0);
            match (part("NatGateway-Hours"), list_hourly) {
                (Some(hourly), _) => {
                    evidence.push(Evidence::text("cost source", "CUR: billed under the NAT gateway's ARN"));
                    evidence.push(Evidence::monthly("hourly charge (billed; saved)", hourly));
                    evidence.push(Evidence::monthly(
                        "data processing (billed; not saved: remaining traffic moves elsewhere or stops)",
                        processing,
                    ));
                    (billed.monthly, hourly, ctx.billed.source())
                }
                (None, Some(price)) => {
                    let hourly = price.value * hours;
                    evidence.push(Evidence::text(
                        "cost source",
                        "CUR bills no NatGateway-Hours under its ARN; hourly charge from the price book",
                    ));
                    evidence.push(Evidence::monthly("hourly charge (list price; saved)", hourly));
                    evidence.push(Evidence::monthly("other usage billed under its ARN", billed.monthly));
                    (billed.monthly + hourly, hourly, ctx.billed.source().weakest(price.source))
                }
                (None, None) => (billed.monthly, 0.0, ctx.billed.source()),
            }
        }
        None => match list_hourly {
            Some(price) => {
                let hourly = price.value * hours;
                evidence.push(Evidence::text(
                    "cost source",
                    "price book: hourly charge (not in the CUR; data processing not counted)",
                ));
                evidence.push(Evidence::monthly("hourly charge (list price; saved)", hourly));
                (hourly, hourly, price.source)
            }
            None => (0.0, 0.0, PriceSource::billed("no price for NAT gateway hours")),
        },
    };
    if nat.public
        && let Some(ipv4) = ctx.prices.list_price(nat.region, "ec2_network.public_ipv4_hour")
    {
        evidence.push(Evidence::monthly(
            "its Elastic IP, billed separately (not counted; release it after the gateway)",
            ipv4.value * hours,
        ));
    }
    Cost { monthly: monthly_cost, savings, source, evidence }
}

fn remediation(nat: &NatGateway<'_>) -> Remediation {
    let (region, id) = (nat.region, nat.id);
    let mut cli = vec![
        format!(
            "# subnets routed through the gateway lose internet egress: repoint or remove these routes first\naws ec2 describe-route-tables --region {region} --filters Name=route.nat-gateway-id,Values={id} --query 'RouteTables[].[RouteTableId,Associations[].SubnetId]' --output json"
        ),
        format!(
            "# for each route table listed above, e.g.:\naws ec2 delete-route --region {region} --route-table-id <rtb-id> --destination-cidr-block 0.0.0.0/0"
        ),
    ];
    if nat.public {
        cli.push(format!(
            "ALLOC=$(aws ec2 describe-nat-gateways --region {region} --nat-gateway-ids {id} --query 'NatGateways[0].NatGatewayAddresses[].AllocationId' --output text)"
        ));
    }
    cli.push(format!("aws ec2 delete-nat-gateway --region {region} --nat-gateway-id {id}"));
    cli.push(format!("aws ec2 wait nat-gateway-deleted --region {region} --nat-gateway-ids {id}"));
    if nat.public {
        cli.push(format!(
            "# deleting the gateway frees its Elastic IP but keeps it allocated (and billed):\nfor a in $ALLOC; do aws ec2 release-address --region {region} --allocation-id \"$a\"; done"
        ));
    }
    Remediation {
        lifecycle_configuration: None,
        summary: if nat.public {
            format!("Repoint or remove the routes that use {id}, delete the NAT gateway, then release its Elastic IP.")
        } else {
            format!("Repoint or remove the routes that use {id}, then delete the NAT gateway.")
        },
        cli,
        terraform: Some(format!(
            "# Remove the aws_nat_gateway for {id} from your configuration, with the aws_route entries whose\n# nat_gateway_id points at it{}, then `terraform apply`.",
            if nat.public { " and its aws_eip" } else { "" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 10, day).unwrap().and_hms_opt(hour, 0, 0).unwrap()
    }

    #[test]
    fn whole_days_skip_partial_edges() {
        assert_eq!(whole_days(t(1, 0), t(8, 0)).len(), 7);
        let partial = whole_days(t(1, 12), t(8, 12));
        assert_eq!(partial.first(), Some(&t(2, 0).date()));
        assert_eq!(partial.len(), 6);
    }

    #[test]
    fn bytes_read_like_sizes() {
        assert_eq!(format_bytes(0.0), "0 bytes");
        assert_eq!(format_bytes(2_500_000.0), "2.5 MB");
        assert_eq!(format_bytes(60_000_000.0), "0.06 GB");
    }

    #[test]
    fn negative_or_infinite_thresholds_are_rejected() {
        let bad = |v: f64| IdleNatGateway::resolve(Options { lookback_days: None, max_gb_per_day: Some(v) });
        assert!(bad(-1.0).is_err());
        assert!(bad(f64::INFINITY).is_err());
        assert_eq!(bad(0.0).unwrap().max_gb_per_day, 0.0);
        assert!(IdleNatGateway::resolve(Options { lookback_days: Some(0), max_gb_per_day: None }).is_err());
    }
}
