//! Exact object censuses from S3 Inventory reports (`s3_objects`): how many
//! current S3 Standard objects, and how many GiB, are at least 30, 60, 90,
//! 180 or 365 days old, split at the 128 KiB lifecycle floor, per bucket and
//! per top-level prefix.
//!
//! Without an inventory the tiering model sees only a bucket's totals and
//! must assume every object has the average size and that the age profile
//! follows the write rate. With one, the counts the fees depend on — objects
//! that would move, objects too small to move, objects written in the last
//! month — are exact, and a bucket whose prefixes age differently (a `tmp/`
//! rewritten daily next to an `archive/` untouched for years) can get one
//! rule per prefix.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use polars::prelude::*;

use super::bucket::BYTES_PER_GIB;
use super::tiering::{AgeCut, Census};
use crate::error::{PolarsResultExt, Result};
use crate::rules::columns::{bools, floats, strings, times};
use crate::{Dataset, Table};

/// The lifecycle size floor, bytes (128 KiB).
const SMALL_OBJECT_BYTES: i64 = 128 * 1024;
/// Inventory rows counted per batch.
const BATCH_ROWS: usize = 2_000_000;
/// Microseconds in a day.
const MICROS_PER_DAY: f64 = 86_400e6;

/// One bucket's census.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketCensus {
    /// Bucket name.
    pub bucket: String,
    /// When the inventory was taken (ages are counted to this instant).
    pub inventory_date: NaiveDateTime,
    /// Current S3 Standard objects of the whole bucket.
    pub whole: Census,
    /// The same per top-level prefix (`logs/`; `""` for keys without a `/`).
    pub prefixes: BTreeMap<String, Census>,
}

/// Loads a census per bucket from the `s3_objects` table (empty when the snapshot has no inventory).
///
/// Counts current versions (`is_latest` true or not listed) that are not
/// delete markers and whose storage class is `STANDARD`; the newest inventory
/// date per bucket is used.
pub fn load(dataset: &Dataset) -> Result<HashMap<String, BucketCensus>> {
    let mut out: HashMap<String, BucketCensus> = HashMap::new();
    let Some(objects) = dataset.table(Table::S3Objects) else { return Ok(out) };
    let context = "s3_objects (S3 Inventory)";
    // The newest report per bucket, joined back to each batch.
    let latest = objects
        .clone()
        .group_by([col("bucket")])
        .agg([col("inventory_date").max().alias("latest")])
        .collect()
        .during(|| format!("{context}: newest report per bucket"))?;
    let rows = objects
        .clone()
        .select([len().alias("rows")])
        .collect()
        .during(|| format!("{context}: counting rows"))?
        .column("rows")
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<i64>())
        .unwrap_or(0);
    let age_days = (col("inventory_date").cast(DataType::Int64) - col("last_modified").cast(DataType::Int64))
        .cast(DataType::Float64)
        / lit(MICROS_PER_DAY);
    // `logs/` of `logs/2026/a.gz`; a struct split, not a list: no per-key allocation.
    let split = col("key").str().split_exact_inclusive(lit("/"), 1);
    let has_slash = split.clone().struct_().field_by_index(1).is_not_null();
    let prefix = when(has_slash).then(split.struct_().field_by_index(0)).otherwise(lit(""));
    // One group per (bucket, prefix, age band, small): the cuts are cumulative
    // sums of the bands, added up below, so the frame never holds a column per cut.
    let age_band = Census::CUT_DAYS
        .iter()
        .map(|&days| col("age_days").gt_eq(lit(f64::from(days))).cast(DataType::Int32))
        .reduce(|a, b| a + b)
        .expect("cut days are not empty");
    let empty = || Census { cuts: Census::CUT_DAYS.iter().map(|&days| AgeCut { days, ..AgeCut::default() }).collect() };
    // Inventories run to hundreds of millions of objects: fixed-size batches
    // (row groups are read per slice) keep memory flat whatever the size.
    for offset in (0..rows).step_by(BATCH_ROWS) {
        let grouped = objects
            .clone()
            .slice(offset, BATCH_ROWS as IdxSize)
            .join(
                latest.clone().lazy(),
                [col("bucket"), col("inventory_date")],
                [col("bucket"), col("latest")],
                JoinArgs::new(JoinType::Semi),
            )
            .filter(
                col("is_latest")
                    .fill_null(lit(true))
                    .and(col("is_delete_marker").fill_null(lit(false)).not())
                    .and(col("storage_class").eq(lit("STANDARD")))
                    .and(col("size").is_not_null()),
            )
            .with_column(age_days.clone().alias("age_days"))
            .group_by([
                col("bucket"),
                prefix.clone().alias("prefix"),
                age_band.clone().alias("age_band"),
                col("size").lt(lit(SMALL_OBJECT_BYTES)).alias("small"),
            ])
            .agg([
                len().cast(DataType::Float64).alias("objects"),
                col("size").cast(DataType::Float64).sum().alias("bytes"),
                col("inventory_date").first().alias("inventory_date"),
            ])
            .sort(["bucket", "prefix"], SortMultipleOptions::default())
            .collect()
            .during(|| format!("{context}: counting objects by age"))?;
        let bucket = strings(&grouped, "bucket", context)?;
        let prefix = strings(&grouped, "prefix", context)?;
        let band = ints32(&grouped, "age_band", context)?;
        let small = bools(&grouped, "small", context)?;
        let objects = floats(&grouped, "objects", context)?;
        let bytes = floats(&grouped, "bytes", context)?;
        let date = times(&grouped, "inventory_date", context)?;
        for (i, date) in date.iter().enumerate() {
            let (Some(name), Some(date), Some(band)) = (bucket.get(i), *date, band.get(i)) else { continue };
            let entry = out.entry(name.to_owned()).or_insert_with(|| BucketCensus {
                bucket: name.to_owned(),
                inventory_date: date,
                whole: empty(),
                prefixes: BTreeMap::new(),
            });
            let (count, gib) = (objects.get(i).unwrap_or(0.0), bytes.get(i).unwrap_or(0.0) / BYTES_PER_GIB);
            let is_small = small.get(i).unwrap_or(false);
            let part = entry.prefixes.entry(prefix.get(i).unwrap_or_default().to_owned()).or_insert_with(empty);
            // An object `band` thresholds old counts in the first `band` cuts (0 days, 30 days, ...).
            let bands = usize::try_from(band).unwrap_or(0);
            for census in [&mut entry.whole, part] {
                for cut in census.cuts.iter_mut().take(bands) {
                    cut.objects += count;
                    cut.gib += gib;
                    if is_small {
                        cut.small_objects += count;
                        cut.small_gib += gib;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// An int32 column (the age band).
fn ints32(df: &DataFrame, name: &str, context: &str) -> Result<Int32Chunked> {
    df.column(name).and_then(|c| c.i32().cloned()).during(|| format!("{context}: column `{name}`"))
}
