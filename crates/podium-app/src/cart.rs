//! Carts (DESIGN §3.7): lines from several shops, priced on every read as a quote for the
//! cart's country and currency — one consignment per shop with its shipping, VAT and duty.
//! Lines that can no longer be delivered (a licence ended, a territory, stock) are set aside
//! with their reason and cannot be checked out.

use async_trait::async_trait;
use podium_domain::{Country, Currency};
use time::OffsetDateTime;

use crate::ports::{StoreError, StoreResult};
use crate::quote::{self, LineRequest, Quote, QuoteContext, QuoteError, Undeliverable, MAX_LINES, MAX_QUANTITY};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRecord {
    pub id: String,
    pub country: String,
    pub currency: String,
    /// (marketplace SKU, quantity) in the order they were first added.
    pub lines: Vec<(String, i64)>,
    /// What the checkout's address step saved (empty until then).
    pub email: String,
    pub address: crate::orders::Address,
    pub created_at: OffsetDateTime,
    /// The signed-in fan whose cart it is; nobody else is served it.
    pub user_id: Option<String>,
    /// Moves on with every change of the lines or the place: a checkout priced from an older
    /// read cannot claim the cart.
    pub revision: i64,
    /// The order being placed from the cart (pending payment), if any.
    pub checkout_order: Option<String>,
    /// The order the cart last became (paid); forgotten when lines are added again.
    pub ordered: Option<String>,
}

impl CartRecord {
    /// Whether `user` may use this cart: a guest cart is anyone's who holds its id, a fan's
    /// cart only its owner's.
    pub fn usable_by(&self, user: Option<&str>) -> bool {
        self.user_id.is_none() || self.user_id.as_deref() == user
    }
}

#[async_trait]
pub trait CartStore: Send + Sync {
    async fn create_cart(&self, id: &str, country: &str, currency: &str) -> StoreResult<CartRecord>;
    async fn cart(&self, id: &str) -> StoreResult<Option<CartRecord>>;
    /// Sets a line's quantity (adding the line when new); 0 removes it.
    async fn set_cart_line(&self, cart_id: &str, sku: &str, quantity: i64) -> StoreResult<()>;
    /// The newest cart of a signed-in fan.
    async fn user_cart(&self, user_id: &str) -> StoreResult<Option<String>>;
    async fn set_cart_owner(&self, cart_id: &str, user_id: &str) -> StoreResult<()>;
    /// Moves the cart to another ship-to country and currency (it is priced afresh on read).
    async fn set_cart_place(&self, cart_id: &str, country: &str, currency: &str) -> StoreResult<()>;
    /// Saves the checkout's address step on the cart (the country stays the cart's).
    async fn set_cart_contact(&self, cart_id: &str, email: &str, address: &crate::orders::Address) -> StoreResult<()>;
}

/// A cart id: 24 random bytes, hex. Holding it is what lets a guest use the cart.
pub fn new_cart_id() -> String {
    crate::accounts::random_hex(24)
}

/// A cart priced now: the quote of the lines that can be delivered, and the others with why.
#[derive(Debug, Clone)]
pub struct PricedCart {
    pub cart: CartRecord,
    pub quote: Option<Quote>,
    pub set_aside: Vec<(String, i64, Undeliverable)>,
    /// The products the lines belong to (for titles and images).
    pub products: Vec<crate::catalogue::ProductRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("no such cart")]
    NotFound,
    #[error("a cart holds at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("the quantity must be from 1 to {MAX_QUANTITY}")]
    Quantity,
    #[error("{sku}: {reason}")]
    Line { sku: String, reason: String },
    /// Not enough left: `available` is how many this line may hold in all (0: sold out), and
    /// `in_cart` how many it holds already.
    #[error("{sku}: only {available} left")]
    SoldOut { sku: String, available: i64, in_cart: i64 },
    #[error(transparent)]
    Quote(#[from] QuoteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the cart ships, in what currency, and its lines as quote requests.
pub fn requests(cart: &CartRecord) -> Result<(Country, Currency, Vec<LineRequest>), StoreError> {
    let ship_to = Country::parse(&cart.country).map_err(|e| StoreError::Backend(e.to_string()))?;
    let currency = Currency::parse(&cart.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let lines = cart
        .lines
        .iter()
        .map(|(sku, q)| LineRequest { sku: sku.clone(), quantity: u32::try_from(*q).unwrap_or(u32::MAX) })
        .collect();
    Ok((ship_to, currency, lines))
}

/// Prices a cart: each line checked on its own (so one bad line does not hide the others),
/// then the deliverable ones quoted together.
pub async fn price_cart(store: &dyn Store, cart: CartRecord, ctx: &QuoteContext<'_>) -> Result<PricedCart, CartError> {
    let (_, _, requests) = requests(&cart)?;
    let products = quote::load_products(store, &requests).await?;
    price_loaded(cart, products, ctx)
}

/// [`price_cart`] with its products already read (with their stock, just now).
fn price_loaded(
    cart: CartRecord,
    products: Vec<crate::catalogue::ProductRecord>,
    ctx: &QuoteContext<'_>,
) -> Result<PricedCart, CartError> {
    let (ship_to, currency, requests) = requests(&cart)?;
    let mut good = Vec::with_capacity(requests.len());
    let mut set_aside = Vec::new();
    for line in requests {
        match quote::price(ship_to, currency, std::slice::from_ref(&line), &products, ctx) {
            Err(QuoteError::Line { reason, .. }) => set_aside.push((line.sku, i64::from(line.quantity), reason)),
            _ => good.push(line),
        }
    }
    let quote = if good.is_empty() { None } else { Some(quote::price(ship_to, currency, &good, &products, ctx)?) };
    Ok(PricedCart { cart, quote, set_aside, products })
}

/// Adds `quantity` of a SKU to the cart, refusing a line that could not be delivered to the
/// cart's country now (the reason in the error).
pub async fn add_line(
    store: &dyn Store,
    cart_id: &str,
    sku: &str,
    quantity: i64,
    ctx: &QuoteContext<'_>,
) -> Result<PricedCart, CartError> {
    if !(1..=i64::from(MAX_QUANTITY)).contains(&quantity) {
        return Err(CartError::Quantity);
    }
    let cart = store.cart(cart_id).await?.ok_or(CartError::NotFound)?;
    let already = cart.lines.iter().find(|(s, _)| s == sku).map_or(0, |(_, q)| *q);
    if already == 0 && cart.lines.len() >= MAX_LINES {
        return Err(CartError::TooManyLines);
    }
    let total = already + quantity;
    if total > i64::from(MAX_QUANTITY) {
        return Err(CartError::Quantity);
    }
    let ship_to = Country::parse(&cart.country).map_err(|e| StoreError::Backend(e.to_string()))?;
    let currency = Currency::parse(&cart.currency).map_err(|e| StoreError::Backend(e.to_string()))?;
    let line = LineRequest { sku: sku.to_string(), quantity: u32::try_from(total).unwrap_or(u32::MAX) };
    // The products of every line, read once: to check this one, then to price the cart.
    let (_, _, mut wanted) = requests(&cart)?;
    wanted.push(line.clone());
    let products = quote::load_products(store, &wanted).await?;
    match quote::price(ship_to, currency, std::slice::from_ref(&line), &products, ctx) {
        Err(QuoteError::Line { reason: Undeliverable::OutOfStock { available }, .. }) => {
            return Err(CartError::SoldOut { sku: sku.to_string(), available, in_cart: already });
        }
        Err(QuoteError::Line { reason, .. }) => {
            return Err(CartError::Line { sku: sku.to_string(), reason: quote::describe(&reason) });
        }
        Err(QuoteError::Store(s)) => return Err(CartError::Store(s)),
        // A consignment-level refusal (China's limit) shows on the cart, not here.
        _ => {}
    }
    store.set_cart_line(cart_id, sku, total).await?;
    let cart = store.cart(cart_id).await?.ok_or(CartError::NotFound)?;
    // A line added meanwhile from elsewhere (another tab) has a product not read yet.
    if cart.lines.iter().all(|(s, _)| wanted.iter().any(|w| w.sku == *s)) {
        return price_loaded(cart, products, ctx);
    }
    price_cart(store, cart, ctx).await
}

/// Signing in with a guest cart: the fan's own cart (from another visit) takes the guest's
/// lines, or the guest cart becomes theirs. Returns the cart to keep using.
pub async fn adopt(store: &dyn Store, guest: Option<&str>, user_id: &str) -> Result<Option<String>, StoreError> {
    let mine = store.user_cart(user_id).await?;
    // Another fan's cart (a cookie left behind) is never adopted.
    let guest = match guest {
        Some(g) => store.cart(g).await?.filter(|c| c.usable_by(Some(user_id))),
        None => None,
    };
    match (mine, guest) {
        (Some(mine), Some(g)) if mine != g.id => {
            let current = store.cart(&mine).await?.map(|c| c.lines).unwrap_or_default();
            for (sku, q) in &g.lines {
                let had = current.iter().find(|(s, _)| s == sku).map_or(0, |(_, q)| *q);
                store.set_cart_line(&mine, sku, (had + q).min(i64::from(MAX_QUANTITY))).await?;
                store.set_cart_line(&g.id, sku, 0).await?;
            }
            Ok(Some(mine))
        }
        (Some(mine), _) => Ok(Some(mine)),
        (None, Some(g)) => {
            store.set_cart_owner(&g.id, user_id).await?;
            Ok(Some(g.id))
        }
        (None, None) => Ok(None),
    }
}

/// The cart a visitor shops with: the one their cookie names (`cookie`), unless it is a fan's
/// cart and this visitor is not that fan; else the signed-in fan's own (`user_id`). It follows
/// the visitor's ship-to country and currency. Without one, a new cart (owned by the fan, if
/// signed in) when `create`, else `None`.
pub async fn for_visitor(
    store: &dyn Store,
    cookie: Option<&str>,
    user_id: Option<&str>,
    country: &str,
    currency: &str,
    create: bool,
) -> StoreResult<Option<String>> {
    let mut found = match cookie {
        Some(id) => store.cart(id).await?.filter(|c| c.usable_by(user_id)),
        None => None,
    };
    if found.is_none() {
        if let Some(user) = user_id {
            if let Some(id) = store.user_cart(user).await? {
                found = store.cart(&id).await?;
            }
        }
    }
    match found {
        Some(c) => {
            if c.country != country || c.currency != currency {
                store.set_cart_place(&c.id, country, currency).await?;
            }
            Ok(Some(c.id))
        }
        None if create => {
            let id = new_cart_id();
            store.create_cart(&id, country, currency).await?;
            if let Some(user) = user_id {
                store.set_cart_owner(&id, user).await?;
            }
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

/// The cart `user_id` may check out for delivery to `country`: a cart is priced for one
/// country (its VAT, duty and shipping), so an address elsewhere needs a new cart.
pub async fn for_delivery(
    store: &dyn Store,
    cart_id: &str,
    user_id: Option<&str>,
    country: &str,
) -> Result<CartRecord, crate::checkout::CheckoutError> {
    let cart = store
        .cart(cart_id)
        .await?
        .filter(|c| c.usable_by(user_id))
        .ok_or(crate::checkout::CheckoutError::CartNotFound)?;
    if !country.eq_ignore_ascii_case(&cart.country) {
        return Err(crate::checkout::CheckoutError::WrongCountry {
            priced_for: cart.country.clone(),
            asked: country.to_string(),
        });
    }
    Ok(cart)
}

/// Sets a line's quantity (0 removes it). More than the cart holds goes through [`add_line`]'s
/// rules (stock, delivery) for the difference; less is simply set.
pub async fn set_quantity(
    store: &dyn Store,
    cart_id: &str,
    sku: &str,
    quantity: i64,
    ctx: &QuoteContext<'_>,
) -> Result<(), CartError> {
    if !(0..=i64::from(MAX_QUANTITY)).contains(&quantity) {
        return Err(CartError::Quantity);
    }
    let had = match quantity {
        0 => 0,
        _ => store.cart(cart_id).await?.and_then(|c| c.lines.into_iter().find(|(s, _)| s == sku)).map_or(0, |l| l.1),
    };
    match added(had, quantity) {
        Some(more) => add_line(store, cart_id, sku, more, ctx).await.map(|_| ()),
        None => Ok(store.set_cart_line(cart_id, sku, quantity).await?),
    }
}

/// How many units to add to go from `had` to `wanted`, or `None` when the line is simply set.
fn added(had: i64, wanted: i64) -> Option<i64> {
    (wanted > had && wanted > 0).then_some(wanted - had)
}

#[cfg(test)]
mod tests {
    use super::added;

    #[test]
    fn raising_a_line_adds_the_difference_and_lowering_it_sets_it() {
        assert_eq!(added(2, 5), Some(3), "two more through the stock and delivery rules");
        assert_eq!(added(0, 1), Some(1), "a new line is added");
        assert_eq!(added(5, 2), None, "fewer is set");
        assert_eq!(added(3, 3), None, "the same is set");
        assert_eq!(added(3, 0), None, "zero removes");
    }
}
