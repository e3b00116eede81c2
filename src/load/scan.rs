//! A quick look at a file for the vhosts it declares, made before it is
//! loaded, so that the broker can be read while the file is parsed. The
//! answer is a guess the caller checks against the loaded topology: it
//! reads only the top-level `vhosts:` list and stops at its end, and gives
//! up (`None`) on anything it does not expect there, such as an alias.

use super::events::{Event, Events};

/// The names under the top-level `vhosts:` list of every document of
/// `text`, or `None` when they cannot be told without loading the file.
pub fn declared_vhosts(text: &[u8]) -> Option<Vec<String>> {
    let mut events = Events::new(text);
    let mut names = Vec::new();
    loop {
        match events.next_event() {
            None => return Some(names),
            Some(Event::DocumentStart | Event::DocumentEnd) => {}
            Some(Event::MappingStart) => {
                if scan_top_level(&mut events, &mut names)? {
                    // One `vhosts:` list is all a document may have.
                    return Some(names);
                }
            }
            // An empty document, or one that is not a mapping: loading it
            // tells what is wrong.
            Some(Event::Scalar(_)) => {}
            Some(_) => return None,
        }
    }
}

/// Reads the pairs of the top-level mapping; true once its `vhosts:` list
/// was read.
fn scan_top_level(events: &mut Events<'_>, names: &mut Vec<String>) -> Option<bool> {
    loop {
        match events.next_event()? {
            Event::MappingEnd => return Some(false),
            Event::Scalar(b"vhosts") => {
                vhost_list(events, names)?;
                return Some(true);
            }
            Event::Scalar(_) => skip_value(events, true)?,
            _ => return None,
        }
    }
}

/// `[{name: a, …}, …]`, or nothing (`vhosts:` with no value).
fn vhost_list(events: &mut Events<'_>, names: &mut Vec<String>) -> Option<()> {
    match events.next_event()? {
        Event::Scalar(_) => return Some(()),
        Event::SequenceStart => {}
        _ => return None,
    }
    loop {
        match events.next_event()? {
            Event::SequenceEnd => return Some(()),
            Event::MappingStart => loop {
                match events.next_event()? {
                    Event::MappingEnd => break,
                    Event::Scalar(b"name") => match events.next_event()? {
                        Event::Scalar(name) => names.push(String::from_utf8(name.to_vec()).ok()?),
                        _ => return None,
                    },
                    Event::Scalar(_) => skip_value(events, false)?,
                    _ => return None,
                }
            },
            _ => return None,
        }
    }
}

/// Skips one value, however deeply nested; gives up on an alias unless
/// `aliases` (one inside a vhost could merge in another name).
fn skip_value(events: &mut Events<'_>, aliases: bool) -> Option<()> {
    let mut depth = 0usize;
    loop {
        match events.next_event()? {
            Event::MappingStart | Event::SequenceStart => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth = depth.checked_sub(1)?,
            Event::Scalar(_) => {}
            Event::Alias if aliases => {}
            Event::Alias | Event::DocumentStart | Event::DocumentEnd => return None,
        }
        if depth == 0 {
            return Some(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Option<Vec<String>> {
        declared_vhosts(text.as_bytes())
    }

    #[test]
    fn the_vhosts_list_is_read_wherever_it_is() {
        let first =
            "vhosts:\n  - name: a\n  - {name: 'b c', description: x}\nqueues: [{name: q}]\n";
        assert_eq!(scan(first), Some(vec!["a".into(), "b c".into()]));
        let last = "queues:\n  - {name: q, arguments: {x: [1, {y: 2}]}}\nvhosts: [{tags: [t], name: \"/\"}]\n";
        assert_eq!(scan(last), Some(vec!["/".into()]));
    }

    #[test]
    fn a_definitions_export_is_json_and_reads_the_same() {
        let export = r#"{"rabbit_version": "3.10.8", "users": [{"name": "u", "tags": []}],
            "vhosts": [{"name": "/"}, {"name": "orders"}], "queues": []}"#;
        assert_eq!(scan(export), Some(vec!["/".into(), "orders".into()]));
    }

    #[test]
    fn files_without_vhosts_declare_none() {
        assert_eq!(scan(""), Some(vec![]));
        assert_eq!(scan("queues: [{name: q}]\n"), Some(vec![]));
        assert_eq!(scan("vhosts:\n"), Some(vec![]));
        assert_eq!(scan("# only a comment\n"), Some(vec![]));
    }

    #[test]
    fn what_needs_a_load_to_tell_is_given_up() {
        assert_eq!(scan("vhosts: [&v {name: a}, *v]\n"), None);
        assert_eq!(scan("vhosts: [{name: a, <<: *x}]\n"), None);
        assert_eq!(scan("vhosts: [a]\n"), None);
        assert_eq!(scan("vhosts: [{name: [a]}]\n"), None);
        assert_eq!(scan("[vhosts]\n"), None);
        assert_eq!(scan("vhosts: [{name: a}\n"), None);
    }
}
