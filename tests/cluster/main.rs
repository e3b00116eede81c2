//! warren against a real 3-node RabbitMQ cluster (`scripts/cluster`:
//! nodes warren1..3 on management ports 15681..15683): applied through one
//! node and planned through each other as "No changes"; quorum queues and
//! streams with a member on every node; a drift check that goes on when
//! the first node of its list is down; and an apply of 2,000 queues whose
//! node is stopped under it, which goes on with the next node (or says
//! what it did) and converges on the next run.
//!
//! The tests stop nodes, so they run one at a time (a lock below), and
//! each works in a vhost of its own. Without the cluster they fail and say
//! how to start it.

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::broker::{TestBroker, enc, unique_name};
use common::warren::{Files, NO_CHANGES, Test, arg};

/// One test at a time: some stop a node.
static CLUSTER: Mutex<()> = Mutex::new(());

fn host() -> String {
    let out = Command::new("hostname")
        .arg("-s")
        .output()
        .expect("hostname");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Node `n` (1 to 3) of the cluster, as the tests reach it.
fn node(n: usize) -> TestBroker {
    let url = format!("http://127.0.0.1:1568{n}");
    let answer = Command::new("curl")
        .args(["-fsS", "--max-time", "10", "-u", "guest:guest"])
        .arg(format!("{url}/api/overview?columns=rabbitmq_version"))
        .output()
        .expect("the cluster tests need curl on PATH");
    assert!(
        answer.status.success(),
        "no cluster node answers at {url}: start the cluster with scripts/cluster (as root)"
    );
    let overview: Value = serde_json::from_slice(&answer.stdout).expect("an overview");
    TestBroker {
        url,
        username: "guest".to_string(),
        password: "guest".to_string(),
        version: overview["rabbitmq_version"]
            .as_str()
            .unwrap_or_default()
            .into(),
        amqp_url: format!("amqp://guest:guest@127.0.0.1:568{n}"),
        rabbitmqctl: vec![
            "rabbitmqctl".into(),
            "-n".into(),
            format!("warren{n}@{}", host()),
        ],
    }
}

/// `warren --url <the nodes, in this order> …` as guest.
fn through(nodes: &[usize]) -> Test {
    let urls: Vec<String> = nodes
        .iter()
        .map(|&n| format!("http://127.0.0.1:1568{n}"))
        .collect();
    Test::new()
        .args(["--url", &urls.join(","), "--username", "guest"])
        .env("WARREN_PASSWORD", "guest")
}

/// rabbitmqctl against node `n`; whether it succeeded.
fn rabbitmqctl(n: usize, args: &[&str]) -> bool {
    Command::new("rabbitmqctl")
        .args(["-n", &format!("warren{n}@{}", host())])
        .args(args)
        .status()
        .is_ok_and(|status| status.success())
}

/// Starts node `n`'s rabbit application again when dropped, so a failed
/// test leaves the cluster whole.
struct Restart(usize);

impl Drop for Restart {
    fn drop(&mut self) {
        if !rabbitmqctl(self.0, &["start_app"]) {
            eprintln!(
                "could not start warren{} again: run scripts/cluster",
                self.0
            );
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while node_answers(self.0).is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn node_answers(n: usize) -> Option<()> {
    let out = Command::new("curl")
        .args([
            "-fsS",
            "-o",
            "/dev/null",
            "--max-time",
            "5",
            "-u",
            "guest:guest",
        ])
        .arg(format!("http://127.0.0.1:1568{n}/api/overview"))
        .status()
        .ok()?;
    out.success().then_some(())
}

/// A vhost of its own on the cluster (made by the test's apply), removed
/// on drop.
struct ClusterVhost {
    name: String,
}

impl Drop for ClusterVhost {
    fn drop(&mut self) {
        let path = format!("/api/vhosts/{}", enc(&self.name));
        let _ = node(1).try_request("DELETE", &path, None);
    }
}

fn cluster_vhost(tag: &str) -> ClusterVhost {
    ClusterVhost {
        name: unique_name(tag),
    }
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn applied_through_one_node_planned_through_each_other_with_members_on_every_node() {
    let _alone = lock();
    let v = cluster_vhost("cluster-each");
    let files = Files::new();
    let vhost = serde_json::to_string(&v.name).unwrap();
    let path = files.write(
        "t.yaml",
        &format!(
            "vhosts: [{{name: {vhost}}}]\n\
             exchanges: [{{name: events, vhost: {vhost}, type: topic}}]\n\
             queues:\n\
             \x20 - {{name: order.events, vhost: {vhost}, arguments: {{x-queue-type: quorum}}}}\n\
             \x20 - {{name: audit, vhost: {vhost}, arguments: {{x-queue-type: stream}}}}\n\
             \x20 - {{name: jobs, vhost: {vhost}}}\n\
             bindings: [{{source: events, vhost: {vhost}, destination: order.events, routing_key: order.*}}]\n"
        ),
    );
    through(&[1])
        .args(["apply", "--auto-approve", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    for n in [2, 3] {
        Test::new()
            .args(["--url", &node(n).url, "--username", "guest"])
            .env("WARREN_PASSWORD", "guest")
            .args(["plan", "--detailed-exitcode", arg(&path)])
            .stdout(NO_CHANGES)
            .run();
    }
    let host = host();
    // A stream's members show once the broker's statistics have it.
    let expected: Vec<String> = (1..=3).map(|n| format!("warren{n}@{host}")).collect();
    for queue in ["order.events", "audit"] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let listed = node(3)
                .get(&format!("/api/queues/{}/{queue}", enc(&v.name)))
                .expect("the queue");
            let mut members: Vec<String> = listed["members"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            members.sort();
            if members == expected {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{queue}: members {members:?}: {listed}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[test]
fn drift_goes_on_when_the_first_node_of_its_list_is_down() {
    let _alone = lock();
    let v = cluster_vhost("cluster-drift");
    let files = Files::new();
    let vhost = serde_json::to_string(&v.name).unwrap();
    let path = files.write(
        "t.yaml",
        &format!("vhosts: [{{name: {vhost}}}]\nqueues: [{{name: jobs, vhost: {vhost}}}]\n"),
    );
    through(&[1])
        .args(["apply", "--auto-approve", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(rabbitmqctl(3, &["stop_app"]), "stop warren3");
    let _restart = Restart(3);
    let run = through(&[3, 1, 2])
        .args(["drift", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        run.stderr
            .contains("using http://127.0.0.1:15681 (cluster '")
            && run.stderr.contains("http://127.0.0.1:15683 did not answer"),
        "{run}"
    );
}

#[test]
fn a_node_stopped_under_an_apply_of_2000_queues_is_left_for_the_next_and_the_next_apply_converges()
{
    let _alone = lock();
    let v = cluster_vhost("cluster-stop");
    let files = Files::new();
    let vhost = serde_json::to_string(&v.name).unwrap();
    let mut text = format!("vhosts: [{{name: {vhost}}}]\nqueues:\n");
    for i in 0..2000 {
        text += &format!("  - {{name: q{i:04}, vhost: {vhost}}}\n");
    }
    let path = files.write("t.yaml", &text);
    let mut apply = through(&[2, 1, 3])
        .args(["apply", "--auto-approve", arg(&path)])
        .any_status()
        .stdout_any()
        .stderr_any()
        .spawn();
    // Once a tenth of the queues exist, node 2 stops under the apply.
    let observer = node(1);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let count = observer
            .get(&format!("/api/queues/{}?columns=name", enc(&v.name)))
            .and_then(|q| q.as_array().map(Vec::len))
            .unwrap_or(0);
        if count >= 200 {
            break;
        }
        if Instant::now() > deadline || apply.has_ended() {
            panic!(
                "the apply made {count} queues, then ended or ran for 120 s: {}",
                apply.finish()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(rabbitmqctl(2, &["stop_app"]), "stop warren2");
    let _restart = Restart(2);
    let run = apply.finish();
    eprintln!("the apply under the stop of warren2:\n{run}");
    // Either it went on with another node, or it stopped and said what it did.
    if run.code == Some(0) {
        assert!(
            run.stderr
                .contains("warning: http://127.0.0.1:15682 failed (")
                && run.stderr.contains("going on with http://127.0.0.1:1568"),
            "{run}"
        );
    } else {
        assert!(run.stdout.contains("Applied "), "{run}");
    }
    through(&[1, 3])
        .args(["apply", "--auto-approve", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    through(&[3])
        .args(["plan", "--detailed-exitcode", arg(&path)])
        .stdout(NO_CHANGES)
        .run();
}

/// The example project of two targets (`examples/warren.yaml`'s topology
/// and variables), staging on the single broker and production on the
/// cluster: applied in one run, then planned as "No changes" for both in
/// one report.
#[test]
fn one_project_applies_to_the_single_broker_and_the_cluster_in_one_run() {
    let _alone = lock();
    let production = cluster_vhost("cluster-target");
    let staging = common::broker::TestVhost::guard(unique_name("single-target"));
    let single = common::broker::broker();
    let topologies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/topologies");
    let files = Files::new();
    let project = files.write(
        "warren.yaml",
        &format!(
            "targets:\n\
             - name: staging\n  urls: ['{}']\n  username: '{}'\n  password_env: SINGLE_PASSWORD\n  \
               paths: ['{}']\n  variables: {{vhost: '{}', order_ttl: 3600000, orders_max_length: 10000}}\n\
             - name: production\n  urls: [http://127.0.0.1:15681, http://127.0.0.1:15682, http://127.0.0.1:15683]\n  \
               username: guest\n  password_env: CLUSTER_PASSWORD\n  paths: ['{}']\n  \
               variables: {{vhost: '{}', order_ttl: 86400000, orders_max_length: 1000000}}\n",
            single.url,
            single.username,
            topologies.display(),
            staging.name,
            topologies.display(),
            production.name,
        ),
    );
    let warren = || {
        Test::new()
            .env("WARREN_PROJECT", &project)
            .env("SINGLE_PASSWORD", &single.password)
            .env("CLUSTER_PASSWORD", "guest")
            .env_remove("WARREN_URL")
    };
    warren()
        .args(["apply", "--all-targets", "--auto-approve"])
        .stdout_contains("2 targets: staging applied; production applied\n")
        .stderr_contains("using http://127.0.0.1:15681 (cluster")
        .run();
    let out = warren()
        .args(["plan", "--all-targets", "--format", "markdown"])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        out.stdout
            .contains("| `staging` | no changes |\n| `production` | no changes |\n"),
        "{}",
        out.stdout
    );
    let queue = node(2)
        .get(&format!(
            "/api/queues/{}/order.events",
            enc(&production.name)
        ))
        .expect("order.events on the cluster");
    assert_eq!(queue["arguments"]["x-max-length"], 1000000);
}
