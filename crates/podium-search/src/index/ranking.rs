//! Ranking and what is stored: listing prices per currency, which products are indexed, the top
//! of a result (with the shop-diversity re-rank) and the summary as stored in the index.

use crate::index::catalog::{Catalog, Compact};
use crate::index::{Extra, Pricing, ShipsTo, Summary};
use podium_app::catalogue::ProductRecord;
use podium_app::storefront;
use podium_domain::landed::DisplayPricer;
use podium_domain::licensing::{SaleWindow, Territory};
use podium_domain::rounding::Step;
use podium_domain::{Country, Currency, Lang, Money, RateTable};
use std::borrow::Cow;
use std::collections::HashMap;

/// The lowest variant price (explicit, else converted at the indexing rates, which a rates
/// change rebuilds) in every currency that some variant has an explicit price in.
pub(crate) fn explicit_from_prices(p: &ProductRecord, rates: &RateTable) -> Vec<Money> {
    let mut currencies: Vec<Currency> =
        p.variants.iter().flat_map(|v| v.explicit_prices.iter().map(|m| m.currency)).collect();
    currencies.sort_unstable();
    currencies.dedup();
    currencies.into_iter().filter_map(|c| storefront::from_price(p, c, rates).ok().flatten()).collect()
}

/// A query's pricing worked out once: the conversion from EUR, and per shop country and HS
/// code what the display price needs, so each match costs a few integer operations.
pub(crate) struct ListingPricer<'a> {
    pub(crate) pricing: Option<(&'a Pricing, DisplayPricer<'a>)>,
    /// From each shop currency met so far into the presentment currency.
    pub(crate) conversions: Vec<(Currency, Option<podium_domain::fx::Conversion>)>,
    pub(crate) domestic: Vec<bool>,
    pub(crate) duty: Vec<u32>,
    /// Per shop slot, the display rounding step it set for the query's currency.
    pub(crate) steps: Vec<Option<Step>>,
}

impl<'a> ListingPricer<'a> {
    pub(crate) fn new(pricing: Option<&'a Pricing>, catalog: &Catalog) -> ListingPricer<'a> {
        let ready = pricing.and_then(|p| {
            let pricer = DisplayPricer::new(&p.rules, p.ship_to, p.currency, p.date, &p.rates).ok()?;
            Some((p, pricer))
        });
        let (domestic, duty) = match &ready {
            Some((_, pricer)) => (
                catalog.countries.names.iter().map(|c| Country::parse(c).is_ok_and(|c| pricer.domestic(c))).collect(),
                catalog.hs_codes.names.iter().map(|hs| pricer.duty_bp(hs)).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let conversions = match &ready {
            Some((p, _)) => catalog.currencies.iter().map(|c| (*c, p.rates.conversion(*c, p.currency).ok())).collect(),
            None => Vec::new(),
        };
        let steps = match &ready {
            Some((p, _)) if !p.steps.is_empty() => catalog
                .shops
                .names
                .iter()
                .map(|shop| p.steps.iter().find(|(s, _)| s == shop).map(|(_, step)| *step))
                .collect(),
            _ => Vec::new(),
        };
        ListingPricer { pricing: ready, conversions, domestic, duty, steps }
    }

    /// The product's display price in the query's currency (its EUR net price without pricing).
    pub(crate) fn price(&self, catalog: &Catalog, slot: u32, c: &Compact) -> i64 {
        let Some((pricing, pricer)) = &self.pricing else { return c.price_eur };
        if c.native == i64::MAX {
            return i64::MAX;
        }
        let explicit = c
            .explicit
            .then(|| catalog.explicit.get(&slot))
            .flatten()
            .and_then(|prices| prices.iter().find(|m| m.currency == pricing.currency))
            .map(|m| m.minor);
        let conversion = self.conversions.iter().find(|(cur, _)| *cur == c.native_currency).and_then(|(_, conv)| *conv);
        // A converted price is rounded up to the shop's step, as `storefront::shop_price` rounds
        // it for the page, the quote and the order; an explicit price stands as set.
        let converted = || {
            let net = conversion?.apply(c.native).ok()?;
            Some(match self.steps.get(c.shop as usize).copied().flatten() {
                Some(step) if c.native_currency != pricing.currency => {
                    step.round_up(Money::new(net, pricing.currency)).minor
                }
                _ => net,
            })
        };
        let Some(net) = explicit.or_else(converted) else { return i64::MAX };
        let domestic = self.domestic.get(c.country as usize).copied().unwrap_or(false);
        let duty = self.duty.get(c.hs as usize).copied().unwrap_or(0);
        pricer.price_with(domestic, duty, net)
    }

    pub(crate) fn money(&self, minor: i64) -> Option<Money> {
        let (pricing, _) = self.pricing.as_ref()?;
        (minor != i64::MAX).then(|| Money::new(minor, pricing.currency))
    }
}

/// The index holds what fans may see (`storefront::is_public`: live, approved, with variants);
/// whether a licence covers them is checked per query.
pub(crate) fn indexable(p: &ProductRecord) -> bool {
    podium_app::storefront::is_public(p)
}

/// Puts the `n` smallest keys, in order, at the front: a partial selection, then a sort of
/// only that part.
pub(crate) fn sorted_top(keys: &mut [(i64, i64, u32)], n: usize) {
    if n == 0 {
        return;
    }
    if n < keys.len() {
        keys.select_nth_unstable(n - 1);
    }
    keys[..n].sort_unstable();
}

/// The first `end` slots of the shop-diversified order. The re-rank reads a sorted prefix a
/// few pages long and the per-shop counts of everything after it; only when that prefix
/// cannot settle the page (one shop dominating deep into the list) does it read further.
pub(crate) fn diversified_top(
    keys: &mut [(i64, i64, u32)],
    end: usize,
    catalog: &Catalog,
    per_shop: &[u64],
) -> Vec<u32> {
    let mut n = (end * 4).max(256);
    loop {
        let n_now = n.min(keys.len());
        sorted_top(keys, n_now);
        let prefix: Vec<u32> = keys[..n_now].iter().map(|k| catalog.compact[k.2 as usize].shop).collect();
        let mut beyond: HashMap<u32, usize> =
            per_shop.iter().enumerate().filter(|(_, c)| **c > 0).map(|(shop, c)| (shop as u32, *c as usize)).collect();
        for s in &prefix {
            if let Some(c) = beyond.get_mut(s) {
                *c = c.saturating_sub(1);
            }
        }
        beyond.retain(|_, c| *c > 0);
        if let Some(order) = podium_domain::ranking::diversify_prefix(&prefix, &beyond, end) {
            return order.into_iter().map(|i| keys[i].2).collect();
        }
        n *= 4;
    }
}

/// The stored form of a summary: compact JSON written and read without an intermediate tree.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredSummary<'a> {
    #[serde(borrow)]
    pub(crate) id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) slug: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) shop: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) shop_country: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) property: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) categories: Vec<Cow<'a, str>>,
    pub(crate) price_eur: i64,
    pub(crate) created: i64,
    pub(crate) in_stock: bool,
    #[serde(borrow)]
    pub(crate) titles: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    #[serde(borrow)]
    pub(crate) fallback: Cow<'a, str>,
    /// (territory as text, from, until) per window.
    #[serde(default)]
    pub(crate) windows: Vec<(String, i64, i64)>,
    #[serde(borrow, default)]
    pub(crate) hs: Cow<'a, str>,
    /// `*`, or the covered countries separated by commas.
    #[serde(borrow, default)]
    pub(crate) ships: Cow<'a, str>,
    #[serde(default)]
    pub(crate) native: Option<(String, i64)>,
    /// (currency, minor) per explicit lowest price.
    #[serde(default)]
    pub(crate) explicit: Vec<(String, i64)>,
}

pub(crate) fn encode_summary(s: &Summary, extra: &Extra) -> String {
    let stored = StoredSummary {
        id: Cow::Borrowed(&s.id),
        slug: Cow::Borrowed(&s.slug),
        shop: Cow::Borrowed(&s.shop),
        shop_country: Cow::Borrowed(&s.shop_country),
        property: Cow::Borrowed(&s.property),
        categories: s.categories.iter().map(|c| Cow::Borrowed(c.as_str())).collect(),
        price_eur: s.price_eur,
        created: s.created,
        in_stock: s.in_stock,
        titles: s.titles.iter().map(|(l, t)| (Cow::Borrowed(l.tag()), Cow::Borrowed(t.as_str()))).collect(),
        fallback: Cow::Borrowed(s.fallback.tag()),
        windows: extra.windows.iter().map(|w| (w.territory.to_string(), w.from_us, w.until_us)).collect(),
        hs: Cow::Borrowed(&extra.hs_code),
        ships: Cow::Owned(extra.ships_to.encode()),
        native: extra.native.map(|m| (m.currency.code().to_string(), m.minor)),
        explicit: extra.explicit.iter().map(|m| (m.currency.code().to_string(), m.minor)).collect(),
    };
    serde_json::to_string(&stored).unwrap_or_default()
}

pub(crate) fn decode_summary(json: &str) -> Option<(Summary, Extra)> {
    let s: StoredSummary = serde_json::from_str(json).ok()?;
    let extra = Extra {
        windows: s
            .windows
            .into_iter()
            .filter_map(|(t, from_us, until_us)| {
                Some(SaleWindow { territory: Territory::parse(&t).ok()?, from_us, until_us })
            })
            .collect(),
        hs_code: s.hs.into_owned(),
        ships_to: ShipsTo::decode(&s.ships),
        native: s.native.and_then(|(c, minor)| Some(Money::new(minor, Currency::parse(&c).ok()?))),
        explicit: s
            .explicit
            .into_iter()
            .filter_map(|(c, minor)| Some(Money::new(minor, Currency::parse(&c).ok()?)))
            .collect(),
    };
    let summary = Summary {
        id: s.id.into_owned(),
        slug: s.slug.into_owned(),
        shop: s.shop.into_owned(),
        shop_country: s.shop_country.into_owned(),
        property: s.property.into_owned(),
        categories: s.categories.into_iter().map(Cow::into_owned).collect(),
        price_eur: s.price_eur,
        created: s.created,
        in_stock: s.in_stock,
        titles: s.titles.into_iter().filter_map(|(l, t)| Some((Lang::from_tag(&l)?, t.into_owned()))).collect(),
        fallback: Lang::from_tag(&s.fallback)?,
        price: None,
        native: None,
    };
    Some((summary, extra))
}
