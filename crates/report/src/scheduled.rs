//! `costwise run`: the whole weekly job, for cron, a systemd timer or a
//! Kubernetes CronJob.
//!
//! One run: take the history's lock ([`crate::lock`]), create
//! `<reports>/<run-id>/`, re-import the source when the config says so, analyze
//! the snapshot, compare with the newest earlier report ([`crate::changes`]),
//! write the report files, send the e-mail, then write `run.json` and rewrite
//! `<reports>/index.html` ([`crate::history`]).
//!
//! Whatever goes wrong after the run directory exists, `run.json` and the
//! index are still written, so the history shows the failed run and its
//! error; the exit code is the one the same failure would give `costwise
//! report` (1 error, 3 rules failed, 4 e-mail not sent).

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use costwise_analyzer::Analysis;
use costwise_analyzer::config::EmailConfig;
use costwise_analyzer::ingest::aws_cli::CliScope;

use crate::changes::Changes;
use crate::cli::{self, Outcome, UsageError};
use crate::history::{EmailOutcome, History, RUN_SCHEMA_VERSION, RunRecord, RunStatus, SinceLast};
use crate::lock::RunLock;
use crate::{email, send};

/// Runs the scheduled job configured in `config_path`.
pub fn run(config_path: &Path, no_email: bool, quiet: bool) -> anyhow::Result<Outcome> {
    let config = cli::load_config(Some(config_path))?;
    let Some(source) = config.source.clone() else {
        return Err(UsageError(format!(
            "{}: no [source] section: `costwise run` needs `snapshot = \"DIR\"` (and optionally `import = [...]`) \
             to know what to analyze",
            config_path.display()
        ))
        .into());
    };
    let history = History::new(&config.report.dir);
    crate::output::ensure_dir(history.dir())?;
    let lock = RunLock::acquire(&history.dir().join(".costwise.lock"))?;
    if let Some(previous) = &lock.recovered_from {
        eprintln!("warning: recovered a stale lock ({previous}): a previous run died without releasing it");
    }

    let started_at = Utc::now();
    let clock = Instant::now();
    let (run_id, run_dir) = history.create_run_dir(started_at)?;
    tracing::info!(run = %run_id, dir = %run_dir.display(), "run started");
    let mut record = RunRecord {
        schema_version: RUN_SCHEMA_VERSION,
        run_id: run_id.clone(),
        generator: crate::GENERATOR.to_owned(),
        started_at,
        finished_at: started_at,
        duration_seconds: 0.0,
        status: RunStatus::Failed,
        exit_code: cli::EXIT_ERROR,
        config: config_path.display().to_string(),
        inputs: if source.import.is_empty() {
            vec![source.snapshot.display().to_string()]
        } else {
            source.import.iter().map(|p| p.display().to_string()).collect()
        },
        as_of: None,
        findings: None,
        monthly_savings: None,
        monthly_spend: None,
        savings_pct: None,
        rule_failures: Vec::new(),
        since_last: None,
        email: None,
        error: None,
    };

    let mail_config = config.email.as_ref().filter(|_| !no_email);
    // Replaced once the e-mail is sent (or fails); stays when the run fails before it gets there.
    record.email = mail_config.map(|m| EmailOutcome {
        sent: false,
        to: m.to.clone(),
        subject: None,
        error: Some("not sent: the run stopped before the e-mail".to_owned()),
    });
    let result = pipeline(&config, &source, &history, &run_id, &run_dir, mail_config, quiet, &mut record);
    record.finished_at = Utc::now();
    record.duration_seconds = clock.elapsed().as_secs_f64();
    match &result {
        Ok(outcome) => {
            record.status = match outcome {
                Outcome::Complete => RunStatus::Complete,
                Outcome::Incomplete => RunStatus::Incomplete,
                Outcome::NotSent => RunStatus::NotSent,
            };
            record.exit_code = cli::exit_code_of(*outcome);
        }
        Err(err) => {
            record.status = RunStatus::Failed;
            record.exit_code = cli::EXIT_ERROR;
            record.error = Some(cli::one_line(&format!("{err:#}")));
        }
    }
    // The record and the index are written even for a failed run; a failure here is reported, not hidden,
    // but does not mask the run's own error.
    let bookkeeping = record.write(&run_dir).and_then(|_| history.write_index());
    match (result, bookkeeping) {
        (Ok(outcome), Ok(index)) => {
            if !quiet {
                eprintln!("Run {run_id} done in {:.1} s; history: {}", record.duration_seconds, index.display());
            }
            cli::print_stdout(&format!("{}\n", run_dir.join("index.html").display()))?;
            Ok(outcome)
        }
        (Ok(_), Err(err)) => Err(err.context(format!("run {run_id}: report written, but the history index failed"))),
        (Err(err), Ok(_)) => Err(err.context(format!("run {run_id} failed (recorded in its run.json)"))),
        (Err(err), Err(bookkeeping)) => {
            eprintln!(
                "error: run {run_id}: could not record the failure: {}",
                cli::one_line(&format!("{bookkeeping:#}"))
            );
            Err(err.context(format!("run {run_id} failed")))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn pipeline(
    config: &costwise_analyzer::Config,
    source: &costwise_analyzer::config::SourceConfig,
    history: &History,
    run_id: &str,
    run_dir: &Path,
    mail_config: Option<&EmailConfig>,
    quiet: bool,
    record: &mut RunRecord,
) -> anyhow::Result<Outcome> {
    let mut collected = Outcome::Complete;
    if let Some(collect) = &config.collect {
        collected = collect_source(collect, source, quiet).context("collecting from AWS ([collect])")?;
    } else if !source.import.is_empty() {
        let scope = CliScope { account_id: source.account.clone(), region: source.region.clone() };
        cli::import_snapshot(&source.import, &source.snapshot, &scope, Some(format!("costwise run {run_id}")), quiet)
            .context("importing [source] import")?;
    }
    let prices = refresh_price_list(config, source, quiet)?;
    let analysis = cli::analyze_snapshot(&source.snapshot, config)?;
    describe(&analysis, record);

    let previous = history.previous_report(run_id)?;
    let changes = previous.as_ref().map(|(id, report)| Changes::between(report, Some(id), &analysis));
    if let Some(changes) = &changes {
        record.since_last = Some(SinceLast {
            previous_run: changes.previous_run.clone().unwrap_or_default(),
            new: changes.new_count(),
            resolved: changes.resolved.len(),
            realized_monthly_savings: changes.realized_monthly_savings(),
        });
    }
    let page_url = mail_config.and_then(|m| m.page_url.as_deref()).map(|u| u.replace("{run}", run_id));
    let options = email::EmailOptions { page_url: page_url.as_deref(), changes: changes.as_ref() };
    cli::write_report(&analysis, run_dir, quiet, &options)?;
    // A collection with gaps, or a price refresh that failed, makes the run partial even when every rule ran.
    let outcome = match (cli::outcome(&analysis), collected, prices) {
        (Outcome::Complete, Outcome::Incomplete, _) | (Outcome::Complete, _, Outcome::Incomplete) => {
            Outcome::Incomplete
        }
        (outcome, _, _) => outcome,
    };

    let Some(mail_config) = mail_config else { return Ok(outcome) };
    record.email = None;
    let mail = send::Outgoing::load(run_dir)?;
    let sent = cli::deliver(mail_config, &mail, quiet);
    record.email = Some(EmailOutcome {
        sent: sent.is_ok(),
        to: mail_config.to.clone(),
        subject: Some(mail.meta.subject.clone()),
        error: sent.as_ref().err().map(|e| format!("e-mail not sent: {e}")),
    });
    if sent.is_err() {
        eprintln!(
            "note: the report in {dir} is complete; re-send it with `costwise send --run {dir} --config {}`",
            config.path.as_deref().unwrap_or(Path::new("FILE")).display(),
            dir = run_dir.display()
        );
        return Ok(Outcome::NotSent);
    }
    Ok(outcome)
}

/// Collects `[collect]` into `[source] snapshot`, importing `[source] import` (billing exports) with it.
#[cfg(feature = "aws")]
fn collect_source(
    collect: &costwise_analyzer::config::CollectConfig,
    source: &costwise_analyzer::config::SourceConfig,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    use costwise_analyzer::collect::{self as aws, Accounts, CollectOptions};
    let now = Utc::now().naive_utc();
    let options = CollectOptions {
        profile: collect.profile.clone(),
        accounts: if collect.organization {
            Accounts::Organization
        } else if collect.accounts.is_empty() {
            Accounts::Current
        } else {
            Accounts::Listed(collect.accounts.clone())
        },
        role_name: collect.role_name.clone().unwrap_or_else(|| aws::DEFAULT_ROLE_NAME.to_owned()),
        external_id: std::env::var("COSTWISE_EXTERNAL_ID").ok().filter(|id| !id.is_empty()),
        regions: (!collect.regions.is_empty()).then(|| collect.regions.clone()),
        endpoint_url: collect.endpoint_url.clone(),
        concurrency: 8,
        max_attempts: aws::DEFAULT_MAX_ATTEMPTS,
        attempt_timeout: std::time::Duration::from_secs(aws::DEFAULT_ATTEMPT_TIMEOUT_SECONDS),
        created_at: chrono::Timelike::with_nanosecond(&now, 0).unwrap_or(now),
        lookback_days: collect.lookback_days.unwrap_or(aws::DEFAULT_LOOKBACK_DAYS),
        keep_dumps: collect.keep_dumps.clone(),
        billing: aws::Billing::choose(collect.cur.clone(), collect.cost_explorer, !source.import.is_empty()),
        also_import: source.import.clone(),
        progress: (!quiet).then(|| {
            std::sync::Arc::new(crate::progress::CollectProgress::on_stderr()) as std::sync::Arc<dyn aws::Progress>
        }),
    };
    cli::collect_snapshot(&source.snapshot, &options, quiet)
}

/// Refreshes the `[price-list]` cache for the snapshot's regions when `refresh-after-days` says it is due, or
/// when the snapshot has a region the cache lacks.
/// A failed refresh keeps the previous cache and makes the run incomplete; without any cache it fails the run,
/// since the analysis could not honor `[price-list]`.
#[cfg(feature = "aws")]
fn refresh_price_list(
    config: &costwise_analyzer::Config,
    source: &costwise_analyzer::config::SourceConfig,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    use costwise_analyzer::collect::Connection;
    use costwise_analyzer::prices::PriceListCache;
    let Some(price_list) = &config.price_list else { return Ok(Outcome::Complete) };
    let Some(days) = price_list.refresh_after_days else { return Ok(Outcome::Complete) };
    let now = Utc::now().naive_utc();
    let regions = costwise_analyzer::Dataset::open(&source.snapshot)?.manifest().regions.clone();
    let cache = PriceListCache::load(&price_list.cache).ok();
    let fetched = cache.as_ref().map(|cache| cache.fetched_at);
    let fresh = fetched.is_some_and(|at| now - at < chrono::Duration::days(i64::from(days)));
    let covers = cache.as_ref().is_some_and(|cache| regions.iter().all(|r| cache.regions.contains_key(r)));
    if fresh && covers {
        return Ok(Outcome::Complete);
    }
    let collect = config.collect.as_ref();
    let connection = Connection::with_defaults(
        collect.and_then(|c| c.profile.clone()),
        collect.and_then(|c| c.endpoint_url.clone()),
    );
    match cli::refresh_price_cache(&connection, &regions, &price_list.cache, quiet) {
        Ok(outcome) => Ok(outcome),
        Err(err) if fetched.is_some() => {
            eprintln!(
                "warning: the price list {} was not refreshed (the previous one, fetched {}, is used): {}",
                price_list.cache.display(),
                fetched.map(|at| at.date().to_string()).unwrap_or_default(),
                cli::one_line(&format!("{err:#}"))
            );
            Ok(Outcome::Incomplete)
        }
        Err(err) => Err(err.context(format!("refreshing [price-list] cache {}", price_list.cache.display()))),
    }
}

#[cfg(not(feature = "aws"))]
fn refresh_price_list(
    config: &costwise_analyzer::Config,
    _source: &costwise_analyzer::config::SourceConfig,
    _quiet: bool,
) -> anyhow::Result<Outcome> {
    if config.price_list.as_ref().is_some_and(|p| p.refresh_after_days.is_some()) {
        eprintln!(
            "warning: this costwise was built without the `aws` feature: [price-list] refresh-after-days is ignored"
        );
        return Ok(Outcome::Incomplete);
    }
    Ok(Outcome::Complete)
}

#[cfg(not(feature = "aws"))]
fn collect_source(
    _collect: &costwise_analyzer::config::CollectConfig,
    _source: &costwise_analyzer::config::SourceConfig,
    _quiet: bool,
) -> anyhow::Result<Outcome> {
    anyhow::bail!("this costwise was built without the `aws` feature, so it cannot collect; use [source] import")
}

/// Copies the headline figures of `analysis` into the run record.
fn describe(analysis: &Analysis, record: &mut RunRecord) {
    record.as_of = Some(analysis.as_of.format("%Y-%m-%dT%H:%M:%S").to_string());
    record.findings = Some(analysis.findings.len());
    record.monthly_savings = Some(analysis.totals.monthly_savings);
    record.monthly_spend = Some(analysis.totals.monthly_spend);
    record.savings_pct = analysis.totals.savings_pct;
    record.rule_failures = analysis.errors.iter().map(ToString::to_string).collect();
}
