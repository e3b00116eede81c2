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
use crate::model::{BrokerVersion, Counts, plural};

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
/// 0 policies; 4 routes hold`, naming the paths as given, with the users,
/// permissions and parameters when the files declare them (`…, 0 policies,
/// 2 users, 2 permissions; …`).
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
    let topology = &loaded.topology;
    let counts = topology.counts();
    // The broker-wide kinds, each only when the files declare it (an empty
    // list declares it too: it manages that kind).
    let declared = [
        topology
            .users
            .as_ref()
            .map(|l| plural(l.len(), "user", "users")),
        (topology.permissions.as_ref()).map(|l| plural(l.len(), "permission", "permissions")),
        (topology.topic_permissions.as_ref())
            .map(|l| plural(l.len(), "topic permission", "topic permissions")),
        (topology.parameters.as_ref()).map(|l| plural(l.len(), "parameter", "parameters")),
        (topology.global_parameters.as_ref())
            .map(|l| plural(l.len(), "global parameter", "global parameters")),
    ];
    let broker_wide: String = declared
        .into_iter()
        .flatten()
        .map(|c| format!(", {c}"))
        .collect();
    format!(
        "{subject}: {counts}{broker_wide}; {}",
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

/// Warnings, then errors, on stderr (grouped as a load's are).
pub fn show_diagnostics(warnings: &[Diagnostic], errors: &[Diagnostic]) {
    print_stderr(&render_warnings(warnings));
    print_stderr(&render_errors(errors));
}

/// The errors of files the broker would refuse, then `2 errors: the broker
/// at URL (RabbitMQ 3.10.8) would refuse them; nothing was changed`, on
/// stderr. Returns that last line.
pub fn show_broker_refusals(errors: &[Diagnostic], url: &str, version: &BrokerVersion) -> String {
    let summary = format!(
        "{}: the broker at {url} (RabbitMQ {version}) would refuse {}; nothing was changed",
        plural(errors.len(), "error", "errors"),
        if errors.len() == 1 { "it" } else { "them" }
    );
    print_stderr(&render_errors(errors));
    print_stderr(&format!("{summary}\n"));
    summary
}

fn render_errors(errors: &[Diagnostic]) -> String {
    render_grouped("error", errors)
}

fn render_warnings(warnings: &[Diagnostic]) -> String {
    render_grouped("warning", warnings)
}

/// The same message about this many objects of one file is shown in full;
/// the rest are counted on one line, with where each is.
const ALIKE_SHOWN: usize = 3;

/// The places listed on that line; past them, a count (`--format json`
/// lists every one).
const PLACES_SHOWN: usize = 20;

/// One line per diagnostic, `{severity}: FILE:LINE:COL: OBJECT: MESSAGE`,
/// except that past [`ALIKE_SHOWN`] diagnostics with one message in one
/// file, the others are one line: how many, the message, and each one's
/// line and column (a file of 1,000 queues with one bad key gives four
/// lines, not a thousand).
fn render_grouped(severity: &str, diagnostics: &[Diagnostic]) -> String {
    use std::collections::HashMap;
    let mut alike: HashMap<(Option<&str>, &str), Vec<&Diagnostic>> = HashMap::new();
    for d in diagnostics {
        alike
            .entry((d.file.as_deref(), &d.message))
            .or_default()
            .push(d);
    }
    let mut out = String::new();
    let mut seen: HashMap<(Option<&str>, &str), usize> = HashMap::new();
    for d in diagnostics {
        let key = (d.file.as_deref(), d.message.as_str());
        let count = seen.entry(key).or_default();
        *count += 1;
        let group = &alike[&key];
        if *count <= ALIKE_SHOWN || group.len() == ALIKE_SHOWN + 1 {
            out.push_str(&format!("{severity}: {d}\n"));
        } else if *count == ALIKE_SHOWN + 1 {
            let rest = &group[ALIKE_SHOWN..];
            let mut places: Vec<String> = rest
                .iter()
                .take(PLACES_SHOWN)
                .map(|d| match (d.line, d.column) {
                    (Some(line), Some(column)) => format!("{line}:{column}"),
                    _ => "?".to_string(),
                })
                .collect();
            if rest.len() > PLACES_SHOWN {
                places.push(format!(
                    "and {} more: --format json lists every one",
                    rest.len() - PLACES_SHOWN
                ));
            }
            out.push_str(&format!(
                "{severity}: {}: {} more like the above: {} (at {})\n",
                d.file.as_deref().unwrap_or("(no file)"),
                group.len() - ALIKE_SHOWN,
                d.message,
                places.join(", ")
            ));
        }
    }
    out
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

    fn at(file: &str, line: usize, object: &str, message: &str) -> Diagnostic {
        Diagnostic {
            file: Some(file.into()),
            object: Some(object.into()),
            line: Some(line),
            column: Some(5),
            message: message.into(),
        }
    }

    #[test]
    fn past_three_alike_the_rest_are_counted_on_one_line_with_their_places() {
        let mut errors: Vec<Diagnostic> = (1..=6)
            .map(|i| {
                at(
                    "a.json",
                    i,
                    &format!("queues[{i}] q{i}"),
                    "unknown key 'type'",
                )
            })
            .collect();
        errors.insert(2, at("a.json", 9, "vhosts[0] /", "another"));
        errors.push(at("b.json", 1, "queues[0] q", "unknown key 'type'"));
        assert_eq!(
            render_errors(&errors),
            "error: a.json:1:5: queues[1] q1: unknown key 'type'\n\
             error: a.json:2:5: queues[2] q2: unknown key 'type'\n\
             error: a.json:9:5: vhosts[0] /: another\n\
             error: a.json:3:5: queues[3] q3: unknown key 'type'\n\
             error: a.json: 3 more like the above: unknown key 'type' (at 4:5, 5:5, 6:5)\n\
             error: b.json:1:5: queues[0] q: unknown key 'type'\n"
        );
        // Four alike are four lines: a count line would save nothing.
        assert_eq!(render_errors(&errors[..5]).lines().count(), 5);
    }

    #[test]
    fn a_count_line_lists_twenty_places_and_counts_the_rest() {
        let errors: Vec<Diagnostic> = (1..=2003)
            .map(|i| at("a.yaml", i, &format!("users[{i}] u{i}"), "variable unset"))
            .collect();
        let text = render_errors(&errors);
        let count_line = text.lines().nth(3).unwrap();
        assert!(
            count_line.starts_with(
                "error: a.yaml: 2000 more like the above: variable unset (at 4:5, 5:5,"
            ),
            "{count_line}"
        );
        assert!(
            count_line.ends_with(", 23:5, and 1980 more: --format json lists every one)"),
            "{count_line}"
        );
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
