//! `warren apply` end to end: the real binary against a real RabbitMQ.
//!
//! One file per feature. Each test works in vhosts of its own (created by
//! the harness, or by warren and guarded by the harness), writes its
//! topology files into a temporary directory, states the command line, the
//! expected output and the exit status, and checks the broker afterwards
//! with raw HTTP (`common::broker`), never through warren's own client.

use crate::common;

mod changes;
mod consumers;
mod convergence;
mod default_topology;
mod interrupted;
mod json;
mod lock;
mod multi_vhost;
mod queue_still_there;
mod safety;
mod saved_plans;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::broker::{TestVhost, broker};
use common::warren::Test;

/// `warren` in `dir` against the test broker, with stdin a pipe (not a
/// terminal) that holds `yes`.
fn warren(dir: &Path, args: &[&str]) -> Test {
    Test::broker().current_dir(dir).stdin("yes\n").args(args)
}

/// `warren` in `dir` against the test broker, stdin closed, for a test
/// that [`spawn`](Test::spawn)s it and acts while it runs.
fn spawn_warren(dir: &Path, args: &[&str]) -> Test {
    Test::broker().current_dir(dir).args(args)
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
