//! A merchant asks for authenticity codes: the shop's codes page lists every variant that has
//! more units to ship (in stock, or sold and not shipped) than codes, each with a "request
//! codes" form prefilled with what is missing, and the shop's requests with their status. The
//! product page and the order page show the same shortfall and form (see [`missing_for`]), so
//! the merchant learns before a fan pays that it cannot ship.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::catalogue::ProductRecord;
use podium_app::code_requests::{self, RequestError, RequestFilter, RequestStatus, Shortfall};
use podium_app::licensing::ActingUser;
use podium_app::Org;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::guards::shop_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/shops/{shop}/codes", page)
        .post("/console/shops/{shop}/code-requests", request)
}

/// A variant short of codes, with the form that asks for them.
pub struct MissingView {
    pub product: String,
    pub sku: String,
    pub title: String,
    /// "12 units can ship (10 in stock, 2 sold) but you have 5 codes."
    pub why: String,
    pub missing: i64,
    /// "You asked for 7 on 2026-12-01; waiting for Team Kenya." when a request is open.
    pub asked: Option<String>,
    pub licensor: String,
}

fn title_of(p: &ProductRecord, tr: &Tr, sku: &str) -> String {
    let title = podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
    let options = p
        .variants
        .iter()
        .find(|x| x.sku == sku)
        .map(|x| x.options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / "))
        .unwrap_or_default();
    if options.is_empty() {
        title
    } else {
        format!("{title} · {options}")
    }
}

fn view(tr: &Tr, p: &ProductRecord, s: &Shortfall) -> MissingView {
    let n = |x: i64| x.to_string();
    let why = tr.tn(
        "codes-short-why",
        &[
            ("units", &n(s.on_hand + s.unshipped)),
            ("stock", &n(s.on_hand)),
            ("sold", &n(s.unshipped)),
            ("codes", &n(s.free_codes)),
        ],
    );
    let licensor = p.property.licensor_name.clone();
    MissingView {
        product: p.slug.clone(),
        sku: s.sku.clone(),
        title: title_of(p, tr, &s.sku),
        why,
        missing: s.missing,
        asked: (s.requested > 0)
            .then(|| tr.tn("codes-short-asked", &[("count", &n(s.requested)), ("licensor", &licensor)])),
        licensor,
    }
}

/// The shortfalls of these products of the shop, as pages show them.
pub(crate) async fn missing_for(
    state: &AppState,
    tr: &Tr,
    shop: &Org,
    products: &[ProductRecord],
) -> Result<Vec<MissingView>, PageError> {
    let shortfalls = code_requests::shortfalls(state.store.as_ref(), &shop.id, products)
        .await
        .map_err(|e| PageError::internal(tr.clone(), e))?;
    Ok(shortfalls
        .iter()
        .filter_map(|s| products.iter().find(|p| p.id == s.product_id).map(|p| view(tr, p, s)))
        .collect())
}

struct RequestRow {
    title: String,
    quantity: i64,
    status: String,
    fulfilled: bool,
    when: String,
    note: String,
}

#[derive(Template)]
#[template(path = "shop_codes.html")]
struct CodesPage {
    layout: Layout,
    shop: Org,
    missing: Vec<MissingView>,
    requests: Vec<RequestRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    requested: String,
}

async fn draw(
    state: &AppState,
    v: Visitor,
    shop: Org,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let internal = |e: podium_app::StoreError| PageError::internal(tr.clone(), e);
    let products =
        podium_app::catalogue_csv::shop_products(state.store.as_ref(), &shop.slug).await.map_err(internal)?;
    let missing = missing_for(state, &tr, &shop, &products).await?;
    let filter = RequestFilter { shop_id: Some(shop.id.clone()), ..Default::default() };
    let requests = state
        .store
        .code_requests(&filter)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| {
            let product = products.iter().find(|p| p.id == r.product_id);
            let sku = product
                .and_then(|p| p.variants.iter().find(|x| x.id == r.variant_id))
                .map(|x| x.sku.clone())
                .unwrap_or_default();
            RequestRow {
                title: product.map(|p| title_of(p, &tr, &sku)).unwrap_or_default(),
                quantity: r.quantity,
                status: tr.t(&format!("code-request-{}", r.status.as_str())),
                fulfilled: r.status == RequestStatus::Fulfilled,
                when: crate::kit::format::date(r.resolved_at.unwrap_or(r.created_at)),
                note: r.note,
            }
        })
        .collect();
    let page = CodesPage { layout: Layout::new(&v), shop, missing, requests, notice, error };
    Ok(render(v, status, page))
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let notice = q.requested.parse::<i64>().ok().map(|n| v.tr.t1("codes-requested", "count", &n.to_string()));
    draw(&state, v, shop, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    note: String,
}

async fn request(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<RequestForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = shop_or_return!(v, slug);
    let tr = v.tr.clone();
    let product = state.store.product_by_slug(&f.product).await.map_err(|e| PageError::internal(tr.clone(), e))?;
    let Some(product) = product.filter(|p| p.shop.id == shop.id) else {
        return draw(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, None, Some(tr.t("codes-request-unknown")))
            .await;
    };
    let quantity = f.quantity.trim().parse::<i64>().unwrap_or(0);
    let who = ActingUser {
        name: v.principal.as_ref().map(|p| p.user.display_name.clone()).unwrap_or_default(),
        client: v.client.clone(),
    };
    let now = state.clock.now();
    match code_requests::request_codes(state.store.as_ref(), &who, &shop.id, &product, &f.sku, quantity, &f.note, now)
        .await
    {
        Ok(r) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/codes?requested={}", shop.slug, r.quantity)))),
        Err(RequestError::Store(e)) => Err(PageError::internal(tr, e)),
        Err(RequestError::NotFound) => {
            draw(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, None, Some(tr.t("codes-request-unknown"))).await
        }
        Err(RequestError::Quantity { max }) => {
            let e = tr.t1("codes-request-quantity", "max", &max.to_string());
            draw(&state, v, shop, StatusCode::UNPROCESSABLE_ENTITY, None, Some(e)).await
        }
    }
}
