//! A positioned YAML tree ([`Node`]) into a typed value, through serde.
//!
//! Every error is data: what is wrong ([`Problem`]: an unknown or missing
//! key, a wrong type, …), where ([`Position`] of the node it is about),
//! and the path from the value deserialised down to that node. serde's
//! derived code raises the problems (`unknown_field`, `missing_field`, …);
//! this deserialiser gives them their place on the way out. Nothing here
//! rewrites a message.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

use super::yaml::{Node, Plain, Position, Scalar, Value, resolve_plain};

/// Deserialises `T` from `node`.
pub fn from_node<'de, T: serde::Deserialize<'de>>(node: &Node<'_>) -> Result<T, DeError> {
    T::deserialize(NodeDeserializer { node })
}

/// One step of a path into a value.
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

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A key the type does not have, with the ones it has.
    UnknownKey {
        key: String,
        expected: &'static [&'static str],
    },
    /// A value an enumeration does not have, with the ones it has.
    UnknownValue {
        value: String,
        expected: &'static [&'static str],
    },
    MissingKey(&'static str),
    /// A key written twice in one mapping.
    DuplicateKey(String),
    /// `found` is serde's description (`string "yes"`), `expected` the
    /// type's (`a boolean`).
    WrongType {
        found: String,
        expected: String,
    },
    /// Anything else, in its own words.
    Other(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::UnknownKey { key, expected } => unknown(f, "key", key, expected),
            Problem::UnknownValue { value, expected } => unknown(f, "value", value, expected),
            Problem::MissingKey(key) => write!(f, "missing required key '{key}'"),
            Problem::DuplicateKey(key) => {
                write!(f, "key '{key}' is written twice in the same mapping")
            }
            Problem::WrongType { found, expected } => {
                write!(f, "invalid type: {found}, expected {expected}")
            }
            Problem::Other(message) => f.write_str(message),
        }
    }
}

/// `unknown key 'X' (did you mean 'Y'?); expected one of: a, b`
fn unknown(f: &mut fmt::Formatter<'_>, what: &str, word: &str, expected: &[&str]) -> fmt::Result {
    write!(f, "unknown {what} '{word}'")?;
    if expected.is_empty() {
        return Ok(());
    }
    let hint = crate::suggest::hint(word, expected.iter().copied());
    write!(f, "{hint}; expected one of: {}", expected.join(", "))
}

/// A problem, the node it is about, and the path to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    pub problem: Problem,
    pub at: Option<Position>,
    /// From the value deserialised to the node the problem is about.
    pub path: Vec<Seg>,
}

impl DeError {
    fn new(problem: Problem) -> DeError {
        DeError {
            problem,
            at: None,
            path: Vec::new(),
        }
    }

    /// Placed at `at` unless a node further in placed it already.
    fn placed(mut self, at: Position) -> DeError {
        self.at.get_or_insert(at);
        self
    }

    /// Inside `seg` of the value around it.
    fn within(mut self, seg: Seg) -> DeError {
        self.path.insert(0, seg);
        self
    }

    /// The path as written in messages: `arguments.x-message-ttl`, `tags[1]`.
    pub fn path_text(&self) -> String {
        let mut text = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(key) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                Seg::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        text
    }
}

impl fmt::Display for DeError {
    /// `durable: invalid type: …`, or the problem alone at the top.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path_text())?;
        }
        self.problem.fmt(f)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(message: M) -> DeError {
        DeError::new(Problem::Other(message.to_string()))
    }

    fn invalid_type(found: Unexpected<'_>, expected: &dyn de::Expected) -> DeError {
        DeError::new(Problem::WrongType {
            found: found.to_string(),
            expected: expected.to_string(),
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> DeError {
        DeError::new(Problem::UnknownKey {
            key: field.to_string(),
            expected,
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DeError {
        DeError::new(Problem::UnknownValue {
            value: variant.to_string(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> DeError {
        DeError::new(Problem::MissingKey(field))
    }

    fn duplicate_field(field: &'static str) -> DeError {
        DeError::new(Problem::DuplicateKey(field.to_string()))
    }
}

/// The meaning of a scalar: plain ones resolved, quoted ones text, and
/// core tags (`!!str`, `!!int`, …) obeyed.
enum Meaning {
    Resolved(Plain),
    Text,
}

fn meaning(scalar: &Scalar<'_>) -> Result<Meaning, DeError> {
    let Some(tag) = scalar.tag.as_deref() else {
        return Ok(if scalar.plain {
            Meaning::Resolved(resolve_plain(&scalar.text))
        } else {
            Meaning::Text
        });
    };
    let resolved = resolve_plain(&scalar.text);
    let fits = match tag {
        "!!str" => return Ok(Meaning::Text),
        "!!null" => matches!(resolved, Plain::Null),
        "!!bool" => matches!(resolved, Plain::Bool(_)),
        "!!int" => matches!(
            resolved,
            Plain::Unsigned(_) | Plain::Negative(_) | Plain::BigUnsigned(_) | Plain::BigNegative(_)
        ),
        "!!float" => matches!(resolved, Plain::Float(_)),
        other => {
            return Err(DeError::new(Problem::Other(format!(
                "the tag '{other}' is not supported: write the value without it"
            ))));
        }
    };
    if fits {
        Ok(Meaning::Resolved(resolved))
    } else {
        Err(DeError::new(Problem::Other(format!(
            "'{}' is not a valid {}",
            scalar.text,
            &tag[2..]
        ))))
    }
}

/// The serde deserialiser of one node.
struct NodeDeserializer<'n, 'a> {
    node: &'n Node<'a>,
}

impl<'n, 'a> NodeDeserializer<'n, 'a> {
    fn resolved(&self) -> &'n Node<'a> {
        self.node.resolved()
    }

    fn scalar(&self) -> Option<&'n Scalar<'a>> {
        match &self.resolved().value {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// serde's description of the node, for a wrong-type error.
    fn unexpected(&self) -> Unexpected<'n> {
        match &self.resolved().value {
            Value::Sequence(_) => Unexpected::Seq,
            Value::Mapping(_) => Unexpected::Map,
            Value::Scalar(scalar) => match meaning(scalar) {
                Ok(Meaning::Resolved(Plain::Null)) => Unexpected::Unit,
                Ok(Meaning::Resolved(Plain::Bool(b))) => Unexpected::Bool(b),
                Ok(Meaning::Resolved(Plain::Unsigned(n))) => Unexpected::Unsigned(n),
                Ok(Meaning::Resolved(Plain::Negative(n))) => Unexpected::Signed(n),
                Ok(Meaning::Resolved(Plain::Float(x))) => Unexpected::Float(x),
                _ => Unexpected::Str(&scalar.text),
            },
            Value::Shared(_) => unreachable!("resolved"),
        }
    }

    fn wrong_type(&self, expected: &dyn de::Expected) -> DeError {
        <DeError as de::Error>::invalid_type(self.unexpected(), expected)
    }

    fn visit_sequence<'de, V: Visitor<'de>>(
        &self,
        items: &'n [Node<'a>],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mut access = Items { items, next: 0 };
        let value = visitor.visit_seq(&mut access)?;
        match access.items.len() - access.next {
            0 => Ok(value),
            left => Err(<DeError as de::Error>::invalid_length(
                access.next + left,
                &"fewer elements",
            )),
        }
    }

    fn visit_mapping<'de, V: Visitor<'de>>(
        &self,
        entries: &'n [(Node<'a>, Node<'a>)],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        refuse_duplicate_keys(entries)?;
        visitor.visit_map(Entries {
            entries,
            next: 0,
            value: None,
        })
    }
}

/// A key written twice in one mapping is an error, at the second one.
fn refuse_duplicate_keys(entries: &[(Node<'_>, Node<'_>)]) -> Result<(), DeError> {
    let duplicate = |key: &Node<'_>| {
        let text = key.as_str().unwrap_or_default();
        Err(DeError::new(Problem::DuplicateKey(text.to_string())).placed(key.resolved().at))
    };
    // An object's mapping has a handful of keys: comparing each with those
    // before it is quicker than hashing them (a file of thousands of
    // objects has thousands of such mappings).
    if entries.len() <= 16 {
        for (index, (key, _)) in entries.iter().enumerate() {
            let Some(text) = key.as_str() else { continue };
            if entries[..index]
                .iter()
                .any(|(k, _)| k.as_str() == Some(text))
            {
                return duplicate(key);
            }
        }
        return Ok(());
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    for (key, _) in entries {
        if let Some(text) = key.as_str() {
            if !seen.insert(text) {
                return duplicate(key);
            }
        }
    }
    Ok(())
}

impl<'de, 'n, 'a> de::Deserializer<'de> for NodeDeserializer<'n, 'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.resolved();
        let result = match &node.value {
            Value::Sequence(items) => self.visit_sequence(items, visitor),
            Value::Mapping(entries) => self.visit_mapping(entries, visitor),
            Value::Scalar(scalar) => match meaning(scalar) {
                Err(err) => Err(err),
                Ok(Meaning::Text) | Ok(Meaning::Resolved(Plain::Text)) => {
                    visitor.visit_str(&scalar.text)
                }
                Ok(Meaning::Resolved(plain)) => match plain {
                    Plain::Null => visitor.visit_unit(),
                    Plain::Bool(b) => visitor.visit_bool(b),
                    Plain::Unsigned(n) => visitor.visit_u64(n),
                    Plain::Negative(n) => visitor.visit_i64(n),
                    Plain::BigUnsigned(n) => visitor.visit_u128(n),
                    Plain::BigNegative(n) => visitor.visit_i128(n),
                    Plain::Float(x) if x.is_finite() => visitor.visit_f64(x),
                    Plain::Float(_) => Err(DeError::new(Problem::Other(format!(
                        "'{}' is not a number the broker can hold (JSON has no infinity or NaN)",
                        scalar.text
                    )))),
                    Plain::Text => unreachable!("matched above"),
                },
            },
            Value::Shared(_) => unreachable!("resolved"),
        };
        result.map_err(|e| e.placed(node.at))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let at = self.resolved().at;
        let result = match self.scalar() {
            // Whatever a scalar would resolve to, a string field takes its
            // text: `name: 2024` is the queue "2024".
            Some(scalar) => visitor.visit_str(&scalar.text),
            None => Err(self.wrong_type(&visitor)),
        };
        result.map_err(|e| e.placed(at))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.resolved();
        let result = match &node.value {
            Value::Mapping(entries) => self.visit_mapping(entries, visitor),
            _ => Err(self.wrong_type(&visitor)),
        };
        result.map_err(|e| e.placed(node.at))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let at = self.resolved().at;
        let result = match self.scalar() {
            Some(scalar) => {
                let variant: de::value::StrDeserializer<'_, DeError> =
                    scalar.text.as_ref().into_deserializer();
                visitor.visit_enum(variant)
            }
            None => Err(self.wrong_type(&visitor)),
        };
        result.map_err(|e| e.placed(at))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    // A sequence, a null or a number is what `deserialize_any` finds; the
    // visitor refuses anything else with serde's own words.
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        seq tuple tuple_struct unit unit_struct
    }
}

/// The items of a sequence, in order.
struct Items<'n, 'a> {
    items: &'n [Node<'a>],
    next: usize,
}

impl<'de> de::SeqAccess<'de> for &mut Items<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.get(self.next) else {
            return Ok(None);
        };
        let index = self.next;
        self.next += 1;
        seed.deserialize(NodeDeserializer { node })
            .map(Some)
            .map_err(|e| e.within(Seg::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

/// The entries of a mapping, in order.
struct Entries<'n, 'a> {
    entries: &'n [(Node<'a>, Node<'a>)],
    next: usize,
    /// The value of the key just read, and that key's text.
    value: Option<(&'n Node<'a>, String)>,
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let text = key.as_str().unwrap_or_default().to_string();
        self.value = Some((value, text));
        seed.deserialize(NodeDeserializer { node: key }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (node, key) = self.value.take().expect("a value follows its key");
        seed.deserialize(NodeDeserializer { node })
            .map_err(|e| e.within(Seg::Key(key)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::{self, FileVisitor};
    use crate::model::Queue;

    /// The first item of the file's `queues`, deserialised.
    fn queue(text: &str) -> Result<Queue, String> {
        struct First<'a>(Option<Node<'a>>);
        impl<'a> FileVisitor<'a> for First<'a> {
            fn streams(&self, _: &str) -> bool {
                true
            }
            fn not_a_mapping(&mut self, _: usize, _: Node<'a>) {}
            fn entry(&mut self, _: usize, _: Node<'a>, _: Node<'a>) {}
            fn list(&mut self, _: usize, _: &Node<'a>) {}
            fn item(&mut self, _: usize, _: &str, _: usize, item: Node<'a>) {
                self.0.get_or_insert(item);
            }
        }
        let mut first = First(None);
        yaml::read(text, &mut first).expect("YAML");
        from_node(&first.0.expect("an item")).map_err(|e| {
            let at = e.at.expect("placed");
            format!("{}:{}: {e}", at.line, at.column)
        })
    }

    #[test]
    fn problems_are_placed_at_the_node_they_are_about() {
        assert_eq!(
            queue("queues:\n  - name: q\n    durable: yes\n").unwrap_err(),
            "3:14: durable: invalid type: string \"yes\", expected a boolean"
        );
        assert_eq!(
            queue("queues:\n  - name: q\n    arguments: {x-message-ttl: .inf}\n").unwrap_err(),
            "3:32: arguments.x-message-ttl: '.inf' is not a number the broker can hold \
             (JSON has no infinity or NaN)"
        );
        assert_eq!(
            queue("queues: [{vhost: v}]").unwrap_err(),
            "1:10: missing required key 'name'"
        );
    }

    #[test]
    fn a_key_written_twice_is_refused_where_it_is_written_again_in_small_and_large_mappings() {
        assert_eq!(
            queue("queues: [{name: q, durable: true, name: r}]").unwrap_err(),
            "1:35: key 'name' is written twice in the same mapping"
        );
        // More keys than are compared one by one: hashed instead.
        let many: Vec<String> = (0..20).map(|i| format!("a{i}: {i}")).collect();
        let text = format!(
            "queues: [{{name: q, arguments: {{{}, a7: 0}}}}]",
            many.join(", ")
        );
        let said = queue(&text).unwrap_err();
        assert!(
            said.ends_with("key 'a7' is written twice in the same mapping"),
            "{said}"
        );
    }

    #[test]
    fn core_tags_are_obeyed_and_others_refused() {
        let q = queue("queues: [{name: !!str 5, arguments: {a: !!int '7', b: !!str 7}}]").unwrap();
        assert_eq!(q.name, "5");
        assert_eq!(q.arguments["a"], serde_json::json!(7));
        assert_eq!(q.arguments["b"], serde_json::json!("7"));
        assert_eq!(
            queue("queues: [{name: q, arguments: {a: !custom 7}}]").unwrap_err(),
            "1:35: arguments.a: the tag '!custom' is not supported: write the value without it"
        );
        assert_eq!(
            queue("queues: [{name: q, arguments: {a: !!int x}}]").unwrap_err(),
            "1:35: arguments.a: 'x' is not a valid int"
        );
    }
}
