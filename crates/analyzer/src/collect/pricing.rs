//! `costwise prices refresh`: the AWS Price List Query API into a price cache.
//!
//! Three queries per region (`pricing:GetProducts`, every page): Linux
//! on-demand instances, EBS storage and NAT gateways, each narrowed by
//! attribute filters so a region costs a few dozen pages, not the whole EC2
//! offer (millions of products). The products are read by
//! [`PriceListCache::add_products`], which knows which price-book key each
//! one prices. The Price List API answers in us-east-1 for every region.

use chrono::NaiveDateTime;

use super::{Connection, failure, sdk_config};
use crate::error::{Error, Result};
use crate::prices::PriceListCache;

/// The IAM action.
pub(super) const ACTION: &str = "pricing:GetProducts";

/// The queries per region: the service, then (attribute, value) filters besides the region.
const QUERIES: [(&str, &[(&str, &str)]); 3] = [
    (
        "AmazonEC2",
        &[
            ("productFamily", "Compute Instance"),
            ("operatingSystem", "Linux"),
            ("tenancy", "Shared"),
            ("preInstalledSw", "NA"),
            ("capacitystatus", "Used"),
            ("licenseModel", "No License required"),
        ],
    ),
    ("AmazonEC2", &[("productFamily", "Storage")]),
    ("AmazonEC2", &[("productFamily", "NAT Gateway")]),
];

/// What a refresh fetched.
#[derive(Debug, Clone)]
pub struct PriceRefresh {
    /// The cache to write.
    pub cache: PriceListCache,
    /// `GetProducts` requests made (pages).
    pub requests: usize,
    /// Regions for which the API returned no product at all (probably not a region code).
    pub empty_regions: Vec<String>,
}

/// Fetches the list prices of `regions`.
///
/// # Errors
///
/// [`Error::Collect`] naming the region and query when a request fails after its retries: a partial price
/// cache is worse than the previous one, which stays in place.
pub fn refresh_prices(connection: &Connection, regions: &[String], fetched_at: NaiveDateTime) -> Result<PriceRefresh> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Collect(format!("cannot start the tokio runtime: {e}")))?;
    runtime.block_on(async {
        let config = sdk_config(connection).await;
        // The Price List API has endpoints in us-east-1, eu-central-1 and ap-south-1 only; each serves every region.
        let config = config.to_builder().region(aws_config::Region::new("us-east-1")).build();
        let client = aws_sdk_pricing::Client::new(&config);
        let mut cache = PriceListCache::new(fetched_at);
        let mut requests = 0;
        let mut empty_regions = Vec::new();
        for region in regions {
            let mut products = 0;
            for (service, filters) in QUERIES {
                let mut request = client.get_products().service_code(service).format_version("aws_v1").max_results(100);
                for (field, value) in std::iter::once(&("regionCode", region.as_str())).chain(filters.iter()) {
                    let filter = aws_sdk_pricing::types::Filter::builder()
                        .r#type(aws_sdk_pricing::types::FilterType::TermMatch)
                        .field(*field)
                        .value(*value)
                        .build()
                        .map_err(|e| Error::Collect(format!("{ACTION}: {e}")))?;
                    request = request.filters(filter);
                }
                let pages = every_page!(request).map_err(|e| {
                    Error::Collect(format!(
                        "{ACTION} failed for {service} {} in {region}: {}",
                        filters.first().map_or("", |(_, value)| *value),
                        failure(&e)
                    ))
                })?;
                requests += pages.len();
                for page in &pages {
                    products += page.price_list().len();
                    cache.add_products(region, page.price_list().iter().map(String::as_str));
                }
            }
            if products == 0 {
                empty_regions.push(region.clone());
            }
        }
        Ok(PriceRefresh { cache, requests, empty_regions })
    })
}
