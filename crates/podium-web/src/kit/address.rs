//! The checkout's address step per ship-to country: the fields that country's post needs (a US
//! state, a Japanese prefecture…), the courier's phone, Korea's customs code for an import, each
//! error beside its field, and the address printed in the country's layout.

use podium_app::orders::Address;
use podium_app::shipping_address;
use podium_domain::address::{self, RegionKind};
use podium_domain::Country;
use serde::Deserialize;

use crate::kit::i18n::Tr;

pub(crate) struct AddressView {
    pub email: String,
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
    pub phone: String,
    pub customs_code: String,
    /// "State", "Prefecture"… in the reader's language.
    pub region_label: String,
    pub region_required: bool,
    /// (value, name) of the country's regions; empty: a text field.
    pub regions: Vec<(String, String)>,
    pub postal_required: bool,
    /// Whether the order is a Korean import (the customs code is asked).
    pub customs_needed: bool,
    /// The field the error is about (`region`, `phone`…) and what it says.
    pub error_field: String,
    pub error_text: String,
    /// The address as the country's post prints it.
    pub printed: Vec<String>,
}

impl AddressView {
    pub fn new(tr: &Tr, email: &str, a: &Address, customs_needed: bool) -> AddressView {
        let country = Country::parse(&a.country).ok();
        let format = country.map(address::format);
        let kind = format.map(|f| f.region).unwrap_or(RegionKind::Region);
        AddressView {
            email: email.to_string(),
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            region: a.region.clone(),
            phone: a.phone.clone(),
            customs_code: a.customs_code.clone(),
            region_label: tr.t(&format!("checkout-region-{}", kind.as_str())),
            region_required: format.is_some_and(|f| f.region_required),
            regions: format
                .map(|f| f.regions.iter().map(|(v, n)| (v.to_string(), n.to_string())).collect())
                .unwrap_or_default(),
            postal_required: format.is_some_and(|f| f.postal_required),
            customs_needed: customs_needed || !a.customs_code.is_empty(),
            error_field: String::new(),
            error_text: String::new(),
            printed: printed(tr, a),
        }
    }

    /// The view with the error beside `field` (`shipping_address.phone` or `phone`).
    pub fn with_error(self, tr: &Tr, field: &str, why: &str) -> AddressView {
        let field = field.trim_start_matches("shipping_address.");
        let key = match field {
            "postal_code" if !why.contains("longer") => "checkout-error-postal-shape".to_string(),
            "phone" if why.contains("required") => "checkout-error-phone-missing".to_string(),
            "customs_code" if why.contains("required") => "checkout-error-customs-missing".to_string(),
            "region" if why.contains("required") => {
                let text = tr.t1("checkout-error-region-missing", "region", &self.region_label);
                return self.error(field, text);
            }
            f => format!("checkout-error-{f}"),
        };
        self.error(field, tr.t(&key))
    }

    fn error(mut self, field: &str, text: String) -> AddressView {
        self.error_field = field.to_string();
        self.error_text = text;
        self
    }

    /// The printed address on one line, for the later steps.
    pub fn one_line(&self) -> String {
        self.printed.join(", ")
    }
}

/// The address as its country's post prints it, the country named in the reader's language.
pub(crate) fn printed(tr: &Tr, a: &Address) -> Vec<String> {
    let country = Country::parse(&a.country).map(|c| tr.country(c)).unwrap_or_default();
    shipping_address::lines(a, &country)
}

#[derive(Deserialize)]
pub(crate) struct AddressForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub customs_code: String,
}

impl AddressForm {
    pub fn address(&self, country: &str, max: usize) -> Address {
        let clip = |s: &str| s.trim().chars().take(max + 1).collect::<String>();
        Address {
            name: clip(&self.name),
            line1: clip(&self.line1),
            line2: clip(&self.line2),
            city: clip(&self.city),
            postal_code: clip(&self.postal_code),
            country: country.to_string(),
            region: clip(&self.region),
            phone: clip(&self.phone),
            customs_code: clip(&self.customs_code),
        }
    }
}

/// The countries a priced cart ships from.
pub(crate) fn ship_from(q: Option<&podium_app::quote::Quote>) -> Vec<Country> {
    q.map(|q| q.consignments.iter().map(|c| c.ship_from).collect()).unwrap_or_default()
}
