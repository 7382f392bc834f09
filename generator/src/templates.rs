//! Template sentences: the fallback when the LLM's output fails validation, and the carrier for decoys.
//!
//! Each type has several clauses with one `{}` slot; a sentence joins one clause per value. The clause chosen
//! and the order come from the record's seeded RNG, so template records are as reproducible as LLM ones.

use blogbot_common::PiiType;
use rand::seq::IndexedRandom;
use rand::Rng;

/// Clauses (lower-case start, no final stop) that carry a value of `ty` naturally in a personal blog.
pub fn clauses(ty: PiiType) -> &'static [&'static str] {
    match ty {
        PiiType::Person => &[
            "my friend {} came along for the whole thing",
            "{} was the one who talked me into it",
            "thanks to {} for the tip",
            "I went with {} from work",
            "my neighbour {} lent me the tools",
            "{} says hello to everyone who reads this",
            "my cousin {} did most of the hard work",
        ],
        PiiType::Email => &[
            "you can email me at {}",
            "drop me a line at {} if you try it",
            "my email is {} for anyone with questions",
            "write to me at {}",
            "send your photos to {}",
        ],
        PiiType::Phone => &[
            "you can call or text me on {}",
            "my number is {} if you want the details",
            "ring me at {} and I will explain",
            "the best way to reach me is {}",
        ],
        PiiType::Address => &[
            "we live at {} now",
            "you can send anything to {}",
            "our new place is at {}",
            "the parcel went to {} in the end",
        ],
        PiiType::Url => &[
            "my photos are up at {}",
            "you can find the rest on my page {}",
            "I posted the full list at {}",
            "follow along at {}",
        ],
        PiiType::DateOfBirth => &[
            "I was born on {}",
            "my birthday is {}, so I celebrated early",
            "my date of birth is {}",
            "according to my passport I was born {}",
        ],
        PiiType::IdNumber => &[
            "the form wanted my ID number, {}",
            "I had to give them {} over the phone",
            "my number on the paperwork is {}",
            "they finally accepted {} as my ID",
        ],
        PiiType::CreditCard => &[
            "I paid with my card {}",
            "my card number is {} and it was charged twice",
            "the shop kept {} on file",
        ],
        PiiType::Iban => &[
            "you can send the money to my account {}",
            "my IBAN is {}",
            "the refund went to {}",
        ],
        PiiType::IpAddress => &[
            "my home server answers on {}",
            "the router gave it the address {}",
            "I could reach it at {} from the laptop",
        ],
        PiiType::Username => &[
            "you can find me as {} on most sites",
            "my handle is {}",
            "I post the updates as {}",
            "follow {} for more pictures",
        ],
    }
}

/// Openers for LLM sentences and templates: the first words of the inserted sentence. Chosen by the record's
/// seed, they give varied sentences even though decoding is greedy (and so reproducible).
pub const OPENERS: &[&str] = &[
    "By the way,",
    "For the record,",
    "Funnily enough,",
    "Before I forget,",
    "As a side note,",
    "Also,",
    "Oh, and",
    "One more thing,",
    "Just so you know,",
    "Honestly,",
    "Last week",
    "Earlier today",
    "A reader asked, so",
    "Speaking of which,",
    "To be fair,",
    "Anyway,",
    "In case you wondered,",
    "On a practical note,",
    "If you want to follow up,",
    "Looking back,",
    "For what it is worth,",
    "I should add that",
    "Quick update:",
    "Next time",
];

/// A template sentence carrying `values` in order: opener + clauses joined with commas and "and".
/// Returns the sentence; values appear verbatim, in order.
pub fn sentence<R: Rng + ?Sized>(values: &[(PiiType, &str)], rng: &mut R) -> String {
    let opener = OPENERS.choose(rng).copied().unwrap_or("Also,");
    let parts: Vec<String> = values
        .iter()
        .map(|(ty, v)| clauses(*ty).choose(rng).copied().unwrap_or("{}").replacen("{}", v, 1))
        .collect();
    let body = match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        n => format!("{}, and {}", parts[..n - 1].join(", "), parts[n - 1]),
    };
    format!("{opener} {body}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_clause_has_one_slot_and_sentences_hold_values() {
        for t in PiiType::ALL {
            for c in clauses(t) {
                assert_eq!(c.matches("{}").count(), 1, "{c}");
            }
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let s = sentence(&[(PiiType::Email, "a@b.org"), (PiiType::Phone, "+44 20 7946 0000")], &mut rng);
        assert!(s.contains("a@b.org") && s.contains("+44 20 7946 0000") && s.ends_with('.'));
        assert!(s.find("a@b.org") < s.find("+44"));
    }
}
