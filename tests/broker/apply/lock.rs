//! The apply lock: while an apply runs, another apply of the same vhost is
//! refused before it reads or changes anything, naming the holder; the
//! lock is given back at the end, and the lock of an apply that died
//! expires on its own (the broker deletes the lock queue once it goes
//! unrenewed). A user who may not declare the lock queue applies without
//! it, warned.
//!
//! Regression (issue 20): there was no lock, and the loser of two
//! concurrent applies failed with errors that misdiagnosed the cause.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Files, raw_state, spawn_warren, warren, yaml};
use crate::common::broker::{TestUser, TestVhost, broker, enc};

/// Queues `q000` to `q299`: at one request at a time, long enough for a
/// second apply to meet the first.
fn many_queues(v: &TestVhost) -> String {
    let mut text = yaml("vhosts: [{name: $V}]\nqueues:\n", &[("V", &v.name)]);
    for n in 0..300 {
        text.push_str(&yaml(
            &format!("  - {{vhost: $V, name: q{n:03}}}\n"),
            &[("V", &v.name)],
        ));
    }
    text
}

fn lock_exists(v: &TestVhost) -> bool {
    v.exists("queues", "warren.apply-lock")
}

#[test]
fn a_second_apply_is_refused_while_the_first_holds_the_lock() {
    let v = TestVhost::new("apply-lock");
    let files = Files::new();
    let topology = files.write("t.yaml", &many_queues(&v));
    let first = spawn_warren(
        files.dir(),
        &["apply", "--auto-approve", "--concurrency", "1", &topology],
    )
    .stdout_any()
    .stderr_any()
    .spawn();
    let started = Instant::now();
    while v.list("queues").len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(60), "no queue came");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lock_exists(&v), "the first apply holds the lock");

    let second = warren(files.dir(), &["apply", "--auto-approve", &topology])
        .status(1)
        .stderr_any()
        .run();
    let refusal = regex::Regex::new(&format!(
        r"\Aerror: vhost '{}' is locked by another apply: user '{}' on host '[^']+' \(pid \d+\), which took it \d+ s ago; nothing was changed: wait for it to end, then run apply again \(the lock of an apply that died expires 60 s after it last renewed it: queue warren.apply-lock in that vhost\)\n\z",
        regex::escape(&v.name),
        regex::escape(&broker().username)
    ))
    .unwrap();
    assert!(refusal.is_match(&second.stderr), "{second}");
    assert_eq!(second.stdout, "", "refused before it planned: {second}");

    first.finish();
    assert!(!lock_exists(&v), "the lock is given back");
    assert_eq!(v.list("queues").len(), 300);
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout("No changes. The broker matches the files.\n")
        .run();
    assert!(!lock_exists(&v));
}

/// An apply that died leaves its lock behind; the broker deletes it once
/// it goes unrenewed (here after 2 s, as a lock made by hand says; an
/// apply's own expires after 60 s).
#[test]
fn the_lock_of_an_apply_that_died_expires() {
    let v = TestVhost::new("apply-lock-expiry");
    let files = Files::new();
    let topology = files.write(
        "t.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: jobs}]\n",
            &[("V", &v.name)],
        ),
    );
    v.put_queue(
        "warren.apply-lock",
        json!({"durable": true, "auto_delete": false, "arguments": {
            "x-expires": 2000,
            "x-queue-type": "classic",
            "x-warren-owner": {"token": "dead", "user": "ghost", "host": "gone", "pid": 1, "since": 0},
        }}),
    );
    let state = raw_state(&v);
    let run = warren(files.dir(), &["apply", "--auto-approve", &topology])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr.starts_with(&format!(
            "error: vhost '{}' is locked by another apply: user 'ghost' on host 'gone' (pid 1), which took it ",
            v.name
        )),
        "{run}"
    );
    assert_eq!(raw_state(&v), state, "nothing was changed");

    let started = Instant::now();
    while lock_exists(&v) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the lock never expired"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert!(!lock_exists(&v));
}

/// A lock held by an apply of this host whose process is gone (killed, or
/// cut off by a broker stop) is taken over at once: the next apply need
/// not wait for the expiry.
#[test]
fn the_lock_of_a_dead_process_on_this_host_is_taken_over() {
    let v = TestVhost::new("apply-lock-dead-here");
    let files = Files::new();
    let topology = files.write(
        "t.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: jobs}]\n",
            &[("V", &v.name)],
        ),
    );
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    // A pid no process has: above the kernel's largest.
    let dead = 4_194_305;
    v.put_queue(
        "warren.apply-lock",
        json!({"durable": true, "auto_delete": false, "arguments": {
            "x-expires": 60000,
            "x-queue-type": "classic",
            "x-warren-owner": {"token": "dead", "user": "ghost", "host": host, "pid": dead, "since": 0},
        }}),
    );
    warren(files.dir(), &["apply", "--auto-approve", &topology])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert!(!lock_exists(&v));
}

/// A policymaker with an empty permission entry (enough to manage
/// policies) may not declare the lock queue: the apply goes on, warned.
#[test]
fn a_user_who_may_not_declare_the_lock_applies_without_it_warned() {
    let v = TestVhost::new("apply-lock-policymaker");
    let user = TestUser::new("lock-pm", "policymaker");
    broker().expect_ok(
        "PUT",
        &format!("/api/permissions/{}/{}", enc(&v.name), enc(&user.name)),
        Some(&json!({"configure": "", "write": "", "read": ""})),
    );
    let files = Files::new();
    let topology = files.write(
        "t.yaml",
        &yaml(
            "vhosts: [{name: $V}]\npolicies: [{vhost: $V, name: ttl, pattern: '^q', definition: {message-ttl: 1000}}]\n",
            &[("V", &v.name)],
        ),
    );
    crate::common::warren::Test::new()
        .current_dir(files.dir())
        .args(["--url", &broker().url, "--username", &user.name])
        .env("WARREN_PASSWORD", &user.password)
        .args(["apply", "--auto-approve", &topology])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr(format!(
            "warning: vhost '{}' is not locked for this apply (the broker says \"Access refused.\"), so another apply could change it at the same time: grant user '{}' the configure permission on ^warren\\.apply-lock$ there to lock it\ndone: declare policy ttl in vhost {}\n",
            v.name, user.name, v.name
        ))
        .run();
    assert!(v.exists("policies", "ttl"));
}
