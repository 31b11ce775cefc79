//! Billing-file ingest: AWS CUR 2.0, legacy CUR and FOCUS exports → the `costs` table.
//!
//! Users already have billing exports sitting in S3 or on disk; this module
//! turns any of them into [`Table::Costs`] without loading them into memory.
//! Everything stays a [`LazyFrame`]: Parquet is scanned with projection
//! push-down and CSV (plain or gzip) through polars' lazy CSV reader with
//! every column read as text and parsed explicitly, so a bad value is reported
//! with its row instead of silently becoming null. The only eager work is a
//! handful of small lazy aggregates (the first malformed value, the set of
//! currencies) and a streaming UTF-8 check of CSV bytes.
//!
//! # Column matching
//!
//! Column names are compared by [`column_key`]: lowercased with `/`, `_` and
//! `:` removed, so `lineItem/UnblendedCost`, `line_item_unblended_cost` and
//! `LINEITEM/UNBLENDEDCOST` are the same column. CUR 2.0 keeps many product
//! attributes in the `product` map (a Parquet `MAP`, read by polars as
//! `List(Struct{key, value})`, or a JSON object in CSV); CUR 1 has one
//! `product/<attribute>` column each. Both are looked up, top-level column first.
//!
//! # CUR (2.0 and legacy) → `costs`
//!
//! | `costs` column | source |
//! |---|---|
//! | `usage_start` / `usage_end` | `line_item_usage_start_date` / `line_item_usage_end_date` |
//! | `payer_account_id` | `bill_payer_account_id` |
//! | `account_id` / `account_name` | `line_item_usage_account_id` / `line_item_usage_account_name` (CUR 2.0 only) |
//! | `region` | `product_region_code`, else legacy `product/region`, else `product['region']` |
//! | `availability_zone` | `line_item_availability_zone` |
//! | `service` | `line_item_product_code` |
//! | `product_family` | `product_product_family`, else `product['product_family']` |
//! | `usage_type` / `operation` / `resource_id` | `line_item_usage_type` / `line_item_operation` / `line_item_resource_id` |
//! | `line_item_type` | `line_item_line_item_type` |
//! | `pricing_unit` | `pricing_unit` |
//! | `usage_amount` | `line_item_usage_amount` (0 when empty) |
//! | `unblended_cost` | `line_item_unblended_cost` |
//! | `amortized_cost` | AWS's rule per line item type, below |
//! | `public_on_demand_cost` | `pricing_public_on_demand_cost`, except 0 on `SavingsPlanNegation` (0 when empty) |
//! | `public_on_demand_rate` | `pricing_public_on_demand_rate` |
//! | `instance_type` / `operating_system` / `tenancy` | `product_instance_type` / `product/operatingSystem` / `product/tenancy`, else the `product` map keys `instance_type` / `operating_system` / `tenancy` |
//! | `normalization_factor` | `line_item_normalization_factor`, else `product['normalization_size_factor']` |
//! | `pricing_term` | `pricing_term`, but `Spot` when the usage type contains `SpotUsage` |
//! | `reservation_arn` / `savings_plan_arn` | `reservation_reservation_a_r_n` / `savings_plan_savings_plan_a_r_n` |
//! | `currency` | `line_item_currency_code` |
//! | `tags` | `resource_tags` map (CUR 2.0), or every `resourceTags/*` / `resource_tags_*` column (legacy) |
//!
//! Amortized cost (AWS's CUDOS summary view; missing source columns count as 0):
//!
//! | line item type | `amortized_cost` |
//! |---|---|
//! | `SavingsPlanCoveredUsage` | `savings_plan_savings_plan_effective_cost` |
//! | `SavingsPlanRecurringFee` | `savings_plan_total_commitment_to_date - savings_plan_used_commitment` (unused commitment) |
//! | `SavingsPlanNegation`, `SavingsPlanUpfrontFee` | 0 |
//! | `DiscountedUsage` | `reservation_effective_cost` |
//! | `RIFee` | `reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee` (unused RI) |
//! | `Fee` with a reservation ARN | 0 (the upfront fee is amortized into `DiscountedUsage`) |
//! | `Refund` of product `ComputeSavingsPlans` | 0 |
//! | anything else | `line_item_unblended_cost` |
//!
//! # FOCUS (1.0, 1.1, 1.2) → `costs`
//!
//! | `costs` column | source |
//! |---|---|
//! | `usage_start` / `usage_end` | `ChargePeriodStart` / `ChargePeriodEnd` |
//! | `payer_account_id` | `BillingAccountId` |
//! | `account_id` / `account_name` | `SubAccountId` / `SubAccountName`, else `BillingAccountId` / `BillingAccountName` |
//! | `region` / `availability_zone` | `RegionId` / `AvailabilityZone` |
//! | `service` | AWS's `x_ServiceCode` when present (a product code such as `AmazonEC2`), else `ServiceName` |
//! | `usage_type` / `operation` | `x_UsageType` / `x_Operation` when present |
//! | `resource_id` / `pricing_unit` | `ResourceId` / `PricingUnit` |
//! | `usage_amount` | `ConsumedQuantity`, else `PricingQuantity`, else 0 |
//! | `unblended_cost` / `amortized_cost` / `public_on_demand_cost` | `BilledCost` / `EffectiveCost` / `ListCost` (0 when empty) |
//! | `public_on_demand_rate` | `ListUnitPrice` |
//! | `pricing_term` | `PricingCategory`: `Standard` → `OnDemand`, `Committed` → `Reserved`, `Dynamic` → `Spot`; `Spot` when `x_UsageType` contains `SpotUsage` |
//! | `reservation_arn` / `savings_plan_arn` | `CommitmentDiscountId`: a savings plan when the id contains `savingsplan` or `CommitmentDiscountType` mentions "Savings", a reservation otherwise |
//! | `currency` / `tags` | `BillingCurrency` / `Tags` (JSON) |
//! | `product_family`, `instance_type`, `operating_system`, `tenancy`, `normalization_factor` | null: FOCUS does not carry them |
//!
//! `line_item_type` from `ChargeCategory` (and the commitment columns):
//!
//! | FOCUS | `line_item_type` |
//! |---|---|
//! | `Usage`, commitment `Used`, reservation / savings plan | `DiscountedUsage` / `SavingsPlanCoveredUsage` |
//! | `Usage`, commitment `Unused`, reservation / savings plan | `RIFee` / `SavingsPlanRecurringFee` |
//! | `Usage` otherwise | `Usage` |
//! | `Purchase` | `Fee` |
//! | `Tax` / `Credit` / `Adjustment` | `Tax` / `Credit` / `Refund` |
//! | anything else | the `ChargeCategory` value unchanged |
//!
//! # Tags
//!
//! `tags` is a JSON object built with `serde_json` (so values are escaped
//! properly), keys sorted, the `user:` / `user_` prefix stripped, empty values
//! skipped, `{}` when a row has none.
//!
//! # Guarantees
//!
//! Every input row becomes exactly one output row. Bad input is an [`Error`]
//! naming the file and the column: a missing required column, a non-numeric
//! cost or unparseable date (with the first bad value and its row/line), an
//! unreadable Parquet file, non-UTF-8 CSV (with the line), more than one
//! currency, or columns that identify no known format.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::schema::Table;
use crate::snapshot::{conform, scan_parquet};

/// Which FOCUS version a file follows, told apart by the columns each version introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FocusVersion {
    /// FOCUS 1.0 (no 1.1 or 1.2 columns).
    V1_0,
    /// FOCUS 1.1 (`CapacityReservationId`, `CommitmentDiscountQuantity`, `ServiceSubcategory`, `SkuMeter`, ...).
    V1_1,
    /// FOCUS 1.2 (`BillingAccountType`, `InvoiceId`, `PricingCurrency`, `SubAccountType`, ...).
    V1_2,
}

/// Billing export format detected from the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingFormat {
    /// AWS Data Exports CUR 2.0 (snake_case columns, `product` / `resource_tags` maps).
    Cur2,
    /// Legacy Cost and Usage Report (`lineItem/UnblendedCost` headers, or its Athena snake_case form).
    LegacyCur,
    /// FinOps Open Cost and Usage Specification.
    Focus(FocusVersion),
}

impl fmt::Display for BillingFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BillingFormat::Cur2 => "CUR 2.0",
            BillingFormat::LegacyCur => "legacy CUR",
            BillingFormat::Focus(FocusVersion::V1_0) => "FOCUS 1.0",
            BillingFormat::Focus(FocusVersion::V1_1) => "FOCUS 1.1",
            BillingFormat::Focus(FocusVersion::V1_2) => "FOCUS 1.2",
        })
    }
}

impl BillingFormat {
    fn is_focus(self) -> bool {
        matches!(self, BillingFormat::Focus(_))
    }
}

/// A billing export opened for import: its format and a lazy `costs` frame.
pub struct BillingFile {
    /// The file or directory that was read.
    pub path: PathBuf,
    /// The detected export format.
    pub format: BillingFormat,
    /// `"Parquet"`, `"CSV"` or `"CSV.gz"` (parts of different kinds are joined with ` + `).
    pub container: String,
    /// The rows, already conformed to [`Table::Costs`].
    pub frame: LazyFrame,
}

impl fmt::Debug for BillingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillingFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("container", &self.container)
            .finish_non_exhaustive()
    }
}

/// The style-insensitive key a column name is matched by: lowercase, without `/`, `_` and `:`.
///
/// `lineItem/UnblendedCost`, `line_item_unblended_cost` and `LINEITEM/UNBLENDEDCOST`
/// all become `lineitemunblendedcost`.
pub fn column_key(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '/' | '_' | ':')).flat_map(char::to_lowercase).collect()
}

/// Columns whose presence marks FOCUS 1.1 (absent from 1.0).
const FOCUS_1_1_COLUMNS: &[&str] = &[
    "CapacityReservationId",
    "CapacityReservationStatus",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit",
    "ServiceSubcategory",
    "SkuMeter",
    "SkuPriceDetails",
];

/// Columns whose presence marks FOCUS 1.2 (absent from 1.1).
const FOCUS_1_2_COLUMNS: &[&str] = &[
    "BillingAccountType",
    "InvoiceId",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "SubAccountType",
];

/// Columns only CUR 2.0 has (besides the `product` / `resource_tags` maps).
const CUR2_ONLY_COLUMNS: &[&str] = &["bill_payer_account_name", "line_item_usage_account_name"];

const FORMAT_HINT: &str = "CUR is recognized by `line_item_unblended_cost` and `line_item_line_item_type` \
     (legacy headers `lineItem/UnblendedCost` and `lineItem/LineItemType`; CUR 2.0 also has the `product` / \
     `resource_tags` map columns), FOCUS by `BilledCost` and `ChargePeriodStart` (1.1 adds e.g. \
     `CommitmentDiscountQuantity`/`ServiceSubcategory`, 1.2 adds e.g. `InvoiceId`/`BillingAccountType`)";

/// Detects the billing format from column names (any header style).
pub fn detect_format(columns: &[&str]) -> Option<BillingFormat> {
    let keys: BTreeSet<String> = columns.iter().map(|c| column_key(c)).collect();
    let has = |name: &str| keys.contains(&column_key(name));
    if has("BilledCost") && has("ChargePeriodStart") {
        let version = if FOCUS_1_2_COLUMNS.iter().any(|c| has(c)) {
            FocusVersion::V1_2
        } else if FOCUS_1_1_COLUMNS.iter().any(|c| has(c)) {
            FocusVersion::V1_1
        } else {
            FocusVersion::V1_0
        };
        return Some(BillingFormat::Focus(version));
    }
    if has("line_item_unblended_cost") && has("line_item_line_item_type") {
        if columns.iter().any(|c| c.contains('/')) {
            return Some(BillingFormat::LegacyCur);
        }
        let cur2 =
            keys.contains("product") || keys.contains("resourcetags") || CUR2_ONLY_COLUMNS.iter().any(|c| has(c));
        return Some(if cur2 { BillingFormat::Cur2 } else { BillingFormat::LegacyCur });
    }
    None
}

/// Reads a billing export: one file, or a directory whose parts (`*.parquet`,
/// `*.csv`, `*.csv.gz`, found recursively) form one export and are unioned by
/// column name.
pub fn read_billing(path: &Path) -> Result<BillingFile> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let parts = if meta.is_dir() {
        let mut parts = Vec::new();
        collect_parts(path, &mut parts)?;
        parts.sort();
        if parts.is_empty() {
            return Err(Error::UnknownFormat {
                path: path.to_path_buf(),
                detail: "the directory holds no *.parquet, *.csv or *.csv.gz files".into(),
            });
        }
        parts
    } else {
        vec![path.to_path_buf()]
    };

    let mut frames = Vec::with_capacity(parts.len());
    let mut containers: Vec<&'static str> = Vec::new();
    let mut format: Option<BillingFormat> = None;
    for part in &parts {
        let (mut frame, container) = open_part(part)?;
        let schema = frame.collect_schema().map_err(|e| read_error(part, container, &e))?;
        let names: Vec<&str> = schema.iter_names().map(PlSmallStr::as_str).collect();
        let detected = detect_format(&names).ok_or_else(|| unknown_format(part, &names))?;
        match format {
            None => format = Some(detected),
            Some(first) if first.is_focus() != detected.is_focus() => {
                return Err(Error::UnknownFormat {
                    path: part.clone(),
                    detail: format!("this part is {detected} but the first part of {} is {first}", path.display()),
                });
            }
            Some(_) => {}
        }
        let line_offset = (container != "Parquet").then_some(2);
        let source = Source::new(&schema, part);
        let checks = if detected.is_focus() { focus_checks(&source)? } else { cur_checks(&source)? };
        validate(&frame, &checks, part, line_offset)?;
        frames.push(frame);
        if !containers.contains(&container) {
            containers.push(container);
        }
    }
    let format = format.expect("at least one part");
    let frame = if frames.len() == 1 {
        frames.pop().expect("one frame")
    } else {
        union_by_name(frames).map_err(|e| Error::UnknownFormat {
            path: path.to_path_buf(),
            detail: format!("cannot union the parts by column name: {e}"),
        })?
    };
    let frame = if format.is_focus() {
        normalize_focus_impl(frame, path, false)?
    } else {
        normalize_cur_impl(frame, path, false)?
    };
    Ok(BillingFile { path: path.to_path_buf(), format, container: containers.join(" + "), frame })
}

/// Maps a raw CUR frame (2.0 or legacy, any header style, typed or all-text
/// columns) onto the `costs` schema.
///
/// Validates the values it reads (numbers, dates, required ids, one currency)
/// with small lazy aggregates; errors name `origin`.
pub fn normalize_cur(frame: LazyFrame, origin: &Path) -> Result<LazyFrame> {
    normalize_cur_impl(frame, origin, true)
}

/// Maps a raw FOCUS frame (1.0–1.2) onto the `costs` schema; see [`normalize_cur`].
pub fn normalize_focus(frame: LazyFrame, origin: &Path) -> Result<LazyFrame> {
    normalize_focus_impl(frame, origin, true)
}

// ---------------------------------------------------------------------------
// Reading files

fn collect_parts(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            collect_parts(&path, out)?;
        } else if container_of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

/// Stacks frames whose columns may differ: columns are matched by name and
/// filled with nulls where a part lacks them.
fn union_by_name(mut frames: Vec<LazyFrame>) -> PolarsResult<LazyFrame> {
    let mut all: Vec<(PlSmallStr, DataType)> = Vec::new();
    let mut schemas = Vec::with_capacity(frames.len());
    for frame in &mut frames {
        let schema = frame.collect_schema()?;
        for (name, dtype) in schema.iter() {
            if !all.iter().any(|(n, _)| n == name) {
                all.push((name.clone(), dtype.clone()));
            }
        }
        schemas.push(schema);
    }
    let aligned: Vec<LazyFrame> = frames
        .into_iter()
        .zip(schemas)
        .map(|(frame, schema)| {
            let exprs: Vec<Expr> = all
                .iter()
                .map(|(name, dtype)| {
                    if schema.contains(name) {
                        col(name.clone())
                    } else {
                        lit(NULL).cast(dtype.clone()).alias(name.clone())
                    }
                })
                .collect();
            frame.select(exprs)
        })
        .collect();
    concat(aligned, UnionArgs { to_supertypes: true, ..UnionArgs::default() })
}

fn container_of(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with('.') {
        return None;
    }
    let is = |p: &Path, ext: &str| p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if is(path, "parquet") {
        Some("Parquet")
    } else if is(path, "csv") {
        Some("CSV")
    } else if is(path, "gz") && is(Path::new(path.file_stem()?), "csv") {
        Some("CSV.gz")
    } else {
        None
    }
}

fn open_part(path: &Path) -> Result<(LazyFrame, &'static str)> {
    let container = container_of(path).ok_or_else(|| Error::UnknownFormat {
        path: path.to_path_buf(),
        detail: "expected a .parquet, .csv or .csv.gz file".into(),
    })?;
    if container == "Parquet" {
        return Ok((scan_parquet(path)?, container));
    }
    check_utf8(path)?;
    let pl_path = PlRefPath::try_from_path(path)
        .map_err(|e| Error::BadCsv { path: path.to_path_buf(), detail: e.to_string() })?;
    let frame = LazyCsvReader::new(pl_path)
        .with_has_header(true)
        // Every column as text: numbers and dates are parsed (and checked) explicitly.
        .with_infer_schema_length(Some(0))
        .finish()
        .map_err(|e| Error::BadCsv { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok((frame, container))
}

fn read_error(path: &Path, container: &str, err: &PolarsError) -> Error {
    if container == "Parquet" {
        Error::BadParquet { path: path.to_path_buf(), detail: err.to_string() }
    } else {
        Error::BadCsv { path: path.to_path_buf(), detail: err.to_string() }
    }
}

/// Streams a CSV file (gzip-decompressed when it starts with the gzip magic)
/// and fails with the first line holding invalid UTF-8.
fn check_utf8(path: &Path) -> Result<()> {
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(|e| Error::io(path, e))?;
    drop(file);
    let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader: Box<dyn Read> = if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    first_invalid_utf8_line(reader)
        .map_err(|e| Error::BadCsv { path: path.to_path_buf(), detail: format!("cannot decompress: {e}") })?
        .map_or(Ok(()), |line| Err(Error::NonUtf8 { path: path.to_path_buf(), line }))
}

/// The 1-based line of the first invalid UTF-8 sequence, if any.
fn first_invalid_utf8_line(mut reader: impl Read) -> std::io::Result<Option<usize>> {
    let mut buf = vec![0u8; 1 << 16];
    let mut carry = 0usize;
    let mut line = 1usize;
    loop {
        let read = reader.read(&mut buf[carry..])?;
        let filled = carry + read;
        let chunk = &buf[..filled];
        match std::str::from_utf8(chunk) {
            Ok(_) => {
                line += bytecount(chunk);
                carry = 0;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if e.error_len().is_some() || read == 0 {
                    return Ok(Some(line + bytecount(&chunk[..valid])));
                }
                // An incomplete sequence at the end of the buffer: keep it for the next read.
                line += bytecount(&chunk[..valid]);
                buf.copy_within(valid..filled, 0);
                carry = filled - valid;
            }
        }
        if read == 0 {
            return Ok(None);
        }
    }
}

#[allow(clippy::naive_bytecount)] // a few KB per call; not worth a dependency
fn bytecount(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn unknown_format(path: &Path, names: &[&str]) -> Error {
    let shown: Vec<&str> = names.iter().copied().take(12).collect();
    let more = if names.len() > shown.len() { format!(", ... ({} columns)", names.len()) } else { String::new() };
    Error::UnknownFormat {
        path: path.to_path_buf(),
        detail: format!("{FORMAT_HINT}; found columns: {}{more}", shown.join(", ")),
    }
}

// ---------------------------------------------------------------------------
// Column lookup

/// How a column holding tags is read.
#[derive(Clone)]
enum TagInput {
    /// One column per tag (legacy CUR); the tag key.
    Single(String),
    /// A map column: `List(Struct{key, value})` or a JSON object string.
    Map,
}

/// The raw columns of one input frame, indexed by [`column_key`].
struct Source {
    origin: PathBuf,
    columns: HashMap<String, (PlSmallStr, DataType)>,
}

impl Source {
    fn new(schema: &Schema, origin: &Path) -> Self {
        let mut columns = HashMap::new();
        for (name, dtype) in schema.iter() {
            columns.entry(column_key(name)).or_insert_with(|| (name.clone(), dtype.clone()));
        }
        Self { origin: origin.to_path_buf(), columns }
    }

    fn get(&self, key: &str) -> Option<&(PlSmallStr, DataType)> {
        self.columns.get(key)
    }

    fn name(&self, key: &str) -> Option<String> {
        self.get(key).map(|(n, _)| n.to_string())
    }

    /// A text column with empty strings as null.
    fn text(&self, key: &str) -> Option<Expr> {
        let (name, dtype) = self.get(key)?;
        let c = if *dtype == DataType::String { col(name.clone()) } else { col(name.clone()).cast(DataType::String) };
        Some(empty_to_null(c))
    }

    fn text_or_null(&self, key: &str) -> Expr {
        self.text(key).unwrap_or_else(null_str)
    }

    /// A number column; text is trimmed and parsed (checked beforehand by [`validate`]).
    fn number(&self, key: &str) -> Option<Expr> {
        let (name, dtype) = self.get(key)?;
        Some(parse_number(col(name.clone()), dtype))
    }

    fn number_or_null(&self, key: &str) -> Expr {
        self.number(key).unwrap_or_else(|| lit(NULL).cast(DataType::Float64))
    }

    fn number_or_zero(&self, key: &str) -> Expr {
        self.number(key).map_or_else(|| lit(0.0f64), |e| e.fill_null(lit(0.0f64)))
    }

    fn timestamp(&self, key: &str) -> Option<Expr> {
        let (name, dtype) = self.get(key)?;
        Some(parse_timestamp(col(name.clone()), dtype))
    }

    /// A required column's key, or [`Error::MissingColumn`] naming the file.
    fn require(&self, key: &str, column: &str, expected: &str) -> Result<()> {
        if self.columns.contains_key(key) {
            Ok(())
        } else {
            Err(Error::MissingColumn { path: self.origin.clone(), column: column.into(), expected: expected.into() })
        }
    }

    /// An attribute from the CUR 2.0 `product` map column, if there is one.
    fn product_attr(&self, attr: &str) -> Option<Expr> {
        let (name, dtype) = self.get("product")?;
        let c = col(name.clone());
        match dtype {
            DataType::List(inner) if matches!(inner.as_ref(), DataType::Struct(_)) => {
                let e = element();
                let value = e
                    .clone()
                    .struct_()
                    .field_by_name("value")
                    .filter(e.struct_().field_by_name("key").eq(lit(attr.to_owned())));
                Some(empty_to_null(c.list().eval(value).list().first().cast(DataType::String)))
            }
            DataType::String => {
                let attr = attr.to_owned();
                let column = name.to_string();
                Some(empty_to_null(c.map(
                    move |s| json_map_lookup(&s, &column, &attr),
                    |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
                )))
            }
            _ => None,
        }
    }

    /// Every tag-holding column, with how to read it.
    fn tag_inputs(&self, map_key: &str, single_prefixes: &[&str]) -> Vec<(PlSmallStr, TagInput)> {
        let mut out: Vec<(PlSmallStr, TagInput)> = Vec::new();
        for (key, (name, _)) in &self.columns {
            if key == map_key {
                out.push((name.clone(), TagInput::Map));
            } else if let Some(tag) = single_prefixes.iter().find_map(|p| strip_prefix_ci(name, p)) {
                out.push((name.clone(), TagInput::Single(tag.to_owned())));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn strip_prefix_ci<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    (head.eq_ignore_ascii_case(prefix) && name.len() > prefix.len()).then(|| &name[prefix.len()..])
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

fn empty_to_null(e: Expr) -> Expr {
    when(e.clone().eq(lit(""))).then(null_str()).otherwise(e)
}

fn parse_number(c: Expr, dtype: &DataType) -> Expr {
    if *dtype == DataType::String {
        c.str().strip_chars(lit(NULL)).cast(DataType::Float64)
    } else {
        c.cast(DataType::Float64)
    }
}

/// The timestamp forms billing exports use, tried in order after stripping a
/// trailing `Z` / `+00:00`: `2026-10-01T00:00:00[.fff]`, the same with a space,
/// and a bare date.
fn parse_timestamp(c: Expr, dtype: &DataType) -> Expr {
    let micros = DataType::Datetime(TimeUnit::Microseconds, None);
    match dtype {
        DataType::String => {
            let s = c.str().strip_chars(lit(NULL)).str().strip_suffix(lit("Z")).str().strip_suffix(lit("+00:00"));
            let parse = |format: &str| {
                s.clone().str().to_datetime(
                    Some(TimeUnit::Microseconds),
                    None,
                    StrptimeOptions { format: Some(format.into()), strict: false, exact: true, cache: true },
                    lit("raise"),
                )
            };
            let date = s
                .clone()
                .str()
                .to_date(StrptimeOptions { format: Some("%Y-%m-%d".into()), strict: false, exact: true, cache: true })
                .cast(micros.clone());
            coalesce(&[parse("%Y-%m-%dT%H:%M:%S%.f"), parse("%Y-%m-%d %H:%M:%S%.f"), date])
        }
        // Time-zone-aware or not, the epoch value is UTC; rebuild a naive UTC timestamp from it.
        DataType::Datetime(_, _) => c.dt().timestamp(TimeUnit::Microseconds).cast(micros),
        _ => c.cast(micros),
    }
}

/// Looks `attr` up in a column of JSON objects.
fn json_map_lookup(column: &Column, name: &str, attr: &str) -> PolarsResult<Column> {
    let ca = column.as_materialized_series().str()?.clone();
    let mut out: Vec<Option<String>> = Vec::with_capacity(ca.len());
    for (row, value) in ca.iter().enumerate() {
        out.push(match value {
            None | Some("") => None,
            Some(text) => {
                let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
                    polars_err!(ComputeError: "column `{name}` row {}: expected a JSON object, found `{text}` ({e})", row + 1)
                })?;
                map.get(attr).and_then(json_text)
            }
        });
    }
    Ok(StringChunked::from_iter_options(column.name().clone(), out.into_iter()).into_column())
}

fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.is_empty() => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Whether a text expression contains `needle` (null stays null).
fn contains(e: Expr, needle: &'static str) -> Expr {
    e.map(
        move |c| {
            let ca = c.as_materialized_series().str()?.clone();
            let out: BooleanChunked = ca.iter().map(|v| v.map(|s| s.contains(needle))).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    )
}

/// Whether a text expression contains `needle`, ignoring ASCII case.
fn contains_ci(e: Expr, needle: &'static str) -> Expr {
    e.map(
        move |c| {
            let ca = c.as_materialized_series().str()?.clone();
            let out: BooleanChunked = ca.iter().map(|v| v.map(|s| s.to_ascii_lowercase().contains(needle))).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    )
}

// ---------------------------------------------------------------------------
// Tags

/// Builds the `tags` JSON column from every tag-holding input.
fn tags_expr(inputs: &[(PlSmallStr, TagInput)]) -> Expr {
    if inputs.is_empty() {
        return lit("{}");
    }
    let names: Vec<String> = inputs.iter().map(|(n, _)| n.to_string()).collect();
    let kinds: Vec<TagInput> = inputs.iter().map(|(_, k)| k.clone()).collect();
    let exprs: Vec<Expr> = inputs.iter().map(|(n, _)| col(n.clone())).collect();
    exprs[0].clone().map_many(
        move |columns: &mut [Column]| build_tags(columns, &names, &kinds),
        &exprs[1..],
        |_, fields| Ok(Field::new(fields[0].name().clone(), DataType::String)),
    )
}

fn strip_user_prefix(key: &str) -> &str {
    key.strip_prefix("user:").or_else(|| key.strip_prefix("user_")).unwrap_or(key)
}

/// A CUR 2.0 map column flattened once: per row, a range into flat key and
/// value arrays. Reading rows through `ListChunked::get_as_series` would
/// allocate and cast a Series per line item, which dominated large imports.
struct FlatMap {
    /// Per row: `None` for a null map, else the entry range.
    rows: Vec<Option<std::ops::Range<usize>>>,
    keys: StringChunked,
    values: StringChunked,
}

impl FlatMap {
    fn new(ca: &ListChunked, name: &str) -> PolarsResult<Self> {
        let ca = ca.rechunk();
        let inner = ca.get_inner();
        let entries = inner.struct_()?;
        let fields = entries.fields_as_series();
        let field = |wanted: &str| fields.iter().find(|f| f.name().as_str() == wanted).cloned();
        let (Some(keys), Some(values)) = (field("key"), field("value")) else {
            polars_bail!(ComputeError: "column `{name}`: map entries need `key` and `value` fields");
        };
        let keys = keys.cast(&DataType::String)?.str()?.rechunk().into_owned();
        let values = values.cast(&DataType::String)?.str()?.rechunk().into_owned();
        let mut rows = Vec::with_capacity(ca.len());
        for array in ca.downcast_iter() {
            let offsets = array.offsets();
            for row in 0..array.len() {
                if array.validity().is_some_and(|valid| !valid.get_bit(row)) {
                    rows.push(None);
                } else {
                    let (start, end) = offsets.start_end(row);
                    rows.push(Some(start..end));
                }
            }
        }
        Ok(Self { rows, keys, values })
    }
}

fn build_tags(columns: &mut [Column], names: &[String], kinds: &[TagInput]) -> PolarsResult<Column> {
    enum Reader {
        Single(String, StringChunked),
        Json(StringChunked),
        List(FlatMap),
    }
    let len = columns.iter().map(Column::len).max().unwrap_or(0);
    let mut readers = Vec::with_capacity(columns.len());
    for ((column, kind), name) in columns.iter().zip(kinds).zip(names) {
        let series = column.as_materialized_series();
        let reader = match (kind, series.dtype()) {
            (TagInput::Single(key), _) => {
                Reader::Single(strip_user_prefix(key).to_owned(), series.cast(&DataType::String)?.str()?.clone())
            }
            (TagInput::Map, DataType::List(_)) => Reader::List(FlatMap::new(series.list()?, name)?),
            (TagInput::Map, _) => Reader::Json(series.cast(&DataType::String)?.str()?.clone()),
        };
        readers.push(reader);
    }
    // Line items of one resource repeat its tags thousands of times: remember
    // the last parsed JSON object per reader instead of parsing it again.
    let mut last_json: Vec<(String, Vec<(String, String)>)> = vec![(String::new(), Vec::new()); readers.len()];
    let mut json_present = vec![false; readers.len()];
    let mut out: Vec<String> = Vec::with_capacity(len);
    for row in 0..len {
        for (index, (reader, name)) in readers.iter().zip(names).enumerate() {
            let Reader::Json(ca) = reader else { continue };
            let at = if ca.len() == 1 { 0 } else { row };
            let text = ca.get(at).map(str::trim).filter(|v| !v.is_empty());
            json_present[index] = text.is_some();
            let Some(text) = text else { continue };
            if last_json[index].0 != text {
                let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
                    polars_err!(ComputeError: "column `{name}` row {}: tags must be a JSON object, found `{text}` ({e})", row + 1)
                })?;
                let pairs = map
                    .iter()
                    .filter_map(|(key, value)| Some((strip_user_prefix(key).to_owned(), json_text(value)?)))
                    .collect();
                last_json[index] = (text.to_owned(), pairs);
            }
        }
        let mut tags: BTreeMap<&str, &str> = BTreeMap::new();
        for (index, reader) in readers.iter().enumerate() {
            let at = |ca_len: usize| if ca_len == 1 { 0 } else { row };
            match reader {
                Reader::Single(key, ca) => {
                    if let Some(value) = ca.get(at(ca.len())).filter(|v| !v.is_empty()) {
                        tags.insert(key, value);
                    }
                }
                Reader::Json(_) if json_present[index] => {
                    for (key, value) in &last_json[index].1 {
                        tags.insert(key, value);
                    }
                }
                Reader::Json(_) => {}
                Reader::List(map) => {
                    let Some(Some(range)) = map.rows.get(at(map.rows.len())) else { continue };
                    for entry in range.clone() {
                        if let (Some(key), Some(value)) =
                            (map.keys.get(entry), map.values.get(entry).filter(|v| !v.is_empty()))
                        {
                            tags.insert(strip_user_prefix(key), value);
                        }
                    }
                }
            }
        }
        out.push(serde_json::to_string(&tags).map_err(|e| polars_err!(ComputeError: "serializing tags: {e}"))?);
    }
    Ok(StringChunked::from_iter_values(PlSmallStr::from_static("tags"), out.into_iter()).into_column())
}

// ---------------------------------------------------------------------------
// Validation

#[derive(Clone, Copy, PartialEq, Eq)]
enum CheckKind {
    Number,
    Timestamp,
    NotNull,
}

/// One thing to verify about the input before trusting it.
struct Check {
    /// Column name as the user sees it.
    column: String,
    /// The raw value, shown when the check fails.
    raw: Expr,
    /// True on a bad row.
    bad: Expr,
    kind: CheckKind,
}

impl Source {
    /// Checks that a present text column parses as a number.
    fn check_number(&self, key: &str, checks: &mut Vec<Check>) {
        if let Some((name, dtype)) = self.get(key)
            && *dtype == DataType::String
        {
            let raw = col(name.clone());
            let bad =
                raw.clone().str().strip_chars(lit(NULL)).neq(lit("")).and(parse_number(raw.clone(), dtype).is_null());
            checks.push(Check { column: name.to_string(), raw, bad, kind: CheckKind::Number });
        }
    }

    /// Checks that a present column parses as a timestamp and is never empty.
    fn check_timestamp(&self, key: &str, checks: &mut Vec<Check>) {
        if let Some((name, dtype)) = self.get(key) {
            let raw = col(name.clone());
            let is_null = if *dtype == DataType::String {
                raw.clone().is_null().or(raw.clone().str().strip_chars(lit(NULL)).eq(lit("")))
            } else {
                raw.clone().is_null()
            };
            checks.push(Check { column: name.to_string(), raw: raw.clone(), bad: is_null, kind: CheckKind::NotNull });
            if *dtype == DataType::String {
                let bad = raw.clone().is_not_null().and(parse_timestamp(raw.clone(), dtype).is_null());
                checks.push(Check { column: name.to_string(), raw, bad, kind: CheckKind::Timestamp });
            }
        }
    }

    /// Checks that a present column is never null or empty.
    fn check_not_null(&self, key: &str, checks: &mut Vec<Check>) {
        if let Some(value) = self.text(key) {
            let name = self.name(key).unwrap_or_default();
            checks.push(Check { column: name, raw: value.clone(), bad: value.is_null(), kind: CheckKind::NotNull });
        }
    }
}

const ROW_INDEX: &str = "__costwise_row";

/// Finds the first row failing any check, with one small lazy query, and turns it into an error.
///
/// `line_offset` is added to the 0-based row index to name a CSV line (2: header on line 1).
fn validate(frame: &LazyFrame, checks: &[Check], origin: &Path, line_offset: Option<usize>) -> Result<()> {
    if checks.is_empty() {
        return Ok(());
    }
    let any_bad = checks.iter().map(|c| c.bad.clone().fill_null(lit(false))).reduce(Expr::or).expect("checks");
    let mut select = vec![col(ROW_INDEX)];
    for (i, check) in checks.iter().enumerate() {
        select.push(check.bad.clone().fill_null(lit(false)).alias(format!("__bad{i}")));
        select.push(check.raw.clone().cast(DataType::String).alias(format!("__raw{i}")));
    }
    let first = frame
        .clone()
        .with_row_index(ROW_INDEX, None)
        .filter(any_bad)
        .select(select)
        .limit(1)
        .collect()
        .map_err(|e| Error::Query { context: format!("checking {}", origin.display()), detail: e.to_string() })?;
    if first.height() == 0 {
        return Ok(());
    }
    let cell = |name: &str| first.column(name).ok().and_then(|c| c.get(0).ok()).map(AnyValue::into_static);
    let row = cell(ROW_INDEX).and_then(|v| v.extract::<usize>()).unwrap_or(0);
    let at = match line_offset {
        Some(offset) => format!("row {} (line {})", row + 1, row + offset),
        None => format!("row {}", row + 1),
    };
    for (i, check) in checks.iter().enumerate() {
        if !matches!(cell(&format!("__bad{i}")), Some(AnyValue::Boolean(true))) {
            continue;
        }
        let raw = match cell(&format!("__raw{i}")) {
            Some(AnyValue::String(s)) => s.to_owned(),
            Some(AnyValue::StringOwned(s)) => s.to_string(),
            _ => String::new(),
        };
        return Err(match check.kind {
            CheckKind::Number => Error::WrongType {
                path: origin.to_path_buf(),
                column: check.column.clone(),
                expected: "a number".into(),
                found: format!("`{raw}` at {at}"),
            },
            CheckKind::Timestamp => Error::WrongType {
                path: origin.to_path_buf(),
                column: check.column.clone(),
                expected: "a UTC timestamp like `2026-10-01T00:00:00Z`".into(),
                found: format!("`{raw}` at {at}"),
            },
            CheckKind::NotNull => {
                let count = frame
                    .clone()
                    .filter(check.bad.clone().fill_null(lit(false)))
                    .select([len().alias("n")])
                    .collect()
                    .ok()
                    .and_then(|df| df.column("n").ok().and_then(|c| c.get(0).ok()).and_then(|v| v.extract::<usize>()))
                    .unwrap_or(1);
                Error::NullValues {
                    path: origin.to_path_buf(),
                    column: check.column.clone(),
                    count,
                    first_row: row + 1,
                }
            }
        });
    }
    Ok(())
}

/// Fails unless the currency column holds exactly one currency.
fn check_currency(frame: LazyFrame, currency: Expr, column: &str, origin: &Path) -> Result<()> {
    let df = frame
        .select([currency.alias("currency")])
        .drop_nulls(None)
        .unique(None, UniqueKeepStrategy::Any)
        .limit(16)
        .collect()
        .map_err(|e| Error::Query {
            context: format!("reading `{column}` in {}", origin.display()),
            detail: e.to_string(),
        })?;
    let mut currencies: Vec<String> = df
        .column("currency")
        .ok()
        .and_then(|c| c.str().ok().map(|ca| ca.iter().flatten().map(str::to_owned).collect()))
        .unwrap_or_default();
    currencies.sort();
    if currencies.len() > 1 {
        return Err(Error::MixedCurrencies { path: origin.to_path_buf(), currencies });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// CUR

/// CUR columns: (key, CUR 2.0 name, legacy header, what it holds). Required ones first.
const CUR_REQUIRED: &[(&str, &str, &str, &str)] = &[
    ("lineitemusagestartdate", "line_item_usage_start_date", "lineItem/UsageStartDate", "the usage start timestamp"),
    ("lineitemusageenddate", "line_item_usage_end_date", "lineItem/UsageEndDate", "the usage end timestamp"),
    ("lineitemusageaccountid", "line_item_usage_account_id", "lineItem/UsageAccountId", "the usage account id"),
    ("lineitemproductcode", "line_item_product_code", "lineItem/ProductCode", "the product code (`AmazonEC2`)"),
    (
        "lineitemlineitemtype",
        "line_item_line_item_type",
        "lineItem/LineItemType",
        "the line item type (`Usage`, `RIFee`, ...)",
    ),
    ("lineitemunblendedcost", "line_item_unblended_cost", "lineItem/UnblendedCost", "the unblended cost"),
    ("lineitemcurrencycode", "line_item_currency_code", "lineItem/CurrencyCode", "the currency code (`USD`)"),
];

/// Numeric CUR columns read (and therefore checked) when present.
const CUR_NUMBERS: &[&str] = &[
    "lineitemunblendedcost",
    "lineitemusageamount",
    "lineitemnormalizationfactor",
    "pricingpublicondemandcost",
    "pricingpublicondemandrate",
    "savingsplansavingsplaneffectivecost",
    "savingsplantotalcommitmenttodate",
    "savingsplanusedcommitment",
    "reservationeffectivecost",
    "reservationunusedamortizedupfrontfeeforbillingperiod",
    "reservationunusedrecurringfee",
];

fn cur_checks(source: &Source) -> Result<Vec<Check>> {
    for (key, cur2, legacy, what) in CUR_REQUIRED {
        source.require(key, cur2, &format!("{what}; legacy CUR header `{legacy}`"))?;
    }
    let mut checks = Vec::new();
    source.check_timestamp("lineitemusagestartdate", &mut checks);
    source.check_timestamp("lineitemusageenddate", &mut checks);
    for key in ["lineitemusageaccountid", "lineitemproductcode", "lineitemlineitemtype", "lineitemcurrencycode"] {
        source.check_not_null(key, &mut checks);
    }
    for key in CUR_NUMBERS {
        source.check_number(key, &mut checks);
    }
    Ok(checks)
}

fn normalize_cur_impl(mut frame: LazyFrame, origin: &Path, check_values: bool) -> Result<LazyFrame> {
    let schema = frame
        .collect_schema()
        .map_err(|e| Error::Query { context: format!("reading {}", origin.display()), detail: e.to_string() })?;
    let s = Source::new(&schema, origin);
    let checks = cur_checks(&s)?;
    if check_values {
        validate(&frame, &checks, origin, None)?;
    }
    let currency = s.text_or_null("lineitemcurrencycode");
    check_currency(frame.clone(), currency.clone(), "line_item_currency_code", origin)?;

    let item_type = s.text_or_null("lineitemlineitemtype");
    let product_code = s.text_or_null("lineitemproductcode");
    let unblended = s.number_or_zero("lineitemunblendedcost");
    let ri_arn = s.text_or_null("reservationreservationarn");
    let usage_type = s.text_or_null("lineitemusagetype");
    let is = |t: &str| item_type.clone().eq(lit(t.to_owned()));

    let amortized = when(is("SavingsPlanCoveredUsage"))
        .then(s.number_or_zero("savingsplansavingsplaneffectivecost"))
        .when(is("SavingsPlanRecurringFee"))
        .then(s.number_or_zero("savingsplantotalcommitmenttodate") - s.number_or_zero("savingsplanusedcommitment"))
        .when(is("SavingsPlanNegation").or(is("SavingsPlanUpfrontFee")))
        .then(lit(0.0f64))
        .when(is("DiscountedUsage"))
        .then(s.number_or_zero("reservationeffectivecost"))
        .when(is("RIFee"))
        .then(
            s.number_or_zero("reservationunusedamortizedupfrontfeeforbillingperiod")
                + s.number_or_zero("reservationunusedrecurringfee"),
        )
        .when(is("Fee").and(ri_arn.clone().is_not_null()))
        .then(lit(0.0f64))
        .when(is("Refund").and(product_code.clone().eq(lit("ComputeSavingsPlans"))))
        .then(lit(0.0f64))
        .otherwise(unblended.clone());
    let public_cost =
        when(is("SavingsPlanNegation")).then(lit(0.0f64)).otherwise(s.number_or_zero("pricingpublicondemandcost"));
    let attr = |keys: &[&str], map_keys: &[&str]| -> Expr {
        let mut options: Vec<Expr> = keys.iter().filter_map(|k| s.text(k)).collect();
        options.extend(map_keys.iter().filter_map(|k| s.product_attr(k)));
        match options.len() {
            0 => null_str(),
            1 => options.pop().expect("one"),
            _ => coalesce(&options),
        }
    };
    let normalization_factor = {
        let mut options: Vec<Expr> = s.number("lineitemnormalizationfactor").into_iter().collect();
        if let Some(e) = s.text("productnormalizationsizefactor") {
            options.push(e.cast(DataType::Float64));
        }
        if let Some(e) = s.product_attr("normalization_size_factor") {
            options.push(e.cast(DataType::Float64));
        }
        if options.is_empty() { lit(NULL).cast(DataType::Float64) } else { coalesce(&options) }
    };
    let pricing_term = when(contains(usage_type.clone(), "SpotUsage").fill_null(lit(false)))
        .then(lit("Spot"))
        .otherwise(s.text_or_null("pricingterm"));
    let tags = tags_expr(&s.tag_inputs("resourcetags", &["resourceTags/", "resource_tags_"]));

    let exprs = vec![
        s.timestamp("lineitemusagestartdate").expect("required").alias("usage_start"),
        s.timestamp("lineitemusageenddate").expect("required").alias("usage_end"),
        s.text_or_null("billpayeraccountid").alias("payer_account_id"),
        s.text_or_null("lineitemusageaccountid").alias("account_id"),
        s.text_or_null("lineitemusageaccountname").alias("account_name"),
        attr(&["productregioncode", "productregion"], &["region_code", "region"]).alias("region"),
        s.text_or_null("lineitemavailabilityzone").alias("availability_zone"),
        product_code.alias("service"),
        attr(&["productproductfamily"], &["product_family"]).alias("product_family"),
        usage_type.alias("usage_type"),
        s.text_or_null("lineitemoperation").alias("operation"),
        s.text_or_null("lineitemresourceid").alias("resource_id"),
        item_type.clone().alias("line_item_type"),
        s.text_or_null("pricingunit").alias("pricing_unit"),
        s.number_or_zero("lineitemusageamount").alias("usage_amount"),
        unblended.alias("unblended_cost"),
        amortized.alias("amortized_cost"),
        public_cost.alias("public_on_demand_cost"),
        s.number_or_null("pricingpublicondemandrate").alias("public_on_demand_rate"),
        attr(&["productinstancetype"], &["instance_type"]).alias("instance_type"),
        attr(&["productoperatingsystem"], &["operating_system"]).alias("operating_system"),
        attr(&["producttenancy"], &["tenancy"]).alias("tenancy"),
        normalization_factor.alias("normalization_factor"),
        pricing_term.alias("pricing_term"),
        ri_arn.alias("reservation_arn"),
        s.text_or_null("savingsplansavingsplanarn").alias("savings_plan_arn"),
        currency.alias("currency"),
        tags.alias("tags"),
    ];
    conform(frame.select(exprs), Table::Costs, origin)
}

// ---------------------------------------------------------------------------
// FOCUS

const FOCUS_REQUIRED: &[(&str, &str, &str)] = &[
    ("billedcost", "BilledCost", "the billed cost"),
    ("effectivecost", "EffectiveCost", "the amortized (effective) cost"),
    ("chargeperiodstart", "ChargePeriodStart", "the charge period start timestamp"),
    ("chargeperiodend", "ChargePeriodEnd", "the charge period end timestamp"),
    ("chargecategory", "ChargeCategory", "the charge category (`Usage`, `Purchase`, `Tax`, `Credit`, `Adjustment`)"),
    ("billingcurrency", "BillingCurrency", "the billing currency (`USD`)"),
];

const FOCUS_NUMBERS: &[&str] =
    &["billedcost", "effectivecost", "listcost", "listunitprice", "consumedquantity", "pricingquantity"];

fn focus_checks(source: &Source) -> Result<Vec<Check>> {
    for (key, name, what) in FOCUS_REQUIRED {
        source.require(key, name, what)?;
    }
    if source.get("xservicecode").is_none() {
        source.require("servicename", "ServiceName", "the service name (or AWS's `x_ServiceCode`)")?;
    }
    if source.get("subaccountid").is_none() {
        source.require(
            "billingaccountid",
            "SubAccountId",
            "the account id (`SubAccountId`, else `BillingAccountId`)",
        )?;
    }
    let mut checks = Vec::new();
    source.check_timestamp("chargeperiodstart", &mut checks);
    source.check_timestamp("chargeperiodend", &mut checks);
    for key in ["chargecategory", "billingcurrency"] {
        source.check_not_null(key, &mut checks);
    }
    let account = focus_account(source);
    checks.push(Check {
        column: source.name("subaccountid").or_else(|| source.name("billingaccountid")).unwrap_or_default(),
        raw: account.clone(),
        bad: account.is_null(),
        kind: CheckKind::NotNull,
    });
    let service = focus_service(source);
    checks.push(Check {
        column: source.name("xservicecode").or_else(|| source.name("servicename")).unwrap_or_default(),
        raw: service.clone(),
        bad: service.is_null(),
        kind: CheckKind::NotNull,
    });
    for key in FOCUS_NUMBERS {
        source.check_number(key, &mut checks);
    }
    Ok(checks)
}

fn focus_account(s: &Source) -> Expr {
    coalesce(&[s.text_or_null("subaccountid"), s.text_or_null("billingaccountid")])
}

fn focus_service(s: &Source) -> Expr {
    coalesce(&[s.text_or_null("xservicecode"), s.text_or_null("servicename")])
}

fn normalize_focus_impl(mut frame: LazyFrame, origin: &Path, check_values: bool) -> Result<LazyFrame> {
    let schema = frame
        .collect_schema()
        .map_err(|e| Error::Query { context: format!("reading {}", origin.display()), detail: e.to_string() })?;
    let s = Source::new(&schema, origin);
    let checks = focus_checks(&s)?;
    if check_values {
        validate(&frame, &checks, origin, None)?;
    }
    let currency = s.text_or_null("billingcurrency");
    check_currency(frame.clone(), currency.clone(), "BillingCurrency", origin)?;

    let commitment_id = s.text_or_null("commitmentdiscountid");
    let is_sp = contains_ci(commitment_id.clone(), "savingsplan").fill_null(lit(false)).or(contains_ci(
        s.text_or_null("commitmentdiscounttype"),
        "savings",
    )
    .fill_null(lit(false)));
    let has_commitment = commitment_id.clone().is_not_null();
    let status = s.text_or_null("commitmentdiscountstatus");
    let category = s.text_or_null("chargecategory");
    let usage = category.clone().eq(lit("Usage"));
    let used = status.clone().eq(lit("Used")).fill_null(lit(false));
    let unused = status.eq(lit("Unused")).fill_null(lit(false));
    let line_item_type = when(usage.clone().and(has_commitment.clone()).and(used.clone()).and(is_sp.clone()))
        .then(lit("SavingsPlanCoveredUsage"))
        .when(usage.clone().and(has_commitment.clone()).and(used))
        .then(lit("DiscountedUsage"))
        .when(usage.clone().and(has_commitment.clone()).and(unused.clone()).and(is_sp.clone()))
        .then(lit("SavingsPlanRecurringFee"))
        .when(usage.clone().and(has_commitment.clone()).and(unused))
        .then(lit("RIFee"))
        .when(usage)
        .then(lit("Usage"))
        .when(category.clone().eq(lit("Purchase")))
        .then(lit("Fee"))
        .when(category.clone().eq(lit("Adjustment")))
        .then(lit("Refund"))
        .otherwise(category);
    let usage_type = s.text_or_null("xusagetype");
    let pricing_category = s.text_or_null("pricingcategory");
    let pricing_term = when(contains(usage_type.clone(), "SpotUsage").fill_null(lit(false)))
        .then(lit("Spot"))
        .when(pricing_category.clone().eq(lit("Standard")))
        .then(lit("OnDemand"))
        .when(pricing_category.clone().eq(lit("Committed")))
        .then(lit("Reserved"))
        .when(pricing_category.eq(lit("Dynamic")))
        .then(lit("Spot"))
        .otherwise(null_str());
    let account_name = when(s.text_or_null("subaccountid").is_null())
        .then(s.text_or_null("billingaccountname"))
        .otherwise(s.text_or_null("subaccountname"));
    let usage_amount =
        coalesce(&[s.number_or_null("consumedquantity"), s.number_or_null("pricingquantity"), lit(0.0f64)]);
    let tags = tags_expr(&s.tag_inputs("tags", &[]));

    let exprs = vec![
        s.timestamp("chargeperiodstart").expect("required").alias("usage_start"),
        s.timestamp("chargeperiodend").expect("required").alias("usage_end"),
        s.text_or_null("billingaccountid").alias("payer_account_id"),
        focus_account(&s).alias("account_id"),
        account_name.alias("account_name"),
        s.text_or_null("regionid").alias("region"),
        s.text_or_null("availabilityzone").alias("availability_zone"),
        focus_service(&s).alias("service"),
        null_str().alias("product_family"),
        usage_type.alias("usage_type"),
        s.text_or_null("xoperation").alias("operation"),
        s.text_or_null("resourceid").alias("resource_id"),
        line_item_type.alias("line_item_type"),
        s.text_or_null("pricingunit").alias("pricing_unit"),
        usage_amount.alias("usage_amount"),
        s.number_or_zero("billedcost").alias("unblended_cost"),
        s.number_or_zero("effectivecost").alias("amortized_cost"),
        s.number_or_zero("listcost").alias("public_on_demand_cost"),
        s.number_or_null("listunitprice").alias("public_on_demand_rate"),
        null_str().alias("instance_type"),
        null_str().alias("operating_system"),
        null_str().alias("tenancy"),
        lit(NULL).cast(DataType::Float64).alias("normalization_factor"),
        pricing_term.alias("pricing_term"),
        when(has_commitment.clone().and(is_sp.clone().not()))
            .then(commitment_id.clone())
            .otherwise(null_str())
            .alias("reservation_arn"),
        when(has_commitment.and(is_sp)).then(commitment_id).otherwise(null_str()).alias("savings_plan_arn"),
        currency.alias("currency"),
        tags.alias("tags"),
    ];
    conform(frame.select(exprs), Table::Costs, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_scan_reports_the_line() {
        assert_eq!(first_invalid_utf8_line(&b"a,b\nc,d\n"[..]).unwrap(), None);
        assert_eq!(first_invalid_utf8_line(&b"a,b\nc,d\ne,\xe9\n"[..]).unwrap(), Some(3));
        assert_eq!(first_invalid_utf8_line(&b"\xff"[..]).unwrap(), Some(1));
        // A multi-byte character split across reads is fine.
        let text = "é".repeat(70_000);
        assert_eq!(first_invalid_utf8_line(text.as_bytes()).unwrap(), None);
        // Truncated at the very end is invalid.
        assert_eq!(first_invalid_utf8_line(&b"ok\n\xc3"[..]).unwrap(), Some(2));
    }

    #[test]
    fn prefixes_are_stripped_case_insensitively() {
        assert_eq!(strip_prefix_ci("resourceTags/user:Team", "resourcetags/"), Some("user:Team"));
        assert_eq!(strip_prefix_ci("resource_tags_user_team", "resource_tags_"), Some("user_team"));
        assert_eq!(strip_prefix_ci("resource_tags", "resource_tags_"), None);
        assert_eq!(strip_user_prefix("user:Team"), "Team");
        assert_eq!(strip_user_prefix("user_team"), "team");
        assert_eq!(strip_user_prefix("aws:createdBy"), "aws:createdBy");
    }

    /// A CUR 2.0 `resource_tags` map column: `List(Struct{key, value})`, one list per row
    /// (every `Some` row needs at least one entry).
    fn tag_map(rows: &[Option<&[(&str, &str)]>]) -> Column {
        let mut row_ids = Vec::new();
        let mut keys = Vec::new();
        let mut values = Vec::new();
        for (row, entries) in rows.iter().enumerate() {
            for (key, value) in entries.unwrap_or_default() {
                row_ids.push(row as u32);
                keys.push(*key);
                values.push(*value);
            }
        }
        let long = df!("row" => row_ids, "key" => keys, "value" => values).unwrap();
        let grouped = long
            .lazy()
            .group_by_stable([col("row")])
            .agg([as_struct(vec![col("key"), col("value")]).alias("resource_tags")])
            .collect()
            .unwrap();
        let all_rows = df!("row" => (0..rows.len() as u32).collect::<Vec<_>>()).unwrap();
        let nulls: Vec<bool> = rows.iter().map(Option::is_none).collect();
        let joined = all_rows
            .lazy()
            .join(grouped.lazy(), [col("row")], [col("row")], JoinArgs::new(JoinType::Left))
            .sort(["row"], SortMultipleOptions::default())
            .collect()
            .unwrap();
        let frame = joined
            .lazy()
            .with_column(lit(Series::new("null".into(), nulls)).alias("is_null"))
            .select([when(col("is_null")).then(lit(NULL)).otherwise(col("resource_tags")).alias("resource_tags")])
            .collect()
            .unwrap();
        frame.column("resource_tags").unwrap().clone()
    }

    fn tags_of(mut columns: Vec<Column>, kinds: &[TagInput]) -> Vec<String> {
        let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
        let out = build_tags(&mut columns, &names, kinds).unwrap();
        out.str().unwrap().iter().map(|v| v.unwrap().to_owned()).collect()
    }

    #[test]
    fn map_tags_skip_null_maps_and_empty_values_across_chunks() {
        let first = tag_map(&[Some(&[("user:team", "data"), ("user:env", "prod")]), None, Some(&[("user:team", "")])]);
        let second = tag_map(&[Some(&[("aws:createdBy", "alice"), ("user:team", "web")])]);
        let mut two_chunks = first.as_materialized_series().clone();
        two_chunks.append(second.as_materialized_series()).unwrap();
        assert_eq!(two_chunks.n_chunks(), 2, "the builder must handle chunked input");
        let tags = tags_of(vec![two_chunks.into_column()], &[TagInput::Map]);
        assert_eq!(tags, [r#"{"env":"prod","team":"data"}"#, "{}", "{}", r#"{"aws:createdBy":"alice","team":"web"}"#]);
    }

    #[test]
    fn json_and_single_tag_columns_merge_and_repeated_objects_are_reused() {
        let json = Column::new(
            "tags".into(),
            [
                Some(r#"{"user:team":"data"}"#),
                Some(r#"{"user:team":"data"}"#),
                None,
                Some(r#"{"user:team":"web","n":3}"#),
            ],
        );
        let single = Column::new("resourceTags/user:owner".into(), [Some("ana"), Some(""), Some("bo"), None]);
        let tags = tags_of(vec![json, single], &[TagInput::Map, TagInput::Single("user:owner".into())]);
        assert_eq!(
            tags,
            [
                r#"{"owner":"ana","team":"data"}"#,
                r#"{"team":"data"}"#,
                r#"{"owner":"bo"}"#,
                r#"{"n":"3","team":"web"}"#
            ]
        );
        let bad = Column::new("tags".into(), ["not json"]);
        let err = build_tags(&mut [bad], &["tags".to_owned()], &[TagInput::Map]).unwrap_err().to_string();
        assert!(err.contains("column `tags` row 1: tags must be a JSON object"), "{err}");
    }
}
