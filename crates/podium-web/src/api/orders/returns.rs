//! Returns in the API: a fan's request, the shop's decision and refund.

use crate::api::orders::fulfil::{fulfil_problem, fulfiller};
use crate::api::orders::json::{consignment_json, order_json, OrderConsignmentJson, OrderJson};
use crate::api::orders::TokenQuery;
use crate::api::{ApiJson, Caller};
use crate::kit::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use podium_app::fulfilment::{self};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct ReturnBody {
    pub consignment: String,
    pub lines: Vec<ReturnLineBody>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReturnLineBody {
    pub line: String,
    pub quantity: i64,
}

/// Ask to return units of a delivered consignment within the shop's return window.
#[utoipa::path(post, path = "/api/v1/orders/{number}/returns", tag = "checkout", request_body = ReturnBody,
    params(("number" = String, Path), ("token" = Option<String>, Query)),
    responses((status = 201, body = OrderJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_return(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    caller: Caller,
    ApiJson(body): ApiJson<ReturnBody>,
) -> Result<(StatusCode, Json<OrderJson>), ApiError> {
    let token = q.token.or_else(|| headers.get("x-order-token").and_then(|v| v.to_str().ok()).map(str::to_string));
    let user = caller.person()?.map(|p| p.user.id);
    let o = podium_app::orders::readable(state.store.as_ref(), &number, user.as_deref(), token.as_deref())
        .await?
        .ok_or_else(|| ApiError::not_found("no such order"))?;
    let lines: Vec<(String, i64)> = body.lines.into_iter().take(200).map(|l| (l.line, l.quantity)).collect();
    fulfilment::request_return(state.store.as_ref(), &o, &body.consignment, &lines, &body.reason, state.clock.now())
        .await
        .map_err(fulfil_problem)?;
    let o = state.store.order(&o.id).await?.ok_or_else(|| ApiError::not_found("no such order"))?;
    Ok((StatusCode::CREATED, Json(order_json(&o))))
}

#[derive(Deserialize, ToSchema)]
pub struct DecideReturnBody {
    /// Put the returned units back in stock.
    #[serde(default)]
    pub restock: bool,
}

/// Accept a return: the refund goes back to the card through the provider.
#[utoipa::path(post, path = "/api/v1/consignments/{id}/returns/{rid}/accept", tag = "fulfilment", security(("bearer" = [])), request_body = DecideReturnBody,
    params(("id" = String, Path), ("rid" = String, Path)),
    responses((status = 200, body = OrderConsignmentJson), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "The return is being decided or was decided already")))]
pub async fn accept_return(
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<DecideReturnBody>,
) -> Result<Json<OrderConsignmentJson>, ApiError> {
    let shop_id = fulfiller(&state, caller, &id).await?;
    fulfilment::accept_return(
        state.store.as_ref(),
        state.payments.as_ref(),
        &shop_id,
        &id,
        &rid,
        body.restock,
        state.clock.now(),
    )
    .await
    .map_err(fulfil_problem)?;
    let (order, c) = fulfilment::shop_consignment(state.store.as_ref(), &shop_id, &id).await.map_err(fulfil_problem)?;
    Ok(Json(consignment_json(&c, &order.currency)))
}
