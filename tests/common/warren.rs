//! Running the real `warren` binary from a test: one builder, [`Test`],
//! in the style of just's `tests/test.rs`. A test states the command line,
//! the environment, stdin and the directory, then the exit status and the
//! whole of stdout and stderr; [`Test::run`] checks them all and, on a
//! mismatch, prints a line diff of each stream that differs, the command
//! and everything it printed. Also the topology files the tests write.
//!
//! Every run clears the `WARREN_*` environment of whoever runs the tests
//! and sets `NO_COLOR=1` (a test can [`Test::env`] or [`Test::env_remove`]
//! them back), so what a test states is all warren sees.
//! [`Test::broker`] adds `--url`, `--username` and `WARREN_PASSWORD` for
//! the test broker ([`broker()`](super::broker::broker)).
//!
//! A run is bounded (five minutes unless [`Test::limit`] says otherwise):
//! a hang fails the test instead of blocking the suite. A test that needs
//! to act while warren runs [`Test::spawn`]s it and gets a
//! [`Running`](super::process::Running).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use similar::TextDiff;

use super::broker::broker;
use super::process::{Run as Output, Running};

/// One run of warren and what it must do.
#[must_use = "a Test does nothing until .run(), .output() or .spawn()"]
pub struct Test {
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
    current_dir: Option<PathBuf>,
    limit: Duration,
    status: Option<i32>,
    stdout: Expect,
    stderr: Expect,
}

/// What a stream must hold. With nothing stated, it must be empty.
#[derive(Default)]
struct Expect {
    whole: Option<String>,
    contains: Vec<String>,
    lines: Vec<String>,
    any: bool,
}

impl Expect {
    fn whole(&mut self, text: impl Into<String>) {
        self.whole = Some(text.into());
    }

    /// What is wrong with `actual`, if anything.
    fn check(&self, name: &str, actual: &str) -> Option<String> {
        let stated =
            self.any || self.whole.is_some() || !self.contains.is_empty() || !self.lines.is_empty();
        let whole = self.whole.as_deref().or((!stated).then_some(""));
        if let Some(expected) = whole
            && expected != actual
        {
            return Some(format!(
                "{name} differs:\n{}",
                TextDiff::from_lines(expected, actual)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("expected {name}"), &format!("actual {name}"))
            ));
        }
        let mut wrong = String::new();
        for part in &self.contains {
            if !actual.contains(part.as_str()) {
                wrong.push_str(&format!("{name} does not contain\n  {part}\n"));
            }
        }
        for line in &self.lines {
            if !actual.lines().any(|l| l == line) {
                wrong.push_str(&format!("{name} has no line\n  {line}\n"));
            }
        }
        (!wrong.is_empty()).then_some(wrong)
    }
}

impl Default for Test {
    fn default() -> Test {
        Test::new()
    }
}

impl Test {
    /// `warren` with no connection options (offline commands, or a test
    /// that passes its own), expected to exit 0 and print nothing.
    pub fn new() -> Test {
        Test {
            args: Vec::new(),
            env: vec![("NO_COLOR".into(), Some("1".into()))],
            stdin: None,
            current_dir: None,
            limit: Duration::from_secs(300),
            status: Some(0),
            stdout: Expect::default(),
            stderr: Expect::default(),
        }
    }

    /// `warren --url … --username …` with `WARREN_PASSWORD` for the test
    /// broker (a password on the command line gets a warning: `ps` shows
    /// it).
    pub fn broker() -> Test {
        let b = broker();
        Test::new()
            .args(["--url", &b.url, "--username", &b.username])
            .env("WARREN_PASSWORD", &b.password)
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Test {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Sets a variable (`WARREN_*` ones included).
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Test {
        self.env
            .push((name.as_ref().into(), Some(value.as_ref().into())));
        self
    }

    /// Sets these variables.
    pub fn envs(mut self, vars: &[(&str, &str)]) -> Test {
        for (name, value) in vars {
            self = self.env(name, value);
        }
        self
    }

    /// Removes a variable (`NO_COLOR`, say).
    pub fn env_remove(mut self, name: impl AsRef<OsStr>) -> Test {
        self.env.push((name.as_ref().into(), None));
        self
    }

    /// What stdin holds (a pipe, never a terminal); closed otherwise.
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(text.into());
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Test {
        self.current_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// How long the run may take before it is killed (and the test fails).
    pub fn limit(mut self, limit: Duration) -> Test {
        self.limit = limit;
        self
    }

    /// The exit status (0 unless stated).
    pub fn status(mut self, code: i32) -> Test {
        self.status = Some(code);
        self
    }

    /// Any exit status will do (the test checks it itself).
    pub fn any_status(mut self) -> Test {
        self.status = None;
        self
    }

    /// The whole of stdout.
    pub fn stdout(mut self, text: impl Into<String>) -> Test {
        self.stdout.whole(text);
        self
    }

    /// A part of stdout (each one stated must be there).
    pub fn stdout_contains(mut self, part: impl Into<String>) -> Test {
        self.stdout.contains.push(part.into());
        self
    }

    /// One whole line of stdout.
    pub fn stdout_line(mut self, line: impl Into<String>) -> Test {
        self.stdout.lines.push(line.into());
        self
    }

    /// stdout is the test's to check (JSON, or a figure that changes).
    pub fn stdout_any(mut self) -> Test {
        self.stdout.any = true;
        self
    }

    /// The whole of stderr.
    pub fn stderr(mut self, text: impl Into<String>) -> Test {
        self.stderr.whole(text);
        self
    }

    /// A part of stderr (each one stated must be there).
    pub fn stderr_contains(mut self, part: impl Into<String>) -> Test {
        self.stderr.contains.push(part.into());
        self
    }

    /// One whole line of stderr.
    pub fn stderr_line(mut self, line: impl Into<String>) -> Test {
        self.stderr.lines.push(line.into());
        self
    }

    /// stderr is the test's to check (a request log, say).
    pub fn stderr_any(mut self) -> Test {
        self.stderr.any = true;
        self
    }

    /// The command this test runs, as `std::process::Command`.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_warren"));
        command.args(&self.args);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("WARREN_") {
                command.env_remove(name);
            }
        }
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }

    /// Starts warren with its output read as it comes, for a test that
    /// acts while it runs; [`Spawned::finish`] checks what it did.
    pub fn spawn(self) -> Spawned {
        Spawned {
            running: Running::start(self.command(), self.stdin.clone()),
            started: Instant::now(),
            test: self,
        }
    }

    /// Runs warren to its end (or its limit); nothing is checked.
    pub fn output(&self) -> Output {
        let limit = self.limit;
        let running = Running::start(self.command(), self.stdin.clone());
        let started = Instant::now();
        running.wait_or_kill(|| started.elapsed() > limit)
    }

    /// Runs warren and checks the exit status and both streams; panics
    /// with what differs and everything warren printed.
    #[track_caller]
    pub fn run(self) -> Output {
        let output = self.output();
        self.check(output)
    }

    #[track_caller]
    fn check(&self, output: Output) -> Output {
        let mut wrong = Vec::new();
        if output.killed {
            wrong.push(format!(
                "killed after the limit of {} s",
                self.limit.as_secs()
            ));
        } else if let Some(code) = self.status
            && output.code != Some(code)
        {
            wrong.push(format!("exit status {:?}, expected {code}", output.code));
        }
        wrong.extend(self.stdout.check("stdout", &output.stdout));
        wrong.extend(self.stderr.check("stderr", &output.stderr));
        if !wrong.is_empty() {
            panic!(
                "{}\n\n{}\n--- warren {} ---\n{output}",
                wrong.join("\n"),
                "=".repeat(72),
                self.args
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        output
    }
}

/// A [`Test`] started and still running.
pub struct Spawned {
    running: Running,
    started: Instant,
    test: Test,
}

impl Spawned {
    /// Waits for warren to end (killing it at the test's limit) and checks
    /// what it did, as [`Test::run`] does.
    #[track_caller]
    pub fn finish(self) -> Output {
        let limit = self.test.limit;
        let started = self.started;
        let output = self.running.wait_or_kill(|| started.elapsed() > limit);
        self.test.check(output)
    }

    /// Whether warren has ended.
    pub fn has_ended(&mut self) -> bool {
        self.running.has_ended()
    }

    /// Sends `signal` (`libc::SIGINT`, …) to warren.
    #[cfg(unix)]
    pub fn signal(&self, signal: i32) {
        self.running.signal(signal);
    }

    /// Waits for warren to end, killing it as soon as `give_up` (asked
    /// every 10 ms) says so; nothing is checked.
    pub fn wait_or_kill(self, give_up: impl FnMut() -> bool) -> Output {
        self.running.wait_or_kill(give_up)
    }
}

/// What `plan` prints when the broker matches the files.
pub const NO_CHANGES: &str = "No changes. The broker matches the files.\n";
/// What `drift` prints when the broker matches the files.
pub const IN_SYNC: &str = "In sync. The broker matches the files.\n";

/// Asserts that `file` plans as no changes against the broker, with and
/// without `--prune` and `--detailed-exitcode`, in text and JSON, and that
/// `drift` finds nothing.
///
/// Whatever the file's warnings, on stderr: they are validate's business.
#[track_caller]
pub fn assert_no_changes(file: &Path) {
    let plan = |args: &[&str]| Test::broker().arg("plan").args(args).arg(file).stderr_any();
    plan(&[]).stdout(NO_CHANGES).run();
    plan(&["--detailed-exitcode"]).stdout(NO_CHANGES).run();
    plan(&["--prune", "--detailed-exitcode"])
        .stdout(NO_CHANGES)
        .run();
    Test::broker()
        .arg("drift")
        .arg(file)
        .stdout(IN_SYNC)
        .stderr_any()
        .run();
    let json = Test::broker()
        .args(["--format", "json", "plan", "--prune"])
        .arg(file)
        .stdout_any()
        .stderr_any()
        .run();
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
