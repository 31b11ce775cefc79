//! Builders shared by the rule tests: dates, manifests and typed columns.

use chrono::{NaiveDate, NaiveDateTime};
use costwise_analyzer::manifest::{Account, Manifest, Period};
use costwise_analyzer::{Analysis, Finding};
use polars::prelude::*;

pub fn at(month: u32, day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

pub fn manifest(start: NaiveDateTime, end: NaiveDateTime) -> Manifest {
    let accounts = vec![Account { id: "111111111111".into(), name: Some("prod".into()) }];
    Manifest::in_memory("rules test", accounts, Period { start, end })
}

pub fn ts(values: &[Option<NaiveDateTime>]) -> Vec<Option<i64>> {
    values.iter().map(|v| v.map(|t| t.and_utc().timestamp_micros())).collect()
}

pub fn datetime_series(name: &str, values: &[Option<NaiveDateTime>]) -> Column {
    Series::new(name.into(), ts(values)).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap().into_column()
}

pub fn findings_of(analysis: &Analysis, rule: &str) -> Vec<Finding> {
    analysis.findings.iter().filter(|f| f.rule == rule).cloned().collect()
}

pub fn by_id<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings.iter().find(|f| f.resource_id == id).unwrap_or_else(|| panic!("no finding for {id}"))
}
