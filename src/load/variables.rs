//! `${name}` in topology files: the variables of one target of
//! `warren.yaml`, put in while a file is read.
//!
//! A scalar that is a whole `${name}` (quoted or not) becomes the
//! variable's value with its type: a number stays a number, a list a list.
//! Inside a longer scalar the value is spliced in as text, and the result
//! is a string. `$${` writes a literal `${`. A scalar with an explicit tag
//! (`!!str "${x}"`) is left as written. Without variables (no target) a
//! file is read exactly as before: `${…}` is plain text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::yaml::{Node, Position, Scalar, Value};

/// The variables of one target, by name.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// The target they belong to, for messages.
    pub target: String,
    values: BTreeMap<String, VariableValue>,
}

/// A value a variable holds, as `warren.yaml` gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableValue {
    Null,
    Bool(bool),
    /// A number, as written (YAML's integers and floats).
    Number(String),
    String(String),
    List(Vec<VariableValue>),
    Map(Vec<(String, VariableValue)>),
}

/// A reference that could not be put in, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub at: Position,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `${name}` names no variable of the target.
    Undefined(String),
    /// A list or mapping variable inside a longer string.
    NotText(String),
    /// `${` without a closing `}` or with a name that is not one.
    Malformed(String),
}

impl Variables {
    pub fn new(target: impl Into<String>, values: BTreeMap<String, VariableValue>) -> Variables {
        Variables {
            target: target.into(),
            values,
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// The node a scalar read at `at` stands for, its references put in;
    /// the references that could not be are added to `unresolved` (and the
    /// scalar is kept as written).
    pub fn substitute<'a>(
        &self,
        scalar: Scalar<'a>,
        at: Position,
        unresolved: &mut Vec<Unresolved>,
    ) -> Node<'a> {
        let keep = |scalar| Node {
            at,
            value: Value::Scalar(scalar),
        };
        if scalar.tag.is_some() || !scalar.text.contains('$') {
            return keep(scalar);
        }
        if let Some(name) = whole_reference(&scalar.text) {
            return match self.values.get(name) {
                Some(value) => value.node_at(at),
                None => {
                    unresolved.push(Unresolved {
                        at,
                        problem: Problem::Undefined(name.to_string()),
                    });
                    keep(scalar)
                }
            };
        }
        match self.splice(&scalar.text) {
            Ok(None) => keep(scalar),
            Ok(Some(text)) => keep(Scalar {
                text: Cow::Owned(text),
                plain: false,
                tag: None,
            }),
            Err(problem) => {
                unresolved.push(Unresolved { at, problem });
                keep(scalar)
            }
        }
    }

    /// `text` with each `${name}` replaced by its value as text and each
    /// `$${` by `${`; `None` when it holds neither.
    fn splice(&self, text: &str) -> Result<Option<String>, Problem> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut changed = false;
        while let Some(start) = rest.find('$') {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
                changed = true;
            } else if let Some(tail) = after.strip_prefix("${") {
                let Some(end) = tail.find('}') else {
                    return Err(Problem::Malformed(after.to_string()));
                };
                let name = &tail[..end];
                if !is_name(name) {
                    return Err(Problem::Malformed(format!("${{{name}}}")));
                }
                let value = self
                    .values
                    .get(name)
                    .ok_or_else(|| Problem::Undefined(name.to_string()))?;
                match value {
                    VariableValue::List(_) | VariableValue::Map(_) => {
                        return Err(Problem::NotText(name.to_string()));
                    }
                    scalar => out.push_str(&scalar.to_string()),
                }
                rest = &tail[end + 1..];
                changed = true;
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Ok(changed.then_some(out))
    }
}

/// The name in a scalar that is nothing but `${name}`.
fn whole_reference(text: &str) -> Option<&str> {
    let name = text.strip_prefix("${")?.strip_suffix('}')?;
    is_name(name).then_some(name)
}

/// A variable's name: a letter or `_`, then letters, digits, `_` or `-`.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl VariableValue {
    /// The value as a YAML node, every node of it placed at `at` (the
    /// reference), so that what is said of it points into the topology file.
    fn node_at<'a>(&self, at: Position) -> Node<'a> {
        let scalar = |text: String, plain: bool| {
            Value::Scalar(Scalar {
                text: Cow::Owned(text),
                plain,
                tag: None,
            })
        };
        let value = match self {
            VariableValue::Null => scalar("null".into(), true),
            VariableValue::Bool(b) => scalar(b.to_string(), true),
            VariableValue::Number(n) => scalar(n.clone(), true),
            VariableValue::String(s) => scalar(s.clone(), false),
            VariableValue::List(items) => {
                Value::Sequence(items.iter().map(|i| i.node_at(at)).collect())
            }
            VariableValue::Map(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|(k, v)| (VariableValue::String(k.clone()).node_at(at), v.node_at(at)))
                    .collect(),
            ),
        };
        Node { at, value }
    }
}

impl Unresolved {
    /// What is wrong, in words, for a diagnostic at the reference.
    pub fn message(&self, variables: &Variables) -> String {
        let target = &variables.target;
        match &self.problem {
            Problem::Undefined(name) => {
                let known: Vec<&str> = variables.names().collect();
                let defined = if known.is_empty() {
                    "it defines none".to_string()
                } else {
                    format!("it defines {}", known.join(", "))
                };
                format!(
                    "${{{name}}} is not a variable of target '{target}'{}: {defined}; add it \
                     under the target's variables in warren.yaml",
                    crate::suggest::hint(name, known.iter().copied())
                )
            }
            Problem::NotText(name) => format!(
                "${{{name}}} of target '{target}' is a list or a mapping: it can stand for a \
                 whole value only, not inside a string"
            ),
            Problem::Malformed(text) => format!(
                "'{text}' is not a variable reference: write ${{name}} (letters, digits, _ and -), \
                 or $${{ for a literal ${{"
            ),
        }
    }
}

impl fmt::Display for VariableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VariableValue::Null => f.write_str("null"),
            VariableValue::Bool(b) => write!(f, "{b}"),
            VariableValue::Number(n) | VariableValue::String(n) => f.write_str(n),
            VariableValue::List(_) => f.write_str("a list"),
            VariableValue::Map(_) => f.write_str("a mapping"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        Variables::new(
            "staging",
            BTreeMap::from([
                ("ttl".to_string(), VariableValue::Number("60000".into())),
                ("region".to_string(), VariableValue::String("eu".into())),
                ("on".to_string(), VariableValue::Bool(true)),
                (
                    "keys".to_string(),
                    VariableValue::List(vec![VariableValue::String("a".into())]),
                ),
            ]),
        )
    }

    fn scalar(text: &str, plain: bool) -> Scalar<'_> {
        Scalar {
            text: Cow::Borrowed(text),
            plain,
            tag: None,
        }
    }

    fn put(text: &str, plain: bool) -> (Node<'_>, Vec<Unresolved>) {
        let mut unresolved = Vec::new();
        let at = Position { line: 3, column: 7 };
        let node = vars().substitute(scalar(text, plain), at, &mut unresolved);
        (node, unresolved)
    }

    fn text_and_plain(node: &Node<'_>) -> (String, bool) {
        match &node.value {
            Value::Scalar(s) => (s.text.to_string(), s.plain),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_whole_reference_keeps_the_type_quoted_or_not() {
        for plain in [true, false] {
            let (node, none) = put("${ttl}", plain);
            assert!(none.is_empty());
            assert_eq!(text_and_plain(&node), ("60000".into(), true));
            assert_eq!(node.describe(), "a number");
        }
        assert_eq!(put("${region}", true).0.describe(), "a string");
        assert_eq!(put("${on}", true).0.describe(), "a boolean");
        let (list, _) = put("${keys}", true);
        assert_eq!(list.describe(), "a list");
        assert_eq!(list.at, Position { line: 3, column: 7 });
    }

    #[test]
    fn inside_a_string_the_value_is_text() {
        let (node, none) = put("orders-${region}-${ttl}", true);
        assert!(none.is_empty());
        assert_eq!(text_and_plain(&node), ("orders-eu-60000".into(), false));
        let (node, _) = put("cost $5 and $${literal}", true);
        assert_eq!(text_and_plain(&node).0, "cost $5 and ${literal}");
        let (node, _) = put("$5", true);
        assert_eq!(text_and_plain(&node), ("$5".into(), true));
    }

    #[test]
    fn what_cannot_be_put_in_is_reported_at_the_reference() {
        let (node, problems) = put("${tll}", true);
        assert_eq!(text_and_plain(&node).0, "${tll}");
        assert_eq!(problems[0].problem, Problem::Undefined("tll".into()));
        let message = problems[0].message(&vars());
        assert!(message.contains("target 'staging'"), "{message}");
        assert!(message.contains("did you mean 'ttl'"), "{message}");
        assert_eq!(
            put("a-${keys}", true).1[0].problem,
            Problem::NotText("keys".into())
        );
        assert!(matches!(
            put("a-${ttl", true).1[0].problem,
            Problem::Malformed(_)
        ));
        assert!(matches!(
            put("a-${t t}", true).1[0].problem,
            Problem::Malformed(_)
        ));
    }

    #[test]
    fn a_tagged_scalar_is_left_as_written() {
        let mut unresolved = Vec::new();
        let tagged = Scalar {
            text: Cow::Borrowed("${ttl}"),
            plain: false,
            tag: Some("!!str".into()),
        };
        let node = vars().substitute(tagged, Position::default(), &mut unresolved);
        assert_eq!(node.as_str(), Some("${ttl}"));
    }
}
