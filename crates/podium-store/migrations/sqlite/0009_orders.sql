-- Orders (DESIGN §3.7): one order per checkout, one consignment per shop and ship-from country,
-- lines that remember what was sold at what price and which reservation held the stock.
-- Amounts are integer minor units of the order's currency.
ALTER TABLE orgs ADD COLUMN return_window_days BIGINT NOT NULL DEFAULT 14;

CREATE TABLE orders (
    id                TEXT PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    -- SHA-256 of the order's access token (a guest reads the order with the token).
    token_hash        TEXT NOT NULL,
    cart_id           TEXT,
    user_id           TEXT REFERENCES users (id),
    email             TEXT NOT NULL,
    lang              TEXT NOT NULL,
    country           TEXT NOT NULL,
    currency          TEXT NOT NULL,
    ship_name         TEXT NOT NULL,
    ship_line1        TEXT NOT NULL,
    ship_line2        TEXT NOT NULL,
    ship_city         TEXT NOT NULL,
    ship_postal_code  TEXT NOT NULL,
    total             BIGINT NOT NULL CHECK (total >= 0),
    refunded          BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    status            TEXT NOT NULL,
    failure           TEXT,
    payment_id        TEXT,
    card_brand        TEXT,
    card_last4        TEXT,
    card_fingerprint  TEXT,
    next_action       TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    paid_at           BIGINT
);
CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE INDEX orders_by_status ON orders (status, created_at);

CREATE TABLE consignments (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position            BIGINT NOT NULL,
    shop_id             TEXT NOT NULL REFERENCES orgs (id),
    ship_from           TEXT NOT NULL,
    regime              TEXT NOT NULL,
    goods               BIGINT NOT NULL,
    shipping            BIGINT NOT NULL,
    vat                 BIGINT NOT NULL,
    duty                BIGINT NOT NULL,
    total               BIGINT NOT NULL,
    refunded            BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    days_min            BIGINT NOT NULL,
    days_max            BIGINT NOT NULL,
    return_window_days  BIGINT NOT NULL,
    status              TEXT NOT NULL,
    carrier             TEXT,
    tracking            TEXT,
    accepted_at         BIGINT,
    shipped_at          BIGINT,
    delivered_at        BIGINT
);
CREATE INDEX consignments_by_order ON consignments (order_id, position);
CREATE INDEX consignments_by_shop ON consignments (shop_id, status);

CREATE TABLE order_lines (
    id                 TEXT PRIMARY KEY,
    consignment_id     TEXT NOT NULL REFERENCES consignments (id) ON DELETE CASCADE,
    position           BIGINT NOT NULL,
    product_id         TEXT NOT NULL,
    variant_id         TEXT NOT NULL,
    sku                TEXT NOT NULL,
    title              TEXT NOT NULL,
    quantity           BIGINT NOT NULL CHECK (quantity > 0),
    unit               BIGINT NOT NULL,
    net                BIGINT NOT NULL,
    vat                BIGINT NOT NULL,
    duty               BIGINT NOT NULL,
    reservation_id     TEXT NOT NULL REFERENCES reservations (id),
    refunded_quantity  BIGINT NOT NULL DEFAULT 0 CHECK (refunded_quantity >= 0 AND refunded_quantity <= quantity)
);
CREATE INDEX order_lines_by_consignment ON order_lines (consignment_id, position);

-- The authenticity code the merchant put on each unit shipped; a code goes on one unit only.
CREATE TABLE unit_codes (
    line_id  TEXT NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    unit     BIGINT NOT NULL,
    code     TEXT NOT NULL UNIQUE REFERENCES auth_codes (code),
    PRIMARY KEY (line_id, unit)
);

-- Returns: the fan asks, the merchant accepts (refunding some or all) or refuses.
CREATE TABLE returns (
    id              TEXT PRIMARY KEY,
    consignment_id  TEXT NOT NULL REFERENCES consignments (id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('requested', 'refunded', 'refused')),
    reason          TEXT NOT NULL,
    amount          BIGINT NOT NULL DEFAULT 0,
    restock         BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    decided_at      BIGINT
);
CREATE INDEX returns_by_consignment ON returns (consignment_id);

CREATE TABLE return_lines (
    return_id  TEXT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    line_id    TEXT NOT NULL REFERENCES order_lines (id),
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (return_id, line_id)
);

-- Idempotent checkout (DESIGN §3.7): the first request with a key claims it; a retry with the
-- same body gets the stored answer, one with another body is refused, one that arrives while
-- the first still runs waits. A claim whose holder died is taken over once its lease ends.
CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         BIGINT,
    response       TEXT,
    lease_until    BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- The sandbox payment provider's own books: it behaves like a card processor that happens to
-- share the database. It never sees more of a card than its brand, last four and fingerprint.
CREATE TABLE sandbox_payments (
    id           TEXT PRIMARY KEY,
    reference    TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL,
    decline_code TEXT,
    captured     BIGINT NOT NULL DEFAULT 0,
    refunded     BIGINT NOT NULL DEFAULT 0,
    fingerprint  TEXT NOT NULL,
    brand        TEXT NOT NULL,
    last4        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX sandbox_payments_by_reference ON sandbox_payments (reference);

-- Its webhook queue: events wait until their delivery time; some are queued twice.
CREATE TABLE sandbox_webhooks (
    seq          BIGINT NOT NULL,
    event_id     TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    deliver_at   BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    lease_until  BIGINT NOT NULL DEFAULT 0,
    delivered_at BIGINT,
    PRIMARY KEY (event_id, seq)
);
CREATE INDEX sandbox_webhooks_due ON sandbox_webhooks (delivered_at, deliver_at);

-- Webhook events Podium has applied, so a duplicate is recognised.
CREATE TABLE webhook_events (
    event_id     TEXT PRIMARY KEY,
    received_at  BIGINT NOT NULL
);

-- E-mails waiting for the mail transport: written in the same transaction as what they announce,
-- composed in the recipient's language when sent, claimed with a lease, marked sent once.
CREATE TABLE mails (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    lang            TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    consignment_id  TEXT,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mails_unsent ON mails (sent_at, created_at);

-- Secrets every node must share (the sandbox's webhook and fingerprint key), made once.
CREATE TABLE shared_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- A card handed to the sandbox by the checkout's payment form becomes a payment method: what the
-- card will do, its brand, last four and fingerprint. The number itself is never kept.
CREATE TABLE sandbox_payment_methods (
    id           TEXT PRIMARY KEY,
    behaviour    TEXT NOT NULL,
    brand        TEXT NOT NULL,
    last4        TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- What the fan typed in the checkout's address step, kept on the cart between steps.
ALTER TABLE carts ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_name TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_line1 TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_line2 TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_city TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_postal_code TEXT NOT NULL DEFAULT '';
