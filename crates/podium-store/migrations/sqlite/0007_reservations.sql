-- Stock promised to checkouts in progress (DESIGN §3.7): a reservation holds units at one
-- location until it is captured (a sale lowers on_hand and reserved together) or released
-- (a decline, a void, or its time running out).
CREATE TABLE reservations (
    id           TEXT PRIMARY KEY,
    variant_id   TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    location_id  TEXT NOT NULL REFERENCES stock_locations (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    state        TEXT NOT NULL CHECK (state IN ('held', 'captured', 'released')),
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX reservations_expiring ON reservations (state, expires_at);
