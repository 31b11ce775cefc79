//! Commitment offerings and the rates they are priced at.
//!
//! A rate is a discount off the public on-demand rate plus the share of the
//! term's cost paid upfront. Precedence, strongest first:
//!
//! 1. **override** — `[prices] "commitments.discount_estimate.<key>"` in the
//!    config (per region or global);
//! 2. **cur** — the effective rate of a reservation or savings plan of the
//!    same offering already in use, from the customer's own CUR
//!    (`amortized ÷ public on-demand` on its covered usage; its upfront share
//!    from the `reservations` / `savings_plans` inventory);
//! 3. **estimate** — the price book's documented typical discounts
//!    (`[commitments.discount_estimate]` in
//!    `data/aws-list-prices-us-east-1.toml`). The catalog lists no-upfront
//!    rates for convertible RIs and savings plans only; their partial and all
//!    upfront rates are **derived estimates**: the no-upfront discount plus
//!    the extra a standard RI of the same term earns for that payment option.
//!
//! Estimates assume the usual upfront shares: none, half, all.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::prices::{CATALOG_REGION, PriceBook, PriceOrigin, PriceSource};

/// Hours in one year of a commitment term (AWS terms are 365-day years).
pub const HOURS_PER_TERM_YEAR: f64 = 8760.0;

/// Reserved-instance offering class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiClass {
    /// Standard: the deepest discount; can be sold on the RI Marketplace.
    Standard,
    /// Convertible: exchangeable for other families, platforms and tenancies.
    Convertible,
}

/// Savings-plan type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpType {
    /// Compute: any EC2 family, size, region, OS and tenancy (and Fargate, Lambda).
    Compute,
    /// EC2 Instance: one family in one region, any size, OS and tenancy.
    Ec2Instance,
}

/// Payment option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payment {
    /// Nothing upfront; the whole term billed hourly.
    NoUpfront,
    /// About half upfront, the rest hourly.
    PartialUpfront,
    /// Everything upfront.
    AllUpfront,
}

impl Payment {
    /// Every payment option.
    pub const ALL: [Payment; 3] = [Payment::NoUpfront, Payment::PartialUpfront, Payment::AllUpfront];

    /// As AWS writes it (`No Upfront`).
    pub fn aws_name(self) -> &'static str {
        match self {
            Payment::NoUpfront => "No Upfront",
            Payment::PartialUpfront => "Partial Upfront",
            Payment::AllUpfront => "All Upfront",
        }
    }

    /// Parses AWS's spelling (`Partial Upfront`), case-insensitively.
    pub fn from_aws(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().replace(['-', '_'], " ").as_str() {
            "no upfront" => Some(Payment::NoUpfront),
            "partial upfront" => Some(Payment::PartialUpfront),
            "all upfront" => Some(Payment::AllUpfront),
            _ => None,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Payment::NoUpfront => "no_upfront",
            Payment::PartialUpfront => "partial_upfront",
            Payment::AllUpfront => "all_upfront",
        }
    }

    /// The usual share of the term's cost paid upfront.
    pub fn typical_upfront_fraction(self) -> f64 {
        match self {
            Payment::NoUpfront => 0.0,
            Payment::PartialUpfront => 0.5,
            Payment::AllUpfront => 1.0,
        }
    }
}

impl RiClass {
    /// Both classes.
    pub const ALL: [RiClass; 2] = [RiClass::Standard, RiClass::Convertible];

    /// As the EC2 API writes it (`standard`).
    pub fn aws_name(self) -> &'static str {
        match self {
            RiClass::Standard => "standard",
            RiClass::Convertible => "convertible",
        }
    }

    /// Parses AWS's spelling (`standard`, `convertible`), case-insensitively.
    pub fn from_aws(text: &str) -> Option<Self> {
        RiClass::ALL.into_iter().find(|c| c.aws_name().eq_ignore_ascii_case(text.trim()))
    }
}

impl SpType {
    /// As the Savings Plans API writes it (`Compute`, `EC2Instance`).
    pub fn aws_name(self) -> &'static str {
        match self {
            SpType::Compute => "Compute",
            SpType::Ec2Instance => "EC2Instance",
        }
    }

    /// In words (`Compute Savings Plan`).
    pub fn label(self) -> &'static str {
        match self {
            SpType::Compute => "Compute Savings Plan",
            SpType::Ec2Instance => "EC2 Instance Savings Plan",
        }
    }

    /// Parses the inventory's `plan_type` or the CUR's offering type.
    pub fn from_aws(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        if t.starts_with("compute") {
            Some(SpType::Compute)
        } else if t.starts_with("ec2instance") || t.starts_with("ec2 instance") || t.starts_with("ec2-instance") {
            Some(SpType::Ec2Instance)
        } else {
            None
        }
    }
}

/// A reserved-instance offering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RiOffering {
    /// Offering class.
    pub class: RiClass,
    /// Term in years (1 or 3).
    pub term_years: u32,
    /// Payment option.
    pub payment: Payment,
}

impl RiOffering {
    /// All twelve offerings: standard/convertible × 1/3 years × no/partial/all upfront.
    pub fn all() -> Vec<RiOffering> {
        let mut out = Vec::with_capacity(12);
        for class in RiClass::ALL {
            for term_years in [1, 3] {
                for payment in Payment::ALL {
                    out.push(RiOffering { class, term_years, payment });
                }
            }
        }
        out
    }

    /// Hours in the term.
    pub fn term_hours(self) -> f64 {
        f64::from(self.term_years) * HOURS_PER_TERM_YEAR
    }

    /// The price-book key of its discount estimate (`standard_ri_1yr_no_upfront`).
    pub fn estimate_key(self) -> String {
        format!("{}_ri_{}yr_{}", self.class.aws_name(), self.term_years, self.payment.key())
    }
}

impl fmt::Display for RiOffering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-year {}", self.class.aws_name(), self.term_years, self.payment.aws_name())
    }
}

/// A savings-plan offering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SpOffering {
    /// Plan type.
    pub plan_type: SpType,
    /// Term in years (1 or 3).
    pub term_years: u32,
    /// Payment option.
    pub payment: Payment,
}

impl SpOffering {
    /// Hours in the term.
    pub fn term_hours(self) -> f64 {
        f64::from(self.term_years) * HOURS_PER_TERM_YEAR
    }

    /// Term in seconds, as the Savings Plans API wants it.
    pub fn term_seconds(self) -> u64 {
        u64::from(self.term_years) * 31_536_000
    }

    /// The price-book key of its discount estimate (`compute_sp_1yr_no_upfront`).
    pub fn estimate_key(self) -> String {
        let kind = match self.plan_type {
            SpType::Compute => "compute",
            SpType::Ec2Instance => "ec2_instance",
        };
        format!("{kind}_sp_{}yr_{}", self.term_years, self.payment.key())
    }
}

impl fmt::Display for SpOffering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-year {}", self.plan_type.label(), self.term_years, self.payment.aws_name())
    }
}

/// Where a commitment rate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateBasis {
    /// The user's config.
    Override,
    /// A commitment of the same offering in the customer's CUR.
    Cur,
    /// The offering's published rate for the pool's instance types in the AWS Price List API cache.
    PriceList,
    /// The price book's documented estimate.
    Estimate,
    /// Derived from the price book's estimates (see the module docs).
    DerivedEstimate,
}

/// A commitment rate: discount off on-demand, and the share paid upfront.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// Discount off the public on-demand rate (0–1).
    pub discount: f64,
    /// Share (0–1) of the term's total cost paid upfront.
    pub upfront_fraction: f64,
    /// Where the discount came from.
    pub basis: RateBasis,
    /// In words, for the evidence.
    pub detail: String,
}

impl Rate {
    /// Whether it is an estimate rather than an observed or configured rate.
    pub fn is_estimate(&self) -> bool {
        matches!(self.basis, RateBasis::Estimate | RateBasis::DerivedEstimate)
    }

    /// The source to attach to findings priced with it.
    pub fn price_source(&self) -> PriceSource {
        let origin = match self.basis {
            RateBasis::Override => PriceOrigin::Override,
            RateBasis::Cur => PriceOrigin::Cur,
            RateBasis::PriceList => PriceOrigin::PriceList,
            RateBasis::Estimate | RateBasis::DerivedEstimate => PriceOrigin::Catalog,
        };
        PriceSource { origin, detail: self.detail.clone() }
    }
}

/// The price-book key prefix of commitment discount estimates.
pub const ESTIMATE_PREFIX: &str = "commitments.discount_estimate.";

/// A discount from the price book by estimate key: a configured override, else the catalog.
///
/// Discount fractions are never scaled by regional price ratios: the lookup
/// uses the region only for a `[prices.<region>]` override.
fn book_discount(prices: &PriceBook, region: &str, key: &str) -> Option<(f64, RateBasis, String)> {
    let full = format!("{ESTIMATE_PREFIX}{key}");
    if let Some(p) = prices.list_price(region, &full).filter(|p| p.source.origin == PriceOrigin::Override) {
        return Some((p.value, RateBasis::Override, p.source.detail));
    }
    let p = prices.list_price(CATALOG_REGION, &full)?;
    let basis = if p.source.origin == PriceOrigin::Override { RateBasis::Override } else { RateBasis::Estimate };
    Some((p.value, basis, p.source.detail))
}

/// The price book's rate for an RI offering (override or estimate), used
/// when no reservation of the offering is in the CUR.
pub fn ri_book_rate(prices: &PriceBook, region: &str, offering: RiOffering) -> Option<Rate> {
    let key = offering.estimate_key();
    let upfront_fraction = offering.payment.typical_upfront_fraction();
    if let Some((discount, basis, source)) = book_discount(prices, region, &key) {
        return Some(Rate { discount, upfront_fraction, basis, detail: describe(basis, &key, discount, &source) });
    }
    let base = RiOffering { payment: Payment::NoUpfront, ..offering };
    let standard = |payment| RiOffering { class: RiClass::Standard, term_years: offering.term_years, payment };
    derive(prices, region, &key, &base.estimate_key(), standard(offering.payment), standard(Payment::NoUpfront))
        .map(|(discount, detail)| Rate { discount, upfront_fraction, basis: RateBasis::DerivedEstimate, detail })
}

/// The price book's rate for a savings-plan offering (override or estimate).
pub fn sp_book_rate(prices: &PriceBook, region: &str, offering: SpOffering) -> Option<Rate> {
    let key = offering.estimate_key();
    let upfront_fraction = offering.payment.typical_upfront_fraction();
    if let Some((discount, basis, source)) = book_discount(prices, region, &key) {
        return Some(Rate { discount, upfront_fraction, basis, detail: describe(basis, &key, discount, &source) });
    }
    let base = SpOffering { payment: Payment::NoUpfront, ..offering };
    let standard = |payment| RiOffering { class: RiClass::Standard, term_years: offering.term_years, payment };
    derive(prices, region, &key, &base.estimate_key(), standard(offering.payment), standard(Payment::NoUpfront))
        .map(|(discount, detail)| Rate { discount, upfront_fraction, basis: RateBasis::DerivedEstimate, detail })
}

fn derive(
    prices: &PriceBook,
    region: &str,
    key: &str,
    base_key: &str,
    standard: RiOffering,
    standard_no_upfront: RiOffering,
) -> Option<(f64, String)> {
    let (base, ..) = book_discount(prices, region, base_key)?;
    let (with_payment, ..) = book_discount(prices, region, &standard.estimate_key())?;
    let (without, ..) = book_discount(prices, region, &standard_no_upfront.estimate_key())?;
    let discount = (base + with_payment - without).clamp(0.0, 0.95);
    Some((
        discount,
        format!(
            "derived estimate {:.1}% for {key}: {base_key} {:.1}% plus the {:.1} points a standard RI of the same term earns for {} (no catalog rate for this offering; set [prices] \"{ESTIMATE_PREFIX}{base_key}\" to adjust)",
            discount * 100.0,
            base * 100.0,
            (with_payment - without) * 100.0,
            standard.payment.aws_name()
        ),
    ))
}

fn describe(basis: RateBasis, key: &str, discount: f64, source: &str) -> String {
    match basis {
        RateBasis::Override => format!("configured discount {:.1}% ({source})", discount * 100.0),
        _ => format!(
            "estimated discount {:.1}% ({ESTIMATE_PREFIX}{key}, a typical rate from the price book; real rates vary by family and region)",
            discount * 100.0
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_estimates_and_derived_ones() {
        let book = PriceBook::catalog_only();
        let standard = RiOffering { class: RiClass::Standard, term_years: 1, payment: Payment::NoUpfront };
        let rate = ri_book_rate(&book, "eu-west-1", standard).unwrap();
        assert_eq!((rate.discount, rate.upfront_fraction, rate.basis), (0.375, 0.0, RateBasis::Estimate));
        // Convertible 1-year partial upfront: 28 % + (40 − 37.5) = 30.5 %.
        let convertible = RiOffering { class: RiClass::Convertible, term_years: 1, payment: Payment::PartialUpfront };
        let rate = ri_book_rate(&book, "us-east-1", convertible).unwrap();
        assert!((rate.discount - 0.305).abs() < 1e-12);
        assert_eq!((rate.upfront_fraction, rate.basis), (0.5, RateBasis::DerivedEstimate));
        // Compute SP 3-year all upfront: 50 % + (62 − 57) = 55 %.
        let sp = SpOffering { plan_type: SpType::Compute, term_years: 3, payment: Payment::AllUpfront };
        assert!((sp_book_rate(&book, "us-east-1", sp).unwrap().discount - 0.55).abs() < 1e-12);
        assert_eq!(RiOffering::all().len(), 12);
        assert_eq!(sp.term_seconds(), 94_608_000);
    }
}
