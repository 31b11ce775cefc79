//! The plain-text summary `costwise analyze` prints in a terminal.
//!
//! It reads the same [`ReportView`] as the HTML page, so the figures match
//! the page to the cent; it only chooses what fits in a terminal: the
//! headline, spend by service, the findings list, failures and unmatched
//! exclusions.

use std::fmt::Write as _;

use crate::view::ReportView;

/// How many services the terminal summary lists.
const MAX_SERVICES: usize = 10;

/// Renders the summary, ending in a newline.
pub fn render(view: &ReportView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "costwise: data as of {}, billing period {}", view.as_of, view.period);
    let accounts = if view.accounts.is_empty() { "none recorded".to_owned() } else { view.accounts.join(", ") };
    let _ = writeln!(out, "Accounts: {accounts}");
    let _ = writeln!(out, "Regions: {}", view.regions);
    let _ = writeln!(out);
    let _ = writeln!(out, "Potential savings {}/month ({})", view.savings_monthly, view.savings_share);
    if !view.spend_monthly.is_empty() {
        let _ = writeln!(out, "Spend run rate {}/month", view.spend_monthly);
    }

    if let Some(spend) = &view.spend {
        let _ = writeln!(out);
        let _ = writeln!(out, "Spend by service. {}", spend.window);
        let rows: Vec<Vec<String>> = spend
            .by_service
            .iter()
            .take(MAX_SERVICES)
            .map(|s| vec![s.label.clone(), s.cost.clone(), s.share.clone()])
            .collect();
        out.push_str(&table(&rows, &[false, true, true]));
        if spend.by_service.len() > MAX_SERVICES {
            let _ = writeln!(out, "  ... and {} more", spend.by_service.len() - MAX_SERVICES);
        }
        if let Some(budget) = &spend.month.budget {
            let _ = writeln!(
                out,
                "{}: {} to date, forecast {} against a budget of {}. {}",
                spend.month.month, spend.month.to_date, spend.month.forecast, budget.budget, budget.status
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "Findings: {}", view.findings_summary);
    if !view.findings.is_empty() {
        let mut rows = vec![vec![
            "SAVES/MO".to_owned(),
            "COST/MO".to_owned(),
            "RULE".to_owned(),
            "RESOURCE".to_owned(),
            "ACCOUNT / REGION".to_owned(),
            "FINDING".to_owned(),
        ]];
        for f in &view.findings {
            let resource = match &f.resource_name {
                Some(name) => format!("{} ({name})", f.resource_id),
                None => f.resource_id.clone(),
            };
            let savings = if f.counted { f.monthly_savings.clone() } else { format!("{}*", f.monthly_savings) };
            rows.push(vec![
                savings,
                f.monthly_cost.clone(),
                f.rule.clone(),
                resource,
                format!("{} / {}", f.account, f.region),
                f.title.clone(),
            ]);
        }
        out.push_str(&table(&rows, &[true, true, false, false, false, false]));
        if view.findings.iter().any(|f| !f.counted) {
            let _ = writeln!(
                out,
                "  * not counted in the total: another finding on the same resource (or one that includes it) saves more"
            );
        }
    }

    if !view.failures.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Rule failures (the report is incomplete):");
        for failure in &view.failures {
            let _ = writeln!(out, "  {}: {}", failure.rule, failure.message);
        }
    }
    for limitation in &view.coverage.limitations {
        let _ = writeln!(out);
        let _ = writeln!(out, "Limited: {limitation}");
    }
    if !view.not_enough_data.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Not enough data: {}", view.not_enough_data_summary);
        for row in &view.not_enough_data {
            let _ = writeln!(out, "  {} ({}): {}", row.rule, row.resources.len(), row.reason);
        }
    }
    if !view.unmatched_exclusions.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Exclusions that matched nothing (typo?):");
        for exclusion in &view.unmatched_exclusions {
            let _ = writeln!(out, "  {exclusion}");
        }
    }
    out
}

/// Lays out rows in aligned columns, indented by two spaces; the last column is never padded.
fn table(rows: &[Vec<String>], right_align: &[bool]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(" ");
        for (c, cell) in row.iter().enumerate() {
            line.push(' ');
            let width = widths[c];
            let last = c + 1 == row.len();
            if right_align.get(c).copied().unwrap_or(false) {
                let _ = write!(line, "{cell:>width$}");
            } else if last {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}");
            }
            if !last {
                line.push(' ');
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_numbers_right_justify() {
        let rows = vec![
            vec!["EC2".to_owned(), "$420.00".to_owned(), "65.0%".to_owned()],
            vec!["Data transfer".to_owned(), "$8.00".to_owned(), "1.2%".to_owned()],
        ];
        assert_eq!(
            table(&rows, &[false, true, true]),
            "  EC2            $420.00  65.0%\n  Data transfer    $8.00   1.2%\n"
        );
    }
}
