//! The real definitions files of `../shared/real-definitions/` (RabbitMQ's
//! own exports and files people wrote, from public repositories; read from
//! there, never copied here): whatever `validate` says of each, every
//! error and warning is placed, with its file, line and column, and its
//! object when it is about one.

use std::path::{Path, PathBuf};

fn real_definitions() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-definitions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the shared folder sits beside the repository)",
                dir.display()
            )
        })
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 24, "the corpus holds 24 files");
    files
}

#[test]
fn every_finding_on_a_real_definitions_file_has_its_file_line_and_column() {
    for file in real_definitions() {
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
            // Only the top-level keys of a file are no object's.
            if diagnostic.object.is_none() {
                assert!(
                    diagnostic.message.contains("is not managed by warren"),
                    "{}: no object: {diagnostic}",
                    file.display()
                );
            }
        }
    }
}
