//! One file's bytes to the objects it declares, with every parse error it
//! holds: YAML syntax, top-level keys (definitions-export keys accepted or
//! refused), and each list item's own type errors.
//!
//! A plain file is deserialised straight from the parser's events
//! ([`direct`]); any other is loaded by serde_yaml, whole document first.
//! A document that fails is parsed into `serde_yaml::Value`, so one bad
//! queue does not hide a bad binding: each list item is then deserialised
//! into its type on its own. A failed item is deserialised once more
//! straight from the text (see [`locate`]) to get its error's line and
//! column. Nothing here touches the disk or checks rules across objects.

use serde::Deserialize;
use serde_yaml::Value;

use super::locate::{self, Position, Seg};
use super::{Diagnostic, Origin, Origins, ProbeBudget, Section};
use super::{direct, limits};
use crate::model::{Binding, Exchange, Policy, Queue, RouteAssertion, Topology, Vhost};

/// Keys of a definitions export that say which broker wrote it: accepted
/// and ignored.
pub const EXPORT_VERSION_KEYS: &[&str] = &[
    "rabbit_version",
    "rabbitmq_version",
    "product_name",
    "product_version",
    "rabbitmq_definition_format",
    "explanation",
];

/// Keys of a definitions export that warren does not manage: refused, so
/// that nobody believes a file full of users is being applied.
pub const UNMANAGED_KEYS: &[&str] = &[
    "users",
    "permissions",
    "topic_permissions",
    "parameters",
    "global_parameters",
    "limits",
    "vhost_limits",
    "user_limits",
    "operator_policies",
];

/// What one file holds.
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// The objects that parsed; items with errors are left out.
    pub topology: Topology,
    /// Where each object of `topology` is written in the file.
    pub origins: Origins,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Parses the file numbered `file` (its index in the list of files read),
/// called `name` in messages.
pub fn parse_file(file: usize, name: &str, bytes: &[u8], budget: &mut ProbeBudget) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    if bytes.len() > limits::MAX_FILE_BYTES {
        let message = limits::too_many_bytes();
        parsed.errors.push(Diagnostic::in_file(name, message));
        return parsed;
    }
    let text = match text_of(bytes) {
        Ok(text) => text,
        Err(err) => {
            parsed.errors.push(not_utf8(name, bytes, &err));
            return parsed;
        }
    };
    let mut file_parser = FileParser {
        file,
        name,
        text,
        budget,
        parsed,
        counts: [0; 6],
    };
    match direct::documents::<TypedDocument>(text, limits::MAX_NODES) {
        Some(documents) => {
            for (document, TypedDocument { topology, others }) in documents.into_iter().enumerate()
            {
                file_parser.typed_document(document, topology, others);
            }
        }
        None => {
            if let Some(reason) = limits::too_big(text) {
                file_parser
                    .parsed
                    .errors
                    .push(Diagnostic::in_file(name, reason));
                return file_parser.parsed;
            }
            file_parser.load_with_serde_yaml();
        }
    }
    let declared: usize = file_parser.counts.iter().sum();
    let mut parsed = file_parser.parsed;
    if declared == 0 && parsed.errors.is_empty() {
        parsed.warnings.push(Diagnostic::in_file(
            name,
            "the file declares nothing (no vhosts, exchanges, queues, bindings, policies or routes)",
        ));
    }
    parsed
}

impl FileParser<'_> {
    /// Every document of the file, read by serde_yaml: files that are not
    /// plain enough for [`direct`], and files with errors.
    fn load_with_serde_yaml(&mut self) {
        let text = self.text;
        for (document, deserializer) in serde_yaml::Deserializer::from_str(text).enumerate() {
            // The whole document straight from the text first: the common case,
            // one pass, and the reference for what a scalar means (`name: 123`
            // is the string "123" there, where a `Value` holds a number).
            if let Ok(TypedDocument { topology, others }) = TypedDocument::deserialize(deserializer)
            {
                self.typed_document(document, topology, others);
                continue;
            }
            // Something in it is wrong: read it as a `Value` and item by
            // item, so every bad item is reported, each with its position.
            let value = serde_yaml::Deserializer::from_str(text)
                .nth(document)
                .map(Value::deserialize);
            match value {
                Some(Ok(value)) => self.document(document, value),
                Some(Err(err)) => {
                    // serde_yaml cannot resume after a syntax error, and its
                    // document iterator repeats a failure forever: stop here.
                    let diagnostic = self.yaml_error(document, &err);
                    self.parsed.errors.push(diagnostic);
                    break;
                }
                None => break,
            }
        }
    }
}

/// The text of a file: UTF-8, without the byte-order mark some editors
/// write (libyaml counts it as indentation on the first line).
pub fn text_of(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let text = std::str::from_utf8(bytes)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The state of parsing one file: what it found so far.
struct FileParser<'a> {
    file: usize,
    name: &'a str,
    text: &'a str,
    budget: &'a mut ProbeBudget,
    parsed: ParsedFile,
    /// Items seen so far per section (parsed or not), across documents:
    /// the next item's index in the file.
    counts: [usize; 6],
}

impl FileParser<'_> {
    /// A document that deserialised whole: its lists are taken as they
    /// are; its other top-level keys are checked.
    fn typed_document(
        &mut self,
        document: usize,
        mut topology: Topology,
        others: Vec<(String, Value)>,
    ) {
        for section in Section::ALL {
            self.adopt(document, section, &mut topology);
        }
        for (key, value) in others {
            self.other_key(document, &key, &value);
        }
    }

    /// One YAML document of the file that did not deserialise whole: its
    /// top-level keys, then its lists item by item.
    fn document(&mut self, document: usize, value: Value) {
        let mapping = match value {
            Value::Null => return,
            Value::Mapping(mapping) => mapping,
            other => {
                let position = self.value_position(document, &[]);
                self.error(
                    None,
                    position,
                    format!(
                        "the file must be a mapping with the keys {}, not {}",
                        section_list(),
                        describe(&other)
                    ),
                );
                return;
            }
        };
        for (key, value) in mapping {
            let Some(key) = key.as_str().map(str::to_string) else {
                self.error(
                    None,
                    None,
                    format!("top-level keys must be strings, found {}", describe(&key)),
                );
                continue;
            };
            match Section::from_key(&key) {
                Some(section) => self.section(document, section, value),
                None => self.other_key(document, &key, &value),
            }
        }
    }

    /// A top-level key that is not a list of objects: an export's version
    /// key (ignored), a key warren does not manage, or a typo.
    fn other_key(&mut self, document: usize, key: &str, value: &Value) {
        if EXPORT_VERSION_KEYS.contains(&key) {
            return;
        }
        if UNMANAGED_KEYS.contains(&key) {
            if is_empty(value) {
                // An export's `parameters: []`: nothing is left out.
                return;
            }
            let position = self.key_position(document, &[], key);
            self.error(
                None,
                position,
                format!(
                    "'{key}' is not managed by warren, which manages vhosts, exchanges, \
                     queues, bindings and policies only; remove the key (an export of one \
                     vhost, GET /api/definitions/{{vhost}}, leaves users and permissions out)"
                ),
            );
            return;
        }
        let position = self.key_position(document, &[], key);
        let hint = super::suggest::hint(key, Section::ALL.iter().map(|s| s.key()));
        self.error(
            None,
            position,
            format!(
                "unknown key '{key}'{hint}; expected one of: {}",
                section_list()
            ),
        );
    }

    /// Takes the objects of `section` from a document that deserialised
    /// whole.
    fn adopt(&mut self, document: usize, section: Section, typed: &mut Topology) {
        let parsed = &mut self.parsed.topology;
        let count = match section {
            Section::Vhosts => move_all(&mut typed.vhosts, &mut parsed.vhosts),
            Section::Exchanges => move_all(&mut typed.exchanges, &mut parsed.exchanges),
            Section::Queues => move_all(&mut typed.queues, &mut parsed.queues),
            Section::Bindings => move_all(&mut typed.bindings, &mut parsed.bindings),
            Section::Policies => move_all(&mut typed.policies, &mut parsed.policies),
            Section::Routes => move_all(&mut typed.routes, &mut parsed.routes),
        };
        for item in 0..count {
            let origin = self.next_origin(document, section, item);
            self.parsed.origins.get_mut(section).push(origin);
        }
    }

    /// The origin of the next item of `section`, which is item `item` of
    /// its list in document `document`.
    fn next_origin(&mut self, document: usize, section: Section, item: usize) -> Origin {
        let index = self.counts[section as usize];
        self.counts[section as usize] += 1;
        Origin {
            file: self.file,
            index,
            document,
            item,
        }
    }

    /// Parses the items of `section` one by one, from a document that did
    /// not deserialise whole.
    fn section(&mut self, document: usize, section: Section, value: Value) {
        let items = match value {
            Value::Null => return,
            Value::Sequence(items) => items,
            other => {
                let position = self.value_position(document, &[Seg::key(section.key())]);
                self.error(
                    None,
                    position,
                    format!(
                        "'{}' must be a list, not {}",
                        section.key(),
                        describe(&other)
                    ),
                );
                return;
            }
        };
        for (item_index, item) in items.into_iter().enumerate() {
            let origin = self.next_origin(document, section, item_index);
            match section {
                Section::Vhosts => {
                    self.item::<Vhost>(section, origin, item, |t, o| t.vhosts.push(o))
                }
                Section::Exchanges => {
                    self.item::<Exchange>(section, origin, item, |t, o| t.exchanges.push(o))
                }
                Section::Queues => {
                    self.item::<Queue>(section, origin, item, |t, o| t.queues.push(o))
                }
                Section::Bindings => {
                    self.item::<Binding>(section, origin, item, |t, o| t.bindings.push(o))
                }
                Section::Policies => {
                    self.item::<Policy>(section, origin, item, |t, o| t.policies.push(o))
                }
                Section::Routes => {
                    self.item::<RouteAssertion>(section, origin, item, |t, o| t.routes.push(o))
                }
            }
        }
    }

    /// Deserialises one list item into `T`, or reports why it cannot be.
    fn item<T>(
        &mut self,
        section: Section,
        origin: Origin,
        item: Value,
        push: impl FnOnce(&mut Topology, T),
    ) where
        T: for<'de> Deserialize<'de>,
    {
        let label = section.label(origin.index, &item_label(section, &item));
        let err = match serde_yaml::from_value::<T>(item) {
            Ok(object) => {
                push(&mut self.parsed.topology, object);
                self.parsed.origins.get_mut(section).push(origin);
                return;
            }
            Err(err) => err,
        };
        // The same item straight from the text: it may parse there (a
        // scalar read as a string), and an error gets a position and the
        // path of the bad field.
        let path = [Seg::key(section.key()), Seg::Index(origin.item)];
        let from_text = if self.budget.spend(self.text.len()) {
            Some(locate::typed::<T>(self.text, origin.document, &path))
        } else {
            None
        };
        let (message, position) = match from_text {
            Some(Ok(Some(object))) => {
                push(&mut self.parsed.topology, object);
                self.parsed.origins.get_mut(section).push(origin);
                return;
            }
            Some(Err(located)) => (
                clean_message(&located, section.key(), origin.item),
                locate::position(&located),
            ),
            Some(Ok(None)) | None => (clean_message(&err, section.key(), origin.item), None),
        };
        self.error(Some(label), position, humanize(&message));
    }

    /// A document that is not YAML (or that serde_yaml refuses whole),
    /// in warren's words.
    fn yaml_error(&mut self, document: usize, err: &serde_yaml::Error) -> Diagnostic {
        let raw = err.to_string();
        let mut position = locate::position(err);
        let message = if raw.contains("duplicate entry with key") {
            match locate::duplicate_key(self.text, document) {
                Some((key, at)) => {
                    position = at.or(position);
                    format!("key '{key}' is written twice in the same mapping")
                }
                None => format!("a key is written twice in the same mapping ({raw})"),
            }
        } else if raw.contains("recursion limit exceeded") {
            "nested more than 128 levels deep".to_string()
        } else if raw.contains("repetition limit exceeded") {
            "aliases expand to too many nodes (an alias bomb?): refused".to_string()
        } else if raw.contains("control characters are not allowed") {
            "control characters are not allowed (is this a binary file?)".to_string()
        } else {
            let mut message = format!("invalid YAML: {}", strip_position(&raw, position));
            if position.is_some_and(|p| char_at(self.text, p) == Some('\t')) {
                message.push_str(" (a tab: YAML indentation must use spaces)");
            }
            message
        };
        Diagnostic {
            file: Some(self.name.to_string()),
            object: None,
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            message,
        }
    }

    fn error(&mut self, object: Option<String>, position: Option<Position>, message: String) {
        self.parsed.errors.push(Diagnostic {
            file: Some(self.name.to_string()),
            object: object.map(|o| super::shorten(&o)),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            message: super::shorten(&message),
        });
    }

    fn value_position(&mut self, document: usize, path: &[Seg]) -> Option<Position> {
        if self.budget.spend(self.text.len()) {
            locate::value_position(self.text, document, path)
        } else {
            None
        }
    }

    fn key_position(&mut self, document: usize, path: &[Seg], key: &str) -> Option<Position> {
        if self.budget.spend(self.text.len()) {
            locate::key_position(self.text, document, path, key)
        } else {
            None
        }
    }
}

/// Moves every item of `from` to the end of `to`; returns how many.
fn move_all<T>(from: &mut Vec<T>, to: &mut Vec<T>) -> usize {
    let count = from.len();
    to.append(from);
    count
}

/// A whole document deserialised straight from the text: the lists of a
/// topology, and the other top-level keys with their values, to be checked.
#[derive(Debug, PartialEq)]
struct TypedDocument {
    topology: Topology,
    others: Vec<(String, Value)>,
}

impl<'de> Deserialize<'de> for TypedDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TypedDocumentVisitor)
    }
}

struct TypedDocumentVisitor;

impl<'de> serde::de::Visitor<'de> for TypedDocumentVisitor {
    type Value = TypedDocument;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a topology")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<TypedDocument, A::Error> {
        let mut t = Topology::default();
        let mut others = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                // The `Value` reading reports it, with its position.
                return Err(serde::de::Error::custom(format!("duplicate key '{key}'")));
            }
            // `queues:` with nothing after it is an empty list.
            match Section::from_key(&key) {
                Some(Section::Vhosts) => {
                    t.vhosts = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                Some(Section::Exchanges) => {
                    t.exchanges = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                Some(Section::Queues) => {
                    t.queues = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                Some(Section::Bindings) => {
                    t.bindings = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                Some(Section::Policies) => {
                    t.policies = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                Some(Section::Routes) => {
                    t.routes = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                None => others.push((key, map.next_value::<Value>()?)),
            }
        }
        Ok(TypedDocument {
            topology: t,
            others,
        })
    }
}

/// The error for a file that is not UTF-8, pointing at the first bad byte.
fn not_utf8(name: &str, bytes: &[u8], err: &std::str::Utf8Error) -> Diagnostic {
    let good = &bytes[..err.valid_up_to()];
    let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // The valid prefix is UTF-8, so counting its characters is safe.
    let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
    let byte = bytes[err.valid_up_to()];
    let binary = bytes.iter().take(8192).any(|&b| b == 0);
    let what = if binary {
        "not a text file (it holds NUL bytes)"
    } else {
        "not UTF-8 text"
    };
    Diagnostic {
        file: Some(name.to_string()),
        object: None,
        line: Some(line),
        column: Some(column),
        message: format!(
            "{what}: byte 0x{byte:02X} at offset {} is not valid UTF-8; topology files are UTF-8 YAML or JSON",
            err.valid_up_to()
        ),
    }
}

/// A short label for an item that may not have parsed: its name, or its
/// two ends for a binding, read from the raw value.
fn item_label(section: Section, item: &Value) -> String {
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
    match section {
        Section::Bindings => match (text("source"), text("destination")) {
            (Some(source), Some(destination)) => super::binding_label(&source, &destination),
            _ => String::new(),
        },
        Section::Routes => match text("exchange") {
            Some(exchange) => {
                super::route_label(&exchange, &text("routing_key").unwrap_or_default())
            }
            None => String::new(),
        },
        _ => text("name").unwrap_or_default(),
    }
}

/// serde_yaml's message without its position (reported apart) and without
/// the path down to the item (the object label says it).
fn clean_message(err: &serde_yaml::Error, key: &str, index: usize) -> String {
    let message = strip_position(&err.to_string(), locate::position(err));
    let prefix = format!("{key}[{index}]");
    let message = message.strip_prefix(&prefix).unwrap_or(&message);
    let message = message.strip_prefix(": ").unwrap_or(message);
    let message = message.strip_prefix('.').unwrap_or(message);
    message.to_string()
}

fn strip_position(message: &str, position: Option<Position>) -> String {
    match position {
        Some(p) => message.replacen(&format!(" at line {} column {}", p.line, p.column), "", 1),
        None => message.to_string(),
    }
}

/// Rewrites serde's wording for the common cases into warren's, with a
/// "did you mean" for unknown keys and values.
fn humanize(message: &str) -> String {
    // A path inside the item may come first: `destination_type: unknown …`.
    let (prefix, rest) = match message.find(": ") {
        Some(i)
            if !message[..i].contains(' ')
                && !message.starts_with("invalid")
                && !message.starts_with("unknown") =>
        {
            (&message[..i + 2], &message[i + 2..])
        }
        _ => ("", message),
    };
    let rewritten = rest
        .strip_prefix("unknown field `")
        .and_then(|r| unknown_word("key", r))
        .or_else(|| {
            rest.strip_prefix("unknown variant `")
                .and_then(|r| unknown_word("value", r))
        })
        .or_else(|| {
            between(rest, "missing field `", "`").map(|f| format!("missing required key '{f}'"))
        })
        .or_else(|| {
            between(rest, "duplicate field `", "`").map(|f| format!("key '{f}' is written twice"))
        });
    match rewritten {
        Some(text) => format!("{prefix}{text}"),
        None => message.to_string(),
    }
}

/// `X`, expected one of `a`, `b` → unknown key 'X' (did you mean …); expected one of: a, b
fn unknown_word(what: &str, rest: &str) -> Option<String> {
    let end = rest.find('`')?;
    let word = &rest[..end];
    let expected: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
    let hint = super::suggest::hint(word, expected.iter().copied());
    if expected.is_empty() {
        Some(format!("unknown {what} '{word}'"))
    } else {
        Some(format!(
            "unknown {what} '{word}'{hint}; expected one of: {}",
            expected.join(", ")
        ))
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(start)?;
    Some(&rest[..rest.find(end)?])
}

fn section_list() -> String {
    Section::ALL
        .iter()
        .map(|s| s.key())
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Sequence(items) => items.is_empty(),
        Value::Mapping(map) => map.is_empty(),
        _ => false,
    }
}

/// `a list`, `a string`, … for messages about the wrong shape.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn char_at(text: &str, position: Position) -> Option<char> {
    let line = text.lines().nth(position.line.checked_sub(1)?)?;
    let column = position.column.checked_sub(1)?;
    if line.is_ascii() {
        // A megabyte line is common in a bad file; counting its characters
        // one by one is not needed then.
        line.as_bytes().get(column).map(|&b| char::from(b))
    } else {
        line.chars().nth(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedFile {
        parse_file(0, "t.yaml", text.as_bytes(), &mut ProbeBudget::default())
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text)
            .errors
            .iter()
            .map(Diagnostic::to_string)
            .collect()
    }

    #[test]
    fn a_valid_file_gives_its_objects_and_where_they_are_written() {
        let parsed = parse("vhosts: [{name: /}]\nqueues:\n  - name: a\n  - name: b\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.topology.queues.len(), 2);
        assert_eq!(parsed.origins.queues[1].index, 1);
        assert_eq!(parsed.origins.queues[1].item, 1);
    }

    #[test]
    fn every_bad_item_is_reported_with_its_own_position() {
        let text = "\
queues:
  - name: a
    durabel: true
  - name: b
bindings:
  - source: e
    destination: b
    destination_type: queues
";
        assert_eq!(
            errors(text),
            [
                "t.yaml:3:5: queues[0] a: unknown key 'durabel' (did you mean 'durable'?); \
                 expected one of: name, vhost, durable, auto_delete, arguments",
                "t.yaml:8:23: bindings[0] e -> b: destination_type: unknown value 'queues' \
                 (did you mean 'queue'?); expected one of: queue, exchange",
            ]
        );
        assert_eq!(
            parse(text).topology.queues.len(),
            1,
            "the good queue is kept"
        );
    }

    #[test]
    fn a_scalar_reads_as_the_string_it_is_written_as() {
        // A regression guard: a `Value` holds `2024` as a number, which its
        // own deserialiser refuses as a string; the text does not.
        let text = "vhosts: [{name: '2024'}]\nqueues:\n  - name: 2024\n    vhost: 2024\n  - name: 007\n    vhost: 2024\n    durable: maybe\n";
        let parsed = parse(text);
        assert_eq!(parsed.topology.queues.len(), 1, "{:?}", parsed.errors);
        assert_eq!(parsed.topology.queues[0].name, "2024");
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        let clean = parse("queues: [{name: 007, vhost: 1e3}]\n");
        assert_eq!(clean.topology.queues[0].name, "007");
        assert_eq!(clean.topology.queues[0].vhost, "1e3");
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let parsed = parse("\u{feff}vhosts: [{name: /}]\r\nqueues:\r\n  - name: a\r\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.topology.queues.len(), 1);
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        assert_eq!(
            errors("queues:\n  - name: a\n    durable: yes\n"),
            ["t.yaml:3:14: queues[0] a: durable: invalid type: string \"yes\", expected a boolean"]
        );
    }

    #[test]
    fn a_missing_key_is_reported() {
        assert_eq!(
            errors("exchanges:\n  - name: e\n"),
            ["t.yaml:2:5: exchanges[0] e: missing required key 'type'"]
        );
    }

    #[test]
    fn export_version_keys_are_ignored() {
        let parsed = parse(
            "{\"rabbit_version\": \"3.10.8\", \"rabbitmq_version\": \"3.10.8\", \"product_name\": \"RabbitMQ\", \"product_version\": \"3.10.8\", \"vhosts\": [{\"name\": \"/\"}]}",
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.topology.vhosts.len(), 1);
    }

    #[test]
    fn unmanaged_export_keys_are_refused_by_name() {
        let errors = errors("vhosts: [{name: /}]\nusers:\n  - name: guest\n");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("t.yaml:2:1: 'users' is not managed by warren"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_empty_unmanaged_key_is_accepted_since_it_holds_nothing() {
        let parsed = parse(
            "{\"vhosts\": [{\"name\": \"/\"}], \"parameters\": [], \"topic_permissions\": []}",
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    }

    #[test]
    fn an_unknown_top_level_key_gets_a_hint() {
        assert_eq!(
            errors("queus: []\n"),
            ["t.yaml:1:1: unknown key 'queus' (did you mean 'queues'?); \
              expected one of: vhosts, exchanges, queues, bindings, policies, routes"]
        );
    }

    #[test]
    fn a_section_that_is_not_a_list_is_reported() {
        assert_eq!(
            errors("queues: {name: a}\n"),
            ["t.yaml:1:9: 'queues' must be a list, not a mapping"]
        );
    }

    #[test]
    fn an_empty_file_declares_nothing_and_says_so() {
        for text in ["", "# nothing\n", "---\n", "rabbit_version: 3.10.8\n"] {
            let parsed = parse(text);
            assert!(parsed.errors.is_empty(), "{text:?}: {:?}", parsed.errors);
            assert_eq!(parsed.topology, Topology::default());
            assert_eq!(parsed.warnings.len(), 1, "{text:?}");
        }
    }

    #[test]
    fn documents_merge_and_indexes_run_on() {
        let parsed = parse("queues: [{name: a}]\n---\nqueues: [{name: b}, {name: c, bad: 1}]\n");
        assert_eq!(parsed.topology.queues.len(), 2);
        assert_eq!(parsed.origins.queues[1].index, 1);
        assert_eq!(parsed.origins.queues[1].document, 1);
        let errors: Vec<String> = parsed.errors.iter().map(Diagnostic::to_string).collect();
        assert!(
            errors[0].starts_with("t.yaml:3:31: queues[2] c: unknown key 'bad'"),
            "{errors:?}"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        assert_eq!(
            errors("queues: [{name: a}\n"),
            [
                "t.yaml:2:1: invalid YAML: did not find expected ',' or ']', while parsing a flow sequence at line 1 column 9"
            ]
        );
    }

    #[test]
    fn a_duplicate_key_is_found_where_it_is_repeated() {
        assert_eq!(
            errors("queues:\n  - name: a\n    durable: true\n    name: b\n"),
            ["t.yaml:4:5: key 'name' is written twice in the same mapping"]
        );
    }

    #[test]
    fn a_tab_in_the_indentation_is_explained() {
        let errors = errors("queues:\n\t- name: a\n");
        assert!(
            errors[0].contains("a tab: YAML indentation must use spaces"),
            "{errors:?}"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_reported_at_the_first_bad_byte() {
        let parsed = parse_file(
            0,
            "t.yaml",
            b"queues:\n  - name: caf\xe9\n",
            &mut ProbeBudget::default(),
        );
        assert_eq!(
            parsed.errors[0].to_string(),
            "t.yaml:2:14: not UTF-8 text: byte 0xE9 at offset 21 is not valid UTF-8; \
             topology files are UTF-8 YAML or JSON"
        );
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in [
            ("b", "a"),
            ("c", "b"),
            ("d", "c"),
            ("e", "d"),
            ("f", "e"),
            ("g", "f"),
            ("h", "g"),
        ] {
            let list = vec![format!("*{previous}"); 9].join(", ");
            text.push_str(&format!("{name}: &{name} [{list}]\n"));
        }
        let errors = errors(&text);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("alias bomb"), "{errors:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let errors = errors(&"[".repeat(10_000));
        assert!(
            errors[0].contains("nested more than 128 levels deep"),
            "{errors:?}"
        );
    }

    #[test]
    fn without_budget_errors_lose_their_position_but_not_their_message() {
        let parsed = parse_file(
            0,
            "t.yaml",
            b"queues:\n  - name: a\n    durable: yes\n",
            &mut ProbeBudget::new(0),
        );
        assert_eq!(
            parsed.errors[0].to_string(),
            "t.yaml: queues[0] a: invalid type: string \"yes\", expected a boolean"
        );
    }

    /// Both readings of `text`: straight from the events (`None` when it
    /// gives up) and serde_yaml's.
    fn both_readings(
        text: &str,
    ) -> (
        Option<Vec<TypedDocument>>,
        Result<Vec<TypedDocument>, String>,
    ) {
        let direct = direct::documents::<TypedDocument>(text, limits::MAX_NODES);
        let serde_yaml = serde_yaml::Deserializer::from_str(text)
            .map(TypedDocument::deserialize)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string());
        (direct, serde_yaml)
    }

    #[test]
    fn a_plain_file_is_read_straight_from_its_events_as_serde_yaml_reads_it() {
        let text = "\
rabbit_version: 3.10.8
vhosts:
  - name: shop
    tags: [a, 'b']
    description: |
      Orders,
      and what follows them.
exchanges:
  - {name: events, vhost: shop, type: topic, arguments: {alternate-exchange: lost}}
queues:
  - name: order.events
    vhost: shop
    durable: true
    arguments:
      x-message-ttl: 60000
      x-max-length: -1
      x-single-active-consumer: false
      x-dead-letter-routing-key: \"123\"
      x-note: ~
      x-list: [1, two, {three: 3}]
bindings:
  - {source: events, destination: order.events, destination_type: queue, routing_key: 007, vhost: shop}
policies:
routes: []
---
queues:
  - name: 123
    auto_delete: True
";
        let (direct, serde_yaml) = both_readings(text);
        let direct = direct.expect("a plain file is read straight from its events");
        assert_eq!(direct.len(), 2);
        assert_eq!(Ok(direct), serde_yaml);
    }

    #[test]
    fn what_only_serde_yaml_reads_is_left_to_it() {
        for text in [
            "queues: [&q {name: a}, *q]",
            "queues: [{name: !!str 5}]",
            "queues: [{name: a, arguments: {x-message-ttl: 6e4}}]",
            "queues: [{name: a, arguments: {x-message-ttl: 0x10}}]",
            "queues: [{name: a, arguments: {x: .inf}}]",
            "queues: [{name: a, arguments: {x: nan}}]",
            "queues: [{name: a, durable: yes}]",
            "queues: [{name: a, durabel: true}]",
            "queues: {name: a}",
            "- a",
            "",
            "# nothing\n",
            "queues: [{name: a}\n",
        ] {
            let (direct, _) = both_readings(text);
            assert!(direct.is_none(), "{text}");
        }
        let dense = format!("queues: [{}]", "{name: a},".repeat(limits::MAX_NODES / 4));
        assert!(direct::documents::<TypedDocument>(&dense, limits::MAX_NODES).is_none());
    }

    /// Scalars as files write them: names, numbers in every YAML form,
    /// booleans and nulls of both YAML versions, quoted look-alikes.
    const SCALARS: &[&str] = &[
        "q",
        "order.*",
        "events",
        "3.10.8",
        "1_000",
        "0X1F",
        "123",
        "0",
        "-5",
        "-0",
        "007",
        "+1",
        "~",
        "null",
        "NULL",
        "''",
        "true",
        "True",
        "TRUE",
        "yes",
        "no",
        "on",
        "'123'",
        "\"true\"",
        "\"a\\tb\"",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "classic",
        "queue",
        "exchange",
        "Queue",
        "topic",
        "é",
        "\"\\u00e9\"",
        "a, b",
        "'x: y'",
        "",
        "x-1e3",
        "inf-x",
        "nano",
    ];
    /// Scalars only serde_yaml reads: floats, other integers, tags,
    /// anchors and aliases.
    const RARE_SCALARS: &[&str] = &[
        "0x1F",
        "0o17",
        "1e3",
        "1.5",
        ".5",
        ".inf",
        "-.inf",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "!!str 5",
        "!!int '5'",
        "&a x",
        "*a",
    ];
    const BOOLEANS: &[&str] = &["true", "false", "True", "FALSE", "yes", "'true'", "~", "1"];
    const INTEGERS: &[&str] = &["0", "10", "-3", "007", "0x10", "+4", "1.0", "'5'", "~", "a"];
    const KEYS: &[&str] = &["x-message-ttl", "x-queue-type", "1", "''", "a", "a"];

    /// What a field of an object holds.
    #[derive(Clone, Copy, Debug)]
    enum Field {
        Text,
        Boolean,
        Integer,
        Mapping,
        List,
    }

    /// The fields of each section's items, required ones first.
    fn fields(section: &str) -> &'static [(&'static str, Field)] {
        use Field::*;
        match section {
            "vhosts" => &[
                ("name", Text),
                ("description", Text),
                ("tags", List),
                ("default_queue_type", Text),
            ],
            "exchanges" => &[
                ("name", Text),
                ("type", Text),
                ("vhost", Text),
                ("durable", Boolean),
                ("auto_delete", Boolean),
                ("internal", Boolean),
                ("arguments", Mapping),
            ],
            "queues" => &[
                ("name", Text),
                ("arguments", Mapping),
                ("vhost", Text),
                ("durable", Boolean),
                ("auto_delete", Boolean),
            ],
            "bindings" => &[
                ("source", Text),
                ("destination", Text),
                ("destination_type", Text),
                ("routing_key", Text),
                ("arguments", Mapping),
                ("vhost", Text),
            ],
            "policies" => &[
                ("name", Text),
                ("pattern", Text),
                ("definition", Mapping),
                ("vhost", Text),
                ("apply-to", Text),
                ("priority", Integer),
            ],
            "routes" => &[
                ("exchange", Text),
                ("reaches", List),
                ("vhost", Text),
                ("routing_key", Text),
                ("headers", Mapping),
            ],
            _ => &[("name", Text), ("durabel", Boolean)],
        }
    }

    fn pick(pool: &'static [&'static str]) -> proptest::sample::Select<&'static str> {
        proptest::sample::select(pool)
    }

    /// A YAML value in flow style, a few levels deep.
    fn flow_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scalar = prop_oneof![19 => pick(SCALARS), 1 => pick(RARE_SCALARS)];
        scalar
            .prop_map(str::to_string)
            .prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4)
                        .prop_map(|items| format!("[{}]", items.join(", "))),
                    proptest::collection::vec((pick(KEYS), inner), 0..4).prop_map(|pairs| {
                        let pairs: Vec<String> =
                            pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                        format!("{{{}}}", pairs.join(", "))
                    }),
                ]
            })
    }

    /// A value for a field of that kind: mostly of the right type.
    fn field_value(field: Field) -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        let text =
            prop_oneof![19 => pick(SCALARS), 1 => pick(RARE_SCALARS)].prop_map(str::to_string);
        match field {
            Field::Text => prop_oneof![19 => text, 1 => flow_value()].boxed(),
            Field::Boolean => pick(BOOLEANS).prop_map(str::to_string).boxed(),
            Field::Integer => pick(INTEGERS).prop_map(str::to_string).boxed(),
            Field::List => prop_oneof![
                4 => proptest::collection::vec(text.clone(), 0..3)
                    .prop_map(|items| format!("[{}]", items.join(", "))),
                1 => text,
            ]
            .boxed(),
            Field::Mapping => prop_oneof![
                9 => proptest::collection::vec((pick(KEYS), flow_value()), 0..3).prop_map(
                    |pairs| {
                        let pairs: Vec<String> =
                            pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                        format!("{{{}}}", pairs.join(", "))
                    }
                ),
                1 => flow_value(),
            ]
            .boxed(),
        }
    }

    /// An item of `section`: its required fields nearly always, each other
    /// one half the time.
    fn item(section: &'static str) -> proptest::strategy::BoxedStrategy<String> {
        use proptest::prelude::*;
        let fields: Vec<_> = fields(section)
            .iter()
            .enumerate()
            .map(|(i, &(key, kind))| {
                let odds = if i < 2 { 0.95 } else { 0.5 };
                proptest::option::weighted(odds, field_value(kind))
                    .prop_map(move |value| value.map(|v| format!("{key}: {v}")))
            })
            .collect();
        fields
            .prop_map(|fields| {
                let fields: Vec<String> = fields.into_iter().flatten().collect();
                format!("{{{}}}", fields.join(", "))
            })
            .boxed()
    }

    const SECTIONS: &[&str] = &[
        "vhosts",
        "exchanges",
        "queues",
        "bindings",
        "policies",
        "routes",
        "queues",
        "rabbit_version",
        "users",
        "queus",
    ];

    /// A file of one to three documents, each a block mapping of sections
    /// whose values are flow lists of items (or, now and then, anything).
    fn yaml_file() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let section = pick(SECTIONS).prop_flat_map(|section| {
            let value = prop_oneof![
                9 => proptest::collection::vec(item(section), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(", "))),
                1 => flow_value(),
            ];
            (Just(section), value)
        });
        let document = proptest::collection::vec(section, 1..3).prop_map(|sections| {
            sections
                .iter()
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect::<String>()
        });
        proptest::collection::vec(document, 1..3).prop_map(|documents| documents.join("---\n"))
    }

    proptest::proptest! {
        // About a quarter of the files are read straight from the events;
        // only those are compared.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        #[test]
        fn a_file_read_straight_from_its_events_reads_as_serde_yaml_reads_it(text in yaml_file()) {
            let (direct, serde_yaml) = both_readings(&text);
            if let Some(direct) = direct {
                proptest::prop_assert_eq!(Ok(direct), serde_yaml, "{}", text);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_parser_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_file(0, "t.yaml", &bytes, &mut ProbeBudget::default());
        }

        #[test]
        fn no_yaml_like_text_makes_the_parser_panic(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "queues:", "\n", "  - ", "name: ", "a", "{", "}", "[", "]", ",", ": ",
                    "&x ", "*x", "!!str ", "---\n", "\"", "'", "#", "\t", "vhosts:", "arguments:",
                    "x-message-ttl: ", "6e4", "bindings:", "source: ", "- ", "? ", "|\n", "<<: *x",
                ]),
                0..40,
            )
        ) {
            let text: String = pieces.concat();
            let _ = parse_file(0, "t.yaml", text.as_bytes(), &mut ProbeBudget::default());
        }
    }
}
