//! The `[source]` and `[report]` sections of `costwise.toml`: what the
//! scheduled `costwise run` analyzes and where it keeps the report history.
//!
//! ```toml
//! [source]
//! snapshot = "/var/lib/costwise/snapshot"     # the snapshot to analyze (written by `costwise import`)
//! # Optionally re-import exports into it at every run (a CUR folder synced by `aws s3 sync`,
//! # AWS CLI dumps); keep the snapshot outside the published reports directory:
//! # import = ["/var/lib/costwise/exports/cur", "/var/lib/costwise/exports/aws-cli"]
//! # account = "111122223333"                  # for CLI dumps whose path does not say
//! # region = "us-east-1"
//!
//! [report]
//! dir = "/var/lib/costwise/reports"           # one sub-directory per run, plus index.html
//!
//! # Optionally collect from AWS at every run (`costwise collect`) into the snapshot.
//! [collect]
//! accounts = ["111111111111", "222222222222"] # or organization = true; default: the credentials' account
//! role-name = "CostwiseReadOnly"              # assumed in the other accounts
//! regions = ["us-east-1", "eu-west-1"]        # default: every enabled region
//! # profile = "finops"                        # credentials never go here: the AWS provider chain finds them
//! # lookback-days = 30
//! # keep-dumps = "/var/lib/costwise/dumps"
//! cur = "s3://billing-exports/cur/costwise"   # the CUR 2.0 export; default: Cost Explorer
//! ```
//!
//! Relative paths are relative to the config file's directory, so a config
//! works the same from cron, systemd or a shell. Every problem in a section is
//! reported at once.

use std::path::{Path, PathBuf};

/// Where `costwise run` gets its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// The snapshot directory the run analyzes; with `import`, the run first (re)writes it from the exports.
    pub snapshot: PathBuf,
    /// Files or directories to import into `snapshot` at every run (empty: use the snapshot as it is).
    pub import: Vec<PathBuf>,
    /// Account id for CLI dumps that do not say.
    pub account: Option<String>,
    /// Region for CLI dumps that do not say.
    pub region: Option<String>,
}

/// Where `costwise run` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportConfig {
    /// The history directory: `<dir>/<run-id>/` per run and `<dir>/index.html`.
    pub dir: PathBuf,
}

/// The `[collect]` section: `costwise run` collects from AWS into `[source] snapshot` at every run. Mirrors the
/// flags of `costwise collect`; credentials and the role's external id come from the environment
/// (`AWS_PROFILE`, `COSTWISE_EXTERNAL_ID`, ...), never from here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectConfig {
    /// Accounts to read (empty: the credentials' own).
    pub accounts: Vec<String>,
    /// Read every active account of the organization.
    pub organization: bool,
    /// The role to assume in other accounts (default `CostwiseReadOnly`).
    pub role_name: Option<String>,
    /// Regions to read (empty: every enabled region).
    pub regions: Vec<String>,
    /// A named profile from `~/.aws/config`.
    pub profile: Option<String>,
    /// Send requests to this endpoint instead of AWS (an emulator).
    pub endpoint_url: Option<String>,
    /// Days of hourly metrics.
    pub lookback_days: Option<u32>,
    /// Keep the raw API replies here (replaced at every run).
    pub keep_dumps: Option<PathBuf>,
    /// Where the CUR 2.0 export is delivered (`cur = "s3://bucket/prefix"`).
    pub cur: Option<crate::ingest::export::ExportLocation>,
    /// Whether to read Cost Explorer when there is no export (`cost-explorer`, default true; $0.01 per request).
    pub cost_explorer: bool,
}

fn string_list(table: &toml::Table, key: &str, problems: &mut Vec<String>) -> Vec<String> {
    match table.get(key) {
        None => Vec::new(),
        Some(toml::Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item.as_str() {
                Some(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                _ => {
                    problems.push(format!("`{key}`: {item} is not a non-empty string"));
                    None
                }
            })
            .collect(),
        Some(_) => {
            problems.push(format!("`{key}` must be a list of strings"));
            Vec::new()
        }
    }
}

impl CollectConfig {
    /// Validates the `[collect]` table; on error returns every problem, each naming its key.
    pub fn from_toml(table: &toml::Table, config_path: Option<&Path>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        unknown_keys(
            table,
            &[
                "accounts",
                "organization",
                "role-name",
                "regions",
                "profile",
                "endpoint-url",
                "lookback-days",
                "keep-dumps",
                "cur",
                "cost-explorer",
            ],
            &mut problems,
        );
        let accounts = string_list(table, "accounts", &mut problems);
        for account in &accounts {
            if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
                problems.push(format!("`accounts`: `{account}` is not a 12-digit AWS account id"));
            }
        }
        let organization = optional_bool(table, "organization", false, &mut problems);
        if organization && !accounts.is_empty() {
            problems.push("`accounts` and `organization = true` exclude each other".to_owned());
        }
        let lookback_days = match table.get("lookback-days") {
            None => None,
            Some(toml::Value::Integer(days)) if (1..=63).contains(days) => u32::try_from(*days).ok(),
            Some(other) => {
                problems.push(format!("`lookback-days` must be a whole number of days from 1 to 63, found {other}"));
                None
            }
        };
        let cost_explorer = optional_bool(table, "cost-explorer", true, &mut problems);
        let cur = optional_string(table, "cur", &mut problems).and_then(|text| match text.parse() {
            Ok(location) => Some(location),
            Err(problem) => {
                problems.push(format!("`cur`: {problem}"));
                None
            }
        });
        let config = Self {
            accounts,
            organization,
            cur,
            cost_explorer,
            role_name: optional_string(table, "role-name", &mut problems),
            regions: string_list(table, "regions", &mut problems),
            profile: optional_string(table, "profile", &mut problems),
            endpoint_url: optional_string(table, "endpoint-url", &mut problems),
            lookback_days,
            keep_dumps: optional_string(table, "keep-dumps", &mut problems).map(|p| resolve(&p, config_path)),
        };
        if problems.is_empty() { Ok(config) } else { Err(problems) }
    }
}

/// Resolves `value` against the config file's directory.
fn resolve(value: &str, config_path: Option<&Path>) -> PathBuf {
    let path = PathBuf::from(value);
    match config_path.and_then(Path::parent) {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }
}

fn unknown_keys(table: &toml::Table, known: &[&str], problems: &mut Vec<String>) {
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(format!("unknown key `{key}` (known keys: {})", known.join(", ")));
        }
    }
}

fn optional_bool(table: &toml::Table, key: &str, default: bool, problems: &mut Vec<String>) -> bool {
    match table.get(key) {
        None => default,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => {
            problems.push(format!("`{key}` must be true or false"));
            default
        }
    }
}

fn optional_string(table: &toml::Table, key: &str, problems: &mut Vec<String>) -> Option<String> {
    match table.get(key) {
        None => None,
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(_) => {
            problems.push(format!("`{key}` must be a non-empty string"));
            None
        }
    }
}

impl SourceConfig {
    /// Validates the `[source]` table; on error returns every problem, each naming its key.
    pub fn from_toml(table: &toml::Table, config_path: Option<&Path>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        unknown_keys(table, &["snapshot", "import", "account", "region"], &mut problems);
        let snapshot = optional_string(table, "snapshot", &mut problems);
        let account = optional_string(table, "account", &mut problems);
        let region = optional_string(table, "region", &mut problems);
        if let Some(account) = &account
            && (account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()))
        {
            problems.push(format!("`account` = `{account}` is not a 12-digit AWS account id"));
        }
        let import = match table.get("import") {
            None => None,
            Some(toml::Value::Array(items)) if !items.is_empty() => {
                let mut inputs = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(s) if !s.trim().is_empty() => inputs.push(resolve(s.trim(), config_path)),
                        _ => problems.push(format!("`import`: {item} is not a path")),
                    }
                }
                Some(inputs)
            }
            Some(_) => {
                problems.push("`import` must be a non-empty list of paths".to_owned());
                None
            }
        };
        if snapshot.is_none() {
            problems.push("`snapshot` (the snapshot directory to analyze, or to import into) is missing".to_owned());
        }
        if import.is_none() && (account.is_some() || region.is_some()) {
            problems.push("`account` and `region` apply only with `import`".to_owned());
        }
        match snapshot {
            Some(snapshot) if problems.is_empty() => Ok(Self {
                snapshot: resolve(&snapshot, config_path),
                import: import.unwrap_or_default(),
                account,
                region,
            }),
            _ => Err(problems),
        }
    }
}

impl ReportConfig {
    /// The default history directory, `reports` next to the config file.
    pub fn default_for(config_path: Option<&Path>) -> Self {
        Self { dir: resolve("reports", config_path) }
    }

    /// Validates the `[report]` table; on error returns every problem, each naming its key.
    pub fn from_toml(table: &toml::Table, config_path: Option<&Path>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        unknown_keys(table, &["dir"], &mut problems);
        let dir = optional_string(table, "dir", &mut problems);
        if problems.is_empty() {
            Ok(dir.map_or_else(|| Self::default_for(config_path), |dir| Self { dir: resolve(&dir, config_path) }))
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn relative_paths_are_relative_to_the_config_file() {
        let config = Some(Path::new("/etc/costwise/costwise.toml"));
        let source = SourceConfig::from_toml(&table(r#"snapshot = "snap""#), config).unwrap();
        assert_eq!(source.snapshot, PathBuf::from("/etc/costwise/snap"));
        assert!(source.import.is_empty());
        let source =
            SourceConfig::from_toml(&table("snapshot = \"/s\"\nimport = [\"/data/cur\", \"cli\"]"), config).unwrap();
        assert_eq!(source.snapshot, PathBuf::from("/s"));
        assert_eq!(source.import, [PathBuf::from("/data/cur"), PathBuf::from("/etc/costwise/cli")]);
        assert_eq!(ReportConfig::from_toml(&table(""), config).unwrap().dir, PathBuf::from("/etc/costwise/reports"));
    }

    #[test]
    fn the_collect_section_mirrors_the_collect_flags() {
        let config = Some(Path::new("/etc/costwise/costwise.toml"));
        let collect = CollectConfig::from_toml(
            &table(
                "accounts = [\"111111111111\"]\nregions = [\"eu-west-1\"]\nlookback-days = 14\nkeep-dumps = \"dumps\"",
            ),
            config,
        )
        .unwrap();
        assert_eq!(collect.accounts, ["111111111111"]);
        assert_eq!(collect.regions, ["eu-west-1"]);
        assert_eq!(collect.lookback_days, Some(14));
        assert_eq!(collect.keep_dumps, Some(PathBuf::from("/etc/costwise/dumps")));
        let problems = CollectConfig::from_toml(
            &table("accounts = [\"1\"]\norganization = true\nlookback-days = 90\nsecret = \"x\""),
            None,
        )
        .unwrap_err()
        .join("\n");
        for needle in ["12-digit", "exclude each other", "1 to 63", "unknown key `secret`"] {
            assert!(problems.contains(needle), "missing {needle:?} in:\n{problems}");
        }
    }

    #[test]
    fn every_problem_is_reported() {
        let problems =
            SourceConfig::from_toml(&table("import = []\nacount = \"1\"\naccount = \"12\""), None).unwrap_err();
        let all = problems.join("\n");
        for needle in ["`acount`", "`import` must be", "12-digit", "apply only with `import`", "`snapshot`"] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }
}
