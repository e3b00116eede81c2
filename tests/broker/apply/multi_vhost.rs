//! From nothing to a topology across two vhosts that warren creates, with
//! every name and routing key that needs encoding, exchange-to-exchange and
//! headers bindings with arguments, quorum queues, dead-lettering and
//! policies; then nothing left to do.

use serde_json::json;

use super::{Files, binding_set, warren, yaml};
use crate::common::broker::{AWKWARD, TestVhost, broker, enc, unique_name};

const TOPOLOGY: &str = r##"
vhosts:
  - name: $A
  - name: $B
    description: "payments / é"
    tags: [critical, "p c i"]

exchanges:
  - {vhost: $A, name: "events/é", type: topic}
  - {vhost: $A, name: "headers x", type: headers}
  - {vhost: $A, name: "dlx#%", type: fanout}
  - {vhost: $A, name: "audit+~*", type: topic, internal: true}
  - {vhost: $B, name: "in/é", type: direct}

queues:
  - vhost: $A
    name: "orders q/é"
    arguments: {x-queue-type: quorum, x-delivery-limit: 5}
  - vhost: $A
    name: "work%+~*"
    arguments:
      x-dead-letter-exchange: "dlx#%"
      x-dead-letter-routing-key: "dead/é"
      x-message-ttl: 60000
  - {vhost: $A, name: "dead letters#"}
  - {vhost: $A, name: "audit log"}
  - vhost: $B
    name: "q #1"
    arguments: {x-queue-type: quorum}

bindings:
  - {vhost: $A, source: "events/é", destination: "orders q/é", routing_key: "order.*"}
  - {vhost: $A, source: "events/é", destination: "orders q/é", routing_key: "a/b c#%+~é"}
  - {vhost: $A, source: "events/é", destination: "audit+~*", destination_type: exchange, routing_key: "#"}
  - {vhost: $A, source: "audit+~*", destination: "audit log", routing_key: "*.créé"}
  - vhost: $A
    source: "headers x"
    destination: "work%+~*"
    arguments: {x-match: all, kind: "order/é", version: 2}
  - vhost: $A
    source: "headers x"
    destination: "dead letters#"
    arguments: {x-match: any, "a b": "c%d"}
  - {vhost: $A, source: "dlx#%", destination: "dead letters#"}
  - {vhost: $B, source: "in/é", destination: "q #1", routing_key: "k/é +%"}

policies:
  - {vhost: $A, name: "ttl/é policy", pattern: "^work", apply_to: queues, priority: 2, definition: {max-length: 1000}}
  - {vhost: $A, name: "ae", pattern: "^headers", apply_to: exchanges, definition: {alternate-exchange: "dlx#%"}}
  - {vhost: $B, name: "p %", pattern: "^q", apply_to: queues, definition: {message-ttl: 1000}}
"##;

#[test]
fn two_new_vhosts_with_awkward_names_are_created_and_then_match() {
    let a = TestVhost::guard(unique_name("apply-multi-a"));
    let b = TestVhost::guard(format!("{}-{AWKWARD}", unique_name("apply-multi-b")));
    let files = Files::new();
    let topology = files.write(
        "multi.yaml",
        &yaml(TOPOLOGY, &[("A", &a.name), ("B", &b.name)]),
    );

    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line("Plan: 23 to create, 0 to update, 0 to replace, 0 to delete.")
        .stdout_line("Applied 23 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();

    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();

    // The broker holds what the file says, read back raw.
    let vhost_b = broker()
        .get(&format!("/api/vhosts/{}", enc(&b.name)))
        .expect("vhost B exists");
    assert_eq!(vhost_b["description"], "payments / é");
    assert_eq!(vhost_b["tags"], json!(["critical", "p c i"]));

    let queue = |v: &TestVhost, name: &str| {
        v.list("queues")
            .into_iter()
            .find(|q| q["name"] == name)
            .unwrap_or_else(|| panic!("queue {name} in {}", v.name))
    };
    assert_eq!(queue(&a, "orders q/é")["type"], "quorum");
    assert_eq!(queue(&b, "q #1")["type"], "quorum");
    assert_eq!(
        a.declared_arguments("work%+~*"),
        json!({"x-dead-letter-exchange": "dlx#%", "x-dead-letter-routing-key": "dead/é", "x-message-ttl": 60000})
    );

    let binding = |source: &str, kind: &str, destination: &str, key: &str, args| json!({"source": source, "destination": destination, "destination_type": kind, "routing_key": key, "arguments": args});
    let mut expected_a = vec![
        binding("events/é", "queue", "orders q/é", "order.*", json!({})),
        binding("events/é", "queue", "orders q/é", "a/b c#%+~é", json!({})),
        binding("events/é", "exchange", "audit+~*", "#", json!({})),
        binding("audit+~*", "queue", "audit log", "*.créé", json!({})),
        binding(
            "headers x",
            "queue",
            "work%+~*",
            "",
            json!({"x-match": "all", "kind": "order/é", "version": 2}),
        ),
        binding(
            "headers x",
            "queue",
            "dead letters#",
            "",
            json!({"x-match": "any", "a b": "c%d"}),
        ),
        binding("dlx#%", "queue", "dead letters#", "", json!({})),
    ];
    expected_a.sort_by_key(|b| b.to_string());
    assert_eq!(binding_set(&a), expected_a);
    assert_eq!(
        binding_set(&b),
        [binding("in/é", "queue", "q #1", "k/é +%", json!({}))]
    );

    let mut policies: Vec<String> = a
        .list("policies")
        .iter()
        .map(|p| format!("{} {} {}", p["name"], p["apply-to"], p["definition"]))
        .collect();
    policies.sort();
    assert_eq!(
        policies,
        [
            r#""ae" "exchanges" {"alternate-exchange":"dlx#%"}"#,
            r#""ttl/é policy" "queues" {"max-length":1000}"#,
        ]
    );
    assert_eq!(b.list("policies")[0]["name"], "p %");

    // A message takes the exchange-to-exchange path and the headers match.
    assert!(a.publish("events/é", "x.créé", "audited"));
    assert_eq!(a.message_count("audit log"), Some(1));
}

#[test]
fn a_saved_plan_over_awkward_names_is_not_stale_until_the_broker_changes() {
    let a = TestVhost::guard(unique_name("apply-multi-saved-a"));
    let b = TestVhost::guard(format!("{}-{AWKWARD}", unique_name("apply-multi-saved-b")));
    let files = Files::new();
    let vhosts = [("A", a.name.as_str()), ("B", b.name.as_str())];
    let topology = files.write("multi.yaml", &yaml(TOPOLOGY, &vhosts));
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_any()
        .stderr_any()
        .run();

    // Quorum queues, headers bindings with arguments, encoded keys: the
    // live state reads the same twice, so the plan is not stale.
    let changed = TOPOLOGY.replace("{max-length: 1000}", "{max-length: 2000}");
    let topology = files.write("multi.yaml", &yaml(&changed, &vhosts));
    let saved = files.path("p.json");
    let saved = saved.to_str().unwrap();
    warren(files.dir(), &["plan", "--out", saved, &topology])
        .stdout_line("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.")
        .stderr_any()
        .run();
    warren(files.dir(), &["apply", "--plan", saved, "--auto-approve"])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    warren(files.dir(), &["plan", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .stderr_any()
        .run();
}
