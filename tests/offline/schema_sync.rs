//! The checked-in JSON Schema is what the model generates, and the shipped
//! default topology fits it.
//!
//! The fit is checked for the subset of JSON Schema that schemars emits for
//! the model (`type`, `properties`, `required`, `additionalProperties`,
//! `items`, `$ref`, `anyOf`), which is enough to catch a field renamed in
//! the model but not in the default file, without a validator crate.

use serde_json::Value;

const SCHEMA_PATH: &str = "schemas/topology.schema.json";
const REGENERATE: &str = "cargo run -q -- schema > schemas/topology.schema.json";

fn checked_in_schema() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {SCHEMA_PATH} ({e}); create it with: {REGENERATE}"))
}

#[test]
fn the_checked_in_schema_is_what_the_model_generates() {
    let generated = warren::model::json_schema::schema_json();
    let checked_in = checked_in_schema();
    if generated != checked_in {
        let first_difference = generated
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one file is longer than the other".to_string(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!(
            "{SCHEMA_PATH} is out of date with the model ({first_difference}).\n\
             Regenerate it with:\n    {REGENERATE}"
        );
    }
}

#[test]
fn the_default_topology_fits_the_schema() {
    let schema: Value = serde_json::from_str(&checked_in_schema()).expect("the schema is JSON");
    let yaml = include_str!("../../topologies/default.yaml");
    let document: Value = serde_yaml::from_str(yaml).expect("the default topology is YAML");
    let mut problems = Vec::new();
    check(&schema, &schema, &document, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "topologies/default.yaml does not fit {SCHEMA_PATH}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_catches_what_it_should() {
    let schema: Value = serde_json::from_str(&checked_in_schema()).unwrap();
    let cases = [
        ("queus: []", "$: unknown property 'queus'"),
        (
            "exchanges: [{name: e}]",
            "$.exchanges[0]: missing required 'type'",
        ),
        (
            "queues: [{name: q, durable: 'yes'}]",
            "$.queues[0].durable: expected boolean",
        ),
    ];
    for (yaml, expected) in cases {
        let document: Value = serde_yaml::from_str(yaml).unwrap();
        let mut problems = Vec::new();
        check(&schema, &schema, &document, "$", &mut problems);
        assert_eq!(problems, [expected], "for {yaml}");
    }
}

/// Checks `value` against `node`, a part of `root`, noting each problem
/// with the JSON path where it is.
fn check(root: &Value, node: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        let target = &root["$defs"][name];
        assert!(!target.is_null(), "unresolved {reference}");
        return check(root, target, value, at, problems);
    }
    if let Some(options) = node.get("anyOf").and_then(Value::as_array) {
        let fits = options.iter().any(|option| {
            let mut scratch = Vec::new();
            check(root, option, value, at, &mut scratch);
            scratch.is_empty()
        });
        if !fits {
            problems.push(format!("{at}: fits none of anyOf"));
        }
        return;
    }
    if let Some(kind) = node.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !kinds.iter().any(|k| is_of_type(value, k)) {
            problems.push(format!("{at}: expected {}", kinds.join(" or ")));
            return;
        }
    }
    if let (Some(items), Some(list)) = (node.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            check(root, items, item, &format!("{at}[{i}]"), problems);
        }
    }
    if let Some(object) = value.as_object() {
        let properties = node.get("properties").and_then(Value::as_object);
        for required in node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(required) {
                problems.push(format!("{at}: missing required '{required}'"));
            }
        }
        for (key, child) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(schema) => check(root, schema, child, &format!("{at}.{key}"), problems),
                None if node.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}: unknown property '{key}'"));
                }
                None => {}
            }
        }
    }
}

fn is_of_type(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        _ => true,
    }
}

const PROJECT_SCHEMA_PATH: &str = "schemas/warren.schema.json";

#[test]
fn the_checked_in_project_schema_is_what_warren_generates_and_the_example_fits_it() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PROJECT_SCHEMA_PATH);
    let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {PROJECT_SCHEMA_PATH} ({e}); create it with: cargo run -q -- schema --project > {PROJECT_SCHEMA_PATH}")
    });
    assert!(
        warren::project::schema_json() == checked_in,
        "{PROJECT_SCHEMA_PATH} is out of date; regenerate it with:\n    \
         cargo run -q -- schema --project > {PROJECT_SCHEMA_PATH}"
    );
    let schema: Value = serde_json::from_str(&checked_in).expect("the schema is JSON");
    let example: Value =
        serde_yaml::from_str(include_str!("../../examples/warren.yaml")).expect("YAML");
    let mut problems = Vec::new();
    check(&schema, &schema, &example, "$", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let wrong: Value =
        serde_yaml::from_str("targets: [{name: a, urls: [], pasword_env: P}]").unwrap();
    check(&schema, &schema, &wrong, "$", &mut problems);
    assert!(
        problems.iter().any(|p| p.contains("pasword_env")),
        "{problems:?}"
    );
}
