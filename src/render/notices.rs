//! One-line notes on stderr that are no command's main output: what the
//! connection options warn about, a file written, the question `apply`
//! asks, and the error a command ends with.
//! Each says what happened and, where there is one, what to do next.

use std::io::Write;
use std::path::Path;

use super::print_stderr;
use crate::broker::NodeEvent;
use crate::model::plural;

/// The warnings of the connection options (a password file others can
/// read, a `--ca-cert` that cannot apply), and, with `--insecure`, that
/// nothing is verified (said on every run).
pub fn connection_warnings(warnings: &[String], insecure: bool, url: &str) {
    for warning in warnings {
        print_stderr(&format!("warning: {warning}\n"));
    }
    if insecure {
        print_stderr(&format!(
            "warning: --insecure: TLS certificates are NOT verified for {url}; anyone in the path can read and change this traffic\n"
        ));
    }
}

/// Which node of a `--url` list a run uses, and each move to another.
pub fn node_event(event: &NodeEvent) {
    let line = match event {
        NodeEvent::Chosen {
            node,
            cluster,
            not_answering,
        } => {
            let others: String = not_answering
                .iter()
                .map(|(node, what)| format!("; {node} did not answer ({what})"))
                .collect();
            format!("using {node} (cluster '{cluster}'){others}\n")
        }
        NodeEvent::FailedOver { from, to, what } => {
            format!("warning: {from} failed ({what}); going on with {to}\n")
        }
    };
    print_stderr(&line);
}

/// A file the command wrote.
pub fn wrote(path: &Path) {
    print_stderr(&format!("wrote {}\n", path.display()));
}

/// A plan saved by `plan --out`, and how to carry it out.
pub fn plan_saved(path: &Path) {
    print_stderr(&format!(
        "plan saved to {}; carry it out with: warren apply --plan {}\n",
        path.display(),
        path.display()
    ));
}

/// The question `apply` asks on a terminal before it changes anything.
pub fn confirmation_question(changes: usize, url: &str) {
    print_stderr(&format!(
        "Apply {} to {url}? Only 'yes' is accepted: ",
        plural(changes, "change", "changes")
    ));
    let _ = std::io::stderr().flush();
}

/// A vhost an apply goes on without locking, because the user may not
/// declare the lock queue there.
pub fn not_locked(vhost: &str, reason: &str, user: &str) {
    print_stderr(&format!(
        "warning: vhost '{vhost}' is not locked for this apply (the broker says \"{reason}\"), so another apply could change it at the same time: grant user '{user}' the configure permission on ^warren\\.apply-lock$ there to lock it\n"
    ));
}

/// A signal before an apply changed anything, which ends it.
pub fn stopped_before_any_change(signal: &str) {
    print_stderr(&format!(
        "{signal}: stopped before any change; nothing was changed\n"
    ));
}

/// A signal that stops an apply between requests.
pub fn stopping(signal: &str) {
    print_stderr(&format!(
        "{signal}: stopping: no new change starts; waiting for the requests in flight, then reporting (send it again to quit at once)\n"
    ));
}

/// A second signal, which ends the process without waiting.
pub fn stopping_at_once(signal: &str) {
    print_stderr(&format!(
        "{signal} again: quitting at once; the requests in flight may or may not have been carried out: run warren plan\n"
    ));
}

/// Reports a panic (a bug, or a resource the runtime could not get) as one
/// `error:` line rather than Rust's panic text, which a user must never
/// see; with `RUST_BACKTRACE` set, the backtrace follows, for whoever
/// debugs.
pub fn report_panics_as_errors() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let message = if payload.contains("Too many open files") {
            "warren ran out of file handles (too many open files): raise the open-file limit \
             (ulimit -n)"
                .to_string()
        } else {
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            format!(
                "warren failed unexpectedly ({payload}{place}); this is a bug: please report it, \
                 with RUST_BACKTRACE=1 set"
            )
        };
        let backtrace = std::backtrace::Backtrace::capture();
        let backtrace = match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => format!("{backtrace}\n"),
            _ => String::new(),
        };
        print_stderr(&format!("error: {message}\n{backtrace}"));
    }));
}

/// The error a command ends with.
pub fn error(message: &str) {
    print_stderr(&format!("error: {message}\n"));
}

/// A part of the broker an export leaves out, and why.
pub fn not_exported(what: &str, why: &str) {
    print_stderr(&format!("note: not exported: {what}: {why}\n"));
}

/// An export that holds password hashes.
pub fn exported_password_hashes() {
    print_stderr(
        "warning: the export holds each user's salted password hash, which can be brute-forced: \
         keep the file as secret as the passwords\n",
    );
}

/// An offline command that failed on the files of a project without a
/// target: its variables were not filled in.
pub fn targets_not_chosen(project: &Path, targets: &str) {
    print_stderr(&format!(
        "note: {} lists the targets {targets}: with --target NAME the files are read as that \
         target's, with its variables\n",
        project.display()
    ));
}

/// The target of `warren.yaml` a command runs for now (one of several).
pub fn target_started(name: &str, urls: &[String]) {
    print_stderr(&format!("== target {name} ({}) ==\n", urls.join(", ")));
}
