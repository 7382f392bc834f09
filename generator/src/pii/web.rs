//! Email addresses, usernames, profile URLs and IP addresses.

use super::names::{nickname, Name};
use super::{digits, pick, weighted, Country, PiiValue};
use blogbot_common::PiiType;
use rand::Rng;
use std::net::Ipv6Addr;

/// Free-mail domains used everywhere, weighted by popularity.
#[rustfmt::skip]
const GLOBAL_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 30), ("outlook.com", 6), ("hotmail.com", 6), ("yahoo.com", 5), ("icloud.com", 5),
    ("proton.me", 3), ("protonmail.com", 1), ("me.com", 1), ("aol.com", 1), ("live.com", 1),
    ("fastmail.com", 1), ("zoho.com", 1), ("tutanota.com", 1),
];

/// Domains people of a country use besides the global ones.
fn local_domains(country: Country) -> &'static [&'static str] {
    match country {
        Country::Us => &["comcast.net", "att.net", "verizon.net", "sbcglobal.net"],
        Country::Ca => &["rogers.com", "shaw.ca", "sympatico.ca", "videotron.ca"],
        Country::Gb => &["yahoo.co.uk", "btinternet.com", "hotmail.co.uk", "sky.com", "virginmedia.com"],
        Country::Ie => &["eircom.net", "yahoo.ie", "hotmail.co.uk"],
        Country::Fr => &["orange.fr", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr", "wanadoo.fr"],
        Country::De => &["web.de", "gmx.de", "gmx.net", "t-online.de", "posteo.de", "freenet.de"],
        Country::Es => &["hotmail.es", "telefonica.net", "yahoo.es", "outlook.es"],
        Country::It => &["libero.it", "virgilio.it", "tiscali.it", "alice.it"],
        Country::Pt => &["sapo.pt", "hotmail.com", "gmail.com"],
        Country::Nl => &["ziggo.nl", "kpnmail.nl", "planet.nl", "hotmail.nl", "xs4all.nl"],
        Country::Pl => &["wp.pl", "o2.pl", "onet.pl", "interia.pl", "gazeta.pl"],
        Country::Se => &["telia.com", "spray.se", "bredband.net", "hotmail.se"],
        Country::Jp => &["yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp"],
        Country::In => &["rediffmail.com", "yahoo.co.in", "yahoo.in"],
        Country::Br => &["uol.com.br", "bol.com.br", "terra.com.br", "ig.com.br"],
        Country::Mx => &["prodigy.net.mx", "hotmail.com", "yahoo.com.mx"],
        Country::Au => &["bigpond.com", "optusnet.com.au", "iinet.net.au"],
        Country::Za => &["mweb.co.za", "telkomsa.net", "webmail.co.za"],
        Country::Ng => &["yahoo.com", "ymail.com"],
    }
}

/// Country-code endings for company and university domains.
fn tld(country: Country) -> &'static str {
    match country {
        Country::Us => "com",
        Country::Ca => "ca",
        Country::Gb => "co.uk",
        Country::Ie => "ie",
        Country::Fr => "fr",
        Country::De => "de",
        Country::Es => "es",
        Country::It => "it",
        Country::Pt => "pt",
        Country::Nl => "nl",
        Country::Pl => "pl",
        Country::Se => "se",
        Country::Jp => "co.jp",
        Country::In => "in",
        Country::Br => "com.br",
        Country::Mx => "com.mx",
        Country::Au => "com.au",
        Country::Za => "co.za",
        Country::Ng => "com.ng",
    }
}

#[rustfmt::skip]
const ORG_WORDS: &[&str] = &[
    "northwind", "bluepeak", "brightfield", "kestrel", "harbourline", "oakridge", "silverline", "greenleaf",
    "redwood", "lumen", "fjordline", "meridian", "atlasworks", "cobalt", "willowby", "summitview", "pinecrest",
    "quayside", "ironbark", "marigold", "tidewater", "copperleaf", "stonebridge", "bramblewood", "larkspur",
];
#[rustfmt::skip]
const ORG_SUFFIXES: &[&str] = &["", "-labs", "-studio", "consulting", "-design", "tech", "-group", "media", "-legal", "-partners", "health", "-analytics", "-architects", "foods"];
#[rustfmt::skip]
const HOBBIES: &[&str] = &["bakes", "writes", "travels", "codes", "draws", "runs", "cooks", "photo", "art", "studio", "design", "music", "reads", "knits", "hikes"];
#[rustfmt::skip]
const ADJECTIVES: &[&str] = &["sleepy", "wandering", "little", "lazy", "happy", "urban", "salty", "quiet", "rusty", "golden", "wild", "tiny", "hungry", "cosmic", "midnight", "sunny", "cozy", "curious", "brave", "lucky", "misty", "crimson", "velvet", "electric", "humble", "spicy", "nordic", "retro"];
#[rustfmt::skip]
const NOUNS: &[&str] = &["otter", "fox", "fork", "kitchen", "panda", "traveler", "nomad", "baker", "pixel", "coder", "garden", "bookworm", "owl", "wolf", "raven", "lens", "atlas", "pepper", "biscuit", "maple", "cedar", "harbor", "comet", "falcon", "noodle", "muffin", "cactus", "robot", "hiker", "cyclist", "teapot", "vinyl", "sparrow", "mango"];

/// A company or university domain in `country` ("kestrel-labs.de", "northwind.ac.uk").
fn org_domain<R: Rng + ?Sized>(country: Country, rng: &mut R) -> String {
    let word = pick(rng, ORG_WORDS);
    if rng.random_bool(0.3) {
        return match country {
            Country::Us => format!("{word}.edu"),
            Country::Gb => format!("{word}.ac.uk"),
            Country::De => format!("uni-{word}.de"),
            Country::Fr => format!("univ-{word}.fr"),
            Country::Au => format!("{word}.edu.au"),
            Country::Jp => format!("{word}.ac.jp"),
            Country::In => format!("{word}.ac.in"),
            _ => format!("{word}.edu"),
        };
    }
    let suffix = pick(rng, ORG_SUFFIXES);
    let end = if rng.random_bool(0.7) { tld(country) } else { pick(rng, &["com", "io", "co", "net"]) };
    format!("{word}{suffix}.{end}")
}

/// A mail domain for someone in `country`: mostly global free-mail, sometimes local, sometimes work/school.
fn mail_domain<R: Rng + ?Sized>(country: Country, rng: &mut R) -> String {
    match rng.random_range(0..100) {
        0..=59 => weighted(rng, GLOBAL_DOMAINS).to_string(),
        60..=84 => pick(rng, local_domains(country)).to_string(),
        _ => org_domain(country, rng),
    }
}

/// Two or four digits that people append to names: a birth year when known, else a random number.
fn number_suffix<R: Rng + ?Sized>(birth_year: Option<u16>, rng: &mut R) -> String {
    match (birth_year, rng.random_range(0..4)) {
        (Some(y), 0) => format!("{:02}", y % 100),
        (Some(y), 1) => y.to_string(),
        (_, 2) => rng.random_range(1..1000).to_string(),
        _ => digits(rng, 2),
    }
}

/// An email address derived from `name` in one of the common patterns (first.last, flast, first_last99,
/// nickname, last.first, hello@firstlast.com) at a domain fitting `country`. Accents are folded to ASCII.
pub fn email_for<R: Rng + ?Sized>(name: &Name, birth_year: Option<u16>, country: Country, rng: &mut R) -> String {
    let g = non_empty(name.given_ascii(), "user");
    let f = non_empty(if rng.random_bool(0.6) { name.family_main_ascii() } else { name.family_ascii() }, "mail");
    let g0 = &g[..1];
    let f0 = &f[..1];
    let nick = nickname(&g).map(str::to_string).unwrap_or_else(|| g.chars().take(rng.random_range(3..=5)).collect());
    let n = number_suffix(birth_year, rng);
    let local = match rng.random_range(0..100) {
        0..=21 => format!("{g}.{f}"),
        22..=31 => format!("{g}{f}"),
        32..=41 => format!("{g0}{f}"),
        42..=46 => format!("{g0}.{f}"),
        47..=51 => format!("{g}_{f}"),
        52..=59 => format!("{g}.{f}{n}"),
        60..=63 => format!("{g}{f0}"),
        64..=68 => format!("{f}.{g}"),
        69..=74 => format!("{g}{n}"),
        75..=78 => format!("{nick}{f}"),
        79..=81 => format!("{nick}.{n}"),
        82..=83 => format!("{g}-{f}"),
        84..=86 => format!("{f}{g0}{n}"),
        87..=90 => format!("{g}.{}", pick(rng, HOBBIES)),
        91..=95 => format!("{g}{f}{n}"),
        _ => {
            let box_name = pick(rng, &["hello", "contact", "hi", "mail", "info", g.as_str()]);
            let end = pick(rng, &["com", "net", "me", "dev", "co", tld(country)]);
            return format!("{box_name}@{g}{f}.{end}");
        }
    };
    format!("{local}@{}", mail_domain(country, rng))
}

/// An email address built on a user-name stem rather than the real name ("sleepy_otter@gmail.com").
pub fn email_from_handle<R: Rng + ?Sized>(handle: &str, country: Country, rng: &mut R) -> String {
    format!("{handle}@{}", mail_domain(country, rng))
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

/// A user-name stem (no '@'): from the name ("maria_garcia", "lars.eriksen92", "kwame.codes") or from words
/// ("sleepy_otter", "the.curious.fork"). At most 30 characters, starting with a letter, never ending in '.'.
pub fn handle<R: Rng + ?Sized>(name: &Name, rng: &mut R) -> String {
    let g = non_empty(name.given_ascii(), "user");
    let f = non_empty(name.family_main_ascii(), "name");
    let nn = digits(rng, 2);
    let cap = |s: &str| -> String {
        let mut c = s.chars();
        c.next().map(|x| x.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
    };
    let adj = pick(rng, ADJECTIVES);
    let noun = pick(rng, NOUNS);
    let h = match rng.random_range(0..100) {
        0..=11 => format!("{g}_{f}"),
        12..=21 => format!("{g}{f}{nn}"),
        22..=31 => format!("{g}.{f}"),
        32..=36 => format!("{f}{}", &g[..1]),
        37..=41 => format!("{}_{}{nn}", nickname(&g).unwrap_or(&g), &f[..1]),
        42..=45 => format!("the{g}{f}"),
        46..=51 => format!("{g}{nn}"),
        52..=56 => format!("{g}.{}", pick(rng, HOBBIES)),
        57..=61 => format!("{g}_{noun}"),
        62..=66 => format!("{}{}", cap(&g), cap(&f)),
        67..=75 => format!("{adj}_{noun}"),
        76..=82 => format!("{adj}{noun}{nn}"),
        83..=87 => format!("the.{adj}.{noun}"),
        88..=92 => format!("{noun}_and_{}", pick(rng, NOUNS)),
        93..=96 => format!("{adj}.{noun}.{nn}"),
        _ => format!("{g}.{f}.{nn}"),
    };
    let mut h: String = h.chars().take(30).collect();
    while h.ends_with(['.', '_']) {
        h.pop();
    }
    h
}

/// A username as written in a post: with the '@' about half the time.
pub fn render_username<R: Rng + ?Sized>(handle: &str, rng: &mut R) -> String {
    if rng.random_bool(0.5) {
        format!("@{handle}")
    } else {
        handle.to_string()
    }
}

/// A personal or profile URL: social profiles (Instagram, LinkedIn, GitHub, TikTok, Mastodon, ...) or a
/// personal site, with and without scheme or "www.".
pub fn profile_url<R: Rng + ?Sized>(name: &Name, handle: &str, rng: &mut R) -> PiiValue {
    let g = non_empty(name.given_ascii(), "me");
    let f = non_empty(name.family_main_ascii(), "site");
    let slash = if rng.random_bool(0.3) { "/" } else { "" };
    let scheme = weighted(rng, &[("https://", 6), ("https://www.", 2), ("www.", 1), ("", 1)]);
    let social = |host: &str, www: bool| -> String {
        match scheme {
            "" => host.to_string(),
            "www." if www => format!("www.{host}"),
            "https://www." if www => format!("https://www.{host}"),
            _ => format!("https://{host}"),
        }
    };
    let (url, what) = match rng.random_range(0..20) {
        0 | 1 => (format!("{}/{handle}{slash}", social("instagram.com", true)), "an Instagram profile URL"),
        2 => (format!("{}/{handle}", social("x.com", false)), "an X (Twitter) profile URL"),
        3 | 4 => {
            let tag = format!("{:x}", rng.random_range(0x10000..0xffffffu32));
            (format!("{}/in/{g}-{f}-{tag}{slash}", social("linkedin.com", true)), "a LinkedIn profile URL")
        }
        5 | 6 => {
            (format!("{}/{}", social("github.com", false), handle.replace(['.', '_'], "-")), "a GitHub profile URL")
        }
        7 => (format!("{}/{g}.{f}.{}", social("facebook.com", true), digits(rng, 2)), "a Facebook profile URL"),
        8 => (format!("{}/@{handle}", social("tiktok.com", true)), "a TikTok profile URL"),
        9 => (format!("{}/@{handle}", social("youtube.com", true)), "a YouTube channel URL"),
        10 => (format!("https://medium.com/@{handle}"), "a Medium profile URL"),
        11 => (format!("https://{}.substack.com", handle.replace(['.', '_'], "")), "a Substack newsletter URL"),
        12 => (format!("https://www.flickr.com/photos/{handle}/"), "a Flickr profile URL"),
        13 => (format!("https://www.strava.com/athletes/{}", super::digits_nz(rng, 8)), "a Strava athlete profile URL"),
        14 => (format!("https://mastodon.social/@{}", handle.replace('.', "_")), "a Mastodon profile URL"),
        15 => (format!("https://bsky.app/profile/{}.bsky.social", handle.replace('_', "-")), "a Bluesky profile URL"),
        16 => (format!("https://www.behance.net/{}", handle.replace(['.', '_'], "")), "a Behance portfolio URL"),
        _ => {
            let ends = [
                "com",
                "dev",
                "me",
                "net",
                "io",
                "co.uk",
                "de",
                "fr",
                "photography",
                "blog",
                "studio",
                "art",
                "design",
            ];
            let end = pick(rng, &ends);
            let host = match rng.random_range(0..4) {
                0 => format!("{g}{f}.{end}"),
                1 => format!("{g}-{f}.{end}"),
                2 => format!("{g}{}.{end}", &f[..1]),
                _ => format!("{f}.{end}"),
            };
            let path = pick(rng, &["", "", "about", "blog/", "portfolio", "contact", "cv", "work/", "about-me"]);
            let url = match (scheme, path) {
                ("", "") | ("www.", "") => format!("https://{host}"),
                ("", p) => format!("{host}/{p}"),
                (s, "") => format!("{s}{host}{slash}"),
                (s, p) => format!("{s}{host}/{p}"),
            };
            (url, "a personal website URL")
        }
    };
    PiiValue::new(PiiType::Url, url, what)
}

/// An IPv4 (public-looking, private or documentation range) or IPv6 (full or compressed) address.
pub fn sample_ip<R: Rng + ?Sized>(rng: &mut R) -> PiiValue {
    let o = |rng: &mut R| rng.random_range(0..=255u16);
    let (value, what) = match rng.random_range(0..10) {
        0..=3 => {
            // Public unicast: avoid 0, 10, 127, 169.254, 172.16/12, 192.168, multicast and above.
            let first = loop {
                let f = rng.random_range(1..=223u16);
                if !matches!(f, 10 | 127 | 169 | 172 | 192 | 100) {
                    break f;
                }
            };
            (format!("{first}.{}.{}.{}", o(rng), o(rng), rng.random_range(1..=254u16)), "an IPv4 address")
        }
        4 | 5 => {
            let v = match rng.random_range(0..3) {
                0 => format!("192.168.{}.{}", rng.random_range(0..=10u16), rng.random_range(2..=254u16)),
                1 => format!("10.{}.{}.{}", o(rng), o(rng), rng.random_range(1..=254u16)),
                _ => format!("172.{}.{}.{}", rng.random_range(16..=31u16), o(rng), rng.random_range(1..=254u16)),
            };
            (v, "a private IPv4 address")
        }
        6 => {
            let net = pick(rng, &["192.0.2", "198.51.100", "203.0.113"]);
            (format!("{net}.{}", rng.random_range(1..=254u16)), "an IPv4 address")
        }
        _ => {
            let prefix: u16 =
                pick(rng, &[0x2001, 0x2a02, 0x2a01, 0x2600, 0x2604, 0x2a00, 0x2406, 0x2c0f, 0xfe80, 0xfd12]);
            let mut seg = [0u16; 8];
            seg[0] = prefix;
            let zero_run = rng.random_bool(0.5);
            for (i, s) in seg.iter_mut().enumerate().skip(1) {
                *s = if (zero_run && (3..=4).contains(&i)) || (prefix == 0xfe80 && i < 4) { 0 } else { rng.random() };
            }
            let addr = Ipv6Addr::new(seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7]);
            let v = if rng.random_bool(0.7) {
                addr.to_string()
            } else {
                seg.iter().map(|s| format!("{s:04x}")).collect::<Vec<_>>().join(":")
            };
            (v, "an IPv6 address")
        }
    };
    PiiValue::new(PiiType::IpAddress, value, what)
}
