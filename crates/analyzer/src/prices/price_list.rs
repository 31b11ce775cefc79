//! Current list prices from the AWS Price List API, cached in a file.
//!
//! The bundled catalog is us-east-1 at one date; a region's prices differ
//! (eu-west-1 EC2 is about 10 % dearer, São Paulo 50 %) and AWS changes
//! prices. `costwise prices refresh` asks the Price List Query API
//! (`pricing:GetProducts`) for the regions in use and writes what it found to
//! a cache file; a config naming it (`[price-list] cache = "prices.json"`)
//! makes the price book prefer those rates to the catalog (and to catalog
//! prices scaled by a regional ratio), with each rate's region, fetch date
//! and publication date in its source.
//!
//! What is read (Linux, shared tenancy, on demand, in USD):
//! - `ec2:<instance-type>`: `AmazonEC2` products of family `Compute Instance`
//!   with `operatingSystem` Linux, `tenancy` Shared, `preInstalledSw` NA,
//!   `capacitystatus` Used and `licenseModel` "No License required", priced in
//!   `Hrs`; and from the same products' reserved terms, per offering
//!   ([`ri_discount_key`]), the discount off that on-demand rate of the
//!   offering's effective hourly cost (its hourly fee plus its upfront fee
//!   spread over the term) and the share of the term's cost paid upfront;
//! - `ebs.<volume-type>_gb_month`: `AmazonEC2` products of family `Storage`
//!   by `volumeApiName` (gp2, gp3, io1, io2, st1, sc1, standard), priced in
//!   `GB-Mo`;
//! - `ec2_network.nat_gateway_hour` and `ec2_network.nat_gateway_gb_processed`:
//!   family `NAT Gateway`, by usage type (`NatGateway-Hours`, `NatGateway-Bytes`);
//! - savings-plan rates, which are not in the Price List API but in the
//!   Savings Plans API (`savingsplans:DescribeSavingsPlansOfferingRates`):
//!   per offering and instance type ([`sp_discount_key`]), the discount off
//!   the on-demand rate above of the plan's hourly rate for Linux, shared
//!   tenancy `BoxUsage` ([`PriceListCache::add_savings_plan_rates`]).
//!
//! A product whose on-demand terms do not have exactly one non-zero price
//! dimension in the expected unit is skipped rather than guessed at; two
//! products giving one key different rates keep the lower (a lower rate never
//! inflates a saving) and are counted in the cache as conflicts.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// The cache file's format version.
pub const PRICE_LIST_FORMAT: u32 = 1;

/// Prices fetched from the Price List API, by region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceListCache {
    /// [`PRICE_LIST_FORMAT`].
    pub format_version: u32,
    /// When the prices were fetched (UTC).
    pub fetched_at: NaiveDateTime,
    /// Per region code.
    pub regions: BTreeMap<String, RegionPrices>,
}

/// One region's prices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    /// The newest `publicationDate` among the products read (when AWS last changed them), `2026-11-20`.
    pub published: Option<String>,
    /// Price-book key → USD per unit.
    pub rates: BTreeMap<String, f64>,
    /// Products skipped because their terms were not one plain on-demand rate in the expected unit.
    pub skipped: usize,
    /// Keys for which products disagreed (the lower rate is kept).
    pub conflicts: usize,
}

impl PriceListCache {
    /// An empty cache fetched at `fetched_at`.
    pub fn new(fetched_at: NaiveDateTime) -> Self {
        Self { format_version: PRICE_LIST_FORMAT, fetched_at, regions: BTreeMap::new() }
    }

    /// Reads a cache file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when it cannot be read, [`Error::BadJson`] when it is not a cache of this format.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let e = match e.kind() {
                std::io::ErrorKind::NotFound => std::io::Error::new(
                    e.kind(),
                    format!("no such price cache; write it with `costwise prices refresh --out {}`", path.display()),
                ),
                _ => e,
            };
            Error::io(path, e)
        })?;
        let cache: PriceListCache = serde_json::from_str(&text).map_err(|e| Error::BadJson {
            path: path.to_path_buf(),
            detail: format!("not a price cache written by `costwise prices refresh`: {e}"),
        })?;
        if cache.format_version != PRICE_LIST_FORMAT {
            return Err(Error::BadJson {
                path: path.to_path_buf(),
                detail: format!(
                    "price cache format {} is not {PRICE_LIST_FORMAT}; run `costwise prices refresh` again",
                    cache.format_version
                ),
            });
        }
        Ok(cache)
    }

    /// Writes the cache to `path` atomically (a reader never sees half a file).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::BadJson {
            path: path.to_path_buf(),
            detail: format!("cannot encode the price cache: {e}"),
        })?;
        std::io::Write::write_all(&mut file, &text).map_err(|e| Error::io(path, e))?;
        file.persist(path).map_err(|e| Error::io(path, e.error))?;
        Ok(())
    }

    /// The rate for `key` in `region`, with the words a report shows for its source.
    pub fn rate(&self, region: &str, key: &str) -> Option<(f64, String)> {
        let prices = self.regions.get(region)?;
        let rate = *prices.rates.get(key)?;
        let fetched = self.fetched_at.date();
        if key.starts_with("sp_discount.") {
            return Some((rate, format!("AWS Savings Plans offering rates, {region}, fetched {fetched}")));
        }
        let published = prices.published.as_deref().map(|p| format!(", published {p}")).unwrap_or_default();
        Some((rate, format!("AWS Price List API, {region}, fetched {fetched}{published}")))
    }

    /// Adds the products of one `GetProducts` reply (its `PriceList` strings) to `region`.
    pub fn add_products<'a>(&mut self, region: &str, products: impl IntoIterator<Item = &'a str>) {
        let prices = self.regions.entry(region.to_owned()).or_default();
        for product in products {
            let Some(Product { rates, published }) = read_product(product) else {
                prices.skipped += 1;
                continue;
            };
            if let Some(published) = published
                && prices.published.as_ref().is_none_or(|p| *p < published)
            {
                prices.published = Some(published);
            }
            for (key, rate) in rates {
                prices.keep_lower(key, rate);
            }
        }
    }

    /// Adds savings-plan offering rates of `region` as discounts off the region's on-demand instance rates, which
    /// must be added first. A rate that is not USD per hour of `BoxUsage`, names no instance type or offering
    /// costwise knows, or whose type has no on-demand rate (or is not below it) is skipped and counted; two
    /// rates of one key keep the smaller discount.
    pub fn add_savings_plan_rates(&mut self, region: &str, rates: impl IntoIterator<Item = SavingsPlanRate>) {
        use crate::commitments::offerings::{Payment, SpOffering, SpType};
        let prices = self.regions.entry(region.to_owned()).or_default();
        for rate in rates {
            let offering = SpType::from_aws(&rate.plan_type).zip(Payment::from_aws(&rate.payment_option)).and_then(
                |(plan_type, payment)| {
                    let term_years = match rate.duration_seconds {
                        31_536_000 => 1,
                        94_608_000 => 3,
                        _ => return None,
                    };
                    Some(SpOffering { plan_type, term_years, payment })
                },
            );
            let usd = rate.currency.as_deref().is_none_or(|c| c == "USD") && rate.unit.as_deref() == Some("Hrs");
            let hourly = rate.rate.trim().parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0);
            let on_demand = rate.instance_type.as_ref().and_then(|t| prices.rates.get(&format!("ec2:{t}")));
            let (Some(offering), true, true, Some(hourly), Some(&on_demand), Some(instance_type)) = (
                offering,
                usd,
                rate.usage_type.contains("BoxUsage:"),
                hourly,
                on_demand,
                rate.instance_type.as_deref(),
            ) else {
                prices.skipped += 1;
                continue;
            };
            if hourly >= on_demand {
                prices.skipped += 1;
                continue;
            }
            prices.keep_lower(sp_discount_key(&offering.estimate_key(), instance_type), 1.0 - hourly / on_demand);
        }
    }
}

impl RegionPrices {
    /// Sets `key` to `value`, or, when it already holds a different one, to the lower of the two and counts the
    /// conflict: a lower rate or discount never inflates a saving.
    fn keep_lower(&mut self, key: String, value: f64) {
        match self.rates.get(&key) {
            Some(existing) if (*existing - value).abs() > f64::EPSILON => {
                self.conflicts += 1;
                self.rates.insert(key, existing.min(value));
            }
            Some(_) => {}
            None => {
                self.rates.insert(key, value);
            }
        }
    }
}

/// What one Price List product contributes: its keys and rates, and when AWS published it.
#[derive(Debug, Clone, PartialEq)]
struct Product {
    rates: Vec<(String, f64)>,
    published: Option<String>,
}

/// The key of a reserved-instance offering's discount for an instance type (`ri_discount.standard_ri_1yr_no_upfront:m5.large`),
/// a fraction of the on-demand rate; [`ri_upfront_key`] holds the share of the term's cost paid upfront.
pub fn ri_discount_key(offering_key: &str, instance_type: &str) -> String {
    format!("ri_discount.{offering_key}:{instance_type}")
}

/// The key of a reserved-instance offering's upfront share for an instance type (see [`ri_discount_key`]).
pub fn ri_upfront_key(offering_key: &str, instance_type: &str) -> String {
    format!("ri_upfront.{offering_key}:{instance_type}")
}

/// The key of a savings-plan offering's discount for an instance type (`sp_discount.compute_sp_1yr_no_upfront:m5.large`):
/// one minus the plan's hourly rate for the type over its on-demand rate.
pub fn sp_discount_key(offering_key: &str, instance_type: &str) -> String {
    format!("sp_discount.{offering_key}:{instance_type}")
}

/// One rate of `DescribeSavingsPlansOfferingRates`, the fields costwise reads.
#[derive(Debug, Clone, PartialEq)]
pub struct SavingsPlanRate {
    /// `Compute` or `EC2Instance`.
    pub plan_type: String,
    /// The term, in seconds (31,536,000 for one year).
    pub duration_seconds: i64,
    /// `No Upfront`, `Partial Upfront`, `All Upfront`.
    pub payment_option: String,
    /// The currency of `rate` (`USD`).
    pub currency: Option<String>,
    /// The usage it prices (`BoxUsage:m5.large`, `EUW1-BoxUsage:m5.large`).
    pub usage_type: String,
    /// The unit of `rate` (`Hrs`).
    pub unit: Option<String>,
    /// The `instanceType` property.
    pub instance_type: Option<String>,
    /// USD per unit, as the API writes it (`"0.0673"`).
    pub rate: String,
}

/// The EBS volume types whose storage price is read.
const VOLUME_TYPES: [&str; 7] = ["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];

/// Reads one `PriceList` entry: the price-book key it prices and its on-demand rate, or `None` when it is not a
/// product costwise prices or its terms are not one plain rate.
fn read_product(text: &str) -> Option<Product> {
    let document: Value = serde_json::from_str(text).ok()?;
    let product = &document["product"];
    let attributes = &product["attributes"];
    let attribute = |name: &str| attributes[name].as_str().unwrap_or_default();
    let (key, unit) = match product["productFamily"].as_str()? {
        "Compute Instance"
            if attribute("operatingSystem") == "Linux"
                && attribute("tenancy") == "Shared"
                && attribute("preInstalledSw") == "NA"
                && attribute("capacitystatus") == "Used"
                && attribute("licenseModel") == "No License required"
                && !attribute("instanceType").is_empty() =>
        {
            (format!("ec2:{}", attribute("instanceType")), "Hrs")
        }
        "Storage" if VOLUME_TYPES.contains(&attribute("volumeApiName")) => {
            (format!("ebs.{}_gb_month", attribute("volumeApiName")), "GB-Mo")
        }
        "NAT Gateway" if attribute("usagetype").ends_with("NatGateway-Hours") => {
            ("ec2_network.nat_gateway_hour".to_owned(), "Hrs")
        }
        "NAT Gateway" if attribute("usagetype").ends_with("NatGateway-Bytes") => {
            ("ec2_network.nat_gateway_gb_processed".to_owned(), "GB")
        }
        _ => return None,
    };
    let rate = on_demand_rate(&document["terms"]["OnDemand"], unit)?;
    let published = document["publicationDate"].as_str().map(|d| d.get(..10).unwrap_or(d).to_owned());
    let mut rates = vec![(key, rate)];
    if unit == "Hrs" && !attribute("instanceType").is_empty() {
        rates.extend(reserved_rates(&document["terms"]["Reserved"], attribute("instanceType"), rate));
    }
    Some(Product { rates, published })
}

/// The discount and upfront share of every reserved offering in `terms` for `instance_type`, whose on-demand
/// rate is `on_demand`. An offering whose terms are not one hourly fee plus at most one upfront fee is skipped.
fn reserved_rates(terms: &Value, instance_type: &str, on_demand: f64) -> Vec<(String, f64)> {
    use crate::commitments::offerings::{Payment, RiClass, RiOffering};
    let mut rates = Vec::new();
    for term in terms.as_object().into_iter().flat_map(serde_json::Map::values) {
        let attributes = &term["termAttributes"];
        let years = match attributes["LeaseContractLength"].as_str() {
            Some("1yr") => 1,
            Some("3yr") => 3,
            _ => continue,
        };
        let (Some(class), Some(payment)) = (
            attributes["OfferingClass"].as_str().and_then(RiClass::from_aws),
            attributes["PurchaseOption"].as_str().and_then(Payment::from_aws),
        ) else {
            continue;
        };
        let Some(dimensions) = term["priceDimensions"].as_object() else { continue };
        let fee = |unit: &str| -> Option<Vec<f64>> {
            dimensions
                .values()
                .filter(|d| d["unit"].as_str() == Some(unit))
                .map(|d| d["pricePerUnit"]["USD"].as_str()?.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0))
                .collect()
        };
        let (Some(hourly), Some(upfront)) = (fee("Hrs"), fee("Quantity")) else { continue };
        if hourly.len() != 1 || upfront.len() > 1 {
            continue;
        }
        let term_hours = f64::from(years) * crate::commitments::offerings::HOURS_PER_TERM_YEAR;
        let upfront = upfront.first().copied().unwrap_or(0.0);
        let effective = hourly[0] + upfront / term_hours;
        if effective <= 0.0 || effective >= on_demand {
            continue;
        }
        let offering = RiOffering { class, term_years: years, payment }.estimate_key();
        rates.push((ri_discount_key(&offering, instance_type), 1.0 - effective / on_demand));
        rates.push((ri_upfront_key(&offering, instance_type), upfront / (effective * term_hours)));
    }
    rates
}

/// The one non-zero USD rate in `unit` among the on-demand terms' price dimensions.
fn on_demand_rate(terms: &Value, unit: &str) -> Option<f64> {
    let mut rates = terms
        .as_object()?
        .values()
        .filter_map(|term| term["priceDimensions"].as_object())
        .flat_map(|dimensions| dimensions.values())
        .filter(|dimension| dimension["unit"].as_str() == Some(unit))
        .filter_map(|dimension| dimension["pricePerUnit"]["USD"].as_str()?.parse::<f64>().ok())
        .filter(|rate| rate.is_finite() && *rate > 0.0);
    let rate = rates.next()?;
    rates.next().is_none().then_some(rate)
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    /// A `PriceList` entry as GetProducts returns it.
    pub(crate) fn product(family: &str, attributes: &Value, unit: &str, usd: &str) -> String {
        json!({
            "product": {"productFamily": family, "attributes": attributes, "sku": "SKU1"},
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {"SKU1.JRTCKXETXF": {
                "priceDimensions": {"SKU1.JRTCKXETXF.6YS6EN2CT7": {
                    "unit": unit, "pricePerUnit": {"USD": usd}, "description": "test", "beginRange": "0", "endRange": "Inf"
                }},
                "sku": "SKU1", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {}
            }}},
            "version": "20261120000000",
            "publicationDate": "2026-11-20T00:00:00Z"
        })
        .to_string()
    }

    pub(crate) fn linux(instance_type: &str) -> Value {
        json!({"instanceType": instance_type, "operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
               "capacitystatus": "Used", "licenseModel": "No License required", "regionCode": "eu-west-1"})
    }

    #[test]
    fn products_become_price_book_keys_and_everything_else_is_skipped() {
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        let windows = json!({"instanceType": "m5.large", "operatingSystem": "Windows", "tenancy": "Shared",
                             "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required"});
        let products = [
            product("Compute Instance", &linux("m5.large"), "Hrs", "0.1070000000"),
            product("Compute Instance", &windows, "Hrs", "0.2030000000"),
            product("Storage", &json!({"volumeApiName": "gp3"}), "GB-Mo", "0.0880000000"),
            product("Storage", &json!({"volumeApiName": "gp3"}), "Hrs", "0.0880000000"),
            product("NAT Gateway", &json!({"usagetype": "EU-NatGateway-Hours"}), "Hrs", "0.048"),
            product("NAT Gateway", &json!({"usagetype": "EU-NatGateway-Bytes"}), "GB", "0.048"),
            product("Compute Instance", &linux("m5.xlarge"), "Hrs", "0.0000000000"),
        ];
        cache.add_products("eu-west-1", products.iter().map(String::as_str));
        let region = &cache.regions["eu-west-1"];
        assert_eq!(
            region.rates.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
            [
                ("ebs.gp3_gb_month", 0.088),
                ("ec2:m5.large", 0.107),
                ("ec2_network.nat_gateway_gb_processed", 0.048),
                ("ec2_network.nat_gateway_hour", 0.048)
            ]
        );
        assert_eq!(region.skipped, 3, "Windows, a storage product priced per hour, a zero rate");
        assert_eq!(region.published.as_deref(), Some("2026-11-20"));
        let (rate, source) = cache.rate("eu-west-1", "ec2:m5.large").unwrap();
        assert_eq!(rate, 0.107);
        assert_eq!(source, "AWS Price List API, eu-west-1, fetched 1970-01-01, published 2026-11-20");
        assert!(cache.rate("us-east-1", "ec2:m5.large").is_none());
    }

    /// A Linux m5.large product with its on-demand rate ($0.10) and reserved terms as the Price List gives them.
    pub(crate) fn reserved_m5_large(instance_type: &str) -> String {
        let term = |code: &str, length: &str, class: &str, option: &str, hourly: &str, upfront: Option<&str>| {
            let mut dimensions = serde_json::Map::new();
            dimensions.insert(
                format!("{code}.H"),
                json!({"unit": "Hrs", "pricePerUnit": {"USD": hourly}, "description": "hourly", "beginRange": "0", "endRange": "Inf"}),
            );
            if let Some(fee) = upfront {
                dimensions.insert(
                    format!("{code}.U"),
                    json!({"unit": "Quantity", "pricePerUnit": {"USD": fee}, "description": "Upfront Fee"}),
                );
            }
            (
                code.to_owned(),
                json!({"priceDimensions": dimensions, "termAttributes": {
                    "LeaseContractLength": length, "OfferingClass": class, "PurchaseOption": option}}),
            )
        };
        let reserved: serde_json::Map<String, Value> = [
            term("A", "1yr", "standard", "No Upfront", "0.0620000000", None),
            // $0.03/h + $262.80 upfront over 8,760 h: $0.06/h effective, half paid upfront.
            term("B", "1yr", "standard", "Partial Upfront", "0.0300000000", Some("262.80")),
            term("C", "3yr", "convertible", "All Upfront", "0.0000000000", Some("1051.20")),
        ]
        .into_iter()
        .collect();
        let mut document: Value =
            serde_json::from_str(&product("Compute Instance", &linux(instance_type), "Hrs", "0.1000000000")).unwrap();
        document["terms"]["Reserved"] = Value::Object(reserved);
        document.to_string()
    }

    #[test]
    fn reserved_terms_become_discounts_and_upfront_shares_per_offering() {
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        cache.add_products("eu-west-1", [reserved_m5_large("m5.large").as_str()]);
        let rates = &cache.regions["eu-west-1"].rates;
        let close = |key: &str, expected: f64| {
            let found = rates[key];
            assert!((found - expected).abs() < 1e-9, "{key}: {found} instead of {expected}");
        };
        close("ec2:m5.large", 0.1);
        close("ri_discount.standard_ri_1yr_no_upfront:m5.large", 0.38);
        close("ri_upfront.standard_ri_1yr_no_upfront:m5.large", 0.0);
        close("ri_discount.standard_ri_1yr_partial_upfront:m5.large", 0.4);
        close("ri_upfront.standard_ri_1yr_partial_upfront:m5.large", 0.5);
        // $1,051.20 over 26,280 h: $0.04/h, all of it upfront.
        close("ri_discount.convertible_ri_3yr_all_upfront:m5.large", 0.6);
        close("ri_upfront.convertible_ri_3yr_all_upfront:m5.large", 1.0);
        assert_eq!(rates.len(), 7);
    }

    #[test]
    fn savings_plan_rates_become_discounts_off_the_on_demand_rate() {
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        cache.add_products("eu-west-1", [product("Compute Instance", &linux("m5.large"), "Hrs", "0.107").as_str()]);
        let rate = |plan: &str, seconds: i64, payment: &str, usage: &str, usd: &str| SavingsPlanRate {
            plan_type: plan.into(),
            duration_seconds: seconds,
            payment_option: payment.into(),
            currency: Some("USD".into()),
            usage_type: usage.into(),
            unit: Some("Hrs".into()),
            instance_type: Some(usage.rsplit(':').next().unwrap().into()),
            rate: usd.into(),
        };
        cache.add_savings_plan_rates(
            "eu-west-1",
            [
                rate("Compute", 31_536_000, "No Upfront", "EUW1-BoxUsage:m5.large", "0.0749"),
                rate("EC2Instance", 94_608_000, "All Upfront", "EUW1-BoxUsage:m5.large", "0.0428"),
                // Skipped: capacity reservations' unused hours, a type without an on-demand rate, a rate not
                // below on demand, an unknown term, a unit other than hours.
                rate("Compute", 31_536_000, "No Upfront", "EUW1-UnusedBox:m5.large", "0.0749"),
                rate("Compute", 31_536_000, "No Upfront", "EUW1-BoxUsage:c7g.large", "0.05"),
                rate("Compute", 31_536_000, "Partial Upfront", "EUW1-BoxUsage:m5.large", "0.2"),
                rate("Compute", 1_000, "No Upfront", "EUW1-BoxUsage:m5.large", "0.07"),
                SavingsPlanRate {
                    unit: Some("Request".into()),
                    ..rate("Compute", 31_536_000, "No Upfront", "EUW1-BoxUsage:m5.large", "0.07")
                },
            ],
        );
        let prices = &cache.regions["eu-west-1"];
        let discount = |key: &str| prices.rates[key];
        assert!((discount("sp_discount.compute_sp_1yr_no_upfront:m5.large") - (1.0 - 0.0749 / 0.107)).abs() < 1e-12);
        assert!((discount("sp_discount.ec2_instance_sp_3yr_all_upfront:m5.large") - 0.6).abs() < 1e-12);
        assert_eq!(prices.rates.keys().filter(|k| k.starts_with("sp_discount.")).count(), 2);
        assert_eq!(prices.skipped, 5);
        let (_, source) = cache.rate("eu-west-1", "sp_discount.compute_sp_1yr_no_upfront:m5.large").unwrap();
        assert!(source.starts_with("AWS Savings Plans offering rates, eu-west-1, fetched "), "{source}");
    }

    #[test]
    fn disagreeing_products_keep_the_lower_rate_and_are_counted() {
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        let products = [
            product("Storage", &json!({"volumeApiName": "gp2"}), "GB-Mo", "0.11"),
            product("Storage", &json!({"volumeApiName": "gp2"}), "GB-Mo", "0.12"),
        ];
        cache.add_products("eu-west-1", products.iter().map(String::as_str));
        assert_eq!(cache.regions["eu-west-1"].rates["ebs.gp2_gb_month"], 0.11);
        assert_eq!(cache.regions["eu-west-1"].conflicts, 1);
    }

    #[test]
    fn the_cache_round_trips_and_a_foreign_file_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.json");
        let mut cache = PriceListCache::new(NaiveDateTime::default());
        let products = [product("Storage", &json!({"volumeApiName": "st1"}), "GB-Mo", "0.05")];
        cache.add_products("eu-west-1", products.iter().map(String::as_str));
        cache.save(&path).unwrap();
        assert_eq!(PriceListCache::load(&path).unwrap(), cache);
        std::fs::write(&path, "{\"prices\": {}}").unwrap();
        let message = PriceListCache::load(&path).unwrap_err().to_string();
        assert!(message.contains("prices.json") && message.contains("costwise prices refresh"), "{message}");
        let missing = PriceListCache::load(&dir.path().join("gone.json")).unwrap_err().to_string();
        assert!(missing.contains("gone.json") && missing.contains("costwise prices refresh --out"), "{missing}");
    }
}
