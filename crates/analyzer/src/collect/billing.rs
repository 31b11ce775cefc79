//! Billing for a collection: the CUR 2.0 export straight from its S3
//! bucket, or, without one, Cost Explorer.
//!
//! The export's files are downloaded as they are and imported by the same
//! reader as `costwise import`, so a live collection and a folder of
//! downloaded parts give the same `costs` table. Which files: the billing
//! periods that overlap the lookback (a CUR 2.0 `BILLING_PERIOD=2026-11`
//! folder, a legacy CUR `20261101-20261201` folder or a `year=2026/month=11`
//! partition), and within a period only the newest delivery when the export
//! keeps every version ("create new" mode puts each delivery in its own
//! folder; importing two would count the month twice). `metadata/` folders
//! and manifests are not billing data and are left in the bucket.
//!
//! Cost Explorer is the fallback when no export is configured: one
//! `GetCostAndUsage` query per account (daily, by service and region,
//! filtered to the account), each page billed at $0.01. Its dump is the
//! importer's `get-cost-and-usage.json`.

// `|p| p.contents()` reads better than the SDK's fully qualified paths.
#![allow(clippy::redundant_closure_for_method_calls)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity, GroupDefinition, GroupDefinitionType,
};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::failure;
use crate::ingest::cost_explorer::{GROUP_BY, METRICS};
use crate::ingest::export::ExportLocation;

/// The IAM actions reading the export needs (on its bucket only; see `docs/iam-policy.json`).
pub(super) const EXPORT_ACTIONS: [&str; 2] = ["s3:ListBucket", "s3:GetObject"];

/// The Cost Explorer action.
pub(super) const COST_EXPLORER_ACTION: &str = "ce:GetCostAndUsage";

/// What one Cost Explorer request costs, in USD.
pub const DOLLARS_PER_COST_EXPLORER_REQUEST: f64 = 0.01;

/// One object of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExportObject {
    pub(super) key: String,
    pub(super) last_modified: i64,
}

/// A billing period, `[start, end)`.
type Period = (NaiveDate, NaiveDate);

/// One delivery folder of an export: when it was last written, and its files.
type Delivery<'a> = (i64, Vec<&'a str>);

/// The partition folder a key is in (`cur/e/data/BILLING_PERIOD=2026-11`) and its billing period as
/// `[start, end)`; `None` when the key is in none (then it is always read).
fn period_of(key: &str) -> Option<(String, Period)> {
    let month = |year: i32, month: u32| {
        let start = NaiveDate::from_ymd_opt(year, month, 1)?;
        let end = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some((start, end))
    };
    let parts: Vec<&str> = key.split('/').collect();
    let through = |last: usize| parts[..=last].join("/");
    for (i, part) in parts.iter().enumerate() {
        if let Some(value) = part.strip_prefix("BILLING_PERIOD=") {
            let (year, month_number) = value.split_once('-')?;
            return Some((through(i), month(year.parse().ok()?, month_number.parse().ok()?)?));
        }
        if let Some((start, end)) = part.split_once('-')
            && start.len() == 8
            && end.len() == 8
            && let (Ok(start), Ok(end)) =
                (NaiveDate::parse_from_str(start, "%Y%m%d"), NaiveDate::parse_from_str(end, "%Y%m%d"))
        {
            return Some((through(i), (start, end)));
        }
        if let (Some(year), Some(next)) = (part.strip_prefix("year="), parts.get(i + 1))
            && let Some(month_number) = next.strip_prefix("month=")
        {
            return Some((through(i + 1), month(year.parse().ok()?, month_number.parse().ok()?)?));
        }
    }
    None
}

/// Whether a key is a billing data file (not a manifest, not metadata, not a folder marker).
fn is_data_file(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    let data = [".parquet", ".csv", ".csv.gz"].iter().any(|s| name.len() > s.len() && name.ends_with(s));
    data && !key.split('/').any(|part| part == "metadata")
}

/// The export files to read: data files of the periods overlapping `[from, to)`, the newest delivery of each.
pub(super) fn select_export_files(objects: &[ExportObject], from: NaiveDate, to: NaiveDate) -> Vec<String> {
    // Per partition, per delivery folder in it: the files and when the folder was last written.
    let mut periods: BTreeMap<Option<String>, BTreeMap<&str, Delivery<'_>>> = BTreeMap::new();
    for object in objects.iter().filter(|o| is_data_file(&o.key)) {
        let partition = period_of(&object.key);
        if partition.as_ref().is_some_and(|(_, (start, end))| *end <= from || *start >= to) {
            continue;
        }
        let period = partition.map(|(folder, _)| folder);
        let folder = object.key.rsplit_once('/').map_or("", |(folder, _)| folder);
        let delivery = periods.entry(period).or_default().entry(folder).or_insert((i64::MIN, Vec::new()));
        delivery.0 = delivery.0.max(object.last_modified);
        delivery.1.push(&object.key);
    }
    let mut keys: Vec<String> = Vec::new();
    for (period, deliveries) in periods {
        if period.is_none() {
            // Files outside any partition folder: every one is read.
            keys.extend(deliveries.values().flat_map(|(_, files)| files.iter().map(|k| (*k).to_owned())));
        } else if let Some((_, files)) = deliveries.values().max_by_key(|(written, _)| *written) {
            keys.extend(files.iter().map(|k| (*k).to_owned()));
        }
    }
    keys.sort();
    keys
}

/// Downloads the export's files for `[from, to)` into `dir` (keys relative to the prefix), returning how many
/// files and how many requests it took.
pub(super) async fn download_export(
    client: &aws_sdk_s3::Client,
    location: &ExportLocation,
    from: NaiveDate,
    to: NaiveDate,
    dir: &Path,
) -> Result<(usize, usize), String> {
    let pages = every_page!(client.list_objects_v2().bucket(&location.bucket).prefix(&location.prefix))
        .map_err(|e| format!("s3:ListBucket on {location} failed: {}", failure(&e)))?;
    let mut requests = pages.len();
    let objects: Vec<ExportObject> = pages
        .iter()
        .flat_map(|p| p.contents())
        .filter_map(|o| {
            Some(ExportObject { key: o.key()?.to_owned(), last_modified: o.last_modified().map_or(0, |t| t.secs()) })
        })
        .collect();
    let keys = select_export_files(&objects, from, to);
    if keys.is_empty() {
        return Err(format!(
            "no billing data files (.parquet, .csv.gz) for {from} to {to} under {location} ({} object(s) listed); \
             check the export's bucket and prefix",
            objects.len()
        ));
    }
    for key in &keys {
        requests += 1;
        let relative = key.strip_prefix(&location.prefix).unwrap_or(key).trim_start_matches('/');
        let path =
            safe_join(dir, relative).ok_or_else(|| format!("s3://{}/{key}: unsafe object key", location.bucket))?;
        download(client, &location.bucket, key, &path).await?;
    }
    Ok((keys.len(), requests))
}

/// `dir/relative` when `relative` stays inside `dir` (no `..`, no absolute parts).
fn safe_join(dir: &Path, relative: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in relative.split('/').filter(|p| !p.is_empty()) {
        if part == ".." || part == "." || part.contains('\\') {
            return None;
        }
        path.push(part);
    }
    (path != dir).then_some(path)
}

async fn download(client: &aws_sdk_s3::Client, bucket: &str, key: &str, path: &Path) -> Result<(), String> {
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| format!("s3:GetObject on s3://{bucket}/{key} failed: {}", failure(&e)))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut body = object.body;
    while let Some(chunk) =
        body.try_next().await.map_err(|e| format!("reading s3://{bucket}/{key} was interrupted: {e}"))?
    {
        file.write_all(&chunk).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    file.sync_all().map_err(|e| format!("{}: {e}", path.display()))
}

/// The days of billing a collection reads: the lookback, and at least the whole month so far, so the
/// month-to-date figure is complete. Whole days only: today's costs are still arriving.
pub(super) fn billing_window(created_at: NaiveDateTime, lookback_days: u32) -> (NaiveDate, NaiveDate) {
    let to = created_at.date();
    let month_start = to.with_day(1).unwrap_or(to);
    let from = (to - Duration::days(i64::from(lookback_days.max(1)))).min(month_start);
    (from, to)
}

/// One account's daily cost by service and region from Cost Explorer, as `get-cost-and-usage.json`, and the
/// requests it took (each billed).
pub(super) async fn cost_and_usage(
    client: &aws_sdk_costexplorer::Client,
    account: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Value, usize), String> {
    let period = DateInterval::builder()
        .start(from.format("%Y-%m-%d").to_string())
        .end(to.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| format!("{COST_EXPLORER_ACTION}: {e}"))?;
    let only_this_account = Expression::builder()
        .dimensions(DimensionValues::builder().key(Dimension::LinkedAccount).values(account).build())
        .build();
    let mut results = Vec::new();
    let mut token: Option<String> = None;
    let mut requests = 0;
    loop {
        let mut request = client
            .get_cost_and_usage()
            .time_period(period.clone())
            .granularity(Granularity::Daily)
            .filter(only_this_account.clone())
            .set_next_page_token(token.take());
        for metric in METRICS {
            request = request.metrics(metric);
        }
        for key in GROUP_BY {
            request =
                request.group_by(GroupDefinition::builder().r#type(GroupDefinitionType::Dimension).key(key).build());
        }
        requests += 1;
        let reply = request.send().await.map_err(|e| format!("{COST_EXPLORER_ACTION} failed: {}", failure(&e)))?;
        for result in reply.results_by_time() {
            let groups: Vec<Value> = result
                .groups()
                .iter()
                .map(|group| {
                    let metrics: serde_json::Map<String, Value> = group
                        .metrics()
                        .into_iter()
                        .flatten()
                        .map(|(name, value)| (name.clone(), json!({"Amount": value.amount(), "Unit": value.unit()})))
                        .collect();
                    json!({"Keys": group.keys(), "Metrics": metrics})
                })
                .collect();
            let interval = result.time_period();
            results.push(json!({
                "TimePeriod": {"Start": interval.map(DateInterval::start), "End": interval.map(DateInterval::end)},
                "Groups": groups,
                "Estimated": result.estimated(),
            }));
        }
        match reply.next_page_token().filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    let definitions: Vec<Value> = GROUP_BY.iter().map(|key| json!({"Type": "DIMENSION", "Key": key})).collect();
    Ok((json!({"GroupDefinitions": definitions, "ResultsByTime": results}), requests))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, last_modified: i64) -> ExportObject {
        ExportObject { key: key.to_owned(), last_modified }
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_periods_in_the_window_are_read_and_only_the_newest_delivery_of_each() {
        let objects = [
            object("cur/e/data/BILLING_PERIOD=2026-09/e-00001.snappy.parquet", 1),
            object("cur/e/data/BILLING_PERIOD=2026-10/e-00001.snappy.parquet", 2),
            object("cur/e/data/BILLING_PERIOD=2026-10/e-00002.snappy.parquet", 2),
            object("cur/e/metadata/BILLING_PERIOD=2026-10/e-Manifest.json", 2),
            // "Create new" mode: two deliveries of November; the later one wins.
            object("cur/e/data/BILLING_PERIOD=2026-11/20261125T0000-a/e-00001.snappy.parquet", 10),
            object("cur/e/data/BILLING_PERIOD=2026-11/20261126T0000-b/e-00001.snappy.parquet", 20),
            object("cur/e/data/BILLING_PERIOD=2026-11/20261126T0000-b/e-00002.snappy.parquet", 19),
            object("legacy/r/20261101-20261201/r-1.csv.gz", 5),
            object("legacy/r/20260801-20260901/r-1.csv.gz", 5),
            object("athena/r/year=2026/month=11/r-1.parquet", 5),
            object("athena/r/year=2026/month=7/r-1.parquet", 5),
            object("loose/part-1.csv.gz", 5),
            object("cur/e/data/", 5),
        ];
        let keys = select_export_files(&objects, date("2026-10-28"), date("2026-11-27"));
        assert_eq!(
            keys,
            [
                "athena/r/year=2026/month=11/r-1.parquet",
                "cur/e/data/BILLING_PERIOD=2026-10/e-00001.snappy.parquet",
                "cur/e/data/BILLING_PERIOD=2026-10/e-00002.snappy.parquet",
                "cur/e/data/BILLING_PERIOD=2026-11/20261126T0000-b/e-00001.snappy.parquet",
                "cur/e/data/BILLING_PERIOD=2026-11/20261126T0000-b/e-00002.snappy.parquet",
                "legacy/r/20261101-20261201/r-1.csv.gz",
                "loose/part-1.csv.gz",
            ]
        );
    }

    #[test]
    fn the_billing_window_covers_the_lookback_and_the_month_so_far() {
        let at = |d: &str| date(d).and_hms_opt(15, 0, 0).unwrap();
        assert_eq!(billing_window(at("2026-11-27"), 30), (date("2026-10-28"), date("2026-11-27")));
        assert_eq!(billing_window(at("2026-11-27"), 7), (date("2026-11-01"), date("2026-11-27")));
    }

    #[test]
    fn object_keys_cannot_escape_the_download_directory() {
        let dir = Path::new("/tmp/x");
        assert_eq!(safe_join(dir, "a/b.parquet"), Some(PathBuf::from("/tmp/x/a/b.parquet")));
        assert_eq!(safe_join(dir, "a/../../etc/passwd"), None);
        assert_eq!(safe_join(dir, ""), None);
    }
}
