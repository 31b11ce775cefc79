//! Rule behaviour on small, hand-built datasets whose right answers are
//! computed by hand in the comments next to each dataset. One module per rule;
//! the foundation's rules live here.

mod common;
mod data_transfer_out;
mod ec2_rightsizing;
mod expiring_commitment;
mod gp2_to_gp3;
mod idle_elastic_ip;
mod idle_instance;
mod idle_load_balancer;
mod idle_nat_gateway;
mod io1_to_gp3;
mod orphaned_ebs_snapshot;
mod previous_generation_instance;
mod reserved_instance_purchase;
mod s3_incomplete_multipart_uploads;
mod s3_lifecycle_tiering;
mod s3_noncurrent_versions;
mod savings_plan_purchase;
mod stopped_instance;
mod underused_reservation;
mod unused_ami;

use chrono::NaiveDateTime;
use common::{at, by_id, datetime_series, findings_of, manifest};
use costwise_analyzer::Confidence::{High, Low, Medium};
use costwise_analyzer::{Config, Dataset, Table, analyze};
use polars::prelude::*;

/// Volumes as of 2026-11-01:
/// - vol-a gp3 100 GiB, detached 2026-10-01 → 31 days, 100 × $0.08 = $8.00 (high confidence)
/// - vol-b io1 50 GiB, 1,000 IOPS, last EBS datapoint 2026-10-10 01:00 → 21 days, 50 × 0.125 + 1,000 × 0.065 = $71.25
/// - vol-c gp2 200 GiB created 2026-09-01, no datapoints in a window starting 2026-10-01 → ≥ 31 days, $20.00 (medium)
/// - vol-d gp3 500 GiB detached 2026-10-29 → 3 days: below the 7-day default, not reported
/// - vol-e in-use → not reported
/// - vol-f eu-west-1 gp3 1,000 GiB, 6,000 IOPS, 250 MiB/s, detached 2026-09-01. The CUR bills it for one day
///   (2026-10-31, $88/30): billed cost = that day scaled from its 24 observed hours (first billed inside the
///   14-day window 2026-10-18..11-01) to 730 h: 88 / 30 × 730 / 24 = $89.2222 (rounded to 1/100 cent), the
///   finding's cost and savings. The evidence keeps the list-price breakdown: the CUR shows eu-west-1 gp3 at
///   $0.088/GB-month (ratio 1.1 to us-east-1), so 1,000 × 0.088 + 3,000 × 0.005 × 1.1 + 125 × 0.04 × 1.1
///   = 88 + 16.5 + 5.5 = $110.00 at list price.
fn volumes_dataset(with_metrics: bool) -> Dataset {
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 6]),
        Column::new("region".into(), ["us-east-1", "us-east-1", "us-east-1", "us-east-1", "us-east-1", "eu-west-1"]),
        Column::new("volume_id".into(), ["vol-a", "vol-b", "vol-c", "vol-d", "vol-e", "vol-f"]),
        Column::new("name".into(), [Some("old-db-data"), None, Some("scratch"), None, Some("root"), None]),
        Column::new("volume_type".into(), ["gp3", "io1", "gp2", "gp3", "gp3", "gp3"]),
        Column::new("size_gib".into(), [100i64, 50, 200, 500, 8, 1000]),
        Column::new("iops".into(), [Some(3000i64), Some(1000), Some(600), Some(3000), Some(3000), Some(6000)]),
        Column::new("throughput_mibps".into(), [Some(125i64), None, None, Some(125), Some(125), Some(250)]),
        Column::new("state".into(), ["available", "available", "available", "available", "in-use", "available"]),
        datetime_series(
            "create_time",
            &[Some(at(1, 5)), Some(at(3, 1)), Some(at(9, 1)), Some(at(6, 1)), Some(at(6, 1)), Some(at(2, 1))],
        ),
        datetime_series("detached_at", &[Some(at(10, 1)), None, None, Some(at(10, 29)), None, Some(at(9, 1))]),
        Column::new(
            "tags".into(),
            [r#"{"team":"data"}"#, "{}", r#"{"team":"<script>alert(1)</script>"}"#, "{}", "{}", r#"{"env":"prod"}"#],
        ),
    ])
    .unwrap();
    // One CUR line that teaches the price book eu-west-1's gp3 rate.
    let costs = DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &[Some(at(10, 31))]),
        datetime_series("usage_end", &[Some(at(11, 1))]),
        Column::new("account_id".into(), ["111111111111"]),
        Column::new("region".into(), ["eu-west-1"]),
        Column::new("service".into(), ["AmazonEC2"]),
        Column::new("usage_type".into(), ["EUW1-EBS:VolumeUsage.gp3"]),
        Column::new("resource_id".into(), ["vol-f"]),
        Column::new("line_item_type".into(), ["Usage"]),
        Column::new("usage_amount".into(), [1000.0 / 30.0]),
        Column::new("unblended_cost".into(), [88.0 / 30.0]),
        Column::new("amortized_cost".into(), [88.0 / 30.0]),
        Column::new("public_on_demand_cost".into(), [88.0 / 30.0]),
        Column::new("public_on_demand_rate".into(), [0.088]),
        Column::new("currency".into(), ["USD"]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    let mut frames = vec![(Table::Volumes, volumes), (Table::Costs, costs)];
    if with_metrics {
        let metrics = DataFrame::new_infer_height(vec![
            Column::new("resource_id".into(), ["vol-b", "vol-b", "vol-e"]),
            Column::new("namespace".into(), ["AWS/EBS"; 3]),
            Column::new("metric".into(), ["VolumeReadOps"; 3]),
            Column::new("statistic".into(), ["Sum"; 3]),
            datetime_series("period_start", &[Some(at(10, 1)), Some(at(10, 10)), Some(at(10, 31))]),
            Column::new("period_seconds".into(), [3600i64; 3]),
            Column::new("value".into(), [12.0, 3.0, 40.0]),
        ])
        .unwrap();
        frames.push((Table::Metrics, metrics));
    }
    Dataset::from_frames(manifest(at(10, 1), at(11, 1)), frames).unwrap()
}

#[test]
fn unattached_volumes_are_priced_in_full_with_the_best_evidence() {
    let analysis = analyze(&volumes_dataset(true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, "unattached-ebs-volume");
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, ["vol-f", "vol-b", "vol-c", "vol-a"], "sorted by savings; vol-d too recent, vol-e in use");

    let expected = [("vol-a", 8.0), ("vol-b", 71.25), ("vol-c", 20.0), ("vol-f", 89.2222)];
    for (id, dollars) in expected {
        let f = by_id(&findings, id);
        assert!((f.monthly_savings - dollars).abs() < 1e-9, "{id}: {} != {dollars}", f.monthly_savings);
        assert_eq!(f.monthly_cost, f.monthly_savings, "{id}: deleting saves the whole cost");
    }
    assert_eq!(by_id(&findings, "vol-a").confidence, High);
    assert_eq!(by_id(&findings, "vol-b").confidence, High);
    assert_eq!(by_id(&findings, "vol-c").confidence, Medium);
    let f = by_id(&findings, "vol-f");
    assert_eq!(f.price_source.origin, costwise_analyzer::prices::PriceOrigin::Billed);
    let list_total = f.evidence.iter().find(|e| e.label == "list price total").expect("list-price breakdown kept");
    assert_eq!(list_total.value, costwise_analyzer::EvidenceValue::Money { amount: 110.0, per: Some("month".into()) });
    assert!(f.evidence.iter().any(|e| e.label == "final snapshot, at most (standard tier)"));
    // 8 + 71.25 + 20 + 89.2222; the gp2-to-gp3 finding on vol-c overlaps its unattached finding and is not counted.
    assert!((analysis.totals.monthly_savings - 188.4722).abs() < 1e-9);

    insta::assert_json_snapshot!("unattached_ebs_volume_findings", findings);
}

#[test]
fn without_metrics_the_creation_date_is_a_low_confidence_lower_bound() {
    let analysis = analyze(&volumes_dataset(false), &Config::default()).unwrap();
    let findings = findings_of(&analysis, "unattached-ebs-volume");
    let c = by_id(&findings, "vol-c");
    assert_eq!(c.confidence, Low);
    assert!(c.title.contains("61 days"), "created 2026-09-01, as of 2026-11-01: {}", c.title);
    // vol-b has no detach record and no metrics now: it is reported from its creation date.
    assert_eq!(by_id(&findings, "vol-b").confidence, Low);
}

#[test]
fn min_days_setting_and_exclusions_apply() {
    let config = Config::parse(
        r#"
        [rules.unattached-ebs-volume]
        min-days-unattached = 25
        [exclusions]
        tags = ["env=prod"]
        resources = ["vol-zzz"]
        "#,
        None,
    )
    .unwrap();
    let analysis = analyze(&volumes_dataset(true), &config).unwrap();
    let ids: Vec<String> = findings_of(&analysis, "unattached-ebs-volume").into_iter().map(|f| f.resource_id).collect();
    assert_eq!(ids, ["vol-c", "vol-a"], "vol-b (21 days) below 25; vol-f excluded by tag");
    let tag = &analysis.exclusions[0];
    assert_eq!((tag.matched_findings, tag.matches_snapshot), (1, true));
    let typo = &analysis.exclusions[1];
    assert_eq!((typo.value.as_str(), typo.matched_findings, typo.matches_snapshot), ("vol-zzz", 0, false));
}

/// Two unattached volumes the rule cannot judge, and one in use:
/// - vol-x: no detach record, no creation time, and no EBS metrics were collected → age unknown
/// - vol-y: unattached since 2026-09-01 but of a type the price book does not know (`io9`) and not in the CUR
/// - vol-z: in use → not a candidate at all
fn unjudgeable_volumes() -> Dataset {
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 3]),
        Column::new("region".into(), ["us-east-1"; 3]),
        Column::new("volume_id".into(), ["vol-x", "vol-y", "vol-z"]),
        Column::new("volume_type".into(), ["gp3", "io9", "gp3"]),
        Column::new("size_gib".into(), [10i64, 10, 10]),
        Column::new("state".into(), ["available", "available", "in-use"]),
        datetime_series("create_time", &[None, Some(at(9, 1)), Some(at(9, 1))]),
        Column::new("tags".into(), ["{}"; 3]),
    ])
    .unwrap();
    Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::Volumes, volumes)]).unwrap()
}

#[test]
fn volumes_without_an_age_or_a_price_are_not_enough_data_never_findings() {
    let analysis = analyze(&unjudgeable_volumes(), &Config::default()).unwrap();
    assert!(findings_of(&analysis, "unattached-ebs-volume").is_empty());
    let skipped: Vec<(&str, &str)> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == "unattached-ebs-volume")
        .map(|s| (s.skipped.resource_id.as_str(), s.skipped.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "vol-x");
    assert!(skipped[0].1.contains("no detach record"), "{}", skipped[0].1);
    assert_eq!(skipped[1].0, "vol-y");
    assert!(skipped[1].1.contains("`io9`"), "{}", skipped[1].1);
    let run = analysis.rules.iter().find(|r| r.id == "unattached-ebs-volume").unwrap();
    assert_eq!((run.findings, run.not_enough_data), (0, 2));
    insta::assert_json_snapshot!("unattached_ebs_volume_not_enough_data", analysis.not_enough_data);
}

#[test]
fn attached_volumes_give_an_empty_result() {
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("volume_id".into(), ["vol-z"]),
        Column::new("volume_type".into(), ["gp3"]),
        Column::new("size_gib".into(), [10i64]),
        Column::new("state".into(), ["in-use"]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    let dataset = Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::Volumes, volumes)]).unwrap();
    let analysis = analyze(&dataset, &Config::default()).unwrap();
    insta::assert_json_snapshot!("unattached_ebs_volume_empty", findings_of(&analysis, "unattached-ebs-volume"));
    assert!(analysis.not_enough_data.is_empty());
}

/// Daily costs 2026-10-26 .. 2026-11-14 (20 days, as of 2026-11-15):
/// EC2 $10/day, rising to $20/day for the last 7 days (Nov 8–14); S3 $5/day throughout.
/// - last 30 days = the whole 20 days: EC2 13 × 10 + 7 × 20 = 270, S3 100 → 370; run rate 370 / 20 × 30.4167 = 562.71
/// - week over week: EC2 70 → 140 (+70, +100 %), S3 35 → 35
/// - November to date (14 days): EC2 7 × 10 + 7 × 20 = 210, S3 70 → 280; last-7-day rate 25/day;
///   forecast 280 + 25 × 16 = 680; budget 600 → over by 80
fn spend_dataset() -> Dataset {
    let mut starts = Vec::new();
    let mut services = Vec::new();
    let mut costs = Vec::new();
    for day in 0..20 {
        let start = at(10, 26) + chrono::Duration::days(day);
        starts.push(Some(start));
        services.push("AmazonEC2");
        costs.push(if day >= 13 { 20.0 } else { 10.0 });
        starts.push(Some(start));
        services.push("AmazonS3");
        costs.push(5.0);
    }
    let ends: Vec<Option<NaiveDateTime>> = starts.iter().map(|s| s.map(|s| s + chrono::Duration::days(1))).collect();
    let n = starts.len();
    let frame = DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &starts),
        datetime_series("usage_end", &ends),
        Column::new("account_id".into(), vec!["111111111111"; n]),
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("service".into(), services),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), vec![1.0; n]),
        Column::new("unblended_cost".into(), costs.clone()),
        Column::new("amortized_cost".into(), costs.clone()),
        Column::new("public_on_demand_cost".into(), costs),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap();
    Dataset::from_frames(manifest(at(10, 26), at(11, 15)), [(Table::Costs, frame)]).unwrap()
}

#[test]
fn spend_overview_breaks_down_trends_and_forecasts() {
    let config = Config::parse("[rules.spend-overview]\nmonthly-budget = 600", None).unwrap();
    let analysis = analyze(&spend_dataset(), &config).unwrap();
    let spend = analysis.spend.as_ref().expect("spend overview");
    assert!((spend.window_cost - 370.0).abs() < 1e-9);
    assert!((spend.monthly_run_rate - 370.0 / 20.0 * 730.0 / 24.0).abs() < 1e-4, "rounded to 1/100 cent");
    assert_eq!(spend.by_service[0].key, "AmazonEC2");
    assert_eq!(spend.daily.len(), 20);
    let ec2 = &spend.week_over_week[0];
    assert_eq!((ec2.service.as_str(), ec2.previous_week, ec2.last_week), ("AmazonEC2", 70.0, 140.0));
    let mtd = &spend.month_to_date;
    assert_eq!((mtd.cost_to_date, mtd.forecast, mtd.forecast_variance), (280.0, 680.0, Some(80.0)));

    let findings = findings_of(&analysis, "spend-overview");
    let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        titles,
        ["EC2 spend up +100% week over week (+$70/week)", "November 2026 forecast to exceed the $600 budget by $80"]
    );
    assert!(findings.iter().all(|f| f.monthly_savings == 0.0), "alerts never inflate the headline");
    assert_eq!(analysis.totals.monthly_savings, 0.0);
    insta::assert_json_snapshot!("spend_overview", (spend, findings));
}

#[test]
fn disabled_rules_do_not_run_and_say_so() {
    let dataset = volumes_dataset(true);
    let disabled = Config::parse("[rules]\ndisable = [\"unattached-ebs-volume\"]", None).unwrap();
    let analysis = analyze(&dataset, &disabled).unwrap();
    assert!(findings_of(&analysis, "unattached-ebs-volume").is_empty());
    let run = analysis.rules.iter().find(|r| r.id == "unattached-ebs-volume").unwrap();
    assert_eq!(run.status, costwise_analyzer::analysis::RuleStatus::Disabled);
}
mod s3_inventory_tiering;
