//! The storefront's home page and its static assets (stylesheet and scripts).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::layout::{Layout, Opt};
use crate::kit::org_view::{org_view, OrgView};
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/", home)
        .get("/static/podium.css", stylesheet)
        .get("/static/story.js", story_script)
        .get("/static/drop.js", drop_script)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/podium.css"),
    )
}

async fn story_script() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/story.js"),
    )
}

async fn drop_script() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/drop.js"),
    )
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    prices_for: String,
    properties: Vec<Opt>,
    shops: Vec<OrgView>,
    cards: Vec<crate::kit::product_card::Card>,
    stories: Vec<crate::kit::story_card::StoryCard>,
}

async fn home(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let store = state.store.as_ref();
    let reference = state.reference.get(store).await.map_err(internal)?;
    let (properties, shops) = (&reference.properties, &reference.shops);
    let newest = crate::kit::listing::ListingParams::newest(v.prefs.country, 1, 8);
    let found = crate::kit::listing::listing(&state, &tr, v.shopper(), newest)
        .await
        .map_err(|e| PageError::internal(tr.clone(), e.detail))?;
    let country = tr.country(v.prefs.country);
    let prices_for = tr.tn("home-hero-prices", &[("currency", v.prefs.currency.code()), ("country", &country)]);
    let page = HomePage {
        layout: crate::kit::head::home(Layout::new(&v)),
        prices_for,
        properties: properties
            .iter()
            .map(|p| Opt {
                value: p.slug.clone(),
                label: p.name.clone(),
                selected: false,
                extra: p.licensor_name.clone(),
            })
            .collect(),
        shops: shops.iter().map(|o| org_view(&tr, o)).collect(),
        cards: found.cards(&tr),
        stories: crate::storefront::stories::stories_for(&state, &tr, None, None, 3).await?,
    };
    Ok(render(v, StatusCode::OK, page))
}
