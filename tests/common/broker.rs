//! The harness for tests against a real RabbitMQ: a [`TestVhost`] guard per
//! test, helpers that create and inspect objects with raw HTTP (curl, not
//! warren's client, so a test never trusts the code under test), and a
//! [`FakeServer`] for answers a real broker never gives.
//!
//! Without a broker the tests fail, never skip: [`broker`] panics and says
//! how to start one.
//!
//! `WARREN_TEST_BROKER` chooses one of the two local brokers that
//! `scripts/broker` starts: `3.10` (the default; Debian bookworm's 3.10.8 on
//! 15672, AMQP on 5672, node `rabbit@<host>`) or `4` (Debian trixie's 4.0.5
//! in a chroot, on 15674, AMQP on 5674, node `rabbit4@<host>`). Set, it is
//! checked against the version the broker reports. `WARREN_TEST_URL`,
//! `WARREN_TEST_USERNAME`, `WARREN_TEST_PASSWORD`, `WARREN_TEST_AMQP_URL`
//! (without a vhost) and `WARREN_TEST_RABBITMQCTL` (the command, split at
//! spaces, that runs rabbitmqctl against the broker's node) override parts
//! of that choice.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use warren::broker::{Client, Connection, ConnectionOptions};
use warren::model::BrokerVersion;

/// Characters that need encoding in a URL path segment: a name made of them
/// proves every segment is encoded.
pub const AWKWARD: &str = "sp ace/sl#ash%+é";

/// The broker the tests run against.
#[derive(Debug)]
pub struct TestBroker {
    pub url: String,
    pub username: String,
    pub password: String,
    /// The version it reports (`3.10.8`, `4.0.5`).
    pub version: BrokerVersion,
    /// Its AMQP URL, without a vhost.
    pub amqp_url: String,
    /// The command that runs rabbitmqctl against its node.
    pub rabbitmqctl: Vec<String>,
}

/// A local broker `scripts/broker` starts: how to reach it.
struct LocalBroker {
    /// The `scripts/broker` argument.
    name: &'static str,
    /// The start of the version it runs.
    version_prefix: &'static str,
    management_port: u16,
    amqp_port: u16,
}

const LOCAL_BROKERS: [LocalBroker; 2] = [
    LocalBroker {
        name: "3.10",
        version_prefix: "3.10.",
        management_port: 15672,
        amqp_port: 5672,
    },
    LocalBroker {
        name: "4",
        version_prefix: "4.",
        management_port: 15674,
        amqp_port: 5674,
    },
];

/// Where `scripts/broker 4` makes the Debian trixie root it runs 4.0 from.
fn rabbitmq_4_root() -> String {
    std::env::var("WARREN_RABBITMQ_4_ROOT").unwrap_or_else(|_| "/opt/warren-rabbitmq-4".into())
}

/// rabbitmqctl of this machine: on PATH, else Debian's /usr/sbin.
fn local_rabbitmqctl() -> String {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("rabbitmqctl"))
        .find(|p| p.is_file())
        .map_or_else(
            || "/usr/sbin/rabbitmqctl".to_string(),
            |p| p.display().to_string(),
        )
}

/// The broker, checked once per test binary. Panics when none answers, or
/// when it is not the one `WARREN_TEST_BROKER` chose.
pub fn broker() -> &'static TestBroker {
    static BROKER: OnceLock<TestBroker> = OnceLock::new();
    BROKER.get_or_init(|| {
        let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
        let chosen = std::env::var("WARREN_TEST_BROKER").ok();
        let local = match chosen.as_deref() {
            None | Some("" | "3" | "3.10") => &LOCAL_BROKERS[0],
            Some("4" | "4.0") => &LOCAL_BROKERS[1],
            Some(other) => panic!("WARREN_TEST_BROKER={other}: it is 3.10 or 4"),
        };
        let username = env("WARREN_TEST_USERNAME", "guest");
        let password = env("WARREN_TEST_PASSWORD", "guest");
        let url = env(
            "WARREN_TEST_URL",
            &format!("http://127.0.0.1:{}", local.management_port),
        )
        .trim_end_matches('/')
        .to_string();
        let amqp_url = std::env::var("WARREN_TEST_AMQP_URL").unwrap_or_else(|_| {
            let authority = url.split_once("://").map_or(&*url, |(_, rest)| rest);
            let authority = authority.split('/').next().unwrap_or(authority);
            let host = authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host);
            format!(
                "amqp://{}:{}@{host}:{}",
                enc(&username),
                enc(&password),
                local.amqp_port
            )
        });
        let rabbitmqctl = match std::env::var("WARREN_TEST_RABBITMQCTL") {
            Ok(command) => command.split_whitespace().map(String::from).collect(),
            Err(_) if local.name == "4" => {
                vec!["chroot".into(), rabbitmq_4_root(), "rabbitmqctl".into()]
            }
            Err(_) => vec![local_rabbitmqctl()],
        };
        let mut broker = TestBroker {
            url,
            username,
            password,
            version: BrokerVersion::default(),
            amqp_url,
            rabbitmqctl,
        };
        let start = format!("start one with scripts/broker {}", local.name);
        let answer = broker.try_request("GET", "/api/overview", None);
        match answer {
            Some(raw @ Raw { status: 200, .. }) => {
                broker.version = raw.json()["rabbitmq_version"]
                    .as_str()
                    .unwrap_or_default()
                    .into();
            }
            Some(Raw { status: 401, .. }) => panic!(
                "the RabbitMQ management API at {} refused user '{}': set WARREN_TEST_USERNAME and WARREN_TEST_PASSWORD",
                broker.url, broker.username
            ),
            _ => panic!(
                "no RabbitMQ management API at {}: {start}",
                broker.url
            ),
        }
        if chosen.is_some() && !broker.version.as_str().starts_with(local.version_prefix) {
            panic!(
                "WARREN_TEST_BROKER={} chose RabbitMQ {}, but {} runs RabbitMQ {}: {start}, or unset WARREN_TEST_URL",
                local.name,
                local.version_prefix.trim_end_matches('.'),
                broker.url,
                broker.version
            );
        }
        broker
    })
}

/// A raw HTTP answer.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub body: String,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One path segment, percent-encoded the way the management API wants.
pub fn enc(segment: &str) -> String {
    utf8_percent_encode(segment, NON_ALPHANUMERIC).to_string()
}

impl TestBroker {
    /// True when the broker runs `major.minor.patch` or later: for what
    /// the broker itself does differently between versions.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.version.at_least(major, minor, patch)
    }

    /// The default queue type a vhost created without one reports: from
    /// 4.0 the node's (`classic`, in `GET /api/vhosts`, its `metadata` and
    /// the definitions export; seen on 4.0.5), before that none
    /// (`"undefined"` on 3.10.8).
    pub fn node_default_queue_type(&self) -> Option<&'static str> {
        self.at_least(4, 0, 0).then_some("classic")
    }

    /// `rabbitmqctl -q <args>` against the broker's node.
    pub fn rabbitmqctl_command(&self, args: &[&str]) -> Command {
        let (program, prefix) = self
            .rabbitmqctl
            .split_first()
            .expect("WARREN_TEST_RABBITMQCTL names a command");
        let mut command = Command::new(program);
        command.args(prefix).arg("-q").args(args);
        command
    }

    pub fn connection_args(&self) -> ConnectionOptions {
        ConnectionOptions {
            url: self.url.clone(),
            username: Some(self.username.clone()),
            password: Some(self.password.clone()),
            password_file: None,
            password_file_named_by: None,
            ca_cert: None,
            insecure: false,
            timeout: 30,
            on_command_line: Default::default(),
        }
    }

    /// warren's client for this broker.
    pub fn client(&self) -> Client {
        let connection =
            Connection::from_options(&self.connection_args()).expect("test connection");
        Client::new(&connection).expect("test client")
    }

    /// A raw request with curl; `None` when curl could not get an answer.
    pub fn try_request(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Raw> {
        let mut command = Command::new("curl");
        command
            .args(["-sS", "--max-time", "30", "-X", method])
            .args(["-u", &format!("{}:{}", self.username, self.password)])
            .args(["-w", "\n%{http_code}"])
            .arg(format!("{}{path}", self.url))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if body.is_some() {
            command.args([
                "-H",
                "content-type: application/json",
                "--data-binary",
                "@-",
            ]);
        }
        let mut child = command.spawn().expect("the broker tests need curl on PATH");
        {
            let mut stdin = child.stdin.take().expect("piped stdin");
            if let Some(body) = body {
                stdin
                    .write_all(body.to_string().as_bytes())
                    .expect("write the request body to curl");
            }
        }
        let output = child.wait_with_output().expect("run curl");
        if !output.status.success() {
            return None;
        }
        let text = String::from_utf8(output.stdout).expect("curl output is UTF-8");
        let (body, status) = text.rsplit_once('\n').expect("curl printed the status");
        Some(Raw {
            status: status.trim().parse().expect("an HTTP status"),
            body: body.to_string(),
        })
    }

    /// A raw request that must get an answer.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Raw {
        self.try_request(method, path, body)
            .unwrap_or_else(|| panic!("no answer from {} to {method} {path}", self.url))
    }

    /// A raw request that must succeed (2xx).
    pub fn expect_ok(&self, method: &str, path: &str, body: Option<&Value>) -> Raw {
        let raw = self.request(method, path, body);
        assert!(
            (200..300).contains(&raw.status),
            "{method} {path} answered {}: {}",
            raw.status,
            raw.body
        );
        raw
    }

    /// GET as JSON; `None` on 404.
    pub fn get(&self, path: &str) -> Option<Value> {
        let raw = self.request("GET", path, None);
        match raw.status {
            404 => None,
            200 => Some(raw.json()),
            status => panic!("GET {path} answered {status}: {}", raw.body),
        }
    }
}

/// A vhost of the test's own: created with the test user's permissions,
/// deleted (with everything in it) on drop.
#[derive(Debug)]
pub struct TestVhost {
    pub name: String,
}

impl TestVhost {
    /// A fresh vhost named `warren-test-{tag}-…`.
    pub fn new(tag: &str) -> TestVhost {
        TestVhost::create(unique_name(tag))
    }

    /// A fresh vhost whose name needs encoding (`/`, space, `#`, `%`, `+`,
    /// `é`).
    pub fn awkward(tag: &str) -> TestVhost {
        TestVhost::create(format!("{}-{AWKWARD}", unique_name(tag)))
    }

    fn create(name: String) -> TestVhost {
        let b = broker();
        b.expect_ok(
            "PUT",
            &format!("/api/vhosts/{}", enc(&name)),
            Some(&json!({})),
        );
        let vhost = TestVhost::guard(name);
        vhost.grant(&b.username);
        vhost
    }

    /// Only the cleanup: for a vhost the code under test creates.
    pub fn guard(name: String) -> TestVhost {
        TestVhost { name }
    }

    fn grant(&self, user: &str) {
        broker().expect_ok(
            "PUT",
            &format!("/api/permissions/{}/{}", enc(&self.name), enc(user)),
            Some(&json!({"configure": ".*", "write": ".*", "read": ".*"})),
        );
    }

    /// `/api/{kind}/{vhost}` plus the encoded names.
    pub fn path(&self, kind: &str, names: &[&str]) -> String {
        let mut path = format!("/api/{kind}/{}", enc(&self.name));
        for name in names {
            path.push('/');
            path.push_str(&enc(name));
        }
        path
    }

    /// Waits until a dynamic shovel exists in this vhost (a migration's
    /// move has begun), for at most two minutes.
    pub fn wait_for_a_shovel(&self) {
        let shovels = self.path("parameters/shovel", &[]);
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while broker()
            .get(&shovels)
            .and_then(|s| s.as_array().map(Vec::len))
            .unwrap_or(0)
            == 0
        {
            assert!(std::time::Instant::now() < deadline, "no shovel ever ran");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn put_exchange(&self, name: &str, body: Value) {
        broker().expect_ok("PUT", &self.path("exchanges", &[name]), Some(&body));
    }

    pub fn put_queue(&self, name: &str, body: Value) {
        broker().expect_ok("PUT", &self.path("queues", &[name]), Some(&body));
    }

    /// `destination_type` is `q` or `e`.
    pub fn bind(
        &self,
        source: &str,
        destination_type: &str,
        destination: &str,
        routing_key: &str,
        arguments: Value,
    ) {
        broker().expect_ok(
            "POST",
            &self.path("bindings", &["e", source, destination_type, destination]),
            Some(&json!({"routing_key": routing_key, "arguments": arguments})),
        );
    }

    pub fn put_policy(&self, name: &str, body: Value) {
        broker().expect_ok("PUT", &self.path("policies", &[name]), Some(&body));
    }

    /// Publishes a text message; true when a queue took it.
    pub fn publish(&self, exchange: &str, routing_key: &str, payload: &str) -> bool {
        let exchange = if exchange.is_empty() {
            "amq.default"
        } else {
            exchange
        };
        let raw = broker().expect_ok(
            "POST",
            &format!("{}/publish", self.path("exchanges", &[exchange])),
            Some(&json!({"properties": {}, "routing_key": routing_key, "payload": payload, "payload_encoding": "string"})),
        );
        raw.json()["routed"].as_bool().expect("a routed flag")
    }

    /// The live message count (the paginated `enable_queue_totals` query);
    /// `None` when the queue does not exist or has no count.
    pub fn message_count(&self, queue: &str) -> Option<u64> {
        let pattern = format!("^{}$", regex::escape(queue));
        let path = format!(
            "{}?page=1&page_size=500&name={}&use_regex=true&disable_stats=true&enable_queue_totals=true",
            self.path("queues", &[]),
            enc(&pattern)
        );
        let page = broker().get(&path)?;
        page["items"]
            .as_array()
            .expect("a page of queues")
            .iter()
            .find(|q| q["name"] == queue)
            .and_then(|q| q["messages"].as_u64())
    }

    /// The arguments a queue was declared with, as far as the broker says:
    /// from 4.0 (seen on 4.0.5) it stores the vhost's default type into the
    /// arguments of a queue declared without `x-queue-type`, and
    /// `x-queue-type: classic` means what its absence means (RABBITMQ.md
    /// §4), so there that one is left out. Panics when the queue is
    /// missing.
    pub fn declared_arguments(&self, queue: &str) -> Value {
        let mut arguments = self
            .list("queues")
            .into_iter()
            .find(|q| q["name"] == queue)
            .unwrap_or_else(|| panic!("no queue {queue} in vhost {}", self.name))["arguments"]
            .clone();
        if broker().at_least(4, 0, 0)
            && let Some(map) = arguments.as_object_mut()
            && map.get("x-queue-type") == Some(&json!("classic"))
        {
            map.remove("x-queue-type");
        }
        arguments
    }

    /// The raw listing of one kind (`exchanges`, `queues`, `bindings`,
    /// `policies`).
    pub fn list(&self, kind: &str) -> Vec<Value> {
        broker()
            .get(&self.path(kind, &[]))
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }

    /// The bindings the test made: the default exchange's are left out.
    pub fn explicit_bindings(&self) -> Vec<Value> {
        self.list("bindings")
            .into_iter()
            .filter(|b| b["source"] != "")
            .collect()
    }

    /// Whether `GET /api/{kind}/{vhost}/{name}` finds the object.
    pub fn exists(&self, kind: &str, name: &str) -> bool {
        broker().get(&self.path(kind, &[name])).is_some()
    }
}

impl Drop for TestVhost {
    /// Deletes the vhost. RabbitMQ 4.0.5 cannot delete a vhost that holds an
    /// exchange it cannot read (an import's `auto_delete: undefined`: its
    /// answer is a 500), but deletes each such exchange: so when the first
    /// delete fails, the vhost's own exchanges go first, then the vhost.
    fn drop(&mut self) {
        let path = format!("/api/vhosts/{}", enc(&self.name));
        let broker = broker();
        match broker.try_request("DELETE", &path, None) {
            Some(raw) if raw.status >= 500 => {}
            _ => return,
        }
        let vhost = enc(&self.name);
        let user = enc(&broker.username);
        let all = json!({"configure": ".*", "write": ".*", "read": ".*"});
        let _ = broker.try_request(
            "PUT",
            &format!("/api/permissions/{vhost}/{user}"),
            Some(&all),
        );
        let listed =
            broker.try_request("GET", &format!("/api/exchanges/{vhost}?columns=name"), None);
        let names: Vec<String> = listed
            .and_then(|raw| serde_json::from_str::<Vec<Value>>(&raw.body).ok())
            .unwrap_or_default()
            .iter()
            .filter_map(|exchange| exchange["name"].as_str().map(str::to_string))
            .filter(|name| !name.is_empty() && !name.starts_with("amq."))
            .collect();
        for name in names {
            let _ = broker.try_request(
                "DELETE",
                &format!("/api/exchanges/{vhost}/{}", enc(&name)),
                None,
            );
        }
        let _ = broker.try_request("DELETE", &path, None);
    }
}

/// A name no other test (or earlier run) uses: `warren-test-{tag}-{pid}-{n}-{time}`.
pub fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("warren-test-{tag}-{}-{n}-{nanos}", std::process::id())
}

/// What a [`FakeServer`] does with a connection.
#[derive(Debug, Clone)]
pub enum Canned {
    /// Reads the request, writes this raw HTTP answer, closes.
    Answer(String),
    /// Reads the request and never answers.
    Hang,
    /// Answers with this status and a JSON error whose `reason` echoes the
    /// whole request (its `Authorization` header included) and the
    /// credentials decoded from it: a server as careless as they come.
    Echo(u16),
}

impl Canned {
    /// A complete HTTP/1.1 answer.
    pub fn answer(status: u16, content_type: &str, body: &str) -> Canned {
        Canned::Answer(raw_answer(status, content_type, body))
    }

    pub fn json(status: u16, body: &str) -> Canned {
        Canned::answer(status, "application/json", body)
    }
}

/// A complete HTTP/1.1 answer that closes the connection.
fn raw_answer(status: u16, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A local HTTP server that plays canned answers in order (repeating the
/// last), for answers a real broker never gives.
pub struct FakeServer {
    pub url: String,
    hits: Arc<AtomicUsize>,
}

impl FakeServer {
    /// Must run inside a tokio runtime.
    pub async fn start(answers: Vec<Canned>) -> FakeServer {
        assert!(!answers.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().expect("a local address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let answers = answers.clone();
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    match &answers[n.min(answers.len() - 1)] {
                        Canned::Answer(text) => {
                            let _ = socket.write_all(text.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                        Canned::Hang => tokio::time::sleep(Duration::from_secs(120)).await,
                        Canned::Echo(status) => {
                            let text = raw_answer(*status, "application/json", &echo(&request));
                            let _ = socket.write_all(text.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                    }
                });
            }
        });
        FakeServer { url, hits }
    }

    /// How many requests it has received.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The body of [`Canned::Echo`]'s answer to `request`.
fn echo(request: &[u8]) -> String {
    use base64::Engine;
    let text = String::from_utf8_lossy(request);
    let credentials = text
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.trim().strip_prefix("Basic "))
        .and_then(|token| base64::engine::general_purpose::STANDARD.decode(token).ok())
        .map(|decoded| String::from_utf8_lossy(&decoded).into_owned())
        .unwrap_or_default();
    json!({
        "error": "echo",
        "reason": format!("you sent: {text} (credentials: {credentials})"),
    })
    .to_string()
}

/// Reads one request's head and body; `None` when the client sent nothing
/// (a TLS hello counts as a request: the answer then breaks the handshake).
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return (!data.is_empty()).then_some(data),
            Ok(n) => n,
        };
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            if data.first() == Some(&0x16) {
                // A TLS ClientHello, not HTTP.
                return Some(data);
            }
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if data.len() >= end + 4 + length {
            return Some(data);
        }
    }
}

/// A user of the test's own, deleted on drop.
#[derive(Debug)]
pub struct TestUser {
    pub name: String,
    pub password: String,
}

impl TestUser {
    /// A fresh user with these tags (comma-separated, may be empty) and no
    /// permissions.
    pub fn new(tag: &str, tags: &str) -> TestUser {
        let name = unique_name(tag);
        let password = format!("pw-{}", unique_name("secret"));
        broker().expect_ok(
            "PUT",
            &format!("/api/users/{}", enc(&name)),
            Some(&json!({"password": password, "tags": tags})),
        );
        TestUser { name, password }
    }

    /// warren's client, logged in as this user.
    pub fn client(&self) -> Client {
        let connection =
            Connection::new(&broker().url, &self.name, &self.password).expect("test connection");
        Client::new(&connection).expect("test client")
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = broker().try_request("DELETE", &format!("/api/users/{}", enc(&self.name)), None);
    }
}
