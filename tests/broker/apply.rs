//! `warren apply` end to end: the real binary against a real RabbitMQ.
//!
//! One file per feature. Each test works in vhosts of its own (created by
//! the harness, or by warren and guarded by the harness), writes its
//! topology files into a temporary directory, states the command line, the
//! expected output and the exit status, and checks the broker afterwards
//! with raw HTTP (`common::broker`), never through warren's own client.

use crate::common;

mod changes;
mod convergence;
mod default_topology;
mod json;
mod multi_vhost;
mod safety;
mod saved_plans;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use assert_cmd::cargo::{cargo_bin, cargo_bin_cmd};
use serde_json::Value;

use common::broker::{TestVhost, broker};

/// What a run of warren printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Checks the exit status and the whole of stdout, printing both sides
    /// and stderr when they differ.
    #[track_caller]
    fn expect(&self, code: i32, stdout: &str) -> &Run {
        assert!(
            self.code == code && self.stdout == stdout,
            "\n--- expected (exit {code}) ---\n{stdout}\n--- actual (exit {}) ---\n{}\n--- stderr ---\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Checks the exit status only.
    #[track_caller]
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Checks that stderr holds `line` as one whole line.
    #[track_caller]
    fn stderr_line(&self, line: &str) -> &Run {
        assert!(
            self.stderr.lines().any(|l| l == line),
            "stderr has no line\n  {line}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            self.stderr,
            self.stdout
        );
        self
    }

    /// Checks that stdout holds `line` as one whole line.
    #[track_caller]
    fn stdout_line(&self, line: &str) -> &Run {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "stdout has no line\n  {line}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// stdout as one JSON document.
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\n--- stderr ---\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The connection options for the test broker.
fn connection_args() -> Vec<String> {
    let b = broker();
    vec![
        "--url".into(),
        b.url.clone(),
        "--username".into(),
        b.username.clone(),
        "--password".into(),
        b.password.clone(),
    ]
}

/// Runs `warren ARGS` (plus the connection options) in `dir`, with stdin
/// a pipe (not a terminal) that holds `yes`.
fn warren(dir: &Path, args: &[&str]) -> Run {
    let output = cargo_bin_cmd!("warren")
        .current_dir(dir)
        .args(connection_args())
        .args(args)
        .env_remove("WARREN_URL")
        .env_remove("WARREN_USERNAME")
        .env_remove("WARREN_PASSWORD")
        .env("NO_COLOR", "1")
        .write_stdin("yes\n")
        .output()
        .expect("warren runs");
    Run {
        code: output.status.code().expect("warren exits"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A warren started in the background; killed if the test ends (or
/// panics) before waiting for it, so it never outlives its vhost's guard.
struct Spawned(Option<Child>);

impl Spawned {
    /// Kills it now (SIGKILL: no chance to finish anything).
    fn kill(&mut self) {
        if let Some(child) = self.0.as_mut() {
            child.kill().expect("kill warren");
        }
    }

    /// Waits for it to end.
    fn finish(mut self) -> Run {
        let child = self.0.take().expect("not finished yet");
        let output = child.wait_with_output().expect("warren runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `warren ARGS` in `dir` without waiting for it.
fn spawn_warren(dir: &Path, args: &[&str]) -> Spawned {
    let child = Command::new(cargo_bin("warren"))
        .current_dir(dir)
        .args(connection_args())
        .args(args)
        .env_remove("WARREN_URL")
        .env_remove("WARREN_USERNAME")
        .env_remove("WARREN_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warren starts");
    Spawned(Some(child))
}

/// A temporary directory for topology files and saved plans.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The absolute path of `name` in the directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `content` to `name` and returns its absolute path as a string.
    fn write(&self, name: &str, content: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write a topology file");
        path.to_str().expect("a UTF-8 path").to_string()
    }
}

/// `text` with each `$NAME` replaced by the value quoted as a YAML (JSON)
/// string, so names that need quoting in YAML can be spliced in.
fn yaml(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    // Longest names first, so `$V2` is not taken for `$V` followed by `2`.
    let mut values = values.to_vec();
    values.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    for (name, value) in values {
        out = out.replace(
            &format!("${name}"),
            &serde_json::to_string(value).expect("a string"),
        );
    }
    out
}

/// The shipped `topologies/default.yaml`, moved into `vhost`: the vhost
/// renamed, and every object and route given that vhost.
fn default_topology_in(vhost: &str) -> String {
    let mut t: serde_yaml::Value =
        serde_yaml::from_str(include_str!("../../topologies/default.yaml"))
            .expect("the default topology is YAML");
    let map = t.as_mapping_mut().expect("a mapping");
    for (key, list) in map.iter_mut() {
        let key = key.as_str().expect("string keys");
        for item in list.as_sequence_mut().expect("lists").iter_mut() {
            let item = item.as_mapping_mut().expect("objects");
            let field = if key == "vhosts" { "name" } else { "vhost" };
            item.insert(field.into(), vhost.into());
        }
    }
    serde_yaml::to_string(&t).expect("YAML")
}

/// The objects of `vhost` as the broker lists them, each list sorted, with
/// the fields that say nothing about the topology left out: a value to
/// compare before and after a command.
fn raw_state(vhost: &TestVhost) -> Value {
    let keep = |kind: &str, fields: &[&str]| -> Value {
        let mut items: Vec<Value> = vhost
            .list(kind)
            .into_iter()
            .map(|item| {
                fields
                    .iter()
                    .map(|f| (f.to_string(), item[*f].clone()))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect();
        items.sort_by_key(|v: &Value| v.to_string());
        items.into()
    };
    let vhost_info = broker()
        .get(&format!("/api/vhosts/{}", common::broker::enc(&vhost.name)))
        .map(|v| serde_json::json!({"description": v["description"], "tags": v["tags"]}))
        .unwrap_or(Value::Null);
    serde_json::json!({
        "vhost": vhost_info,
        "exchanges": keep("exchanges", &["name", "type", "durable", "auto_delete", "internal", "arguments"]),
        "queues": keep("queues", &["name", "durable", "auto_delete", "arguments"]),
        "bindings": keep("bindings", &["source", "destination", "destination_type", "routing_key", "arguments", "properties_key"]),
        "policies": keep("policies", &["name", "pattern", "apply-to", "priority", "definition"]),
    })
}

/// The explicit bindings of `vhost` without their `properties_key`,
/// sorted: what a re-creation must give back.
fn binding_set(vhost: &TestVhost) -> Vec<Value> {
    let mut bindings: Vec<Value> = vhost
        .explicit_bindings()
        .into_iter()
        .map(|b| {
            serde_json::json!({
                "source": b["source"],
                "destination": b["destination"],
                "destination_type": b["destination_type"],
                "routing_key": b["routing_key"],
                "arguments": b["arguments"],
            })
        })
        .collect();
    bindings.sort_by_key(|b| b.to_string());
    bindings
}

/// The name of the exchange or queue items in a raw listing, sorted.
fn names(items: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = items
        .iter()
        .map(|i| i["name"].as_str().expect("a name").to_string())
        .collect();
    names.sort();
    names
}
