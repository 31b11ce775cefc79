//! Building raw AWS CUR 2.0 frames (the Data Exports `COST_AND_USAGE_REPORT`
//! table), column names and types as AWS writes them.
//!
//! Both generators (the demo account and the benchmark CUR) emit line items
//! through this builder, so the demo exercises exactly the importer path a
//! customer's export takes: raw CUR 2.0 → `normalize_cur` → `costs`.
//!
//! Strings are interned (a line item holds `u32` symbols), so a few million
//! line items fit in memory comfortably. Map columns (`product`,
//! `resource_tags`) are `List(Struct{key, value})`, which is how polars reads
//! a Parquet MAP column. As in real exports, columns that do not apply to a
//! line item hold an empty string or `0.0`, not null.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use polars::prelude::*;

use crate::rng::Rng;

/// An interned string.
pub type Sym = u32;

/// The empty string's symbol in every [`Interner`].
pub const EMPTY: Sym = 0;

/// String interning for column values.
#[derive(Debug)]
pub struct Interner {
    strings: Vec<String>,
    index: HashMap<String, Sym>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Self { strings: Vec::new(), index: HashMap::new() };
        interner.sym("");
        interner
    }
}

impl Interner {
    /// The symbol for `s`, interning it on first use.
    pub fn sym(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = Sym::try_from(self.strings.len()).expect("fewer than 4 billion distinct strings");
        self.strings.push(s.to_owned());
        self.index.insert(s.to_owned(), id);
        id
    }

    /// The string behind a symbol.
    pub fn get(&self, sym: Sym) -> &str {
        &self.strings[sym as usize]
    }
}

/// A CUR 2.0 map column value (`product`, `resource_tags`), interned as a whole.
pub type MapId = u32;

/// `reservation_*` fields of RI line items.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReservationFields {
    /// `reservation_reservation_a_r_n`.
    pub arn: Sym,
    /// `reservation_effective_cost` (DiscountedUsage).
    pub effective_cost: f64,
    /// `reservation_amortized_upfront_cost_for_usage` (DiscountedUsage).
    pub amortized_upfront_cost_for_usage: f64,
    /// `reservation_recurring_fee_for_usage` (DiscountedUsage).
    pub recurring_fee_for_usage: f64,
    /// `reservation_amortized_upfront_fee_for_billing_period` (RIFee).
    pub amortized_upfront_fee_for_billing_period: f64,
    /// `reservation_unused_amortized_upfront_fee_for_billing_period` (RIFee).
    pub unused_amortized_upfront_fee_for_billing_period: f64,
    /// `reservation_unused_recurring_fee` (RIFee).
    pub unused_recurring_fee: f64,
    /// `reservation_unused_quantity` (RIFee), in hours.
    pub unused_quantity: f64,
    /// `reservation_number_of_reservations`.
    pub number_of_reservations: f64,
    /// `reservation_start_time` (ISO-8601 text, as CUR 2.0 types it).
    pub start_time: Sym,
    /// `reservation_end_time`.
    pub end_time: Sym,
}

/// `savings_plan_*` fields of savings-plan line items.
#[derive(Debug, Clone, Copy, Default)]
pub struct SavingsPlanFields {
    /// `savings_plan_savings_plan_a_r_n`.
    pub arn: Sym,
    /// `savings_plan_savings_plan_rate` (covered usage).
    pub rate: f64,
    /// `savings_plan_savings_plan_effective_cost` (covered usage).
    pub effective_cost: f64,
    /// `savings_plan_total_commitment_to_date` (recurring fee).
    pub total_commitment_to_date: f64,
    /// `savings_plan_used_commitment` (recurring fee).
    pub used_commitment: f64,
    /// `savings_plan_recurring_commitment_for_billing_period`.
    pub recurring_commitment_for_billing_period: f64,
    /// `savings_plan_offering_type` (`ComputeSavingsPlan`).
    pub offering_type: Sym,
    /// `savings_plan_payment_option`.
    pub payment_option: Sym,
    /// `savings_plan_purchase_term`.
    pub purchase_term: Sym,
    /// `savings_plan_start_time` (text).
    pub start_time: Sym,
    /// `savings_plan_end_time` (text).
    pub end_time: Sym,
}

/// One CUR line item, with every string interned.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineItem {
    /// Usage account id.
    pub account_id: Sym,
    /// Usage account name.
    pub account_name: Sym,
    /// `Usage`, `DiscountedUsage`, ...
    pub line_item_type: Sym,
    /// Usage start, microseconds since the epoch (UTC).
    pub start_us: i64,
    /// Usage end, microseconds since the epoch.
    pub end_us: i64,
    /// `AmazonEC2`, ...
    pub product_code: Sym,
    /// Usage type with its region prefix.
    pub usage_type: Sym,
    /// Operation.
    pub operation: Sym,
    /// Availability zone or empty.
    pub availability_zone: Sym,
    /// Resource id or empty.
    pub resource_id: Sym,
    /// Usage amount in `pricing_unit`.
    pub usage_amount: f64,
    /// Unblended rate.
    pub unblended_rate: f64,
    /// Unblended cost.
    pub unblended_cost: f64,
    /// RI normalization factor (0 when not an instance).
    pub normalization_factor: f64,
    /// Public on-demand rate.
    pub public_on_demand_rate: f64,
    /// Public on-demand cost.
    pub public_on_demand_cost: f64,
    /// `OnDemand`, `Reserved` or empty.
    pub pricing_term: Sym,
    /// `Hrs`, `GB-Mo`, ...
    pub pricing_unit: Sym,
    /// Instance type for compute items.
    pub instance_type: Sym,
    /// Region code (empty for global items).
    pub region: Sym,
    /// Product family.
    pub product_family: Sym,
    /// Line item description.
    pub description: Sym,
    /// The `product` map.
    pub product: MapId,
    /// The `resource_tags` map.
    pub tags: MapId,
    /// RI fields, if any.
    pub reservation: Option<ReservationFields>,
    /// Savings plan fields, if any.
    pub savings_plan: Option<SavingsPlanFields>,
}

/// Accumulates line items column by column and turns them into a CUR 2.0 frame.
#[derive(Debug)]
pub struct CurBuilder {
    /// Interned strings of this frame.
    pub strings: Interner,
    maps: Vec<Vec<(Sym, Sym)>>,
    map_index: HashMap<Vec<(Sym, Sym)>, MapId>,
    rows: Vec<LineItem>,
    payer: Sym,
    payer_name: Sym,
    usd: Sym,
    id_seed: u64,
}

impl CurBuilder {
    /// A builder for a bill paid by `payer` (id and name); line item ids derive from `id_seed`.
    pub fn new(payer: &str, payer_name: &str, id_seed: u64) -> Self {
        let mut strings = Interner::default();
        let payer = strings.sym(payer);
        let payer_name = strings.sym(payer_name);
        let usd = strings.sym("USD");
        let mut builder = Self {
            strings,
            maps: Vec::new(),
            map_index: HashMap::new(),
            rows: Vec::new(),
            payer,
            payer_name,
            usd,
            id_seed,
        };
        builder.map(&[]);
        builder
    }

    /// Interns a string.
    pub fn sym(&mut self, s: &str) -> Sym {
        self.strings.sym(s)
    }

    /// Interns a map value (keys in the given order).
    pub fn map(&mut self, entries: &[(&str, &str)]) -> MapId {
        let key: Vec<(Sym, Sym)> = entries.iter().map(|(k, v)| (self.strings.sym(k), self.strings.sym(v))).collect();
        if let Some(&id) = self.map_index.get(&key) {
            return id;
        }
        let id = MapId::try_from(self.maps.len()).expect("fewer than 4 billion distinct maps");
        self.maps.push(key.clone());
        self.map_index.insert(key, id);
        id
    }

    /// Adds a line item.
    pub fn push(&mut self, item: LineItem) {
        self.rows.push(item);
    }

    /// Line items so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no line item was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Builds the raw CUR 2.0 frame.
    pub fn finish(self) -> PolarsResult<DataFrame> {
        let rows = &self.rows;
        let n = rows.len();
        let s = &self.strings;
        let text = |name: &str, f: &dyn Fn(&LineItem) -> Sym| -> Column {
            StringChunked::from_iter_values(name.into(), rows.iter().map(|r| s.get(f(r)))).into_column()
        };
        let num = |name: &str, f: &dyn Fn(&LineItem) -> f64| -> Column {
            Float64Chunked::from_vec(name.into(), rows.iter().map(f).collect()).into_column()
        };
        let time = |name: &str, f: &dyn Fn(&LineItem) -> i64| -> Column {
            Int64Chunked::from_vec(name.into(), rows.iter().map(f).collect())
                .into_datetime(TimeUnit::Microseconds, None)
                .into_column()
        };

        let mut id_rng = Rng::fork(self.id_seed, "line-item-ids");
        let ids: Vec<String> = (0..n).map(|_| base32(&mut id_rng, 52)).collect();
        let intervals: Vec<String> = rows.iter().map(|r| format!("{}/{}", iso(r.start_us), iso(r.end_us))).collect();
        let (period_start, period_end): (Vec<i64>, Vec<i64>) = rows.iter().map(|r| billing_period(r.start_us)).unzip();

        let columns = vec![
            StringChunked::from_iter_values("identity_line_item_id".into(), ids.iter().map(String::as_str))
                .into_column(),
            StringChunked::from_iter_values("identity_time_interval".into(), intervals.iter().map(String::as_str))
                .into_column(),
            text("bill_invoice_id", &|_| EMPTY),
            text("bill_invoicing_entity", &|_| EMPTY),
            text("bill_billing_entity", &|_| EMPTY),
            text("bill_bill_type", &|_| EMPTY),
            text("bill_payer_account_id", &|_| self.payer),
            text("bill_payer_account_name", &|_| self.payer_name),
            Int64Chunked::from_vec("bill_billing_period_start_date".into(), period_start)
                .into_datetime(TimeUnit::Microseconds, None)
                .into_column(),
            Int64Chunked::from_vec("bill_billing_period_end_date".into(), period_end)
                .into_datetime(TimeUnit::Microseconds, None)
                .into_column(),
            text("line_item_usage_account_id", &|r| r.account_id),
            text("line_item_usage_account_name", &|r| r.account_name),
            text("line_item_line_item_type", &|r| r.line_item_type),
            time("line_item_usage_start_date", &|r| r.start_us),
            time("line_item_usage_end_date", &|r| r.end_us),
            text("line_item_product_code", &|r| r.product_code),
            text("line_item_usage_type", &|r| r.usage_type),
            text("line_item_operation", &|r| r.operation),
            text("line_item_availability_zone", &|r| r.availability_zone),
            text("line_item_resource_id", &|r| r.resource_id),
            num("line_item_usage_amount", &|r| r.usage_amount),
            num("line_item_normalization_factor", &|r| r.normalization_factor),
            num("line_item_normalized_usage_amount", &|r| r.usage_amount * r.normalization_factor),
            text("line_item_currency_code", &|_| self.usd),
            num("line_item_unblended_rate", &|r| r.unblended_rate),
            num("line_item_unblended_cost", &|r| r.unblended_cost),
            num("line_item_blended_rate", &|r| r.unblended_rate),
            num("line_item_blended_cost", &|r| r.unblended_cost),
            text("line_item_line_item_description", &|r| r.description),
            text("line_item_tax_type", &|_| EMPTY),
            text("line_item_legal_entity", &|_| EMPTY),
            text("product_instance_type", &|r| r.instance_type),
            text("product_region_code", &|r| r.region),
            text("product_product_family", &|r| r.product_family),
            text("product_servicecode", &|r| r.product_code),
            text("product_usagetype", &|r| r.usage_type),
            text("product_operation", &|r| r.operation),
            self.map_column("product", |r| r.product)?,
            num("pricing_public_on_demand_rate", &|r| r.public_on_demand_rate),
            num("pricing_public_on_demand_cost", &|r| r.public_on_demand_cost),
            text("pricing_term", &|r| r.pricing_term),
            text("pricing_unit", &|r| r.pricing_unit),
            text("pricing_currency", &|_| self.usd),
            text("reservation_reservation_a_r_n", &|r| r.reservation.map_or(EMPTY, |f| f.arn)),
            num("reservation_effective_cost", &|r| r.reservation.map_or(0.0, |f| f.effective_cost)),
            num("reservation_amortized_upfront_cost_for_usage", &|r| {
                r.reservation.map_or(0.0, |f| f.amortized_upfront_cost_for_usage)
            }),
            num("reservation_recurring_fee_for_usage", &|r| r.reservation.map_or(0.0, |f| f.recurring_fee_for_usage)),
            num("reservation_amortized_upfront_fee_for_billing_period", &|r| {
                r.reservation.map_or(0.0, |f| f.amortized_upfront_fee_for_billing_period)
            }),
            num("reservation_unused_amortized_upfront_fee_for_billing_period", &|r| {
                r.reservation.map_or(0.0, |f| f.unused_amortized_upfront_fee_for_billing_period)
            }),
            num("reservation_unused_recurring_fee", &|r| r.reservation.map_or(0.0, |f| f.unused_recurring_fee)),
            num("reservation_unused_quantity", &|r| r.reservation.map_or(0.0, |f| f.unused_quantity)),
            num("reservation_number_of_reservations", &|r| r.reservation.map_or(0.0, |f| f.number_of_reservations)),
            text("reservation_start_time", &|r| r.reservation.map_or(EMPTY, |f| f.start_time)),
            text("reservation_end_time", &|r| r.reservation.map_or(EMPTY, |f| f.end_time)),
            text("savings_plan_savings_plan_a_r_n", &|r| r.savings_plan.map_or(EMPTY, |f| f.arn)),
            num("savings_plan_savings_plan_rate", &|r| r.savings_plan.map_or(0.0, |f| f.rate)),
            num("savings_plan_savings_plan_effective_cost", &|r| r.savings_plan.map_or(0.0, |f| f.effective_cost)),
            num("savings_plan_total_commitment_to_date", &|r| {
                r.savings_plan.map_or(0.0, |f| f.total_commitment_to_date)
            }),
            num("savings_plan_used_commitment", &|r| r.savings_plan.map_or(0.0, |f| f.used_commitment)),
            num("savings_plan_recurring_commitment_for_billing_period", &|r| {
                r.savings_plan.map_or(0.0, |f| f.recurring_commitment_for_billing_period)
            }),
            num("savings_plan_amortized_upfront_commitment_for_billing_period", &|_| 0.0),
            text("savings_plan_offering_type", &|r| r.savings_plan.map_or(EMPTY, |f| f.offering_type)),
            text("savings_plan_payment_option", &|r| r.savings_plan.map_or(EMPTY, |f| f.payment_option)),
            text("savings_plan_purchase_term", &|r| r.savings_plan.map_or(EMPTY, |f| f.purchase_term)),
            text("savings_plan_start_time", &|r| r.savings_plan.map_or(EMPTY, |f| f.start_time)),
            text("savings_plan_end_time", &|r| r.savings_plan.map_or(EMPTY, |f| f.end_time)),
            self.map_column("resource_tags", |r| r.tags)?,
        ];
        DataFrame::new(n, columns)
    }

    /// A `List(Struct{key, value})` column, one cached list per distinct map.
    fn map_column(&self, name: &str, pick: impl Fn(&LineItem) -> MapId) -> PolarsResult<Column> {
        let lists: Vec<Series> = self
            .maps
            .iter()
            .map(|entries| {
                let keys =
                    Series::new("key".into(), entries.iter().map(|(k, _)| self.strings.get(*k)).collect::<Vec<_>>());
                let values =
                    Series::new("value".into(), entries.iter().map(|(_, v)| self.strings.get(*v)).collect::<Vec<_>>());
                let keys = keys.cast(&DataType::String)?;
                let values = values.cast(&DataType::String)?;
                Ok(StructChunked::from_series("entry".into(), entries.len(), [keys, values].iter())?.into_series())
            })
            .collect::<PolarsResult<_>>()?;
        let mut list: ListChunked = self.rows.iter().map(|r| Some(lists[pick(r) as usize].clone())).collect();
        list.rename(name.into());
        Ok(list.into_column())
    }
}

/// Microseconds since the epoch.
pub fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// `2026-09-24T00:00:00Z`.
pub fn iso(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us).map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Start and end (exclusive) of the calendar month containing `us`.
fn billing_period(us: i64) -> (i64, i64) {
    let day = chrono::DateTime::from_timestamp_micros(us).map_or(NaiveDate::MIN, |d| d.date_naive());
    let start = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).expect("valid month");
    let end = if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
    }
    .expect("valid month");
    (micros(start.and_time(chrono::NaiveTime::MIN)), micros(end.and_time(chrono::NaiveTime::MIN)))
}

/// A random upper-case base32 string, the shape of CUR line item ids.
pub fn base32(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..len).map(|_| char::from(ALPHABET[rng.below(32) as usize])).collect()
}

/// The CUR 2.0 usage-type prefix of a region (`USW2-`; none for us-east-1).
pub fn region_prefix(region: &str) -> &'static str {
    match region {
        "us-east-2" => "USE2-",
        "us-west-1" => "USW1-",
        "us-west-2" => "USW2-",
        "eu-west-1" => "EUW1-",
        "eu-central-1" => "EUC1-",
        "ap-southeast-2" => "APS2-",
        "ap-northeast-1" => "APN1-",
        _ => "",
    }
}

/// The RI normalization factor of an instance size (`large` → 4).
pub fn normalization_factor(instance_type: &str) -> f64 {
    let size = instance_type.rsplit('.').next().unwrap_or("");
    match size {
        "nano" => 0.25,
        "micro" => 0.5,
        "small" => 1.0,
        "medium" => 2.0,
        "large" => 4.0,
        "xlarge" => 8.0,
        other => other.strip_suffix("xlarge").and_then(|n| n.parse::<f64>().ok()).map_or(0.0, |n| n * 8.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_frame_with_cur2_names_and_map_columns() {
        let mut b = CurBuilder::new("111111111111", "acme", 1);
        let tags = b.map(&[("user_team", "web")]);
        let product = b.map(&[("operating_system", "Linux"), ("tenancy", "Shared")]);
        let item = LineItem {
            account_id: b.sym("111111111111"),
            line_item_type: b.sym("Usage"),
            start_us: 0,
            end_us: 3_600_000_000,
            usage_type: b.sym("BoxUsage:m5.large"),
            usage_amount: 1.0,
            unblended_cost: 0.096,
            product,
            tags,
            ..LineItem::default()
        };
        b.push(item);
        b.push(LineItem { tags: 0, ..item });
        let df = b.finish().unwrap();
        assert_eq!(df.height(), 2);
        let tags = df.column("resource_tags").unwrap();
        assert!(matches!(tags.dtype(), DataType::List(inner) if matches!(**inner, DataType::Struct(_))));
        assert_eq!(df.column("line_item_currency_code").unwrap().str().unwrap().get(0), Some("USD"));
        assert_eq!(
            df.column("identity_time_interval").unwrap().str().unwrap().get(0),
            Some("1970-01-01T00:00:00Z/1970-01-01T01:00:00Z")
        );
        assert_eq!(normalization_factor("m5.2xlarge"), 16.0);
        assert_eq!(normalization_factor("t3.micro"), 0.5);
        assert_eq!(region_prefix("us-east-1"), "");
    }
}
