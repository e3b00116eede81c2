//! One repository, several targets (`warren.yaml`), on the real broker:
//! the example project (`examples/warren.yaml` and its topology files),
//! its two targets pointed at two vhosts of the test broker, planned as
//! one PR comment, applied, planned again to "No changes", and checked for
//! drift with a third target that does not answer: one report, the worst
//! exit code.

use serde_json::Value;

use crate::common;
use common::broker::{TestVhost, broker};
use common::warren::{Files, Test};

/// The example project, its targets aimed at `vhosts` (staging, then
/// production) of the test broker, credentials from the environment
/// variables the test sets; with `extra`, a target more.
fn example_project(vhosts: [&str; 2], extra: Option<Value>) -> String {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("examples/warren.yaml")).unwrap();
    let mut project: Value = serde_yaml::from_str(&text).unwrap();
    let topologies = repo.join("examples/topologies");
    for (target, vhost) in project["targets"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(vhosts)
    {
        let target = target.as_object_mut().unwrap();
        target.remove("password_file");
        target.remove("ca_cert");
        target.insert("urls".into(), serde_json::json!([broker().url]));
        target.insert("username_env".into(), "TEST_RABBITMQ_USER".into());
        target.insert("password_env".into(), "TEST_RABBITMQ_PASSWORD".into());
        target.insert("paths".into(), serde_json::json!([topologies]));
        target["variables"]["vhost"] = vhost.into();
    }
    project["targets"].as_array_mut().unwrap().extend(extra);
    serde_yaml::to_string(&project).unwrap()
}

fn warren(project: &std::path::Path) -> Test {
    let b = broker();
    Test::new()
        .env("WARREN_PROJECT", project)
        .env("TEST_RABBITMQ_USER", &b.username)
        .env("TEST_RABBITMQ_PASSWORD", &b.password)
        .env_remove("WARREN_URL")
}

#[test]
fn the_example_project_runs_both_targets_in_one_report() {
    let staging = TestVhost::new("staging");
    let production = TestVhost::new("production");
    let files = Files::new();
    let project = files.write(
        "warren.yaml",
        &example_project([&staging.name, &production.name], None),
    );

    // One PR comment for both targets, each with its own values.
    let out = warren(&project)
        .args(["plan", "--all-targets", "--format", "markdown"])
        .stdout_any()
        .stderr_any()
        .run();
    let comment = &out.stdout;
    assert!(
        comment.starts_with("## warren plan: 2 targets\n"),
        "{comment}"
    );
    assert!(comment.contains("| `staging` | changes |\n"), "{comment}");
    let staging_part = &comment[comment.find("### Target `staging`").unwrap()..];
    let production_at = staging_part.find("### Target `production`").unwrap();
    let (staging_part, production_part) = staging_part.split_at(production_at);
    assert!(
        staging_part.contains("10000") && !staging_part.contains("1000000"),
        "{comment}"
    );
    assert!(staging_part.contains("3600000"), "{comment}");
    assert!(production_part.contains("1000000"), "{comment}");
    assert!(production_part.contains("86400000"), "{comment}");

    warren(&project)
        .args(["apply", "--all-targets", "--auto-approve"])
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(
        staging.declared_arguments("order.events")["x-max-length"],
        10000
    );
    assert_eq!(
        production.declared_arguments("order.events")["x-max-length"],
        1000000
    );
    let ttl = |vhost: &TestVhost| {
        let policy = broker()
            .get(&format!(
                "/api/policies/{}/order-ttl",
                common::broker::enc(&vhost.name)
            ))
            .unwrap();
        policy["definition"]["message-ttl"].clone()
    };
    assert_eq!(ttl(&staging), 3600000);
    assert_eq!(ttl(&production), 86400000);

    let out = warren(&project)
        .args(["plan", "--all-targets", "--detailed-exitcode"])
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(
        out.stdout.matches("No changes.").count(),
        2,
        "{}",
        out.stdout
    );

    // A queue deleted in production, and a third target that does not
    // answer: every target reported, exit 1 (the worst).
    broker().expect_ok("DELETE", &production.path("queues", &["jobs"]), None);
    let unreachable = serde_json::json!({"name": "broken", "urls": ["http://127.0.0.1:1"]});
    let project = files.write(
        "warren.yaml",
        &example_project([&staging.name, &production.name], Some(unreachable)),
    );
    let out = warren(&project)
        .args([
            "--timeout",
            "5",
            "drift",
            "--all-targets",
            "--format",
            "json",
        ])
        .status(1)
        .stdout_any()
        .stderr_any()
        .run();
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<(&str, &str)> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("staging", "clean"),
            ("production", "changes"),
            ("broken", "failed")
        ],
        "{report}"
    );
    assert_eq!(report["exit_code"], 1);
    assert!(
        report["targets"][1]["result"].to_string().contains("jobs"),
        "{report}"
    );
    // Without the broken target, drift is the worst: exit 2.
    warren(&project)
        .args(["drift", "--target", "staging", "--target", "production"])
        .status(2)
        .stdout_contains("2 targets: staging no drift; production drift\n")
        .stderr_any()
        .run();
}
