//! The commands that need no broker: `validate`, `init`, `schema` and `diff`.
//!
//! Each test states the command line, the whole expected output and the
//! exit status, and runs in a temporary directory of its own unless it
//! reads the repository's files.

use std::path::Path;

use serde_json::json;

use crate::common::dir_with;
use crate::common::warren::Test;

/// `warren` in `dir`, with `NO_COLOR` unset: stdout is not a terminal, so
/// there is no colour either way.
fn warren(dir: &Path) -> Test {
    Test::new().current_dir(dir).env_remove("NO_COLOR")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const DEFAULT_SUMMARY: &str = "1 vhost, 1 exchange, 2 queues, 1 binding, 0 policies; 4 routes hold";

#[test]
fn validate_the_default_topology() {
    warren(repo())
        .args(["validate", "topologies/default.yaml"])
        .stdout(format!("topologies/default.yaml: {DEFAULT_SUMMARY}\n"))
        .run();
}

#[test]
fn validate_without_paths_reads_the_topologies_directory() {
    let dir = dir_with(&[(
        "topologies/default.yaml",
        include_str!("../../topologies/default.yaml"),
    )]);
    warren(dir.path())
        .args(["validate"])
        .stdout(format!("topologies/: {DEFAULT_SUMMARY}\n"))
        .run();
}

#[test]
fn validate_without_paths_and_without_a_topologies_directory_says_what_to_do() {
    let dir = dir_with(&[]);
    warren(dir.path())
        .args(["validate"])
        .status(1)
        .stderr("error: topologies: no such file or directory (give the files to read, or run `warren init`)\n\
             1 error in 1 file\n")
        .run();
}

#[test]
fn validate_a_directory_merges_its_files() {
    warren(repo())
        .args(["validate", "tests/good/merge"])
        .stdout("tests/good/merge: 1 vhost, 2 exchanges, 2 queues, 3 bindings, 0 policies; 1 route holds\n")
        .run();
}

#[test]
fn validate_several_files_names_them_all() {
    let dir = dir_with(&[
        (
            "a.yaml",
            "vhosts: [{name: /}]\nexchanges: [{name: e, type: fanout}]\n",
        ),
        (
            "b.yaml",
            "queues: [{name: q}]\nbindings: [{source: e, destination: q}]\n",
        ),
    ]);
    warren(dir.path())
        .args(["validate", "a.yaml", "b.yaml"])
        .stdout(
            "a.yaml, b.yaml: 1 vhost, 1 exchange, 1 queue, 1 binding, 0 policies; 0 routes hold\n",
        )
        .run();
}

#[test]
fn a_duplicate_across_two_files_names_both_places() {
    let dir = dir_with(&[
        (
            "topologies/a.yaml",
            "vhosts: [{name: /}]\nqueues:\n  - name: jobs\n",
        ),
        (
            "topologies/b.yaml",
            "queues:\n  - name: other\n  - name: jobs\n",
        ),
    ]);
    warren(dir.path())
        .args(["validate", "topologies"])
        .status(1)
        .stderr(
            "error: topologies/b.yaml:3:5: queues[1] jobs: duplicate queue 'jobs' in vhost '/' \
             (first declared at topologies/a.yaml:3:5, queues[0] jobs)\n\
             1 error in 1 file\n",
        )
        .run();
}

#[test]
fn every_error_of_every_file_is_listed_then_counted() {
    let dir = dir_with(&[
        (
            "a.yaml",
            "vhosts: [{name: /}]\nexchanges:\n  - name: events\n    type: topik\n",
        ),
        (
            "b.yaml",
            "queues:\n  - name: jobs\n    durabel: true\nbindings:\n  - source: events\n    destination: jbos\n",
        ),
    ]);
    warren(dir.path())
        .args(["validate", "a.yaml", "b.yaml"])
        .status(1)
        .stderr(
            "error: a.yaml:4:11: exchanges[0] events: exchange type 'topik' is not one of direct, \
             fanout, topic, headers, nor a plugin type starting 'x-' (did you mean 'topic'?)\n\
             error: b.yaml:3:5: queues[0] jobs: unknown key 'durabel' (did you mean 'durable'?); \
             expected one of: name, vhost, durable, auto_delete, arguments, type\n\
             error: b.yaml:6:18: bindings[0] events -> jbos: destination queue 'jbos' is not \
             declared in vhost '/' (did you mean 'jobs'?)\n\
             3 errors in 2 files\n",
        )
        .run();
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail() {
    let dir = dir_with(&[(
        "t.yaml",
        "vhosts: [{name: /}]\nqueues:\n  - name: scratch\n    durable: false\n",
    )]);
    warren(dir.path())
        .args(["validate", "t.yaml"])
        .stdout("t.yaml: 1 vhost, 0 exchanges, 1 queue, 0 bindings, 0 policies; 0 routes hold\n")
        .stderr("warning: t.yaml:4:14: queues[0] scratch: non-durable queues are deprecated since \
             RabbitMQ 3.13 and refused by default from 4.3 (transient_nonexcl_queues); make it durable\n")
        .run();
}

#[test]
fn what_rabbitmqs_import_skips_is_left_out_with_a_warning() {
    // A binding from the default exchange and a built-in exchange as the
    // broker has it: RabbitMQ's own import skips both (3.10.8, verified).
    let dir = dir_with(&[(
        "t.yaml",
        "vhosts: [{name: /}]\nexchanges:\n  - {name: amq.topic, type: topic}\nqueues: [{name: jobs}]\nbindings:\n  - {source: '', destination: jobs, routing_key: jobs}\n",
    )]);
    warren(dir.path())
        .args(["validate", "t.yaml"])
        .stdout("t.yaml: 1 vhost, 0 exchanges, 1 queue, 0 bindings, 0 policies; 0 routes hold\n")
        .stderr(
            "warning: t.yaml:3:12: exchanges[0] amq.topic: amq.topic is built in: every vhost has \
             it, as written here; left to the broker, as RabbitMQ's import leaves it\n\
             warning: t.yaml:6:14: bindings[0] (default) -> jobs: the default exchange takes no \
             explicit bindings: every queue is already bound to it by its own name (publish to \
             exchange \"\" with the queue name as routing key); left out, as RabbitMQ's import \
             leaves it out\n",
        )
        .run();
}

#[test]
fn an_empty_file_is_valid_but_says_it_declares_nothing() {
    let dir = dir_with(&[("empty.yaml", "")]);
    warren(dir.path())
        .args(["validate", "empty.yaml"])
        .stdout(
            "empty.yaml: 0 vhosts, 0 exchanges, 0 queues, 0 bindings, 0 policies; 0 routes hold\n",
        )
        .stderr(
            "warning: empty.yaml: the file declares nothing (no vhosts, exchanges, queues, \
             bindings, policies or routes)\n",
        )
        .run();
}

#[test]
fn a_directory_without_topology_files_is_an_error() {
    let dir = dir_with(&[("topologies/README.md", "# notes\n")]);
    warren(dir.path())
        .args(["validate", "topologies"])
        .status(1)
        .stderr(
            "error: topologies: the directory holds no *.yaml, *.yml or *.json file\n\
             1 error in 1 file\n",
        )
        .run();
}

#[test]
fn json_output_of_a_valid_topology() {
    let report = warren(repo())
        .args(["--format", "json", "validate", "topologies/default.yaml"])
        .stdout_any()
        .run()
        .json();
    assert_eq!(
        report,
        json!({
            "format_version": 1,
            "valid": true,
            "files": ["topologies/default.yaml"],
            "counts": {"vhosts": 1, "exchanges": 1, "queues": 2, "bindings": 1, "policies": 0, "routes": 4},
            "errors": [],
            "warnings": [],
        })
    );
}

#[test]
fn json_output_of_an_invalid_topology() {
    let dir = dir_with(&[(
        "t.yaml",
        "vhosts: [{name: /}]\nqueues:\n  - name: q\n    durable: false\n    arguments:\n      x-message-ttl: 6e4\n",
    )]);
    let report = warren(dir.path())
        .args(["--format", "json", "validate", "t.yaml"])
        .status(1)
        .stdout_any()
        .run()
        .json();
    assert_eq!(
        report,
        json!({
            "format_version": 1,
            "valid": false,
            "files": ["t.yaml"],
            "counts": {"vhosts": 1, "exchanges": 0, "queues": 1, "bindings": 0, "policies": 0, "routes": 0},
            "errors": [{
                "file": "t.yaml",
                "object": "queues[0] q",
                "line": 6,
                "column": 22,
                "message": "x-message-ttl must be a non-negative integer: 60000.0 is a float, which \
                            the broker refuses or keeps as a different value (a double); write 60000 \
                            (without a decimal point or exponent)",
            }],
            "warnings": [{
                "file": "t.yaml",
                "object": "queues[0] q",
                "line": 4,
                "column": 14,
                "message": "non-durable queues are deprecated since RabbitMQ 3.13 and refused by \
                            default from 4.3 (transient_nonexcl_queues); make it durable",
            }],
        })
    );
}

#[test]
fn markdown_format_reads_like_text_for_validate() {
    warren(repo())
        .args([
            "--format",
            "markdown",
            "validate",
            "topologies/default.yaml",
        ])
        .stdout(format!("topologies/default.yaml: {DEFAULT_SUMMARY}\n"))
        .run();
}

#[test]
fn every_good_fixture_is_valid_without_warnings() {
    for fixture in [
        "tests/good/merge",
        "tests/good/everything.yaml",
        "tests/good/vhost-export.json",
    ] {
        warren(repo())
            .args(["validate", fixture])
            .stdout_any()
            .run();
    }
}

#[test]
fn init_writes_the_default_topology_once() {
    let dir = dir_with(&[]);
    warren(dir.path())
        .args(["init"])
        .stderr("wrote topologies/default.yaml\n")
        .run();
    let written = std::fs::read_to_string(dir.path().join("topologies/default.yaml")).unwrap();
    assert_eq!(written, include_str!("../../topologies/default.yaml"));

    warren(dir.path())
        .args(["init"])
        .status(1)
        .stderr("error: topologies/default.yaml already exists; use --force to overwrite it\n")
        .run();

    std::fs::write(dir.path().join("topologies/default.yaml"), "changed\n").unwrap();
    warren(dir.path())
        .args(["init", "--force"])
        .stderr("wrote topologies/default.yaml\n")
        .run();
    let written = std::fs::read_to_string(dir.path().join("topologies/default.yaml")).unwrap();
    assert_eq!(written, include_str!("../../topologies/default.yaml"));
}

#[test]
fn init_then_validate_is_clean() {
    let dir = dir_with(&[]);
    warren(dir.path())
        .arg("init")
        .stderr("wrote topologies/default.yaml\n")
        .run();
    warren(dir.path())
        .args(["validate"])
        .stdout(format!("topologies/: {DEFAULT_SUMMARY}\n"))
        .run();
}

#[test]
fn schema_prints_the_checked_in_schema() {
    warren(repo())
        .args(["schema"])
        .stdout(include_str!("../../schemas/topology.schema.json"))
        .run();
}

#[test]
fn the_summary_counts_the_users_permissions_and_parameters_a_file_declares() {
    let dir = dir_with(&[(
        "t.yaml",
        "vhosts: [{name: /}]\nusers:\n  - {name: app, tags: []}\n  - {name: ops, tags: [monitoring]}\n\
         permissions:\n  - {user: app, vhost: /, configure: '', write: '.*', read: '.*'}\n\
         global_parameters: []\n",
    )]);
    warren(dir.path())
        .args(["validate", "t.yaml"])
        .stdout(
            "t.yaml: 1 vhost, 0 exchanges, 0 queues, 0 bindings, 0 policies, 2 users, \
             1 permission, 0 global parameters; 0 routes hold\n",
        )
        .run();
}

/// A vhost created with limits shows them on its line: they are set by a
/// step of their own, which the plan would otherwise not show.
#[test]
fn a_vhost_created_with_limits_shows_them() {
    let dir = dir_with(&[
        ("old.yaml", "vhosts: [{name: a}]\n"),
        (
            "new.yaml",
            "vhosts: [{name: a}, {name: b, limits: {max-queues: 50, max-connections: 100}}]\n",
        ),
    ]);
    let run = warren(dir.path())
        .args(["diff", "old.yaml", "new.yaml"])
        .stdout_any()
        .status(2)
        .run();
    assert!(
        run.stdout
            .contains("  + vhost b (max-connections: 100, max-queues: 50)\n"),
        "{run}"
    );
}
