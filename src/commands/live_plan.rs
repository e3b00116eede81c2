//! `warren plan` and `warren drift`: the files against the live broker.

use std::path::{Path, PathBuf};

use super::live::{block_on, connect_after_files, free_in_background, load_and_plan};
use super::{Failure, Outcome, Status, print_stdout, stdout_is_colour};
use crate::cli::{Format, GlobalArgs};
use crate::render::{Subject, render_drift_json, render_markdown, render_plan_json, render_text};

pub fn run_plan(
    global: &GlobalArgs,
    paths: &[PathBuf],
    prune: bool,
    detailed_exitcode: bool,
    out: Option<&Path>,
) -> Outcome {
    let client = connect_after_files(global, paths)?;
    let (plan, live) = block_on(load_and_plan(&client, paths, prune))?;
    free_in_background(live);
    if let Some(out) = out {
        std::fs::write(out, render_plan_json(&plan)).map_err(|e| {
            Failure::new(format!("cannot write the plan to {}: {e}", out.display()))
        })?;
        eprintln!(
            "plan saved to {}; carry it out with: warren apply --plan {}",
            out.display(),
            out.display()
        );
    }
    print_stdout(&match global.format {
        Format::Text => render_text(&plan, Subject::Plan, stdout_is_colour()),
        Format::Json => render_plan_json(&plan),
        Format::Markdown => render_markdown(&plan, Subject::Plan),
    });
    Ok(if detailed_exitcode && !plan.is_empty() {
        Status::Changes
    } else {
        Status::Clean
    })
}

pub fn run_drift(global: &GlobalArgs, paths: &[PathBuf]) -> Outcome {
    let client = connect_after_files(global, paths)?;
    // Every object of the managed vhosts counts: undeclared ones are drift.
    let (plan, live) = block_on(load_and_plan(&client, paths, false))?;
    free_in_background(live);
    print_stdout(&match global.format {
        Format::Text => render_text(&plan, Subject::Drift, stdout_is_colour()),
        Format::Json => render_drift_json(&plan),
        Format::Markdown => render_markdown(&plan, Subject::Drift),
    });
    Ok(if plan.summary.differences() == 0 {
        Status::Clean
    } else {
        Status::Changes
    })
}
