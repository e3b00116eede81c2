//! A command run with its output read as it comes and a bound on its run
//! time, so a full pipe never stalls it and a hang fails the test instead
//! of blocking the suite; the run's exit code, output and duration come
//! back for the test to check. [`Test`](super::warren::Test) runs warren
//! this way.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
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
    /// stdout as one JSON document; panics with both streams when it is
    /// not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{self}"))
    }

    /// The last line of stderr: the error, after any `-v` request log.
    pub fn last_stderr_line(&self) -> &str {
        self.stderr.lines().last().unwrap_or("")
    }

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

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.output())
    }
}

/// A command started with its output read as it comes, so that a full pipe
/// never stalls it while the test does something else. Killed if the test
/// ends (or panics) before waiting for it, so it never outlives the vhost
/// it works in.
pub struct Running {
    child: Option<Child>,
    started: Instant,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    /// Starts `command` with both outputs piped, and stdin a pipe that
    /// holds `stdin` (closed when `None`).
    pub fn start(mut command: Command, stdin: Option<Vec<u8>>) -> Running {
        let started = Instant::now();
        let mut child = command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the command");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("piped stdin");
            // A command that exits without reading it all closes the pipe.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&text);
            });
        }
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = pipe.read_to_end(&mut text);
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
        Running {
            child: Some(child),
            started,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Sends `signal` (`libc::SIGINT`, …) to the command, if it still runs.
    #[cfg(unix)]
    pub fn signal(&self, signal: i32) {
        if let Some(child) = &self.child {
            // SAFETY: signals our own child, which is not reaped yet.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        }
    }

    /// Whether the command has ended (its status stays for `wait_or_kill`).
    pub fn has_ended(&mut self) -> bool {
        (self.child.as_mut()).is_none_or(|child| child.try_wait().is_ok_and(|s| s.is_some()))
    }

    /// Waits for the command to end; kills it as soon as `give_up` (asked
    /// every 10 ms while it runs) says so.
    pub fn wait_or_kill(mut self, mut give_up: impl FnMut() -> bool) -> Run {
        let mut child = self.child.take().expect("not waited for yet");
        let mut killed = false;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the command") {
                break status;
            }
            if give_up() {
                let _ = child.kill();
                killed = true;
                break child.wait().expect("wait for the killed command");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = self.started.elapsed();
        Run {
            code: if killed { None } else { status.code() },
            stdout: join(self.stdout.take()),
            stderr: join(self.stderr.take()),
            elapsed,
            killed,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a reader thread read.
fn join(reader: Option<JoinHandle<String>>) -> String {
    reader.expect("read once").join().expect("an output reader")
}

/// A run of `command` to its end, with the peak resident memory of the
/// process itself (from `wait4(2)`, in KiB). It is killed, and the run
/// marked so, past `limit` or as soon as its resident memory passes
/// `kill_above_kib` (read from `/proc` every 10 ms), so a test of a memory
/// bound never takes the machine down when the bound breaks.
///
/// Linux counts in a child's peak the memory of the process it was spawned
/// from, up to the exec, so the test process must stay small itself.
#[cfg(target_os = "linux")]
pub fn run_measured(mut command: Command, limit: Duration, kill_above_kib: u64) -> (Run, i64) {
    let outputs = tempfile::tempdir().expect("a temporary directory");
    let stdout_path = outputs.path().join("stdout");
    let stderr_path = outputs.path().join("stderr");
    let started = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("an output file"))
        .stderr(std::fs::File::create(&stderr_path).expect("an output file"))
        .spawn()
        .expect("start the command");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data, zero is a valid value; wait4 reaps our
    // own child, whose `Child` handle is not waited on afterwards.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            break;
        }
        let resident_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(0);
        if !killed && (started.elapsed() > limit || resident_kib > kill_above_kib) {
            // SAFETY: signals our own child, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(child);
    let read = |path: &std::path::Path| {
        String::from_utf8_lossy(&std::fs::read(path).expect("an output file")).into_owned()
    };
    let run = Run {
        code: (!killed && libc::WIFEXITED(status)).then(|| libc::WEXITSTATUS(status)),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
        elapsed: started.elapsed(),
        killed,
    };
    (run, usage.ru_maxrss)
}
