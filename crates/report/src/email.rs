//! The weekly e-mail to product managers: a subject line carrying the
//! headline, an HTML part that survives Gmail and Outlook on a phone, and a
//! plain-text alternative with the same content.
//!
//! The e-mail is a summary that points at the full page; it is read on a
//! phone between meetings, so it holds one headline number, the action plan's
//! first step, savings by category, the ten biggest findings and what needs a
//! look, then a link to the page (or a note that it is attached).
//!
//! # What mail clients allow
//!
//! Mail clients strip most of what the meeting page relies on, so the HTML
//! part is built from the lowest common denominator: nested tables for
//! layout, inline `style` attributes only (no `<style>` block, no classes),
//! no JavaScript, no SVG and no images (bars are table cells with a width),
//! at most 600 px wide (Outlook's Word renderer gets a fixed-width ghost
//! table in a conditional comment). The only link is the page's URL when the
//! caller gives one. askama escapes every value, and the subject line holds
//! only numbers we format ourselves, never a resource name or tag.
//!
//! # "New" findings
//!
//! A finding is *new* when no finding of the previous run has the same
//! `(rule, account_id, resource_id)`; the previous run is given as its
//! `findings.json` ([`PreviousFindings`]). Every finding counts, including
//! spend alerts and findings left out of the total. Without a previous run
//! nothing is called new and the subject has no ", N new" part.
//!
//! # The action plan's first step
//!
//! Week 1 is what can be done without a change window or a conversation about
//! capacity ([`first_step`]): the findings whose risk is `non-disruptive`,
//! whose saving counts toward the headline (a finding left out because an
//! overlapping finding saves more is not counted twice) and is positive, and
//! that are not commitment purchases. Commitments (reserved instances,
//! savings plans) come last in the plan even when buying them is harmless:
//! they are sized on usage the cleanup is about to change. The step's figure
//! is the sum of those findings' monthly savings.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use askama::Template;
use costwise_analyzer::{Analysis, Category, Finding, Risk};
use serde::Deserialize;

use crate::format::{money, money_whole, number, percent};
use crate::view::ReportView;

/// How many findings the e-mail lists.
pub const TOP_FINDINGS: usize = 10;

/// How many no-saving findings ("needs a look") the e-mail lists.
const MAX_ATTENTION: usize = 10;

/// Width of the plain-text part, in characters.
pub const TEXT_WIDTH: usize = 78;

/// Width of a category bar in the plain-text part, in characters.
const TEXT_BAR_WIDTH: usize = 20;

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The subject line (`costwise: $1,912/month in savings found (38%), 12 new`).
    pub subject: String,
    /// The HTML part.
    pub html: String,
    /// The plain-text part, lines of at most [`TEXT_WIDTH`] characters (a single longer word, such as an ARN,
    /// stays whole on its own line).
    pub text: String,
}

/// What the caller knows that the analysis does not.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmailOptions<'a> {
    /// Where the full page is published (`http://` or `https://`); without it the e-mail says the page is attached.
    pub page_url: Option<&'a str>,
    /// The findings of the previous run, to count new ones.
    pub previous: Option<&'a PreviousFindings>,
}

/// The findings of a previous run, reduced to what identifies a finding: `(rule, account_id, resource_id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviousFindings {
    keys: HashSet<(String, String, String)>,
}

/// The part of `findings.json` that identifies findings.
#[derive(Deserialize)]
struct PreviousDocument {
    schema_version: u32,
    findings: Vec<PreviousFinding>,
}

#[derive(Deserialize)]
struct PreviousFinding {
    rule: String,
    account_id: String,
    resource_id: String,
}

impl PreviousFindings {
    /// The identities of `findings`.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        Self {
            keys: findings.into_iter().map(|f| (f.rule.clone(), f.account_id.clone(), f.resource_id.clone())).collect(),
        }
    }

    /// Reads a `findings.json` document (schema version 1).
    pub fn from_findings_json(text: &str) -> anyhow::Result<Self> {
        let doc: PreviousDocument = serde_json::from_str(text).context("not a findings.json document")?;
        if doc.schema_version != crate::json::SCHEMA_VERSION {
            bail!(
                "findings.json schema_version {} is not supported (this costwise reads version {})",
                doc.schema_version,
                crate::json::SCHEMA_VERSION
            );
        }
        Ok(Self { keys: doc.findings.into_iter().map(|f| (f.rule, f.account_id, f.resource_id)).collect() })
    }

    /// Reads the `findings.json` file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        Self::from_findings_json(&text).with_context(|| path.display().to_string())
    }

    /// True when the previous run had a finding of the same rule on the same resource.
    pub fn contains(&self, finding: &Finding) -> bool {
        self.keys.contains(&(finding.rule.clone(), finding.account_id.clone(), finding.resource_id.clone()))
    }

    /// Number of distinct findings of the previous run.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the previous run had no findings.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The action plan's first step: the week-1 changes (see the module docs for the definition).
#[derive(Debug, Clone, PartialEq)]
pub struct FirstStep {
    /// Indices into `analysis.findings`, biggest savings first.
    pub findings: Vec<usize>,
    /// Their summed monthly savings.
    pub monthly_savings: f64,
    /// The same findings per rule: rule id, count, monthly savings; biggest savings first.
    pub by_rule: Vec<(String, usize, f64)>,
}

/// Whether each finding of `analysis` counts toward the headline (it is not a finding left out as an overlap).
pub fn counted(analysis: &Analysis) -> Vec<bool> {
    let skipped: HashSet<(&str, &str, &str)> = analysis
        .overlaps
        .iter()
        .map(|o| (o.account_id.as_str(), o.resource_id.as_str(), o.skipped_rule.as_str()))
        .collect();
    analysis
        .findings
        .iter()
        .map(|f| !skipped.contains(&(f.account_id.as_str(), f.resource_id.as_str(), f.rule.as_str())))
        .collect()
}

/// The week-1 changes: counted, positive-saving, non-disruptive findings that are not commitment purchases.
pub fn first_step(analysis: &Analysis) -> FirstStep {
    let counted = counted(analysis);
    let findings: Vec<usize> = analysis
        .findings
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            counted[*i]
                && f.risk == Risk::NonDisruptive
                && f.category != Category::Commitments
                && f.monthly_savings > 0.0
        })
        .map(|(i, _)| i)
        .collect();
    let mut per_rule: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for &i in &findings {
        let entry = per_rule.entry(analysis.findings[i].rule.as_str()).or_default();
        entry.0 += 1;
        entry.1 += analysis.findings[i].monthly_savings;
    }
    let mut by_rule: Vec<(String, usize, f64)> =
        per_rule.into_iter().map(|(rule, (n, savings))| (rule.to_owned(), n, savings)).collect();
    by_rule.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    FirstStep {
        monthly_savings: findings.iter().map(|&i| analysis.findings[i].monthly_savings).sum(),
        findings,
        by_rule,
    }
}

/// Everything the two parts show, formatted.
#[derive(Debug, Clone)]
struct EmailView {
    subject: String,
    generator: String,
    as_of_date: String,
    /// Hidden preview text shown by mail clients next to the subject.
    preheader: String,
    savings_monthly: String,
    /// `per month in potential savings, 28.8% of spend ($5,965/month)`.
    savings_line: String,
    /// `100 findings, 12 new since the last report.`
    findings_line: String,
    accounts: String,
    failures: Vec<String>,
    step: StepView,
    categories: Vec<CategoryBar>,
    top: Vec<TopRow>,
    /// `90 more findings in the full report.` (empty when none).
    more: String,
    attention: Vec<String>,
    /// `and 3 more.` (empty when none).
    attention_more: String,
    page_url: Option<String>,
    /// What to do for the full report when there is no URL.
    attachment_note: String,
    /// What the estimates are.
    footer: String,
    /// `Generated by costwise 0.1.0 from data as of ...`.
    generated: String,
}

#[derive(Debug, Clone)]
struct StepView {
    /// `$412/month from 23 non-disruptive changes` or why there are none.
    headline: String,
    /// What "non-disruptive" covers here.
    explanation: String,
    groups: Vec<StepGroup>,
}

#[derive(Debug, Clone)]
struct StepGroup {
    rule: String,
    summary: String,
    count: String,
    savings: String,
}

#[derive(Debug, Clone)]
struct CategoryBar {
    name: String,
    savings: String,
    share: String,
    /// Bar width in percent of the table cell, 1–100.
    width: u32,
    /// 100 − width.
    rest: u32,
    /// The same bar in text (`#######.............`).
    text_bar: String,
}

#[derive(Debug, Clone)]
struct TopRow {
    rank: String,
    title: String,
    resource: String,
    location: String,
    savings: String,
    risk: String,
    /// Inline colours of the risk badge (we choose them; never user data).
    risk_style: String,
    is_new: bool,
}

/// The HTML part.
#[derive(Template)]
#[template(path = "email.html")]
struct HtmlPart<'a> {
    v: &'a EmailView,
}

/// The plain-text part: the same view, with each block already wrapped to [`TEXT_WIDTH`].
#[derive(Template)]
#[template(path = "email.txt", whitespace = "preserve")]
struct TextPart<'a> {
    v: &'a EmailView,
    intro: String,
    failures: Vec<String>,
    step: String,
    step_groups: Vec<String>,
    categories: Vec<String>,
    top: Vec<String>,
    attention: Vec<String>,
    link: String,
    footer: String,
}

/// Renders the weekly e-mail for `analysis`; `view` is the page's view of the same analysis.
pub fn render(analysis: &Analysis, view: &ReportView, options: &EmailOptions<'_>) -> anyhow::Result<Email> {
    if let Some(url) = options.page_url {
        check_page_url(url)?;
    }
    let v = email_view(analysis, view, options);
    let html = HtmlPart { v: &v }.render().context("rendering email.html")?;
    let mut text = text_part(&v).render().context("rendering email.txt")?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Email { subject: v.subject.clone(), html, text })
}

/// Checks that `url` can be the e-mail's link to the page: an `http://` or `https://` address without whitespace
/// (mail clients would cut it at the first space; other schemes such as `javascript:` are refused).
pub fn check_page_url(url: &str) -> anyhow::Result<()> {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = ["https://", "http://"].iter().any(|s| lower.starts_with(s) && lower.len() > s.len());
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("page URL `{url}` must be an http:// or https:// address without spaces");
    }
    Ok(())
}

/// The subject line (see [`Email::subject`]); `new` is the number of new findings when there is a previous run.
fn subject(analysis: &Analysis, new: Option<usize>) -> String {
    let totals = &analysis.totals;
    let mut subject = if totals.monthly_savings >= 0.005 {
        let share = totals.savings_pct.map(|pct| format!(" ({})", short_percent(pct))).unwrap_or_default();
        format!("costwise: {}/month in savings found{share}", money_whole(totals.monthly_savings))
    } else {
        "costwise: no savings found".to_owned()
    };
    if let Some(new) = new {
        let _ = write!(subject, ", {new} new");
    }
    if !analysis.errors.is_empty() {
        let n = analysis.errors.len();
        let _ = write!(subject, " [incomplete: {n} rule{} failed]", plural(n));
    }
    subject
}

/// A share for the subject line: whole percent from 10% up (`38%`), else one decimal (`2.5%`, `<0.1%`).
fn short_percent(value: f64) -> String {
    if value >= 10.0 { format!("{}%", number(value, 0)) } else { percent(value) }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn count_of(n: usize, what: &str) -> String {
    format!("{n} {what}{}", plural(n))
}

fn email_view(analysis: &Analysis, view: &ReportView, options: &EmailOptions<'_>) -> EmailView {
    let is_new: Vec<bool> =
        analysis.findings.iter().map(|f| options.previous.is_some_and(|p| !p.contains(f))).collect();
    let new = options.previous.map(|_| is_new.iter().filter(|n| **n).count());
    let subject = subject(analysis, new);
    let counted = counted(analysis);
    let totals = &analysis.totals;

    let savings_line = match totals.savings_pct {
        Some(pct) => format!(
            "per month in potential savings, {} of the {}/month spend.",
            percent(pct),
            money_whole(totals.monthly_spend)
        ),
        None => format!("per month in potential savings ({}).", view.savings_share),
    };
    let findings_line = match (analysis.findings.len(), new) {
        (0, _) => "No findings.".to_owned(),
        (n, None) => format!("{}.", count_of(n, "finding")),
        (n, Some(new)) => format!("{}, {new} new since the last report.", count_of(n, "finding")),
    };

    let step = first_step(analysis);
    let summaries: BTreeMap<&str, &str> = analysis.rules.iter().map(|r| (r.id.as_str(), r.summary.as_str())).collect();
    let step_view = StepView {
        headline: if step.findings.is_empty() {
            "No non-disruptive changes this week.".to_owned()
        } else {
            format!(
                "{}/month from {}",
                money_whole(step.monthly_savings),
                count_of(step.findings.len(), "non-disruptive change")
            )
        },
        explanation: "Week 1 of the plan: changes that affect nothing running (no restart, no resize), \
                      counted once each. Commitment purchases come last, after the cleanup has settled."
            .to_owned(),
        groups: step
            .by_rule
            .iter()
            .map(|(rule, n, savings)| StepGroup {
                rule: rule.clone(),
                summary: summaries.get(rule.as_str()).copied().unwrap_or_default().to_owned(),
                count: count_of(*n, "finding"),
                savings: format!("{}/month", money(*savings)),
            })
            .collect(),
    };

    let mut categories: Vec<(Category, f64)> =
        totals.by_category.iter().filter(|(_, v)| **v >= 0.005).map(|(c, v)| (*c, *v)).collect();
    categories.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let category_total: f64 = categories.iter().map(|(_, v)| v).sum();
    let categories = categories
        .into_iter()
        .map(|(c, v)| {
            let share = if category_total > 0.0 { v / category_total } else { 0.0 };
            let width = ((share * 100.0).round() as u32).clamp(1, 100);
            let hashes = ((share * TEXT_BAR_WIDTH as f64).round() as usize).clamp(1, TEXT_BAR_WIDTH);
            CategoryBar {
                name: c.name().to_owned(),
                savings: money_whole(v),
                share: percent(share * 100.0),
                width,
                rest: 100 - width,
                text_bar: format!("{}{}", "#".repeat(hashes), ".".repeat(TEXT_BAR_WIDTH - hashes)),
            }
        })
        .collect();

    let with_savings: Vec<usize> =
        (0..analysis.findings.len()).filter(|&i| counted[i] && analysis.findings[i].monthly_savings > 0.0).collect();
    let top: Vec<TopRow> = with_savings
        .iter()
        .take(TOP_FINDINGS)
        .enumerate()
        .map(|(rank, &i)| {
            let (f, row) = (&analysis.findings[i], &view.findings[i]);
            TopRow {
                rank: (rank + 1).to_string(),
                title: row.title.clone(),
                resource: match &row.resource_name {
                    Some(name) if name != &row.resource_id => format!("{name} ({})", row.resource_id),
                    _ => row.resource_id.clone(),
                },
                location: format!("{}, {}", row.account, row.region),
                savings: format!("{}/month", row.monthly_savings),
                risk: row.risk.clone(),
                risk_style: match f.risk {
                    Risk::NonDisruptive => "color:#1e6b3a;background-color:#e3f4e8;",
                    Risk::ChangeWindow => "color:#7a4d00;background-color:#fdf0d5;",
                    Risk::NeedsTesting => "color:#9b1c1c;background-color:#fde4e4;",
                }
                .to_owned(),
                is_new: is_new[i],
            }
        })
        .collect();
    let more = match with_savings.len().saturating_sub(TOP_FINDINGS) {
        0 => String::new(),
        n => format!("{} with savings in the full report.", count_of(n, "more finding")),
    };

    let attention_all: Vec<String> = analysis
        .findings
        .iter()
        .zip(&is_new)
        .filter(|(f, _)| f.monthly_savings == 0.0)
        .map(|(f, new)| if *new { format!("{} (new)", f.title) } else { f.title.clone() })
        .collect();
    let attention_more = match attention_all.len().saturating_sub(MAX_ATTENTION) {
        0 => String::new(),
        n => format!("and {n} more in the full report."),
    };

    let preheader = if step.findings.is_empty() {
        format!("{} {}", view.savings_monthly, savings_line)
    } else {
        format!(
            "{} {} Week 1: {} without touching anything running.",
            view.savings_monthly,
            savings_line,
            money_whole(step.monthly_savings)
        )
    };

    EmailView {
        subject,
        generator: view.generator.clone(),
        as_of_date: view.as_of_date.clone(),
        preheader,
        savings_monthly: view.savings_monthly.clone(),
        savings_line,
        findings_line,
        accounts: if view.accounts.is_empty() { "none recorded".to_owned() } else { view.accounts.join(", ") },
        failures: view.failures.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect(),
        step: step_view,
        categories,
        top,
        more,
        attention: attention_all.into_iter().take(MAX_ATTENTION).collect(),
        attention_more,
        page_url: options.page_url.map(str::to_owned),
        attachment_note: "The full report is attached (report.html): open it in a browser for the evidence \
                          behind each finding, the commands that fix it and the spend overview."
            .to_owned(),
        footer: "Savings are monthly (730-hour) estimates; the full report names where each price came from."
            .to_owned(),
        generated: format!("Generated by {} from data as of {}.", view.generator, view.as_of),
    }
}

fn text_part(v: &EmailView) -> TextPart<'_> {
    let w = TEXT_WIDTH;
    let intro = [
        wrap(&format!("{} {}", v.savings_monthly, v.savings_line), w, "", ""),
        wrap(&v.findings_line, w, "", ""),
        wrap(&format!("Accounts: {}", v.accounts), w, "", "  "),
    ]
    .join("\n");
    let name_width = v.categories.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
    let top = v
        .top
        .iter()
        .map(|t| {
            let head = format!("{}, {}{}", t.savings, t.risk, if t.is_new { ", NEW" } else { "" });
            [
                wrap(&head, w, &format!("{:>2}. ", t.rank), "    "),
                wrap(&t.title, w, "    ", "    "),
                wrap(&format!("Resource: {}", t.resource), w, "    ", "      "),
                wrap(&format!("Where: {}", t.location), w, "    ", "      "),
            ]
            .join("\n")
        })
        .collect();
    TextPart {
        v,
        intro,
        failures: v.failures.iter().map(|f| wrap(f, w, "  - ", "    ")).collect(),
        step: [wrap(&format!("WEEK 1: {}", v.step.headline), w, "", "  "), wrap(&v.step.explanation, w, "", "")]
            .join("\n"),
        step_groups: v
            .step
            .groups
            .iter()
            .map(|g| {
                let head = wrap(&format!("{}: {}, {}", g.rule, g.count, g.savings), w, "  * ", "    ");
                if g.summary.is_empty() { head } else { format!("{head}\n{}", wrap(&g.summary, w, "    ", "    ")) }
            })
            .collect(),
        categories: v
            .categories
            .iter()
            .map(|c| format!("  {:<name_width$}  {}  {} ({})", c.name, c.text_bar, c.savings, c.share))
            .collect(),
        top,
        attention: v.attention.iter().map(|a| wrap(a, w, "  - ", "    ")).collect(),
        link: match &v.page_url {
            // The URL stays whole on its own line so that mail clients can link it.
            Some(url) => format!("Full report:\n{url}"),
            None => wrap(&v.attachment_note, w, "", ""),
        },
        footer: [wrap(&v.footer, w, "", ""), wrap(&v.generated, w, "", "")].join("\n"),
    }
}

/// Wraps `text` to `width` characters: the first line starts with `first`, the others with `rest`.
///
/// Runs of whitespace (newlines included) collapse to one space and control characters become spaces, so a
/// resource name cannot break the layout; a word longer than the line stays whole on a line of its own.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let cleaned: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut lines: Vec<String> = Vec::new();
    let mut line = first.to_owned();
    let mut line_len = first.chars().count();
    let mut empty = true;
    for word in cleaned.split_whitespace() {
        let len = word.chars().count();
        if !empty && line_len + 1 + len > width {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            line_len = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += len;
        empty = false;
    }
    lines.push(line);
    lines.iter().map(|l| l.trim_end()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_indents_continuations() {
        assert_eq!(wrap("one two three four", 9, "", "  "), "one two\n  three\n  four");
        assert_eq!(wrap("a\nb\tc\u{1b}[31m", 78, "- ", "  "), "- a b c [31m");
        // A word longer than the line is never split.
        let arn = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/x/0123456789";
        assert_eq!(wrap(&format!("see {arn} now"), 20, "", ""), format!("see\n{arn}\nnow"));
        assert_eq!(wrap("", 10, "  * ", ""), "  *");
    }

    #[test]
    fn wrapped_lines_fit_the_width() {
        let text = "Week 1 of the plan: changes that affect nothing running (no restart, no resize), counted once \
                    each. Commitment purchases come last, after the cleanup has settled.";
        for line in wrap(text, 30, "    ", "    ").lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
    }

    #[test]
    fn subject_shares_read_as_whole_percent_from_one_percent() {
        assert_eq!(short_percent(38.2), "38%");
        assert_eq!(short_percent(9.96), "10.0%");
        assert_eq!(short_percent(2.53), "2.5%");
        assert_eq!(short_percent(0.44), "0.4%");
        assert_eq!(short_percent(0.01), "<0.1%");
    }

    #[test]
    fn previous_findings_read_from_findings_json() {
        let text = r#"{"schema_version":1,"findings":[
            {"rule":"gp2-to-gp3","account_id":"1","resource_id":"vol-1","title":"ignored"},
            {"rule":"gp2-to-gp3","account_id":"1","resource_id":"vol-1"}]}"#;
        let previous = PreviousFindings::from_findings_json(text).unwrap();
        assert_eq!(previous.len(), 1);
        assert!(!previous.is_empty());
        let err = PreviousFindings::from_findings_json(r#"{"schema_version":2,"findings":[]}"#).unwrap_err();
        assert!(err.to_string().contains("schema_version 2"), "{err}");
        assert!(PreviousFindings::from_findings_json("[]").is_err());
    }
}
