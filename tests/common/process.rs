//! Running the `warren` binary from a test with a bound on its run time,
//! so a hang fails the test instead of blocking the suite; the run's exit
//! code, output and duration come back for the test to check.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished (or killed) run left.
#[derive(Debug, Clone)]
pub struct Run {
    /// `None` when it was killed at the limit or ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// True when it ran past the limit and was killed.
    pub killed: bool,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn output(&self) -> String {
        format!(
            "exit {:?} after {:.1} s{}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.elapsed.as_secs_f64(),
            if self.killed { " (killed)" } else { "" },
            self.stdout,
            self.stderr
        )
    }
}

/// `warren` with these arguments, colour off and no `WARREN_*` settings
/// from the environment of whoever runs the tests.
pub fn warren<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_warren"));
    command.args(args).env("NO_COLOR", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("WARREN_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `command` with no stdin; kills it at `limit`.
pub fn run_bounded(mut command: Command, limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            killed = true;
            break child.wait().expect("wait for the killed command");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    Run {
        code: if killed { None } else { status.code() },
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed,
        killed,
    }
}
