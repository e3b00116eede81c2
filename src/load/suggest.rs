//! "Did you mean …?" hints: the closest candidate to a misspelt name, by
//! edit distance. Pure string work; it knows nothing of topologies.

/// The candidate closest to `word`, if one is close enough to be a
/// plausible typo. Ties go to the first candidate in iteration order, so
/// callers pass candidates in a stable order.
///
/// "Close enough" grows with the length of the word: one edit for short
/// names, up to four for long ones, and a difference of case alone always
/// counts. An exact match is not a suggestion.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = word.chars().count().div_ceil(3).clamp(1, 4);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        let distance = if candidate.to_lowercase() == word.to_lowercase() {
            0
        } else {
            edit_distance(word, candidate)
        };
        // Replacing every character of a short name is no near miss.
        let longest = word.chars().count().max(candidate.chars().count());
        let plausible = distance <= limit && distance < longest;
        if plausible && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// ` (did you mean 'x'?)`, or nothing: ready to append to a message.
pub fn hint<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match did_you_mean(word, candidates) {
        Some(candidate) => format!(" (did you mean '{candidate}'?)"),
        None => String::new(),
    }
}

/// The optimal string alignment distance: insertions, deletions,
/// substitutions and transpositions of two neighbours each cost one, so
/// `durbale` is one edit away from `durable`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic-programming table are enough.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_each_kind_of_edit_once() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("queue", ""), 5);
        assert_eq!(edit_distance("topik", "topic"), 1, "substitution");
        assert_eq!(edit_distance("jobs", "job"), 1, "deletion");
        assert_eq!(edit_distance("ques", "queues"), 2, "insertions");
        assert_eq!(edit_distance("durbale", "durable"), 1, "transposition");
        assert_eq!(
            edit_distance("événement", "evenement"),
            2,
            "chars, not bytes"
        );
    }

    #[test]
    fn a_near_miss_is_suggested() {
        let exchanges = ["events", "audit"];
        assert_eq!(did_you_mean("evnts", exchanges), Some("events"));
        assert_eq!(
            did_you_mean("topik", ["direct", "fanout", "topic", "headers"]),
            Some("topic")
        );
        assert_eq!(
            did_you_mean("order.evnts", ["jobs", "order.events"]),
            Some("order.events")
        );
    }

    #[test]
    fn a_difference_of_case_alone_is_suggested() {
        assert_eq!(did_you_mean("Topic", ["topic"]), Some("topic"));
    }

    #[test]
    fn a_distant_word_gets_no_suggestion() {
        assert_eq!(did_you_mean("prod", ["/"]), None);
        assert_eq!(
            did_you_mean("7", ["/"]),
            None,
            "a whole short name replaced"
        );
        assert_eq!(did_you_mean("payments", ["events", "jobs"]), None);
        assert_eq!(did_you_mean("x", []), None);
    }

    #[test]
    fn an_exact_match_is_not_a_suggestion() {
        assert_eq!(did_you_mean("jobs", ["jobs"]), None);
    }

    #[test]
    fn the_closest_candidate_wins_and_ties_go_to_the_first() {
        assert_eq!(did_you_mean("queus", ["queues", "queue"]), Some("queues"));
        assert_eq!(did_you_mean("ab", ["ac", "ad"]), Some("ac"));
    }

    #[test]
    fn the_hint_is_ready_to_append() {
        assert_eq!(hint("topik", ["topic"]), " (did you mean 'topic'?)");
        assert_eq!(hint("zzz", ["topic"]), "");
    }
}
