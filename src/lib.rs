//! warren: RabbitMQ topology as code.
//!
//! Data flows one way: files are loaded into a desired [`model::Topology`],
//! the broker is inspected into a live one, both are normalised and diffed
//! into a plan, and the plan is rendered or applied. The pure core (model,
//! normalise, diff, plan, route, render) does no I/O; `load`, `broker` and
//! `apply` touch the world; `cli` and `app` wire it together.

pub mod app;
pub mod apply;
pub mod broker;
pub mod cli;
pub mod diff;
pub mod load;
pub mod model;
pub mod normalize;
pub mod plan;
pub mod render;
pub mod route;
