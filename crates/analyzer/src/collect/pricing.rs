//! `costwise prices refresh`: the AWS Price List Query API into a price cache.
//!
//! Three queries per region (`pricing:GetProducts`, every page): Linux
//! on-demand instances, EBS storage and NAT gateways, each narrowed by
//! attribute filters so a region costs a few dozen pages, not the whole EC2
//! offer (millions of products). The products are read by
//! [`PriceListCache::add_products`], which knows which price-book key each
//! one prices. The Price List API answers in us-east-1 for every region.
//!
//! Savings-plan rates are not in the Price List API: they come from the
//! Savings Plans API (`savingsplans:DescribeSavingsPlansOfferingRates`, also
//! answered in us-east-1), EC2 Compute and EC2 Instance plans for Linux on
//! shared tenancy in the region, 1,000 rates a page, and are stored as
//! discounts off the on-demand rates just read
//! ([`PriceListCache::add_savings_plan_rates`]).

use chrono::NaiveDateTime;

use super::{Connection, failure, sdk_config};
use crate::error::{Error, Result};
use crate::prices::PriceListCache;

/// The IAM action.
pub(super) const ACTION: &str = "pricing:GetProducts";

/// The IAM action of the savings-plan rates.
pub(super) const SAVINGS_PLAN_RATES_ACTION: &str = "savingsplans:DescribeSavingsPlansOfferingRates";

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
    /// `GetProducts` and `DescribeSavingsPlansOfferingRates` requests made (pages).
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
        let savings_plans = aws_sdk_savingsplans::Client::new(&config);
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
                continue;
            }
            let (rates, pages) = savings_plan_rates(&savings_plans, region).await?;
            requests += pages;
            cache.add_savings_plan_rates(region, rates);
        }
        Ok(PriceRefresh { cache, requests, empty_regions })
    })
}

/// Every EC2 savings-plan rate for Linux on shared tenancy in `region`, and the requests it took (the API has no
/// paginator: `nextToken` is followed here).
async fn savings_plan_rates(
    client: &aws_sdk_savingsplans::Client,
    region: &str,
) -> Result<(Vec<crate::prices::SavingsPlanRate>, usize)> {
    use aws_sdk_savingsplans::types::{
        SavingsPlanOfferingRateFilterElement as Filter, SavingsPlanProductType, SavingsPlanRateFilterAttribute as By,
        SavingsPlanRateServiceCode, SavingsPlanType,
    };
    let filter = |name: By, value: &str| Filter::builder().name(name).values(value).build();
    let mut rates = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let reply = client
            .describe_savings_plans_offering_rates()
            .products(SavingsPlanProductType::Ec2)
            .service_codes(SavingsPlanRateServiceCode::Ec2)
            .savings_plan_types(SavingsPlanType::Compute)
            .savings_plan_types(SavingsPlanType::Ec2Instance)
            .filters(filter(By::Region, region))
            .filters(filter(By::Tenancy, "shared"))
            .filters(filter(By::ProductDescription, "Linux/UNIX"))
            .max_results(1000)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| Error::Collect(format!("{SAVINGS_PLAN_RATES_ACTION} failed in {region}: {}", failure(&e))))?;
        pages += 1;
        rates.extend(reply.search_results().iter().filter_map(|r| {
            let offering = r.savings_plan_offering()?;
            Some(crate::prices::SavingsPlanRate {
                plan_type: offering.plan_type()?.as_str().to_owned(),
                duration_seconds: offering.duration_seconds(),
                payment_option: offering.payment_option()?.as_str().to_owned(),
                currency: offering.currency().map(|c| c.as_str().to_owned()),
                usage_type: r.usage_type()?.to_owned(),
                unit: r.unit().map(|u| u.as_str().to_owned()),
                instance_type: r
                    .properties()
                    .iter()
                    .find(|p| p.name() == Some("instanceType"))
                    .and_then(|p| p.value())
                    .map(str::to_owned),
                rate: r.rate()?.to_owned(),
            })
        }));
        match reply.next_token().filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    Ok((rates, pages))
}
