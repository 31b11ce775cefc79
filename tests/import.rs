//! End to end: `costwise import` builds a snapshot from billing exports and
//! AWS CLI dumps that `analyze` can read, and rejects bad input with one
//! line naming the file and the column, writing nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ingest")
}

fn costwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_costwise")).args(args).env_remove("RUST_LOG").output().expect("costwise runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn import_then_analyze_billing_and_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snap");
    let cur = fixtures().join("billing/cur2.parquet");
    let dumps = fixtures().join("aws-cli");
    let out =
        costwise(&["import", "--out", snapshot.to_str().unwrap(), cur.to_str().unwrap(), dumps.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), snapshot.to_str().unwrap(), "prints the snapshot path");

    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["source"]["kind"], "import");
    let inputs = manifest["source"]["inputs"].as_array().unwrap();
    let billing = inputs.iter().find(|i| i["path"].as_str().unwrap().ends_with("cur2.parquet")).unwrap();
    assert_eq!((billing["format"].as_str().unwrap(), billing["rows"].as_u64().unwrap()), ("CUR 2.0 (Parquet)", 16));
    assert_eq!(manifest["tables"]["costs"]["rows"], 16);
    assert_eq!(manifest["tables"]["volumes"]["status"], "present");
    assert_eq!(manifest["tables"]["metrics"]["status"], "absent");
    let accounts: Vec<&str> =
        manifest["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(accounts, ["111111111111", "222222222222"]);

    let out = costwise(&["analyze", "--snapshot", snapshot.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "analyze failed: {}", text(&out.stderr));
    let analysis: Value = serde_json::from_slice(&out.stdout).unwrap();
    let unattached: Vec<(&str, f64)> = analysis["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unattached-ebs-volume")
        .map(|f| (f["resource_id"].as_str().unwrap(), f["monthly_savings"].as_f64().unwrap()))
        .collect();
    // 500 GiB io1 with 4,000 IOPS: 500 × $0.125 + 4,000 × $0.065 = $322.50; 500 GiB st1: 500 × $0.045 = $22.50.
    assert_eq!(unattached, [("vol-0aaa00000000005", 322.5), ("vol-0ccc00000000002", 22.5)]);
    let gaps = analysis["coverage"]["data_gaps"].as_array().unwrap();
    assert!(gaps.iter().any(|g| g["table"] == "metrics"), "missing metrics are reported as a data gap");
}

#[test]
fn bad_billing_input_exits_1_naming_file_and_column_and_writes_nothing() {
    let cases = [
        ("non-numeric-cost.csv", "line_item_unblended_cost"),
        ("missing-column.csv", "line_item_usage_account_id"),
        ("truncated.parquet", "Parquet"),
        ("non-utf8.csv", "UTF-8"),
        ("mixed-currencies.csv", "currenc"),
    ];
    for (file, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = dir.path().join("snap");
        let input = fixtures().join("billing/bad").join(file);
        let out = costwise(&["import", "--out", snapshot.to_str().unwrap(), input.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.starts_with("error: ") && err.contains(file) && err.contains(needle), "{file}: {err}");
        assert_eq!(err.lines().count(), 1, "{file}: one line: {err}");
        assert!(!snapshot.exists(), "{file}: a failed import leaves no snapshot behind");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "{file}: no staging directory left behind");
    }
}

#[test]
fn a_failed_import_keeps_the_previous_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snap");
    let good = fixtures().join("billing/cur2.parquet");
    assert!(costwise(&["import", "--out", snapshot.to_str().unwrap(), good.to_str().unwrap()]).status.success());
    let before = std::fs::read(snapshot.join("manifest.json")).unwrap();
    let bad = fixtures().join("billing/bad/non-numeric-cost.csv");
    let out = costwise(&["import", "--out", snapshot.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(snapshot.join("manifest.json")).unwrap(), before, "the old snapshot is untouched");
}

#[test]
fn s3_inventory_reports_import_end_to_end_and_orc_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snap");
    let inventory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/s3-inventory");
    let reports = inventory.join("reports");
    let dumps = fixtures().join("aws-cli");
    let out =
        costwise(&["import", "--out", snapshot.to_str().unwrap(), reports.to_str().unwrap(), dumps.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("warning: ignored"), "checksums and Hive symlinks are part of the reports: {stderr}");
    assert!(stderr.contains("superseded by the newer report"), "the skipped older report is listed: {stderr}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot.join("manifest.json")).unwrap()).unwrap();
    // 7 object versions of acme-media (newest CSV report) + 3 objects of acme-logs (Parquet).
    assert_eq!(manifest["tables"]["s3_objects"]["rows"], 10);
    assert_eq!(manifest["tables"]["costs"]["status"], "absent", "inventory data files are not billing files");

    let orc = costwise(&["import", "--out", snapshot.to_str().unwrap(), inventory.join("bad/orc").to_str().unwrap()]);
    assert_eq!(orc.status.code(), Some(1));
    let err = text(&orc.stderr);
    assert!(err.starts_with("error: ") && err.contains("manifest.json") && err.contains("ORC"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

/// Cost Explorer replies are billing without line items: imported alone they feed the spend overview and the
/// analysis says findings are limited; imported with a billing export they are refused (the same spend twice).
#[test]
fn cost_explorer_dumps_are_billing_without_line_items() {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("dumps/111111111111");
    std::fs::create_dir_all(&account).unwrap();
    let day = |start: &str, end: &str| {
        serde_json::json!({"TimePeriod": {"Start": start, "End": end}, "Groups": [
            {"Keys": ["Amazon Elastic Compute Cloud - Compute", "us-east-1"],
             "Metrics": {"UnblendedCost": {"Amount": "24", "Unit": "USD"}, "AmortizedCost": {"Amount": "20", "Unit": "USD"}}}
        ]})
    };
    let reply = serde_json::json!({
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "REGION"}],
        "ResultsByTime": [day("2026-11-01", "2026-11-02"), day("2026-11-02", "2026-11-03")]
    });
    std::fs::write(account.join("get-cost-and-usage.json"), reply.to_string()).unwrap();

    let snapshot = dir.path().join("snap");
    let dumps = dir.path().join("dumps");
    let out = costwise(&["import", "--out", snapshot.to_str().unwrap(), dumps.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {}", text(&out.stderr));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["tables"]["costs"]["rows"], 2);
    let out = costwise(&["analyze", "--snapshot", snapshot.to_str().unwrap(), "--format", "json"]);
    let analysis: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(analysis["spend"]["by_service"][0]["key"], "AmazonEC2");
    assert_eq!(analysis["spend"]["by_service"][0]["cost"], 40.0, "amortized, two days");
    let limitations = analysis["coverage"]["limitations"].as_array().unwrap();
    assert!(limitations[0].as_str().unwrap().contains("Cost Explorer"), "{limitations:?}");

    let cur = fixtures().join("billing/cur2.parquet");
    let both = dir.path().join("both");
    let out = costwise(&["import", "--out", both.to_str().unwrap(), cur.to_str().unwrap(), dumps.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("get-cost-and-usage.json") && stderr.contains("count the same spend twice"), "{stderr}");
    assert!(!both.exists(), "nothing is written");
}
