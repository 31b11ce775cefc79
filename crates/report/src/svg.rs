//! Inline SVG charts for the report page, generated in Rust.
//!
//! The report must open from a file, an e-mail attachment or a printout with
//! no network, so the charts are plain SVG markup computed here:
//! - the daily spend trend: an area under a line, a few horizontal grid lines
//!   with dollar labels, the first/middle/last dates, and one hoverable dot per
//!   day whose `<title>` gives that day's exact cost;
//! - savings by category: one horizontal bar per category with its label and
//!   dollars;
//! - evidence sparklines.
//!
//! They scale with their container (`viewBox`), and the output depends only on
//! the input, so snapshots stay stable. Text that could come from data is
//! XML-escaped.

use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::format::{money, money_whole};

/// Drawing area, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// The smallest "round" number (1, 2, 2.5 or 5 × 10ⁿ) at or above `value`; 1 for non-positive input.
pub fn nice_ceiling(value: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let candidate = step * magnitude;
        // Tolerate floating error just above a round number (1000.0000001 → 1000).
        if candidate >= value * (1.0 - 1e-12) {
            return candidate;
        }
    }
    10.0 * magnitude
}

/// Chart coordinates of each value: evenly spaced left to right, 0 at the bottom, `scale_max` at the top.
pub fn points(values: &[f64], scale_max: f64) -> Vec<(f64, f64)> {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = values.len();
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = if n <= 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (n - 1) as f64 };
            let ratio = if scale_max > 0.0 { (v / scale_max).clamp(0.0, 1.0) } else { 0.0 };
            (x, TOP + plot_h * (1.0 - ratio))
        })
        .collect()
}

/// An SVG path through `points` (`M x,y L x,y ...`), one decimal per coordinate.
pub fn line_path(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
    }
    d
}

/// The line path closed down to the baseline, for the shaded area under it.
pub fn area_path(points: &[(f64, f64)]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return String::new() };
    let baseline = HEIGHT - BOTTOM;
    format!("{} L{:.1},{baseline:.1} L{:.1},{baseline:.1} Z", line_path(points), last.0, first.0)
}

/// A small inline sparkline (120 × 24) for an evidence series; empty for fewer than two values.
/// The scale runs from 0 to the series' maximum (100 for percentages), so a flat low line reads as idle.
pub fn sparkline(values: &[f64], unit: &str) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let (width, height, pad) = (120.0_f64, 24.0_f64, 2.0_f64);
    let max = values.iter().copied().fold(0.0, f64::max);
    let scale = if unit == "%" { 100.0 } else { nice_ceiling(max) };
    let last = (values.len() - 1) as f64;
    let mut path = String::new();
    for (i, value) in values.iter().enumerate() {
        let x = pad + (width - 2.0 * pad) * i as f64 / last;
        let y = height - pad - (height - 2.0 * pad) * (value / scale).clamp(0.0, 1.0);
        let _ = write!(path, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
    }
    format!(
        "<svg class=\"sparkline\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{} values, max {}\"><path d=\"{path}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\"/></svg>",
        values.len(),
        crate::format::number_trimmed(max, 1)
    )
}

/// The whole chart for `(day, cost)` pairs in date order; empty when there are no days.
pub fn trend_chart(daily: &[(NaiveDate, f64)]) -> String {
    if daily.is_empty() {
        return String::new();
    }
    let values: Vec<f64> = daily.iter().map(|(_, cost)| *cost).collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let scale = nice_ceiling(max);
    let pts = points(&values, scale);
    let baseline = HEIGHT - BOTTOM;
    let (first_day, last_day) = (daily[0].0, daily[daily.len() - 1].0);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="Daily cost from {first_day} to {last_day}, peaking at {}" xmlns="http://www.w3.org/2000/svg">"#,
        money(max)
    );
    // Grid lines and dollar labels at 0, half and the top of the scale.
    for fraction in [0.0, 0.5, 1.0] {
        let y = TOP + (baseline - TOP) * (1.0 - fraction);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            if fraction == 0.0 { "$0".to_owned() } else { money_whole(scale * fraction) }
        );
    }
    let _ = write!(svg, r#"<path class="area" d="{}"/>"#, area_path(&pts));
    let _ = write!(svg, r#"<path class="line" d="{}"/>"#, line_path(&pts));
    for ((x, y), (day, cost)) in pts.iter().zip(daily) {
        let _ = write!(
            svg,
            r#"<circle class="dot" cx="{x:.1}" cy="{y:.1}" r="3"><title>{day}: {}</title></circle>"#,
            money(*cost)
        );
    }
    // Date labels: first, middle and last day.
    let mut labels = vec![(0, "start")];
    if daily.len() > 2 {
        labels.push((daily.len() / 2, "middle"));
    }
    if daily.len() > 1 {
        labels.push((daily.len() - 1, "end"));
    }
    for (index, anchor) in labels {
        let _ = write!(
            svg,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            pts[index].0,
            HEIGHT - 8.0,
            daily[index].0.format("%b %-d")
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Category bar chart geometry, in SVG user units.
const BARS_WIDTH: f64 = 560.0;
const BARS_LABEL: f64 = 130.0;
const BARS_VALUE: f64 = 84.0;
const BARS_ROW: f64 = 30.0;
const BARS_THICKNESS: f64 = 18.0;

/// `text` with the five XML special characters escaped, safe in SVG text and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart of monthly savings: one bar per `(label, dollars)` in the given order, the
/// largest bar spanning the plot, each labelled on the left and with its whole-dollar figure on the right.
/// Bars with no positive saving are left out; empty when none is left.
pub fn category_chart(bars: &[(&str, f64)]) -> String {
    let bars: Vec<(&str, f64)> = bars.iter().copied().filter(|(_, v)| v.is_finite() && *v > 0.0).collect();
    if bars.is_empty() {
        return String::new();
    }
    let max = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let plot = BARS_WIDTH - BARS_LABEL - BARS_VALUE;
    let height = BARS_ROW * bars.len() as f64;
    let summary: Vec<String> = bars.iter().map(|(label, v)| format!("{label} {}", money_whole(*v))).collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="cbars" viewBox="0 0 {BARS_WIDTH} {height}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="Savings per month by category: {}" xmlns="http://www.w3.org/2000/svg">"#,
        escape_xml(&summary.join(", "))
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let top = BARS_ROW * i as f64;
        let bar_y = top + (BARS_ROW - BARS_THICKNESS) / 2.0;
        let text_y = top + BARS_ROW / 2.0 + 4.5;
        // Tiny savings still show a sliver.
        let width = (plot * value / max).max(1.0);
        let label = escape_xml(label);
        let _ = write!(
            svg,
            r#"<g class="cbar"><title>{label}: {}/month</title><text class="label" x="{:.1}" y="{text_y:.1}" text-anchor="end">{label}</text><rect class="fill" x="{BARS_LABEL:.1}" y="{bar_y:.1}" width="{width:.1}" height="{BARS_THICKNESS:.1}" rx="3"/><text class="value" x="{:.1}" y="{text_y:.1}">{}</text></g>"#,
            money(*value),
            BARS_LABEL - 8.0,
            BARS_LABEL + width + 6.0,
            money_whole(*value)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_rounds_up_to_a_round_number() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(-5.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(180.0), 200.0);
        assert_eq!(nice_ceiling(240.0), 250.0);
        assert_eq!(nice_ceiling(260.0), 500.0);
        assert_eq!(nice_ceiling(0.3), 0.5);
    }

    #[test]
    fn points_span_the_plot_with_zero_at_the_baseline() {
        // Plot: x from 64 to 704, y from 14 (top) to 190 (baseline).
        let pts = points(&[0.0, 50.0, 100.0], 100.0);
        assert_eq!(pts, vec![(64.0, 190.0), (384.0, 102.0), (704.0, 14.0)]);
        // A single day sits in the middle; values above the scale are clamped.
        assert_eq!(points(&[500.0], 100.0), vec![(384.0, 14.0)]);
    }

    #[test]
    fn paths_move_then_draw_lines_and_close_the_area() {
        let pts = [(64.0, 190.0), (384.0, 102.0), (704.0, 14.0)];
        assert_eq!(line_path(&pts), "M64.0,190.0 L384.0,102.0 L704.0,14.0");
        assert_eq!(area_path(&pts), "M64.0,190.0 L384.0,102.0 L704.0,14.0 L704.0,190.0 L64.0,190.0 Z");
        assert_eq!(line_path(&[]), "");
        assert_eq!(area_path(&[]), "");
    }

    #[test]
    fn chart_labels_days_and_dollars() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let svg = trend_chart(&[(day(1), 40.0), (day(2), 80.0), (day(3), 180.0)]);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>2026-11-03: $180.00</title>"), "{svg}");
        assert!(svg.contains(">$200<") && svg.contains(">$100<") && svg.contains(">$0<"), "{svg}");
        assert!(svg.contains(">Nov 1<") && svg.contains(">Nov 2<") && svg.contains(">Nov 3<"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(trend_chart(&[]), "");
    }

    #[test]
    fn sparklines_scale_percentages_to_100_and_need_two_values() {
        // 0 % at the bottom (y = 24 − 2), 50 % half way (12), 100 % at the top (2); x from 2 to 118.
        let svg = sparkline(&[0.0, 50.0, 100.0], "%");
        assert!(svg.contains(r#"d="M2.0,22.0 L60.0,12.0 L118.0,2.0""#), "{svg}");
        assert!(svg.contains(r#"aria-label="3 values, max 100""#), "{svg}");
        // Other units scale to a round ceiling of the maximum: 4 of 5 → y = 22 − 20 × 0.8 = 6.
        assert!(sparkline(&[0.0, 4.0], "GiB").contains("L118.0,6.0"), "{}", sparkline(&[0.0, 4.0], "GiB"));
        assert_eq!(sparkline(&[3.0], "%"), "");
    }

    #[test]
    fn category_bars_scale_to_the_largest_and_label_each_category() {
        // Plot from x = 130 to 476 (346 wide): $500 fills it, $125 is a quarter (86.5); rows 30 high.
        let svg = category_chart(&[("unused", 500.0), ("storage", 125.0), ("spend", 0.0)]);
        assert!(svg.starts_with(r#"<svg class="cbars" viewBox="0 0 560 60""#), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="Savings per month by category: unused $500, storage $125""#), "{svg}");
        assert!(svg.contains(r#"<rect class="fill" x="130.0" y="6.0" width="346.0" height="18.0" rx="3"/>"#), "{svg}");
        assert!(svg.contains(r#"<rect class="fill" x="130.0" y="36.0" width="86.5" height="18.0" rx="3"/>"#), "{svg}");
        assert!(svg.contains(r#"<text class="value" x="482.0" y="19.5">$500</text>"#), "{svg}");
        assert!(svg.contains("<title>storage: $125.00/month</title>"), "{svg}");
        assert!(!svg.contains("spend"), "a category without savings gets no bar: {svg}");
        assert_eq!(svg, category_chart(&[("unused", 500.0), ("storage", 125.0), ("spend", 0.0)]), "deterministic");
    }

    #[test]
    fn category_chart_escapes_labels_and_is_empty_without_savings() {
        let svg = category_chart(&[("<b>\"R&D\"</b>", 12.0)]);
        assert!(!svg.contains("<b>") && !svg.contains("\"R&D"), "{svg}");
        assert!(svg.contains(">&lt;b&gt;&quot;R&amp;D&quot;&lt;/b&gt;</text>"), "{svg}");
        assert!(
            svg.contains(r#"aria-label="Savings per month by category: &lt;b&gt;&quot;R&amp;D&quot;&lt;/b&gt; $12""#),
            "{svg}"
        );
        assert_eq!(category_chart(&[]), "");
        assert_eq!(category_chart(&[("unused", 0.0), ("storage", -3.0), ("spend", f64::NAN)]), "");
        assert_eq!(escape_xml("a'b"), "a&#39;b");
    }
}
