//! The analyzer's error type.
//!
//! Every variant names what is at fault — the file, the column, the resource —
//! so that a user reading one line of output knows what to fix. Variants carry
//! owned data (not `PolarsError` itself) so errors are cheap to clone into
//! reports and stable to snapshot in tests.

use std::path::{Path, PathBuf};

use crate::schema::Table;

/// Result alias for the analyzer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading data or analyzing it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A required column is missing from an input file or snapshot table.
    #[error("{}: missing required column `{column}` ({expected})", path.display())]
    MissingColumn {
        /// The file at fault.
        path: PathBuf,
        /// The column that is missing.
        column: String,
        /// What the column should hold.
        expected: String,
    },

    /// A column holds values of the wrong type.
    #[error("{}: column `{column}` should be {expected}, found {found}", path.display())]
    WrongType {
        /// The file at fault.
        path: PathBuf,
        /// The column at fault.
        column: String,
        /// The expected type.
        expected: String,
        /// What was found: a type, or the first bad value and where it is.
        found: String,
    },

    /// A required (non-nullable) column holds nulls.
    #[error("{}: column `{column}` must not be empty, but {count} row(s) are (first at row {first_row})", path.display())]
    NullValues {
        /// The file at fault.
        path: PathBuf,
        /// The column at fault.
        column: String,
        /// How many rows are null.
        count: usize,
        /// First offending row, 1-based, header excluded.
        first_row: usize,
    },

    /// A Parquet file could not be decoded (truncated, corrupt, or not Parquet).
    #[error("{}: unreadable Parquet file (truncated or corrupt?): {detail}", path.display())]
    BadParquet {
        /// The file at fault.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },

    /// A CSV file is not valid UTF-8.
    #[error("{}: not valid UTF-8 at line {line} (re-export the file as UTF-8)", path.display())]
    NonUtf8 {
        /// The file at fault.
        path: PathBuf,
        /// First line with an invalid byte sequence, 1-based.
        line: usize,
    },

    /// A CSV file could not be parsed.
    #[error("{}: malformed CSV: {detail}", path.display())]
    BadCsv {
        /// The file at fault.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },

    /// A JSON file could not be parsed or does not have the expected shape.
    #[error("{}: {detail}", path.display())]
    BadJson {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, with the JSON path where possible.
        detail: String,
    },

    /// Billing data mixes currencies; costwise refuses to add them up.
    #[error("{}: costs are in more than one currency ({}); import each currency separately", path.display(), currencies.join(", "))]
    MixedCurrencies {
        /// The file (or directory) at fault.
        path: PathBuf,
        /// The currencies found.
        currencies: Vec<String>,
    },

    /// An input file's format could not be recognized from its columns or name.
    #[error("{}: unrecognized format: {detail}", path.display())]
    UnknownFormat {
        /// The file at fault.
        path: PathBuf,
        /// What was looked for.
        detail: String,
    },

    /// A snapshot directory is malformed.
    #[error("snapshot {}: {detail}", path.display())]
    Snapshot {
        /// The snapshot directory or file at fault.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },

    /// A snapshot table does not match the schema.
    #[error("snapshot table `{table}` ({}): {detail}", path.display())]
    TableSchema {
        /// The table.
        table: Table,
        /// Its file.
        path: PathBuf,
        /// What does not match.
        detail: String,
    },

    /// A live collection could not start or finish (no credentials, no account, no regions).
    #[error("collect: {0}")]
    Collect(String),

    /// The configuration is invalid.
    #[error("config {}: {detail}", path.as_deref().map_or_else(|| "(built-in)".to_owned(), |p| p.display().to_string()))]
    Config {
        /// The config file, if any.
        path: Option<PathBuf>,
        /// What is wrong, naming the key.
        detail: String,
    },

    /// A query over the data failed.
    #[error("{context}: {detail}")]
    Query {
        /// What was being computed.
        context: String,
        /// What polars said.
        detail: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), source }
    }

    /// Wraps a polars error raised while computing `context`.
    pub fn query(context: impl Into<String>, err: &polars::error::PolarsError) -> Self {
        Error::Query { context: context.into(), detail: err.to_string() }
    }
}

/// Extension to attach a context to polars results.
pub(crate) trait PolarsResultExt<T> {
    /// Maps a polars error to [`Error::Query`] with `context`.
    fn during(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> PolarsResultExt<T> for polars::error::PolarsResult<T> {
    fn during(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::query(context(), &e))
    }
}
