//! The demo account: deterministic, consistent with its oracle, and billed as intended.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use costwise_analyzer::{Config, Dataset, Table, analyze};
use costwise_synth::demo::{self, DEMO_SEED, Oracle};
use polars::prelude::*;

struct Generated {
    _dir: tempfile::TempDir,
    snapshot: PathBuf,
    oracle_path: PathBuf,
    oracle: Oracle,
}

fn generated() -> &'static Generated {
    static ONCE: OnceLock<Generated> = OnceLock::new();
    ONCE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = dir.path().join("demo");
        let oracle_path = dir.path().join("demo-oracle.json");
        let oracle = demo::generate(&snapshot, &oracle_path, DEMO_SEED).unwrap();
        Generated { _dir: dir, snapshot, oracle_path, oracle }
    })
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&path).unwrap())
        })
        .collect()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn two_runs_give_identical_bytes() {
    let first = generated();
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("demo");
    let oracle_path = dir.path().join("demo-oracle.json");
    demo::generate(&snapshot, &oracle_path, DEMO_SEED).unwrap();
    let (a, b) = (files(&first.snapshot), files(&snapshot));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert_eq!(a.len(), 13, "manifest + 12 tables: {:?}", a.keys());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two runs");
    }
    assert_eq!(fs::read(&first.oracle_path).unwrap(), fs::read(&oracle_path).unwrap());
}

#[test]
fn committed_fixture_is_what_the_generator_writes() {
    let committed = repo().join("fixtures/demo");
    let fresh = files(&generated().snapshot);
    let hint = "regenerate with `cargo run -p costwise-synth -- demo --out fixtures/demo`";
    assert_eq!(files(&committed).keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>(), "{hint}");
    for (name, bytes) in files(&committed) {
        assert!(bytes == fresh[&name], "fixtures/demo/{name} is stale; {hint}");
    }
    assert_eq!(
        fs::read(repo().join("fixtures/demo-oracle.json")).unwrap(),
        fs::read(&generated().oracle_path).unwrap(),
        "{hint}"
    );
}

fn column_set(df: &DataFrame, name: &str) -> BTreeSet<String> {
    df.column(name).unwrap().str().unwrap().iter().flatten().map(str::to_owned).collect()
}

fn table(ds: &Dataset, t: Table) -> DataFrame {
    ds.table(t).unwrap().collect().unwrap()
}

fn lookup(df: &DataFrame, key: &str, id: &str, column: &str) -> Option<String> {
    let row = df.column(key).unwrap().str().unwrap().iter().position(|v| v == Some(id))?;
    Some(df.column(column).unwrap().get(row).unwrap().str_value().to_string())
}

#[test]
fn oracle_matches_the_inventory() {
    let g = generated();
    let ds = Dataset::open(&g.snapshot).unwrap();
    for t in Table::ALL {
        assert!(ds.has(t), "{t} missing");
    }
    let volumes = table(&ds, Table::Volumes);
    let instances = table(&ds, Table::Instances);
    let snapshots = table(&ds, Table::Snapshots);
    let images = table(&ds, Table::Images);
    let addresses = table(&ds, Table::Addresses);
    let lbs = table(&ds, Table::LoadBalancers);
    let nats = table(&ds, Table::NatGateways);
    let buckets = table(&ds, Table::Buckets);
    let volume_ids = column_set(&volumes, "volume_id");
    let image_snapshots: BTreeSet<String> = images
        .column("snapshot_ids")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .flat_map(|json| serde_json::from_str::<Vec<String>>(json).unwrap())
        .collect();
    let billed = column_set(&table(&ds, Table::Costs), "resource_id");

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &g.oracle.findings {
        *kinds.entry(f.kind.as_str()).or_default() += 1;
        let Some(id) = f.resource_id.as_deref() else {
            assert_eq!(f.kind, "steady-on-demand-usage");
            continue;
        };
        match f.kind.as_str() {
            "unattached-ebs-volume" | "recently-detached-ebs-volume" => {
                assert_eq!(lookup(&volumes, "volume_id", id, "state").as_deref(), Some("available"), "{id}");
                assert!(billed.contains(id), "{id} not billed");
                assert!(f.expected_monthly_savings.unwrap() > 0.0);
            }
            "gp2-volume" => {
                assert_eq!(lookup(&volumes, "volume_id", id, "volume_type").as_deref(), Some("gp2"), "{id}");
                assert_eq!(lookup(&volumes, "volume_id", id, "state").as_deref(), Some("in-use"), "{id}");
            }
            "stopped-instance" => {
                assert_eq!(lookup(&instances, "instance_id", id, "state").as_deref(), Some("stopped"), "{id}");
            }
            "previous-generation-instance" | "overprovisioned-instance" => {
                assert_eq!(lookup(&instances, "instance_id", id, "state").as_deref(), Some("running"), "{id}");
                assert!(billed.contains(id), "{id} not billed");
            }
            "orphaned-snapshot" => {
                let source = lookup(&snapshots, "snapshot_id", id, "volume_id").expect("snapshot exists");
                assert!(!volume_ids.contains(&source), "{id}: source volume {source} still exists");
                assert!(!image_snapshots.contains(id), "{id} backs an AMI");
                assert!(billed.iter().any(|b| b.ends_with(&format!("snapshot/{id}"))), "{id} not billed");
            }
            "idle-elastic-ip" => {
                assert_eq!(lookup(&addresses, "allocation_id", id, "association_id").as_deref(), Some("null"), "{id}");
                let ip = lookup(&addresses, "allocation_id", id, "public_ip").unwrap();
                assert!(billed.contains(&ip), "{ip} not billed");
            }
            "idle-load-balancer" => {
                assert!(lookup(&lbs, "load_balancer_arn", id, "name").is_some(), "{id}");
                assert!(billed.contains(id), "{id} not billed");
            }
            "idle-nat-gateway" => {
                assert_eq!(lookup(&nats, "nat_gateway_id", id, "state").as_deref(), Some("available"), "{id}");
                assert!(billed.iter().any(|b| b.ends_with(&format!("natgateway/{id}"))), "{id} not billed");
            }
            "cold-s3-bucket-without-lifecycle" => {
                assert_eq!(lookup(&buckets, "bucket", id, "lifecycle_rule_count").as_deref(), Some("0"), "{id}");
                assert!(billed.contains(id), "{id} not billed");
            }
            "heavy-s3-egress" => assert!(lookup(&buckets, "bucket", id, "bucket").is_some(), "{id}"),
            "spend-spike" => {
                assert_eq!(id, "AWSDataTransfer");
                assert!(f.expected_monthly_savings.is_none(), "a spike is an alert, not a saving");
            }
            other => panic!("unexpected kind {other}"),
        }
    }
    let expected: BTreeMap<&str, usize> = [
        ("cold-s3-bucket-without-lifecycle", 2),
        ("gp2-volume", 18),
        ("heavy-s3-egress", 1),
        ("idle-elastic-ip", 3),
        ("idle-load-balancer", 3),
        ("idle-nat-gateway", 1),
        ("orphaned-snapshot", 6),
        ("overprovisioned-instance", 4),
        ("previous-generation-instance", 6),
        ("recently-detached-ebs-volume", 2),
        ("spend-spike", 1),
        ("steady-on-demand-usage", 3),
        ("stopped-instance", 8),
        ("unattached-ebs-volume", 6),
    ]
    .into();
    assert_eq!(kinds, expected);
    // Every inventory resource is billed under its id.
    for id in column_set(&volumes, "volume_id").iter().chain(
        column_set(&instances.clone().lazy().filter(col("state").eq(lit("running"))).collect().unwrap(), "instance_id")
            .iter(),
    ) {
        assert!(billed.contains(id), "{id} not billed");
    }
}

/// The spend category of a normalized `costs` row (mirrors the generator's categories).
fn category(service: &str, usage_type: &str) -> &'static str {
    match service {
        "AmazonEC2" if usage_type.contains("BoxUsage") || usage_type.contains("HeavyUsage") => "ec2-instances",
        "AmazonEC2" if usage_type.contains("EBS:Volume") => "ebs",
        "AmazonEC2" if usage_type.contains("EBS:Snapshot") => "ebs-snapshots",
        "AmazonEC2" if usage_type.contains("NatGateway") => "nat-gateways",
        "AmazonRDS" => "rds",
        "AmazonS3" => "s3",
        "AWSDataTransfer" => "data-transfer",
        "AWSELB" => "load-balancers",
        "AmazonVPC" => "public-ipv4",
        "AmazonCloudWatch" => "cloudwatch",
        "ComputeSavingsPlans" => "savings-plan-unused",
        other => panic!("unexpected service {other} / {usage_type}"),
    }
}

/// Last-30-day amortized cost per spend category, from the normalized `costs` table, per 730-hour month.
fn billed_categories(ds: &Dataset) -> BTreeMap<String, f64> {
    let end = ds.as_of();
    let start = end - chrono::Duration::days(30);
    let df = ds
        .table(Table::Costs)
        .unwrap()
        .filter(col("usage_start").gt_eq(lit(start)).and(col("usage_start").lt(lit(end))))
        .group_by([col("service"), col("usage_type")])
        .agg([col("amortized_cost").sum().alias("cost")])
        .collect()
        .unwrap();
    let services = df.column("service").unwrap().str().unwrap().clone();
    let usage_types = df.column("usage_type").unwrap().str().unwrap().clone();
    let costs = df.column("cost").unwrap().f64().unwrap().clone();
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        let key = category(services.get(i).unwrap(), usage_types.get(i).unwrap_or(""));
        *out.entry(key.to_owned()).or_insert(0.0) += costs.get(i).unwrap() * 730.0 / 720.0;
    }
    out
}

#[test]
fn monthly_bill_lands_in_the_intended_ranges() {
    let g = generated();
    let ds = Dataset::open(&g.snapshot).unwrap();
    let billed = billed_categories(&ds);
    // The normalized CUR agrees with what the generator meant to bill.
    for (category, intended) in g.oracle.spend.iter().filter(|(k, _)| *k != "total") {
        let actual = billed.get(category).copied().unwrap_or(0.0);
        assert!(
            (actual - intended).abs() < 0.01 + intended.abs() * 1e-6,
            "{category}: billed {actual:.4}, intended {intended:.4}"
        );
    }
    let ranges: &[(&str, f64, f64)] = &[
        ("ec2-instances", 1_700.0, 2_300.0),
        ("rds", 1_300.0, 1_700.0),
        ("s3", 400.0, 600.0),
        ("data-transfer", 800.0, 1_200.0),
        ("ebs", 300.0, 800.0),
        ("ebs-snapshots", 40.0, 200.0),
        ("nat-gateways", 150.0, 400.0),
        ("load-balancers", 80.0, 250.0),
        ("public-ipv4", 20.0, 80.0),
        ("cloudwatch", 20.0, 120.0),
    ];
    for (category, lo, hi) in ranges {
        let v = billed[*category];
        assert!((*lo..=*hi).contains(&v), "{category}: ${v:.2}/month outside {lo}..{hi}");
    }
    let total: f64 = billed.values().sum();
    assert!((5_000.0..=7_000.0).contains(&total), "total ${total:.2}/month");
    let overview = costwise_analyzer::spend::overview(&ds, None).unwrap().unwrap();
    assert!((overview.monthly_run_rate - total).abs() < 1.0, "{} vs {total}", overview.monthly_run_rate);
}

#[test]
fn data_transfer_spikes_in_the_last_week() {
    let g = generated();
    let ds = Dataset::open(&g.snapshot).unwrap();
    let overview = costwise_analyzer::spend::overview(&ds, None).unwrap().unwrap();
    let dt = overview.week_over_week.iter().find(|w| w.service == "AWSDataTransfer").expect("AWSDataTransfer week");
    assert!(dt.change >= 60.0, "weekly increase ${:.2}", dt.change);
    assert!(dt.change_pct.unwrap() >= 40.0, "weekly increase {:?}%", dt.change_pct);
    // Only the planted service spikes.
    for w in overview.week_over_week.iter().filter(|w| w.service != "AWSDataTransfer") {
        assert!(w.change < 50.0 || w.change_pct.unwrap_or(0.0) < 25.0, "{} moved {:?}", w.service, w.change_pct);
    }
}

#[test]
fn unattached_volume_rule_finds_exactly_the_planted_volumes_with_the_oracle_savings() {
    let g = generated();
    let ds = Dataset::open(&g.snapshot).unwrap();
    let analysis = analyze(&ds, &Config::default()).unwrap();
    let found: BTreeMap<String, f64> = analysis
        .findings
        .iter()
        .filter(|f| f.rule == "unattached-ebs-volume")
        .map(|f| (f.resource_id.clone(), f.monthly_savings))
        .collect();
    let planted: BTreeMap<String, f64> = g
        .oracle
        .findings
        .iter()
        .filter(|f| f.kind == "unattached-ebs-volume")
        .map(|f| (f.resource_id.clone().unwrap(), f.expected_monthly_savings.unwrap()))
        .collect();
    assert_eq!(found.keys().collect::<Vec<_>>(), planted.keys().collect::<Vec<_>>());
    for (id, savings) in &planted {
        assert!((found[id] - savings).abs() < 0.005, "{id}: rule says {}, oracle {savings}", found[id]);
    }
}
