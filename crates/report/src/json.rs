//! `findings.json`: the analysis as a versioned, deterministic document.
//!
//! Other tools (dashboards, ticket bots, next week's diff) read this file, so
//! it carries a `schema_version` that changes only when a field changes
//! meaning, and nothing that varies between two runs on the same snapshot —
//! no wall-clock timestamps; `as_of` is the data's own date.
//!
//! Every field is documented in `docs/json-schema.md`; a test in
//! `tests/exports.rs` fails when a field is missing there.

use costwise_analyzer::Analysis;
use serde::Serialize;

/// Version of the `findings.json` layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The document: a header, then every field of [`Analysis`].
#[derive(Debug, Serialize)]
pub struct FindingsDocument<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `costwise <version>`.
    pub generator: &'static str,
    /// The analysis, flattened into the document.
    #[serde(flatten)]
    pub analysis: &'a Analysis,
}

impl<'a> FindingsDocument<'a> {
    /// Wraps an analysis.
    pub fn new(analysis: &'a Analysis) -> Self {
        Self { schema_version: SCHEMA_VERSION, generator: crate::GENERATOR, analysis }
    }
}

/// The pretty-printed document, ending in a newline.
pub fn findings_json(analysis: &Analysis) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(&FindingsDocument::new(analysis))?;
    text.push('\n');
    Ok(text)
}
