//! Running the real `warren` binary: what it printed and how it exited.
//!
//! Every run starts without the `WARREN_*` environment and with
//! `NO_COLOR`, so what a test passes is all warren sees.

use std::ffi::OsStr;
use std::fmt;

use assert_cmd::cargo::cargo_bin_cmd;

/// What a run of warren printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit status, showing both streams when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "exit status\n{self}");
        self
    }

    /// The last line of stderr (the error, after any `-v` request log).
    pub fn last_stderr_line(&self) -> &str {
        self.stderr.lines().last().unwrap_or("")
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--- exit {} ---\n--- stdout ---\n{}--- stderr ---\n{}--- end ---",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `warren ARGS` with `env` set (and nothing else of `WARREN_*`).
pub fn warren_with_env<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
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

/// `warren ARGS`.
pub fn warren<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    warren_with_env(args, &[])
}

/// The test broker's connection options, as arguments.
pub fn broker_args() -> Vec<String> {
    let b = super::broker::broker();
    vec![
        "--url".into(),
        b.url.clone(),
        "--username".into(),
        b.username.clone(),
        "--password".into(),
        b.password.clone(),
    ]
}

/// A path as a command-line argument.
pub fn arg(path: &std::path::Path) -> String {
    path.to_str()
        .expect("temporary paths are UTF-8")
        .to_string()
}

/// `text` as a double-quoted YAML scalar (a JSON string is one).
pub fn yaml_quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}
