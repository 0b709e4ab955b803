//! The shop's side of orders in the API: its consignments and the fulfilment steps (accept, ship
//! with tracking and codes, deliver), each allowed to the shop's members or tokens only.

use crate::api::orders::json::{consignment_json, money, OrderConsignmentJson};
use crate::api::{ApiJson, Caller, MoneyJson};
use crate::kit::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use podium_app::fulfilment::{self, FulfilError, FulfilStep, Shipment};
use podium_app::security::Scope;
use podium_domain::role::OrgKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ShopConsignmentJson {
    pub id: String,
    pub order_number: String,
    pub status: String,
    pub country: String,
    pub total: MoneyJson,
    pub units: i64,
    pub open_returns: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ShopConsignmentsJson {
    pub items: Vec<ShopConsignmentJson>,
}

pub(crate) fn shop_of(p: &podium_app::accounts::Principal, slug: &str) -> Result<String, ApiError> {
    p.orgs_of(OrgKind::Shop).find(|o| o.slug == slug).map(|o| o.id.clone()).ok_or_else(|| {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", "you are not a member of this shop")
    })
}

/// A shop's consignments (paid orders only), newest first. Members of the shop only.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/consignments", tag = "fulfilment",
    params(("shop" = String, Path, description = "The shop's slug")),
    responses((status = 200, body = ShopConsignmentsJson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn shop_consignments(
    State(state): State<AppState>,
    Path(shop): Path<String>,
    caller: Caller,
) -> Result<Json<ShopConsignmentsJson>, ApiError> {
    let p = caller.require_scope(Scope::ReadOrders)?;
    let shop_id = shop_of(&p, &shop)?;
    let rows = state.store.shop_consignments(&shop_id, 200).await?;
    Ok(Json(ShopConsignmentsJson {
        items: rows
            .into_iter()
            .map(|c| ShopConsignmentJson {
                total: money(c.total, &c.currency),
                id: c.id,
                order_number: c.order_number,
                status: c.status.as_str().into(),
                country: c.country,
                units: c.units,
                open_returns: c.open_returns,
            })
            .collect(),
    }))
}

pub fn fulfil_problem(e: FulfilError) -> ApiError {
    match e {
        FulfilError::NotFound | FulfilError::ReturnNotFound => ApiError::not_found(e.to_string()),
        FulfilError::State(_) | FulfilError::WindowClosed(_) | FulfilError::ReturnDecided => {
            ApiError::new(StatusCode::CONFLICT, "wrong-state", "Not possible now", e.to_string())
        }
        FulfilError::Invalid(field, _) => ApiError::invalid(field, e.to_string()),
        FulfilError::Code(_) => ApiError::invalid("codes", e.to_string()),
        FulfilError::Provider(_) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "payment-provider", "The payment provider failed", e.to_string())
        }
        FulfilError::Store(s) => s.into(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ShipBody {
    pub carrier: String,
    pub tracking: String,
    /// Per order line, the authenticity code on each unit.
    #[serde(default)]
    pub codes: Vec<LineCodesBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct LineCodesBody {
    pub line: String,
    pub codes: Vec<String>,
}

/// The shop the caller fulfils the consignment for.
pub(crate) async fn fulfiller(state: &AppState, caller: Caller, consignment: &str) -> Result<String, ApiError> {
    let p = caller.require_scope(Scope::FulfilOrders)?;
    let order = state
        .store
        .order_of_consignment(consignment)
        .await?
        .ok_or_else(|| ApiError::not_found("no such consignment"))?;
    let c = order
        .consignments
        .iter()
        .find(|c| c.id == consignment)
        .ok_or_else(|| ApiError::not_found("no such consignment"))?;
    if p.orgs_of(OrgKind::Shop).any(|o| o.id == c.shop_id) {
        Ok(c.shop_id.clone())
    } else {
        Err(ApiError::not_found("no such consignment"))
    }
}

pub(crate) async fn fulfil_step(
    state: &AppState,
    caller: Caller,
    id: &str,
    step: FulfilStep,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    let shop_id = fulfiller(state, caller, id).await?;
    fulfilment::fulfil(state.store.as_ref(), &shop_id, id, step, state.clock.now()).await.map_err(fulfil_problem)?;
    let (order, c) = fulfilment::shop_consignment(state.store.as_ref(), &shop_id, id).await.map_err(fulfil_problem)?;
    Ok(Json(consignment_json(&c, &order.currency)))
}

/// Accept a new consignment (the shop will make and ship it).
#[utoipa::path(post, path = "/api/v1/consignments/{id}/accept", tag = "fulfilment", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    fulfil_step(&state, caller, &id, FulfilStep::Accept).await
}

/// Ship an accepted consignment: carrier, tracking number and an authenticity code per unit.
#[utoipa::path(post, path = "/api/v1/consignments/{id}/ship", tag = "fulfilment", security(("bearer" = [])), params(("id" = String, Path)), request_body = ShipBody,
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn ship(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<ShipBody>,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    let shipment = Shipment {
        carrier: body.carrier,
        tracking: body.tracking,
        codes: body.codes.into_iter().take(200).map(|l| (l.line, l.codes.into_iter().take(1000).collect())).collect(),
    };
    fulfil_step(&state, caller, &id, FulfilStep::Ship(shipment)).await
}

/// Mark a shipped consignment delivered (its return window starts).
#[utoipa::path(post, path = "/api/v1/consignments/{id}/deliver", tag = "fulfilment", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn deliver(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    fulfil_step(&state, caller, &id, FulfilStep::Deliver).await
}
