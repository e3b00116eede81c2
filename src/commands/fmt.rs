//! `warren fmt [PATHS] [--check | --diff]`: each YAML topology file put in
//! the canonical form of [`crate::fmt`] and written back when it differs,
//! or, with `--check`, only listed (with `--diff`, shown as a diff). A
//! file that does not parse is left as it is, with the parser's error.
//! JSON files (definitions exports, written by a machine) are left alone
//! unless named one by one.

use std::path::{Path, PathBuf};

use super::{Failure, Outcome, Status};
use crate::fmt::{Canonical, FileOutcome, canonical_form};
use crate::load::DEFAULT_DIRECTORY;
use crate::model::plural;
use crate::render::show_fmt_report;

/// What `fmt` does with a file not in canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Writes it in canonical form.
    Write,
    /// Lists it.
    Check,
    /// Shows how it differs.
    Diff,
}

pub fn run(paths: &[PathBuf], mode: Mode) -> Outcome {
    let default = [PathBuf::from(DEFAULT_DIRECTORY)];
    let paths = if paths.is_empty() { &default } else { paths };
    let mut report: Vec<(PathBuf, FileOutcome)> = Vec::new();
    for path in paths {
        match yaml_files(path) {
            Ok(files) => report.extend(files.into_iter().map(|file| {
                let outcome = format_file(&file, mode);
                (file, outcome)
            })),
            Err(error) => report.push((path.clone(), FileOutcome::NotFound(error))),
        }
    }
    show_fmt_report(&report, mode == Mode::Diff);
    let failed = report
        .iter()
        .filter(|(_, o)| matches!(o, FileOutcome::Failed(_) | FileOutcome::NotFound(_)))
        .count();
    let differ = report
        .iter()
        .filter(|(_, o)| matches!(o, FileOutcome::Differs { .. }))
        .count();
    if differ > 0 {
        let shown = match mode {
            Mode::Diff => "shown on stdout",
            _ => "listed on stdout",
        };
        return Err(Failure::new(format!(
            "{} not in canonical form ({shown}): run warren fmt",
            plural(differ, "file is", "files are")
        )));
    }
    if failed > 0 {
        return Err(Failure::reported(format!(
            "{} could not be formatted",
            plural(failed, "file", "files")
        )));
    }
    Ok(Status::Clean)
}

/// The file `path`, or the `*.yaml` and `*.yml` files of the directory
/// `path`, sorted by name.
fn yaml_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))? {
        let file = entry
            .map_err(|e| format!("{}: {e}", path.display()))?
            .path();
        let yaml = file.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if yaml && file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// Puts one file in canonical form, or (`--check`, `--diff`) only compares.
fn format_file(path: &Path, mode: Mode) -> FileOutcome {
    let text = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return FileOutcome::Failed(format!("{}: not UTF-8 text", path.display())),
        Err(e) => return FileOutcome::Failed(format!("{}: {e}", path.display())),
    };
    match canonical_form(&text) {
        Err(syntax) => FileOutcome::Failed(format!("{}:{syntax}", path.display())),
        Ok(Canonical::LeftAsWritten(why)) => FileOutcome::LeftAsWritten(why),
        Ok(Canonical::Text(canonical)) if canonical == text => FileOutcome::Canonical,
        Ok(Canonical::Text(canonical)) if mode != Mode::Write => {
            FileOutcome::Differs { text, canonical }
        }
        Ok(Canonical::Text(canonical)) => match std::fs::write(path, canonical) {
            Ok(()) => FileOutcome::Rewritten,
            Err(e) => FileOutcome::Failed(format!("cannot write {}: {e}", path.display())),
        },
    }
}
