//! Birth dates and the many ways people write them.

use super::{weighted, PiiValue};
use blogbot_common::PiiType;
use rand::Rng;

/// A calendar date. Kept as parts so IDs that encode a birth date (PESEL, codice fiscale, personnummer) can
/// reuse the persona's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Date {
    /// Four-digit year.
    pub year: u16,
    /// 1-12.
    pub month: u8,
    /// 1-31, valid for the month.
    pub day: u8,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Days in `month` of `year`, leap years included.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A plausible birth date between 1940 and 2008, weighted toward people who write blogs (born 1965-2000).
pub fn sample_birth_date<R: Rng + ?Sized>(rng: &mut R) -> Date {
    let (lo, hi) = weighted(rng, &[((1940u16, 1964u16), 2), ((1965, 2000), 7), ((2001, 2008), 1)]);
    let year = rng.random_range(lo..=hi);
    let month = rng.random_range(1..=12u8);
    let day = rng.random_range(1..=days_in_month(year, month));
    Date { year, month, day }
}

/// English ordinal suffix ("1st", "22nd", "13th").
fn ordinal(day: u8) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// Writes `d` in one of eleven common notations: ISO, day-first and month-first numeric, dotted European,
/// spelled-out months in British and American order, ordinals, abbreviations and two-digit years.
pub fn format_date<R: Rng + ?Sized>(d: Date, rng: &mut R) -> String {
    let Date { year, month, day } = d;
    let name = MONTHS[usize::from(month.clamp(1, 12)) - 1];
    let abbr = &name[..3];
    match rng.random_range(0..11) {
        0 => format!("{year}-{month:02}-{day:02}"),
        1 => format!("{day:02}/{month:02}/{year}"),
        2 => format!("{month:02}/{day:02}/{year}"),
        3 => format!("{day:02}.{month:02}.{year}"),
        4 => format!("{day} {name} {year}"),
        5 => format!("{name} {day}, {year}"),
        6 => format!("{} of {name} {year}", ordinal(day)),
        7 => format!("{abbr} {day} {year}"),
        8 => format!("{day} {abbr} {year}"),
        9 => format!("{month}/{day}/{:02}", year % 100),
        _ => format!("{name} {}, {year}", ordinal(day)),
    }
}

/// A date-of-birth value for `d`, in a random notation.
pub fn render_dob<R: Rng + ?Sized>(d: Date, rng: &mut R) -> PiiValue {
    PiiValue::new(PiiType::DateOfBirth, format_date(d, rng), "a date of birth")
}

/// A random date of birth.
pub fn sample_dob<R: Rng + ?Sized>(rng: &mut R) -> PiiValue {
    let d = sample_birth_date(rng);
    render_dob(d, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn dates_are_valid_and_formats_vary() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut shapes = std::collections::HashSet::new();
        for _ in 0..2000 {
            let d = sample_birth_date(&mut rng);
            assert!((1940..=2008).contains(&d.year));
            assert!(d.day >= 1 && d.day <= days_in_month(d.year, d.month));
            let s = format_date(d, &mut rng);
            let shape: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        '9'
                    } else if c.is_alphabetic() {
                        'a'
                    } else {
                        c
                    }
                })
                .collect();
            shapes.insert(shape.replace("99", "9").replace("aa", "a"));
        }
        assert!(shapes.len() >= 8, "{shapes:?}");
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(23), "23rd");
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
    }
}
