//! The purchase plan: which reservations and savings plans to buy, per
//! account, so that no usage is committed twice.
//!
//! For each account, four plans are evaluated on the same hourly usage:
//!
//! 1. **Savings plan only** — the optimal commitment on all the on-demand
//!    spend it may cover.
//! 2. **Reserved instances where they beat the savings plan, then a savings
//!    plan for the rest.** An RI unit and the savings plan compete for the
//!    same usage; the RI unit wins only when
//!    `utilization × (1 − SP discount) > (1 − RI discount)` — it is used
//!    enough of the time that its lower rate outweighs the hours it sits
//!    idle, which the savings plan (flexible
//!    across families, sizes and regions) would not waste. Ties go to the
//!    savings plan. The savings plan is then sized on what the RIs leave.
//! 3. **RIs at their own optimum (against on-demand), then a savings plan for
//!    the rest.**
//! 4. **RIs only.**
//!
//! The `strategy` setting picks: `best` (the default) takes the plan with the
//! highest savings among 1–3 (ties in that order: the most flexible wins),
//! `reserved-instances` takes 4, `savings-plans` takes 1. Every finding's
//! evidence lists all four figures so the reader sees why the winner won. A
//! savings plan is always sized on the usage left after the plan's RIs, so
//! the two never cover the same usage.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::cleanup::{self, Cleanup, SetAsideReason};
use super::existing::{self, ExistingCommitments};
use super::normalization::is_size_flexible;
use super::offerings::{Payment, Rate, RateBasis, RiClass, RiOffering, SpOffering, SpType, ri_book_rate, sp_book_rate};
use super::optimizer::{
    HourlySeries, SpPoint, conservative_sp, optimal_sp, optimal_units, ri_choice, ri_savings, sp_curve,
};
use super::usage::{PoolKey, PoolUsage, Window, load_pools, lookback_window};
use crate::Table;
use crate::error::{Error, PolarsResultExt};
use crate::prices::{PriceBook, PriceSource, family_of};
use crate::rules::columns::strings;
use crate::rules::{Context, NotEnoughData};
use crate::spend::stable;
use polars::prelude::*;

/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;
/// Default for `commit-after-cleanup`.
pub const DEFAULT_COMMIT_AFTER_CLEANUP: bool = true;
/// Default for `term` (years).
pub const DEFAULT_TERM_YEARS: u32 = 1;
/// Default for `payment-option`.
pub const DEFAULT_PAYMENT: Payment = Payment::NoUpfront;
/// Default for `offering-class`.
pub const DEFAULT_OFFERING_CLASS: RiClass = RiClass::Standard;
/// Default for `savings-plan-type`.
pub const DEFAULT_SAVINGS_PLAN_TYPE: SpType = SpType::Compute;
/// Default for `strategy`.
pub const DEFAULT_STRATEGY: Strategy = Strategy::Best;
/// Default for `savings-plan-choice`.
pub const DEFAULT_SAVINGS_PLAN_CHOICE: SavingsPlanChoice = SavingsPlanChoice::Optimal;
/// Default for `conservative-utilization-percent`.
pub const DEFAULT_CONSERVATIVE_UTILIZATION_PERCENT: f64 = 95.0;
/// Default for `min-monthly-savings`.
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 5.0;
/// Points on the savings-versus-commitment curve, minus one.
pub const CURVE_STEPS: usize = 20;

/// Which commitments to consider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The plan with the highest savings (RIs only where they beat the savings plan).
    Best,
    /// Reserved instances only.
    ReservedInstances,
    /// Savings plans only.
    SavingsPlans,
}

/// Which savings-plan commitment to recommend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SavingsPlanChoice {
    /// The commitment that maximizes simulated savings.
    Optimal,
    /// The highest commitment (up to the optimal one) with the configured utilization.
    Conservative,
}

/// Options shared by `reserved-instance-purchase` and `savings-plan-purchase`
/// (`[rules.<id>]`): both rules plan one purchase together, so give both the
/// same values.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PurchaseOptions {
    /// Days of hourly usage looked at: 7, 30 or 60.
    pub lookback_days: Option<u32>,
    /// Set aside usage the other rules would remove before sizing commitments.
    pub commit_after_cleanup: Option<bool>,
    /// Term in years: 1 or 3.
    pub term: Option<u32>,
    /// Payment option.
    pub payment_option: Option<Payment>,
    /// Reserved-instance offering class.
    pub offering_class: Option<RiClass>,
    /// Savings-plan type.
    pub savings_plan_type: Option<SpType>,
    /// Which commitments to consider.
    pub strategy: Option<Strategy>,
    /// Which savings-plan commitment to recommend.
    pub savings_plan_choice: Option<SavingsPlanChoice>,
    /// Utilization (percent) the conservative savings-plan choice must reach.
    pub conservative_utilization_percent: Option<f64>,
    /// Smallest monthly saving worth a recommendation.
    pub min_monthly_savings: Option<f64>,
}

/// Resolved purchase settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PurchaseSettings {
    /// Days of hourly usage looked at.
    pub lookback_days: u32,
    /// Set aside usage the other rules would remove.
    pub commit_after_cleanup: bool,
    /// Term in years.
    pub term: u32,
    /// Payment option.
    pub payment_option: Payment,
    /// Reserved-instance offering class.
    pub offering_class: RiClass,
    /// Savings-plan type.
    pub savings_plan_type: SpType,
    /// Which commitments to consider.
    pub strategy: Strategy,
    /// Which savings-plan commitment to recommend.
    pub savings_plan_choice: SavingsPlanChoice,
    /// Utilization (percent) of the conservative savings-plan choice.
    pub conservative_utilization_percent: f64,
    /// Smallest monthly saving worth a recommendation.
    pub min_monthly_savings: f64,
}

impl Default for PurchaseSettings {
    fn default() -> Self {
        Self::resolve(PurchaseOptions::default()).unwrap_or_else(|_| unreachable!("defaults are valid"))
    }
}

impl PurchaseSettings {
    /// Resolves and validates options.
    pub fn resolve(options: PurchaseOptions) -> Result<Self, String> {
        let settings = Self {
            lookback_days: options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS),
            commit_after_cleanup: options.commit_after_cleanup.unwrap_or(DEFAULT_COMMIT_AFTER_CLEANUP),
            term: options.term.unwrap_or(DEFAULT_TERM_YEARS),
            payment_option: options.payment_option.unwrap_or(DEFAULT_PAYMENT),
            offering_class: options.offering_class.unwrap_or(DEFAULT_OFFERING_CLASS),
            savings_plan_type: options.savings_plan_type.unwrap_or(DEFAULT_SAVINGS_PLAN_TYPE),
            strategy: options.strategy.unwrap_or(DEFAULT_STRATEGY),
            savings_plan_choice: options.savings_plan_choice.unwrap_or(DEFAULT_SAVINGS_PLAN_CHOICE),
            conservative_utilization_percent: options
                .conservative_utilization_percent
                .unwrap_or(DEFAULT_CONSERVATIVE_UTILIZATION_PERCENT),
            min_monthly_savings: options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS),
        };
        if ![7, 30, 60].contains(&settings.lookback_days) {
            return Err(format!("`lookback-days` must be 7, 30 or 60 (as AWS offers), got {}", settings.lookback_days));
        }
        if ![1, 3].contains(&settings.term) {
            return Err(format!("`term` must be 1 or 3 (years), got {}", settings.term));
        }
        if !(settings.conservative_utilization_percent > 0.0 && settings.conservative_utilization_percent <= 100.0) {
            return Err(format!(
                "`conservative-utilization-percent` must be above 0 and at most 100, got {}",
                settings.conservative_utilization_percent
            ));
        }
        if !settings.min_monthly_savings.is_finite() || settings.min_monthly_savings < 0.0 {
            return Err(format!(
                "`min-monthly-savings` must be a non-negative amount, got {}",
                settings.min_monthly_savings
            ));
        }
        Ok(settings)
    }

    /// The reserved-instance offering to recommend.
    pub fn ri_offering(&self) -> RiOffering {
        RiOffering { class: self.offering_class, term_years: self.term, payment: self.payment_option }
    }

    /// The savings-plan offering to recommend.
    pub fn sp_offering(&self) -> SpOffering {
        SpOffering { plan_type: self.savings_plan_type, term_years: self.term, payment: self.payment_option }
    }
}

/// What a savings plan covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SpScope {
    /// All of an account's EC2 instance usage (Compute Savings Plan).
    Account,
    /// One family in one region (EC2 Instance Savings Plan).
    RegionFamily {
        /// Region.
        region: String,
        /// Instance family.
        family: String,
    },
}

impl SpScope {
    fn of(plan_type: SpType, key: &PoolKey) -> Self {
        match plan_type {
            SpType::Compute => SpScope::Account,
            SpType::Ec2Instance => SpScope::RegionFamily { region: key.region.clone(), family: key.family.clone() },
        }
    }
}

/// Commitment rates: configured overrides, then rates observed on commitments
/// of the same offering in the CUR, then the price book's estimates.
#[derive(Debug, Clone)]
pub struct RateBook<'a> {
    prices: &'a PriceBook,
    ri: BTreeMap<(String, String, String, String, RiOffering), Observed>,
    sp: BTreeMap<(SpOffering, Option<(String, String)>), Observed>,
}

#[derive(Debug, Clone, Default)]
struct Observed {
    public: f64,
    amortized: f64,
    upfront: Vec<f64>,
    ids: BTreeSet<String>,
}

impl Observed {
    fn rate(&self, what: &str, fallback_upfront: f64) -> Option<Rate> {
        if self.public <= 0.0 || self.amortized <= 0.0 {
            return None;
        }
        let discount = 1.0 - self.amortized / self.public;
        let upfront_fraction = if self.upfront.is_empty() {
            fallback_upfront
        } else {
            self.upfront.iter().sum::<f64>() / self.upfront.len() as f64
        };
        let ids: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        Some(Rate {
            discount,
            upfront_fraction,
            basis: RateBasis::Cur,
            detail: format!(
                "observed {:.1}% off on-demand on the usage your {what} {} covered in the CUR",
                discount * 100.0,
                ids.join(", ")
            ),
        })
    }
}

impl<'a> RateBook<'a> {
    /// Price-book rates only (no commitment in use).
    pub fn estimates_only(prices: &'a PriceBook) -> Self {
        Self { prices, ri: BTreeMap::new(), sp: BTreeMap::new() }
    }

    /// Rates from the price book and the commitments already in use.
    pub fn new(prices: &'a PriceBook, existing: &ExistingCommitments) -> Self {
        let mut book = Self::estimates_only(prices);
        for r in &existing.reservations {
            let (Some(offering), Some(region), Some(itype), Some(platform), Some(tenancy)) =
                (r.offering, &r.region, &r.instance_type, &r.platform, &r.tenancy)
            else {
                continue;
            };
            if r.used_public <= 0.0 {
                continue;
            }
            let family = family_of(itype);
            let target = if is_size_flexible(family, platform, tenancy) { family } else { itype.as_str() };
            let entry = book
                .ri
                .entry((region.clone(), target.to_owned(), platform.clone(), tenancy.clone(), offering))
                .or_default();
            entry.public += r.used_public;
            entry.amortized += r.used_amortized;
            entry.upfront.extend(r.upfront_fraction);
            entry.ids.insert(r.reservation_id.clone());
        }
        for s in &existing.savings_plans {
            let Some(offering) = s.offering else { continue };
            if s.used_public <= 0.0 {
                continue;
            }
            let scope = match offering.plan_type {
                SpType::Compute => None,
                SpType::Ec2Instance => s.region.clone().zip(s.instance_family.clone()),
            };
            let entry = book.sp.entry((offering, scope)).or_default();
            entry.public += s.used_public;
            entry.amortized += s.used;
            entry.upfront.extend(s.upfront_fraction);
            entry.ids.insert(s.savings_plan_id.clone());
        }
        book
    }

    /// The rate of an RI offering for a pool.
    pub fn ri(&self, key: &PoolKey, offering: RiOffering) -> Option<Rate> {
        let book = ri_book_rate(self.prices, &key.region, offering);
        if book.as_ref().is_some_and(|r| r.basis == RateBasis::Override) {
            return book;
        }
        let target = key.instance_type.clone().unwrap_or_else(|| key.family.clone());
        self.ri
            .get(&(key.region.clone(), target, key.platform.clone(), key.tenancy.clone(), offering))
            .and_then(|o| o.rate(&format!("{offering} reservation(s)"), offering.payment.typical_upfront_fraction()))
            .or_else(|| self.listed_ri(key, offering))
            .or(book)
    }

    /// The offering's rate from the Price List API cache ([`listed_rate`]), with its upfront share.
    fn listed_ri(&self, key: &PoolKey, offering: RiOffering) -> Option<Rate> {
        let cache = self.prices.price_list()?;
        let offering_key = offering.estimate_key();
        let upfront_key = |instance_type: &str| crate::prices::ri_upfront_key(&offering_key, instance_type);
        let listed = listed_rate(cache, key, &crate::prices::ri_discount_key(&offering_key, ""), |rates, t| {
            rates.contains_key(&upfront_key(t))
        })?;
        let upfront_fraction = *cache.regions.get(&key.region)?.rates.get(&upfront_key(listed.instance_type))?;
        Some(Rate {
            discount: listed.discount,
            upfront_fraction,
            basis: RateBasis::PriceList,
            detail: format!(
                "{:.1}% off on-demand: the {offering} rate of {} ({})",
                listed.discount * 100.0,
                listed.of(key, false),
                listed.source
            ),
        })
    }

    /// The rate of a savings-plan offering for a scope, whose usage is `pools` (at least one): configured,
    /// observed on plans of the same offering in the CUR, from the Savings Plans API's published rates, else
    /// the price book's estimate.
    pub fn sp(&self, scope: &SpScope, pools: &[&PoolUsage], offering: SpOffering) -> Option<Rate> {
        let region = pools.first().map_or("us-east-1", |p| p.key.region.as_str());
        let book = sp_book_rate(self.prices, region, offering);
        if book.as_ref().is_some_and(|r| r.basis == RateBasis::Override) {
            return book;
        }
        let key = match scope {
            SpScope::Account => None,
            SpScope::RegionFamily { region, family } => Some((region.clone(), family.clone())),
        };
        self.sp
            .get(&(offering, key))
            .and_then(|o| o.rate(&format!("{offering}(s)"), offering.payment.typical_upfront_fraction()))
            .or_else(|| self.listed_sp(pools, offering, book.as_ref()))
            .or(book)
    }

    /// The offering's discount from the price cache's savings-plan rates, blended over `pools` by their
    /// on-demand spend: a plan's discount differs by family and region, and one commitment covers them all.
    /// A pool without a published rate (not Linux on shared tenancy, or not in the cache) counts at `book`'s
    /// estimate; the result is a published rate only when published rates price at least half the spend.
    fn listed_sp(&self, pools: &[&PoolUsage], offering: SpOffering, book: Option<&Rate>) -> Option<Rate> {
        let cache = self.prices.price_list()?;
        let offering_key = offering.estimate_key();
        let (mut total, mut listed, mut weighted) = (0.0, 0.0, 0.0);
        let mut rates_of: Vec<String> = Vec::new();
        let mut sources: BTreeSet<String> = BTreeSet::new();
        for pool in pools {
            let spend = pool.on_demand.iter().sum::<f64>() * pool.od_rate;
            if spend <= 0.0 {
                continue;
            }
            let prefix = crate::prices::sp_discount_key(&offering_key, "");
            match listed_rate(cache, &pool.key, &prefix, |_, _| true) {
                Some(rate) => {
                    listed += spend;
                    weighted += spend * rate.discount;
                    total += spend;
                    // A plan spans regions: say which.
                    rates_of.push(rate.of(&pool.key, true));
                    sources.insert(rate.source);
                }
                None => {
                    if let Some(book) = book {
                        weighted += spend * book.discount;
                        total += spend;
                    }
                }
            }
        }
        if listed <= 0.0 || total <= 0.0 {
            return None;
        }
        let discount = weighted / total;
        let share = listed / total;
        let rest = match book {
            Some(book) if share < 1.0 => {
                format!(
                    "; the other {:.0}% of the spend at the estimate {:.1}%",
                    (1.0 - share) * 100.0,
                    book.discount * 100.0
                )
            }
            _ => String::new(),
        };
        let weighting = if rates_of.len() > 1 { ", weighted by on-demand spend" } else { "" };
        Some(Rate {
            discount,
            upfront_fraction: offering.payment.typical_upfront_fraction(),
            basis: if share >= 0.5 { RateBasis::PriceList } else { book.map_or(RateBasis::Estimate, |b| b.basis) },
            detail: format!(
                "{:.1}% off on-demand: the {offering} rates of {}{weighting} ({}){rest}",
                discount * 100.0,
                rates_of.join(", "),
                sources.into_iter().collect::<Vec<_>>().join("; ")
            ),
        })
    }
}

/// A published rate from the price cache for a pool.
struct ListedRate<'c> {
    discount: f64,
    /// The type whose rate it is.
    instance_type: &'c str,
    /// How many sizes of the family it is the median of (1: the pool's own type).
    sizes: usize,
    /// Its source, with region and dates.
    source: String,
}

impl ListedRate<'_> {
    /// What it is the rate of: `m5.large`, or `m5.xlarge in eu-west-1, the median of 3 m5 sizes`.
    fn of(&self, key: &PoolKey, with_region: bool) -> String {
        let region = if with_region { format!(" in {}", key.region) } else { String::new() };
        match self.sizes {
            1 => format!("{}{region}", self.instance_type),
            n => format!("{}{region}, the median of {n} {} sizes", self.instance_type, key.family),
        }
    }
}

/// A pool's published discount under `prefix` (`ri_discount.<offering>:`, `sp_discount.<offering>:`): its
/// type's, or the median over the family's sizes for a size-flexible pool (commitment rates scale with size,
/// so their discounts barely differ), among the types `usable` accepts. Linux/UNIX on shared tenancy only: the
/// cache holds no other.
fn listed_rate<'c>(
    cache: &'c crate::prices::PriceListCache,
    key: &PoolKey,
    prefix: &str,
    usable: impl Fn(&BTreeMap<String, f64>, &str) -> bool,
) -> Option<ListedRate<'c>> {
    if key.platform != "Linux/UNIX" || key.tenancy != "Shared" {
        return None;
    }
    let rates = &cache.regions.get(&key.region)?.rates;
    let mut listed: Vec<(f64, &str)> = rates
        .range(prefix.to_owned()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, discount)| (*discount, &k[prefix.len()..]))
        .filter(|(_, instance_type)| match &key.instance_type {
            Some(one) => instance_type == one,
            None => crate::prices::family_of(instance_type) == key.family,
        })
        .filter(|(_, instance_type)| usable(rates, instance_type))
        .collect();
    if listed.is_empty() {
        return None;
    }
    listed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (discount, instance_type) = listed[listed.len() / 2];
    let (_, source) = cache.rate(&key.region, &format!("{prefix}{instance_type}"))?;
    Some(ListedRate { discount, instance_type, sizes: listed.len(), source })
}

/// Which of the four plans an account got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanKind {
    /// A savings plan only.
    SavingsPlanOnly,
    /// RIs where they beat the savings plan, then a savings plan on the rest.
    ReservationsWhereTheyWinThenSavingsPlan,
    /// RIs at their own optimum, then a savings plan on the rest.
    ReservationsThenSavingsPlan,
    /// RIs only.
    ReservationsOnly,
}

impl PlanKind {
    /// In words.
    pub fn describe(self) -> &'static str {
        match self {
            PlanKind::SavingsPlanOnly => "savings plan only",
            PlanKind::ReservationsWhereTheyWinThenSavingsPlan => {
                "reserved instances where they beat the savings plan, savings plan on the rest"
            }
            PlanKind::ReservationsThenSavingsPlan => {
                "reserved instances at their own optimum, savings plan on the rest"
            }
            PlanKind::ReservationsOnly => "reserved instances only",
        }
    }
}

/// One evaluated plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    /// The plan.
    pub kind: PlanKind,
    /// Its monthly savings.
    pub monthly_savings: f64,
    /// Whether it is the one recommended.
    pub chosen: bool,
}

/// One pool, summarized for a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolSummary {
    /// The pool.
    pub key: PoolKey,
    /// Instance types seen in its on-demand usage.
    pub instance_types: Vec<String>,
    /// Smallest, mean and largest hourly on-demand usage, normalized units.
    pub min_nu: f64,
    /// Mean hourly on-demand usage.
    pub mean_nu: f64,
    /// Largest hourly on-demand usage.
    pub max_nu: f64,
    /// Mean on-demand usage per day of the window, oldest first.
    pub daily_mean_nu: Vec<f64>,
    /// Monthly public on-demand cost of its on-demand usage.
    pub monthly_on_demand: f64,
    /// Public on-demand $ per normalized-unit hour.
    pub od_rate: f64,
    /// Where the on-demand rate came from.
    pub od_rate_source: PriceSource,
    /// Share (0–1) of its usage covered by commitments now.
    pub coverage_now: f64,
    /// Monthly on-demand cost of the usage set aside.
    pub set_aside_monthly: f64,
    /// Mean normalized units per hour set aside.
    pub set_aside_mean_nu: f64,
    /// Instances set aside, and why.
    pub set_aside: BTreeMap<String, SetAsideReason>,
    /// Instances counted at a rightsized type.
    pub resized: BTreeMap<String, String>,
    /// Tags every usage line of the pool carries.
    pub tags: BTreeMap<String, String>,
}

/// One RI offering evaluated on a pool at its own optimum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferingOutcome {
    /// The offering.
    pub offering: RiOffering,
    /// Its rate.
    pub rate: Rate,
    /// Units of the unit size to buy (optimum against on-demand).
    pub units: u64,
    /// Monthly net savings.
    pub monthly_savings: f64,
    /// Expected utilization (0–1).
    pub expected_utilization: f64,
    /// Upfront payment.
    pub upfront: f64,
    /// Monthly recurring charge.
    pub monthly_recurring: f64,
    /// Months until the upfront payment is paid back.
    pub break_even_months: Option<f64>,
}

/// A reserved-instance purchase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiRecommendation {
    /// The pool.
    pub pool: PoolSummary,
    /// The offering.
    pub offering: RiOffering,
    /// Its rate.
    pub rate: Rate,
    /// Effective reserved $ per normalized-unit hour.
    pub ri_rate: f64,
    /// The size bought (smallest of the family).
    pub unit_size: String,
    /// Normalized units of one `unit_size`.
    pub unit_nu: f64,
    /// Instances of `unit_size` to buy.
    pub units: u64,
    /// Normalized units bought.
    pub normalized_units: f64,
    /// Units the RI alone would justify against on-demand.
    pub units_against_on_demand: u64,
    /// Break-even utilization against on-demand, `ri_rate / od_rate`.
    pub break_even_utilization: f64,
    /// Utilization the last unit had to reach (higher when competing with a savings plan).
    pub required_utilization: f64,
    /// The savings-plan discount it competed with, if any.
    pub savings_plan_discount: Option<f64>,
    /// The account plan it belongs to.
    pub plan: PlanKind,
    /// Upfront payment.
    pub upfront: f64,
    /// Monthly recurring charge.
    pub monthly_recurring: f64,
    /// Total obligation over the term.
    pub total_commitment: f64,
    /// Expected utilization (0–1).
    pub expected_utilization: f64,
    /// Share (0–1) of the pool's on-demand usage it covers.
    pub coverage: f64,
    /// Monthly on-demand cost of the usage it covers.
    pub monthly_on_demand_covered: f64,
    /// Monthly net savings.
    pub monthly_savings: f64,
    /// Months until the upfront payment is paid back (0 with nothing upfront; none if never).
    pub break_even_months: Option<f64>,
    /// All twelve offerings at their own optimum.
    pub offerings: Vec<OfferingOutcome>,
}

/// A savings-plan purchase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpRecommendation {
    /// Account.
    pub account_id: String,
    /// What it covers.
    pub scope: SpScope,
    /// The offering.
    pub offering: SpOffering,
    /// Its rate.
    pub rate: Rate,
    /// Smallest hourly on-demand-equivalent spend it may cover (after the plan's RIs).
    pub min_hourly: f64,
    /// Mean hourly spend.
    pub mean_hourly: f64,
    /// Largest hourly spend.
    pub max_hourly: f64,
    /// Mean hourly spend per day of the window, oldest first.
    pub daily_mean_hourly: Vec<f64>,
    /// Monthly on-demand cost of that spend.
    pub monthly_on_demand: f64,
    /// Monthly on-demand cost of usage the plan's RIs take (not available to the savings plan).
    pub monthly_covered_by_reservations: f64,
    /// The savings-maximizing commitment (savings per month).
    pub optimal: SpPoint,
    /// The conservative commitment (savings per month).
    pub conservative: SpPoint,
    /// The one recommended.
    pub choice: SavingsPlanChoice,
    /// The recommended point.
    pub chosen: SpPoint,
    /// Savings per month versus commitment, `CURVE_STEPS + 1` points from 0 to the busiest hour.
    pub curve: Vec<SpPoint>,
    /// Upfront payment.
    pub upfront: f64,
    /// Monthly recurring charge.
    pub monthly_recurring: f64,
    /// Total obligation over the term.
    pub total_commitment: f64,
    /// Months until the upfront payment is paid back.
    pub break_even_months: Option<f64>,
    /// Tags every covered usage line carries.
    pub tags: BTreeMap<String, String>,
    /// Regions whose usage it covers.
    pub regions: Vec<String>,
}

/// One account's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountPlan {
    /// Account.
    pub account_id: String,
    /// The plan recommended.
    pub kind: PlanKind,
    /// Every plan evaluated.
    pub alternatives: Vec<Alternative>,
    /// Reservations to buy.
    pub reserved_instances: Vec<RiRecommendation>,
    /// Savings plans to buy.
    pub savings_plans: Vec<SpRecommendation>,
    /// Monthly on-demand cost of the account's eligible usage (after set-aside).
    pub monthly_on_demand: f64,
    /// Monthly on-demand cost of the usage set aside.
    pub set_aside_monthly: f64,
    /// Instances set aside, and why.
    pub set_aside: BTreeMap<String, SetAsideReason>,
}

impl AccountPlan {
    /// Monthly savings of the recommended plan.
    pub fn monthly_savings(&self) -> f64 {
        self.alternatives.iter().find(|a| a.chosen).map_or(0.0, |a| a.monthly_savings)
    }
}

/// The whole purchase plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurchasePlan {
    /// The lookback window, when the billing data covers it.
    pub window: Option<Window>,
    /// The settings it was made with.
    pub settings: PurchaseSettings,
    /// What "commit after cleanup" set aside.
    pub cleanup: Cleanup,
    /// Per account.
    pub accounts: Vec<AccountPlan>,
    /// Accounts that could not be planned, and why.
    pub not_enough_data: Vec<NotEnoughData>,
}

/// Plans the purchase for every account; `None` without billing data.
pub fn purchase_plan(ctx: &Context<'_>, settings: &PurchaseSettings) -> Result<Option<PurchasePlan>, Error> {
    let Some(window) = lookback_window(ctx.dataset, settings.lookback_days)? else { return Ok(None) };
    let window = match window {
        Ok(w) => w,
        Err(reason) => {
            let not_enough_data = ec2_accounts(ctx)?
                .into_iter()
                .map(|account_id| NotEnoughData {
                    account_id,
                    region: None,
                    resource_id: "AmazonEC2".into(),
                    reason: reason.clone(),
                })
                .collect();
            return Ok(Some(PurchasePlan {
                window: None,
                settings: settings.clone(),
                cleanup: Cleanup::default(),
                accounts: Vec::new(),
                not_enough_data,
            }));
        }
    };
    let cleanup = if settings.commit_after_cleanup { cleanup::cleanup(ctx)? } else { Cleanup::default() };
    let pools = load_pools(ctx.dataset, ctx.prices, &window, &cleanup)?;
    let existing = existing::load(ctx.dataset, Some(&window))?;
    let rates = RateBook::new(ctx.prices, &existing);
    let accounts = plan_pools(&pools.pools, &rates, settings, ctx.prices.hours_per_month());
    let not_enough_data = pools
        .unusable
        .into_iter()
        .map(|u| NotEnoughData {
            account_id: u.account_id,
            region: None,
            resource_id: "AmazonEC2".into(),
            reason: u.reason,
        })
        .collect();
    Ok(Some(PurchasePlan { window: Some(window), settings: settings.clone(), cleanup, accounts, not_enough_data }))
}

fn ec2_accounts(ctx: &Context<'_>) -> Result<Vec<String>, Error> {
    let Some(costs) = ctx.dataset.table(Table::Costs) else { return Ok(Vec::new()) };
    let context = "commitments: accounts with EC2 usage";
    let frame = costs
        .filter(col("service").eq(lit("AmazonEC2")))
        .select([col("account_id")])
        .unique(None, UniqueKeepStrategy::Any)
        .sort(["account_id"], SortMultipleOptions::default())
        .collect()
        .during(|| context.to_owned())?;
    Ok(strings(&frame, "account_id", context)?.iter().flatten().map(str::to_owned).collect())
}

/// Plans every account found in `pools` (all series must have the same number of hours).
pub fn plan_pools(
    pools: &[PoolUsage],
    rates: &RateBook<'_>,
    settings: &PurchaseSettings,
    hours_per_month: f64,
) -> Vec<AccountPlan> {
    let mut by_account: BTreeMap<&str, Vec<&PoolUsage>> = BTreeMap::new();
    for pool in pools {
        by_account.entry(pool.key.account_id.as_str()).or_default().push(pool);
    }
    by_account
        .into_iter()
        .filter_map(|(account, pools)| plan_account(account, &pools, rates, settings, hours_per_month))
        .collect()
}

struct PoolCalc<'p> {
    pool: &'p PoolUsage,
    series: HourlySeries,
    scope: SpScope,
    ri_rate: Option<Rate>,
    own: u64,
    best: u64,
    best_threshold: f64,
    sp_discount: Option<f64>,
}

impl PoolCalc<'_> {
    fn ri_hourly_rate(&self) -> Option<f64> {
        self.ri_rate.as_ref().map(|r| (1.0 - r.discount) * self.pool.od_rate)
    }

    fn savings(&self, units: u64) -> f64 {
        self.ri_hourly_rate().map_or(0.0, |r| ri_savings(&self.series, self.pool.unit_nu, units, self.pool.od_rate, r))
    }
}

struct SpOutcome {
    scope: SpScope,
    rate: Rate,
    series: HourlySeries,
    hourly: Vec<f64>,
    reserved_public: f64,
    optimal: SpPoint,
    conservative: SpPoint,
    chosen: Option<SpPoint>,
}

struct Outcome {
    kind: PlanKind,
    units: Vec<u64>,
    sps: Vec<SpOutcome>,
    total: f64,
}

fn plan_account(
    account_id: &str,
    pools: &[&PoolUsage],
    rates: &RateBook<'_>,
    settings: &PurchaseSettings,
    hours_per_month: f64,
) -> Option<AccountPlan> {
    let hours = pools.first()?.on_demand.len();
    if hours == 0 {
        return None;
    }
    let scale = hours_per_month / hours as f64;
    let ri_offering = settings.ri_offering();
    let sp_offering = settings.sp_offering();
    let mut scopes: BTreeMap<SpScope, Vec<&PoolUsage>> = BTreeMap::new();
    for pool in pools {
        scopes.entry(SpScope::of(settings.savings_plan_type, &pool.key)).or_default().push(pool);
    }
    let sp_rates: BTreeMap<SpScope, Option<Rate>> =
        scopes.into_iter().map(|(scope, members)| (scope.clone(), rates.sp(&scope, &members, sp_offering))).collect();
    let calcs: Vec<PoolCalc<'_>> = pools
        .iter()
        .map(|pool| {
            let series = HourlySeries::new(pool.on_demand.iter().copied());
            let scope = SpScope::of(settings.savings_plan_type, &pool.key);
            let ri_rate = rates.ri(&pool.key, ri_offering);
            let sp_discount = sp_rates.get(&scope).and_then(|r| r.as_ref()).map(|r| r.discount);
            let keep = ri_rate.as_ref().map_or(f64::INFINITY, |r| 1.0 - r.discount);
            let best_threshold = sp_discount.map_or(keep, |d| keep / (1.0 - d));
            let mut calc = PoolCalc { pool, series, scope, ri_rate, own: 0, best: 0, best_threshold, sp_discount };
            if calc.ri_rate.is_some() && pool.od_rate > 0.0 {
                calc.own = optimal_units(&calc.series, pool.unit_nu, keep);
                // Strictly better than the savings plan: nudge the threshold so ties go to the plan.
                calc.best = optimal_units(&calc.series, pool.unit_nu, calc.best_threshold * (1.0 + 1e-9));
            }
            for units in [&mut calc.own, &mut calc.best] {
                let monthly = ri_savings(
                    &calc.series,
                    pool.unit_nu,
                    *units,
                    pool.od_rate,
                    calc.ri_rate.as_ref().map_or(0.0, |r| (1.0 - r.discount) * pool.od_rate),
                ) * scale;
                if monthly < settings.min_monthly_savings {
                    *units = 0;
                }
            }
            calc
        })
        .collect();

    let evaluate = |kind: PlanKind, units: Vec<u64>, with_sp: bool| -> Outcome {
        let ri_total: f64 = calcs.iter().zip(&units).map(|(c, u)| c.savings(*u)).sum();
        let sps = if with_sp { savings_plans(&calcs, &units, &sp_rates, settings, hours, scale) } else { Vec::new() };
        let sp_total: f64 = sps.iter().filter_map(|s| s.chosen.map(|p| p.savings)).sum();
        Outcome { kind, units, sps, total: (ri_total + sp_total) * scale }
    };
    let zero = vec![0; calcs.len()];
    let best: Vec<u64> = calcs.iter().map(|c| c.best).collect();
    let own: Vec<u64> = calcs.iter().map(|c| c.own).collect();
    let mut outcomes = vec![
        evaluate(PlanKind::SavingsPlanOnly, zero, true),
        evaluate(PlanKind::ReservationsWhereTheyWinThenSavingsPlan, best, true),
        evaluate(PlanKind::ReservationsThenSavingsPlan, own.clone(), true),
        evaluate(PlanKind::ReservationsOnly, own, false),
    ];
    let chosen_index = match settings.strategy {
        Strategy::SavingsPlans => 0,
        Strategy::ReservedInstances => 3,
        Strategy::Best => {
            let mut best_index = 0;
            for i in 1..3 {
                if outcomes[i].total > outcomes[best_index].total + 1e-9 {
                    best_index = i;
                }
            }
            best_index
        }
    };
    let alternatives = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| Alternative { kind: o.kind, monthly_savings: stable(o.total), chosen: i == chosen_index })
        .collect();
    let chosen = outcomes.swap_remove(chosen_index);

    let reserved_instances = calcs
        .iter()
        .zip(&chosen.units)
        .filter(|(_, units)| **units > 0)
        .filter_map(|(calc, units)| {
            ri_recommendation(calc, chosen.kind, ri_offering, *units, rates, scale, hours_per_month)
        })
        .collect();
    let savings_plans = chosen
        .sps
        .into_iter()
        .filter_map(|sp| sp_recommendation(account_id, sp, &calcs, sp_offering, settings, scale, hours_per_month))
        .collect();
    let monthly_on_demand =
        stable(pools.iter().map(|p| p.od_rate * p.on_demand.iter().sum::<f64>()).sum::<f64>() * scale);
    let set_aside_monthly = stable(pools.iter().map(|p| p.set_aside_public).sum::<f64>() * scale);
    let set_aside = pools.iter().flat_map(|p| p.set_aside.clone()).collect();
    Some(AccountPlan {
        account_id: account_id.to_owned(),
        kind: chosen.kind,
        alternatives,
        reserved_instances,
        savings_plans,
        monthly_on_demand,
        set_aside_monthly,
        set_aside,
    })
}

/// Sizes the savings plan of every scope on what the RIs (`units` per pool) leave.
fn savings_plans(
    calcs: &[PoolCalc<'_>],
    units: &[u64],
    sp_rates: &BTreeMap<SpScope, Option<Rate>>,
    settings: &PurchaseSettings,
    hours: usize,
    scale: f64,
) -> Vec<SpOutcome> {
    let mut residual: BTreeMap<&SpScope, (Vec<f64>, f64)> = BTreeMap::new();
    for (calc, k) in calcs.iter().zip(units) {
        let entry = residual.entry(&calc.scope).or_insert_with(|| (vec![0.0; hours], 0.0));
        let capacity = *k as f64 * calc.pool.unit_nu;
        for (h, u) in calc.pool.on_demand.iter().enumerate() {
            let left = (u - u.min(capacity)).max(0.0);
            entry.0[h] += calc.pool.od_rate * left;
            entry.1 += calc.pool.od_rate * u.min(capacity);
        }
    }
    let min_util = settings.conservative_utilization_percent / 100.0;
    residual
        .into_iter()
        .filter_map(|(scope, (hourly, reserved_public))| {
            let rate = sp_rates.get(scope)?.clone()?;
            let series = HourlySeries::new(hourly.iter().copied());
            let optimal = optimal_sp(&series, rate.discount);
            let conservative = conservative_sp(&series, rate.discount, min_util, optimal.covers_per_hour);
            let pick = match settings.savings_plan_choice {
                SavingsPlanChoice::Optimal => optimal,
                SavingsPlanChoice::Conservative => conservative,
            };
            let chosen =
                (pick.commitment > 0.0 && pick.savings * scale >= settings.min_monthly_savings).then_some(pick);
            Some(SpOutcome {
                scope: scope.clone(),
                rate,
                series,
                hourly,
                reserved_public,
                optimal,
                conservative,
                chosen,
            })
        })
        .collect()
}

fn monthly(point: SpPoint, scale: f64) -> SpPoint {
    SpPoint { savings: stable(point.savings * scale), ..point }
}

fn daily_means(hourly: &[f64]) -> Vec<f64> {
    hourly.chunks(24).map(|day| day.iter().sum::<f64>() / day.len() as f64).collect()
}

fn break_even(upfront: f64, monthly_on_demand: f64, monthly_recurring: f64) -> Option<f64> {
    if upfront <= 0.0 {
        return Some(0.0);
    }
    let net = monthly_on_demand - monthly_recurring;
    (net > 0.0).then(|| upfront / net)
}

fn summary(pool: &PoolUsage, series: &HourlySeries, scale: f64) -> PoolSummary {
    PoolSummary {
        key: pool.key.clone(),
        instance_types: pool.instance_types.iter().cloned().collect(),
        min_nu: series.min(),
        mean_nu: series.mean(),
        max_nu: series.max(),
        daily_mean_nu: daily_means(&pool.on_demand),
        monthly_on_demand: stable(pool.od_rate * series.total() * scale),
        od_rate: pool.od_rate,
        od_rate_source: pool.od_rate_source.clone(),
        coverage_now: pool.coverage_now(),
        set_aside_monthly: stable(pool.set_aside_public * scale),
        set_aside_mean_nu: if series.hours() > 0 { pool.set_aside_nu / series.hours() as f64 } else { 0.0 },
        set_aside: pool.set_aside.clone(),
        resized: pool.resized.clone(),
        tags: pool.tags.clone(),
    }
}

fn ri_recommendation(
    calc: &PoolCalc<'_>,
    kind: PlanKind,
    offering: RiOffering,
    units: u64,
    rates: &RateBook<'_>,
    scale: f64,
    hours_per_month: f64,
) -> Option<RiRecommendation> {
    let pool = calc.pool;
    let rate = calc.ri_rate.clone()?;
    let ri_rate = calc.ri_hourly_rate()?;
    let choice = ri_choice(&calc.series, pool.unit_nu, units, pool.od_rate, ri_rate);
    let hourly_cost = ri_rate * choice.capacity;
    let total_commitment = hourly_cost * offering.term_hours();
    let upfront = rate.upfront_fraction * total_commitment;
    let monthly_recurring = (1.0 - rate.upfront_fraction) * hourly_cost * hours_per_month;
    let monthly_on_demand_covered = pool.od_rate * choice.covered * scale;
    let offerings = RiOffering::all()
        .into_iter()
        .filter_map(|offering| {
            let rate = rates.ri(&pool.key, offering)?;
            let r = (1.0 - rate.discount) * pool.od_rate;
            let units = optimal_units(&calc.series, pool.unit_nu, 1.0 - rate.discount);
            let c = ri_choice(&calc.series, pool.unit_nu, units, pool.od_rate, r);
            let total = r * c.capacity * offering.term_hours();
            let upfront = rate.upfront_fraction * total;
            let recurring = (1.0 - rate.upfront_fraction) * r * c.capacity * hours_per_month;
            Some(OfferingOutcome {
                offering,
                units,
                monthly_savings: stable(c.savings * scale),
                expected_utilization: c.utilization,
                upfront: stable(upfront),
                monthly_recurring: stable(recurring),
                break_even_months: break_even(upfront, pool.od_rate * c.covered * scale, recurring),
                rate,
            })
        })
        .collect();
    Some(RiRecommendation {
        pool: summary(pool, &calc.series, scale),
        offering,
        ri_rate,
        unit_size: pool.unit_size.clone(),
        unit_nu: pool.unit_nu,
        units,
        normalized_units: choice.capacity,
        units_against_on_demand: calc.own,
        break_even_utilization: 1.0 - rate.discount,
        required_utilization: if kind == PlanKind::ReservationsWhereTheyWinThenSavingsPlan && calc.sp_discount.is_some()
        {
            calc.best_threshold
        } else {
            1.0 - rate.discount
        },
        plan: kind,
        savings_plan_discount: calc.sp_discount,
        upfront: stable(upfront),
        monthly_recurring: stable(monthly_recurring),
        total_commitment: stable(total_commitment),
        expected_utilization: choice.utilization,
        coverage: choice.coverage,
        monthly_on_demand_covered: stable(monthly_on_demand_covered),
        monthly_savings: stable(choice.savings * scale),
        break_even_months: break_even(upfront, monthly_on_demand_covered, monthly_recurring),
        offerings,
        rate,
    })
}

fn sp_recommendation(
    account_id: &str,
    sp: SpOutcome,
    calcs: &[PoolCalc<'_>],
    offering: SpOffering,
    settings: &PurchaseSettings,
    scale: f64,
    hours_per_month: f64,
) -> Option<SpRecommendation> {
    let chosen = sp.chosen?;
    let total_commitment = chosen.commitment * offering.term_hours();
    let upfront = sp.rate.upfront_fraction * total_commitment;
    let monthly_recurring = (1.0 - sp.rate.upfront_fraction) * chosen.commitment * hours_per_month;
    let covered_monthly = sp.series.covered(chosen.covers_per_hour) * scale;
    let members: Vec<&PoolCalc<'_>> = calcs.iter().filter(|c| c.scope == sp.scope).collect();
    let mut tags: Option<BTreeMap<String, String>> = None;
    for c in &members {
        match &mut tags {
            None => tags = Some(c.pool.tags.clone()),
            Some(t) => t.retain(|k, v| c.pool.tags.get(k) == Some(v)),
        }
    }
    let regions: BTreeSet<String> = members.iter().map(|c| c.pool.key.region.clone()).collect();
    let curve = sp_curve(&sp.series, sp.rate.discount, CURVE_STEPS).into_iter().map(|p| monthly(p, scale)).collect();
    Some(SpRecommendation {
        account_id: account_id.to_owned(),
        scope: sp.scope,
        offering,
        min_hourly: sp.series.min(),
        mean_hourly: sp.series.mean(),
        max_hourly: sp.series.max(),
        daily_mean_hourly: daily_means(&sp.hourly),
        monthly_on_demand: stable(sp.series.total() * scale),
        monthly_covered_by_reservations: stable(sp.reserved_public * scale),
        optimal: monthly(sp.optimal, scale),
        conservative: monthly(sp.conservative, scale),
        choice: settings.savings_plan_choice,
        chosen: monthly(chosen, scale),
        curve,
        upfront: stable(upfront),
        monthly_recurring: stable(monthly_recurring),
        total_commitment: stable(total_commitment),
        break_even_months: break_even(upfront, covered_monthly, monthly_recurring),
        tags: tags.unwrap_or_default(),
        regions: regions.into_iter().collect(),
        rate: sp.rate,
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;
    use crate::prices::PriceListCache;

    fn pool(instance_type: Option<&str>, platform: &str) -> PoolKey {
        PoolKey {
            account_id: "111111111111".into(),
            region: "eu-west-1".into(),
            family: "m5".into(),
            instance_type: instance_type.map(str::to_owned),
            platform: platform.into(),
            tenancy: "Shared".into(),
        }
    }

    #[test]
    fn price_list_reserved_rates_come_before_the_estimates_for_linux_pools() {
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        let products = [
            crate::prices::price_list_tests::reserved_m5_large("m5.large"),
            crate::prices::price_list_tests::reserved_m5_large("m5.xlarge"),
        ];
        cache.add_products("eu-west-1", products.iter().map(String::as_str));
        let prices = PriceBook::catalog_only().with_price_list(cache);
        let book = RateBook::estimates_only(&prices);
        let offering = RiOffering { class: RiClass::Standard, term_years: 1, payment: Payment::PartialUpfront };
        let family = book.ri(&pool(None, "Linux/UNIX"), offering).unwrap();
        assert_eq!(family.basis, RateBasis::PriceList);
        assert!((family.discount - 0.4).abs() < 1e-9 && (family.upfront_fraction - 0.5).abs() < 1e-9);
        assert!(family.detail.contains("the median of 2 m5 sizes"), "{}", family.detail);
        assert!(family.detail.contains("AWS Price List API, eu-west-1"), "{}", family.detail);
        assert_eq!(family.price_source().origin, crate::prices::PriceOrigin::PriceList);
        let windows = book.ri(&pool(Some("m5.large"), "Windows"), offering).unwrap();
        assert_ne!(windows.basis, RateBasis::PriceList, "the cache holds Linux rates only");
        let elsewhere = book.ri(&PoolKey { region: "us-east-1".into(), ..pool(None, "Linux/UNIX") }, offering).unwrap();
        assert_ne!(elsewhere.basis, RateBasis::PriceList);
    }

    fn usage(key: PoolKey, od_rate: f64) -> PoolUsage {
        PoolUsage {
            key,
            on_demand: vec![1.0; 10],
            od_rate,
            od_rate_source: crate::prices::PriceSource::billed("test"),
            unit_size: "m5.large".into(),
            unit_nu: 4.0,
            covered_ri_nu: 0.0,
            covered_sp_nu: 0.0,
            set_aside_nu: 0.0,
            set_aside_public: 0.0,
            set_aside: BTreeMap::new(),
            resized: BTreeMap::new(),
            instance_types: BTreeSet::new(),
            tags: BTreeMap::new(),
        }
    }

    /// A cache with eu-west-1 on-demand rates for m5.large/m5.xlarge and c5.large and savings-plan rates
    /// (Compute 1-year No Upfront: m5 30 % and 32 % off, c5.large 20 % off).
    fn savings_plan_cache() -> PriceListCache {
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        let on_demand: Vec<String> = [("m5.large", "0.1"), ("m5.xlarge", "0.2"), ("c5.large", "0.1")]
            .iter()
            .map(|(t, usd)| {
                crate::prices::price_list_tests::product(
                    "Compute Instance",
                    &crate::prices::price_list_tests::linux(t),
                    "Hrs",
                    usd,
                )
            })
            .collect();
        cache.add_products("eu-west-1", on_demand.iter().map(String::as_str));
        let rate = |instance_type: &str, usd: &str| crate::prices::SavingsPlanRate {
            plan_type: "Compute".into(),
            duration_seconds: 31_536_000,
            payment_option: "No Upfront".into(),
            currency: Some("USD".into()),
            usage_type: format!("EUW1-BoxUsage:{instance_type}"),
            unit: Some("Hrs".into()),
            instance_type: Some(instance_type.into()),
            rate: usd.into(),
        };
        cache.add_savings_plan_rates(
            "eu-west-1",
            [rate("m5.large", "0.07"), rate("m5.xlarge", "0.136"), rate("c5.large", "0.08")],
        );
        cache
    }

    #[test]
    fn published_savings_plan_rates_are_blended_over_the_usage_they_cover() {
        let prices = PriceBook::catalog_only().with_price_list(savings_plan_cache());
        let book = RateBook::estimates_only(&prices);
        let offering = SpOffering { plan_type: SpType::Compute, term_years: 1, payment: Payment::NoUpfront };
        let m5 = usage(pool(None, "Linux/UNIX"), 0.3);
        let c5 = usage(
            PoolKey { family: "c5".into(), instance_type: Some("c5.large".into()), ..pool(None, "Linux/UNIX") },
            0.1,
        );
        let windows = usage(pool(Some("m5.large"), "Windows"), 0.6);

        // m5 alone: the median of its two sizes' discounts (30 %, 32 %) is the upper one of two.
        let rate = book.sp(&SpScope::Account, &[&m5], offering).unwrap();
        assert_eq!(rate.basis, RateBasis::PriceList);
        assert!((rate.discount - 0.32).abs() < 1e-9, "{}", rate.discount);
        assert!(rate.detail.contains("m5.xlarge in eu-west-1, the median of 2 m5 sizes"), "{}", rate.detail);
        assert!(rate.detail.contains("AWS Savings Plans offering rates, eu-west-1"), "{}", rate.detail);

        // m5 ($3 of on-demand) and c5.large ($1): (3 × 0.32 + 1 × 0.20) / 4 = 0.29.
        let rate = book.sp(&SpScope::Account, &[&m5, &c5], offering).unwrap();
        assert!((rate.discount - 0.29).abs() < 1e-9, "{}", rate.discount);
        assert!(rate.detail.contains("weighted by on-demand spend"), "{}", rate.detail);

        // A Windows pool has no published Linux rate: its spend counts at the estimate, named in the detail.
        let estimate = sp_book_rate(&prices, "eu-west-1", offering).unwrap();
        let rate = book.sp(&SpScope::Account, &[&m5, &windows], offering).unwrap();
        let expected = (3.0 * 0.32 + 6.0 * estimate.discount) / 9.0;
        assert!((rate.discount - expected).abs() < 1e-9, "{} != {expected}", rate.discount);
        assert_eq!(rate.basis, estimate.basis, "published rates price only a third of the spend");
        assert!(rate.detail.contains("the other 67% of the spend at the estimate"), "{}", rate.detail);

        // Another offering (3-year) is not in the cache: the estimate.
        let three = SpOffering { term_years: 3, ..offering };
        assert_ne!(book.sp(&SpScope::Account, &[&m5], three).unwrap().basis, RateBasis::PriceList);
    }
}
