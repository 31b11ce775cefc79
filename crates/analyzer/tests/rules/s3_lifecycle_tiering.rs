//! `s3-lifecycle-tiering`: S3 Standard data that costs less in a colder class, priced by hand.
//!
//! Every dataset is built through the public API: one `buckets` row per bucket, daily CloudWatch
//! storage metrics (`AWS/S3` `BucketSizeBytes/<StorageType>` and `NumberOfObjects/AllStorageTypes`,
//! Average; bytes = GiB × 2^30) and CUR lines for the bucket (`TimedStorage-ByteHrs`, `Requests-Tier2`
//! GETs, `Requests-Tier1` `PutObject`) covering the bucket's history up to the snapshot's end,
//! 2026-11-01. Monthly figures are scaled from the window by 730 h / (days × 24 h).
//!
//! us-east-1 list prices the arithmetic uses ($/GiB-month storage; $ per 1,000 requests; $/GiB retrieval):
//!
//! | class | storage | GET (+ restore) | retrieval | transition | min. days | min. size |
//! |---|---|---|---|---|---|---|
//! | Standard | 0.023 | 0.0004 | – | – | – | – |
//! | Intelligent-Tiering | 0.023 / 0.0125 / 0.004 (Frequent / Infrequent / Archive Instant) | 0.0004 | – | 0.01 | – | monitored ≥ 128 KiB, $0.0025 per 1,000 objects a month |
//! | Standard-IA | 0.0125 | 0.001 | 0.01 | 0.01 | 30 | 128 KiB |
//! | Glacier IR | 0.004 | 0.01 | 0.03 | 0.02 | 90 | 128 KiB |
//! | Glacier Flexible | 0.0036 | 0.0004 + 0.05 | 0.01 | 0.03 | 90 | + 32 KiB archive, 8 KiB Standard per object |
//! | Deep Archive | 0.00099 | 0.0004 + 0.10 | 0.02 | 0.05 | 180 | + 32 KiB archive, 8 KiB Standard per object |
//!
//! A month is 730 h = 30.4167 days. When two policies save exactly the same (no writes: every delay
//! moves everything), the rule picks the longest delay.

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::{Analysis, Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;
use serde_json::{Value, json};

use super::common::{at, by_id, datetime_series, findings_of, manifest};

const ACCOUNT: &str = "111111111111";
const RULE: &str = "s3-lifecycle-tiering";
/// Bytes in a GiB (S3 bills GB = 2^30 bytes).
const GIB: f64 = 1_073_741_824.0;
/// KiB in a GiB.
const KIB_PER_GIB: f64 = 1_048_576.0;

/// The snapshot's end, "now".
fn as_of() -> NaiveDateTime {
    at(11, 1)
}

/// One bucket and the data the snapshot holds about it.
#[derive(Clone)]
struct Bucket {
    name: &'static str,
    /// GiB in S3 Standard on the latest day (2026-10-31).
    standard_gib: f64,
    /// Net growth of Standard, GiB a day (the series rises linearly to `standard_gib`).
    growth_gib_per_day: f64,
    /// Every object's size, KiB (objects = GiB × 2^20 / KiB, in every class).
    object_kib: f64,
    /// Days of data: daily metrics and the CUR lines cover the last `history_days` days.
    history_days: i64,
    /// CUR `Requests-Tier2` a month (no line when 0).
    gets_per_month: f64,
    /// CUR `Requests-Tier1` `PutObject` a month (no line when 0).
    puts_per_month: f64,
    /// CUR `TimedStorage-ByteHrs` line billed at this $/GB-month (no line when `None`).
    standard_rate: Option<f64>,
    /// Whether the CUR has lines for the bucket at all.
    cur: bool,
    /// CloudWatch `GetRequests` (Sum) a day, every day of the history, when collected.
    cloudwatch_gets_per_day: Option<f64>,
    /// Whether `NumberOfObjects/AllStorageTypes` was collected.
    object_counts: bool,
    /// Other CloudWatch storage types and their constant GiB.
    also: Vec<(&'static str, f64)>,
    lifecycle_rules: Option<&'static str>,
    lifecycle_rule_count: Option<i64>,
    intelligent_tiering_configs: Option<i64>,
    versioning: Option<&'static str>,
    tags: &'static str,
}

impl Bucket {
    /// A never-read, never-written bucket with 90 days of data, no lifecycle rules, billed at list price.
    fn new(name: &'static str, standard_gib: f64, object_kib: f64) -> Self {
        Self {
            name,
            standard_gib,
            growth_gib_per_day: 0.0,
            object_kib,
            history_days: 90,
            gets_per_month: 0.0,
            puts_per_month: 0.0,
            standard_rate: Some(0.023),
            cur: true,
            cloudwatch_gets_per_day: None,
            object_counts: true,
            also: Vec::new(),
            lifecycle_rules: Some("[]"),
            lifecycle_rule_count: Some(0),
            intelligent_tiering_configs: Some(0),
            versioning: None,
            tags: "{}",
        }
    }

    fn objects_per_gib(&self) -> f64 {
        KIB_PER_GIB / self.object_kib
    }

    /// Months the history covers: days × 24 / 730.
    fn months(&self) -> f64 {
        self.history_days as f64 * 24.0 / 730.0
    }
}

#[derive(Default)]
struct MetricRows {
    resource: Vec<&'static str>,
    metric: Vec<String>,
    statistic: Vec<&'static str>,
    start: Vec<Option<NaiveDateTime>>,
    value: Vec<f64>,
}

impl MetricRows {
    fn push(&mut self, bucket: &'static str, metric: String, statistic: &'static str, day: NaiveDateTime, value: f64) {
        self.resource.push(bucket);
        self.metric.push(metric);
        self.statistic.push(statistic);
        self.start.push(Some(day));
        self.value.push(value);
    }

    fn frame(self) -> DataFrame {
        let n = self.value.len();
        DataFrame::new_infer_height(vec![
            Column::new("resource_id".into(), self.resource),
            Column::new("namespace".into(), vec!["AWS/S3"; n]),
            Column::new("metric".into(), self.metric),
            Column::new("statistic".into(), self.statistic),
            datetime_series("period_start", &self.start),
            Column::new("period_seconds".into(), vec![86_400i64; n]),
            Column::new("value".into(), self.value),
        ])
        .unwrap()
    }
}

#[derive(Default)]
struct CostRows {
    start: Vec<Option<NaiveDateTime>>,
    resource: Vec<&'static str>,
    usage_type: Vec<&'static str>,
    operation: Vec<&'static str>,
    unit: Vec<&'static str>,
    amount: Vec<f64>,
    cost: Vec<f64>,
}

impl CostRows {
    fn frame(self) -> DataFrame {
        let n = self.amount.len();
        DataFrame::new_infer_height(vec![
            datetime_series("usage_start", &self.start),
            datetime_series("usage_end", &vec![Some(as_of()); n]),
            Column::new("account_id".into(), vec![ACCOUNT; n]),
            Column::new("region".into(), vec!["us-east-1"; n]),
            Column::new("service".into(), vec!["AmazonS3"; n]),
            Column::new("usage_type".into(), self.usage_type),
            Column::new("operation".into(), self.operation),
            Column::new("resource_id".into(), self.resource),
            Column::new("line_item_type".into(), vec!["Usage"; n]),
            Column::new("pricing_unit".into(), self.unit),
            Column::new("usage_amount".into(), self.amount),
            Column::new("unblended_cost".into(), self.cost.clone()),
            Column::new("amortized_cost".into(), self.cost.clone()),
            Column::new("public_on_demand_cost".into(), self.cost),
            Column::new("currency".into(), vec!["USD"; n]),
            Column::new("tags".into(), vec!["{}"; n]),
        ])
        .unwrap()
    }
}

/// The snapshot 2026-08-03 .. 2026-11-01 (the rule's 90-day lookback) holding `buckets`.
fn dataset(buckets: &[Bucket]) -> Dataset {
    let frame = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCOUNT; buckets.len()]),
        Column::new("region".into(), vec!["us-east-1"; buckets.len()]),
        Column::new("bucket".into(), buckets.iter().map(|b| b.name).collect::<Vec<_>>()),
        Column::new("lifecycle_rule_count".into(), buckets.iter().map(|b| b.lifecycle_rule_count).collect::<Vec<_>>()),
        Column::new(
            "intelligent_tiering_configs".into(),
            buckets.iter().map(|b| b.intelligent_tiering_configs).collect::<Vec<_>>(),
        ),
        Column::new("versioning".into(), buckets.iter().map(|b| b.versioning).collect::<Vec<_>>()),
        Column::new("lifecycle_rules".into(), buckets.iter().map(|b| b.lifecycle_rules).collect::<Vec<_>>()),
        Column::new("tags".into(), buckets.iter().map(|b| b.tags).collect::<Vec<_>>()),
    ])
    .unwrap();
    let mut metrics = MetricRows::default();
    let mut costs = CostRows::default();
    for b in buckets {
        let first = as_of() - Duration::days(b.history_days);
        for i in 0..b.history_days {
            let day = first + Duration::days(i);
            let standard = b.standard_gib - b.growth_gib_per_day * (b.history_days - 1 - i) as f64;
            metrics.push(b.name, "BucketSizeBytes/StandardStorage".into(), "Average", day, standard * GIB);
            let mut total = standard;
            for (storage_type, gib) in &b.also {
                metrics.push(b.name, format!("BucketSizeBytes/{storage_type}"), "Average", day, gib * GIB);
                total += gib;
            }
            if b.object_counts {
                metrics.push(
                    b.name,
                    "NumberOfObjects/AllStorageTypes".into(),
                    "Average",
                    day,
                    total * b.objects_per_gib(),
                );
            }
            if let Some(gets) = b.cloudwatch_gets_per_day {
                metrics.push(b.name, "GetRequests".into(), "Sum", day, gets);
            }
        }
        if !b.cur {
            continue;
        }
        let mut line = |usage_type, operation, unit, monthly: f64, price: f64| {
            costs.start.push(Some(first));
            costs.resource.push(b.name);
            costs.usage_type.push(usage_type);
            costs.operation.push(operation);
            costs.unit.push(unit);
            costs.amount.push(monthly * b.months());
            costs.cost.push(monthly * b.months() * price);
        };
        if let Some(rate) = b.standard_rate {
            line("TimedStorage-ByteHrs", "StandardStorage", "GB-Mo", b.standard_gib, rate);
        }
        if b.gets_per_month > 0.0 {
            line("Requests-Tier2", "GetObject", "Requests", b.gets_per_month, 0.0004 / 1000.0);
        }
        if b.puts_per_month > 0.0 {
            line("Requests-Tier1", "PutObject", "Requests", b.puts_per_month, 0.005 / 1000.0);
        }
    }
    let mut frames = vec![(Table::Buckets, frame)];
    if !metrics.value.is_empty() {
        frames.push((Table::Metrics, metrics.frame()));
    }
    if !costs.amount.is_empty() {
        frames.push((Table::Costs, costs.frame()));
    }
    Dataset::from_frames(manifest(at(8, 3), as_of()), frames).unwrap()
}

fn run(buckets: &[Bucket], config: &str) -> Analysis {
    let config = Config::parse(config, None).unwrap();
    let analysis = analyze(&dataset(buckets), &config).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    analysis
}

fn findings(analysis: &Analysis) -> Vec<Finding> {
    findings_of(analysis, RULE)
}

fn flagged(analysis: &Analysis) -> Vec<String> {
    findings(analysis).into_iter().map(|f| f.resource_id).collect()
}

/// (bucket, reason) of every bucket the rule could not judge.
fn skipped(analysis: &Analysis) -> Vec<(String, String)> {
    analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.clone(), s.skipped.reason.clone()))
        .collect()
}

fn evidence<'a>(f: &'a Finding, label: &str) -> &'a EvidenceValue {
    &f.evidence.iter().find(|e| e.label.starts_with(label)).unwrap_or_else(|| panic!("no evidence `{label}`")).value
}

fn money(f: &Finding, label: &str) -> f64 {
    match evidence(f, label) {
        EvidenceValue::Money { amount, .. } => *amount,
        other => panic!("{label}: {other:?}"),
    }
}

fn quantity(f: &Finding, label: &str) -> f64 {
    match evidence(f, label) {
        EvidenceValue::Quantity { value, .. } => *value,
        other => panic!("{label}: {other:?}"),
    }
}

fn text<'a>(f: &'a Finding, label: &str) -> &'a str {
    match evidence(f, label) {
        EvidenceValue::Text { text } => text,
        other => panic!("{label}: {other:?}"),
    }
}

/// Figures are kept to 1/100 cent: compare with the hand value rounded to 4 decimals.
fn close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

/// The one-time fee and payback evidence of a finding.
fn one_time_and_payback(f: &Finding) -> (f64, f64) {
    (money(f, "one-time transition fee"), quantity(f, "payback"))
}

/// 10,240 GiB (10 TiB) of 64 MiB objects (16 per GiB → 163,840 objects), never read, never written, 90 days.
fn cold_archive() -> Bucket {
    Bucket::new("cold-archive", 10_240.0, 65_536.0)
}

/// 1,024 GiB of 1 MiB objects (1,048,576), 10,240 GETs a month (10 GiB read), 45 days of history.
fn cold_read() -> Bucket {
    Bucket { gets_per_month: 10_240.0, history_days: 45, ..Bucket::new("cold-read", 1024.0, 1024.0) }
}

/// 3,000 GiB of 1 MiB objects today, growing 10 GiB (10,240 objects) a day for 90 days, never read:
/// 10,240 PutObject a day = 10,240 × 730 / 24 a month, none deleted.
fn growing_logs() -> Bucket {
    Bucket {
        growth_gib_per_day: 10.0,
        puts_per_month: 10_240.0 * 730.0 / 24.0,
        ..Bucket::new("growing-logs", 3000.0, 1024.0)
    }
}

/// 1,024 GiB read through every month: 1 MiB objects, 1,048,576 GETs a month (1,024 GiB read).
fn hot() -> Bucket {
    Bucket { gets_per_month: 1_048_576.0, ..Bucket::new("hot", 1024.0, 1024.0) }
}

/// 1,024 GiB of 16 KiB objects (65,536 per GiB → 67,108,864 objects), 1,000 GETs a month.
fn small_objects() -> Bucket {
    Bucket { gets_per_month: 1000.0, ..Bucket::new("small-objects", 1024.0, 16.0) }
}

/// A never-read bucket:
/// - cost now: 10,240 × 0.023 = $235.52 (no GETs)
/// - Deep Archive: 163,840 objects × 32 KiB = 5 GiB of archive metadata, × 8 KiB = 1.25 GiB billed at Standard:
///   (10,240 + 5) × 0.00099 + 1.25 × 0.023 = 10.14255 + 0.02875 = $10.1713 → saves 235.52 − 10.1713 = $225.3487;
///   one-time 163,840 × 0.05 / 1,000 = $8.192; payback 8.192 / 225.3487 = 0.0364 months
/// - the runners-up: Glacier Flexible (10,245 × 0.0036 + 0.02875 = 36.91075) saves $198.6093, Glacier IR
///   (10,240 × 0.004 = 40.96) $194.56, Intelligent-Tiering (all of it in Archive Instant, 40.96, + monitoring
///   163,840 × 0.0025 / 1,000 = 0.4096) $194.1504, Standard-IA (128.00) $107.52
/// - nothing is written, so Deep Archive after 180 and after 365 days save the same: the shorter delay is chosen (it saves sooner).
#[test]
fn cold_large_objects_never_read_go_to_deep_archive() {
    let analysis = run(&[cold_archive()], "");
    let findings = findings(&analysis);
    assert_eq!(flagged(&analysis), ["cold-archive"]);
    let f = by_id(&findings, "cold-archive");
    assert_eq!(text(f, "chosen policy"), "Glacier Deep Archive after 180 days");
    close(f.monthly_cost, 235.52);
    close(f.monthly_savings, 225.3487);
    close(money(f, "cost under the policy"), 10.1713);
    // (10,240 + 5) × 0.00099 + 1.25 × 0.023
    close(money(f, "under the policy: storage"), 10.1713);
    close(money(f, "under the policy: requests"), 0.0);
    close(money(f, "under the policy: transitions"), 0.0);
    // 8.192; 8.192 / 225.3487 = 0.036353
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 8.192);
    close(payback, 0.0364);
    close(quantity(f, "moved at steady state"), 10_240.0);
    close(quantity(f, "average object size"), 65_536.0);
    assert_eq!(f.confidence, High, "90 days of history");
    assert_eq!(f.risk, Risk::NeedsTesting, "archived objects need a restore before they can be read");
    assert_eq!(f.resource_type, "s3-bucket");
    assert_eq!(f.title, "10240 GiB in S3 Standard costs less as Glacier Deep Archive after 180 days");
    let others = text(f, "other policies");
    assert!(others.contains("Glacier Flexible Retrieval after 90 days: saves $198.61/month"), "{others}");
    assert!(others.contains("Intelligent-Tiering from day 0: saves $194.15/month"), "{others}");
    assert!(others.contains("Standard-IA after 30 days: saves $107.52/month"), "{others}");
    assert!(f.remediation.summary.contains("restored"), "{}", f.remediation.summary);
    // Objects are 64 MiB: no need to let small objects transition.
    assert!(f.remediation.cli.iter().all(|c| !c.contains("--transition-default-minimum-object-size")));
    assert!(skipped(&analysis).is_empty());
}

/// 10,240 GETs a month rule the archive classes out (> `archive-max-gets-per-month` = 0). Cost now:
/// 1,024 × 0.023 + 10.24 × 0.0004 = 23.552 + 0.004096 = $23.556096. Reads: 10,240 × 1 MiB = 10 GiB a month.
/// - Glacier IR: 1,024 × 0.004 = 4.096 storage + 10.24 × 0.01 = 0.1024 GETs + 10 × 0.03 = 0.30 retrieval
///   = $4.4984 → saves $19.057696; one-time 1,048,576 × 0.02 / 1,000 = $20.97152; payback 1.1004 months
/// - Intelligent-Tiering: 10 GiB read stays Frequent (0.23), 1,014 GiB Archive Instant (4.056), GETs 0.004096,
///   monitoring 1,048,576 × 0.0025 / 1,000 = 2.62144 → $6.911536, saves $16.64456 (the monitoring fee loses it)
/// - Standard-IA: 12.80 + 10.24 × 0.001 + 10 × 0.01 = $12.91024, saves $10.645856
/// - Deep Archive would save the most ($21.09856) but a GET on an archived object fails until restored.
///
/// 45 days of history: medium confidence.
#[test]
fn a_few_reads_rule_out_the_archive_classes_and_glacier_ir_wins() {
    let analysis = run(&[cold_read()], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "cold-read");
    assert_eq!(text(f, "chosen policy"), "Glacier Instant Retrieval after 30 days");
    close(f.monthly_cost, 23.5561);
    close(f.monthly_savings, 19.0577);
    close(money(f, "cost now: storage"), 23.552);
    close(money(f, "cost now: GET requests"), 0.0041);
    close(money(f, "under the policy: storage"), 4.096);
    close(money(f, "under the policy: requests"), 0.1024);
    close(money(f, "under the policy: retrieval"), 0.3);
    close(money(f, "cost under the policy"), 4.4984);
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 20.9715);
    close(payback, 1.1004);
    close(quantity(f, "GET requests a month"), 10_240.0);
    close(quantity(f, "read a month"), 10.0);
    assert_eq!(f.confidence, Medium);
    assert_eq!(f.risk, Risk::NonDisruptive);
    let others = text(f, "other policies");
    assert!(others.contains("Glacier Deep Archive after 365 days: the bucket is read (10240 GET requests a month)"));
    assert!(others.contains("Intelligent-Tiering from day 0: saves $16.64/month"), "{others}");
    assert!(others.contains("Standard-IA after 90 days: saves $10.65/month"), "{others}");
}

/// 1,024 GiB of 256 KiB objects (4,194,304), 1,048,576 GETs a month reading 256 GiB. Cost now:
/// 23.552 + 1,048.576 × 0.0004 = $23.9714304.
/// - Standard-IA: 12.80 + 1,048.576 × 0.001 + 256 × 0.01 = 12.80 + 1.048576 + 2.56 = $16.408576 → saves
///   $7.5628544; one-time 4,194,304 × 0.01 / 1,000 = $41.94304; payback 41.94304 / 7.5628544 = 5.5459 months
/// - Intelligent-Tiering: 256 GiB Frequent (5.888) + 768 Archive Instant (3.072) + GETs 0.4194304 + monitoring
///   4,194,304 × 0.0025 / 1,000 = 10.48576 → $19.8651904, saves $4.10624 < $5
/// - Glacier IR: 4.096 + 1,048.576 × 0.01 + 256 × 0.03 = 4.096 + 10.48576 + 7.68 = $22.26176, saves $1.7096704 < $5
#[test]
fn moderately_read_256_kib_objects_go_to_standard_ia() {
    let bucket = Bucket { gets_per_month: 1_048_576.0, ..Bucket::new("reports", 1024.0, 256.0) };
    let analysis = run(&[bucket], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "reports");
    assert_eq!(text(f, "chosen policy"), "Standard-IA after 30 days");
    close(f.monthly_cost, 23.9714);
    close(f.monthly_savings, 7.5629);
    close(money(f, "under the policy: storage"), 12.8);
    close(money(f, "under the policy: requests"), 1.0486);
    close(money(f, "under the policy: retrieval"), 2.56);
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 41.943);
    close(payback, 5.5459);
    let others = text(f, "other policies");
    assert!(others.contains("Intelligent-Tiering from day 0: saves only $4.11/month"), "{others}");
    assert!(others.contains("Glacier Instant Retrieval after 30 days: saves only $1.71/month"), "{others}");
}

/// 3,000 GiB today, written at 10 GiB (10,240 objects of 1 MiB) a day; objects written a month:
/// 10,240 × 730 / 24 = 311,466.67. Cost now: 3,000 × 0.023 = $69.00.
/// - Glacier IR after 30 days: the last 30 days' 300 GiB stay in Standard (6.90), 2,700 GiB move (10.80);
///   each new object pays its transition as it ages: 311,466.67 × 0.02 / 1,000 = $6.229333 a month;
///   total 23.929333 → saves $45.070667; one-time 2,700 × 1,024 = 2,764,800 objects × 0.02 / 1,000 = $55.296;
///   payback 55.296 / 45.070667 = 1.2269 months
/// - Intelligent-Tiering: 300 GiB Frequent (6.90), 600 Infrequent (7.50), 2,100 Archive Instant (8.40),
///   transitions 311,466.67 × 0.01 / 1,000 = 3.114667, monitoring 3,072,000 × 0.0025 / 1,000 = 7.68
///   → $33.594667, saves $35.405333
/// - Glacier IR after 90 days: 900 GiB stay (20.70), 2,100 move (8.40), + 6.229333 → saves $33.670667
/// - Glacier Flexible after 90 days: (2,100 + 2,150,400 objects × 32 KiB = 65.625) × 0.0036 + (900 + 16.40625)
///   × 0.023 + 311,466.67 × 0.03 / 1,000 = 7.79625 + 21.077344 + 9.344 = 38.217594 → saves $30.782406
/// - Deep Archive after 365 days: no object is 365 days old (3,650 GiB would be written in 365 days): nothing moves.
#[test]
fn growing_bucket_keeps_young_data_in_standard_and_pays_monthly_transition_fees() {
    let analysis = run(&[growing_logs()], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "growing-logs");
    assert_eq!(text(f, "chosen policy"), "Glacier Instant Retrieval after 30 days");
    close(quantity(f, "written a day"), 10.0);
    close(quantity(f, "moved at steady state"), 2700.0);
    close(f.monthly_cost, 69.0);
    close(f.monthly_savings, 45.0707);
    // 300 × 0.023 + 2,700 × 0.004
    close(money(f, "under the policy: storage"), 17.7);
    // 10,240 × 730 / 24 × 0.02 / 1,000
    close(money(f, "under the policy: transitions of new objects"), 6.2293);
    close(money(f, "cost under the policy"), 23.9293);
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 55.296);
    close(payback, 1.2269);
    assert_eq!(text(f, "object lifetime"), "kept (no expiration rule, no deletions seen)");
    let others = text(f, "other policies");
    assert!(others.contains("Intelligent-Tiering from day 0: saves $35.41/month"), "{others}");
    assert!(others.contains("Glacier Instant Retrieval after 90 days: saves $33.67/month"), "{others}");
    assert!(others.contains("Glacier Flexible Retrieval after 90 days: saves $30.78/month"), "{others}");
    assert!(
        others.contains("Glacier Deep Archive after 365 days: no object in S3 Standard is 365 days old"),
        "{others}"
    );
}

/// 10,240 GiB of 64 MiB objects (163,840) written at 10 GiB (160 objects) a day, 20,000 GETs a month
/// reading 20,000 × 1/16 GiB = 1,250 GiB. Objects written a month: 160 × 730 / 24 = 4,866.67.
/// Cost now: 235.52 + 20 × 0.0004 = $235.528.
/// - Intelligent-Tiering (reads assumed to hit the oldest data, which then stays in Frequent Access):
///   Frequent 300 GiB younger than 30 days + 1,250 read = 1,550 × 0.023 = 35.65; Infrequent 30–90 days old
///   9,940 − 9,340 = 600 × 0.0125 = 7.50; Archive Instant 9,340 − 1,250 = 8,090 × 0.004 = 32.36; GETs 0.008;
///   transitions 4,866.67 × 0.01 / 1,000 = 0.048667; monitoring 163,840 × 0.0025 / 1,000 = 0.4096
///   → $75.976267, saves $159.551733; one-time 163,840 × 0.01 / 1,000 = $1.6384; payback 0.0103 months
/// - Glacier IR after 30 days: 300 × 0.023 + 9,940 × 0.004 + 20 × 0.01 + 1,250 × 0.03 + 4,866.67 × 0.02 / 1,000
///   = 6.90 + 39.76 + 0.20 + 37.50 + 0.097333 = $84.457333, saves $151.070667: the 0.03/GiB retrieval of
///   1,250 GiB a month costs more than Intelligent-Tiering keeping that data in Frequent Access
/// - Standard-IA after 30 days: 6.90 + 9,940 × 0.0125 + 20 × 0.001 + 1,250 × 0.01 + 0.048667 = $143.718667
/// - the archive classes are out: the bucket is read.
#[test]
fn intelligent_tiering_wins_for_large_steadily_written_objects_read_moderately() {
    let bucket = Bucket {
        growth_gib_per_day: 10.0,
        puts_per_month: 160.0 * 730.0 / 24.0,
        gets_per_month: 20_000.0,
        ..Bucket::new("media", 10_240.0, 65_536.0)
    };
    let analysis = run(&[bucket], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "media");
    assert_eq!(text(f, "chosen policy"), "Intelligent-Tiering from day 0");
    close(f.monthly_cost, 235.528);
    close(f.monthly_savings, 159.5517);
    // 35.65 + 7.50 + 32.36
    close(money(f, "under the policy: storage"), 75.51);
    close(money(f, "under the policy: Intelligent-Tiering monitoring"), 0.4096);
    close(money(f, "under the policy: transitions of new objects"), 0.0487);
    close(money(f, "under the policy: retrieval"), 0.0);
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 1.6384);
    close(payback, 0.0103);
    assert_eq!(f.risk, Risk::NonDisruptive);
    let others = text(f, "other policies");
    assert!(others.contains("Glacier Instant Retrieval after 30 days: saves $151.07/month"), "{others}");
    assert!(others.contains("Standard-IA after 30 days: saves $91.81/month"), "{others}");
    let config: Value = serde_json::from_str(f.remediation.lifecycle_configuration.as_deref().unwrap()).unwrap();
    assert_eq!(config["Rules"][0]["Transitions"], json!([{"Days": 0, "StorageClass": "INTELLIGENT_TIERING"}]));
}

/// 16 KiB objects: Standard-IA and Glacier IR bill 128 KiB each (8 × the bytes): Standard-IA 8,192 GiB × 0.0125
/// = $102.40, Glacier IR 8,192 × 0.004 = $32.768, both above the $23.5524 now; Intelligent-Tiering does not
/// monitor or move objects under 128 KiB; the archive classes are out (1,000 GETs a month) — and would take
/// 388 months to repay the 67,108,864 × 0.05 / 1,000 = $3,355.44 Deep Archive transition fee anyway.
/// (At 32 KiB Glacier IR's storage would be cheaper, 4 × 0.004 = 0.016 < 0.023, and only the payback stops it:
/// see `slow_payback_is_not_flagged_until_max_payback_months_allows_it`.)
#[test]
fn small_objects_cost_more_in_every_colder_class() {
    // Even a saving of $0 would be reported: nothing saves anything.
    let analysis = run(&[small_objects()], "[rules.s3-lifecycle-tiering]\nmin-monthly-savings = 0");
    assert!(flagged(&analysis).is_empty());
    assert!(skipped(&analysis).is_empty(), "judged, not skipped");
}

/// Reads of the whole bucket every month (1,024 GiB of 1,048,576 GETs). Cost now 23.552 + 0.4194304 = $23.9714304.
/// - Standard-IA: 12.80 + 1.048576 GETs + 1,024 × 0.01 retrieval = $24.088576: $0.12 more
/// - Glacier IR: 4.096 + 10.48576 + 30.72 = $45.30176
/// - Intelligent-Tiering: everything read stays Frequent (23.552) + GETs 0.4194304 + monitoring 2.62144: $2.62 more
#[test]
fn hot_data_stays_in_standard() {
    let analysis = run(&[hot()], "[rules.s3-lifecycle-tiering]\nmin-monthly-savings = 0");
    assert!(flagged(&analysis).is_empty());
    assert!(skipped(&analysis).is_empty());
}

/// 4,500 GiB of 1 MiB objects (4,608,000) under a whole-bucket rule expiring them at 45 days, written at
/// 100 GiB (102,400 objects) a day: 3,114,666.67 objects a month. Cost now 4,500 × 0.023 = $103.50.
/// - every policy with a delay of 45 days or more never moves anything
/// - Standard-IA after 30 days: 3,000 GiB younger than 30 days stay (69.00); 1,500 GiB move (18.75) but are
///   deleted 15 days later, so they are billed 30 / 15 = 2 × (early deletion +18.75); transitions
///   3,114,666.67 × 0.01 / 1,000 = 31.146667 → $137.646667: $34.15 more
/// - Glacier IR after 30 days: 1,500 × 0.004 = 6.00 billed 90 / 15 = 6 × (+30.00), transitions 62.293333 → $63.79 more
/// - Intelligent-Tiering: 3,000 Frequent (69.00) + 1,500 Infrequent (18.75) + transitions 31.146667 + monitoring
///   4,608,000 × 0.0025 / 1,000 = 11.52 → $130.416667: $26.92 more.
#[test]
fn data_expired_before_the_minimum_duration_stays_in_standard() {
    let bucket = Bucket {
        puts_per_month: 102_400.0 * 730.0 / 24.0,
        lifecycle_rules: Some(r#"[{"ID": "expire", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 45}}]"#),
        lifecycle_rule_count: Some(1),
        ..Bucket::new("scratch", 4500.0, 1024.0)
    };
    let analysis = run(&[bucket], "[rules.s3-lifecycle-tiering]\nmin-monthly-savings = 0");
    assert!(flagged(&analysis).is_empty());
    assert!(skipped(&analysis).is_empty());
}

/// The same expiring bucket when the CUR has no `PutObject` lines: the 45-day expiration alone says objects
/// live 45 days, so a bucket that is not shrinking replaces 4,500 / 45 = 100 GiB a day, and every one of
/// those objects would pay Intelligent-Tiering's transition fee (31.146667 a month, as above). Without it,
/// Intelligent-Tiering would look like a $4.23 saving (103.50 − 69.00 − 18.75 − 11.52) it is not.
#[test]
fn expiring_data_pays_transition_fees_even_without_write_counts() {
    let bucket = Bucket {
        lifecycle_rules: Some(r#"[{"ID": "expire", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 45}}]"#),
        lifecycle_rule_count: Some(1),
        ..Bucket::new("scratch", 4500.0, 1024.0)
    };
    let analysis = run(&[bucket], "[rules.s3-lifecycle-tiering]\nmin-monthly-savings = 0");
    assert!(flagged(&analysis).is_empty(), "{:?}", findings(&analysis).first().map(|f| &f.evidence));
}

/// 1,024 GiB of 32 KiB objects (33,554,432), never read. Cost now $23.552.
/// - Deep Archive: 33,554,432 × 32 KiB = 1,024 GiB of archive metadata and × 8 KiB = 256 GiB at Standard:
///   2,048 × 0.00099 + 256 × 0.023 = 2.02752 + 5.888 = $7.91552 → saves $15.63648 a month, but the one-time
///   fee is 33,554,432 × 0.05 / 1,000 = $1,677.7216: 1,677.7216 / 15.63648 = 107.2954 months to pay back
/// - Glacier Flexible: 2,048 × 0.0036 + 5.888 = 13.2608, saves $10.2912, payback 1,006.63296 / 10.2912 = 97.8
/// - Glacier IR: 4,096 GiB billed (128 KiB each) × 0.004 = 16.384, saves $7.168, payback 671.08864 / 7.168 = 93.6
/// - Standard-IA: 4,096 × 0.0125 = $51.20, more than now; Intelligent-Tiering does not monitor 32 KiB objects.
///
/// With `max-payback-months = 120` all three qualify and Deep Archive saves the most; its objects are under
/// 128 KiB, so the configuration must let them transition (`varies_by_storage_class`).
#[test]
fn slow_payback_is_not_flagged_until_max_payback_months_allows_it() {
    let bucket = Bucket::new("tiny-files", 1024.0, 32.0);
    let analysis = run(std::slice::from_ref(&bucket), "");
    assert!(flagged(&analysis).is_empty());

    let analysis = run(&[bucket], "[rules.s3-lifecycle-tiering]\nmax-payback-months = 120");
    let findings = findings(&analysis);
    let f = by_id(&findings, "tiny-files");
    assert_eq!(text(f, "chosen policy"), "Glacier Deep Archive after 180 days");
    close(f.monthly_cost, 23.552);
    close(f.monthly_savings, 15.6365);
    // 1,024 GiB + 1,024 GiB metadata at 0.00099, 256 GiB at Standard
    close(money(f, "under the policy: storage"), 7.9155);
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 1677.7216);
    close(payback, 107.2954);
    let others = text(f, "other policies");
    assert!(others.contains("Glacier Instant Retrieval after 90 days: saves $7.17/month, pays back in 93.6 months"));
    let put = f.remediation.cli.last().unwrap();
    assert!(put.ends_with(" --transition-default-minimum-object-size varies_by_storage_class"), "{put}");
    let terraform = f.remediation.terraform.as_deref().unwrap();
    assert!(terraform.contains("transition_default_minimum_object_size = \"varies_by_storage_class\""));
    hcl::parse(terraform).expect("valid HCL");
}

/// Four buckets that would all be flagged like `cold-archive` (1,024 GiB of 64 MiB objects, never read) but
/// already tier their data: an enabled transition rule, an Intelligent-Tiering configuration, most bytes
/// already in Intelligent-Tiering, and a transition rule on the `logs/` prefix only. The last one is
/// treated like the others (any enabled rule with `Transitions` makes the bucket "already tiered"): the rule
/// cannot tell how much of the Standard data the prefix holds.
#[test]
fn buckets_already_tiered_are_not_judged() {
    let cold = |name| Bucket::new(name, 1024.0, 65_536.0);
    let buckets = [
        Bucket {
            lifecycle_rules: Some(
                r#"[{"ID": "ir", "Filter": {}, "Status": "Enabled", "Transitions": [{"Days": 30, "StorageClass": "GLACIER_IR"}]}]"#,
            ),
            lifecycle_rule_count: Some(1),
            ..cold("has-transition")
        },
        Bucket { intelligent_tiering_configs: Some(1), ..cold("has-it-config") },
        Bucket { also: vec![("IntelligentTieringAIAStorage", 4096.0)], ..cold("mostly-it") },
        Bucket {
            lifecycle_rules: Some(
                r#"[{"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}]"#,
            ),
            lifecycle_rule_count: Some(1),
            ..cold("prefix-transition")
        },
    ];
    let analysis = run(&buckets, "");
    assert!(flagged(&analysis).is_empty(), "{:?}", flagged(&analysis));
    // A transition rule on one prefix leaves the rest of the bucket unknown: not judged, but said so.
    let skipped = skipped(&analysis);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "prefix-transition");
    assert!(skipped[0].1.contains("already transition objects under `logs/`"), "{}", skipped[0].1);
}

/// A disabled transition rule does nothing, and a rule that only transitions noncurrent versions leaves the
/// current ones in Standard: both buckets are judged. 1,024 GiB of 64 MiB objects (16,384), never read:
/// - cost now 1,024 × 0.023 = $23.552
/// - Deep Archive: (1,024 + 16,384 × 32 KiB = 0.5) × 0.00099 + 16,384 × 8 KiB = 0.125 GiB × 0.023
///   = 1.014255 + 0.002875 = $1.01713 → saves $22.53487; one-time 16,384 × 0.05 / 1,000 = $0.8192
#[test]
fn disabled_and_noncurrent_only_rules_do_not_count_as_tiering() {
    let buckets = [
        Bucket {
            lifecycle_rules: Some(
                r#"[{"ID": "old", "Filter": {}, "Status": "Disabled", "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]"#,
            ),
            ..Bucket::new("disabled-rule", 1024.0, 65_536.0)
        },
        Bucket {
            versioning: Some("Enabled"),
            lifecycle_rules: Some(
                r#"[{"ID": "nc", "Filter": {}, "Status": "Enabled", "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}]}]"#,
            ),
            lifecycle_rule_count: Some(1),
            ..Bucket::new("noncurrent-only", 1024.0, 65_536.0)
        },
    ];
    let analysis = run(&buckets, "");
    let findings = findings(&analysis);
    assert_eq!(flagged(&analysis), ["disabled-rule", "noncurrent-only"], "equal savings, by bucket name");
    for f in &findings {
        assert_eq!(text(f, "chosen policy"), "Glacier Deep Archive after 180 days");
        close(f.monthly_cost, 23.552);
        close(f.monthly_savings, 22.5349);
        close(money(f, "one-time transition fee"), 0.8192);
    }
    // The configuration keeps the disabled rule verbatim next to the new one.
    let config: Value =
        serde_json::from_str(by_id(&findings, "disabled-rule").remediation.lifecycle_configuration.as_deref().unwrap())
            .unwrap();
    let ids: Vec<&str> = config["Rules"].as_array().unwrap().iter().map(|r| r["ID"].as_str().unwrap()).collect();
    assert_eq!(ids, ["old", "costwise-deep-archive-after-180-days"]);
}

/// Five buckets the rule cannot judge, each otherwise a never-read 1,024 GiB bucket of 64 MiB objects:
/// - young: 20 days of CUR and metrics (< `min-history-days` = 30)
/// - no-counts: `NumberOfObjects` not collected (the average object size decides the fees)
/// - no-requests: neither CUR lines nor CloudWatch `GetRequests`
/// - unseen-rules: 2 lifecycle rules the snapshot does not show (they may tier the data already, and
///   `put-bucket-lifecycle-configuration` would replace them)
/// - bad-rules: `lifecycle_rules` is not JSON.
fn unjudgeable() -> Vec<Bucket> {
    let cold = |name| Bucket::new(name, 1024.0, 65_536.0);
    vec![
        Bucket { history_days: 20, ..cold("young") },
        Bucket { object_counts: false, ..cold("no-counts") },
        Bucket { cur: false, ..cold("no-requests") },
        Bucket { lifecycle_rules: None, lifecycle_rule_count: Some(2), ..cold("unseen-rules") },
        Bucket { lifecycle_rules: Some("[{\"ID\": "), lifecycle_rule_count: Some(1), ..cold("bad-rules") },
    ]
}

#[test]
fn missing_data_is_not_enough_data_never_a_finding() {
    let analysis = run(&unjudgeable(), "");
    assert!(flagged(&analysis).is_empty());
    let skipped = skipped(&analysis);
    let ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["young", "no-counts", "no-requests", "unseen-rules", "bad-rules"]);
    let reason = |id: &str| skipped.iter().find(|(b, _)| b == id).map(|(_, r)| r.as_str()).unwrap();
    assert!(reason("young").contains("only 20.0 days of request history"), "{}", reason("young"));
    assert!(reason("young").contains("at least 30 days"), "{}", reason("young"));
    assert!(reason("no-counts").contains("NumberOfObjects"), "{}", reason("no-counts"));
    assert!(reason("no-requests").contains("no request data"), "{}", reason("no-requests"));
    assert!(reason("unseen-rules").contains("2 lifecycle rule(s) the snapshot does not show"));
    let bad = reason("bad-rules");
    assert!(bad.contains("buckets.lifecycle_rules") && bad.contains("`bad-rules`"), "names column and bucket: {bad}");
    insta::assert_json_snapshot!(
        "s3_lifecycle_tiering_not_enough_data",
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).collect::<Vec<_>>()
    );

    // 20 days are enough when min-history-days says so: judged with medium confidence, same figures as
    // `disabled_and_noncurrent_only_rules_do_not_count_as_tiering` ($22.53487 a month).
    let analysis = run(&unjudgeable(), "[rules.s3-lifecycle-tiering]\nmin-history-days = 15");
    let findings = findings(&analysis);
    assert_eq!(flagged(&analysis), ["young"]);
    assert_eq!(findings[0].confidence, Medium);
    close(findings[0].monthly_savings, 22.5349);
}

/// Two cold buckets (1,024 GiB of 64 MiB objects, never read) whose `lifecycle_rules` are null:
/// - counted: the snapshot counted 0 lifecycle rules, so there are none to keep → judged ($22.53487 a month)
/// - uncounted: neither the rules nor their count were collected. They may already tier the data, and
///   `put-bucket-lifecycle-configuration` would replace them: not enough data, as for a bucket with
///   rules the snapshot does not show (and as `BucketProfile::lifecycle_unknown` says for the other S3 rules).
#[test]
fn lifecycle_rules_not_collected_are_not_enough_data() {
    let cold = |name| Bucket::new(name, 1024.0, 65_536.0);
    let buckets = [
        Bucket { lifecycle_rules: None, lifecycle_rule_count: Some(0), ..cold("counted") },
        Bucket { lifecycle_rules: None, lifecycle_rule_count: None, ..cold("uncounted") },
    ];
    let analysis = run(&buckets, "");
    assert_eq!(flagged(&analysis), ["counted"]);
    close(findings(&analysis)[0].monthly_savings, 22.5349);
    let skipped = skipped(&analysis);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "uncounted");
    assert!(skipped[0].1.contains("lifecycle rules were not collected"), "{}", skipped[0].1);
}

/// A cold bucket (1,024 GiB of 64 MiB objects, never read: Deep Archive after 180 days, $22.53487 a month)
/// whose configuration already expires `tmp/` after 7 days: `put-bucket-lifecycle-configuration` replaces
/// every rule, so the JSON must carry that rule over next to the new one.
#[test]
fn remediation_adds_the_transition_and_keeps_existing_rules() {
    let existing =
        r#"[{"ID": "tmp-cleanup", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 7}}]"#;
    let bucket = Bucket {
        lifecycle_rules: Some(existing),
        lifecycle_rule_count: Some(1),
        ..Bucket::new("acme.old-exports", 1024.0, 65_536.0)
    };
    let analysis = run(&[bucket], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "acme.old-exports");
    close(f.monthly_savings, 22.5349);
    assert_eq!(text(f, "object lifetime"), "kept (no expiration rule, no deletions seen)", "tmp/ is not the bucket");

    let expected = json!({"Rules": [
        {"ID": "tmp-cleanup", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 7}},
        {
            "ID": "costwise-deep-archive-after-180-days",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "Transitions": [{"Days": 180, "StorageClass": "DEEP_ARCHIVE"}]
        }
    ]});
    let config: Value = serde_json::from_str(f.remediation.lifecycle_configuration.as_deref().unwrap()).unwrap();
    assert_eq!(config, expected);

    let cli = &f.remediation.cli;
    assert_eq!(cli.len(), 2, "{cli:?}");
    assert!(
        cli[0].starts_with(
            "aws s3api get-bucket-lifecycle-configuration --bucket acme.old-exports > acme.old-exports-lifecycle-before.json"
        ),
        "backup first: {}",
        cli[0]
    );
    let put = cli[1]
        .strip_prefix(
            "aws s3api put-bucket-lifecycle-configuration --bucket acme.old-exports --lifecycle-configuration '",
        )
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("put second: {}", cli[1]));
    assert_eq!(serde_json::from_str::<Value>(put).unwrap(), expected, "the CLI puts the same configuration");

    let terraform = f.remediation.terraform.as_deref().unwrap();
    assert!(terraform.contains("resource \"aws_s3_bucket_lifecycle_configuration\" \"acme_old_exports\""));
    assert!(terraform.contains("bucket = \"acme.old-exports\""));
    assert!(terraform.contains("already has lifecycle rules"), "says to merge into the existing resource");
    assert!(terraform.contains("storage_class = \"DEEP_ARCHIVE\"") && terraform.contains("days          = 180"));
    assert!(!terraform.contains("transition_default_minimum_object_size"), "64 MiB objects move by default");
    let body = hcl::parse(terraform).expect("valid HCL");
    assert_eq!(body.blocks().count(), 1);
}

/// `cold-read` saves $19.057696 with Glacier IR (see above): under a $20 minimum it is not worth a finding.
/// Letting up to 20,000 GETs a month into the archive classes makes Deep Archive qualify:
/// - storage (1,024 + 1,048,576 × 32 KiB = 32) × 0.00099 + 1,048,576 × 8 KiB = 8 GiB × 0.023 = 1.04544 + 0.184
/// - requests 10.24 × (0.0004 + 0.10) = 1.028096 (every GET needs a restore), retrieval 10 × 0.02 = 0.20
/// - total $2.457536 → saves 23.556096 − 2.457536 = $21.09856; one-time 1,048,576 × 0.05 / 1,000 = $52.4288;
///   payback 2.4849 months (Glacier Flexible: 4.601696 → saves $18.9544).
#[test]
fn settings_override_the_savings_floor_and_the_archive_read_limit() {
    let analysis = run(&[cold_read()], "[rules.s3-lifecycle-tiering]\nmin-monthly-savings = 20");
    assert!(flagged(&analysis).is_empty());

    let analysis = run(&[cold_read()], "[rules.s3-lifecycle-tiering]\narchive-max-gets-per-month = 20000");
    let findings = findings(&analysis);
    let f = by_id(&findings, "cold-read");
    assert_eq!(text(f, "chosen policy"), "Glacier Deep Archive after 180 days");
    close(f.monthly_savings, 21.0986);
    close(money(f, "under the policy: storage"), 1.2294);
    close(money(f, "under the policy: requests"), 1.0281);
    close(money(f, "under the policy: retrieval"), 0.2);
    let (one_time, payback) = one_time_and_payback(f);
    close(one_time, 52.4288);
    close(payback, 2.4849);
    assert_eq!(f.risk, Risk::NeedsTesting);

    let invalid = Config::parse("[rules.s3-lifecycle-tiering]\nmin-monthly-savings = -1", None).unwrap_err();
    assert!(invalid.to_string().contains("min-monthly-savings must be a number ≥ 0"), "{invalid}");
}

#[test]
fn excluded_by_tag() {
    let buckets = [Bucket { tags: r#"{"team":"archive"}"#, ..cold_archive() }, cold_read()];
    let analysis = run(&buckets, "[exclusions]\ntags = [\"team=archive\"]");
    assert_eq!(flagged(&analysis), ["cold-read"]);
    assert_eq!(analysis.exclusions[0].matched_findings, 1);
}

/// The CUR bills `TimedStorage-ByteHrs` at $0.0184/GB-month (a negotiated rate) for a 1,024 GiB bucket of
/// 64 MiB objects, never read:
/// - cost now 1,024 × 0.0184 = $18.8416 (not 1,024 × 0.023 = $23.552)
/// - Deep Archive: 1,024.5 × 0.00099 + 0.125 GiB of metadata at the billed Standard rate 0.0184
///   = 1.014255 + 0.0023 = $1.016555 → saves 18.8416 − 1.016555 = $17.825045
#[test]
fn billed_standard_rate_from_the_cur_sets_the_figures() {
    let bucket = Bucket { standard_rate: Some(0.0184), ..Bucket::new("negotiated", 1024.0, 65_536.0) };
    let analysis = run(&[bucket], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "negotiated");
    close(f.monthly_cost, 18.8416);
    close(f.monthly_savings, 17.825);
    close(money(f, "cost under the policy"), 1.0166);
    let rate = text(f, "S3 Standard rate");
    assert!(rate.contains("$0.01840/GB-month billed (CUR)") && rate.contains("list $0.02300"), "{rate}");
    assert!(f.price_source.detail.contains("billed CUR rate"), "{}", f.price_source.detail);
}

/// No CUR lines for the bucket: CloudWatch `GetRequests` (Sum, daily for 45 days) give the reads: 10,240 × 24 / 730
/// a day = 10,240 a month, so the figures are `cold-read`'s ($19.057696 with Glacier IR), the Standard rate
/// the price book's.
#[test]
fn cloudwatch_get_requests_stand_in_when_the_cur_has_no_lines() {
    let bucket = Bucket {
        cur: false,
        gets_per_month: 0.0,
        cloudwatch_gets_per_day: Some(10_240.0 * 24.0 / 730.0),
        ..cold_read()
    };
    let analysis = run(&[bucket], "");
    let findings = findings(&analysis);
    let f = by_id(&findings, "cold-read");
    assert_eq!(text(f, "chosen policy"), "Glacier Instant Retrieval after 30 days");
    close(quantity(f, "GET requests a month (CloudWatch GetRequests)"), 10_240.0);
    close(quantity(f, "request history"), 45.0);
    close(f.monthly_savings, 19.0577);
    assert_eq!(text(f, "S3 Standard rate"), "$0.02300/GB-month (price book)");
    assert_eq!(f.confidence, Medium);
}

/// Three cold buckets and two to leave alone, sorted by savings: cold-archive $225.3487, growing-logs
/// $45.0707, cold-read $19.0577 (figures above); hot and small-objects are not flagged.
#[test]
fn findings_are_sorted_by_savings_and_snapshotted() {
    let buckets = [cold_read(), hot(), growing_logs(), small_objects(), cold_archive()];
    let analysis = run(&buckets, "");
    assert_eq!(flagged(&analysis), ["cold-archive", "growing-logs", "cold-read"]);
    assert!(skipped(&analysis).is_empty());
    let run = analysis.rules.iter().find(|r| r.id == RULE).unwrap();
    assert_eq!((run.findings, run.not_enough_data), (3, 0));
    insta::assert_json_snapshot!("s3_lifecycle_tiering_findings", findings(&analysis));
}

#[test]
fn buckets_worth_leaving_alone_give_an_empty_result() {
    let analysis = run(&[hot(), small_objects()], "");
    insta::assert_json_snapshot!("s3_lifecycle_tiering_empty", findings(&analysis));
    assert!(skipped(&analysis).is_empty());
}
