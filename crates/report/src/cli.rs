//! The `costwise` command line.
//!
//! Each subcommand is one variant of [`Command`] holding its clap arguments
//! and one `run_*` function; adding a subcommand means adding both and one
//! arm in [`run`]. Every function returns an [`Outcome`] or an error, and
//! [`main`] alone decides the exit code (see the crate docs) and prints
//! errors, as one `error: ...` line.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Timelike as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use costwise_analyzer::{Analysis, Config, Dataset, analyze};

use crate::view::ReportView;
use crate::{csv_export, email, html, json, output, send, terminal};

/// Exit code: the command ran (findings are not errors).
pub const EXIT_OK: u8 = 0;
/// Exit code: an error stopped the command (unreadable snapshot, I/O, ...).
pub const EXIT_ERROR: u8 = 1;
/// Exit code: bad command-line usage or an invalid config file.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: output was written but is incomplete because one or more rules failed.
pub const EXIT_INCOMPLETE: u8 = 3;
/// Exit code: the report was written (or exists) but the e-mail could not be sent; `costwise send` re-sends it.
pub const EXIT_NOT_SENT: u8 = 4;

const LONG_ABOUT: &str = "\
costwise finds wasted AWS spend and reports, in dollars, what to do about it.

It reads a snapshot directory (billing data and inventory as Parquet, see
`costwise schema`), runs every rule (see `costwise rules`) and writes an HTML
page for the weekly cost review plus findings.json and findings.csv for other
tools and spreadsheets.

Exit codes:
  0  ran; findings are not errors
  1  error (unreadable snapshot, I/O, ...)
  2  usage or config error (bad arguments, invalid config file, unknown rule)
  3  output written but incomplete: one or more rules failed (see stderr and the report)
  4  report written but the e-mail was not sent (see stderr); re-send it with
     `costwise send --run DIR --config FILE`. Takes precedence over 3.

E-mail: `costwise report --send` mails the report to the recipients in the
config's [email] section after writing its files; `costwise send` re-sends a
written report. The SMTP password comes from an environment variable or a
file named in [email], never from the config file itself.";

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "costwise", version, about = "Finds wasted AWS spend and reports, in dollars, what to do about it.", long_about = LONG_ABOUT)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log more on stderr (-v: debug, -vv: trace). RUST_LOG, when set, takes precedence.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Print only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze a snapshot and print a summary (or the findings.json document).
    Analyze(AnalyzeArgs),
    /// Analyze a snapshot and write report.html, findings.json, findings.csv and the e-mail (email.html, email.txt).
    Report(ReportArgs),
    /// Write the report for the bundled demo account and print the page's path.
    Demo(DemoArgs),
    /// List the rules, or show one rule's documentation and default settings.
    Rules(RulesArgs),
    /// Print the snapshot data model (every table and column) as Markdown.
    Schema,
    /// E-mail an already written report directory (again) to the recipients in the config's [email] section.
    Send(SendArgs),
    /// Build a snapshot from billing exports (CUR 2.0, legacy CUR, FOCUS) and AWS CLI JSON dumps.
    Import(ImportArgs),
}

/// Where the data and settings come from.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Snapshot directory (holds manifest.json and one Parquet file per table).
    #[arg(long, value_name = "DIR")]
    pub snapshot: PathBuf,
    /// Config file (costwise.toml): exclusions, rule settings, price overrides.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `costwise analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Output formats of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable terminal summary.
    Table,
    /// The findings.json document.
    Json,
}

/// `costwise report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output directory [default: reports/<as-of date>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Where report.html will be published (http:// or https://); email.html links to it. Without it, the
    /// e-mail says the page is attached.
    #[arg(long, value_name = "URL")]
    page_url: Option<String>,
    /// findings.json of the previous run; the e-mail's subject and list then count new findings.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    /// After writing the files, e-mail the report as configured in the [email] section of --config (required).
    /// If sending fails the files stay, the error goes to stderr and the exit code is 4.
    #[arg(long, requires = "config")]
    send: bool,
}

/// `costwise send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// A report directory written by `costwise report` (holds email.json, email.txt, email.html, findings.csv
    /// and report.html).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Config file whose [email] section says where to send the report.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// `costwise demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "reports/demo")]
    out: PathBuf,
}

/// `costwise rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule id; prints its documentation and default settings.
    id: Option<String>,
}

/// `costwise import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories to import; directories are walked recursively. Billing files are
    /// recognized by their columns, AWS CLI dumps by their file names (docs/import-aws-cli.md).
    #[arg(required = true, value_name = "PATH")]
    inputs: Vec<PathBuf>,
    /// Snapshot directory to write (an existing snapshot there is replaced atomically).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Account id for CLI dumps whose path and content do not say which account they are from.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// Region for CLI dumps whose path and content do not say which region they are from.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Description recorded in the snapshot manifest.
    #[arg(long)]
    description: Option<String>,
}

/// How a command that ran went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything ran.
    Complete,
    /// Output was produced, but one or more rules failed.
    Incomplete,
    /// The report was written, but the e-mail could not be sent.
    NotSent,
}

/// A usage or configuration mistake: exit code 2 rather than 1.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Parses the command line, runs it and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version go to stdout with code 0; real usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    init_logging(cli.verbose, cli.quiet);
    ExitCode::from(exit_code(&run(&cli)))
}

/// The exit code for a command's result; prints the error, if any, as one line.
pub fn exit_code(result: &anyhow::Result<Outcome>) -> u8 {
    match result {
        Ok(Outcome::Complete) => EXIT_OK,
        Ok(Outcome::Incomplete) => EXIT_INCOMPLETE,
        Ok(Outcome::NotSent) => EXIT_NOT_SENT,
        Err(err) => {
            eprintln!("error: {}", one_line(&format!("{err:#}")));
            if err.downcast_ref::<UsageError>().is_some() { EXIT_USAGE } else { EXIT_ERROR }
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::Analyze(args) => run_analyze(args),
        Command::Report(args) => run_report(args, cli.quiet),
        Command::Demo(args) => run_demo(args, cli.quiet),
        Command::Rules(args) => run_rules(args),
        Command::Schema => run_schema(),
        Command::Send(args) => run_send(args, cli.quiet),
        Command::Import(args) => run_import(args, cli.quiet),
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    // The analyzer logs a rule failure as a warning; we print failures ourselves, once.
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,costwise_analyzer::analysis=error",
        (false, 1) => "info,costwise_analyzer=debug,costwise_report=debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(verbose > 0);
    // A second initialisation (tests calling `main` twice) is harmless; ignore it.
    let _ = if verbose > 0 { builder.try_init() } else { builder.without_time().try_init() };
}

/// Joins a multi-line message (TOML errors quote the offending line) into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| {
            // Drop source excerpts: `|`, `2 | min-days = 3`, `  | ^^^^`.
            let excerpt = line.starts_with('|')
                || line
                    .split_once('|')
                    .is_some_and(|(head, _)| !head.is_empty() && head.trim().chars().all(|c| c.is_ascii_digit()));
            !line.is_empty() && !excerpt
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// Opens the snapshot and config and runs every rule.
fn load_and_analyze(input: &InputArgs) -> anyhow::Result<Analysis> {
    analyze_snapshot(&input.snapshot, &load_config(input.config.as_deref())?)
}

/// Reads the config file (an invalid one is a usage error), or the defaults without one.
fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => Config::load(path).map_err(|e| UsageError(e.to_string()).into()),
        None => Ok(Config::default()),
    }
}

fn analyze_snapshot(dir: &Path, config: &Config) -> anyhow::Result<Analysis> {
    if !dir.exists() {
        bail!("snapshot directory {} does not exist", dir.display());
    }
    if !dir.is_dir() {
        bail!("snapshot {} is not a directory", dir.display());
    }
    tracing::info!(snapshot = %dir.display(), "opening snapshot");
    let dataset = Dataset::open(dir)?;
    let analysis = analyze(&dataset, config)?;
    tracing::info!(findings = analysis.findings.len(), savings = analysis.totals.monthly_savings, "analysis done");
    Ok(analysis)
}

/// Reports rule failures on stderr and turns them into the outcome.
fn outcome(analysis: &Analysis) -> Outcome {
    for failure in &analysis.errors {
        eprintln!("warning: {failure}");
    }
    if analysis.errors.is_empty() { Outcome::Complete } else { Outcome::Incomplete }
}

fn run_analyze(args: &AnalyzeArgs) -> anyhow::Result<Outcome> {
    let analysis = load_and_analyze(&args.input)?;
    let text = match args.format {
        Format::Table => terminal::render(&ReportView::new(&analysis)),
        Format::Json => json::findings_json(&analysis).context("serializing findings")?,
    };
    print_stdout(&text)?;
    Ok(outcome(&analysis))
}

fn run_report(args: &ReportArgs, quiet: bool) -> anyhow::Result<Outcome> {
    if let Some(url) = &args.page_url {
        email::check_page_url(url).map_err(|e| UsageError(format!("--page-url: {e}")))?;
    }
    let config = load_config(args.input.config.as_deref())?;
    let mail_config = match (&config.email, args.send) {
        (None, true) => {
            let path = args.input.config.as_deref().unwrap_or(Path::new("--config")).display();
            return Err(UsageError(format!("--send: {path} has no [email] section")).into());
        }
        (mail_config, _) => mail_config.as_ref(),
    };
    let previous = args.previous.as_deref().map(email::PreviousFindings::load).transpose()?;
    let analysis = analyze_snapshot(&args.input.snapshot, &config)?;
    let out = args.out.clone().unwrap_or_else(|| default_out_dir(&analysis));
    // --page-url wins over the config's page-url.
    let page_url = args.page_url.as_deref().or(mail_config.and_then(|m| m.page_url.as_deref()));
    let options = email::EmailOptions { page_url, previous: previous.as_ref() };
    let page = write_report(&analysis, &out, quiet, &options)?;
    print_stdout(&format!("{}\n", page.display()))?;
    let outcome = outcome(&analysis);
    if let Some(mail_config) = mail_config.filter(|_| args.send) {
        let mail = send::Outgoing::load(&out)?;
        if deliver(mail_config, &mail, quiet) == Outcome::NotSent {
            let config_path = args.input.config.as_deref().unwrap_or(Path::new("FILE"));
            eprintln!(
                "note: the report in {dir} is complete; re-send it with `costwise send --run {dir} --config {}`",
                config_path.display(),
                dir = out.display()
            );
            return Ok(Outcome::NotSent);
        }
    }
    Ok(outcome)
}

/// Sends `mail`; prints the result (a failure always, as `error: e-mail not sent: ...`).
fn deliver(mail_config: &costwise_analyzer::config::EmailConfig, mail: &send::Outgoing, quiet: bool) -> Outcome {
    match send::send(mail_config, mail) {
        Ok(()) => {
            if !quiet {
                eprintln!("E-mail \"{}\": sent to {}", mail.meta.subject, mail_config.to.join(", "));
            }
            Outcome::Complete
        }
        Err(err) => {
            eprintln!("error: e-mail not sent: {}", one_line(&format!("{err:#}")));
            Outcome::NotSent
        }
    }
}

fn run_send(args: &SendArgs, quiet: bool) -> anyhow::Result<Outcome> {
    let config = load_config(Some(&args.config))?;
    let Some(mail_config) = &config.email else {
        return Err(UsageError(format!("{} has no [email] section", args.config.display())).into());
    };
    if !args.run.is_dir() {
        bail!("report directory {} does not exist", args.run.display());
    }
    // Missing files are an error (exit 1) found before any connection is made; SMTP failures exit 4.
    let mail = send::Outgoing::load(&args.run)?;
    Ok(deliver(mail_config, &mail, quiet))
}

fn run_demo(args: &DemoArgs, quiet: bool) -> anyhow::Result<Outcome> {
    let snapshot = crate::demo::snapshot_dir()?;
    let analysis = analyze_snapshot(&snapshot, &crate::demo::config()?)?;
    let page = write_report(&analysis, &args.out, quiet, &email::EmailOptions::default())?;
    print_stdout(&format!("{}\n", page.display()))?;
    Ok(outcome(&analysis))
}

/// `reports/<as-of date>`.
fn default_out_dir(analysis: &Analysis) -> PathBuf {
    Path::new("reports").join(analysis.as_of.format("%Y-%m-%d").to_string())
}

/// Writes report.html, findings.json, findings.csv and the weekly e-mail (email.html, email.txt, email.json with
/// its subject and page link) into `out`;
/// returns the page's path.
pub fn write_report(
    analysis: &Analysis,
    out: &Path,
    quiet: bool,
    mail_options: &email::EmailOptions<'_>,
) -> anyhow::Result<PathBuf> {
    let view = ReportView::new(analysis);
    let page = html::render(&view).context("rendering report.html")?;
    let mail = email::render(analysis, &view, mail_options)?;
    let json = json::findings_json(analysis).context("serializing findings.json")?;
    let csv = csv_export::findings_csv(analysis).context("writing findings.csv")?;
    output::ensure_dir(out)?;
    let json_path = output::write_atomic(out, "findings.json", json.as_bytes())?;
    let csv_path = output::write_atomic(out, "findings.csv", csv.as_bytes())?;
    output::write_atomic(out, "email.html", mail.html.as_bytes())?;
    output::write_atomic(out, "email.txt", mail.text.as_bytes())?;
    send::EmailMeta { subject: mail.subject.clone(), page_url: mail_options.page_url.map(str::to_owned) }.write(out)?;
    // The page last: it is what the printed path points at.
    let page_path = output::write_atomic(out, "report.html", page.as_bytes())?;
    if !quiet {
        eprintln!(
            "Potential savings {}/month ({}); wrote {}, {} and {}",
            view.savings_monthly,
            view.savings_share,
            page_path.display(),
            json_path.display(),
            csv_path.display()
        );
        eprintln!("E-mail \"{}\": wrote email.html and email.txt", mail.subject);
    }
    Ok(page_path)
}

fn run_rules(args: &RulesArgs) -> anyhow::Result<Outcome> {
    let registry = costwise_analyzer::rules::registry();
    let text = match &args.id {
        None => {
            let width = registry.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut text = String::new();
            for rule in registry {
                let _ = writeln!(text, "{:<width$}  {:<12} {}", rule.id, rule.category.name(), rule.summary());
            }
            text
        }
        Some(id) => {
            let Some(rule) = registry.iter().find(|r| r.id == id.as_str()) else {
                let known: Vec<&str> = registry.iter().map(|r| r.id).collect();
                return Err(UsageError(format!("unknown rule `{id}` (known rules: {})", known.join(", "))).into());
            };
            let settings = rule.default_settings();
            format!(
                "# {} ({})\n\n{}\n\n## Default settings\n\n```toml\n[rules.{}]\n{}```\n",
                rule.id,
                rule.category.name(),
                rule.doc,
                rule.id,
                if settings.is_empty() || settings.ends_with('\n') { settings } else { format!("{settings}\n") }
            )
        }
    };
    print_stdout(&text)?;
    Ok(Outcome::Complete)
}

fn run_import(args: &ImportArgs, quiet: bool) -> anyhow::Result<Outcome> {
    use costwise_analyzer::ingest::{ImportOptions, aws_cli::CliScope, import};
    use costwise_analyzer::manifest::TableStatus;

    // The import moment is the one place the wall clock enters a snapshot: it is when the
    // inventory was observed, and the "as of" of a snapshot without billing data.
    let now = chrono::Utc::now().naive_utc();
    let created_at = now.with_nanosecond(0).unwrap_or(now);
    let options = ImportOptions {
        scope: CliScope { account_id: args.account.clone(), region: args.region.clone() },
        created_at,
        description: args.description.clone(),
    };
    let summary = import(&args.inputs, &args.out, &options)?;
    for path in &summary.ignored {
        eprintln!(
            "warning: ignored {} (not a billing file, a known AWS CLI dump or an S3 Inventory report)",
            path.display()
        );
    }
    if !quiet {
        let manifest = &summary.manifest;
        for input in &manifest.source.inputs {
            eprintln!("  {}: {} ({} rows)", input.format, input.path, input.rows);
        }
        let present: Vec<String> = manifest
            .tables
            .iter()
            .filter_map(|(table, status)| match status {
                TableStatus::Present { rows } => Some(format!("{table} ({rows})")),
                TableStatus::Absent { .. } => None,
            })
            .collect();
        eprintln!(
            "Imported {} input(s): {} account(s), period {} to {}; tables: {}",
            manifest.source.inputs.len(),
            manifest.accounts.len(),
            manifest.period.start.format("%Y-%m-%d %H:%M"),
            manifest.period.end.format("%Y-%m-%d %H:%M"),
            present.join(", ")
        );
    }
    print_stdout(&format!("{}\n", args.out.display()))?;
    Ok(Outcome::Complete)
}

fn run_schema() -> anyhow::Result<Outcome> {
    print_stdout(&costwise_analyzer::schema::data_model_markdown())?;
    Ok(Outcome::Complete)
}

/// Writes to stdout, treating a closed pipe (`costwise rules | head`) as success.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn toml_excerpts_collapse_into_one_line() {
        let message = "config costwise.toml: TOML parse error at line 2, column 1\n  |\n2 | min-days = 3\n  | ^^^^^^^^\nunknown field `min-days`, expected `min-days-unattached`\n";
        assert_eq!(
            one_line(message),
            "config costwise.toml: TOML parse error at line 2, column 1: unknown field `min-days`, expected `min-days-unattached`"
        );
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn usage_errors_exit_2_and_others_exit_1() {
        assert_eq!(exit_code(&Ok(Outcome::Complete)), EXIT_OK);
        assert_eq!(exit_code(&Ok(Outcome::Incomplete)), EXIT_INCOMPLETE);
        assert_eq!(exit_code(&Ok(Outcome::NotSent)), EXIT_NOT_SENT);
        assert_eq!(exit_code(&Err(UsageError("bad".into()).into())), EXIT_USAGE);
        assert_eq!(exit_code(&Err(anyhow::anyhow!("io"))), EXIT_ERROR);
    }
}
