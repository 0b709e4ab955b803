//! The search page: results from this node's index with facets as links, a sort, and pages,
//! all plain GET forms and links so it works without JavaScript.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use podium_app::search::Sort;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::layout::{Layout, Opt};
use crate::kit::listing::{listing, parse_band, FacetValue, ListingParams};
use crate::kit::product_card::Card;
use crate::kit::render::render;
use crate::storefront::catalogue::PER_PAGE;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/search", search)
}

#[derive(Deserialize, Default)]
struct SearchParams {
    #[serde(default)]
    q: String,
    property: Option<String>,
    category: Option<String>,
    shop: Option<String>,
    price: Option<String>,
    in_stock: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

/// "Did you mean …?" cut around the suggested query, so the query can be a link wherever the
/// language puts it in the sentence.
struct DidYouMean {
    before: String,
    text: String,
    url: String,
    after: String,
}

struct Group {
    title: String,
    options: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    heading: String,
    groups: Vec<Group>,
    filtered: bool,
    clear_url: String,
    hidden: Vec<Opt>,
    sorts: Vec<Opt>,
    count_text: String,
    empty_text: String,
    cards: Vec<Card>,
    page: usize,
    pages: usize,
    page_text: String,
    prev_url: String,
    next_url: String,
    /// A close query that finds something, when this one finds nothing.
    did_you_mean: Option<DidYouMean>,
    /// Stories whose title or summary has the words (first page only).
    stories: Vec<crate::kit::story_card::StoryCard>,
}

fn url(pairs: &[(&str, &str)]) -> String {
    let qs: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    format!("/search?{qs}")
}

async fn search(
    State(state): State<AppState>,
    v: Visitor,
    Query(p): Query<SearchParams>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let q: String = p.q.trim().chars().take(200).collect();
    let page = p.page.as_deref().and_then(|x| x.parse::<usize>().ok()).filter(|n| *n >= 1).unwrap_or(1);
    let sort = p.sort.as_deref().and_then(Sort::parse);
    let sort_value = p.sort.clone().filter(|s| Sort::parse(s).is_some()).unwrap_or_default();
    let (property, category, shop) = (
        p.property.clone().unwrap_or_default(),
        p.category.clone().unwrap_or_default(),
        p.shop.clone().unwrap_or_default(),
    );
    let price = p.price.clone().filter(|v| parse_band(v).is_some()).unwrap_or_default();
    let in_stock = if p.in_stock.as_deref() == Some("true") { "true".to_string() } else { String::new() };
    let params = ListingParams {
        q: q.clone(),
        price: parse_band(&price),
        in_stock: !in_stock.is_empty(),
        property: p.property.clone().filter(|s| !s.is_empty()),
        category: p.category.clone().filter(|s| !s.is_empty()),
        shop: p.shop.clone().filter(|s| !s.is_empty()),
        sort,
        page,
        per_page: PER_PAGE as usize,
        country: Some(v.prefs.country),
    };
    let result =
        listing(&state, &tr, v.shopper(), params).await.map_err(|e| PageError::internal(tr.clone(), e.detail))?;
    let cards = result.cards(&tr);
    let current = [
        ("q", q.as_str()),
        ("property", &property),
        ("category", &category),
        ("shop", &shop),
        ("price", &price),
        ("in_stock", &in_stock),
        ("sort", &sort_value),
    ];
    let link = |key: &str, value: &str| {
        let pairs: Vec<(&str, &str)> =
            current.iter().map(|(k, v)| if *k == key { (*k, value) } else { (*k, *v) }).collect();
        url(&pairs)
    };
    let did_you_mean = result.did_you_mean.as_deref().map(|text| {
        const MARK: &str = "\u{1}";
        let sentence = tr.t1("search-did-you-mean", "suggestion", MARK);
        let (before, after) = sentence.split_once(MARK).unwrap_or((&sentence, ""));
        DidYouMean {
            before: before.to_string(),
            text: text.to_string(),
            url: link("q", text),
            after: after.to_string(),
        }
    });
    let group = |title: &str, key: &str, selected: &str, values: &[FacetValue]| Group {
        title: tr.t(title),
        options: values
            .iter()
            .map(|f| Opt {
                value: link(key, if selected == f.value { "" } else { &f.value }),
                label: f.label.clone(),
                selected: selected == f.value,
                extra: f.count.to_string(),
            })
            .collect(),
    };
    let groups = vec![
        group("facet-property", "property", &property, &result.facets.property),
        group("facet-category", "category", &category, &result.facets.category),
        group("facet-shop", "shop", &shop, &result.facets.shop),
        Group {
            title: tr.t("facet-shop-country"),
            options: result
                .facets
                .shop_country
                .iter()
                .map(|f| Opt {
                    value: String::new(),
                    label: f.label.clone(),
                    selected: false,
                    extra: f.count.to_string(),
                })
                .collect(),
        },
        Group {
            title: tr.t("facet-price"),
            options: result
                .facets
                .price
                .iter()
                .filter(|f| f.count > 0)
                .map(|f| Opt {
                    value: link("price", if price == f.value { "" } else { &f.value }),
                    label: f.label.clone(),
                    selected: price == f.value,
                    extra: f.count.to_string(),
                })
                .collect(),
        },
        Group {
            title: tr.t("facet-availability"),
            options: vec![Opt {
                value: link("in_stock", if in_stock.is_empty() { "true" } else { "" }),
                label: tr.t("facet-in-stock"),
                selected: !in_stock.is_empty(),
                extra: result.facets.in_stock.to_string(),
            }],
        },
    ];
    let pages = result.total.div_ceil(PER_PAGE as usize).max(1);
    let page_link = |n: usize| {
        let n = n.to_string();
        let mut pairs: Vec<(&str, &str)> = current.to_vec();
        pairs.push(("page", &n));
        url(&pairs)
    };
    let sorts = [
        ("", "sort-relevance"),
        ("newest", "sort-newest"),
        ("price_asc", "sort-price-asc"),
        ("price_desc", "sort-price-desc"),
    ]
    .iter()
    .map(|(value, key)| Opt {
        value: value.to_string(),
        label: tr.t(key),
        selected: sort_value == *value,
        extra: String::new(),
    })
    .collect();
    let hidden =
        [("property", &property), ("category", &category), ("shop", &shop), ("price", &price), ("in_stock", &in_stock)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| Opt { value: k.to_string(), label: v.to_string(), selected: false, extra: String::new() })
            .collect();
    let stories = if q.trim().is_empty() || page > 1 {
        Vec::new()
    } else {
        crate::storefront::stories::stories_matching(&state, &tr, &q, 3).await?
    };
    let heading = if q.is_empty() { tr.t("search-title") } else { tr.t1("search-results-for", "q", &q) };
    let page_view = SearchPage {
        did_you_mean,
        stories,
        layout: Layout::with_query(&v, &q).titled(heading.as_str(), &tr.t("meta-search")),
        heading,
        groups,
        filtered: !(property.is_empty()
            && category.is_empty()
            && shop.is_empty()
            && price.is_empty()
            && in_stock.is_empty()),
        clear_url: url(&[("q", q.as_str()), ("sort", &sort_value)]),
        hidden,
        sorts,
        count_text: tr.t1("listing-count", "count", &result.total.to_string()),
        empty_text: if q.is_empty() { tr.t("listing-empty") } else { tr.t1("search-no-results", "q", &q) },
        cards,
        page,
        pages,
        page_text: tr.tn("pager-page", &[("page", &page.to_string()), ("pages", &pages.to_string())]),
        prev_url: page_link(page.saturating_sub(1).max(1)),
        next_url: page_link(page + 1),
    };
    Ok(render(v, StatusCode::OK, page_view))
}
