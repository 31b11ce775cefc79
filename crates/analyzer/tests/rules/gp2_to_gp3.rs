//! `gp2-to-gp3` on hand-built datasets.
//!
//! Rates (us-east-1 catalog): gp2 $0.10/GB-month; gp3 $0.08/GB-month, $0.005 per IOPS-month above 3,000,
//! $0.04 per MiB/s-month above 125.

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Confidence, Config, Dataset, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "gp2-to-gp3";

/// One resource's CUR usage: region, resource id, usage type, monthly amortized cost, public rate per unit.
pub(crate) struct Billed<'a> {
    pub region: &'a str,
    pub resource_id: &'a str,
    pub usage_type: &'a str,
    pub monthly: f64,
    pub public_rate: f64,
}

/// Daily CUR lines for the 14 days before `as_of`, each day 24/730 of `monthly`: the billed figure
/// (14-day sum scaled by 730 / 336 hours) is `monthly` again.
pub(crate) fn daily_cur(as_of: NaiveDateTime, rows: &[Billed<'_>]) -> DataFrame {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut regions = Vec::new();
    let mut ids = Vec::new();
    let mut usage_types = Vec::new();
    let mut costs = Vec::new();
    let mut rates = Vec::new();
    for row in rows {
        for day in 0..14 {
            let start = as_of - Duration::days(14 - day);
            starts.push(Some(start));
            ends.push(Some(start + Duration::days(1)));
            regions.push(row.region);
            ids.push(row.resource_id);
            usage_types.push(row.usage_type);
            costs.push(row.monthly * 24.0 / 730.0);
            rates.push(row.public_rate);
        }
    }
    let n = starts.len();
    let usage: Vec<f64> = costs.iter().zip(&rates).map(|(c, r)| c / r).collect();
    DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &starts),
        datetime_series("usage_end", &ends),
        Column::new("account_id".into(), vec!["111111111111"; n]),
        Column::new("region".into(), regions),
        Column::new("service".into(), vec!["AmazonEC2"; n]),
        Column::new("usage_type".into(), usage_types),
        Column::new("resource_id".into(), ids),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), usage),
        Column::new("unblended_cost".into(), costs.clone()),
        Column::new("amortized_cost".into(), costs.clone()),
        Column::new("public_on_demand_cost".into(), costs),
        Column::new("public_on_demand_rate".into(), rates),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

/// Volumes as of 2026-11-01:
/// - vol-g20    gp2 20 GiB in-use: gp2 20 × 0.10 = $2.00; gp3 3,000 IOPS / 125 MiB/s, 20 × 0.08 = $1.60 → $0.40
/// - vol-g300   gp2 300 GiB in-use: $30.00 − 300 × 0.08 = $24.00 → $6.00 (171–333 GiB: 250 MiB/s only on burst credits)
/// - vol-g2000  gp2 2,000 GiB in-use: $200.00; gp3 6,000 IOPS, 250 MiB/s: 160 + 3,000 × 0.005 + 125 × 0.04
///   = 160 + 15 + 5 = $180.00 → $20.00
/// - vol-g6000  gp2 6,000 GiB available: $600.00; gp3 16,000 IOPS (gp2's cap), 250 MiB/s: 480 + 13,000 × 0.005 + 5
///   = 480 + 65 + 5 = $550.00 → $50.00
/// - vol-geu    eu-west-1 gp2 50 GiB, billed $5.50/month in the CUR at a public rate of $0.11 (ratio 1.1 to the
///   catalog, so eu-west-1 gp3 is 0.08 × 1.1 = $0.088): $5.50 − 50 × 0.088 = $5.50 − $4.40 → $1.10
///
/// Traps: vol-gp3 (already gp3), vol-gdel (gp2, deleting), vol-gdisc (gp2 20 GiB billed at a private $1.00/month:
/// gp3's $1.60 list is dearer → no saving, no finding).
fn dataset() -> Dataset {
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 8]),
        Column::new(
            "region".into(),
            ["us-east-1", "us-east-1", "us-east-1", "us-east-1", "eu-west-1", "us-east-1", "us-east-1", "us-east-1"],
        ),
        Column::new(
            "volume_id".into(),
            ["vol-g20", "vol-g300", "vol-g2000", "vol-g6000", "vol-geu", "vol-gp3", "vol-gdel", "vol-gdisc"],
        ),
        Column::new(
            "name".into(),
            [Some("web-root"), Some("db-data"), None, Some("archive"), None, None, None, Some("discounted")],
        ),
        Column::new("volume_type".into(), ["gp2", "gp2", "gp2", "gp2", "gp2", "gp3", "gp2", "gp2"]),
        Column::new("size_gib".into(), [20i64, 300, 2000, 6000, 50, 100, 100, 20]),
        Column::new(
            "iops".into(),
            [Some(100i64), Some(900), Some(6000), Some(16000), Some(150), Some(3000), Some(300), Some(100)],
        ),
        Column::new(
            "state".into(),
            ["in-use", "in-use", "in-use", "available", "in-use", "in-use", "deleting", "in-use"],
        ),
        Column::new(
            "attached_instance_id".into(),
            [Some("i-web"), Some("i-db"), Some("i-big"), None, Some("i-eu"), Some("i-web"), None, Some("i-disc")],
        ),
        Column::new(
            "tags".into(),
            [r#"{"team":"web"}"#, r#"{"costwise:ignore":"true"}"#, "{}", "{}", "{}", "{}", "{}", "{}"],
        ),
    ])
    .unwrap();
    let as_of = at(11, 1);
    let costs = daily_cur(
        as_of,
        &[
            Billed {
                region: "eu-west-1",
                resource_id: "vol-geu",
                usage_type: "EUW1-EBS:VolumeUsage.gp2",
                monthly: 5.5,
                public_rate: 0.11,
            },
            Billed {
                region: "us-east-1",
                resource_id: "vol-gdisc",
                usage_type: "EBS:VolumeUsage.gp2",
                monthly: 1.0,
                public_rate: 0.10,
            },
        ],
    );
    Dataset::from_frames(manifest(at(10, 1), as_of), [(Table::Volumes, volumes), (Table::Costs, costs)]).unwrap()
}

fn savings_of(config: &Config) -> Vec<(String, f64)> {
    let analysis = analyze(&dataset(), config).unwrap();
    findings_of(&analysis, RULE).into_iter().map(|f| (f.resource_id, f.monthly_savings)).collect()
}

fn assert_savings(actual: &[(String, f64)], expected: &[(&str, f64)]) {
    let ids: Vec<&str> = actual.iter().map(|(id, _)| id.as_str()).collect();
    let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, expected_ids);
    for ((id, got), (_, want)) in actual.iter().zip(expected) {
        assert!((got - want).abs() < 1e-9, "{id}: {got} != {want}");
    }
}

#[test]
fn gp2_volumes_are_priced_against_a_gp3_matching_their_baseline() {
    let analysis = analyze(&dataset(), &Config::default()).unwrap();
    assert!(analysis.errors.iter().all(|e| e.rule != RULE), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    let savings: Vec<(String, f64)> = findings.iter().map(|f| (f.resource_id.clone(), f.monthly_savings)).collect();
    assert_savings(
        &savings,
        &[("vol-g6000", 50.0), ("vol-g2000", 20.0), ("vol-g300", 6.0), ("vol-geu", 1.1), ("vol-g20", 0.4)],
    );

    let eu = by_id(&findings, "vol-geu");
    assert!((eu.monthly_cost - 5.5).abs() < 1e-9, "the CUR's billed cost, not the list price");
    assert_eq!(eu.price_source.origin, PriceOrigin::Billed);
    assert!(eu.price_source.detail.contains("gp3 cost: region-scaled"), "{}", eu.price_source.detail);
    let small = by_id(&findings, "vol-g20");
    assert_eq!(small.price_source.origin, PriceOrigin::Catalog);
    assert!(small.remediation.cli[0].ends_with("--volume-type gp3 --iops 3000 --throughput 125"));
    let big = by_id(&findings, "vol-g2000");
    assert!(big.remediation.cli[0].ends_with("--iops 6000 --throughput 250"), "{}", big.remediation.cli[0]);
    assert!(by_id(&findings, "vol-g6000").remediation.cli[0].contains("--iops 16000"));
    for f in &findings {
        assert_eq!((f.risk, f.confidence), (Risk::NonDisruptive, Confidence::High), "{}", f.resource_id);
        assert!(f.remediation.terraform.as_deref().unwrap().contains("type       = \"gp3\""));
    }
    insta::assert_json_snapshot!("gp2_to_gp3_findings", findings);
}

#[test]
fn gp3_deleting_and_cheaper_billed_gp2_volumes_are_not_flagged() {
    let ids: Vec<String> = savings_of(&Config::default()).into_iter().map(|(id, _)| id).collect();
    for trap in ["vol-gp3", "vol-gdel", "vol-gdisc"] {
        assert!(!ids.iter().any(|id| id == trap), "{trap} flagged: {ids:?}");
    }
}

#[test]
fn gp2_needs_no_metrics_and_nothing_without_a_volumes_table() {
    let analysis = analyze(&dataset(), &Config::default()).unwrap();
    assert!(analysis.not_enough_data.iter().all(|s| s.rule != RULE), "size alone decides: nothing is skipped");

    let empty = Dataset::from_frames(manifest(at(10, 1), at(11, 1)), []).unwrap();
    let analysis = analyze(&empty, &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert!(analysis.errors.iter().all(|e| e.rule != RULE), "{:?}", analysis.errors);
    insta::assert_json_snapshot!("gp2_to_gp3_empty", findings);
}

/// With `match-burst-throughput`, vol-g300 (171–333 GiB) gets 250 MiB/s: 24 + 125 × 0.04 = $29.00 → $1.00.
#[test]
fn match_burst_throughput_provisions_250_mibps_from_171_gib() {
    let config = Config::parse("[rules.gp2-to-gp3]\nmatch-burst-throughput = true", None).unwrap();
    assert_savings(
        &savings_of(&config),
        &[("vol-g6000", 50.0), ("vol-g2000", 20.0), ("vol-geu", 1.1), ("vol-g300", 1.0), ("vol-g20", 0.4)],
    );
    assert!(Config::parse("[rules.gp2-to-gp3]\nmatch-burst = true", None).is_err(), "unknown keys are rejected");
}

#[test]
fn gp2_findings_honour_tag_exclusions() {
    let config = Config::parse("[exclusions]\ntags = [\"costwise:ignore=true\"]", None).unwrap();
    let analysis = analyze(&dataset(), &config).unwrap();
    let ids: Vec<String> = findings_of(&analysis, RULE).into_iter().map(|f| f.resource_id).collect();
    assert_eq!(ids, ["vol-g6000", "vol-g2000", "vol-geu", "vol-g20"], "vol-g300 is tagged costwise:ignore=true");
}
