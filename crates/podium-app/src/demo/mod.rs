//! The demo marketplace: a deterministic set of licensors, shops, accounts and FX rates that
//! `podium demo` creates in an empty database. Later capabilities add their data here.

use std::str::FromStr;

use podium_domain::role::OrgKind;
use podium_domain::{Currency, Rate};
use rust_decimal::Decimal;
use time::OffsetDateTime;

mod catalogue;
pub use catalogue::generate_from;
mod catalogue_data;
mod drops;
mod licensing;
pub mod orders;
mod shipping;
mod stories;

use crate::accounts;
use crate::ports::{NewOrg, Store, StoreError};

/// A demo organisation: (slug, name, ISO country, currency).
type OrgSpec = (&'static str, &'static str, &'static str, &'static str);

pub const LICENSORS: &[OrgSpec] = &[
    ("olympic-committee", "International Olympic Committee", "CH", "CHF"),
    ("pyeongchang-2018", "PyeongChang 2018 Organising Committee", "KR", "KRW"),
    ("team-kenya", "National Olympic Committee of Kenya", "KE", "KES"),
    ("amsterdam-1928", "Olympic Heritage — Amsterdam 1928", "NL", "EUR"),
];

pub const SHOPS: &[OrgSpec] = &[
    ("hanok-threads", "Hanok Threads", "KR", "KRW"),
    ("kumo-craft", "Kumo Craft Tokyo", "JP", "JPY"),
    ("jade-lantern", "Jade Lantern Studio", "CN", "CNY"),
    ("rocky-ridge", "Rocky Ridge Outfitters", "US", "USD"),
    ("thames-pin", "Thames Pin & Badge Co.", "GB", "GBP"),
    ("atelier-chamonix", "Atelier Chamonix", "FR", "EUR"),
    ("savannah-stitch", "Savannah Stitch Nairobi", "KE", "KES"),
    ("southern-cross", "Southern Cross Supply", "AU", "AUD"),
];

pub const OPERATOR: OrgSpec = ("podium-operations", "Podium Operations", "NL", "EUR");

/// One sign-in per role, printed when the demo starts.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    /// The organisation the account belongs to, if any.
    pub org: Option<&'static str>,
}

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount { role: "fan", email: "fan@podium.example", password: "fan-demo-2026", name: "Mina Park", org: None },
    DemoAccount {
        role: "merchant",
        email: "merchant@podium.example",
        password: "merchant-demo-2026",
        name: "Ji-woo Han",
        org: Some("hanok-threads"),
    },
    DemoAccount {
        role: "licensor",
        email: "licensor@podium.example",
        password: "licensor-demo-2026",
        name: "Wanjiru Kamau",
        org: Some("team-kenya"),
    },
    DemoAccount {
        role: "operator",
        email: "operator@podium.example",
        password: "operator-demo-2026",
        name: "Lotte de Vries",
        org: Some("podium-operations"),
    },
];

/// Illustrative reference rates per 1 EUR (ECB-style), with KES entered by hand as the ECB
/// does not publish it.
const RATES: &[(&str, &str, &str)] = &[
    ("USD", "1.0565", "ECB"),
    ("JPY", "161.25", "ECB"),
    ("GBP", "0.83630", "ECB"),
    ("KRW", "1478.94", "ECB"),
    ("CNY", "7.6512", "ECB"),
    ("AUD", "1.6234", "ECB"),
    ("CAD", "1.4781", "ECB"),
    ("CHF", "0.9321", "ECB"),
    ("INR", "89.2115", "ECB"),
    ("HKD", "8.2229", "ECB"),
    ("SGD", "1.4171", "ECB"),
    ("NZD", "1.7960", "ECB"),
    ("SEK", "11.5105", "ECB"),
    ("NOK", "11.7270", "ECB"),
    ("DKK", "7.4589", "ECB"),
    ("KES", "136.50", "operator: Central Bank of Kenya indicative rate"),
];

#[derive(Debug)]
pub enum Seeded {
    /// Created, with this many products.
    Created {
        products: usize,
    },
    AlreadyThere,
}

/// Creates the demo marketplace if the database holds no users; otherwise leaves it alone.
pub async fn seed(store: &dyn Store, now: OffsetDateTime) -> Result<Seeded, StoreError> {
    if store.count_users().await? > 0 {
        return Ok(Seeded::AlreadyThere);
    }
    let mut specs: Vec<(OrgKind, &OrgSpec)> = Vec::new();
    specs.extend(LICENSORS.iter().map(|s| (OrgKind::Licensor, s)));
    specs.extend(SHOPS.iter().map(|s| (OrgKind::Shop, s)));
    specs.push((OrgKind::Operator, &OPERATOR));
    for (kind, (slug, name, country, currency)) in specs {
        if store.org_by_slug(slug).await?.is_none() {
            let org = NewOrg {
                kind,
                slug: slug.to_string(),
                name: name.to_string(),
                country: country.to_string(),
                currency: currency.to_string(),
            };
            crate::orgs::create_org(store, org).await.map_err(|e| match e {
                crate::orgs::OrgError::Store(e) => e,
                other => StoreError::Backend(format!("demo organisation {slug}: {other}")),
            })?;
        }
    }
    for account in ACCOUNTS {
        let user = accounts::sign_up(store, account.email, account.password, account.name)
            .await
            .map_err(|e| StoreError::Backend(format!("demo account {}: {e}", account.email)))?;
        if let Some(slug) = account.org {
            let org = store.org_by_slug(slug).await?.ok_or(StoreError::NotFound("demo organisation"))?;
            store.add_membership(&user.id, &org.id).await?;
            if org.kind == OrgKind::Operator {
                store.set_operator(&user.id, true).await?;
            }
        }
    }
    let date = (now - time::Duration::days(1)).date();
    let rates: Vec<Rate> = RATES
        .iter()
        .filter_map(|(code, rate, source)| {
            Some(Rate {
                currency: Currency::parse(code).ok()?,
                per_eur: Decimal::from_str(rate).ok()?,
                date,
                source: source.to_string(),
            })
        })
        .collect();
    store.save_rates(&rates).await?;
    let fx = podium_domain::RateTable::new(rates);
    let products = catalogue::seed(store, now, &fx).await?;
    shipping::seed(store, &fx).await?;
    licensing::seed(store, now).await?;
    stories::seed(store, now).await?;
    drops::seed(store, now).await?;
    Ok(Seeded::Created { products })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_covers_the_required_countries_and_roles() {
        let countries: Vec<&str> = SHOPS.iter().map(|s| s.2).collect();
        for c in ["KR", "JP", "CN", "US", "GB", "FR", "KE", "AU"] {
            assert!(countries.contains(&c), "a shop in {c}");
        }
        let roles: Vec<&str> = ACCOUNTS.iter().map(|a| a.role).collect();
        assert_eq!(roles, ["fan", "merchant", "licensor", "operator"]);
        assert_eq!(
            RATES.len(),
            RATES.iter().filter(|(c, r, _)| Currency::parse(c).is_ok() && Decimal::from_str(r).is_ok()).count()
        );
        for a in ACCOUNTS {
            assert!(a.password.len() >= accounts::MIN_PASSWORD_LEN);
        }
    }
}
