//! `s3-incomplete-multipart-uploads`: buckets billed for multipart uploads nobody aborts.

use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use super::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "s3-incomplete-multipart-uploads";
const ACCOUNT: &str = "111111111111";
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const LENS: &str = "AWS/S3/Storage-Lens";
const TOTAL: &str = "IncompleteMultipartUploadStorageBytes";
const OVER_7: &str = "IncompleteMPUStorageBytesOlderThan7Days";

/// One bucket of the test inventory.
struct Bucket {
    name: &'static str,
    region: &'static str,
    rule_count: Option<i64>,
    rules: Option<&'static str>,
    tags: &'static str,
    standard_gib: f64,
    /// Storage Lens (total, older than 7 days) GiB; `None` = no datapoint.
    mpu_gib: (Option<f64>, Option<f64>),
}

const NO_RULES: (Option<i64>, Option<&str>) = (Some(0), Some("[]"));
const ABORT_RULE: &str =
    r#"[{"ID":"abort","Filter":{},"Status":"Enabled","AbortIncompleteMultipartUpload":{"DaysAfterInitiation":3}}]"#;
/// A disabled abort rule and an enabled expiration rule on a prefix: nothing aborts uploads.
const DISABLED_ABORT: &str = r#"[{"ID":"abort-off","Filter":{"Prefix":""},"Status":"Disabled","AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}},{"ID":"tmp","Filter":{"Prefix":"tmp/"},"Status":"Enabled","Expiration":{"Days":1}}]"#;

fn bucket(
    name: &'static str,
    rules: (Option<i64>, Option<&'static str>),
    mpu_gib: (Option<f64>, Option<f64>),
) -> Bucket {
    Bucket { name, region: "us-east-1", rule_count: rules.0, rules: rules.1, tags: "{}", standard_gib: 1000.0, mpu_gib }
}

/// The test inventory, as of 2026-11-01 (metrics every day 2026-10-02 .. 10-31, constant):
/// - mpu-orphans: no rules, 150 GiB incomplete, 100 GiB older than 7 days, no CUR line → price book
///   $0.023: savings 100 × 0.023 = $2.30, cost 150 × 0.023 = $3.45.
/// - mpu-billed: a disabled abort rule (and a prefix expiration rule) → still flagged; 210 GiB incomplete, 200
///   older than 7 days; billed Standard rate $10.50 / 500 GB-month = $0.021: savings 200 × 0.021 = $4.20,
///   cost 210 × 0.021 = $4.41.
/// - mpu-handled: an enabled abort rule → fine, whatever the bytes (500 GiB older than 7 days).
/// - mpu-small: 40 GiB older than 7 days → 40 × 0.023 = $0.92 < $1 → fine.
/// - mpu-in-flight: 30 GiB incomplete, no older-than-7-days datapoint (none that old) → fine.
/// - mpu-quiet: no Storage Lens datapoint at all while other buckets have some → none → fine.
/// - mpu-unknown-rules: 2 rules the snapshot does not show, 80 GiB older than 7 days → not enough data.
/// - mpu-not-collected: neither the rule count nor the rules collected, 80 GiB → not enough data.
/// - mpu-bad-json: unreadable lifecycle JSON, 80 GiB → not enough data (the parse error).
/// - mpu-west (us-west-2): no Storage Lens datapoint and metrics collection failed in us-west-2 → not enough data.
fn inventory() -> Vec<Bucket> {
    vec![
        Bucket { tags: r#"{"team":"etl"}"#, ..bucket("mpu-orphans", NO_RULES, (Some(150.0), Some(100.0))) },
        bucket("mpu-billed", (Some(1), Some(DISABLED_ABORT)), (Some(210.0), Some(200.0))),
        bucket("mpu-handled", (Some(1), Some(ABORT_RULE)), (Some(520.0), Some(500.0))),
        bucket("mpu-small", NO_RULES, (Some(40.0), Some(40.0))),
        bucket("mpu-in-flight", NO_RULES, (Some(30.0), None)),
        bucket("mpu-quiet", NO_RULES, (None, None)),
        bucket("mpu-unknown-rules", (Some(2), None), (Some(80.0), Some(80.0))),
        bucket("mpu-not-collected", (None, None), (Some(80.0), Some(80.0))),
        bucket("mpu-bad-json", (Some(1), Some("[{")), (Some(80.0), Some(80.0))),
        Bucket { region: "us-west-2", ..bucket("mpu-west", NO_RULES, (None, None)) },
    ]
}

/// Daily metric rows, one a day 2026-10-02 .. 2026-10-31.
#[derive(Default)]
struct Metrics {
    resource: Vec<String>,
    namespace: Vec<&'static str>,
    metric: Vec<String>,
    start: Vec<Option<chrono::NaiveDateTime>>,
    value: Vec<f64>,
}

impl Metrics {
    fn daily(&mut self, resource: &str, namespace: &'static str, metric: &str, value: f64) {
        for day in 0..30 {
            self.resource.push(resource.to_owned());
            self.namespace.push(namespace);
            self.metric.push(metric.to_owned());
            self.start.push(Some(at(10, 2) + chrono::Duration::days(day)));
            self.value.push(value);
        }
    }

    fn frame(self) -> DataFrame {
        let n = self.value.len();
        DataFrame::new_infer_height(vec![
            Column::new("resource_id".into(), self.resource),
            Column::new("namespace".into(), self.namespace),
            Column::new("metric".into(), self.metric),
            Column::new("statistic".into(), vec!["Average"; n]),
            datetime_series("period_start", &self.start),
            Column::new("period_seconds".into(), vec![86_400i64; n]),
            Column::new("value".into(), self.value),
        ])
        .unwrap()
    }
}

fn dataset(buckets: &[Bucket], with_storage_lens: bool) -> Dataset {
    let frame = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; buckets.len()]),
        Column::new("region".into(), buckets.iter().map(|b| b.region).collect::<Vec<_>>()),
        Column::new("bucket".into(), buckets.iter().map(|b| b.name).collect::<Vec<_>>()),
        Column::new("lifecycle_rule_count".into(), buckets.iter().map(|b| b.rule_count).collect::<Vec<_>>()),
        Column::new("lifecycle_rules".into(), buckets.iter().map(|b| b.rules).collect::<Vec<_>>()),
        Column::new("tags".into(), buckets.iter().map(|b| b.tags).collect::<Vec<_>>()),
    ])
    .unwrap();
    let mut metrics = Metrics::default();
    for b in buckets {
        metrics.daily(b.name, "AWS/S3", "BucketSizeBytes/StandardStorage", b.standard_gib * GIB);
        if with_storage_lens {
            if let Some(gib) = b.mpu_gib.0 {
                metrics.daily(b.name, LENS, TOTAL, gib * GIB);
            }
            if let Some(gib) = b.mpu_gib.1 {
                metrics.daily(b.name, LENS, OVER_7, gib * GIB);
            }
        }
    }
    // mpu-billed's Standard storage in the CUR, 2026-10-02 .. 11-01: 500 GB-months for $10.50 → $0.021/GB-month.
    let costs = DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &[Some(at(10, 2))]),
        datetime_series("usage_end", &[Some(at(11, 1))]),
        Column::new("account_id".into(), [ACCOUNT]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("service".into(), ["AmazonS3"]),
        Column::new("usage_type".into(), ["TimedStorage-ByteHrs"]),
        Column::new("resource_id".into(), ["mpu-billed"]),
        Column::new("line_item_type".into(), ["Usage"]),
        Column::new("usage_amount".into(), [500.0]),
        Column::new("unblended_cost".into(), [10.5]),
        Column::new("amortized_cost".into(), [10.5]),
        Column::new("public_on_demand_cost".into(), [11.5]),
        Column::new("currency".into(), ["USD"]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    let mut manifest = manifest(at(10, 2), at(11, 1));
    manifest.data_gaps.push(DataGap {
        table: Some(Table::Metrics),
        account_id: Some(ACCOUNT.into()),
        region: Some("us-west-2".into()),
        reason: "cloudwatch:GetMetricData denied".into(),
    });
    Dataset::from_frames(manifest, [(Table::Buckets, frame), (Table::Metrics, metrics.frame()), (Table::Costs, costs)])
        .unwrap()
}

fn skipped(analysis: &costwise_analyzer::Analysis) -> Vec<(String, String)> {
    analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.clone(), s.skipped.reason.clone()))
        .collect()
}

fn text<'a>(finding: &'a Finding, label: &str) -> &'a str {
    match finding.evidence.iter().find(|e| e.label == label).map(|e| &e.value) {
        Some(EvidenceValue::Text { text }) => text,
        other => panic!("{label}: {other:?}"),
    }
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.resource_id.as_str()).collect()
}

#[test]
fn abandoned_uploads_are_priced_at_the_standard_rate() {
    let analysis = analyze(&dataset(&inventory(), true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(ids(&findings), ["mpu-billed", "mpu-orphans"], "sorted by savings");

    // 100 GiB × $0.023 (price book) = $2.30; every incomplete upload: 150 × 0.023 = $3.45.
    let orphans = by_id(&findings, "mpu-orphans");
    assert_eq!((orphans.monthly_savings, orphans.monthly_cost), (2.3, 3.45));
    assert_eq!((orphans.confidence, orphans.risk), (High, Risk::NonDisruptive));
    assert_eq!(orphans.price_source.origin, PriceOrigin::Catalog);
    assert_eq!(orphans.resource_type, "s3-bucket");
    assert!(text(orphans, "S3 Standard rate").starts_with("$0.02300/GB-month (price book"));
    assert!(!orphans.evidence.iter().any(|e| e.label == "estimate"), "7 days: the Storage Lens split is exact");

    // 200 GiB × $0.021 (billed: 10.50 / 500) = $4.20; cost 210 × 0.021 = $4.41.
    let billed = by_id(&findings, "mpu-billed");
    assert_eq!((billed.monthly_savings, billed.monthly_cost), (4.2, 4.41));
    assert_eq!(billed.price_source.origin, PriceOrigin::Billed);
    assert_eq!(text(billed, "S3 Standard rate"), "$0.02100/GB-month billed (CUR)");
    // The current rules are carried over verbatim next to the new one.
    let config: serde_json::Value =
        serde_json::from_str(billed.remediation.lifecycle_configuration.as_deref().unwrap()).unwrap();
    let rule_ids: Vec<&str> = config["Rules"].as_array().unwrap().iter().map(|r| r["ID"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, ["abort-off", "tmp", "costwise-abort-incomplete-multipart-uploads"]);
    assert_eq!(config["Rules"][2]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 7);
    assert!(billed.remediation.cli[1].starts_with("aws s3api put-bucket-lifecycle-configuration --bucket mpu-billed"));
    let terraform = billed.remediation.terraform.as_deref().unwrap();
    assert!(terraform.contains("days_after_initiation = 7"), "{terraform}");
    assert!(terraform.starts_with("# mpu-billed already has lifecycle rules"), "{terraform}");

    // 2.30 + 4.20
    assert!((analysis.totals.monthly_savings - 6.5).abs() < 1e-9, "{}", analysis.totals.monthly_savings);

    let skipped = skipped(&analysis);
    let skipped_ids: Vec<&str> = skipped.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(skipped_ids, ["mpu-unknown-rules", "mpu-not-collected", "mpu-bad-json", "mpu-west"]);
    assert!(skipped[0].1.contains("has 2 lifecycle rule(s) the snapshot does not show"), "{}", skipped[0].1);
    assert!(skipped[1].1.contains("lifecycle rules were not collected"), "{}", skipped[1].1);
    assert!(skipped[2].1.contains("buckets.lifecycle_rules of `mpu-bad-json`"), "{}", skipped[2].1);
    assert_eq!(skipped[3].1, "metrics collection failed in us-west-2 (111111111111): cloudwatch:GetMetricData denied");

    insta::assert_json_snapshot!("s3_incomplete_multipart_uploads_findings", findings);
}

#[test]
fn the_abort_delay_changes_the_bound_and_lower_thresholds_report_smaller_savings() {
    let config = Config::parse(
        "[rules.s3-incomplete-multipart-uploads]\ndays-after-initiation = 14\nmin-monthly-savings = 0.5",
        None,
    )
    .unwrap();
    let analysis = analyze(&dataset(&inventory(), true), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    // mpu-small clears $0.50: 40 × 0.023 = $0.92.
    assert_eq!(ids(&findings), ["mpu-billed", "mpu-orphans", "mpu-small"]);
    let small = by_id(&findings, "mpu-small");
    assert_eq!(small.monthly_savings, 0.92);
    // Over 7 days the split is unknown: same bytes, an upper bound, medium confidence.
    let orphans = by_id(&findings, "mpu-orphans");
    assert_eq!((orphans.monthly_savings, orphans.confidence), (2.3, Medium));
    assert!(text(orphans, "estimate").contains("upper bound"), "{}", text(orphans, "estimate"));
    assert!(orphans.remediation.lifecycle_configuration.as_deref().unwrap().contains("\"DaysAfterInitiation\": 14"));

    let config = Config::parse("[rules.s3-incomplete-multipart-uploads]\ndays-after-initiation = 3", None).unwrap();
    let analysis = analyze(&dataset(&inventory(), true), &config).unwrap();
    let orphans = by_id(&findings_of(&analysis, RULE), "mpu-orphans").clone();
    assert_eq!((orphans.monthly_savings, orphans.confidence), (2.3, High));
    assert!(text(&orphans, "estimate").contains("lower bound"), "{}", text(&orphans, "estimate"));

    assert!(Config::parse("[rules.s3-incomplete-multipart-uploads]\ndays-after-initiation = 0", None).is_err());
}

#[test]
fn excluded_by_tag() {
    let config = Config::parse("[exclusions]\ntags = [\"team=etl\"]", None).unwrap();
    let analysis = analyze(&dataset(&inventory(), true), &config).unwrap();
    assert_eq!(ids(&findings_of(&analysis, RULE)), ["mpu-billed"]);
}

#[test]
fn without_storage_lens_every_bucket_is_not_enough_data() {
    let analysis = analyze(&dataset(&inventory(), false), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let skipped = skipped(&analysis);
    let skipped_ids: Vec<&str> = skipped.iter().map(|s| s.0.as_str()).collect();
    // Every bucket but mpu-handled, whose abort rule settles it whatever the metrics say.
    assert_eq!(
        skipped_ids,
        [
            "mpu-orphans",
            "mpu-billed",
            "mpu-small",
            "mpu-in-flight",
            "mpu-quiet",
            "mpu-unknown-rules",
            "mpu-not-collected",
            "mpu-bad-json",
            "mpu-west"
        ]
    );
    assert_eq!(
        skipped[0].1,
        "S3 Storage Lens metrics (AWS/S3/Storage-Lens, IncompleteMultipartUploadStorageBytes) were not collected"
    );
    assert!(skipped[8].1.contains("cloudwatch:GetMetricData denied"), "the region's gap says more: {}", skipped[8].1);
    insta::assert_json_snapshot!(
        "s3_incomplete_multipart_uploads_not_enough_data",
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).collect::<Vec<_>>()
    );
}

#[test]
fn buckets_with_abort_rules_give_an_empty_result() {
    let buckets = vec![
        bucket("mpu-handled", (Some(1), Some(ABORT_RULE)), (Some(520.0), Some(500.0))),
        bucket("mpu-in-flight", NO_RULES, (Some(30.0), None)),
    ];
    let analysis = analyze(&dataset(&buckets, true), &Config::default()).unwrap();
    insta::assert_json_snapshot!("s3_incomplete_multipart_uploads_empty", findings_of(&analysis, RULE));
    assert!(skipped(&analysis).is_empty());
}
