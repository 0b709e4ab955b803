//! Interface text in five languages, from Fluent message files compiled into the binary.
//!
//! Templates hold no prose: every visible string is a message id looked up here. A message
//! missing in one language falls back to English, then to the id itself, so a gap is visible
//! but never an error. `tests` check that every language has every message.
//!
//! Every language is parsed once at start, so a broken file stops the node there; only English
//! (the fallback) is kept. Another language's messages are parsed again when a page first asks
//! for them: parsed messages take about ten times their source (about 1 MiB a language), and
//! a node need not hold languages nobody reads.

use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use podium_domain::{Country, Lang, Money};

const SOURCES: [(Lang, &str); 5] = [
    (Lang::En, include_str!("../../locales/en.ftl")),
    (Lang::Fr, include_str!("../../locales/fr.ftl")),
    (Lang::ZhHans, include_str!("../../locales/zh-Hans.ftl")),
    (Lang::Ja, include_str!("../../locales/ja.ftl")),
    (Lang::Ko, include_str!("../../locales/ko.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

pub struct I18n {
    /// One per entry of `SOURCES`, parsed when first needed (English at load).
    bundles: [OnceLock<Bundle>; SOURCES.len()],
}

/// A language's messages, or why they cannot be read.
fn bundle(lang: Lang, source: &str) -> Result<Bundle, String> {
    let resource = FluentResource::try_new(source.to_string())
        .map_err(|(_, errs)| format!("{} messages do not parse: {errs:?}", lang.tag()))?;
    let id = lang.tag().parse().map_err(|e| format!("bad language tag {}: {e}", lang.tag()))?;
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks would show up inside attributes and tests; our arguments are
    // names and codes, not bidirectional text.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).map_err(|errs| format!("{} messages clash: {errs:?}", lang.tag()))?;
    Ok(bundle)
}

impl I18n {
    /// Checks every language's messages and keeps English's.
    pub fn load() -> Result<I18n, String> {
        let bundles: [OnceLock<Bundle>; SOURCES.len()] = Default::default();
        for (slot, (lang, source)) in bundles.iter().zip(SOURCES) {
            let parsed = bundle(lang, source)?;
            if lang == Lang::En {
                let _ = slot.set(parsed);
            }
        }
        Ok(I18n { bundles })
    }

    fn bundle(&self, lang: Lang) -> Option<&Bundle> {
        let at = SOURCES.iter().position(|(l, _)| *l == lang)?;
        let (lang, source) = SOURCES[at];
        // `load` parsed this source already, so this cannot fail; if it did, the page would
        // show English rather than nothing.
        self.bundles[at]
            .get_or_init(|| bundle(lang, source).unwrap_or_else(|_| FluentBundle::new_concurrent(Vec::new())))
            .into()
    }

    fn format(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> Option<String> {
        let bundle = self.bundle(lang)?;
        let pattern = bundle.get_message(key)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        Some(text.into_owned())
    }

    pub fn message(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
        self.format(lang, key, args).or_else(|| self.format(Lang::En, key, args)).unwrap_or_else(|| key.to_string())
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).is_some_and(|b| b.has_message(key))
    }

    /// Every message id of a language, for completeness checks.
    pub fn ids(lang: Lang) -> Vec<&'static str> {
        SOURCES
            .iter()
            .filter(|(l, _)| *l == lang)
            .flat_map(|(_, src)| src.lines())
            .filter_map(|line| line.split_once(" = ").map(|(k, _)| k.trim()))
            .filter(|k| !k.is_empty() && !k.starts_with('#'))
            .collect()
    }
}

/// A translator bound to one request's language; what templates call.
#[derive(Clone)]
pub struct Tr {
    pub i18n: Arc<I18n>,
    pub lang: Lang,
    /// The reader's country where known (a visitor's ship-to, an order's address): money is
    /// written as readers there expect it ("$43.08" for Canadian dollars in Canada).
    pub region: Option<Country>,
}

impl Tr {
    /// A translator for `lang` with no particular country.
    pub fn new(i18n: Arc<I18n>, lang: Lang) -> Tr {
        Tr { i18n, lang, region: None }
    }

    /// An amount as this reader expects it (CLDR, see [`crate::kit::money_format`]).
    pub fn money(&self, m: Money) -> String {
        crate::kit::money_format::format(self.lang, self.region, m)
    }

    /// An amount in minor units of a currency given by its code (as orders keep them).
    pub fn money_of(&self, minor: i64, currency: &str) -> String {
        match podium_domain::Currency::parse(currency) {
            Ok(c) => self.money(Money::new(minor, c)),
            Err(_) => format!("{minor} {currency}"),
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.i18n.message(self.lang, key, None)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), value.to_string());
        self.i18n.message(self.lang, key, Some(&args))
    }

    /// A message with several arguments.
    pub fn tn(&self, key: &str, pairs: &[(&str, &str)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in pairs {
            args.set(name.to_string(), value.to_string());
        }
        self.i18n.message(self.lang, key, Some(&args))
    }

    /// A country's name in this language (the English name where no translation is kept).
    pub fn country(&self, c: Country) -> String {
        let key = format!("country-{}", c.code());
        if self.i18n.has(self.lang, &key) {
            self.t(&key)
        } else {
            c.english_name().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_exactly_the_english_messages() {
        let en: std::collections::BTreeSet<_> = I18n::ids(Lang::En).into_iter().collect();
        assert!(en.len() > 100);
        for lang in Lang::ALL {
            let ids: std::collections::BTreeSet<_> = I18n::ids(lang).into_iter().collect();
            let missing: Vec<_> = en.difference(&ids).collect();
            let extra: Vec<_> = ids.difference(&en).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.tag());
        }
    }

    #[test]
    fn languages_other_than_english_are_parsed_when_first_read() {
        let i18n = I18n::load().expect("messages load");
        let parsed = |i18n: &I18n| -> Vec<Lang> {
            SOURCES.iter().zip(&i18n.bundles).filter(|(_, b)| b.get().is_some()).map(|((l, _), _)| *l).collect()
        };
        assert_eq!(parsed(&i18n), vec![Lang::En]);
        let ja = i18n.message(Lang::Ja, "nav-sign-in", None);
        assert_ne!(ja, i18n.message(Lang::En, "nav-sign-in", None));
        assert_ne!(ja, "nav-sign-in");
        assert_eq!(parsed(&i18n), vec![Lang::En, Lang::Ja]);
    }

    #[test]
    fn messages_format_with_arguments_and_fall_back() {
        let i18n = Arc::new(I18n::load().expect("messages load"));
        let ko = Tr::new(i18n.clone(), Lang::Ko);
        assert_eq!(ko.t("nav-sign-in"), "로그인");
        assert_eq!(ko.t1("console-welcome", "name", "Mina"), "Mina 님, 환영합니다");
        assert_eq!(ko.t("no-such-message"), "no-such-message");
        let fr = Tr::new(i18n, Lang::Fr);
        assert_eq!(fr.country(Country::parse("JP").expect("jp")), "Japon");
        assert_eq!(fr.country(Country::parse("PE").expect("pe")), "Peru", "untranslated names fall back to English");
    }

    #[test]
    fn translations_differ_from_english() {
        // Words that are the same in some languages; anything else identical to English is
        // most likely an untranslated message.
        const SAME_IN_SOME: &[&str] = &[
            "site-name",
            "checkout-total",
            "checkout-email",
            "order-paid-total",
            "role-fan",
            "rates-date",
            "rates-source",
            "product-gtin",
            "category-t-shirts",
            "category-mugs",
            "pager-label",
            "shop-title",
            "col-actions",
            "field-body",
            "field-option-value",
            "images-title",
            "field-sku",
            "stage-concept",
            "stage-production",
            "stage-final",
            "field-description",
            "codes-quantity",
            "codes-csv",
            "audit-what",
            "wait-one-minutes",
            "shipping-zone",
            // "Menu" and "Organisation" are French too, and "IBAN" is the French word.
            "nav-menu",
            "bank-iban",
            "console-org-name",
        ];
        let i18n = I18n::load().expect("messages load");
        for lang in [Lang::Fr, Lang::ZhHans, Lang::Ja, Lang::Ko] {
            let same: Vec<&str> = I18n::ids(Lang::En)
                .into_iter()
                .filter(|k| !k.starts_with("country-") && !SAME_IN_SOME.contains(k))
                .filter(|k| i18n.message(lang, k, None) == i18n.message(Lang::En, k, None))
                .collect();
            assert!(same.is_empty(), "{}: still English: {same:?}", lang.tag());
        }
    }
}
