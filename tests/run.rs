//! The scheduled job end to end: `costwise init`, `costwise config check` and
//! `costwise run` with its history (run directories, run.json, the index),
//! "since last report", the lock and a failed run — all through the real
//! binary on the tiny snapshot.

mod common;

#[path = "../crates/report/tests/support/mod.rs"]
mod support;

use common::{costwise, stderr, stdout};
use std::fs::File;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// A temp dir with the tiny snapshot and a config analyzing it into `<tmp>/reports` (relative paths).
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    support::write_tiny_snapshot(&dir.path().join("snapshot"));
    let config = dir.path().join("costwise.toml");
    std::fs::write(
        &config,
        format!("[source]\nsnapshot = \"snapshot\"\n[report]\ndir = \"reports\"\n{}", support::BUDGET_CONFIG),
    )
    .unwrap();
    (dir, config)
}

/// Run directories in `reports`, oldest first.
fn runs(reports: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> =
        std::fs::read_dir(reports).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    runs.sort();
    runs
}

#[test]
fn init_writes_a_config_that_checks_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = costwise(&["init"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = dir.path().join("costwise.toml");
    assert_eq!(stdout(&out).trim(), "./costwise.toml");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.contains("[source]") && text.contains("password-env"), "{text}");
    assert!(!text.lines().any(|l| l.trim_start().starts_with("password =")), "no password key in the example");

    let check = costwise(&["config", "check"], dir.path());
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(stdout(&check).contains("costwise.toml: OK"), "{}", stdout(&check));

    let again = costwise(&["init"], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&written).unwrap(), text, "the existing file is untouched");
}

#[test]
fn config_check_reports_every_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        r#"
[source]
import = []
[reprot]
dir = "x"
[rules]
disable = ["no-such-rule"]
[rules.unattached-ebs-volume]
min-days = 3
[email]
from = "costwise@example.com"
to = ["pm@example.com"]
smtp-host = "smtp.example.com"
password = "hunter2"
"#,
    )
    .unwrap();
    let out = costwise(&["config", "check", config.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for needle in [
        "`snapshot`",
        "`import` must be",
        "unknown section `reprot`",
        "no-such-rule",
        "min-days",
        "`password` is not allowed",
        "6 problem(s)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
    // Each problem on its own line, naming the file.
    assert_eq!(err.lines().filter(|l| l.starts_with("error: ") && l.contains("bad.toml")).count(), 7, "{err}");
}

#[test]
fn runs_build_a_history_with_changes_since_the_last_report() {
    let (dir, config) = setup();
    let config = config.to_str().unwrap();
    let reports = dir.path().join("reports");

    let first = costwise(&["run", "--config", config], dir.path());
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let [run1] = runs(&reports).try_into().unwrap();
    assert_eq!(PathBuf::from(stdout(&first).trim()), run1.join("index.html"));
    for file in ["index.html", "email.html", "email.txt", "email.json", "findings.json", "findings.csv", "run.json"] {
        assert!(run1.join(file).is_file(), "{file} missing from {}", run1.display());
    }
    let record = read_json(&run1.join("run.json"));
    assert_eq!(record["status"], "complete");
    assert_eq!(record["exit_code"], 0);
    assert_eq!(record["findings"], 5);
    assert_eq!(record["monthly_savings"], 28.0);
    assert_eq!(record["as_of"], "2026-11-16T00:00:00");
    assert!(record["since_last"].is_null(), "nothing to compare the first run with");
    assert!(record["duration_seconds"].as_f64().unwrap() > 0.0);
    let index = std::fs::read_to_string(reports.join("index.html")).unwrap();
    let run1_id = run1.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(index.contains(&format!("href=\"{run1_id}/index.html\"")), "{index}");
    assert!(index.contains("$28/mo"), "{index}");

    // Pretend last week differed: it did not have the gp3 volume's finding yet, and it had a finding on a
    // volume that is gone now (resolved, $40/month realized).
    let findings_path = run1.join("findings.json");
    let mut previous = read_json(&findings_path);
    let findings = previous["findings"].as_array_mut().unwrap();
    let before = findings.len();
    findings.retain(|f| f["resource_id"] != "vol-0aaa1111");
    assert_eq!(findings.len(), before - 1, "the tiny snapshot has one finding on vol-0aaa1111");
    let mut gone = findings[0].clone();
    gone["rule"] = "unattached-ebs-volume".into();
    gone["resource_id"] = "vol-0gone0000".into();
    gone["title"] = "Unattached 500 GiB gp2 volume".into();
    gone["monthly_savings"] = 40.0.into();
    findings.push(gone);
    std::fs::write(&findings_path, serde_json::to_string_pretty(&previous).unwrap()).unwrap();

    let second = costwise(&["run", "--config", config], dir.path());
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let [_, run2] = runs(&reports).try_into().unwrap();
    let record = read_json(&run2.join("run.json"));
    assert_eq!(record["since_last"]["previous_run"], run1_id.as_str());
    assert_eq!(record["since_last"]["new"], 1);
    assert_eq!(record["since_last"]["resolved"], 1);
    assert_eq!(record["since_last"]["realized_monthly_savings"], 40.0);
    let page = std::fs::read_to_string(run2.join("index.html")).unwrap();
    assert!(page.contains("Since last report"), "the page compares with the previous run");
    assert!(page.contains("vol-0gone0000") && page.contains("realized"), "the resolved finding is listed");
    assert!(page.contains("1 new finding"), "the new finding is counted");
    let mail = std::fs::read_to_string(run2.join("email.json")).unwrap();
    assert!(mail.contains(", 1 new"), "the subject counts the new finding: {mail}");
    let index = std::fs::read_to_string(reports.join("index.html")).unwrap();
    let row = |id: &str| index.find(&format!("id=\"run-{id}\"")).unwrap();
    assert!(row(run2.file_name().unwrap().to_str().unwrap()) < row(&run1_id), "newest first");
    assert!(index.contains("+1 / −1") && index.contains("$40/mo"), "{index}");
    assert_eq!(std::fs::read_to_string(reports.join(".costwise.lock")).unwrap(), "", "released");
}

#[test]
fn a_held_lock_stops_a_second_run_and_a_stale_one_is_recovered() {
    let (dir, config) = setup();
    let config = config.to_str().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let lock_path = reports.join(".costwise.lock");

    let held = File::options().create(true).truncate(false).read(true).write(true).open(&lock_path).unwrap();
    held.try_lock().unwrap();
    std::fs::write(&lock_path, "pid 4242 on cron-host since 2026-11-23 06:00:00 UTC").unwrap();
    let blocked = costwise(&["run", "--config", config], dir.path());
    assert_eq!(blocked.status.code(), Some(1), "{}", stderr(&blocked));
    let err = stderr(&blocked);
    assert!(err.contains("another costwise run") && err.contains("pid 4242 on cron-host"), "{err}");
    assert!(runs(&reports).is_empty(), "no run directory while another run holds the lock");
    held.unlock().unwrap();
    drop(held);

    // The holder died without emptying the file: the next run takes over and says so.
    let recovered = costwise(&["run", "--config", config], dir.path());
    assert_eq!(recovered.status.code(), Some(0), "{}", stderr(&recovered));
    assert!(stderr(&recovered).contains("recovered a stale lock (pid 4242"), "{}", stderr(&recovered));
    assert_eq!(runs(&reports).len(), 1);
}

#[test]
fn a_failed_run_is_recorded_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("costwise.toml");
    std::fs::write(&config, "[source]\nsnapshot = \"missing-snapshot\"\n").unwrap();
    let out = costwise(&["run", "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("missing-snapshot") && err.contains("recorded in its run.json"), "{err}");
    let reports = dir.path().join("reports");
    let [run] = runs(&reports).try_into().unwrap();
    let record = read_json(&run.join("run.json"));
    assert_eq!(record["status"], "failed");
    assert_eq!(record["exit_code"], 1);
    assert!(record["error"].as_str().unwrap().contains("does not exist"), "{record}");
    assert!(!run.join("index.html").exists());
    let index = std::fs::read_to_string(reports.join("index.html")).unwrap();
    assert!(index.contains("failed") && index.contains("does not exist"), "{index}");

    let no_source = dir.path().join("no-source.toml");
    std::fs::write(&no_source, "[report]\ndir = \"r\"\n").unwrap();
    let out = costwise(&["run", "--config", no_source.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no [source] section"), "{}", stderr(&out));
}
