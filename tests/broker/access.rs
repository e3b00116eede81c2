//! Users, permissions and the parameters that hold secrets, on the real
//! broker: a password named by reference logs in, its drift is seen
//! without it ever being shown, a tags-only change keeps it, out-of-band
//! grants are drift and go only with `--prune-users`, a shovel moves
//! messages, a federation upstream plans back to no changes, and no plan
//! locks warren's own user out.

use serde_json::json;

use crate::common;
use common::broker::{TestBroker, TestVhost, broker, enc, unique_name};
use common::warren::{Files, NO_CHANGES, Test, arg};

/// Deletes a user on drop.
struct UserGuard(String);

impl Drop for UserGuard {
    fn drop(&mut self) {
        let _ = broker().try_request("DELETE", &format!("/api/users/{}", enc(&self.0)), None);
    }
}

/// Whether `user` logs in with `password` (`GET /api/whoami` as it).
fn logs_in(user: &str, password: &str) -> bool {
    let b = broker();
    let as_user = TestBroker {
        url: b.url.clone(),
        username: user.to_string(),
        password: password.to_string(),
        version: b.version.clone(),
        amqp_url: b.amqp_url.clone(),
        rabbitmqctl: b.rabbitmqctl.clone(),
    };
    as_user
        .try_request("GET", "/api/whoami", None)
        .is_some_and(|answer| answer.status == 200 && answer.json()["name"] == user)
}

/// `text` with `$V` the vhost and `$U` the user, both quoted.
fn yaml(text: &str, vhost: &str, user: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap();
    text.replace("$V", &quote(vhost))
        .replace("$U", &quote(user))
}

const USER: &str = r#"
vhosts: [{name: $V}]
users:
  - {name: $U, tags: [management], password_env: WARREN_TEST_APP_PASSWORD}
permissions:
  - {user: $U, vhost: $V, configure: "^app\\.", write: ".*", read: ".*"}
topic_permissions: []
"#;

#[test]
fn a_user_by_reference_logs_in_its_password_drift_is_seen_unshown_and_restored() {
    let v = TestVhost::new("access-user");
    let user = unique_name("access-app");
    let _guard = UserGuard(user.clone());
    let password = format!("pw-{}", unique_name("s3cret"));
    let files = Files::new();
    let file = files.write("t.yaml", &yaml(USER, &v.name, &user));
    let warren = |args: &[&str]| {
        Test::broker()
            .env("WARREN_TEST_APP_PASSWORD", &password)
            .args(args)
            .arg(&file)
    };

    warren(&["apply", "--auto-approve"])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert!(
        logs_in(&user, &password),
        "the user logs in with the password the file names"
    );
    // Nothing to change; other users (guest, other tests') are unmanaged.
    warren(&["plan", "--detailed-exitcode"])
        .stdout_any()
        .stderr_any()
        .run();

    // Changed out of band: drift names the user, never a password.
    let other = format!("other-{}", unique_name("pw"));
    broker().expect_ok(
        "PUT",
        &format!("/api/users/{}", enc(&user)),
        Some(&json!({"password": other, "tags": "management"})),
    );
    let drift = warren(&["drift"]).status(2).stdout_any().stderr_any().run();
    assert!(
        drift.stdout.contains(&format!("~ user {user}"))
            && drift.stdout.contains("password: differs (not shown)"),
        "{drift}"
    );
    let json = warren(&["--format", "json", "drift"])
        .status(2)
        .stdout_any()
        .stderr_any()
        .run();
    for run in [&drift, &json] {
        for secret in [&password, &other] {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{run}"
            );
        }
    }

    warren(&["apply", "--auto-approve"])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert!(logs_in(&user, &password) && !logs_in(&user, &other));

    // A change of tags alone keeps the password (a PUT without one would
    // clear it).
    let tagged = files.write(
        "tagged.yaml",
        &yaml(
            &USER.replace("[management]", "[management, monitoring]"),
            &v.name,
            &user,
        ),
    );
    Test::broker()
        .env("WARREN_TEST_APP_PASSWORD", &password)
        .args(["apply", "--auto-approve", arg(&tagged)])
        .stdout_line("Applied 1 change, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    assert!(
        logs_in(&user, &password),
        "the password survives a change of tags"
    );

    // Granted out of band: drift, and planned for deletion only with
    // --prune-users (which prunes users broker-wide: its apply is tested
    // where no other test runs, in tests/disruptive).
    broker().expect_ok(
        "PUT",
        &format!("/api/topic-permissions/{}/{}", enc(&v.name), enc(&user)),
        Some(&json!({"exchange": "amq.topic", "write": ".*", "read": ".*"})),
    );
    let with_password = |args: &[&str]| {
        Test::broker()
            .env("WARREN_TEST_APP_PASSWORD", &password)
            .args(args)
            .arg(&tagged)
            .stdout_any()
            .stderr_any()
    };
    let unpruned = format!(
        "? topic permission of {user} on amq.topic (not in the files; --prune-users would delete it)"
    );
    let plan = with_password(&["plan"]).run();
    assert!(plan.stdout.contains(&unpruned), "{plan}");
    with_password(&["drift"]).status(2).run();
    // The permission the broker gave the user warren is connected as when
    // it made the vhost is that user's own: neither shown nor pruned (its
    // prune would lock warren out, and refuse the whole plan).
    let me = &broker().username;
    let pruned = with_password(&["plan", "--prune-users"]).run();
    assert!(
        pruned
            .stdout
            .contains(&format!("- topic permission of {user} on amq.topic")),
        "{pruned}"
    );
    assert!(
        !pruned.stdout.contains(&format!("permission of {me} ")),
        "{pruned}"
    );
    assert!(
        broker()
            .get(&format!("/api/permissions/{}/{}", enc(&v.name), enc(me)))
            .is_some(),
        "the vhost's maker has its permission"
    );
    with_password(&["apply", "--auto-approve"]).run();
    assert_eq!(
        broker()
            .get(&format!(
                "/api/topic-permissions/{}/{}",
                enc(&v.name),
                enc(&user)
            ))
            .unwrap()[0]["exchange"],
        "amq.topic",
        "left alone without --prune-users"
    );
}

#[test]
fn a_password_reference_that_cannot_be_read_is_an_error_naming_it() {
    let v = TestVhost::new("access-unset");
    let user = unique_name("access-unset");
    let files = Files::new();
    let file = files.write("t.yaml", &yaml(USER, &v.name, &user));
    let run = Test::broker()
        .env_remove("WARREN_TEST_APP_PASSWORD")
        .args(["plan", arg(&file)])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr
            .contains("environment variable WARREN_TEST_APP_PASSWORD is not set"),
        "{run}"
    );
    // Set but empty, as a CI secret that is not configured reads: the
    // broker would take it, then refuse every login.
    let run = Test::broker()
        .env("WARREN_TEST_APP_PASSWORD", "")
        .args(["apply", "--auto-approve", arg(&file)])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr.contains(
            "environment variable WARREN_TEST_APP_PASSWORD is set but empty, as a CI secret that \
             is not configured reads: give it the password"
        ),
        "{run}"
    );
    let empty = files.write("empty-password", "\n");
    let from_file = files.write(
        "from-file.yaml",
        &yaml(
            &USER.replace(
                "password_env: WARREN_TEST_APP_PASSWORD",
                "password_file: empty-password",
            ),
            &v.name,
            &user,
        ),
    );
    let run = Test::broker()
        .args(["apply", "--auto-approve", arg(&from_file)])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr.contains(&format!(
            "{} is empty: write the password in it",
            empty.display()
        )),
        "{run}"
    );
    assert!(
        broker()
            .get(&format!("/api/users/{}", enc(&user)))
            .is_none(),
        "nothing was changed"
    );
}

#[test]
fn no_plan_locks_out_the_user_warren_is_connected_as() {
    let v = TestVhost::new("access-lockout");
    let me = &broker().username;
    let files = Files::new();
    // Its tags taken away.
    let untagged = files.write(
        "untagged.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nusers: [{name: $U, tags: [], password_env: WARREN_TEST_ME}]\n",
            &v.name,
            me,
        ),
    );
    // Each is refused, exit 1.
    let refused = |command: &[&str], file: &std::path::Path| {
        Test::broker()
            .env("WARREN_TEST_ME", &broker().password)
            .args(command)
            .arg(file)
            .status(1)
            .stdout_any()
            .stderr_any()
            .run()
    };
    let run = refused(&["apply", "--auto-approve"], &untagged);
    assert!(
        run.stderr.contains(&format!(
            "it takes the tags administrator from user '{me}', the user warren is connected as"
        )),
        "{run}"
    );
    // Its permissions in the vhost changed.
    let narrowed = files.write(
        "narrowed.yaml",
        &yaml(
            "vhosts: [{name: $V}]\npermissions: [{user: $U, vhost: $V, configure: '^$', write: '^$', read: '^$'}]\n",
            &v.name,
            me,
        ),
    );
    let run = refused(&["plan"], &narrowed);
    assert!(
        run.stderr.contains("the user warren is connected as"),
        "{run}"
    );
    // Its permission narrowed in a vhost the same apply creates (where
    // the broker grants it in full): a create, refused as well.
    let new_vhost = unique_name("access-lockout-new");
    let narrowed_there = files.write(
        "narrowed-there.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: q}]\npermissions: [{user: $U, vhost: $V, configure: '^$', write: '.*', read: '.*'}]\n",
            &new_vhost,
            me,
        ),
    );
    let run = refused(&["apply", "--auto-approve"], &narrowed_there);
    assert!(
        run.stderr.contains(&format!(
            "it narrows the permission of user '{me}' in vhost '{new_vhost}', the user warren is connected as"
        )),
        "{run}"
    );
    assert!(
        broker()
            .get(&format!("/api/vhosts/{}", enc(&new_vhost)))
            .is_none(),
        "{run}"
    );
    // Nothing was changed.
    assert_eq!(
        broker()
            .get(&format!("/api/permissions/{}/{}", enc(&v.name), enc(me)))
            .unwrap()["configure"],
        ".*"
    );
    assert!(logs_in(me, &broker().password));
}

#[test]
fn a_shovel_declared_in_the_file_moves_messages() {
    let v = TestVhost::new("access-shovel");
    v.put_queue(
        "from",
        json!({"durable": true, "auto_delete": false, "arguments": {}}),
    );
    for i in 0..20 {
        assert!(v.publish("", "from", &format!("m{i}")));
    }
    let files = Files::new();
    let uri = format!("amqp:///{}", enc(&v.name));
    let file = files.write(
        "shovel.yaml",
        &yaml(
            &format!(
                "vhosts: [{{name: $V}}]\nqueues: [{{vhost: $V, name: from}}, {{vhost: $V, name: to}}]\nparameters:\n  - component: shovel\n    vhost: $V\n    name: move\n    value: {{src-protocol: amqp091, src-uri: {uri:?}, src-queue: from, dest-protocol: amqp091, dest-uri: {uri:?}, dest-queue: to}}\n"
            ),
            &v.name,
            "",
        ),
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&file)])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while v.message_count("to") != Some(20) {
        assert!(
            std::time::Instant::now() < deadline,
            "the shovel moved {:?} of 20",
            v.message_count("to")
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Test::broker()
        .args(["plan", arg(&file)])
        .stdout(NO_CHANGES)
        .stderr_any()
        .run();
}

#[test]
fn a_federation_upstream_by_reference_and_its_policy_plan_back_to_no_changes() {
    let v = TestVhost::new("access-federation");
    let b = broker();
    // The upstream is this broker itself: a URI with credentials, named
    // by an environment variable.
    let host = b
        .amqp_url
        .split('@')
        .next_back()
        .unwrap_or("127.0.0.1:5672")
        .trim_end_matches('/');
    let uri = format!(
        "amqp://{}:{}@{host}/{}",
        enc(&b.username),
        enc(&b.password),
        enc(&v.name)
    );
    let files = Files::new();
    let file = files.write(
        "federation.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: fed.events, type: topic}]\npolicies:\n  - {vhost: $V, name: federate, pattern: '^fed\\.', apply_to: exchanges, definition: {federation-upstream-set: all}}\nparameters:\n  - {component: federation-upstream, vhost: $V, name: origin, value: {uri_env: WARREN_TEST_UPSTREAM, expires: 3600000}}\n",
            &v.name,
            "",
        ),
    );
    let warren = |args: &[&str]| {
        Test::broker()
            .env("WARREN_TEST_UPSTREAM", &uri)
            .args(args)
            .arg(&file)
    };
    let applied = warren(&["apply", "--auto-approve"])
        .stdout_line("Applied 3 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    let stored = b
        .get(&format!(
            "/api/parameters/federation-upstream/{}/origin",
            enc(&v.name)
        ))
        .expect("the upstream exists");
    assert_eq!(stored["value"]["uri"], uri.as_str());
    let plan = warren(&["plan"]).stdout(NO_CHANGES).stderr_any().run();
    let json = warren(&["--format", "json", "plan"])
        .stdout_any()
        .stderr_any()
        .run();
    let credentials = format!("{}:{}@", enc(&b.username), enc(&b.password));
    for run in [&applied, &plan, &json] {
        assert!(
            !format!("{}{}", run.stdout, run.stderr).contains(&credentials),
            "{run}"
        );
    }
    // The URI changed on the broker: a difference shown without credentials.
    b.expect_ok(
        "PUT",
        &format!("/api/parameters/federation-upstream/{}/origin", enc(&v.name)),
        Some(&json!({"value": {"uri": uri.replace(&format!("/{}", enc(&v.name)), "/other"), "expires": 3600000}})),
    );
    let drift = warren(&["drift"]).status(2).stdout_any().stderr_any().run();
    assert!(drift.stdout.contains("amqp://***@"), "{drift}");
    assert!(
        !format!("{}{}", drift.stdout, drift.stderr).contains(&credentials),
        "{drift}"
    );
}

/// A user the files give no password (certificate logins) loses the one
/// it has on the broker: the plan says so in words, not as a mere
/// difference; and a user given one where it had none shows it as set.
#[test]
fn a_password_removed_or_set_is_named_so_in_the_plan() {
    let user = unique_name("access-nopw");
    let _guard = UserGuard(user.clone());
    broker().expect_ok(
        "PUT",
        &format!("/api/users/{}", enc(&user)),
        Some(&json!({"password": "pw-of-a-test", "tags": "management"})),
    );
    let files = Files::new();
    let none = files.write(
        "none.yaml",
        &yaml("users:\n  - {name: $U, tags: [management]}\n", "", &user),
    );
    let removed = Test::broker().args(["plan", arg(&none)]).stdout_any().run();
    assert!(
        removed.stdout.contains(&format!(
            "  ~ user {user}\n      password: removed: the files give none, so logins with a password stop (certificate logins go on)\n"
        )),
        "{removed}"
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&none)])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(!logs_in(&user, "pw-of-a-test"));
    let given = files.write(
        "given.yaml",
        &yaml(
            "users:\n  - {name: $U, tags: [management], password_env: WARREN_TEST_APP_PASSWORD}\n",
            "",
            &user,
        ),
    );
    let set = Test::broker()
        .env("WARREN_TEST_APP_PASSWORD", "pw-of-a-test")
        .args(["plan", arg(&given)])
        .stdout_any()
        .run();
    assert!(
        set.stdout.contains(&format!(
            "  ~ user {user}\n      password: set (not shown)\n"
        )),
        "{set}"
    );
}

/// A permission of a user that neither the files nor the broker have is
/// refused at `plan`, before anything changes (the broker would refuse it
/// half-way through an apply); once the user exists, it is planned.
#[test]
fn a_permission_of_a_user_nobody_has_is_refused_before_anything_changes() {
    let v = TestVhost::new("access-ghost");
    let ghost = unique_name("access-ghost");
    let _guard = UserGuard(ghost.clone());
    let files = Files::new();
    let file = files.write(
        "t.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: q}]\npermissions:\n  - {user: $U, vhost: $V, configure: '', write: '.*', read: '.*'}\n",
            &v.name,
            &ghost,
        ),
    );
    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        let run = Test::broker()
            .args(command)
            .arg(&file)
            .status(1)
            .stderr_any()
            .run();
        assert!(
            run.stderr.contains(&format!(
                "user '{ghost}' is neither declared in the files (users) nor on the broker"
            )) && run.stderr.contains("nothing was changed"),
            "{run}"
        );
    }
    assert!(v.list("queues").is_empty(), "nothing was changed");
    broker().expect_ok(
        "PUT",
        &format!("/api/users/{}", enc(&ghost)),
        Some(&json!({"password": "pw-of-a-test", "tags": ""})),
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&file)])
        .stdout_line("Applied 2 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
}

/// The keys of a shovel's or an upstream's value that the connected
/// broker's version refuses ("Unrecognised terms") are refused at `plan`,
/// before anything changes: 4.0 took `src-predeclared` and `queue-type`,
/// and dropped `ha-policy`.
#[test]
fn keys_the_brokers_version_refuses_in_a_shovel_or_an_upstream_are_refused_at_plan() {
    let v = TestVhost::new("access-keys");
    let files = Files::new();
    let file = files.write(
        "t.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: q}]\nparameters:\n  - {component: shovel, vhost: $V, name: s, value: {src-uri: 'amqp://', src-queue: q, dest-uri: 'amqp://', dest-queue: r, src-predeclared: true}}\n  - {component: federation-upstream, vhost: $V, name: new, value: {uri: 'amqp://', queue-type: quorum}}\n  - {component: federation-upstream, vhost: $V, name: old, value: {uri: 'amqp://', ha-policy: all}}\n",
            &v.name,
            "",
        ),
    );
    let run = Test::broker()
        .args(["apply", "--auto-approve", arg(&file)])
        .status(1)
        .stderr_any()
        .run();
    let version = &broker().version;
    let refused = |key: &str, component: &str| {
        run.stderr.contains(&format!(
            "the broker (RabbitMQ {version}) refuses the key {key} in a {component}"
        ))
    };
    if broker().at_least(4, 0, 0) {
        assert!(refused("ha-policy", "federation-upstream"), "{run}");
        assert!(
            !run.stderr.contains("src-predeclared") && !run.stderr.contains("queue-type"),
            "{run}"
        );
    } else {
        assert!(refused("src-predeclared", "shovel"), "{run}");
        assert!(refused("queue-type", "federation-upstream"), "{run}");
        assert!(!run.stderr.contains("ha-policy"), "{run}");
    }
    assert!(run.stderr.contains("nothing was changed"), "{run}");
    assert!(v.list("queues").is_empty(), "nothing was changed");
}

/// An upstream set (whose value is a list, not a mapping) and an operator
/// policy without a priority (as the README writes one: the broker's
/// parameters API refuses it, its policy API gives 0) apply, and plan back
/// to no changes.
#[test]
fn an_upstream_set_and_an_operator_policy_without_priority_apply_and_plan_back() {
    let v = TestVhost::new("access-set");
    let files = Files::new();
    let file = files.write(
        "set.yaml",
        &yaml(
            "vhosts: [{name: $V}]\nparameters:\n  - {component: federation-upstream, vhost: $V, name: origin, value: {uri: 'amqp://localhost'}}\n  - {component: federation-upstream-set, vhost: $V, name: both, value: [{upstream: origin}, {upstream: origin-2, prefetch-count: 100}]}\n  - {component: operator_policy, vhost: $V, name: cap, value: {pattern: '.*', apply-to: queues, definition: {max-length: 100000}}}\n",
            &v.name,
            "",
        ),
    );
    Test::broker()
        .args(["apply", "--auto-approve", arg(&file)])
        .stdout_line("Applied 3 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    let parameter = |component: &str, name: &str| {
        broker()
            .get(&format!(
                "/api/parameters/{component}/{}/{name}",
                enc(&v.name)
            ))
            .unwrap_or_else(|| panic!("{component} {name} exists"))["value"]
            .clone()
    };
    assert_eq!(
        parameter("federation-upstream-set", "both"),
        json!([{"upstream": "origin"}, {"upstream": "origin-2", "prefetch-count": 100}])
    );
    assert_eq!(parameter("operator_policy", "cap")["priority"], 0);
    Test::broker()
        .args(["plan", arg(&file)])
        .stdout(NO_CHANGES)
        .stderr_any()
        .run();
}

/// The secrets of the new kinds never show: a user's password (by
/// reference) and salted hash (as an export carries it), and the
/// credentials of an upstream's URI, in any command, format, `-v` log,
/// saved plan or error, even one where the broker quotes the URI back.
#[test]
fn no_password_hash_or_uri_credentials_show_in_any_output() {
    let v = TestVhost::new("access-secrets");
    let by_reference = unique_name("access-ref");
    let by_hash = unique_name("access-hash");
    let _guards = (UserGuard(by_reference.clone()), UserGuard(by_hash.clone()));
    let password = "Pw-Of-Reference-XYZ";
    // A salted SHA-256 hash of "another password", as an export holds it.
    let hash = warren::password::hash(
        "another password",
        [7, 7, 7, 7],
        warren::password::HashingAlgorithm::Sha256,
    );
    let upstream_secret = "Upstream-Secret-XYZ";
    let b = broker();
    let host = b
        .amqp_url
        .split('@')
        .next_back()
        .unwrap_or("127.0.0.1:5672")
        .trim_end_matches('/');
    let good_uri = format!(
        "amqp://{}:{upstream_secret}@{host}/{}",
        enc(&b.username),
        enc(&v.name)
    );
    let files = Files::new();
    let topology = |uri_var: &str| {
        yaml(
            &format!(
                "vhosts: [{{name: $V}}]\nusers:\n  - {{name: {by_reference:?}, tags: [management], password_env: WARREN_TEST_REF}}\n  - {{name: {by_hash:?}, tags: [management], password_hash: {hash:?}, hashing_algorithm: rabbit_password_hashing_sha256}}\nparameters:\n  - {{component: federation-upstream, vhost: $V, name: up, value: {{uri_env: {uri_var}}}}}\n"
            ),
            &v.name,
            "",
        )
    };
    let file = files.write("t.yaml", &topology("WARREN_TEST_UPSTREAM"));
    let out = files.path("plan.json");
    let hidden = [
        password.to_string(),
        hash.clone(),
        hash[..12].to_string(),
        upstream_secret.to_string(),
    ];
    let check = |run: &common::process::Run, what: &str| {
        for secret in &hidden {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{secret:?} leaked in {what}\n{run}"
            );
        }
    };
    let with_secrets = |args: &[&str]| {
        Test::broker()
            .env("WARREN_TEST_REF", password)
            .env("WARREN_TEST_UPSTREAM", &good_uri)
            .env(
                "WARREN_TEST_BAD_UPSTREAM",
                format!("amqp://u:{upstream_secret}@h:notaport/v"),
            )
            .args(args)
            .any_status()
            .stdout_any()
            .stderr_any()
    };
    let file_arg = arg(&file).to_string();
    for options in [
        &["--format", "text"][..],
        &["--format", "json", "-v"],
        &["--format", "markdown"],
    ] {
        let mut runs = Vec::new();
        for command in [
            vec!["plan", "--out", arg(&out), &file_arg],
            vec!["plan", "--prune-users", &file_arg],
            vec!["drift", &file_arg],
        ] {
            let args: Vec<&str> = options.iter().copied().chain(command).collect();
            runs.push((args.join(" "), with_secrets(&args).run()));
        }
        for (what, run) in &runs {
            check(run, what);
        }
        let saved = std::fs::read_to_string(&out).unwrap_or_default();
        for secret in &hidden {
            assert!(
                !saved.contains(secret.as_str()),
                "{secret:?} in the saved plan"
            );
        }
    }
    let applied = with_secrets(&["-v", "apply", "--auto-approve", &file_arg]).run();
    assert_eq!(applied.code, Some(0), "{applied}");
    check(&applied, "apply");
    assert!(logs_in(&by_reference, password));
    assert!(logs_in(&by_hash, "another password"));
    let exported = with_secrets(&["export", "--with-users", "--vhost", &v.name]).run();
    check(&exported, "export --with-users");
    assert!(
        exported.stdout.contains("password_env: WARREN_PASSWORD_"),
        "{exported}"
    );
    assert!(
        exported
            .stdout
            .contains("uri_env: WARREN_FEDERATION_UPSTREAM_UP_URI"),
        "{exported}"
    );
    // The broker refuses a bad URI and quotes it, credentials and all.
    let bad = files.write("bad.yaml", &topology("WARREN_TEST_BAD_UPSTREAM"));
    let refused = with_secrets(&["-v", "apply", "--auto-approve", arg(&bad)]).run();
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(refused.stdout.contains("not a valid URI"), "{refused}");
    check(&refused, "an apply the broker refuses");
}

/// A file that declares users and permissions has them asked for while it
/// is parsed (a parse of thousands of users takes as long as the broker's
/// answer): before anything else is read. A failure of that early listing is
/// no failure of the plan: the read after the parse asks again.
#[test]
fn users_are_listed_while_the_file_is_parsed_and_a_failed_early_listing_is_asked_again() {
    let v = TestVhost::new("access-ahead");
    let files = Files::new();
    // Users that do not exist: the plan creates them, and nothing is applied.
    let prefix = unique_name("ahead");
    let mut text = yaml("vhosts: [{name: $V}]\nusers:\n", &v.name, "");
    for i in 0..2000 {
        text += &format!("  - {{name: {prefix}-{i}, tags: [management]}}\n");
    }
    text += "permissions:\n";
    for i in 0..2000 {
        text += &yaml(
            &format!(
                "  - {{user: {prefix}-{i}, vhost: $V, configure: '', write: '.*', read: '.*'}}\n"
            ),
            &v.name,
            "",
        );
    }
    let path = files.write("many-users.yaml", &text);
    let runtime = common::runtime();
    let proxy = runtime.block_on(crate::common::proxy::FaultProxy::start_on(
        &broker().url,
        "GET /api/users",
        // Not retried: only the read after the parse asks again.
        crate::common::proxy::Fault::Answer404,
    ));
    let b = broker();
    let run = Test::new()
        .args(["--url", &proxy.url, "--username", &b.username])
        .env("WARREN_PASSWORD", &b.password)
        .args(["plan", "--detailed-exitcode", arg(&path)])
        .status(2)
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        run.stdout.contains(&format!("+ user {prefix}-1999"))
            && run.stdout.contains("4000 to create"),
        "{run}"
    );
    let log = proxy.log();
    let first = |prefix: &str| log.iter().position(|line| line.starts_with(prefix));
    let users = first("GET /api/users").expect("the users were listed");
    let overview = first("GET /api/overview").expect("the broker was read");
    assert!(
        users < overview,
        "the users were not asked for first: {log:#?}"
    );
    let asked = log
        .iter()
        .filter(|line| line.starts_with("GET /api/users"))
        .count();
    assert!(
        asked >= 2,
        "the failed listing was not asked again: {log:#?}"
    );
}
