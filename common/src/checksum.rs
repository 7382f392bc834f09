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

#[cfg(test)]
mod tests {
    use super::*;

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
