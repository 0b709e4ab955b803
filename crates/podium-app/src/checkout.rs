//! Checkout and what follows it (DESIGN §3.7): the cart priced once more, the order written with
//! every line's stock reserved (all or nothing), the card authorized and captured outside that
//! transaction, the order marked paid with its reservations captured. A decline cancels the order
//! and releases its stock; a card that needs a second step leaves the order pending with its
//! stock held for the confirmation window.
//!
//! What happens after the provider answers is [`crate::settlement`]'s.

use podium_domain::order::{largest_remainder, OrderStatus};
use podium_domain::payment::CardNumber;
use podium_domain::{Lang, Money};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::catalogue::ProductRecord;
use crate::orders::{Address, NewConsignment, NewOrder, NewOrderLine, NotPlaced, OrderRecord};
use crate::payments::{AuthorizeRequest, LocalPayment, PaymentError, PaymentProvider, PaymentSource, PaymentStatus};
use crate::ports::StoreError;
use crate::quote::{self, QuoteContext, QuoteError, Undeliverable};
use crate::storefront::{self, public_sku};
use crate::Store;

pub use crate::holds::{abandon, HoldLimit, HoldPolicy, RESERVATION_MINUTES};
pub(crate) use crate::settlement::{give_back, settle_with};
pub use crate::settlement::{on_webhook, reconcile, settle};

/// Orders still pending this long after checkout without a payment are looked at by the sweep.
pub const SETTLE_AFTER_SECS: i64 = 30;

/// Field limits of the checkout form.
pub const MAX_FIELD: usize = 200;

#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub email: String,
    pub address: Address,
    /// A card number (the API) …
    pub card_number: String,
    /// … or a payment method the sandbox's card form made (the checkout pages) …
    pub payment_method: Option<String>,
    /// … or a local method (a wallet, a voucher, a bank, M-Pesa).
    pub local: Option<LocalPayment>,
    /// The marketplace's public address (where wallets and banks send the fan back to).
    pub public_url: String,
    pub lang: Lang,
    pub user_id: Option<String>,
    /// The marketplace's key for order tokens (see [`order_token`]).
    pub token_key: Vec<u8>,
    /// The platform's commission on net goods, fixed on the order.
    pub commission_bp: u32,
    /// The client's address as the connection (or the trusted proxy) gives it.
    pub client: String,
    pub holds: HoldPolicy,
    /// The largest order total, in units of its currency (see [`podium_domain::money::Bounds`]).
    pub max_order_units: i64,
    /// Whether the courier's phone number is required (the pages); the API keeps it optional
    /// for the clients written before it was asked.
    pub phone_required: bool,
}

/// A placed order and the token that lets a guest read it.
#[derive(Debug, Clone)]
pub struct Placed {
    pub order: OrderRecord,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("no such cart")]
    CartNotFound,
    #[error("the cart is empty")]
    EmptyCart,
    /// The delivery address is in another country than the one the cart was priced for.
    #[error("the cart was priced for delivery to {priced_for}; start a cart for {asked}")]
    WrongCountry { priced_for: String, asked: String },
    /// A form field is missing or wrong: (field, why).
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    /// A line cannot be delivered any more (licence, territory, off sale).
    #[error("{sku}: {reason}")]
    Unavailable { sku: String, reason: String },
    /// Not enough stock for a line, now or at the moment of reserving.
    #[error("{sku} is sold out")]
    SoldOut { sku: String },
    /// A consignment the destination refuses (China's limit).
    #[error("{0}")]
    Consignment(String),
    /// The card was declined; the order was cancelled and nothing stays reserved.
    #[error("the card was declined ({code})")]
    Declined { code: String, order: Box<OrderRecord> },
    #[error("the payment provider failed: {0}")]
    Provider(String),
    /// The cart is being checked out, was ordered, or changed while this checkout priced it.
    /// `order` is the order it is claimed by or became, when there is one.
    #[error("this cart is already being checked out or was ordered")]
    CartTaken { order: Option<Box<OrderRecord>> },
    /// Too many unpaid orders wait for a second step; this checkout's order was cancelled.
    #[error("too many unpaid orders are waiting for confirmation")]
    TooManyPending { limit: HoldLimit, retry_after_secs: i64 },
    /// Too many payment attempts or declines (card testing); nothing was reserved or charged.
    #[error("too many {}; try again later", .limit.as_str())]
    TooManyAttempts { limit: crate::payment_limits::AttemptLimit, retry_after_secs: i64 },
    /// The order's total is over the marketplace's limit.
    #[error("the order's total is over {max}")]
    TooLarge { max: Money },
    /// A line is in a limited drop the fan may not buy from now (nothing is kept).
    #[error("{0}")]
    Drop(crate::drops::DropRefusal),
    #[error(transparent)]
    Quote(QuoteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PaymentError> for CheckoutError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Store(s) => CheckoutError::Store(s),
            PaymentError::UnknownCard => CheckoutError::Invalid("payment.card_number", e.to_string()),
            PaymentError::UnknownMethod => CheckoutError::Invalid("payment.method", e.to_string()),
            PaymentError::CardNotAccepted => CheckoutError::Invalid("payment.card_number", e.to_string()),
            other => CheckoutError::Provider(other.to_string()),
        }
    }
}

/// The token that lets a guest read an order: a keyed hash of its id, so e-mails can carry the
/// link later without the token being stored anywhere (the order keeps only its hash).
pub fn order_token(key: &[u8], order_id: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(b"podium-order-token:");
    mac.update(order_id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..24])
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An order number a fan can read out: `PD-` and 8 Crockford base-32 symbols (40 random bits).
pub fn new_order_number() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut b = [0u8; 5];
    rand::thread_rng().fill_bytes(&mut b);
    let mut n = b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    let mut s = [0u8; 8];
    for c in s.iter_mut().rev() {
        *c = ALPHABET[usize::try_from(n & 31).unwrap_or(0)];
        n >>= 5;
    }
    format!("PD-{}-{}", String::from_utf8_lossy(&s[..4]), String::from_utf8_lossy(&s[4..]))
}

fn check_field(field: &'static str, value: &str, required: bool) -> Result<(), CheckoutError> {
    if required && value.trim().is_empty() {
        return Err(CheckoutError::Invalid(field, "is required".into()));
    }
    if value.chars().count() > MAX_FIELD {
        return Err(CheckoutError::Invalid(field, format!("is longer than {MAX_FIELD} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(CheckoutError::Invalid(field, "contains control characters".into()));
    }
    Ok(())
}

/// Validates the request's fields (before anything is reserved).
pub fn validate(req: &CheckoutRequest) -> Result<Payer, CheckoutError> {
    check_field("email", &req.email, true)?;
    let email = req.email.trim();
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !email.contains(' ') => {}
        _ => return Err(CheckoutError::Invalid("email", "is not an e-mail address".into())),
    }
    let a = &req.address;
    check_field("shipping_address.name", &a.name, true)?;
    check_field("shipping_address.line1", &a.line1, true)?;
    check_field("shipping_address.line2", &a.line2, false)?;
    check_field("shipping_address.city", &a.city, true)?;
    check_field("shipping_address.postal_code", &a.postal_code, false)?;
    check_field("shipping_address.region", &a.region, false)?;
    check_field("shipping_address.phone", &a.phone, false)?;
    check_field("shipping_address.customs_code", &a.customs_code, false)?;
    crate::shipping_address::check(a, req.phone_required).map_err(|(f, why)| CheckoutError::Invalid(f, why))?;
    if let Some(l) = &req.local {
        return local_payer(l, email).map(Payer::Local);
    }
    if let Some(m) = &req.payment_method {
        if m.trim().is_empty() || m.chars().count() > MAX_FIELD {
            return Err(CheckoutError::Invalid("payment.method", "is not a payment method".into()));
        }
        return Ok(Payer::Method(m.clone()));
    }
    CardNumber::parse(&req.card_number)
        .map(Payer::Card)
        .map_err(|e| CheckoutError::Invalid("payment.card_number", e.to_string()))
}

/// Who pays, once checked.
#[derive(Debug)]
pub enum Payer {
    Card(CardNumber),
    Method(String),
    Local(LocalPayment),
}

/// A local method's own fields, checked: M-Pesa a Kenyan mobile number, a direct debit an IBAN
/// (mod-97) and the account holder's name.
fn local_payer(l: &LocalPayment, email: &str) -> Result<LocalPayment, CheckoutError> {
    use podium_domain::pay_method::PayMethod;
    let mut out = LocalPayment::new(l.method);
    out.email = email.to_string();
    match l.method {
        PayMethod::Card => {
            return Err(CheckoutError::Invalid("payment.method", "a card is paid with a card number".into()))
        }
        PayMethod::Mpesa => {
            out.phone = podium_domain::pay_method::mpesa_phone(&l.phone)
                .map_err(|e| CheckoutError::Invalid("payment.phone", e.to_string()))?;
        }
        PayMethod::SepaDebit => {
            check_field("payment.account_holder", &l.holder, true)?;
            out.holder = l.holder.trim().to_string();
            out.iban = podium_domain::bank::iban(&l.iban)
                .map_err(|e| CheckoutError::Invalid("payment.iban", e.to_string()))?;
        }
        _ => {}
    }
    Ok(out)
}

/// Builds the order from the cart's quote: lines grouped per consignment as the quote grouped
/// them, each consignment's VAT and duty attributed to its lines by largest remainder of net.
fn build_order(
    q: &quote::Quote,
    products: &[ProductRecord],
    req: &CheckoutRequest,
    ctx: &QuoteContext<'_>,
) -> Result<(Vec<NewConsignment>, i64), CheckoutError> {
    let lang = req.lang;
    let mut consignments = Vec::with_capacity(q.consignments.len());
    for c in &q.consignments {
        let weights: Vec<i64> = c.lines.iter().map(|l| l.net.minor).collect();
        let split = |total: i64| {
            largest_remainder(total, &weights)
                .ok_or_else(|| CheckoutError::Consignment("the consignment's amounts cannot be split".into()))
        };
        let vats = split(c.cost.vat.minor)?;
        let duties = split(c.cost.duty.minor)?;
        let mut lines = Vec::with_capacity(c.lines.len());
        for (i, l) in c.lines.iter().enumerate() {
            let (p, v) = products
                .iter()
                .find_map(|p| p.variants.iter().find(|v| public_sku(&p.shop.slug, &v.sku) == l.sku).map(|v| (p, v)))
                .ok_or_else(|| CheckoutError::Unavailable {
                    sku: l.sku.clone(),
                    reason: "no product has this SKU".into(),
                })?;
            let title =
                storefront::text(p, lang).map(|t| t.translation.title.clone()).unwrap_or_else(|| p.slug.clone());
            let options: Vec<&str> = v.options.iter().map(|(_, value)| value.as_str()).collect();
            let title = if options.is_empty() { title } else { format!("{title} — {}", options.join(" · ")) };
            // The licence it sells under now (the quote just checked there is one).
            let cover = podium_domain::licensing::sellable(
                crate::licensing::offer_of(p),
                &p.agreements,
                ctx.tree,
                q.ship_to,
                ctx.at,
            )
            .map_err(|reason| CheckoutError::Unavailable {
                sku: l.sku.clone(),
                reason: quote::describe(&Undeliverable::Licence(reason)),
            })?;
            lines.push(NewOrderLine {
                licensor_id: cover.agreement.licensor_id.clone(),
                agreement_id: cover.agreement.id.clone(),
                rights_id: cover.rights.id.clone(),
                royalty_bp: cover.rights.royalty_bp,
                product_id: p.id.clone(),
                variant_id: v.id.clone(),
                sku: l.sku.clone(),
                title,
                quantity: i64::from(l.quantity),
                unit: l.unit.minor,
                net: l.net.minor,
                vat: vats[i],
                duty: duties[i],
            });
        }
        let shop_id = products
            .iter()
            .find(|p| p.shop.slug == c.shop_slug)
            .map(|p| p.shop.id.clone())
            .ok_or_else(|| CheckoutError::Consignment("unknown shop".into()))?;
        consignments.push(NewConsignment {
            shop_id,
            ship_from: c.ship_from.code().to_string(),
            regime: c.cost.regime.as_str().to_string(),
            goods: c.cost.goods.minor,
            shipping: c.cost.shipping.minor,
            vat: c.cost.vat.minor,
            duty: c.cost.duty.minor,
            total: c.cost.total.minor,
            days_min: i64::from(c.days_min),
            days_max: i64::from(c.days_max),
            commission_bp: req.commission_bp,
            lines,
        });
    }
    Ok((consignments, q.total.minor))
}

/// Checks out a cart: validates, prices, reserves (all or nothing), pays.
pub async fn checkout(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    cart_id: &str,
    req: &CheckoutRequest,
    ctx: &QuoteContext<'_>,
) -> Result<Placed, CheckoutError> {
    let payer = validate(req)?;
    let cart = store.cart(cart_id).await?.ok_or(CheckoutError::CartNotFound)?;
    place(store, provider, cart, payer, req, ctx).await
}

/// [`checkout`] of a cart just read (its claim checks it is still as read).
pub async fn checkout_cart(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    cart: crate::cart::CartRecord,
    req: &CheckoutRequest,
    ctx: &QuoteContext<'_>,
) -> Result<Placed, CheckoutError> {
    let payer = validate(req)?;
    place(store, provider, cart, payer, req, ctx).await
}

/// A checkout once its request is valid and its cart read.
async fn place(
    store: &dyn Store,
    provider: &dyn PaymentProvider,
    cart: crate::cart::CartRecord,
    payer: Payer,
    req: &CheckoutRequest,
    ctx: &QuoteContext<'_>,
) -> Result<Placed, CheckoutError> {
    let cart_id = cart.id.as_str();
    if !cart.usable_by(req.user_id.as_deref()) {
        return Err(CheckoutError::CartNotFound);
    }
    if cart.checkout_order.is_some() {
        return Err(cart_taken(store, cart_id).await);
    }
    if cart.lines.is_empty() {
        // Emptied by the order it became: say which.
        if cart.ordered.is_some() {
            return Err(cart_taken(store, cart_id).await);
        }
        return Err(CheckoutError::EmptyCart);
    }
    let (ship_to, currency, requests) = crate::cart::requests(&cart)?;
    let products = quote::load_products(store, &requests).await?;
    let q = quote::price(ship_to, currency, &requests, &products, ctx).map_err(|e| match e {
        QuoteError::Line { sku, reason: Undeliverable::OutOfStock { .. }, .. } => CheckoutError::SoldOut { sku },
        QuoteError::Line { sku, reason, .. } => CheckoutError::Unavailable { sku, reason: quote::describe(&reason) },
        QuoteError::Consignment { shop, reason } => {
            CheckoutError::Consignment(format!("the consignment from {shop}: {reason}"))
        }
        QuoteError::Store(s) => CheckoutError::Store(s),
        other => CheckoutError::Quote(other),
    })?;
    let mut address = req.address.clone();
    address.country = ship_to.code().to_string();
    let address = crate::shipping_address::check(&address, req.phone_required)
        .map_err(|(f, why)| CheckoutError::Invalid(f, why))?;
    let ship_from: Vec<_> = q.consignments.iter().map(|c| c.ship_from).collect();
    crate::shipping_address::check_import(&address, &ship_from).map_err(|(f, why)| CheckoutError::Invalid(f, why))?;
    if let Payer::Local(l) = &payer {
        offered(provider, l.method, ship_to, currency)?;
    }
    let (consignments, total) = build_order(&q, &products, req, ctx)?;
    let max = podium_domain::money::Bounds::units_to_minor(req.max_order_units, currency);
    if total > max {
        return Err(CheckoutError::TooLarge { max: Money::new(max, currency) });
    }
    let now = ctx.at;
    let client = crate::holds::client_key(&req.token_key, &req.client);
    let id = crate::accounts::random_hex(16);
    let token = order_token(&req.token_key, &id);
    let order = NewOrder {
        id,
        number: new_order_number(),
        token_hash: crate::accounts::token_hash(&token),
        cart_id: Some(cart.id.clone()),
        cart_revision: cart.revision,
        client_key: Some(client.clone()),
        user_id: req.user_id.clone(),
        email: req.email.trim().to_string(),
        lang: req.lang.tag().to_string(),
        address: Address {
            name: req.address.name.trim().to_string(),
            line1: req.address.line1.trim().to_string(),
            line2: req.address.line2.trim().to_string(),
            city: req.address.city.trim().to_string(),
            postal_code: address.postal_code.clone(),
            country: ship_to.code().to_string(),
            region: address.region.clone(),
            phone: address.phone.clone(),
            customs_code: address.customs_code.clone(),
        },
        currency: currency.code().to_string(),
        total,
        consignments,
        reserve_until: now
            + req.holds.window(match &payer {
                Payer::Local(l) => l.method,
                _ => podium_domain::pay_method::PayMethod::Card,
            }),
        created_at: now,
        fx_snapshot: ctx.rates.snapshot(),
        counted: crate::payment_limits::attempt(&req.holds.attempts, &client, &cart.id),
    };
    // Card testing: too many attempts or declines from this client, for this cart or with
    // this card are refused before anything is reserved or the provider charges anything.
    let source = match &payer {
        Payer::Card(c) => PaymentSource::Card(c),
        Payer::Method(m) => PaymentSource::Method(m),
        Payer::Local(l) => PaymentSource::Local(l),
    };
    let card_print = provider.fingerprint(source).await?.filter(|f| !f.is_empty());
    let limits = &req.holds.attempts;
    if let Some((limit, retry_after_secs)) =
        crate::payment_limits::admit(store, limits, &client, &cart.id, card_print.as_deref(), now).await?
    {
        return Err(CheckoutError::TooManyAttempts { limit, retry_after_secs });
    }
    // Lines in a limited drop: only admitted fans, within the per-fan limit.
    let gated = crate::drops::gate(store, &order, now).await?;
    match store.place_order(&order).await? {
        Ok(()) => {}
        Err(NotPlaced::SoldOut { sku }) => return Err(CheckoutError::SoldOut { sku }),
        Err(NotPlaced::CartTaken) => return Err(cart_taken(store, cart_id).await),
    }
    if let Err(refusal) = crate::drops::claim(store, &gated, &order, None, now).await? {
        store.cancel_order(&order.id, "over the drop's per-fan limit", now).await?;
        return Err(CheckoutError::Drop(refusal));
    }
    // The order and its reservations are committed; the provider is called outside that
    // transaction. A crash from here on leaves a pending order that `settle` completes or
    // cancels on restart, according to what the provider says.
    let return_url = format!("{}/checkout/return", req.public_url.trim_end_matches('/'));
    let payment = provider
        .authorize(AuthorizeRequest {
            reference: &order.id,
            amount: Money::new(total, currency),
            source,
            email: &order.email,
            name: &order.address.name,
            pay_by: order.reserve_until,
            return_url: &return_url,
        })
        .await;
    let payment = match payment {
        Ok(p) => p,
        Err(e) => {
            store.cancel_order(&order.id, "the payment could not be started", now).await?;
            // Had the provider authorised it after all (its answer lost on the way), whatever it
            // holds for the cancelled order goes back now: no charge without an order.
            if let Err(again) = settle(store, provider, &order.id, now).await {
                tracing::warn!(error = %again, order = %order.id, "giving back after a failed start failed");
            }
            return Err(e.into());
        }
    };
    fault_point("after-authorize");
    if payment.status == PaymentStatus::Declined {
        crate::payment_limits::declined(store, limits, &client, Some(&payment.fingerprint), now).await?;
    }
    // The same card counts against a drop's per-fan limit whatever the account.
    if let Err(refusal) = crate::drops::claim(store, &gated, &order, Some(&payment.fingerprint), now).await? {
        store.cancel_order(&order.id, "over the drop's per-fan limit for this card", now).await?;
        settle_with(store, provider, &order.id, Some(payment), now).await?;
        return Err(CheckoutError::Drop(refusal));
    }
    let (status, settled) = crate::settlement::settle_recorded(store, provider, &order.id, Some(payment), now).await?;
    if status == OrderStatus::PendingPayment {
        // Waiting for the card's second step, the order holds its stock: only a few such
        // orders per client, account and card (counted with this one).
        let fingerprint = store.order(&order.id).await?.and_then(|o| o.card_fingerprint).filter(|f| !f.is_empty());
        let (by_client, by_account, by_card) = store
            .pending_holds(order.client_key.as_deref(), order.user_id.as_deref(), fingerprint.as_deref(), now)
            .await?;
        // No account or no card counts as none (the store matches nothing for them).
        if let Some(limit) = req.holds.over(by_client, by_account, by_card) {
            abandon(store, provider, &order.id, "too_many_unpaid_orders", now).await?;
            let retry_after_secs = req.holds.hold.whole_seconds().max(1);
            return Err(CheckoutError::TooManyPending { limit, retry_after_secs });
        }
    }
    // Marked paid just now: the order as that left it, without reading it back.
    let placed = match settled {
        Some(paid) => paid,
        None => store.order(&order.id).await?.ok_or(StoreError::NotFound("order"))?,
    };
    if placed.status == OrderStatus::Cancelled {
        let code = placed.failure.clone().unwrap_or_else(|| "card_declined".into());
        return Err(CheckoutError::Declined { code, order: Box::new(placed) });
    }
    Ok(Placed { order: placed, token })
}

/// Refuses a local method that cannot pay for this order: not this market's or currency's, or
/// not one the marketplace's payment provider offers.
fn offered(
    provider: &dyn PaymentProvider,
    method: podium_domain::pay_method::PayMethod,
    to: podium_domain::Country,
    currency: podium_domain::Currency,
) -> Result<(), CheckoutError> {
    use podium_domain::pay_method::PayMethod;
    if !method.offered(to, currency) || !provider.offers(method) {
        let here: Vec<&str> = PayMethod::offered_for(to, currency)
            .into_iter()
            .filter(|m| provider.offers(*m))
            .map(PayMethod::code)
            .collect();
        return Err(CheckoutError::Invalid(
            "payment.method",
            format!(
                "{} cannot pay for delivery to {} in {}; here: {}",
                method.code(),
                to.code(),
                currency.code(),
                here.join(", ")
            ),
        ));
    }
    Ok(())
}

/// What a checkout that could not claim its cart is told: the order the cart is claimed by or
/// became, if any (a cart changed under the checkout has none).
async fn cart_taken(store: &dyn Store, cart_id: &str) -> CheckoutError {
    let order = match store.cart(cart_id).await {
        Ok(Some(c)) => match c.checkout_order.or(c.ordered) {
            Some(id) => store.order(&id).await.ok().flatten().map(Box::new),
            None => None,
        },
        _ => None,
    };
    CheckoutError::CartTaken { order }
}

/// For crash tests: `PODIUM_FAULT=abort-after-authorize` makes the process die at that point,
/// as a power cut would. Unset (always, outside those tests) it does nothing.
fn fault_point(name: &str) {
    static FAULT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let fault = FAULT.get_or_init(|| std::env::var("PODIUM_FAULT").ok());
    if fault.as_deref().and_then(|f| f.strip_prefix("abort-")) == Some(name) {
        tracing::error!(point = name, "PODIUM_FAULT: aborting the process here");
        std::process::abort();
    }
}
