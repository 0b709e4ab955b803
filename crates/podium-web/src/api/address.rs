//! The API's shipping address: what a checkout sends and what an order shows, with the fields a
//! country's post and customs need (region, the courier's phone, Korea's customs code).

use podium_app::orders::Address;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct AddressBody {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    /// Required for AU, CA, CN, JP, KR and US, in the country's shape (US `10118` or `10118-0110`,
    /// JP `100-0005`, KR `04524`, CN `100000`).
    #[serde(default)]
    pub postal_code: String,
    /// Must be the cart's country (the cart was priced for it).
    pub country: String,
    /// The state, prefecture or province: required for US (`NY`), JP (`東京都`), CN (`北京市`),
    /// CA (`QC`) and AU (`VIC`); the name is accepted too (`New York`).
    #[serde(default)]
    pub region: Option<String>,
    /// A phone number for the courier (6 to 20 digits; `+`, spaces and `-` allowed). Optional in
    /// the API for the clients written before it was asked; the storefront requires it.
    #[serde(default)]
    pub phone: Option<String>,
    /// Korea's personal customs clearance code (`P` and 12 digits): required when the cart
    /// ships to Korea from a shop outside Korea.
    #[serde(default)]
    pub customs_code: Option<String>,
}

impl AddressBody {
    /// The address for the cart's country.
    pub fn into_address(self, country: &str) -> Address {
        Address {
            name: self.name,
            line1: self.line1,
            line2: self.line2,
            city: self.city,
            postal_code: self.postal_code,
            country: country.to_string(),
            region: self.region.unwrap_or_default(),
            phone: self.phone.unwrap_or_default(),
            customs_code: self.customs_code.unwrap_or_default(),
        }
    }
}

/// Where an order goes.
#[derive(Serialize, ToSchema)]
pub struct ShipToJson {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// The state, prefecture or province as stored (`NY`, `東京都`); empty when not given.
    pub region: String,
    pub country: String,
    /// The courier's phone; empty for an order placed without one through the API.
    pub phone: String,
    /// Korea's personal customs clearance code, for a Korean import; empty otherwise.
    pub customs_code: String,
    /// The address as the country's post prints it, in English.
    pub lines: Vec<String>,
}

pub fn ship_to_json(a: &Address) -> ShipToJson {
    let country = podium_domain::Country::parse(&a.country).map(|c| c.english_name()).unwrap_or_default();
    ShipToJson {
        name: a.name.clone(),
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        postal_code: a.postal_code.clone(),
        region: a.region.clone(),
        country: a.country.clone(),
        phone: a.phone.clone(),
        customs_code: a.customs_code.clone(),
        lines: podium_app::shipping_address::lines(a, country),
    }
}
