//! `manifest.json`: what a snapshot holds, where it came from and what it lacks.
//!
//! The manifest is how a report can say "billing data covers 2026-09-24 to
//! 2026-11-23 for 3 accounts; CloudWatch metrics were not collected in
//! eu-west-1" instead of silently analysing less than the user thinks.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::schema::Table;

/// The snapshot format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The contents of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Snapshot format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// When the snapshot was written (UTC).
    pub created_at: NaiveDateTime,
    /// Where the data came from.
    pub source: Source,
    /// Accounts covered.
    pub accounts: Vec<Account>,
    /// Regions covered.
    pub regions: Vec<String>,
    /// The period the billing and metric data covers.
    pub period: Period,
    /// Currency of every cost column.
    pub currency: String,
    /// Every table, present or absent.
    pub tables: BTreeMap<Table, TableStatus>,
    /// Known holes in the data (a region denied, a table not collected, ...).
    #[serde(default)]
    pub data_gaps: Vec<DataGap>,
}

impl Manifest {
    /// A manifest for data built in memory (tests, tools embedding the
    /// analyzer): USD, no tables yet (`Dataset::from_frames` fills them in),
    /// created at the period's end.
    pub fn in_memory(description: impl Into<String>, accounts: Vec<Account>, period: Period) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            created_at: period.end,
            source: Source { kind: SourceKind::Synthetic, description: description.into(), inputs: vec![] },
            accounts,
            regions: vec![],
            period,
            currency: "USD".into(),
            tables: BTreeMap::new(),
            data_gaps: vec![],
        }
    }
}

/// Where a snapshot's data came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// How it was made.
    pub kind: SourceKind,
    /// Human-readable description (`demo account`, `import of ./cur/2026-10`).
    pub description: String,
    /// Input files or API calls, with the format detected for each.
    #[serde(default)]
    pub inputs: Vec<Input>,
}

/// How a snapshot was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// `costwise import` of files the user had.
    Import,
    /// `costwise collect` against live AWS APIs.
    Collect,
    /// Generated (the demo account, benchmarks).
    Synthetic,
}

/// One input that went into a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// File path or API name.
    pub path: String,
    /// Detected format (`CUR 2.0 (Parquet)`, `FOCUS 1.1 (CSV)`, `aws ec2 describe-volumes`).
    pub format: String,
    /// Rows it contributed.
    pub rows: u64,
}

/// An account in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// 12-digit account id.
    pub id: String,
    /// Account name, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A half-open time range `[start, end)`, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Inclusive start.
    pub start: NaiveDateTime,
    /// Exclusive end; also the "now" rules measure ages against.
    pub end: NaiveDateTime,
}

impl Period {
    /// Length of the period in days (fractional).
    pub fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 86_400.0
    }
}

/// Whether a table is in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TableStatus {
    /// The table's Parquet file is present.
    Present {
        /// Number of rows.
        rows: u64,
    },
    /// The table was not collected or imported.
    Absent {
        /// Why (`no describe-images.json in the import`).
        reason: String,
    },
}

/// A known hole in the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataGap {
    /// Table affected, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// Account affected, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Region affected, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// What is missing and why.
    pub reason: String,
}
