//! The commitments family (issue 5): what `reserved-instance-purchase`,
//! `savings-plan-purchase`, `underused-reservation` and `expiring-commitment`
//! must conclude on the demo account.
//!
//! The method is `docs/commitments.md`. Over the rule's default 30-day
//! lookback (the last 720 hours of the window), every pool (account × region ×
//! family; the demo runs only Linux/UNIX with shared tenancy, so every pool is
//! size-flexible) gets its hourly on-demand usage in normalized units, after
//! "commit after cleanup": stopped instances, instances terminated outside an
//! Auto Scaling group and the `idle-instance` entries are set aside, and the
//! `overprovisioned-instance` entries count at their recommended type. The
//! default offering (standard 1-year No Upfront) is planted at 37.5 % off: the
//! reservation the CUR shows for it (m5.large ×2) and the catalog's estimate
//! agree, so the rate is the same whichever the rule resolves.
//!
//! The demo's usage is flat apart from a few instances launched or stopped
//! inside the window, so the optimal count k* is the steady units; the
//! entries record it, in the family's smallest size, with the savings
//! `k · f · p · d · 730` (`p` the pool's public on-demand cost per
//! normalized-unit hour). `crates/synth/tests/commitments.rs` re-derives
//! every entry from the snapshot with its own implementation.

use std::collections::BTreeMap;

use super::{ACCOUNTS, HOURS, HOURS_PER_MONTH, Plan, Pricing, Rates, Region, push_oracle};

/// Discount of a standard 1-year No Upfront reservation (the demo's RI and the catalog's estimate).
pub const STANDARD_1YR_NO_UPFRONT: f64 = 0.375;

/// Discount of the compute savings plan (1-year No Upfront).
pub const COMPUTE_SP_DISCOUNT: f64 = 0.28;

/// Hours in the rules' default 30-day lookback.
pub const LOOKBACK_HOURS: usize = 30 * 24;

/// The rules' smallest monthly saving reported.
pub const MIN_MONTHLY_SAVINGS: f64 = 5.0;

/// `expiring-commitment`'s widest horizon, days.
pub const EXPIRY_HORIZON_DAYS: i64 = 90;

/// Sizes in increasing order with their normalization factors (billing-data.md §2).
const SIZES: [(&str, f64); 8] = [
    ("nano", 0.25),
    ("micro", 0.5),
    ("small", 1.0),
    ("medium", 2.0),
    ("large", 4.0),
    ("xlarge", 8.0),
    ("2xlarge", 16.0),
    ("4xlarge", 32.0),
];

/// The normalization factor of an instance type's size.
pub fn normalization_factor(instance_type: &str) -> f64 {
    let size = instance_type.split_once('.').map_or(instance_type, |(_, s)| s);
    SIZES
        .iter()
        .find(|(s, _)| *s == size)
        .map_or_else(|| panic!("no normalization factor for {instance_type}"), |x| x.1)
}

/// The smallest size the catalog lists in `family`, with its factor.
fn smallest_size(rates: &Rates, family: &str) -> (String, f64) {
    SIZES
        .iter()
        .map(|(s, f)| (format!("{family}.{s}"), *f))
        .find(|(t, _)| rates.book.instance_spec(t).is_some())
        .unwrap_or_else(|| panic!("no size of {family} in the catalog"))
}

/// One pool's lookback: hourly on-demand normalized units and public on-demand cost.
#[derive(Default)]
struct Pool {
    units: Vec<f64>,
    cost: Vec<f64>,
}

/// Adds the commitments entries. Runs last: it reads the idle and rightsizing entries.
pub fn plant(plan: &mut Plan, rates: &Rates) {
    let start = HOURS - LOOKBACK_HOURS;
    let entry_ids = |kind: &str| -> BTreeMap<String, Option<String>> {
        plan.oracle
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| {
                let id = e.resource_id.clone().expect("instance entries name a resource");
                let members: Vec<String> = if id.starts_with("i-") {
                    vec![id]
                } else {
                    plan.instances
                        .iter()
                        .filter(|i| i.asg.as_deref() == Some(id.as_str()))
                        .map(|i| i.id.clone())
                        .collect()
                };
                members.into_iter().map(|m| (m, e.expected_recommendation.clone()))
            })
            .collect()
    };
    let idle = entry_ids("idle-instance");
    let resized = entry_ids("overprovisioned-instance");

    let mut pools: BTreeMap<(usize, &'static str, String), Pool> = BTreeMap::new();
    for inst in &plan.instances {
        let set_aside = match inst.state {
            Some("running") => idle.contains_key(&inst.id),
            Some(_) => true,
            None => inst.asg.is_none(),
        };
        if inst.pricing != Pricing::OnDemand || set_aside {
            continue;
        }
        let instance_type = resized.get(&inst.id).cloned().flatten().unwrap_or_else(|| inst.instance_type.clone());
        let family = instance_type.split_once('.').map_or(instance_type.as_str(), |(f, _)| f).to_owned();
        let nu = normalization_factor(&instance_type);
        let rate = rates.ec2(inst.region, &instance_type);
        let pool = pools
            .entry((inst.account, inst.region.code, family))
            .or_insert_with(|| Pool { units: vec![0.0; LOOKBACK_HOURS], cost: vec![0.0; LOOKBACK_HOURS] });
        for h in (start..HOURS).filter(|h| inst.runs_at(*h)) {
            pool.units[h - start] += nu;
            pool.cost[h - start] += rate;
        }
    }

    let n = LOOKBACK_HOURS as f64;
    // Per account: the hourly on-demand spend no recommended reservation covers.
    let mut left: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let break_even = 1.0 - STANDARD_1YR_NO_UPFRONT;
    let against_sp = break_even / (1.0 - COMPUTE_SP_DISCOUNT);
    for ((account, region_code, family), pool) in &pools {
        let region = region_of(region_code);
        let (size, f) = smallest_size(rates, family);
        let utilization = |k: usize| -> f64 {
            pool.units.iter().map(|u| ((u - (k - 1) as f64 * f) / f).clamp(0.0, 1.0)).sum::<f64>() / n
        };
        let k_star = |threshold: f64, strict: bool| {
            // Every unit past the busiest hour is unused, so the search ends there.
            let most = (pool.units.iter().copied().fold(0.0, f64::max) / f).ceil() as usize;
            (1..=most)
                .take_while(|k| if strict { utilization(*k) > threshold } else { utilization(*k) >= threshold })
                .count()
        };
        let k = k_star(break_even, false);
        // A unit must also beat the savings plan (ties go to the plan); the demo keeps both answers equal.
        assert_eq!(
            k,
            k_star(against_sp, true),
            "{family} in {region_code}: RIs against on-demand and against the plan differ"
        );
        let total_units: f64 = pool.units.iter().sum();
        let p = pool.cost.iter().sum::<f64>() / total_units;
        let bought = k as f64 * f;
        let used: f64 = pool.units.iter().map(|u| u.min(bought)).sum();
        let savings = (p * used - n * p * break_even * bought) / n * HOURS_PER_MONTH;
        let reserve = k > 0 && savings >= MIN_MONTHLY_SAVINGS;
        let spend = left.entry(*account).or_insert_with(|| vec![0.0; LOOKBACK_HOURS]);
        for (h, (u, c)) in pool.units.iter().zip(&pool.cost).enumerate() {
            let covered = if reserve && *u > 0.0 { u.min(bought) / u } else { 0.0 };
            spend[h] += c * (1.0 - covered);
        }
        if !reserve {
            continue;
        }
        let utilization_percent = used / (n * bought) * 100.0;
        let steady = pool.units.iter().copied().fold(f64::INFINITY, f64::min);
        let id = format!("reserved-instances/{region_code}/{family}/linux-unix/shared");
        push_oracle(
            plan,
            "reserved-instance-purchase",
            *account,
            region,
            Some(&id),
            Some(savings),
            format!(
                "{family} in {region_code} ({}) runs at least {steady} normalized units on demand every hour of the 30-day lookback after cleanup, at ${p:.4} per unit-hour: buy {k} × {size} (standard 1-year No Upfront, 37.5% off)",
                ACCOUNTS[*account].name
            ),
        );
        let entry = plan.oracle.last_mut().expect("just pushed");
        entry.expected_units = Some(u32::try_from(k).expect("a few units"));
        entry.expected_instance_type = Some(size);
        entry.expected_utilization_percent = Some((utilization_percent * 1e6).round() / 1e6);
    }

    // No savings plan: what the reservations leave is not there often enough
    // (the best commitment against spend `x_h` is at a kink, one of the `x_h`).
    for (account, spend) in &left {
        let best = spend
            .iter()
            .map(|y| spend.iter().map(|x| x.min(*y)).sum::<f64>() - n * (1.0 - COMPUTE_SP_DISCOUNT) * y)
            .fold(0.0, f64::max);
        let monthly = best / n * HOURS_PER_MONTH;
        assert!(
            monthly < MIN_MONTHLY_SAVINGS,
            "{}: a savings plan on what the reservations leave would save ${monthly:.2}/month",
            ACCOUNTS[*account].name
        );
    }

    plant_existing(plan, rates);
}

fn region_of(code: &str) -> Region {
    super::REGIONS.into_iter().find(|r| r.code == code).expect("a demo region")
}

/// The reservations and the savings plan: used every hour (the fleet they
/// cover runs all window), so 100 % utilized; the one ending within 90 days
/// is an `expiring-commitment`.
fn plant_existing(plan: &mut Plan, rates: &Rates) {
    let as_of = super::window_end();
    let reservations = plan.reservations.clone();
    for ri in &reservations {
        let covered = plan.instances.iter().filter(|i| i.pricing == Pricing::Reserved(index_of(plan, &ri.id))).count();
        assert_eq!(covered as i64, ri.count, "reservation {} is fully used", ri.id);
        let od = rates.ec2(ri.region, ri.instance_type) * ri.count as f64 * HOURS_PER_MONTH;
        let cost = ri.effective_hourly() * ri.count as f64 * HOURS_PER_MONTH;
        push_existing(
            plan,
            ri.account,
            ri.region,
            &ri.id,
            format!(
                "{} × {} {} reservation, every reserved hour used by instances that run all window",
                ri.count, ri.instance_type, ri.offering_type
            ),
        );
        let days_left = (ri.end - as_of).num_days();
        if days_left <= EXPIRY_HORIZON_DAYS {
            push_oracle(
                plan,
                "expiring-commitment",
                ri.account,
                ri.region,
                Some(&ri.id),
                Some(0.0),
                format!(
                    "{} × {} reservation ends {} ({days_left} days after the snapshot): on demand its usage costs ${od:.2}/month against ${cost:.2}/month reserved",
                    ri.count,
                    ri.instance_type,
                    ri.end.format("%Y-%m-%d")
                ),
            );
            let entry = plan.oracle.last_mut().expect("just pushed");
            entry.expected_utilization_percent = Some(100.0);
            entry.expected_monthly_increase = Some(super::round6(od - cost));
        }
    }
    for sp in plan.savings_plans.clone() {
        assert!((sp.end - as_of).num_days() > EXPIRY_HORIZON_DAYS, "the savings plan is not expiring");
        push_existing(
            plan,
            sp.account,
            super::US_EAST_1,
            &sp.id,
            format!(
                "compute savings plan of ${:.6}/hour, sized on the fleet it covers (which runs all window): fully used",
                sp.commitment
            ),
        );
    }
}

fn index_of(plan: &Plan, reservation_id: &str) -> usize {
    plan.reservations.iter().position(|r| r.id == reservation_id).expect("a planted reservation")
}

fn push_existing(plan: &mut Plan, account: usize, region: Region, id: &str, note: String) {
    push_oracle(plan, "existing-commitment-utilization", account, region, Some(id), None, note);
    plan.oracle.last_mut().expect("just pushed").expected_utilization_percent = Some(100.0);
}
