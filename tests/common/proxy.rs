//! A fault-injecting HTTP proxy between `warren` and the real broker: it
//! forwards every request and, on the K-th request (1-based), injects one
//! [`Fault`]. It counts requests, so a test can first run a command through
//! a proxy without a fault to learn how many requests it makes, then run it
//! once per K.
//!
//! One connection carries one request: the proxy forwards each request with
//! `Connection: close` and answers with `Connection: close`, so the client
//! opens a new connection for its next request and the broker closes its
//! side once it has answered. That makes reading an answer trivial (until
//! the broker closes) and counting exact (one request head per accepted
//! connection), and it costs nothing that matters here: the requests and
//! their order are the client's, only the connection reuse is lost. The
//! alternative, parsing keep-alive streams (request heads, `Content-Length`
//! bodies, answers by length or chunked encoding), has more ways to be
//! wrong than the faults it would let us inject, and a stale pooled
//! connection closed by the proxy between requests would make the client
//! retry on its own and the count drift from run to run.
//!
//! What it does not do: TLS, `Transfer-Encoding: chunked` request bodies
//! (reqwest sends `Content-Length`), or `Expect: 100-continue`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// What the proxy does to the K-th request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwards the request, then closes the client's connection without
    /// answering: the broker acted, the client cannot know.
    Drop,
    /// Forwards the request, then never answers and keeps the client's
    /// connection open: only the client's timeout ends the wait.
    Stall,
    /// Forwards the request, then answers `500` instead of the broker's
    /// answer (the broker acted and something reported a failure).
    Answer500,
    /// Answers `503` with an HTML page without forwarding (a load balancer
    /// whose backend is down): the broker never saw the request.
    Answer503,
    /// Answers `404 Not Found` without forwarding, as RabbitMQ answers the
    /// DELETE of a queue whose node is down: the queue stays. Not in
    /// [`Fault::ALL`]: it is a broker's answer, not a transport fault.
    Answer404,
    /// Answers `200 []` without forwarding, as the management API of a
    /// broker without the shovel (or any other) plugin answers `GET
    /// /api/extensions`. Not in [`Fault::ALL`] either.
    NoExtensions,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::Drop,
        Fault::Stall,
        Fault::Answer500,
        Fault::Answer503,
    ];

    /// Whether the broker received the request.
    pub fn forwards(self) -> bool {
        !matches!(
            self,
            Fault::Answer503 | Fault::Answer404 | Fault::NoExtensions
        )
    }
}

/// A running proxy; stops (and ends every connection it holds) on drop.
pub struct FaultProxy {
    pub url: String,
    state: Arc<State>,
    accept: AbortHandle,
}

struct State {
    upstream: String,
    fault: Option<(usize, Fault)>,
    /// The fault for the first request whose `METHOD /path?query` starts
    /// with this.
    fault_on: Option<(String, Fault)>,
    requests: AtomicUsize,
    /// `METHOD /path?query` of each request, in arrival order.
    log: Mutex<Vec<String>>,
    /// The 1-based numbers of the requests the broker itself failed: no
    /// answer (within 30 s), or a 5xx.
    broker_failures: Mutex<Vec<usize>>,
    connections: Mutex<Vec<AbortHandle>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://host:port`, no path) that
    /// injects `fault` on request number `k` (1-based), or never with
    /// `None`. Must run inside a multi-threaded tokio runtime that outlives
    /// the proxy.
    pub async fn start(upstream: &str, fault: Option<(usize, Fault)>) -> FaultProxy {
        FaultProxy::listen(upstream, fault, None).await
    }

    /// Starts a proxy to `upstream` that injects `fault` on the first
    /// request whose `METHOD /path?query` starts with `line_prefix`.
    pub async fn start_on(upstream: &str, line_prefix: &str, fault: Fault) -> FaultProxy {
        FaultProxy::listen(upstream, None, Some((line_prefix.to_string(), fault))).await
    }

    async fn listen(
        upstream: &str,
        fault: Option<(usize, Fault)>,
        fault_on: Option<(String, Fault)>,
    ) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("the proxy forwards plain http")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().expect("a local address"));
        let state = Arc::new(State {
            upstream,
            fault,
            fault_on,
            requests: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            broker_failures: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let state = Arc::clone(&shared);
                let task = tokio::spawn(async move { serve(socket, &state).await });
                shared.connections.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        FaultProxy { url, state, accept }
    }

    /// How many requests it has received.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// `METHOD /path?query` of every request so far, in arrival order.
    pub fn log(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }

    /// The 1-based numbers (in [`FaultProxy::log`]) of the requests the
    /// broker itself failed, not the proxy: it did not answer within 30 s,
    /// or answered a 5xx. The client's retry of such a request is the
    /// broker's doing, not a fault's.
    pub fn broker_failures(&self) -> Vec<usize> {
        let mut failures = self.state.broker_failures.lock().unwrap().clone();
        failures.sort_unstable();
        failures
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for connection in self.state.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

/// One connection, one request.
async fn serve(mut client: TcpStream, state: &State) {
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    // Numbered and logged under one lock, so that request number K is the
    // K-th line of the log, also when requests arrive at once.
    let (n, fault) = {
        let mut log = state.log.lock().unwrap();
        let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let first_match = state.fault_on.as_ref().and_then(|(prefix, f)| {
            (request.line.starts_with(prefix.as_str())
                && !log.iter().any(|l| l.starts_with(prefix.as_str())))
            .then_some(*f)
        });
        log.push(request.line.clone());
        let fault = state
            .fault
            .filter(|(k, _)| *k == n)
            .map(|(_, f)| f)
            .or(first_match);
        (n, fault)
    };

    let answer = if fault.is_none_or(Fault::forwards) {
        let answer = forward(&state.upstream, &request).await;
        if answer.as_deref().is_none_or(is_server_error) {
            state.broker_failures.lock().unwrap().push(n);
        }
        match answer {
            Some(answer) => answer,
            // The broker is gone: the client sees a broken connection.
            None => return,
        }
    } else {
        Vec::new()
    };
    let answer = match fault {
        None => answer,
        Some(Fault::Drop) => return,
        Some(Fault::Stall) => {
            // Dropped (and the socket closed) when the proxy is.
            tokio::time::sleep(Duration::from_secs(600)).await;
            return;
        }
        Some(Fault::Answer500) => canned(
            500,
            "Internal Server Error",
            "application/json",
            r#"{"error":"internal_error","reason":"injected by the test proxy"}"#,
        ),
        Some(Fault::Answer404) => canned(
            404,
            "Not Found",
            "application/json",
            r#"{"error":"Object Not Found","reason":"Not Found"}"#,
        ),
        Some(Fault::NoExtensions) => canned(200, "OK", "application/json", "[]"),
        Some(Fault::Answer503) => canned(
            503,
            "Service Unavailable",
            "text/html",
            "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>",
        ),
    };
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}

struct Request {
    /// `METHOD /path?query`.
    line: String,
    /// The head rewritten with `Connection: close`, then the body.
    bytes: Vec<u8>,
}

/// Reads one request (head and `Content-Length` body); `None` when the
/// client closed the connection first.
async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            break end;
        }
        let n = socket.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length: usize = header_value(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + 4 + length {
        let n = socket.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    }
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let line = format!(
        "{} {}",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    let mut bytes = with_connection_close(&head).into_bytes();
    bytes.extend_from_slice(&data[head_end + 4..head_end + 4 + length]);
    Some(Request { line, bytes })
}

/// Sends the request to the broker and reads its whole answer (the broker
/// closes the connection after it, as asked); the answer's head is
/// rewritten with `Connection: close`. `None` when the broker could not be
/// reached or did not answer within 30 s.
async fn forward(upstream: &str, request: &Request) -> Option<Vec<u8>> {
    let exchange = async {
        let mut broker = TcpStream::connect(upstream).await.ok()?;
        broker.write_all(&request.bytes).await.ok()?;
        let mut answer = Vec::new();
        broker.read_to_end(&mut answer).await.ok()?;
        Some(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .ok()??;
    let end = find(&answer, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..end]).to_string();
    let mut out = with_connection_close(&head).into_bytes();
    out.extend_from_slice(&answer[end + 4..]);
    Some(out)
}

/// Whether an answer's status line says 5xx.
fn is_server_error(answer: &[u8]) -> bool {
    answer
        .split(|b| *b == b' ')
        .nth(1)
        .is_some_and(|status| status.len() == 3 && status[0] == b'5')
}

/// A complete answer made by the proxy.
fn canned(status: u16, reason: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The head (without its blank line) with its `Connection` and
/// `Keep-Alive` headers replaced by `Connection: close`, blank line added.
fn with_connection_close(head: &str) -> String {
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line.split(':').next().unwrap_or_default().trim();
        if i > 0
            && (name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
