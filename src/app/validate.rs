//! `warren validate`: load and check files offline.

use std::path::PathBuf;

use super::{Failure, Outcome};
use crate::cli::GlobalArgs;

pub fn run(_global: &GlobalArgs, _paths: &[PathBuf]) -> Outcome {
    Err(Failure::new("not yet"))
}
