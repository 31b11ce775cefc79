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
use costwise_analyzer::ingest::aws_cli::CliScope;
use costwise_analyzer::{Analysis, Config, Dataset, analyze};

use crate::changes::{Changes, PreviousReport};
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
  3  output written but incomplete: one or more rules failed, or (collect) some API calls
     failed and are recorded as gaps in the snapshot (see stderr and the report)
  4  report written but the e-mail was not sent (see stderr); re-send it with
     `costwise send --run DIR --config FILE`. Takes precedence over 3.

The weekly job: `costwise run --config costwise.toml` analyzes the config's
[source], writes a new run into the report history ([report] dir, with an
index page and \"since last report\" against the previous run) and sends the
e-mail; a lock file keeps two runs from overlapping. `costwise init` writes an
example config and `costwise config check` lists every problem in one.

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
    /// Analyze a snapshot and write index.html, findings.json, findings.csv and the e-mail (email.html, email.txt).
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
    /// Build a snapshot from live AWS APIs with the current credentials (read-only; see docs/collect.md).
    #[cfg(feature = "aws")]
    Collect(CollectArgs),
    /// Work with list prices: fetch current ones from the AWS Price List API.
    #[cfg(feature = "aws")]
    Prices(PricesArgs),
    /// The scheduled job: (re)import the source, analyze it, write a new run into the report history, update its
    /// index and send the e-mail, all as configured in --config.
    Run(RunArgs),
    /// Write a commented example config file to start from.
    Init(InitArgs),
    /// Work with config files.
    Config(ConfigArgs),
}

/// `costwise collect`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Snapshot directory to write (an existing snapshot there is replaced atomically).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Named profile from ~/.aws/config [default: the default credential chain: environment, profile, SSO,
    /// container or instance role].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Regions to read, comma separated [default: every region enabled for each account].
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    regions: Option<Vec<String>>,
    /// Accounts to read, comma separated; each other than the credentials' own is reached by assuming
    /// --role-name in it [default: the credentials' account].
    #[arg(long, value_delimiter = ',', value_name = "ACCOUNT", conflicts_with = "organization")]
    accounts: Option<Vec<String>>,
    /// Read every active account of the organization (Organizations ListAccounts; run with the management
    /// account's or a delegated administrator's credentials), each through --role-name.
    #[arg(long)]
    organization: bool,
    /// The read-only role to assume in the other accounts (docs/iam-policy.json, docs/iam-trust-policy.json).
    #[arg(long, value_name = "NAME", default_value = costwise_analyzer::collect::DEFAULT_ROLE_NAME)]
    role_name: String,
    /// The external id the role's trust policy requires; COSTWISE_EXTERNAL_ID works too.
    #[arg(long, value_name = "ID", env = "COSTWISE_EXTERNAL_ID", hide_env_values = true)]
    external_id: Option<String>,
    /// Days of hourly CloudWatch metrics to read (at most 63, what CloudWatch keeps at hourly resolution).
    #[arg(long, value_name = "DAYS", default_value_t = costwise_analyzer::collect::DEFAULT_LOOKBACK_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=63))]
    lookback_days: u32,
    /// Send every request to this endpoint instead of AWS (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// API requests in flight at once, across accounts and regions.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Attempts per API request before a throttled or failing call is recorded as a gap.
    #[arg(long, value_name = "N", default_value_t = costwise_analyzer::collect::DEFAULT_MAX_ATTEMPTS,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
    /// Seconds one attempt of an API request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = costwise_analyzer::collect::DEFAULT_ATTEMPT_TIMEOUT_SECONDS,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
    /// Keep the raw API responses, as AWS CLI JSON (`costwise import` reads them), in this directory (its
    /// previous content is replaced).
    #[arg(long, value_name = "DIR")]
    keep_dumps: Option<PathBuf>,
    /// The CUR 2.0 (or legacy CUR, or FOCUS) export's S3 location, s3://bucket/prefix: the billing periods in
    /// the lookback are downloaded and imported [default: Cost Explorer, daily by service and region].
    #[arg(long, value_name = "S3URL")]
    cur: Option<costwise_analyzer::collect::ExportLocation>,
    /// Without --cur, do not read Cost Explorer ($0.01 per request): the snapshot then has no billing.
    #[arg(long)]
    no_cost_explorer: bool,
    /// Also import these files or directories into the snapshot (billing exports already downloaded: CUR 2.0,
    /// legacy CUR, FOCUS); Cost Explorer is then not read.
    #[arg(long = "import", value_name = "PATH")]
    also_import: Vec<PathBuf>,
}

/// `costwise prices`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub struct PricesArgs {
    /// What to do.
    #[command(subcommand)]
    action: PricesAction,
}

/// `costwise prices <action>`.
#[cfg(feature = "aws")]
#[derive(Debug, Subcommand)]
pub enum PricesAction {
    /// Fetch current Linux on-demand EC2, EBS storage and NAT gateway rates for the regions in use from the
    /// AWS Price List API (pricing:GetProducts) into a cache file; name it in the config's [price-list] section
    /// and the price book prefers it to the bundled us-east-1 catalog.
    Refresh(PricesRefreshArgs),
}

/// `costwise prices refresh`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub struct PricesRefreshArgs {
    /// The cache file to write (replaced atomically; kept as it was if the refresh fails).
    #[arg(long, value_name = "FILE", default_value = "prices.json")]
    out: PathBuf,
    /// Regions to fetch, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "REGION", required_unless_present = "snapshot")]
    regions: Option<Vec<String>>,
    /// Fetch the regions of this snapshot (the regions in use).
    #[arg(long, value_name = "DIR", conflicts_with = "regions")]
    snapshot: Option<PathBuf>,
    /// Named profile from ~/.aws/config [default: the default credential chain].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Send every request to this endpoint instead of AWS (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
}

/// `costwise run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Config file with a [source] section (what to analyze), and optionally [report] (where the history
    /// goes, default `reports` next to the config) and [email] (who gets the e-mail).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Write the report but do not send the e-mail, even when [email] is configured.
    #[arg(long)]
    no_email: bool,
}

/// `costwise init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the example config.
    #[arg(value_name = "FILE", default_value = "costwise.toml")]
    path: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

/// `costwise config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do with the config.
    #[command(subcommand)]
    action: ConfigAction,
}

/// `costwise config <action>`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate a config file and list every problem in it at once (exit code 2 when there are any).
    Check {
        /// The config file.
        #[arg(value_name = "FILE", default_value = "costwise.toml")]
        path: PathBuf,
    },
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
    /// Where index.html will be published (http:// or https://); email.html links to it. Without it, the
    /// e-mail says the page is attached.
    #[arg(long, value_name = "URL")]
    page_url: Option<String>,
    /// findings.json of the previous run: the page gets a "since last report" section (new, resolved and
    /// realized) and the e-mail counts new findings. `costwise run` finds it in the history by itself.
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
    /// and index.html).
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

/// The exit code of a command that ran.
pub fn exit_code_of(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Complete => EXIT_OK,
        Outcome::Incomplete => EXIT_INCOMPLETE,
        Outcome::NotSent => EXIT_NOT_SENT,
    }
}

/// The exit code for a command's result; prints the error, if any, as one line.
pub fn exit_code(result: &anyhow::Result<Outcome>) -> u8 {
    match result {
        Ok(outcome) => exit_code_of(*outcome),
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
        #[cfg(feature = "aws")]
        Command::Collect(args) => run_collect(args, cli.quiet),
        #[cfg(feature = "aws")]
        Command::Prices(PricesArgs { action: PricesAction::Refresh(args) }) => run_prices_refresh(args, cli.quiet),
        Command::Run(args) => crate::scheduled::run(&args.config, args.no_email, cli.quiet),
        Command::Init(args) => run_init(args, cli.quiet),
        Command::Config(ConfigArgs { action: ConfigAction::Check { path } }) => run_config_check(path),
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
pub(crate) fn one_line(message: &str) -> String {
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
pub(crate) fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => Config::load(path).map_err(|e| UsageError(e.to_string()).into()),
        None => Ok(Config::default()),
    }
}

pub(crate) fn analyze_snapshot(dir: &Path, config: &Config) -> anyhow::Result<Analysis> {
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
pub(crate) fn outcome(analysis: &Analysis) -> Outcome {
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
    let previous = args.previous.as_deref().map(PreviousReport::load).transpose()?;
    let analysis = analyze_snapshot(&args.input.snapshot, &config)?;
    let out = args.out.clone().unwrap_or_else(|| default_out_dir(&analysis));
    let changes = previous.as_ref().map(|p| Changes::between(p, None, &analysis));
    // --page-url wins over the config's page-url; `{run}` stands for the output directory's name.
    let out_name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let page_url = args
        .page_url
        .clone()
        .or_else(|| mail_config.and_then(|m| m.page_url.as_deref()).map(|u| u.replace("{run}", &out_name)));
    let options = email::EmailOptions { page_url: page_url.as_deref(), changes: changes.as_ref() };
    let page = write_report(&analysis, &out, quiet, &options)?;
    print_stdout(&format!("{}\n", page.display()))?;
    let outcome = outcome(&analysis);
    if let Some(mail_config) = mail_config.filter(|_| args.send) {
        let mail = send::Outgoing::load(&out)?;
        if deliver(mail_config, &mail, quiet).is_err() {
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

/// Sends `mail`; prints the result (a failure always, as `error: e-mail not sent: ...`) and returns the
/// failure's one-line message.
pub(crate) fn deliver(
    mail_config: &costwise_analyzer::config::EmailConfig,
    mail: &send::Outgoing,
    quiet: bool,
) -> Result<(), String> {
    match send::send(mail_config, mail) {
        Ok(()) => {
            if !quiet {
                eprintln!("E-mail \"{}\": sent to {}", mail.meta.subject, mail_config.to.join(", "));
            }
            Ok(())
        }
        Err(err) => {
            let message = one_line(&format!("{err:#}"));
            eprintln!("error: e-mail not sent: {message}");
            Err(message)
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
    Ok(if deliver(mail_config, &mail, quiet).is_ok() { Outcome::Complete } else { Outcome::NotSent })
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

/// Writes index.html, findings.json, findings.csv and the weekly e-mail (email.html, email.txt, email.json with
/// its subject and page link) into `out`;
/// returns the page's path.
pub fn write_report(
    analysis: &Analysis,
    out: &Path,
    quiet: bool,
    mail_options: &email::EmailOptions<'_>,
) -> anyhow::Result<PathBuf> {
    let view = match mail_options.changes {
        Some(changes) => ReportView::new(analysis).with_changes(analysis, changes),
        None => ReportView::new(analysis),
    };
    let page = html::render(&view).context("rendering index.html")?;
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
    let page_path = output::write_atomic(out, "index.html", page.as_bytes())?;
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
    import_snapshot(
        &args.inputs,
        &args.out,
        &CliScope { account_id: args.account.clone(), region: args.region.clone() },
        args.description.clone(),
        quiet,
    )?;
    print_stdout(&format!("{}\n", args.out.display()))?;
    Ok(Outcome::Complete)
}

#[cfg(feature = "aws")]
fn run_prices_refresh(args: &PricesRefreshArgs, quiet: bool) -> anyhow::Result<Outcome> {
    use costwise_analyzer::collect::Connection;
    let regions = match (&args.regions, &args.snapshot) {
        (Some(regions), _) => regions.clone(),
        (None, Some(snapshot)) => Dataset::open(snapshot)?.manifest().regions.clone(),
        (None, None) => Vec::new(),
    };
    if let Some(bad) = regions
        .iter()
        .find(|r| r.is_empty() || !r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    {
        return Err(UsageError(format!("--regions: {bad:?} is not a region code (us-east-1)")).into());
    }
    if regions.is_empty() {
        return Err(UsageError("no regions to fetch: pass --regions, or a --snapshot that has some".into()).into());
    }
    let connection = Connection::with_defaults(args.profile.clone(), args.endpoint_url.clone());
    let outcome = refresh_price_cache(&connection, &regions, &args.out, quiet)?;
    if !quiet {
        eprintln!("Name {} under [price-list] cache in the config to use these prices", args.out.display());
    }
    print_stdout(&format!("{}\n", args.out.display()))?;
    Ok(outcome)
}

/// Fetches the list prices of `regions` into the cache file `out` (replaced atomically), reporting each region
/// on stderr; the outcome is incomplete when a region had no products.
#[cfg(feature = "aws")]
pub(crate) fn refresh_price_cache(
    connection: &costwise_analyzer::collect::Connection,
    regions: &[String],
    out: &Path,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let now = chrono::Utc::now().naive_utc();
    let refreshed =
        costwise_analyzer::collect::refresh_prices(connection, regions, now.with_nanosecond(0).unwrap_or(now))?;
    for region in &refreshed.empty_regions {
        eprintln!("warning: the Price List API has no products for {region}: is it a region code?");
    }
    refreshed.cache.save(out)?;
    if !quiet {
        for (region, prices) in &refreshed.cache.regions {
            let savings_plan = prices.rates.keys().filter(|k| k.starts_with("sp_discount.")).count();
            eprintln!(
                "{region}: {} rate(s) and {savings_plan} savings-plan rate(s), published {}{}",
                prices.rates.len() - savings_plan,
                prices.published.as_deref().unwrap_or("(no date)"),
                match prices.conflicts {
                    0 => String::new(),
                    n => format!(", {n} key(s) priced differently by two products (the lower rate kept)"),
                }
            );
        }
        eprintln!(
            "Fetched list prices for {} region(s) into {} with {} Price List and Savings Plans API request(s) (free)",
            regions.len(),
            out.display(),
            refreshed.requests,
        );
    }
    Ok(if refreshed.empty_regions.is_empty() { Outcome::Complete } else { Outcome::Incomplete })
}

#[cfg(feature = "aws")]
fn run_collect(args: &CollectArgs, quiet: bool) -> anyhow::Result<Outcome> {
    use costwise_analyzer::collect::{Accounts, Billing, CollectOptions};
    let now = chrono::Utc::now().naive_utc();
    if let Some(bad) = args.accounts.iter().flatten().find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(UsageError(format!("--accounts: {bad:?} is not a 12-digit AWS account id")).into());
    }
    let accounts = match (&args.accounts, args.organization) {
        (_, true) => Accounts::Organization,
        (Some(accounts), false) => Accounts::Listed(accounts.clone()),
        (None, false) => Accounts::Current,
    };
    let options = CollectOptions {
        profile: args.profile.clone(),
        accounts,
        role_name: args.role_name.clone(),
        external_id: args.external_id.clone(),
        lookback_days: args.lookback_days,
        regions: args.regions.clone(),
        endpoint_url: args.endpoint_url.clone(),
        concurrency: args.concurrency.max(1),
        max_attempts: args.max_attempts,
        attempt_timeout: std::time::Duration::from_secs(args.timeout),
        created_at: now.with_nanosecond(0).unwrap_or(now),
        keep_dumps: args.keep_dumps.clone(),
        billing: Billing::choose(args.cur.clone(), !args.no_cost_explorer, !args.also_import.is_empty()),
        also_import: args.also_import.clone(),
        progress: (!quiet).then(|| {
            std::sync::Arc::new(crate::progress::CollectProgress::on_stderr())
                as std::sync::Arc<dyn costwise_analyzer::collect::Progress>
        }),
    };
    let outcome = collect_snapshot(&args.out, &options, quiet)?;
    print_stdout(&format!("{}\n", args.out.display()))?;
    Ok(outcome)
}

/// Collects a snapshot into `out`, reporting every gap and the collection's size and cost on stderr; the
/// outcome is incomplete when a call failed.
#[cfg(feature = "aws")]
pub(crate) fn collect_snapshot(
    out: &Path,
    options: &costwise_analyzer::collect::CollectOptions,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let summary = costwise_analyzer::collect::collect(out, options)?;
    for gap in &summary.gaps {
        eprintln!(
            "warning: not collected: {} {}: {}",
            gap.account_id.as_deref().unwrap_or("-"),
            gap.region.as_deref().unwrap_or("-"),
            gap.reason
        );
    }
    if !quiet {
        eprintln!(
            "Collected {} account(s) ({}) in {} region(s) with {} API request(s), {} CloudWatch metric(s), {} Cost \
             Explorer request(s){}: ${:.2} of API charges{}",
            summary.accounts.len(),
            summary.accounts.join(", "),
            summary.regions.len(),
            summary.requests,
            summary.metrics_requested,
            summary.cost_explorer_requests,
            match summary.export_files {
                0 => String::new(),
                n => format!(", {n} billing export file(s)"),
            },
            summary.api_cost(),
            if summary.gaps.is_empty() {
                String::new()
            } else {
                format!("; {} call(s) failed and are recorded as gaps in the snapshot", summary.gaps.len())
            }
        );
    }
    Ok(if summary.gaps.is_empty() { Outcome::Complete } else { Outcome::Incomplete })
}

/// Imports `inputs` into the snapshot `out` (replaced atomically), reporting what was read on stderr.
pub(crate) fn import_snapshot(
    inputs: &[PathBuf],
    out: &Path,
    scope: &CliScope,
    description: Option<String>,
    quiet: bool,
) -> anyhow::Result<()> {
    use costwise_analyzer::ingest::{ImportOptions, import};
    use costwise_analyzer::manifest::TableStatus;

    // The import moment is the one place the wall clock enters a snapshot: it is when the
    // inventory was observed, and the "as of" of a snapshot without billing data.
    let now = chrono::Utc::now().naive_utc();
    let created_at = now.with_nanosecond(0).unwrap_or(now);
    let options = ImportOptions {
        scope: scope.clone(),
        created_at,
        description,
        kind: costwise_analyzer::manifest::SourceKind::Import,
        gaps: Vec::new(),
        origins: Vec::new(),
    };
    let summary = import(inputs, out, &options)?;
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
    Ok(())
}

/// The example config `costwise init` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("../costwise.example.toml");

fn run_init(args: &InitArgs, quiet: bool) -> anyhow::Result<Outcome> {
    if args.path.exists() && !args.force {
        return Err(UsageError(format!(
            "{} already exists; pass --force to replace it, or `costwise config check {}` to validate it",
            args.path.display(),
            args.path.display()
        ))
        .into());
    }
    let dir = match args.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = args.path.file_name().context("the config path has no file name")?.to_string_lossy().into_owned();
    output::ensure_dir(&dir)?;
    let path = output::write_atomic(&dir, &name, EXAMPLE_CONFIG.as_bytes())?;
    if !quiet {
        eprintln!("Wrote an example config; edit [source] (and [email]), then check it with `costwise config check`.");
    }
    print_stdout(&format!("{}\n", path.display()))?;
    Ok(Outcome::Complete)
}

fn run_config_check(path: &Path) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    match Config::check(&text, Some(path)) {
        Ok(config) => {
            let mut summary = format!("{}: OK", path.display());
            if let Some(source) = &config.source {
                let _ = write!(summary, "; analyzes {}", source.snapshot.display());
                if !source.import.is_empty() {
                    let _ = write!(summary, " (re-imported from {} input(s) each run)", source.import.len());
                }
                let _ = write!(summary, "; history in {}", config.report.dir.display());
            } else {
                summary.push_str("; no [source] section, so `costwise run` cannot use it (report/analyze can)");
            }
            match &config.email {
                Some(mail) => {
                    let _ =
                        write!(summary, "; e-mails {} via {}:{}", mail.to.join(", "), mail.smtp_host, mail.smtp_port);
                }
                None => summary.push_str("; no e-mail"),
            }
            print_stdout(&format!("{summary}\n"))?;
            Ok(Outcome::Complete)
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {}: {}", path.display(), one_line(problem));
            }
            Err(UsageError(format!("{}: {} problem(s)", path.display(), problems.len())).into())
        }
    }
}

fn run_schema() -> anyhow::Result<Outcome> {
    print_stdout(&costwise_analyzer::schema::data_model_markdown())?;
    Ok(Outcome::Complete)
}

/// Writes to stdout, treating a closed pipe (`costwise rules | head`) as success.
pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
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
