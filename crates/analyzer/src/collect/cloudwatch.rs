//! The CloudWatch metrics of the collected inventory: hourly series over the
//! lookback for every instance, volume, NAT gateway and load balancer found, fetched with
//! `GetMetricData` in batches of up to 500 queries and saved as the
//! `get-metric-data.json` dump the importer reads (queries and results side
//! by side, see [`crate::ingest::cloudwatch`]).
//!
//! Which metric and statistic is read for each resource is what the rules
//! consume ([`INSTANCE_METRICS`], [`VOLUME_METRICS`], [`NAT_METRICS`], the
//! load balancers'):
//! gauges (CPU, memory) as hourly `Average` and `Maximum`, counters (bytes,
//! operations) as hourly `Sum`, since an average of a counter's datapoints is
//! not a rate. Percentiles are computed by costwise from the hourly series,
//! never requested from CloudWatch (which bills them as extra metrics and
//! cannot combine them across hours). Memory exists only where the
//! CloudWatch agent publishes it; its dimension set depends on the agent's
//! configuration, so the agent's metrics are found with `ListMetrics` and
//! queried with exactly the dimensions they have.

// `|t| t.as_str()` reads better than the SDK's fully qualified paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use chrono::NaiveDateTime;
use serde_json::Value;

use super::failure;
use crate::ingest::cloudwatch as dump;

/// The IAM actions this module calls.
pub(super) const ACTIONS: [&str; 2] = ["cloudwatch:ListMetrics", "cloudwatch:GetMetricData"];

/// The most queries one `GetMetricData` call takes.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// What `GetMetricData` costs: $0.01 per 1,000 metrics requested.
pub const DOLLARS_PER_METRIC: f64 = 0.01 / 1000.0;

/// Seconds per datapoint: hourly, which CloudWatch keeps for 63 days.
const PERIOD_SECONDS: i32 = 3600;

/// Seconds per S3 storage datapoint: S3 publishes them daily.
const DAY_SECONDS: i32 = 86_400;

/// Days of S3 storage metrics read: the storage rules' 90-day lookback (CloudWatch keeps daily data 455 days).
pub const S3_LOOKBACK_DAYS: u32 = 90;

/// S3 storage metrics (`AWS/S3`, dimensions `BucketName` and `StorageType`), read for every storage type the
/// bucket has.
pub const S3_METRICS: [(&str, &str); 2] = [("BucketSizeBytes", "Average"), ("NumberOfObjects", "Average")];

/// S3 request metrics (`AWS/S3`, dimensions `BucketName` and `FilterId`), read daily where the bucket has a
/// request-metrics configuration for the whole bucket: what the lifecycle-tiering rule needs to price reads.
pub const S3_REQUEST_METRICS: [(&str, &str); 2] = [("GetRequests", "Sum"), ("BytesDownloaded", "Sum")];

/// EC2 instance metrics (`AWS/EC2`, dimension `InstanceId`) and the statistic read.
pub const INSTANCE_METRICS: [(&str, &str); 8] = [
    ("CPUUtilization", "Average"),
    ("CPUUtilization", "Maximum"),
    ("NetworkIn", "Sum"),
    ("NetworkOut", "Sum"),
    ("EBSReadOps", "Sum"),
    ("EBSWriteOps", "Sum"),
    ("EBSReadBytes", "Sum"),
    ("EBSWriteBytes", "Sum"),
];

/// EBS volume metrics (`AWS/EBS`, dimension `VolumeId`).
pub const VOLUME_METRICS: [(&str, &str); 2] = [("VolumeReadOps", "Sum"), ("VolumeWriteOps", "Sum")];

/// NAT gateway metrics (`AWS/NATGateway`, dimension `NatGatewayId`).
pub const NAT_METRICS: [(&str, &str); 1] = [("BytesOutToDestination", "Sum")];

/// Application load balancer metrics (`AWS/ApplicationELB`, dimension `LoadBalancer`: the ARN suffix).
pub const APPLICATION_LB_METRICS: [(&str, &str); 1] = [("RequestCount", "Sum")];

/// Network load balancer metrics (`AWS/NetworkELB`, dimension `LoadBalancer`).
pub const NETWORK_LB_METRICS: [(&str, &str); 2] = [("NewFlowCount", "Sum"), ("ProcessedBytes", "Sum")];

/// Classic load balancer metrics (`AWS/ELB`, dimension `LoadBalancerName`): traffic and target health.
pub const CLASSIC_LB_METRICS: [(&str, &str); 3] =
    [("RequestCount", "Sum"), ("HealthyHostCount", "Maximum"), ("UnHealthyHostCount", "Maximum")];

/// Target health of application and network load balancers, published per target group (dimensions
/// `TargetGroup` and `LoadBalancer`): the target groups are found with `ListMetrics`, and the importer adds
/// their series up per load balancer.
pub const TARGET_HEALTH_METRICS: [(&str, &str); 2] =
    [("HealthyHostCount", "Maximum"), ("UnHealthyHostCount", "Maximum")];

/// The CloudWatch agent's memory metric (`CWAgent`), read where the agent publishes it.
pub const AGENT_METRICS: [(&str, &str); 2] = [("mem_used_percent", "Average"), ("mem_used_percent", "Maximum")];

/// Where one kind of resource publishes its metrics, and which of them are read.
struct Kind {
    namespace: &'static str,
    /// The dimension that names the resource.
    dimension: &'static str,
    /// (metric, statistic) pairs.
    metrics: &'static [(&'static str, &'static str)],
}

/// The resources of one account and region whose metrics are wanted, from the EC2 dumps.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Resources {
    pub(super) instances: BTreeSet<String>,
    pub(super) volumes: BTreeSet<String>,
    pub(super) nat_gateways: BTreeSet<String>,
    /// Application load balancers by ARN suffix (`app/<name>/<id>`), the `LoadBalancer` dimension.
    pub(super) application_lbs: BTreeSet<String>,
    /// Network load balancers by ARN suffix (`net/<name>/<id>`).
    pub(super) network_lbs: BTreeSet<String>,
    /// Classic load balancers by name.
    pub(super) classic_lbs: BTreeSet<String>,
    /// Buckets in this region.
    pub(super) buckets: BTreeSet<String>,
}

impl Resources {
    /// Reads the ids out of the CLI-shaped EC2 documents (`describe-instances.json`, ...), skipping terminated
    /// instances and deleted NAT gateways, which publish nothing.
    pub(super) fn from_dumps(documents: &BTreeMap<&'static str, Value>) -> Resources {
        let mut resources = Resources::default();
        let items = |file: &str, key: &str| -> Vec<Value> {
            documents.get(file).and_then(|d| d[key].as_array().cloned()).unwrap_or_default()
        };
        for reservation in items("describe-instances.json", "Reservations") {
            for instance in reservation["Instances"].as_array().into_iter().flatten() {
                let gone = matches!(instance["State"]["Name"].as_str(), Some("terminated" | "shutting-down"));
                if let (Some(id), false) = (instance["InstanceId"].as_str(), gone) {
                    resources.instances.insert(id.to_owned());
                }
            }
        }
        for volume in items("describe-volumes.json", "Volumes") {
            if let Some(id) = volume["VolumeId"].as_str() {
                resources.volumes.insert(id.to_owned());
            }
        }
        for gateway in items("describe-nat-gateways.json", "NatGateways") {
            let gone = matches!(gateway["State"].as_str(), Some("deleted" | "failed"));
            if let (Some(id), false) = (gateway["NatGatewayId"].as_str(), gone) {
                resources.nat_gateways.insert(id.to_owned());
            }
        }
        for balancer in items("describe-load-balancers.json", "LoadBalancers") {
            let suffix = balancer["LoadBalancerArn"].as_str().and_then(|arn| arn.split_once(":loadbalancer/"));
            match (balancer["Type"].as_str(), suffix) {
                (Some("application"), Some((_, suffix))) => resources.application_lbs.insert(suffix.to_owned()),
                (Some("network"), Some((_, suffix))) => resources.network_lbs.insert(suffix.to_owned()),
                _ => false,
            };
        }
        for balancer in items("describe-load-balancers-classic.json", "LoadBalancerDescriptions") {
            if let Some(name) = balancer["LoadBalancerName"].as_str() {
                resources.classic_lbs.insert(name.to_owned());
            }
        }
        resources
    }

    pub(super) fn is_empty(&self) -> bool {
        [
            &self.instances,
            &self.volumes,
            &self.nat_gateways,
            &self.application_lbs,
            &self.network_lbs,
            &self.classic_lbs,
            &self.buckets,
        ]
        .iter()
        .all(|ids| ids.is_empty())
    }
}

/// A region's metrics: the dump, and what fetching it took.
pub(super) struct FetchedMetrics {
    pub(super) document: Value,
    /// API requests made (every page of every call).
    pub(super) requests: usize,
    /// Metrics requested from `GetMetricData` (what it bills).
    pub(super) metrics_requested: usize,
}

/// Fetches the hourly series of `resources` for `[end - lookback_days, end)`.
pub(super) async fn fetch(
    client: &Client,
    resources: &Resources,
    end: NaiveDateTime,
    lookback_days: u32,
) -> Result<FetchedMetrics, String> {
    let mut requests = 0;
    let mut metrics: Vec<(Metric, &'static str)> = Vec::new();
    let kinds = [
        (&resources.instances, Kind { namespace: "AWS/EC2", dimension: "InstanceId", metrics: &INSTANCE_METRICS }),
        (&resources.volumes, Kind { namespace: "AWS/EBS", dimension: "VolumeId", metrics: &VOLUME_METRICS }),
        (
            &resources.nat_gateways,
            Kind { namespace: "AWS/NATGateway", dimension: "NatGatewayId", metrics: &NAT_METRICS },
        ),
        (
            &resources.application_lbs,
            Kind { namespace: "AWS/ApplicationELB", dimension: "LoadBalancer", metrics: &APPLICATION_LB_METRICS },
        ),
        (
            &resources.network_lbs,
            Kind { namespace: "AWS/NetworkELB", dimension: "LoadBalancer", metrics: &NETWORK_LB_METRICS },
        ),
        (
            &resources.classic_lbs,
            Kind { namespace: "AWS/ELB", dimension: "LoadBalancerName", metrics: &CLASSIC_LB_METRICS },
        ),
    ];
    for (ids, kind) in kinds {
        for id in ids {
            for (name, stat) in kind.metrics {
                let metric = Metric::builder()
                    .namespace(kind.namespace)
                    .metric_name(*name)
                    .dimensions(Dimension::builder().name(kind.dimension).value(id).build())
                    .build();
                metrics.push((metric, *stat));
            }
        }
    }
    if !resources.instances.is_empty() {
        let (listed, pages) = listed_metrics(client, "CWAgent", Some(AGENT_METRICS[0].0)).await?;
        requests += pages;
        for metric in listed {
            if dimension(&metric, "InstanceId").is_some_and(|id| resources.instances.contains(id)) {
                for (_, stat) in AGENT_METRICS {
                    metrics.push((metric.clone(), stat));
                }
            }
        }
    }
    for (namespace, balancers) in
        [("AWS/ApplicationELB", &resources.application_lbs), ("AWS/NetworkELB", &resources.network_lbs)]
    {
        if balancers.is_empty() {
            continue;
        }
        for (name, stat) in TARGET_HEALTH_METRICS {
            let (listed, pages) = listed_metrics(client, namespace, Some(name)).await?;
            requests += pages;
            for metric in listed {
                let per_target_group = metric.dimensions().len() == 2 && dimension(&metric, "TargetGroup").is_some();
                let balancer = dimension(&metric, "LoadBalancer");
                if per_target_group && balancer.is_some_and(|b| balancers.contains(b)) {
                    metrics.push((metric, stat));
                }
            }
        }
    }
    // S3 publishes its storage metrics once a day, per storage type, and request metrics per request-metrics
    // filter: whichever exist are listed. Of the request metrics, only the whole bucket's filter is read: a
    // prefix's or a tag's counts part of the bucket.
    let mut daily: Vec<(Metric, &'static str)> = Vec::new();
    if !resources.buckets.is_empty() {
        let (listed, pages) = listed_metrics(client, "AWS/S3", None).await?;
        requests += pages;
        for metric in listed {
            let storage = S3_METRICS.iter().find(|(name, _)| metric.metric_name() == Some(name));
            let whole_bucket = dimension(&metric, "FilterId") == Some(dump::ENTIRE_BUCKET_FILTER);
            let request_metric = S3_REQUEST_METRICS.iter().find(|(name, _)| metric.metric_name() == Some(name));
            let wanted = storage.or(request_metric.filter(|_| whole_bucket));
            let bucket = dimension(&metric, "BucketName");
            if let (Some((_, stat)), Some(bucket)) = (wanted, bucket)
                && resources.buckets.contains(bucket)
            {
                daily.push((metric.clone(), stat));
            }
        }
    }

    // Whole hours only: the hour in progress would be a partial datapoint.
    let end = chrono::DurationRound::duration_trunc(end, chrono::Duration::hours(1)).unwrap_or(end);
    let mut data = MetricData::default();
    let hourly = Window { period: PERIOD_SECONDS, start: end - chrono::Duration::days(i64::from(lookback_days)), end };
    data.fetch(client, &metrics, hourly).await?;
    let days = chrono::Duration::days(i64::from(S3_LOOKBACK_DAYS));
    let daily_end = chrono::DurationRound::duration_trunc(end, chrono::Duration::days(1)).unwrap_or(end);
    data.fetch(client, &daily, Window { period: DAY_SECONDS, start: daily_end - days, end: daily_end }).await?;
    let document = dump::MetricDataDump { metric_data_queries: data.queries, metric_data_results: data.results };
    let document = serde_json::to_value(document).map_err(|e| format!("cannot encode the metrics: {e}"))?;
    Ok(FetchedMetrics { document, requests: requests + data.requests, metrics_requested: metrics.len() + daily.len() })
}

/// The period and time range of a set of queries.
#[derive(Debug, Clone, Copy)]
struct Window {
    period: i32,
    start: NaiveDateTime,
    end: NaiveDateTime,
}

/// The queries made and the results received so far, for one dump.
#[derive(Default)]
struct MetricData {
    queries: Vec<dump::MetricDataQuery>,
    results: Vec<dump::MetricDataResult>,
    requests: usize,
}

impl MetricData {
    /// Asks for `metrics` over `window`, [`MAX_QUERIES_PER_CALL`] at a time, every page.
    async fn fetch(&mut self, client: &Client, metrics: &[(Metric, &str)], window: Window) -> Result<(), String> {
        let (start_time, end_time) = (smithy_time(window.start), smithy_time(window.end));
        for batch in metrics.chunks(MAX_QUERIES_PER_CALL) {
            let first_id = self.queries.len();
            let batch_queries: Vec<MetricDataQuery> = batch
                .iter()
                .enumerate()
                .map(|(i, (metric, stat))| {
                    MetricDataQuery::builder()
                        .id(format!("q{}", first_id + i))
                        .metric_stat(
                            MetricStat::builder().metric(metric.clone()).period(window.period).stat(*stat).build(),
                        )
                        .return_data(true)
                        .build()
                })
                .collect();
            let pages = every_page!(
                client
                    .get_metric_data()
                    .set_metric_data_queries(Some(batch_queries.clone()))
                    .start_time(start_time)
                    .end_time(end_time)
                    .scan_by(ScanBy::TimestampAscending)
            )
            .map_err(|e| format!("{} failed: {}", ACTIONS[1], failure(&e)))?;
            self.requests += pages.len();
            // A series longer than one page continues on the next page under the same id.
            let mut merged: BTreeMap<String, dump::MetricDataResult> = BTreeMap::new();
            for result in pages.iter().flat_map(|p| p.metric_data_results()) {
                let id = result.id().unwrap_or_default().to_owned();
                let entry = merged.entry(id.clone()).or_insert_with(|| dump::MetricDataResult {
                    id,
                    timestamps: Vec::new(),
                    values: Vec::new(),
                    status_code: None,
                });
                entry.timestamps.extend(result.timestamps().iter().filter_map(|t| t.fmt(Format::DateTime).ok()));
                entry.values.extend_from_slice(result.values());
                entry.status_code = result.status_code().map(|s| s.as_str().to_owned());
            }
            for query in &batch_queries {
                let id = query.id().unwrap_or_default();
                self.results.push(merged.remove(id).unwrap_or_else(|| dump::MetricDataResult {
                    id: id.to_owned(),
                    timestamps: Vec::new(),
                    values: Vec::new(),
                    status_code: Some("Complete".into()),
                }));
                self.queries.push(dump_query(query));
            }
        }
        Ok(())
    }
}

/// Every metric `ListMetrics` knows in `namespace` (of `name`, when given), each once whatever the reply
/// repeats (moto lists one entry per datapoint), and the pages it took.
async fn listed_metrics(client: &Client, namespace: &str, name: Option<&str>) -> Result<(Vec<Metric>, usize), String> {
    let pages = every_page!(client.list_metrics().namespace(namespace).set_metric_name(name.map(str::to_owned)))
        .map_err(|e| format!("{} failed: {}", ACTIONS[0], failure(&e)))?;
    let mut seen = BTreeSet::new();
    let mut metrics = Vec::new();
    for metric in pages.iter().flat_map(|p| p.metrics()) {
        let mut key: Vec<(String, String)> = metric
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap_or_default().to_owned(), d.value().unwrap_or_default().to_owned()))
            .collect();
        key.sort_unstable();
        if seen.insert((metric.metric_name().unwrap_or_default().to_owned(), key)) {
            metrics.push(metric.clone());
        }
    }
    Ok((metrics, pages.len()))
}

/// The value of dimension `name` of `metric`.
fn dimension<'m>(metric: &'m Metric, name: &str) -> Option<&'m str> {
    metric.dimensions().iter().find(|d| d.name() == Some(name)).and_then(|d| d.value())
}

fn smithy_time(t: NaiveDateTime) -> DateTime {
    DateTime::from_secs(t.and_utc().timestamp())
}

fn dump_query(query: &MetricDataQuery) -> dump::MetricDataQuery {
    let stat = query.metric_stat().map(|s| {
        let metric = s.metric();
        dump::MetricStat {
            metric: dump::Metric {
                namespace: metric.and_then(|m| m.namespace()).unwrap_or_default().to_owned(),
                metric_name: metric.and_then(|m| m.metric_name()).unwrap_or_default().to_owned(),
                dimensions: metric
                    .map(|m| m.dimensions())
                    .unwrap_or_default()
                    .iter()
                    .map(|d| dump::Dimension {
                        name: d.name().unwrap_or_default().to_owned(),
                        value: d.value().unwrap_or_default().to_owned(),
                    })
                    .collect(),
            },
            period: i64::from(s.period().unwrap_or(PERIOD_SECONDS)),
            stat: s.stat().unwrap_or_default().to_owned(),
        }
    });
    dump::MetricDataQuery { id: query.id().unwrap_or_default().to_owned(), metric_stat: stat, expression: None }
}
