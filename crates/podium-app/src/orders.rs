//! Orders as they are kept (DESIGN §3.7): one order per checkout, one consignment per shop and
//! ship-from country, lines with the reservation that holds their stock; the store port that
//! writes them, each change in one transaction with the e-mail that announces it.

use async_trait::async_trait;
use podium_domain::order::{ConsignmentStatus, OrderStatus};
use time::OffsetDateTime;

use crate::ports::StoreResult;

/// Where a consignment goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2: the cart's country.
    pub country: String,
    /// The state, prefecture or province (see [`podium_domain::address`]): the list's value
    /// (`NY`, `東京都`) where the country has a list.
    pub region: String,
    /// A phone number for the courier.
    pub phone: String,
    /// Korea's personal customs clearance code, for a Korean import.
    pub customs_code: String,
}

#[derive(Debug, Clone)]
pub struct NewOrderLine {
    pub product_id: String,
    pub variant_id: String,
    /// The marketplace-wide SKU.
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub unit: i64,
    pub net: i64,
    /// The consignment's VAT and duty attributable to this line (largest remainder by net).
    pub vat: i64,
    pub duty: i64,
    /// The licence it sells under: the licensor owed the royalty, the agreement and its rate.
    pub licensor_id: String,
    pub agreement_id: String,
    pub rights_id: String,
    pub royalty_bp: u32,
}

#[derive(Debug, Clone)]
pub struct NewConsignment {
    pub shop_id: String,
    pub ship_from: String,
    pub regime: String,
    pub goods: i64,
    pub shipping: i64,
    pub vat: i64,
    pub duty: i64,
    pub total: i64,
    pub days_min: i64,
    pub days_max: i64,
    /// The platform's commission on net goods at checkout.
    pub commission_bp: u32,
    pub lines: Vec<NewOrderLine>,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: String,
    pub number: String,
    pub token_hash: String,
    pub cart_id: Option<String>,
    pub user_id: Option<String>,
    pub email: String,
    pub lang: String,
    pub address: Address,
    pub currency: String,
    pub total: i64,
    pub consignments: Vec<NewConsignment>,
    /// The cart's revision the checkout priced: the order claims the cart only if its lines
    /// are still those (see [`crate::cart::CartRecord::revision`]).
    pub cart_revision: i64,
    /// A keyed hash of the client's address, to limit the unpaid orders one client keeps.
    pub client_key: Option<String>,
    /// How long the stock stays reserved for the payment.
    pub reserve_until: OffsetDateTime,
    pub created_at: OffsetDateTime,
    /// The exchange rates at checkout ([`podium_domain::RateTable::snapshot`]).
    pub fx_snapshot: String,
    /// Rate-limit counters hit in the transaction that places the order (the card-testing
    /// defence counts an attempt exactly when its order is placed: [`crate::payment_limits`]).
    pub counted: RateHits,
}

/// Rate-limit counters to hit once each, in windows of `window`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateHits {
    pub keys: Vec<String>,
    pub window: time::Duration,
}

/// Why an order was not placed (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPlaced {
    /// A line's stock could not be reserved.
    SoldOut { sku: String },
    /// The cart is claimed by another checkout, was ordered, or changed since it was priced.
    CartTaken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub id: String,
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub unit: i64,
    pub net: i64,
    pub vat: i64,
    pub duty: i64,
    pub reservation_id: String,
    pub refunded_quantity: i64,
    pub licensor_id: String,
    pub agreement_id: String,
    pub rights_id: String,
    pub royalty_bp: u32,
    /// The authenticity code on each unit shipped, in unit order.
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRecord {
    pub id: String,
    pub status: String,
    pub reason: String,
    pub amount: i64,
    pub restock: bool,
    /// (order line id, quantity)
    pub lines: Vec<(String, i64)>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsignmentRecord {
    pub id: String,
    pub order_id: String,
    pub shop_id: String,
    pub shop_slug: String,
    pub shop_name: String,
    pub ship_from: String,
    pub regime: String,
    pub goods: i64,
    pub shipping: i64,
    pub vat: i64,
    pub duty: i64,
    pub total: i64,
    pub refunded: i64,
    pub days_min: i64,
    pub days_max: i64,
    pub return_window_days: i64,
    pub commission_bp: u32,
    pub status: ConsignmentStatus,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub accepted_at: Option<OffsetDateTime>,
    pub shipped_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
    pub lines: Vec<OrderLine>,
    pub returns: Vec<ReturnRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: String,
    pub number: String,
    pub token_hash: String,
    pub cart_id: Option<String>,
    pub user_id: Option<String>,
    pub email: String,
    pub lang: String,
    pub address: Address,
    pub currency: String,
    pub total: i64,
    pub refunded: i64,
    pub status: OrderStatus,
    pub failure: Option<String>,
    pub payment_id: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub card_fingerprint: Option<String>,
    pub next_action: Option<String>,
    /// How the fan pays (or paid).
    pub pay_method: podium_domain::pay_method::PayMethod,
    /// What the fan must do while the payment waits (cleared once paid or cancelled).
    pub pay_action: Option<podium_domain::pay_method::PaymentAction>,
    pub created_at: OffsetDateTime,
    /// Until when its stock is held for the payment (older orders: 15 minutes after creation).
    pub hold_until: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub fx_snapshot: String,
    pub consignments: Vec<ConsignmentRecord>,
}

impl OrderRecord {
    /// The order as [`OrderStore::mark_paid`] leaves it when it answers [`MarkPaid::Paid`]
    /// (with `facts` when it was given them), so a checkout that just marked its order paid
    /// need not read it back. A store test holds the two to each other.
    pub fn paid(mut self, facts: Option<&PaymentFacts>, at: OffsetDateTime) -> OrderRecord {
        self.status = OrderStatus::Paid;
        // The store keeps times to the microsecond.
        self.paid_at = Some(at.replace_nanosecond(at.nanosecond() / 1_000 * 1_000).unwrap_or(at));
        self.next_action = None;
        self.pay_action = None;
        if let Some(f) = facts {
            self.payment_id = Some(f.payment_id.clone());
            self.card_brand = Some(f.brand.clone());
            self.card_last4 = Some(f.last4.clone());
            self.card_fingerprint = Some(f.fingerprint.clone());
            self.pay_method = f.method;
        }
        self
    }
}

/// An e-mail to send once what it announces has committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub kind: MailKind,
    pub recipient: String,
    pub lang: String,
    pub order_id: String,
    pub consignment_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    OrderConfirmation,
    Shipped,
    Refunded,
    /// A new story of something the recipient follows (its `order_id` holds the story's id).
    Story,
    /// A drop the recipient asked to hear about has opened (`order_id` holds the drop's id).
    DropOpen,
    /// A link to choose a new password (`order_id` holds the reset's id).
    PasswordReset,
    /// A link to confirm a new account's address (`order_id` holds the confirmation's id).
    SignupConfirm,
    /// Someone tried to sign up with an address that has an account (`order_id` holds the
    /// account's id).
    SignupTaken,
    /// What a fan paying by voucher or direct debit must know: the voucher's number and expiry,
    /// or the account being debited (sent when the payment starts waiting).
    PaymentDue,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::OrderConfirmation => "order_confirmation",
            MailKind::Shipped => "shipped",
            MailKind::Refunded => "refunded",
            MailKind::Story => "story",
            MailKind::DropOpen => "drop_open",
            MailKind::PasswordReset => "password_reset",
            MailKind::SignupConfirm => "signup_confirm",
            MailKind::SignupTaken => "signup_taken",
            MailKind::PaymentDue => "payment_due",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        [
            MailKind::OrderConfirmation,
            MailKind::Shipped,
            MailKind::Refunded,
            MailKind::Story,
            MailKind::DropOpen,
            MailKind::PasswordReset,
            MailKind::SignupConfirm,
            MailKind::SignupTaken,
            MailKind::PaymentDue,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A mail claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: String,
    pub kind: MailKind,
    pub recipient: String,
    pub lang: String,
    pub order_id: String,
    pub consignment_id: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The payment facts an order keeps (never the card number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFacts {
    pub payment_id: String,
    pub brand: String,
    pub last4: String,
    pub fingerprint: String,
    pub next_action: Option<String>,
    pub method: podium_domain::pay_method::PayMethod,
    pub action: Option<podium_domain::pay_method::PaymentAction>,
}

/// What marking an order paid found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkPaid {
    /// Paid now: every reservation captured into a sale.
    Paid,
    /// It was no longer waiting for payment (paid or cancelled already): nothing changed.
    NotPending,
    /// A reservation had run out and was released: nothing changed; the payment must go back.
    ReservationLost,
}

/// A consignment as its shop lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopConsignment {
    pub id: String,
    pub order_number: String,
    pub status: ConsignmentStatus,
    pub country: String,
    pub currency: String,
    pub total: i64,
    pub units: i64,
    pub ship_name: String,
    pub created_at: OffsetDateTime,
    pub open_returns: i64,
}

/// A fulfilment step a merchant takes.
#[derive(Debug, Clone)]
pub enum Fulfil {
    Accept,
    /// Carrier, tracking number, and the code for each unit: (order line id, unit index, code).
    Ship {
        carrier: String,
        tracking: String,
        codes: Vec<(String, i64, String)>,
    },
    Deliver,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FulfilRefused {
    /// The consignment is not in a state that allows the step.
    State(ConsignmentStatus),
    /// A code is not one issued to the shop for that line's variant, or is already on a unit.
    Code(String),
}

/// An accepted return's refund, worked out by the use case.
#[derive(Debug, Clone)]
pub struct RefundPlan {
    pub return_id: String,
    pub consignment_id: String,
    pub amount: i64,
    /// (order line id, quantity refunded)
    pub lines: Vec<(String, i64)>,
    /// Restock at the reservation's location.
    pub restock: bool,
    /// The whole consignment comes back (shipping too).
    pub whole: bool,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Writes the order (pending payment) and reserves every line's stock, all or nothing.
    /// The order claims its cart in the same transaction: a cart is checked out at most once.
    async fn place_order(&self, order: &NewOrder) -> StoreResult<Result<(), NotPlaced>>;
    /// How many unpaid orders waiting for a second step (holding stock until `now` or later)
    /// belong to this client, this account and this card: (client, account, card).
    async fn pending_holds(
        &self,
        client_key: Option<&str>,
        user_id: Option<&str>,
        card_fingerprint: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<(i64, i64, i64)>;
    async fn order(&self, id: &str) -> StoreResult<Option<OrderRecord>>;
    async fn order_by_number(&self, number: &str) -> StoreResult<Option<OrderRecord>>;
    /// Records what the provider said about an order's payment, with the e-mail it calls for
    /// (a voucher's instructions, say) in the same transaction.
    async fn record_payment(
        &self,
        order_id: &str,
        facts: &PaymentFacts,
        mail: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Pending payment → paid: captures every reservation, records the payment's facts (when
    /// given), empties the cart, queues the mail.
    async fn mark_paid(
        &self,
        order_id: &str,
        facts: Option<&PaymentFacts>,
        mail: &NewMail,
        postings: &[podium_domain::ledger::Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<MarkPaid>;
    /// Just the order's status (the cheap check before settling).
    async fn order_status(&self, id: &str) -> StoreResult<Option<OrderStatus>>;
    /// Pending payment → cancelled, releasing every reservation. False when it was not pending.
    async fn cancel_order(&self, order_id: &str, failure: &str, now: OffsetDateTime) -> StoreResult<bool>;
    /// Orders still waiting for payment that were created before `before`, those whose hold
    /// ends first first (so orders waiting days for a voucher never crowd out the others).
    async fn pending_orders(&self, before: OffsetDateTime, limit: i64) -> StoreResult<Vec<String>>;
    async fn orders_of_user(&self, user_id: &str, limit: i64) -> StoreResult<Vec<OrderRecord>>;
    async fn shop_consignments(&self, shop_id: &str, limit: i64) -> StoreResult<Vec<ShopConsignment>>;
    /// The order a consignment belongs to, with that consignment's id.
    async fn order_of_consignment(&self, consignment_id: &str) -> StoreResult<Option<OrderRecord>>;
    /// Takes a fulfilment step, conditional on the consignment's state, with the mail it sends.
    async fn fulfil(
        &self,
        consignment_id: &str,
        step: &Fulfil,
        mail: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<Result<(), FulfilRefused>>;
    /// Codes issued to the shop for the variant that no unit carries yet, oldest first.
    async fn free_codes(&self, shop_id: &str, variant_id: &str, limit: i64) -> StoreResult<Vec<String>>;
    async fn request_return(
        &self,
        consignment_id: &str,
        lines: &[(String, i64)],
        reason: &str,
        now: OffsetDateTime,
    ) -> StoreResult<String>;
    /// Records a refund the provider made: lines refunded, amounts, stock restored, statuses,
    /// the mail. Conditional on the return still being requested; false when it was not.
    async fn record_refund(
        &self,
        plan: &RefundPlan,
        mail: &NewMail,
        postings: &[podium_domain::ledger::Transfer],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn refuse_return(&self, return_id: &str, now: OffsetDateTime) -> StoreResult<bool>;
    /// Claims up to `limit` unsent mails for `lease`.
    async fn claim_mails(&self, now: OffsetDateTime, lease: time::Duration, limit: i64)
        -> StoreResult<Vec<QueuedMail>>;
    async fn mail_sent(&self, id: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// A webhook event id seen for the first time: true; seen before: false.
    async fn first_webhook(&self, event_id: &str, now: OffsetDateTime) -> StoreResult<bool>;
    /// Idempotency: claims `(scope, key)` for a request with this hash.
    async fn claim_idempotency(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
        lease: time::Duration,
    ) -> StoreResult<IdempotencyClaim>;
    /// Every line paid under the agreement, with its refunds.
    async fn royalty_lines(&self, agreement_id: &str) -> StoreResult<Vec<RoyaltyLine>>;
    /// The secret every node shares under `name`: `candidate` if none was made before.
    async fn shared_secret(&self, name: &str, candidate: &str) -> StoreResult<String>;
    /// Stores the answer to replay; `None` lets the key go (the request may be retried afresh).
    async fn finish_idempotency(&self, scope: &str, key: &str, answer: Option<(u16, &str)>) -> StoreResult<()>;
}

/// An order line sold under an agreement, as a royalty statement reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoyaltyLine {
    pub line_id: String,
    pub paid_at: OffsetDateTime,
    pub currency: String,
    pub fx_snapshot: String,
    pub country: String,
    pub rights_id: String,
    pub net: i64,
    pub royalty_bp: u32,
    pub quantity: i64,
    /// Refunds of its units: (when, how many), oldest first.
    pub refunds: Vec<(OffsetDateTime, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First (or the earlier holder's lease ran out): go ahead.
    Claimed,
    /// Finished before: replay this status and body.
    Done(u16, String),
    /// Another request with this key is running.
    Running,
    /// The key was used with another request body.
    Mismatch,
}

/// The order numbered `number` when the reader may read it: its fan (signed in as `user_id`),
/// or whoever holds its token (compared in constant time). `None` when there is no such order
/// or it is not theirs: the two answer alike, so numbers cannot be probed.
pub async fn readable(
    store: &dyn crate::Store,
    number: &str,
    user_id: Option<&str>,
    token: Option<&str>,
) -> StoreResult<Option<OrderRecord>> {
    let Some(o) = store.order_by_number(number).await? else { return Ok(None) };
    Ok(may_read(&o, user_id, token).then_some(o))
}

/// Whether `user_id` or the holder of `token` may read the order.
pub fn may_read(o: &OrderRecord, user_id: Option<&str>, token: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    let by_user = user_id.is_some_and(|u| o.user_id.as_deref() == Some(u));
    let by_token =
        token.is_some_and(|t| bool::from(crate::accounts::token_hash(t).as_bytes().ct_eq(o.token_hash.as_bytes())));
    by_user || by_token
}
