//! One profile per S3 bucket: what it stores by class, how it grows, how
//! often it is read, and what its lifecycle rules already do, assembled from
//! the inventory, CloudWatch and the CUR so the storage rules share one
//! reading of the data.
//!
//! Sources, in order of preference:
//! - bytes by storage class and object counts: CloudWatch daily storage
//!   metrics (`AWS/S3` `BucketSizeBytes/<StorageType>`,
//!   `NumberOfObjects/AllStorageTypes`);
//! - reads: the CUR's GET requests for the bucket (`Requests-Tier2`,
//!   `Requests-SIA-Tier2`, ... — every class's Tier 2), else CloudWatch
//!   request metrics (`GetRequests`); bytes read: CloudWatch
//!   `BytesDownloaded` when collected, else GET requests × average object size;
//! - writes: the CUR's `Requests-*Tier1` lines whose operation creates an
//!   object (`PutObject`, `CopyObject`, `CompleteMultipartUpload`, `PostObject`);
//! - noncurrent-version and incomplete-multipart-upload bytes: S3 Storage
//!   Lens metrics published to CloudWatch (`AWS/S3/Storage-Lens`);
//! - lifecycle rules, versioning, Intelligent-Tiering configurations: the
//!   `buckets` table.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use polars::prelude::*;

use super::lifecycle::CurrentRules;
use super::tiering::Workload;
use crate::error::{PolarsResultExt, Result};
use crate::metrics;
use crate::prices::{Price, PriceBook, PriceSource};
use crate::rules::columns::{floats, ints, strings, times};
use crate::rules::parse_tags;
use crate::{Dataset, Table};

/// Bytes in a GiB.
pub const BYTES_PER_GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// CloudWatch storage type of S3 Standard.
pub const STANDARD_STORAGE: &str = "StandardStorage";
/// CloudWatch namespace S3 Storage Lens publishes to.
pub const STORAGE_LENS_NAMESPACE: &str = "AWS/S3/Storage-Lens";
/// Storage Lens: bytes of noncurrent object versions.
pub const NONCURRENT_BYTES: &str = "NonCurrentVersionStorageBytes";
/// Storage Lens: bytes of incomplete multipart uploads.
pub const INCOMPLETE_MPU_BYTES: &str = "IncompleteMultipartUploadStorageBytes";
/// Storage Lens: bytes of incomplete multipart uploads started more than 7 days ago.
pub const INCOMPLETE_MPU_BYTES_OVER_7_DAYS: &str = "IncompleteMPUStorageBytesOlderThan7Days";
/// Price-book key of the S3 Standard storage rate (first 50 TB).
pub const STANDARD_RATE_KEY: &str = "s3.storage_gb_month.standard_first_50tb";
/// CUR operations that create an object.
const OBJECT_WRITES: [&str; 4] = ["PutObject", "CopyObject", "CompleteMultipartUpload", "PostObject"];
/// Deletion-based lifetimes longer than this are read as "kept".
const MAX_CHURN_LIFETIME_DAYS: f64 = 3650.0;

/// Everything the storage rules know about one bucket.
#[derive(Debug, Clone, Default)]
pub struct BucketProfile {
    /// Owning account.
    pub account_id: String,
    /// Region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `Enabled`, `Suspended` or none.
    pub versioning: Option<String>,
    /// Number of enabled lifecycle rules, when collected.
    pub lifecycle_rule_count: Option<i64>,
    /// The lifecycle rules, when the snapshot has them.
    pub lifecycle: Option<CurrentRules>,
    /// Why the snapshot's lifecycle rules could not be read.
    pub lifecycle_error: Option<String>,
    /// Intelligent-Tiering archive configurations, when collected.
    pub intelligent_tiering_configs: Option<i64>,
    /// Bytes per CloudWatch storage type on the latest day reported.
    pub bytes_by_storage_type: BTreeMap<String, f64>,
    /// Day of those figures.
    pub storage_day: Option<NaiveDate>,
    /// GiB in S3 Standard per day over the lookback.
    pub standard_gib_daily: Vec<f64>,
    /// Objects (every class) on the latest day reported.
    pub objects: Option<f64>,
    /// Objects on the first day reported in the lookback.
    pub objects_first: Option<f64>,
    /// Days between the first and latest object counts.
    pub objects_span_days: f64,
    /// Net change of Standard bytes per day (least-squares slope), GiB.
    pub standard_growth_gib_per_day: f64,
    /// GET requests a month, when known.
    pub gets_per_month: Option<f64>,
    /// Where the GET count comes from.
    pub gets_source: &'static str,
    /// GiB downloaded a month (CloudWatch `BytesDownloaded`), when collected.
    pub downloaded_gib_per_month: Option<f64>,
    /// Object-creating requests a month (CUR), when known.
    pub object_writes_per_month: Option<f64>,
    /// Days of access history (the span of the bucket's billing or request data).
    pub history_days: f64,
    /// Noncurrent-version bytes (Storage Lens, latest day).
    pub noncurrent_bytes: Option<f64>,
    /// Noncurrent-version GiB per day reported over the lookback (Storage Lens), oldest first.
    pub noncurrent_gib_daily: Vec<f64>,
    /// Net change of noncurrent-version bytes per day (least-squares slope over the lookback), GiB.
    pub noncurrent_growth_gib_per_day: f64,
    /// Incomplete multipart upload bytes (Storage Lens, latest day).
    pub incomplete_mpu_bytes: Option<f64>,
    /// Incomplete multipart upload bytes older than 7 days (Storage Lens, latest day).
    pub incomplete_mpu_bytes_over_7_days: Option<f64>,
    /// Billed S3 Standard storage in the CUR window: (GB-months a month, USD a month).
    pub standard_billed: Option<(f64, f64)>,
}

impl BucketProfile {
    /// Bytes in every class.
    pub fn total_bytes(&self) -> f64 {
        self.bytes_by_storage_type.values().sum()
    }

    /// Bytes in S3 Standard.
    pub fn standard_bytes(&self) -> f64 {
        self.bytes_by_storage_type.get(STANDARD_STORAGE).copied().unwrap_or(0.0)
    }

    /// Bytes in Intelligent-Tiering (any tier).
    pub fn intelligent_tiering_bytes(&self) -> f64 {
        self.bytes_by_storage_type.iter().filter(|(t, _)| t.starts_with("IntelligentTiering")).map(|(_, b)| b).sum()
    }

    /// Objects in Standard, assuming every class holds objects of the bucket's average size.
    pub fn standard_objects(&self) -> Option<f64> {
        let total = self.total_bytes();
        self.objects.filter(|_| total > 0.0).map(|objects| objects * self.standard_bytes() / total)
    }

    /// The effective Standard rate the bucket is billed, $/GB-month, when the CUR has it.
    pub fn billed_standard_rate(&self) -> Option<f64> {
        self.standard_billed.filter(|(gb, _)| *gb > 0.0).map(|(gb, cost)| cost / gb)
    }

    /// The S3 Standard rate for the bucket, $/GB-month: its billed CUR rate
    /// when present, else the price book's (`s3.storage_gb_month.standard_first_50tb`
    /// for its region); `None` when neither is known.
    pub fn standard_rate(&self, prices: &PriceBook) -> Option<Price> {
        if let Some(rate) = self.billed_standard_rate() {
            return Some(Price {
                value: rate,
                source: PriceSource::billed(format!(
                    "the bucket's billed S3 Standard rate in the CUR (TimedStorage-ByteHrs): ${rate:.5}/GB-month"
                )),
            });
        }
        prices.list_price(&self.region, STANDARD_RATE_KEY)
    }

    /// Why the bucket's lifecycle rules are not known well enough to add a
    /// rule to them (`what` says what an unseen rule may already do), or
    /// `None` when they are: the snapshot has them, or says there are none.
    ///
    /// `put-bucket-lifecycle-configuration` replaces every rule, so a
    /// recommendation must carry the current ones over.
    pub fn lifecycle_unknown(&self, what: &str) -> Option<String> {
        if let Some(error) = &self.lifecycle_error {
            return Some(error.clone());
        }
        if self.lifecycle.is_some() {
            return None;
        }
        match self.lifecycle_rule_count {
            Some(0) => None,
            Some(count) => Some(format!(
                "has {count} lifecycle rule(s) the snapshot does not show (collect get-bucket-lifecycle-configuration): {what}"
            )),
            None => Some(format!(
                "its lifecycle rules were not collected (buckets.lifecycle_rules): {what}, and put-bucket-lifecycle-configuration replaces every rule"
            )),
        }
    }

    /// How long objects live, in days: the shortest whole-bucket expiration
    /// rule, or the bucket's churn (objects ÷ deletions a day, where
    /// deletions = object writes − net object growth); `None` when kept.
    pub fn lifetime_days(&self) -> Option<f64> {
        let expiration = self.lifecycle.as_ref().and_then(|l| l.expiration_days).map(f64::from);
        let churn = self.deletions_per_day().and_then(|deleted| {
            let objects = self.objects?;
            let lifetime = objects / deleted;
            (lifetime < MAX_CHURN_LIFETIME_DAYS).then_some(lifetime)
        });
        match (expiration, churn) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Objects deleted (or overwritten) a day, when writes and counts are both known.
    fn deletions_per_day(&self) -> Option<f64> {
        let writes = self.object_writes_per_month? * 12.0 / 365.0;
        let (first, last) = (self.objects_first?, self.objects?);
        if self.objects_span_days < 1.0 {
            return None;
        }
        let deleted = writes - (last - first) / self.objects_span_days;
        (deleted > 0.0).then_some(deleted)
    }

    /// The tiering model's input for the Standard data, or why there is none.
    pub fn standard_workload(&self) -> std::result::Result<Workload, String> {
        let standard_gib = self.standard_bytes() / BYTES_PER_GIB;
        let objects = self.standard_objects().ok_or("object counts (NumberOfObjects) were not collected")?;
        if objects <= 0.0 {
            return Err("no objects reported in S3 Standard".into());
        }
        let gets = self.gets_per_month.ok_or(
            "no request data: the CUR has no lines for the bucket and CloudWatch request metrics were not collected",
        )?;
        let object_gib = standard_gib / objects;
        let lifetime = self.lifetime_days();
        // Deletions: the observed churn, and at least what the lifetime implies at steady state
        // (standard ÷ lifetime a day, the uniform ages `Workload::younger_than` assumes) when only
        // an expiration rule says how long objects live.
        let deleted_gib_per_day = (self.deletions_per_day().unwrap_or(0.0) * object_gib)
            .max(lifetime.filter(|days| *days > 0.0).map_or(0.0, |days| standard_gib / days));
        Ok(Workload {
            standard_gib,
            standard_objects: objects,
            written_gib_per_day: self.standard_growth_gib_per_day.max(0.0) + deleted_gib_per_day,
            lifetime_days: lifetime,
            gets_per_month: gets,
            read_gib_per_month: self.downloaded_gib_per_month.unwrap_or(gets * object_gib),
            census: None,
        })
    }
}

/// Loads a profile for every bucket in the inventory (buckets only seen in
/// the CUR or CloudWatch are not profiled: their region and settings are unknown).
pub fn load(dataset: &Dataset, lookback_days: u32, hours_per_month: f64) -> Result<Vec<BucketProfile>> {
    let Some(buckets) = dataset.table(Table::Buckets) else { return Ok(Vec::new()) };
    let context = "s3 buckets";
    let frame = buckets.collect().during(|| format!("{context}: reading"))?;
    let account = strings(&frame, "account_id", context)?;
    let region = strings(&frame, "region", context)?;
    let name = strings(&frame, "bucket", context)?;
    let tags = strings(&frame, "tags", context)?;
    let rule_count = optional(&frame, "lifecycle_rule_count", |f, c| ints(f, c, context))?;
    let it_configs = optional(&frame, "intelligent_tiering_configs", |f, c| ints(f, c, context))?;
    let versioning = optional(&frame, "versioning", |f, c| strings(f, c, context))?;
    let rules = optional(&frame, "lifecycle_rules", |f, c| strings(f, c, context))?;

    let end = dataset.as_of();
    let start = end - Duration::days(i64::from(lookback_days));
    let storage = StorageMetrics::load(dataset, start, end)?;
    let usage = CurUsage::load(dataset, start, end, hours_per_month)?;
    let requests = RequestMetrics::load(dataset, start, end, hours_per_month)?;

    let mut out = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let (Some(account), Some(bucket)) = (account.get(i), name.get(i)) else { continue };
        let mut profile = BucketProfile {
            account_id: account.to_owned(),
            region: region.get(i).unwrap_or_default().to_owned(),
            bucket: bucket.to_owned(),
            tags: parse_tags(tags.get(i)),
            versioning: versioning.as_ref().and_then(|v| v.get(i)).map(str::to_owned),
            lifecycle_rule_count: rule_count.as_ref().and_then(|c| c.get(i)),
            intelligent_tiering_configs: it_configs.as_ref().and_then(|c| c.get(i)),
            gets_source: "",
            ..BucketProfile::default()
        };
        if let Some(json) = rules.as_ref().and_then(|r| r.get(i)) {
            match CurrentRules::parse(json) {
                Ok(current) => profile.lifecycle = Some(current),
                Err(e) => profile.lifecycle_error = Some(format!("buckets.lifecycle_rules of `{bucket}`: {e}")),
            }
        }
        storage.fill(&mut profile);
        let billed = usage.by_bucket.get(&(account.to_owned(), bucket.to_owned()));
        if let Some(b) = billed {
            profile.gets_per_month = Some(b.gets * b.scale);
            profile.gets_source = "CUR GET requests (Requests-*Tier2)";
            profile.object_writes_per_month = b.has_operations.then_some(b.writes * b.scale);
            profile.history_days = b.days;
            if b.standard_gb_month > 0.0 {
                profile.standard_billed = Some((b.standard_gb_month * b.scale, b.standard_cost * b.scale));
            }
        } else if let Some((gets, days)) = requests.gets.get(bucket) {
            profile.gets_per_month = Some(*gets);
            profile.gets_source = "CloudWatch GetRequests";
            profile.history_days = *days;
        }
        profile.downloaded_gib_per_month = requests.downloaded_gib.get(bucket).copied();
        out.push(profile);
    }
    Ok(out)
}

/// Whether the snapshot has any S3 Storage Lens datapoint (noncurrent-version
/// or incomplete-multipart-upload bytes) for any of `profiles`.
///
/// Series of zeros are commonly not published or not exported, so once Storage
/// Lens was collected for some bucket, a bucket without datapoints is read as
/// having no such bytes; when no bucket has any, the metrics were not
/// collected and nothing can be said about any bucket.
pub fn storage_lens_collected(profiles: &[BucketProfile]) -> bool {
    profiles.iter().any(|p| {
        p.noncurrent_bytes.is_some() || p.incomplete_mpu_bytes.is_some() || p.incomplete_mpu_bytes_over_7_days.is_some()
    })
}

/// Why a bucket without Storage Lens datapoints for `metric` cannot be
/// judged, or `None` when the missing datapoints mean it has no such bytes
/// (Storage Lens was collected for other buckets and nothing failed in its
/// account and region).
pub fn missing_storage_lens(
    dataset: &Dataset,
    profile: &BucketProfile,
    lens_collected: bool,
    metric: &str,
) -> Option<String> {
    if let Some(gap) = metrics::data_gap(dataset, Table::Metrics, &profile.account_id, &profile.region) {
        return Some(format!("metrics collection failed in {} ({}): {gap}", profile.region, profile.account_id));
    }
    (!lens_collected)
        .then(|| format!("S3 Storage Lens metrics ({STORAGE_LENS_NAMESPACE}, {metric}) were not collected"))
}

fn optional<T>(frame: &DataFrame, column: &str, read: impl Fn(&DataFrame, &str) -> Result<T>) -> Result<Option<T>> {
    if frame.schema().contains(column) { read(frame, column).map(Some) } else { Ok(None) }
}

/// Daily storage metrics per bucket: `(metric, day) → value`.
struct StorageMetrics {
    by_bucket: HashMap<String, BTreeMap<(String, NaiveDate), f64>>,
}

impl StorageMetrics {
    fn load(dataset: &Dataset, start: NaiveDateTime, end: NaiveDateTime) -> Result<Self> {
        let mut by_bucket: HashMap<String, BTreeMap<(String, NaiveDate), f64>> = HashMap::new();
        let Some(metrics) = dataset.table(Table::Metrics) else { return Ok(Self { by_bucket }) };
        let context = "s3 storage metrics";
        let storage = col("namespace").eq(lit("AWS/S3")).and(
            col("metric")
                .str()
                .starts_with(lit("BucketSizeBytes/"))
                .or(col("metric").str().starts_with(lit("NumberOfObjects/"))),
        );
        let lens = col("namespace").eq(lit(STORAGE_LENS_NAMESPACE));
        let rolled = metrics
            .filter(
                storage
                    .or(lens)
                    .and(col("statistic").eq(lit("Average")))
                    .and(col("period_start").gt_eq(lit(start)))
                    .and(col("period_start").lt(lit(end))),
            )
            .group_by([col("resource_id"), col("metric"), col("period_start").dt().truncate(lit("1d")).alias("day")])
            .agg([col("value").mean().alias("value")])
            .collect()
            .during(|| format!("{context}: daily values"))?;
        let resource = strings(&rolled, "resource_id", context)?;
        let metric = strings(&rolled, "metric", context)?;
        let day = times(&rolled, "day", context)?;
        let value = floats(&rolled, "value", context)?;
        for (i, day) in day.iter().enumerate() {
            let (Some(r), Some(m), Some(d), Some(v)) = (resource.get(i), metric.get(i), *day, value.get(i)) else {
                continue;
            };
            by_bucket.entry(r.to_owned()).or_default().insert((m.to_owned(), d.date()), v);
        }
        Ok(Self { by_bucket })
    }

    fn fill(&self, profile: &mut BucketProfile) {
        let Some(values) = self.by_bucket.get(&profile.bucket) else { return };
        let latest = |metric: &str| {
            values.iter().filter(|((m, _), _)| m == metric).max_by_key(|((_, d), _)| *d).map(|((_, d), v)| (*d, *v))
        };
        let mut latest_day = None;
        for (metric, _) in values.keys() {
            if let Some(storage_type) = metric.strip_prefix("BucketSizeBytes/")
                && !profile.bytes_by_storage_type.contains_key(storage_type)
                && let Some((day, bytes)) = latest(metric)
            {
                profile.bytes_by_storage_type.insert(storage_type.to_owned(), bytes);
                latest_day = latest_day.max(Some(day));
            }
        }
        profile.storage_day = latest_day;
        let standard = format!("BucketSizeBytes/{STANDARD_STORAGE}");
        let series: Vec<(NaiveDate, f64)> =
            values.iter().filter(|((m, _), _)| *m == standard).map(|((_, d), v)| (*d, *v / BYTES_PER_GIB)).collect();
        profile.standard_gib_daily = series.iter().map(|(_, v)| *v).collect();
        profile.standard_growth_gib_per_day = slope(&series);
        let objects = "NumberOfObjects/AllStorageTypes";
        let counts: Vec<(NaiveDate, f64)> =
            values.iter().filter(|((m, _), _)| m == objects).map(|((_, d), v)| (*d, *v)).collect();
        if let (Some(first), Some(last)) = (counts.first(), counts.last()) {
            profile.objects = Some(last.1);
            profile.objects_first = Some(first.1);
            profile.objects_span_days = (last.0 - first.0).num_days() as f64;
        }
        profile.noncurrent_bytes = latest(NONCURRENT_BYTES).map(|(_, v)| v);
        let noncurrent: Vec<(NaiveDate, f64)> = values
            .iter()
            .filter(|((m, _), _)| m == NONCURRENT_BYTES)
            .map(|((_, d), v)| (*d, *v / BYTES_PER_GIB))
            .collect();
        profile.noncurrent_gib_daily = noncurrent.iter().map(|(_, v)| *v).collect();
        profile.noncurrent_growth_gib_per_day = slope(&noncurrent);
        profile.incomplete_mpu_bytes = latest(INCOMPLETE_MPU_BYTES).map(|(_, v)| v);
        profile.incomplete_mpu_bytes_over_7_days = latest(INCOMPLETE_MPU_BYTES_OVER_7_DAYS).map(|(_, v)| v);
    }
}

/// Least-squares slope of a daily series, per day.
fn slope(series: &[(NaiveDate, f64)]) -> f64 {
    if series.len() < 2 {
        return 0.0;
    }
    let origin = series[0].0;
    let n = series.len() as f64;
    let xs: Vec<f64> = series.iter().map(|(d, _)| (*d - origin).num_days() as f64).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = series.iter().map(|(_, v)| v).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (x, (_, y)) in xs.iter().zip(series) {
        num += (x - mean_x) * (y - mean_y);
        den += (x - mean_x) * (x - mean_x);
    }
    if den > 0.0 { num / den } else { 0.0 }
}

/// A bucket's S3 usage in the CUR window.
#[derive(Debug, Default)]
struct BucketUsage {
    gets: f64,
    writes: f64,
    has_operations: bool,
    standard_gb_month: f64,
    standard_cost: f64,
    days: f64,
    scale: f64,
}

struct CurUsage {
    by_bucket: HashMap<(String, String), BucketUsage>,
}

impl CurUsage {
    fn load(dataset: &Dataset, start: NaiveDateTime, end: NaiveDateTime, hours_per_month: f64) -> Result<Self> {
        let mut by_bucket: HashMap<(String, String), BucketUsage> = HashMap::new();
        let Some(costs) = dataset.table(Table::Costs) else { return Ok(Self { by_bucket }) };
        let context = "s3 usage in the CUR";
        let has_operation = costs.clone().collect_schema().during(|| context.to_owned())?.contains("operation");
        let operation = if has_operation { col("operation") } else { lit(NULL).cast(DataType::String) };
        let grouped = costs
            .filter(
                col("service")
                    .eq(lit("AmazonS3"))
                    .and(col("resource_id").is_not_null())
                    .and(col("usage_start").gt_eq(lit(start)))
                    .and(col("usage_start").lt(lit(end))),
            )
            .group_by([col("account_id"), col("resource_id"), col("usage_type"), operation.alias("operation")])
            .agg([
                col("usage_amount").sum().alias("amount"),
                col("amortized_cost").sum().alias("cost"),
                col("usage_start").min().alias("first"),
                col("usage_end").max().alias("last"),
            ])
            .collect()
            .during(|| format!("{context}: per bucket"))?;
        let account = strings(&grouped, "account_id", context)?;
        let bucket = strings(&grouped, "resource_id", context)?;
        let usage_type = strings(&grouped, "usage_type", context)?;
        let operation = strings(&grouped, "operation", context)?;
        let amount = floats(&grouped, "amount", context)?;
        let cost = floats(&grouped, "cost", context)?;
        let first = times(&grouped, "first", context)?;
        let last = times(&grouped, "last", context)?;
        let mut spans: HashMap<(String, String), (NaiveDateTime, NaiveDateTime)> = HashMap::new();
        for i in 0..grouped.height() {
            let (Some(account), Some(bucket)) = (account.get(i), bucket.get(i)) else { continue };
            let key = (account.to_owned(), bucket.to_owned());
            let entry = by_bucket.entry(key.clone()).or_default();
            let usage_type = usage_type.get(i).unwrap_or_default();
            let amount = amount.get(i).unwrap_or(0.0);
            if usage_type.ends_with("Tier2") && usage_type.contains("Requests-") {
                entry.gets += amount;
            } else if usage_type.ends_with("Tier1") && usage_type.contains("Requests-") {
                if let Some(op) = operation.get(i) {
                    entry.has_operations = true;
                    if OBJECT_WRITES.contains(&op) {
                        entry.writes += amount;
                    }
                }
            } else if usage_type.ends_with("TimedStorage-ByteHrs") {
                entry.standard_gb_month += amount;
                entry.standard_cost += cost.get(i).unwrap_or(0.0);
            }
            if let (Some(f), Some(l)) = (first[i], last[i]) {
                let span = spans.entry(key).or_insert((f, l));
                span.0 = span.0.min(f);
                span.1 = span.1.max(l);
            }
        }
        for (key, (first, last)) in spans {
            if let Some(entry) = by_bucket.get_mut(&key) {
                let hours = (last.min(end) - first.max(start)).num_seconds() as f64 / 3600.0;
                entry.days = hours / 24.0;
                entry.scale = if hours > 0.0 { hours_per_month / hours } else { 0.0 };
            }
        }
        Ok(Self { by_bucket })
    }
}

/// CloudWatch request metrics per bucket (`AWS/S3` `GetRequests`, `BytesDownloaded`, `Sum`).
struct RequestMetrics {
    /// Bucket → (GET requests a month, days reported).
    gets: HashMap<String, (f64, f64)>,
    /// Bucket → GiB downloaded a month.
    downloaded_gib: HashMap<String, f64>,
}

impl RequestMetrics {
    fn load(dataset: &Dataset, start: NaiveDateTime, end: NaiveDateTime, hours_per_month: f64) -> Result<Self> {
        let mut out = Self { gets: HashMap::new(), downloaded_gib: HashMap::new() };
        let Some(metrics) = dataset.table(Table::Metrics) else { return Ok(out) };
        let context = "s3 request metrics";
        let names = Series::new("names".into(), ["GetRequests", "BytesDownloaded"]);
        let rolled = metrics
            .filter(
                col("namespace")
                    .eq(lit("AWS/S3"))
                    .and(col("metric").is_in(lit(names).implode(false), false))
                    .and(col("statistic").eq(lit("Sum")))
                    .and(col("period_start").gt_eq(lit(start)))
                    .and(col("period_start").lt(lit(end))),
            )
            .group_by([col("resource_id"), col("metric")])
            .agg([col("value").sum().alias("value"), col("period_start").min().alias("first")])
            .collect()
            .during(|| format!("{context}: totals"))?;
        let resource = strings(&rolled, "resource_id", context)?;
        let metric = strings(&rolled, "metric", context)?;
        let value = floats(&rolled, "value", context)?;
        let first = times(&rolled, "first", context)?;
        for (i, first) in first.iter().enumerate() {
            let (Some(r), Some(m), Some(v), Some(first)) = (resource.get(i), metric.get(i), value.get(i), *first)
            else {
                continue;
            };
            // CloudWatch publishes no request datapoint for a period without
            // requests: the time base is from the first datapoint to the end of
            // the window, not the periods that happen to have datapoints.
            let hours = (end - first).num_seconds() as f64 / 3600.0;
            if hours <= 0.0 {
                continue;
            }
            let monthly = v * hours_per_month / hours;
            if m == "GetRequests" {
                out.gets.insert(r.to_owned(), (monthly, hours / 24.0));
            } else {
                out.downloaded_gib.insert(r.to_owned(), monthly / BYTES_PER_GIB);
            }
        }
        Ok(out)
    }
}

/// What a storage rule concludes about one bucket.
pub enum Verdict {
    /// Something to do.
    Finding(Box<crate::Finding>),
    /// The bucket could not be judged, and why.
    NotEnoughData(String),
    /// Nothing to do.
    Fine,
}

/// A storage rule's output from its verdict on every bucket.
pub fn rule_output(
    profiles: &[BucketProfile],
    mut judge: impl FnMut(&BucketProfile) -> Verdict,
) -> crate::rules::RuleOutput {
    let mut output = crate::rules::RuleOutput::default();
    for profile in profiles {
        match judge(profile) {
            Verdict::Finding(finding) => output.findings.push(*finding),
            Verdict::NotEnoughData(reason) => output.not_enough_data.push(crate::rules::NotEnoughData {
                account_id: profile.account_id.clone(),
                region: Some(profile.region.clone()),
                resource_id: profile.bucket.clone(),
                reason,
            }),
            Verdict::Fine => {}
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_is_the_daily_growth() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n);
        let series: Vec<_> = (0..10).map(|i| (d(i), 100.0 + 2.5 * i as f64)).collect();
        assert!((slope(&series) - 2.5).abs() < 1e-12);
        assert_eq!(slope(&series[..1]), 0.0);
    }

    #[test]
    fn storage_lens_is_collected_when_any_bucket_has_a_datapoint() {
        let none = BucketProfile::default();
        let mpu = BucketProfile { incomplete_mpu_bytes: Some(0.0), ..BucketProfile::default() };
        assert!(!storage_lens_collected(&[]));
        assert!(!storage_lens_collected(std::slice::from_ref(&none)));
        assert!(storage_lens_collected(&[none, mpu]));
    }

    #[test]
    fn lifetime_from_expiration_or_churn() {
        let mut p = BucketProfile {
            objects: Some(1000.0),
            objects_first: Some(1000.0),
            objects_span_days: 30.0,
            object_writes_per_month: Some(100.0 * 365.0 / 12.0),
            ..BucketProfile::default()
        };
        // 100 writes a day, no growth: 100 deletions a day, objects live 10 days.
        assert!((p.lifetime_days().unwrap() - 10.0).abs() < 1e-9);
        p.lifecycle = Some(CurrentRules { expiration_days: Some(7), ..CurrentRules::default() });
        assert_eq!(p.lifetime_days(), Some(7.0));
        p.lifecycle = None;
        p.object_writes_per_month = Some(0.0);
        assert_eq!(p.lifetime_days(), None);
    }
}
