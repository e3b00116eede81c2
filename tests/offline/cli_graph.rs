//! `warren graph`: the routing of the files as Mermaid, DOT or JSON, a saved
//! plan's changes marked on it, and the diagram the Markdown of a review
//! embeds. (tests/tools/render.rs has real renderers draw these.)

use std::path::Path;

use warren::model::Topology;
use warren::plan::{BrokerInfo, PlanInputs, plan_changes};
use warren::render::render_plan_json;

use crate::common::warren::Test;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const DEFAULT_MERMAID: &str = r#"flowchart LR
  n0{{"events<br/>topic"}}
  n1[("jobs")]
  n2[("order.events")]
  n0 -->|"order.*"| n2
"#;

#[test]
fn the_default_topology_in_mermaid() {
    Test::new()
        .current_dir(repo())
        .args(["graph", "topologies/default.yaml", "--format", "mermaid"])
        .stdout(DEFAULT_MERMAID)
        .run();
    // Mermaid is the default.
    Test::new()
        .current_dir(repo())
        .args(["graph", "topologies/default.yaml"])
        .stdout(DEFAULT_MERMAID)
        .run();
}

#[test]
fn the_default_topology_in_dot() {
    Test::new()
        .current_dir(repo())
        .args(["graph", "--format", "dot", "topologies/default.yaml"])
        .stdout(
            r#"digraph warren {
  rankdir=LR;
  node [fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=10];
  n0 [label="events\ntopic", shape=hexagon];
  n1 [label="jobs", shape=cylinder];
  n2 [label="order.events", shape=cylinder];
  n0 -> n2 [label="order.*"];
}
"#,
        )
        .run();
}

#[test]
fn one_vhost_of_several_is_drawn_alone() {
    Test::new()
        .current_dir(repo())
        .args(["graph", "docs/every-edge.yaml", "--vhost", "billing"])
        .stdout(
            r#"flowchart LR
  n0{{"invoices.in<br/>direct"}}
  n1[("invoices")]
  n0 -->|"invoice"| n1
"#,
        )
        .run();
}

#[test]
fn graph_draws_diagrams_or_writes_json_only() {
    Test::new()
        .args(["graph", "--format", "markdown"])
        .stderr(
            "error: warren graph draws --format mermaid or --format dot, or writes --format \
             json, not markdown\n\n\
             Usage: warren [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n",
        )
        .status(1)
        .run();
}

/// The nodes and edges themselves, for other tools: a node's id is its
/// place in `nodes`, an edge joins two ids.
#[test]
fn the_default_topology_in_json() {
    let run = Test::new()
        .current_dir(repo())
        .args(["graph", "topologies/default.yaml", "--format", "json"])
        .stdout_any()
        .run();
    let graph: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let names: Vec<(&str, &str)> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap(), n["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("exchange", "events"),
            ("queue", "jobs"),
            ("queue", "order.events")
        ]
    );
    assert_eq!(graph["nodes"][0]["type"], "topic");
    assert_eq!(graph["nodes"][0]["vhost"], "/");
    assert_eq!(
        graph["edges"],
        serde_json::json!([{"from": 0, "to": 2, "kind": "binding", "label": "order.*", "mark": "unchanged"}])
    );
}

/// A saved plan's marks, in JSON: what the story adds is `added`.
#[test]
fn a_saved_plan_in_json_marks_what_it_adds() {
    let dir = tempfile::tempdir().unwrap();
    saved_story_plan(dir.path());
    let run = Test::new()
        .current_dir(dir.path())
        .args(["graph", "--plan", "plan.json", "--format", "json"])
        .stdout_any()
        .run();
    let graph: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let added: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["mark"] == "added")
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(added.len(), 2, "{graph:#}");
    let marked_edges = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["mark"] == "added")
        .count();
    assert_eq!(marked_edges, 2, "{graph:#}");
}

/// A plan saved by `warren plan --out`, made in `dir` from the story's
/// dead-letter change against a broker holding the default topology.
fn saved_story_plan(dir: &Path) -> std::path::PathBuf {
    let story =
        std::fs::read_to_string(repo().join("docs/order-events-dead-letters.yaml")).unwrap();
    let file = dir.join("story.yaml");
    std::fs::write(&file, &story).unwrap();
    let after: Topology = serde_yaml::from_str(&story).unwrap();
    let live: Topology =
        serde_yaml::from_str(include_str!("../../topologies/default.yaml")).unwrap();
    let plan = plan_changes(
        &after,
        &live,
        PlanInputs {
            broker: Some(BrokerInfo {
                url: "http://localhost:15672".into(),
                version: "3.10.8".into(),
            }),
            files: vec![file.display().to_string()],
            ..PlanInputs::default()
        },
    );
    let saved = dir.join("plan.json");
    std::fs::write(&saved, render_plan_json(&plan)).unwrap();
    saved
}

/// What the story's dead-letter change adds, marked: the exchange dlx, the
/// queue order.dead, the binding between them, and the dead-letter edge
/// the new policy gives order.events.
const STORY_MERMAID: &str = r#"flowchart LR
  n0{{"dlx<br/>fanout"}}
  n1{{"events<br/>topic"}}
  n2[("jobs")]
  n3[("order.dead")]
  n4[("order.events")]
  n0 --> n3
  n1 -->|"order.*"| n4
  n4 -.->|"dead letters (policy order-events-dead-letters)"| n0
  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px
  class n0,n3 added
  linkStyle 0,2 stroke:#1a7f37,stroke-width:2px
"#;

#[test]
fn a_saved_plan_is_drawn_with_what_it_adds_marked() {
    let dir = tempfile::tempdir().unwrap();
    saved_story_plan(dir.path());
    Test::new()
        .current_dir(dir.path())
        .args(["graph", "--plan", "plan.json"])
        .stdout(STORY_MERMAID)
        .run();
}

#[test]
fn a_saved_plan_of_other_files_is_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    saved_story_plan(dir.path());
    std::fs::write(
        dir.path().join("story.yaml"),
        include_str!("../../topologies/default.yaml"),
    )
    .unwrap();
    Test::new()
        .current_dir(dir.path())
        .args(["graph", "--plan", "plan.json"])
        .stderr_contains("was made from other files")
        .status(1)
        .run();
}

/// The Mermaid block of a rendered Markdown review.
fn mermaid_block(markdown: &str) -> String {
    let start = markdown.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let end = start + markdown[start..].find("```").expect("the block ends");
    markdown[start..end].to_string()
}

#[test]
fn the_markdown_of_the_dead_letter_change_draws_the_new_exchange_queue_and_binding_marked() {
    let output = Test::new()
        .current_dir(repo())
        .args([
            "diff",
            "--format",
            "markdown",
            "topologies/default.yaml",
            "docs/order-events-dead-letters.yaml",
        ])
        .stdout_contains("<details><summary>Routing: what changes</summary>")
        .stdout_contains("Green: added.")
        .status(2)
        .run();
    assert_eq!(mermaid_block(&output.stdout), STORY_MERMAID);
}

#[test]
fn the_diagrams_in_docs_are_what_warren_draws_now() {
    let default = Test::new()
        .current_dir(repo())
        .args(["graph", "topologies/default.yaml"])
        .stdout_any()
        .run();
    let plan = Test::new()
        .current_dir(repo())
        .args([
            "diff",
            "--format",
            "markdown",
            "topologies/default.yaml",
            "docs/order-events-dead-letters.yaml",
        ])
        .stdout_any()
        .status(2)
        .run();
    let read = |name: &str| std::fs::read_to_string(repo().join(name)).unwrap();
    assert_eq!(
        read("docs/graph-default.mmd"),
        default.stdout,
        "docs/graph-default.mmd is stale: run scripts/render-docs"
    );
    assert_eq!(
        read("docs/graph-plan.mmd"),
        mermaid_block(&plan.stdout),
        "docs/graph-plan.mmd is stale: run scripts/render-docs"
    );
}
