//! S3 buckets whose Standard data would cost less in a colder storage class, with the lifecycle rule that moves it.
//!
//! ## What it finds
//! Buckets holding data in S3 Standard, without a lifecycle rule that
//! transitions current versions and without Intelligent-Tiering, for which
//! one lifecycle policy saves at least `min-monthly-savings` a month at
//! steady state and repays its one-time transition fees within
//! `max-payback-months`. Policies compared with staying put:
//! Intelligent-Tiering from day 0; Standard-IA after 30, 60 or 90 days;
//! Glacier Instant Retrieval after 30 or 90; Glacier Flexible Retrieval after
//! 90 or 180; Glacier Deep Archive after 180 or 365. The archive classes
//! (Flexible, Deep Archive) are considered only for buckets with at most
//! `archive-max-gets-per-month` GET requests a month (default 0): a GET on an
//! archived object fails until it is restored.
//!
//! Buckets are listed under "not enough data" when fewer than
//! `min-history-days` days of request history exist, when object counts or
//! request counts were not collected, or when the bucket has lifecycle rules
//! the snapshot does not show (the new rule must be merged with them).
//! Buckets with Intelligent-Tiering configurations or most of their bytes in
//! Intelligent-Tiering are already tiered and not judged.
//!
//! ## Why it costs money
//! S3 Standard costs $0.023/GB-month in us-east-1; Standard-IA $0.0125,
//! Glacier Instant Retrieval $0.004, Glacier Flexible Retrieval $0.0036 and
//! Deep Archive $0.00099. Data written once and rarely read (logs, old
//! builds, exports) pays the Standard price forever unless a lifecycle rule
//! moves it. The colder classes charge in other ways, and those decide the
//! answer: per-GB retrieval, dearer GET requests, a transition fee per object
//! ($0.01 to $0.05 per 1,000), a minimum storage duration (30, 90 or 180
//! days; deleting earlier bills the rest), a 128 KiB minimum billable object
//! size (Standard-IA, Glacier IR), 40 KiB of metadata per archived object
//! (8 KiB billed at Standard), and Intelligent-Tiering's monitoring fee of
//! $0.0025 per 1,000 objects a month. Small objects and busy buckets often
//! cost more after a transition; this rule says so by not flagging them.
//!
//! ## How savings are estimated
//! The model (`storage::tiering`, formulas in `docs/storage.md`) prices the
//! bucket's Standard data a month as it is today: GiB and objects from the
//! CloudWatch storage metrics (objects in Standard = all objects × Standard's
//! share of bytes, every object of the average size), the GiB written a day
//! (net growth, plus what deletions replace), how long objects live (a
//! whole-bucket expiration rule, or the churn: objects ÷ deletions a day),
//! GET requests a month from the CUR (or CloudWatch request metrics), and
//! GiB read a month (CloudWatch `BytesDownloaded`, else GETs × average
//! object size). Data younger than the policy's delay stays in Standard;
//! every read is assumed to hit transitioned data and pays its request and
//! retrieval (restore) fees. Objects aging into the class each month pay the
//! transition fee (a monthly cost); today's backlog pays it once (the
//! one-time cost, with the payback in months). The Standard rate is the
//! bucket's billed rate from the CUR when present, else the price book's.
//! Savings = cost now − cost under the chosen policy, the policy with the
//! largest saving among those that qualify.
//!
//! Confidence: medium with 30 to 89 days of request history, high from 90.
//! Risk: non-disruptive for Intelligent-Tiering, Standard-IA and Glacier
//! Instant Retrieval (same API, millisecond reads); needs testing for the
//! archive classes (reads need a restore that takes hours).
//!
//! ## Settings
//! - `lookback-days` (default 90): days of billing, request and storage data read.
//! - `min-history-days` (default 30): fewest days of request history to judge a bucket.
//! - `min-monthly-savings` (default 5): smallest monthly saving, in USD, worth a finding.
//! - `max-payback-months` (default 12): longest payback of the one-time transition fees.
//! - `archive-max-gets-per-month` (default 0): most GET requests a month for
//!   which Glacier Flexible Retrieval and Deep Archive are considered.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Context, Rule, RuleOutput};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::PriceSource;
use crate::spend::stable;
use crate::storage::bucket::Verdict;
use crate::storage::inventory::{self, BucketCensus};
use crate::storage::lifecycle::{NewRule, Recommendation, SMALL_OBJECTS_TO_ARCHIVE};
use crate::storage::tiering::{self, Outcome, Policy, S3Rates, Workload};
use crate::storage::{BYTES_PER_GIB, BucketProfile, bucket};

/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 90;
/// Default for `min-history-days`.
pub const DEFAULT_MIN_HISTORY_DAYS: f64 = 30.0;
/// Default for `min-monthly-savings` (USD).
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 5.0;
/// Default for `max-payback-months`.
pub const DEFAULT_MAX_PAYBACK_MONTHS: f64 = 12.0;
/// Default for `archive-max-gets-per-month`.
pub const DEFAULT_ARCHIVE_MAX_GETS_PER_MONTH: f64 = 0.0;
/// Days of history from which confidence is high.
const HIGH_CONFIDENCE_DAYS: f64 = 90.0;

/// The rule.
pub struct S3LifecycleTiering;

/// User options under `[rules.s3-lifecycle-tiering]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days of data read.
    pub lookback_days: Option<u32>,
    /// Fewest days of request history to judge a bucket.
    pub min_history_days: Option<f64>,
    /// Smallest monthly saving worth a finding.
    pub min_monthly_savings: Option<f64>,
    /// Longest payback of the one-time transition fees.
    pub max_payback_months: Option<f64>,
    /// Most GET requests a month for which the archive classes are considered.
    pub archive_max_gets_per_month: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days of data read.
    pub lookback_days: u32,
    /// Fewest days of request history to judge a bucket.
    pub min_history_days: f64,
    /// Smallest monthly saving worth a finding.
    pub min_monthly_savings: f64,
    /// Longest payback of the one-time transition fees.
    pub max_payback_months: f64,
    /// Most GET requests a month for which the archive classes are considered.
    pub archive_max_gets_per_month: f64,
}

impl Rule for S3LifecycleTiering {
    const ID: &'static str = "s3-lifecycle-tiering";
    const CATEGORY: Category = Category::Storage;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let non_negative = |name: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err(format!("{name} must be a number ≥ 0, not {value}"))
            }
        };
        let lookback_days = options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
        if lookback_days < 7 {
            return Err(format!("lookback-days must be at least 7, not {lookback_days}"));
        }
        Ok(Settings {
            lookback_days,
            min_history_days: non_negative(
                "min-history-days",
                options.min_history_days.unwrap_or(DEFAULT_MIN_HISTORY_DAYS),
            )?,
            min_monthly_savings: non_negative(
                "min-monthly-savings",
                options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS),
            )?,
            max_payback_months: non_negative(
                "max-payback-months",
                options.max_payback_months.unwrap_or(DEFAULT_MAX_PAYBACK_MONTHS),
            )?,
            archive_max_gets_per_month: non_negative(
                "archive-max-gets-per-month",
                options.archive_max_gets_per_month.unwrap_or(DEFAULT_ARCHIVE_MAX_GETS_PER_MONTH),
            )?,
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let profiles = bucket::load(ctx.dataset, settings.lookback_days, ctx.prices.hours_per_month())?;
        let censuses = inventory::load(ctx.dataset)?;
        let storage_metrics_missing = profiles.iter().all(|p| p.bytes_by_storage_type.is_empty());
        Ok(bucket::rule_output(&profiles, |profile| {
            judge(settings, ctx, profile, censuses.get(&profile.bucket), storage_metrics_missing)
        }))
    }
}

fn judge(
    settings: &Settings,
    ctx: &Context<'_>,
    profile: &BucketProfile,
    census: Option<&BucketCensus>,
    storage_metrics_missing: bool,
) -> Verdict {
    if census.is_none() && profile.bytes_by_storage_type.is_empty() {
        // CloudWatch publishes storage metrics for every bucket that stores
        // anything: without them the bucket is empty, unless nobody's were collected.
        return if storage_metrics_missing {
            Verdict::NotEnoughData(
                "S3 storage metrics (AWS/S3 BucketSizeBytes, NumberOfObjects) were not collected for any bucket".into(),
            )
        } else {
            Verdict::Fine
        };
    }
    let standard_now = census.and_then(|c| c.whole.cut(0)).map_or(profile.standard_bytes(), |c| c.gib);
    if standard_now <= 0.0 {
        return Verdict::Fine;
    }
    if profile.intelligent_tiering_configs.unwrap_or(0) > 0
        || profile.intelligent_tiering_bytes() > profile.standard_bytes()
    {
        return Verdict::Fine;
    }
    if let Some(rules) = &profile.lifecycle {
        if rules.transitions_whole_bucket {
            return Verdict::Fine;
        }
        if !rules.transition_prefixes.is_empty() {
            return Verdict::NotEnoughData(format!(
                "lifecycle rules already transition objects under {}: whether the rest of the bucket is worth tiering needs per-prefix data (an S3 Inventory)",
                rules.transition_prefixes.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if let Some(reason) = profile.lifecycle_unknown("they may already tier the data") {
        return Verdict::NotEnoughData(reason);
    }
    let workload = match census {
        Some(census) => match inventory_workload(profile, census) {
            Ok(w) => w,
            Err(reason) => return Verdict::NotEnoughData(reason),
        },
        None => match profile.standard_workload() {
            Ok(w) => w,
            Err(reason) => return Verdict::NotEnoughData(reason),
        },
    };
    if profile.history_days + 1e-9 < settings.min_history_days {
        return Verdict::NotEnoughData(format!(
            "only {:.1} days of request history; judging access patterns needs at least {} days",
            profile.history_days, settings.min_history_days
        ));
    }
    let mut rates = match S3Rates::for_region(ctx.prices, &profile.region) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(bucket = %profile.bucket, "{e}; skipped");
            return Verdict::Fine;
        }
    };
    let list_standard = rates.standard_gib_month;
    if let Some(billed) = profile.billed_standard_rate() {
        rates.standard_gib_month = billed;
    }
    let (best, outcomes) = choose(settings, &workload, &rates);
    let whole_savings = best.as_ref().map_or(0.0, |b| stable(b.monthly_savings));
    if let Some(plan) = census.and_then(|c| prefix_plan(settings, profile, c, &rates))
        && plan.monthly_savings() > whole_savings
    {
        return Verdict::Finding(Box::new(prefix_finding(
            profile,
            &workload,
            &rates,
            list_standard,
            &plan,
            best.as_ref(),
        )));
    }
    match best {
        Some(best) => Verdict::Finding(Box::new(finding(profile, &workload, &rates, list_standard, &best, &outcomes))),
        None => Verdict::Fine,
    }
}

/// Every candidate policy priced, with why it does not qualify, and the best one that does.
fn choose(
    settings: &Settings,
    workload: &Workload,
    rates: &S3Rates,
) -> (Option<Outcome>, Vec<(Outcome, Option<String>)>) {
    let outcomes: Vec<(Outcome, Option<String>)> = Policy::CANDIDATES
        .iter()
        .map(|&policy| {
            let outcome = tiering::evaluate(workload, rates, policy);
            let rejection = rejection(settings, workload, &outcome);
            (outcome, rejection)
        })
        .collect();
    let best = outcomes
        .iter()
        .filter(|(_, rejected)| rejected.is_none())
        .map(|(o, _)| o)
        .max_by(|a, b| {
            stable(a.monthly_savings)
                .total_cmp(&stable(b.monthly_savings))
                // Ties (nothing written lately): the shorter delay saves sooner.
                .then(b.policy.after_days.cmp(&a.policy.after_days))
                .then(b.policy.class.cmp(&a.policy.class))
        })
        .cloned();
    (best, outcomes)
}

/// Prefixes judged one by one, largest first; the rest stay as they are.
const MAX_PREFIXES: usize = 25;

/// One prefix of a per-prefix plan.
struct PrefixChoice {
    prefix: String,
    gib: f64,
    census: tiering::Census,
    /// The prefix's best qualifying policy, or why it stays in Standard.
    choice: Result<Outcome, String>,
}

/// A lifecycle rule per top-level prefix, each chosen on the prefix's own census.
struct PrefixPlan {
    prefixes: Vec<PrefixChoice>,
    /// Prefixes beyond [`MAX_PREFIXES`], left alone.
    not_judged: usize,
}

impl PrefixPlan {
    fn chosen(&self) -> impl Iterator<Item = (&PrefixChoice, &Outcome)> {
        self.prefixes.iter().filter_map(|p| p.choice.as_ref().ok().map(|o| (p, o)))
    }

    fn monthly_savings(&self) -> f64 {
        stable(self.chosen().map(|(_, o)| o.monthly_savings).sum())
    }
}

/// With an S3 Inventory listing several top-level prefixes: each prefix's best
/// policy on its own object census. Every prefix is judged as if all of the
/// bucket's reads hit it (request data is per bucket), so the plan's savings
/// are an underestimate. `None` when no prefix qualifies.
fn prefix_plan(
    settings: &Settings,
    profile: &BucketProfile,
    census: &BucketCensus,
    rates: &S3Rates,
) -> Option<PrefixPlan> {
    if census.prefixes.len() < 2 {
        return None;
    }
    let mut prefixes: Vec<(&String, &tiering::Census)> = census.prefixes.iter().collect();
    prefixes.sort_by(|a, b| {
        let gib = |c: &tiering::Census| c.cut(0).map_or(0.0, |c| c.gib);
        gib(b.1).total_cmp(&gib(a.1)).then(a.0.cmp(b.0))
    });
    let not_judged = prefixes.len().saturating_sub(MAX_PREFIXES);
    let mut plan = PrefixPlan { prefixes: Vec::new(), not_judged };
    for (prefix, prefix_census) in prefixes.into_iter().take(MAX_PREFIXES) {
        let gib = prefix_census.cut(0).map_or(0.0, |c| c.gib);
        if gib <= 0.0 {
            continue;
        }
        let part = BucketCensus { whole: prefix_census.clone(), prefixes: BTreeMap::new(), ..census.clone() };
        let choice = match inventory_workload(profile, &part) {
            Ok(workload) => {
                let (best, outcomes) = choose(settings, &workload, rates);
                best.ok_or_else(|| {
                    outcomes
                        .iter()
                        .filter_map(|(o, r)| r.as_ref().map(|r| (o, r)))
                        .max_by(|a, b| a.0.monthly_savings.total_cmp(&b.0.monthly_savings))
                        .map_or("no policy qualifies".to_owned(), |(o, r)| {
                            format!("best was {}: {r}", o.policy.describe())
                        })
                })
            }
            Err(reason) => Err(reason),
        };
        plan.prefixes.push(PrefixChoice { prefix: prefix.clone(), gib, census: prefix_census.clone(), choice });
    }
    (plan.chosen().count() > 0).then_some(plan)
}

/// The model's input from an S3 Inventory census: exact Standard objects and
/// ages; the write rate is what the last 30 days added; reads still come from
/// the bucket's request data.
fn inventory_workload(profile: &BucketProfile, census: &BucketCensus) -> Result<Workload, String> {
    let (Some(all), Some(month_old)) = (census.whole.cut(0), census.whole.cut(30)) else {
        return Err("the S3 Inventory census is incomplete".into());
    };
    let gets = profile.gets_per_month.ok_or(
        "no request data: the CUR has no lines for the bucket and CloudWatch request metrics were not collected",
    )?;
    let object_gib = if all.objects > 0.0 { all.gib / all.objects } else { 0.0 };
    Ok(Workload {
        standard_gib: all.gib,
        standard_objects: all.objects,
        written_gib_per_day: (all.gib - month_old.gib) / 30.0,
        lifetime_days: profile.lifetime_days(),
        gets_per_month: gets,
        read_gib_per_month: profile.downloaded_gib_per_month.unwrap_or(gets * object_gib),
        census: Some(census.whole.clone()),
    })
}

/// Why a policy is not recommended, or `None` when it qualifies.
fn rejection(settings: &Settings, workload: &Workload, outcome: &Outcome) -> Option<String> {
    if let Some(reason) = &outcome.blocked {
        return Some(reason.clone());
    }
    if outcome.policy.class.is_archive() && workload.gets_per_month > settings.archive_max_gets_per_month {
        return Some(format!(
            "the bucket is read ({:.0} GET requests a month) and a GET on an archived object fails until restored",
            workload.gets_per_month
        ));
    }
    if outcome.monthly_savings < settings.min_monthly_savings {
        return Some(if outcome.monthly_savings <= 0.0 {
            format!("costs ${:.2}/month more", -outcome.monthly_savings)
        } else {
            format!("saves only ${:.2}/month", outcome.monthly_savings)
        });
    }
    match outcome.payback_months {
        Some(months) if months <= settings.max_payback_months => None,
        Some(months) => Some(format!(
            "saves ${:.2}/month but the one-time transition fee (${:.2}) takes {months:.1} months to pay back",
            outcome.monthly_savings, outcome.one_time_cost
        )),
        None => Some("never pays back".into()),
    }
}

fn finding(
    profile: &BucketProfile,
    workload: &Workload,
    rates: &S3Rates,
    list_standard: f64,
    best: &Outcome,
    outcomes: &[(Outcome, Option<String>)],
) -> Finding {
    let now = tiering::stay(workload, rates);
    let policy = best.policy;
    let mut evidence = bucket_evidence(profile, workload, list_standard);
    evidence.extend([
        Evidence::monthly("cost now: storage", now.storage),
        Evidence::monthly("cost now: GET requests", now.requests),
        Evidence::text("chosen policy", policy.describe()),
        Evidence::quantity("moved at steady state", best.transitioned_gib, "GiB"),
        Evidence::monthly("under the policy: storage (incl. minimum sizes, archive metadata)", best.monthly.storage),
        Evidence::monthly("under the policy: requests", best.monthly.requests),
        Evidence::monthly("under the policy: retrieval", best.monthly.retrieval),
        Evidence::monthly("under the policy: transitions of new objects", best.monthly.transitions),
    ]);
    if best.monthly.monitoring > 0.0 {
        evidence.push(Evidence::monthly("under the policy: Intelligent-Tiering monitoring", best.monthly.monitoring));
    }
    if best.monthly.early_delete > 0.0 {
        evidence.push(Evidence::monthly("under the policy: early-deletion charges", best.monthly.early_delete));
    }
    evidence.extend([
        Evidence::monthly("cost under the policy", best.monthly.total()),
        Evidence::money("one-time transition fee (today's objects)", best.one_time_cost),
        Evidence::quantity("payback", best.payback_months.unwrap_or(0.0), "months"),
        Evidence::text("other policies", alternatives(outcomes, policy)),
    ]);

    let recommendation = recommendation(profile, [(String::new(), best, workload)], rates);
    let mut summary = format!(
        "Add a lifecycle rule to {} that moves objects to {}: saves ${:.2}/month at steady state after a one-time ${:.2} in transition fees (pays back in {:.1} months).",
        profile.bucket,
        policy.describe(),
        best.monthly_savings,
        best.one_time_cost,
        best.payback_months.unwrap_or(0.0)
    );
    if policy.class.is_archive() {
        summary
            .push_str(" Archived objects must be restored (hours) before they can be read: check nobody reads them.");
    }
    let standard_gib = workload.standard_gib;
    Finding {
        rule: S3LifecycleTiering::ID.into(),
        category: S3LifecycleTiering::CATEGORY,
        account_id: profile.account_id.clone(),
        region: Some(profile.region.clone()),
        resource_type: "s3-bucket".into(),
        resource_id: profile.bucket.clone(),
        resource_name: None,
        title: format!("{standard_gib:.0} GiB in S3 Standard costs less as {}", policy.describe()),
        evidence,
        monthly_cost: stable(now.total()),
        monthly_savings: stable(best.monthly_savings),
        price_source: price_source(profile, rates),
        confidence: confidence(profile),
        risk: if policy.class.is_archive() { Risk::NeedsTesting } else { Risk::NonDisruptive },
        remediation: Remediation {
            summary,
            cli: recommendation.cli(),
            terraform: Some(recommendation.terraform()),
            lifecycle_configuration: Some(recommendation.configuration_json()),
        },
        tags: profile.tags.clone(),
        covers: Vec::new(),
    }
}

/// A finding for a per-prefix plan.
fn prefix_finding(
    profile: &BucketProfile,
    workload: &Workload,
    rates: &S3Rates,
    list_standard: f64,
    plan: &PrefixPlan,
    whole: Option<&Outcome>,
) -> Finding {
    let now = tiering::stay(workload, rates);
    let mut evidence = bucket_evidence(profile, workload, list_standard);
    evidence.push(Evidence::monthly("cost now: storage", now.storage));
    evidence.push(Evidence::monthly("cost now: GET requests", now.requests));
    for p in &plan.prefixes {
        let text = match &p.choice {
            Ok(o) => format!(
                "{:.0} GiB: {}, saves ${:.2}/month, one-time ${:.2}, pays back in {:.1} months",
                p.gib,
                o.policy.describe(),
                o.monthly_savings,
                o.one_time_cost,
                o.payback_months.unwrap_or(0.0)
            ),
            Err(reason) => format!("{:.0} GiB: stays in S3 Standard ({reason})", p.gib),
        };
        let label =
            if p.prefix.is_empty() { "keys without a prefix".to_owned() } else { format!("prefix {}", p.prefix) };
        evidence.push(Evidence::text(label, text));
    }
    if plan.not_judged > 0 {
        evidence.push(Evidence::text(
            "smaller prefixes",
            format!("{} more prefixes were not judged and stay as they are", plan.not_judged),
        ));
    }
    evidence.push(Evidence::text(
        "one rule for the whole bucket instead",
        whole.map_or("no policy qualifies for the bucket as a whole".to_owned(), |o| {
            format!("{} saves only ${:.2}/month", o.policy.describe(), o.monthly_savings)
        }),
    ));
    evidence.push(Evidence::text(
        "reads",
        "request data is per bucket: each prefix is priced as if all of the bucket's reads hit it, so the savings are an underestimate",
    ));
    let workloads: Vec<(String, Outcome, Workload)> = plan
        .chosen()
        .map(|(p, o)| (p.prefix.clone(), o.clone(), Workload { census: Some(p.census.clone()), ..workload.clone() }))
        .collect();
    let recommendation = recommendation(profile, workloads.iter().map(|(p, o, w)| (p.clone(), o, w)), rates);
    let savings = plan.monthly_savings();
    let one_time: f64 = plan.chosen().map(|(_, o)| o.one_time_cost).sum();
    let archive = plan.chosen().any(|(_, o)| o.policy.class.is_archive());
    let moves: Vec<String> = plan
        .chosen()
        .map(|(p, o)| {
            format!("{} → {}", if p.prefix.is_empty() { "(no prefix)" } else { &p.prefix }, o.policy.describe())
        })
        .collect();
    let mut summary = format!(
        "Add one lifecycle rule per prefix to {} ({}): saves ${savings:.2}/month at steady state after a one-time ${one_time:.2} in transition fees (pays back in {:.1} months).",
        profile.bucket,
        moves.join("; "),
        if savings > 0.0 { one_time / savings } else { 0.0 }
    );
    if archive {
        summary
            .push_str(" Archived objects must be restored (hours) before they can be read: check nobody reads them.");
    }
    Finding {
        rule: S3LifecycleTiering::ID.into(),
        category: S3LifecycleTiering::CATEGORY,
        account_id: profile.account_id.clone(),
        region: Some(profile.region.clone()),
        resource_type: "s3-bucket".into(),
        resource_id: profile.bucket.clone(),
        resource_name: None,
        title: format!(
            "{:.0} GiB in S3 Standard costs less with a lifecycle rule per prefix: {}",
            workload.standard_gib,
            moves.join("; ")
        ),
        evidence,
        monthly_cost: stable(now.total()),
        monthly_savings: savings,
        price_source: price_source(profile, rates),
        confidence: confidence(profile),
        risk: if archive { Risk::NeedsTesting } else { Risk::NonDisruptive },
        remediation: Remediation {
            summary,
            cli: recommendation.cli(),
            terraform: Some(recommendation.terraform()),
            lifecycle_configuration: Some(recommendation.configuration_json()),
        },
        tags: profile.tags.clone(),
        covers: Vec::new(),
    }
}

/// The lifecycle configuration for the chosen (prefix, outcome, workload) triples.
fn recommendation<'a>(
    profile: &BucketProfile,
    chosen: impl IntoIterator<Item = (String, &'a Outcome, &'a Workload)>,
    rates: &S3Rates,
) -> Recommendation {
    let mut small_to_archive = false;
    let rules = chosen
        .into_iter()
        .map(|(prefix, outcome, workload)| {
            let policy = outcome.policy;
            // Objects under 128 KiB only reach the archive classes when the bucket says so.
            small_to_archive |= policy.class.is_archive()
                && match &workload.census {
                    Some(census) => census.cut(policy.after_days).is_some_and(|c| c.small_objects > 0.0),
                    None => workload.average_object_kib() < rates.small_object_kib,
                };
            let mut id = format!(
                "costwise-{}-after-{}-days",
                policy.class.api_name().to_lowercase().replace('_', "-"),
                policy.after_days
            );
            if !prefix.is_empty() {
                let label: String = prefix
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                    .collect();
                let _ = write!(id, "-{}", label.trim_matches('-'));
            }
            let mut rule = NewRule::new(id);
            rule.prefix = prefix;
            rule.transition = Some((policy.after_days, policy.class));
            rule
        })
        .collect();
    Recommendation {
        bucket: profile.bucket.clone(),
        rules,
        existing: profile.lifecycle.as_ref().map(|l| l.rules.clone()),
        existing_unknown: false,
        minimum_object_size: small_to_archive.then_some(SMALL_OBJECTS_TO_ARCHIVE),
    }
}

/// What the bucket stores and how it is used: the evidence every tiering finding starts with.
fn bucket_evidence(profile: &BucketProfile, workload: &Workload, list_standard: f64) -> Vec<Evidence> {
    let object_kib = workload.average_object_kib();
    let mut evidence = vec![
        Evidence::series("S3 Standard, GiB a day", profile.standard_gib_daily.iter().copied(), "GiB"),
        Evidence::quantity("in S3 Standard", workload.standard_gib, "GiB"),
        Evidence::quantity("objects in S3 Standard", workload.standard_objects, "objects"),
        Evidence::quantity("average object size", object_kib, "KiB"),
        Evidence::quantity("written a day (growth plus replaced deletions)", workload.written_gib_per_day, "GiB"),
        Evidence::text(
            "object lifetime",
            workload
                .lifetime_days
                .map_or("kept (no expiration rule, no deletions seen)".to_owned(), |d| format!("about {d:.0} days")),
        ),
        Evidence::quantity(
            format!("GET requests a month ({})", profile.gets_source),
            workload.gets_per_month,
            "requests",
        ),
        Evidence::quantity(
            if profile.downloaded_gib_per_month.is_some() {
                "read a month (CloudWatch BytesDownloaded)"
            } else {
                "read a month (GET requests × average object size)"
            },
            workload.read_gib_per_month,
            "GiB",
        ),
        Evidence::quantity("request history", profile.history_days, "days"),
    ];
    match workload.census.as_ref().and_then(|c| c.cut(0)) {
        Some(all) => evidence.push(Evidence::text(
            "object sizes and ages",
            format!(
                "exact, from the bucket's S3 Inventory: {:.0} current objects in S3 Standard, {:.0} of them under 128 KiB (they stay in Standard except for the archive classes)",
                all.objects, all.small_objects
            ),
        )),
        None => evidence.push(Evidence::text(
            "object sizes and ages",
            "estimated: every object of the average size; data younger than the policy's delay is what the bucket wrote in that time",
        )),
    }
    for (storage_type, bytes) in &profile.bytes_by_storage_type {
        if storage_type != bucket::STANDARD_STORAGE {
            evidence.push(Evidence::quantity(format!("also in {storage_type}"), bytes / BYTES_PER_GIB, "GiB"));
        }
    }
    match profile.billed_standard_rate() {
        Some(rate) => evidence.push(Evidence::text(
            "S3 Standard rate",
            format!("${rate:.5}/GB-month billed (CUR); list ${list_standard:.5}"),
        )),
        None => evidence.push(Evidence::text("S3 Standard rate", format!("${list_standard:.5}/GB-month (price book)"))),
    }
    evidence
}

/// The figures' price source: the class rates', naming the billed Standard rate when used.
fn price_source(profile: &BucketProfile, rates: &S3Rates) -> PriceSource {
    match profile.billed_standard_rate() {
        Some(_) => PriceSource {
            origin: rates.source.origin,
            detail: format!("S3 Standard at the bucket's billed CUR rate; other classes: {}", rates.source),
        },
        None => rates.source.clone(),
    }
}

/// Medium with a month or two of request history, high from 90 days.
fn confidence(profile: &BucketProfile) -> Confidence {
    if profile.history_days >= HIGH_CONFIDENCE_DAYS - 1e-9 { Confidence::High } else { Confidence::Medium }
}

/// One line per other policy: its saving and payback, or why it was not chosen.
fn alternatives(outcomes: &[(Outcome, Option<String>)], chosen: Policy) -> String {
    let mut text = String::new();
    for (outcome, rejected) in outcomes.iter().filter(|(o, _)| o.policy != chosen) {
        if !text.is_empty() {
            text.push_str("; ");
        }
        let _ = write!(text, "{}: ", outcome.policy.describe());
        match rejected {
            Some(reason) => text.push_str(reason),
            None => {
                let _ = write!(
                    text,
                    "saves ${:.2}/month, pays back in {:.1} months",
                    outcome.monthly_savings,
                    outcome.payback_months.unwrap_or(0.0)
                );
            }
        }
    }
    text
}
