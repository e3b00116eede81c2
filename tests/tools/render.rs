//! The diagrams of `warren graph` and of a review's Markdown, drawn by
//! real renderers: Graphviz's `dot` and mermaid-cli (Mermaid's own
//! renderer, in Debian's Chromium). A syntax error, or a warning from
//! `dot`, fails the test; each renderer is first shown a broken diagram,
//! which it must refuse, so a renderer that accepts anything cannot pass.
//! The diagrams: the default topology, one with every kind of edge and
//! names that are syntax in both languages, the story's dead-letter plan,
//! and a plan of every mark in several vhosts, cut with a note of what was
//! left out.

use std::path::Path;
use std::process::Command;

use warren::graph::Graph;
use warren::model::Topology;
use warren::plan::{PlanInputs, plan_changes};
use warren::render::{render_dot, render_mermaid};

use super::{repo, run, text, tool};

fn topology(path: &str) -> Topology {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// A plan of every mark (added, changed, removed, unmanaged) in two
/// vhosts, over a topology too big to draw whole: cut, with a note.
fn plan_of_every_mark() -> Graph {
    let mut live: Topology = serde_yaml::from_str(
        r#"
vhosts: [{name: /}, {name: shop}]
exchanges:
  - {name: events, vhost: shop, type: topic}
  - {name: legacy, vhost: shop, type: fanout}
queues:
  - {name: order.events, vhost: shop, arguments: {x-message-ttl: 60000}}
  - {name: manual, vhost: /}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.#', vhost: shop}
  - {source: legacy, destination: order.events, vhost: shop}
"#,
    )
    .unwrap();
    let mut desired: Topology = serde_yaml::from_str(
        r#"
vhosts: [{name: /}, {name: shop}]
exchanges:
  - {name: events, vhost: shop, type: topic}
  - {name: dlx, vhost: shop, type: fanout}
queues:
  - {name: order.events, vhost: shop, arguments: {x-message-ttl: 120000, x-dead-letter-exchange: dlx}}
  - {name: jobs, vhost: /}
bindings:
  - {source: events, destination: order.events, routing_key: 'order.#', vhost: shop}
"#,
    )
    .unwrap();
    for i in 0..60 {
        let queue: Topology = serde_yaml::from_str(&format!("queues: [{{name: q{i}}}]")).unwrap();
        live.queues.push(queue.queues[0].clone());
        desired.queues.push(queue.queues[0].clone());
    }
    let plan = plan_changes(
        &desired,
        &live,
        PlanInputs {
            prune: true,
            ..PlanInputs::default()
        },
    );
    let graph = Graph::review(&live, &plan);
    assert!(!graph.left_out.is_empty(), "the graph is cut");
    graph
}

/// Every graph drawn, by name.
fn graphs() -> Vec<(&'static str, Graph)> {
    let default = topology("topologies/default.yaml");
    let before = default.clone();
    let after = topology("docs/order-events-dead-letters.yaml");
    let plan = plan_changes(&after, &before, PlanInputs::default());
    vec![
        ("default", Graph::of(&default)),
        ("every-edge", Graph::of(&topology("docs/every-edge.yaml"))),
        ("story-plan", Graph::review(&before, &plan)),
        ("every-mark", plan_of_every_mark()),
    ]
}

/// Draws each Mermaid diagram of `diagrams` with mermaid-cli, in one
/// browser: Ok, or what it said.
fn mermaid_cli(dir: &Path, diagrams: &[String]) -> Result<(), String> {
    let mut markdown = String::new();
    for diagram in diagrams {
        markdown.push_str(&format!("```mermaid\n{diagram}```\n\n"));
    }
    let input = dir.join("diagrams.md");
    std::fs::write(&input, markdown).unwrap();
    let tools = super::tools_dir();
    let output = run(Command::new(tool("mmdc"))
        .arg("-p")
        .arg(tools.join("puppeteer.json"))
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(dir.join("drawn.md"))
        .args(["-e", "svg"]));
    if !output.status.success() {
        return Err(format!("{}{}", text(&output.stdout), text(&output.stderr)));
    }
    let drawn = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    if drawn != diagrams.len() {
        return Err(format!("{drawn} pictures for {} diagrams", diagrams.len()));
    }
    Ok(())
}

#[test]
fn mermaid_cli_draws_every_mermaid_diagram() {
    let broken = tempfile::tempdir().unwrap();
    assert!(
        mermaid_cli(
            broken.path(),
            &["flowchart LR\n  n0{{\"a\" --> n1\n".to_string()]
        )
        .is_err(),
        "mermaid-cli must refuse a broken diagram"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut diagrams: Vec<String> = graphs().iter().map(|(_, g)| render_mermaid(g)).collect();
    for picture in ["docs/graph-default.mmd", "docs/graph-plan.mmd"] {
        diagrams.push(std::fs::read_to_string(repo().join(picture)).unwrap());
    }
    if let Err(said) = mermaid_cli(dir.path(), &diagrams) {
        panic!(
            "mermaid-cli refused a diagram:\n{said}\nthe diagrams:\n{}",
            diagrams.join("\n")
        );
    }
}

/// Draws a DOT diagram with Graphviz: Ok, or what it said (a warning too).
fn graphviz(diagram: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("diagram.dot");
    std::fs::write(&input, diagram).unwrap();
    let output = run(Command::new(tool("dot"))
        .arg("-Tsvg")
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("diagram.svg")));
    let said = text(&output.stderr);
    if output.status.success() && said.is_empty() {
        Ok(())
    } else {
        Err(said)
    }
}

#[test]
fn graphviz_draws_every_dot_diagram_without_a_warning() {
    assert!(
        graphviz("digraph warren {\n  n0 [label=\"a];\n}\n").is_err(),
        "dot must refuse a broken diagram"
    );
    for (name, graph) in graphs() {
        let diagram = render_dot(&graph);
        if let Err(said) = graphviz(&diagram) {
            panic!("dot refused the {name} diagram: {said}\n{diagram}");
        }
    }
}

#[test]
fn the_pictures_the_readme_shows_are_in_docs() {
    for picture in ["docs/graph-default.png", "docs/graph-plan.png"] {
        let bytes = std::fs::read(repo().join(picture))
            .unwrap_or_else(|e| panic!("{picture}: {e}: run scripts/render-docs"));
        assert!(bytes.starts_with(b"\x89PNG"), "{picture} is a PNG");
    }
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for picture in ["docs/graph-default.png", "docs/graph-plan.png"] {
        assert!(readme.contains(picture), "the README shows {picture}");
    }
}
