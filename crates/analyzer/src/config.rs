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
//! [price-list]                      # current list prices, from `costwise prices refresh --out prices.json`
//! cache = "prices.json"
//! refresh-after-days = 7            # `costwise run` refreshes the cache when it is older
//!
//! [source]                          # for `costwise run`; see the `schedule` module
//! snapshot = "snapshot"
//! [report]
//! dir = "reports"
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
mod schedule;

pub use email::{EmailConfig, PasswordSource, SmtpAuth, SmtpTls, is_loopback};
pub use schedule::{CollectConfig, ReportConfig, SourceConfig};

/// A parsed, validated configuration.
#[derive(Debug, Clone)]
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
    /// The Price List API cache the price book prefers to the bundled catalog (the `[price-list]` section).
    pub price_list: Option<PriceListConfig>,
    /// Where the weekly e-mail goes (the `[email]` section), when configured.
    pub email: Option<EmailConfig>,
    /// What `costwise run` analyzes (the `[source]` section), when configured.
    pub source: Option<SourceConfig>,
    /// Whether and how `costwise run` collects from AWS first (the `[collect]` section).
    pub collect: Option<CollectConfig>,
    /// Where `costwise run` keeps its history (the `[report]` section; `reports` next to the config by default).
    pub report: ReportConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            path: None,
            exclusions: Exclusions::default(),
            disabled_rules: BTreeSet::new(),
            rule_options: BTreeMap::new(),
            prices: PriceOverrides::default(),
            price_list: None,
            email: None,
            source: None,
            collect: None,
            report: ReportConfig::default_for(None),
        }
    }
}

/// The `[price-list]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceListConfig {
    /// The cache file `costwise prices refresh` writes (`cache`, relative to the config file).
    pub cache: PathBuf,
    /// `costwise run` refreshes the cache for the snapshot's regions when it is older than this many days
    /// (`refresh-after-days`); `None` leaves refreshing to the user.
    pub refresh_after_days: Option<u32>,
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

/// The top-level sections.
const SECTIONS: [&str; 8] = ["exclusions", "rules", "prices", "price-list", "email", "source", "report", "collect"];

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, Some(path))
    }

    /// Parses and validates config text; the error lists every problem, separated by `; `.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Self> {
        Self::check(text, path)
            .map_err(|problems| Error::Config { path: path.map(Path::to_path_buf), detail: problems.join("; ") })
    }

    /// Parses and validates config text, collecting every problem (each naming its section and key) rather
    /// than stopping at the first: `costwise config check` shows them all.
    pub fn check(text: &str, path: Option<&Path>) -> std::result::Result<Self, Vec<String>> {
        let table: toml::Table = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();
        for key in table.keys() {
            if !SECTIONS.contains(&key.as_str()) {
                problems.push(format!("unknown section `{key}` (known sections: {})", SECTIONS.join(", ")));
            }
        }
        let section = |name: &str, problems: &mut Vec<String>| -> toml::Table {
            match table.get(name) {
                None => toml::Table::new(),
                Some(toml::Value::Table(t)) => t.clone(),
                Some(_) => {
                    problems.push(format!("`{name}` must be a section ([{name}])"));
                    toml::Table::new()
                }
            }
        };

        let exclusions: Exclusions = section("exclusions", &mut problems).try_into().unwrap_or_else(|e| {
            problems.push(format!("[exclusions]: {}", e.to_string().trim()));
            Exclusions::default()
        });
        for tag in &exclusions.tags {
            if tag.trim().is_empty() || tag.starts_with('=') {
                problems.push(format!("exclusions.tags: `{tag}` is not `key` or `key=value`"));
            }
        }

        let mut disabled_rules = BTreeSet::new();
        let mut rule_options = BTreeMap::new();
        let known: Vec<&str> = registry().iter().map(|r| r.id).collect();
        for (key, value) in section("rules", &mut problems) {
            if key == "disable" {
                match value.try_into::<Vec<String>>() {
                    Err(_) => problems.push("`rules.disable` must be a list of rule ids".into()),
                    Ok(ids) => {
                        for id in ids {
                            if known.contains(&id.as_str()) {
                                disabled_rules.insert(id);
                            } else {
                                problems.push(format!("unknown rule `{id}` in rules.disable"));
                            }
                        }
                    }
                }
            } else if known.contains(&key.as_str()) {
                rule_options.insert(key, value);
            } else {
                problems.push(format!("unknown rule `{key}` under [rules] (known rules: {})", known.join(", ")));
            }
        }
        for spec in registry() {
            if let Err(e) = spec.configure(rule_options.get(spec.id)) {
                problems.push(format!("[rules.{}]: {e}", spec.id));
            }
        }

        let prices = PriceOverrides::from_toml(&section("prices", &mut problems)).unwrap_or_else(|e| {
            problems.push(match e {
                Error::Config { detail, .. } => detail,
                other => other.to_string(),
            });
            PriceOverrides::default()
        });
        let optional =
            |name: &str, problems: &mut Vec<String>| table.contains_key(name).then(|| section(name, problems));
        let email = optional("email", &mut problems).and_then(|t| {
            EmailConfig::from_toml(&t, path)
                .map_err(|found| problems.extend(found.into_iter().map(|p| format!("[email]: {p}"))))
                .ok()
        });
        let price_list = optional("price-list", &mut problems).and_then(|t| {
            for key in t.keys().filter(|k| !["cache", "refresh-after-days"].contains(&k.as_str())) {
                problems.push(format!("[price-list]: unknown key `{key}` (known keys: cache, refresh-after-days)"));
            }
            let refresh_after_days = match t.get("refresh-after-days") {
                None => None,
                Some(toml::Value::Integer(days)) if (1..=365).contains(days) => u32::try_from(*days).ok(),
                Some(other) => {
                    problems.push(format!(
                        "[price-list]: `refresh-after-days` must be a whole number of days from 1 to 365, found {other}"
                    ));
                    None
                }
            };
            match t.get("cache") {
                Some(toml::Value::String(file)) if !file.trim().is_empty() => {
                    let file = PathBuf::from(file.trim());
                    let cache = match path.and_then(Path::parent) {
                        Some(base) if file.is_relative() => base.join(file),
                        _ => file,
                    };
                    Some(PriceListConfig { cache, refresh_after_days })
                }
                _ => {
                    problems.push("[price-list]: `cache` must name the file `costwise prices refresh` writes".into());
                    None
                }
            }
        });
        let source = optional("source", &mut problems).and_then(|t| {
            SourceConfig::from_toml(&t, path)
                .map_err(|found| problems.extend(found.into_iter().map(|p| format!("[source]: {p}"))))
                .ok()
        });
        let collect = optional("collect", &mut problems).and_then(|t| {
            CollectConfig::from_toml(&t, path)
                .map_err(|found| problems.extend(found.into_iter().map(|p| format!("[collect]: {p}"))))
                .ok()
        });
        if collect.is_some() && !table.contains_key("source") {
            problems.push("[collect]: needs a [source] section with `snapshot`, the snapshot to collect into".into());
        }
        let report = match optional("report", &mut problems) {
            None => ReportConfig::default_for(path),
            Some(t) => ReportConfig::from_toml(&t, path).unwrap_or_else(|found| {
                problems.extend(found.into_iter().map(|p| format!("[report]: {p}")));
                ReportConfig::default_for(path)
            }),
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            path: path.map(Path::to_path_buf),
            exclusions,
            disabled_rules,
            rule_options,
            prices,
            price_list,
            email,
            source,
            collect,
            report,
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
        let config = Config::parse(
            "[price-list]\ncache = \"prices.json\"\nrefresh-after-days = 7\n",
            Some(Path::new("/etc/costwise/c.toml")),
        )
        .unwrap();
        let price_list = config.price_list.unwrap();
        assert_eq!(price_list.cache, Path::new("/etc/costwise/prices.json"), "relative to the config file");
        assert_eq!(price_list.refresh_after_days, Some(7));
    }

    #[test]
    fn typos_are_errors_that_name_the_key() {
        let cases = [
            ("[rules.unattached-ebs-volumes]\nx = 1", "unattached-ebs-volumes"),
            ("[rules.unattached-ebs-volume]\nmin-days = 3", "min-days"),
            ("[exclusion]\ntags = []", "exclusion"),
            ("[rules]\ndisable = [\"nope\"]", "nope"),
            ("[prices]\n\"ebs.gp4_gb_month\" = 1", "ebs.gp4_gb_month"),
            ("[price-list]\ncache = \"p.json\"\nrefresh-after = 7", "refresh-after"),
            ("[price-list]\ncache = \"p.json\"\nrefresh-after-days = 0", "refresh-after-days"),
            ("[price-list]\nrefresh-after-days = 7", "`cache`"),
        ];
        for (text, needle) in cases {
            let err = Config::parse(text, Some(Path::new("costwise.toml"))).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("costwise.toml"), "{text:?} gave {err}");
        }
    }
}
