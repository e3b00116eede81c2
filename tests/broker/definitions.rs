//! Definitions files as RabbitMQ writes them, on the real broker: what
//! exports of 3.8 and later add (vhost limits and metadata, queue `type`)
//! is applied and planned back, and the real files of
//! `../shared/real-definitions/` plan as no changes after the broker's own
//! import of them.

use serde_json::json;

use crate::common;
use common::broker::{TestVhost, broker, enc};
use common::warren::{Files, NO_CHANGES, Test, arg, assert_no_changes};

#[test]
fn vhost_limits_are_set_changed_cleared_and_planned_back() {
    let v = TestVhost::new("limits");
    let files = Files::new();
    let limits = || {
        broker()
            .get(&format!("/api/vhost-limits/{}", enc(&v.name)))
            .unwrap()
    };
    let set = files.topology(
        "set.yaml",
        &v.name,
        "vhosts: [{name: $V, limits: {max-queues: 10, max-connections: 5}}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&set)])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert_eq!(
        limits(),
        json!([{"vhost": v.name, "value": {"max-queues": 10, "max-connections": 5}}])
    );
    assert_no_changes(&set);

    // One limit changed, the other left out: it is cleared.
    let changed = files.topology(
        "changed.yaml",
        &v.name,
        "vhosts: [{name: $V, limits: {max-queues: 20}}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["plan", arg(&changed)])
        .stdout(format!(
            "vhost {v}\n  ~ vhost {v}\n      limits:\n        - max-connections: 5\n        - max-queues: 10\n        + max-queues: 20\n\nPlan: 0 to create, 1 to update, 0 to replace, 0 to delete.\n",
            v = v.name
        ))
        .run();
    Test::broker()
        .args(["apply", "--auto-approve", arg(&changed)])
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(
        limits(),
        json!([{"vhost": v.name, "value": {"max-queues": 20}}])
    );
    assert_no_changes(&changed);

    // Without `limits`, the file leaves them alone; `limits: {}` clears them.
    let unmanaged = files.topology(
        "unmanaged.yaml",
        &v.name,
        "vhosts: [{name: $V}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["plan", arg(&unmanaged)])
        .stdout(NO_CHANGES)
        .run();
    let cleared = files.topology(
        "cleared.yaml",
        &v.name,
        "vhosts: [{name: $V, limits: {}}]\nqueues: [{name: q, vhost: $V}]\n",
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&cleared)])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert_eq!(limits(), json!([]));
}

/// What a test keeps out of a corpus file before the shared broker imports
/// it: its global parameters (a `cluster_name` would rename the broker).
/// Users are kept, under names of the test's own.
const KEPT_OUT: &[&str] = &["global_parameters"];

/// What RabbitMQ's own import does with a corpus file on the broker under
/// test, and so what warren must do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OnBroker {
    /// Imported whole: warren plans it as no changes, applies it into empty
    /// vhosts as the import made it, and exports it back.
    Imports,
    /// The import fails for what warren refuses before anything changes:
    /// `plan` exits 1 naming each of these, and the vhosts are not created.
    RefusedAtPlan(&'static [&'static str]),
    /// The import leaves exchanges without `auto_delete` as `"undefined"`,
    /// and stops there (`function_clause`, 400) unless it goes on to the
    /// end (`whole`, 204): warren shows those exchanges by name and plans
    /// the rest.
    ImportLeavesUnreadable { whole: bool },
}

/// The table per version: 3.10.8 and 4.0.5 refuse different files, each
/// for the reason its comment quotes from the broker's answer to `POST
/// /api/definitions`.
fn on_broker(number: &str) -> OnBroker {
    let from_4_0 = broker().at_least(4, 0, 0);
    match number {
        // warren's own refusal (the import takes it): a password in plain
        // text in the file.
        "10" | "13" | "19" | "22" => {
            OnBroker::RefusedAtPlan(&["a password written in the file is refused"])
        }
        // Both: 400 [not_base64, …] (a template's `${…}` hash, or a hash cut
        // short).
        "12" | "18" | "20" => OnBroker::RefusedAtPlan(&["password_hash is not base64"]),
        // Both: 400 "unknown exchange type 'x-consistent-hash'" (4.0.5:
        // "precondition_failed: unknown exchange type …").
        "11" => OnBroker::RefusedAtPlan(&["enable the plugin rabbitmq_consistent_hash_exchange"]),
        // Both: 400 "… [{<<"x-queue-type">>,<<"classic">>}] are not
        // recognised policy settings": validate refuses it.
        "16" => OnBroker::RefusedAtPlan(&["the broker refuses 'x-queue-type' in a policy"]),
        // 4.0.5 (classic queue mirroring removed): 400 "Validation failed
        // [{<<"ha-mode">>,<<"exactly">>}, {<<"ha-params">>,2},
        // {<<"ha-sync-mode">>,<<"automatic">>}] are not recognised policy
        // settings (…/2-queue-replicas)"; 3.10.8 imports them. (12 and 13
        // hold ha-* keys too, and 4.0.5 refuses them for those as well; but
        // their files are refused first, offline: above.)
        "02" if from_4_0 => OnBroker::RefusedAtPlan(&[
            "refuses 'ha-mode' (not a recognised policy setting)",
            "refuses 'ha-params'",
            "refuses 'ha-sync-mode'",
        ]),
        // 4.0.5: "[{<<"ha-mode">>,<<"exactly">>}, {<<"ha-params">>,3},
        // {<<"ha-sync-batch-size">>,100}, {<<"ha-sync-mode">>,
        // <<"automatic">>}] are not recognised policy settings (…/d-ns)".
        "03" if from_4_0 => OnBroker::RefusedAtPlan(&[
            "refuses 'ha-mode' (not a recognised policy setting)",
            "refuses 'ha-params'",
            "refuses 'ha-sync-mode'",
            "refuses 'ha-sync-batch-size'",
        ]),
        // Exchanges without `auto_delete`: 3.10.8 stores "undefined" and
        // stops (400 function_clause); 4.0.5 stores "undefined" and imports
        // the rest (204).
        "17" => OnBroker::ImportLeavesUnreadable { whole: from_4_0 },
        _ => OnBroker::Imports,
    }
}

/// Deletes a user on drop.
struct UserGuard(String);

impl Drop for UserGuard {
    fn drop(&mut self) {
        let _ = broker().try_request("DELETE", &format!("/api/users/{}", enc(&self.0)), None);
    }
}

/// The permissions in `vhost` of the users of a file (`users`: the file's
/// name of each, and its name in the test), by the file's names, sorted.
fn permissions_of(
    vhost: &str,
    users: &std::collections::BTreeMap<String, String>,
) -> Vec<serde_json::Value> {
    let original: std::collections::BTreeMap<&str, &str> = users
        .iter()
        .map(|(o, n)| (n.as_str(), o.as_str()))
        .collect();
    let listed = broker()
        .get(&format!("/api/vhosts/{}/permissions", enc(vhost)))
        .unwrap_or_default();
    let mut out: Vec<serde_json::Value> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let user = *original.get(p["user"].as_str()?)?;
            Some(json!({"user": user, "configure": p["configure"], "write": p["write"], "read": p["read"]}))
        })
        .collect();
    out.sort_by_key(|p| p.to_string());
    out
}

/// The objects of a vhost as `GET /api/definitions/{vhost}` gives them,
/// each list sorted, for comparing two vhosts made from one file.
fn definitions_of(vhost: &str) -> serde_json::Value {
    let mut definitions = broker()
        .get(&format!("/api/definitions/{}", enc(vhost)))
        .expect("the vhost exists");
    let mut out = serde_json::Map::new();
    for kind in ["exchanges", "queues", "bindings", "policies", "parameters"] {
        let mut items: Vec<serde_json::Value> = definitions[kind]
            .as_array_mut()
            .map(std::mem::take)
            .unwrap_or_default()
            .into_iter()
            .map(|mut item| {
                let object = item.as_object_mut().unwrap();
                object.remove("vhost");
                // On a classic queue the broker takes `x-queue-type:
                // classic` and no x-queue-type as the same (RABBITMQ.md
                // §4); its import keeps what the file wrote, its HTTP API
                // writes what the vhost's default type says.
                if let Some(arguments) = object.get_mut("arguments").and_then(|a| a.as_object_mut())
                {
                    if arguments.get("x-queue-type") == Some(&json!("classic")) {
                        arguments.remove("x-queue-type");
                    }
                }
                item
            })
            .collect();
        items.sort_by_key(|item| item.to_string());
        out.insert(kind.to_string(), serde_json::Value::Array(items));
    }
    serde_json::Value::Object(out)
}

/// Every corpus file, in fresh vhosts: the broker imports it (`POST
/// /api/definitions`), then `warren plan --detailed-exitcode` on the same
/// file exits 0; `warren apply` into other, empty vhosts makes what the
/// import made; `warren export` of those plans as no changes. The files
/// the broker refuses are refused by warren before anything changes.
#[test]
fn every_real_file_the_broker_imports_plans_as_no_changes_and_applies_as_the_import_does() {
    use crate::common::real_definitions::{corpus, number_of};
    let files = corpus();
    std::thread::scope(|scope| {
        let chunks: Vec<&[std::path::PathBuf]> = files.chunks(6).collect();
        for chunk in chunks {
            scope.spawn(move || {
                for file in chunk {
                    round_trip(file, on_broker(&number_of(file)));
                }
            });
        }
    });
}

fn round_trip(file: &std::path::Path, expected: OnBroker) {
    use crate::common::real_definitions::adapted;
    let number = common::real_definitions::number_of(file);
    let files = Files::new();
    let imported = adapted(
        file,
        |_| common::broker::unique_name(&format!("rd{number}i")),
        |_| common::broker::unique_name(&format!("rd{number}u")),
        KEPT_OUT,
    );
    let _imported_users: Vec<UserGuard> = imported.users.values().cloned().map(UserGuard).collect();
    let _imported_guards: Vec<TestVhost> = imported
        .vhosts
        .values()
        .cloned()
        .map(TestVhost::guard)
        .collect();
    let context = |what: &str| format!("{} ({what})", file.display());
    let path = files.write("imported.json", &imported.definitions.to_string());

    if let OnBroker::RefusedAtPlan(reasons) = expected {
        let refused = Test::broker()
            .args(["plan", arg(&path)])
            .status(1)
            .stderr_any()
            .run();
        for reason in reasons {
            assert!(
                refused.stderr.contains(reason),
                "{}: no {reason:?} in\n{refused}",
                context("refused")
            );
        }

        for vhost in imported.vhosts.values() {
            assert!(
                broker()
                    .get(&format!("/api/vhosts/{}", enc(vhost)))
                    .is_none(),
                "{}: vhost {vhost} was created",
                context("refused")
            );
        }
        return;
    }

    let answer = broker().request("POST", "/api/definitions", Some(&imported.definitions));
    for vhost in imported.vhosts.values() {
        broker().expect_ok(
            "PUT",
            &format!(
                "/api/permissions/{}/{}",
                enc(vhost),
                enc(&broker().username)
            ),
            Some(&json!({"configure": ".*", "write": ".*", "read": ".*"})),
        );
    }
    if let OnBroker::ImportLeavesUnreadable { whole } = expected {
        let (status, rest, exit) = if whole {
            (204, " 3 cannot be read.", 0)
        } else {
            (400, "+ queue order.queue", 2)
        };
        assert_eq!(
            answer.status,
            status,
            "{}: {}",
            context("import"),
            answer.body
        );
        let plan = Test::broker()
            .args(["plan", "--detailed-exitcode", arg(&path)])
            .status(exit)
            .stdout_any()
            .stderr_any()
            .run();
        let text = &plan.stdout;
        assert!(
            text.contains("!! exchange order.exchange (cannot be read)")
                && text.contains("auto_delete: undefined")
                && text.contains(rest),
            "{}: {text}",
            context("plan after the import")
        );
        Test::broker()
            .args(["drift", arg(&path)])
            .status(2)
            .stdout_any()
            .stderr_any()
            .run();
        return;
    }
    assert!(
        answer.status / 100 == 2,
        "{}: {} {}",
        context("import"),
        answer.status,
        answer.body
    );
    // Users and permissions included: the broker's other users (guest,
    // other tests') are unmanaged, which is no change.
    let plan = Test::broker()
        .args(["plan", "--detailed-exitcode", arg(&path)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        plan.stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("No changes. The broker matches the files")),
        "{}: {plan}",
        context("plan after the import")
    );

    // Into empty vhosts, by warren: the same objects as the import's.
    let applied = adapted(
        file,
        |_| common::broker::unique_name(&format!("rd{number}w")),
        |_| common::broker::unique_name(&format!("rd{number}v")),
        KEPT_OUT,
    );
    let _applied_users: Vec<UserGuard> = applied.users.values().cloned().map(UserGuard).collect();
    let _applied_guards: Vec<TestVhost> = applied
        .vhosts
        .values()
        .cloned()
        .map(TestVhost::guard)
        .collect();
    let applied_path = files.write("applied.json", &applied.definitions.to_string());
    Test::broker()
        .args(["apply", "--auto-approve", arg(&applied_path)])
        .stdout_any()
        .stderr_any()
        .run();
    for (original, by_import) in &imported.vhosts {
        let by_warren = &applied.vhosts[original];
        assert_eq!(
            definitions_of(by_warren),
            definitions_of(by_import),
            "{}: vhost {original}",
            context("apply against import")
        );
        assert_eq!(
            permissions_of(by_warren, &applied.users),
            permissions_of(by_import, &imported.users),
            "{}: the permissions in vhost {original}",
            context("apply against import")
        );
    }
    for (original, by_import) in &imported.users {
        // No password is an empty hash (warren) or, from an import of a
        // user without one, a hash of the empty password: the same.
        let user = |name: &str| {
            let mut user = broker()
                .get(&format!("/api/users/{}", enc(name)))
                .expect("the user exists");
            let object = user.as_object_mut().unwrap();
            object.remove("name");
            let algorithm = warren::password::algorithm_of(object["hashing_algorithm"].as_str());
            let hash = object["password_hash"].as_str().unwrap_or_default();
            if warren::password::is_no_password(hash, algorithm) {
                object.insert("password_hash".into(), json!(""));
            }
            user
        };
        assert_eq!(
            user(&applied.users[original]),
            user(by_import),
            "{}: user {original}",
            context("apply against import")
        );
    }

    // Exported, the vhosts plan as no changes.
    let export = files.path("export.yaml");
    let mut command = Test::broker().args(["export", "--out", arg(&export)]);
    for vhost in applied.vhosts.values() {
        command = command.args(["--vhost", vhost]);
    }
    command.stderr_any().run();
    assert_no_changes(&export);
}
