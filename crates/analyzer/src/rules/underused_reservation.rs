//! Reserved instances and savings plans used below a threshold, and the money their idle part wastes.
//!
//! ## What it finds
//! Every reservation and savings plan active in the last `lookback-days` days
//! whose utilization, measured from the CUR, is below
//! `min-utilization-percent`:
//!
//! - a **reservation**'s utilization is the normalized-unit hours of its
//!   `DiscountedUsage` lines over the normalized-unit hours it reserved
//!   (instance count × normalization factor × hours active, from the
//!   `reservations` inventory, else its `RIFee` lines);
//! - a **savings plan**'s is the commitment its `SavingsPlanCoveredUsage`
//!   lines consumed over the commitment of the period (consumed + the unused
//!   commitment of its `SavingsPlanRecurringFee` lines, else the inventory's
//!   hourly commitment × hours active).
//!
//! Only active commitments (inventory state `active`, or known only from the
//! CUR) are judged, and not one active for less than a day of the window. One
//! the CUR has no line for at all, or whose reserved capacity is unknown, is
//! listed under "not enough data": a missing line never means unused.
//!
//! ## Why it costs money
//! A commitment bills every hour of its term whether anything uses it or not.
//! The unused part is pure waste, typically after a migration to another
//! family or region, a shrink, or a purchase sized on a busy month.
//!
//! ## How savings are estimated
//! The monthly cost of the unused part: (reserved − used) normalized-unit
//! hours × the reservation's effective rate (fixed price spread over the
//! term plus the hourly charges, from the inventory; else the effective cost
//! per unit of its covered usage), or the unused savings-plan commitment,
//! per hour active, × 730. That is what putting the capacity back to use
//! recovers: move matching on-demand usage onto it (modify the reservation's
//! scope or size split, exchange a convertible one, enable discount sharing
//! across the organization) or sell a standard reservation on the Reserved
//! Instance Marketplace.
//!
//! Confidence is high when the inventory and the CUR both describe the
//! commitment, medium when only the CUR does.
//!
//! ## Settings
//! - `min-utilization-percent` (default 80): commitments used less than this
//!   share are reported.
//! - `lookback-days` (default 30): days of billing data the utilization is
//!   measured over; 7, 30 or 60.

use serde::{Deserialize, Serialize};

use super::{Context, NotEnoughData, Rule, RuleOutput};
use crate::commitments::existing::{self, ReservationUse, SavingsPlanUse};
use crate::commitments::usage::{Window, lookback_window};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_quote, shell_word};
use crate::prices::PriceSource;
use crate::spend::stable;

/// Default for `min-utilization-percent`.
pub const DEFAULT_MIN_UTILIZATION_PERCENT: f64 = 80.0;
/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;
/// Hours a commitment must be active in the window to be judged.
const MIN_HOURS_ACTIVE: f64 = 24.0;

/// The rule.
pub struct UnderusedReservation;

/// User options under `[rules.underused-reservation]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Utilization (percent) below which a commitment is reported.
    pub min_utilization_percent: Option<f64>,
    /// Days of billing data looked at.
    pub lookback_days: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Utilization (percent) below which a commitment is reported.
    pub min_utilization_percent: f64,
    /// Days of billing data looked at.
    pub lookback_days: u32,
}

impl Rule for UnderusedReservation {
    const ID: &'static str = "underused-reservation";
    const CATEGORY: Category = Category::Commitments;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let settings = Settings {
            min_utilization_percent: options.min_utilization_percent.unwrap_or(DEFAULT_MIN_UTILIZATION_PERCENT),
            lookback_days: options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS),
        };
        if !(settings.min_utilization_percent > 0.0 && settings.min_utilization_percent <= 100.0) {
            return Err(format!(
                "`min-utilization-percent` must be above 0 and at most 100, got {}",
                settings.min_utilization_percent
            ));
        }
        if ![7, 30, 60].contains(&settings.lookback_days) {
            return Err(format!("`lookback-days` must be 7, 30 or 60, got {}", settings.lookback_days));
        }
        Ok(settings)
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(window) = lookback_window(ctx.dataset, settings.lookback_days)? else {
            return Ok(RuleOutput::default());
        };
        let mut output = RuleOutput::default();
        let window = match window {
            Ok(w) => w,
            Err(reason) => {
                let existing = existing::load(ctx.dataset, None)?;
                for r in &existing.reservations {
                    output.not_enough_data.push(skip(&r.account_id, r.region.clone(), &r.reservation_id, &reason));
                }
                for s in &existing.savings_plans {
                    output.not_enough_data.push(skip(&s.account_id, s.region.clone(), &s.savings_plan_id, &reason));
                }
                return Ok(output);
            }
        };
        let existing = existing::load(ctx.dataset, Some(&window))?;
        let hpm = ctx.prices.hours_per_month();
        let threshold = settings.min_utilization_percent / 100.0;
        let source = PriceSource::billed(format!(
            "commitment prices from the inventory and CUR line items {} to {}",
            window.start.format("%Y-%m-%d"),
            window.end.format("%Y-%m-%d")
        ));
        let active = |state: Option<&str>| state.is_none_or(|s| s.eq_ignore_ascii_case("active"));
        let reservations = existing.reservations.iter().filter(|r| {
            active(r.state.as_deref()) && (r.hours_active >= MIN_HOURS_ACTIVE || (r.in_cur && r.start.is_none()))
        });
        for r in reservations {
            match (r.in_cur, r.utilization, r.monthly_wasted(hpm), r.monthly_cost(hpm)) {
                (false, ..) => output.not_enough_data.push(skip(
                    &r.account_id,
                    r.region.clone(),
                    &r.reservation_id,
                    &format!("no line item for this reservation in the CUR's last {} days: its utilization is unknown", settings.lookback_days),
                )),
                (true, Some(u), Some(wasted), Some(cost)) => {
                    if u < threshold {
                        output.findings.push(reservation_finding(r, u, wasted, cost, settings, &source));
                    }
                }
                _ => output.not_enough_data.push(skip(
                    &r.account_id,
                    r.region.clone(),
                    &r.reservation_id,
                    "the CUR shows the usage it covered, but neither the reservations inventory nor RIFee lines say how much it reserves or costs",
                )),
            }
        }
        for s in
            existing.savings_plans.iter().filter(|s| active(s.state.as_deref()) && s.hours_active >= MIN_HOURS_ACTIVE)
        {
            match (s.in_cur, s.utilization, s.monthly_wasted(hpm), s.monthly_cost(hpm)) {
                (false, ..) => output.not_enough_data.push(skip(
                    &s.account_id,
                    s.region.clone(),
                    &s.savings_plan_id,
                    &format!("no line item for this savings plan in the CUR's last {} days: its utilization is unknown", settings.lookback_days),
                )),
                (true, Some(u), Some(wasted), Some(cost)) => {
                    if u < threshold {
                        output.findings.push(savings_plan_finding(s, &window, u, wasted, cost, settings, &source));
                    }
                }
                _ => output.not_enough_data.push(skip(
                    &s.account_id,
                    s.region.clone(),
                    &s.savings_plan_id,
                    "the CUR shows the usage it covered, but neither recurring-fee lines nor the inventory give its commitment",
                )),
            }
        }
        Ok(output)
    }
}

fn skip(account: &str, region: Option<String>, id: &str, reason: &str) -> NotEnoughData {
    NotEnoughData { account_id: account.to_owned(), region, resource_id: id.to_owned(), reason: reason.to_owned() }
}

/// `2 × m5.large standard 1-year No Upfront`.
pub(crate) fn reservation_name(r: &ReservationUse) -> String {
    let what = match (r.instance_count, &r.instance_type) {
        (Some(n), Some(t)) => format!("{n} × {t}"),
        (None, Some(t)) => t.clone(),
        _ => "reservation".to_owned(),
    };
    match r.offering {
        Some(o) => format!("{what} {o}"),
        None => what,
    }
}

fn reservation_finding(
    r: &ReservationUse,
    utilization: f64,
    wasted: f64,
    cost: f64,
    settings: &Settings,
    source: &PriceSource,
) -> Finding {
    let region = r.region.clone().unwrap_or_default();
    let mut evidence = vec![
        Evidence::percent("utilization", utilization * 100.0),
        Evidence::percent("threshold", settings.min_utilization_percent),
        Evidence::quantity("lookback", f64::from(settings.lookback_days), "days"),
        Evidence::quantity("hours active in the lookback", r.hours_active, "hours"),
        Evidence::quantity("normalized-unit hours reserved", r.reserved_nu_hours, "normalized-unit hours"),
        Evidence::quantity("normalized-unit hours used", r.used_nu_hours, "normalized-unit hours"),
        Evidence::money("effective rate per normalized-unit hour", r.rate_per_nu_hour.unwrap_or(0.0)),
        Evidence::monthly("monthly cost of the reservation", cost),
        Evidence::monthly("monthly cost of the unused part", wasted),
    ];
    if let Some(p) = &r.platform {
        evidence.push(Evidence::text("platform", p.clone()));
    }
    if !r.used_by_accounts.is_empty() {
        evidence.push(Evidence::text("accounts whose usage it covered", r.used_by_accounts.join(", ")));
    }
    if let Some(end) = r.end {
        evidence.push(Evidence::text("term ends", end.format("%Y-%m-%d").to_string()));
    }
    Finding {
        rule: UnderusedReservation::ID.into(),
        category: UnderusedReservation::CATEGORY,
        account_id: r.account_id.clone(),
        region: r.region.clone(),
        resource_type: "reserved-instances".into(),
        resource_id: r.reservation_id.clone(),
        resource_name: Some(reservation_name(r)),
        title: format!(
            "Reservation {} in {region} used {:.0}% over the last {} days: ${:.2}/month pays for unused capacity",
            reservation_name(r),
            utilization * 100.0,
            settings.lookback_days,
            wasted
        ),
        evidence,
        monthly_cost: stable(cost),
        monthly_savings: stable(wasted),
        price_source: source.clone(),
        confidence: if r.start.is_some() { Confidence::High } else { Confidence::Medium },
        risk: Risk::NonDisruptive,
        remediation: reservation_remediation(r, &region),
        tags: std::collections::BTreeMap::new(),
        covers: Vec::new(),
    }
}

fn reservation_remediation(r: &ReservationUse, region: &str) -> Remediation {
    let (id, region) = (shell_word(&r.reservation_id), shell_word(region));
    let family = r.instance_type.as_deref().map_or("*", crate::prices::family_of);
    let family_filter = shell_quote(&format!("Name=instance-type,Values={family}.*"));
    let convertible = r.offering.is_some_and(|o| o.class == crate::commitments::RiClass::Convertible);
    let mut cli = vec![
        format!("aws ec2 describe-reserved-instances --region {region} --reserved-instances-ids {id}"),
        format!(
            "# on-demand instances of the family that could use it (a regional Linux reservation applies to any size):\naws ec2 describe-instances --region {region} --filters {family_filter} Name=instance-state-name,Values=running --query 'Reservations[].Instances[].[InstanceId,InstanceType,Placement.AvailabilityZone]' --output text"
        ),
    ];
    if convertible {
        cli.push(format!(
            "# exchange it for a configuration you use (quote first):\naws ec2 get-reserved-instances-exchange-quote --region {region} --reserved-instance-ids {id} --target-configurations OfferingId=<target-offering-id>"
        ));
    } else {
        cli.push(format!(
            "# or sell the unused part on the Reserved Instance Marketplace:\naws ec2 create-reserved-instances-listing --region {region} --reserved-instances-id {id} --instance-count <count> --price-schedules CurrencyCode=USD,Price=<price>,Term=<months-left> --client-token costwise-{id}"
        ));
    }
    Remediation {
        lifecycle_configuration: None,
        summary: format!(
            "Put reservation {id} back to use: move matching on-demand usage onto it (modify its scope or size split, or enable reservation sharing across the organization), or {}.",
            if convertible {
                "exchange it for a configuration you run"
            } else {
                "sell the unused part on the Reserved Instance Marketplace"
            }
        ),
        cli,
        terraform: None,
    }
}

fn savings_plan_finding(
    s: &SavingsPlanUse,
    window: &Window,
    utilization: f64,
    wasted: f64,
    cost: f64,
    settings: &Settings,
    source: &PriceSource,
) -> Finding {
    let label = s.plan_type.map_or("Savings plan", |t| t.label());
    let per_hour =
        s.commitment_per_hour.unwrap_or(if s.hours_active > 0.0 { s.committed / s.hours_active } else { 0.0 });
    let mut evidence = vec![
        Evidence::percent("utilization", utilization * 100.0),
        Evidence::percent("threshold", settings.min_utilization_percent),
        Evidence::quantity("lookback", f64::from(settings.lookback_days), "days"),
        Evidence::quantity("hours active in the lookback", s.hours_active, "hours"),
        Evidence::money("hourly commitment", per_hour),
        Evidence::money("commitment over the lookback", s.committed),
        Evidence::money("commitment used over the lookback", s.used),
        Evidence::monthly("monthly cost of the commitment", cost),
        Evidence::monthly("monthly commitment unused", wasted),
    ];
    if let (Some(r), Some(f)) = (&s.region, &s.instance_family) {
        evidence.push(Evidence::text("applies to", format!("{f} in {r}")));
    }
    if let Some(end) = s.end {
        evidence.push(Evidence::text("term ends", end.format("%Y-%m-%d").to_string()));
    }
    let id = &s.savings_plan_id;
    Finding {
        rule: UnderusedReservation::ID.into(),
        category: UnderusedReservation::CATEGORY,
        account_id: s.account_id.clone(),
        region: s.region.clone(),
        resource_type: "savings-plan".into(),
        resource_id: id.clone(),
        resource_name: Some(format!("{label} ${per_hour:.3}/hour")),
        title: format!(
            "{label} of ${per_hour:.3}/hour used {:.0}% over the last {} days: ${wasted:.2}/month of commitment unused",
            utilization * 100.0,
            settings.lookback_days
        ),
        evidence,
        monthly_cost: stable(cost),
        monthly_savings: stable(wasted),
        price_source: source.clone(),
        confidence: if s.start.is_some() { Confidence::High } else { Confidence::Medium },
        risk: Risk::NonDisruptive,
        remediation: Remediation {
            lifecycle_configuration: None,
            summary: format!(
                "Put savings plan {id} back to use: it cannot be cancelled, so move eligible on-demand usage under it (other families or regions for a Compute plan, other accounts by enabling discount sharing), and size the next purchase on today's usage."
            ),
            cli: vec![
                format!("aws savingsplans describe-savings-plans --savings-plan-ids {}", shell_word(id)),
                format!(
                    "aws ce get-savings-plans-utilization-details --time-period Start={},End={} --filter {}",
                    window.start.format("%Y-%m-%d"),
                    window.end.format("%Y-%m-%d"),
                    shell_quote(
                        &serde_json::json!({"Dimensions": {"Key": "SAVINGS_PLAN_ARN", "Values": [s.arn.as_deref().unwrap_or(id)]}})
                            .to_string()
                    )
                ),
            ],
            terraform: None,
        },
        tags: std::collections::BTreeMap::new(),
        covers: Vec::new(),
    }
}
