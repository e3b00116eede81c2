//! `warren export` end to end: the live topology of a vhost made by hand
//! is written as a topology file that plans as no changes against the
//! broker it came from (also with `--prune`), for every kind of object,
//! names that need encoding and a vhost whose default queue type is
//! quorum.

use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use common::broker::{TestVhost, broker, unique_name};
use common::every_kind::{
    make_awkward, make_every_kind, make_quorum_default, quorum_default_vhost,
};
use common::warren::{Files, Test, arg, assert_no_changes};
use warren::model::Topology;

/// What `warren export` writes for the vhost of `make_every_kind`: sorted,
/// defaults left out, the vhost on every object.
const EVERY_KIND_EXPORT: &str = r##"vhosts:
- name: $V
  description: every kind of object
  tags:
  - blue
  - green
$DQTexchanges:
- name: alt
  vhost: $V
  type: fanout
- name: auto-x
  vhost: $V
  type: direct
  durable: false
  auto_delete: true
- name: dlx
  vhost: $V
  type: fanout
- name: events
  vhost: $V
  type: topic
- name: headers-x
  vhost: $V
  type: headers
  arguments:
    alternate-exchange: alt
- name: internal-x
  vhost: $V
  type: topic
  internal: true
queues:
- name: classic-q
  vhost: $V
- name: dead-letters
  vhost: $V
- name: dlx-source
  vhost: $V
  arguments:
    x-dead-letter-exchange: dlx
    x-dead-letter-routing-key: dead
    x-max-length: 100
    x-message-ttl: 60000
    x-overflow: reject-publish
- name: priority-q
  vhost: $V
  arguments:
    x-expires: 3600000
    x-max-length-bytes: 1048576
    x-max-priority: 10
    x-single-active-consumer: true
- name: quorum-q
  vhost: $V
  arguments:
    x-queue-type: quorum
- name: stream-q
  vhost: $V
  arguments:
    x-max-age: 7D
    x-queue-type: stream
    x-stream-max-segment-size-bytes: 1000000
- name: transient-q
  vhost: $V
  durable: false
  auto_delete: true
bindings:
- source: amq.topic
  destination: quorum-q
  routing_key: t.#
  vhost: $V
- source: auto-x
  destination: transient-q
  routing_key: auto
  vhost: $V
- source: dlx
  destination: dead-letters
  vhost: $V
- source: events
  destination: classic-q
  routing_key: order.*
  vhost: $V
- source: events
  destination: internal-x
  destination_type: exchange
  routing_key: audit.#
  vhost: $V
- source: headers-x
  destination: classic-q
  arguments:
    kind: order
    version: 2
    x-match: all
  vhost: $V
- source: headers-x
  destination: dead-letters
  arguments:
    kind: refund
    urgent: true
    x-match: any
  vhost: $V
- source: internal-x
  destination: quorum-q
  routing_key: '#'
  vhost: $V
policies:
- name: ae-events
  vhost: $V
  pattern: ^events$
  apply_to: exchanges
  priority: 1
  definition:
    alternate-exchange: alt
- name: limit-all
  vhost: $V
  pattern: ^limit\.
  definition:
    max-length: 10
- name: ttl-orders
  vhost: $V
  pattern: ^order\.
  apply_to: queues
  priority: 3
  definition:
    message-ttl: 1000
"##;

fn broker_version() -> String {
    broker().get("/api/overview").unwrap()["rabbitmq_version"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What the export of a vhost made without a default queue type says of
/// it: nothing before 4.0; from 4.0, where the vhost has the node's
/// (`classic`), that type in both places, as 4.0.5's own export writes it
/// (its import reads only `metadata`).
fn exported_default_queue_type() -> String {
    broker()
        .node_default_queue_type()
        .map(|t| format!("  default_queue_type: {t}\n  metadata:\n    default_queue_type: {t}\n"))
        .unwrap_or_default()
}

/// The two comment lines every export starts with.
fn export_header(url: &str, version: &str) -> String {
    format!(
        "# yaml-language-server: $schema=../schemas/topology.schema.json\n\
         # Exported by warren from {url} (RabbitMQ {version}).\n"
    )
}

#[test]
fn export_of_every_kind_of_object_plans_as_no_changes() {
    let v = TestVhost::new("export-every");
    make_every_kind(&v);
    let files = Files::new();
    let out = files.path("live.yaml");

    Test::broker()
        .args(["export", "--vhost", &v.name, "--out", arg(&out)])
        .stderr(format!("wrote {}\n", arg(&out)))
        .run();
    let exported = std::fs::read_to_string(&out).unwrap();
    // The vhost's name is plain here, so YAML needs no quotes for it.
    assert_eq!(
        exported,
        export_header(&broker().url, &broker_version())
            + &EVERY_KIND_EXPORT
                .replace("$DQT", &exported_default_queue_type())
                .replace("$V", &v.name)
    );
    assert_no_changes(&out);

    // Without --out, the same file on stdout.
    Test::broker()
        .args(["export", "--vhost", &v.name])
        .stdout(exported)
        .run();
}

#[test]
fn export_with_names_needing_encoding_plans_as_no_changes() {
    let v = TestVhost::awkward("export-awkward");
    make_awkward(&v);
    make_every_kind(&v);
    let files = Files::new();
    let run = Test::broker()
        .args(["export", "--vhost", &v.name])
        .stdout_any()
        .run();
    let file = files.write("live.yaml", &run.stdout);
    assert_no_changes(&file);
}

#[test]
fn export_of_a_vhost_whose_default_queue_type_is_quorum_plans_as_no_changes() {
    // A classic queue there must stay classic when the export is planned:
    // without x-queue-type, the file would mean a quorum queue.
    let v = quorum_default_vhost("export-dqt");
    make_quorum_default(&v);
    let files = Files::new();
    let run = Test::broker()
        .args(["export", "--vhost", &v.name])
        .stdout_any()
        .run();
    let file = files.write("live.yaml", &run.stdout);
    assert_no_changes(&file);
}

#[test]
fn export_without_vhost_includes_the_test_vhost() {
    let v = TestVhost::awkward("export-all");
    make_awkward(&v);
    let files = Files::new();
    let run = Test::broker().args(["export"]).stdout_any().run();
    let all: Topology = serde_yaml::from_str(&run.stdout).expect("the export is YAML");
    assert!(
        all.vhosts.iter().any(|x| x.name == v.name),
        "vhost {} missing from\n{run}",
        v.name
    );
    assert!(all.vhosts.iter().any(|x| x.name == "/"), "{run}");

    // Restricted to the test vhost, it plans as no changes.
    let mine = Topology {
        vhosts: all
            .vhosts
            .iter()
            .filter(|x| x.name == v.name)
            .cloned()
            .collect(),
        exchanges: all
            .exchanges
            .iter()
            .filter(|x| x.vhost == v.name)
            .cloned()
            .collect(),
        queues: all
            .queues
            .iter()
            .filter(|x| x.vhost == v.name)
            .cloned()
            .collect(),
        bindings: all
            .bindings
            .iter()
            .filter(|x| x.vhost == v.name)
            .cloned()
            .collect(),
        policies: all
            .policies
            .iter()
            .filter(|x| x.vhost == v.name)
            .cloned()
            .collect(),
        ..Topology::default()
    };
    assert_eq!(mine.queues.len(), 2, "{run}");
    let file = files.write("mine.yaml", &serde_yaml::to_string(&mine).unwrap());
    assert_no_changes(&file);
}

#[test]
fn export_of_a_missing_vhost_is_an_error() {
    let missing = unique_name("export-missing");
    Test::broker()
        .args(["export", "--vhost", &missing])
        .status(1)
        .stderr(format!(
            "error: vhost '{missing}' does not exist on {}\n",
            broker().url
        ))
        .run();
}

/// Regression: `warren export` without `--vhost` failed with "vhost '…'
/// does not exist" when a vhost it had listed was deleted before its
/// objects were read (other tools, or parallel tests, delete vhosts all
/// the time). A vhost nobody asked for by name that vanishes is simply not
/// exported. The broker is simulated: its vhost list loses `gone` after
/// the first read, and `gone`'s listings answer 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_of_every_vhost_skips_one_deleted_while_it_is_read() {
    let server = VanishingVhostServer::start().await;
    let url = server.url.clone();
    let run =
        tokio::task::spawn_blocking(move || Test::new().args(["--url", url.as_str(), "export"]))
            .await
            .unwrap()
            .stdout_any()
            .run();
    assert_eq!(
        run.stdout,
        export_header(&server.url, "3.10.8") + "vhosts:\n- name: kept\n"
    );
    assert!(server.vhost_reads() >= 2, "the vhosts were read twice");
}

/// A fake management API that answers by path: `/api/vhosts` lists `kept`
/// and `gone` the first time and only `kept` after; every listing of
/// `kept` and every broker-wide listing is empty, and every listing of
/// `gone` is a 404.
struct VanishingVhostServer {
    url: String,
    reads: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl VanishingVhostServer {
    async fn start() -> VanishingVhostServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let reads: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let counter = Arc::clone(&reads);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let target = head.split(' ').nth(1).unwrap_or("").to_string();
                    let path = target.split('?').next().unwrap_or("").to_string();
                    let seen = {
                        let mut reads = counter.lock().unwrap();
                        let n = reads.entry(path.clone()).or_insert(0);
                        *n += 1;
                        *n
                    };
                    let (status, body) = match path.as_str() {
                        "/api/overview" => (
                            200,
                            r#"{"rabbitmq_version":"3.10.8","management_version":"3.10.8"}"#,
                        ),
                        "/api/vhosts" if seen == 1 => (200, r#"[{"name":"kept"},{"name":"gone"}]"#),
                        "/api/vhosts" => (200, r#"[{"name":"kept"}]"#),
                        p if p.ends_with("/kept") => (200, "[]"),
                        // The broker-wide listings: none of them.
                        "/api/users"
                        | "/api/user-limits"
                        | "/api/permissions"
                        | "/api/topic-permissions"
                        | "/api/parameters"
                        | "/api/global-parameters"
                        | "/api/vhost-limits"
                        | "/api/extensions"
                        | "/api/operator-policies" => (200, "[]"),
                        _ => (404, r#"{"error":"Object Not Found","reason":"Not Found"}"#),
                    };
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        VanishingVhostServer { url, reads }
    }

    fn vhost_reads(&self) -> usize {
        self.reads
            .lock()
            .unwrap()
            .get("/api/vhosts")
            .copied()
            .unwrap_or(0)
    }
}
