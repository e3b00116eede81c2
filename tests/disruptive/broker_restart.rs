//! The broker stops in the middle of an apply: `warren apply` of 2,001
//! creates (an exchange, 1,000 queues, 1,000 bindings) is running when
//! `rabbitmqctl stop_app` stops RabbitMQ; the apply must fail cleanly (exit
//! 1, no panic) and say where it stopped, and once the broker is back the
//! next apply must converge.
//!
//! In the disruptive binary, apart from the broker tests (cargo runs test
//! binaries one after another), and alone in it while it runs
//! ([`crate::broker_alone`]): stopping the broker breaks every other
//! broker test running at that moment. The broker is started again as
//! soon as the apply has failed, and by a guard if the test panics first.
//! Needs rabbitmqctl for the test broker's node, with the rights to stop it
//! (`common::broker`: on PATH or in /usr/sbin for 3.10, in its chroot for
//! 4.0, or `WARREN_TEST_RABBITMQCTL`).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::broker::{TestVhost, broker};
use common::warren::Files;
use common::warren::Test;

const QUEUES: usize = 1_000;
/// The exchange, the queues, a binding per queue.
const CHANGES: usize = 1 + 2 * QUEUES;
/// How long the apply may run on once the broker has stopped.
const AFTER_THE_STOP: Duration = Duration::from_secs(60);
/// How long `rabbitmqctl stop_app` may take before the test gives up.
const LONGEST_STOP: Duration = Duration::from_secs(20 * 60);

/// rabbitmqctl against the test broker's node (`common::broker`: on 4.0,
/// the one in its chroot), which must exist.
fn rabbitmqctl(command: &str) -> Command {
    let ctl = broker().rabbitmqctl_command(&[command]);
    let program = Path::new(ctl.get_program());
    assert!(
        (program.is_absolute() && program.exists()) || which(program),
        "this test needs {} to stop and start the broker (WARREN_TEST_RABBITMQCTL)",
        broker().rabbitmqctl.join(" ")
    );
    ctl
}

/// Whether `program` is a file in a directory of PATH.
fn which(program: &Path) -> bool {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .any(|dir| dir.join(program).is_file())
}

/// The end of a thread, or its panic carried on.
fn join<T>(thread: std::thread::JoinHandle<T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn ctl(command: &str) {
    let output = rabbitmqctl(command).output().expect("run rabbitmqctl");
    assert!(
        output.status.success(),
        "rabbitmqctl {command} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether the management API answers `GET /api/overview` with 200.
fn api_answers() -> bool {
    broker()
        .try_request("GET", "/api/overview", None)
        .is_some_and(|raw| raw.status == 200)
}

/// The broker's app, being stopped; started again (and waited for) on
/// drop, so a failing test never leaves the broker down.
struct Stopped {
    since: Instant,
}

impl Stopped {
    /// The guard of a stop that begins now.
    fn now() -> Stopped {
        Stopped {
            since: Instant::now(),
        }
    }

    /// Starts the app and waits until the management API answers; returns
    /// how long the broker was down.
    fn start(self) -> Duration {
        let result = restart(self.since);
        std::mem::forget(self);
        result.unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Starts the app and waits for the management API; `Err` says why not.
fn restart(since: Instant) -> Result<Duration, String> {
    let output = rabbitmqctl("start_app")
        .output()
        .map_err(|e| format!("cannot run rabbitmqctl start_app: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rabbitmqctl start_app failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while !api_answers() {
        if Instant::now() > deadline {
            return Err("the management API did not answer within 120 s of start_app".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(since.elapsed())
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // Already panicking: report, do not panic again.
        if let Err(e) = restart(self.since) {
            eprintln!("{e}; start the broker with scripts/broker");
        }
    }
}

fn topology(files: &Files, vhost: &str) -> PathBuf {
    let mut yaml = String::from(
        "vhosts:\n  - name: $V\nexchanges:\n  - {name: fan, vhost: $V, type: topic}\nqueues:\n",
    );
    for i in 0..QUEUES {
        yaml.push_str(&format!("  - {{name: q{i:04}, vhost: $V}}\n"));
    }
    yaml.push_str("bindings:\n");
    for i in 0..QUEUES {
        yaml.push_str(&format!(
            "  - {{source: fan, destination: q{i:04}, vhost: $V, routing_key: k.{i}}}\n"
        ));
    }
    files.topology("topology.yaml", vhost, &yaml)
}

/// `warren --url … --timeout 10 <args> FILE` against the broker.
fn warren(args: &[&str], file: &Path) -> Test {
    Test::broker()
        .args(["--timeout", "10"])
        .args(args)
        .arg(file)
}

fn queue_count(vhost: &TestVhost) -> usize {
    broker()
        .try_request(
            "GET",
            &format!("{}?columns=name", vhost.path("queues", &[])),
            None,
        )
        .filter(|raw| raw.status == 200)
        .and_then(|raw| raw.json().as_array().map(Vec::len))
        .unwrap_or(0)
}

#[test]
fn an_apply_interrupted_by_a_broker_stop_fails_cleanly_and_the_next_converges() {
    let _alone = crate::broker_alone();
    assert!(api_answers(), "no broker: start one with scripts/broker");
    let _ = rabbitmqctl("status");
    let vhost = TestVhost::new("restart");
    let files = Files::new();
    let file = topology(&files, &vhost.name);

    // A low concurrency keeps the apply running for several seconds, long
    // enough for rabbitmqctl to start and stop the broker in its middle.
    let running = warren(&["apply", "--auto-approve", "--concurrency", "2"], &file).spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while queue_count(&vhost) < 50 {
        if Instant::now() > deadline {
            let run = running.wait_or_kill(|| true);
            panic!("the apply created no queues:\n{}", run.output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let existing = queue_count(&vhost);

    // The apply's output (190 KB: the report lists what was not started) is
    // read while the broker stops: unread, it filled the pipe and held the
    // apply in a write. A stop takes 6 s here, but one took ten minutes in
    // CI (with the apply held that way), so the bound on the apply counts
    // from the end of the stop, not from its start.
    let stopped = Stopped::now();
    let stopping = std::thread::spawn(|| {
        ctl("stop_app");
        Instant::now()
    });
    let mut stopping = Some(stopping);
    let mut stop_ended: Option<Instant> = None;
    let run = running.wait_or_kill(|| {
        if stopping.as_ref().is_some_and(|t| t.is_finished()) {
            stop_ended = stopping.take().map(join);
        }
        match stop_ended {
            Some(ended) => ended.elapsed() > AFTER_THE_STOP,
            None => stopped.since.elapsed() > LONGEST_STOP,
        }
    });
    let warren_ended = Instant::now();
    let stop_ended = stop_ended.or_else(|| stopping.map(join));
    let stop_took = stop_ended.map(|ended| ended - stopped.since);
    let failed_after = warren_ended - stopped.since;
    let down = stopped.start();

    let context = format!(
        "stop_app began with {existing} queues and took {}; the apply ended {:.1} s after it began\n{}",
        stop_took.map_or("longer than the bound".to_string(), |t| format!(
            "{:.1} s",
            t.as_secs_f64()
        )),
        failed_after.as_secs_f64(),
        run.output()
    );
    assert!(
        !run.killed,
        "the apply did not end within {} s of the broker's stop:\n{context}",
        AFTER_THE_STOP.as_secs()
    );
    assert!(!run.stderr.contains("panicked"), "{context}");
    assert_eq!(run.code, Some(1), "{context}");
    let report = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Applied "))
        .unwrap_or_else(|| panic!("no report:\n{context}"));
    let counts: Vec<usize> = report
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let [applied, failed, not_started] = counts[..] else {
        panic!("not a report line: {report}\n{context}");
    };
    assert_eq!(applied + failed + not_started, CHANGES, "{context}");
    assert!(applied >= existing, "{context}");
    assert!(failed >= 1 && not_started >= 1, "{context}");
    assert!(run.stdout.contains("\n  failed: "), "{context}");
    assert!(run.stdout.contains("\n  not started: "), "{context}");
    assert!(
        run.stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with(&format!(
                "error: apply did not finish ({failed} failed, {not_started} not started)"
            ))),
        "{context}"
    );
    let first_failure = run
        .stdout
        .lines()
        .find(|l| l.starts_with("  failed: "))
        .unwrap_or_default()
        .to_string();

    warren(&["apply", "--auto-approve"], &file)
        .limit(Duration::from_secs(120))
        .stdout_any()
        .stderr_any()
        .run();
    warren(&["plan"], &file)
        .limit(Duration::from_secs(60))
        .stdout("No changes. The broker matches the files.\n")
        .run();
    assert_eq!(queue_count(&vhost), QUEUES);
    println!(
        "broker restart: stopped after {existing} queues existed (stop_app took {:.1} s); \
         the apply failed {:.1} s after the stop began with {report:?}; \
         first failure: {}; broker down {:.1} s; the next apply converged",
        stop_took.unwrap_or_default().as_secs_f64(),
        failed_after.as_secs_f64(),
        first_failure.trim(),
        down.as_secs_f64()
    );
}
