//! A file of many vhosts is read with the broker-wide listings (four
//! requests, whatever the number of vhosts) once they are at least half of
//! the broker's, and plans exactly as the per-vhost listings do: no
//! changes after its apply, an object removed out of band in one vhost,
//! a vhost of the file that does not exist asked for on its own.

use crate::common;
use common::broker::{TestVhost, broker, enc, unique_name};
use common::proxy::FaultProxy;
use common::warren::{Files, NO_CHANGES, Test, arg};

const VHOSTS: usize = 48;

fn file(names: &[String]) -> String {
    let mut text = String::from("vhosts:\n");
    for name in names {
        text += &format!("  - name: {name}\n");
    }
    text += "exchanges:\n";
    for name in names {
        text += &format!("  - {{name: events, vhost: {name}, type: topic}}\n");
    }
    text += "queues:\n";
    for name in names {
        text += &format!(
            "  - {{name: jobs, vhost: {name}}}\n  - {{name: order.events, vhost: {name}}}\n"
        );
    }
    text += "bindings:\n";
    for name in names {
        text += &format!(
            "  - {{source: events, vhost: {name}, destination: order.events, routing_key: order.*}}\n"
        );
    }
    text
}

#[test]
fn many_vhosts_are_read_with_the_broker_wide_listings_and_plan_as_one_by_one() {
    let names: Vec<String> = (0..VHOSTS)
        .map(|i| unique_name(&format!("many{i:02}")))
        .collect();
    let _guards: Vec<TestVhost> = names.iter().cloned().map(TestVhost::guard).collect();
    let files = Files::new();
    let path = files.write("many.yaml", &file(&names));
    Test::broker()
        .args(["apply", "--auto-approve", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();

    let runtime = common::runtime();
    let proxy = runtime.block_on(FaultProxy::start(&broker().url, None));
    let b = broker();
    let through_proxy = || {
        Test::new()
            .args(["--url", &proxy.url, "--username", &b.username])
            .env("WARREN_PASSWORD", &b.password)
    };
    let broker_holds = || {
        b.get("/api/vhosts?columns=name")
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0)
    };
    let before = broker_holds();
    through_proxy()
        .args(["plan", "--detailed-exitcode", arg(&path)])
        .stdout(NO_CHANGES)
        .run();
    let after = broker_holds();
    let log = proxy.log();
    // Other tests make vhosts at the same time: the mode is only certain
    // while the file's are at least half of the broker's.
    if VHOSTS * 2 < before.max(after) {
        panic!(
            "the broker holds {} vhosts, so {VHOSTS} are read one by one; \
             run this test on a broker with fewer than {} vhosts",
            before.max(after),
            VHOSTS * 2
        );
    }
    for kind in ["exchanges", "queues", "bindings", "policies"] {
        assert!(
            log.iter()
                .any(|l| l.starts_with(&format!("GET /api/{kind}?"))),
            "no broker-wide listing of the {kind}: {log:#?}"
        );
        assert!(
            !log.iter()
                .any(|l| l.starts_with(&format!("GET /api/{kind}/"))),
            "the {kind} were listed vhost by vhost: {log:#?}"
        );
    }

    // Out of band: one vhost loses a queue, and the file gains a vhost that
    // does not exist.
    let changed = &names[7];
    broker().expect_ok(
        "DELETE",
        &format!("/api/queues/{}/jobs", enc(changed)),
        None,
    );
    let new = unique_name("many-new");
    let _new_guard = TestVhost::guard(new.clone());
    let mut more = names.clone();
    more.push(new.clone());
    let path = files.write("more.yaml", &file(&more));
    let run = through_proxy()
        .args(["plan", "--detailed-exitcode", arg(&path)])
        .status(2)
        .stdout_any()
        .run();
    assert!(
        run.stdout
            .contains(&format!("vhost {changed}\n  + queue jobs\n"))
            && run.stdout.contains(&format!("+ vhost {new}"))
            && run
                .stdout
                .contains("Plan: 6 to create, 0 to update, 0 to replace, 0 to delete."),
        "{run}"
    );
}
