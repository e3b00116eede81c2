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

/// A multi-threaded tokio runtime of one worker, for a test's proxy or
/// fake server, which outlive the `warren` runs they serve.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
