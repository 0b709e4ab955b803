-- Money safety: one cart is one order, and unpaid orders cannot hoard stock.

-- A cart is claimed by the order placed from it, in the transaction that places it, on the
-- condition that nobody claimed it and its lines are those the checkout priced (`revision`
-- moves on with every change of its lines or place). A cancelled order gives the claim back;
-- a paid one empties the cart and is remembered as what the cart became (`ordered_id`).
ALTER TABLE carts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE carts ADD COLUMN checkout_order_id TEXT;
ALTER TABLE carts ADD COLUMN ordered_id TEXT;

-- Whose checkout an order was, to limit the unpaid orders one client may keep (a keyed hash of
-- the client's address, never the address), and until when its stock is held.
ALTER TABLE orders ADD COLUMN client_key TEXT;
ALTER TABLE orders ADD COLUMN hold_until BIGINT;
