//! Money as a reader of each language expects it, from CLDR data: "70,01 €" in French,
//! "€70.01" in English, "￥7,001" in Japanese, "$43.08" for Canadian dollars read in Canada.
//!
//! Digits, grouping, the decimal separator and the minus sign come from ICU4X (`icu_decimal`
//! with its compiled CLDR data: nothing is downloaded at build or run time). ICU4X's currency
//! formatter is still experimental (`icu_experimental`), so where the symbol goes and which
//! symbol a locale uses for a currency is a small table below, copied from CLDR 47
//! (`cldr-numbers-full/main/{locale}/currencies.json` and `numbers.json`, the `latn` standard
//! currency pattern and `currencySpacing`). A currency missing from a locale's table is written
//! with its ISO code, as CLDR's root locale does for most currencies.
//!
//! Which CLDR locale a page uses: the interface language, refined by the fan's ship-to country
//! where CLDR writes money differently there —
//!
//! | language | ship-to | CLDR locale | e.g. |
//! |---|---|---|---|
//! | en | US, or not known | `en` | $43.08 (USD), CA$43.08 (CAD) |
//! | en | CA | `en-CA` | $43.08 (CAD), US$43.08 (USD) |
//! | en | AU | `en-AU` | $43.08 (AUD), USD 43.08 |
//! | en | KE | `en-KE` | Ksh 4,308.00 |
//! | en | anywhere else | `en-001` | US$43.08, €70.01 |
//! | fr | CA | `fr-CA` | 43,08 $ (CAD) |
//! | fr | CH | `fr-CH` | 70,01 € |
//! | fr | anywhere else | `fr` | 70,01 €, 43,08 $CA |
//! | ja | any | `ja` | ￥7,001 |
//! | ko | any | `ko` | ₩7,001 |
//! | zh-Hans | any | `zh-Hans` | ¥70.01 (CNY), €70.01 |
//!
//! Amounts are shown exactly, with as many decimals as the currency's minor unit (ISO 4217):
//! formatting never rounds. Each locale's formatter is built once and kept for the process.

use std::fmt::Write as _;
use std::sync::OnceLock;

use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use podium_domain::{Country, Lang, Money};
use writeable::Writeable;

/// The CLDR locales Podium formats money for (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyLocale {
    En,
    En001,
    EnCa,
    EnAu,
    EnKe,
    Fr,
    FrCa,
    FrCh,
    Ja,
    Ko,
    ZhHans,
}

const ALL: [MoneyLocale; 11] = [
    MoneyLocale::En,
    MoneyLocale::En001,
    MoneyLocale::EnCa,
    MoneyLocale::EnAu,
    MoneyLocale::EnKe,
    MoneyLocale::Fr,
    MoneyLocale::FrCa,
    MoneyLocale::FrCh,
    MoneyLocale::Ja,
    MoneyLocale::Ko,
    MoneyLocale::ZhHans,
];

/// English-speaking territories whose CLDR locale inherits US English money symbols.
const EN_US_LIKE: &[&str] = &["US", "AS", "GU", "MP", "PR", "UM", "VI"];

// Currency symbols per locale, from CLDR 47. Only currencies whose symbol is not the ISO code
// are listed; the rest are written with their code.
const EN: &[(&str, &str)] = &[
    ("AUD", "A$"),
    ("CAD", "CA$"),
    ("CNY", "CN¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "¥"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "$"),
];
const EN_001: &[(&str, &str)] = &[
    ("AUD", "A$"),
    ("CAD", "CA$"),
    ("CNY", "CN¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "JP¥"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "US$"),
];
const EN_CA: &[(&str, &str)] = &[
    ("AUD", "A$"),
    ("CAD", "$"),
    ("CNY", "CN¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "JP¥"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "US$"),
];
// en-AU writes every currency but its own with the ISO code.
const EN_AU: &[(&str, &str)] = &[("AUD", "$")];
const EN_KE: &[(&str, &str)] = &[
    ("AUD", "A$"),
    ("CAD", "CA$"),
    ("CNY", "CN¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "JP¥"),
    ("KES", "Ksh"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "US$"),
];
const FR: &[(&str, &str)] = &[
    ("AUD", "$AU"),
    ("CAD", "$CA"),
    ("EUR", "€"),
    ("GBP", "£GB"),
    ("INR", "₹"),
    ("KRW", "₩"),
    ("NZD", "$NZ"),
    ("USD", "$US"),
];
const FR_CA: &[(&str, &str)] = &[
    ("AUD", "$ AU"),
    ("CAD", "$"),
    ("CNY", "CN¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "$ HK"),
    ("JPY", "¥"),
    ("NZD", "$ NZ"),
    ("USD", "$ US"),
];
const JA: &[(&str, &str)] = &[
    ("AUD", "A$"),
    ("CAD", "CA$"),
    ("CNY", "元"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "￥"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "$"),
];
const KO: &[(&str, &str)] = &[
    ("AUD", "AU$"),
    ("CAD", "CA$"),
    ("CNY", "CN¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "JP¥"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "US$"),
];
const ZH_HANS: &[(&str, &str)] = &[
    ("AUD", "AU$"),
    ("CAD", "CA$"),
    ("CNY", "¥"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("HKD", "HK$"),
    ("INR", "₹"),
    ("JPY", "JP¥"),
    ("KRW", "₩"),
    ("NZD", "NZ$"),
    ("USD", "US$"),
];

impl MoneyLocale {
    /// The locale for a reader of `lang` shipping to `region` (see the module table).
    pub fn of(lang: Lang, region: Option<Country>) -> MoneyLocale {
        let region = region.map(|c| c.code().to_string());
        let region = region.as_deref();
        match lang {
            Lang::En => match region {
                None => MoneyLocale::En,
                Some(r) if EN_US_LIKE.contains(&r) => MoneyLocale::En,
                Some("CA") => MoneyLocale::EnCa,
                Some("AU") => MoneyLocale::EnAu,
                Some("KE") => MoneyLocale::EnKe,
                Some(_) => MoneyLocale::En001,
            },
            Lang::Fr => match region {
                Some("CA") => MoneyLocale::FrCa,
                Some("CH") => MoneyLocale::FrCh,
                _ => MoneyLocale::Fr,
            },
            Lang::Ja => MoneyLocale::Ja,
            Lang::Ko => MoneyLocale::Ko,
            Lang::ZhHans => MoneyLocale::ZhHans,
        }
    }

    /// The BCP 47 tag ICU4X reads the digits and separators for.
    pub fn tag(self) -> &'static str {
        match self {
            MoneyLocale::En => "en",
            MoneyLocale::En001 => "en-001",
            MoneyLocale::EnCa => "en-CA",
            MoneyLocale::EnAu => "en-AU",
            MoneyLocale::EnKe => "en-KE",
            MoneyLocale::Fr => "fr",
            MoneyLocale::FrCa => "fr-CA",
            MoneyLocale::FrCh => "fr-CH",
            MoneyLocale::Ja => "ja",
            MoneyLocale::Ko => "ko",
            MoneyLocale::ZhHans => "zh-Hans",
        }
    }

    fn symbols(self) -> &'static [(&'static str, &'static str)] {
        match self {
            MoneyLocale::En => EN,
            MoneyLocale::En001 => EN_001,
            MoneyLocale::EnCa => EN_CA,
            MoneyLocale::EnAu => EN_AU,
            MoneyLocale::EnKe => EN_KE,
            MoneyLocale::Fr | MoneyLocale::FrCh => FR,
            MoneyLocale::FrCa => FR_CA,
            MoneyLocale::Ja => JA,
            MoneyLocale::Ko => KO,
            MoneyLocale::ZhHans => ZH_HANS,
        }
    }

    /// French puts the symbol after the number (`#,##0.00 ¤`); the others before (`¤#,##0.00`).
    fn symbol_after(self) -> bool {
        matches!(self, MoneyLocale::Fr | MoneyLocale::FrCa | MoneyLocale::FrCh)
    }

    /// The currency's symbol in this locale, else its ISO code.
    pub fn symbol(self, code: &str) -> &str {
        self.symbols().iter().find(|(c, _)| *c == code).map(|(_, s)| *s).unwrap_or(code)
    }

    /// The formatter for this locale, built on first use.
    fn formatter(self) -> &'static Formatter {
        static FORMATTERS: OnceLock<Vec<Formatter>> = OnceLock::new();
        let all = FORMATTERS.get_or_init(|| ALL.iter().map(|l| Formatter::new(*l)).collect());
        // ALL lists every variant, so the position is always found.
        let i = ALL.iter().position(|l| *l == self).unwrap_or(0);
        &all[i]
    }

    /// `money` as a reader in this locale expects it.
    pub fn format(self, money: Money) -> String {
        self.formatter().format(self, money)
    }
}

/// A locale's digits (ICU4X) and minus sign, made once.
struct Formatter {
    /// `None` only if the compiled data lacked the locale, which the tests rule out; the
    /// plain English form stands in then rather than failing a page.
    decimal: Option<DecimalFormatter>,
    minus: String,
}

impl Formatter {
    fn new(locale: MoneyLocale) -> Formatter {
        let decimal = locale
            .tag()
            .parse::<icu_locale_core::Locale>()
            .ok()
            .and_then(|l| DecimalFormatter::try_new((&l).into(), Default::default()).ok());
        // The locale's minus sign is what ICU writes before the digits of -1.
        let minus = decimal
            .as_ref()
            .map(|d| {
                let s = d.format(&Decimal::from(-1i64)).write_to_string().into_owned();
                s.trim_end_matches('1').to_string()
            })
            .unwrap_or_else(|| "-".to_string());
        Formatter { decimal, minus }
    }

    fn format(&self, locale: MoneyLocale, money: Money) -> String {
        let Some(decimal) = &self.decimal else { return money.formatted() };
        let code = money.currency.code();
        let symbol = locale.symbol(code);
        let mut digits = Decimal::from(money.minor.unsigned_abs());
        digits.multiply_pow10(-i16::from(money.currency.exponent()));
        let mut out = String::with_capacity(24);
        if money.minor < 0 {
            out.push_str(&self.minus);
        }
        if locale.symbol_after() {
            let _ = decimal.format(&digits).write_to(&mut out);
            out.push('\u{a0}');
            out.push_str(symbol);
        } else {
            out.push_str(symbol);
            // CLDR currencySpacing: a symbol ending in a letter or digit ("CHF", "元") is kept
            // apart from the number by a no-break space; "$", "€", "₩" sit against it.
            if symbol.chars().last().is_some_and(char::is_alphanumeric) {
                out.push('\u{a0}');
            }
            let _ = write!(out, "{}", decimal.format(&digits).write_to_string());
        }
        out
    }
}

/// `money` for a reader of `lang` shipping to `region`.
pub fn format(lang: Lang, region: Option<Country>, money: Money) -> String {
    MoneyLocale::of(lang, region).format(money)
}

#[cfg(test)]
mod tests {
    use super::*;
    use podium_domain::Currency;

    fn m(s: &str) -> Money {
        Money::parse(s).expect(s)
    }

    fn fmt(lang: Lang, s: &str) -> String {
        format(lang, None, m(s))
    }

    const NB: char = '\u{a0}';
    const NNB: char = '\u{202f}';

    #[test]
    fn every_locale_has_its_compiled_cldr_data() {
        for l in ALL {
            assert!(l.formatter().decimal.is_some(), "{}", l.tag());
            assert_eq!(l.formatter().minus, "-", "{}", l.tag());
        }
    }

    #[test]
    fn french_puts_the_symbol_after_with_french_separators() {
        assert_eq!(fmt(Lang::Fr, "70.01 EUR"), format!("70,01{NB}€"));
        assert_eq!(fmt(Lang::Fr, "1234567.89 EUR"), format!("1{NNB}234{NNB}567,89{NB}€"));
        assert_eq!(fmt(Lang::Fr, "43.08 CAD"), format!("43,08{NB}$CA"));
        assert_eq!(fmt(Lang::Fr, "43.08 USD"), format!("43,08{NB}$US"));
        assert_eq!(fmt(Lang::Fr, "7001 JPY"), format!("7{NNB}001{NB}JPY"));
        assert_eq!(fmt(Lang::Fr, "7001 KRW"), format!("7{NNB}001{NB}₩"));
        assert_eq!(fmt(Lang::Fr, "9.90 GBP"), format!("9,90{NB}£GB"));
        assert_eq!(fmt(Lang::Fr, "1500.00 KES"), format!("1{NNB}500,00{NB}KES"));
        assert_eq!(fmt(Lang::Fr, "88.00 CNY"), format!("88,00{NB}CNY"));
        assert_eq!(fmt(Lang::Fr, "-70.01 EUR"), format!("-70,01{NB}€"));
    }

    #[test]
    fn english_puts_the_symbol_first() {
        assert_eq!(fmt(Lang::En, "70.01 EUR"), "€70.01");
        assert_eq!(fmt(Lang::En, "43.08 USD"), "$43.08");
        assert_eq!(fmt(Lang::En, "43.08 CAD"), "CA$43.08");
        assert_eq!(fmt(Lang::En, "7001 JPY"), "¥7,001");
        assert_eq!(fmt(Lang::En, "35000 KRW"), "₩35,000");
        assert_eq!(fmt(Lang::En, "1234.50 GBP"), "£1,234.50");
        assert_eq!(fmt(Lang::En, "1500.00 KES"), format!("KES{NB}1,500.00"));
        assert_eq!(fmt(Lang::En, "88.00 CNY"), "CN¥88.00");
        assert_eq!(fmt(Lang::En, "9.90 CHF"), format!("CHF{NB}9.90"));
        assert_eq!(fmt(Lang::En, "-1234.50 USD"), "-$1,234.50");
        assert_eq!(fmt(Lang::En, "1.500 KWD"), format!("KWD{NB}1.500"));
    }

    #[test]
    fn japanese_korean_and_chinese_use_their_own_symbols() {
        assert_eq!(fmt(Lang::Ja, "7001 JPY"), "￥7,001");
        assert_eq!(fmt(Lang::Ja, "70.01 EUR"), "€70.01");
        assert_eq!(fmt(Lang::Ja, "88.00 CNY"), format!("元{NB}88.00"));
        assert_eq!(fmt(Lang::Ja, "43.08 USD"), "$43.08");
        assert_eq!(fmt(Lang::Ja, "-7001 JPY"), "-￥7,001");
        assert_eq!(fmt(Lang::Ko, "7001 KRW"), "₩7,001");
        assert_eq!(fmt(Lang::Ko, "7001 JPY"), "JP¥7,001");
        assert_eq!(fmt(Lang::Ko, "43.08 USD"), "US$43.08");
        assert_eq!(fmt(Lang::Ko, "1500.00 KES"), format!("KES{NB}1,500.00"));
        assert_eq!(fmt(Lang::Ko, "-35000 KRW"), "-₩35,000");
        assert_eq!(fmt(Lang::ZhHans, "88.00 CNY"), "¥88.00");
        assert_eq!(fmt(Lang::ZhHans, "70.01 EUR"), "€70.01");
        assert_eq!(fmt(Lang::ZhHans, "7001 KRW"), "₩7,001");
        assert_eq!(fmt(Lang::ZhHans, "43.08 CAD"), "CA$43.08");
        assert_eq!(fmt(Lang::ZhHans, "9.90 GBP"), "£9.90");
        assert_eq!(fmt(Lang::ZhHans, "-0.05 USD"), "-US$0.05");
    }

    #[test]
    fn the_ship_to_country_refines_the_locale() {
        let ca = Country::parse("CA").ok();
        let de = Country::parse("DE").ok();
        let au = Country::parse("AU").ok();
        let ke = Country::parse("KE").ok();
        assert_eq!(format(Lang::En, ca, m("43.08 CAD")), "$43.08");
        assert_eq!(format(Lang::En, ca, m("43.08 USD")), "US$43.08");
        assert_eq!(format(Lang::En, Country::parse("US").ok(), m("43.08 USD")), "$43.08");
        assert_eq!(format(Lang::En, de, m("43.08 USD")), "US$43.08");
        assert_eq!(format(Lang::En, de, m("70.01 EUR")), "€70.01");
        assert_eq!(format(Lang::En, au, m("43.08 AUD")), "$43.08");
        assert_eq!(format(Lang::En, au, m("43.08 USD")), format!("USD{NB}43.08"));
        assert_eq!(format(Lang::En, ke, m("1500.00 KES")), format!("Ksh{NB}1,500.00"));
        assert_eq!(format(Lang::Fr, ca, m("1243.08 CAD")), format!("1{NB}243,08{NB}$"));
        assert_eq!(format(Lang::Fr, ca, m("43.08 USD")), format!("43,08{NB}$ US"));
        assert_eq!(format(Lang::Fr, Country::parse("CH").ok(), m("9.90 CHF")), format!("9,90{NB}CHF"));
        assert_eq!(format(Lang::Ko, ca, m("7001 KRW")), "₩7,001", "the region refines en and fr only");
    }

    #[test]
    fn amounts_are_exact_for_every_exponent() {
        for (s, want) in
            [("0 KRW", "₩0"), ("0.00 EUR", "€0.00"), ("0.10 EUR", "€0.10"), ("1.234 BHD", "BHD\u{a0}1.234")]
        {
            assert_eq!(fmt(Lang::En, s), want);
        }
        let big = Money::new(i64::MAX, Currency::KRW);
        assert_eq!(fmt(Lang::En, &big.to_string()), "₩9,223,372,036,854,775,807");
        assert_eq!(format(Lang::En, None, Money::new(i64::MIN, Currency::KRW)), "-₩9,223,372,036,854,775,808");
    }
}
