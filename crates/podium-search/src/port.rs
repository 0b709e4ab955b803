//! This index behind the storefront's port, [`podium_app::search::SearchIndex`]: the app's query
//! becomes the index's, and the index's answer the app's.

use podium_app::search as port;
use podium_domain::Country;

use crate::index::{Pricing, SearchQuery, Sort};
use crate::Follower;

fn sort(s: port::Sort) -> Sort {
    match s {
        port::Sort::Relevance => Sort::Relevance,
        port::Sort::PriceAsc => Sort::PriceAsc,
        port::Sort::PriceDesc => Sort::PriceDesc,
        port::Sort::Newest => Sort::Newest,
    }
}

fn query(q: &port::SearchQuery) -> SearchQuery {
    SearchQuery {
        q: q.q.clone(),
        property: q.property.clone(),
        category: q.category.clone(),
        shop: q.shop.clone(),
        shop_country: q.shop_country.clone(),
        in_stock_only: q.in_stock_only,
        price: q.price,
        sort: q.sort.map(sort),
        offset: q.offset,
        limit: q.limit,
        price_edges: q.price_edges.clone(),
        pricing: q.pricing.as_ref().map(|p| Pricing {
            ship_to: p.ship_to,
            currency: p.currency,
            rules: p.rules.clone(),
            rates: p.rates.clone(),
            date: p.date,
            steps: p.steps.clone(),
        }),
        country: q.country,
        at_us: q.at_us,
    }
}

fn failed(e: impl std::fmt::Display) -> port::SearchFailed {
    port::SearchFailed(e.to_string())
}

impl port::SearchIndex for Follower {
    fn search(&self, q: &port::SearchQuery) -> Result<port::SearchResult, port::SearchFailed> {
        let r = self.index.search(&query(q)).map_err(failed)?;
        let f = r.facets;
        Ok(port::SearchResult {
            total: r.total,
            hits: r
                .hits
                .into_iter()
                .map(|h| port::Hit {
                    category: h.categories.last().cloned().unwrap_or_default(),
                    id: h.id,
                    slug: h.slug,
                    titles: h.titles,
                    fallback: h.fallback,
                    shop: h.shop,
                    shop_country: h.shop_country,
                    property: h.property,
                    in_stock: h.in_stock,
                    price: h.price,
                    native: h.native,
                })
                .collect(),
            facets: port::Facets {
                property: f.property,
                category: f.category,
                shop: f.shop,
                shop_country: f.shop_country,
                price_bands: f.price_bands,
                in_stock: f.in_stock,
            },
        })
    }

    fn did_you_mean(&self, q: &port::SearchQuery) -> Result<Option<String>, port::SearchFailed> {
        self.index.did_you_mean(&query(q)).map_err(failed)
    }

    fn suggest(
        &self,
        text: &str,
        country: Option<Country>,
        limit: usize,
    ) -> Result<Vec<port::Suggestion>, port::SearchFailed> {
        let hits = self.index.suggest(text, country, limit).map_err(failed)?;
        Ok(hits
            .into_iter()
            .map(|h| port::Suggestion { slug: h.slug, titles: h.titles, fallback: h.fallback })
            .collect())
    }

    fn position(&self) -> i64 {
        Follower::position(self)
    }
}
