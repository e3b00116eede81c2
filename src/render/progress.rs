//! The progress of an apply on stderr: a bar on a terminal, else (and with
//! `--verbose`, whose request log would tear a bar) one line per finished
//! step. It is told about steps; it decides nothing about them.

use std::io::IsTerminal;
use std::sync::Arc;

use super::{describe_step, print_stderr};
use crate::execute::{Progress, StepResult};
use crate::plan::Step;

/// The progress view for an apply of `total` steps.
pub fn progress_view(total: usize, verbose: bool) -> Arc<dyn Progress> {
    if std::io::stderr().is_terminal() && !verbose {
        Arc::new(BarProgress::new(total))
    } else {
        Arc::new(LineProgress)
    }
}

/// One line per finished step on stderr (logs, CI).
struct LineProgress;

impl Progress for LineProgress {
    fn started(&self, _step: &Step) {}

    fn finished(&self, result: &StepResult) {
        print_stderr(&match &result.error {
            None => format!("done: {}\n", describe_step(&result.step)),
            Some(e) => format!("FAILED: {}: {e}\n", describe_step(&result.step)),
        });
    }
}

/// A progress bar on stderr (terminals), cleared when dropped.
struct BarProgress(indicatif::ProgressBar);

impl BarProgress {
    fn new(total: usize) -> BarProgress {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .expect("a valid template"),
        );
        BarProgress(bar)
    }
}

impl Progress for BarProgress {
    fn started(&self, step: &Step) {
        self.0.set_message(describe_step(step));
    }

    fn finished(&self, result: &StepResult) {
        if let Some(e) = &result.error {
            self.0
                .println(format!("FAILED: {}: {e}", describe_step(&result.step)));
        }
        self.0.inc(1);
    }
}

impl Drop for BarProgress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
