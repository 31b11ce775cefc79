//! `idle-elastic-ip` on hand-built datasets, as of 2026-11-01.

use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Config, Dataset, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};
use crate::stopped_instance::{cur_with_rates, fortnight};

const RULE: &str = "idle-elastic-ip";

/// Addresses, as of 2026-11-01; public IPv4 is $0.005/hour in us-east-1 → × 730 = $3.65/month.
/// - eipalloc-free 54.0.0.10: nothing associated, not billed by address → $3.65 (catalog), high confidence
/// - eipalloc-billed 54.0.0.11: nothing associated, billed $3.65 under its address → $3.65 (billed)
/// - eipalloc-eu 52.0.0.12 (eu-west-1): nothing associated; the CUR shows eu-west-1 gp3 at $0.088 (× 1.1 the
///   us-east-1 rate), so $0.005 × 1.1 × 730 = $4.015 (region-scaled)
/// - eipalloc-stop 54.0.0.14: on i-stop, stopped since 2026-08-01 (92 days) → $3.65, medium confidence,
///   change window
/// - eipalloc-ignored 54.0.0.17: nothing associated, tagged costwise:ignore=true → $3.65 unless excluded
/// - eipalloc-nat 54.0.0.13: on a NAT gateway's network interface (no instance) → in use, never reported
/// - eipalloc-run 54.0.0.15: on running i-run → in use
/// - eipalloc-ghost 54.0.0.16: on i-ghost, which the instances table does not list → not enough data
///
/// Total: 3.65 × 4 + 4.015 = 18.615.
fn dataset(with_instances: bool) -> Dataset {
    dataset_of(with_instances, None)
}

/// The dataset, keeping only the addresses `only` when given.
fn dataset_of(with_instances: bool, only: Option<&[&str]>) -> Dataset {
    let ids = [
        "eipalloc-free",
        "eipalloc-billed",
        "eipalloc-eu",
        "eipalloc-stop",
        "eipalloc-ignored",
        "eipalloc-nat",
        "eipalloc-run",
        "eipalloc-ghost",
    ];
    let addresses = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 8]),
        Column::new(
            "region".into(),
            ["us-east-1", "us-east-1", "eu-west-1", "us-east-1", "us-east-1", "us-east-1", "us-east-1", "us-east-1"],
        ),
        Column::new("allocation_id".into(), ids),
        Column::new("name".into(), [Some("vpn"), None, Some("mail-relay"), None, None, Some("nat-a"), None, None]),
        Column::new(
            "public_ip".into(),
            ["54.0.0.10", "54.0.0.11", "52.0.0.12", "54.0.0.14", "54.0.0.17", "54.0.0.13", "54.0.0.15", "54.0.0.16"],
        ),
        Column::new(
            "association_id".into(),
            [
                None,
                None,
                None,
                Some("eipassoc-stop"),
                None,
                Some("eipassoc-nat"),
                Some("eipassoc-run"),
                Some("eipassoc-ghost"),
            ],
        ),
        Column::new(
            "instance_id".into(),
            [None, None, None, Some("i-stop"), None, None, Some("i-run"), Some("i-ghost")],
        ),
        Column::new(
            "network_interface_id".into(),
            [None, None, None, Some("eni-stop"), None, Some("eni-nat"), Some("eni-run"), Some("eni-ghost")],
        ),
        Column::new("domain".into(), ["vpc"; 8]),
        Column::new(
            "tags".into(),
            [
                r#"{"Name":"vpn"}"#,
                "{}",
                r#"{"Name":"mail-relay"}"#,
                "{}",
                r#"{"costwise:ignore":"true"}"#,
                "{}",
                "{}",
                "{}",
            ],
        ),
    ])
    .unwrap();
    let addresses = match only {
        None => addresses,
        Some(keep) => addresses
            .lazy()
            .filter(col("allocation_id").is_in(lit(Series::new("keep".into(), keep)).implode(false), false))
            .collect()
            .unwrap(),
    };
    let costs = cur_with_rates(
        &[("54.0.0.11", "PublicIPv4:IdleAddress", "us-east-1", at(10, 18), at(11, 1), fortnight(3.65))],
        &[("EUW1-EBS:VolumeUsage.gp3", "eu-west-1", 0.088)],
    );
    let mut frames = vec![(Table::Addresses, addresses), (Table::Costs, costs)];
    if with_instances {
        let instances = DataFrame::new_infer_height(vec![
            Column::new("account_id".into(), ["111111111111"; 2]),
            Column::new("region".into(), ["us-east-1"; 2]),
            Column::new("instance_id".into(), ["i-stop", "i-run"]),
            Column::new("name".into(), [Some("legacy-ftp"), Some("web")]),
            Column::new("instance_type".into(), ["t3.small", "m5.large"]),
            Column::new("state".into(), ["stopped", "running"]),
            datetime_series("state_changed_at", &[Some(at(8, 1)), Some(at(9, 1))]),
            Column::new("tags".into(), ["{}"; 2]),
        ])
        .unwrap();
        frames.push((Table::Instances, instances));
    }
    Dataset::from_frames(manifest(at(10, 1), at(11, 1)), frames).unwrap()
}

fn skipped(analysis: &costwise_analyzer::Analysis) -> Vec<(String, String)> {
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
fn unassociated_addresses_and_addresses_on_stopped_instances_are_flagged() {
    let analysis = analyze(&dataset(true), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    let mut ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["eipalloc-billed", "eipalloc-eu", "eipalloc-free", "eipalloc-ignored", "eipalloc-stop"],
        "the NAT gateway's address and the running instance's are in use"
    );
    assert_eq!(findings[0].resource_id, "eipalloc-eu", "biggest first");

    let expected = [
        ("eipalloc-free", 3.65, PriceOrigin::Catalog),
        ("eipalloc-billed", 3.65, PriceOrigin::Billed),
        ("eipalloc-eu", 4.015, PriceOrigin::RegionScaled),
        ("eipalloc-stop", 3.65, PriceOrigin::Catalog),
        ("eipalloc-ignored", 3.65, PriceOrigin::Catalog),
    ];
    for (id, dollars, origin) in expected {
        let f = by_id(&findings, id);
        assert!((f.monthly_savings - dollars).abs() < 1e-9, "{id}: {} != {dollars}", f.monthly_savings);
        assert_eq!(f.monthly_cost, f.monthly_savings, "{id}: releasing saves the whole cost");
        assert_eq!(f.price_source.origin, origin, "{id}");
    }
    let free = by_id(&findings, "eipalloc-free");
    assert_eq!((free.confidence, free.risk), (High, Risk::NonDisruptive));
    assert_eq!(free.remediation.cli, ["aws ec2 release-address --region us-east-1 --allocation-id eipalloc-free"]);

    let stop = by_id(&findings, "eipalloc-stop");
    assert_eq!((stop.confidence, stop.risk), (Medium, Risk::ChangeWindow));
    assert_eq!(stop.title, "Elastic IP 54.0.0.14 held by stopped instance i-stop (legacy-ftp)");
    assert_eq!(
        stop.remediation.cli,
        [
            "aws ec2 disassociate-address --region us-east-1 --association-id eipassoc-stop",
            "aws ec2 release-address --region us-east-1 --allocation-id eipalloc-stop",
        ]
    );

    let skipped = skipped(&analysis);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, "eipalloc-ghost");
    assert!(skipped[0].1.contains("not in the instances table"), "{}", skipped[0].1);

    insta::assert_json_snapshot!("idle_elastic_ip_findings", findings);
}

#[test]
fn without_instances_associated_addresses_are_not_enough_data() {
    let analysis = analyze(&dataset(false), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert_eq!(findings.len(), 4, "only the unassociated addresses");
    let skipped = skipped(&analysis);
    let ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["eipalloc-ghost", "eipalloc-run", "eipalloc-stop"], "the NAT gateway's address needs no instance");
    assert!(skipped.iter().all(|(_, why)| why.contains("no instances table")));
}

#[test]
fn stopped_instances_can_be_left_out_and_tags_exclude() {
    let config = Config::parse(
        "[rules.idle-elastic-ip]\ninclude-stopped-instances = false\n[exclusions]\ntags = [\"costwise:ignore=true\"]\n",
        None,
    )
    .unwrap();
    let analysis = analyze(&dataset(true), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    let mut ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["eipalloc-billed", "eipalloc-eu", "eipalloc-free"]);
    assert!(skipped(&analysis).is_empty(), "associated addresses are not judged at all");
    let total: f64 = findings.iter().map(|f| f.monthly_savings).sum();
    assert!((total - 11.315).abs() < 1e-9, "3.65 + 3.65 + 4.015");
}

#[test]
fn addresses_in_use_give_no_findings() {
    let analysis = analyze(&dataset_of(true, Some(&["eipalloc-nat", "eipalloc-run"])), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert!(skipped(&analysis).is_empty());
    insta::assert_json_snapshot!("idle_elastic_ip_none", findings);
}
