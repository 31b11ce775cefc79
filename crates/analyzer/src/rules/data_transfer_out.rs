//! Internet egress served straight from S3 or EC2 that CloudFront would serve for less, and large cross-AZ transfer.
//!
//! ## What it finds
//! Two kinds of data-transfer spend, read from the CUR (`costs` table) over
//! the last `lookback-days` days of billing data (or the whole billed window
//! when shorter), per resource id the CUR bills it under (a bucket name, an
//! instance id, a load balancer ARN):
//!
//! - **Internet egress a CDN would serve for less**: usage types containing
//!   `DataTransfer-Out-Bytes` (`USE1-DataTransfer-Out-Bytes`; billed under
//!   `AWSDataTransfer`, `AmazonS3` or `AmazonEC2`) from an S3 bucket, an EC2
//!   instance or a load balancer, when putting a CloudFront distribution in
//!   front of it saves at least `min-monthly-savings` a month.
//! - **Large cross-AZ transfer**: `DataTransfer-Regional-Bytes` over
//!   `cross-az-min-gb-month` GB a month for one resource, costing at least
//!   `min-monthly-savings` (low confidence: the CUR says how much, not which
//!   peer, so this is a lead to investigate).
//!
//! Resources whose billing data covers fewer than 7 days are listed under
//! "not enough data": a week is the shortest span that averages out weekly
//! traffic cycles. Egress billed under other resources (NAT gateways, other
//! services) counts toward the account's tiers but is not a CDN candidate.
//!
//! ## Why it costs money
//! Data sent from a region to the internet is billed per GB in monthly tiers
//! (us-east-1: the first 100 GB a month free across the account, then
//! $0.09/GB up to 10 TB, $0.085 for the next 40 TB, $0.07 for the next
//! 100 TB, $0.05 over 150 TB). CloudFront bills the same bytes at its own,
//! lower rates (United States and Europe: $0.085/GB for the first 10 TB,
//! $0.080, $0.060, then $0.040), has an always-free tier of 1 TB and 10
//! million requests a month, and the origin fetch from S3 or EC2 to
//! CloudFront is free. A public bucket or web server linked straight from
//! pages, apps or campaigns pays the full internet rate for every byte.
//! Traffic between availability zones costs $0.01/GB in each direction, so
//! chatty services spread over zones (replication, a client in another zone
//! than its database or cache) pay $0.02 for every GB they exchange.
//!
//! ## How savings are estimated
//! GB a month = the resource's `DataTransfer-Out-Bytes` usage in the window,
//! scaled to 730 hours. The cost now is its billed amortized cost over the
//! same window, scaled the same way (what the CUR says you pay, free tier and
//! discounts included); the evidence also prices it at list rates with the
//! tiers. Tiers and free tiers add up over the consolidated bill (the payer
//! account, else the usage account), so each resource is priced at the
//! margin: the list cost of the payer's internet egress with it, minus
//! without it; candidates are taken largest first, and each one moved to
//! CloudFront no longer counts toward the direct-egress tiers of the next.
//!
//! The CloudFront cost of the same GB uses the US/Europe price class tiers
//! (TB = 1,024 GB, the price list's tier bounds; rates above 500 TB are
//! taken as $0.040, an overestimate) on top of the CloudFront traffic the
//! payer already has, the 1 TB free tier applied once per payer, plus
//! HTTPS requests at $0.01 per 10,000 (10 million a month free) estimated
//! from the bucket's S3 GET requests in the CUR (`Requests-Tier2`, each
//! object fetch becomes one CloudFront request). For an instance or load
//! balancer the CUR has no request count and the request fee is not included
//! (say so, and the confidence is low). The origin fetch is free, so the
//! cache hit ratio changes only the S3 request bill, which falls (not
//! counted). Savings = cost now − CloudFront cost; no finding below
//! `min-monthly-savings` (where CloudFront does not save, doing nothing is
//! right).
//!
//! Cross-AZ: GB a month of `DataTransfer-Regional-Bytes` (both directions, as
//! billed) and its billed cost, which is the saving if the traffic stays in
//! one zone. Confidence low: some of it may be unavoidable (multi-AZ
//! replication you want).
//!
//! Category "storage" (with the storage-class rules of issue 6): these are
//! savings that count toward the total, which "spend" alerts never do.
//! Risk is "needs testing": URLs change to the distribution's domain, and
//! cache behaviour (TTLs, headers, invalidations) must suit the content.
//!
//! The remediation gives AWS CLI commands and a complete Terraform
//! configuration. For a bucket: an origin access control, a distribution
//! (price class 100, North America and Europe, whose rates the saving is
//! priced at; viewers redirected to HTTPS; the AWS managed CachingOptimized
//! cache policy) reading the bucket's regional endpoint, and a bucket policy
//! that lets only that distribution read. For an instance or load balancer:
//! the same distribution with a custom origin at its AWS-assigned public DNS
//! name (read with a data source), reached over HTTP because that name has no
//! certificate CloudFront can verify (the snippet says how to move to HTTPS
//! with a name you own, and how to keep dynamic paths uncached).
//!
//! ## Settings
//! - `lookback-days` (default 30): days of billing data read, ending at the
//!   end of the CUR (or the snapshot time when earlier).
//! - `min-monthly-savings` (default 10): smallest monthly saving, in USD,
//!   for which CloudFront is recommended or cross-AZ transfer reported.
//! - `cross-az-min-gb-month` (default 100): GB a month of cross-AZ transfer
//!   above which a resource is reported.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{floats, strings};
use super::{Context, NotEnoughData, Rule, RuleOutput, parse_tags};
use crate::error::{Error, PolarsResultExt};
use crate::finding::{Category, Confidence, Evidence, Finding, Remediation, Risk, shell_word};
use crate::prices::{PriceBook, PriceSource};
use crate::spend::{scalar_datetime, stable};
use crate::storage::lifecycle::{hcl_string, terraform_label};
use crate::{Dataset, Table};

/// Default for `lookback-days`.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;
/// Default for `min-monthly-savings` (USD).
pub const DEFAULT_MIN_MONTHLY_SAVINGS: f64 = 10.0;
/// Default for `cross-az-min-gb-month`.
pub const DEFAULT_CROSS_AZ_MIN_GB_MONTH: f64 = 100.0;

/// Fewest days of billing data the rule judges.
const MIN_DAYS: f64 = 7.0;
/// GB in a TB, as the price list's tier bounds count them.
const GB_PER_TB: f64 = 1024.0;
/// Line item types that are usage.
const USAGE_LINE_ITEMS: [&str; 3] = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"];
/// CloudFront prices by edge location, not by origin region: always the catalog's US/Europe rates.
const CLOUDFRONT_REGION: &str = "us-east-1";

/// The rule.
pub struct DataTransferOut;

/// User options under `[rules.data-transfer-out]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Days of billing data read.
    pub lookback_days: Option<u32>,
    /// Smallest monthly saving for which CloudFront is recommended.
    pub min_monthly_savings: Option<f64>,
    /// GB a month of cross-AZ transfer above which a resource is reported.
    pub cross_az_min_gb_month: Option<f64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Days of billing data read.
    pub lookback_days: u32,
    /// Smallest monthly saving for which CloudFront is recommended.
    pub min_monthly_savings: f64,
    /// GB a month of cross-AZ transfer above which a resource is reported.
    pub cross_az_min_gb_month: f64,
}

impl Rule for DataTransferOut {
    const ID: &'static str = "data-transfer-out";
    const CATEGORY: Category = Category::Storage;
    type Options = Options;
    type Settings = Settings;

    fn resolve(options: Options) -> Result<Settings, String> {
        let lookback_days = options.lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
        if lookback_days < 7 {
            return Err(format!("lookback-days must be at least 7, not {lookback_days}"));
        }
        let non_negative = |name: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err(format!("{name} must be a number ≥ 0, not {value}"))
            }
        };
        Ok(Settings {
            lookback_days,
            min_monthly_savings: non_negative(
                "min-monthly-savings",
                options.min_monthly_savings.unwrap_or(DEFAULT_MIN_MONTHLY_SAVINGS),
            )?,
            cross_az_min_gb_month: non_negative(
                "cross-az-min-gb-month",
                options.cross_az_min_gb_month.unwrap_or(DEFAULT_CROSS_AZ_MIN_GB_MONTH),
            )?,
        })
    }

    fn check(settings: &Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        let Some(usage) = Usage::load(ctx.dataset, settings.lookback_days, ctx.prices.hours_per_month())? else {
            return Ok(RuleOutput::default());
        };
        let inventory = Inventory::load(ctx.dataset)?;
        let mut output = RuleOutput::default();
        if usage.days + 1e-9 < MIN_DAYS {
            for r in usage.resources.values().filter(|r| r.egress_gb > 0.0 || r.regional_gb > 0.0) {
                output.not_enough_data.push(NotEnoughData {
                    account_id: r.account.clone(),
                    region: r.region.clone(),
                    resource_id: r.id.clone(),
                    reason: format!(
                        "the CUR covers only {:.1} days ({} to {}); judging data transfer needs at least {MIN_DAYS} days",
                        usage.days,
                        usage.start.format("%Y-%m-%d"),
                        usage.end.format("%Y-%m-%d")
                    ),
                });
            }
            return Ok(output);
        }
        let source = window_source(&usage, ctx.prices.hours_per_month());
        output.findings.extend(cloudfront_findings(settings, ctx.prices, &usage, &inventory, &source));
        output.findings.extend(cross_az_findings(settings, &usage, &inventory, &source));
        Ok(output)
    }
}

/// One resource's transfer in the window, per month.
#[derive(Debug, Default)]
struct Resource {
    account: String,
    /// The payer account whose consolidated bill pools the tiers and free tiers.
    pool: String,
    region: Option<String>,
    id: String,
    egress_gb: f64,
    egress_cost: f64,
    regional_gb: f64,
    regional_cost: f64,
    gets: f64,
    has_get_counts: bool,
    cur_tags: Option<String>,
}

/// The CUR's data transfer, per resource and per account, scaled to a month.
struct Usage {
    start: NaiveDateTime,
    end: NaiveDateTime,
    days: f64,
    resources: BTreeMap<(String, String), Resource>,
    /// Internet egress of the whole payer account (every resource and none), GB a month.
    account_egress_gb: HashMap<String, f64>,
    /// CloudFront traffic the account already has, GB a month.
    account_cloudfront_gb: HashMap<String, f64>,
    /// CloudFront requests the account already has, a month.
    account_cloudfront_requests: HashMap<String, f64>,
}

impl Usage {
    fn load(dataset: &Dataset, lookback_days: u32, hours_per_month: f64) -> Result<Option<Self>, Error> {
        let Some(costs) = dataset.table(Table::Costs) else { return Ok(None) };
        let context = "data-transfer-out: costs";
        let bounds = costs
            .clone()
            .select([col("usage_start").min().alias("first"), col("usage_end").max().alias("last")])
            .collect()
            .during(|| format!("{context}: billing window"))?;
        let (Some(first), Some(last)) = (scalar_datetime(&bounds, "first"), scalar_datetime(&bounds, "last")) else {
            return Ok(None);
        };
        let end = last.min(dataset.as_of());
        let start = (end - Duration::days(i64::from(lookback_days))).max(first);
        if end <= start {
            return Ok(None);
        }
        let types = Series::new("types".into(), USAGE_LINE_ITEMS);
        let grouped = costs
            .filter(
                col("usage_start")
                    .gt_eq(lit(start))
                    .and(col("usage_start").lt(lit(end)))
                    .and(col("usage_type").is_not_null())
                    .and(col("line_item_type").is_in(lit(types).implode(false), false)),
            )
            .group_by([
                col("payer_account_id"),
                col("account_id"),
                col("region"),
                col("resource_id"),
                col("service"),
                col("usage_type"),
            ])
            .agg([
                col("usage_amount").sum().alias("amount"),
                col("amortized_cost").sum().alias("cost"),
                col("tags").first().alias("tags"),
            ])
            .sort(["account_id", "resource_id", "usage_type", "region"], SortMultipleOptions::default())
            .collect()
            .during(|| format!("{context}: summing data transfer"))?;
        let payer = strings(&grouped, "payer_account_id", context)?;
        let account = strings(&grouped, "account_id", context)?;
        let region = strings(&grouped, "region", context)?;
        let resource = strings(&grouped, "resource_id", context)?;
        let service = strings(&grouped, "service", context)?;
        let usage_type = strings(&grouped, "usage_type", context)?;
        let amount = floats(&grouped, "amount", context)?;
        let cost = floats(&grouped, "cost", context)?;
        let tags = strings(&grouped, "tags", context)?;

        let hours = (end - start).num_seconds() as f64 / 3600.0;
        let scale = hours_per_month / hours;
        let mut usage = Self {
            start,
            end,
            days: hours / 24.0,
            resources: BTreeMap::new(),
            account_egress_gb: HashMap::new(),
            account_cloudfront_gb: HashMap::new(),
            account_cloudfront_requests: HashMap::new(),
        };
        for i in 0..grouped.height() {
            let (Some(account), Some(usage_type)) = (account.get(i), usage_type.get(i)) else { continue };
            let service = service.get(i).unwrap_or_default();
            // Tiers and free tiers add up over the consolidated bill: pool by payer account.
            let pool = payer.get(i).filter(|p| !p.is_empty()).unwrap_or(account).to_owned();
            let amount = amount.get(i).unwrap_or(0.0) * scale;
            let cost = cost.get(i).unwrap_or(0.0) * scale;
            let kind = classify(service, usage_type);
            match kind {
                Kind::CloudFrontBytes => {
                    *usage.account_cloudfront_gb.entry(pool.clone()).or_default() += amount;
                    continue;
                }
                Kind::CloudFrontRequests => {
                    *usage.account_cloudfront_requests.entry(pool.clone()).or_default() += amount;
                    continue;
                }
                Kind::Egress => *usage.account_egress_gb.entry(pool.clone()).or_default() += amount,
                Kind::Regional | Kind::Gets => {}
                Kind::Other => continue,
            }
            let Some(id) = resource.get(i).filter(|id| !id.is_empty()) else { continue };
            let entry = usage.resources.entry((account.to_owned(), id.to_owned())).or_insert_with(|| Resource {
                account: account.to_owned(),
                pool: pool.clone(),
                id: id.to_owned(),
                ..Resource::default()
            });
            if entry.region.is_none() {
                // Only a region code: it is pasted into commands and JSON.
                entry.region = region
                    .get(i)
                    .filter(|r| {
                        !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    })
                    .map(str::to_owned);
            }
            if entry.cur_tags.is_none() {
                entry.cur_tags = tags.get(i).map(str::to_owned);
            }
            match kind {
                Kind::Egress => {
                    entry.egress_gb += amount;
                    entry.egress_cost += cost;
                }
                Kind::Regional => {
                    entry.regional_gb += amount;
                    entry.regional_cost += cost;
                }
                Kind::Gets => {
                    entry.gets += amount;
                    entry.has_get_counts = true;
                }
                _ => {}
            }
        }
        Ok(Some(usage))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Egress,
    Regional,
    Gets,
    CloudFrontBytes,
    CloudFrontRequests,
    Other,
}

fn classify(service: &str, usage_type: &str) -> Kind {
    if service == "AmazonCloudFront" {
        if usage_type.contains("DataTransfer-Out-Bytes") {
            Kind::CloudFrontBytes
        } else if usage_type.contains("Requests-") {
            Kind::CloudFrontRequests
        } else {
            Kind::Other
        }
    } else if usage_type.contains("DataTransfer-Out-Bytes") {
        Kind::Egress
    } else if usage_type.contains("DataTransfer-Regional-Bytes") {
        Kind::Regional
    } else if service == "AmazonS3" && usage_type.ends_with("Requests-Tier2") {
        Kind::Gets
    } else {
        Kind::Other
    }
}

/// Names and tags from the inventory, by (account, resource id).
#[derive(Default)]
struct Inventory {
    named: HashMap<(String, String), (Option<String>, Option<String>)>,
}

impl Inventory {
    fn load(dataset: &Dataset) -> Result<Self, Error> {
        let mut named = HashMap::new();
        for (table, id_column, name_column) in
            [(Table::Buckets, "bucket", None), (Table::Instances, "instance_id", Some("name"))]
        {
            let Some(frame) = dataset.table(table) else { continue };
            let context = format!("data-transfer-out: {}", table.name());
            let frame = frame.collect().during(|| format!("{context}: reading"))?;
            let account = strings(&frame, "account_id", &context)?;
            let id = strings(&frame, id_column, &context)?;
            let tags = strings(&frame, "tags", &context)?;
            let name = name_column.map(|c| strings(&frame, c, &context)).transpose()?;
            for i in 0..frame.height() {
                let (Some(account), Some(id)) = (account.get(i), id.get(i)) else { continue };
                let name = name.as_ref().and_then(|n| n.get(i)).map(str::to_owned);
                named.insert((account.to_owned(), id.to_owned()), (name, tags.get(i).map(str::to_owned)));
            }
        }
        Ok(Self { named })
    }

    fn name_and_tags(&self, r: &Resource) -> (Option<String>, BTreeMap<String, String>) {
        match self.named.get(&(r.account.clone(), r.id.clone())) {
            Some((name, tags)) => (name.clone(), parse_tags(tags.as_deref())),
            None => (None, parse_tags(r.cur_tags.as_deref())),
        }
    }
}

fn window_source(usage: &Usage, hours_per_month: f64) -> PriceSource {
    PriceSource::billed(format!(
        "CUR amortized cost {} to {}, scaled to {hours_per_month} hours/month",
        usage.start.format("%Y-%m-%d"),
        usage.end.format("%Y-%m-%d"),
    ))
}

/// What a resource is, as a CloudFront origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Bucket,
    Instance,
    LoadBalancer,
}

impl Origin {
    fn of(id: &str) -> Option<Self> {
        if id.starts_with("i-") {
            Some(Origin::Instance)
        } else if id.starts_with("arn:") {
            id.contains(":elasticloadbalancing:").then_some(Origin::LoadBalancer)
        } else if !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c))
        {
            Some(Origin::Bucket)
        } else {
            None
        }
    }

    fn resource_type(self) -> &'static str {
        match self {
            Origin::Bucket => "s3-bucket",
            Origin::Instance => "ec2-instance",
            Origin::LoadBalancer => "load-balancer",
        }
    }
}

/// A tiered rate card: GB free first, then (upper bound in GB, $/GB) tiers; the last tier is open-ended.
#[derive(Debug, Clone)]
struct Tiers {
    free_gb: f64,
    bands: Vec<(f64, f64)>,
    source: PriceSource,
}

impl Tiers {
    fn direct_egress(prices: &PriceBook, region: &str) -> Option<Self> {
        let price = |key: &str| prices.list_price(region, &format!("ec2_network.{key}"));
        let free = price("data_transfer_out_free_gb_month")?;
        let parts = [
            (10.0 * GB_PER_TB, price("data_transfer_out_gb_first_10tb")?),
            (50.0 * GB_PER_TB, price("data_transfer_out_gb_next_40tb")?),
            (150.0 * GB_PER_TB, price("data_transfer_out_gb_next_100tb")?),
            (f64::INFINITY, price("data_transfer_out_gb_over_150tb")?),
        ];
        Some(Self::build(&free, &parts))
    }

    fn cloudfront(prices: &PriceBook) -> Option<Self> {
        let price = |key: &str| prices.list_price(CLOUDFRONT_REGION, &format!("cloudfront.{key}"));
        let free = price("free_gb_month")?;
        let parts = [
            (10.0 * GB_PER_TB, price("us_eu_gb_first_10tb")?),
            (50.0 * GB_PER_TB, price("us_eu_gb_next_40tb")?),
            (150.0 * GB_PER_TB, price("us_eu_gb_next_100tb")?),
            (f64::INFINITY, price("us_eu_gb_next_350tb")?),
        ];
        Some(Self::build(&free, &parts))
    }

    fn build(free: &crate::prices::Price, parts: &[(f64, crate::prices::Price)]) -> Self {
        let source = parts.iter().fold(free.source.clone(), |s, (_, p)| s.weakest(p.source.clone()));
        Self { free_gb: free.value, bands: parts.iter().map(|(bound, p)| (*bound, p.value)).collect(), source }
    }

    /// Monthly cost of `gb` GB in a month: the free GB first (inside the first tier), then each tier's rate.
    fn cost(&self, gb: f64) -> f64 {
        let mut cost = 0.0;
        let mut lower = self.free_gb;
        for &(upper, rate) in &self.bands {
            if gb <= lower {
                break;
            }
            if upper > lower {
                cost += (gb.min(upper) - lower) * rate;
                lower = upper;
            }
        }
        cost
    }

    /// The cost of adding `gb` on top of `base` GB already billed this month.
    fn marginal(&self, base: f64, gb: f64) -> f64 {
        self.cost(base + gb) - self.cost(base)
    }

    fn describe(&self) -> String {
        let mut parts = vec![format!("first {} GB free", self.free_gb)];
        let mut lower = 0.0;
        for &(upper, rate) in &self.bands {
            if upper.is_finite() {
                parts.push(format!("${rate}/GB to {} TB", upper / GB_PER_TB));
            } else {
                parts.push(format!("${rate}/GB over {} TB", lower / GB_PER_TB));
            }
            lower = upper;
        }
        parts.join(", ")
    }
}

/// Per-account running totals as candidates move to CloudFront, largest first.
struct AccountState {
    direct_gb: f64,
    cloudfront_gb: f64,
    cloudfront_requests: f64,
}

fn cloudfront_findings(
    settings: &Settings,
    prices: &PriceBook,
    usage: &Usage,
    inventory: &Inventory,
    source: &PriceSource,
) -> Vec<Finding> {
    let Some(cloudfront) = Tiers::cloudfront(prices) else { return Vec::new() };
    let request_rate = prices.list_price(CLOUDFRONT_REGION, "cloudfront.https_requests_per_10k");
    let free_requests =
        prices.list_price(CLOUDFRONT_REGION, "cloudfront.free_https_requests_month").map_or(0.0, |p| p.value);
    let mut candidates: Vec<(&Resource, Origin)> = usage
        .resources
        .values()
        .filter(|r| r.egress_gb > 0.0)
        .filter_map(|r| Origin::of(&r.id).map(|o| (r, o)))
        .collect();
    candidates.sort_by(|a, b| b.0.egress_gb.total_cmp(&a.0.egress_gb).then_with(|| a.0.id.cmp(&b.0.id)));

    let mut accounts: HashMap<&str, AccountState> = HashMap::new();
    let mut findings = Vec::new();
    for (r, origin) in candidates {
        let region = r.region.as_deref().unwrap_or("us-east-1");
        let Some(direct) = Tiers::direct_egress(prices, region) else { continue };
        let state = accounts.entry(r.pool.as_str()).or_insert_with(|| AccountState {
            direct_gb: usage.account_egress_gb.get(&r.pool).copied().unwrap_or(0.0),
            cloudfront_gb: usage.account_cloudfront_gb.get(&r.pool).copied().unwrap_or(0.0),
            cloudfront_requests: usage.account_cloudfront_requests.get(&r.pool).copied().unwrap_or(0.0),
        });
        let gb = r.egress_gb;
        let list_now = direct.marginal((state.direct_gb - gb).max(0.0), gb);
        let billed_now = r.egress_cost;
        let transfer = cloudfront.marginal(state.cloudfront_gb, gb);
        let requests = match (origin, r.has_get_counts, &request_rate) {
            (Origin::Bucket, true, Some(rate)) => {
                let billable = (state.cloudfront_requests + r.gets - free_requests).max(0.0)
                    - (state.cloudfront_requests - free_requests).max(0.0);
                Some(billable / 10_000.0 * rate.value)
            }
            _ => None,
        };
        let cloudfront_cost = transfer + requests.unwrap_or(0.0);
        let savings = stable(billed_now - cloudfront_cost);
        if savings < settings.min_monthly_savings || savings <= 0.0 {
            continue;
        }
        state.direct_gb = (state.direct_gb - gb).max(0.0);
        state.cloudfront_gb += gb;
        state.cloudfront_requests += r.gets;

        let mut evidence = vec![
            Evidence::quantity("internet egress", gb, "GB/month"),
            Evidence::quantity(
                "billing window",
                usage.days,
                format!("days ({} to {})", usage.start.format("%Y-%m-%d"), usage.end.format("%Y-%m-%d")),
            ),
            Evidence::text("cost source", "CUR: billed amortized cost of its DataTransfer-Out-Bytes usage"),
            Evidence::monthly("internet egress now (billed)", billed_now),
            Evidence::text("internet egress tiers", direct.describe()),
            Evidence::quantity(
                "payer's other internet egress",
                (usage.account_egress_gb.get(&r.pool).copied().unwrap_or(0.0) - gb).max(0.0),
                "GB/month",
            ),
            Evidence::monthly("internet egress at list price (tiers and free tier pooled by payer)", list_now),
            Evidence::text("CloudFront tiers (US/Europe)", cloudfront.describe()),
            Evidence::quantity(
                "CloudFront traffic the payer already has (incl. resources above)",
                state.cloudfront_gb - gb,
                "GB/month",
            ),
            Evidence::monthly("CloudFront data transfer", transfer),
            Evidence::text("origin fetch (S3/EC2 to CloudFront)", "free"),
        ];
        match requests {
            Some(cost) => {
                evidence.push(Evidence::quantity(
                    "S3 GET requests (estimate of CloudFront requests)",
                    r.gets,
                    "per month",
                ));
                evidence.push(Evidence::monthly(
                    format!(
                        "CloudFront HTTPS requests (${}/10,000, {} free a month)",
                        request_rate.as_ref().map_or(0.0, |p| p.value),
                        free_requests
                    ),
                    cost,
                ));
            }
            None => evidence.push(Evidence::text(
                "CloudFront request fee",
                "not included: the CUR has no request count for this resource",
            )),
        }
        evidence.push(Evidence::monthly("CloudFront total", cloudfront_cost));
        evidence.push(Evidence::monthly("threshold (min-monthly-savings)", settings.min_monthly_savings));

        let (name, tags) = inventory.name_and_tags(r);
        let confidence = if requests.is_some() { Confidence::Medium } else { Confidence::Low };
        findings.push(Finding {
            rule: DataTransferOut::ID.into(),
            category: DataTransferOut::CATEGORY,
            account_id: r.account.clone(),
            region: r.region.clone(),
            resource_type: origin.resource_type().into(),
            resource_id: r.id.clone(),
            resource_name: name,
            title: format!(
                "{} GB/month of internet egress from {} would cost ${:.0} less a month through CloudFront",
                gb.round(),
                r.id,
                savings
            ),
            evidence,
            monthly_cost: stable(billed_now),
            monthly_savings: savings,
            price_source: source.clone().weakest(cloudfront.source.clone()),
            confidence,
            risk: Risk::NeedsTesting,
            remediation: cloudfront_remediation(r, origin, region),
            tags,
            covers: Vec::new(),
        });
    }
    findings
}

/// CloudFront's managed CachingOptimized cache policy (the same id in every account).
const CACHING_OPTIMIZED_POLICY: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// CloudFront's managed CachingDisabled cache policy.
const CACHING_DISABLED_POLICY: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// CloudFront's managed AllViewerExceptHostHeader origin request policy.
const ALL_VIEWER_EXCEPT_HOST_POLICY: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

fn cloudfront_remediation(r: &Resource, origin: Origin, region: &str) -> Remediation {
    let id = &r.id;
    match origin {
        Origin::Bucket => {
            let oac = oac_name(id);
            Remediation {
                lifecycle_configuration: None,
                summary: format!(
                    "Serve {id} through a CloudFront distribution with origin access control, point links at the distribution's domain, then block direct public reads."
                ),
                cli: vec![
                    format!(
                        "OAC=$(aws cloudfront create-origin-access-control --origin-access-control-config Name={oac},SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3 --query OriginAccessControl.Id --output text)"
                    ),
                    format!(
                        "# CachingOptimized managed cache policy; the cheapest price class that covers your users\naws cloudfront create-distribution --distribution-config '{{\"CallerReference\":\"{id}-cdn\",\"Comment\":\"{id}\",\"Enabled\":true,\"PriceClass\":\"PriceClass_100\",\"Origins\":{{\"Quantity\":1,\"Items\":[{{\"Id\":\"s3-{id}\",\"DomainName\":\"{id}.s3.{region}.amazonaws.com\",\"OriginAccessControlId\":\"'\"$OAC\"'\",\"S3OriginConfig\":{{\"OriginAccessIdentity\":\"\"}}}}]}},\"DefaultCacheBehavior\":{{\"TargetOriginId\":\"s3-{id}\",\"ViewerProtocolPolicy\":\"redirect-to-https\",\"CachePolicyId\":\"{CACHING_OPTIMIZED_POLICY}\"}}}}' --query 'Distribution.[Id,ARN,DomainName]' --output text"
                    ),
                    format!(
                        "# allow only the distribution to read (replace <account-id> and <distribution-id>), then update links to its domain\naws s3api put-bucket-policy --bucket {id} --policy '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"cloudfront.amazonaws.com\"}},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::{id}/*\",\"Condition\":{{\"StringEquals\":{{\"AWS:SourceArn\":\"arn:aws:cloudfront::<account-id>:distribution/<distribution-id>\"}}}}}}]}}'"
                    ),
                ],
                terraform: Some(bucket_terraform(id, region)),
            }
        }
        Origin::Instance | Origin::LoadBalancer => {
            let lookup = DnsLookup::of(id, origin, region);
            Remediation {
                lifecycle_configuration: None,
                summary: format!(
                    "Put a CloudFront distribution in front of the {} {id} (custom origin) and point clients at the distribution's domain.",
                    lookup.what
                ),
                cli: vec![
                    lookup.cli.clone(),
                    format!(
                        "aws cloudfront create-distribution --origin-domain-name \"$DOMAIN\" --default-root-object index.html --query 'Distribution.[Id,DomainName]' --output text"
                    ),
                ],
                terraform: Some(custom_origin_terraform(id, region, &lookup)),
            }
        }
    }
}

/// An origin access control name for a bucket (at most 64 characters, as CloudFront allows).
fn oac_name(bucket: &str) -> String {
    let keep = bucket.char_indices().nth(60).map_or(bucket.len(), |(i, _)| i);
    format!("{}-oac", &bucket[..keep])
}

/// The end of every distribution snippet: no geo restriction, CloudFront's default certificate
/// (the `*.cloudfront.net` domain), and the closing brace.
const DISTRIBUTION_TAIL: &str = r#"
  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
"#;

/// Terraform for a bucket origin: origin access control, distribution, and a bucket policy
/// that lets only the distribution read.
fn bucket_terraform(bucket: &str, region: &str) -> String {
    let tf = terraform_label(bucket);
    let origin_id = hcl_string(&format!("s3-{bucket}"));
    let oac = hcl_string(&oac_name(bucket));
    let description = hcl_string(&format!("CloudFront reads {bucket}"));
    let name = hcl_string(bucket);
    let domain = hcl_string(&format!("{bucket}.s3.{region}.amazonaws.com"));
    let objects = hcl_string(&format!("arn:aws:s3:::{bucket}/*"));
    format!(
        r#"resource "aws_cloudfront_origin_access_control" "{tf}" {{
  name                              = {oac}
  description                       = {description}
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}}

resource "aws_cloudfront_distribution" "{tf}" {{
  enabled         = true
  is_ipv6_enabled = true
  comment         = {name}
  price_class     = "PriceClass_100" # North America and Europe: the CloudFront rates this saving is priced at

  origin {{
    origin_id                = {origin_id}
    domain_name              = {domain}
    origin_access_control_id = aws_cloudfront_origin_access_control.{tf}.id
  }}

  default_cache_behavior {{
    target_origin_id       = {origin_id}
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    cache_policy_id        = "{CACHING_OPTIMIZED_POLICY}" # CachingOptimized (AWS managed)
  }}
{DISTRIBUTION_TAIL}
# This policy replaces the bucket's current one: carry its other statements over, and keep any
# public-read statement until every link points at the distribution's domain.
resource "aws_s3_bucket_policy" "{tf}" {{
  bucket = {name}
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{
      Sid       = "AllowCloudFrontRead"
      Effect    = "Allow"
      Principal = {{ Service = "cloudfront.amazonaws.com" }}
      Action    = "s3:GetObject"
      Resource  = {objects}
      Condition = {{
        StringEquals = {{ "AWS:SourceArn" = aws_cloudfront_distribution.{tf}.arn }}
      }}
    }}]
  }})
}}

output "{tf}_cdn_domain" {{
  description = "Point links at this domain instead of the bucket's."
  value       = aws_cloudfront_distribution.{tf}.domain_name
}}
"#
    )
}

/// Where a custom origin's public DNS name comes from, for the CLI and for Terraform.
struct DnsLookup {
    /// "instance" or "load balancer".
    what: &'static str,
    /// A short name for Terraform labels and the origin id (`i-0abc`, the load balancer's name).
    name: String,
    /// The shell command that sets `DOMAIN`.
    cli: String,
    /// The Terraform data source that reads the name.
    data: String,
    /// The Terraform expression of the name.
    domain: String,
}

impl DnsLookup {
    fn of(id: &str, origin: Origin, region: &str) -> Self {
        if origin == Origin::Instance {
            let tf = terraform_label(id);
            return DnsLookup {
                what: "instance",
                name: id.to_string(),
                cli: format!(
                    "DOMAIN=$(aws ec2 describe-instances --region {region} --instance-ids {} --query 'Reservations[0].Instances[0].PublicDnsName' --output text)",
                    shell_word(id)
                ),
                data: format!("data \"aws_instance\" \"{tf}\" {{\n  instance_id = {}\n}}\n", hcl_string(id)),
                domain: format!("data.aws_instance.{tf}.public_dns"),
            };
        }
        // ...:loadbalancer/app/<name>/<id> (Application; net/ Network), or ...:loadbalancer/<name> (Classic).
        let path = id.split_once(":loadbalancer/").map_or(id, |(_, path)| path);
        if let Some((_kind, rest)) = path.split_once('/') {
            let name = rest.split('/').next().unwrap_or(rest);
            let tf = terraform_label(name);
            DnsLookup {
                what: "load balancer",
                name: name.to_string(),
                cli: format!(
                    "DOMAIN=$(aws elbv2 describe-load-balancers --region {region} --load-balancer-arns {} --query 'LoadBalancers[0].DNSName' --output text)",
                    shell_word(id)
                ),
                data: format!("data \"aws_lb\" \"{tf}\" {{\n  arn = {}\n}}\n", hcl_string(id)),
                domain: format!("data.aws_lb.{tf}.dns_name"),
            }
        } else {
            let tf = terraform_label(path);
            DnsLookup {
                what: "load balancer",
                name: path.to_string(),
                cli: format!(
                    "DOMAIN=$(aws elb describe-load-balancers --region {region} --load-balancer-names {} --query 'LoadBalancerDescriptions[0].DNSName' --output text)",
                    shell_word(path)
                ),
                data: format!("data \"aws_elb\" \"{tf}\" {{\n  name = {}\n}}\n", hcl_string(path)),
                domain: format!("data.aws_elb.{tf}.dns_name"),
            }
        }
    }
}

/// Terraform for an instance or load balancer origin: a distribution whose custom origin is the
/// resource's AWS-assigned public DNS name, read with a data source.
fn custom_origin_terraform(id: &str, region: &str, lookup: &DnsLookup) -> String {
    let tf = terraform_label(&lookup.name);
    let prefix = if lookup.what == "instance" { "ec2" } else { "lb" };
    let origin_id = hcl_string(&format!("{prefix}-{}", lookup.name));
    let comment = hcl_string(id);
    let (data, domain, what) = (&lookup.data, &lookup.domain, lookup.what);
    let stable_name = if lookup.what == "instance" {
        "\n# The instance's public DNS name changes when it stops and starts unless it has an Elastic IP.\n"
    } else {
        "\n"
    };
    format!(
        r#"# Data sources read the provider's region: this {what} is in {region}.{stable_name}{data}
resource "aws_cloudfront_distribution" "{tf}" {{
  enabled         = true
  is_ipv6_enabled = true
  comment         = {comment}
  price_class     = "PriceClass_100" # North America and Europe: the CloudFront rates this saving is priced at

  origin {{
    origin_id   = {origin_id}
    domain_name = {domain}

    # CloudFront reaches the {what} over HTTP on port 80 (its security group must admit the
    # com.amazonaws.global.cloudfront.origin-facing prefix list): an AWS-assigned DNS name has no
    # certificate CloudFront can verify. To encrypt this leg too, point a name you own at the {what},
    # serve a certificate for it, use it as domain_name and set origin_protocol_policy = "https-only".
    custom_origin_config {{
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }}
  }}

  # CachingOptimized caches by path alone and forwards no cookies, query strings or extra headers:
  # right for the static files that make up most egress. Give paths that serve per-user or dynamic
  # responses an ordered_cache_behavior with the CachingDisabled cache policy
  # ({CACHING_DISABLED_POLICY}) and the AllViewerExceptHostHeader origin request
  # policy ({ALL_VIEWER_EXCEPT_HOST_POLICY}).
  default_cache_behavior {{
    target_origin_id       = {origin_id}
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    cache_policy_id        = "{CACHING_OPTIMIZED_POLICY}" # CachingOptimized (AWS managed)
  }}
{DISTRIBUTION_TAIL}
output "{tf}_cdn_domain" {{
  description = "Point clients at this domain instead of the {what}'s."
  value       = aws_cloudfront_distribution.{tf}.domain_name
}}
"#
    )
}

fn cross_az_findings(settings: &Settings, usage: &Usage, inventory: &Inventory, source: &PriceSource) -> Vec<Finding> {
    let mut findings = Vec::new();
    for r in usage.resources.values() {
        if r.regional_gb <= settings.cross_az_min_gb_month
            || r.regional_cost <= 0.0
            || stable(r.regional_cost) < settings.min_monthly_savings
        {
            continue;
        }
        let cost = stable(r.regional_cost);
        let (name, tags) = inventory.name_and_tags(r);
        // Without a known region the commands use the CLI's configured one.
        let region = r.region.as_deref().map_or_else(String::new, |r| format!(" --region {r}"));
        findings.push(Finding {
            rule: DataTransferOut::ID.into(),
            category: DataTransferOut::CATEGORY,
            account_id: r.account.clone(),
            region: r.region.clone(),
            resource_type: Origin::of(&r.id).map_or("resource", Origin::resource_type).into(),
            resource_id: r.id.clone(),
            resource_name: name,
            title: format!("{} GB/month of cross-AZ transfer for {} (${cost:.0}/month)", r.regional_gb.round(), r.id),
            evidence: vec![
                Evidence::quantity("cross-AZ transfer (DataTransfer-Regional-Bytes, both directions)", r.regional_gb, "GB/month"),
                Evidence::quantity(
                    "billing window",
                    usage.days,
                    format!("days ({} to {})", usage.start.format("%Y-%m-%d"), usage.end.format("%Y-%m-%d")),
                ),
                Evidence::text("cost source", "CUR: billed amortized cost of its DataTransfer-Regional-Bytes usage"),
                Evidence::monthly("cross-AZ transfer now (billed)", cost),
                Evidence::quantity("threshold (cross-az-min-gb-month)", settings.cross_az_min_gb_month, "GB/month"),
                Evidence::text(
                    "caveat",
                    "the CUR does not say which peer the traffic goes to; some of it may be replication you want",
                ),
            ],
            monthly_cost: cost,
            monthly_savings: cost,
            price_source: source.clone(),
            confidence: Confidence::Low,
            risk: Risk::NeedsTesting,
            remediation: Remediation {
 lifecycle_configuration: None,
                summary: format!(
                    "Find which peers {} exchanges traffic with across zones (VPC Flow Logs) and keep that traffic in one zone: co-locate clients with their server, use zone-aware routing, or read from a same-zone replica.",
                    r.id
                ),
                cli: if r.id.starts_with("i-") {
                    vec![format!(
                        "# flow logs show the peers; compare their subnets' zones\naws ec2 describe-flow-logs{region}\naws ec2 describe-network-interfaces{region} --filters {} --query 'NetworkInterfaces[].[NetworkInterfaceId,AvailabilityZone,SubnetId]' --output text",
                        shell_word(&format!("Name=attachment.instance-id,Values={}", r.id))
                    )]
                } else {
                    vec![format!("# flow logs show the peers; compare their subnets' zones\naws ec2 describe-flow-logs{region}")]
                },
                terraform: None,
            },
            tags,
            covers: Vec::new(),
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_egress_tiers_cross_the_10_tb_bound() {
        let tiers = Tiers::direct_egress(&PriceBook::catalog_only(), "us-east-1").unwrap();
        assert_eq!(tiers.cost(100.0), 0.0);
        // (10,240 − 100) × 0.09 + 1,000 × 0.085 = 912.6 + 85 = 997.6
        assert!((tiers.cost(11_240.0) - 997.6).abs() < 1e-9);
        assert!((tiers.marginal(50.0, 100.0) - 4.5).abs() < 1e-9, "50 GB of the free 100 left: 50 × 0.09");
    }

    #[test]
    fn cloudfront_tiers_start_after_the_free_terabyte() {
        let tiers = Tiers::cloudfront(&PriceBook::catalog_only()).unwrap();
        assert_eq!(tiers.cost(1024.0), 0.0);
        assert!((tiers.cost(2024.0) - 85.0).abs() < 1e-9);
    }

    #[test]
    fn origins_are_recognised() {
        assert_eq!(Origin::of("acme-prod-assets"), Some(Origin::Bucket));
        assert_eq!(Origin::of("i-0abc"), Some(Origin::Instance));
        assert_eq!(Origin::of("arn:aws:ec2:us-east-1:1:natgateway/nat-1"), None);
        assert_eq!(
            Origin::of("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/1"),
            Some(Origin::LoadBalancer)
        );
    }

    #[test]
    fn bad_settings_are_rejected() {
        let opts = |lookback, min, az| {
            DataTransferOut::resolve(Options {
                lookback_days: lookback,
                min_monthly_savings: min,
                cross_az_min_gb_month: az,
            })
        };
        assert!(opts(Some(3), None, None).is_err());
        assert!(opts(None, Some(-1.0), None).is_err());
        assert!(opts(None, None, Some(f64::NAN)).is_err());
        assert_eq!(opts(None, None, None).unwrap().lookback_days, 30);
    }
}
