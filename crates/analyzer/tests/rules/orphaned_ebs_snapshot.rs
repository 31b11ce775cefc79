//! `orphaned-ebs-snapshot` on hand-built datasets.
//!
//! Rates (us-east-1 catalog): snapshots $0.05/GiB-month standard, $0.0125 archive, $0.03/GiB archive restore.
//! The CUR bills snap-orph-billed in eu-west-1 at a public $0.055 (1.1 × catalog), so eu-west-1's other snapshot
//! rates are scaled by 1.1.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Analysis, Confidence, Config, Dataset, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};
use crate::gp2_to_gp3::{Billed, daily_cur};

const RULE: &str = "orphaned-ebs-snapshot";
const GIB: i64 = 1 << 30;

fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

struct Snap {
    region: &'static str,
    id: &'static str,
    volume: &'static str,
    volume_gib: i64,
    full_bytes: Option<i64>,
    start: NaiveDateTime,
    state: &'static str,
    tier: &'static str,
    description: &'static str,
    tags: &'static str,
}

fn snap(id: &'static str, volume: &'static str, full_gib: Option<i64>, start: NaiveDateTime) -> Snap {
    Snap {
        region: "us-east-1",
        id,
        volume,
        volume_gib: 200,
        full_bytes: full_gib.map(|g| g * GIB),
        start,
        state: "completed",
        tier: "standard",
        description: "manual backup",
        tags: "{}",
    }
}

/// Snapshots as of 2026-11-01 (minimum age 90 days, 30 kept per volume):
/// - snap-orph-billed eu-west-1, source vol-gone1 deleted, billed $3.52/month (64 GB × $0.055)
///   → $3.52, high; archive instead: 64e9 B = 59.6046 GiB × 0.01375 = $0.8196, restore 59.6046 × 0.033 = $1.967
/// - snap-orph-size   vol-gone2 deleted, full size 120 GiB → 120 × 0.05 = $6.00, medium; archive 120 × 0.0125 = $1.50
///   (saves $4.50), restore 120 × 0.03 = $3.60
/// - snap-orph-vol    vol-gone3 deleted, no full size, 200 GiB volume → 200 × 0.05 = $10.00, an upper bound, low
/// - snap-copy        vol-ffffffff (a copy), 20 GiB → $1.00, low
/// - snap-archived    vol-gone4 deleted, archive tier, 100 GiB → 100 × 0.0125 = $1.25, medium
/// - snap-dereg       `Created by CreateImage` but its AMI is deregistered, 8 GiB → $0.40, medium
///
/// Traps: snap-ami (backs registered ami-live), snap-young (31 days), snap-live (vol-live exists, 1 snapshot),
/// snap-pending (not completed), snap-r1..r5 (5 manual snapshots of the existing vol-live2, 10–160 days old),
/// snap-b1..b3 (AWS Backup snapshots of vol-live2, 100–160 days old: a policy owns their retention).
fn snapshots() -> Vec<Snap> {
    let as_of = at(11, 1);
    let ago = |days: i64| as_of - Duration::days(days);
    let mut out = vec![
        Snap {
            region: "eu-west-1",
            volume_gib: 100,
            full_bytes: Some(64_000_000_000),
            description: "final snapshot of old-mysql-data",
            tags: r#"{"Name":"old-mysql-final"}"#,
            ..snap("snap-orph-billed", "vol-gone1", None, day(2026, 6, 10) + Duration::hours(14))
        },
        snap("snap-orph-size", "vol-gone2", Some(120), day(2025, 9, 18)),
        Snap { tags: r#"{"costwise:ignore":"true"}"#, ..snap("snap-orph-vol", "vol-gone3", None, day(2025, 12, 5)) },
        snap("snap-copy", "vol-ffffffff", Some(20), day(2025, 3, 1)),
        Snap { tier: "archive", ..snap("snap-archived", "vol-gone4", Some(100), day(2025, 1, 15)) },
        Snap {
            description: "Created by CreateImage(i-0abc) for ami-old",
            ..snap("snap-dereg", "vol-gone5", Some(8), day(2025, 6, 1))
        },
        Snap {
            description: "Created by CreateImage(i-0def) for ami-live",
            ..snap("snap-ami", "vol-gone6", Some(8), day(2025, 6, 1))
        },
        snap("snap-young", "vol-gone7", Some(10), ago(31)),
        snap("snap-live", "vol-live", Some(50), day(2026, 1, 1)),
        Snap { state: "pending", ..snap("snap-pending", "vol-gone8", Some(50), day(2025, 1, 1)) },
    ];
    for (id, age) in [("snap-r1", 10), ("snap-r2", 40), ("snap-r3", 100), ("snap-r4", 130), ("snap-r5", 160)] {
        out.push(snap(id, "vol-live2", Some(5), ago(age)));
    }
    for (id, age) in [("snap-b1", 100), ("snap-b2", 130), ("snap-b3", 160)] {
        out.push(Snap {
            description: "This snapshot is created by the AWS Backup service.",
            tags: r#"{"aws:backup:source-resource":"vol-live2"}"#,
            ..snap(id, "vol-live2", Some(5), ago(age))
        });
    }
    out
}

fn dataset(with_images: bool, with_volumes: bool) -> Dataset {
    let s = snapshots();
    let snapshots = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec!["111111111111"; s.len()]),
        Column::new("region".into(), s.iter().map(|x| x.region).collect::<Vec<_>>()),
        Column::new("snapshot_id".into(), s.iter().map(|x| x.id).collect::<Vec<_>>()),
        Column::new("volume_id".into(), s.iter().map(|x| x.volume).collect::<Vec<_>>()),
        Column::new("volume_size_gib".into(), s.iter().map(|x| x.volume_gib).collect::<Vec<_>>()),
        Column::new("full_snapshot_size_bytes".into(), s.iter().map(|x| x.full_bytes).collect::<Vec<_>>()),
        datetime_series("start_time", &s.iter().map(|x| Some(x.start)).collect::<Vec<_>>()),
        Column::new("state".into(), s.iter().map(|x| x.state).collect::<Vec<_>>()),
        Column::new("storage_tier".into(), s.iter().map(|x| x.tier).collect::<Vec<_>>()),
        Column::new("description".into(), s.iter().map(|x| x.description).collect::<Vec<_>>()),
        Column::new("tags".into(), s.iter().map(|x| x.tags).collect::<Vec<_>>()),
        Column::new(
            "name".into(),
            s.iter().map(|x| (x.id == "snap-orph-billed").then_some("old-mysql-final")).collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 3]),
        Column::new("region".into(), ["us-east-1"; 3]),
        Column::new("volume_id".into(), ["vol-live", "vol-live2", "vol-gone2"]),
        Column::new("volume_type".into(), ["gp3"; 3]),
        Column::new("size_gib".into(), [200i64; 3]),
        Column::new("state".into(), ["in-use", "in-use", "deleted"]),
        Column::new("tags".into(), ["{}"; 3]),
    ])
    .unwrap();
    let images = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 2]),
        Column::new("region".into(), ["us-east-1"; 2]),
        Column::new("image_id".into(), ["ami-live", "ami-old"]),
        Column::new("state".into(), ["available", "deregistered"]),
        Column::new("snapshot_ids".into(), [r#"["snap-ami"]"#, r#"["snap-dereg"]"#]),
        Column::new("tags".into(), ["{}"; 2]),
    ])
    .unwrap();
    let as_of = at(11, 1);
    let costs = daily_cur(
        as_of,
        &[Billed {
            region: "eu-west-1",
            resource_id: "arn:aws:ec2:eu-west-1:111111111111:snapshot/snap-orph-billed",
            usage_type: "EUW1-EBS:SnapshotUsage",
            monthly: 3.52,
            public_rate: 0.055,
        }],
    );
    let mut frames = vec![(Table::Snapshots, snapshots), (Table::Costs, costs)];
    if with_images {
        frames.push((Table::Images, images));
    }
    if with_volumes {
        frames.push((Table::Volumes, volumes));
    }
    Dataset::from_frames(manifest(at(10, 1), as_of), frames).unwrap()
}

fn run(with_images: bool, with_volumes: bool, config: &str) -> Analysis {
    let analysis = analyze(&dataset(with_images, with_volumes), &Config::parse(config, None).unwrap()).unwrap();
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

/// Skipped snapshots and why, sorted by id.
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

const DEFAULT_FLAGGED: [(&str, f64); 6] = [
    ("snap-orph-vol", 10.0),
    ("snap-orph-size", 6.0),
    ("snap-orph-billed", 3.52),
    ("snap-archived", 1.25),
    ("snap-copy", 1.0),
    ("snap-dereg", 0.4),
];

#[test]
fn orphaned_snapshots_are_priced_from_the_cur_then_their_size() {
    let analysis = run(true, true, "");
    assert_savings(&savings(&analysis), &DEFAULT_FLAGGED);
    let findings = findings_of(&analysis, RULE);

    let billed = by_id(&findings, "snap-orph-billed");
    assert_eq!((billed.price_source.origin, billed.confidence), (PriceOrigin::Billed, Confidence::High));
    assert_eq!(billed.resource_name.as_deref(), Some("old-mysql-final"));
    assert_eq!(by_id(&findings, "snap-orph-size").confidence, Confidence::Medium);
    let upper = by_id(&findings, "snap-orph-vol");
    assert_eq!(upper.confidence, Confidence::Low, "volume size is only an upper bound");
    assert!(upper.evidence.iter().any(|e| e.label.contains("upper bound")));
    assert_eq!(by_id(&findings, "snap-copy").confidence, Confidence::Low);
    let archived = by_id(&findings, "snap-archived");
    assert_eq!(archived.remediation.cli.len(), 1, "already archived: delete only");
    let standard = by_id(&findings, "snap-orph-size");
    assert_eq!(standard.remediation.cli[0], "aws ec2 delete-snapshot --region us-east-1 --snapshot-id snap-orph-size");
    assert!(standard.remediation.cli[1].ends_with("--storage-tier archive"));
    for f in &findings {
        assert_eq!(f.risk, Risk::NonDisruptive);
        assert_eq!(f.monthly_cost, f.monthly_savings);
    }
    insta::assert_json_snapshot!("orphaned_ebs_snapshot_findings", findings);
}

#[test]
fn ami_young_live_pending_and_policy_snapshots_are_not_flagged() {
    let analysis = run(true, true, "");
    let flagged: Vec<String> = savings(&analysis).into_iter().map(|(id, _)| id).collect();
    for trap in [
        "snap-ami",
        "snap-young",
        "snap-live",
        "snap-pending",
        "snap-r1",
        "snap-r2",
        "snap-r3",
        "snap-r4",
        "snap-r5",
        "snap-b1",
        "snap-b2",
        "snap-b3",
    ] {
        assert!(!flagged.iter().any(|id| id == trap), "{trap} flagged");
    }
    assert!(skipped(&analysis).is_empty(), "{:?}", skipped(&analysis));
}

#[test]
fn without_images_or_volumes_tables_candidates_are_not_enough_data() {
    // No images table: CreateImage snapshots are AMI snapshots (kept); any other candidate might back an AMI.
    let analysis = run(false, true, "");
    assert!(findings_of(&analysis, RULE).is_empty());
    let reasons = skipped(&analysis);
    let ids: Vec<&str> = reasons.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["snap-archived", "snap-copy", "snap-orph-billed", "snap-orph-size", "snap-orph-vol"]);
    assert!(reasons.iter().all(|(_, r)| r.starts_with("the images table is absent")), "{reasons:?}");

    // No volumes table: only the copy (no source recorded) is still judged; the rest cannot be.
    let analysis = run(true, false, "");
    assert_savings(&savings(&analysis), &[("snap-copy", 1.0)]);
    let reasons = skipped(&analysis);
    let ids: Vec<&str> = reasons.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "snap-archived",
            "snap-b1",
            "snap-b2",
            "snap-b3",
            "snap-dereg",
            "snap-live",
            "snap-orph-billed",
            "snap-orph-size",
            "snap-orph-vol",
            "snap-r3",
            "snap-r4",
            "snap-r5",
        ]
    );
    assert_eq!(reasons[0].1, "the volumes table is absent: cannot tell whether source volume vol-gone4 still exists");

    let empty = Dataset::from_frames(manifest(at(10, 1), at(11, 1)), []).unwrap();
    let analysis = analyze(&empty, &Config::default()).unwrap();
    insta::assert_json_snapshot!("orphaned_ebs_snapshot_empty", findings_of(&analysis, RULE));
}

/// `max-snapshots-per-volume = 2`: of vol-live2's 5 manual snapshots the newest 2 are kept; snap-r3..r5
/// (100, 130, 160 days, 5 GiB each) are reported at 5 × 0.05 = $0.25, medium (incremental). The AWS Backup
/// snapshots stay out of the count. `min-age-days = 20`: snap-young (31 days, 10 GiB) → $0.50.
#[test]
fn retention_count_and_minimum_age_settings_apply() {
    let analysis = run(true, true, "[rules.orphaned-ebs-snapshot]\nmax-snapshots-per-volume = 2");
    let mut expected = DEFAULT_FLAGGED.to_vec();
    expected.extend([("snap-r3", 0.25), ("snap-r4", 0.25), ("snap-r5", 0.25)]);
    assert_savings(&savings(&analysis), &expected);
    let findings = findings_of(&analysis, RULE);
    let r4 = by_id(&findings, "snap-r4");
    assert_eq!(r4.confidence, Confidence::Medium);
    assert!(r4.title.starts_with("Snapshot 4 of 5 of vol-live2 (newest 2 kept)"), "{}", r4.title);

    let analysis = run(true, true, "[rules.orphaned-ebs-snapshot]\nmin-age-days = 20");
    assert!(savings(&analysis).iter().any(|(id, s)| id == "snap-young" && (s - 0.5).abs() < 1e-9));

    assert!(Config::parse("[rules.orphaned-ebs-snapshot]\nmax-snapshots-per-volume = 0", None).is_err());
}

#[test]
fn snapshot_findings_honour_tag_exclusions() {
    let analysis = run(true, true, "[exclusions]\ntags = [\"costwise:ignore=true\"]");
    assert_savings(&savings(&analysis), &DEFAULT_FLAGGED[1..]);
}
