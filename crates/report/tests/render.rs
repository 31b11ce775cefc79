//! The rendered page and `findings.json` for the tiny snapshot in
//! `support/mod.rs`, pinned with insta, plus the properties a snapshot
//! alone would not make obvious (escaping, self-containment, the headline).

mod support;

use costwise_analyzer::{Analysis, Config, Dataset, analyze};
use costwise_report::view::ReportView;
use costwise_report::{html, json, terminal};

fn analysis() -> Analysis {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot");
    support::write_tiny_snapshot(&snapshot);
    let dataset = Dataset::open(&snapshot).unwrap();
    let config = Config::parse(support::BUDGET_CONFIG, None).unwrap();
    analyze(&dataset, &config).unwrap()
}

/// The page without its version-dependent generator string.
fn page(analysis: &Analysis) -> String {
    html::render(&ReportView::new(analysis)).unwrap().replace(costwise_report::GENERATOR, "costwise [version]")
}

#[test]
fn the_headline_counts_both_unattached_volumes() {
    let analysis = analysis();
    // $8.00 (100 GiB gp3) + $20.00 (200 GiB gp2).
    assert!((analysis.totals.monthly_savings - 28.0).abs() < 1e-9, "{}", analysis.totals.monthly_savings);
    let view = ReportView::new(&analysis);
    assert_eq!(view.savings_monthly, "$28");
    let html = page(&analysis);
    let pct = costwise_report::format::percent(analysis.totals.savings_pct.unwrap());
    assert!(
        html.contains(&format!(
            "Potential savings <strong>$28/month</strong> <span class=\"share\">({pct} of spend)</span>"
        )),
        "headline missing"
    );
    // Biggest saving first.
    let first = html.find("vol-0bbb2222").unwrap();
    let second = html.find("vol-0aaa1111").unwrap();
    assert!(first < second);
}

#[test]
fn user_supplied_text_is_escaped() {
    let html = page(&analysis());
    assert!(!html.contains(support::HOSTILE_NAME), "raw <script> from a tag reached the page");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(!html.to_lowercase().contains("<script"), "the page must not contain any script");
}

#[test]
fn the_page_is_self_contained() {
    let html = page(&analysis());
    for needle in ["src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(needle), "external reference `{needle}` in the page");
    }
    assert!(html.contains("<style>") && html.contains("<svg class=\"trend\""));
}

#[test]
fn rendered_page_snapshot() {
    let html = page(&analysis());
    // The stylesheet is long and not behaviour; pin everything from <body> on.
    let body = &html[html.find("<body>").unwrap()..];
    insta::assert_snapshot!("report_body", body);
}

#[test]
fn findings_json_snapshot() {
    let analysis = analysis();
    let text = json::findings_json(&analysis).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["generator"], costwise_report::GENERATOR);
    assert_eq!(value["as_of"], "2026-11-16T00:00:00");
    // Running twice gives byte-identical output.
    assert_eq!(text, json::findings_json(&analysis).unwrap());
    insta::assert_json_snapshot!("findings_json", value, { ".generator" => "costwise [version]" });
}

#[test]
fn terminal_summary_snapshot() {
    insta::assert_snapshot!("terminal_summary", terminal::render(&ReportView::new(&analysis())));
}
