//! Where a message goes: RabbitMQ's routing semantics (direct, fanout,
//! topic, headers, the default exchange, exchange-to-exchange bindings and
//! alternate exchanges) as a pure function over a [`Topology`].
//!
//! It reads no broker: it answers from the declared objects only, and each
//! matching rule follows the broker's own source, cited where it is
//! implemented. It does not validate the topology: a binding to a queue that
//! is not declared is followed as written (`load` reports it), and one whose
//! routing key is longer than the broker's 255 bytes routes nothing. It does not
//! model what happens once a queue is chosen (dead-lettering, length limits,
//! consumers), nor operator policies and exchange decorators (federation),
//! which the model does not hold. Plugin exchange types (`x-consistent-hash`,
//! `x-delayed-message`, …) route by rules that cannot be computed offline, so
//! reaching one is an error rather than a guess.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use regex::Regex;
use serde_json::Value;

use crate::model::{
    Arguments, Binding, DestinationType, Exchange, Policy, Topology, builtin_exchange_type,
};

/// A message to route.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub vhost: &'a str,
    pub exchange: &'a str,
    pub routing_key: &'a str,
    pub headers: &'a Arguments,
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Routed {
    /// The queues reached, each once, sorted by name.
    pub queues: Vec<String>,
    /// The exchanges the message passed through, each once, in the order it
    /// reached them: the one published to first, then those reached through
    /// exchange-to-exchange bindings or as alternate exchanges.
    pub exchanges: Vec<String>,
    /// Exchanges the message was sent on to (by an exchange-to-exchange
    /// binding or as an alternate exchange) that are neither declared nor
    /// built in, sorted by name. The broker drops the message there.
    pub missing_exchanges: Vec<String>,
}

/// Why a message could not be routed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no exchange '{exchange}' in vhost '{vhost}'")]
    NoSuchExchange { vhost: String, exchange: String },
    /// The broker refuses a publish to an internal exchange (`access_refused`);
    /// only exchange-to-exchange bindings and alternate exchanges reach one.
    #[error(
        "cannot publish to internal exchange '{exchange}' in vhost '{vhost}': \
         only other exchanges can route to it"
    )]
    InternalExchange { vhost: String, exchange: String },
    #[error(
        "exchange '{exchange}' in vhost '{vhost}' has type '{exchange_type}', \
         a plugin type whose routing cannot be computed offline"
    )]
    PluginExchangeType {
        vhost: String,
        exchange: String,
        exchange_type: String,
    },
}

/// The queues `message` reaches in `topology`: [`Router::route`] for one
/// message. To route many messages through one topology, build the
/// [`Router`] once.
pub fn route(topology: &Topology, message: &Message<'_>) -> Result<Routed, RouteError> {
    Router::new(topology).route(message)
}

/// Routing keys longer than this cannot be declared (AMQP short strings):
/// a binding with such a key routes nothing here, and matching never has
/// to split a megabyte key into words.
const MAX_ROUTING_KEY_BYTES: usize = 255;

/// Policy patterns longer than this are not compiled (and so match
/// nothing): the `regex` crate takes seconds and gigabytes to parse a
/// megabyte pattern, and names are at most 255 bytes. `load` refuses them.
pub const MAX_PATTERN_BYTES: usize = 64 << 10;

/// A policy pattern compiled, or `None` when it is too long or the `regex`
/// crate cannot compile it.
fn compile_pattern(pattern: &str) -> Option<Regex> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return None;
    }
    Regex::new(pattern).ok()
}

/// A topology indexed for routing: exchanges and queues by (vhost, name),
/// bindings by (vhost, source), policy patterns compiled once. Routing a
/// message then looks only at the bindings of the exchanges it passes
/// through.
pub struct Router<'t> {
    exchanges: HashMap<(&'t str, &'t str), &'t Exchange>,
    queues: HashSet<(&'t str, &'t str)>,
    bindings: HashMap<(&'t str, &'t str), Vec<&'t Binding>>,
    /// Policies in file order, each with its pattern (`None` when the
    /// `regex` crate cannot compile it: it matches nothing).
    policies: Vec<(&'t Policy, Option<Regex>)>,
    /// Bindings looked at so far, over every message routed: what routing
    /// has cost, for callers that route many messages.
    bindings_examined: Cell<usize>,
}

impl<'t> Router<'t> {
    pub fn new(topology: &'t Topology) -> Router<'t> {
        let mut exchanges = HashMap::new();
        for exchange in &topology.exchanges {
            // The first declaration wins, as a search in file order would.
            exchanges
                .entry((exchange.vhost.as_str(), exchange.name.as_str()))
                .or_insert(exchange);
        }
        let queues = topology
            .queues
            .iter()
            .map(|queue| (queue.vhost.as_str(), queue.name.as_str()))
            .collect();
        let mut bindings: HashMap<(&str, &str), Vec<&Binding>> = HashMap::new();
        for binding in &topology.bindings {
            if binding.routing_key.len() <= MAX_ROUTING_KEY_BYTES {
                bindings
                    .entry((binding.vhost.as_str(), binding.source.as_str()))
                    .or_default()
                    .push(binding);
            }
        }
        let policies = topology
            .policies
            .iter()
            .filter(|policy| matches!(policy.apply_to.as_str(), "exchanges" | "all"))
            .map(|policy| (policy, compile_pattern(&policy.pattern)))
            .collect();
        Router {
            exchanges,
            queues,
            bindings,
            policies,
            bindings_examined: Cell::new(0),
        }
    }

    /// How many bindings the messages routed so far were matched against.
    pub fn bindings_examined(&self) -> usize {
        self.bindings_examined.get()
    }

    /// The queues `message` reaches.
    ///
    /// Follows `rabbit_exchange:route/3` (rabbitmq-server,
    /// `deps/rabbit/src/rabbit_exchange.erl`): a work list of exchanges, each
    /// visited once (so cycles end), each queue counted once; an exchange
    /// whose own bindings match nothing hands the message to its alternate
    /// exchange, if it has one.
    pub fn route(&self, message: &Message<'_>) -> Result<Routed, RouteError> {
        let published_to =
            resolve_exchange(self, message.vhost, message.exchange).ok_or_else(|| {
                RouteError::NoSuchExchange {
                    vhost: message.vhost.to_string(),
                    exchange: message.exchange.to_string(),
                }
            })?;
        // `rabbit_channel:check_internal_exchange/1` refuses the publish before
        // anything is routed.
        if published_to.internal {
            return Err(RouteError::InternalExchange {
                vhost: message.vhost.to_string(),
                exchange: message.exchange.to_string(),
            });
        }

        let routing_words = topic_words(message.routing_key);
        let mut walk = Walk::starting_at(published_to);
        while let Some(exchange) = walk.pending.pop_front() {
            walk.exchanges.push(exchange.name);
            let destinations = matching_destinations(self, message, &routing_words, &exchange)?;
            // Only an exchange that found no destination at all, not even an
            // undeclared queue or exchange, uses its alternate exchange
            // (`process_alternate/2` runs on the exchange's own results).
            if destinations.is_empty() {
                if let Some(alternate) = alternate_exchange(self, message.vhost, &exchange) {
                    walk.send_to_exchange(self, message.vhost, alternate);
                }
            }
            for destination in destinations {
                match destination {
                    Destination::Queue(queue) => {
                        walk.queues.insert(queue);
                    }
                    Destination::Exchange(name) => walk.send_to_exchange(self, message.vhost, name),
                }
            }
        }
        Ok(walk.into_routed())
    }
}

/// The state of one routing walk.
struct Walk<'r> {
    /// Exchanges already queued or visited: each is routed through once.
    seen: HashSet<&'r str>,
    pending: VecDeque<ResolvedExchange<'r>>,
    exchanges: Vec<&'r str>,
    queues: BTreeSet<&'r str>,
    missing_exchanges: BTreeSet<&'r str>,
}

impl<'r> Walk<'r> {
    fn starting_at(exchange: ResolvedExchange<'r>) -> Walk<'r> {
        Walk {
            seen: HashSet::from([exchange.name]),
            pending: VecDeque::from([exchange]),
            exchanges: Vec::new(),
            queues: BTreeSet::new(),
            missing_exchanges: BTreeSet::new(),
        }
    }

    /// Queues exchange `name` for routing, unless the message has been
    /// there already; an exchange that does not exist is noted and dropped,
    /// as `cons_if_present/2` drops it.
    fn send_to_exchange(&mut self, router: &Router<'r>, vhost: &str, name: &'r str) {
        if !self.seen.insert(name) {
            return;
        }
        match resolve_exchange(router, vhost, name) {
            Some(exchange) => self.pending.push_back(exchange),
            None => {
                self.missing_exchanges.insert(name);
            }
        }
    }

    fn into_routed(self) -> Routed {
        Routed {
            queues: self.queues.into_iter().map(String::from).collect(),
            exchanges: self.exchanges.into_iter().map(String::from).collect(),
            missing_exchanges: self
                .missing_exchanges
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

/// An exchange as routing sees it: declared in the topology, or built into
/// every vhost.
struct ResolvedExchange<'r> {
    name: &'r str,
    kind: &'r str,
    internal: bool,
    /// `None` for a built-in exchange, which is declared without arguments.
    arguments: Option<&'r Arguments>,
}

/// The exchange `name` in `vhost`. Built-in exchanges come first: the
/// broker creates them with fixed properties in every vhost.
fn resolve_exchange<'r>(
    router: &Router<'r>,
    vhost: &str,
    name: &'r str,
) -> Option<ResolvedExchange<'r>> {
    if let Some(kind) = builtin_exchange_type(name) {
        return Some(ResolvedExchange {
            name,
            kind,
            // `rabbit_vhost` declares `amq.rabbitmq.trace` internal and every
            // other built-in exchange not.
            internal: name == "amq.rabbitmq.trace",
            arguments: None,
        });
    }
    router
        .exchanges
        .get(&(vhost, name))
        .map(|exchange| ResolvedExchange {
            name: &exchange.name,
            kind: &exchange.kind,
            internal: exchange.internal,
            arguments: Some(&exchange.arguments),
        })
}

/// Where one exchange sends a message, before alternate exchanges.
enum Destination<'r> {
    Queue(&'r str),
    Exchange(&'r str),
}

/// How an exchange picks its bindings.
#[derive(Debug, Clone, Copy)]
enum MatchRule {
    /// The default exchange: the queue named by the routing key.
    Default,
    Direct,
    Fanout,
    Topic,
    Headers,
}

fn match_rule(vhost: &str, exchange: &ResolvedExchange<'_>) -> Result<MatchRule, RouteError> {
    if exchange.name.is_empty() {
        return Ok(MatchRule::Default);
    }
    match exchange.kind {
        "direct" => Ok(MatchRule::Direct),
        "fanout" => Ok(MatchRule::Fanout),
        "topic" => Ok(MatchRule::Topic),
        "headers" => Ok(MatchRule::Headers),
        other => Err(RouteError::PluginExchangeType {
            vhost: vhost.to_string(),
            exchange: exchange.name.to_string(),
            exchange_type: other.to_string(),
        }),
    }
}

impl MatchRule {
    /// `routing_words` are the words of the message's routing key.
    fn binding_matches(
        self,
        binding: &Binding,
        message: &Message<'_>,
        routing_words: &[&str],
    ) -> bool {
        match self {
            // The default exchange takes no explicit bindings.
            MatchRule::Default => false,
            MatchRule::Direct => binding.routing_key == message.routing_key,
            MatchRule::Fanout => true,
            MatchRule::Topic => topic_matches(&binding.routing_key, routing_words),
            MatchRule::Headers => headers_match(&binding.arguments, message.headers),
        }
    }
}

/// Where `exchange` sends `message`: the destinations of its matching
/// bindings, or for the default exchange the queue the routing key names.
fn matching_destinations<'r>(
    router: &Router<'r>,
    message: &Message<'r>,
    routing_words: &[&str],
    exchange: &ResolvedExchange<'r>,
) -> Result<Vec<Destination<'r>>, RouteError> {
    let rule = match_rule(message.vhost, exchange)?;
    if let MatchRule::Default = rule {
        // Every queue is reachable under its own name, without a binding
        // (`rabbit_exchange:route/3`, first clause); only declared queues
        // count here.
        let declared = router
            .queues
            .contains(&(message.vhost, message.routing_key));
        return Ok(if declared {
            vec![Destination::Queue(message.routing_key)]
        } else {
            Vec::new()
        });
    }
    let bindings = router
        .bindings
        .get(&(message.vhost, exchange.name))
        .map_or(&[][..], Vec::as_slice);
    router
        .bindings_examined
        .set(router.bindings_examined.get() + bindings.len());
    let destinations = bindings
        .iter()
        .filter(|binding| rule.binding_matches(binding, message, routing_words))
        .map(|binding| match binding.destination_type {
            DestinationType::Queue => Destination::Queue(&binding.destination),
            DestinationType::Exchange => Destination::Exchange(&binding.destination),
        })
        .collect();
    Ok(destinations)
}

/// The words of a topic routing or binding key, split as
/// `rabbit_db_topic_exchange:split_topic_key/1` does: the empty key has no
/// words at all; otherwise every `.` separates two words, so `a..b`, `.a`,
/// `a.` and `.` hold empty words, which match only an empty word or `*`.
fn topic_words(key: &str) -> Vec<&str> {
    if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    }
}

/// Whether a topic `binding_key` matches a routing key, split into its
/// words (once per message) by [`topic_words`].
///
/// The semantics are those of the trie walk in
/// `rabbit_db_topic_exchange:trie_match/5` (rabbitmq-server,
/// `deps/rabbit/src/rabbit_db_topic_exchange.erl`, both its Mnesia and
/// Khepri variants): a binding word `*` takes exactly one routing word (an
/// empty one included), `#` takes zero or more, and any other binding word,
/// `a*` and `#b` included, must equal the routing word byte for byte.
/// Routing words are always literal: a `*` there matches only `*`.
///
/// Computed as a dynamic programme over the words, in time proportional to
/// (binding words × routing words), so that `#.#.#.…` cannot backtrack
/// exponentially.
fn topic_matches(binding_key: &str, routing: &[&str]) -> bool {
    // matched[j]: the binding words so far match the first j routing words.
    let mut matched = vec![false; routing.len() + 1];
    matched[0] = true;
    for binding_word in topic_words(binding_key) {
        let mut next = vec![false; routing.len() + 1];
        match binding_word {
            "#" => {
                let mut any_before = false;
                for (j, slot) in next.iter_mut().enumerate() {
                    any_before |= matched[j];
                    *slot = any_before;
                }
            }
            "*" => next[1..].copy_from_slice(&matched[..routing.len()]),
            literal => {
                for (j, routing_word) in routing.iter().enumerate() {
                    next[j + 1] = matched[j] && *routing_word == literal;
                }
            }
        }
        matched = next;
    }
    matched[routing.len()]
}

/// The `x-match` modes of a headers binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XMatch {
    All,
    Any,
    AllWithX,
    AnyWithX,
}

impl XMatch {
    /// `x-match` as the broker reads it: an absent, unknown or non-string
    /// value means `all` (`parse_x_match/1`: "legacy; we didn't validate").
    fn of(binding_arguments: &Arguments) -> XMatch {
        match binding_arguments.get("x-match").and_then(Value::as_str) {
            Some("any") => XMatch::Any,
            Some("all-with-x") => XMatch::AllWithX,
            Some("any-with-x") => XMatch::AnyWithX,
            _ => XMatch::All,
        }
    }

    /// Whether binding argument `key` is a header to match: `x-match`
    /// never is; other `x-` keys only in the `-with-x` modes.
    fn counts(self, key: &str) -> bool {
        match self {
            XMatch::All | XMatch::Any => !key.starts_with("x-"),
            XMatch::AllWithX | XMatch::AnyWithX => key != "x-match",
        }
    }
}

/// Whether a headers binding with `binding_arguments` matches a message
/// with `headers`.
///
/// Follows `rabbit_exchange_type_headers` as of RabbitMQ 3.13 and 4.x
/// (`match_all/3`, `match_any/3`, `match/2`, `match_x/2`): `all` holds when
/// every counted argument matches, so a binding with none matches every
/// message; `any` holds when one does, so a binding with none matches
/// nothing. A header matches when it is present with a value equal in type
/// and value (`=:=`: `1`, `1.0` and `"1"` all differ). A `null` argument
/// stands for AMQP's `void` and asks only that the header be present (the
/// HTTP API refuses `null`, so only files can hold one).
///
/// Brokers before 3.13 compared values with `==`, under which the integer
/// `1` and the float `1.0` are equal; no other case differs.
fn headers_match(binding_arguments: &Arguments, headers: &Arguments) -> bool {
    let mode = XMatch::of(binding_arguments);
    let mut counted = binding_arguments.iter().filter(|(key, _)| mode.counts(key));
    let header_matches = |(key, expected): (&String, &Value)| match expected {
        Value::Null => headers.contains_key(key),
        expected => headers.get(key) == Some(expected),
    };
    match mode {
        XMatch::All | XMatch::AllWithX => counted.all(header_matches),
        XMatch::Any | XMatch::AnyWithX => counted.any(header_matches),
    }
}

/// The alternate exchange of `exchange`, if it has one.
///
/// As `rabbit_policy:get_arg/3` decides: the exchange's own
/// `alternate-exchange` argument when it has one (a non-string value names
/// no exchange, and the policy is not consulted then), otherwise the
/// `alternate-exchange` key of the one policy in force. The default
/// exchange never has one: the broker routes it without looking.
fn alternate_exchange<'r>(
    router: &Router<'r>,
    vhost: &str,
    exchange: &ResolvedExchange<'r>,
) -> Option<&'r str> {
    if exchange.name.is_empty() {
        return None;
    }
    if let Some(argument) = exchange
        .arguments
        .and_then(|arguments| arguments.get("alternate-exchange"))
    {
        return argument.as_str();
    }
    policy_in_force(router, vhost, exchange.name)?
        .definition
        .get("alternate-exchange")
        .and_then(Value::as_str)
}

/// The policy that applies to exchange `name` in `vhost`, as
/// `rabbit_policy:match/2` picks it: among the policies of the vhost whose
/// `apply_to` is `exchanges` or `all` and whose `pattern` matches somewhere
/// in the name, the one with the highest priority. Only that one applies: a
/// lower-priority policy never fills in keys it lacks. The broker leaves a
/// tie unordered; here the first name in byte order wins, so the answer is
/// stable. Patterns are PCRE on the broker and the `regex` crate here; a
/// pattern `regex` cannot compile matches nothing.
fn policy_in_force<'r>(router: &Router<'r>, vhost: &str, name: &str) -> Option<&'r Policy> {
    router
        .policies
        .iter()
        .filter(|(policy, _)| policy.vhost == vhost)
        .filter(|(_, pattern)| pattern.as_ref().is_some_and(|p| p.is_match(name)))
        .map(|(policy, _)| *policy)
        .min_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn topology(yaml: &str) -> Topology {
        serde_yaml::from_str(yaml).expect("test topology parses")
    }

    fn headers(yaml: &str) -> Arguments {
        serde_yaml::from_str(yaml).expect("test headers parse")
    }

    fn publish(
        topology: &Topology,
        exchange: &str,
        routing_key: &str,
        headers: &Arguments,
    ) -> Result<Routed, RouteError> {
        route(
            topology,
            &Message {
                vhost: "/",
                exchange,
                routing_key,
                headers,
            },
        )
    }

    /// The queues reached by a message without headers, in vhost `/`.
    fn queues(topology: &Topology, exchange: &str, routing_key: &str) -> Vec<String> {
        publish(topology, exchange, routing_key, &Arguments::new())
            .unwrap_or_else(|err| panic!("routing to '{exchange}' failed: {err}"))
            .queues
    }

    #[test]
    fn a_binding_key_longer_than_the_broker_allows_routes_nothing() {
        // `#.#.….#` matches every key; at 301 bytes it cannot be declared.
        let key = format!("{}#", "#.".repeat(150));
        let t = topology(&format!(
            "queues: [{{name: q}}, {{name: r}}]\nbindings:\n  \
             - {{source: amq.topic, destination: q, routing_key: '{key}'}}\n  \
             - {{source: amq.topic, destination: r, routing_key: '#'}}\n"
        ));
        assert_eq!(queues(&t, "amq.topic", "a.b"), ["r"]);
    }

    #[test]
    fn a_router_routes_many_messages_through_one_index() {
        let t = topology(
            "exchanges: [{name: e, type: direct}]\nqueues: [{name: a}, {name: b}]\n\
             bindings: [{source: e, destination: a, routing_key: a}, \
             {source: e, destination: b, routing_key: b}]\n",
        );
        let router = Router::new(&t);
        let headers = Arguments::new();
        for key in ["a", "b"] {
            let message = Message {
                vhost: "/",
                exchange: "e",
                routing_key: key,
                headers: &headers,
            };
            assert_eq!(router.route(&message).unwrap().queues, [key]);
        }
    }

    // ---- topic matching ------------------------------------------------

    /// (binding key, routing key, matches), each row following the word
    /// split of `split_topic_key/1` and the trie walk of `trie_match/5` in
    /// rabbitmq-server's `deps/rabbit/src/rabbit_db_topic_exchange.erl`.
    const TOPIC_CASES: &[(&str, &str, bool)] = &[
        // Literal words.
        ("a.b.c", "a.b.c", true),
        ("a.b.c", "a.b", false),
        ("a.b", "a.b.c", false),
        ("a.b", "A.B", false),
        ("é.ü", "é.ü", true),
        // `*`: exactly one word.
        ("*", "a", true),
        ("*", "a.b", false),
        ("a.*.c", "a.b.c", true),
        ("a.*.c", "a.c", false),
        ("a.*", "a", false),
        ("*.*", "a", false),
        ("*.*", "a.b", true),
        // `#`: zero or more words.
        ("#", "a", true),
        ("#", "a.b.c", true),
        ("a.#", "a", true),
        ("a.#", "a.b.c", true),
        ("a.#", "b.a", false),
        ("#.a", "a", true),
        ("#.a", "x.y.a", true),
        ("#.a", "a.x", false),
        ("a.#.b", "a.b", true),
        ("a.#.b", "a.x.y.b", true),
        ("a.#.b", "a.x.y", false),
        ("a.#.b", "a.b.b", true),
        ("#.b.#", "a.b.c", true),
        ("#.b.#", "b", true),
        ("#.b.#", "a.c", false),
        ("#.#", "a.b", true),
        ("#.#.#", "a", true),
        ("a.#.#.b", "a.b", true),
        ("#.*", "a", true),
        ("*.#", "a", true),
        ("*.#.*", "a", false),
        ("*.#.*", "a.b", true),
        // The empty routing key has no words at all.
        ("#", "", true),
        ("#.#", "", true),
        ("", "", true),
        ("*", "", false),
        ("#.*", "", false),
        ("*.#", "", false),
        ("a", "", false),
        ("", "a", false),
        // Empty words: `a..b`, leading and trailing dots, `.` alone.
        ("a..b", "a..b", true),
        ("a..b", "a.b", false),
        ("a.b", "a..b", false),
        ("a.*.b", "a..b", true),
        ("a.#.b", "a..b", true),
        ("*", ".", false),
        ("*.*", ".", true),
        ("#", ".", true),
        (".", ".", true),
        ("", ".", false),
        (".", "", false),
        ("a.", "a.", true),
        ("a.", "a", false),
        ("a.*", "a.", true),
        ("a.#", "a.", true),
        ("a..#", "a.", true),
        (".a", ".a", true),
        (".a", "a", false),
        ("*.a", ".a", true),
        ("#.a", ".a", true),
        ("#.", "", false),
        ("#.", ".", true),
        ("#.", "a", false),
        // Wildcards only as whole binding words; routing words are literal.
        ("a*", "ab", false),
        ("a*", "a*", true),
        ("a.#b", "a.xb", false),
        ("a.#b", "a.#b", true),
        ("*", "*", true),
        ("#", "#", true),
        ("a", "*", false),
        ("a.b", "a.#", false),
    ];

    #[test]
    fn topic_matching_follows_rabbitmq() {
        let wrong: Vec<String> = TOPIC_CASES
            .iter()
            .filter(|(binding_key, routing_key, expected)| {
                topic_matches(binding_key, &topic_words(routing_key)) != *expected
            })
            .map(|(binding_key, routing_key, expected)| {
                format!("binding {binding_key:?} routing {routing_key:?}: expected {expected}")
            })
            .collect();
        assert!(wrong.is_empty(), "mismatches:\n{}", wrong.join("\n"));
        assert!(TOPIC_CASES.len() >= 40);
    }

    #[test]
    fn pathological_topic_patterns_finish_at_once() {
        let routing_key = vec!["a"; 100].join(".");
        let all_hashes = vec!["#"; 30].join(".");
        let hashes_then_miss = format!("{all_hashes}.b");
        let alternating = vec!["#.a"; 30].join(".") + ".#.b";
        let started = Instant::now();
        assert!(topic_matches(&all_hashes, &topic_words(&routing_key)));
        assert!(!topic_matches(
            &hashes_then_miss,
            &topic_words(&routing_key)
        ));
        assert!(!topic_matches(&alternating, &topic_words(&routing_key)));
        let t = topology(&format!(
            "exchanges: [{{name: t, type: topic}}]\n\
             queues: [{{name: q}}]\n\
             bindings: [{{source: t, destination: q, routing_key: '{hashes_then_miss}'}}]"
        ));
        assert!(queues(&t, "t", &routing_key).is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn topic_exchange_routes_by_pattern() {
        let t = topology(
            "exchanges: [{name: events, type: topic}]
queues: [{name: order.events}, {name: all}, {name: empty}]
bindings:
  - {source: events, destination: order.events, routing_key: 'order.*'}
  - {source: events, destination: all, routing_key: '#'}
  - {source: events, destination: empty, routing_key: ''}",
        );
        assert_eq!(
            queues(&t, "events", "order.created"),
            ["all", "order.events"]
        );
        assert_eq!(queues(&t, "events", "order"), ["all"]);
        assert_eq!(queues(&t, "events", ""), ["all", "empty"]);
    }

    // ---- headers matching ----------------------------------------------

    fn matches(binding_arguments: &str, message_headers: &str) -> bool {
        headers_match(&headers(binding_arguments), &headers(message_headers))
    }

    #[test]
    fn headers_all_is_the_default_and_needs_every_header() {
        for binding in ["{a: 1, b: x}", "{x-match: all, a: 1, b: x}"] {
            assert!(matches(binding, "{a: 1, b: x}"), "{binding}");
            assert!(matches(binding, "{a: 1, b: x, extra: 3}"), "{binding}");
            assert!(!matches(binding, "{a: 1}"), "{binding}");
            assert!(!matches(binding, "{a: 2, b: x}"), "{binding}");
            assert!(!matches(binding, "{}"), "{binding}");
        }
    }

    #[test]
    fn headers_any_needs_one_header() {
        let binding = "{x-match: any, a: 1, b: x}";
        assert!(matches(binding, "{a: 1}"));
        assert!(matches(binding, "{a: 0, b: x}"));
        assert!(!matches(binding, "{a: 0, b: y}"));
        assert!(!matches(binding, "{}"));
    }

    #[test]
    fn headers_bindings_without_headers_to_match() {
        // match_all over nothing is true, match_any over nothing is false.
        assert!(matches("{}", "{}"));
        assert!(matches("{}", "{a: 1}"));
        assert!(matches("{x-match: all}", "{a: 1}"));
        assert!(matches("{x-match: all, x-foo: 1}", "{}"));
        assert!(!matches("{x-match: any}", "{a: 1}"));
        assert!(!matches("{x-match: any, x-foo: 1}", "{x-foo: 1}"));
        assert!(matches("{x-match: all-with-x}", "{}"));
        assert!(!matches("{x-match: any-with-x}", "{x-match: any-with-x}"));
    }

    #[test]
    fn headers_x_keys_are_ignored_by_all_and_any() {
        assert!(matches("{x-match: all, x-foo: 1, a: 1}", "{a: 1}"));
        assert!(matches(
            "{x-match: all, x-foo: 1, a: 1}",
            "{a: 1, x-foo: 2}"
        ));
        assert!(!matches("{x-match: any, x-foo: 1, a: 1}", "{x-foo: 1}"));
    }

    #[test]
    fn headers_x_keys_count_with_x() {
        let all = "{x-match: all-with-x, x-foo: 1, a: 1}";
        assert!(matches(all, "{a: 1, x-foo: 1}"));
        assert!(!matches(all, "{a: 1}"));
        assert!(!matches(all, "{a: 1, x-foo: 2}"));
        let any = "{x-match: any-with-x, x-foo: 1, a: 1}";
        assert!(matches(any, "{x-foo: 1}"));
        assert!(matches(any, "{a: 1}"));
        assert!(!matches(any, "{a: 2, x-foo: 2}"));
        // `x-match` itself is never a header to match, in any mode.
        assert!(matches("{x-match: all-with-x, a: 1}", "{a: 1}"));
    }

    #[test]
    fn headers_values_match_by_type_and_value() {
        assert!(!matches("{a: 1}", "{a: '1'}"));
        assert!(!matches("{a: '1'}", "{a: 1}"));
        assert!(!matches("{a: 1}", "{a: 1.0}"));
        assert!(!matches("{a: true}", "{a: 'true'}"));
        assert!(matches("{a: true}", "{a: true}"));
        assert!(matches("{a: 1.5}", "{a: 1.5}"));
        assert!(matches("{a: [1, x]}", "{a: [1, x]}"));
        assert!(!matches("{a: x}", "{a: X}"));
    }

    #[test]
    fn headers_null_argument_asks_for_presence_only() {
        assert!(matches("{a: null}", "{a: anything}"));
        assert!(!matches("{a: null}", "{b: 1}"));
    }

    #[test]
    fn headers_unknown_x_match_means_all() {
        assert!(matches("{x-match: most, a: 1, b: 2}", "{a: 1, b: 2}"));
        assert!(!matches("{x-match: most, a: 1, b: 2}", "{a: 1}"));
        assert!(!matches("{x-match: 1, a: 1, b: 2}", "{a: 1}"));
    }

    #[test]
    fn headers_exchange_routes_by_headers_and_ignores_the_routing_key() {
        let t = topology(
            "exchanges: [{name: h, type: headers}]
queues: [{name: pdf}, {name: any-report}]
bindings:
  - {source: h, destination: pdf, routing_key: ignored, arguments: {format: pdf, type: report}}
  - {source: h, destination: any-report, arguments: {x-match: any, type: report}}",
        );
        let routed = |h: &str| publish(&t, "h", "whatever", &headers(h)).unwrap().queues;
        assert_eq!(routed("{format: pdf, type: report}"), ["any-report", "pdf"]);
        assert_eq!(routed("{format: zip, type: report}"), ["any-report"]);
        assert!(routed("{format: pdf}").is_empty());
        // amq.headers and amq.match exist without being declared.
        let builtin = topology(
            "queues: [{name: q}]
bindings: [{source: amq.match, destination: q, arguments: {k: v}}]",
        );
        assert_eq!(
            publish(&builtin, "amq.match", "", &headers("{k: v}"))
                .unwrap()
                .queues,
            ["q"]
        );
    }

    // ---- exchanges -----------------------------------------------------

    #[test]
    fn default_exchange_reaches_the_declared_queue_named_by_the_key() {
        let t = topology(
            "vhosts: [{name: /}, {name: other}]
queues: [{name: jobs}, {name: elsewhere, vhost: other}]
bindings: [{source: '', destination: jobs, routing_key: nope}]",
        );
        assert_eq!(queues(&t, "", "jobs"), ["jobs"]);
        assert!(queues(&t, "", "missing").is_empty());
        assert!(queues(&t, "", "elsewhere").is_empty());
        // Explicit bindings from the default exchange play no part.
        assert!(queues(&t, "", "nope").is_empty());
        let routed = publish(&t, "", "jobs", &Arguments::new()).unwrap();
        assert_eq!(routed.exchanges, [""]);
    }

    #[test]
    fn default_exchange_ignores_alternate_exchange_policies() {
        let t = topology(
            "queues: [{name: ae-q}]
bindings: [{source: amq.fanout, destination: ae-q}]
policies: [{name: ae, pattern: '.*', apply_to: exchanges, definition: {alternate-exchange: amq.fanout}}]",
        );
        assert!(queues(&t, "", "missing").is_empty());
    }

    #[test]
    fn direct_exchange_needs_an_equal_key_and_counts_each_queue_once() {
        let t = topology(
            "exchanges: [{name: d, type: direct}]
queues: [{name: a}, {name: b}]
bindings:
  - {source: d, destination: a, routing_key: k}
  - {source: d, destination: a, routing_key: k, arguments: {x-other: 1}}
  - {source: d, destination: b, routing_key: k.*}",
        );
        assert_eq!(queues(&t, "d", "k"), ["a"]);
        assert!(queues(&t, "d", "k.x").is_empty());
        assert_eq!(queues(&t, "d", "k.*"), ["b"]);
        assert!(queues(&t, "d", "K").is_empty());
    }

    #[test]
    fn fanout_exchange_reaches_every_binding() {
        let t = topology(
            "exchanges: [{name: f, type: fanout}]
queues: [{name: b}, {name: a}]
bindings:
  - {source: f, destination: b, routing_key: one}
  - {source: f, destination: a}",
        );
        assert_eq!(queues(&t, "f", "anything"), ["a", "b"]);
        assert_eq!(queues(&t, "amq.fanout", "x"), Vec::<String>::new());
    }

    #[test]
    fn bindings_of_other_vhosts_play_no_part() {
        let t = topology(
            "vhosts: [{name: /}, {name: v2}]
exchanges: [{name: f, type: fanout}, {name: f, type: fanout, vhost: v2}]
queues: [{name: here}, {name: there, vhost: v2}]
bindings:
  - {source: f, destination: here}
  - {source: f, destination: there, vhost: v2}",
        );
        assert_eq!(queues(&t, "f", ""), ["here"]);
        let routed = route(
            &t,
            &Message {
                vhost: "v2",
                exchange: "f",
                routing_key: "",
                headers: &Arguments::new(),
            },
        )
        .unwrap();
        assert_eq!(routed.queues, ["there"]);
    }

    #[test]
    fn undeclared_destination_queue_is_still_reached() {
        let t = topology(
            "exchanges: [{name: f, type: fanout}]
bindings: [{source: f, destination: ghost}]",
        );
        assert_eq!(queues(&t, "f", ""), ["ghost"]);
    }

    #[test]
    fn exchange_to_exchange_chain_keeps_key_and_headers() {
        let t = topology(
            "exchanges:
  - {name: entry, type: direct}
  - {name: middle, type: topic, internal: true}
  - {name: last, type: headers, internal: true}
queues: [{name: direct-q}, {name: topic-q}, {name: headers-q}]
bindings:
  - {source: entry, destination: direct-q, routing_key: order.created}
  - {source: entry, destination: middle, destination_type: exchange, routing_key: order.created}
  - {source: middle, destination: topic-q, routing_key: 'order.#'}
  - {source: middle, destination: last, destination_type: exchange, routing_key: '*.created'}
  - {source: last, destination: headers-q, arguments: {tenant: acme}}",
        );
        let routed = publish(&t, "entry", "order.created", &headers("{tenant: acme}")).unwrap();
        assert_eq!(routed.queues, ["direct-q", "headers-q", "topic-q"]);
        assert_eq!(routed.exchanges, ["entry", "middle", "last"]);
        assert!(routed.missing_exchanges.is_empty());
        let routed = publish(&t, "entry", "order.created", &headers("{tenant: other}")).unwrap();
        assert_eq!(routed.queues, ["direct-q", "topic-q"]);
        assert!(queues(&t, "entry", "order.deleted").is_empty());
    }

    #[test]
    fn exchange_to_exchange_cycles_end_and_count_queues_once() {
        let t = topology(
            "exchanges: [{name: a, type: fanout}, {name: b, type: fanout}, {name: c, type: topic}]
queues: [{name: qa}, {name: qb}, {name: qc}]
bindings:
  - {source: a, destination: b, destination_type: exchange}
  - {source: b, destination: a, destination_type: exchange}
  - {source: b, destination: c, destination_type: exchange}
  - {source: c, destination: a, destination_type: exchange, routing_key: '#'}
  - {source: a, destination: a, destination_type: exchange}
  - {source: a, destination: qa}
  - {source: b, destination: qa}
  - {source: b, destination: qb}
  - {source: c, destination: qc, routing_key: 'k'}",
        );
        let routed = publish(&t, "a", "k", &Arguments::new()).unwrap();
        assert_eq!(routed.queues, ["qa", "qb", "qc"]);
        assert_eq!(routed.exchanges, ["a", "b", "c"]);
        assert_eq!(queues(&t, "c", "k"), ["qa", "qb", "qc"]);
    }

    #[test]
    fn binding_to_a_missing_exchange_is_reported_and_counts_as_routed() {
        let t = topology(
            "exchanges: [{name: f, type: fanout, arguments: {alternate-exchange: amq.fanout}}]
queues: [{name: ae-q}]
bindings:
  - {source: f, destination: nowhere, destination_type: exchange}
  - {source: amq.fanout, destination: ae-q}",
        );
        let routed = publish(&t, "f", "", &Arguments::new()).unwrap();
        assert!(routed.queues.is_empty());
        assert_eq!(routed.missing_exchanges, ["nowhere"]);
    }

    #[test]
    fn publishing_to_an_internal_exchange_is_refused() {
        let t = topology(
            "exchanges: [{name: hidden, type: fanout, internal: true}]
queues: [{name: q}]
bindings: [{source: hidden, destination: q}]",
        );
        let err = publish(&t, "hidden", "", &Arguments::new()).unwrap_err();
        assert_eq!(
            err,
            RouteError::InternalExchange {
                vhost: "/".into(),
                exchange: "hidden".into()
            }
        );
        assert!(
            err.to_string().contains("internal exchange 'hidden'"),
            "{err}"
        );
        // The broker declares amq.rabbitmq.trace internal in every vhost.
        assert!(matches!(
            publish(&t, "amq.rabbitmq.trace", "publish.x", &Arguments::new()),
            Err(RouteError::InternalExchange { exchange, .. }) if exchange == "amq.rabbitmq.trace"
        ));
    }

    #[test]
    fn unknown_exchange_is_an_error() {
        let t = topology("exchanges: [{name: e, type: direct, vhost: other}]");
        assert_eq!(
            publish(&t, "e", "", &Arguments::new()),
            Err(RouteError::NoSuchExchange {
                vhost: "/".into(),
                exchange: "e".into()
            })
        );
        assert_eq!(
            publish(&t, "amq.nope", "", &Arguments::new())
                .unwrap_err()
                .to_string(),
            "no exchange 'amq.nope' in vhost '/'"
        );
    }

    #[test]
    fn plugin_exchange_types_are_refused_directly_and_through_bindings() {
        let t = topology(
            "exchanges:
  - {name: hash, type: x-consistent-hash}
  - {name: front, type: fanout}
queues: [{name: q}]
bindings:
  - {source: hash, destination: q, routing_key: '1'}
  - {source: front, destination: hash, destination_type: exchange}",
        );
        let expected = RouteError::PluginExchangeType {
            vhost: "/".into(),
            exchange: "hash".into(),
            exchange_type: "x-consistent-hash".into(),
        };
        assert_eq!(
            publish(&t, "hash", "k", &Arguments::new()),
            Err(expected.clone())
        );
        assert_eq!(
            publish(&t, "front", "k", &Arguments::new()),
            Err(expected.clone())
        );
        assert!(expected.to_string().contains("'x-consistent-hash'"));
    }

    // ---- alternate exchanges -------------------------------------------

    const ALTERNATE_BASE: &str = "
exchanges:
  - {name: main, type: direct, arguments: {alternate-exchange: unrouted}}
  - {name: unrouted, type: fanout}
  - {name: by-policy, type: fanout}
queues: [{name: main-q}, {name: unrouted-q}, {name: by-policy-q}]
bindings:
  - {source: main, destination: main-q, routing_key: known}
  - {source: unrouted, destination: unrouted-q}
  - {source: by-policy, destination: by-policy-q}
";

    #[test]
    fn alternate_exchange_by_argument_takes_what_matches_nothing() {
        let t = topology(ALTERNATE_BASE);
        assert_eq!(queues(&t, "main", "known"), ["main-q"]);
        let routed = publish(&t, "main", "other", &Arguments::new()).unwrap();
        assert_eq!(routed.queues, ["unrouted-q"]);
        assert_eq!(routed.exchanges, ["main", "unrouted"]);
    }

    #[test]
    fn alternate_exchange_by_policy() {
        let mut t = topology(ALTERNATE_BASE);
        t.policies = topology(
            "policies:
  - {name: low, pattern: '^ma', apply_to: exchanges, priority: 1, definition: {alternate-exchange: unrouted}}
  - {name: high, pattern: 'ai', apply_to: all, priority: 5, definition: {alternate-exchange: by-policy}}
  - {name: queues-only, pattern: '.*', apply_to: queues, priority: 9, definition: {alternate-exchange: unrouted}}
  - {name: other-vhost, vhost: v2, pattern: '.*', apply_to: exchanges, priority: 9, definition: {alternate-exchange: unrouted}}
  - {name: broken, pattern: '(', apply_to: exchanges, priority: 9, definition: {alternate-exchange: unrouted}}",
        )
        .policies;
        // The argument wins over any policy.
        assert_eq!(queues(&t, "main", "other"), ["unrouted-q"]);
        // Without it, the highest-priority policy that applies wins.
        t.exchanges[0].arguments.clear();
        assert_eq!(queues(&t, "main", "other"), ["by-policy-q"]);
        assert_eq!(queues(&t, "main", "known"), ["main-q"]);
    }

    #[test]
    fn only_the_policy_in_force_can_set_an_alternate_exchange() {
        let mut t = topology(ALTERNATE_BASE);
        t.exchanges[0].arguments.clear();
        t.policies = topology(
            "policies:
  - {name: low, pattern: main, priority: 1, definition: {alternate-exchange: unrouted}}
  - {name: high, pattern: main, priority: 2, definition: {max-length: 10}}",
        )
        .policies;
        assert!(queues(&t, "main", "other").is_empty());
        // On a tie of priorities the first name wins here.
        t.policies[1].priority = 1;
        t.policies[1].name = "zzz".into();
        assert_eq!(queues(&t, "main", "other"), ["unrouted-q"]);
    }

    #[test]
    fn policies_give_built_in_exchanges_alternates_too() {
        let t = topology(
            "queues: [{name: lost}]
bindings: [{source: amq.fanout, destination: lost}]
policies: [{name: ae, pattern: '^amq\\.direct$', definition: {alternate-exchange: amq.fanout}}]",
        );
        assert_eq!(queues(&t, "amq.direct", "nothing-bound"), ["lost"]);
    }

    #[test]
    fn alternate_exchange_of_an_exchange_reached_by_binding_is_used() {
        let t = topology(
            "exchanges:
  - {name: front, type: fanout}
  - {name: inner, type: direct, internal: true, arguments: {alternate-exchange: unrouted}}
  - {name: unrouted, type: fanout, internal: true}
queues: [{name: unrouted-q}]
bindings:
  - {source: front, destination: inner, destination_type: exchange}
  - {source: unrouted, destination: unrouted-q}",
        );
        let routed = publish(&t, "front", "k", &Arguments::new()).unwrap();
        assert_eq!(routed.queues, ["unrouted-q"]);
        assert_eq!(routed.exchanges, ["front", "inner", "unrouted"]);
    }

    #[test]
    fn alternate_exchange_cycles_end_and_missing_alternates_are_reported() {
        let t = topology(
            "exchanges:
  - {name: a, type: direct, arguments: {alternate-exchange: b}}
  - {name: b, type: direct, arguments: {alternate-exchange: a}}
  - {name: c, type: direct, arguments: {alternate-exchange: gone}}
  - {name: d, type: direct, arguments: {alternate-exchange: 42}}",
        );
        let routed = publish(&t, "a", "k", &Arguments::new()).unwrap();
        assert!(routed.queues.is_empty());
        assert_eq!(routed.exchanges, ["a", "b"]);
        let routed = publish(&t, "c", "k", &Arguments::new()).unwrap();
        assert_eq!(routed.missing_exchanges, ["gone"]);
        let routed = publish(&t, "d", "k", &Arguments::new()).unwrap();
        assert_eq!(routed.exchanges, ["d"]);
        assert!(routed.missing_exchanges.is_empty());
    }
}
