//! Postal addresses in each country's own format: house number before or after the street, postcode before
//! or after the city, flat and floor notations, districts where people write them.

use super::address_data::*;
use super::{digits, pick, weighted, Country, PiiValue};
use blogbot_common::PiiType;
use rand::Rng;

/// Countries for stand-alone sampling; English-speaking ones a little more often, as in the blogs.
#[rustfmt::skip]
const COUNTRY_WEIGHTS: &[(Country, u32)] = &[
    (Country::Us, 5), (Country::Gb, 4), (Country::Ca, 2), (Country::Ie, 1), (Country::Fr, 2), (Country::De, 2),
    (Country::Es, 2), (Country::It, 2), (Country::Pt, 1), (Country::Nl, 1), (Country::Pl, 1), (Country::Se, 1),
    (Country::Jp, 1), (Country::In, 2), (Country::Br, 2), (Country::Mx, 2), (Country::Au, 2), (Country::Za, 1),
    (Country::Ng, 1),
];

/// A random address from a random country.
pub fn sample_address<R: Rng + ?Sized>(rng: &mut R) -> PiiValue {
    let country = weighted(rng, COUNTRY_WEIGHTS);
    address_for(country, rng)
}

/// An address in `country`'s own format.
pub fn address_for<R: Rng + ?Sized>(country: Country, rng: &mut R) -> PiiValue {
    let value = match country {
        Country::Us => us(rng),
        Country::Ca => canada(rng),
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
    let adj = country.adjective();
    let article = if adj.starts_with(['A', 'E', 'I', 'O']) { "an" } else { "a" };
    PiiValue::new(PiiType::Address, value, format!("{article} {adj} postal address"))
}

/// Expands a postcode pattern (see [`super::address_data`]) with `letters` as the letter alphabet.
fn postcode<R: Rng + ?Sized>(rng: &mut R, pattern: &str, letters: &str) -> String {
    let alternatives: Vec<&str> = pattern.split('|').collect();
    let chosen = pick(rng, &alternatives);
    chosen
        .chars()
        .map(|c| match c {
            '#' => char::from(b'0' + rng.random_range(0..10u8)),
            '%' => char::from(b'0' + rng.random_range(1..10u8)),
            '@' => super::letter_from(rng, letters),
            other => other,
        })
        .collect()
}

/// A house number, mostly small as real ones are.
fn house<R: Rng + ?Sized>(rng: &mut R, max: u32) -> u32 {
    if rng.random_bool(0.7) {
        rng.random_range(1..=max.min(120))
    } else {
        rng.random_range(1..=max)
    }
}

fn us<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, US_PLACES);
    let street = format!("{} {} {}", house(rng, 9999), pick(rng, US_STREETS), pick(rng, US_TYPES));
    let unit = match rng.random_range(0..10) {
        0 | 1 => format!(", Apt {}{}", rng.random_range(1..30), pick(rng, &["", "A", "B", "C", "D"])),
        2 => format!(", Suite {}", rng.random_range(100..900)),
        3 => format!(", Unit {}", rng.random_range(1..40)),
        _ => String::new(),
    };
    let zip = postcode(rng, place.post, "");
    let zip = if rng.random_bool(0.1) { format!("{zip}-{}", digits(rng, 4)) } else { zip };
    format!("{street}{unit}, {}, {} {zip}", place.city, place.region)
}

fn canada<R: Rng + ?Sized>(rng: &mut R) -> String {
    const LETTERS: &str = "ABCEGHJKLMNPRSTVWXYZ";
    let place = pick(rng, CA_PLACES);
    let code = postcode(rng, place.post, LETTERS);
    let num = house(rng, 3999);
    let street = if place.region == "QC" && rng.random_bool(0.6) {
        format!("{num} {}", pick(rng, QC_STREETS))
    } else {
        format!("{num} {} {}", pick(rng, CA_STREETS), pick(rng, CA_TYPES))
    };
    let unit = if rng.random_bool(0.25) { format!("Unit {} - ", rng.random_range(1..2000)) } else { String::new() };
    format!("{unit}{street}, {}, {} {code}", place.city, place.region)
}

fn uk<R: Rng + ?Sized>(rng: &mut R) -> String {
    const INWARD: &str = "ABDEFGHJLNPQRSTUWXYZ";
    let place = pick(rng, GB_PLACES);
    let outward = postcode(rng, place.post, INWARD);
    let inward = postcode(rng, "#@@", INWARD);
    let name = pick(rng, GB_STREETS);
    let kind = if name == "High" { "Street" } else { pick(rng, GB_TYPES) };
    let street = format!("{} {name} {kind}", house(rng, 300));
    let flat = match rng.random_range(0..10) {
        0 | 1 => format!("Flat {}, ", rng.random_range(1..25)),
        2 => format!("Flat {}{}, ", rng.random_range(1..6), pick(rng, &["A", "B", "C"])),
        _ => String::new(),
    };
    format!("{flat}{street}, {} {outward} {inward}", place.city)
}

fn ireland<R: Rng + ?Sized>(rng: &mut R) -> String {
    const ID: &str = "ACDEFHKNPRTVWXY0123456789";
    let place = pick(rng, IE_PLACES);
    let eircode = format!("{} {}", postcode(rng, place.post, ""), postcode(rng, "@@@@", ID));
    let apartment =
        if rng.random_bool(0.2) { format!("Apartment {}, ", rng.random_range(1..60)) } else { String::new() };
    format!("{apartment}{} {}, {}, {eircode}", house(rng, 200), pick(rng, IE_STREETS), place.city)
}

fn france<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, FR_PLACES);
    let cp = postcode(rng, place.post, "");
    let bis = pick(rng, &["", "", "", "", "", "", " bis", " ter"]);
    let extra = match rng.random_range(0..10) {
        0 => format!("Appartement {}, ", rng.random_range(1..60)),
        1 => format!("Bâtiment {}, ", pick(rng, &["A", "B", "C"])),
        _ => String::new(),
    };
    format!("{extra}{}{bis} {}, {cp} {}", house(rng, 220), pick(rng, FR_STREETS), place.city)
}

fn germany<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, DE_PLACES);
    let plz = postcode(rng, place.post, "");
    let suffix = pick(rng, &["", "", "", "", "", "a", "b"]);
    let street = format!("{} {}{suffix}", pick(rng, DE_STREETS), house(rng, 180));
    let extra = if rng.random_bool(0.1) {
        format!(", {}", pick(rng, &["Hinterhaus", "Seitenflügel", "3. OG", "2. OG links"]))
    } else {
        String::new()
    };
    format!("{street}{extra}, {plz} {}", place.city)
}

fn spain<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, ES_PLACES);
    let street = match place.city {
        "Madrid" => pick(rng, ES_STREETS_MADRID),
        "Barcelona" => pick(rng, ES_STREETS_BARCELONA),
        _ => pick(rng, ES_STREETS),
    };
    let street = if rng.random_bool(0.15) { street.replacen("Calle ", "C/ ", 1) } else { street.to_string() };
    let cp = postcode(rng, place.post, "");
    let num = house(rng, 250);
    let floor = match rng.random_range(0..10) {
        0..=4 => {
            format!(", {}º {}", rng.random_range(1..9), pick(rng, &["A", "B", "C", "D", "1", "2", "izq.", "dcha."]))
        }
        5 => ", bajo".to_string(),
        _ => String::new(),
    };
    format!("{street} {num}{floor}, {cp} {}", place.city)
}

fn italy<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, IT_PLACES);
    let cap = postcode(rng, place.post, "");
    let street = pick(rng, IT_STREETS);
    let num = house(rng, 200);
    match rng.random_range(0..3) {
        0 => format!("{street} {num}, {cap} {} {}", place.city, place.region),
        1 => format!("{street}, {num} - {cap} {} ({})", place.city, place.region),
        _ => format!("{street} {num}, int. {}, {cap} {}", rng.random_range(1..30), place.city),
    }
}

fn portugal<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, PT_PLACES);
    let cp = postcode(rng, place.post, "");
    let floor = match rng.random_range(0..5) {
        0 => format!(", {}.º Esq.", rng.random_range(1..8)),
        1 => format!(", {}.º Dto.", rng.random_range(1..8)),
        2 => ", R/C".to_string(),
        _ => String::new(),
    };
    format!("{}, {}{floor}, {cp} {}", pick(rng, PT_STREETS), house(rng, 300), place.city)
}

fn netherlands<R: Rng + ?Sized>(rng: &mut R) -> String {
    const LETTERS: &str = "ABCDEGHJKLMNPRTVWXZ";
    let place = pick(rng, NL_PLACES);
    let pc = postcode(rng, place.post, LETTERS);
    let suffix = pick(rng, &["", "", "", "", "A", "B", "-2", " hs", "-III"]);
    format!("{} {}{suffix}, {pc} {}", pick(rng, NL_STREETS), house(rng, 400), place.city)
}

fn poland<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, PL_PLACES);
    let pc = postcode(rng, place.post, "");
    let flat = if rng.random_bool(0.6) { format!("/{}", rng.random_range(1..90)) } else { String::new() };
    format!("{} {}{flat}, {pc} {}", pick(rng, PL_STREETS), house(rng, 150), place.city)
}

fn sweden<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, SE_PLACES);
    let pc = postcode(rng, place.post, "");
    let letter = pick(rng, &["", "", "", "", "A", "B"]);
    let flat = if rng.random_bool(0.3) { format!(" lgh {}", rng.random_range(1001..1606)) } else { String::new() };
    format!("{} {}{letter}{flat}, {pc} {}", pick(rng, SE_STREETS), house(rng, 120), place.city)
}

fn japan<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, JP_PLACES);
    let (area, area_native) = pick(rng, place.areas);
    let zip = format!("{}-{}", pick(rng, place.zip3), digits(rng, 4));
    let (chome, ban, go) = (rng.random_range(1..6), rng.random_range(1..30), rng.random_range(1..25));
    let room = rng.random_range(1..9) * 100 + rng.random_range(1..10);
    if rng.random_bool(0.3) {
        let bldg = if rng.random_bool(0.4) { format!(" {room}号室") } else { String::new() };
        return format!("〒{zip} {}{}{area_native}{chome}-{ban}-{go}{bldg}", place.city_native, place.ward_native);
    }
    let bldg = if rng.random_bool(0.35) { format!("{} {room}, ", pick(rng, JP_BUILDINGS)) } else { String::new() };
    format!("{bldg}{chome}-{ban}-{go} {area}, {}, {} {zip}", place.ward, place.city)
}

fn india<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, IN_PLACES);
    let road = pick(rng, IN_ROADS);
    match rng.random_range(0..3) {
        0 => format!(
            "Flat {}{}, {}, {} {road}, {}, {}, {} {}",
            rng.random_range(1..20),
            pick(rng, &["01", "02", "03", "04", "A", "B"]),
            pick(rng, IN_BUILDINGS),
            house(rng, 400),
            place.district,
            place.city,
            place.region,
            place.post
        ),
        1 => format!("{}, {road}, {}, {} - {}", house(rng, 900), place.district, place.city, place.post),
        _ => format!(
            "House No. {}, {road}, {}, {}, {} {}",
            house(rng, 900),
            place.district,
            place.city,
            place.region,
            place.post
        ),
    }
}

fn brazil<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, BR_PLACES);
    let cep = postcode(rng, place.post, "");
    let street = pick(rng, BR_STREETS);
    let num = house(rng, 3000);
    if rng.random_bool(0.5) {
        let apto = if rng.random_bool(0.6) { format!(", Apto {}", rng.random_range(11..1800)) } else { String::new() };
        format!("{street}, {num}{apto} - {}, {} - {}, {cep}", place.district, place.city, place.region)
    } else {
        format!("{street}, {num} - {}, {}/{}, CEP {cep}", place.district, place.city, place.region)
    }
}

fn mexico<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, MX_PLACES);
    let street = pick(rng, MX_STREETS);
    let num = house(rng, 3000);
    let interior = if rng.random_bool(0.4) { format!(", Int. {}", rng.random_range(1..40)) } else { String::new() };
    if rng.random_bool(0.6) {
        format!("{street} {num}{interior}, Col. {}, {} {}, {}", place.district, place.post, place.city, place.region)
    } else {
        format!("{street} {num}{interior}, Col. {}, C.P. {}, {}", place.district, place.post, place.city)
    }
}

fn australia<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, AU_PLACES);
    let street = format!("{} {} {}", house(rng, 400), pick(rng, AU_STREETS), pick(rng, AU_TYPES));
    let unit = match rng.random_range(0..10) {
        0 | 1 => format!("Unit {}/", rng.random_range(1..30)),
        2 | 3 => format!("{}/", rng.random_range(1..30)),
        _ => String::new(),
    };
    format!("{unit}{street}, {} {} {}", place.district, place.region, place.post)
}

fn south_africa<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, ZA_PLACES);
    let unit = if rng.random_bool(0.2) {
        format!(
            "Unit {}, {}, ",
            rng.random_range(1..80),
            pick(rng, &["Sunset Villas", "The Palms", "Oak Grove", "Protea Court"])
        )
    } else {
        String::new()
    };
    format!("{unit}{} {}, {}, {}, {}", house(rng, 300), pick(rng, ZA_STREETS), place.district, place.city, place.post)
}

fn nigeria<R: Rng + ?Sized>(rng: &mut R) -> String {
    let place = pick(rng, NG_PLACES);
    let street = format!("{} {}", house(rng, 120), pick(rng, NG_STREETS));
    let state = if place.region == place.city { String::new() } else { format!(", {} State", place.region) };
    let state = if place.region == "FCT" { String::new() } else { state };
    let post = if rng.random_bool(0.4) { format!(" {}", place.post) } else { String::new() };
    format!("{street}, {}, {}{state}{post}", place.district, place.city)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn every_country_formats_and_postcodes_are_well_formed() {
        let mut rng = StdRng::seed_from_u64(11);
        for c in Country::ALL {
            for _ in 0..30 {
                let v = address_for(c, &mut rng).value;
                assert!(v.len() > 15 && !v.contains("  ") && !v.contains('#') && !v.contains('%'), "{c:?}: {v}");
            }
        }
        let uk = postcode(&mut rng, "LS%", "AB");
        assert!(uk.starts_with("LS") && uk.len() == 3);
        let nl = postcode(&mut rng, "10%# @@", "AB");
        assert!(nl.len() == 7 && nl.chars().nth(4) == Some(' '));
    }
}
