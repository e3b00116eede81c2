//! The validate report, and the warnings and errors of a load for every
//! command that reads files.
//!
//! Text (and Markdown, which reads the same here): a one-line summary on
//! stdout when the files are valid; warnings and errors on stderr, one per
//! line, `error: FILE:LINE:COL: OBJECT: MESSAGE`, ending with a count.
//! JSON: one versioned document on stdout and nothing else. It only
//! formats what `load` found; it decides nothing itself.

use std::path::PathBuf;

use serde::Serialize;

use super::{Format, print_stderr, print_stdout};
use crate::load::{self, Diagnostic, LoadFailed, Loaded};
use crate::model::{Counts, plural};

/// The version of the validate JSON document; bumped when its shape changes.
pub const VALIDATE_FORMAT_VERSION: u32 = 1;

/// The view of `warren validate` over the files `paths` named.
pub fn show_validation(paths: &[PathBuf], result: &Result<Loaded, LoadFailed>, format: Format) {
    match (format, result) {
        (Format::Json, _) => print_stdout(&render_validate_json(result)),
        (Format::Text | Format::Markdown, Ok(loaded)) => {
            print_stderr(&render_warnings(&loaded.warnings));
            print_stdout(&format!("{}\n", summary_line(paths, loaded)));
        }
        (Format::Text | Format::Markdown, Err(failed)) => show_load_failure(failed),
    }
}

/// The warnings of a load that succeeded, on stderr.
pub fn show_load_warnings(loaded: &Loaded) {
    print_stderr(&render_warnings(&loaded.warnings));
}

/// The warnings and errors of a load that failed, and their count, on stderr.
pub fn show_load_failure(failed: &LoadFailed) {
    print_stderr(&render_warnings(&failed.warnings));
    print_stderr(&render_errors(&failed.errors));
    print_stderr(&format!("{}\n", error_count_line(&failed.errors)));
}

/// `topologies/default.yaml: 1 vhost, 1 exchange, 2 queues, 1 binding,
/// 0 policies; 4 routes hold`, naming the paths as given.
pub fn summary_line(paths: &[PathBuf], loaded: &Loaded) -> String {
    let subject = if paths.is_empty() {
        format!("{}/", load::DEFAULT_DIRECTORY)
    } else {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let counts = loaded.topology.counts();
    format!(
        "{subject}: {counts}; {}",
        plural(counts.routes, "route holds", "routes hold")
    )
}

/// `3 errors in 2 files`.
pub fn error_count_line(errors: &[Diagnostic]) -> String {
    let mut files: Vec<&str> = errors.iter().filter_map(|e| e.file.as_deref()).collect();
    files.sort_unstable();
    files.dedup();
    format!(
        "{} in {}",
        plural(errors.len(), "error", "errors"),
        plural(files.len(), "file", "files")
    )
}

fn render_errors(errors: &[Diagnostic]) -> String {
    errors.iter().map(|e| format!("error: {e}\n")).collect()
}

fn render_warnings(warnings: &[Diagnostic]) -> String {
    warnings.iter().map(|w| format!("warning: {w}\n")).collect()
}

/// The JSON document: serialize-only wire type, kept apart from the model.
#[derive(Serialize)]
struct Report<'a> {
    format_version: u32,
    valid: bool,
    files: Vec<String>,
    counts: Counts,
    errors: &'a [Diagnostic],
    warnings: &'a [Diagnostic],
}

/// The validate report as JSON.
pub fn render_validate_json(result: &Result<Loaded, LoadFailed>) -> String {
    let names = |files: &[PathBuf]| files.iter().map(|f| f.display().to_string()).collect();
    let report = match result {
        Ok(loaded) => Report {
            format_version: VALIDATE_FORMAT_VERSION,
            valid: true,
            files: names(&loaded.files),
            counts: loaded.topology.counts(),
            errors: &[],
            warnings: &loaded.warnings,
        },
        Err(failed) => Report {
            format_version: VALIDATE_FORMAT_VERSION,
            valid: false,
            files: names(&failed.files),
            counts: failed.counts,
            errors: &failed.errors,
            warnings: &failed.warnings,
        },
    };
    let mut text = serde_json::to_string_pretty(&report).expect("reports serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(file: &str) -> Diagnostic {
        Diagnostic::in_file(file, "bad")
    }

    #[test]
    fn the_count_line_counts_errors_and_distinct_files() {
        assert_eq!(error_count_line(&[error("a.yaml")]), "1 error in 1 file");
        assert_eq!(
            error_count_line(&[error("a.yaml"), error("b.yaml"), error("a.yaml")]),
            "3 errors in 2 files"
        );
    }
}
