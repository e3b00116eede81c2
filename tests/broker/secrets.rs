//! A password never shows. Every command that talks to a broker (`plan`,
//! `plan --out`, `apply --auto-approve`, `apply --plan`, `drift`, `export`)
//! runs with the password given each way warren takes one (`--password`,
//! `WARREN_PASSWORD`, `--password-file`, the userinfo of `--url` and of
//! `WARREN_URL`), in text and JSON, with and without `-v`:
//!
//! - against the real broker with a wrong password, a port where nothing
//!   listens, and a server that answers 500 with the request echoed (its
//!   `Authorization` header and the credentials decoded from it): exit 1,
//!   the expected error, and the password nowhere, in no spelling;
//! - against the real broker with the right password: success, and the
//!   password nowhere either, nor in the saved plan.
//!
//! And a password file others can read gets a warning, a 0600 one none;
//! the file wins over `WARREN_PASSWORD`, and `--password` with it is
//! refused.

use crate::common;

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::json;

use common::broker::{Canned, FakeServer, TestUser, TestVhost, broker, enc};
use common::process::Run;
use common::warren::{Test, arg, yaml_quoted};

/// The password the tests hide, in plain characters.
const SECRET: &str = "s3cr3t-Pa55-XYZ";
/// A password that needs percent-encoding in a URL.
const AWKWARD_SECRET: &str = "p@ss:w/rd%23 é+XYZ";
/// Passwords as `openssl rand -base64` and the like make them, given in a
/// URL without percent-encoding: each holds a character that ends the
/// userinfo, or the host, for a URL parser (`12/…` once parsed, as port 12
/// and a path).
const UNENCODED_SECRETS: [&str; 6] = [
    "se/cret99-XYZ",
    "se#cret99-XYZ",
    "se?cret99-XYZ",
    "se@cret99-XYZ",
    "se:cret99-XYZ",
    "12/cret99-XYZ",
];
/// All of them at once.
const DELIMITERS_SECRET: &str = "a/b#c?d@e:f-XYZ";
const UNREACHABLE: &str = "http://127.0.0.1:1";

/// How the password reaches warren.
#[derive(Debug, Clone, Copy)]
enum Source {
    Flag,
    Env,
    File,
    Url,
    UrlEnv,
    /// In `--url`'s userinfo as it is, not percent-encoded.
    UrlUnencoded,
    /// In `WARREN_URL`'s userinfo as it is.
    UrlEnvUnencoded,
}

const SOURCES: [Source; 5] = [
    Source::Flag,
    Source::Env,
    Source::File,
    Source::Url,
    Source::UrlEnv,
];

/// Who logs in where, and how the password is given.
struct Login<'a> {
    url: &'a str,
    username: &'a str,
    password: &'a str,
    source: Source,
}

/// The arguments and environment that carry `login`; the password file,
/// if any, is written (mode 0600) in `dir`.
fn connection(login: &Login<'_>, dir: &Path) -> (Vec<String>, Vec<(&'static str, String)>) {
    let with_userinfo = || {
        let (scheme, rest) = login.url.split_once("://").expect("a URL with a scheme");
        format!(
            "{scheme}://{}:{}@{rest}",
            enc(login.username),
            enc(login.password)
        )
    };
    let unencoded_userinfo = || {
        let (scheme, rest) = login.url.split_once("://").expect("a URL with a scheme");
        format!("{scheme}://{}:{}@{rest}", login.username, login.password)
    };
    let plain = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "--url".to_string(),
            login.url.to_string(),
            "--username".to_string(),
            login.username.to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    match login.source {
        Source::Flag => (plain(&["--password", login.password]), vec![]),
        Source::Env => (plain(&[]), vec![("WARREN_PASSWORD", login.password.into())]),
        Source::File => {
            let path = dir.join("password");
            write_private(&path, &format!("{}\n", login.password));
            (plain(&["--password-file", arg(&path)]), vec![])
        }
        Source::Url => (vec!["--url".into(), with_userinfo()], vec![]),
        Source::UrlEnv => (vec![], vec![("WARREN_URL", with_userinfo())]),
        Source::UrlUnencoded => (vec!["--url".into(), unencoded_userinfo()], vec![]),
        Source::UrlEnvUnencoded => (vec![], vec![("WARREN_URL", unencoded_userinfo())]),
    }
}

/// Writes `text` to `path`, readable by its owner only.
fn write_private(path: &Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .expect("create the password file");
    file.write_all(text.as_bytes())
        .expect("write the password file");
}

/// Every spelling in which `password` could leak: as is, percent-encoded
/// (both cases), inside the `Authorization: Basic` token, and what follows
/// each URL delimiter it holds (a parser that stops there shows the rest).
fn spellings(username: &str, password: &str) -> Vec<String> {
    let encoded = enc(password);
    let mut spellings = vec![
        password.to_string(),
        encoded.clone(),
        encoded.to_lowercase(),
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")),
    ];
    for delimiter in ['/', '#', '?', '@', ':'] {
        if let Some((_, tail)) = password.split_once(delimiter)
            && tail.len() >= 4
        {
            spellings.push(tail.to_string());
        }
    }
    spellings
}

#[track_caller]
fn assert_hidden(text: &str, spellings: &[String], context: &str) {
    for spelling in spellings {
        assert!(
            !text.contains(spelling.as_str()),
            "the password leaked as {spelling:?}\n{context}"
        );
    }
}

/// A test's files: a topology declaring the vhost and a queue `jobs`, and
/// where plans go.
struct Workspace {
    dir: tempfile::TempDir,
    topology: PathBuf,
    vhost: String,
}

impl Workspace {
    fn new(vhost: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let topology = dir.path().join("topology.yaml");
        let v = yaml_quoted(vhost);
        std::fs::write(
            &topology,
            format!("vhosts:\n  - name: {v}\nqueues:\n  - {{vhost: {v}, name: jobs}}\n"),
        )
        .expect("write the topology");
        Workspace {
            dir,
            topology,
            vhost: vhost.to_string(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A plan saved by `plan --out` against the test broker (as its own
    /// user), then pointed at `url`, so `apply --plan` talks to `url`.
    fn saved_plan_for(&self, url: &str) -> PathBuf {
        let made = self.path("made.json");
        Test::broker()
            .args(["plan", "--out", arg(&made), arg(&self.topology)])
            .stdout_any()
            .stderr(format!(
                "plan saved to {made}; carry it out with: warren apply --plan {made}\n",
                made = arg(&made)
            ))
            .run();
        let mut plan: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&made).unwrap()).unwrap();
        plan["broker"]["url"] = json!(url);
        let path = self.path("saved.json");
        std::fs::write(&path, plan.to_string()).unwrap();
        path
    }

    /// The commands under test, the plan written by `plan --out` at `out`.
    fn commands(&self, saved: &Path, out: &Path) -> Vec<Vec<String>> {
        let topology = arg(&self.topology).to_string();
        vec![
            vec!["plan".into(), topology.clone()],
            vec![
                "plan".into(),
                "--out".into(),
                arg(out).into(),
                topology.clone(),
            ],
            vec!["apply".into(), "--auto-approve".into(), topology.clone()],
            vec![
                "apply".into(),
                "--auto-approve".into(),
                "--plan".into(),
                arg(saved).into(),
            ],
            vec!["drift".into(), topology],
            vec!["export".into(), "--vhost".into(), self.vhost.clone()],
        ]
    }
}

/// `--format F` and maybe `-v`, for each of the four combinations.
fn output_options() -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for format in ["text", "json"] {
        for verbose in [false, true] {
            let mut options = vec!["--format".to_string(), format.to_string()];
            if verbose {
                options.push("-v".to_string());
            }
            all.push(options);
        }
    }
    all
}

/// Runs `warren CONNECTION OPTIONS COMMAND`.
fn run(login: &Login<'_>, dir: &Path, options: &[String], command: &[String]) -> (Run, String) {
    let (mut args, env) = connection(login, dir);
    args.extend(options.iter().cloned());
    args.extend(command.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = Test::new().args(&args).envs(&env).output();
    let context = format!("{:?} warren {}\n{run}", login.source, args.join(" "));
    (run, context)
}

/// The ways a password is given, each with the passwords to try: the
/// awkward one matters only where it is percent-encoded.
fn logins<'a>(url: &'a str, username: &'a str) -> Vec<Login<'a>> {
    let mut logins = Vec::new();
    for source in SOURCES {
        logins.push(Login {
            url,
            username,
            password: SECRET,
            source,
        });
        if matches!(source, Source::Url | Source::UrlEnv) {
            logins.push(Login {
                url,
                username,
                password: AWKWARD_SECRET,
                source,
            });
        }
    }
    for password in UNENCODED_SECRETS {
        logins.push(Login {
            url,
            username,
            password,
            source: Source::UrlUnencoded,
        });
    }
    logins.push(Login {
        url,
        username,
        password: DELIMITERS_SECRET,
        source: Source::UrlEnvUnencoded,
    });
    logins
}

/// Every command, output option and password source fails against `url`
/// with an error that `expected` accepts, and never shows the password.
/// The logins run in parallel: most of the time goes in retry backoffs.
fn assert_every_failure_hides_the_password(url: &str, expected: impl Fn(&Run) -> bool + Sync) {
    let v = TestVhost::new("secrets");
    let w = Workspace::new(&v.name);
    let saved = w.saved_plan_for(url);
    let out = w.path("out.json");
    let logins = logins(url, "guest");
    std::thread::scope(|scope| {
        for (n, login) in logins.iter().enumerate() {
            let dir = w.path(&format!("login-{n}"));
            std::fs::create_dir(&dir).unwrap();
            let (w, saved, out, expected) = (&w, &saved, &out, &expected);
            scope.spawn(move || {
                let hidden = spellings(login.username, login.password);
                for options in output_options() {
                    for command in w.commands(saved, out) {
                        let (run, context) = run(login, &dir, &options, &command);
                        assert_eq!(run.code, Some(1), "{context}");
                        assert!(expected(&run), "not the expected error\n{context}");
                        assert_hidden(&run.stdout, &hidden, &context);
                        assert_hidden(&run.stderr, &hidden, &context);
                        assert!(!out.exists(), "a failed plan saved nothing\n{context}");
                    }
                }
            });
        }
    });
}

#[test]
fn a_wrong_password_is_refused_and_never_shown() {
    let b = broker();
    let error = format!(
        "error: login to {} failed for user 'guest': check the user name and the password (--password, WARREN_PASSWORD or --password-file)",
        b.url
    );
    assert_every_failure_hides_the_password(&b.url, |run| run.last_stderr_line() == error);
}

#[test]
fn an_unreachable_host_never_shows_the_password() {
    let error = format!(
        "error: cannot connect to {UNREACHABLE}: is RabbitMQ running and the management plugin enabled? (rabbitmq-plugins enable rabbitmq_management)"
    );
    assert_every_failure_hides_the_password(UNREACHABLE, |run| run.last_stderr_line() == error);
}

#[test]
fn a_server_echoing_the_request_in_a_500_never_shows_the_password() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = runtime.block_on(FakeServer::start(vec![Canned::Echo(500)]));
    let prefix = format!("error: the broker at {}/api/", server.url);
    assert_every_failure_hides_the_password(&server.url, |run| {
        // The echo carries the request's lines, so the error spans several.
        run.stderr.contains(&prefix)
            // apply takes its lock first (a PUT), the others read (a GET).
            && (run.stderr.contains("(HTTP 500: you sent: GET /api/")
                || run.stderr.contains("(HTTP 500: you sent: PUT /api/queues/"))
            && run.stderr.contains("after 3 tries")
    });
    assert!(server.hits() > 0);
}

/// Every command succeeds as a user whose password is `password`, given
/// each way, and the password shows nowhere: not in the output, not in
/// the saved plan.
fn assert_every_success_hides_the_password(password: &str, sources: &[Source]) {
    let b = broker();
    let v = TestVhost::new("secrets-ok");
    let user = TestUser::new("secrets", "administrator");
    b.expect_ok(
        "PUT",
        &format!("/api/users/{}", enc(&user.name)),
        Some(&json!({"password": password, "tags": "administrator"})),
    );
    b.expect_ok(
        "PUT",
        &format!("/api/permissions/{}/{}", enc(&v.name), enc(&user.name)),
        Some(&json!({"configure": ".*", "write": ".*", "read": ".*"})),
    );
    let w = Workspace::new(&v.name);
    let out = w.path("out.json");
    for &source in sources {
        let login = Login {
            url: &b.url,
            username: &user.name,
            password,
            source,
        };
        let hidden = spellings(&user.name, password);
        for options in output_options() {
            // Each round has something to do.
            b.request("DELETE", &v.path("queues", &["jobs"]), None);
            let _ = std::fs::remove_file(&out);
            let [plan, plan_out, apply, apply_plan, drift, export] =
                <[Vec<String>; 6]>::try_from(w.commands(&out, &out)).unwrap();
            for command in [plan_out, apply_plan, plan, apply, drift, export] {
                let (run, context) = run(&login, w.dir.path(), &options, &command);
                assert_eq!(run.code, Some(0), "{context}");
                assert_hidden(&run.stdout, &hidden, &context);
                assert_hidden(&run.stderr, &hidden, &context);
            }
            assert!(v.exists("queues", "jobs"), "the applies created the queue");
            let saved = std::fs::read_to_string(&out).expect("plan --out saved the plan");
            assert_hidden(&saved, &hidden, &format!("the saved plan:\n{saved}"));
        }
    }
}

#[test]
fn the_right_password_works_given_each_way_and_is_never_shown() {
    assert_every_success_hides_the_password(SECRET, &SOURCES);
}

#[test]
fn a_password_that_needs_encoding_works_given_each_way_and_is_never_shown() {
    assert_every_success_hides_the_password(AWKWARD_SECRET, &SOURCES);
}

/// Regression (issue 20): `--url 'http://u:se/cret99@host:15672'` printed
/// the password (whole, or its tail when it held `@`) in errors, text and
/// JSON. A password holding `/ # ? @ :` unencoded in the URL logs in, and
/// shows nowhere.
#[test]
fn a_password_holding_url_delimiters_works_unencoded_in_the_url_and_is_never_shown() {
    assert_every_success_hides_the_password(
        DELIMITERS_SECRET,
        &[Source::UrlUnencoded, Source::UrlEnvUnencoded],
    );
}

/// `plan` with the password in a file of mode `mode`.
fn plan_with_password_file(mode: u32) -> (Run, PathBuf, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let b = broker();
    let v = TestVhost::new("secrets-file");
    let w = Workspace::new(&v.name);
    let path = w.path("password");
    std::fs::write(&path, format!("{}\n", b.password)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    let run = Test::new()
        .args([
            "--url",
            &b.url,
            "--username",
            &b.username,
            "--password-file",
            arg(&path),
            "plan",
            arg(&w.topology),
        ])
        .envs(&[])
        .output();
    (run, path, w.dir)
}

#[test]
fn a_password_file_others_can_read_gets_a_warning() {
    for mode in [0o644, 0o640, 0o604] {
        let (run, path, _dir) = plan_with_password_file(mode);
        assert_eq!(run.code, Some(0), "{run}");
        assert_eq!(
            run.stderr,
            format!(
                "warning: the password file {} can be read by group or others (mode {mode:03o}): chmod 600 it\n",
                path.display()
            ),
            "{run}"
        );
    }
}

#[test]
fn a_private_password_file_gets_no_warning() {
    for mode in [0o600, 0o400] {
        let (run, _path, _dir) = plan_with_password_file(mode);
        assert_eq!(run.code, Some(0), "{run}");
        assert_eq!(run.stderr, "", "mode {mode:03o}\n{run}");
    }
}

#[test]
fn a_password_file_wins_over_warren_password() {
    let b = broker();
    let v = TestVhost::new("secrets-precedence");
    let w = Workspace::new(&v.name);
    let path = w.path("password");
    write_private(&path, &format!("{}\n", b.password));
    let run = Test::new()
        .args([
            "--url",
            &b.url,
            "--username",
            &b.username,
            "--password-file",
            arg(&path),
            "plan",
            arg(&w.topology),
        ])
        .envs(&[("WARREN_PASSWORD", SECRET)])
        .output();
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(run.stderr, "", "{run}");
    assert_hidden(
        &run.stdout,
        &spellings(&b.username, SECRET),
        &run.to_string(),
    );
}

#[test]
fn password_and_password_file_on_the_command_line_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("password");
    write_private(&path, "from-the-file\n");
    let run = Test::new()
        .args(["--password", SECRET, "--password-file", arg(&path), "plan"])
        .envs(&[])
        .output();
    // A usage error: exit 1, like any bad input.
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.starts_with(
            "error: the argument '--password <PASSWORD>' cannot be used with '--password-file <PASSWORD_FILE>'"
        ),
        "{run}"
    );
    assert_hidden(&run.stderr, &spellings("guest", SECRET), &run.to_string());
}
