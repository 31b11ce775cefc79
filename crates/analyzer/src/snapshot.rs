//! Writing snapshot directories, atomically.
//!
//! Collect, import and the demo generator all end here, so there is exactly
//! one place that decides how a table reaches disk: conformed to its schema,
//! streamed to Parquet (billing data never has to fit in memory), and made
//! visible only when the whole snapshot is complete. A crash half-way leaves
//! the previous snapshot untouched.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use polars::prelude::*;

use crate::error::{Error, PolarsResultExt, Result};
use crate::manifest::{Account, DataGap, FORMAT_VERSION, Manifest, Period, Source, TableStatus};
use crate::schema::{ColumnType, Table};

/// The manifest file name inside a snapshot directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Builds a snapshot in a hidden sibling directory and moves it into place on
/// [`SnapshotWriter::finish`].
#[derive(Debug)]
pub struct SnapshotWriter {
    target: PathBuf,
    staging: tempfile::TempDir,
    tables: BTreeMap<Table, TableStatus>,
}

/// Everything in the manifest that the writer does not know by itself.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    /// When the snapshot is being made.
    pub created_at: NaiveDateTime,
    /// Where the data came from.
    pub source: Source,
    /// Accounts covered.
    pub accounts: Vec<Account>,
    /// Regions covered.
    pub regions: Vec<String>,
    /// Period covered by billing and metric data.
    pub period: Period,
    /// Currency of the cost columns.
    pub currency: String,
    /// Known holes in the data.
    pub data_gaps: Vec<DataGap>,
}

impl SnapshotWriter {
    /// Starts a snapshot that will end up at `target` (created or replaced).
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".costwise-snapshot-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(Self { target, staging, tables: BTreeMap::new() })
    }

    /// Writes an in-memory table.
    pub fn write_frame(&mut self, table: Table, frame: DataFrame) -> Result<u64> {
        self.write_lazy(table, frame.lazy())
    }

    /// Streams a lazy table to Parquet after conforming it to the schema.
    pub fn write_lazy(&mut self, table: Table, frame: LazyFrame) -> Result<u64> {
        let path = self.staging.path().join(table.file_name());
        let conformed = conform(frame, table, &path)?;
        write_parquet(conformed, &path)?;
        let rows = count_rows(&path)?;
        self.tables.insert(table, TableStatus::Present { rows });
        Ok(rows)
    }

    /// Records that a table is not in this snapshot, and why.
    pub fn mark_absent(&mut self, table: Table, reason: impl Into<String>) {
        self.tables.insert(table, TableStatus::Absent { reason: reason.into() });
    }

    /// Records a table as absent unless it was already written or marked.
    pub fn mark_absent_if_missing(&mut self, table: Table, reason: impl FnOnce() -> String) {
        self.tables.entry(table).or_insert_with(|| TableStatus::Absent { reason: reason() });
    }

    /// Writes the manifest and moves the snapshot into place.
    ///
    /// Tables neither written nor marked absent are recorded as absent.
    pub fn finish(mut self, info: SnapshotInfo) -> Result<Manifest> {
        for table in Table::ALL {
            self.tables
                .entry(table)
                .or_insert_with(|| TableStatus::Absent { reason: "not provided by this source".into() });
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            created_at: info.created_at,
            source: info.source,
            accounts: info.accounts,
            regions: info.regions,
            period: info.period,
            currency: info.currency,
            tables: self.tables,
            data_gaps: info.data_gaps,
        };
        let manifest_path = self.staging.path().join(MANIFEST_FILE);
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
        fs::write(&manifest_path, json).map_err(|e| Error::io(&manifest_path, e))?;

        let staging = self.staging.keep();
        replace_dir(&staging, &self.target)?;
        Ok(manifest)
    }
}

/// Swaps `staging` into `target`, keeping the old contents until the new ones are in place.
fn replace_dir(staging: &Path, target: &Path) -> Result<()> {
    if target.exists() {
        if !target.join(MANIFEST_FILE).exists()
            && fs::read_dir(target).map_err(|e| Error::io(target, e))?.next().is_some()
        {
            let _ = fs::remove_dir_all(staging);
            return Err(Error::Snapshot {
                path: target.to_path_buf(),
                detail: "exists and is not a snapshot; refusing to replace it".into(),
            });
        }
        let backup = staging.with_extension("old");
        fs::rename(target, &backup).map_err(|e| Error::io(target, e))?;
        fs::rename(staging, target).map_err(|e| Error::io(target, e))?;
        fs::remove_dir_all(&backup).map_err(|e| Error::io(&backup, e))?;
    } else {
        fs::rename(staging, target).map_err(|e| Error::io(target, e))?;
    }
    Ok(())
}

/// Selects a table's columns in schema order with their schema types.
///
/// Nullable columns missing from `frame` are filled with nulls; a missing
/// required column is an error naming `origin`.
pub fn conform(frame: LazyFrame, table: Table, origin: &Path) -> Result<LazyFrame> {
    let mut frame = frame;
    let schema = frame.collect_schema().map_err(|e| Error::Snapshot {
        path: origin.to_path_buf(),
        detail: format!("building table `{table}`: {e}"),
    })?;
    let mut exprs = Vec::with_capacity(table.columns().len());
    for column in table.columns() {
        let expr = if schema.contains(column.name) {
            col(column.name).strict_cast(column.ty.dtype())
        } else if column.nullable {
            lit(NULL).cast(column.ty.dtype())
        } else {
            return Err(Error::MissingColumn {
                path: origin.to_path_buf(),
                column: column.name.into(),
                expected: format!("{} for table `{table}`", column.ty),
            });
        };
        exprs.push(expr.alias(column.name));
    }
    Ok(frame.select(exprs))
}

/// Streams `frame` to a zstd-compressed Parquet file.
pub(crate) fn write_parquet(frame: LazyFrame, path: &Path) -> Result<()> {
    let options = ParquetWriteOptions {
        compression: ParquetCompression::Zstd(None),
        statistics: StatisticsOptions::default(),
        row_group_size: Some(256 * 1024),
        data_page_size: None,
        key_value_metadata: None,
        arrow_schema: None,
        compat_level: None,
    };
    let target = SinkTarget::Path(PlRefPath::try_from_path(path).during(|| format!("writing {}", path.display()))?);
    frame
        .sink(SinkDestination::File { target }, FileWriteFormat::Parquet(Arc::new(options)), UnifiedSinkArgs::default())
        .and_then(LazyFrame::collect)
        .during(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn count_rows(path: &Path) -> Result<u64> {
    let frame = scan_parquet(path)?
        .select([len().alias("rows")])
        .collect()
        .map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    let rows = frame
        .column("rows")
        .and_then(|c| c.get(0))
        .map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(rows.extract::<u64>().unwrap_or(0))
}

/// Opens a Parquet file lazily, mapping failures to [`Error::BadParquet`].
pub fn scan_parquet(path: &Path) -> Result<LazyFrame> {
    let pl_path = PlRefPath::try_from_path(path)
        .map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    let mut frame = LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default())
        .map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    // Resolving the schema reads the footer: a truncated or non-Parquet file fails here, not mid-analysis.
    frame.collect_schema().map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(frame)
}

/// Whether a polars type is acceptable where the schema says `ty`.
pub(crate) fn dtype_matches(ty: ColumnType, dtype: &DataType) -> bool {
    match ty {
        ColumnType::Timestamp => matches!(dtype, DataType::Datetime(_, _)),
        _ => *dtype == ty.dtype(),
    }
}
