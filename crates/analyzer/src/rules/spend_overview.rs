//! Where the money goes: spend by service, account and region, the daily trend, week-over-week jumps and the month against budget.
//!
//! ## What it finds
//! Builds the spend overview every report opens with: the trailing 30 days'
//! amortized cost by service, account and region; cost per day; each
//! service's last 7 days against the 7 before; and the month to date with a
//! forecast. It reports two kinds of finding:
//! - a service whose weekly cost rose by at least `spike-min-pct` percent
//!   and at least `spike-min-weekly-usd` dollars;
//! - a month forecast to exceed `monthly-budget` (when one is set).
//!
//! ## Why it costs money
//! Most waste starts as a change nobody noticed: a forgotten load test, a
//! NAT gateway that now carries a backup stream, a log level left at debug.
//! A weekly jump caught on Friday costs one week, not a quarter.
//!
//! ## How savings are estimated
//! These findings are alerts, not savings: their savings are $0 so they never
//! inflate the headline. Their dollar figure (`monthly cost`) is the change
//! itself: the weekly increase × 52 / 12 for a jump, the forecast overrun
//! for the budget. Costs are amortized (AWS's per-line-item-type rule), so
//! an upfront commitment payment is spread over its term rather than
//! appearing as a spike. The forecast is month-to-date cost plus the last 7
//! days' daily average for the remaining days.
//!
//! ## Settings
//! - `monthly-budget` (default: none): monthly budget in USD for the
//!   month-to-date variance and the overrun finding.
//! - `spike-min-pct` (default 25): minimum week-over-week increase, percent.
//! - `spike-min-weekly-usd` (default 50): minimum week-over-week increase in
//!   dollars, so small services' noise stays quiet.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Context, Rule, RuleOutput};
use crate::error::Error;
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_quote};
use crate::prices::PriceSource;
use crate::spend::{DAYS_PER_MONTH, SpendOverview, overview};

/// Default for `spike-min-pct`.
pub const DEFAULT_SPIKE_MIN_PCT: f64 = 25.0;
/// Default for `spike-min-weekly-usd`.
pub const DEFAULT_SPIKE_MIN_WEEKLY_USD: f64 = 50.0;

/// The rule.
pub struct SpendOverviewRule;

/// User options under `[rules.spend-overview]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Monthly budget in USD.
    pub monthly_budget: Option<f64>,
    /// Minimum weekly increase, percent.
    pub spike_min_pct: Option<f64>,
    /// Minimum weekly increase, dollars.
    pub spike_min_weekly_usd: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Monthly budget in USD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_budget: Option<f64>,
    /// Minimum weekly increase, percent.
    pub spike_min_pct: f64,
    /// Minimum weekly increase, dollars.
    pub spike_min_weekly_usd: f64,
}

impl Rule for SpendOverviewRule {
    const ID: &'static str = "spend-overview";
    const CATEGORY: Category = Category::Spend;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let settings = Settings {
            monthly_budget: options.monthly_budget,
            spike_min_pct: options.spike_min_pct.unwrap_or(DEFAULT_SPIKE_MIN_PCT),
            spike_min_weekly_usd: options.spike_min_weekly_usd.unwrap_or(DEFAULT_SPIKE_MIN_WEEKLY_USD),
        };
        if settings.monthly_budget.is_some_and(|b| b.is_nan() || b <= 0.0) {
            return Err("`monthly-budget` must be a positive number of USD".into());
        }
        if settings.spike_min_pct.is_nan() || settings.spike_min_pct < 0.0 {
            return Err("`spike-min-pct` must be zero or more".into());
        }
        if settings.spike_min_weekly_usd.is_nan() || settings.spike_min_weekly_usd < 0.0 {
            return Err("`spike-min-weekly-usd` must be zero or more".into());
        }
        Ok(settings)
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(spend) = overview(ctx.dataset, settings.monthly_budget)? else {
            return Ok(RuleOutput::default());
        };
        let account = ctx.dataset.manifest().accounts.first().map(|a| a.id.clone()).unwrap_or_default();
        let mut findings = spikes(settings, &spend, &account);
        findings.extend(budget_overrun(&spend, &account));
        Ok(RuleOutput { findings, not_enough_data: Vec::new(), spend: Some(spend) })
    }
}

fn spikes(settings: &Settings, spend: &SpendOverview, payer: &str) -> Vec<Finding> {
    let weeks_per_month = DAYS_PER_MONTH / 7.0;
    spend
        .week_over_week
        .iter()
        .filter(|w| {
            w.change >= settings.spike_min_weekly_usd && w.change_pct.is_none_or(|pct| pct >= settings.spike_min_pct)
        })
        .map(|w| {
            let pct_text = w.change_pct.map_or_else(|| "new this week".to_owned(), |p| format!("+{p:.0}%"));
            let mut evidence = vec![
                Evidence::money("previous 7 days", w.previous_week),
                Evidence::money("last 7 days", w.last_week),
                Evidence::money("weekly increase", w.change),
            ];
            if let Some(pct) = w.change_pct {
                evidence.push(Evidence::percent("increase", pct));
            }
            Finding {
                rule: SpendOverviewRule::ID.into(),
                category: Category::Spend,
                account_id: payer.to_owned(),
                region: None,
                resource_type: "service".into(),
                resource_id: w.service.clone(),
                resource_name: Some(w.label.clone()),
                title: format!("{} spend up {pct_text} week over week (+${:.0}/week)", w.label, w.change),
                evidence,
                monthly_cost: w.change * weeks_per_month,
                monthly_savings: 0.0,
                price_source: PriceSource::billed("amortized cost in the CUR"),
                confidence: Confidence::High,
                risk: Risk::NonDisruptive,
                remediation: Remediation {
 lifecycle_configuration: None,
                    summary: format!(
                        "Find what changed in {}: compare the last two weeks by usage type, account and resource in Cost Explorer.",
                        w.label
                    ),
                    cli: vec![format!(
                        "aws ce get-cost-and-usage --time-period Start={},End={} --granularity DAILY --metrics AmortizedCost --filter {} --group-by Type=DIMENSION,Key=USAGE_TYPE",
                        (spend.data_end - chrono::Duration::days(14)).format("%Y-%m-%d"),
                        spend.data_end.format("%Y-%m-%d"),
                        shell_quote(
                            &serde_json::json!({"Dimensions": {"Key": "SERVICE_CODE", "Values": [w.service]}}).to_string()
                        )
                    )],
                    terraform: None,
                },
                tags: BTreeMap::new(),
                covers: Vec::new(),
            }
        })
        .collect()
}

fn budget_overrun(spend: &SpendOverview, payer: &str) -> Option<Finding> {
    let mtd = &spend.month_to_date;
    let (budget, variance) = (mtd.budget?, mtd.forecast_variance?);
    if variance <= 0.0 {
        return None;
    }
    let month = mtd.month_start.format("%B %Y").to_string();
    Some(Finding {
        rule: SpendOverviewRule::ID.into(),
        category: Category::Spend,
        account_id: payer.to_owned(),
        region: None,
        resource_type: "budget".into(),
        resource_id: format!("budget:{}", mtd.month_start.format("%Y-%m")),
        resource_name: Some(format!("{month} budget")),
        title: format!("{month} forecast to exceed the ${budget:.0} budget by ${variance:.0}"),
        evidence: vec![
            Evidence::money("monthly budget", budget),
            Evidence::money("spent so far", mtd.cost_to_date),
            Evidence::quantity("days elapsed", (mtd.days_elapsed * 10.0).round() / 10.0, "days"),
            Evidence::money("forecast for the month", mtd.forecast),
            Evidence::percent("forecast over budget", mtd.forecast_variance_pct.unwrap_or(0.0)),
        ],
        monthly_cost: variance,
        monthly_savings: 0.0,
        price_source: PriceSource::billed("amortized cost in the CUR"),
        confidence: Confidence::Medium,
        risk: Risk::NonDisruptive,
        remediation: Remediation {
 lifecycle_configuration: None,
            summary: "Act on this report's savings findings first; if the forecast still exceeds the budget, review the services that grew most.".into(),
            cli: vec![],
            terraform: None,
        },
        tags: BTreeMap::new(),
        covers: Vec::new(),
    })
}
