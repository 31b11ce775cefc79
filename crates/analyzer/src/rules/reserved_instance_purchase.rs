//! Reserved instances worth buying: the savings-maximizing count per pool, sized from hourly usage.
//!
//! ## What it finds
//! For every pool of on-demand EC2 usage — account × region × instance
//! family × platform × tenancy for size-flexible Linux/UNIX usage with
//! shared tenancy, account × region × instance type × platform × tenancy
//! otherwise — the number of reserved instances that maximizes savings over
//! the last `lookback-days` days of hourly CUR data, in the offering set by
//! `offering-class`, `term` and `payment-option`. The purchase is named as
//! AWS sells it: a count of the family's **smallest size** (size flexibility
//! applies each to any size, in normalized units), with the normalized units.
//!
//! Usage already covered by reservations or savings plans, and spot, is not
//! on-demand and is left out. With `commit-after-cleanup` (default on), the
//! usage of instances other rules would remove is set aside first: instances
//! `idle-instance` flags, and instances stopped, or terminated outside an Auto
//! Scaling group, as of the snapshot. The evidence says how much was set aside.
//!
//! Reserved instances and savings plans are planned together, per account, so
//! that no usage is ever recommended for both (see "How savings are
//! estimated"); `savings-plan-purchase` reports the savings-plan side of the
//! same plan.
//!
//! An account is listed under "not enough data" when the billing data does not
//! cover the whole lookback, is not hourly, or carries neither usage types nor
//! instance types.
//!
//! ## Why it costs money
//! Steady on-demand usage pays the full public rate every hour; a reservation
//! bills a lower effective rate for every hour of its term whether used or
//! not. Reserving the part of the usage that runs nearly all the time is the
//! largest single saving in most EC2 bills; reserving more than that wastes
//! the unused hours.
//!
//! ## How savings are estimated
//! With `p` the on-demand and `r` the effective reserved price of one
//! normalized-unit hour, `k` units of `f` normalized units save
//! `p·Σ_h min(u_h, k·f) − N·r·k·f` over the `N` hours of the lookback (scaled
//! to a 730-hour month). The `k`-th unit pays for itself exactly when it is in
//! use at least `r/p` of the hours (the break-even utilization, 62.5 % at a
//! 37.5 % discount), so the optimum is `k* = max{k : utilization of unit k ≥
//! r/p}` — the same answer as simulating every count, which the tests check.
//!
//! `p` comes from the pool's public on-demand cost in the CUR. `r` comes from
//! a reservation of the same offering already in the CUR (its effective cost
//! on the usage it covered), else from the price book's documented discount
//! estimates — marked as estimates in the evidence — or a `[prices]` override
//! of `commitments.discount_estimate.<offering>`.
//!
//! Against a savings plan (`savings-plan-type`, same term and payment), a
//! reserved unit wins only when `utilization × (1 − SP discount) > (1 − RI
//! discount)`: its deeper discount must outweigh the idle hours the more
//! flexible plan would not waste. With `strategy = "best"` the account's plan
//! is the best of "savings plan only", "RIs where they win, plan on the
//! rest" and "RIs at their own optimum, plan on the rest"; the evidence lists
//! all of them with their savings. Each finding gives the upfront payment,
//! monthly recurring charge, expected utilization, monthly net savings
//! (amortized upfront included) and break-even months (upfront ÷ (on-demand
//! cost covered − recurring charge) per month), and compares all twelve
//! offerings (standard/convertible × 1/3 years × no/partial/all upfront).
//!
//! Confidence is high with a rate observed in the CUR, a lookback of 30 days
//! or more and at least 90 % expected utilization; low with a 7-day lookback;
//! medium otherwise. Buying touches nothing running; the risk is financial
//! (the evidence states the whole obligation).
//!
//! ## Settings
//! These settings describe one purchase plan shared with
//! `savings-plan-purchase`; give both rules the same values.
//! - `lookback-days` (default 30): days of hourly usage looked at; 7, 30 or 60.
//! - `commit-after-cleanup` (default true): set aside usage of idle, stopped
//!   and terminated instances first.
//! - `term` (default 1): term in years, 1 or 3.
//! - `payment-option` (default `no-upfront`): `no-upfront`,
//!   `partial-upfront` or `all-upfront`.
//! - `offering-class` (default `standard`): `standard` or `convertible`.
//! - `savings-plan-type` (default `compute`): the savings plan RIs compete
//!   with, `compute` or `ec2-instance`.
//! - `strategy` (default `best`): `best`, `reserved-instances` (RIs only, at
//!   their own optimum) or `savings-plans` (no RIs).
//! - `savings-plan-choice` (default `optimal`): `optimal` or `conservative`.
//! - `conservative-utilization-percent` (default 95): utilization the
//!   conservative savings-plan commitment must reach.
//! - `min-monthly-savings` (default 5): smallest monthly saving worth a
//!   recommendation, in dollars.

use std::fmt::Write as _;

use super::{Context, Rule, RuleOutput};
use crate::commitments::offerings::RateBasis;
use crate::commitments::plan::{
    AccountPlan, PlanKind, PurchaseOptions, PurchasePlan, PurchaseSettings, RiRecommendation, purchase_plan,
};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_quote, shell_word};

/// The rule.
pub struct ReservedInstancePurchase;

impl Rule for ReservedInstancePurchase {
    const ID: &'static str = "reserved-instance-purchase";
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
            for rec in &account.reserved_instances {
                output.findings.push(finding(&plan, account, rec));
            }
        }
        Ok(output)
    }
}

fn finding(plan: &PurchasePlan, account: &AccountPlan, rec: &RiRecommendation) -> Finding {
    let pool = &rec.pool;
    let key = &pool.key;
    let settings = &plan.settings;
    let lookback = settings.lookback_days;
    let mut evidence = vec![
        Evidence::text(
            "pool",
            if key.size_flexible() {
                format!(
                    "{} in {} (size-flexible: usage of every {} size counts, in normalized units)",
                    key.label(),
                    key.region,
                    key.family
                )
            } else {
                format!("{} in {} (not size-flexible: the reservation matches this type only)", key.label(), key.region)
            },
        ),
        Evidence::text("instance types running on demand", pool.instance_types.join(", ")),
        Evidence::quantity("lookback", f64::from(lookback), "days"),
        Evidence::quantity("on-demand usage, quietest hour", pool.min_nu, "normalized units"),
        Evidence::quantity("on-demand usage, average hour", pool.mean_nu, "normalized units"),
        Evidence::quantity("on-demand usage, busiest hour", pool.max_nu, "normalized units"),
        Evidence::series("daily average on-demand usage", pool.daily_mean_nu.iter().copied(), "normalized units"),
        Evidence::monthly("on-demand cost of the pool now", pool.monthly_on_demand),
        Evidence::percent("covered by existing reservations and savings plans now", pool.coverage_now * 100.0),
        Evidence::money("on-demand rate per normalized-unit hour", pool.od_rate),
        Evidence::text("on-demand rate source", pool.od_rate_source.to_string()),
        Evidence::text("offering", rec.offering.to_string()),
        Evidence::percent("discount off on-demand", rec.rate.discount * 100.0),
        Evidence::text(
            if rec.rate.is_estimate() { "reserved rate (ESTIMATE)" } else { "reserved rate" },
            rec.rate.detail.clone(),
        ),
        Evidence::money("effective reserved rate per normalized-unit hour", rec.ri_rate),
        Evidence::percent(
            "break-even utilization against on-demand (reserved ÷ on-demand rate)",
            rec.break_even_utilization * 100.0,
        ),
    ];
    if let Some(d) = rec.savings_plan_discount {
        evidence.push(Evidence::percent(
            "utilization each unit had to reach to beat the savings plan",
            rec.required_utilization.min(1.0) * 100.0,
        ));
        evidence.push(Evidence::percent("savings-plan discount compared with", d * 100.0));
    }
    evidence.extend([
        Evidence::quantity("units to buy", rec.units as f64, rec.unit_size.clone()),
        Evidence::quantity("normalized units bought", rec.normalized_units, "normalized units"),
        Evidence::quantity(
            "units worth buying against on-demand alone",
            rec.units_against_on_demand as f64,
            rec.unit_size.clone(),
        ),
        Evidence::money("upfront payment", rec.upfront),
        Evidence::monthly("monthly recurring charge", rec.monthly_recurring),
        Evidence::money(format!("total obligation over {} year(s)", rec.offering.term_years), rec.total_commitment),
        Evidence::percent("expected utilization", rec.expected_utilization * 100.0),
        Evidence::percent("share of the pool's on-demand usage covered", rec.coverage * 100.0),
        Evidence::monthly("on-demand cost of the usage covered", rec.monthly_on_demand_covered),
        Evidence::monthly("monthly net savings", rec.monthly_savings),
    ]);
    match rec.break_even_months {
        Some(m) => evidence.push(Evidence::quantity("break-even", m, "months")),
        None => evidence.push(Evidence::text("break-even", "never at the expected utilization")),
    }
    evidence
        .push(Evidence::text("offerings compared (each at its own optimum against on-demand)", offerings_table(rec)));
    evidence.push(Evidence::text("why reserved instances here", why(account, rec)));
    evidence.push(set_aside_evidence(settings.commit_after_cleanup, pool.set_aside_monthly, &pool.set_aside));
    if !pool.resized.is_empty() {
        let list: Vec<String> = pool.resized.iter().map(|(id, to)| format!("{id} as {to}")).collect();
        evidence.push(Evidence::text("counted at their rightsized type", list.join(", ")));
    }
    evidence.push(Evidence::text(
        "financial risk",
        format!(
            "a {} reservation bills every hour of its {}-year term, used or not (${:.2} in all); {}",
            rec.offering.class.aws_name(),
            rec.offering.term_years,
            rec.total_commitment,
            match rec.offering.class {
                crate::commitments::RiClass::Standard => "a standard RI can be resold on the Reserved Instance Marketplace, usually at a loss",
                crate::commitments::RiClass::Convertible => "a convertible RI can be exchanged for another family, platform or tenancy of equal or greater value",
            }
        ),
    ));
    let confidence = if lookback <= 7 {
        Confidence::Low
    } else if matches!(rec.rate.basis, RateBasis::Cur | RateBasis::Override | RateBasis::PriceList)
        && rec.expected_utilization >= 0.9
    {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let price_source = rec.rate.price_source().weakest(pool.od_rate_source.clone());
    Finding {
        rule: ReservedInstancePurchase::ID.into(),
        category: ReservedInstancePurchase::CATEGORY,
        account_id: account.account_id.clone(),
        region: Some(key.region.clone()),
        resource_type: "reserved-instances".into(),
        resource_id: key.id(),
        resource_name: Some(key.label()),
        title: format!(
            "Buy {} × {} {} reserved instances ({} normalized units) in {}: {:.0}% expected utilization",
            rec.units,
            rec.unit_size,
            rec.offering,
            fmt_number(rec.normalized_units),
            key.region,
            rec.expected_utilization * 100.0
        ),
        evidence,
        monthly_cost: pool.monthly_on_demand,
        monthly_savings: rec.monthly_savings,
        price_source,
        confidence,
        risk: Risk::NonDisruptive,
        remediation: remediation(&account.account_id, rec),
        tags: pool.tags.clone(),
        covers: Vec::new(),
    }
}

fn fmt_number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 { format!("{value:.0}") } else { format!("{value:.2}") }
}

fn offerings_table(rec: &RiRecommendation) -> String {
    let mut out = String::new();
    for (i, o) in rec.offerings.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let marker = if o.offering == rec.offering { " [configured]" } else { "" };
        let estimate = if o.rate.is_estimate() { " est." } else { "" };
        let _ = write!(
            out,
            "{}{marker}: {:.1}%{estimate} off, {} × {}, ${:.2}/month, {:.0}% utilized, ${:.2} upfront",
            o.offering,
            o.rate.discount * 100.0,
            o.units,
            rec.unit_size,
            o.monthly_savings,
            o.expected_utilization * 100.0,
            o.upfront
        );
    }
    out
}

/// Why RIs (and not only a savings plan) for this usage, with every plan's savings.
pub(crate) fn why(account: &AccountPlan, rec: &RiRecommendation) -> String {
    let mut out = plans_compared(account);
    if let (PlanKind::ReservationsWhereTheyWinThenSavingsPlan, Some(d)) = (rec.plan, rec.savings_plan_discount) {
        let _ = write!(
            out,
            ". A reserved unit beats the savings plan ({:.1}% off) on the same usage only when used at least {:.1}% of the hours ((1 − {:.1}%) ÷ (1 − {:.1}%)); {} of the {} units worth buying against on-demand pass that bar",
            d * 100.0,
            (rec.required_utilization * 100.0).min(100.0),
            rec.rate.discount * 100.0,
            d * 100.0,
            rec.units,
            rec.units_against_on_demand
        );
        if rec.units < rec.units_against_on_demand {
            out.push_str("; the rest of the usage is left to the savings plan");
        }
    } else {
        let _ = write!(
            out,
            ". At its {:.1}% discount each unit pays for itself against on-demand when used at least {:.1}% of the hours; ",
            rec.rate.discount * 100.0,
            rec.break_even_utilization * 100.0
        );
        out.push_str(if rec.plan == PlanKind::ReservationsOnly {
            "`strategy` asks for reservations only"
        } else {
            "a savings plan on the same usage would sit idle in the same hours at a smaller discount, so reservations save more here"
        });
    }
    out
}

/// The account's plans and their savings, the chosen one first.
pub(crate) fn plans_compared(account: &AccountPlan) -> String {
    let mut out = String::new();
    if let Some(chosen) = account.alternatives.iter().find(|a| a.chosen) {
        let _ = write!(
            out,
            "plan for account {}: {} (${:.2}/month)",
            account.account_id,
            chosen.kind.describe(),
            chosen.monthly_savings
        );
    }
    let others: Vec<String> = account
        .alternatives
        .iter()
        .filter(|a| !a.chosen)
        .map(|a| format!("{} ${:.2}/month", a.kind.describe(), a.monthly_savings))
        .collect();
    if !others.is_empty() {
        let _ = write!(out, "; compared with: {}", others.join("; "));
    }
    out
}

/// What "commit after cleanup" set aside, as evidence.
pub(crate) fn set_aside_evidence(
    enabled: bool,
    monthly: f64,
    set_aside: &std::collections::BTreeMap<String, crate::commitments::SetAsideReason>,
) -> Evidence {
    if !enabled {
        return Evidence::text("set aside for cleanup", "nothing: `commit-after-cleanup` is off");
    }
    if set_aside.is_empty() {
        return Evidence::text("set aside for cleanup", "nothing: no idle, stopped or terminated instance ran here");
    }
    let list: Vec<String> = set_aside.iter().map(|(id, why)| format!("{id} ({})", why.describe())).collect();
    Evidence::text(
        "set aside for cleanup",
        format!("${monthly:.2}/month of on-demand usage not committed to: {}", list.join(", ")),
    )
}

fn remediation(account_id: &str, rec: &RiRecommendation) -> Remediation {
    let key = &rec.pool.key;
    let region = shell_word(&key.region);
    let duration = u64::from(rec.offering.term_years) * 31_536_000;
    let tenancy = if key.tenancy == "Dedicated" { "dedicated" } else { "default" };
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "In account {account_id}, buy {} × {} {} reserved instances ({}, regional scope) in {region}{}.",
            rec.units,
            rec.unit_size,
            rec.offering,
            key.platform,
            if key.size_flexible() {
                format!("; size flexibility applies them to any {} size", key.family)
            } else {
                String::new()
            }
        ),
        cli: vec![
            format!(
                "OFFERING=$(aws ec2 describe-reserved-instances-offerings --region {region} --instance-type {} --product-description {} --instance-tenancy {tenancy} --offering-class {} --offering-type '{}' --min-duration {duration} --max-duration {duration} --no-include-marketplace --filters Name=scope,Values=Region --query 'ReservedInstancesOfferings[0].ReservedInstancesOfferingId' --output text)",
                shell_word(&rec.unit_size),
                shell_quote(&key.platform),
                rec.offering.class.aws_name(),
                rec.offering.payment.aws_name()
            ),
            format!(
                "# check the offering's real price against the estimate (fixed price, hourly charge) before buying:\naws ec2 describe-reserved-instances-offerings --region {region} --reserved-instances-offering-ids \"$OFFERING\" --query 'ReservedInstancesOfferings[0].[FixedPrice,RecurringCharges[0].Amount,UsagePrice]'"
            ),
            format!(
                "aws ec2 purchase-reserved-instances-offering --region {region} --reserved-instances-offering-id \"$OFFERING\" --instance-count {}",
                rec.units
            ),
        ],
        terraform: None,
    }
}
