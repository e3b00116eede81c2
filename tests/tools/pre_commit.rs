//! The hooks of `.pre-commit-hooks.yaml`, run by pre-commit itself on a
//! sample repository: `pre-commit try-repo` builds warren from this
//! repository's working tree with cargo (the hooks' `language: rust`),
//! then runs warren-fmt, which puts a scrambled topology back in canonical
//! form (and so fails, as a hook that changed files does), and
//! warren-validate, which fails on a binding to an undeclared queue.
//!
//! pre-commit's cargo build is warren's release build. The test gives it a
//! target directory of its own under `target/` (so later runs rebuild
//! nothing) and no optimisation (`CARGO_PROFILE_RELEASE_OPT_LEVEL=0`,
//! which changes how long the build takes, not what the hooks do): the
//! first run on a fresh machine builds warren's dependencies once, about
//! a minute and a half on two cores.

use std::path::Path;
use std::process::Command;

use super::{repo, run, text, tool};

const DEFAULT: &str = include_str!("../../topologies/default.yaml");

fn git(dir: &Path, args: &[&str]) {
    let output = run(Command::new("git").args(args).current_dir(dir));
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        text(&output.stderr)
    );
}

/// `pre-commit try-repo <this repository> --all-files` in `sample`: its
/// exit status and what it printed.
fn try_repo(sample: &Path, home: &Path) -> (i32, String) {
    let output = run(Command::new(tool("pre-commit"))
        .args(["try-repo"])
        .arg(repo())
        .args(["--all-files", "--color", "never"])
        .current_dir(sample)
        .env("PRE_COMMIT_HOME", home)
        .env("CARGO_TARGET_DIR", repo().join("target/pre-commit"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("GIT_AUTHOR_NAME", "warren tests")
        .env("GIT_AUTHOR_EMAIL", "tests@warren.invalid")
        .env("GIT_COMMITTER_NAME", "warren tests")
        .env("GIT_COMMITTER_EMAIL", "tests@warren.invalid"));
    (
        output.status.code().unwrap_or(-1),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

/// The line pre-commit prints for `hook`: `warren fmt.....Passed`.
fn verdict<'a>(output: &'a str, hook: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.starts_with(hook) && l.contains(".."))
        .unwrap_or_else(|| panic!("no line for {hook} in:\n{output}"))
        .rsplit('.')
        .next()
        .unwrap()
}

#[test]
fn pre_commit_runs_the_fmt_and_validate_hooks() {
    let sample = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let dir = sample.path();
    std::fs::create_dir_all(dir.join("topologies")).unwrap();
    // The default topology with its keys out of order.
    let scrambled = DEFAULT.replace(
        "  - name: events\n    type: topic\n",
        "  - type: topic\n    name: events\n",
    );
    assert_ne!(scrambled, DEFAULT);
    std::fs::write(dir.join("topologies/default.yaml"), &scrambled).unwrap();
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "--all"]);

    let (status, output) = try_repo(dir, home.path());
    assert_eq!(status, 1, "fmt changed a file:\n{output}");
    assert_eq!(verdict(&output, "warren fmt"), "Failed", "{output}");
    assert!(
        output.contains("files were modified by this hook"),
        "{output}"
    );
    assert_eq!(verdict(&output, "warren validate"), "Passed", "{output}");
    let formatted = std::fs::read_to_string(dir.join("topologies/default.yaml")).unwrap();
    assert_eq!(formatted, DEFAULT);

    git(dir, &["add", "--all"]);
    let (status, output) = try_repo(dir, home.path());
    assert_eq!(status, 0, "{output}");
    assert_eq!(verdict(&output, "warren fmt"), "Passed", "{output}");
    assert_eq!(verdict(&output, "warren validate"), "Passed", "{output}");

    std::fs::write(
        dir.join("topologies/more.yaml"),
        "bindings:\n  - source: events\n    destination: nowhere\n",
    )
    .unwrap();
    git(dir, &["add", "--all"]);
    let (status, output) = try_repo(dir, home.path());
    assert_eq!(status, 1, "{output}");
    assert_eq!(verdict(&output, "warren validate"), "Failed", "{output}");
    assert!(
        output.contains("topologies/more.yaml:3:18: bindings[0] events -> nowhere:"),
        "{output}"
    );
    assert_eq!(verdict(&output, "warren fmt"), "Passed", "{output}");
}
