-- Remittances: a payout run also pays each country's authorities the VAT and duty collected
-- for it, so a payee is an organisation or a country (its ISO code).
CREATE TABLE payouts_next (
    id            TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES payout_runs (id),
    payee_id      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount        BIGINT NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('sending', 'paid', 'failed')),
    failure       TEXT,
    provider_ref  TEXT,
    parts         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    settled_at    BIGINT
);
INSERT INTO payouts_next SELECT id, run_id, payee_id, currency, amount, status, failure, provider_ref, parts,
    created_at, settled_at FROM payouts;
DROP TABLE payouts;
ALTER TABLE payouts_next RENAME TO payouts;
CREATE INDEX payouts_by_payee ON payouts (payee_id, created_at);
CREATE INDEX payouts_by_run ON payouts (run_id);
-- Taxes and duties refunded after they were remitted are set off against the next remittance.
UPDATE ledger_accounts SET may_go_negative = 1 WHERE kind IN ('tax_payable', 'duty_payable');
