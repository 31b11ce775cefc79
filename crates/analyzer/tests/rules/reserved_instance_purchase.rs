//! `reserved-instance-purchase` (and the purchase planner it shares with
//! `savings-plan-purchase`) on hand-built hourly CURs, as of 2026-11-01.
//!
//! Every CUR here starts 2026-10-01 00:00 (hour 0) and ends 2026-11-01 00:00
//! (hour 744); the default 30-day lookback is hours 24..744 (720 hours), and
//! monthly figures are window figures × 730 / 720.

use std::ops::Range;

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Low, Medium};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Finding, Risk, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of, manifest};

const RULE: &str = "reserved-instance-purchase";
const SP_RULE: &str = "savings-plan-purchase";

/// Hours of the CUR (2026-10-01 .. 2026-11-01).
pub const HOURS: usize = 744;

/// Every hour of the CUR.
pub fn all_hours() -> Range<usize> {
    0..HOURS
}

/// Hours whose time of day is in `from..to` (UTC), every day.
pub fn daily(from: usize, to: usize) -> Vec<usize> {
    (0..HOURS).filter(|h| (from..to).contains(&(h % 24))).collect()
}

/// Start of hour `h` of the CUR.
pub fn hour(h: usize) -> NaiveDateTime {
    at(10, 1) + Duration::hours(h as i64)
}

/// One kind of CUR line, repeated every hour in `hours`.
#[derive(Clone)]
pub struct Line {
    pub account: &'static str,
    pub region: &'static str,
    pub resource: Option<&'static str>,
    pub usage_type: Option<String>,
    pub instance_type: Option<&'static str>,
    pub operation: &'static str,
    pub kind: &'static str,
    pub pricing_term: &'static str,
    pub nf: Option<f64>,
    pub usage: f64,
    pub public: f64,
    pub amortized: f64,
    pub reservation_arn: Option<&'static str>,
    pub savings_plan_arn: Option<&'static str>,
    pub tags: &'static str,
    pub hours: Vec<usize>,
    /// Length of each line in hours (1 for an hourly CUR).
    pub span: usize,
}

fn prefix(region: &str) -> &'static str {
    match region {
        "us-west-2" => "USW2-",
        "eu-west-1" => "EUW1-",
        _ => "",
    }
}

fn factor(instance_type: &str) -> f64 {
    match instance_type.rsplit('.').next().unwrap_or_default() {
        "micro" => 0.5,
        "medium" => 2.0,
        "large" => 4.0,
        "xlarge" => 8.0,
        "2xlarge" => 16.0,
        _ => 1.0,
    }
}

impl Line {
    /// An on-demand Linux instance billed at `rate` per hour in `hours`.
    pub fn on_demand(
        account: &'static str,
        region: &'static str,
        id: &'static str,
        instance_type: &'static str,
        rate: f64,
        hours: impl IntoIterator<Item = usize>,
    ) -> Self {
        Self {
            account,
            region,
            resource: Some(id),
            usage_type: Some(format!("{}BoxUsage:{instance_type}", prefix(region))),
            instance_type: Some(instance_type),
            operation: "RunInstances",
            kind: "Usage",
            pricing_term: "OnDemand",
            nf: Some(factor(instance_type)),
            usage: 1.0,
            public: rate,
            amortized: rate,
            reservation_arn: None,
            savings_plan_arn: None,
            tags: "{}",
            hours: hours.into_iter().collect(),
            span: 1,
        }
    }

    /// Usage covered by reservation `arn` at an effective `amortized` cost per hour.
    pub fn reserved(mut self, arn: &'static str, amortized: f64) -> Self {
        self.kind = "DiscountedUsage";
        self.pricing_term = "Reserved";
        self.reservation_arn = Some(arn);
        self.amortized = amortized;
        self
    }

    /// Usage covered by savings plan `arn` at an effective `amortized` cost per hour.
    pub fn covered_by_plan(mut self, arn: &'static str, amortized: f64) -> Self {
        self.kind = "SavingsPlanCoveredUsage";
        self.savings_plan_arn = Some(arn);
        self.amortized = amortized;
        self
    }

    pub fn tags(mut self, tags: &'static str) -> Self {
        self.tags = tags;
        self
    }
}

/// The `costs` frame of `lines`, one row per line and hour, in USD.
pub fn hourly_cur(lines: &[Line]) -> DataFrame {
    let mut start = Vec::new();
    let mut end = Vec::new();
    let mut account = Vec::new();
    let mut region = Vec::new();
    let mut resource = Vec::new();
    let mut usage_type = Vec::new();
    let mut instance_type = Vec::new();
    let mut operation = Vec::new();
    let mut kind = Vec::new();
    let mut term = Vec::new();
    let mut nf = Vec::new();
    let mut usage = Vec::new();
    let mut public = Vec::new();
    let mut amortized = Vec::new();
    let mut ri = Vec::new();
    let mut sp = Vec::new();
    let mut tags = Vec::new();
    for line in lines {
        for &h in &line.hours {
            start.push(Some(hour(h)));
            end.push(Some(hour(h + line.span)));
            account.push(line.account);
            region.push(line.region);
            resource.push(line.resource);
            usage_type.push(line.usage_type.clone());
            instance_type.push(line.instance_type);
            operation.push(line.operation);
            kind.push(line.kind);
            term.push(line.pricing_term);
            nf.push(line.nf);
            usage.push(line.usage);
            public.push(line.public);
            amortized.push(line.amortized);
            ri.push(line.reservation_arn);
            sp.push(line.savings_plan_arn);
            tags.push(line.tags);
        }
    }
    let n = start.len();
    DataFrame::new_infer_height(vec![
        datetime_series("usage_start", &start),
        datetime_series("usage_end", &end),
        Column::new("account_id".into(), account),
        Column::new("region".into(), region),
        Column::new("service".into(), vec!["AmazonEC2"; n]),
        Column::new("usage_type".into(), usage_type),
        Column::new("operation".into(), operation),
        Column::new("resource_id".into(), resource),
        Column::new("line_item_type".into(), kind),
        Column::new("pricing_unit".into(), vec!["Hrs"; n]),
        Column::new("usage_amount".into(), usage),
        Column::new("unblended_cost".into(), amortized.clone()),
        Column::new("amortized_cost".into(), amortized),
        Column::new("public_on_demand_cost".into(), public),
        Column::new("instance_type".into(), instance_type),
        Column::new("normalization_factor".into(), nf),
        Column::new("pricing_term".into(), term),
        Column::new("reservation_arn".into(), ri),
        Column::new("savings_plan_arn".into(), sp),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), tags),
    ])
    .unwrap()
}

/// An `instances` frame: (id, type, state).
pub fn instances(rows: &[(&'static str, &'static str, &'static str)]) -> DataFrame {
    let n = rows.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec!["111111111111"; n]),
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("instance_id".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new("instance_type".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("state".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

/// Daily CPU 1 % and 1 MB of traffic for `id` on the 14 days before 2026-11-01: idle to `idle-instance`.
pub fn idle_metrics(id: &'static str) -> DataFrame {
    let mut ids = Vec::new();
    let mut metric = Vec::new();
    let mut statistic = Vec::new();
    let mut start = Vec::new();
    let mut value = Vec::new();
    for d in 0..14 {
        let day = at(10, 18) + Duration::days(d);
        for (m, s, v) in [("CPUUtilization", "Average", 1.0), ("NetworkIn", "Sum", 0.5e6), ("NetworkOut", "Sum", 0.5e6)]
        {
            ids.push(id);
            metric.push(m);
            statistic.push(s);
            start.push(Some(day));
            value.push(v);
        }
    }
    let n = ids.len();
    DataFrame::new_infer_height(vec![
        Column::new("resource_id".into(), ids),
        Column::new("namespace".into(), vec!["AWS/EC2"; n]),
        Column::new("metric".into(), metric),
        Column::new("statistic".into(), statistic),
        datetime_series("period_start", &start),
        Column::new("period_seconds".into(), vec![86_400i64; n]),
        Column::new("value".into(), value),
    ])
    .unwrap()
}

/// A dataset as of 2026-11-01 whose CUR starts 2026-10-01.
pub fn dataset(frames: Vec<(Table, DataFrame)>) -> Dataset {
    Dataset::from_frames(manifest(at(10, 1), at(11, 1)), frames).unwrap()
}

pub fn approx(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-4 + 1e-9 * expected.abs()
}

pub fn evidence<'a>(f: &'a Finding, label: &str) -> &'a EvidenceValue {
    &f.evidence.iter().find(|e| e.label == label).unwrap_or_else(|| panic!("{}: no evidence `{label}`", f.title)).value
}

pub fn text<'a>(f: &'a Finding, label: &str) -> &'a str {
    match evidence(f, label) {
        EvidenceValue::Text { text } => text,
        other => panic!("`{label}` is not text: {other:?}"),
    }
}

pub fn number(f: &Finding, label: &str) -> f64 {
    match evidence(f, label) {
        EvidenceValue::Quantity { value, .. } | EvidenceValue::Percent { value } => *value,
        EvidenceValue::Money { amount, .. } => *amount,
        other => panic!("`{label}` is not a number: {other:?}"),
    }
}

const ACCT: &str = "111111111111";

/// Account 111111111111, us-east-1 (m5.large $0.096/h = $0.024 per normalized-unit hour, NF 4):
/// - i-web1, i-web2: m5.large every hour → 8 NU steady (the CUR carries their normalization factor);
/// - i-batch: m5.xlarge ($0.192) 08:00–20:00 every day → 8 NU half the hours (its lines carry no
///   normalization factor: the AWS table gives 8);
/// - i-ri: m5.large covered by reservation ri-1 every hour (DiscountedUsage, $0.06) → not on demand;
/// - i-spot: m5.large spot → not on demand;
/// - i-idle: m5.large every hour, idle by its metrics → set aside ("commit after cleanup");
/// - i-stopped: c5.large ($0.085) hours 0..700, stopped as of the snapshot → set aside;
/// - i-win: m5.large Windows ($0.188) every hour → its own pool (not size-flexible), tagged team=win.
///
/// m5 Linux pool (units of m5.large = 4 NU): units 1–2 used 100 % of the hours, units 3–4 50 %.
/// Standard 1-year No Upfront: the CUR's reservation ri-1 shows $0.06 against $0.096 on demand,
/// 37.5 % off, so r = 0.625 × 0.024 = $0.015/NU-hour and the break-even utilization is 62.5 %:
/// k* = 2 (8 NU). Against the 28 % Compute Savings Plan estimate a unit must be used
/// 62.5 / 72 = 86.8 % of the hours: units 1–2 pass, so k = 2 either way.
/// Savings: 8 NU × (0.024 − 0.015) × 720 h = $51.84 per window → × 730/720 = **$52.56/month**;
/// on-demand covered 8 × 0.024 × 730 = $140.16/month, recurring 8 × 0.015 × 730 = $87.60/month,
/// nothing upfront, break-even 0 months. Pool on demand now: (8 × 720 + 8 × 360) × 0.024 × 730/720
/// = $210.24/month; coverage by ri-1 now (set-aside usage counted) 4 × 720 / (4 × 720 + 8 × 720 + 8 × 360 + 4 × 720) = 20 %.
///
/// Windows m5.large pool: one m5.large every hour; $0.188/4 = $0.047/NU-hour, 37.5 % estimate:
/// 4 × 0.047 × 0.375 × 730 = **$51.465/month**.
///
/// The Compute Savings Plan on what the RIs leave (m5 batch 8 NU half the time, $0.192/h) would
/// need spend above its level in 72 % of the hours: it gets none. Savings plan only: hourly spend
/// 0.384 ($0.192 m5 steady + $0.188 Windows ... ) — see `plans_are_compared_and_the_best_wins`.
pub fn fleet() -> Vec<Line> {
    let web = |id| Line::on_demand(ACCT, "us-east-1", id, "m5.large", 0.096, all_hours()).tags(r#"{"team":"web"}"#);
    let mut batch =
        Line::on_demand(ACCT, "us-east-1", "i-batch", "m5.xlarge", 0.192, daily(8, 20)).tags(r#"{"team":"web"}"#);
    batch.nf = None;
    let mut spot = Line::on_demand(ACCT, "us-east-1", "i-spot", "m5.large", 0.035, all_hours());
    spot.usage_type = Some("SpotUsage:m5.large".into());
    spot.pricing_term = "Spot";
    let mut win = Line::on_demand(ACCT, "us-east-1", "i-win", "m5.large", 0.188, all_hours()).tags(r#"{"team":"win"}"#);
    win.operation = "RunInstances:0002";
    vec![
        web("i-web1"),
        web("i-web2"),
        batch,
        Line::on_demand(ACCT, "us-east-1", "i-ri", "m5.large", 0.096, all_hours())
            .reserved("arn:aws:ec2:us-east-1:111111111111:reserved-instances/ri-1", 0.06)
            .tags(r#"{"team":"web"}"#),
        spot,
        Line::on_demand(ACCT, "us-east-1", "i-idle", "m5.large", 0.096, all_hours()).tags(r#"{"team":"web"}"#),
        Line::on_demand(ACCT, "us-east-1", "i-stopped", "c5.large", 0.085, 0..700),
        win,
    ]
}

/// A `reservations` inventory row: (id, type, count, payment option, start, end, fixed price, hourly charge).
pub type ReservationRow = (&'static str, &'static str, i64, &'static str, NaiveDateTime, NaiveDateTime, f64, f64);

/// A `reservations` frame of standard, regional Linux/UNIX reservations in account 111111111111.
pub fn reservations(rows: &[ReservationRow]) -> DataFrame {
    let n = rows.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec![ACCT; n]),
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("reservation_id".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new("instance_type".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("instance_count".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("product_description".into(), vec!["Linux/UNIX"; n]),
        Column::new("scope".into(), vec!["Region"; n]),
        Column::new("offering_class".into(), vec!["standard"; n]),
        Column::new("offering_type".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
        Column::new("tenancy".into(), vec!["default"; n]),
        datetime_series("start", &rows.iter().map(|r| Some(r.4)).collect::<Vec<_>>()),
        datetime_series("end", &rows.iter().map(|r| Some(r.5)).collect::<Vec<_>>()),
        Column::new("fixed_price".into(), rows.iter().map(|r| r.6).collect::<Vec<_>>()),
        Column::new("recurring_hourly".into(), rows.iter().map(|r| r.7).collect::<Vec<_>>()),
        Column::new("state".into(), vec!["active"; n]),
    ])
    .unwrap()
}

fn fleet_dataset() -> Dataset {
    let year = (at(6, 1), at(6, 1) + Duration::days(365));
    dataset(vec![
        (Table::Costs, hourly_cur(&fleet())),
        (
            Table::Instances,
            instances(&[
                ("i-web1", "m5.large", "running"),
                ("i-web2", "m5.large", "running"),
                ("i-batch", "m5.xlarge", "running"),
                ("i-ri", "m5.large", "running"),
                ("i-idle", "m5.large", "running"),
                ("i-stopped", "c5.large", "stopped"),
                ("i-win", "m5.large", "running"),
            ]),
        ),
        (Table::Metrics, idle_metrics("i-idle")),
        (Table::Reservations, reservations(&[("ri-1", "m5.large", 1, "No Upfront", year.0, year.1, 0.0, 0.06)])),
    ])
}

const M5: &str = "reserved-instances/us-east-1/m5/linux-unix/shared";
const WIN: &str = "reserved-instances/us-east-1/m5.large/windows/shared";

#[test]
fn steady_usage_gets_the_optimal_count_in_the_smallest_size() {
    let analysis = analyze(&fleet_dataset(), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, [M5, WIN], "sorted by savings; c5 (stopped) set aside; spot and covered usage left out");

    let m5 = by_id(&findings, M5);
    assert!(approx(m5.monthly_savings, 52.56), "{}", m5.monthly_savings);
    assert!(approx(m5.monthly_cost, 210.24), "{}", m5.monthly_cost);
    assert_eq!(number(m5, "units to buy"), 2.0);
    assert_eq!(number(m5, "normalized units bought"), 8.0);
    assert!(
        m5.title.starts_with("Buy 2 × m5.large standard 1-year No Upfront reserved instances (8 normalized units)")
    );
    assert_eq!(number(m5, "upfront payment"), 0.0);
    assert!(approx(number(m5, "monthly recurring charge"), 87.6));
    assert!(approx(number(m5, "on-demand cost of the usage covered"), 140.16));
    assert_eq!(number(m5, "expected utilization"), 100.0);
    assert_eq!(number(m5, "break-even"), 0.0);
    assert_eq!(number(m5, "covered by existing reservations and savings plans now"), 20.0);
    assert!(approx(number(m5, "break-even utilization against on-demand (reserved ÷ on-demand rate)"), 62.5));
    // 8 × 0.015 × 8,760 h: the whole year's obligation.
    assert!(approx(number(m5, "total obligation over 1 year(s)"), 1051.2));
    assert!(text(m5, "reserved rate").contains("ri-1"), "the rate comes from the CUR's reservation");
    assert_eq!(m5.price_source.origin, PriceOrigin::Cur);
    assert_eq!(m5.confidence, High, "observed rate, 30 days, 100 % utilization");
    assert_eq!(m5.risk, Risk::NonDisruptive);
    assert_eq!(m5.tags.get("team").map(String::as_str), Some("web"));
    assert!(text(m5, "set aside for cleanup").contains("i-idle (idle (idle-instance))"));
    let cli = m5.remediation.cli.join("\n");
    assert!(cli.contains("describe-reserved-instances-offerings --region us-east-1 --instance-type m5.large --product-description 'Linux/UNIX' --instance-tenancy default --offering-class standard --offering-type 'No Upfront' --min-duration 31536000"));
    assert!(cli.contains("purchase-reserved-instances-offering --region us-east-1 --reserved-instances-offering-id \"$OFFERING\" --instance-count 2"));

    let win = by_id(&findings, WIN);
    assert!(approx(win.monthly_savings, 51.465), "{}", win.monthly_savings);
    assert!(text(win, "pool").contains("not size-flexible"));
    assert!(text(win, "reserved rate (ESTIMATE)").contains("standard_ri_1yr_no_upfront"));
    assert_eq!(win.price_source.origin, PriceOrigin::Catalog, "an estimate is marked as one");
    assert_eq!(win.confidence, Medium);

    // No savings plan: what the RIs leave runs only half the hours.
    assert!(findings_of(&analysis, SP_RULE).is_empty());
    insta::assert_json_snapshot!("reserved_instance_purchase_findings", findings);
}

/// All twelve offerings at their own optimum on the m5 pool (p = $0.024/NU-hour, 720 h):
/// - 37.5 % (break-even 62.5 %): 2 units; standard 1-year Partial Upfront 40 % (60 %): 2 units,
///   8 × 0.024 × 0.40 × 730 = $56.064/month;
/// - standard 3-year No Upfront 57 % (43 %): 4 units — units 3–4 at 50 % pay:
///   0.024 × (8 × 720 + 8 × 360) × 730/720 − 16 × 0.43 × 0.024 × 730 = 210.24 − 120.5376 = $89.7024/month.
#[test]
fn every_offering_is_compared() {
    let analysis = analyze(&fleet_dataset(), &Config::default()).unwrap();
    let m5 = by_id(&findings_of(&analysis, RULE), M5).clone();
    let table = text(&m5, "offerings compared (each at its own optimum against on-demand)");
    assert_eq!(table.matches("; ").count(), 11, "twelve offerings: {table}");
    assert!(
        table.contains("standard 1-year No Upfront [configured]: 37.5% off, 2 × m5.large, $52.56/month"),
        "{table}"
    );
    assert!(table.contains("standard 1-year Partial Upfront: 40.0% est. off, 2 × m5.large, $56.06/month"), "{table}");
    assert!(table.contains("standard 3-year No Upfront: 57.0% est. off, 4 × m5.large, $89.70/month"), "{table}");
    assert!(table.contains("convertible 1-year Partial Upfront: 30.5% est. off"), "derived estimate: {table}");
}

/// Partial upfront, 1 year: 40 % off, half paid upfront. r = 0.6 × 0.024 = $0.0144/NU-hour, k = 2
/// (units 3–4 at 50 % < 60 %). Hourly cost 8 × 0.0144 = $0.1152; the year 0.1152 × 8,760 = $1,009.152;
/// upfront half = $504.576; recurring 0.5 × 0.1152 × 730 = $42.048/month; on-demand covered
/// 8 × 0.024 × 730 = $140.16/month; break-even 504.576 / (140.16 − 42.048) = 5.1428 months;
/// savings 8 × 0.024 × 0.4 × 730 = $56.064/month.
#[test]
fn break_even_arithmetic_with_an_upfront_payment() {
    let config =
        Config::parse("[rules.reserved-instance-purchase]\npayment-option = \"partial-upfront\"", None).unwrap();
    let analysis = analyze(&fleet_dataset(), &config).unwrap();
    let m5 = by_id(&findings_of(&analysis, RULE), M5).clone();
    assert_eq!(number(&m5, "units to buy"), 2.0);
    assert!(approx(number(&m5, "upfront payment"), 504.576), "{}", number(&m5, "upfront payment"));
    assert!(approx(number(&m5, "monthly recurring charge"), 42.048));
    assert!(approx(number(&m5, "break-even"), 504.576 / 98.112), "{}", number(&m5, "break-even"));
    assert!(approx(m5.monthly_savings, 56.064), "{}", m5.monthly_savings);
    assert!(m5.title.contains("standard 1-year Partial Upfront"));
}

/// Without "commit after cleanup": i-idle's 4 NU every hour join the steady base (k = 3,
/// 12 × 0.009 × 730 = $78.84/month) and i-stopped's c5.large, which ran hours 24..700 of the
/// window (676 of 720 = 93.9 %), earns a c5.large: (0.085 × 676 − 0.625 × 0.085 × 720) × 730/720
/// = (57.46 − 38.25) × 730/720 = $19.4768/month.
#[test]
fn usage_set_aside_for_cleanup_is_not_committed_to() {
    let with = analyze(&fleet_dataset(), &Config::default()).unwrap();
    let m5 = by_id(&findings_of(&with, RULE), M5).clone();
    assert_eq!(number(&m5, "units to buy"), 2.0);
    // i-idle: 4 NU × 0.024 × 730 = $70.08/month set aside.
    assert!(text(&m5, "set aside for cleanup").starts_with("$70.08/month"), "{}", text(&m5, "set aside for cleanup"));

    let config = Config::parse("[rules.reserved-instance-purchase]\ncommit-after-cleanup = false", None).unwrap();
    let without = analyze(&fleet_dataset(), &config).unwrap();
    let findings = findings_of(&without, RULE);
    let m5 = by_id(&findings, M5);
    assert_eq!(number(m5, "units to buy"), 3.0);
    assert!(approx(m5.monthly_savings, 78.84), "{}", m5.monthly_savings);
    assert_eq!(text(m5, "set aside for cleanup"), "nothing: `commit-after-cleanup` is off");
    let c5 = by_id(&findings, "reserved-instances/us-east-1/c5/linux-unix/shared");
    assert_eq!(number(c5, "units to buy"), 1.0);
    assert!(approx(c5.monthly_savings, 19.4768), "{}", c5.monthly_savings);
}

/// One m5.2xlarge (16 NU) and one m5.large (4 NU) every hour: 20 NU = 5 × m5.large, bought as m5.large.
/// A t3.micro (0.5 NU, $0.0104) every hour is bought as 2 × t3.nano (0.25 NU each).
#[test]
fn sizes_are_normalized_and_bought_in_the_smallest_size() {
    let lines = vec![
        Line::on_demand(ACCT, "us-east-1", "i-big", "m5.2xlarge", 0.384, all_hours()),
        Line::on_demand(ACCT, "us-east-1", "i-small", "m5.large", 0.096, all_hours()),
        Line::on_demand(ACCT, "us-east-1", "i-tiny", "t3.micro", 0.0104, all_hours()),
    ];
    let any = Config::parse("[rules.reserved-instance-purchase]\nmin-monthly-savings = 0", None).unwrap();
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&lines))]), &any).unwrap();
    let findings = findings_of(&analysis, RULE);
    let m5 = by_id(&findings, M5);
    assert_eq!((number(m5, "units to buy"), number(m5, "normalized units bought")), (5.0, 20.0));
    // 20 NU × 0.024 × 0.375 × 730 = $131.40/month.
    assert!(approx(m5.monthly_savings, 131.4));
    let t3 = by_id(&findings, "reserved-instances/us-east-1/t3/linux-unix/shared");
    assert_eq!((number(t3, "units to buy"), number(t3, "normalized units bought")), (2.0, 0.5));
    assert!(t3.title.contains("2 × t3.nano"));
    // 0.5 NU × (0.0104 / 0.5) × 0.375 × 730 = $2.847/month: below the default $5 minimum.
    assert!(approx(t3.monthly_savings, 2.847), "{}", t3.monthly_savings);
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&lines))]), &Config::default()).unwrap();
    let ids: Vec<String> = findings_of(&analysis, RULE).into_iter().map(|f| f.resource_id).collect();
    assert_eq!(ids, [M5], "t3 saves less than $5/month");
}

#[test]
fn settings_change_term_strategy_and_are_validated() {
    // 3-year standard No Upfront (57 %, break-even 43 %), RIs only: units 3–4 (50 %) now pay.
    let config = Config::parse(
        "[rules.reserved-instance-purchase]\nterm = 3\nstrategy = \"reserved-instances\"\nlookback-days = 7",
        None,
    )
    .unwrap();
    let analysis = analyze(&fleet_dataset(), &config).unwrap();
    let m5 = by_id(&findings_of(&analysis, RULE), M5).clone();
    assert_eq!(number(&m5, "units to buy"), 4.0);
    assert_eq!(number(&m5, "lookback"), 7.0);
    assert_eq!(m5.confidence, Low, "a 7-day lookback");
    assert!(m5.remediation.cli[0].contains("--min-duration 94608000"));
    // Savings plans only: no reservation at all.
    let config = Config::parse("[rules.reserved-instance-purchase]\nstrategy = \"savings-plans\"", None).unwrap();
    assert!(findings_of(&analyze(&fleet_dataset(), &config).unwrap(), RULE).is_empty());
    for bad in [
        "lookback-days = 14",
        "term = 2",
        "conservative-utilization-percent = 0",
        "min-monthly-savings = -1",
        "typo = 1",
    ] {
        let text = format!("[rules.reserved-instance-purchase]\n{bad}");
        assert!(Config::parse(&text, None).is_err(), "{bad} must be rejected");
    }
}

#[test]
fn exclusion_by_tag_drops_the_pool() {
    let config = Config::parse("[exclusions]\ntags = [\"team=web\"]", None).unwrap();
    let analysis = analyze(&fleet_dataset(), &config).unwrap();
    let ids: Vec<String> = findings_of(&analysis, RULE).into_iter().map(|f| f.resource_id).collect();
    assert_eq!(ids, [WIN], "every m5 Linux line carries team=web");
}

/// - the CUR starts 2026-10-20: 12 of the 30 lookback days → not enough data;
/// - a daily CUR (24-hour lines) → not enough data;
/// - EC2 lines with neither usage type nor instance type (FOCUS without x_UsageType) → not enough data.
#[test]
fn missing_history_daily_granularity_or_types_are_not_enough_data() {
    let short = Line::on_demand(ACCT, "us-east-1", "i-web1", "m5.large", 0.096, 19 * 24..HOURS);
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&[short]))]), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let skipped: Vec<&str> =
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).map(|s| s.skipped.reason.as_str()).collect();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].contains("covers 12.0 of the 30 lookback days"), "{}", skipped[0]);
    insta::assert_json_snapshot!("reserved_instance_purchase_not_enough_data", analysis.not_enough_data);

    let mut daily_line = Line::on_demand(ACCT, "us-east-1", "i-web1", "m5.large", 2.304, (0..31).map(|d| d * 24));
    daily_line.usage = 24.0;
    daily_line.span = 24;
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&[daily_line]))]), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let reason = &analysis.not_enough_data.iter().find(|s| s.rule == RULE).expect("daily CUR").skipped.reason;
    assert!(reason.contains("span up to 24 hours"), "{reason}");

    let mut untyped = Line::on_demand(ACCT, "us-east-1", "i-web1", "m5.large", 0.096, all_hours());
    untyped.usage_type = None;
    untyped.instance_type = None;
    untyped.nf = None;
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&[untyped]))]), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let reason = &analysis.not_enough_data.iter().find(|s| s.rule == RULE).expect("untyped").skipped.reason;
    assert!(reason.contains("neither usage types nor instance types"), "{reason}");
}

#[test]
fn no_billing_data_gives_an_empty_result() {
    let analysis =
        analyze(&dataset(vec![(Table::Instances, instances(&[("i-1", "m5.large", "running")]))]), &Config::default())
            .unwrap();
    insta::assert_json_snapshot!("reserved_instance_purchase_empty", findings_of(&analysis, RULE));
    assert!(analysis.not_enough_data.iter().all(|s| s.rule != RULE));
}
