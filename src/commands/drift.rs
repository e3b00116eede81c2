//! `warren drift`: whether the broker still matches the files; every
//! object of the managed vhosts counts, so an undeclared one is drift.

use super::live::{block_on, connect_after_files, free_in_background, load_and_plan};
use super::{Outcome, Sources, Status};
use crate::cli::GlobalArgs;
use crate::plan::Prune;
use crate::render::{self, Subject};

pub fn run(global: &GlobalArgs, sources: Sources<'_>) -> Outcome {
    let client = connect_after_files(global, sources)?;
    let (mut plan, live) = block_on(load_and_plan(&client, sources, Prune::default()))?;
    plan.keep_unfinished_migrations();
    free_in_background(live);
    render::show_plan(&plan, Subject::Drift, global.format.into());
    Ok(if plan.summary.differences() == 0 {
        Status::Clean
    } else {
        Status::Changes
    })
}
