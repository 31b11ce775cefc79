//! The report history that `costwise run` keeps: one directory per run and
//! an index page listing them all.
//!
//! ```text
//! reports/
//!   index.html                 every run, newest first (rewritten atomically after each run)
//!   2026-11-23T060002Z/        a run id: the UTC start time, sortable and safe in URLs
//!     index.html  email.html  email.txt  email.json  findings.json  findings.csv
//!     run.json                 timing, inputs, outcome and exit status of the run
//! ```
//!
//! `run.json` is written last, and also for a run that failed before it
//! produced a report, so the index shows failures too. The previous report
//! for "since last report" is the newest earlier run whose `findings.json`
//! is readable; a failed run in between does not break the comparison.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use askama::Template;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::changes::PreviousReport;
use crate::format::{money_whole, percent};
use crate::output;

/// Version of the `run.json` layout.
pub const RUN_SCHEMA_VERSION: u32 = 1;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Everything ran; the e-mail (if configured) was sent.
    Complete,
    /// The report was written but one or more rules failed.
    Incomplete,
    /// The report was written but the e-mail was not sent.
    NotSent,
    /// No report: the run stopped with an error.
    Failed,
}

impl RunStatus {
    /// The label shown in the index.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Complete => "complete",
            RunStatus::Incomplete => "incomplete (rules failed)",
            RunStatus::NotSent => "e-mail not sent",
            RunStatus::Failed => "failed",
        }
    }
}

/// The contents of `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// [`RUN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The run id (the directory name).
    pub run_id: String,
    /// `costwise <version>`.
    pub generator: String,
    /// When the run started and finished (UTC, RFC 3339).
    pub started_at: DateTime<Utc>,
    /// See `started_at`.
    pub finished_at: DateTime<Utc>,
    /// Wall-clock seconds.
    pub duration_seconds: f64,
    /// How it ended.
    pub status: RunStatus,
    /// The process exit code it ended with.
    pub exit_code: u8,
    /// The config file.
    pub config: String,
    /// What was analyzed: the snapshot directory, or the imported inputs.
    pub inputs: Vec<String>,
    /// The data's as-of moment (`2026-11-16T00:00:00`), when the snapshot was read.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Number of findings.
    #[serde(default)]
    pub findings: Option<usize>,
    /// Counted monthly savings.
    #[serde(default)]
    pub monthly_savings: Option<f64>,
    /// Monthly spend run rate.
    #[serde(default)]
    pub monthly_spend: Option<f64>,
    /// Savings as a share of spend, percent.
    #[serde(default)]
    pub savings_pct: Option<f64>,
    /// Rules that failed (`rule: message`).
    #[serde(default)]
    pub rule_failures: Vec<String>,
    /// The comparison with the previous run, when there was one.
    #[serde(default)]
    pub since_last: Option<SinceLast>,
    /// The e-mail, when configured.
    #[serde(default)]
    pub email: Option<EmailOutcome>,
    /// The error that stopped a failed run.
    #[serde(default)]
    pub error: Option<String>,
}

/// The "since last report" figures of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinceLast {
    /// The run compared with.
    pub previous_run: String,
    /// New findings.
    pub new: usize,
    /// Resolved findings (verified or not).
    pub resolved: usize,
    /// Realized monthly savings (verified resolved findings).
    pub realized_monthly_savings: f64,
}

/// What happened to the e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailOutcome {
    /// Whether it was sent.
    pub sent: bool,
    /// Recipients.
    pub to: Vec<String>,
    /// The subject.
    pub subject: Option<String>,
    /// Why it was not sent (never contains the password).
    pub error: Option<String>,
}

/// A run id for a run starting at `now`: `2026-11-23T060002Z`.
pub fn run_id(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H%M%SZ").to_string()
}

/// True for names `run_id` produces (with an optional `-N` suffix for runs started in the same second).
pub fn is_run_id(name: &str) -> bool {
    let Some(base) = name.get(..18) else { return false };
    let rest = &name[18..];
    let suffix_ok = rest.is_empty()
        || rest.strip_prefix('-').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    suffix_ok && base.ends_with('Z') && chrono::NaiveDateTime::parse_from_str(&base[..17], "%Y-%m-%dT%H%M%S").is_ok()
}

/// The history directory.
#[derive(Debug, Clone)]
pub struct History {
    dir: PathBuf,
}

/// One run found in the history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The run id.
    pub run_id: String,
    /// Its `run.json`, or why it could not be read (a run still in progress has none yet).
    pub record: Result<RunRecord, String>,
    /// Whether the run wrote a page (`<run>/index.html`).
    pub has_page: bool,
}

impl History {
    /// The history in `dir` (which need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory for a new run starting at `now` and returns its id and path. Two runs in the same
    /// second get `-2`, `-3`, ... suffixes rather than sharing a directory.
    pub fn create_run_dir(&self, now: DateTime<Utc>) -> anyhow::Result<(String, PathBuf)> {
        output::ensure_dir(&self.dir)?;
        let base = run_id(now);
        for n in 1..1000 {
            let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            let path = self.dir.join(&id);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok((id, path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("{}: cannot create run directory", path.display())),
            }
        }
        anyhow::bail!("{}: too many runs started at {base}", self.dir.display())
    }

    /// Every run, oldest first.
    pub fn entries(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        let mut entries = Vec::new();
        let listing = match std::fs::read_dir(&self.dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot list reports", self.dir.display())),
        };
        for item in listing {
            let item = item.with_context(|| format!("{}: cannot list reports", self.dir.display()))?;
            let name = item.file_name().to_string_lossy().into_owned();
            if !item.path().is_dir() || !is_run_id(&name) {
                continue;
            }
            let record = read_record(&item.path().join("run.json"));
            entries.push(HistoryEntry { has_page: item.path().join("index.html").is_file(), run_id: name, record });
        }
        entries.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        Ok(entries)
    }

    /// The newest run before `run_id` with a readable `findings.json`, and its findings.
    pub fn previous_report(&self, run_id: &str) -> anyhow::Result<Option<(String, PreviousReport)>> {
        for entry in self.entries()?.into_iter().rev().filter(|e| e.run_id.as_str() < run_id) {
            let path = self.dir.join(&entry.run_id).join("findings.json");
            if !path.is_file() {
                continue;
            }
            match PreviousReport::load(&path) {
                Ok(report) => return Ok(Some((entry.run_id, report))),
                Err(err) => tracing::warn!("skipping {} for \"since last report\": {err:#}", path.display()),
            }
        }
        Ok(None)
    }

    /// Rewrites `index.html` (atomically) from the runs on disk.
    pub fn write_index(&self) -> anyhow::Result<PathBuf> {
        let page = IndexPage::new(&self.entries()?);
        let html = page.render().context("rendering the report index")?;
        output::write_atomic(&self.dir, "index.html", html.as_bytes())
    }
}

fn read_record(path: &Path) -> Result<RunRecord, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("no readable run.json ({e})"))?;
    serde_json::from_str(&text).map_err(|e| format!("run.json is not valid: {e}"))
}

impl RunRecord {
    /// Writes `run.json` into `dir` atomically.
    pub fn write(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        let mut text = serde_json::to_string_pretty(self).context("serializing run.json")?;
        text.push('\n');
        output::write_atomic(dir, "run.json", text.as_bytes())
    }
}

/// `reports/index.html`.
#[derive(Template)]
#[template(path = "history.html")]
struct IndexPage {
    generator: &'static str,
    rows: Vec<IndexRow>,
    /// `12 runs, the latest 2026-11-23 06:00 UTC`.
    summary: String,
}

/// One run in the index, formatted.
struct IndexRow {
    run_id: String,
    /// `2026-11-23 06:00 UTC`.
    started: String,
    /// Link to the run's page, when it has one.
    link: Option<String>,
    as_of: String,
    status: String,
    status_class: &'static str,
    savings: String,
    share: String,
    findings: String,
    changes: String,
    realized: String,
    email: String,
    duration: String,
    /// The error of a failed run, or why run.json is unreadable.
    note: String,
}

impl IndexPage {
    fn new(entries: &[HistoryEntry]) -> Self {
        let rows: Vec<IndexRow> = entries.iter().rev().map(IndexRow::new).collect();
        let summary = match rows.first() {
            None => "No runs yet.".to_owned(),
            Some(latest) => format!(
                "{} run{}, the latest started {}.",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                latest.started
            ),
        };
        Self { generator: crate::GENERATOR, rows, summary }
    }
}

impl IndexRow {
    fn new(entry: &HistoryEntry) -> Self {
        let link = entry.has_page.then(|| format!("{}/index.html", entry.run_id));
        let started = chrono::NaiveDateTime::parse_from_str(&entry.run_id[..17], "%Y-%m-%dT%H%M%S")
            .map_or_else(|_| entry.run_id.clone(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
        let dash = || "—".to_owned();
        match &entry.record {
            Err(why) => Self {
                run_id: entry.run_id.clone(),
                started,
                link,
                as_of: dash(),
                status: "unknown".to_owned(),
                status_class: "warn",
                savings: dash(),
                share: dash(),
                findings: dash(),
                changes: dash(),
                realized: dash(),
                email: dash(),
                duration: dash(),
                note: format!("{why} (still running, or interrupted)"),
            },
            Ok(run) => Self {
                run_id: entry.run_id.clone(),
                started,
                link,
                as_of: run.as_of.as_deref().map_or_else(dash, |a| a.get(..10).unwrap_or(a).to_owned()),
                status: run.status.label().to_owned(),
                status_class: match run.status {
                    RunStatus::Complete => "ok",
                    RunStatus::Incomplete | RunStatus::NotSent => "warn",
                    RunStatus::Failed => "bad",
                },
                savings: run.monthly_savings.map_or_else(dash, |s| format!("{}/mo", money_whole(s))),
                share: run.savings_pct.map_or_else(dash, percent),
                findings: run.findings.map_or_else(dash, |n| n.to_string()),
                changes: run.since_last.as_ref().map_or_else(dash, |s| format!("+{} / −{}", s.new, s.resolved)),
                realized: run
                    .since_last
                    .as_ref()
                    .map_or_else(dash, |s| format!("{}/mo", money_whole(s.realized_monthly_savings))),
                email: match &run.email {
                    None if run.status == RunStatus::Failed => dash(),
                    None => "not configured".to_owned(),
                    Some(e) if e.sent => format!("sent to {}", e.to.len()),
                    Some(_) => "not sent".to_owned(),
                },
                duration: format!("{:.1} s", run.duration_seconds),
                note: run
                    .error
                    .clone()
                    .or_else(|| run.email.as_ref().and_then(|e| e.error.clone()))
                    .or_else(|| (!run.rule_failures.is_empty()).then(|| run.rule_failures.join("; ")))
                    .unwrap_or_default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time_and_are_recognized() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T06:00:02Z").unwrap().with_timezone(&Utc);
        assert_eq!(run_id(t), "2026-11-23T060002Z");
        assert!(is_run_id("2026-11-23T060002Z"));
        assert!(is_run_id("2026-11-23T060002Z-2"));
        for name in ["latest", "2026-11-23", "2026-11-23T060002", "2026-11-23T060002Z-", "2026-13-23T060002Z"] {
            assert!(!is_run_id(name), "{name}");
        }
    }

    #[test]
    fn same_second_runs_get_their_own_directories() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::new(dir.path().join("reports"));
        let t = DateTime::parse_from_rfc3339("2026-11-23T06:00:02Z").unwrap().with_timezone(&Utc);
        let (a, _) = history.create_run_dir(t).unwrap();
        let (b, _) = history.create_run_dir(t).unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("2026-11-23T060002Z", "2026-11-23T060002Z-2"));
        let ids: Vec<String> = history.entries().unwrap().into_iter().map(|e| e.run_id).collect();
        assert_eq!(ids, [a, b]);
    }

    fn record(id: &str, status: RunStatus) -> RunRecord {
        let started_at = DateTime::parse_from_rfc3339(&format!(
            "{}-{}-{}T{}:{}:{}Z",
            &id[..4],
            &id[5..7],
            &id[8..10],
            &id[11..13],
            &id[13..15],
            &id[15..17]
        ))
        .unwrap()
        .with_timezone(&Utc);
        RunRecord {
            schema_version: RUN_SCHEMA_VERSION,
            run_id: id.to_owned(),
            generator: "costwise [version]".to_owned(),
            started_at,
            finished_at: started_at + chrono::Duration::milliseconds(9_400),
            duration_seconds: 9.4,
            status,
            exit_code: 0,
            config: "/etc/costwise/costwise.toml".to_owned(),
            inputs: vec!["/var/lib/costwise/snapshot".to_owned()],
            as_of: Some("2026-11-16T00:00:00".to_owned()),
            findings: Some(12),
            monthly_savings: Some(1912.4),
            monthly_spend: Some(5000.0),
            savings_pct: Some(38.248),
            rule_failures: Vec::new(),
            since_last: None,
            email: Some(EmailOutcome {
                sent: true,
                to: vec!["pm@example.com".to_owned()],
                subject: Some("costwise: $1,912/month in savings found (38%)".to_owned()),
                error: None,
            }),
            error: None,
        }
    }

    /// The index for a fixed history: a complete first run, a second run with changes whose e-mail failed,
    /// a failed run (with a hostile error message) and a run still in progress.
    #[test]
    fn index_page_snapshot() {
        let first = record("2026-11-09T060001Z", RunStatus::Complete);
        let mut second = record("2026-11-16T060002Z", RunStatus::NotSent);
        second.exit_code = 4;
        second.since_last =
            Some(SinceLast { previous_run: first.run_id.clone(), new: 3, resolved: 2, realized_monthly_savings: 96.5 });
        second.email = Some(EmailOutcome {
            sent: false,
            to: vec!["pm@example.com".to_owned()],
            subject: None,
            error: Some("e-mail not sent: connection refused".to_owned()),
        });
        let mut failed = record("2026-11-23T060000Z", RunStatus::Failed);
        failed.exit_code = 1;
        failed.as_of = None;
        failed.findings = None;
        failed.monthly_savings = None;
        failed.savings_pct = None;
        failed.email = None;
        failed.error = Some("snapshot <script>alert(1)</script> does not exist".to_owned());
        let entries = vec![
            HistoryEntry { run_id: first.run_id.clone(), record: Ok(first), has_page: true },
            HistoryEntry { run_id: second.run_id.clone(), record: Ok(second), has_page: true },
            HistoryEntry { run_id: failed.run_id.clone(), record: Ok(failed), has_page: false },
            HistoryEntry {
                run_id: "2026-11-30T060000Z".to_owned(),
                record: Err("no readable run.json (No such file or directory (os error 2))".to_owned()),
                has_page: false,
            },
        ];
        let mut page = IndexPage::new(&entries);
        page.generator = "costwise [version]";
        let html = page.render().unwrap();
        assert!(!html.contains("<script>alert"), "the error message is escaped");
        insta::assert_snapshot!("history_index", html);
    }
}
