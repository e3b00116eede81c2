//! Every test against the real RabbitMQ (see `common::broker` for how the
//! tests find it), each in vhosts of its own, so they run in parallel and
//! leave nothing behind.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod apply;
mod client;
mod definitions;
mod diff;
mod drift;
mod errors;
mod examples_use_case;
mod export;
mod least_privilege;
mod many_vhosts;
mod migrate;
mod nodes;
mod plan;
mod secrets;
mod targets;
mod tls;
mod versions;
