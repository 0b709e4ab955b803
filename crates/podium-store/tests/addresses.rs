//! Shipping addresses keep their region, courier phone and Korean customs code, on the cart and
//! on the order, on SQLite and on PostgreSQL alike.

use std::sync::Arc;

use podium_app::orders::{Address, NewOrder};
use podium_app::Store;

podium_store::on_both_backends!(carts_and_orders_keep_the_region_phone_and_customs_code);

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
    let number = podium_app::checkout::new_order_number();
    let order = NewOrder {
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
    };
    store.place_order(&order).await.expect("place").expect("placed");
    let read = store.order(&number).await.expect("read").expect("order");
    assert_eq!(read.address, korean_address());
}
