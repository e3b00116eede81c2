//! Running the real `warren` binary against the test broker, and writing
//! the topology files it reads.
//!
//! Every run passes `--url`, `--username` and `--password` from
//! [`broker()`](super::broker::broker) and clears the `WARREN_*`
//! environment, so what a test states on its command line is all warren
//! sees.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

use super::broker::broker;

/// What a run of warren printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON; panics with both streams when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }

    /// Asserts the exit status, showing both streams when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "exit status\n{self}");
        self
    }

    /// The last line of stderr: the error, after any `-v` request log.
    pub fn last_stderr_line(&self) -> &str {
        self.stderr.lines().last().unwrap_or("")
    }

    /// Asserts the exit status and the whole stdout.
    #[track_caller]
    pub fn assert_stdout(&self, code: i32, stdout: &str) -> &Run {
        assert_eq!(
            (self.code, self.stdout.as_str()),
            (code, stdout),
            "exit status and stdout\n{self}"
        );
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- exit {} ---\n--- stdout ---\n{}--- stderr ---\n{}--- end ---",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `warren ARGS` with no connection options at all (offline commands, or
/// a test that passes its own).
pub fn warren_bare<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    warren_bare_env(args, &[])
}

/// [`warren_bare`] with these environment variables set (`WARREN_*` ones
/// included).
pub fn warren_bare_env<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = cargo_bin_cmd!("warren");
    command
        .args(args)
        .env_remove("WARREN_URL")
        .env_remove("WARREN_USERNAME")
        .env_remove("WARREN_PASSWORD")
        .env("NO_COLOR", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("warren runs");
    Run {
        code: output.status.code().expect("warren exits with a status"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// `warren --url … --username … --password … ARGS` against the test broker.
pub fn warren<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let b = broker();
    let mut all: Vec<std::ffi::OsString> = vec![
        "--url".into(),
        b.url.clone().into(),
        "--username".into(),
        b.username.clone().into(),
        "--password".into(),
        b.password.clone().into(),
    ];
    all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    warren_bare(all)
}

/// What `plan` prints when the broker matches the files.
pub const NO_CHANGES: &str = "No changes. The broker matches the files.\n";
/// What `drift` prints when the broker matches the files.
pub const IN_SYNC: &str = "In sync. The broker matches the files.\n";

/// Asserts that `file` plans as no changes against the broker, with and
/// without `--prune` and `--detailed-exitcode`, in text and JSON, and that
/// `drift` finds nothing.
#[track_caller]
pub fn assert_no_changes(file: &Path) {
    warren(["plan", arg(file)]).assert_stdout(0, NO_CHANGES);
    warren(["plan", "--detailed-exitcode", arg(file)]).assert_stdout(0, NO_CHANGES);
    warren(["plan", "--prune", "--detailed-exitcode", arg(file)]).assert_stdout(0, NO_CHANGES);
    warren(["drift", arg(file)]).assert_stdout(0, IN_SYNC);
    let json = warren(["--format", "json", "plan", "--prune", arg(file)]);
    json.assert_code(0);
    assert_eq!(json.json()["changes"], serde_json::json!([]), "{json}");
}

/// A temporary directory for a test's topology files.
pub struct Files {
    pub dir: tempfile::TempDir,
}

impl Files {
    pub fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Writes `text` to `name` in the directory; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a topology file");
        path
    }

    /// Writes a YAML topology in which every `$V` stands for `vhost`
    /// (quoted, so any name works); returns its path.
    pub fn topology(&self, name: &str, vhost: &str, yaml: &str) -> PathBuf {
        self.write(name, &with_vhost(yaml, vhost))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Default for Files {
    fn default() -> Files {
        Files::new()
    }
}

/// `yaml` with every `$V` replaced by `vhost` as a double-quoted YAML
/// scalar (a JSON string is one).
pub fn with_vhost(yaml: &str, vhost: &str) -> String {
    yaml.replace("$V", &yaml_quoted(vhost))
}

/// `text` as a double-quoted YAML scalar.
pub fn yaml_quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
