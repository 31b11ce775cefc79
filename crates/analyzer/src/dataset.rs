//! `Dataset`: a snapshot opened for analysis.
//!
//! This is the boundary where untrusted files become trusted frames: every
//! table is checked against its schema once, here, so that rules can use
//! columns without defensive checks. Frames stay lazy; a rule's query is what
//! decides which columns and rows are ever read.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::manifest::{FORMAT_VERSION, Manifest, TableStatus};
use crate::schema::Table;
use crate::snapshot::{MANIFEST_FILE, conform, dtype_matches, scan_parquet};

/// A snapshot's tables as lazy frames with validated schemas.
#[derive(Clone)]
pub struct Dataset {
    location: Option<PathBuf>,
    manifest: Manifest,
    frames: BTreeMap<Table, LazyFrame>,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("location", &self.location)
            .field("tables", &self.frames.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Dataset {
    /// Opens the snapshot in `dir`, validating the manifest and every present table.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = fs::read_to_string(&manifest_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Snapshot {
                    path: dir.to_path_buf(),
                    detail: format!("no {MANIFEST_FILE}; is this a costwise snapshot directory?"),
                }
            } else {
                Error::io(&manifest_path, e)
            }
        })?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::BadJson { path: manifest_path.clone(), detail: format!("invalid manifest: {e}") })?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(Error::Snapshot {
                path: manifest_path,
                detail: format!(
                    "format version {} is not supported by this build (expects {FORMAT_VERSION})",
                    manifest.format_version
                ),
            });
        }
        let mut frames = BTreeMap::new();
        for (table, status) in &manifest.tables {
            if let TableStatus::Present { .. } = status {
                let path = dir.join(table.file_name());
                if !path.exists() {
                    return Err(Error::TableSchema {
                        table: *table,
                        path,
                        detail: "listed as present in the manifest, but the file is missing".into(),
                    });
                }
                let frame = scan_parquet(&path)?;
                frames.insert(*table, validate(*table, frame, &path)?);
            }
        }
        Ok(Self { location: Some(dir.to_path_buf()), manifest, frames })
    }

    /// Builds a dataset from in-memory frames (tests, embedders).
    ///
    /// Frames are conformed to their schema (missing nullable columns become
    /// null) and validated like files; the manifest's table list is updated.
    pub fn from_frames(mut manifest: Manifest, frames: impl IntoIterator<Item = (Table, DataFrame)>) -> Result<Self> {
        let origin = PathBuf::from("<memory>");
        let mut out = BTreeMap::new();
        for (table, frame) in frames {
            let rows = frame.height() as u64;
            let conformed = conform(frame.lazy(), table, &origin)?.collect().map_err(|e| Error::TableSchema {
                table,
                path: origin.clone(),
                detail: e.to_string(),
            })?;
            out.insert(table, validate(table, conformed.lazy(), &origin)?);
            manifest.tables.insert(table, TableStatus::Present { rows });
        }
        for table in Table::ALL {
            manifest.tables.entry(table).or_insert_with(|| TableStatus::Absent { reason: "not provided".into() });
        }
        Ok(Self { location: None, manifest, frames: out })
    }

    /// The snapshot's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the snapshot was opened from, if from disk.
    pub fn location(&self) -> Option<&Path> {
        self.location.as_deref()
    }

    /// Whether a table is present.
    pub fn has(&self, table: Table) -> bool {
        self.frames.contains_key(&table)
    }

    /// A table as a lazy frame, if present.
    pub fn table(&self, table: Table) -> Option<LazyFrame> {
        self.frames.get(&table).cloned()
    }

    /// A table as a lazy frame, or an empty frame with the table's schema.
    pub fn table_or_empty(&self, table: Table) -> LazyFrame {
        self.table(table).unwrap_or_else(|| DataFrame::empty_with_schema(&table.schema()).lazy())
    }

    /// The point in time the analysis is "as of": the end of the covered period.
    ///
    /// Rules measure ages against this, never against the wall clock, so the
    /// same snapshot always gives the same findings.
    pub fn as_of(&self) -> NaiveDateTime {
        self.manifest.period.end
    }
}

/// Checks a table's columns, types and required values; projects it to the schema.
fn validate(table: Table, mut frame: LazyFrame, path: &Path) -> Result<LazyFrame> {
    let schema =
        frame.collect_schema().map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    for column in table.columns() {
        match schema.get(column.name) {
            None => {
                return Err(Error::TableSchema {
                    table,
                    path: path.to_path_buf(),
                    detail: format!("missing column `{}` ({})", column.name, column.ty),
                });
            }
            Some(dtype) if !dtype_matches(column.ty, dtype) => {
                return Err(Error::TableSchema {
                    table,
                    path: path.to_path_buf(),
                    detail: format!("column `{}` should be {}, found {dtype}", column.name, column.ty),
                });
            }
            Some(_) => {}
        }
    }
    let required: Vec<&str> = table.columns().iter().filter(|c| !c.nullable).map(|c| c.name).collect();
    if !required.is_empty() {
        let nulls = frame
            .clone()
            .select(required.iter().map(|name| col(*name).null_count().alias(*name)).collect::<Vec<_>>())
            .collect()
            .map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
        for name in &required {
            let count =
                nulls.column(name).ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<usize>()).unwrap_or(0);
            if count > 0 {
                return Err(Error::TableSchema {
                    table,
                    path: path.to_path_buf(),
                    detail: format!("required column `{name}` has {count} null value(s)"),
                });
            }
        }
    }
    // Identifiers are pasted into remediation commands: one that is not a plain shell word was not written by
    // AWS and is refused here, whoever wrote the file.
    // Inventory tables are small: the columns are read and checked here.
    for column in table.identifier_columns() {
        let values = frame
            .clone()
            .select([col(column.name)])
            .collect()
            .map_err(|e| Error::BadParquet { path: path.to_path_buf(), detail: e.to_string() })?;
        let odd = values.column(column.name).ok().and_then(|c| {
            c.str().ok()?.iter().flatten().find(|v| !crate::finding::is_plain_shell_word(v)).map(str::to_owned)
        });
        if let Some(value) = odd {
            return Err(Error::TableSchema {
                table,
                path: path.to_path_buf(),
                detail: format!(
                    "column `{}` holds {value:?}, not an AWS identifier (letters, digits and . _ - / : @ % + = , only)",
                    column.name
                ),
            });
        }
    }
    conform(frame, table, path)
}
