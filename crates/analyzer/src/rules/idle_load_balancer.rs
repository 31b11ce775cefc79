//! Load balancers with no healthy targets or almost no traffic, still billed every hour.
//!
//! ## What it finds
//! Application, network and classic load balancers (state `active` or
//! `active_impaired`; classic ones have no state) that, over the last
//! `lookback-days` days, either
//!
//! - had **no healthy targets**: the `HealthyHostCount` maximum was 0 on every
//!   day it was reported, when the snapshot holds that metric.
//!   `UnHealthyHostCount` tells "no targets registered" from "targets
//!   registered, none healthy"; or
//! - served fewer than `min-requests-per-day` requests a day on average
//!   (total over the lookback ÷ its days):
//!   - application: `AWS/ApplicationELB` `RequestCount` (Sum);
//!   - classic: `AWS/ELB` `RequestCount` (Sum; for TCP listeners it counts
//!     connections);
//!   - network: `AWS/NetworkELB` `NewFlowCount` (Sum). A network load
//!     balancer never sees requests, only connections: one new flow (a TCP
//!     connection, a UDP or TLS session) is its request-equivalent, so the
//!     same threshold applies. When only `ProcessedBytes` is collected, bytes
//!     cannot be turned into requests, and the load balancer is idle only if
//!     it processed 0 bytes.
//!
//! Elastic Load Balancing publishes traffic metrics only while traffic flows,
//! so a load balancer without a single datapoint, when the metric was
//! collected for others, received nothing. That verdict has medium confidence
//! (a collector that skipped the load balancer would look the same); explicit
//! datapoints or a reported `HealthyHostCount` give high confidence.
//!
//! Listed under "not enough data" instead of flagged: load balancers created
//! inside the lookback (too young to judge); any whose traffic metric is not
//! in the snapshot at all; all of them when the snapshot holds fewer days
//! than the lookback; and those in an account and region with a recorded
//! metrics data gap. Only a load balancer that looks idle is held back this
//! way: traffic above the threshold proves it busy whatever else is missing.
//!
//! Gateway load balancers are not judged: they carry traffic that route
//! tables steer through security appliances, and deleting one cuts that path
//! for every VPC behind its endpoints, which the snapshot does not describe.
//!
//! ## Why it costs money
//! Application and network load balancers bill every hour they exist
//! ($0.0225/hour in us-east-1, $16.43/month) plus capacity units for the
//! traffic they handle (LCUs, NLCUs); classic ones bill $0.025/hour plus
//! per GB. The hourly charge does not stop when traffic does: load balancers
//! outlive the service they fronted, a migration, or a feature environment.
//!
//! ## How savings are estimated
//! Deleting the load balancer saves everything billed under its ARN: the
//! CUR's amortized cost over the trailing 14 days, all usage types (the
//! hourly `LoadBalancerUsage` plus the capacity units actually consumed,
//! `LCUUsage`/`NLCUUsage`), scaled to 730 hours a month. Without CUR
//! resource ids it is the region's hourly list price × 730; capacity units
//! are then not counted (an idle load balancer uses few or none). Target
//! groups cost nothing by themselves.
//!
//! Risk is "needs testing", not a change window: whatever still sends the
//! few requests, or a DNS record that still points at the load balancer,
//! breaks for good, and a recreated load balancer gets a new DNS name, so the
//! delete cannot be rolled back. Check DNS and callers before deleting.
//!
//! ## Settings
//! - `lookback-days` (default 7): days of metrics judged, ending at the
//!   snapshot's end (Trusted Advisor's window for idle load balancers).
//! - `min-requests-per-day` (default 100): a load balancer averaging fewer
//!   requests (network: new flows) a day is idle (Trusted Advisor's
//!   threshold).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{strings, times};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, EvidenceValue, Finding, Remediation, Risk};
use crate::metrics::{self, DailyMetric, MetricQuery, Statistic};
use crate::prices::PriceSource;
use crate::{Dataset, Table};

/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 7;
/// Default for `min-requests-per-day`.
pub const DEFAULT_MIN_REQUESTS_PER_DAY: u64 = 100;

/// The rule.
pub struct IdleLoadBalancer;

/// User options under `[rules.idle-load-balancer]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days of metrics judged.
    pub lookback_days: Option<u32>,
    /// Average requests (network: new flows) per day below which a load balancer is idle.
    pub min_requests_per_day: Option<u64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days of metrics judged.
    pub lookback_days: u32,
    /// Average requests (network: new flows) per day below which a load balancer is idle.
    pub min_requests_per_day: u64,
}

impl Rule for IdleLoadBalancer {
    const ID: &'static str = "idle-load-balancer";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let lookback_days = options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
        if lookback_days == 0 {
            return Err("lookback-days must be at least 1".into());
        }
        Ok(Settings {
            lookback_days,
            min_requests_per_day: options.min_requests_per_day.unwrap_or(DEFAULT_MIN_REQUESTS_PER_DAY),
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(table) = ctx.dataset.table(Table::LoadBalancers) else {
            return Ok(RuleOutput::default());
        };
        let context = "idle-load-balancer: load balancers";
        let kinds = Series::new("kinds".into(), ["application", "network", "classic"]);
        let states = Series::new("states".into(), ["active", "active_impaired"]);
        let lbs = table
            .filter(
                col("lb_type")
                    .is_in(lit(kinds).implode(false), false)
                    .and(col("state").is_null().or(col("state").is_in(lit(states).implode(false), false))),
            )
            .sort(["account_id", "region", "load_balancer_arn"], SortMultipleOptions::default())
            .collect()
            .during(|| format!("{context}: reading"))?;
        if lbs.height() == 0 {
            return Ok(RuleOutput::default());
        }
        let account = strings(&lbs, "account_id", context)?;
        let region = strings(&lbs, "region", context)?;
        let arn = strings(&lbs, "load_balancer_arn", context)?;
        let name = strings(&lbs, "name", context)?;
        let lb_type = strings(&lbs, "lb_type", context)?;
        let scheme = strings(&lbs, "scheme", context)?;
        let tags = strings(&lbs, "tags", context)?;
        let created = times(&lbs, "created_time", context)?;

        let mut signals: BTreeMap<Kind, Signals> = BTreeMap::new();
        let mut output = RuleOutput::default();
        for i in 0..lbs.height() {
            let (Some(account), Some(region), Some(arn), Some(name), Some(kind)) =
                (account.get(i), region.get(i), arn.get(i), name.get(i), lb_type.get(i).and_then(Kind::parse))
            else {
                continue;
            };
            let signals = match signals.entry(kind) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(Signals::load(ctx.dataset, kind, settings.lookback_days)?)
                }
            };
            let lb = LoadBalancer {
                account,
                region,
                arn,
                name,
                kind,
                scheme: scheme.get(i),
                created: created.get(i).copied().flatten(),
                tags: tags.get(i),
            };
            match judge(settings, ctx, signals, &lb) {
                Verdict::Busy => {}
                Verdict::Skipped(reason) => output.not_enough_data.push(NotEnoughData {
                    account_id: account.into(),
                    region: Some(region.into()),
                    resource_id: arn.into(),
                    reason,
                }),
                Verdict::Idle(finding) => output.findings.push(*finding),
            }
        }
        Ok(output)
    }
}

/// The three kinds of load balancer this rule judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Application,
    Network,
    Classic,
}

impl Kind {
    fn parse(lb_type: &str) -> Option<Self> {
        match lb_type {
            "application" => Some(Kind::Application),
            "network" => Some(Kind::Network),
            "classic" => Some(Kind::Classic),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Application => "application",
            Kind::Network => "network",
            Kind::Classic => "classic",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Application => "Application",
            Kind::Network => "Network",
            Kind::Classic => "Classic",
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Kind::Application => "AWS/ApplicationELB",
            Kind::Network => "AWS/NetworkELB",
            Kind::Classic => "AWS/ELB",
        }
    }

    fn hourly_price_key(self) -> &'static str {
        match self {
            Kind::Application => "ec2_network.alb_hour",
            Kind::Network => "ec2_network.nlb_hour",
            Kind::Classic => "ec2_network.clb_hour",
        }
    }
}

/// The traffic metric a kind is judged on.
struct Traffic {
    metric: DailyMetric,
    /// CloudWatch metric name.
    name: &'static str,
    /// What one unit of it is, plural (`requests`, `new flows`, `bytes`).
    unit: &'static str,
    /// Bytes cannot be compared to a request threshold: only zero counts as idle.
    zero_only: bool,
}

/// Every metric the rule reads for one kind of load balancer.
struct Signals {
    /// `None` when no traffic metric for the kind is in the snapshot.
    traffic: Option<Traffic>,
    /// Network load balancers: bytes processed, as evidence next to new flows.
    bytes: Option<DailyMetric>,
    healthy: DailyMetric,
    unhealthy: DailyMetric,
}

impl Signals {
    fn load(dataset: &Dataset, kind: Kind, lookback_days: u32) -> Result<Self, Error> {
        let query = |metric, statistic| {
            metrics::daily(dataset, MetricQuery { namespace: kind.namespace(), metric, statistic, lookback_days })
        };
        let collected = |m: DailyMetric| m.collected.then_some(m);
        let (traffic, bytes) = match kind {
            Kind::Application | Kind::Classic => {
                let requests = collected(query("RequestCount", Statistic::Sum)?);
                let traffic =
                    requests.map(|metric| Traffic { metric, name: "RequestCount", unit: "requests", zero_only: false });
                (traffic, None)
            }
            Kind::Network => {
                let flows = collected(query("NewFlowCount", Statistic::Sum)?);
                let bytes = collected(query("ProcessedBytes", Statistic::Sum)?);
                match (flows, bytes) {
                    (Some(metric), bytes) => {
                        (Some(Traffic { metric, name: "NewFlowCount", unit: "new flows", zero_only: false }), bytes)
                    }
                    (None, Some(metric)) => {
                        (Some(Traffic { metric, name: "ProcessedBytes", unit: "bytes", zero_only: true }), None)
                    }
                    (None, None) => (None, None),
                }
            }
        };
        Ok(Self {
            traffic,
            bytes,
            healthy: query("HealthyHostCount", Statistic::Maximum)?,
            unhealthy: query("UnHealthyHostCount", Statistic::Maximum)?,
        })
    }
}

/// One candidate, as read from the inventory.
struct LoadBalancer<'a> {
    account: &'a str,
    region: &'a str,
    arn: &'a str,
    name: &'a str,
    kind: Kind,
    scheme: Option<&'a str>,
    created: Option<NaiveDateTime>,
    tags: Option<&'a str>,
}

impl LoadBalancer<'_> {
    /// The ids its CloudWatch datapoints may carry: the `LoadBalancer`
    /// dimension (`app/<name>/<id>`, the ARN suffix) or, for classic ones,
    /// `LoadBalancerName`; the full ARN as a fallback.
    fn metric_ids(&self) -> Vec<&str> {
        let mut ids = Vec::with_capacity(2);
        match self.arn.split_once(":loadbalancer/") {
            Some((_, suffix)) => ids.push(suffix),
            None => ids.push(self.name),
        }
        ids.push(self.arn);
        ids
    }

    /// The ids the CUR may bill it under: its ARN (classic load balancers are
    /// listed by name, so their ARN is rebuilt), then the bare name.
    fn billing_ids(&self) -> Vec<String> {
        let mut ids = vec![self.arn.to_owned()];
        if !self.arn.starts_with("arn:") {
            ids.push(format!(
                "arn:aws:elasticloadbalancing:{}:{}:loadbalancer/{}",
                self.region, self.account, self.name
            ));
        }
        ids.push(self.name.to_owned());
        ids
    }
}

enum Verdict {
    Busy,
    Skipped(String),
    Idle(Box<Finding>),
}

/// A resource's daily series under the first id it reported with.
fn series<'m>(metric: &'m DailyMetric, ids: &[&str]) -> Option<&'m BTreeMap<NaiveDate, f64>> {
    if !metric.collected {
        return None;
    }
    ids.iter().find_map(|id| metric.days(id).filter(|days| !days.is_empty()))
}

fn judge(settings: &Settings, ctx: &Context<'_>, signals: &Signals, lb: &LoadBalancer<'_>) -> Verdict {
    let lookback = f64::from(settings.lookback_days);
    let ids = lb.metric_ids();
    let traffic = signals.traffic.as_ref().map(|t| {
        let days = series(&t.metric, &ids);
        let total: f64 = days.map_or(0.0, |d| d.values().sum());
        (t, days, total)
    });
    let healthy = series(&signals.healthy, &ids);
    let unhealthy = series(&signals.unhealthy, &ids);
    let no_healthy_targets = healthy.is_some_and(|d| d.values().all(|v| *v <= 0.0));
    let low_traffic = traffic.as_ref().map(|(t, _, total)| {
        if t.zero_only { *total <= 0.0 } else { total / lookback < settings.min_requests_per_day as f64 }
    });

    if !no_healthy_targets && low_traffic != Some(true) {
        if signals.traffic.is_some() {
            return Verdict::Busy;
        }
        let metric = match lb.kind {
            Kind::Network => "NewFlowCount or ProcessedBytes",
            Kind::Application | Kind::Classic => "RequestCount",
        };
        return Verdict::Skipped(format!("no {} traffic metric ({metric}) in the snapshot", lb.kind.namespace()));
    }

    // It looks idle: make sure the data can carry that verdict.
    let covered = metrics::covered_days(ctx.dataset, settings.lookback_days);
    if covered + 1e-9 < lookback {
        return Verdict::Skipped(format!(
            "the snapshot holds {covered:.1} days of metrics; judging a load balancer needs the last {}",
            settings.lookback_days
        ));
    }
    let as_of = ctx.dataset.as_of();
    let window_start = as_of - Duration::days(i64::from(settings.lookback_days));
    if let Some(created) = lb.created.filter(|c| *c > window_start) {
        return Verdict::Skipped(format!(
            "created {} ({:.1} days before the snapshot), inside the {}-day lookback: too young to judge",
            created.format("%Y-%m-%d %H:%M UTC"),
            (as_of - created).num_seconds() as f64 / 86_400.0,
            settings.lookback_days
        ));
    }
    if let Some(gap) = metrics::data_gap(ctx.dataset, Table::Metrics, lb.account, lb.region) {
        return Verdict::Skipped(format!("metrics incomplete for {} in {}: {gap}", lb.account, lb.region));
    }

    let mut evidence = vec![Evidence::text(
        "load balancer",
        format!("{} ({})", lb.kind.label(), lb.scheme.unwrap_or("scheme unknown")),
    )];
    if let Some(created) = lb.created {
        evidence.push(Evidence::text(
            "created",
            format!("{} ({} days before the snapshot)", created.format("%Y-%m-%d"), (as_of - created).num_days()),
        ));
    } else {
        evidence.push(Evidence::text("created", "unknown"));
    }
    evidence.push(Evidence::quantity("lookback", lookback, "days"));

    let mut inferred_from_silence = false;
    let mut traffic_phrase = String::new();
    if let Some((t, days, total)) = &traffic {
        let metric = format!("{} {} (Sum)", lb.kind.namespace(), t.name);
        match days {
            None => {
                inferred_from_silence = true;
                evidence.push(Evidence::text(
                    "traffic",
                    format!(
                        "no {metric} datapoints in {} days; load balancers publish none without traffic",
                        settings.lookback_days
                    ),
                ));
            }
            Some(days) => {
                evidence.push(Evidence::text("traffic metric", metric));
                evidence.push(Evidence::quantity(
                    format!("days with {}", t.unit),
                    days.values().filter(|v| **v > 0.0).count() as f64,
                    "days",
                ));
            }
        }
        evidence.push(Evidence::quantity(format!("{} in the lookback", t.unit), *total, t.unit));
        if t.zero_only {
            evidence.push(Evidence::text(
                "threshold",
                "0 bytes (NewFlowCount not collected; bytes cannot be compared to a request count)",
            ));
            traffic_phrase = if *total <= 0.0 { "processed 0 bytes".into() } else { String::new() };
        } else {
            let per_day = total / lookback;
            evidence.push(Evidence::quantity(
                format!("average {} per day", t.unit),
                per_day,
                format!("{}/day", t.unit),
            ));
            evidence.push(Evidence::quantity(
                "threshold (min-requests-per-day)",
                settings.min_requests_per_day as f64,
                format!("{}/day", t.unit),
            ));
            if per_day < settings.min_requests_per_day as f64 {
                traffic_phrase = if *total <= 0.0 {
                    format!("no {}", t.unit)
                } else {
                    format!("{} {}/day on average", format_count(per_day), t.unit)
                };
            }
        }
    } else {
        evidence.push(Evidence::text("traffic", "not in the snapshot; judged on target health alone"));
    }
    if let Some(bytes) = signals.bytes.as_ref() {
        let total: f64 = series(bytes, &ids).map_or(0.0, |d| d.values().sum());
        evidence.push(Evidence::quantity("bytes processed in the lookback", total, "bytes"));
    }
    if let Some(days) = healthy {
        let most = days.values().copied().fold(0.0, f64::max);
        evidence.push(Evidence::quantity(
            "most healthy targets on any day (HealthyHostCount Maximum)",
            most,
            "targets",
        ));
        let most_unhealthy = unhealthy.map(|d| d.values().copied().fold(0.0, f64::max));
        if let Some(most_unhealthy) = most_unhealthy {
            evidence.push(Evidence::quantity(
                "most unhealthy targets on any day (UnHealthyHostCount Maximum)",
                most_unhealthy,
                "targets",
            ));
        }
        if no_healthy_targets {
            let text = match most_unhealthy {
                Some(n) if n > 0.0 => "registered, but none healthy on any day".to_owned(),
                Some(_) => "none registered (healthy and unhealthy counts both 0)".to_owned(),
                None => "none healthy on any day".to_owned(),
            };
            evidence.push(Evidence::text("targets", text));
        }
    }

    let cost = cost(ctx, lb);
    evidence.extend(cost.evidence.iter().cloned());

    let what = match (no_healthy_targets, traffic_phrase.is_empty()) {
        (true, true) => "no healthy targets".to_owned(),
        (true, false) => format!("no healthy targets, {traffic_phrase}"),
        (false, _) => traffic_phrase,
    };
    let busy_but_broken = no_healthy_targets && low_traffic == Some(false);
    let confidence = if busy_but_broken || lb.created.is_none() || (inferred_from_silence && healthy.is_none()) {
        Confidence::Medium
    } else {
        Confidence::High
    };
    let mut title = format!("{} load balancer {}: {what} in {} days", lb.kind.title(), lb.name, settings.lookback_days);
    if busy_but_broken {
        title.push_str(" (clients still send traffic and get errors)");
    }
    Verdict::Idle(Box::new(Finding {
        rule: IdleLoadBalancer::ID.into(),
        category: IdleLoadBalancer::CATEGORY,
        account_id: lb.account.into(),
        region: Some(lb.region.into()),
        resource_type: "load-balancer".into(),
        resource_id: lb.arn.into(),
        resource_name: Some(lb.name.into()),
        title,
        evidence,
        monthly_cost: cost.monthly,
        monthly_savings: cost.monthly,
        price_source: cost.source,
        confidence,
        risk: Risk::NeedsTesting,
        remediation: remediation(lb),
        tags: parse_tags(lb.tags),
        covers: Vec::new(),
    }))
}

/// `1,234` for counts, `12.5` below 100.
fn format_count(value: f64) -> String {
    if value >= 100.0 {
        let whole = value.round() as u64;
        let digits = whole.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        let rounded = (value * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") }
    }
}

/// What the load balancer costs, and where the figure comes from.
struct Cost {
    monthly: f64,
    source: PriceSource,
    evidence: Vec<Evidence>,
}

fn cost(ctx: &Context<'_>, lb: &LoadBalancer<'_>) -> Cost {
    let ids = lb.billing_ids();
    if let Some(billed) = ctx.billed.first_of(ids.iter().map(String::as_str)) {
        let part = |keep: &dyn Fn(&str) -> bool| -> f64 {
            // A fold from +0.0: an empty `sum` of floats is -0.0.
            billed.by_usage_type.iter().filter(|(usage, _)| keep(usage)).fold(0.0, |total, (_, v)| total + v)
        };
        let hourly = part(&|u| u.ends_with("LoadBalancerUsage"));
        let capacity = part(&|u| u.contains("LCUUsage"));
        let other = billed.monthly - hourly - capacity;
        let mut evidence = vec![
            Evidence::text("cost source", "CUR: everything billed under the load balancer's ARN"),
            Evidence::monthly("hourly charge (billed)", hourly),
            Evidence::monthly("capacity units (billed)", capacity),
        ];
        if other.abs() >= 0.005 {
            evidence.push(Evidence::monthly("other usage billed under it", other));
        }
        return Cost { monthly: billed.monthly, source: ctx.billed.source(), evidence };
    }
    let hours = ctx.prices.hours_per_month();
    match ctx.prices.list_price(lb.region, lb.kind.hourly_price_key()) {
        Some(price) => Cost {
            monthly: price.value * hours,
            evidence: vec![
                Evidence::text(
                    "cost source",
                    "price book: hourly charge only (not in the CUR; capacity units not counted)",
                ),
                Evidence {
                    label: "hourly rate".into(),
                    value: EvidenceValue::Money { amount: price.value, per: Some("hour".into()) },
                },
                Evidence::monthly("hourly charge", price.value * hours),
            ],
            source: price.source,
        },
        None => Cost {
            monthly: 0.0,
            source: PriceSource::billed("no price for this load balancer type"),
            evidence: vec![Evidence::text("cost source", "no price known")],
        },
    }
}

fn remediation(lb: &LoadBalancer<'_>) -> Remediation {
    let (region, name, arn) = (lb.region, lb.name, lb.arn);
    if lb.kind == Kind::Classic {
        return Remediation {
            lifecycle_configuration: None,
            summary: format!(
                "Check that no DNS record or client still uses {name}, then delete it (classic load balancers have no deletion protection and no target groups)."
            ),
            cli: vec![
                format!(
                    "# search your DNS zones (Route 53 aliases, CNAMEs) and configs for this DNS name first:\naws elb describe-load-balancers --region {region} --load-balancer-names {name} --query 'LoadBalancerDescriptions[0].[DNSName,Instances]' --output json"
                ),
                format!("aws elb delete-load-balancer --region {region} --load-balancer-name {name}"),
            ],
            terraform: Some(format!(
                "# Remove the aws_elb resource for {name} from your configuration, then `terraform apply`."
            )),
        };
    }
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Check that no DNS record or client still uses {name}, then delete it and its target groups (turn deletion protection off first if it is on)."
        ),
        cli: vec![
            format!(
                "# search your DNS zones (Route 53 aliases, CNAMEs) and configs for this DNS name first:\naws elbv2 describe-load-balancers --region {region} --load-balancer-arns {arn} --query 'LoadBalancers[0].DNSName' --output text"
            ),
            format!(
                "TGS=$(aws elbv2 describe-target-groups --region {region} --load-balancer-arn {arn} --query 'TargetGroups[].TargetGroupArn' --output text)"
            ),
            format!(
                "# only if deletion protection is on (the delete fails with OperationNotPermitted):\naws elbv2 modify-load-balancer-attributes --region {region} --load-balancer-arn {arn} --attributes Key=deletion_protection.enabled,Value=false"
            ),
            format!("aws elbv2 delete-load-balancer --region {region} --load-balancer-arn {arn}"),
            format!("aws elbv2 wait load-balancers-deleted --region {region} --load-balancer-arns {arn}"),
            format!(
                "# a target group still used by another load balancer refuses deletion (ResourceInUse) and is kept:\nfor tg in $TGS; do aws elbv2 delete-target-group --region {region} --target-group-arn \"$tg\"; done"
            ),
        ],
        terraform: Some(format!(
            "# Remove the aws_lb for {name} from your configuration, with its aws_lb_listener and\n# aws_lb_target_group resources, then `terraform apply`. If it sets\n# enable_deletion_protection = true, set it to false and apply that first."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_like_numbers() {
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(12.34), "12.3");
        assert_eq!(format_count(99.0), "99");
        assert_eq!(format_count(1234.4), "1,234");
        assert_eq!(format_count(1_000_000.0), "1,000,000");
    }

    #[test]
    fn metric_and_billing_ids_cover_every_form() {
        let lb = LoadBalancer {
            account: "111111111111",
            region: "us-east-1",
            arn: "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web/50dc6c495c0c9188",
            name: "web",
            kind: Kind::Application,
            scheme: None,
            created: None,
            tags: None,
        };
        assert_eq!(lb.metric_ids()[0], "app/web/50dc6c495c0c9188");
        assert_eq!(lb.billing_ids().len(), 2);
        let classic = LoadBalancer { arn: "old-web", name: "old-web", kind: Kind::Classic, ..lb };
        assert_eq!(classic.metric_ids(), ["old-web", "old-web"]);
        assert_eq!(
            classic.billing_ids()[1],
            "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/old-web"
        );
    }
}
