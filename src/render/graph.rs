//! The routing graph as a diagram: Mermaid (which GitHub and GitLab draw
//! from a ```mermaid block in a comment or a README) and Graphviz DOT.
//!
//! Both say the same things the same way: exchanges are hexagons and
//! queues cylinders, labelled with their name and type; a binding to a
//! queue is a plain arrow, one to an exchange a thick arrow, an alternate
//! exchange and a dead-letter exchange dashed arrows saying so; a plan's
//! additions are green, changes amber, removals red and dashed, unmanaged
//! objects grey. Several vhosts are boxed apart. What a cut left out is a
//! note in the picture. Names are escaped, never trusted as syntax. This
//! module only formats a [`Graph`]: which nodes and edges there are is
//! [`crate::graph`]'s business.

use std::fmt::Write;

use crate::graph::{EdgeKind, Graph, LeftOut, Mark, Node};
use crate::model::plural;

/// A diagram language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    /// The nodes and edges themselves, for other tools to draw.
    Json,
}

/// The view of `warren graph`: the diagram on stdout.
pub fn show_graph(graph: &Graph, format: GraphFormat) {
    super::print_stdout(&match format {
        GraphFormat::Mermaid => render_mermaid(graph),
        GraphFormat::Dot => render_dot(graph),
        GraphFormat::Json => render_json(graph),
    });
}

/// The graph as JSON: `nodes` (each with its place in the list as `id`),
/// `edges` between those ids, and what a cut `left_out`.
pub fn render_json(graph: &Graph) -> String {
    let nodes: Vec<serde_json::Value> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(id, node)| {
            serde_json::json!({
                "id": id,
                "kind": if node.is_exchange() { "exchange" } else { "queue" },
                "vhost": node.vhost(),
                "name": node.name(),
                "type": node.detail,
                "implicit": node.implicit,
                "mark": node.mark.as_str(),
            })
        })
        .collect();
    let edges: Vec<serde_json::Value> = graph
        .edges
        .iter()
        .map(|edge| {
            serde_json::json!({
                "from": edge.from,
                "to": edge.to,
                "kind": match edge.kind {
                    EdgeKind::Binding => "binding",
                    EdgeKind::ExchangeBinding => "exchange binding",
                    EdgeKind::Alternate => "alternate exchange",
                    EdgeKind::DeadLetter => "dead letters",
                },
                "label": edge.label,
                "mark": edge.mark.as_str(),
            })
        })
        .collect();
    let left_out = &graph.left_out;
    let document = serde_json::json!({
        "nodes": nodes,
        "edges": edges,
        "left_out": {
            "exchanges": left_out.exchanges,
            "queues": left_out.queues,
            "edges": left_out.edges,
            "changed": left_out.changed,
        },
    });
    format!("{document:#}\n")
}

/// Fill and stroke of each mark, shared by both languages.
fn colours(mark: Mark) -> Option<(&'static str, &'static str)> {
    match mark {
        Mark::Unchanged => None,
        Mark::Added => Some(("#dafbe1", "#1a7f37")),
        Mark::Changed => Some(("#fff8c5", "#9a6700")),
        Mark::Removed => Some(("#ffebe9", "#cf222e")),
        Mark::Unmanaged => Some(("#f6f8fa", "#8c959f")),
    }
}

/// A node's label lines: its name (`(default)` for the default exchange)
/// and its type, left out for a classic queue.
fn label_lines(node: &Node) -> Vec<String> {
    let name = if node.name().is_empty() {
        "(default)".to_string()
    } else {
        node.name().to_string()
    };
    let mut lines = vec![name];
    match &node.detail {
        Some(detail) if detail != "classic" || node.is_exchange() => lines.push(detail.clone()),
        _ => {}
    }
    lines
}

/// `3 exchanges, 10 queues and 12 edges not drawn`.
pub fn left_out_note(left_out: &LeftOut) -> String {
    let mut parts = Vec::new();
    if left_out.exchanges > 0 {
        parts.push(plural(left_out.exchanges, "exchange", "exchanges"));
    }
    if left_out.queues > 0 {
        parts.push(plural(left_out.queues, "queue", "queues"));
    }
    if left_out.edges > 0 {
        parts.push(plural(left_out.edges, "edge", "edges"));
    }
    let mut note = match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    };
    note.push_str(" not drawn");
    if left_out.changed > 0 {
        note.push_str(&format!(", {} of them changed", left_out.changed));
    }
    note
}

// ---------------------------------------------------------------------------
// Mermaid

/// A Mermaid flowchart, left to right.
pub fn render_mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    let vhosts = graph.vhosts();
    let boxed = vhosts.len() > 1;
    for (v, vhost) in vhosts.iter().enumerate() {
        let indent = if boxed {
            let _ = writeln!(
                out,
                "  subgraph v{v}[\"{}\"]",
                mermaid_text(&format!("vhost {vhost}"))
            );
            "    "
        } else {
            "  "
        };
        for (i, node) in graph.nodes.iter().enumerate() {
            if node.vhost() != *vhost {
                continue;
            }
            let text = label_lines(node)
                .iter()
                .map(|l| mermaid_text(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let (open, close) = if node.is_exchange() {
                ("{{", "}}")
            } else {
                ("[(", ")]")
            };
            let _ = writeln!(out, "{indent}n{i}{open}\"{text}\"{close}");
        }
        if boxed {
            out.push_str("  end\n");
        }
    }
    for edge in &graph.edges {
        let arrow = match edge.kind {
            EdgeKind::Binding => "-->",
            EdgeKind::ExchangeBinding => "==>",
            EdgeKind::Alternate | EdgeKind::DeadLetter => "-.->",
        };
        let label = if edge.label.is_empty() {
            String::new()
        } else {
            format!("|\"{}\"|", mermaid_text(&edge.label))
        };
        let _ = writeln!(out, "  n{} {arrow}{label} n{}", edge.from, edge.to);
    }
    if !graph.left_out.is_empty() {
        let _ = writeln!(
            out,
            "  left_out[\"{}\"]",
            mermaid_text(&left_out_note(&graph.left_out))
        );
        out.push_str("  style left_out fill:#ffffff,stroke:#8c959f,stroke-dasharray:3 3\n");
    }
    for mark in [Mark::Added, Mark::Changed, Mark::Removed, Mark::Unmanaged] {
        let nodes: Vec<String> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.mark == mark)
            .map(|(i, _)| format!("n{i}"))
            .collect();
        let edges: Vec<String> = graph
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.mark == mark)
            .map(|(i, _)| i.to_string())
            .collect();
        let Some((fill, stroke)) = colours(mark) else {
            continue;
        };
        let dashed = if matches!(mark, Mark::Removed | Mark::Unmanaged) {
            ",stroke-dasharray:5 3"
        } else {
            ""
        };
        if !nodes.is_empty() {
            let _ = writeln!(
                out,
                "  classDef {} fill:{fill},stroke:{stroke},stroke-width:2px{dashed}",
                mark.as_str()
            );
            let _ = writeln!(out, "  class {} {}", nodes.join(","), mark.as_str());
        }
        if !edges.is_empty() {
            let _ = writeln!(
                out,
                "  linkStyle {} stroke:{stroke},stroke-width:2px{dashed}",
                edges.join(",")
            );
        }
    }
    out
}

/// Text inside a quoted Mermaid label: what Mermaid would read as syntax
/// or markup (quotes, `#` entities, HTML, backquoted Markdown, the pipes
/// around an edge label) written as `#code;` entities, line breaks as
/// spaces.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '#' | '<' | '>' | '&' | '`' | '|' | '\\' => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// DOT

/// A Graphviz digraph, left to right.
pub fn render_dot(graph: &Graph) -> String {
    let mut out = String::from(
        "digraph warren {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    let vhosts = graph.vhosts();
    let boxed = vhosts.len() > 1;
    for (v, vhost) in vhosts.iter().enumerate() {
        let indent = if boxed {
            let _ = writeln!(
                out,
                "  subgraph cluster_v{v} {{\n    label={};\n    style=rounded;",
                dot_string(&format!("vhost {vhost}"))
            );
            "    "
        } else {
            "  "
        };
        for (i, node) in graph.nodes.iter().enumerate() {
            if node.vhost() != *vhost {
                continue;
            }
            let shape = if node.is_exchange() {
                "hexagon"
            } else {
                "cylinder"
            };
            let mut attributes = vec![
                format!("label={}", dot_string(&label_lines(node).join("\n"))),
                format!("shape={shape}"),
            ];
            attributes.extend(dot_colours(node.mark, true));
            let _ = writeln!(out, "{indent}n{i} [{}];", attributes.join(", "));
        }
        if boxed {
            out.push_str("  }\n");
        }
    }
    for edge in &graph.edges {
        let mut attributes = Vec::new();
        if !edge.label.is_empty() {
            attributes.push(format!("label={}", dot_string(&edge.label)));
        }
        match edge.kind {
            EdgeKind::Binding => {}
            EdgeKind::ExchangeBinding => attributes.push("penwidth=2.5".into()),
            EdgeKind::Alternate | EdgeKind::DeadLetter => {
                attributes.push("style=dashed".into());
            }
        }
        attributes.extend(dot_colours(edge.mark, false));
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attributes.join(", "))
        };
        let _ = writeln!(out, "  n{} -> n{}{attributes};", edge.from, edge.to);
    }
    if !graph.left_out.is_empty() {
        let _ = writeln!(
            out,
            "  left_out [label={}, shape=note, color=\"#8c959f\"];",
            dot_string(&left_out_note(&graph.left_out))
        );
    }
    out.push_str("}\n");
    out
}

/// The colour attributes of a mark: filled nodes, coloured edges; removed
/// and unmanaged ones dashed.
fn dot_colours(mark: Mark, node: bool) -> Vec<String> {
    let Some((fill, stroke)) = colours(mark) else {
        return Vec::new();
    };
    let dashed = matches!(mark, Mark::Removed | Mark::Unmanaged);
    let mut attributes = vec![format!("color=\"{stroke}\"")];
    if node {
        attributes.push(format!("fillcolor=\"{fill}\""));
        attributes.push("penwidth=2".to_string());
        attributes.push(if dashed {
            "style=\"filled,dashed\"".into()
        } else {
            "style=filled".into()
        });
    } else {
        attributes.push(format!("fontcolor=\"{stroke}\""));
        if dashed {
            attributes.push("style=dashed".into());
        }
    }
    attributes
}

/// A DOT quoted string: backslashes and quotes escaped (so a name holding
/// `\N` or `\l` is text, not an escape), line breaks as `\n`.
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Topology;

    fn graph(yaml: &str) -> Graph {
        Graph::of(&serde_yaml::from_str::<Topology>(yaml).unwrap())
    }

    const DEFAULT: &str = "
exchanges: [{name: events, type: topic}]
queues: [{name: order.events}, {name: jobs}]
bindings: [{source: events, destination: order.events, routing_key: 'order.*'}]
";

    #[test]
    fn the_default_topology_in_mermaid() {
        assert_eq!(
            render_mermaid(&graph(DEFAULT)),
            r#"flowchart LR
  n0{{"events<br/>topic"}}
  n1[("jobs")]
  n2[("order.events")]
  n0 -->|"order.*"| n2
"#
        );
    }

    #[test]
    fn the_default_topology_in_dot() {
        assert_eq!(
            render_dot(&graph(DEFAULT)),
            r#"digraph warren {
  rankdir=LR;
  node [fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=10];
  n0 [label="events\ntopic", shape=hexagon];
  n1 [label="jobs", shape=cylinder];
  n2 [label="order.events", shape=cylinder];
  n0 -> n2 [label="order.*"];
}
"#
        );
    }

    #[test]
    fn names_are_escaped_not_read_as_syntax() {
        assert_eq!(
            mermaid_text(r#"a"b#c<d>|`e\"#),
            "a#34;b#35;c#60;d#62;#124;#96;e#92;"
        );
        assert_eq!(dot_string("a\"b\\N\nc"), r#""a\"b\\N\nc""#);
    }

    #[test]
    fn several_vhosts_are_boxed_apart() {
        let text = render_mermaid(&graph("queues: [{name: a}, {name: b, vhost: v}]"));
        assert_eq!(
            text,
            "flowchart LR\n  subgraph v0[\"vhost /\"]\n    n0[(\"a\")]\n  end\n  subgraph v1[\"vhost v\"]\n    n1[(\"b\")]\n  end\n"
        );
    }

    #[test]
    fn what_a_cut_left_out_is_said() {
        let left_out = LeftOut {
            exchanges: 1,
            queues: 3,
            edges: 4,
            changed: 0,
        };
        assert_eq!(
            left_out_note(&left_out),
            "1 exchange, 3 queues and 4 edges not drawn"
        );
        assert_eq!(
            left_out_note(&LeftOut {
                queues: 2,
                changed: 2,
                ..LeftOut::default()
            }),
            "2 queues not drawn, 2 of them changed"
        );
    }
}
