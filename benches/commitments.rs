//! Commitments optimizer benchmarks: 1,000 pools × 720 hourly values (a 30-day lookback).
//!
//! `cargo bench --workspace --bench commitments`. The pools are synthetic (a
//! deterministic generator: a steady base, a daytime peak and noise), so the
//! figures measure the optimizer and planner alone, not reading the CUR.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;

use costwise_analyzer::commitments::optimizer::{HourlySeries, conservative_sp, optimal_sp, optimal_units, sp_curve};
use costwise_analyzer::commitments::{PoolKey, PoolUsage, PurchaseSettings, RateBook, RiOffering, plan_pools};
use costwise_analyzer::prices::{PriceBook, PriceOrigin, PriceSource};
use criterion::{Criterion, criterion_group, criterion_main};

const POOLS: usize = 1_000;
const HOURS: usize = 720;
const ACCOUNTS: usize = 50;
const FAMILIES: [&str; 20] = [
    "m5", "m6i", "m7i", "m6g", "m7g", "c5", "c6i", "c7i", "c6g", "c7g", "r5", "r6i", "r7i", "r6g", "r7g", "t3", "t3a",
    "t4g", "m5a", "c5a",
];

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn pools() -> Vec<PoolUsage> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..POOLS)
        .map(|i| {
            let base = (rng.uniform() * 10.0).floor() * 4.0;
            let peak = (rng.uniform() * 8.0).floor() * 4.0;
            let on_demand = (0..HOURS)
                .map(|h| {
                    let daytime = (8..20).contains(&(h % 24));
                    let noise = if rng.uniform() < 0.1 { 4.0 } else { 0.0 };
                    base + if daytime { peak } else { 0.0 } + noise
                })
                .collect();
            let family = FAMILIES[i % FAMILIES.len()];
            PoolUsage {
                key: PoolKey {
                    account_id: format!("{:012}", 100_000_000_000 + i / (POOLS / ACCOUNTS)),
                    region: "us-east-1".into(),
                    family: family.into(),
                    instance_type: None,
                    platform: "Linux/UNIX".into(),
                    tenancy: "Shared".into(),
                },
                on_demand,
                od_rate: 0.02 + rng.uniform() * 0.01,
                od_rate_source: PriceSource { origin: PriceOrigin::Cur, detail: "synthetic".into() },
                unit_size: format!("{family}.large"),
                unit_nu: 4.0,
                covered_ri_nu: 0.0,
                covered_sp_nu: 0.0,
                set_aside_nu: 0.0,
                set_aside_public: 0.0,
                set_aside: BTreeMap::new(),
                resized: BTreeMap::new(),
                instance_types: BTreeSet::new(),
                tags: BTreeMap::new(),
            }
        })
        .collect()
}

fn commitments(c: &mut Criterion) {
    let pools = pools();
    let offerings = RiOffering::all();
    let discounts: Vec<f64> = [0.375, 0.40, 0.42, 0.57, 0.60, 0.62, 0.28, 0.305, 0.325, 0.46, 0.49, 0.51].to_vec();
    assert_eq!(offerings.len(), discounts.len());
    let book = PriceBook::catalog_only();
    let rates = RateBook::estimates_only(&book);
    let settings = PurchaseSettings::default();

    let mut group = c.benchmark_group("commitments-1000-pools-720h");
    group.bench_function("optimize (12 RI offerings + SP optimum, conservative, curve per pool)", |b| {
        b.iter(|| {
            let mut units = 0u64;
            for pool in &pools {
                let series = HourlySeries::new(pool.on_demand.iter().copied());
                for d in &discounts {
                    units += optimal_units(&series, pool.unit_nu, 1.0 - d);
                }
                let spend = HourlySeries::new(pool.on_demand.iter().map(|u| u * pool.od_rate));
                let best = optimal_sp(&spend, 0.28);
                black_box(conservative_sp(&spend, 0.28, 0.95, best.covers_per_hour));
                black_box(sp_curve(&spend, 0.28, 20));
            }
            black_box(units)
        });
    });
    group.bench_function("plan (50 accounts: RI vs SP, residual plans, findings data)", |b| {
        b.iter(|| black_box(plan_pools(&pools, &rates, &settings, 730.0)));
    });
    group.finish();
}

criterion_group!(benches, commitments);
criterion_main!(benches);
