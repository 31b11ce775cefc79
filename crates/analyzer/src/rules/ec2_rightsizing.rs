//! Running instances and Auto Scaling groups sized larger (or smaller) than their measured load needs.
//!
//! ## What it finds
//! Running EC2 instances, and Auto Scaling groups as a whole, whose hourly
//! CloudWatch metrics over the last `lookback-days` show that a cheaper
//! instance type would carry the load (**over-provisioned**), or that the
//! current type cannot (**under-provisioned**). The method follows AWS
//! Compute Optimizer's published one — percentile CPU plus headroom, memory
//! only from the CloudWatch agent, a 0–4 performance risk, Graviton as a
//! migration — and goes further: every recommendation shows its numbers,
//! compares processors by per-vCPU performance, never shrinks memory or
//! network it did not measure, checks burstable types against their credit
//! baseline, and counts the RI/SP discount the instance already gets.
//! `docs/rightsizing.md` explains the method in full.
//!
//! What an instance needs:
//! - **CPU**: current vCPU × the `cpu-percentile` of its hourly `Maximum`
//!   CPUUtilization (`Average` when no Maximum was collected) ÷ (1 −
//!   `cpu-headroom-pct`). A candidate fits when its vCPUs × its relative
//!   per-vCPU performance cover that (m7g does 1.3× the work of m5 per vCPU;
//!   the table is in `docs/rightsizing.md`).
//! - **Memory**: with the CloudWatch agent's `mem_used_percent`, current
//!   memory × its percentile ÷ (1 − `memory-headroom-pct`); without it, the
//!   current memory: never shrunk blind.
//! - **Network**: a baseline bandwidth at least the peak hourly NetworkIn +
//!   NetworkOut (the current type's baseline when not measured). **EBS**:
//!   baseline IOPS and bandwidth at least the peak hourly EBS operations and
//!   bytes, when the instance reports them.
//! - The same architecture, unless `graviton` allows arm64 in place of
//!   x86_64; an instance store when the current type has one; burstable (T)
//!   types only when the mean CPU, converted to their vCPUs, stays within
//!   their baseline, so they live on earned credits.
//!
//! Candidates are every type in the price book from an allowed family (not
//! previous generations, bare metal, GPU or other accelerated types) that
//! meets all of that, cheapest first. The finding recommends the cheapest and
//! lists up to two alternatives: the cheapest fitting size of the current
//! family, and the cheapest fitting Graviton type. Each carries a performance
//! risk from 0 (under half of any capacity used) to 4 (90 % or more) — the
//! worst of CPU, memory, network and EBS at the percentile, before headroom,
//! at least 1 for burstable types — and a migration effort: very low (same
//! family), low (another family), medium (x86_64 to Graviton: an arm64 AMI
//! and arm64 builds of everything it runs).
//!
//! An instance is **over-provisioned** when a *smaller* type fits — less
//! memory, or less sustained CPU (vCPUs × burstable baseline) — and the cheapest such type saves at least
//! `min-monthly-savings`. A same-size move (t3.micro → t4g.micro, m5.large →
//! m6g.large) is a migration, not rightsizing, and is not reported. It is
//! **under-provisioned** when **under-provisioned** when its own type
//! does not meet the requirement: percentile CPU above (1 − headroom) of its
//! vCPUs, or percentile memory likewise. Under-provisioned findings are a
//! risk, not a saving: $0 savings, with the cost increase of the cheapest
//! fitting type in the evidence. Anything else is optimized and not
//! reported.
//!
//! Members of an Auto Scaling group are never reported one by one: the group
//! is sized once, on its members' type, from their hour-by-hour mean load
//! (CPU, memory, network and EBS averaged across the members reporting each
//! hour), and the finding covers every member.
//!
//! Missing data never means a size. These go under "not enough data": fewer
//! than `min-hours` hours with CPU datapoints in the lookback (a new or
//! mostly stopped instance), CPUUtilization not collected at all, a recorded
//! metrics gap for the account and region, an instance type the catalog does
//! not know, GPU and other accelerated instances (their accelerator use is not
//! measured), platforms and tenancies the price book cannot price (Windows
//! and other licensed platforms, dedicated tenancy, Spot), and groups whose
//! members run several types.
//!
//! ## Why it costs money
//! Instances are usually sized at launch for a guess at peak load, and rarely
//! revisited. Each size up doubles the price: an m5.xlarge running at 10 %
//! CPU costs twice the m5.large that would carry it. Newer generations and
//! Graviton do more per vCPU for less money, so the same load often fits a
//! smaller, cheaper type. Under-provisioned instances cost in another way:
//! slow or throttled requests, and out-of-memory restarts.
//!
//! ## How savings are estimated
//! (current on-demand $/hour − recommended on-demand $/hour) × hours run per
//! month, both rates from the price book for the instance's region (the CUR's
//! own rate when it bills that type there, else the catalog scaled by the
//! region's observed ratio). Hours run per month = 730 × the share of the
//! lookback's hours with CPU datapoints (capped at 1): a full-time instance
//! counts 730 hours, one that ran a third of the time counts a third. A group
//! multiplies by its running members.
//!
//! When the CUR bills the instance under 90 % of on-demand, a reservation or
//! savings plan covers it: the saving is then scaled by that billed share
//! (the after-discount figure, which the report total uses), the on-demand
//! figure stays in the evidence, and the evidence says the RI/SP may need
//! exchanging — a standard reservation does not follow a move to another
//! family. The finding's monthly cost is the amortized cost billed in the CUR
//! when the CUR bills the instance by id, else its on-demand rate × hours run.
//!
//! Changing the type needs a stop and a start (risk: change window). The risk
//! is "needs testing" when the move changes the architecture, when the
//! recommended type would run at performance risk 3 or more, when the
//! instance has instance-store disks (erased on stop), and for every
//! under-provisioned finding. Confidence is high with a full lookback of
//! data, dropping one step for each caveat: fewer than half the lookback's
//! hours measured, CPU from `Average` only, a Graviton migration, a
//! reservation or savings plan to re-plan.
//!
//! ## Settings
//! - `lookback-days` (default 14): days of metrics to size on, ending at the
//!   snapshot's end: 14, 32 or 93 (Compute Optimizer's choices).
//! - `cpu-percentile` (default "p99.5"): the percentile of hourly CPU (and
//!   memory) to size for: "p90", "p95" or "p99.5".
//! - `cpu-headroom-pct` (default 20): spare CPU to keep above the percentile,
//!   in percent (0 to 90).
//! - `memory-headroom-pct` (default 20): spare memory to keep above the
//!   percentile of `mem_used_percent`, in percent (0 to 90).
//! - `min-hours` (default 30): hours of CPU datapoints needed in the lookback
//!   to size an instance (and of memory datapoints to use them).
//! - `families` (default: every current family): the instance families
//!   candidates may come from, as exact names (`"m7g"`) or prefixes ending in
//!   `*` (`"m7*"`). By default every family except previous generations (a1,
//!   c1, c3, c4, d2, i2, m1–m4, r3, r4, t1, t2); bare metal, GPU and other
//!   accelerated types are never candidates.
//! - `graviton` (default true): allow arm64 (Graviton) types for x86_64
//!   instances, as a migration of medium effort.
//! - `min-monthly-savings` (default 1): the smallest monthly saving, in
//!   dollars, that makes an instance (or group) over-provisioned.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::ec2_resize::{AutoScalingGroups, GroupTypeChange, InPlaceResize};
use super::{Context, NotEnoughData, Rule, RuleOutput};
use crate::Table;
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::InstanceSpec;
use crate::rightsizing::{
    self, Candidate, Classification, CpuStatistic, Families, Headroom, MigrationEffort, Outcome, Params, Shortfall,
    Sizing, Subject, SubjectKind, baseline_per_vcpu, relative_performance,
};

pub use crate::rightsizing::{
    DEFAULT_HEADROOM_PCT, DEFAULT_LOOKBACK_DAYS, DEFAULT_MIN_HOURS, DEFAULT_MIN_MONTHLY_SAVINGS,
};

/// Default for `cpu-percentile`.
pub const DEFAULT_CPU_PERCENTILE: &str = "p99.5";
/// Default for `graviton`.
pub const DEFAULT_GRAVITON: bool = true;

/// The rule.
pub struct Ec2Rightsizing;

/// User options under `[rules.ec2-rightsizing]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days of metrics: 14, 32 or 93.
    pub lookback_days: Option<u32>,
    /// "p90", "p95" or "p99.5".
    pub cpu_percentile: Option<String>,
    /// CPU headroom, percent.
    pub cpu_headroom_pct: Option<f64>,
    /// Memory headroom, percent.
    pub memory_headroom_pct: Option<f64>,
    /// Hours of CPU datapoints needed.
    pub min_hours: Option<u32>,
    /// Families candidates may come from.
    pub families: Option<Vec<String>>,
    /// Whether Graviton types may replace x86_64 ones.
    pub graviton: Option<bool>,
    /// Smallest monthly saving worth reporting, dollars.
    pub min_monthly_savings: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days of metrics: 14, 32 or 93.
    pub lookback_days: u32,
    /// "p90", "p95" or "p99.5".
    pub cpu_percentile: String,
    /// CPU headroom, percent.
    pub cpu_headroom_pct: f64,
    /// Memory headroom, percent.
    pub memory_headroom_pct: f64,
    /// Hours of CPU datapoints needed.
    pub min_hours: u32,
    /// Whether Graviton types may replace x86_64 ones.
    pub graviton: bool,
    /// Smallest monthly saving worth reporting, dollars.
    pub min_monthly_savings: f64,
    /// Families candidates may come from; absent for the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub families: Option<Vec<String>>,
    /// The same, as the rightsizing library reads them.
    #[serde(skip)]
    pub params: Params,
}

/// Parses `p90`, `p95` or `p99.5`.
fn parse_percentile(text: &str) -> Result<f64, String> {
    let value = text.trim().strip_prefix(['p', 'P']).and_then(|n| n.parse::<f64>().ok());
    match value {
        Some(p) if rightsizing::ALLOWED_CPU_PERCENTILES.contains(&p) => Ok(p),
        _ => Err(format!("`cpu-percentile` must be \"p90\", \"p95\" or \"p99.5\", got \"{text}\"")),
    }
}

impl Rule for Ec2Rightsizing {
    const ID: &'static str = "ec2-rightsizing";
    const CATEGORY: Category = Category::Rightsizing;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let cpu_percentile = options.cpu_percentile.unwrap_or_else(|| DEFAULT_CPU_PERCENTILE.to_owned());
        let cpu_headroom_pct = options.cpu_headroom_pct.unwrap_or(DEFAULT_HEADROOM_PCT);
        let memory_headroom_pct = options.memory_headroom_pct.unwrap_or(DEFAULT_HEADROOM_PCT);
        let params = Params {
            lookback_days: options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS),
            cpu_percentile: parse_percentile(&cpu_percentile)?,
            headroom: Headroom { cpu: cpu_headroom_pct / 100.0, memory: memory_headroom_pct / 100.0 },
            min_hours: options.min_hours.unwrap_or(DEFAULT_MIN_HOURS),
            families: options.families.clone().map_or_else(Families::default, Families::only),
            graviton: options.graviton.unwrap_or(DEFAULT_GRAVITON),
            min_monthly_savings: options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS),
        };
        params.validate()?;
        Ok(Settings {
            lookback_days: params.lookback_days,
            cpu_percentile: format!("p{}", params.cpu_percentile),
            cpu_headroom_pct,
            memory_headroom_pct,
            min_hours: params.min_hours,
            graviton: params.graviton,
            min_monthly_savings: params.min_monthly_savings,
            families: options.families,
            params,
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        if !ctx.dataset.has(Table::Instances) || !ctx.dataset.has(Table::Metrics) {
            return Ok(RuleOutput::default());
        }
        let assessments = rightsizing::assess(ctx.dataset, ctx.prices, ctx.billed, &settings.params)?;
        let groups = AutoScalingGroups::load(ctx.dataset, Self::ID)?;
        let mut output = RuleOutput::default();
        for assessment in assessments {
            let subject = assessment.subject;
            match assessment.outcome {
                Outcome::NotEnoughData(reason) => output.not_enough_data.push(NotEnoughData {
                    account_id: subject.account_id,
                    region: Some(subject.region),
                    resource_id: subject.id,
                    reason,
                }),
                Outcome::Sized(sizing) => {
                    if let Some(finding) = finding(&subject, &sizing, settings, ctx, groups.as_ref()) {
                        output.findings.push(finding);
                    }
                }
            }
        }
        Ok(output)
    }
}

/// The finding for a sized subject, if it is over- or under-provisioned.
fn finding(
    subject: &Subject,
    s: &Sizing,
    settings: &Settings,
    ctx: &Context<'_>,
    groups: Option<&AutoScalingGroups>,
) -> Option<Finding> {
    let over = match s.classification {
        Classification::OverProvisioned => true,
        Classification::UnderProvisioned => false,
        Classification::Optimized => return None,
    };
    let best = s.recommendation.as_ref().map(|r| &r.best);
    if over && best.is_none() {
        return None;
    }
    let p = percentile_label(settings.params.cpu_percentile);
    let current = &s.current.instance_type;
    let group = subject.kind == SubjectKind::AutoScalingGroup;
    let who = if group {
        format!("Auto Scaling group {}: {} × {current}", subject.id, s.instances)
    } else {
        current.clone()
    };
    let title = if let (true, Some(best)) = (over, best) {
        let after = if s.commitment.is_some() { " after its RI/SP discount" } else { "" };
        format!(
            "{who} over-provisioned ({p} CPU {:.1}%): {} fits and saves ${:.2}/month{after}",
            s.usage.cpu_percentile,
            best.instance_type(),
            s.monthly_savings
        )
    } else {
        let why = s.shortfalls.iter().map(shortfall_words).collect::<Vec<_>>().join("; ");
        match best {
            Some(best) => {
                let change = s.on_demand_change.unwrap_or(0.0);
                let cost = if change <= 0.0 {
                    format!("${:.2}/month more", -change)
                } else {
                    format!("${change:.2}/month less")
                };
                format!("{who} under-provisioned ({why}): {} fits for {cost}", best.instance_type())
            }
            None => format!("{who} under-provisioned ({why}): no type in the allowed families fits"),
        }
    };

    let mut price_source = s.current_hourly.source.clone();
    if let Some(best) = best {
        price_source = price_source.weakest(best.hourly.source.clone());
    }
    if s.commitment.is_some() {
        price_source = price_source.weakest(ctx.billed.source());
    }
    let migration = best.is_some_and(|b| b.effort == MigrationEffort::Medium);
    let caveats = [
        s.run_share < 0.5,
        s.usage.cpu_statistic == CpuStatistic::Average,
        over && migration,
        over && s.commitment.is_some(),
    ]
    .into_iter()
    .filter(|c| *c)
    .count();
    let confidence = match caveats {
        0 => Confidence::High,
        1 => Confidence::Medium,
        _ => Confidence::Low,
    };
    let needs_testing = !over || migration || s.requirement.instance_store || best.is_some_and(|b| b.risk.score >= 3);
    let remediation = match best {
        Some(best) if group => group_remediation(
            &GroupTypeChange {
                region: &subject.region,
                group: &subject.id,
                source: groups.and_then(|g| g.get(&subject.account_id, &subject.region, &subject.id)),
                to: best.instance_type(),
                arm64_image: best.effort == MigrationEffort::Medium,
            },
            current,
            over,
        ),
        Some(best) => instance_remediation(&subject.region, &subject.id, s.current, best, over),
        None => Remediation {
 lifecycle_configuration: None,
            summary: "No type in the allowed families meets the requirement: widen `families` under [rules.ec2-rightsizing], or split the load across more instances.".into(),
            cli: Vec::new(),
            terraform: None,
        },
    };
    Some(Finding {
        rule: Ec2Rightsizing::ID.into(),
        category: Ec2Rightsizing::CATEGORY,
        account_id: subject.account_id.clone(),
        region: Some(subject.region.clone()),
        resource_type: if group { "auto-scaling-group" } else { "ec2-instance" }.into(),
        resource_id: subject.id.clone(),
        resource_name: subject.name.clone(),
        title,
        evidence: evidence(subject, s, settings, ctx, over),
        monthly_cost: s.monthly_cost,
        monthly_savings: s.monthly_savings,
        price_source,
        confidence,
        risk: if needs_testing { Risk::NeedsTesting } else { Risk::ChangeWindow },
        remediation,
        tags: subject.tags.clone(),
        covers: if group { subject.members.clone() } else { Vec::new() },
    })
}

fn percentile_label(p: f64) -> String {
    format!("p{p}")
}

/// A number rounded to 3 decimals, without trailing zeros (`2.375`, `0.85`, `2`).
fn short(value: f64) -> String {
    let text = format!("{:.3}", (value * 1000.0).round() / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn shortfall_words(shortfall: &Shortfall) -> String {
    match shortfall {
        Shortfall::Cpu { required_vcpus, vcpus } => {
            format!("needs {} vCPU with headroom, has {vcpus}", short(*required_vcpus))
        }
        Shortfall::Memory { required_gib, gib } => {
            format!("needs {} GiB memory with headroom, has {gib}", short(*required_gib))
        }
    }
}

/// `m5.xlarge: 4 vCPU, 16 GiB, Intel x86_64, network baseline 1.25 Gbps`.
fn describe(spec: &InstanceSpec, architecture: &str) -> String {
    let mut out = format!(
        "{}: {} vCPU, {} GiB, {} {architecture}",
        spec.instance_type,
        spec.vcpus,
        spec.memory_gib(),
        match spec.processor_manufacturer.as_deref() {
            Some("AWS") => "Graviton",
            Some(vendor) => vendor,
            None => "unknown processor",
        }
    );
    if let Some(perf) = relative_performance(spec) {
        let _ = write!(out, ", per-vCPU performance {perf:.2}");
    }
    if let Some(gbps) = spec.network_baseline_gbps {
        let _ = write!(out, ", network baseline {gbps} Gbps");
    }
    if let Some(gb) = spec.instance_storage_gb {
        let _ = write!(out, ", {gb} GB instance store");
    }
    if let Some(baseline) = spec.burstable.then(|| baseline_per_vcpu(&spec.instance_type)).flatten() {
        let _ = write!(out, ", burstable (baseline {baseline}% per vCPU)");
    }
    out
}

fn risk_words(c: &Candidate) -> String {
    let r = &c.risk;
    let mut parts = vec![format!("CPU {:.0}%", r.cpu * 100.0)];
    parts.push(r.memory.map_or_else(|| "memory not scored".into(), |m| format!("memory {:.0}%", m * 100.0)));
    parts.push(r.network.map_or_else(|| "network not scored".into(), |n| format!("network {:.0}%", n * 100.0)));
    if let Some(e) = r.ebs {
        parts.push(format!("EBS {:.0}%", e * 100.0));
    }
    format!("{} ({})", r.score, parts.join(", "))
}

fn evidence(subject: &Subject, s: &Sizing, settings: &Settings, ctx: &Context<'_>, over: bool) -> Vec<Evidence> {
    let usage = &s.usage;
    let requirement = &s.requirement;
    let params = &settings.params;
    let label = percentile_label(params.cpu_percentile);
    let current = &s.current.instance_type;
    let mut ev = Vec::new();
    if subject.kind == SubjectKind::AutoScalingGroup {
        ev.push(Evidence::quantity("running instances", s.instances as f64, "instances"));
        ev.push(Evidence::text("members", subject.members.join(", ")));
        ev.push(Evidence::text(
            "group metrics",
            "each hour's value is the mean over the members that reported that hour; the group is sized as one member",
        ));
    }
    ev.push(Evidence::quantity("samples (hours with CPU datapoints)", usage.samples as f64, "hours"));
    ev.push(Evidence::quantity(format!("hours in the {}-day lookback", params.lookback_days), s.window_hours, "hours"));
    ev.push(Evidence::text(
        "CPU statistic",
        match usage.cpu_statistic {
            CpuStatistic::Maximum => "hourly Maximum of AWS/EC2 CPUUtilization",
            CpuStatistic::Average => {
                "hourly Average of AWS/EC2 CPUUtilization: no Maximum datapoints were collected, so peaks shorter than an hour are hidden"
            }
        },
    ));
    ev.push(Evidence::percent("CPU p50", usage.cpu_p50));
    ev.push(Evidence::percent("CPU p95", usage.cpu_p95));
    ev.push(Evidence::percent(format!("CPU {label} (sized for)"), usage.cpu_percentile));
    ev.push(Evidence::percent("CPU max", usage.cpu_max));
    ev.push(Evidence::percent("mean CPU (hourly Average)", usage.mean_cpu));
    match &usage.memory {
        Some(m) => {
            ev.push(Evidence::percent(format!("memory {label} (CWAgent mem_used_percent)"), m.percentile));
            ev.push(Evidence::percent("memory max", m.max));
        }
        None => ev.push(Evidence::text(
            "memory",
            format!(
                "not measured (no CWAgent mem_used_percent for at least {} hours): the requirement keeps the current {} GiB",
                params.min_hours,
                s.current.memory_gib()
            ),
        )),
    }
    match (usage.network_peak_gbps, requirement.network_gbps) {
        (Some(peak), _) => ev.push(Evidence::quantity("peak network (NetworkIn + NetworkOut)", peak, "Gbps")),
        (None, Some(kept)) => ev.push(Evidence::text(
            "network",
            format!("not measured: the requirement keeps the current baseline of {kept} Gbps"),
        )),
        (None, None) => ev.push(Evidence::text("network", "not measured")),
    }
    if let Some(iops) = usage.ebs_peak_iops {
        ev.push(Evidence::quantity("peak EBS operations (read + write)", iops, "IOPS"));
    }
    if let Some(bytes) = usage.ebs_peak_bytes_per_second {
        ev.push(Evidence::quantity("peak EBS throughput (read + write)", bytes / 1e6, "MB/s"));
    }
    ev.push(Evidence::percent("CPU headroom", params.headroom.cpu * 100.0));
    ev.push(Evidence::percent("memory headroom", params.headroom.memory * 100.0));
    ev.push(Evidence::quantity(
        format!("required vCPU (of {current}'s {})", s.current.vcpus),
        requirement.vcpus,
        "vCPU",
    ));
    ev.push(Evidence::quantity("required memory", requirement.memory_gib, "GiB"));
    let current_architecture = requirement.architecture.as_str();
    ev.push(Evidence::text("current type", describe(s.current, current_architecture)));
    ev.push(Evidence::hourly(format!("on-demand rate, {current}"), s.current_hourly.value));
    for shortfall in &s.shortfalls {
        ev.push(Evidence::text("shortfall", shortfall_words(shortfall)));
    }
    ev.push(Evidence::quantity("types that fit", s.candidates as f64, "types"));
    if let Some(rec) = &s.recommendation {
        let best = &rec.best;
        let label = if over { "recommended type" } else { "cheapest type that fits" };
        ev.push(Evidence::text(label, describe(best.spec, &best.architecture)));
        ev.push(Evidence::hourly(format!("on-demand rate, {}", best.instance_type()), best.hourly.value));
        ev.push(Evidence::text("performance risk (0–4)", risk_words(best)));
        ev.push(Evidence::text("migration effort", best.effort.to_string()));
        let alternatives: Vec<String> = rec
            .alternatives
            .iter()
            .map(|a| {
                let change = s.after_discount(s.change_to(&a.candidate));
                let money = if change >= 0.0 {
                    format!("saves ${change:.2}/month")
                } else {
                    format!("costs ${:.2}/month more", -change)
                };
                format!(
                    "{} ({}): ${}/hour, {money}, performance risk {}, migration effort {}",
                    a.candidate.instance_type(),
                    a.kind,
                    (a.candidate.hourly.value * 1e6).round() / 1e6,
                    a.candidate.risk.score,
                    a.candidate.effort
                )
            })
            .collect();
        ev.push(Evidence::text(
            "alternatives",
            if alternatives.is_empty() { "none".to_owned() } else { alternatives.join("; ") },
        ));
    }
    ev.push(Evidence::quantity("hours run per month", s.hours_run_per_month, "hours"));
    if let Some(change) = s.on_demand_change {
        if over {
            ev.push(Evidence::monthly("on-demand saving (rate difference × hours run)", change));
        } else if change <= 0.0 {
            ev.push(Evidence::monthly("cost increase of the cheapest type that fits", -change));
        } else {
            ev.push(Evidence::monthly("cost decrease of the cheapest type that fits", change));
        }
    }
    if let Some(c) = &s.commitment {
        ev.push(Evidence::percent("billed share of on-demand", c.billed_share * 100.0));
        if over {
            ev.push(Evidence::monthly("after-discount saving (the saving counted)", c.after_discount_change));
        }
        ev.push(Evidence::text(
            "commitment",
            format!(
                "billed well below on-demand: a reservation or savings plan covers {}. The RI/SP may need exchanging: a standard reservation for {} does not follow a move to another family (a convertible one can be exchanged, a regional one is size-flexible within the family); a Compute Savings Plan follows the instance",
                if s.instances > 1 { "these instances" } else { "this instance" },
                s.current.family()
            ),
        ));
    }
    ev.push(Evidence::monthly("monthly cost", s.monthly_cost));
    ev.push(Evidence::text(
        "monthly cost basis",
        if s.billed_instances == s.instances {
            format!("amortized cost billed in the CUR ({})", ctx.billed.source().detail)
        } else if s.billed_instances == 0 {
            format!(
                "on-demand rate × {:.1} hours run per month (the CUR does not bill it by id)",
                s.hours_run_per_month
            )
        } else {
            format!(
                "amortized cost billed in the CUR for {} of {} instances, on-demand rate × hours run for the rest",
                s.billed_instances, s.instances
            )
        },
    ));
    if requirement.instance_store {
        ev.push(Evidence::text(
            "instance store",
            format!("{current} has instance-store disks: the data on them is lost when the instance stops"),
        ));
    }
    ev.push(Evidence::series("daily max CPU", usage.daily_max_cpu.iter().map(|(_, v)| *v), "%"));
    ev
}

/// Changing one instance's type: in place on the same architecture, by replacement to arm64.
fn instance_remediation(
    region: &str,
    instance_id: &str,
    current: &InstanceSpec,
    to: &Candidate,
    over: bool,
) -> Remediation {
    let from = &current.instance_type;
    let target = to.instance_type();
    let verb = if over { "Downsize" } else { "Resize" };
    if to.effort == MigrationEffort::Medium {
        return Remediation {
            lifecycle_configuration: None,
            summary: format!(
                "{verb} to Graviton: x86_64 to arm64 cannot change in place. Build or pick an arm64 AMI with arm64 builds of everything {instance_id} runs, launch a {target} from it with the same network and IAM settings, move the traffic, then stop {instance_id} (an x86_64 alternative, if listed, changes in place)."
            ),
            cli: vec![
                format!(
                    "# 1. The settings to copy to the replacement:\naws ec2 describe-instances --region {region} --instance-ids {instance_id} --query 'Reservations[0].Instances[0].[SubnetId,SecurityGroups[].GroupId,IamInstanceProfile.Arn,KeyName]' --output text"
                ),
                format!(
                    "# 2. Launch the replacement from an arm64 AMI (fill in the AMI and the settings above):\naws ec2 run-instances --region {region} --instance-type {target} --image-id <arm64-ami-id> --subnet-id <subnet-id> --security-group-ids <sg-id>"
                ),
                format!(
                    "# 3. Once the replacement serves the traffic:\naws ec2 stop-instances --region {region} --instance-ids {instance_id}"
                ),
            ],
            terraform: Some(format!(
                "# In the aws_instance for {instance_id} (Terraform replaces the instance):\ninstance_type = \"{target}\"\nami           = data.aws_ami.<arm64 image>.id  # an arm64 AMI"
            )),
        };
    }
    let resize = InPlaceResize {
        region,
        instance_id,
        from,
        to: target,
        to_nitro: current.hypervisor.as_deref() == Some("xen") && to.spec.hypervisor.as_deref() == Some("nitro"),
        instance_store: current.instance_storage_gb.is_some(),
        burstable_target: to.spec.burstable,
    };
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "In a change window, stop {instance_id}, change its type from {from} to {target} and start it{}.",
            if over { "" } else { " (it needs the capacity)" }
        ),
        cli: resize.commands(),
        terraform: Some(resize.terraform()),
    }
}

fn group_remediation(change: &GroupTypeChange<'_>, from: &str, over: bool) -> Remediation {
    let mut cli = change.commands();
    if change.arm64_image {
        cli.insert(0, format!("# {from} to {} is x86_64 to arm64: the new version needs an arm64 AMI (fill it in below) with arm64 builds of everything the group runs.", change.to));
    }
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "{} Auto Scaling group {} from {from}: {}.",
            if over { "Downsize" } else { "Resize" },
            change.group,
            change.how()
        ),
        cli,
        terraform: Some(change.terraform()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_parse_only_the_three_compute_optimizer_values() {
        assert_eq!(parse_percentile("p99.5"), Ok(99.5));
        assert_eq!(parse_percentile("P95"), Ok(95.0));
        assert_eq!(parse_percentile("p90"), Ok(90.0));
        assert!(parse_percentile("p99").unwrap_err().contains("p99.5"));
        assert!(parse_percentile("99.5").is_err());
        assert_eq!(percentile_label(99.5), "p99.5");
        assert_eq!(percentile_label(95.0), "p95");
        assert_eq!(
            (short(2.374_999_999), short(0.85), short(2.0), short(16.0)),
            ("2.375".into(), "0.85".into(), "2".into(), "16".into())
        );
    }
}
