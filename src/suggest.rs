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
    did_you_mean_within(word, candidates, &mut HintBudget::default())
}

/// How much work "did you mean" may still do, in candidates looked at plus
/// cells of the edit-distance table. A file with thousands of dangling
/// bindings to a vhost of thousands of queues would otherwise compare every
/// pair; once the budget is spent, errors simply come without a hint.
#[derive(Debug)]
pub struct HintBudget {
    remaining: usize,
}

impl HintBudget {
    pub fn new(work: usize) -> HintBudget {
        HintBudget { remaining: work }
    }

    fn spend(&mut self, cost: usize) -> bool {
        match self.remaining.checked_sub(cost) {
            Some(rest) => {
                self.remaining = rest;
                true
            }
            None => {
                self.remaining = 0;
                false
            }
        }
    }
}

impl Default for HintBudget {
    /// A few tenths of a second of comparisons in a debug build; a
    /// misspelt name among a thousand takes a few hundred thousand.
    fn default() -> HintBudget {
        HintBudget::new(4_000_000)
    }
}

/// Words longer than this get no suggestion: no name the broker accepts is
/// that long, and comparing megabyte strings is not worth it.
const MAX_WORD_CHARS: usize = 512;

/// [`did_you_mean`], spending from `budget`; `None` once it is spent.
pub fn did_you_mean_within<'a, I>(
    word: &str,
    candidates: I,
    budget: &mut HintBudget,
) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word_chars = word.chars().count();
    if word_chars > MAX_WORD_CHARS {
        return None;
    }
    let limit = word_chars.div_ceil(3).clamp(1, 4);
    let lower_word = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if !budget.spend(1) {
            break;
        }
        // Each edit changes the length by one at most: a candidate whose
        // length differs by more than the limit is no near miss.
        if candidate == word || candidate.len() > 4 * (MAX_WORD_CHARS + 4) {
            continue;
        }
        let candidate_chars = candidate.chars().count();
        if candidate_chars.abs_diff(word_chars) > limit {
            continue;
        }
        if !budget.spend(word_chars * candidate_chars) {
            break;
        }
        let distance = if candidate.to_lowercase() == lower_word {
            0
        } else {
            edit_distance(word, candidate)
        };
        // Replacing every character of a short name is no near miss.
        let longest = word_chars.max(candidate_chars);
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
    hint_within(word, candidates, &mut HintBudget::default())
}

/// [`hint`], spending from `budget`.
pub fn hint_within<'a, I>(word: &str, candidates: I, budget: &mut HintBudget) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match did_you_mean_within(word, candidates, budget) {
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
    fn a_huge_word_gets_no_suggestion_and_costs_nothing() {
        let huge = "q".repeat(10 << 20);
        assert_eq!(did_you_mean(&huge, ["q", "queue"]), None);
        let almost = format!("{huge}x");
        assert_eq!(
            did_you_mean("queue", [almost.as_str(), "queues"]),
            Some("queues")
        );
    }

    #[test]
    fn a_spent_budget_gives_no_suggestion() {
        let mut budget = HintBudget::new(3);
        assert_eq!(did_you_mean_within("topik", ["topic"], &mut budget), None);
        let mut budget = HintBudget::new(1_000);
        assert_eq!(
            did_you_mean_within("topik", ["topic"], &mut budget),
            Some("topic")
        );
    }

    #[test]
    fn the_hint_is_ready_to_append() {
        assert_eq!(hint("topik", ["topic"]), " (did you mean 'topic'?)");
        assert_eq!(hint("zzz", ["topic"]), "");
    }
}
