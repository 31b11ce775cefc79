//! The deployment files in `deploy/` invoke costwise the way the CLI accepts,
//! and the config embedded in the Kubernetes manifest is valid, so a renamed
//! flag or config key cannot silently break a user's cron job.

use std::path::Path;

use clap::Parser as _;
use costwise_report::cli::{Cli, Command};

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// Parses a costwise command line (program name first) and checks it is `run --config FILE`.
fn assert_scheduled_run(words: &[&str], origin: &str) {
    let cli = Cli::try_parse_from(words).unwrap_or_else(|e| panic!("{origin}: {words:?} is not a valid command: {e}"));
    assert!(matches!(cli.command, Command::Run(_)), "{origin}: expected `costwise run`, got {words:?}");
    assert!(words.contains(&"--config"), "{origin}: {words:?}");
}

#[test]
fn the_crontab_line_is_a_valid_run() {
    let crontab = read("deploy/crontab");
    let entries: Vec<&str> =
        crontab.lines().filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '*')).collect();
    assert_eq!(entries.len(), 1, "{crontab}");
    let fields: Vec<&str> = entries[0].split_whitespace().collect();
    assert_eq!(&fields[..5], ["0", "6", "*", "*", "1"], "Mondays at 06:00");
    let command: Vec<&str> = fields[5..].iter().copied().take_while(|w| !w.starts_with(">>")).collect();
    assert!(command[0].ends_with("/costwise"), "{command:?}");
    assert_scheduled_run(&command, "deploy/crontab");
}

#[test]
fn the_systemd_service_runs_costwise_and_the_timer_is_weekly() {
    let service = read("deploy/systemd/costwise.service");
    let exec = service.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("ExecStart=");
    let words: Vec<&str> = exec.split_whitespace().collect();
    assert_scheduled_run(&words, "deploy/systemd/costwise.service");
    assert!(service.contains("Type=oneshot"));
    let timer = read("deploy/systemd/costwise.timer");
    assert!(timer.contains("OnCalendar=Mon *-*-* 06:00:00") && timer.contains("Persistent=true"), "{timer}");
}

#[test]
fn the_kubernetes_cronjob_runs_costwise_with_a_valid_config() {
    let manifest = read("deploy/kubernetes/cronjob.yaml");
    let args = manifest.lines().find_map(|l| l.trim().strip_prefix("args:")).expect("args:");
    let args: Vec<String> = serde_json::from_str(args.trim()).expect("args is a JSON-style list");
    let mut words = vec!["costwise"];
    words.extend(args.iter().map(String::as_str));
    assert_scheduled_run(&words, "deploy/kubernetes/cronjob.yaml");
    assert!(manifest.contains("concurrencyPolicy: Forbid"));

    // The ConfigMap's costwise.toml: the indented block after `costwise.toml: |`.
    let mut lines = manifest.lines().skip_while(|l| !l.trim_start().starts_with("costwise.toml: |")).skip(1);
    let first = lines.next().expect("config block");
    let indent = first.len() - first.trim_start().len();
    let mut block = String::new();
    for line in std::iter::once(first)
        .chain(lines.take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent))
    {
        block.push_str(line.get(indent..).unwrap_or(""));
        block.push('\n');
    }
    let config = costwise_analyzer::Config::check(&block, Some(Path::new("/etc/costwise/costwise.toml")))
        .unwrap_or_else(|problems| panic!("the ConfigMap's costwise.toml is invalid: {problems:?}\n{block}"));
    assert!(config.source.is_some() && config.email.is_some());
    assert_eq!(config.report.dir, Path::new("/var/lib/costwise/reports"));
}
