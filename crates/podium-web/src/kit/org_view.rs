//! An organisation as a card or table row shows it.

use crate::kit::i18n::Tr;
use podium_app::Org;
use podium_domain::Country;

/// An organisation as a card or table row shows it.
pub(crate) struct OrgView {
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) place: String,
    pub(crate) currency: String,
}

pub(crate) fn org_view(tr: &Tr, o: &Org) -> OrgView {
    let place = Country::parse(&o.country).map(|c| tr.country(c)).unwrap_or_else(|_| o.country.clone());
    OrgView {
        slug: o.slug.clone(),
        name: o.name.clone(),
        place: tr.t1("home-shop-based-in", "country", &place),
        currency: o.currency.clone(),
    }
}
