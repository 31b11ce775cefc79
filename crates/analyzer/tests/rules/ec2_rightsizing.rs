//! `ec2-rightsizing` on hand-built datasets.
//!
//! Every dataset ends 2026-11-15 00:00 (the snapshot's period starts 2026-10-01, so a 14- or 32-day
//! lookback is fully covered); the default 14-day lookback is 2026-11-01 .. 11-15 = 336 hours. Rates are
//! the bundled us-east-1 Linux on-demand catalog: m5.xlarge $0.192, m5.large $0.096, c5.large $0.085,
//! c5.xlarge $0.17, m7g.large $0.0816, m7g.medium $0.0408, c7g.large $0.0725, r6g.medium $0.0504,
//! t3a.large $0.0752, t4g.medium $0.0336, t3.micro $0.0104, t3a.micro $0.0094, t4g.micro $0.0084.
//! Per-vCPU performance (docs/rightsizing.md): m5/c5/t3 1.00, t3a 0.85, m6g/r6g/c6g/t4g 1.00,
//! m7g/c7g 1.25.
//!
//! Nearest-rank percentile over n = 336 hours: p99.5 → index ceil(334.32) − 1 = 334 (the second largest),
//! p95 → ceil(319.2) − 1 = 319, p50 → 168 − 1 = 167.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Low, Medium};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "ec2-rightsizing";

fn end() -> NaiveDateTime {
    at(11, 15)
}

/// The first hour of the default 14-day lookback.
fn lookback_start() -> NaiveDateTime {
    at(11, 1)
}

/// CloudWatch datapoints, built row by row.
#[derive(Default)]
struct Points {
    id: Vec<String>,
    namespace: Vec<&'static str>,
    metric: Vec<&'static str>,
    statistic: Vec<&'static str>,
    start: Vec<Option<NaiveDateTime>>,
    value: Vec<f64>,
}

type Profile = Box<dyn Fn(i64) -> f64>;

/// One instance's hourly load: functions of the hour index (0 = 2026-11-01 00:00).
struct Load {
    /// CPUUtilization Maximum.
    max: Profile,
    /// CPUUtilization Average.
    avg: Profile,
    /// CWAgent mem_used_percent Maximum, if the agent runs.
    mem: Option<Profile>,
    /// NetworkIn + NetworkOut bytes in the hour (split 40/60).
    net: Profile,
}

impl Points {
    fn push(
        &mut self,
        id: &str,
        namespace: &'static str,
        metric: &'static str,
        statistic: &'static str,
        hour: NaiveDateTime,
        value: f64,
    ) {
        self.id.push(id.to_owned());
        self.namespace.push(namespace);
        self.metric.push(metric);
        self.statistic.push(statistic);
        self.start.push(Some(hour));
        self.value.push(value);
    }

    /// Hourly datapoints for `id` from `from` (hours after 2026-11-01, may be negative) to the end.
    fn load(&mut self, id: &str, from: i64, load: &Load) {
        let mut h = from;
        while lookback_start() + Duration::hours(h) < end() {
            let hour = lookback_start() + Duration::hours(h);
            self.push(id, "AWS/EC2", "CPUUtilization", "Maximum", hour, (load.max)(h));
            self.push(id, "AWS/EC2", "CPUUtilization", "Average", hour, (load.avg)(h));
            if let Some(mem) = &load.mem {
                self.push(id, "CWAgent", "mem_used_percent", "Maximum", hour, mem(h));
            }
            let net = (load.net)(h);
            self.push(id, "AWS/EC2", "NetworkIn", "Sum", hour, net * 0.4);
            self.push(id, "AWS/EC2", "NetworkOut", "Sum", hour, net * 0.6);
            h += 1;
        }
    }

    fn frame(self) -> DataFrame {
        let n = self.id.len();
        DataFrame::new_infer_height(vec![
            Column::new("resource_id".into(), self.id),
            Column::new("namespace".into(), self.namespace),
            Column::new("metric".into(), self.metric),
            Column::new("statistic".into(), self.statistic),
            datetime_series("period_start", &self.start),
            Column::new("period_seconds".into(), vec![3600i64; n]),
            Column::new("value".into(), self.value),
        ])
        .unwrap()
    }
}

/// An instance (a row of the instances table).
struct Row {
    id: &'static str,
    region: &'static str,
    instance_type: &'static str,
    state: &'static str,
    architecture: Option<&'static str>,
    platform: Option<&'static str>,
    group: Option<&'static str>,
    tags: &'static str,
    launched: NaiveDateTime,
}

fn instance(id: &'static str, instance_type: &'static str) -> Row {
    Row {
        id,
        region: "us-east-1",
        instance_type,
        state: "running",
        architecture: None,
        platform: Some("Linux/UNIX"),
        group: None,
        tags: "{}",
        launched: at(3, 1),
    }
}

fn instances_frame(rows: &[Row]) -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec!["111111111111"; rows.len()]),
        Column::new("region".into(), rows.iter().map(|r| r.region).collect::<Vec<_>>()),
        Column::new("instance_id".into(), rows.iter().map(|r| r.id).collect::<Vec<_>>()),
        Column::new("name".into(), rows.iter().map(|r| r.id.trim_start_matches("i-").to_owned()).collect::<Vec<_>>()),
        Column::new("instance_type".into(), rows.iter().map(|r| r.instance_type).collect::<Vec<_>>()),
        Column::new("state".into(), rows.iter().map(|r| r.state).collect::<Vec<_>>()),
        Column::new("architecture".into(), rows.iter().map(|r| r.architecture).collect::<Vec<_>>()),
        Column::new("platform".into(), rows.iter().map(|r| r.platform).collect::<Vec<_>>()),
        Column::new("auto_scaling_group".into(), rows.iter().map(|r| r.group).collect::<Vec<_>>()),
        Column::new("tags".into(), rows.iter().map(|r| r.tags).collect::<Vec<_>>()),
        datetime_series("launch_time", &rows.iter().map(|r| Some(r.launched)).collect::<Vec<_>>()),
    ])
    .unwrap()
}

fn dataset(rows: &[Row], points: Points, costs: Option<DataFrame>, gaps: Vec<DataGap>) -> Dataset {
    dataset_with(rows, points, costs, gaps, Vec::new())
}

fn dataset_with(
    rows: &[Row],
    points: Points,
    costs: Option<DataFrame>,
    gaps: Vec<DataGap>,
    more: Vec<(Table, DataFrame)>,
) -> Dataset {
    let mut manifest = manifest(at(10, 1), end());
    manifest.data_gaps = gaps;
    let mut frames = vec![(Table::Instances, instances_frame(rows)), (Table::Metrics, points.frame())];
    if let Some(costs) = costs {
        frames.push((Table::Costs, costs));
    }
    frames.extend(more);
    Dataset::from_frames(manifest, frames).unwrap()
}

/// 14 daily CUR lines for an instance, Nov 1–14: `amortized` and `public` dollars a day.
fn daily_bill(id: &str, usage_type: &str, amortized: f64, public: f64) -> DataFrame {
    let starts: Vec<_> = (0..14).map(|d| Some(at(11, 1) + Duration::days(d))).collect();
    let ends: Vec<_> = starts.iter().map(|s| s.map(|s| s + Duration::days(1))).collect();
    DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &starts),
        datetime_series("usage_end", &ends),
        Column::new("account_id".into(), vec!["111111111111"; 14]),
        Column::new("region".into(), vec!["us-east-1"; 14]),
        Column::new("service".into(), vec!["AmazonEC2"; 14]),
        Column::new("usage_type".into(), vec![usage_type; 14]),
        Column::new("resource_id".into(), vec![id; 14]),
        Column::new("line_item_type".into(), vec!["DiscountedUsage"; 14]),
        Column::new("usage_amount".into(), vec![24.0; 14]),
        Column::new("unblended_cost".into(), vec![amortized; 14]),
        Column::new("amortized_cost".into(), vec![amortized; 14]),
        Column::new("public_on_demand_cost".into(), vec![public; 14]),
        Column::new("currency".into(), vec!["USD"; 14]),
        Column::new("tags".into(), vec!["{}"; 14]),
    ])
    .unwrap()
}

/// m5.xlarge "reporting" profile: hourly Maximum 10 + (h mod 8) % (each of 10..17 on 42 hours) except one
/// 60 % spike at hour 100 (in place of a 14); Average 5 %; memory (agent) 25 + (h mod 6) %; 2.25 GB of
/// traffic an hour with one 22.5 GB hour.
fn reporting_load() -> Load {
    Load {
        max: Box::new(|h| if h == 100 { 60.0 } else { 10.0 + (h % 8) as f64 }),
        avg: Box::new(|_| 5.0),
        mem: Some(Box::new(|h| 25.0 + (h % 6) as f64)),
        net: Box::new(|h| if h == 7 { 22.5e9 } else { 2.25e9 }),
    }
}

/// A constant load: `max` and `avg` CPU percent, `net` bytes an hour, no memory metric.
fn flat(max: f64, avg: f64, net: f64) -> Load {
    Load { max: Box::new(move |_| max), avg: Box::new(move |_| avg), mem: None, net: Box::new(move |_| net) }
}

/// The main dataset:
///
/// - **i-report** m5.xlarge (4 vCPU, 16 GiB), `reporting_load`: sorted hourly maxima put 17 % on indices
///   293–334 and the spike on 335, so p99.5 = 17 %, p95 = 17 %, p50 (index 167) = 13 %, max 60 %.
///   Required vCPU = 4 × 0.17 / 0.8 = 0.85 (m5 vCPUs). Memory p99.5 = 30 % (the 56 hours at 30 % hold
///   indices 280–335) → 16 × 0.30 / 0.8 = 6 GiB. Network peak 22.5e9 B × 8 / 3600 s = 0.05 Gbps.
///   Cheapest fit: r6g.medium (1 vCPU × 1.00 ≥ 0.85, 8 GiB ≥ 6, 0.5 Gbps) at $0.0504 — nothing
///   cheaper has 6 GiB (t4g.large $0.0672 and r7g.medium $0.0536 cost more).
///   Saving (0.192 − 0.0504) × 730 = $103.368. Risk: CPU 4 × 0.17 / 1.0 = 0.68, memory 4.8 / 8 = 0.6,
///   network 0.05 / 0.5 = 0.1 → 1. Alternative, same family: m5.large (8 GiB) $0.096 → (0.192 − 0.096)
///   × 730 = $70.08, risk 1 (memory 0.6). Graviton migration → medium confidence, needs testing.
/// - **i-ri** the same m5.xlarge load, billed in the CUR at $2.7648/day against $4.608 on demand (60 %):
///   billed monthly 2.7648 × 14 / 336 h × 730 = $84.096; after-discount saving 103.368 × 0.6 = $62.0208.
///   Migration and commitment caveats → low confidence.
/// - **i-burst** c5.large (2 vCPU, 4 GiB), max 48 %, average 35 %: required 2 × 0.48 / 0.8 = 1.2 vCPU,
///   4 GiB kept. t4g.medium ($0.0336, 2 × 1.0 = 2 vCPU, 4 GiB) would fit on CPU and memory but its mean
///   would be 35 × 2 / 2 = 35 % per vCPU, over its 20 % baseline: rejected. m6g.medium ($0.0385, 1 vCPU
///   × 1.0) is short of CPU. Cheapest fit: m7g.medium ($0.0408, 1 × 1.25 = 1.25 ≥ 1.2, 4 GiB) →
///   (0.085 − 0.0408) × 730 = $32.266; CPU risk 0.96 / 1.25 = 0.768 → 2.
/// - **i-hot** c5.large, max 95 %, average 70 %: required 2 × 0.95 / 0.8 = 2.375 > 2 vCPU →
///   under-provisioned. Cheapest fit c7g.large (2 × 1.25 = 2.5, $0.0725; c6g.large's 2.0 is short) costs (0.085 − 0.0725) × 730 =
///   $9.125/month *less*; the finding still reports $0 savings (a risk, not a saving).
/// - **acme-web** Auto Scaling group of i-web1..3 (m5.large), maxima 10/20/30 % and averages 5/10/15 %:
///   the hourly mean is 20 % (max) and 10 % (average). Required 2 × 0.2 / 0.8 = 0.5 vCPU, 8 GiB kept →
///   r6g.medium, saving (0.096 − 0.0504) × 730 × 3 = $99.864, covering the three members.
/// - not flagged: **i-steady** m7g.large at 70 % (required 1.75 m7g vCPU: nothing cheaper fits, optimized),
///   **i-tiny** t3.micro at 4 % max / 2 % average: t4g.micro would save (0.0104 − 0.0084) × 730 = $1.46,
///   but it is the same size (2 vCPU at a 10 % baseline, 1 GiB; memory unmeasured so it cannot shrink):
///   a Graviton swap, not rightsizing → optimized, **i-off** stopped.
/// - not enough data: **i-new** (launched 2026-11-14 14:00: 10 hours of datapoints), **i-gpu** g5.xlarge,
///   **i-odd** an unknown type, **i-win** Windows, **i-eu** in eu-west-1 (a metrics data gap),
///   **acme-mixed** (members on m5.large and c5.large).
fn main_dataset() -> Dataset {
    main_dataset_with(Vec::new())
}

fn main_dataset_with(more: Vec<(Table, DataFrame)>) -> Dataset {
    let mut rows = vec![
        instance("i-report", "m5.xlarge"),
        instance("i-ri", "m5.xlarge"),
        instance("i-burst", "c5.large"),
        instance("i-hot", "c5.large"),
        instance("i-steady", "m7g.large"),
        instance("i-tiny", "t3.micro"),
        instance("i-off", "m5.xlarge"),
        instance("i-new", "m5.large"),
        instance("i-gpu", "g5.xlarge"),
        instance("i-odd", "zz9.large"),
        instance("i-win", "m5.large"),
        instance("i-eu", "m5.large"),
        instance("i-mix1", "m5.large"),
        instance("i-mix2", "c5.large"),
    ];
    for (id, tags) in
        [("i-web1", r#"{"team":"web","x":"1"}"#), ("i-web2", r#"{"team":"web"}"#), ("i-web3", r#"{"team":"web"}"#)]
    {
        rows.push(Row { group: Some("acme-web"), tags, ..instance(id, "m5.large") });
    }
    rows[0].tags = r#"{"Name":"reporting","team":"bi"}"#;
    rows[4].architecture = Some("arm64");
    rows[6].state = "stopped";
    rows[7].launched = at(11, 14) + Duration::hours(14);
    rows[10].platform = Some("Windows");
    rows[11].region = "eu-west-1";
    rows[12].group = Some("acme-mixed");
    rows[13].group = Some("acme-mixed");

    let mut points = Points::default();
    points.load("i-report", 0, &reporting_load());
    points.load("i-ri", 0, &reporting_load());
    points.load("i-burst", 0, &flat(48.0, 35.0, 1e9));
    points.load("i-hot", 0, &flat(95.0, 70.0, 1e9));
    points.load("i-steady", 0, &flat(70.0, 50.0, 1e9));
    points.load("i-tiny", 0, &flat(4.0, 2.0, 5e8));
    points.load("i-new", 326, &flat(10.0, 5.0, 1e9));
    for id in ["i-gpu", "i-odd", "i-win", "i-eu", "i-mix1", "i-mix2"] {
        points.load(id, 0, &flat(10.0, 5.0, 1e9));
    }
    points.load("i-web1", 0, &flat(10.0, 5.0, 1e9));
    points.load("i-web2", 0, &flat(20.0, 10.0, 2e9));
    points.load("i-web3", 0, &flat(30.0, 15.0, 3e9));

    let gap = DataGap {
        table: Some(Table::Metrics),
        account_id: None,
        region: Some("eu-west-1".into()),
        reason: "cloudwatch:GetMetricData denied in eu-west-1".into(),
    };
    let bill = daily_bill("i-ri", "BoxUsage:m5.xlarge", 2.7648, 4.608);
    dataset_with(&rows, points, Some(bill), vec![gap], more)
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.resource_id.as_str()).collect()
}

fn evidence<'a>(finding: &'a Finding, label: &str) -> &'a EvidenceValue {
    &finding
        .evidence
        .iter()
        .find(|e| e.label == label)
        .unwrap_or_else(|| panic!("{}: no `{label}` evidence", finding.resource_id))
        .value
}

fn text<'a>(finding: &'a Finding, label: &str) -> &'a str {
    match evidence(finding, label) {
        EvidenceValue::Text { text } => text,
        other => panic!("`{label}` is not text: {other:?}"),
    }
}

fn number(finding: &Finding, label: &str) -> f64 {
    match evidence(finding, label) {
        EvidenceValue::Quantity { value, .. } | EvidenceValue::Percent { value } => *value,
        EvidenceValue::Money { amount, .. } => *amount,
        other => panic!("`{label}` is not a number: {other:?}"),
    }
}

fn assert_dollars(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() < 1e-9, "{what}: {actual} != {expected}");
}

/// Evidence numbers are rounded to 4 decimals.
fn assert_evidence(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() <= 5e-5, "{what}: {actual} != {expected}");
}

#[test]
fn over_provisioned_instances_get_the_cheapest_fitting_type_with_its_numbers() {
    let analysis = analyze(&main_dataset(), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(
        ids(&findings),
        ["i-report", "acme-web", "i-ri", "i-burst", "i-hot"],
        "by savings; i-tiny only fits same-size types"
    );

    let f = by_id(&findings, "i-report");
    assert!(f.title.starts_with("m5.xlarge over-provisioned (p99.5 CPU 17.0%): r6g.medium fits"), "{}", f.title);
    assert_dollars(f.monthly_savings, 103.368, "i-report saving");
    assert_dollars(f.monthly_cost, 0.192 * 730.0, "i-report cost (on demand, not billed)");
    assert_eq!(number(f, "samples (hours with CPU datapoints)"), 336.0);
    assert_eq!((number(f, "CPU p50"), number(f, "CPU p95"), number(f, "CPU p99.5 (sized for)")), (13.0, 17.0, 17.0));
    assert_eq!(number(f, "CPU max"), 60.0);
    assert_eq!(number(f, "memory p99.5 (CWAgent mem_used_percent)"), 30.0);
    assert_dollars(number(f, "peak network (NetworkIn + NetworkOut)"), 0.05, "network");
    assert_dollars(number(f, "required vCPU (of m5.xlarge's 4)"), 0.85, "vCPU");
    assert_dollars(number(f, "required memory"), 6.0, "memory");
    assert!(text(f, "recommended type").starts_with("r6g.medium: 1 vCPU, 8 GiB, Graviton arm64"));
    assert!(
        text(f, "performance risk (0–4)").starts_with("1 (CPU 68%, memory 60%, network 10%)"),
        "{}",
        text(f, "performance risk (0–4)")
    );
    assert_eq!(text(f, "migration effort"), "medium");
    assert_eq!(
        text(f, "alternatives"),
        "m5.large (same family): $0.096/hour, saves $70.08/month, performance risk 1, migration effort very low"
    );
    match evidence(f, "daily max CPU") {
        EvidenceValue::Series { values, unit } => {
            assert_eq!(unit, "%");
            assert_eq!(values.len(), 14);
            assert_eq!(values[4], 60.0, "the spike at hour 100 is on day 5 (Nov 5)");
            assert!(values.iter().enumerate().all(|(d, v)| d == 4 || *v == 17.0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((f.confidence, f.risk), (Medium, Risk::NeedsTesting));
    assert_eq!(f.resource_name.as_deref(), Some("report"));
    assert!(f.remediation.cli.iter().any(|c| c.contains("run-instances") && c.contains("--instance-type r6g.medium")));

    let f = by_id(&findings, "i-burst");
    assert!(f.title.contains("m7g.medium fits"), "{}", f.title);
    assert_dollars(f.monthly_savings, 32.266, "i-burst saving");
    assert!(text(f, "performance risk (0–4)").starts_with("2 (CPU 77%"), "{}", text(f, "performance risk (0–4)"));
    assert!(f.title.starts_with("c5.large over-provisioned (p99.5 CPU 48.0%)"), "{}", f.title);

    let f = by_id(&findings, "acme-web");
    assert_eq!(f.resource_type, "auto-scaling-group");
    assert!(
        f.title.starts_with("Auto Scaling group acme-web: 3 × m5.large over-provisioned (p99.5 CPU 20.0%): r6g.medium"),
        "{}",
        f.title
    );
    assert_dollars(f.monthly_savings, 99.864, "group saving");
    assert_dollars(f.monthly_cost, 3.0 * 0.096 * 730.0, "group cost");
    assert_eq!(f.covers, ["i-web1", "i-web2", "i-web3"]);
    assert_eq!(number(f, "mean CPU (hourly Average)"), 10.0);
    assert_eq!(f.tags, BTreeMap::from([("team".to_owned(), "web".to_owned())]), "only the tags every member shares");
    assert!(f.remediation.cli.iter().any(|c| c.contains("start-instance-refresh")));
    assert!(!findings.iter().any(|f| f.resource_id.starts_with("i-web")), "members are never reported alone");
}

#[test]
fn a_reservation_or_savings_plan_makes_the_saving_the_after_discount_figure() {
    let analysis = analyze(&main_dataset(), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    let f = by_id(&findings, "i-ri");
    assert_dollars(f.monthly_savings, 62.0208, "after-discount saving");
    assert_dollars(number(f, "on-demand saving (rate difference × hours run)"), 103.368, "on-demand saving");
    assert_dollars(number(f, "billed share of on-demand"), 60.0, "billed share");
    assert_dollars(f.monthly_cost, 84.096, "billed monthly cost");
    assert!(f.title.ends_with("saves $62.02/month after its RI/SP discount"), "{}", f.title);
    assert!(text(f, "commitment").contains("may need exchanging"));
    assert!(
        text(f, "alternatives").contains("saves $42.05/month"),
        "70.08 × 0.6 = 42.048: {}",
        text(f, "alternatives")
    );
    assert_eq!(f.confidence, Low, "a Graviton migration and a commitment to re-plan");
    assert_eq!(f.price_source.origin, costwise_analyzer::prices::PriceOrigin::Catalog);
}

#[test]
fn under_provisioned_instances_are_a_risk_with_their_cost_change_not_a_saving() {
    let analysis = analyze(&main_dataset(), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    let f = by_id(&findings, "i-hot");
    assert_eq!(f.monthly_savings, 0.0);
    assert_eq!(f.risk, Risk::NeedsTesting);
    assert!(
        f.title.starts_with(
            "c5.large under-provisioned (needs 2.375 vCPU with headroom, has 2): c7g.large fits for $9.12/month less"
        ),
        "{}",
        f.title
    );
    assert_dollars(number(f, "cost decrease of the cheapest type that fits"), 9.125, "cost change");
    assert_eq!(text(f, "shortfall"), "needs 2.375 vCPU with headroom, has 2");
    assert_eq!(text(f, "cheapest type that fits").split(':').next(), Some("c7g.large"));

    // Kept to the c5 family, the fit is c5.xlarge: (0.17 − 0.085) × 730 = $62.05 more a month.
    let config = Config::parse("[rules.ec2-rightsizing]\nfamilies = [\"c5\"]", None).unwrap();
    let analysis = analyze(&main_dataset(), &config).unwrap();
    let f = by_id(&findings_of(&analysis, RULE), "i-hot").clone();
    assert!(f.title.ends_with("c5.xlarge fits for $62.05/month more"), "{}", f.title);
    assert_dollars(number(&f, "cost increase of the cheapest type that fits"), 62.05, "cost increase");
    assert!(f.remediation.cli.iter().any(|c| c.contains("modify-instance-attribute") && c.contains("c5.xlarge")));
}

#[test]
fn busy_new_gpu_and_unpriced_instances_are_left_alone_or_listed_as_not_enough_data() {
    let analysis = analyze(&main_dataset(), &Config::default()).unwrap();
    let flagged = ids(&findings_of(&analysis, RULE)).into_iter().map(str::to_owned).collect::<Vec<_>>();
    for quiet in ["i-steady", "i-off", "i-new", "i-gpu", "i-odd", "i-win", "i-eu", "acme-mixed", "i-mix1"] {
        assert!(!flagged.iter().any(|f| f == quiet), "{quiet} flagged");
    }
    let skipped: Vec<(&str, &str)> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.as_str(), s.skipped.reason.as_str()))
        .collect();
    let reason = |id: &str| skipped.iter().find(|(i, _)| *i == id).unwrap_or_else(|| panic!("{id} not skipped")).1;
    assert_eq!(skipped.len(), 6, "{skipped:?}");
    assert_eq!(
        reason("i-new"),
        "only 10 hour(s) with CPUUtilization datapoints in the last 14 days (launched 2026-11-14 14:00 UTC); at least 30 are needed"
    );
    assert!(reason("i-gpu").contains("1 GPU(s)"), "{}", reason("i-gpu"));
    assert!(reason("i-odd").contains("`zz9.large` is not in the price book"), "{}", reason("i-odd"));
    assert!(reason("i-win").starts_with("runs Windows"), "{}", reason("i-win"));
    assert_eq!(
        reason("i-eu"),
        "metrics not collected for account 111111111111 in eu-west-1: cloudwatch:GetMetricData denied in eu-west-1"
    );
    assert!(reason("acme-mixed").contains("several instance types (c5.large, m5.large)"), "{}", reason("acme-mixed"));
    insta::assert_json_snapshot!(
        "ec2_rightsizing_not_enough_data",
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).collect::<Vec<_>>()
    );
}

#[test]
fn a_group_with_a_mixed_instances_policy_is_resized_through_its_overrides() {
    let groups = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("auto_scaling_group_name".into(), ["acme-web"]),
        Column::new("launch_template_id".into(), ["lt-0abc123"]),
        Column::new("launch_template_version".into(), ["$Default"]),
        Column::new("mixed_instances_policy".into(), [true]),
        Column::new("instance_types".into(), ["m5.large,m5a.large"]),
        Column::new("min_size".into(), [3i64]),
        Column::new("max_size".into(), [6i64]),
        Column::new("desired_capacity".into(), [3i64]),
        Column::new("instance_count".into(), [3i64]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    let analysis = analyze(&main_dataset_with(vec![(Table::AutoScalingGroups, groups)]), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    let f = by_id(&findings, "acme-web");
    assert_dollars(f.monthly_savings, 99.864, "the group table changes how, not how much");
    assert!(
        f.remediation.summary.starts_with(
            "Downsize Auto Scaling group acme-web from m5.large: its mixed-instances policy picks the type (m5.large, m5a.large): create a launch template version with r6g.medium and an arm64 AMI"
        ),
        "{}",
        f.remediation.summary
    );
    let cli = &f.remediation.cli;
    assert!(cli[0].contains("x86_64 to arm64"), "{cli:?}");
    assert!(cli[1].contains("--launch-template-id lt-0abc123 --source-version '$Default'"), "{}", cli[1]);
    assert!(cli[2].contains("--mixed-instances-policy"), "{}", cli[2]);
    assert!(cli[3].contains("start-instance-refresh"), "{}", cli[3]);
    // Instances outside the group are not touched by it.
    assert!(!by_id(&findings, "i-report").remediation.cli.iter().any(|c| c.contains("autoscaling")));
}

#[test]
fn findings_snapshot() {
    let analysis = analyze(&main_dataset(), &Config::default()).unwrap();
    insta::assert_json_snapshot!("ec2_rightsizing_findings", findings_of(&analysis, RULE));
}

#[test]
fn graviton_off_keeps_x86_and_other_settings_apply() {
    // Graviton off: i-report's cheapest x86_64 fit is t3a.large ($0.0752: 2 × 0.85 = 1.7 vCPU, 8 GiB, mean
    // 5 × 4 / 1.7 = 11.8 % per vCPU within its 30 % baseline) → (0.192 − 0.0752) × 730 = $85.264. i-tiny
    // still fits only same-size types → not flagged.
    let config = Config::parse("[rules.ec2-rightsizing]\ngraviton = false", None).unwrap();
    let analysis = analyze(&main_dataset(), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    for f in &findings {
        assert!(
            !text(f, if f.monthly_savings > 0.0 { "recommended type" } else { "cheapest type that fits" })
                .contains("arm64"),
            "{}",
            f.title
        );
    }
    let f = by_id(&findings, "i-report");
    assert!(f.title.contains("t3a.large fits"), "{}", f.title);
    assert_dollars(f.monthly_savings, 85.264, "x86 saving");
    assert_eq!(text(f, "migration effort"), "low");
    assert_eq!((f.confidence, f.risk), (High, Risk::ChangeWindow));
    assert!(f.remediation.cli.iter().any(|c| c.contains("modify-instance-credit-specification")), "burstable target");
    assert!(!ids(&findings).contains(&"i-tiny"));

    // At the defaults i-burst saves $32.266; a $40 minimum drops it and keeps i-report ($103.368).
    let defaults = analyze(&main_dataset(), &Config::default()).unwrap();
    assert_dollars(by_id(&findings_of(&defaults, RULE), "i-burst").monthly_savings, 32.266, "c5.large → m7g.medium");
    let config = Config::parse("[rules.ec2-rightsizing]\nmin-monthly-savings = 40", None).unwrap();
    let raised = findings_of(&analyze(&main_dataset(), &config).unwrap(), RULE);
    let raised = ids(&raised);
    assert!(!raised.contains(&"i-burst") && raised.contains(&"i-report"), "{raised:?}");

    // p90 and no headroom on i-burst: p90 of a flat 48 % is 48 %, 2 × 0.48 / 1.0 = 0.96 vCPU: now
    // m6g.medium (1 vCPU × 1.0, $0.0385) fits → (0.085 − 0.0385) × 730 = $33.945.
    let config =
        Config::parse("[rules.ec2-rightsizing]\ncpu-percentile = \"p90\"\ncpu-headroom-pct = 0", None).unwrap();
    let analysis = analyze(&main_dataset(), &config).unwrap();
    let f = by_id(&findings_of(&analysis, RULE), "i-burst").clone();
    assert_dollars(number(&f, "required vCPU (of c5.large's 2)"), 0.96, "p90, no headroom");
    assert_eq!(number(&f, "CPU p90 (sized for)"), 48.0);
    assert!(f.title.contains("m6g.medium fits"), "{}", f.title);
    assert_dollars(f.monthly_savings, 33.945, "i-burst at p90, no headroom");

    // min-hours = 5 sizes i-new on its 10 hours (m5.large at 10 % → r6g.medium; 10 of 336 hours run:
    // (0.096 − 0.0504) × 730 × 10 / 336 = $0.9907, under $1: not flagged, but no longer skipped).
    let config = Config::parse("[rules.ec2-rightsizing]\nmin-hours = 5", None).unwrap();
    let analysis = analyze(&main_dataset(), &config).unwrap();
    assert!(!analysis.not_enough_data.iter().any(|s| s.rule == RULE && s.skipped.resource_id == "i-new"));
    let config = Config::parse("[rules.ec2-rightsizing]\nmin-hours = 5\nmin-monthly-savings = 0.5", None).unwrap();
    let f = by_id(&findings_of(&analyze(&main_dataset(), &config).unwrap(), RULE), "i-new").clone();
    assert_dollars(f.monthly_savings, 0.9907, "10 of 336 hours");
    assert_evidence(number(&f, "hours run per month"), 730.0 * 10.0 / 336.0, "hours run");
}

#[test]
fn exclusions_by_tag_apply() {
    let config = Config::parse("[exclusions]\ntags = [\"team=bi\", \"team=web\"]", None).unwrap();
    let analysis = analyze(&main_dataset(), &config).unwrap();
    let flagged = ids(&findings_of(&analysis, RULE)).into_iter().map(str::to_owned).collect::<Vec<_>>();
    assert!(!flagged.contains(&"i-report".to_owned()) && !flagged.contains(&"acme-web".to_owned()), "{flagged:?}");
    assert!(flagged.contains(&"i-burst".to_owned()));
}

#[test]
fn invalid_settings_are_rejected_with_the_setting_named() {
    for (toml, expected) in [
        ("lookback-days = 30", "`lookback-days` must be 14, 32 or 93"),
        ("cpu-percentile = \"p99\"", "`cpu-percentile` must be \"p90\", \"p95\" or \"p99.5\""),
        ("cpu-headroom-pct = 95", "`cpu-headroom-pct` must be between 0 and 90"),
        ("memory-headroom-pct = -1", "`memory-headroom-pct` must be between 0 and 90"),
        ("min-hours = 0", "`min-hours` must be between 1"),
        ("min-hours = 400", "`min-hours` must be between 1 and the lookback's 336 hours"),
        ("families = [\"m7g\", \"zz9\"]", "`families` has an entry matching no instance family in the price book: zz9"),
        ("families = []", "`families` is empty"),
        ("min-monthly-savings = -5", "`min-monthly-savings` must be a non-negative"),
        ("graviton = \"yes\"", "invalid type"),
        ("headroom = 20", "unknown field"),
    ] {
        let err = Config::parse(&format!("[rules.ec2-rightsizing]\n{toml}"), None).unwrap_err().to_string();
        assert!(err.contains(expected), "{toml}: {err}");
    }
    assert!(Config::parse("[rules.ec2-rightsizing]\nlookback-days = 93\nmin-hours = 2000", None).is_ok());
}

/// Without CPUUtilization in the snapshot (network only), every running instance is "not enough data";
/// the empty result of a snapshot with only optimized instances is snapshot-tested too.
#[test]
fn uncollected_cpu_means_not_enough_data_and_optimized_means_no_finding() {
    let rows = [instance("i-a", "m5.xlarge"), instance("i-b", "c5.large")];
    let mut points = Points::default();
    for id in ["i-a", "i-b"] {
        for h in 0..336 {
            points.push(id, "AWS/EC2", "NetworkIn", "Sum", lookback_start() + Duration::hours(h), 1e6);
        }
    }
    let analysis = analyze(&dataset(&rows, points, None, Vec::new()), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let reasons: Vec<&str> =
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).map(|s| s.skipped.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["AWS/EC2 CPUUtilization is not in the snapshot for the last 14 days: the metric was not collected"; 2]
    );

    let rows = [Row { architecture: Some("arm64"), ..instance("i-steady", "m7g.large") }];
    let mut points = Points::default();
    points.load("i-steady", 0, &flat(70.0, 50.0, 1e9));
    let analysis = analyze(&dataset(&rows, points, None, Vec::new()), &Config::default()).unwrap();
    assert!(analysis.not_enough_data.iter().all(|s| s.rule != RULE));
    insta::assert_json_snapshot!("ec2_rightsizing_empty", findings_of(&analysis, RULE));
}

#[test]
fn commit_after_cleanup_counts_over_provisioned_instances_at_their_recommended_type() {
    // The main dataset's over-provisioned subjects (see its doc): i-report and i-ri → r6g.medium,
    // i-burst → m7g.medium, and the three acme-web members → r6g.medium. i-hot (under-provisioned),
    // i-tiny and i-steady (optimized) and the not-enough-data instances keep their type.
    let dataset = main_dataset();
    let prices = costwise_analyzer::prices::PriceBook::for_dataset(
        &dataset,
        costwise_analyzer::prices::PriceOverrides::default(),
    )
    .unwrap();
    let billed = costwise_analyzer::billed::BilledCosts::load(&dataset, prices.hours_per_month()).unwrap();
    let ctx = costwise_analyzer::rules::Context { dataset: &dataset, prices: &prices, billed: &billed };
    let mut resizes: Vec<(String, String)> = costwise_analyzer::commitments::cleanup::rightsizing_resizes(&ctx)
        .unwrap()
        .into_iter()
        .map(|r| (r.instance_id, r.to_instance_type))
        .collect();
    resizes.sort();
    let expected = [
        ("i-burst", "m7g.medium"),
        ("i-report", "r6g.medium"),
        ("i-ri", "r6g.medium"),
        ("i-web1", "r6g.medium"),
        ("i-web2", "r6g.medium"),
        ("i-web3", "r6g.medium"),
    ];
    assert_eq!(resizes, expected.map(|(i, t)| (i.to_owned(), t.to_owned())));
}
