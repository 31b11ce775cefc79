//! The demo oracle's `heavy-s3-egress` saving, re-derived independently.
//!
//! Reads the committed snapshot's CUR lines (`fixtures/demo/costs.parquet`,
//! straight from the file) over the 30 days before the oracle's `as_of`,
//! scales them to 730 hours, prices the bucket's internet egress behind
//! CloudFront with the rates of the bundled price catalog (read as text from
//! `crates/analyzer/data/aws-list-prices-us-east-1.toml`), and checks that the
//! oracle's `expected_monthly_savings` for `acme-prod-assets` is exactly that:
//! what the CUR bills for its `DataTransfer-Out-Bytes` now, minus CloudFront's
//! US/Europe data transfer (1 TB a month free, TB = 1,024 GB) and its HTTPS
//! request fee (one request per S3 GET, 10 million a month free). Shares no
//! code with the generator or the `data-transfer-out` rule.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde_json::Value;

const BUCKET: &str = "acme-prod-assets";
const USAGE_LINES: [&str; 3] = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One `key = value` of a `[section]` of the price catalog.
fn catalog(section: &str, key: &str) -> f64 {
    let text = std::fs::read_to_string(repo().join("crates/analyzer/data/aws-list-prices-us-east-1.toml")).unwrap();
    let body = text.split(&format!("[{section}]\n")).nth(1).unwrap_or_else(|| panic!("no [{section}]"));
    body.lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == key))
        .map_or_else(|| panic!("no {section}.{key}"), |(_, v)| v.split('#').next().unwrap().trim().parse().unwrap())
}

/// Cost of `gb` GB a month on a card: `free` GB free, then (upper bound GB, $/GB) bands.
fn tiered(free: f64, bands: &[(f64, f64)], gb: f64) -> f64 {
    let mut lower = free;
    let mut cost = 0.0;
    for &(upper, rate) in bands {
        if gb > lower && upper > lower {
            cost += (gb.min(upper) - lower) * rate;
        }
        lower = lower.max(upper);
    }
    cost
}

fn strs(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name).unwrap().str().unwrap().iter().map(|s| s.unwrap_or_default().to_owned()).collect()
}

fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name).unwrap().f64().unwrap().iter().map(|v| v.unwrap_or(0.0)).collect()
}

#[test]
#[allow(clippy::too_many_lines)] // one derivation, top to bottom
fn oracle_heavy_s3_egress_saving_is_billed_egress_minus_cloudfront() {
    let oracle: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("fixtures/demo-oracle.json")).unwrap()).unwrap();
    let entry = oracle["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "heavy-s3-egress" && e["resource_id"] == BUCKET)
        .expect("the oracle plants heavy-s3-egress on acme-prod-assets");
    let account = entry["account_id"].as_str().unwrap();
    let want = entry["expected_monthly_savings"].as_f64().expect("the oracle prices heavy-s3-egress");

    // The window: the 30 days before the snapshot's end, scaled to 730 hours.
    let as_of: NaiveDateTime = oracle["as_of"].as_str().unwrap().parse().unwrap();
    let end_us = as_of.and_utc().timestamp_micros();
    let start_us = (as_of - chrono::Duration::days(30)).and_utc().timestamp_micros();
    let scale = 730.0 / (30.0 * 24.0);

    let costs = ParquetReader::new(File::open(repo().join("fixtures/demo/costs.parquet")).unwrap()).finish().unwrap();
    let starts: Vec<i64> =
        costs.column("usage_start").unwrap().datetime().unwrap().physical().iter().map(|v| v.unwrap()).collect();
    let (payer, acct, service) =
        (strs(&costs, "payer_account_id"), strs(&costs, "account_id"), strs(&costs, "service"));
    let (usage_type, resource, line) =
        (strs(&costs, "usage_type"), strs(&costs, "resource_id"), strs(&costs, "line_item_type"));
    let (amount, amortized) = (floats(&costs, "usage_amount"), floats(&costs, "amortized_cost"));

    // Per (payer, account, resource): internet egress GB and its billed cost; the bucket's GETs.
    let mut egress: BTreeMap<(String, String, String), (f64, f64)> = BTreeMap::new();
    let mut gets = 0.0;
    let mut cloudfront_lines = 0;
    for i in 0..costs.height() {
        if starts[i] < start_us || starts[i] >= end_us || !USAGE_LINES.contains(&line[i].as_str()) {
            continue;
        }
        if service[i] == "AmazonCloudFront" {
            cloudfront_lines += 1;
        } else if usage_type[i].contains("DataTransfer-Out-Bytes") {
            let (gb, cost) = egress.entry((payer[i].clone(), acct[i].clone(), resource[i].clone())).or_default();
            *gb += amount[i];
            *cost += amortized[i];
        } else if service[i] == "AmazonS3"
            && usage_type[i].ends_with("Requests-Tier2")
            && acct[i] == account
            && resource[i] == BUCKET
        {
            gets += amount[i];
        }
    }
    assert_eq!(cloudfront_lines, 0, "the demo has no CloudFront yet: its free tiers are all the bucket's");

    let key =
        egress.keys().find(|(_, a, r)| a == account && r == BUCKET).expect("the bucket has internet egress").clone();
    let pool = key.0.clone();
    let (gb, billed) = egress[&key];
    let (gb, billed, gets) = (gb * scale, billed * scale, gets * scale);
    // The rule moves the payer's largest egress to CloudFront first: the bucket must be it, so the
    // CloudFront tiers and free tiers start at zero for it.
    for (k, (other, _)) in &egress {
        assert!(k == &key || k.0 != pool || other * scale < gb, "{k:?} has more egress than {BUCKET}");
    }
    let others: f64 = egress.iter().filter(|(k, _)| k.0 == pool && **k != key).map(|(_, (g, _))| g * scale).sum();

    // Direct internet egress at list price, tiers and the 100 GB free tier pooled by the payer: the
    // bucket's margin on top of the payer's other egress. The CUR bills every GB at the first tier's
    // rate, so with more than 100 GB of other egress the margin is the billed cost.
    let tb = 1024.0;
    let egress_bands = [
        (10.0 * tb, catalog("ec2_network", "data_transfer_out_gb_first_10tb")),
        (50.0 * tb, catalog("ec2_network", "data_transfer_out_gb_next_40tb")),
        (150.0 * tb, catalog("ec2_network", "data_transfer_out_gb_next_100tb")),
        (f64::INFINITY, catalog("ec2_network", "data_transfer_out_gb_over_150tb")),
    ];
    let egress_free = catalog("ec2_network", "data_transfer_out_free_gb_month");
    let list = tiered(egress_free, &egress_bands, others + gb) - tiered(egress_free, &egress_bands, others);
    assert!(others > egress_free, "the payer's other egress uses up the free tier: {others} GB");
    assert!((list - billed).abs() < 1e-6, "list ${list} vs billed ${billed}");
    assert!((billed - gb * 0.09).abs() < 1e-6, "billed at $0.09/GB: ${billed} for {gb} GB");

    // CloudFront: US/Europe tiers with 1 TB a month free, HTTPS requests beyond 10 million free.
    let cloudfront_bands = [
        (10.0 * tb, catalog("cloudfront", "us_eu_gb_first_10tb")),
        (50.0 * tb, catalog("cloudfront", "us_eu_gb_next_40tb")),
        (150.0 * tb, catalog("cloudfront", "us_eu_gb_next_100tb")),
        (f64::INFINITY, catalog("cloudfront", "us_eu_gb_next_350tb")),
    ];
    let transfer = tiered(catalog("cloudfront", "free_gb_month"), &cloudfront_bands, gb);
    let free_requests = catalog("cloudfront", "free_https_requests_month");
    let requests = (gets - free_requests).max(0.0) / 10_000.0 * catalog("cloudfront", "https_requests_per_10k");
    let savings = billed - transfer - requests;

    // Hand check of the shape: ~5,324 GB a month (6 GB/h, 12 GB/h in the last 7 days, diurnal) and
    // ~86M GETs (120,000/h): 5,324 × 0.09 = $479.17; (5,324 − 1,024) × 0.085 = $365.51;
    // (86.0M − 10M) / 10,000 × $0.01 = $75.98; savings $37.68.
    assert!((gb - 5324.1).abs() < 0.1, "{gb} GB/month");
    assert!((gets - 85_979_031.0).abs() < 1.0, "{gets} GETs/month");
    assert!((savings - 37.68).abs() < 0.005, "${savings}/month");
    assert!((want - savings).abs() < 1e-5, "oracle ${want}/month, recomputed ${savings}/month");
}
