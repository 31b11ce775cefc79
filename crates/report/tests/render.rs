//! The rendered page and `findings.json` for the tiny snapshot in
//! `support/mod.rs`, pinned with insta, plus the properties a snapshot
//! alone would not make obvious (escaping, self-containment, the headline).

mod support;

use costwise_analyzer::Analysis;
use costwise_report::view::ReportView;
use costwise_report::{html, json, terminal};

/// The page without its version-dependent generator string.
fn page(analysis: &Analysis) -> String {
    html::render(&ReportView::new(analysis)).unwrap().replace(costwise_report::GENERATOR, "costwise [version]")
}

#[test]
fn the_headline_counts_both_unattached_volumes() {
    let analysis = support::tiny_analysis();
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
    let html = page(&support::tiny_analysis());
    assert!(!html.contains(support::HOSTILE_NAME), "raw <script> from a tag reached the page");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    // The one script is the page's own findings filter, inline at the end of the body.
    let lower = html.to_lowercase();
    assert_eq!(lower.matches("<script").count(), 1, "exactly one script, the page's own");
    assert!(lower.contains("<script>\n// filters and sorts the findings list."), "the inline findings script");
    assert!(lower.rfind("<script>") > lower.rfind("</footer>"), "the script comes last");
}

#[test]
fn finding_rows_carry_raw_values_for_the_script() {
    let analysis = support::tiny_analysis();
    let view = ReportView::new(&analysis);
    let row = view.findings.iter().find(|f| f.resource_id == "vol-0aaa1111").unwrap();
    assert_eq!(row.monthly_savings, "$8.00");
    assert_eq!((row.data.savings.as_str(), row.data.cost.as_str()), ("8", "8"));
    assert_eq!((row.data.account.as_str(), row.data.region.as_str()), ("111111111111", "us-east-1"));
    assert_eq!(
        (row.data.risk.as_str(), row.data.category.as_str(), row.data.counted),
        ("non-disruptive", "unused", "1")
    );
    let html = page(&analysis);
    assert!(html.contains(r#"data-account-label="Production (111111111111)""#), "account label attribute");
    assert!(html.contains(r#"data-savings="8" data-cost="8" data-counted="1""#), "raw decimals");
    let skipped = view.findings.iter().find(|f| f.rule == "gp2-to-gp3").unwrap();
    assert_eq!(skipped.data.counted, "0", "overlapping finding is not counted");
    assert!(html.contains(r#"<svg class="cbars""#), "the savings-by-category chart");
}

#[test]
fn the_page_is_self_contained() {
    let html = page(&support::tiny_analysis());
    for needle in ["src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(needle), "external reference `{needle}` in the page");
    }
    assert!(html.contains("<style>") && html.contains("<svg class=\"trend\""));
}

#[test]
fn rendered_page_snapshot() {
    let html = page(&support::tiny_analysis());
    // The stylesheet is long and not behaviour; pin everything from <body> on.
    let body = &html[html.find("<body>").unwrap()..];
    insta::assert_snapshot!("report_body", body);
}

#[test]
fn findings_json_snapshot() {
    let analysis = support::tiny_analysis();
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
    insta::assert_snapshot!("terminal_summary", terminal::render(&ReportView::new(&support::tiny_analysis())));
}
