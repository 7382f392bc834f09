//! Check digits used by payment cards and national IDs: computed by the PII sampler, checked by the rule
//! detectors. One implementation for both, so a sampled value always passes its own detector.

/// Luhn sum of `digits` (spaces and dashes skipped), treating the last digit as position 0; `None` on any other
/// character. `double_first` doubles position 0 (used to compute a check digit for a payload).
fn luhn_sum(digits: &str, double_first: bool) -> Option<(u32, usize)> {
    let mut sum = 0;
    let mut n = 0;
    for c in digits.chars().rev() {
        if c == ' ' || c == '-' {
            continue;
        }
        let d = c.to_digit(10)?;
        let double = (n % 2 == 1) != double_first;
        sum += if double { (d * 2) % 10 + (d * 2) / 10 } else { d };
        n += 1;
    }
    Some((sum, n))
}

/// Whether `digits` (spaces and dashes ignored) passes the Luhn check (cards, Canadian SIN, Swedish IDs).
pub fn luhn_valid(digits: &str) -> bool {
    matches!(luhn_sum(digits, false), Some((sum, n)) if n >= 2 && sum % 10 == 0)
}

/// The digit that makes `payload` followed by it Luhn-valid.
pub fn luhn_check_digit(payload: &str) -> u32 {
    let sum = luhn_sum(payload, true).map(|(s, _)| s).unwrap_or(0);
    (10 - sum % 10) % 10
}

#[rustfmt::skip]
const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
#[rustfmt::skip]
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// Verhoeff state over `digits`, with positions shifted by `offset` (1 when computing a check digit).
fn verhoeff_state(digits: &str, offset: usize) -> Option<u8> {
    let mut c = 0u8;
    for (i, ch) in digits.chars().rev().enumerate() {
        let d = ch.to_digit(10)? as usize;
        c = VERHOEFF_D[c as usize][VERHOEFF_P[(i + offset) % 8][d] as usize];
    }
    Some(c)
}

/// Whether `digits` passes the Verhoeff check (Indian Aadhaar).
pub fn verhoeff_valid(digits: &str) -> bool {
    !digits.is_empty() && verhoeff_state(digits, 0) == Some(0)
}

/// The digit that makes `payload` followed by it Verhoeff-valid.
pub fn verhoeff_check_digit(payload: &str) -> u32 {
    VERHOEFF_INV[verhoeff_state(payload, 1).unwrap_or(0) as usize] as u32
}

/// The two mod-11 check digits of a Norwegian fødselsnummer's first nine digits, or `None` where a check
/// digit would be 10 (such numbers are never issued).
pub fn fnr_check_digits(nine: &str) -> Option<(u32, u32)> {
    const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let d: Vec<u32> = nine.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if d.len() != 9 {
        return None;
    }
    let k = |sum: u32| match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    };
    let k1 = k(d.iter().zip(W1).map(|(a, w)| a * w).sum())?;
    let k2 = k(d.iter().chain(std::iter::once(&k1)).zip(W2).map(|(a, w)| a * w).sum())?;
    Some((k1, k2))
}

/// Whether `digits` (spaces ignored) is a Norwegian fødselsnummer: a date DDMMYY (day + 40 for a D-number)
/// and both check digits.
pub fn fnr_valid(digits: &str) -> bool {
    let d: String = digits.chars().filter(|c| *c != ' ').collect();
    if d.len() != 11 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let day: u32 = d[..2].parse().unwrap_or(0);
    let month: u32 = d[2..4].parse().unwrap_or(0);
    let day_ok = (1..=31).contains(&day) || (41..=71).contains(&day);
    let (k1, k2) = (d[9..10].parse::<u32>().ok(), d[10..].parse::<u32>().ok());
    day_ok && (1..=12).contains(&month) && fnr_check_digits(&d[..9]).is_some_and(|(a, b)| Some(a) == k1 && Some(b) == k2)
}

/// The mod-97 key of a French social security number (NIR, "numéro de sécurité sociale"): 97 minus its first
/// thirteen digits modulo 97.
pub fn nir_key(thirteen: &str) -> Option<u64> {
    (thirteen.len() == 13).then(|| thirteen.parse::<u64>().ok().map(|n| 97 - n % 97)).flatten()
}

/// Whether `digits` (spaces ignored) is a French NIR: sex 1 or 2, a month 01-12 (or 20-99 for unknown), and
/// the mod-97 key. Corsican department letters are not handled.
pub fn nir_valid(digits: &str) -> bool {
    let d: String = digits.chars().filter(|c| *c != ' ').collect();
    if d.len() != 15 || !d.bytes().all(|b| b.is_ascii_digit()) || !matches!(&d[..1], "1" | "2") {
        return false;
    }
    let month: u32 = d[3..5].parse().unwrap_or(0);
    ((1..=12).contains(&month) || (20..=99).contains(&month)) && nir_key(&d[..13]) == d[13..].parse().ok()
}

/// The check character of a Finnish henkilötunnus (HETU): the nine digits DDMMYYNNN modulo 31.
pub fn hetu_check_char(nine: &str) -> Option<char> {
    const CHARS: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let n: u32 = nine.parse().ok().filter(|_| nine.len() == 9)?;
    Some(char::from(CHARS[(n % 31) as usize]))
}

/// Whether `s` is a Finnish HETU: DDMMYY, a century sign (`+`, `-`, `A`-`F`, `U`-`Y`), three digits and the
/// mod-31 check character.
pub fn hetu_valid(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 11 || !"+-ABCDEFUVWXY".contains(chars[6]) {
        return false;
    }
    let nine: String = chars[..6].iter().chain(&chars[7..10]).collect();
    let day: u32 = nine[..2].parse().unwrap_or(0);
    let month: u32 = nine[2..4].parse().unwrap_or(0);
    (1..=31).contains(&day) && (1..=12).contains(&month) && hetu_check_char(&nine) == Some(chars[10])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nordic_and_french_ids_follow_their_published_examples() {
        // Numbers computed by hand from each scheme's definition, and DVV's published HETU example.
        assert!(fnr_valid("15038512363") && !fnr_valid("15038512364") && !fnr_valid("35038512363"));
        assert_eq!(fnr_check_digits("150385123"), Some((6, 3)));
        assert!(nir_valid("285077512345655") && nir_valid("2 85 07 75 123 456 55") && !nir_valid("285077512345656"));
        assert!(!nir_valid("385077512345655"));
        assert!(hetu_valid("131052-308T") && !hetu_valid("131052-308U") && !hetu_valid("131352-308T"));
        assert_eq!(hetu_check_char("131052308"), Some('T'));
    }

    #[test]
    fn check_digits_make_valid_numbers() {
        assert_eq!(luhn_check_digit("411111111111111"), 1);
        assert_eq!(luhn_check_digit("811218987"), 6);
        assert!(luhn_valid("4111 1111 1111 1111") && !luhn_valid("4111 1111 1111 1112") && !luhn_valid("4"));
        assert!(verhoeff_valid("234567890124") && !verhoeff_valid("234567890123"));
        assert_eq!(verhoeff_check_digit("23456789012"), 4);
        for p in ["1", "42", "98765", "2345678901"] {
            assert!(luhn_valid(&format!("{p}{}", luhn_check_digit(p))));
            assert!(verhoeff_valid(&format!("{p}{}", verhoeff_check_digit(p))));
        }
    }
}
