//! Running instances whose CPU and network both stayed low for most of the lookback.
//!
//! ## What it finds
//! Running EC2 instances that were idle on at least `min-idle-days` of the
//! last `lookback-days` days, where a day is idle when **both** its average
//! CPU (`AWS/EC2 CPUUtilization`, Average) is at most `max-cpu-percent` **and**
//! its network traffic (`NetworkIn` + `NetworkOut`, Sum) is at most
//! `max-network-mb` megabytes (10⁶ bytes). This is Trusted Advisor's
//! definition: low CPU alone is never enough — a quiet proxy or file server
//! moves data at 1% CPU, and is right-sized, not idle.
//!
//! Missing metrics never mean idle. A day is judged only when both CPU and
//! network datapoints cover at least 12 hours of it (a partly covered day's
//! network is scaled to 24 hours); an instance with fewer judged days than
//! `min-idle-days` — metrics not collected, a data gap for its account and
//! region, or just launched — is listed under "not enough data" with how
//! many days of each metric it had. An instance launched inside the window is
//! judged only on the days since its launch.
//!
//! Members of an Auto Scaling group are never flagged one by one (the group
//! would just replace them): the group is reported once, only when every
//! one of its running members is idle, with the members listed as covered.
//! A group with any busy member is not reported; one whose members are idle
//! or lack data is listed under "not enough data". The group finding carries
//! the tags all its members share, so a tag the group propagates at launch
//! (`costwise:ignore=true`) excludes it.
//!
//! Confidence is high when the instance was idle on every judged day, medium
//! when on at least half of them, and low otherwise (a machine busy on
//! weekdays and quiet at weekends is a schedule, not waste).
//!
//! ## Why it costs money
//! An instance bills every running hour whether it works or not. Instances
//! left behind after a test, a migration or a departed colleague's project
//! are among the largest single wastes in most accounts.
//!
//! ## How savings are estimated
//! The instance's whole monthly cost: its amortized cost in the CUR when the
//! CUR bills it by id (reservation and savings-plan discounts included), else
//! its on-demand rate × 730 hours from the price book (Linux rate). For a
//! group, the sum of its members' costs. Stopping still leaves the EBS
//! volumes billing; those are not counted here (terminating removes them).
//!
//! An instance idle by its metrics may still be a standby, a bastion or a
//! licence server that must stay reachable, so the risk is "needs testing":
//! confirm with its owner, stop it, keep an image, and terminate it only once
//! nobody has missed it.
//!
//! ## Settings
//! - `max-cpu-percent` (default 10): highest daily average CPU, in percent,
//!   of an idle day.
//! - `max-network-mb` (default 5): highest daily NetworkIn + NetworkOut, in
//!   MB, of an idle day.
//! - `min-idle-days` (default 4): idle days needed to flag an instance (and
//!   judged days needed to judge it at all).
//! - `lookback-days` (default 14): days of metrics looked at, ending at the
//!   snapshot's end.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{strings, times};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_word};
use crate::metrics::{self, DailyMetric, MetricQuery, Statistic};
use crate::prices::PriceSource;
use crate::spend::stable;
use crate::{Dataset, Table};

/// Default for `max-cpu-percent`.
pub const DEFAULT_MAX_CPU_PERCENT: f64 = 10.0;
/// Default for `max-network-mb`.
pub const DEFAULT_MAX_NETWORK_MB: f64 = 5.0;
/// Default for `min-idle-days`.
pub const DEFAULT_MIN_IDLE_DAYS: u32 = 4;
/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 14;

/// A day is judged only when its datapoints cover at least this much of it.
const MIN_DAY_COVERAGE_SECONDS: i64 = 12 * 3600;
const SECONDS_PER_DAY: f64 = 86_400.0;
const BYTES_PER_MB: f64 = 1_000_000.0;

/// The rule.
pub struct IdleInstance;

/// User options under `[rules.idle-instance]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Highest daily average CPU (percent) of an idle day.
    pub max_cpu_percent: Option<f64>,
    /// Highest daily NetworkIn + NetworkOut (MB) of an idle day.
    pub max_network_mb: Option<f64>,
    /// Idle days needed to flag an instance.
    pub min_idle_days: Option<u32>,
    /// Days of metrics looked at.
    pub lookback_days: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Highest daily average CPU (percent) of an idle day.
    pub max_cpu_percent: f64,
    /// Highest daily NetworkIn + NetworkOut (MB) of an idle day.
    pub max_network_mb: f64,
    /// Idle days needed to flag an instance.
    pub min_idle_days: u32,
    /// Days of metrics looked at.
    pub lookback_days: u32,
}

impl Rule for IdleInstance {
    const ID: &'static str = "idle-instance";
    const CATEGORY: Category = Category::Unused;
    const REMOVES_RESOURCES: bool = true;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let settings = Settings {
            max_cpu_percent: options.max_cpu_percent.unwrap_or(DEFAULT_MAX_CPU_PERCENT),
            max_network_mb: options.max_network_mb.unwrap_or(DEFAULT_MAX_NETWORK_MB),
            min_idle_days: options.min_idle_days.unwrap_or(DEFAULT_MIN_IDLE_DAYS),
            lookback_days: options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS),
        };
        if !(0.0..=100.0).contains(&settings.max_cpu_percent) {
            return Err(format!("`max-cpu-percent` must be between 0 and 100, got {}", settings.max_cpu_percent));
        }
        if !settings.max_network_mb.is_finite() || settings.max_network_mb < 0.0 {
            return Err(format!("`max-network-mb` must be a non-negative number, got {}", settings.max_network_mb));
        }
        if settings.lookback_days == 0 {
            return Err("`lookback-days` must be at least 1".into());
        }
        if settings.min_idle_days == 0 || settings.min_idle_days > settings.lookback_days {
            return Err(format!(
                "`min-idle-days` must be between 1 and `lookback-days` ({}), got {}",
                settings.lookback_days, settings.min_idle_days
            ));
        }
        Ok(settings)
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let (Some(instances), true) = (ctx.dataset.table(Table::Instances), ctx.dataset.has(Table::Metrics)) else {
            return Ok(RuleOutput::default());
        };
        let candidates = Candidate::load(instances)?;
        if candidates.is_empty() {
            return Ok(RuleOutput::default());
        }
        let activity = Metrics::load(ctx.dataset, settings.lookback_days)?;

        let mut output = RuleOutput::default();
        let mut groups: BTreeMap<(String, String, String), Vec<(Candidate, Verdict)>> = BTreeMap::new();
        for candidate in candidates {
            let verdict = match judge(&candidate, settings, &activity, ctx.dataset) {
                Judgement::Idle(days) => match monthly_cost(&candidate, ctx) {
                    Some(cost) => Verdict::Idle(days, cost),
                    None => Verdict::NotEnoughData(format!(
                        "idle, but neither the CUR nor the price book gives a cost for {} in {}",
                        candidate.instance_type, candidate.region
                    )),
                },
                Judgement::Busy => Verdict::Busy,
                Judgement::NotEnoughData(reason) => Verdict::NotEnoughData(reason),
            };
            if let Some(group) = candidate.asg.clone() {
                let key = (candidate.account.clone(), candidate.region.clone(), group);
                groups.entry(key).or_default().push((candidate, verdict));
                continue;
            }
            match verdict {
                Verdict::Idle(days, cost) => output.findings.push(instance_finding(&candidate, &days, &cost, settings)),
                Verdict::NotEnoughData(reason) => output.not_enough_data.push(candidate.not_enough_data(reason)),
                Verdict::Busy => {}
            }
        }
        for ((account, region, group), members) in groups {
            if members.iter().any(|(_, v)| matches!(v, Verdict::Busy)) {
                continue;
            }
            let lacking: Vec<String> = members
                .iter()
                .filter_map(|(c, v)| match v {
                    Verdict::NotEnoughData(reason) => Some(format!("{} ({reason})", c.id)),
                    _ => None,
                })
                .collect();
            if lacking.is_empty() {
                output.findings.push(group_finding(&account, &region, &group, &members, settings, ctx));
            } else {
                output.not_enough_data.push(NotEnoughData {
                    account_id: account,
                    region: Some(region),
                    resource_id: group,
                    reason: format!(
                        "Auto Scaling group: {} of its {} running member(s) cannot be judged, and the rest are idle: {}",
                        lacking.len(),
                        members.len(),
                        lacking.join("; ")
                    ),
                });
            }
        }
        Ok(output)
    }
}

/// A running instance to judge.
struct Candidate {
    account: String,
    region: String,
    id: String,
    name: Option<String>,
    instance_type: String,
    launched: Option<NaiveDateTime>,
    asg: Option<String>,
    tags: BTreeMap<String, String>,
}

impl Candidate {
    fn load(instances: LazyFrame) -> Result<Vec<Self>, Error> {
        let context = "idle-instance: instances";
        let running = instances
            .filter(col("state").eq(lit("running")))
            .collect()
            .during(|| format!("{context}: reading running instances"))?;
        let account = strings(&running, "account_id", context)?;
        let region = strings(&running, "region", context)?;
        let id = strings(&running, "instance_id", context)?;
        let name = strings(&running, "name", context)?;
        let itype = strings(&running, "instance_type", context)?;
        let asg = strings(&running, "auto_scaling_group", context)?;
        let tags = strings(&running, "tags", context)?;
        let launched = times(&running, "launch_time", context)?;
        Ok((0..running.height())
            .filter_map(|i| {
                Some(Self {
                    account: account.get(i)?.to_owned(),
                    region: region.get(i)?.to_owned(),
                    id: id.get(i)?.to_owned(),
                    name: name.get(i).map(str::to_owned),
                    instance_type: itype.get(i)?.to_owned(),
                    launched: launched[i],
                    asg: asg.get(i).filter(|g| !g.is_empty()).map(str::to_owned),
                    tags: parse_tags(tags.get(i)),
                })
            })
            .collect())
    }

    fn not_enough_data(&self, reason: String) -> NotEnoughData {
        NotEnoughData {
            account_id: self.account.clone(),
            region: Some(self.region.clone()),
            resource_id: self.id.clone(),
            reason,
        }
    }
}

/// The three daily series every instance is judged on.
struct Metrics {
    cpu: DailyMetric,
    net_in: DailyMetric,
    net_out: DailyMetric,
    lookback_days: u32,
}

impl Metrics {
    fn load(dataset: &Dataset, lookback_days: u32) -> Result<Self, Error> {
        let query = |metric, statistic| MetricQuery { namespace: "AWS/EC2", metric, statistic, lookback_days };
        Ok(Self {
            cpu: metrics::daily(dataset, query("CPUUtilization", Statistic::Average))?,
            net_in: metrics::daily(dataset, query("NetworkIn", Statistic::Sum))?,
            net_out: metrics::daily(dataset, query("NetworkOut", Statistic::Sum))?,
            lookback_days,
        })
    }
}

/// One judged day.
#[derive(Debug, Clone, PartialEq)]
struct Day {
    date: NaiveDate,
    cpu_percent: f64,
    network_mb: f64,
    idle: bool,
}

/// What the metrics say about one instance.
#[derive(Debug, PartialEq)]
enum Judgement {
    Idle(Vec<Day>),
    Busy,
    NotEnoughData(String),
}

/// A judgement, with the cost of an idle instance.
enum Verdict {
    Idle(Vec<Day>, Cost),
    Busy,
    NotEnoughData(String),
}

/// An instance's monthly cost and where it came from.
struct Cost {
    monthly: f64,
    source: PriceSource,
    basis: String,
}

/// A day's value when its datapoints cover enough of it, scaled to a full day
/// when `scale` (sums) and taken as is otherwise (averages).
fn day_value(metric: &DailyMetric, id: &str, date: NaiveDate, scale: bool) -> Option<f64> {
    let value = *metric.days(id)?.get(&date)?;
    let covered = *metric.covered_seconds(id)?.get(&date)?;
    if covered < MIN_DAY_COVERAGE_SECONDS {
        return None;
    }
    Some(if scale { value * SECONDS_PER_DAY / covered as f64 } else { value })
}

fn judge(candidate: &Candidate, settings: &Settings, metrics: &Metrics, dataset: &Dataset) -> Judgement {
    let lookback = metrics.lookback_days;
    if let Some(gap) = metrics::data_gap(dataset, Table::Metrics, &candidate.account, &candidate.region) {
        return Judgement::NotEnoughData(format!(
            "metrics not collected for account {} in {}: {gap}",
            candidate.account, candidate.region
        ));
    }
    for (metric, name, statistic) in [
        (&metrics.cpu, "CPUUtilization", "Average"),
        (&metrics.net_in, "NetworkIn", "Sum"),
        (&metrics.net_out, "NetworkOut", "Sum"),
    ] {
        if !metric.collected {
            return Judgement::NotEnoughData(format!(
                "AWS/EC2 {name} ({statistic}) is not in the snapshot for the last {lookback} days: the metric was not collected"
            ));
        }
    }
    let window = &metrics.cpu;
    let first = candidate.launched.map_or(window.start, |l| l.max(window.start)).date();
    let last = (window.end - Duration::microseconds(1)).date();
    let id = candidate.id.as_str();
    let (mut cpu_days, mut net_days, mut possible) = (0, 0, 0);
    let mut days = Vec::new();
    for date in first.iter_days().take_while(|d| *d <= last) {
        possible += 1;
        let cpu = day_value(&metrics.cpu, id, date, false);
        let network = day_value(&metrics.net_in, id, date, true)
            .zip(day_value(&metrics.net_out, id, date, true))
            .map(|(i, o)| (i + o) / BYTES_PER_MB);
        cpu_days += usize::from(cpu.is_some());
        net_days += usize::from(network.is_some());
        if let (Some(cpu_percent), Some(network_mb)) = (cpu, network) {
            let idle = cpu_percent <= settings.max_cpu_percent && network_mb <= settings.max_network_mb;
            days.push(Day { date, cpu_percent, network_mb, idle });
        }
    }
    let needed = settings.min_idle_days as usize;
    if days.len() < needed {
        let since = match candidate.launched {
            Some(l) if l > window.start => {
                format!("{possible} day(s) since its launch on {}", l.format("%Y-%m-%d %H:%M UTC"))
            }
            _ => format!("the last {lookback} days"),
        };
        return Judgement::NotEnoughData(format!(
            "only {} day(s) with both CPU and network datapoints in {since} (CPUUtilization on {cpu_days}, NetworkIn and NetworkOut on {net_days}); at least {needed} are needed",
            days.len()
        ));
    }
    if days.iter().filter(|d| d.idle).count() >= needed { Judgement::Idle(days) } else { Judgement::Busy }
}

fn monthly_cost(candidate: &Candidate, ctx: &Context<'_>) -> Option<Cost> {
    if let Some(billed) = ctx.billed.get(&candidate.id) {
        return Some(Cost {
            monthly: billed.monthly,
            source: ctx.billed.source(),
            basis: "amortized cost billed in the CUR".into(),
        });
    }
    let rate = ctx.prices.ec2_on_demand_hourly(&candidate.region, &candidate.instance_type)?;
    let hours = ctx.prices.hours_per_month();
    Some(Cost {
        monthly: stable(rate.value * hours),
        basis: format!(
            "{} Linux on-demand ${}/hour × {hours} h (the CUR does not bill this instance by id)",
            candidate.instance_type, rate.value
        ),
        source: rate.source,
    })
}

fn confidence(days: &[Day]) -> Confidence {
    let idle = days.iter().filter(|d| d.idle).count();
    if idle == days.len() {
        Confidence::High
    } else if idle * 2 >= days.len() {
        Confidence::Medium
    } else {
        Confidence::Low
    }
}

/// Averages and maxima of the judged days.
struct Summary {
    idle: usize,
    judged: usize,
    mean_cpu: f64,
    max_cpu: f64,
    mean_network: f64,
    max_network: f64,
}

impl Summary {
    fn of(days: &[Day]) -> Self {
        let n = days.len().max(1) as f64;
        Self {
            idle: days.iter().filter(|d| d.idle).count(),
            judged: days.len(),
            mean_cpu: days.iter().map(|d| d.cpu_percent).sum::<f64>() / n,
            max_cpu: days.iter().map(|d| d.cpu_percent).fold(0.0, f64::max),
            mean_network: days.iter().map(|d| d.network_mb).sum::<f64>() / n,
            max_network: days.iter().map(|d| d.network_mb).fold(0.0, f64::max),
        }
    }
}

fn daily_values(days: &[Day]) -> String {
    let mut out = String::new();
    for (i, d) in days.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let mark = if d.idle { "" } else { " (busy)" };
        let _ = write!(out, "{} {:.2}% {:.2} MB{mark}", d.date.format("%m-%d"), d.cpu_percent, d.network_mb);
    }
    out
}

fn thresholds(settings: &Settings) -> [Evidence; 2] {
    [
        Evidence::percent("CPU threshold (daily average)", settings.max_cpu_percent),
        Evidence::quantity("network threshold (NetworkIn + NetworkOut per day)", settings.max_network_mb, "MB"),
    ]
}

fn idle_rule(settings: &Settings) -> String {
    format!("CPU ≤ {}%, network ≤ {} MB/day", settings.max_cpu_percent, settings.max_network_mb)
}

fn instance_finding(candidate: &Candidate, days: &[Day], cost: &Cost, settings: &Settings) -> Finding {
    let s = Summary::of(days);
    let mut evidence = vec![
        Evidence::quantity("idle days", s.idle as f64, "days"),
        Evidence::quantity("days judged", s.judged as f64, "days"),
        Evidence::percent("average daily CPU", s.mean_cpu),
        Evidence::percent("highest daily CPU", s.max_cpu),
        Evidence::quantity("average daily network", s.mean_network, "MB"),
        Evidence::quantity("highest daily network", s.max_network, "MB"),
    ];
    evidence.extend(thresholds(settings));
    evidence.extend([
        Evidence::text("daily CPU and network (UTC days)", daily_values(days)),
        Evidence::text("instance type", candidate.instance_type.as_str()),
        Evidence::monthly("monthly cost", cost.monthly),
        Evidence::text("monthly cost basis", cost.basis.as_str()),
        Evidence::text(
            "caution",
            "idle by CPU and network, but it may still be a standby, bastion or licence server; confirm with its owner",
        ),
    ]);
    if let Some(launch) = candidate.launched {
        evidence.push(Evidence::text("launched", launch.format("%Y-%m-%d %H:%M UTC").to_string()));
    }
    Finding {
        rule: IdleInstance::ID.into(),
        category: IdleInstance::CATEGORY,
        account_id: candidate.account.clone(),
        region: Some(candidate.region.clone()),
        resource_type: "ec2-instance".into(),
        resource_id: candidate.id.clone(),
        resource_name: candidate.name.clone(),
        title: format!("{} idle on {} of {} days ({})", candidate.instance_type, s.idle, s.judged, idle_rule(settings)),
        evidence,
        monthly_cost: cost.monthly,
        monthly_savings: cost.monthly,
        price_source: cost.source.clone(),
        confidence: confidence(days),
        risk: Risk::NeedsTesting,
        remediation: instance_remediation(&candidate.region, &candidate.id),
        tags: candidate.tags.clone(),
        covers: Vec::new(),
    }
}

fn group_finding(
    account: &str,
    region: &str,
    group: &str,
    members: &[(Candidate, Verdict)],
    settings: &Settings,
    ctx: &Context<'_>,
) -> Finding {
    let mut monthly = 0.0;
    let mut source: Option<PriceSource> = None;
    let mut confidence_all = Confidence::High;
    let mut lines = Vec::new();
    for (candidate, verdict) in members {
        let Verdict::Idle(days, cost) = verdict else { continue };
        let s = Summary::of(days);
        monthly += cost.monthly;
        source = Some(match source {
            Some(prev) => prev.weakest(cost.source.clone()),
            None => cost.source.clone(),
        });
        confidence_all = confidence_all.min(confidence(days));
        lines.push(format!(
            "{} ({}): idle on {} of {} days, CPU {:.2}% and network {:.2} MB/day on average, ${:.2}/month",
            candidate.id, candidate.instance_type, s.idle, s.judged, s.mean_cpu, s.mean_network, cost.monthly
        ));
    }
    let monthly = stable(monthly);
    let mut evidence = vec![Evidence::quantity("running members, all idle", members.len() as f64, "instances")];
    evidence.extend(thresholds(settings));
    evidence.push(Evidence::text("members", lines.join("; ")));
    evidence.push(Evidence::monthly("monthly cost of the members", monthly));
    evidence.push(Evidence::text(
        "caution",
        "every member is idle by CPU and network, but the group may be a warm standby; check its scaling policies and scheduled actions too",
    ));
    // The tags every member shares: an Auto Scaling group propagates its own tags to them.
    let mut tags = members.first().map(|(c, _)| c.tags.clone()).unwrap_or_default();
    for (candidate, _) in members {
        tags.retain(|k, v| candidate.tags.get(k) == Some(v));
    }
    let names: BTreeSet<&str> = members.iter().filter_map(|(c, _)| c.name.as_deref()).collect();
    let resource_name = match (names.len(), members.iter().all(|(c, _)| c.name.is_some())) {
        (1, true) => names.first().map(|n| (*n).to_owned()),
        _ => None,
    };
    let mut covers: Vec<String> = members.iter().map(|(c, _)| c.id.clone()).collect();
    covers.sort();
    Finding {
        rule: IdleInstance::ID.into(),
        category: IdleInstance::CATEGORY,
        account_id: account.to_owned(),
        region: Some(region.to_owned()),
        resource_type: "auto-scaling-group".into(),
        resource_id: group.to_owned(),
        resource_name,
        title: format!(
            "Auto Scaling group {group}: all {} running instance(s) idle ({})",
            members.len(),
            idle_rule(settings)
        ),
        evidence,
        monthly_cost: monthly,
        monthly_savings: monthly,
        price_source: source.unwrap_or_else(|| ctx.billed.source()),
        confidence: confidence_all,
        risk: Risk::NeedsTesting,
        remediation: group_remediation(region, group),
        tags,
        covers,
    }
}

fn instance_remediation(region: &str, instance_id: &str) -> Remediation {
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Confirm with the owner that {instance_id} is not a standby, stop it, keep an image of it, and terminate it once nobody has missed it (stopped, its EBS volumes still bill)."
        ),
        cli: vec![
            format!("aws ec2 stop-instances --region {region} --instance-ids {instance_id}"),
            format!("aws ec2 wait instance-stopped --region {region} --instance-ids {instance_id}"),
            format!(
                "AMI=$(aws ec2 create-image --region {region} --instance-id {instance_id} --name 'costwise-final-{instance_id}' --description 'costwise: image of idle instance {instance_id} before termination' --query ImageId --output text)"
            ),
            format!("aws ec2 wait image-available --region {region} --image-ids \"$AMI\""),
            format!(
                "# once nobody has missed it (this also deletes volumes marked DeleteOnTermination):\naws ec2 terminate-instances --region {region} --instance-ids {instance_id}"
            ),
        ],
        terraform: Some(format!(
            "# After the image is taken, remove the aws_instance for {instance_id} from your configuration (or set count = 0 on it)."
        )),
    }
}

fn group_remediation(region: &str, group: &str) -> Remediation {
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Confirm with the owner, then scale Auto Scaling group {group} to zero (its launch template keeps it restorable), or delete it."
        ),
        cli: vec![
            format!(
                "aws autoscaling update-auto-scaling-group --region {region} --auto-scaling-group-name {} --min-size 0 --desired-capacity 0",
                shell_word(group)
            ),
            format!(
                "# or remove the group and its instances entirely:\naws autoscaling delete-auto-scaling-group --region {region} --auto-scaling-group-name {} --force-delete",
                shell_word(group)
            ),
        ],
        terraform: Some(format!(
            "# In the aws_autoscaling_group for {}:\nmin_size         = 0\ndesired_capacity = 0",
            shell_word(group)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(cpu_percent: f64, network_mb: f64, idle: bool) -> Day {
        Day { date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), cpu_percent, network_mb, idle }
    }

    #[test]
    fn confidence_follows_the_share_of_idle_days() {
        assert_eq!(confidence(&[day(1.0, 1.0, true), day(1.0, 1.0, true)]), Confidence::High);
        assert_eq!(confidence(&[day(1.0, 1.0, true), day(50.0, 900.0, false)]), Confidence::Medium);
        assert_eq!(
            confidence(&[day(1.0, 1.0, true), day(50.0, 900.0, false), day(50.0, 900.0, false)]),
            Confidence::Low
        );
    }

    #[test]
    fn settings_are_validated() {
        let opts = |cpu, days| Options { max_cpu_percent: cpu, min_idle_days: days, ..Options::default() };
        assert!(IdleInstance::resolve(opts(Some(120.0), None)).unwrap_err().contains("max-cpu-percent"));
        assert!(IdleInstance::resolve(opts(None, Some(15))).unwrap_err().contains("min-idle-days"));
        assert!(IdleInstance::resolve(opts(None, Some(0))).unwrap_err().contains("min-idle-days"));
        let defaults = IdleInstance::resolve(Options::default()).unwrap();
        assert_eq!((defaults.max_cpu_percent, defaults.max_network_mb), (10.0, 5.0));
        assert_eq!((defaults.min_idle_days, defaults.lookback_days), (4, 14));
    }
}
