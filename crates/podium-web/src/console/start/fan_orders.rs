//! The fan's console: the latest orders (the same as "My orders" lists), so it never says "no
//! orders" to someone who has some.

use podium_domain::order::OrderStatus;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::money;
use crate::AppState;

/// How many orders the console shows; "My orders" has them all.
const RECENT: i64 = 5;

pub struct FanOrder {
    pub number: String,
    pub date: String,
    pub total: String,
    pub status: String,
    pub status_class: &'static str,
}

/// The signed-in fan's latest orders, newest first.
pub(crate) async fn recent_orders(state: &AppState, v: &Visitor) -> Result<Vec<FanOrder>, PageError> {
    let Some(p) = &v.principal else { return Ok(Vec::new()) };
    let orders =
        state.store.orders_of_user(&p.user.id, RECENT).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    Ok(orders
        .iter()
        .map(|o| FanOrder {
            number: o.number.clone(),
            date: o.created_at.date().to_string(),
            total: money(&v.tr, o.total, &o.currency),
            status: v.tr.t(&format!("order-status-{}", o.status.as_str())),
            status_class: match o.status {
                OrderStatus::Paid | OrderStatus::Completed => "good",
                OrderStatus::Cancelled => "bad",
                _ => "wait",
            },
        })
        .collect())
}
