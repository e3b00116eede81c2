//! The order-events use case end to end, against a real RabbitMQ: warren
//! applies the shipped default topology (in a vhost of the test's own), then
//! the example publisher and workers (`examples/`) run on it at once.
//!
//! What is checked: every message is processed exactly once and acknowledged
//! (the live count of both queues, which includes unacknowledged messages,
//! drops to zero), fair dispatch shares the work, and a worker killed while
//! it holds unacknowledged messages loses none: the other worker gets them,
//! marked redelivered. Every wait polls a condition under a deadline.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_yaml::{Mapping, Value};

use common::broker::{TestVhost, broker, enc};
use common::warren::Test;

/// How long any one step may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// The built example programs.
struct Examples {
    publisher: PathBuf,
    worker: PathBuf,
}

/// Builds the examples once per test binary and returns their paths.
///
/// Cargo sets `CARGO_BIN_EXE_<name>` for `[[bin]]` targets only, and
/// `cargo test --test examples_use_case` does not build examples at all, so
/// the test asks the cargo that is running it (`env!("CARGO")`) to build
/// them. The paths come from cargo's JSON messages (the `executable` of each
/// `compiler-artifact`) rather than a guessed `target/debug/examples/`, so
/// `CARGO_TARGET_DIR`, `--target` and `--release` are respected. This is
/// what the `escargot` crate does, in a few lines and without a dependency.
/// When `cargo test` already built them (it builds examples when it builds
/// every target), this costs about a second.
fn examples() -> &'static Examples {
    static EXAMPLES: OnceLock<Examples> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        // Cargo gives the test process the variables it gives a crate's
        // build (CARGO_MANIFEST_DIR, CARGO_PKG_*, …). Build scripts that
        // watch one (ring's watches CARGO_MANIFEST_DIR) would see it change
        // and rebuild, and so would the next `cargo test`: leave them out.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_BIN_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "OUT_DIR",
                ]
                .contains(&&*name)
            {
                cargo.env_remove(&*name);
            }
        }
        cargo
            .args(["build", "--example", "publisher", "--example", "worker"])
            .args([
                "--message-format",
                "json-render-diagnostics",
                "--manifest-path",
            ])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let output = cargo.output().expect("run cargo to build the examples");
        assert!(
            output.status.success(),
            "cargo build --examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut built = BTreeMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let name = message["target"]["name"].as_str();
            let executable = message["executable"].as_str();
            if let (Some(name), Some(path)) = (name, executable) {
                built.insert(name.to_string(), PathBuf::from(path));
            }
        }
        let mut take = |name: &str| {
            built
                .remove(name)
                .unwrap_or_else(|| panic!("cargo did not report the example {name}"))
        };
        Examples {
            publisher: take("publisher"),
            worker: take("worker"),
        }
    })
}

/// `topologies/default.yaml` with every object moved into `vhost`.
fn default_topology_in(vhost: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/default.yaml");
    let text = std::fs::read_to_string(path).expect("read the default topology");
    let mut doc: Value = serde_yaml::from_str(&text).expect("the default topology is YAML");
    let top = doc.as_mapping_mut().expect("a mapping at the top");
    let mut only_vhost = Mapping::new();
    only_vhost.insert("name".into(), vhost.into());
    top.insert("vhosts".into(), Value::Sequence(vec![only_vhost.into()]));
    for section in ["exchanges", "queues", "bindings", "policies", "routes"] {
        let Some(items) = top.get_mut(section).and_then(Value::as_sequence_mut) else {
            continue;
        };
        for item in items {
            let item = item.as_mapping_mut().expect("each object is a mapping");
            item.insert("vhost".into(), vhost.into());
        }
    }
    serde_yaml::to_string(&doc).expect("YAML out")
}

/// Applies the default topology to the test's vhost with the warren binary.
fn apply_default_topology(v: &TestVhost) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("default.yaml");
    std::fs::write(&file, default_topology_in(&v.name)).expect("write the topology");
    Test::broker()
        .args(["apply", "--auto-approve"])
        .arg(&file)
        .stdout_any()
        .stderr_any()
        .run();
}

/// The examples' `AMQP_URL` for a vhost: the test broker's AMQP URL
/// (`common::broker`) and the vhost.
fn amqp_url(vhost: &str) -> String {
    format!("{}/{}", broker().amqp_url.trim_end_matches('/'), enc(vhost))
}

/// An example program running in the background; its stdout lines and
/// stderr are collected as they come. Killed on drop, so a failing test
/// leaves no process behind.
struct Running {
    name: String,
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    fn start(name: &str, program: &PathBuf, args: &[&str], vhost: &TestVhost) -> Running {
        let mut child = Command::new(program)
            .args(args)
            .env("AMQP_URL", amqp_url(&vhost.name))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (out, lines) = (child.stdout.take().unwrap(), Arc::clone(&stdout));
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let (mut err, text) = (child.stderr.take().unwrap(), Arc::clone(&stderr));
        std::thread::spawn(move || {
            let mut buf = [0; 1024];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                let chunk = String::from_utf8_lossy(&buf[..n]).into_owned();
                text.lock().unwrap().push_str(&chunk);
            }
        });
        Running {
            name: name.to_string(),
            child,
            stdout,
            stderr,
        }
    }

    /// Starts `worker --id N` and waits until it consumes from both queues.
    fn worker(id: u32, extra: &[&str], vhost: &TestVhost) -> Running {
        let id = id.to_string();
        let mut args = vec!["--id", &id];
        args.extend_from_slice(extra);
        let name = format!("worker {id}");
        let mut worker = Running::start(&name, &examples().worker, &args, vhost);
        wait_until(&format!("{name} consumes"), &[], || {
            worker.stderr().contains("waiting on") || worker.status().is_some()
        });
        assert!(
            worker.status().is_none(),
            "{name} stopped:\n{}",
            worker.report()
        );
        worker
    }

    /// The lines printed so far, without the `worker N: ` prefix.
    fn messages(&self) -> Vec<String> {
        let prefix = format!("{}: ", self.name);
        let lines = self.stdout.lock().unwrap();
        lines
            .iter()
            .map(|l| l.strip_prefix(&prefix).unwrap_or(l).to_string())
            .collect()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The exit status, once it has exited.
    fn status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("poll the child process")
    }

    /// Waits for it to exit by itself and checks it succeeded.
    fn finishes(&mut self) {
        let name = self.name.clone();
        let mut status = None;
        wait_until(&format!("{name} exits"), &[], || {
            status = self.status();
            status.is_some()
        });
        assert!(
            status.is_some_and(|s| s.success()),
            "{name} failed ({status:?}):\n{}",
            self.report()
        );
    }

    /// Kills it (SIGKILL: no chance to ack or close cleanly).
    fn kill(&mut self) {
        self.child.kill().expect("kill the child process");
        self.child.wait().expect("reap the child process");
    }

    fn report(&self) -> String {
        format!(
            "--- {} stdout:\n{}\n--- {} stderr:\n{}",
            self.name,
            self.stdout.lock().unwrap().join("\n"),
            self.name,
            self.stderr()
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` until it holds; past [`DEADLINE`] fails with the
/// output of `shown`.
fn wait_until(what: &str, shown: &[&Running], mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        if start.elapsed() > DEADLINE {
            let reports: Vec<String> = shown.iter().map(|r| r.report()).collect();
            panic!(
                "timed out after {DEADLINE:?} waiting until {what}\n{}",
                reports.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What the workers print for `publisher --count n`, one line per message.
fn expected_messages(orders: u64) -> Vec<String> {
    let mut expected = Vec::new();
    for id in 1..=orders {
        for event in ["order.created", "order.updated", "order.completed"] {
            expected.push(format!(r#"order.events {event} {{"order_id":{id}}}"#));
        }
        expected.push(format!(r#"jobs {{"job":"test{id}"}}"#));
    }
    expected.sort();
    expected
}

/// Both queues' live counts (ready plus unacknowledged) are zero.
fn queues_are_empty(v: &TestVhost) -> bool {
    ["jobs", "order.events"]
        .iter()
        .all(|q| v.message_count(q) == Some(0))
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

#[test]
fn two_workers_process_every_published_message_exactly_once() {
    let v = TestVhost::new("examples-share");
    apply_default_topology(&v);
    let orders = 10;
    let expected = expected_messages(orders);

    let mut one = Running::worker(1, &[], &v);
    let mut two = Running::worker(2, &[], &v);
    let count = orders.to_string();
    let mut publisher =
        Running::start("publisher", &examples().publisher, &["--count", &count], &v);
    publisher.finishes();
    assert_eq!(
        publisher.stdout.lock().unwrap().len(),
        expected.len(),
        "every message confirmed\n{}",
        publisher.report()
    );

    wait_until(
        "every message is processed and the queues are empty",
        &[&one, &two],
        || one.messages().len() + two.messages().len() >= expected.len() && queues_are_empty(&v),
    );
    // A worker that acked a message twice would have died of a channel error.
    assert!(one.status().is_none(), "{}", one.report());
    assert!(two.status().is_none(), "{}", two.report());

    let mut processed = one.messages();
    processed.extend(two.messages());
    assert_eq!(
        sorted(processed),
        expected,
        "each message once, none redelivered\n{}\n{}",
        one.report(),
        two.report()
    );
    // Fair dispatch: both consumed before the first publish, so both worked.
    assert!(
        !one.messages().is_empty() && !two.messages().is_empty(),
        "the work was not shared\n{}\n{}",
        one.report(),
        two.report()
    );

    one.kill();
    two.kill();
    // Nothing was left unacknowledged, so nothing came back.
    assert!(queues_are_empty(&v));
}

#[test]
fn a_killed_workers_unacknowledged_messages_go_to_the_other_worker() {
    let v = TestVhost::new("examples-kill");
    apply_default_topology(&v);
    let orders = 3;
    let expected = expected_messages(orders);

    // Worker 1 takes a minute per message, so it holds what it gets,
    // unacknowledged: with prefetch 1 per consumer, one job and one event.
    // It works on one (and prints it); the other waits in its buffer.
    let mut slow = Running::worker(1, &["--work-ms", "60000"], &v);
    let count = orders.to_string();
    let mut publisher =
        Running::start("publisher", &examples().publisher, &["--count", &count], &v);
    publisher.finishes();
    wait_until("worker 1 works on a message", &[&slow], || {
        !slow.messages().is_empty()
    });
    let working_on = slow.messages();

    // Worker 2 gets all the rest while worker 1 holds its two; with --max it
    // stops once it has also processed those two after redelivery.
    let total = expected.len().to_string();
    let mut fast = Running::worker(2, &["--max", &total], &v);
    let rest = expected.len() - 2;
    wait_until("worker 2 processes the rest", &[&slow, &fast], || {
        fast.messages().len() >= rest
    });
    assert_eq!(
        fast.messages().len(),
        rest,
        "worker 2 got all but the two held"
    );
    assert_eq!(
        slow.messages(),
        working_on,
        "fair dispatch: nothing more went to the busy worker"
    );
    let in_queues = v.message_count("jobs").unwrap() + v.message_count("order.events").unwrap();
    assert_eq!(in_queues, 2, "worker 1 holds two messages, unacknowledged");

    slow.kill();
    fast.finishes();

    let processed = fast.messages();
    let redelivered: Vec<&str> = processed
        .iter()
        .filter_map(|m| m.strip_suffix(" (redelivered)"))
        .collect();
    assert!(
        redelivered.len() == 2
            && redelivered.iter().any(|m| m.starts_with("jobs "))
            && redelivered.iter().any(|m| m.starts_with("order.events "))
            && redelivered.contains(&working_on[0].as_str()),
        "worker 2 got the job and the event worker 1 held, redelivered; worker 1 had {working_on:?}\n{}",
        fast.report()
    );
    let plain: Vec<String> = processed
        .iter()
        .map(|m| m.trim_end_matches(" (redelivered)").to_string())
        .collect();
    assert_eq!(sorted(plain), expected, "each message once, by worker 2");
    wait_until("the queues are empty", &[&fast], || queues_are_empty(&v));
}
