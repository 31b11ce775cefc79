//! What each resource actually cost, straight from the CUR.
//!
//! A finding's dollar figure is strongest when it is the resource's own bill
//! rather than a list price times a guess, so rules look a resource up here
//! first and fall back to the [`PriceBook`](crate::prices::PriceBook) only when
//! the CUR does not carry it (no resource ids in the export, or no billing data
//! at all). Computed once per analysis and shared by every rule.
//!
//! The monthly figure is the resource's amortized cost over the trailing
//! [`BILLED_WINDOW_DAYS`] days of billing data, scaled to the price book's hours
//! per month (730). A resource first billed inside the window is scaled from
//! the hours it existed, so a volume created three days ago is not
//! under-counted. Only usage line items count (`Usage`, `DiscountedUsage`,
//! `SavingsPlanCoveredUsage`): taxes, credits, refunds and commitment fees are
//! not a resource's own cost.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};
use polars::prelude::*;
use serde::Serialize;

use crate::error::{PolarsResultExt, Result};
use crate::prices::PriceSource;
use crate::rules::columns::{floats, strings, times};
use crate::spend::{scalar_datetime, stable};
use crate::{Dataset, Table};

/// Days of billing data behind a resource's monthly cost.
pub const BILLED_WINDOW_DAYS: i64 = 14;

/// Line item types that are a resource's own usage.
const USAGE_LINE_ITEMS: [&str; 3] = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"];

/// One resource's monthly cost as billed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BilledCost {
    /// Account billed.
    pub account_id: String,
    /// Monthly amortized cost (what the resource costs you now).
    pub monthly: f64,
    /// Monthly cost at public on-demand rates.
    pub monthly_public_on_demand: f64,
    /// Monthly amortized cost by usage type (`USE1-EBS:VolumeUsage.gp2`).
    pub by_usage_type: BTreeMap<String, f64>,
    /// Hours of billing data the figure is based on.
    pub hours_observed: f64,
}

/// Monthly billed cost per resource id.
#[derive(Debug, Clone, Default)]
pub struct BilledCosts {
    by_resource: HashMap<String, BilledCost>,
    window: Option<(NaiveDateTime, NaiveDateTime)>,
    hours_per_month: f64,
}

impl BilledCosts {
    /// No billing data: every lookup misses and rules use the price book.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads the trailing window of the dataset's `costs` table.
    pub fn load(dataset: &Dataset, hours_per_month: f64) -> Result<Self> {
        let Some(costs) = dataset.table(Table::Costs) else { return Ok(Self::none()) };
        let context = "billed cost per resource";
        let bounds = costs
            .clone()
            .select([col("usage_end").max().alias("end")])
            .collect()
            .during(|| format!("{context}: billing period"))?;
        let Some(data_end) = scalar_datetime(&bounds, "end") else { return Ok(Self::none()) };
        let end = data_end.min(dataset.as_of());
        let start = end - Duration::days(BILLED_WINDOW_DAYS);
        let types = Series::new("types".into(), USAGE_LINE_ITEMS);
        let grouped = costs
            .filter(
                col("resource_id")
                    .is_not_null()
                    .and(col("usage_start").gt_eq(lit(start)))
                    .and(col("usage_start").lt(lit(end)))
                    .and(col("line_item_type").is_in(lit(types).implode(false), false)),
            )
            .group_by([col("resource_id"), col("account_id"), col("usage_type")])
            .agg([
                col("amortized_cost").sum().alias("amortized"),
                col("public_on_demand_cost").sum().alias("public"),
                col("usage_start").min().alias("first"),
            ])
            .sort(["resource_id", "usage_type"], SortMultipleOptions::default())
            .collect()
            .during(|| format!("{context}: summing the last {BILLED_WINDOW_DAYS} days"))?;

        let resource = strings(&grouped, "resource_id", context)?;
        let account = strings(&grouped, "account_id", context)?;
        let usage_type = strings(&grouped, "usage_type", context)?;
        let amortized = floats(&grouped, "amortized", context)?;
        let public = floats(&grouped, "public", context)?;
        let first = times(&grouped, "first", context)?;

        // Sum raw window totals first, then scale once by each resource's hours.
        let mut raw: HashMap<String, (BilledCost, NaiveDateTime)> = HashMap::new();
        for (i, first) in first.iter().enumerate() {
            let (Some(id), Some(account)) = (resource.get(i), account.get(i)) else { continue };
            let first_seen = first.unwrap_or(start).max(start);
            let entry = raw.entry(id.to_owned()).or_insert_with(|| {
                (
                    BilledCost {
                        account_id: account.to_owned(),
                        monthly: 0.0,
                        monthly_public_on_demand: 0.0,
                        by_usage_type: BTreeMap::new(),
                        hours_observed: 0.0,
                    },
                    first_seen,
                )
            });
            let cost = amortized.get(i).unwrap_or(0.0);
            entry.0.monthly += cost;
            entry.0.monthly_public_on_demand += public.get(i).unwrap_or(0.0);
            *entry.0.by_usage_type.entry(usage_type.get(i).unwrap_or("(none)").to_owned()).or_insert(0.0) += cost;
            entry.1 = entry.1.min(first_seen);
        }
        let by_resource = raw
            .into_iter()
            .map(|(id, (mut cost, first_seen))| {
                let hours = ((end - first_seen).num_seconds() as f64 / 3600.0).max(1.0);
                let scale = hours_per_month / hours;
                cost.monthly = stable(cost.monthly * scale);
                cost.monthly_public_on_demand = stable(cost.monthly_public_on_demand * scale);
                for value in cost.by_usage_type.values_mut() {
                    *value = stable(*value * scale);
                }
                cost.hours_observed = hours;
                (id, cost)
            })
            .collect();
        Ok(Self { by_resource, window: Some((start, end)), hours_per_month })
    }

    /// The resource's monthly cost, if the CUR bills it under this id.
    pub fn get(&self, resource_id: &str) -> Option<&BilledCost> {
        self.by_resource.get(resource_id)
    }

    /// The first of several ids the CUR may bill a resource under (an Elastic
    /// IP under its public address, a NAT gateway or snapshot under its ARN).
    pub fn first_of<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Option<&BilledCost> {
        ids.into_iter().find_map(|id| self.get(id))
    }

    /// The billing window the figures come from.
    pub fn window(&self) -> Option<(NaiveDateTime, NaiveDateTime)> {
        self.window
    }

    /// Whether billing data was available at all.
    pub fn is_available(&self) -> bool {
        self.window.is_some()
    }

    /// The source to attach to a figure taken from here.
    pub fn source(&self) -> PriceSource {
        match self.window {
            Some((start, end)) => PriceSource::billed(format!(
                "CUR amortized cost {} to {}, scaled to {} hours/month",
                start.format("%Y-%m-%d"),
                end.format("%Y-%m-%d"),
                self.hours_per_month
            )),
            None => PriceSource::billed("no billing data"),
        }
    }
}
