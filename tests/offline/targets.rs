//! `warren.yaml` offline: targets chosen by name or all, `${name}`
//! variables put in with their types, and the errors of each (a file, a
//! line and the variable named; exit 1). The runs against brokers are in
//! `tests/broker/targets.rs`.

use std::path::Path;

use serde_json::Value;

use crate::common::dir_with;
use crate::common::warren::Test;

fn warren(dir: &Path) -> Test {
    Test::new()
        .current_dir(dir)
        .env_remove("WARREN_PROJECT")
        .env_remove("WARREN_URL")
}

const PROJECT: &str = "\
targets:
  - name: staging
    urls: [http://127.0.0.1:1]
    variables: {ttl: 60000, max: 10, vhost: staging, suffix: s}
  - name: production
    urls: [http://127.0.0.1:2, http://127.0.0.1:3]
    variables: {ttl: 86400000, max: 1000, vhost: /, suffix: p}
";

const TOPOLOGY: &str = "\
vhosts:
  - name: ${vhost}
queues:
  - name: orders-${suffix}
    vhost: ${vhost}
    arguments:
      x-message-ttl: '${ttl}'
      x-max-length: ${max}
";

#[test]
fn validate_checks_every_target_with_its_own_variables() {
    let dir = dir_with(&[("warren.yaml", PROJECT), ("topologies/q.yaml", TOPOLOGY)]);
    warren(dir.path())
        .arg("validate")
        .stdout(
            "=== target staging (http://127.0.0.1:1) ===\n\
             topologies: 1 vhost, 0 exchanges, 1 queue, 0 bindings, 0 policies; 0 routes hold\n\n\
             === target production (http://127.0.0.1:2, http://127.0.0.1:3) ===\n\
             topologies: 1 vhost, 0 exchanges, 1 queue, 0 bindings, 0 policies; 0 routes hold\n\n\
             2 targets: staging valid; production valid\n",
        )
        .stderr_any()
        .run();
}

#[test]
fn a_whole_reference_keeps_its_type_even_quoted() {
    // `'${ttl}'` is quoted, yet a number: what the broker takes for a TTL.
    let dir = dir_with(&[("warren.yaml", PROJECT), ("topologies/q.yaml", TOPOLOGY)]);
    let out = warren(dir.path())
        .args(["validate", "--target", "production", "--format", "json"])
        .stdout_any()
        .stderr_any()
        .run();
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["valid"], true, "{report}");
    // A string where the TTL's number belongs is refused: the type held.
    let typed = TOPOLOGY.replace("'${ttl}'", "'${vhost}'");
    let dir = dir_with(&[("warren.yaml", PROJECT), ("topologies/q.yaml", &typed)]);
    warren(dir.path())
        .args(["validate", "--target", "staging"])
        .status(1)
        .stderr_contains("topologies/q.yaml:7:")
        .stderr_contains("x-message-ttl")
        .stdout("")
        .run();
}

#[test]
fn an_unresolved_variable_names_the_file_the_line_and_the_variable() {
    let project = PROJECT.replace("max: 10,", "mx: 10,");
    let dir = dir_with(&[("warren.yaml", &project), ("topologies/q.yaml", TOPOLOGY)]);
    let out = warren(dir.path())
        .args(["validate", "--target", "staging"])
        .status(1)
        .stdout("")
        .stderr_any()
        .run();
    let stderr = &out.stderr;
    assert!(
        stderr.contains(
            "error: topologies/q.yaml:8:21: ${max} is not a variable of target 'staging' (did you \
             mean 'mx'?): it defines mx, suffix, ttl, vhost; add it under the target's variables \
             in warren.yaml"
        ),
        "{stderr}"
    );
    // Said once: not also as a string where a number belongs, nor as an
    // unfilled placeholder.
    assert_eq!(stderr.matches("8:21").count(), 1, "{stderr}");
    assert!(stderr.contains("1 error in 1 file"), "{stderr}");
}

#[test]
fn a_broker_command_on_several_targets_must_be_told_which() {
    let dir = dir_with(&[("warren.yaml", PROJECT), ("topologies/q.yaml", TOPOLOGY)]);
    warren(dir.path())
        .arg("plan")
        .status(1)
        .stdout("")
        .stderr(
            "error: warren.yaml lists the targets staging, production: choose with --target \
             NAME or --all-targets (or name topology files to run without targets, with --url)\n",
        )
        .run();
    warren(dir.path())
        .args(["drift", "--target", "stagin"])
        .status(1)
        .stdout("")
        .stderr(
            "error: warren.yaml: there is no target 'stagin' (did you mean 'staging'?); its \
             targets are staging, production\n",
        )
        .run();
    warren(dir.path())
        .args(["apply", "--all-targets"])
        .status(1)
        .stdout("")
        .stderr_contains("apply on several targets needs --auto-approve")
        .run();
    warren(dir.path())
        .args(["plan", "--target", "staging", "--url", "http://127.0.0.1:4"])
        .status(1)
        .stdout("")
        .stderr_contains("--url cannot be used with targets")
        .run();
}

#[test]
fn without_a_project_file_targets_are_an_error_and_files_run_as_before() {
    let dir = dir_with(&[(
        "topologies/q.yaml",
        "vhosts: [{name: /}]\nqueues: [{name: q}]\n",
    )]);
    warren(dir.path())
        .args(["plan", "--target", "staging"])
        .status(1)
        .stdout("")
        .stderr_contains("--target and --all-targets need a project file: there is no warren.yaml")
        .run();
    warren(dir.path())
        .arg("validate")
        .stdout_contains("topologies/: 1 vhost")
        .stderr_any()
        .run();
}

#[test]
fn a_broker_command_reports_every_target_and_exits_with_the_worst() {
    // Neither target answers: one report, both sections, exit 1.
    let dir = dir_with(&[("warren.yaml", PROJECT), ("topologies/q.yaml", TOPOLOGY)]);
    let out = warren(dir.path())
        .args([
            "--timeout",
            "2",
            "drift",
            "--all-targets",
            "--format",
            "json",
        ])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run();
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["command"], "drift");
    assert_eq!(report["exit_code"], 1);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[1]["name"], "production");
    assert_eq!(targets[1]["status"], "failed");
    assert!(
        targets[1]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect to http://127.0.0.1:"),
        "{report}"
    );
}

#[test]
fn a_bad_project_file_is_one_clear_error() {
    let dir = dir_with(&[(
        "warren.yaml",
        "targets:\n  - name: a\n    urls: [http://x:15672]\n    pasword_env: P\n",
    )]);
    warren(dir.path())
        .arg("validate")
        .status(1)
        .stdout("")
        .stderr_contains("error: warren.yaml:4:5: targets[0]: unknown field `pasword_env`")
        .run();
}

#[test]
fn the_example_project_validates_for_both_targets() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    warren(&examples)
        .args(["validate", "--all-targets"])
        .stdout_contains("2 targets: staging valid; production valid\n")
        .stderr_any()
        .run();
}

#[test]
fn a_target_whose_password_file_is_missing_says_to_check_the_target() {
    let project = "\
targets:
  - name: staging
    urls: [http://127.0.0.1:1]
    password_file: secrets/staging-password
";
    let dir = dir_with(&[
        ("warren.yaml", project),
        (
            "topologies/q.yaml",
            "vhosts: [{name: /}]\nqueues: [{name: q}]\n",
        ),
    ]);
    let out = warren(dir.path())
        .args(["plan", "--target", "staging"])
        .status(1)
        .stdout("")
        .stderr_any()
        .run();
    assert!(
        out.stderr.contains("cannot read the password file")
            && out
                .stderr
                .contains("check password_file of target staging in warren.yaml"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("--password-file"), "{}", out.stderr);
}

/// The offline commands that read files (graph, route, fmt) take one
/// `--target`: its files, with its variables, as plan would read them.
#[test]
fn graph_route_and_fmt_read_the_files_of_one_target_with_its_variables() {
    let topology = format!(
        "{TOPOLOGY}exchanges:\n  - name: events\n    vhost: ${{vhost}}\n    type: topic\n\
         bindings:\n  - source: events\n    vhost: ${{vhost}}\n    destination: orders-${{suffix}}\n    \
         routing_key: order.*\n"
    );
    let dir = dir_with(&[("warren.yaml", PROJECT), ("topologies/q.yaml", &topology)]);
    warren(dir.path())
        .args(["route", "--target", "production", "--exchange", "events"])
        .args(["--routing-key", "order.created"])
        .stdout("orders-p\n")
        .run();
    warren(dir.path())
        .args(["route", "--target", "staging", "--vhost", "staging"])
        .args(["--exchange", "events", "--routing-key", "order.created"])
        .stdout("orders-s\n")
        .run();
    let drawn = warren(dir.path())
        .args(["graph", "--target", "staging"])
        .stdout_any()
        .run();
    assert!(drawn.stdout.contains("\"orders-s\""), "{}", drawn.stdout);
    assert!(!drawn.stdout.contains("${"), "{}", drawn.stdout);
    // fmt works on the target's files as written, variables and all.
    warren(dir.path())
        .args(["fmt", "--check", "--target", "staging"])
        .stdout("topologies/q.yaml\n")
        .stderr_contains("1 file is not in canonical form")
        .status(1)
        .run();

    // Without a target, the files' variables are not filled in: the
    // failure says that --target would.
    warren(dir.path())
        .args(["graph"])
        .status(1)
        .stderr_contains(
            "note: warren.yaml lists the targets staging, production: with --target NAME the \
             files are read as that target's, with its variables\n",
        )
        .run();

    // One target, by a name warren.yaml has; files or a target, not both.
    warren(dir.path())
        .args(["graph", "--target", "prod"])
        .status(1)
        .stderr_contains("there is no target 'prod'")
        .run();
    warren(dir.path())
        .args(["graph", "--target", "staging", "topologies"])
        .status(1)
        .stderr_contains("'--target <NAME>' cannot be used with '[PATHS]...'")
        .run();
    let bare = dir_with(&[("topologies/q.yaml", "vhosts: [{name: /}]\n")]);
    warren(bare.path())
        .args(["graph", "--target", "staging"])
        .status(1)
        .stderr_contains("--target needs a project file: there is no warren.yaml")
        .run();
}
