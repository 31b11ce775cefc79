//! Turning numbers into the text a reader sees: money, percentages,
//! quantities and evidence values.
//!
//! Templates never format numbers (DESIGN.md: "money is formatted in Rust,
//! never in templates"), so every figure on the page, in the terminal table
//! and in e-mails goes through these functions and reads the same
//! everywhere. All amounts are in the snapshot's currency, which the
//! analyzer's prices assume to be USD.

use costwise_analyzer::EvidenceValue;

/// A number with thousands separators and exactly `decimals` decimals (`1,234.50`).
pub fn number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    // A value that rounds to zero never shows a minus sign ("-0.00").
    if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    let digits = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac_part {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A number with up to `max_decimals` decimals, trailing zeros dropped (`412`, `2.5`).
pub fn number_trimmed(value: f64, max_decimals: usize) -> String {
    let text = number(value, max_decimals);
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

/// Money with cents: `$1,234.56`, `-$3.10`.
pub fn money(amount: f64) -> String {
    with_dollar(&number(amount, 2))
}

/// Money in whole dollars, for headline figures where cents are noise: `$1,235`.
///
/// Amounts under $10 keep their cents so that a small saving does not read as `$0`.
pub fn money_whole(amount: f64) -> String {
    if amount.abs() < 10.0 { money(amount) } else { with_dollar(&number(amount, 0)) }
}

/// A change in money with an explicit sign: `+$12.00`, `-$3.00`, `$0.00`.
pub fn signed_money(amount: f64) -> String {
    let text = money(amount);
    if text.starts_with('-') || text == "$0.00" { text } else { format!("+{text}") }
}

fn with_dollar(number: &str) -> String {
    match number.strip_prefix('-') {
        Some(rest) => format!("-${rest}"),
        None => format!("${number}"),
    }
}

/// A percentage with one decimal (`12.3%`); tiny non-zero shares read `<0.1%`.
pub fn percent(value: f64) -> String {
    if value > 0.0 && value < 0.05 {
        return "<0.1%".into();
    }
    format!("{}%", number(value, 1))
}

/// A percentage change with an explicit sign (`+12.3%`, `-4.0%`).
pub fn signed_percent(value: f64) -> String {
    let text = percent(value);
    if text.starts_with('-') || text == "0.0%" { text } else { format!("+{text}") }
}

/// A quantity with its unit (`412 GiB`, `1 day`, `38 days`, `2.5 MiB/s`).
pub fn quantity(value: f64, unit: &str) -> String {
    let unit = if value == 1.0 && unit == "days" { "day" } else { unit };
    let value = number_trimmed(value, 2);
    if unit.is_empty() { value } else { format!("{value} {unit}") }
}

/// How one piece of evidence reads.
pub fn evidence_value(value: &EvidenceValue) -> String {
    match value {
        EvidenceValue::Quantity { value, unit } => quantity(*value, unit),
        EvidenceValue::Money { amount, per: Some(per) } => format!("{}/{per}", money(*amount)),
        EvidenceValue::Money { amount, per: None } => money(*amount),
        EvidenceValue::Percent { value } => percent(*value),
        EvidenceValue::Text { text } => text.clone(),
        EvidenceValue::Series { values, unit } => {
            let shown: Vec<String> = values.iter().map(|v| number_trimmed(*v, 1)).collect();
            let unit = if unit.is_empty() { String::new() } else { format!(" {unit}") };
            format!("{}{unit}", shown.join(" · "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands_and_round() {
        assert_eq!(number(0.0, 2), "0.00");
        assert_eq!(number(999.994, 2), "999.99");
        assert_eq!(number(999.995, 0), "1,000");
        assert_eq!(number(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(number(-1_234.5, 1), "-1,234.5");
        assert_eq!(number(-0.001, 2), "0.00");
        assert_eq!(number(123_456.0, 0), "123,456");
        assert_eq!(number(f64::NAN, 2), "n/a");
        assert_eq!(number_trimmed(2.50, 2), "2.5");
        assert_eq!(number_trimmed(412.0, 2), "412");
        assert_eq!(number_trimmed(1500.0, 2), "1,500");
    }

    #[test]
    fn money_has_a_dollar_sign_before_the_digits() {
        assert_eq!(money(8.0), "$8.00");
        assert_eq!(money(1234.567), "$1,234.57");
        assert_eq!(money(-3.1), "-$3.10");
        assert_eq!(money_whole(1234.6), "$1,235");
        assert_eq!(money_whole(9.5), "$9.50");
        assert_eq!(money_whole(-25_000.4), "-$25,000");
        assert_eq!(signed_money(12.0), "+$12.00");
        assert_eq!(signed_money(-12.0), "-$12.00");
        assert_eq!(signed_money(0.0), "$0.00");
    }

    #[test]
    fn percentages_keep_one_decimal_and_mark_tiny_shares() {
        assert_eq!(percent(12.345), "12.3%");
        assert_eq!(percent(100.0), "100.0%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(0.01), "<0.1%");
        assert_eq!(signed_percent(100.0), "+100.0%");
        assert_eq!(signed_percent(-4.04), "-4.0%");
        assert_eq!(signed_percent(0.0), "0.0%");
    }

    #[test]
    fn every_evidence_kind_reads_naturally() {
        let q = |value, unit: &str| EvidenceValue::Quantity { value, unit: unit.into() };
        assert_eq!(evidence_value(&q(412.0, "GiB")), "412 GiB");
        assert_eq!(evidence_value(&q(1.0, "days")), "1 day");
        assert_eq!(evidence_value(&q(38.0, "days")), "38 days");
        assert_eq!(evidence_value(&q(3000.0, "IOPS")), "3,000 IOPS");
        assert_eq!(evidence_value(&q(2.346, "")), "2.35");
        assert_eq!(evidence_value(&EvidenceValue::Money { amount: 40.0, per: Some("month".into()) }), "$40.00/month");
        assert_eq!(evidence_value(&EvidenceValue::Money { amount: 0.126, per: None }), "$0.13");
        assert_eq!(evidence_value(&EvidenceValue::Percent { value: 87.26 }), "87.3%");
        assert_eq!(evidence_value(&EvidenceValue::Text { text: "gp2".into() }), "gp2");
    }
}
