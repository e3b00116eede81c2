//! What `warren fmt` did: the files it rewrote (or, with `--check`, that
//! differ) on stdout, one per line, so a script or a hook can use the
//! list, or with `--diff` how each differs, as a unified diff (`git apply`
//! takes it); files it could not read or left as written on stderr, each
//! with its reason.

use std::path::{Path, PathBuf};

use super::{print_stderr, print_stdout};
use crate::fmt::FileOutcome;

/// The report of `warren fmt`, in file order; `diff`: the differences
/// instead of the list.
pub fn show_fmt_report(report: &[(PathBuf, FileOutcome)], diff: bool) {
    let mut listed = String::new();
    let mut notes = String::new();
    for (path, outcome) in report {
        match outcome {
            FileOutcome::Canonical => {}
            FileOutcome::Differs { text, canonical } if diff => {
                listed.push_str(&unified_diff(path, text, canonical));
            }
            FileOutcome::Rewritten | FileOutcome::Differs { .. } => {
                listed.push_str(&format!("{}\n", path.display()));
            }
            FileOutcome::LeftAsWritten(why) => {
                notes.push_str(&format!(
                    "note: {} is left as written: {why}\n",
                    path.display()
                ));
            }
            FileOutcome::NotFound(error) => notes.push_str(&format!("error: {error}\n")),
            FileOutcome::Failed(error) => {
                notes.push_str(&format!("error: {error} (left as it was)\n"));
            }
        }
    }
    print_stdout(&listed);
    print_stderr(&notes);
}

/// `text` to `canonical` as a unified diff of `path`, three lines of
/// context; a relative path is written `a/…` and `b/…`, as git writes it.
fn unified_diff(path: &Path, text: &str, canonical: &str) -> String {
    let name = path.display().to_string();
    let (old, new) = match path.is_relative() {
        true => (format!("a/{name}"), format!("b/{name}")),
        false => (name.clone(), name),
    };
    similar::TextDiff::from_lines(text, canonical)
        .unified_diff()
        .context_radius(3)
        .header(&old, &new)
        .missing_newline_hint(true)
        .to_string()
}
