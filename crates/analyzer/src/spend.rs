//! Where the money goes: spend by service, account and region, the daily
//! trend, week-over-week movement and month-to-date against budget.
//!
//! Every figure is amortized ("effective") cost of all line items, as AWS
//! computes it per line item type, so an upfront RI payment shows up spread
//! over its term rather than as a spike. The headline "% of spend" in every
//! report divides by [`SpendOverview::monthly_run_rate`].

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{PolarsResultExt, Result};
use crate::{Dataset, Table};

/// Days in the average month (730 hours), the convention for every "per month" figure.
pub const DAYS_PER_MONTH: f64 = 730.0 / 24.0;

/// Spend summary of a snapshot's billing data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendOverview {
    /// First billed hour in the data.
    pub data_start: NaiveDateTime,
    /// End of the last billed hour (the analysis' "as of").
    pub data_end: NaiveDateTime,
    /// Days the trailing window actually covers (≤ 30).
    pub window_days: f64,
    /// Amortized cost over the trailing window.
    pub window_cost: f64,
    /// The trailing window's cost scaled to a 730-hour month.
    pub monthly_run_rate: f64,
    /// Trailing-window cost by service, largest first.
    pub by_service: Vec<Slice>,
    /// Trailing-window cost by account, largest first.
    pub by_account: Vec<Slice>,
    /// Trailing-window cost by region, largest first (`global` for region-less items).
    pub by_region: Vec<Slice>,
    /// Cost per day over the whole data period.
    pub daily: Vec<DailyCost>,
    /// Last 7 days against the 7 before, per service, biggest movers first.
    pub week_over_week: Vec<WeekChange>,
    /// The current calendar month.
    pub month_to_date: MonthToDate,
}

/// One slice of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// Service code, account id or region.
    pub key: String,
    /// Display name (account name, service name) where known.
    pub label: String,
    /// Cost in the window.
    pub cost: f64,
    /// Share of the window's total, 0–100.
    pub share_pct: f64,
}

/// Cost of one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyCost {
    /// The day (UTC).
    pub date: NaiveDate,
    /// Amortized cost.
    pub cost: f64,
}

/// A service's last week against the week before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekChange {
    /// Service code.
    pub service: String,
    /// Display name.
    pub label: String,
    /// Cost in the 7 days before last week.
    pub previous_week: f64,
    /// Cost in the last 7 days.
    pub last_week: f64,
    /// `last_week - previous_week`.
    pub change: f64,
    /// Change relative to the previous week, percent; null when it was zero.
    pub change_pct: Option<f64>,
}

/// Month-to-date spend and its forecast against the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthToDate {
    /// First day of the month.
    pub month_start: NaiveDate,
    /// Days of the month covered so far (fractional).
    pub days_elapsed: f64,
    /// Days in the month.
    pub days_in_month: u32,
    /// Amortized cost so far this month.
    pub cost_to_date: f64,
    /// Cost so far plus the last 7 days' daily average for the rest of the month.
    pub forecast: f64,
    /// Configured monthly budget.
    pub budget: Option<f64>,
    /// `forecast - budget` (positive = over budget).
    pub forecast_variance: Option<f64>,
    /// Variance relative to the budget, percent.
    pub forecast_variance_pct: Option<f64>,
    /// `cost_to_date` against the budget pro-rated to the days elapsed (positive = over).
    pub to_date_variance: Option<f64>,
}

/// Rounds an aggregate to 1/100 of a cent.
///
/// Polars sums in parallel, so the last bits of a float sum depend on thread
/// scheduling; rounding keeps every figure (and `findings.json`) identical
/// from run to run while staying far below anything a reader would see.
pub fn stable(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Friendly names for the product codes people meet most.
pub fn service_label(code: &str) -> &str {
    match code {
        "AmazonEC2" => "EC2",
        "AmazonRDS" => "RDS",
        "AmazonS3" => "S3",
        "AWSDataTransfer" => "Data transfer",
        "AmazonCloudWatch" => "CloudWatch",
        "AmazonVPC" => "VPC",
        "AWSELB" | "ElasticLoadBalancing" => "Elastic Load Balancing",
        "AmazonDynamoDB" => "DynamoDB",
        "AWSLambda" => "Lambda",
        "AmazonElastiCache" => "ElastiCache",
        "AmazonCloudFront" => "CloudFront",
        "AmazonEKS" => "EKS",
        "AmazonECS" => "ECS",
        "AmazonRoute53" => "Route 53",
        "ComputeSavingsPlans" => "Savings Plans",
        "AWSCloudTrail" => "CloudTrail",
        "AWSBackup" => "Backup",
        "AmazonSNS" => "SNS",
        "AWSQueueService" => "SQS",
        "awskms" => "KMS",
        other => other,
    }
}

/// Computes the overview as of the dataset's period end. `budget` is monthly.
///
/// Returns `None` when the snapshot has no billing data.
pub fn overview(dataset: &Dataset, budget: Option<f64>) -> Result<Option<SpendOverview>> {
    let Some(costs) = dataset.table(Table::Costs) else {
        return Ok(None);
    };
    let costs = costs.select([
        col("usage_start"),
        col("usage_end"),
        col("account_id"),
        col("account_name"),
        col("region"),
        col("service"),
        col("amortized_cost"),
    ]);
    let bounds = costs
        .clone()
        .select([col("usage_start").min().alias("start"), col("usage_end").max().alias("end"), len().alias("rows")])
        .collect()
        .during(|| "spend overview: data period".into())?;
    let rows = scalar_u64(&bounds, "rows");
    if rows == 0 {
        return Ok(None);
    }
    let data_start = scalar_datetime(&bounds, "start").unwrap_or(dataset.as_of());
    let data_end = dataset.as_of().min(scalar_datetime(&bounds, "end").unwrap_or(dataset.as_of()));

    let window_start = (data_end - Duration::days(30)).max(data_start);
    let window_days = (data_end - window_start).num_seconds() as f64 / 86_400.0;
    let window = costs.clone().filter(in_range(window_start, data_end));

    let by_service = breakdown(window.clone(), "service", None)?;
    let by_account = breakdown(window.clone(), "account_id", Some("account_name"))?;
    let by_region = breakdown(window, "region", None)?;
    let window_cost = stable(by_service.iter().map(|s| s.cost).sum());
    let monthly_run_rate = stable(if window_days > 0.0 { window_cost / window_days * DAYS_PER_MONTH } else { 0.0 });

    let daily = daily(costs.clone())?;
    let week_over_week = week_over_week(costs.clone(), data_end)?;
    let month_to_date = month_to_date(costs, data_end, budget)?;

    Ok(Some(SpendOverview {
        data_start,
        data_end,
        window_days,
        window_cost,
        monthly_run_rate,
        by_service,
        by_account,
        by_region,
        daily,
        week_over_week,
        month_to_date,
    }))
}

fn in_range(start: NaiveDateTime, end: NaiveDateTime) -> Expr {
    col("usage_start").gt_eq(lit(start)).and(col("usage_start").lt(lit(end)))
}

fn breakdown(frame: LazyFrame, key: &str, label: Option<&str>) -> Result<Vec<Slice>> {
    let mut aggs = vec![col("amortized_cost").sum().alias("cost")];
    if let Some(label) = label {
        aggs.push(col(label).drop_nulls().first().alias("label"));
    }
    let df = frame
        .with_column(col(key).fill_null(lit("global")).alias(key))
        .group_by([col(key)])
        .agg(aggs)
        .sort(["cost"], SortMultipleOptions::default().with_order_descending(true).with_maintain_order(true))
        .collect()
        .during(|| format!("spend overview: cost by {key}"))?;
    let keys = df.column(key).and_then(|c| c.str().cloned()).during(|| format!("spend by {key}"))?;
    let costs = df.column("cost").and_then(|c| c.f64().cloned()).during(|| format!("spend by {key}"))?;
    let labels = label.and_then(|_| df.column("label").ok().and_then(|c| c.str().ok().cloned()));
    let total = stable(costs.iter().flatten().sum());
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let key_value = keys.get(i).unwrap_or("unknown").to_owned();
        let cost = stable(costs.get(i).unwrap_or(0.0));
        let label = labels.as_ref().and_then(|l| l.get(i)).map_or_else(
            || if key == "service" { service_label(&key_value).to_owned() } else { key_value.clone() },
            str::to_owned,
        );
        out.push(Slice {
            key: key_value,
            label,
            cost,
            share_pct: if total == 0.0 { 0.0 } else { stable(cost / total * 100.0) },
        });
    }
    // Ties broken by key so output is stable.
    out.sort_by(|a, b| b.cost.total_cmp(&a.cost).then_with(|| a.key.cmp(&b.key)));
    Ok(out)
}

fn daily(frame: LazyFrame) -> Result<Vec<DailyCost>> {
    let df = frame
        .group_by([col("usage_start").dt().date().alias("date")])
        .agg([col("amortized_cost").sum().alias("cost")])
        .sort(["date"], SortMultipleOptions::default())
        .collect()
        .during(|| "spend overview: daily trend".into())?;
    let dates = df.column("date").and_then(|c| c.date().cloned()).during(|| "daily trend".into())?;
    let costs = df.column("cost").and_then(|c| c.f64().cloned()).during(|| "daily trend".into())?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    Ok((0..df.height())
        .filter_map(|i| {
            let days = dates.phys.get(i)?;
            Some(DailyCost { date: epoch + Duration::days(i64::from(days)), cost: stable(costs.get(i).unwrap_or(0.0)) })
        })
        .collect())
}

fn week_over_week(frame: LazyFrame, end: NaiveDateTime) -> Result<Vec<WeekChange>> {
    let last_start = end - Duration::days(7);
    let prev_start = end - Duration::days(14);
    let df = frame
        .filter(in_range(prev_start, end))
        .group_by([col("service")])
        .agg([
            col("amortized_cost").filter(col("usage_start").lt(lit(last_start))).sum().alias("previous"),
            col("amortized_cost").filter(col("usage_start").gt_eq(lit(last_start))).sum().alias("last"),
        ])
        .collect()
        .during(|| "spend overview: week over week".into())?;
    let services = df.column("service").and_then(|c| c.str().cloned()).during(|| "week over week".into())?;
    let previous = df.column("previous").and_then(|c| c.f64().cloned()).during(|| "week over week".into())?;
    let last = df.column("last").and_then(|c| c.f64().cloned()).during(|| "week over week".into())?;
    let mut out: Vec<WeekChange> = (0..df.height())
        .map(|i| {
            let service = services.get(i).unwrap_or("unknown").to_owned();
            let previous_week = stable(previous.get(i).unwrap_or(0.0));
            let last_week = stable(last.get(i).unwrap_or(0.0));
            let change = stable(last_week - previous_week);
            WeekChange {
                label: service_label(&service).to_owned(),
                service,
                previous_week,
                last_week,
                change,
                change_pct: (previous_week.abs() > f64::EPSILON).then(|| stable(change / previous_week * 100.0)),
            }
        })
        .collect();
    out.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()).then_with(|| a.service.cmp(&b.service)));
    Ok(out)
}

fn month_to_date(frame: LazyFrame, end: NaiveDateTime, budget: Option<f64>) -> Result<MonthToDate> {
    // The month the last billed hour belongs to.
    let last_hour = end - Duration::seconds(1);
    let month_start = NaiveDate::from_ymd_opt(last_hour.year(), last_hour.month(), 1).expect("valid month start");
    let next_month = if month_start.month() == 12 {
        NaiveDate::from_ymd_opt(month_start.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(month_start.year(), month_start.month() + 1, 1)
    }
    .expect("valid next month");
    let days_in_month = (next_month - month_start).num_days() as u32;
    let month_start_time = month_start.and_time(NaiveTime::MIN);
    let days_elapsed = (end - month_start_time).num_seconds() as f64 / 86_400.0;
    let week_start = end - Duration::days(7);
    let df = frame
        .filter(col("usage_start").gt_eq(lit(month_start_time.min(week_start))).and(col("usage_start").lt(lit(end))))
        .select([
            col("amortized_cost").filter(col("usage_start").gt_eq(lit(month_start_time))).sum().alias("mtd"),
            col("amortized_cost").filter(col("usage_start").gt_eq(lit(week_start))).sum().alias("week"),
        ])
        .collect()
        .during(|| "spend overview: month to date".into())?;
    let cost_to_date = stable(scalar_f64(&df, "mtd"));
    let daily_rate = stable(scalar_f64(&df, "week")) / 7.0;
    let remaining_days = (f64::from(days_in_month) - days_elapsed).max(0.0);
    let forecast = stable(cost_to_date + daily_rate * remaining_days);
    let forecast_variance = budget.map(|b| stable(forecast - b));
    Ok(MonthToDate {
        month_start,
        days_elapsed,
        days_in_month,
        cost_to_date,
        forecast,
        budget,
        forecast_variance,
        forecast_variance_pct: budget.filter(|b| *b > 0.0).map(|b| stable((forecast - b) / b * 100.0)),
        to_date_variance: budget.map(|b| stable(cost_to_date - b * days_elapsed / f64::from(days_in_month))),
    })
}

fn scalar_f64(df: &DataFrame, name: &str) -> f64 {
    df.column(name).ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<f64>()).unwrap_or(0.0)
}

fn scalar_u64(df: &DataFrame, name: &str) -> u64 {
    df.column(name).ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<u64>()).unwrap_or(0)
}

/// The first value of a timestamp column of a one-row frame.
pub(crate) fn scalar_datetime(df: &DataFrame, name: &str) -> Option<NaiveDateTime> {
    let value = df.column(name).ok()?.get(0).ok()?;
    match value {
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => datetime_from(v, unit),
        _ => None,
    }
}

/// Converts a polars timestamp to a `NaiveDateTime`.
pub(crate) fn datetime_from(value: i64, unit: TimeUnit) -> Option<NaiveDateTime> {
    let micros = match unit {
        TimeUnit::Nanoseconds => value / 1_000,
        TimeUnit::Microseconds => value,
        TimeUnit::Milliseconds => value * 1_000,
    };
    chrono::DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}
