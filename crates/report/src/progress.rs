//! How `costwise collect` shows its progress: a bar per phase on a
//! terminal, plain lines in a log.
//!
//! A collection over an organization can take many minutes; on a terminal
//! the user sees each phase's bar with the account, region and call that
//! finished last, and failures as they happen. When stderr is not a
//! terminal (cron, CI, a log file), bars would be escape-code noise, so each
//! phase prints a line when it starts and when it ends with its count of
//! failed calls: a bounded log whatever the organization's size (each
//! failure is then listed once, at the end, by `costwise collect`).

use std::sync::Mutex;

use costwise_analyzer::collect::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress on stderr: bars on a terminal, lines elsewhere.
pub struct CollectProgress {
    bars: bool,
    state: Mutex<Phase>,
}

#[derive(Default)]
struct Phase {
    name: &'static str,
    steps: usize,
    done: usize,
    failed: usize,
    bar: Option<ProgressBar>,
}

impl CollectProgress {
    /// Bars when stderr is a terminal, lines otherwise.
    pub fn on_stderr() -> CollectProgress {
        use std::io::IsTerminal as _;
        CollectProgress { bars: std::io::stderr().is_terminal(), state: Mutex::new(Phase::default()) }
    }

    fn finish(phase: &mut Phase) {
        if phase.name.is_empty() {
            return;
        }
        if let Some(bar) = phase.bar.take() {
            bar.finish_and_clear();
        }
        let failed = match phase.failed {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        eprintln!("collect: {} done: {}/{} call(s){failed}", phase.name, phase.done, phase.steps);
    }
}

impl Progress for CollectProgress {
    fn phase(&self, name: &'static str, steps: usize) {
        let mut phase = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::finish(&mut phase);
        *phase = Phase::default();
        if steps == 0 {
            return;
        }
        let bar = self.bars.then(|| {
            let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(name);
            bar
        });
        if !self.bars {
            eprintln!("collect: {name}: {steps} call(s)");
        }
        *phase = Phase { name, steps, done: 0, failed: 0, bar };
    }

    fn step(&self, account: &str, region: Option<&str>, what: &str, failed: bool) {
        let mut phase = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        phase.done += 1;
        phase.failed += usize::from(failed);
        let place = match region {
            Some(region) => format!("{account} {region}"),
            None => account.to_owned(),
        };
        if let Some(bar) = &phase.bar {
            bar.inc(1);
            if failed {
                bar.println(format!("collect: {place}: {what} failed"));
            }
            bar.set_message(format!("{place} {what}"));
        }
        if phase.done == phase.steps {
            Self::finish(&mut phase);
            *phase = Phase::default();
        }
    }
}
