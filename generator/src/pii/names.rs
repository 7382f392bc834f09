//! Person names from 22 naming cultures, and the ASCII folding that turns them into email and handle parts.
//!
//! A name keeps its parts (given, middle, family, native script) rather than one string, so an email, a
//! username and a title form ("Dr. Okafor") can all be derived from the same person.

use super::names_data::{self as data, CultureData};
use super::{pick, weighted, Country};
use rand::Rng;

/// A naming culture. Decides the name lists, the customary order and which countries the person likely
/// lives in (see [`Culture::home_countries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Culture {
    #[default]
    English,
    Hispanic,
    French,
    German,
    Italian,
    Portuguese,
    Polish,
    Dutch,
    Scandinavian,
    Greek,
    Turkish,
    Arabic,
    Persian,
    Indian,
    Chinese,
    Japanese,
    Korean,
    Vietnamese,
    Nigerian,
    Ghanaian,
    Kenyan,
    Russian,
}

/// Sampling weights: English-language blogs dominate, but every culture must appear often enough that the
/// detector never learns "a name is Anglo-Saxon".
#[rustfmt::skip]
const CULTURE_WEIGHTS: &[(Culture, u32)] = &[
    (Culture::English, 14), (Culture::Hispanic, 8), (Culture::French, 5), (Culture::German, 5),
    (Culture::Italian, 4), (Culture::Portuguese, 5), (Culture::Polish, 3), (Culture::Dutch, 3),
    (Culture::Scandinavian, 3), (Culture::Greek, 2), (Culture::Turkish, 3), (Culture::Arabic, 4),
    (Culture::Persian, 2), (Culture::Indian, 7), (Culture::Chinese, 6), (Culture::Japanese, 3),
    (Culture::Korean, 3), (Culture::Vietnamese, 3), (Culture::Nigerian, 4), (Culture::Ghanaian, 2),
    (Culture::Kenyan, 2), (Culture::Russian, 4),
];

impl Culture {
    /// Every culture, for tests and for callers that want to iterate.
    #[rustfmt::skip]
    pub const ALL: [Culture; 22] = [
        Culture::English, Culture::Hispanic, Culture::French, Culture::German, Culture::Italian,
        Culture::Portuguese, Culture::Polish, Culture::Dutch, Culture::Scandinavian, Culture::Greek,
        Culture::Turkish, Culture::Arabic, Culture::Persian, Culture::Indian, Culture::Chinese,
        Culture::Japanese, Culture::Korean, Culture::Vietnamese, Culture::Nigerian, Culture::Ghanaian,
        Culture::Kenyan, Culture::Russian,
    ];

    /// Draws a culture with the built-in weights.
    pub fn sample<R: Rng + ?Sized>(rng: &mut R) -> Culture {
        weighted(rng, CULTURE_WEIGHTS)
    }

    fn data(self) -> &'static CultureData {
        match self {
            Culture::English => &data::ENGLISH,
            Culture::Hispanic => &data::HISPANIC,
            Culture::French => &data::FRENCH,
            Culture::German => &data::GERMAN,
            Culture::Italian => &data::ITALIAN,
            Culture::Portuguese => &data::PORTUGUESE,
            Culture::Polish => &data::POLISH,
            Culture::Dutch => &data::DUTCH,
            Culture::Scandinavian => &data::SCANDINAVIAN,
            Culture::Greek => &data::GREEK,
            Culture::Turkish => &data::TURKISH,
            Culture::Arabic => &data::ARABIC,
            Culture::Persian => &data::PERSIAN,
            Culture::Indian => &data::INDIAN,
            Culture::Chinese => &data::CHINESE,
            Culture::Japanese => &data::JAPANESE,
            Culture::Korean => &data::KOREAN,
            Culture::Vietnamese => &data::VIETNAMESE,
            Culture::Nigerian => &data::NIGERIAN,
            Culture::Ghanaian => &data::GHANAIAN,
            Culture::Kenyan => &data::KENYAN,
            Culture::Russian => &data::RUSSIAN,
        }
    }

    /// Countries a person of this culture plausibly lives in, weighted; diaspora cultures map to the
    /// countries this module can write addresses and phone numbers for.
    pub fn home_countries(self) -> &'static [(Country, u32)] {
        use Country::*;
        match self {
            Culture::English => &[(Us, 5), (Gb, 4), (Ca, 2), (Au, 2), (Ie, 1), (Za, 1)],
            Culture::Hispanic => &[(Es, 3), (Mx, 3), (Us, 2)],
            Culture::French => &[(Fr, 5), (Ca, 1)],
            Culture::German => &[(De, 1)],
            Culture::Italian => &[(It, 5), (De, 1)],
            Culture::Portuguese => &[(Br, 3), (Pt, 2)],
            Culture::Polish => &[(Pl, 5), (Gb, 1), (De, 1)],
            Culture::Dutch => &[(Nl, 1)],
            Culture::Scandinavian => &[(Se, 1)],
            Culture::Greek => &[(Gb, 1), (De, 1), (Us, 1)],
            Culture::Turkish => &[(De, 3), (Nl, 1), (Gb, 1)],
            Culture::Arabic => &[(Gb, 2), (Fr, 2), (De, 1), (Us, 1), (Se, 1)],
            Culture::Persian => &[(Us, 2), (Ca, 1), (Se, 1), (De, 1), (Gb, 1)],
            Culture::Indian => &[(In, 6), (Gb, 2), (Us, 2), (Ca, 1), (Au, 1)],
            Culture::Chinese => &[(Us, 2), (Ca, 2), (Au, 2), (Gb, 1)],
            Culture::Japanese => &[(Jp, 5), (Us, 1)],
            Culture::Korean => &[(Us, 2), (Ca, 1), (Au, 1)],
            Culture::Vietnamese => &[(Us, 2), (Au, 1), (Fr, 1)],
            Culture::Nigerian => &[(Ng, 5), (Gb, 2), (Us, 1)],
            Culture::Ghanaian => &[(Gb, 2), (Us, 1), (Ng, 1)],
            Culture::Kenyan => &[(Gb, 1), (Us, 1), (Za, 1)],
            Culture::Russian => &[(De, 2), (Pl, 1), (Us, 1), (Gb, 1)],
        }
    }

    /// Whether a hyphenated double-barrelled family name is customary enough to generate now and then.
    fn hyphenates(self) -> bool {
        matches!(self, Culture::English | Culture::French | Culture::German | Culture::Scandinavian)
    }

    /// Whether people of this culture commonly write a middle initial ("John K. Matthews").
    fn middle_initials(self) -> bool {
        matches!(self, Culture::English | Culture::German | Culture::Dutch | Culture::Scandinavian)
    }
}

/// Grammatical gender of the name; picks the given-name list and Slavic/Greek family-name forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Gender {
    #[default]
    Female,
    Male,
}

/// A person's name, kept in parts so that emails, handles and title forms derive from the same person.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// Naming culture the parts were drawn from.
    pub culture: Culture,
    /// Gender of the given name (and of gendered family-name forms).
    pub gender: Gender,
    /// Given name as written, diacritics included ("Zoë", "Jean-Pierre", "Min-jun").
    pub given: String,
    /// A middle name (English, Germanic) or Vietnamese middle name ("Thị").
    pub middle: Option<String>,
    /// Family name as written, particles and double names included ("van den Berg", "García López").
    pub family: String,
    /// The full name in its native script, for Chinese and Japanese names ("王芳").
    pub native: Option<String>,
    /// Whether the customary order puts the family name first ("Nguyễn Thị Lan", "Sato Haruto").
    pub family_first: bool,
}

/// "Wang|王" -> ("Wang", Some("王")).
fn split_native(entry: &str) -> (&str, Option<&str>) {
    match entry.split_once('|') {
        Some((latin, native)) => (latin, Some(native)),
        None => (entry, None),
    }
}

/// "Kowalski/Kowalska" -> the form for `gender`.
fn gendered(entry: &str, gender: Gender) -> &str {
    match (entry.split_once('/'), gender) {
        (Some((m, _)), Gender::Male) => m,
        (Some((_, f)), Gender::Female) => f,
        (None, _) => entry,
    }
}

/// Draws a name from a random culture.
pub fn sample_name<R: Rng + ?Sized>(rng: &mut R) -> Name {
    let culture = Culture::sample(rng);
    sample_name_in(culture, rng)
}

/// Draws a name from `culture`.
pub fn sample_name_in<R: Rng + ?Sized>(culture: Culture, rng: &mut R) -> Name {
    let d = culture.data();
    let gender = if rng.random_bool(0.5) { Gender::Male } else { Gender::Female };
    let given_list = |g: Gender, d: &'static CultureData| if g == Gender::Male { d.male } else { d.female };
    // Diaspora and Kenyan naming often pairs an English given name with the family name.
    let western_given = match culture {
        Culture::Chinese | Culture::Korean => rng.random_bool(0.2),
        Culture::Kenyan | Culture::Ghanaian | Culture::Nigerian => rng.random_bool(0.3),
        Culture::Vietnamese | Culture::Indian => rng.random_bool(0.05),
        _ => false,
    };
    let given_entry =
        if western_given { pick(rng, given_list(gender, &data::ENGLISH)) } else { pick(rng, given_list(gender, d)) };
    let (given, given_native) = split_native(given_entry);
    let (family0, family_native) = split_native(gendered(pick(rng, d.family), gender));
    let mut family = family0.to_string();

    match culture {
        Culture::Hispanic if rng.random_bool(0.55) => {
            let second = pick(rng, d.family);
            if second != family {
                family = format!("{family} {second}");
            }
        }
        Culture::Portuguese if rng.random_bool(0.35) && !family.starts_with(char::is_lowercase) => {
            let second = pick(rng, d.family);
            if second != family {
                family = format!("{family} {second}");
            }
        }
        c if c.hyphenates() && rng.random_bool(0.05) => {
            let second = gendered(pick(rng, d.family), gender);
            if second != family && !second.contains(' ') && !family.contains(' ') {
                family = format!("{family}-{second}");
            }
        }
        _ => {}
    }

    let middle = match culture {
        Culture::Vietnamese => Some(
            pick(rng, if gender == Gender::Male { data::VIETNAMESE_MIDDLE_M } else { data::VIETNAMESE_MIDDLE_F })
                .to_string(),
        ),
        Culture::English if rng.random_bool(0.2) => {
            Some(pick(rng, given_list(gender, d)).to_string()).filter(|m| m != given)
        }
        c if c.middle_initials() && rng.random_bool(0.08) => {
            Some(pick(rng, given_list(gender, d)).to_string()).filter(|m| m != given)
        }
        _ => None,
    };

    let native = match (culture, family_native, given_native) {
        (Culture::Chinese | Culture::Japanese, Some(f), Some(g)) if !western_given => Some(format!("{f}{g}")),
        _ => None,
    };
    let family_first = match culture {
        Culture::Chinese => !western_given && rng.random_bool(0.35),
        Culture::Japanese => rng.random_bool(0.25),
        Culture::Korean => !western_given && rng.random_bool(0.35),
        Culture::Vietnamese => rng.random_bool(0.75),
        _ => false,
    };
    Name { culture, gender, given: given.to_string(), middle, family, native, family_first }
}

impl Name {
    /// The full name in the customary order, middle name included.
    pub fn full(&self) -> String {
        if self.family_first {
            return match &self.middle {
                Some(m) => format!("{} {m} {}", self.family, self.given),
                None => format!("{} {}", self.family, self.given),
            };
        }
        if self.culture == Culture::Vietnamese {
            // Diaspora order drops the middle name and the diacritics: "Lan Nguyen".
            return format!("{} {}", fold(&self.given, false), fold(&self.family, false));
        }
        match &self.middle {
            Some(m) => format!("{} {m} {}", self.given, self.family),
            None => format!("{} {}", self.given, self.family),
        }
    }

    /// The family name as it stands alone after a title: a leading particle is capitalised
    /// ("Dr. Van den Berg", "Ms. De Luca").
    pub fn family_alone(&self) -> String {
        let mut chars = self.family.chars();
        match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }

    /// The given name as the person is called in prose ("Maya", "Jean-Pierre"). For Vietnamese names in
    /// Western order it is folded the way [`Name::full`] writes it, so the two forms of one person agree.
    pub fn first(&self) -> String {
        if self.culture == Culture::Vietnamese && !self.family_first {
            fold(&self.given, false)
        } else {
            self.given.clone()
        }
    }

    /// Title and surname as people write them ("Mrs Okafor", "Dr. Lindqvist", "Mr Van den Berg"): the title
    /// agrees with the gender and has its full stop about a third of the time ("Miss" and "Professor" never).
    pub fn titled<R: Rng + ?Sized>(&self, rng: &mut R) -> String {
        let title = match self.gender {
            Gender::Female => {
                weighted(rng, &[("Mrs", 4), ("Ms", 3), ("Miss", 1), ("Dr", 2), ("Prof", 1), ("Professor", 1)])
            }
            Gender::Male => weighted(rng, &[("Mr", 7), ("Dr", 2), ("Prof", 1), ("Professor", 1)]),
        };
        let stop = if !matches!(title, "Miss" | "Professor") && rng.random_bool(0.35) { "." } else { "" };
        let family = if self.culture == Culture::Vietnamese && !self.family_first {
            fold(&self.family_alone(), false)
        } else {
            self.family_alone()
        };
        format!("{title}{stop} {family}")
    }

    /// Given name in lower-case ASCII, for emails and handles ("zoe", "jeanpierre", "minjun").
    pub fn given_ascii(&self) -> String {
        slug(&fold(&self.given, self.culture == Culture::German))
    }

    /// Family name in lower-case ASCII with particles and spaces removed ("vandenberg", "garcialopez").
    pub fn family_ascii(&self) -> String {
        slug(&fold(&self.family, self.culture == Culture::German))
    }

    /// The first family name only, without particles, in lower-case ASCII ("garcia" for "García López",
    /// "silva" for "da Silva"), which is what people put in addresses more often than the full compound.
    pub fn family_main_ascii(&self) -> String {
        let main = self.family.split([' ', '-']).find(|w| w.starts_with(char::is_uppercase)).unwrap_or(&self.family);
        slug(&fold(main, self.culture == Culture::German))
    }

    /// Picks how the name appears in a text and returns it with a description for prompts and templates.
    pub fn render<R: Rng + ?Sized>(&self, rng: &mut R) -> (String, &'static str) {
        let has_native = self.native.is_some();
        let forms: &[(u8, u32)] = &[
            (0, 60),
            (1, if self.culture.middle_initials() { 12 } else { 0 }),
            (2, 7),
            (3, 4),
            (4, 6),
            (5, 3),
            (6, if has_native { 14 } else { 0 }),
            (7, if has_native && self.culture == Culture::Chinese { 6 } else { 0 }),
        ];
        let form = weighted(rng, forms);
        let title = match (rng.random_range(0..10), self.gender) {
            (0..=3, _) => "Dr.",
            (4, _) => "Prof.",
            (_, Gender::Male) => "Mr.",
            (5..=7, Gender::Female) => "Ms.",
            _ => "Mrs.",
        };
        match form {
            1 => {
                let initial = self
                    .middle
                    .as_deref()
                    .and_then(|m| m.chars().next())
                    .unwrap_or_else(|| char::from(b'A' + rng.random_range(0..26u8)));
                (format!("{} {initial}. {}", self.given, self.family), "a person's full name with a middle initial")
            }
            2 => (format!("{title} {}", self.full()), "a person's name with a title"),
            3 => (format!("{title} {}", self.family_alone()), "a person's surname with a title"),
            4 => (self.given.clone(), "a person's first name"),
            5 => {
                let initial = self.given.chars().next().unwrap_or('J');
                (format!("{initial}. {}", self.family), "a person's initial and surname")
            }
            6 => {
                let native = self.native.clone().unwrap_or_else(|| self.full());
                let what = if self.culture == Culture::Japanese {
                    "a person's name written in Japanese"
                } else {
                    "a person's name written in Chinese characters"
                };
                (native, what)
            }
            7 => {
                let native = self.native.as_deref().unwrap_or_default();
                (format!("{} ({native})", self.full()), "a person's name in pinyin and Chinese characters")
            }
            _ => (self.full(), "a person's full name"),
        }
    }
}

/// Accented Latin letters and their ASCII spellings; anything else non-ASCII (CJK, Hangul) is dropped.
#[rustfmt::skip]
const FOLD: &[(&str, &str)] = &[
    ("àáâãäåāăąạảấầẩẫậắằẳẵặ", "a"), ("ÀÁÂÃÄÅĀĂĄẠẢẤẦẨẪẬẮẰẲẴẶ", "A"), ("æ", "ae"), ("Æ", "AE"),
    ("çćĉċč", "c"), ("ÇĆĈĊČ", "C"), ("ďđ", "d"), ("ĎĐ", "D"), ("èéêëēĕėęěẹẻẽếềểễệ", "e"),
    ("ÈÉÊËĒĔĖĘĚẸẺẼẾỀỂỄỆ", "E"), ("ğĝġģ", "g"), ("ĞĜĠĢ", "G"), ("ĥħ", "h"), ("ìíîïĩīĭįıỉị", "i"),
    ("ÌÍÎÏĨĪĬĮİỈỊ", "I"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ĹĻĽĿŁ", "L"), ("ñńņňŉ", "n"), ("ÑŃŅŇ", "N"),
    ("òóôõöøōŏőọỏốồổỗộơớờởỡợ", "o"), ("ÒÓÔÕÖØŌŎŐỌỎỐỒỔỖỘƠỚỜỞỠỢ", "O"), ("œ", "oe"), ("Œ", "OE"),
    ("ŕŗř", "r"), ("ŔŖŘ", "R"), ("śŝşšș", "s"), ("ŚŜŞŠȘ", "S"), ("ß", "ss"), ("ţťŧț", "t"), ("ŢŤŦȚ", "T"),
    ("ùúûüũūŭůűųụủưứừửữự", "u"), ("ÙÚÛÜŨŪŬŮŰŲỤỦƯỨỪỬỮỰ", "U"), ("ýÿŷỳỵỷỹ", "y"), ("ÝŸŶỲỴỶỸ", "Y"),
    ("źżž", "z"), ("ŹŻŽ", "Z"), ("þ", "th"), ("ð", "d"),
];

/// Folds accented Latin letters to ASCII ("Zoë Müller" -> "Zoe Muller"); with `german` the umlauts become
/// two letters ("Mueller"), as Germans spell them in addresses. Other non-ASCII characters are dropped.
pub fn fold(s: &str, german: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        if german {
            let two = match c {
                'ä' => Some("ae"),
                'ö' => Some("oe"),
                'ü' => Some("ue"),
                'Ä' => Some("Ae"),
                'Ö' => Some("Oe"),
                'Ü' => Some("Ue"),
                _ => None,
            };
            if let Some(t) = two {
                out.push_str(t);
                continue;
            }
        }
        if let Some((_, rep)) = FOLD.iter().find(|(set, _)| set.contains(c)) {
            out.push_str(rep);
        }
    }
    out
}

/// Lower-case ASCII letters and digits only ("O'Brien-Smith" -> "obriensmith").
pub fn slug(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Common English nicknames, used for email and handle variety ("kate.jones", "bill_m").
pub fn nickname(given_ascii: &str) -> Option<&'static str> {
    #[rustfmt::skip]
    const NICKS: &[(&str, &str)] = &[
        ("william", "will"), ("robert", "rob"), ("elizabeth", "liz"), ("katherine", "kate"),
        ("catherine", "cathy"), ("alexander", "alex"), ("michael", "mike"), ("christopher", "chris"),
        ("jennifer", "jen"), ("daniel", "dan"), ("matthew", "matt"), ("jonathan", "jon"),
        ("margaret", "maggie"), ("benjamin", "ben"), ("samuel", "sam"), ("nicholas", "nick"),
        ("thomas", "tom"), ("joseph", "joe"), ("james", "jamie"), ("patricia", "trish"),
        ("rebecca", "becky"), ("victoria", "vicky"), ("alejandro", "alex"), ("francisco", "paco"),
        ("jose", "pepe"), ("guillermo", "memo"), ("aleksandr", "sasha"), ("oleksandr", "sasha"),
        ("dmitry", "dima"), ("ekaterina", "katya"), ("anastasia", "nastya"), ("maximilian", "max"),
        ("johannes", "hannes"), ("giuseppe", "peppe"), ("francesca", "fra"), ("oluwaseun", "seun"),
        ("babatunde", "tunde"), ("chukwuemeka", "emeka"), ("abhishek", "abhi"), ("siddharth", "sid"),
    ];
    NICKS.iter().find(|(full, _)| *full == given_ascii).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_culture_has_names() {
        for c in Culture::ALL {
            let d = c.data();
            assert!(d.male.len() >= 20 && d.female.len() >= 20 && d.family.len() >= 25, "{c:?}");
            assert!(!c.home_countries().is_empty());
        }
        assert!(CULTURE_WEIGHTS.len() == Culture::ALL.len());
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Zoë Łukasz Nguyễn Çelik Søren", false), "Zoe Lukasz Nguyen Celik Soren");
        assert_eq!(fold("Müller Weiß", true), "Mueller Weiss");
        assert_eq!(slug(&fold("O'Brien-Smith 王", false)), "obriensmith");
    }
}
