//! `stopped-instance` on hand-built datasets, as of 2026-11-01.

use chrono::NaiveDateTime;
use costwise_analyzer::Confidence::{High, Low, Medium};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "stopped-instance";

/// One CUR line: (resource id, usage type, region, start, end, amortized cost).
pub type CurLine<'a> = (&'a str, &'a str, &'a str, NaiveDateTime, NaiveDateTime, f64);

/// The amortized cost a resource must be billed over the 14 days before
/// 2026-11-01 for `BilledCosts` to report `monthly` (× 730 / 336 hours).
pub fn fortnight(monthly: f64) -> f64 {
    monthly * 336.0 / 730.0
}

/// A `costs` frame for account 111111111111 (no public on-demand rates, so
/// the lines teach the price book nothing).
pub fn cur(lines: &[CurLine<'_>]) -> DataFrame {
    cur_with_rates(lines, &[])
}

/// Like [`cur`], plus rate-only lines (usage type, region, public on-demand rate)
/// that teach the price book a region's rates.
pub fn cur_with_rates(lines: &[CurLine<'_>], rates: &[(&str, &str, f64)]) -> DataFrame {
    let n = lines.len() + rates.len();
    let mut resource = Vec::with_capacity(n);
    let mut usage_type = Vec::with_capacity(n);
    let mut region = Vec::with_capacity(n);
    let mut start = Vec::with_capacity(n);
    let mut end = Vec::with_capacity(n);
    let mut cost = Vec::with_capacity(n);
    let mut rate = Vec::with_capacity(n);
    for (id, usage, r, s, e, c) in lines {
        resource.push(Some(*id));
        usage_type.push(*usage);
        region.push(*r);
        start.push(Some(*s));
        end.push(Some(*e));
        cost.push(*c);
        rate.push(None);
    }
    for (usage, r, public_rate) in rates {
        resource.push(None);
        usage_type.push(*usage);
        region.push(*r);
        start.push(Some(at(10, 31)));
        end.push(Some(at(11, 1)));
        cost.push(*public_rate);
        rate.push(Some(*public_rate));
    }
    DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &start),
        datetime_series("usage_end", &end),
        Column::new("account_id".into(), vec!["111111111111"; n]),
        Column::new("region".into(), region),
        Column::new("service".into(), vec!["AmazonEC2"; n]),
        Column::new("usage_type".into(), usage_type),
        Column::new("resource_id".into(), resource),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), vec![1.0; n]),
        Column::new("unblended_cost".into(), cost.clone()),
        Column::new("amortized_cost".into(), cost.clone()),
        Column::new("public_on_demand_cost".into(), cost),
        Column::new("public_on_demand_rate".into(), rate),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

fn dollars(f: &Finding) -> f64 {
    f.monthly_savings
}

fn money(f: &Finding, label_start: &str) -> f64 {
    let evidence = f.evidence.iter().find(|e| e.label.starts_with(label_start)).unwrap_or_else(|| {
        panic!("{}: no evidence `{label_start}`", f.resource_id);
    });
    match &evidence.value {
        EvidenceValue::Money { amount, .. } => *amount,
        other => panic!("{label_start}: not money: {other:?}"),
    }
}

/// Instances (us-east-1 unless said), as of 2026-11-01:
/// - i-old t3.medium "old-poc", stopped 2026-07-14 17:00 (recorded) → 109 days, high confidence. Holds
///   vol-old-root gp3 20 GiB billed $1.60 (its CUR cost), vol-old-data gp2 50 GiB not billed → 50 × $0.10 = $5.00,
///   and Elastic IP 54.0.0.1 billed $3.65 under its address → $10.25; change window (it holds an EIP).
///   Compute if restarted: $0.0416 × 730 = $30.368, not counted.
/// - i-ml m5.xlarge, stop time not recorded; its last BoxUsage hour ends 2026-09-20 → 42 days, medium confidence.
///   vol-ml-root gp3 100 GiB billed $8.00 → $8.00, every figure billed.
/// - i-nocur t3.small, stop time not recorded and no compute billed at all, while the account's CUR bills compute
///   under instance ids from 2026-08-01 → at least 92 days, low confidence; vol-nocur gp3 10 GiB → $0.80 list.
/// - i-recent stopped 2026-10-20 → 12 days: below 30 (vol-recent gp3 25 GiB → $2.00 list).
/// - i-warm stopped 2026-06-01 in Auto Scaling group web-asg (warm pool): never reported.
/// - i-run running (its volume and EIP are in use): never reported.
/// - i-novol stopped 2026-06-01 with no volume in the volumes table → not enough data.
/// - i-other (account 222222222222) stop time not recorded, and that account's CUR bills no compute by instance
///   id → not enough data.
fn dataset(with_costs: bool, with_addresses: bool) -> Dataset {
    let stopped_at = |m, d, h| at(m, d) + chrono::Duration::hours(h);
    let instances = DataFrame::new_infer_height(vec![
        Column::new(
            "account_id".into(),
            [
                "111111111111",
                "111111111111",
                "111111111111",
                "111111111111",
                "111111111111",
                "111111111111",
                "111111111111",
                "222222222222",
            ],
        ),
        Column::new("region".into(), ["us-east-1"; 8]),
        Column::new(
            "instance_id".into(),
            ["i-old", "i-ml", "i-nocur", "i-recent", "i-warm", "i-run", "i-novol", "i-other"],
        ),
        Column::new(
            "name".into(),
            [Some("old-poc"), Some("ml-experiment"), None, Some("demo"), Some("web-warm"), Some("web"), None, None],
        ),
        Column::new(
            "instance_type".into(),
            ["t3.medium", "m5.xlarge", "t3.small", "t3.large", "m5.large", "m5.large", "t3.micro", "t3.micro"],
        ),
        Column::new(
            "state".into(),
            ["stopped", "stopped", "stopped", "stopped", "stopped", "running", "stopped", "stopped"],
        ),
        datetime_series(
            "state_changed_at",
            &[
                Some(stopped_at(7, 14, 17)),
                None,
                None,
                Some(at(10, 20)),
                Some(at(6, 1)),
                Some(at(9, 1)),
                Some(at(6, 1)),
                None,
            ],
        ),
        Column::new("platform".into(), [Some("Linux/UNIX"), Some("Linux/UNIX"), None, None, None, None, None, None]),
        Column::new("auto_scaling_group".into(), [None, None, None, None, Some("web-asg"), None, None, None]),
        Column::new(
            "root_volume_id".into(),
            [
                Some("vol-old-root"),
                Some("vol-ml-root"),
                Some("vol-nocur"),
                Some("vol-recent"),
                Some("vol-warm"),
                Some("vol-run"),
                None,
                None,
            ],
        ),
        Column::new(
            "tags".into(),
            [
                r#"{"Name":"old-poc","team":"growth"}"#,
                r#"{"Name":"ml-experiment","costwise:ignore":"true"}"#,
                "{}",
                "{}",
                "{}",
                "{}",
                "{}",
                "{}",
            ],
        ),
    ])
    .unwrap();
    let volumes = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 7]),
        Column::new("region".into(), ["us-east-1"; 7]),
        Column::new(
            "volume_id".into(),
            ["vol-old-data", "vol-old-root", "vol-ml-root", "vol-nocur", "vol-recent", "vol-warm", "vol-run"],
        ),
        Column::new("volume_type".into(), ["gp2", "gp3", "gp3", "gp3", "gp3", "gp3", "gp3"]),
        Column::new("size_gib".into(), [50i64, 20, 100, 10, 25, 8, 8]),
        Column::new("iops".into(), [150i64, 3000, 3000, 3000, 3000, 3000, 3000]),
        Column::new(
            "throughput_mibps".into(),
            [None, Some(125i64), Some(125), Some(125), Some(125), Some(125), Some(125)],
        ),
        Column::new("state".into(), ["in-use"; 7]),
        Column::new(
            "attached_instance_id".into(),
            ["i-old", "i-old", "i-ml", "i-nocur", "i-recent", "i-warm", "i-run"],
        ),
        Column::new("tags".into(), ["{}"; 7]),
    ])
    .unwrap();
    let mut frames = vec![(Table::Instances, instances), (Table::Volumes, volumes)];
    if with_addresses {
        let addresses = DataFrame::new_infer_height(vec![
            Column::new("account_id".into(), ["111111111111"; 2]),
            Column::new("region".into(), ["us-east-1"; 2]),
            Column::new("allocation_id".into(), ["eipalloc-old", "eipalloc-run"]),
            Column::new("public_ip".into(), ["54.0.0.1", "54.0.0.2"]),
            Column::new("association_id".into(), ["eipassoc-old", "eipassoc-run"]),
            Column::new("instance_id".into(), ["i-old", "i-run"]),
            Column::new("network_interface_id".into(), ["eni-old", "eni-run"]),
            Column::new("tags".into(), ["{}"; 2]),
        ])
        .unwrap();
        frames.push((Table::Addresses, addresses));
    }
    if with_costs {
        let window = (at(10, 18), at(11, 1));
        let costs = cur(&[
            ("i-ml", "BoxUsage:m5.xlarge", "us-east-1", at(8, 1), at(9, 20), 200.0),
            ("i-run", "BoxUsage:m5.large", "us-east-1", at(8, 1), at(11, 1), 300.0),
            ("vol-old-root", "EBS:VolumeUsage.gp3", "us-east-1", window.0, window.1, fortnight(1.60)),
            ("vol-ml-root", "EBS:VolumeUsage.gp3", "us-east-1", window.0, window.1, fortnight(8.00)),
            ("54.0.0.1", "PublicIPv4:InUseAddress", "us-east-1", window.0, window.1, fortnight(3.65)),
        ]);
        frames.push((Table::Costs, costs));
    }
    Dataset::from_frames(manifest(at(10, 1), at(11, 1)), frames).unwrap()
}

#[test]
fn stopped_instances_are_priced_by_what_they_still_hold() {
    let analysis = analyze(&dataset(true, true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, ["i-old", "i-ml", "i-nocur"], "by savings; i-recent too recent, i-warm in an ASG, i-run running");

    let old = by_id(&findings, "i-old");
    assert!((dollars(old) - 10.25).abs() < 1e-9, "1.60 + 5.00 + 3.65, got {}", dollars(old));
    assert_eq!(old.monthly_cost, old.monthly_savings);
    assert_eq!(old.covers, ["vol-old-root", "vol-old-data", "eipalloc-old"], "root first, then by id; then the EIP");
    assert_eq!(old.confidence, High);
    assert_eq!(old.risk, Risk::ChangeWindow, "releasing its Elastic IP is irreversible");
    assert_eq!(old.price_source.origin, PriceOrigin::Catalog, "the weakest source: vol-old-data's list price");
    assert!((money(old, "EBS volume vol-old-root") - 1.60).abs() < 1e-9);
    assert!((money(old, "EBS volume vol-old-data") - 5.00).abs() < 1e-9);
    assert!((money(old, "Elastic IP 54.0.0.1") - 3.65).abs() < 1e-9);
    assert!((money(old, "compute if restarted") - 30.368).abs() < 1e-9, "0.0416 × 730, not counted");
    assert!((money(old, "final image snapshots") - 3.50).abs() < 1e-9, "70 GiB × $0.05 at most");
    assert_eq!(old.title, "t3.medium instance stopped for 109 days, still paying for 2 EBS volumes and 1 Elastic IP");
    assert_eq!(old.resource_name.as_deref(), Some("old-poc"));
    assert_eq!(old.tags["team"], "growth");

    let ml = by_id(&findings, "i-ml");
    assert!((dollars(ml) - 8.00).abs() < 1e-9);
    assert_eq!(ml.confidence, Medium, "stop time from the last billed compute hour");
    assert_eq!(ml.price_source.origin, PriceOrigin::Billed);
    assert_eq!(ml.risk, Risk::NonDisruptive);
    assert!(ml.title.contains("42 days"), "{}", ml.title);

    let nocur = by_id(&findings, "i-nocur");
    assert!((dollars(nocur) - 0.80).abs() < 1e-9);
    assert_eq!(nocur.confidence, Low, "at least since the billing data starts");
    assert!(nocur.title.contains("92 days"), "{}", nocur.title);

    let skipped: Vec<(&str, &str)> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.as_str(), s.skipped.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped.iter().any(|(id, why)| *id == "i-novol" && why.contains("inventory looks incomplete")));
    assert!(
        skipped.iter().any(|(id, why)| *id == "i-other" && why.contains("does not bill compute under instance ids"))
    );

    insta::assert_json_snapshot!("stopped_instance_findings", findings);
}

#[test]
fn the_elastic_ip_of_a_stopped_instance_is_counted_once() {
    let analysis = analyze(&dataset(true, true), &Config::default()).unwrap();
    let eip = findings_of(&analysis, "idle-elastic-ip");
    assert_eq!(eip.iter().map(|f| f.resource_id.as_str()).collect::<Vec<_>>(), ["eipalloc-old"]);
    let overlap = analysis
        .overlaps
        .iter()
        .find(|o| o.resource_id == "eipalloc-old")
        .expect("the idle-elastic-ip finding overlaps the stopped instance");
    assert_eq!(
        (overlap.counted_rule.as_str(), overlap.counted_resource_id.as_str(), overlap.skipped_rule.as_str()),
        (RULE, "i-old", "idle-elastic-ip")
    );
}

#[test]
fn without_billing_data_list_prices_apply_and_unknown_stop_times_are_not_enough_data() {
    let analysis = analyze(&dataset(false, false), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, ["i-old"]);
    let old = by_id(&findings, "i-old");
    // 20 × $0.08 + 50 × $0.10; the Elastic IPs could not be checked.
    assert!((dollars(old) - 6.60).abs() < 1e-9);
    assert_eq!(old.risk, Risk::NonDisruptive);
    assert!(old.evidence.iter().any(|e| e.label == "Elastic IPs"
        && matches!(&e.value, EvidenceValue::Text { text } if text.contains("no addresses table"))));
    let mut skipped: Vec<&str> =
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).map(|s| s.skipped.resource_id.as_str()).collect();
    skipped.sort_unstable();
    assert_eq!(skipped, ["i-ml", "i-nocur", "i-novol", "i-other"]);
    assert!(
        analysis
            .not_enough_data
            .iter()
            .any(|s| s.skipped.resource_id == "i-ml" && s.skipped.reason.contains("no billing data"))
    );
}

#[test]
fn min_days_setting_and_tag_exclusion_apply() {
    let config = Config::parse(
        "[rules.stopped-instance]\nmin-days-stopped = 7\n[exclusions]\ntags = [\"costwise:ignore=true\"]\n",
        None,
    )
    .unwrap();
    let analysis = analyze(&dataset(true, true), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, ["i-old", "i-recent", "i-nocur"], "i-recent (12 days) now counts; i-ml excluded by its tag");
    // 25 GiB gp3 at $0.08, list price.
    assert!((dollars(by_id(&findings, "i-recent")) - 2.00).abs() < 1e-9);
    let run = analysis.rules.iter().find(|r| r.id == RULE).unwrap();
    assert_eq!(run.settings["min-days-stopped"], 7);
}

#[test]
fn remediation_images_terminates_and_cleans_up() {
    let analysis = analyze(&dataset(true, true), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    let cli = &by_id(&findings, "i-old").remediation.cli;
    assert!(cli[0].starts_with("AMI=$(aws ec2 create-image --region us-east-1 --instance-id i-old"), "{}", cli[0]);
    assert!(cli[0].contains("--no-reboot"));
    assert_eq!(cli[1], "aws ec2 wait image-available --region us-east-1 --image-ids \"$AMI\"");
    assert_eq!(cli[2], "aws ec2 terminate-instances --region us-east-1 --instance-ids i-old");
    assert!(cli[4].ends_with("aws ec2 delete-volume --region us-east-1 --volume-id vol-old-root"));
    assert_eq!(cli[5], "aws ec2 delete-volume --region us-east-1 --volume-id vol-old-data");
    assert!(cli[6].ends_with("aws ec2 release-address --region us-east-1 --allocation-id eipalloc-old"));
    assert!(cli[6].contains("DNS"));
}

#[test]
fn nothing_stopped_long_enough_gives_no_findings() {
    let config = Config::parse("[rules.stopped-instance]\nmin-days-stopped = 400\n", None).unwrap();
    let analysis = analyze(&dataset(true, true), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    insta::assert_json_snapshot!("stopped_instance_none", findings);
}
