//! Every file in `tests/bad/` is refused cleanly: `warren validate FILE`
//! exits 1, names the file, never panics, and says what each of the file's
//! `# expect: …` lines says (at the top of the file, one fragment per line).
//! Adding a case is adding a file.
//!
//! Files that cannot be YAML (binary garbage, bytes that are not UTF-8)
//! still start with their `# expect:` line; only those first bytes are read
//! as text here. A `.json` file may start with such a comment too: warren
//! reads JSON as YAML, where `#` starts a comment.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;

/// A password hash planted in `export-with-users.json`: it must never be
/// printed.
const PLANTED_SECRET: &str = "FAKEHASHdoNotPrintMe";

struct Case {
    /// As given on the command line, relative to the package root.
    path: String,
    expectations: Vec<String>,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/bad"))
        .expect("tests/bad exists")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).expect("a readable file");
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
            let expectations = head
                .lines()
                .take_while(|line| line.starts_with('#'))
                .filter_map(|line| line.strip_prefix("# expect: "))
                .map(str::to_string)
                .collect();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            Case {
                path: format!("tests/bad/{name}"),
                expectations,
            }
        })
        .collect()
}

fn validate(args: &[&str]) -> Output {
    cargo_bin_cmd!("warren")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("warren runs")
}

#[test]
fn there_is_a_bad_file_per_rule() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} bad files", cases.len());
    let without: Vec<&str> = cases
        .iter()
        .filter(|c| c.expectations.is_empty())
        .map(|c| c.path.as_str())
        .collect();
    assert!(
        without.is_empty(),
        "these files have no `# expect: …` first line: {without:?}"
    );
}

#[test]
fn every_bad_file_is_refused_with_the_expected_message() {
    let mut failures = Vec::new();
    for case in cases() {
        let output = validate(&["validate", &case.path]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut problems = Vec::new();
        if output.status.code() != Some(1) {
            problems.push(format!(
                "exit status {:?}, expected 1",
                output.status.code()
            ));
        }
        if stderr.contains("panicked") {
            problems.push("it panicked".to_string());
        }
        if !stderr.contains(&format!("error: {}", case.path)) {
            problems.push("no error names the file".to_string());
        }
        if !stdout.is_empty() {
            problems.push("something was printed on stdout".to_string());
        }
        if stderr.contains(PLANTED_SECRET) {
            problems.push("a password hash was printed".to_string());
        }
        for expected in &case.expectations {
            if !stderr.contains(expected.as_str()) {
                problems.push(format!("missing: {expected}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}:\n  {}\n  --- stderr ---\n{stderr}",
                case.path,
                problems.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_bad_file_gives_a_json_report_too() {
    let mut failures = Vec::new();
    for case in cases() {
        let output = validate(&["--format", "json", "validate", &case.path]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: Result<serde_json::Value, _> = serde_json::from_str(&stdout);
        let problem = match report {
            _ if output.status.code() != Some(1) => {
                Some(format!("exit status {:?}", output.status.code()))
            }
            Err(err) => Some(format!("stdout is not JSON ({err}): {stdout}")),
            Ok(report) if report["valid"] != false => Some("valid is not false".to_string()),
            Ok(report) if report["errors"].as_array().is_none_or(Vec::is_empty) => {
                Some("no errors listed".to_string())
            }
            Ok(_) if stdout.contains(PLANTED_SECRET) => {
                Some("a password hash was printed".to_string())
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", case.path));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
