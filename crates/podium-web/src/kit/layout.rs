//! The data every storefront page shares: the header's selectors, the account menu, notices.

use podium_domain::currency::STOREFRONT;
use podium_domain::{Country, Currency, Lang};

use crate::kit::context::{Fallback, Visitor};
use crate::kit::i18n::Tr;

/// Countries offered in the ship-to selector (any ISO code still works via `?country=`).
const SHIP_TO: &[&str] = &[
    "AE", "AT", "AU", "BE", "BR", "CA", "CH", "CN", "DE", "DK", "ES", "FI", "FR", "GB", "HK", "IE", "IN", "IT", "JP",
    "KE", "KR", "MX", "NL", "NO", "NZ", "PT", "SE", "SG", "US", "ZA",
];

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// A second line of text where a list shows one.
    pub extra: String,
}

pub struct Layout {
    pub tr: Tr,
    pub lang_tag: &'static str,
    pub countries: Vec<Opt>,
    pub currencies: Vec<Opt>,
    pub langs: Vec<Opt>,
    pub user_name: Option<String>,
    pub csrf: String,
    pub notices: Vec<String>,
    pub path: String,
    pub q: String,
    /// Page state the preferences form carries along (name in `value`, value in `label`), so
    /// changing currency on a product page keeps the chosen variant.
    pub keep: Vec<Opt>,
    /// What the `<head>` says about the page (see [`crate::kit::head`]).
    pub head: crate::kit::head::Head,
}

impl Layout {
    pub fn new(v: &Visitor) -> Layout {
        Layout::with_query(v, "")
    }

    pub fn with_query(v: &Visitor, q: &str) -> Layout {
        let tr = v.tr.clone();
        let p = &v.prefs;
        let mut countries: Vec<Opt> = SHIP_TO
            .iter()
            .filter_map(|c| Country::parse(c).ok())
            .chain((!SHIP_TO.contains(&p.country.code())).then_some(p.country))
            .map(|c| Opt {
                value: c.code().to_string(),
                label: tr.country(c),
                selected: c == p.country,
                extra: String::new(),
            })
            .collect();
        countries.sort_by(|a, b| a.label.cmp(&b.label));

        let auto = p.country.default_currency();
        let mut currencies = vec![Opt {
            value: String::new(),
            label: tr.t1("nav-currency-auto", "currency", auto.code()),
            selected: !p.currency_explicit,
            extra: String::new(),
        }];
        let listed: Vec<Currency> = STOREFRONT
            .iter()
            .filter_map(|c| Currency::parse(c).ok())
            .chain((!STOREFRONT.contains(&p.currency.code())).then_some(p.currency))
            .collect();
        currencies.extend(listed.into_iter().map(|c| Opt {
            value: c.code().to_string(),
            label: match c.symbol() {
                "" => c.code().to_string(),
                s if s == c.code() => c.code().to_string(),
                s => format!("{} {s}", c.code()),
            },
            selected: p.currency_explicit && c == p.currency,
            extra: String::new(),
        }));

        let langs = Lang::ALL
            .iter()
            .map(|l| Opt {
                value: l.tag().to_string(),
                label: l.native_name().to_string(),
                selected: *l == p.lang,
                extra: String::new(),
            })
            .collect();

        let notices = p
            .fallbacks
            .iter()
            .map(|f| match f {
                Fallback::Lang(v) => tr.t1("notice-fallback-lang", "value", v),
                Fallback::Country(v) => {
                    let used = tr.country(p.country);
                    tr.tn("notice-fallback-country", &[("value", v), ("used", &used)])
                }
                Fallback::Currency(v) => {
                    tr.tn("notice-fallback-currency", &[("value", v), ("used", p.currency.code())])
                }
            })
            .collect();

        Layout {
            lang_tag: p.lang.tag(),
            countries,
            currencies,
            langs,
            user_name: v.principal.as_ref().map(|p| p.user.display_name.clone()),
            csrf: v.csrf_token.clone(),
            notices,
            path: v.path.clone(),
            q: q.to_string(),
            keep: Vec::new(),
            head: crate::kit::head::Head::new(v),
            tr,
        }
    }
}
