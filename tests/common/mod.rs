//! Helpers shared by the integration tests. Each test binary uses a part of
//! them, so unused items are expected.
#![allow(dead_code)]

pub mod amqp;
pub mod broker;
pub mod every_kind;
pub mod process;
pub mod proxy;
pub mod real_definitions;
pub mod tls;
pub mod warren;
