//! Reservations and savings plans already bought: how much of each is used,
//! from the CUR, and what each costs.
//!
//! **Reserved instances**, per reservation over the lookback:
//! - used = normalized-unit hours of its `DiscountedUsage` lines;
//! - reserved = `instance_count × factor × hours active` from the
//!   `reservations` inventory, else the `RIFee` lines (their usage is the
//!   reserved hours of their billing period, pro-rated to the window);
//! - utilization = used ÷ reserved;
//! - rate per normalized-unit hour = (fixed price ÷ (count × term hours) +
//!   hourly charges) ÷ factor from the inventory, else the effective cost of
//!   its `DiscountedUsage` lines per unit used.
//!
//! **Savings plans**, per plan: used = the savings-plan effective cost of its
//! `SavingsPlanCoveredUsage` lines (the commitment they consumed); committed =
//! used + the unused commitment of its `SavingsPlanRecurringFee` lines (their
//! amortized cost) when the CUR has them, else `commitment_per_hour × hours
//! active` from the inventory.
//!
//! A commitment with no line at all in the window is listed, with an unknown
//! utilization: the CUR may simply not carry it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use polars::prelude::*;
use serde::Serialize;

use super::normalization::{normalization_factor, platform_of_product_description, tenancy_of};
use super::offerings::{HOURS_PER_TERM_YEAR, Payment, RiClass, RiOffering, SpOffering, SpType};
use super::usage::Window;
use crate::error::{Error, PolarsResultExt};
use crate::rules::columns::{floats, ints, strings, times};
use crate::{Dataset, Table};

/// One reservation and how it was used over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservationUse {
    /// Reserved-instances id.
    pub reservation_id: String,
    /// ARN, when the CUR carries it.
    pub arn: Option<String>,
    /// Purchasing account (the inventory's, else the first account billed for it).
    pub account_id: String,
    /// Region.
    pub region: Option<String>,
    /// Instance type reserved.
    pub instance_type: Option<String>,
    /// Instances reserved.
    pub instance_count: Option<i64>,
    /// Platform (`Linux/UNIX`).
    pub platform: Option<String>,
    /// `Shared` or `Dedicated`.
    pub tenancy: Option<String>,
    /// Offering (class, term, payment), when the inventory gives all three.
    pub offering: Option<RiOffering>,
    /// Start of the term.
    pub start: Option<NaiveDateTime>,
    /// End of the term.
    pub end: Option<NaiveDateTime>,
    /// State (`active`, `retired`).
    pub state: Option<String>,
    /// Hours of the window it was active.
    pub hours_active: f64,
    /// Normalized-unit hours reserved in the window.
    pub reserved_nu_hours: f64,
    /// Normalized-unit hours used in the window.
    pub used_nu_hours: f64,
    /// used ÷ reserved (0–1), when known.
    pub utilization: Option<f64>,
    /// Public on-demand cost of the usage it covered in the window.
    pub used_public: f64,
    /// Amortized cost of the usage it covered in the window.
    pub used_amortized: f64,
    /// Effective cost per normalized-unit hour.
    pub rate_per_nu_hour: Option<f64>,
    /// Share of the term's cost paid upfront, from the inventory.
    pub upfront_fraction: Option<f64>,
    /// Whether the CUR has any line for it in the window.
    pub in_cur: bool,
    /// Accounts whose usage it covered.
    pub used_by_accounts: Vec<String>,
}

impl ReservationUse {
    /// Monthly cost of the whole reservation.
    pub fn monthly_cost(&self, hours_per_month: f64) -> Option<f64> {
        let rate = self.rate_per_nu_hour?;
        (self.hours_active > 0.0).then(|| rate * self.reserved_nu_hours / self.hours_active * hours_per_month)
    }

    /// Monthly cost of the reserved capacity that went unused.
    pub fn monthly_wasted(&self, hours_per_month: f64) -> Option<f64> {
        let rate = self.rate_per_nu_hour?;
        (self.hours_active > 0.0).then(|| {
            rate * (self.reserved_nu_hours - self.used_nu_hours).max(0.0) / self.hours_active * hours_per_month
        })
    }

    /// Monthly public on-demand cost of the usage it covers.
    pub fn monthly_on_demand_equivalent(&self, hours_per_month: f64) -> f64 {
        if self.hours_active > 0.0 { self.used_public / self.hours_active * hours_per_month } else { 0.0 }
    }

    /// Discount observed on its covered usage: `1 − amortized ÷ public`.
    pub fn observed_discount(&self) -> Option<f64> {
        (self.used_public > 0.0 && self.used_amortized > 0.0).then(|| 1.0 - self.used_amortized / self.used_public)
    }
}

/// One savings plan and how it was used over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavingsPlanUse {
    /// Savings plan id.
    pub savings_plan_id: String,
    /// ARN.
    pub arn: Option<String>,
    /// Purchasing account.
    pub account_id: String,
    /// Plan type.
    pub plan_type: Option<SpType>,
    /// Offering (type, term, payment), when known.
    pub offering: Option<SpOffering>,
    /// Region (EC2 Instance plans).
    pub region: Option<String>,
    /// Instance family (EC2 Instance plans).
    pub instance_family: Option<String>,
    /// Hourly commitment, from the inventory.
    pub commitment_per_hour: Option<f64>,
    /// Start of the term.
    pub start: Option<NaiveDateTime>,
    /// End of the term.
    pub end: Option<NaiveDateTime>,
    /// State.
    pub state: Option<String>,
    /// Hours of the window it was active.
    pub hours_active: f64,
    /// Commitment consumed by covered usage in the window.
    pub used: f64,
    /// Commitment over the window.
    pub committed: f64,
    /// used ÷ committed (0–1), when known.
    pub utilization: Option<f64>,
    /// Public on-demand cost of the usage it covered in the window.
    pub used_public: f64,
    /// Share of the term's cost paid upfront, from the inventory.
    pub upfront_fraction: Option<f64>,
    /// Whether the CUR has any line for it in the window.
    pub in_cur: bool,
}

impl SavingsPlanUse {
    /// Monthly cost of the commitment.
    pub fn monthly_cost(&self, hours_per_month: f64) -> Option<f64> {
        (self.hours_active > 0.0 && self.committed > 0.0).then(|| self.committed / self.hours_active * hours_per_month)
    }

    /// Monthly commitment that went unused.
    pub fn monthly_wasted(&self, hours_per_month: f64) -> Option<f64> {
        (self.hours_active > 0.0 && self.committed > 0.0)
            .then(|| (self.committed - self.used).max(0.0) / self.hours_active * hours_per_month)
    }

    /// Monthly public on-demand cost of the usage it covers.
    pub fn monthly_on_demand_equivalent(&self, hours_per_month: f64) -> f64 {
        if self.hours_active > 0.0 { self.used_public / self.hours_active * hours_per_month } else { 0.0 }
    }

    /// Discount observed on its covered usage: `1 − used ÷ public`.
    pub fn observed_discount(&self) -> Option<f64> {
        (self.used_public > 0.0 && self.used > 0.0).then(|| 1.0 - self.used / self.used_public)
    }
}

/// Every commitment of the snapshot and its use over the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExistingCommitments {
    /// Reserved instances.
    pub reservations: Vec<ReservationUse>,
    /// Savings plans.
    pub savings_plans: Vec<SavingsPlanUse>,
}

/// The last path segment of an ARN (`…:reserved-instances/<id>` → `<id>`).
fn arn_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[derive(Default)]
struct CurUse {
    account: Option<String>,
    region: Option<String>,
    instance_type: Option<String>,
    used_nu: f64,
    used_public: f64,
    used_amortized: f64,
    fee_amortized: f64,
    fee_hours: f64,
    reserved_nu_from_fees: f64,
    accounts: BTreeSet<String>,
    lines: usize,
}

/// Reads the inventory and the CUR's commitment lines over the window.
pub fn load(dataset: &Dataset, window: Option<&Window>) -> Result<ExistingCommitments, Error> {
    let (ri_cur, sp_cur) = match (window, dataset.table(Table::Costs)) {
        (Some(w), Some(costs)) => cur_use(costs, w)?,
        _ => (BTreeMap::new(), BTreeMap::new()),
    };
    let mut out = ExistingCommitments {
        reservations: reservations(dataset, window, &ri_cur)?,
        savings_plans: savings_plans(dataset, window, &sp_cur)?,
    };
    out.reservations.sort_by(|a, b| (&a.account_id, &a.reservation_id).cmp(&(&b.account_id, &b.reservation_id)));
    out.savings_plans.sort_by(|a, b| (&a.account_id, &a.savings_plan_id).cmp(&(&b.account_id, &b.savings_plan_id)));
    Ok(out)
}

type CurUses = (BTreeMap<String, CurUse>, BTreeMap<String, CurUse>);

fn cur_use(costs: LazyFrame, window: &Window) -> Result<CurUses, Error> {
    let context = "commitments: reservation and savings plan lines";
    let types =
        Series::new("types".into(), ["DiscountedUsage", "RIFee", "SavingsPlanCoveredUsage", "SavingsPlanRecurringFee"]);
    let frame = costs
        .filter(
            col("line_item_type")
                .is_in(lit(types).implode(false), false)
                .and(col("usage_end").gt(lit(window.start)))
                .and(col("usage_start").lt(lit(window.end)))
                .and(col("reservation_arn").is_not_null().or(col("savings_plan_arn").is_not_null())),
        )
        .with_column(
            when(col("usage_start").lt(lit(window.start)))
                .then(lit(window.start))
                .otherwise(col("usage_start"))
                .alias("from"),
        )
        .with_column(
            when(col("usage_end").gt(lit(window.end))).then(lit(window.end)).otherwise(col("usage_end")).alias("to"),
        )
        .with_columns([
            ((col("to").dt().timestamp(TimeUnit::Microseconds) - col("from").dt().timestamp(TimeUnit::Microseconds))
                .cast(DataType::Float64)
                / lit(3_600_000_000.0))
            .alias("overlap_h"),
            ((col("usage_end").dt().timestamp(TimeUnit::Microseconds)
                - col("usage_start").dt().timestamp(TimeUnit::Microseconds))
            .cast(DataType::Float64)
                / lit(3_600_000_000.0))
            .alias("line_h"),
        ])
        .with_column(
            when(col("line_h").gt(lit(0.0))).then(col("overlap_h") / col("line_h")).otherwise(lit(1.0)).alias("share"),
        )
        .group_by([
            col("line_item_type"),
            col("reservation_arn"),
            col("savings_plan_arn"),
            col("account_id"),
            col("region"),
            col("instance_type"),
            col("usage_type"),
        ])
        .agg([
            (col("usage_amount") * col("share")).sum().alias("usage"),
            (col("usage_amount") * col("share") * col("normalization_factor")).sum().alias("nu"),
            col("normalization_factor").max().alias("nf"),
            (col("public_on_demand_cost") * col("share")).sum().alias("public"),
            (col("amortized_cost") * col("share")).sum().alias("amortized"),
            col("overlap_h").sum().alias("overlap_h"),
            (col("usage_amount") / col("line_h").clip_min(lit(1e-9)) * col("overlap_h") * col("normalization_factor"))
                .sum()
                .alias("reserved_nu"),
            len().alias("lines"),
        ])
        .sort(["line_item_type", "account_id", "usage_type"], SortMultipleOptions::default())
        .collect()
        .during(|| context.to_owned())?;
    let kind = strings(&frame, "line_item_type", context)?;
    let ri_arn = strings(&frame, "reservation_arn", context)?;
    let sp_arn = strings(&frame, "savings_plan_arn", context)?;
    let account = strings(&frame, "account_id", context)?;
    let region = strings(&frame, "region", context)?;
    let itype = strings(&frame, "instance_type", context)?;
    let usage_type = strings(&frame, "usage_type", context)?;
    let usage = floats(&frame, "usage", context)?;
    let nu = floats(&frame, "nu", context)?;
    let nf = floats(&frame, "nf", context)?;
    let public = floats(&frame, "public", context)?;
    let amortized = floats(&frame, "amortized", context)?;
    let overlap = floats(&frame, "overlap_h", context)?;
    let reserved_nu = floats(&frame, "reserved_nu", context)?;
    let lines = frame.column("lines").and_then(|c| c.cast(&DataType::Int64)).during(|| context.to_owned())?;
    let lines = lines.i64().during(|| context.to_owned())?;

    let (mut ris, mut sps): CurUses = (BTreeMap::new(), BTreeMap::new());
    for i in 0..frame.height() {
        let kind = kind.get(i).unwrap_or_default();
        let itype = super::normalization::instance_type_of(itype.get(i), usage_type.get(i));
        // Normalized units: the CUR's factor, else the table's.
        let factor_nu = |value: Option<f64>, amount: f64| match nf.get(i).filter(|f| *f > 0.0) {
            Some(_) => value.unwrap_or(0.0),
            None => amount * itype.and_then(normalization_factor).unwrap_or(0.0),
        };
        let entry = match kind {
            "DiscountedUsage" | "RIFee" => ri_arn.get(i).map(|a| ris.entry(a.to_owned()).or_default()),
            _ => sp_arn.get(i).map(|a| sps.entry(a.to_owned()).or_default()),
        };
        let Some(entry) = entry else { continue };
        entry.lines += usize::try_from(lines.get(i).unwrap_or(0)).unwrap_or(0);
        if entry.account.is_none() {
            entry.account = account.get(i).map(str::to_owned);
        }
        if entry.region.is_none() {
            entry.region = region.get(i).map(str::to_owned);
        }
        if entry.instance_type.is_none() && kind == "RIFee" {
            entry.instance_type = itype.map(str::to_owned);
        }
        let amount = usage.get(i).unwrap_or(0.0);
        match kind {
            "DiscountedUsage" | "SavingsPlanCoveredUsage" => {
                entry.used_nu += factor_nu(nu.get(i), amount);
                entry.used_public += public.get(i).unwrap_or(0.0);
                entry.used_amortized += amortized.get(i).unwrap_or(0.0);
                if let Some(a) = account.get(i) {
                    entry.accounts.insert(a.to_owned());
                }
            }
            _ => {
                entry.fee_amortized += amortized.get(i).unwrap_or(0.0);
                entry.fee_hours += overlap.get(i).unwrap_or(0.0);
                entry.reserved_nu_from_fees += match nf.get(i).filter(|f| *f > 0.0) {
                    Some(_) => reserved_nu.get(i).unwrap_or(0.0),
                    None => 0.0,
                };
            }
        }
    }
    Ok((ris, sps))
}

fn reservations(
    dataset: &Dataset,
    window: Option<&Window>,
    cur: &BTreeMap<String, CurUse>,
) -> Result<Vec<ReservationUse>, Error> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(table) = dataset.table(Table::Reservations) {
        let context = "commitments: reservations";
        let df = table.collect().during(|| context.to_owned())?;
        let account = strings(&df, "account_id", context)?;
        let region = strings(&df, "region", context)?;
        let id = strings(&df, "reservation_id", context)?;
        let itype = strings(&df, "instance_type", context)?;
        let count = ints(&df, "instance_count", context)?;
        let product = strings(&df, "product_description", context)?;
        let class = strings(&df, "offering_class", context)?;
        let offering_type = strings(&df, "offering_type", context)?;
        let tenancy = strings(&df, "tenancy", context)?;
        let start = times(&df, "start", context)?;
        let end = times(&df, "end", context)?;
        let fixed = floats(&df, "fixed_price", context)?;
        let usage_price = floats(&df, "usage_price", context)?;
        let recurring = floats(&df, "recurring_hourly", context)?;
        let state = strings(&df, "state", context)?;
        for i in 0..df.height() {
            let (Some(account), Some(id), Some(itype)) = (account.get(i), id.get(i), itype.get(i)) else { continue };
            let cur_use = cur.iter().find(|(arn, _)| arn_id(arn) == id);
            let nf = normalization_factor(itype).unwrap_or(1.0);
            let n = count.get(i).unwrap_or(0);
            let (start, end) = (start[i], end[i]);
            let hours_active = match (window, start, end) {
                (Some(w), Some(s), Some(e)) => w.overlap_hours(s, e),
                _ => 0.0,
            };
            let term_hours = start.zip(end).map(|(s, e)| (e - s).num_seconds() as f64 / 3600.0);
            let term_years = term_hours.map(|h| if h > 1.5 * HOURS_PER_TERM_YEAR { 3 } else { 1 });
            let hourly = recurring.get(i).unwrap_or(0.0) + usage_price.get(i).unwrap_or(0.0);
            let fixed_price = fixed.get(i).unwrap_or(0.0);
            let inventory_rate =
                term_hours.filter(|h| *h > 0.0 && n > 0).map(|h| (fixed_price / (n as f64 * h) + hourly) / nf);
            let upfront_fraction = term_hours.filter(|h| *h > 0.0 && n > 0).and_then(|h| {
                let total = fixed_price + hourly * n as f64 * h;
                (total > 0.0).then(|| fixed_price / total)
            });
            let offering = match (class.get(i), offering_type.get(i).and_then(Payment::from_aws), term_years) {
                (Some(c), Some(payment), Some(term_years)) => {
                    let class =
                        if c.eq_ignore_ascii_case("convertible") { RiClass::Convertible } else { RiClass::Standard };
                    Some(RiOffering { class, term_years, payment })
                }
                _ => None,
            };
            let (used_nu, used_public, used_amortized, accounts, arn) = cur_use.map_or_else(
                || (0.0, 0.0, 0.0, Vec::new(), None),
                |(arn, u)| {
                    (
                        u.used_nu,
                        u.used_public,
                        u.used_amortized,
                        u.accounts.iter().cloned().collect(),
                        Some(arn.clone()),
                    )
                },
            );
            let reserved_nu_hours = n as f64 * nf * hours_active;
            let rate = inventory_rate.or_else(|| (used_nu > 0.0).then(|| used_amortized / used_nu));
            seen.insert(id.to_owned());
            out.push(ReservationUse {
                reservation_id: id.to_owned(),
                arn,
                account_id: account.to_owned(),
                region: region.get(i).map(str::to_owned),
                instance_type: Some(itype.to_owned()),
                instance_count: Some(n),
                platform: product.get(i).map(platform_of_product_description),
                tenancy: Some(tenancy_of(tenancy.get(i), None)),
                offering,
                start,
                end,
                state: state.get(i).map(str::to_owned),
                hours_active,
                reserved_nu_hours,
                used_nu_hours: used_nu,
                utilization: (cur_use.is_some() && reserved_nu_hours > 0.0).then(|| used_nu / reserved_nu_hours),
                used_public,
                used_amortized,
                rate_per_nu_hour: rate,
                upfront_fraction,
                in_cur: cur_use.is_some(),
                used_by_accounts: accounts,
            });
        }
    }
    // Reservations only the CUR knows.
    for (arn, u) in cur {
        let id = arn_id(arn);
        if seen.contains(id) {
            continue;
        }
        let hours_active = u.fee_hours;
        let reserved = u.reserved_nu_from_fees;
        // The fee lines bill count × hours: recover the count from the reserved units.
        let factor = u.instance_type.as_deref().and_then(normalization_factor);
        let instance_count = factor
            .filter(|f| *f > 0.0 && hours_active > 0.0 && reserved > 0.0)
            .map(|f| (reserved / hours_active / f).round() as i64);
        out.push(ReservationUse {
            reservation_id: id.to_owned(),
            arn: Some(arn.clone()),
            account_id: u.account.clone().unwrap_or_default(),
            region: u.region.clone(),
            instance_type: u.instance_type.clone(),
            instance_count,
            platform: None,
            tenancy: None,
            offering: None,
            start: None,
            end: None,
            state: None,
            hours_active,
            reserved_nu_hours: reserved,
            used_nu_hours: u.used_nu,
            utilization: (reserved > 0.0).then(|| u.used_nu / reserved),
            used_public: u.used_public,
            used_amortized: u.used_amortized,
            rate_per_nu_hour: (u.used_nu > 0.0).then(|| u.used_amortized / u.used_nu),
            upfront_fraction: None,
            in_cur: true,
            used_by_accounts: u.accounts.iter().cloned().collect(),
        });
    }
    Ok(out)
}

fn savings_plans(
    dataset: &Dataset,
    window: Option<&Window>,
    cur: &BTreeMap<String, CurUse>,
) -> Result<Vec<SavingsPlanUse>, Error> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(table) = dataset.table(Table::SavingsPlans) {
        let context = "commitments: savings plans";
        let df = table.collect().during(|| context.to_owned())?;
        let account = strings(&df, "account_id", context)?;
        let id = strings(&df, "savings_plan_id", context)?;
        let arn = strings(&df, "savings_plan_arn", context)?;
        let plan_type = strings(&df, "plan_type", context)?;
        let payment = strings(&df, "payment_option", context)?;
        let region = strings(&df, "region", context)?;
        let family = strings(&df, "instance_family", context)?;
        let commitment = floats(&df, "commitment_per_hour", context)?;
        let upfront = floats(&df, "upfront_payment", context)?;
        let recurring = floats(&df, "recurring_payment", context)?;
        let term_seconds = ints(&df, "term_seconds", context)?;
        let start = times(&df, "start", context)?;
        let end = times(&df, "end", context)?;
        let state = strings(&df, "state", context)?;
        for i in 0..df.height() {
            let (Some(account), Some(id)) = (account.get(i), id.get(i)) else { continue };
            let cur_use = cur.iter().find(|(a, _)| arn.get(i).is_some_and(|x| x == a.as_str()) || arn_id(a) == id);
            let (start, end) = (start[i], end[i]);
            let inventory_hours = match (window, start, end) {
                (Some(w), Some(s), Some(e)) => Some(w.overlap_hours(s, e)),
                _ => None,
            };
            let term_hours = term_seconds
                .get(i)
                .map(|s| s as f64 / 3600.0)
                .or_else(|| start.zip(end).map(|(s, e)| (e - s).num_seconds() as f64 / 3600.0));
            let plan = plan_type.get(i).and_then(SpType::from_aws);
            let pay = payment.get(i).and_then(Payment::from_aws);
            let offering = match (plan, pay, term_hours) {
                (Some(plan_type), Some(payment), Some(h)) => Some(SpOffering {
                    plan_type,
                    term_years: if h > 1.5 * HOURS_PER_TERM_YEAR { 3 } else { 1 },
                    payment,
                }),
                _ => None,
            };
            let per_hour = commitment.get(i);
            let upfront_fraction = match (upfront.get(i), per_hour, term_hours) {
                (Some(u), Some(c), Some(h)) if c > 0.0 && h > 0.0 => Some((u / (c * h)).clamp(0.0, 1.0)),
                (None, Some(_), _) if recurring.get(i).is_some() => Some(0.0),
                _ => None,
            };
            let (used, used_public, fee_amortized, fee_hours) = cur_use
                .map_or((0.0, 0.0, 0.0, 0.0), |(_, u)| (u.used_amortized, u.used_public, u.fee_amortized, u.fee_hours));
            let hours_active = inventory_hours.unwrap_or(fee_hours);
            let committed = if fee_hours > 0.0 { used + fee_amortized } else { per_hour.unwrap_or(0.0) * hours_active };
            seen.insert(cur_use.map_or_else(|| id.to_owned(), |(a, _)| a.clone()));
            out.push(SavingsPlanUse {
                savings_plan_id: id.to_owned(),
                arn: arn.get(i).map(str::to_owned).or_else(|| cur_use.map(|(a, _)| a.clone())),
                account_id: account.to_owned(),
                plan_type: plan,
                offering,
                region: region.get(i).map(str::to_owned),
                instance_family: family.get(i).map(str::to_owned),
                commitment_per_hour: per_hour,
                start,
                end,
                state: state.get(i).map(str::to_owned),
                hours_active,
                used,
                committed,
                utilization: (cur_use.is_some() && committed > 0.0).then(|| used / committed),
                used_public,
                upfront_fraction,
                in_cur: cur_use.is_some(),
            });
        }
    }
    for (arn, u) in cur {
        if seen.contains(arn) {
            continue;
        }
        let committed = u.used_amortized + u.fee_amortized;
        out.push(SavingsPlanUse {
            savings_plan_id: arn_id(arn).to_owned(),
            arn: Some(arn.clone()),
            account_id: u.account.clone().unwrap_or_default(),
            plan_type: None,
            offering: None,
            region: None,
            instance_family: None,
            commitment_per_hour: None,
            start: None,
            end: None,
            state: None,
            hours_active: u.fee_hours,
            used: u.used_amortized,
            committed,
            utilization: (u.fee_hours > 0.0 && committed > 0.0).then(|| u.used_amortized / committed),
            used_public: u.used_public,
            upfront_fraction: None,
            in_cur: true,
        });
    }
    Ok(out)
}
