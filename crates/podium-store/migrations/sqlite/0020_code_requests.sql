-- A merchant's request to its licensor for more authenticity codes for one variant: the
-- licensor's queue lists the open ones with the quantity needed; issuing codes for that variant
-- to that shop resolves them.
CREATE TABLE code_requests (
    id            TEXT PRIMARY KEY,
    licensor_id   TEXT NOT NULL REFERENCES orgs (id),
    shop_id       TEXT NOT NULL REFERENCES orgs (id),
    product_id    TEXT NOT NULL REFERENCES products (id),
    variant_id    TEXT NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity > 0),
    note          TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'fulfilled')),
    created_at    BIGINT NOT NULL,
    resolved_at   BIGINT,
    batch_id      TEXT
);
CREATE INDEX code_requests_by_licensor ON code_requests (licensor_id, status, created_at);
CREATE INDEX code_requests_by_shop ON code_requests (shop_id, status, variant_id);
