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

/// Oracle kinds and the rule that must report exactly them.
const PLANTED_KINDS: [(&str, &str); 17] = [
    ("unattached-ebs-volume", "unattached-ebs-volume"),
    ("stopped-instance", "stopped-instance"),
    ("orphaned-snapshot", "orphaned-ebs-snapshot"),
    ("unused-ami", "unused-ami"),
    ("idle-elastic-ip", "idle-elastic-ip"),
    ("idle-load-balancer", "idle-load-balancer"),
    ("idle-nat-gateway", "idle-nat-gateway"),
    ("idle-instance", "idle-instance"),
    ("gp2-volume", "gp2-to-gp3"),
    ("io1-to-gp3", "io1-to-gp3"),
    ("previous-generation-instance", "previous-generation-instance"),
    ("overprovisioned-instance", "ec2-rightsizing"),
    ("underprovisioned-instance", "ec2-rightsizing"),
    ("heavy-s3-egress", "data-transfer-out"),
    ("s3-lifecycle-tiering", "s3-lifecycle-tiering"),
    ("s3-incomplete-multipart-uploads", "s3-incomplete-multipart-uploads"),
    ("s3-noncurrent-versions", "s3-noncurrent-versions"),
];

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
    let page = out.path().join("index.html");
    assert!(stdout.contains(&*page.to_string_lossy()), "demo prints the page path, got: {stdout}");
    assert!(page.exists());

    let findings: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.json")).unwrap()).unwrap();
    let oracle = oracle();

    let all_findings = findings["findings"].as_array().unwrap();
    let reported_by = |rule: &str| -> BTreeMap<String, f64> {
        all_findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| (f["resource_id"].as_str().unwrap().to_owned(), f["monthly_savings"].as_f64().unwrap()))
            .collect()
    };
    for (kind, rule) in PLANTED_KINDS {
        let expected = planted(&oracle, kind);
        assert!(!expected.is_empty(), "the demo plants `{kind}`");
        // Several kinds may come from one rule (over- and under-provisioned instances).
        let kinds_of_rule: Vec<&str> = PLANTED_KINDS.iter().filter(|(_, r)| *r == rule).map(|(k, _)| *k).collect();
        let all_expected: BTreeMap<String, Option<f64>> =
            kinds_of_rule.iter().flat_map(|k| planted(&oracle, k)).collect();
        let reported: BTreeMap<String, f64> = reported_by(rule)
            .into_iter()
            .filter(|(id, _)| !all_expected.contains_key(id) || expected.contains_key(id))
            .collect();
        assert_eq!(
            reported.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "`{rule}` reports exactly the planted `{kind}` resources and nothing else"
        );
        for (id, savings) in &reported {
            let want = expected[id].unwrap_or_else(|| panic!("oracle prices every `{kind}`"));
            assert!((savings - want).abs() < 0.005, "{rule} {id}: reported ${savings:.4}/month, oracle ${want:.4}");
        }
    }
    for entry in oracle["findings"].as_array().unwrap() {
        let Some(want) = entry["expected_recommendation"].as_str() else { continue };
        let id = entry["resource_id"].as_str().unwrap();
        let finding = all_findings
            .iter()
            .find(|f| f["rule"] == "ec2-rightsizing" && f["resource_id"] == id)
            .unwrap_or_else(|| panic!("no ec2-rightsizing finding for {id}"));
        let title = finding["title"].as_str().unwrap();
        assert!(title.contains(&format!("{want} ")), "{id}: expected {want}, got `{title}`");
    }
    // Reserved-instance purchases: one pool id per region and family, so keyed by account too;
    // exactly the planted pools, at the oracle's savings, units, size and utilization.
    let by_account =
        |f: &Value| (f["account_id"].as_str().unwrap().to_owned(), f["resource_id"].as_str().unwrap().to_owned());
    let purchases: BTreeMap<(String, String), &Value> =
        all_findings.iter().filter(|f| f["rule"] == "reserved-instance-purchase").map(|f| (by_account(f), f)).collect();
    let planted_purchases: BTreeMap<(String, String), &Value> = oracle["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reserved-instance-purchase")
        .map(|e| (by_account(e), e))
        .collect();
    assert!(!planted_purchases.is_empty(), "the demo plants steady on-demand usage");
    assert_eq!(purchases.keys().collect::<Vec<_>>(), planted_purchases.keys().collect::<Vec<_>>());
    for entry in oracle["findings"].as_array().unwrap().iter().filter(|e| e["kind"] == "reserved-instance-purchase") {
        let id = entry["resource_id"].as_str().unwrap();
        let finding = all_findings
            .iter()
            .find(|f| {
                f["rule"] == "reserved-instance-purchase"
                    && f["resource_id"] == id
                    && f["account_id"] == entry["account_id"]
            })
            .unwrap_or_else(|| panic!("no reserved-instance-purchase finding for {id}"));
        let want = format!("Buy {} × {} ", entry["expected_units"], entry["expected_instance_type"].as_str().unwrap());
        let title = finding["title"].as_str().unwrap();
        assert!(title.starts_with(&want), "{id}: expected `{want}…`, got `{title}`");
        let utilization = finding["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["label"] == "expected utilization")
            .and_then(|e| e["value"]["value"].as_f64());
        let expected = entry["expected_utilization_percent"].as_f64();
        assert!(
            utilization.zip(expected).is_some_and(|(u, e)| (u - e).abs() < 0.01),
            "{id}: utilization {utilization:?}"
        );
    }
    // Existing commitments: as used as planted, so none is underused; the one ending soon is expiring.
    for kind in ["savings-plan-purchase", "underused-reservation"] {
        let expected = planted(&oracle, kind);
        assert_eq!(reported_by(kind).keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "`{kind}`");
    }
    let expiring: BTreeMap<String, &Value> = oracle["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "expiring-commitment")
        .map(|e| (e["resource_id"].as_str().unwrap().to_owned(), e))
        .collect();
    assert!(!expiring.is_empty(), "the demo plants an expiring commitment");
    assert_eq!(reported_by("expiring-commitment").keys().collect::<Vec<_>>(), expiring.keys().collect::<Vec<_>>());
    let evidence = |f: &Value, label: &str| -> f64 {
        let e = f["evidence"].as_array().unwrap().iter().find(|e| e["label"] == label);
        let v = e.unwrap_or_else(|| panic!("evidence `{label}`"))["value"].clone();
        v["amount"].as_f64().or_else(|| v["value"].as_f64()).unwrap()
    };
    for (id, entry) in &expiring {
        let f = all_findings
            .iter()
            .find(|f| f["rule"] == "expiring-commitment" && f["resource_id"] == id.as_str())
            .unwrap();
        assert_eq!(f["monthly_savings"].as_f64(), entry["expected_monthly_savings"].as_f64(), "{id}");
        let increase = evidence(f, "on-demand cost increase if not renewed");
        let want = entry["expected_monthly_increase"].as_f64().unwrap();
        assert!((increase - want).abs() < 0.005, "{id}: +${increase}/month if not renewed, oracle ${want}");
        let utilization = evidence(f, "utilization");
        assert!((utilization - entry["expected_utilization_percent"].as_f64().unwrap()).abs() < 0.01, "{id}");
    }
    // S3 lifecycle tiering: the planted policy (the transition of the rule the lifecycle configuration
    // adds, and the policy the finding names) and the one-time transition fee.
    for entry in oracle["findings"].as_array().unwrap().iter().filter(|e| e["kind"] == "s3-lifecycle-tiering") {
        let id = entry["resource_id"].as_str().unwrap();
        let f = all_findings
            .iter()
            .find(|f| f["rule"] == "s3-lifecycle-tiering" && f["resource_id"] == id)
            .unwrap_or_else(|| panic!("no s3-lifecycle-tiering finding for {id}"));
        let want = entry["expected_policy"].as_str().unwrap_or_else(|| panic!("{id}: the oracle names the policy"));
        let config: Value = serde_json::from_str(
            f["remediation"]["lifecycle_configuration"].as_str().expect("a lifecycle configuration"),
        )
        .expect("lifecycle configuration JSON");
        let added: Vec<String> = config["Rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ID"].as_str().is_some_and(|i| i.starts_with("costwise-")))
            .flat_map(|r| r["Transitions"].as_array().cloned().unwrap_or_default())
            .map(|t| format!("{} after {} days", t["StorageClass"].as_str().unwrap(), t["Days"]))
            .collect();
        assert_eq!(added, [want], "{id}: the transition costwise adds");
        let (class, days) = want.split_once(" after ").unwrap();
        let label = match class {
            "INTELLIGENT_TIERING" => "Intelligent-Tiering",
            "STANDARD_IA" => "Standard-IA",
            "GLACIER_IR" => "Glacier Instant Retrieval",
            "GLACIER" => "Glacier Flexible Retrieval",
            "DEEP_ARCHIVE" => "Glacier Deep Archive",
            other => panic!("unexpected storage class {other}"),
        };
        let named = if days == "0 days" { format!("{label} from day 0") } else { format!("{label} after {days}") };
        let chosen = f["evidence"].as_array().unwrap().iter().find(|e| e["label"] == "chosen policy").unwrap();
        assert_eq!(chosen["value"]["text"].as_str(), Some(named.as_str()), "{id}");
        assert!(f["title"].as_str().unwrap().ends_with(&named), "{id}: {}", f["title"]);
        let one_time = evidence(f, "one-time transition fee (today's objects)");
        let want = entry["expected_one_time_cost"].as_f64().unwrap_or_else(|| panic!("{id}: the oracle prices it"));
        assert!((one_time - want).abs() < 0.005, "{id}: one-time ${one_time:.4}, oracle ${want:.4}");
    }
    for id in planted(&oracle, "existing-commitment-utilization").keys() {
        let flagged =
            all_findings.iter().any(|f| f["rule"] == "underused-reservation" && f["resource_id"] == id.as_str());
        assert!(!flagged, "{id} is used as planted (100%), not underused");
    }
    let reported = reported_by("unattached-ebs-volume");
    for recent in planted(&oracle, "recently-detached-ebs-volume").keys() {
        assert!(!reported.contains_key(recent), "{recent} was detached only days ago and must not be reported");
    }

    // Instances the oracle's notes call not-enough-data (the canaries launched days before the end) are
    // listed as such by the metric-driven instance rules, never flagged.
    let short_lived: std::collections::BTreeSet<String> = oracle["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|note| note.contains("not-enough-data"))
        .flat_map(|note| note.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')))
        .filter(|word| word.starts_with("i-") && word.len() > 10)
        .map(str::to_owned)
        .collect();
    assert!(!short_lived.is_empty(), "the oracle names the short-lived instances");
    for rule in ["ec2-rightsizing", "idle-instance"] {
        let skipped: std::collections::BTreeSet<String> = findings["not_enough_data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["rule"] == rule)
            .map(|s| s["resource_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(skipped, short_lived, "`{rule}` lists exactly the short-lived instances as not enough data");
        assert!(short_lived.iter().all(|id| !reported_by(rule).contains_key(id)), "`{rule}` never flags them");
    }

    let total = findings["totals"]["monthly_savings"].as_f64().unwrap();
    let spend = findings["totals"]["monthly_spend"].as_f64().unwrap();
    let all_savings: f64 = all_findings.iter().map(|f| f["monthly_savings"].as_f64().unwrap()).sum();
    let not_counted: f64 =
        findings["overlaps"].as_array().unwrap().iter().map(|o| o["skipped_savings"].as_f64().unwrap()).sum();
    assert!((total - (all_savings - not_counted)).abs() < 0.01, "headline = sum of findings minus overlaps");
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
    for file in ["findings.json", "findings.csv", "index.html", "email.html", "email.txt"] {
        let fresh = std::fs::read_to_string(out.path().join(file)).unwrap();
        let committed = std::fs::read_to_string(sample.join(file)).unwrap_or_default();
        assert!(
            fresh == committed,
            "reports/sample/{file} is stale; regenerate it with `cargo run --release -- demo --out reports/sample`"
        );
    }
    assert!(html.contains("Potential savings"), "headline present");
    for finding in all_findings {
        let id = finding["resource_id"].as_str().unwrap();
        assert!(html.contains(id), "{id} shown on the page");
    }
}
