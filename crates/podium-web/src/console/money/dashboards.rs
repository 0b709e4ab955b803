//! Money dashboards, drawn on the server as SVG bar charts with the numbers beside them:
//! a licensor's royalties by month, territory and licensee; a shop's sales, pending and
//! available balances and payouts; the operator's commission and the taxes and duties collected
//! per country (what must be remitted).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use podium_app::ledger::AccountRow;
use podium_app::{royalties, Org};
use podium_domain::ledger::{AccountKind, Posted};
use podium_domain::role::{OrgKind, Role};
use podium_domain::{Country, Currency, Money};

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/licensing/{org}/royalties", licensor)
        .get("/console/shops/{shop}/money", shop)
        .get("/console/operator/money", operator)
}

/// A bar chart: one row per (label, value), drawn to scale, the formatted value beside it.
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub rows: Vec<(String, String)>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn chart(title: String, rows: Vec<(String, i64, String)>) -> Chart {
    let max = rows.iter().map(|(_, v, _)| v.abs()).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (200i64, 340i64, 26i64);
    let height = row_h * i64::try_from(rows.len()).unwrap_or(0) + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {height}\" width=\"100%\" role=\"img\" aria-label=\"{t}\">",
        w = label_w + bar_w + 130,
        t = escape(&title)
    );
    for (i, (label, value, shown)) in rows.iter().enumerate() {
        let y = row_h * i64::try_from(i).unwrap_or(0) + 4;
        // Long names are shortened in the drawing; the table below has them whole.
        let label: String =
            if label.chars().count() > 26 { label.chars().take(25).chain(['…']).collect() } else { label.clone() };
        let len = (value.abs() * bar_w / max).max(i64::from(*value != 0));
        let fill = if *value < 0 { "#b45309" } else { "#0f5f4a" };
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\" fill=\"#17202a\">{l}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{len}\" height=\"{h}\" rx=\"3\" fill=\"{fill}\"/>\
             <text x=\"{vx}\" y=\"{ty}\" font-size=\"12\" fill=\"#5b6470\">{v}</text>",
            lx = label_w - 8,
            ty = y + 14,
            l = escape(&label),
            bx = label_w,
            h = row_h - 8,
            vx = label_w + len + 6,
            v = escape(shown),
        ));
    }
    svg.push_str("</svg>");
    Chart { title, svg, rows: rows.into_iter().map(|(l, _, s)| (l, s)).collect() }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Amounts in the reader's format.
fn money_in(tr: &crate::kit::i18n::Tr) -> impl Fn(i64, Currency) -> String + '_ {
    move |minor, currency| tr.money(Money::new(minor, currency))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    heading: String,
    intro: String,
    back: (String, String),
    figures: Vec<(String, String)>,
    /// The royalties page's period form: (from, to, csv link, error), when the page has one.
    period: Option<(String, String, String, Option<String>)>,
    /// What a shop owes, per currency, with why (the shop's page only).
    owed: Vec<crate::console::money::standing::Owed>,
    charts: Vec<Chart>,
    /// Where the org keeps its bank details for payouts (shops' and licensors' pages).
    bank: Option<String>,
    /// Open disputes holding back money: (order number, what is held, the bank's reason, date).
    disputes: Vec<(String, String, String, String)>,
}

/// Disputes as the consoles list them; `shop` limits them to (and counts what is held of) one shop.
async fn disputes(
    state: &AppState,
    tr: &crate::kit::i18n::Tr,
    shop: Option<&str>,
) -> Result<Vec<(String, String, String, String)>, podium_app::StoreError> {
    let money = money_in(tr);
    Ok(state
        .store
        .disputes(shop, 50)
        .await?
        .into_iter()
        .filter(|d| d.status == "open")
        .filter_map(|d| {
            let cur = Currency::parse(&d.currency).ok()?;
            let held: i64 = d.held.iter().filter(|(s, _)| shop.is_none_or(|me| me == s)).map(|(_, a)| a).sum();
            Some((d.order_number, money(held, cur), d.reason.replace('_', " "), format!("{}", d.created_at.date())))
        })
        .collect())
}

pub(crate) fn member<'a>(v: &'a Visitor, slug: &str, kind: OrgKind) -> Option<&'a Org> {
    v.principal.as_ref().and_then(|p| p.orgs_of(kind).find(|o| o.slug == slug))
}

pub(crate) fn deny(v: Visitor) -> Result<Response, PageError> {
    if v.principal.is_none() {
        let to = format!("/signin?next={}", v.path);
        return Ok(v.respond(Redirect::to(&to)));
    }
    Err(PageError::forbidden(v.tr.clone()))
}

#[derive(serde::Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

/// Royalties by month, territory and licensee, in each agreement's royalty currency, over a
/// chosen period; or, with `format=csv`, every sale and return of the period as a spreadsheet.
async fn licensor(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(pq): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let money = money_in(&tr);
    let Some(org) = member(&v, &slug, OrgKind::Licensor).cloned() else { return deny(v) };
    let internal = |e: podium_app::StoreError| PageError::internal(v.tr.clone(), e);
    let (period, period_error) = match royalties::Period::parse(&pq.from, &pq.to) {
        Some(p) => (p, None),
        None => (royalties::Period::default(), Some(v.tr.t("royalties-period-bad"))),
    };
    let agreements = state.store.agreements_of(&org.id).await.map_err(internal)?;
    if pq.format == "csv" {
        let mut out = String::from("date,agreement,licensee,territory,rights_set,kind,net,royalty,currency\n");
        for a in agreements.iter().filter(|a| a.licensor.id == org.id) {
            for e in royalties::entries(state.store.as_ref(), a).await.map_err(internal)? {
                if !period.contains(e.on) {
                    continue;
                }
                let sign = if e.returned { -1 } else { 1 };
                let cur = a.royalty_currency;
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    e.on,
                    csv_field(&a.terms.reference),
                    csv_field(&a.licensee.name),
                    e.country,
                    csv_field(&e.rights),
                    if e.returned { "return" } else { "sale" },
                    Money::new(sign * e.net, cur).amount(),
                    Money::new(sign * e.royalty, cur).amount(),
                    cur.code()
                ));
            }
        }
        let name = format!("attachment; filename=\"royalties-{}.csv\"", org.slug);
        let headers =
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)];
        return Ok(v.respond((headers, out).into_response()));
    }
    let mut by_month: BTreeMap<(Currency, String), i64> = BTreeMap::new();
    let mut by_country: BTreeMap<(Currency, String), i64> = BTreeMap::new();
    let mut by_licensee: BTreeMap<(Currency, String), i64> = BTreeMap::new();
    let mut total: BTreeMap<Currency, i64> = BTreeMap::new();
    for a in agreements.iter().filter(|a| a.licensor.id == org.id) {
        let cur = a.royalty_currency;
        for e in royalties::entries(state.store.as_ref(), a).await.map_err(internal)? {
            if !period.contains(e.on) {
                continue;
            }
            let r = if e.returned { -e.royalty } else { e.royalty };
            *by_month.entry((cur, format!("{}-{:02}", e.on.year(), u8::from(e.on.month())))).or_default() += r;
            *by_country.entry((cur, e.country.clone())).or_default() += r;
            *by_licensee.entry((cur, a.licensee.name.clone())).or_default() += r;
            *total.entry(cur).or_default() += r;
        }
    }
    let country = |c: &str| Country::parse(c).map(|c| v.tr.country(c)).unwrap_or_else(|_| c.to_string());
    let rows = |m: &BTreeMap<(Currency, String), i64>, name: &dyn Fn(&str) -> String| {
        m.iter().map(|((cur, k), value)| (name(k), *value, money(*value, *cur))).collect::<Vec<_>>()
    };
    let charts = vec![
        chart(v.tr.t("dash-royalties-by-month"), rows(&by_month, &|k| k.to_string())),
        chart(v.tr.t("dash-royalties-by-territory"), rows(&by_country, &country)),
        chart(v.tr.t("dash-royalties-by-licensee"), rows(&by_licensee, &|k| k.to_string())),
    ];
    let page = DashboardPage {
        layout: Layout::new(&v),
        heading: v.tr.t1("dash-royalties-title", "org", &org.name),
        intro: v.tr.t("dash-royalties-intro"),
        back: (format!("/console/licensing/{}", org.slug), org.name.clone()),
        bank: Some(format!("/console/licensing/{}/bank-account", org.slug)),
        disputes: Vec::new(),
        figures: total.iter().map(|(c, m)| (v.tr.t("dash-royalties-total"), money(*m, *c))).collect(),
        period: Some((
            period.from.map(|d| d.to_string()).unwrap_or_default(),
            period.to.map(|d| d.to_string()).unwrap_or_default(),
            format!(
                "/console/licensing/{}/royalties?from={}&to={}&format=csv",
                org.slug,
                period.from.map(|d| d.to_string()).unwrap_or_default(),
                period.to.map(|d| d.to_string()).unwrap_or_default()
            ),
            period_error,
        )),
        owed: Vec::new(),
        charts,
    };
    Ok(render(v, StatusCode::OK, page))
}

fn balance(a: &AccountRow) -> Option<(AccountKind, Currency, i64)> {
    let kind = AccountKind::parse(&a.kind)?;
    let currency = Currency::parse(&a.currency).ok()?;
    Some((kind, currency, Posted { debits: a.debits, credits: a.credits }.balance(kind)))
}

/// A shop's money: pending and available balances, sales by month, payouts.
async fn shop(State(state): State<AppState>, v: Visitor, Path(slug): Path<String>) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let money = money_in(&tr);
    let Some(org) = member(&v, &slug, OrgKind::Shop).cloned() else { return deny(v) };
    let internal = |e: podium_app::StoreError| PageError::internal(v.tr.clone(), e);
    let (figures, owed) =
        crate::console::money::standing::figures(&v.tr, state.store.as_ref(), &org.id).await.map_err(internal)?;
    // Sales (net goods of paid consignments) by month, from the shop's consignments.
    let mut by_month: BTreeMap<(String, Currency), i64> = BTreeMap::new();
    for c in state.store.shop_consignments(&org.id, 2_000).await.map_err(internal)? {
        let Ok(cur) = Currency::parse(&c.currency) else { continue };
        let month = format!("{}-{:02}", c.created_at.year(), u8::from(c.created_at.month()));
        *by_month.entry((month, cur)).or_default() += c.total;
    }
    let payouts = state.store.payouts(Some(&org.id), 24).await.map_err(internal)?;
    let charts = vec![
        chart(
            v.tr.t("dash-sales-by-month"),
            by_month.iter().map(|((m, cur), value)| (m.clone(), *value, money(*value, *cur))).collect(),
        ),
        chart(
            v.tr.t("dash-payouts"),
            payouts
                .iter()
                .filter_map(|p| {
                    let cur = Currency::parse(&p.currency).ok()?;
                    let amount = if p.status == "paid" { p.amount } else { 0 };
                    Some((
                        format!("{}", p.created_at.date()),
                        amount,
                        format!("{} · {}", money(p.amount, cur), v.tr.t(&format!("payout-status-{}", p.status))),
                    ))
                })
                .collect(),
        ),
    ];
    let page = DashboardPage {
        layout: Layout::new(&v),
        heading: v.tr.t1("dash-shop-title", "org", &org.name),
        intro: v.tr.t("dash-shop-intro"),
        back: (format!("/console/shops/{}", org.slug), org.name.clone()),
        bank: Some(format!("/console/shops/{}/bank-account", org.slug)),
        disputes: disputes(&state, &v.tr, Some(&org.id)).await.map_err(internal)?,
        figures,
        period: None,
        owed,
        charts,
    };
    Ok(render(v, StatusCode::OK, page))
}

/// The operator's view: commission earned; taxes and duties collected per country, to remit.
async fn operator(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let money = money_in(&tr);
    if !v.principal.as_ref().is_some_and(|p| p.has_role(Role::Operator)) {
        return deny(v);
    }
    let internal = |e: podium_app::StoreError| PageError::internal(v.tr.clone(), e);
    let accounts = state.store.ledger_accounts().await.map_err(internal)?;
    let mut commission = Vec::new();
    let mut taxes = Vec::new();
    let mut duties = Vec::new();
    for a in &accounts {
        let Some((kind, cur, b)) = balance(a) else { continue };
        let country = || Country::parse(&a.owner).map(|c| v.tr.country(c)).unwrap_or_else(|_| a.owner.clone());
        match kind {
            AccountKind::Commission => commission.push((cur.code().to_string(), b, money(b, cur))),
            AccountKind::TaxPayable => taxes.push((format!("{} · {}", country(), cur.code()), b, money(b, cur))),
            AccountKind::DutyPayable => duties.push((format!("{} · {}", country(), cur.code()), b, money(b, cur))),
            _ => {}
        }
    }
    let page = DashboardPage {
        layout: Layout::new(&v),
        heading: v.tr.t("dash-operator-title"),
        intro: v.tr.t("dash-operator-intro"),
        back: ("/console/operator".into(), v.tr.t("role-operator")),
        bank: None,
        disputes: disputes(&state, &v.tr, None).await.map_err(|e| PageError::internal(v.tr.clone(), e))?,
        figures: Vec::new(),
        period: None,
        owed: Vec::new(),
        charts: vec![
            chart(v.tr.t("dash-commission"), commission),
            chart(v.tr.t("dash-taxes"), taxes),
            chart(v.tr.t("dash-duties"), duties),
        ],
    };
    Ok(render(v, StatusCode::OK, page).into_response())
}
