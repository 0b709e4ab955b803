//! The API's order documents: request bodies for checkout and their JSON answers (orders,
//! consignments, lines, codes and returns).

use crate::api::address::AddressBody;
use crate::api::MoneyJson;
use podium_app::orders::{ConsignmentRecord, OrderRecord};
use podium_domain::{Currency, Money};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct PaymentBody {
    /// `sandbox_card` where the marketplace uses the sandbox, `stripe` where it takes cards
    /// through Stripe; or a local method where the destination and currency allow it:
    /// `alipay`, `wechat_pay` (CN, CNY), `kakao_pay` (KR, KRW), `konbini` (JP, JPY),
    /// `sepa_debit` (SEPA countries, EUR), `ideal` (NL, EUR), `bancontact` (BE, EUR), `mpesa`
    /// (KE, KES; not through Stripe).
    pub method: String,
    /// With `mpesa`: the Kenyan mobile number that gets the payment prompt.
    #[serde(default)]
    pub phone: String,
    /// With `sepa_debit`: the account to debit …
    #[serde(default)]
    pub iban: String,
    /// … and its holder, who gives the mandate.
    #[serde(default)]
    pub account_holder: String,
    /// A sandbox test card (DESIGN §4). Never stored or logged.
    #[serde(default)]
    pub card_number: String,
    /// With `stripe`: the PaymentMethod (`pm_…`) Stripe.js made of the card; card numbers are
    /// never taken by Podium then.
    #[serde(default)]
    pub payment_method: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "fan@example.com", "shipping_address": {"name": "Kim Min-ji", "line1": "12 Sejong-daero", "city": "Seoul", "postal_code": "04524", "country": "KR"}, "payment": {"method": "sandbox_card", "card_number": "4242424242424242"}}))]
pub struct CheckoutBody {
    pub email: String,
    pub shipping_address: AddressBody,
    pub payment: PaymentBody,
    /// The language of the e-mails (`en`, `fr`, `zh-Hans`, `ja`, `ko`); English by default.
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CodeJson {
    pub code: String,
    /// Where anyone can check it.
    pub verify_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderLineJson {
    pub id: String,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub refunded_quantity: i64,
    pub unit_price: MoneyJson,
    pub net: MoneyJson,
    pub vat: MoneyJson,
    pub duty: MoneyJson,
    pub codes: Vec<CodeJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnJson {
    pub id: String,
    /// `requested`, `refunded` or `refused`.
    pub status: String,
    pub reason: String,
    pub amount: MoneyJson,
    pub restock: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ShopRefJson {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderConsignmentJson {
    pub id: String,
    pub shop: ShopRefJson,
    pub ship_from: String,
    pub regime: String,
    /// `new`, `accepted`, `shipped`, `delivered`, `completed`, `cancelled` or `refunded`.
    pub status: String,
    pub goods: MoneyJson,
    pub shipping: MoneyJson,
    pub vat: MoneyJson,
    pub duty: MoneyJson,
    pub total: MoneyJson,
    pub refunded: MoneyJson,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub return_window_days: i64,
    pub lines: Vec<OrderLineJson>,
    pub returns: Vec<ReturnJson>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentJson {
    pub brand: Option<String>,
    pub last4: Option<String>,
    /// `card`, `alipay`, `wechat_pay`, `kakao_pay`, `konbini`, `sepa_debit`, `ideal`,
    /// `bancontact` or `mpesa`.
    pub method: String,
    /// What the fan must do while the order waits for payment, by `type`: `redirect` (`url`),
    /// `qr` (`data` to show as a QR code), `voucher` (`number`, `expires_at` in Unix seconds,
    /// optional printable `url`), `phone_push` (`phone_last4`) or `debit` (`account_last4`: the
    /// bank answers later). Absent once paid or cancelled.
    #[schema(value_type = Option<Object>)]
    pub action: Option<podium_domain::pay_method::PaymentAction>,
    /// Until when the order holds its stock for the payment (a voucher's expiry, say), while
    /// it waits for one.
    #[schema(value_type = Option<String>)]
    pub pay_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderJson {
    pub id: String,
    pub number: String,
    /// `pending_payment`, `paid`, `completed`, `cancelled`, `partially_refunded` or `refunded`.
    pub status: String,
    pub email: String,
    pub country: String,
    pub currency: String,
    pub total: MoneyJson,
    pub refunded: MoneyJson,
    /// Where the card's second step happens, while the order waits for it.
    pub next_action: Option<String>,
    /// Why a cancelled order was cancelled (`card_declined`, `insufficient_funds`, …).
    pub failure: Option<String>,
    pub payment: PaymentJson,
    pub shipping_address: crate::api::address::ShipToJson,
    pub consignments: Vec<OrderConsignmentJson>,
    /// The order's page.
    pub url: String,
    #[schema(value_type = String)]
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlacedJson {
    pub order: OrderJson,
    /// Lets a guest read the order (`?token=` or the `X-Order-Token` header). Shown once.
    pub token: String,
}

pub(crate) fn money(minor: i64, currency: &str) -> MoneyJson {
    Money::new(minor, Currency::parse(currency).unwrap_or(Currency::EUR)).into()
}

pub fn consignment_json(c: &ConsignmentRecord, currency: &str) -> OrderConsignmentJson {
    OrderConsignmentJson {
        id: c.id.clone(),
        shop: ShopRefJson { slug: c.shop_slug.clone(), name: c.shop_name.clone() },
        ship_from: c.ship_from.clone(),
        regime: c.regime.clone(),
        status: c.status.as_str().into(),
        goods: money(c.goods, currency),
        shipping: money(c.shipping, currency),
        vat: money(c.vat, currency),
        duty: money(c.duty, currency),
        total: money(c.total, currency),
        refunded: money(c.refunded, currency),
        carrier: c.carrier.clone(),
        tracking: c.tracking.clone(),
        return_window_days: c.return_window_days,
        lines: c
            .lines
            .iter()
            .map(|l| OrderLineJson {
                id: l.id.clone(),
                sku: l.sku.clone(),
                title: l.title.clone(),
                quantity: l.quantity,
                refunded_quantity: l.refunded_quantity,
                unit_price: money(l.unit, currency),
                net: money(l.net, currency),
                vat: money(l.vat, currency),
                duty: money(l.duty, currency),
                codes: l
                    .codes
                    .iter()
                    .map(|c| CodeJson { code: c.clone(), verify_url: format!("/verify/{c}") })
                    .collect(),
            })
            .collect(),
        returns: c
            .returns
            .iter()
            .map(|r| ReturnJson {
                id: r.id.clone(),
                status: r.status.clone(),
                reason: r.reason.clone(),
                amount: money(r.amount, currency),
                restock: r.restock,
            })
            .collect(),
    }
}

pub fn order_json(o: &OrderRecord) -> OrderJson {
    OrderJson {
        id: o.id.clone(),
        number: o.number.clone(),
        status: o.status.as_str().into(),
        email: o.email.clone(),
        country: o.address.country.clone(),
        currency: o.currency.clone(),
        total: money(o.total, &o.currency),
        refunded: money(o.refunded, &o.currency),
        next_action: o.next_action.clone(),
        failure: o.failure.clone(),
        payment: PaymentJson {
            brand: o.card_brand.clone(),
            last4: o.card_last4.clone(),
            method: o.pay_method.code().to_string(),
            action: o.pay_action.clone(),
            pay_by: (o.status == podium_domain::order::OrderStatus::PendingPayment)
                .then(|| o.hold_until.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()),
        },
        shipping_address: crate::api::address::ship_to_json(&o.address),
        consignments: o.consignments.iter().map(|c| consignment_json(c, &o.currency)).collect(),
        url: format!("/orders/{}", o.number),
        created_at: o.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    }
}
