//! `warren apply` under injected faults: for every request an apply makes
//! and every kind of fault ([`Fault`]), the apply either absorbs the fault
//! (a retried request) and converges, or fails cleanly with a report of
//! what it did, what failed and what it did not start; either way the next
//! apply converges and no queue that was to keep its messages loses one.
//!
//! The plan (30 changes) has creates in every phase (policies, exchanges,
//! queues, bindings, exchange-to-exchange bindings), a policy update, a
//! replace of a queue bound from two exchanges, and deletions under
//! `--prune` (a policy, an exchange with its binding, a queue with its
//! binding, a lone binding). Each scenario runs in a vhost of its own,
//! prepared from scratch, behind a proxy of its own, so scenarios run in
//! parallel.
//!
//! What each fault must do:
//! - a dropped connection, a 500 or a 503: the client repeats the request
//!   (every request of an apply is safe to repeat: PUTs, binding POSTs that
//!   the broker never duplicates, DELETEs that take 404 as done), so the
//!   apply exits 0 with every change applied;
//! - a stall: a timeout, never repeated, so the apply exits 1. While
//!   planning, before any change, with an error naming the URL; on a write,
//!   with the report `Applied N changes, 1 failed, M not started.` whose
//!   counts add up to the plan, naming the URL; on the verification read,
//!   with every change reported applied and an error saying the read
//!   failed. When another request than the stalled one timed out (the
//!   broker, serving six scenarios at once, took over the 1 s itself), the
//!   run says nothing about the fault: the scenario runs again, up to three
//!   times. So it does when the broker itself failed another request (a
//!   5xx, or no answer), which the client repeated.

use crate::common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::broker::{TestVhost, broker, enc};
use common::process::Run;
use common::proxy::{Fault, FaultProxy};
use common::warren::Test;

/// The queues that keep their messages through the apply, and how many
/// each holds.
const KEPT: [(&str, u64); 3] = [("keep.a", 3), ("keep.b", 2), ("keep.c", 1)];

/// Changes the plan holds: 3 policy (1 update), 4 exchange, 7 queue (1
/// replace), 10 binding creates (2 re-created with the replaced queue),
/// 6 deletions (2 of them bindings that go with their exchange or queue).
const CHANGES: usize = 30;

/// The flags every apply here runs with.
const APPLY: [&str; 5] = [
    "apply",
    "--auto-approve",
    "--prune",
    "--allow-recreate",
    "--allow-data-loss",
];

/// How long a run may take before it counts as hung.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The live state before the apply, as a vhost definitions import.
fn prepared_definitions() -> Value {
    let exchange = |name: &str, kind: &str| json!({"name": name, "type": kind, "durable": true, "auto_delete": false, "internal": false, "arguments": {}});
    let queue =
        |name: &str| json!({"name": name, "durable": true, "auto_delete": false, "arguments": {}});
    let binding = |source: &str, destination: &str, key: &str| json!({"source": source, "destination": destination, "destination_type": "queue", "routing_key": key, "arguments": {}});
    json!({
        "policies": [
            {"name": "ttl-keep", "pattern": "^keep\\.", "apply-to": "queues", "priority": 0,
             "definition": {"message-ttl": 3_600_000}},
            {"name": "old-policy", "pattern": "^nothing$", "apply-to": "queues", "priority": 0,
             "definition": {"max-length": 100}},
        ],
        "exchanges": [
            exchange("events", "topic"),
            exchange("audit", "fanout"),
            exchange("old-x", "direct"),
        ],
        "queues": [queue("keep.a"), queue("keep.b"), queue("keep.c"), queue("swap"), queue("old-q")],
        "bindings": [
            binding("events", "keep.a", "a.*"),
            binding("audit", "keep.b", ""),
            binding("events", "keep.c", "stale"),
            binding("events", "swap", "swap.#"),
            binding("audit", "swap", ""),
            binding("old-x", "keep.a", "old"),
            binding("events", "old-q", "old.#"),
        ],
    })
}

/// The files' topology for `vhost`.
fn desired_yaml(vhost: &str) -> String {
    format!(
        r##"vhosts:
  - name: {vhost}
policies:
  - {{name: ttl-keep, vhost: {vhost}, pattern: "^keep\\.", apply_to: queues, definition: {{message-ttl: 7200000}}}}
  - {{name: max-new, vhost: {vhost}, pattern: "^new\\.", apply_to: queues, definition: {{max-length: 1000}}}}
  - {{name: orders-ae, vhost: {vhost}, pattern: "^orders$", apply_to: exchanges, definition: {{alternate-exchange: unrouted}}}}
exchanges:
  - {{name: events, vhost: {vhost}, type: topic}}
  - {{name: audit, vhost: {vhost}, type: fanout}}
  - {{name: orders, vhost: {vhost}, type: topic}}
  - {{name: orders.archive, vhost: {vhost}, type: fanout}}
  - {{name: unrouted, vhost: {vhost}, type: fanout}}
  - {{name: match, vhost: {vhost}, type: headers}}
queues:
  - {{name: keep.a, vhost: {vhost}}}
  - {{name: keep.b, vhost: {vhost}}}
  - {{name: keep.c, vhost: {vhost}}}
  - {{name: swap, vhost: {vhost}, arguments: {{x-max-priority: 5}}}}
  - {{name: new.1, vhost: {vhost}}}
  - {{name: new.2, vhost: {vhost}}}
  - {{name: new.3, vhost: {vhost}}}
  - {{name: new.4, vhost: {vhost}}}
  - {{name: new.5, vhost: {vhost}}}
  - {{name: new.6, vhost: {vhost}}}
bindings:
  - {{source: events, destination: keep.a, vhost: {vhost}, routing_key: "a.*"}}
  - {{source: audit, destination: keep.b, vhost: {vhost}}}
  - {{source: events, destination: swap, vhost: {vhost}, routing_key: "swap.#"}}
  - {{source: audit, destination: swap, vhost: {vhost}}}
  - {{source: events, destination: orders, destination_type: exchange, vhost: {vhost}, routing_key: "order.#"}}
  - {{source: orders, destination: orders.archive, destination_type: exchange, vhost: {vhost}}}
  - {{source: orders, destination: new.1, vhost: {vhost}, routing_key: order.created}}
  - {{source: orders, destination: new.2, vhost: {vhost}, routing_key: order.paid}}
  - {{source: orders.archive, destination: new.3, vhost: {vhost}}}
  - {{source: unrouted, destination: new.4, vhost: {vhost}}}
  - {{source: match, destination: new.5, vhost: {vhost}, arguments: {{x-match: all, region: eu}}}}
  - {{source: events, destination: new.6, vhost: {vhost}, routing_key: "#"}}
"##
    )
}

/// A vhost in the prepared state, with its topology file.
struct Prepared {
    vhost: TestVhost,
    _dir: tempfile::TempDir,
    file: String,
}

impl Prepared {
    fn new() -> Prepared {
        let vhost = TestVhost::new("faults");
        broker().expect_ok(
            "POST",
            &format!("/api/definitions/{}", enc(&vhost.name)),
            Some(&prepared_definitions()),
        );
        for i in 0..3 {
            assert!(vhost.publish("events", "a.x", &format!("a-{i}")));
        }
        for i in 0..2 {
            // Reaches keep.b and swap.
            assert!(vhost.publish("audit", "", &format!("b-{i}")));
        }
        assert!(vhost.publish("", "keep.c", "c-0"));
        assert!(vhost.publish("", "old-q", "old-0"));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("topology.yaml");
        std::fs::write(&file, desired_yaml(&vhost.name)).expect("write the topology");
        let prepared = Prepared {
            file: file.display().to_string(),
            _dir: dir,
            vhost,
        };
        assert_eq!(
            prepared.messages_lost(),
            0,
            "the prepared messages are there"
        );
        prepared
    }

    /// How many of the kept queues' messages are missing (live count).
    fn messages_lost(&self) -> u64 {
        KEPT.iter()
            .map(|(queue, want)| want.saturating_sub(self.vhost.message_count(queue).unwrap_or(0)))
            .sum()
    }

    /// `warren [--timeout T] <args> FILE` against `url`.
    fn warren(&self, url: &str, timeout: u64, args: &[&str]) -> Run {
        let b = broker();
        Test::new()
            .args(["--url", url, "--username", &b.username])
            .args(["--timeout", &timeout.to_string()])
            .env("WARREN_PASSWORD", &b.password)
            .args(args)
            .arg(&self.file)
            .limit(RUN_LIMIT)
            .output()
    }
}

/// `Applied N changes, F failed, M not started.` read back.
fn report_counts(stdout: &str) -> Option<(usize, usize, usize)> {
    let line = stdout.lines().find(|l| l.starts_with("Applied "))?;
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    match numbers[..] {
        [applied, failed, not_started] => Some((applied, failed, not_started)),
        _ => None,
    }
}

/// Where in an apply a request falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Taking the apply lock and reading the live state, before anything
    /// changed.
    Planning,
    /// A write.
    Change,
    /// The fresh read after the last write.
    Verification,
    /// Giving the apply lock back, once the apply is done.
    Release,
}

fn stage(log: &[String], k: usize) -> Stage {
    // The lock queue `warren.apply-lock`, as its name is encoded in a path.
    let is_lock = |line: &String| line.contains("/warren%2Eapply%2Dlock");
    let is_write = |line: &String| !line.starts_with("GET ") && !is_lock(line);
    let after_a_write = log[..k - 1].iter().any(is_write);
    if is_lock(&log[k - 1]) && after_a_write {
        Stage::Release
    } else if is_write(&log[k - 1]) {
        Stage::Change
    } else if after_a_write {
        Stage::Verification
    } else {
        Stage::Planning
    }
}

/// Why a scenario did not go as it must.
enum Miss {
    /// warren did something wrong: what, with its output.
    Wrong(String),
    /// The broker itself, not the fault, decided the run: under a stall's
    /// 1 s timeout it was too slow on a request the proxy passed through,
    /// or it failed one (a 5xx, no answer) that the client then repeated.
    /// The run says nothing about the fault.
    SlowBroker(String),
}

/// The URL of a request that timed out although the proxy did not stall
/// it (its path is not `stalled`; with `None`, the proxy stalled none of
/// the requests made), as the run's messages name it.
fn timed_out_elsewhere(run: &Run, stalled: Option<&str>) -> Option<String> {
    let text = format!("{}{}", run.stdout, run.stderr);
    text.split("no answer from ")
        .skip(1)
        .filter_map(|rest| rest.split_once(" within 1 s").map(|(url, _)| url))
        .find(|url| stalled.is_none_or(|stalled| !url.ends_with(stalled)))
        .map(str::to_string)
}

/// What a scenario that went as it must ended with.
struct Outcome {
    converged: bool,
    lost: u64,
    elapsed: Duration,
}

/// A scenario's request number, fault and outcome (`Err`: what went
/// wrong, with warren's output).
type Finished = (usize, Fault, Result<Outcome, String>);

/// Applies through a proxy that injects `fault` on request `k`, checks the
/// run against what that fault must do, then applies directly and checks
/// that the broker converged without losing a kept message.
/// `requests` is how many requests a clean apply makes.
fn scenario(
    runtime: &tokio::runtime::Runtime,
    requests: usize,
    k: usize,
    fault: Fault,
) -> Result<Outcome, Miss> {
    let started = Instant::now();
    let prepared = Prepared::new();
    let proxy = runtime.block_on(FaultProxy::start(&broker().url, Some((k, fault))));
    // Only a stall needs the short timeout; the others get the default, so
    // a slow answer on a busy machine is not taken for the fault.
    let timeout = if fault == Fault::Stall { 1 } else { 30 };
    let run = prepared.warren(&proxy.url, timeout, &APPLY);
    let log = proxy.log();
    // Requests other than the K-th that the broker itself failed (a 5xx,
    // or no answer): their retries are the broker's doing.
    let broker_failed: Vec<usize> = proxy
        .broker_failures()
        .into_iter()
        .filter(|n| *n != k)
        .collect();
    drop(proxy);
    let context = |what: &str| -> String {
        format!(
            "K={k} {fault:?} on {}: {what}\n{}",
            log.get(k - 1).map_or("(no such request)", String::as_str),
            run.output()
        )
    };
    if log.len() < k {
        // Regression: on a loaded machine the broker itself took over 1 s
        // on a read before the stalled request, so the apply ended before
        // it: that is the broker's slowness, not the fault's outcome.
        if fault == Fault::Stall
            && let Some(url) = timed_out_elsewhere(&run, None)
        {
            return Err(Miss::SlowBroker(context(&format!(
                "the broker itself took over 1 s to answer {url}, before the stalled request"
            ))));
        }
        return Err(Miss::Wrong(context(
            "the apply made fewer requests than the fault run needs",
        )));
    }
    let request = &log[k - 1];
    let path = request.split_once(' ').map_or("", |(_, p)| p);
    let stage = stage(&log, k);
    let counts = report_counts(&run.stdout);

    if stage == Stage::Release {
        // The apply is done and reported; giving the lock back is tried
        // again, so the next apply is not held off.
        if run.code != Some(0) || counts != Some((CHANGES, 0, 0)) {
            return Err(Miss::Wrong(context(&format!(
                "a fault while giving the lock back changes nothing: exit 0 and \"Applied {CHANGES} changes, 0 failed, 0 not started.\""
            ))));
        }
    } else if fault == Fault::Stall {
        if run.code != Some(1) {
            return Err(Miss::Wrong(context(
                "a stalled request must fail the apply (exit 1)",
            )));
        }
        if let Some(url) = timed_out_elsewhere(&run, Some(path)) {
            return Err(Miss::SlowBroker(context(&format!(
                "the broker itself took over 1 s to answer {url}, a request the proxy did not stall"
            ))));
        }
        let named = |text: &str| text.contains(path) && text.contains("within 1 s");
        match stage {
            Stage::Planning => {
                if counts.is_some() || !named(&run.stderr) {
                    return Err(Miss::Wrong(context(
                        "a stall while planning fails before any change, naming the URL and the timeout",
                    )));
                }
            }
            Stage::Change => {
                // One change failed: the stalled request's. (A pruned
                // binding that goes with old-q or old-x counts as not
                // started when its queue's or exchange's delete fails.)
                let Some((applied, failed, not_started)) = counts else {
                    return Err(Miss::Wrong(context("expected a report")));
                };
                if failed != 1 {
                    return Err(Miss::Wrong(context(
                        "expected 1 failed change: the stalled request's",
                    )));
                }
                if applied + failed + not_started != CHANGES {
                    return Err(Miss::Wrong(context(&format!(
                        "the report's counts do not add up to the plan's {CHANGES} changes"
                    ))));
                }
                let failed_line = run.stdout.lines().find(|l| l.starts_with("  failed: "));
                if !failed_line.is_some_and(named) {
                    return Err(Miss::Wrong(context(
                        "the report must name the failed request's URL and the timeout",
                    )));
                }
                if not_started > 0 && !run.stdout.contains("  not started: ") {
                    return Err(Miss::Wrong(context(
                        "the report must list what was not started",
                    )));
                }
                if log.iter().filter(|l| *l == request).count() != 1 {
                    return Err(Miss::Wrong(context(
                        "a timed-out write must not be repeated",
                    )));
                }
            }
            Stage::Release => unreachable!("a fault while giving the lock back is checked above"),
            Stage::Verification => {
                if counts != Some((CHANGES, 0, 0))
                    || !named(&run.stderr)
                    || !run
                        .stderr
                        .contains("every change was applied, but reading the broker back")
                {
                    return Err(Miss::Wrong(context(
                        "a stall on the verification read: every change applied and reported, \
                         then an error naming the URL and the timeout",
                    )));
                }
            }
        }
    } else {
        // Every request of an apply is safe to repeat, and the client
        // repeats it after a broken connection or a 5xx: the retry absorbs
        // the fault.
        if run.code != Some(0) || counts != Some((CHANGES, 0, 0)) {
            return Err(Miss::Wrong(context(&format!(
                "a retried request absorbs the fault: exit 0 and \"Applied {CHANGES} changes, 0 failed, 0 not started.\""
            ))));
        }
        // The retry of a write whose first try reached the broker finds
        // its work done (the lock already declared: 204; the queue already
        // deleted: 404), which is read back once before it counts.
        // Other requests run meanwhile: the read back is any later GET of
        // the same kind of object in the same vhost.
        let listing: String = path
            .split('?')
            .next()
            .unwrap_or("")
            .split('/')
            .take(4)
            .collect::<Vec<_>>()
            .join("/");
        let read_back = log.len() == requests + 2
            && log.iter().filter(|r| *r == request).count() == 2
            && log[k..]
                .iter()
                .any(|r| r.starts_with(&format!("GET {listing}")));
        if log.len() != requests + 1 && !read_back {
            if let Some(n) = broker_failed.first() {
                return Err(Miss::SlowBroker(context(&format!(
                    "the broker itself failed request {n} ({}), which the client repeated",
                    log[n - 1]
                ))));
            }
            let made: String = log
                .iter()
                .enumerate()
                .map(|(i, line)| format!("\n  {:>2} {line}", i + 1))
                .collect();
            return Err(Miss::Wrong(context(&format!(
                "expected the {requests} requests of a clean apply and one retry (and one read \
                 back when the retry finds the work done), not {}:{made}",
                log.len()
            ))));
        }
    }
    let lost_after_fault = prepared.messages_lost();

    let again = prepared.warren(&broker().url, 30, &APPLY);
    if again.code != Some(0) {
        return Err(Miss::Wrong(context(&format!(
            "the next apply must succeed:\n{}",
            again.output()
        ))));
    }
    let plan = prepared.warren(&broker().url, 30, &["plan", "--prune"]);
    let converged = plan.code == Some(0)
        && plan
            .stdout
            .contains("No changes. The broker matches the files.");
    if !converged {
        return Err(Miss::Wrong(context(&format!(
            "after the next apply, plan --prune must find no changes:\n{}",
            plan.output()
        ))));
    }
    let lost = lost_after_fault + prepared.messages_lost();
    if lost > 0 {
        return Err(Miss::Wrong(context(&format!(
            "{lost} kept messages were lost"
        ))));
    }
    Ok(Outcome {
        converged,
        lost,
        elapsed: started.elapsed(),
    })
}

/// Runs a scenario, again (up to [`SLOW_BROKER_TRIES`] times) while the
/// broker's own slowness, not the fault, decides it; counts those in `slow`.
fn scenario_on_a_broker_in_time(
    runtime: &tokio::runtime::Runtime,
    requests: usize,
    k: usize,
    fault: Fault,
    slow: &AtomicUsize,
) -> Result<Outcome, String> {
    let mut tries = 0;
    loop {
        tries += 1;
        match scenario(runtime, requests, k, fault) {
            Ok(outcome) => return Ok(outcome),
            Err(Miss::Wrong(what)) => return Err(what),
            Err(Miss::SlowBroker(what)) if tries == SLOW_BROKER_TRIES => {
                return Err(format!("{what}\n(the same {tries} times in a row)"));
            }
            Err(Miss::SlowBroker(_)) => {
                slow.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// The runtime the proxies of a test run in: two threads, so a proxy
/// serves requests that arrive at once.
fn proxy_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// How many times a scenario decided by the broker's slowness is run.
const SLOW_BROKER_TRIES: usize = 3;

#[test]
fn every_fault_on_every_request_is_reported_and_the_next_apply_converges() {
    let _broker = crate::broker_up();
    let runtime = proxy_runtime();
    let started = Instant::now();

    // Learn how many requests a clean apply makes, through a proxy.
    let prepared = Prepared::new();
    let proxy = runtime.block_on(FaultProxy::start(&broker().url, None));
    let run = prepared.warren(&proxy.url, 30, &APPLY);
    assert_eq!(run.code, Some(0), "{}", run.output());
    assert_eq!(
        report_counts(&run.stdout),
        Some((CHANGES, 0, 0)),
        "{}",
        run.output()
    );
    let requests = proxy.requests();
    let log = proxy.log();
    drop(proxy);
    let plan = prepared.warren(&broker().url, 30, &["plan", "--prune"]);
    assert!(
        plan.stdout
            .contains("No changes. The broker matches the files."),
        "{}",
        plan.output()
    );
    assert_eq!(prepared.messages_lost(), 0);
    drop(prepared);
    eprintln!("a clean apply makes {requests} requests:");
    for (i, line) in log.iter().enumerate() {
        eprintln!("  {:>2} {line}", i + 1);
    }

    let scenarios: Vec<(usize, Fault)> = (1..=requests)
        .flat_map(|k| Fault::ALL.map(|f| (k, f)))
        .collect();
    let workers: usize = std::env::var("WARREN_FAULT_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let next = AtomicUsize::new(0);
    let slow = AtomicUsize::new(0);
    let results: Mutex<Vec<Finished>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(k, fault)) = scenarios.get(i) else {
                        return;
                    };
                    let outcome = scenario_on_a_broker_in_time(&runtime, requests, k, fault, &slow);
                    results.lock().unwrap().push((k, fault, outcome));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(k, f, _)| (*k, *f as u8));

    let run = results.len();
    let converged = results
        .iter()
        .filter(|(_, _, r)| r.as_ref().is_ok_and(|o| o.converged))
        .count();
    let lost: u64 = results
        .iter()
        .filter_map(|(_, _, r)| r.as_ref().ok())
        .map(|o| o.lost)
        .sum();
    let slowest = results
        .iter()
        .filter_map(|(_, _, r)| r.as_ref().ok())
        .map(|o| o.elapsed)
        .max()
        .unwrap_or_default();
    let failures: Vec<&String> = results
        .iter()
        .filter_map(|(_, _, r)| r.as_ref().err())
        .collect();
    println!(
        "fault scenarios: {run} run, {converged} converged, {lost} messages lost \
         ({requests} requests x {} faults, {workers} at a time, {:.0} s in all, slowest {:.1} s; \
         {} run again because the broker itself was slow on, or failed, a request not faulted)",
        Fault::ALL.len(),
        started.elapsed().as_secs_f64(),
        slowest.as_secs_f64(),
        slow.into_inner()
    );
    for failure in &failures {
        println!("\nFAILED {failure}");
    }
    // What went wrong in each (K, fault, request, what), without warren's
    // output, once more at the end, where a log cut to its end shows it.
    let headlines: String = failures
        .iter()
        .map(|f| format!("\n  {}", f.split("\nexit ").next().unwrap_or_default()))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {run} fault scenarios went wrong (whole output above):{headlines}",
        failures.len()
    );
    assert_eq!(converged, scenarios.len());
    assert_eq!(lost, 0);
}

/// Regression: when the read that verifies a complete apply failed, the
/// error replaced the report, so the user never learnt that every change
/// had been applied.
#[test]
fn a_failed_verification_read_still_reports_what_was_applied() {
    let _broker = crate::broker_up();
    let runtime = proxy_runtime();
    // The same plan twice: once to find the verification's first request,
    // once to stall it.
    let clean = Prepared::new();
    let proxy = runtime.block_on(FaultProxy::start(&broker().url, None));
    let run = clean.warren(&proxy.url, 30, &APPLY);
    assert_eq!(run.code, Some(0), "{}", run.output());
    let log = proxy.log();
    let k = (1..=log.len())
        .find(|&k| stage(&log, k) == Stage::Verification)
        .expect("a verification read");
    drop(proxy);

    let prepared = Prepared::new();
    let proxy = runtime.block_on(FaultProxy::start(&broker().url, Some((k, Fault::Stall))));
    let run = prepared.warren(&proxy.url, 1, &APPLY);
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert_eq!(
        report_counts(&run.stdout),
        Some((CHANGES, 0, 0)),
        "{}",
        run.output()
    );
    assert!(
        run.stderr.contains(&format!(
            "error: every change was applied, but reading the broker back to verify them failed: no answer from {}",
            proxy.url
        )),
        "{}",
        run.output()
    );
}

#[test]
fn a_timeout_on_a_request_the_proxy_did_not_stall_is_told_apart() {
    let run = |failed_path: &str| Run {
        code: Some(1),
        stdout: format!(
            "Applied 23 changes, 1 failed, 6 not started.\n  failed: create binding: no answer \
             from http://127.0.0.1:46347{failed_path} within 1 s while trying to create it\n"
        ),
        stderr: format!("FAILED: no answer from http://127.0.0.1:46347{failed_path} within 1 s\n"),
        elapsed: Duration::from_secs(1),
        killed: false,
    };
    let stalled = "/api/bindings/v/e/orders/q/new%2E1";
    let other = "/api/bindings/v/e/orders%2Earchive/q/new%2E3";
    assert_eq!(timed_out_elsewhere(&run(stalled), Some(stalled)), None);
    assert_eq!(
        timed_out_elsewhere(&run(other), Some(stalled)),
        Some(format!("http://127.0.0.1:46347{other}"))
    );
    let listing = "/api/queues/v?disable_stats=true&columns=name";
    assert_eq!(timed_out_elsewhere(&run(listing), Some(listing)), None);
    // An apply that ended before the stalled request: any timeout was the
    // broker's own.
    assert_eq!(
        timed_out_elsewhere(&run(listing), None),
        Some(format!("http://127.0.0.1:46347{listing}"))
    );
}

/// The fault lands on the request the log shows as the K-th, also when
/// requests arrive at once (an apply sends its independent changes
/// together): the scenarios above read the faulted request from the log.
#[test]
fn the_proxy_faults_the_request_its_log_numbers_k() {
    let _broker = crate::broker_up();
    let runtime = proxy_runtime();
    const AT_ONCE: usize = 48;
    for k in [1, 7, 24, 48] {
        for _ in 0..10 {
            let proxy = runtime.block_on(FaultProxy::start(
                &broker().url,
                Some((k, Fault::Answer503)),
            ));
            let address = proxy.url.trim_start_matches("http://").to_string();
            let answered_503: Vec<String> = runtime.block_on(async {
                let requests = (0..AT_ONCE).map(|i| {
                    let address = address.clone();
                    tokio::spawn(async move {
                        let line = format!("GET /api/overview?request={i}");
                        let status = status_of(&address, &line).await;
                        (line, status)
                    })
                });
                let mut faulted = Vec::new();
                for request in requests.collect::<Vec<_>>() {
                    let (line, status) = request.await.expect("a request task");
                    if status.as_deref() == Some("503") {
                        faulted.push(line);
                    }
                }
                faulted
            });
            let log = proxy.log();
            assert_eq!(log.len(), AT_ONCE);
            assert_eq!(answered_503, [log[k - 1].clone()], "K={k}");
        }
    }
}

/// Sends `line` (`METHOD /path`) as a request to `address` and reads the
/// answer's status code.
async fn status_of(address: &str, line: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(address).await.ok()?;
    let request = format!("{line} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.ok()?;
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1).map(str::to_string)
}
