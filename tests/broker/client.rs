//! warren's management API client against a real RabbitMQ: reading the live
//! topology, every write, live message counts, and the errors users see.
//! Each test works in a vhost of its own (see `common::broker`), and checks
//! the broker with raw HTTP rather than through the code under test.

use crate::common;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use common::broker::{AWKWARD, Canned, FakeServer, TestUser, TestVhost, broker, enc, unique_name};
use warren::broker::{Client, Connection, DeleteQueue, Error};
use warren::model::{self, Binding, Topology};

/// A topology from JSON, in the file format.
fn topology(value: Value) -> Topology {
    serde_json::from_value(value).expect("a valid topology")
}

/// `t` as the broker reports it: a vhost created without a default queue
/// type has the node's from 4.0 (`common::broker`).
fn as_reported(mut t: Topology) -> Topology {
    for vhost in &mut t.vhosts {
        if vhost.default_queue_type.is_none() {
            vhost.default_queue_type = broker().node_default_queue_type().map(String::from);
        }
    }
    t
}

/// The topology as YAML, each list sorted, so failures print both sides
/// readably and order does not matter.
/// A topology as sorted YAML, in normal form: the broker reports every
/// queue's type, which a file may leave out for classic queues.
fn yaml(t: Topology) -> String {
    let mut t = warren::normalize::normalize(&t).into_topology();
    fn sort<T: serde::Serialize>(v: &mut [T]) {
        v.sort_by_key(model::canonical_json);
    }
    sort(&mut t.vhosts);
    sort(&mut t.exchanges);
    sort(&mut t.queues);
    sort(&mut t.bindings);
    sort(&mut t.policies);
    serde_yaml::to_string(&t).unwrap()
}

fn binding(vhost: &str, value: Value) -> Binding {
    let mut b: Binding = serde_json::from_value(value).unwrap();
    b.vhost = vhost.to_string();
    b
}

/// The broker's version, read raw.
fn broker_version() -> String {
    broker().get("/api/overview").unwrap()["rabbitmq_version"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The management URL with `user:password@` inserted.
fn url_with_userinfo(user: &str, password: &str) -> String {
    let url = &broker().url;
    let (scheme, rest) = url.split_once("://").unwrap();
    format!("{scheme}://{user}:{password}@{rest}")
}

#[tokio::test]
async fn inspect_returns_exactly_the_hand_made_objects() {
    let v = TestVhost::new("inspect");
    let b = broker();
    b.expect_ok(
        "PUT",
        &format!("/api/vhosts/{}", enc(&v.name)),
        Some(&json!({"description": "hand made", "tags": "x,y"})),
    );
    v.put_exchange("events", json!({"type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}));
    v.put_exchange(
        "internal-x",
        json!({"type": "direct", "durable": true, "internal": true}),
    );
    v.put_exchange(
        "auto-x",
        json!({"type": "fanout", "durable": false, "auto_delete": true}),
    );
    v.put_exchange(
        "headers-x",
        json!({"type": "headers", "durable": true, "arguments": {"alternate-exchange": "alt-x"}}),
    );
    v.put_exchange("dlx", json!({"type": "fanout", "durable": true}));
    v.put_queue(
        "quorum-q",
        json!({"durable": true, "arguments": {"x-queue-type": "quorum"}}),
    );
    v.put_queue("classic-q", json!({"durable": true}));
    v.put_queue(
        "transient-q",
        json!({"durable": false, "auto_delete": true}),
    );
    v.put_queue(
        "dlx-source",
        json!({"durable": true, "arguments": {"x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "dead", "x-message-ttl": 60000}}),
    );
    v.put_queue("dead-letters", json!({"durable": true}));
    v.bind("events", "q", "classic-q", "order.*", json!({}));
    v.bind(
        "headers-x",
        "q",
        "classic-q",
        "",
        json!({"x-match": "all", "kind": "order"}),
    );
    v.bind("events", "e", "internal-x", "audit.#", json!({}));
    v.bind("amq.topic", "q", "quorum-q", "t.#", json!({}));
    v.bind("dlx", "q", "dead-letters", "", json!({}));
    v.put_policy(
        "ttl-orders",
        json!({"pattern": "^order\\.", "apply-to": "queues", "priority": 3, "definition": {"message-ttl": 1000}}),
    );

    let live = b
        .client()
        .inspect(std::slice::from_ref(&v.name))
        .await
        .unwrap();

    let n = &v.name;
    let expected = topology(json!({
        "vhosts": [{"name": n, "description": "hand made", "tags": ["x", "y"]}],
        "exchanges": [
            {"vhost": n, "name": "events", "type": "topic"},
            {"vhost": n, "name": "internal-x", "type": "direct", "internal": true},
            {"vhost": n, "name": "auto-x", "type": "fanout", "durable": false, "auto_delete": true},
            {"vhost": n, "name": "headers-x", "type": "headers", "arguments": {"alternate-exchange": "alt-x"}},
            {"vhost": n, "name": "dlx", "type": "fanout"},
        ],
        "queues": [
            {"vhost": n, "name": "quorum-q", "arguments": {"x-queue-type": "quorum"}},
            {"vhost": n, "name": "classic-q"},
            {"vhost": n, "name": "transient-q", "durable": false, "auto_delete": true},
            {"vhost": n, "name": "dlx-source", "arguments": {"x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "dead", "x-message-ttl": 60000}},
            {"vhost": n, "name": "dead-letters"},
        ],
        "bindings": [
            {"vhost": n, "source": "events", "destination": "classic-q", "routing_key": "order.*"},
            {"vhost": n, "source": "headers-x", "destination": "classic-q", "arguments": {"x-match": "all", "kind": "order"}},
            {"vhost": n, "source": "events", "destination": "internal-x", "destination_type": "exchange", "routing_key": "audit.#"},
            {"vhost": n, "source": "amq.topic", "destination": "quorum-q", "routing_key": "t.#"},
            {"vhost": n, "source": "dlx", "destination": "dead-letters"},
        ],
        "policies": [
            {"vhost": n, "name": "ttl-orders", "pattern": "^order\\.", "apply_to": "queues", "priority": 3, "definition": {"message-ttl": 1000}},
        ],
    }));
    assert_eq!(yaml(live.topology.clone()), yaml(as_reported(expected)));
    assert_eq!(live.version, broker_version());

    let key = |value: Value| live.binding_keys.get(&binding(n, value).id()).cloned();
    assert_eq!(
        key(json!({"source": "events", "destination": "classic-q", "routing_key": "order.*"}))
            .as_deref(),
        Some("order.%2A")
    );
    assert_eq!(
        key(json!({"source": "amq.topic", "destination": "quorum-q", "routing_key": "t.#"}))
            .as_deref(),
        Some("t.%23")
    );
    assert_eq!(
        key(json!({"source": "dlx", "destination": "dead-letters"})).as_deref(),
        Some("~")
    );
    let headers_key = key(json!({"source": "headers-x", "destination": "classic-q", "arguments": {"x-match": "all", "kind": "order"}})).unwrap();
    assert!(
        headers_key.starts_with('~') && headers_key.len() > 1,
        "{headers_key}"
    );
    assert_eq!(live.binding_keys.len(), 5);
}

#[tokio::test]
async fn a_missing_vhost_is_absent_not_an_error() {
    let v = TestVhost::new("present");
    let missing = unique_name("missing");
    let live = broker()
        .client()
        .inspect(&[missing, v.name.clone()])
        .await
        .unwrap();
    let names: Vec<&str> = live
        .topology
        .vhosts
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, [v.name.as_str()]);
    assert!(
        live.topology.exchanges.is_empty(),
        "{:?}",
        live.topology.exchanges
    );
    assert!(live.topology.queues.is_empty());
    assert!(live.topology.bindings.is_empty());

    let live = broker().client().inspect(&[]).await.unwrap();
    assert_eq!(live.topology, Topology::default());
}

#[tokio::test]
async fn names_needing_encoding_round_trip_through_every_write_and_read() {
    let v = TestVhost::awkward("encoding");
    let client = broker().client();
    let n = v.name.clone();
    let exchange = format!("ex {AWKWARD}");
    let other = format!("ex2 {AWKWARD}");
    let queue = format!("q {AWKWARD}?");
    let policy = format!("p {AWKWARD}");
    let routing_key = format!("r.k {AWKWARD}~");
    let desired = topology(json!({
        "vhosts": [{"name": n, "description": "d é", "tags": ["t 1"]}],
        "exchanges": [
            {"vhost": n, "name": exchange, "type": "topic"},
            {"vhost": n, "name": other, "type": "fanout"},
        ],
        "queues": [{"vhost": n, "name": queue}],
        "bindings": [
            {"vhost": n, "source": exchange, "destination": queue, "routing_key": routing_key},
            {"vhost": n, "source": exchange, "destination": other, "destination_type": "exchange", "routing_key": routing_key, "arguments": {"k": "v /#"}},
        ],
        "policies": [{"vhost": n, "name": policy, "pattern": "^q ", "apply_to": "queues", "definition": {"max-length": 10}}],
    }));

    let version = client.overview().await.unwrap().rabbitmq_version;
    client
        .put_vhost(&desired.vhosts[0], &version)
        .await
        .unwrap();
    for e in &desired.exchanges {
        client.put_exchange(e).await.unwrap();
    }
    client.put_queue(&desired.queues[0]).await.unwrap();
    for b in &desired.bindings {
        client.bind(b).await.unwrap();
    }
    client.put_policy(&desired.policies[0]).await.unwrap();

    // Raw reads agree: every name arrived intact.
    assert!(v.exists("exchanges", &exchange));
    assert!(v.exists("exchanges", &other));
    assert!(v.exists("queues", &queue));
    assert!(v.exists("policies", &policy));
    let raw_keys: Vec<Value> = v
        .explicit_bindings()
        .iter()
        .map(|b| b["routing_key"].clone())
        .collect();
    assert_eq!(raw_keys, [json!(routing_key), json!(routing_key)]);

    let live = client.inspect(std::slice::from_ref(&n)).await.unwrap();
    assert_eq!(
        yaml(live.topology.clone()),
        yaml(as_reported(desired.clone()))
    );

    for b in &desired.bindings {
        client.unbind(b, &live.binding_keys[&b.id()]).await.unwrap();
    }
    client.delete_policy(&n, &policy).await.unwrap();
    client
        .delete_queue(&n, &queue, DeleteQueue::Force)
        .await
        .unwrap();
    client.delete_exchange(&n, &exchange).await.unwrap();
    client.delete_exchange(&n, &other).await.unwrap();
    assert!(
        v.explicit_bindings().is_empty(),
        "{:?}",
        v.explicit_bindings()
    );
    assert!(!v.exists("exchanges", &exchange));
    assert!(!v.exists("queues", &queue));
    assert!(!v.exists("policies", &policy));
    let live = client.inspect(std::slice::from_ref(&n)).await.unwrap();
    assert_eq!(live.topology.vhosts.len(), 1);
    assert_eq!(
        live.topology.counts().exchanges + live.topology.counts().queues,
        0
    );
}

#[tokio::test]
async fn put_vhost_and_delete_vhost_with_an_awkward_name() {
    let name = format!("{}-{AWKWARD}", unique_name("client-vhost"));
    let _cleanup = TestVhost::guard(name.clone());
    let client = broker().client();
    let version = broker_version();
    let vhost = model::Vhost {
        name: name.clone(),
        description: "made by warren".into(),
        tags: vec!["a".into(), "b,c".into()],
        default_queue_type: Some("quorum".into()),
        ..model::Vhost::new("")
    };
    client.put_vhost(&vhost, &version).await.unwrap();

    let raw = broker()
        .get(&format!("/api/vhosts/{}", enc(&name)))
        .expect("the vhost exists");
    assert_eq!(raw["description"], "made by warren");
    assert_eq!(raw["tags"], json!(["a", "b,c"]));
    assert_eq!(raw["default_queue_type"], "quorum");
    let listed = client.list_vhosts().await.unwrap();
    assert_eq!(listed.iter().find(|v| v.name == name), Some(&vhost));

    // Description and tags change in place.
    let changed = model::Vhost {
        description: String::new(),
        tags: vec![],
        ..vhost.clone()
    };
    client.put_vhost(&changed, &version).await.unwrap();
    let listed = client.list_vhosts().await.unwrap();
    assert_eq!(listed.iter().find(|v| v.name == name), Some(&changed));

    client.delete_vhost(&name).await.unwrap();
    assert!(
        broker()
            .get(&format!("/api/vhosts/{}", enc(&name)))
            .is_none()
    );
    client.delete_vhost(&name).await.unwrap();
}

#[tokio::test]
async fn writes_send_every_field_and_inject_nothing() {
    let v = TestVhost::new("fields");
    let client = broker().client();
    let n = &v.name;
    let desired = topology(json!({
        "exchanges": [{"vhost": n, "name": "x", "type": "direct", "durable": false, "internal": true, "arguments": {"alternate-exchange": "alt"}}],
        "queues": [
            {"vhost": n, "name": "durable-by-default"},
            {"vhost": n, "name": "ttl", "arguments": {"x-message-ttl": 5000}},
        ],
        "policies": [{"vhost": n, "name": "p", "pattern": "^ttl$", "apply_to": "queues", "priority": 7, "definition": {"max-length": 3}}],
    }));
    client.put_exchange(&desired.exchanges[0]).await.unwrap();
    for q in &desired.queues {
        client.put_queue(q).await.unwrap();
    }
    client.put_policy(&desired.policies[0]).await.unwrap();

    let x = broker().get(&v.path("exchanges", &["x"])).unwrap();
    assert_eq!(
        (
            &x["type"],
            &x["durable"],
            &x["auto_delete"],
            &x["internal"],
            &x["arguments"]
        ),
        (
            &json!("direct"),
            &json!(false),
            &json!(false),
            &json!(true),
            &json!({"alternate-exchange": "alt"})
        )
    );
    // From 4.0 the broker adds `x-queue-type: classic` itself
    // (`TestVhost::declared_arguments`).
    let q = broker()
        .get(&v.path("queues", &["durable-by-default"]))
        .unwrap();
    assert_eq!(
        (
            &q["durable"],
            &q["auto_delete"],
            &v.declared_arguments("durable-by-default")
        ),
        (&json!(true), &json!(false), &json!({}))
    );
    assert_eq!(v.declared_arguments("ttl"), json!({"x-message-ttl": 5000}));
    let p = broker().get(&v.path("policies", &["p"])).unwrap();
    assert_eq!(
        (
            &p["pattern"],
            &p["apply-to"],
            &p["priority"],
            &p["definition"]
        ),
        (
            &json!("^ttl$"),
            &json!("queues"),
            &json!(7),
            &json!({"max-length": 3})
        )
    );
}

#[tokio::test]
async fn unbind_uses_the_properties_key_the_broker_reported() {
    let v = TestVhost::new("unbind");
    v.put_exchange("src", json!({"type": "topic", "durable": true}));
    v.put_queue("dst", json!({"durable": true}));
    let cases: [(&str, Value, &str); 5] = [
        ("a.b.*", json!({}), "a.b.%2A"),
        ("a+b", json!({}), "a%2Bb"),
        ("sp ace/sl%ash~", json!({}), "sp+ace%2Fsl%25ash%7E"),
        ("", json!({}), "~"),
        ("a.#", json!({"k": 1}), "a.%23~"),
    ];
    for (routing_key, arguments, _) in &cases {
        v.bind("src", "q", "dst", routing_key, arguments.clone());
    }
    let client = broker().client();
    let live = client.inspect(std::slice::from_ref(&v.name)).await.unwrap();
    assert_eq!(live.topology.bindings.len(), cases.len());

    for (routing_key, arguments, expected_key) in &cases {
        let b = binding(
            &v.name,
            json!({"source": "src", "destination": "dst", "routing_key": routing_key, "arguments": arguments}),
        );
        let key = &live.binding_keys[&b.id()];
        if arguments != &json!({}) {
            // `~` then a hash of the arguments as an Erlang term.
            assert!(
                key.starts_with(expected_key) && key.len() > expected_key.len(),
                "{routing_key}: {key}"
            );
        } else {
            assert_eq!(key, expected_key, "{routing_key}");
        }
        client.unbind(&b, key).await.unwrap();
        let left = v.explicit_bindings();
        assert!(
            !left
                .iter()
                .any(|b| b["routing_key"] == *routing_key && b["arguments"] == *arguments),
            "{routing_key} is still bound: {left:?}"
        );
        // Idempotent: a second unbind finds nothing and succeeds.
        client.unbind(&b, key).await.unwrap();
    }
    assert!(
        v.explicit_bindings().is_empty(),
        "{:?}",
        v.explicit_bindings()
    );
}

/// A prune reads the counts in the queue listing itself: as live as the
/// separate count, with no second listing.
#[tokio::test]
async fn a_counting_read_has_every_queues_live_count() {
    let v = TestVhost::new("counting");
    for name in ["full", "empty"] {
        v.put_queue(name, json!({"durable": true}));
    }
    v.put_queue(
        "stream",
        json!({"durable": true, "arguments": {"x-queue-type": "stream"}}),
    );
    for i in 0..3 {
        assert!(v.publish("", "full", &format!("m{i}")));
    }
    let client = broker().client();
    let names = [v.name.clone()];
    let counting = warren::broker::Reading {
        message_counts: true,
        ..Default::default()
    };
    let counted = client.read(&names, counting).await.unwrap();
    let count =
        |q: &str| counted.message_counts.as_ref().unwrap()[&(v.name.clone(), q.to_string())];
    assert_eq!(count("full"), Some(3));
    assert_eq!(count("empty"), Some(0));
    assert_eq!(count("stream"), None);
    assert_eq!(counted.message_counts.as_ref().unwrap().len(), 3);
    // The same topology as the read that does not count.
    let plain = client.inspect(&names).await.unwrap();
    assert_eq!(plain.message_counts, None);
    assert_eq!(plain.topology, counted.topology);
}

#[tokio::test]
async fn message_counts_are_live_right_after_a_publish() {
    let v = TestVhost::awkward("counts");
    // Regex metacharacters, and characters that need encoding in a query.
    let awkward = format!("c.{AWKWARD}(x)[y]*^$~&|?{{2}}\\");
    for name in ["counted", "Counted", "empty", awkward.as_str()] {
        v.put_queue(name, json!({"durable": true}));
    }
    v.put_queue(
        "stream",
        json!({"durable": true, "arguments": {"x-queue-type": "stream"}}),
    );
    for i in 0..3 {
        assert!(v.publish("", "counted", &format!("m{i}")));
    }
    assert!(v.publish("", "Counted", "m"));
    assert!(v.publish("", &awkward, "a"));
    assert!(v.publish("", &awkward, "b"));

    let n = v.name.clone();
    let ask: Vec<(String, String)> = ["counted", "Counted", "empty", &awkward, "stream", "missing"]
        .iter()
        .map(|q| (n.clone(), q.to_string()))
        .chain([(unique_name("no-such-vhost"), "q".to_string())])
        .collect();
    let counts = broker().client().queue_message_counts(&ask).await.unwrap();
    // `counted` and `Counted` are told apart although the broker's name
    // filter ignores case; a stream has no count; missing queues are absent.
    let expected: BTreeMap<(String, String), Option<u64>> = [
        ("counted", Some(3)),
        ("Counted", Some(1)),
        ("empty", Some(0)),
        (awkward.as_str(), Some(2)),
        ("stream", None),
    ]
    .into_iter()
    .map(|(q, c)| ((n.clone(), q.to_string()), c))
    .collect();
    assert_eq!(counts, expected);
}

#[tokio::test]
async fn publish_reports_whether_the_message_was_routed() {
    let v = TestVhost::new("publish");
    v.put_queue("jobs", json!({"durable": true}));
    v.put_exchange("h", json!({"type": "headers", "durable": true}));
    v.bind(
        "h",
        "q",
        "jobs",
        "",
        json!({"x-match": "all", "kind": "order"}),
    );
    let client = broker().client();
    assert!(client.publish(&v.name, "", "jobs", "one").await.unwrap());
    assert!(
        !client
            .publish(&v.name, "", "nowhere", "lost")
            .await
            .unwrap()
    );
    let headers: model::Arguments = serde_json::from_value(json!({"kind": "order"})).unwrap();
    assert!(
        client
            .publish_with_headers(&v.name, "h", "", &headers, "two")
            .await
            .unwrap()
    );
    assert!(
        !client
            .publish(&v.name, "h", "", "no headers")
            .await
            .unwrap()
    );
    assert_eq!(v.message_count("jobs"), Some(2));
}

#[tokio::test]
async fn deletes_are_idempotent() {
    let v = TestVhost::new("idempotent");
    let client = broker().client();
    let n = &v.name;
    v.put_queue("q", json!({"durable": true}));
    client
        .delete_queue(n, "q", DeleteQueue::IfEmpty)
        .await
        .unwrap();
    assert!(!v.exists("queues", "q"));
    client
        .delete_queue(n, "q", DeleteQueue::IfEmpty)
        .await
        .unwrap();
    client
        .delete_queue(n, "q", DeleteQueue::Force)
        .await
        .unwrap();
    client.delete_exchange(n, "never-was").await.unwrap();
    client.delete_policy(n, "never-was").await.unwrap();
    let b = binding(n, json!({"source": "never", "destination": "was"}));
    client.unbind(&b, "~").await.unwrap();
    // Inside a vhost that does not exist either.
    let gone = unique_name("gone");
    client
        .delete_queue(&gone, "q", DeleteQueue::Force)
        .await
        .unwrap();
    client.delete_exchange(&gone, "x").await.unwrap();
    client.delete_policy(&gone, "p").await.unwrap();
    client.delete_vhost(&gone).await.unwrap();
}

#[tokio::test]
async fn if_empty_deletes_refuse_and_say_why() {
    let v = TestVhost::new("if-empty");
    let client = broker().client();
    v.put_queue("full", json!({"durable": true}));
    v.put_queue(
        "quorum",
        json!({"durable": true, "arguments": {"x-queue-type": "quorum"}}),
    );
    assert!(v.publish("", "full", "keep me"));

    let err = client
        .delete_queue(&v.name, "full", DeleteQueue::IfEmpty)
        .await
        .unwrap_err();
    assert!(err.is_queue_not_empty(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("delete queue 'full' in vhost '{}'", v.name)),
        "{text}"
    );
    assert!(text.contains("not empty"), "{text}");
    assert!(v.exists("queues", "full"));

    let err = client
        .delete_queue(&v.name, "quorum", DeleteQueue::IfEmpty)
        .await
        .unwrap_err();
    assert!(err.is_if_empty_unsupported(), "{err:?}");
    assert!(err.reason().unwrap().contains("quorum"), "{err}");

    client
        .delete_queue(&v.name, "full", DeleteQueue::Force)
        .await
        .unwrap();
    client
        .delete_queue(&v.name, "quorum", DeleteQueue::Force)
        .await
        .unwrap();
    assert!(!v.exists("queues", "full") && !v.exists("queues", "quorum"));
}

#[tokio::test]
async fn broker_refusals_name_the_object_and_carry_the_reason() {
    let v = TestVhost::new("refusals");
    let client = broker().client();
    let n = &v.name;
    v.put_exchange("events", json!({"type": "topic", "durable": true}));

    let changed =
        topology(json!({"exchanges": [{"vhost": n, "name": "events", "type": "direct"}]}));
    let err = client
        .put_exchange(&changed.exchanges[0])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("declare exchange 'events' in vhost '{n}'")),
        "{text}"
    );
    assert!(text.contains("inequivalent arg 'type'"), "{text}");

    let bad_policy = topology(
        json!({"policies": [{"vhost": n, "name": "p", "pattern": ".", "definition": {"no-such-key": 1}}]}),
    );
    let err = client
        .put_policy(&bad_policy.policies[0])
        .await
        .unwrap_err();
    let reason = err.reason().unwrap();
    assert!(
        reason.contains(r#"<<"no-such-key">>"#) && !reason.contains("&lt;"),
        "{reason}"
    );

    let reserved =
        topology(json!({"exchanges": [{"vhost": n, "name": "amq.mine", "type": "direct"}]}));
    let err = client
        .put_exchange(&reserved.exchanges[0])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AccessRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("amq.mine"), "{err}");

    let dangling = binding(
        n,
        json!({"source": "events", "destination": "no-such-queue"}),
    );
    let err = client.bind(&dangling).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("no queue 'no-such-queue'"),
        "{err}"
    );

    let gone = unique_name("gone");
    let orphan = topology(json!({"queues": [{"vhost": gone, "name": "q"}]}));
    let err = client.put_queue(&orphan.queues[0]).await.unwrap_err();
    assert!(
        matches!(&err, Error::VhostMissing { vhost, .. } if vhost == &gone),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_login_failure_that_never_shows_the_password() {
    let b = broker();
    let connection = Connection::new(&b.url, &b.username, "Not-The-Password-7731").unwrap();
    let err = Client::new(&connection)
        .unwrap()
        .overview()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LoginFailed { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("user '{}'", b.username)), "{text}");
    assert!(
        !text.contains("Not-The-Password-7731") && !format!("{err:?}").contains("7731"),
        "{text}"
    );
}

#[tokio::test]
async fn a_password_in_the_url_is_used_and_never_shown() {
    let b = broker();
    let mut args = b.connection_args();
    args.username = None;
    args.password = None;
    args.url = url_with_userinfo(&b.username, &b.password);
    let connection = Connection::from_options(&args).unwrap();
    assert_eq!(connection.display_url(), b.url);
    let client = Client::new(&connection).unwrap();
    client.overview().await.unwrap();

    args.url = url_with_userinfo(&b.username, "Url-Secret-4242");
    let connection = Connection::from_options(&args).unwrap();
    assert!(!connection.display_url().contains("Url-Secret"));
    assert!(!format!("{connection:?}").contains("Url-Secret"));
    let client = Client::new(&connection).unwrap();
    assert!(!format!("{client:?}").contains("Url-Secret"));
    let err = client.list_vhosts().await.unwrap_err();
    assert!(matches!(err, Error::LoginFailed { .. }), "{err:?}");
    assert!(
        !err.to_string().contains("Url-Secret") && !format!("{err:?}").contains("Url-Secret"),
        "{err}"
    );

    args.url = "http://someone:Url-Secret-4242@127.0.0.1:1".to_string();
    let connection = Connection::from_options(&args).unwrap();
    let err = Client::new(&connection)
        .unwrap()
        .overview()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CannotConnect { .. }), "{err:?}");
    assert!(
        !err.to_string().contains("Url-Secret") && !format!("{err:?}").contains("Url-Secret"),
        "{err}"
    );
}

#[tokio::test]
async fn users_without_the_needed_tags_or_permissions_are_told_so() {
    let v = TestVhost::new("perm");
    let untagged = TestUser::new("untagged", "");
    let err = untagged.client().overview().await.unwrap_err();
    assert!(matches!(err, Error::NotManagementUser { .. }), "{err:?}");
    assert!(err.to_string().contains("set_user_tags"), "{err}");

    let manager = TestUser::new("manager", "management");
    let client = manager.client();
    let err = client
        .put_vhost(&model::Vhost::new(unique_name("nope")), "3.10.8")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAdministrator { .. }), "{err:?}");

    let queue = topology(json!({"queues": [{"vhost": v.name, "name": "q"}]}));
    let err = client.put_queue(&queue.queues[0]).await.unwrap_err();
    assert!(
        matches!(&err, Error::VhostAccessDenied { vhost, .. } if vhost == &v.name),
        "{err:?}"
    );
    assert!(!err.to_string().contains(&manager.password));

    // Reading needs no administrator tag: a management user with
    // permissions on the vhost inspects it like anyone.
    broker().expect_ok(
        "PUT",
        &format!("/api/permissions/{}/{}", enc(&v.name), enc(&manager.name)),
        Some(&json!({"configure": ".*", "write": ".*", "read": ".*"})),
    );
    v.put_queue("visible", json!({"durable": true}));
    let live = client.inspect(std::slice::from_ref(&v.name)).await.unwrap();
    let queues: Vec<&str> = live
        .topology
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    assert_eq!(queues, ["visible"]);
    assert_eq!(live.version, broker_version());
}

#[tokio::test]
async fn an_unreachable_port_is_cannot_connect() {
    let connection = Connection::new("http://127.0.0.1:1", "guest", "guest").unwrap();
    let err = Client::new(&connection)
        .unwrap()
        .overview()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot connect to http://127.0.0.1:1: is RabbitMQ running and the management plugin enabled? (rabbitmq-plugins enable rabbitmq_management)"
    );
}

#[tokio::test]
async fn an_html_answer_is_not_taken_for_the_api() {
    let server = FakeServer::start(vec![Canned::answer(
        200,
        "text/html",
        "<html><body>Please log in</body></html>",
    )])
    .await;
    let connection = Connection::new(&server.url, "guest", "guest").unwrap();
    let client = Client::new(&connection).unwrap();
    let err = client.overview().await.unwrap_err();
    assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
    assert!(
        err.to_string().ends_with("answered with HTML, not the management API's JSON: is --url right? (a proxy login page?)"),
        "{err}"
    );
    // A write answered with a 200 login page has not happened.
    let err = client
        .delete_queue("/", "q", DeleteQueue::Force)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let ok = r#"{"rabbitmq_version":"3.10.8","management_version":"3.10.8"}"#;
    let server = FakeServer::start(vec![
        Canned::json(503, r#"{"error":"unavailable"}"#),
        Canned::answer(502, "text/html", "<html>bad gateway</html>"),
        Canned::json(200, ok),
    ])
    .await;
    let client = Client::new(&Connection::new(&server.url, "guest", "guest").unwrap()).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(client.overview().await.unwrap().rabbitmq_version, "3.10.8");
    assert_eq!(server.hits(), 3);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(500),
        "backoff 100 + 400 ms"
    );

    let server = FakeServer::start(vec![Canned::json(
        500,
        r#"{"error":"boom","reason":"internal"}"#,
    )])
    .await;
    let client = Client::new(&Connection::new(&server.url, "guest", "guest").unwrap()).unwrap();
    let err = client.list_vhosts().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ServerError {
                status: 500,
                tries: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("internal"), "{err}");
    assert_eq!(server.hits(), 3);

    // Publishing is not repeated: it would deliver twice.
    let err = client.publish("/", "", "q", "once").await.unwrap_err();
    assert!(
        matches!(err, Error::ServerError { tries: 1, .. }),
        "{err:?}"
    );
    assert_eq!(server.hits(), 4);

    let client = client.with_tries(1);
    client.list_vhosts().await.unwrap_err();
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn a_silent_server_times_out_naming_the_timeout() {
    let server = FakeServer::start(vec![Canned::Hang]).await;
    let mut args = broker().connection_args();
    args.url = server.url.clone();
    args.timeout = 1;
    let client = Client::new(&Connection::from_options(&args).unwrap()).unwrap();
    let err = client.overview().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                timeout_secs: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("within 1 s") && text.contains("--timeout"),
        "{text}"
    );
    assert!(text.contains(&server.url), "{text}");
    // Timeouts are not retried: the user asked for a bound on the wait.
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn https_to_a_plain_http_port_is_a_tls_error() {
    let server = FakeServer::start(vec![Canned::answer(200, "text/html", "<html></html>")]).await;
    let url = server.url.replace("http://", "https://");
    let client = Client::new(&Connection::new(&url, "guest", "guest").unwrap()).unwrap();
    let err = client.overview().await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("https or http"), "{err}");
}

#[tokio::test]
async fn many_queues_are_counted_in_one_listing_and_live() {
    // More queues than one page of the paginated listing holds.
    let v = TestVhost::new("counts-paged");
    let names: Vec<String> = (0..520).map(|i| format!("q{i:03}")).collect();
    let queues: Vec<Value> = names
        .iter()
        .map(|q| json!({"name": q, "durable": true, "auto_delete": false, "arguments": {}}))
        .collect();
    broker().expect_ok(
        "POST",
        &format!("/api/definitions/{}", enc(&v.name)),
        Some(&json!({"queues": queues})),
    );
    for _ in 0..3 {
        assert!(v.publish("", "q007", "m"));
    }
    assert!(v.publish("", "q511", "m"));
    let ask: Vec<(String, String)> = names.iter().map(|q| (v.name.clone(), q.clone())).collect();
    let counts = broker().client().queue_message_counts(&ask).await.unwrap();
    assert_eq!(counts.len(), 520);
    assert_eq!(counts[&(v.name.clone(), "q007".to_string())], Some(3));
    assert_eq!(counts[&(v.name.clone(), "q511".to_string())], Some(1));
    assert_eq!(counts[&(v.name.clone(), "q000".to_string())], Some(0));
}
