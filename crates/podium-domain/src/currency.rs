//! ISO 4217 currencies and their minor-unit exponents.
//!
//! The table holds every active currency code with a minor unit (funds codes such as BOV and USN
//! included; precious metals and testing codes, which have no minor unit, excluded), plus a few
//! recently withdrawn codes that still appear in historical ECB files so old rates stay readable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 4217 currency. Cheap to copy; only codes from the table can be constructed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("unknown currency {0:?}: expected an ISO 4217 code such as EUR, JPY or KRW")]
    Unknown(String),
}

/// (code, minor-unit exponent). Kept sorted by code so lookups can binary-search.
const TABLE: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HRK", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// The currencies the storefront offers in its currency selector, in display order.
pub const STOREFRONT: &[&str] = &["EUR", "USD", "GBP", "JPY", "KRW", "CNY", "AUD", "KES", "CAD", "CHF"];

impl Currency {
    pub const EUR: Currency = Currency { code: *b"EUR", exponent: 2 };
    pub const USD: Currency = Currency { code: *b"USD", exponent: 2 };
    pub const GBP: Currency = Currency { code: *b"GBP", exponent: 2 };
    pub const JPY: Currency = Currency { code: *b"JPY", exponent: 0 };
    pub const KRW: Currency = Currency { code: *b"KRW", exponent: 0 };
    pub const CNY: Currency = Currency { code: *b"CNY", exponent: 2 };
    pub const AUD: Currency = Currency { code: *b"AUD", exponent: 2 };
    pub const KES: Currency = Currency { code: *b"KES", exponent: 2 };
    pub const BHD: Currency = Currency { code: *b"BHD", exponent: 3 };
    pub const KWD: Currency = Currency { code: *b"KWD", exponent: 3 };

    /// Parses an ISO 4217 code. Case-insensitive on input; always upper-case after.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let upper = code.trim().to_ascii_uppercase();
        TABLE
            .binary_search_by(|(c, _)| c.cmp(&upper.as_str()))
            .map(|i| {
                let (c, e) = TABLE[i];
                let b = c.as_bytes();
                Currency { code: [b[0], b[1], b[2]], exponent: e }
            })
            .map_err(|_| CurrencyError::Unknown(code.to_string()))
    }

    pub fn code(&self) -> &str {
        // The table holds ASCII only, so this never fails.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits after the decimal point in the minor unit: 0 for JPY, 2 for EUR, 3 for BHD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Every currency Podium knows, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        TABLE.iter().filter_map(|(c, _)| Currency::parse(c).ok())
    }

    /// The symbol shown before an amount where one is customary; otherwise the code.
    pub fn symbol(&self) -> &'static str {
        match self.code() {
            "EUR" => "€",
            "USD" => "$",
            "GBP" => "£",
            "JPY" => "¥",
            "CNY" => "CN¥",
            "KRW" => "₩",
            "AUD" => "A$",
            "CAD" => "CA$",
            "KES" => "KSh",
            "INR" => "₹",
            "HKD" => "HK$",
            "NZD" => "NZ$",
            "CHF" => "CHF",
            _ => "",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_so_binary_search_is_sound() {
        for w in TABLE.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        assert!(TABLE.len() > 150);
    }

    #[test]
    fn exponents_follow_iso_4217() {
        for (code, e) in [
            ("JPY", 0),
            ("KRW", 0),
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
            ("CNY", 2),
            ("AUD", 2),
            ("KES", 2),
            ("BHD", 3),
            ("KWD", 3),
            ("CLF", 4),
        ] {
            assert_eq!(Currency::parse(code).map(|c| c.exponent()), Ok(e), "{code}");
        }
        assert_eq!(Currency::parse("krw"), Ok(Currency::KRW));
    }

    #[test]
    fn unknown_codes_are_refused_with_their_text() {
        for bad in ["", "EU", "EURO", "XAU", "ABC", "€"] {
            let err = Currency::parse(bad).unwrap_err();
            assert!(err.to_string().contains("unknown currency"), "{bad}");
        }
    }

    #[test]
    fn storefront_currencies_are_all_known() {
        for c in STOREFRONT {
            assert!(Currency::parse(c).is_ok(), "{c}");
        }
    }
}
