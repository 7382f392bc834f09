//! Payment card numbers and IBANs.
//!
//! Cards carry real issuer prefixes and lengths and a valid Luhn digit; IBANs follow each country's BBAN
//! layout with real-looking bank codes and valid mod-97 check digits. Both therefore pass the checks a
//! checkout form or a bank would run, as a leaked real number would.

use super::{digits, letter_from, pick, Country, PiiValue};
use blogbot_common::PiiType;
use rand::Rng;

/// A card brand: prefixes, length and the grouping printed on the card.
struct Brand {
    name: &'static str,
    prefixes: &'static [&'static str],
    len: usize,
    groups: &'static [usize],
    weight: u32,
}

#[rustfmt::skip]
const BRANDS: &[Brand] = &[
    Brand { name: "Visa", prefixes: &["4"], len: 16, groups: &[4, 4, 4, 4], weight: 50 },
    Brand { name: "Mastercard", prefixes: &["51", "52", "53", "54", "55", "2221", "2300", "2475", "2720"], len: 16, groups: &[4, 4, 4, 4], weight: 30 },
    Brand { name: "American Express", prefixes: &["34", "37"], len: 15, groups: &[4, 6, 5], weight: 12 },
    Brand { name: "Discover", prefixes: &["6011", "644", "645", "649", "65"], len: 16, groups: &[4, 4, 4, 4], weight: 8 },
];

/// A Luhn-valid card number of a random brand, printed with spaces, dashes or no separators.
pub fn sample_card<R: Rng + ?Sized>(rng: &mut R) -> PiiValue {
    let total: u32 = BRANDS.iter().map(|b| b.weight).sum();
    let mut roll = rng.random_range(0..total);
    let brand = BRANDS
        .iter()
        .find(|b| {
            if roll < b.weight {
                true
            } else {
                roll -= b.weight;
                false
            }
        })
        .unwrap_or(&BRANDS[0]);
    let prefix = pick(rng, brand.prefixes);
    let mut payload = String::from(prefix);
    payload.push_str(&digits(rng, brand.len - 1 - prefix.len()));
    let number = format!("{payload}{}", blogbot_common::checksum::luhn_check_digit(&payload));
    let sep = match rng.random_range(0..10) {
        0..=4 => " ",
        5 | 6 => "-",
        _ => "",
    };
    let mut parts = Vec::new();
    let mut at = 0;
    for g in brand.groups {
        parts.push(&number[at..at + g]);
        at += g;
    }
    let article = if brand.name.starts_with('A') { "an" } else { "a" };
    PiiValue::new(PiiType::CreditCard, parts.join(sep), format!("{article} {} card number", brand.name))
}

/// A country's BBAN layout: `template` uses `B` for the bank code, `n` for a digit, `a` for a letter, `c`
/// for a digit-or-letter position (filled with digits, as most banks do), and for Brazil `T` for the account
/// type letter and `O` for the owner digit.
#[derive(Clone, Copy, Default)]
struct IbanSpec {
    code: &'static str,
    adjective: &'static str,
    banks: &'static [&'static str],
    template: &'static str,
}

#[rustfmt::skip]
const IBANS: &[IbanSpec] = &[
    IbanSpec { code: "DE", adjective: "German", banks: &["37040044", "10070000", "50010517", "20041133", "70150000", "12030000", "43060967", "60050101"], template: "Bnnnnnnnnnn" },
    IbanSpec { code: "GB", adjective: "UK", banks: &["NWBK", "BARC", "HBUK", "LOYD", "MIDL", "NAIA", "MONZ", "SRLG"], template: "Bnnnnnnnnnnnnnn" },
    IbanSpec { code: "FR", adjective: "French", banks: &["30003", "30004", "20041", "30002", "10278", "30066", "18206"], template: "Bnnnnncccccccccccnn" },
    IbanSpec { code: "ES", adjective: "Spanish", banks: &["2100", "0049", "0182", "0081", "2038", "0075", "1465"], template: "Bnnnnnnnnnnnnnnnn" },
    IbanSpec { code: "IT", adjective: "Italian", banks: &["03069", "02008", "05034", "01030", "03062", "05387"], template: "aBnnnnnnnnnnnnnnnnn" },
    IbanSpec { code: "NL", adjective: "Dutch", banks: &["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"], template: "Bnnnnnnnnnn" },
    IbanSpec { code: "BE", adjective: "Belgian", banks: &["001", "068", "310", "363", "539", "735"], template: "Bnnnnnnnnn" },
    IbanSpec { code: "AT", adjective: "Austrian", banks: &["20111", "12000", "14000", "32000", "19043"], template: "Bnnnnnnnnnnn" },
    IbanSpec { code: "CH", adjective: "Swiss", banks: &["00762", "00230", "00235", "08390", "00700"], template: "Bcccccccccccc" },
    IbanSpec { code: "PL", adjective: "Polish", banks: &["10201026", "11402004", "10501445", "10901014", "12406003", "16001462"], template: "Bnnnnnnnnnnnnnnnn" },
    IbanSpec { code: "SE", adjective: "Swedish", banks: &["500", "800", "300", "600", "120", "957"], template: "Bnnnnnnnnnnnnnnnnn" },
    IbanSpec { code: "DK", adjective: "Danish", banks: &["0040", "3000", "5301", "9570", "2000"], template: "Bnnnnnnnnnn" },
    IbanSpec { code: "NO", adjective: "Norwegian", banks: &["1503", "9710", "1254", "6012", "8601"], template: "Bnnnnnnn" },
    IbanSpec { code: "FI", adjective: "Finnish", banks: &["123", "500", "800", "101", "157"], template: "Bnnnnnnnnnnn" },
    IbanSpec { code: "PT", adjective: "Portuguese", banks: &["0035", "0033", "0007", "0010", "0036", "0018"], template: "Bnnnnnnnnnnnnnnnnn" },
    IbanSpec { code: "IE", adjective: "Irish", banks: &["AIBK", "BOFI", "IPBS", "ULSB"], template: "Bnnnnnnnnnnnnnn" },
    IbanSpec { code: "LU", adjective: "Luxembourg", banks: &["001", "002", "003", "019", "141"], template: "Bccccccccccccc" },
    IbanSpec { code: "CZ", adjective: "Czech", banks: &["0800", "0100", "0300", "2010", "0600", "5500"], template: "Bnnnnnnnnnnnnnnnn" },
    IbanSpec { code: "GR", adjective: "Greek", banks: &["011", "014", "017", "026"], template: "Bnnnncccccccccccccccc" },
    IbanSpec { code: "BR", adjective: "Brazilian", banks: &["00360305", "60701190", "90400888", "00000000"], template: "BnnnnnnnnnnnnnnnTO" },
];

/// ISO 13616 check digits for `country` + `bban`.
fn check_digits(country: &str, bban: &str) -> u32 {
    let mut rem: u32 = 0;
    for c in bban.chars().chain(country.chars()).chain("00".chars()) {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    98 - rem
}

fn build_iban<R: Rng + ?Sized>(spec: IbanSpec, rng: &mut R) -> PiiValue {
    let mut bban = String::new();
    for t in spec.template.chars() {
        match t {
            'B' => bban.push_str(pick(rng, spec.banks)),
            'a' => bban.push(letter_from(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
            'T' => bban.push(pick(rng, &['C', 'P'])),
            'O' => bban.push('1'),
            _ => bban.push_str(&digits(rng, 1)),
        }
    }
    let compact = format!("{}{:02}{bban}", spec.code, check_digits(spec.code, &bban));
    let value = if rng.random_bool(0.55) {
        compact.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    } else {
        compact
    };
    let article = if spec.adjective.starts_with(['A', 'E', 'I', 'O']) { "an" } else { "a" };
    PiiValue::new(PiiType::Iban, value, format!("{article} {} IBAN", spec.adjective))
}

/// A valid IBAN from one of 20 countries, compact or in groups of four.
pub fn sample_iban<R: Rng + ?Sized>(rng: &mut R) -> PiiValue {
    build_iban(pick(rng, IBANS), rng)
}

/// An IBAN of `country` when it uses IBANs, otherwise of a random IBAN country (an expatriate's account).
pub fn iban_for<R: Rng + ?Sized>(country: Country, rng: &mut R) -> PiiValue {
    let code = match country {
        Country::De => "DE",
        Country::Gb => "GB",
        Country::Fr => "FR",
        Country::Es => "ES",
        Country::It => "IT",
        Country::Nl => "NL",
        Country::Pl => "PL",
        Country::Se => "SE",
        Country::Pt => "PT",
        Country::Ie => "IE",
        Country::Br => "BR",
        _ => return sample_iban(rng),
    };
    match IBANS.iter().find(|s| s.code == code) {
        Some(spec) => build_iban(*spec, rng),
        None => sample_iban(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_have_registry_lengths() {
        let expected = [
            ("DE", 22),
            ("GB", 22),
            ("FR", 27),
            ("ES", 24),
            ("IT", 27),
            ("NL", 18),
            ("BE", 16),
            ("AT", 20),
            ("CH", 21),
            ("PL", 28),
            ("SE", 24),
            ("DK", 18),
            ("NO", 15),
            ("FI", 18),
            ("PT", 25),
            ("IE", 22),
            ("LU", 20),
            ("CZ", 24),
            ("GR", 27),
            ("BR", 29),
        ];
        for (code, len) in expected {
            let spec = IBANS.iter().find(|s| s.code == code).copied().unwrap_or_default();
            let bank_len = spec.banks.first().map_or(0, |b| b.len());
            assert_eq!(4 + spec.template.len() - 1 + bank_len, len, "{code}");
            assert!(spec.banks.iter().all(|b| b.len() == bank_len), "{code}");
        }
        assert_eq!(IBANS.len(), expected.len());
        // GB82 WEST 1234 5698 7654 32 is the registry's example.
        assert_eq!(check_digits("GB", "WEST12345698765432"), 82);
        assert_eq!(blogbot_common::checksum::luhn_check_digit("411111111111111"), 1);
    }
}
