//! The HTTP client: one keep-alive `reqwest::Client`, basic auth on every
//! request, percent-encoded path segments, retries with backoff, the
//! `--verbose` request log, and the mapping of every failure to an
//! [`Error`].
//!
//! It knows the management API's transport conventions (JSON bodies, the
//! `{error, reason}` error body, what each 401 reason means) but nothing of
//! topologies: `inspect` and `write` build the requests. It must never let a
//! reqwest error's text out, since that text holds the URL as given.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::{Body, BodyError, BoundedBody, Budget, MAX_BODY_BYTES};
use super::connection::Connection;
use super::error::{Error, html_unescape, scrub, scrub_credentials};
use super::wire;

/// How many requests `inspect` and `queue_message_counts` run at once.
const DEFAULT_CONCURRENCY: usize = 8;
/// Tries per request, the first included.
const DEFAULT_TRIES: u32 = 3;
/// The first backoff; each next one is four times longer (100 ms, 400 ms).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest backoff, for callers that ask for many tries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long each node of a list has to answer before one is chosen.
const NODE_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a client says about the nodes of a `--url` list, for the caller
/// to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// The node used from now on, its cluster, and the nodes that did not
    /// answer (each with what happened).
    Chosen {
        node: String,
        cluster: String,
        not_answering: Vec<(String, String)>,
    },
    /// The node in use failed a request that may be repeated; the run goes
    /// on with the next node.
    FailedOver {
        from: String,
        to: String,
        what: String,
    },
}

/// What a node of a `--url` list says of its cluster.
#[derive(Debug, Clone)]
struct NodeIdentity {
    /// `cluster_name`: the name set with `rabbitmqctl set_cluster_name`,
    /// or, when none was set, the node's own name (RabbitMQ 3.10.8: each
    /// node of one cluster then gives a different one).
    cluster: String,
    /// The running nodes of its cluster, from the overview's listeners,
    /// which only a user tagged monitoring or administrator sees.
    members: Option<BTreeSet<String>>,
}

impl NodeIdentity {
    /// Two nodes that list the same running nodes are one cluster; when
    /// either list is hidden, only the cluster names can tell.
    fn same_cluster(&self, other: &NodeIdentity) -> bool {
        match (&self.members, &other.members) {
            (Some(a), Some(b)) => !a.is_disjoint(b),
            _ => self.cluster == other.cluster,
        }
    }
}

/// Told of each [`NodeEvent`].
pub type NodeNotices = Arc<dyn Fn(&NodeEvent) + Send + Sync>;

/// A management API client. Cheap to clone: clones share the connection
/// pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Whether to ask for gzip (not over loopback).
    gzip: bool,
    /// The bytes the answers may hold at once, sent and inflated; shared
    /// by every clone.
    budget: Arc<Budget>,
    /// The base URL of every node of the `--url` list, in its order.
    nodes: Vec<String>,
    /// The index in `nodes` of the node in use.
    current: AtomicUsize,
    /// Set once a node of a list of several was chosen (see
    /// [`Client::choose_node`]).
    chosen: tokio::sync::OnceCell<()>,
    node_notices: Option<NodeNotices>,
    username: String,
    password: String,
    timeout_secs: u64,
    tries: u32,
    concurrency: usize,
    verbose: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.display_url())
            .field("username", &self.inner.username)
            .field("tries", &self.inner.tries)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds the client (TLS roots, timeout, pool). Opens no connection.
    pub fn new(connection: &Connection) -> Result<Client, Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("warren/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            // Reading the system's certificates costs ~10 ms a run; plain
            // http needs none.
            .tls_built_in_root_certs(connection.is_https());
        if let Some(timeout) = connection.timeout() {
            builder = builder.timeout(timeout);
        }
        if let Some(ca) = connection.ca_cert() {
            let certificates = reqwest::Certificate::from_pem_bundle(&ca.pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| Error::CaCert {
                    path: ca.path.clone(),
                    reason: "it holds no PEM certificate".to_string(),
                })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if connection.insecure() {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| Error::HttpSetup {
            reason: scrub(&source_text(&e), connection.password()),
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                // Compressing costs the broker CPU, its bottleneck, and
                // saves nothing over loopback (8% slower reads at 5,000
                // queues, measured); across a network it shrinks the lists
                // 20 times.
                gzip: !connection.is_loopback(),
                budget: Budget::new(MAX_BODY_BYTES),
                nodes: connection.nodes().to_vec(),
                current: AtomicUsize::new(0),
                chosen: tokio::sync::OnceCell::new(),
                node_notices: None,
                username: connection.username().to_string(),
                password: connection.password().to_string(),
                timeout_secs: connection.timeout().map_or(0, |t| t.as_secs()),
                tries: DEFAULT_TRIES,
                concurrency: DEFAULT_CONCURRENCY,
                verbose: false,
            }),
        })
    }

    /// Logs every request (method, URL without credentials, status, time)
    /// to stderr.
    pub fn with_verbose(self, verbose: bool) -> Client {
        self.configure(|inner| inner.verbose = verbose)
    }

    /// Tries per request on connection errors and 5xx answers, the first
    /// included (at least 1; default 3).
    pub fn with_tries(self, tries: u32) -> Client {
        self.configure(|inner| inner.tries = tries.max(1))
    }

    /// How many reads `inspect` and `queue_message_counts` run at once
    /// (at least 1; default 8).
    pub fn with_concurrency(self, concurrency: usize) -> Client {
        self.configure(|inner| inner.concurrency = concurrency.max(1))
    }

    fn configure(self, change: impl FnOnce(&mut Inner)) -> Client {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            http: shared.http.clone(),
            gzip: shared.gzip,
            budget: Arc::clone(&shared.budget),
            nodes: shared.nodes.clone(),
            current: AtomicUsize::new(shared.current.load(Ordering::SeqCst)),
            chosen: match shared.chosen.initialized() {
                true => tokio::sync::OnceCell::new_with(Some(())),
                false => tokio::sync::OnceCell::new(),
            },
            node_notices: shared.node_notices.clone(),
            username: shared.username.clone(),
            password: shared.password.clone(),
            timeout_secs: shared.timeout_secs,
            tries: shared.tries,
            concurrency: shared.concurrency,
            verbose: shared.verbose,
        });
        change(&mut inner);
        Client {
            inner: Arc::new(inner),
        }
    }

    /// Tells `notices` which node of a `--url` list is used, and of each
    /// change of node.
    pub fn with_node_notices(self, notices: NodeNotices) -> Client {
        self.configure(|inner| inner.node_notices = Some(notices))
    }

    /// The management API base URL of the node in use, without
    /// credentials.
    pub fn display_url(&self) -> &str {
        &self.inner.nodes[self.inner.current.load(Ordering::SeqCst)]
    }

    /// The base URL of every node of the `--url` list, in its order.
    pub fn nodes(&self) -> &[String] {
        &self.inner.nodes
    }

    /// The user it logs in as.
    pub fn username(&self) -> &str {
        &self.inner.username
    }

    pub(crate) fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// Sends a request and expects a JSON answer of type `T`.
    pub(crate) async fn fetch_json<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, Error> {
        let answer = self.send(&request).await?;
        self.decode(&request, &answer)
    }

    /// Sends a request; `None` when the broker answered 404 (the object or
    /// its vhost does not exist).
    pub(crate) async fn fetch_json_or_missing<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Option<T>, Error> {
        let request = request.missing_ok();
        let answer = self.send(&request).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.decode(&request, &answer).map(Some)
    }

    /// [`Client::fetch_json_or_missing`] for a listing of objects, each
    /// read on its own: one object the broker holds with a value warren
    /// cannot read (an `auto_delete` of `"undefined"`, left by a 3.10.8
    /// definitions import) is set apart, named, instead of failing the
    /// whole listing. The listing is decoded at once first; only when that
    /// fails is it taken apart.
    pub(crate) async fn fetch_listing_or_missing<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Option<Listing<T>>, Error> {
        let request = request.missing_ok();
        let answer = self.send(&request).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        match decode_listing(&answer.body) {
            Some(mut listing) => {
                for object in &mut listing.unreadable {
                    object.problem = self.scrub(&object.problem);
                }
                Ok(Some(listing))
            }
            // Not a list of objects at all: the whole answer is wrong.
            None => self.decode::<Vec<T>>(&request, &answer).map(|items| {
                Some(Listing {
                    items,
                    unreadable: Vec::new(),
                })
            }),
        }
    }

    /// A broker-wide listing (`GET /api/queues`, …) whose objects name
    /// their `vhost`, split into the listing of each of the `wanted`
    /// vhosts, each read as [`Client::fetch_listing_or_missing`] reads the
    /// listing of one vhost. A wanted vhost with no objects gets an empty
    /// listing; the objects of other vhosts are dropped.
    pub(crate) async fn fetch_listing_by_vhost<T: DeserializeOwned>(
        &self,
        request: Request,
        wanted: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, Listing<T>>, Error> {
        #[derive(serde::Deserialize)]
        struct InVhost {
            vhost: String,
        }
        let answer = self.send(&request).await?;
        let objects = serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(&answer.body);
        let objects = match objects {
            Ok(objects) => objects,
            // Not a list at all: the whole answer is wrong, and says how.
            Err(_) => {
                return self
                    .decode::<Vec<T>>(&request, &answer)
                    .map(|_| BTreeMap::new());
            }
        };
        let mut arrays: BTreeMap<&str, Vec<u8>> =
            wanted.iter().map(|v| (v.as_str(), vec![b'['])).collect();
        for object in objects {
            let vhost =
                serde_json::from_str::<InVhost>(object.get()).map_err(|e| Error::Protocol {
                    url: self.url(&request),
                    action: request.action.clone(),
                    detail: self.scrub(&format!("an object without its vhost: {e}")),
                })?;
            if let Some(array) = arrays.get_mut(vhost.vhost.as_str()) {
                if array.len() > 1 {
                    array.push(b',');
                }
                array.extend_from_slice(object.get().as_bytes());
            }
        }
        let mut split = BTreeMap::new();
        for (vhost, mut array) in arrays {
            array.push(b']');
            let mut listing = decode_listing::<T>(&array).unwrap_or(Listing {
                items: Vec::new(),
                unreadable: Vec::new(),
            });
            for object in &mut listing.unreadable {
                object.problem = self.scrub(&object.problem);
            }
            split.insert(vhost.to_string(), listing);
        }
        Ok(split)
    }

    /// Sends a request whose answer body does not matter.
    pub(crate) async fn execute(&self, request: Request) -> Result<(), Error> {
        self.send(&request).await.map(drop)
    }

    /// Sends a request whose answer's status matters (201 against 204).
    pub(crate) async fn execute_status(&self, request: Request) -> Result<StatusCode, Error> {
        self.send(&request).await.map(|answer| answer.status)
    }

    fn decode<T: DeserializeOwned>(&self, request: &Request, answer: &Answer) -> Result<T, Error> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            if serde_json::from_slice::<serde_json::Value>(&answer.body).is_err() {
                Error::NotJson {
                    url: self.url(request),
                    what: describe_content(answer),
                }
            } else {
                Error::Protocol {
                    url: self.url(request),
                    action: request.action.clone(),
                    detail: self.scrub(&e.to_string()),
                }
            }
        })
    }

    /// The full URL of a request: base, encoded path, query. Holds no
    /// credentials, because the base never does.
    fn url(&self, request: &Request) -> String {
        match &request.query {
            Some(query) => format!("{}{}?{}", self.display_url(), request.path, query),
            None => format!("{}{}", self.display_url(), request.path),
        }
    }

    /// `text` without the password (or user name and password) in it.
    pub(crate) fn scrub(&self, text: &str) -> String {
        scrub_credentials(text, &self.inner.username, &self.inner.password)
    }

    /// Sends with retries; answers 2xx (and 404 when the request allows it)
    /// come back, everything else becomes an [`Error`].
    async fn send(&self, request: &Request) -> Result<Answer, Error> {
        let several = self.inner.nodes.len() > 1;
        if several {
            self.choose_node().await?;
        }
        // With several nodes, each gets a try before the request fails.
        let tries = match several {
            true => self.inner.tries.max(self.inner.nodes.len() as u32 + 1),
            false => self.inner.tries,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let node = self.inner.current.load(Ordering::SeqCst);
            let url = self.url(request);
            let started = Instant::now();
            let result = self.attempt(request, &url).await;
            let elapsed = started.elapsed().as_millis();
            let retry = attempt < tries
                && match &result {
                    Ok(answer) => answer.status.is_server_error() && request.retry_server_errors,
                    Err(Failure::Transport(e)) => retryable(e, request.retry_server_errors),
                    Err(Failure::Body(_)) => false,
                };
            let outcome = || match &result {
                Ok(answer) => answer.status.as_u16().to_string(),
                Err(Failure::Transport(e)) => transport_kind(e).to_string(),
                Err(Failure::Body(BodyError::TooLarge { .. })) => "too large".to_string(),
                Err(Failure::Body(BodyError::Unreadable(_))) => "unreadable".to_string(),
            };
            if self.inner.verbose {
                let again = if retry { ", will retry" } else { "" };
                eprintln!(
                    "{} {url} -> {} ({elapsed} ms{again})",
                    request.method,
                    outcome()
                );
            }
            // A request the retry rules let repeat may go to another node
            // of the cluster as well as to this one: the cluster's state is
            // the same on every node.
            if retry && several {
                let what = format!("{} on {} {}", outcome(), request.method, request.path);
                self.fail_over(node, &what);
            }
            if retry {
                let backoff = FIRST_BACKOFF.saturating_mul(4u32.saturating_pow(attempt - 1));
                tokio::time::sleep(backoff.min(MAX_BACKOFF)).await;
                continue;
            }
            return match result {
                Ok(answer) => self.check(request, &url, answer, attempt),
                Err(Failure::Transport(e)) => Err(self.transport_error(request, &url, &e)),
                Err(Failure::Body(BodyError::TooLarge { limit })) => Err(Error::AnswerTooLarge {
                    url,
                    action: request.action.clone(),
                    limit_mib: limit >> 20,
                }),
                Err(Failure::Body(BodyError::Unreadable(detail))) => Err(Error::UnreadableAnswer {
                    url,
                    action: request.action.clone(),
                    detail,
                }),
            };
        }
    }

    /// Chooses, once per client, the node of a `--url` list to use: the
    /// first in the list that answers its overview, all asked at once.
    /// The nodes that answer must be of one cluster. When none answers,
    /// the first is used, and its failure is the error.
    async fn choose_node(&self) -> Result<(), Error> {
        self.inner
            .chosen
            .get_or_try_init(|| async {
                let probes: Vec<_> = (self.inner.nodes.iter())
                    .map(|node| {
                        let (client, node) = (self.clone(), node.clone());
                        tokio::spawn(async move { client.probe(&node).await })
                    })
                    .collect();
                let mut answered: Vec<(String, NodeIdentity)> = Vec::new();
                let mut not_answering = Vec::new();
                for (node, probe) in self.inner.nodes.iter().zip(probes) {
                    let answer = probe.await.unwrap_or_else(|_| Err("stopped".to_string()));
                    match answer {
                        Ok(identity) => answered.push((node.clone(), identity)),
                        Err(what) => not_answering.push((node.clone(), what)),
                    }
                }
                let Some((node, first)) = answered.first().cloned() else {
                    return Ok(());
                };
                if answered.iter().any(|(_, other)| !first.same_cluster(other)) {
                    return Err(Error::MixedClusters {
                        clusters: answered
                            .iter()
                            .map(|(node, id)| format!("{node} is in cluster '{}'", id.cluster))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                let cluster = first.cluster;
                let index = self.inner.nodes.iter().position(|n| *n == node);
                self.inner
                    .current
                    .store(index.unwrap_or(0), Ordering::SeqCst);
                self.notify(&NodeEvent::Chosen {
                    node,
                    cluster,
                    not_answering,
                });
                Ok(())
            })
            .await
            .map(drop)
    }

    /// Who a node says it is, from its overview, or what happened instead
    /// (in words that hold no credentials).
    async fn probe(&self, node: &str) -> Result<NodeIdentity, String> {
        // Not `disable_stats`: the overview then leaves the listeners out.
        let request = Request::get("/api/overview".into(), "read the node's cluster".into())
            .query(&[("columns", "cluster_name,listeners")]);
        let url = format!(
            "{node}{}?{}",
            request.path,
            request.query.as_deref().unwrap_or("")
        );
        let answer = tokio::time::timeout(NODE_PROBE_TIMEOUT, self.attempt(&request, &url))
            .await
            .map_err(|_| format!("no answer within {} s", NODE_PROBE_TIMEOUT.as_secs()))?;
        let answer = match answer {
            Ok(answer) => answer,
            Err(Failure::Transport(e)) => return Err(transport_kind(&e).to_string()),
            Err(Failure::Body(_)) => return Err("an answer that cannot be read".to_string()),
        };
        if !answer.status.is_success() {
            return Err(format!("answered {}", answer.status.as_u16()));
        }
        let overview: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|_| "an answer that is not JSON".to_string())?;
        let cluster = (overview["cluster_name"].as_str())
            .ok_or_else(|| "an overview without a cluster name".to_string())?;
        let members = overview["listeners"].as_array().map(|listeners| {
            (listeners.iter())
                .filter_map(|l| l["node"].as_str().map(str::to_string))
                .collect()
        });
        Ok(NodeIdentity {
            cluster: cluster.to_string(),
            members,
        })
    }

    /// Moves on from node `from` (which just failed a request) to the next
    /// node of the list, unless another request already did.
    fn fail_over(&self, from: usize, what: &str) {
        let to = (from + 1) % self.inner.nodes.len();
        let moved = self
            .inner
            .current
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if moved {
            self.notify(&NodeEvent::FailedOver {
                from: self.inner.nodes[from].clone(),
                to: self.inner.nodes[to].clone(),
                what: what.to_string(),
            });
        }
    }

    fn notify(&self, event: &NodeEvent) {
        if let Some(notices) = &self.inner.node_notices {
            notices(event);
        }
    }

    /// One try: the request, and its answer's body read within bounds as
    /// it arrives (see `body`).
    async fn attempt(&self, request: &Request, url: &str) -> Result<Answer, Failure> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url)
            .basic_auth(&self.inner.username, Some(&self.inner.password))
            .header(header::ACCEPT, request.accept);
        if self.inner.gzip {
            builder = builder.header(header::ACCEPT_ENCODING, "gzip");
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let mut response = builder.send().await.map_err(Failure::Transport)?;
        let status = response.status();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("(not text)").to_string())
        };
        let content_type = header_text(header::CONTENT_TYPE)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut body = BoundedBody::new(
            header_text(header::CONTENT_ENCODING).as_deref(),
            response.content_length(),
            &self.inner.budget,
        )
        .map_err(Failure::Body)?;
        while let Some(chunk) = response.chunk().await.map_err(Failure::Transport)? {
            body.push(&chunk).map_err(Failure::Body)?;
        }
        Ok(Answer {
            status,
            content_type,
            body: body.finish().map_err(Failure::Body)?,
        })
    }

    /// Maps an answer that is not a success to its error.
    fn check(
        &self,
        request: &Request,
        url: &str,
        answer: Answer,
        tries: u32,
    ) -> Result<Answer, Error> {
        let status = answer.status;
        let url = url.to_string();
        let action = request.action.clone();
        // A proxy's error page (502 Bad Gateway) is not the broker failing:
        // say what answered.
        if status.is_server_error() && !is_html(&answer) {
            return Err(Error::ServerError {
                url,
                action,
                status: status.as_u16(),
                reason: self.reason(&answer).unwrap_or_default(),
                tries,
            });
        }
        if is_html(&answer) {
            return Err(Error::NotJson {
                url,
                what: describe_content(&answer),
            });
        }
        if status.is_success() {
            return Ok(answer);
        }
        let reason = self.reason(&answer);
        if reason.is_none() && !answer.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::NotJson {
                url,
                what: describe_content(&answer),
            });
        }
        let reason = reason.unwrap_or_default();
        let username = self.inner.username.clone();
        let vhost = request.vhost.clone().unwrap_or_default();
        // Who the user is matters to the whole API, not to this request.
        let base = self.display_url().to_string();
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => match reason.as_str() {
                // 4.0.5 answers a wrong password with 401 "Not_Authorized"
                // and no WWW-Authenticate header; 3.10.8 with "Login failed".
                "" | "Login failed" | "Not_Authorized" => Error::LoginFailed {
                    url: base,
                    username,
                },
                "Not management user" => Error::NotManagementUser {
                    url: base,
                    username,
                },
                "Not administrator user" => Error::NotAdministrator {
                    url,
                    username,
                    action,
                },
                "User not authorised to access virtual host" => Error::VhostAccessDenied {
                    url,
                    username,
                    vhost,
                },
                _ => Error::AccessRefused {
                    advice: refusal_advice(request, &username, &reason),
                    url,
                    username,
                    action,
                    reason,
                },
            },
            StatusCode::NOT_FOUND if request.missing_ok => return Ok(answer),
            StatusCode::NOT_FOUND
                if reason == "vhost_not_found"
                    || (request.vhost_listing && reason == "Not Found") =>
            {
                Error::VhostMissing { url, action, vhost }
            }
            StatusCode::NOT_FOUND => Error::NotFound {
                url,
                action,
                reason,
            },
            StatusCode::BAD_REQUEST => Error::BadRequest {
                url,
                action,
                reason,
            },
            _ => Error::Status {
                url,
                action,
                status: status.as_u16(),
                reason,
            },
        })
    }

    /// The broker's `reason` (or `error`) from a JSON error body,
    /// HTML-unescaped and scrubbed.
    fn reason(&self, answer: &Answer) -> Option<String> {
        let body: wire::ErrorBody = serde_json::from_slice(&answer.body).ok()?;
        let text = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        let reason = body.reason.map(text).or(body.error.map(text))?;
        Some(self.scrub(html_unescape(reason.trim()).as_str()))
    }

    /// Maps a failure to get an answer at all to its error, from the error's
    /// kind and source chain, never from its Display.
    fn transport_error(&self, request: &Request, url: &str, error: &reqwest::Error) -> Error {
        let url = url.to_string();
        if error.is_timeout() {
            return Error::Timeout {
                url,
                action: request.action.clone(),
                timeout_secs: self.inner.timeout_secs,
            };
        }
        if let Some(tls) = tls_problem(error) {
            let detail = self.scrub(&tls.detail);
            // The certificate is the server's, whatever the request.
            let url = self.display_url().to_string();
            return match tls.kind {
                TlsKind::UnknownCa => Error::TlsUnknownCa { url },
                TlsKind::WrongHost => Error::TlsWrongHost { url, detail },
                TlsKind::Other => Error::Tls { url, detail },
            };
        }
        if is_out_of_file_handles(error) {
            return Error::OutOfFileHandles {
                url: self.display_url().to_string(),
            };
        }
        if error.is_connect() {
            Error::CannotConnect {
                url: self.display_url().to_string(),
            }
        } else {
            Error::ConnectionLost {
                url,
                action: request.action.clone(),
            }
        }
    }
}

/// What the user lacks when the broker refuses an operation (a 401 that is
/// not about logging in), from the kind of object and the broker's reason
/// (RABBITMQ.md §7): policies need the policymaker tag; declaring and
/// deleting a queue or exchange needs the configure permission on its name;
/// a binding needs write on its destination and read on its source.
fn refusal_advice(request: &Request, username: &str, reason: &str) -> String {
    let vhost = request.vhost.as_deref().unwrap_or("/");
    let check = format!("rabbitmqctl list_user_permissions {username}");
    match (request.path.split('/').nth(2), reason) {
        (Some("policies"), "User not authorised to access object") => format!(
            "policies need the policymaker tag (rabbitmqctl set_user_tags {username} policymaker)"
        ),
        (Some("queues" | "exchanges"), "Access refused.") => format!(
            "check the user's configure permission on vhost '{vhost}': its regex must match the \
             name ({check}); names starting with amq. are reserved"
        ),
        (Some("bindings"), "Access refused.") => format!(
            "a binding needs the write permission on its destination and the read permission on \
             its source: check the user's permissions on vhost '{vhost}' ({check})"
        ),
        _ => "check the user's permissions and tags (policies need policymaker; names starting \
              with amq. are reserved)"
            .to_string(),
    }
}

/// A listing's objects, each read on its own: decoded at once first, and
/// taken apart only when that fails. `None` when `body` is no JSON list.
fn decode_listing<T: DeserializeOwned>(body: &[u8]) -> Option<Listing<T>> {
    if let Ok(items) = serde_json::from_slice::<Vec<T>>(body) {
        return Some(Listing {
            items,
            unreadable: Vec::new(),
        });
    }
    let raw = serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(body).ok()?;
    let mut listing = Listing {
        items: Vec::with_capacity(raw.len()),
        unreadable: Vec::new(),
    };
    for element in raw {
        let mut json = serde_json::Deserializer::from_str(element.get());
        match serde_path_to_error::deserialize::<_, T>(&mut json) {
            Ok(item) => listing.items.push(item),
            Err(err) => {
                let object: serde_json::Value =
                    serde_json::from_str(element.get()).unwrap_or_default();
                let mut pointer = String::new();
                for segment in err.path().iter() {
                    match segment {
                        serde_path_to_error::Segment::Map { key } => {
                            pointer.push('/');
                            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                        }
                        serde_path_to_error::Segment::Seq { index } => {
                            pointer.push_str(&format!("/{index}"));
                        }
                        _ => {}
                    }
                }
                listing.unreadable.push(UnreadableObject {
                    name: object
                        .get("name")
                        .and_then(|n| n.as_str())
                        .map(String::from),
                    field: err.path().to_string(),
                    value: object.pointer(&pointer).cloned(),
                    problem: without_position(err.inner()),
                });
            }
        }
    }
    Some(listing)
}

/// serde_json's message without its `at line 1 column 37`, which counts
/// within one object of the listing and would only mislead.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// The objects of a listing that could be read, and those that could not.
#[derive(Debug)]
pub(crate) struct Listing<T> {
    pub items: Vec<T>,
    pub unreadable: Vec<UnreadableObject>,
}

/// An object of a listing that holds a value warren cannot read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnreadableObject {
    /// Its name, when that much could be read.
    pub name: Option<String>,
    /// The field at fault: `auto_delete`, `arguments.x-expires`.
    pub field: String,
    /// The value found there, when there is one.
    pub value: Option<serde_json::Value>,
    /// serde's words: `invalid type: string "undefined", expected a boolean`.
    pub problem: String,
}

/// One management API request, described once: the client sends it, logs
/// it, and names it in errors.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    method: Method,
    /// Starts with `/api/`; names already percent-encoded.
    path: String,
    query: Option<String>,
    body: Option<Vec<u8>>,
    /// What warren was doing, for errors: "create queue 'q' in vhost '/'".
    action: String,
    /// The vhost the request is about, for vhost errors.
    vhost: Option<String>,
    /// 404 is an answer, not an error (deletes, listings that may vanish).
    missing_ok: bool,
    /// The path lists a vhost's objects, so a plain 404 means the vhost is
    /// missing.
    vhost_listing: bool,
    /// Whether 5xx and broken connections are retried; only for requests
    /// that are safe to repeat.
    retry_server_errors: bool,
    /// The `Accept` header: JSON, except for the few writes whose answer
    /// has no body and whose resource refuses to offer JSON.
    accept: &'static str,
}

impl Request {
    pub(crate) fn new(method: Method, path: String, action: String) -> Request {
        Request {
            method,
            path,
            query: None,
            body: None,
            action,
            vhost: None,
            missing_ok: false,
            vhost_listing: false,
            retry_server_errors: true,
            accept: "application/json",
        }
    }

    /// A write whose resource answers 406 to `Accept: application/json`
    /// (`PUT /api/vhost-limits/…` on 3.10.8, verified): any answer will do.
    pub(crate) fn accepting_anything(mut self) -> Request {
        self.accept = "*/*";
        self
    }

    pub(crate) fn get(path: String, action: String) -> Request {
        Request::new(Method::GET, path, action)
    }

    pub(crate) fn query(mut self, query: &[(&str, &str)]) -> Request {
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect();
        self.query = Some(encoded.join("&"));
        self
    }

    pub(crate) fn json(mut self, body: &impl Serialize) -> Request {
        self.body = Some(serde_json::to_vec(body).expect("request bodies serialise to JSON"));
        self
    }

    pub(crate) fn vhost(mut self, vhost: &str) -> Request {
        self.vhost = Some(vhost.to_string());
        self
    }

    /// A listing of one vhost's objects: a plain 404 means the vhost is gone.
    pub(crate) fn vhost_listing(mut self, vhost: &str) -> Request {
        self.vhost_listing = true;
        self.vhost(vhost)
    }

    pub(crate) fn missing_ok(mut self) -> Request {
        self.missing_ok = true;
        self
    }

    /// For requests that must not run twice (publishing): only failures to
    /// connect, where nothing was sent, are retried.
    pub(crate) fn not_repeatable(mut self) -> Request {
        self.retry_server_errors = false;
        self
    }
}

/// One path segment, percent-encoded: every byte but ASCII letters and
/// digits, so vhost `/` is `%2F`.
pub(crate) fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, NON_ALPHANUMERIC).to_string()
}

/// What a query value keeps as is: unreserved characters and the comma of
/// `columns=a,b` (readable in the `--verbose` log); everything else,
/// including the `^`, `$`, `\` and `+` of a name regex, is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b',');

/// Why a try got no answer to check.
enum Failure {
    /// No answer, or it broke off.
    Transport(reqwest::Error),
    /// An answer whose body is over its limit or cannot be read.
    Body(BodyError),
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Body,
}

fn is_html(answer: &Answer) -> bool {
    answer.content_type.contains("html") || {
        let start = answer
            .body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(answer.body.len());
        answer.body[start..].first() == Some(&b'<')
    }
}

fn describe_content(answer: &Answer) -> String {
    if is_html(answer) && answer.status.is_success() {
        "HTML".to_string()
    } else if is_html(answer) {
        format!("HTML (HTTP {})", answer.status.as_u16())
    } else if answer.body.is_empty() {
        format!("an empty HTTP {} answer", answer.status.as_u16())
    } else if answer.content_type.is_empty() {
        "something that is not JSON".to_string()
    } else {
        format!("something that is not JSON ({})", answer.content_type)
    }
}

/// Whether a failed attempt may be repeated: connection failures always
/// (nothing reached the broker), a connection broken mid-request only for
/// requests that are safe to repeat, timeouts never (the broker may still
/// be working on it, and the user asked for a bound on the wait).
fn retryable(error: &reqwest::Error, repeatable: bool) -> bool {
    if error.is_timeout()
        || error.is_builder()
        || error.is_redirect()
        || tls_problem(error).is_some()
    {
        return false;
    }
    error.is_connect() || repeatable
}

fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if tls_problem(error).is_some() {
        "TLS failure"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "connection broken"
    }
}

/// Whether the process ran out of file handles (EMFILE, or the system's
/// ENFILE): reqwest reports it as a failure to connect, which it is not.
fn is_out_of_file_handles(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(io.raw_os_error(), Some(23 | 24))
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// The text of an error's causes, without the error itself: reqwest's own
/// Display names the URL as given, its sources do not.
fn source_text(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        parts.push(e.to_string());
        source = e.source();
    }
    if parts.is_empty() {
        "no details".to_string()
    } else {
        parts.join(": ")
    }
}

#[derive(Debug, PartialEq)]
enum TlsKind {
    UnknownCa,
    WrongHost,
    Other,
}

struct TlsProblem {
    kind: TlsKind,
    detail: String,
}

fn tls_problem(error: &reqwest::Error) -> Option<TlsProblem> {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(problem) = classify_tls(&e.to_string()) {
            return Some(problem);
        }
        source = e.source();
    }
    None
}

/// Recognises rustls's messages (`invalid peer certificate: UnknownIssuer`,
/// `... certificate not valid for name ...`, `received corrupt message of
/// type InvalidContentType` when https meets plain http).
fn classify_tls(text: &str) -> Option<TlsProblem> {
    let lower = text.to_ascii_lowercase();
    let kind = if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        TlsKind::UnknownCa
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        TlsKind::WrongHost
    } else if lower.contains("invalid peer certificate")
        || lower.contains("corrupt message")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("certificate")
        || lower.contains("alert")
    {
        TlsKind::Other
    } else {
        return None;
    };
    Some(TlsProblem {
        kind,
        detail: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Exchange {
        name: String,
        auto_delete: bool,
        #[serde(default)]
        arguments: std::collections::BTreeMap<String, u64>,
    }

    /// After RabbitMQ 3.10.8's own import of a file whose exchanges lack
    /// `auto_delete`, it lists `"auto_delete": "undefined"`: that exchange
    /// alone is set apart, the rest read.
    #[test]
    fn one_unreadable_object_is_set_apart_and_the_rest_read() {
        let body = br#"[{"name":"a","auto_delete":false},{"name":"b","auto_delete":"undefined"},{"name":"c","auto_delete":true,"arguments":{"x/y":"z"}}]"#;
        let listing: Listing<Exchange> = decode_listing(body).unwrap();
        let names: Vec<&str> = listing.items.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a"]);
        assert_eq!(
            listing.unreadable,
            [
                UnreadableObject {
                    name: Some("b".into()),
                    field: "auto_delete".into(),
                    value: Some(serde_json::json!("undefined")),
                    problem: "invalid type: string \"undefined\", expected a boolean".into(),
                },
                UnreadableObject {
                    name: Some("c".into()),
                    field: "arguments.x/y".into(),
                    value: Some(serde_json::json!("z")),
                    problem: "invalid type: string \"z\", expected u64".into(),
                },
            ]
        );
        let clean: Listing<Exchange> =
            decode_listing(br#"[{"name":"a","auto_delete":false}]"#).unwrap();
        assert!(clean.unreadable.is_empty());
        assert!(decode_listing::<Exchange>(br#"{"error":"x"}"#).is_none());
    }

    #[test]
    fn every_non_alphanumeric_byte_is_encoded() {
        assert_eq!(encode("/"), "%2F");
        assert_eq!(encode("a b#c%d+é"), "a%20b%23c%25d%2B%C3%A9");
        assert_eq!(encode("a.b.%2A"), "a%2Eb%2E%252A");
    }

    #[test]
    fn tls_messages_are_classified() {
        let kind = |t: &str| classify_tls(t).map(|p| p.kind);
        assert_eq!(
            kind("invalid peer certificate: UnknownIssuer"),
            Some(TlsKind::UnknownCa)
        );
        assert_eq!(
            kind(
                "invalid peer certificate: certificate not valid for name \"x\"; certificate is only valid for y"
            ),
            Some(TlsKind::WrongHost)
        );
        assert_eq!(
            kind("received corrupt message of type InvalidContentType"),
            Some(TlsKind::Other)
        );
        assert_eq!(kind("Connection refused (os error 111)"), None);
    }

    #[test]
    fn queries_are_percent_encoded() {
        let r = Request::get("/api/queues/%2F".into(), "x".into())
            .query(&[("name", "^a\\+b c$"), ("columns", "name,messages")]);
        assert_eq!(
            r.query.as_deref(),
            Some("name=%5Ea%5C%2Bb%20c%24&columns=name,messages")
        );
    }
}
