//! An apply stopped by SIGINT (Ctrl-C) or SIGTERM starts no new change,
//! lets the requests in flight finish, and reports what was done, failed
//! and not started, as a failed apply does; running it again finishes.
//!
//! Regression (issue 20): Ctrl-C during an apply ended it at once, with no
//! summary.

use std::time::{Duration, Instant};

use warren::model::plural;

use super::{Files, spawn_warren, warren, yaml};
use crate::common::broker::{TestVhost, broker};
use crate::common::proxy::{Fault, FaultProxy};
use crate::common::warren::Test;

/// Queues `q000` to `q399` in the test vhost: at one request at a time,
/// long enough to be stopped half-way.
fn many_queues(v: &TestVhost) -> String {
    let mut text = yaml("vhosts: [{name: $V}]\nqueues:\n", &[("V", &v.name)]);
    for n in 0..400 {
        text.push_str(&yaml(
            &format!("  - {{vhost: $V, name: q{n:03}}}\n"),
            &[("V", &v.name)],
        ));
    }
    text
}

/// "1 change", "2 changes": as the report counts them.
fn changes(n: usize) -> String {
    plural(n, "change", "changes")
}

/// The first line where `actual` and `expected` differ, with both
/// versions, for a failure message that ends with it rather than with
/// two 400-line strings.
fn first_difference(actual: &str, expected: &str) -> Option<String> {
    let mut actual_lines = actual.lines();
    let mut expected_lines = expected.lines();
    for line in 1.. {
        match (actual_lines.next(), expected_lines.next()) {
            (None, None) => return None,
            (a, e) if a == e => continue,
            (a, e) => {
                return Some(format!("line {line}: got {a:?}, expected {e:?}"));
            }
        }
    }
    unreachable!("lines() ends")
}

#[test]
fn sigint_stops_an_apply_between_requests_with_a_report() {
    let v = TestVhost::new("apply-sigint");
    let files = Files::new();
    let topology = files.write("t.yaml", &many_queues(&v));
    let running = spawn_warren(
        files.dir(),
        &["apply", "--auto-approve", "--concurrency", "1", &topology],
    )
    .status(1)
    .stdout_any()
    .stderr_any()
    .spawn();
    // Once the first queue exists the apply is under way (its lock queue
    // came before: it is not one of them).
    let started = Instant::now();
    while !v
        .list("queues")
        .iter()
        .any(|q| q["name"] != "warren.apply-lock")
    {
        assert!(started.elapsed() < Duration::from_secs(60), "no queue came");
        std::thread::sleep(Duration::from_millis(20));
    }
    running.signal(libc::SIGINT);
    let run = running.finish();

    let mut created: Vec<String> = v
        .list("queues")
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_string())
        .collect();
    created.sort();
    let done = created.len();
    assert!((1..400).contains(&done), "{done} queues\n{run}");
    // One request at a time, in the plan's order: the first ones.
    let expected: Vec<String> = (0..done).map(|n| format!("q{n:03}")).collect();
    assert_eq!(created, expected, "{run}");

    let report = run
        .stdout
        .split_once("\nStopped by SIGINT")
        .map(|(_, report)| format!("Stopped by SIGINT{report}"))
        .unwrap_or_else(|| panic!("no report\n{run}"));
    // "1 change" when the signal came right after the first one.
    let mut expected_report = format!(
        "Stopped by SIGINT: no change started after it; those in flight finished.\nApplied {}, 0 failed, {} not started.\n",
        changes(done),
        400 - done
    );
    for n in done..400 {
        expected_report.push_str(&format!(
            "  not started: declare queue q{n:03} in vhost {}\n",
            v.name
        ));
    }
    assert_eq!(
        first_difference(&report, &expected_report),
        None,
        "{run}\nthe report differs from the expected one at the line above"
    );
    let stderr: Vec<&str> = run.stderr.lines().collect();
    assert!(
        stderr.contains(&"SIGINT: stopping: no new change starts; waiting for the requests in flight, then reporting (send it again to quit at once)"),
        "{run}"
    );
    assert_eq!(
        run.last_stderr_line(),
        format!(
            "error: apply was stopped by SIGINT (0 failed, {} not started); run apply again: it plans from the live state and finishes the work",
            400 - done
        ),
        "{run}"
    );

    // Running it again finishes the work.
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line(format!(
            "Applied {}, 0 failed, 0 not started.",
            changes(400 - done)
        ))
        .stderr_any()
        .run();
    assert_eq!(v.list("queues").len(), 400);
}

/// A signal before the first change (here while the broker is read for
/// the plan, a listing held up by the proxy) ends the apply at once,
/// changing nothing, and gives its lock back, so the next apply need not
/// wait for it to expire.
#[test]
fn sigint_before_any_change_ends_the_apply_and_gives_the_lock_back() {
    let v = TestVhost::new("apply-sigint-early");
    let files = Files::new();
    let topology = files.write("t.yaml", &many_queues(&v));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let proxy = runtime.block_on(FaultProxy::start_on(
        &broker().url,
        "GET /api/bindings/",
        Fault::Stall,
    ));
    let running = Test::new()
        .current_dir(files.dir())
        .args(["--url", &proxy.url, "--username", &broker().username])
        .env("WARREN_PASSWORD", &broker().password)
        .args(["apply", "--auto-approve", &topology])
        .status(1)
        .stderr("SIGINT: stopped before any change; nothing was changed\n")
        .spawn();
    let started = Instant::now();
    while !proxy
        .log()
        .iter()
        .any(|l| l.starts_with("GET /api/bindings/"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no listing came"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        v.exists("queues", "warren.apply-lock"),
        "the apply holds its lock"
    );
    running.signal(libc::SIGINT);
    running.finish();
    assert!(
        !v.exists("queues", "warren.apply-lock"),
        "the lock is given back"
    );
    assert!(v.list("queues").is_empty(), "nothing was changed");
}
