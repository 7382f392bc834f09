//! Phone numbers in the national and international notations of 19 countries.
//!
//! Prefixes are real (area codes, mobile ranges) so the numbers look like the ones people publish; the
//! subscriber digits are random. Fictional ranges (US 555-01xx, UK 07700 900xxx and 020 7946 0xxx) are used
//! only now and then, because a detector that only ever saw them would learn the range, not the shape.

use super::{digits, digits_nz, pick, weighted, Country, PiiValue};
use blogbot_common::PiiType;
use rand::Rng;

/// Countries for stand-alone sampling, weighted roughly by how often their numbers appear in English-language
/// blogs.
#[rustfmt::skip]
const COUNTRY_WEIGHTS: &[(Country, u32)] = &[
    (Country::Us, 5), (Country::Gb, 4), (Country::Ca, 1), (Country::Fr, 2), (Country::De, 2), (Country::Es, 2),
    (Country::It, 2), (Country::Nl, 1), (Country::Se, 1), (Country::Pl, 1), (Country::In, 3), (Country::Br, 2),
    (Country::Mx, 2), (Country::Jp, 1), (Country::Au, 2), (Country::Za, 1), (Country::Ng, 2), (Country::Ie, 1),
    (Country::Pt, 1),
];

#[rustfmt::skip]
const US_AREAS: &[&str] = &[
    "212", "646", "718", "917", "415", "510", "650", "408", "213", "310", "818", "312", "773", "617", "857",
    "206", "425", "503", "971", "512", "737", "303", "720", "404", "678", "305", "786", "713", "832", "214",
    "469", "602", "480", "615", "919", "984", "704", "612", "651", "608", "414", "313", "215", "267", "412",
    "801", "702", "619", "858", "916", "808", "907", "505", "202", "804",
];
#[rustfmt::skip]
const CA_AREAS: &[&str] = &["416", "647", "437", "604", "778", "236", "514", "438", "613", "343", "403", "587", "780", "825", "902", "204", "306", "709"];

/// A random phone number from a random country.
pub fn sample_phone<R: Rng + ?Sized>(rng: &mut R) -> PiiValue {
    let country = weighted(rng, COUNTRY_WEIGHTS);
    phone_for(country, rng)
}

/// A phone number of `country`, in one of its usual notations.
pub fn phone_for<R: Rng + ?Sized>(country: Country, rng: &mut R) -> PiiValue {
    let (value, kind) = match country {
        Country::Us | Country::Ca => nanp(country, rng),
        Country::Gb => uk(rng),
        Country::Ie => ireland(rng),
        Country::Fr => france(rng),
        Country::De => germany(rng),
        Country::Es => spain(rng),
        Country::It => italy(rng),
        Country::Pt => portugal(rng),
        Country::Nl => netherlands(rng),
        Country::Pl => poland(rng),
        Country::Se => sweden(rng),
        Country::Jp => japan(rng),
        Country::In => india(rng),
        Country::Br => brazil(rng),
        Country::Mx => mexico(rng),
        Country::Au => australia(rng),
        Country::Za => south_africa(rng),
        Country::Ng => nigeria(rng),
    };
    let description = format!("{} {} {kind}", article(country.adjective()), country.adjective());
    PiiValue::new(PiiType::Phone, value, description)
}

/// "a" or "an" before an adjective ("an Indian", "a UK").
fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O']) {
        "an"
    } else {
        "a"
    }
}

/// US and Canadian numbers: (AAA) EEE-SSSS and friends, with or without +1.
fn nanp<R: Rng + ?Sized>(country: Country, rng: &mut R) -> (String, &'static str) {
    let area = pick(rng, if country == Country::Ca { CA_AREAS } else { US_AREAS });
    let (exch, line) = if rng.random_bool(0.1) {
        ("555".to_string(), format!("01{}", digits(rng, 2)))
    } else {
        (format!("{}{}", rng.random_range(2..10u8), digits(rng, 2)), digits(rng, 4))
    };
    let v = match rng.random_range(0..20) {
        0..=5 => format!("({area}) {exch}-{line}"),
        6..=10 => format!("{area}-{exch}-{line}"),
        11 | 12 => format!("{area}.{exch}.{line}"),
        13 | 14 => format!("+1 {area} {exch} {line}"),
        15 | 16 => format!("+1 ({area}) {exch}-{line}"),
        17 => format!("+1-{area}-{exch}-{line}"),
        18 => format!("1-{area}-{exch}-{line}"),
        _ => format!("{area} {exch} {line}"),
    };
    (v, "phone number")
}

fn uk<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.55) {
        let (a, b) = if rng.random_bool(0.1) {
            ("7700".to_string(), format!("900{}", digits(rng, 3)))
        } else {
            (format!("7{}{}", pick(rng, &["4", "5", "7", "8", "9"]), digits(rng, 2)), digits(rng, 6))
        };
        let v = match rng.random_range(0..10) {
            0..=5 => format!("0{a} {b}"),
            6 => format!("0{a} {} {}", &b[..3], &b[3..]),
            _ => format!("+44 {a} {b}"),
        };
        return (v, "mobile number");
    }
    let (area, local) = match rng.random_range(0..6) {
        0 | 1 => (
            "20".to_string(),
            format!("{} {}", pick(rng, &["7946", "7123", "8340", "3456", "7580", "8969"]), digits(rng, 4)),
        ),
        2 | 3 => (
            pick(rng, &["113", "161", "121", "117", "131", "141", "151", "114", "115", "191"]).to_string(),
            format!("{} {}", digits_nz(rng, 3), digits(rng, 4)),
        ),
        _ => (
            pick(rng, &["1865", "1223", "1632", "1904", "1273", "1392", "1603", "1225"]).to_string(),
            digits_nz(rng, 6),
        ),
    };
    let v = match rng.random_range(0..10) {
        0..=6 => format!("0{area} {local}"),
        7 => format!("+44 (0){area} {local}"),
        _ => format!("+44 {area} {local}"),
    };
    (v, "landline number")
}

fn ireland<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.7) {
        let p = pick(rng, &["83", "85", "86", "87", "89"]);
        let (a, b) = (digits_nz(rng, 3), digits(rng, 4));
        let v = if rng.random_bool(0.6) { format!("0{p} {a} {b}") } else { format!("+353 {p} {a} {b}") };
        return (v, "mobile number");
    }
    let (a, b) = (digits_nz(rng, 3), digits(rng, 4));
    let v = if rng.random_bool(0.6) { format!("01 {a} {b}") } else { format!("+353 1 {a} {b}") };
    (v, "landline number")
}

fn france<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    let mobile = rng.random_bool(0.6);
    let lead = if mobile { pick(rng, &['6', '7']) } else { pick(rng, &['1', '2', '3', '4', '5', '9']) };
    let pairs: Vec<String> = (0..4).map(|_| digits(rng, 2)).collect();
    let v = match rng.random_range(0..10) {
        0..=5 => format!("0{lead} {}", pairs.join(" ")),
        6 => format!("0{lead}.{}", pairs.join(".")),
        7 | 8 => format!("+33 {lead} {}", pairs.join(" ")),
        _ => format!("+33 (0){lead} {}", pairs.join(" ")),
    };
    (v, if mobile { "mobile number" } else { "landline number" })
}

fn germany<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.5) {
        let p = pick(rng, &["151", "152", "157", "160", "162", "170", "171", "172", "176", "177", "178"]);
        let sub = digits_nz(rng, if p.starts_with("15") { 8 } else { 7 });
        let v = if rng.random_bool(0.6) { format!("0{p} {sub}") } else { format!("+49 {p} {sub}") };
        return (v, "mobile number");
    }
    let area = pick(rng, &["30", "40", "89", "221", "69", "711", "211", "341", "351", "511", "911", "421", "228"]);
    let sub = digits_nz(rng, if area.len() == 2 { 8 } else { 7 });
    let v = match rng.random_range(0..10) {
        0..=4 => format!("0{area} {sub}"),
        5 => format!("0{area}/{sub}"),
        6 => format!("0{area}-{sub}"),
        7 => format!("+49 (0){area} {sub}"),
        _ => format!("+49 {area} {sub}"),
    };
    (v, "landline number")
}

fn spain<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.65) {
        let first = format!("{}{}", pick(rng, &['6', '7']), digits(rng, 2));
        let (a, b, c) = (digits(rng, 2), digits(rng, 2), digits(rng, 2));
        let rest = digits(rng, 6);
        let v = match rng.random_range(0..10) {
            0..=3 => format!("{first} {a} {b} {c}"),
            4..=5 => format!("{first} {} {}", &rest[..3], &rest[3..]),
            6 | 7 => format!("+34 {first} {} {}", &rest[..3], &rest[3..]),
            _ => format!("+34 {first} {a} {b} {c}"),
        };
        return (v, "mobile number");
    }
    let area = pick(rng, &["91", "93", "96", "95", "94"]);
    let v = format!("{area} {} {} {}", digits_nz(rng, 3), digits(rng, 2), digits(rng, 2));
    let v = if rng.random_bool(0.3) { format!("+34 {v}") } else { v };
    (v, "landline number")
}

fn italy<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.55) {
        let p = format!("3{}{}", pick(rng, &['2', '3', '4', '5', '9']), digits(rng, 1));
        let (a, b) = (digits(rng, 3), digits(rng, 4));
        let v = if rng.random_bool(0.5) { format!("{p} {a} {b}") } else { format!("+39 {p} {a} {b}") };
        return (v, "mobile number");
    }
    let (area, sub) = match rng.random_range(0..4) {
        0 => ("06", format!("{} {}", digits_nz(rng, 4), digits(rng, 4))),
        1 => ("02", format!("{} {}", digits_nz(rng, 4), digits(rng, 4))),
        2 => ("011", format!("{} {}", digits_nz(rng, 3), digits(rng, 4))),
        _ => ("055", format!("{} {}", digits_nz(rng, 3), digits(rng, 4))),
    };
    let v = if rng.random_bool(0.6) { format!("{area} {sub}") } else { format!("+39 {area} {sub}") };
    (v, "landline number")
}

fn portugal<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.7) {
        let p = format!("9{}{}", pick(rng, &['1', '2', '3', '6']), digits(rng, 1));
        let (a, b) = (digits(rng, 3), digits(rng, 3));
        let v = if rng.random_bool(0.4) { format!("{p} {a} {b}") } else { format!("+351 {p} {a} {b}") };
        return (v, "mobile number");
    }
    let area = pick(rng, &["21", "22", "239", "253"]);
    let sub = if area.len() == 2 {
        format!("{} {}", digits_nz(rng, 3), digits(rng, 4))
    } else {
        format!("{} {}", digits_nz(rng, 3), digits(rng, 3))
    };
    (format!("+351 {area} {sub}"), "landline number")
}

fn netherlands<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.6) {
        let sub = digits_nz(rng, 8);
        let v = match rng.random_range(0..4) {
            0 => format!("06 {sub}"),
            1 => format!("06-{sub}"),
            _ => format!("+31 6 {sub}"),
        };
        return (v, "mobile number");
    }
    let area = pick(rng, &["20", "10", "30", "70", "40", "50", "71"]);
    let (a, b) = (digits_nz(rng, 3), digits(rng, 4));
    let v = match rng.random_range(0..4) {
        0 => format!("0{area} {a} {b}"),
        1 => format!("0{area}-{a} {b}"),
        2 => format!("0{area}-{a}{b}"),
        _ => format!("+31 {area} {a} {b}"),
    };
    (v, "landline number")
}

fn poland<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.7) {
        let first = format!("{}{}", pick(rng, &['5', '6', '7', '8']), digits(rng, 2));
        let (a, b) = (digits(rng, 3), digits(rng, 3));
        let v = match rng.random_range(0..4) {
            0 => format!("{first} {a} {b}"),
            1 => format!("+48 {first}-{a}-{b}"),
            _ => format!("+48 {first} {a} {b}"),
        };
        return (v, "mobile number");
    }
    let area = pick(rng, &["22", "12", "58", "71", "61", "42"]);
    (format!("+48 {area} {} {} {}", digits_nz(rng, 3), digits(rng, 2), digits(rng, 2)), "landline number")
}

fn sweden<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.6) {
        let p = pick(rng, &["70", "72", "73", "76", "79"]);
        let (a, b, c) = (digits_nz(rng, 3), digits(rng, 2), digits(rng, 2));
        let v = if rng.random_bool(0.6) { format!("0{p}-{a} {b} {c}") } else { format!("+46 {p} {a} {b} {c}") };
        return (v, "mobile number");
    }
    let v = match rng.random_range(0..3) {
        0 => format!("08-{} {} {}", digits_nz(rng, 3), digits(rng, 3), digits(rng, 2)),
        1 => format!("031-{} {} {}", digits_nz(rng, 2), digits(rng, 2), digits(rng, 2)),
        _ => format!("+46 8 {} {} {}", digits_nz(rng, 3), digits(rng, 3), digits(rng, 2)),
    };
    (v, "landline number")
}

fn japan<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.6) {
        let p = pick(rng, &["90", "80", "70"]);
        let (a, b) = (digits_nz(rng, 4), digits(rng, 4));
        let v = if rng.random_bool(0.65) { format!("0{p}-{a}-{b}") } else { format!("+81 {p}-{a}-{b}") };
        return (v, "mobile number");
    }
    let (area, a) = match rng.random_range(0..4) {
        0 => ("3", digits_nz(rng, 4)),
        1 => ("6", digits_nz(rng, 4)),
        2 => ("75", digits_nz(rng, 3)),
        _ => ("52", digits_nz(rng, 3)),
    };
    let b = digits(rng, 4);
    let v = if rng.random_bool(0.65) { format!("0{area}-{a}-{b}") } else { format!("+81 {area}-{a}-{b}") };
    (v, "landline number")
}

fn india<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.7) {
        let m = format!("{}{}", pick(rng, &['6', '7', '8', '9']), digits(rng, 9));
        let v = match rng.random_range(0..10) {
            0..=3 => format!("+91 {} {}", &m[..5], &m[5..]),
            4 | 5 => format!("+91-{m}"),
            6 => format!("+91 {m}"),
            _ => format!("{} {}", &m[..5], &m[5..]),
        };
        return (v, "mobile number");
    }
    let area = pick(rng, &["22", "11", "80", "44", "40", "33", "20"]);
    let (a, b) = (digits_nz(rng, 4), digits(rng, 4));
    let v = if rng.random_bool(0.5) { format!("0{area} {a} {b}") } else { format!("+91 {area} {a} {b}") };
    (v, "landline number")
}

fn brazil<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    let ddd = pick(rng, &["11", "21", "31", "41", "51", "61", "71", "81", "85", "19", "27", "48"]);
    let mobile = rng.random_bool(0.7);
    let (a, b) = if mobile {
        (format!("9{}", digits_nz(rng, 4)), digits(rng, 4))
    } else {
        (format!("{}{}", rng.random_range(2..6u8), digits(rng, 3)), digits(rng, 4))
    };
    let v = match rng.random_range(0..10) {
        0..=5 => format!("({ddd}) {a}-{b}"),
        6 | 7 => format!("+55 {ddd} {a}-{b}"),
        _ => format!("+55 ({ddd}) {a}-{b}"),
    };
    (v, if mobile { "mobile number" } else { "landline number" })
}

fn mexico<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    let area = pick(rng, &["55", "33", "81", "222", "442", "999"]);
    let (a, b) =
        if area.len() == 2 { (digits_nz(rng, 4), digits(rng, 4)) } else { (digits_nz(rng, 3), digits(rng, 4)) };
    let v = if rng.random_bool(0.6) { format!("+52 {area} {a} {b}") } else { format!("{area} {a} {b}") };
    (v, "phone number")
}

fn australia<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    if rng.random_bool(0.6) {
        let p = format!("4{}", digits(rng, 2));
        let (a, b) = (digits(rng, 3), digits(rng, 3));
        let v = if rng.random_bool(0.6) { format!("0{p} {a} {b}") } else { format!("+61 {p} {a} {b}") };
        return (v, "mobile number");
    }
    let area = pick(rng, &['2', '3', '7', '8']);
    let (a, b) = (digits_nz(rng, 4), digits(rng, 4));
    let v = match rng.random_range(0..3) {
        0 => format!("(0{area}) {a} {b}"),
        1 => format!("0{area} {a} {b}"),
        _ => format!("+61 {area} {a} {b}"),
    };
    (v, "landline number")
}

fn south_africa<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    let mobile = rng.random_bool(0.65);
    let p = if mobile {
        pick(rng, &["82", "83", "84", "72", "73", "76", "79", "61", "71"])
    } else {
        pick(rng, &["21", "11", "31", "12", "41"])
    };
    let (a, b) = (digits_nz(rng, 3), digits(rng, 4));
    let v = if rng.random_bool(0.6) { format!("0{p} {a} {b}") } else { format!("+27 {p} {a} {b}") };
    (v, if mobile { "mobile number" } else { "landline number" })
}

fn nigeria<R: Rng + ?Sized>(rng: &mut R) -> (String, &'static str) {
    let p = pick(
        rng,
        &[
            "803", "806", "813", "816", "703", "706", "802", "808", "812", "805", "807", "815", "905", "909", "701",
            "708",
        ],
    );
    let (a, b) = (digits_nz(rng, 3), digits(rng, 4));
    let v = if rng.random_bool(0.55) { format!("0{p} {a} {b}") } else { format!("+234 {p} {a} {b}") };
    (v, "mobile number")
}
