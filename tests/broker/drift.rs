//! `warren drift` end to end: a vhost made by hand to match a file, then
//! changed by hand the ways an operator changes a broker (an object
//! deleted, a property changed, an object added); each drift must be found
//! (exit 2) and named in the JSON report (`drifted[]`: action, kind,
//! vhost, identity, differences).

use crate::common;

use serde_json::{Value, json};

use common::broker::{TestVhost, broker};
use common::every_kind::{
    AWKWARD_EXCHANGE, AWKWARD_QUEUE, AWKWARD_ROUTING_KEY, AWKWARD_YAML, make_awkward,
};
use common::warren::{Files, IN_SYNC, Test, arg};

/// The topology the drift tests start from.
const BASE_YAML: &str = r##"vhosts:
  - name: $V
exchanges:
  - {vhost: $V, name: events, type: topic}
queues:
  - {vhost: $V, name: orders, arguments: {x-message-ttl: 60000}}
  - {vhost: $V, name: audit}
bindings:
  - {vhost: $V, source: events, destination: orders, routing_key: "order.*"}
  - {vhost: $V, source: events, destination: audit, routing_key: "#"}
policies:
  - {vhost: $V, name: limit, pattern: "^orders$", apply_to: queues, definition: {max-length: 1000}}
"##;

/// A vhost made by hand to match [`BASE_YAML`], and the file.
struct Synced {
    vhost: TestVhost,
    _files: Files,
    file: std::path::PathBuf,
}

impl Synced {
    fn new(tag: &str) -> Synced {
        let vhost = TestVhost::new(tag);
        vhost.put_exchange("events", exchange("topic"));
        vhost.put_queue("orders", queue(json!({"x-message-ttl": 60000})));
        vhost.put_queue("audit", queue(json!({})));
        vhost.bind("events", "q", "orders", "order.*", json!({}));
        vhost.bind("events", "q", "audit", "#", json!({}));
        vhost.put_policy("limit", policy(1000));
        let files = Files::new();
        let file = files.topology("topology.yaml", &vhost.name, BASE_YAML);
        Synced {
            vhost,
            _files: files,
            file,
        }
    }

    fn name(&self) -> &str {
        &self.vhost.name
    }

    /// `warren drift --format json`: asserts exit 2 and returns `drifted`.
    #[track_caller]
    fn drifted(&self) -> Value {
        let run = Test::broker()
            .args(["--format", "json", "drift", arg(&self.file)])
            .status(2)
            .stdout_any()
            .run();
        let report = run.json();
        assert_eq!(report["format_version"], 1, "{run}");
        assert_eq!(report["in_sync"], false, "{run}");
        report["drifted"].clone()
    }

    /// A binding's identity as the report flattens it.
    fn binding(&self, source: &str, destination: &str, routing_key: &str) -> Value {
        json!({"kind": "binding", "vhost": self.name(), "source": source,
               "destination_type": "queue", "destination": destination,
               "routing_key": routing_key, "arguments": "{}"})
    }

    fn delete(&self, path: &str) {
        broker().expect_ok("DELETE", path, None);
    }
}

fn exchange(kind: &str) -> Value {
    json!({"type": kind, "durable": true, "auto_delete": false, "internal": false, "arguments": {}})
}

fn queue(arguments: Value) -> Value {
    json!({"durable": true, "auto_delete": false, "arguments": arguments})
}

fn policy(max_length: i64) -> Value {
    json!({"pattern": "^orders$", "apply-to": "queues", "priority": 0, "definition": {"max-length": max_length}})
}

/// `entry` (an identity) with the other fields of a drift report entry.
fn drift(action: &str, what: &str, id: Value, differences: Value) -> Value {
    let mut entry = json!({"action": action, "drift": what, "differences": differences});
    for (k, v) in id.as_object().unwrap() {
        entry[k] = v.clone();
    }
    entry
}

const MISSING: &str = "missing on the broker";
const DIFFERS: &str = "differs from the files";
const EXTRA: &str = "on the broker, not in the files";
const WITH_REPLACED: &str = "re-created with a replaced object";

#[test]
fn a_broker_that_matches_the_files_is_in_sync() {
    let s = Synced::new("drift-sync");
    Test::broker()
        .args(["drift", arg(&s.file)])
        .stdout(IN_SYNC)
        .run();
    let run = Test::broker()
        .args(["--format", "json", "drift", arg(&s.file)])
        .stdout_any()
        .run();
    assert_eq!(
        run.json(),
        json!({
            "format_version": 1,
            "in_sync": true,
            "broker": {"url": broker().url, "version": run.json()["broker"]["version"]},
            "files": [arg(&s.file)],
            "summary": {"create": 0, "update": 0, "replace": 0, "delete": 0, "unmanaged": 0, "unsupported": 0},
            "drifted": [],
        })
    );
    assert!(
        run.json()["broker"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.") || v.starts_with("4.")),
        "{run}"
    );
}

#[test]
fn a_deleted_queue_is_missing_with_its_bindings() {
    let s = Synced::new("drift-del-queue");
    s.delete(&s.vhost.path("queues", &["orders"]));
    let n = s.name();
    assert_eq!(
        s.drifted(),
        json!([
            drift(
                "create",
                MISSING,
                json!({"kind": "queue", "vhost": n, "name": "orders"}),
                json!([])
            ),
            drift(
                "create",
                MISSING,
                s.binding("events", "orders", "order.*"),
                json!([])
            ),
        ])
    );
    Test::broker()
        .args(["drift", arg(&s.file)])
        .status(2)
        .stdout(format!(
            "vhost {n}
  + queue orders (x-message-ttl: 60000)
  + binding events -> orders [order.*]

Drift: 2 to create, 0 to update, 0 to replace, 0 to delete.
"
        ))
        .run();
}

#[test]
fn a_deleted_exchange_is_missing_with_its_bindings() {
    let s = Synced::new("drift-del-exchange");
    s.delete(&s.vhost.path("exchanges", &["events"]));
    let n = s.name();
    assert_eq!(
        s.drifted(),
        json!([
            drift(
                "create",
                MISSING,
                json!({"kind": "exchange", "vhost": n, "name": "events"}),
                json!([])
            ),
            drift(
                "create",
                MISSING,
                s.binding("events", "audit", "#"),
                json!([])
            ),
            drift(
                "create",
                MISSING,
                s.binding("events", "orders", "order.*"),
                json!([])
            ),
        ])
    );
}

#[test]
fn a_deleted_binding_is_missing() {
    let s = Synced::new("drift-del-binding");
    // `#` is the properties_key `%23`, encoded again in the path.
    s.delete(&format!(
        "{}/%2523",
        s.vhost.path("bindings", &["e", "events", "q", "audit"])
    ));
    assert_eq!(
        s.drifted(),
        json!([drift(
            "create",
            MISSING,
            s.binding("events", "audit", "#"),
            json!([])
        )])
    );
}

#[test]
fn a_deleted_policy_is_missing() {
    let s = Synced::new("drift-del-policy");
    s.delete(&s.vhost.path("policies", &["limit"]));
    assert_eq!(
        s.drifted(),
        json!([drift(
            "create",
            MISSING,
            json!({"kind": "policy", "vhost": s.name(), "name": "limit"}),
            json!([])
        )])
    );
}

#[test]
fn a_changed_queue_argument_is_a_replace_naming_the_policy_key() {
    let s = Synced::new("drift-queue-arg");
    s.delete(&s.vhost.path("queues", &["orders"]));
    s.vhost
        .put_queue("orders", queue(json!({"x-message-ttl": 30000})));
    s.vhost.bind("events", "q", "orders", "order.*", json!({}));
    let n = s.name();
    assert_eq!(
        s.drifted(),
        json!([
            drift(
                "replace",
                DIFFERS,
                json!({"kind": "queue", "vhost": n, "name": "orders"}),
                json!([
                    {"field": "arguments.x-message-ttl", "before": 30000, "after": 60000, "policy_key": "message-ttl"}
                ])
            ),
            drift(
                "create",
                WITH_REPLACED,
                s.binding("events", "orders", "order.*"),
                json!([])
            ),
        ])
    );
    Test::broker().args(["drift", arg(&s.file)]).status(2).stdout(format!(
            "vhost {n}
  -/+ queue orders
      must be replaced: x-message-ttl cannot change in place (a policy can set it without a replace: message-ttl)
      arguments:
        - x-message-ttl: 30000
        + x-message-ttl: 60000
      holds 0 messages, 0 consumers
      needs --allow-recreate
  + binding events -> orders [order.*] [again: queue orders is replaced]

Drift: 1 to create, 0 to update, 1 to replace, 0 to delete.
"
        )).run();
}

#[test]
fn a_changed_policy_definition_is_an_update() {
    let s = Synced::new("drift-policy-def");
    s.vhost.put_policy("limit", policy(500));
    assert_eq!(
        s.drifted(),
        json!([drift(
            "update",
            DIFFERS,
            json!({"kind": "policy", "vhost": s.name(), "name": "limit"}),
            json!([{"field": "definition.max-length", "before": 500, "after": 1000}])
        )])
    );
    Test::broker()
        .args(["drift", arg(&s.file)])
        .status(2)
        .stdout(format!(
            "vhost {}
  ~ policy limit
      definition:
        - max-length: 500
        + max-length: 1000

Drift: 0 to create, 1 to update, 0 to replace, 0 to delete.
",
            s.name()
        ))
        .run();
}

#[test]
fn a_changed_exchange_type_is_a_replace_with_its_bindings() {
    let s = Synced::new("drift-exchange-type");
    s.delete(&s.vhost.path("exchanges", &["events"]));
    s.vhost.put_exchange("events", exchange("direct"));
    s.vhost.bind("events", "q", "orders", "order.*", json!({}));
    s.vhost.bind("events", "q", "audit", "#", json!({}));
    let n = s.name();
    assert_eq!(
        s.drifted(),
        json!([
            drift(
                "replace",
                DIFFERS,
                json!({"kind": "exchange", "vhost": n, "name": "events"}),
                json!([
                    {"field": "type", "before": "direct", "after": "topic"}
                ])
            ),
            drift(
                "create",
                WITH_REPLACED,
                s.binding("events", "audit", "#"),
                json!([])
            ),
            drift(
                "create",
                WITH_REPLACED,
                s.binding("events", "orders", "order.*"),
                json!([])
            ),
        ])
    );
}

#[test]
fn objects_added_by_hand_are_unmanaged_drift() {
    let s = Synced::new("drift-extra");
    s.vhost.put_queue("stray", queue(json!({})));
    s.vhost.put_exchange("stray-x", exchange("fanout"));
    s.vhost.bind("events", "q", "audit", "extra.#", json!({}));
    s.vhost.put_policy(
        "stray-p",
        json!({"pattern": "^stray", "apply-to": "all", "priority": 0, "definition": {"expires": 60000}}),
    );
    let n = s.name();
    assert_eq!(
        s.drifted(),
        json!([
            {"action": "unmanaged", "drift": EXTRA, "kind": "policy", "vhost": n, "name": "stray-p",
             "differences": [],
             "live": {"policy": {"name": "stray-p", "vhost": n, "pattern": "^stray",
                                 "definition": {"expires": 60000}}}},
            {"action": "unmanaged", "drift": EXTRA, "kind": "exchange", "vhost": n, "name": "stray-x",
             "differences": [],
             "live": {"exchange": {"name": "stray-x", "vhost": n, "type": "fanout"}}},
            {"action": "unmanaged", "drift": EXTRA, "kind": "queue", "vhost": n, "name": "stray",
             "differences": [],
             "live": {"queue": {"name": "stray", "vhost": n}}},
            {"action": "unmanaged", "drift": EXTRA, "kind": "binding", "vhost": n, "source": "events",
             "destination_type": "queue", "destination": "audit", "routing_key": "extra.#",
             "arguments": "{}", "differences": [],
             "live": {"binding": {"source": "events", "destination": "audit",
                                  "routing_key": "extra.#", "vhost": n}}},
        ])
    );
    Test::broker()
        .args(["drift", arg(&s.file)])
        .status(2)
        .stdout(format!(
            "vhost {n}
  ? policy stray-p (not in the files; --prune would delete it)
  ? exchange stray-x (not in the files; --prune would delete it)
  ? queue stray (not in the files; --prune would delete it)
  ? binding events -> audit [extra.#] (not in the files; --prune would delete it)

Drift: 0 to create, 0 to update, 0 to replace, 0 to delete; 4 unmanaged.
"
        ))
        .run();
}

#[test]
fn drift_in_a_vhost_with_names_needing_encoding_counts_the_messages_at_stake() {
    let v = TestVhost::awkward("drift-awkward");
    make_awkward(&v);
    let files = Files::new();
    let file = files.topology("topology.yaml", &v.name, AWKWARD_YAML);
    Test::broker()
        .args(["drift", arg(&file)])
        .stdout(IN_SYNC)
        .run();

    // The queue is re-declared by hand without its dead-letter routing key
    // and holds a message.
    broker().expect_ok("DELETE", &v.path("queues", &[AWKWARD_QUEUE]), None);
    v.put_queue(
        AWKWARD_QUEUE,
        json!({"durable": true, "auto_delete": false,
               "arguments": {"x-dead-letter-exchange": AWKWARD_EXCHANGE}}),
    );
    v.bind(
        AWKWARD_EXCHANGE,
        "q",
        AWKWARD_QUEUE,
        AWKWARD_ROUTING_KEY,
        json!({}),
    );
    v.bind("amq.topic", "q", AWKWARD_QUEUE, "", json!({}));
    assert!(v.publish(AWKWARD_EXCHANGE, AWKWARD_ROUTING_KEY, "kept"));
    assert_eq!(v.message_count(AWKWARD_QUEUE), Some(1));

    let run = Test::broker()
        .args(["--format", "json", "drift", arg(&file)])
        .status(2)
        .stdout_any()
        .run();
    let drifted = run.json()["drifted"].clone();
    let summary: Vec<(String, String)> = drifted
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["action"].as_str().unwrap().to_string(),
                d["name"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("{} -> {}", d["source"], d["destination"])),
            )
        })
        .collect();
    let q = AWKWARD_QUEUE.to_string();
    assert_eq!(
        summary,
        [
            ("replace".to_string(), q.clone()),
            (
                "create".to_string(),
                "\"amq.topic\" -> \"q/sp ace#%+~*é\"".to_string()
            ),
            (
                "create".to_string(),
                format!("{:?} -> {:?}", AWKWARD_EXCHANGE, q)
            ),
        ],
        "{run}"
    );
    assert_eq!(
        drifted[0]["differences"],
        json!([{"field": "arguments.x-dead-letter-routing-key", "before": null,
                "after": AWKWARD_ROUTING_KEY, "policy_key": "dead-letter-routing-key"}])
    );

    let text = Test::broker()
        .args(["drift", arg(&file)])
        .status(2)
        .stdout_any()
        .run();
    assert!(
        text.stdout.contains(
            "      holds 1 message, 0 consumers\n      needs --allow-recreate and --allow-data-loss\n"
        ),
        "the live message count of a queue with an awkward name is read\n{text}"
    );
}

#[test]
fn a_changed_vhost_description_is_an_update_when_the_file_sets_it() {
    let s = Synced::new("drift-vhost");
    let vhost_path = format!("/api/vhosts/{}", common::broker::enc(s.name()));
    broker().expect_ok(
        "PUT",
        &vhost_path,
        Some(&json!({"description": "orders", "tags": "prod"})),
    );
    // Unset in the file, description and tags are the broker's business.
    Test::broker()
        .args(["drift", arg(&s.file)])
        .stdout(IN_SYNC)
        .run();

    let files = Files::new();
    let file = files.topology(
        "topology.yaml",
        s.name(),
        &BASE_YAML.replace(
            "  - name: $V\n",
            "  - {name: $V, description: orders, tags: [prod]}\n",
        ),
    );
    Test::broker()
        .args(["drift", arg(&file)])
        .stdout(IN_SYNC)
        .run();
    broker().expect_ok(
        "PUT",
        &vhost_path,
        Some(&json!({"description": "changed by hand", "tags": "prod,extra"})),
    );
    let run = Test::broker()
        .args(["--format", "json", "drift", arg(&file)])
        .status(2)
        .stdout_any()
        .run();
    assert_eq!(
        run.json()["drifted"],
        json!([drift(
            "update",
            DIFFERS,
            json!({"kind": "vhost", "name": s.name()}),
            json!([
                {"field": "description", "before": "changed by hand", "after": "orders"},
                {"field": "tags", "before": ["extra", "prod"], "after": ["prod"]},
            ])
        )])
    );
}
