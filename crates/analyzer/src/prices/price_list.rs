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
//!   `Hrs`;
//! - `ebs.<volume-type>_gb_month`: `AmazonEC2` products of family `Storage`
//!   by `volumeApiName` (gp2, gp3, io1, io2, st1, sc1, standard), priced in
//!   `GB-Mo`;
//! - `ec2_network.nat_gateway_hour` and `ec2_network.nat_gateway_gb_processed`:
//!   family `NAT Gateway`, by usage type (`NatGateway-Hours`, `NatGateway-Bytes`).
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
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Config {
                path: Some(path.to_path_buf()),
                detail: format!(
                    "[price-list] cache {} does not exist: write it with `costwise prices refresh --out {}`",
                    path.display(),
                    path.display()
                ),
            },
            _ => Error::io(path, e),
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
        let published = prices.published.as_deref().map(|p| format!(", published {p}")).unwrap_or_default();
        Some((rate, format!("AWS Price List API, {region}, fetched {}{published}", self.fetched_at.date())))
    }

    /// Adds the products of one `GetProducts` reply (its `PriceList` strings) to `region`.
    pub fn add_products<'a>(&mut self, region: &str, products: impl IntoIterator<Item = &'a str>) {
        let prices = self.regions.entry(region.to_owned()).or_default();
        for product in products {
            match read_product(product) {
                Some(Product { key, rate, published }) => {
                    if let Some(published) = published
                        && prices.published.as_ref().is_none_or(|p| *p < published)
                    {
                        prices.published = Some(published);
                    }
                    match prices.rates.get(&key) {
                        Some(existing) if (*existing - rate).abs() > f64::EPSILON => {
                            prices.conflicts += 1;
                            prices.rates.insert(key, existing.min(rate));
                        }
                        Some(_) => {}
                        None => {
                            prices.rates.insert(key, rate);
                        }
                    }
                }
                None => prices.skipped += 1,
            }
        }
    }
}

/// What one Price List product contributes.
#[derive(Debug, Clone, PartialEq)]
struct Product {
    key: String,
    rate: f64,
    published: Option<String>,
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
    Some(Product { key, rate, published })
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

    fn linux(instance_type: &str) -> Value {
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
    }
}
