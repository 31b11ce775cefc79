//! End-to-end tests: the real `costwise` binary on a small snapshot written
//! by the test, checking stdout, stderr, exit codes and the files it writes.
//! The page in a real browser is tested in `tests/browser.rs`.

mod common;

#[path = "../crates/report/tests/support/mod.rs"]
mod support;

use common::{costwise, stderr, stdout};
use std::path::{Path, PathBuf};

/// A temp dir holding the tiny snapshot at `<tmp>/snapshot`.
fn snapshot() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot");
    support::write_tiny_snapshot(&path);
    (dir, path)
}

#[test]
fn rules_lists_every_rule() {
    let out = costwise(&["rules"], Path::new("."));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let ids: Vec<&str> = lines.iter().map(|l| l.split_whitespace().next().unwrap_or_default()).collect();
    let registered: Vec<&str> = costwise_analyzer::rules::registry().iter().map(|r| r.id).collect();
    assert_eq!(ids, registered, "one line per registered rule, in registry order");
    assert!(lines.iter().any(|l| l.starts_with("spend-overview ") && l.contains(" spend ")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("unattached-ebs-volume ") && l.contains(" unused ")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("gp2-to-gp3 ") && l.contains(" storage ")), "{text}");
}

#[test]
fn rules_with_an_id_prints_its_documentation_and_defaults() {
    let out = costwise(&["rules", "unattached-ebs-volume"], Path::new("."));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for section in [
        "# unattached-ebs-volume (unused)",
        "## What it finds",
        "## Why it costs money",
        "## How savings are estimated",
        "## Settings",
    ] {
        assert!(text.contains(section), "missing `{section}` in:\n{text}");
    }
    assert!(
        text.contains("## Default settings\n\n```toml\n[rules.unattached-ebs-volume]\nmin-days-unattached = 7\n```"),
        "{text}"
    );
}

#[test]
fn an_unknown_rule_id_is_a_usage_error_listing_the_known_ids() {
    let out = costwise(&["rules", "unattached-ebs-volumes"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: unknown rule `unattached-ebs-volumes`"), "{err}");
    assert!(err.contains("spend-overview") && err.contains("unattached-ebs-volume"), "{err}");
}

#[test]
fn schema_prints_the_data_model() {
    let out = costwise(&["schema"], Path::new("."));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("costs") && text.contains("volume_id") && text.contains("usage_start"), "{text}");
}

#[test]
fn help_documents_the_exit_codes() {
    let out = costwise(&["--help"], Path::new("."));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("Exit codes:") && text.contains("3  output written but incomplete"), "{text}");
}

#[test]
fn analyze_json_prints_the_findings_document() {
    let (dir, snap) = snapshot();
    let out = costwise(&["analyze", "--snapshot", snap.to_str().unwrap(), "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("stdout is JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["as_of"], "2026-11-16T00:00:00");
    // $8.00 + $20.00 from the two unattached volumes; the spend alerts save nothing.
    assert!((doc["totals"]["monthly_savings"].as_f64().unwrap() - 28.0).abs() < 1e-9);
    let volumes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unattached-ebs-volume")
        .map(|f| f["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(volumes, ["vol-0bbb2222", "vol-0aaa1111"]);
    // 15 days of $27 then $47 a day: $545 in the window.
    assert!((doc["spend"]["window_cost"].as_f64().unwrap() - 545.0).abs() < 1e-9);
}

#[test]
fn analyze_table_prints_a_summary() {
    let (dir, snap) = snapshot();
    let config = dir.path().join("costwise.toml");
    std::fs::write(&config, support::BUDGET_CONFIG).unwrap();
    let out =
        costwise(&["analyze", "--snapshot", snap.to_str().unwrap(), "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Potential savings $28/month ("), "{text}");
    assert!(text.contains("vol-0bbb2222 (old-build-cache)"), "{text}");
    // Forecast $1,250 against $1,000.
    assert!(text.contains("forecast $1,250.00 against a budget of $1,000.00"), "{text}");
}

#[test]
fn report_writes_the_page_and_json_and_prints_the_path() {
    let (dir, snap) = snapshot();
    let out_dir = dir.path().join("out");
    let out =
        costwise(&["report", "--snapshot", snap.to_str().unwrap(), "--out", out_dir.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = out_dir.join("index.html");
    assert_eq!(stdout(&out).trim_end(), page.to_str().unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Potential savings <strong>$28/month</strong>"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("findings.json")).unwrap()).unwrap();
    let found: Vec<(&str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["resource_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("unattached-ebs-volume", "vol-0bbb2222"),
            ("unattached-ebs-volume", "vol-0aaa1111"),
            ("gp2-to-gp3", "vol-0bbb2222"),
            ("spend-overview", "AmazonEC2"),
        ],
        "two volumes, the gp2 one also as gp2-to-gp3, and the EC2 spike"
    );
    let overlaps = json["overlaps"].as_array().unwrap();
    assert_eq!(overlaps.len(), 1, "deleting the gp2 volume saves more than converting it: {overlaps:?}");
    assert_eq!(
        (overlaps[0]["skipped_rule"].as_str(), overlaps[0]["counted_rule"].as_str()),
        (Some("gp2-to-gp3"), Some("unattached-ebs-volume"))
    );
    // No temporary files left behind.
    let mut names: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["email.html", "email.json", "email.txt", "findings.csv", "findings.json", "index.html"]);
}

#[test]
fn report_defaults_to_a_folder_named_after_the_as_of_date() {
    let (dir, snap) = snapshot();
    let out = costwise(&["report", "--quiet", "--snapshot", snap.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), Path::new("reports").join("2026-11-16").join("index.html").to_str().unwrap());
    assert!(dir.path().join("reports/2026-11-16/index.html").is_file());
    assert!(dir.path().join("reports/2026-11-16/findings.json").is_file());
    assert!(dir.path().join("reports/2026-11-16/findings.csv").is_file());
    assert_eq!(stderr(&out), "", "--quiet prints nothing but results");
}

#[test]
fn a_missing_snapshot_directory_exits_1_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-snapshot");
    let out = costwise(&["analyze", "--snapshot", missing.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: ") && err.contains(missing.to_str().unwrap()), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn a_directory_that_is_not_a_snapshot_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = costwise(&["report", "--snapshot", dir.path().to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("manifest.json"), "{}", stderr(&out));
}

#[test]
fn a_config_typo_exits_2_naming_the_key() {
    let (dir, snap) = snapshot();
    let config = dir.path().join("costwise.toml");
    std::fs::write(&config, "[rules.unattached-ebs-volume]\nmin-days = 3\n").unwrap();
    let out =
        costwise(&["analyze", "--snapshot", snap.to_str().unwrap(), "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: ") && err.contains("min-days") && err.contains("costwise.toml"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn bad_arguments_exit_2() {
    let out = costwise(&["analyze", "--format", "yaml", "--snapshot", "x"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
    let out = costwise(&["frobnicate"], Path::new("."));
    assert_eq!(out.status.code(), Some(2));
}
