//! costwise's presentation layer and command line: turns an
//! [`Analysis`](costwise_analyzer::Analysis) into a self-contained HTML page,
//! a `findings.json` document, a `findings.csv` export and a terminal
//! summary, and holds the `costwise` CLI that writes them.
//!
//! The flow is always analysis → [`view::ReportView`] (flat, pre-formatted
//! view models) → a renderer ([`html`], [`terminal`]); `findings.json`
//! ([`json`]) serializes the analysis itself and `findings.csv`
//! ([`csv_export`]) flattens its findings; [`email`] renders the weekly
//! e-mail (subject, HTML and text parts) from the same view, and [`send`] mails it over SMTP. Files are written atomically
//! ([`output`]). Money is formatted in [`format`], never in templates.
//!
//! The scheduled job, `costwise run` ([`scheduled`]), adds the report history
//! ([`history`]: a directory per run, `run.json`, the index page), the
//! comparison with the previous run ([`changes`]) and the lock that keeps runs
//! from overlapping ([`lock`]).
//!
//! # Exit codes of `costwise`
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the command ran; findings are not errors |
//! | 1 | an error stopped it (unreadable or missing snapshot, I/O, ...) |
//! | 2 | usage or configuration error (bad arguments, invalid config file, unknown rule id) |
//! | 3 | output written but incomplete: one or more rules failed, or `collect` could not make some API calls (listed on stderr, as gaps in the snapshot and in the report) |
//! | 4 | report written but the e-mail was not sent ([`send`]; re-send with `costwise send --run DIR`); wins over 3 |
//!
//! Errors are printed as one line, `error: ...`, naming the file, column or
//! key at fault.

pub mod changes;
pub mod cli;
pub mod csv_export;
pub mod demo;
pub mod email;
pub mod format;
pub mod history;
pub mod html;
pub mod json;
pub mod lock;
pub mod output;
#[cfg(feature = "aws")]
pub mod progress;
pub mod rule_doc;
pub mod scheduled;
pub mod send;
pub mod svg;
pub mod terminal;
pub mod view;

/// `costwise <version>`, as written into reports.
pub const GENERATOR: &str = concat!("costwise ", env!("CARGO_PKG_VERSION"));
