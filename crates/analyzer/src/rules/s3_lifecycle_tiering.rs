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

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Context, NotEnoughData, Rule, RuleOutput};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use crate::prices::PriceSource;
use crate::spend::stable;
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
        let mut output = RuleOutput::default();
        for profile in &profiles {
            match judge(settings, ctx, profile) {
                Verdict::Finding(finding) => output.findings.push(*finding),
                Verdict::NotEnoughData(reason) => output.not_enough_data.push(NotEnoughData {
                    account_id: profile.account_id.clone(),
                    region: Some(profile.region.clone()),
                    resource_id: profile.bucket.clone(),
                    reason,
                }),
                Verdict::Fine => {}
            }
        }
        Ok(output)
    }
}

enum Verdict {
    Finding(Box<Finding>),
    NotEnoughData(String),
    Fine,
}

fn judge(settings: &Settings, ctx: &Context<'_>, profile: &BucketProfile) -> Verdict {
    if profile.standard_bytes() <= 0.0 {
        return Verdict::Fine;
    }
    if profile.intelligent_tiering_configs.unwrap_or(0) > 0
        || profile.intelligent_tiering_bytes() > profile.standard_bytes()
    {
        return Verdict::Fine;
    }
    if let Some(error) = &profile.lifecycle_error {
        return Verdict::NotEnoughData(error.clone());
    }
    match &profile.lifecycle {
        Some(rules) if rules.transitions_current => return Verdict::Fine,
        None if profile.lifecycle_rule_count.unwrap_or(0) > 0 => {
            return Verdict::NotEnoughData(format!(
                "has {} lifecycle rule(s) the snapshot does not show (collect get-bucket-lifecycle-configuration): they may already tier the data",
                profile.lifecycle_rule_count.unwrap_or(0)
            ));
        }
        _ => {}
    }
    let workload = match profile.standard_workload() {
        Ok(w) => w,
        Err(reason) => return Verdict::NotEnoughData(reason),
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
    let outcomes: Vec<(Outcome, Option<String>)> = Policy::CANDIDATES
        .iter()
        .map(|&policy| {
            let outcome = tiering::evaluate(&workload, &rates, policy);
            let rejection = rejection(settings, &workload, &outcome);
            (outcome, rejection)
        })
        .collect();
    let Some(best) = outcomes.iter().filter(|(_, rejected)| rejected.is_none()).map(|(o, _)| o).max_by(|a, b| {
        stable(a.monthly_savings)
            .total_cmp(&stable(b.monthly_savings))
            .then(a.policy.after_days.cmp(&b.policy.after_days))
            .then(b.policy.class.cmp(&a.policy.class))
    }) else {
        return Verdict::Fine;
    };
    Verdict::Finding(Box::new(finding(profile, &workload, &rates, list_standard, best, &outcomes)))
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
    let object_kib = workload.average_object_kib();
    let mut evidence = vec![
        Evidence::series("S3 Standard, GiB a day", profile.standard_gib_daily.iter().copied(), "GiB"),
        Evidence::quantity("in S3 Standard", workload.standard_gib, "GiB"),
        Evidence::quantity("objects in S3 Standard (bytes share of all objects)", workload.standard_objects, "objects"),
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

    let archive_small = policy.class.is_archive() && object_kib < rates.small_object_kib;
    let mut rule = NewRule::new(format!(
        "costwise-{}-after-{}-days",
        policy.class.api_name().to_lowercase().replace('_', "-"),
        policy.after_days
    ));
    rule.transition = Some((policy.after_days, policy.class));
    let recommendation = Recommendation {
        bucket: profile.bucket.clone(),
        rule,
        existing: profile.lifecycle.as_ref().map(|l| l.rules.clone()),
        existing_unknown: profile.lifecycle.is_none() && profile.lifecycle_rule_count.unwrap_or(0) > 0,
        minimum_object_size: archive_small.then_some(SMALL_OBJECTS_TO_ARCHIVE),
    };
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
    let source = match profile.billed_standard_rate() {
        Some(_) => PriceSource {
            origin: rates.source.origin,
            detail: format!("S3 Standard at the bucket's billed CUR rate; other classes: {}", rates.source),
        },
        None => rates.source.clone(),
    };
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
        price_source: source,
        confidence: if profile.history_days >= HIGH_CONFIDENCE_DAYS - 1e-9 {
            Confidence::High
        } else {
            Confidence::Medium
        },
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
