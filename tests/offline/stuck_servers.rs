//! Every broker command (`plan`, `drift`, `export`, `apply --auto-approve`)
//! against a server that is not a working management API: one that accepts
//! connections and never answers ends the command after about `--timeout`,
//! naming the URL; one that answers an HTML page (a proxy's login or error
//! page, with status 200, 401 or 502) gets a message saying it is not the
//! management API, never a JSON decoder's complaint.

use crate::common;

use std::time::Duration;

use common::broker::{Canned, FakeServer, unique_name};
use common::process::Run;
use common::warren::{Files, Test, arg};

/// A generous bound: the point is that it ends, not how fast.
const BOUND: Duration = Duration::from_secs(15);

/// A login page as an authenticating proxy serves it.
const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
    <body><form method=\"post\" action=\"/oauth2/sign_in\"><input name=\"user\"></form></body></html>\n";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The four broker commands, for a topology file that declares `vhost`.
fn commands(files: &Files, vhost: &str) -> Vec<Vec<String>> {
    let file = files.topology(
        "topology.yaml",
        vhost,
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: jobs}\n",
    );
    let file = arg(&file).to_string();
    [
        vec!["plan", &file],
        vec!["drift", &file],
        vec!["export", "--vhost", vhost],
        vec!["apply", "--auto-approve", &file],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect()
}

/// `warren --url URL --timeout 1 COMMAND…`, bounded.
fn run(url: &str, command: &[String]) -> Run {
    Test::new()
        .args(["--url", url, "--timeout", "1"])
        .args(command)
        .limit(Duration::from_secs(60))
        .output()
}

/// The last line of stderr, which must be the error.
fn error_line(run: &Run) -> &str {
    run.stderr.lines().last().unwrap_or_default()
}

#[test]
fn a_server_that_never_answers_ends_every_command_after_the_timeout() {
    let runtime = runtime();
    let server = runtime.block_on(FakeServer::start(vec![Canned::Hang]));
    let files = Files::new();
    let vhost = unique_name("stuck");
    let timed_out = regex::Regex::new(&format!(
        r"^error: no answer from {}/api/\S+ within 1 s while trying to .+: raise --timeout \(now 1\) or check whether the broker is overloaded$",
        regex::escape(&server.url)
    ))
    .unwrap();
    let mut durations = Vec::new();
    for command in commands(&files, &vhost) {
        let run = run(&server.url, &command);
        let context = format!("warren {}\n{}", command.join(" "), run.output());
        assert_eq!(run.code, Some(1), "{context}");
        assert!(run.elapsed < BOUND, "{context}");
        assert_eq!(run.stdout, "", "{context}");
        assert!(timed_out.is_match(error_line(&run)), "{context}");
        durations.push(format!("{} {:.1} s", command[0], run.elapsed.as_secs_f64()));
    }
    assert!(server.hits() >= 4);
    println!("stuck server, --timeout 1: {}", durations.join(", "));
}

/// The broker is read while the files load; a file error stops that read
/// at once and is the one error reported, however long the broker would
/// have taken.
#[test]
fn a_file_error_is_reported_at_once_while_the_server_never_answers() {
    let runtime = runtime();
    let server = runtime.block_on(FakeServer::start(vec![Canned::Hang]));
    let files = Files::new();
    let vhost = unique_name("stuck-bad-file");
    let file = files.topology(
        "topology.yaml",
        &vhost,
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: jobs, durable: maybe}\n",
    );
    for command in ["plan", "drift", "apply"] {
        let extra: &[&str] = if command == "apply" {
            &["--auto-approve"]
        } else {
            &[]
        };
        let run = Test::new()
            .args(["--url", &server.url, "--timeout", "30", command])
            .args(extra)
            .arg(&file)
            .limit(Duration::from_secs(60))
            .status(1)
            .stderr_contains("topology.yaml:4:")
            .stderr_contains("durable")
            .run();
        let context = format!("warren {command}\n{}", run.output());
        assert!(run.elapsed < Duration::from_secs(10), "{context}");
        assert!(!run.stderr.contains("no answer"), "{context}");
    }
}

/// Regression (issue 20): `plan`, `drift` and `apply` of an invalid file
/// printed `thread 'tokio-rt-worker' panicked … JoinError::Cancelled` in
/// 8-13 runs of 20, when the runtime stopped under a broker read still in
/// flight. 200 runs of each, against a server that never answers (so any
/// read is still in flight when the file error ends the command), print
/// the file's error and no panic.
#[test]
fn an_invalid_file_never_prints_a_panic_in_200_runs() {
    let runtime = runtime();
    let server = runtime.block_on(FakeServer::start(vec![Canned::Hang]));
    let files = Files::new();
    let vhost = unique_name("panic-bad-file");
    let file = files.topology(
        "topology.yaml",
        &vhost,
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: jobs, bogus: 1}\n",
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let column = text.lines().nth(3).unwrap().find("bogus").unwrap() + 1;
    let expected = format!(
        "error: {}:4:{column}: queues[0] jobs: unknown key 'bogus'; expected one of: name, vhost, durable, auto_delete, arguments, type\n1 error in 1 file\n",
        arg(&file)
    );
    let commands: [&[&str]; 3] = [&["plan"], &["drift"], &["apply", "--auto-approve"]];
    std::thread::scope(|scope| {
        for command in commands {
            let (server, file, expected) = (&server, &file, &expected);
            scope.spawn(move || {
                for _ in 0..200 {
                    Test::new()
                        .args(["--url", &server.url, "--timeout", "30"])
                        .args(command)
                        .arg(file)
                        .limit(Duration::from_secs(60))
                        .status(1)
                        .stderr(expected.as_str())
                        .run();
                }
            });
        }
    });
}

#[test]
fn an_html_page_is_not_the_management_api_whatever_its_status() {
    let runtime = runtime();
    let files = Files::new();
    let vhost = unique_name("html");
    for status in [200, 401, 502] {
        let page = Canned::answer(status, "text/html; charset=utf-8", LOGIN_PAGE);
        let server = runtime.block_on(FakeServer::start(vec![page]));
        let what = if status == 200 {
            "HTML".to_string()
        } else {
            format!("HTML (HTTP {status})")
        };
        let not_the_api = regex::Regex::new(&format!(
            r"^error: {}/api/\S+ answered with {}, not the management API's JSON: is --url right\? \(a proxy login page\?\)$",
            regex::escape(&server.url),
            regex::escape(&what)
        ))
        .unwrap();
        for command in commands(&files, &vhost) {
            let run = run(&server.url, &command);
            let context = format!(
                "HTTP {status}: warren {}\n{}",
                command.join(" "),
                run.output()
            );
            assert_eq!(run.code, Some(1), "{context}");
            assert!(run.elapsed < BOUND, "{context}");
            assert_eq!(run.stdout, "", "{context}");
            assert!(not_the_api.is_match(error_line(&run)), "{context}");
            for decoder_words in ["expected", "invalid type", "line 1 column"] {
                assert!(!run.stderr.contains(decoder_words), "{context}");
            }
        }
    }
}
