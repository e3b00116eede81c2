//! How big one topology file may be, checked before serde_yaml sees it.
//!
//! serde_yaml reads a whole YAML document into a list of events before it
//! deserialises anything (it needs them for aliases), at about a hundred
//! bytes per event, and the loader builds a `Value` of about as much again.
//! A dense file (`[1,1,1,…]` is two bytes per event) would so take fifty
//! times its size in memory. Two limits keep a file within a few hundred
//! megabytes: its size in bytes, and its number of YAML nodes, counted by
//! libyaml's own streaming parser (the one serde_yaml uses, so the count is
//! the count serde_yaml would buffer), which holds no more than one event at
//! a time and stops as soon as the limit is passed.
//!
//! A file read straight from its events instead (`direct`, the common
//! case) holds no more than its objects, and stops at the same node limit;
//! it is counted here only when serde_yaml is to read it.
//!
//! A topology bigger than that is split into several files, which merge.
//! This module decides nothing else about a file.

use super::events::{Event, Events};

/// Files larger than this are refused without being parsed. A file of one
/// huge scalar is parsed twice (counted, then loaded), at 20 to 40 MB/s in
/// a debug build; a realistic file reaches [`MAX_NODES`] near this size (at
/// 7 to 15 bytes a node).
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Files with more YAML nodes than this are refused: about 70,000 queues of
/// a definitions export, or 250,000 queues written `- name: q` with their
/// defaults.
pub const MAX_NODES: usize = 1_000_000;

/// Below this size a file cannot hold [`MAX_NODES`] nodes (libyaml makes
/// at most about two events of a byte, as `[[[` or `- - -` do), so it is not
/// counted.
const COUNT_ABOVE_BYTES: usize = MAX_NODES / 2;

/// Why a file is too big to load, in words for its error.
pub fn too_big(text: &str) -> Option<String> {
    if text.len() > MAX_FILE_BYTES {
        return Some(too_many_bytes());
    }
    if text.len() > COUNT_ABOVE_BYTES && more_nodes_than(text, MAX_NODES) {
        return Some(format!(
            "the file holds more than {} YAML nodes (values, keys, lists and mappings), \
             the most one file may hold; split the topology into several files, which merge",
            thousands(MAX_NODES)
        ));
    }
    None
}

/// The error for a file longer than [`MAX_FILE_BYTES`] (which is read no
/// further than that).
pub fn too_many_bytes() -> String {
    format!(
        "the file is larger than {} MiB, the most one file may be; split the topology into \
         several files, which merge",
        MAX_FILE_BYTES >> 20
    )
}

/// Whether `text` holds more than `limit` YAML events (scalars, aliases,
/// and the start and end of each collection and document). A syntax error
/// stops the count: serde_yaml reports it. So does the point where the
/// rest of the text cannot reach the limit (two events a byte, and the
/// ends of the collections open), which for a file of realistic density a
/// little over [`COUNT_ABOVE_BYTES`] comes long before its end.
fn more_nodes_than(text: &str, limit: usize) -> bool {
    let mut events = Events::new(text.as_bytes());
    let mut count = 0;
    let mut open = 0usize;
    while count <= limit {
        match events.next_event() {
            None => return false,
            Some(Event::DocumentStart | Event::MappingStart | Event::SequenceStart) => open += 1,
            Some(Event::DocumentEnd | Event::MappingEnd | Event::SequenceEnd) => {
                open = open.saturating_sub(1)
            }
            Some(Event::Scalar(_) | Event::Alias) => {}
        }
        count += 1;
        let unread = text.len().saturating_sub(events.position());
        if count + open + 2 * unread + 2 <= limit {
            return false;
        }
    }
    true
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

    #[test]
    fn nodes_are_counted_as_libyaml_sees_them() {
        // The start and end of the document, of its mapping and of the
        // list; one key; three items.
        let text = "queues: [a, b, c]\n";
        assert!(more_nodes_than(text, 9));
        assert!(!more_nodes_than(text, 10));
    }

    #[test]
    fn a_syntax_error_stops_the_count_without_a_verdict() {
        assert!(!more_nodes_than("queues: [a, b\n", 1_000));
        assert!(!more_nodes_than("\t- x", 1_000));
    }

    #[test]
    fn a_dense_file_is_too_big_and_a_long_one_is_not() {
        let dense = format!("[{}1]", "1,".repeat(MAX_NODES));
        let reason = too_big(&dense).expect("a million and one nodes are too many");
        assert!(
            reason.contains("more than 1,000,000 YAML nodes"),
            "{reason}"
        );
        let long = format!(
            "queues: [{{name: '{}'}}]",
            "q".repeat(2 * COUNT_ABOVE_BYTES)
        );
        assert_eq!(too_big(&long), None);
    }

    #[test]
    fn a_dense_tail_after_a_sparse_head_is_still_counted() {
        let head = "q".repeat(2 * COUNT_ABOVE_BYTES);
        let dense = format!("['{head}', {}1]", "1,".repeat(MAX_NODES));
        assert!(too_big(&dense).is_some());
        let sparse = format!("['{head}', {}1]", "1,".repeat(MAX_NODES / 2));
        assert_eq!(too_big(&sparse), None);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(52_428_800), "52,428,800");
    }
}
