//! An organisation's API tokens: made with a name and scopes, shown once, revoked with a click.
//! Shops may give a token any of the four scopes; licensors read their catalogue only (the
//! products submitted under their licences). Making and revoking a token are audited.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::security::{self, Scope, TokenError};
use podium_app::Org;
use podium_domain::role::OrgKind;
use serde::Deserialize;

use crate::kit::context::{CsrfForm, Visitor};
use crate::kit::error::PageError;
use crate::kit::format::date;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::routes::Routes;
use crate::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get("/console/tokens/{org}", page)
        .post("/console/tokens/{org}", create)
        .post("/console/tokens/{org}/{id}/revoke", revoke)
}

/// The shop or licensor the signed-in user belongs to; else sign in, or 403.
fn member(v: &Visitor, slug: &str) -> Result<Org, Box<Response>> {
    let Some(p) = &v.principal else {
        return Err(Box::new(Redirect::to(&format!("/signin?next=/console/tokens/{slug}")).into_response()));
    };
    match p.orgs.iter().find(|o| o.slug == slug && matches!(o.kind, OrgKind::Shop | OrgKind::Licensor)) {
        Some(o) => Ok(o.clone()),
        None => Err(Box::new(PageError::forbidden(v.tr.clone()).into_response())),
    }
}

fn scopes_for(kind: OrgKind) -> &'static [Scope] {
    match kind {
        OrgKind::Shop => &Scope::ALL,
        _ => &[Scope::ReadCatalogue],
    }
}

fn scope_label(tr: &Tr, s: Scope) -> String {
    tr.t(&format!("scope-{}", s.as_str().replace(':', "-")))
}

struct ScopeOption {
    value: &'static str,
    label: String,
    checked: bool,
}

struct TokenRow {
    id: String,
    name: String,
    scopes: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "tokens_console.html")]
struct TokensPage {
    layout: Layout,
    org: Org,
    scopes: Vec<ScopeOption>,
    rows: Vec<TokenRow>,
    name: String,
    /// The token just made, shown this once.
    created: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

/// What the page says besides the list: the answer's status, and a new token, an error or a
/// notice.
struct Outcome {
    status: StatusCode,
    created: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

impl Outcome {
    fn ok() -> Outcome {
        Outcome { status: StatusCode::OK, created: None, error: None, notice: None }
    }
}

async fn render_page(
    state: &AppState,
    v: Visitor,
    org: Org,
    draft: (&str, &[Scope]),
    out: Outcome,
) -> Result<Response, PageError> {
    let Outcome { status, created, error, notice } = out;
    let tr = v.tr.clone();
    let tokens = state.store.api_tokens_of(&org.id).await.map_err(|e| PageError::internal(tr.clone(), e))?;
    let rows = tokens
        .into_iter()
        .map(|t| TokenRow {
            scopes: t.scopes.iter().map(|s| scope_label(&tr, *s)).collect::<Vec<_>>().join(", "),
            created: date(t.created_at),
            last_used: t.last_used_at.map(date).unwrap_or_else(|| tr.t("tokens-never")),
            revoked: t.revoked_at.map(date),
            id: t.id,
            name: t.name,
        })
        .collect();
    let scopes = scopes_for(org.kind)
        .iter()
        .map(|s| ScopeOption { value: s.as_str(), label: scope_label(&tr, *s), checked: draft.1.contains(s) })
        .collect();
    let page =
        TokensPage { layout: Layout::new(&v), org, scopes, rows, name: draft.0.to_string(), created, error, notice };
    Ok(render(v, status, page))
}

#[derive(Deserialize)]
struct Done {
    #[serde(default)]
    revoked: String,
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let org = match member(&v, &slug) {
        Ok(o) => o,
        Err(r) => return Ok(v.respond(*r)),
    };
    let notice = (q.revoked == "1").then(|| v.tr.t("tokens-revoked-notice"));
    render_page(&state, v, org, ("", &[]), Outcome { notice, ..Outcome::ok() }).await
}

async fn create(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    v.check_csrf(field("csrf_token"))?;
    let org = match member(&v, &slug) {
        Ok(o) => o,
        Err(r) => return Ok(v.respond(*r)),
    };
    let allowed = scopes_for(org.kind);
    let scopes: Vec<Scope> = fields
        .iter()
        .filter(|(k, _)| k == "scope")
        .filter_map(|(_, s)| Scope::parse(s))
        .filter(|s| allowed.contains(s))
        .collect();
    let name = field("name");
    match security::create_token(state.store.as_ref(), &org.id, &v.actor(), name, &scopes, state.clock.now()).await {
        Ok((secret, _)) => {
            let out = Outcome { status: StatusCode::CREATED, created: Some(secret), ..Outcome::ok() };
            render_page(&state, v, org, ("", &[]), out).await
        }
        Err(TokenError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(e) => {
            let error = match e {
                TokenError::NoScope => v.tr.t("tokens-error-scope"),
                _ => v.tr.t("tokens-error-name"),
            };
            let name: String = name.chars().take(security::MAX_TOKEN_NAME).collect();
            let out = Outcome { status: StatusCode::UNPROCESSABLE_ENTITY, error: Some(error), ..Outcome::ok() };
            render_page(&state, v, org, (&name, &scopes), out).await
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    v: Visitor,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let org = match member(&v, &slug) {
        Ok(o) => o,
        Err(r) => return Ok(v.respond(*r)),
    };
    match security::revoke_token(state.store.as_ref(), &org.id, &v.actor(), &id, state.clock.now()).await {
        Ok(()) => Ok(v.respond(Redirect::to(&format!("/console/tokens/{}?revoked=1", org.slug)))),
        Err(TokenError::Store(e)) => Err(PageError::internal(v.tr.clone(), e)),
        Err(_) => Err(PageError::not_found(v.tr.clone())),
    }
}
