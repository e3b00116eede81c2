//! What `warren plan`, `drift` and `export` say when they cannot talk to
//! RabbitMQ: a wrong password (given as a flag, inside `--url`, or in
//! `--password-file`), nothing listening, and an HTTP server that is not
//! the management API. Every case runs each command in text and JSON, with
//! and without `-v`: exit 1, nothing on stdout, one clear error line last
//! on stderr (after the request log with `-v`), and the password nowhere.

use crate::common;

use std::path::Path;

use common::broker::{Canned, FakeServer, TestVhost, broker, unique_name};
use common::warren::{Files, Test, arg};

const LOGIN_ADVICE: &str =
    "check the user name and the password (--password, WARREN_PASSWORD or --password-file)";

/// A valid topology file naming `vhost`, for plan and drift.
fn topology(files: &Files, vhost: &str) -> std::path::PathBuf {
    files.topology(
        "topology.yaml",
        vhost,
        "vhosts:\n  - name: $V\nqueues:\n  - {vhost: $V, name: jobs}\n",
    )
}

/// plan, drift and export, each in text and JSON, with and without -v.
fn every_variant(file: &Path, vhost: &str) -> Vec<Vec<String>> {
    let commands: [Vec<&str>; 3] = [
        vec!["plan", arg(file)],
        vec!["drift", arg(file)],
        vec!["export", "--vhost", vhost],
    ];
    let mut variants = Vec::new();
    for command in &commands {
        for format in ["text", "json"] {
            for verbose in [false, true] {
                let mut args = vec!["--format".to_string(), format.to_string()];
                if verbose {
                    args.push("-v".to_string());
                }
                args.extend(command.iter().map(|s| s.to_string()));
                variants.push(args);
            }
        }
    }
    variants
}

/// Runs every variant with `connection` first and checks the failure:
/// exit 1, empty stdout, stderr ending with one of `errors` (the whole of
/// stderr without -v; after request log lines with it), and no `secret`
/// anywhere.
#[track_caller]
fn assert_fails_everywhere(
    connection: &[&str],
    variants: &[Vec<String>],
    errors: &[String],
    secrets: &[&str],
) {
    let exact: Vec<regex::Regex> = errors
        .iter()
        .map(|e| regex::Regex::new(&format!("^{}$", regex::escape(e))).unwrap())
        .collect();
    assert_fails_matching(connection, variants, &exact, secrets);
}

/// [`assert_fails_everywhere`] with the error lines as patterns.
#[track_caller]
fn assert_fails_matching(
    connection: &[&str],
    variants: &[Vec<String>],
    errors: &[regex::Regex],
    secrets: &[&str],
) {
    let log_line = regex::Regex::new(
        r"^GET https?://\S+/api/\S+ -> (\d{3}|cannot connect|connection broken|timeout) \(\d+ ms(, will retry)?\)$",
    )
    .unwrap();
    // The password goes in WARREN_PASSWORD: on the command line it gets a
    // warning (`ps` shows it), and only the error is wanted here.
    let password = connection
        .windows(2)
        .find(|w| w[0] == "--password")
        .map(|w| w[1]);
    let connection: Vec<&str> = connection
        .iter()
        .enumerate()
        .filter(|(i, a)| **a != "--password" && (*i == 0 || connection[i - 1] != "--password"))
        .map(|(_, a)| *a)
        .collect();
    for variant in variants {
        let mut args: Vec<&str> = connection.clone();
        args.extend(variant.iter().map(String::as_str));
        let mut test = Test::new().args(&args).status(1).stderr_any();
        if let Some(password) = password {
            test = test.env("WARREN_PASSWORD", password);
        }
        let run = test.run();
        let context = format!("warren {}\n{run}", args.join(" "));
        for secret in secrets {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "the password {secret:?} leaked: {context}"
            );
        }
        // A password in --url is on the command line, where `ps` shows it:
        // warren says so first.
        let url_password = connection
            .iter()
            .any(|a| a.contains("://") && a.contains('@'));
        let mut lines: Vec<&str> = run.stderr.lines().collect();
        if url_password {
            assert_eq!(
                lines.first().copied(),
                Some(
                    "warning: --url holds a password, which other users of this machine can read on the command line (ps, /proc): use WARREN_PASSWORD or --password-file"
                ),
                "{context}"
            );
            lines.remove(0);
        }
        let (last, before) = lines.split_last().expect("an error on stderr");
        assert!(
            errors.iter().any(|e| e.is_match(last)),
            "the last line of stderr is none of {errors:#?}\n{context}"
        );
        if variant.iter().any(|a| a == "-v") {
            assert!(!before.is_empty(), "-v logs the requests: {context}");
            for line in before {
                assert!(
                    log_line.is_match(line),
                    "not a request log line: {line:?}\n{context}"
                );
            }
        } else {
            assert!(before.is_empty(), "only the error without -v: {context}");
        }
    }
}

#[test]
fn a_wrong_password_is_a_login_failure_naming_user_and_url_never_the_password() {
    let v = TestVhost::new("err-password");
    let files = Files::new();
    let file = topology(&files, &v.name);
    let b = broker();
    let password = format!("Wrong-{}", unique_name("pw"));
    assert_fails_everywhere(
        &[
            "--url",
            &b.url,
            "--username",
            &b.username,
            "--password",
            &password,
        ],
        &every_variant(&file, &v.name),
        &[format!(
            "error: login to {} failed for user '{}': {LOGIN_ADVICE}",
            b.url, b.username
        )],
        &[&password],
    );
}

#[test]
fn a_wrong_password_inside_the_url_never_appears() {
    let v = TestVhost::new("err-url-password");
    let files = Files::new();
    let file = topology(&files, &v.name);
    let b = broker();
    let (scheme, rest) = b.url.split_once("://").unwrap();
    // `%40` is `@`: neither spelling may show.
    let url = format!("{scheme}://{}:Url%40Secret-4242@{rest}", b.username);
    assert_fails_everywhere(
        &["--url", &url],
        &every_variant(&file, &v.name),
        &[format!(
            "error: login to {} failed for user '{}': {LOGIN_ADVICE}",
            b.url, b.username
        )],
        &["Url%40Secret", "Url@Secret", "Secret-4242"],
    );
}

#[test]
fn a_password_file_is_read_and_its_wrong_password_never_shown() {
    let v = TestVhost::new("err-password-file");
    let files = Files::new();
    let file = topology(&files, &v.name);
    let b = broker();
    let secret_file = |name: &str, text: &str| {
        let path = files.write(name, text);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    };

    let right = secret_file("right", &format!("{}\n", b.password));
    let run = Test::new()
        .args([
            "--url",
            &b.url,
            "--username",
            &b.username,
            "--password-file",
            arg(&right),
            "plan",
            arg(&file),
        ])
        .stdout_any()
        .run();
    assert!(
        run.stdout
            .ends_with("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.\n"),
        "{run}"
    );

    let wrong_password = format!("File-{}", unique_name("pw"));
    let wrong = secret_file("wrong", &format!("{wrong_password}\nignored second line\n"));
    assert_fails_everywhere(
        &[
            "--url",
            &b.url,
            "--username",
            &b.username,
            "--password-file",
            arg(&wrong),
        ],
        &every_variant(&file, &v.name),
        &[format!(
            "error: login to {} failed for user '{}': {LOGIN_ADVICE}",
            b.url, b.username
        )],
        &[&wrong_password],
    );

    let missing = files.path("absent");
    let run = Test::new()
        .args([
            "--url",
            &b.url,
            "--password-file",
            arg(&missing),
            "plan",
            arg(&file),
        ])
        .status(1)
        .stderr_any()
        .run();
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot read the password file {}: ",
            arg(&missing)
        )) && run.stderr.ends_with(": check --password-file\n"),
        "{run}"
    );
}

#[test]
fn nothing_listening_is_cannot_connect() {
    let files = Files::new();
    let vhost = unique_name("err-unreachable");
    let file = topology(&files, &vhost);
    assert_fails_everywhere(
        &[
            "--url",
            "http://127.0.0.1:1",
            "--password",
            "Unused-Secret-1",
        ],
        &every_variant(&file, &vhost),
        &[
            "error: cannot connect to http://127.0.0.1:1: is RabbitMQ running and the management \
           plugin enabled? (rabbitmq-plugins enable rabbitmq_management)"
                .to_string(),
        ],
        &["Unused-Secret-1"],
    );
}

/// Runs `check` with a fake server, off the runtime's threads (the binary
/// blocks; the server must keep answering).
async fn with_server(answer: Canned, check: impl FnOnce(String) + Send + 'static) {
    let server = FakeServer::start(vec![answer]).await;
    let url = server.url.clone();
    tokio::task::spawn_blocking(move || check(url))
        .await
        .unwrap();
    assert!(server.hits() > 0);
}

/// The first requests run concurrently: any of them may fail first
/// (`export` reads the vhost limits too).
fn first_requests(url: &str, vhost: &str) -> Vec<String> {
    let v = common::broker::enc(vhost);
    vec![
        format!("{url}/api/vhost-limits"),
        format!(
            "{url}/api/overview?disable_stats=true&columns=rabbitmq_version,management_version,exchange_types"
        ),
        format!(
            "{url}/api/vhosts?disable_stats=true&columns=name,description,tags,default_queue_type"
        ),
        format!(
            "{url}/api/exchanges/{v}?disable_stats=true&columns=name,vhost,type,durable,auto_delete,internal,arguments"
        ),
        format!(
            "{url}/api/queues/{v}?disable_stats=true&columns=name,vhost,durable,auto_delete,exclusive,arguments,type"
        ),
        format!(
            "{url}/api/bindings/{v}?disable_stats=true&columns=source,destination,destination_type,routing_key,arguments,properties_key"
        ),
        format!(
            "{url}/api/policies/{v}?disable_stats=true&columns=name,pattern,apply-to,definition,priority"
        ),
    ]
}

/// RabbitMQ 4.0.5 answers a wrong password with 401 `{"error":
/// "not_authorized","reason":"Not_Authorized"}` and no `WWW-Authenticate`
/// header (3.10.8: "Login failed"); the run against the 4.0 broker checks
/// the real answer, this one keeps the 3.10 run checking it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_as_rabbitmq_4_answers_it_is_a_login_failure() {
    let refusal = Canned::json(
        401,
        r#"{"error":"not_authorized","reason":"Not_Authorized"}"#,
    );
    with_server(refusal, |url| {
        let files = Files::new();
        let vhost = unique_name("err-not-authorized");
        let file = topology(&files, &vhost);
        assert_fails_everywhere(
            &["--url", &url, "--password", "Wrong-Secret-4"],
            &every_variant(&file, &vhost),
            &[format!(
                "error: login to {url} failed for user 'guest': {LOGIN_ADVICE}"
            )],
            &["Wrong-Secret-4"],
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_is_not_taken_for_the_management_api() {
    let page = Canned::answer(
        200,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><body><form>Please log in</form></body></html>",
    );
    with_server(page, |url| {
        let files = Files::new();
        let vhost = unique_name("err-html");
        let file = topology(&files, &vhost);
        let errors: Vec<String> = first_requests(&url, &vhost).into_iter().map(|request| {
            format!(
                "error: {request} answered with HTML, not the management API's JSON: is --url right? (a proxy login page?)"
            )
        }).collect();
        assert_fails_everywhere(
            &["--url", &url, "--password", "Unused-Secret-2"],
            &every_variant(&file, &vhost),
            &errors,
            &["Unused-Secret-2"],
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_error_page_is_not_taken_for_the_management_api() {
    let page = Canned::answer(404, "text/plain", "404 page not found\n");
    with_server(page, |url| {
        let files = Files::new();
        let vhost = unique_name("err-text");
        let file = topology(&files, &vhost);
        let errors: Vec<String> = first_requests(&url, &vhost).into_iter().map(|request| {
            format!(
                "error: {request} answered with something that is not JSON (text/plain), not the management API's JSON: is --url right? (a proxy login page?)"
            )
        }).collect();
        assert_fails_everywhere(
            &["--url", &url],
            &every_variant(&file, &vhost),
            &errors,
            &[],
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_from_another_api_is_not_taken_for_the_management_api() {
    let other = Canned::json(200, r#"{"status":"ok","service":"something else"}"#);
    with_server(other, |url| {
        let files = Files::new();
        let vhost = unique_name("err-other-json");
        let file = topology(&files, &vhost);
        // The parenthesis holds the decoder's detail ("invalid type: map,
        // expected a sequence …"); the words around it say what to check.
        // The listings run concurrently: whichever is decoded first fails,
        // or the overview, which names no RabbitMQ version.
        let errors = [
            regex::Regex::new(&format!(
                r"^error: unexpected answer from {}/api/\S+ while trying to list the [a-z ]+?( of vhost '{}')? \(.+\): is --url a RabbitMQ management API\?$",
                regex::escape(&url),
                regex::escape(&vhost)
            ))
            .unwrap(),
            regex::Regex::new(&format!(
                r#"^error: {} answered, but not as RabbitMQ: its /api/overview names no RabbitMQ version \(it said \{{"service":"something else","status":"ok"\}}\); is --url a RabbitMQ management API\?$"#,
                regex::escape(&url)
            ))
            .unwrap(),
        ];
        assert_fails_matching(&["--url", &url], &every_variant(&file, &vhost), &errors, &[]);
    })
    .await;
}
