//! The canonical form of a topology file, for `warren fmt`: top-level
//! sections in the schema's order (`vhosts`, `exchanges`, `queues`,
//! `bindings`, `policies`, `routes`, then any other key as written), each
//! object's keys in its model's order (`name`, `vhost`, `type`, …), list
//! items at two spaces (`  - name: x`) with their keys at four, one blank
//! line between sections and none repeated. Comments, values, quoting,
//! defaults and the order of the objects stay as written.
//!
//! It works on the text, not on a parsed value, because a value has no
//! comments: saphyr-parser's events say where each section, item and key
//! starts, and whole lines move. A comment belongs to the line below it
//! (a comment indented deeper than that line, to the value above); the
//! comments before the first section stay at the top of the file. The
//! result is checked before it is given: it must hold the same YAML data
//! (mappings compared as sets) and the same lines, only moved and
//! re-indented. What it cannot put in that form safely (several
//! documents, anchors, items not written `- key: value`, a result that
//! fails the check) is left as written, with the reason; YAML that holds
//! no topology section (a CI workflow) is not touched.
//!
//! Pure: text in, text out. Reading and writing files is the command's.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// The top-level sections and, for each, the order of its objects' keys:
/// the model's fields (`crate::model`), in the order a definitions export
/// writes them where it has them.
pub const SECTIONS: &[(&str, &[&str])] = &[
    (
        "vhosts",
        &[
            "name",
            "description",
            "tags",
            "default_queue_type",
            "limits",
            "metadata",
        ],
    ),
    (
        "exchanges",
        &[
            "name",
            "vhost",
            "type",
            "durable",
            "auto_delete",
            "internal",
            "arguments",
        ],
    ),
    (
        "queues",
        &[
            "name",
            "vhost",
            "type",
            "durable",
            "auto_delete",
            "arguments",
        ],
    ),
    (
        "bindings",
        &[
            "source",
            "vhost",
            "destination",
            "destination_type",
            "routing_key",
            "arguments",
        ],
    ),
    (
        "policies",
        &[
            "name",
            "vhost",
            "pattern",
            "apply_to",
            "priority",
            "definition",
        ],
    ),
    (
        "routes",
        &["exchange", "vhost", "routing_key", "headers", "reaches"],
    ),
];

/// Nesting deeper than this is left as written (a topology needs five
/// levels; the loader refuses what is deeper still).
const MAX_DEPTH: usize = 128;

/// What `warren fmt` makes of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canonical {
    /// The file in canonical form: the same text when it already is.
    Text(String),
    /// The file cannot be put in canonical form safely; why.
    LeftAsWritten(String),
}

/// What `warren fmt` did with one file, for its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Already in canonical form.
    Canonical,
    /// Rewritten in canonical form.
    Rewritten,
    /// Not in canonical form (`--check`, `--diff`: nothing written): the
    /// file's text and its canonical form.
    Differs { text: String, canonical: String },
    /// Not put in canonical form, and why ([`Canonical::LeftAsWritten`]).
    LeftAsWritten(String),
    /// Not read, not YAML, or not written: the error, which names the
    /// place. The file is as it was.
    Failed(String),
    /// A path that names no file or directory to read: the error.
    NotFound(String),
}

/// A file that is not YAML: where the parser stopped, and its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The canonical form of the topology file `text`.
pub fn canonical_form(text: &str) -> Result<Canonical, SyntaxError> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let crlf = body.contains("\r\n");
    let body: Cow<str> = if crlf {
        Cow::Owned(body.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(body)
    };
    let events = events(&body)?;
    let outline = match outline(&body, &events) {
        Ok(Some(outline)) => outline,
        Ok(None) => return Ok(Canonical::Text(text.to_string())),
        Err(reason) => return Ok(Canonical::LeftAsWritten(reason)),
    };
    let lines: Vec<&str> = body.lines().collect();
    let formatted = match layout(&lines, &outline) {
        Ok(formatted) => formatted,
        Err(reason) => return Ok(Canonical::LeftAsWritten(reason)),
    };
    if let Err(reason) = same_content(&body, &events, &formatted) {
        return Ok(Canonical::LeftAsWritten(reason));
    }
    let formatted = if crlf {
        formatted.replace('\n', "\r\n")
    } else {
        formatted
    };
    Ok(Canonical::Text(format!("{bom}{formatted}")))
}

/// Every event of `text`, or where it stops being YAML.
fn events(text: &str) -> Result<Vec<(Event<'_>, Span)>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut events = Vec::new();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let end = matches!(event, Event::StreamEnd);
        events.push((event, span));
        if end {
            break;
        }
    }
    Ok(events)
}

// ---------------------------------------------------------------------------
// Where things are.

/// A mapping key: its text, and where it starts (0-based line, column in
/// characters).
#[derive(Debug, Clone)]
struct Key {
    name: String,
    line: usize,
    column: usize,
}

/// A list item: where its `-` is, and its keys in file order (`None` for
/// an item written in flow style, `- {…}`, which moves as it is).
#[derive(Debug, Clone)]
struct Item {
    dash_line: usize,
    dash_column: usize,
    keys: Option<Vec<Key>>,
}

/// A top-level key, and its list items when it is a section of objects
/// written as a block list (`None`: its value moves as it is).
#[derive(Debug, Clone)]
struct Section {
    key: Key,
    items: Option<Vec<Item>>,
}

/// The top-level keys of a file whose root is a block mapping; `None` when
/// there is nothing to order (an empty file, a scalar or flow root, a
/// mapping without any topology section).
fn outline(text: &str, events: &[(Event<'_>, Span)]) -> Result<Option<Vec<Section>>, String> {
    let documents = events
        .iter()
        .filter(|(e, _)| matches!(e, Event::DocumentStart(_)))
        .count();
    if documents > 1 {
        return Err("it holds several YAML documents".into());
    }
    if events.iter().any(|(e, _)| match e {
        Event::Alias(_) => true,
        Event::Scalar(_, _, anchor, _)
        | Event::SequenceStart(anchor, _)
        | Event::MappingStart(anchor, _) => *anchor != 0,
        _ => false,
    }) {
        return Err("it uses anchors and aliases, which moving keys could break".into());
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut i = events
        .iter()
        .position(|(e, _)| !matches!(e, Event::StreamStart | Event::DocumentStart(_)))
        .unwrap_or(events.len());
    match events.get(i) {
        Some((Event::MappingStart(..), span)) if !is_flow(&lines, span) => {}
        _ => return Ok(None),
    }
    i += 1;
    let mut sections = Vec::new();
    while let Some((event, span)) = events.get(i) {
        if matches!(event, Event::MappingEnd) {
            break;
        }
        let key = scalar_key(event, span).ok_or("a top-level key is not a plain text")?;
        if key.column != 0 {
            return Err(format!(
                "the top-level key '{}' does not start its line",
                key.name
            ));
        }
        i += 1;
        let known = SECTIONS.iter().any(|(name, _)| *name == key.name);
        let items = if known {
            list_items(&lines, events, &mut i)?
        } else {
            skip_node(events, &mut i, 0)?;
            None
        };
        sections.push(Section { key, items });
    }
    // A YAML file that declares no topology (a CI workflow) is not ours.
    let topology = sections
        .iter()
        .any(|s| SECTIONS.iter().any(|(name, _)| *name == s.key.name));
    Ok(topology.then_some(sections))
}

/// A key event's text and place, when it is a scalar.
fn scalar_key(event: &Event<'_>, span: &Span) -> Option<Key> {
    match event {
        Event::Scalar(text, _, _, _) => Some(Key {
            name: text.to_string(),
            line: span.start.line() - 1,
            column: span.start.col(),
        }),
        _ => None,
    }
}

/// Whether the collection starting at `span` is written in flow style.
fn is_flow(lines: &[&str], span: &Span) -> bool {
    char_at(lines, span.start.line() - 1, span.start.col()).is_some_and(|c| c == '{' || c == '[')
}

fn char_at(lines: &[&str], line: usize, column: usize) -> Option<char> {
    lines.get(line)?.chars().nth(column)
}

/// The items of the value at `events[*i]` when it is a block list of
/// objects each written `- key: value` or `- {…}`, moving `i` past it.
fn list_items(
    lines: &[&str],
    events: &[(Event<'_>, Span)],
    i: &mut usize,
) -> Result<Option<Vec<Item>>, String> {
    let start = *i;
    let block_list =
        matches!(&events[start], (Event::SequenceStart(..), span) if !is_flow(lines, span));
    if !block_list {
        skip_node(events, i, 0)?;
        return Ok(None);
    }
    *i += 1;
    let mut items = Vec::new();
    let mut plain = true;
    while let Some((event, span)) = events.get(*i) {
        if matches!(event, Event::SequenceEnd) {
            *i += 1;
            break;
        }
        let line = span.start.line() - 1;
        let column = span.start.col();
        let dash_column = dash_before(lines, line, column);
        match (event, dash_column) {
            (Event::MappingStart(..), Some(dash_column)) if is_flow(lines, span) => {
                skip_node(events, i, 0)?;
                items.push(Item {
                    dash_line: line,
                    dash_column,
                    keys: None,
                });
            }
            (Event::MappingStart(..), Some(dash_column)) => {
                *i += 1;
                let mut keys = Vec::new();
                while let Some((event, span)) = events.get(*i) {
                    if matches!(event, Event::MappingEnd) {
                        *i += 1;
                        break;
                    }
                    match scalar_key(event, span) {
                        Some(key) => keys.push(key),
                        None => plain = false,
                    }
                    skip_node(events, i, 0)?;
                    skip_node(events, i, 0)?;
                }
                items.push(Item {
                    dash_line: line,
                    dash_column,
                    keys: Some(keys),
                });
            }
            _ => {
                plain = false;
                skip_node(events, i, 0)?;
            }
        }
    }
    Ok(plain.then_some(items))
}

/// The column of the `-` before `column` on `line`, when only spaces and
/// that dash come before it: `  - name: x`.
fn dash_before(lines: &[&str], line: usize, column: usize) -> Option<usize> {
    let before: String = lines.get(line)?.chars().take(column).collect();
    let trimmed = before.trim_end_matches(' ');
    let dash = trimmed.strip_suffix('-')?;
    (dash.chars().all(|c| c == ' ') && trimmed.len() < before.len()).then_some(dash.len())
}

/// Moves `i` past the node starting at `events[*i]`.
fn skip_node(events: &[(Event<'_>, Span)], i: &mut usize, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("it is nested deeper than {MAX_DEPTH} levels"));
    }
    let Some((event, _)) = events.get(*i) else {
        return Ok(());
    };
    *i += 1;
    match event {
        Event::SequenceStart(..) => {
            while !matches!(events.get(*i), Some((Event::SequenceEnd, _)) | None) {
                skip_node(events, i, depth + 1)?;
            }
            *i += 1;
        }
        Event::MappingStart(..) => {
            while !matches!(events.get(*i), Some((Event::MappingEnd, _)) | None) {
                skip_node(events, i, depth + 1)?;
                skip_node(events, i, depth + 1)?;
            }
            *i += 1;
        }
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The canonical text.

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `line` moved from a block whose base column was `from` to one at `to`,
/// keeping how much deeper than the base it was.
fn shift(line: &str, from: usize, to: usize) -> String {
    if is_blank(line) {
        return String::new();
    }
    let own = indent(line);
    format!(
        "{}{}",
        " ".repeat(to + own.saturating_sub(from)),
        &line[own..]
    )
}

/// Splits the lines `range` into its body and the blank and comment lines
/// at its end indented no deeper than `limit`, which belong to what comes
/// next.
fn split_trailing(
    lines: &[&str],
    range: std::ops::Range<usize>,
    limit: usize,
) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let mut end = range.end;
    while end > range.start + 1 {
        let line = lines[end - 1];
        if is_blank(line) || (is_comment(line) && indent(line) <= limit) {
            end -= 1;
        } else {
            break;
        }
    }
    (range.start..end, end..range.end)
}

/// The text of `line` from character `column` on.
fn from_column(line: &str, column: usize) -> &str {
    match line.char_indices().nth(column) {
        Some((at, _)) => &line[at..],
        None => "",
    }
}

/// Where a key goes in its object: known keys in the model's order, others
/// after them as written.
fn key_rank(order: &[&str], name: &str) -> usize {
    let name = if name == "apply-to" { "apply_to" } else { name };
    order.iter().position(|k| *k == name).unwrap_or(order.len())
}

fn section_rank(name: &str) -> usize {
    SECTIONS
        .iter()
        .position(|(section, _)| *section == name)
        .unwrap_or(SECTIONS.len())
}

/// The file's lines laid out in canonical form.
fn layout(lines: &[&str], sections: &[Section]) -> Result<String, String> {
    let first_key_line = sections.first().map_or(lines.len(), |s| s.key.line);
    let header: Vec<String> = lines[..first_key_line]
        .iter()
        .map(|l| l.to_string())
        .collect();
    // Each section's text, and the lines before it (its comments).
    let mut blocks: Vec<(usize, Vec<String>, Vec<String>)> = Vec::new();
    let mut before: Vec<String> = Vec::new();
    let mut trailer: Vec<String> = Vec::new();
    for (s, section) in sections.iter().enumerate() {
        let end = sections.get(s + 1).map_or(lines.len(), |n| n.key.line);
        let (body, trailing) = split_trailing(lines, section.key.line..end, 0);
        let text = match &section.items {
            Some(items) => list_section(lines, section, items, body.clone())?,
            None => lines[body].iter().map(|l| l.to_string()).collect(),
        };
        blocks.push((
            section_rank(&section.key.name),
            std::mem::take(&mut before),
            text,
        ));
        let trailing: Vec<String> = lines[trailing].iter().map(|l| l.to_string()).collect();
        if s + 1 == sections.len() {
            trailer = trailing;
        } else {
            before = trailing;
        }
    }
    blocks.sort_by_key(|(rank, _, _)| *rank);

    let mut out: Vec<String> = header;
    for (k, (_, before, text)) in blocks.into_iter().enumerate() {
        if k > 0 || out.iter().any(|l| !is_blank(l)) && out.last().is_some_and(|l| is_blank(l)) {
            out.push(String::new());
        }
        out.extend(before.into_iter().skip_while(|l| is_blank(l)));
        out.extend(text);
    }
    if trailer.iter().any(|l| !is_blank(l)) {
        out.push(String::new());
        out.extend(trailer.into_iter().skip_while(|l| is_blank(l)));
    }
    // Runs of blank lines become one; none at the start or the end.
    let mut text = String::new();
    let mut blank_pending = false;
    for line in out {
        if is_blank(&line) {
            blank_pending = !text.is_empty();
            continue;
        }
        if blank_pending {
            text.push('\n');
            blank_pending = false;
        }
        text.push_str(line.trim_end_matches('\r'));
        text.push('\n');
    }
    Ok(text)
}

/// A section of objects: its key line, then each item with its keys in
/// order.
fn list_section(
    lines: &[&str],
    section: &Section,
    items: &[Item],
    body: std::ops::Range<usize>,
) -> Result<Vec<String>, String> {
    let order = SECTIONS
        .iter()
        .find(|(name, _)| *name == section.key.name)
        .map_or(&[][..], |(_, order)| order);
    let mut out = vec![lines[section.key.line].to_string()];
    let Some(first) = items.first() else {
        out.extend(
            lines[section.key.line + 1..body.end]
                .iter()
                .map(|l| l.to_string()),
        );
        return Ok(out);
    };
    // Comments between the key and the first item go with the first item.
    let mut before: Vec<String> = lines[section.key.line + 1..first.dash_line]
        .iter()
        .map(|l| shift(l, first.dash_column, 2))
        .collect();
    for (n, item) in items.iter().enumerate() {
        let end = items.get(n + 1).map_or(body.end, |next| next.dash_line);
        let (item_body, trailing) = split_trailing(lines, item.dash_line..end, item.dash_column);
        out.extend(
            std::mem::take(&mut before)
                .into_iter()
                .skip_while(|l| n == 0 && is_blank(l)),
        );
        match &item.keys {
            None => out.extend(
                lines[item_body]
                    .iter()
                    .map(|l| shift(l, item.dash_column, 2)),
            ),
            Some(keys) => out.extend(block_item(lines, order, item, keys, item_body)?),
        }
        let trailing = lines[trailing]
            .iter()
            .map(|l| shift(l, item.dash_column, 2));
        if n + 1 == items.len() {
            out.extend(trailing);
        } else {
            before = trailing.collect();
        }
    }
    Ok(out)
}

/// One object written `- key: value`, its keys put in `order`.
fn block_item(
    lines: &[&str],
    order: &[&str],
    item: &Item,
    keys: &[Key],
    body: std::ops::Range<usize>,
) -> Result<Vec<String>, String> {
    if keys.first().is_none_or(|k| k.line != item.dash_line) {
        return Ok(lines[body]
            .iter()
            .map(|l| shift(l, item.dash_column, 2))
            .collect());
    }
    // Each key: the lines before it, its own line and what follows it.
    struct Entry {
        rank: usize,
        before: Vec<String>,
        own: String,
        rest: Vec<String>,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut before: Vec<String> = Vec::new();
    let mut tail: Vec<String> = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        if k > 0 && key.line <= keys[k - 1].line {
            return Err(format!("two keys share line {} in an object", key.line + 1));
        }
        let end = keys.get(k + 1).map_or(body.end, |next| next.line);
        let (own_body, trailing) = split_trailing(lines, key.line..end, key.column);
        let moved = |l: &&str| shift(l, key.column, 4);
        entries.push(Entry {
            rank: key_rank(order, &key.name),
            before: std::mem::take(&mut before),
            own: from_column(lines[key.line], key.column).to_string(),
            rest: lines[own_body.start + 1..own_body.end]
                .iter()
                .map(moved)
                .collect(),
        });
        let trailing: Vec<String> = lines[trailing].iter().map(moved).collect();
        if k + 1 == keys.len() {
            tail = trailing;
        } else {
            before = trailing;
        }
    }
    entries.sort_by_key(|e| e.rank);
    let mut out = Vec::new();
    for (k, entry) in entries.into_iter().enumerate() {
        if k == 0 {
            out.extend(entry.before.into_iter().skip_while(|l| is_blank(l)));
            out.push(format!("  - {}", entry.own));
        } else {
            out.extend(entry.before);
            out.push(format!("    {}", entry.own));
        }
        out.extend(entry.rest);
    }
    out.extend(tail);
    Ok(out)
}

// ---------------------------------------------------------------------------
// The check: nothing but the layout changed.

/// YAML data, with mappings compared as sets of entries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Data {
    Scalar {
        text: String,
        plain: bool,
        tag: Option<String>,
    },
    Sequence(Vec<Data>),
    Mapping(Vec<(Data, Data)>),
}

/// The data of the node at `events[*i]`, mappings sorted.
fn data(events: &[(Event<'_>, Span)], i: &mut usize, depth: usize) -> Result<Data, String> {
    if depth > MAX_DEPTH {
        return Err(format!("it is nested deeper than {MAX_DEPTH} levels"));
    }
    let (event, _) = events.get(*i).ok_or("the YAML ends early")?;
    *i += 1;
    Ok(match event {
        Event::Scalar(text, style, _, tag) => Data::Scalar {
            text: text.to_string(),
            plain: *style == ScalarStyle::Plain,
            tag: tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix)),
        },
        Event::SequenceStart(..) => {
            let mut items = Vec::new();
            while !matches!(events.get(*i), Some((Event::SequenceEnd, _)) | None) {
                items.push(data(events, i, depth + 1)?);
            }
            *i += 1;
            Data::Sequence(items)
        }
        Event::MappingStart(..) => {
            let mut entries = Vec::new();
            while !matches!(events.get(*i), Some((Event::MappingEnd, _)) | None) {
                let key = data(events, i, depth + 1)?;
                let value = data(events, i, depth + 1)?;
                entries.push((key, value));
            }
            *i += 1;
            entries.sort();
            Data::Mapping(entries)
        }
        other => return Err(format!("unexpected YAML event {other:?}")),
    })
}

/// The data of a whole file.
fn document_data(events: &[(Event<'_>, Span)]) -> Result<Option<Data>, String> {
    let mut i = events
        .iter()
        .position(|(e, _)| !matches!(e, Event::StreamStart | Event::DocumentStart(_)))
        .unwrap_or(events.len());
    match events.get(i) {
        None | Some((Event::StreamEnd | Event::DocumentEnd, _)) => Ok(None),
        Some(_) => data(events, &mut i, 0).map(Some),
    }
}

/// A line as the check compares it: without its indentation and the `- `
/// of a list item, which the layout moves.
fn moved_line(line: &str) -> &str {
    let mut line = line.trim();
    while let Some(rest) = line.strip_prefix("- ") {
        line = rest.trim_start();
    }
    if line == "-" { "" } else { line }
}

/// Checks that `formatted` holds what `original` does: the same data, and
/// the same lines (comments included), moved and re-indented only.
fn same_content(
    original: &str,
    original_events: &[(Event<'_>, Span)],
    formatted: &str,
) -> Result<(), String> {
    let formatted_events =
        events(formatted).map_err(|e| format!("its canonical form would not parse ({e})"))?;
    if document_data(original_events)? != document_data(&formatted_events)? {
        return Err("its canonical form would hold other data".into());
    }
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text
            .lines()
            .map(|l| moved_line(l).to_string())
            .filter(|l| !l.is_empty())
            .collect();
        lines.sort();
        lines
    };
    if sorted(original) != sorted(formatted) {
        return Err("its canonical form would change a line, not only move it".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        match canonical_form(text).unwrap() {
            Canonical::Text(t) => t,
            Canonical::LeftAsWritten(why) => panic!("left as written: {why}"),
        }
    }

    fn left_as_written(text: &str) -> String {
        match canonical_form(text).unwrap() {
            Canonical::LeftAsWritten(why) => why,
            Canonical::Text(t) => panic!("formatted:\n{t}"),
        }
    }

    #[test]
    fn keys_and_sections_go_in_the_schema_order_with_their_comments() {
        let text = "\
# head
queues:
- durable: true   # explicit
  name: a
  # the arguments
  arguments:
    x-message-ttl: 5   # five
exchanges:
    -   type: topic
        name: e
";
        assert_eq!(
            canonical(text),
            "\
# head
exchanges:
  - name: e
    type: topic

queues:
  - name: a
    durable: true   # explicit
    # the arguments
    arguments:
      x-message-ttl: 5   # five
"
        );
    }

    #[test]
    fn the_canonical_form_is_a_fixed_point() {
        let text = "vhosts:\n  - name: /\n\nexchanges:\n  - name: e\n    type: topic\n";
        assert_eq!(canonical(text), text);
        let scrambled = "exchanges:\n- type: topic\n  name: e\nvhosts:\n- name: /\n";
        assert_eq!(canonical(&canonical(scrambled)), canonical(scrambled));
    }

    #[test]
    fn comments_between_items_stay_with_the_item_below_and_commented_out_items_stay() {
        let text = "\
bindings:
  # first
  - destination: q
    source: e

  # second
  - {source: e, destination: r}
  # - source: old
  #   destination: gone
routes: []
";
        assert_eq!(
            canonical(text),
            "\
bindings:
  # first
  - source: e
    destination: q

  # second
  - {source: e, destination: r}
  # - source: old
  #   destination: gone

routes: []
"
        );
    }

    #[test]
    fn block_scalars_and_flow_values_keep_their_shape() {
        let text = "\
policies:
- definition:
    x: |
      two
        lines
  name: p
  pattern: [a,
    b]
";
        assert_eq!(
            canonical(text),
            "\
policies:
  - name: p
    pattern: [a,
      b]
    definition:
      x: |
        two
          lines
"
        );
    }

    #[test]
    fn other_keys_and_other_yaml_are_left_in_place() {
        let workflow = "name: ci\non:\n  push:\njobs:\n  a:\n    runs-on: x\n";
        assert_eq!(canonical(workflow), workflow);
        assert_eq!(canonical(""), "");
        assert_eq!(
            canonical("{queues: [{name: a}]}\n"),
            "{queues: [{name: a}]}\n"
        );
        let export = "rabbit_version: 3.10.8\nqueues:\n  - name: a\n";
        assert_eq!(
            canonical(export),
            "queues:\n  - name: a\n\nrabbit_version: 3.10.8\n"
        );
    }

    #[test]
    fn what_cannot_move_safely_is_left_as_written_with_the_reason() {
        assert!(left_as_written("a: 1\n---\nb: 2\n").contains("several YAML documents"));
        assert!(left_as_written("queues:\n  - &q {name: a}\n").contains("anchors"));
    }

    #[test]
    fn windows_line_ends_and_a_byte_order_mark_stay() {
        let text = "\u{feff}queues:\r\n- name: a\r\n  durable: true\r\nvhosts:\r\n- name: /\r\n";
        assert_eq!(
            canonical(text),
            "\u{feff}vhosts:\r\n  - name: /\r\n\r\nqueues:\r\n  - name: a\r\n    durable: true\r\n"
        );
    }

    #[test]
    fn a_file_that_is_not_yaml_gives_the_parsers_error() {
        let err = canonical_form("queues:\n  - name: [a\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn every_field_of_the_model_has_its_place() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::model::json_schema::schema_json()).unwrap();
        let defs = &schema["$defs"];
        for (section, definition) in [
            ("vhosts", "Vhost"),
            ("exchanges", "Exchange"),
            ("queues", "Queue"),
            ("bindings", "Binding"),
            ("policies", "Policy"),
            ("routes", "RouteAssertion"),
        ] {
            let mut fields: Vec<&str> = defs[definition]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut ours: Vec<&str> = SECTIONS
                .iter()
                .find(|(s, _)| *s == section)
                .unwrap()
                .1
                .to_vec();
            fields.sort();
            ours.sort();
            assert_eq!(ours, fields, "{section}");
        }
    }
}
