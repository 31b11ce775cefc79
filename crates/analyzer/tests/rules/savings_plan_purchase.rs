//! `savings-plan-purchase` on hand-built hourly CURs, as of 2026-11-01 (lookback hours 24..744,
//! 720 hours; monthly = window × 730 / 720). Day = 08:00–20:00 UTC, night = the other 12 hours.

use chrono::{Duration, NaiveDateTime};
use costwise_analyzer::Confidence::{High, Medium};
use costwise_analyzer::prices::PriceOrigin;
use costwise_analyzer::{Config, Dataset, EvidenceValue, Table, analyze};
use polars::prelude::*;

use crate::common::{at, by_id, datetime_series, findings_of};
use crate::reserved_instance_purchase::{Line, all_hours, approx, daily, dataset, hourly_cur, number, text};

const RULE: &str = "savings-plan-purchase";
const RI_RULE: &str = "reserved-instance-purchase";
const SP_ARN: &str = "arn:aws:savingsplans::222222222222:savingsplan/sp-1";

fn night() -> Vec<usize> {
    let mut hours = daily(20, 24);
    hours.extend(daily(0, 8));
    hours.sort_unstable();
    hours
}

/// `savings_plans` inventory rows: (account, id, arn, type, payment, commitment/h, start, end, state).
pub type PlanRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    NaiveDateTime,
    NaiveDateTime,
    &'static str,
);

pub fn savings_plans(rows: &[PlanRow]) -> DataFrame {
    let n = rows.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new("savings_plan_id".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("savings_plan_arn".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("plan_type".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
        Column::new("payment_option".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        Column::new("commitment_per_hour".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
        Column::new("upfront_payment".into(), vec![0.0; n]),
        Column::new("recurring_payment".into(), rows.iter().map(|r| r.5).collect::<Vec<_>>()),
        Column::new("term_seconds".into(), vec![31_536_000i64; n]),
        datetime_series("start", &rows.iter().map(|r| Some(r.6)).collect::<Vec<_>>()),
        datetime_series("end", &rows.iter().map(|r| Some(r.7)).collect::<Vec<_>>()),
        Column::new("state".into(), rows.iter().map(|r| r.8).collect::<Vec<_>>()),
    ])
    .unwrap()
}

/// Account 222222222222 (us-east-1), tagged team=data:
/// - i-base c5.large ($0.085, 4 NU, $0.02125/NU-hour) every hour;
/// - i-day m5.xlarge ($0.192) by day; i-night c5.xlarge ($0.17, 8 NU) by night;
/// - i-sp c5.large covered by the Compute Savings Plan sp-1 at $0.0595 (30 % off $0.085): the CUR's
///   observed Compute 1-year No Upfront discount is 30 %.
///
/// Account 333333333333: i-day and i-night only (no steady base).
///
/// 222: the c5 pool's first c5.large unit is used every hour (100 % ≥ 62.5 / 70 = 89.3 %, so it beats
/// the savings plan): 1 × c5.large, 4 × 0.02125 × 0.375 × 730 = $23.26875/month. The savings plan is
/// sized on what is left: $0.192 by day, $0.17 by night. Spend at or above y is there in ≥ 70 % of
/// the hours only for y ≤ 0.17, so y* = 0.17 (the 30 % quantile): commitment 0.7 × 0.17 = $0.119/h,
/// savings 720 × 0.17 × 0.30 = $36.72 per window = **$37.23/month**, utilization 100 %, coverage
/// 0.17 / 0.181 = 93.92 %. On-demand spend it may cover: (0.192 + 0.17) × 360 × 730/720 = $132.13/month;
/// left to the reservation: 0.085 × 730 = $62.05/month. Plans: RIs where they win + plan
/// 23.26875 + 37.23 = $60.49875; savings plan only 720 × 0.255 × 0.3 × 730/720 = $55.845.
///
/// 333: no reservation pays (each family runs half the time); savings plan only: the same
/// y* = 0.17, $0.119/h, $37.23/month.
fn shifting_fleet() -> Vec<Line> {
    let a = "222222222222";
    let b = "333333333333";
    vec![
        Line::on_demand(a, "us-east-1", "i-base", "c5.large", 0.085, all_hours()).tags(r#"{"team":"data"}"#),
        Line::on_demand(a, "us-east-1", "i-day", "m5.xlarge", 0.192, daily(8, 20)).tags(r#"{"team":"data"}"#),
        Line::on_demand(a, "us-east-1", "i-night", "c5.xlarge", 0.17, night()).tags(r#"{"team":"data"}"#),
        Line::on_demand(a, "us-east-1", "i-sp", "c5.large", 0.085, all_hours()).covered_by_plan(SP_ARN, 0.0595),
        Line::on_demand(b, "us-west-2", "i-day-b", "m5.xlarge", 0.192, daily(8, 20)),
        Line::on_demand(b, "us-west-2", "i-night-b", "c5.xlarge", 0.17, night()),
    ]
}

fn shifting_dataset() -> Dataset {
    dataset(vec![
        (Table::Costs, hourly_cur(&shifting_fleet())),
        (
            Table::SavingsPlans,
            savings_plans(&[(
                "222222222222",
                "sp-1",
                SP_ARN,
                "Compute",
                "No Upfront",
                0.0595,
                at(6, 1),
                at(6, 1) + Duration::days(365),
                "active",
            )]),
        ),
    ])
}

fn finding_of<'a>(findings: &'a [costwise_analyzer::Finding], account: &str) -> &'a costwise_analyzer::Finding {
    findings.iter().find(|f| f.account_id == account).unwrap_or_else(|| panic!("no finding for {account}"))
}

#[test]
fn the_plan_is_sized_on_what_the_reservations_leave() {
    let analysis = analyze(&shifting_dataset(), &Config::default()).unwrap();
    assert!(analysis.errors.is_empty(), "{:?}", analysis.errors);
    let findings = findings_of(&analysis, RULE);
    assert_eq!(findings.len(), 2, "{findings:#?}");

    let a = finding_of(&findings, "222222222222");
    assert_eq!(a.resource_id, "savings-plan/compute");
    assert!(approx(a.monthly_savings, 37.23), "{}", a.monthly_savings);
    assert!(approx(a.monthly_cost, 132.13), "{}", a.monthly_cost);
    assert!(approx(number(a, "commitment to buy (per hour)"), 0.119));
    assert!(approx(number(a, "optimal commitment (per hour)"), 0.119));
    assert_eq!(number(a, "expected utilization"), 100.0);
    assert!(approx(number(a, "coverage of the spend"), 17.0 / 18.1 * 100.0));
    assert!(approx(number(a, "on-demand spend left to the recommended reserved instances"), 62.05));
    assert_eq!(number(a, "discount off on-demand"), 30.0);
    assert!(text(a, "savings-plan rate").contains("sp-1"), "the CUR's own Compute plan rate");
    assert_eq!(a.price_source.origin, PriceOrigin::Cur);
    assert_eq!(a.confidence, High);
    assert!(a.title.starts_with("Commit $0.119/hour to a Compute Savings Plan 1-year No Upfront"), "{}", a.title);
    let why = text(a, "why a savings plan here");
    assert!(
        why.contains(
            // 55.845 prints as $55.84 or $55.85 depending on its last binary digit.
            "reserved instances where they beat the savings plan, savings plan on the rest ($60.50/month); compared with: savings plan only $55.8"
        ),
        "{why}"
    );
    let EvidenceValue::Series { values, .. } =
        &a.evidence.iter().find(|e| e.label.starts_with("monthly savings vs hourly commitment")).unwrap().value
    else {
        panic!("the curve is a series")
    };
    assert_eq!(values.len(), 21);
    assert_eq!(values[0], 0.0);
    assert!(values.iter().all(|v| *v <= a.monthly_savings + 1e-9), "the optimum tops the curve");
    let cli = a.remediation.cli.join("\n");
    assert!(cli.contains(
        "describe-savings-plans-offerings --plan-types Compute --payment-options 'No Upfront' --durations 31536000"
    ));
    assert!(cli.contains("create-savings-plan --savings-plan-offering-id \"$OFFERING\" --commitment 0.119"));

    // The reservation takes the steady c5 base; the savings plan never covers it too.
    let ris = findings_of(&analysis, RI_RULE);
    let c5 = by_id(&ris, "reserved-instances/us-east-1/c5/linux-unix/shared");
    assert_eq!(c5.account_id, "222222222222");
    assert_eq!(number(c5, "units to buy"), 1.0);
    assert!(approx(c5.monthly_savings, 23.26875));

    let b = finding_of(&findings, "333333333333");
    assert!(approx(b.monthly_savings, 37.23));
    assert!(text(b, "why a savings plan here").contains("No reserved instance beats a 30.0% savings plan"));
    assert!(ris.iter().all(|f| f.account_id != "333333333333"));
    insta::assert_json_snapshot!("savings_plan_purchase_findings", findings);
}

/// Account 444444444444: i-m5 m5.large ($0.096) every hour; i-c5 c5.xlarge ($0.17, 8 NU) 00:00–20:00
/// (20 of 24 hours, 83.3 %). No savings plan in the CUR: Compute 1-year No Upfront estimate 28 %.
/// - savings plan only: spend $0.266 for 600 h, $0.096 for 120 h; y* = 0.266 (83.3 % ≥ 72 %):
///   600 × 0.266 + 120 × 0.096 − 720 × 0.72 × 0.266 = 171.12 − 137.8944 = 33.2256 → $33.6871/month;
/// - RIs where they beat the plan (the c5 units, at 83.3 % < 86.8 %, do not): m5 1 unit,
///   4 × 0.024 × 0.375 × 720 = 25.92, plus a plan on the c5: 600 × 0.17 − 720 × 0.72 × 0.17 = 13.872
///   → 39.792 → $40.3447/month;
/// - RIs at their own optimum (c5 units at 83.3 % ≥ 62.5 %: 2 × c5.large): 25.92 +
///   (0.02125 × 8 × 600 − 720 × 0.625 × 0.02125 × 8 = 102 − 76.5 = 25.5) = 51.42 → **$52.1342/month**,
///   nothing left for a plan. The plan would idle on the same hours the RIs do, so RIs win.
fn idling_dataset() -> Dataset {
    let a = "444444444444";
    dataset(vec![(
        Table::Costs,
        hourly_cur(&[
            Line::on_demand(a, "us-east-1", "i-m5", "m5.large", 0.096, all_hours()),
            Line::on_demand(a, "us-east-1", "i-c5", "c5.xlarge", 0.17, daily(0, 20)),
        ]),
    )])
}

#[test]
fn reservations_at_their_own_optimum_win_when_the_plan_would_idle_too() {
    let analysis = analyze(&idling_dataset(), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty(), "no savings plan: the RIs take everything");
    let ris = findings_of(&analysis, RI_RULE);
    let c5 = by_id(&ris, "reserved-instances/us-east-1/c5/linux-unix/shared");
    assert_eq!(number(c5, "units to buy"), 2.0);
    let why = text(c5, "why reserved instances here");
    // 25.5 × 730 / 720 = 25.8542.
    assert!(approx(c5.monthly_savings, 25.8542), "{}", c5.monthly_savings);
    assert_eq!(number(c5, "break-even utilization against on-demand (reserved ÷ on-demand rate)"), 62.5);
    assert!(why.contains("each unit pays for itself against on-demand when used at least 62.5% of the hours"), "{why}");
    assert!(
        why.starts_with("plan for account 444444444444: reserved instances at their own optimum, savings plan on the rest ($52.13/month); compared with: savings plan only $33.69/month; reserved instances where they beat the savings plan, savings plan on the rest $40.34/month"),
        "{why}"
    );
}

/// Savings plans only, conservative choice at 95 %: on the spend above ($0.266 × 600 h, $0.096 × 120 h)
/// utilization (11.52 + 600 y) / (720 y) ≥ 0.95 ⇔ y ≤ 11.52 / 84 = 0.137143: commitment
/// 0.72 × 0.137143 = $0.098743/h (bought as $0.098), savings 11.52 + 82.2857 − 71.0949 = 22.7109
/// → $23.0263/month, coverage 93.8057 / 171.12 = 54.82 %. The optimum is y = 0.266 ($33.6871/month,
/// utilization 171.12 / 191.52 = 89.35 %).
#[test]
fn conservative_choice_and_strategy_settings() {
    let config = Config::parse(
        "[rules.savings-plan-purchase]\nstrategy = \"savings-plans\"\nsavings-plan-choice = \"conservative\"",
        None,
    )
    .unwrap();
    let analysis = analyze(&idling_dataset(), &config).unwrap();
    let findings = findings_of(&analysis, RULE);
    let f = &findings[0];
    assert!(approx(f.monthly_savings, 23.0263), "{}", f.monthly_savings);
    assert!(approx(number(f, "conservative commitment (per hour)"), 0.72 * 11.52 / 84.0));
    assert_eq!(number(f, "commitment to buy (per hour)"), 0.098);
    assert!(approx(number(f, "conservative commitment: expected utilization"), 95.0));
    assert!(approx(
        number(f, "conservative commitment: coverage of the spend"),
        (11.52 + 600.0 * 11.52 / 84.0) / 171.12 * 100.0
    ));
    assert!(approx(number(f, "optimal commitment: net savings"), 33.6871));
    assert!(approx(number(f, "optimal commitment: expected utilization"), 171.12 / 191.52 * 100.0));
    assert_eq!(f.confidence, Medium, "an estimated discount");
    assert!(f.remediation.cli[1].ends_with("--commitment 0.098"));
}

/// EC2 Instance Savings Plan (37.5 % estimate, the same as a standard RI: ties go to the plan).
/// 222's c5 family: $0.085 every hour + $0.17 by night; at or above y in ≥ 62.5 % of the hours only for
/// y ≤ 0.085 → commitment 0.625 × 0.085 = $0.053125/h, 720 × 0.085 × 0.375 × 730/720 = $23.26875/month.
/// Its m5 family runs half the time: nothing. 333's families each run half the time: nothing.
#[test]
fn ec2_instance_plans_are_per_region_and_family() {
    let config = Config::parse("[rules.savings-plan-purchase]\nsavings-plan-type = \"ec2-instance\"", None).unwrap();
    let mut config_both = config.clone();
    config_both.rule_options.insert(RI_RULE.into(), config.rule_options["savings-plan-purchase"].clone());
    let analysis = analyze(&shifting_dataset(), &config_both).unwrap();
    let findings = findings_of(&analysis, RULE);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.resource_id, "savings-plan/ec2-instance/us-east-1/c5");
    assert_eq!(f.region.as_deref(), Some("us-east-1"));
    assert!(approx(f.monthly_savings, 23.26875), "{}", f.monthly_savings);
    assert_eq!(number(f, "commitment to buy (per hour)"), 0.053);
    assert!(f.remediation.cli[0].contains("--plan-types EC2Instance"));
    assert!(f.remediation.cli[0].contains("--filters name=region,values=us-east-1 name=instanceFamily,values=c5"));
    assert!(findings_of(&analysis, RI_RULE).is_empty(), "the plan, as flexible at the same discount, wins the tie");
}

#[test]
fn exclusions_and_not_enough_data() {
    let config = Config::parse("[exclusions]\ntags = [\"team=data\"]", None).unwrap();
    let analysis = analyze(&shifting_dataset(), &config).unwrap();
    let accounts: Vec<String> = findings_of(&analysis, RULE).into_iter().map(|f| f.account_id).collect();
    assert_eq!(accounts, ["333333333333"], "all of 222's usage carries team=data");

    let short = Line::on_demand("222222222222", "us-east-1", "i-base", "c5.large", 0.085, 20 * 24..744);
    let analysis = analyze(&dataset(vec![(Table::Costs, hourly_cur(&[short]))]), &Config::default()).unwrap();
    assert!(findings_of(&analysis, RULE).is_empty());
    let reasons: Vec<&str> =
        analysis.not_enough_data.iter().filter(|s| s.rule == RULE).map(|s| s.skipped.reason.as_str()).collect();
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains("covers 11.0 of the 30 lookback days"), "{}", reasons[0]);

    let empty = analyze(&dataset(vec![]), &Config::default()).unwrap();
    insta::assert_json_snapshot!("savings_plan_purchase_empty", findings_of(&empty, RULE));
}
