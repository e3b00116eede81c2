//! `warren diff OLD NEW`: two versions of the files compared offline (no
//! broker is contacted: the URL given points nowhere), including a
//! RabbitMQ definitions export taken from the real broker as OLD; and what
//! the diff shows, against what `apply` with the same `--prune` then does
//! to a broker holding OLD.

use crate::common;

use serde_json::{Value, json};

use common::broker::{TestVhost, broker, enc};
use common::every_kind::{EVERY_KIND_YAML, make_every_kind};
use common::warren::{Files, NO_CHANGES, Test, arg, with_vhost};

/// Offline: a URL where nothing listens, so any request would fail.
fn diff(args: &[&str]) -> Test {
    let mut all = vec!["--url", "http://127.0.0.1:1"];
    all.extend_from_slice(args);
    Test::new().args(all)
}

const OLD: &str = r##"vhosts: [{name: shop}]
exchanges:
  - {vhost: shop, name: events, type: topic}
queues:
  - {vhost: shop, name: orders, arguments: {x-message-ttl: 60000}}
  - {vhost: shop, name: legacy}
bindings:
  - {vhost: shop, source: events, destination: orders, routing_key: "order.*"}
  - {vhost: shop, source: events, destination: legacy, routing_key: "#"}
policies:
  - {vhost: shop, name: limit, pattern: "^orders$", apply_to: queues, definition: {max-length: 1000}}
"##;

const NEW: &str = r##"vhosts: [{name: shop}]
exchanges:
  - {vhost: shop, name: events, type: topic}
  - {vhost: shop, name: audit, type: fanout}
queues:
  - {vhost: shop, name: orders, arguments: {x-message-ttl: 30000}}
bindings:
  - {vhost: shop, source: events, destination: orders, routing_key: "order.*"}
  - {vhost: shop, source: events, destination: audit, destination_type: exchange, routing_key: "#"}
policies:
  - {vhost: shop, name: limit, pattern: "^orders$", apply_to: queues, definition: {max-length: 2000}}
"##;

#[test]
fn the_same_version_twice_is_no_changes() {
    let files = Files::new();
    let old = files.write("old.yaml", OLD);
    let same = files.write("same.yaml", OLD);
    const MATCH: &str = "No changes. The two versions match.\n";
    diff(&["diff", arg(&old), arg(&old)]).stdout(MATCH).run();
    diff(&["diff", arg(&old), arg(&same)]).stdout(MATCH).run();
    let run = diff(&["--format", "json", "diff", arg(&old), arg(&same)])
        .stdout_any()
        .run();
    assert_eq!(run.json()["changes"], json!([]));
    assert_eq!(run.json()["broker"], Value::Null);
}

#[test]
fn two_different_versions_exit_2_with_the_changes() {
    let files = Files::new();
    let old = files.write("old.yaml", OLD);
    let new = files.write("new.yaml", NEW);
    // Without --prune, what NEW drops stays on the broker, as apply leaves it.
    diff(&["diff", arg(&old), arg(&new)]).status(2).stdout("vhost shop
  ~ policy limit
      definition:
        - max-length: 1000
        + max-length: 2000
  + exchange audit (fanout)
  -/+ queue orders
      must be replaced: x-message-ttl cannot change in place (a policy can set it without a replace: message-ttl)
      arguments:
        - x-message-ttl: 60000
        + x-message-ttl: 30000
      message count unknown offline
      needs --allow-recreate and --allow-data-loss
  + binding events -> orders [order.*] [again: queue orders is replaced]
  + binding events -> exchange audit [#]
  ? queue legacy (left on the broker, no longer managed; deleted only with --prune)
  ? binding events -> legacy [#] (left on the broker, no longer managed; deleted only with --prune)

Message counts are unknown offline: check the queues before applying.
Plan: 3 to create, 1 to update, 1 to replace, 0 to delete; 2 no longer managed.
").run();

    diff(&["diff", "--prune", arg(&old), arg(&new)]).status(2).stdout("vhost shop
  ~ policy limit
      definition:
        - max-length: 1000
        + max-length: 2000
  + exchange audit (fanout)
  -/+ queue orders
      must be replaced: x-message-ttl cannot change in place (a policy can set it without a replace: message-ttl)
      arguments:
        - x-message-ttl: 60000
        + x-message-ttl: 30000
      message count unknown offline
      needs --allow-recreate and --allow-data-loss
  + binding events -> orders [order.*] [again: queue orders is replaced]
  + binding events -> exchange audit [#]
  - binding events -> legacy [#] [goes with queue legacy]
  - queue legacy
      message count unknown offline
      needs --allow-data-loss

Message counts are unknown offline: check the queues before applying.
Plan: 3 to create, 1 to update, 1 to replace, 2 to delete.
").run();

    let run = diff(&["--format", "json", "diff", arg(&old), arg(&new)])
        .status(2)
        .stdout_any()
        .run();
    assert_eq!(
        run.json()["summary"],
        json!({"create": 3, "update": 1, "replace": 1, "delete": 0, "unmanaged": 2, "unsupported": 0})
    );
    assert_eq!(run.json()["prune"], false);
    let run = diff(&["--format", "json", "diff", "--prune", arg(&old), arg(&new)])
        .status(2)
        .stdout_any()
        .run();
    assert_eq!(
        run.json()["summary"],
        json!({"create": 3, "update": 1, "replace": 1, "delete": 2, "unmanaged": 0, "unsupported": 0})
    );
    assert_eq!(run.json()["messages_known"], false);

    let md = diff(&[
        "--format",
        "markdown",
        "diff",
        "--prune",
        arg(&old),
        arg(&new),
    ])
    .status(2)
    .stdout_any()
    .run();
    assert!(
        md.stdout
            .starts_with("### warren diff: ⚠️ 7 changes, 2 destructive\n\n"),
        "{md}"
    );
    assert!(
        md.stdout.contains(
            "- `queue orders` in vhost `shop` is replaced (deleted and re-created): message count unknown offline (needs `--allow-recreate`, `--allow-data-loss`)\n\
             - `queue legacy` in vhost `shop` is deleted: message count unknown offline (needs `--allow-data-loss`)\n"
        ),
        "{md}"
    );

    // The other way round: what NEW adds, OLD deletes.
    let back = diff(&["--format", "json", "diff", "--prune", arg(&new), arg(&old)])
        .status(2)
        .stdout_any()
        .run();
    assert_eq!(
        back.json()["summary"],
        json!({"create": 3, "update": 1, "replace": 1, "delete": 2, "unmanaged": 0, "unsupported": 0})
    );
}

/// `GET /api/definitions/{vhost}` restricted to what warren manages, with
/// the `vhost` the per-vhost export leaves out of queues, exchanges and
/// bindings (and of policies from 4.0), and the vhost listed with its description and tags (which
/// RabbitMQ exports only from 3.13; taken from `GET /api/vhosts/{vhost}`).
fn definitions_export(vhost: &str) -> Value {
    let live_vhost = broker()
        .get(&format!("/api/vhosts/{}", enc(vhost)))
        .expect("the vhost");
    let defs = broker()
        .get(&format!("/api/definitions/{}", enc(vhost)))
        .expect("the vhost's definitions");
    let with_vhost = |kind: &str| -> Value {
        let mut list = defs[kind].as_array().expect("a list").clone();
        for object in &mut list {
            object["vhost"] = json!(vhost);
        }
        Value::Array(list)
    };
    // 3.10.8 writes each policy's vhost into it; 4.0.5 leaves it out, as
    // it does for the other kinds.
    let policies_name_their_vhost = !broker().at_least(4, 0, 0);
    assert!(
        defs["policies"].as_array().unwrap().iter().all(|p| {
            if policies_name_their_vhost {
                p["vhost"] == vhost
            } else {
                p.get("vhost").is_none()
            }
        }),
        "{defs}"
    );
    json!({
        "rabbit_version": defs["rabbit_version"],
        "vhosts": [{"name": vhost, "description": live_vhost["description"], "tags": live_vhost["tags"]}],
        "policies": with_vhost("policies"),
        "exchanges": with_vhost("exchanges"),
        "queues": with_vhost("queues"),
        "bindings": with_vhost("bindings"),
    })
}

#[test]
fn a_definitions_export_as_old_compares_with_the_files() {
    let v = TestVhost::new("diff-defs");
    make_every_kind(&v);
    let files = Files::new();
    let export = files.write(
        "definitions.json",
        &serde_json::to_string_pretty(&definitions_export(&v.name)).unwrap(),
    );
    let same = files.topology("every.yaml", &v.name, EVERY_KIND_YAML);
    // Both versions hold a transient queue: stderr warns of it.
    diff(&["diff", arg(&export), arg(&same)])
        .stdout("No changes. The two versions match.\n")
        .stderr_any()
        .run();
    // And the other way round.
    diff(&["diff", arg(&same), arg(&export)])
        .stdout("No changes. The two versions match.\n")
        .stderr_any()
        .run();

    let changed = EVERY_KIND_YAML
        .replace("x-message-ttl: 60000", "x-message-ttl: 120000")
        .replace(
            "  - {vhost: $V, name: dead-letters}\n",
            "  - {vhost: $V, name: dead-letters}\n  - {vhost: $V, name: added}\n",
        );
    let new = files.write("new.yaml", &with_vhost(&changed, &v.name));
    let run = diff(&["diff", arg(&export), arg(&new)])
        .status(2)
        .stdout_contains(
            "  + queue added\n  -/+ queue dlx-source\n      must be replaced: x-message-ttl cannot change in place (a policy can set it without a replace: message-ttl)\n",
        )
        .stderr_any()
        .run();
    assert!(
        run.stdout
            .ends_with("Plan: 1 to create, 0 to update, 1 to replace, 0 to delete.\n"),
        "{run}"
    );
}

/// Issue 21's review: a pull request takes queue `jobs` out of the
/// default topology and gives `order.events` a dead-letter exchange.
const ORDERS_BEFORE: &str = r#"vhosts: [{name: $V}]
exchanges:
  - {vhost: $V, name: events, type: topic}
queues:
  - {vhost: $V, name: order.events}
  - {vhost: $V, name: jobs}
bindings:
  - {vhost: $V, source: events, destination: order.events, routing_key: "order.*"}
"#;

const ORDERS_AFTER: &str = r#"vhosts: [{name: $V}]
exchanges:
  - {vhost: $V, name: events, type: topic}
  - {vhost: $V, name: dlx, type: fanout}
queues:
  - {vhost: $V, name: order.events, arguments: {x-dead-letter-exchange: dlx}}
  - {vhost: $V, name: order.dead}
bindings:
  - {vhost: $V, source: events, destination: order.events, routing_key: "order.*"}
  - {vhost: $V, source: dlx, destination: order.dead}
"#;

/// `warren diff` of the two, without `--prune`: `jobs` stays.
const ORDERS_DIFF: &str = r#"vhost $V
  + exchange dlx (fanout)
  + queue order.dead
  -/+ queue order.events
      must be replaced: x-dead-letter-exchange cannot change in place (a policy can set it without a replace: dead-letter-exchange)
      arguments:
        + x-dead-letter-exchange: dlx
      message count unknown offline
      needs --allow-recreate and --allow-data-loss
  + binding dlx -> order.dead []
  + binding events -> order.events [order.*] [again: queue order.events is replaced]
  ? queue jobs (left on the broker, no longer managed; deleted only with --prune)

Message counts are unknown offline: check the queues before applying.
Plan: 4 to create, 0 to update, 1 to replace, 0 to delete; 1 no longer managed.
"#;

/// The same with `--prune`: `jobs` is deleted.
const ORDERS_DIFF_PRUNED: &str = r#"vhost $V
  + exchange dlx (fanout)
  + queue order.dead
  -/+ queue order.events
      must be replaced: x-dead-letter-exchange cannot change in place (a policy can set it without a replace: dead-letter-exchange)
      arguments:
        + x-dead-letter-exchange: dlx
      message count unknown offline
      needs --allow-recreate and --allow-data-loss
  + binding dlx -> order.dead []
  + binding events -> order.events [order.*] [again: queue order.events is replaced]
  - queue jobs
      message count unknown offline
      needs --allow-data-loss

Message counts are unknown offline: check the queues before applying.
Plan: 4 to create, 0 to update, 1 to replace, 1 to delete.
"#;

const ORDERS_DIFF_MARKDOWN: &str = r#"### warren diff: ⚠️ 5 changes, 1 destructive; 1 no longer managed

| create | update | replace | delete | unmanaged | cannot be applied |
|---:|---:|---:|---:|---:|---:|
| 4 | 0 | 1 | 0 | 1 | 0 |

**Destructive changes**

- `queue order.events` in vhost `$V` is replaced (deleted and re-created): message count unknown offline (needs `--allow-recreate`, `--allow-data-loss`)

**No longer managed** (left on the broker; deleted only with `--prune`)

- `queue jobs` in vhost `$V`

<details><summary>Routing: what changes</summary>

```mermaid
flowchart LR
  n0{{"dlx<br/>fanout"}}
  n1{{"events<br/>topic"}}
  n2[("jobs")]
  n3[("order.dead")]
  n4[("order.events")]
  n0 --> n3
  n1 -->|"order.*"| n4
  n4 -.->|"dead letters"| n0
  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px
  class n0,n3 added
  linkStyle 0,2 stroke:#1a7f37,stroke-width:2px
  classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:2px
  class n4 changed
  classDef unmanaged fill:#f6f8fa,stroke:#8c959f,stroke-width:2px,stroke-dasharray:5 3
  class n2 unmanaged
```

Green: added · amber: changed · grey, dashed: unmanaged (left alone).

</details>

<details><summary>Plan: 4 to create, 0 to update, 1 to replace, 0 to delete; 1 no longer managed.</summary>

```diff
vhost $V
+ exchange dlx (fanout)
+ queue order.dead
-/+ queue order.events
      must be replaced: x-dead-letter-exchange cannot change in place (a policy
        can set it without a replace: dead-letter-exchange)
      arguments:
        + x-dead-letter-exchange: dlx
      message count unknown offline
      needs --allow-recreate and --allow-data-loss
+ binding dlx -> order.dead []
+ binding events -> order.events [order.*] [again: queue order.events is replaced]
? queue jobs (left on the broker, no longer managed; deleted only with --prune)

Message counts are unknown offline: check the queues before applying.
Plan: 4 to create, 0 to update, 1 to replace, 0 to delete; 1 no longer managed.
```

</details>
"#;

const ORDERS_DIFF_MARKDOWN_PRUNED: &str = r#"### warren diff: ⚠️ 6 changes, 2 destructive

| create | update | replace | delete | unmanaged | cannot be applied |
|---:|---:|---:|---:|---:|---:|
| 4 | 0 | 1 | 1 | 0 | 0 |

**Destructive changes**

- `queue order.events` in vhost `$V` is replaced (deleted and re-created): message count unknown offline (needs `--allow-recreate`, `--allow-data-loss`)
- `queue jobs` in vhost `$V` is deleted: message count unknown offline (needs `--allow-data-loss`)

<details><summary>Routing: what changes</summary>

```mermaid
flowchart LR
  n0{{"dlx<br/>fanout"}}
  n1{{"events<br/>topic"}}
  n2[("jobs")]
  n3[("order.dead")]
  n4[("order.events")]
  n0 --> n3
  n1 -->|"order.*"| n4
  n4 -.->|"dead letters"| n0
  classDef added fill:#dafbe1,stroke:#1a7f37,stroke-width:2px
  class n0,n3 added
  linkStyle 0,2 stroke:#1a7f37,stroke-width:2px
  classDef changed fill:#fff8c5,stroke:#9a6700,stroke-width:2px
  class n4 changed
  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 3
  class n2 removed
```

Green: added · amber: changed · red, dashed: removed.

</details>

<details><summary>Plan: 4 to create, 0 to update, 1 to replace, 1 to delete.</summary>

```diff
vhost $V
+ exchange dlx (fanout)
+ queue order.dead
-/+ queue order.events
      must be replaced: x-dead-letter-exchange cannot change in place (a policy
        can set it without a replace: dead-letter-exchange)
      arguments:
        + x-dead-letter-exchange: dlx
      message count unknown offline
      needs --allow-recreate and --allow-data-loss
+ binding dlx -> order.dead []
+ binding events -> order.events [order.*] [again: queue order.events is replaced]
- queue jobs
      message count unknown offline
      needs --allow-data-loss

Message counts are unknown offline: check the queues before applying.
Plan: 4 to create, 0 to update, 1 to replace, 1 to delete.
```

</details>
"#;

/// The first number in `line` after `prefix`.
fn count_after(line: &str, prefix: &str) -> usize {
    let rest = &line[line
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {line:?}"))
        + prefix.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .find(|n| !n.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number after {prefix:?} in {line:?}"))
}

// Regression (issue 21): diff told a reviewer that `jobs` would be deleted
// while the pipeline's apply, without --prune, leaves it on the broker.
#[test]
fn the_diff_headline_counts_what_apply_with_the_same_prune_flag_does() {
    for prune in [false, true] {
        let v = TestVhost::new(if prune {
            "diff-apply-prune"
        } else {
            "diff-apply"
        });
        let files = Files::new();
        let before = files.topology("before.yaml", &v.name, ORDERS_BEFORE);
        let after = files.topology("after.yaml", &v.name, ORDERS_AFTER);
        let flag: &[&str] = if prune { &["--prune"] } else { &[] };
        let (text, markdown) = if prune {
            (ORDERS_DIFF_PRUNED, ORDERS_DIFF_MARKDOWN_PRUNED)
        } else {
            (ORDERS_DIFF, ORDERS_DIFF_MARKDOWN)
        };

        diff(&["diff", arg(&before), arg(&after)])
            .args(flag)
            .status(2)
            .stdout(text.replace("$V", &v.name))
            .run();
        let md = diff(&["--format", "markdown", "diff", arg(&before), arg(&after)])
            .args(flag)
            .status(2)
            .stdout(markdown.replace("$V", &v.name))
            .run();
        let headline = md.stdout.lines().next().unwrap_or_default();

        // A broker holding the old files, and the apply the pipeline runs.
        Test::broker()
            .args(["apply", "--auto-approve", arg(&before)])
            .stdout_any()
            .stderr_any()
            .run();
        let applied = Test::broker()
            .args(["apply", "--auto-approve", "--allow-recreate", arg(&after)])
            .args(flag)
            .stdout_any()
            .stderr_any()
            .run();
        let report = applied
            .stdout
            .lines()
            .find(|l| l.starts_with("Applied "))
            .unwrap_or_else(|| panic!("no report line: {applied}"));
        assert_eq!(
            count_after(headline, "warren diff: "),
            count_after(report, "Applied "),
            "the diff's headline against what apply did ({report})"
        );
        assert_eq!(
            report,
            format!(
                "Applied {} changes, 0 failed, 0 not started.",
                if prune { 6 } else { 5 }
            )
        );
        assert_eq!(
            v.exists("queues", "jobs"),
            !prune,
            "jobs is deleted only with --prune"
        );
        assert!(v.exists("exchanges", "dlx") && v.exists("queues", "order.dead"));
        // And the plan now agrees: nothing left to do, `jobs` unmanaged or gone.
        let left = if prune {
            NO_CHANGES.to_string()
        } else {
            format!(
                "vhost {}\n  ? queue jobs (not in the files; --prune would delete it)\n\n\
                 No changes. The broker matches the files; 1 unmanaged.\n",
                v.name
            )
        };
        Test::broker()
            .args(["plan", arg(&after)])
            .args(flag)
            .stdout(left)
            .run();
    }
}
