//! warren over https, with a TLS-terminating proxy (see `common::tls`) in
//! front of the real broker: certificates are verified by default, an
//! unknown authority and a wrong host name each fail with a message that
//! says so and what to do, `--ca-cert` makes the broker trusted, and
//! `--insecure` works but warns on every run.

use crate::common;

use std::path::{Path, PathBuf};

use regex::Regex;

use common::broker::{TestVhost, broker};
use common::process::Run;
use common::tls::{TestCa, TlsProxy};
use common::warren::{Test, arg, yaml_quoted};

/// The host names the proxy is reached by: its certificate must name the
/// one in the URL.
const HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// A topology declaring the test's vhost and a queue `jobs`.
fn topology(dir: &Path, vhost: &str) -> PathBuf {
    let path = dir.join("topology.yaml");
    let v = yaml_quoted(vhost);
    std::fs::write(
        &path,
        format!("vhosts:\n  - name: {v}\nqueues:\n  - {{vhost: {v}, name: jobs}}\n"),
    )
    .unwrap();
    path
}

/// `warren --url URL --username … ARGS`, the password in `WARREN_PASSWORD`.
fn warren_at(url: &str, args: &[&str]) -> Test {
    let b = broker();
    let mut all = vec!["--url", url, "--username", &b.username];
    all.extend_from_slice(args);
    Test::new().args(all).env("WARREN_PASSWORD", &b.password)
}

/// The commands that talk to the broker, as arguments.
fn commands<'a>(topology: &'a str, vhost: &'a str) -> Vec<Vec<&'a str>> {
    vec![
        vec!["plan", topology],
        vec!["apply", "--auto-approve", topology],
        vec!["drift", topology],
        vec!["export", "--vhost", vhost],
    ]
}

/// Asserts a failure whose one line on stderr matches `pattern`.
#[track_caller]
fn assert_fails(run: &Run, pattern: &str, context: &str) {
    assert_eq!(run.code, Some(1), "{context}\n{run}");
    assert_eq!(run.stdout, "", "{context}\n{run}");
    let pattern = Regex::new(&format!("^{pattern}\n$")).unwrap();
    assert!(
        pattern.is_match(&run.stderr),
        "stderr does not match {pattern}\n{context}\n{run}"
    );
}

fn plan_creating_jobs(vhost: &str) -> String {
    format!(
        "vhost {vhost}\n  + queue jobs\n\nPlan: 1 to create, 0 to update, 0 to replace, 0 to delete.\n"
    )
}

#[test]
fn verification_is_on_by_default_and_an_unknown_authority_points_to_ca_cert() {
    let v = TestVhost::new("tls-unknown-ca");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    let ca = TestCa::new("warren test CA nobody trusts");
    let proxy = TlsProxy::start(ca.issue(&HOSTS));
    for host in HOSTS {
        let url = proxy.url(host);
        for command in commands(&file, &v.name) {
            let run = warren_at(&url, &command).output();
            assert_fails(
                &run,
                &format!(
                    r"error: the TLS certificate of {} is signed by an unknown authority: pass that authority's certificate with --ca-cert PATH \(PEM\)",
                    regex::escape(&url)
                ),
                &format!("{host}: {command:?}"),
            );
        }
    }
    assert!(!v.exists("queues", "jobs"), "nothing was applied");
}

#[test]
fn a_certificate_of_another_authority_is_refused_even_with_ca_cert() {
    let v = TestVhost::new("tls-other-ca");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    let trusted = TestCa::new("warren test CA");
    let ca_cert = arg(&trusted.write_pem(dir.path(), "ca.pem")).to_string();
    let proxy = TlsProxy::start(TestCa::new("warren test CA, another").issue(&HOSTS));
    let url = proxy.url("127.0.0.1");
    let run = warren_at(&url, &["--ca-cert", &ca_cert, "plan", &file]).output();
    assert_fails(
        &run,
        &format!(
            r"error: the TLS certificate of {} is signed by an unknown authority: .*--ca-cert.*",
            regex::escape(&url)
        ),
        "another CA",
    );
}

#[test]
fn ca_cert_makes_the_broker_trusted() {
    let v = TestVhost::new("tls-ca-cert");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    let ca = TestCa::new("warren test CA");
    let ca_cert = arg(&ca.write_pem(dir.path(), "ca.pem")).to_string();
    let proxy = TlsProxy::start(ca.issue(&HOSTS));
    for host in HOSTS {
        let url = proxy.url(host);
        let run = warren_at(&url, &["--ca-cert", &ca_cert, "plan", &file])
            .stdout_any()
            .stderr_any()
            .run();
        assert_eq!(run.stdout, plan_creating_jobs(&v.name), "{host}\n{run}");
        assert_eq!(run.stderr, "", "{host}\n{run}");
    }
    // Through TLS, the whole cycle works.
    let url = proxy.url("localhost");
    warren_at(
        &url,
        &["--ca-cert", &ca_cert, "apply", "--auto-approve", &file],
    )
    .stdout_any()
    .stderr_any()
    .run();
    assert!(v.exists("queues", "jobs"));
    warren_at(&url, &["--ca-cert", &ca_cert, "drift", &file])
        .stdout("In sync. The broker matches the files.\n")
        .run();
    let run = warren_at(&url, &["--ca-cert", &ca_cert, "-v", "plan", &file])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(
        run.stderr
            .lines()
            .all(|l| l.starts_with(&format!("GET {url}/api/"))),
        "-v logs the https requests\n{run}"
    );
}

#[test]
fn a_certificate_for_another_host_name_is_refused_saying_so() {
    let v = TestVhost::new("tls-wrong-host");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    let ca = TestCa::new("warren test CA");
    let ca_cert = arg(&ca.write_pem(dir.path(), "ca.pem")).to_string();
    let proxy = TlsProxy::start(ca.issue(&["other.example"]));
    for host in HOSTS {
        let url = proxy.url(host);
        for command in commands(&file, &v.name) {
            let mut args = vec!["--ca-cert", ca_cert.as_str()];
            args.extend(command.iter().copied());
            let run = warren_at(&url, &args).output();
            assert_fails(
                &run,
                &format!(
                    r"error: the TLS certificate of {} is not valid for that host name \(.*{}.*other\.example.*\): use in --url a host name the certificate names",
                    regex::escape(&url),
                    regex::escape(host)
                ),
                &format!("{host}: {command:?}"),
            );
        }
    }
    assert!(!v.exists("queues", "jobs"), "nothing was applied");
}

/// What `--insecure` prints on stderr, every run.
fn insecure_warning(url: &str) -> String {
    format!(
        "warning: --insecure: TLS certificates are NOT verified for {url}; anyone in the path can read and change this traffic\n"
    )
}

#[test]
fn insecure_works_and_warns_on_every_run() {
    let v = TestVhost::new("tls-insecure");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    // Unknown authority and the wrong name: nothing about it is checked.
    let proxy = TlsProxy::start(TestCa::new("nobody's CA").issue(&["other.example"]));
    let url = proxy.url("127.0.0.1");
    let warning = insecure_warning(&url);

    for format in ["text", "json"] {
        let run = warren_at(&url, &["--insecure", "--format", format, "plan", &file])
            .stdout_any()
            .stderr_any()
            .run();
        assert_eq!(run.stderr, warning, "{format}\n{run}");
        assert!(!run.stdout.contains("warning"), "{run}");
    }
    warren_at(&url, &["--insecure", "plan", &file])
        .stdout(plan_creating_jobs(&v.name))
        .stderr(&warning)
        .run();

    let run = warren_at(&url, &["--insecure", "apply", "--auto-approve", &file])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(run.stderr.starts_with(&warning), "{run}");
    assert!(v.exists("queues", "jobs"));

    // Nothing left to do: the warning still comes, every time.
    for _ in 0..2 {
        let run = warren_at(&url, &["--insecure", "apply", "--auto-approve", &file])
            .stdout_any()
            .stderr_any()
            .run();
        assert_eq!(run.stderr, warning, "{run}");
        let run = warren_at(&url, &["--insecure", "drift", &file])
            .stdout_any()
            .stderr_any()
            .run();
        assert_eq!(run.stderr, warning, "{run}");
        let run = warren_at(&url, &["--insecure", "-v", "plan", &file])
            .stdout_any()
            .stderr_any()
            .run();
        assert!(run.stderr.starts_with(&warning), "{run}");
    }
}

#[test]
fn a_ca_cert_that_holds_no_certificate_is_refused() {
    let v = TestVhost::new("tls-bad-ca");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    let ca = TestCa::new("warren test CA");
    let proxy = TlsProxy::start(ca.issue(&HOSTS));
    let url = proxy.url("127.0.0.1");

    let not_pem = dir.path().join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let run = warren_at(&url, &["--ca-cert", arg(&not_pem), "plan", &file]).output();
    assert_fails(
        &run,
        &format!(
            "error: cannot use --ca-cert {}: it holds no PEM certificate: give a PEM file holding the CA certificate",
            regex::escape(arg(&not_pem))
        ),
        "not PEM",
    );

    let missing = dir.path().join("missing.pem");
    let run = warren_at(&url, &["--ca-cert", arg(&missing), "plan", &file]).output();
    assert_fails(
        &run,
        &format!(
            r"error: cannot use --ca-cert {}: .*: give a PEM file holding the CA certificate",
            regex::escape(arg(&missing))
        ),
        "missing",
    );
}

#[test]
fn ca_cert_with_a_plain_http_url_is_a_warning() {
    let v = TestVhost::new("tls-http");
    let dir = tempfile::tempdir().unwrap();
    let file = arg(&topology(dir.path(), &v.name)).to_string();
    let ca_cert = TestCa::new("warren test CA").write_pem(dir.path(), "ca.pem");
    let b = broker();
    let run = warren_at(&b.url, &["--ca-cert", arg(&ca_cert), "plan", &file])
        .stdout_any()
        .stderr_any()
        .run();
    assert_eq!(
        run.stderr,
        format!(
            "warning: --ca-cert {} has no effect: {} is not an https URL\n",
            ca_cert.display(),
            b.url
        ),
        "{run}"
    );
}
