-- A shop's display rounding for converted prices: per currency, a converted price is rounded
-- up to a multiple of step_minor (KRW to 100, JPY to 10). The rounded price is the one shown
-- and the one charged. Off unless a row exists.
CREATE TABLE display_rounding (
    shop_id     TEXT NOT NULL REFERENCES orgs (id),
    currency    TEXT NOT NULL,
    step_minor  BIGINT NOT NULL CHECK (step_minor > 1),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (shop_id, currency)
);

-- Address fields some countries need: the state, prefecture or province; a phone number for
-- the courier; Korea's personal customs clearance code (PCCC) for imports into Korea.
ALTER TABLE carts ADD COLUMN ship_region TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE carts ADD COLUMN ship_customs_code TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_region TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_customs_code TEXT NOT NULL DEFAULT '';
