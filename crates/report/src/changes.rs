//! "Since last report": what changed between the previous run's findings and
//! this run's.
//!
//! A finding is identified by `(rule, account_id, resource_id)`; titles and
//! figures may change from week to week without making it a different
//! finding. Against the previous run's `findings.json` ([`PreviousReport`]):
//!
//! - a finding is **new** when the previous run had none with its identity;
//! - a previous finding is **resolved** when this run has none with its
//!   identity. Its saving is **realized** only when this run could have found
//!   it again: its rule ran without failing and is still enabled, and its
//!   account is still in the data. Otherwise it is listed as *not verified*
//!   with the reason, and its saving is not claimed — a rule that crashed or
//!   an account that dropped out of the snapshot must not look like money
//!   saved.
//!
//! Realized savings are the previous run's counted monthly saving of each
//! verified resolved finding (a finding left out of the previous total as an
//! overlap realizes nothing, so no saving is claimed twice). They are an
//! estimate of the run rate removed, not a reading of the bill.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use anyhow::{Context as _, bail};
use costwise_analyzer::Analysis;
use costwise_analyzer::analysis::RuleStatus;
use serde::{Deserialize, Serialize};

/// `(rule, account_id, resource_id)`.
type Identity = (String, String, String);

/// The part of a previous run's `findings.json` the comparison needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PreviousReport {
    /// The previous data's as-of moment, as written (`2026-11-09T00:00:00`).
    pub as_of: String,
    /// Its findings.
    pub findings: Vec<PreviousFinding>,
    /// Its findings left out of the total.
    #[serde(default)]
    pub overlaps: Vec<PreviousOverlap>,
}

/// One finding of the previous run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PreviousFinding {
    /// Rule id.
    pub rule: String,
    /// Account.
    pub account_id: String,
    /// Region, when regional.
    #[serde(default)]
    pub region: Option<String>,
    /// Resource.
    pub resource_id: String,
    /// Title as it was.
    pub title: String,
    /// Monthly savings as estimated then.
    pub monthly_savings: f64,
}

/// A finding the previous run left out of its total.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PreviousOverlap {
    /// Account.
    pub account_id: String,
    /// Resource.
    pub resource_id: String,
    /// The rule whose finding was not counted.
    pub skipped_rule: String,
}

#[derive(Deserialize)]
struct Versioned {
    schema_version: u32,
}

impl PreviousReport {
    /// The findings of `analysis`, as the next run would read them from its `findings.json`.
    pub fn from_analysis(analysis: &Analysis) -> Self {
        Self {
            as_of: analysis.as_of.format("%Y-%m-%dT%H:%M:%S").to_string(),
            findings: analysis
                .findings
                .iter()
                .map(|f| PreviousFinding {
                    rule: f.rule.clone(),
                    account_id: f.account_id.clone(),
                    region: f.region.clone(),
                    resource_id: f.resource_id.clone(),
                    title: f.title.clone(),
                    monthly_savings: f.monthly_savings,
                })
                .collect(),
            overlaps: analysis
                .overlaps
                .iter()
                .map(|o| PreviousOverlap {
                    account_id: o.account_id.clone(),
                    resource_id: o.resource_id.clone(),
                    skipped_rule: o.skipped_rule.clone(),
                })
                .collect(),
        }
    }

    /// Reads a `findings.json` document (schema version 1).
    pub fn from_findings_json(text: &str) -> anyhow::Result<Self> {
        let version: Versioned = serde_json::from_str(text).context("not a findings.json document")?;
        if version.schema_version != crate::json::SCHEMA_VERSION {
            bail!(
                "findings.json schema_version {} is not supported (this costwise reads version {})",
                version.schema_version,
                crate::json::SCHEMA_VERSION
            );
        }
        serde_json::from_str(text).context("not a findings.json document")
    }

    /// Reads the `findings.json` file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        Self::from_findings_json(&text).with_context(|| path.display().to_string())
    }

    fn identities(&self) -> HashSet<Identity> {
        self.findings.iter().map(|f| (f.rule.clone(), f.account_id.clone(), f.resource_id.clone())).collect()
    }
}

/// A previous finding this run no longer has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    /// Rule id.
    pub rule: String,
    /// Account.
    pub account_id: String,
    /// Region, when regional.
    pub region: Option<String>,
    /// Resource.
    pub resource_id: String,
    /// The previous title.
    pub title: String,
    /// The saving the previous run counted for it (0 when it was left out as an overlap).
    pub monthly_savings: f64,
    /// Why the disappearance is not proof of a fix (`rule ec2-rightsizing failed in this run`); `None` when
    /// verified.
    pub not_verified: Option<String>,
}

/// What changed since the previous run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    /// The previous data's as-of moment.
    pub previous_as_of: String,
    /// The previous run's id, when it came from the history.
    pub previous_run: Option<String>,
    /// For each finding of this run: true when the previous run did not have it.
    pub is_new: Vec<bool>,
    /// Previous findings this run no longer has, biggest saving first.
    pub resolved: Vec<Resolved>,
}

impl Changes {
    /// Compares this run's `analysis` with the previous run's findings.
    pub fn between(previous: &PreviousReport, previous_run: Option<&str>, analysis: &Analysis) -> Self {
        let before = previous.identities();
        let now: HashSet<Identity> =
            analysis.findings.iter().map(|f| (f.rule.clone(), f.account_id.clone(), f.resource_id.clone())).collect();
        let is_new = analysis
            .findings
            .iter()
            .map(|f| !before.contains(&(f.rule.clone(), f.account_id.clone(), f.resource_id.clone())))
            .collect();
        let skipped: HashSet<(&str, &str, &str)> = previous
            .overlaps
            .iter()
            .map(|o| (o.account_id.as_str(), o.resource_id.as_str(), o.skipped_rule.as_str()))
            .collect();
        let accounts: BTreeSet<&str> = analysis.coverage.accounts.iter().map(|a| a.id.as_str()).collect();
        let mut seen = HashSet::new();
        let mut resolved: Vec<Resolved> = previous
            .findings
            .iter()
            .filter(|f| {
                let identity = (f.rule.clone(), f.account_id.clone(), f.resource_id.clone());
                !now.contains(&identity) && seen.insert(identity)
            })
            .map(|f| {
                let counted = !skipped.contains(&(f.account_id.as_str(), f.resource_id.as_str(), f.rule.as_str()));
                Resolved {
                    rule: f.rule.clone(),
                    account_id: f.account_id.clone(),
                    region: f.region.clone(),
                    resource_id: f.resource_id.clone(),
                    title: f.title.clone(),
                    monthly_savings: if counted { f.monthly_savings.max(0.0) } else { 0.0 },
                    not_verified: why_not_verified(analysis, &accounts, &f.rule, &f.account_id),
                }
            })
            .collect();
        resolved.sort_by(|a, b| {
            b.monthly_savings.total_cmp(&a.monthly_savings).then_with(|| a.resource_id.cmp(&b.resource_id))
        });
        Self { previous_as_of: previous.as_of.clone(), previous_run: previous_run.map(str::to_owned), is_new, resolved }
    }

    /// Number of new findings.
    pub fn new_count(&self) -> usize {
        self.is_new.iter().filter(|n| **n).count()
    }

    /// The resolved findings whose disappearance this run verified.
    pub fn verified(&self) -> impl Iterator<Item = &Resolved> {
        self.resolved.iter().filter(|r| r.not_verified.is_none())
    }

    /// Summed monthly savings of the verified resolved findings.
    pub fn realized_monthly_savings(&self) -> f64 {
        self.verified().map(|r| r.monthly_savings).sum()
    }
}

/// Why a resolved finding's disappearance does not prove a fix, if it does not.
fn why_not_verified(analysis: &Analysis, accounts: &BTreeSet<&str>, rule: &str, account_id: &str) -> Option<String> {
    match analysis.rules.iter().find(|r| r.id == rule) {
        None => return Some(format!("rule {rule} no longer exists")),
        Some(run) => match run.status {
            RuleStatus::Failed(_) => return Some(format!("rule {rule} failed in this run")),
            RuleStatus::Disabled => return Some(format!("rule {rule} is disabled in this run")),
            RuleStatus::Ok => {}
        },
    }
    // Findings without an account (none today) cannot be checked against coverage.
    if !account_id.is_empty() && !accounts.contains(account_id) {
        return Some(format!("account {account_id} is not in this run's data"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_needs_from_findings_json() {
        let text = r#"{"schema_version":1,"as_of":"2026-11-09T00:00:00","findings":[
            {"rule":"r","account_id":"1","region":"us-east-1","resource_id":"vol-1","title":"t",
             "monthly_savings":12.5,"evidence":[]}],"overlaps":[]}"#;
        let previous = PreviousReport::from_findings_json(text).unwrap();
        assert_eq!(previous.findings.len(), 1);
        assert_eq!(previous.findings[0].monthly_savings, 12.5);
        let err = PreviousReport::from_findings_json(r#"{"schema_version":2,"findings":[]}"#).unwrap_err();
        assert!(err.to_string().contains("schema_version 2"), "{err}");
        assert!(PreviousReport::from_findings_json("[]").is_err());
    }
}
