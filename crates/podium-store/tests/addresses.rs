//! Shipping addresses keep their region, courier phone and Korean customs code, on the cart and
//! on the order, on SQLite and on PostgreSQL alike; an order marked paid reads back as the
//! checkout describes it without reading it.

use std::sync::Arc;

use podium_app::orders::{Address, NewOrder};
use podium_app::Store;

podium_store::on_both_backends!(
    carts_and_orders_keep_the_region_phone_and_customs_code,
    an_order_marked_paid_reads_back_as_the_checkout_describes_it
);

fn korean_address() -> Address {
    Address {
        name: "김민지".into(),
        line1: "세종대로 12".into(),
        line2: String::new(),
        city: "종로구".into(),
        postal_code: "04524".into(),
        country: "KR".into(),
        region: "서울특별시".into(),
        phone: "010-1234-5678".into(),
        customs_code: "P123456789012".into(),
    }
}

async fn carts_and_orders_keep_the_region_phone_and_customs_code(store: Arc<dyn Store>) {
    store.create_cart("cart-address", "KR", "KRW").await.expect("cart");
    let fresh = store.cart("cart-address").await.expect("read").expect("cart");
    assert_eq!((fresh.address.region.as_str(), fresh.address.phone.as_str()), ("", ""), "empty until saved");
    store.set_cart_contact("cart-address", "fan@example.com", &korean_address()).await.expect("save");
    let saved = store.cart("cart-address").await.expect("read").expect("cart");
    assert_eq!(saved.address, korean_address());

    let now = time::OffsetDateTime::now_utc();
    let order = order_to_korea(now);
    let number = order.id.clone();
    store.place_order(&order).await.expect("place").expect("placed");
    let read = store.order(&number).await.expect("read").expect("order");
    assert_eq!(read.address, korean_address());
}

fn order_to_korea(now: time::OffsetDateTime) -> NewOrder {
    let number = podium_app::checkout::new_order_number();
    NewOrder {
        id: number.clone(),
        number: number.clone(),
        token_hash: "hash".into(),
        cart_id: None,
        cart_revision: 0,
        client_key: None,
        user_id: None,
        email: "fan@example.com".into(),
        lang: "ko".into(),
        address: korean_address(),
        currency: "KRW".into(),
        total: 0,
        consignments: Vec::new(),
        reserve_until: now + time::Duration::minutes(15),
        created_at: now,
        fx_snapshot: "EUR=1;KRW=1467.3".into(),
        counted: Default::default(),
    }
}

async fn an_order_marked_paid_reads_back_as_the_checkout_describes_it(store: Arc<dyn Store>) {
    use podium_app::orders::{MailKind, MarkPaid, NewMail, PaymentFacts};
    use podium_domain::pay_method::PayMethod;
    let now = time::OffsetDateTime::now_utc();
    let order = order_to_korea(now);
    store.place_order(&order).await.expect("place").expect("placed");
    let pending = store.order(&order.id).await.expect("read").expect("order");
    let facts = PaymentFacts {
        payment_id: "pay_marked".into(),
        brand: "Visa".into(),
        last4: "4242".into(),
        fingerprint: "fp_marked".into(),
        next_action: None,
        method: PayMethod::Card,
        action: None,
    };
    let mail = NewMail {
        kind: MailKind::OrderConfirmation,
        recipient: order.email.clone(),
        lang: order.lang.clone(),
        order_id: order.id.clone(),
        consignment_id: None,
    };
    // A time with nanoseconds, as the clock gives it.
    let at = now + time::Duration::nanoseconds(1_234_567_891);
    assert_eq!(store.mark_paid(&order.id, Some(&facts), &mail, &[], at).await.expect("paid"), MarkPaid::Paid);
    let read = store.order(&order.id).await.expect("read").expect("order");
    assert_eq!(read, pending.clone().paid(Some(&facts), at), "with the payment's facts");

    // Facts recorded before (a second step): marked paid without them.
    let other = order_to_korea(now);
    store.place_order(&other).await.expect("place").expect("placed");
    let facts = PaymentFacts { payment_id: "pay_second".into(), ..facts };
    store.record_payment(&other.id, &facts, None, now).await.expect("record");
    let recorded = store.order(&other.id).await.expect("read").expect("order");
    let mail = NewMail { order_id: other.id.clone(), ..mail };
    assert_eq!(store.mark_paid(&other.id, None, &mail, &[], at).await.expect("paid"), MarkPaid::Paid);
    let read = store.order(&other.id).await.expect("read").expect("order");
    assert_eq!(read, recorded.paid(None, at), "with the facts it had");
}
