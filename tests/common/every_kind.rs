//! Vhosts holding every kind of object warren manages, made by hand with
//! raw HTTP (never by warren), and the topology files that declare exactly
//! those objects. In each file `$V` stands for the test vhost's name (see
//! [`with_vhost`](super::warren::with_vhost)).

use serde_json::json;

use super::broker::{TestVhost, broker, enc, unique_name};

/// A vhost's description and tags, every exchange flag (topic, headers,
/// internal, auto-delete, an `alternate-exchange`), classic, transient,
/// quorum and stream queues, integer, string and boolean arguments, dead
/// lettering, headers bindings with `x-match`, an exchange-to-exchange
/// binding, a binding from `amq.topic`, and policies applying to queues,
/// exchanges and all, with priorities.
pub const EVERY_KIND_YAML: &str = r##"vhosts:
  - {name: $V, description: every kind of object, tags: [green, blue]}
exchanges:
  - {vhost: $V, name: events, type: topic}
  - {vhost: $V, name: alt, type: fanout}
  - {vhost: $V, name: headers-x, type: headers, arguments: {alternate-exchange: alt}}
  - {vhost: $V, name: internal-x, type: topic, internal: true}
  - {vhost: $V, name: auto-x, type: direct, durable: false, auto_delete: true}
  - {vhost: $V, name: dlx, type: fanout}
queues:
  - {vhost: $V, name: classic-q}
  - {vhost: $V, name: transient-q, durable: false, auto_delete: true}
  - {vhost: $V, name: quorum-q, arguments: {x-queue-type: quorum}}
  - vhost: $V
    name: dlx-source
    arguments:
      x-dead-letter-exchange: dlx
      x-dead-letter-routing-key: dead
      x-message-ttl: 60000
      x-max-length: 100
      x-overflow: reject-publish
  - {vhost: $V, name: dead-letters}
  - {vhost: $V, name: stream-q, arguments: {x-queue-type: stream, x-max-age: 7D, x-stream-max-segment-size-bytes: 1000000}}
  - vhost: $V
    name: priority-q
    arguments: {x-max-priority: 10, x-single-active-consumer: true, x-expires: 3600000, x-max-length-bytes: 1048576}
bindings:
  - {vhost: $V, source: events, destination: classic-q, routing_key: "order.*"}
  - {vhost: $V, source: events, destination: internal-x, destination_type: exchange, routing_key: "audit.#"}
  - {vhost: $V, source: internal-x, destination: quorum-q, routing_key: "#"}
  - {vhost: $V, source: headers-x, destination: classic-q, arguments: {x-match: all, kind: order, version: 2}}
  - {vhost: $V, source: headers-x, destination: dead-letters, arguments: {x-match: any, kind: refund, urgent: true}}
  - {vhost: $V, source: amq.topic, destination: quorum-q, routing_key: "t.#"}
  - {vhost: $V, source: dlx, destination: dead-letters}
  - {vhost: $V, source: auto-x, destination: transient-q, routing_key: auto}
policies:
  - {vhost: $V, name: ttl-orders, pattern: "^order\\.", apply_to: queues, priority: 3, definition: {message-ttl: 1000}}
  - {vhost: $V, name: ae-events, pattern: "^events$", apply-to: exchanges, priority: 1, definition: {alternate-exchange: alt}}
  - {vhost: $V, name: limit-all, pattern: "^limit\\.", definition: {max-length: 10}}
"##;

/// Makes by hand in `v` exactly what [`EVERY_KIND_YAML`] declares.
pub fn make_every_kind(v: &TestVhost) {
    broker().expect_ok(
        "PUT",
        &format!("/api/vhosts/{}", enc(&v.name)),
        Some(&json!({"description": "every kind of object", "tags": "blue,green"})),
    );
    let exchange = |name: &str,
                    kind: &str,
                    durable: bool,
                    auto_delete: bool,
                    internal: bool,
                    arguments| {
        v.put_exchange(
            name,
            json!({"type": kind, "durable": durable, "auto_delete": auto_delete, "internal": internal, "arguments": arguments}),
        );
    };
    exchange("events", "topic", true, false, false, json!({}));
    exchange("alt", "fanout", true, false, false, json!({}));
    exchange(
        "headers-x",
        "headers",
        true,
        false,
        false,
        json!({"alternate-exchange": "alt"}),
    );
    exchange("internal-x", "topic", true, false, true, json!({}));
    exchange("auto-x", "direct", false, true, false, json!({}));
    exchange("dlx", "fanout", true, false, false, json!({}));

    v.put_queue(
        "classic-q",
        json!({"durable": true, "auto_delete": false, "arguments": {}}),
    );
    v.put_queue(
        "transient-q",
        json!({"durable": false, "auto_delete": true, "arguments": {}}),
    );
    v.put_queue(
        "quorum-q",
        json!({"durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}),
    );
    v.put_queue(
        "dlx-source",
        json!({"durable": true, "auto_delete": false, "arguments": {
            "x-dead-letter-exchange": "dlx",
            "x-dead-letter-routing-key": "dead",
            "x-message-ttl": 60000,
            "x-max-length": 100,
            "x-overflow": "reject-publish",
        }}),
    );
    v.put_queue(
        "dead-letters",
        json!({"durable": true, "auto_delete": false, "arguments": {}}),
    );
    v.put_queue(
        "stream-q",
        json!({"durable": true, "auto_delete": false, "arguments": {
            "x-queue-type": "stream",
            "x-max-age": "7D",
            "x-stream-max-segment-size-bytes": 1_000_000,
        }}),
    );
    v.put_queue(
        "priority-q",
        json!({"durable": true, "auto_delete": false, "arguments": {
            "x-max-priority": 10,
            "x-single-active-consumer": true,
            "x-expires": 3_600_000,
            "x-max-length-bytes": 1_048_576,
        }}),
    );

    v.bind("events", "q", "classic-q", "order.*", json!({}));
    v.bind("events", "e", "internal-x", "audit.#", json!({}));
    v.bind("internal-x", "q", "quorum-q", "#", json!({}));
    v.bind(
        "headers-x",
        "q",
        "classic-q",
        "",
        json!({"x-match": "all", "kind": "order", "version": 2}),
    );
    v.bind(
        "headers-x",
        "q",
        "dead-letters",
        "",
        json!({"x-match": "any", "kind": "refund", "urgent": true}),
    );
    v.bind("amq.topic", "q", "quorum-q", "t.#", json!({}));
    v.bind("dlx", "q", "dead-letters", "", json!({}));
    v.bind("auto-x", "q", "transient-q", "auto", json!({}));

    v.put_policy(
        "ttl-orders",
        json!({"pattern": "^order\\.", "apply-to": "queues", "priority": 3, "definition": {"message-ttl": 1000}}),
    );
    v.put_policy(
        "ae-events",
        json!({"pattern": "^events$", "apply-to": "exchanges", "priority": 1, "definition": {"alternate-exchange": "alt"}}),
    );
    v.put_policy(
        "limit-all",
        json!({"pattern": "^limit\\.", "apply-to": "all", "priority": 0, "definition": {"max-length": 10}}),
    );
}

/// Names and routing keys that need encoding in a URL path and in a
/// binding's `properties_key`: `/`, space, `#`, `%`, `+`, `~`, `*` and
/// non-ASCII.
pub const AWKWARD_EXCHANGE: &str = "x/sp ace#%+~*é";
pub const AWKWARD_HEADERS: &str = "h/ead ers#%+~ü";
pub const AWKWARD_QUEUE: &str = "q/sp ace#%+~*é";
pub const AWKWARD_QUORUM: &str = "qq/ü #%+~*";
pub const AWKWARD_ROUTING_KEY: &str = "rk/sp ace.#.*.%+~é";
pub const AWKWARD_POLICY: &str = "p/ol icy#%+~*é";
/// The policy's pattern: matches [`AWKWARD_QUEUE`] only.
pub const AWKWARD_PATTERN: &str = r"^q/sp ace#%\+~\*é$";
pub const AWKWARD_HEADER_KEY: &str = "ké/y #";
pub const AWKWARD_HEADER_VALUE: &str = "v%+~ /ü";

/// The objects of [`make_awkward`], every name and key needing encoding.
pub const AWKWARD_YAML: &str = r##"vhosts:
  - name: $V
exchanges:
  - {vhost: $V, name: "x/sp ace#%+~*é", type: topic}
  - {vhost: $V, name: "h/ead ers#%+~ü", type: headers, arguments: {alternate-exchange: "x/sp ace#%+~*é"}}
queues:
  - {vhost: $V, name: "q/sp ace#%+~*é", arguments: {x-dead-letter-exchange: "x/sp ace#%+~*é", x-dead-letter-routing-key: "rk/sp ace.#.*.%+~é"}}
  - {vhost: $V, name: "qq/ü #%+~*", arguments: {x-queue-type: quorum}}
bindings:
  - {vhost: $V, source: "x/sp ace#%+~*é", destination: "q/sp ace#%+~*é", routing_key: "rk/sp ace.#.*.%+~é"}
  - {vhost: $V, source: "x/sp ace#%+~*é", destination: "h/ead ers#%+~ü", destination_type: exchange, routing_key: "rk/sp ace.#.*.%+~é"}
  - {vhost: $V, source: "h/ead ers#%+~ü", destination: "qq/ü #%+~*", arguments: {x-match: any, "ké/y #": "v%+~ /ü"}}
  - {vhost: $V, source: amq.topic, destination: "qq/ü #%+~*", routing_key: "rk/sp ace.#.*.%+~é"}
  - {vhost: $V, source: amq.topic, destination: "q/sp ace#%+~*é"}
policies:
  - {vhost: $V, name: "p/ol icy#%+~*é", pattern: "^q/sp ace#%\\+~\\*é$", apply_to: queues, priority: 7, definition: {max-length: 5}}
"##;

/// Makes by hand in `v` exactly what [`AWKWARD_YAML`] declares.
pub fn make_awkward(v: &TestVhost) {
    v.put_exchange(
        AWKWARD_EXCHANGE,
        json!({"type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}),
    );
    v.put_exchange(
        AWKWARD_HEADERS,
        json!({"type": "headers", "durable": true, "auto_delete": false, "internal": false,
               "arguments": {"alternate-exchange": AWKWARD_EXCHANGE}}),
    );
    v.put_queue(
        AWKWARD_QUEUE,
        json!({"durable": true, "auto_delete": false, "arguments": {
            "x-dead-letter-exchange": AWKWARD_EXCHANGE,
            "x-dead-letter-routing-key": AWKWARD_ROUTING_KEY,
        }}),
    );
    v.put_queue(
        AWKWARD_QUORUM,
        json!({"durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}),
    );
    v.bind(
        AWKWARD_EXCHANGE,
        "q",
        AWKWARD_QUEUE,
        AWKWARD_ROUTING_KEY,
        json!({}),
    );
    v.bind(
        AWKWARD_EXCHANGE,
        "e",
        AWKWARD_HEADERS,
        AWKWARD_ROUTING_KEY,
        json!({}),
    );
    v.bind(
        AWKWARD_HEADERS,
        "q",
        AWKWARD_QUORUM,
        "",
        json!({"x-match": "any", AWKWARD_HEADER_KEY: AWKWARD_HEADER_VALUE}),
    );
    v.bind(
        "amq.topic",
        "q",
        AWKWARD_QUORUM,
        AWKWARD_ROUTING_KEY,
        json!({}),
    );
    v.bind("amq.topic", "q", AWKWARD_QUEUE, "", json!({}));
    v.put_policy(
        AWKWARD_POLICY,
        json!({"pattern": AWKWARD_PATTERN, "apply-to": "queues",
               "priority": 7, "definition": {"max-length": 5}}),
    );
}

/// A vhost created with default queue type quorum
/// (`{"defaultqueuetype": "quorum"}`, the key RabbitMQ 3.10 reads), with
/// the test user's permissions; deleted on drop like any [`TestVhost`].
pub fn quorum_default_vhost(tag: &str) -> TestVhost {
    let b = broker();
    let name = unique_name(tag);
    b.expect_ok(
        "PUT",
        &format!("/api/vhosts/{}", enc(&name)),
        Some(&json!({"defaultqueuetype": "quorum"})),
    );
    let v = TestVhost::guard(name);
    b.expect_ok(
        "PUT",
        &format!("/api/permissions/{}/{}", enc(&v.name), enc(&b.username)),
        Some(&json!({"configure": ".*", "write": ".*", "read": ".*"})),
    );
    let live = b
        .get(&format!("/api/vhosts/{}", enc(&v.name)))
        .expect("the vhost exists");
    assert_eq!(
        live["default_queue_type"], "quorum",
        "RabbitMQ did not take the default queue type: {live}"
    );
    v
}

/// Queues in a vhost whose default type is quorum: two declared by hand
/// without `x-queue-type` (the broker stores it anyway), two with it, a
/// classic one, and a transient and an auto-delete one (which RabbitMQ
/// 3.10 declares as classic there, whatever the vhost's default).
pub const QUORUM_DEFAULT_YAML: &str = r#"vhosts:
  - name: $V
queues:
  - {vhost: $V, name: implicit-in-file, arguments: {x-delivery-limit: 5}}
  - {vhost: $V, name: explicit-in-file, arguments: {x-queue-type: quorum}}
  - {vhost: $V, name: by-hand-implicit}
  - {vhost: $V, name: by-hand-explicit, arguments: {x-queue-type: quorum}}
  - {vhost: $V, name: classic, arguments: {x-queue-type: classic}}
  - {vhost: $V, name: transient, durable: false}
  - {vhost: $V, name: auto-deleted, auto_delete: true}
  - {vhost: $V, name: auto-deleted-classic, auto_delete: true, arguments: {x-queue-type: classic}}
"#;

/// Makes by hand in `v` (a [`quorum_default_vhost`]) what
/// [`QUORUM_DEFAULT_YAML`] declares; each queue is declared in the file
/// and by hand in a different way where the name says so.
pub fn make_quorum_default(v: &TestVhost) {
    let queue = |name: &str, durable: bool, arguments| {
        v.put_queue(
            name,
            json!({"durable": durable, "auto_delete": false, "arguments": arguments}),
        );
    };
    queue(
        "implicit-in-file",
        true,
        json!({"x-queue-type": "quorum", "x-delivery-limit": 5}),
    );
    queue("explicit-in-file", true, json!({}));
    queue("by-hand-implicit", true, json!({}));
    queue("by-hand-explicit", true, json!({"x-queue-type": "quorum"}));
    queue("classic", true, json!({"x-queue-type": "classic"}));
    queue("transient", false, json!({}));
    for name in ["auto-deleted", "auto-deleted-classic"] {
        v.put_queue(
            name,
            json!({"durable": true, "auto_delete": true, "arguments": {}}),
        );
    }
}
