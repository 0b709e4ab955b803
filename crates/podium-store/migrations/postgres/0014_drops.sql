-- Limited drops: a shop releases a number of units of one variant at a set time. Fans who
-- arrive in the waiting room before the start draw a secret random place (queue_key); later
-- arrivals queue behind them in arrival order. Admission is written here, so any node serves
-- any fan; each admitted fan may check out until expires_at.
CREATE TABLE drops (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES orgs (id),
    product_id  TEXT NOT NULL REFERENCES products (id),
    variant_id  TEXT NOT NULL REFERENCES variants (id),
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    per_fan     BIGINT NOT NULL CHECK (per_fan BETWEEN 1 AND 10),
    starts_at   BIGINT NOT NULL,
    closed_at   BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX drops_by_product ON drops (product_id, starts_at);
CREATE INDEX drops_by_shop ON drops (shop_id, starts_at);

CREATE TABLE drop_entries (
    drop_id      TEXT NOT NULL REFERENCES drops (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    joined_at    BIGINT NOT NULL,
    queue_key    BIGINT NOT NULL,
    admitted_at  BIGINT,
    expires_at   BIGINT,
    PRIMARY KEY (drop_id, user_id)
);
CREATE INDEX drop_entries_queue ON drop_entries (drop_id, admitted_at, queue_key);

-- "Notify me": an e-mail when the drop opens.
CREATE TABLE drop_alerts (
    drop_id     TEXT NOT NULL REFERENCES drops (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (drop_id, user_id)
);

-- The per-fan limit: each unit a fan's account or card buys in a drop takes a numbered slot
-- (1 to the limit), so two checkouts at once cannot both take the last one. Slots of cancelled
-- orders are given back when the next claim is made.
CREATE TABLE drop_claims (
    drop_id     TEXT NOT NULL REFERENCES drops (id),
    holder      TEXT NOT NULL,
    slot        BIGINT NOT NULL,
    order_id    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (drop_id, holder, slot)
);
