//! Files to a desired [`Topology`]: reading paths (files or directories,
//! YAML or definitions-export JSON), merging them in a stable order, and
//! validating the result. Every error names the file and the object.

use std::path::PathBuf;

use crate::model::Topology;

/// The result of loading and validating files.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub topology: Topology,
    /// The files read, in the order they were merged.
    pub files: Vec<PathBuf>,
    pub warnings: Vec<Diagnostic>,
}

/// Loading failed: every error found, and the warnings seen on the way.
#[derive(Debug, Clone)]
pub struct LoadFailed {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// One error or warning, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub file: Option<String>,
    /// `bindings[2] events -> order.events`
    pub object: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Loads, merges and validates `paths` (`./topologies/` when empty).
pub fn load(_paths: &[PathBuf]) -> Result<Loaded, LoadFailed> {
    todo!()
}

/// The JSON Schema of the topology file, pretty-printed with a final newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Topology);
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialise");
    text.push('\n');
    text
}
