//! Every error and warning is placed: its file, line and column, and its
//! object when it is about one. Held on every file of `tests/bad/` and on
//! the real definitions files of `../shared/real-definitions/` (RabbitMQ's
//! own exports and files people wrote, from public repositories; read from
//! there, never copied here).

use std::path::{Path, PathBuf};

fn real_definitions() -> Vec<PathBuf> {
    crate::common::real_definitions::corpus()
}

fn bad_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    files
}

/// Messages about a whole file (or the shape of its top level), which
/// name no object.
const FILE_LEVEL: &[&str] = &[
    "is not managed by warren",
    "invalid YAML",
    "not UTF-8 text",
    "not a text file",
    "nested more than",
    "alias bomb",
    "is written twice in the same mapping",
    "unknown key",
    "must be a list",
    "the file must be a mapping",
];

#[test]
fn every_finding_on_a_bad_file_has_its_file_line_and_column() {
    assert_placed(bad_files());
}

#[test]
fn every_finding_on_a_real_definitions_file_has_its_file_line_and_column() {
    assert_placed(real_definitions());
}

fn assert_placed(files: Vec<PathBuf>) {
    for file in files {
        let (errors, warnings) = match warren::load::load(std::slice::from_ref(&file)) {
            Ok(loaded) => (Vec::new(), loaded.warnings),
            Err(failed) => (failed.errors, failed.warnings),
        };
        for diagnostic in errors.iter().chain(&warnings) {
            assert!(
                diagnostic.file.is_some()
                    && diagnostic.line.is_some()
                    && diagnostic.column.is_some(),
                "{}: not placed: {diagnostic}",
                file.display()
            );
            if diagnostic.object.is_none() {
                assert!(
                    FILE_LEVEL.iter().any(|m| diagnostic.message.contains(m)),
                    "{}: no object: {diagnostic}",
                    file.display()
                );
            }
        }
    }
}
