//! The catalogue's rules: slugs, GTINs, HS codes, the category tree, translated text with a
//! fallback language, and which price a variant shows in a currency.

use std::collections::HashMap;

use crate::fx::{FxError, RateTable};
use crate::lang::Lang;
use crate::money::Money;
use crate::Currency;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("{0:?} is not a valid slug: use 1 to 80 lowercase letters, digits and single hyphens")]
    Slug(String),
    #[error("{0:?} is not a GTIN: use 8, 12, 13 or 14 digits")]
    GtinLength(String),
    #[error("GTIN {gtin} has check digit {found}, expected {expected}")]
    GtinCheck { gtin: String, expected: u8, found: u8 },
    #[error("{0:?} is not an HS code: use 6 to 10 digits")]
    HsCode(String),
}

/// A URL-safe identifier: lowercase ASCII letters and digits separated by single hyphens.
pub fn validate_slug(s: &str) -> Result<(), CatalogueError> {
    let ok = !s.is_empty()
        && s.len() <= 80
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(CatalogueError::Slug(s.to_string()))
    }
}

/// Makes a slug from free text ("Soohorang Plush, 30 cm" → "soohorang-plush-30-cm"); non-ASCII
/// letters are dropped, so callers fall back to another source when the result is empty.
pub fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(80);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The GS1 mod-10 check digit of the digits before it.
pub fn gs1_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// Validates a GTIN-8/12/13/14 and returns it as a GTIN-14 (left-padded with zeros).
pub fn parse_gtin(s: &str) -> Result<String, CatalogueError> {
    let s = s.trim();
    if !matches!(s.len(), 8 | 12 | 13 | 14) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CatalogueError::GtinLength(s.to_string()));
    }
    let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let expected = gs1_check_digit(body);
    if check[0] != expected {
        return Err(CatalogueError::GtinCheck { gtin: s.to_string(), expected, found: check[0] });
    }
    Ok(format!("{s:0>14}"))
}

/// Validates a Harmonized System code (6-digit subheading, optionally national digits to 10).
pub fn parse_hs_code(s: &str) -> Result<String, CatalogueError> {
    let digits: String = s.chars().filter(|c| *c != '.' && *c != ' ').collect();
    if (6..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(CatalogueError::HsCode(s.to_string()))
    }
}

/// The category tree: a grant of "apparel" covers "apparel › t-shirts".
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    parent: HashMap<String, Option<String>>,
}

impl CategoryTree {
    pub fn new(edges: impl IntoIterator<Item = (String, Option<String>)>) -> Self {
        CategoryTree { parent: edges.into_iter().collect() }
    }

    pub fn contains(&self, slug: &str) -> bool {
        self.parent.contains_key(slug)
    }

    /// The path from the root to `slug`, inclusive (empty when unknown). Stops on a cycle.
    pub fn path(&self, slug: &str) -> Vec<String> {
        let mut path = Vec::new();
        let mut current = Some(slug.to_string());
        while let Some(c) = current {
            if !self.parent.contains_key(&c) || path.contains(&c) {
                break;
            }
            current = self.parent.get(&c).cloned().flatten();
            path.push(c);
        }
        path.reverse();
        path
    }

    /// True when `slug` is `ancestor` or lies below it.
    pub fn is_within(&self, slug: &str, ancestor: &str) -> bool {
        self.path(slug).iter().any(|s| s == ancestor)
    }

    /// `ancestor` and everything below it.
    pub fn subtree(&self, ancestor: &str) -> Vec<String> {
        let mut all: Vec<String> = self.parent.keys().filter(|s| self.is_within(s, ancestor)).cloned().collect();
        all.sort();
        all
    }
}

/// What a reader gets: the value, the language it is in, and whether that is a fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a, T> {
    pub value: &'a T,
    pub lang: Lang,
    pub is_fallback: bool,
}

/// Picks the text to show in `lang` from texts in several languages: the text in `lang`, else
/// in the `fallback` language, else in any language (English first). This is the one place the
/// fallback order is decided; pages, the API and the search index all ask here.
pub fn resolve_lang<T>(
    texts: &[T],
    lang_of: impl Fn(&T) -> Lang,
    lang: Lang,
    fallback: Lang,
) -> Option<Resolved<'_, T>> {
    // A product has at most five texts: scanning beats building a map.
    if let Some(v) = texts.iter().find(|t| lang_of(t) == lang) {
        return Some(Resolved { value: v, lang, is_fallback: false });
    }
    std::iter::once(fallback)
        .chain(Lang::ALL)
        .find_map(|l| texts.iter().find(|t| lang_of(t) == l).map(|v| Resolved { value: v, lang: l, is_fallback: true }))
}

/// The price of a variant in `currency`: an explicit price set for that currency wins,
/// otherwise the base price converted at `rates`.
pub fn price_in(base: Money, explicit: &[Money], currency: Currency, rates: &RateTable) -> Result<Money, FxError> {
    if let Some(p) = explicit.iter().find(|p| p.currency == currency) {
        return Ok(*p);
    }
    rates.convert(base, currency)
}

/// Whether a change of `delta` units to a variant's available stock, leaving `available_after`,
/// crossed zero: it sold out (from some to none) or came back (from none to some). Only those
/// changes alter what a listing shows (in stock, the "from" price), so only they are announced.
pub fn stock_crossed_zero(available_after: i64, delta: i64) -> bool {
    let before = available_after.saturating_sub(delta);
    (before > 0) != (available_after > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        for ok in ["soohorang-plush", "a", "team-kenya-2026", "x1"] {
            assert!(validate_slug(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "été", &"a".repeat(81)] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
        assert_eq!(slugify("Soohorang Plush, 30 cm"), "soohorang-plush-30-cm");
        assert_eq!(slugify("  --Héros!! "), "h-ros");
        assert_eq!(slugify("수호랑"), "");
    }

    #[test]
    fn gtins_are_checked_and_padded() {
        assert_eq!(parse_gtin("4006381333931"), Ok("04006381333931".to_string()));
        assert_eq!(parse_gtin("96385074"), Ok("00000096385074".to_string()));
        assert_eq!(parse_gtin("036000291452"), Ok("00036000291452".to_string()));
        assert!(matches!(parse_gtin("4006381333932"), Err(CatalogueError::GtinCheck { expected: 1, found: 2, .. })));
        assert!(matches!(parse_gtin("12345"), Err(CatalogueError::GtinLength(_))));
        assert!(matches!(parse_gtin("40063813339a1"), Err(CatalogueError::GtinLength(_))));
    }

    proptest! {
        #[test]
        fn any_body_with_its_check_digit_is_a_valid_gtin(body in prop::collection::vec(0u8..10, 12)) {
            let check = gs1_check_digit(&body);
            let s: String = body.iter().chain(std::iter::once(&check)).map(|d| char::from(b'0' + d)).collect();
            prop_assert!(parse_gtin(&s).is_ok());
            let wrong = (check + 1) % 10;
            let bad: String = body.iter().chain(std::iter::once(&wrong)).map(|d| char::from(b'0' + d)).collect();
            prop_assert!(parse_gtin(&bad).is_err());
        }
    }

    #[test]
    fn hs_codes() {
        assert_eq!(parse_hs_code("6109.10"), Ok("610910".to_string()));
        assert_eq!(parse_hs_code("9503000000"), Ok("9503000000".to_string()));
        assert!(parse_hs_code("61").is_err());
        assert!(parse_hs_code("61091a").is_err());
    }

    #[test]
    fn category_tree_inheritance() {
        let t = CategoryTree::new([
            ("apparel".to_string(), None),
            ("t-shirts".to_string(), Some("apparel".to_string())),
            ("headwear".to_string(), Some("apparel".to_string())),
            ("pins".to_string(), None),
        ]);
        assert!(t.is_within("t-shirts", "apparel"));
        assert!(t.is_within("apparel", "apparel"));
        assert!(!t.is_within("apparel", "t-shirts"));
        assert!(!t.is_within("pins", "apparel"));
        assert_eq!(t.path("t-shirts"), ["apparel", "t-shirts"]);
        assert_eq!(t.subtree("apparel"), ["apparel", "headwear", "t-shirts"]);
        assert!(t.path("nope").is_empty());
        let cyclic =
            CategoryTree::new([("a".to_string(), Some("b".to_string())), ("b".to_string(), Some("a".to_string()))]);
        assert_eq!(cyclic.path("a").len(), 2, "a cycle ends the walk instead of looping");
    }

    #[test]
    fn translations_fall_back_and_say_so() {
        let lang = |t: &(Lang, &str)| t.0;
        let t = [(Lang::Ko, "수호랑 인형"), (Lang::En, "Soohorang plush")];
        let r = resolve_lang(&t, lang, Lang::Ko, Lang::Ko).expect("present");
        assert_eq!((r.value.1, r.is_fallback), ("수호랑 인형", false));
        let r = resolve_lang(&t, lang, Lang::Fr, Lang::Ko).expect("fallback");
        assert_eq!((r.value.1, r.lang, r.is_fallback), ("수호랑 인형", Lang::Ko, true));
        let only_en = [(Lang::En, "x")];
        assert_eq!(resolve_lang(&only_en, lang, Lang::Fr, Lang::Ja).map(|r| r.lang), Some(Lang::En));
        let empty: [(Lang, &str); 0] = [];
        assert!(resolve_lang(&empty, lang, Lang::En, Lang::En).is_none());
    }

    #[test]
    fn explicit_prices_win_over_conversion() {
        use rust_decimal::Decimal;
        use std::str::FromStr;
        let rates = RateTable::new([crate::Rate {
            currency: Currency::KRW,
            per_eur: Decimal::from_str("1478.94").expect("rate"),
            date: time::macros::date!(2026 - 11 - 27),
            source: "ECB".into(),
        }]);
        let base = Money::new(35000, Currency::KRW);
        assert_eq!(price_in(base, &[], Currency::EUR, &rates), Ok(Money::new(2367, Currency::EUR)));
        let explicit = [Money::new(2500, Currency::EUR)];
        assert_eq!(price_in(base, &explicit, Currency::EUR, &rates), Ok(Money::new(2500, Currency::EUR)));
        assert_eq!(price_in(base, &explicit, Currency::KRW, &rates), Ok(base));
        assert!(price_in(base, &[], Currency::USD, &rates).is_err());
    }

    #[test]
    fn stock_crosses_zero_only_when_selling_out_or_coming_back() {
        // A reservation of 2 that takes the last 2 units sells the variant out.
        assert!(stock_crossed_zero(0, -2));
        // One of several: still on sale.
        assert!(!stock_crossed_zero(3, -2));
        // A release of 1 after selling out brings it back.
        assert!(stock_crossed_zero(1, 1));
        // A release while units remain, or a restock of nothing, changes nothing shown.
        assert!(!stock_crossed_zero(5, 1));
        assert!(!stock_crossed_zero(0, 0));
        // Oversold counts (a correction below zero) still read as sold out.
        assert!(!stock_crossed_zero(-1, -1));
        assert!(stock_crossed_zero(2, 3));
    }
}
