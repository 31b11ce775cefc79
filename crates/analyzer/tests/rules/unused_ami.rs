//! `unused-ami` on hand-built datasets, as of 2026-11-01.

use chrono::{NaiveDate, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Low, Medium};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Analysis, Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};
use crate::stopped_instance::{cur, fortnight};

const RULE: &str = "unused-ami";
const ACCOUNT: &str = "111111111111";
const GIB: i64 = 1 << 30;

/// A date in a const table.
type Day = Option<(i32, u32, u32)>;

fn midnight(day: Day) -> Option<NaiveDateTime> {
    day.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap())
}

/// (region, image id, name, state, created, last launched, backing snapshots, tags)
type ImageSpec =
    (&'static str, &'static str, &'static str, &'static str, Day, Day, &'static [&'static str], &'static str);

/// Images as of 2026-11-01 (us-east-1 unless said). Snapshot rates: standard $0.05, archive $0.0125 per GB-month.
/// - ami-old: created 2025-01-10 (660 days), last launched 2025-06-01 (518 days); snap-old-root billed $1.00 under
///   its ARN, snap-old-data 40 GiB (full size) × $0.05 = $2.00 → $3.00, high confidence
/// - ami-eu (eu-west-1): last launched 2025-02-01 (638 days); snap-eu billed $2.20 under its ARN → $2.20; a launch
///   template in eu-west-1 resolves its image from SSM → medium
/// - ami-never: created 2026-03-01, never launched → 245 days unused; snap-never from a 30 GiB volume → $1.50 at
///   most, medium
/// - ami-shared: last launched 2025-05-02 (548 days); snap-shared also backs ami-running (kept) → not counted;
///   snap-own 20 GiB → $1.00, high
/// - ami-ignored: never launched, created 2025-01-01; snap-ign 10 GiB → $0.50 (tagged costwise:ignore=true)
/// - ami-lt-old: referenced only by lt-2 version 1, neither default nor latest; never launched; snap-lt-old from
///   an 8 GiB volume → $0.40 at most, medium
/// - ami-terminated-use: its only instance is terminated; last launched 2025-04-01 (579 days); snap-term archived,
///   10 GiB of a 100 GiB volume → 10 × $0.0125 = $0.125, high
///
/// Total $8.725. Not reported: ami-young (61 days old), ami-recent (launched 31 days ago), ami-running (running
/// instance), ami-stopped-use (stopped instance), ami-lt-default / ami-lt-latest (default / latest launch template
/// versions), ami-dereg (deregistered), ami-pending, ami-store (no EBS snapshots). Not enough data: ami-nocreate
/// (no creation date), ami-unpriced (snapshot neither billed nor listed), ami-west (a us-west-2 instance without a
/// recorded image).
const IMAGES: &[ImageSpec] = &[
    (
        "us-east-1",
        "ami-old",
        "web-golden-2025-01",
        "available",
        Some((2025, 1, 10)),
        Some((2025, 6, 1)),
        &["snap-old-root", "snap-old-data"],
        r#"{"team":"web"}"#,
    ),
    ("us-east-1", "ami-never", "batch-2026-03", "available", Some((2026, 3, 1)), None, &["snap-never"], "{}"),
    ("us-east-1", "ami-young", "batch-2026-09", "available", Some((2026, 9, 1)), None, &["snap-young"], "{}"),
    (
        "us-east-1",
        "ami-recent",
        "api-2025-01",
        "available",
        Some((2025, 1, 1)),
        Some((2026, 10, 1)),
        &["snap-recent"],
        "{}",
    ),
    (
        "us-east-1",
        "ami-running",
        "web-2025-01",
        "available",
        Some((2025, 1, 1)),
        Some((2025, 3, 1)),
        &["snap-shared", "snap-run"],
        "{}",
    ),
    (
        "us-east-1",
        "ami-stopped-use",
        "ftp-2025-01",
        "available",
        Some((2025, 1, 1)),
        Some((2025, 3, 1)),
        &["snap-stopuse"],
        "{}",
    ),
    (
        "us-east-1",
        "ami-terminated-use",
        "etl-2025-02",
        "available",
        Some((2025, 2, 1)),
        Some((2025, 4, 1)),
        &["snap-term"],
        "{}",
    ),
    (
        "us-east-1",
        "ami-lt-default",
        "asg-default",
        "available",
        Some((2025, 1, 1)),
        Some((2025, 3, 1)),
        &["snap-ltd"],
        "{}",
    ),
    ("us-east-1", "ami-lt-latest", "asg-latest", "available", Some((2025, 1, 1)), None, &["snap-ltl"], "{}"),
    ("us-east-1", "ami-lt-old", "asg-v1", "available", Some((2025, 1, 1)), None, &["snap-lt-old"], "{}"),
    ("us-east-1", "ami-dereg", "gone", "deregistered", Some((2024, 1, 1)), None, &["snap-dereg"], "{}"),
    ("us-east-1", "ami-pending", "copying", "pending", Some((2024, 1, 1)), None, &["snap-pending"], "{}"),
    (
        "us-east-1",
        "ami-shared",
        "web-hotfix",
        "available",
        Some((2025, 5, 1)),
        Some((2025, 5, 2)),
        &["snap-shared", "snap-own"],
        "{}",
    ),
    ("us-east-1", "ami-nocreate", "mystery", "available", None, None, &["snap-nocreate"], "{}"),
    ("us-east-1", "ami-unpriced", "lost", "available", Some((2025, 1, 1)), None, &["snap-missing"], "{}"),
    (
        "us-east-1",
        "ami-ignored",
        "keep-me",
        "available",
        Some((2025, 1, 1)),
        None,
        &["snap-ign"],
        r#"{"costwise:ignore":"true"}"#,
    ),
    ("us-east-1", "ami-store", "instance-store", "available", Some((2025, 1, 1)), None, &[], "{}"),
    ("eu-west-1", "ami-eu", "eu-golden", "available", Some((2025, 1, 1)), Some((2025, 2, 1)), &["snap-eu"], "{}"),
    ("us-west-2", "ami-west", "west-golden", "available", Some((2025, 1, 1)), None, &["snap-west"], "{}"),
];

/// (region, snapshot id, source volume GiB, full snapshot GiB, tier)
const SNAPSHOTS: &[(&str, &str, i64, Option<i64>, &str)] = &[
    ("us-east-1", "snap-old-root", 8, Some(8), "standard"),
    ("us-east-1", "snap-old-data", 100, Some(40), "standard"),
    ("us-east-1", "snap-never", 30, None, "standard"),
    ("us-east-1", "snap-young", 16, Some(16), "standard"),
    ("us-east-1", "snap-recent", 18, Some(18), "standard"),
    ("us-east-1", "snap-term", 100, Some(10), "archive"),
    ("us-east-1", "snap-ltd", 12, Some(12), "standard"),
    ("us-east-1", "snap-ltl", 14, Some(14), "standard"),
    ("us-east-1", "snap-lt-old", 8, None, "standard"),
    ("us-east-1", "snap-shared", 50, Some(50), "standard"),
    ("us-east-1", "snap-own", 20, Some(20), "standard"),
    ("us-east-1", "snap-ign", 10, Some(10), "standard"),
    ("us-west-2", "snap-west", 10, Some(10), "standard"),
];

fn images_frame(images: &[ImageSpec]) -> DataFrame {
    let n = images.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; n]),
        Column::new("region".into(), images.iter().map(|i| i.0).collect::<Vec<_>>()),
        Column::new("image_id".into(), images.iter().map(|i| i.1).collect::<Vec<_>>()),
        Column::new("name".into(), images.iter().map(|i| i.2).collect::<Vec<_>>()),
        Column::new("state".into(), images.iter().map(|i| i.3).collect::<Vec<_>>()),
        datetime_series("creation_date", &images.iter().map(|i| midnight(i.4)).collect::<Vec<_>>()),
        datetime_series("last_launched_time", &images.iter().map(|i| midnight(i.5)).collect::<Vec<_>>()),
        Column::new(
            "snapshot_ids".into(),
            images.iter().map(|i| serde_json::to_string(i.6).unwrap()).collect::<Vec<_>>(),
        ),
        Column::new("tags".into(), images.iter().map(|i| i.7).collect::<Vec<_>>()),
    ])
    .unwrap()
}

fn snapshots_frame() -> DataFrame {
    let n = SNAPSHOTS.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; n]),
        Column::new("region".into(), SNAPSHOTS.iter().map(|s| s.0).collect::<Vec<_>>()),
        Column::new("snapshot_id".into(), SNAPSHOTS.iter().map(|s| s.1).collect::<Vec<_>>()),
        Column::new("volume_size_gib".into(), SNAPSHOTS.iter().map(|s| s.2).collect::<Vec<_>>()),
        Column::new(
            "full_snapshot_size_bytes".into(),
            SNAPSHOTS.iter().map(|s| s.3.map(|g| g * GIB)).collect::<Vec<_>>(),
        ),
        Column::new("storage_tier".into(), SNAPSHOTS.iter().map(|s| s.4).collect::<Vec<_>>()),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

fn instances_frame() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), [ACCOUNT; 4]),
        Column::new("region".into(), ["us-east-1", "us-east-1", "us-east-1", "us-west-2"]),
        Column::new("instance_id".into(), ["i-a", "i-b", "i-t", "i-unknown"]),
        Column::new("instance_type".into(), ["m5.large"; 4]),
        Column::new(
            "image_id".into(),
            [Some("ami-running"), Some("ami-stopped-use"), Some("ami-terminated-use"), None],
        ),
        Column::new("state".into(), ["running", "stopped", "terminated", "running"]),
        Column::new("tags".into(), ["{}"; 4]),
    ])
    .unwrap()
}

fn templates_frame() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), [ACCOUNT; 5]),
        Column::new("region".into(), ["us-east-1", "us-east-1", "us-east-1", "us-east-1", "eu-west-1"]),
        Column::new("launch_template_id".into(), ["lt-1", "lt-1", "lt-2", "lt-2", "lt-3"]),
        Column::new("launch_template_name".into(), ["web", "web", "batch", "batch", "eu"]),
        Column::new("version_number".into(), [1i64, 2, 1, 2, 1]),
        Column::new("default_version".into(), [true, false, false, true, true]),
        Column::new("latest_version".into(), [false, true, false, true, true]),
        Column::new(
            "image_id".into(),
            ["ami-lt-default", "ami-lt-latest", "ami-lt-old", "ami-running", "resolve:ssm:/golden/ami"],
        ),
    ])
    .unwrap()
}

fn dataset(with_instances: bool, with_templates: bool) -> Dataset {
    dataset_with_groups(with_instances, with_templates, false)
}

fn dataset_with_groups(with_instances: bool, with_templates: bool, with_groups: bool) -> Dataset {
    let window = (at(10, 18), at(11, 1));
    let costs = cur(&[
        (
            "arn:aws:ec2:us-east-1:111111111111:snapshot/snap-old-root",
            "EBS:SnapshotUsage",
            "us-east-1",
            window.0,
            window.1,
            fortnight(1.00),
        ),
        (
            "arn:aws:ec2:eu-west-1:111111111111:snapshot/snap-eu",
            "EUW1-EBS:SnapshotUsage",
            "eu-west-1",
            window.0,
            window.1,
            fortnight(2.20),
        ),
    ]);
    let mut frames =
        vec![(Table::Images, images_frame(IMAGES)), (Table::Snapshots, snapshots_frame()), (Table::Costs, costs)];
    if with_instances {
        frames.push((Table::Instances, instances_frame()));
    }
    if with_templates {
        frames.push((Table::LaunchTemplates, templates_frame()));
    }
    if with_groups {
        frames.push((Table::AutoScalingGroups, groups_frame()));
    }
    Dataset::from_frames(manifest(at(10, 1), at(11, 1)), frames).unwrap()
}

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

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.resource_id.as_str()).collect()
}

fn text<'a>(f: &'a Finding, label: &str) -> &'a str {
    let evidence = f.evidence.iter().find(|e| e.label == label).unwrap_or_else(|| panic!("no evidence `{label}`"));
    match &evidence.value {
        EvidenceValue::Text { text } => text,
        other => panic!("{label}: not text: {other:?}"),
    }
}

#[test]
fn unused_images_are_priced_by_their_snapshots() {
    let analysis = analyze(&dataset(true, true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(
        ids(&findings),
        ["ami-old", "ami-eu", "ami-never", "ami-shared", "ami-ignored", "ami-lt-old", "ami-terminated-use"]
    );
    let expected = [
        ("ami-old", 3.00, High),
        ("ami-eu", 2.20, Medium),
        ("ami-never", 1.50, Medium),
        ("ami-shared", 1.00, High),
        ("ami-ignored", 0.50, Medium),
        ("ami-lt-old", 0.40, Medium),
        ("ami-terminated-use", 0.125, High),
    ];
    for (id, dollars, confidence) in expected {
        let f = by_id(&findings, id);
        assert!((f.monthly_savings - dollars).abs() < 1e-9, "{id}: {} != {dollars}", f.monthly_savings);
        assert_eq!(f.monthly_cost, f.monthly_savings, "{id}");
        assert_eq!(f.confidence, confidence, "{id}");
        assert_eq!(f.risk, Risk::NonDisruptive, "{id}");
    }
    let total: f64 = findings.iter().map(|f| f.monthly_savings).sum();
    assert!((total - 8.725).abs() < 1e-9);

    let old = by_id(&findings, "ami-old");
    assert_eq!(old.covers, ["snap-old-root", "snap-old-data"]);
    assert_eq!(old.price_source.origin, PriceOrigin::Catalog, "snap-old-data at list price");
    assert_eq!(old.title, "AMI web-golden-2025-01 not launched for 518 days, 2 snapshots still billed");
    assert_eq!(
        text(old, "launch templates referencing it"),
        "none of the 3 default, latest or group-pinned version(s) in us-east-1"
    );
    assert_eq!(
        old.remediation.cli[1..],
        [
            "# fails while deregistration protection is on (aws ec2 disable-image-deregistration-protection):\naws ec2 deregister-image --region us-east-1 --image-id ami-old",
            "aws ec2 delete-snapshot --region us-east-1 --snapshot-id snap-old-root",
            "aws ec2 delete-snapshot --region us-east-1 --snapshot-id snap-old-data",
        ]
    );

    let eu = by_id(&findings, "ami-eu");
    assert_eq!(eu.price_source.origin, PriceOrigin::Billed);
    assert!(text(eu, "launch template resolving its image from SSM at launch").contains("resolve:ssm:/golden/ami"));
    assert!(eu.remediation.cli[1].ends_with(
        "aws ssm get-parameter --region eu-west-1 --name /golden/ami --query Parameter.Value --output text"
    ));

    let never = by_id(&findings, "ami-never");
    assert!(text(never, "last launched").starts_with("never"));
    assert_eq!(never.title, "AMI batch-2026-03 never launched in 245 days, 1 snapshot still billed");

    let shared = by_id(&findings, "ami-shared");
    assert_eq!(shared.covers, ["snap-own"], "snap-shared backs ami-running, which stays");
    assert_eq!(text(shared, "snapshot snap-shared"), "also backs ami-running, which stays registered: not counted");
    assert!(!shared.remediation.cli.iter().any(|c| c.contains("snap-shared")));

    let skipped = skipped(&analysis);
    let skipped_ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(skipped_ids, ["ami-nocreate", "ami-unpriced", "ami-west"]);
    assert!(skipped[0].1.contains("no creation date"));
    assert!(skipped[1].1.contains("snap-missing"));
    assert!(skipped[2].1.contains("1 instance(s) in us-west-2 have no recorded image id"));

    insta::assert_json_snapshot!("unused_ami_findings", findings);
}

#[test]
fn without_launch_templates_images_are_judged_with_less_confidence() {
    let analysis = analyze(&dataset(true, false), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert_eq!(
        ids(&findings),
        [
            "ami-old",
            "ami-eu",
            "ami-never",
            "ami-shared",
            "ami-lt-latest",
            "ami-lt-default",
            "ami-ignored",
            "ami-lt-old",
            "ami-terminated-use"
        ],
        "ami-lt-latest (14 GiB → $0.70) and ami-lt-default (12 GiB → $0.60) are no longer known to be referenced"
    );
    let old = by_id(&findings, "ami-old");
    assert_eq!(old.confidence, Medium);
    assert!(text(old, "launch templates referencing it").starts_with("not checked"));
    assert_eq!(by_id(&findings, "ami-eu").confidence, Medium, "no SSM reference known without templates");
    assert_eq!(by_id(&findings, "ami-lt-latest").confidence, Low, "never launched, templates not checked");
    assert!((by_id(&findings, "ami-lt-default").monthly_savings - 0.60).abs() < 1e-9);
}

fn groups_frame() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), [ACCOUNT; 4]),
        Column::new("region".into(), ["us-east-1", "us-east-1", "us-east-1", "eu-west-1"]),
        Column::new("auto_scaling_group_name".into(), ["web", "batch-pinned", "legacy", "eu-pinned"]),
        Column::new("launch_template_id".into(), [Some("lt-1"), Some("lt-2"), None, Some("lt-3")]),
        Column::new("launch_template_version".into(), [Some("$Latest"), Some("1"), None, Some("7")]),
        Column::new("launch_configuration_name".into(), [None, None, Some("legacy-lc"), None]),
        Column::new("min_size".into(), [1i64; 4]),
        Column::new("max_size".into(), [2i64; 4]),
        Column::new("desired_capacity".into(), [1i64; 4]),
        Column::new("instance_count".into(), [1i64; 4]),
        Column::new("mixed_instances_policy".into(), [false; 4]),
        Column::new("tags".into(), ["{}"; 4]),
    ])
    .unwrap()
}

#[test]
fn auto_scaling_groups_keep_pinned_versions_and_cast_doubt_on_what_they_hide() {
    let analysis = analyze(&dataset_with_groups(true, true, true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(
        ids(&findings),
        ["ami-old", "ami-eu", "ami-never", "ami-shared", "ami-ignored", "ami-terminated-use"],
        "ami-lt-old is launched by lt-2 version 1, which batch-pinned pins"
    );

    // us-east-1: web launches lt-1's $Latest (held); legacy's launch configuration hides its image.
    let old = by_id(&findings, "ami-old");
    assert_eq!(old.confidence, Medium, "High without the launch configuration's doubt");
    assert_eq!(
        text(old, "launch templates referencing it"),
        "none of the 4 default, latest or group-pinned version(s) in us-east-1"
    );
    assert_eq!(text(old, "Auto Scaling groups"), "3 in us-east-1, their launch sources checked");
    assert_eq!(
        text(old, "Auto Scaling group on a launch configuration (its image is not read)"),
        "legacy launches from launch configuration legacy-lc; check that it does not launch ami-old"
    );
    assert_eq!(
        old.remediation.cli[1],
        "# must not print ami-old:\naws autoscaling describe-launch-configurations --region us-east-1 --launch-configuration-names legacy-lc --query 'LaunchConfigurations[0].ImageId' --output text"
    );
    assert!(!old.evidence.iter().any(|e| e.label.contains("template version the snapshot does not hold")));

    // eu-west-1: eu-pinned asks for lt-3 version 7, which the snapshot does not hold (only version 1).
    let eu = by_id(&findings, "ami-eu");
    assert_eq!(eu.confidence, Medium, "one level lower for the SSM parameter and the missing version together");
    assert_eq!(
        text(eu, "Auto Scaling group launching a template version the snapshot does not hold"),
        "eu-pinned launches lt-3 version 7; check that it does not launch ami-eu"
    );
    assert!(eu.remediation.cli.iter().any(|c| c.ends_with(
        "aws ec2 describe-launch-template-versions --region eu-west-1 --launch-template-id lt-3 --versions 7 --query 'LaunchTemplateVersions[0].LaunchTemplateData.ImageId' --output text"
    )));
}

#[test]
fn without_instances_candidates_are_not_enough_data() {
    let analysis = analyze(&dataset(false, true), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let skipped = skipped(&analysis);
    let skipped_ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        skipped_ids,
        [
            "ami-eu",
            "ami-ignored",
            "ami-lt-old",
            "ami-never",
            "ami-nocreate",
            "ami-old",
            "ami-shared",
            "ami-stopped-use",
            "ami-terminated-use",
            "ami-unpriced",
            "ami-west"
        ],
        "launch template references are still known"
    );
    assert!(skipped.iter().filter(|(id, _)| id != "ami-nocreate").all(|(_, why)| why.contains("no instances table")));
}

#[test]
fn age_settings_and_tag_exclusion_apply() {
    let config = Config::parse(
        "[rules.unused-ami]\nmin-age-days = 30\nmin-days-unused = 30\n[exclusions]\ntags = [\"costwise:ignore=true\"]\n",
        None,
    )
    .unwrap();
    let analysis = analyze(&dataset(true, true), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert_eq!(
        ids(&findings),
        ["ami-old", "ami-eu", "ami-never", "ami-shared", "ami-recent", "ami-young", "ami-lt-old", "ami-terminated-use"],
        "ami-recent (31 days, 18 GiB → $0.90) and ami-young (61 days, 16 GiB → $0.80) now count; ami-ignored excluded"
    );
    let run = analysis.rules.iter().find(|r| r.id == RULE).unwrap();
    assert_eq!((run.settings["min-age-days"].as_u64(), run.settings["min-days-unused"].as_u64()), (Some(30), Some(30)));
}

#[test]
fn images_in_use_give_no_findings() {
    let images: Vec<ImageSpec> = IMAGES
        .iter()
        .filter(|i| ["ami-young", "ami-recent", "ami-running", "ami-lt-default", "ami-store"].contains(&i.1))
        .copied()
        .collect();
    let frames = vec![
        (Table::Images, images_frame(&images)),
        (Table::Snapshots, snapshots_frame()),
        (Table::Instances, instances_frame()),
        (Table::LaunchTemplates, templates_frame()),
    ];
    let dataset = Dataset::from_frames(manifest(at(10, 1), at(11, 1)), frames).unwrap();
    let analysis = analyze(&dataset, &Config::default()).unwrap();
    assert!(skipped(&analysis).is_empty());
    insta::assert_json_snapshot!("unused_ami_none", findings_of(&analysis, RULE));
}
