//! Street names, cities, regions and postcode patterns for [`super::addresses`].
//!
//! Postcode patterns: `#` is a digit, `%` a non-zero digit, `@` a letter from the country's postcode
//! alphabet, anything else literal; `|` separates alternatives. Each city's pattern stays inside that city's
//! real postcode range (Leeds is LS, Lyon 6900x, Portland 972xx), so addresses are internally consistent.

/// A city (or a district of one) with its region and postcode pattern.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Place {
    /// City as written locally ("München", "Montréal").
    pub city: &'static str,
    /// State, province or similar, as abbreviated in addresses ("OR", "QC", "RM"); empty where unused.
    pub region: &'static str,
    /// Postcode pattern (see the module documentation) or a fixed postcode.
    pub post: &'static str,
    /// Neighbourhood: suburb (AU, ZA), locality (IN), bairro (BR), colonia (MX), area (NG).
    pub district: &'static str,
}

const fn p(city: &'static str, region: &'static str, post: &'static str) -> Place {
    Place { city, region, post, district: "" }
}

const fn d(district: &'static str, city: &'static str, region: &'static str, post: &'static str) -> Place {
    Place { city, region, post, district }
}

pub(super) const US_PLACES: &[Place] = &[
    p("Portland", "OR", "972##"), p("Austin", "TX", "787##"), p("Denver", "CO", "802##"), p("Chicago", "IL", "606##"),
    p("Seattle", "WA", "981##"), p("Boston", "MA", "021##"), p("Atlanta", "GA", "303##"), p("Brooklyn", "NY", "112##"),
    p("Columbus", "OH", "432##"), p("Minneapolis", "MN", "554##"), p("San Diego", "CA", "921##"), p("Phoenix", "AZ", "850##"),
    p("Nashville", "TN", "372##"), p("Raleigh", "NC", "276##"), p("Madison", "WI", "537##"), p("Pittsburgh", "PA", "152##"),
    p("Sacramento", "CA", "958##"), p("Salt Lake City", "UT", "841##"), p("Kansas City", "MO", "641##"), p("Baltimore", "MD", "212##"),
    p("Richmond", "VA", "232##"), p("Albuquerque", "NM", "871##"), p("Boise", "ID", "837##"), p("Burlington", "VT", "054##"),
    p("Ann Arbor", "MI", "481##"), p("Savannah", "GA", "314##"), p("Asheville", "NC", "288##"), p("Tucson", "AZ", "857##"),
    p("Omaha", "NE", "681##"), p("Oakland", "CA", "946##"),
];
pub(super) const US_STREETS: &[&str] = &["Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lincoln", "Park", "Lake", "Hill", "Main", "Church", "Highland", "Sunset", "Jefferson", "Franklin", "Madison", "Adams", "Walnut", "Chestnut", "Willow", "Spruce", "Magnolia", "River", "Forest", "Meadow", "Ridge", "Valley", "Cherry", "Birch", "Dogwood", "Center", "Mill", "Spring", "Jackson", "Grant", "Union", "Cypress", "Laurel", "Hawthorne", "Sycamore", "Juniper"];
pub(super) const US_TYPES: &[&str] = &["Street", "St", "Avenue", "Ave", "Road", "Rd", "Drive", "Dr", "Lane", "Ln", "Boulevard", "Blvd", "Court", "Ct", "Way", "Place", "Terrace"];

pub(super) const CA_PLACES: &[Place] = &[
    p("Toronto", "ON", "M%@ #@#"), p("Ottawa", "ON", "K%@ #@#"), p("Vancouver", "BC", "V%@ #@#"), p("Victoria", "BC", "V8@ #@#"),
    p("Montréal", "QC", "H%@ #@#"), p("Québec", "QC", "G1@ #@#"), p("Calgary", "AB", "T2@ #@#"), p("Edmonton", "AB", "T5@ #@#|T6@ #@#"),
    p("Winnipeg", "MB", "R2@ #@#|R3@ #@#"), p("Halifax", "NS", "B3@ #@#"), p("Saskatoon", "SK", "S7@ #@#"), p("St. John's", "NL", "A1@ #@#"),
];
pub(super) const CA_STREETS: &[&str] = &["King", "Queen", "Yonge", "Bloor", "Dundas", "Spadina", "Robson", "Granville", "Main", "Jasper", "Portage", "Barrington", "Elgin", "Bank", "Wellington", "Victoria", "Maple", "Oak", "Cedar", "Birch", "Bathurst", "Ossington"];
pub(super) const CA_TYPES: &[&str] = &["Street", "St", "Avenue", "Ave", "Road", "Rd", "Drive", "Crescent", "Boulevard"];
pub(super) const QC_STREETS: &[&str] = &["rue Sherbrooke Ouest", "rue Saint-Denis", "rue Sainte-Catherine Est", "boulevard Saint-Laurent", "avenue du Mont-Royal Est", "rue de la Gauchetière", "rue Saint-Jean", "avenue Laurier Ouest", "rue Rachel Est"];

pub(super) const GB_PLACES: &[Place] = &[
    p("Leeds", "", "LS%"), p("Manchester", "", "M%|M1#"), p("Bristol", "", "BS%"), p("Sheffield", "", "S%|S1#"),
    p("Liverpool", "", "L%|L1#"), p("Birmingham", "", "B%|B1#"), p("Norwich", "", "NR%"), p("Brighton", "", "BN1|BN2"),
    p("Oxford", "", "OX1|OX2|OX3|OX4"), p("Cambridge", "", "CB1|CB2|CB3|CB4|CB5"), p("Edinburgh", "", "EH%|EH1#"),
    p("Glasgow", "", "G%|G1#|G4#"), p("Cardiff", "", "CF1#|CF2#"), p("York", "", "YO1|YO2#|YO3#"), p("Nottingham", "", "NG%"),
    p("Bath", "", "BA1|BA2"), p("Exeter", "", "EX1|EX2|EX4"), p("London", "", "SW%|SE1#|N%|NW%|E%|W%|SW1#|E1#"),
];
pub(super) const GB_STREETS: &[&str] = &["Elm", "Station", "High", "Church", "Victoria", "Mill", "Park", "Kings", "Queens", "Albert", "Manor", "Grange", "Green", "School", "North", "South", "New", "London", "Springfield", "Windsor", "Orchard", "Clarence", "Alexandra", "Cavendish", "Beech", "Ash", "Chestnut", "Meadow", "Brook", "Rosebery", "Holly"];
pub(super) const GB_TYPES: &[&str] = &["Road", "Street", "Lane", "Avenue", "Close", "Crescent", "Drive", "Gardens", "Grove", "Terrace", "Way", "Place", "Mews", "Row", "Square"];

pub(super) const IE_PLACES: &[Place] = &[
    p("Dublin 2", "", "D02"), p("Dublin 4", "", "D04"), p("Dublin 6", "", "D06"), p("Dublin 8", "", "D08"), p("Cork", "", "T12|T23"),
    p("Galway", "", "H91"), p("Limerick", "", "V94"), p("Waterford", "", "X91"), p("Kilkenny", "", "R95"), p("Ennis, Co. Clare", "", "V95"),
    p("Sligo", "", "F91"), p("Wexford", "", "Y35"), p("Athlone, Co. Westmeath", "", "N37"),
];
pub(super) const IE_STREETS: &[&str] = &["Main Street", "Shop Street", "Patrick Street", "Church Road", "Strand Road", "Griffith Avenue", "Clanbrassil Street", "Castle Street", "Bridge Street", "Mary Street", "Harbour Road", "Seafield Road", "Upper Rathmines Road", "College Road"];

pub(super) const FR_PLACES: &[Place] = &[
    p("Paris", "", "7500%|7501#|75020"), p("Lyon", "", "6900%"), p("Marseille", "", "1300%|1301#"), p("Toulouse", "", "31000|31100|31200|31300|31400|31500"),
    p("Nantes", "", "44000|44100|44200|44300"), p("Bordeaux", "", "33000|33100|33200|33300|33800"), p("Lille", "", "59000|59800"),
    p("Strasbourg", "", "67000|67100|67200"), p("Montpellier", "", "34000|34070|34080|34090"), p("Rennes", "", "35000|35200|35700"),
    p("Nice", "", "06000|06100|06200|06300"), p("Grenoble", "", "38000|38100"), p("Dijon", "", "21000"), p("Angers", "", "49000|49100"),
    p("Aix-en-Provence", "", "13090|13100"),
];
pub(super) const FR_STREETS: &[&str] = &["rue de la Paix", "rue Victor Hugo", "avenue du Général Leclerc", "rue Jean Jaurès", "rue de la République", "allée des Lilas", "rue Pasteur", "boulevard Gambetta", "rue de Verdun", "rue des Écoles", "rue Émile Zola", "chemin du Moulin", "avenue de la Gare", "place Saint-Michel", "boulevard Voltaire", "impasse des Acacias", "avenue Foch", "rue du Faubourg Saint-Antoine", "quai de la Loire", "rue des Martyrs", "rue Nationale", "rue des Tanneurs"];

pub(super) const DE_PLACES: &[Place] = &[
    p("Berlin", "", "10###|12###|13###"), p("Hamburg", "", "20###|22###"), p("München", "", "80###|81###"), p("Köln", "", "50###|51###"),
    p("Frankfurt am Main", "", "60###"), p("Stuttgart", "", "70###"), p("Düsseldorf", "", "40###"), p("Leipzig", "", "04###"),
    p("Dresden", "", "01###"), p("Hannover", "", "30###"), p("Nürnberg", "", "90###"), p("Bremen", "", "28###"),
    p("Freiburg im Breisgau", "", "79###"), p("Heidelberg", "", "691##"), p("Münster", "", "481##"),
];
pub(super) const DE_STREETS: &[&str] = &["Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Dorfstraße", "Lindenstraße", "Bergstraße", "Kirchstraße", "Waldweg", "Goethestraße", "Schillerstraße", "Mozartstraße", "Birkenweg", "Rosenweg", "Friedrichstraße", "Kastanienallee", "Marktplatz", "Kurfürstendamm", "Schönhauser Allee", "Am Stadtpark", "Unter den Linden", "Ringstraße", "Feldweg", "Wiesenstraße", "Beethovenstraße", "Uhlandstraße", "Eichendorffweg", "Sonnenallee", "Mühlenweg", "Poststraße"];

pub(super) const ES_PLACES: &[Place] = &[
    p("Madrid", "", "2800%|2801#|2802#|2803#|2804#"), p("Barcelona", "", "0800%|0801#|0802#|0803#"), p("Valencia", "", "4600%|4601#|4602#"),
    p("Sevilla", "", "4100%|4101#"), p("Bilbao", "", "4800%|4801#"), p("Málaga", "", "2900%|2901#"), p("Zaragoza", "", "5000%|5001#"),
    p("Granada", "", "1800%|1801#"), p("Palma", "", "0700%|0701#"), p("Salamanca", "", "3700%"),
];
pub(super) const ES_STREETS_MADRID: &[&str] = &["Calle de Alcalá", "Calle Mayor", "Calle de Serrano", "Gran Vía", "Paseo del Prado", "Calle de la Princesa", "Calle de Goya", "Calle de Velázquez", "Calle de Toledo", "Calle de Bravo Murillo", "Calle de Fuencarral"];
pub(super) const ES_STREETS_BARCELONA: &[&str] = &["Carrer de Sant Joan", "Carrer de Balmes", "Carrer d'Aragó", "Carrer de Mallorca", "Carrer de Provença", "Avinguda Diagonal", "Carrer del Consell de Cent", "Carrer de Verdi"];
pub(super) const ES_STREETS: &[&str] = &["Calle Real", "Calle Nueva", "Calle San Fernando", "Avenida de la Constitución", "Calle de la Reina", "Avenida de América", "Calle Larios", "Calle Sierpes", "Calle Colón", "Avenida del Puerto", "Plaza Mayor", "Calle del Carmen"];

pub(super) const IT_PLACES: &[Place] = &[
    p("Roma", "RM", "001##"), p("Milano", "MI", "201##"), p("Torino", "TO", "101##"), p("Napoli", "NA", "801##"), p("Firenze", "FI", "501##"),
    p("Bologna", "BO", "401##"), p("Palermo", "PA", "901##"), p("Genova", "GE", "161##"), p("Verona", "VR", "371##"), p("Bari", "BA", "701##"),
    p("Padova", "PD", "351##"), p("Trieste", "TS", "341##"),
];
pub(super) const IT_STREETS: &[&str] = &["Via Roma", "Via Giuseppe Garibaldi", "Via Giuseppe Mazzini", "Corso Cavour", "Via Dante Alighieri", "Via Giuseppe Verdi", "Corso Vittorio Emanuele II", "Via Alessandro Manzoni", "Via Nazionale", "Viale dei Mille", "Piazza della Repubblica", "Via del Corso", "Via Guglielmo Marconi", "Via Giacomo Matteotti", "Via XX Settembre", "Via San Francesco", "Via Cristoforo Colombo", "Viale Europa", "Via della Libertà", "Via dei Tigli"];

pub(super) const PT_PLACES: &[Place] = &[
    p("Lisboa", "", "1%##-###"), p("Porto", "", "40##-###|41##-###|42##-###"), p("Coimbra", "", "30##-###"), p("Braga", "", "47##-###"),
    p("Faro", "", "80##-###"), p("Aveiro", "", "38##-###"),
];
pub(super) const PT_STREETS: &[&str] = &["Rua Augusta", "Rua da Prata", "Rua do Ouro", "Rua de Santa Catarina", "Rua das Flores", "Rua Garrett", "Rua do Carmo", "Rua de Cedofeita", "Rua Alexandre Herculano", "Rua Miguel Bombarda", "Avenida da Liberdade", "Avenida da Boavista", "Avenida de Roma", "Rua Ferreira Borges", "Travessa do Carvalho", "Largo do Rato"];

pub(super) const NL_PLACES: &[Place] = &[
    p("Amsterdam", "", "10%# @@"), p("Rotterdam", "", "30%# @@"), p("Utrecht", "", "35%# @@"), p("Den Haag", "", "25%# @@"),
    p("Eindhoven", "", "56%# @@"), p("Groningen", "", "97%# @@"), p("Leiden", "", "23%# @@"), p("Haarlem", "", "20%# @@"),
    p("Nijmegen", "", "65%# @@"), p("Maastricht", "", "62%# @@"),
];
pub(super) const NL_STREETS: &[&str] = &["Keizersgracht", "Prinsengracht", "Herengracht", "Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg", "Hoofdstraat", "Julianalaan", "Wilhelminastraat", "Oranjestraat", "Nieuwstraat", "Schoolstraat", "Beatrixlaan", "Marktplein", "Oudegracht", "Coolsingel", "Witte de Withstraat", "Lange Voorhout", "Vondelstraat", "Nassaulaan"];

pub(super) const PL_PLACES: &[Place] = &[
    p("Warszawa", "", "00-###|01-###|02-###|03-###|04-###"), p("Kraków", "", "30-###|31-###"), p("Gdańsk", "", "80-###"),
    p("Wrocław", "", "50-###|51-###|53-###"), p("Poznań", "", "60-###|61-###"), p("Łódź", "", "90-###|91-###|93-###"),
    p("Lublin", "", "20-###"), p("Katowice", "", "40-###"), p("Szczecin", "", "70-###|71-###"), p("Toruń", "", "87-100"),
];
pub(super) const PL_STREETS: &[&str] = &["ul. Marszałkowska", "ul. Długa", "ul. Piotrkowska", "ul. Floriańska", "ul. Adama Mickiewicza", "ul. Juliusza Słowackiego", "ul. Tadeusza Kościuszki", "ul. Polna", "ul. Lipowa", "ul. Ogrodowa", "ul. Kwiatowa", "ul. Leśna", "ul. Szkolna", "ul. Henryka Sienkiewicza", "al. Jana Pawła II", "al. Jerozolimskie", "pl. Grunwaldzki", "ul. Świętojańska", "ul. Grunwaldzka"];

pub(super) const SE_PLACES: &[Place] = &[
    p("Stockholm", "", "11# ##|12# ##"), p("Göteborg", "", "41# ##"), p("Malmö", "", "21# ##"), p("Uppsala", "", "75# ##"),
    p("Lund", "", "22# ##"), p("Västerås", "", "72# ##"), p("Örebro", "", "70# ##"), p("Linköping", "", "58# ##"), p("Umeå", "", "90# ##"),
];
pub(super) const SE_STREETS: &[&str] = &["Drottninggatan", "Storgatan", "Kungsgatan", "Vasagatan", "Götgatan", "Hornsgatan", "Sveavägen", "Linnégatan", "Skolgatan", "Kyrkogatan", "Ringvägen", "Björkvägen", "Södra Förstadsgatan", "Järnvägsgatan", "Nygatan", "Parkvägen", "Tegnérgatan", "Odengatan"];

/// A Japanese ward with romanised and native names and its neighbourhoods.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct JpPlace {
    /// Romanised city ("Tokyo").
    pub city: &'static str,
    /// Romanised ward ("Shibuya-ku").
    pub ward: &'static str,
    /// Prefecture and city in kanji, as written before the ward ("大阪府大阪市").
    pub city_native: &'static str,
    /// Ward in kanji ("渋谷区").
    pub ward_native: &'static str,
    /// First three postcode digits used in the ward.
    pub zip3: &'static [&'static str],
    /// Neighbourhoods, romanised and in kanji.
    pub areas: &'static [(&'static str, &'static str)],
}

pub(super) const JP_PLACES: &[JpPlace] = &[
    JpPlace { city: "Tokyo", ward: "Shibuya-ku", city_native: "東京都", ward_native: "渋谷区", zip3: &["150", "151"], areas: &[("Shibuya", "渋谷"), ("Jingumae", "神宮前"), ("Ebisu", "恵比寿"), ("Sendagaya", "千駄ヶ谷")] },
    JpPlace { city: "Tokyo", ward: "Shinjuku-ku", city_native: "東京都", ward_native: "新宿区", zip3: &["160", "169"], areas: &[("Nishi-Shinjuku", "西新宿"), ("Takadanobaba", "高田馬場"), ("Kagurazaka", "神楽坂")] },
    JpPlace { city: "Tokyo", ward: "Setagaya-ku", city_native: "東京都", ward_native: "世田谷区", zip3: &["154", "155", "156"], areas: &[("Sangenjaya", "三軒茶屋"), ("Kitazawa", "北沢"), ("Kyodo", "経堂")] },
    JpPlace { city: "Tokyo", ward: "Meguro-ku", city_native: "東京都", ward_native: "目黒区", zip3: &["152", "153"], areas: &[("Nakameguro", "中目黒"), ("Jiyugaoka", "自由が丘")] },
    JpPlace { city: "Tokyo", ward: "Minato-ku", city_native: "東京都", ward_native: "港区", zip3: &["106", "107"], areas: &[("Roppongi", "六本木"), ("Azabujuban", "麻布十番"), ("Akasaka", "赤坂")] },
    JpPlace { city: "Osaka", ward: "Kita-ku", city_native: "大阪府大阪市", ward_native: "北区", zip3: &["530"], areas: &[("Umeda", "梅田"), ("Tenjinbashi", "天神橋")] },
    JpPlace { city: "Osaka", ward: "Chuo-ku", city_native: "大阪府大阪市", ward_native: "中央区", zip3: &["541", "542"], areas: &[("Shinsaibashisuji", "心斎橋筋"), ("Namba", "難波")] },
    JpPlace { city: "Kyoto", ward: "Sakyo-ku", city_native: "京都府京都市", ward_native: "左京区", zip3: &["606"], areas: &[("Kitashirakawa", "北白川"), ("Tanaka", "田中")] },
    JpPlace { city: "Yokohama", ward: "Naka-ku", city_native: "神奈川県横浜市", ward_native: "中区", zip3: &["231"], areas: &[("Yamashitacho", "山下町"), ("Motomachi", "元町")] },
    JpPlace { city: "Fukuoka", ward: "Chuo-ku", city_native: "福岡県福岡市", ward_native: "中央区", zip3: &["810"], areas: &[("Tenjin", "天神"), ("Daimyo", "大名")] },
];
pub(super) const JP_BUILDINGS: &[&str] = &["Sakura Heights", "Maison Aoyama", "Green Court", "Park Side Residence", "Villa Hikari", "Sunny Mansion", "Crest Tower"];

pub(super) const IN_PLACES: &[Place] = &[
    d("Indiranagar", "Bengaluru", "Karnataka", "560038"), d("Koramangala", "Bengaluru", "Karnataka", "560034"), d("Jayanagar", "Bengaluru", "Karnataka", "560041"),
    d("Whitefield", "Bengaluru", "Karnataka", "560066"), d("HSR Layout", "Bengaluru", "Karnataka", "560102"), d("Andheri West", "Mumbai", "Maharashtra", "400053"),
    d("Bandra West", "Mumbai", "Maharashtra", "400050"), d("Powai", "Mumbai", "Maharashtra", "400076"), d("Dadar", "Mumbai", "Maharashtra", "400014"),
    d("Lajpat Nagar", "New Delhi", "Delhi", "110024"), d("Saket", "New Delhi", "Delhi", "110017"), d("Dwarka", "New Delhi", "Delhi", "110075"),
    d("Karol Bagh", "New Delhi", "Delhi", "110005"), d("T. Nagar", "Chennai", "Tamil Nadu", "600017"), d("Adyar", "Chennai", "Tamil Nadu", "600020"),
    d("Anna Nagar", "Chennai", "Tamil Nadu", "600040"), d("Banjara Hills", "Hyderabad", "Telangana", "500034"), d("Gachibowli", "Hyderabad", "Telangana", "500032"),
    d("Kukatpally", "Hyderabad", "Telangana", "500072"), d("Kothrud", "Pune", "Maharashtra", "411038"), d("Baner", "Pune", "Maharashtra", "411045"),
    d("Viman Nagar", "Pune", "Maharashtra", "411014"), d("Salt Lake", "Kolkata", "West Bengal", "700091"), d("Ballygunge", "Kolkata", "West Bengal", "700019"),
];
pub(super) const IN_ROADS: &[&str] = &["MG Road", "Park Street", "Linking Road", "100 Feet Road", "80 Feet Road", "Station Road", "Nehru Road", "2nd Main Road", "5th Cross Road", "Hill Road", "Church Street", "Temple Road", "Gandhi Road", "12th Cross Road"];
pub(super) const IN_BUILDINGS: &[&str] = &["Sunshine Apartments", "Green Park Residency", "Lakeview Towers", "Sai Krupa Apartments", "Shanti Niketan", "Prestige Heights", "Orchid Enclave", "Silver Oak Residency", "Ganga Apartments"];

pub(super) const BR_PLACES: &[Place] = &[
    d("Jardim Paulista", "São Paulo", "SP", "01###-###"), d("Pinheiros", "São Paulo", "SP", "05###-###"), d("Vila Madalena", "São Paulo", "SP", "05###-###"),
    d("Moema", "São Paulo", "SP", "04###-###"), d("Bela Vista", "São Paulo", "SP", "01###-###"), d("Copacabana", "Rio de Janeiro", "RJ", "22###-###"),
    d("Ipanema", "Rio de Janeiro", "RJ", "22###-###"), d("Botafogo", "Rio de Janeiro", "RJ", "22###-###"), d("Tijuca", "Rio de Janeiro", "RJ", "20###-###"),
    d("Savassi", "Belo Horizonte", "MG", "30###-###"), d("Lourdes", "Belo Horizonte", "MG", "30###-###"), d("Batel", "Curitiba", "PR", "80###-###"),
    d("Água Verde", "Curitiba", "PR", "80###-###"), d("Moinhos de Vento", "Porto Alegre", "RS", "90###-###"), d("Cidade Baixa", "Porto Alegre", "RS", "90###-###"),
    d("Rio Vermelho", "Salvador", "BA", "41###-###"), d("Boa Viagem", "Recife", "PE", "51###-###"), d("Meireles", "Fortaleza", "CE", "60###-###"),
];
pub(super) const BR_STREETS: &[&str] = &["Rua das Flores", "Rua Augusta", "Avenida Paulista", "Rua Oscar Freire", "Rua Voluntários da Pátria", "Avenida Atlântica", "Rua Barata Ribeiro", "Rua da Consolação", "Avenida Brasil", "Rua XV de Novembro", "Rua Sete de Setembro", "Avenida Getúlio Vargas", "Rua Tiradentes", "Rua Dom Pedro II", "Rua das Laranjeiras", "Rua Santa Clara"];

pub(super) const MX_PLACES: &[Place] = &[
    d("Roma Norte", "Ciudad de México", "CDMX", "06700"), d("Condesa", "Ciudad de México", "CDMX", "06140"), d("Del Valle", "Ciudad de México", "CDMX", "03100"),
    d("Polanco", "Ciudad de México", "CDMX", "11560"), d("Coyoacán", "Ciudad de México", "CDMX", "04000"), d("Narvarte", "Ciudad de México", "CDMX", "03020"),
    d("Americana", "Guadalajara", "Jal.", "44160"), d("Providencia", "Guadalajara", "Jal.", "44630"), d("Chapalita", "Guadalajara", "Jal.", "45040"),
    d("Centro", "Monterrey", "N.L.", "64000"), d("Obispado", "Monterrey", "N.L.", "64060"), d("La Paz", "Puebla", "Pue.", "72160"),
    d("Centro", "Querétaro", "Qro.", "76000"), d("García Ginerés", "Mérida", "Yuc.", "97070"),
];
pub(super) const MX_STREETS: &[&str] = &["Av. Insurgentes Sur", "Calle Durango", "Av. Álvaro Obregón", "Calle Orizaba", "Av. Juárez", "Calle Morelos", "Calle Hidalgo", "Av. Chapultepec", "Calle Madero", "Paseo de la Reforma", "Calle 5 de Mayo", "Av. Vallarta", "Calle López Cotilla", "Calle Zaragoza", "Av. Revolución", "Calle Ámsterdam", "Calle Tonalá"];

pub(super) const AU_PLACES: &[Place] = &[
    d("Fitzroy", "", "VIC", "3065"), d("Carlton", "", "VIC", "3053"), d("Brunswick", "", "VIC", "3056"), d("St Kilda", "", "VIC", "3182"),
    d("Bondi", "", "NSW", "2026"), d("Newtown", "", "NSW", "2042"), d("Surry Hills", "", "NSW", "2010"), d("Manly", "", "NSW", "2095"),
    d("Paddington", "", "QLD", "4064"), d("West End", "", "QLD", "4101"), d("Fremantle", "", "WA", "6160"), d("Subiaco", "", "WA", "6008"),
    d("Glenelg", "", "SA", "5045"), d("Norwood", "", "SA", "5067"), d("Battery Point", "", "TAS", "7004"), d("Braddon", "", "ACT", "2612"),
    d("Parap", "", "NT", "0820"),
];
pub(super) const AU_STREETS: &[&str] = &["Smith", "Beach", "George", "Elizabeth", "King", "Victoria", "High", "Church", "Station", "Brunswick", "Chapel", "Oxford", "Crown", "Hope", "Wattle", "Banksia", "Acacia", "Bay"];
pub(super) const AU_TYPES: &[&str] = &["Street", "Road", "Avenue", "Parade", "Crescent", "Lane", "Place", "Terrace"];

pub(super) const ZA_PLACES: &[Place] = &[
    d("Gardens", "Cape Town", "", "8001"), d("Observatory", "Cape Town", "", "7925"), d("Sea Point", "Cape Town", "", "8005"),
    d("Woodstock", "Cape Town", "", "7925"), d("Rondebosch", "Cape Town", "", "7700"), d("Parktown", "Johannesburg", "", "2193"),
    d("Melville", "Johannesburg", "", "2092"), d("Rosebank", "Johannesburg", "", "2196"), d("Braamfontein", "Johannesburg", "", "2001"),
    d("Morningside", "Durban", "", "4001"), d("Umhlanga", "Durban", "", "4319"), d("Hatfield", "Pretoria", "", "0083"),
    d("Brooklyn", "Pretoria", "", "0181"), d("Walmer", "Gqeberha", "", "6070"), d("Westdene", "Bloemfontein", "", "9301"),
];
pub(super) const ZA_STREETS: &[&str] = &["Long Street", "Kloof Street", "Bree Street", "Loop Street", "Main Road", "Jan Smuts Avenue", "Oxford Road", "Florida Road", "Church Street", "Voortrekker Road", "Beach Road", "Victoria Road", "Jan Hofmeyr Road", "Lilian Ngoyi Street"];

pub(super) const NG_PLACES: &[Place] = &[
    d("Victoria Island", "Lagos", "Lagos", "101241"), d("Ikoyi", "Lagos", "Lagos", "101233"), d("Lekki Phase 1", "Lagos", "Lagos", "105102"),
    d("Yaba", "Lagos", "Lagos", "101212"), d("Surulere", "Lagos", "Lagos", "101283"), d("Ikeja GRA", "Ikeja", "Lagos", "100271"),
    d("Wuse II", "Abuja", "FCT", "900288"), d("Maitama", "Abuja", "FCT", "904101"), d("Garki", "Abuja", "FCT", "900103"),
    d("Bodija", "Ibadan", "Oyo", "200284"), d("GRA Phase 2", "Port Harcourt", "Rivers", "500272"), d("Independence Layout", "Enugu", "Enugu", "400102"),
    d("Nassarawa GRA", "Kano", "Kano", "700233"),
];
pub(super) const NG_STREETS: &[&str] = &["Adeola Odeku Street", "Awolowo Road", "Admiralty Way", "Herbert Macaulay Way", "Allen Avenue", "Ahmadu Bello Way", "Aminu Kano Crescent", "Adetokunbo Ademola Crescent", "Ozumba Mbadiwe Avenue", "Bode Thomas Street", "Obafemi Awolowo Way", "Isaac John Street", "Agodi Road"];
