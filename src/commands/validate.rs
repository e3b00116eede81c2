//! `warren validate`: load and check files offline, then show the report
//! (`render`'s diagnostics view). It decides nothing itself: the rules are
//! `load`'s.

use std::path::PathBuf;

use super::{Failure, Outcome, Status};
use crate::cli::GlobalArgs;
use crate::load;
use crate::render::{self, error_count_line};

pub fn run(global: &GlobalArgs, paths: &[PathBuf]) -> Outcome {
    let result = load::load(paths);
    render::show_validation(paths, &result, global.format.into());
    match result {
        Ok(_) => Ok(Status::Clean),
        Err(failed) => Err(Failure::reported(error_count_line(&failed.errors))),
    }
}
