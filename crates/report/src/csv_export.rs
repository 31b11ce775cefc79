//! `findings.csv`: one row per finding, for spreadsheets and e-mail attachments.
//!
//! The columns ([`COLUMNS`], documented in `docs/exports.md`) are a stable
//! contract: new columns are only ever appended. Rows come in the analysis'
//! order (biggest saving first), so the file reads like the report's table.
//!
//! # Format
//!
//! - UTF-8 with a byte-order mark, so Excel shows `×` and `→` instead of
//!   mojibake (every CSV library strips the mark); records end in `\n`; a
//!   header row names the columns; RFC 4180 quoting (a cell with a comma,
//!   double quote or line break is quoted, quotes doubled).
//! - Money: a plain number with two decimals and no currency sign or
//!   thousands separator (`1234.50`), in the snapshot's currency
//!   (`coverage.currency` in findings.json). A negative amount — a change
//!   that costs more than it saves — is a plain negative number (`-12.50`)
//!   that a spreadsheet sums like any other; `-0.00` is written `0.00`.
//! - Missing values (a global finding's region, a resource without a name)
//!   are empty cells.
//!
//! # Formula injection
//!
//! Tags, names and ids come from the AWS account, so anyone who can tag a
//! resource could otherwise plant `=HYPERLINK(...)` in a cost reviewer's
//! spreadsheet (OWASP "CSV injection"). Every cell goes through
//! [`neutralize`]: a cell whose first character — or first character after
//! leading spaces — is `=`, `+`, `-`, `@`, a tab, a carriage return or NUL
//! (or the full-width `＝＋－＠`) gets a leading `'`, which spreadsheets read
//! as "this is text". Plain numbers (`-12.50`) are left alone: they are data,
//! not formulas. A cell that already starts with `'` gets one more, so the
//! rule is reversible: a program reading the file drops one leading `'` from
//! any cell that starts with one.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use costwise_analyzer::{Analysis, Confidence, Finding, Risk};

/// The header row, in order. Appending is allowed; renaming, removing or
/// reordering is a breaking change.
pub const COLUMNS: [&str; 18] = [
    "rule",
    "category",
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "resource_name",
    "title",
    "monthly_cost",
    "monthly_savings",
    "counted",
    "confidence",
    "risk",
    "price_source",
    "price_source_detail",
    "remediation",
    "cli",
    "tags",
];

/// The UTF-8 byte-order mark that starts the file.
pub const BOM: &str = "\u{feff}";

/// The findings of `analysis` as CSV text (starting with [`BOM`]).
pub fn findings_csv(analysis: &Analysis) -> csv::Result<String> {
    let skipped: HashSet<(&str, &str, &str)> = analysis
        .overlaps
        .iter()
        .map(|o| (o.account_id.as_str(), o.resource_id.as_str(), o.skipped_rule.as_str()))
        .collect();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for finding in &analysis.findings {
        let counted =
            !skipped.contains(&(finding.account_id.as_str(), finding.resource_id.as_str(), finding.rule.as_str()));
        writer.write_record(row(finding, counted).iter().map(|cell| neutralize(cell).into_owned()))?;
    }
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    Ok(format!("{BOM}{text}"))
}

/// One finding's cells, in [`COLUMNS`] order, before neutralization.
fn row(f: &Finding, counted: bool) -> [String; COLUMNS.len()] {
    [
        f.rule.clone(),
        f.category.name().to_owned(),
        f.account_id.clone(),
        f.region.clone().unwrap_or_default(),
        f.resource_type.clone(),
        f.resource_id.clone(),
        f.resource_name.clone().unwrap_or_default(),
        f.title.clone(),
        money(f.monthly_cost),
        money(f.monthly_savings),
        counted.to_string(),
        confidence_name(f.confidence).to_owned(),
        risk_name(f.risk).to_owned(),
        f.price_source.origin.to_string(),
        f.price_source.detail.clone(),
        f.remediation.summary.clone(),
        f.remediation.cli.join("\n"),
        tags(&f.tags),
    ]
}

/// `1234.50`, `-12.50`, `0.00`; empty for a non-finite amount.
pub fn money(amount: f64) -> String {
    if !amount.is_finite() {
        return String::new();
    }
    let text = format!("{amount:.2}");
    if text == "-0.00" { "0.00".to_owned() } else { text }
}

/// The confidence as in findings.json.
fn confidence_name(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Low => "low",
        Confidence::Medium => "medium",
        Confidence::High => "high",
    }
}

/// The risk as in findings.json (`change-window`, not the report's `change window`).
fn risk_name(risk: Risk) -> &'static str {
    match risk {
        Risk::NonDisruptive => "non-disruptive",
        Risk::ChangeWindow => "change-window",
        Risk::NeedsTesting => "needs-testing",
    }
}

/// Tags as `key=value;key=value`, sorted by key. A `\` or `;` inside a key or
/// value, and an `=` inside a key, is escaped with a backslash, so the cell
/// splits back unambiguously (split on unescaped `;`, then on the first
/// unescaped `=`).
pub fn tags(tags: &BTreeMap<String, String>) -> String {
    fn escape(text: &str, specials: &[char], out: &mut String) {
        for c in text.chars() {
            if specials.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    let mut out = String::new();
    for (i, (key, value)) in tags.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        escape(key, &['\\', ';', '='], &mut out);
        out.push('=');
        escape(value, &['\\', ';'], &mut out);
    }
    out
}

/// Characters that make a spreadsheet read a cell as a formula (or, for
/// tab, carriage return and NUL, that some spreadsheets skip before one).
const TRIGGERS: [char; 11] = ['=', '+', '-', '@', '\t', '\r', '\0', '＝', '＋', '－', '＠'];

/// The cell, made safe to open in a spreadsheet (see the module docs):
/// prefixed with `'` when it starts — possibly after spaces — with a formula
/// trigger or with `'` itself, unless it is a plain number.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if is_plain_number(cell) {
        return Cow::Borrowed(cell);
    }
    let dangerous = cell.starts_with(TRIGGERS)
        || cell.starts_with('\'')
        || cell.trim_start_matches([' ', '\u{a0}', '\n']).starts_with(TRIGGERS);
    if dangerous { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// `12`, `-12.50`: an optional minus, digits, and optionally a point and digits.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').map_or((unsigned, None), |(w, f)| (w, Some(f)));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes one record of `cells` the way [`findings_csv`] does.
    fn record(cells: &[&str]) -> String {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        writer.write_record(cells.iter().map(|c| neutralize(c).into_owned())).unwrap();
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    /// Reads one record back with a standard CSV reader.
    fn read_back(text: &str) -> Vec<String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        reader.records().next().unwrap().unwrap().iter().map(str::to_owned).collect()
    }

    #[test]
    fn every_trigger_character_gets_a_leading_quote() {
        for trigger in ['=', '+', '-', '@', '\t', '\r', '\0', '＝', '＋', '－', '＠'] {
            let cell = format!("{trigger}SUM(A1:A9)");
            assert_eq!(neutralize(&cell), format!("'{cell}"), "{trigger:?}");
        }
        assert_eq!(neutralize("=1+1"), "'=1+1");
        assert_eq!(neutralize("+1"), "'+1", "a leading plus is not a plain number");
        assert_eq!(neutralize("-1+2"), "'-1+2", "an expression is not a plain number");
        assert_eq!(neutralize("@SUM(1)"), "'@SUM(1)");
        assert_eq!(neutralize("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    }

    #[test]
    fn a_trigger_after_leading_spaces_is_caught_too() {
        assert_eq!(neutralize("  =1+1"), "'  =1+1");
        assert_eq!(neutralize("\n=1+1"), "'\n=1+1");
        assert_eq!(neutralize("\u{a0}@x"), "'\u{a0}@x");
        assert_eq!(neutralize("  plain"), "  plain");
    }

    #[test]
    fn ordinary_text_and_plain_numbers_are_untouched() {
        for cell in ["", "vol-0aaa1111", "a=b", "x-1", "12", "-12.50", "0.00", "1234.5", "111111111111", "tëst ✓"] {
            assert_eq!(neutralize(cell), cell, "{cell:?}");
            assert!(matches!(neutralize(cell), Cow::Borrowed(_)));
        }
        for not_a_number in ["-", "-.5", "1.", "1e5", "1,000", "--1"] {
            assert!(!is_plain_number(not_a_number), "{not_a_number}");
        }
    }

    #[test]
    fn a_leading_quote_is_doubled_so_the_rule_reverses() {
        assert_eq!(neutralize("'=1"), "''=1");
        assert_eq!(neutralize("'quoted"), "''quoted");
        // Reading back: drop one leading quote from any cell that has one.
        for original in ["'=1", "=1", "'quoted", "plain", "-3.50"] {
            let written = neutralize(original);
            let restored = written.strip_prefix('\'').unwrap_or(&written);
            assert_eq!(restored, original);
        }
    }

    #[test]
    fn money_is_a_plain_number_with_two_decimals() {
        assert_eq!(money(8.0), "8.00");
        assert_eq!(money(1234.567), "1234.57");
        assert_eq!(money(399.870_970_238_095_25), "399.87");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(-0.001), "0.00");
        assert_eq!(money(f64::NAN), "");
        // A negative saving stays a number in the file, not a neutralized string.
        assert_eq!(record(&[&money(-12.5)]), "-12.50\n");
    }

    #[test]
    fn hostile_tags_and_names_are_inert_and_round_trip() {
        let hostile = BTreeMap::from([
            ("Name".to_owned(), "<script>alert(1)</script>".to_owned()),
            ("team".to_owned(), "a;b=c\\d".to_owned()),
        ]);
        assert_eq!(tags(&hostile), "Name=<script>alert(1)</script>;team=a\\;b=c\\\\d");
        let formula_key = BTreeMap::from([("=cmd".to_owned(), "x".to_owned())]);
        assert_eq!(tags(&formula_key), "\\=cmd=x", "an `=` in a key is escaped, so the cell starts with `\\`");
        let at_key = BTreeMap::from([("@evil".to_owned(), "1".to_owned())]);
        assert_eq!(neutralize(&tags(&at_key)), "'@evil=1");

        let line = record(&["=HYPERLINK(\"http://x\",\"y\")", "Name=<script>alert(1)</script>"]);
        assert_eq!(line, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",Name=<script>alert(1)</script>\n");
        assert_eq!(read_back(&line), ["'=HYPERLINK(\"http://x\",\"y\")", "Name=<script>alert(1)</script>"]);
    }

    #[test]
    fn quotes_commas_newlines_and_unicode_survive_quoting() {
        let cells = ["say \"hi\", then leave", "line one\nline two", "crème brûlée → 東京 × 2", "a,b", "tab\tinside"];
        let line = record(&cells);
        assert_eq!(
            line,
            "\"say \"\"hi\"\", then leave\",\"line one\nline two\",crème brûlée → 東京 × 2,\"a,b\",tab\tinside\n"
        );
        assert_eq!(read_back(&line), cells);
    }

    #[test]
    fn confidence_and_risk_read_as_in_findings_json() {
        for risk in [Risk::NonDisruptive, Risk::ChangeWindow, Risk::NeedsTesting] {
            assert_eq!(serde_json::to_value(risk).unwrap(), risk_name(risk));
        }
        for confidence in [Confidence::Low, Confidence::Medium, Confidence::High] {
            assert_eq!(serde_json::to_value(confidence).unwrap(), confidence_name(confidence));
        }
    }
}
