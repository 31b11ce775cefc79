//! Properties of the money math that must hold for every input, not just the examples.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use costwise_analyzer::analysis::deduplicate;
use costwise_analyzer::manifest::{Manifest, Period};
use costwise_analyzer::prices::{PriceBook, PriceSource};
use costwise_analyzer::{Category, Confidence, Dataset, Finding, Remediation, Risk, Table, spend};
use polars::prelude::*;
use proptest::prelude::*;

const VOLUME_TYPES: [&str; 7] = ["gp3", "gp2", "io1", "io2", "st1", "sc1", "standard"];

proptest! {
    #[test]
    fn ebs_cost_is_the_sum_of_its_parts_and_monotone(
        type_index in 0..VOLUME_TYPES.len(),
        size in 1.0f64..16_384.0,
        iops in 0.0f64..100_000.0,
        throughput in 125.0f64..1_000.0,
        extra in 0.0f64..5_000.0,
    ) {
        let book = PriceBook::catalog_only();
        let volume_type = VOLUME_TYPES[type_index];
        let cost = book.ebs_volume_monthly("us-east-1", volume_type, size, Some(iops), Some(throughput)).unwrap();
        prop_assert!((cost.total - (cost.storage + cost.iops + cost.throughput)).abs() < 1e-9);
        prop_assert!(cost.storage > 0.0 && cost.iops >= 0.0 && cost.throughput >= 0.0);
        let bigger = book.ebs_volume_monthly("us-east-1", volume_type, size + extra, Some(iops + extra), Some(throughput + extra)).unwrap();
        prop_assert!(bigger.total >= cost.total - 1e-9);
        if volume_type == "gp3" && iops <= 3000.0 {
            let baseline = book.ebs_volume_monthly("us-east-1", "gp3", size, Some(iops), Some(125.0)).unwrap();
            prop_assert!((baseline.total - size * 0.08).abs() < 1e-9, "gp3 includes 3,000 IOPS and 125 MiB/s");
        }
    }

    #[test]
    fn deduplication_counts_each_resource_once_at_its_best_saving(
        raw in prop::collection::vec((0usize..6, 0usize..3, 0.0f64..500.0), 0..40)
    ) {
        let mut findings: Vec<Finding> = raw.iter().map(|(resource, rule, savings)| finding(*resource, *rule, *savings)).collect();
        findings.sort_by(|a, b| b.monthly_savings.total_cmp(&a.monthly_savings));
        let (counted, overlaps) = deduplicate(&findings);
        let counted_total: f64 = findings.iter().zip(&counted).filter(|(_, c)| **c).map(|(f, _)| f.monthly_savings).sum();
        let mut best: HashMap<String, f64> = HashMap::new();
        let mut zero = 0.0;
        for f in &findings {
            if f.monthly_savings <= 0.0 {
                zero += f.monthly_savings;
                continue;
            }
            let e = best.entry(f.resource_id.clone()).or_insert(0.0);
            *e = e.max(f.monthly_savings);
        }
        let expected: f64 = best.values().sum::<f64>() + zero;
        prop_assert!((counted_total - expected).abs() < 1e-6, "{counted_total} != {expected}");
        prop_assert_eq!(overlaps.len(), counted.iter().filter(|c| !**c).count());
    }

    #[test]
    fn spend_breakdowns_all_add_up_to_the_window_total(
        rows in prop::collection::vec((0i64..40, 0usize..4, 0usize..3, 0usize..3, -5.0f64..200.0), 1..60)
    ) {
        let dataset = costs_dataset(&rows);
        let overview = spend::overview(&dataset, Some(1000.0)).unwrap().unwrap();
        let sum = |slices: &[spend::Slice]| slices.iter().map(|s| s.cost).sum::<f64>();
        prop_assert!((sum(&overview.by_service) - overview.window_cost).abs() < 1e-3);
        prop_assert!((sum(&overview.by_account) - overview.window_cost).abs() < 1e-3);
        prop_assert!((sum(&overview.by_region) - overview.window_cost).abs() < 1e-3);
        let all: f64 = rows.iter().map(|r| r.4).sum();
        let daily: f64 = overview.daily.iter().map(|d| d.cost).sum();
        prop_assert!((daily - all).abs() < 1e-3, "daily trend covers every row (figures rounded to 1/100 cent)");
        for w in &overview.week_over_week {
            prop_assert!((w.change - (w.last_week - w.previous_week)).abs() < 1e-4);
        }
        let mtd = &overview.month_to_date;
        let last_week: f64 = overview.week_over_week.iter().map(|w| w.last_week).sum();
        let remaining = f64::from(mtd.days_in_month) - mtd.days_elapsed;
        prop_assert!((mtd.forecast - (mtd.cost_to_date + last_week / 7.0 * remaining)).abs() < 1e-3);
        prop_assert!((mtd.forecast_variance.unwrap() - (mtd.forecast - 1000.0)).abs() < 1e-4);
    }
}

fn finding(resource: usize, rule: usize, savings: f64) -> Finding {
    Finding {
        rule: format!("rule-{rule}"),
        category: Category::Unused,
        account_id: "111111111111".into(),
        region: None,
        resource_type: "x".into(),
        resource_id: format!("r-{resource}"),
        resource_name: None,
        title: String::new(),
        evidence: vec![],
        monthly_cost: savings,
        monthly_savings: savings,
        price_source: PriceSource::billed("test"),
        confidence: Confidence::High,
        risk: Risk::NonDisruptive,
        remediation: Remediation::default(),
        tags: BTreeMap::new(),
        covers: vec![],
    }
}

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

fn costs_dataset(rows: &[(i64, usize, usize, usize, f64)]) -> Dataset {
    const SERVICES: [&str; 4] = ["AmazonEC2", "AmazonS3", "AmazonRDS", "AWSDataTransfer"];
    const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
    const REGIONS: [Option<&str>; 3] = [Some("us-east-1"), Some("eu-west-1"), None];
    let micros = |t: NaiveDateTime| t.and_utc().timestamp_micros();
    let starts: Vec<i64> = rows.iter().map(|r| micros(start() + chrono::Duration::hours(r.0 * 24 + 3))).collect();
    let ends: Vec<i64> = starts.iter().map(|s| s + 3_600_000_000).collect();
    let dt = |name: &str, v: Vec<i64>| {
        Series::new(name.into(), v).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap().into_column()
    };
    let costs: Vec<f64> = rows.iter().map(|r| r.4).collect();
    let n = rows.len();
    let frame = DataFrame::new_infer_height(vec![
        dt("usage_start", starts),
        dt("usage_end", ends),
        Column::new("account_id".into(), rows.iter().map(|r| ACCOUNTS[r.2]).collect::<Vec<_>>()),
        Column::new("region".into(), rows.iter().map(|r| REGIONS[r.3]).collect::<Vec<_>>()),
        Column::new("service".into(), rows.iter().map(|r| SERVICES[r.1]).collect::<Vec<_>>()),
        Column::new("line_item_type".into(), vec!["Usage"; n]),
        Column::new("usage_amount".into(), vec![1.0; n]),
        Column::new("unblended_cost".into(), costs.clone()),
        Column::new("amortized_cost".into(), costs.clone()),
        Column::new("public_on_demand_cost".into(), costs),
        Column::new("currency".into(), vec!["USD"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap();
    let end = start() + chrono::Duration::days(40);
    let manifest = Manifest::in_memory("property test", vec![], Period { start: start(), end });
    Dataset::from_frames(manifest, [(Table::Costs, frame)]).unwrap()
}
