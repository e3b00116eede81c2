//! `warren plan` end to end: the real binary against a real RabbitMQ, each
//! test in a vhost of its own. Objects are made by hand with raw HTTP (see
//! `common::broker`), never by warren, so a "No changes" proves that
//! warren reads what the broker holds the way the files mean it.

use crate::common;

use serde_json::{Value, json};

use common::broker::{TestVhost, broker, enc, unique_name};
use common::every_kind::{
    AWKWARD_YAML, EVERY_KIND_YAML, QUORUM_DEFAULT_YAML, make_awkward, make_every_kind,
    make_quorum_default, quorum_default_vhost,
};
use common::warren::{Files, NO_CHANGES, Test, arg, assert_no_changes, yaml_quoted};

/// The order-events topology of DESIGN.md, in the test's vhost.
const ORDERS_YAML: &str = r#"vhosts:
  - name: $V
exchanges:
  - {vhost: $V, name: events, type: topic}
queues:
  - {vhost: $V, name: order.events, arguments: {x-queue-type: quorum}}
  - {vhost: $V, name: jobs}
bindings:
  - {vhost: $V, source: events, destination: order.events, routing_key: "order.*"}
policies:
  - {vhost: $V, name: ttl-orders, pattern: "^order\\.", apply_to: queues, definition: {message-ttl: 86400000}}
"#;

/// The text plan of [`ORDERS_YAML`] against an empty `vhost`.
fn orders_plan_text(vhost: &str) -> String {
    format!(
        "vhost {vhost}
  + policy ttl-orders (pattern: ^order\\., apply_to: queues, message-ttl: 86400000)
  + exchange events (topic)
  + queue jobs
  + queue order.events (x-queue-type: quorum)
  + binding events -> order.events [order.*]

Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.
"
    )
}

fn broker_version() -> String {
    broker().get("/api/overview").unwrap()["rabbitmq_version"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn plan_against_an_empty_vhost_lists_every_create() {
    let v = TestVhost::new("plan-empty");
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, ORDERS_YAML);

    Test::broker()
        .args(["plan", arg(&file)])
        .stdout(orders_plan_text(&v.name))
        .run();
    Test::broker()
        .args(["plan", "--detailed-exitcode", arg(&file)])
        .status(2)
        .stdout(orders_plan_text(&v.name))
        .run();
    // Planning changes nothing.
    assert!(v.list("queues").is_empty());
    assert!(v.list("policies").is_empty());
}

#[test]
fn plan_creates_first_a_vhost_the_broker_does_not_have() {
    let name = unique_name("plan-novhost");
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &name,
        "vhosts:\n  - {name: $V, description: made by warren}\nqueues:\n  - {vhost: $V, name: jobs}\n",
    );
    Test::broker()
        .args(["plan", "--detailed-exitcode", arg(&file)])
        .status(2)
        .stdout(format!(
            "vhost {name}
  + vhost {name} (description: made by warren)
  + queue jobs

Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.
"
        ))
        .run();
    assert_eq!(
        broker().get(&format!("/api/vhosts/{}", enc(&name))),
        None,
        "plan must not create the vhost"
    );
}

#[test]
fn plan_as_json_is_a_versioned_document_with_changes_summary_broker_and_fingerprints() {
    let v = TestVhost::new("plan-json");
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, ORDERS_YAML);
    let n = v.name.as_str();

    let run = Test::broker()
        .args(["--format", "json", "plan", arg(&file)])
        .stdout_any()
        .run();
    let mut plan = run.json();
    let desired = take_fingerprint(&mut plan, "desired_fingerprint");
    let live = take_fingerprint(&mut plan, "live_fingerprint");
    let binding_id = json!({"kind": "binding", "vhost": n, "source": "events",
        "destination_type": "queue", "destination": "order.events",
        "routing_key": "order.*", "arguments": "{}"});
    assert_eq!(
        plan,
        json!({
            "format_version": 1,
            "broker": {"url": broker().url, "version": broker_version()},
            "files": [arg(&file)],
            "vhosts": [n],
            "desired_fingerprint": "(checked)",
            "live_fingerprint": "(checked)",
            "prune": false,
            "messages_known": true,
            "changes": [
                {"action": "create", "id": {"kind": "policy", "vhost": n, "name": "ttl-orders"},
                 "before": null,
                 "after": {"policy": {"name": "ttl-orders", "vhost": n, "pattern": "^order\\.",
                    "apply_to": "queues", "definition": {"message-ttl": 86_400_000}}}},
                {"action": "create", "id": {"kind": "exchange", "vhost": n, "name": "events"},
                 "before": null,
                 "after": {"exchange": {"name": "events", "vhost": n, "type": "topic"}}},
                {"action": "create", "id": {"kind": "queue", "vhost": n, "name": "jobs"},
                 "before": null,
                 "after": {"queue": {"name": "jobs", "vhost": n}}},
                {"action": "create", "id": {"kind": "queue", "vhost": n, "name": "order.events"},
                 "before": null,
                 "after": {"queue": {"name": "order.events", "vhost": n,
                    "arguments": {"x-queue-type": "quorum"}}}},
                {"action": "create", "id": binding_id,
                 "before": null,
                 "after": {"binding": {"source": "events", "destination": "order.events",
                    "routing_key": "order.*", "vhost": n}}},
            ],
            "summary": {"create": 5, "update": 0, "replace": 0, "delete": 0,
                        "unmanaged": 0, "unsupported": 0},
        }),
        "{run}"
    );

    // The same files and the same broker give the same fingerprints; a
    // change on the broker changes the live one only.
    let mut again = Test::broker()
        .args(["--format", "json", "plan", arg(&file)])
        .stdout_any()
        .run()
        .json();
    assert_eq!(take_fingerprint(&mut again, "desired_fingerprint"), desired);
    assert_eq!(take_fingerprint(&mut again, "live_fingerprint"), live);
    v.put_queue(
        "jobs",
        json!({"durable": true, "auto_delete": false, "arguments": {}}),
    );
    let mut changed = Test::broker()
        .args(["--format", "json", "plan", arg(&file)])
        .stdout_any()
        .run()
        .json();
    assert_eq!(
        take_fingerprint(&mut changed, "desired_fingerprint"),
        desired
    );
    assert_ne!(take_fingerprint(&mut changed, "live_fingerprint"), live);
    assert_eq!(changed["summary"]["create"], 4);

    // --detailed-exitcode changes the status, not the document.
    let detailed = Test::broker()
        .args([
            "--format",
            "json",
            "plan",
            "--detailed-exitcode",
            arg(&file),
        ])
        .status(2)
        .stdout_any()
        .run();
    assert_eq!(detailed.json()["summary"]["create"], 4);
}

/// Replaces a fingerprint by a placeholder after checking it is a hex
/// digest; returns it.
fn take_fingerprint(plan: &mut Value, key: &str) -> String {
    let value = plan[key].as_str().unwrap_or_default().to_string();
    assert!(
        value.len() >= 16 && value.chars().all(|c| c.is_ascii_hexdigit()),
        "{key} is not a hex digest: {:?}",
        plan[key]
    );
    plan[key] = json!("(checked)");
    value
}

#[test]
fn plan_as_markdown_has_the_verdict_the_table_and_the_plan_in_details() {
    let v = TestVhost::new("plan-md");
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, ORDERS_YAML);
    let n = &v.name;
    let expected = format!(
        "### warren plan: 5 changes, none destructive

Broker: `{url}` (RabbitMQ {version})

| create | update | replace | delete | unmanaged | cannot be applied |
|---:|---:|---:|---:|---:|---:|
| 5 | 0 | 0 | 0 | 0 | 0 |

<details><summary>Routing: what changes</summary>

```mermaid
flowchart LR
  n0{{{{\"events<br/>topic\"}}}}
  n1[(\"jobs\")]
  n2[(\"order.events<br/>quorum\")]
  n0 -->|\"order.*\"| n2
  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px
  class n0,n1,n2 added
  linkStyle 0 stroke:#1a7f37,stroke-width:2px
```

Green: added.

</details>

<details><summary>Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.</summary>

```diff
vhost {n}
+ policy ttl-orders (pattern: ^order\\., apply_to: queues, message-ttl: 86400000)
+ exchange events (topic)
+ queue jobs
+ queue order.events (x-queue-type: quorum)
+ binding events -> order.events [order.*]

Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.
```

</details>
",
        url = broker().url,
        version = broker_version()
    );
    Test::broker()
        .args(["--format", "markdown", "plan", arg(&file)])
        .stdout(&expected)
        .run();

    make_orders_by_hand(&v);
    Test::broker()
        .args(["--format", "markdown", "plan", arg(&file)])
        .stdout(format!(
            "### warren plan: ✅ no changes

Broker: `{url}` (RabbitMQ {version})

| create | update | replace | delete | unmanaged | cannot be applied |
|---:|---:|---:|---:|---:|---:|
| 0 | 0 | 0 | 0 | 0 | 0 |

<details><summary>No changes. The broker matches the files.</summary>

```diff
No changes. The broker matches the files.
```

</details>
",
            url = broker().url,
            version = broker_version()
        ))
        .run();
}

/// The order-events story of the README: the default topology, in the
/// test's vhost.
const STORY_YAML: &str = r#"vhosts:
  - name: $V
exchanges:
  - {vhost: $V, name: events, type: topic}
queues:
  - {vhost: $V, name: order.events}
  - {vhost: $V, name: jobs}
bindings:
  - {vhost: $V, source: events, destination: order.events, routing_key: "order.*"}
"#;

/// The story's dead-letter change: an exchange dlx, a queue order.dead
/// bound to it, and the policy that gives order.events its dead-letter
/// exchange in place.
const STORY_DEAD_LETTERS_YAML: &str = r#"
exchanges:
  - {vhost: $V, name: dlx, type: fanout}
queues:
  - {vhost: $V, name: order.dead}
bindings:
  - {vhost: $V, source: dlx, destination: order.dead}
policies:
  - {vhost: $V, name: order-events-dead-letters, pattern: "^order\\.events$", apply_to: queues, definition: {dead-letter-exchange: dlx}}
"#;

#[test]
fn the_markdown_plan_of_the_dead_letter_change_draws_what_it_adds_marked() {
    let v = TestVhost::new("plan-md-graph");
    let files = Files::new();
    let before = files.topology("before.yaml", &v.name, STORY_YAML);
    Test::broker()
        .args(["apply", "--auto-approve", arg(&before)])
        .stdout_any()
        .stderr_any()
        .run();
    files.topology("story.yaml", &v.name, STORY_YAML);
    files.topology("story-dead-letters.yaml", &v.name, STORY_DEAD_LETTERS_YAML);
    let output = Test::broker()
        .args([
            "plan",
            "--format",
            "markdown",
            arg(&files.path("story.yaml")),
            arg(&files.path("story-dead-letters.yaml")),
        ])
        .stdout_contains("<details><summary>Routing: what changes</summary>")
        .run();
    let start = output.stdout.find("```mermaid\n").expect("a diagram");
    let end = start + output.stdout[start..].find("\n```\n").expect("its end");
    assert_eq!(
        &output.stdout[start..end],
        r#"```mermaid
flowchart LR
  n0{{"dlx<br/>fanout"}}
  n1{{"events<br/>topic"}}
  n2[("jobs")]
  n3[("order.dead")]
  n4[("order.events")]
  n0 --> n3
  n1 -->|"order.*"| n4
  n4 -.->|"dead letters (policy order-events-dead-letters)"| n0
  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px
  class n0,n3 added
  linkStyle 0,2 stroke:#1a7f37,stroke-width:2px"#
    );
}

/// What [`ORDERS_YAML`] declares, made by hand.
fn make_orders_by_hand(v: &TestVhost) {
    v.put_exchange(
        "events",
        json!({"type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}),
    );
    v.put_queue(
        "order.events",
        json!({"durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}),
    );
    v.put_queue(
        "jobs",
        json!({"durable": true, "auto_delete": false, "arguments": {}}),
    );
    v.bind("events", "q", "order.events", "order.*", json!({}));
    v.put_policy(
        "ttl-orders",
        json!({"pattern": "^order\\.", "apply-to": "queues", "priority": 0, "definition": {"message-ttl": 86_400_000}}),
    );
}

#[test]
fn plan_out_saves_the_json_plan_and_still_prints_the_text_one() {
    let v = TestVhost::new("plan-out");
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, ORDERS_YAML);
    let out = files.path("plan.json");

    let saved_to = format!(
        "plan saved to {out}; carry it out with: warren apply --plan {out}\n",
        out = arg(&out)
    );
    Test::broker()
        .args(["plan", "--out", arg(&out), arg(&file)])
        .stdout(orders_plan_text(&v.name))
        .stderr(&saved_to)
        .run();
    let saved = std::fs::read_to_string(&out).expect("plan --out writes the file");
    let printed = Test::broker()
        .args(["--format", "json", "plan", arg(&file)])
        .stdout_any()
        .run();
    assert_eq!(saved, printed.stdout, "the saved plan is the JSON plan");

    // With nothing to do, the plan is saved all the same.
    make_orders_by_hand(&v);
    Test::broker()
        .args(["plan", "--out", arg(&out), arg(&file)])
        .stdout(NO_CHANGES)
        .stderr(saved_to)
        .run();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["changes"], json!([]));
}

#[test]
fn hand_made_objects_of_every_kind_plan_as_no_changes() {
    let v = TestVhost::new("plan-every");
    make_every_kind(&v);
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, EVERY_KIND_YAML);
    assert_no_changes(&file);
}

#[test]
fn hand_made_objects_with_names_needing_encoding_plan_as_no_changes() {
    let v = TestVhost::awkward("plan-awkward");
    make_awkward(&v);
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, AWKWARD_YAML);
    assert_no_changes(&file);

    // The same objects in a vhost of ordinary name, and every kind of
    // object in the awkward vhost, read the same way.
    let plain = TestVhost::new("plan-awkward-plain");
    make_awkward(&plain);
    let file = files.topology("plain.yaml", &plain.name, AWKWARD_YAML);
    assert_no_changes(&file);
    let every = TestVhost::awkward("plan-awkward-every");
    make_every_kind(&every);
    let file = files.topology("every.yaml", &every.name, EVERY_KIND_YAML);
    assert_no_changes(&file);
}

#[test]
fn quorum_queues_in_a_vhost_whose_default_type_is_quorum_plan_as_no_changes() {
    let v = quorum_default_vhost("plan-dqt");
    make_quorum_default(&v);
    let files = Files::new();
    // The vhost's default queue type left to the broker…
    let file = files.topology("unset.yaml", &v.name, QUORUM_DEFAULT_YAML);
    assert_no_changes(&file);
    // …and stated in the file.
    let stated = QUORUM_DEFAULT_YAML.replace(
        "  - name: $V\n",
        "  - {name: $V, default_queue_type: quorum}\n",
    );
    let file = files.topology("stated.yaml", &v.name, &stated);
    assert_no_changes(&file);
}

#[test]
fn a_quorum_queue_is_not_a_classic_one_whatever_the_vhost_default() {
    // In a vhost without a default type, a queue the file declares without
    // x-queue-type is classic: a quorum queue by that name is a replace.
    let v = TestVhost::new("plan-qtype");
    v.put_queue(
        "jobs",
        json!({"durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}),
    );
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &v.name,
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: jobs}\n",
    );
    Test::broker()
        .args(["plan", "--detailed-exitcode", arg(&file)])
        .status(2)
        .stdout(format!(
            "vhost {}
  -/+ queue jobs
      must be replaced: x-queue-type cannot change in place
      arguments:
        - x-queue-type: quorum
      message count unknown, 0 consumers
      needs --allow-recreate and --allow-data-loss

Plan: 0 to create, 0 to update, 1 to replace, 0 to delete.
",
            v.name
        ))
        .run();
}

#[test]
fn plan_prune_deletes_what_the_files_do_not_declare_with_the_brokers_binding_key() {
    let v = TestVhost::new("plan-prune");
    make_orders_by_hand(&v);
    let key = "sp ace/sl%ash~+é.#";
    v.bind("events", "q", "jobs", key, json!({}));
    v.put_queue(
        "stray",
        json!({"durable": true, "auto_delete": false, "arguments": {}}),
    );
    v.bind("amq.fanout", "q", "stray", "", json!({}));
    assert!(v.publish("", "stray", "one"));
    assert!(v.publish("", "stray", "two"));
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, ORDERS_YAML);

    Test::broker()
        .args(["plan", "--prune", "--detailed-exitcode", arg(&file)])
        .status(2)
        .stdout(format!(
            "vhost {}
  - binding amq.fanout -> stray [] [goes with queue stray]
  - binding events -> jobs [{key}]
  - queue stray
      holds 2 messages, 0 consumers
      needs --allow-data-loss

Plan: 0 to create, 0 to update, 0 to replace, 3 to delete.
",
            v.name
        ))
        .run();

    // The binding is deleted by the properties_key the broker reports.
    let listed = v
        .explicit_bindings()
        .into_iter()
        .find(|b| b["routing_key"] == key)
        .expect("the binding made by hand");
    let plan = Test::broker()
        .args(["--format", "json", "plan", "--prune", arg(&file)])
        .stdout_any()
        .run()
        .json();
    let change = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"]["routing_key"] == key)
        .expect("the binding's deletion")
        .clone();
    assert_eq!(change["action"], "delete");
    assert_eq!(change["properties_key"], listed["properties_key"]);

    // Without --prune they are only listed.
    Test::broker()
        .args(["plan", "--detailed-exitcode", arg(&file)])
        .stdout(format!(
            "vhost {}
  ? queue stray (not in the files; --prune would delete it)
  ? binding amq.fanout -> stray [] (not in the files; --prune would delete it)
  ? binding events -> jobs [{key}] (not in the files; --prune would delete it)

No changes. The broker matches the files; 3 unmanaged.
",
            v.name
        ))
        .run();
}

/// Regression: normalising dropped `x-queue-type: classic` everywhere, so
/// in a vhost whose default type is quorum the plan (whose `after` is what
/// `apply` declares) asked for a queue without a type: a quorum queue.
#[test]
fn an_explicitly_classic_queue_stays_classic_where_the_vhost_default_is_quorum() {
    let v = quorum_default_vhost("plan-dqt-classic");
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &v.name,
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: classic, arguments: {x-queue-type: classic}}\n  - {vhost: $V, name: default}\n",
    );
    Test::broker()
        .args(["plan", arg(&file)])
        .stdout(format!(
            "vhost {}
  + queue classic (x-queue-type: classic)
  + queue default (x-queue-type: quorum)

Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.
",
            v.name
        ))
        .run();
    let plan = Test::broker()
        .args(["--format", "json", "plan", arg(&file)])
        .stdout_any()
        .run()
        .json();
    let declared: Vec<&Value> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["after"]["queue"]["arguments"])
        .collect();
    assert_eq!(
        declared,
        [
            &json!({"x-queue-type": "classic"}),
            &json!({"x-queue-type": "quorum"})
        ]
    );
}

/// A version's behaviour, checked on each: RabbitMQ 3.10.8 cannot change a
/// vhost's default queue type, so the plan reports the difference (`!`)
/// without claiming the broker matches, apply has nothing to do (so
/// `--detailed-exitcode` exits 0), and drift counts it; from 3.11.17 (4.0.5
/// here) the change is an update that apply makes, from the node's default
/// (`classic` on 4.0) to the files'.
#[test]
fn a_default_queue_type_change_is_applied_where_the_broker_can_and_reported_where_it_cannot() {
    let v = TestVhost::new("plan-dqt-unsupported");
    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        &v.name,
        "vhosts:\n  - {name: $V, default_queue_type: quorum}\n",
    );
    let n = &v.name;
    if broker().at_least(3, 11, 17) {
        let before = broker().node_default_queue_type().map_or("(none)", |t| t);
        Test::broker()
            .args(["plan", "--detailed-exitcode", arg(&file)])
            .status(2)
            .stdout(format!(
                "vhost {n}\n  ~ vhost {n}\n      default_queue_type: {before} → quorum\n\n\
                 Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.\n"
            ))
            .run();
        Test::broker()
            .args(["apply", "--auto-approve", arg(&file)])
            .stdout_line("Applied 1 change, 0 failed, 0 not started.")
            .stderr_any()
            .run();
        let live = broker().get(&format!("/api/vhosts/{}", enc(n))).unwrap();
        assert_eq!(live["default_queue_type"], "quorum", "{live}");
        assert_no_changes(&file);
        return;
    }
    let body = format!(
        "vhost {n}
  ! vhost {n}
      default_queue_type: (none) → quorum
      RabbitMQ {version} cannot change a vhost's default queue type in place (3.11.17 can); this difference stays until the vhost is re-created by hand
",
        version = broker_version()
    );
    Test::broker()
        .args(["plan", "--detailed-exitcode", arg(&file)])
        .stdout(format!(
            "{body}\nNo changes to apply; 1 cannot be applied.\n"
        ))
        .run();
    Test::broker().args(["drift", arg(&file)]).status(2).stdout(format!(
            "{body}\nDrift: 0 to create, 0 to update, 0 to replace, 0 to delete; 1 cannot be applied.\n"
        )).run();
    let run = Test::broker()
        .args(["--format", "json", "drift", arg(&file)])
        .status(2)
        .stdout_any()
        .run();
    assert_eq!(
        run.json()["drifted"],
        json!([{"action": "unsupported", "drift": "differs from the files", "kind": "vhost",
                "name": n, "differences": [
                    {"field": "default_queue_type", "before": null, "after": "quorum"}]}])
    );
}

/// The broker is read while the files load, starting from the vhosts a
/// quick scan of the files finds. Files the scan cannot read, or reads
/// wrong, plan the same: a queue made by hand in each of two vhosts shows
/// as "No changes" only if both vhosts were read.
#[test]
fn vhosts_a_quick_scan_cannot_tell_are_read_all_the_same() {
    let a = TestVhost::new("plan-scan-a");
    let b = TestVhost::new("plan-scan-b");
    for v in [&a, &b] {
        v.put_queue("jobs", json!({"durable": true}));
    }
    let (qa, qb) = (yaml_quoted(&a.name), yaml_quoted(&b.name));
    let files = Files::new();
    let cases = [
        (
            "the vhosts after the objects",
            format!(
                "queues:\n  - {{vhost: {qa}, name: jobs}}\n  - {{vhost: {qb}, name: jobs}}\n\
                 vhosts:\n  - name: {qa}\n  - name: {qb}\n"
            ),
        ),
        (
            "a vhost named through an alias",
            format!(
                "queues:\n  - {{vhost: &a {qa}, name: jobs}}\n  - {{vhost: {qb}, name: jobs}}\n\
                 vhosts:\n  - name: *a\n  - name: {qb}\n"
            ),
        ),
        (
            "a second document declaring the second vhost",
            format!(
                "vhosts: [{{name: {qa}}}]\nqueues: [{{vhost: {qa}, name: jobs}}]\n---\n\
                 vhosts: [{{name: {qb}}}]\nqueues: [{{vhost: {qb}, name: jobs}}]\n"
            ),
        ),
    ];
    for (case, text) in cases {
        let file = files.write("topology.yaml", &text);
        let run = Test::broker()
            .args(["plan", "--detailed-exitcode", arg(&file)])
            .output();
        assert_eq!(run.stdout, NO_CHANGES, "{case}\n{text}\n{run}");
        assert_no_changes(&file);
    }
}
