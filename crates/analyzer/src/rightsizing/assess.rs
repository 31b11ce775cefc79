//! Sizing every running instance and Auto Scaling group of a dataset:
//! subjects, not-enough-data reasons, classification and dollar figures.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::Serialize;

use super::candidates::{Candidate, Families, Recommendation, recommend, search};
use super::requirement::{Headroom, Requirement, Shortfall, default_architecture};
use super::usage::{HourlyMetrics, MetricsWindow, Usage};
use crate::billed::BilledCosts;
use crate::error::{PolarsResultExt, Result};
use crate::metrics::data_gap;
use crate::prices::{InstanceSpec, Price, PriceBook, PriceSource};
use crate::rules::columns::{floats, strings, times};
use crate::rules::parse_tags;
use crate::spend::stable;
use crate::{Dataset, Table};

/// Sustained CPU a type is sold with: vCPUs × the burstable baseline (1 for
/// fixed-performance types). Deliberately not weighted by per-vCPU
/// performance: a same-size move to faster or cheaper cores (t3 → t3a,
/// m5 → m7g) is a migration, not giving capacity back.
fn sustained_cpu(spec: &InstanceSpec) -> f64 {
    let baseline = super::burstable::baseline_per_vcpu(&spec.instance_type).map_or(1.0, |pct| pct / 100.0);
    f64::from(spec.vcpus) * baseline
}

/// Whether `candidate` gives back capacity: less memory, or less sustained CPU.
pub fn is_downsize(current: &InstanceSpec, candidate: &InstanceSpec) -> bool {
    candidate.memory_mib < current.memory_mib || sustained_cpu(candidate) < sustained_cpu(current) * (1.0 - 1e-9)
}

/// Default lookback, in days.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 14;
/// The lookbacks allowed (Compute Optimizer's 14, 32 and 93 days).
pub const ALLOWED_LOOKBACK_DAYS: [u32; 3] = [14, 32, 93];
/// Default CPU percentile.
pub const DEFAULT_CPU_PERCENTILE: f64 = 99.5;
/// The CPU percentiles allowed (Compute Optimizer's P90, P95 and P99.5).
pub const ALLOWED_CPU_PERCENTILES: [f64; 3] = [90.0, 95.0, 99.5];
/// Default CPU and memory headroom, percent.
pub const DEFAULT_HEADROOM_PCT: f64 = 20.0;
/// Largest headroom accepted, percent.
pub const MAX_HEADROOM_PCT: f64 = 90.0;
/// Default minimum hours of CPU datapoints.
pub const DEFAULT_MIN_HOURS: u32 = 30;
/// Default minimum monthly saving to call an instance over-provisioned, dollars.
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 1.0;
/// Billed under this share of on-demand, an instance is covered by a reservation or savings plan.
pub const COMMITMENT_COVERED_BELOW: f64 = 0.9;

/// How to size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Params {
    /// Days of metrics, ending at the snapshot's end (14, 32 or 93).
    pub lookback_days: u32,
    /// Percentile of hourly CPU (and memory) sized for (90, 95 or 99.5).
    pub cpu_percentile: f64,
    /// Headroom above the percentile.
    pub headroom: Headroom,
    /// Hours of CPU datapoints needed to size at all (memory needs as many to count).
    pub min_hours: u32,
    /// Families candidates may come from.
    pub families: Families,
    /// Whether arm64 (Graviton) types may replace x86_64 ones.
    pub graviton: bool,
    /// Smallest monthly saving that makes an instance over-provisioned, dollars.
    pub min_monthly_savings: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            lookback_days: DEFAULT_LOOKBACK_DAYS,
            cpu_percentile: DEFAULT_CPU_PERCENTILE,
            headroom: Headroom { cpu: DEFAULT_HEADROOM_PCT / 100.0, memory: DEFAULT_HEADROOM_PCT / 100.0 },
            min_hours: DEFAULT_MIN_HOURS,
            families: Families::default(),
            graviton: true,
            min_monthly_savings: DEFAULT_MIN_MONTHLY_SAVINGS,
        }
    }
}

impl Params {
    /// Checks every value; the message names the setting at fault (kebab-case, as in the config).
    pub fn validate(&self) -> Result<(), String> {
        if !ALLOWED_LOOKBACK_DAYS.contains(&self.lookback_days) {
            return Err(format!("`lookback-days` must be 14, 32 or 93, got {}", self.lookback_days));
        }
        if !ALLOWED_CPU_PERCENTILES.contains(&self.cpu_percentile) {
            return Err(format!(
                "`cpu-percentile` must be \"p90\", \"p95\" or \"p99.5\", got p{}",
                self.cpu_percentile
            ));
        }
        for (name, value) in [("cpu-headroom-pct", self.headroom.cpu), ("memory-headroom-pct", self.headroom.memory)] {
            let pct = value * 100.0;
            if !pct.is_finite() || !(0.0..=MAX_HEADROOM_PCT).contains(&pct) {
                return Err(format!("`{name}` must be between 0 and {MAX_HEADROOM_PCT}, got {pct}"));
            }
        }
        let window = self.lookback_days * 24;
        if self.min_hours == 0 || self.min_hours > window {
            return Err(format!(
                "`min-hours` must be between 1 and the lookback's {window} hours, got {}",
                self.min_hours
            ));
        }
        let unknown = self.families.unknown_patterns();
        if !unknown.is_empty() {
            return Err(format!(
                "`families` has {} matching no instance family in the price book: {}",
                if unknown.len() == 1 { "an entry" } else { "entries" },
                unknown.join(", ")
            ));
        }
        if self.families.only.as_ref().is_some_and(Vec::is_empty) {
            return Err("`families` is empty: list at least one family, or leave it out for the default".into());
        }
        if !self.min_monthly_savings.is_finite() || self.min_monthly_savings < 0.0 {
            return Err(format!(
                "`min-monthly-savings` must be a non-negative number of dollars, got {}",
                self.min_monthly_savings
            ));
        }
        Ok(())
    }
}

/// What is sized: one instance, or one Auto Scaling group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectKind {
    /// A standalone running instance.
    Instance,
    /// An Auto Scaling group, sized once from its members' mean load.
    AutoScalingGroup,
}

/// One instance or group to size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// Instance or group.
    pub kind: SubjectKind,
    /// Account.
    pub account_id: String,
    /// Region.
    pub region: String,
    /// Instance id, or group name.
    pub id: String,
    /// The `Name` tag (a group's: the one all members share).
    pub name: Option<String>,
    /// The instance types it runs (one, unless a group mixes types).
    pub instance_types: Vec<String>,
    /// Its architecture as the inventory records it.
    pub architecture: Option<String>,
    /// The running instances: itself, or the group's members.
    pub members: Vec<String>,
    /// Its tags (a group's: those all members share).
    pub tags: BTreeMap<String, String>,
    /// Launch time (instances only).
    pub launched: Option<NaiveDateTime>,
    /// Why the price book cannot price a type change for it, if it cannot
    /// (a licensed platform, dedicated tenancy, Spot).
    pub unpriced: Option<String>,
}

impl Subject {
    /// The type it runs (the first, for a group that mixes types).
    pub fn instance_type(&self) -> &str {
        self.instance_types.first().map_or("", String::as_str)
    }
}

/// Over-, under-provisioned or optimized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// A cheaper type meets the requirement (by at least the minimum saving).
    OverProvisioned,
    /// The current type does not meet its own requirement.
    UnderProvisioned,
    /// Neither.
    Optimized,
}

/// A reservation or savings plan discount on the current instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// Amortized compute cost / the same usage at public on-demand rates, in
    /// the CUR over the lookback (under 0.9).
    pub billed_share: f64,
    /// The on-demand change × that share: what the change saves after the discount.
    pub after_discount_change: f64,
}

/// A sized subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sizing {
    /// The current type.
    pub current: &'static InstanceSpec,
    /// Its on-demand rate in the region.
    pub current_hourly: Price,
    /// What it used.
    pub usage: Usage,
    /// What it needs.
    pub requirement: Requirement,
    /// Where the current type falls short (empty unless under-provisioned).
    pub shortfalls: Vec<Shortfall>,
    /// Number of types that meet the requirement.
    pub candidates: usize,
    /// The cheapest fitting type and alternatives; `None` when nothing fits.
    pub recommendation: Option<Recommendation>,
    /// The verdict.
    pub classification: Classification,
    /// Running instances the figures are for (1, or the group's members).
    pub instances: usize,
    /// Hours of the lookback the snapshot covers.
    pub window_hours: f64,
    /// Share of those hours with CPU datapoints (capped at 1).
    pub run_share: f64,
    /// Hours run per month: hours per month × run share.
    pub hours_run_per_month: f64,
    /// What it costs per month now (all instances): billed amortized cost
    /// where the CUR bills the instance, else on-demand × hours run.
    pub monthly_cost: f64,
    /// How many of the instances the CUR bills by id.
    pub billed_instances: usize,
    /// Source of `monthly_cost`.
    pub cost_source: PriceSource,
    /// (current − best on-demand rate) × hours run per month × instances:
    /// positive is a saving, negative a cost increase. `None` when nothing fits.
    pub on_demand_change: Option<f64>,
    /// The discount the instances get now, when billed under 90 % of on-demand.
    pub commitment: Option<Commitment>,
    /// The saving to report: the after-discount change when a commitment
    /// covers it, else the on-demand change; 0 unless over-provisioned.
    pub monthly_savings: f64,
}

impl Sizing {
    /// On-demand monthly change of moving every instance to `candidate` (positive saves).
    pub fn change_to(&self, candidate: &Candidate) -> f64 {
        stable((self.current_hourly.value - candidate.hourly.value) * self.hours_run_per_month * self.instances as f64)
    }

    /// The change to `candidate` after the current discount, if any.
    pub fn after_discount(&self, change: f64) -> f64 {
        self.commitment.as_ref().map_or(change, |c| stable(change * c.billed_share))
    }
}

/// The outcome of sizing one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It could not be sized; the reason, in words.
    NotEnoughData(String),
    /// It was sized.
    Sized(Box<Sizing>),
}

/// A subject and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// What was sized.
    pub subject: Subject,
    /// How it came out.
    pub outcome: Outcome,
}

/// Sizes every running instance of the dataset (groups once per group).
/// Empty without an instances table.
pub fn assess(dataset: &Dataset, prices: &PriceBook, billed: &BilledCosts, params: &Params) -> Result<Vec<Assessment>> {
    let subjects = subjects(dataset)?;
    if subjects.is_empty() {
        return Ok(Vec::new());
    }
    let inputs = Inputs::load(dataset, prices, billed, params.lookback_days)?;
    Ok(subjects
        .into_iter()
        .map(|subject| {
            let outcome = size(&subject, &inputs, params);
            Assessment { subject, outcome }
        })
        .collect())
}

/// Everything sizing reads besides the subject: loaded once per lookback.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The snapshot (for data gaps).
    pub dataset: &'a Dataset,
    /// Rates.
    pub prices: &'a PriceBook,
    /// What each instance costs in the CUR (the finding's monthly cost).
    pub billed: &'a BilledCosts,
    /// Hourly metrics over the lookback.
    pub window: MetricsWindow,
    /// Compute line items per instance over the lookback (the RI/SP discount).
    pub compute: ComputeBills,
}

impl<'a> Inputs<'a> {
    /// Loads the metrics and compute bills of a `lookback_days` window ending at the snapshot's end.
    pub fn load(
        dataset: &'a Dataset,
        prices: &'a PriceBook,
        billed: &'a BilledCosts,
        lookback_days: u32,
    ) -> Result<Self> {
        let window = MetricsWindow::load(dataset, lookback_days)?;
        let compute = ComputeBills::load(dataset, window.start, window.end)?;
        Ok(Self { dataset, prices, billed, window, compute })
    }
}

/// Each instance's compute usage in the CUR over a window: amortized cost
/// and the same usage at public on-demand rates. Only the instance's own
/// compute line items count (`product_family` `Compute Instance`, or a
/// `BoxUsage` usage type) — data transfer billed under the instance id
/// would dilute the discount it measures.
#[derive(Debug, Clone, Default)]
pub struct ComputeBills {
    by_resource: HashMap<String, (f64, f64)>,
}

impl ComputeBills {
    /// Reads the `costs` table's usage line items in `[start, end)`; empty without one.
    pub fn load(dataset: &Dataset, start: NaiveDateTime, end: NaiveDateTime) -> Result<Self> {
        let Some(costs) = dataset.table(Table::Costs) else { return Ok(Self::default()) };
        let context = "rightsizing: compute cost per instance";
        let kinds = Series::new("kinds".into(), ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"]);
        let grouped = costs
            .filter(
                col("resource_id")
                    .is_not_null()
                    .and(col("usage_start").gt_eq(lit(start)))
                    .and(col("usage_start").lt(lit(end)))
                    .and(col("line_item_type").is_in(lit(kinds).implode(false), false)),
            )
            .group_by([col("resource_id"), col("usage_type"), col("product_family")])
            .agg([col("amortized_cost").sum().alias("amortized"), col("public_on_demand_cost").sum().alias("public")])
            .collect()
            .during(|| format!("{context}: summing the lookback"))?;
        let resource = strings(&grouped, "resource_id", context)?;
        let usage_type = strings(&grouped, "usage_type", context)?;
        let family = strings(&grouped, "product_family", context)?;
        let amortized = floats(&grouped, "amortized", context)?;
        let public = floats(&grouped, "public", context)?;
        let mut by_resource: HashMap<String, (f64, f64)> = HashMap::new();
        for i in 0..grouped.height() {
            let Some(id) = resource.get(i) else { continue };
            let compute =
                family.get(i) == Some("Compute Instance") || usage_type.get(i).is_some_and(|u| u.contains("BoxUsage"));
            if compute {
                let entry = by_resource.entry(id.to_owned()).or_default();
                entry.0 += amortized.get(i).unwrap_or(0.0);
                entry.1 += public.get(i).unwrap_or(0.0);
            }
        }
        Ok(Self { by_resource })
    }

    /// `(amortized, public on-demand)` compute cost of an instance, if the CUR bills it by id.
    pub fn get(&self, instance_id: &str) -> Option<(f64, f64)> {
        self.by_resource.get(instance_id).copied()
    }
}

/// The running instances of the dataset: standalone instances one by one,
/// Auto Scaling group members gathered into their group.
pub fn subjects(dataset: &Dataset) -> Result<Vec<Subject>> {
    let Some(instances) = dataset.table(Table::Instances) else { return Ok(Vec::new()) };
    let context = "rightsizing: instances";
    let running = instances
        .filter(col("state").eq(lit("running")))
        .sort(["account_id", "region", "instance_id"], SortMultipleOptions::default())
        .collect()
        .during(|| format!("{context}: reading running instances"))?;
    let account = strings(&running, "account_id", context)?;
    let region = strings(&running, "region", context)?;
    let id = strings(&running, "instance_id", context)?;
    let name = strings(&running, "name", context)?;
    let itype = strings(&running, "instance_type", context)?;
    let arch = strings(&running, "architecture", context)?;
    let platform = strings(&running, "platform", context)?;
    let tenancy = strings(&running, "tenancy", context)?;
    let lifecycle = strings(&running, "lifecycle", context)?;
    let asg = strings(&running, "auto_scaling_group", context)?;
    let tags = strings(&running, "tags", context)?;
    let launched = times(&running, "launch_time", context)?;

    let mut out = Vec::new();
    let mut groups: BTreeMap<(String, String, String), Vec<Subject>> = BTreeMap::new();
    for (i, launched) in launched.into_iter().enumerate() {
        let (Some(account), Some(region), Some(instance_id), Some(instance_type)) =
            (account.get(i), region.get(i), id.get(i), itype.get(i))
        else {
            continue;
        };
        let subject = Subject {
            kind: SubjectKind::Instance,
            account_id: account.to_owned(),
            region: region.to_owned(),
            id: instance_id.to_owned(),
            name: name.get(i).map(str::to_owned),
            instance_types: vec![instance_type.to_owned()],
            architecture: arch.get(i).map(str::to_owned),
            members: vec![instance_id.to_owned()],
            tags: parse_tags(tags.get(i)),
            launched,
            unpriced: unpriced_reason(platform.get(i), tenancy.get(i), lifecycle.get(i)),
        };
        match asg.get(i).filter(|g| !g.is_empty()) {
            Some(group) => {
                groups.entry((account.to_owned(), region.to_owned(), group.to_owned())).or_default().push(subject);
            }
            None => out.push(subject),
        }
    }
    for ((account_id, region, group), members) in groups {
        let types: BTreeSet<&String> = members.iter().flat_map(|m| &m.instance_types).collect();
        let mut tags = members[0].tags.clone();
        for member in &members {
            tags.retain(|k, v| member.tags.get(k) == Some(v));
        }
        let names: BTreeSet<Option<&String>> = members.iter().map(|m| m.name.as_ref()).collect();
        let architectures: BTreeSet<Option<&String>> = members.iter().map(|m| m.architecture.as_ref()).collect();
        out.push(Subject {
            kind: SubjectKind::AutoScalingGroup,
            account_id,
            region,
            id: group,
            name: if names.len() == 1 { names.into_iter().next().flatten().cloned() } else { None },
            instance_types: types.into_iter().cloned().collect(),
            architecture: if architectures.len() == 1 {
                architectures.into_iter().next().flatten().cloned()
            } else {
                None
            },
            members: members.iter().map(|m| m.id.clone()).collect(),
            tags,
            launched: None,
            unpriced: members.iter().find_map(|m| m.unpriced.clone()),
        });
    }
    Ok(out)
}

/// Why the price book cannot price a type change, if it cannot: it has
/// Linux, shared-tenancy, on-demand rates only.
fn unpriced_reason(platform: Option<&str>, tenancy: Option<&str>, lifecycle: Option<&str>) -> Option<String> {
    if let Some(platform) = platform.filter(|p| !p.starts_with("Linux/UNIX") && *p != "Linux") {
        return Some(format!(
            "runs {platform}: the price book has Linux on-demand rates only, and licence fees change with the type's vCPU count"
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

/// Sizes one subject. `inputs` must be loaded for `params.lookback_days`.
pub fn size(subject: &Subject, inputs: &Inputs<'_>, params: &Params) -> Outcome {
    match size_inner(subject, inputs, params) {
        Ok(sizing) => Outcome::Sized(Box::new(sizing)),
        Err(reason) => Outcome::NotEnoughData(reason),
    }
}

fn size_inner(subject: &Subject, inputs: &Inputs<'_>, params: &Params) -> Result<Sizing, String> {
    let Inputs { dataset, prices, billed, window, compute } = inputs;
    let group = subject.kind == SubjectKind::AutoScalingGroup;
    if subject.instance_types.len() > 1 {
        return Err(format!(
            "the group's members run several instance types ({}): a mixed-instances group is not sized as one type",
            subject.instance_types.join(", ")
        ));
    }
    let instance_type = subject.instance_type();
    let region = subject.region.as_str();
    let current = prices.instance_spec(instance_type).ok_or_else(|| {
        format!("instance type `{instance_type}` is not in the price book's catalog of instance types")
    })?;
    if current.gpus > 0 {
        return Err(format!(
            "{instance_type} has {} GPU(s): GPU utilization is not analysed, and sizing on CPU alone could starve the GPU work",
            current.gpus
        ));
    }
    if current.accelerated {
        return Err(format!(
            "{instance_type} carries accelerators (inference, Trainium, FPGA or media): their utilization is not analysed"
        ));
    }
    if let Some(reason) = &subject.unpriced {
        return Err(reason.clone());
    }
    let current_hourly = prices
        .ec2_on_demand_hourly(region, instance_type)
        .ok_or_else(|| format!("no on-demand price for {instance_type} in {region}"))?;
    if let Some(gap) = data_gap(dataset, Table::Metrics, &subject.account_id, region) {
        return Err(format!("metrics not collected for account {} in {region}: {gap}", subject.account_id));
    }
    let days = window.lookback_days;
    if !window.cpu_collected {
        return Err(format!(
            "AWS/EC2 CPUUtilization is not in the snapshot for the last {days} days: the metric was not collected"
        ));
    }
    let members: Vec<&HourlyMetrics> = subject.members.iter().filter_map(|m| window.get(m)).collect();
    let metrics = match members.as_slice() {
        [] => HourlyMetrics::default(),
        [one] if !group => (*one).clone(),
        many => HourlyMetrics::mean_of(many),
    };
    let min_hours = params.min_hours as usize;
    let samples = metrics.cpu_hours();
    if samples < min_hours {
        if group {
            return Err(format!(
                "the group's members reported CPUUtilization in only {samples} hour(s) of the last {days} days; at least {min_hours} are needed"
            ));
        }
        let since = match subject.launched {
            Some(launched) if launched > window.start => {
                format!(" (launched {})", launched.format("%Y-%m-%d %H:%M UTC"))
            }
            _ => String::new(),
        };
        return Err(format!(
            "only {samples} hour(s) with CPUUtilization datapoints in the last {days} days{since}; at least {min_hours} are needed"
        ));
    }
    let usage = Usage::summarize(&metrics, params.cpu_percentile, min_hours)
        .ok_or_else(|| format!("no CPUUtilization datapoints in the last {days} days"))?;
    let architecture = subject.architecture.clone().unwrap_or_else(|| default_architecture(current).to_owned());
    let requirement = Requirement::new(current, &architecture, &usage, params.headroom, params.graviton);
    let candidates = search(prices, region, &requirement, &params.families);
    let shortfalls = requirement.shortfalls();
    // Rightsizing means giving back capacity: an instance that fits only types
    // as big as its own (a same-size Graviton or newer-generation swap) is
    // optimized, not over-provisioned. An under-provisioned one is compared
    // with every type that fits.
    let recommendation = if shortfalls.is_empty() {
        let downsizes: Vec<Candidate> = candidates.iter().filter(|c| is_downsize(current, c.spec)).cloned().collect();
        recommend(&downsizes, current)
    } else {
        recommend(&candidates, current)
    };

    let run_share = if window.hours > 0.0 { (samples as f64 / window.hours).min(1.0) } else { 1.0 };
    let hours_run_per_month = prices.hours_per_month() * run_share;
    let instances = subject.members.len();

    let mut monthly_cost = 0.0;
    let mut billed_instances = 0;
    let (mut compute_amortized, mut compute_public) = (0.0, 0.0);
    for member in &subject.members {
        match billed.get(member) {
            Some(b) => {
                monthly_cost += b.monthly;
                billed_instances += 1;
            }
            None => monthly_cost += current_hourly.value * hours_run_per_month,
        }
        if let Some((amortized, public)) = compute.get(member).filter(|(_, public)| *public > 0.0) {
            compute_amortized += amortized;
            compute_public += public;
        }
    }
    let cost_source = if billed_instances > 0 {
        billed.source().weakest(current_hourly.source.clone())
    } else {
        current_hourly.source.clone()
    };
    let on_demand_change = recommendation
        .as_ref()
        .map(|r| stable((current_hourly.value - r.best.hourly.value) * hours_run_per_month * instances as f64));
    let commitment =
        (compute_public > 0.0 && compute_amortized < COMMITMENT_COVERED_BELOW * compute_public).then(|| {
            let billed_share = compute_amortized / compute_public;
            Commitment { billed_share, after_discount_change: stable(on_demand_change.unwrap_or(0.0) * billed_share) }
        });
    let reported = commitment.as_ref().map_or(on_demand_change.unwrap_or(0.0), |c| c.after_discount_change);
    let classification = if !shortfalls.is_empty() {
        Classification::UnderProvisioned
    } else if on_demand_change.is_some_and(|c| c > 0.0) && reported > 0.0 && reported >= params.min_monthly_savings {
        Classification::OverProvisioned
    } else {
        Classification::Optimized
    };
    let mut recommendation = recommendation;
    if classification == Classification::OverProvisioned
        && let Some(r) = recommendation.as_mut()
    {
        // A downsize's alternatives are downsizes too: none that costs as much as the current type.
        r.alternatives.retain(|a| a.candidate.hourly.value < current_hourly.value);
    }
    Ok(Sizing {
        current,
        current_hourly,
        usage,
        requirement,
        shortfalls,
        candidates: candidates.len(),
        recommendation,
        classification,
        instances,
        window_hours: window.hours,
        run_share,
        hours_run_per_month,
        monthly_cost: stable(monthly_cost),
        billed_instances,
        cost_source,
        on_demand_change,
        commitment,
        monthly_savings: if classification == Classification::OverProvisioned { reported } else { 0.0 },
    })
}
