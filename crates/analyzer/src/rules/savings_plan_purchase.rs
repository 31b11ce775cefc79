//! Savings-plan commitments worth making: the hourly commitment that maximizes simulated savings, with the whole curve.
//!
//! ## What it finds
//! Per account (Compute Savings Plan) or per account × region × family (EC2
//! Instance Savings Plan, `savings-plan-type = "ec2-instance"`), the hourly
//! commitment that maximizes savings over the last `lookback-days` days of
//! hourly CUR data, on the on-demand EC2 instance spend left after the
//! reserved instances of the same plan (`reserved-instance-purchase` reports
//! those; no usage is ever recommended for both). Each finding carries three
//! commitments: **optimal**, **conservative** (the highest one, up to the
//! optimal, whose expected utilization is at least
//! `conservative-utilization-percent`), and the one recommended
//! (`savings-plan-choice`), each with its utilization and coverage — and the
//! whole savings-versus-commitment curve for a chart.
//!
//! Covered usage and spot are left out; with `commit-after-cleanup` (default
//! on) so is the usage of instances `idle-instance` flags and of instances
//! stopped, or terminated outside an Auto Scaling group, as of the snapshot;
//! the evidence says how much. Fargate and Lambda spend, which a Compute
//! Savings Plan also covers, is not counted (the estimate is conservative).
//! An account whose billing data does not cover the lookback, is not hourly,
//! or has neither usage types nor instance types is listed under "not enough
//! data".
//!
//! ## Why it costs money
//! A savings plan trades a fixed hourly commitment for a discount on every
//! hour of eligible usage up to it. Usage above the commitment pays
//! on-demand; commitment above the usage is paid for nothing. Committing to
//! the part of the spend that is there nearly every hour is the cheapest way
//! to cut an on-demand bill without locking in instance families.
//!
//! ## How savings are estimated
//! With `x_h` the on-demand-equivalent spend of hour `h` and discount `d`, a
//! commitment of `C` $/hour covers `y = C/(1−d)` of spend per hour and saves
//! `Σ_h min(x_h, y) − N·C` over the `N` hours of the lookback (scaled to a
//! 730-hour month). That is concave, with its maximum where the share of
//! hours whose spend exceeds `y` falls to `1−d`: `y*` is the `d`-quantile of
//! hourly spend (the 28th percentile at 28 % off) — the same answer as
//! simulating every commitment, which the tests check. Utilization is
//! `Σ min(x, y) ÷ (N·y)`; coverage `Σ min(x, y) ÷ Σ x`.
//!
//! The discount is the one observed on a savings plan of the same type,
//! term and payment already in the CUR (its effective cost ÷ the on-demand
//! cost of the usage it covered), else the price book's documented estimate
//! (marked as an estimate) or a `[prices]` override of
//! `commitments.discount_estimate.<offering>`. The evidence gives the upfront
//! payment, monthly recurring charge, total obligation and break-even months,
//! and every plan the account was compared on (savings plan only, RIs where
//! they beat the plan plus a plan on the rest, RIs at their own optimum plus a
//! plan, RIs only) with its savings.
//!
//! Confidence is high with an observed discount, a lookback of 30 days or
//! more and at least 95 % expected utilization; low with a 7-day lookback;
//! medium otherwise.
//!
//! ## Settings
//! These settings describe one purchase plan shared with
//! `reserved-instance-purchase`; give both rules the same values.
//! - `lookback-days` (default 30): days of hourly usage looked at; 7, 30 or 60.
//! - `commit-after-cleanup` (default true): set aside usage of idle, stopped
//!   and terminated instances first.
//! - `term` (default 1): term in years, 1 or 3.
//! - `payment-option` (default `no-upfront`): `no-upfront`,
//!   `partial-upfront` or `all-upfront`.
//! - `offering-class` (default `standard`): class of the reserved instances
//!   the plan competes with, `standard` or `convertible`.
//! - `savings-plan-type` (default `compute`): `compute` or `ec2-instance`.
//! - `strategy` (default `best`): `best`, `reserved-instances` (no savings
//!   plan) or `savings-plans` (a savings plan on all the usage, no RIs).
//! - `savings-plan-choice` (default `optimal`): `optimal` or `conservative`.
//! - `conservative-utilization-percent` (default 95): utilization the
//!   conservative commitment must reach.
//! - `min-monthly-savings` (default 5): smallest monthly saving worth a
//!   recommendation, in dollars.

use std::fmt::Write as _;

use super::reserved_instance_purchase::{plans_compared, set_aside_evidence};
use super::{Context, Rule, RuleOutput};
use crate::commitments::offerings::{Payment, RateBasis};
use crate::commitments::plan::{
    AccountPlan, PurchaseOptions, PurchasePlan, PurchaseSettings, SavingsPlanChoice, SpRecommendation, SpScope,
    purchase_plan,
};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_word};

/// The rule.
pub struct SavingsPlanPurchase;

impl Rule for SavingsPlanPurchase {
    const ID: &'static str = "savings-plan-purchase";
    const CATEGORY: Category = Category::Commitments;
    type Options = PurchaseOptions;
    type Settings = PurchaseSettings;

    fn resolve(options: PurchaseOptions) -> Result<PurchaseSettings, String> {
        PurchaseSettings::resolve(options)
    }

    fn check(settings: &PurchaseSettings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(plan) = purchase_plan(ctx, settings)? else { return Ok(RuleOutput::default()) };
        let mut output = RuleOutput { not_enough_data: plan.not_enough_data.clone(), ..RuleOutput::default() };
        for account in &plan.accounts {
            for rec in &account.savings_plans {
                output.findings.push(finding(&plan, account, rec));
            }
        }
        Ok(output)
    }
}

/// The commitment as the Savings Plans API takes it: dollars per hour, rounded down to a tenth of a cent.
fn cli_commitment(commitment: f64) -> f64 {
    (commitment * 1000.0).floor() / 1000.0
}

fn finding(plan: &PurchasePlan, account: &AccountPlan, rec: &SpRecommendation) -> Finding {
    let settings = &plan.settings;
    let lookback = settings.lookback_days;
    let d = rec.rate.discount;
    let (scope_text, resource_id, region) = match &rec.scope {
        SpScope::Account => (
            format!("all EC2 instance usage of account {} (regions: {})", rec.account_id, rec.regions.join(", ")),
            "savings-plan/compute".to_owned(),
            None,
        ),
        SpScope::RegionFamily { region, family } => (
            format!("{family} instances in {region}, any size, platform and tenancy"),
            format!("savings-plan/ec2-instance/{region}/{family}"),
            Some(region.clone()),
        ),
    };
    let top = rec.curve.last().map_or(0.0, |p| p.commitment);
    let mut evidence = vec![
        Evidence::text("covers", scope_text),
        Evidence::quantity("lookback", f64::from(lookback), "days"),
        Evidence::money("on-demand spend it may cover, quietest hour", rec.min_hourly),
        Evidence::money("on-demand spend it may cover, average hour", rec.mean_hourly),
        Evidence::money("on-demand spend it may cover, busiest hour", rec.max_hourly),
        Evidence::series("daily average of hourly on-demand spend", rec.daily_mean_hourly.iter().copied(), "$/hour"),
        Evidence::monthly("on-demand spend it may cover", rec.monthly_on_demand),
    ];
    if rec.monthly_covered_by_reservations > 0.0 {
        evidence.push(Evidence::monthly(
            "on-demand spend left to the recommended reserved instances",
            rec.monthly_covered_by_reservations,
        ));
    }
    evidence.extend([
        Evidence::text("offering", rec.offering.to_string()),
        Evidence::percent("discount off on-demand", d * 100.0),
        Evidence::text(
            if rec.rate.is_estimate() { "savings-plan rate (ESTIMATE)" } else { "savings-plan rate" },
            rec.rate.detail.clone(),
        ),
        Evidence::text(
            "method",
            format!(
                "savings(C) = Σ_h min(spend_h, C ÷ (1 − {dp:.1}%)) − hours × C; the optimum covers the spend exceeded in {keep:.1}% of the hours: the {dp:.1}% quantile of hourly spend",
                dp = d * 100.0,
                keep = (1.0 - d) * 100.0
            ),
        ),
        Evidence::series(
            format!(
                "monthly savings vs hourly commitment, $0 to ${top:.3}/hour in {} equal steps",
                rec.curve.len().saturating_sub(1)
            ),
            rec.curve.iter().map(|p| p.savings),
            "$/month",
        ),
        Evidence::money("optimal commitment (per hour)", rec.optimal.commitment),
        Evidence::monthly("optimal commitment: net savings", rec.optimal.savings),
        Evidence::percent("optimal commitment: expected utilization", rec.optimal.utilization * 100.0),
        Evidence::percent("optimal commitment: coverage of the spend", rec.optimal.coverage * 100.0),
        Evidence::percent("conservative commitment: utilization required", settings.conservative_utilization_percent),
        Evidence::money("conservative commitment (per hour)", rec.conservative.commitment),
        Evidence::monthly("conservative commitment: net savings", rec.conservative.savings),
        Evidence::percent("conservative commitment: expected utilization", rec.conservative.utilization * 100.0),
        Evidence::percent("conservative commitment: coverage of the spend", rec.conservative.coverage * 100.0),
        Evidence::text(
            "recommended",
            match rec.choice {
                SavingsPlanChoice::Optimal => "the optimal commitment (`savings-plan-choice`)",
                SavingsPlanChoice::Conservative => "the conservative commitment (`savings-plan-choice`)",
            },
        ),
        Evidence::money("commitment to buy (per hour)", cli_commitment(rec.chosen.commitment)),
        Evidence::money("upfront payment", rec.upfront),
        Evidence::monthly("monthly recurring charge", rec.monthly_recurring),
        Evidence::money(format!("total obligation over {} year(s)", rec.offering.term_years), rec.total_commitment),
        Evidence::percent("expected utilization", rec.chosen.utilization * 100.0),
        Evidence::percent("coverage of the spend", rec.chosen.coverage * 100.0),
        Evidence::monthly("monthly net savings", rec.chosen.savings),
    ]);
    match rec.break_even_months {
        Some(m) => evidence.push(Evidence::quantity("break-even", m, "months")),
        None => evidence.push(Evidence::text("break-even", "never at the expected utilization")),
    }
    evidence.push(Evidence::text("why a savings plan here", why(account, rec)));
    evidence.push(set_aside_evidence(settings.commit_after_cleanup, account.set_aside_monthly, &account.set_aside));
    evidence.push(Evidence::text(
        "financial risk",
        format!(
            "the commitment bills every hour of its {}-year term, used or not (${:.2} in all), and cannot be cancelled or resold",
            rec.offering.term_years, rec.total_commitment
        ),
    ));
    let confidence = if lookback <= 7 {
        Confidence::Low
    } else if matches!(rec.rate.basis, RateBasis::Cur | RateBasis::Override) && rec.chosen.utilization >= 0.95 {
        Confidence::High
    } else {
        Confidence::Medium
    };
    Finding {
        rule: SavingsPlanPurchase::ID.into(),
        category: SavingsPlanPurchase::CATEGORY,
        account_id: rec.account_id.clone(),
        region,
        resource_type: "savings-plan".into(),
        resource_id,
        resource_name: Some(rec.offering.plan_type.label().to_owned()),
        title: format!(
            "Commit ${:.3}/hour to a {}: {:.0}% expected utilization, {:.0}% of the on-demand spend covered",
            cli_commitment(rec.chosen.commitment),
            rec.offering,
            rec.chosen.utilization * 100.0,
            rec.chosen.coverage * 100.0
        ),
        evidence,
        monthly_cost: rec.monthly_on_demand,
        monthly_savings: rec.chosen.savings,
        price_source: rec.rate.price_source(),
        confidence,
        risk: Risk::NonDisruptive,
        remediation: remediation(rec),
        tags: rec.tags.clone(),
        covers: Vec::new(),
    }
}

fn why(account: &AccountPlan, rec: &SpRecommendation) -> String {
    let mut out = plans_compared(account);
    let reserved: u64 = account.reserved_instances.iter().map(|r| r.units).sum();
    if reserved > 0 {
        let _ = write!(
            out,
            ". The savings plan is sized on the usage the {reserved} recommended reserved instance(s) leave: only usage steady enough for a reservation's deeper discount to outweigh its idle hours goes to reservations"
        );
    } else {
        let _ = write!(
            out,
            ". No reserved instance beats a {:.1}% savings plan here: the plan's flexibility across families, sizes and regions costs nothing extra on this usage",
            rec.rate.discount * 100.0
        );
    }
    out
}

fn remediation(rec: &SpRecommendation) -> Remediation {
    let offering = rec.offering;
    let commitment = cli_commitment(rec.chosen.commitment);
    let filters = match &rec.scope {
        SpScope::Account => String::new(),
        SpScope::RegionFamily { region, family } => {
            format!(
                " --filters {} {}",
                shell_word(&format!("name=region,values={region}")),
                shell_word(&format!("name=instanceFamily,values={family}"))
            )
        }
    };
    let upfront = match offering.payment {
        Payment::PartialUpfront => format!(" --upfront-payment-amount {:.2}", rec.upfront),
        _ => String::new(),
    };
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "In account {}, buy a {} with a ${commitment:.3}/hour commitment.",
            rec.account_id, rec.offering
        ),
        cli: vec![
            format!(
                "OFFERING=$(aws savingsplans describe-savings-plans-offerings --plan-types {} --payment-options '{}' --durations {} --currencies USD{filters} --query 'searchResults[0].offeringId' --output text)",
                offering.plan_type.aws_name(),
                offering.payment.aws_name(),
                offering.term_seconds()
            ),
            format!(
                "aws savingsplans create-savings-plan --savings-plan-offering-id \"$OFFERING\" --commitment {commitment:.3}{upfront}"
            ),
        ],
        terraform: None,
    }
}
