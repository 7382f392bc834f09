//! Decoys: numbers and codes that look like personal data but are not (prices, times, versions, order
//! numbers...). Injected like PII but labelled negative, so the classifier learns that an inserted sentence full
//! of digits is not by itself a violation; the development set's hard negatives are of this kind.

use rand::seq::IndexedRandom;
use rand::Rng;

/// A decoy value with the phrase a prompt uses for it and a template clause that carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoy {
    pub value: String,
    pub description: &'static str,
    pub clause: &'static str,
}

const MONTHS: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
];

/// Samples one decoy.
pub fn sample<R: Rng + ?Sized>(rng: &mut R) -> Decoy {
    let kind = rng.random_range(0..12);
    let (value, description, clauses): (String, &'static str, &[&'static str]) = match kind {
        0 => {
            let cur = ["$", "€", "£"].choose(rng).copied().unwrap_or("$");
            let v = format!("{cur}{}.{:02}", rng.random_range(2..900), rng.random_range(0..100));
            (v, "a price", &["the whole thing cost {} in the end", "I paid {} for it", "it was on sale for {}"])
        }
        1 => {
            let v = format!("{}:{:02}", rng.random_range(5..23), [0, 15, 30, 45, 10, 50].choose(rng).copied().unwrap_or(0));
            (v, "a time of day", &["we left at {} sharp", "the train was at {}", "I started at {} and finished late"])
        }
        2 => {
            let v = format!("{}.{} km", rng.random_range(1..60), rng.random_range(0..10));
            (v, "a distance", &["the loop is about {}", "we covered {} before lunch", "it is {} from the station"])
        }
        3 => {
            let v = format!("{}.{}.{}", rng.random_range(0..12), rng.random_range(0..30), rng.random_range(0..20));
            (v, "a software version", &["I upgraded to version {}", "the bug is fixed in {}", "version {} broke my setup"])
        }
        4 => {
            let v = format!("{}-{}", rng.random_range(10000..99999), rng.random_range(10..99));
            (v, "an order number", &["my order number was {}", "the parcel with order {} finally arrived", "they lost order {} twice"])
        }
        5 => {
            let v = format!(
                "978-{}-{}-{}-{}",
                rng.random_range(0..2),
                rng.random_range(10..999),
                rng.random_range(10000..99999),
                rng.random_range(0..10)
            );
            (v, "a book's ISBN", &["the edition I have is ISBN {}", "look for ISBN {} at the library"])
        }
        6 => {
            let v = format!("{} {}", rng.random_range(1..29), MONTHS.choose(rng).copied().unwrap_or("May"));
            (v, "an event date", &["the market opens again on {}", "the race is on {}", "we booked the cabin for {}"])
        }
        7 => {
            let v = format!("{}°C", rng.random_range(-5..38));
            (v, "a temperature", &["it was {} at noon", "bake it at {} if your oven runs hot", "the water was {}"])
        }
        8 => {
            let v = format!("{}%", rng.random_range(1..100));
            (v, "a percentage", &["the hydration is {}", "battery was down to {}", "prices went up {} this year"])
        }
        9 => {
            let v = format!("{}-{}", rng.random_range(0..6), rng.random_range(0..6));
            (v, "a match score", &["we lost {} on Sunday", "it finished {} after extra time"])
        }
        10 => {
            let v = format!("{}", rng.random_range(1975..2026));
            (v, "a year", &["I bought it back in {}", "the house was built in {}", "we first went there in {}"])
        }
        _ => {
            let v = format!(
                "{}{}-{}",
                ["XT", "RX", "KB", "M", "QZ", "A"].choose(rng).copied().unwrap_or("M"),
                rng.random_range(1..9),
                rng.random_range(100..9999)
            );
            (v, "a product model number", &["mine is the {} model", "the {} was the cheaper option", "I replaced the old {}"])
        }
    };
    let clause = clauses.choose(rng).copied().unwrap_or("{}");
    Decoy { value, description, clause }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blogbot_common::rules::RuleDetector;
    use rand::SeedableRng;

    #[test]
    fn decoys_are_not_flagged_by_the_rules() {
        let rules = RuleDetector::new();
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..500 {
            let d = sample(&mut rng);
            let s = d.clause.replacen("{}", &d.value, 1);
            assert!(rules.detect(&s).is_empty(), "rules flag decoy sentence {s:?}");
        }
    }
}
