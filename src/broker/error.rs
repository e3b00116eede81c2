//! The broker module's one error type.
//!
//! Every variant carries the URL of the request with credentials removed and
//! names what warren was doing ("create queue 'jobs' in vhost '/'"); every
//! message is one sentence that ends by saying what to do. No variant ever
//! holds a password: messages are built from the error's kind and warren's
//! own redacted URL, never from a reqwest error's Display (which prints the
//! URL as given), and the broker's free text is scrubbed of the password
//! (and of the `Basic` token that carries it) before it is stored.

use std::path::PathBuf;

/// What can go wrong between warren and the management API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "--url {url} is not a management API URL ({reason}): give one like http://localhost:15672"
    )]
    InvalidUrl { url: String, reason: String },

    #[error(
        "--url names nodes of different clusters ({clusters}): give the nodes of one cluster, and run warren once per broker (a cluster without a name set with rabbitmqctl set_cluster_name gives each node's own name, which only a user tagged monitoring or administrator can see past)"
    )]
    MixedClusters { clusters: String },

    #[error("cannot read the password file {}: {reason}: check {named_by}", path.display())]
    PasswordFile {
        path: PathBuf,
        reason: String,
        /// `--password-file`, or the target of warren.yaml that names it.
        named_by: String,
    },

    #[error("cannot use --ca-cert {}: {reason}: give a PEM file holding the CA certificate", path.display())]
    CaCert { path: PathBuf, reason: String },

    #[error(
        "cannot set up the HTTP client ({reason}): check --ca-cert and the system's certificate store"
    )]
    HttpSetup { reason: String },

    #[error(
        "cannot connect to {url}: is RabbitMQ running and the management plugin enabled? \
         (rabbitmq-plugins enable rabbitmq_management)"
    )]
    CannotConnect { url: String },

    #[error(
        "warren ran out of file handles (too many open files) while connecting to {url}: raise \
         the open-file limit (ulimit -n) or lower --concurrency"
    )]
    OutOfFileHandles { url: String },

    #[error(
        "{url} answered, but not as RabbitMQ: its /api/overview names no RabbitMQ version (it \
         said {answer}); is --url a RabbitMQ management API?"
    )]
    NotRabbitMq { url: String, answer: String },

    #[error(
        "the connection to {url} broke while trying to {action}: check the broker's log and any \
         proxy in between, then run warren again"
    )]
    ConnectionLost { url: String, action: String },

    #[error(
        "no answer from {url} within {timeout_secs} s while trying to {action}: raise --timeout \
         (now {timeout_secs}) or check whether the broker is overloaded"
    )]
    Timeout {
        url: String,
        action: String,
        timeout_secs: u64,
    },

    #[error(
        "the TLS certificate of {url} is signed by an unknown authority: pass that authority's \
         certificate with --ca-cert PATH (PEM)"
    )]
    TlsUnknownCa { url: String },

    #[error(
        "the TLS certificate of {url} is not valid for that host name ({detail}): use in --url a \
         host name the certificate names"
    )]
    TlsWrongHost { url: String, detail: String },

    #[error(
        "TLS with {url} failed ({detail}): check that --url's scheme and port match the \
         management listener (https or http)"
    )]
    Tls { url: String, detail: String },

    #[error(
        "login to {url} failed for user '{username}': check the user name and the password \
         (--password, WARREN_PASSWORD or --password-file)"
    )]
    LoginFailed { url: String, username: String },

    #[error(
        "user '{username}' may not use the management API at {url}: give it the management tag \
         (rabbitmqctl set_user_tags {username} management) or log in as another user"
    )]
    NotManagementUser { url: String, username: String },

    #[error(
        "user '{username}' needs the administrator tag to {action} ({url}): log in as an \
         administrator"
    )]
    NotAdministrator {
        url: String,
        username: String,
        action: String,
    },

    #[error(
        "user '{username}' has no permissions on vhost '{vhost}' ({url}): grant them \
         (rabbitmqctl set_permissions -p '{vhost}' {username} '.*' '.*' '.*') or leave the vhost out"
    )]
    VhostAccessDenied {
        url: String,
        username: String,
        vhost: String,
    },

    #[error("user '{username}' may not {action} ({url}): the broker says \"{reason}\"; {advice}")]
    AccessRefused {
        url: String,
        username: String,
        action: String,
        reason: String,
        /// The tag or permission the operation needs, and how to check it.
        advice: String,
    },

    #[error(
        "cannot {action}: vhost '{vhost}' does not exist ({url}); create the vhost first or fix its name"
    )]
    VhostMissing {
        url: String,
        action: String,
        vhost: String,
    },

    #[error("cannot {action}: {reason} ({url}); create what it refers to first")]
    NotFound {
        url: String,
        action: String,
        reason: String,
    },

    #[error(
        "{url} answered with {what}, not the management API's JSON: is --url right? (a proxy login page?)"
    )]
    NotJson { url: String, what: String },

    #[error("the broker refused to {action}: {reason} ({url})")]
    BadRequest {
        url: String,
        action: String,
        reason: String,
    },

    #[error(
        "the broker at {url} failed to {action} (HTTP {status}{}) after {tries} tries: check the \
         broker's log, then run warren again",
        colon(reason)
    )]
    ServerError {
        url: String,
        action: String,
        status: u16,
        reason: String,
        tries: u32,
    },

    #[error(
        "unexpected HTTP {status} from {url} while trying to {action}{}: is --url the management API?",
        colon(reason)
    )]
    Status {
        url: String,
        action: String,
        status: u16,
        reason: String,
    },

    #[error(
        "unexpected answer from {url} while trying to {action} ({detail}): is --url a RabbitMQ management API?"
    )]
    Protocol {
        url: String,
        action: String,
        detail: String,
    },

    #[error(
        "the answer of {url} while trying to {action} is too large: warren holds at most {limit_mib} MiB of answers at a time, more than RabbitMQ sends; is --url a RabbitMQ management API?"
    )]
    AnswerTooLarge {
        url: String,
        action: String,
        limit_mib: usize,
    },

    #[error(
        "cannot read the answer of {url} while trying to {action}: {detail}; is --url a RabbitMQ management API?"
    )]
    UnreadableAnswer {
        url: String,
        action: String,
        detail: String,
    },

    #[error(
        "cannot {action}: the broker answered 404 Not Found, yet still lists the queue{} ({url}); its node may be down: bring it back, then run apply again",
        state.as_ref().map(|s| format!(" (state: {s})")).unwrap_or_default()
    )]
    NotDeleted {
        url: String,
        action: String,
        /// As the broker's statistics report it (none for a queue younger
        /// than their 5 s interval).
        state: Option<String>,
    },

    /// A read cut short because warren is stopping.
    #[error("warren stopped before the broker answered")]
    Stopped,
}

fn colon(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

impl Error {
    /// The broker's own explanation, when it gave one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Error::AccessRefused { reason, .. }
            | Error::NotFound { reason, .. }
            | Error::BadRequest { reason, .. }
            | Error::ServerError { reason, .. }
            | Error::Status { reason, .. } => Some(reason.as_str()).filter(|r| !r.is_empty()),
            _ => None,
        }
    }

    /// The HTTP status the broker answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::LoginFailed { .. }
            | Error::NotManagementUser { .. }
            | Error::NotAdministrator { .. }
            | Error::VhostAccessDenied { .. }
            | Error::AccessRefused { .. } => Some(401),
            Error::VhostMissing { .. } | Error::NotFound { .. } => Some(404),
            Error::BadRequest { .. } => Some(400),
            Error::ServerError { status, .. } | Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the broker refused a queue delete with `if-empty` because
    /// the queue is a quorum queue (RabbitMQ issue #10543): the caller must
    /// decide whether to check the count itself and force the delete.
    pub fn is_if_empty_unsupported(&self) -> bool {
        matches!(self, Error::BadRequest { reason, .. }
            if reason.contains("if-empty flag set are not supported"))
    }

    /// True when the broker refused a declaration because an object of that
    /// name exists with other properties ("inequivalent arg").
    pub fn is_inequivalent(&self) -> bool {
        matches!(self, Error::BadRequest { reason, .. } if reason.contains("inequivalent arg"))
    }

    /// True when the broker refused a queue delete with `if-empty` because
    /// the queue holds messages.
    pub fn is_queue_not_empty(&self) -> bool {
        matches!(self, Error::BadRequest { reason, .. } if reason.ends_with("not empty"))
    }

    /// True when the broker refused a queue delete with `if-unused` because
    /// the queue has consumers (`queue 'q' in vhost 'v' in use`).
    pub fn is_queue_in_use(&self) -> bool {
        matches!(self, Error::BadRequest { reason, .. } if reason.starts_with("queue ") && reason.ends_with(" in use"))
    }
}

/// Replaces every occurrence of the password (as written and as it would
/// appear percent-encoded) with `****`: the last defence for free text that
/// came from elsewhere. RabbitMQ's well-known default `guest` is no secret,
/// and scrubbing it would mangle names like `guest-orders`.
pub(crate) fn scrub(text: &str, password: &str) -> String {
    if password.is_empty() || password == "guest" {
        return text.to_string();
    }
    let mut out = text.replace(password, "****");
    for encoded in [
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .to_lowercase(),
    ] {
        if encoded != password {
            out = out.replace(&encoded, "****");
        }
    }
    out
}

/// [`scrub`], and the `Authorization: Basic` token that carries the
/// password too (base64 of `user:password`), which a server may echo.
pub(crate) fn scrub_credentials(text: &str, username: &str, password: &str) -> String {
    use base64::Engine;
    // A broker that refuses a shovel's or an upstream's URI quotes it,
    // credentials and all: every URI's credentials go, whoever's.
    let text = redact_uris(text);
    if password.is_empty() || password == "guest" {
        return text;
    }
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    scrub(&text.replace(&token, "****"), password)
}

/// `text` with the credentials of every URI in it (`amqp://user:pw@host`)
/// replaced by `***`: a URI runs from its scheme to the next blank or
/// quote.
pub(crate) fn redact_uris(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = at + 3;
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | '<' | '>'))
            .unwrap_or(tail.len());
        let uri = &tail[..end];
        match uri.rfind('@') {
            Some(last) => {
                out.push_str("***");
                out.push_str(&uri[last..]);
            }
            None => out.push_str(uri),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Undoes the HTML escaping the broker applies to some reasons
/// (`[{&lt;&lt;\"no-such-key\"&gt;&gt;,1}]`).
pub(crate) fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_password_in_both_spellings() {
        let text = "a p@ss w0rd b p%40ss%20w0rd c";
        assert_eq!(scrub(text, "p@ss w0rd"), "a **** b **** c");
        assert_eq!(scrub("nothing", ""), "nothing");
        assert_eq!(
            scrub("queue 'guest-orders'", "guest"),
            "queue 'guest-orders'"
        );
    }

    #[test]
    fn scrub_credentials_removes_the_basic_token_too() {
        // base64("admin:p@ss w0rd")
        let text = "Authorization: Basic YWRtaW46cEBzcyB3MHJk (admin:p@ss w0rd)";
        assert_eq!(
            scrub_credentials(text, "admin", "p@ss w0rd"),
            "Authorization: Basic **** (admin:****)"
        );
    }

    #[test]
    fn the_credentials_of_every_uri_in_a_reason_go() {
        let reason = r#"Validation failed "amqp://u:SECRET@h:notaport/v" not a valid URI: {malformed_uri, "amqps://a:b/c?d@e"} amqp:///vhost"#;
        assert_eq!(
            scrub_credentials(reason, "guest", "guest"),
            r#"Validation failed "amqp://***@h:notaport/v" not a valid URI: {malformed_uri, "amqps://***@e"} amqp:///vhost"#
        );
    }

    #[test]
    fn broker_reasons_are_unescaped() {
        assert_eq!(
            html_unescape(
                r#"[{&lt;&lt;"no-such-key"&gt;&gt;,1}] are not recognised policy settings"#
            ),
            r#"[{<<"no-such-key">>,1}] are not recognised policy settings"#
        );
        assert_eq!(html_unescape("&amp;lt;"), "&lt;");
    }

    #[test]
    fn an_inequivalent_declaration_is_recognised() {
        let e = Error::BadRequest {
            url: "u".into(),
            action: "declare queue 'q' in vhost 'v'".into(),
            reason: "inequivalent arg 'x-max-priority' for queue 'q' in vhost 'v': received '10' but current is '5'".into(),
        };
        assert!(e.is_inequivalent());
        assert!(!e.is_queue_not_empty());
    }

    #[test]
    fn quorum_if_empty_refusal_is_recognised() {
        let e = Error::BadRequest {
            url: "u".into(),
            action: "delete queue 'q' in vhost '/'".into(),
            reason: "cannot delete queue 'qq' in vhost 'v'. queue.delete operations with if-empty flag set are not supported by quorum queues".into(),
        };
        assert!(e.is_if_empty_unsupported());
        assert!(!e.is_queue_not_empty());
        assert_eq!(e.status(), Some(400));
    }

    #[test]
    fn an_empty_reason_leaves_no_dangling_colon() {
        let e = Error::ServerError {
            url: "http://h/api/x".into(),
            action: "list the vhosts".into(),
            status: 503,
            reason: String::new(),
            tries: 3,
        };
        assert_eq!(
            e.to_string(),
            "the broker at http://h/api/x failed to list the vhosts (HTTP 503) after 3 tries: check the broker's log, then run warren again"
        );
    }
}
