//! The checkout's address rules per country (DESIGN §3.7): the domain's format of the ship-to
//! country (region, postal code, phone), and Korea's personal customs clearance code when the
//! order is a Korean import.

use podium_domain::address::{self, AddressProblem, Fields};
use podium_domain::Country;

use crate::orders::Address;

fn fields(a: &Address) -> Fields<'_> {
    Fields {
        name: &a.name,
        line1: &a.line1,
        line2: &a.line2,
        city: &a.city,
        region: &a.region,
        postal_code: &a.postal_code,
        phone: &a.phone,
        customs_code: &a.customs_code,
    }
}

fn field(p: &AddressProblem) -> &'static str {
    match p.field() {
        "region" => "shipping_address.region",
        "postal_code" => "shipping_address.postal_code",
        "phone" => "shipping_address.phone",
        _ => "shipping_address.customs_code",
    }
}

/// Checks the country's fields; on success returns the address with its region as stored
/// (`new york` → `NY`). Err: (field, why).
pub fn check(a: &Address, phone_required: bool) -> Result<Address, (&'static str, String)> {
    let Ok(country) = Country::parse(&a.country) else { return Ok(a.clone()) };
    address::check(country, &fields(a), phone_required).map_err(|p| {
        let why = match (&p, p.field()) {
            (AddressProblem::Missing(_), _) => "is required".to_string(),
            (_, "region") => format!("is not a {} of this country", address::format(country).region.as_str()),
            (_, "postal_code") => "is not a postal code of this country".to_string(),
            (_, "phone") => "is not a phone number (6 to 20 digits)".to_string(),
            _ => "is not a personal customs clearance code (P and 12 digits)".to_string(),
        };
        (field(&p), why)
    })?;
    let mut out = a.clone();
    out.region = address::normalize_region(country, &a.region).unwrap_or_default();
    out.postal_code = a.postal_code.trim().to_string();
    out.phone = a.phone.trim().to_string();
    out.customs_code = a.customs_code.trim().to_uppercase();
    Ok(out)
}

/// Korea's customs want the buyer's personal customs clearance code on every import: required
/// when the order ships to Korea from a shop outside it.
pub fn check_import(a: &Address, ship_from: &[Country]) -> Result<(), (&'static str, String)> {
    let Ok(to) = Country::parse(&a.country) else { return Ok(()) };
    if address::customs_code_required(to, ship_from) && a.customs_code.trim().is_empty() {
        return Err(("shipping_address.customs_code", "is required for an import into Korea".into()));
    }
    Ok(())
}

/// The address as its country's post prints it; `country_name` in the reader's language.
pub fn lines(a: &Address, country_name: &str) -> Vec<String> {
    match Country::parse(&a.country) {
        Ok(c) => address::lines(c, &fields(a), country_name),
        Err(_) => [&a.name, &a.line1, &a.line2, &a.city, &a.postal_code]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect(),
    }
}
