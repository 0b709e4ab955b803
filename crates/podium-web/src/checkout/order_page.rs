//! The fan's order page (status, progress per consignment, codes, returns), abandoning an unpaid
//! order, asking for a return, and the signed-in fan's list of orders.

use crate::checkout::pages::StepView;
use crate::kit::address::{self};
use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::{consignment_status, money};
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::checkout::{self};
use podium_app::fulfilment::{self, FulfilError};
use podium_app::orders::OrderRecord;
use podium_domain::order::{ConsignmentStatus, OrderStatus};
use podium_domain::Country;
use serde::Deserialize;

pub(crate) struct CodeView {
    pub(crate) code: String,
    pub(crate) grouped: String,
}

pub(crate) struct OrderLineView {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) quantity: i64,
    pub(crate) refunded: i64,
    pub(crate) returnable: i64,
    /// The line's amount, in the convention of the destination (with VAT where it includes it).
    pub(crate) net: String,
    pub(crate) codes: Vec<CodeView>,
}

pub(crate) struct ReturnView {
    pub(crate) refunded: bool,
    pub(crate) status: String,
    pub(crate) amount: String,
    pub(crate) reason: String,
}

pub(crate) struct OrderConsignmentView {
    pub(crate) id: String,
    pub(crate) shop_name: String,
    pub(crate) status: String,
    pub(crate) status_class: &'static str,
    pub(crate) progress: Vec<StepView>,
    pub(crate) carrier: String,
    pub(crate) tracking: String,
    pub(crate) ship_from: String,
    pub(crate) days: String,
    pub(crate) lines: Vec<OrderLineView>,
    pub(crate) rows: Vec<crate::kit::cart_view::SumRow>,
    pub(crate) note: String,
    pub(crate) refunded: Option<String>,
    pub(crate) can_return: bool,
    pub(crate) return_until: String,
    pub(crate) returns: Vec<ReturnView>,
}

#[derive(Template)]
#[template(path = "order.html")]
pub(crate) struct OrderPage {
    pub(crate) layout: Layout,
    pub(crate) number: String,
    pub(crate) token: String,
    pub(crate) status: String,
    pub(crate) status_class: &'static str,
    pub(crate) headline: String,
    pub(crate) placed: bool,
    pub(crate) created: String,
    pub(crate) email: String,
    pub(crate) address: Vec<String>,
    pub(crate) card: String,
    pub(crate) total: String,
    pub(crate) refunded: Option<String>,
    pub(crate) next_action: Option<String>,
    pub(crate) consignments: Vec<OrderConsignmentView>,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    /// What a fan paying by a local method must do, while the payment waits for them.
    pub(crate) pay: Option<crate::checkout::methods::PayNow>,
}

pub(crate) fn order_status_text(tr: &Tr, o: &OrderRecord) -> (String, &'static str, String) {
    let label = tr.t(&format!("order-status-{}", o.status.as_str()));
    let (class, headline) = match o.status {
        OrderStatus::Paid | OrderStatus::Completed => ("good", tr.t("order-headline-paid")),
        OrderStatus::PendingPayment if o.pay_method != podium_domain::pay_method::PayMethod::Card => {
            ("wait", tr.t1("order-headline-pending-until", "time", &crate::kit::format::date(o.hold_until)))
        }
        OrderStatus::PendingPayment => {
            let minutes = (o.hold_until - o.created_at).whole_minutes().max(1);
            ("wait", tr.t1("order-headline-pending", "minutes", &minutes.to_string()))
        }
        OrderStatus::Cancelled => (
            "bad",
            match o.failure.as_deref() {
                Some("voucher_expired") => tr.t("order-failure-voucher_expired"),
                Some(_) if o.pay_method == podium_domain::pay_method::PayMethod::SepaDebit => {
                    tr.t("order-failure-debit")
                }
                Some("card_declined") => tr.t("checkout-error-declined"),
                Some("insufficient_funds") => tr.t("checkout-error-funds"),
                _ => tr.t("order-headline-cancelled"),
            },
        ),
        OrderStatus::PartiallyRefunded | OrderStatus::Refunded => ("wait", tr.t("order-headline-refunded")),
    };
    (label, class, headline)
}

pub(crate) fn progress(tr: &Tr, s: ConsignmentStatus) -> Vec<StepView> {
    use ConsignmentStatus::*;
    let order = [New, Accepted, Shipped, Delivered];
    let at = order.iter().position(|x| *x == s).unwrap_or(match s {
        Completed => 3,
        _ => 0,
    });
    order
        .iter()
        .enumerate()
        .map(|(i, x)| StepView {
            label: tr.t(&format!("consignment-status-{}", x.as_str())),
            href: String::new(),
            state: if i < at || matches!(s, Completed) {
                "done"
            } else if i == at {
                "current"
            } else {
                "todo"
            },
        })
        .collect()
}

pub(crate) fn order_page_view(
    v: &Visitor,
    o: &OrderRecord,
    token: &str,
    now: time::OffsetDateTime,
    inclusive: bool,
) -> OrderPage {
    let tr = &v.tr;
    let cur = o.currency.as_str();
    let money = |minor: i64, currency: &str| money(tr, minor, currency);
    let (status, status_class, headline) = order_status_text(tr, o);
    let date = |t: time::OffsetDateTime| format!("{}", t.date());
    let consignments = o
        .consignments
        .iter()
        .map(|c| {
            let (label, class) = consignment_status(tr, c.status);
            let deadline = fulfilment::return_deadline(c);
            let can_return = c.status == ConsignmentStatus::Delivered
                && deadline.is_some_and(|d| now <= d)
                && c.lines.iter().any(|l| fulfilment::returnable(c, &l.id) > 0);
            let currency = podium_domain::Currency::parse(cur).unwrap_or(podium_domain::Currency::EUR);
            let (amounts, rows, note) = crate::kit::cart_view::order_consignment(tr, c, currency, inclusive);
            OrderConsignmentView {
                id: c.id.clone(),
                shop_name: c.shop_name.clone(),
                status: label,
                status_class: class,
                progress: progress(tr, c.status),
                carrier: c.carrier.clone().unwrap_or_default(),
                tracking: c.tracking.clone().unwrap_or_default(),
                ship_from: Country::parse(&c.ship_from).map(|x| tr.country(x)).unwrap_or_default(),
                days: tr.tn("checkout-days", &[("min", &c.days_min.to_string()), ("max", &c.days_max.to_string())]),
                lines: c
                    .lines
                    .iter()
                    .zip(amounts)
                    .map(|(l, amount)| OrderLineView {
                        id: l.id.clone(),
                        title: l.title.clone(),
                        quantity: l.quantity,
                        refunded: l.refunded_quantity,
                        returnable: fulfilment::returnable(c, &l.id),
                        net: amount,
                        codes: l
                            .codes
                            .iter()
                            .map(|code| CodeView {
                                code: code.clone(),
                                grouped: podium_domain::authenticity::Code::parse(code)
                                    .map(|x| x.grouped())
                                    .unwrap_or_else(|_| code.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
                rows,
                note,
                refunded: (c.refunded > 0).then(|| money(c.refunded, cur)),
                can_return,
                return_until: deadline.map(date).unwrap_or_default(),
                returns: c
                    .returns
                    .iter()
                    .map(|r| ReturnView {
                        refunded: r.status == "refunded",
                        status: tr.t(&format!("return-status-{}", r.status)),
                        amount: money(r.amount, cur),
                        reason: r.reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    OrderPage {
        layout: Layout::new(v),
        number: o.number.clone(),
        token: token.to_string(),
        status,
        status_class,
        headline,
        placed: false,
        created: date(o.created_at),
        email: o.email.clone(),
        address: address::printed(tr, &o.address),
        card: match (&o.card_brand, &o.card_last4) {
            _ if o.pay_method != podium_domain::pay_method::PayMethod::Card => {
                let name = tr.t(&format!("paymethod-{}", o.pay_method.code()));
                match o.card_last4.as_deref().filter(|l| !l.is_empty()) {
                    Some(l) => format!("{name} •••• {l}"),
                    None => name,
                }
            }
            (Some(b), Some(l)) => format!("{b} •••• {l}"),
            _ => String::new(),
        },
        total: money(o.total, cur),
        refunded: (o.refunded > 0).then(|| money(o.refunded, cur)),
        next_action: o.next_action.clone().filter(|_| o.status == OrderStatus::PendingPayment),
        consignments,
        notice: None,
        error: None,
        pay: None,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct OrderQuery {
    #[serde(default)]
    pub(crate) token: String,
    #[serde(default)]
    pub(crate) placed: String,
    #[serde(default)]
    pub(crate) returned: String,
    #[serde(default)]
    pub(crate) abandoned: String,
}

pub(crate) async fn order_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Result<Response, PageError> {
    let token = (!q.token.is_empty()).then_some(q.token.as_str());
    let user = v.principal.as_ref().map(|p| p.user.id.as_str());
    let o = podium_app::orders::readable(state.store.as_ref(), &number, user, token)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(o) = o else { return Err(PageError::not_found(v.tr.clone())) };
    let inclusive = crate::kit::cart_view::order_includes_tax(&state, &o.address.country)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let mut page = order_page_view(&v, &o, &q.token, state.clock.now(), inclusive);
    // Thanks (and the confirmation e-mail) once there is something to thank for: not while a
    // voucher, a wallet or a bank has still to pay.
    let waiting = o.status == OrderStatus::PendingPayment && o.pay_method != podium_domain::pay_method::PayMethod::Card;
    page.placed = q.placed == "1" && o.status != OrderStatus::Cancelled && !waiting;
    page.pay = crate::checkout::methods::pay_now(&state, &v.tr, &o);
    if q.returned == "1" {
        page.notice = Some(v.tr.t("return-requested"));
    }
    if q.abandoned == "1" && o.status == OrderStatus::Cancelled {
        page.notice = Some(v.tr.t("order-abandoned"));
    }
    Ok(render(v, StatusCode::OK, page))
}

/// The order a form on its page acts on: the signed-in fan's, or whoever holds its token.
pub(crate) async fn posted_order(
    state: &AppState,
    v: &Visitor,
    number: &str,
    token: &str,
) -> Result<OrderRecord, PageError> {
    let token = (!token.is_empty()).then_some(token);
    let user = v.principal.as_ref().map(|p| p.user.id.as_str());
    podium_app::orders::readable(state.store.as_ref(), number, user, token)
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?
        .ok_or_else(|| PageError::not_found(v.tr.clone()))
}

#[derive(Deserialize)]
pub(crate) struct AbandonForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) token: String,
}

/// The fan gives up an order waiting for the card's second step: its stock goes back on sale
/// at once (not when the hold runs out) and the cart may be checked out again.
pub(crate) async fn abandon_order(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Form(f): Form<AbandonForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    // Order tokens are hex: anything else is no token (and never reaches the redirect).
    let token: String = f.token.chars().take(100).filter(char::is_ascii_hexdigit).collect();
    let o = posted_order(&state, &v, &number, &token).await?;
    checkout::abandon(state.store.as_ref(), state.payments.as_ref(), &o.id, "abandoned", state.clock.now())
        .await
        .map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let to = format!("/orders/{}?token={token}&abandoned=1", o.number);
    Ok(v.respond(Redirect::to(&to)))
}

pub(crate) async fn ask_return(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone()).unwrap_or_default();
    v.check_csrf(&get("csrf_token"))?;
    let token = get("token");
    let o = posted_order(&state, &v, &number, &token).await?;
    let consignment = get("consignment");
    let lines: Vec<(String, i64)> = pairs
        .iter()
        .filter_map(|(k, x)| k.strip_prefix("qty.").map(|id| (id.to_string(), x.trim().parse::<i64>().unwrap_or(0))))
        .take(200)
        .collect();
    let reason: String = get("reason").chars().take(fulfilment::MAX_REASON + 1).collect();
    match fulfilment::request_return(state.store.as_ref(), &o, &consignment, &lines, &reason, state.clock.now()).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/orders/{}?token={token}&returned=1", o.number)))),
        Err(FulfilError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let text = match e {
                FulfilError::WindowClosed(_) => v.tr.t("return-error-window"),
                FulfilError::Invalid("reason", _) => v.tr.t("return-error-reason"),
                _ => v.tr.t("return-error-lines"),
            };
            let inclusive = crate::kit::cart_view::order_includes_tax(&state, &o.address.country)
                .await
                .map_err(|e| PageError::internal(v.tr.clone(), e))?;
            let mut page = order_page_view(&v, &o, &token, state.clock.now(), inclusive);
            page.error = Some(text);
            Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

pub(crate) struct OrderRow {
    pub(crate) number: String,
    pub(crate) date: String,
    pub(crate) status: String,
    pub(crate) status_class: &'static str,
    pub(crate) total: String,
    pub(crate) shops: String,
}

#[derive(Template)]
#[template(path = "my_orders.html")]
pub(crate) struct MyOrdersPage {
    pub(crate) layout: Layout,
    pub(crate) orders: Vec<OrderRow>,
}

pub(crate) async fn my_orders(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let Some(p) = &v.principal else { return Ok(v.respond(Redirect::to("/signin?next=/account/orders"))) };
    let orders = state.store.orders_of_user(&p.user.id, 100).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let rows = orders
        .iter()
        .map(|o| {
            let (mut status, mut status_class, _) = order_status_text(&v.tr, o);
            if o.status == OrderStatus::Paid {
                // A paid order is as far along as its parcels are.
                let mut labels: Vec<(String, &'static str)> =
                    o.consignments.iter().map(|c| consignment_status(&v.tr, c.status)).collect();
                labels.dedup();
                if let Some((_, class)) = labels.first() {
                    status_class = class;
                }
                status = labels.into_iter().map(|(l, _)| l).collect::<Vec<_>>().join(" · ");
            }
            OrderRow {
                number: o.number.clone(),
                date: format!("{}", o.created_at.date()),
                status,
                status_class,
                total: money(&v.tr, o.total, &o.currency),
                shops: o.consignments.iter().map(|c| c.shop_name.as_str()).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    let page = MyOrdersPage { layout: Layout::new(&v), orders: rows };
    Ok(render(v, StatusCode::OK, page))
}
