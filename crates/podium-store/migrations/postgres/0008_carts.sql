-- Carts (DESIGN §3.7): lines from several shops, priced on every read for the cart's country
-- and currency. A cart's id is a random token: whoever holds it may read and change the cart.
CREATE TABLE carts (
    id          TEXT PRIMARY KEY,
    country     TEXT NOT NULL,
    currency    TEXT NOT NULL,
    user_id     TEXT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE cart_lines (
    cart_id   TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    sku       TEXT NOT NULL,
    quantity  BIGINT NOT NULL CHECK (quantity > 0),
    position  BIGINT NOT NULL,
    PRIMARY KEY (cart_id, sku)
);
