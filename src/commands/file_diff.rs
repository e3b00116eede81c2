//! `warren diff OLD NEW`: two versions of the files compared offline, with
//! the same plan engine and views as `plan` (OLD plays the broker). What
//! NEW no longer declares is what `apply` leaves unmanaged, or deletes
//! with `--prune`: the diff takes the flag the pipeline's apply takes.

use std::path::PathBuf;

use super::{Outcome, Status, load_files};
use crate::cli::GlobalArgs;
use crate::graph::Graph;
use crate::plan::{PlanInputs, Prune, plan_changes};
use crate::render::{self, Format, Subject};

pub fn run(global: &GlobalArgs, old: &PathBuf, new: &PathBuf, prune: Prune) -> Outcome {
    let old_files = load_files(std::slice::from_ref(old))?;
    let new_files = load_files(std::slice::from_ref(new))?;
    let plan = plan_changes(
        &new_files.topology,
        &old_files.topology,
        PlanInputs {
            broker: None,
            files: new_files
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            prune: prune.objects,
            prune_users: prune.users,
            prune_global_parameters: prune.global_parameters,
            ..PlanInputs::default()
        },
    );
    let format: Format = global.format.into();
    // A pull-request comment draws the routing the change makes.
    let routing = (format == Format::Markdown).then(|| Graph::review(&old_files.topology, &plan));
    render::show_reviewed_plan(&plan, Subject::Diff, format, routing.as_ref());
    Ok(if plan.summary.differences() == 0 {
        Status::Clean
    } else {
        Status::Changes
    })
}
