//! What a user needs to run each command, and what warren says when the
//! user lacks it. Each test makes users of its own (`TestUser`) with the
//! fewest tags and permissions, on vhosts of its own that exist beforehand,
//! and runs the real binary as them. The README's "Rights each command
//! needs" table states what these tests verify.

use crate::common;

use std::path::PathBuf;

use serde_json::json;

use common::broker::{TestUser, TestVhost, broker, enc, unique_name};
use common::process::Run;
use common::warren::{Test, arg, yaml_quoted};

/// A user of the test's own, and the runs of warren logged in as it.
struct Actor {
    user: TestUser,
}

impl Actor {
    /// A user with these tags (comma-separated; may be empty) and no
    /// permissions.
    fn new(tags: &str) -> Actor {
        Actor {
            user: TestUser::new("lp", tags),
        }
    }

    fn name(&self) -> &str {
        &self.user.name
    }

    /// Sets the user's permissions on `vhost` (regexes).
    fn grant(&self, vhost: &str, configure: &str, write: &str, read: &str) {
        broker().expect_ok(
            "PUT",
            &format!("/api/permissions/{}/{}", enc(vhost), enc(&self.user.name)),
            Some(&json!({"configure": configure, "write": write, "read": read})),
        );
    }

    /// `warren ARGS` logged in as this user.
    fn warren(&self, args: &[&str]) -> Test {
        let b = broker();
        let mut all = vec!["--url", &b.url, "--username", &self.user.name];
        all.extend_from_slice(args);
        Test::new()
            .args(all)
            .env("WARREN_PASSWORD", &self.user.password)
    }
}

/// A directory of topology files.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes `yaml` as `name`, each `$V` (and `$O`) replaced by the quoted
    /// vhost name; returns the path as an argument.
    fn write(&self, name: &str, yaml: &str, vhost: &str, other: &str) -> String {
        let path: PathBuf = self.dir.path().join(name);
        let text = yaml
            .replace("$V", &yaml_quoted(vhost))
            .replace("$O", &yaml_quoted(other));
        std::fs::write(&path, text).unwrap();
        arg(&path).to_string()
    }

    fn path(&self, name: &str) -> String {
        arg(&self.dir.path().join(name)).to_string()
    }
}

/// Every kind a policymaker manages inside a vhost.
const EVERY_KIND: &str = "
vhosts:
  - name: $V
exchanges:
  - {vhost: $V, name: events, type: topic}
  - {vhost: $V, name: audit, type: fanout}
queues:
  - {vhost: $V, name: order.events}
  - {vhost: $V, name: jobs, arguments: {x-queue-type: quorum}}
bindings:
  - {vhost: $V, source: events, destination: order.events, routing_key: order.*}
  - {vhost: $V, source: events, destination: audit, destination_type: exchange, routing_key: '#'}
policies:
  - {vhost: $V, name: ttl-orders, pattern: ^order\\., apply_to: queues, definition: {message-ttl: 60000}}
";

/// EVERY_KIND less one queue, one binding and one policy.
const FEWER: &str = "
vhosts:
  - name: $V
exchanges:
  - {vhost: $V, name: events, type: topic}
  - {vhost: $V, name: audit, type: fanout}
queues:
  - {vhost: $V, name: jobs, arguments: {x-queue-type: quorum}}
bindings:
  - {vhost: $V, source: events, destination: audit, destination_type: exchange, routing_key: '#'}
";

const NO_CHANGES: &str = "No changes. The broker matches the files.\n";
const IN_SYNC: &str = "In sync. The broker matches the files.\n";

/// Asserts a failed apply whose report (stdout) has this `failed:` line.
#[track_caller]
fn assert_apply_failed(run: &Run, failed: &str) {
    assert_eq!(run.code, Some(1), "{run}");
    let line = format!("  failed: {failed}");
    assert!(
        run.stdout.lines().any(|l| l == line),
        "no line\n{line}\nin the report\n{run}"
    );
    assert!(
        run.last_stderr_line()
            .starts_with("error: apply did not finish"),
        "{run}"
    );
}

#[test]
fn a_policymaker_with_permissions_on_one_vhost_manages_everything_in_it() {
    let v = TestVhost::new("lp-policymaker");
    let files = Files::new();
    let every = files.write("every.yaml", EVERY_KIND, &v.name, "");
    let fewer = files.write("fewer.yaml", FEWER, &v.name, "");
    let actor = Actor::new("policymaker");
    actor.grant(&v.name, ".*", ".*", ".*");

    let plan = actor
        .warren(&["plan", &every])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        plan.stdout
            .ends_with("Plan: 7 to create, 0 to update, 0 to replace, 0 to delete.\n"),
        "{plan}"
    );
    let saved = files.path("plan.json");
    actor
        .warren(&["plan", "--out", &saved, &every])
        .stdout_any()
        .stderr_any()
        .run();
    actor
        .warren(&["apply", "--auto-approve", "--plan", &saved])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(v.exists("exchanges", "events") && v.exists("exchanges", "audit"));
    assert!(v.exists("queues", "order.events") && v.exists("queues", "jobs"));
    assert!(v.exists("policies", "ttl-orders"));
    assert_eq!(v.explicit_bindings().len(), 2);

    actor.warren(&["plan", &every]).stdout(NO_CHANGES).run();
    actor.warren(&["drift", &every]).stdout(IN_SYNC).run();
    actor
        .warren(&["apply", "--auto-approve", &every])
        .stdout_any()
        .stderr_any()
        .run();

    // It sees only its vhost, and exports it whole.
    let export = actor.warren(&["export"]).stdout_any().stderr_any().run();
    let exported: serde_json::Value = serde_yaml::from_str(&export.stdout).unwrap();
    let vhost = match broker().node_default_queue_type() {
        // From 4.0 the vhost has the node's default queue type.
        Some(t) => {
            json!({"name": v.name, "default_queue_type": t, "metadata": {"default_queue_type": t}})
        }
        None => json!({"name": v.name}),
    };
    assert_eq!(exported["vhosts"], json!([vhost]), "{export}");
    assert_eq!(exported["policies"][0]["name"], "ttl-orders", "{export}");

    // Deleting needs nothing more.
    let _prune = actor
        .warren(&["apply", "--auto-approve", "--prune", &fewer])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(!v.exists("queues", "order.events"));
    assert!(!v.exists("policies", "ttl-orders"));
    assert_eq!(v.explicit_bindings().len(), 1);
    actor.warren(&["drift", &fewer]).stdout(IN_SYNC).run();
}

#[test]
fn a_management_user_with_an_empty_permission_entry_can_plan_drift_and_export() {
    let v = TestVhost::new("lp-reader");
    let files = Files::new();
    let every = files.write("every.yaml", EVERY_KIND, &v.name, "");
    let fewer = files.write("fewer.yaml", FEWER, &v.name, "");
    let admin = Actor::new("administrator");
    admin.grant(&v.name, ".*", ".*", ".*");
    admin
        .warren(&["apply", "--auto-approve", &every])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(v.publish("", "order.events", "kept"));

    let reader = Actor::new("management");
    reader.grant(&v.name, "", "", "");
    reader.warren(&["plan", &every]).stdout(NO_CHANGES).run();
    reader.warren(&["drift", &every]).stdout(IN_SYNC).run();
    let export = reader
        .warren(&["export", "--vhost", &v.name])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(export.stdout.contains("name: ttl-orders"), "{export}");
    // Live message counts too, for the queues a plan would drop.
    let prune = reader
        .warren(&["plan", "--prune", &fewer])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(prune.stdout.contains("holds 1 message"), "{prune}");
    // But it may change nothing.
    let apply = reader
        .warren(&[
            "apply",
            "--auto-approve",
            "--prune",
            "--allow-data-loss",
            &fewer,
        ])
        .output();
    assert_eq!(apply.code, Some(1), "{apply}");
    assert!(apply.stdout.contains("\n  failed: "), "{apply}");
    assert!(v.exists("queues", "order.events"));
    assert!(v.exists("policies", "ttl-orders"));
    assert_eq!(v.explicit_bindings().len(), 2);
}

#[test]
fn a_vhost_the_user_has_no_permissions_on_is_named_with_the_fix() {
    let v = TestVhost::new("lp-mine");
    let other = TestVhost::new("lp-theirs");
    let files = Files::new();
    let both = files.write(
        "both.yaml",
        "vhosts: [{name: $V}, {name: $O}]\nqueues:\n  - {vhost: $V, name: mine}\n  - {vhost: $O, name: theirs}\n",
        &v.name,
        &other.name,
    );
    let actor = Actor::new("policymaker");
    actor.grant(&v.name, ".*", ".*", ".*");
    let url = &broker().url;
    let u = actor.name();
    let o = &other.name;
    // The listings of the vhost run concurrently: the URL in parentheses
    // is whichever of them answered first.
    let error = regex::Regex::new(&format!(
        r"^error: user '{}' has no permissions on vhost '{}' \({}/api/[a-z]+/{}\?\S+\): grant them \(rabbitmqctl set_permissions -p '{}' {} '\.\*' '\.\*' '\.\*'\) or leave the vhost out\n$",
        regex::escape(u),
        regex::escape(o),
        regex::escape(url),
        regex::escape(&enc(o)),
        regex::escape(o),
        regex::escape(u),
    ))
    .unwrap();
    for command in [
        vec!["plan", both.as_str()],
        vec!["drift", both.as_str()],
        vec!["apply", "--auto-approve", both.as_str()],
        vec!["export", "--vhost", o.as_str()],
    ] {
        let run = actor.warren(&command).output();
        assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{run}");
        assert!(error.is_match(&run.stderr), "{run}");
    }
    assert!(!v.exists("queues", "mine"), "nothing was applied");
    assert!(!other.exists("queues", "theirs"));

    // A vhost that does not exist is not a permission problem.
    let missing = unique_name("lp-missing");
    actor
        .warren(&["export", "--vhost", &missing])
        .status(1)
        .stderr(format!(
            "error: {}\n",
            &format!("vhost '{missing}' does not exist on {url}")
        ))
        .run();
}

#[test]
fn creating_or_changing_a_vhost_needs_the_administrator_tag() {
    let new = TestVhost::guard(unique_name("lp-new"));
    let v = TestVhost::new("lp-described");
    let files = Files::new();
    let create = files.write("new.yaml", "vhosts: [{name: $V}]\n", &new.name, "");
    let describe = files.write(
        "described.yaml",
        "vhosts: [{name: $V, description: changed by warren}]\n",
        &v.name,
        "",
    );
    let url = &broker().url;
    let actor = Actor::new("policymaker");
    actor.grant(&v.name, ".*", ".*", ".*");
    let u = actor.name();

    let plan = actor
        .warren(&["plan", &create])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        plan.stdout.contains(&format!("+ vhost {}", new.name)),
        "{plan}"
    );
    for (file, name) in [(&create, &new.name), (&describe, &v.name)] {
        let run = actor.warren(&["apply", "--auto-approve", file]).output();
        assert_apply_failed(
            &run,
            &format!(
                "declare vhost {name}: user '{u}' needs the administrator tag to create or update vhost '{name}' ({url}/api/vhosts/{}): log in as an administrator",
                enc(name)
            ),
        );
    }
    assert!(
        broker()
            .get(&format!("/api/vhosts/{}", enc(&new.name)))
            .is_none()
    );

    // An administrator needs no permissions beforehand: the broker grants
    // them on the vhost it creates.
    let admin = Actor::new("administrator");
    let with_queue = files.write(
        "new-with-queue.yaml",
        "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: q}]\n",
        &new.name,
        "",
    );
    admin
        .warren(&["apply", "--auto-approve", &with_queue])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(new.exists("queues", "q"));
}

#[test]
fn a_user_without_tags_is_told_to_get_management() {
    let v = TestVhost::new("lp-untagged");
    let files = Files::new();
    let file = files.write(
        "q.yaml",
        "vhosts: [{name: $V}]\nqueues: [{vhost: $V, name: q}]\n",
        &v.name,
        "",
    );
    let actor = Actor::new("");
    actor.grant(&v.name, ".*", ".*", ".*");
    let u = actor.name();
    let error = format!(
        "user '{u}' may not use the management API at {}: give it the management tag (rabbitmqctl set_user_tags {u} management) or log in as another user",
        broker().url
    );
    for command in [
        vec!["plan", file.as_str()],
        vec!["drift", file.as_str()],
        vec!["apply", "--auto-approve", file.as_str()],
        vec!["export"],
    ] {
        actor
            .warren(&command)
            .status(1)
            .stderr(format!("error: {}\n", &error))
            .run();
    }
    assert!(!v.exists("queues", "q"));
}

#[test]
fn a_management_user_cannot_apply_a_policy_and_is_told_to_get_policymaker() {
    let v = TestVhost::new("lp-no-policy");
    let files = Files::new();
    let policy = files.write(
        "policy.yaml",
        "vhosts: [{name: $V}]\npolicies:\n  - {vhost: $V, name: ttl, pattern: ^q, definition: {message-ttl: 1000}}\n",
        &v.name,
        "",
    );
    let objects = files.write(
        "objects.yaml",
        "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: x, type: direct}]\nqueues: [{vhost: $V, name: q}]\nbindings: [{vhost: $V, source: x, destination: q}]\n",
        &v.name,
        "",
    );
    let actor = Actor::new("management");
    actor.grant(&v.name, ".*", ".*", ".*");
    let u = actor.name();
    let n = &v.name;
    let url = &broker().url;

    let run = actor.warren(&["apply", "--auto-approve", &policy]).output();
    assert_apply_failed(
        &run,
        &format!(
            "declare policy ttl in vhost {n}: user '{u}' may not set policy 'ttl' in vhost '{n}' ({url}/api/policies/{}/ttl): the broker says \"User not authorised to access object\"; policies need the policymaker tag (rabbitmqctl set_user_tags {u} policymaker)",
            enc(n)
        ),
    );
    assert!(!v.exists("policies", "ttl"));

    // Everything but policies needs only permissions.
    actor
        .warren(&["apply", "--auto-approve", &objects])
        .stdout_any()
        .stderr_any()
        .run();
    actor.warren(&["drift", &objects]).stdout(IN_SYNC).run();

    // And a policymaker needs no more than a permission entry, even empty.
    let maker = Actor::new("policymaker");
    maker.grant(&v.name, "", "", "");
    maker
        .warren(&["apply", "--auto-approve", &policy])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(v.exists("policies", "ttl"));
}

#[test]
fn a_configure_permission_that_denies_a_name_is_named_with_the_permission() {
    let v = TestVhost::new("lp-configure");
    let files = Files::new();
    let file = files.write(
        "names.yaml",
        "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: allowed.x, type: direct}]\nqueues:\n  - {vhost: $V, name: allowed.q}\n  - {vhost: $V, name: forbidden.q}\n",
        &v.name,
        "",
    );
    let exchange = files.write(
        "exchange.yaml",
        "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: forbidden.x, type: direct}]\n",
        &v.name,
        "",
    );
    let actor = Actor::new("policymaker");
    actor.grant(&v.name, "^allowed\\.", ".*", ".*");
    let u = actor.name();
    let n = &v.name;
    let url = &broker().url;
    let advice = format!(
        "the broker says \"Access refused.\"; check the user's configure permission on vhost '{n}': its regex must match the name (rabbitmqctl list_user_permissions {u}); names starting with amq. are reserved"
    );

    let run = actor.warren(&["apply", "--auto-approve", &file]).output();
    assert_apply_failed(
        &run,
        &format!(
            "declare queue forbidden.q in vhost {n}: user '{u}' may not declare queue 'forbidden.q' in vhost '{n}' ({url}/api/queues/{}/forbidden%2Eq): {advice}",
            enc(n)
        ),
    );
    assert!(v.exists("queues", "allowed.q") && v.exists("exchanges", "allowed.x"));
    assert!(!v.exists("queues", "forbidden.q"));

    let run = actor
        .warren(&["apply", "--auto-approve", &exchange])
        .output();
    assert_apply_failed(
        &run,
        &format!(
            "declare exchange forbidden.x in vhost {n}: user '{u}' may not declare exchange 'forbidden.x' in vhost '{n}' ({url}/api/exchanges/{}/forbidden%2Ex): {advice}",
            enc(n)
        ),
    );

    // Deleting needs the configure permission too.
    let allowed = files.write(
        "allowed.yaml",
        "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: allowed.x, type: direct}]\nqueues: [{vhost: $V, name: allowed.q}]\n",
        &v.name,
        "",
    );
    v.put_queue("forbidden.old", json!({"durable": true}));
    let run = actor
        .warren(&["apply", "--auto-approve", "--prune", &allowed])
        .output();
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "  failed: delete queue forbidden.old in vhost {n}: user '{u}' may not delete queue 'forbidden.old'"
        )) && run.stdout.contains(&advice),
        "{run}"
    );
    assert!(v.exists("queues", "forbidden.old"));
}

#[test]
fn a_binding_needs_write_on_its_destination_and_read_on_its_source() {
    let v = TestVhost::new("lp-binding");
    let files = Files::new();
    let objects = "vhosts: [{name: $V}]\nexchanges: [{vhost: $V, name: events, type: topic}]\nqueues: [{vhost: $V, name: q}]\n";
    let unbound = files.write("unbound.yaml", objects, &v.name, "");
    let bound = files.write(
        "bound.yaml",
        &format!(
            "{objects}bindings: [{{vhost: $V, source: events, destination: q, routing_key: a.b}}]\n"
        ),
        &v.name,
        "",
    );
    let actor = Actor::new("policymaker");
    actor.grant(&v.name, ".*", ".*", ".*");
    actor
        .warren(&["apply", "--auto-approve", &unbound])
        .stdout_any()
        .stderr_any()
        .run();
    let u = actor.name();
    let n = &v.name;
    let url = &broker().url;
    let failed = format!(
        "create binding events -> q [a.b] in vhost {n}: user '{u}' may not create binding 'events' -> queue 'q' with routing key 'a.b' in vhost '{n}' ({url}/api/bindings/{}/e/events/q/q): the broker says \"Access refused.\"; a binding needs the write permission on its destination and the read permission on its source: check the user's permissions on vhost '{n}' (rabbitmqctl list_user_permissions {u})",
        enc(n)
    );

    // No write on the queue, then no read on the exchange.
    actor.grant(&v.name, ".*", "^events$", ".*");
    assert_apply_failed(
        &actor.warren(&["apply", "--auto-approve", &bound]).output(),
        &failed,
    );
    actor.grant(&v.name, ".*", ".*", "^q$");
    assert_apply_failed(
        &actor.warren(&["apply", "--auto-approve", &bound]).output(),
        &failed,
    );
    assert!(v.explicit_bindings().is_empty());

    // Write on the destination and read on the source suffice.
    actor.grant(&v.name, "", "^q$", "^events$");
    actor
        .warren(&["apply", "--auto-approve", &bound])
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(v.explicit_bindings().len(), 1);

    // Unbinding needs the same.
    actor.grant(&v.name, "", "^events$", "^events$");
    let run = actor
        .warren(&["apply", "--auto-approve", "--prune", &unbound])
        .output();
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout
            .contains("a binding needs the write permission on its destination"),
        "{run}"
    );
    assert_eq!(v.explicit_bindings().len(), 1);
    actor.grant(&v.name, "", "^q$", "^events$");
    actor
        .warren(&["apply", "--auto-approve", "--prune", &unbound])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(v.explicit_bindings().is_empty());
}

/// Users (and permissions, limits, global parameters) are the
/// administrator's: a policymaker whose files declare them is told so
/// before anything changes. Shovels and federation upstreams of its vhost
/// a policymaker manages.
#[test]
fn users_need_the_administrator_tag_and_a_shovel_the_policymaker_tag() {
    let v = TestVhost::new("lp-access");
    let actor = Actor::new("policymaker");
    actor.grant(&v.name, ".*", ".*", ".*");
    let files = Files::new();
    let users = files.write(
        "users.yaml",
        "vhosts: [{name: $V}]\nusers: []\nqueues: [{vhost: $V, name: jobs}]\n",
        &v.name,
        "",
    );
    let refused = actor.warren(&["plan", &users]).status(1).stderr_any().run();
    assert!(
        refused.stderr.contains(&format!(
            "error: user '{}' needs the administrator tag to list the users",
            actor.name()
        )),
        "{refused}"
    );
    assert!(!v.exists("queues", "jobs"));

    let uri = format!("amqp:///{}", enc(&v.name));
    let shovel = files.write(
        "shovel.yaml",
        &format!(
            "vhosts: [{{name: $V}}]\nqueues: [{{vhost: $V, name: a}}, {{vhost: $V, name: b}}]\nparameters:\n  - {{component: shovel, vhost: $V, name: s, value: {{src-protocol: amqp091, src-uri: {uri:?}, src-queue: a, dest-protocol: amqp091, dest-uri: {uri:?}, dest-queue: b}}}}\n"
        ),
        &v.name,
        "",
    );
    actor
        .warren(&["apply", "--auto-approve", &shovel])
        .stdout_line("Applied 3 changes, 0 failed, 0 not started.")
        .stderr_any()
        .run();
    actor
        .warren(&["plan", &shovel])
        .stdout(NO_CHANGES)
        .stderr_any()
        .run();
}
