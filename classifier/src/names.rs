//! One name, one label per post: a name the tagger found once is a name wherever the same post repeats it.
//!
//! A story introduces "Suzi Porter" and then says "Suzi" five times; the tagger, which reads one window at a
//! time, catches some mentions and misses others ("Bedtime for James is 7:30pm" after "James & I moved"). This
//! step copies each PERSON span found in a text to every other whole-word, same-case occurrence of it in that
//! text, and for a name of several words (a full name, "Mrs Okafor") to each of its name-like words on their own.
//! It only labels mentions in a text that already has a PERSON span, so it never turns a clean text into a
//! violation; what it can add are spans on repeats of a word the tagger wrongly took for a name.

use crate::tags::PredSpan;
use blogbot_common::PiiType;

/// Capitalised words that stand beside names (titles, kin) or start sentences (pronouns, modals, months, days)
/// and are never propagated on their own.
const NOT_A_NAME: &[&str] = &[
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "Rev", "Fr", "Sr", "Jr", "Aunt",
    "Auntie", "Uncle", "Grandma", "Grandpa", "Granny", "Nana", "Mom", "Mum", "Dad", "Mother", "Father", "Sister",
    "Brother", "Cousin", "Baby", "Little", "Big", "Old", "Young", "The", "And", "But", "Or", "So", "Then", "My",
    "Our", "Your", "His", "Her", "Their", "We", "He", "She", "They", "It", "This", "That", "These", "Those", "On",
    "In", "At", "To", "For", "With", "From", "By", "Of", "Will", "May", "Can", "Could", "Would", "Should", "Must",
    "Shall", "Might", "January", "February", "March", "April", "June", "July", "August", "September", "October",
    "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
];

/// Whether `w` can be propagated on its own: a capitalised word of at least two letters with a lower-case
/// letter (not an acronym), letters, hyphens and apostrophes only, and not in [`NOT_A_NAME`].
fn name_word(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
        && w.chars().count() >= 2
        && w.chars().any(char::is_lowercase)
        && w.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '’')
        && !NOT_A_NAME.contains(&w)
}

/// The strings a PERSON span is propagated as: its text without edge punctuation when every word of it is a
/// name word or a title, and for several words, each name word alone.
fn forms(span_text: &str) -> Vec<String> {
    let text = span_text.trim_matches(|c: char| !c.is_alphanumeric());
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.iter().any(|w| name_word(w)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if words.iter().all(|w| name_word(w) || NOT_A_NAME.contains(&w.trim_end_matches('.'))) {
        out.push(text.to_string());
    }
    if words.len() > 1 {
        out.extend(words.iter().filter(|w| name_word(w)).map(|w| w.to_string()));
    }
    out
}

/// Copies PERSON spans to the other mentions of the same name in `text` (see the module docs). `spans` are in
/// code points of `text`; they come back sorted by start.
pub fn propagate_names(text: &str, spans: &mut Vec<PredSpan>) {
    let mut cands: Vec<(Vec<char>, f32)> = Vec::new();
    for s in spans.iter().filter(|s| s.ty == PiiType::Person) {
        for f in forms(&s.text) {
            let f: Vec<char> = f.chars().collect();
            match cands.iter_mut().find(|(c, _)| *c == f) {
                Some((_, score)) => *score = score.max(s.score),
                None => cands.push((f, s.score)),
            }
        }
    }
    if cands.is_empty() {
        return;
    }
    // Longest first, so "Suzi Porter" is labelled whole before "Suzi" and "Porter" are looked for.
    cands.sort_by(|a, b| b.0.len().cmp(&a.0.len()));
    let chars: Vec<char> = text.chars().collect();
    // A mention inside a handle, address or URL is not a name mention: "@Suzi", "Suzi@", "suzi.Porter".
    let joins = |c: char| c.is_alphanumeric() || matches!(c, '@' | '_' | '/' | '#');
    for (cand, score) in &cands {
        let n = cand.len();
        let mut i = 0;
        while i + n <= chars.len() {
            if chars[i..i + n] != cand[..] {
                i += 1;
                continue;
            }
            let before_ok = i == 0 || !(joins(chars[i - 1]) || (chars[i - 1] == '.' && i >= 2 && chars[i - 2].is_alphanumeric()));
            let after_ok = i + n == chars.len()
                || !(joins(chars[i + n]) || (chars[i + n] == '.' && chars.get(i + n + 1).is_some_and(|c| c.is_alphanumeric())));
            let free = !spans.iter().any(|s| s.start < i + n && i < s.end);
            if before_ok && after_ok && free {
                spans.push(PredSpan { start: i, end: i + n, ty: PiiType::Person, text: cand.iter().collect(), score: *score });
            }
            i += n;
        }
    }
    spans.sort_by_key(|s| s.start);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, value: &str, ty: PiiType) -> PredSpan {
        let b = text.find(value).unwrap();
        let start = text[..b].chars().count();
        PredSpan { start, end: start + value.chars().count(), ty, text: value.to_string(), score: 0.9 }
    }

    fn texts(text: &str, spans: &[PredSpan]) -> Vec<String> {
        spans
            .iter()
            .map(|s| {
                let got: String = text.chars().skip(s.start).take(s.end - s.start).collect();
                assert_eq!(got, s.text, "every span slices its text");
                format!("{:?}:{}", s.ty, s.text)
            })
            .collect()
    }

    #[test]
    fn a_found_first_name_labels_its_other_mentions_exactly() {
        let text = "James & I moved. Bedtime for James is 7:30. Dinner with James’s gran, not jamestown or Jameson.";
        let mut spans = vec![span(text, "James", PiiType::Person)];
        propagate_names(text, &mut spans);
        assert_eq!(texts(text, &spans), ["Person:James", "Person:James", "Person:James"]);
        assert_eq!(spans[1].start, text[..text.find("for James").unwrap() + 4].chars().count());
    }

    #[test]
    fn a_full_name_labels_itself_whole_and_its_words_alone() {
        let text = "I bought plants from Suzi Porter today. Suzi Porter grows them; Mrs Porter's stall is next to Suzi’s.";
        let mut spans = vec![span(text, "Suzi Porter", PiiType::Person)];
        propagate_names(text, &mut spans);
        assert_eq!(
            texts(text, &spans),
            ["Person:Suzi Porter", "Person:Suzi Porter", "Person:Porter", "Person:Suzi"],
            "the whole name before its parts; the title is not propagated"
        );
    }

    #[test]
    fn titles_acronyms_handles_and_other_types_are_left_alone() {
        let text = "UFO Mike came by. The UFO was fake. Mrs Okafor waved; Mrs Lee too. Mail mike@x.org or @Mike, Mike.";
        let mut spans = vec![
            span(text, "UFO Mike", PiiType::Person),
            span(text, "Mrs Okafor", PiiType::Person),
            span(text, "mike@x.org", PiiType::Email),
        ];
        propagate_names(text, &mut spans);
        let got = texts(text, &spans);
        assert_eq!(got, ["Person:UFO Mike", "Person:Mrs Okafor", "Email:mike@x.org", "Person:Mike"], "{got:?}");
        assert!(spans.last().unwrap().end == text.chars().count() - 1, "only the last, free-standing Mike");
    }

    #[test]
    fn nothing_is_added_without_a_person_span() {
        let text = "Will you come? Will said no. Contact 555-0101.";
        let mut spans = vec![span(text, "555-0101", PiiType::Phone)];
        propagate_names(text, &mut spans);
        assert_eq!(spans.len(), 1);
        let mut spans = vec![span(text, "Will", PiiType::Person)];
        propagate_names(text, &mut spans);
        assert_eq!(spans.len(), 1, "a modal is never propagated, even when the tagger took it for a name");
    }
}
