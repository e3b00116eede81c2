//! `warren apply --migrate` (issue 15): a queue whose immutable properties
//! change, with messages in it, is replaced by moving its messages through
//! a temporary queue with shovels, and none is lost.
//!
//! The order-events story: classic `order.events`, bound from topic
//! exchange `events` with `order.*`, becomes a quorum queue with a
//! dead-letter exchange while a publisher with publisher confirms keeps
//! publishing to `events`. Afterwards every confirmed message is in
//! `order.events` or was consumed (0 lost); duplicates are counted and
//! printed; bindings are as before; the arguments are the new ones; and
//! `plan` says "No changes".

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::{Value, json};

use crate::common::amqp::{TestConsumer, amqp_url};
use crate::common::broker::{TestVhost, broker};
use crate::common::proxy::{Fault, FaultProxy};
use crate::common::warren::Test;

const OLD: &str = "
vhosts: [{name: $V}]
exchanges:
  - {name: events, vhost: $V, type: topic}
  - {name: dlx, vhost: $V, type: fanout}
queues:
  - {name: order.events, vhost: $V}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*', vhost: $V}
";

const NEW: &str = "
vhosts: [{name: $V}]
exchanges:
  - {name: events, vhost: $V, type: topic}
  - {name: dlx, vhost: $V, type: fanout}
queues:
  - name: order.events
    vhost: $V
    arguments: {x-queue-type: quorum, x-dead-letter-exchange: dlx}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*', vhost: $V}
";

/// A directory holding `old.yaml` and `new.yaml` for vhost `v`.
struct Story {
    dir: tempfile::TempDir,
}

impl Story {
    fn new(v: &TestVhost) -> Story {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let quoted = serde_json::to_string(&v.name).unwrap();
        for (name, text) in [("old.yaml", OLD), ("new.yaml", NEW)] {
            std::fs::write(dir.path().join(name), text.replace("$V", &quoted)).unwrap();
        }
        Story { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `warren <args>` against the test broker.
    fn warren(&self, args: &[&str]) -> Test {
        Test::broker().current_dir(self.dir.path()).args(args)
    }

    /// `apply --migrate` of the new files, expectations left to the caller.
    fn apply_migrate(&self) -> Test {
        self.apply_migrate_with(&[], &[])
    }

    /// [`Story::apply_migrate`] with `global` options before the command
    /// (`--format json`) and more `flags` after it.
    fn apply_migrate_with(&self, global: &[&str], flags: &[&str]) -> Test {
        let new = self.path("new.yaml");
        let command = ["apply", "--auto-approve", "--allow-recreate", "--migrate"];
        let args: Vec<&str> = global
            .iter()
            .chain(&command)
            .chain(flags)
            .copied()
            .chain([new.as_str()])
            .collect();
        self.warren(&args)
    }

    /// `apply --migrate` of the new files, expected to succeed.
    fn migrate(&self) -> Test {
        self.apply_migrate()
            .stdout_any()
            .stderr_any()
            .limit(Duration::from_secs(600))
    }

    /// `plan` of the new files says there is nothing to do.
    fn assert_no_changes(&self) {
        self.warren(&["plan", &self.path("new.yaml")])
            .stdout_contains("No changes. The broker matches the files.")
            .run();
    }
}

/// A publisher with publisher confirms on exchange `events`, routing key
/// `order.created`, publishing numbered persistent messages in a thread
/// until stopped; it keeps the numbers the broker confirmed.
struct Publisher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Published>>,
}

#[derive(Debug, Default)]
struct Published {
    confirmed: Vec<u64>,
    nacked: u64,
    unroutable: u64,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn connect(vhost: &str, name: &str) -> Connection {
    let properties = ConnectionProperties::default()
        .with_connection_name(name.to_string().into())
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current());
    Connection::connect(&amqp_url(vhost), properties)
        .await
        .unwrap_or_else(|e| panic!("AMQP connection to vhost {vhost}: {e}"))
}

/// Publishes `count` numbered messages from `first` (or, with `count`
/// `None`, until `stop`), `batch` in flight at a time, resting `pause`
/// after each batch.
async fn publish(
    vhost: &str,
    first: u64,
    count: Option<u64>,
    stop: &AtomicBool,
    pause: Duration,
    batch: u64,
) -> Published {
    let connection = connect(vhost, "warren test publisher").await;
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let mut published = Published::default();
    let mut next = first;
    let end = count.map(|c| first + c);
    let options = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    while end.is_none_or(|end| next < end) && !stop.load(Ordering::Relaxed) {
        let batch_end = end.map_or(next + batch, |end| end.min(next + batch));
        let mut pending = Vec::new();
        for id in next..batch_end {
            let confirm = channel
                .basic_publish(
                    "events",
                    "order.created",
                    options,
                    id.to_string().as_bytes(),
                    BasicProperties::default().with_delivery_mode(2),
                )
                .await
                .expect("publish");
            pending.push((id, confirm));
        }
        next = batch_end;
        for (id, confirm) in pending {
            let confirmation = confirm.await.expect("a confirm");
            if !confirmation.is_ack() {
                published.nacked += 1;
            } else if confirmation.take_message().is_some() {
                published.unroutable += 1;
            } else {
                published.confirmed.push(id);
            }
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    let _ = connection.close(200, "published").await;
    published
}

impl Publisher {
    /// Publishes numbers from `first` on until [`Publisher::stop`].
    fn start(vhost: &TestVhost, first: u64) -> Publisher {
        let stop = Arc::new(AtomicBool::new(false));
        let name = vhost.name.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            runtime().block_on(publish(
                &name,
                first,
                None,
                &flag,
                Duration::from_millis(10),
                20,
            ))
        });
        Publisher {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> Published {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().expect("the publisher")
    }
}

/// Publishes `count` numbered messages from `first`, confirmed, and
/// returns the confirmed numbers.
fn publish_backlog(vhost: &TestVhost, first: u64, count: u64) -> Vec<u64> {
    let published = runtime().block_on(publish(
        &vhost.name,
        first,
        Some(count),
        &AtomicBool::new(false),
        Duration::ZERO,
        200,
    ));
    assert_eq!((published.nacked, published.unroutable), (0, 0));
    published.confirmed
}

/// A consumer on `queue` that acknowledges each message and records its
/// number, until its queue goes (the broker cancels it) or it is stopped.
struct Consumer {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<u64>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Consumer {
    fn start(vhost: &TestVhost, queue: &str, prefetch: u16) -> Consumer {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (name, queue) = (vhost.name.clone(), queue.to_string());
        let (flag, into) = (Arc::clone(&stop), Arc::clone(&seen));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            runtime().block_on(async move {
                let connection = connect(&name, "warren test consumer").await;
                let channel = connection.create_channel().await.unwrap();
                channel
                    .basic_qos(prefetch, BasicQosOptions::default())
                    .await
                    .unwrap();
                let mut consumer = channel
                    .basic_consume(
                        &queue,
                        "warren-test-migrate-consumer",
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .unwrap();
                ready_tx.send(()).unwrap();
                while !flag.load(Ordering::Relaxed) {
                    let next =
                        tokio::time::timeout(Duration::from_millis(200), consumer.next()).await;
                    match next {
                        Err(_) => continue,
                        Ok(None) | Ok(Some(Err(_))) => break, // cancelled
                        Ok(Some(Ok(delivery))) => {
                            let id = String::from_utf8_lossy(&delivery.data).parse().unwrap();
                            delivery.ack(BasicAckOptions::default()).await.unwrap();
                            into.lock().unwrap().push(id);
                        }
                    }
                }
                let _ = connection.close(200, "consumed").await;
            })
        });
        ready_rx.recv().expect("the consumer started");
        Consumer {
            stop,
            seen,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().expect("the consumer");
        std::mem::take(&mut self.seen.lock().unwrap())
    }
}

/// Every message of `queue`, consumed until none came for 3 s.
fn drain(vhost: &TestVhost, queue: &str) -> Vec<u64> {
    let consumer = Consumer::start(vhost, queue, 1000);
    let mut last = (0, Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let n = consumer.seen.lock().unwrap().len();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    consumer.stop()
}

/// Lost (confirmed, never seen) and duplicated (seen more than once)
/// messages; prints the counts.
fn count_losses(test: &str, confirmed: &[u64], seen: &[u64]) -> (usize, usize) {
    let mut times: BTreeMap<u64, usize> = BTreeMap::new();
    for id in seen {
        *times.entry(*id).or_default() += 1;
    }
    let lost = confirmed
        .iter()
        .filter(|id| !times.contains_key(id))
        .count();
    let duplicates: usize = times.values().map(|n| n - 1).sum();
    println!(
        "{test}: {} confirmed, {} received, {lost} lost, {duplicates} duplicates",
        confirmed.len(),
        seen.len()
    );
    (lost, duplicates)
}

/// The explicit bindings of `queue`: (source, routing key, arguments).
fn bindings_of(v: &TestVhost, queue: &str) -> Vec<(Value, Value, Value)> {
    let mut found: Vec<_> = v
        .explicit_bindings()
        .into_iter()
        .filter(|b| b["destination"] == queue)
        .map(|b| {
            (
                b["source"].clone(),
                b["routing_key"].clone(),
                b["arguments"].clone(),
            )
        })
        .collect();
    found.sort_by_key(|b| b.0.to_string() + &b.1.to_string());
    found
}

/// Nothing of the migration is left: no temporary queue, no shovel.
fn assert_nothing_left(v: &TestVhost) {
    assert!(
        !v.exists("queues", "order.events.warren-migrate"),
        "the temporary queue is gone"
    );
    let shovels = broker()
        .get(&v.path("parameters/shovel", &[]))
        .unwrap_or(json!([]));
    assert_eq!(shovels, json!([]), "no shovel is left");
}

/// After a migration finished: no temporary queue or shovel is left, `plan`
/// finds no changes, and every `confirmed` message is in `order.events`.
fn assert_finished_without_loss(v: &TestVhost, story: &Story, confirmed: &[u64], test: &str) {
    assert_nothing_left(v);
    story.assert_no_changes();
    let seen = drain(v, "order.events");
    let (lost, _) = count_losses(test, confirmed, &seen);
    assert_eq!(lost, 0, "{test}");
}

/// The story's start: the old topology applied, `backlog` messages in
/// `order.events`.
fn old_with_backlog(v: &TestVhost, story: &Story, backlog: u64) -> Vec<u64> {
    story
        .warren(&["apply", "--auto-approve", &story.path("old.yaml")])
        .stdout_any()
        .stderr_any()
        .run();
    publish_backlog(v, 0, backlog)
}

#[test]
fn a_classic_queue_with_messages_becomes_quorum_with_a_dead_letter_exchange_under_a_publisher_and_loses_none()
 {
    let v = TestVhost::new("migrate-story");
    let story = Story::new(&v);
    let mut confirmed = old_with_backlog(&v, &story, 5_000);
    let bindings = bindings_of(&v, "order.events");

    // The plan shows the migration, its steps and risks.
    story
        .warren(&["plan", "--migrate", &story.path("new.yaml")])
        .stdout_contains("migrate queue order.events in vhost")
        .stdout_contains("moves: 5000 messages")
        .stdout_contains("4. move the messages of 'order.events' to 'order.events.warren-migrate'")
        .stdout_contains("duplicates: a shovel delivers at least once")
        .run();

    let json = story
        .warren(&[
            "--format",
            "json",
            "plan",
            "--migrate",
            &story.path("new.yaml"),
        ])
        .stdout_any()
        .run()
        .json();
    let migration = &json["migrations"][0];
    assert_eq!(migration["messages"], 5000, "{json}");
    assert_eq!(migration["steps"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        migration["temporary"]["name"],
        "order.events.warren-migrate"
    );

    let publisher = Publisher::start(&v, 1_000_000);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    story
        .migrate()
        .stderr_contains("migrate order.events: step 10/10")
        .run();
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let published = publisher.stop();
    assert_eq!(published.nacked, 0, "no publish was refused");
    assert_eq!(published.unroutable, 0, "every message reached a queue");
    println!(
        "migration of 5000 messages under a publisher took {took:?}; {} published meanwhile",
        published.confirmed.len()
    );
    confirmed.extend(&published.confirmed);

    assert_eq!(
        v.declared_arguments("order.events"),
        json!({"x-queue-type": "quorum", "x-dead-letter-exchange": "dlx"})
    );
    assert_eq!(bindings_of(&v, "order.events"), bindings);
    assert_nothing_left(&v);
    story.assert_no_changes();

    let seen = drain(&v, "order.events");
    let (lost, _duplicates) = count_losses("under a publisher", &confirmed, &seen);
    assert_eq!(lost, 0, "no confirmed message is lost");
}

#[test]
fn a_hundred_thousand_messages_move_with_a_consumer_attached_which_the_plan_names() {
    let v = TestVhost::new("migrate-big");
    let story = Story::new(&v);
    let mut confirmed = old_with_backlog(&v, &story, 100_000);
    let consumer = Consumer::start(&v, "order.events", 10);
    // The broker's statistics count the consumer up to 5 s late.
    let counted = Instant::now();
    while crate::common::amqp::consumer_count(&v, "order.events") == 0 {
        assert!(counted.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(200));
    }
    story
        .warren(&["plan", "--migrate", &story.path("new.yaml")])
        .stdout_contains(
            "1 consumer of the old queue cancelled when it is deleted: they must consume from it again",
        )
        .run();
    // Cancelling the consumer still needs its flag.
    story
        .apply_migrate()
        .status(1)
        .stdout_any()
        .stderr_contains("needs --allow-consumer-cancel")
        .run();

    let publisher = Publisher::start(&v, 1_000_000);
    let started = Instant::now();
    let report = story
        .apply_migrate_with(&["--format", "json"], &["--allow-consumer-cancel"])
        .stdout_any()
        .stderr_any()
        .limit(Duration::from_secs(900))
        .run()
        .json();
    let took = started.elapsed();
    assert_eq!(
        report["migrated"],
        json!([format!("migrate queue order.events in vhost {}", v.name)]),
        "{report}"
    );
    assert_eq!(report["verified"], true, "{report}");
    assert!(report.get("migration_failed").is_none(), "{report}");
    let published = publisher.stop();
    let consumed = consumer.stop();
    assert_eq!((published.nacked, published.unroutable), (0, 0));
    println!(
        "migration of 100000 messages with a consumer took {took:?}; {} published meanwhile, {} consumed",
        published.confirmed.len(),
        consumed.len()
    );
    confirmed.extend(&published.confirmed);
    assert_eq!(
        v.declared_arguments("order.events"),
        json!({"x-queue-type": "quorum", "x-dead-letter-exchange": "dlx"})
    );
    assert_nothing_left(&v);
    story.assert_no_changes();

    let mut seen = drain(&v, "order.events");
    seen.extend(consumed);
    let (lost, _) = count_losses("100000 with a consumer", &confirmed, &seen);
    assert_eq!(lost, 0, "no confirmed message is lost");
}

#[test]
fn warren_stopped_after_each_step_leaves_a_migration_the_next_apply_finishes() {
    for step in 1..=10 {
        let v = TestVhost::new(&format!("migrate-step{step}"));
        let story = Story::new(&v);
        let confirmed = old_with_backlog(&v, &story, 2_000);
        let bindings = bindings_of(&v, "order.events");
        story
            .migrate()
            .env("WARREN_TEST_MIGRATE_EXIT_AFTER_STEP", step.to_string())
            .status(3)
            .run();
        if step < 10 {
            // The plan shows it as an unfinished migration, not as an
            // unmanaged queue; apply without --migrate refuses.
            let plan = story
                .warren(&["plan", &story.path("new.yaml")])
                .stdout_any()
                .run();
            let text = plan.stdout.clone();
            assert!(
                text.contains("unfinished migration of queue order.events"),
                "after step {step}:\n{text}"
            );
            assert!(
                !text.contains("? queue order.events.warren-migrate"),
                "{text}"
            );
            story
                .warren(&["drift", &story.path("new.yaml")])
                .status(2)
                .stdout_contains("unfinished migration of queue order.events")
                .run();
            let drift = story
                .warren(&["--format", "json", "drift", &story.path("new.yaml")])
                .status(2)
                .stdout_any()
                .run()
                .json();
            assert_eq!(
                drift["unfinished_migrations"][0]["queue"], "order.events",
                "{drift}"
            );
            story
                .warren(&[
                    "apply",
                    "--auto-approve",
                    "--allow-recreate",
                    "--allow-data-loss",
                    &story.path("new.yaml"),
                ])
                .status(1)
                .stdout_any()
                .stderr_contains("pass --migrate to finish it")
                .run();
        }
        story.migrate().run();
        assert_eq!(
            v.declared_arguments("order.events"),
            json!({"x-queue-type": "quorum", "x-dead-letter-exchange": "dlx"}),
            "after step {step}"
        );
        assert_eq!(
            bindings_of(&v, "order.events"),
            bindings,
            "after step {step}"
        );
        assert_finished_without_loss(
            &v,
            &story,
            &confirmed,
            &format!("stopped after step {step}"),
        );
    }
}

/// The broker's state a refused apply must leave as it was.
fn state(v: &TestVhost) -> (Vec<Value>, Vec<Value>, Option<u64>) {
    let mut queues: Vec<Value> = v
        .list("queues")
        .into_iter()
        .map(|q| json!([q["name"], q["arguments"], q["auto_delete"]]))
        .collect();
    queues.sort_by_key(|q| q.to_string());
    (
        queues,
        v.explicit_bindings(),
        v.message_count("order.events"),
    )
}

#[test]
fn an_auto_delete_queue_is_not_migrated_and_nothing_changes() {
    let v = TestVhost::new("migrate-auto-delete");
    let story = Story::new(&v);
    let old = OLD.replace(
        "{name: order.events, vhost: $V}",
        "{name: order.events, vhost: $V, auto_delete: true}",
    );
    let quoted = serde_json::to_string(&v.name).unwrap();
    std::fs::write(
        story.dir.path().join("old.yaml"),
        old.replace("$V", &quoted),
    )
    .unwrap();
    old_with_backlog(&v, &story, 10);
    let before = state(&v);
    story
        .apply_migrate()
        .status(1)
        .stdout_contains("cannot be migrated: it is auto-delete")
        .stderr_contains("queue order.events in vhost")
        .stderr_contains("cannot be migrated: it is auto-delete")
        .run();
    assert_eq!(state(&v), before, "nothing changed");
}

#[test]
fn a_temporary_queue_name_taken_by_another_queue_is_refused_and_nothing_changes() {
    let v = TestVhost::new("migrate-taken");
    let story = Story::new(&v);
    old_with_backlog(&v, &story, 10);
    v.put_queue(
        "order.events.warren-migrate",
        json!({"durable": true, "arguments": {"x-message-ttl": 1000}}),
    );
    let before = state(&v);
    story
        .apply_migrate()
        .status(1)
        .stdout_any()
        .stderr_contains("the temporary queue's name 'order.events.warren-migrate' is taken: a queue of that name exists and it has arguments (x-message-ttl)")
        .run();
    assert_eq!(state(&v), before, "nothing changed");
}

#[test]
fn a_broker_without_the_shovel_plugin_is_refused_and_nothing_changes() {
    // The real broker, its extensions answered as a broker without the
    // shovel plugins answers them (`[]`), by a proxy in front of it.
    let v = TestVhost::new("migrate-no-shovel");
    let story = Story::new(&v);
    old_with_backlog(&v, &story, 10);
    let before = state(&v);
    let runtime = crate::common::runtime();
    let b = broker();
    let proxy = runtime.block_on(FaultProxy::start_on(
        &b.url,
        "GET /api/extensions",
        Fault::NoExtensions,
    ));
    Test::new()
        .current_dir(story.dir.path())
        .args(["--url", &proxy.url, "--username", &b.username])
        .env("WARREN_PASSWORD", &b.password)
        .args([
            "apply",
            "--auto-approve",
            "--allow-recreate",
            "--migrate",
            &story.path("new.yaml"),
        ])
        .status(1)
        .stdout_any()
        .stderr_contains(
            "the broker has no shovel plugin: enable rabbitmq_shovel and \
             rabbitmq_shovel_management",
        )
        .run();
    assert!(
        proxy
            .log()
            .iter()
            .all(|r| r.starts_with("GET ") || r.contains("warren%2Eapply%2Dlock")),
        "only reads (and the apply lock): {:?}",
        proxy.log()
    );
    assert_eq!(state(&v), before, "nothing changed");
}

#[test]
fn the_shovel_plugin_is_looked_for_once_whether_or_not_the_read_listed_the_extensions() {
    let v = TestVhost::new("migrate-extensions");
    let story = Story::new(&v);
    old_with_backlog(&v, &story, 10);
    // The same files with a federation upstream: the read then lists the
    // broker's extensions, for the federation plugin.
    let quoted = serde_json::to_string(&v.name).unwrap();
    let upstream = format!(
        "{}parameters:\n  - {{component: federation-upstream, vhost: {quoted}, name: up, value: {{uri: 'amqp://localhost'}}}}\n",
        NEW.replace("$V", &quoted)
    );
    std::fs::write(story.path("upstream.yaml"), upstream).unwrap();
    let runtime = crate::common::runtime();
    let b = broker();
    for file in ["new.yaml", "upstream.yaml"] {
        let proxy = runtime.block_on(FaultProxy::start(&b.url, None));
        Test::new()
            .current_dir(story.dir.path())
            .args(["--url", &proxy.url, "--username", &b.username])
            .env("WARREN_PASSWORD", &b.password)
            .args(["plan", "--migrate", &story.path(file)])
            .stdout_contains("migrate queue order.events in vhost")
            .run();
        let asked = proxy
            .log()
            .iter()
            .filter(|r| r.starts_with("GET /api/extensions"))
            .count();
        assert_eq!(asked, 1, "{file}: {:?}", proxy.log());
    }
}

#[test]
fn without_migrate_a_queue_with_messages_still_needs_allow_data_loss() {
    let v = TestVhost::new("migrate-unchanged");
    let story = Story::new(&v);
    old_with_backlog(&v, &story, 10);
    let before = state(&v);
    story
        .warren(&[
            "apply",
            "--auto-approve",
            "--allow-recreate",
            &story.path("new.yaml"),
        ])
        .status(1)
        .stdout_any()
        .stderr_contains("holds 10 messages that would be lost: needs --allow-data-loss")
        .run();
    assert_eq!(state(&v), before, "nothing changed");
}

#[test]
fn a_signal_during_a_move_ends_the_migration_between_two_steps_and_a_rerun_finishes_it() {
    let v = TestVhost::new("migrate-signal");
    let story = Story::new(&v);
    let confirmed = old_with_backlog(&v, &story, 50_000);
    let running = story.apply_migrate_with(&["--format", "json"], &[]).spawn();
    v.wait_for_a_shovel();
    running.signal(libc::SIGINT);
    let waiting = Instant::now();
    let stopped = running.wait_or_kill(|| waiting.elapsed() > Duration::from_secs(300));
    assert_eq!(stopped.code, Some(1), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("stopped by SIGINT before step"),
        "{}",
        stopped.stderr
    );
    // The JSON report says which migration stopped, and why.
    let report: Value = serde_json::from_str(&stopped.stdout).expect("a JSON report");
    let failed = &report["migration_failed"];
    assert_eq!(
        failed["step"],
        format!("migrate queue order.events in vhost {}", v.name),
        "{report}"
    );
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("stopped by SIGINT before step"), "{report}");
    assert_eq!(report["migrated"], Value::Null, "{report}");
    // The shovel goes on without warren and deletes itself when done; the
    // broker's statistics count it as the queue's consumer up to 5 s
    // longer, and a consumer the plan cannot tell from the shovel needs
    // --allow-consumer-cancel (the safe side): the rerun waits that out.
    let shovels = v.path("parameters/shovel", &[]);
    while broker()
        .get(&shovels)
        .and_then(|s| s.as_array().map(Vec::len))
        .unwrap_or(0)
        > 0
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(6));
    story.migrate().run();
    assert_finished_without_loss(&v, &story, &confirmed, "stopped by SIGINT");
}

/// A consumer that takes the old queue's messages and never acknowledges
/// them: no shovel can move them, and the broker would drop them with the
/// queue. The migration stops once the queue's count has stayed the same
/// for `--migrate-stall-timeout`, naming the queue and why, with every
/// message still there; once the consumer is gone, the rerun finishes.
#[test]
fn messages_a_consumer_never_acknowledges_stop_the_migration_after_the_stall_timeout() {
    let v = TestVhost::new("migrate-stall");
    let story = Story::new(&v);
    let confirmed = old_with_backlog(&v, &story, 40);
    // No prefetch limit: it holds all 40, unacknowledged.
    let holder = TestConsumer::start(&v, "order.events");
    let started = Instant::now();
    let stopped = story
        .apply_migrate_with(
            &["--format", "json"],
            &["--allow-consumer-cancel", "--migrate-stall-timeout", "3"],
        )
        .status(1)
        .stdout_any()
        .stderr_contains(
            "40 messages stayed in 'order.events' for 3 s, held unacknowledged by its consumers",
        )
        .stderr_contains(
            "let the consumers acknowledge them (or stop them), then run apply --migrate again",
        )
        .limit(Duration::from_secs(120))
        .run();
    println!("stopped after {:?}", started.elapsed());
    let report: Value = serde_json::from_str(&stopped.stdout).expect("a JSON report");
    let error = report["migration_failed"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        error.contains("stopped at step 4: 40 messages stayed"),
        "{report}"
    );
    assert_eq!(v.message_count("order.events"), Some(40));

    drop(holder);
    // The broker's statistics count the consumer up to 5 s after it left,
    // and the rerun would need --allow-consumer-cancel for it.
    while crate::common::amqp::consumer_count(&v, "order.events") > 0 {
        std::thread::sleep(Duration::from_millis(200));
    }
    story.migrate().run();
    assert_finished_without_loss(&v, &story, &confirmed, "held by a consumer");
}
