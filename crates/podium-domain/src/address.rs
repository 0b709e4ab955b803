//! Postal addresses per country: which fields a country's post needs (a US state, a Japanese
//! prefecture, a Chinese province…), the shape of its postal code where that shape is simple, the
//! courier's phone number, Korea's personal customs clearance code (개인통관고유부호) for a Korean
//! import, and the address printed as that country's post expects it.

use crate::Country;

/// What a country calls its first-level subdivision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    State,
    Prefecture,
    Province,
    Region,
}

impl RegionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::State => "state",
            RegionKind::Prefecture => "prefecture",
            RegionKind::Province => "province",
            RegionKind::Region => "region",
        }
    }
}

/// A country's address format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressFormat {
    pub region: RegionKind,
    /// Whether the post needs the region.
    pub region_required: bool,
    /// The regions the field accepts, as (stored value, printed name); empty: free text.
    pub regions: &'static [(&'static str, &'static str)],
    /// Whether the post needs the postal code.
    pub postal_required: bool,
}

const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "Northern Mariana Islands"),
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AP", "Armed Forces Pacific"),
];

const JP_PREFECTURES: &[(&str, &str)] = &[
    ("北海道", "北海道"),
    ("青森県", "青森県"),
    ("岩手県", "岩手県"),
    ("宮城県", "宮城県"),
    ("秋田県", "秋田県"),
    ("山形県", "山形県"),
    ("福島県", "福島県"),
    ("茨城県", "茨城県"),
    ("栃木県", "栃木県"),
    ("群馬県", "群馬県"),
    ("埼玉県", "埼玉県"),
    ("千葉県", "千葉県"),
    ("東京都", "東京都"),
    ("神奈川県", "神奈川県"),
    ("新潟県", "新潟県"),
    ("富山県", "富山県"),
    ("石川県", "石川県"),
    ("福井県", "福井県"),
    ("山梨県", "山梨県"),
    ("長野県", "長野県"),
    ("岐阜県", "岐阜県"),
    ("静岡県", "静岡県"),
    ("愛知県", "愛知県"),
    ("三重県", "三重県"),
    ("滋賀県", "滋賀県"),
    ("京都府", "京都府"),
    ("大阪府", "大阪府"),
    ("兵庫県", "兵庫県"),
    ("奈良県", "奈良県"),
    ("和歌山県", "和歌山県"),
    ("鳥取県", "鳥取県"),
    ("島根県", "島根県"),
    ("岡山県", "岡山県"),
    ("広島県", "広島県"),
    ("山口県", "山口県"),
    ("徳島県", "徳島県"),
    ("香川県", "香川県"),
    ("愛媛県", "愛媛県"),
    ("高知県", "高知県"),
    ("福岡県", "福岡県"),
    ("佐賀県", "佐賀県"),
    ("長崎県", "長崎県"),
    ("熊本県", "熊本県"),
    ("大分県", "大分県"),
    ("宮崎県", "宮崎県"),
    ("鹿児島県", "鹿児島県"),
    ("沖縄県", "沖縄県"),
];

const CN_PROVINCES: &[(&str, &str)] = &[
    ("北京市", "北京市"),
    ("天津市", "天津市"),
    ("河北省", "河北省"),
    ("山西省", "山西省"),
    ("内蒙古自治区", "内蒙古自治区"),
    ("辽宁省", "辽宁省"),
    ("吉林省", "吉林省"),
    ("黑龙江省", "黑龙江省"),
    ("上海市", "上海市"),
    ("江苏省", "江苏省"),
    ("浙江省", "浙江省"),
    ("安徽省", "安徽省"),
    ("福建省", "福建省"),
    ("江西省", "江西省"),
    ("山东省", "山东省"),
    ("河南省", "河南省"),
    ("湖北省", "湖北省"),
    ("湖南省", "湖南省"),
    ("广东省", "广东省"),
    ("广西壮族自治区", "广西壮族自治区"),
    ("海南省", "海南省"),
    ("重庆市", "重庆市"),
    ("四川省", "四川省"),
    ("贵州省", "贵州省"),
    ("云南省", "云南省"),
    ("西藏自治区", "西藏自治区"),
    ("陕西省", "陕西省"),
    ("甘肃省", "甘肃省"),
    ("青海省", "青海省"),
    ("宁夏回族自治区", "宁夏回族自治区"),
    ("新疆维吾尔自治区", "新疆维吾尔自治区"),
];

const CA_PROVINCES: &[(&str, &str)] = &[
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
];

const AU_STATES: &[(&str, &str)] = &[
    ("ACT", "Australian Capital Territory"),
    ("NSW", "New South Wales"),
    ("NT", "Northern Territory"),
    ("QLD", "Queensland"),
    ("SA", "South Australia"),
    ("TAS", "Tasmania"),
    ("VIC", "Victoria"),
    ("WA", "Western Australia"),
];

/// Countries whose post sorts on the postal code (elsewhere it is asked for, not required).
const POSTAL_REQUIRED: &[&str] = &["AU", "CA", "CN", "JP", "KR", "US"];

/// The address format of a country.
pub fn format(country: Country) -> AddressFormat {
    let (region, region_required, regions) = match country.code() {
        "US" => (RegionKind::State, true, US_STATES),
        "JP" => (RegionKind::Prefecture, true, JP_PREFECTURES),
        "CN" => (RegionKind::Province, true, CN_PROVINCES),
        "CA" => (RegionKind::Province, true, CA_PROVINCES),
        "AU" => (RegionKind::State, true, AU_STATES),
        "KR" => (RegionKind::Province, false, &[][..]),
        _ => (RegionKind::Region, false, &[][..]),
    };
    AddressFormat { region, region_required, regions, postal_required: POSTAL_REQUIRED.contains(&country.code()) }
}

/// Why an address field is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressProblem {
    /// A required field is empty.
    Missing(&'static str),
    /// A field does not have the shape the country's post expects.
    Malformed(&'static str),
}

impl AddressProblem {
    /// The field: `region`, `postal_code`, `phone`, `customs_code`.
    pub fn field(&self) -> &'static str {
        match self {
            AddressProblem::Missing(f) | AddressProblem::Malformed(f) => f,
        }
    }
}

/// The region as stored: the list's value for a name, code or value typed in any case (`ny`,
/// `New York` → `NY`); free text where the country has no list. `None`: not one of the list's.
pub fn normalize_region(country: Country, typed: &str) -> Option<String> {
    let typed = typed.trim();
    let f = format(country);
    if typed.is_empty() || f.regions.is_empty() {
        return Some(typed.to_string());
    }
    f.regions
        .iter()
        .find(|(v, n)| v.eq_ignore_ascii_case(typed) || n.eq_ignore_ascii_case(typed))
        .map(|(v, _)| v.to_string())
}

/// Whether a postal code has the country's shape (loosely where the shape is not simple).
pub fn postal_code_ok(country: Country, code: &str) -> bool {
    let c = code.trim();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match country.code() {
        "US" => match c.split_once('-') {
            Some((a, b)) => digits(a, 5) && digits(b, 4),
            None => digits(c, 5) || digits(c, 9),
        },
        "JP" => match c.split_once('-') {
            Some((a, b)) => digits(a, 3) && digits(b, 4),
            None => digits(c, 7),
        },
        "KR" | "FR" | "DE" | "IT" | "ES" => digits(c, 5),
        "CN" => digits(c, 6),
        "GB" => {
            let compact: String = c.chars().filter(|ch| *ch != ' ').collect();
            (5..=7).contains(&compact.len())
                && compact.chars().all(|ch| ch.is_ascii_alphanumeric())
                && compact.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
                && compact.chars().rev().take(2).all(|ch| ch.is_ascii_alphabetic())
        }
        _ => c.chars().count() <= 12 && c.chars().all(|ch| ch.is_alphanumeric() || ch == ' ' || ch == '-'),
    }
}

/// Whether a phone number is one a courier can dial: digits, spaces, `+`, `-`, `(`, `)` and
/// `.` only, a `+` only first, 6 to 20 digits.
pub fn phone_ok(phone: &str) -> bool {
    let p = phone.trim();
    let digits = p.bytes().filter(u8::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && !p.get(1..).unwrap_or("").contains('+')
}

/// Whether a Korean personal customs clearance code has its shape: `P` and 12 digits.
pub fn customs_code_ok(code: &str) -> bool {
    let c = code.trim();
    c.len() == 13 && (c.starts_with('P') || c.starts_with('p')) && c[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Whether an order shipped to `ship_to` from these countries needs the buyer's personal customs
/// clearance code: Korea's customs ask it of every Korean import, not of a domestic order.
pub fn customs_code_required(ship_to: Country, ship_from: &[Country]) -> bool {
    ship_to.code() == "KR" && ship_from.iter().any(|c| c.code() != "KR")
}

/// An address's fields as typed, for [`check`] and [`lines`].
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub name: &'a str,
    pub line1: &'a str,
    pub line2: &'a str,
    pub city: &'a str,
    pub region: &'a str,
    pub postal_code: &'a str,
    pub phone: &'a str,
    pub customs_code: &'a str,
}

/// Checks the country-dependent fields (the name, lines and city are the caller's).
pub fn check(country: Country, a: &Fields<'_>, phone_required: bool) -> Result<(), AddressProblem> {
    let f = format(country);
    if a.region.trim().is_empty() {
        if f.region_required {
            return Err(AddressProblem::Missing("region"));
        }
    } else if normalize_region(country, a.region).is_none() {
        return Err(AddressProblem::Malformed("region"));
    }
    if a.postal_code.trim().is_empty() {
        if f.postal_required {
            return Err(AddressProblem::Missing("postal_code"));
        }
    } else if !postal_code_ok(country, a.postal_code) {
        return Err(AddressProblem::Malformed("postal_code"));
    }
    if a.phone.trim().is_empty() {
        if phone_required {
            return Err(AddressProblem::Missing("phone"));
        }
    } else if !phone_ok(a.phone) {
        return Err(AddressProblem::Malformed("phone"));
    }
    if !a.customs_code.trim().is_empty() && !customs_code_ok(a.customs_code) {
        return Err(AddressProblem::Malformed("customs_code"));
    }
    Ok(())
}

/// The address as the destination country's post prints it, one line per entry, empty lines
/// left out; `country_name` is the country in the reader's language (the US post wants it in
/// capitals).
pub fn lines(country: Country, a: &Fields<'_>, country_name: &str) -> Vec<String> {
    let region_name =
        || format(country).regions.iter().find(|(v, _)| *v == a.region).map(|(_, n)| *n).unwrap_or(a.region);
    let join = |parts: &[&str], sep: &str| {
        parts.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(sep)
    };
    let out: Vec<String> = match country.code() {
        "US" | "CA" | "AU" => {
            let region_postal = join(&[a.region, a.postal_code], " ");
            let last = if a.city.trim().is_empty() {
                region_postal
            } else if region_postal.is_empty() {
                a.city.trim().to_string()
            } else {
                format!("{}, {}", a.city.trim(), region_postal)
            };
            let upper = if country.code() == "US" { country_name.to_uppercase() } else { country_name.to_string() };
            vec![a.name.into(), a.line1.into(), a.line2.into(), last, upper]
        }
        "JP" => {
            let postal =
                if a.postal_code.trim().is_empty() { String::new() } else { format!("〒{}", a.postal_code.trim()) };
            vec![
                postal,
                join(&[region_name(), a.city, a.line1], ""),
                a.line2.into(),
                a.name.into(),
                country_name.into(),
            ]
        }
        "CN" => vec![
            a.postal_code.into(),
            join(&[region_name(), a.city, a.line1], ""),
            a.line2.into(),
            a.name.into(),
            country_name.into(),
        ],
        "KR" => vec![
            a.postal_code.into(),
            join(&[a.region, a.city, a.line1, a.line2], " "),
            a.name.into(),
            country_name.into(),
        ],
        _ => vec![
            a.name.into(),
            a.line1.into(),
            a.line2.into(),
            join(&[a.postal_code, a.city], " "),
            join(&[a.region], ""),
            country_name.into(),
        ],
    };
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    fn fields<'a>(name: &'a str, line1: &'a str, city: &'a str, region: &'a str, postal: &'a str) -> Fields<'a> {
        Fields { name, line1, line2: "", city, region, postal_code: postal, phone: "+1 212 555 0100", customs_code: "" }
    }

    #[test]
    fn a_us_address_needs_a_state_and_prints_city_state_zip() {
        let a = fields("Ada Fan", "350 Fifth Avenue", "New York", "", "10118");
        assert_eq!(check(c("US"), &a, true), Err(AddressProblem::Missing("region")));
        assert_eq!(normalize_region(c("US"), "new york").as_deref(), Some("NY"));
        assert_eq!(normalize_region(c("US"), "ny").as_deref(), Some("NY"));
        assert_eq!(normalize_region(c("US"), "Gotham"), None);
        let a = fields("Ada Fan", "350 Fifth Avenue", "New York", "NY", "10118");
        assert_eq!(check(c("US"), &a, true), Ok(()));
        assert_eq!(
            lines(c("US"), &a, "United States"),
            ["Ada Fan", "350 Fifth Avenue", "New York, NY 10118", "UNITED STATES"]
        );
        assert_eq!(format(c("US")).region, RegionKind::State);
    }

    #[test]
    fn us_zip_codes_have_five_or_nine_digits() {
        assert!(postal_code_ok(c("US"), "10118"));
        assert!(postal_code_ok(c("US"), "10118-0110"));
        assert!(postal_code_ok(c("US"), "101180110"));
        assert!(!postal_code_ok(c("US"), "1011"));
        assert!(!postal_code_ok(c("US"), "SW1A 1AA"));
        let a = fields("Ada", "1 Main St", "Springfield", "IL", "6270");
        assert_eq!(check(c("US"), &a, true), Err(AddressProblem::Malformed("postal_code")));
    }

    #[test]
    fn a_japanese_address_needs_a_prefecture_and_prints_postal_mark_first() {
        let a = fields("山田太郎", "丸の内1-1", "千代田区", "", "100-0005");
        assert_eq!(check(c("JP"), &a, true), Err(AddressProblem::Missing("region")));
        assert_eq!(format(c("JP")).regions.len(), 47);
        assert_eq!(format(c("JP")).region, RegionKind::Prefecture);
        let a = fields("山田太郎", "丸の内1-1", "千代田区", "東京都", "100-0005");
        assert_eq!(check(c("JP"), &a, true), Ok(()));
        assert_eq!(lines(c("JP"), &a, "日本"), ["〒100-0005", "東京都千代田区丸の内1-1", "山田太郎", "日本"]);
        assert!(postal_code_ok(c("JP"), "1000005"));
        assert!(!postal_code_ok(c("JP"), "100-005"));
    }

    #[test]
    fn a_korean_address_prints_postal_code_then_the_address_then_the_name() {
        let a = fields("김민지", "세종대로 12", "종로구", "서울특별시", "04524");
        assert_eq!(check(c("KR"), &a, true), Ok(()));
        assert_eq!(lines(c("KR"), &a, "대한민국"), ["04524", "서울특별시 종로구 세종대로 12", "김민지", "대한민국"]);
        assert!(!postal_code_ok(c("KR"), "110-111"));
        // The province is optional in Korea.
        let a = fields("김민지", "세종대로 12", "서울", "", "04524");
        assert_eq!(check(c("KR"), &a, true), Ok(()));
    }

    #[test]
    fn china_canada_and_australia_need_their_provinces_or_states() {
        assert_eq!(
            check(c("CN"), &fields("王芳", "长安街1号", "东城区", "", "100000"), true),
            Err(AddressProblem::Missing("region"))
        );
        let a = fields("王芳", "长安街1号", "东城区", "北京市", "100000");
        assert_eq!(check(c("CN"), &a, true), Ok(()));
        assert_eq!(lines(c("CN"), &a, "中国"), ["100000", "北京市东城区长安街1号", "王芳", "中国"]);
        assert_eq!(format(c("CA")).region, RegionKind::Province);
        assert_eq!(
            check(c("CA"), &fields("Al", "1 Rue", "Montréal", "", "H2X 1Y4"), true),
            Err(AddressProblem::Missing("region"))
        );
        assert_eq!(normalize_region(c("AU"), "victoria").as_deref(), Some("VIC"));
        // Elsewhere the region is optional free text.
        assert!(!format(c("GB")).region_required);
        assert_eq!(normalize_region(c("GB"), "Kent").as_deref(), Some("Kent"));
    }

    #[test]
    fn other_countries_print_name_lines_postal_city_country() {
        let a = fields("Léa Fan", "5 rue de Rivoli", "Paris", "", "75001");
        assert_eq!(lines(c("FR"), &a, "France"), ["Léa Fan", "5 rue de Rivoli", "75001 Paris", "France"]);
        assert!(!postal_code_ok(c("FR"), "7500"));
        assert!(postal_code_ok(c("GB"), "SW1A 1AA"));
        assert!(postal_code_ok(c("GB"), "M1 1AE"));
        assert!(!postal_code_ok(c("GB"), "12345"));
    }

    #[test]
    fn every_order_needs_a_phone_a_courier_can_dial() {
        assert!(phone_ok("+44 20 7946 0958"));
        assert!(phone_ok("010-1234-5678"));
        assert!(phone_ok("(212) 555-0100"));
        assert!(!phone_ok("12345"));
        assert!(!phone_ok("call me maybe"));
        assert!(!phone_ok("44+20 7946 0958"));
        assert!(!phone_ok("123456789012345678901"));
        let mut a = fields("Léa", "5 rue", "Paris", "", "75001");
        a.phone = "";
        assert_eq!(check(c("FR"), &a, true), Err(AddressProblem::Missing("phone")));
        assert_eq!(check(c("FR"), &a, false), Ok(()));
        a.phone = "abc";
        assert_eq!(check(c("FR"), &a, false), Err(AddressProblem::Malformed("phone")));
    }

    #[test]
    fn a_korean_import_needs_the_personal_customs_clearance_code() {
        assert!(customs_code_required(c("KR"), &[c("GB")]));
        assert!(customs_code_required(c("KR"), &[c("KR"), c("JP")]));
        assert!(!customs_code_required(c("KR"), &[c("KR")]));
        assert!(!customs_code_required(c("JP"), &[c("GB")]));
        assert!(customs_code_ok("P123456789012"));
        assert!(!customs_code_ok("P12345678901"));
        assert!(!customs_code_ok("Q123456789012"));
        let mut a = fields("김민지", "세종대로 12", "서울", "", "04524");
        a.customs_code = "12";
        assert_eq!(check(c("KR"), &a, true), Err(AddressProblem::Malformed("customs_code")));
    }
}
