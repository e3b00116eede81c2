//! `warren route`: which queues a message reaches, from the files.

use std::path::PathBuf;

use super::{Failure, Outcome};
use crate::cli::GlobalArgs;

pub fn run(
    _global: &GlobalArgs,
    _paths: &[PathBuf],
    _vhost: &str,
    _exchange: &str,
    _routing_key: &str,
    _headers: &[String],
) -> Outcome {
    Err(Failure::new("not yet"))
}
