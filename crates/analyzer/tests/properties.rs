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

// ---- EC2 rightsizing (issue 4) ----

use costwise_analyzer::billed::BilledCosts;
use costwise_analyzer::prices::catalog;
use costwise_analyzer::rightsizing::{
    self, Classification, CpuStatistic, Families, Headroom, MemoryUsage, Outcome, Params, Requirement, Usage,
    baseline_per_vcpu, relative_performance,
};

/// Current types the rightsizing properties draw from: Intel, AMD and Graviton, burstable and not, with and
/// without instance store.
const RIGHTSIZING_TYPES: [&str; 16] = [
    "m5.large",
    "m5.xlarge",
    "m5.4xlarge",
    "c5.large",
    "c5.2xlarge",
    "r5.xlarge",
    "m6i.large",
    "m5d.xlarge",
    "t3.micro",
    "t3.medium",
    "t3a.large",
    "m6g.large",
    "c7g.xlarge",
    "r6g.2xlarge",
    "t4g.small",
    "m7a.large",
];

fn rightsizing_usage(cpu: f64, mean_share: f64, memory: Option<f64>, network: Option<f64>) -> Usage {
    Usage {
        samples: 336,
        cpu_statistic: CpuStatistic::Maximum,
        cpu_p50: cpu,
        cpu_p95: cpu,
        cpu_percentile: cpu,
        cpu_max: cpu,
        mean_cpu: cpu * mean_share,
        memory: memory.map(|m| MemoryUsage { samples: 336, statistic: CpuStatistic::Maximum, percentile: m, max: m }),
        network_peak_gbps: network,
        ebs_peak_iops: None,
        ebs_peak_bytes_per_second: None,
        daily_max_cpu: Vec::new(),
    }
}

/// One running instance of `instance_type` with hourly CPU `loads` (Maximum; Average at 60 % of it),
/// optionally billed at `billed_share` of on-demand, as of 2026-11-15.
fn rightsizing_dataset(instance_type: &str, loads: &[f64], billed_share: Option<f64>) -> Dataset {
    let end = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let first = end - chrono::Duration::hours(loads.len() as i64);
    let micros = |t: NaiveDateTime| t.and_utc().timestamp_micros();
    let dt = |name: &str, v: Vec<i64>| {
        Series::new(name.into(), v).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap().into_column()
    };
    let spec = catalog().instances[instance_type].clone();
    let architecture = if spec.architectures.iter().any(|a| a == "x86_64") { "x86_64" } else { "arm64" };
    let instances = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), ["111111111111"]),
        Column::new("region".into(), ["us-east-1"]),
        Column::new("instance_id".into(), ["i-prop"]),
        Column::new("instance_type".into(), [instance_type]),
        Column::new("state".into(), ["running"]),
        Column::new("architecture".into(), [architecture]),
        Column::new("tags".into(), ["{}"]),
    ])
    .unwrap();
    let mut rows: (Vec<&str>, Vec<&str>, Vec<i64>, Vec<f64>) = Default::default();
    for (h, load) in loads.iter().enumerate() {
        let at = micros(first + chrono::Duration::hours(h as i64));
        for (metric, statistic, value) in
            [("CPUUtilization", "Maximum", *load), ("CPUUtilization", "Average", load * 0.6), ("NetworkIn", "Sum", 1e8)]
        {
            rows.0.push(metric);
            rows.1.push(statistic);
            rows.2.push(at);
            rows.3.push(value);
        }
    }
    let n = rows.0.len();
    let metrics = DataFrame::new_infer_height(vec![
        Column::new("resource_id".into(), vec!["i-prop"; n]),
        Column::new("namespace".into(), vec!["AWS/EC2"; n]),
        Column::new("metric".into(), rows.0),
        Column::new("statistic".into(), rows.1),
        dt("period_start", rows.2),
        Column::new("period_seconds".into(), vec![3600i64; n]),
        Column::new("value".into(), rows.3),
    ])
    .unwrap();
    let mut frames = vec![(Table::Instances, instances), (Table::Metrics, metrics)];
    if let Some(share) = billed_share {
        let rate = catalog().on_demand_hourly[instance_type];
        let costs = DataFrame::new_infer_height(vec![
            dt("usage_start", vec![micros(end - chrono::Duration::days(7))]),
            dt("usage_end", vec![micros(end)]),
            Column::new("account_id".into(), ["111111111111"]),
            Column::new("region".into(), ["us-east-1"]),
            Column::new("service".into(), ["AmazonEC2"]),
            Column::new("usage_type".into(), [format!("BoxUsage:{instance_type}")]),
            Column::new("resource_id".into(), ["i-prop"]),
            Column::new("line_item_type".into(), ["DiscountedUsage"]),
            Column::new("usage_amount".into(), [168.0]),
            Column::new("unblended_cost".into(), [rate * 168.0 * share]),
            Column::new("amortized_cost".into(), [rate * 168.0 * share]),
            Column::new("public_on_demand_cost".into(), [rate * 168.0]),
            Column::new("currency".into(), ["USD"]),
            Column::new("tags".into(), ["{}"]),
        ])
        .unwrap();
        frames.push((Table::Costs, costs));
    }
    let manifest =
        Manifest::in_memory("rightsizing property", vec![], Period { start: end - chrono::Duration::days(40), end });
    Dataset::from_frames(manifest, frames).unwrap()
}

proptest! {
    #[test]
    fn rightsizing_recommends_only_types_that_meet_the_requirement(
        type_index in 0..RIGHTSIZING_TYPES.len(),
        cpu in 0.0f64..100.0,
        mean_share in 0.0f64..1.0,
        memory in prop::option::of(0.0f64..100.0),
        network in prop::option::of(0.0f64..3.0),
        graviton in any::<bool>(),
        cpu_headroom in 0.0f64..0.9,
        memory_headroom in 0.0f64..0.9,
    ) {
        let current = &catalog().instances[RIGHTSIZING_TYPES[type_index]];
        let architecture = if current.architectures.iter().any(|a| a == "x86_64") { "x86_64" } else { "arm64" };
        let usage = rightsizing_usage(cpu, mean_share, memory, network);
        let headroom = Headroom { cpu: cpu_headroom, memory: memory_headroom };
        let requirement = Requirement::new(current, architecture, &usage, headroom, graviton);
        let candidates = rightsizing::search(&PriceBook::catalog_only(), "us-east-1", &requirement, &Families::default());
        let Some(recommendation) = rightsizing::recommend(&candidates, current) else { return Ok(()) };
        let perf = |s| relative_performance(s).unwrap();
        for candidate in std::iter::once(&recommendation.best).chain(recommendation.alternatives.iter().map(|a| &a.candidate)) {
            let spec = candidate.spec;
            // vCPU × per-vCPU performance covers the required vCPU (in the current type's vCPUs).
            prop_assert!(f64::from(spec.vcpus) * perf(spec) >= requirement.vcpus * perf(current) - 1e-9,
                "{}: {} vCPU × {} < {} × {}", spec.instance_type, spec.vcpus, perf(spec), requirement.vcpus, perf(current));
            prop_assert!(spec.memory_gib() >= requirement.memory_gib - 1e-9);
            if memory.is_none() {
                prop_assert!(spec.memory_gib() >= current.memory_gib(), "memory never shrinks blind");
            }
            if !graviton {
                prop_assert!(spec.architectures.iter().any(|a| a == architecture), "{} changes architecture", spec.instance_type);
                prop_assert_eq!(candidate.architecture.as_str(), architecture);
            }
            if spec.burstable {
                let baseline = baseline_per_vcpu(&spec.instance_type).unwrap();
                prop_assert!(requirement.mean_cpu_on(spec) <= baseline + 1e-9);
            }
            prop_assert!(candidate.risk.score <= 4);
        }
        prop_assert!(candidates.windows(2).all(|w| w[0].hourly.value <= w[1].hourly.value), "cheapest first");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rightsizing_savings_are_never_negative_for_over_provisioned_instances(
        type_index in 0..RIGHTSIZING_TYPES.len(),
        loads in prop::collection::vec(0.0f64..100.0, 30..120),
        billed_share in prop::option::of(0.3f64..1.2),
        graviton in any::<bool>(),
    ) {
        let dataset = rightsizing_dataset(RIGHTSIZING_TYPES[type_index], &loads, billed_share);
        let prices = PriceBook::catalog_only();
        let billed = BilledCosts::load(&dataset, prices.hours_per_month()).unwrap();
        let params = Params { graviton, ..Params::default() };
        let assessments = rightsizing::assess(&dataset, &prices, &billed, &params).unwrap();
        prop_assert_eq!(assessments.len(), 1);
        let Outcome::Sized(sizing) = &assessments[0].outcome else {
            return Err(TestCaseError::fail(format!("{:?}", assessments[0].outcome)));
        };
        match sizing.classification {
            Classification::OverProvisioned => {
                prop_assert!(sizing.monthly_savings > 0.0 && sizing.monthly_savings >= params.min_monthly_savings);
                prop_assert!(sizing.on_demand_change.unwrap() > 0.0);
                let rec = sizing.recommendation.as_ref().unwrap();
                prop_assert!(rec.best.hourly.value < sizing.current_hourly.value);
                for alternative in &rec.alternatives {
                    prop_assert!(sizing.change_to(&alternative.candidate) > 0.0, "alternatives of a downsize save too");
                }
                if !graviton {
                    prop_assert!(rec.best.spec.architectures.iter().any(|a| a == &sizing.requirement.architecture));
                }
                if let Some(commitment) = &sizing.commitment {
                    prop_assert!(billed_share.is_some_and(|s| s < 0.9));
                    prop_assert!((commitment.billed_share - billed_share.unwrap()).abs() < 1e-9);
                    prop_assert!(sizing.monthly_savings <= sizing.on_demand_change.unwrap());
                }
            }
            Classification::UnderProvisioned | Classification::Optimized => prop_assert_eq!(sizing.monthly_savings, 0.0),
        }
    }
}

/// The commitments optimizer against brute-force simulation.
mod commitments {
    use std::collections::{BTreeMap, BTreeSet};

    use costwise_analyzer::commitments::optimizer::{
        HourlySeries, conservative_sp, optimal_sp, optimal_units, ri_savings, sp_point,
    };
    use costwise_analyzer::commitments::{PlanKind, PoolKey, PoolUsage, PurchaseSettings, RateBook, plan_pools};
    use costwise_analyzer::prices::{PriceBook, PriceOrigin, PriceSource};
    use proptest::prelude::*;

    /// Σ_h p·min(u_h, k·unit) − N·r·k·unit, hour by hour.
    fn simulate_ri(usage: &[f64], unit: f64, units: u64, p: f64, r: f64) -> f64 {
        let capacity = units as f64 * unit;
        usage.iter().map(|u| p * u.min(capacity)).sum::<f64>() - usage.len() as f64 * r * capacity
    }

    /// Σ_h min(x_h, y) − N·(1 − d)·y, hour by hour.
    fn simulate_sp(spend: &[f64], discount: f64, y: f64) -> f64 {
        spend.iter().map(|x| x.min(y)).sum::<f64>() - spend.len() as f64 * (1.0 - discount) * y
    }

    fn brute_force_ri(usage: &[f64], unit: f64, p: f64, r: f64) -> f64 {
        let most = (usage.iter().fold(0.0f64, |a, b| a.max(*b)) / unit).ceil() as u64 + 2;
        (0..=most).map(|k| simulate_ri(usage, unit, k, p, r)).fold(f64::MIN, f64::max)
    }

    proptest! {
        #[test]
        fn ri_optimum_equals_brute_force_on_whole_instance_counts(
            counts in prop::collection::vec(0u32..12, 1..300),
            unit in prop_oneof![Just(0.25f64), Just(1.0), Just(4.0)],
            discount in 0.05f64..0.75,
        ) {
            // Usage in whole instances of `unit` normalized units: the k-th unit's utilization is exactly
            // the share of hours with at least k instances running.
            let usage: Vec<f64> = counts.iter().map(|c| f64::from(*c) * unit).collect();
            let (p, r) = (0.024, 0.024 * (1.0 - discount));
            let series = HourlySeries::new(usage.iter().copied());
            let k = optimal_units(&series, unit, r / p);
            let best = brute_force_ri(&usage, unit, p, r);
            let got = simulate_ri(&usage, unit, k, p, r);
            prop_assert!((got - best).abs() <= 1e-9 * (1.0 + best.abs()), "k = {k}: {got} vs brute force {best}");
            prop_assert!((ri_savings(&series, unit, k, p, r) - got).abs() <= 1e-9 * (1.0 + got.abs()));
            // k* = max{k : share of hours with usage ≥ k units ≥ r/p}.
            let share = |k: u64| counts.iter().filter(|c| u64::from(**c) >= k).count() as f64 / counts.len() as f64;
            if k > 0 {
                prop_assert!(share(k) >= r / p - 1e-12);
            }
            prop_assert!(share(k + 1) < r / p + 1e-12);
        }

        #[test]
        fn ri_optimum_equals_brute_force_on_fractional_usage(
            usage in prop::collection::vec(0.0f64..40.0, 1..300),
            unit in 0.25f64..16.0,
            discount in 0.05f64..0.75,
        ) {
            let (p, r) = (0.05, 0.05 * (1.0 - discount));
            let series = HourlySeries::new(usage.iter().copied());
            let k = optimal_units(&series, unit, r / p);
            let best = brute_force_ri(&usage, unit, p, r);
            let got = simulate_ri(&usage, unit, k, p, r);
            prop_assert!((got - best).abs() <= 1e-9 * (1.0 + best.abs()), "k = {k}: {got} vs brute force {best}");
        }

        #[test]
        fn sp_optimum_equals_simulation_and_is_the_discount_quantile(
            spend in prop::collection::vec(0.0f64..5.0, 1..300),
            discount in 0.05f64..0.75,
        ) {
            let series = HourlySeries::new(spend.iter().copied());
            let best = optimal_sp(&series, discount);
            prop_assert!((best.savings - simulate_sp(&spend, discount, best.covers_per_hour)).abs() < 1e-9);
            prop_assert!((best.commitment - (1.0 - discount) * best.covers_per_hour).abs() < 1e-12);
            // Simulate every observed level and a fine grid: nothing beats the optimum.
            let top = spend.iter().fold(0.0f64, |a, b| a.max(*b));
            let grid = (0..=400).map(|i| top * f64::from(i) / 400.0);
            for y in spend.iter().copied().chain(grid) {
                prop_assert!(simulate_sp(&spend, discount, y) <= best.savings + 1e-9, "y = {y} beats the optimum");
            }
            // The d-quantile: spend reaches y* in at least 1 − d of the hours, and exceeds it in at most 1 − d.
            let n = spend.len() as f64;
            let y = best.covers_per_hour;
            if y > 0.0 {
                prop_assert!(spend.iter().filter(|x| **x >= y).count() as f64 / n >= 1.0 - discount - 1e-12);
            }
            prop_assert!(spend.iter().filter(|x| **x > y).count() as f64 / n <= 1.0 - discount + 1e-12);
        }

        #[test]
        fn conservative_commitment_is_the_highest_with_enough_utilization(
            spend in prop::collection::vec(0.0f64..5.0, 1..200),
            discount in 0.05f64..0.75,
            min_utilization in 0.5f64..1.0,
        ) {
            let series = HourlySeries::new(spend.iter().copied());
            let optimal = optimal_sp(&series, discount);
            let safe = conservative_sp(&series, discount, min_utilization, optimal.covers_per_hour);
            prop_assert!(safe.covers_per_hour <= optimal.covers_per_hour + 1e-12);
            if safe.covers_per_hour > 0.0 {
                prop_assert!(safe.utilization >= min_utilization - 1e-9, "{} < {min_utilization}", safe.utilization);
            }
            let above = sp_point(&series, discount, safe.covers_per_hour * 1.001 + 1e-9);
            prop_assert!(
                above.covers_per_hour > optimal.covers_per_hour || above.utilization < min_utilization + 1e-9,
                "a higher commitment {} still reaches {min_utilization}", above.covers_per_hour
            );
        }

        #[test]
        fn the_plan_never_commits_usage_twice_and_beats_each_pure_strategy(
            pools in prop::collection::vec((0usize..3, prop::collection::vec(0u32..6, 48)), 1..6),
        ) {
            let families = ["m5", "c5", "r5"];
            let rates = [0.024, 0.02125, 0.0315];
            let mut seen = BTreeSet::new();
            let pools: Vec<PoolUsage> = pools
                .into_iter()
                .filter(|(f, _)| seen.insert(*f))
                .map(|(f, counts)| PoolUsage {
                    key: PoolKey {
                        account_id: "111111111111".into(),
                        region: "us-east-1".into(),
                        family: families[f].into(),
                        instance_type: None,
                        platform: "Linux/UNIX".into(),
                        tenancy: "Shared".into(),
                    },
                    on_demand: counts.iter().map(|c| f64::from(*c) * 4.0).collect(),
                    od_rate: rates[f],
                    od_rate_source: PriceSource { origin: PriceOrigin::Cur, detail: "test".into() },
                    unit_size: format!("{}.large", families[f]),
                    unit_nu: 4.0,
                    covered_ri_nu: 0.0,
                    covered_sp_nu: 0.0,
                    set_aside_nu: 0.0,
                    set_aside_public: 0.0,
                    set_aside: BTreeMap::new(),
                    resized: BTreeMap::new(),
                    instance_types: BTreeSet::new(),
                    tags: BTreeMap::new(),
                })
                .collect();
            let book = PriceBook::catalog_only();
            let rates_book = RateBook::estimates_only(&book);
            let settings = PurchaseSettings { min_monthly_savings: 0.0, ..PurchaseSettings::default() };
            let plans = plan_pools(&pools, &rates_book, &settings, 730.0);
            for plan in &plans {
                let total = plan.monthly_on_demand;
                let reserved: f64 = plan.reserved_instances.iter().map(|r| r.monthly_on_demand_covered).sum();
                for sp in &plan.savings_plans {
                    // The plan is sized on what the RIs leave: together they never exceed the usage.
                    prop_assert!((sp.monthly_on_demand + sp.monthly_covered_by_reservations - total).abs() < 1e-3);
                    prop_assert!((sp.monthly_covered_by_reservations - reserved).abs() < 1e-3);
                }
                let savings = |kind| plan.alternatives.iter().find(|a| a.kind == kind).unwrap().monthly_savings;
                let chosen = plan.monthly_savings();
                prop_assert!(chosen >= savings(PlanKind::SavingsPlanOnly) - 1e-6);
                prop_assert!(chosen >= savings(PlanKind::ReservationsThenSavingsPlan) - 1e-6);
                prop_assert!(chosen >= savings(PlanKind::ReservationsWhereTheyWinThenSavingsPlan) - 1e-6);
            }
        }
    }
}
