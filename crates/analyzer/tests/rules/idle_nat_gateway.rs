//! `idle-nat-gateway` on hand-built datasets.
//!
//! Every dataset is as of 2026-11-01 00:00 UTC, with metrics from 2026-10-01;
//! the default 7-day lookback is 2026-10-25 .. 2026-11-01 (7 whole days).

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Analysis, Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const ACCOUNT: &str = "111111111111";
const NS: &str = "AWS/NATGateway";

/// One daily CloudWatch datapoint: NAT gateway, metric, statistic, day, value.
type Point = (&'static str, &'static str, &'static str, NaiveDateTime, f64);

/// `value` on each of October's `days`, as whole-day datapoints.
fn daily(
    id: &'static str,
    metric: &'static str,
    stat: &'static str,
    days: std::ops::RangeInclusive<u32>,
    value: f64,
) -> Vec<Point> {
    days.map(|day| (id, metric, stat, at(10, day), value)).collect()
}

fn metrics_frame(points: &[Point]) -> DataFrame {
    let starts: Vec<Option<NaiveDateTime>> = points.iter().map(|p| Some(p.3)).collect();
    let n = points.len();
    DataFrame::new_infer_height(vec![
        Column::new("resource_id".into(), points.iter().map(|p| p.0).collect::<Vec<_>>()),
        Column::new("namespace".into(), vec![NS; n]),
        Column::new("metric".into(), points.iter().map(|p| p.1).collect::<Vec<_>>()),
        Column::new("statistic".into(), points.iter().map(|p| p.2).collect::<Vec<_>>()),
        datetime_series("period_start", &starts),
        Column::new("period_seconds".into(), vec![86_400i64; n]),
        Column::new("value".into(), points.iter().map(|p| p.4).collect::<Vec<_>>()),
    ])
    .unwrap()
}

/// One NAT gateway row: id, region, state, connectivity, created, tags.
type Nat = (&'static str, &'static str, &'static str, &'static str, NaiveDateTime, &'static str);

fn nat_frame(nats: &[Nat]) -> DataFrame {
    let created: Vec<Option<NaiveDateTime>> = nats.iter().map(|n| Some(n.4)).collect();
    let n = nats.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; n]),
        Column::new("region".into(), nats.iter().map(|n| n.1).collect::<Vec<_>>()),
        Column::new("nat_gateway_id".into(), nats.iter().map(|n| n.0).collect::<Vec<_>>()),
        Column::new("name".into(), nats.iter().map(|n| Some(format!("{}-name", n.0))).collect::<Vec<_>>()),
        Column::new("state".into(), nats.iter().map(|n| n.2).collect::<Vec<_>>()),
        Column::new("connectivity_type".into(), nats.iter().map(|n| Some(n.3)).collect::<Vec<_>>()),
        Column::new("vpc_id".into(), vec![Some("vpc-0a1"); n]),
        Column::new("subnet_id".into(), vec![Some("subnet-0b2"); n]),
        datetime_series("create_time", &created),
        Column::new("tags".into(), nats.iter().map(|n| n.5).collect::<Vec<_>>()),
    ])
    .unwrap()
}

/// Daily CUR lines 2026-10-18 .. 2026-10-31 (the 14-day billing window):
/// (region, NAT gateway id, usage type, cost per day), billed under the gateway's ARN.
fn costs_frame(lines: &[(&str, &str, &str, f64)]) -> DataFrame {
    let mut starts = Vec::new();
    let (mut regions, mut resources, mut usage_types, mut costs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (region, id, usage_type, per_day) in lines {
        for day in 0..14 {
            starts.push(Some(at(10, 18) + Duration::days(day)));
            regions.push(*region);
            resources.push(format!("arn:aws:ec2:{region}:{ACCOUNT}:natgateway/{id}"));
            usage_types.push(*usage_type);
            costs.push(*per_day);
        }
    }
    let ends: Vec<Option<NaiveDateTime>> = starts.iter().map(|s| s.map(|s| s + Duration::days(1))).collect();
    let n = starts.len();
    DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &starts),
        datetime_series("usage_end", &ends),
        Column::new("account_id".into(), vec![ACCOUNT; n]),
        Column::new("region".into(), regions),
        Column::new("service".into(), vec!["AmazonEC2"; n]),
        Column::new("usage_type".into(), usage_types),
        Column::new("resource_id".into(), resources),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), vec![24.0; n]),
        Column::new("unblended_cost".into(), costs.clone()),
        Column::new("amortized_cost".into(), costs.clone()),
        Column::new("public_on_demand_cost".into(), costs),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

/// The NAT gateways, all in account 111111111111, created 2026-03-01 unless noted:
/// - nat-idle (us-east-1, public, env=dr): 0 bytes out, 0 in, 0 connections every day; billed
///   `NatGateway-Hours` $1.08/day (0.045 × 24): 1.08 × 14 × 730 / 336 = $32.85 saved and billed. High.
/// - nat-quiet (us-west-2, public): 0.05 GB out every day ≤ 0.1 → idle, medium confidence; billed
///   `USW2-NatGateway-Hours` $1.08/day and `USW2-NatGateway-Bytes` $0.00225/day (0.05 GB × 0.045):
///   savings = the hours only, $32.85; cost = (1.08 + 0.00225) × 14 × 730 / 336 = $32.9184375 → $32.9184
///   (billed figures are kept to 1/100 cent); processing 0.0315 × 730 / 336 = $0.0684.
/// - nat-private (us-east-1, private): 0 bytes every day, not in the CUR: list price 0.045 × 730 = $32.85;
///   no Elastic IP.
/// - nat-busy: 5 GB out every day → busy.
/// - nat-weekly: one day of 0.5 GB, six of 0: 0.07 GB/day on average, but its busiest day is over 0.1 → busy.
/// - nat-young: created 2026-10-29 12:00, 0 bytes since → too young.
/// - nat-gaps: 0 bytes, but datapoints only on 10-29 .. 10-31 → 3 of 7 days: not enough data.
/// - nat-silent: no datapoints at all → not enough data (NAT gateways report zeros too).
/// - nat-eu (eu-west-1): 0 bytes every day, but a metrics gap is recorded there → not enough data.
/// - nat-deleted: state deleted → never judged.
fn dataset() -> Dataset {
    let old = at(3, 1);
    let nats: Vec<Nat> = vec![
        ("nat-idle", "us-east-1", "available", "public", old, r#"{"env":"dr"}"#),
        ("nat-quiet", "us-west-2", "available", "public", old, "{}"),
        ("nat-private", "us-east-1", "available", "private", old, "{}"),
        ("nat-busy", "us-east-1", "available", "public", old, "{}"),
        ("nat-weekly", "us-east-1", "available", "public", old, "{}"),
        ("nat-young", "us-east-1", "available", "public", at(10, 29) + Duration::hours(12), "{}"),
        ("nat-gaps", "us-east-1", "available", "public", old, "{}"),
        ("nat-silent", "us-east-1", "available", "public", old, "{}"),
        ("nat-eu", "eu-west-1", "available", "public", old, "{}"),
        ("nat-deleted", "us-east-1", "deleted", "public", old, "{}"),
    ];
    let out = "BytesOutToDestination";
    let mut points = Vec::new();
    points.extend(daily("nat-idle", out, "Sum", 25..=31, 0.0));
    points.extend(daily("nat-idle", "BytesInFromSource", "Sum", 25..=31, 0.0));
    points.extend(daily("nat-idle", "ActiveConnectionCount", "Maximum", 25..=31, 0.0));
    points.extend(daily("nat-quiet", out, "Sum", 25..=31, 5.0e7));
    points.extend(daily("nat-quiet", "BytesInFromSource", "Sum", 25..=31, 1.0e7));
    points.extend(daily("nat-private", out, "Sum", 25..=31, 0.0));
    points.extend(daily("nat-busy", out, "Sum", 25..=31, 5.0e9));
    points.extend(daily("nat-weekly", out, "Sum", 25..=30, 0.0));
    points.push(("nat-weekly", out, "Sum", at(10, 31), 5.0e8));
    points.extend(daily("nat-young", out, "Sum", 29..=31, 0.0));
    points.extend(daily("nat-gaps", out, "Sum", 29..=31, 0.0));
    points.extend(daily("nat-eu", out, "Sum", 25..=31, 0.0));
    // Busy before the lookback: does not count.
    points.push(("nat-idle", out, "Sum", at(10, 5), 9.0e10));
    let costs = costs_frame(&[
        ("us-east-1", "nat-idle", "NatGateway-Hours", 1.08),
        ("us-west-2", "nat-quiet", "USW2-NatGateway-Hours", 1.08),
        ("us-west-2", "nat-quiet", "USW2-NatGateway-Bytes", 0.00225),
    ]);
    let mut manifest = manifest(at(10, 1), at(11, 1));
    manifest.data_gaps.push(DataGap {
        table: Some(Table::Metrics),
        account_id: Some(ACCOUNT.into()),
        region: Some("eu-west-1".into()),
        reason: "cloudwatch:GetMetricData denied".into(),
    });
    Dataset::from_frames(
        manifest,
        [(Table::NatGateways, nat_frame(&nats)), (Table::Metrics, metrics_frame(&points)), (Table::Costs, costs)],
    )
    .unwrap()
}

fn run(dataset: &Dataset, config: &str) -> Analysis {
    let analysis = analyze(dataset, &Config::parse(config, None).unwrap()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    analysis
}

fn skipped(analysis: &Analysis) -> Vec<(String, String)> {
    analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == "idle-nat-gateway")
        .map(|s| (s.skipped.resource_id.clone(), s.skipped.reason.clone()))
        .collect()
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.resource_id.as_str()).collect()
}

fn money(finding: &Finding, label_start: &str) -> f64 {
    finding
        .evidence
        .iter()
        .find_map(|e| match &e.value {
            EvidenceValue::Money { amount, .. } if e.label.starts_with(label_start) => Some(*amount),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}: no money evidence `{label_start}`", finding.resource_id))
}

#[test]
fn idle_nat_gateways_save_their_hourly_charge() {
    let analysis = run(&dataset(), "");
    let findings = findings_of(&analysis, "idle-nat-gateway");
    assert_eq!(ids(&findings), ["nat-idle", "nat-private", "nat-quiet"], "equal savings: sorted by id");

    // Hand computation in the dataset's doc comment.
    let idle = by_id(&findings, "nat-idle");
    assert_eq!((idle.monthly_savings, idle.monthly_cost), (32.85, 32.85));
    assert_eq!(idle.price_source.origin, PriceOrigin::Billed);
    assert_eq!(idle.confidence, High);
    assert_eq!(idle.title, "NAT gateway nat-idle-name (nat-idle) sent nothing in 7 days");
    assert!((money(idle, "its Elastic IP") - 3.65).abs() < 1e-9, "0.005 × 730, shown not counted");

    let quiet = by_id(&findings, "nat-quiet");
    assert!((quiet.monthly_savings - 32.85).abs() < 1e-9, "hours only: {}", quiet.monthly_savings);
    assert!((quiet.monthly_cost - 32.9184).abs() < 1e-9, "hours and processing: {}", quiet.monthly_cost);
    assert!((money(quiet, "data processing") - 0.0684).abs() < 1e-9);
    assert_eq!(quiet.confidence, Medium, "something still sends 50 MB a day");
    assert_eq!(
        quiet.title,
        "NAT gateway nat-quiet-name (nat-quiet) sent at most 0.05 GB a day in 7 days (threshold 0.1 GB/day)"
    );

    let private = by_id(&findings, "nat-private");
    assert!((private.monthly_savings - 32.85).abs() < 1e-9, "0.045 × 730 from the catalog");
    assert_eq!(private.price_source.origin, PriceOrigin::Catalog);
    assert!(private.evidence.iter().all(|e| !e.label.contains("Elastic IP")), "private gateways hold no address");
    assert!(private.remediation.cli.iter().all(|c| !c.contains("release-address")));

    for f in &findings {
        assert_eq!(f.risk, Risk::NeedsTesting);
        assert!(f.remediation.cli[0].contains(&format!("Name=route.nat-gateway-id,Values={}", f.resource_id)));
        assert!(f.remediation.cli.iter().any(|c| c.contains(&format!(
            "aws ec2 delete-nat-gateway --region {} --nat-gateway-id {}",
            f.region.as_deref().unwrap(),
            f.resource_id
        ))));
        assert!(f.remediation.terraform.as_deref().unwrap().contains("aws_nat_gateway"));
    }
    assert!(idle.remediation.cli.last().unwrap().contains("aws ec2 release-address --region us-east-1"));
    assert!((analysis.totals.monthly_savings - 3.0 * 32.85).abs() < 1e-9);

    let skipped = skipped(&analysis);
    assert_eq!(
        skipped,
        [
            ("nat-eu".to_owned(), "metrics incomplete for 111111111111 in eu-west-1: cloudwatch:GetMetricData denied".to_owned()),
            ("nat-gaps".to_owned(), "BytesOutToDestination reported on only 3 of the last 7 whole days; a missing day is not a quiet one".to_owned()),
            ("nat-silent".to_owned(), "no BytesOutToDestination datapoints for this NAT gateway in the last 7 days (NAT gateways report zeros too, so it was not collected)".to_owned()),
            ("nat-young".to_owned(), "created 2026-10-29 12:00 UTC (2.5 days before the snapshot), inside the 7-day lookback: too young to judge".to_owned()),
        ]
    );
    insta::assert_json_snapshot!("idle_nat_gateway_findings", (findings, skipped));
}

#[test]
fn a_missing_metric_is_not_enough_data_never_idle() {
    let source = dataset();
    let nats = source.table(Table::NatGateways).unwrap().collect().unwrap();
    let costs = source.table(Table::Costs).unwrap().collect().unwrap();
    let without =
        Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::NatGateways, nats), (Table::Costs, costs)])
            .unwrap();
    let analysis = run(&without, "");
    assert!(findings_of(&analysis, "idle-nat-gateway").is_empty());
    let skipped = skipped(&analysis);
    assert_eq!(skipped.len(), 9, "every available gateway");
    assert!(
        skipped
            .iter()
            .all(|(_, r)| r == "no AWS/NATGateway BytesOutToDestination metric in the snapshot for the last 7 days")
    );
}

#[test]
fn settings_change_the_threshold_and_the_window() {
    // 0 GB/day: only gateways with no traffic at all; nat-quiet (0.05 GB/day) is no longer idle.
    let zero = run(&dataset(), "[rules.idle-nat-gateway]\nmax-gb-per-day = 0");
    assert_eq!(ids(&findings_of(&zero, "idle-nat-gateway")), ["nat-idle", "nat-private"]);

    // 1 GB/day: nat-weekly's busiest day (0.5 GB) is under it.
    let one = run(&dataset(), "[rules.idle-nat-gateway]\nmax-gb-per-day = 1");
    assert_eq!(ids(&findings_of(&one, "idle-nat-gateway")), ["nat-idle", "nat-private", "nat-quiet", "nat-weekly"]);

    // A 3-day lookback (2026-10-29 ..): nat-gaps reported every day of it; nat-young (10-29 12:00) is still young.
    let short = run(&dataset(), "[rules.idle-nat-gateway]\nlookback-days = 3");
    let findings = findings_of(&short, "idle-nat-gateway");
    assert!(ids(&findings).contains(&"nat-gaps"));
    assert!(skipped(&short).iter().any(|(id, _)| id == "nat-young"));

    let bad = Config::parse("[rules.idle-nat-gateway]\nmax-gb-per-day = -1", None).unwrap_err();
    assert!(bad.to_string().contains("max-gb-per-day must be a number ≥ 0"), "{bad}");
}

#[test]
fn exclusion_by_tag_drops_the_finding() {
    let analysis = run(&dataset(), "[exclusions]\ntags = [\"env=dr\"]");
    assert_eq!(ids(&findings_of(&analysis, "idle-nat-gateway")), ["nat-private", "nat-quiet"]);
    assert_eq!(analysis.exclusions[0].matched_findings, 1);
}

#[test]
fn busy_gateways_give_an_empty_result() {
    let source = dataset();
    let busy = source
        .table(Table::NatGateways)
        .unwrap()
        .filter(col("nat_gateway_id").eq(lit("nat-busy")).or(col("nat_gateway_id").eq(lit("nat-weekly"))))
        .collect()
        .unwrap();
    let metrics = source.table(Table::Metrics).unwrap().collect().unwrap();
    let analysis = run(
        &Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::NatGateways, busy), (Table::Metrics, metrics)])
            .unwrap(),
        "",
    );
    let findings = findings_of(&analysis, "idle-nat-gateway");
    let skipped = skipped(&analysis);
    insta::assert_json_snapshot!("idle_nat_gateway_busy", (findings, skipped));
}
