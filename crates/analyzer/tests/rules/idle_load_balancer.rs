//! `idle-load-balancer` on hand-built datasets.
//!
//! Every dataset is as of 2026-11-01 00:00 UTC, with metrics from 2026-10-01;
//! the default 7-day lookback is 2026-10-25 .. 2026-11-01 (7 whole days).

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Analysis, Config, Dataset, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const ACCOUNT: &str = "111111111111";

fn arn(region: &str, suffix: &str) -> String {
    format!("arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/{suffix}")
}

/// One CloudWatch datapoint: resource, namespace, metric, statistic, start, seconds, value.
type Point = (String, &'static str, &'static str, &'static str, NaiveDateTime, i64, f64);

/// One datapoint per day of the lookback (2026-10-25 .. 2026-10-31), each a whole day.
fn every_day(
    resource: &str,
    namespace: &'static str,
    metric: &'static str,
    stat: &'static str,
    value: f64,
) -> Vec<Point> {
    (25..=31).map(|day| (resource.to_owned(), namespace, metric, stat, at(10, day), 86_400, value)).collect()
}

fn metrics_frame(points: &[Point]) -> DataFrame {
    let starts: Vec<Option<NaiveDateTime>> = points.iter().map(|p| Some(p.4)).collect();
    DataFrame::new_infer_height(vec![
        Column::new("resource_id".into(), points.iter().map(|p| p.0.clone()).collect::<Vec<_>>()),
        Column::new("namespace".into(), points.iter().map(|p| p.1).collect::<Vec<_>>()),
        Column::new("metric".into(), points.iter().map(|p| p.2).collect::<Vec<_>>()),
        Column::new("statistic".into(), points.iter().map(|p| p.3).collect::<Vec<_>>()),
        datetime_series("period_start", &starts),
        Column::new("period_seconds".into(), points.iter().map(|p| p.5).collect::<Vec<_>>()),
        Column::new("value".into(), points.iter().map(|p| p.6).collect::<Vec<_>>()),
    ])
    .unwrap()
}

/// One load balancer row.
struct Lb {
    region: &'static str,
    suffix: &'static str,
    name: &'static str,
    kind: &'static str,
    state: Option<&'static str>,
    created: NaiveDateTime,
    tags: &'static str,
}

fn lb(suffix: &'static str, name: &'static str, lb_type: &'static str) -> Lb {
    Lb { region: "us-east-1", suffix, name, kind: lb_type, state: Some("active"), created: at(6, 1), tags: "{}" }
}

impl Lb {
    fn arn(&self) -> String {
        if self.kind == "classic" { self.name.to_owned() } else { arn(self.region, self.suffix) }
    }
}

fn load_balancers_frame(lbs: &[Lb]) -> DataFrame {
    let created: Vec<Option<NaiveDateTime>> = lbs.iter().map(|l| Some(l.created)).collect();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; lbs.len()]),
        Column::new("region".into(), lbs.iter().map(|l| l.region).collect::<Vec<_>>()),
        Column::new("load_balancer_arn".into(), lbs.iter().map(Lb::arn).collect::<Vec<_>>()),
        Column::new("name".into(), lbs.iter().map(|l| l.name).collect::<Vec<_>>()),
        Column::new("lb_type".into(), lbs.iter().map(|l| l.kind).collect::<Vec<_>>()),
        Column::new("scheme".into(), vec![Some("internet-facing"); lbs.len()]),
        Column::new("state".into(), lbs.iter().map(|l| l.state).collect::<Vec<_>>()),
        datetime_series("created_time", &created),
        Column::new("tags".into(), lbs.iter().map(|l| l.tags).collect::<Vec<_>>()),
    ])
    .unwrap()
}

/// Daily CUR lines 2026-10-18 .. 2026-10-31 (the 14-day billing window):
/// (resource ARN, usage type, cost per day).
fn costs_frame(lines: &[(String, &str, f64)]) -> DataFrame {
    let mut starts = Vec::new();
    let mut resources = Vec::new();
    let mut usage_types = Vec::new();
    let mut costs = Vec::new();
    for (resource, usage_type, per_day) in lines {
        for day in 0..14 {
            starts.push(Some(at(10, 18) + Duration::days(day)));
            resources.push(resource.clone());
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
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("service".into(), vec!["AWSELB"; n]),
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

const ALB: &str = "AWS/ApplicationELB";
const NLB: &str = "AWS/NetworkELB";
const CLB: &str = "AWS/ELB";

/// The load balancers, all in account 111111111111, us-east-1 unless noted:
/// - alb-idle: application, no RequestCount datapoints at all (ALBs publish none without requests),
///   billed in the CUR for 14 days at $0.54/day hourly charge (0.0225 × 24) + $0.0096/day LCUs
///   (0.05 LCU × $0.008 × 24): (0.54 + 0.0096) × 14 days × 730 / 336 hours = $16.425 + $0.292 = $16.717.
///   Tagged costwise:ignore=true.
/// - alb-busy: application, 5,000 requests every day → busy.
/// - alb-low: application, 50 requests a day (350 in 7 days) < 100 → idle; 2 healthy targets; not in the CUR:
///   list price 0.0225 × 730 = $16.425 (catalog). High confidence (explicit datapoints).
/// - alb-no-targets: application, 500 requests/day but HealthyHostCount 0 and UnHealthyHostCount 3 every day
///   → idle for lack of healthy targets; list price $16.425; medium confidence (clients still call it).
/// - alb-young: application created 2026-10-29 12:00, no requests → too young (not enough data).
/// - nlb-idle: network, NewFlowCount 0 every day, ProcessedBytes 0; billed $0.54/day hourly charge only
///   → 0.54 × 14 × 730 / 336 = $16.425 (billed).
/// - nlb-busy: network, 10,000 new flows a day → busy.
/// - clb-idle: classic (ARN column holds its name), 2 requests a day → idle; list price 0.025 × 730 = $18.25.
/// - gwlb: gateway → never judged. alb-provisioning: state provisioning → never judged.
/// - alb-eu-gap: application in eu-west-1, no requests, but the manifest records a metrics gap for
///   111111111111/eu-west-1 → not enough data.
fn dataset(with_gap: bool) -> Dataset {
    let lbs = vec![
        Lb { tags: r#"{"costwise:ignore":"true","team":"web"}"#, ..lb("app/alb-idle/1111", "alb-idle", "application") },
        lb("app/alb-busy/2222", "alb-busy", "application"),
        Lb { tags: r#"{"team":"api"}"#, ..lb("app/alb-low/3333", "alb-low", "application") },
        lb("app/alb-no-targets/4444", "alb-no-targets", "application"),
        Lb { created: at(10, 29) + Duration::hours(12), ..lb("app/alb-young/5555", "alb-young", "application") },
        lb("net/nlb-idle/6666", "nlb-idle", "network"),
        lb("net/nlb-busy/7777", "nlb-busy", "network"),
        lb("", "clb-idle", "classic"),
        lb("gwy/gwlb/8888", "gwlb", "gateway"),
        Lb { state: Some("provisioning"), ..lb("app/alb-provisioning/9999", "alb-provisioning", "application") },
        Lb { region: "eu-west-1", ..lb("app/alb-eu-gap/aaaa", "alb-eu-gap", "application") },
    ];
    let mut points = Vec::new();
    points.extend(every_day("app/alb-busy/2222", ALB, "RequestCount", "Sum", 5000.0));
    points.extend(every_day("app/alb-low/3333", ALB, "RequestCount", "Sum", 50.0));
    points.extend(every_day("app/alb-low/3333", ALB, "HealthyHostCount", "Maximum", 2.0));
    points.extend(every_day("app/alb-low/3333", ALB, "UnHealthyHostCount", "Maximum", 0.0));
    points.extend(every_day("app/alb-no-targets/4444", ALB, "RequestCount", "Sum", 500.0));
    points.extend(every_day("app/alb-no-targets/4444", ALB, "HealthyHostCount", "Maximum", 0.0));
    points.extend(every_day("app/alb-no-targets/4444", ALB, "UnHealthyHostCount", "Maximum", 3.0));
    points.extend(every_day("net/nlb-idle/6666", NLB, "NewFlowCount", "Sum", 0.0));
    points.extend(every_day("net/nlb-idle/6666", NLB, "ProcessedBytes", "Sum", 0.0));
    points.extend(every_day("net/nlb-busy/7777", NLB, "NewFlowCount", "Sum", 10_000.0));
    points.extend(every_day("net/nlb-busy/7777", NLB, "ProcessedBytes", "Sum", 4.0e9));
    points.extend(every_day("clb-idle", CLB, "RequestCount", "Sum", 2.0));
    // Outside the lookback: a busy September for alb-idle does not count.
    points.push(("app/alb-idle/1111".into(), ALB, "RequestCount", "Sum", at(10, 10), 86_400, 90_000.0));
    let costs = costs_frame(&[
        (arn("us-east-1", "app/alb-idle/1111"), "LoadBalancerUsage", 0.54),
        (arn("us-east-1", "app/alb-idle/1111"), "LCUUsage", 0.0096),
        (arn("us-east-1", "net/nlb-idle/6666"), "LoadBalancerUsage", 0.54),
    ]);
    let mut manifest = manifest(at(10, 1), at(11, 1));
    if with_gap {
        manifest.data_gaps.push(DataGap {
            table: Some(Table::Metrics),
            account_id: Some(ACCOUNT.into()),
            region: Some("eu-west-1".into()),
            reason: "cloudwatch:GetMetricData denied".into(),
        });
    }
    Dataset::from_frames(
        manifest,
        [
            (Table::LoadBalancers, load_balancers_frame(&lbs)),
            (Table::Metrics, metrics_frame(&points)),
            (Table::Costs, costs),
        ],
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
        .filter(|s| s.rule == "idle-load-balancer")
        .map(|s| (s.skipped.resource_id.clone(), s.skipped.reason.clone()))
        .collect()
}

#[test]
fn idle_load_balancers_are_found_with_their_billed_or_list_cost() {
    let analysis = run(&dataset(true), "");
    let findings = findings_of(&analysis, "idle-load-balancer");
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    let (alb_idle, alb_low, no_targets, nlb_idle) = (
        arn("us-east-1", "app/alb-idle/1111"),
        arn("us-east-1", "app/alb-low/3333"),
        arn("us-east-1", "app/alb-no-targets/4444"),
        arn("us-east-1", "net/nlb-idle/6666"),
    );
    // Sorted by savings, then resource id; busy, gateway, provisioning, young and gap ones absent.
    assert_eq!(ids, ["clb-idle", alb_idle.as_str(), alb_low.as_str(), no_targets.as_str(), nlb_idle.as_str()]);

    // Hand computation in the dataset's doc comment.
    let expected = [
        ("clb-idle", 18.25, PriceOrigin::Catalog),
        (alb_idle.as_str(), 16.717, PriceOrigin::Billed),
        (alb_low.as_str(), 16.425, PriceOrigin::Catalog),
        (no_targets.as_str(), 16.425, PriceOrigin::Catalog),
        (nlb_idle.as_str(), 16.425, PriceOrigin::Billed),
    ];
    for (id, dollars, origin) in expected {
        let f = by_id(&findings, id);
        assert!((f.monthly_savings - dollars).abs() < 1e-9, "{id}: {} != {dollars}", f.monthly_savings);
        assert_eq!(f.monthly_cost, f.monthly_savings, "{id}: deleting saves everything it costs");
        assert_eq!(f.price_source.origin, origin, "{id}");
        assert_eq!(f.risk, Risk::NeedsTesting, "{id}");
    }
    assert!((analysis.totals.monthly_savings - (18.25 + 16.717 + 3.0 * 16.425)).abs() < 1e-9);

    assert_eq!(by_id(&findings, &alb_idle).confidence, Medium, "inferred from the absence of datapoints");
    assert_eq!(by_id(&findings, &alb_low).confidence, High);
    assert_eq!(by_id(&findings, &nlb_idle).confidence, High);
    assert_eq!(by_id(&findings, &no_targets).confidence, Medium, "clients still send 500 requests a day");
    assert_eq!(
        by_id(&findings, &alb_low).title,
        "Application load balancer alb-low: 50 requests/day on average in 7 days"
    );
    assert_eq!(by_id(&findings, &alb_idle).title, "Application load balancer alb-idle: no requests in 7 days");
    assert_eq!(
        by_id(&findings, &no_targets).title,
        "Application load balancer alb-no-targets: no healthy targets in 7 days (clients still send traffic and get errors)"
    );
    assert_eq!(by_id(&findings, &nlb_idle).title, "Network load balancer nlb-idle: no new flows in 7 days");
    let classic = by_id(&findings, "clb-idle");
    assert!(
        classic
            .remediation
            .cli
            .iter()
            .any(|c| c.contains("aws elb delete-load-balancer --region us-east-1 --load-balancer-name clb-idle"))
    );
    let alb = by_id(&findings, &alb_low);
    assert!(alb.remediation.cli.iter().any(|c| {
        c.contains(&format!("aws elbv2 delete-load-balancer --region us-east-1 --load-balancer-arn {alb_low}"))
    }));
    assert!(alb.remediation.terraform.as_deref().unwrap().contains("aws_lb"));

    let eu_gap = arn("eu-west-1", "app/alb-eu-gap/aaaa");
    let young = arn("us-east-1", "app/alb-young/5555");
    let skipped = skipped(&analysis);
    let ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, [eu_gap.as_str(), young.as_str()], "sorted by account, region, ARN");
    assert_eq!(skipped[0].1, "metrics incomplete for 111111111111 in eu-west-1: cloudwatch:GetMetricData denied");
    assert_eq!(
        skipped[1].1,
        "created 2026-10-29 12:00 UTC (2.5 days before the snapshot), inside the 7-day lookback: too young to judge"
    );

    insta::assert_json_snapshot!("idle_load_balancer_findings", (findings, skipped));
}

#[test]
fn without_the_gap_the_silent_eu_load_balancer_is_idle() {
    let analysis = run(&dataset(false), "");
    let findings = findings_of(&analysis, "idle-load-balancer");
    let eu = by_id(&findings, &arn("eu-west-1", "app/alb-eu-gap/aaaa"));
    assert_eq!(eu.price_source.origin, PriceOrigin::Catalog);
    assert!((eu.monthly_savings - 16.425).abs() < 1e-9, "0.0225 × 730 (no eu-west-1 rate observed)");
}

#[test]
fn a_missing_traffic_metric_is_not_enough_data_never_idle() {
    // Only the network and classic metrics are in the snapshot: no ALB RequestCount at all.
    let mut frames = dataset(false);
    let metrics = frames.table(Table::Metrics).unwrap().filter(col("namespace").neq(lit(ALB))).collect().unwrap();
    let lbs = frames.table(Table::LoadBalancers).unwrap().collect().unwrap();
    frames =
        Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::LoadBalancers, lbs), (Table::Metrics, metrics)])
            .unwrap();
    let analysis = run(&frames, "");
    let ids: Vec<String> = findings_of(&analysis, "idle-load-balancer").into_iter().map(|f| f.resource_id).collect();
    assert_eq!(
        ids,
        ["clb-idle", arn("us-east-1", "net/nlb-idle/6666").as_str()],
        "no application load balancer judged"
    );
    let skipped = skipped(&analysis);
    assert_eq!(skipped.len(), 6, "every active ALB: idle, busy, low, no-targets, young, eu: {skipped:?}");
    assert!(skipped.iter().all(|(_, r)| r == "no AWS/ApplicationELB traffic metric (RequestCount) in the snapshot"));

    // No metrics table at all: nothing is judged.
    let lbs = frames.table(Table::LoadBalancers).unwrap().collect().unwrap();
    let bare = Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::LoadBalancers, lbs)]).unwrap();
    let analysis = run(&bare, "");
    assert!(findings_of(&analysis, "idle-load-balancer").is_empty());
    assert_eq!(skipped_len(&analysis), 9, "every active application, network and classic load balancer");
}

fn skipped_len(analysis: &Analysis) -> usize {
    analysis.not_enough_data.iter().filter(|s| s.rule == "idle-load-balancer").count()
}

#[test]
fn a_snapshot_shorter_than_the_lookback_cannot_show_idleness() {
    // Metrics only from 2026-10-28: 4 days of a 7-day lookback.
    let source = dataset(false);
    let frames: Vec<(Table, DataFrame)> = [Table::LoadBalancers, Table::Metrics]
        .into_iter()
        .map(|t| (t, source.table(t).unwrap().collect().unwrap()))
        .collect();
    let short = Dataset::from_frames(manifest(at(10, 28), at(11, 1)), frames).unwrap();
    let analysis = run(&short, "");
    assert!(findings_of(&analysis, "idle-load-balancer").is_empty());
    let skipped = skipped(&analysis);
    assert!(
        skipped
            .iter()
            .any(|(_, r)| r == "the snapshot holds 4.0 days of metrics; judging a load balancer needs the last 7")
    );
}

#[test]
fn network_load_balancers_without_new_flows_are_judged_on_zero_bytes() {
    // Only ProcessedBytes for the two network load balancers: nlb-idle processed 0 bytes.
    let source = dataset(false);
    let metrics = source
        .table(Table::Metrics)
        .unwrap()
        .filter(col("namespace").eq(lit(NLB)).and(col("metric").eq(lit("ProcessedBytes"))))
        .collect()
        .unwrap();
    let lbs = source.table(Table::LoadBalancers).unwrap().filter(col("lb_type").eq(lit("network"))).collect().unwrap();
    let analysis = run(
        &Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::LoadBalancers, lbs), (Table::Metrics, metrics)])
            .unwrap(),
        "",
    );
    let findings = findings_of(&analysis, "idle-load-balancer");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].title, "Network load balancer nlb-idle: processed 0 bytes in 7 days");
    assert!((findings[0].monthly_savings - 16.425).abs() < 1e-9, "0.0225 × 730 from the catalog (no CUR)");
}

#[test]
fn settings_change_the_window_and_the_threshold() {
    // 40 requests/day: alb-low (50/day) is no longer idle, clb-idle (2/day) still is.
    // A 2-day lookback (2026-10-30 ..) makes alb-young (created 10-29 12:00) old enough to judge.
    let analysis = run(&dataset(true), "[rules.idle-load-balancer]\nmin-requests-per-day = 40\nlookback-days = 2");
    let findings = findings_of(&analysis, "idle-load-balancer");
    assert!(findings.iter().all(|f| f.resource_id != arn("us-east-1", "app/alb-low/3333")));
    assert!(findings.iter().any(|f| f.resource_id == "clb-idle"));
    let young = by_id(&findings, &arn("us-east-1", "app/alb-young/5555"));
    assert_eq!(young.title, "Application load balancer alb-young: no requests in 2 days");
    assert!(skipped(&analysis).iter().all(|(id, _)| !id.contains("alb-young")));

    let bad = Config::parse("[rules.idle-load-balancer]\nlookback-days = 0", None).unwrap_err();
    assert!(bad.to_string().contains("lookback-days must be at least 1"), "{bad}");
}

#[test]
fn exclusion_by_tag_drops_the_finding() {
    let analysis = run(&dataset(true), "[exclusions]\ntags = [\"costwise:ignore=true\", \"team=api\"]");
    let ids: Vec<String> = findings_of(&analysis, "idle-load-balancer").into_iter().map(|f| f.resource_id).collect();
    assert!(!ids.contains(&arn("us-east-1", "app/alb-idle/1111")));
    assert!(!ids.contains(&arn("us-east-1", "app/alb-low/3333")));
    assert_eq!(ids.len(), 3);
    assert_eq!(analysis.exclusions[0].matched_findings, 1);
    assert_eq!(analysis.exclusions[1].matched_findings, 1);
}

#[test]
fn busy_load_balancers_give_an_empty_result() {
    let source = dataset(false);
    let lbs = source
        .table(Table::LoadBalancers)
        .unwrap()
        .filter(col("name").eq(lit("alb-busy")).or(col("name").eq(lit("nlb-busy"))))
        .collect()
        .unwrap();
    let metrics = source.table(Table::Metrics).unwrap().collect().unwrap();
    let analysis = run(
        &Dataset::from_frames(manifest(at(10, 1), at(11, 1)), [(Table::LoadBalancers, lbs), (Table::Metrics, metrics)])
            .unwrap(),
        "",
    );
    let findings = findings_of(&analysis, "idle-load-balancer");
    let skipped = skipped(&analysis);
    insta::assert_json_snapshot!("idle_load_balancer_busy", (findings, skipped));
}
