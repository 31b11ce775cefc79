//! `s3-lifecycle-tiering` with an S3 Inventory (`s3_objects`): exact object
//! censuses replace the averages, and prefixes that age differently get their
//! own rules. Every figure is computed by hand in the comments (us-east-1 list
//! prices, 730 hours a month, the bucket billed $0.023/GB-month in the CUR).

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::{Analysis, Config, Dataset, EvidenceValue, Finding, Table, analyze};
use polars::prelude::*;
use serde_json::Value;

use super::common::{at, datetime_series, findings_of, manifest};

const ACCOUNT: &str = "111111111111";
const RULE: &str = "s3-lifecycle-tiering";
const KIB: i64 = 1024;
const MIB: i64 = 1024 * 1024;

fn as_of() -> NaiveDateTime {
    at(11, 1)
}

/// Inventory rows: (key prefix, objects, size in bytes, age in days, storage class, is_latest).
type Group = (&'static str, usize, i64, i64, &'static str, bool);

/// The `mixed` bucket:
/// - `archive/`: 10,240 objects of 100 MiB (1,000 GiB), written 400 days ago;
/// - `tmp/`: 10,240 objects of 10 MiB (100 GiB), 5 days old (rewritten all the time);
/// - `small/`: 100,000 objects of 8 KiB (0.762939 GiB), 400 days old;
/// - ignored: 1,024 noncurrent versions of 1 MiB in `archive/` and 100 objects already in GLACIER.
const MIXED: [Group; 5] = [
    ("archive/", 10_240, 100 * MIB, 400, "STANDARD", true),
    ("tmp/", 10_240, 10 * MIB, 5, "STANDARD", true),
    ("small/", 100_000, 8 * KIB, 400, "STANDARD", true),
    ("archive/", 1_024, MIB, 500, "STANDARD", false),
    ("archive/", 100, MIB, 900, "GLACIER", true),
];

fn dataset(bucket: &str, groups: &[Group], standard_gib: f64) -> Dataset {
    let buckets = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), [ACCOUNT]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("bucket".into(), [bucket]),
        Column::new("lifecycle_rule_count".into(), [0i64]),
        Column::new("intelligent_tiering_configs".into(), [0i64]),
        Column::new("lifecycle_rules".into(), ["[]"]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    // 90 days of billed Standard storage (the request history), no GET requests.
    let months = 90.0 * 24.0 / 730.0;
    let costs = DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &[Some(as_of() - Duration::days(90))]),
        datetime_series("usage_end", &[Some(as_of())]),
        Column::new("account_id".into(), [ACCOUNT]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("service".into(), ["AmazonS3"]),
        Column::new("usage_type".into(), ["TimedStorage-ByteHrs"]),
        Column::new("operation".into(), ["StandardStorage"]),
        Column::new("resource_id".into(), [bucket]),
        Column::new("line_item_type".into(), ["Usage"]),
        Column::new("usage_amount".into(), [standard_gib * months]),
        Column::new("unblended_cost".into(), [standard_gib * months * 0.023]),
        Column::new("amortized_cost".into(), [standard_gib * months * 0.023]),
        Column::new("public_on_demand_cost".into(), [standard_gib * months * 0.023]),
        Column::new("currency".into(), ["USD"]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    let (mut keys, mut sizes, mut modified, mut classes, mut latest) = (vec![], vec![], vec![], vec![], vec![]);
    for &(prefix, count, size, age, class, is_latest) in groups {
        for i in 0..count {
            keys.push(format!("{prefix}object-{i:06}"));
            sizes.push(size);
            modified.push(Some(as_of() - Duration::days(age)));
            classes.push(class);
            latest.push(is_latest);
        }
    }
    let n = keys.len();
    let objects = DataFrame::new_infer_height(vec![
        Column::new("bucket".into(), vec![bucket; n]),
        Column::new("key".into(), keys),
        Column::new("is_latest".into(), latest),
        Column::new("size".into(), sizes),
        datetime_series("last_modified", &modified),
        Column::new("storage_class".into(), classes),
        datetime_series("inventory_date", &vec![Some(as_of()); n]),
    ])
    .unwrap();
    Dataset::from_frames(
        manifest(at(8, 3), as_of()),
        [(Table::Buckets, buckets), (Table::Costs, costs), (Table::S3Objects, objects)],
    )
    .unwrap()
}

fn run(dataset: &Dataset) -> Analysis {
    let analysis = analyze(dataset, &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    analysis
}

fn text<'a>(finding: &'a Finding, label: &str) -> &'a str {
    match &finding.evidence.iter().find(|e| e.label == label).unwrap_or_else(|| panic!("no evidence `{label}`")).value {
        EvidenceValue::Text { text } => text,
        other => panic!("`{label}` is not text: {other:?}"),
    }
}

fn close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-3, "{actual} != {expected}");
}

/// One rule for the whole bucket (its best: Deep Archive after 180 days) would
/// move `archive/` and `small/` and pay for `tmp/`'s new objects:
/// - archive: (1,000.762939 GiB + 110,240 × 32 KiB = 3.364258) × 0.00099 = 0.994086
/// - Standard: (100 GiB of tmp/ + 110,240 × 8 KiB = 0.841064) × 0.023 = 2.319345
/// - new objects: 10,240 written in 30 days → 10,382.22 a month × $0.05/1000 = 0.519111
/// - stay: 1,100.762939 × 0.023 = 25.317548 → saves $21.485006.
///
/// Per prefix:
/// - `archive/` → Deep Archive after 180 days (every object is 400 days old; 180 and
///   365 tie, the shorter wins): (1,000 + 10,240 × 32 KiB = 0.3125) × 0.00099 = 0.990309,
///   plus 10,240 × 8 KiB = 0.078125 GiB × 0.023 = 0.001797, no new objects: 0.992106
///   against 23.00, so it saves **$22.007894**, one-time 10,240 × $0.05/1000 = **$0.512**;
/// - `tmp/`: no object is 30 days old; Intelligent-Tiering keeps it all in Frequent
///   Access and adds monitoring: stays;
/// - `small/`: 0.762939 GiB, $0.0175 a month: nothing worth $5.
///
/// $22.01 > $21.49: one rule for `archive/` only.
#[test]
fn prefixes_that_age_differently_get_their_own_rules() {
    let analysis = run(&dataset("mixed", &MIXED, 1_100.762_939));
    let findings = findings_of(&analysis, RULE);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    close(f.monthly_savings, 22.007_894);
    close(f.monthly_cost, 25.317_548);
    assert!(
        f.title.contains("a lifecycle rule per prefix: archive/ → Glacier Deep Archive after 180 days"),
        "{}",
        f.title
    );
    assert!(
        text(f, "prefix archive/").contains("saves $22.01/month, one-time $0.51"),
        "{}",
        text(f, "prefix archive/")
    );
    assert!(text(f, "prefix tmp/").starts_with("100 GiB: stays in S3 Standard"), "{}", text(f, "prefix tmp/"));
    assert!(text(f, "prefix small/").contains("stays in S3 Standard"));
    assert_eq!(
        text(f, "one rule for the whole bucket instead"),
        "Glacier Deep Archive after 180 days saves only $21.49/month"
    );
    assert!(
        text(f, "object sizes and ages")
            .contains("120480 current objects in S3 Standard, 100000 of them under 128 KiB")
    );

    let config: Value = serde_json::from_str(f.remediation.lifecycle_configuration.as_ref().unwrap()).unwrap();
    assert_eq!(
        config,
        serde_json::json!({"Rules": [{
            "ID": "costwise-deep-archive-after-180-days-archive",
            "Filter": {"Prefix": "archive/"},
            "Status": "Enabled",
            "Transitions": [{"Days": 180, "StorageClass": "DEEP_ARCHIVE"}]
        }]})
    );
    let terraform = f.remediation.terraform.as_ref().unwrap();
    assert!(terraform.contains("filter {\n      prefix = \"archive/\"\n    }"), "{terraform}");
    // archive/ holds no object under 128 KiB: S3's default size filter is left alone.
    assert!(!f.remediation.cli.iter().any(|c| c.contains("transition-default-minimum-object-size")));
}

/// Without prefixes the census still replaces the averages. 2,048 objects of
/// 512 MiB (1,024 GiB) written 200 days ago plus 1,048,576 objects of 1 KiB
/// (1 GiB) written 200 days ago, never read:
/// - averages would say 1,050,624 objects of ~1 KiB each; the census knows
///   1,048,576 of them are under 128 KiB.
/// - Deep Archive after 180 days moves every object (archive classes take small ones
///   with `varies_by_storage_class`): archive (1,025 + 1,050,624 × 32 KiB = 32.0625)
///   × 0.00099 = 1.046517; Standard 1,050,624 × 8 KiB = 8.015625 GiB × 0.023 =
///   0.184359 → 1.230876 vs 1,025 × 0.023 = 23.575 → saves $22.344124, one-time
///   1,050,624 × $0.05/1000 = $52.5312.
/// - Glacier Flexible after 90 days: archive (1,025 + 32.0625) × 0.0036 = 3.805425
///   + 0.184359 → saves $19.585216.
/// - Glacier IR after 30 days moves only the 2,048 large objects (1,024 GiB): 4.096 +
///   1 GiB × 0.023 → saves $19.456; Standard-IA: 1,024 × 0.0125 + 0.023 → saves $10.752;
///   Intelligent-Tiering: the large objects sit in Archive Instant Access (4.096), the small
///   ones unmonitored in Frequent Access (0.023), monitoring 2,048 × $0.0025/1000 → saves $19.451.
#[test]
fn the_census_counts_small_objects_exactly() {
    let groups: [Group; 2] =
        [("", 2_048, 512 * MIB, 200, "STANDARD", true), ("", 1_048_576, KIB, 200, "STANDARD", true)];
    let analysis = run(&dataset("flat", &groups, 1025.0));
    let findings = findings_of(&analysis, RULE);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(text(f, "chosen policy"), "Glacier Deep Archive after 180 days");
    close(f.monthly_savings, 22.344_124);
    let one_time = f
        .evidence
        .iter()
        .find_map(|e| match (&e.label[..], &e.value) {
            ("one-time transition fee (today's objects)", EvidenceValue::Money { amount, .. }) => Some(*amount),
            _ => None,
        })
        .unwrap();
    close(one_time, 52.531_2);
    let others = text(f, "other policies");
    assert!(others.contains("Glacier Flexible Retrieval after 90 days: saves $19.59/month"), "{others}");
    assert!(others.contains("Glacier Instant Retrieval after 30 days: saves $19.46/month"), "{others}");
    assert!(others.contains("Standard-IA after 30 days: saves $10.75/month"), "{others}");
    assert!(others.contains("Intelligent-Tiering from day 0: saves $19.45/month"), "{others}");
    // Small objects must be allowed into the archive class for the figures to hold.
    assert!(
        f.remediation
            .cli
            .iter()
            .any(|c| c.ends_with("--transition-default-minimum-object-size varies_by_storage_class"))
    );
}
