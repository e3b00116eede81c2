//! A look at a file's bytes, before they are parsed, for the broker-wide
//! kinds it writes (users, permissions, parameters, …): the broker can be
//! asked for those while the file is parsed, which for a file of thousands
//! of users takes as long as the broker's answer. A guess, never a verdict:
//! a kind seen here that the parse does not confirm costs one listing that
//! is thrown away, and a kind missed is read after the parse, as usual.

/// The broker-wide kinds a file seems to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Foreseen {
    pub users: bool,
    pub permissions: bool,
    pub topic_permissions: bool,
    pub parameters: bool,
    pub global_parameters: bool,
}

impl Foreseen {
    pub fn any(&self) -> bool {
        *self != Foreseen::default()
    }

    /// The kinds of this guess that `other` lacks.
    pub fn without(self, other: Foreseen) -> Foreseen {
        Foreseen {
            users: self.users && !other.users,
            permissions: self.permissions && !other.permissions,
            topic_permissions: self.topic_permissions && !other.topic_permissions,
            parameters: self.parameters && !other.parameters,
            global_parameters: self.global_parameters && !other.global_parameters,
        }
    }

    /// Both guesses together.
    pub fn union(self, other: Foreseen) -> Foreseen {
        Foreseen {
            users: self.users || other.users,
            permissions: self.permissions || other.permissions,
            topic_permissions: self.topic_permissions || other.topic_permissions,
            parameters: self.parameters || other.parameters,
            global_parameters: self.global_parameters || other.global_parameters,
        }
    }

    fn set(&mut self, key: &[u8]) {
        match key {
            b"users" => self.users = true,
            b"permissions" => self.permissions = true,
            b"topic_permissions" => self.topic_permissions = true,
            b"parameters" => self.parameters = true,
            b"global_parameters" => self.global_parameters = true,
            _ => {}
        }
    }
}

const KEYS: [&[u8]; 5] = [
    b"users",
    b"permissions",
    b"topic_permissions",
    b"parameters",
    b"global_parameters",
];

/// The kinds written as a top-level key of a YAML block mapping (`users:`
/// at the start of a line, quoted or not) or as a quoted key anywhere in
/// JSON (`"users":`, as a definitions export writes it on one line).
pub fn foresee(bytes: &[u8]) -> Foreseen {
    let mut seen = Foreseen::default();
    // memchr finds the line ends and quotes many bytes at a time: the
    // broker is asked only once this look is over.
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        let line = &bytes[start..end];
        start = end + 1;
        let unquoted = line
            .strip_prefix(b"\"")
            .or_else(|| line.strip_prefix(b"'"))
            .unwrap_or(line);
        if let Some(key) = key_at_start(unquoted) {
            seen.set(key);
        }
    }
    // Every quoted string that is one of the keys and is followed by `:`.
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'"', &bytes[at..]) {
        at += offset + 1;
        let rest = &bytes[at..];
        if let Some(key) = KEYS.into_iter().find(|key| {
            rest.strip_prefix(*key)
                .and_then(|after| after.strip_prefix(b"\""))
                .is_some_and(|after| after.trim_ascii_start().starts_with(b":"))
        }) {
            seen.set(key);
        }
    }
    seen
}

/// The key among [`KEYS`] that `line` starts with, followed by `:` (after
/// a closing quote or spaces).
fn key_at_start(line: &[u8]) -> Option<&'static [u8]> {
    KEYS.into_iter().find(|key| {
        line.strip_prefix(*key).is_some_and(|after| {
            let after = after
                .strip_prefix(b"\"")
                .or_else(|| after.strip_prefix(b"'"))
                .unwrap_or(after);
            after.trim_ascii_start().starts_with(b":")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_yaml_keys_and_json_keys_are_seen() {
        let yaml = b"vhosts:\n  - name: /\nusers:\n  - name: app\n\"permissions\" :\n  - {}\n";
        assert_eq!(
            foresee(yaml),
            Foreseen {
                users: true,
                permissions: true,
                ..Foreseen::default()
            }
        );
        let json =
            br#"{"rabbit_version":"3.13.7","users":[],"topic_permissions" : [],"parameters":[]}"#;
        assert_eq!(
            foresee(json),
            Foreseen {
                users: true,
                topic_permissions: true,
                parameters: true,
                ..Foreseen::default()
            }
        );
    }

    #[test]
    fn nested_keys_and_values_are_not_mistaken_for_kinds() {
        // Indented (a queue argument, a comment), a value, a longer key.
        let yaml =
            b"queues:\n  - name: users\n    users: 1\n# users:\nusers_extra: 1\nname: \"users\"\n";
        assert!(!foresee(yaml).any());
    }
}
