//! costwise's analysis library: load AWS billing and inventory data into
//! polars, run the savings rules, and get back findings with dollar figures,
//! evidence and remediations.
//!
//! The pipeline is: input files or AWS APIs → a *snapshot* directory
//! ([`snapshot`], [`manifest`]) → a validated [`Dataset`] of lazy frames →
//! [`analyze`] runs every rule in the [`rules::registry`] in parallel → an
//! [`Analysis`]. Nothing here prints; errors are [`Error`] values that name
//! the file, column or resource at fault.
//!
//! ```no_run
//! use costwise_analyzer::{analyze, Config, Dataset};
//!
//! let dataset = Dataset::open("fixtures/demo")?;
//! let analysis = analyze(&dataset, &Config::default())?;
//! println!("${:.0}/month", analysis.totals.monthly_savings);
//! # Ok::<(), costwise_analyzer::Error>(())
//! ```

pub mod analysis;
pub mod billed;
#[cfg(feature = "aws")]
pub mod collect;
pub mod commitments;
pub mod config;
pub mod dataset;
pub mod error;
pub mod finding;
pub mod ingest;
pub mod manifest;
pub mod metrics;
pub mod plan;
pub mod prices;
pub mod rightsizing;
pub mod rules;
pub mod schema;
pub mod snapshot;
pub mod spend;
pub mod storage;

pub use analysis::{Analysis, analyze};
pub use config::Config;
pub use dataset::Dataset;
pub use error::{Error, Result};
pub use finding::{Category, Confidence, Evidence, EvidenceValue, Finding, Remediation, Risk};
pub use schema::Table;
