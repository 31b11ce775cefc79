//! `s3-noncurrent-versions`: versioned buckets whose old versions no rule expires.

use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use super::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "s3-noncurrent-versions";
const ACCOUNT: &str = "111111111111";
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const NO_RULES: (Option<i64>, Option<&str>) = (Some(0), Some("[]"));
/// Noncurrent versions move to Glacier: handled.
const NONCURRENT_RULE: &str = r#"[{"ID":"old","Filter":{},"Status":"Enabled","NoncurrentVersionTransitions":[{"NoncurrentDays":30,"StorageClass":"GLACIER"}]}]"#;
/// A disabled noncurrent expiration and an enabled rule that only tiers current versions: not handled.
const DISABLED_RULE: &str = r#"[{"ID":"expire-old","Filter":{"Prefix":""},"Status":"Disabled","NoncurrentVersionExpiration":{"NoncurrentDays":30}},{"ID":"to-ia","Filter":{"Prefix":""},"Status":"Enabled","Transitions":[{"Days":30,"StorageClass":"STANDARD_IA"}]}]"#;

/// One bucket of the test inventory.
struct Bucket {
    name: &'static str,
    versioning: Option<&'static str>,
    rules: (Option<i64>, Option<&'static str>),
    tags: &'static str,
    /// (CloudWatch storage type, GiB), constant over the window.
    classes: Vec<(&'static str, f64)>,
    objects: Option<f64>,
    /// Noncurrent GiB on day `i` (0 = 2026-10-02); `None` = no Storage Lens datapoint.
    noncurrent: Option<fn(f64) -> f64>,
}

fn versioned(name: &'static str, standard_gib: f64, noncurrent: fn(f64) -> f64) -> Bucket {
    Bucket {
        name,
        versioning: Some("Enabled"),
        rules: NO_RULES,
        tags: "{}",
        classes: vec![("StandardStorage", standard_gib)],
        objects: None,
        noncurrent: Some(noncurrent),
    }
}

/// The test inventory, as of 2026-11-01 (metrics every day 2026-10-02 .. 10-31, i = 0..29):
/// - nc-flagged: 800 GiB Standard (819,200 objects of 1 MiB), noncurrent 242 + 2i GiB → 300 GiB on the
///   latest day, 37.5 % of the bucket; growth 2 GiB/day → 2 × 30 = 60 GiB noncurrent for less than 30 days,
///   240 GiB expired; price book Standard $0.023: savings 240 × 0.023 = $5.52, cost 300 × 0.023 = $6.90;
///   keeps 1 newer version → medium confidence.
///   Glacier IR instead: 240 × (0.023 − 0.004) = $4.56 − transition fees of versions aging in:
///   2 GiB/day × 30.4167 days × 1,024 objects/GiB × $0.02/1,000 = $1.2459 → $3.31/month; one-time
///   240 × 1,024 × 0.02 / 1,000 = $4.92 (pays back in 4.9152 / 3.3141 = 1.5 months).
/// - nc-suspended-ia (versioning Suspended): 100 GiB Standard + 900 GiB Standard-IA, noncurrent 400 GiB flat
///   (40 %); Standard holds less than 400 GiB → priced in Standard-IA, $0.0125: savings = cost = 400 × 0.0125
///   = $5.00.
/// - nc-disabled-rule: a disabled noncurrent expiration → still flagged; 200 GiB Standard, 100 noncurrent
///   (50 %), billed Standard $4.00 / 200 GB-month = $0.02: savings = cost = 100 × 0.02 = $2.00.
/// - nc-handled: an enabled noncurrent transition → fine.
/// - nc-low-share: 80 of 1,000 GiB = 8 % ≤ 10 % → fine (with 5 %: 80 × 0.023 = $1.84).
/// - nc-unversioned: never versioned → fine whatever Storage Lens says.
/// - nc-small: 30 of 100 GiB (30 %) but 30 × 0.023 = $0.69 < $1 → fine.
/// - nc-recent: noncurrent 2 + 2i → 60 GiB, all of it newer than 30 days (2 × 30 = 60) → nothing to expire.
/// - nc-quiet: versioned, no Storage Lens datapoint while other buckets have some → none → fine.
/// - nc-unknown-rules: 1 rule the snapshot does not show → not enough data.
/// - nc-bad-json: unreadable lifecycle JSON → not enough data.
/// - nc-no-metrics: noncurrent 50 GiB but no BucketSizeBytes → share unknown → not enough data.
fn inventory() -> Vec<Bucket> {
    vec![
        Bucket {
            tags: r#"{"team":"web"}"#,
            objects: Some(819_200.0),
            ..versioned("nc-flagged", 800.0, |i| 242.0 + 2.0 * i)
        },
        Bucket {
            versioning: Some("Suspended"),
            classes: vec![("StandardStorage", 100.0), ("StandardIAStorage", 900.0)],
            ..versioned("nc-suspended-ia", 0.0, |_| 400.0)
        },
        Bucket { rules: (Some(1), Some(DISABLED_RULE)), ..versioned("nc-disabled-rule", 200.0, |_| 100.0) },
        Bucket { rules: (Some(1), Some(NONCURRENT_RULE)), ..versioned("nc-handled", 500.0, |_| 400.0) },
        versioned("nc-low-share", 1000.0, |_| 80.0),
        Bucket { versioning: None, ..versioned("nc-unversioned", 1000.0, |_| 500.0) },
        versioned("nc-small", 100.0, |_| 30.0),
        versioned("nc-recent", 200.0, |i| 2.0 + 2.0 * i),
        Bucket { noncurrent: None, ..versioned("nc-quiet", 500.0, |_| 0.0) },
        Bucket { rules: (Some(1), None), ..versioned("nc-unknown-rules", 600.0, |_| 300.0) },
        Bucket { rules: (Some(1), Some("{")), ..versioned("nc-bad-json", 600.0, |_| 300.0) },
        Bucket { classes: vec![], ..versioned("nc-no-metrics", 0.0, |_| 50.0) },
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
    fn daily(&mut self, resource: &str, namespace: &'static str, metric: &str, value: impl Fn(f64) -> f64) {
        for day in 0..30 {
            self.resource.push(resource.to_owned());
            self.namespace.push(namespace);
            self.metric.push(metric.to_owned());
            self.start.push(Some(at(10, 2) + chrono::Duration::days(day)));
            self.value.push(value(day as f64));
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
    let n = buckets.len();
    let frame = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; n]),
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("bucket".into(), buckets.iter().map(|b| b.name).collect::<Vec<_>>()),
        Column::new("versioning".into(), buckets.iter().map(|b| b.versioning).collect::<Vec<_>>()),
        Column::new("lifecycle_rule_count".into(), buckets.iter().map(|b| b.rules.0).collect::<Vec<_>>()),
        Column::new("lifecycle_rules".into(), buckets.iter().map(|b| b.rules.1).collect::<Vec<_>>()),
        Column::new("tags".into(), buckets.iter().map(|b| b.tags).collect::<Vec<_>>()),
    ])
    .unwrap();
    let mut metrics = Metrics::default();
    for b in buckets {
        for (storage_type, gib) in &b.classes {
            metrics.daily(b.name, "AWS/S3", &format!("BucketSizeBytes/{storage_type}"), |_| gib * GIB);
        }
        if let Some(objects) = b.objects {
            metrics.daily(b.name, "AWS/S3", "NumberOfObjects/AllStorageTypes", |_| objects);
        }
        if let (Some(noncurrent), true) = (b.noncurrent, with_storage_lens) {
            metrics.daily(b.name, "AWS/S3/Storage-Lens", "NonCurrentVersionStorageBytes", |i| noncurrent(i) * GIB);
        }
    }
    // nc-disabled-rule's Standard storage in the CUR, 2026-10-02 .. 11-01: 200 GB-months for $4.00 → $0.02/GB-month.
    let costs = DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &[Some(at(10, 2))]),
        datetime_series("usage_end", &[Some(at(11, 1))]),
        Column::new("account_id".into(), [ACCOUNT]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("service".into(), ["AmazonS3"]),
        Column::new("usage_type".into(), ["TimedStorage-ByteHrs"]),
        Column::new("resource_id".into(), ["nc-disabled-rule"]),
        Column::new("line_item_type".into(), ["Usage"]),
        Column::new("usage_amount".into(), [200.0]),
        Column::new("unblended_cost".into(), [4.0]),
        Column::new("amortized_cost".into(), [4.0]),
        Column::new("public_on_demand_cost".into(), [4.6]),
        Column::new("currency".into(), ["USD"]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    Dataset::from_frames(
        manifest(at(10, 2), at(11, 1)),
        [(Table::Buckets, frame), (Table::Metrics, metrics.frame()), (Table::Costs, costs)],
    )
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

fn quantity(finding: &Finding, label: &str) -> f64 {
    match finding.evidence.iter().find(|e| e.label == label).map(|e| &e.value) {
        Some(EvidenceValue::Quantity { value, .. }) => *value,
        other => panic!("{label}: {other:?}"),
    }
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.resource_id.as_str()).collect()
}

const GIR: &str = "alternative: keep old versions in Glacier Instant Retrieval";

#[test]
fn old_noncurrent_versions_are_priced_by_the_class_they_sit_in() {
    let analysis = analyze(&dataset(&inventory(), true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(ids(&findings), ["nc-flagged", "nc-suspended-ia", "nc-disabled-rule"], "sorted by savings");

    // 300 GiB noncurrent, growing 2 GiB/day: 60 GiB newer than 30 days, 240 × $0.023 = $5.52 expired.
    let flagged = by_id(&findings, "nc-flagged");
    assert_eq!((flagged.monthly_savings, flagged.monthly_cost), (5.52, 6.9));
    assert_eq!((flagged.confidence, flagged.risk), (Medium, Risk::NeedsTesting));
    assert_eq!(flagged.price_source.origin, PriceOrigin::Catalog);
    assert_eq!(quantity(flagged, "noncurrent growth a day (least squares, clamped at 0)"), 2.0);
    assert_eq!(quantity(flagged, "noncurrent for less than 30 days (growth × 30)"), 60.0);
    assert_eq!(quantity(flagged, "noncurrent for more than 30 days (expired)"), 240.0);
    assert!(text(flagged, "newer noncurrent versions kept (keep-newer-versions)").contains("upper bound"));
    let gir = text(flagged, GIR);
    assert!(gir.contains("saves $3.31/month"), "{gir}");
    assert!(gir.contains("= $4.56, minus $1.25/month of transition fees"), "{gir}");
    assert!(gir.contains("one-time $4.92") && gir.contains("pays back in 1.5 months"), "{gir}");
    let config: serde_json::Value =
        serde_json::from_str(flagged.remediation.lifecycle_configuration.as_deref().unwrap()).unwrap();
    let rule = &config["Rules"][0];
    assert_eq!(rule["ID"], "costwise-expire-noncurrent-versions-after-30-days");
    assert_eq!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"], 30);
    assert_eq!(rule["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"], 1);
    assert!(flagged.remediation.terraform.as_deref().unwrap().contains("newer_noncurrent_versions = 1"));

    // Standard (100 GiB) holds less than the 400 GiB noncurrent: Standard-IA, 400 × 0.0125 = $5.00.
    let ia = by_id(&findings, "nc-suspended-ia");
    assert_eq!((ia.monthly_savings, ia.monthly_cost), (5.0, 5.0));
    assert!(
        text(ia, "storage rate").starts_with("$0.01250/GB-month, StandardIAStorage"),
        "{}",
        text(ia, "storage rate")
    );
    assert_eq!(text(ia, "versioning"), "Suspended");
    // No object counts: 400 × (0.0125 − 0.004) = $3.40 of storage, fees unknown.
    assert!(text(ia, GIR).contains("storage $3.40/month less") && text(ia, GIR).contains("not estimated"));

    // Billed $0.02: 100 × 0.02 = $2.00; the current rules are kept next to the new one.
    let disabled = by_id(&findings, "nc-disabled-rule");
    assert_eq!((disabled.monthly_savings, disabled.monthly_cost), (2.0, 2.0));
    assert_eq!(disabled.price_source.origin, PriceOrigin::Billed);
    assert_eq!(text(disabled, "storage rate"), "$0.02000/GB-month, S3 Standard billed (CUR)");
    let config: serde_json::Value =
        serde_json::from_str(disabled.remediation.lifecycle_configuration.as_deref().unwrap()).unwrap();
    let rule_ids: Vec<&str> = config["Rules"].as_array().unwrap().iter().map(|r| r["ID"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, ["expire-old", "to-ia", "costwise-expire-noncurrent-versions-after-30-days"]);

    // 5.52 + 5.00 + 2.00
    assert!((analysis.totals.monthly_savings - 12.52).abs() < 1e-9, "{}", analysis.totals.monthly_savings);

    let skipped = skipped(&analysis);
    let skipped_ids: Vec<&str> = skipped.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(skipped_ids, ["nc-unknown-rules", "nc-bad-json", "nc-no-metrics"]);
    assert!(skipped[0].1.contains("has 1 lifecycle rule(s) the snapshot does not show"), "{}", skipped[0].1);
    assert!(skipped[1].1.contains("buckets.lifecycle_rules of `nc-bad-json`"), "{}", skipped[1].1);
    assert!(skipped[2].1.contains("BucketSizeBytes"), "{}", skipped[2].1);

    insta::assert_json_snapshot!("s3_noncurrent_versions_findings", findings);
}

#[test]
fn settings_change_the_age_the_versions_kept_and_the_share() {
    let config = Config::parse(
        "[rules.s3-noncurrent-versions]\nnoncurrent-days = 10\nkeep-newer-versions = 0\nmin-noncurrent-share = 5",
        None,
    )
    .unwrap();
    let analysis = analyze(&dataset(&inventory(), true), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    // nc-low-share: 8 % > 5 %, 80 × 0.023 = $1.84; nc-recent: 60 − 2 × 10 = 40 GiB × 0.023 = $0.92 < $1.
    assert_eq!(ids(&findings), ["nc-flagged", "nc-suspended-ia", "nc-disabled-rule", "nc-low-share"]);
    // 300 − 2 × 10 = 280 GiB × 0.023 = $6.44; nothing kept → high confidence, no upper-bound caveat.
    let flagged = by_id(&findings, "nc-flagged");
    assert_eq!((flagged.monthly_savings, flagged.confidence), (6.44, High));
    assert!(!flagged.evidence.iter().any(|e| e.label.starts_with("newer noncurrent versions kept")));
    let config: serde_json::Value =
        serde_json::from_str(flagged.remediation.lifecycle_configuration.as_deref().unwrap()).unwrap();
    let rule = &config["Rules"][0];
    assert_eq!(rule["ID"], "costwise-expire-noncurrent-versions-after-10-days");
    assert_eq!(rule["NoncurrentVersionExpiration"], serde_json::json!({ "NoncurrentDays": 10 }));
    assert_eq!(by_id(&findings, "nc-low-share").monthly_savings, 1.84);

    assert!(Config::parse("[rules.s3-noncurrent-versions]\nnoncurrent-days = 0", None).is_err());
    assert!(Config::parse("[rules.s3-noncurrent-versions]\nkeep-newer-versions = 101", None).is_err());
    assert!(Config::parse("[rules.s3-noncurrent-versions]\nmin-noncurrent-share = 100", None).is_err());
}

#[test]
fn excluded_by_tag() {
    let config = Config::parse("[exclusions]\ntags = [\"team=web\"]", None).unwrap();
    let analysis = analyze(&dataset(&inventory(), true), &config).unwrap();
    assert_eq!(ids(&findings_of(&analysis, RULE)), ["nc-suspended-ia", "nc-disabled-rule"]);
}

#[test]
fn without_storage_lens_versioned_buckets_are_not_enough_data() {
    let analysis = analyze(&dataset(&inventory(), false), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let skipped = skipped(&analysis);
    let skipped_ids: Vec<&str> = skipped.iter().map(|s| s.0.as_str()).collect();
    // Every versioned bucket but nc-handled, whose rule settles it whatever the metrics say.
    assert_eq!(
        skipped_ids,
        [
            "nc-flagged",
            "nc-suspended-ia",
            "nc-disabled-rule",
            "nc-low-share",
            "nc-small",
            "nc-recent",
            "nc-quiet",
            "nc-unknown-rules",
            "nc-bad-json",
            "nc-no-metrics"
        ]
    );
    assert_eq!(
        skipped[0].1,
        "S3 Storage Lens metrics (AWS/S3/Storage-Lens, NonCurrentVersionStorageBytes) were not collected"
    );
    insta::assert_json_snapshot!(
        "s3_noncurrent_versions_not_enough_data",
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).collect::<Vec<_>>()
    );
}

#[test]
fn handled_and_small_shares_give_an_empty_result() {
    let buckets = vec![
        Bucket { rules: (Some(1), Some(NONCURRENT_RULE)), ..versioned("nc-handled", 500.0, |_| 400.0) },
        versioned("nc-low-share", 1000.0, |_| 80.0),
    ];
    let analysis = analyze(&dataset(&buckets, true), &Config::default()).unwrap();
    insta::assert_json_snapshot!("s3_noncurrent_versions_empty", findings_of(&analysis, RULE));
    assert!(skipped(&analysis).is_empty());
}
