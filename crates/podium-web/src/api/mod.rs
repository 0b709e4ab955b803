//! The JSON API under `/api/v1`, described by an OpenAPI 3.1 document generated from this code
//! (`/api/v1/openapi.json`, browsable at `/api/docs`).
//!
//! Authentication: `Authorization: Bearer TOKEN` (a session from `POST /api/v1/sessions`, or an
//! organisation's API token `pdm_…` made in the console, limited to its scopes) or the session
//! cookie; an unsafe request authenticated by cookie must carry `X-CSRF-Token`. The query
//! parameters `country`, `currency` and `lang` are validated on every route: unknown values get
//! 422, never a silent fallback.

pub mod address;
pub mod catalogue;
pub mod orders;
pub mod quotes;
pub mod shop;
pub mod verify;

use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::CookieJar;
use podium_app::accounts::{self, Principal, SignInError};
use podium_app::security::{self, Scope};
use podium_domain::{Country, Currency, Lang, Money, Rate, RateTable};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::{OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use crate::kit::context::{bearer_token, client_of, SESSION_COOKIE};
use crate::kit::error::{ApiError, Problem};
pub use crate::kit::json::MoneyJson;
use crate::ops::Health;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Podium API", description = "The marketplace for officially licensed merchandise. Money is integer minor units with a currency; errors are RFC 9457 problem+json."),
    paths(create_session, delete_session, me, context, fx_rates, fx_convert, crate::api::catalogue::products,
        crate::api::catalogue::product, crate::api::catalogue::suggest, crate::api::quotes::create_quote, crate::api::quotes::create_cart, crate::api::quotes::get_cart, crate::api::quotes::add_cart_line,
        crate::api::orders::checkout_cart, crate::api::orders::get_order, crate::api::orders::my_orders, crate::api::orders::request_return,
        crate::api::orders::shop_consignments, crate::api::orders::accept, crate::api::orders::ship, crate::api::orders::deliver,
        crate::api::orders::accept_return, crate::api::shop::export, crate::api::shop::import, crate::api::shop::licensor_submissions, crate::api::orders::sandbox_webhook, crate::api::orders::stripe_webhook, crate::api::verify::api_verify, crate::ops::healthz, crate::ops::readyz),
    components(schemas(Problem, Health, MoneyJson, SessionCreated, SignInBody, Me, ContextJson, RateJson, RatesJson, ConversionJson,
        crate::api::catalogue::ProductsJson, crate::api::catalogue::ProductJson, crate::api::catalogue::SuggestionsJson, crate::api::verify::AuthenticityJson,
        crate::api::quotes::QuoteBody, crate::api::quotes::QuoteJson, crate::api::quotes::NewCartBody,
        crate::api::quotes::CartJson, crate::api::quotes::AddLineBody,
        crate::api::address::AddressBody, crate::api::address::ShipToJson,
        crate::api::orders::CheckoutBody, crate::api::orders::PlacedJson, crate::api::orders::OrderJson, crate::api::orders::OrderListJson,
        crate::api::orders::ShopConsignmentsJson, crate::api::orders::OrderConsignmentJson, crate::api::orders::ShipBody,
        crate::api::orders::ReturnBody, crate::api::orders::DecideReturnBody, crate::api::shop::ImportJson, crate::api::shop::SubmissionsJson, crate::api::shop::SubmissionJson)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags((name = "accounts"), (name = "storefront"), (name = "fx"), (name = "authenticity"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Errors are `application/problem+json`, and every operation can answer the ones any request
/// can meet: 400 (a body or parameter that cannot be read), 422 (an unknown `country`,
/// `currency` or `lang`, or a field that is not valid), and for operations with a body 413 (too
/// large) and 415 (not JSON).
struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        const PROBLEM: &str = "application/problem+json";
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(PROBLEM, Content::new(Some(Ref::from_schema_name("Problem"))))
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                for (status, response) in op.responses.responses.iter_mut() {
                    if let (false, RefOr::T(r)) = (status.starts_with('2'), response) {
                        if let Some(c) = r.content.shift_remove("application/json") {
                            r.content.insert(PROBLEM.to_string(), c);
                        }
                    }
                }
                let mut common = vec![
                    ("400", "The request could not be read: a malformed parameter or body"),
                    ("422", "A parameter or field is not valid; `field` names it"),
                ];
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    common.push(("401", "Not signed in, or the token is unknown, expired or revoked"));
                    common.push(("403", "Signed in, but not allowed to do this"));
                }
                if op.request_body.is_some() {
                    common.push(("413", "The body is too large"));
                    common.push(("415", "The body is not of the media type the operation takes"));
                }
                for (status, description) in common {
                    op.responses.responses.entry(status.to_string()).or_insert_with(|| problem(description));
                }
            }
        }
    }
}

pub fn routes() -> crate::routes::Routes {
    let v1 = crate::routes::Routes::new()
        .post("/sessions", create_session)
        .delete("/sessions/current", delete_session)
        .get("/me", me)
        .get("/context", context)
        .get("/fx/rates", fx_rates)
        .get("/fx/convert", fx_convert)
        .get("/products", crate::api::catalogue::products)
        .get("/products/{slug}", crate::api::catalogue::product)
        .get("/suggest", crate::api::catalogue::suggest)
        .post("/quotes", crate::api::quotes::create_quote)
        .post("/carts", crate::api::quotes::create_cart)
        .get("/carts/{id}", crate::api::quotes::get_cart)
        .post("/carts/{id}/lines", crate::api::quotes::add_cart_line)
        .post("/carts/{id}/checkout", crate::api::orders::checkout_cart)
        .get("/orders", crate::api::orders::my_orders)
        .get("/orders/{number}", crate::api::orders::get_order)
        .post("/orders/{number}/returns", crate::api::orders::request_return)
        .get("/shops/{shop}/consignments", crate::api::orders::shop_consignments)
        .get("/shops/{shop}/products.csv", crate::api::shop::export)
        .post("/shops/{shop}/products.csv", crate::api::shop::import)
        .get("/licensors/{org}/submissions", crate::api::shop::licensor_submissions)
        .post("/consignments/{id}/accept", crate::api::orders::accept)
        .post("/consignments/{id}/ship", crate::api::orders::ship)
        .post("/consignments/{id}/deliver", crate::api::orders::deliver)
        .post("/consignments/{id}/returns/{rid}/accept", crate::api::orders::accept_return)
        .post("/webhooks/sandbox", crate::api::orders::sandbox_webhook)
        .post("/webhooks/stripe", crate::api::orders::stripe_webhook)
        .get("/authenticity/{code}", crate::api::verify::api_verify)
        .map(|r| r.route_layer(axum::middleware::from_fn(validate_locale_params)).fallback(api_not_found));
    let docs =
        axum::Router::from(SwaggerUi::new("/api/docs").config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")))
            .route("/api/v1/openapi.json", axum::routing::get(openapi_json));
    crate::routes::Routes::new()
        .merge_router(
            docs,
            &[(Method::GET, "/api/docs"), (Method::GET, "/api/docs/{*rest}"), (Method::GET, "/api/v1/openapi.json")],
        )
        .nest("/api/v1", v1)
}

/// The OpenAPI document, written out when first asked for and kept as its text: built as a
/// value it takes about a megabyte, which a node would otherwise hold from start to finish.
async fn openapi_json() -> Response {
    static DOC: std::sync::OnceLock<axum::body::Bytes> = std::sync::OnceLock::new();
    let text = DOC.get_or_init(|| serde_json::to_vec(&ApiDoc::openapi()).unwrap_or_default().into());
    ([(axum::http::header::CONTENT_TYPE, "application/json")], text.clone()).into_response()
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API resource; see /api/v1/openapi.json")
}

/// Refuses unknown `country`, `currency` or `lang` query values on every API route.
async fn validate_locale_params(req: Request, next: Next) -> Response {
    // A method this path does not serve gets its 405 from the router, whatever the query says.
    static SERVED: std::sync::OnceLock<std::collections::HashSet<(Method, String)>> = std::sync::OnceLock::new();
    let served = SERVED.get_or_init(|| crate::route_table().into_iter().map(|r| (r.method, r.path)).collect());
    let path = req.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_string());
    let method = if req.method() == Method::HEAD { Method::GET } else { req.method().clone() };
    if path.is_some_and(|p| !served.contains(&(method, p))) {
        return next.run(req).await;
    }
    if let Some(q) = req.uri().query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            let err = match k.as_ref() {
                "country" if Country::parse(&v).is_err() => Some(ApiError::invalid(
                    "country",
                    format!("unknown country {v:?}: use an ISO 3166-1 alpha-2 code such as JP"),
                )),
                "currency" if Currency::parse(&v).is_err() => Some(ApiError::invalid(
                    "currency",
                    format!("unknown currency {v:?}: use an ISO 4217 code such as JPY"),
                )),
                "lang" if Lang::from_tag(&v).is_none() => Some(ApiError::invalid(
                    "lang",
                    format!("unsupported language {v:?}: use one of en, fr, zh-Hans, ja, ko"),
                )),
                _ => None,
            };
            if let Some(e) = err {
                return e.into_response();
            }
        }
    }
    next.run(req).await
}

/// A JSON body whose rejections are problem+json too.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError::new(
                rejection.status(),
                "invalid-body",
                "The request body is not valid",
                rejection.body_text(),
            )),
        }
    }
}

/// The caller of an API request, if authenticated.
pub struct Caller(pub Option<Principal>);

impl Caller {
    /// The signed-in person if any; an API token is refused (it may not shop or read a fan's
    /// orders).
    pub fn person(self) -> Result<Option<Principal>, ApiError> {
        match self.0 {
            Some(p) if p.token.is_some() => Caller(Some(p)).require().map(Some),
            other => Ok(other),
        }
    }

    /// A signed-in person. An organisation's API token is refused: it may only do what its
    /// scopes name ([`Caller::require_scope`]).
    pub fn require(self) -> Result<Principal, ApiError> {
        let p = self.0.ok_or_else(ApiError::unauthenticated)?;
        if p.token.is_some() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient-scope",
                "Not allowed with an API token",
                "an API token can only use its organisation's catalogue and orders; sign in for this",
            ));
        }
        Ok(p)
    }

    /// A signed-in person, or an API token with `scope`.
    pub fn require_scope(self, scope: Scope) -> Result<Principal, ApiError> {
        let p = self.0.ok_or_else(ApiError::unauthenticated)?;
        if !p.allows(scope) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient-scope",
                "The token lacks a scope",
                format!("this needs an API token with the {} scope", scope.as_str()),
            ));
        }
        Ok(p)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let now = state.clock.now();
        if let Some(token) = bearer_token(&parts.headers) {
            let p = if token.starts_with(security::TOKEN_PREFIX) {
                security::authenticate_token(state.store.as_ref(), &token, now).await?
            } else {
                accounts::authenticate(state.store.as_ref(), &token, now).await?
            };
            return match p {
                Some(p) => Ok(Caller(Some(p))),
                None => Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid-token",
                    "Invalid token",
                    "the bearer token is unknown, expired or revoked",
                )),
            };
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(Caller(None)) };
        let Some(p) = accounts::authenticate(state.store.as_ref(), cookie.value(), now).await? else {
            return Ok(Caller(None));
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(p.csrf_token.as_bytes())) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "CSRF token missing",
                    "a request authenticated by cookie must send the X-CSRF-Token header",
                ));
            }
        }
        Ok(Caller(Some(p)))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SignInBody {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionCreated {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub expires_at: String,
    pub user: Me,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// Some of `fan`, `merchant`, `licensor`, `operator`.
    pub roles: Vec<String>,
    /// Slugs of the shops, licensors or operator the user belongs to.
    pub organisations: Vec<String>,
}

fn me_of(p: &Principal) -> Me {
    Me {
        id: p.user.id.clone(),
        email: p.user.email.clone(),
        display_name: p.user.display_name.clone(),
        roles: p.roles().into_iter().map(|r| r.as_str().to_string()).collect(),
        organisations: p.orgs.iter().map(|o| o.slug.clone()).collect(),
    }
}

/// Sign in with email and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts", request_body = SignInBody,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 429, body = Problem)))]
async fn create_session(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let client = client_of(&parts);
    match accounts::sign_in(state.store.as_ref(), &body.email, &body.password, &client, now).await {
        Ok(s) => {
            let orgs = state.store.memberships(&s.user.id).await?;
            let principal = Principal {
                user: s.user,
                orgs,
                csrf_token: s.record.csrf_token.clone(),
                session_hash: s.record.token_hash.clone(),
                token: None,
            };
            let expires_at =
                s.record.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            Ok((StatusCode::CREATED, Json(SessionCreated { token: s.token, expires_at, user: me_of(&principal) }))
                .into_response())
        }
        Err(SignInError::InvalidCredentials) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid-credentials",
            "Invalid credentials",
            "the email or password is not right",
        )),
        Err(SignInError::TooManyAttempts { retry_after_secs }) => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many attempts",
                format!("try again in {retry_after_secs} seconds"),
            );
            e.retry_after = Some(retry_after_secs);
            Err(e)
        }
        Err(SignInError::Unconfirmed) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "unconfirmed",
            "Address not confirmed",
            "confirm the account's email address first: follow the link mailed to it",
        )),
        Err(SignInError::Store(e)) => Err(e.into()),
    }
}

/// Sign out: ends the session the request is authenticated with.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
async fn delete_session(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    let p = caller.require()?;
    accounts::sign_out(state.store.as_ref(), &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user and their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(caller: Caller) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&caller.require()?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContextQuery {
    /// Ship-to country, ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Presentment currency, ISO 4217; defaults from the country.
    pub currency: Option<String>,
    /// Interface language: en, fr, zh-Hans, ja, ko.
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContextJson {
    pub country: String,
    pub currency: String,
    /// Digits of the currency's minor unit.
    pub currency_exponent: u8,
    pub lang: String,
}

/// How the storefront will present itself for these parameters (the currency a country defaults to).
#[utoipa::path(get, path = "/api/v1/context", tag = "storefront", params(ContextQuery),
    responses((status = 200, body = ContextJson), (status = 422, body = Problem)))]
async fn context(State(state): State<AppState>, Query(q): Query<ContextQuery>) -> Result<Json<ContextJson>, ApiError> {
    // Values were validated by `validate_locale_params`; parse again for their types.
    let country = match q.country.as_deref() {
        Some(c) => Country::parse(c).map_err(|e| ApiError::invalid("country", e.to_string()))?,
        None => state.config.default_country,
    };
    let currency = match q.currency.as_deref() {
        Some(c) => Currency::parse(c).map_err(|e| ApiError::invalid("currency", e.to_string()))?,
        None => country.default_currency(),
    };
    let lang = q.lang.as_deref().and_then(Lang::from_tag).unwrap_or_default();
    Ok(Json(ContextJson {
        country: country.code().into(),
        currency: currency.code().into(),
        currency_exponent: currency.exponent(),
        lang: lang.tag().into(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RateJson {
    pub currency: String,
    /// Units of `currency` per 1 EUR, exact decimal string.
    pub per_eur: String,
    pub date: String,
    pub source: String,
}

impl From<&Rate> for RateJson {
    fn from(r: &Rate) -> Self {
        RateJson {
            currency: r.currency.code().into(),
            per_eur: r.per_eur.to_string(),
            date: r.date.to_string(),
            source: r.source.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RatesJson {
    pub rates: Vec<RateJson>,
    /// True when any rate is more than 3 days old.
    pub stale: bool,
}

/// The latest exchange rate of every currency, per 1 EUR.
#[utoipa::path(get, path = "/api/v1/fx/rates", tag = "fx", responses((status = 200, body = RatesJson)))]
async fn fx_rates(State(state): State<AppState>) -> Result<Json<RatesJson>, ApiError> {
    let rates = state.store.latest_rates().await?;
    let today = state.clock.now().date();
    let stale = podium_domain::fx::any_stale(&rates, today);
    Ok(Json(RatesJson { rates: rates.iter().map(RateJson::from).collect(), stale }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConvertQuery {
    /// Amount in major units of `from`, e.g. 12.50.
    pub amount: String,
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConversionJson {
    pub from: MoneyJson,
    pub to: MoneyJson,
    /// The rates used, per 1 EUR, with their dates.
    pub rates: Vec<RateJson>,
}

/// Converts an amount at the latest rates, exactly, rounding half-even once.
#[utoipa::path(get, path = "/api/v1/fx/convert", tag = "fx", params(ConvertQuery),
    responses((status = 200, body = ConversionJson), (status = 422, body = Problem)))]
async fn fx_convert(
    State(state): State<AppState>,
    q: Result<Query<ConvertQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ConversionJson>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let from = Currency::parse(&q.from).map_err(|e| ApiError::invalid("from", e.to_string()))?;
    let to = Currency::parse(&q.to).map_err(|e| ApiError::invalid("to", e.to_string()))?;
    let minor = podium_domain::money::parse_minor(q.amount.trim(), from)
        .map_err(|e| ApiError::invalid("amount", e.to_string()))?;
    let amount = Money::new(minor, from);
    let table = RateTable::new(state.store.latest_rates().await?);
    let converted = table.convert(amount, to).map_err(|e| ApiError::invalid("to", e.to_string()))?;
    let rates = [from, to].into_iter().filter_map(|c| table.get(c)).map(RateJson::from).collect();
    Ok(Json(ConversionJson { from: amount.into(), to: converted.into(), rates }))
}
