//! `warren route`: which queues a message reaches, computed from the files.
//! Each test states the command line, the whole output and the exit code.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `(exit code, stdout, stderr)` of `warren ARGS` run in `dir`.
fn warren(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = cargo_bin_cmd!("warren")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("warren runs");
    (
        output.status.code().expect("warren exits"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn topology(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("topologies")).unwrap();
    std::fs::write(dir.path().join("topologies/t.yaml"), yaml).unwrap();
    dir
}

const SHOP: &str = "
vhosts: [{name: /}]
exchanges:
  - {name: events, type: topic}
  - {name: audit, type: fanout, internal: true}
  - {name: by-kind, type: headers}
queues: [{name: order.events}, {name: audit.log}, {name: jobs}, {name: invoices}]
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*'}
  - {source: events, destination: audit, destination_type: exchange, routing_key: '#'}
  - {source: audit, destination: audit.log}
  - {source: by-kind, destination: invoices, arguments: {x-match: all, kind: invoice, version: 2}}
";

#[test]
fn an_order_event_reaches_order_events_in_the_default_topology() {
    let (code, stdout, stderr) = warren(
        repo(),
        &[
            "route",
            "--exchange",
            "events",
            "--routing-key",
            "order.created",
        ],
    );
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "order.events\n", "")
    );
}

#[test]
fn a_job_through_the_default_exchange_reaches_its_queue() {
    let (code, stdout, _) = warren(
        repo(),
        &[
            "route",
            "--exchange",
            "",
            "--routing-key",
            "jobs",
            "topologies/default.yaml",
        ],
    );
    assert_eq!((code, stdout.as_str()), (0, "jobs\n"));
}

#[test]
fn exchange_to_exchange_bindings_are_followed() {
    let dir = topology(SHOP);
    let (code, stdout, _) = warren(
        dir.path(),
        &[
            "route",
            "--exchange",
            "events",
            "--routing-key",
            "order.paid",
        ],
    );
    assert_eq!((code, stdout.as_str()), (0, "audit.log\norder.events\n"));
}

#[test]
fn a_message_that_reaches_nothing_says_so_on_stderr() {
    let dir = topology(SHOP);
    let (code, stdout, stderr) = warren(
        dir.path(),
        &[
            "route",
            "--exchange",
            "by-kind",
            "--routing-key",
            "x",
            "--header",
            "kind=invoice",
        ],
    );
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(
        stderr,
        "no queue: exchange 'by-kind' in vhost '/' routes 'x' nowhere (the message would be dropped, or returned if mandatory)\n"
    );
}

#[test]
fn headers_are_typed_as_in_a_topology_file() {
    let dir = topology(SHOP);
    let route = |version: &str| {
        warren(
            dir.path(),
            &[
                "route",
                "--exchange",
                "by-kind",
                "--header",
                "kind=invoice",
                "--header",
                version,
            ],
        )
        .1
    };
    assert_eq!(route("version=2"), "invoices\n");
    assert_eq!(
        route("version='2'"),
        "",
        "the string '2' is not the integer 2"
    );
}

#[test]
fn json_output_is_one_versioned_document() {
    let dir = topology(SHOP);
    let (code, stdout, _) = warren(
        dir.path(),
        &[
            "--format",
            "json",
            "route",
            "--exchange",
            "events",
            "--routing-key",
            "order.paid",
        ],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(
        doc["queues"],
        serde_json::json!(["audit.log", "order.events"])
    );
    assert_eq!(doc["exchanges"], serde_json::json!(["events", "audit"]));
}

#[test]
fn an_internal_exchange_cannot_be_published_to() {
    let dir = topology(SHOP);
    let (code, stdout, stderr) = warren(dir.path(), &["route", "--exchange", "audit"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(
        stderr.starts_with("error: cannot publish to internal exchange 'audit'"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_exchange_is_an_error() {
    let dir = topology(SHOP);
    let (code, _, stderr) = warren(dir.path(), &["route", "--exchange", "evnts"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error: no exchange 'evnts' in vhost '/' (did you mean 'events'?)\n"
    );
}

#[test]
fn a_header_without_a_value_is_refused() {
    let dir = topology(SHOP);
    let (code, _, stderr) = warren(
        dir.path(),
        &["route", "--exchange", "by-kind", "--header", "kind"],
    );
    assert_eq!(code, 1);
    assert_eq!(stderr, "error: --header 'kind' is not KEY=VALUE\n");
}
