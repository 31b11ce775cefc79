//! End to end: `costwise demo` on the bundled demo account finds exactly what
//! the generator planted, at the dollar figures the generator computed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn oracle() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-oracle.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixtures/demo-oracle.json")).expect("oracle JSON")
}

fn planted(oracle: &Value, kind: &str) -> BTreeMap<String, Option<f64>> {
    oracle["findings"]
        .as_array()
        .expect("oracle.findings is a list")
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| (p["resource_id"].as_str().unwrap().to_owned(), p["expected_monthly_savings"].as_f64()))
        .collect()
}

#[test]
fn demo_report_matches_the_generators_oracle() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_costwise"))
        .args(["demo", "--out"])
        .arg(out.path())
        .output()
        .expect("run costwise demo");
    assert!(output.status.success(), "costwise demo failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let page = out.path().join("report.html");
    assert!(stdout.contains(&*page.to_string_lossy()), "demo prints the page path, got: {stdout}");
    assert!(page.exists());

    let findings: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.json")).unwrap()).unwrap();
    let oracle = oracle();

    let reported: BTreeMap<String, f64> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unattached-ebs-volume")
        .map(|f| (f["resource_id"].as_str().unwrap().to_owned(), f["monthly_savings"].as_f64().unwrap()))
        .collect();
    let expected = planted(&oracle, "unattached-ebs-volume");
    assert!(!expected.is_empty(), "the demo plants unattached volumes");
    assert_eq!(
        reported.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "exactly the planted unattached volumes are reported"
    );
    for (id, savings) in &reported {
        let want = expected[id].expect("oracle prices every unattached volume");
        assert!((savings - want).abs() < 0.01, "{id}: reported ${savings:.2}/month, oracle ${want:.2}");
    }
    for recent in planted(&oracle, "recently-detached-ebs-volume").keys() {
        assert!(!reported.contains_key(recent), "{recent} was detached only days ago and must not be reported");
    }

    let total = findings["totals"]["monthly_savings"].as_f64().unwrap();
    let spend = findings["totals"]["monthly_spend"].as_f64().unwrap();
    assert!((total - reported.values().sum::<f64>()).abs() < 0.01, "headline = sum of counted findings");
    assert!((3_500.0..7_000.0).contains(&spend), "demo bills about $5,000/month, got {spend:.0}");
    let budget = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "spend-overview" && f["resource_type"] == "budget")
        .expect("the demo's $5,500 budget is forecast to be exceeded");
    assert_eq!(budget["monthly_savings"].as_f64(), Some(0.0), "a budget alert is not a saving");
    let html = std::fs::read_to_string(&page).unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/sample");
    for file in ["findings.json", "report.html"] {
        let fresh = std::fs::read_to_string(out.path().join(file)).unwrap();
        let committed = std::fs::read_to_string(sample.join(file)).unwrap_or_default();
        assert!(
            fresh == committed,
            "reports/sample/{file} is stale; regenerate it with `cargo run --release -- demo --out reports/sample`"
        );
    }
    assert!(html.contains("Potential savings"), "headline present");
    for id in reported.keys() {
        assert!(html.contains(id.as_str()), "{id} shown on the page");
    }
}
