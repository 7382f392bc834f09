//! Seedable sampling of fake but realistic personal data, for injection into blog posts.
//!
//! The old prototype asked the LLM for values and always got "Jane Doe"; a detector trained on that learns
//! one name. Here every value comes from code and tables: names from 22 naming cultures, addresses in the
//! local format of 19 countries, phone numbers in national and international notation, national ID numbers
//! with their real check digits, Luhn-valid cards and mod-97-valid IBANs. All randomness flows through the
//! caller's `Rng`, so a seed reproduces a dataset.
//!
//! Why not the `fake` crate: its current release (5.x) depends on rand 0.10 while the workspace uses rand
//! 0.9, and the last rand-0.9 release (4.4) only has name lists for English, German, French, Italian,
//! Portuguese, Japanese, Chinese (characters only) and Arabic (Arabic script only) — no Spanish, Polish,
//! Dutch, Nordic, Greek, Turkish, Persian, Indian, Korean, Vietnamese, African or Slavic names. Its addresses
//! are assembled from person names plus a suffix ("Port Abagail town", "Lukas straße" with a space), its
//! postcodes are random digits unrelated to the city, and it has no national ID numbers. Hand-written tables
//! give the coverage the detector needs, with no second `rand` in the build.

#[rustfmt::skip]
mod address_data;
pub mod addresses;
pub mod dates;
pub mod finance;
pub mod ids;
pub mod names;
#[rustfmt::skip]
mod names_data;
pub mod phones;
pub mod web;

#[cfg(test)]
mod tests;

use blogbot_common::PiiType;
use rand::seq::IndexedRandom;
use rand::Rng;

/// A sampled value plus a short English description a prompt or template can use ("a UK National Insurance
/// number", "an email address", "a German IBAN", "a phone number").
#[derive(Debug, Clone, PartialEq)]
pub struct PiiValue {
    /// The label the inserted span gets.
    pub ty: PiiType,
    /// The exact text to insert; the span's value.
    pub value: String,
    /// What the value is, in words a prompt or template can use.
    pub description: String,
}

impl PiiValue {
    fn new(ty: PiiType, value: impl Into<String>, description: impl Into<String>) -> Self {
        PiiValue { ty, value: value.into(), description: description.into() }
    }
}

/// Countries with address, phone and (where they exist) ID and IBAN formats. A persona lives in one, so its
/// values agree with each other. Variants are ISO 3166 alpha-2 codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Country {
    #[default]
    Us,
    Ca,
    Gb,
    Ie,
    Fr,
    De,
    Es,
    It,
    Pt,
    Nl,
    Pl,
    Se,
    Jp,
    In,
    Br,
    Mx,
    Au,
    Za,
    Ng,
}

impl Country {
    /// Every supported country.
    #[rustfmt::skip]
    pub const ALL: [Country; 19] = [
        Country::Us, Country::Ca, Country::Gb, Country::Ie, Country::Fr, Country::De, Country::Es,
        Country::It, Country::Pt, Country::Nl, Country::Pl, Country::Se, Country::Jp, Country::In,
        Country::Br, Country::Mx, Country::Au, Country::Za, Country::Ng,
    ];

    /// The adjective used in descriptions ("a French phone number").
    pub fn adjective(self) -> &'static str {
        match self {
            Country::Us => "US",
            Country::Ca => "Canadian",
            Country::Gb => "UK",
            Country::Ie => "Irish",
            Country::Fr => "French",
            Country::De => "German",
            Country::Es => "Spanish",
            Country::It => "Italian",
            Country::Pt => "Portuguese",
            Country::Nl => "Dutch",
            Country::Pl => "Polish",
            Country::Se => "Swedish",
            Country::Jp => "Japanese",
            Country::In => "Indian",
            Country::Br => "Brazilian",
            Country::Mx => "Mexican",
            Country::Au => "Australian",
            Country::Za => "South African",
            Country::Ng => "Nigerian",
        }
    }
}

/// Uniform choice from a constant table; an empty table yields the type's default instead of panicking.
pub(crate) fn pick<T: Copy + Default, R: Rng + ?Sized>(rng: &mut R, items: &[T]) -> T {
    items.choose(rng).copied().unwrap_or_default()
}

/// Weighted choice from a constant `(item, weight)` table; all-zero weights yield the default.
pub(crate) fn weighted<T: Copy + Default, R: Rng + ?Sized>(rng: &mut R, items: &[(T, u32)]) -> T {
    items.choose_weighted(rng, |(_, w)| *w).map(|(t, _)| *t).unwrap_or_default()
}

/// `n` random decimal digits.
pub(crate) fn digits<R: Rng + ?Sized>(rng: &mut R, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

/// `n` random decimal digits, the first one not zero.
pub(crate) fn digits_nz<R: Rng + ?Sized>(rng: &mut R, n: usize) -> String {
    let first = char::from(b'0' + rng.random_range(1..10u8));
    let mut s = String::from(first);
    s.push_str(&digits(rng, n.saturating_sub(1)));
    s
}

/// One random upper-case letter from `alphabet` (ASCII).
pub(crate) fn letter_from<R: Rng + ?Sized>(rng: &mut R, alphabet: &str) -> char {
    let bytes = alphabet.as_bytes();
    bytes.choose(rng).map_or('X', |b| char::from(*b))
}

/// Draws one value of type `ty`, independent of any other value. Use [`sample_persona`] when a record
/// carries several values that should belong to one person.
pub fn sample<R: Rng + ?Sized>(ty: PiiType, rng: &mut R) -> PiiValue {
    match ty {
        PiiType::Person => {
            let name = names::sample_name(rng);
            let (value, description) = name.render(rng);
            PiiValue::new(ty, value, description)
        }
        PiiType::Email => {
            let name = names::sample_name(rng);
            let country = weighted(rng, name.culture.home_countries());
            let year = dates::sample_birth_date(rng).year;
            PiiValue::new(ty, web::email_for(&name, Some(year), country, rng), "an email address")
        }
        PiiType::Username => {
            let name = names::sample_name(rng);
            let handle = web::handle(&name, rng);
            PiiValue::new(ty, web::render_username(&handle, rng), "a social media username")
        }
        PiiType::Url => {
            let name = names::sample_name(rng);
            let handle = web::handle(&name, rng);
            web::profile_url(&name, &handle, rng)
        }
        PiiType::Phone => phones::sample_phone(rng),
        PiiType::Address => addresses::sample_address(rng),
        PiiType::DateOfBirth => dates::sample_dob(rng),
        PiiType::IdNumber => ids::sample_id(rng),
        PiiType::CreditCard => finance::sample_card(rng),
        PiiType::Iban => finance::sample_iban(rng),
        PiiType::IpAddress => web::sample_ip(rng),
    }
}

/// One coherent person: a name, a country of residence and a birth date, with every PII type sampled once
/// to match — the email and username derive from the name (usually), the phone number, address, IBAN and
/// national ID follow the country, and IDs that encode a birth date (PESEL, codice fiscale, personnummer)
/// encode this one. Values are fixed at sampling time so a record that mentions the person twice stays
/// consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// The person's name; PERSON, EMAIL, USERNAME and URL derive from it.
    pub name: names::Name,
    /// Where the person lives; PHONE, ADDRESS, IBAN and ID_NUMBER follow it.
    pub country: Country,
    /// Date of birth; DATE_OF_BIRTH and birth-encoding IDs use it, emails sometimes carry its year.
    pub birth: dates::Date,
    /// The user-name stem shared by the username, the profile URL and sometimes the email.
    pub handle: String,
    /// One value per type, in [`PiiType::ALL`] order.
    values: Vec<PiiValue>,
}

impl Persona {
    /// The persona's value of type `ty`.
    pub fn value(&self, ty: PiiType) -> PiiValue {
        self.values.get(ty.index()).cloned().unwrap_or_else(|| PiiValue::new(ty, String::new(), String::new()))
    }

    /// All eleven values, in [`PiiType::ALL`] order.
    pub fn values(&self) -> &[PiiValue] {
        &self.values
    }
}

/// Draws a persona (see [`Persona`]).
pub fn sample_persona<R: Rng + ?Sized>(rng: &mut R) -> Persona {
    let name = names::sample_name(rng);
    let country = weighted(rng, name.culture.home_countries());
    let birth = dates::sample_birth_date(rng);
    let handle = web::handle(&name, rng);
    let values = PiiType::ALL
        .iter()
        .map(|&ty| match ty {
            PiiType::Person => {
                let (value, description) = name.render(rng);
                PiiValue::new(ty, value, description)
            }
            PiiType::Email => {
                let email = if rng.random_bool(0.85) {
                    web::email_for(&name, Some(birth.year), country, rng)
                } else {
                    web::email_from_handle(&handle, country, rng)
                };
                PiiValue::new(ty, email, "an email address")
            }
            PiiType::Username => PiiValue::new(ty, web::render_username(&handle, rng), "a social media username"),
            PiiType::Url => web::profile_url(&name, &handle, rng),
            PiiType::Phone => phones::phone_for(country, rng),
            PiiType::Address => addresses::address_for(country, rng),
            PiiType::DateOfBirth => dates::render_dob(birth, rng),
            PiiType::IdNumber => ids::id_for_person(country, &name, birth, rng),
            PiiType::CreditCard => finance::sample_card(rng),
            PiiType::Iban => finance::iban_for(country, rng),
            PiiType::IpAddress => web::sample_ip(rng),
        })
        .collect();
    Persona { name, country, birth, handle, values }
}
