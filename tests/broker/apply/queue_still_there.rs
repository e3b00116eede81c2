//! A queue delete answered 404 is read back before it counts as done: the
//! broker answers 404 to the delete of a queue whose node is down, and the
//! queue stays. The proxy plays that answer in front of the real broker.
//!
//! Regression (issue 20): such a delete was counted as done, and apply
//! reported a queue deleted that was still there.

use serde_json::json;

use super::{Files, warren, yaml};
use crate::common::broker::{TestVhost, broker};
use crate::common::proxy::{Fault, FaultProxy};
use crate::common::warren::Test;

#[test]
fn a_queue_delete_answered_404_is_read_back_and_fails_while_the_queue_stays() {
    let v = TestVhost::new("apply-404-stays");
    let files = Files::new();
    let topology = files.write("t.yaml", &yaml("vhosts: [{name: $V}]\n", &[("V", &v.name)]));
    v.put_queue("stray", json!({"durable": true}));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let proxy = runtime.block_on(FaultProxy::start_on(
        &broker().url,
        "DELETE /api/queues/",
        Fault::Answer404,
    ));
    let b = broker();
    let run = Test::new()
        .current_dir(files.dir())
        .args(["--url", &proxy.url, "--username", &b.username])
        .env("WARREN_PASSWORD", &b.password)
        .args(["apply", "--auto-approve", "--prune", &topology])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run();
    // The queue's state shows once the broker's statistics (5 s) have it.
    let expected = regex::Regex::new(&format!(
        "\\Avhost {v}\n  - queue stray\n      holds 0 messages, 0 consumers\n\nPlan: 0 to create, 0 to update, 0 to replace, 1 to delete.\nApplied 0 changes, 1 failed, 0 not started.\n  failed: delete queue stray in vhost {v}: cannot delete queue 'stray' in vhost '{v}': the broker answered 404 Not Found, yet still lists the queue( \\(state: running\\))? \\({url}/api/queues/{path}/stray\\); its node may be down: bring it back, then run apply again\n\\z",
        v = regex::escape(&v.name),
        url = regex::escape(&proxy.url),
        path = regex::escape(&crate::common::broker::enc(&v.name)),
    ))
    .unwrap();
    assert!(expected.is_match(&run.stdout), "{run}");
    assert_eq!(
        run.last_stderr_line(),
        "error: apply did not finish (1 failed, 0 not started); fix the cause and run apply again: it plans from the live state and finishes the work",
        "{run}"
    );
    assert!(v.exists("queues", "stray"), "the queue is still there");

    // Straight to the broker, the next apply finishes the work.
    warren(
        files.dir(),
        &["apply", "--auto-approve", "--prune", &topology],
    )
    .stdout_line("Applied 1 change, 0 failed, 0 not started.")
    .stderr_any()
    .run();
    assert!(!v.exists("queues", "stray"));
}
