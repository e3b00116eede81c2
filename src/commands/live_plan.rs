//! `warren plan`: the files planned against the live broker, shown, and
//! saved for `warren apply --plan` with `--out`.

use std::path::Path;

use super::live::{
    block_on, check_shovel_plugin, connect_after_files, free_in_background, load_and_plan,
};
use super::{Failure, Outcome, Sources, Status};
use crate::cli::GlobalArgs;
use crate::graph::Graph;
use crate::plan::Prune;
use crate::render::{self, Format, Subject, notices, render_plan_json};

pub fn run(
    global: &GlobalArgs,
    sources: Sources<'_>,
    prune: Prune,
    detailed_exitcode: bool,
    out: Option<&Path>,
    migrate: bool,
) -> Outcome {
    let client = connect_after_files(global, sources)?;
    let (plan, live) = block_on(async {
        let (mut plan, live) = load_and_plan(&client, sources, prune).await?;
        if !migrate {
            plan.keep_unfinished_migrations();
        }
        check_shovel_plugin(&client, &mut plan).await?;
        Ok((plan, live))
    })?;
    let locks_out = plan.check_access(client.username(), &live);
    let format: Format = global.format.into();
    // A pull-request comment draws the routing the plan changes.
    let routing = (format == Format::Markdown).then(|| Graph::review(&live, &plan));
    free_in_background(live);
    if let (Some(out), Ok(())) = (out, &locks_out) {
        std::fs::write(out, render_plan_json(&plan)).map_err(|e| {
            Failure::new(format!("cannot write the plan to {}: {e}", out.display()))
        })?;
        notices::plan_saved(out);
    }
    render::show_reviewed_plan(&plan, Subject::Plan, format, routing.as_ref());
    locks_out?;
    Ok(if detailed_exitcode && !plan.is_empty() {
        Status::Changes
    } else {
        Status::Clean
    })
}
