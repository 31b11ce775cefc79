//! The weekly e-mail: subject, HTML and text parts for the tiny snapshot in
//! `support/mod.rs`, pinned with insta, plus what mail clients and hostile
//! input demand (no scripts, styles, SVG or images; one link at most; escaped
//! names) and the size of the demo account's e-mail.

mod support;

use costwise_analyzer::plan::{ActionPlan, Step};
use costwise_analyzer::{Analysis, Dataset, Risk, analyze};
use costwise_report::changes::{Changes, PreviousReport};
use costwise_report::email::{self, Email, EmailOptions, TEXT_WIDTH};
use costwise_report::view::ReportView;

fn demo_analysis() -> Analysis {
    let dataset = Dataset::open(costwise_report::demo::snapshot_dir().unwrap()).unwrap();
    analyze(&dataset, &costwise_report::demo::config().unwrap()).unwrap()
}

/// The e-mail without its version-dependent generator string.
fn render(analysis: &Analysis, options: &EmailOptions<'_>) -> Email {
    let mut email = email::render(analysis, &ReportView::new(analysis), options).unwrap();
    email.html = email.html.replace(costwise_report::GENERATOR, "costwise [version]");
    email.text = email.text.replace(costwise_report::GENERATOR, "costwise [version]");
    email
}

const PAGE_URL: &str = "https://costs.example.com/reports/2026-11-16/index.html?from=mail&week=46";

/// The previous run knew the gp2 volume (as both findings) but not the gp3 one or the EC2 spike.
fn previous(analysis: &Analysis) -> Changes {
    let mut report = PreviousReport::from_analysis(analysis);
    report.findings.retain(|f| f.resource_id == "vol-0bbb2222");
    Changes::between(&report, None, analysis)
}

/// The text with line breaks and indentation collapsed, to find wrapped sentences.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every occurrence of `needle` in `haystack`, case-insensitively.
fn count_ci(haystack: &str, needle: &str) -> usize {
    haystack.to_ascii_lowercase().matches(&needle.to_ascii_lowercase()).count()
}

#[test]
fn subject_carries_the_headline_and_the_new_count() {
    let analysis = support::tiny_analysis();
    let share = analysis.totals.savings_pct.unwrap();
    // $28 against $545 × 730 / 360 ≈ $1,105.28 a month: 2.53%, "2.5%" in the subject.
    // (The analysis keeps the run rate to 4 decimals: $1,105.1389.)
    assert!((share - 28.0 / (545.0 * 730.0 / 360.0) * 100.0).abs() < 1e-6, "{share}");
    let without = render(&analysis, &EmailOptions::default());
    assert_eq!(without.subject, "costwise: $28/month in savings found (2.5%)");
    let prev = previous(&analysis);
    let with = render(&analysis, &EmailOptions { changes: Some(&prev), ..EmailOptions::default() });
    // New: the gp3 volume, the EC2 spend spike and the budget alert; the gp2 volume's two findings
    // (unattached, gp2-to-gp3) were there last week.
    assert_eq!(with.subject, "costwise: $28/month in savings found (2.5%), 3 new");
    let nothing_new = Changes::between(&PreviousReport::from_analysis(&analysis), None, &analysis);
    let same = render(&analysis, &EmailOptions { changes: Some(&nothing_new), ..EmailOptions::default() });
    assert_eq!(same.subject, "costwise: $28/month in savings found (2.5%), 0 new");
    // The HTML title is the subject, so a saved email.html still says what it was.
    assert!(without.html.contains("<title>costwise: $28/month in savings found (2.5%)</title>"));
}

#[test]
fn the_first_step_is_the_first_plan_step_with_findings() {
    let analysis = support::tiny_analysis();
    let plan = ActionPlan::of(&analysis);
    // Both unattached volumes are counted ($20 + $8) and deleting them cannot be undone: the owner confirms
    // first. The gp2-to-gp3 finding on the same gp2 volume is left out (deleting saves more), the EC2 spike
    // saves nothing, so week 1 has nothing and the cleanup step comes first.
    assert!(plan.step(Step::NonDisruptive).findings.is_empty());
    let first = plan.first().unwrap();
    assert_eq!(first.step, Step::OwnerCleanup);
    assert_eq!(first.findings.len(), 2);
    assert!((first.monthly_savings - 28.0).abs() < 1e-9);
    assert_eq!(first.by_rule(&analysis), [("unattached-ebs-volume".to_owned(), 2, 28.0)]);

    let email = render(&analysis, &EmailOptions::default());
    assert!(
        flat(&email.text).contains("CLEANUPS TO CONFIRM WITH THE OWNER: $28/month from 2 findings"),
        "{}",
        email.text
    );
    assert!(email.html.contains("Cleanups to confirm with the owner: $28/month from 2 findings"));
}

#[test]
fn the_demo_plan_orders_every_counted_saving_once() {
    let analysis = demo_analysis();
    let plan = ActionPlan::of(&analysis);
    let counted = analysis.counted();
    let positive: f64 = analysis
        .findings
        .iter()
        .zip(&counted)
        .filter(|(f, c)| **c && f.monthly_savings > 0.0)
        .map(|(f, _)| f.monthly_savings)
        .sum();
    assert!((plan.monthly_savings() - positive).abs() < 1e-6, "{} vs {positive}", plan.monthly_savings());
    let mut seen: Vec<usize> = plan.steps.iter().flat_map(|s| s.findings.iter().copied()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), plan.steps.iter().map(|s| s.findings.len()).sum::<usize>(), "a finding in two steps");
    let rules_of = |step: Step| -> Vec<&str> {
        plan.step(step).findings.iter().map(|&i| analysis.findings[i].rule.as_str()).collect()
    };
    let week1 = rules_of(Step::NonDisruptive);
    assert!(week1.contains(&"gp2-to-gp3"), "{week1:?}");
    assert!(week1.iter().all(|r| !["reserved-instance-purchase", "unattached-ebs-volume"].contains(r)), "{week1:?}");
    assert!(plan.step(Step::NonDisruptive).findings.iter().all(|&i| analysis.findings[i].risk == Risk::NonDisruptive));
    assert!(rules_of(Step::OwnerCleanup).contains(&"unattached-ebs-volume"));
    assert!(rules_of(Step::MaintenanceWindow).contains(&"ec2-rightsizing"));
    assert!(
        rules_of(Step::Commitments)
            .iter()
            .all(|r| r.ends_with("-purchase") || r.contains("commitment") || r.contains("reservation"))
    );
    assert!(!rules_of(Step::Commitments).is_empty());
    assert_eq!(plan.first().unwrap().step, Step::NonDisruptive);
}

#[test]
fn email_subject_snapshot() {
    let analysis = support::tiny_analysis();
    let prev = previous(&analysis);
    let email = render(&analysis, &EmailOptions { page_url: Some(PAGE_URL), changes: Some(&prev) });
    insta::assert_snapshot!("email_subject", email.subject);
}

#[test]
fn email_text_snapshot() {
    let analysis = support::tiny_analysis();
    let prev = previous(&analysis);
    let email = render(&analysis, &EmailOptions { page_url: Some(PAGE_URL), changes: Some(&prev) });
    insta::assert_snapshot!("email_text", email.text);
}

#[test]
fn email_html_snapshot() {
    let analysis = support::tiny_analysis();
    let prev = previous(&analysis);
    let email = render(&analysis, &EmailOptions { page_url: Some(PAGE_URL), changes: Some(&prev) });
    insta::assert_snapshot!("email_html", email.html);
}

#[test]
fn email_text_without_a_link_snapshot() {
    // No previous run, no URL: no "new" anywhere, and the page is said to be attached.
    let email = render(&support::tiny_analysis(), &EmailOptions::default());
    assert!(!email.text.contains("NEW") && !email.text.contains(" new"), "{}", email.text);
    assert!(email.html.contains("The full report is attached (costwise-report.html)"));
    assert_eq!(count_ci(&email.html, "href="), 0);
    insta::assert_snapshot!("email_text_attached", email.text);
}

#[test]
fn the_html_part_uses_only_what_mail_clients_keep() {
    for options in [EmailOptions::default(), EmailOptions { page_url: Some(PAGE_URL), changes: None }] {
        for analysis in [support::tiny_analysis(), demo_analysis()] {
            let html = render(&analysis, &options).html;
            for banned in ["<script", "<svg", "<style", "class=", "<img", "src=", "<link", "javascript:", "url("] {
                assert_eq!(count_ci(&html, banned), 0, "`{banned}` in the e-mail HTML");
            }
            match options.page_url {
                Some(url) => {
                    // The single link is the page, escaped as an attribute value.
                    let escaped = url.replace('&', "&#38;");
                    assert_eq!(count_ci(&html, "href="), 1);
                    assert!(html.contains(&format!("<a href=\"{escaped}\"")), "page link missing");
                }
                None => assert_eq!(count_ci(&html, "href="), 0),
            }
        }
    }
}

#[test]
fn hostile_names_titles_and_tags_render_inert() {
    let mut analysis = support::tiny_analysis();
    let script = support::HOSTILE_NAME;
    let formula = "=HYPERLINK(\"https://evil.example/x\",\"Click me\")";
    let finding = analysis.findings.iter_mut().find(|f| f.resource_id == "vol-0bbb2222").unwrap();
    finding.resource_name = Some(formula.to_owned());
    finding.tags.insert("owner".into(), script.into());
    finding.title = format!("{} <img src=x onerror=alert(1)> & \"quoted\"", finding.title);
    let email = render(&analysis, &EmailOptions::default());

    // HTML: no raw markup from the data; the hostile values are there, escaped.
    assert!(!email.html.contains(script), "raw <script> reached the HTML");
    assert_eq!(count_ci(&email.html, "<script"), 0);
    assert_eq!(count_ci(&email.html, "<img"), 0);
    assert!(email.html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "escaped Name tag shown");
    assert!(email.html.contains("&#60;img src=x onerror=alert(1)&#62; &#38; &#34;quoted&#34;"));
    assert!(email.html.contains("=HYPERLINK(&#34;https://evil.example/x&#34;,&#34;Click me&#34;) (vol-0bbb2222)"));
    assert_eq!(count_ci(&email.html, "href="), 0, "a URL inside a name never becomes a link");

    // Text: shown literally, exactly as the data has it.
    assert!(email.text.contains(&format!("Resource: {script} (vol-0aaa1111)")), "{}", email.text);
    assert!(email.text.contains(&format!("Resource: {formula} (vol-0bbb2222)")), "{}", email.text);
    assert!(flat(&email.text).contains("<img src=x onerror=alert(1)> & \"quoted\""), "{}", email.text);

    // The subject never carries user data.
    assert_eq!(email.subject, "costwise: $28/month in savings found (2.5%)");
}

#[test]
fn a_name_with_line_breaks_cannot_break_the_text_layout() {
    let mut analysis = support::tiny_analysis();
    analysis.findings[0].resource_name = Some("line one\r\nSubject: forged\u{1b}[2J".into());
    let email = render(&analysis, &EmailOptions::default());
    assert!(email.text.contains("Resource: line one Subject: forged [2J (vol-0bbb2222)"), "{}", email.text);
    assert!(!email.text.lines().any(|l| l.starts_with("Subject:")));
}

#[test]
fn the_page_url_must_be_http() {
    let analysis = support::tiny_analysis();
    let view = ReportView::new(&analysis);
    for bad in ["javascript:alert(1)", "file:///etc/passwd", "https://x.example/a b", "costs.example.com"] {
        let options = EmailOptions { page_url: Some(bad), changes: None };
        let err = email::render(&analysis, &view, &options).unwrap_err();
        assert!(err.to_string().contains("http:// or https://"), "{bad}: {err}");
    }
}

#[test]
fn the_demo_email_is_small_and_wrapped() {
    let analysis = demo_analysis();
    let mut report = PreviousReport::from_analysis(&analysis);
    report.findings.drain(..12);
    let prev = Changes::between(&report, None, &analysis);
    let email = render(&analysis, &EmailOptions { page_url: Some(PAGE_URL), changes: Some(&prev) });
    // Gmail clips messages whose HTML exceeds 102 KB; stay well under.
    assert!(email.html.len() < 100 * 1024, "demo e-mail HTML is {} bytes", email.html.len());
    assert!(email.text.len() < 100 * 1024, "demo e-mail text is {} bytes", email.text.len());
    assert!(email.subject.ends_with(", 12 new"), "{}", email.subject);
    assert!(email.subject.starts_with("costwise: $1,"), "{}", email.subject);
    // Ten findings, each numbered, and the rest pointed to.
    for rank in 1..=10 {
        assert!(email.text.contains(&format!("\n{rank:>2}. $")), "finding {rank} listed");
    }
    assert!(!email.text.contains("\n11. $"));
    assert!(email.text.contains("more findings with savings in the full report."));
    // Lines fit 78 columns, except a URL or identifier too long to break.
    for line in email.text.lines() {
        if line.chars().count() > TEXT_WIDTH {
            assert!(!line.trim().contains(' ') || line.contains(PAGE_URL), "line too long: {line:?}");
        }
    }
    // The biggest saving comes first in both parts.
    let first = &analysis.findings[0];
    let text = flat(&email.text);
    assert!(text.find(&first.title).unwrap() < text.find(" 2. $").unwrap());
    assert!(email.html.contains(&first.title.replace('&', "&#38;")));
}

#[test]
fn costwise_report_writes_the_email_next_to_the_page() {
    use clap::Parser as _;
    use costwise_report::cli::{Cli, Outcome, UsageError, run};

    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot");
    support::write_tiny_snapshot(&snapshot);
    let first = dir.path().join("week-1");
    let report = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["costwise", "--quiet", "report", "--snapshot", snapshot.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(extra);
        run(&Cli::try_parse_from(args).unwrap())
    };
    assert_eq!(report(&first, &[]).unwrap(), Outcome::Complete);
    let text = std::fs::read_to_string(first.join("email.txt")).unwrap();
    let html = std::fs::read_to_string(first.join("email.html")).unwrap();
    assert!(text.starts_with("costwise weekly AWS savings report, as of 2026-11-16\n"), "{text}");
    assert!(html.contains("<title>costwise: $28/month in savings found (2.5%)</title>"));
    assert!(html.contains("The full report is attached (costwise-report.html)"));

    // Next week, against last week's findings.json and with the page published.
    let second = dir.path().join("week-2");
    let previous = first.join("findings.json");
    let url = "https://costs.example.com/week-2/index.html";
    let outcome = report(&second, &["--previous", previous.to_str().unwrap(), "--page-url", url]).unwrap();
    assert_eq!(outcome, Outcome::Complete);
    let html = std::fs::read_to_string(second.join("email.html")).unwrap();
    assert!(html.contains("<title>costwise: $28/month in savings found (2.5%), 0 new</title>"));
    assert!(html.contains(&format!("<a href=\"{url}\"")));
    assert!(std::fs::read_to_string(second.join("email.txt")).unwrap().contains(&format!("\n{url}\n")));

    // A link that is not http(s) is a usage error, found before any work is done.
    let err = report(&dir.path().join("week-3"), &["--page-url", "javascript:alert(1)"]).unwrap_err();
    assert!(err.downcast_ref::<UsageError>().is_some(), "{err:#}");
    assert!(!dir.path().join("week-3").exists());
    // A previous file that is not findings.json names the file.
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, "{}").unwrap();
    let err = report(&dir.path().join("week-3"), &["--previous", bogus.to_str().unwrap()]).unwrap_err();
    assert!(format!("{err:#}").contains("bogus.json"), "{err:#}");
}
