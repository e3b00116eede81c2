//! How to reach the management API: [`ConnectionOptions`] (what the user
//! gave, however it came: flags, environment) resolved into a
//! [`Connection`] (base URL without credentials, user, password, TLS
//! settings, timeout). It knows nothing of the command line.
//!
//! Precedence for the user: `--username`/`WARREN_USERNAME`, then the URL's
//! userinfo, then `guest`. For the password: `--password-file`, then
//! `--password`/`WARREN_PASSWORD`, then the URL's userinfo, then `guest`.
//! Credentials in the URL are accepted and removed from it. This module
//! prints nothing: warnings are returned for the caller to show, and it
//! opens no connection.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use percent_encoding::percent_decode_str;
use reqwest::Url;

use super::error::{Error, scrub};

/// The connection options as given, before they are resolved: the
/// command line fills them, and so can a test.
#[derive(Clone)]
pub struct ConnectionOptions {
    /// The management API base URL, perhaps with credentials in it.
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Read the password from this file's first line; wins over `password`.
    pub password_file: Option<PathBuf>,
    /// What named `password_file`, for its errors to say what to check:
    /// `--password-file` when `None`.
    pub password_file_named_by: Option<String>,
    /// A PEM CA certificate to trust for https URLs.
    pub ca_cert: Option<PathBuf>,
    /// Do not verify TLS certificates.
    pub insecure: bool,
    /// Seconds to wait for each request; 0 for no limit.
    pub timeout: u64,
    /// Whether `password` and `url` came from the process's command line,
    /// which other users of the machine can read (`ps`); then a password
    /// in them gets a warning.
    pub on_command_line: OnCommandLine,
}

/// Which connection options the command line gave (rather than the
/// environment or a default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnCommandLine {
    pub password: bool,
    pub url: bool,
}

impl fmt::Debug for ConnectionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionOptions")
            .field("url", &redact_unparsed(&self.url))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .field("password_file", &self.password_file)
            .field("ca_cert", &self.ca_cert)
            .field("insecure", &self.insecure)
            .field("timeout", &self.timeout)
            .field("on_command_line", &self.on_command_line)
            .finish()
    }
}

/// A resolved connection to the management API. Its `Debug` never shows the
/// password, and [`Connection::display_url`] never holds credentials.
#[derive(Clone)]
pub struct Connection {
    base: String,
    /// Every node `--url` names, in its order (`base` is the first).
    nodes: Vec<String>,
    username: String,
    password: String,
    ca_cert: Option<CaCert>,
    insecure: bool,
    https: bool,
    loopback: bool,
    timeout: Option<Duration>,
    warnings: Vec<String>,
}

/// A PEM CA certificate read from `--ca-cert`.
#[derive(Clone)]
pub(crate) struct CaCert {
    pub path: std::path::PathBuf,
    pub pem: Vec<u8>,
}

impl Connection {
    /// Resolves the connection options. Reads the password file and the CA
    /// certificate; opens no connection.
    pub fn from_options(args: &ConnectionOptions) -> Result<Connection, Error> {
        let ParsedList {
            nodes,
            parsed,
            plain_remote,
        } = parse_url_list(&args.url)?;
        let mut warnings = Vec::new();
        if args.on_command_line.password && args.password.is_some() && args.password_file.is_none()
        {
            warnings.push(
                "--password on the command line can be read by other users of this machine \
                 (ps, /proc): use WARREN_PASSWORD or --password-file"
                    .to_string(),
            );
        }
        if args.on_command_line.url && parsed.password.is_some() {
            warnings.push(
                "--url holds a password, which other users of this machine can read on the \
                 command line (ps, /proc): use WARREN_PASSWORD or --password-file"
                    .to_string(),
            );
        }
        for base in plain_remote {
            warnings.push(format!(
                "{base} is plain http to another machine: the password and every request cross \
                 the network unencrypted; use https"
            ));
        }

        let username = args
            .username
            .clone()
            .or(parsed.username)
            .unwrap_or_else(|| "guest".to_string());
        let password = if let Some(path) = &args.password_file {
            let named_by = args.password_file_named_by.as_deref();
            let (password, file_warnings) =
                read_password_file(path, named_by.unwrap_or("--password-file"))?;
            warnings.extend(file_warnings);
            password
        } else {
            args.password
                .clone()
                .or(parsed.password)
                .unwrap_or_else(|| "guest".to_string())
        };

        let ca_cert = match &args.ca_cert {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| Error::CaCert {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                if !parsed.https {
                    warnings.push(format!(
                        "--ca-cert {} has no effect: {} is not an https URL",
                        path.display(),
                        parsed.base
                    ));
                }
                Some(CaCert {
                    path: path.clone(),
                    pem,
                })
            }
            None => None,
        };

        Ok(Connection {
            base: parsed.base,
            nodes,
            username,
            password,
            ca_cert,
            insecure: args.insecure,
            https: parsed.https,
            loopback: parsed.loopback,
            // 0 means "no limit", as it does for most tools.
            timeout: (args.timeout > 0).then(|| Duration::from_secs(args.timeout)),
            warnings,
        })
    }

    /// A connection to `url` as `username`/`password`, default TLS settings
    /// and a 30 s timeout.
    pub fn new(url: &str, username: &str, password: &str) -> Result<Connection, Error> {
        Connection::from_options(&ConnectionOptions {
            url: url.to_string(),
            username: Some(username.to_string()),
            password: Some(password.to_string()),
            password_file: None,
            password_file_named_by: None,
            ca_cert: None,
            insecure: false,
            timeout: 30,
            on_command_line: OnCommandLine::default(),
        })
    }

    /// The management API base URL, without credentials and without a
    /// trailing slash: safe to print.
    pub fn display_url(&self) -> &str {
        &self.base
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// The base URL of every node `--url` names (several, comma-separated,
    /// for the nodes of one cluster), without credentials, in order, each
    /// once.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// True for an `https` URL.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// True when the broker is this machine (`localhost`, `127.0.0.1`,
    /// `[::1]`).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// True when TLS verification is off (`--insecure`): the caller must say
    /// so loudly.
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// The per-request timeout; `None` with `--timeout 0`.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Things the user should know (a password file others can read, a
    /// `--ca-cert` that cannot apply), for the caller to print to stderr.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    pub(crate) fn ca_cert(&self) -> Option<&CaCert> {
        self.ca_cert.as_ref()
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.base)
            .field("username", &self.username)
            .field("password", &"****")
            .field("ca_cert", &self.ca_cert.as_ref().map(|c| &c.path))
            .field("insecure", &self.insecure)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The URLs of `--url`, checked and merged: one set of credentials, TLS
/// wanted when any is https, loopback only when every one is.
struct ParsedList {
    nodes: Vec<String>,
    parsed: ParsedUrl,
    /// The nodes reached over plain http on another machine.
    plain_remote: Vec<String>,
}

/// `--url` as a comma-separated list of nodes of one cluster. A comma
/// separates two URLs only where the next one starts with a scheme, so a
/// password holding a comma is still one URL. Every URL may carry the
/// credentials, but they must be the same.
fn parse_url_list(raw: &str) -> Result<ParsedList, Error> {
    let mut starts = vec![0];
    for (at, _) in raw.match_indices(',') {
        let next = raw[at + 1..].trim_start().to_ascii_lowercase();
        if next.starts_with("http://") || next.starts_with("https://") || next.is_empty() {
            starts.push(at + 1);
        }
    }
    let mut parts = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(raw.len(), |next| next - 1);
        parts.push(&raw[start..end]);
    }
    let mut merged: Option<ParsedUrl> = None;
    let mut nodes: Vec<String> = Vec::new();
    let mut plain_remote = Vec::new();
    for part in parts {
        if part.trim().is_empty() {
            return Err(Error::InvalidUrl {
                url: redact_unparsed(raw),
                reason: "it holds an empty entry between commas".to_string(),
            });
        }
        let parsed = parse_url(part)?;
        if !parsed.https && !parsed.loopback && !plain_remote.contains(&parsed.base) {
            plain_remote.push(parsed.base.clone());
        }
        if !nodes.contains(&parsed.base) {
            nodes.push(parsed.base.clone());
        }
        merged = Some(match merged {
            None => parsed,
            Some(first) => {
                let differ =
                    |a: &Option<String>, b: &Option<String>| a.is_some() && b.is_some() && a != b;
                if differ(&first.username, &parsed.username)
                    || differ(&first.password, &parsed.password)
                {
                    return Err(Error::InvalidUrl {
                        url: nodes.join(","),
                        reason: "its URLs hold different credentials; the nodes of one cluster \
                                 share their users"
                            .to_string(),
                    });
                }
                ParsedUrl {
                    base: first.base,
                    https: first.https || parsed.https,
                    loopback: first.loopback && parsed.loopback,
                    username: first.username.or(parsed.username),
                    password: first.password.or(parsed.password),
                }
            }
        });
    }
    let parsed = merged.expect("a list holds at least one URL");
    Ok(ParsedList {
        nodes,
        parsed,
        plain_remote,
    })
}

struct ParsedUrl {
    base: String,
    https: bool,
    loopback: bool,
    username: Option<String>,
    password: Option<String>,
}

/// Splits the credentials off the URL and checks it can be a management API
/// base. A trailing `/api` is dropped, since users often paste it.
///
/// The credentials are everything between `://` and the last `@`, whatever
/// they hold: a generated password often holds `/`, `#`, `?`, `@` or `:`
/// unencoded, which a URL parser would take for the path, fragment, query
/// or port, and then print. They are split off before the URL is parsed,
/// so no error and no URL shown ever holds them.
fn parse_url(raw: &str) -> Result<ParsedUrl, Error> {
    let Split {
        without_credentials,
        username,
        password,
    } = split_credentials(raw.trim());
    let invalid = |reason: &str| Error::InvalidUrl {
        url: without_credentials.clone(),
        reason: reason.to_string(),
    };
    let url = Url::parse(&without_credentials).map_err(|e| invalid(&e.to_string()))?;
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        _ => return Err(invalid("the scheme must be http or https")),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());

    let mut base = url.to_string();
    while base.ends_with('/') {
        base.pop();
    }
    if let Some(stripped) = base.strip_suffix("/api") {
        base = stripped.to_string();
    }
    Ok(ParsedUrl {
        base,
        https,
        loopback,
        username,
        password,
    })
}

/// A URL as given, split into the URL without its credentials and the
/// credentials, percent-decoded.
struct Split {
    without_credentials: String,
    username: Option<String>,
    password: Option<String>,
}

/// Everything before the last `@` after the scheme (or before the last `@`
/// at all, without a scheme) is the userinfo: `user:password`, the
/// password being everything after the first `:`.
fn split_credentials(raw: &str) -> Split {
    let (scheme, rest) = match raw.find("://") {
        Some(i) => raw.split_at(i + 3),
        None => ("", raw),
    };
    let Some(at) = rest.rfind('@') else {
        return Split {
            without_credentials: raw.to_string(),
            username: None,
            password: None,
        };
    };
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let userinfo = &rest[..at];
    let (username, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(decode(password))),
        None => (userinfo, None),
    };
    Split {
        without_credentials: format!("{scheme}{}", &rest[at + 1..]),
        username: Some(decode(username)).filter(|u| !u.is_empty()),
        password,
    }
}

/// A URL as given with its credentials removed, so even an invalid `--url`
/// is never echoed with its password.
fn redact_unparsed(raw: &str) -> String {
    split_credentials(raw).without_credentials
}

/// The first line of the password file, and warnings: group or others can
/// read it, or its first line starts with a byte-order mark or ends with
/// blanks.
fn read_password_file(path: &Path, named_by: &str) -> Result<(String, Vec<String>), Error> {
    let fail = |reason: String| Error::PasswordFile {
        path: path.to_path_buf(),
        reason,
        named_by: named_by.to_string(),
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let password = text.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        return Err(fail("its first line is empty".to_string()));
    }
    let mut warnings = Vec::new();
    if let Some(mode) = loose_permissions(path) {
        warnings.push(format!(
            "the password file {} can be read by group or others (mode {mode:03o}): chmod 600 it",
            path.display()
        ));
    }
    // Both are taken as part of the password, as written; both are far
    // more often an editor's doing than the password's.
    if password.starts_with('\u{feff}') {
        warnings.push(format!(
            "the password file {} starts with a byte-order mark, which is taken as part of the \
             password: save the file without one",
            path.display()
        ));
    }
    if password.ends_with([' ', '\t']) {
        warnings.push(format!(
            "the first line of the password file {} ends with spaces or tabs, which are taken as \
             part of the password: remove them if they are not",
            path.display()
        ));
    }
    let warnings = warnings.iter().map(|w| scrub(w, &password)).collect();
    Ok((password, warnings))
}

#[cfg(unix)]
fn loose_permissions(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn loose_permissions(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: &str) -> ConnectionOptions {
        ConnectionOptions {
            url: url.to_string(),
            username: None,
            password: None,
            password_file: None,
            password_file_named_by: None,
            ca_cert: None,
            insecure: false,
            timeout: 30,
            on_command_line: OnCommandLine::default(),
        }
    }

    /// Regression: `--password-file` was refused when `WARREN_PASSWORD`
    /// was set; the file, given on the command line, wins.
    #[test]
    fn a_password_file_wins_over_the_password_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "from-file\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut a = args("http://localhost:15672");
        a.password = Some("from-env".into());
        a.password_file = Some(file);
        let c = Connection::from_options(&a).unwrap();
        assert_eq!(c.password(), "from-file");
        assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    }

    #[test]
    fn defaults_are_guest_on_localhost() {
        let c = Connection::from_options(&args("http://localhost:15672")).unwrap();
        assert_eq!(c.display_url(), "http://localhost:15672");
        assert_eq!((c.username(), c.password()), ("guest", "guest"));
        assert_eq!(c.timeout(), Some(Duration::from_secs(30)));
        assert!(c.warnings().is_empty());
    }

    #[test]
    fn loopback_hosts_are_told_from_others() {
        let loopback = |url: &str| Connection::from_options(&args(url)).unwrap().is_loopback();
        assert!(loopback("http://localhost:15672"));
        assert!(loopback("http://LOCALHOST:15672/api"));
        assert!(loopback("https://127.0.0.1:15671"));
        assert!(loopback("http://127.1.2.3:15672"));
        assert!(loopback("http://[::1]:15672"));
        assert!(!loopback("http://rabbit.example:15672"));
        assert!(!loopback("http://10.0.0.7:15672"));
        assert!(!loopback("http://localhost.example:15672"));
        assert!(
            !Connection::from_options(&args("http://x:1"))
                .unwrap()
                .is_https()
        );
        assert!(
            Connection::from_options(&args("https://x:1"))
                .unwrap()
                .is_https()
        );
    }

    #[test]
    fn url_credentials_are_taken_and_stripped() {
        let c = Connection::from_options(&args(
            "https://ad%40min:s%3Acret%2F@rabbit.example:15671/mgmt/",
        ))
        .unwrap();
        assert_eq!(c.display_url(), "https://rabbit.example:15671/mgmt");
        assert_eq!((c.username(), c.password()), ("ad@min", "s:cret/"));
        assert!(!format!("{c:?}").contains("cret"), "{c:?}");
    }

    /// Regression (issue 20): `http://u:se/cret99@host:15672` was refused
    /// as a URL with port `se`, and the error printed it whole; with a
    /// numeric password it parsed, the password became the path, and the
    /// plan recorded it.
    #[test]
    fn unencoded_credentials_are_everything_up_to_the_last_at() {
        for password in [
            "se/cret99",
            "se#cret99",
            "se?cret99",
            "se@cret99",
            "se:cret99",
            "12/cret99",
            "/#?@:",
            "a@b@c",
            "12",
        ] {
            for tail in ["rabbit.example:15672", "rabbit.example:15672/api/"] {
                let url = format!("http://ad@min:{password}@{tail}");
                let c =
                    Connection::from_options(&args(&url)).unwrap_or_else(|e| panic!("{url}: {e}"));
                assert_eq!(c.display_url(), "http://rabbit.example:15672", "{url}");
                assert_eq!(c.password(), password, "{url}");
                assert_eq!(c.username(), "ad@min", "{url}");
            }
        }
        let c = Connection::from_options(&args("http://user:p@ss@h:1")).unwrap();
        assert_eq!((c.username(), c.password()), ("user", "p@ss"));
    }

    #[test]
    fn a_bad_url_with_unencoded_credentials_never_echoes_them() {
        for raw in [
            "http://u:se/cret99@",
            "http://u:se#cret99@h:notaport",
            "ftp://u:se?cret99@h",
            "u:se/cret99@h:15672",
            "http://u:se@cret99@h:15672/?x=1",
            "http://u:se:cret99@[::1",
        ] {
            let err = Connection::from_options(&args(raw)).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{raw}: {err}");
            assert!(!err.to_string().contains("cret99"), "{err}");
            assert!(!format!("{err:?}").contains("cret99"), "{err:?}");
        }
    }

    #[test]
    fn flags_win_over_url_credentials() {
        let mut a = args("http://u:p@h:15672");
        a.username = Some("flag-user".into());
        a.password = Some("flag-pw".into());
        let c = Connection::from_options(&a).unwrap();
        assert_eq!((c.username(), c.password()), ("flag-user", "flag-pw"));
        assert_eq!(c.display_url(), "http://h:15672");
    }

    #[test]
    fn a_trailing_api_is_dropped() {
        let c = Connection::from_options(&args("http://h:15672/api/")).unwrap();
        assert_eq!(c.display_url(), "http://h:15672");
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_credentials() {
        for raw in [
            "ftp://u:hunter2@h",
            "http://u:hunter2@",
            "u:hunter2@h:15672",
            "http://u:hunter2@h/?x=1",
        ] {
            let err = Connection::from_options(&args(raw)).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{raw}: {err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn password_file_first_line_and_permission_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\nsecond line\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let mut a = args("https://h:15671");
        a.password_file = Some(path.clone());
        let c = Connection::from_options(&a).unwrap();
        assert_eq!(c.password(), "s3cret");
        #[cfg(unix)]
        {
            assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
            assert!(c.warnings()[0].contains("chmod 600"));
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            let c = Connection::from_options(&a).unwrap();
            assert!(c.warnings().is_empty(), "{:?}", c.warnings());
        }
    }

    #[test]
    fn a_missing_or_empty_password_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = args("http://h:15672");
        a.password_file = Some(dir.path().join("absent"));
        assert!(matches!(
            Connection::from_options(&a),
            Err(Error::PasswordFile { .. })
        ));
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        a.password_file = Some(empty);
        assert!(matches!(
            Connection::from_options(&a),
            Err(Error::PasswordFile { .. })
        ));
    }

    #[test]
    fn zero_timeout_means_no_limit() {
        let mut a = args("http://h:15672");
        a.timeout = 0;
        assert_eq!(Connection::from_options(&a).unwrap().timeout(), None);
    }

    #[test]
    fn a_comma_separated_url_names_every_node_once_in_order() {
        let c = Connection::from_options(&args(
            "http://u:p@node1:15672/, https://node2:15671,http://node1:15672",
        ))
        .unwrap();
        assert_eq!(c.nodes(), ["http://node1:15672", "https://node2:15671"]);
        assert_eq!(c.display_url(), "http://node1:15672");
        assert_eq!((c.username(), c.password()), ("u", "p"));
        assert!(c.is_https(), "TLS is set up when any node is https");
        // One warning per node reached over plain http on another machine.
        let plain: Vec<_> = (c.warnings().iter())
            .filter(|w| w.contains("plain http"))
            .collect();
        assert_eq!(plain.len(), 1, "{plain:?}");
    }

    #[test]
    fn a_comma_in_a_password_does_not_split_the_url() {
        let c = Connection::from_options(&args("http://u:pa,ss@host:15672")).unwrap();
        assert_eq!(c.nodes(), ["http://host:15672"]);
        assert_eq!(c.password(), "pa,ss");
    }

    #[test]
    fn nodes_with_different_credentials_or_an_empty_entry_are_refused_unshown() {
        let err = Connection::from_options(&args("http://u:first@a:1,http://u:second@b:2"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("different credentials"), "{err}");
        assert!(!err.contains("first") && !err.contains("second"), "{err}");
        let err = Connection::from_options(&args("http://u:secret@a:1,"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("empty entry") && !err.contains("secret"),
            "{err}"
        );
    }
}
