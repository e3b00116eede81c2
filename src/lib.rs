//! warren: RabbitMQ topology as code.
//!
//! Data flows one way: files are loaded into a desired [`model::Topology`],
//! the broker is inspected into a live one, both are normalised and diffed
//! into a plan, and the plan is rendered or executed. The pure core (model,
//! normalize, diff, plan, route, render's formatting) does no I/O; `load`,
//! `broker`, `execute` and `apply_lock` touch the world; `cli` owns the command line and
//! `commands` wires the stages together, one handler per command.

pub mod apply_lock;
pub mod broker;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod execute;
pub mod fmt;
pub mod graph;
pub mod load;
pub mod migrate;
pub mod model;
pub mod normalize;
pub mod password;
pub mod plan;
pub mod project;
pub mod render;
pub mod route;
pub mod rules;
pub mod suggest;
