//! Demo shipping profiles: each shop ships at home, to its region and (all but one) to the rest of
//! the world, with rates a small workshop would charge, in its own currency; pins and keyrings go
//! as small parcels on a cheaper profile. Savannah Stitch ships to East Africa, Europe and North
//! America only, so its products are not offered elsewhere.

use podium_domain::fx::convert_minor;
use podium_domain::shipping::{parse_countries, ShippingProfile, Zone};
use podium_domain::{Country, Currency, Money, RateTable};

use crate::ports::{Store, StoreError};

/// (shop, its region's name, the region's countries, ships to the rest of the world)
const REGIONS: &[(&str, &str, &str, bool)] = &[
    ("hanok-threads", "East Asia", "JP CN TW HK SG", true),
    ("kumo-craft", "East Asia", "KR CN TW HK SG", true),
    ("jade-lantern", "Asia", "HK MO TW KR JP SG", true),
    ("rocky-ridge", "North America", "CA MX", true),
    ("thames-pin", "Europe", "FR DE NL IT ES IE BE", true),
    ("atelier-chamonix", "Europe", "DE IT ES NL BE LU AT PT IE GB CH", true),
    ("savannah-stitch", "East Africa", "UG TZ RW ET", false),
    ("southern-cross", "Oceania", "NZ", true),
];

/// Savannah Stitch's long-haul zone in place of the rest of the world.
const SAVANNAH_FAR: &str = "GB FR DE NL IT ES BE IE US CA";

/// Rates in EUR cents (flat, per extra item) and days, converted into each shop's currency.
const HOME: (i64, i64, u16, u16) = (450, 100, 1, 3);
const REGION: (i64, i64, u16, u16) = (900, 200, 4, 8);
const WORLD: (i64, i64, u16, u16) = (1400, 300, 7, 14);
const SMALL_HOME: (i64, i64, u16, u16) = (200, 50, 2, 4);
const SMALL_WORLD: (i64, i64, u16, u16) = (500, 100, 7, 21);

/// Rounds to two significant figures, as a shop would write a rate.
fn round_rate(minor: i64) -> i64 {
    if minor < 100 {
        return minor;
    }
    let mut step = 1;
    while minor / step >= 100 {
        step *= 10;
    }
    ((minor + step / 2) / step) * step
}

fn zone(
    name: &str,
    countries: &str,
    rates: (i64, i64, u16, u16),
    currency: Currency,
    fx: &RateTable,
) -> Result<Zone, StoreError> {
    let per_eur = fx.get(currency).map(|r| r.per_eur).unwrap_or(rust_decimal::Decimal::ONE);
    let local = |eur_cents: i64| {
        convert_minor(eur_cents, Currency::EUR, rust_decimal::Decimal::ONE, currency, per_eur)
            .map(|m| Money::new(round_rate(m), currency))
            .map_err(|e| StoreError::Backend(e.to_string()))
    };
    let rest_of_world = countries == "*";
    Ok(Zone {
        name: name.into(),
        countries: if rest_of_world {
            Vec::new()
        } else {
            parse_countries(countries).map_err(|c| StoreError::Backend(format!("demo zone country {c}")))?
        },
        rest_of_world,
        flat: local(rates.0)?,
        per_item: local(rates.1)?,
        days_min: rates.2,
        days_max: rates.3,
    })
}

/// Replaces each demo shop's default profile and assigns pins and keyrings to a small-parcel
/// profile. Returns how many profiles were saved.
pub async fn seed(store: &dyn Store, fx: &RateTable) -> Result<usize, StoreError> {
    let mut saved = 0;
    for (slug, region, countries, world) in REGIONS {
        let shop = store.org_by_slug(slug).await?.ok_or(StoreError::NotFound("demo shop"))?;
        let currency = Currency::parse(&shop.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        let home = Country::parse(&shop.country).map_err(|e| StoreError::Backend(e.to_string()))?;
        let existing = store.shipping_profiles(&shop.id).await?;
        let default_id = existing.iter().find(|p| p.is_default).map(|p| p.id.clone()).unwrap_or_default();
        let mut zones = vec![
            zone(home.english_name(), home.code(), HOME, currency, fx)?,
            zone(region, countries, REGION, currency, fx)?,
        ];
        zones.push(match world {
            true => zone("Rest of the world", "*", WORLD, currency, fx)?,
            false => zone("Europe and North America", SAVANNAH_FAR, WORLD, currency, fx)?,
        });
        let standard = ShippingProfile { id: default_id, name: "Standard".into(), is_default: true, zones };
        store.save_shipping_profile(&shop.id, &standard).await?;
        let far = if *world { "*" } else { SAVANNAH_FAR };
        let small = ShippingProfile {
            id: String::new(),
            name: "Small parcel".into(),
            is_default: false,
            zones: vec![
                zone(home.english_name(), home.code(), SMALL_HOME, currency, fx)?,
                zone(if *world { "Rest of the world" } else { "Abroad" }, far, SMALL_WORLD, currency, fx)?,
            ],
        };
        let small = store.save_shipping_profile(&shop.id, &small).await?;
        saved += 2;
        let ids = store.product_ids_of_shop(&shop.id).await?;
        let products = store.products_by_ids(&ids).await?;
        let small_items: Vec<String> = products
            .into_iter()
            .filter(|p| p.category_slug == "pins-and-badges" || p.handle.ends_with("-keyring"))
            .map(|p| p.id)
            .collect();
        store.assign_shipping_profile(&shop.id, &small_items, Some(&small.id)).await?;
    }
    Ok(saved)
}
