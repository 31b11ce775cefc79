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
use crate::rules::columns::{floats, strings, times};
use crate::{Dataset, Table};

/// The lifecycle size floor, bytes (128 KiB).
const SMALL_OBJECT_BYTES: i64 = 128 * 1024;
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
    let latest_date =
        col("inventory_date").max().over([col("bucket")]).during(|| format!("{context}: newest report per bucket"))?;
    let age_days = (col("inventory_date").cast(DataType::Int64) - col("last_modified").cast(DataType::Int64))
        .cast(DataType::Float64)
        / lit(MICROS_PER_DAY);
    let segments = col("key").str().split(lit("/"));
    let has_slash = segments.clone().list().len().gt(lit(1));
    let first_segment = segments.list().first();
    let prefix = when(has_slash).then(first_segment + lit("/")).otherwise(lit(""));
    let size = col("size").cast(DataType::Int64);
    let mut aggregations = Vec::new();
    for days in Census::CUT_DAYS {
        let old_enough = col("age_days").gt_eq(lit(f64::from(days)));
        let small = size.clone().lt(lit(SMALL_OBJECT_BYTES));
        let bytes = |filter: Expr| when(filter).then(size.clone()).otherwise(lit(0i64)).sum().cast(DataType::Float64);
        let count = |filter: Expr| when(filter).then(lit(1i64)).otherwise(lit(0i64)).sum().cast(DataType::Float64);
        aggregations.extend([
            count(old_enough.clone()).alias(format!("objects_{days}")),
            bytes(old_enough.clone()).alias(format!("bytes_{days}")),
            count(old_enough.clone().and(small.clone())).alias(format!("small_objects_{days}")),
            bytes(old_enough.and(small)).alias(format!("small_bytes_{days}")),
        ]);
    }
    aggregations.push(col("inventory_date").first().alias("inventory_date"));
    let grouped = objects
        .filter(col("inventory_date").eq(latest_date))
        .filter(
            col("is_latest")
                .fill_null(lit(true))
                .and(col("is_delete_marker").fill_null(lit(false)).not())
                .and(col("storage_class").eq(lit("STANDARD")))
                .and(col("size").is_not_null()),
        )
        .with_column(age_days.alias("age_days"))
        .group_by([col("bucket"), prefix.alias("prefix")])
        .agg(aggregations)
        .sort(["bucket", "prefix"], SortMultipleOptions::default())
        .collect()
        .during(|| format!("{context}: counting objects by age"))?;
    let bucket = strings(&grouped, "bucket", context)?;
    let prefix = strings(&grouped, "prefix", context)?;
    let date = times(&grouped, "inventory_date", context)?;
    let mut cuts: Vec<[Float64Chunked; 4]> = Vec::new();
    for days in Census::CUT_DAYS {
        cuts.push([
            floats(&grouped, &format!("objects_{days}"), context)?,
            floats(&grouped, &format!("bytes_{days}"), context)?,
            floats(&grouped, &format!("small_objects_{days}"), context)?,
            floats(&grouped, &format!("small_bytes_{days}"), context)?,
        ]);
    }
    for (i, date) in date.iter().enumerate() {
        let (Some(name), Some(date)) = (bucket.get(i), *date) else { continue };
        let census = Census {
            cuts: Census::CUT_DAYS
                .iter()
                .zip(&cuts)
                .map(|(&days, [objects, bytes, small_objects, small_bytes])| AgeCut {
                    days,
                    objects: objects.get(i).unwrap_or(0.0),
                    gib: bytes.get(i).unwrap_or(0.0) / BYTES_PER_GIB,
                    small_objects: small_objects.get(i).unwrap_or(0.0),
                    small_gib: small_bytes.get(i).unwrap_or(0.0) / BYTES_PER_GIB,
                })
                .collect(),
        };
        let entry = out.entry(name.to_owned()).or_insert_with(|| BucketCensus {
            bucket: name.to_owned(),
            inventory_date: date,
            whole: Census { cuts: Census::CUT_DAYS.iter().map(|&days| AgeCut { days, ..AgeCut::default() }).collect() },
            prefixes: BTreeMap::new(),
        });
        for (total, part) in entry.whole.cuts.iter_mut().zip(&census.cuts) {
            total.objects += part.objects;
            total.gib += part.gib;
            total.small_objects += part.small_objects;
            total.small_gib += part.small_gib;
        }
        entry.prefixes.insert(prefix.get(i).unwrap_or_default().to_owned(), census);
    }
    Ok(out)
}
