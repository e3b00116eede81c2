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

/// A temporary directory holding `files` (name, content), each in the
/// folders its name gives.
pub fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}
