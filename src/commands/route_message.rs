//! `warren route`: which queues a message reaches, from the files (the
//! routing is `route`'s, the output `render`'s).

use serde_json::Value;

use super::{Failure, Outcome, Sources, Status, load_sources};
use crate::cli::GlobalArgs;
use crate::model::Arguments;
use crate::render;
use crate::route::{Message, RouteError, route};
use crate::suggest::did_you_mean;

pub fn run(
    global: &GlobalArgs,
    sources: Sources<'_>,
    vhost: &str,
    exchange: &str,
    routing_key: &str,
    headers: &[String],
) -> Outcome {
    let headers = parse_headers(headers)?;
    let loaded = load_sources(sources)?;
    let message = Message {
        vhost,
        exchange,
        routing_key,
        headers: &headers,
    };
    let routed = route(&loaded.topology, &message).map_err(|e| {
        let hint = match &e {
            RouteError::NoSuchExchange { vhost, exchange } => did_you_mean(
                exchange,
                loaded
                    .topology
                    .exchanges
                    .iter()
                    .filter(|x| &x.vhost == vhost)
                    .map(|x| x.name.as_str()),
            )
            .map(|name| format!(" (did you mean '{name}'?)"))
            .unwrap_or_default(),
            _ => String::new(),
        };
        Failure::new(format!("{e}{hint}"))
    })?;
    render::show_route(&message, &routed, global.format.into());
    Ok(Status::Clean)
}

/// `--header k=v`: the value is read as YAML, so `n=1` is an integer and
/// `s='1'` a string, as they would be written in a topology file.
fn parse_headers(headers: &[String]) -> Result<Arguments, Failure> {
    let mut map = Arguments::new();
    for header in headers {
        let Some((key, value)) = header.split_once('=') else {
            return Err(Failure::new(format!(
                "--header '{header}' is not KEY=VALUE"
            )));
        };
        let value: Value = serde_yaml::from_str(value)
            .ok()
            .filter(|v: &Value| !v.is_null())
            .unwrap_or_else(|| Value::String(value.to_string()));
        map.insert(key.to_string(), value);
    }
    Ok(map)
}
