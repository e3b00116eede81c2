//! What warren says about how it was asked to connect, and about what
//! answered, before or instead of the broker's own answers (issue 20's
//! minor items): a password on the command line (`ps` shows it), plain
//! http to another machine, a password file with a byte-order mark or
//! trailing blanks, running out of file handles (not "is RabbitMQ
//! running?"), and a server that answers `[]` to everything, which is not
//! a RabbitMQ.
//!
//! The server here answers `[]` to every request, so each run ends with
//! the error saying so; what comes before it is the point.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::broker::{Canned, FakeServer, unique_name};
use common::runtime;
use common::warren::{Files, Test, arg};

/// A server that answers `[]` to everything.
fn empty_lists_server(runtime: &tokio::runtime::Runtime) -> FakeServer {
    runtime.block_on(FakeServer::start(vec![Canned::json(200, "[]")]))
}

/// The error every broker command ends with against that server.
fn not_rabbitmq(url: &str) -> String {
    format!(
        "error: {url} answered, but not as RabbitMQ: its /api/overview names no RabbitMQ version (it said []); is --url a RabbitMQ management API?\n"
    )
}

fn topology(files: &Files) -> String {
    let path = files.topology(
        "t.yaml",
        &unique_name("warnings"),
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: jobs}\n",
    );
    arg(&path).to_string()
}

const PASSWORD_IN_ARGV: &str = "warning: --password on the command line can be read by other users of this machine (ps, /proc): use WARREN_PASSWORD or --password-file\n";
const URL_PASSWORD_IN_ARGV: &str = "warning: --url holds a password, which other users of this machine can read on the command line (ps, /proc): use WARREN_PASSWORD or --password-file\n";

/// Regression (issue 20): a server that answered `[]` to every request
/// passed for an empty broker: plan planned to create everything, and
/// apply "applied" it.
#[test]
fn a_server_that_answers_empty_lists_to_everything_is_not_rabbitmq() {
    let runtime = runtime();
    let server = empty_lists_server(&runtime);
    let files = Files::new();
    let file = topology(&files);
    for command in [
        vec!["plan", &file],
        vec!["drift", &file],
        vec!["apply", "--auto-approve", &file],
        vec!["export", "--vhost", "v"],
    ] {
        Test::new()
            .args(["--url", &server.url])
            .args(&command)
            .status(1)
            .stderr(not_rabbitmq(&server.url))
            .run();
    }
}

#[test]
fn a_password_on_the_command_line_gets_a_warning_from_the_environment_none() {
    let runtime = runtime();
    let server = empty_lists_server(&runtime);
    let files = Files::new();
    let file = topology(&files);
    let (scheme, rest) = server.url.split_once("://").unwrap();
    let with_password = format!("{scheme}://u:s3cret@{rest}");

    Test::new()
        .args(["--url", &server.url, "--password", "s3cret", "plan", &file])
        .status(1)
        .stderr(format!("{PASSWORD_IN_ARGV}{}", not_rabbitmq(&server.url)))
        .run();
    Test::new()
        .args(["--url", &with_password, "plan", &file])
        .status(1)
        .stderr(format!(
            "{URL_PASSWORD_IN_ARGV}{}",
            not_rabbitmq(&server.url)
        ))
        .run();
    // The environment is not on the command line.
    Test::new()
        .args(["--url", &server.url, "plan", &file])
        .env("WARREN_PASSWORD", "s3cret")
        .status(1)
        .stderr(not_rabbitmq(&server.url))
        .run();
    Test::new()
        .args(["plan", &file])
        .env("WARREN_URL", &with_password)
        .status(1)
        .stderr(not_rabbitmq(&server.url))
        .run();
}

#[test]
fn plain_http_to_another_machine_gets_a_warning() {
    let files = Files::new();
    let file = topology(&files);
    // A name that never resolves (RFC 2606): the run ends at once, after
    // the warning.
    let run = Test::new()
        .args(["--url", "http://rabbit.invalid:15672", "plan", &file])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr.starts_with(
            "warning: http://rabbit.invalid:15672 is plain http to another machine: the password and every request cross the network unencrypted; use https\n"
        ),
        "{run}"
    );
    for local in ["http://localhost:1", "http://127.0.0.1:1", "http://[::1]:1"] {
        let run = Test::new()
            .args(["--url", local, "plan", &file])
            .status(1)
            .stderr_any()
            .run();
        assert!(!run.stderr.contains("warning"), "{run}");
    }
}

fn password_file(dir: &Path, name: &str, content: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    arg(&path).to_string()
}

#[test]
fn a_password_file_with_a_byte_order_mark_or_trailing_blanks_gets_a_warning() {
    let runtime = runtime();
    let server = empty_lists_server(&runtime);
    let files = Files::new();
    let file = topology(&files);
    let dir = files.dir.path();
    let cases = [
        ("clean", &b"s3cret\n"[..], None),
        (
            "bom",
            &b"\xef\xbb\xbfs3cret\n"[..],
            Some(
                "starts with a byte-order mark, which is taken as part of the password: save the file without one",
            ),
        ),
        (
            "spaces",
            &b"s3cret  \n"[..],
            Some(
                "ends with spaces or tabs, which are taken as part of the password: remove them if they are not",
            ),
        ),
        (
            "tab",
            &b"s3cret\t\r\n"[..],
            Some(
                "ends with spaces or tabs, which are taken as part of the password: remove them if they are not",
            ),
        ),
    ];
    for (name, content, warning) in cases {
        let path = password_file(dir, name, content);
        let warning = match warning {
            None => String::new(),
            Some(text) if name == "bom" => {
                format!("warning: the password file {path} {text}\n")
            }
            Some(text) => format!("warning: the first line of the password file {path} {text}\n"),
        };
        Test::new()
            .args([
                "--url",
                &server.url,
                "--password-file",
                &path,
                "plan",
                &file,
            ])
            .status(1)
            .stderr(format!("{warning}{}", not_rabbitmq(&server.url)))
            .run();
    }
}

/// Regression (issue 20): out of file handles, warren said "cannot connect
/// to …: is RabbitMQ running?". Under open-file limits from 6 to 16, every
/// run ends with exit 1 or 0 and an error that names file handles, or gets
/// past them; none blames the server (which answers) and none panics.
#[test]
fn running_out_of_file_handles_is_reported_as_that() {
    let runtime = runtime();
    let server = empty_lists_server(&runtime);
    let files = Files::new();
    let file = topology(&files);
    let warren = env!("CARGO_BIN_EXE_warren");
    let mut said_so = 0;
    for limit in 6..=16 {
        let command = Test::new()
            .args(["--url", &server.url, "plan", &file])
            .env("RUST_BACKTRACE", "0")
            .command();
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        // `sh -c 'ulimit -n N; exec warren "$@"' sh ARGS…`, in Test's
        // environment.
        let mut shell = std::process::Command::new("sh");
        shell
            .args([
                "-c",
                &format!("ulimit -n {limit}; exec \"$0\" \"$@\""),
                warren,
            ])
            .args(&args);
        for (name, value) in command.get_envs() {
            match value {
                Some(value) => shell.env(name, value),
                None => shell.env_remove(name),
            };
        }
        let output = shell.output().expect("sh runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let context = format!(
            "ulimit -n {limit}: exit {:?}\n{stderr}",
            output.status.code()
        );
        assert_eq!(output.status.code(), Some(1), "{context}");
        assert!(!stderr.contains("panicked"), "{context}");
        assert!(!stderr.contains("is RabbitMQ running"), "{context}");
        if stderr.contains("ran out of file handles") || stderr.contains("Too many open files") {
            said_so += 1;
        } else {
            assert_eq!(stderr, not_rabbitmq(&server.url), "{context}");
        }
    }
    assert!(
        said_so > 0,
        "no open-file limit from 6 to 16 ran warren out of file handles"
    );
}
