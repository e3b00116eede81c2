//! A quick reading of the YAML most topology files are written in: block
//! and flow mappings and lists of single-line plain and quoted scalars,
//! with comments. It gives the events saphyr-parser gives, at the same
//! positions, for a fraction of the work (saphyr's scanner decodes and
//! copies a file a character at a time; this looks at bytes and borrows
//! the scalars from the text).
//!
//! Text in any language reads quickly too: columns count characters, as
//! saphyr-parser's do, and its only character beyond ASCII with a meaning
//! of its own, the byte order mark, is left to it.
//!
//! On anything else it gives up, and saphyr-parser reads the file: tabs,
//! carriage returns or other control characters, a byte order mark,
//! anchors, aliases, tags, block scalars, escapes, scalars over several
//! lines, empty values, complex keys, several documents, and every syntax
//! error. So it never decides what a file means on its own: its tests
//! hold it to saphyr-parser's events on every file the repository holds
//! and on thousands of generated and mangled ones.

use std::borrow::Cow;
use std::cell::Cell;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::yaml::{MAX_DEPTH, Position};

/// Larger files are left to saphyr-parser, which hands its events over one
/// at a time: the quick reading holds all of a file's events at once, 20
/// bytes each (about 8 MB for a file of this size as topology files are
/// written, one event per 10 bytes; 40 MB for `[a,a,a,…]`).
pub const MAX_QUICK_BYTES: usize = 4 << 20;

/// One event, with the scalars' text as byte ranges of the file.
#[derive(Debug, Clone, Copy)]
pub struct QuickEvent {
    kind: Kind,
    line: u32,
    column: u32,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    StreamStart,
    StreamEnd,
    DocumentStart {
        explicit: bool,
    },
    DocumentEnd,
    Scalar {
        start: u32,
        end: u32,
        style: ScalarStyle,
    },
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

impl QuickEvent {
    /// The saphyr-parser event this stands for, and where it starts.
    pub fn event<'a>(&self, text: &'a str) -> (saphyr_parser::Event<'a>, Position) {
        let event = match self.kind {
            Kind::StreamStart => Event::StreamStart,
            Kind::StreamEnd => Event::StreamEnd,
            Kind::DocumentStart { explicit } => Event::DocumentStart(explicit),
            Kind::DocumentEnd => Event::DocumentEnd,
            Kind::Scalar { start, end, style } => Event::Scalar(
                Cow::Borrowed(&text[start as usize..end as usize]),
                style,
                0,
                None,
            ),
            Kind::SequenceStart => Event::SequenceStart(0, None),
            Kind::SequenceEnd => Event::SequenceEnd,
            Kind::MappingStart => Event::MappingStart(0, None),
            Kind::MappingEnd => Event::MappingEnd,
        };
        let at = Position {
            line: self.line as usize,
            column: self.column as usize,
        };
        (event, at)
    }
}

/// The events of `text`, or `None` when it is not in the plain YAML read
/// here (saphyr-parser reads it then).
pub fn read(text: &str) -> Option<Vec<QuickEvent>> {
    if text.len() > MAX_QUICK_BYTES || !printable(text.as_bytes()) {
        return None;
    }
    let ascii = text.is_ascii();
    if !ascii && memchr::memmem::find(text.as_bytes(), BYTE_ORDER_MARK.as_bytes()).is_some() {
        return None;
    }
    let mut reader = Reader {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        ascii,
        non_ascii: Cell::new(match ascii {
            true => text.len(),
            false => first_beyond_ascii(text.as_bytes(), 0),
        }),
        counted: Cell::new((0, 0, 0)),
        started: false,
        depth: 0,
        // About one event per 12 bytes in the files seen.
        events: Vec::with_capacity(text.len() / 12 + 8),
    };
    reader.stream().ok()?;
    Some(reader.events)
}

/// saphyr-parser's one character beyond ASCII with a meaning of its own
/// (it may start a document, and ends a comment).
const BYTE_ORDER_MARK: &str = "\u{FEFF}";

/// No control characters but line feeds: only those, printable ASCII and
/// the bytes of characters beyond ASCII. (A block at a time, without
/// stopping early, which the compiler turns into vector instructions: a
/// tenth of the work of a byte at a time.)
fn printable(bytes: &[u8]) -> bool {
    bytes.chunks(64).all(|block| {
        block.iter().fold(true, |ok, &b| {
            ok & (((b >= b' ') & (b != 0x7F)) | (b == b'\n'))
        })
    })
}

/// Where the first byte beyond ASCII at or after `from` is, or the length
/// of `bytes` when none is.
fn first_beyond_ascii(bytes: &[u8], from: usize) -> usize {
    // A block at a time (`is_ascii` looks at a word at a time), then the
    // byte within the block.
    const BLOCK: usize = 64;
    let rest = &bytes[from..];
    let Some(block) = rest.chunks(BLOCK).position(|block| !block.is_ascii()) else {
        return bytes.len();
    };
    let start = block * BLOCK;
    let within = rest[start..]
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(0);
    from + start + within
}

/// How many characters the UTF-8 `bytes` hold: the bytes that do not
/// continue a character.
fn characters(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// Anything the quick reading does not read.
struct GiveUp;

type Step<T> = Result<T, GiveUp>;

/// Where a plain scalar is read: in a flow collection, `,[]{}` end it.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    Block,
    Flow,
}

/// A scalar read but not yet handed over: whether it is a key is known
/// only after it.
#[derive(Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    style: ScalarStyle,
    line: usize,
    column: usize,
}

struct Reader<'t> {
    text: &'t [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    /// Whether the text is all ASCII, where a column is a count of bytes.
    ascii: bool,
    /// Otherwise the first byte beyond ASCII at or after the start of the
    /// cursor's line or an earlier one (the text's length when none):
    /// before it, a column is a count of bytes.
    non_ascii: Cell<usize>,
    /// Past it, the last column counted: the line's start, a position on
    /// it and the characters between (the cursor mostly moves on).
    counted: Cell<(usize, usize, usize)>,
    /// Whether the first content line has been met (a `---` before it
    /// starts the document; anywhere else, a second one).
    started: bool,
    /// Collections open at the cursor: deeper nesting than the reader
    /// allows is left to saphyr-parser, and the reader's refusal.
    depth: usize,
    events: Vec<QuickEvent>,
}

impl Reader<'_> {
    fn peek(&self) -> u8 {
        self.text.get(self.pos).copied().unwrap_or(0)
    }

    fn byte_at(&self, pos: usize) -> u8 {
        self.text.get(pos).copied().unwrap_or(0)
    }

    /// The cursor's column, counted in characters (from 0).
    #[inline]
    fn column(&self) -> usize {
        if self.ascii {
            return self.pos - self.line_start;
        }
        self.column_beyond_ascii()
    }

    /// [`Reader::column`] in a text that is not all ASCII.
    #[inline(never)]
    fn column_beyond_ascii(&self) -> usize {
        let mut non_ascii = self.non_ascii.get();
        if non_ascii < self.line_start {
            non_ascii = first_beyond_ascii(self.text, self.line_start);
            self.non_ascii.set(non_ascii);
        }
        if self.pos <= non_ascii {
            return self.pos - self.line_start;
        }
        let (line_start, at, chars) = self.counted.get();
        let (from, before) = if line_start == self.line_start && at <= self.pos {
            (at, chars)
        } else {
            (self.line_start, 0)
        };
        let column = before + characters(&self.text[from..self.pos]);
        self.counted.set((self.line_start, self.pos, column));
        column
    }

    fn push_at(&mut self, kind: Kind, line: usize, column: usize) {
        self.events.push(QuickEvent {
            kind,
            line: line as u32,
            column: column as u32 + 1,
        });
    }

    /// A collection opens at the cursor, handed over as `kind`.
    fn open(&mut self, kind: Kind) -> Step<()> {
        self.open_at(kind, self.line, self.column())
    }

    fn open_at(&mut self, kind: Kind, line: usize, column: usize) -> Step<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.push_at(kind, line, column);
        Ok(())
    }

    fn close(&mut self, kind: Kind) {
        self.depth -= 1;
        self.push(kind);
    }

    fn push(&mut self, kind: Kind) {
        self.push_at(kind, self.line, self.column());
    }

    fn push_scalar(&mut self, token: Token) {
        let kind = Kind::Scalar {
            start: token.start as u32,
            end: token.end as u32,
            style: token.style,
        };
        self.push_at(kind, token.line, token.column);
    }

    fn skip_spaces(&mut self) {
        while self.peek() == b' ' {
            self.pos += 1;
        }
    }

    fn skip_to_line_end(&mut self) {
        self.pos = memchr::memchr(b'\n', &self.text[self.pos..])
            .map_or(self.text.len(), |offset| self.pos + offset);
    }

    /// A space, a line end or the end of the file: what makes `-`, `:` or
    /// `---` an indicator rather than part of a scalar.
    fn blank_at(&self, pos: usize) -> bool {
        matches!(self.byte_at(pos), b' ' | b'\n' | 0)
    }

    /// `---` or `...` at the start of a line.
    fn at_document_marker(&self) -> bool {
        let rest = &self.text[self.pos..];
        (rest.starts_with(b"---") || rest.starts_with(b"...")) && self.blank_at(self.pos + 3)
    }

    /// Whether a `-` at the cursor starts a list item.
    fn at_list_item(&self) -> bool {
        self.peek() == b'-' && self.blank_at(self.pos + 1)
    }

    /// Spaces and a comment up to the line end; gives up on anything else.
    fn line_end(&mut self) -> Step<()> {
        let before = self.pos;
        self.skip_spaces();
        match self.peek() {
            b'\n' | 0 => Ok(()),
            b'#' if self.pos > before => {
                self.skip_to_line_end();
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    /// From a line end, the first character of the next line that holds
    /// more than spaces and a comment: its column, or `None` at the end of
    /// the file.
    fn next_content_line(&mut self) -> Step<Option<usize>> {
        loop {
            match self.peek() {
                0 => return Ok(None),
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    continue;
                }
                _ => {}
            }
            self.skip_spaces();
            match self.peek() {
                b'\n' => continue,
                0 => return Ok(None),
                b'#' => self.skip_to_line_end(),
                _ => {
                    if self.column() == 0 && self.at_document_marker() && self.started {
                        return Err(GiveUp);
                    }
                    return Ok(Some(self.column()));
                }
            }
        }
    }

    fn stream(&mut self) -> Step<()> {
        self.push(Kind::StreamStart);
        let mut explicit = false;
        let mut first = self.next_content_line()?;
        self.started = true;
        if first == Some(0) && self.at_document_marker() {
            if self.peek() == b'.' {
                return Err(GiveUp);
            }
            explicit = true;
            self.pos += 3;
            self.line_end()?;
            first = self.next_content_line()?;
        }
        let Some(indent) = first else {
            return Err(GiveUp);
        };
        self.push(Kind::DocumentStart { explicit });
        if self.block_node(indent, 0)?.is_some() {
            return Err(GiveUp);
        }
        self.push(Kind::DocumentEnd);
        self.push(Kind::StreamEnd);
        Ok(())
    }

    /// The block node at the cursor, whose first line is at column
    /// `indent`; lines of a flow collection in it must start at column
    /// `flow_column` or later. Returns the column of the next content
    /// line after it, with the cursor there.
    fn block_node(&mut self, indent: usize, flow_column: usize) -> Step<Option<usize>> {
        match self.peek() {
            b'-' if self.at_list_item() => self.block_sequence(indent),
            b'[' | b'{' => {
                self.flow_node(flow_column)?;
                self.line_end()?;
                self.next_content_line()
            }
            _ => {
                let token = self.scalar(Context::Block)?;
                if self.at_key_end(token) {
                    return self.block_mapping(indent, token);
                }
                self.push_scalar(token);
                self.line_end()?;
                self.next_content_line()
            }
        }
    }

    /// Whether a `:` ending a key follows `token` (spaces allowed before
    /// it); the cursor is left on the `:`.
    fn at_key_end(&mut self, token: Token) -> bool {
        let before = self.pos;
        self.skip_spaces();
        let key_end =
            self.peek() == b':' && self.blank_at(self.pos + 1) && self.pos - token.start < 1000;
        if !key_end {
            self.pos = before;
        }
        key_end
    }

    fn block_mapping(&mut self, indent: usize, first_key: Token) -> Step<Option<usize>> {
        self.open_at(Kind::MappingStart, first_key.line, first_key.column)?;
        let mut key = first_key;
        let next = loop {
            self.push_scalar(key);
            self.pos += 1; // the `:`
            self.skip_spaces();
            let next = match self.peek() {
                b'\n' | 0 | b'#' => self.node_below(indent, true)?,
                _ => {
                    self.inline_value(indent + 1)?;
                    self.line_end()?;
                    self.next_content_line()?
                }
            };
            match next {
                Some(column) if column == indent => {
                    key = self.scalar(Context::Block)?;
                    if !self.at_key_end(key) {
                        return Err(GiveUp);
                    }
                }
                Some(column) if column > indent => return Err(GiveUp),
                _ => break next,
            }
        };
        self.close(Kind::MappingEnd);
        Ok(next)
    }

    /// The node on the lines below a key or a `-` that ends its line (a
    /// comment allowed): more indented than `indent`, or for a key
    /// (`indentless`) also a list at `indent`.
    fn node_below(&mut self, indent: usize, indentless: bool) -> Step<Option<usize>> {
        self.skip_to_line_end();
        match self.next_content_line()? {
            Some(column) if column > indent => self.block_node(column, indent + 1),
            Some(column) if indentless && column == indent && self.at_list_item() => {
                self.indentless_sequence(indent)
            }
            _ => Err(GiveUp), // an empty value or item
        }
    }

    /// A mapping's value on the line of its key: a flow collection or a
    /// scalar.
    fn inline_value(&mut self, flow_column: usize) -> Step<()> {
        match self.peek() {
            b'[' | b'{' => self.flow_node(flow_column),
            _ => {
                let token = self.scalar(Context::Block)?;
                self.push_scalar(token);
                Ok(())
            }
        }
    }

    /// A list at the indentation of the key it is the value of: saphyr
    /// places it where its first item starts, not at its first `-` (and
    /// elsewhere when that item starts on a line of its own: left to it).
    fn indentless_sequence(&mut self, indent: usize) -> Step<Option<usize>> {
        let start = self.events.len();
        let next = self.block_sequence(indent)?;
        let first_item = self.events[start + 1];
        if first_item.line != self.events[start].line {
            return Err(GiveUp);
        }
        self.events[start].line = first_item.line;
        self.events[start].column = first_item.column;
        Ok(next)
    }

    fn block_sequence(&mut self, indent: usize) -> Step<Option<usize>> {
        self.open(Kind::SequenceStart)?;
        let next = loop {
            self.pos += 1; // the `-`
            self.skip_spaces();
            let next = match self.peek() {
                b'\n' | 0 | b'#' => self.node_below(indent, false)?,
                b'-' if self.at_list_item() => return Err(GiveUp),
                _ => {
                    let column = self.column();
                    self.block_node(column, indent + 1)?
                }
            };
            match next {
                Some(column) if column == indent && self.at_list_item() => {}
                Some(column) if column > indent => return Err(GiveUp),
                _ => break next,
            }
        };
        self.close(Kind::SequenceEnd);
        Ok(next)
    }

    /// Spaces, line ends and comments inside a flow collection; a line
    /// must start at `flow_column` or later.
    fn flow_space(&mut self, flow_column: usize) -> Step<()> {
        loop {
            let before = self.pos;
            self.skip_spaces();
            match self.peek() {
                b'#' if self.pos > before || self.pos == self.line_start => {
                    self.skip_to_line_end();
                }
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    self.skip_spaces();
                    let blank = matches!(self.peek(), b'\n' | b'#' | 0);
                    let marker = self.column() == 0 && self.at_document_marker();
                    if !blank && (self.column() < flow_column || marker) {
                        return Err(GiveUp);
                    }
                    self.pos = self.line_start;
                }
                _ => return Ok(()),
            }
        }
    }

    fn flow_node(&mut self, flow_column: usize) -> Step<()> {
        match self.peek() {
            b'[' => self.flow_collection(
                (Kind::SequenceStart, Kind::SequenceEnd),
                b']',
                flow_column,
                Self::flow_node,
            ),
            b'{' => self.flow_collection(
                (Kind::MappingStart, Kind::MappingEnd),
                b'}',
                flow_column,
                Self::flow_entry,
            ),
            _ => {
                let token = self.scalar(Context::Flow)?;
                self.push_scalar(token);
                Ok(())
            }
        }
    }

    /// After an item or an entry: a `,` (and maybe the `close` after it)
    /// or the `close`. Returns whether the collection ended.
    fn flow_next(&mut self, close: u8, flow_column: usize) -> Step<bool> {
        self.flow_space(flow_column)?;
        match self.peek() {
            b',' => {
                self.pos += 1;
                self.flow_space(flow_column)?;
                if self.peek() == close {
                    self.pos += 1;
                    return Ok(true);
                }
                Ok(false)
            }
            byte if byte == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(GiveUp),
        }
    }

    /// A flow list or mapping from its opening bracket at the cursor:
    /// entries read by `entry`, separated by commas (one after the last
    /// allowed), to `close`.
    fn flow_collection(
        &mut self,
        (start, end): (Kind, Kind),
        close: u8,
        flow_column: usize,
        entry: fn(&mut Self, usize) -> Step<()>,
    ) -> Step<()> {
        self.open(start)?;
        self.pos += 1;
        self.flow_space(flow_column)?;
        if self.peek() == close {
            self.pos += 1;
        } else {
            loop {
                entry(self, flow_column)?;
                if self.flow_next(close, flow_column)? {
                    break;
                }
            }
        }
        self.close(end);
        Ok(())
    }

    /// `key: value` in a flow mapping, or `"key":value` as JSON writes it.
    fn flow_entry(&mut self, flow_column: usize) -> Step<()> {
        let key = self.scalar(Context::Flow)?;
        self.push_scalar(key);
        let quoted = key.style != ScalarStyle::Plain;
        if self.peek() != b':' || !(quoted || self.blank_at(self.pos + 1)) {
            return Err(GiveUp);
        }
        self.pos += 1;
        self.flow_space(flow_column)?;
        if matches!(self.peek(), b',' | b'}') {
            return Err(GiveUp); // an empty value
        }
        self.flow_node(flow_column)
    }

    /// A single-line plain or quoted scalar at the cursor, which is left
    /// after it (before the spaces that follow a plain one).
    fn scalar(&mut self, context: Context) -> Step<Token> {
        let (line, column) = (self.line, self.column());
        let (start, end, style) = match self.peek() {
            b'\'' => {
                let (start, end) = self.quoted(b'\'')?;
                (start, end, ScalarStyle::SingleQuoted)
            }
            b'"' => {
                let (start, end) = self.quoted(b'"')?;
                (start, end, ScalarStyle::DoubleQuoted)
            }
            _ => {
                let (start, end) = self.plain(context)?;
                (start, end, ScalarStyle::Plain)
            }
        };
        Ok(Token {
            start,
            end,
            style,
            line,
            column,
        })
    }

    /// A quoted scalar without escapes that ends on its line: the range
    /// of its text.
    fn quoted(&mut self, quote: u8) -> Step<(usize, usize)> {
        let start = self.pos + 1;
        let rest = &self.text[start..];
        // `\` escapes only in double quotes.
        let close = match quote {
            b'"' => memchr::memchr3(b'"', b'\n', b'\\', rest),
            _ => memchr::memchr2(quote, b'\n', rest),
        };
        let close = close.ok_or(GiveUp)?;
        if rest[close] != quote {
            return Err(GiveUp);
        }
        let end = start + close;
        // `''` is a quote inside single quotes.
        if quote == b'\'' && self.byte_at(end + 1) == b'\'' {
            return Err(GiveUp);
        }
        self.pos = end + 1;
        Ok((start, end))
    }

    /// A plain scalar that ends on its line: the range of its text,
    /// without the spaces after it.
    fn plain(&mut self, context: Context) -> Step<(usize, usize)> {
        let flow = context == Context::Flow;
        let first = self.peek();
        let second = self.byte_at(self.pos + 1);
        let ends_flow = |byte: u8| matches!(byte, b',' | b'[' | b']' | b'{' | b'}');
        match first {
            b':' if flow => return Err(GiveUp),
            b'-' | b'?' | b':'
                if matches!(second, b' ' | b'\n' | 0) || (flow && ends_flow(second)) =>
            {
                return Err(GiveUp);
            }
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | 0 => return Err(GiveUp),
            _ => {}
        }
        let start = self.pos;
        let mut end = start;
        let mut pos = start;
        loop {
            match self.byte_at(pos) {
                b'\n' | 0 => break,
                b':' if flow => break,
                b':' if self.blank_at(pos + 1) => break,
                b'#' if self.byte_at(pos - 1) == b' ' => break,
                // saphyr refuses `[a -]`: an indicator after a space is left to it.
                b'-' | b'?' if flow && self.byte_at(pos - 1) == b' ' => return Err(GiveUp),
                byte if flow && ends_flow(byte) => break,
                b' ' => {}
                _ => end = pos + 1,
            }
            pos += 1;
        }
        self.pos = end;
        Ok((start, end))
    }
}

/// When the quick reading reads `text`, how it differs from saphyr-parser's
/// reading, if it does: its tests and the fuzz target `yaml` check that
/// it never does. `None` when they agree, or when the quick reading gives
/// up.
pub fn disagreement(text: &str) -> Option<String> {
    let quick: Vec<String> = read(text)?
        .iter()
        .map(|event| {
            let (event, at) = event.event(text);
            describe(&event, at)
        })
        .collect();
    match saphyr(text) {
        None => Some(format!(
            "the quick reading read what saphyr-parser refuses:\n{text}\n{quick:#?}"
        )),
        Some(saphyr) if saphyr != quick => Some(format!(
            "the readings differ on:\n{text}\nquick: {quick:?}\nsaphyr: {saphyr:?}"
        )),
        Some(_) => None,
    }
}

/// Events as text: `+MAP 2:3`, `=VAL Plain 'a' 2:3`, `-MAP`; where the
/// ends and the stream's events are does not matter to the reader.
fn describe(event: &Event<'_>, at: Position) -> String {
    match event {
        Event::Scalar(text, style, anchor, tag) => {
            format!(
                "=VAL {style:?} {text:?} &{anchor} {tag:?} {}:{}",
                at.line, at.column
            )
        }
        Event::SequenceStart(anchor, tag) => {
            format!("+SEQ &{anchor} {tag:?} {}:{}", at.line, at.column)
        }
        Event::MappingStart(anchor, tag) => {
            format!("+MAP &{anchor} {tag:?} {}:{}", at.line, at.column)
        }
        other => format!("{other:?}"),
    }
}

/// saphyr-parser's events as text, or `None` when it refuses `text`.
fn saphyr(text: &str) -> Option<Vec<String>> {
    let mut parser = Parser::new_from_str(text);
    let mut events = Vec::new();
    loop {
        match parser.next_event()? {
            Ok((event, span)) => {
                let at = Position {
                    line: span.start.line(),
                    column: span.start.col() + 1,
                };
                let end = event == Event::StreamEnd;
                events.push(describe(&event, at));
                if end {
                    return Some(events);
                }
            }
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the quick reading read `text`; when it did, saphyr-parser
    /// must have read it too, to the same events at the same places.
    fn agrees(text: &str) -> bool {
        if let Some(disagreement) = disagreement(text) {
            panic!("{disagreement}");
        }
        read(text).is_some()
    }

    #[test]
    fn reads_the_usual_shapes_as_saphyr_does() {
        let read_quickly = [
            "a: 1\n",
            "---\na: 1\nb: x y  # c\n",
            "--- # the document\na: 1\n",
            "  a: 1\n  b: 2\n",
            "vhosts:\n  - name: v\n    tags: [a, b]\nqueues:\n- name: q\n  durable: true\n",
            "users:\n  - {name: u-1, tags: [management], password_env: P}\n",
            "a:\n  b:\n    c: 'x'\n    d: \"y\"\n  e: [1, 2,]\n",
            "{\"a\":1,\"b\":[\"x\",\n  {\"c\":\"d\"}]}\n",
            "{\n  \"a\": 1,\n  \"b\": {}\n}\n",
            "a: amqp://h:5672/v?x=1\nb: .*\nc: ^amq\\.\nd: -1\n",
            "- a\n- 'b'\n-   c: 1\n    d: 2\n- [x]\n",
            "a: {b: c}   # comment\n# comment\n\nd: e\n",
            "key : value\n",
            "a: b#c\n",
            "'a': b\n\"c\": d\n",
            "a:\n  -\n    b: c\n",
            "a: é\n",
            "# Bestellungen – für Köln\nname: café\n",
            "名前: 注文  # コメント\nb: [ü, 'ö', \"ä\"]\n",
            "- {ключ: значение, b: c}\n- x: 😀 y\n  z: 1\n",
            "a:\n  - é\n  - 'ß'\nb: c\n",
            "{\"é\": [\"ü\",\n  \"x\"]}\n",
            "a: b\u{85}c\u{2028}d\n",
        ];
        for text in read_quickly {
            assert!(agrees(text), "not read quickly:\n{text}");
        }
        let left_to_saphyr = [
            "",
            "# only a comment\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: b\n  c\n",
            "a:\n",
            "a: 'it''s'\n",
            "a: \"x\\ty\"\n",
            "a:\tb\n",
            "a: b\r\n",
            "\u{FEFF}a: 1\n",
            "a: 1 # c\u{FEFF}\n",
            "a: \u{7F}\n",
            "a: 1\n---\nb: 2\n",
            "? a\n: b\n",
            "- - a\n",
            "{a}\n",
            "[a: b]\n",
            "a: [b\n  c]\n",
            "a: 1\n b: 2\n",
            "a: b: c\n",
            "a: - b\n",
            "a: 'x'y\n",
            "{a: 1}: b\n",
            "[a, , b]\n",
            "{a:1}\n",
        ];
        for text in left_to_saphyr {
            assert!(
                !agrees(text),
                "read quickly, though left to saphyr-parser:\n{text}"
            );
        }
        let deep = |depth: usize| format!("{}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(agrees(&deep(MAX_DEPTH)));
        assert!(read(&deep(MAX_DEPTH + 1)).is_none());
        let deep_block: String = (0..=MAX_DEPTH)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert!(read(&format!("{deep_block}{}b: c\n", " ".repeat(MAX_DEPTH + 1))).is_none());
    }

    /// The files of the repository and the real definitions files: every
    /// one the quick reading reads, saphyr-parser reads the same; the
    /// examples and the default topology are read quickly.
    #[test]
    fn agrees_with_saphyr_on_every_file_at_hand() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![
            root.join("examples"),
            root.join("tests"),
            root.join("topology"),
            root.join("../shared/real-definitions"),
        ];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                {
                    files.push(path);
                }
            }
        }
        let mut quickly = 0;
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            if agrees(&text) {
                quickly += 1;
            }
        }
        assert!(files.len() > 20, "found only {} files", files.len());
        assert!(
            quickly * 2 > files.len(),
            "{quickly} of {} files read quickly",
            files.len()
        );
    }

    /// A small random generator (xorshift), so the test needs no crate.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'s>(&mut self, choices: &[&'s str]) -> &'s str {
            choices[self.below(choices.len())]
        }
    }

    const SCALARS: &[&str] = &[
        "a",
        "name",
        "x-max-length",
        ".*",
        "^amq\\.",
        "1",
        "-1",
        "true",
        "~",
        "a b",
        "a  b ",
        "amqp://h:5672/v",
        "'q'",
        "\"dq\"",
        "''",
        "\"\"",
        "'it''s'",
        "\"a\\\"b\"",
        "a#b",
        "a #b",
        ":x",
        "?x",
        "-x",
        "@x",
        "*x",
        "&x",
        "!x",
        "|",
        ">",
        "%x",
        "[",
        "]",
        "{a}",
        "a,b",
        "a: b",
        "a:",
        "-",
        "x]",
        "x}",
        "'a'b",
        "a'",
        "---",
        "...",
        "#",
        "a\"",
        "a -",
        "b ?",
        "a - b",
        "é",
        "日本",
        "a ü",
        "'ö'",
        "\"ä\"",
        "ü:x",
        "😀",
        "\u{85}",
        "\u{2028}",
    ];

    fn scalar(random: &mut Random) -> String {
        random.pick(SCALARS).to_string()
    }

    fn flow(random: &mut Random, depth: usize) -> String {
        let space = random.pick(&["", " ", "  ", "\n  ", " # c\n  "]);
        match random.below(if depth > 2 { 1 } else { 3 }) {
            0 => scalar(random),
            1 => {
                let items: Vec<String> = (0..random.below(4))
                    .map(|_| flow(random, depth + 1))
                    .collect();
                let comma = random.pick(&[",", ", ", " ,", ",\n  "]);
                let trailing = random.pick(&["", ","]);
                format!("[{space}{}{trailing}]", items.join(comma))
            }
            _ => {
                let entries: Vec<String> = (0..random.below(4))
                    .map(|_| {
                        let colon = random.pick(&[": ", ":", " : ", ":\n  "]);
                        format!("{}{colon}{}", scalar(random), flow(random, depth + 1))
                    })
                    .collect();
                let comma = random.pick(&[",", ", ", ",\n  "]);
                format!("{{{space}{}}}", entries.join(comma))
            }
        }
    }

    /// A block node at `indent`, written from the start of its line
    /// (`inline`: after a `- ` or a key on that line).
    fn block(random: &mut Random, indent: usize, depth: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        let comment = |random: &mut Random| {
            random
                .pick(&["", "", " # c", "  #c", "#c", " # é"])
                .to_string()
        };
        match random.below(if depth > 3 { 2 } else { 5 }) {
            0 => out.push_str(&format!("{pad}{}{}\n", scalar(random), comment(random))),
            1 => out.push_str(&format!("{pad}{}{}\n", flow(random, 0), comment(random))),
            2 | 3 => {
                for _ in 0..=random.below(3) {
                    let key = scalar(random);
                    let colon = random.pick(&[": ", ":", " : ", ":  "]);
                    match random.below(3) {
                        0 => {
                            out.push_str(&format!("{pad}{key}{colon}{}\n", comment(random)));
                            let deeper = indent + random.below(4);
                            block(random, deeper, depth + 1, out);
                        }
                        1 => out.push_str(&format!(
                            "{pad}{key}{colon}{}{}\n",
                            flow(random, 0),
                            comment(random)
                        )),
                        _ => out.push_str(&format!(
                            "{pad}{key}{colon}{}{}\n",
                            scalar(random),
                            comment(random)
                        )),
                    }
                    if random.below(5) == 0 {
                        out.push_str(random.pick(&["\n", "# c\n", "   \n", "  # c\n"]));
                    }
                }
            }
            _ => {
                for _ in 0..=random.below(3) {
                    let dash = random.pick(&["- ", "-  ", "-", "-\n"]);
                    if dash.ends_with('\n') || random.below(2) == 0 {
                        out.push_str(&format!("{pad}-{}\n", comment(random)));
                        let deeper = indent + random.below(4);
                        block(random, deeper, depth + 1, out);
                    } else {
                        let mut item = String::new();
                        let deeper = indent + dash.len();
                        block(random, deeper, depth + 1, &mut item);
                        out.push_str(&format!("{pad}{dash}{}", &item[deeper.min(item.len())..]));
                    }
                }
            }
        }
    }

    fn mangle(random: &mut Random, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..=random.below(2) {
            let at = random.below(chars.len() + 1);
            let significant: Vec<char> = " \n-:#,[]{}'\"aé\u{FEFF}".chars().collect();
            match random.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.insert(at, significant[random.below(significant.len())]),
            }
        }
        chars.into_iter().collect()
    }

    /// Thousands of generated files, and each mangled: every one the quick
    /// reading reads, saphyr-parser reads the same. A good share of the
    /// generated ones must be read quickly, or the test proves nothing.
    #[test]
    fn agrees_with_saphyr_on_generated_and_mangled_files() {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        let (mut generated, mut read, mut mangled_read) = (0, 0, 0);
        let mut beyond_ascii_read = 0;
        for _ in 0..4000 {
            let mut text = String::new();
            if random.below(4) == 0 {
                text.push_str("---\n");
            }
            let indent = random.below(2);
            block(&mut random, indent, 0, &mut text);
            generated += 1;
            if agrees(&text) {
                read += 1;
                if !text.is_ascii() {
                    beyond_ascii_read += 1;
                }
            }
            for _ in 0..4 {
                if agrees(&mangle(&mut random, &text)) {
                    mangled_read += 1;
                }
            }
        }
        assert!(read * 5 > generated, "{read} of {generated} read quickly");
        assert!(
            beyond_ascii_read * 4 > read,
            "{beyond_ascii_read} of the {read} read quickly hold text beyond ASCII"
        );
        assert!(
            mangled_read > 1000,
            "{mangled_read} mangled files read quickly"
        );
    }
}
