//! The demo oracle's commitment conclusions, re-derived independently.
//!
//! A second, self-contained implementation of `docs/commitments.md`'s
//! reserved-instance sizing that shares nothing with the generator or the
//! analyzer: it reads the committed snapshot's CUR lines over the last 30
//! days, sets aside what "commit after cleanup" removes (instances stopped as
//! of the snapshot or gone from the inventory, the oracle's `idle-instance`
//! entries) and counts the oracle's `overprovisioned-instance` entries at
//! their recommended type (priced from the raw us-east-1 CSV × the region's
//! CUR multiplier), pools the hourly normalized units per account × region ×
//! family, and finds the best count by simulating every count — not by the
//! utilization threshold the generator and the rule use. Then it checks that
//! the oracle (`fixtures/demo-oracle.json`) says exactly that, that no savings
//! plan is worth buying on what the reservations leave, and that the existing
//! commitments are fully used.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use costwise_analyzer::{Dataset, Table};
use polars::prelude::*;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Normalized units of a size (billing-data.md §2).
fn factor(instance_type: &str) -> f64 {
    let size = instance_type.split('.').nth(1).unwrap();
    match size {
        "nano" => 0.25,
        "micro" => 0.5,
        "small" => 1.0,
        "medium" => 2.0,
        "large" => 4.0,
        "xlarge" => 8.0,
        s => 8.0 * s.trim_end_matches("xlarge").parse::<f64>().unwrap(),
    }
}

fn family(instance_type: &str) -> &str {
    instance_type.split('.').next().unwrap()
}

fn catalog_prices() -> BTreeMap<String, f64> {
    std::fs::read_to_string(repo().join("crates/analyzer/data/ec2-ondemand-linux-us-east-1.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(t, p)| (t.to_owned(), p.parse().unwrap()))
        .collect()
}

fn catalog_discount(key: &str) -> f64 {
    let text = std::fs::read_to_string(repo().join("crates/analyzer/data/aws-list-prices-us-east-1.toml")).unwrap();
    let section = text.split("[commitments.discount_estimate]").nth(1).unwrap();
    section
        .lines()
        .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == key))
        .map(|(_, v)| v.trim().parse().unwrap())
        .unwrap()
}

fn frame(ds: &Dataset, table: Table, columns: &[&str]) -> DataFrame {
    ds.table(table).unwrap().select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>()).collect().unwrap()
}

fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name).unwrap().str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
}

fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name).unwrap().f64().unwrap().iter().map(|v| v.unwrap_or(0.0)).collect()
}

/// Hourly normalized units and public on-demand cost of one pool.
type Series = (Vec<f64>, Vec<f64>);

#[test]
#[allow(clippy::many_single_char_names, clippy::too_many_lines)] // docs/commitments.md's notation (n, p, r, f, k); one derivation
fn oracle_commitments_are_what_simulating_every_purchase_gives() {
    let ds = Dataset::open(repo().join("fixtures/demo")).unwrap();
    let oracle: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("fixtures/demo-oracle.json")).unwrap()).unwrap();
    let entries = oracle["findings"].as_array().unwrap();
    let prices = catalog_prices();
    let discount = catalog_discount("standard_ri_1yr_no_upfront");
    let sp_discount = catalog_discount("compute_sp_1yr_no_upfront");
    let hours = 30 * 24;
    let end = ds.as_of();
    let start = end - chrono::Duration::days(30);

    // Inventory: state and group of every instance the snapshot still lists.
    let inv = frame(&ds, Table::Instances, &["instance_id", "state", "auto_scaling_group"]);
    let (ids, states, groups) = (strs(&inv, "instance_id"), strs(&inv, "state"), strs(&inv, "auto_scaling_group"));
    let members = |group: &str| -> Vec<String> {
        ids.iter().zip(&groups).filter(|(_, g)| g.as_deref() == Some(group)).map(|(i, _)| i.clone().unwrap()).collect()
    };
    let expand = |id: &str| if id.starts_with("i-") { vec![id.to_owned()] } else { members(id) };
    let running: BTreeSet<String> = ids
        .iter()
        .zip(&states)
        .filter(|(_, s)| s.as_deref() == Some("running"))
        .map(|(i, _)| i.clone().unwrap())
        .collect();
    let idle: BTreeSet<String> = entries
        .iter()
        .filter(|e| e["kind"] == "idle-instance")
        .flat_map(|e| expand(e["resource_id"].as_str().unwrap()))
        .collect();
    let resized: BTreeMap<String, String> = entries
        .iter()
        .filter(|e| e["kind"] == "overprovisioned-instance")
        .flat_map(|e| {
            let to = e["expected_recommendation"].as_str().unwrap().to_owned();
            expand(e["resource_id"].as_str().unwrap()).into_iter().map(move |m| (m, to.clone()))
        })
        .collect();
    assert!(idle.len() >= 3 && resized.len() >= 10, "{idle:?} {resized:?}");

    // The CUR's on-demand instance hours over the lookback.
    let costs = ds
        .table(Table::Costs)
        .unwrap()
        .filter(col("usage_start").gt_eq(lit(start)).and(col("usage_start").lt(lit(end))))
        .filter(col("instance_type").is_not_null())
        .collect()
        .unwrap();
    let line_type = strs(&costs, "line_item_type");
    let (account, region, resource) = (strs(&costs, "account_id"), strs(&costs, "region"), strs(&costs, "resource_id"));
    let itype = strs(&costs, "instance_type");
    let (amount, public, amortized) =
        (floats(&costs, "usage_amount"), floats(&costs, "public_on_demand_cost"), floats(&costs, "amortized_cost"));
    let starts: Vec<i64> =
        costs.column("usage_start").unwrap().datetime().unwrap().physical().iter().map(|v| v.unwrap()).collect();
    let start_us = start.and_utc().timestamp_micros();

    // The region multiplier, from the CUR's public rates against the us-east-1 list.
    let mut multiplier: BTreeMap<String, f64> = BTreeMap::new();
    // Pools: (account, region, family) → hourly units and public cost.
    let mut pools: BTreeMap<(String, String, String), Series> = BTreeMap::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    let (mut ri_public, mut ri_amortized) = (0.0, 0.0);
    for i in 0..costs.height() {
        let kind = line_type[i].as_deref().unwrap();
        let reg = region[i].clone().unwrap();
        let t = itype[i].clone().unwrap();
        // The m5.large reservation is the default offering (standard 1-year No Upfront).
        if kind == "DiscountedUsage" && t == "m5.large" {
            ri_public += public[i];
            ri_amortized += amortized[i];
        }
        if kind != "Usage" || amount[i] <= 0.0 {
            continue;
        }
        if let Some(list) = prices.get(&t) {
            let m = public[i] / amount[i] / list;
            let seen = *multiplier.entry(reg.clone()).or_insert(m);
            assert!((seen - m).abs() < 1e-6, "{reg}: one multiplier");
        }
        let id = resource[i].clone().unwrap();
        if !running.contains(&id) || idle.contains(&id) {
            continue; // stopped, gone, or idle: set aside
        }
        pending.push((i, resized.get(&id).cloned().unwrap_or(t)));
    }
    for (i, t) in pending {
        let reg = region[i].clone().unwrap();
        // At its own CUR rate, or (resized) the new type's list price in this region.
        let rate = if Some(&t) == itype[i].as_ref() { public[i] / amount[i] } else { prices[&t] * multiplier[&reg] };
        let h = usize::try_from((starts[i] - start_us) / 3_600_000_000).unwrap();
        let pool = pools
            .entry((account[i].clone().unwrap(), reg.clone(), family(&t).to_owned()))
            .or_insert_with(|| (vec![0.0; hours], vec![0.0; hours]));
        pool.0[h] += amount[i] * factor(&t);
        pool.1[h] += amount[i] * rate;
    }
    // The reservation in the CUR is the default offering at the catalog's rate.
    assert!((1.0 - ri_amortized / ri_public - discount).abs() < 1e-6, "observed {}", 1.0 - ri_amortized / ri_public);

    // Simulate every count per pool; keep the best (the smallest on a tie).
    let n = hours as f64;
    let mut expected: BTreeMap<(String, String), (u32, String, f64)> = BTreeMap::new();
    let mut left: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for ((acct, reg, fam), (units, cost)) in &pools {
        let (smallest, f) = prices
            .keys()
            .filter(|t| family(t) == fam && !t.contains("metal"))
            .map(|t| (t.clone(), factor(t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        let p = cost.iter().sum::<f64>() / units.iter().sum::<f64>();
        let r = p * (1.0 - discount);
        let most = (units.iter().copied().fold(0.0, f64::max) / f).ceil() as u32;
        let savings = |k: u32| {
            let c = f64::from(k) * f;
            p * units.iter().map(|u| u.min(c)).sum::<f64>() - n * r * c
        };
        let k = (0..=most).fold(0, |best, k| if savings(k) > savings(best) + 1e-9 { k } else { best });
        let monthly = savings(k) / n * 730.0;
        let bought = if monthly >= 5.0 { f64::from(k) * f } else { 0.0 };
        if bought > 0.0 {
            expected.insert(
                (acct.clone(), format!("reserved-instances/{reg}/{fam}/linux-unix/shared")),
                (k, smallest, monthly),
            );
        }
        let spend = left.entry(acct.clone()).or_insert_with(|| vec![0.0; hours]);
        for h in 0..hours {
            if units[h] > 0.0 {
                spend[h] += cost[h] * (1.0 - units[h].min(bought) / units[h]);
            }
        }
    }
    let planted: BTreeMap<(String, String), (u32, String, f64)> = entries
        .iter()
        .filter(|e| e["kind"] == "reserved-instance-purchase")
        .map(|e| {
            (
                (e["account_id"].as_str().unwrap().to_owned(), e["resource_id"].as_str().unwrap().to_owned()),
                (
                    u32::try_from(e["expected_units"].as_u64().unwrap()).unwrap(),
                    e["expected_instance_type"].as_str().unwrap().to_owned(),
                    e["expected_monthly_savings"].as_f64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(planted.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (key, (k, size, monthly)) in &expected {
        let (pk, psize, pmonthly) = &planted[key];
        assert_eq!((k, size), (pk, psize), "{key:?}");
        assert!((monthly - pmonthly).abs() < 1e-4, "{key:?}: ${monthly:.6} here, oracle ${pmonthly:.6}");
    }

    // A compute savings plan on what the reservations leave: best commitment at any level.
    for (acct, spend) in &left {
        let best = (0..=2000)
            .map(|i| f64::from(i) * 0.001)
            .map(|y| spend.iter().map(|x| x.min(y)).sum::<f64>() - n * (1.0 - sp_discount) * y)
            .fold(0.0, f64::max);
        let monthly = best / n * 730.0;
        assert!(monthly < 5.0, "{acct}: a savings plan would save ${monthly:.2}/month");
        assert!(!entries.iter().any(|e| e["kind"] == "savings-plan-purchase"));
    }

    for e in entries.iter().filter(|e| e["kind"] == "existing-commitment-utilization") {
        assert_eq!(e["expected_utilization_percent"].as_f64(), Some(100.0));
    }
}
