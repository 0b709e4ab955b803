//! The demo catalogue: every shop sells ten kinds of item under three of the properties it is
//! licensed for, with titles and descriptions in all five languages, stock, GTINs and prices
//! set in the shop's own currency.

use podium_domain::catalogue::{gs1_check_digit, slugify};
use podium_domain::fx::convert_minor;
use podium_domain::{Country, Currency, Lang, Money, RateTable};
use time::{Duration, OffsetDateTime};

use super::catalogue_data::{Item, ITEMS, MOTIFS, PROPERTIES, SHOPS};
use crate::catalogue::{NewProduct, NewProperty, NewVariant, ProductStatus, Translation};
use crate::ports::{Store, StoreError};

const LANGS: [Lang; 5] = [Lang::En, Lang::Fr, Lang::ZhHans, Lang::Ja, Lang::Ko];

fn lang_index(l: Lang) -> usize {
    LANGS.iter().position(|x| *x == l).unwrap_or(0)
}

fn title(lang: Lang, property: &str, motif: &str, noun: &str) -> String {
    match lang {
        Lang::En | Lang::Ko => format!("{property} {motif} {noun}"),
        Lang::Fr => format!("{noun} {motif} · {property}"),
        Lang::ZhHans => format!("{property}{motif}{noun}"),
        Lang::Ja => format!("{property} {motif}{noun}"),
    }
}

fn description(lang: Lang, noun: &str, shop: &str, city: &str, made: &str, property: &str) -> String {
    match lang {
        Lang::En => format!(
            "{noun} from {shop}, a small workshop in {city}. {made} Officially licensed {property} merchandise."
        ),
        Lang::Fr => format!(
            "{noun} signé {shop}, un petit atelier de {city}. {made} Produit sous licence officielle {property}."
        ),
        Lang::ZhHans => format!("{shop}出品的{noun}，来自{city}的一家小作坊。{made}{property}官方授权商品。"),
        Lang::Ja => format!("{city}の小さな工房、{shop}が手がける{noun}です。{made}{property}公式ライセンス商品です。"),
        Lang::Ko => {
            format!("{city}의 작은 공방 {shop}에서 만든 {noun}입니다. {made} {property} 공식 라이선스 상품입니다.")
        }
    }
}

/// A product's title and description in all five languages, optionally as a numbered edition.
fn texts(
    names: &[&str; 5],
    motif: &[&str; 5],
    item: &Item,
    shop: &str,
    city: &[&str; 5],
    edition_no: Option<usize>,
) -> Vec<Translation> {
    LANGS
        .iter()
        .map(|&lang| {
            let i = lang_index(lang);
            let base = title(lang, names[i], motif[i], item.noun[i]);
            Translation {
                lang,
                title: match edition_no {
                    Some(n) => format!("{base} — {}", edition(lang, n)),
                    None => base,
                },
                description: description(lang, item.noun[i], shop, city[i], item.made[i], names[i]),
            }
        })
        .collect()
}

/// Rounds a price to two significant figures, as a shop would write it (2,900 → 2,900; 42,890 → 43,000).
fn nice(minor: i64) -> i64 {
    if minor < 100 {
        return minor.max(1);
    }
    let step = 10i64.pow((minor as f64).log10().floor() as u32 - 1);
    ((minor + step / 2) / step) * step
}

fn gtin(counter: u64) -> String {
    let body = format!("20{counter:010}");
    let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
    format!("0{body}{}", gs1_check_digit(&digits))
}

/// Creates the demo properties and products; returns how many products were made.
pub async fn seed(store: &dyn Store, now: OffsetDateTime, rates: &RateTable) -> Result<usize, StoreError> {
    for (slug, licensor, sport, names) in PROPERTIES {
        if store.property_by_slug(slug).await?.is_none() {
            let licensor = store.org_by_slug(licensor).await?.ok_or(StoreError::NotFound("demo licensor"))?;
            store
                .create_property(NewProperty {
                    licensor_id: licensor.id,
                    slug: slug.to_string(),
                    name: names[0].to_string(),
                    sport: sport.to_string(),
                })
                .await?;
        }
    }
    let properties = store.properties().await?;
    let mut made = 0usize;
    for (shop_i, (shop_slug, city, fallback, licensed)) in SHOPS.iter().enumerate() {
        let shop = store.org_by_slug(shop_slug).await?.ok_or(StoreError::NotFound("demo shop"))?;
        let currency = Currency::parse(&shop.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        let country = Country::parse(&shop.country).map_err(|e| StoreError::Backend(e.to_string()))?;
        let location = store.create_stock_location(&shop.id, "Workshop", country.code()).await?;
        let fallback_lang = Lang::from_tag(fallback).unwrap_or_default();
        for (prop_i, prop_slug) in licensed.iter().enumerate() {
            let property =
                properties.iter().find(|p| p.slug == *prop_slug).ok_or(StoreError::NotFound("demo property"))?;
            let names = PROPERTIES.iter().find(|p| p.0 == *prop_slug).map(|p| p.3).unwrap_or([""; 5]);
            let motifs =
                MOTIFS.iter().find(|m| m.0 == *prop_slug).map(|m| m.1).ok_or(StoreError::NotFound("demo motif"))?;
            for (item_i, item) in ITEMS.iter().enumerate() {
                let motif = motifs[(shop_i + item_i + prop_i) % motifs.len()];
                let translations = texts(&names, &motif, item, &shop.name, city, None);
                let base = convert_minor(
                    item.eur_cents,
                    Currency::EUR,
                    rust_decimal::Decimal::ONE,
                    currency,
                    rates.get(currency).map(|r| r.per_eur).unwrap_or(rust_decimal::Decimal::ONE),
                )
                .map_err(|e| StoreError::Backend(e.to_string()))?;
                let prop_code: String = prop_slug.split('-').filter_map(|w| w.chars().next()).collect();
                let variants = item
                    .values
                    .iter()
                    .enumerate()
                    .map(|(v_i, value)| {
                        // Bigger sizes cost a little more.
                        let price = nice(base + base * v_i as i64 / 10);
                        // Two shops price some items for a foreign market by hand: Hanok Threads
                        // its T-shirts in US dollars, Atelier Chamonix its scarves in pounds.
                        let explicit_prices = match (*shop_slug, item.stem) {
                            ("hanok-threads", "tee") => {
                                vec![Money::new(nice(item.eur_cents * 108 / 100), Currency::USD)]
                            }
                            ("atelier-chamonix", "scarf") => {
                                vec![Money::new(nice(item.eur_cents * 85 / 100 + v_i as i64 * 200), Currency::GBP)]
                            }
                            _ => Vec::new(),
                        };
                        let seed = shop_i * 31 + item_i * 7 + prop_i * 13 + v_i * 3;
                        NewVariant {
                            sku: format!("{}-{}-{}", item.stem, prop_code, slugify(value)).to_uppercase(),
                            options: vec![(item.option[0].to_string(), value.to_string())],
                            gtin: Some(gtin((shop_i * 1000 + prop_i * 100 + item_i * 10 + v_i) as u64)),
                            price: Money::new(price, currency),
                            explicit_prices,
                            stock: vec![(location.id.clone(), (seed % 25) as i64)],
                        }
                    })
                    .collect();
                let motif_slug = slugify(motif[0]);
                store
                    .create_product(NewProduct {
                        shop_id: shop.id.clone(),
                        property_id: property.id.clone(),
                        category_slug: item.category.to_string(),
                        handle: format!("{prop_slug}-{motif_slug}-{}", item.stem),
                        fallback_lang,
                        tags: vec![
                            prop_slug.to_string(),
                            item.stem.to_string(),
                            motif_slug,
                            property.sport.replace(' ', "-"),
                        ],
                        hs_code: item.hs.to_string(),
                        origin_country: country.code().to_string(),
                        weight_grams: item.grams,
                        status: ProductStatus::Live,
                        translations,
                        variants,
                        // Interleave shops so the newest products come from all of them.
                        created_at: now
                            - Duration::minutes(37 * ((prop_i * ITEMS.len() + item_i) * SHOPS.len() + shop_i) as i64),
                    })
                    .await?;
                made += 1;
            }
        }
    }
    Ok(made)
}

/// "Edition n" in each language, for the synthetic catalogue.
fn edition(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!("Edition {n}"),
        Lang::Fr => format!("Édition {n}"),
        Lang::ZhHans => format!("第{n}版"),
        Lang::Ja => format!("第{n}弾"),
        Lang::Ko => format!("{n}번째 에디션"),
    }
}

/// Adds `count` synthetic products (numbered editions of the demo's items, in all five
/// languages) for benchmarks, calling `progress(done)` as it goes. Returns how many were made.
pub async fn generate_from(
    store: &dyn Store,
    first: usize,
    count: usize,
    now: OffsetDateTime,
    rates: &RateTable,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<usize, StoreError> {
    let properties = store.properties().await?;
    let mut shops = Vec::with_capacity(SHOPS.len());
    for (slug, city, fallback, licensed) in SHOPS {
        let shop = store.org_by_slug(slug).await?.ok_or(StoreError::NotFound("demo shop"))?;
        let location = store
            .stock_locations(&shop.id)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound("demo stock location"))?;
        shops.push((shop, location, city, Lang::from_tag(fallback).unwrap_or_default(), licensed));
    }
    // Products are saved a batch per shop at a time (one transaction each), far faster than
    // one by one: a million products is a benchmark's catalogue.
    const BATCH: usize = 250;
    let mut batches: Vec<Vec<NewProduct>> = (0..shops.len()).map(|_| Vec::with_capacity(BATCH)).collect();
    let mut done = 0usize;
    for n in first..first + count {
        let shop_i = n % shops.len();
        let (shop, location, city, fallback_lang, licensed) = &shops[shop_i];
        let prop_i = (n / shops.len()) % 3;
        let item_i = (n / (shops.len() * 3)) % ITEMS.len();
        let edition_no = n / (shops.len() * 3 * ITEMS.len()) + 1;
        let item = &ITEMS[item_i];
        let prop_slug = licensed[prop_i];
        let property = properties.iter().find(|p| p.slug == prop_slug).ok_or(StoreError::NotFound("demo property"))?;
        let names = PROPERTIES.iter().find(|p| p.0 == prop_slug).map(|p| p.3).unwrap_or([""; 5]);
        let motifs = MOTIFS.iter().find(|m| m.0 == prop_slug).map(|m| m.1).ok_or(StoreError::NotFound("demo motif"))?;
        let motif = motifs[(n + edition_no) % motifs.len()];
        let currency = Currency::parse(&shop.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
        let base = convert_minor(
            item.eur_cents + (edition_no as i64 % 7) * 100,
            Currency::EUR,
            rust_decimal::Decimal::ONE,
            currency,
            rates.get(currency).map(|r| r.per_eur).unwrap_or(rust_decimal::Decimal::ONE),
        )
        .map_err(|e| StoreError::Backend(e.to_string()))?;
        let translations = texts(&names, &motif, item, &shop.name, city, Some(edition_no));
        let handle = format!("{prop_slug}-{}-{}-ed{edition_no}-{n}", slugify(motif[0]), item.stem);
        let variants = item
            .values
            .iter()
            .enumerate()
            .map(|(v_i, value)| NewVariant {
                sku: format!("GEN-{n}-{v_i}"),
                options: vec![(item.option[0].to_string(), value.to_string())],
                gtin: None,
                price: Money::new(nice(base + base * v_i as i64 / 10), currency),
                explicit_prices: Vec::new(),
                stock: vec![(location.id.clone(), ((n * 7 + v_i * 3) % 30) as i64)],
            })
            .collect();
        batches[shop_i].push(NewProduct {
            shop_id: shop.id.clone(),
            property_id: property.id.clone(),
            category_slug: item.category.to_string(),
            handle,
            fallback_lang: *fallback_lang,
            tags: vec![prop_slug.to_string(), item.stem.to_string()],
            hs_code: item.hs.to_string(),
            origin_country: shop.country.clone(),
            weight_grams: item.grams,
            status: ProductStatus::Live,
            translations,
            variants,
            created_at: now - Duration::days(30) - Duration::seconds(n as i64),
        });
        if batches[shop_i].len() == BATCH {
            done += save_batch(store, &shops[shop_i].0.id, std::mem::take(&mut batches[shop_i]), now).await?;
            progress(done);
        }
    }
    for (shop_i, batch) in batches.into_iter().enumerate().filter(|(_, b)| !b.is_empty()) {
        done += save_batch(store, &shops[shop_i].0.id, batch, now).await?;
    }
    progress(done);
    Ok(done)
}

/// Saves one shop's generated products in one transaction; they count as approved by their
/// licensor a month ago.
async fn save_batch(
    store: &dyn Store,
    shop_id: &str,
    batch: Vec<NewProduct>,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let saved = store.save_products(shop_id, batch, &|_| {}).await?;
    let ids: Vec<String> = saved.into_iter().map(|p| p.id).collect();
    store.mark_approved(&ids, now - Duration::days(30)).await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use podium_domain::catalogue::parse_gtin;

    #[test]
    fn prices_read_like_a_shop_wrote_them() {
        assert_eq!(nice(2900), 2900);
        assert_eq!(nice(42_890), 43_000);
        assert_eq!(nice(4676), 4700);
        assert_eq!(nice(395_850), 400_000);
        assert_eq!(nice(57), 57);
    }

    #[test]
    fn demo_gtins_are_valid() {
        for n in [0, 1, 7999, 123_456] {
            assert!(parse_gtin(&gtin(n)).is_ok(), "{}", gtin(n));
        }
    }

    #[test]
    fn every_title_and_description_is_written_in_its_language() {
        let t = title(Lang::Ko, "평창 2018", "눈꽃", "티셔츠");
        assert_eq!(t, "평창 2018 눈꽃 티셔츠");
        let d = description(Lang::Ja, "Tシャツ", "Kumo Craft Tokyo", "東京", "手刷り。", "平昌2018");
        assert!(d.starts_with("東京の小さな工房") && d.ends_with("公式ライセンス商品です。"));
        for item in ITEMS {
            assert!(item.noun.iter().all(|n| !n.is_empty()) && item.made.iter().all(|m| !m.is_empty()));
        }
        assert_eq!(SHOPS.len() * 3 * ITEMS.len(), 240, "the demo holds at least 200 products");
    }
}
