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
    fn every_problem_is_reported() {
        let problems =
            SourceConfig::from_toml(&table("import = []\nacount = \"1\"\naccount = \"12\""), None).unwrap_err();
        let all = problems.join("\n");
        for needle in ["`acount`", "`import` must be", "12-digit", "apply only with `import`", "`snapshot`"] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }
}
