-- Local payment methods: how a payment is made (a card, a wallet, a voucher, a debit) and what
-- the fan must do while it waits (kept with the order as JSON: a QR code, a voucher number and
-- its expiry, the phone that got the prompt).
ALTER TABLE orders ADD COLUMN pay_method TEXT NOT NULL DEFAULT 'card';
ALTER TABLE orders ADD COLUMN pay_action TEXT;

-- The sandbox's own payments: the method, and when a voucher expires or its bank answers a debit.
ALTER TABLE sandbox_payments ADD COLUMN method TEXT NOT NULL DEFAULT 'card';
ALTER TABLE sandbox_payments ADD COLUMN due_at BIGINT;
