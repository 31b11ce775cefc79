//! A tiny, hand-checkable snapshot shared by the report crate's rendering
//! tests and the workspace's end-to-end CLI tests (`tests/cli.rs` includes
//! this file by path).
//!
//! Billing: 2026-11-01 to 2026-11-16 (15 days), two accounts.
//! - EC2 in 111111111111/us-east-1: $20/day for Nov 1–8, then $40/day for Nov 9–15
//!   (last 7 days $280 against $140 the week before: +$140, +100%, a spike);
//! - S3 in 222222222222/eu-west-1: $5/day;
//! - data transfer, no region (shown as `global`): $2/day.
//!
//! Total: 8 × $27 + 7 × $47 = $545 over 15 days. With a $1,000 budget the
//! forecast is $545 + 15 days × $47 = $1,250 (+$250, +25%).
//!
//! Volumes in 111111111111/us-east-1, as of 2026-11-16:
//! - `vol-0aaa1111` gp3 100 GiB detached 2026-10-01 → 46 days, 100 × $0.08 = $8.00;
//!   its Name tag is `<script>alert(1)</script>` to prove the page escapes it;
//! - `vol-0bbb2222` gp2 200 GiB detached 2026-10-20 → 27 days, 200 × $0.10 = $20.00;
//! - `vol-0ccc3333` gp3 8 GiB in use → no finding.
//!
//! Counted savings: $28.00/month.

#![allow(dead_code)]

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use costwise_analyzer::Table;
use costwise_analyzer::manifest::{Account, DataGap, Manifest, Period, Source, SourceKind};
use costwise_analyzer::snapshot::{SnapshotInfo, SnapshotWriter};
use polars::prelude::*;

/// The Name tag (and resource name) of the first unattached volume.
pub const HOSTILE_NAME: &str = "<script>alert(1)</script>";

/// A config with a monthly budget, so the page shows the variance.
pub const BUDGET_CONFIG: &str = "[rules.spend-overview]\nmonthly-budget = 1000\n";

/// Midnight UTC on a day of 2026.
pub fn at(month: u32, day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

fn datetimes(name: &str, values: &[Option<NaiveDateTime>]) -> Column {
    let micros: Vec<Option<i64>> = values.iter().map(|v| v.map(|t| t.and_utc().timestamp_micros())).collect();
    Series::new(name.into(), micros).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap().into_column()
}

fn costs() -> DataFrame {
    let mut start = Vec::new();
    let mut account = Vec::new();
    let mut account_name = Vec::new();
    let mut region: Vec<Option<&str>> = Vec::new();
    let mut service = Vec::new();
    let mut usage_type = Vec::new();
    let mut cost = Vec::new();
    for day in 1..=15 {
        let ec2 = if day <= 8 { 20.0 } else { 40.0 };
        for (acct, name, reg, svc, usage, amount) in [
            ("111111111111", "Production", Some("us-east-1"), "AmazonEC2", "BoxUsage:m5.large", ec2),
            ("222222222222", "Staging", Some("eu-west-1"), "AmazonS3", "EUW1-TimedStorage-ByteHrs", 5.0),
            ("111111111111", "Production", None, "AWSDataTransfer", "DataTransfer-Out-Bytes", 2.0),
        ] {
            start.push(Some(at(11, day)));
            account.push(acct);
            account_name.push(name);
            region.push(reg);
            service.push(svc);
            usage_type.push(usage);
            cost.push(amount);
        }
    }
    let end: Vec<_> = start.iter().map(|s| s.map(|t| t + chrono::Duration::days(1))).collect();
    let n = cost.len();
    DataFrame::new_infer_height(vec![
        datetimes("usage_start", &start),
        datetimes("usage_end", &end),
        Column::new("account_id".into(), account),
        Column::new("account_name".into(), account_name),
        Column::new("region".into(), region),
        Column::new("service".into(), service),
        Column::new("usage_type".into(), usage_type),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), vec![1.0; n]),
        Column::new("unblended_cost".into(), cost.clone()),
        Column::new("amortized_cost".into(), cost.clone()),
        Column::new("public_on_demand_cost".into(), cost),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

fn volumes() -> DataFrame {
    let hostile_tags = serde_json::json!({ "Name": HOSTILE_NAME, "team": "data" }).to_string();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 3]),
        Column::new("region".into(), ["us-east-1"; 3]),
        Column::new("availability_zone".into(), ["us-east-1a"; 3]),
        Column::new("volume_id".into(), ["vol-0aaa1111", "vol-0bbb2222", "vol-0ccc3333"]),
        Column::new("name".into(), [Some(HOSTILE_NAME), Some("old-build-cache"), Some("web-root")]),
        Column::new("volume_type".into(), ["gp3", "gp2", "gp3"]),
        Column::new("size_gib".into(), [100i64, 200, 8]),
        Column::new("iops".into(), [Some(3000i64), Some(600), Some(3000)]),
        Column::new("throughput_mibps".into(), [Some(125i64), None, Some(125)]),
        Column::new("state".into(), ["available", "available", "in-use"]),
        datetimes("create_time", &[Some(at(3, 1)), Some(at(6, 1)), Some(at(6, 1))]),
        Column::new("attached_instance_id".into(), [None, None, Some("i-0123456789abcdef0")]),
        datetimes("detached_at", &[Some(at(10, 1)), Some(at(10, 20)), None]),
        Column::new(
            "tags".into(),
            [hostile_tags.as_str(), r#"{"Name":"old-build-cache","team":"ci"}"#, r#"{"Name":"web-root"}"#],
        ),
    ])
    .unwrap()
}

/// Writes the snapshot into `dir` (created or replaced) and returns its manifest.
pub fn write_tiny_snapshot(dir: &Path) -> Manifest {
    let mut writer = SnapshotWriter::create(dir).unwrap();
    writer.write_frame(Table::Costs, costs()).unwrap();
    writer.write_frame(Table::Volumes, volumes()).unwrap();
    writer.mark_absent(Table::Metrics, "CloudWatch metrics were not exported");
    writer
        .finish(SnapshotInfo {
            created_at: at(11, 16),
            source: Source { kind: SourceKind::Synthetic, description: "tiny test snapshot".into(), inputs: vec![] },
            accounts: vec![
                Account { id: "111111111111".into(), name: Some("Production".into()) },
                Account { id: "222222222222".into(), name: Some("Staging".into()) },
            ],
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            period: Period { start: at(11, 1), end: at(11, 16) },
            currency: "USD".into(),
            data_gaps: vec![DataGap {
                table: Some(Table::Metrics),
                account_id: None,
                region: None,
                reason: "CloudWatch metrics were not exported".into(),
            }],
        })
        .unwrap()
}

/// The analysis of the tiny snapshot with [`BUDGET_CONFIG`].
pub fn tiny_analysis() -> costwise_analyzer::Analysis {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot");
    write_tiny_snapshot(&snapshot);
    let dataset = costwise_analyzer::Dataset::open(&snapshot).unwrap();
    let config = costwise_analyzer::Config::parse(BUDGET_CONFIG, None).unwrap();
    costwise_analyzer::analyze(&dataset, &config).unwrap()
}
