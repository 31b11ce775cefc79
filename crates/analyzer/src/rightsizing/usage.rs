//! What an instance (or an Auto Scaling group) actually used: hourly
//! CloudWatch datapoints over the lookback, summarized into the figures the
//! requirement model reads.
//!
//! Datapoints with a period of up to an hour are bucketed into UTC hours
//! (the largest `Maximum`, the time-weighted mean of `Average`, the total of
//! `Sum`); coarser datapoints (daily) cannot give an hourly peak and are
//! ignored. Metrics read, all optional except CPU:
//!
//! | namespace | metric | statistic |
//! |---|---|---|
//! | `AWS/EC2` | `CPUUtilization` | `Maximum` (`Average` when no Maximum) and `Average` |
//! | `CWAgent` | `mem_used_percent` | `Maximum` (`Average` when no Maximum) |
//! | `AWS/EC2` | `NetworkIn`, `NetworkOut` | `Sum` (bytes per hour) |
//! | `AWS/EC2` | `EBSReadOps`, `EBSWriteOps`, `EBSReadBytes`, `EBSWriteBytes` | `Sum` |

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};
use polars::prelude::*;
use serde::Serialize;

use super::percentile::nearest_rank;
use crate::error::{PolarsResultExt, Result};
use crate::rules::columns::{floats, ints, strings, times};
use crate::{Dataset, Table, metrics};

/// The EC2 namespace.
pub const EC2_NAMESPACE: &str = "AWS/EC2";
/// The CloudWatch agent's namespace (memory).
pub const AGENT_NAMESPACE: &str = "CWAgent";
/// The agent's memory metric on Linux.
pub const MEMORY_METRIC: &str = "mem_used_percent";

const METRIC_NAMES: [&str; 8] = [
    "CPUUtilization",
    MEMORY_METRIC,
    "NetworkIn",
    "NetworkOut",
    "EBSReadOps",
    "EBSWriteOps",
    "EBSReadBytes",
    "EBSWriteBytes",
];

/// Seconds in the hourly bucket.
const HOUR_SECONDS: i64 = 3600;

/// One resource's hourly values over the lookback window, keyed by the
/// start of each UTC hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourlyMetrics {
    /// `CPUUtilization` `Maximum`, percent.
    pub cpu_maximum: BTreeMap<NaiveDateTime, f64>,
    /// `CPUUtilization` `Average`, percent.
    pub cpu_average: BTreeMap<NaiveDateTime, f64>,
    /// `mem_used_percent` `Maximum`, percent.
    pub memory_maximum: BTreeMap<NaiveDateTime, f64>,
    /// `mem_used_percent` `Average`, percent.
    pub memory_average: BTreeMap<NaiveDateTime, f64>,
    /// `NetworkIn` + `NetworkOut`, bytes in the hour.
    pub network_bytes: BTreeMap<NaiveDateTime, f64>,
    /// `EBSReadOps` + `EBSWriteOps`, operations in the hour.
    pub ebs_ops: BTreeMap<NaiveDateTime, f64>,
    /// `EBSReadBytes` + `EBSWriteBytes`, bytes in the hour.
    pub ebs_bytes: BTreeMap<NaiveDateTime, f64>,
}

impl HourlyMetrics {
    /// The hour-by-hour mean across the members of a group: each hour's value
    /// is the mean over the members that reported that hour. This is how an
    /// Auto Scaling group is sized: one member's load, on average.
    pub fn mean_of(members: &[&HourlyMetrics]) -> HourlyMetrics {
        let mean = |pick: fn(&HourlyMetrics) -> &BTreeMap<NaiveDateTime, f64>| {
            let mut sums: BTreeMap<NaiveDateTime, (f64, f64)> = BTreeMap::new();
            for member in members {
                for (hour, value) in pick(member) {
                    let entry = sums.entry(*hour).or_default();
                    entry.0 += value;
                    entry.1 += 1.0;
                }
            }
            sums.into_iter().map(|(hour, (sum, n))| (hour, sum / n)).collect()
        };
        HourlyMetrics {
            cpu_maximum: mean(|m| &m.cpu_maximum),
            cpu_average: mean(|m| &m.cpu_average),
            memory_maximum: mean(|m| &m.memory_maximum),
            memory_average: mean(|m| &m.memory_average),
            network_bytes: mean(|m| &m.network_bytes),
            ebs_ops: mean(|m| &m.ebs_ops),
            ebs_bytes: mean(|m| &m.ebs_bytes),
        }
    }

    /// Hours with a CPU datapoint (Maximum or Average).
    pub fn cpu_hours(&self) -> usize {
        self.cpu_maximum.len() + self.cpu_average.keys().filter(|h| !self.cpu_maximum.contains_key(h)).count()
    }
}

/// Every instance's hourly metrics over one lookback window.
#[derive(Debug, Clone)]
pub struct MetricsWindow {
    /// First instant of the window.
    pub start: NaiveDateTime,
    /// End of the window (exclusive): the snapshot's end.
    pub end: NaiveDateTime,
    /// Days the window spans.
    pub lookback_days: u32,
    /// Hours of the window the snapshot's period covers (less than
    /// `lookback_days × 24` only when the snapshot starts later).
    pub hours: f64,
    /// Whether any resource has a `CPUUtilization` datapoint in the window.
    /// When false, the metric was not collected and no instance can be sized.
    pub cpu_collected: bool,
    by_resource: HashMap<String, HourlyMetrics>,
}

#[derive(Clone, Copy)]
enum Kind {
    CpuMaximum,
    CpuAverage,
    MemoryMaximum,
    MemoryAverage,
    Network,
    EbsOps,
    EbsBytes,
}

impl Kind {
    fn of(namespace: &str, metric: &str, statistic: &str) -> Option<Self> {
        Some(match (namespace, metric, statistic) {
            (EC2_NAMESPACE, "CPUUtilization", "Maximum") => Kind::CpuMaximum,
            (EC2_NAMESPACE, "CPUUtilization", "Average") => Kind::CpuAverage,
            (AGENT_NAMESPACE, MEMORY_METRIC, "Maximum") => Kind::MemoryMaximum,
            (AGENT_NAMESPACE, MEMORY_METRIC, "Average") => Kind::MemoryAverage,
            (EC2_NAMESPACE, "NetworkIn" | "NetworkOut", "Sum") => Kind::Network,
            (EC2_NAMESPACE, "EBSReadOps" | "EBSWriteOps", "Sum") => Kind::EbsOps,
            (EC2_NAMESPACE, "EBSReadBytes" | "EBSWriteBytes", "Sum") => Kind::EbsBytes,
            _ => return None,
        })
    }
}

/// How one hour's datapoints combine.
#[derive(Default)]
struct Bucket {
    maximum: Option<f64>,
    weighted: f64,
    seconds: f64,
    sum: f64,
}

impl MetricsWindow {
    /// Reads the hourly metrics of every resource for the `lookback_days`
    /// ending at the snapshot's end. Without a metrics table, nothing is
    /// collected.
    pub fn load(dataset: &Dataset, lookback_days: u32) -> Result<Self> {
        let end = dataset.as_of();
        let start = end - Duration::days(i64::from(lookback_days));
        let hours = metrics::covered_days(dataset, lookback_days) * 24.0;
        let mut window = Self { start, end, lookback_days, hours, cpu_collected: false, by_resource: HashMap::new() };
        let Some(table) = dataset.table(Table::Metrics) else { return Ok(window) };
        let context = "rightsizing: hourly instance metrics";
        let namespaces = Series::new("namespaces".into(), [EC2_NAMESPACE, AGENT_NAMESPACE]);
        let names = Series::new("names".into(), METRIC_NAMES);
        let rows = table
            .filter(
                col("namespace")
                    .is_in(lit(namespaces).implode(false), false)
                    .and(col("metric").is_in(lit(names).implode(false), false))
                    .and(col("period_start").gt_eq(lit(start)))
                    .and(col("period_start").lt(lit(end)))
                    .and(col("period_seconds").gt(lit(0i64)))
                    .and(col("period_seconds").lt_eq(lit(HOUR_SECONDS))),
            )
            .select([
                col("resource_id"),
                col("namespace"),
                col("metric"),
                col("statistic"),
                col("period_start"),
                col("period_seconds"),
                col("value"),
            ])
            .collect()
            .during(|| format!("{context}: reading the last {lookback_days} days"))?;
        let resource = strings(&rows, "resource_id", context)?;
        let namespace = strings(&rows, "namespace", context)?;
        let metric = strings(&rows, "metric", context)?;
        let statistic = strings(&rows, "statistic", context)?;
        let period_start = times(&rows, "period_start", context)?;
        let seconds = ints(&rows, "period_seconds", context)?;
        let value = floats(&rows, "value", context)?;

        let mut buckets: HashMap<(String, u8, NaiveDateTime), Bucket> = HashMap::new();
        let mut kinds: HashMap<u8, Kind> = HashMap::new();
        for (i, at) in period_start.into_iter().enumerate() {
            let (Some(id), Some(ns), Some(name), Some(stat), Some(at), Some(secs), Some(v)) =
                (resource.get(i), namespace.get(i), metric.get(i), statistic.get(i), at, seconds.get(i), value.get(i))
            else {
                continue;
            };
            let Some(kind) = Kind::of(ns, name, stat) else { continue };
            if !v.is_finite() {
                continue;
            }
            window.cpu_collected |= matches!(kind, Kind::CpuMaximum | Kind::CpuAverage);
            let key = kind as u8;
            kinds.insert(key, kind);
            let hour =
                at.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(at);
            let bucket = buckets.entry((id.to_owned(), key, hour)).or_default();
            bucket.maximum = Some(bucket.maximum.map_or(v, |m: f64| m.max(v)));
            bucket.weighted += v * secs as f64;
            bucket.seconds += secs as f64;
            bucket.sum += v;
        }
        for ((id, key, hour), bucket) in buckets {
            let entry = window.by_resource.entry(id).or_default();
            let (map, value) = match kinds[&key] {
                Kind::CpuMaximum => (&mut entry.cpu_maximum, bucket.maximum.unwrap_or(0.0)),
                Kind::CpuAverage => (&mut entry.cpu_average, bucket.weighted / bucket.seconds),
                Kind::MemoryMaximum => (&mut entry.memory_maximum, bucket.maximum.unwrap_or(0.0)),
                Kind::MemoryAverage => (&mut entry.memory_average, bucket.weighted / bucket.seconds),
                Kind::Network => (&mut entry.network_bytes, bucket.sum),
                Kind::EbsOps => (&mut entry.ebs_ops, bucket.sum),
                Kind::EbsBytes => (&mut entry.ebs_bytes, bucket.sum),
            };
            map.insert(hour, value);
        }
        Ok(window)
    }

    /// One resource's hourly metrics, if it reported any.
    pub fn get(&self, resource_id: &str) -> Option<&HourlyMetrics> {
        self.by_resource.get(resource_id)
    }
}

/// Which CPU statistic the percentile was taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuStatistic {
    /// The hourly `Maximum`: what the instance peaked at within each hour.
    Maximum,
    /// The hourly `Average`, used only when no `Maximum` datapoints exist
    /// (it hides peaks shorter than an hour).
    Average,
}

/// Measured memory use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryUsage {
    /// Hours with a memory datapoint.
    pub samples: usize,
    /// Which statistic (`Maximum`, or `Average` without Maximum datapoints).
    pub statistic: CpuStatistic,
    /// The configured percentile of hourly memory used, percent.
    pub percentile: f64,
    /// The highest hourly value, percent.
    pub max: f64,
}

/// The figures sizing reads, from one resource's (or a group's) hourly metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// Hours with a CPU datapoint.
    pub samples: usize,
    /// The CPU statistic the percentiles are of.
    pub cpu_statistic: CpuStatistic,
    /// Median hourly CPU, percent.
    pub cpu_p50: f64,
    /// 95th percentile of hourly CPU, percent.
    pub cpu_p95: f64,
    /// The configured percentile of hourly CPU, percent.
    pub cpu_percentile: f64,
    /// Highest hourly CPU, percent.
    pub cpu_max: f64,
    /// Mean of the hourly `Average` CPU (of the statistic above when there
    /// is no Average), percent: what a burstable type must sustain.
    pub mean_cpu: f64,
    /// Memory used, when the CloudWatch agent reported enough hours of it.
    pub memory: Option<MemoryUsage>,
    /// Peak hourly NetworkIn + NetworkOut as a rate, Gbps; `None` when not measured.
    pub network_peak_gbps: Option<f64>,
    /// Peak hourly EBS read + write operations per second; `None` when not measured.
    pub ebs_peak_iops: Option<f64>,
    /// Peak hourly EBS read + write bytes per second; `None` when not measured.
    pub ebs_peak_bytes_per_second: Option<f64>,
    /// Highest CPU of each UTC day with datapoints, oldest first (the evidence sparkline).
    pub daily_max_cpu: Vec<(NaiveDate, f64)>,
}

impl Usage {
    /// Summarizes hourly metrics at CPU (and memory) percentile `p`. Memory
    /// counts as measured only with at least `min_memory_hours` hours of it.
    /// `None` when there is no CPU datapoint at all.
    pub fn summarize(metrics: &HourlyMetrics, p: f64, min_memory_hours: usize) -> Option<Self> {
        let (series, cpu_statistic) = if metrics.cpu_maximum.is_empty() {
            (&metrics.cpu_average, CpuStatistic::Average)
        } else {
            (&metrics.cpu_maximum, CpuStatistic::Maximum)
        };
        if series.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = series.values().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let averages = if metrics.cpu_average.is_empty() { series } else { &metrics.cpu_average };
        let mean_cpu = averages.values().sum::<f64>() / averages.len() as f64;

        let (memory_series, memory_statistic) = if metrics.memory_maximum.is_empty() {
            (&metrics.memory_average, CpuStatistic::Average)
        } else {
            (&metrics.memory_maximum, CpuStatistic::Maximum)
        };
        let memory = (!memory_series.is_empty() && memory_series.len() >= min_memory_hours).then(|| {
            let mut memory: Vec<f64> = memory_series.values().copied().collect();
            memory.sort_by(f64::total_cmp);
            MemoryUsage {
                samples: memory.len(),
                statistic: memory_statistic,
                percentile: nearest_rank(&memory, p),
                max: memory[memory.len() - 1],
            }
        });
        let peak = |map: &BTreeMap<NaiveDateTime, f64>| map.values().copied().reduce(f64::max);
        let mut daily: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        for (hour, value) in series {
            let day = daily.entry(hour.date()).or_insert(*value);
            *day = day.max(*value);
        }
        Some(Self {
            samples: metrics.cpu_hours(),
            cpu_statistic,
            cpu_p50: nearest_rank(&sorted, 50.0),
            cpu_p95: nearest_rank(&sorted, 95.0),
            cpu_percentile: nearest_rank(&sorted, p),
            cpu_max: sorted[sorted.len() - 1],
            mean_cpu,
            memory,
            network_peak_gbps: peak(&metrics.network_bytes).map(|bytes| bytes * 8.0 / HOUR_SECONDS as f64 / 1e9),
            ebs_peak_iops: peak(&metrics.ebs_ops).map(|ops| ops / HOUR_SECONDS as f64),
            ebs_peak_bytes_per_second: peak(&metrics.ebs_bytes).map(|bytes| bytes / HOUR_SECONDS as f64),
            daily_max_cpu: daily.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn groups_average_their_members_hour_by_hour() {
        let a = HourlyMetrics {
            cpu_maximum: [(hour(0), 10.0), (hour(1), 30.0)].into(),
            network_bytes: [(hour(0), 100.0)].into(),
            ..HourlyMetrics::default()
        };
        let b = HourlyMetrics {
            cpu_maximum: [(hour(0), 20.0), (hour(2), 50.0)].into(),
            network_bytes: [(hour(0), 300.0)].into(),
            ..HourlyMetrics::default()
        };
        let group = HourlyMetrics::mean_of(&[&a, &b]);
        assert_eq!(group.cpu_maximum, [(hour(0), 15.0), (hour(1), 30.0), (hour(2), 50.0)].into());
        assert_eq!(group.network_bytes, [(hour(0), 200.0)].into());
    }

    #[test]
    fn usage_takes_percentiles_peaks_and_daily_maxima() {
        let metrics = HourlyMetrics {
            cpu_maximum: (0..48).map(|h| (hour(h), h as f64)).collect(),
            cpu_average: (0..48).map(|h| (hour(h), 2.0)).collect(),
            network_bytes: [(hour(3), 450e9), (hour(4), 9e9)].into(),
            memory_maximum: (0..10).map(|h| (hour(h), 50.0)).collect(),
            ..HourlyMetrics::default()
        };
        let usage = Usage::summarize(&metrics, 99.5, 30).unwrap();
        assert_eq!(usage.samples, 48);
        assert_eq!(usage.cpu_statistic, CpuStatistic::Maximum);
        assert_eq!((usage.cpu_p50, usage.cpu_p95, usage.cpu_percentile, usage.cpu_max), (23.0, 45.0, 47.0, 47.0));
        assert_eq!(usage.mean_cpu, 2.0);
        assert_eq!(usage.network_peak_gbps, Some(1.0), "450 GB in an hour = 1 Gbps");
        assert_eq!(usage.memory, None, "10 hours of memory are fewer than 30");
        assert_eq!(usage.ebs_peak_iops, None);
        let days: Vec<f64> = usage.daily_max_cpu.iter().map(|(_, v)| *v).collect();
        assert_eq!(days, [23.0, 47.0]);
    }

    #[test]
    fn without_maximum_the_average_stands_in() {
        let metrics =
            HourlyMetrics { cpu_average: (0..5).map(|h| (hour(h), 10.0)).collect(), ..HourlyMetrics::default() };
        let usage = Usage::summarize(&metrics, 95.0, 1).unwrap();
        assert_eq!(usage.cpu_statistic, CpuStatistic::Average);
        assert_eq!((usage.samples, usage.cpu_max, usage.mean_cpu), (5, 10.0, 10.0));
        assert!(Usage::summarize(&HourlyMetrics::default(), 95.0, 1).is_none());
    }
}
