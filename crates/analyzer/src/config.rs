//! The user's configuration file (`costwise.toml`).
//!
//! ```toml
//! [exclusions]
//! tags = ["costwise:ignore", "env=sandbox"]   # `key` or `key=value`
//! resources = ["vol-0abc"]
//! accounts = ["111122223333"]
//!
//! [rules]
//! disable = ["spend-overview"]
//!
//! [rules.unattached-ebs-volume]
//! min-days-unattached = 14
//!
//! [prices]
//! "ebs.gp3_gb_month" = 0.072        # every region
//! [prices.eu-west-1]
//! "ec2:m5.large" = 0.098            # one region
//!
//! [email]                           # optional; see the `email` module
//! from = "costwise@example.com"
//! to = ["pm-team@example.com"]
//! smtp-host = "smtp.example.com"
//! username = "costwise"
//! password-env = "COSTWISE_SMTP_PASSWORD"
//! ```
//!
//! Unknown keys and unknown rule ids are errors that name the key: a typo must
//! never silently turn a setting off. Secrets never belong here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::prices::PriceOverrides;
use crate::rules::registry;

mod email;

pub use email::{EmailConfig, PasswordSource, SmtpAuth, SmtpTls, is_loopback};

/// A parsed, validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// What to leave out of every report.
    pub exclusions: Exclusions,
    /// Rules switched off.
    pub disabled_rules: BTreeSet<String>,
    /// Per-rule option tables, by rule id.
    pub rule_options: BTreeMap<String, toml::Value>,
    /// Price overrides.
    pub prices: PriceOverrides,
    /// Where the weekly e-mail goes (the `[email]` section), when configured.
    pub email: Option<EmailConfig>,
}

/// Resources to leave out of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Exclusions {
    /// Tags: `key` (any value) or `key=value`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Resource ids or ARNs.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Account ids.
    #[serde(default)]
    pub accounts: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    exclusions: Exclusions,
    #[serde(default)]
    rules: toml::Table,
    #[serde(default)]
    prices: toml::Table,
    #[serde(default)]
    email: Option<toml::Table>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, Some(path))
    }

    /// Parses and validates config text.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Self> {
        let config_error = |detail: String| Error::Config { path: path.map(Path::to_path_buf), detail };
        let raw: RawConfig = toml::from_str(text).map_err(|e| config_error(e.to_string()))?;
        let mut disabled_rules = BTreeSet::new();
        let mut rule_options = BTreeMap::new();
        let known: Vec<&str> = registry().iter().map(|r| r.id).collect();
        for (key, value) in raw.rules {
            if key == "disable" {
                let ids: Vec<String> =
                    value.try_into().map_err(|_| config_error("`rules.disable` must be a list of rule ids".into()))?;
                for id in ids {
                    if !known.contains(&id.as_str()) {
                        return Err(config_error(format!("unknown rule `{id}` in rules.disable")));
                    }
                    disabled_rules.insert(id);
                }
            } else if known.contains(&key.as_str()) {
                rule_options.insert(key, value);
            } else {
                return Err(config_error(format!(
                    "unknown rule `{key}` under [rules] (known rules: {})",
                    known.join(", ")
                )));
            }
        }
        for spec in registry() {
            spec.configure(rule_options.get(spec.id)).map_err(|e| config_error(format!("[rules.{}]: {e}", spec.id)))?;
        }
        for tag in &raw.exclusions.tags {
            if tag.trim().is_empty() || tag.starts_with('=') {
                return Err(config_error(format!("exclusions.tags: `{tag}` is not `key` or `key=value`")));
            }
        }
        let prices = PriceOverrides::from_toml(&raw.prices).map_err(|e| match e {
            Error::Config { detail, .. } => config_error(detail),
            other => other,
        })?;
        let email = raw
            .email
            .map(|table| EmailConfig::from_toml(&table, path))
            .transpose()
            .map_err(|problems| config_error(format!("[email]: {}", problems.join("; "))))?;
        Ok(Self {
            path: path.map(Path::to_path_buf),
            exclusions: raw.exclusions,
            disabled_rules,
            rule_options,
            prices,
            email,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_config_parses() {
        let config = Config::parse(
            r#"
            [exclusions]
            tags = ["costwise:ignore", "env=sandbox"]
            resources = ["vol-1"]
            accounts = ["111122223333"]
            [rules]
            disable = ["spend-overview"]
            [rules.unattached-ebs-volume]
            min-days-unattached = 14
            [prices]
            "ebs.gp3_gb_month" = 0.07
            "#,
            None,
        )
        .unwrap();
        assert_eq!(config.exclusions.tags.len(), 2);
        assert!(config.disabled_rules.contains("spend-overview"));
        assert!(config.rule_options.contains_key("unattached-ebs-volume"));
        assert_eq!(config.prices.global["ebs.gp3_gb_month"], 0.07);
    }

    #[test]
    fn typos_are_errors_that_name_the_key() {
        let cases = [
            ("[rules.unattached-ebs-volumes]\nx = 1", "unattached-ebs-volumes"),
            ("[rules.unattached-ebs-volume]\nmin-days = 3", "min-days"),
            ("[exclusion]\ntags = []", "exclusion"),
            ("[rules]\ndisable = [\"nope\"]", "nope"),
            ("[prices]\n\"ebs.gp4_gb_month\" = 1", "ebs.gp4_gb_month"),
        ];
        for (text, needle) in cases {
            let err = Config::parse(text, Some(Path::new("costwise.toml"))).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("costwise.toml"), "{text:?} gave {err}");
        }
    }
}
