//! The violation label set. One enum for the generator, the classifier and the API, so a type name means the
//! same thing in a dataset, a model head and a JSON answer.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A kind of personal data. Serialised as `SCREAMING_SNAKE_CASE` (`"DATE_OF_BIRTH"`), the names used by the
/// development set and by Presidio-style tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PiiType {
    Person,
    Email,
    Phone,
    Address,
    Url,
    DateOfBirth,
    IdNumber,
    CreditCard,
    Iban,
    IpAddress,
    Username,
}

impl PiiType {
    /// Every type, in a fixed order: the order of the classifier's per-type head and of its BIO tag set.
    pub const ALL: [PiiType; 11] = [
        PiiType::Person,
        PiiType::Email,
        PiiType::Phone,
        PiiType::Address,
        PiiType::Url,
        PiiType::DateOfBirth,
        PiiType::IdNumber,
        PiiType::CreditCard,
        PiiType::Iban,
        PiiType::IpAddress,
        PiiType::Username,
    ];

    /// The types with a fixed syntax that rules (regexes plus checksums) can find; the "structured types".
    pub const STRUCTURED: [PiiType; 6] = [
        PiiType::Email,
        PiiType::Phone,
        PiiType::CreditCard,
        PiiType::Iban,
        PiiType::IpAddress,
        PiiType::Url,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PiiType::Person => "PERSON",
            PiiType::Email => "EMAIL",
            PiiType::Phone => "PHONE",
            PiiType::Address => "ADDRESS",
            PiiType::Url => "URL",
            PiiType::DateOfBirth => "DATE_OF_BIRTH",
            PiiType::IdNumber => "ID_NUMBER",
            PiiType::CreditCard => "CREDIT_CARD",
            PiiType::Iban => "IBAN",
            PiiType::IpAddress => "IP_ADDRESS",
            PiiType::Username => "USERNAME",
        }
    }

    /// Position in [`PiiType::ALL`].
    pub fn index(self) -> usize {
        PiiType::ALL.iter().position(|t| *t == self).expect("every type is in ALL")
    }
}

impl fmt::Display for PiiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a type name that is not in the label set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown PII type `{0}`; known types: PERSON, EMAIL, PHONE, ADDRESS, URL, DATE_OF_BIRTH, ID_NUMBER, CREDIT_CARD, IBAN, IP_ADDRESS, USERNAME")]
pub struct UnknownType(pub String);

impl FromStr for PiiType {
    type Err = UnknownType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PiiType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownType(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for t in PiiType::ALL {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<PiiType>(&json).unwrap(), t);
            assert_eq!(t.as_str().parse::<PiiType>().unwrap(), t);
            assert_eq!(PiiType::ALL[t.index()], t);
        }
        assert!("SSN".parse::<PiiType>().is_err());
    }
}
