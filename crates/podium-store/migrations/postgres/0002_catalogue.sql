-- Catalogue: properties, the category tree, products with translations, variants, prices, stock.

CREATE TABLE properties (
    id           TEXT PRIMARY KEY,
    licensor_id  TEXT NOT NULL REFERENCES orgs (id),
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    sport        TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);

-- Names come from the interface message files (`category-<slug>`), so the tree ships with Podium.
CREATE TABLE categories (
    slug         TEXT PRIMARY KEY,
    parent_slug  TEXT REFERENCES categories (slug),
    position     BIGINT NOT NULL
);
INSERT INTO categories (slug, parent_slug, position) VALUES
    ('apparel', NULL, 1), ('t-shirts', 'apparel', 2), ('hoodies', 'apparel', 3), ('headwear', 'apparel', 4),
    ('scarves', 'apparel', 5), ('pins-and-badges', NULL, 6), ('plush-and-mascots', NULL, 7), ('bags', NULL, 8),
    ('home', NULL, 9), ('mugs', 'home', 10), ('posters', 'home', 11), ('collectibles', NULL, 12),
    ('stationery', NULL, 13), ('sports-equipment', NULL, 14);

CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES orgs (id),
    property_id    TEXT NOT NULL REFERENCES properties (id),
    category_slug  TEXT NOT NULL REFERENCES categories (slug),
    handle         TEXT NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    fallback_lang  TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '',
    hs_code        TEXT NOT NULL,
    origin_country TEXT NOT NULL,
    weight_grams   BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'live')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (shop_id, handle)
);
CREATE INDEX products_by_property ON products (property_id);
CREATE INDEX products_by_category ON products (category_slug);
CREATE INDEX products_by_shop ON products (shop_id, created_at);
CREATE INDEX products_by_created ON products (created_at);

CREATE TABLE product_translations (
    product_id   TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    PRIMARY KEY (product_id, lang)
);

CREATE TABLE variants (
    id           TEXT PRIMARY KEY,
    product_id   TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    shop_id      TEXT NOT NULL REFERENCES orgs (id),
    sku          TEXT NOT NULL,
    options      TEXT NOT NULL,
    gtin         TEXT,
    price_minor  BIGINT NOT NULL CHECK (price_minor >= 0),
    currency     TEXT NOT NULL,
    position     BIGINT NOT NULL,
    UNIQUE (shop_id, sku)
);
CREATE INDEX variants_by_product ON variants (product_id, position);

CREATE TABLE variant_prices (
    variant_id  TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    currency    TEXT NOT NULL,
    minor       BIGINT NOT NULL CHECK (minor >= 0),
    PRIMARY KEY (variant_id, currency)
);

CREATE TABLE stock_locations (
    id       TEXT PRIMARY KEY,
    shop_id  TEXT NOT NULL REFERENCES orgs (id),
    name     TEXT NOT NULL,
    country  TEXT NOT NULL,
    UNIQUE (shop_id, name)
);

CREATE TABLE stock_levels (
    variant_id   TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    location_id  TEXT NOT NULL REFERENCES stock_locations (id),
    on_hand      BIGINT NOT NULL,
    reserved     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (variant_id, location_id),
    CHECK (reserved >= 0 AND reserved <= on_hand)
);
