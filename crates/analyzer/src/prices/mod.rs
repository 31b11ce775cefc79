//! The price book: every rate a rule multiplies by, with where it came from.
//!
//! A dollar figure nobody can trace is a dollar figure nobody trusts, so every
//! lookup returns a [`Price`] carrying its [`PriceSource`]. Precedence, from
//! strongest to weakest:
//!
//! 1. **override** — the user's config (`[prices]`), per region or global;
//! 2. **cur** — the public on-demand rate observed in the customer's own CUR
//!    for that region and item;
//! 3. **price-list** — the region's rate fetched from the AWS Price List API
//!    by `costwise prices refresh`, when the config names its cache;
//! 4. **region-scaled** — the us-east-1 catalog price scaled by the median
//!    ratio observed between CUR rates and catalog rates in that region;
//! 5. **catalog** — the bundled us-east-1 list price.
//!
//! Keys are `ec2:<instance-type>` for Linux on-demand $/hour and the dotted
//! names of `data/aws-list-prices-us-east-1.toml` for everything else
//! (`ebs.gp3_gb_month`, `ec2_network.nat_gateway_hour`).

mod catalog;
mod observed;
mod price_list;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use catalog::{CATALOG_AS_OF, CATALOG_REGION, Catalog, InstanceSpec, catalog, family_of};
pub use observed::observe_cur_rates;
#[cfg(test)]
pub(crate) use price_list::tests as price_list_tests;
pub use price_list::{
    PRICE_LIST_FORMAT, PriceListCache, RegionPrices, SavingsPlanRate, ri_discount_key, ri_upfront_key, sp_discount_key,
};

use crate::error::Result;
use crate::{Dataset, Error};

/// Where a price (or a whole dollar figure) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceOrigin {
    /// The user's config.
    Override,
    /// Actual billed cost in the CUR (no rate involved).
    Billed,
    /// A public rate observed in the CUR for this region.
    Cur,
    /// The region's current list price from the AWS Price List API (`costwise prices refresh`).
    PriceList,
    /// The us-east-1 catalog scaled by an observed regional ratio.
    RegionScaled,
    /// The bundled us-east-1 catalog.
    Catalog,
}

impl fmt::Display for PriceOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PriceOrigin::Override => "override",
            PriceOrigin::Billed => "billed",
            PriceOrigin::Cur => "cur",
            PriceOrigin::PriceList => "price-list",
            PriceOrigin::RegionScaled => "region-scaled",
            PriceOrigin::Catalog => "catalog",
        })
    }
}

/// Where a price came from, in words a report can print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceSource {
    /// The kind of source.
    pub origin: PriceOrigin,
    /// Specifics (`us-east-1 list price (2026-06) × 1.102 observed eu-west-1 ratio`).
    pub detail: String,
}

impl PriceSource {
    /// Actual billed cost.
    pub fn billed(detail: impl Into<String>) -> Self {
        Self { origin: PriceOrigin::Billed, detail: detail.into() }
    }

    /// The weaker of two sources (the one a reader should be warier of).
    #[must_use]
    pub fn weakest(self, other: PriceSource) -> PriceSource {
        if other.origin > self.origin { other } else { self }
    }
}

impl fmt::Display for PriceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.detail)
    }
}

/// A rate and its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// The rate, in USD per the key's unit.
    pub value: f64,
    /// Where it came from.
    pub source: PriceSource,
}

/// User price overrides from config: `[prices]` for all regions,
/// `[prices.<region>]` for one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceOverrides {
    /// Overrides for every region, by key.
    pub global: BTreeMap<String, f64>,
    /// Overrides per region, by key.
    pub by_region: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Rates observed in a CUR, by region and key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedRates {
    /// `(region, key)` → public on-demand rate.
    pub rates: HashMap<(String, String), f64>,
}

/// Prices resolved with precedence and provenance.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    observed: ObservedRates,
    region_ratio: HashMap<String, RegionRatio>,
    overrides: PriceOverrides,
    price_list: Option<PriceListCache>,
}

#[derive(Debug, Clone, Copy)]
struct RegionRatio {
    ratio: f64,
    samples: usize,
}

/// Monthly cost of one EBS volume, itemized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EbsMonthlyCost {
    /// Storage (GB-month) part.
    pub storage: f64,
    /// Provisioned IOPS part.
    pub iops: f64,
    /// Provisioned throughput part.
    pub throughput: f64,
    /// Sum of the parts.
    pub total: f64,
    /// Weakest source among the rates used.
    pub source: PriceSource,
}

impl PriceBook {
    /// A price book with only the bundled catalog.
    pub fn catalog_only() -> Self {
        Self::default()
    }

    /// Builds a price book from a dataset's CUR rates and the user's overrides.
    pub fn for_dataset(dataset: &Dataset, overrides: PriceOverrides) -> Result<Self> {
        let observed = observe_cur_rates(dataset)?;
        Ok(Self::from_parts(observed, overrides))
    }

    /// Builds a price book from already-observed rates and overrides.
    pub fn from_parts(observed: ObservedRates, overrides: PriceOverrides) -> Self {
        let region_ratio = region_ratios(&observed);
        Self { observed, region_ratio, overrides, price_list: None }
    }

    /// The Price List API cache this book prefers to the catalog, if any.
    pub fn price_list(&self) -> Option<&PriceListCache> {
        self.price_list.as_ref()
    }

    /// The same book, preferring the Price List API's rates to the catalog's (see [`PriceOrigin::PriceList`]).
    #[must_use]
    pub fn with_price_list(mut self, cache: PriceListCache) -> Self {
        self.price_list = Some(cache);
        self
    }

    /// The instance spec for a type, if the catalog knows it.
    pub fn instance_spec(&self, instance_type: &str) -> Option<&'static InstanceSpec> {
        catalog().instances.get(instance_type)
    }

    /// Linux on-demand $/hour for an instance type in a region.
    pub fn ec2_on_demand_hourly(&self, region: &str, instance_type: &str) -> Option<Price> {
        let key = format!("ec2:{instance_type}");
        self.resolve(region, &key, catalog().on_demand_hourly.get(instance_type).copied())
    }

    /// A list price by dotted key (`ebs.gp3_gb_month`) for a region.
    pub fn list_price(&self, region: &str, key: &str) -> Option<Price> {
        self.resolve(region, key, catalog().list_prices.get(key).copied())
    }

    /// Hours per month used to turn hourly rates into monthly ones (730 unless overridden).
    pub fn hours_per_month(&self) -> f64 {
        self.overrides
            .global
            .get("hours.per_month")
            .copied()
            .or_else(|| catalog().list_prices.get("hours.per_month").copied())
            .unwrap_or(730.0)
    }

    /// The full monthly cost of an EBS volume: storage plus provisioned IOPS and throughput.
    ///
    /// gp3 includes 3,000 IOPS and 125 MiB/s; io1/io2 bill every provisioned
    /// IOPS (io2 in tiers); gp2, st1, sc1 and magnetic bill storage only.
    pub fn ebs_volume_monthly(
        &self,
        region: &str,
        volume_type: &str,
        size_gib: f64,
        iops: Option<f64>,
        throughput_mibps: Option<f64>,
    ) -> Option<EbsMonthlyCost> {
        let storage_price = self.list_price(region, &format!("ebs.{volume_type}_gb_month"))?;
        let mut source = storage_price.source.clone();
        let storage = storage_price.value * size_gib;
        let mut iops_cost = 0.0;
        let mut throughput_cost = 0.0;
        let iops = iops.unwrap_or(0.0);
        let mut charge = |key: &str, quantity: f64| -> Option<f64> {
            if quantity <= 0.0 {
                return Some(0.0);
            }
            let price = self.list_price(region, key)?;
            source = source.clone().weakest(price.source);
            Some(price.value * quantity)
        };
        match volume_type {
            "gp3" => {
                iops_cost = charge("ebs.gp3_iops_month_above_3000", (iops - 3000.0).max(0.0))?;
                throughput_cost =
                    charge("ebs.gp3_mbps_month_above_125", (throughput_mibps.unwrap_or(125.0) - 125.0).max(0.0))?;
            }
            "io1" => iops_cost = charge("ebs.io1_iops_month", iops)?,
            "io2" => {
                iops_cost = charge("ebs.io2_iops_month_first_32000", iops.min(32_000.0))?
                    + charge("ebs.io2_iops_month_32001_64000", (iops.min(64_000.0) - 32_000.0).max(0.0))?
                    + charge("ebs.io2_iops_month_above_64000", (iops - 64_000.0).max(0.0))?;
            }
            _ => {}
        }
        Some(EbsMonthlyCost {
            storage,
            iops: iops_cost,
            throughput: throughput_cost,
            total: storage + iops_cost + throughput_cost,
            source,
        })
    }

    fn resolve(&self, region: &str, key: &str, catalog_value: Option<f64>) -> Option<Price> {
        if let Some(value) = self.overrides.by_region.get(region).and_then(|m| m.get(key)) {
            return Some(Price {
                value: *value,
                source: PriceSource {
                    origin: PriceOrigin::Override,
                    detail: format!("config [prices.{region}] {key}"),
                },
            });
        }
        if let Some(value) = self.overrides.global.get(key) {
            return Some(Price {
                value: *value,
                source: PriceSource { origin: PriceOrigin::Override, detail: format!("config [prices] {key}") },
            });
        }
        if let Some(value) = self.observed.rates.get(&(region.to_owned(), key.to_owned())) {
            return Some(Price {
                value: *value,
                source: PriceSource {
                    origin: PriceOrigin::Cur,
                    detail: format!("public on-demand rate in your CUR for {region}"),
                },
            });
        }
        if let Some((value, detail)) = self.price_list.as_ref().and_then(|cache| cache.rate(region, key)) {
            return Some(Price { value, source: PriceSource { origin: PriceOrigin::PriceList, detail } });
        }
        let base = catalog_value?;
        if region != CATALOG_REGION
            && let Some(ratio) = self.region_ratio.get(region)
        {
            return Some(Price {
                value: base * ratio.ratio,
                source: PriceSource {
                    origin: PriceOrigin::RegionScaled,
                    detail: format!(
                        "{CATALOG_REGION} list price ({CATALOG_AS_OF}) × {:.3}, the {region}/{CATALOG_REGION} ratio observed over {} CUR rate(s)",
                        ratio.ratio, ratio.samples
                    ),
                },
            });
        }
        let detail = if region == CATALOG_REGION || region.is_empty() {
            format!("{CATALOG_REGION} list price ({CATALOG_AS_OF})")
        } else {
            format!("{CATALOG_REGION} list price ({CATALOG_AS_OF}); no {region} rates in the CUR to scale it by")
        };
        Some(Price { value: base, source: PriceSource { origin: PriceOrigin::Catalog, detail } })
    }
}

/// IOPS every gp3 volume includes in its storage price.
pub const GP3_INCLUDED_IOPS: f64 = 3_000.0;
/// Throughput (MiB/s) every gp3 volume includes in its storage price.
pub const GP3_INCLUDED_THROUGHPUT_MIBPS: f64 = 125.0;
/// Most throughput a gp3 volume may provision per provisioned IOPS (MiB/s per IOPS).
pub const GP3_MAX_THROUGHPUT_PER_IOPS: f64 = 0.25;

/// The IOPS and throughput to provision on a gp3 volume.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gp3Sizing {
    /// Provisioned IOPS (at least the included 3,000).
    pub iops: f64,
    /// Provisioned throughput in MiB/s (at least the included 125).
    pub throughput_mibps: f64,
}

/// The smallest valid gp3 configuration delivering at least `iops` and
/// `throughput_mibps`: both rounded up to whole units and never below what
/// gp3 includes (3,000 IOPS, 125 MiB/s), and IOPS raised when the throughput
/// needs more than gp3's 0.25 MiB/s per provisioned IOPS. Service maximums
/// are the caller's to check: they differ by region and change over time.
pub fn gp3_sizing(iops: f64, throughput_mibps: f64) -> Gp3Sizing {
    let throughput_mibps = throughput_mibps.ceil().max(GP3_INCLUDED_THROUGHPUT_MIBPS);
    let iops = iops.ceil().max(GP3_INCLUDED_IOPS).max((throughput_mibps / GP3_MAX_THROUGHPUT_PER_IOPS).ceil());
    Gp3Sizing { iops, throughput_mibps }
}

/// Median ratio of observed rates to catalog rates, per region.
fn region_ratios(observed: &ObservedRates) -> HashMap<String, RegionRatio> {
    let catalog = catalog();
    let mut ratios: HashMap<String, Vec<f64>> = HashMap::new();
    for ((region, key), rate) in &observed.rates {
        let base = match key.strip_prefix("ec2:") {
            Some(instance_type) => catalog.on_demand_hourly.get(instance_type),
            None => catalog.list_prices.get(key),
        };
        if let Some(base) = base.filter(|b| **b > 0.0) {
            ratios.entry(region.clone()).or_default().push(rate / base);
        }
    }
    ratios
        .into_iter()
        .map(|(region, mut values)| {
            values.sort_by(f64::total_cmp);
            let mid = values.len() / 2;
            let median = if values.len() % 2 == 0 { f64::midpoint(values[mid - 1], values[mid]) } else { values[mid] };
            (region, RegionRatio { ratio: median, samples: values.len() })
        })
        .collect()
}

impl PriceOverrides {
    /// Parses the `[prices]` table of a config file.
    ///
    /// Numbers are global overrides; sub-tables named after a region hold that
    /// region's overrides. Keys must be `ec2:<type>` or a known catalog key.
    pub fn from_toml(table: &toml::Table) -> Result<Self, Error> {
        let mut overrides = Self::default();
        for (key, value) in table {
            match value {
                toml::Value::Table(regional) => {
                    let entry = overrides.by_region.entry(key.clone()).or_default();
                    for (k, v) in regional {
                        entry.insert(check_key(k)?.to_owned(), number(&format!("prices.{key}.{k}"), v)?);
                    }
                }
                other => {
                    overrides.global.insert(check_key(key)?.to_owned(), number(&format!("prices.{key}"), other)?);
                }
            }
        }
        Ok(overrides)
    }
}

fn check_key(key: &str) -> Result<&str, Error> {
    let known = key
        .strip_prefix("ec2:")
        .map_or_else(|| catalog().list_prices.contains_key(key), |t| catalog().instances.contains_key(t));
    if known {
        Ok(key)
    } else {
        Err(Error::Config {
            path: None,
            detail: format!(
                "unknown price key `{key}` under [prices]: use `ec2:<instance-type>` or a catalog key such as `ebs.gp3_gb_month`"
            ),
        })
    }
}

fn number(key: &str, value: &toml::Value) -> Result<f64, Error> {
    match value {
        toml::Value::Float(f) if *f >= 0.0 => Ok(*f),
        toml::Value::Integer(i) if *i >= 0 => Ok(*i as f64),
        other => Err(Error::Config {
            path: None,
            detail: format!("`{key}` must be a non-negative number of USD, found {other}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;

    fn observed(entries: &[(&str, &str, f64)]) -> ObservedRates {
        ObservedRates { rates: entries.iter().map(|(r, k, v)| (((*r).to_owned(), (*k).to_owned()), *v)).collect() }
    }

    #[test]
    fn precedence_is_override_then_cur_then_price_list_then_scaled_then_catalog() {
        let m5 = catalog().on_demand_hourly["m5.large"];
        let c5 = catalog().on_demand_hourly["c5.large"];
        let mut overrides = PriceOverrides::default();
        overrides.by_region.entry("eu-west-1".into()).or_default().insert("ec2:t3.micro".into(), 0.5);
        let book = PriceBook::from_parts(
            observed(&[("eu-west-1", "ec2:m5.large", m5 * 1.1), ("eu-west-1", "ec2:c5.large", c5 * 1.2)]),
            overrides,
        );
        let over = book.ec2_on_demand_hourly("eu-west-1", "t3.micro").unwrap();
        assert_eq!((over.value, over.source.origin), (0.5, PriceOrigin::Override));
        let cur = book.ec2_on_demand_hourly("eu-west-1", "m5.large").unwrap();
        assert_eq!((cur.value, cur.source.origin), (m5 * 1.1, PriceOrigin::Cur));
        let scaled = book.list_price("eu-west-1", "ebs.gp3_gb_month").unwrap();
        assert_eq!(scaled.source.origin, PriceOrigin::RegionScaled);
        assert!((scaled.value - 0.08 * 1.15).abs() < 1e-9, "median of 1.1 and 1.2");
        let plain = book.list_price("us-east-1", "ebs.gp3_gb_month").unwrap();
        assert_eq!((plain.value, plain.source.origin), (0.08, PriceOrigin::Catalog));
        let unscaled = book.list_price("ap-south-1", "ebs.gp3_gb_month").unwrap();
        assert_eq!(unscaled.source.origin, PriceOrigin::Catalog);
        assert!(unscaled.source.detail.contains("no ap-south-1 rates"));

        // The Price List API's rates come after the CUR's and before any scaled or bundled price.
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        let listed = [
            price_list::tests::product("Storage", &serde_json::json!({"volumeApiName": "gp3"}), "GB-Mo", "0.088"),
            price_list::tests::product("Storage", &serde_json::json!({"volumeApiName": "gp3"}), "GB-Mo", "0.0912"),
        ];
        cache.add_products("eu-west-1", listed[..1].iter().map(String::as_str));
        cache.add_products("ap-south-1", listed[1..].iter().map(String::as_str));
        let mut observed_m5 =
            observed(&[("eu-west-1", "ec2:m5.large", m5 * 1.1), ("eu-west-1", "ec2:c5.large", c5 * 1.2)]);
        observed_m5.rates.insert(("eu-west-1".into(), "ebs.gp2_gb_month".into()), 0.11);
        let book = PriceBook::from_parts(observed_m5, PriceOverrides::default()).with_price_list(cache);
        let listed = book.list_price("eu-west-1", "ebs.gp3_gb_month").unwrap();
        assert_eq!((listed.value, listed.source.origin), (0.088, PriceOrigin::PriceList));
        assert!(listed.source.detail.starts_with("AWS Price List API, eu-west-1, fetched"), "{}", listed.source.detail);
        let listed = book.list_price("ap-south-1", "ebs.gp3_gb_month").unwrap();
        assert_eq!((listed.value, listed.source.origin), (0.0912, PriceOrigin::PriceList));
        let cur = book.list_price("eu-west-1", "ebs.gp2_gb_month").unwrap();
        assert_eq!(cur.source.origin, PriceOrigin::Cur, "the CUR's own rate still wins");
        let scaled = book.ec2_on_demand_hourly("eu-west-1", "t3.micro").unwrap();
        assert_eq!(scaled.source.origin, PriceOrigin::RegionScaled, "keys the cache lacks fall through");
    }

    #[test]
    fn ebs_cost_includes_provisioned_iops_and_throughput() {
        let book = PriceBook::catalog_only();
        let gp3 = book.ebs_volume_monthly("us-east-1", "gp3", 100.0, Some(5000.0), Some(250.0)).unwrap();
        assert!((gp3.storage - 8.0).abs() < 1e-9);
        assert!((gp3.iops - 2000.0 * 0.005).abs() < 1e-9);
        assert!((gp3.throughput - 125.0 * 0.04).abs() < 1e-9);
        let io2 = book.ebs_volume_monthly("us-east-1", "io2", 100.0, Some(40_000.0), None).unwrap();
        let expected_iops = 32_000.0 * 0.065 + 8_000.0 * 0.0455;
        assert!((io2.iops - expected_iops).abs() < 1e-6);
        let gp2 = book.ebs_volume_monthly("us-east-1", "gp2", 100.0, Some(300.0), None).unwrap();
        assert!((gp2.total - 10.0).abs() < 1e-9, "gp2 bills storage only");
    }

    #[test]
    fn gp3_sizing_respects_what_gp3_includes_and_its_throughput_ratio() {
        assert_eq!(gp3_sizing(900.0, 128.0), Gp3Sizing { iops: 3000.0, throughput_mibps: 128.0 });
        assert_eq!(gp3_sizing(6000.4, 100.0), Gp3Sizing { iops: 6001.0, throughput_mibps: 125.0 });
        // 1,000 MiB/s needs 4,000 IOPS at 0.25 MiB/s per IOPS.
        assert_eq!(gp3_sizing(3000.0, 1000.0), Gp3Sizing { iops: 4000.0, throughput_mibps: 1000.0 });
    }

    #[test]
    fn unknown_override_keys_are_rejected_with_the_key_named() {
        let table: toml::Table = toml::from_str("\"ebs.gp9_gb_month\" = 1.0").unwrap();
        let err = PriceOverrides::from_toml(&table).unwrap_err().to_string();
        assert!(err.contains("ebs.gp9_gb_month"), "{err}");
        let table: toml::Table = toml::from_str("[eu-west-1]\n\"ec2:m5.large\" = 0.2").unwrap();
        let parsed = PriceOverrides::from_toml(&table).unwrap();
        assert_eq!(parsed.by_region["eu-west-1"]["ec2:m5.large"], 0.2);
    }
}
