//! Limited drops as pages: the box on the product page (countdown and "notify me" before the
//! start, the waiting room's door from the lobby on), the waiting room (it refreshes itself, no
//! JavaScript needed; admitted fans get the add-to-cart button and the time they have), and the
//! shop's console, where drops are scheduled and followed live.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use podium_app::drops::{self, DropRecord, NewDrop};
use podium_app::StoreError;
use podium_domain::drop::Phase;
use podium_domain::role::OrgKind;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::kit::context::{CsrfForm, Visitor};
use crate::kit::error::internal;
use crate::kit::error::PageError;
use crate::kit::format::date as when;
use crate::kit::i18n::Tr;
use crate::kit::layout::{Layout, Opt};
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/drops/{id}", room)
        .post("/drops/{id}/join", join)
        .post("/drops/{id}/notify", notify)
        .get("/console/shops/{shop}/drops", console)
        .post("/console/shops/{shop}/drops", schedule)
        .post("/console/shops/{shop}/drops/{id}/close", close)
}

/// "2 h 05 min", "4 min 10 s".
fn countdown(tr: &Tr, left: time::Duration) -> String {
    let s = left.whole_seconds().max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        tr.tn("drop-countdown-hours", &[("h", &h.to_string()), ("m", &format!("{m:02}"))])
    } else {
        tr.tn("drop-countdown-minutes", &[("m", &m.to_string()), ("s", &format!("{sec:02}"))])
    }
}

/// The countdown's wording with `{h}`, `{m}` and `{s}` in place of the numbers, so the script that
/// ticks it every second keeps the page's language ("Opens in 2 h 05 min", not "2:05:00").
pub struct CountdownWords {
    pub hours: String,
    pub minutes: String,
}

impl CountdownWords {
    pub fn new(tr: &Tr) -> CountdownWords {
        CountdownWords {
            hours: tr.tn("drop-countdown-hours", &[("h", "{h}"), ("m", "{m}")]),
            minutes: tr.tn("drop-countdown-minutes", &[("m", "{m}"), ("s", "{s}")]),
        }
    }
}

/// The units the drop can still sell.
async fn available(state: &AppState, d: &DropRecord) -> Result<i64, StoreError> {
    drops::units_left(state.store.as_ref(), d, state.clock.now()).await
}

/// The drop box on a product page.
pub struct DropView {
    pub id: String,
    pub phase: &'static str,
    pub headline: String,
    pub countdown: String,
    pub starts_epoch: i64,
    pub facts: String,
    /// The variant it is for.
    pub variant_id: String,
    pub words: CountdownWords,
}

/// The product's current drop (not closed, or ended within a week), as its page shows it.
pub async fn product_drop(
    state: &AppState,
    tr: &Tr,
    product: &podium_app::catalogue::ProductRecord,
) -> Result<Option<DropView>, PageError> {
    let product_id = &product.id;
    let now = state.clock.now();
    let Some(d) = state
        .store
        .drops_of_product(product_id)
        .await
        .map_err(internal(tr))?
        .into_iter()
        .find(|d| d.closed_at.is_none_or(|c| now - c < time::Duration::days(7)))
    else {
        return Ok(None);
    };
    let left = available(state, &d).await.map_err(internal(tr))?;
    let phase = drops::phase_of(&d, left, now);
    let variant = product
        .variants
        .iter()
        .find(|v| v.id == d.variant_id)
        .map(|v| v.options.iter().map(|(_, o)| o.as_str()).collect::<Vec<_>>().join(" / "))
        .unwrap_or_default();
    let headline = tr.t(&format!("drop-phase-{}", phase.as_str()));
    Ok(Some(DropView {
        id: d.id.clone(),
        phase: phase.as_str(),
        headline: if variant.is_empty() { headline } else { format!("{headline} · {variant}") },
        countdown: countdown(tr, d.starts_at - now),
        starts_epoch: d.starts_at.unix_timestamp(),
        facts: tr.tn(
            "drop-facts",
            &[("quantity", &d.quantity.to_string()), ("limit", &d.per_fan.to_string()), ("at", &when(d.starts_at))],
        ),
        variant_id: d.variant_id.clone(),
        words: CountdownWords::new(tr),
    }))
}

async fn find(state: &AppState, tr: &Tr, id: &str) -> Result<DropRecord, PageError> {
    state.store.drop_by_id(id).await.map_err(internal(tr))?.ok_or_else(|| PageError::not_found(tr.clone()))
}

async fn product_path(state: &AppState, tr: &Tr, d: &DropRecord) -> Result<String, PageError> {
    let p = state.store.products_by_ids(std::slice::from_ref(&d.product_id)).await.map_err(internal(tr))?.pop();
    Ok(p.map(|p| format!("/products/{}", p.slug)).unwrap_or_else(|| "/".into()))
}

async fn join(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let tr = v.tr.clone();
    let d = find(&state, &tr, &id).await?;
    let Some(p) = &v.principal else {
        let back = product_path(&state, &tr, &d).await?;
        return Ok(v.respond(Redirect::to(&format!("/signin?next={back}"))));
    };
    let now = state.clock.now();
    let left = available(&state, &d).await.map_err(internal(&tr))?;
    if matches!(drops::phase_of(&d, left, now), Phase::Lobby | Phase::Open) {
        drops::join(state.store.as_ref(), &d, &p.user.id, now).await.map_err(internal(&tr))?;
    }
    Ok(v.respond(Redirect::to(&format!("/drops/{id}"))))
}

async fn notify(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let tr = v.tr.clone();
    let d = find(&state, &tr, &id).await?;
    let back = product_path(&state, &tr, &d).await?;
    let Some(p) = &v.principal else {
        return Ok(v.respond(Redirect::to(&format!("/signin?next={back}"))));
    };
    state.store.alert_me(&d.id, &p.user.id, state.clock.now()).await.map_err(internal(&tr))?;
    Ok(v.respond(Redirect::to(&format!("/drops/{id}?notify=1"))))
}

#[derive(Template)]
#[template(path = "drop_room.html")]
struct RoomPage {
    layout: Layout,
    id: String,
    title: String,
    product_href: String,
    headline: String,
    status: String,
    countdown: String,
    words: CountdownWords,
    starts_epoch: i64,
    refresh: bool,
    notified: bool,
    can_join: bool,
    /// Before the start: "notify me" (the waiting room opens shortly before).
    can_notify: bool,
    admitted: bool,
    sku: String,
    per_fan: i64,
    /// What a fan needs to decide before the start: the variant, the price, how many and the limit.
    variant: String,
    price: String,
    price_note: String,
    facts: String,
    /// Units left once it is on sale.
    left: Option<String>,
    image: String,
    image_alt: String,
}

/// The waiting room: where the fan stands, refreshed every few seconds. Each visit after the
/// start also runs an admission round for the drop (besides every node's sweep), so fans are
/// let in as soon as units allow.
#[derive(Deserialize, Default)]
struct RoomQuery {
    #[serde(default)]
    notify: String,
}

async fn room(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<RoomQuery>,
) -> Result<Response, PageError> {
    let tr = v.tr.clone();
    let d = find(&state, &tr, &id).await?;
    let now = state.clock.now();
    let left = available(&state, &d).await.map_err(internal(&tr))?;
    let phase = drops::phase_of(&d, left, now);
    if phase == Phase::Open {
        state.store.admit(&d.id, left, now, podium_domain::drop::ADMISSION).await.map_err(internal(&tr))?;
    }
    let product = state.store.products_by_ids(std::slice::from_ref(&d.product_id)).await.map_err(internal(&tr))?.pop();
    let Some(product) = product else { return Err(PageError::not_found(tr)) };
    let title =
        podium_app::storefront::text(&product, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
    let Some(variant) = product.variants.iter().find(|x| x.id == d.variant_id) else {
        return Err(PageError::not_found(tr));
    };
    let sku = podium_app::storefront::public_sku(&product.shop.slug, &variant.sku);
    let image_alt = tr.t1("product-image-alt", "title", &title);
    let reference = state.reference.get(state.store.as_ref()).await.map_err(internal(&tr))?;
    let pres = v.shopper().presentment(&reference, state.clock.now().date());
    let price = tr.money(pres.variant_price(&product, variant).unwrap_or(variant.price));
    let price_note = if pres.includes_tax() {
        tr.t1("product-price-incl", "country", &tr.country(v.prefs.country))
    } else {
        tr.t("product-price-net")
    };
    let entry = match &v.principal {
        Some(p) => state.store.drop_entry(&d.id, &p.user.id).await.map_err(internal(&tr))?,
        None => None,
    };
    let admitted = phase == Phase::Open && entry.as_ref().is_some_and(|e| e.may_buy(now));
    let status = match (&entry, phase) {
        (_, Phase::Ended) => tr.t("drop-room-ended"),
        (None, Phase::Scheduled) => {
            tr.t1("drop-room-opens", "minutes", &podium_domain::drop::LOBBY.whole_minutes().to_string())
        }
        (None, _) => tr.t("drop-room-not-in"),
        (Some(_), Phase::Scheduled | Phase::Lobby) => tr.t("drop-room-lobby"),
        (Some(e), Phase::Open) if e.may_buy(now) => tr.t1(
            "drop-room-admitted",
            "until",
            &e.expires_at.map(|x| format!("{:02}:{:02} UTC", x.hour(), x.minute())).unwrap_or_default(),
        ),
        (Some(e), Phase::Open) if e.admitted_at.is_some() => tr.t("drop-room-window-over"),
        (Some(_), Phase::Open) => tr.t("drop-room-waiting"),
    };
    let page = RoomPage {
        layout: Layout::new(&v),
        id: d.id.clone(),
        title,
        product_href: format!("/products/{}", product.slug),
        headline: tr.t(&format!("drop-phase-{}", phase.as_str())),
        status,
        words: CountdownWords::new(&tr),
        can_notify: phase == Phase::Scheduled,
        variant: variant.options.iter().map(|(_, o)| o.as_str()).collect::<Vec<_>>().join(" / "),
        price,
        price_note,
        facts: tr.tn(
            "drop-facts",
            &[("quantity", &d.quantity.to_string()), ("limit", &d.per_fan.to_string()), ("at", &when(d.starts_at))],
        ),
        left: (phase == Phase::Open).then(|| tr.t1("drop-in-stock", "count", &left.to_string())),
        image: match product.public_images().next() {
            Some(i) => format!("/media/{}/thumb", i.id),
            None => format!("/products/{}/art.svg", product.slug),
        },
        image_alt,
        countdown: if phase == Phase::Scheduled || phase == Phase::Lobby {
            countdown(&tr, d.starts_at - now)
        } else {
            String::new()
        },
        starts_epoch: d.starts_at.unix_timestamp(),
        refresh: entry.is_some() && !admitted && phase != Phase::Ended,
        notified: !q.notify.is_empty(),
        can_join: entry.is_none() && matches!(phase, Phase::Lobby | Phase::Open),
        admitted,
        sku,
        per_fan: d.per_fan,
    };
    Ok(render(v, StatusCode::OK, page))
}

// ---------------------------------------------------------------------------------------------
// The shop's console.

struct DropRow {
    id: String,
    title: String,
    starts: String,
    phase: String,
    quantity: i64,
    per_fan: i64,
    waiting: i64,
    admitted: i64,
    left: i64,
    bought: i64,
    open: bool,
    /// The admitted fans' names, in the order they were let in.
    admission: String,
}

#[derive(Template)]
#[template(path = "drops_console.html")]
struct ConsolePage {
    layout: Layout,
    shop_slug: String,
    shop_name: String,
    variants: Vec<Opt>,
    rows: Vec<DropRow>,
    error: Option<String>,
    live: bool,
}

fn shop_of(v: &Visitor, slug: &str) -> Result<podium_app::Org, Box<Response>> {
    let Some(p) = &v.principal else {
        return Err(Box::new(Redirect::to(&format!("/signin?next=/console/shops/{slug}/drops")).into_response()));
    };
    match p.orgs_of(OrgKind::Shop).find(|o| o.slug == slug) {
        Some(o) => Ok(o.clone()),
        None => Err(Box::new(PageError::forbidden(v.tr.clone()).into_response())),
    }
}

async fn console_page(
    state: &AppState,
    v: &Visitor,
    shop: &podium_app::Org,
    error: Option<String>,
) -> Result<ConsolePage, PageError> {
    let tr = &v.tr;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let filter = podium_app::catalogue::ProductFilter {
        shop_slug: Some(shop.slug.clone()),
        live_only: true,
        limit: 500,
        ..Default::default()
    };
    let (products, _) = store.products(&filter).await.map_err(internal(tr))?;
    let mut variants = Vec::new();
    for p in products.iter().filter(|p| podium_app::storefront::is_public(p)) {
        let title = podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()).unwrap_or_default();
        for x in &p.variants {
            let options = x.options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / ");
            variants.push(Opt {
                value: format!("{}|{}", p.id, x.id),
                label: format!("{title} — {options} ({})", tr.t1("drop-in-stock", "count", &x.available.to_string())),
                selected: false,
                extra: String::new(),
            });
        }
    }
    let mut rows = Vec::new();
    let mut live = false;
    for d in store.drops_of_shop(&shop.id).await.map_err(internal(tr))? {
        let left = available(state, &d).await.map_err(internal(tr))?;
        let phase = drops::phase_of(&d, left, now);
        let progress = store.drop_progress(&d.id, now).await.map_err(internal(tr))?;
        live |= matches!(phase, Phase::Lobby | Phase::Open);
        let title = products
            .iter()
            .find(|p| p.id == d.product_id)
            .and_then(|p| podium_app::storefront::text(p, tr.lang).map(|t| t.translation.title.clone()))
            .unwrap_or_default();
        let mut names = Vec::new();
        if matches!(phase, Phase::Open) {
            for user in store.admitted_order(&d.id).await.map_err(internal(tr))?.iter().take(50) {
                if let Some(u) = store.user_by_id(user).await.map_err(internal(tr))? {
                    names.push(u.display_name);
                }
            }
        }
        rows.push(DropRow {
            admission: names.join(" → "),
            id: d.id.clone(),
            title,
            starts: when(d.starts_at),
            phase: tr.t(&format!("drop-phase-{}", phase.as_str())),
            quantity: d.quantity,
            per_fan: d.per_fan,
            waiting: progress.waiting,
            admitted: progress.admitted,
            left: progress.left,
            bought: progress.bought,
            open: d.closed_at.is_none(),
        });
    }
    Ok(ConsolePage {
        layout: Layout::new(v),
        shop_slug: shop.slug.clone(),
        shop_name: shop.name.clone(),
        variants,
        rows,
        error,
        live,
    })
}

async fn console(State(state): State<AppState>, v: Visitor, Path(shop): Path<String>) -> Result<Response, PageError> {
    let shop = match shop_of(&v, &shop) {
        Ok(s) => s,
        Err(r) => return Ok(v.respond(*r)),
    };
    let page = console_page(&state, &v, &shop, None).await?;
    Ok(render(v, StatusCode::OK, page))
}

#[derive(Deserialize)]
struct ScheduleForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    variant: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    per_fan: String,
    /// `YYYY-MM-DDTHH:MM`, UTC.
    #[serde(default)]
    starts_at: String,
}

/// `YYYY-MM-DDTHH:MM`, or with seconds, read as UTC.
fn parse_start(s: &str) -> Option<OffsetDateTime> {
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(s.trim(), &minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(s.trim(), &seconds))
        .ok()
        .map(|p| p.assume_utc())
}

async fn schedule(
    State(state): State<AppState>,
    v: Visitor,
    Path(shop): Path<String>,
    Form(f): Form<ScheduleForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = match shop_of(&v, &shop) {
        Ok(s) => s,
        Err(r) => return Ok(v.respond(*r)),
    };
    let tr = v.tr.clone();
    let (product_id, variant_id) = f.variant.split_once('|').unwrap_or_default();
    let (Ok(quantity), Ok(per_fan), Some(starts_at)) =
        (f.quantity.trim().parse::<i64>(), f.per_fan.trim().parse::<i64>(), parse_start(&f.starts_at))
    else {
        let page = console_page(&state, &v, &shop, Some(tr.t("drop-form-invalid"))).await?;
        return Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page));
    };
    let new = NewDrop {
        shop_id: shop.id.clone(),
        product_id: product_id.to_string(),
        variant_id: variant_id.to_string(),
        quantity,
        per_fan,
        starts_at,
    };
    match drops::schedule(state.store.as_ref(), new, state.clock.now(), state.config.drop_min_lead).await {
        Ok(_) => Ok(v.respond(Redirect::to(&format!("/console/shops/{}/drops", shop.slug)))),
        Err(drops::DropUseError::Store(e)) => Err(PageError::internal(tr, e)),
        Err(e) => {
            let page = console_page(&state, &v, &shop, Some(e.to_string())).await?;
            Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

async fn close(
    State(state): State<AppState>,
    v: Visitor,
    Path((shop, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let shop = match shop_of(&v, &shop) {
        Ok(s) => s,
        Err(r) => return Ok(v.respond(*r)),
    };
    let tr = v.tr.clone();
    let d = find(&state, &tr, &id).await?;
    if d.shop_id != shop.id {
        return Err(PageError::not_found(tr));
    }
    state.store.close_drop(&d.id, state.clock.now()).await.map_err(internal(&tr))?;
    Ok(v.respond(Redirect::to(&format!("/console/shops/{}/drops", shop.slug))))
}
