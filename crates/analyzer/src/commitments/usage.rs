//! Hourly on-demand EC2 usage from the CUR, pooled the way commitments apply.
//!
//! A **pool** is one account × region × family × platform × tenancy for
//! size-flexible usage (Linux/UNIX, shared tenancy), and one account ×
//! region × instance type × platform × tenancy otherwise. Its series is the
//! on-demand usage in each hour of the lookback in normalized units
//! (`usage_amount × normalization factor`; the CUR's factor, else the AWS
//! table). Covered usage (`DiscountedUsage`, `SavingsPlanCoveredUsage`) and
//! spot are not on-demand and stay out of the series; they only feed the
//! pool's current coverage. Usage set aside by "commit after cleanup" stays
//! out too, and is totalled so the report can say how much.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDateTime};
use polars::prelude::*;
use serde::Serialize;

use super::cleanup::{Cleanup, SetAsideReason};
use super::normalization::{
    instance_type_of, is_size_flexible, normalization_factor, platform_of, smallest_size, tenancy_of,
};
use crate::error::{Error, PolarsResultExt};
use crate::prices::{PriceBook, PriceOrigin, PriceSource, family_of};
use crate::rules::columns::{floats, ints, strings};
use crate::rules::parse_tags;
use crate::spend::scalar_datetime;
use crate::{Dataset, Table};

const HOUR_US: i64 = 3_600_000_000;
/// Line items longer than this are not hourly.
const MAX_HOURLY_LINE_US: i64 = HOUR_US + 60_000_000;

/// The lookback: `lookback_days` days ending at the end of the billing data (or the snapshot's as-of time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First hour (inclusive).
    pub start: NaiveDateTime,
    /// End (exclusive).
    pub end: NaiveDateTime,
    /// Days looked back.
    pub lookback_days: u32,
}

impl Window {
    /// Hours in the window.
    pub fn hours(&self) -> usize {
        usize::try_from((self.end - self.start).num_hours()).unwrap_or(0)
    }

    /// Hours of `[from, to)` inside the window.
    pub fn overlap_hours(&self, from: NaiveDateTime, to: NaiveDateTime) -> f64 {
        let (a, b) = (from.max(self.start), to.min(self.end));
        if b > a { (b - a).num_seconds() as f64 / 3600.0 } else { 0.0 }
    }
}

/// The lookback window over the dataset's billing data: `Ok(None)` without
/// billing data, `Ok(Some(Err(reason)))` when the data does not cover it.
pub fn lookback_window(dataset: &Dataset, lookback_days: u32) -> Result<Option<Result<Window, String>>, Error> {
    let Some(costs) = dataset.table(Table::Costs) else { return Ok(None) };
    let bounds = costs
        .select([col("usage_start").min().alias("start"), col("usage_end").max().alias("end")])
        .collect()
        .during(|| "commitments: billing period".into())?;
    let (Some(data_start), Some(data_end)) = (scalar_datetime(&bounds, "start"), scalar_datetime(&bounds, "end"))
    else {
        return Ok(None);
    };
    let end = data_end.min(dataset.as_of());
    let window = Window { start: end - Duration::days(i64::from(lookback_days)), end, lookback_days };
    if data_start > window.start {
        let covered = (end - data_start).num_hours().max(0) as f64 / 24.0;
        return Ok(Some(Err(format!(
            "the billing data covers {covered:.1} of the {lookback_days} lookback days (it starts {}): commitments are sized on a full lookback; import more CUR history or set `lookback-days` to 7",
            data_start.format("%Y-%m-%d %H:%M UTC")
        ))));
    }
    Ok(Some(Ok(window)))
}

/// What identifies a pool.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PoolKey {
    /// Usage account.
    pub account_id: String,
    /// Region.
    pub region: String,
    /// Instance family (`m5`).
    pub family: String,
    /// The one instance type of a pool that is not size-flexible.
    pub instance_type: Option<String>,
    /// Platform as `describe-reserved-instances-offerings` names it (`Linux/UNIX`).
    pub platform: String,
    /// `Shared`, `Dedicated` or `Host`.
    pub tenancy: String,
}

impl PoolKey {
    /// Whether reservations apply across sizes (the pool is a whole family).
    pub fn size_flexible(&self) -> bool {
        self.instance_type.is_none()
    }

    /// A stable id for findings: `reserved-instances/us-east-1/m5/linux-unix/shared`.
    pub fn id(&self) -> String {
        let slug = |s: &str| {
            s.to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
                .collect::<String>()
                .split('-')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("-")
        };
        format!(
            "reserved-instances/{}/{}/{}/{}",
            self.region,
            self.instance_type.as_deref().unwrap_or(&self.family),
            slug(&self.platform),
            slug(&self.tenancy)
        )
    }

    /// In words: `m5 Linux/UNIX, shared tenancy` or `m5.large Windows, shared tenancy`.
    pub fn label(&self) -> String {
        format!(
            "{} {}, {} tenancy",
            self.instance_type.as_deref().unwrap_or(&self.family),
            self.platform,
            self.tenancy.to_ascii_lowercase()
        )
    }
}

/// One pool's hourly on-demand usage and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolUsage {
    /// The pool.
    pub key: PoolKey,
    /// On-demand usage per hour of the window, in normalized units.
    pub on_demand: Vec<f64>,
    /// Public on-demand $ per normalized-unit hour.
    pub od_rate: f64,
    /// Where `od_rate` came from.
    pub od_rate_source: PriceSource,
    /// The size recommendations are made in (the family's smallest, or the pool's one type).
    pub unit_size: String,
    /// Normalized units of `unit_size`.
    pub unit_nu: f64,
    /// Normalized-unit hours covered by reserved instances in the window.
    pub covered_ri_nu: f64,
    /// Normalized-unit hours covered by savings plans in the window.
    pub covered_sp_nu: f64,
    /// Normalized-unit hours set aside by "commit after cleanup".
    pub set_aside_nu: f64,
    /// Public on-demand $ of the set-aside usage in the window.
    pub set_aside_public: f64,
    /// Instances set aside, and why.
    pub set_aside: BTreeMap<String, SetAsideReason>,
    /// Instances counted at another type (rightsizing), `id → new type`.
    pub resized: BTreeMap<String, String>,
    /// Instance types seen in the pool's on-demand usage.
    pub instance_types: BTreeSet<String>,
    /// Tags every on-demand usage line of the pool carries.
    pub tags: BTreeMap<String, String>,
}

impl PoolUsage {
    /// Share (0–1) of the pool's usage (on-demand, covered and set aside) that commitments cover now.
    pub fn coverage_now(&self) -> f64 {
        let covered = self.covered_ri_nu + self.covered_sp_nu;
        let total = covered + self.on_demand.iter().sum::<f64>() + self.set_aside_nu;
        if total > 0.0 { covered / total } else { 0.0 }
    }
}

/// A reason an account's usage cannot be pooled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// Account.
    pub account_id: String,
    /// Why, in words.
    pub reason: String,
}

/// Every pool of the window, and the accounts whose data cannot be pooled.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    /// The pools, sorted by key.
    pub pools: Vec<PoolUsage>,
    /// Accounts with EC2 usage that cannot be pooled (daily data, no instance types).
    pub unusable: Vec<Unusable>,
}

/// How a usage line counts.
enum Line {
    Instance { instance_type: String, platform: String, tenancy: String },
    Other,
    Unidentified,
}

fn classify(
    instance_type: Option<&str>,
    usage_type: Option<&str>,
    operation: Option<&str>,
    os: Option<&str>,
    tenancy: Option<&str>,
    pricing_term: Option<&str>,
) -> Line {
    let spot = pricing_term == Some("Spot") || usage_type.is_some_and(|u| u.contains("SpotUsage"));
    if spot {
        return Line::Other;
    }
    if let Some(u) = usage_type
        && !(u.contains("BoxUsage") || u.contains("DedicatedUsage"))
    {
        return Line::Other;
    }
    let Some(itype) = instance_type_of(instance_type, usage_type) else {
        return if usage_type.is_none() && instance_type.is_none() { Line::Unidentified } else { Line::Other };
    };
    if itype.starts_with("db.") {
        return Line::Other;
    }
    Line::Instance {
        instance_type: itype.to_owned(),
        platform: platform_of(operation, os).unwrap_or_else(|| super::normalization::LINUX.to_owned()),
        tenancy: tenancy_of(tenancy, usage_type),
    }
}

fn pool_key(account: &str, region: &str, instance_type: &str, platform: &str, tenancy: &str) -> PoolKey {
    let family = family_of(instance_type).to_owned();
    let flexible = is_size_flexible(&family, platform, tenancy);
    PoolKey {
        account_id: account.to_owned(),
        region: region.to_owned(),
        instance_type: (!flexible).then(|| instance_type.to_owned()),
        family,
        platform: platform.to_owned(),
        tenancy: tenancy.to_owned(),
    }
}

#[derive(Default)]
struct Acc {
    on_demand: Vec<f64>,
    od_public: f64,
    od_nu: f64,
    all_public: f64,
    all_nu: f64,
    covered_ri_nu: f64,
    covered_sp_nu: f64,
    set_aside_nu: f64,
    set_aside_public: f64,
    set_aside: BTreeMap<String, SetAsideReason>,
    resized: BTreeMap<String, String>,
    types: BTreeMap<String, f64>,
}

#[derive(Default)]
struct AccountLines {
    identified: bool,
    unidentified_public: f64,
    longest_line_us: i64,
}

/// Reads the window's EC2 instance usage into pools.
pub fn load_pools(dataset: &Dataset, prices: &PriceBook, window: &Window, cleanup: &Cleanup) -> Result<Pools, Error> {
    let Some(costs) = dataset.table(Table::Costs) else { return Ok(Pools::default()) };
    let context = "commitments: hourly EC2 usage";
    let hours = window.hours();
    let start_us = window.start.and_utc().timestamp_micros();
    let line_types = Series::new("types".into(), ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"]);
    let tracked = Series::new("tracked".into(), cleanup.tracked_ids());
    let base = costs.filter(
        col("usage_start")
            .gt_eq(lit(window.start))
            .and(col("usage_start").lt(lit(window.end)))
            .and(col("service").eq(lit("AmazonEC2")))
            .and(col("line_item_type").is_in(lit(line_types).implode(false), false)),
    );
    let keys = ["account_id", "region", "instance_type", "usage_type", "operation", "operating_system", "tenancy"];
    let grouped = base
        .clone()
        .with_columns([
            (col("usage_start").dt().timestamp(TimeUnit::Microseconds) - lit(start_us))
                .floor_div(lit(HOUR_US))
                .alias("hour"),
            (col("usage_end").dt().timestamp(TimeUnit::Microseconds)
                - col("usage_start").dt().timestamp(TimeUnit::Microseconds))
            .alias("duration_us"),
            when(col("resource_id").is_in(lit(tracked).implode(false), false))
                .then(col("resource_id"))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("tracked"),
        ])
        .group_by(
            keys.iter()
                .map(|k| col(*k))
                .chain([col("pricing_term"), col("line_item_type"), col("tracked"), col("hour")])
                .collect::<Vec<_>>(),
        )
        .agg([
            col("usage_amount").sum().alias("usage"),
            (col("usage_amount") * col("normalization_factor")).sum().alias("nu"),
            col("normalization_factor").max().alias("nf"),
            col("public_on_demand_cost").sum().alias("public"),
            col("duration_us").max().alias("duration_us"),
        ])
        .sort(
            keys.iter()
                .map(|k| (*k).to_owned())
                .chain(["line_item_type".to_owned(), "hour".to_owned()])
                .collect::<Vec<_>>(),
            SortMultipleOptions::default(),
        )
        .collect()
        .during(|| context.to_owned())?;

    let account = strings(&grouped, "account_id", context)?;
    let region = strings(&grouped, "region", context)?;
    let itype = strings(&grouped, "instance_type", context)?;
    let usage_type = strings(&grouped, "usage_type", context)?;
    let operation = strings(&grouped, "operation", context)?;
    let os = strings(&grouped, "operating_system", context)?;
    let tenancy = strings(&grouped, "tenancy", context)?;
    let term = strings(&grouped, "pricing_term", context)?;
    let line_type = strings(&grouped, "line_item_type", context)?;
    let tracked_id = strings(&grouped, "tracked", context)?;
    let hour = ints(&grouped, "hour", context)?;
    let usage = floats(&grouped, "usage", context)?;
    let nu_col = floats(&grouped, "nu", context)?;
    let nf_col = floats(&grouped, "nf", context)?;
    let public = floats(&grouped, "public", context)?;
    let duration = ints(&grouped, "duration_us", context)?;

    let mut accounts: BTreeMap<String, AccountLines> = BTreeMap::new();
    let mut pools: HashMap<PoolKey, Acc> = HashMap::new();
    for i in 0..grouped.height() {
        let Some(account_id) = account.get(i) else { continue };
        let lines = accounts.entry(account_id.to_owned()).or_default();
        let line = classify(itype.get(i), usage_type.get(i), operation.get(i), os.get(i), tenancy.get(i), term.get(i));
        let (mut instance_type, platform, tenancy_name) = match line {
            Line::Instance { instance_type, platform, tenancy } => (instance_type, platform, tenancy),
            Line::Other => continue,
            Line::Unidentified => {
                lines.unidentified_public += public.get(i).unwrap_or(0.0);
                continue;
            }
        };
        lines.identified = true;
        lines.longest_line_us = lines.longest_line_us.max(duration.get(i).unwrap_or(0));
        let Some(region) = region.get(i) else { continue };
        let amount = usage.get(i).unwrap_or(0.0);
        let mut public_cost = public.get(i).unwrap_or(0.0);
        let row_nf = nf_col.get(i).filter(|f| *f > 0.0);
        let mut nu = match row_nf {
            Some(_) => nu_col.get(i).unwrap_or(0.0),
            None => amount * normalization_factor(&instance_type).unwrap_or(0.0),
        };
        let line_type = line_type.get(i).unwrap_or("Usage");
        let tracked = tracked_id.get(i);
        let mut resized_to = None;
        if let (Some(id), "Usage") = (tracked, line_type)
            && let Some(to) = cleanup.resized.get(id)
        {
            // Count this instance's usage as its rightsized type.
            let (from_nf, to_nf) = (normalization_factor(&instance_type), normalization_factor(to));
            let ratio =
                match (prices.ec2_on_demand_hourly(region, &instance_type), prices.ec2_on_demand_hourly(region, to)) {
                    (Some(a), Some(b)) if a.value > 0.0 => b.value / a.value,
                    _ => to_nf.zip(from_nf).map_or(1.0, |(t, f)| t / f),
                };
            public_cost *= ratio;
            nu = amount * to_nf.unwrap_or(0.0);
            instance_type.clone_from(to);
            resized_to = Some((id.to_owned(), to.clone()));
        }
        let key = pool_key(account_id, region, &instance_type, &platform, &tenancy_name);
        let acc = pools.entry(key).or_insert_with(|| Acc { on_demand: vec![0.0; hours], ..Acc::default() });
        acc.all_public += public_cost;
        acc.all_nu += nu;
        match line_type {
            "DiscountedUsage" => acc.covered_ri_nu += nu,
            "SavingsPlanCoveredUsage" => acc.covered_sp_nu += nu,
            _ => {
                if let Some(reason) = tracked.and_then(|id| cleanup.removed.get(id)) {
                    acc.set_aside_nu += nu;
                    acc.set_aside_public += public_cost;
                    acc.set_aside.insert(tracked.unwrap_or_default().to_owned(), reason.clone());
                    continue;
                }
                if let Some((id, to)) = resized_to {
                    acc.resized.insert(id, to);
                }
                let h = usize::try_from(hour.get(i).unwrap_or(-1)).ok().filter(|h| *h < hours);
                if let Some(h) = h {
                    acc.on_demand[h] += nu;
                }
                acc.od_public += public_cost;
                acc.od_nu += nu;
                *acc.types.entry(instance_type.clone()).or_insert(0.0) += nu;
            }
        }
    }

    let mut unusable = Vec::new();
    let mut bad_accounts = BTreeSet::new();
    for (account_id, lines) in &accounts {
        if lines.longest_line_us > MAX_HOURLY_LINE_US {
            unusable.push(Unusable {
                account_id: account_id.clone(),
                reason: format!(
                    "the CUR's EC2 instance line items span up to {:.0} hours: commitments are sized on hourly usage; export the CUR with hourly granularity",
                    lines.longest_line_us as f64 / HOUR_US as f64
                ),
            });
            bad_accounts.insert(account_id.clone());
        } else if !lines.identified && lines.unidentified_public > 0.0 {
            unusable.push(Unusable {
                account_id: account_id.clone(),
                reason: "the billing data has neither usage types nor instance types for EC2 usage (FOCUS exports without `x_UsageType` omit both): pools of instance usage cannot be built".into(),
            });
            bad_accounts.insert(account_id.clone());
        }
    }

    let tags = common_tags(base, &pools)?;
    let mut out: Vec<PoolUsage> = pools
        .into_iter()
        .filter(|(key, acc)| {
            !bad_accounts.contains(&key.account_id) && (acc.od_nu > 0.0 || acc.set_aside_nu > 0.0 || acc.all_nu > 0.0)
        })
        .filter_map(|(key, acc)| finish_pool(key, acc, prices, &tags))
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Pools { pools: out, unusable })
}

fn finish_pool(
    key: PoolKey,
    acc: Acc,
    prices: &PriceBook,
    tags: &HashMap<PoolKey, BTreeMap<String, String>>,
) -> Option<PoolUsage> {
    let most_used = acc.types.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(t, _)| t.clone());
    let (od_rate, od_rate_source) = if acc.od_public > 0.0 && acc.od_nu > 0.0 {
        (acc.od_public / acc.od_nu, cur_source())
    } else if acc.all_public > 0.0 && acc.all_nu > 0.0 {
        (acc.all_public / acc.all_nu, cur_source())
    } else {
        let itype = most_used.clone().or_else(|| key.instance_type.clone())?;
        let price =
            prices.ec2_on_demand_hourly(&key.region, &itype).filter(|_| key.platform == super::normalization::LINUX)?;
        (price.value / normalization_factor(&itype)?, price.source)
    };
    let (unit_size, unit_nu) = match &key.instance_type {
        Some(t) => (t.clone(), normalization_factor(t)?),
        None => smallest_size(&key.family).or_else(|| {
            acc.types
                .keys()
                .filter_map(|t| normalization_factor(t).map(|f| (t.clone(), f)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
        })?,
    };
    Some(PoolUsage {
        tags: tags.get(&key).cloned().unwrap_or_default(),
        key,
        on_demand: acc.on_demand,
        od_rate,
        od_rate_source,
        unit_size,
        unit_nu,
        covered_ri_nu: acc.covered_ri_nu,
        covered_sp_nu: acc.covered_sp_nu,
        set_aside_nu: acc.set_aside_nu,
        set_aside_public: acc.set_aside_public,
        set_aside: acc.set_aside,
        resized: acc.resized,
        instance_types: acc.types.into_keys().collect(),
    })
}

fn cur_source() -> PriceSource {
    PriceSource { origin: PriceOrigin::Cur, detail: "public on-demand cost of the pool's usage in your CUR".into() }
}

/// The tags every on-demand usage line of each pool carries.
fn common_tags(
    base: LazyFrame,
    pools: &HashMap<PoolKey, Acc>,
) -> Result<HashMap<PoolKey, BTreeMap<String, String>>, Error> {
    let context = "commitments: tags of EC2 usage";
    let frame = base
        .filter(col("line_item_type").eq(lit("Usage")))
        .group_by([
            col("account_id"),
            col("region"),
            col("instance_type"),
            col("usage_type"),
            col("operation"),
            col("operating_system"),
            col("tenancy"),
            col("pricing_term"),
            col("tags"),
        ])
        .agg([len().alias("rows")])
        .collect()
        .during(|| context.to_owned())?;
    let account = strings(&frame, "account_id", context)?;
    let region = strings(&frame, "region", context)?;
    let itype = strings(&frame, "instance_type", context)?;
    let usage_type = strings(&frame, "usage_type", context)?;
    let operation = strings(&frame, "operation", context)?;
    let os = strings(&frame, "operating_system", context)?;
    let tenancy = strings(&frame, "tenancy", context)?;
    let term = strings(&frame, "pricing_term", context)?;
    let tags = strings(&frame, "tags", context)?;
    let mut out: HashMap<PoolKey, BTreeMap<String, String>> = HashMap::new();
    for i in 0..frame.height() {
        let (Some(account), Some(region)) = (account.get(i), region.get(i)) else { continue };
        let Line::Instance { instance_type, platform, tenancy } =
            classify(itype.get(i), usage_type.get(i), operation.get(i), os.get(i), tenancy.get(i), term.get(i))
        else {
            continue;
        };
        let key = pool_key(account, region, &instance_type, &platform, &tenancy);
        if !pools.contains_key(&key) {
            continue;
        }
        let row_tags = parse_tags(tags.get(i));
        match out.get_mut(&key) {
            Some(common) => common.retain(|k, v| row_tags.get(k) == Some(v)),
            None => {
                out.insert(key, row_tags);
            }
        }
    }
    Ok(out)
}
