//! `apply --prune-users`: users the files do not declare are deleted (never
//! guest, never the user warren is connected as), and the permissions and
//! topic permissions in the declared vhosts that the files leave out. Users
//! belong to the whole broker: pruning them would delete every other
//! test's, so this runs in the disruptive binary, alone
//! ([`crate::broker_alone`]).

use serde_json::json;

use crate::common;
use common::broker::{TestVhost, broker, enc, unique_name};
use common::warren::{Files, Test};

#[test]
fn users_and_grants_the_files_leave_out_go_with_prune_users_only() {
    let _alone = crate::broker_alone();
    let b = broker();
    let v = TestVhost::new("prune-users");
    let keep = unique_name("prune-keep");
    let gone = unique_name("prune-gone");
    for user in [&keep, &gone] {
        b.expect_ok(
            "PUT",
            &format!("/api/users/{}", enc(user)),
            Some(&json!({"password": "pw-of-a-test", "tags": ""})),
        );
    }
    b.expect_ok(
        "PUT",
        &format!("/api/topic-permissions/{}/{}", enc(&v.name), enc(&keep)),
        Some(&json!({"exchange": "amq.topic", "write": ".*", "read": ".*"})),
    );
    let files = Files::new();
    let quote = |s: &str| serde_json::to_string(s).unwrap();
    let file = files.write(
        "t.yaml",
        &format!(
            "vhosts: [{{name: {v}}}]\nusers:\n  - {{name: {keep}, password_env: WARREN_TEST_KEEP}}\npermissions:\n  - {{user: {me}, vhost: {v}, configure: '.*', write: '.*', read: '.*'}}\ntopic_permissions: []\n",
            v = quote(&v.name),
            keep = quote(&keep),
            me = quote(&b.username),
        ),
    );
    let warren = |args: &[&str]| {
        Test::broker()
            .env("WARREN_TEST_KEEP", "pw-of-a-test")
            .args(args)
            .arg(&file)
            .stdout_any()
            .stderr_any()
    };
    let exists = |user: &str| b.get(&format!("/api/users/{}", enc(user))).is_some();
    let topic = || {
        b.get(&format!(
            "/api/topic-permissions/{}/{}",
            enc(&v.name),
            enc(&keep)
        ))
        .unwrap_or_default()
    };

    // Without the flag, shown and left.
    let plan = warren(&["plan"]).run();
    assert!(
        plan.stdout.contains(&format!(
            "? user {gone} (not in the files; --prune-users would delete it)"
        )),
        "{plan}"
    );
    warren(&["apply", "--auto-approve"]).run();
    let granted = |t: serde_json::Value| t.as_array().is_some_and(|list| !list.is_empty());
    assert!(exists(&gone) && granted(topic()));

    // With it, gone; guest and warren's own user stay.
    let pruned = warren(&["apply", "--auto-approve", "--prune-users"]).run();
    assert_eq!(pruned.code, Some(0), "{pruned}");
    assert!(!exists(&gone), "{pruned}");
    assert!(exists(&keep) && exists("guest") && exists(&b.username));
    assert!(
        !granted(topic()),
        "the topic permission the files leave out is gone"
    );
    let _ = b.try_request("DELETE", &format!("/api/users/{}", enc(&keep)), None);
}
