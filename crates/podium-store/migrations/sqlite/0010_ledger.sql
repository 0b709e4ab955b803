-- The money ledger (DESIGN §3.8): accounts (owner, kind, currency) with their posted debits and
-- credits, and transfers that are only ever appended. A transfer id is chosen by the caller,
-- so posting the same transfer twice is the same transfer.
CREATE TABLE ledger_accounts (
    id               TEXT PRIMARY KEY,
    owner            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    currency         TEXT NOT NULL,
    debits           BIGINT NOT NULL DEFAULT 0 CHECK (debits >= 0),
    credits          BIGINT NOT NULL DEFAULT 0 CHECK (credits >= 0),
    may_go_negative  BIGINT NOT NULL,
    UNIQUE (owner, kind, currency),
    -- The balance on the account's normal side never goes below zero unless it may.
    CHECK (may_go_negative = 1 OR
           (CASE WHEN kind = 'provider_clearing' THEN debits - credits ELSE credits - debits END) >= 0)
);

CREATE TABLE ledger_transfers (
    id              TEXT PRIMARY KEY,
    batch_id        TEXT NOT NULL,
    debit_account   TEXT NOT NULL REFERENCES ledger_accounts (id),
    credit_account  TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    code            TEXT NOT NULL,
    -- What it belongs to: a consignment, a return.
    reference       TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX ledger_transfers_by_reference ON ledger_transfers (reference);
CREATE INDEX ledger_transfers_by_batch ON ledger_transfers (batch_id);

CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;

-- What each order line owes: the licence it sold under and the rate, fixed at checkout.
ALTER TABLE order_lines ADD COLUMN licensor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN rights_id TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN royalty_bp BIGINT NOT NULL DEFAULT 0;
-- The exchange rates at checkout (statements convert at them).
ALTER TABLE orders ADD COLUMN fx_snapshot TEXT NOT NULL DEFAULT '';
-- The platform's commission rate at checkout.
ALTER TABLE consignments ADD COLUMN commission_bp BIGINT NOT NULL DEFAULT 0;
