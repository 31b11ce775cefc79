//! Reservations and savings plans ending soon, with what the bill does when they lapse.
//!
//! ## What it finds
//! Every active reservation and savings plan in the inventory whose term ends
//! within `within-days` days of the snapshot, grouped into the usual 30, 60
//! and 90-day horizons (the title says which). The `reservations` or
//! `savings_plans` inventory gives the end date; without it the rule has
//! nothing to read.
//!
//! ## Why it costs money
//! When a commitment ends, the usage it covered falls back to on-demand rates
//! the next hour — often unnoticed until the bill arrives. Renewing in time
//! (both can be bought ahead, queued to start at the expiry) keeps the
//! discount; renewing a commitment nobody uses any more keeps paying for
//! nothing.
//!
//! ## How savings are estimated
//! Renewing keeps today's savings and adds none, so the finding's savings
//! are 0 — it never inflates the report's total. The evidence carries the
//! **on-demand cost increase if not renewed**: the public on-demand cost of
//! the usage the commitment covered over the last `lookback-days` days of
//! the CUR, minus what the commitment costs, per 730-hour month, together
//! with its utilization. A commitment used below
//! `renew-min-utilization-percent` is flagged "do not renew as is": size the
//! replacement with `reserved-instance-purchase` / `savings-plan-purchase`
//! (which see its usage as on-demand once it lapses).
//!
//! Confidence is high when the CUR shows the commitment's usage, low when it
//! does not (the increase is then unknown).
//!
//! ## Settings
//! - `within-days` (default 90): report commitments ending within this many
//!   days.
//! - `lookback-days` (default 30): days of billing data the covered usage is
//!   measured over; 7, 30 or 60.
//! - `renew-min-utilization-percent` (default 80): below this utilization the
//!   advice is to resize rather than renew.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::underused_reservation::reservation_name;
use super::{Context, Rule, RuleOutput};
use crate::Table;
use crate::commitments::existing::{self, ReservationUse, SavingsPlanUse};
use crate::commitments::usage::lookback_window;
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_quote, shell_word};
use crate::prices::PriceSource;
use crate::spend::stable;

/// Default for `within-days`.
pub const DEFAULT_WITHIN_DAYS: u32 = 90;
/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;
/// Default for `renew-min-utilization-percent`.
pub const DEFAULT_RENEW_MIN_UTILIZATION_PERCENT: f64 = 80.0;

/// The rule.
pub struct ExpiringCommitment;

/// User options under `[rules.expiring-commitment]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Report commitments ending within this many days.
    pub within_days: Option<u32>,
    /// Days of billing data looked at.
    pub lookback_days: Option<u32>,
    /// Utilization (percent) below which renewing as is is discouraged.
    pub renew_min_utilization_percent: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Report commitments ending within this many days.
    pub within_days: u32,
    /// Days of billing data looked at.
    pub lookback_days: u32,
    /// Utilization (percent) below which renewing as is is discouraged.
    pub renew_min_utilization_percent: f64,
}

impl Rule for ExpiringCommitment {
    const ID: &'static str = "expiring-commitment";
    const CATEGORY: Category = Category::Commitments;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let settings = Settings {
            within_days: options.within_days.unwrap_or(DEFAULT_WITHIN_DAYS),
            lookback_days: options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS),
            renew_min_utilization_percent: options
                .renew_min_utilization_percent
                .unwrap_or(DEFAULT_RENEW_MIN_UTILIZATION_PERCENT),
        };
        if settings.within_days == 0 || settings.within_days > 1095 {
            return Err(format!("`within-days` must be between 1 and 1095, got {}", settings.within_days));
        }
        if ![7, 30, 60].contains(&settings.lookback_days) {
            return Err(format!("`lookback-days` must be 7, 30 or 60, got {}", settings.lookback_days));
        }
        if !(0.0..=100.0).contains(&settings.renew_min_utilization_percent) {
            return Err(format!(
                "`renew-min-utilization-percent` must be between 0 and 100, got {}",
                settings.renew_min_utilization_percent
            ));
        }
        Ok(settings)
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        if !ctx.dataset.has(Table::Reservations) && !ctx.dataset.has(Table::SavingsPlans) {
            return Ok(RuleOutput::default());
        }
        let as_of = ctx.dataset.as_of();
        let horizon = as_of + chrono::Duration::days(i64::from(settings.within_days));
        let window = lookback_window(ctx.dataset, settings.lookback_days)?.and_then(Result::ok);
        let existing = existing::load(ctx.dataset, window.as_ref())?;
        let hpm = ctx.prices.hours_per_month();
        let source = PriceSource::billed(match &window {
            Some(w) => format!(
                "commitment prices from the inventory and CUR line items {} to {}",
                w.start.format("%Y-%m-%d"),
                w.end.format("%Y-%m-%d")
            ),
            None => "commitment prices from the inventory; no CUR window".to_owned(),
        });
        let ending = |end: Option<NaiveDateTime>, state: Option<&str>| {
            end.is_some_and(|e| e > as_of && e <= horizon) && state.is_none_or(|s| s.eq_ignore_ascii_case("active"))
        };
        let mut output = RuleOutput::default();
        for r in existing.reservations.iter().filter(|r| ending(r.end, r.state.as_deref())) {
            output.findings.push(reservation_finding(r, as_of, settings, hpm, &source));
        }
        for s in existing.savings_plans.iter().filter(|s| ending(s.end, s.state.as_deref())) {
            output.findings.push(savings_plan_finding(s, as_of, settings, hpm, &source));
        }
        Ok(output)
    }
}

/// 30, 60, 90, … : the first multiple of 30 days at or after `days`.
fn horizon_bucket(days: i64) -> i64 {
    ((days.max(1) + 29) / 30) * 30
}

struct Lapse {
    days_left: i64,
    end: NaiveDateTime,
    monthly_cost: Option<f64>,
    monthly_on_demand: f64,
    utilization: Option<f64>,
    in_cur: bool,
}

impl Lapse {
    fn increase(&self) -> Option<f64> {
        (self.in_cur).then(|| self.monthly_on_demand - self.monthly_cost.unwrap_or(0.0))
    }

    fn headline(&self) -> String {
        match self.increase() {
            Some(i) if i > 0.0 => format!("+${i:.2}/month on demand if not renewed"),
            Some(_) => "it costs more than the usage it covers; do not renew as is".to_owned(),
            None => "the CUR does not show what it covers".to_owned(),
        }
    }

    fn evidence(&self, settings: &Settings) -> Vec<Evidence> {
        let mut evidence = vec![
            Evidence::text("term ends", self.end.format("%Y-%m-%d %H:%M UTC").to_string()),
            Evidence::quantity("days left", self.days_left as f64, "days"),
            Evidence::quantity("horizon", horizon_bucket(self.days_left) as f64, "days"),
            Evidence::quantity("reported within", f64::from(settings.within_days), "days"),
        ];
        if let Some(c) = self.monthly_cost {
            evidence.push(Evidence::monthly("monthly cost of the commitment", c));
        }
        if self.in_cur {
            evidence.push(Evidence::monthly("on-demand cost of the usage it covers", self.monthly_on_demand));
            if let Some(i) = self.increase() {
                evidence.push(Evidence::monthly("on-demand cost increase if not renewed", i.max(0.0)));
            }
        } else {
            evidence.push(Evidence::text(
                "on-demand cost increase if not renewed",
                format!("unknown: no line item for it in the CUR's last {} days", settings.lookback_days),
            ));
        }
        if let Some(u) = self.utilization {
            evidence.push(Evidence::percent("utilization", u * 100.0));
            evidence
                .push(Evidence::percent("utilization needed to renew as is", settings.renew_min_utilization_percent));
        }
        evidence
    }

    fn renew_as_is(&self, settings: &Settings) -> bool {
        self.utilization.is_none_or(|u| u * 100.0 >= settings.renew_min_utilization_percent)
            && self.increase().is_none_or(|i| i > 0.0)
    }

    fn confidence(&self) -> Confidence {
        if self.in_cur && self.utilization.is_some() { Confidence::High } else { Confidence::Low }
    }
}

fn reservation_finding(
    r: &ReservationUse,
    as_of: NaiveDateTime,
    settings: &Settings,
    hpm: f64,
    source: &PriceSource,
) -> Finding {
    let end = r.end.unwrap_or(as_of);
    let lapse = Lapse {
        days_left: (end - as_of).num_days(),
        end,
        monthly_cost: r.monthly_cost(hpm),
        monthly_on_demand: r.monthly_on_demand_equivalent(hpm),
        utilization: r.utilization,
        in_cur: r.in_cur,
    };
    let region = shell_word(r.region.as_deref().unwrap_or_default());
    let name = reservation_name(r);
    let renew = lapse.renew_as_is(settings);
    let mut cli = Vec::new();
    if let (Some(itype), Some(offering), Some(count)) = (&r.instance_type, r.offering, r.instance_count) {
        let duration = u64::from(offering.term_years) * 31_536_000;
        let tenancy = if r.tenancy.as_deref() == Some("Dedicated") { "dedicated" } else { "default" };
        cli.push(format!(
            "OFFERING=$(aws ec2 describe-reserved-instances-offerings --region {region} --instance-type {} --product-description {} --instance-tenancy {tenancy} --offering-class {} --offering-type '{}' --min-duration {duration} --max-duration {duration} --no-include-marketplace --filters Name=scope,Values=Region --query 'ReservedInstancesOfferings[0].ReservedInstancesOfferingId' --output text)",
            shell_word(itype),
            shell_quote(r.platform.as_deref().unwrap_or("Linux/UNIX")),
            offering.class.aws_name(),
            offering.payment.aws_name()
        ));
        cli.push(format!(
            "# queue the renewal to start when {} ends:\naws ec2 purchase-reserved-instances-offering --region {region} --reserved-instances-offering-id \"$OFFERING\" --instance-count {count} --purchase-time {}",
            shell_word(&r.reservation_id),
            end.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    } else {
        cli.push(format!(
            "aws ec2 describe-reserved-instances --region {region} --reserved-instances-ids {}",
            shell_word(&r.reservation_id)
        ));
    }
    Finding {
        rule: ExpiringCommitment::ID.into(),
        category: ExpiringCommitment::CATEGORY,
        account_id: r.account_id.clone(),
        region: r.region.clone(),
        resource_type: "reserved-instances".into(),
        resource_id: r.reservation_id.clone(),
        resource_name: Some(name.clone()),
        title: format!(
            "Reservation {name} in {region} ends in {} days ({}, within {} days): {}",
            lapse.days_left,
            end.format("%Y-%m-%d"),
            horizon_bucket(lapse.days_left),
            lapse.headline()
        ),
        evidence: lapse.evidence(settings),
        monthly_cost: stable(lapse.monthly_cost.unwrap_or(0.0)),
        monthly_savings: 0.0,
        price_source: source.clone(),
        confidence: lapse.confidence(),
        risk: Risk::NonDisruptive,
        remediation: Remediation {
            lifecycle_configuration: None,
            summary: if renew {
                format!(
                    "Renew {name} before {}: buy the same offering now, queued to start at the expiry.",
                    end.format("%Y-%m-%d")
                )
            } else {
                format!(
                    "Do not renew {name} as is (it is underused or costs more than it covers): let it lapse and size any replacement with reserved-instance-purchase / savings-plan-purchase."
                )
            },
            cli: if renew { cli } else { Vec::new() },
            terraform: None,
        },
        tags: std::collections::BTreeMap::new(),
        covers: Vec::new(),
    }
}

fn savings_plan_finding(
    s: &SavingsPlanUse,
    as_of: NaiveDateTime,
    settings: &Settings,
    hpm: f64,
    source: &PriceSource,
) -> Finding {
    let end = s.end.unwrap_or(as_of);
    let lapse = Lapse {
        days_left: (end - as_of).num_days(),
        end,
        monthly_cost: s.monthly_cost(hpm).or_else(|| s.commitment_per_hour.map(|c| c * hpm)),
        monthly_on_demand: s.monthly_on_demand_equivalent(hpm),
        utilization: s.utilization,
        in_cur: s.in_cur,
    };
    let label = s.plan_type.map_or("Savings plan", |t| t.label());
    let per_hour = s.commitment_per_hour.unwrap_or(0.0);
    let name = format!("{label} ${per_hour:.3}/hour");
    let renew = lapse.renew_as_is(settings);
    let mut cli = Vec::new();
    if let Some(offering) = s.offering {
        let filters = match (&s.region, &s.instance_family) {
            (Some(r), Some(f)) if offering.plan_type == crate::commitments::SpType::Ec2Instance => {
                format!(
                    " --filters {} {}",
                    shell_word(&format!("name=region,values={r}")),
                    shell_word(&format!("name=instanceFamily,values={f}"))
                )
            }
            _ => String::new(),
        };
        cli.push(format!(
            "OFFERING=$(aws savingsplans describe-savings-plans-offerings --plan-types {} --payment-options '{}' --durations {} --currencies USD{filters} --query 'searchResults[0].offeringId' --output text)",
            offering.plan_type.aws_name(),
            offering.payment.aws_name(),
            offering.term_seconds()
        ));
        cli.push(format!(
            "# queue the renewal to start when {} ends:\naws savingsplans create-savings-plan --savings-plan-offering-id \"$OFFERING\" --commitment {per_hour:.3} --purchase-time {}",
            shell_word(&s.savings_plan_id),
            end.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    } else {
        cli.push(format!(
            "aws savingsplans describe-savings-plans --savings-plan-ids {}",
            shell_word(&s.savings_plan_id)
        ));
    }
    Finding {
        rule: ExpiringCommitment::ID.into(),
        category: ExpiringCommitment::CATEGORY,
        account_id: s.account_id.clone(),
        region: s.region.clone(),
        resource_type: "savings-plan".into(),
        resource_id: s.savings_plan_id.clone(),
        resource_name: Some(name.clone()),
        title: format!(
            "{name} ends in {} days ({}, within {} days): {}",
            lapse.days_left,
            end.format("%Y-%m-%d"),
            horizon_bucket(lapse.days_left),
            lapse.headline()
        ),
        evidence: lapse.evidence(settings),
        monthly_cost: stable(lapse.monthly_cost.unwrap_or(0.0)),
        monthly_savings: 0.0,
        price_source: source.clone(),
        confidence: lapse.confidence(),
        risk: Risk::NonDisruptive,
        remediation: Remediation {
            lifecycle_configuration: None,
            summary: if renew {
                format!(
                    "Renew {} before {}: buy the same offering now, queued to start at the expiry.",
                    s.savings_plan_id,
                    end.format("%Y-%m-%d")
                )
            } else {
                format!(
                    "Do not renew {} as is (it is underused or costs more than it covers): let it lapse and size any replacement with savings-plan-purchase.",
                    s.savings_plan_id
                )
            },
            cli: if renew { cli } else { Vec::new() },
            terraform: None,
        },
        tags: std::collections::BTreeMap::new(),
        covers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_are_30_60_90() {
        assert_eq!(horizon_bucket(0), 30);
        assert_eq!(horizon_bucket(30), 30);
        assert_eq!(horizon_bucket(31), 60);
        assert_eq!(horizon_bucket(89), 90);
    }
}
