//! A plain file deserialised straight from libyaml's events, without the
//! copy of every event serde_yaml makes first (it keeps them for aliases):
//! half the time and a fraction of the memory of loading a big topology.
//!
//! It takes the common case only, and gives up on anything where its
//! reading could differ from serde_yaml's, or that is wrong: aliases,
//! anchors, tags, numbers other than plain decimal integers, documents that
//! are not mappings, type errors, syntax errors, more nodes than the limit.
//! The caller then loads the file with serde_yaml, which reads such files
//! (and reports their errors with positions). So a file read here reads the
//! same as there, and nothing said about a file comes from here.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::events::{Event, Events};

/// Each document of `text` as a `T`, or `None` when the file is not read
/// here (see the module's doc) or holds no document. Gives up after
/// `max_nodes` events, so memory stays bounded by the limit.
pub fn documents<T: DeserializeOwned>(text: &str, max_nodes: usize) -> Option<Vec<T>> {
    let mut reader = Reader {
        events: Events::new(text.as_bytes()),
        nodes: 0,
        max_nodes,
        depth: 0,
    };
    let mut documents = Vec::new();
    // Past the stream's start.
    reader.events.step();
    loop {
        match reader.events.current() {
            None if reader.events.failed() => return None,
            None => break,
            Some(Event::DocumentStart) => {}
            Some(_) => return None,
        }
        reader.step().ok()?;
        // A document that is not a mapping (an empty one included) is
        // serde_yaml's to read.
        if reader.peek().ok()? != Peeked::MappingStart {
            return None;
        }
        documents.push(T::deserialize(&mut reader).ok()?);
        if reader.peek().ok()? != Peeked::DocumentEnd {
            return None;
        }
        // To the next document's start, or the stream's end.
        reader.nodes += 1;
        reader.events.step();
    }
    (!documents.is_empty()).then_some(documents)
}

/// Why the reading gave up. Never shown: the file is then loaded by
/// serde_yaml, which says what is wrong, if anything is.
#[derive(Debug)]
pub struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_yaml")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<M: fmt::Display>(_: M) -> GiveUp {
        GiveUp
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

/// Deeper than this is serde_yaml's to read (it refuses 128 levels).
const MAX_DEPTH: usize = 100;

struct Reader<'t> {
    events: Events<'t>,
    nodes: usize,
    max_nodes: usize,
    depth: usize,
}

/// The current event, without its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peeked {
    DocumentEnd,
    MappingStart,
    MappingEnd,
    SequenceStart,
    SequenceEnd,
    Scalar,
    Other,
}

/// What a plain scalar means (YAML 1.2's core schema, as serde_yaml reads
/// it), as far as this reading tells.
enum Plain {
    Null,
    Bool(bool),
    Unsigned(u64),
    Negative(i64),
    Text,
    /// A float, a hexadecimal, octal or binary integer, `007`, `.inf`…:
    /// serde_yaml's to read.
    Unsure,
}

impl Reader<'_> {
    /// Moves past the current event; gives up past the node limit.
    fn step(&mut self) -> Result<()> {
        self.nodes += 1;
        if self.nodes > self.max_nodes || !self.events.step() {
            return Err(GiveUp);
        }
        Ok(())
    }

    /// The current event, which must be an undecorated one.
    fn peek(&self) -> Result<Peeked> {
        if self.events.style().decorated {
            return Err(GiveUp);
        }
        Ok(match self.events.current().ok_or(GiveUp)? {
            Event::DocumentEnd => Peeked::DocumentEnd,
            Event::MappingStart => Peeked::MappingStart,
            Event::MappingEnd => Peeked::MappingEnd,
            Event::SequenceStart => Peeked::SequenceStart,
            Event::SequenceEnd => Peeked::SequenceEnd,
            Event::Scalar(_) => Peeked::Scalar,
            Event::DocumentStart | Event::Alias => Peeked::Other,
        })
    }

    /// The current scalar's text and whether it is plain, then steps past
    /// it.
    fn scalar(&mut self) -> Result<(String, bool)> {
        self.peek()?;
        let plain = self.events.style().plain;
        let text = match self.events.current() {
            Some(Event::Scalar(bytes)) => {
                std::str::from_utf8(bytes).map_err(|_| GiveUp)?.to_owned()
            }
            _ => return Err(GiveUp),
        };
        self.step()?;
        Ok((text, plain))
    }

    /// A plain scalar's meaning; quoted ones are text.
    fn plain_scalar(&mut self) -> Result<(String, Plain)> {
        let (text, plain) = self.scalar()?;
        let meaning = if plain { resolve(&text) } else { Plain::Text };
        Ok((text, meaning))
    }

    /// Visits the mapping or sequence that starts here, checking that the
    /// visitor took all of it.
    fn collection<'de, V: Visitor<'de>>(&mut self, visitor: V, mapping: bool) -> Result<V::Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.step()?;
        let value = if mapping {
            visitor.visit_map(Entries { reader: self })?
        } else {
            visitor.visit_seq(Entries { reader: self })?
        };
        let end = if mapping {
            Peeked::MappingEnd
        } else {
            Peeked::SequenceEnd
        };
        if self.peek()? != end {
            return Err(GiveUp);
        }
        self.step()?;
        self.depth -= 1;
        Ok(value)
    }
}

/// Whether a plain scalar is null.
fn means_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// YAML 1.2's reading of a plain scalar, as serde_yaml does it, for the
/// forms this reading takes; `Unsure` for the others.
fn resolve(text: &str) -> Plain {
    if means_null(text) {
        return Plain::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let decimal = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if decimal {
        return match (negative, digits) {
            (false, _) => digits.parse().map_or(Plain::Unsure, Plain::Unsigned),
            (true, "0") => Plain::Unsure,
            (true, _) => text.parse().map_or(Plain::Unsure, Plain::Negative),
        };
    }
    // serde_yaml's other numbers: what Rust reads as a float (`1e3`,
    // `007`, `inf`, `nan`…), `.inf` and `.nan`, and hexadecimal, octal and
    // binary integers (`0x1F`), each with a sign or not. The rest is text,
    // `3.10.8` and `1_000` included.
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text).as_bytes();
    let prefixed = unsigned.starts_with(b".")
        || (unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1].is_ascii_alphabetic());
    if prefixed || text.parse::<f64>().is_ok() {
        Plain::Unsure
    } else {
        Plain::Text
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'_> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Peeked::MappingStart => self.collection(visitor, true),
            Peeked::SequenceStart => self.collection(visitor, false),
            Peeked::Scalar => match self.plain_scalar()? {
                (_, Plain::Null) => visitor.visit_unit(),
                (_, Plain::Bool(value)) => visitor.visit_bool(value),
                (_, Plain::Unsigned(value)) => visitor.visit_u64(value),
                (_, Plain::Negative(value)) => visitor.visit_i64(value),
                (text, Plain::Text) => visitor.visit_string(text),
                (_, Plain::Unsure) => Err(GiveUp),
            },
            _ => Err(GiveUp),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // serde_yaml reads any scalar as text here: `name: 123` is "123".
        let (text, _) = self.scalar()?;
        visitor.visit_string(text)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek()? == Peeked::Scalar && self.events.style().plain {
            if let Some(Event::Scalar(bytes)) = self.events.current() {
                if std::str::from_utf8(bytes).is_ok_and(means_null) {
                    self.step()?;
                    return visitor.visit_none();
                }
            }
        }
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Peeked::SequenceStart => self.collection(visitor, false),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Peeked::MappingStart => self.collection(visitor, true),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // A unit variant written as its name; anything else is
        // serde_yaml's.
        let (text, _) = self.scalar()?;
        if text.is_empty() {
            return Err(GiveUp);
        }
        visitor.visit_enum(text.into_deserializer())
    }

    // Booleans and integers are what `deserialize_any` finds, and the
    // visitor refuses any other kind of value; so are the rest, which the
    // topology's types never ask for.
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct newtype_struct tuple tuple_struct ignored_any
    }
}

/// The entries of a mapping or the items of a sequence, up to its end.
struct Entries<'r, 't> {
    reader: &'r mut Reader<'t>,
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.reader.peek()? {
            Peeked::MappingEnd => Ok(None),
            // A key that is a mapping or a list is serde_yaml's.
            Peeked::Scalar => seed.deserialize(&mut *self.reader).map(Some),
            _ => Err(GiveUp),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.reader)
    }
}

impl<'de> de::SeqAccess<'de> for Entries<'_, '_> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.reader.peek()? {
            Peeked::SequenceEnd => Ok(None),
            _ => seed.deserialize(&mut *self.reader).map(Some),
        }
    }
}
