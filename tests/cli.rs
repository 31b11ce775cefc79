//! End-to-end tests: the real `costwise` binary on a small snapshot written
//! by the test, checking stdout, stderr, exit codes and the files it writes,
//! and the rendered page in headless Chromium.

#[path = "../crates/report/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn costwise(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_costwise"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .output()
        .expect("the costwise binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

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
    let page = out_dir.join("report.html");
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
    assert_eq!(names, ["email.html", "email.json", "email.txt", "findings.csv", "findings.json", "report.html"]);
}

#[test]
fn report_defaults_to_a_folder_named_after_the_as_of_date() {
    let (dir, snap) = snapshot();
    let out = costwise(&["report", "--quiet", "--snapshot", snap.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), Path::new("reports").join("2026-11-16").join("report.html").to_str().unwrap());
    assert!(dir.path().join("reports/2026-11-16/report.html").is_file());
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

/// Where Chromium is, or a failure that says how to get it.
fn chromium() -> PathBuf {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] {
        if Path::new(candidate).is_file() {
            return candidate.into();
        }
    }
    panic!(
        "headless Chromium is required for the rendered-page test but was not found in /usr/bin. \
         Install it with `apt-get update && apt-get install -y chromium` (scripts/test does this when run as root)."
    );
}

/// Runs headless Chromium with a time limit; returns its stdout.
fn run_chromium(profile: &Path, extra: &[String], page: &Path) -> String {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let (dir, snap) = snapshot();
    let out_dir = dir.path().join("out");
    let out =
        costwise(&["report", "--snapshot", snap.to_str().unwrap(), "--out", out_dir.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = out_dir.join("report.html").canonicalize().unwrap();

    let dom = run_chromium(&dir.path().join("profile-dom"), &["--dump-dom".to_owned()], &page);
    assert!(dom.contains("Potential savings"), "headline missing from the rendered DOM:\n{dom}");
    assert!(dom.contains("$28/month"), "savings missing from the rendered DOM");
    assert!(dom.contains("vol-0bbb2222"), "finding missing from the rendered DOM");
    assert!(dom.contains("<svg class=\"trend\""), "trend chart missing from the rendered DOM");

    let shot = dir.path().join("report.png");
    run_chromium(
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_owned(),
            "--hide-scrollbars".to_owned(),
        ],
        &page,
    );
    let png = std::fs::read(&shot).expect("chromium wrote a screenshot");
    // To look at the page yourself: COSTWISE_TEST_ARTIFACTS=/some/dir cargo test --test cli the_page_renders
    if let Some(keep) = std::env::var_os("COSTWISE_TEST_ARTIFACTS") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&page, keep.join("report.html")).unwrap();
        std::fs::copy(&shot, keep.join("report.png")).unwrap();
    }
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 2000));
    // A blank or error page compresses to a few KB; the report has text, tables and a chart.
    assert!(png.len() > 40_000, "screenshot is suspiciously small ({} bytes)", png.len());
}
