//! The merchant's orders: the shop's consignments (only its own), and for each the steps of
//! fulfilment — accept, ship with carrier, tracking and an authenticity code on every unit,
//! mark delivered — and the fans' return requests to accept (refunding, restocking) or refuse.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::fulfilment::{self, FulfilError, FulfilStep, Shipment};
use podium_app::orders::{ConsignmentRecord, OrderRecord};
use podium_app::shop_home::{self, Show};
use podium_app::Org;
use podium_domain::order::ConsignmentStatus;
use podium_domain::Country;
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::format::{consignment_status, money};
use crate::kit::guards::shop_or_return;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/shops/{shop}/orders", list)
        .get("/console/shops/{shop}/orders/{id}", detail)
        .post("/console/shops/{shop}/orders/{id}/{step}", step)
        .post("/console/shops/{shop}/orders/{id}/returns/{rid}/{decision}", decide_return)
}

struct Row {
    id: String,
    number: String,
    date: String,
    status: String,
    status_class: &'static str,
    to: String,
    units: i64,
    total: String,
    returns: i64,
}

#[derive(Template)]
#[template(path = "orders_console.html")]
struct ListPage {
    layout: Layout,
    shop: Org,
    rows: Vec<Row>,
    waiting: usize,
    /// The filters offered (value, label, chosen) and the search typed.
    shows: Vec<crate::kit::layout::Opt>,
    q: String,
    /// Whether the shop has any parcel at all (else the list is empty because of the filters).
    any: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    show: String,
    #[serde(default)]
    q: String,
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let rows = state.store.shop_consignments(&shop.id, 200).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let waiting =
        rows.iter().filter(|r| matches!(r.status, ConsignmentStatus::New | ConsignmentStatus::Accepted)).count();
    let show = Show::parse(&lq.show);
    let q: String = lq.q.trim().chars().take(100).collect();
    let any = !rows.is_empty();
    let shows = Show::ALL
        .iter()
        .map(|s| crate::kit::layout::Opt {
            value: s.as_str().to_string(),
            label: v.tr.t(&format!("fulfil-show-{}", s.as_str())),
            selected: *s == show,
            extra: String::new(),
        })
        .collect();
    let rows = rows
        .into_iter()
        .filter(|r| shop_home::listed(r, show, &q))
        .map(|r| {
            let (status, status_class) = consignment_status(&v.tr, r.status);
            Row {
                total: money(&v.tr, r.total, &r.currency),
                id: r.id,
                number: r.order_number,
                date: format!("{}", r.created_at.date()),
                status,
                status_class,
                to: format!(
                    "{} · {}",
                    r.ship_name,
                    Country::parse(&r.country).map(|c| v.tr.country(c)).unwrap_or(r.country)
                ),
                units: r.units,
                returns: r.open_returns,
            }
        })
        .collect();
    let page = ListPage { layout: Layout::new(&v), shop, rows, waiting, shows, q, any };
    Ok(render(v, StatusCode::OK, page))
}

struct UnitInput {
    name: String,
    value: String,
    label: String,
}

struct LineView {
    title: String,
    sku: String,
    quantity: i64,
    net: String,
    codes: Vec<String>,
    units: Vec<UnitInput>,
    /// Not enough codes left for this item: the licensor must issue more.
    missing: Option<String>,
}

struct ReturnView {
    id: String,
    status: String,
    open: bool,
    reason: String,
    lines: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "consignment_console.html")]
struct DetailPage {
    layout: Layout,
    shop: Org,
    id: String,
    number: String,
    status: String,
    status_class: &'static str,
    step: &'static str,
    address: Vec<String>,
    phone: String,
    customs_code: String,
    email: String,
    lines: Vec<LineView>,
    goods: String,
    shipping: String,
    vat: String,
    duty: String,
    total: String,
    carrier: String,
    tracking: String,
    returns: Vec<ReturnView>,
    /// The items of this parcel the shop has too few codes for, with a form to ask for them.
    missing: Vec<crate::console::shop::code_requests::MissingView>,
    notice: Option<String>,
    error: Option<String>,
}

/// How the detail page is drawn: its status, a notice or an error, and what was typed.
#[derive(Default)]
struct Draw<'a> {
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    typed: Option<&'a [(String, String)]>,
}

async fn page(
    state: &AppState,
    v: Visitor,
    shop: Org,
    (o, c): (OrderRecord, ConsignmentRecord),
    draw: Draw<'_>,
) -> Result<Response, PageError> {
    let Draw { status, notice, error, typed } = draw;
    let tr: &Tr = &v.tr;
    let cur = o.currency.as_str();
    let money = |minor: i64, currency: &str| money(tr, minor, currency);
    let next_step = match c.status {
        ConsignmentStatus::New => "accept",
        ConsignmentStatus::Accepted => "ship",
        ConsignmentStatus::Shipped => "deliver",
        _ => "",
    };
    let typed_value = |name: &str| typed.and_then(|t| t.iter().find(|(k, _)| k == name).map(|(_, x)| x.clone()));
    let mut lines = Vec::with_capacity(c.lines.len());
    for l in &c.lines {
        let units = l.quantity - l.refunded_quantity;
        let (inputs, missing) = if next_step == "ship" {
            let free = state
                .store
                .free_codes(&shop.id, &l.variant_id, units)
                .await
                .map_err(|e| PageError::internal(tr.clone(), e))?;
            let inputs = (0..units)
                .map(|i| {
                    let name = format!("code.{}.{i}", l.id);
                    let suggested = usize::try_from(i).ok().and_then(|i| free.get(i)).cloned().unwrap_or_default();
                    UnitInput {
                        value: typed_value(&name).unwrap_or(suggested),
                        label: tr.tn("fulfil-unit-code", &[("n", &(i + 1).to_string()), ("item", &l.title)]),
                        name,
                    }
                })
                .collect();
            (inputs, (units - i64::try_from(free.len()).unwrap_or(0)).max(0))
        } else {
            (Vec::new(), 0)
        };
        lines.push(LineView {
            title: l.title.clone(),
            sku: l.sku.clone(),
            quantity: l.quantity,
            net: money(l.net, cur),
            codes: l.codes.clone(),
            units: inputs,
            missing: (missing > 0)
                .then(|| tr.tn("fulfil-codes-missing", &[("count", &missing.to_string()), ("item", &l.title)])),
        });
    }
    // Before it ships, whatever this parcel's items lack in codes, and the request for them.
    let missing = if matches!(next_step, "accept" | "ship") {
        let mut ids: Vec<String> = c.lines.iter().map(|l| l.product_id.clone()).collect();
        ids.dedup();
        let products = state.store.products_by_ids(&ids).await.map_err(|e| PageError::internal(tr.clone(), e))?;
        let mut found = crate::console::shop::code_requests::missing_for(state, tr, &shop, &products).await?;
        found.retain(|m| c.lines.iter().any(|l| l.sku == m.sku));
        found
    } else {
        Vec::new()
    };
    let (status_text, status_class) = consignment_status(tr, c.status);
    let page = DetailPage {
        layout: Layout::new(&v),
        id: c.id.clone(),
        number: o.number.clone(),
        status: status_text,
        status_class,
        step: next_step,
        address: crate::kit::address::printed(tr, &o.address),
        phone: o.address.phone.clone(),
        customs_code: o.address.customs_code.clone(),
        email: o.email.clone(),
        lines,
        goods: money(c.goods, cur),
        shipping: money(c.shipping, cur),
        vat: money(c.vat, cur),
        duty: money(c.duty, cur),
        total: money(c.total, cur),
        carrier: typed_value("carrier").or(c.carrier.clone()).unwrap_or_default(),
        tracking: typed_value("tracking").or(c.tracking.clone()).unwrap_or_default(),
        returns: c
            .returns
            .iter()
            .map(|r| ReturnView {
                id: r.id.clone(),
                status: tr.t(&format!("return-status-{}", r.status)),
                open: r.status == "requested",
                reason: r.reason.clone(),
                lines: r
                    .lines
                    .iter()
                    .map(|(id, q)| {
                        let title = c.lines.iter().find(|l| l.id == *id).map_or("", |l| l.title.as_str());
                        format!("{q} × {title}")
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                amount: fulfilment::refund_plan(&c, &r.id, false)
                    .map_or_else(|| money(r.amount, cur), |p| money(p.amount, cur)),
            })
            .collect(),
        missing,
        notice,
        error,
        shop,
    };
    Ok(render(v, status, page))
}

async fn load(
    state: &AppState,
    v: &Visitor,
    shop: &Org,
    id: &str,
) -> Result<(OrderRecord, ConsignmentRecord), PageError> {
    match fulfilment::shop_consignment(state.store.as_ref(), &shop.id, id).await {
        Ok(found) => Ok(found),
        Err(FulfilError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(e) => Err(PageError::internal(v.tr.clone(), e)),
    }
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: String,
}

async fn detail(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let shop = shop_or_return!(v, slug);
    let (o, c) = load(&state, &v, &shop, &id).await?;
    let notice = match d.done.as_str() {
        "accept" | "ship" | "deliver" | "refund" | "refuse" => Some(v.tr.t(&format!("fulfil-done-{}", d.done))),
        _ => None,
    };
    page(&state, v, shop, (o, c), Draw { notice, ..Draw::default() }).await
}

fn fulfil_error_text(tr: &Tr, e: &FulfilError) -> String {
    match e {
        FulfilError::State(s) => {
            tr.t1("fulfil-error-state", "status", &tr.t(&format!("consignment-status-{}", s.as_str())))
        }
        FulfilError::Invalid("carrier", _) => tr.t("fulfil-error-carrier"),
        FulfilError::Invalid("tracking", _) => tr.t("fulfil-error-tracking"),
        FulfilError::Invalid("codes", _) => tr.t("fulfil-error-codes"),
        FulfilError::Code(code) => tr.t1("fulfil-error-code", "code", code),
        FulfilError::ReturnNotFound | FulfilError::ReturnDecided => tr.t("fulfil-error-return"),
        FulfilError::Provider(_) => tr.t("fulfil-error-provider"),
        other => other.to_string(),
    }
}

async fn step(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id, step)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone()).unwrap_or_default();
    v.check_csrf(&get("csrf_token"))?;
    let shop = shop_or_return!(v, slug);
    let (o, c) = load(&state, &v, &shop, &id).await?;
    let action = match step.as_str() {
        "accept" => FulfilStep::Accept,
        "deliver" => FulfilStep::Deliver,
        "ship" => FulfilStep::Ship(Shipment {
            carrier: get("carrier"),
            tracking: get("tracking"),
            codes: c
                .lines
                .iter()
                .map(|l| {
                    let prefix = format!("code.{}.", l.id);
                    let mut typed: Vec<(usize, String)> = pairs
                        .iter()
                        .filter_map(|(k, x)| {
                            k.strip_prefix(&prefix).and_then(|i| i.parse().ok()).map(|i| (i, x.clone()))
                        })
                        .collect();
                    typed.sort();
                    (l.id.clone(), typed.into_iter().map(|(_, x)| x).collect())
                })
                .collect(),
        }),
        _ => return Err(PageError::not_found(v.tr.clone())),
    };
    match fulfilment::fulfil(state.store.as_ref(), &shop.id, &id, action, state.clock.now()).await {
        Ok(()) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/orders/{id}?done={step}", shop.slug)))),
        Err(FulfilError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let text = fulfil_error_text(&v.tr, &e);
            let draw = Draw {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: Some(text),
                typed: Some(&pairs),
                ..Draw::default()
            };
            page(&state, v, shop, (o, c), draw).await
        }
    }
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    restock: String,
}

async fn decide_return(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id, rid, decision)): Path<(String, String, String, String)>,
    Form(f): Form<DecideForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = shop_or_return!(v, slug);
    let now = state.clock.now();
    let outcome = match decision.as_str() {
        "accept" => fulfilment::accept_return(
            state.store.as_ref(),
            state.payments.as_ref(),
            &shop.id,
            &id,
            &rid,
            f.restock == "on",
            now,
        )
        .await
        .map(|_| "refund"),
        "refuse" => fulfilment::refuse_return(state.store.as_ref(), &shop.id, &id, &rid, now).await.map(|()| "refuse"),
        _ => return Err(PageError::not_found(v.tr.clone())),
    };
    match outcome {
        Ok(done) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/orders/{id}?done={done}", shop.slug)))),
        Err(FulfilError::NotFound) => Err(PageError::not_found(v.tr.clone())),
        Err(FulfilError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let found = load(&state, &v, &shop, &id).await?;
            let text = fulfil_error_text(&v.tr, &e);
            page(&state, v, shop, found, Draw { status: StatusCode::CONFLICT, error: Some(text), ..Draw::default() })
                .await
        }
    }
}
