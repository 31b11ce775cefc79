//! `expiring-commitment` as of 2026-11-01, on the commitments of `underused_reservation`.

use costwise_analyzer::Confidence::{High, Low};
use costwise_analyzer::{Config, Table, analyze};

use crate::common::{at, by_id, findings_of};
use crate::reserved_instance_purchase::{approx, dataset, number, reservations, text};
use crate::underused_reservation::commitments_dataset;

const RULE: &str = "expiring-commitment";

/// - ri-soon: 2 × m5.large, ends 2026-11-20 (19 days: the 30-day horizon), used every hour. It costs
///   2 × $0.06 × 730 = $87.60/month and covers 2 × $0.096 × 730 = $140.16/month of on-demand usage:
///   **+$52.56/month** if not renewed.
/// - sp-under: Compute $1/h, ends 2027-01-15 (75 days: the 90-day horizon), 60 % used: it covers
///   $0.8333 × 730 = $608.33/month and costs $730/month — do not renew as is.
/// - ri-later ends 2027-01-20 but is retired; ri-under, ri-ok and sp-missing end after 90 days.
#[test]
fn commitments_ending_soon_with_the_cost_of_letting_them_lapse() {
    let analysis = analyze(&commitments_dataset(), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    let mut ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["ri-soon", "sp-under"]);

    let soon = by_id(&findings, "ri-soon");
    assert_eq!(number(soon, "days left"), 19.0);
    assert_eq!(number(soon, "horizon"), 30.0);
    assert!(approx(number(soon, "on-demand cost increase if not renewed"), 52.56));
    assert!(approx(soon.monthly_cost, 87.6));
    assert_eq!(soon.monthly_savings, 0.0, "renewing keeps savings, adds none");
    assert_eq!(soon.confidence, High);
    assert!(
        soon.title.contains("ends in 19 days (2026-11-20, within 30 days): +$52.56/month on demand if not renewed"),
        "{}",
        soon.title
    );
    assert!(soon.remediation.cli[1].contains("--instance-count 2 --purchase-time 2026-11-20T00:00:00Z"));

    let sp = by_id(&findings, "sp-under");
    assert_eq!(number(sp, "horizon"), 90.0);
    assert!(approx(number(sp, "on-demand cost of the usage it covers"), 0.6 / 0.72 * 730.0));
    assert_eq!(number(sp, "on-demand cost increase if not renewed"), 0.0);
    assert!(sp.title.ends_with("do not renew as is"), "{}", sp.title);
    assert!(sp.remediation.cli.is_empty() && sp.remediation.summary.starts_with("Do not renew"));
    insta::assert_json_snapshot!("expiring_commitment_findings", findings);
}

#[test]
fn the_horizon_is_a_setting_and_no_cur_lowers_confidence() {
    let config = Config::parse("[rules.expiring-commitment]\nwithin-days = 30", None).unwrap();
    let ids: Vec<String> = findings_of(&analyze(&commitments_dataset(), &config).unwrap(), RULE)
        .into_iter()
        .map(|f| f.resource_id)
        .collect();
    assert_eq!(ids, ["ri-soon"]);
    assert!(Config::parse("[rules.expiring-commitment]\nwithin-days = 0", None).is_err());

    // Inventory only: the end date is known, what it covers is not.
    let year = chrono::Duration::days(365);
    let inventory = reservations(&[("ri-soon", "m5.large", 2, "No Upfront", at(11, 20) - year, at(11, 20), 0.0, 0.06)]);
    let analysis = analyze(&dataset(vec![(Table::Reservations, inventory)]), &Config::default()).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].confidence, Low);
    assert!(text(&findings[0], "on-demand cost increase if not renewed").starts_with("unknown"));
    assert!(findings[0].title.ends_with("the CUR does not show what it covers"), "{}", findings[0].title);
}

#[test]
fn nothing_ending_gives_an_empty_result() {
    let year = chrono::Duration::days(365);
    let inventory = reservations(&[("ri-x", "m5.large", 1, "No Upfront", at(10, 1), at(10, 1) + year, 0.0, 0.06)]);
    let analysis = analyze(&dataset(vec![(Table::Reservations, inventory)]), &Config::default()).unwrap();
    insta::assert_json_snapshot!("expiring_commitment_empty", findings_of(&analysis, RULE));
}
