//! Billing-file ingest: every supported format against hand-computed totals,
//! snapshots of the normalized rows, and one test per bad-input error.
//!
//! Fixtures live in `fixtures/ingest/billing/`. The CSV files are written by
//! hand (see `sources/` for the inputs of the Parquet files). The Parquet
//! fixtures (`cur2.parquet`, `cur2-dir/**`, `focus-1.0.parquet`,
//! `bad/truncated.parquet`) are generated from those CSV sources by
//! [`regenerate_parquet_fixtures`], which only writes when the environment
//! variable `COSTWISE_REGENERATE_FIXTURES=1` is set:
//!
//! ```sh
//! COSTWISE_REGENERATE_FIXTURES=1 cargo test -p costwise-analyzer --test ingest_billing regenerate
//! ```
//!
//! Commit the regenerated files.
//!
//! The CUR fixtures hold the same 16 line items (every line item type, an RI
//! and two savings plans, two accounts, two regions, tags). Their totals, by
//! hand: unblended 1664.094, amortized 102.352 (see the per-type table in
//! `CUR_AMORTIZED_BY_TYPE`), public on-demand 12.508 (the negation row's
//! 2.064 is not counted). The FOCUS fixtures hold 12 charges of the same
//! account in FOCUS terms: billed 73.294, effective 1.552, list 11.708.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use costwise_analyzer::Error;
use costwise_analyzer::Table;
use costwise_analyzer::ingest::billing::{
    BillingFormat, FocusVersion, column_key, detect_format, normalize_cur, normalize_focus, read_billing,
};
use polars::prelude::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest/billing")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

const EPS: f64 = 1e-9;

/// CUR amortized cost per line item type, by hand from the fixture rows.
const CUR_AMORTIZED_BY_TYPE: &[(&str, f64)] = &[
    ("Credit", -20.0),
    ("DiscountedUsage", 2.568),        // reservation_effective_cost
    ("Fee", 100.0),                    // RI upfront 500 -> 0; support fee 100 stays
    ("RIFee", 3.75),                   // unused amortized upfront 1.5 + unused recurring 2.25
    ("Refund", -5.0),                  // ComputeSavingsPlans refund -10 -> 0; EC2 refund -5 stays
    ("SavingsPlanCoveredUsage", 1.44), // savings_plan_savings_plan_effective_cost
    ("SavingsPlanNegation", 0.0),      // -2.064 unblended -> 0
    ("SavingsPlanRecurringFee", 1.5),  // 36 committed - 34.5 used
    ("SavingsPlanUpfrontFee", 0.0),    // 1000 -> 0
    ("Tax", 12.34),
    ("Usage", 5.754), // 2.304 + 2.3 + 0.35 + 0.8
];

/// FOCUS EffectiveCost per mapped line item type.
const FOCUS_AMORTIZED_BY_TYPE: &[(&str, f64)] = &[
    ("Credit", -20.0),
    ("DiscountedUsage", 2.568),
    ("Fee", 0.0), // RI and SP recurring purchases: EffectiveCost 0
    ("RIFee", 3.75),
    ("Refund", -5.0),
    ("SavingsPlanCoveredUsage", 1.44),
    ("SavingsPlanRecurringFee", 1.5),
    ("Tax", 12.34),
    ("Usage", 4.954), // 2.304 + 2.3 + 0.35
];

struct Totals {
    rows: usize,
    unblended: f64,
    amortized: f64,
    public: f64,
}

fn totals(df: &DataFrame) -> Totals {
    let sum = |name: &str| df.column(name).unwrap().f64().unwrap().sum().unwrap_or(0.0);
    Totals {
        rows: df.height(),
        unblended: sum("unblended_cost"),
        amortized: sum("amortized_cost"),
        public: sum("public_on_demand_cost"),
    }
}

fn amortized_by_type(df: &DataFrame) -> BTreeMap<String, f64> {
    let types = df.column("line_item_type").unwrap().str().unwrap().clone();
    let costs = df.column("amortized_cost").unwrap().f64().unwrap().clone();
    let mut out = BTreeMap::new();
    for (t, c) in types.iter().zip(costs.iter()) {
        *out.entry(t.unwrap().to_owned()).or_insert(0.0) += c.unwrap();
    }
    out
}

fn assert_by_type(df: &DataFrame, expected: &[(&str, f64)]) {
    let actual = amortized_by_type(df);
    let keys: Vec<&str> = actual.keys().map(String::as_str).collect();
    let expected_keys: Vec<&str> = expected.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, expected_keys);
    for (t, v) in expected {
        assert!((actual[*t] - v).abs() < EPS, "{t}: {} != {v}", actual[*t]);
    }
}

/// The string value of `column` in the row whose `resource_id` is `resource`.
fn value_for(df: &DataFrame, resource: &str, column: &str) -> Option<String> {
    let ids = df.column("resource_id").unwrap().str().unwrap();
    let row = ids.iter().position(|v| v == Some(resource)).unwrap_or_else(|| panic!("no row for {resource}"));
    match df.column(column).unwrap().get(row).unwrap() {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_owned()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

fn as_csv(df: &DataFrame) -> String {
    let mut df = df.clone();
    let mut out = Vec::new();
    CsvWriter::new(&mut out).include_header(true).finish(&mut df).unwrap();
    String::from_utf8(out).unwrap()
}

fn load(name: &str) -> (BillingFormat, String, DataFrame) {
    let file = read_billing(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let df = file.frame.collect().unwrap();
    assert_eq!(df.schema().as_ref(), &Table::Costs.schema(), "{name}: costs schema");
    (file.format, file.container, df)
}

fn assert_cur(df: &DataFrame) {
    let t = totals(df);
    assert_eq!(t.rows, 16);
    assert!((t.unblended - 1664.094).abs() < EPS, "unblended {}", t.unblended);
    assert!((t.amortized - 102.352).abs() < EPS, "amortized {}", t.amortized);
    assert!((t.public - 12.508).abs() < EPS, "public {}", t.public);
    assert_by_type(df, CUR_AMORTIZED_BY_TYPE);

    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "tags").unwrap(), r#"{"Env":"prod","Team":"web"}"#);
    assert_eq!(value_for(df, "costwise-data-eu", "tags").unwrap(), r#"{"Name":"lake \"raw\"","Team":"data"}"#);
    assert_eq!(value_for(df, "vol-0a1b2c3d4e5f60005", "tags").unwrap(), r#"{"Name":"db, primary","Team":"web"}"#);
    let untagged = df.column("tags").unwrap().str().unwrap().iter().filter(|t| *t == Some("{}")).count();
    assert_eq!(untagged, 10);

    // Attributes: top-level column, product map (CUR 2.0) or product/* column (legacy).
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "instance_type").as_deref(), Some("m5.large"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "operating_system").as_deref(), Some("Linux"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "tenancy").as_deref(), Some("Shared"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "region").as_deref(), Some("us-east-1"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "normalization_factor").as_deref(), Some("4.0"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "pricing_term").as_deref(), Some("OnDemand"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60004", "pricing_term").as_deref(), Some("Spot"));
    assert_eq!(value_for(df, "costwise-data-eu", "region").as_deref(), Some("eu-west-1"));
    assert_eq!(value_for(df, "costwise-data-eu", "product_family").as_deref(), Some("Storage"));
    assert_eq!(
        value_for(df, "i-0a1b2c3d4e5f60002", "reservation_arn").as_deref(),
        Some("arn:aws:ec2:us-east-1:111111111111:reserved-instances/4b2f7c1e-5d3a-4e8f-9a1b-0c2d3e4f5a6b")
    );
    assert_eq!(
        value_for(df, "i-0a1b2c3d4e5f60003", "savings_plan_arn").as_deref(),
        Some("arn:aws:savingsplans::111111111111:savingsplan/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b")
    );
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60003", "account_id").as_deref(), Some("222222222222"));

    let accounts = df.column("account_id").unwrap().str().unwrap().unique().unwrap().sort(false);
    let accounts: Vec<_> = accounts.iter().collect();
    assert_eq!(accounts, [Some("111111111111"), Some("222222222222")]);
    let currencies = df.column("currency").unwrap().str().unwrap().unique().unwrap();
    let currencies: Vec<_> = currencies.iter().collect();
    assert_eq!(currencies, [Some("USD")]);

    let starts = df.column("usage_start").unwrap().as_materialized_series().clone();
    let ends = df.column("usage_end").unwrap().as_materialized_series().clone();
    assert_eq!(starts.min_reduce().unwrap().value().to_string(), "2026-10-01 00:00:00");
    assert_eq!(ends.max_reduce().unwrap().value().to_string(), "2026-11-01 00:00:00");
    assert_eq!(starts.null_count() + ends.null_count(), 0);
}

fn assert_focus(df: &DataFrame, with_aws_columns: bool) {
    let t = totals(df);
    assert_eq!(t.rows, 12);
    assert!((t.unblended - 73.294).abs() < EPS, "billed {}", t.unblended);
    assert!((t.amortized - 1.552).abs() < EPS, "effective {}", t.amortized);
    assert!((t.public - 11.708).abs() < EPS, "list {}", t.public);
    assert_by_type(df, FOCUS_AMORTIZED_BY_TYPE);

    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "tags").unwrap(), r#"{"Env":"prod","Team":"web"}"#);
    assert_eq!(value_for(df, "costwise-data-eu", "tags").unwrap(), r#"{"Name":"lake \"raw\"","Team":"data"}"#);
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60002", "line_item_type").as_deref(), Some("DiscountedUsage"));
    assert_eq!(
        value_for(df, "i-0a1b2c3d4e5f60002", "reservation_arn").as_deref(),
        Some("arn:aws:ec2:us-east-1:111111111111:reserved-instances/4b2f7c1e-5d3a-4e8f-9a1b-0c2d3e4f5a6b")
    );
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60002", "savings_plan_arn"), None);
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60003", "line_item_type").as_deref(), Some("SavingsPlanCoveredUsage"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60003", "account_id").as_deref(), Some("222222222222"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60003", "account_name").as_deref(), Some("dev"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60003", "region").as_deref(), Some("eu-west-1"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60003", "usage_amount").as_deref(), Some("24.0"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60004", "pricing_term").as_deref(), Some("Spot"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "pricing_term").as_deref(), Some("OnDemand"));
    assert_eq!(value_for(df, "i-0a1b2c3d4e5f60001", "public_on_demand_rate").as_deref(), Some("0.096"));
    let (service, usage_type) = if with_aws_columns {
        (Some("AmazonS3"), Some("EU-TimedStorage-ByteHrs"))
    } else {
        (Some("Amazon Simple Storage Service"), None)
    };
    assert_eq!(value_for(df, "costwise-data-eu", "service").as_deref(), service);
    assert_eq!(value_for(df, "costwise-data-eu", "usage_type").as_deref(), usage_type);
}

// ---------------------------------------------------------------------------
// Formats

#[test]
fn cur2_parquet() {
    let (format, container, df) = load("cur2.parquet");
    assert_eq!((format, container.as_str()), (BillingFormat::Cur2, "Parquet"));
    assert_eq!(format.to_string(), "CUR 2.0");
    assert_cur(&df);
    insta::assert_snapshot!("cur2_parquet", as_csv(&df));
}

#[test]
fn cur2_csv_gz() {
    let (format, container, df) = load("cur2.csv.gz");
    assert_eq!((format, container.as_str()), (BillingFormat::Cur2, "CSV.gz"));
    assert_cur(&df);
    insta::assert_snapshot!("cur2_csv_gz", as_csv(&df));
}

#[test]
fn cur2_csv_matches_parquet() {
    let (format, container, df) = load("cur2.csv");
    assert_eq!((format, container.as_str()), (BillingFormat::Cur2, "CSV"));
    assert_cur(&df);
    let (_, _, parquet) = load("cur2.parquet");
    assert_eq!(as_csv(&df), as_csv(&parquet));
}

#[test]
fn cur2_directory_of_parts() {
    let (format, container, df) = load("cur2-dir");
    assert_eq!((format, container.as_str()), (BillingFormat::Cur2, "Parquet"));
    assert_cur(&df);
    insta::assert_snapshot!("cur2_directory", as_csv(&df));
}

#[test]
fn legacy_cur_csv() {
    let (format, container, df) = load("legacy-cur.csv");
    assert_eq!((format, container.as_str()), (BillingFormat::LegacyCur, "CSV"));
    assert_eq!(format.to_string(), "legacy CUR");
    assert_cur(&df);
    // Legacy CUR has no account names.
    assert_eq!(df.column("account_name").unwrap().null_count(), 16);
    insta::assert_snapshot!("legacy_cur_csv", as_csv(&df));
}

#[test]
fn focus_1_2_csv() {
    let (format, container, df) = load("focus-1.2.csv");
    assert_eq!((format, container.as_str()), (BillingFormat::Focus(FocusVersion::V1_2), "CSV"));
    assert_eq!(format.to_string(), "FOCUS 1.2");
    assert_focus(&df, true);
    insta::assert_snapshot!("focus_1_2_csv", as_csv(&df));
}

#[test]
fn focus_1_0_parquet() {
    let (format, container, df) = load("focus-1.0.parquet");
    assert_eq!((format, container.as_str()), (BillingFormat::Focus(FocusVersion::V1_0), "Parquet"));
    assert_eq!(format.to_string(), "FOCUS 1.0");
    assert_focus(&df, false);
    insta::assert_snapshot!("focus_1_0_parquet", as_csv(&df));
}

#[test]
fn athena_style_legacy_cur_in_memory() {
    let frame = df! {
        "line_item_usage_start_date" => ["2026-10-01 00:00:00", "2026-10-01T01:00:00", "2026-10-01T02:00:00.250Z", "2026-10-02"],
        "line_item_usage_end_date" => ["2026-10-01 01:00:00", "2026-10-01T02:00:00", "2026-10-01T03:00:00.000Z", "2026-10-03"],
        "line_item_usage_account_id" => ["111111111111"; 4],
        "line_item_line_item_type" => ["Usage", "Usage", "DiscountedUsage", "Tax"],
        "line_item_product_code" => ["AmazonEC2"; 4],
        "line_item_usage_type" => ["BoxUsage:t3.micro", "SpotUsage:t3.micro", "BoxUsage:t3.micro", ""],
        "line_item_unblended_cost" => [0.0104, 0.0031, 0.0, 0.5],
        "reservation_effective_cost" => [None, None, Some(0.0062), None],
        "line_item_currency_code" => ["USD"; 4],
        "product_operating_system" => ["Linux", "Linux", "Linux", ""],
        "resource_tags_user_team" => [Some("web"), None, Some(""), None],
        "resource_tags_user_cost_center" => [Some("42"), Some("7"), None, None],
    }
    .unwrap();
    let columns: Vec<&str> = frame.get_column_names().into_iter().map(PlSmallStr::as_str).collect();
    assert_eq!(detect_format(&columns), Some(BillingFormat::LegacyCur));
    let df = normalize_cur(frame.lazy(), Path::new("athena.parquet")).unwrap().collect().unwrap();
    let tags: Vec<_> = df.column("tags").unwrap().str().unwrap().iter().map(Option::unwrap).collect();
    assert_eq!(tags, [r#"{"cost_center":"42","team":"web"}"#, r#"{"cost_center":"7"}"#, "{}", "{}"]);
    let amortized: Vec<_> = df.column("amortized_cost").unwrap().f64().unwrap().into_no_null_iter().collect();
    assert_eq!(amortized, [0.0104, 0.0031, 0.0062, 0.5]);
    let terms: Vec<_> = df.column("pricing_term").unwrap().str().unwrap().iter().collect();
    assert_eq!(terms, [None, Some("Spot"), None, None]);
    let starts: Vec<String> =
        df.column("usage_start").unwrap().as_materialized_series().iter().map(|v| v.to_string()).collect();
    assert_eq!(
        starts,
        ["2026-10-01 00:00:00", "2026-10-01 01:00:00", "2026-10-01 02:00:00.250", "2026-10-02 00:00:00"]
    );
    // Missing optional columns are null / 0; empty strings are null.
    assert_eq!(df.column("usage_amount").unwrap().f64().unwrap().sum(), Some(0.0));
    assert_eq!(df.column("public_on_demand_cost").unwrap().f64().unwrap().sum(), Some(0.0));
    assert_eq!(df.column("operating_system").unwrap().null_count(), 1);
    assert_eq!(df.column("usage_type").unwrap().null_count(), 1);
}

#[test]
fn cur2_in_memory_frame_with_maps_and_timestamps() {
    // What the demo generator builds: typed columns, `product` / `resource_tags` as maps.
    let source = fixture("sources/cur2-part-1.csv");
    let frame = typed_cur2_frame(&source);
    let df = normalize_cur(frame.lazy(), Path::new("demo")).unwrap().collect().unwrap();
    assert_eq!(df.height(), 8);
    assert_eq!(value_for(&df, "i-0a1b2c3d4e5f60003", "operating_system").as_deref(), Some("Linux"));
    assert_eq!(value_for(&df, "i-0a1b2c3d4e5f60003", "tags").unwrap(), r#"{"Env":"dev","Team":"data"}"#);
    let amortized = df.column("amortized_cost").unwrap().f64().unwrap().sum().unwrap();
    // 2.304 + 2.568 + 3.75 + 0 + 1.44 + 0 + 1.5 + 0
    assert!((amortized - 11.562).abs() < EPS, "{amortized}");
}

// ---------------------------------------------------------------------------
// Detection and name matching

#[test]
fn column_keys_ignore_case_and_style() {
    for name in
        ["lineItem/UnblendedCost", "line_item_unblended_cost", "LINEITEM/UNBLENDEDCOST", "lineitem:unblended_cost"]
    {
        assert_eq!(column_key(name), "lineitemunblendedcost", "{name}");
    }
    assert_eq!(column_key("savingsPlan/SavingsPlanARN"), column_key("savings_plan_savings_plan_a_r_n"));
    assert_eq!(column_key("reservation/ReservationARN"), column_key("reservation_reservation_a_r_n"));
    assert_eq!(column_key("pricing/publicOnDemandCost"), column_key("pricing_public_on_demand_cost"));
    assert_eq!(column_key("resourceTags/user:Team"), "resourcetagsuserteam");
    assert_eq!(column_key("BilledCost"), column_key("billed_cost"));
}

#[test]
fn detects_formats_and_focus_versions() {
    let cur = ["line_item_unblended_cost", "line_item_line_item_type", "line_item_usage_account_id"];
    assert_eq!(detect_format(&[&cur[..], &["product"]].concat()), Some(BillingFormat::Cur2));
    assert_eq!(detect_format(&[&cur[..], &["resource_tags"]].concat()), Some(BillingFormat::Cur2));
    assert_eq!(detect_format(&[&cur[..], &["bill_payer_account_name"]].concat()), Some(BillingFormat::Cur2));
    assert_eq!(detect_format(&[&cur[..], &["resource_tags_user_team"]].concat()), Some(BillingFormat::LegacyCur));
    assert_eq!(
        detect_format(&["lineItem/UnblendedCost", "LINEITEM/LINEITEMTYPE", "product/instanceType"]),
        Some(BillingFormat::LegacyCur)
    );
    let focus = ["BilledCost", "EffectiveCost", "ChargePeriodStart", "ChargeCategory"];
    assert_eq!(detect_format(&focus), Some(BillingFormat::Focus(FocusVersion::V1_0)));
    assert_eq!(
        detect_format(&[&focus[..], &["ServiceSubcategory"]].concat()),
        Some(BillingFormat::Focus(FocusVersion::V1_1))
    );
    assert_eq!(
        detect_format(&[&focus[..], &["ServiceSubcategory", "InvoiceId"]].concat()),
        Some(BillingFormat::Focus(FocusVersion::V1_2))
    );
    assert_eq!(
        detect_format(&["billed_cost", "charge_period_start", "sub_account_type"]),
        Some(BillingFormat::Focus(FocusVersion::V1_2))
    );
    assert_eq!(detect_format(&["date", "amount"]), None);
    assert_eq!(BillingFormat::Focus(FocusVersion::V1_1).to_string(), "FOCUS 1.1");
}

// ---------------------------------------------------------------------------
// Errors

fn error_for(name: &str) -> (Error, String) {
    let err = read_billing(&fixture(name)).expect_err(name);
    let message = err.to_string();
    let file = Path::new(name).file_name().unwrap().to_str().unwrap();
    assert!(message.contains(file), "message should name {file}: {message}");
    (err, message)
}

#[test]
fn missing_required_column() {
    let (err, message) = error_for("bad/missing-column.csv");
    assert!(
        matches!(err, Error::MissingColumn { ref column, .. } if column == "line_item_usage_account_id"),
        "{err:?}"
    );
    assert!(message.contains("`line_item_usage_account_id`"), "{message}");
    assert!(message.contains("lineItem/UsageAccountId"), "{message}");
}

#[test]
fn non_numeric_cost() {
    let (err, message) = error_for("bad/non-numeric-cost.csv");
    assert!(matches!(err, Error::WrongType { .. }), "{err:?}");
    assert!(message.contains("`line_item_unblended_cost`"), "{message}");
    assert!(message.contains("a number"), "{message}");
    assert!(message.contains("`12,5 USD` at row 3 (line 4)"), "{message}");
}

#[test]
fn truncated_parquet() {
    let (err, message) = error_for("bad/truncated.parquet");
    assert!(matches!(err, Error::BadParquet { .. }), "{err:?}");
    assert!(message.contains("unreadable Parquet"), "{message}");
}

#[test]
fn non_utf8_csv() {
    let (err, message) = error_for("bad/non-utf8.csv");
    assert!(matches!(err, Error::NonUtf8 { line: 3, .. }), "{err:?}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn mixed_currencies() {
    let (err, message) = error_for("bad/mixed-currencies.csv");
    assert!(matches!(err, Error::MixedCurrencies { ref currencies, .. } if currencies == &["EUR", "USD"]), "{err:?}");
    assert!(message.contains("(EUR, USD)"), "{message}");
}

#[test]
fn unknown_columns() {
    let (err, message) = error_for("bad/unknown-columns.csv");
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
    for needle in [
        "line_item_unblended_cost",
        "lineItem/UnblendedCost",
        "BilledCost",
        "ChargePeriodStart",
        "date, account, amount",
    ] {
        assert!(message.contains(needle), "{needle} missing from: {message}");
    }
}

#[test]
fn bad_timestamp_and_empty_account_in_memory() {
    let frame = |start: &str, account: &str| {
        df! {
            "line_item_usage_start_date" => ["2026-10-01T00:00:00Z", start],
            "line_item_usage_end_date" => ["2026-10-02T00:00:00Z", "2026-10-02T00:00:00Z"],
            "line_item_usage_account_id" => ["111111111111", account],
            "line_item_line_item_type" => ["Usage", "Usage"],
            "line_item_product_code" => ["AmazonEC2", "AmazonEC2"],
            "line_item_unblended_cost" => ["1", "2"],
            "line_item_currency_code" => ["USD", "USD"],
        }
        .unwrap()
        .lazy()
    };
    let err = normalize_cur(frame("yesterday", "1"), Path::new("mem.csv")).err().expect("an error");
    assert_eq!(
        err.to_string(),
        "mem.csv: column `line_item_usage_start_date` should be a UTC timestamp like `2026-10-01T00:00:00Z`, found `yesterday` at row 2"
    );
    let err = normalize_cur(frame("2026-10-01T00:00:00Z", ""), Path::new("mem.csv")).err().expect("an error");
    assert_eq!(
        err.to_string(),
        "mem.csv: column `line_item_usage_account_id` must not be empty, but 1 row(s) are (first at row 2)"
    );
}

#[test]
fn focus_missing_cost_column_and_bad_value() {
    let base = || {
        df! {
            "BilledCost" => ["1.5", "abc"],
            "ChargePeriodStart" => ["2026-10-01T00:00:00Z"; 2],
            "ChargePeriodEnd" => ["2026-10-02T00:00:00Z"; 2],
            "ChargeCategory" => ["Usage"; 2],
            "BillingCurrency" => ["USD"; 2],
            "ServiceName" => ["Amazon EC2"; 2],
            "SubAccountId" => ["111111111111"; 2],
        }
        .unwrap()
    };
    let err = normalize_focus(base().lazy(), Path::new("focus.csv")).err().expect("an error");
    assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "EffectiveCost"), "{err:?}");
    assert!(err.to_string().starts_with("focus.csv: missing required column `EffectiveCost`"), "{err}");
    let mut with_effective = base();
    with_effective.with_column(Column::new("EffectiveCost".into(), ["1.5", "2"])).unwrap();
    let err = normalize_focus(with_effective.lazy(), Path::new("focus.csv")).err().expect("an error");
    assert_eq!(err.to_string(), "focus.csv: column `BilledCost` should be a number, found `abc` at row 2");
}

#[test]
fn directory_without_parts() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("README.txt"), "not billing data").unwrap();
    let err = read_billing(dir.path()).expect_err("no parts");
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
    assert!(err.to_string().contains("no *.parquet, *.csv or *.csv.gz"), "{err}");
}

// ---------------------------------------------------------------------------
// Fixture generation (only with COSTWISE_REGENERATE_FIXTURES=1)

/// Numeric columns of the CUR 2.0 and FOCUS sources (everything else is text or a timestamp).
const NUMERIC: &[&str] = &[
    "line_item_usage_amount",
    "line_item_normalization_factor",
    "line_item_unblended_rate",
    "line_item_unblended_cost",
    "pricing_public_on_demand_cost",
    "pricing_public_on_demand_rate",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "ContractedCost",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "PricingQuantity",
];

const TIMESTAMPS: &[&str] = &[
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
];

fn read_text_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

/// A JSON-object column as a Parquet-style map: `List(Struct{key, value})`.
fn json_to_map(column: &Column) -> Column {
    let ca = column.str().unwrap();
    let lists: Vec<Series> = ca
        .iter()
        .map(|text| {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text.unwrap_or("{}")).unwrap();
            let keys = Series::new("key".into(), map.keys().cloned().collect::<Vec<_>>());
            let values =
                Series::new("value".into(), map.values().map(|v| v.as_str().unwrap().to_owned()).collect::<Vec<_>>());
            StructChunked::from_series("entry".into(), keys.len(), [keys, values].iter()).unwrap().into_series()
        })
        .collect();
    let list: ListChunked = lists.into_iter().map(Some).collect();
    list.with_name(column.name().clone()).into_column()
}

/// Types a text CSV the way AWS writes Parquet: numbers as float64, timestamps, maps.
fn typed_cur2_frame(source: &Path) -> DataFrame {
    let raw = read_text_csv(source);
    let mut exprs = Vec::new();
    for name in raw.get_column_names() {
        let c = col(name.clone());
        exprs.push(if NUMERIC.contains(&name.as_str()) {
            c.strict_cast(DataType::Float64)
        } else if TIMESTAMPS.contains(&name.as_str()) {
            c.str().strip_suffix(lit("Z")).str().to_datetime(
                Some(TimeUnit::Milliseconds),
                None,
                StrptimeOptions { format: Some("%Y-%m-%dT%H:%M:%S".into()), ..StrptimeOptions::default() },
                lit("raise"),
            )
        } else {
            c
        });
    }
    let mut df = raw.clone().lazy().select(exprs).collect().unwrap();
    for map in ["product", "resource_tags"] {
        if let Ok(column) = raw.column(map) {
            df.with_column(json_to_map(column)).unwrap();
        }
    }
    df
}

fn write_parquet(mut df: DataFrame, path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = fs::File::create(path).unwrap();
    ParquetWriter::new(file).with_compression(ParquetCompression::Snappy).finish(&mut df).unwrap();
}

#[test]
fn regenerate_parquet_fixtures() {
    if std::env::var("COSTWISE_REGENERATE_FIXTURES").as_deref() != Ok("1") {
        return;
    }
    write_parquet(typed_cur2_frame(&fixture("cur2.csv")), &fixture("cur2.parquet"));
    let dir = fixture("cur2-dir/data/BILLING_PERIOD=2026-10");
    write_parquet(typed_cur2_frame(&fixture("sources/cur2-part-1.csv")), &dir.join("cur2-00001.snappy.parquet"));
    write_parquet(typed_cur2_frame(&fixture("sources/cur2-part-2.csv")), &dir.join("cur2-00002.snappy.parquet"));
    write_parquet(typed_cur2_frame(&fixture("sources/focus-1.0.csv")), &fixture("focus-1.0.parquet"));
    let whole = fs::read(fixture("cur2.parquet")).unwrap();
    fs::write(fixture("bad/truncated.parquet"), &whole[..whole.len() / 2]).unwrap();
}
