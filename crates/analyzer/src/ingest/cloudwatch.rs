//! Importing CloudWatch `GetMetricData` dumps into the `metrics` table.
//!
//! A `GetMetricData` reply alone cannot be imported: its results carry only
//! the query `Id`s, not which resource, metric and statistic each series is.
//! So the dump, `get-metric-data.json`, holds the request's
//! `MetricDataQueries` beside the reply's `MetricDataResults`, exactly the
//! two documents of
//! `aws cloudwatch get-metric-data --cli-input-json file://queries.json`
//! merged (`jq -s '.[0] + .[1]' queries.json reply.json`). `costwise collect`
//! writes its metrics in this same shape, one file per account and region,
//! so live and file-based metrics go through this one reader.
//!
//! The resource a series is about comes from the query's dimensions (the
//! first of [`RESOURCE_DIMENSIONS`] present); S3 storage metrics carry their
//! `StorageType` in the metric name (`BucketSizeBytes/StandardStorage`), as
//! the `metrics` schema documents, and request metrics of a filter other than
//! the whole bucket's ([`ENTIRE_BUCKET_FILTER`]) their `FilterId`. Elastic Load Balancing v2 reports target
//! health (`HealthyHostCount`, `UnHealthyHostCount`) per target group, with
//! the `TargetGroup` and `LoadBalancer` dimensions: those series are added up
//! per load balancer, hour and statistic, so a load balancer's healthy
//! targets are those of all its target groups (for the `Maximum` statistic,
//! the sum of each group's maximum: never less than the true maximum, and 0
//! exactly when every group had none). Queries that are expressions (`Expression`)
//! or that do not name a resource are refused: the rules could not attribute
//! them. A result whose `StatusCode` is not `Complete` was cut short
//! (`NextToken` not followed) and is refused, like a truncated CLI dump.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::Deserialize;

use crate::error::{Error, PolarsResultExt, Result};
use crate::manifest::Input;
use crate::schema::Table;
use crate::snapshot::conform;

/// The file name of a metric dump.
pub const METRIC_DATA_DUMP: &str = "get-metric-data.json";

/// The command whose input and output a metric dump holds.
pub const METRIC_DATA_COMMAND: &str = "aws cloudwatch get-metric-data";

/// Dimensions that name the resource a datapoint is about, in order of preference.
pub const RESOURCE_DIMENSIONS: [&str; 7] = [
    "InstanceId",
    "VolumeId",
    "NatGatewayId",
    "LoadBalancer",
    "LoadBalancerName",
    "BucketName",
    "AutoScalingGroupName",
];

/// The `FilterId` of an S3 request-metrics configuration for the whole bucket, as the S3 console names it. Its
/// series keep their metric name (`GetRequests`); other filters (a prefix's, a tag's) count part of the bucket
/// and carry their filter in the name (`GetRequests/archive-prefix`), like storage types.
pub const ENTIRE_BUCKET_FILTER: &str = "EntireBucket";

/// Whether `path` is named like a metric dump.
pub fn is_metric_dump(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == METRIC_DATA_DUMP)
}

/// A `get-metric-data.json` document: the queries and their results.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataDump {
    /// The queries sent (`--cli-input-json`).
    pub metric_data_queries: Vec<MetricDataQuery>,
    /// The results received, every page merged.
    pub metric_data_results: Vec<MetricDataResult>,
}

/// One query of a `GetMetricData` request.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataQuery {
    /// The query's id, echoed by its result.
    pub id: String,
    /// The metric and statistic; absent for expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    /// A metric math expression (not importable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// The metric, period and statistic of a query.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    /// Namespace, name and dimensions.
    pub metric: Metric,
    /// Seconds per datapoint.
    pub period: i64,
    /// `Average`, `Maximum`, `Sum`, ...
    pub stat: String,
}

/// A CloudWatch metric.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    /// `AWS/EC2`.
    pub namespace: String,
    /// `CPUUtilization`.
    pub metric_name: String,
    /// `InstanceId=i-...`.
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
}

/// A metric dimension.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// `InstanceId`.
    pub name: String,
    /// `i-0abc...`.
    pub value: String,
}

/// One query's series.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataResult {
    /// The query's id.
    pub id: String,
    /// Period starts, RFC 3339.
    #[serde(default)]
    pub timestamps: Vec<String>,
    /// One value per timestamp.
    #[serde(default)]
    pub values: Vec<f64>,
    /// `Complete`, or `PartialData` when pages were left unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
}

impl Metric {
    /// The resource this metric is about, and the metric's name in the `metrics` table.
    pub fn resource_and_name(&self) -> Option<(&str, String)> {
        let resource = RESOURCE_DIMENSIONS
            .iter()
            .find_map(|wanted| self.dimensions.iter().find(|d| d.name == *wanted))
            .map(|d| d.value.as_str())?;
        let part = self
            .dimensions
            .iter()
            .find(|d| d.name == "StorageType" || (d.name == "FilterId" && d.value != ENTIRE_BUCKET_FILTER));
        let name = match part {
            Some(part) if self.namespace == "AWS/S3" => format!("{}/{}", self.metric_name, part.value),
            _ => self.metric_name.clone(),
        };
        Some((resource, name))
    }

    /// Whether this is one target group's share of a load balancer's series (added up on import).
    pub fn is_per_target_group(&self) -> bool {
        let has = |name: &str| self.dimensions.iter().any(|d| d.name == name);
        self.namespace.ends_with("ELB") && has("TargetGroup") && has("LoadBalancer") && !has("AvailabilityZone")
    }
}

/// The metrics read from a set of dumps.
#[derive(Debug, Clone)]
pub struct MetricImport {
    /// The `metrics` table, conformed, sorted and without duplicate datapoints.
    pub frame: DataFrame,
    /// One entry per file read.
    pub inputs: Vec<Input>,
}

#[derive(Default)]
struct Columns {
    resource_id: Vec<String>,
    namespace: Vec<String>,
    metric: Vec<String>,
    statistic: Vec<String>,
    period_start: Vec<i64>,
    period_seconds: Vec<i64>,
    value: Vec<f64>,
}

/// Reads metric dumps into the `metrics` table.
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be read, and [`Error::BadJson`] for malformed JSON, a query that is an
/// expression or names no resource, a result without its query (or the reverse), a result cut short, a bad
/// timestamp, or timestamps and values of different lengths.
pub fn read_metric_dumps(paths: &[PathBuf]) -> Result<MetricImport> {
    let mut columns = Columns::default();
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let dump: MetricDataDump = serde_json::from_str(&text).map_err(|e| bad(path, format!("not a {METRIC_DATA_DUMP} dump (the queries of `{METRIC_DATA_COMMAND} --cli-input-json` and its reply in one object): {e}")))?;
        let rows = read_dump(path, &dump, &mut columns)?;
        inputs.push(Input { path: path.display().to_string(), format: METRIC_DATA_COMMAND.into(), rows });
    }
    let Columns { resource_id, namespace, metric, statistic, period_start, period_seconds, value } = columns;
    let origin = paths.first().map_or_else(|| Path::new(METRIC_DATA_DUMP), PathBuf::as_path);
    let period_start = Series::new("period_start".into(), period_start)
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .during(|| format!("reading {}", origin.display()))?;
    let height = value.len();
    let frame = DataFrame::new(
        height,
        vec![
            Column::new("resource_id".into(), resource_id),
            Column::new("namespace".into(), namespace),
            Column::new("metric".into(), metric),
            Column::new("statistic".into(), statistic),
            period_start.into(),
            Column::new("period_seconds".into(), period_seconds),
            Column::new("value".into(), value),
        ],
    )
    .during(|| format!("reading {}", origin.display()))?;
    let key = ["resource_id", "namespace", "metric", "statistic", "period_seconds", "period_start"];
    // The same series in two files (a dump imported twice) keeps one copy of each datapoint.
    let frame = conform(frame.lazy(), Table::Metrics, origin)?
        .unique_stable_generic(Some(key.iter().map(|c| col(*c)).collect()), UniqueKeepStrategy::First)
        .sort(key, SortMultipleOptions::default())
        .collect()
        .during(|| format!("building the metrics table from {}", origin.display()))?;
    Ok(MetricImport { frame, inputs })
}

fn bad(path: &Path, detail: String) -> Error {
    Error::BadJson { path: path.to_path_buf(), detail }
}

fn read_dump(path: &Path, dump: &MetricDataDump, columns: &mut Columns) -> Result<u64> {
    let mut queries: BTreeMap<&str, (&MetricStat, &str, String)> = BTreeMap::new();
    for (index, query) in dump.metric_data_queries.iter().enumerate() {
        let at = format!("MetricDataQueries[{index}] (Id {:?})", query.id);
        let Some(stat) = &query.metric_stat else {
            return Err(bad(
                path,
                format!("{at} is a metric math expression; only MetricStat queries name a resource and a statistic"),
            ));
        };
        let Some((resource, name)) = stat.metric.resource_and_name() else {
            return Err(bad(
                path,
                format!(
                    "{at}: {} {} has none of the dimensions that name a resource ({})",
                    stat.metric.namespace,
                    stat.metric.metric_name,
                    RESOURCE_DIMENSIONS.join(", ")
                ),
            ));
        };
        if stat.period <= 0 {
            return Err(bad(path, format!("{at}: Period must be positive, found {}", stat.period)));
        }
        if queries.insert(&query.id, (stat, resource, name)).is_some() {
            return Err(bad(path, format!("{at}: the Id is used by two queries")));
        }
    }
    let mut rows = 0;
    let mut answered = std::collections::BTreeSet::new();
    // Target groups' series of one load balancer, added up: (resource, namespace, metric, statistic, period,
    // start) -> value.
    let mut per_load_balancer: BTreeMap<(&str, &str, &str, &str, i64, i64), f64> = BTreeMap::new();
    for (index, result) in dump.metric_data_results.iter().enumerate() {
        let at = format!("MetricDataResults[{index}] (Id {:?})", result.id);
        let Some((stat, resource, name)) = queries.get(result.id.as_str()) else {
            return Err(bad(path, format!("{at} answers no query in MetricDataQueries")));
        };
        if let Some(status) = result.status_code.as_deref().filter(|s| *s != "Complete") {
            return Err(bad(
                path,
                format!("{at}: StatusCode is {status}: the reply was cut short; fetch every page (follow NextToken)"),
            ));
        }
        if result.timestamps.len() != result.values.len() {
            return Err(bad(
                path,
                format!("{at}: {} timestamps but {} values", result.timestamps.len(), result.values.len()),
            ));
        }
        answered.insert(result.id.as_str());
        for (i, (stamp, value)) in result.timestamps.iter().zip(&result.values).enumerate() {
            let start = parse_time(stamp)
                .ok_or_else(|| bad(path, format!("{at}.Timestamps[{i}]: {stamp:?} is not an RFC 3339 time")))?;
            if stat.metric.is_per_target_group() {
                let key = (
                    *resource,
                    stat.metric.namespace.as_str(),
                    name.as_str(),
                    stat.stat.as_str(),
                    stat.period,
                    start.and_utc().timestamp_micros(),
                );
                *per_load_balancer.entry(key).or_insert(0.0) += value;
                continue;
            }
            columns.resource_id.push((*resource).to_owned());
            columns.namespace.push(stat.metric.namespace.clone());
            columns.metric.push(name.clone());
            columns.statistic.push(stat.stat.clone());
            columns.period_start.push(start.and_utc().timestamp_micros());
            columns.period_seconds.push(stat.period);
            columns.value.push(*value);
            rows += 1;
        }
    }
    if let Some(unanswered) = queries.keys().find(|id| !answered.contains(*id)) {
        return Err(bad(path, format!("query {unanswered:?} has no result in MetricDataResults")));
    }
    for ((resource, namespace, metric, statistic, period, start), value) in per_load_balancer {
        columns.resource_id.push(resource.to_owned());
        columns.namespace.push(namespace.to_owned());
        columns.metric.push(metric.to_owned());
        columns.statistic.push(statistic.to_owned());
        columns.period_start.push(start);
        columns.period_seconds.push(period);
        columns.value.push(value);
        rows += 1;
    }
    Ok(rows)
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, json: &serde_json::Value) -> PathBuf {
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(METRIC_DATA_DUMP);
        std::fs::write(&path, serde_json::to_vec(json).unwrap()).unwrap();
        path
    }

    fn query(id: &str, namespace: &str, metric: &str, dimensions: &[(&str, &str)], stat: &str) -> serde_json::Value {
        let dimensions: Vec<_> = dimensions.iter().map(|(n, v)| serde_json::json!({"Name": n, "Value": v})).collect();
        serde_json::json!({"Id": id, "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions}, "Period": 3600, "Stat": stat}, "ReturnData": true})
    }

    #[test]
    fn request_metrics_of_a_partial_filter_carry_the_filter_in_their_name() {
        let metric = |filter: &str| Metric {
            namespace: "AWS/S3".into(),
            metric_name: "GetRequests".into(),
            dimensions: vec![
                Dimension { name: "BucketName".into(), value: "logs".into() },
                Dimension { name: "FilterId".into(), value: filter.into() },
            ],
        };
        assert_eq!(metric(ENTIRE_BUCKET_FILTER).resource_and_name(), Some(("logs", "GetRequests".to_owned())));
        assert_eq!(metric("archive").resource_and_name(), Some(("logs", "GetRequests/archive".to_owned())));
    }

    #[test]
    fn target_groups_series_are_added_up_per_load_balancer() {
        let dir = tempfile::tempdir().unwrap();
        let lb = "app/web/50dc6c495c0c9188";
        let group = |id: &str, tg: &str| {
            query(id, "AWS/ApplicationELB", "HealthyHostCount", &[("TargetGroup", tg), ("LoadBalancer", lb)], "Maximum")
        };
        let path = write(
            dir.path(),
            "lb",
            &serde_json::json!({
                "MetricDataQueries": [group("blue", "targetgroup/blue/1"), group("green", "targetgroup/green/2")],
                "MetricDataResults": [
                    {"Id": "blue", "Timestamps": ["2026-11-02T00:00:00Z", "2026-11-02T01:00:00Z"], "Values": [1.0, 0.0]},
                    {"Id": "green", "Timestamps": ["2026-11-02T00:00:00Z"], "Values": [2.0]}
                ]
            }),
        );
        let imported = read_metric_dumps(&[path]).unwrap();
        assert_eq!(imported.inputs[0].rows, 2, "one row per load balancer and hour");
        let frame = imported.frame;
        let resource: Vec<_> = frame.column("resource_id").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(resource, [lb, lb]);
        let values: Vec<_> = frame.column("value").unwrap().f64().unwrap().into_no_null_iter().collect();
        assert_eq!(values, [3.0, 0.0], "1 + 2 healthy targets, then 0 + none reported");
    }

    #[test]
    fn series_become_rows_named_by_their_resource_dimension() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a",
            &serde_json::json!({
                "MetricDataQueries": [
                    query("cpu", "AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1")], "Maximum"),
                    query("s3", "AWS/S3", "BucketSizeBytes", &[("StorageType", "StandardStorage"), ("BucketName", "logs")], "Average"),
                ],
                "MetricDataResults": [
                    {"Id": "cpu", "Label": "CPUUtilization", "Timestamps": ["2026-11-02T01:00:00+00:00", "2026-11-02T00:00:00Z"], "Values": [7.5, 2.0], "StatusCode": "Complete"},
                    {"Id": "s3", "Timestamps": ["2026-11-01T00:00:00Z"], "Values": [1024.0], "StatusCode": "Complete"}
                ]
            }),
        );
        let imported = read_metric_dumps(&[path.clone(), path]).unwrap();
        assert_eq!(imported.inputs.iter().map(|i| i.rows).collect::<Vec<_>>(), [3, 3], "datapoints per file");
        let frame = imported.frame;
        assert_eq!(frame.height(), 3, "the second copy of the file adds nothing: {frame}");
        let metric: Vec<_> = frame.column("metric").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(metric, ["CPUUtilization", "CPUUtilization", "BucketSizeBytes/StandardStorage"]);
        let resource: Vec<_> = frame.column("resource_id").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(resource, ["i-1", "i-1", "logs"]);
        let values: Vec<_> = frame.column("value").unwrap().f64().unwrap().into_no_null_iter().collect();
        assert_eq!(values, [2.0, 7.5, 1024.0], "sorted by period start");
        assert_eq!(frame.schema().as_ref(), &Table::Metrics.schema());
    }

    #[test]
    fn bad_dumps_name_the_file_and_the_query() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                serde_json::json!({"MetricDataQueries": [query("q", "AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1")], "Average")],
                                   "MetricDataResults": [{"Id": "q", "Timestamps": ["2026-11-01T00:00:00Z"], "Values": [1.0], "StatusCode": "PartialData"}]}),
                "MetricDataResults[0] (Id \"q\"): StatusCode is PartialData",
            ),
            (
                serde_json::json!({"MetricDataQueries": [query("q", "AWS/EC2", "CPUUtilization", &[("ImageId", "ami-1")], "Average")],
                                   "MetricDataResults": []}),
                "has none of the dimensions that name a resource",
            ),
            (
                serde_json::json!({"MetricDataQueries": [query("q", "AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1")], "Average")],
                                   "MetricDataResults": []}),
                "query \"q\" has no result",
            ),
            (
                serde_json::json!({"MetricDataQueries": [query("q", "AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1")], "Average")],
                                   "MetricDataResults": [{"Id": "q", "Timestamps": ["yesterday"], "Values": [1.0]}]}),
                "Timestamps[0]: \"yesterday\" is not an RFC 3339 time",
            ),
            (serde_json::json!({"MetricDataResults": []}), "missing field `MetricDataQueries`"),
        ];
        for (index, (json, expected)) in cases.into_iter().enumerate() {
            let path = write(dir.path(), &index.to_string(), &json);
            let error = read_metric_dumps(std::slice::from_ref(&path)).unwrap_err().to_string();
            assert!(error.contains(&path.display().to_string()), "{error}");
            assert!(error.contains(expected), "{error}");
        }
    }
}
