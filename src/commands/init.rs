//! `warren init`: writes the embedded default topology to
//! `./topologies/default.yaml`, never over an existing file without `--force`.

use std::path::Path;

use super::{Failure, Outcome, Status};
use crate::render::notices;

/// The shipped default topology, embedded in the binary.
pub const DEFAULT_TOPOLOGY: &str = include_str!("../../topologies/default.yaml");

pub fn run(force: bool) -> Outcome {
    let path = Path::new("topologies/default.yaml");
    if path.exists() && !force {
        return Err(Failure::new(format!(
            "{} already exists; use --force to overwrite it",
            path.display()
        )));
    }
    std::fs::create_dir_all("topologies")
        .and_then(|()| std::fs::write(path, DEFAULT_TOPOLOGY))
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
    notices::wrote(path);
    Ok(Status::Clean)
}
