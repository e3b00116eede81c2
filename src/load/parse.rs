//! One file's bytes to the objects it declares, with every error it
//! holds: YAML syntax and size, top-level keys (definitions-export keys
//! accepted or refused), and each list item's own type errors.
//!
//! The file is read once ([`yaml::read`]); each list item arrives as a
//! positioned tree, is deserialised into its type ([`de::from_node`]) on
//! its own, so one bad queue does not hide a bad binding, and keeps the
//! positions of its fields for the checks that follow. Nothing here
//! touches the disk or checks rules across objects.

use std::collections::HashSet;

use super::de::{self, DeError, Problem, Seg};
use super::variables::{Unresolved, Variables};
use super::yaml::{self, FileVisitor, Node, Position, ReadError, Value};
use super::{Diagnostic, FieldPositions, Origin, Origins};
use crate::model::json_schema::EXPORT_VERSION_KEYS;
use crate::model::{
    Binding, Exchange, GlobalParameter, Parameter, Permission, Policy, Queue, RouteAssertion,
    TopicPermission, Topology, User, Vhost,
};
use crate::rules::{Section, binding_label, route_label};

/// Keys of a definitions export that warren does not manage: refused, so
/// that nobody believes a file full of users is being applied.
pub const UNMANAGED_KEYS: &[&str] = &["limits", "vhost_limits", "user_limits", "operator_policies"];

/// What one file holds. Where its objects are written is recorded in the
/// load's [`Origins`].
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// The objects that parsed; items with errors are left out.
    pub topology: Topology,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// The errors at references to variables that could not be put in.
    pub unresolved: Vec<Diagnostic>,
}

/// Parses the file numbered `file` (its index in the list of files read),
/// called `name` in messages, recording where its objects are in
/// `origins`.
pub fn parse_file(
    file: usize,
    name: &str,
    bytes: &[u8],
    origins: &mut Origins,
    variables: Option<&Variables>,
) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    if bytes.len() > yaml::MAX_FILE_BYTES {
        parsed
            .errors
            .push(Diagnostic::in_file(name, too_many_bytes()));
        return parsed;
    }
    let text = match text_of(bytes) {
        Ok(text) => text,
        Err(err) => {
            parsed.errors.push(not_utf8(name, bytes, &err));
            return parsed;
        }
    };
    let mark = origins.mark();
    let mut parser = FileParser {
        file,
        name,
        parsed,
        origins,
        counts: [0; Section::COUNT],
        document: usize::MAX,
        keys: HashSet::new(),
        skipping: false,
        unreported: 0,
        deferred: Vec::new(),
        definitions: is_definitions_file(name, text),
    };
    let unresolved = match yaml::read_with(text, &mut parser, variables) {
        Ok(unresolved) => unresolved,
        Err(err) => {
            // What was read before a syntax error or a limit is not trusted:
            // the file gives that one error.
            parser.origins.truncate(mark);
            let mut parsed = ParsedFile::default();
            parsed.errors.push(read_error(name, text, err));
            return parsed;
        }
    };
    for deferred in std::mem::take(&mut parser.deferred) {
        let Deferred {
            section,
            document,
            item,
            index,
            node,
        } = deferred;
        parser.adopt_item(section, document, item, index, &node);
    }
    let declared: usize = parser.counts.iter().sum();
    if parser.unreported > 0 {
        let message = format!(
            "{} more items are refused, not shown (the first {MAX_ITEM_ERRORS} errors are)",
            parser.unreported
        );
        parser
            .parsed
            .errors
            .push(Diagnostic::in_file(name, message));
    }
    let mut parsed = parser.parsed;
    if let (Some(variables), false) = (variables, unresolved.is_empty()) {
        report_unresolved(name, &mut parsed, &unresolved, variables);
    }
    if declared == 0 && parsed.errors.is_empty() {
        parsed.warnings.push(Diagnostic::in_file(
            name,
            "the file declares nothing (no vhosts, exchanges, queues, bindings, policies or routes)",
        ));
    }
    parsed
}

/// An error at each reference that could not be put in; the load drops
/// what else is said at the same place (that a `${ttl}` left as written is
/// a string where a number belongs is no news).
fn report_unresolved(
    name: &str,
    parsed: &mut ParsedFile,
    unresolved: &[Unresolved],
    variables: &Variables,
) {
    for reference in unresolved {
        parsed.unresolved.push(Diagnostic {
            file: Some(name.to_string()),
            object: None,
            line: Some(reference.at.line),
            column: Some(reference.at.column),
            message: reference.message(variables),
        });
    }
}

/// The text of a file: UTF-8, without the byte-order mark some editors
/// write.
pub fn text_of(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let text = std::str::from_utf8(bytes)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The error for a file longer than [`yaml::MAX_FILE_BYTES`] (which is read
/// no further than that).
pub fn too_many_bytes() -> String {
    format!(
        "the file is larger than {} MiB, the most one file may be; split the topology into \
         several files, which merge",
        yaml::MAX_FILE_BYTES >> 20
    )
}

/// A file that could not be read to its end, in warren's words.
fn read_error(name: &str, text: &str, err: ReadError) -> Diagnostic {
    let (at, message) = match err {
        ReadError::TooManyNodes { at, aliases: true } => (
            Some(at),
            format!(
                "aliases expand to too many nodes (an alias bomb?): refused; a file may hold \
                 at most {} YAML nodes, aliases expanded",
                thousands(yaml::MAX_NODES)
            ),
        ),
        ReadError::TooManyNodes { at, aliases: false } => (
            Some(at),
            format!(
                "the file holds more than {} YAML nodes (values, keys, lists and mappings), \
                 the most one file may hold; split the topology into several files, which merge",
                thousands(yaml::MAX_NODES)
            ),
        ),
        ReadError::TooDeep { at } => (
            Some(at),
            format!("nested more than {} levels deep", yaml::MAX_DEPTH),
        ),
        ReadError::Syntax { at, message } if message.contains("recursion limit exceeded") => (
            Some(at),
            format!("nested more than {} levels deep", yaml::MAX_DEPTH),
        ),
        ReadError::Syntax { at, message } => {
            let mut message = format!("invalid YAML: {message}");
            let tab = char_at(text, at) == Some('\t') || message.contains("tab");
            if tab {
                message.push_str(" (a tab: YAML indentation must use spaces)");
            }
            (Some(at), message)
        }
    };
    Diagnostic {
        file: Some(name.to_string()),
        object: None,
        line: at.map(|p| p.line),
        column: at.map(|p| p.column),
        message,
    }
}

/// The state of parsing one file: what it found so far.
struct FileParser<'n, 'a> {
    file: usize,
    name: &'n str,
    parsed: ParsedFile,
    origins: &'n mut Origins,
    /// Items seen so far per section (parsed or not), across documents:
    /// the next item's index in the file.
    counts: [usize; Section::COUNT],
    /// The document being read, and the top-level keys seen in it.
    document: usize,
    keys: HashSet<String>,
    /// The items that arrive belong to a key written twice: skipped.
    skipping: bool,
    /// Items refused past [`MAX_ITEM_ERRORS`], counted but not reported.
    unreported: usize,
    /// Whether the file is a definitions file (JSON, as RabbitMQ writes
    /// them): its objects' unknown keys are ignored with a warning, as the
    /// broker's import ignores them, where a YAML file's are errors.
    definitions: bool,
    /// Items holding anchored nodes, deserialised once the whole file has
    /// been read within the node budget: an alias may stand for thousands
    /// of nodes, which are counted, not built, and must not be turned into
    /// objects before the count has passed.
    deferred: Vec<Deferred<'a>>,
}

/// An item whose deserialisation waits for the end of the file.
struct Deferred<'a> {
    section: Section,
    document: usize,
    item: usize,
    index: usize,
    node: Node<'a>,
}

/// The most item errors one file reports one by one: a file of a million
/// bad items gets the first ones and a count, in bounded time and memory.
const MAX_ITEM_ERRORS: usize = 10_000;

impl<'a> FileVisitor<'a> for FileParser<'_, 'a> {
    fn streams(&self, key: &str) -> bool {
        Section::from_key(key).is_some()
    }

    fn not_a_mapping(&mut self, _document: usize, root: Node<'a>) {
        let message = format!(
            "the file must be a mapping with the keys {}, not {}",
            section_list(),
            root.describe()
        );
        self.error(None, Some(root.at), message);
    }

    fn entry(&mut self, document: usize, key: Node<'a>, value: Node<'a>) {
        let Some(name) = self.top_level_key(document, &key) else {
            return;
        };
        match Section::from_key(name) {
            Some(section) => match &value.resolved().value {
                _ if value.is_null() => {}
                Value::Sequence(items) => {
                    self.manage(section);
                    for (index, item) in items.iter().enumerate() {
                        self.item(section, document, index, item.clone());
                    }
                }
                _ => {
                    let message = format!(
                        "'{}' must be a list, not {}",
                        section.key(),
                        value.describe()
                    );
                    self.error(None, Some(value.at), message);
                }
            },
            None => self.other_key(name, key.at, &value),
        }
    }

    fn list(&mut self, document: usize, key: &Node<'a>) {
        let name = self.top_level_key(document, key).map(str::to_string);
        self.skipping = name.is_none();
        if let Some(section) = name.as_deref().and_then(Section::from_key) {
            self.manage(section);
        }
    }

    fn item(&mut self, document: usize, key: &str, index: usize, item: Node<'a>) {
        if self.skipping {
            return;
        }
        let section = Section::from_key(key).expect("only sections are streamed");
        self.item(section, document, index, item);
    }
}

impl<'a> FileParser<'_, 'a> {
    /// The text of a top-level key, once per document; `None` (with an
    /// error) for a key that is not a string or is written twice.
    fn top_level_key<'k>(&mut self, document: usize, key: &'k Node<'_>) -> Option<&'k str> {
        if document != self.document {
            self.document = document;
            self.keys.clear();
        }
        let Some(name) = key.as_str() else {
            let message = format!("top-level keys must be strings, found {}", key.describe());
            self.error(None, Some(key.at), message);
            return None;
        };
        if !self.keys.insert(name.to_string()) {
            let message = format!("key '{name}' is written twice in the same mapping");
            self.error(None, Some(key.at), message);
            return None;
        }
        Some(name)
    }

    /// A top-level key that is not a list of objects: an export's version
    /// key (ignored), a key warren does not manage, or a typo.
    fn other_key(&mut self, key: &str, at: Position, value: &Node<'_>) {
        if EXPORT_VERSION_KEYS.contains(&key) {
            return;
        }
        if UNMANAGED_KEYS.contains(&key) {
            if is_empty(value) {
                // An export's `parameters: []`: nothing is left out.
                return;
            }
            self.error(
                None,
                Some(at),
                format!(
                    "'{key}' is not a key of a definitions file: a vhost's limits go in the \
                     vhost (limits: {{max-queues: 10}}), a user's in the user, and operator \
                     policies are parameters (component: operator_policy); remove the key"
                ),
            );
            return;
        }
        let hint = crate::suggest::hint(key, Section::ALL.iter().map(|s| s.key()));
        if self.definitions {
            // Later brokers add keys to their exports; the import of the
            // broker that reads the file ignores what it does not know.
            self.warning(
                None,
                Some(at),
                format!(
                    "unknown key '{key}'{hint}: ignored, as RabbitMQ's import ignores keys it \
                     does not read"
                ),
            );
            return;
        }
        self.error(
            None,
            Some(at),
            format!(
                "unknown key '{key}'{hint}; expected one of: {}",
                section_list()
            ),
        );
    }

    /// Deserialises one list item into its type, or reports why it cannot
    /// be.
    fn item(&mut self, section: Section, document: usize, item: usize, node: Node<'a>) {
        let index = self.counts[section as usize];
        self.counts[section as usize] += 1;
        if shares_nodes(&node) {
            self.deferred.push(Deferred {
                section,
                document,
                item,
                index,
                node,
            });
            return;
        }
        self.adopt_item(section, document, item, index, &node);
    }

    /// Deserialises item `index` of `section` (item `item` of its list in
    /// `document`), or reports why it cannot be.
    fn adopt_item(
        &mut self,
        section: Section,
        document: usize,
        item: usize,
        index: usize,
        node: &Node<'_>,
    ) {
        if self.parsed.errors.len() >= MAX_ITEM_ERRORS && node.entries().is_none() {
            // Refused for sure (every item is a mapping), and not reported.
            self.unreported += 1;
            return;
        }
        let label = || section.label(index, &item_label(section, node));
        // Each refused field is reported and left out, and the rest tried
        // again: the object keeps its identity for the checks that follow
        // (a queue refused for one key is not then "not declared" by every
        // binding to it), and a second bad field is reported too.
        let mut attempt = std::borrow::Cow::Borrowed(node);
        let mut removed: Vec<String> = Vec::new();
        loop {
            let err = match self.adopt_node(section, &attempt) {
                Ok(()) => break,
                Err(err) => err,
            };
            if let Problem::MissingKey(key) = &err.problem {
                if removed.iter().any(|r| r == key) {
                    // Required, and refused above: that error says it all.
                    return;
                }
            }
            if self.parsed.errors.len() >= MAX_ITEM_ERRORS {
                self.unreported += 1;
                return;
            }
            let ignored = match &err.problem {
                Problem::UnknownKey { key, expected } if self.definitions => {
                    Some(ignored_key_warning(&err, key, expected, &attempt))
                }
                _ => None,
            };
            if let Some(message) = ignored {
                self.warning(Some(label()), err.at.or(Some(node.at)), message);
            } else {
                self.error(Some(label()), err.at.or(Some(node.at)), err.to_string());
            }
            match refused_path(&err) {
                Some(path) if removed.len() < MAX_FIELDS_LEFT_OUT => {
                    attempt = std::borrow::Cow::Owned(without_path(&attempt, &path));
                    removed.push(path[0].clone());
                }
                _ => return,
            }
        }
        let start = self.origins.fields.len();
        record_field_positions(node, &mut self.origins.fields);
        let fields = start..self.origins.fields.len();
        self.origins.get_mut(section).push(Origin {
            file: self.file,
            index,
            document,
            item,
            at: node.at,
            fields,
        });
    }

    /// Deserialises `node` as an object of `section` into the topology.
    fn adopt_node(&mut self, section: Section, node: &Node<'_>) -> Result<(), DeError> {
        let topology = &mut self.parsed.topology;
        match section {
            Section::Vhosts => adopt::<Vhost>(node, &mut topology.vhosts),
            Section::Exchanges => adopt::<Exchange>(node, &mut topology.exchanges),
            Section::Queues => adopt::<Queue>(node, &mut topology.queues),
            Section::Bindings => adopt::<Binding>(node, &mut topology.bindings),
            Section::Policies => adopt::<Policy>(node, &mut topology.policies),
            Section::Routes => adopt::<RouteAssertion>(node, &mut topology.routes),
            Section::Users => adopt::<User>(node, managed(&mut topology.users)),
            Section::Permissions => adopt::<Permission>(node, managed(&mut topology.permissions)),
            Section::TopicPermissions => {
                adopt::<TopicPermission>(node, managed(&mut topology.topic_permissions))
            }
            Section::Parameters => adopt::<Parameter>(node, managed(&mut topology.parameters)),
            Section::GlobalParameters => {
                adopt::<GlobalParameter>(node, managed(&mut topology.global_parameters))
            }
        }
    }

    /// Records that the file writes the key of `section`, so its kind is
    /// managed even when the list is empty.
    fn manage(&mut self, section: Section) {
        let topology = &mut self.parsed.topology;
        match section {
            Section::Users => drop(managed(&mut topology.users)),
            Section::Permissions => drop(managed(&mut topology.permissions)),
            Section::TopicPermissions => drop(managed(&mut topology.topic_permissions)),
            Section::Parameters => drop(managed(&mut topology.parameters)),
            Section::GlobalParameters => drop(managed(&mut topology.global_parameters)),
            _ => {}
        }
    }

    fn error(&mut self, object: Option<String>, at: Option<Position>, message: String) {
        let diagnostic = self.diagnostic(object, at, message);
        self.parsed.errors.push(diagnostic);
    }

    fn warning(&mut self, object: Option<String>, at: Option<Position>, message: String) {
        let diagnostic = self.diagnostic(object, at, message);
        self.parsed.warnings.push(diagnostic);
    }

    fn diagnostic(
        &self,
        object: Option<String>,
        at: Option<Position>,
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            file: Some(self.name.to_string()),
            object: object.map(|o| super::shorten(&o)),
            line: at.map(|p| p.line),
            column: at.map(|p| p.column),
            message: super::shorten(&message),
        }
    }
}

/// The most fields of one object left out after errors before it is given
/// up: a mapping of a thousand bad keys is one object's problem.
const MAX_FIELDS_LEFT_OUT: usize = 16;

/// The field of an object an error is about, when leaving it out could
/// let the rest of the object be read: an unknown key (inside the field
/// that holds it: `[metadata, foo]`), or a bad value (its top-level field).
fn refused_path(err: &DeError) -> Option<Vec<String>> {
    let keys: Option<Vec<String>> = err
        .path
        .iter()
        .map(|seg| match seg {
            Seg::Key(key) => Some(key.clone()),
            Seg::Index(_) => None,
        })
        .collect();
    match (&err.problem, err.path.as_slice()) {
        (Problem::UnknownKey { key, .. }, _) => {
            let mut path = keys?;
            path.push(key.clone());
            Some(path)
        }
        (Problem::DuplicateKey(_), []) => None,
        (_, [Seg::Key(key), ..]) => Some(vec![key.clone()]),
        _ => None,
    }
}

/// A mapping node without the entry at `path` (every entry of its last
/// key, if written twice); the mappings on the way are copied.
fn without_path<'a>(node: &Node<'a>, path: &[String]) -> Node<'a> {
    let Some((key, rest)) = path.split_first() else {
        return node.clone();
    };
    let entries = node
        .entries()
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| {
            if k.as_str() != Some(key) {
                Some((k.clone(), v.clone()))
            } else if rest.is_empty() {
                None
            } else {
                Some((k.clone(), without_path(v, rest)))
            }
        })
        .collect();
    Node {
        at: node.resolved().at,
        value: Value::Mapping(entries),
    }
}

/// The warning for a key of a definitions file that RabbitMQ does not read:
/// a "did you mean" only for a key the object does not hold already (a
/// binding's `description` is no misspelt `destination`).
fn ignored_key_warning(err: &DeError, key: &str, expected: &[&str], object: &Node<'_>) -> String {
    let inside = err.path.iter().try_fold(object, |node, seg| match seg {
        Seg::Key(k) => node.get(k),
        Seg::Index(_) => None,
    });
    let held = |k: &str| inside.is_some_and(|node| node.get(k).is_some());
    let candidates = expected.iter().copied().filter(|k| !held(k));
    let hint = crate::suggest::hint(key, candidates);
    let mut path = err.path_text();
    if !path.is_empty() {
        path.push('.');
    }
    format!(
        "unknown key '{path}{key}'{hint}: ignored, as RabbitMQ's import ignores keys it does not read"
    )
}

/// A definitions file is JSON, as RabbitMQ writes them: named `*.json`,
/// or a text that opens with `{`.
fn is_definitions_file(name: &str, text: &str) -> bool {
    name.ends_with(".json") || text.trim_start().starts_with('{')
}

/// Whether `node` holds an anchored node (its own anchor, or an alias).
fn shares_nodes(node: &Node<'_>) -> bool {
    match &node.value {
        Value::Shared(_) => true,
        Value::Scalar(_) => false,
        Value::Sequence(items) => items.iter().any(shares_nodes),
        Value::Mapping(entries) => entries
            .iter()
            .any(|(key, value)| shares_nodes(key) || shares_nodes(value)),
    }
}

/// The list of a kind that is managed only when its key is written.
fn managed<T>(list: &mut Option<Vec<T>>) -> &mut Vec<T> {
    list.get_or_insert_with(Vec::new)
}

/// Deserialises `node` into a `T` pushed onto `list`.
fn adopt<T>(node: &Node<'_>, list: &mut Vec<T>) -> Result<(), DeError>
where
    T: for<'de> serde::Deserialize<'de>,
{
    list.push(de::from_node(node)?);
    Ok(())
}

/// Records where the fields of an object are written, and the keys of
/// the mappings they hold (`arguments.x-message-ttl`).
fn record_field_positions(node: &Node<'_>, table: &mut FieldPositions) {
    for (key, value) in node.entries().unwrap_or_default() {
        let Some(key) = key.as_str() else { continue };
        table.record(&[key], value.at);
        for (inner, inner_value) in value.entries().unwrap_or_default() {
            if let Some(inner) = inner.as_str() {
                table.record(&[key, inner], inner_value.at);
            }
        }
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
/// two ends for a binding.
fn item_label(section: Section, item: &Node<'_>) -> String {
    let text = |key: &str| item.get(key).and_then(Node::as_str).map(str::to_string);
    match section {
        Section::Bindings => match (text("source"), text("destination")) {
            (Some(source), Some(destination)) => binding_label(&source, &destination),
            _ => String::new(),
        },
        Section::Routes => match text("exchange") {
            Some(exchange) => route_label(&exchange, &text("routing_key").unwrap_or_default()),
            None => String::new(),
        },
        Section::Permissions | Section::TopicPermissions => match (text("user"), text("vhost")) {
            (Some(user), Some(vhost)) => format!("{user} @ {vhost}"),
            (Some(user), None) => user,
            _ => String::new(),
        },
        Section::Parameters => match (text("component"), text("name")) {
            (Some(component), Some(name)) => format!("{component} {name}"),
            _ => text("name").unwrap_or_default(),
        },
        _ => text("name").unwrap_or_default(),
    }
}

fn section_list() -> String {
    Section::ALL
        .iter()
        .map(|s| s.key())
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_empty(value: &Node<'_>) -> bool {
    match &value.resolved().value {
        _ if value.is_null() => true,
        Value::Sequence(items) => items.is_empty(),
        Value::Mapping(entries) => entries.is_empty(),
        _ => false,
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

/// `1,000,000`
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Position;

    fn parse(text: &str) -> ParsedFile {
        parse_with_origins(text).0
    }

    fn parse_with_origins(text: &str) -> (ParsedFile, Origins) {
        let mut origins = Origins::default();
        let parsed = parse_file(0, "t.yaml", text.as_bytes(), &mut origins, None);
        (parsed, origins)
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
        let (parsed, origins) = parse_with_origins(
            "vhosts: [{name: /}]\nqueues:\n  - name: a\n  - name: b\n    arguments: {x-expires: 5}\n",
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.topology.queues.len(), 2);
        let b = &origins.get(Section::Queues)[1];
        assert_eq!((b.index, b.item), (1, 1));
        assert_eq!(b.at, Position { line: 4, column: 5 });
        let at = |path: &[&str]| {
            let path: Vec<String> = path.iter().map(|k| k.to_string()).collect();
            origins.field(b, &path).map(|p| (p.line, p.column))
        };
        assert_eq!(at(&["name"]), Some((4, 11)));
        assert_eq!(at(&["arguments", "x-expires"]), Some((5, 28)));
        assert_eq!(at(&["vhost"]), None);
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
                 expected one of: name, vhost, durable, auto_delete, arguments, type",
                "t.yaml:8:23: bindings[0] e -> b: destination_type: unknown value 'queues' \
                 (did you mean 'queue'?); expected one of: queue, exchange",
            ]
        );
        // Both queues are kept, the bad key left out, so that no check
        // that follows reports the first queue missing.
        assert_eq!(parse(text).topology.queues.len(), 2);
    }

    #[test]
    fn one_cause_gives_one_error_and_each_bad_field_its_own() {
        // The queue keeps its identity: the binding to it is not reported.
        let text = "\
vhosts: [{name: /, limits: {max-queues: 5}}]
exchanges: [{name: e, type: direct}]
queues:
  - {name: q, durabel: true, auto_delete: maybe}
bindings:
  - {source: e, destination: q}
";
        assert_eq!(
            errors(text),
            [
                "t.yaml:4:15: queues[0] q: unknown key 'durabel' (did you mean 'durable'?); \
                 expected one of: name, vhost, durable, auto_delete, arguments, type",
                "t.yaml:4:43: queues[0] q: auto_delete: invalid type: string \"maybe\", \
                 expected a boolean",
            ]
        );
        // A required field refused is one error, not also a missing key.
        assert_eq!(
            errors("queues: [{name: [a]}]"),
            ["t.yaml:1:17: queues[0]: name: invalid type: sequence, expected a string"]
        );
    }

    #[test]
    fn a_scalar_reads_as_the_string_it_is_written_as() {
        // A regression guard: a `Value` holds `2024` as a number, which its
        // own deserialiser refuses as a string; the text does not.
        let text = "vhosts: [{name: '2024'}]\nqueues:\n  - name: 2024\n    vhost: 2024\n  - name: 007\n    vhost: 2024\n    durable: maybe\n";
        let parsed = parse(text);
        // The queue refused for `durable: maybe` is kept without it.
        assert_eq!(parsed.topology.queues.len(), 2, "{:?}", parsed.errors);
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
        let errors = errors("vhosts: [{name: /}]\nuser_limits:\n  - user: guest\n");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("t.yaml:2:1: 'user_limits' is not a key of a definitions file"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_kind_is_managed_when_its_key_is_written_even_empty() {
        let parsed = parse(
            "vhosts: [{name: /}]\nusers: []\npermissions:\n  - {user: a, configure: x, write: x, read: x}\n",
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.topology.users, Some(vec![]));
        assert_eq!(parsed.topology.permissions().len(), 1);
        assert_eq!(parsed.topology.parameters, None);
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
              expected one of: vhosts, exchanges, queues, bindings, policies, routes, users, \
              permissions, topic_permissions, parameters, global_parameters"]
        );
    }

    #[test]
    fn an_unknown_top_level_key_of_a_definitions_file_is_ignored_with_a_warning() {
        let mut origins = Origins::default();
        let parsed = parse_file(
            0,
            "d.json",
            br#"{"vhosts": [{"name": "/"}], "explanation_v2": {}}"#,
            &mut origins,
            None,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(
            parsed.warnings[0].to_string(),
            "d.json:1:29: unknown key 'explanation_v2': ignored, as RabbitMQ's import ignores \
             keys it does not read"
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
        let (parsed, origins) = parse_with_origins(
            "queues: [{name: a}]\n---\nqueues: [{name: b}, {name: c, bad: 1}]\n",
        );
        assert_eq!(parsed.topology.queues.len(), 3);
        assert_eq!(origins.get(Section::Queues)[1].index, 1);
        assert_eq!(origins.get(Section::Queues)[1].document, 1);
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
            ["t.yaml:2:1: invalid YAML: while parsing a flow sequence, expected ',' or ']'"]
        );
    }

    #[test]
    fn a_duplicate_key_is_found_where_it_is_repeated() {
        assert_eq!(
            errors("queues:\n  - name: a\n    durable: true\n    name: b\n"),
            ["t.yaml:4:5: queues[0] a: key 'name' is written twice in the same mapping"]
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
            &mut Origins::default(),
            None,
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

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_parser_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_file(0, "t.yaml", &bytes, &mut Origins::default(), None);
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
            let _ = parse_file(0, "t.yaml", text.as_bytes(), &mut Origins::default(), None);
        }
    }
}
