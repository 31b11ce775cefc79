//! "Since last report" on the tiny snapshot in `support/mod.rs`: which
//! findings are new, which are resolved, and when a resolved finding's saving
//! counts as realized — plus the page section, pinned with insta.

mod support;

use costwise_analyzer::analysis::RuleStatus;
use costwise_report::changes::{Changes, PreviousFinding, PreviousOverlap, PreviousReport};
use costwise_report::html;
use costwise_report::view::ReportView;

fn gone(rule: &str, account: &str, resource: &str, savings: f64) -> PreviousFinding {
    PreviousFinding {
        rule: rule.to_owned(),
        account_id: account.to_owned(),
        region: Some("us-east-1".to_owned()),
        resource_id: resource.to_owned(),
        title: format!("Old finding on {resource}"),
        monthly_savings: savings,
    }
}

#[test]
fn the_same_findings_are_neither_new_nor_resolved() {
    let analysis = support::tiny_analysis();
    let changes = Changes::between(&PreviousReport::from_analysis(&analysis), None, &analysis);
    assert_eq!(changes.new_count(), 0);
    assert!(changes.resolved.is_empty());
    assert_eq!(changes.realized_monthly_savings(), 0.0);
}

#[test]
fn only_verified_counted_disappearances_are_realized() {
    let mut analysis = support::tiny_analysis();
    // The idle-instance rule "failed" this run, so its finding's disappearance proves nothing.
    let idle = analysis.rules.iter_mut().find(|r| r.id == "idle-instance").unwrap();
    idle.status = RuleStatus::Failed("CloudWatch read failed".to_owned());

    let mut previous = PreviousReport::from_analysis(&analysis);
    // Last week did not have the 100 GiB gp3 volume's finding: it is new now.
    previous.findings.retain(|f| f.resource_id != "vol-0aaa1111");
    previous.findings.extend([
        // Fixed: the rule ran and the account is still here: $40 realized.
        gone("unattached-ebs-volume", "111111111111", "vol-0fixed0001", 40.0),
        // Counted last week only as an overlap of a bigger saving: resolved, but realizes nothing.
        gone("gp2-to-gp3", "111111111111", "vol-0fixed0001", 6.0),
        // Its rule failed this run.
        gone("idle-instance", "111111111111", "i-0notchecked", 55.0),
        // Its account is no longer in the data.
        gone("unattached-ebs-volume", "999999999999", "vol-0elsewhere", 70.0),
    ]);
    previous.overlaps.push(PreviousOverlap {
        account_id: "111111111111".to_owned(),
        resource_id: "vol-0fixed0001".to_owned(),
        skipped_rule: "gp2-to-gp3".to_owned(),
    });

    let changes = Changes::between(&previous, Some("2026-11-09T060000Z"), &analysis);
    let new: Vec<&str> = analysis
        .findings
        .iter()
        .zip(&changes.is_new)
        .filter(|(_, n)| **n)
        .map(|(f, _)| f.resource_id.as_str())
        .collect();
    assert_eq!(new, ["vol-0aaa1111"]);
    let resolved: Vec<(&str, &str, f64, Option<&str>)> = changes
        .resolved
        .iter()
        .map(|r| (r.rule.as_str(), r.resource_id.as_str(), r.monthly_savings, r.not_verified.as_deref()))
        .collect();
    assert_eq!(
        resolved,
        [
            ("unattached-ebs-volume", "vol-0elsewhere", 70.0, Some("account 999999999999 is not in this run's data")),
            ("idle-instance", "i-0notchecked", 55.0, Some("rule idle-instance failed in this run")),
            ("unattached-ebs-volume", "vol-0fixed0001", 40.0, None),
            ("gp2-to-gp3", "vol-0fixed0001", 0.0, None),
        ]
    );
    assert_eq!(changes.realized_monthly_savings(), 40.0);

    let view = ReportView::new(&analysis).with_changes(&analysis, &changes);
    let page = html::render(&view).unwrap();
    let start = page.find("<section id=\"since-last\">").expect("the section is on the page");
    let section = &page[start..start + page[start..].find("</section>").unwrap() + "</section>".len()];
    insta::assert_snapshot!("since_last_section", section);
}
