//! `apply --format json`: one JSON document on stdout, holding the plan and
//! what was applied, what failed and what was not started.

use serde_json::json;

use super::{Files, default_topology_in, warren};
use crate::common::broker::TestVhost;

#[test]
fn apply_in_json_prints_one_document_with_the_plan_and_the_outcome() {
    let v = TestVhost::new("apply-json");
    let files = Files::new();
    let topology = files.write("default.yaml", &default_topology_in(&v.name));

    let run = warren(
        files.dir(),
        &["--format", "json", "apply", "--auto-approve", &topology],
    )
    .stdout_any()
    .stderr_any()
    .run();
    let doc = run.json();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["plan"]["format_version"], 1);
    assert_eq!(doc["plan"]["vhosts"], json!([v.name]));
    assert_eq!(
        doc["plan"]["summary"],
        json!({"create": 4, "update": 0, "replace": 0, "delete": 0, "unmanaged": 0, "unsupported": 0})
    );
    assert_eq!(doc["plan"]["changes"].as_array().unwrap().len(), 4);
    // In the order the steps finished: a step waits only for what it
    // needs, so the binding may end before the queue `jobs`, never before
    // its exchange and its queue.
    let finished: Vec<String> = doc["applied"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a step").to_string())
        .collect();
    let at = |prefix: &str| finished.iter().position(|s| s.starts_with(prefix));
    let binding = at("create binding").expect("the binding was applied");
    assert!(
        at("declare exchange events") < Some(binding),
        "{finished:?}"
    );
    assert!(
        at("declare queue order.events") < Some(binding),
        "{finished:?}"
    );
    let mut applied = finished.clone();
    applied.sort();
    assert_eq!(
        applied,
        [
            format!(
                "create binding events -> order.events [order.*] in vhost {}",
                v.name
            ),
            format!("declare exchange events in vhost {}", v.name),
            format!("declare queue jobs in vhost {}", v.name),
            format!("declare queue order.events in vhost {}", v.name),
        ]
    );
    assert_eq!(doc["failed"], json!([]));
    assert_eq!(doc["not_started"], json!([]));
    assert_eq!(doc["verified"], true, "a fresh read confirmed the result");
    assert_eq!(doc["remaining"], json!([]));

    // Nothing to do: still one document, with empty lists.
    let again = warren(
        files.dir(),
        &["--format", "json", "apply", "--auto-approve", &topology],
    )
    .stdout_any()
    .stderr_any()
    .run();
    let doc = again.json();
    assert_eq!(doc["plan"]["changes"], json!([]));
    assert_eq!(doc["applied"], json!([]));
    assert_eq!(doc["failed"], json!([]));
    assert_eq!(doc["not_started"], json!([]));
}

#[test]
fn a_failed_apply_in_json_lists_the_failure_and_what_was_not_started() {
    let v = TestVhost::new("apply-json-failed");
    let files = Files::new();
    let topology = files.write(
        "t.yaml",
        &super::yaml(
            "vhosts: [{name: $V}]
exchanges: [{vhost: $V, name: delayed, type: x-federation-upstream}]
queues: [{vhost: $V, name: jobs}]
bindings: [{vhost: $V, source: delayed, destination: jobs}]
",
            &[("V", &v.name)],
        ),
    );

    let run = warren(
        files.dir(),
        &["--format", "json", "apply", "--auto-approve", &topology],
    )
    .status(1)
    .stdout_any()
    .stderr_any()
    .run();
    let doc = run.json();
    // The queue does not wait for the exchange; the binding does.
    assert_eq!(
        doc["applied"],
        json!([format!("declare queue jobs in vhost {}", v.name)])
    );
    assert_eq!(
        doc["failed"][0]["step"],
        format!("declare exchange delayed in vhost {}", v.name)
    );
    assert!(
        doc["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Argument x-max-hops missing"),
        "the broker's reason: {}",
        doc["failed"][0]["error"]
    );
    assert_eq!(
        doc["not_started"],
        json!([format!(
            "create binding delayed -> jobs [] in vhost {}",
            v.name
        )])
    );
}

#[test]
fn a_refused_apply_in_json_still_prints_the_document_with_nothing_started() {
    let v = TestVhost::new("apply-json-refused");
    let files = Files::new();
    let topology = |kind: &str| {
        super::yaml(
            &format!("vhosts: [{{name: $V}}]\nexchanges: [{{vhost: $V, name: x, type: {kind}}}]\n"),
            &[("V", &v.name)],
        )
    };
    let before = files.write("before.yaml", &topology("direct"));
    let after = files.write("after.yaml", &topology("fanout"));
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_any()
        .stderr_any()
        .run();

    let run = warren(
        files.dir(),
        &["--format", "json", "apply", "--auto-approve", &after],
    ).status(1).stderr_line(format!(
        "  exchange x in vhost '{}' is replaced (deleted and created again, with its bindings): needs --allow-recreate",
        v.name
    )).stdout_any().run();
    let doc = run.json();
    assert_eq!(doc["plan"]["summary"]["replace"], 1);
    assert_eq!(doc["applied"], json!([]));
    assert_eq!(doc["failed"], json!([]));
    assert_eq!(
        doc["not_started"],
        json!([
            format!("delete exchange x in vhost {}", v.name),
            format!("declare exchange x in vhost {}", v.name),
        ])
    );

    // Allowed, but not confirmed (no terminal): the same document.
    let run = warren(
        files.dir(),
        &["--format", "json", "apply", "--allow-recreate", &after],
    )
    .status(1)
    .stdout_any()
    .stderr_any()
    .run();
    assert_eq!(run.json()["not_started"].as_array().unwrap().len(), 2);
    assert_eq!(
        v.list("exchanges")
            .iter()
            .find(|e| e["name"] == "x")
            .unwrap()["type"],
        "direct"
    );
}
