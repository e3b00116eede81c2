//! `warren drift`: whether the broker still matches the files; every
//! object of the managed vhosts counts, so an undeclared one is drift.

use std::path::PathBuf;

use super::live::{block_on, connect_after_files, free_in_background, load_and_plan};
use super::{Outcome, Status};
use crate::cli::GlobalArgs;
use crate::plan::Prune;
use crate::render::{self, Subject};

pub fn run(global: &GlobalArgs, paths: &[PathBuf]) -> Outcome {
    let client = connect_after_files(global, paths)?;
    let (mut plan, live) = block_on(load_and_plan(&client, paths, Prune::default()))?;
    plan.keep_unfinished_migrations();
    free_in_background(live);
    render::show_plan(&plan, Subject::Drift, global.format.into());
    Ok(if plan.summary.differences() == 0 {
        Status::Clean
    } else {
        Status::Changes
    })
}
