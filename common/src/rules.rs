//! Rule-based PII detectors: regexes plus checksums and context words.
//!
//! They serve two purposes: vetting source posts that are meant to be PII-free (so a false positive only
//! costs one discarded post, a false negative poisons a negative example) and acting as the classifier's
//! baseline. Both want precision over recall, so every pattern is narrow: numbers must carry a checksum, a
//! distinctive shape, or a context word ("passport", "SSN", "call me") before they count.
//!
//! The `regex` crate has no look-around, so boundaries and context are checked in code after a match. When a
//! match is rejected the scan resumes one character after its start, so a rejected long candidate cannot hide
//! a valid shorter one inside it.

pub use crate::checksum::luhn_valid;
use crate::checksum::{fnr_valid, hetu_valid, nir_valid, verhoeff_valid};
use crate::labels::PiiType;
use crate::record::Span;
use crate::text::CharIndex;
use regex::{Captures, Regex};
use std::net::Ipv6Addr;

/// Month names and abbreviations, for dates of birth.
const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

/// Top-level domains accepted for bare domains with a path (`example.com/page`). A closed list keeps
/// `Node.js/React` or `ASP.NET/Core` out.
const BARE_TLDS: &str = "com|org|net|edu|gov|io|dev|app|me|co|ai|blog|info|biz|xyz|tech|site|online|page|art|design|studio|photography|photo|photos|gallery|club|social|space|live|life|world|travel|shop|store|news|codes|link|name|pro|works|team|cafe|coffee|kitchen|recipes|garden|guru|ninja|rocks|fun|land|zone|email|digital|media|agency|academy|school|science|health|fitness|yoga|dance|band|music|film|video|pics|ink|fashion|style|beauty|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|at|ch|pl|se|no|dk|fi|pt|br|mx|ar|cl|jp|kr|cn|in|za|ng|ke|ru|ua|gr|tr|cz|eu|tv|fm|ly|to|gg|sh|so|cc";

/// A city name after a postcode: capitalised words, hyphenated parts, and the few lower-case joiners of
/// multi-word names ("Frankfurt am Main", "Aix-en-Provence", "Rio de Janeiro"). Lower-case words after it
/// ("Berlin seit Mai") are not swallowed.
const CITY: &str = r"\p{Lu}\p{L}+(?:-\p{L}+){0,3}(?:\s(?:(?:am|an der|de|di|del|do|da|upon|sur|on)\s)?\p{Lu}\p{L}+(?:-\p{L}+){0,3}){0,2}";

/// What may sit between an ID keyword and the number: "PESEL number is", "BSN) is", "SSN:", "no. ".
const ID_GLUE: &str = r"(?:\s+(?:number|no\.?|nr\.?|num\.?|#))?\s*\)?\s*,?\s*(?:(?:which|that)\s+(?:is|was)|is|was|:|=|-|#)?\s*";

/// Words that, shortly before a number, say it is an order, a tracking code or a version rather than a
/// phone number or an SSN.
const NEGATIVE_CONTEXT: &str = r"(?i)\b(?:order|orders|invoice|tracking|track|isbn|issn|serial|s/n|sku|model|part|item|ref|reference|ticket|case|batch|lot|account|acct|receipt|confirmation|booking|transaction|id|version|ver|build|release|patent|doi|flight|route|bus|train|platform|gate|seat|room|isin|ean|upc|asin|customer|member|membership|policy|claim|parcel|package|shipment|code|pin|otp|voucher|coupon|barcode|population|visitors|views|downloads|price|cost|total)\b";

/// Words that, shortly before a number, say it is a phone number. Only needed for the shapes that are
/// ambiguous on their own (space-separated groups without a leading 0 or +).
const PHONE_CONTEXT: &str = r"(?i)(?:\b(?:phone|phones|tel|telephone|mobile|cell|cellphone|call|calling|text|txt|sms|whatsapp|viber|signal|fax|dial|ring|contact|reach|reachable|hotline|helpline|landline|móvil|movil|teléfono|telefono|téléphone|portable|handy|telefon|tlf|numer|numero|número|number is|number:|no\.|(?:my|your|our|his|her|their) (?:mobile |cell |phone )?number)(?:\W|$)|☎|📞|📱)";

/// Handles that are code annotations or prepositional uses of `@`, not user names.
#[rustfmt::skip]
const AT_STOPWORDS: &[&str] = &[
    "media", "import", "param", "return", "returns", "override", "keyframes", "font", "charset", "supports",
    "page", "namespace", "deprecated", "author", "since", "throws", "see", "link", "test", "component",
    "injectable", "property", "staticmethod", "classmethod", "dataclass", "app", "apply", "extend", "include",
    "mixin", "if", "else", "each", "use", "forward", "layer", "container", "tailwind", "interface", "end",
    "implementation", "synthesize", "protocol", "available", "main", "published", "state", "binding",
    "environment", "observable", "escaping", "inline", "entry", "input", "output", "get", "post", "put",
    "delete", "patch", "route", "controller", "service", "repository", "autowired", "bean", "configuration",
    "value", "query", "body", "path", "transactional", "nullable", "nonnull", "suppresswarnings", "retention",
    "target", "documented", "jvmstatic", "composable", "preview", "type", "typedef", "callback", "example",
    "description", "private", "public", "protected", "static", "module", "fileoverview", "license", "version",
    "todo", "fixme", "home", "work", "school", "the", "me", "you", "all", "everyone", "here", "there", "night",
    "noon", "midnight", "gym", "office", "channel", "here", "mention", "someone",
];

/// Words that follow "username" in prose but are not a user name ("the username field").
#[rustfmt::skip]
const USERNAME_STOPWORDS: &[&str] = &[
    "is", "was", "and", "or", "the", "a", "an", "of", "for", "to", "in", "on", "at", "with", "field", "box",
    "input", "password", "passwords", "requirements", "rules", "length", "must", "should", "can", "will",
    "you", "your", "which", "that", "this", "required", "taken", "invalid", "incorrect", "wrong", "changed",
    "case", "available", "unique", "optional", "visible", "displayed", "shown", "used", "needed", "not",
    "also", "still", "already", "just", "only", "now", "here", "there", "it", "they", "we", "i", "my",
    "his", "her", "their", "our", "are", "be", "been", "has", "have", "had", "as", "but", "so", "if",
    "when", "then", "than", "from", "by", "into", "change", "reset", "format", "policy", "hint", "label",
    "prompt", "screen", "page", "form", "same", "different", "new", "old", "first", "last",
];

/// Candidate before overlap resolution, in byte offsets.
#[derive(Debug, Clone, Copy)]
struct Cand {
    start: usize,
    end: usize,
    ty: PiiType,
    prio: u8,
}

/// Compiled rule set. Build it once ([`RuleDetector::new`]) and share it: compilation costs milliseconds,
/// detection on a blog post microseconds.
pub struct RuleDetector {
    email: Regex,
    url_scheme: Regex,
    url_www: Regex,
    url_bare: Regex,
    ipv4: Regex,
    ipv6: Regex,
    card: Regex,
    iban: Regex,
    phone_intl: Regex,
    phone_nanp: Regex,
    phone_trunk: Regex,
    phone_es: Regex,
    phone_br: Regex,
    phone_plain: Regex,
    phone_ctx: Regex,
    negative_ctx: Regex,
    version_ctx: Regex,
    ssn: Regex,
    ssn_ctx: Regex,
    nino: Regex,
    codice_fiscale: Regex,
    dni: Regex,
    personnummer: Regex,
    aadhaar: Regex,
    aadhaar_ctx: Regex,
    fnr: Regex,
    nir: Regex,
    hetu: Regex,
    sin_ctx: Regex,
    bsn_dotted: Regex,
    bsn_ctx: Regex,
    pesel_ctx: Regex,
    passport_ctx: Regex,
    cpf: Regex,
    dob: Regex,
    at_handle: Regex,
    username_ctx: Regex,
    handle_ctx: Regex,
    addr_en: Regex,
    addr_compound: Regex,
    addr_fr: Regex,
    addr_type_first: Regex,
}

impl Default for RuleDetector {
    fn default() -> Self {
        Self::new()
    }
}

/// Compiles a pattern that is a constant of this module; a failure is a programming error caught by the
/// unit tests, so panicking is the right response.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern {pattern:?}: {e}"))
}

impl RuleDetector {
    /// Compiles every pattern. Call once and reuse the detector.
    pub fn new() -> Self {
        let date = format!(
            r"(\d{{4}}[-/]\d{{1,2}}[-/]\d{{1,2}}|\d{{1,2}}[./-]\d{{1,2}}[./-](?:\d{{4}}|\d{{2}})|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{MONTH}\.?,?\s+\d{{4}}|{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
        );
        let en_street_types = r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?|Court|Ct\.?|Place|Pl\.?|Terrace|Close|Crescent|Way|Parkway|Pkwy\.?|Square|Highway|Hwy\.?|Grove|Gardens|Row|Mews)";
        let us_state_zip = r"[A-Z]{2}\s+\d{5}(?:-\d{4})?";
        let uk_postcode = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}";
        let ca_postcode = r"[A-Z]{2}\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d";
        let au_postcode = r"(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT)\s+\d{4}";
        RuleDetector {
            email: re(
                r"[\p{L}\p{N}_](?:[\p{L}\p{N}._%+'-]{0,62}[\p{L}\p{N}_])?@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}",
            ),
            url_scheme: re(r#"(?i)\bhttps?://[^\s<>"'`{}|\\^\[\]]+"#),
            url_www: re(r#"(?i)\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#:][^\s<>"'`{}|\\^\[\]]*)?"#),
            url_bare: re(&format!(
                r#"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?:{BARE_TLDS})/[^\s<>"'`{{}}|\\^\[\]]*"#
            )),
            ipv4: re(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),
            ipv6: re(r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]*"),
            card: re(concat!(
                r"\d{4}(?: \d{4}){3} \d{3}|\d{4}(?:-\d{4}){3}-\d{3}|\d{4}(?: \d{4}){3}|\d{4}(?:-\d{4}){3}",
                r"|\d{4} \d{6} \d{5}|\d{4}-\d{6}-\d{5}|\d{4} \d{6} \d{4}|\d{4}-\d{6}-\d{4}|\d{13,19}"
            )),
            iban: re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?"),
            phone_intl: re(r"\+\d{1,3}(?:[ .-]?\(0\))?(?:[ .-]?\(\d{1,4}\)|[ .-]?\d{1,5})(?:[ .-]?\d{1,8}){0,6}"),
            phone_nanp: re(r"(?:1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[.-])\d{3}[.-]\d{4}"),
            phone_trunk: re(r"\(0\d{1,4}\)[ -]?\d{2,8}(?:[ -]\d{2,8}){0,3}|0\d{1,4}(?:[ ./-]\d{2,8}){1,4}"),
            phone_es: re(r"[6789]\d{2} \d{2} \d{2} \d{2}|9\d \d{3} \d{2} \d{2}"),
            phone_br: re(r"\([1-9][1-9]\) ?9?\d{4}-\d{4}"),
            phone_plain: re(r"\d{2,5}(?:[ -]\d{2,5}){1,3}|\d{9,11}"),
            phone_ctx: re(PHONE_CONTEXT),
            negative_ctx: re(NEGATIVE_CONTEXT),
            version_ctx: re(r"(?i)\b(?:version|ver\.?|v\.?|release|build|firmware|update|patch|rev\.?|revision|chapter|section|§)\s*$"),
            ssn: re(r"\d{3}-\d{2}-\d{4}"),
            ssn_ctx: re(&format!(r"(?i)\b(?:ssn|social security)(?:{ID_GLUE})(\d{{3}} ?\d{{2}} ?\d{{4}})")),
            nino: re(r"\b(?:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]|QQ) ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
            codice_fiscale: re(r"\b[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b"),
            dni: re(r"\b(?:\d{8}|[XYZ]-?\d{7})-?[A-Z]\b"),
            personnummer: re(r"(?:19|20)?\d{6}[-+]\d{4}"),
            aadhaar: re(r"[2-9]\d{3}([ -])\d{4}[ -]\d{4}"),
            aadhaar_ctx: re(r"(?i)\b(?:aadhaar|aadhar|uidai|uid)\b"),
            fnr: re(r"\b\d{6} ?\d{5}\b"),
            nir: re(r"\b[12] ?\d{2} ?\d{2} ?\d{2} ?\d{3} ?\d{3} ?\d{2}\b"),
            hetu: re(r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b"),
            sin_ctx: re(&format!(r"(?:\bSIN|(?i:\bsocial insurance|\bnuméro d'assurance sociale))(?i:{ID_GLUE})(\d{{3}}[ -]?\d{{3}}[ -]?\d{{3}})")),
            bsn_dotted: re(r"\d{4}\.\d{2}\.\d{3}"),
            bsn_ctx: re(&format!(r"(?:\bBSN|(?i:\bburgerservicenummer|\bcitizen service number|\bsofinummer))(?i:{ID_GLUE})(\d{{4}}\.\d{{2}}\.\d{{3}}|\d{{3}}\.\d{{3}}\.\d{{3}}|\d{{9}})")),
            pesel_ctx: re(&format!(r"(?i)\bpesel(?:{ID_GLUE})(\d{{11}})")),
            passport_ctx: re(&format!(r"(?i)\bpassport(?:{ID_GLUE})(?-i:([A-Z0-9]{{6,9}}))\b")),
            cpf: re(r"\d{3}\.\d{3}\.\d{3}-\d{2}"),
            dob: re(&format!(
                r"(?i)(?:\b(?:born(?:\s+on)?|date\s+of\s+birth|birth\s*date|d\.o\.b\.?|dob|birthday(?:\s+is)?)|(?-i:(?:\(|,\s)b\.))\s*(?:is|was|:|-|–|=)?\s*(?:on\s+)?(?:the\s+)?{date}"
            )),
            at_handle: re(r"@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"),
            username_ctx: re(r#"(?i)\b(?:user[\s-]?name|gamertag|screen\s?name|login\s+(?:is|:)|login name)\s*(?:is|was|:|=|-)?\s*["'“]?(@?[\p{L}\p{N}_][\p{L}\p{N}_.\-]{1,29})"#),
            handle_ctx: re(r#"(?i)\bhandle\s*(?:is|was|:|=)\s*["'“]?(@?[\p{L}\p{N}_][\p{L}\p{N}_.\-]{1,29})"#),
            addr_en: re(&format!(
                r"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){{1,3}}{en_street_types}(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?\s*#?[A-Za-z0-9-]{{1,6}})?(?:,\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+){{0,2}},?\s+(?:{us_state_zip}|{ca_postcode}|{au_postcode}|{uk_postcode}))?"
            )),
            addr_compound: re(
                &r"\b\p{Lu}[\p{L}-]{2,40}(?:straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|straat|gracht|laan|plein|kade|singel|dijk|gatan|vägen|gränd|torget|vej|veien|gata)\s+\d{1,4}[a-zA-Z]?(?:/\d{1,3})?(?:,\s+(?:\d{4}\s?[A-Z]{2}|\d{3}\s\d{2}|\d{4,5})\s+CITY)?".replace("CITY", CITY),
            ),
            addr_fr: re(
                &r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|cours|route)\s+(?:(?:de la|de l'|des|du|de|d'|la|le|l')\s*)?\p{Lu}[\p{L}'-]+(?:\s+(?:(?:de la|des|du|de|d')\s*)?\p{Lu}[\p{L}'-]+){0,3}(?:,\s+\d{5}\s+CITY)?".replace("CITY", CITY),
            ),
            addr_type_first: re(
                &r"\b(?:Calle|Avenida|Avda\.|Av\.|Paseo|Plaza|Carrer|Via|Viale|Piazza|Corso|Rua|Travessa|Largo|Praça|Alameda)\s+(?:(?:de la|de los|de las|del|de|delle|della|degli|dei|di|do|da|dos|das)\s+)?\p{Lu}[\p{L}'-]+(?:\s+(?:(?:de|del|di|da|do|dos|das)\s+)?\p{Lu}[\p{L}'-]+){0,3},?\s+(?:n\.?º\s*)?\d{1,4}(?:,\s+\d{1,2}º\s?[A-Z0-9]{1,2})?(?:,\s+(?:\d{5}|\d{4}-\d{3}|\d{5}-\d{3})\s+CITY)?".replace("CITY", CITY),
            ),
        }
    }

    /// Finds the PII in `text`. Spans are sorted by start, never overlap (a longer or more specific match wins)
    /// and use code-point offsets; `value` is the exact slice.
    pub fn detect(&self, text: &str) -> Vec<Span> {
        let mut c: Vec<Cand> = Vec::new();
        self.find_email(text, &mut c);
        self.find_urls(text, &mut c);
        self.find_ips(text, &mut c);
        self.find_cards(text, &mut c);
        self.find_ibans(text, &mut c);
        self.find_phones(text, &mut c);
        self.find_ids(text, &mut c);
        self.find_dobs(text, &mut c);
        self.find_usernames(text, &mut c);
        self.find_addresses(text, &mut c);
        resolve(text, c)
    }

    fn find_email(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.email, text, out, PiiType::Email, 8, |caps| {
            let m = caps.get(0)?;
            let ok_before = prev_char(text, m.start()).is_none_or(|c| !(c.is_alphanumeric() || "@._%+-".contains(c)));
            let ok_after =
                next_char(text, m.end()).is_none_or(|c| !(c.is_alphanumeric() || c == '@' || c == '_' || c == '-'));
            (ok_before && ok_after).then_some((m.start(), m.end()))
        });
    }

    fn find_urls(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.url_scheme, text, out, PiiType::Url, 7, |caps| {
            let m = caps.get(0)?;
            let end = m.start() + trim_url(m.as_str());
            let s = &text[m.start()..end];
            let host = s.split("://").nth(1)?.split(['/', '?', '#', ':']).next()?;
            let tld = host.rsplit('.').next()?;
            (host.contains('.') && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
                .then_some((m.start(), end))
        });
        scan(&self.url_www, text, out, PiiType::Url, 7, |caps| {
            let m = caps.get(0)?;
            if prev_char(text, m.start()).is_some_and(|c| c == '/' || c == '.' || c == '@') {
                return None;
            }
            let end = m.start() + trim_url(m.as_str());
            let host = text[m.start()..end].split(['/', '?', '#', ':']).next()?;
            let tld = host.rsplit('.').next()?;
            (tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())).then_some((m.start(), end))
        });
        scan(&self.url_bare, text, out, PiiType::Url, 7, |caps| {
            let m = caps.get(0)?;
            if prev_char(text, m.start()).is_some_and(|c| c.is_alphanumeric() || "@./-_".contains(c)) {
                return None;
            }
            let end = m.start() + trim_url(m.as_str());
            let s = &text[m.start()..end];
            let (host, path) = s.split_once('/').unwrap_or((s, ""));
            // "2.in/3" is a fraction, not a domain: some label before the TLD must contain a letter.
            let labels: Vec<&str> = host.split('.').collect();
            let named =
                labels[..labels.len().saturating_sub(1)].iter().any(|l| l.chars().any(|c| c.is_ascii_alphabetic()));
            (named && path.chars().any(|c| c.is_alphanumeric())).then_some((m.start(), end))
        });
    }

    fn find_ips(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.ipv4, text, out, PiiType::IpAddress, 6, |caps| {
            let m = caps.get(0)?;
            let octets_ok = m
                .as_str()
                .split('.')
                .all(|o| o.parse::<u16>().is_ok_and(|v| v <= 255) && !(o.len() > 1 && o.starts_with('0')));
            if !octets_ok || !num_bounded(text, m.start(), m.end(), &[':', '/']) {
                return None;
            }
            if self.version_ctx.is_match(&text[window_start(text, m.start(), 16)..m.start()]) {
                return None;
            }
            Some((m.start(), m.end()))
        });
        scan(&self.ipv6, text, out, PiiType::IpAddress, 6, |caps| {
            let m = caps.get(0)?;
            let mut s = m.as_str();
            // Sentence punctuation: a single trailing ':' or '.' is not part of the address ("::" is).
            while (s.ends_with('.') || (s.ends_with(':') && !s.ends_with("::"))) && !s.is_empty() {
                s = &s[..s.len() - 1];
            }
            let end = m.start() + s.len();
            let before_ok =
                prev_char(text, m.start()).is_none_or(|c| !(c.is_alphanumeric() || c == ':' || c == '_' || c == '.'));
            let after_ok = next_char(text, end).is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
            if !before_ok || !after_ok || s.parse::<Ipv6Addr>().is_err() {
                return None;
            }
            let groups: Vec<&str> = s.split(':').filter(|g| !g.is_empty()).collect();
            let longest = groups.iter().map(|g| g.len()).max().unwrap_or(0);
            (groups.len() >= 3 || (!groups.is_empty() && longest >= 3)).then_some((m.start(), end))
        });
    }

    fn find_cards(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.card, text, out, PiiType::CreditCard, 9, |caps| {
            let m = caps.get(0)?;
            let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
            (num_bounded(text, m.start(), m.end(), &[]) && card_prefix_ok(&digits) && luhn_valid(&digits))
                .then_some((m.start(), m.end()))
        });
    }

    fn find_ibans(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.iban, text, out, PiiType::Iban, 9, |caps| {
            let m = caps.get(0)?;
            let s = m.as_str();
            let expected = iban_length(s.get(..2)?)?;
            // Stop where the compact length is reached: a following all-caps word must not be swallowed.
            let mut count = 0;
            let mut end = None;
            for (i, ch) in s.char_indices() {
                if ch != ' ' {
                    count += 1;
                }
                if count == expected {
                    end = Some(i + ch.len_utf8());
                    break;
                }
            }
            let end = m.start() + end?;
            let after_ok = next_char(text, end).is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let before_ok = prev_char(text, m.start()).is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            (after_ok && before_ok && iban_valid(&text[m.start()..end])).then_some((m.start(), end))
        });
    }

    fn find_phones(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.phone_intl, text, out, PiiType::Phone, 5, |caps| {
            let m = caps.get(0)?;
            if prev_char(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '+' || c == '_') {
                return None;
            }
            let end = shrink_groups(text, m.start(), m.end(), |s| {
                let without_trunk = s.replace("(0)", "");
                let digits = without_trunk.chars().filter(char::is_ascii_digit).count();
                let groups = digit_groups(&without_trunk);
                (8..=15).contains(&digits)
                    && (groups.len() == 1 || groups.iter().skip(2).all(|g| g.len() >= 2))
                    && trailing_groups_ok(&groups)
            })?;
            num_bounded(text, m.start(), end, &[]).then_some((m.start(), end))
        });
        scan(&self.phone_nanp, text, out, PiiType::Phone, 5, |caps| {
            let m = caps.get(0)?;
            let d: Vec<u8> = m.as_str().bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
            let d = if d.len() == 11 { &d[1..] } else { &d[..] };
            let nanp_ok = d.len() == 10 && d[0] >= 2;
            (nanp_ok && num_bounded(text, m.start(), m.end(), &[]) && !self.negative_before(text, m.start()))
                .then_some((m.start(), m.end()))
        });
        scan(&self.phone_trunk, text, out, PiiType::Phone, 5, |caps| {
            let m = caps.get(0)?;
            if prev_token_is_number(text, m.start()) || self.negative_before(text, m.start()) {
                return None;
            }
            let end = shrink_groups(text, m.start(), m.end(), trunk_shape_ok)?;
            num_bounded(text, m.start(), end, &[]).then_some((m.start(), end))
        });
        for re in [&self.phone_es, &self.phone_br] {
            scan(re, text, out, PiiType::Phone, 5, |caps| {
                let m = caps.get(0)?;
                (num_bounded(text, m.start(), m.end(), &[])
                    && !prev_token_is_number(text, m.start())
                    && !self.negative_before(text, m.start()))
                .then_some((m.start(), m.end()))
            });
        }
        scan(&self.phone_plain, text, out, PiiType::Phone, 5, |caps| {
            let m = caps.get(0)?;
            let groups = digit_groups(m.as_str());
            if !plain_shape_ok(&groups)
                || !num_bounded(text, m.start(), m.end(), &[])
                || prev_token_is_number(text, m.start())
            {
                return None;
            }
            self.phone_context_before(text, m.start()).then_some((m.start(), m.end()))
        });
    }

    /// True when a negative keyword ("order", "ISBN", "version") sits shortly before `start` with no phone
    /// keyword after it.
    fn negative_before(&self, text: &str, start: usize) -> bool {
        let w = &text[window_start(text, start, 28)..start];
        let neg = self.negative_ctx.find_iter(w).last().map(|m| m.start());
        let pos = self.phone_ctx.find_iter(w).last().map(|m| m.start());
        match (neg, pos) {
            (Some(n), Some(p)) => n > p,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// True when a phone keyword sits within 60 characters before `start` and is not overridden by a later
    /// negative keyword.
    fn phone_context_before(&self, text: &str, start: usize) -> bool {
        // 60 characters: "reach me at someone@example.com or on 0612…" puts an address between word and number.
        let w = &text[window_start(text, start, 60)..start];
        let neg = self.negative_ctx.find_iter(w).last().map(|m| m.start());
        let pos = self.phone_ctx.find_iter(w).last().map(|m| m.start());
        match (pos, neg) {
            (Some(p), Some(n)) => p > n,
            (Some(_), None) => true,
            _ => false,
        }
    }

    fn find_ids(&self, text: &str, out: &mut Vec<Cand>) {
        let ty = PiiType::IdNumber;
        scan(&self.ssn, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            (num_bounded(text, m.start(), m.end(), &[])
                && ssn_valid(m.as_str())
                && !self.negative_before(text, m.start()))
            .then_some((m.start(), m.end()))
        });
        scan(&self.ssn_ctx, text, out, ty, 7, |caps| {
            let g = caps.get(1)?;
            (num_bounded(text, g.start(), g.end(), &[]) && ssn_valid(g.as_str())).then_some((g.start(), g.end()))
        });
        scan(&self.nino, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            nino_valid(m.as_str()).then_some((m.start(), m.end()))
        });
        scan(&self.codice_fiscale, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            codice_fiscale_valid(m.as_str()).then_some((m.start(), m.end()))
        });
        scan(&self.dni, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            (dni_valid(m.as_str()) && num_bounded(text, m.start(), m.end(), &[])).then_some((m.start(), m.end()))
        });
        scan(&self.personnummer, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            (num_bounded(text, m.start(), m.end(), &[]) && personnummer_valid(m.as_str()))
                .then_some((m.start(), m.end()))
        });
        scan(&self.aadhaar, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            let s = m.as_str();
            let consistent =
                s.chars().filter(|c| *c == ' ').count() == 2 || s.chars().filter(|c| *c == '-').count() == 2;
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            let isolated = !prev_token_is_number(text, m.start()) && !next_token_is_number(text, m.end());
            // "Aadhaar" shortly before vouches for the number even where its Verhoeff digit fails (a typo, a
            // specimen); without the word, only a valid check digit tells it from other 4-4-4 numbers.
            let named = self.aadhaar_ctx.is_match(&text[window_start(text, m.start(), 40)..m.start()]);
            (consistent && isolated && num_bounded(text, m.start(), m.end(), &[]) && (named || verhoeff_valid(&digits)))
                .then_some((m.start(), m.end()))
        });
        // Norwegian fødselsnummer, French NIR and Finnish HETU: a birth date and strong check digits (two mod-11
        // digits, a mod-97 key, a mod-31 character), so no context word is needed.
        let checked: [(&Regex, fn(&str) -> bool); 2] = [(&self.fnr, fnr_valid), (&self.nir, nir_valid)];
        for (re, valid) in checked {
            scan(re, text, out, ty, 7, |caps| {
                let m = caps.get(0)?;
                (num_bounded(text, m.start(), m.end(), &[]) && valid(m.as_str())).then_some((m.start(), m.end()))
            });
        }
        scan(&self.hetu, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            hetu_valid(m.as_str()).then_some((m.start(), m.end()))
        });
        scan(&self.sin_ctx, text, out, ty, 7, |caps| {
            let g = caps.get(1)?;
            // 8 is never issued; 0 only in the published specimen 046 454 286, which people do copy.
            let first = g.as_str().chars().next()?;
            (num_bounded(text, g.start(), g.end(), &[]) && first != '8' && luhn_valid(g.as_str()))
                .then_some((g.start(), g.end()))
        });
        for re in [&self.bsn_dotted, &self.bsn_ctx] {
            scan(re, text, out, ty, 7, |caps| {
                let g = caps.get(1).or_else(|| caps.get(0))?;
                (num_bounded(text, g.start(), g.end(), &[]) && bsn_valid(g.as_str())).then_some((g.start(), g.end()))
            });
        }
        scan(&self.pesel_ctx, text, out, ty, 7, |caps| {
            let g = caps.get(1)?;
            (num_bounded(text, g.start(), g.end(), &[]) && pesel_valid(g.as_str())).then_some((g.start(), g.end()))
        });
        scan(&self.passport_ctx, text, out, ty, 7, |caps| {
            let g = caps.get(1)?;
            (g.as_str().chars().filter(char::is_ascii_digit).count() >= 3).then_some((g.start(), g.end()))
        });
        scan(&self.cpf, text, out, ty, 7, |caps| {
            let m = caps.get(0)?;
            (num_bounded(text, m.start(), m.end(), &[]) && cpf_valid(m.as_str())).then_some((m.start(), m.end()))
        });
    }

    fn find_dobs(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.dob, text, out, PiiType::DateOfBirth, 6, |caps| {
            let g = caps.get(1)?;
            (date_plausible(g.as_str()) && num_bounded(text, g.start(), g.end(), &[])).then_some((g.start(), g.end()))
        });
    }

    fn find_usernames(&self, text: &str, out: &mut Vec<Cand>) {
        scan(&self.at_handle, text, out, PiiType::Username, 3, |caps| {
            let m = caps.get(0)?;
            let handle = &m.as_str()[1..];
            let before_ok = prev_char(text, m.start()).is_none_or(|c| !(c.is_alphanumeric() || "_./@-+:".contains(c)));
            let after_ok =
                next_char(text, m.end()).is_none_or(|c| !(c.is_alphanumeric() || c == '@' || c == '(' || c == '-'));
            let starts_ok = handle.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            let stop = AT_STOPWORDS.iter().any(|w| w.eq_ignore_ascii_case(handle));
            let domain_like =
                handle.contains('.') && handle.rsplit('.').next().is_some_and(|t| BARE_TLDS.split('|').any(|x| x == t));
            (before_ok && after_ok && starts_ok && !stop && !domain_like).then_some((m.start(), m.end()))
        });
        for re in [&self.username_ctx, &self.handle_ctx] {
            scan(re, text, out, PiiType::Username, 3, |caps| {
                let g = caps.get(1)?;
                let v = g.as_str().trim_end_matches(['.', '-']);
                let bare = v.trim_start_matches('@');
                let stop = USERNAME_STOPWORDS.iter().any(|w| w.eq_ignore_ascii_case(bare));
                (!stop && bare.chars().count() >= 2).then_some((g.start(), g.start() + v.len()))
            });
        }
    }

    fn find_addresses(&self, text: &str, out: &mut Vec<Cand>) {
        for re in [&self.addr_en, &self.addr_compound, &self.addr_fr, &self.addr_type_first] {
            scan(re, text, out, PiiType::Address, 4, |caps| {
                let m = caps.get(0)?;
                let s = m.as_str();
                let after_ok = next_char(text, m.end()).is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                let before_ok = prev_char(text, m.start())
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'));
                (after_ok && before_ok && !year_not_house(text, m.start(), s) && !english_word_street(s))
                    .then_some((m.start(), m.end()))
            });
        }
    }
}

/// "In 1969 Abbey Road came out": a year after a temporal word is not a house number.
fn year_not_house(text: &str, start: usize, s: &str) -> bool {
    let num: String = s.chars().take_while(char::is_ascii_digit).collect();
    let year_like = num.len() == 4 && num.parse::<u32>().is_ok_and(|y| (1800..=2039).contains(&y));
    let prev_word = text[..start].split_whitespace().next_back().unwrap_or("").to_lowercase();
    let temporal = ["in", "since", "by", "of", "from", "until", "till", "circa", "around", "year", "before", "after"];
    year_like && temporal.contains(&prev_word.as_str())
}

/// "Via Zoom 2 people joined": street words that are also English ("Via", "Plaza", "Largo", "Corso") need
/// an Italian-style comma before the number or a name of at least two words.
fn english_word_street(s: &str) -> bool {
    let Some(rest) = ["Via ", "Plaza ", "Largo ", "Corso "].iter().find_map(|w| s.strip_prefix(w)) else {
        return false;
    };
    let name_words = rest.split_whitespace().take_while(|w| w.starts_with(char::is_uppercase)).count();
    !s.contains(',') && name_words < 2
}

/// Runs `re` over `text`; `accept` turns a match into a byte range or rejects it. After a rejection the scan
/// resumes one character after the match start, so a valid candidate inside a rejected one is still found.
fn scan<F>(re: &Regex, text: &str, out: &mut Vec<Cand>, ty: PiiType, prio: u8, mut accept: F)
where
    F: FnMut(&Captures) -> Option<(usize, usize)>,
{
    let mut pos = 0;
    while pos <= text.len() {
        let Some(caps) = re.captures_at(text, pos) else { break };
        let Some(m) = caps.get(0) else { break };
        let next_after_start = m.start() + next_char(text, m.start()).map_or(1, char::len_utf8);
        match accept(&caps) {
            Some((s, e)) if s < e => {
                out.push(Cand { start: s, end: e, ty, prio });
                pos = e.max(next_after_start);
            }
            _ => pos = next_after_start,
        }
    }
}

/// Overlap resolution: higher priority first (checksummed and syntactically unambiguous types outrank
/// context guesses), then the longer match; the survivors are returned sorted by start.
fn resolve(text: &str, mut cands: Vec<Cand>) -> Vec<Span> {
    cands.sort_by(|a, b| {
        b.prio.cmp(&a.prio).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Cand> = Vec::new();
    for c in cands {
        if kept.iter().all(|k| c.end <= k.start || c.start >= k.end) {
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| c.start);
    let idx = CharIndex::new(text);
    kept.into_iter()
        .map(|c| Span {
            start: idx.char_of(c.start),
            end: idx.char_of(c.end),
            ty: c.ty,
            value: text[c.start..c.end].to_string(),
        })
        .collect()
}

fn prev_char(text: &str, byte: usize) -> Option<char> {
    text[..byte].chars().next_back()
}

fn next_char(text: &str, byte: usize) -> Option<char> {
    text[byte..].chars().next()
}

/// Byte offset at most `chars` characters before `byte`.
fn window_start(text: &str, byte: usize, chars: usize) -> usize {
    text[..byte].char_indices().rev().take(chars).last().map_or(byte, |(i, _)| i)
}

/// Boundary test for numeric values: no letter, digit or currency/hash sign directly around the match, and
/// no joiner (`.,-/:`) that continues into another digit (`978-0-14...`, `1.2.3.4.5`, `10:30`).
/// `allowed_after` lists joiners that may follow even before a digit (an IPv4 port or prefix length).
fn num_bounded(text: &str, start: usize, end: usize, allowed_after: &[char]) -> bool {
    // A joiner continues a number after a digit ("978-0-14"), and a word after '.' or '-' ("v.1", "XT-555");
    // after a word, ':' ',' '/' are just punctuation ("Tel:020 ...").
    let joins = |joiner: char, before_joiner: Option<char>| match before_joiner {
        Some(d) if d.is_ascii_digit() => true,
        Some(d) if d.is_alphanumeric() => joiner == '.' || joiner == '-',
        _ => false,
    };
    let mut before = text[..start].chars().rev();
    match before.next() {
        Some(c) if c.is_alphanumeric() || "_#$€£¥@+&%".contains(c) => return false,
        Some(c) if ".,-/:".contains(c) && joins(c, before.next()) => return false,
        _ => {}
    }
    let mut after = text[end..].chars();
    match after.next() {
        Some(c) if c.is_alphanumeric() || "_%°€$£¥".contains(c) => false,
        Some(c) if ".,-/:".contains(c) && !allowed_after.contains(&c) => {
            !after.next().is_some_and(|d| d.is_ascii_digit())
        }
        _ => true,
    }
}

/// True when the token before `start` (skipping one space) ends in a digit: "1Z 999 AA1 01 2345" must not
/// yield a phone number from its tail.
fn prev_token_is_number(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    before.next() == Some(' ') && before.next().is_some_and(|c| c.is_ascii_digit())
}

/// True when a space or dash and then a digit follow `end`: a 4-4-4 group inside a longer run is not an
/// Aadhaar number.
fn next_token_is_number(text: &str, end: usize) -> bool {
    let mut after = text[end..].chars();
    matches!(after.next(), Some(' ' | '-')) && after.next().is_some_and(|c| c.is_ascii_digit())
}

/// Runs of digits in `s`, in order.
fn digit_groups(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect()
}

/// A trailing 2-digit group is only plausible after a group of at most 3 digits ("070-123 45 67") and never
/// after a 4-digit one ("020 7946 0958 24" is a number followed by "24 hours").
fn trailing_groups_ok(groups: &[&str]) -> bool {
    match groups {
        [.., prev, last] if last.len() <= 2 => prev.len() <= 3,
        _ => true,
    }
}

/// Tries the match and then shorter prefixes ending at a digit group, returning the longest accepted end.
fn shrink_groups<F: Fn(&str) -> bool>(text: &str, start: usize, end: usize, ok: F) -> Option<usize> {
    let mut e = end;
    loop {
        let s = &text[start..e];
        if ok(s) {
            return Some(e);
        }
        // Drop the last digit group and the separator before it.
        let trimmed = s.trim_end_matches(|c: char| c.is_ascii_digit());
        let trimmed = trimmed.trim_end_matches([' ', '-', '.', '/']);
        if trimmed.len() == s.len()
            || trimmed.is_empty()
            || !trimmed.ends_with(|c: char| c.is_ascii_digit() || c == ')')
        {
            return None;
        }
        e = start + trimmed.len();
    }
}

/// Shape test for national numbers with a leading trunk 0.
fn trunk_shape_ok(s: &str) -> bool {
    let groups = digit_groups(s);
    let digits: usize = groups.iter().map(|g| g.len()).sum();
    if !(9..=12).contains(&digits) || !(2..=5).contains(&groups.len()) || !(2..=5).contains(&groups[0].len()) {
        return false;
    }
    if s.bytes().filter(u8::is_ascii_digit).all(|b| b == b'0' || b == b'1') {
        return false;
    }
    let dots = s.matches('.').count();
    let slashes = s.matches('/').count();
    let fr_dots = dots == 4 && groups.len() == 5 && groups.iter().all(|g| g.len() == 2);
    let de_slash = slashes == 1 && groups.len() == 2 && s.find('/') == Some(groups[0].len());
    if (dots > 0 && !fr_dots) || (slashes > 0 && !de_slash) {
        return false;
    }
    trailing_groups_ok(&groups)
}

/// Shape test for space-separated or compact numbers with neither 0 nor + in front; only used with a phone
/// keyword before them. Accepts US 3-3-4 (NANP), IT 3-3-4 mobiles, PL/ES/PT 3-3-3, IN 5-5, MX 2-4-4 and
/// compact 9-11 digit numbers (with a trunk 0 or a leading 1 too: "0612345678", "13812345678").
fn plain_shape_ok(groups: &[&str]) -> bool {
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let first = groups.first().and_then(|g| g.bytes().next()).map_or(0, |b| b - b'0');
    let joined: String = groups.concat();
    let nanp = || {
        let d = joined.as_bytes();
        d.len() == 10 && d[0] >= b'2' && d[3] >= b'2'
    };
    match lens.as_slice() {
        [3, 3, 4] => nanp() || first == 3,
        [3, 3, 3] => first >= 4,
        [5, 5] => first >= 6,
        [2, 4, 4] => first >= 2,
        [10] => nanp() || first >= 6 || first <= 1,
        [11] => first <= 1,
        [9] => first >= 6,
        _ => false,
    }
}

/// Length of the end of `s` that belongs to a URL: trailing sentence punctuation is dropped, a closing
/// bracket only when unbalanced.
fn trim_url(s: &str) -> usize {
    let mut t = s;
    loop {
        let Some(last) = t.chars().next_back() else { return 0 };
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '»' | '”' | '’' | '*' => true,
            ')' => t.matches('(').count() < t.matches(')').count(),
            _ => false,
        };
        if !drop {
            return t.len();
        }
        t = &t[..t.len() - last.len_utf8()];
    }
}

/// Issuer prefix and length check: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay.
fn card_prefix_ok(d: &str) -> bool {
    let n = d.len();
    let p = |k: usize| d.get(..k).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    (d.starts_with('4') && matches!(n, 13 | 16 | 19))
        || (((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && n == 16)
        || ((p(2) == 34 || p(2) == 37) && n == 15)
        || ((p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3))) && (16..=19).contains(&n))
        || ((3528..=3589).contains(&p(4)) && (16..=19).contains(&n))
        || ((p(2) == 36 || p(2) == 38 || (300..=305).contains(&p(3))) && (14..=19).contains(&n))
        || (p(2) == 62 && (16..=19).contains(&n))
}

/// IBAN length by country (ISO 13616 registry).
fn iban_length(country: &str) -> Option<usize> {
    #[rustfmt::skip]
    const TABLE: &[(&str, usize)] = &[
        ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
        ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24),
        ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18),
        ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27),
        ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27),
        ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20),
        ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20), ("MR", 27),
        ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24), ("PL", 28),
        ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24), ("SC", 31),
        ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25), ("SV", 28),
        ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
    ];
    TABLE.iter().find(|(c, _)| *c == country).map(|(_, n)| *n)
}

/// ISO 13616 check: known country, the registry length for it, two check digits, and the mod-97
/// remainder 1. Spaces are ignored and letters may be lower case.
pub fn iban_valid(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| *c != ' ').map(|c| c.to_ascii_uppercase()).collect();
    if !compact.chars().all(|c| c.is_ascii_alphanumeric()) || compact.len() < 5 {
        return false;
    }
    let (head, rest) = compact.split_at(4);
    let Some(len) = iban_length(&head[..2]) else { return false };
    if compact.len() != len || !head[2..].chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let mut rem: u32 = 0;
    for c in rest.chars().chain(head.chars()) {
        let Some(v) = c.to_digit(36) else { return false };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// US SSN: area not 000, 666 or 900-999, group not 00, serial not 0000.
fn ssn_valid(s: &str) -> bool {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    if d.len() != 9 {
        return false;
    }
    let area: u32 = d[..3].parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && &d[3..5] != "00" && &d[5..] != "0000"
}

/// UK National Insurance number: consistent spacing and an allocated prefix.
fn nino_valid(s: &str) -> bool {
    let spaces = s.matches(' ').count();
    let compact: String = s.chars().filter(|c| *c != ' ').collect();
    let prefix = &compact[..2];
    (spaces == 0 || spaces == 4) && !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&prefix)
}

/// Italian codice fiscale check character (odd/even position tables) and day-of-month field.
fn codice_fiscale_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 16 {
        return false;
    }
    let day: u32 = s[9..11].parse().unwrap_or(0);
    if !((1..=31).contains(&day) || (41..=71).contains(&day)) {
        return false;
    }
    codice_fiscale_check(&s[..15]) == Some(b[15] as char)
}

/// Check character of the first 15 characters of a codice fiscale.
fn codice_fiscale_check(first15: &str) -> Option<char> {
    const ODD: [u32; 26] =
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
    let mut sum = 0;
    for (i, c) in first15.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32,
            _ => return None,
        };
        // Positions are 1-based in the specification: index 0 is "odd".
        sum += if i % 2 == 0 { ODD[v as usize] } else { v };
    }
    char::from_u32('A' as u32 + sum % 26)
}

/// Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter) check letter.
fn dni_valid(s: &str) -> bool {
    const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let compact: String = s.chars().filter(|c| *c != '-').collect();
    let (body, letter) = compact.split_at(compact.len() - 1);
    let body = match body.chars().next() {
        Some('X') => format!("0{}", &body[1..]),
        Some('Y') => format!("1{}", &body[1..]),
        Some('Z') => format!("2{}", &body[1..]),
        _ => body.to_string(),
    };
    body.parse::<u32>().is_ok_and(|n| LETTERS[(n % 23) as usize] as char == letter.chars().next().unwrap_or(' '))
}

/// Swedish personnummer: valid YYMMDD (day + 60 for samordningsnummer) and Luhn over the last 10 digits.
fn personnummer_valid(s: &str) -> bool {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    let ten = if d.len() == 12 { &d[2..] } else { &d[..] };
    if ten.len() != 10 {
        return false;
    }
    let month: u32 = ten[2..4].parse().unwrap_or(0);
    let day: u32 = ten[4..6].parse().unwrap_or(0);
    (1..=12).contains(&month) && ((1..=31).contains(&day) || (61..=91).contains(&day)) && luhn_valid(ten)
}

/// Dutch BSN "elfproef": 9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11), not all zeros.
fn bsn_valid(s: &str) -> bool {
    let d: Vec<i32> = s.chars().filter_map(|c| c.to_digit(10)).map(|v| v as i32).collect();
    if d.len() != 9 || d.iter().all(|v| *v == 0) {
        return false;
    }
    let sum: i32 = d[..8].iter().enumerate().map(|(i, v)| (9 - i as i32) * v).sum::<i32>() - d[8];
    sum % 11 == 0
}

/// Brazilian CPF: two mod-11 check digits; repeated-digit numbers are invalid.
fn cpf_valid(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 || d.iter().all(|v| *v == d[0]) {
        return false;
    }
    [9usize, 10].iter().all(|&len| {
        let sum: u32 = d[..len].iter().enumerate().map(|(i, v)| v * (len as u32 + 1 - i as u32)).sum();
        sum * 10 % 11 % 10 == d[len]
    })
}

/// Polish PESEL: weighted checksum and a valid encoded month (century offsets 0/20/40/60/80) and day.
fn pesel_valid(s: &str) -> bool {
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 {
        return false;
    }
    let sum: u32 = d[..10].iter().zip(W).map(|(a, w)| a * w).sum();
    let month = (d[2] * 10 + d[3]) % 20;
    let day = d[4] * 10 + d[5];
    (10 - sum % 10) % 10 == d[10] && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Day, month and year parts of a date of birth are in range; numeric dates may be day- or month-first.
fn date_plausible(s: &str) -> bool {
    let parts: Vec<&str> = s.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).collect();
    let nums: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if nums.len() != parts.len() {
        return false;
    }
    let year_ok = |i: usize| match parts[i].len() {
        4 => (1900..=2030).contains(&nums[i]),
        2 => true,
        _ => false,
    };
    if s.chars().any(char::is_alphabetic) {
        // A month name: "14th of March 1987", "March 14, 1987".
        return nums.len() == 2 && (1..=31).contains(&nums[0]) && parts[1].len() == 4 && year_ok(1);
    }
    if nums.len() != 3 {
        return false;
    }
    if parts[0].len() == 4 {
        return year_ok(0) && (1..=12).contains(&nums[1]) && (1..=31).contains(&nums[2]);
    }
    let (a, b) = (nums[0], nums[1]);
    let day_month = (1..=31).contains(&a) && (1..=12).contains(&b);
    let month_day = (1..=12).contains(&a) && (1..=31).contains(&b);
    (day_month || month_day) && year_ok(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One detector for all tests: compiling the patterns is the slow part in a debug build.
    fn det() -> &'static RuleDetector {
        static DET: std::sync::OnceLock<RuleDetector> = std::sync::OnceLock::new();
        DET.get_or_init(RuleDetector::new)
    }

    /// Asserts that `text` yields exactly one span, of type `ty`, covering `value`, at code-point offsets.
    fn one(text: &str, ty: PiiType, value: &str) {
        let spans = det().detect(text);
        let byte = text.find(value).unwrap_or_else(|| panic!("{value:?} not in {text:?}"));
        let start = text[..byte].chars().count();
        let expected = Span { start, end: start + value.chars().count(), ty, value: value.to_string() };
        assert_eq!(spans, vec![expected], "in {text:?}");
    }

    #[test]
    fn finds_each_type_with_exact_offsets() {
        one("Write to jane.doe+blog@example.co.uk if you like.", PiiType::Email, "jane.doe+blog@example.co.uk");
        one(
            "My portfolio lives at https://janeks.photography/about.",
            PiiType::Url,
            "https://janeks.photography/about",
        );
        one("See www.example.org/recipes/banana-bread for more.", PiiType::Url, "www.example.org/recipes/banana-bread");
        one("Code is on github.com/kwame-mensah (mostly Rust).", PiiType::Url, "github.com/kwame-mensah");
        one("The router answered from 192.168.1.20 this morning.", PiiType::IpAddress, "192.168.1.20");
        one("Log in via 203.0.113.7:8080 when on VPN.", PiiType::IpAddress, "203.0.113.7");
        one("The server is 2001:db8:85a3::8a2e:370:7334 now.", PiiType::IpAddress, "2001:db8:85a3::8a2e:370:7334");
        one(
            "Full form 2001:0db8:0000:0000:0000:ff00:0042:8329 works too.",
            PiiType::IpAddress,
            "2001:0db8:0000:0000:0000:ff00:0042:8329",
        );
        one("Pay with 4111 1111 1111 1111 please.", PiiType::CreditCard, "4111 1111 1111 1111");
        one("Amex 3782-822463-10005 was declined.", PiiType::CreditCard, "3782-822463-10005");
        one("Card 5555555555554444 on file.", PiiType::CreditCard, "5555555555554444");
        one("Send it to DE89 3704 0044 0532 0130 00 THEN tell me.", PiiType::Iban, "DE89 3704 0044 0532 0130 00");
        one("IBAN GB82WEST12345698765432 is mine.", PiiType::Iban, "GB82WEST12345698765432");
        one("Ring me on +44 20 7946 0958 tonight.", PiiType::Phone, "+44 20 7946 0958");
        one("Call (555) 123-4567 after lunch.", PiiType::Phone, "(555) 123-4567");
        one("Or try 415-555-0132 instead.", PiiType::Phone, "415-555-0132");
        one("Mon portable: 06 12 34 56 78 le soir.", PiiType::Phone, "06 12 34 56 78");
        one("Text 07700 900123 any time.", PiiType::Phone, "07700 900123");
        one("Tel:020 7946 0958 (office)", PiiType::Phone, "020 7946 0958");
        one("Büro 030 12345678 ist besetzt.", PiiType::Phone, "030 12345678");
        one("Llámame al 612 34 56 78 mañana.", PiiType::Phone, "612 34 56 78");
        one("Zadzwoń pod numer 512 345 678 wieczorem.", PiiType::Phone, "512 345 678");
        one("WhatsApp me at (11) 91234-5678 today.", PiiType::Phone, "(11) 91234-5678");
        one("Her SSN 123-45-6789 leaked.", PiiType::IdNumber, "123-45-6789");
        one("NI number QQ 12 34 56 C on the form.", PiiType::IdNumber, "QQ 12 34 56 C");
        one("Il mio codice è RSSMRA85T10A562S, grazie.", PiiType::IdNumber, "RSSMRA85T10A562S");
        one("My passport number is 123456789, expired.", PiiType::IdNumber, "123456789");
        one("DNI 12345678Z en la ficha.", PiiType::IdNumber, "12345678Z");
        one("PESEL 44051401359 w systemie.", PiiType::IdNumber, "44051401359");
        one("Personnummer 811218-9876 i listan.", PiiType::IdNumber, "811218-9876");
        one("BSN 111222333 staat erop.", PiiType::IdNumber, "111222333");
        one("My SIN is 046 454 286 for the form.", PiiType::IdNumber, "046 454 286");
        one("Aadhaar 2345 6789 0124 was linked.", PiiType::IdNumber, "2345 6789 0124");
        one("CPF 529.982.247-25 no cadastro.", PiiType::IdNumber, "529.982.247-25");
        one("My Polish PESEL number is 44051401359.", PiiType::IdNumber, "44051401359");
        one("Her citizen service number (BSN) is 111222333.", PiiType::IdNumber, "111222333");
        one("German passport no.: C01X00T47", PiiType::IdNumber, "C01X00T47");
        one("Her SIN, which is 046 454 286, goes on the form.", PiiType::IdNumber, "046 454 286");
        one("The Aadhaar number on the letter is 2345 6789 0125, an old one.", PiiType::IdNumber, "2345 6789 0125");
        one("Mitt fødselsnummer er 15038512363, sa hun.", PiiType::IdNumber, "15038512363");
        one("Mon numéro de sécurité sociale : 2 85 07 75 123 456 55.", PiiType::IdNumber, "2 85 07 75 123 456 55");
        one("Henkilötunnus 131052-308T on lomakkeessa.", PiiType::IdNumber, "131052-308T");
        one("Text me on 1412345678 if the gate is locked.", PiiType::Phone, "1412345678");
        one("Reach me at the usual inbox, or better, on 0612345678 after six.", PiiType::Phone, "0612345678");
        one("I gave him my number, 55 1234-5678, in case.", PiiType::Phone, "55 1234-5678");
        one("Ring the office on (021)-4567890 before noon.", PiiType::Phone, "(021)-4567890");
        one("Call me on 07700900123 tomorrow.", PiiType::Phone, "07700900123");
        one("I was born on 14 March 1987 in Leeds.", PiiType::DateOfBirth, "14 March 1987");
        one("DOB: 03/14/1987, blood type O.", PiiType::DateOfBirth, "03/14/1987");
        one("Jane Smith (b. 2 Feb 1990) paints.", PiiType::DateOfBirth, "2 Feb 1990");
        one("My birthday is March 14th, 1987 and I love cake.", PiiType::DateOfBirth, "March 14th, 1987");
        one("Follow @wanderlust_kat for more photos.", PiiType::Username, "@wanderlust_kat");
        one("My username is lars.eriksen92 on the forum.", PiiType::Username, "lars.eriksen92");
        one(
            "We moved to 1600 Maple Ave, Apt 4B, Portland, OR 97205 last year.",
            PiiType::Address,
            "1600 Maple Ave, Apt 4B, Portland, OR 97205",
        );
        one("Post goes to 14 Elm Road, Leeds LS6 2AB these days.", PiiType::Address, "14 Elm Road, Leeds LS6 2AB");
        one(
            "Wir wohnen in der Hauptstraße 12, 10115 Berlin seit Mai.",
            PiiType::Address,
            "Hauptstraße 12, 10115 Berlin",
        );
        one(
            "Vivo en Calle de Alcalá 45, 3º B, 28014 Madrid desde 2019.",
            PiiType::Address,
            "Calle de Alcalá 45, 3º B, 28014 Madrid",
        );
        one(
            "Rendez-vous au 12 rue de la Paix, 75002 Paris demain.",
            PiiType::Address,
            "12 rue de la Paix, 75002 Paris",
        );
    }

    #[test]
    fn offsets_are_code_points() {
        let text = "Café ☕ and 🎉 then mail zoë@exemple.fr or call +33 6 12 34 56 78 — merci.";
        let spans = det().detect(text);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert_eq!(spans[0].ty, PiiType::Email);
        assert_eq!(spans[0].value, "zoë@exemple.fr");
        let chars: Vec<char> = text.chars().collect();
        for s in &spans {
            let slice: String = chars[s.start..s.end].iter().collect();
            assert_eq!(slice, s.value);
        }
        assert_eq!(spans[0].start, 23);
        assert_eq!(spans[1].value, "+33 6 12 34 56 78");
        assert_eq!(crate::record::validate_spans(text, &spans), Ok(()));
    }

    #[test]
    fn overlaps_resolve_to_the_more_specific_type() {
        let spans = det().detect("Email me: @ana at ana_k@proton.me or see https://www.tiktok.com/@ana.k92 now.");
        let types: Vec<PiiType> = spans.iter().map(|s| s.ty).collect();
        assert_eq!(types, vec![PiiType::Username, PiiType::Email, PiiType::Url], "{spans:?}");
        assert_eq!(spans[2].value, "https://www.tiktok.com/@ana.k92");
    }

    #[test]
    fn long_text_is_scanned_quickly() {
        let para = "On 12.03.2021 we paid $1,299.00 for 3 nights (room 204, order #48213-77). Call 020 7946 0958 or \
                    mail kim@example.com; see https://example.org/a?b=1. Version 2.4.1 ships at 10:30. ";
        let text = para.repeat(60);
        let d = det();
        let t0 = std::time::Instant::now();
        let spans = d.detect(&text);
        assert_eq!(spans.len(), 180);
        eprintln!("detect on {} bytes: {:?}", text.len(), t0.elapsed());
    }

    #[test]
    fn checksums() {
        assert!(luhn_valid("4111-1111 1111-1111"));
        assert!(!luhn_valid("4111 1111 1111 1112"));
        assert!(!luhn_valid("4111a"));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_valid("de89370400440532013000"));
        assert!(!iban_valid("GB82 WEST 1234 5698 7654 33"));
        assert!(!iban_valid("GB82 WEST 1234 5698 7654"), "wrong length for GB");
        assert!(!iban_valid("QQ82WEST12345698765432"), "unknown country");
        assert!(bsn_valid("111222333") && !bsn_valid("111222334"));
        assert!(pesel_valid("44051401359") && !pesel_valid("44051401358"));
        assert!(verhoeff_valid("234567890124") && !verhoeff_valid("234567890123"));
        assert!(codice_fiscale_valid("RSSMRA85T10A562S") && !codice_fiscale_valid("RSSMRA85T10A562T"));
        assert!(dni_valid("12345678Z") && dni_valid("X1234567L") && !dni_valid("12345678A"));
        assert!(personnummer_valid("811218-9876") && !personnummer_valid("811218-9875"));
        assert!(cpf_valid("529.982.247-25") && !cpf_valid("529.982.247-26") && !cpf_valid("111.111.111-11"));
        assert!(ssn_valid("123-45-6789") && !ssn_valid("666-12-3456") && !ssn_valid("901-12-3456"));
    }

    #[test]
    fn hard_negatives_yield_nothing() {
        let negatives = [
            "The camera now costs $1,299.00 after the discount.",
            "A coffee is €12.50 at the airport, which is absurd.",
            "Prices start at £3.99 and go up to £19.99.",
            "We met at 10:30 and left by 11:45:30.",
            "The flight took 2h 45min, then a 35-minute taxi.",
            "Doors open 19:00–23:30 on Fridays.",
            "We hiked 5.2 km and then another 12,5 km the day after.",
            "It was -3 °C in the morning and 24°C by noon.",
            "Back in 2019 we lived in Porto.",
            "I worked there from 2019-2021 and again in 2023.",
            "The war lasted from 1939 to 1945.",
            "Upgrade to version 2.4.1 before the 1.2.3.4.5 build breaks.",
            "Firmware v10.0.0.1 fixed the Wi-Fi bug.",
            "The model XT-1000 replaced the XT-900 in 2022.",
            "My order #48213-77 still has not shipped.",
            "The ISBN is 978-0-14-103614-4 for the paperback.",
            "ISBN 9780141036144 is the same book.",
            "Tracking number 1Z 999 AA1 01 2345 6784 shows it in Leeds.",
            "USPS tracking 9400 1000 0000 0000 0000 00 arrived.",
            "Add 250 g flour, 2 1/2 cups milk and 3 tbsp sugar.",
            "Bake at 180 °C for 35-40 minutes, or 350 °F.",
            "The final score was 3-1 after extra time, 2-2 at ninety.",
            "Our room number was 1204 on the 12th floor.",
            "Take train line 14 or the S-Bahn S1 to the airport.",
            "Turnout rose to 67.5% from 54% in 2018.",
            "It happened on 2023-04-05 and again on 14.03.2021.",
            "The meeting is on 03/14/2024 at 09:00.",
            "Population: 8 336 817 inhabitants in 2020.",
            "Coordinates 48.8566, 2.3522 mark the centre of Paris.",
            "Use the Node.js/Express stack or ASP.NET/Core if you must.",
            "Email addresses look like name at domain dot com.",
            "The ratio was 16:9 and the resolution 1920x1080.",
            "Chapter 3.2.1 explains the proof in detail.",
            "Part number 0012-3456-7890 fits the older model.",
            "Between 1,000,000 and 2,500,000 people watched it.",
            "He ran the marathon in 3:12:45, a personal best.",
            "In C++ you write std::vector and Foo::bar all day.",
            "The MAC address format is like 00:1A:2B:3C:4D:5E on stickers.",
            "@media screen and (max-width: 600px) hides the menu.",
            "Meet me @ 5pm at the cafe, or @home later.",
            "You can handle this, the username field is required.",
            "Login to your account, then change the username and password.",
            "I was born in 1987 and grew up near the sea.",
            "Born on a Tuesday, as the song goes.",
            "Spring 2024 was wet; Platz 3 went to the Dutch team.",
            "Our cabin is at kilometre 12 of Route 66, 5 Star Hotel next door.",
            "Invoice 0123 456 789 is overdue.",
            "Binary 0101 1100 0011 is a nibble puzzle.",
            "In 1969 Abbey Road came out, and Via Zoom 2 people joined the call.",
            "See Instr. 5 in the manual; 2.in/3 of it is done.",
            "The lottery numbers were 4 8 15 16 23 42.",
            "Gear ratios 3.55 and 4.10 suit towing.",
            "We sold 612 345 678 units in total.",
            "Order 15038512364 (one digit off a real ID) was refunded.",
            "The reference 2345 6789 0125 is on the parcel.",
            "My number one rule: never paint in 2019-2020 style.",
        ];
        assert!(negatives.len() >= 40);
        let d = det();
        for n in negatives {
            assert_eq!(d.detect(n), vec![], "false positive in {n:?}");
        }
    }
}
