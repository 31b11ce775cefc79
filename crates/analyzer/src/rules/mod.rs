//! The rule engine: what a rule is, and how the registry runs them.
//!
//! A rule is one file under `rules/` (like ruff's): its module doc comment is
//! the user documentation (`costwise rules <id>` prints it), its `Options`
//! struct is what users may write in the config, and its `Settings` struct is
//! what the check actually reads, resolved once with `DEFAULT_*` constants.
//! Checks are pure: they read the [`Context`] and return findings, never
//! files, the environment or the clock.

pub(crate) mod columns;
pub mod data_transfer_out;
mod ec2_resize;
pub mod ec2_rightsizing;
pub mod expiring_commitment;
pub mod gp2_to_gp3;
pub mod idle_elastic_ip;
pub mod idle_instance;
pub mod idle_load_balancer;
pub mod idle_nat_gateway;
pub mod io1_to_gp3;
pub mod orphaned_ebs_snapshot;
pub mod previous_generation_instance;
mod registry;
pub mod reserved_instance_purchase;
pub mod s3_incomplete_multipart_uploads;
pub mod s3_lifecycle_tiering;
pub mod s3_noncurrent_versions;
pub mod savings_plan_purchase;
pub mod spend_overview;
pub mod stopped_instance;
pub mod unattached_ebs_volume;
pub mod underused_reservation;
pub mod unused_ami;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use registry::{registry, rules_markdown};

use crate::Dataset;
use crate::billed::BilledCosts;
use crate::error::Error;
use crate::finding::{Category, Finding};
use crate::prices::PriceBook;
use crate::spend::SpendOverview;

/// What a check reads.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The snapshot.
    pub dataset: &'a Dataset,
    /// Prices with provenance.
    pub prices: &'a PriceBook,
    /// What each resource actually cost in the CUR, computed once for all rules.
    pub billed: &'a BilledCosts,
}

/// What a check returns.
#[derive(Debug, Default, Clone)]
pub struct RuleOutput {
    /// Findings.
    pub findings: Vec<Finding>,
    /// Resources the rule would have judged but could not, for lack of data.
    pub not_enough_data: Vec<NotEnoughData>,
    /// The spend overview, from the `spend-overview` rule only.
    pub spend: Option<SpendOverview>,
}

impl From<Vec<Finding>> for RuleOutput {
    fn from(findings: Vec<Finding>) -> Self {
        Self { findings, ..Self::default() }
    }
}

/// A resource a rule skipped because the data it needs is missing.
///
/// Missing metrics never mean idle: a resource without the datapoints a rule
/// needs is listed here instead of being flagged, so the report can say how
/// many were skipped and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NotEnoughData {
    /// Account of the resource.
    pub account_id: String,
    /// Region of the resource.
    pub region: Option<String>,
    /// The resource.
    pub resource_id: String,
    /// What is missing, in words (`no CPUUtilization datapoints in the last 14 days`).
    pub reason: String,
}

/// A failure inside one rule; the others still run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    /// The rule that failed.
    pub rule: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule `{}` failed: {}", self.rule, self.message)
    }
}

/// A rule, implemented once per file.
pub trait Rule: Send + Sync + 'static {
    /// Stable kebab-case id (`unattached-ebs-volume`); never renamed.
    const ID: &'static str;
    /// The rule's family.
    const CATEGORY: Category;
    /// True when the remediation deletes or terminates something that cannot be brought back (a volume, a
    /// snapshot, an instance, old object versions). The action plan puts such findings in the "confirm with
    /// the owner" step whatever their risk, since the check before deleting is a conversation, not a window.
    const REMOVES_RESOURCES: bool = false;
    /// Options as users write them under `[rules.<id>]` (kebab-case, unknown keys rejected).
    type Options: DeserializeOwned + Default;
    /// Resolved settings the check reads.
    type Settings: Serialize + Send + Sync + fmt::Debug + 'static;

    /// Turns options into settings, validating values.
    fn resolve(options: Self::Options) -> Result<Self::Settings, String>;

    /// Runs the check.
    fn check(settings: &Self::Settings, ctx: &Context<'_>) -> Result<RuleOutput, Error>;
}

/// A registered rule, type-erased.
pub struct RuleSpec {
    /// Stable id.
    pub id: &'static str,
    /// Category.
    pub category: Category,
    /// [`Rule::REMOVES_RESOURCES`].
    pub removes_resources: bool,
    /// The rule's documentation (its module doc comment).
    pub doc: String,
    configure: ConfigureFn,
}

/// Resolves a rule's options table into a runnable rule.
type ConfigureFn = fn(Option<&toml::Value>) -> Result<Box<dyn ConfiguredRule>, String>;

impl fmt::Debug for RuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSpec").field("id", &self.id).field("category", &self.category).finish_non_exhaustive()
    }
}

impl RuleSpec {
    /// Registers rule `R`, whose source file is `source` (for its doc comment).
    pub(crate) fn of<R: Rule>(source: &'static str) -> Self {
        Self {
            id: R::ID,
            category: R::CATEGORY,
            removes_resources: R::REMOVES_RESOURCES,
            doc: module_doc(source),
            configure: configure::<R>,
        }
    }

    /// First line of the documentation.
    pub fn summary(&self) -> &str {
        self.doc.lines().next().unwrap_or_default()
    }

    /// Resolves the rule's settings from its `[rules.<id>]` table (or defaults).
    pub fn configure(&self, options: Option<&toml::Value>) -> Result<Box<dyn ConfiguredRule>, String> {
        (self.configure)(options)
    }

    /// The default settings, rendered as TOML.
    pub fn default_settings(&self) -> String {
        self.configure(None).map(|r| r.settings_toml()).unwrap_or_default()
    }
}

/// A rule with resolved settings, ready to run.
pub trait ConfiguredRule: Send + Sync {
    /// Runs the check.
    fn check(&self, ctx: &Context<'_>) -> Result<RuleOutput, Error>;
    /// The resolved settings, as TOML.
    fn settings_toml(&self) -> String;
    /// The resolved settings, as JSON (for reports).
    fn settings_json(&self) -> serde_json::Value;
}

struct Configured<R: Rule> {
    settings: R::Settings,
}

impl<R: Rule> ConfiguredRule for Configured<R> {
    fn check(&self, ctx: &Context<'_>) -> Result<RuleOutput, Error> {
        R::check(&self.settings, ctx)
    }

    fn settings_toml(&self) -> String {
        toml::to_string(&self.settings).unwrap_or_default()
    }

    fn settings_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.settings).unwrap_or_default()
    }
}

fn configure<R: Rule>(options: Option<&toml::Value>) -> Result<Box<dyn ConfiguredRule>, String> {
    let options: R::Options = match options {
        None => R::Options::default(),
        Some(value) => value.clone().try_into().map_err(|e: toml::de::Error| e.message().to_owned())?,
    };
    let settings = R::resolve(options)?;
    Ok(Box::new(Configured::<R> { settings }))
}

/// Extracts the leading `//!` comment of a source file as Markdown.
fn module_doc(source: &str) -> String {
    let mut lines = Vec::new();
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("//!") {
            lines.push(rest.strip_prefix(' ').unwrap_or(rest));
        } else if !lines.is_empty() || !line.trim().is_empty() {
            break;
        }
    }
    lines.join("\n").trim().to_owned()
}

/// Resource tags parsed from a table's `tags` JSON column.
pub fn parse_tags(json: Option<&str>) -> BTreeMap<String, String> {
    json.and_then(|s| serde_json::from_str::<BTreeMap<String, serde_json::Value>>(s).ok())
        .map(|m| {
            m.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_doc_takes_only_the_leading_comment() {
        let src = "//! Title line.\n//!\n//! ## Section\n//! body\n\nuse x;\n//! not this";
        assert_eq!(module_doc(src), "Title line.\n\n## Section\nbody");
    }

    #[test]
    fn tags_parse_from_json_and_tolerate_garbage() {
        let tags = parse_tags(Some(r#"{"team":"web","cost":3}"#));
        assert_eq!(tags["team"], "web");
        assert_eq!(tags["cost"], "3");
        assert!(parse_tags(Some("not json")).is_empty());
        assert!(parse_tags(None).is_empty());
    }
}
