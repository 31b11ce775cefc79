//! `underused-reservation` on hand-built commitments, as of 2026-11-01 (30-day lookback: hours
//! 24..744 of a CUR starting 2026-10-01, 720 hours; monthly = window × 730 / 720).

use chrono::Duration;
use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::{Config, Dataset, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, findings_of};
use crate::reserved_instance_purchase::{Line, all_hours, approx, daily, dataset, hourly_cur, number, reservations};
use crate::savings_plan_purchase::savings_plans;

const RULE: &str = "underused-reservation";
const ACCT: &str = "111111111111";
const SP_ARN: &str = "arn:aws:savingsplans::111111111111:savingsplan/sp-under";

fn ri(id: &'static str) -> &'static str {
    match id {
        "ri-under" => "arn:aws:ec2:us-east-1:111111111111:reserved-instances/ri-under",
        "ri-ok" => "arn:aws:ec2:us-east-1:111111111111:reserved-instances/ri-ok",
        "ri-cur" => "arn:aws:ec2:us-east-1:111111111111:reserved-instances/ri-cur",
        _ => "arn:aws:ec2:us-east-1:111111111111:reserved-instances/ri-soon",
    }
}

/// Commitments of account 111111111111 (us-east-1):
/// - ri-under: 4 × m5.large (16 NU) standard 1-year No Upfront at $0.06/h each ($0.015/NU-hour). It covers
///   i-a (m5.large, every hour) and i-b (m5.xlarge, 08:00–20:00): used 4 × 720 + 8 × 360 = 5,760 of
///   16 × 720 = 11,520 NU-hours = **50 %**. Cost 16 × 0.015 × 730 = $175.20/month; unused
///   5,760 × 0.015 / 720 × 730 = **$87.60/month**.
/// - ri-ok: 1 × c5.large Partial Upfront ($223.38 upfront + $0.0255/h), used every hour: 100 %.
/// - ri-cur: only in the CUR — an October RIFee line for 2 × 744 instance-hours of m5.large (8 NU
///   reserved every hour) and i-d (m5.large) every hour: 2,880 of 5,760 NU-hours = **50 %**; its rate is
///   the effective cost of its usage, $0.06 / 4 = $0.015/NU-hour: unused 2,880 × 0.015 / 720 × 730 =
///   **$43.80/month** (medium confidence: no inventory).
/// - ri-soon: 2 × m5.large ending 2026-11-20, used every hour by i-f and i-g: 100 %.
/// - ri-old: retired 2026-09-01: not active in the window, not judged.
/// - sp-under: Compute Savings Plan, $1/h: its covered usage consumed $0.60 every hour and its
///   recurring-fee lines show $0.40 unused: 432 of 720 = **60 %**, unused 288 / 720 × 730 = **$292/month**.
/// - sp-missing: EC2 Instance plan, $0.50/h, with no line in the CUR → not enough data.
pub fn commitments_dataset() -> Dataset {
    let covered = |id, itype, rate, hours: Vec<usize>, arn, amortized| {
        Line::on_demand(ACCT, "us-east-1", id, itype, rate, hours).reserved(arn, amortized)
    };
    let mut fee = Line::on_demand(ACCT, "us-east-1", "", "m5.large", 0.0, [0]);
    fee.resource = None;
    fee.kind = "RIFee";
    fee.pricing_term = "Reserved";
    fee.usage_type = Some("HeavyUsage:m5.large".into());
    fee.usage = 2.0 * 744.0;
    fee.amortized = 0.0;
    fee.reservation_arn = Some(ri("ri-cur"));
    fee.span = 744;
    let mut sp_fee = Line::on_demand(ACCT, "us-east-1", SP_ARN, "m5.large", 0.0, all_hours());
    sp_fee.kind = "SavingsPlanRecurringFee";
    sp_fee.usage_type = Some("ComputeSP:1yrNoUpfront".into());
    sp_fee.instance_type = None;
    sp_fee.nf = None;
    sp_fee.amortized = 0.4;
    sp_fee.savings_plan_arn = Some(SP_ARN);
    let lines = vec![
        covered("i-a", "m5.large", 0.096, all_hours().collect(), ri("ri-under"), 0.06),
        covered("i-b", "m5.xlarge", 0.192, daily(8, 20), ri("ri-under"), 0.12),
        covered("i-c", "c5.large", 0.085, all_hours().collect(), ri("ri-ok"), 0.051),
        covered("i-d", "m5.large", 0.096, all_hours().collect(), ri("ri-cur"), 0.06),
        covered("i-f", "m5.large", 0.096, all_hours().collect(), ri("ri-soon"), 0.06),
        covered("i-g", "m5.large", 0.096, all_hours().collect(), ri("ri-soon"), 0.06),
        fee,
        Line::on_demand(ACCT, "us-east-1", "i-e", "m5.4xlarge", 0.6 / 0.72, all_hours()).covered_by_plan(SP_ARN, 0.6),
        sp_fee,
    ];
    let year = Duration::days(365);
    let mut inventory = reservations(&[
        ("ri-under", "m5.large", 4, "No Upfront", at(6, 1), at(6, 1) + year, 0.0, 0.06),
        ("ri-ok", "c5.large", 1, "Partial Upfront", at(3, 1), at(3, 1) + year, 223.38, 0.0255),
        ("ri-soon", "m5.large", 2, "No Upfront", at(11, 20) - year, at(11, 20), 0.0, 0.06),
        ("ri-later", "m5.large", 1, "No Upfront", at(1, 20), at(1, 20) + year, 0.0, 0.06),
        ("ri-old", "m5.large", 1, "No Upfront", at(9, 1) - year, at(9, 1), 0.0, 0.06),
    ]);
    inventory.with_column(Column::new("state".into(), ["active", "active", "active", "retired", "retired"])).unwrap();
    let plans = savings_plans(&[
        (ACCT, "sp-under", SP_ARN, "Compute", "No Upfront", 1.0, at(1, 15), at(1, 15) + year, "active"),
        (
            ACCT,
            "sp-missing",
            "arn:aws:savingsplans::111111111111:savingsplan/sp-missing",
            "EC2Instance",
            "No Upfront",
            0.5,
            at(3, 1),
            at(3, 1) + year,
            "active",
        ),
    ]);
    dataset(vec![(Table::Costs, hourly_cur(&lines)), (Table::Reservations, inventory), (Table::SavingsPlans, plans)])
}

#[test]
fn underused_reservations_and_plans_are_priced_by_their_idle_part() {
    let analysis = analyze(&commitments_dataset(), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    let ids: Vec<&str> = findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(ids, ["sp-under", "ri-under", "ri-cur"], "sorted by savings; ri-ok and ri-soon fully used");

    let under = by_id(&findings, "ri-under");
    assert_eq!(number(under, "utilization"), 50.0);
    assert_eq!(number(under, "threshold"), 80.0);
    assert_eq!(
        (number(under, "normalized-unit hours reserved"), number(under, "normalized-unit hours used")),
        (11_520.0, 5_760.0)
    );
    assert!(approx(under.monthly_cost, 175.2));
    assert!(approx(under.monthly_savings, 87.6));
    assert_eq!(under.confidence, High);
    assert!(under.title.contains("4 × m5.large standard 1-year No Upfront"), "{}", under.title);
    assert!(
        under.remediation.cli.iter().any(|c| c.contains("create-reserved-instances-listing")),
        "a standard RI can be sold"
    );

    let cur_only = by_id(&findings, "ri-cur");
    assert_eq!(number(cur_only, "utilization"), 50.0);
    assert!(approx(cur_only.monthly_savings, 43.8), "{}", cur_only.monthly_savings);
    assert!(approx(cur_only.monthly_cost, 87.6));
    assert_eq!(cur_only.confidence, Medium);
    assert_eq!(cur_only.resource_name.as_deref(), Some("2 × m5.large"), "the count comes from the fee lines");

    let sp = by_id(&findings, "sp-under");
    assert!(approx(number(sp, "utilization"), 60.0));
    assert!(approx(sp.monthly_savings, 292.0), "{}", sp.monthly_savings);
    assert!(approx(sp.monthly_cost, 730.0));
    assert_eq!(sp.resource_type, "savings-plan");
    assert!(
        sp.remediation.cli[1]
            .contains("get-savings-plans-utilization-details --time-period Start=2026-10-02,End=2026-11-01")
    );

    let skipped: Vec<(&str, &str)> = analysis
        .not_enough_data
        .iter()
        .filter(|s| s.rule == RULE)
        .map(|s| (s.skipped.resource_id.as_str(), s.skipped.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "sp-missing");
    assert!(skipped[0].1.contains("no line item for this savings plan"), "{}", skipped[0].1);
    insta::assert_json_snapshot!("underused_reservation_findings", findings);
    insta::assert_json_snapshot!(
        "underused_reservation_not_enough_data",
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).collect::<Vec<_>>()
    );
}

#[test]
fn threshold_lookback_and_exclusions() {
    let config =
        Config::parse("[rules.underused-reservation]\nmin-utilization-percent = 55\nlookback-days = 7", None).unwrap();
    let analysis = analyze(&commitments_dataset(), &config).unwrap();
    let ids: Vec<String> = findings_of(&analysis, RULE).into_iter().map(|f| f.resource_id).collect();
    assert_eq!(ids, ["ri-under", "ri-cur"], "60 % is above 55 %");
    let under = findings_of(&analysis, RULE).into_iter().find(|f| f.resource_id == "ri-under").unwrap();
    // Seven days: 16 × 168 reserved, 4 × 168 + 8 × 84 used.
    assert_eq!(number(&under, "normalized-unit hours reserved"), 16.0 * 168.0);
    assert!(approx(under.monthly_savings, 87.6), "the same waste per month");

    let config = Config::parse("[exclusions]\nresources = [\"ri-under\", \"sp-under\"]", None).unwrap();
    let ids: Vec<String> = findings_of(&analyze(&commitments_dataset(), &config).unwrap(), RULE)
        .into_iter()
        .map(|f| f.resource_id)
        .collect();
    assert_eq!(ids, ["ri-cur"]);
    assert!(Config::parse("[rules.underused-reservation]\nmin-utilization-percent = 120", None).is_err());
    assert!(Config::parse("[rules.underused-reservation]\nlookback-days = 90", None).is_err());
}

#[test]
fn without_commitments_the_result_is_empty() {
    let lines = [Line::on_demand(ACCT, "us-east-1", "i-1", "m5.large", 0.096, all_hours())];
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&lines))]), &Config::default()).unwrap();
    insta::assert_json_snapshot!("underused_reservation_empty", findings_of(&analysis, RULE));
    assert!(analysis.not_enough_data.iter().all(|s| s.rule != RULE));
    let frames: Vec<(Table, DataFrame)> = Vec::new();
    assert!(findings_of(&analyze(&dataset(frames), &Config::default()).unwrap(), RULE).is_empty());
}
