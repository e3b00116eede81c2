//! `warren validate`: load and check files offline, then show the report
//! (`render`'s diagnostics view). It decides nothing itself: the rules are
//! `load`'s.

use super::{Failure, Outcome, Sources, Status};
use crate::cli::GlobalArgs;
use crate::render::{self, error_count_line};

pub fn run(global: &GlobalArgs, sources: Sources<'_>) -> Outcome {
    let result = sources.load();
    render::show_validation(sources.paths, &result, global.format.into());
    match result {
        Ok(_) => Ok(Status::Clean),
        Err(failed) => Err(Failure::reported(error_count_line(&failed.errors))),
    }
}
