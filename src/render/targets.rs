//! One report for a command run on several targets of `warren.yaml`: a
//! section per target in text and Markdown (one PR comment), one JSON
//! document holding each target's own document. It only arranges what
//! each target's run wrote; the exit code is decided by the command.

use serde::Serialize;
use serde_json::Value;

use super::Format;

/// The version of the targets JSON document; bumped when its shape changes.
pub const TARGETS_FORMAT_VERSION: u32 = 1;

/// What one target's run gave.
#[derive(Debug, Clone)]
pub struct TargetRun {
    pub name: String,
    pub urls: Vec<String>,
    /// What it wrote to stdout, in the format asked for.
    pub output: String,
    pub outcome: TargetOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetOutcome {
    /// Exit 0.
    Clean,
    /// Exit 2: changes or drift.
    Changes,
    /// Exit 1, and why.
    Failed(String),
    /// Not run: an earlier target's apply failed.
    NotStarted,
}

impl TargetOutcome {
    /// The exit code of the target's run on its own (a plan's changes are
    /// 2, as with `--detailed-exitcode`).
    pub fn exit_code(&self) -> u8 {
        match self {
            TargetOutcome::Clean => 0,
            TargetOutcome::Changes => 2,
            TargetOutcome::Failed(_) | TargetOutcome::NotStarted => 1,
        }
    }

    fn status(&self) -> &'static str {
        match self {
            TargetOutcome::Clean => "clean",
            TargetOutcome::Changes => "changes",
            TargetOutcome::Failed(_) => "failed",
            TargetOutcome::NotStarted => "not_started",
        }
    }

    /// In words, for `command` (`changes` for a plan, `drift` for drift).
    fn describe(&self, command: &str) -> String {
        match self {
            TargetOutcome::Clean if command == "drift" => "no drift".into(),
            TargetOutcome::Clean if command == "validate" => "valid".into(),
            TargetOutcome::Clean if command == "apply" => "applied".into(),
            TargetOutcome::Clean => "no changes".into(),
            TargetOutcome::Changes if command == "drift" => "drift".into(),
            TargetOutcome::Changes => "changes".into(),
            TargetOutcome::Failed(why) => format!("failed: {why}"),
            TargetOutcome::NotStarted => "not started: an earlier target failed".into(),
        }
    }
}

/// The worst exit code of the runs: 1 over 2 over 0.
pub fn worst_exit_code(runs: &[TargetRun]) -> u8 {
    let codes = runs.iter().map(|r| r.outcome.exit_code());
    if codes.clone().any(|c| c == 1) {
        1
    } else {
        codes.max().unwrap_or(0)
    }
}

/// The report of `warren <command>` over `runs`, in `format`; the command
/// exits with `exit_code`.
pub fn render_targets(command: &str, runs: &[TargetRun], format: Format, exit_code: u8) -> String {
    match format {
        Format::Text => render_text(command, runs),
        Format::Markdown => render_markdown(command, runs),
        Format::Json => render_json(command, runs, exit_code),
    }
}

fn render_text(command: &str, runs: &[TargetRun]) -> String {
    let mut out = String::new();
    for run in runs {
        out.push_str(&format!(
            "=== target {} ({}) ===\n",
            run.name,
            run.urls.join(", ")
        ));
        out.push_str(&run.output);
        if !run.output.is_empty() && !run.output.ends_with('\n') {
            out.push('\n');
        }
        if let TargetOutcome::Failed(_) | TargetOutcome::NotStarted = run.outcome {
            out.push_str(&format!("{}\n", run.outcome.describe(command)));
        }
        out.push('\n');
    }
    out.push_str(&format!("{}\n", summary(command, runs)));
    out
}

fn render_markdown(command: &str, runs: &[TargetRun]) -> String {
    let mut out = format!("## warren {command}: {}\n\n", targets_count(runs.len()));
    out.push_str("| Target | Result |\n|---|---|\n");
    for run in runs {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            run.name,
            escape_cell(&run.outcome.describe(command))
        ));
    }
    for run in runs {
        out.push_str(&format!(
            "\n---\n\n### Target `{}`\n\n{}\n\n",
            run.name,
            run.urls.join(", ")
        ));
        match &run.outcome {
            TargetOutcome::Failed(_) | TargetOutcome::NotStarted => {
                out.push_str(&format!("**{}**\n", run.outcome.describe(command)));
            }
            _ => {}
        }
        if !run.output.is_empty() {
            out.push('\n');
            out.push_str(&run.output);
            if !run.output.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// The JSON document: serialize-only wire types, kept apart from the model.
#[derive(Serialize)]
struct Report<'a> {
    format_version: u32,
    command: &'a str,
    exit_code: u8,
    targets: Vec<TargetReport<'a>>,
}

#[derive(Serialize)]
struct TargetReport<'a> {
    name: &'a str,
    urls: &'a [String],
    /// `clean`, `changes` (or drift), `failed` or `not_started`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The target's own document (the plan, the drift report, …), or
    /// null when it wrote none.
    result: Value,
}

fn render_json(command: &str, runs: &[TargetRun], exit_code: u8) -> String {
    let report = Report {
        format_version: TARGETS_FORMAT_VERSION,
        command,
        exit_code,
        targets: runs
            .iter()
            .map(|run| TargetReport {
                name: &run.name,
                urls: &run.urls,
                status: run.outcome.status(),
                error: match &run.outcome {
                    TargetOutcome::Failed(_) | TargetOutcome::NotStarted => {
                        Some(run.outcome.describe(command))
                    }
                    _ => None,
                },
                result: serde_json::from_str(&run.output).unwrap_or(Value::Null),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("reports serialise");
    text.push('\n');
    text
}

/// `2 targets: staging changes; production no drift`.
fn summary(command: &str, runs: &[TargetRun]) -> String {
    let each: Vec<String> = runs
        .iter()
        .map(|run| format!("{} {}", run.name, run.outcome.describe(command)))
        .collect();
    format!("{}: {}", targets_count(runs.len()), each.join("; "))
}

fn targets_count(n: usize) -> String {
    if n == 1 {
        "1 target".into()
    } else {
        format!("{n} targets")
    }
}

/// A table cell's text: one line, no column breaks.
fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs() -> Vec<TargetRun> {
        vec![
            TargetRun {
                name: "staging".into(),
                urls: vec!["http://s:15672".into()],
                output: "{\"changes\": []}\n".into(),
                outcome: TargetOutcome::Clean,
            },
            TargetRun {
                name: "production".into(),
                urls: vec!["http://p1:15672".into(), "http://p2:15672".into()],
                output: "{\"changes\": [1]}\n".into(),
                outcome: TargetOutcome::Changes,
            },
        ]
    }

    #[test]
    fn the_worst_exit_code_wins() {
        let mut runs = runs();
        assert_eq!(worst_exit_code(&runs), 2);
        runs[0].outcome = TargetOutcome::Failed("cannot connect".into());
        assert_eq!(worst_exit_code(&runs), 1);
        runs.truncate(0);
        assert_eq!(worst_exit_code(&runs), 0);
    }

    #[test]
    fn json_is_one_document_holding_each_targets_own() {
        let text = render_targets("plan", &runs(), Format::Json, 2);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["exit_code"], 2);
        assert_eq!(doc["targets"][0]["name"], "staging");
        assert_eq!(doc["targets"][1]["status"], "changes");
        assert_eq!(doc["targets"][1]["result"]["changes"][0], 1);
        assert_eq!(doc["targets"][1]["urls"][1], "http://p2:15672");
    }

    #[test]
    fn markdown_has_a_table_and_a_section_per_target() {
        let mut runs = runs();
        runs[0].output = "No changes.\n".into();
        runs[1].output = "#### Changes\n".into();
        runs[1].outcome = TargetOutcome::Failed("a | b".into());
        let text = render_targets("plan", &runs, Format::Markdown, 1);
        assert!(text.starts_with("## warren plan: 2 targets\n"), "{text}");
        assert!(
            text.contains("| `production` | failed: a \\| b |"),
            "{text}"
        );
        assert!(text.contains("### Target `staging`"), "{text}");
        assert!(text.contains("### Target `production`"), "{text}");
    }

    #[test]
    fn text_ends_with_a_line_for_every_target() {
        let text = render_targets("drift", &runs(), Format::Text, 2);
        assert!(text.contains("=== target production (http://p1:15672, http://p2:15672) ==="));
        assert!(
            text.ends_with("2 targets: staging no drift; production drift\n"),
            "{text}"
        );
    }
}
