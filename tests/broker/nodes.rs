//! `--url` with several nodes of one cluster: warren uses the first node
//! that answers and says which, refuses nodes of different clusters before
//! anything changes, and goes on with the next node when the one in use
//! fails a request that may be repeated. The "other nodes" are the test
//! broker itself behind a second address (a fault proxy) and addresses
//! where nothing answers; `scripts/cluster` (issue 16) is not there yet.

use crate::common;
use common::broker::{Canned, FakeServer, TestVhost, broker};
use common::proxy::{Fault, FaultProxy};
use common::runtime;
use common::warren::{Files, NO_CHANGES, Test, arg};

/// The default topology's shape in `vhost`.
fn topology(files: &Files, vhost: &str) -> std::path::PathBuf {
    let v = serde_json::to_string(vhost).unwrap();
    files.write(
        "t.yaml",
        &format!(
            "vhosts: [{{name: {v}}}]\n\
             exchanges: [{{name: events, vhost: {v}, type: topic}}]\n\
             queues:\n  - {{name: order.events, vhost: {v}}}\n  - {{name: jobs, vhost: {v}}}\n\
             bindings: [{{source: events, vhost: {v}, destination: order.events, routing_key: order.*}}]\n"
        ),
    )
}

/// A port on this machine where nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn with_nodes(nodes: &[&str]) -> Test {
    let b = broker();
    Test::new()
        .args(["--url", &nodes.join(","), "--username", &b.username])
        .env("WARREN_PASSWORD", &b.password)
}

#[test]
fn the_first_node_that_answers_is_used_and_named() {
    let v = TestVhost::new("nodes-first");
    let files = Files::new();
    let path = topology(&files, &v.name);
    let down = closed_port_url();
    let b = broker();
    let cluster = b.get("/api/overview").expect("the overview")["cluster_name"]
        .as_str()
        .unwrap()
        .to_string();
    let run = with_nodes(&[&down, &b.url])
        .args(["apply", "--auto-approve", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        run.stderr.contains(&format!(
            "using {} (cluster '{cluster}'); {down} did not answer (cannot connect)",
            b.url
        )),
        "{run}"
    );
    assert!(v.exists("queues", "order.events"), "{run}");
    // Planned back through the other order of the list: the same answer.
    with_nodes(&[&b.url, &down])
        .args(["plan", arg(&path)])
        .stdout(NO_CHANGES)
        .stderr(format!(
            "using {} (cluster '{cluster}'); {down} did not answer (cannot connect)\n",
            b.url
        ))
        .run();
}

#[test]
fn nodes_of_different_clusters_are_refused_before_anything_changes() {
    let name = common::broker::unique_name("nodes-mixed");
    let _guard = TestVhost::guard(name.clone());
    let files = Files::new();
    let path = topology(&files, &name);
    let runtime = runtime();
    let elsewhere = runtime.block_on(FakeServer::start(vec![Canned::json(
        200,
        r#"{"cluster_name":"rabbit@elsewhere"}"#,
    )]));
    let b = broker();
    let run = with_nodes(&[&b.url, &elsewhere.url])
        .args(["apply", "--auto-approve", arg(&path)])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr
            .contains("--url names nodes of different clusters (")
            && run.stderr.contains(&format!(
                "{} is in cluster 'rabbit@elsewhere'",
                elsewhere.url
            )),
        "{run}"
    );
    assert!(
        b.get(&format!("/api/vhosts/{}", common::broker::enc(&name)))
            .is_none(),
        "the vhost was created: {run}"
    );
}

/// The node in use drops the connection of a queue declaration after
/// forwarding it (the broker acted, warren cannot know): the declaration,
/// which may be repeated, goes to the next node, and the apply finishes.
#[test]
fn a_node_that_fails_mid_apply_is_left_for_the_next() {
    let v = TestVhost::new("nodes-failover");
    let files = Files::new();
    let path = topology(&files, &v.name);
    let runtime = runtime();
    let b = broker();
    let order_events = format!("PUT /api/queues/{}/order", common::broker::enc(&v.name));
    let proxy = runtime.block_on(FaultProxy::start_on(&b.url, &order_events, Fault::Drop));
    let run = with_nodes(&[&proxy.url, &b.url])
        .args(["apply", "--auto-approve", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        run.stderr
            .contains(&format!("using {} (cluster '", proxy.url))
            && run.stderr.contains(&format!(
                "warning: {} failed (connection broken on {order_events}",
                proxy.url
            ))
            && run.stderr.contains(&format!("going on with {}", b.url)),
        "{run}"
    );
    assert!(run.stdout.contains("Applied 4 changes, 0 failed"), "{run}");
    Test::broker()
        .args(["plan", arg(&path)])
        .stdout(NO_CHANGES)
        .run();
}

/// A plan saved through one node is carried out through a list that names
/// that node, whichever node of the list answers first.
#[test]
fn a_saved_plan_is_applied_through_a_list_that_holds_its_node() {
    let v = TestVhost::new("nodes-saved");
    let files = Files::new();
    let path = topology(&files, &v.name);
    let saved = files.path("plan.json");
    let b = broker();
    Test::broker()
        .args(["plan", "--out", arg(&saved), arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    let down = closed_port_url();
    with_nodes(&[&down, &b.url])
        .args(["apply", "--auto-approve", "--plan", arg(&saved)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(v.exists("queues", "order.events"));
}
