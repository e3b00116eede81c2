//! `warren fmt`: the canonical form written back, `--check` listing what
//! differs, `--diff` showing how, files that do not parse left as they are, and the
//! repository's own topology files already in canonical form.

use std::path::Path;

use crate::common::dir_with;
use crate::common::warren::Test;

const DEFAULT: &str = include_str!("../../topologies/default.yaml");

/// The default topology scrambled: sections in reverse order, keys out of
/// order, lists indented three other ways, blank lines doubled or dropped;
/// its comments where they were.
const SCRAMBLED_DEFAULT: &str = r#"# yaml-language-server: $schema=../schemas/topology.schema.json
#
# The order-events use case: order events are published to the topic
# exchange `events` and collected in `order.events`; background jobs go
# straight to the work queue `jobs` through the default exchange.
routes:
- routing_key: order.created
  reaches: [order.events]
  exchange: events
- reaches: [order.events]
  exchange: events
  routing_key: order.updated
- exchange: events
  reaches: [order.events]
  routing_key: order.completed
- routing_key: jobs
  exchange: ""
  reaches: [jobs]
bindings:
    -   routing_key: "order.*"
        destination: order.events
        source: events


queues:
  - durable: true
    name: order.events
  - durable: true
    name: jobs
exchanges:
 - durable: true
   type: topic
   name: events

vhosts:
      - name: /
"#;

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn a_scrambled_default_topology_is_put_back_byte_for_byte_with_its_comments() {
    let dir = dir_with(&[("topologies/default.yaml", SCRAMBLED_DEFAULT)]);
    Test::new()
        .current_dir(dir.path())
        .args(["fmt"])
        .stdout("topologies/default.yaml\n")
        .run();
    assert_eq!(read(dir.path(), "topologies/default.yaml"), DEFAULT);
    // Once in canonical form, it stays.
    Test::new()
        .current_dir(dir.path())
        .args(["fmt", "--check"])
        .run();
}

#[test]
fn check_lists_the_files_that_differ_exits_1_and_writes_nothing() {
    let dir = dir_with(&[
        ("t/a.yaml", SCRAMBLED_DEFAULT),
        ("t/b.yaml", DEFAULT),
        ("t/c.yml", "queues:\n- name: x\n"),
        (
            "t/export.json",
            "{\"queues\": [{\"durable\": true, \"name\": \"x\"}]}",
        ),
    ]);
    Test::new()
        .current_dir(dir.path())
        .args(["fmt", "--check", "t"])
        .stdout("t/a.yaml\nt/c.yml\n")
        .stderr("error: 2 files are not in canonical form (listed on stdout): run warren fmt\n")
        .status(1)
        .run();
    assert_eq!(read(dir.path(), "t/a.yaml"), SCRAMBLED_DEFAULT);
    assert_eq!(read(dir.path(), "t/c.yml"), "queues:\n- name: x\n");
}

#[test]
fn diff_shows_how_each_file_differs_as_a_patch_git_applies_and_writes_nothing() {
    let files = [
        ("t/a.yaml", SCRAMBLED_DEFAULT),
        ("t/b.yaml", DEFAULT),
        ("t/c.yml", "queues:\n- name: x\n"),
    ];
    let dir = dir_with(&files);
    let run = Test::new()
        .current_dir(dir.path())
        .args(["fmt", "--diff", "t"])
        .stdout_any()
        .stderr("error: 2 files are not in canonical form (shown on stdout): run warren fmt\n")
        .status(1)
        .run();
    assert!(
        run.stdout.contains(
            "--- a/t/c.yml\n+++ b/t/c.yml\n@@ -1,2 +1,2 @@\n queues:\n-- name: x\n+  - name: x\n"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("t/b.yaml"), "{}", run.stdout);
    for (name, text) in files {
        assert_eq!(read(dir.path(), name), text, "{name} is as it was");
    }

    // The diff is the change `warren fmt` makes.
    let formatted = dir_with(&files);
    Test::new()
        .current_dir(formatted.path())
        .args(["fmt", "t"])
        .stdout_any()
        .run();
    std::fs::write(dir.path().join("fmt.diff"), &run.stdout).unwrap();
    let applied = std::process::Command::new("git")
        .args(["apply", "fmt.diff"])
        .current_dir(dir.path())
        .output()
        .expect("git runs");
    assert!(
        applied.status.success(),
        "git apply: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    for (name, _) in files {
        assert_eq!(
            read(dir.path(), name),
            read(formatted.path(), name),
            "{name}"
        );
    }
}

#[test]
fn a_file_that_does_not_parse_is_left_untouched_with_the_error_and_the_others_are_formatted() {
    let broken = "queues:\n  - name: [a\n";
    let dir = dir_with(&[("t/a.yaml", "queues:\n- name: x\n"), ("t/b.yaml", broken)]);
    Test::new()
        .current_dir(dir.path())
        .args(["fmt", "t"])
        .stdout("t/a.yaml\n")
        .stderr(
            "error: t/b.yaml:3:1: while parsing a flow sequence, expected ',' or ']' (left as it was)\n",
        )
        .status(1)
        .run();
    assert_eq!(read(dir.path(), "t/b.yaml"), broken);
    assert_eq!(read(dir.path(), "t/a.yaml"), "queues:\n  - name: x\n");
}

#[test]
fn what_cannot_be_moved_safely_is_left_as_written_with_a_note() {
    let anchored = "queues:\n  - &q {name: a}\nbindings: []\n";
    let dir = dir_with(&[("a.yaml", anchored)]);
    Test::new()
        .current_dir(dir.path())
        .args(["fmt", "a.yaml"])
        .stderr("note: a.yaml is left as written: it uses anchors and aliases, which moving keys could break\n")
        .run();
    assert_eq!(read(dir.path(), "a.yaml"), anchored);
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = dir_with(&[]);
    Test::new()
        .current_dir(dir.path())
        .args(["fmt", "--check"])
        .stderr("error: topologies: No such file or directory (os error 2)\n")
        .status(1)
        .run();
}

#[test]
fn the_repositorys_topology_files_are_in_canonical_form() {
    Test::new()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "fmt",
            "--check",
            "topologies",
            "examples",
            "examples/ci",
            "tests/good",
            "tests/good/merge",
            "docs",
        ])
        .run();
}

/// A scrambled copy of a canonical `text`, made without warren's code:
/// the sections in another order (the header first still), each object's
/// keys rotated by `seed`, no blank line, and with an odd `seed` every
/// list written without indentation (`- name: x` at the start of the line).
fn scramble(text: &str, seed: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let starts_section = |l: &str| !l.is_empty() && !l.starts_with([' ', '#']);
    let first = lines.iter().position(|l| starts_section(l)).unwrap();
    let mut out: Vec<String> = lines[..first].iter().map(|l| l.to_string()).collect();
    // Sections with the comment lines just above them.
    let mut sections: Vec<Vec<&str>> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in &lines[first..] {
        if starts_section(line) {
            let mut section = std::mem::take(&mut pending);
            section.push(line);
            sections.push(section);
        } else if line.is_empty() {
            // Blank lines go: fmt puts one between sections.
        } else if line.starts_with('#') {
            pending.push(line);
        } else {
            sections.last_mut().unwrap().push(line);
        }
    }
    let count = sections.len();
    sections.rotate_left(seed % count);
    let shift = if seed % 2 == 1 { 0 } else { 2 };
    for section in sections {
        let mut items: Vec<Vec<&str>> = Vec::new();
        for line in section {
            if line.starts_with("  - ") {
                items.push(vec![line]);
            } else if line.starts_with("    ") && !items.is_empty() {
                items.last_mut().unwrap().push(line);
            } else {
                out.extend(
                    items
                        .drain(..)
                        .flat_map(|i| i.into_iter().map(String::from)),
                );
                out.push(line.to_string());
            }
        }
        for item in items {
            // Each key with the lines deeper than it.
            let mut keys: Vec<Vec<String>> = Vec::new();
            for (n, line) in item.iter().enumerate() {
                let line = if n == 0 {
                    format!("    {}", &line[4..])
                } else {
                    line.to_string()
                };
                if line[4..].starts_with(' ') {
                    keys.last_mut().unwrap().push(line);
                } else {
                    keys.push(vec![line]);
                }
            }
            let len = keys.len();
            keys.rotate_left(seed % len);
            for (k, key) in keys.into_iter().enumerate() {
                for (n, line) in key.into_iter().enumerate() {
                    let body = &line[4..];
                    let indent = " ".repeat(shift + 2);
                    if k == 0 && n == 0 {
                        out.push(format!("{}- {body}", &indent[2..]));
                    } else {
                        out.push(format!("{indent}{body}"));
                    }
                }
            }
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn scrambled_copies_of_every_topology_of_the_repository_are_put_back_byte_for_byte() {
    use warren::fmt::{Canonical, canonical_form};
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "topologies/default.yaml",
        "tests/good/everything.yaml",
        "tests/good/merge/10-vhosts-and-exchanges.yaml",
        "tests/good/merge/20-queues-and-bindings.yaml",
        "docs/order-events-dead-letters.yaml",
        "docs/every-edge.yaml",
    ] {
        let text = std::fs::read_to_string(repo.join(file)).unwrap();
        for seed in 1..5 {
            let scrambled = scramble(&text, seed);
            assert_ne!(scrambled, text, "{file}: seed {seed} scrambles nothing");
            match canonical_form(&scrambled) {
                Ok(Canonical::Text(put_back)) => assert_eq!(
                    put_back, text,
                    "{file}, scrambled with seed {seed}:\n{scrambled}"
                ),
                other => panic!("{file}, seed {seed}: {other:?}\n{scrambled}"),
            }
        }
    }
}
