//! `warren route`: which queues a message reaches, computed from the files.
//! Each test states the command line, the whole output and the exit code.

use std::path::Path;

use crate::common::warren::Test;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `warren` in `dir`.
fn warren(dir: &Path) -> Test {
    Test::new().current_dir(dir)
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
    warren(repo())
        .args([
            "route",
            "--exchange",
            "events",
            "--routing-key",
            "order.created",
        ])
        .stdout("order.events\n")
        .run();
}

#[test]
fn a_job_through_the_default_exchange_reaches_its_queue() {
    warren(repo())
        .args([
            "route",
            "--exchange",
            "",
            "--routing-key",
            "jobs",
            "topologies/default.yaml",
        ])
        .stdout("jobs\n")
        .run();
}

#[test]
fn exchange_to_exchange_bindings_are_followed() {
    let dir = topology(SHOP);
    warren(dir.path())
        .args([
            "route",
            "--exchange",
            "events",
            "--routing-key",
            "order.paid",
        ])
        .stdout("audit.log\norder.events\n")
        .run();
}

#[test]
fn a_message_that_reaches_nothing_says_so_on_stderr() {
    let dir = topology(SHOP);
    warren(dir.path())
        .args([
            "route",
            "--exchange",
            "by-kind",
            "--routing-key",
            "x",
            "--header",
            "kind=invoice",
        ])
        .stderr(
            "no queue: exchange 'by-kind' in vhost '/' routes 'x' nowhere (the message would be \
             dropped, or returned if mandatory)\n",
        )
        .run();
}

#[test]
fn headers_are_typed_as_in_a_topology_file() {
    let dir = topology(SHOP);
    let route = |version: &str| {
        warren(dir.path()).args([
            "route",
            "--exchange",
            "by-kind",
            "--header",
            "kind=invoice",
            "--header",
            version,
        ])
    };
    route("version=2").stdout("invoices\n").run();
    // The string '2' is not the integer 2.
    route("version='2'")
        .stderr(
            "no queue: exchange 'by-kind' in vhost '/' routes '' nowhere (the message would be \
             dropped, or returned if mandatory)\n",
        )
        .run();
}

#[test]
fn json_output_is_one_versioned_document() {
    let dir = topology(SHOP);
    let doc = warren(dir.path())
        .args([
            "--format",
            "json",
            "route",
            "--exchange",
            "events",
            "--routing-key",
            "order.paid",
        ])
        .stdout_any()
        .run()
        .json();
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
    warren(dir.path())
        .args(["route", "--exchange", "audit"])
        .status(1)
        .stderr(
            "error: cannot publish to internal exchange 'audit' in vhost '/': only other \
             exchanges can route to it\n",
        )
        .run();
}

#[test]
fn an_unknown_exchange_is_an_error() {
    let dir = topology(SHOP);
    warren(dir.path())
        .args(["route", "--exchange", "evnts"])
        .status(1)
        .stderr("error: no exchange 'evnts' in vhost '/' (did you mean 'events'?)\n")
        .run();
}

#[test]
fn a_header_without_a_value_is_refused() {
    let dir = topology(SHOP);
    warren(dir.path())
        .args(["route", "--exchange", "by-kind", "--header", "kind"])
        .status(1)
        .stderr("error: --header 'kind' is not KEY=VALUE\n")
        .run();
}
