//! CloudWatch datapoints rolled up per resource and day, for the rules that
//! judge activity (idle instances, load balancers, NAT gateways, volumes).
//!
//! The one distinction every activity rule must get right lives here: a
//! metric that was *not collected* (absent from the snapshot, or a recorded
//! data gap for the resource's account and region) is not the same as a
//! resource that reported *nothing*. The first means "not enough data"; only
//! the second may be read as idle, and only for metrics AWS publishes as
//! zero-or-absent when there is no traffic (each rule documents which).

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use polars::prelude::*;

use crate::error::{PolarsResultExt, Result};
use crate::rules::columns::{floats, ints, strings, times};
use crate::{Dataset, Table};

/// How a day's datapoints combine into one daily value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Time-weighted mean of the `Average` datapoints.
    Average,
    /// Total of the `Sum` datapoints.
    Sum,
    /// Largest `Maximum` datapoint.
    Maximum,
}

impl Statistic {
    fn name(self) -> &'static str {
        match self {
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Maximum => "Maximum",
        }
    }
}

/// Which datapoints to roll up.
#[derive(Debug, Clone, Copy)]
pub struct MetricQuery<'a> {
    /// CloudWatch namespace (`AWS/EC2`).
    pub namespace: &'a str,
    /// Metric name (`CPUUtilization`).
    pub metric: &'a str,
    /// Statistic to read and how to combine it per day.
    pub statistic: Statistic,
    /// Days before the snapshot's end to look at.
    pub lookback_days: u32,
}

/// Daily values per resource over a lookback window.
#[derive(Debug, Clone)]
pub struct DailyMetric {
    /// First instant of the window.
    pub start: NaiveDateTime,
    /// End of the window (exclusive): the snapshot's end.
    pub end: NaiveDateTime,
    /// Whether the snapshot holds this metric for any resource in the window.
    /// When false, no resource can be judged on it.
    pub collected: bool,
    by_resource: HashMap<String, BTreeMap<NaiveDate, f64>>,
    coverage: HashMap<String, BTreeMap<NaiveDate, i64>>,
}

impl DailyMetric {
    /// Daily values for one resource (empty when it reported nothing).
    pub fn days(&self, resource_id: &str) -> Option<&BTreeMap<NaiveDate, f64>> {
        self.by_resource.get(resource_id)
    }

    /// Whether the resource reported any datapoint in the window.
    pub fn reported(&self, resource_id: &str) -> bool {
        self.by_resource.get(resource_id).is_some_and(|d| !d.is_empty())
    }

    /// Seconds of each day the resource's datapoints cover (the sum of their
    /// periods), to tell a whole day from a partly reported one: a `Sum` over
    /// 6 hours of datapoints is not a day's total.
    pub fn covered_seconds(&self, resource_id: &str) -> Option<&BTreeMap<NaiveDate, i64>> {
        self.coverage.get(resource_id)
    }

    /// Number of whole days in the window.
    pub fn window_days(&self) -> i64 {
        (self.end - self.start).num_days()
    }
}

/// Rolls `query`'s datapoints up per resource and UTC day, for the window of
/// `query.lookback_days` ending at the snapshot's end.
pub fn daily(dataset: &Dataset, query: MetricQuery<'_>) -> Result<DailyMetric> {
    let end = dataset.as_of();
    let start = end - Duration::days(i64::from(query.lookback_days));
    let empty = DailyMetric { start, end, collected: false, by_resource: HashMap::new(), coverage: HashMap::new() };
    let Some(metrics) = dataset.table(Table::Metrics) else { return Ok(empty) };
    let context = format!("{} {} ({})", query.namespace, query.metric, query.statistic.name());
    let value = match query.statistic {
        Statistic::Average => {
            (col("value") * col("period_seconds").cast(DataType::Float64)).sum()
                / col("period_seconds").cast(DataType::Float64).sum()
        }
        Statistic::Sum => col("value").sum(),
        Statistic::Maximum => col("value").max(),
    };
    let rolled = metrics
        .filter(
            col("namespace")
                .eq(lit(query.namespace))
                .and(col("metric").eq(lit(query.metric)))
                .and(col("statistic").eq(lit(query.statistic.name())))
                .and(col("period_start").gt_eq(lit(start)))
                .and(col("period_start").lt(lit(end))),
        )
        .group_by([col("resource_id"), col("period_start").dt().truncate(lit("1d")).alias("day")])
        .agg([value.alias("value"), col("period_seconds").sum().alias("seconds")])
        .collect()
        .during(|| format!("rolling up {context} per day"))?;
    if rolled.height() == 0 {
        return Ok(empty);
    }
    let resource = strings(&rolled, "resource_id", &context)?;
    let day = times(&rolled, "day", &context)?;
    let values = floats(&rolled, "value", &context)?;
    let seconds = ints(&rolled, "seconds", &context)?;
    let mut by_resource: HashMap<String, BTreeMap<NaiveDate, f64>> = HashMap::new();
    let mut coverage: HashMap<String, BTreeMap<NaiveDate, i64>> = HashMap::new();
    for i in 0..rolled.height() {
        let (Some(id), Some(day), Some(value)) = (resource.get(i), day[i], values.get(i)) else { continue };
        by_resource.entry(id.to_owned()).or_default().insert(day.date(), value);
        coverage.entry(id.to_owned()).or_default().insert(day.date(), seconds.get(i).unwrap_or(0));
    }
    Ok(DailyMetric { start, end, collected: true, by_resource, coverage })
}

/// The recorded data gap, if any, that covers `table` for an account and region.
pub fn data_gap<'a>(dataset: &'a Dataset, table: Table, account_id: &str, region: &str) -> Option<&'a str> {
    dataset
        .manifest()
        .data_gaps
        .iter()
        .find(|gap| {
            gap.table.is_none_or(|t| t == table)
                && gap.account_id.as_deref().is_none_or(|a| a == account_id)
                && gap.region.as_deref().is_none_or(|r| r == region)
        })
        .map(|gap| gap.reason.as_str())
}

/// Days of a `lookback_days` window ending at the snapshot's end that the
/// snapshot's period actually covers (fractional).
///
/// Less than `lookback_days` when the snapshot starts later than the window:
/// a rule that reads missing days as "no traffic" must not do so for days the
/// snapshot holds no data for at all.
pub fn covered_days(dataset: &Dataset, lookback_days: u32) -> f64 {
    let period = dataset.manifest().period;
    let start = (period.end - Duration::days(i64::from(lookback_days))).max(period.start);
    ((period.end - start).num_seconds() as f64 / 86_400.0).max(0.0)
}
