//! What `warren fmt` did: the files it rewrote (or, with `--check`, that
//! differ) on stdout, one per line, so a script or a hook can use the
//! list; files it could not read or left as written on stderr, each with
//! its reason.

use std::path::PathBuf;

use super::{print_stderr, print_stdout};
use crate::fmt::FileOutcome;

/// The report of `warren fmt`, in file order.
pub fn show_fmt_report(report: &[(PathBuf, FileOutcome)]) {
    let mut listed = String::new();
    let mut notes = String::new();
    for (path, outcome) in report {
        match outcome {
            FileOutcome::Canonical => {}
            FileOutcome::Rewritten | FileOutcome::Differs => {
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
