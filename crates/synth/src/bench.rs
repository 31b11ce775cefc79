//! The import + summarize benchmark, without the CLI: read a CUR export,
//! write it into a snapshot, open the snapshot and compute the spend
//! overview. `costwise-synth import-bench` runs it under `/usr/bin/time -v`
//! for `docs/benchmarks.md`; `benches/ingest.rs` runs the same steps under
//! criterion.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDateTime;
use costwise_analyzer::ingest::billing::read_billing;
use costwise_analyzer::manifest::{Period, Source, SourceKind};
use costwise_analyzer::snapshot::{SnapshotInfo, SnapshotWriter};
use costwise_analyzer::spend::{SpendOverview, overview};
use costwise_analyzer::{Dataset, Table};
use polars::prelude::*;

/// Timings and results of one run.
#[derive(Debug, Clone)]
pub struct ImportBench {
    /// Line items imported.
    pub rows: u64,
    /// read_billing → snapshot written.
    pub import: Duration,
    /// Of which `read_billing` (format detection and value checks).
    pub read: Duration,
    /// Dataset::open → spend overview computed.
    pub summarize: Duration,
    /// The overview.
    pub overview: Option<SpendOverview>,
}

/// Imports the billing export at `input` into a snapshot at `snapshot` (replaced).
pub fn import(input: &Path, snapshot: &Path) -> anyhow::Result<u64> {
    import_timed(input, snapshot).map(|(rows, _)| rows)
}

/// [`import`], also returning how long `read_billing` took.
fn import_timed(input: &Path, snapshot: &Path) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let billing = read_billing(input).with_context(|| format!("reading {}", input.display()))?;
    let read = started.elapsed();
    let bounds = billing
        .frame
        .clone()
        .select([
            col("usage_start").min().cast(DataType::Int64).alias("start"),
            col("usage_end").max().cast(DataType::Int64).alias("end"),
        ])
        .collect()
        .map_err(|e| anyhow::anyhow!("finding the billing period: {e}"))?;
    let start = timestamp(&bounds, "start").context("no line items")?;
    let end = timestamp(&bounds, "end").context("no line items")?;
    let mut writer = SnapshotWriter::create(snapshot).with_context(|| format!("creating {}", snapshot.display()))?;
    let rows = writer.write_lazy(Table::Costs, billing.frame).context("writing costs")?;
    writer
        .finish(SnapshotInfo {
            created_at: end,
            source: Source {
                kind: SourceKind::Import,
                description: format!("benchmark import of {}", input.display()),
                inputs: Vec::new(),
            },
            accounts: Vec::new(),
            regions: Vec::new(),
            period: Period { start, end },
            currency: "USD".into(),
            data_gaps: Vec::new(),
        })
        .context("finishing the snapshot")?;
    Ok((rows, read))
}

/// Opens a snapshot and computes its spend overview.
pub fn summarize(snapshot: &Path) -> anyhow::Result<Option<SpendOverview>> {
    let dataset = Dataset::open(snapshot).with_context(|| format!("opening {}", snapshot.display()))?;
    overview(&dataset, None).context("spend overview")
}

/// Runs [`import`] then [`summarize`], timing each.
pub fn run(input: &Path, snapshot: &Path) -> anyhow::Result<ImportBench> {
    let started = Instant::now();
    let (rows, read) = import_timed(input, snapshot)?;
    let import = started.elapsed();
    let started = Instant::now();
    let overview = summarize(snapshot)?;
    Ok(ImportBench { rows, import, read, summarize: started.elapsed(), overview })
}

/// A microsecond timestamp (the `costs` schema's unit) from a one-row aggregate.
fn timestamp(df: &DataFrame, name: &str) -> Option<NaiveDateTime> {
    let micros = df.column(name).ok()?.get(0).ok()?.extract::<i64>()?;
    chrono::DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}
