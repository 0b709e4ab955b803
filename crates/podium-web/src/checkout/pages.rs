//! The checkout steps (address, shipping, payment, review), placing the order once per review
//! page through app's idempotency, and the sandbox's card confirmation pages; the routes of the area.

use crate::kit::address::{self, AddressForm, AddressView};
use crate::kit::cart_view::{cart_view, CartView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::cart::{self};
use podium_app::checkout::{self, CheckoutError, CheckoutRequest};
use podium_app::orders::Address;
use podium_domain::order::OrderStatus;
use podium_domain::Country;
use serde::Deserialize;

use crate::checkout::cart::{add, cart_page, priced, set_line, visitor_cart};
use crate::checkout::methods::{self, MethodView};
use crate::checkout::order_page::{abandon_order, ask_return, my_orders, order_page};
use crate::checkout::sandbox::{confirm, confirm_page, sandbox_card, wallet_return};
use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::i18n::Tr;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/cart", cart_page)
        .post("/cart/add", add)
        .post("/cart/lines", set_line)
        .get("/checkout", checkout_page)
        .post("/checkout/address", save_address)
        .post("/checkout/place", place)
        .post("/sandbox/cards", sandbox_card)
        .get("/sandbox/payments/{id}/confirm", confirm_page)
        .post("/sandbox/payments/{id}/confirm", confirm)
        .get("/checkout/return", wallet_return)
        .get("/orders/{number}", order_page)
        .post("/orders/{number}/returns", ask_return)
        .post("/orders/{number}/abandon", abandon_order)
        .get("/account/orders", my_orders)
}

pub(crate) struct StepView {
    pub(crate) label: String,
    pub(crate) href: String,
    pub(crate) state: &'static str,
}

pub(crate) struct CardView {
    pub(crate) id: String,
    pub(crate) label: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
pub(crate) struct CheckoutPage {
    pub(crate) layout: Layout,
    pub(crate) step: &'static str,
    pub(crate) steps: Vec<StepView>,
    pub(crate) cart: CartView,
    pub(crate) address: AddressView,
    pub(crate) card: Option<CardView>,
    pub(crate) error: Option<String>,
    pub(crate) idempotency_key: String,
    /// Set when cards are taken by Stripe.js instead of the sandbox's form.
    pub(crate) stripe: Option<crate::checkout::stripe::StripeView>,
    /// The market's own ways to pay, offered beside the card on the payment step.
    pub(crate) methods: Vec<MethodView>,
    /// The local method chosen, on the review step.
    pub(crate) chosen: Option<MethodView>,
    /// What the chosen method's field starts with (the delivery phone, the addressee's name).
    pub(crate) phone: String,
    pub(crate) holder: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct StepQuery {
    #[serde(default)]
    pub(crate) step: String,
    #[serde(default)]
    pub(crate) pm: String,
    /// How Stripe.js described the card (brand and last four), shown on the review step.
    #[serde(default)]
    pub(crate) card: String,
    #[serde(default)]
    pub(crate) error: String,
}

pub(crate) const STEPS: [&str; 4] = ["address", "shipping", "payment", "review"];

pub(crate) fn steps(tr: &Tr, current: &str, reachable: usize) -> Vec<StepView> {
    let at = STEPS.iter().position(|s| *s == current).unwrap_or(0);
    STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| StepView {
            label: tr.t(&format!("checkout-step-{s}")),
            href: if i <= reachable && *s != "review" { format!("/checkout?step={s}") } else { String::new() },
            state: if i == at {
                "current"
            } else if i < at {
                "done"
            } else {
                "todo"
            },
        })
        .collect()
}

pub(crate) fn address_ok(email: &str, a: &Address) -> bool {
    !email.is_empty() && !a.name.is_empty() && !a.line1.is_empty() && !a.city.is_empty()
}

pub(crate) async fn show_checkout(
    state: &AppState,
    mut v: Visitor,
    step: &str,
    status: StatusCode,
    error: Option<String>,
    typed: Option<AddressView>,
    (pm, label): (&str, &str),
) -> Result<Response, PageError> {
    let Some(id) = visitor_cart(state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let Some((p, inclusive)) = priced(state, &v.tr, &id).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    if p.quote.is_none() || !p.set_aside.is_empty() {
        // Nothing to buy, or lines to sort out first: the cart says which.
        return Ok(v.respond(Redirect::to("/cart")));
    }
    let have_address = address_ok(&p.cart.email, &p.cart.address);
    let mut step = STEPS.iter().copied().find(|s| *s == step).unwrap_or("address");
    if !have_address && step != "address" {
        step = "address";
    }
    let stripe = crate::checkout::stripe::StripeView::of(state);
    let methods = methods::local_for(state, &v.tr, &p.cart.country, &p.cart.currency);
    // A local method chosen on the payment step (its code stands where a card's token would).
    let chosen = if step == "review" { methods.iter().position(|m| m.code == pm) } else { None };
    let card = if chosen.is_some() {
        None
    } else if step == "review" && stripe.is_some() {
        // A Stripe payment method: Stripe checks it when the order is placed.
        let id_ok = !pm.is_empty() && pm.len() <= 100 && pm.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let label: String = label.chars().filter(|c| !c.is_control()).take(40).collect();
        let label = if label.trim().is_empty() { v.tr.t("checkout-card-label") } else { label };
        if id_ok {
            Some(CardView { id: pm.to_string(), label })
        } else {
            step = "payment";
            None
        }
    } else if step == "review" {
        match state.store.sandbox_method(pm).await.map_err(|e| PageError::internal(v.tr.clone(), e))? {
            Some(m) => Some(CardView { id: m.id, label: format!("{} •••• {}", m.brand, m.last4) }),
            None => {
                step = "payment";
                None
            }
        }
    } else {
        None
    };
    let mut a = p.cart.address.clone();
    a.country = p.cart.country.clone();
    let customs = Country::parse(&a.country)
        .is_ok_and(|to| podium_domain::address::customs_code_required(to, &address::ship_from(p.quote.as_ref())));
    let address = typed.unwrap_or_else(|| AddressView::new(&v.tr, &p.cart.email, &a, customs));
    let reachable = if have_address { 2 } else { 0 };
    let mut methods = methods;
    let chosen = chosen.map(|i| methods.swap_remove(i));
    let page = CheckoutPage {
        methods,
        chosen,
        phone: p.cart.address.phone.clone(),
        holder: p.cart.address.name.clone(),
        layout: Layout::new(&v),
        steps: steps(&v.tr, step, reachable),
        step,
        cart: cart_view(&v.tr, &p, inclusive),
        address,
        card,
        error,
        idempotency_key: cart::new_cart_id(),
        stripe,
    };
    let response = render(v, status, page);
    Ok(if step == "payment" { crate::checkout::stripe::with_stripe_csp(state, response) } else { response })
}

pub(crate) async fn checkout_page(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<StepQuery>,
) -> Result<Response, PageError> {
    let error = match q.error.as_str() {
        "card" => Some(v.tr.t("checkout-error-card")),
        _ => None,
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let step = if q.step.is_empty() { "address" } else { q.step.as_str() };
    show_checkout(&state, v, step, status, error, None, (&q.pm, &q.card)).await
}

pub(crate) async fn save_address(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<AddressForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(id) = visitor_cart(&state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let address = f.address(v.prefs.country.code(), checkout::MAX_FIELD);
    let email = f.email.trim().chars().take(checkout::MAX_FIELD + 1).collect::<String>();
    // The same rules as the checkout itself, with a sandbox card standing in for the payment.
    let probe = CheckoutRequest {
        email: email.clone(),
        address: address.clone(),
        card_number: String::new(),
        payment_method: Some("pm_chosen_later".into()),
        local: None,
        public_url: String::new(),
        lang: v.prefs.lang,
        user_id: None,
        token_key: Vec::new(),
        commission_bp: 0,
        client: String::new(),
        holds: podium_app::checkout::HoldPolicy::default(),
        max_order_units: 0,
        phone_required: true,
    };
    let ship_from = match priced(&state, &v.tr, &id).await? {
        Some((p, _)) => address::ship_from(p.quote.as_ref()),
        None => Vec::new(),
    };
    let customs =
        Country::parse(&address.country).is_ok_and(|to| podium_domain::address::customs_code_required(to, &ship_from));
    let refused = match checkout::validate(&probe) {
        Err(CheckoutError::Invalid(field, why)) => Some((field, why)),
        _ => podium_app::shipping_address::check_import(&address, &ship_from).err(),
    };
    if let Some((field, why)) = refused {
        let typed = AddressView::new(&v.tr, &email, &address, customs).with_error(&v.tr, field, &why);
        let text = Some(typed.error_text.clone());
        return show_checkout(&state, v, "address", StatusCode::UNPROCESSABLE_ENTITY, text, Some(typed), ("", ""))
            .await;
    }
    let address = podium_app::shipping_address::check(&address, true).unwrap_or(address);
    state.store.set_cart_contact(&id, &email, &address).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    Ok(v.respond(Redirect::to("/checkout?step=shipping")))
}

#[derive(Deserialize)]
pub(crate) struct PlaceForm {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) pm: String,
    /// The card's label, carried back to the review step if placing fails.
    #[serde(default)]
    pub(crate) card: String,
    #[serde(default)]
    pub(crate) idempotency_key: String,
    /// A local method's own fields: M-Pesa's phone, a debit's account and holder.
    #[serde(default)]
    pub(crate) phone: String,
    #[serde(default)]
    pub(crate) iban: String,
    #[serde(default)]
    pub(crate) holder: String,
}

/// Why a drop refused the fan, in their language.
pub(crate) fn drop_refusal_text(tr: &Tr, why: &podium_app::drops::DropRefusal) -> String {
    use podium_app::drops::DropRefusal;
    use podium_domain::drop::LimitError;
    match why {
        DropRefusal::NotOpen(at) => tr.t1("drop-refused-not-open", "at", &crate::kit::format::date(*at)),
        DropRefusal::NotAdmitted => tr.t("drop-refused-not-admitted"),
        DropRefusal::Limit(LimitError::Account { limit, .. }) => {
            tr.t1("drop-refused-limit", "limit", &limit.to_string())
        }
        DropRefusal::Limit(LimitError::Card { limit, .. }) => tr.t1("drop-refused-card", "limit", &limit.to_string()),
        DropRefusal::Limit(LimitError::Invalid) => tr.t("drop-refused-not-admitted"),
        DropRefusal::SoldOut => tr.t("cart-error-sold-out"),
    }
}

pub(crate) fn checkout_error_text(tr: &Tr, e: &CheckoutError, user: Option<&str>) -> String {
    match e {
        CheckoutError::Declined { code, .. } if code == "insufficient_funds" => tr.t("checkout-error-funds"),
        CheckoutError::Declined { .. } => tr.t("checkout-error-declined"),
        CheckoutError::SoldOut { .. } => tr.t("cart-error-sold-out"),
        CheckoutError::Unavailable { reason, .. } => tr.t1("cart-error-undeliverable", "reason", reason),
        CheckoutError::Invalid("payment.phone", _) => tr.t("checkout-error-mpesa-phone"),
        CheckoutError::Invalid("payment.iban", why) => tr.t1("checkout-error-iban", "why", why),
        CheckoutError::Invalid("payment.account_holder", _) => tr.t("checkout-error-holder"),
        CheckoutError::Invalid("payment.method", _) => tr.t("checkout-error-method"),
        CheckoutError::Invalid(..) => tr.t("checkout-error-card"),
        CheckoutError::Drop(why) => drop_refusal_text(tr, why),
        CheckoutError::CartTaken { order } => match order.as_deref().filter(|o| o.user_id.as_deref() == user) {
            Some(o) if o.status == OrderStatus::PendingPayment => {
                tr.t1("checkout-error-cart-pending", "number", &o.number)
            }
            Some(o) => tr.t1("checkout-error-cart-ordered", "number", &o.number),
            None => tr.t("checkout-error-cart-changed"),
        },
        CheckoutError::TooManyPending { .. } => tr.t("checkout-error-too-many-pending"),
        CheckoutError::TooManyAttempts { .. } => tr.t("checkout-error-too-many-attempts"),
        CheckoutError::TooLarge { max } => tr.t1("checkout-error-too-large", "max", &tr.money(*max)),
        other => other.to_string(),
    }
}

/// Places the order: idempotent per review page (a double click makes one order).
pub(crate) async fn place(
    State(state): State<AppState>,
    mut v: Visitor,
    Form(f): Form<PlaceForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(id) = visitor_cart(&state, &mut v, false).await? else { return Ok(v.respond(Redirect::to("/cart"))) };
    let cart = state.store.cart(&id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let Some(cart) = cart else { return Ok(v.respond(Redirect::to("/cart"))) };
    let key = (!f.idempotency_key.is_empty()).then(|| f.idempotency_key.chars().take(100).collect::<String>());
    // The key is made per review page; the same key with the same card is the same order
    // (the cart is emptied once paid, so the lines cannot be part of what is compared).
    let body = format!("{}\n{}\n{}\n{}", f.pm, f.phone, f.iban, f.holder);
    // A local method's code stands where a card's token would.
    let local = podium_domain::pay_method::PayMethod::parse(&f.pm)
        .filter(|m| *m != podium_domain::pay_method::PayMethod::Card)
        .map(|m| podium_app::payments::LocalPayment {
            phone: f.phone.chars().take(40).collect(),
            iban: f.iban.chars().take(60).collect(),
            holder: f.holder.chars().take(checkout::MAX_FIELD + 1).collect(),
            ..podium_app::payments::LocalPayment::new(m)
        });
    let req = CheckoutRequest {
        email: cart.email.clone(),
        address: cart.address.clone(),
        card_number: String::new(),
        payment_method: if local.is_some() { None } else { Some(f.pm.chars().take(100).collect()) },
        local,
        public_url: state.config.public_url.clone(),
        lang: v.prefs.lang,
        user_id: v.principal.as_ref().map(|p| p.user.id.clone()),
        token_key: state.config.shared_secret.0.clone(),
        commission_bp: state.config.commission_bp,
        client: v.client.clone(),
        holds: state.config.holds,
        max_order_units: state.config.bounds.max_order_units,
        phone_required: true,
    };
    let worker = state.clone();
    let tr = v.tr.clone();
    let cart_id = id.clone();
    // The answer kept for a repeated click: where to go (2xx) or what went wrong (4xx).
    let (status, answer, _) =
        crate::kit::idempotent::run(&state, &format!("checkout-page:{id}"), key, body.as_bytes(), || async move {
            let reference = match worker.reference.get(worker.store.as_ref()).await {
                Ok(r) => r,
                Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            let ctx = reference.context(worker.clock.now());
            match checkout::checkout(worker.store.as_ref(), worker.payments.as_ref(), &cart_id, &req, &ctx).await {
                Ok(placed) => {
                    let to = match &placed.order.next_action {
                        Some(next) if placed.order.status == OrderStatus::PendingPayment => next.clone(),
                        _ => format!("/orders/{}?token={}&placed=1", placed.order.number, placed.token),
                    };
                    (StatusCode::SEE_OTHER, to)
                }
                Err(CheckoutError::Store(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
                Err(e) => {
                    let status = match e {
                        CheckoutError::Declined { .. } => StatusCode::PAYMENT_REQUIRED,
                        CheckoutError::SoldOut { .. } | CheckoutError::Drop(_) | CheckoutError::CartTaken { .. } => {
                            StatusCode::CONFLICT
                        }
                        CheckoutError::TooManyPending { .. } | CheckoutError::TooManyAttempts { .. } => {
                            StatusCode::TOO_MANY_REQUESTS
                        }
                        _ => StatusCode::UNPROCESSABLE_ENTITY,
                    };
                    // An IBAN refused says why in the fan's language.
                    let iban = match (&e, &req.local) {
                        (CheckoutError::Invalid("payment.iban", _), Some(l)) => {
                            podium_domain::bank::iban(&l.iban).err()
                        }
                        _ => None,
                    };
                    let text = match iban {
                        Some(why) => tr.t1("checkout-error-iban", "why", &crate::kit::format::bank_error(&tr, &why)),
                        None => checkout_error_text(&tr, &e, req.user_id.as_deref()),
                    };
                    (status, text)
                }
            }
        })
        .await;
    if status == StatusCode::SEE_OTHER {
        return Ok(v.respond(Redirect::to(&answer)));
    }
    if status.is_server_error() {
        return Err(PageError::internal(v.tr.clone(), answer));
    }
    let step = if status == StatusCode::PAYMENT_REQUIRED { "payment" } else { "review" };
    let pm = if step == "review" { f.pm } else { String::new() };
    show_checkout(&state, v, step, status, Some(answer), None, (&pm, &f.card)).await
}
