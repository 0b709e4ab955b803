//! Royalty statements (DESIGN §3.9): one page per agreement and quarter that the licensor and
//! the licensee both read, the same figures as CSV, and a print view.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use podium_app::royalties;
use podium_domain::royalty::{Part, Quarter, Statement};
use podium_domain::{Country, Money};
use serde::Deserialize;

use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/console/statements/{agreement}", statement_page)
}

#[derive(Deserialize, Default)]
struct StatementQuery {
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    print: String,
}

struct Row {
    label: String,
    gross: String,
    returns: String,
    net: String,
    royalty: String,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    layout: Layout,
    id: String,
    reference: String,
    licensor: String,
    licensee: String,
    currency: String,
    quarter: String,
    previous: String,
    next: String,
    period: String,
    total: Row,
    /// By territory, by rights set: (heading, rows).
    sections: Vec<(String, Vec<Row>)>,
    advance: String,
    recouped_before: String,
    recouped_now: String,
    payable: String,
    shortfall: Option<(String, String, String, String)>,
    print: bool,
    empty: bool,
}

async fn statement_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, PageError> {
    let Some(p) = &v.principal else {
        return Ok(v.respond(axum::response::Redirect::to(&format!("/signin?next=/console/statements/{id}"))));
    };
    let internal = |e: podium_app::StoreError| PageError::internal(v.tr.clone(), e);
    let Some(agreement) = state.store.agreement(&id).await.map_err(internal)? else {
        return Err(PageError::not_found(v.tr.clone()));
    };
    // The licensor and the licensee read the same statement; nobody else reads it.
    let party = p.orgs.iter().any(|o| o.id == agreement.licensor.id || o.id == agreement.licensee.id);
    if !party {
        return Err(PageError::not_found(v.tr.clone()));
    }
    let today = state.clock.now().date();
    let quarter = Quarter::parse(&q.quarter).unwrap_or_else(|| Quarter::of(today));
    let s = royalties::statement(state.store.as_ref(), &agreement, quarter).await.map_err(internal)?;
    let cur = agreement.royalty_currency;
    let money = |minor: i64| v.tr.money(Money::new(minor, cur));
    if q.format == "csv" {
        return Ok(v.respond(csv(&agreement.terms.reference, cur.code(), &s)));
    }
    let row = |label: String, p: &Part| Row {
        label,
        gross: money(p.gross),
        returns: money(p.returns),
        net: money(p.net),
        royalty: money(p.royalty),
    };
    let rights_label = |rid: &str| {
        agreement
            .terms
            .rights
            .iter()
            .position(|r| r.id == rid)
            .map(|i| v.tr.t1("statement-rights-set", "n", &(i + 1).to_string()))
            .unwrap_or_else(|| rid.to_string())
    };
    let country = |c: &str| Country::parse(c).map(|c| v.tr.country(c)).unwrap_or_else(|_| c.to_string());
    let page = StatementPage {
        layout: Layout::new(&v),
        id: agreement.terms.id.clone(),
        reference: agreement.terms.reference.clone(),
        licensor: agreement.licensor.name.clone(),
        licensee: agreement.licensee.name.clone(),
        currency: cur.code().to_string(),
        quarter: quarter.to_string(),
        previous: quarter.previous().to_string(),
        next: quarter.next().to_string(),
        period: format!("{} – {}", quarter.start(), quarter.end().previous_day().unwrap_or(quarter.end())),
        total: row(v.tr.t("statement-total"), &s.total),
        sections: vec![
            (v.tr.t("statement-by-territory"), s.by_territory.iter().map(|(c, p)| row(country(c), p)).collect()),
            (v.tr.t("statement-by-rights"), s.by_rights.iter().map(|(r, p)| row(rights_label(r), p)).collect()),
        ],
        advance: money(s.advance),
        recouped_before: money(s.recouped_before),
        recouped_now: money(s.recouped_now),
        payable: money(s.payable),
        shortfall: s.shortfall.as_ref().map(|sf| {
            (
                format!("{} – {}", sf.year_start, sf.year_end.previous_day().unwrap_or(sf.year_end)),
                money(sf.minimum),
                money(sf.royalties),
                money(sf.shortfall),
            )
        }),
        print: q.print == "1",
        empty: s.total == Part::default(),
    };
    Ok(render(v, StatusCode::OK, page))
}

fn csv(reference: &str, currency: &str, s: &Statement) -> Response {
    let mut out = String::from("agreement,quarter,section,key,gross,returns,net,royalty,currency\n");
    let mut line = |section: &str, key: &str, p: &Part| {
        out.push_str(&format!(
            "{reference},{},{section},{key},{},{},{},{},{currency}\n",
            s.quarter, p.gross, p.returns, p.net, p.royalty
        ));
    };
    line("total", "", &s.total);
    for (c, p) in &s.by_territory {
        line("territory", c, p);
    }
    for (r, p) in &s.by_rights {
        line("rights_set", r, p);
    }
    out.push_str(&format!("{reference},{},advance,recouped_before,,,,{},{currency}\n", s.quarter, s.recouped_before));
    out.push_str(&format!("{reference},{},advance,recouped_now,,,,{},{currency}\n", s.quarter, s.recouped_now));
    out.push_str(&format!("{reference},{},payable,,,,,{},{currency}\n", s.quarter, s.payable));
    if let Some(sf) = &s.shortfall {
        out.push_str(&format!(
            "{reference},{},minimum_guarantee,{}..{},,,{},{},{currency}\n",
            s.quarter, sf.year_start, sf.year_end, sf.royalties, sf.shortfall
        ));
    }
    let name = format!("attachment; filename=\"royalties-{reference}-{}.csv\"", s.quarter);
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], out)
        .into_response()
}
