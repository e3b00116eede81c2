//! Line and column of a node in a YAML text, found by walking the text
//! again with serde_yaml.
//!
//! serde_yaml keeps no positions in its `Value`; the only position it gives
//! is the one attached to an error. So to locate `queues[3].arguments.x-foo`
//! we deserialise the document once more with a seed that skips everything
//! but that path and fails on purpose when it gets there: the error carries
//! the line and column. The same trick deserialises one list item into its
//! type, to report that item's own errors with their positions, and finds
//! the second occurrence of a duplicate key. Each call parses the document
//! once, so callers spend them sparingly.
//!
//! This module never reads files and never decides what is valid.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    pub fn key(key: &str) -> Seg {
        Seg::Key(key.to_string())
    }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The error message our seeds raise on purpose, to tell it from real ones.
const HERE: &str = "\u{1}warren: here\u{1}";

/// Where the value at `path` starts in document `doc` of `text`, or `None`
/// when the path is not in the text (the value came from a default).
pub fn value_position(text: &str, doc: usize, path: &[Seg]) -> Option<Position> {
    let deserializer = serde_yaml::Deserializer::from_str(text).nth(doc)?;
    let seed = At {
        path,
        target: FailHere,
    };
    match seed.deserialize(deserializer) {
        Err(err) if err.to_string().contains(HERE) => position(&err),
        _ => None,
    }
}

/// Where the key `key` of the mapping at `path` is written.
pub fn key_position(text: &str, doc: usize, path: &[Seg], key: &str) -> Option<Position> {
    let deserializer = serde_yaml::Deserializer::from_str(text).nth(doc)?;
    let seed = At {
        path,
        target: FailAtKey { key },
    };
    match seed.deserialize(deserializer) {
        Err(err) if err.to_string().contains(HERE) => position(&err),
        _ => None,
    }
}

/// Deserialises the value at `path` into `T`, straight from the text, so a
/// failure comes with serde_yaml's message and position. `Ok(None)` when
/// the path is not in the text.
pub fn typed<T>(text: &str, doc: usize, path: &[Seg]) -> Result<Option<T>, serde_yaml::Error>
where
    T: for<'de> Deserialize<'de>,
{
    let Some(deserializer) = serde_yaml::Deserializer::from_str(text).nth(doc) else {
        return Ok(None);
    };
    let mut found = None;
    let seed = At {
        path,
        target: Typed(&mut found),
    };
    seed.deserialize(deserializer)?;
    Ok(found)
}

/// The key repeated within one mapping of document `doc`, and where its
/// second occurrence is written.
pub fn duplicate_key(text: &str, doc: usize) -> Option<(String, Option<Position>)> {
    let deserializer = serde_yaml::Deserializer::from_str(text).nth(doc)?;
    match DuplicateKeys.deserialize(deserializer) {
        Err(err) => {
            let message = err.to_string();
            let start = message.find(HERE)? + HERE.len();
            let rest = &message[start..];
            let end = rest.find(HERE)?;
            Some((rest[..end].to_string(), position(&err)))
        }
        Ok(()) => None,
    }
}

/// The 1-based position of a serde_yaml error, if it has one.
pub fn position(err: &serde_yaml::Error) -> Option<Position> {
    err.location().map(|l| Position {
        line: l.line(),
        column: l.column(),
    })
}

fn here<E: de::Error>() -> E {
    E::custom(HERE)
}

/// Walks down `path`, skipping everything else, and hands the node found
/// there to `target`.
struct At<'p, T> {
    path: &'p [Seg],
    target: T,
}

impl<'de, T> DeserializeSeed<'de> for At<'_, T>
where
    T: DeserializeSeed<'de, Value = ()>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            self.target.deserialize(deserializer)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de, T> Visitor<'de> for At<'_, T>
where
    T: DeserializeSeed<'de, Value = ()>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (first, rest) = (&self.path[0], &self.path[1..]);
        let mut target = Some(self.target);
        while let Some(key) = map.next_key::<KeyText>()? {
            match (first, target.take()) {
                (Seg::Key(wanted), Some(t)) if *wanted == key.0 => {
                    map.next_value_seed(At {
                        path: rest,
                        target: t,
                    })?;
                }
                (_, t) => {
                    target = t;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (first, rest) = (&self.path[0], &self.path[1..]);
        let mut target = Some(self.target);
        let mut index = 0;
        loop {
            let found = match (first, target.take()) {
                (Seg::Index(wanted), Some(t)) if *wanted == index => seq.next_element_seed(At {
                    path: rest,
                    target: t,
                })?,
                (_, t) => {
                    target = t;
                    seq.next_element::<IgnoredAny>()?.map(|_| ())
                }
            };
            if found.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    // A scalar where the path wants a mapping or a list: not there.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged node (`!tag value`): look through the tag.
        let (_, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

/// A mapping key as text: scalars are written as they read; other keys
/// (a list as a key) are skipped and read as empty.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyText, D::Error> {
        deserializer.deserialize_any(KeyTextVisitor {
            check: |_: &str| Ok(()),
        })
    }
}

/// Reads a key as text and runs `check` on it. An error raised here, inside
/// the visitor, is given the position of the key itself.
struct KeyTextVisitor<F> {
    check: F,
}

impl<F: FnOnce(&str) -> Result<(), String>> KeyTextVisitor<F> {
    fn key<E: de::Error>(self, text: String) -> Result<KeyText, E> {
        (self.check)(&text).map_err(E::custom)?;
        Ok(KeyText(text))
    }
}

impl<'de, F: FnOnce(&str) -> Result<(), String>> Visitor<'de> for KeyTextVisitor<F> {
    type Value = KeyText;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
        self.key(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
        self.key("null".to_string())
    }
    fn visit_none<E: de::Error>(self) -> Result<KeyText, E> {
        self.key("null".to_string())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<KeyText, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(KeyText(String::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(KeyText(String::new()))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<KeyText, A::Error> {
        let (_, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
        Ok(KeyText(String::new()))
    }
}

/// Fails as soon as it is asked to deserialise: serde_yaml then attaches
/// the position of the node it was about to read.
struct FailHere;

impl<'de> DeserializeSeed<'de> for FailHere {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(FailVisitor)
    }
}

struct FailVisitor;

impl<'de> Visitor<'de> for FailVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(here())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(here())
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Err(here())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(here())
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Err(here())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(here())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(here())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(here())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(here())
    }
    fn visit_some<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(here())
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(here())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(here())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(here())
    }
}

/// Fails on the key `key` of the mapping it is given.
struct FailAtKey<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for FailAtKey<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FailAtKey<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let wanted = self.key;
        let fail_on_wanted = |key: &str| {
            if key == wanted {
                Err(HERE.to_string())
            } else {
                Ok(())
            }
        };
        while map
            .next_key_seed(KeySeed {
                check: fail_on_wanted,
            })?
            .is_some()
        {
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A mapping key, read through [`KeyTextVisitor`].
struct KeySeed<F> {
    check: F,
}

impl<'de, F: FnOnce(&str) -> Result<(), String>> DeserializeSeed<'de> for KeySeed<F> {
    type Value = KeyText;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<KeyText, D::Error> {
        deserializer.deserialize_any(KeyTextVisitor { check: self.check })
    }
}

/// Deserialises its node into `T`, kept in the option it holds.
struct Typed<'o, T>(&'o mut Option<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Typed<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        *self.0 = Some(T::deserialize(deserializer)?);
        Ok(())
    }
}

/// Walks a whole document and fails on the first key written twice in one
/// mapping, at that key, with the key in the message between two markers.
struct DuplicateKeys;

impl<'de> DeserializeSeed<'de> for DuplicateKeys {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateKeys {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        loop {
            let unique = |key: &str| {
                if key.is_empty() || seen.insert(key.to_string()) {
                    Ok(())
                } else {
                    Err(format!("{HERE}{key}{HERE}"))
                }
            };
            if map.next_key_seed(KeySeed { check: unique })?.is_none() {
                return Ok(());
            }
            map.next_value_seed(DuplicateKeys)?;
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(DuplicateKeys)?.is_some() {}
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        let (_, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
vhosts:
  - name: /
queues:
  - name: a
  - name: b
    arguments:
      x-message-ttl: \"60000\"
";

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    #[test]
    fn a_value_is_located_where_it_is_written() {
        let path = [
            Seg::key("queues"),
            Seg::Index(1),
            Seg::key("arguments"),
            Seg::key("x-message-ttl"),
        ];
        assert_eq!(value_position(TEXT, 0, &path), at(7, 22));
        assert_eq!(
            value_position(TEXT, 0, &[Seg::key("queues"), Seg::Index(0)]),
            at(4, 5)
        );
    }

    #[test]
    fn a_path_that_is_not_written_has_no_position() {
        let path = [Seg::key("queues"), Seg::Index(0), Seg::key("durable")];
        assert_eq!(value_position(TEXT, 0, &path), None);
        assert_eq!(
            value_position(TEXT, 0, &[Seg::key("queues"), Seg::Index(9)]),
            None
        );
        assert_eq!(value_position(TEXT, 3, &[]), None, "no such document");
    }

    #[test]
    fn a_key_is_located_where_it_is_written() {
        assert_eq!(key_position(TEXT, 0, &[], "queues"), at(3, 1));
        let queue = [Seg::key("queues"), Seg::Index(1)];
        assert_eq!(key_position(TEXT, 0, &queue, "arguments"), at(6, 5));
    }

    #[test]
    fn documents_are_counted_from_zero() {
        let text = "queues: [{name: a}]\n---\nqueues:\n  - name: b\n";
        let path = [Seg::key("queues"), Seg::Index(0)];
        assert_eq!(value_position(text, 1, &path), at(4, 5));
    }

    #[test]
    fn a_typed_error_keeps_the_position_of_the_bad_field() {
        let text = "queues:\n  - name: a\n    durable: yes\n";
        let err = typed::<crate::model::Queue>(text, 0, &[Seg::key("queues"), Seg::Index(0)])
            .unwrap_err();
        assert_eq!(position(&err), at(3, 14));
        assert!(err.to_string().contains("expected a boolean"), "{err}");
    }

    #[test]
    fn a_typed_node_is_returned_when_it_deserialises() {
        let path = [Seg::key("queues"), Seg::Index(1)];
        let queue = typed::<crate::model::Queue>(TEXT, 0, &path)
            .unwrap()
            .unwrap();
        assert_eq!(queue.name, "b");
        let missing = [Seg::key("queues"), Seg::Index(5)];
        assert!(
            typed::<crate::model::Queue>(TEXT, 0, &missing)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_second_occurrence_of_a_duplicate_key_is_found() {
        let text = "queues:\n  - name: a\n    durable: true\n    name: b\n";
        assert_eq!(duplicate_key(text, 0), Some(("name".to_string(), at(4, 5))));
        assert_eq!(duplicate_key(TEXT, 0), None);
    }
}
