-- Shipping profiles (DESIGN §3.6): zones of countries with a flat rate per consignment, a rate per
-- additional item and a delivery estimate, in the shop's currency. One default profile per shop;
-- a product may be assigned another.
CREATE TABLE shipping_profiles (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    is_default  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    UNIQUE (shop_id, name)
);
CREATE UNIQUE INDEX shipping_profiles_one_default ON shipping_profiles (shop_id) WHERE is_default = 1;

-- `countries` holds comma-separated ISO codes, or '*' for the rest of the world.
CREATE TABLE shipping_zones (
    profile_id      TEXT NOT NULL REFERENCES shipping_profiles (id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    name            TEXT NOT NULL,
    countries       TEXT NOT NULL,
    flat_minor      BIGINT NOT NULL CHECK (flat_minor >= 0),
    per_item_minor  BIGINT NOT NULL CHECK (per_item_minor >= 0),
    currency        TEXT NOT NULL,
    days_min        BIGINT NOT NULL,
    days_max        BIGINT NOT NULL,
    PRIMARY KEY (profile_id, position)
);

ALTER TABLE products ADD COLUMN shipping_profile_id TEXT REFERENCES shipping_profiles (id);

-- Shops that exist already keep shipping everywhere, free, until their merchant sets rates.
INSERT INTO shipping_profiles (id, shop_id, name, is_default, created_at)
    SELECT 'default-' || id, id, 'Standard', 1, created_at FROM orgs WHERE kind = 'shop';
INSERT INTO shipping_zones (profile_id, position, name, countries, flat_minor, per_item_minor, currency, days_min, days_max)
    SELECT 'default-' || id, 0, 'Worldwide', '*', 0, 0, currency, 5, 15 FROM orgs WHERE kind = 'shop';
