//! `idle-instance` on hand-built datasets.

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Low, Medium};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "idle-instance";

/// CloudWatch datapoints, built row by row.
#[derive(Default)]
struct Points {
    id: Vec<&'static str>,
    namespace: Vec<&'static str>,
    metric: Vec<&'static str>,
    statistic: Vec<&'static str>,
    start: Vec<Option<NaiveDateTime>>,
    seconds: Vec<i64>,
    value: Vec<f64>,
}

impl Points {
    fn push(
        &mut self,
        id: &'static str,
        metric: &'static str,
        statistic: &'static str,
        start: NaiveDateTime,
        seconds: i64,
        value: f64,
    ) {
        self.id.push(id);
        self.namespace.push("AWS/EC2");
        self.metric.push(metric);
        self.statistic.push(statistic);
        self.start.push(Some(start));
        self.seconds.push(seconds);
        self.value.push(value);
    }

    /// One daily datapoint per metric for 2026-11-01 .. 2026-11-14: `(cpu %, network MB)` per day,
    /// network split 40 % in, 60 % out. A Maximum CPU of 90 % every day checks that only Average is read.
    fn daily(&mut self, id: &'static str, days: impl IntoIterator<Item = (f64, f64)>) {
        for (d, (cpu, mb)) in days.into_iter().enumerate() {
            let start = at(11, 1) + Duration::days(d as i64);
            self.push(id, "CPUUtilization", "Average", start, 86_400, cpu);
            self.push(id, "CPUUtilization", "Maximum", start, 86_400, 90.0);
            self.push(id, "NetworkIn", "Sum", start, 86_400, mb * 0.4e6);
            self.push(id, "NetworkOut", "Sum", start, 86_400, mb * 0.6e6);
        }
    }

    /// Hourly datapoints from `from` to the end of the window: `cpu` % and `mb_per_hour` of traffic.
    fn hourly(&mut self, id: &'static str, from: NaiveDateTime, cpu: f64, mb_per_hour: f64) {
        let mut start = from;
        while start < at(11, 15) {
            self.push(id, "CPUUtilization", "Average", start, 3600, cpu);
            self.push(id, "NetworkIn", "Sum", start, 3600, mb_per_hour * 0.5e6);
            self.push(id, "NetworkOut", "Sum", start, 3600, mb_per_hour * 0.5e6);
            start += Duration::hours(1);
        }
    }

    fn frame(self) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("resource_id".into(), self.id),
            Column::new("namespace".into(), self.namespace),
            Column::new("metric".into(), self.metric),
            Column::new("statistic".into(), self.statistic),
            datetime_series("period_start", &self.start),
            Column::new("period_seconds".into(), self.seconds),
            Column::new("value".into(), self.value),
        ])
        .unwrap()
    }
}

/// id, region, type, state, Auto Scaling group, tags, launch time.
type InstanceRow =
    (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, &'static str, NaiveDateTime);

fn every_day(cpu: f64, mb: f64) -> Vec<(f64, f64)> {
    vec![(cpu, mb); 14]
}

/// Running instances as of 2026-11-15 (lookback 2026-11-01 .. 2026-11-14), idle = CPU ≤ 10 % and network ≤ 5 MB:
/// - i-idle t3.medium, 1.5 % CPU and 2 MB every day → idle 14/14, high; 0.0416 × 730 = $30.368 (price book)
/// - i-billed m5.large, idle (3 %, 1 MB) on 10 days, busy (40 %, 900 MB) on 4 → idle 10/14, medium; billed $1.20/day
///   for 14 days in the CUR (a discount) → 16.80 / 336 h × 730 = $36.50
/// - i-weekend t3.small, idle (3 %, 1 MB) on 4 days, busy on 10 → flagged (4 of 14), low; 0.0208 × 730 = $15.184
/// - acme-idle-asg: i-asg1 and i-asg2 t3.micro, both idle (1 %, 0.5 MB) → one group finding, 2 × 0.0104 × 730 = $15.184
/// - i-new t3.large launched 2026-11-10 06:00, hourly 2 % CPU and 0.2 MB/hour: judged on the 5 days since launch
///   (the launch day's 18 hours × 0.2 = 3.6 MB scale to 4.8 MB/day) → idle 5/5; 0.0832 × 730 = $60.736
/// - i-ignored t3.nano, idle, tagged costwise:ignore=true → excluded
/// - not flagged: i-busy (45 %, 2,000 MB), i-proxy (1 % CPU but 800 MB/day: low CPU alone is not idle),
///   acme-web-asg (i-web1 idle, i-web2 busy: neither the group nor a member is reported)
/// - not enough data: i-fresh (launched 2026-11-13 06:00: 2 days), i-nonet (CPU but no network datapoints),
///   i-gap (eu-west-1, metrics not collected there), i-stopped is stopped (not a candidate at all)
///
/// Total: 60.736 + 36.50 + 30.368 + 15.184 + 15.184 = $157.972
fn dataset() -> Dataset {
    let rows: [InstanceRow; 16] = [
        ("i-idle", "us-east-1", "t3.medium", "running", None, r#"{"Name":"old-test","team":"qa"}"#, at(3, 1)),
        ("i-billed", "us-east-1", "m5.large", "running", None, "{}", at(3, 1)),
        ("i-weekend", "us-east-1", "t3.small", "running", None, "{}", at(3, 1)),
        ("i-asg1", "us-east-1", "t3.micro", "running", Some("acme-idle-asg"), r#"{"team":"web","x":"1"}"#, at(3, 1)),
        ("i-asg2", "us-east-1", "t3.micro", "running", Some("acme-idle-asg"), r#"{"team":"web"}"#, at(3, 1)),
        ("i-new", "us-east-1", "t3.large", "running", None, "{}", at(11, 10) + Duration::hours(6)),
        ("i-ignored", "us-east-1", "t3.nano", "running", None, r#"{"costwise:ignore":"true"}"#, at(3, 1)),
        ("i-busy", "us-east-1", "c5.large", "running", None, "{}", at(3, 1)),
        ("i-proxy", "us-east-1", "c5.large", "running", None, "{}", at(3, 1)),
        ("i-web1", "us-east-1", "m5.large", "running", Some("acme-web-asg"), "{}", at(3, 1)),
        ("i-web2", "us-east-1", "m5.large", "running", Some("acme-web-asg"), "{}", at(3, 1)),
        ("i-fresh", "us-east-1", "t3.micro", "running", None, "{}", at(11, 13) + Duration::hours(6)),
        ("i-nonet", "us-east-1", "t3.micro", "running", None, "{}", at(3, 1)),
        ("i-gap", "eu-west-1", "t3.micro", "running", None, "{}", at(3, 1)),
        ("i-stopped", "us-east-1", "t3.micro", "stopped", None, "{}", at(3, 1)),
        ("i-busy2", "us-east-1", "t3.micro", "running", None, "{}", at(3, 1)),
    ];
    let instances = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec!["111111111111"; rows.len()]),
        Column::new("region".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("instance_id".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new(
            "name".into(),
            rows.iter()
                .map(|r| r.0.strip_prefix("i-asg").map_or_else(|| r.0.replace("i-", ""), |_| "idle-web".into()))
                .collect::<Vec<_>>(),
        ),
        Column::new("instance_type".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("state".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
        Column::new("auto_scaling_group".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        Column::new("tags".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
        datetime_series("launch_time", &rows.iter().map(|r| Some(r.6)).collect::<Vec<_>>()),
    ])
    .unwrap();

    let mut points = Points::default();
    points.daily("i-idle", every_day(1.5, 2.0));
    points.daily("i-billed", (0..14).map(|d| if d % 7 < 2 { (40.0, 900.0) } else { (3.0, 1.0) }));
    points.daily("i-weekend", (0..14).map(|d| if d % 7 < 2 { (3.0, 1.0) } else { (40.0, 900.0) }));
    points.daily("i-asg1", every_day(1.0, 0.5));
    points.daily("i-asg2", every_day(1.0, 0.5));
    points.hourly("i-new", at(11, 10) + Duration::hours(6), 2.0, 0.2);
    points.daily("i-ignored", every_day(1.0, 0.5));
    points.daily("i-busy", every_day(45.0, 2000.0));
    points.daily("i-proxy", every_day(1.0, 800.0));
    points.daily("i-web1", every_day(1.0, 0.5));
    points.daily("i-web2", every_day(30.0, 500.0));
    points.hourly("i-fresh", at(11, 13) + Duration::hours(6), 1.0, 0.1);
    points.daily("i-gap", every_day(1.0, 0.5));
    points.daily("i-busy2", every_day(1.0, 50.0));
    for d in 0..14 {
        points.push("i-nonet", "CPUUtilization", "Average", at(11, 1) + Duration::days(d), 86_400, 0.5);
    }

    // i-billed: 14 daily BoxUsage lines of $1.20 (on-demand would be 0.096 × 24 = $2.304).
    let starts: Vec<_> = (0..14).map(|d| Some(at(11, 1) + Duration::days(d))).collect();
    let ends: Vec<_> = starts.iter().map(|s| s.map(|s| s + Duration::days(1))).collect();
    let costs = DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &starts),
        datetime_series("usage_end", &ends),
        Column::new("account_id".into(), vec!["111111111111"; 14]),
        Column::new("region".into(), vec!["us-east-1"; 14]),
        Column::new("service".into(), vec!["AmazonEC2"; 14]),
        Column::new("usage_type".into(), vec!["BoxUsage:m5.large"; 14]),
        Column::new("resource_id".into(), vec!["i-billed"; 14]),
        Column::new("line_item_type".into(), vec!["DiscountedUsage"; 14]),
        Column::new("usage_amount".into(), vec![24.0; 14]),
        Column::new("unblended_cost".into(), vec![1.2; 14]),
        Column::new("amortized_cost".into(), vec![1.2; 14]),
        Column::new("public_on_demand_cost".into(), vec![2.304; 14]),
        Column::new("currency".into(), vec!["USD"; 14]),
        Column::new("tags".into(), vec!["{}"; 14]),
    ])
    .unwrap();

    let mut manifest = manifest(at(11, 1), at(11, 15));
    manifest.data_gaps.push(DataGap {
        table: Some(Table::Metrics),
        account_id: None,
        region: Some("eu-west-1".into()),
        reason: "cloudwatch:GetMetricData denied in eu-west-1".into(),
    });
    Dataset::from_frames(
        manifest,
        [(Table::Instances, instances), (Table::Metrics, points.frame()), (Table::Costs, costs)],
    )
    .unwrap()
}

fn ignore_tag() -> Config {
    Config::parse("[exclusions]\ntags = [\"costwise:ignore=true\"]", None).unwrap()
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.resource_id.as_str()).collect()
}

fn quantity(finding: &Finding, label: &str) -> f64 {
    match finding.evidence.iter().find(|e| e.label == label).map(|e| &e.value) {
        Some(EvidenceValue::Quantity { value, .. }) => *value,
        other => panic!("{}: no quantity `{label}`: {other:?}", finding.resource_id),
    }
}

fn skipped(analysis: &costwise_analyzer::Analysis) -> Vec<(String, String)> {
    let mut out: Vec<_> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.clone(), s.skipped.reason.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn idle_means_low_cpu_and_low_network_and_groups_are_reported_once() {
    let analysis = analyze(&dataset(), &ignore_tag()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(ids(&findings), ["i-new", "i-billed", "i-idle", "acme-idle-asg", "i-weekend"]);

    let expected = [
        ("i-new", 60.736, High, 5.0, 5.0),
        ("i-billed", 36.5, Medium, 10.0, 14.0),
        ("i-idle", 30.368, High, 14.0, 14.0),
        ("i-weekend", 15.184, Low, 4.0, 14.0),
    ];
    for (id, dollars, confidence, idle, judged) in expected {
        let f = by_id(&findings, id);
        assert!((f.monthly_savings - dollars).abs() < 1e-9, "{id}: {} != {dollars}", f.monthly_savings);
        assert_eq!(f.monthly_cost, f.monthly_savings, "{id}: stopping saves the whole instance");
        assert_eq!(f.confidence, confidence, "{id}");
        assert_eq!((quantity(f, "idle days"), quantity(f, "days judged")), (idle, judged), "{id}");
        assert_eq!(f.risk, Risk::NeedsTesting);
        assert_eq!(f.resource_type, "ec2-instance");
    }
    assert_eq!(by_id(&findings, "i-billed").price_source.origin, costwise_analyzer::prices::PriceOrigin::Billed);
    assert_eq!(quantity(by_id(&findings, "i-new"), "highest daily network"), 4.8, "launch day scaled to 24 h");
    assert_eq!(quantity(by_id(&findings, "i-idle"), "average daily network"), 2.0);

    let group = by_id(&findings, "acme-idle-asg");
    assert_eq!(group.resource_type, "auto-scaling-group");
    assert_eq!(group.covers, ["i-asg1", "i-asg2"]);
    assert!((group.monthly_savings - 15.184).abs() < 1e-9, "{}", group.monthly_savings);
    assert_eq!(group.tags.get("team").map(String::as_str), Some("web"));
    assert!(!group.tags.contains_key("x"), "only the tags every member shares");
    assert_eq!(group.resource_name.as_deref(), Some("idle-web"));
    assert!(group.remediation.cli[0].contains("--min-size 0 --desired-capacity 0"));
    assert!(findings.iter().all(|f| !f.resource_id.starts_with("i-asg") && !f.resource_id.starts_with("i-web")));

    let total = analysis.rules.iter().find(|r| r.id == RULE).unwrap().monthly_savings;
    assert!((total - 157.972).abs() < 1e-9, "{total}");
    assert_eq!(analysis.exclusions[0].matched_findings, 1, "i-ignored excluded by its tag");

    let skipped = skipped(&analysis);
    assert_eq!(
        skipped.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["i-fresh", "i-gap", "i-nonet"],
        "{skipped:#?}"
    );
    assert!(skipped[0].1.contains("2 day(s) since its launch on 2026-11-13 06:00 UTC"), "{}", skipped[0].1);
    assert!(skipped[1].1.contains("GetMetricData denied in eu-west-1"), "{}", skipped[1].1);
    assert!(skipped[2].1.contains("CPUUtilization on 14, NetworkIn and NetworkOut on 0"), "{}", skipped[2].1);

    insta::assert_json_snapshot!("idle_instance_findings", findings);
    insta::assert_json_snapshot!("idle_instance_not_enough_data", skipped);
}

#[test]
fn thresholds_and_days_are_settings() {
    // CPU ≤ 2 % on at least 11 days: i-idle (1.5 %, 14 days) and the group (1 %) stay; i-billed (10 idle days),
    // i-weekend (3 %) and i-new (2 % but only 5 days judged) do not — i-new now lacks days; i-busy2 (1 %, 50 MB)
    // becomes idle once the network threshold is 60 MB.
    let config = Config::parse(
        "[rules.idle-instance]\nmax-cpu-percent = 2.0\nmax-network-mb = 60.0\nmin-idle-days = 11\nlookback-days = 14",
        None,
    )
    .unwrap();
    let analysis = analyze(&dataset(), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert_eq!(ids(&findings), ["i-idle", "acme-idle-asg", "i-busy2", "i-ignored"]);
    let busy2 = by_id(&findings, "i-busy2");
    assert!((busy2.monthly_savings - 7.592).abs() < 1e-9, "0.0104 × 730 = $7.592");
    assert!(busy2.title.contains("CPU ≤ 2%, network ≤ 60 MB/day"), "{}", busy2.title);
    assert!(skipped(&analysis).iter().any(|(id, reason)| id == "i-new" && reason.contains("at least 11 are needed")));

    let bad = Config::parse("[rules.idle-instance]\nmin-idle-days = 20", None).unwrap_err();
    assert!(bad.to_string().contains("`min-idle-days` must be between 1 and `lookback-days` (14)"), "{bad}");
}

#[test]
fn without_ec2_metrics_nothing_is_idle() {
    let instances = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"; 2]),
        Column::new("region".into(), ["us-east-1"; 2]),
        Column::new("instance_id".into(), ["i-a", "i-b"]),
        Column::new("instance_type".into(), ["t3.micro", "m5.large"]),
        Column::new("state".into(), ["running"; 2]),
        Column::new("tags".into(), ["{}"; 2]),
    ])
    .unwrap();
    // The metrics table holds only EBS datapoints: EC2 metrics were not collected.
    let ebs = DataFrame::new_infer_height(vec![
        Column::new("resource_id".into(), ["vol-a"]),
        Column::new("namespace".into(), ["AWS/EBS"]),
        Column::new("metric".into(), ["VolumeReadOps"]),
        Column::new("statistic".into(), ["Sum"]),
        datetime_series("period_start", &[Some(at(11, 10))]),
        Column::new("period_seconds".into(), [3600i64]),
        Column::new("value".into(), [0.0]),
    ])
    .unwrap();
    let frames = [(Table::Instances, instances.clone()), (Table::Metrics, ebs)];
    let analysis =
        analyze(&Dataset::from_frames(manifest(at(11, 1), at(11, 15)), frames).unwrap(), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    let skipped = skipped(&analysis);
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().all(|(_, r)| r.contains("CPUUtilization (Average) is not in the snapshot")), "{skipped:?}");
    insta::assert_json_snapshot!("idle_instance_none", findings);

    // No metrics table at all: the coverage section reports the missing table; the rule stays silent.
    let no_metrics = Dataset::from_frames(manifest(at(11, 1), at(11, 15)), [(Table::Instances, instances)]).unwrap();
    let analysis = analyze(&no_metrics, &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    assert!(analysis.not_enough_data.iter().all(|s| s.rule != RULE));
}
