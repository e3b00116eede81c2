//! The rules of runtime and global parameters: a known component, a value
//! the component takes (an operator policy's, checked as a policy's), and
//! no credentials written in a URI: a URI that holds them comes from
//! `uri_env` / `uri_file` (`src-uri_env`, …) like a password. Pure: the
//! references are resolved by the loader.

use serde_json::Value;

use super::{Findings, ObjectRef, Section, at, check_name, check_policy_body, components};
use crate::model::{
    INTERNAL_GLOBAL_PARAMETERS, PARAMETER_COMPONENTS, Parameter, Topology, URI_KEYS,
    uri_credentials,
};

/// The suffixes that make a URI key a reference: `uri_env`, `uri_file`.
pub const REFERENCE_SUFFIXES: &[&str] = &["_env", "_file"];

pub(super) fn check_parameters(topology: &Topology, out: &mut Findings) {
    for (index, parameter) in topology.parameters().iter().enumerate() {
        check_parameter(parameter, at(Section::Parameters, index), out);
    }
    for (index, parameter) in topology.global_parameters().iter().enumerate() {
        let at = at(Section::GlobalParameters, index);
        check_name(&parameter.name, "global parameter", at, out);
        if INTERNAL_GLOBAL_PARAMETERS.contains(&parameter.name.as_str()) {
            out.left_out(
                at,
                &["name"],
                format!(
                    "{} is set by the broker for itself: never planned, left out",
                    parameter.name
                ),
            );
        }
    }
}

fn check_parameter(parameter: &Parameter, at: ObjectRef, out: &mut Findings) {
    check_name(&parameter.name, "parameter", at, out);
    let component = parameter.component.as_str();
    if component == "vhost-limits" {
        return; // read into the vhost's limits by `settle`
    }
    if !PARAMETER_COMPONENTS.contains(&component) {
        out.error(
            at,
            &["component"],
            format!(
                "component '{component}' is not one warren manages ({}){}",
                PARAMETER_COMPONENTS.join(", "),
                crate::suggest::hint(component, PARAMETER_COMPONENTS.iter().copied())
            ),
        );
        return;
    }
    if component == "federation-upstream-set" {
        check_upstream_set(&parameter.value, at, out);
        return;
    }
    let Value::Object(value) = &parameter.value else {
        out.error(at, &["value"], "a parameter's value is a mapping");
        return;
    };
    if component == "operator_policy" {
        check_policy_body(value, at, out);
        return;
    }
    for key in URI_KEYS {
        let references: Vec<String> = REFERENCE_SUFFIXES
            .iter()
            .map(|suffix| format!("{key}{suffix}"))
            .filter(|reference| value.contains_key(reference))
            .collect();
        let written = value.get(*key);
        if references.len() + usize::from(written.is_some()) > 1 {
            out.error(
                at,
                &["value", key],
                format!(
                    "{key} is given more than once ({key}, {key}_env, {key}_file): give it once"
                ),
            );
        }
        let uris: Vec<&str> = match written {
            Some(Value::String(uri)) => vec![uri.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if uris.iter().any(|uri| uri_credentials(uri).is_some()) {
            // The credentials are not repeated here.
            out.error(
                at,
                &["value", key],
                format!(
                    "{key} holds credentials (user:password@): they would sit in the repository \
                     and in every plan; give the URI by reference, {key}_env: VARIABLE or \
                     {key}_file: PATH, or use a URI without credentials (a shovel inside the \
                     broker: amqp:///vhost)"
                ),
            );
        }
        for reference in references {
            if !value.get(&reference).is_some_and(Value::is_string) {
                out.error(
                    at,
                    &["value", &reference],
                    format!("{reference} names a variable or a file: a string"),
                );
            }
        }
    }
    components::check_value_of(component, value, at, out);
}

/// An upstream set's value: a list of mappings, each naming its upstream
/// (`[{upstream: origin}, {upstream: backup, prefetch-count: 100}]`), as
/// the federation plugin takes it.
fn check_upstream_set(value: &Value, at: ObjectRef, out: &mut Findings) {
    let Value::Array(members) = value else {
        out.error(
            at,
            &["value"],
            "an upstream set's value is a list of upstreams: [{upstream: NAME}, …]",
        );
        return;
    };
    for member in members {
        if let Value::Object(map) = member {
            components::check_upstream_set_member(map, at, out);
        }
        let named = member
            .get("upstream")
            .and_then(Value::as_str)
            .is_some_and(|name| !name.is_empty());
        if !named {
            out.error(
                at,
                &["value"],
                format!(
                    "each member of an upstream set names its upstream ({{upstream: NAME}}), \
                     not {}",
                    crate::model::without_credentials(member)
                ),
            );
        }
    }
}
