//! Typed access to the columns of a collected frame, with errors that say
//! which rule and column failed.
//!
//! Rules collect a small filtered frame and then walk it row by row; these
//! helpers keep that walk free of repeated downcasting boilerplate.

use chrono::NaiveDateTime;
use polars::prelude::*;

use crate::error::{Error, PolarsResultExt};
use crate::spend::datetime_from;

/// A string column.
pub(crate) fn strings(df: &DataFrame, name: &str, context: &str) -> Result<StringChunked, Error> {
    df.column(name).and_then(|c| c.str().cloned()).during(|| format!("{context}: column `{name}`"))
}

/// An int64 column.
pub(crate) fn ints(df: &DataFrame, name: &str, context: &str) -> Result<Int64Chunked, Error> {
    df.column(name).and_then(|c| c.i64().cloned()).during(|| format!("{context}: column `{name}`"))
}

/// A float64 column.
pub(crate) fn floats(df: &DataFrame, name: &str, context: &str) -> Result<Float64Chunked, Error> {
    df.column(name).and_then(|c| c.f64().cloned()).during(|| format!("{context}: column `{name}`"))
}

/// A boolean column.
pub(crate) fn bools(df: &DataFrame, name: &str, context: &str) -> Result<BooleanChunked, Error> {
    df.column(name).and_then(|c| c.bool().cloned()).during(|| format!("{context}: column `{name}`"))
}

/// A timestamp column as UTC date-times, one per row.
pub(crate) fn times(df: &DataFrame, name: &str, context: &str) -> Result<Vec<Option<NaiveDateTime>>, Error> {
    let column =
        df.column(name).and_then(|c| c.datetime().cloned()).during(|| format!("{context}: column `{name}`"))?;
    let unit = column.time_unit();
    Ok(column.phys.iter().map(|v| v.and_then(|v| datetime_from(v, unit))).collect())
}
