//! The cart page: the visitor's cart (kept by app's `cart::for_visitor`), priced for their country,
//! adding a line and changing a quantity, each refusal said in the fan's words.

use crate::kit::cart_view::{cart_view, CartView};
use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::cart::{self, CartError, PricedCart};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "cart.html")]
pub(crate) struct CartPage {
    pub(crate) layout: Layout,
    pub(crate) cart: CartView,
    pub(crate) error: Option<String>,
    /// Where the fan came from when adding failed (their product page), to go back and choose again.
    pub(crate) back: Option<String>,
}

/// The visitor's cart, following their ship-to country and currency (a new one when none).
pub(crate) async fn visitor_cart(state: &AppState, v: &mut Visitor, create: bool) -> Result<Option<String>, PageError> {
    let user = v.principal.as_ref().map(|p| p.user.id.clone());
    let cookie = v.cart_id();
    let (country, currency) = (v.prefs.country.code(), v.prefs.currency.code());
    let id = cart::for_visitor(state.store.as_ref(), cookie.as_deref(), user.as_deref(), country, currency, create)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    match &id {
        Some(id) if cookie.as_deref() != Some(id.as_str()) => v.set_cart(id),
        None if cookie.is_some() => v.clear_cart(),
        _ => {}
    }
    Ok(id)
}

/// The cart priced, and whether its country shows prices with VAT included.
pub(crate) async fn priced(state: &AppState, tr: &Tr, id: &str) -> Result<Option<(PricedCart, bool)>, PageError> {
    let internal = |e: String| PageError::internal(tr.clone(), e);
    let Some(c) = state.store.cart(id).await.map_err(|e| internal(e.to_string()))? else { return Ok(None) };
    let reference = state.reference.get(state.store.as_ref()).await.map_err(|e| internal(e.to_string()))?;
    let inclusive = crate::kit::cart_view::includes_tax(&reference.rules, &c.country);
    let ctx = reference.context(state.clock.now());
    let priced = cart::price_cart(state.store.as_ref(), c, &ctx).await.map_err(|e| internal(e.to_string()))?;
    Ok(Some((priced, inclusive)))
}

pub(crate) async fn show_cart(
    state: &AppState,
    v: Visitor,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    show_cart_from(state, v, status, error, None).await
}

pub(crate) async fn show_cart_from(
    state: &AppState,
    mut v: Visitor,
    status: StatusCode,
    error: Option<String>,
    back: Option<String>,
) -> Result<Response, PageError> {
    let id = visitor_cart(state, &mut v, false).await?;
    let p = match id {
        Some(id) => priced(state, &v.tr, &id).await?,
        None => None,
    };
    let view = match &p {
        Some((p, inclusive)) => cart_view(&v.tr, p, *inclusive),
        None => CartView::empty(&v.tr, v.prefs.country, v.prefs.currency),
    };
    let page = CartPage { layout: Layout::new(&v).keyed("cart-title", "meta-cart"), cart: view, error, back };
    Ok(render(v, status, page))
}

pub(crate) async fn cart_page(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    show_cart(&state, v, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(crate) struct LineForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) sku: String,
    #[serde(default)]
    pub(crate) quantity: String,
    /// The page the item was added from (a same-site path), for "back to the product".
    #[serde(default)]
    pub(crate) back: String,
}

pub(crate) fn cart_error_text(tr: &Tr, e: &CartError) -> String {
    match e {
        CartError::SoldOut { available: 0, .. } => tr.t("cart-error-sold-out"),
        CartError::SoldOut { available, in_cart: 0, .. } => {
            tr.t1("cart-error-only-left", "count", &available.to_string())
        }
        CartError::SoldOut { available, in_cart, .. } => tr.tn(
            "cart-error-only-left-in-cart",
            &[("count", &available.to_string()), ("in_cart", &in_cart.to_string())],
        ),
        CartError::Quantity => tr.t("cart-error-quantity"),
        CartError::TooManyLines => tr.t("cart-error-full"),
        CartError::Line { reason, .. } => tr.t1("cart-error-undeliverable", "reason", reason),
        other => other.to_string(),
    }
}

pub(crate) async fn add(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<LineForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let quantity: i64 = f.quantity.trim().parse().unwrap_or(0);
    let sku: String = f.sku.chars().take(200).collect();
    let Some(id) = visitor_cart(&state, &mut v, true).await? else { return Err(PageError::not_found(v.tr.clone())) };
    let reference =
        state.reference.get(state.store.as_ref()).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    match cart::add_line(state.store.as_ref(), &id, &sku, quantity, &reference.context(state.clock.now())).await {
        Ok(_) => Ok(v.respond(Redirect::to("/cart"))),
        Err(CartError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let status = if matches!(e, CartError::SoldOut { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let text = cart_error_text(&v.tr, &e);
            let back = podium_app::links::same_site_path(&f.back).ok().flatten();
            show_cart_from(&state, v, status, Some(text), back).await
        }
    }
}

/// Changes a line's quantity (0 removes it).
pub(crate) async fn set_line(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<LineForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(id) = visitor_cart(&state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let quantity: i64 = f.quantity.trim().parse().unwrap_or(-1);
    let sku: String = f.sku.chars().take(200).collect();
    let reference =
        state.reference.get(state.store.as_ref()).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    match cart::set_quantity(state.store.as_ref(), &id, &sku, quantity, &reference.context(state.clock.now())).await {
        Ok(()) => Ok(v.respond(Redirect::to("/cart"))),
        Err(CartError::Quantity) => {
            let text = v.tr.t("cart-error-quantity");
            show_cart(&state, v, StatusCode::UNPROCESSABLE_ENTITY, Some(text)).await
        }
        Err(CartError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let text = cart_error_text(&v.tr, &e);
            show_cart(&state, v, StatusCode::CONFLICT, Some(text)).await
        }
    }
}
