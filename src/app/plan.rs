//! `warren plan` and `warren drift`: the files against the live broker.

use std::path::{Path, PathBuf};

use super::live::{block_on, connect, file_names, plan_against_broker};
use super::{Failure, Outcome, Status, load_files, print_stdout, stdout_is_colour};
use crate::cli::{Format, GlobalArgs};
use crate::render::{Subject, render_drift_json, render_markdown, render_plan_json, render_text};

pub fn run_plan(
    global: &GlobalArgs,
    paths: &[PathBuf],
    prune: bool,
    detailed_exitcode: bool,
    out: Option<&Path>,
) -> Outcome {
    let loaded = load_files(paths)?;
    let client = connect(global)?;
    let (plan, _) = block_on(plan_against_broker(
        &client,
        &loaded.topology,
        file_names(&loaded),
        prune,
    ))?;
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
    let loaded = load_files(paths)?;
    let client = connect(global)?;
    // Every object of the managed vhosts counts: undeclared ones are drift.
    let (plan, _) = block_on(plan_against_broker(
        &client,
        &loaded.topology,
        file_names(&loaded),
        false,
    ))?;
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
