//! The one reading of a topology file: YAML events (JSON is YAML), each
//! with its line and column, built into small positioned trees one
//! top-level value or list item at a time. The events are saphyr-parser's,
//! or the same events from [`super::quick`] for a file in plain YAML.
//!
//! A file is read once, front to back. The lists of a document's top-level
//! mapping are handed over item by item, so no more than one item's tree
//! (and the anchored nodes aliases may still need) is held at a time.
//! Every node built, and every node an alias stands for, is counted
//! against one budget ([`MAX_NODES`]); nesting, aliases included, is
//! bounded by [`MAX_DEPTH`]. So a hostile file (an alias bomb, a megabyte
//! of `[`) is refused in time and memory proportional to the budget, not
//! to what it would expand to.
//!
//! This module knows YAML, not topologies: what the keys mean is
//! [`super::parse`]'s business, and how a tree becomes a typed value is
//! [`super::de`]'s.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput};

use super::quick::{self, QuickEvent};
use super::variables::{Unresolved, Variables};

/// Files larger than this are refused without being parsed.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Files with more YAML nodes than this (aliases counted as the nodes they
/// stand for) are refused: about 70,000 queues of a definitions export, or
/// 250,000 queues written `- name: q` with their defaults.
pub const MAX_NODES: usize = 1_000_000;

/// Deeper nesting than this is refused (a topology needs five levels).
pub const MAX_DEPTH: usize = 128;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    fn of(span: &Span) -> Position {
        Position {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// A YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub at: Position,
    pub value: Value<'a>,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Scalar(Scalar<'a>),
    Sequence(Vec<Node<'a>>),
    Mapping(Vec<(Node<'a>, Node<'a>)>),
    /// An anchored node, shared by its anchor and every alias of it.
    Shared(Rc<Node<'a>>),
}

/// A scalar as written: its text, whether it was plain (unquoted, so YAML
/// resolves `true`, `~` or `5` to other types), and its tag, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar<'a> {
    pub text: Cow<'a, str>,
    pub plain: bool,
    /// `!!str`, `!custom`, …, as written.
    pub tag: Option<Box<str>>,
}

impl<'a> Node<'a> {
    /// The node itself, or the node an anchor or alias stands for.
    pub fn resolved(&self) -> &Node<'a> {
        match &self.value {
            Value::Shared(node) => node.resolved(),
            _ => self,
        }
    }

    /// The text of a scalar node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.resolved().value {
            Value::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    /// The entries of a mapping node.
    pub fn entries(&self) -> Option<&[(Node<'a>, Node<'a>)]> {
        match &self.resolved().value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A plain `~`, `null` or empty scalar.
    pub fn is_null(&self) -> bool {
        match &self.resolved().value {
            Value::Scalar(scalar) => {
                scalar.tag.is_none() && scalar.plain && means_null(&scalar.text)
            }
            _ => false,
        }
    }

    /// `a list`, `a string`, … for messages about the wrong shape.
    pub fn describe(&self) -> &'static str {
        match &self.resolved().value {
            Value::Sequence(_) => "a list",
            Value::Mapping(_) => "a mapping",
            Value::Scalar(scalar) if scalar.tag.is_some() || !scalar.plain => "a string",
            Value::Scalar(scalar) => match resolve_plain(&scalar.text) {
                Plain::Null => "null",
                Plain::Bool(_) => "a boolean",
                Plain::Text => "a string",
                _ => "a number",
            },
            Value::Shared(_) => unreachable!("resolved"),
        }
    }
}

/// `~`, `null`, `Null`, `NULL` or nothing.
pub fn means_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// What a plain scalar means in YAML 1.2's core schema, as serde_yaml
/// reads it: `yes` and `007` are text, `0x1F` an integer, `6e4` a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    Unsigned(u64),
    Negative(i64),
    BigUnsigned(u128),
    BigNegative(i128),
    Float(f64),
    Text,
}

/// The meaning of a plain scalar's text.
pub fn resolve_plain(text: &str) -> Plain {
    if means_null(text) {
        return Plain::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    if let Some(int) = resolve_integer(text) {
        return int;
    }
    if leading_zero_digits(text) {
        return Plain::Text;
    }
    match resolve_float(text) {
        Some(float) => Plain::Float(float),
        None => Plain::Text,
    }
}

/// Decimal, `0x`, `0o` and `0b` integers with an optional sign; digits
/// after a leading zero (`007`) are text, as YAML 1.2 says.
fn resolve_integer(text: &str) -> Option<Plain> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(rest) = unsigned.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = unsigned.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = unsigned.strip_prefix("0b") {
        (2, rest)
    } else {
        if leading_zero_digits(unsigned) {
            return None;
        }
        (10, unsigned)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if negative {
        let value = 0i128.checked_sub_unsigned(magnitude)?;
        Some(match i64::try_from(value) {
            Ok(small) => Plain::Negative(small),
            Err(_) => Plain::BigNegative(value),
        })
    } else {
        Some(match u64::try_from(magnitude) {
            Ok(small) => Plain::Unsigned(small),
            Err(_) => Plain::BigUnsigned(magnitude),
        })
    }
}

/// `007`, `-01`: a leading zero followed by digits only.
fn leading_zero_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `1.5`, `6e4`, `.inf`, `-.Inf`, `.nan`.
fn resolve_float(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    // Rust also reads `inf`, `nan` and `infinity`: YAML does not.
    let float: f64 = unsigned.parse().ok()?;
    float.is_finite().then_some(float)
}

/// Why a file could not be read to its end. Everything read before stays
/// valid, but a caller should not trust a half-read file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not YAML: the parser's words, and where it stopped.
    Syntax { at: Position, message: String },
    /// More than [`MAX_NODES`] nodes, aliases expanded, at the node that
    /// passed the limit.
    TooManyNodes { at: Position, aliases: bool },
    /// Nested deeper than [`MAX_DEPTH`], aliases expanded.
    TooDeep { at: Position },
}

/// What a file holds, handed over as it is read.
pub trait FileVisitor<'a> {
    /// Whether the list under this top-level key is to be handed over item
    /// by item ([`FileVisitor::item`]) rather than whole.
    fn streams(&self, key: &str) -> bool;
    /// A document whose root is not a mapping (a null root is an empty
    /// document, and is not reported).
    fn not_a_mapping(&mut self, document: usize, root: Node<'a>);
    /// A top-level key and its whole value.
    fn entry(&mut self, document: usize, key: Node<'a>, value: Node<'a>);
    /// A top-level key whose list follows item by item.
    fn list(&mut self, document: usize, key: &Node<'a>);
    /// Item `index` of the list under `key`.
    fn item(&mut self, document: usize, key: &str, index: usize, item: Node<'a>);
}

#[cfg(test)]
thread_local! {
    /// How many times this thread has read a text: the loader's tests hold
    /// it to one reading a file.
    pub static READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Reads `text` to its end, handing its documents' contents to `visitor`.
#[cfg(test)]
pub fn read<'a>(text: &'a str, visitor: &mut dyn FileVisitor<'a>) -> Result<(), ReadError> {
    read_with(text, visitor, None).map(drop)
}

/// [`read`], putting in the `${name}` references of `variables` as each
/// scalar is read; returns the references that could not be.
pub fn read_with<'a>(
    text: &'a str,
    visitor: &mut dyn FileVisitor<'a>,
    variables: Option<&Variables>,
) -> Result<Vec<Unresolved>, ReadError> {
    #[cfg(test)]
    READS.with(|reads| reads.set(reads.get() + 1));
    let events = match quick::read(text) {
        Some(events) => Events::Quick {
            text,
            events: events.into_iter(),
            peeked: None,
        },
        None => Events::Parser(Box::new(Parser::new_from_str(text))),
    };
    let mut reader = Reader {
        events,
        anchors: HashMap::new(),
        nodes: 0,
        aliased: false,
        variables,
        unresolved: Vec::new(),
    };
    reader.file(visitor)?;
    Ok(reader.unresolved)
}

/// A tag as written: `!!str` for YAML's own, `!name` for local ones.
fn tag_text(tag: &saphyr_parser::Tag) -> Box<str> {
    let text = if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    text.into_boxed_str()
}

fn syntax_error(err: &saphyr_parser::ScanError) -> ReadError {
    ReadError::Syntax {
        at: Position {
            line: err.marker().line(),
            column: err.marker().col() + 1,
        },
        message: err.info().to_string(),
    }
}

fn end_of_stream() -> ReadError {
    ReadError::Syntax {
        at: Position::default(),
        message: "unexpected end of the stream".to_string(),
    }
}

/// The size in nodes and the height of a built tree.
fn measure(node: &Node<'_>) -> (usize, usize) {
    let children: Vec<(usize, usize)> = match &node.value {
        Value::Scalar(_) => return (1, 1),
        Value::Shared(node) => return measure(node),
        Value::Sequence(items) => items.iter().map(measure).collect(),
        Value::Mapping(entries) => entries
            .iter()
            .flat_map(|(k, v)| [measure(k), measure(v)])
            .collect(),
    };
    let size = 1 + children.iter().map(|c| c.0).sum::<usize>();
    let height = 1 + children.iter().map(|c| c.1).max().unwrap_or(0);
    (size, height)
}

/// An anchored node with what it costs each time an alias repeats it.
struct Anchored<'a> {
    node: Rc<Node<'a>>,
    size: usize,
    height: usize,
}

/// Where the reader's events come from.
enum Events<'a> {
    /// saphyr-parser, which reads any YAML and hands its events over one
    /// at a time.
    Parser(Box<Parser<'a, StrInput<'a>>>),
    /// The quick reading of a file in plain YAML ([`quick`]): the same
    /// events, read at once.
    Quick {
        text: &'a str,
        events: std::vec::IntoIter<QuickEvent>,
        peeked: Option<(Event<'a>, Position)>,
    },
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Position), ReadError> {
        match self {
            Events::Parser(parser) => match parser.next_event() {
                Some(Ok((event, span))) => Ok((event, Position::of(&span))),
                Some(Err(err)) => Err(syntax_error(&err)),
                None => Err(end_of_stream()),
            },
            Events::Quick {
                text,
                events,
                peeked,
            } => match peeked.take() {
                Some(event) => Ok(event),
                None => events
                    .next()
                    .map(|event| event.event(text))
                    .ok_or_else(end_of_stream),
            },
        }
    }

    fn peek(&mut self) -> Result<&Event<'a>, ReadError> {
        match self {
            Events::Parser(parser) => {
                let failed = match parser.peek() {
                    Some(Ok(_)) => None,
                    Some(Err(err)) => Some(syntax_error(&err)),
                    None => Some(end_of_stream()),
                };
                if let Some(err) = failed {
                    return Err(err);
                }
                match parser.peek() {
                    Some(Ok((event, _))) => Ok(event),
                    _ => unreachable!("peeked just now"),
                }
            }
            Events::Quick {
                text,
                events,
                peeked,
            } => {
                if peeked.is_none() {
                    let event = events.next().ok_or_else(end_of_stream)?;
                    *peeked = Some(event.event(text));
                }
                Ok(&peeked.as_ref().expect("peeked just now").0)
            }
        }
    }
}

struct Reader<'a, 'v> {
    events: Events<'a>,
    anchors: HashMap<usize, Anchored<'a>>,
    /// Nodes built or stood for by aliases so far, in the whole file.
    nodes: usize,
    /// Whether an alias has been met (for the wording of the refusal).
    aliased: bool,
    /// The target's variables, when there is a target.
    variables: Option<&'v Variables>,
    unresolved: Vec<Unresolved>,
}

/// A built node with its size in nodes and its height, aliases expanded.
struct Built<'a> {
    node: Node<'a>,
    size: usize,
    height: usize,
}

impl<'a> Reader<'a, '_> {
    fn next(&mut self) -> Result<(Event<'a>, Position), ReadError> {
        self.events.next()
    }

    fn peek(&mut self) -> Result<&Event<'a>, ReadError> {
        self.events.peek()
    }

    fn count(&mut self, nodes: usize, at: Position) -> Result<(), ReadError> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(ReadError::TooManyNodes {
                at,
                aliases: self.aliased,
            });
        }
        Ok(())
    }

    fn file(&mut self, visitor: &mut dyn FileVisitor<'a>) -> Result<(), ReadError> {
        let mut document = 0;
        loop {
            match self.next()?.0 {
                Event::StreamStart => {}
                Event::StreamEnd => return Ok(()),
                Event::DocumentStart(_) => {
                    self.document(document, visitor)?;
                    match self.next()?.0 {
                        Event::DocumentEnd => {}
                        _ => unreachable!("a document ends with DocumentEnd"),
                    }
                    // Anchors belong to their document.
                    self.anchors.clear();
                    document += 1;
                }
                _ => unreachable!("the stream holds documents"),
            }
        }
    }

    fn document(
        &mut self,
        document: usize,
        visitor: &mut dyn FileVisitor<'a>,
    ) -> Result<(), ReadError> {
        if !matches!(self.peek()?, Event::MappingStart(0, None)) {
            let root = self.node(1)?.node;
            match root.entries() {
                // An anchored root mapping: read whole, handed over whole.
                Some(entries) => {
                    for (key, value) in entries {
                        visitor.entry(document, key.clone(), value.clone());
                    }
                }
                None if root.is_null() => {}
                None => visitor.not_a_mapping(document, root),
            }
            return Ok(());
        }
        let at = self.next()?.1;
        self.count(1, at)?;
        loop {
            if matches!(self.peek()?, Event::MappingEnd) {
                self.next()?;
                return Ok(());
            }
            let key = self.node(2)?.node;
            let streamed = matches!(self.peek()?, Event::SequenceStart(0, None))
                && key.as_str().is_some_and(|k| visitor.streams(k));
            if !streamed {
                let value = self.node(2)?.node;
                visitor.entry(document, key, value);
                continue;
            }
            let at = self.next()?.1;
            self.count(1, at)?;
            visitor.list(document, &key);
            let name = key.as_str().unwrap_or_default();
            let mut index = 0;
            while !matches!(self.peek()?, Event::SequenceEnd) {
                let item = self.node(3)?.node;
                visitor.item(document, name, index, item);
                index += 1;
            }
            self.next()?;
        }
    }

    /// The node that starts with the next event, at nesting `depth`.
    fn node(&mut self, depth: usize) -> Result<Built<'a>, ReadError> {
        let (event, at) = self.next()?;
        if depth > MAX_DEPTH {
            return Err(ReadError::TooDeep { at });
        }
        let (built, anchor) = match event {
            Event::Alias(id) => {
                self.aliased = true;
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(ReadError::Syntax {
                        at,
                        message: "an alias to an anchor not defined before it".to_string(),
                    });
                };
                let (node, size, height) =
                    (Rc::clone(&anchored.node), anchored.size, anchored.height);
                if depth + height > MAX_DEPTH + 1 {
                    return Err(ReadError::TooDeep { at });
                }
                self.count(size, at)?;
                let node = Node {
                    at,
                    value: Value::Shared(node),
                };
                return Ok(Built { node, size, height });
            }
            Event::Scalar(text, style, anchor, tag) => {
                let scalar = Scalar {
                    text,
                    plain: style == ScalarStyle::Plain,
                    tag: tag.map(|t| tag_text(&t)),
                };
                let node = match self.variables {
                    Some(variables) => variables.substitute(scalar, at, &mut self.unresolved),
                    None => Node {
                        at,
                        value: Value::Scalar(scalar),
                    },
                };
                // A variable's list or mapping is counted like written nodes.
                let (size, height) = match &node.value {
                    Value::Scalar(_) => (1, 1),
                    _ => measure(&node),
                };
                self.count(size, at)?;
                if depth + height > MAX_DEPTH + 1 {
                    return Err(ReadError::TooDeep { at });
                }
                (Built { node, size, height }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.count(1, at)?;
                let (mut size, mut height) = (1, 1);
                let mut items = Vec::new();
                while !matches!(self.peek()?, Event::SequenceEnd) {
                    let item = self.node(depth + 1)?;
                    size += item.size;
                    height = height.max(item.height + 1);
                    items.push(item.node);
                }
                self.next()?;
                let node = Node {
                    at,
                    value: Value::Sequence(items),
                };
                (Built { node, size, height }, anchor)
            }
            Event::MappingStart(anchor, _) => {
                self.count(1, at)?;
                let (mut size, mut height) = (1, 1);
                // Room for an object's usual keys: growing from four to
                // eight was one copy per object of a large file.
                let mut entries = Vec::with_capacity(8);
                while !matches!(self.peek()?, Event::MappingEnd) {
                    let key = self.node(depth + 1)?;
                    let value = self.node(depth + 1)?;
                    size += key.size + value.size;
                    height = height.max(key.height.max(value.height) + 1);
                    entries.push((key.node, value.node));
                }
                self.next()?;
                let node = Node {
                    at,
                    value: Value::Mapping(entries),
                };
                (Built { node, size, height }, anchor)
            }
            other => unreachable!("a node starts with {other:?}"),
        };
        if anchor == 0 {
            return Ok(built);
        }
        let shared = Rc::new(built.node);
        self.anchors.insert(
            anchor,
            Anchored {
                node: Rc::clone(&shared),
                size: built.size,
                height: built.height,
            },
        );
        Ok(Built {
            node: Node {
                at,
                value: Value::Shared(shared),
            },
            ..built
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what a file holds, as text.
    #[derive(Default)]
    struct Record(Vec<String>);

    impl<'a> FileVisitor<'a> for Record {
        fn streams(&self, key: &str) -> bool {
            key == "queues"
        }
        fn not_a_mapping(&mut self, document: usize, root: Node<'a>) {
            self.0.push(format!("{document} root {}", root.describe()));
        }
        fn entry(&mut self, document: usize, key: Node<'a>, value: Node<'a>) {
            self.0.push(format!(
                "{document} {}@{}:{} = {}@{}:{}",
                key.as_str().unwrap_or("?"),
                key.at.line,
                key.at.column,
                value.describe(),
                value.at.line,
                value.at.column
            ));
        }
        fn list(&mut self, document: usize, key: &Node<'a>) {
            self.0
                .push(format!("{document} list {}", key.as_str().unwrap()));
        }
        fn item(&mut self, document: usize, key: &str, index: usize, item: Node<'a>) {
            let name = item.get("name").and_then(Node::as_str).unwrap_or("?");
            self.0.push(format!(
                "{document} {key}[{index}] {name}@{}:{}",
                item.at.line, item.at.column
            ));
        }
    }

    fn record(text: &str) -> (Vec<String>, Result<(), ReadError>) {
        let mut record = Record::default();
        let result = read(text, &mut record);
        (record.0, result)
    }

    #[test]
    fn lists_are_handed_over_item_by_item_with_positions() {
        let (seen, result) = record(
            "vhosts: [{name: v}]\nqueues:\n  - name: a\n  - &b {name: b}\n  - *b\n---\n- x\n",
        );
        assert_eq!(result, Ok(()));
        assert_eq!(
            seen,
            [
                "0 vhosts@1:1 = a list@1:9",
                "0 list queues",
                "0 queues[0] a@3:5",
                "0 queues[1] b@4:5",
                "0 queues[2] b@5:5",
                "1 root a list",
            ]
        );
    }

    #[test]
    fn scalars_resolve_as_yaml_1_2_core_says() {
        assert_eq!(resolve_plain("~"), Plain::Null);
        assert_eq!(resolve_plain("True"), Plain::Bool(true));
        assert_eq!(resolve_plain("yes"), Plain::Text);
        assert_eq!(resolve_plain("007"), Plain::Text);
        assert_eq!(resolve_plain("0x1F"), Plain::Unsigned(31));
        assert_eq!(resolve_plain("-0"), Plain::Negative(0));
        assert_eq!(resolve_plain("+1"), Plain::Unsigned(1));
        assert_eq!(resolve_plain("6e4"), Plain::Float(60000.0));
        assert_eq!(resolve_plain("3.10.8"), Plain::Text);
        assert_eq!(resolve_plain("1_000"), Plain::Text);
        assert_eq!(resolve_plain("inf"), Plain::Text);
        assert_eq!(resolve_plain(".inf"), Plain::Float(f64::INFINITY));
        assert_eq!(
            resolve_plain("18446744073709551616"),
            Plain::BigUnsigned(1 << 64)
        );
        assert_eq!(
            resolve_plain("-9223372036854775808"),
            Plain::Negative(i64::MIN)
        );
    }

    #[test]
    fn an_alias_counts_as_the_nodes_it_stands_for() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e")] {
            let list = vec![format!("*{previous}"); 20].join(", ");
            text.push_str(&format!("{name}: &{name} [{list}]\n"));
        }
        let (_, result) = record(&text);
        assert!(
            matches!(result, Err(ReadError::TooManyNodes { aliases: true, .. })),
            "{result:?}"
        );
    }

    #[test]
    fn nesting_is_bounded_with_aliases_expanded() {
        let (_, result) = record(&"- ".repeat(200));
        assert!(
            matches!(result, Err(ReadError::TooDeep { .. })),
            "{result:?}"
        );
        let (_, result) = record(&"[".repeat(100_000));
        assert!(result.is_err());
        // Each anchor is 100 deep; together they would be 300.
        let deep = |name: &str, inner: &str| {
            format!(
                "{name}: &{name} {}{inner}{}\n",
                "[".repeat(99),
                "]".repeat(99)
            )
        };
        let text = deep("a", "x") + &deep("b", "*a") + &deep("c", "*b");
        let (_, result) = record(&text);
        assert!(
            matches!(result, Err(ReadError::TooDeep { .. })),
            "{result:?}"
        );
    }
}
