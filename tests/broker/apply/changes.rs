//! Every kind of change on a real broker: create, update (a policy's
//! definition, a vhost's description and tags), replace (a queue argument,
//! an exchange type) and delete with `--prune`, and the bindings a replace
//! must give back.

use serde_json::json;

use super::{Files, binding_set, names, warren, yaml};
use crate::common::broker::{TestVhost, broker, enc};

const BEFORE: &str = r#"
vhosts: [{name: $V, description: before, tags: [a]}]
exchanges:
  - {vhost: $V, name: kept, type: topic}
  - {vhost: $V, name: retyped, type: direct}
  - {vhost: $V, name: dropped-x, type: fanout}
queues:
  - {vhost: $V, name: kept-q}
  - {vhost: $V, name: reargued, arguments: {x-max-priority: 5}}
  - {vhost: $V, name: dropped-q}
bindings:
  - {vhost: $V, source: kept, destination: kept-q, routing_key: "a.*"}
  - {vhost: $V, source: kept, destination: kept-q, routing_key: "dropped.*"}
  - {vhost: $V, source: retyped, destination: reargued, routing_key: r}
policies:
  - {vhost: $V, name: limit, pattern: "^kept", apply_to: queues, definition: {max-length: 10}}
  - {vhost: $V, name: dropped-p, pattern: "^none$", definition: {max-length: 1}}
"#;

const AFTER: &str = r#"
vhosts: [{name: $V, description: after, tags: [a, b]}]
exchanges:
  - {vhost: $V, name: kept, type: topic}
  - {vhost: $V, name: retyped, type: fanout}
queues:
  - {vhost: $V, name: kept-q}
  - {vhost: $V, name: reargued, arguments: {x-max-priority: 10}}
  - {vhost: $V, name: added}
bindings:
  - {vhost: $V, source: kept, destination: kept-q, routing_key: "a.*"}
  - {vhost: $V, source: retyped, destination: reargued, routing_key: r}
  - {vhost: $V, source: kept, destination: added, routing_key: "b.#"}
policies:
  - {vhost: $V, name: limit, pattern: "^kept", apply_to: queues, definition: {max-length: 20}}
"#;

#[test]
fn create_update_replace_and_prune_in_one_apply() {
    let v = TestVhost::new("apply-changes");
    let files = Files::new();
    let before = files.write("before.yaml", &yaml(BEFORE, &[("V", &v.name)]));
    let after = files.write("after.yaml", &yaml(AFTER, &[("V", &v.name)]));
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_line("Applied 12 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();

    warren(
        files.dir(),
        &[
            "apply",
            "--auto-approve",
            "--prune",
            "--allow-recreate",
            &after,
        ],
    )
    .stdout(format!(
        "vhost {v}
  ~ vhost {v}
      description: before → after
      tags: [\"a\"] → [\"a\",\"b\"]
  ~ policy limit
      definition:
        - max-length: 10
        + max-length: 20
  -/+ exchange retyped
      must be replaced: type cannot change in place
      type: direct → fanout
      needs --allow-recreate
  + queue added
  -/+ queue reargued
      must be replaced: x-max-priority cannot change in place
      arguments:
        - x-max-priority: 5
        + x-max-priority: 10
      holds 0 messages, 0 consumers
      needs --allow-recreate
  + binding kept -> added [b.#]
  + binding retyped -> reargued [r] [again: exchange retyped is replaced]
  - binding kept -> kept-q [dropped.*]
  - queue dropped-q
      holds 0 messages, 0 consumers
  - exchange dropped-x (fanout)
  - policy dropped-p (pattern: ^none$, apply_to: all, max-length: 1)

Plan: 3 to create, 2 to update, 2 to replace, 4 to delete.
Applied 11 changes, 0 failed, 0 not started.
",
        v = v.name
    ))
    .stderr_any()
    .run();

    warren(files.dir(), &["plan", "--prune", &after])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();

    // update: the vhost's description and tags, the policy's definition.
    let vhost = broker()
        .get(&format!("/api/vhosts/{}", enc(&v.name)))
        .unwrap();
    assert_eq!(vhost["description"], "after");
    assert_eq!(vhost["tags"], json!(["a", "b"]));
    let policies = v.list("policies");
    assert_eq!(names(&policies), ["limit"], "dropped-p is pruned");
    assert_eq!(policies[0]["definition"], json!({"max-length": 20}));

    // replace: the exchange type and the queue argument.
    let exchange = |name: &str| {
        v.list("exchanges")
            .into_iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("exchange {name}"))
    };
    assert_eq!(exchange("retyped")["type"], "fanout");
    assert_eq!(
        v.declared_arguments("reargued"),
        json!({"x-max-priority": 10})
    );

    // create and delete.
    assert!(v.exists("queues", "added"));
    assert!(!v.exists("queues", "dropped-q"));
    assert!(!v.exists("exchanges", "dropped-x"));
    assert_eq!(names(&v.list("queues")), ["added", "kept-q", "reargued"]);
    let binding = |source: &str, destination: &str, key: &str| json!({"source": source, "destination": destination, "destination_type": "queue", "routing_key": key, "arguments": {}});
    let mut expected = vec![
        binding("kept", "kept-q", "a.*"),
        binding("retyped", "reargued", "r"),
        binding("kept", "added", "b.#"),
    ];
    expected.sort_by_key(|b| b.to_string());
    assert_eq!(binding_set(&v), expected, "the bindings after the apply");
}

/// Queue `q` is fed by exchanges `a` and `b`, and `a` is fed by `c`.
const FEEDS: &str = r#"
vhosts: [{name: $V}]
exchanges:
  - {vhost: $V, name: a, type: $A_TYPE}
  - {vhost: $V, name: b, type: direct}
  - {vhost: $V, name: c, type: fanout}
queues:
  - {vhost: $V, name: q, arguments: {x-max-priority: $PRIORITY}}
bindings:
  - {vhost: $V, source: a, destination: q, routing_key: "a.#"}
  - {vhost: $V, source: b, destination: q, routing_key: b}
  - {vhost: $V, source: b, destination: q, routing_key: b2, arguments: {x-tag: "two"}}
  - {vhost: $V, source: c, destination: a, destination_type: exchange, routing_key: "c.#"}
"#;

fn feeds(v: &TestVhost, a_type: &str, priority: &str) -> String {
    yaml(FEEDS, &[("V", &v.name)])
        .replace("$A_TYPE", a_type)
        .replace("$PRIORITY", priority)
}

#[test]
fn a_replaced_queue_gets_every_binding_back() {
    let v = TestVhost::new("apply-requeue");
    let files = Files::new();
    let before = files.write("before.yaml", &feeds(&v, "topic", "1"));
    let after = files.write("after.yaml", &feeds(&v, "topic", "2"));
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_any()
        .stderr_any()
        .run();
    // Not in the files: left alone, so a replace must not lose it either.
    v.bind("amq.direct", "q", "q", "by-hand", json!({}));
    let bindings = binding_set(&v);
    assert_eq!(bindings.len(), 5);

    warren(
        files.dir(),
        &["apply", "--auto-approve", "--allow-recreate", &after],
    )
    .stdout(format!(
        "vhost {}
  -/+ queue q
      must be replaced: x-max-priority cannot change in place
      arguments:
        - x-max-priority: 1
        + x-max-priority: 2
      holds 0 messages, 0 consumers
      needs --allow-recreate
  + binding a -> q [a.#] [again: queue q is replaced]
  + binding amq.direct -> q [by-hand] [again: queue q is replaced]
  + binding b -> q [b] [again: queue q is replaced]
  + binding b -> q [b2] {{\"x-tag\":\"two\"}} [again: queue q is replaced]

Plan: 4 to create, 0 to update, 1 to replace, 0 to delete.
Applied 5 changes, 0 failed, 0 not started.
",
        v.name
    ))
    .stderr_any()
    .run();

    assert_eq!(binding_set(&v), bindings, "the bindings after the replace");
    assert_eq!(v.declared_arguments("q"), json!({"x-max-priority": 2}));
    warren(files.dir(), &["plan", &after])
        .stdout(format!(
            "vhost {}
  ? binding amq.direct -> q [by-hand] (not in the files; --prune would delete it)

No changes. The broker matches the files; 1 unmanaged.
",
            v.name
        ))
        .stderr_any()
        .run();
}

#[test]
fn a_replaced_exchange_gets_its_incoming_and_outgoing_bindings_back() {
    let v = TestVhost::new("apply-reexchange");
    let files = Files::new();
    let before = files.write("before.yaml", &feeds(&v, "topic", "1"));
    let after = files.write("after.yaml", &feeds(&v, "direct", "1"));
    warren(files.dir(), &["apply", "--auto-approve", &before])
        .stdout_any()
        .stderr_any()
        .run();
    let bindings = binding_set(&v);
    assert_eq!(bindings.len(), 4);

    warren(
        files.dir(),
        &["apply", "--auto-approve", "--allow-recreate", &after],
    )
    .stdout(format!(
        "vhost {}
  -/+ exchange a
      must be replaced: type cannot change in place
      type: topic → direct
      needs --allow-recreate
  + binding a -> q [a.#] [again: exchange a is replaced]
  + binding c -> exchange a [c.#] [again: exchange a is replaced]

Plan: 2 to create, 0 to update, 1 to replace, 0 to delete.
Applied 3 changes, 0 failed, 0 not started.
",
        v.name
    ))
    .stderr_any()
    .run();

    assert_eq!(binding_set(&v), bindings, "the bindings after the replace");
    let a = v
        .list("exchanges")
        .into_iter()
        .find(|e| e["name"] == "a")
        .unwrap();
    assert_eq!(a["type"], "direct");
    warren(files.dir(), &["plan", &after])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
}
