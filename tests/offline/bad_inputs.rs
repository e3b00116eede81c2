//! Every bad input is refused cleanly: `warren validate FILE` exits 1,
//! names the file, never panics, prints nothing on stdout, keeps its error
//! output short, says what each of the file's `# expect: …` lines says (at
//! the top of the file, one fragment per line), and does so in under 2 s and
//! 500 MB of memory. Adding a case is adding a file to `tests/bad/`.
//!
//! Files that cannot be YAML (binary garbage, bytes that are not UTF-8)
//! still start with their `# expect:` line; only those first bytes are read
//! as text here. A `.json` file may start with such a comment too: warren
//! reads JSON as YAML, where `#` starts a comment.
//!
//! The huge inputs are not committed: [`generated_cases`] writes them into
//! `target/tmp/bad_inputs/` (a 50 MB topology and 50 MB of one list, over
//! the 16 MiB limit; 15 MB of one list and of one scalar, under it; 10 MB
//! scalars) and they run like the others.
//!
//! Time and memory are those of the debug binary that `cargo test` builds
//! (the YAML parser and regex engine are optimised in that profile, see
//! `Cargo.toml`). The peak resident memory is the child's own, from
//! `wait4(2)`: `getrusage(RUSAGE_CHILDREN)` would mix in the other children
//! this process has waited for, and reading `/proc/PID/status` races with
//! the exit. The runs in this file take turns, so one does not slow another.
//!
//! Each rule of DESIGN.md §1 and the file it is tested by:
//!
//! | rule                                              | files in tests/bad/                                       |
//! |---------------------------------------------------|-----------------------------------------------------------|
//! | YAML syntax, with line and column                 | truncated, json-syntax-error.json, tabs-indentation, second-document-bad |
//! | the file is a mapping of lists                    | top-level-list, section-not-a-list                        |
//! | unknown keys are errors, with a hint              | unknown-field, unknown-top-level-key, policy-unknown-key  |
//! | export keys accepted; a plain password refused     | export-with-users.json, export-with-plain-password.json   |
//! | type errors, with line and column                 | wrong-field-type, missing-exchange-type, destination-type-typo, one-bad-item-hides-nothing |
//! | every object's vhost is listed under vhosts       | vhost-not-listed, vhost-did-you-mean                      |
//! | duplicates, both places named (across files: cli_offline.rs) | duplicate-vhost, duplicate-exchange, duplicate-queue-in-one-file, duplicate-binding, duplicate-policy |
//! | a duplicate key in one mapping                    | duplicate-keys, duplicate-argument-key, duplicate-top-level-key |
//! | binding source and destination declared           | binding-unknown-source, binding-unknown-destination, binding-destination-exchange-is-a-queue, binding-destination-queue-is-an-exchange |
//! | the default exchange takes no explicit bindings   | binding-from-default-exchange                             |
//! | reserved `amq.` prefixes                          | exchange-reserved-name, queue-reserved-name               |
//! | empty or over-255-byte names and routing keys     | queue-empty-name, vhost-empty-name, exchange-name-too-long, policy-name-too-long, routing-key-too-long |
//! | exchange types (and plugin `x-` types)            | exchange-type-typo, exchange-alternate-exchange-type      |
//! | types of the well-known `x-` arguments            | queue-message-ttl-string, queue-message-ttl-float, queue-max-length-negative, queue-expires-zero, queue-max-priority-range, queue-overflow-value, queue-single-active-consumer-string, queue-max-age-format, queue-dead-letter-exchange-type, queue-dead-letter-routing-key-alone, queue-argument-null, binding-x-match |
//! | queue-type rules                                  | queue-type-unknown, quorum-non-durable, quorum-auto-delete, quorum-max-priority, stream-auto-delete, stream-dead-letter, stream-message-ttl, vhost-default-queue-type, vhost-default-quorum-refuses-priority |
//! | policies the broker refuses                       | policy-apply-to, policy-empty-definition, policy-pattern-glob, policy-pattern-invalid, policy-refused-key, policy-value-type, policy-x-key |
//! | shovels and federation upstreams the broker refuses | shovel-without-source, federation-upstream-value        |
//! | route assertions that fail                        | route-fails, route-unknown-exchange, route-internal-exchange |
//! | alias bombs, deep nesting (10,000 levels)         | alias-bomb, deep-nesting, wide-alias, hundred-thousand-deep (generated) |
//! | binary garbage, bytes that are not UTF-8          | binary-garbage, non-utf8                                  |
//! | size limits (generated)                           | fifty-mb-topology, fifty-mb-list, fifteen-mb-list, fifteen-mb-scalar, ten-mb-queue-name, ten-mb-argument, ten-mb-destination, ten-mb-pattern |
//! | inputs the fuzzer found (see fuzz/README.md)      | fuzz-*                                                    |

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::common::warren::Test;

/// Secrets planted in `export-with-users.json` (a password hash) and
/// `export-with-plain-password.json` (a password): never printed.
const PLANTED_SECRETS: &[&str] = &["FAKEHASHdoNotPrintMe", "PlainPasswordDoNotPrintMe"];

/// The bounds every bad input is held to.
const MAX_WALL: Duration = Duration::from_secs(2);
const MAX_RSS_KIB: i64 = 500 * 1024;
/// An error about a huge value must not be huge itself.
const MAX_STDERR_BYTES: usize = 64 * 1024;

struct Case {
    /// As given on the command line: relative to the package root for the
    /// committed files, absolute for the generated ones.
    path: String,
    expectations: Vec<String>,
}

fn cases() -> Vec<Case> {
    let mut cases = committed_cases();
    cases.extend(generated_cases().iter().map(|(path, expectations)| Case {
        path: path.display().to_string(),
        expectations: expectations.clone(),
    }));
    cases
}

fn committed_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/bad"))
        .expect("tests/bad exists")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).expect("a readable file");
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
            let expectations = head
                .lines()
                .take_while(|line| line.starts_with('#'))
                .filter_map(|line| line.strip_prefix("# expect: "))
                .map(str::to_string)
                .collect();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            Case {
                path: format!("tests/bad/{name}"),
                expectations,
            }
        })
        .collect()
}

/// The huge inputs, written once per test run: (path, expected fragments).
/// They are streamed to disk, never held whole: see [`warren`] for why
/// this process keeps its own memory small.
fn generated_cases() -> &'static [(PathBuf, Vec<String>)] {
    static GENERATED: OnceLock<Vec<(PathBuf, Vec<String>)>> = OnceLock::new();
    GENERATED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad_inputs");
        std::fs::create_dir_all(&dir).expect("target/tmp is writable");
        const MIB: usize = 1 << 20;
        let write = |name: &str, expect: &[&str], fill: &dyn Fn(&mut dyn Write) -> usize| {
            let path = dir.join(name);
            let mut out = BufWriter::new(File::create(&path).expect("a generated file"));
            fill(&mut out);
            out.flush().expect("a generated file is written");
            (path, expect.iter().map(|e| e.to_string()).collect())
        };
        // Writes `text` and says how many bytes it was.
        let put = |out: &mut dyn Write, text: &str| {
            out.write_all(text.as_bytes())
                .expect("a generated file is written");
            text.len()
        };
        let list = |out: &mut dyn Write, size: usize| {
            let chunk = "1,".repeat(1 << 15);
            let start = put(out, "queues: [");
            let body: usize = (0..size / chunk.len()).map(|_| put(out, &chunk)).sum();
            start + body + put(out, "1]\n")
        };
        let ten_mb = |out: &mut dyn Write| {
            let chunk = "q".repeat(1 << 16);
            (0..10 * MIB / chunk.len())
                .map(|_| put(out, &chunk))
                .sum::<usize>()
        };

        vec![
            // A valid-looking topology of 50 MB, its one mistake at the end.
            write(
                "fifty-mb-topology.yaml",
                &[
                    "the file is larger than 16 MiB",
                    "split the topology into several files",
                ],
                &|out| {
                    let mut written = put(out, "vhosts:\n  - name: /\nqueues:\n");
                    let mut i = 0;
                    while written < 50 * MIB {
                        written += put(
                            out,
                            &format!(
                                "  - name: orders.region-{:02}.partition-{i:06}.events\n    \
                                 durable: true\n    arguments: {{x-queue-type: quorum, \
                                 x-delivery-limit: 20}}\n",
                                i % 17
                            ),
                        );
                        i += 1;
                    }
                    written
                        + put(
                            out,
                            "bindings:\n  - source: amq.topic\n    destination: no.such.queue\n",
                        )
                },
            ),
            // One list of 50 MB, then of 15 MB: two bytes a node.
            write(
                "fifty-mb-list.yaml",
                &["the file is larger than 16 MiB"],
                &|out| list(out, 50 * MIB),
            ),
            write(
                "fifteen-mb-list.yaml",
                &[
                    "more than 1,000,000 YAML nodes",
                    "split the topology into several files",
                ],
                &|out| list(out, 15 * MIB),
            ),
            // 15 MB of one plain scalar (commas do not end it outside a flow
            // list), whose syntax error is at its very end.
            write(
                "fifteen-mb-scalar.yaml",
                &["invalid YAML: mapping values are not allowed in this context"],
                &|out| {
                    let chunk = "1,".repeat(1 << 15);
                    let body: usize = (0..15 * MIB / chunk.len()).map(|_| put(out, &chunk)).sum();
                    body + put(out, "1]\nqueues: [")
                },
            ),
            // Flow lists 100,000 deep: 200 KB (libyaml was quadratic in
            // the depth: 51 s).
            write(
                "hundred-thousand-deep.yaml",
                &["nested more than 128 levels deep"],
                &|out| put(out, &"[".repeat(100_000)) + put(out, &"]".repeat(100_000)),
            ),
            // One anchored mapping of 2,000 keys aliased 2,000 times (160 KB):
            // 4,000,000 nodes once expanded.
            write(
                "wide-alias.yaml",
                &["aliases expand to too many nodes (an alias bomb?): refused"],
                &|out| {
                    let keys: Vec<String> = (0..2_000).map(|i| format!("k{i}: {i}")).collect();
                    let mut written = put(
                        out,
                        &format!("x-wide: &w {{{}}}\nqueues:\n", keys.join(", ")),
                    );
                    for i in 0..2_000 {
                        written += put(out, &format!("  - {{name: q{i}, arguments: *w}}\n"));
                    }
                    written
                },
            ),
            write(
                "ten-mb-queue-name.yaml",
                &["the queue name is 10485760 bytes long", "bytes left out]…"],
                &|out| put(out, "vhosts: [{name: /}]\nqueues:\n  - name: ") + ten_mb(out),
            ),
            write(
                "ten-mb-argument.yaml",
                &["queues[0] q: ", "bytes left out]…"],
                &|out| {
                    put(
                        out,
                        "vhosts: [{name: /}]\nqueues:\n  - name: q\n    arguments:\n      \
                         x-queue-type: ",
                    ) + ten_mb(out)
                },
            ),
            write(
                "ten-mb-pattern.yaml",
                &["warren checks patterns of up to 64 KiB"],
                &|out| {
                    put(
                        out,
                        "vhosts: [{name: /}]\nexchanges: [{name: e, type: topic}]\n\
                         routes: [{exchange: e, routing_key: k, reaches: []}]\npolicies:\n  \
                         - name: p\n    apply_to: exchanges\n    \
                         definition: {alternate-exchange: x}\n    pattern: ",
                    ) + ten_mb(out)
                },
            ),
            write(
                "ten-mb-destination.yaml",
                &["destination queue 'qqqq", "' is not declared in vhost '/'"],
                &|out| {
                    let queues: String = (0..1000).map(|i| format!("  - name: q{i}\n")).collect();
                    put(out, "vhosts: [{name: /}]\nqueues:\n")
                        + put(out, &queues)
                        + put(out, "bindings:\n  - source: amq.direct\n    destination: ")
                        + ten_mb(out)
                },
            ),
        ]
    })
}

/// What one run of warren did, and what it cost.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: Duration,
    peak_rss_kib: i64,
}

/// Runs warren with `args` from the package root, one run at a time.
///
/// The peak memory is an upper bound: Linux counts in a child's peak the
/// memory of the process it was spawned from, up to the exec, so this test
/// process must stay small itself (it streams the huge files to disk).
fn warren(args: &[&str]) -> Run {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let outputs = tempfile::tempdir().expect("a temporary directory");
    let stdout_path = outputs.path().join("stdout");
    let stderr_path = outputs.path().join("stderr");
    let started = Instant::now();
    // Test's command (its environment), reaped here by wait4 for the peak.
    let child = Test::new()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .command()
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .expect("warren starts");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data, zero is a valid value; wait4 reaps our
    // own child, whose `Child` handle is not waited on afterwards.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    drop(child);
    let read = |path: &Path| String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
        wall,
        peak_rss_kib: usage.ru_maxrss,
    }
}

/// What is wrong with a run on a bad file, beyond its own output format.
fn cost_problems(run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    if run.wall > MAX_WALL {
        problems.push(format!("took {:?}, more than {MAX_WALL:?}", run.wall));
    }
    if run.peak_rss_kib > MAX_RSS_KIB {
        problems.push(format!(
            "used {} MiB, more than {} MiB",
            run.peak_rss_kib / 1024,
            MAX_RSS_KIB / 1024
        ));
    }
    if run.code.is_none() {
        problems.push("killed by a signal (a stack overflow or an abort?)".to_string());
    }
    if run.stderr.contains("panicked") {
        problems.push("it panicked".to_string());
    }
    for secret in PLANTED_SECRETS {
        if run.stderr.contains(secret) || run.stdout.contains(secret) {
            problems.push(format!("a secret was printed: {secret}"));
        }
    }
    problems
}

#[test]
fn there_is_a_bad_file_per_rule() {
    let cases = committed_cases();
    assert!(cases.len() >= 40, "only {} bad files", cases.len());
    let without: Vec<&str> = cases
        .iter()
        .filter(|c| c.expectations.is_empty())
        .map(|c| c.path.as_str())
        .collect();
    assert!(
        without.is_empty(),
        "these files have no `# expect: …` first line: {without:?}"
    );
    // The table at the top of this file names every committed file.
    let table = include_str!("bad_inputs.rs");
    let unlisted: Vec<&str> = cases
        .iter()
        .map(|c| {
            let name = c.path.trim_start_matches("tests/bad/");
            name.strip_suffix(".yaml").unwrap_or(name)
        })
        .filter(|name| !name.starts_with("fuzz-") && !table.contains(name))
        .collect();
    assert!(
        unlisted.is_empty(),
        "add these to the table of rules: {unlisted:?}"
    );
}

#[test]
fn every_bad_file_is_refused_with_the_expected_message_in_time_and_memory() {
    let mut failures = Vec::new();
    let mut costs = Vec::new();
    for case in cases() {
        let run = warren(&["validate", &case.path]);
        costs.push((run.wall, run.peak_rss_kib, case.path.clone()));
        let mut problems = cost_problems(&run);
        if run.code != Some(1) {
            problems.push(format!("exit status {:?}, expected 1", run.code));
        }
        if !run.stderr.contains(&format!("error: {}", case.path)) {
            problems.push("no error names the file".to_string());
        }
        if !run.stdout.is_empty() {
            problems.push("something was printed on stdout".to_string());
        }
        if run.stderr.len() > MAX_STDERR_BYTES {
            problems.push(format!("{} bytes on stderr", run.stderr.len()));
        }
        for expected in &case.expectations {
            if !run.stderr.contains(expected.as_str()) {
                problems.push(format!("missing: {expected}"));
            }
        }
        if !problems.is_empty() {
            let mut stderr = run.stderr.clone();
            if stderr.len() > 4096 {
                let end = (0..=4096).rev().find(|&i| stderr.is_char_boundary(i));
                stderr.truncate(end.unwrap_or(0));
                stderr.push('…');
            }
            failures.push(format!(
                "{}:\n  {}\n  --- stderr ---\n{stderr}",
                case.path,
                problems.join("\n  ")
            ));
        }
    }
    // `cargo test -- --nocapture` shows what the bounds are measured against.
    costs.sort();
    for (wall, rss, path) in costs.iter().rev().take(5) {
        println!("{wall:>12.3?} {:>5} MiB  {path}", rss / 1024);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_bad_file_gives_a_json_report_too() {
    let mut failures = Vec::new();
    for case in cases() {
        let run = warren(&["--format", "json", "validate", &case.path]);
        let report: Result<serde_json::Value, _> = serde_json::from_str(&run.stdout);
        let mut problems = cost_problems(&run);
        let problem = match report {
            _ if run.code != Some(1) => Some(format!("exit status {:?}", run.code)),
            Err(err) => Some(format!("stdout is not JSON ({err})")),
            Ok(report) if report["valid"] != false => Some("valid is not false".to_string()),
            Ok(report) if report["errors"].as_array().is_none_or(Vec::is_empty) => {
                Some("no errors listed".to_string())
            }
            Ok(_) => None,
        };
        problems.extend(problem);
        if run.stdout.len() > MAX_STDERR_BYTES {
            problems.push(format!("{} bytes on stdout", run.stdout.len()));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.path, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
