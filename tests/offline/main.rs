//! Every test that needs no broker: the command line, the core's
//! properties and scale, rendering, the schema, bad inputs, the CI
//! pipelines, and clients facing fake servers. `cargo test --test offline`
//! passes with no RabbitMQ anywhere.

#[path = "../common/mod.rs"]
mod common;

mod bad_inputs;
mod cli_docs;
mod cli_fmt;
mod cli_graph;
mod cli_offline;
mod cli_route;
mod connection_warnings;
mod core_properties;
mod core_scale;
mod huge_answers;
mod pipelines;
mod placement;
mod real_definitions;
mod render_snapshots;
mod schema_sync;
mod stuck_servers;
mod targets;
