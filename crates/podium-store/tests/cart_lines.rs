//! A cart line is written in one round trip with its cart's touch: added, changed, removed, and
//! refused for a cart that does not exist, on SQLite and on PostgreSQL alike.

use std::sync::Arc;

use podium_app::{Store, StoreError};

podium_store::on_both_backends!(cart_lines_are_added_changed_and_removed);

async fn cart_lines_are_added_changed_and_removed(store: Arc<dyn Store>) {
    store.create_cart("cart-lines", "DE", "EUR").await.expect("cart");
    let fresh = store.cart("cart-lines").await.expect("read").expect("cart");

    store.set_cart_line("cart-lines", "SKU-A", 2).await.expect("add");
    store.set_cart_line("cart-lines", "SKU-B", 1).await.expect("add");
    store.set_cart_line("cart-lines", "SKU-A", 5).await.expect("change");
    let cart = store.cart("cart-lines").await.expect("read").expect("cart");
    assert_eq!(cart.lines, vec![("SKU-A".to_string(), 5), ("SKU-B".to_string(), 1)]);
    assert_eq!(cart.revision, fresh.revision + 3, "each write moves the revision");

    store.set_cart_line("cart-lines", "SKU-A", 0).await.expect("remove");
    let cart = store.cart("cart-lines").await.expect("read").expect("cart");
    assert_eq!(cart.lines, vec![("SKU-B".to_string(), 1)]);

    // No such cart: refused, and no line is left behind for it.
    let missing = store.set_cart_line("cart-nobody-made", "SKU-A", 1).await;
    assert!(matches!(missing, Err(StoreError::NotFound("cart"))), "{missing:?}");
    let removing = store.set_cart_line("cart-nobody-made", "SKU-A", 0).await;
    assert!(matches!(removing, Err(StoreError::NotFound("cart"))), "{removing:?}");
    assert!(store.cart("cart-nobody-made").await.expect("read").is_none());
}
