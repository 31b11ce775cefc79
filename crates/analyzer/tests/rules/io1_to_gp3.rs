//! `io1-to-gp3` on hand-built datasets.
//!
//! Rates (us-east-1 catalog): io1/io2 $0.125/GB-month + $0.065/IOPS-month (io2's first 32,000);
//! gp3 $0.08/GB-month, $0.005 per IOPS-month above 3,000, $0.04 per MiB/s-month above 125.
//! gp3 keeps the io volume's IOPS (at least 3,000) and provisions the throughput the workload can have used
//! × 1.2: its byte peak, else its IOPS peak × 0.25 MiB (256 KiB per I/O); at least 125, at most the io volume's
//! ceiling (0.25 MiB/s per IOPS, at most 500 for io1).

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Analysis, Confidence, Config, Dataset, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};
use crate::gp2_to_gp3::{Billed, daily_cur};

const RULE: &str = "io1-to-gp3";
const MIB: f64 = 1_048_576.0;

/// Hourly `AWS/EBS` Sum datapoints.
#[derive(Default)]
struct Metrics {
    ids: Vec<String>,
    names: Vec<&'static str>,
    starts: Vec<Option<NaiveDateTime>>,
    values: Vec<f64>,
}

impl Metrics {
    /// `days` days of hourly datapoints ending at `as_of`; `per_second(hour)` is the rate, the datapoint its hourly sum.
    fn hourly(
        &mut self,
        id: &str,
        metric: &'static str,
        as_of: NaiveDateTime,
        days: i64,
        per_second: impl Fn(i64) -> f64,
    ) {
        for hour in 0..days * 24 {
            self.ids.push(id.to_owned());
            self.names.push(metric);
            self.starts.push(Some(as_of - Duration::days(days) + Duration::hours(hour)));
            self.values.push(per_second(hour) * 3600.0);
        }
    }

    fn frame(self) -> DataFrame {
        let n = self.ids.len();
        DataFrame::new_infer_height(vec![
            Column::new("resource_id".into(), self.ids),
            Column::new("namespace".into(), vec!["AWS/EBS"; n]),
            Column::new("metric".into(), self.names),
            Column::new("statistic".into(), vec!["Sum"; n]),
            datetime_series("period_start", &self.starts),
            Column::new("period_seconds".into(), vec![3600i64; n]),
            Column::new("value".into(), self.values),
        ])
        .unwrap()
    }
}

/// Volumes as of 2026-11-01 (lookback 14 days, headroom 20 %):
/// - vol-io1a  io1 100 GiB, 4,000 IOPS; reads 1,000 + writes 200 IOPS, one hour at 1,300 + 200 = 1,500 (peak);
///   80 + 20 MiB/s, one hour at 200 MiB/s. Now 100 × 0.125 + 4,000 × 0.065 = 12.50 + 260 = $272.50.
///   gp3 4,000 IOPS, min(500 ceiling, 200 × 1.2) = 240 MiB/s: 8 + 1,000 × 0.005 + 115 × 0.04 = 8 + 5 + 4.60
///   = $17.60 → $254.90
/// - vol-io2a  io2 200 GiB, 10,000 IOPS; 2,500 IOPS, one hour at 3,000; no byte metrics. Now 25 + 650 = $675.00.
///   gp3 10,000 IOPS, 3,000 × 1.2 × 0.25 = 900 MiB/s: 16 + 7,000 × 0.005 + 775 × 0.04 = 16 + 35 + 31 = $82.00
///   → $593.00 (needs testing)
/// - vol-io1b  eu-west-1 io1 50 GiB, 1,000 IOPS, billed $78.375/month; its CUR rate $0.1375/GB-month is 1.1 × the
///   catalog, so eu-west-1 gp3 is 1.1 × list: 3,000 IOPS, 800 × 1.2 × 0.25 = 240 MiB/s (under its 250 ceiling):
///   50 × 0.088 + 115 × 0.044 = 4.40 + 5.06 = $9.46 → 78.375 − 9.46 = $68.915
/// - vol-io1hot io1 500 GiB, 16,000 IOPS, peak 15,000: × 1.2 = 18,000 > 16,000, does not fit gp3 (trap)
/// - vol-io1big io1 20,000 IOPS (above gp3's 16,000, trap); vol-io1idle io1 unattached (left to
///   unattached-ebs-volume, trap); vol-gp3 (trap)
/// - not enough data: vol-io1none (no datapoints), vol-io1short (3 days), vol-io1gap (us-west-2, metrics gap)
fn dataset(with_metrics: bool) -> Dataset {
    let ids = [
        "vol-io1a",
        "vol-io2a",
        "vol-io1b",
        "vol-io1hot",
        "vol-io1big",
        "vol-io1idle",
        "vol-gp3",
        "vol-io1none",
        "vol-io1short",
        "vol-io1gap",
    ];
    let n = ids.len();
    let mut regions = vec!["us-east-1"; n];
    regions[2] = "eu-west-1";
    regions[9] = "us-west-2";
    let mut states = vec!["in-use"; n];
    states[5] = "available";
    let mut tags = vec!["{}"; n];
    tags[1] = r#"{"costwise:ignore":"true","team":"db"}"#;
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec!["111111111111"; n]),
        Column::new("region".into(), regions),
        Column::new("volume_id".into(), ids),
        Column::new(
            "name".into(),
            [Some("orders-db"), Some("ledger-db"), Some("eu-db"), None, None, None, None, None, None, None],
        ),
        Column::new("volume_type".into(), ["io1", "io2", "io1", "io1", "io1", "io1", "gp3", "io1", "io1", "io1"]),
        Column::new("size_gib".into(), [100i64, 200, 50, 500, 1000, 100, 100, 100, 100, 100]),
        Column::new("iops".into(), [4000i64, 10_000, 1000, 16_000, 20_000, 4000, 3000, 4000, 4000, 4000]),
        Column::new("state".into(), states),
        Column::new(
            "attached_instance_id".into(),
            [
                Some("i-orders"),
                Some("i-ledger"),
                Some("i-eu"),
                Some("i-hot"),
                Some("i-big"),
                None,
                Some("i-x"),
                Some("i-y"),
                Some("i-z"),
                Some("i-w"),
            ],
        ),
        Column::new("tags".into(), tags),
    ])
    .unwrap();

    let as_of = at(11, 1);
    let peak_hour = 7 * 24 + 14;
    let mut m = Metrics::default();
    m.hourly("vol-io1a", "VolumeReadOps", as_of, 14, |h| if h == peak_hour { 1300.0 } else { 1000.0 });
    m.hourly("vol-io1a", "VolumeWriteOps", as_of, 14, |_| 200.0);
    m.hourly("vol-io1a", "VolumeReadBytes", as_of, 14, |h| if h == peak_hour { 180.0 * MIB } else { 80.0 * MIB });
    m.hourly("vol-io1a", "VolumeWriteBytes", as_of, 14, |_| 20.0 * MIB);
    m.hourly("vol-io2a", "VolumeReadOps", as_of, 14, |h| if h == peak_hour { 2000.0 } else { 1500.0 });
    m.hourly("vol-io2a", "VolumeWriteOps", as_of, 14, |_| 1000.0);
    m.hourly("vol-io1b", "VolumeWriteOps", as_of, 14, |h| if h == 3 { 800.0 } else { 400.0 });
    m.hourly("vol-io1hot", "VolumeReadOps", as_of, 14, |h| if h == peak_hour { 15_000.0 } else { 9_000.0 });
    m.hourly("vol-io1big", "VolumeReadOps", as_of, 14, |_| 100.0);
    m.hourly("vol-io1short", "VolumeReadOps", as_of, 3, |_| 100.0);
    m.hourly("vol-io1gap", "VolumeReadOps", as_of, 14, |_| 100.0);
    m.hourly("vol-gp3", "VolumeReadOps", as_of, 14, |_| 100.0);

    let costs = daily_cur(
        as_of,
        &[Billed {
            region: "eu-west-1",
            resource_id: "vol-io1b",
            usage_type: "EUW1-EBS:VolumeUsage.piops",
            monthly: 78.375,
            public_rate: 0.1375,
        }],
    );
    let mut manifest = manifest(at(10, 1), as_of);
    manifest.data_gaps.push(DataGap {
        table: Some(Table::Metrics),
        account_id: None,
        region: Some("us-west-2".into()),
        reason: "cloudwatch:GetMetricData denied".into(),
    });
    let mut frames = vec![(Table::Volumes, volumes), (Table::Costs, costs)];
    if with_metrics {
        frames.push((Table::Metrics, m.frame()));
    }
    Dataset::from_frames(manifest, frames).unwrap()
}

fn run(with_metrics: bool, config: &str) -> Analysis {
    let analysis = analyze(&dataset(with_metrics), &Config::parse(config, None).unwrap()).unwrap();
    assert!(analysis.errors.iter().all(|e| e.rule != RULE), "{:?}", analysis.errors);
    analysis
}

fn savings(analysis: &Analysis) -> Vec<(String, f64)> {
    findings_of(analysis, RULE).into_iter().map(|f| (f.resource_id, f.monthly_savings)).collect()
}

fn assert_savings(actual: &[(String, f64)], expected: &[(&str, f64)]) {
    let ids: Vec<&str> = actual.iter().map(|(id, _)| id.as_str()).collect();
    let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, expected_ids);
    for ((id, got), (_, want)) in actual.iter().zip(expected) {
        assert!((got - want).abs() < 1e-9, "{id}: {got} != {want}");
    }
}

/// Skipped volumes and why, sorted by id.
fn skipped(analysis: &Analysis) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.clone(), s.skipped.reason.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn io_volumes_that_fit_gp3_are_priced_like_for_like() {
    let analysis = run(true, "");
    let findings = findings_of(&analysis, RULE);
    assert_savings(&savings(&analysis), &[("vol-io2a", 593.0), ("vol-io1a", 254.9), ("vol-io1b", 68.915)]);
    let io1a = by_id(&findings, "vol-io1a");
    assert_eq!((io1a.risk, io1a.confidence), (Risk::NonDisruptive, Confidence::High));
    assert!((io1a.monthly_cost - 272.5).abs() < 1e-9);
    assert!(io1a.remediation.cli[0].ends_with("--volume-type gp3 --iops 4000 --throughput 240"));
    let io2a = by_id(&findings, "vol-io2a");
    assert_eq!(io2a.risk, Risk::NeedsTesting, "io2 durability and latency differ from gp3");
    assert!(io2a.evidence.iter().any(|e| e.label == "durability"));
    let io1b = by_id(&findings, "vol-io1b");
    assert_eq!(io1b.price_source.origin, PriceOrigin::Billed);
    assert!((io1b.monthly_cost - 78.375).abs() < 1e-9, "billed, not list");
    insta::assert_json_snapshot!("io1_to_gp3_findings", findings);
}

#[test]
fn volumes_beyond_gp3_unattached_or_gp3_are_not_flagged() {
    let analysis = run(true, "");
    let flagged: Vec<String> = savings(&analysis).into_iter().map(|(id, _)| id).collect();
    let skipped: Vec<String> = skipped(&analysis).into_iter().map(|(id, _)| id).collect();
    for trap in ["vol-io1hot", "vol-io1big", "vol-io1idle", "vol-gp3"] {
        assert!(!flagged.contains(&trap.to_owned()), "{trap} flagged");
        assert!(!skipped.contains(&trap.to_owned()), "{trap} listed as not enough data");
    }
}

#[test]
fn volumes_without_io_metrics_are_not_enough_data() {
    let analysis = run(true, "");
    assert_eq!(
        skipped(&analysis),
        [
            (
                "vol-io1gap".to_owned(),
                "metrics collection incomplete in us-west-2: cloudwatch:GetMetricData denied".to_owned()
            ),
            (
                "vol-io1none".to_owned(),
                "no VolumeReadOps/VolumeWriteOps datapoints for this volume in the last 14 days".to_owned()
            ),
            ("vol-io1short".to_owned(), "I/O datapoints on only 3 of the last 14 days (at least 7 needed)".to_owned()),
        ]
    );

    // No metrics at all: every attached candidate that fits gp3 is skipped, none is flagged.
    let analysis = run(false, "");
    let findings = findings_of(&analysis, RULE);
    insta::assert_json_snapshot!("io1_to_gp3_empty", findings);
    let reasons = skipped(&analysis);
    let ids: Vec<&str> = reasons.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["vol-io1a", "vol-io1b", "vol-io1gap", "vol-io1hot", "vol-io1none", "vol-io1short", "vol-io2a"],
        "vol-io1gap keeps its gap reason"
    );
    assert!(reasons[0].1.starts_with("VolumeReadOps/VolumeWriteOps (Sum) not collected"), "{}", reasons[0].1);
}

/// `right-size-iops`: gp3 IOPS = min(io IOPS, ⌈peak × 1.2⌉), at least 3,000 and at least throughput ÷ 0.25;
/// throughput as by default.
/// - vol-io1a: 1,500 × 1.2 = 1,800 → 3,000 IOPS; 240 MiB/s: 8 + 115 × 0.04 = $12.60 → 272.50 − 12.60 = $259.90
/// - vol-io2a: 3,000 × 1.2 = 3,600 IOPS; 900 MiB/s needs 900 ÷ 0.25 = 3,600: 16 + 600 × 0.005 + 775 × 0.04
///   = 16 + 3 + 31 = $50.00 → $625.00
/// - vol-io1b: 800 × 1.2 = 960 → 3,000 IOPS, 240 MiB/s: unchanged $68.915
///
/// `headroom-pct = 0` lets vol-io1hot fit (15,000 ≤ 16,000): 500 × 0.125 + 16,000 × 0.065 = 62.50 + 1,040 = $1,102.50;
/// gp3 16,000 IOPS, min(15,000 × 0.25, io1's 500) = 500 MiB/s: 40 + 65 + 15 = $120.00 → $982.50.
#[test]
fn right_sizing_and_headroom_settings_apply() {
    let analysis = run(true, "[rules.io1-to-gp3]\nright-size-iops = true");
    assert_savings(&savings(&analysis), &[("vol-io2a", 625.0), ("vol-io1a", 259.9), ("vol-io1b", 68.915)]);
    let findings = findings_of(&analysis, RULE);
    let io1a = by_id(&findings, "vol-io1a");
    assert_eq!(io1a.risk, Risk::NeedsTesting, "fewer IOPS than provisioned today");
    assert!(io1a.remediation.cli[0].ends_with("--iops 3000 --throughput 240"), "{}", io1a.remediation.cli[0]);
    assert_eq!(by_id(&findings, "vol-io1b").risk, Risk::NonDisruptive, "3,000 IOPS ≥ its 1,000");

    let analysis = run(true, "[rules.io1-to-gp3]\nheadroom-pct = 0");
    assert!(savings(&analysis).iter().any(|(id, s)| id == "vol-io1hot" && (s - 982.5).abs() < 1e-9));

    let analysis = run(true, "[rules.io1-to-gp3]\nmin-days-with-data = 3");
    assert!(skipped(&analysis).iter().all(|(id, _)| id != "vol-io1short"), "3 days now suffice");
    // 3 days of 100 IOPS: 100 × 0.125 + 4,000 × 0.065 = $272.50; gp3 4,000 IOPS, 100 × 1.2 × 0.25 = 30 → 125 MiB/s:
    // 8 + 5 = $13.00 → $259.50, medium confidence (3 of 14 days).
    let short = findings_of(&analysis, RULE).into_iter().find(|f| f.resource_id == "vol-io1short").unwrap();
    assert_eq!((short.monthly_savings, short.confidence), (259.5, Confidence::Medium));

    assert!(Config::parse("[rules.io1-to-gp3]\nmin-days-with-data = 30", None).is_err());
}

#[test]
fn io_findings_honour_tag_exclusions() {
    let analysis = run(true, "[exclusions]\ntags = [\"costwise:ignore=true\"]");
    assert_savings(&savings(&analysis), &[("vol-io1a", 254.9), ("vol-io1b", 68.915)]);
}
