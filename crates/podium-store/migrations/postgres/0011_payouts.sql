-- Payouts (DESIGN §3.8): each run pays every shop's available balance and every licensor's
-- royalties in the payee's currency, through the platform's FX liquidity accounts. A payout
-- is recorded with its ledger transfers before the provider is asked; a failure is reversed by
-- new transfers, so the balance is paid in the next run.
CREATE TABLE payout_runs (
    id           TEXT PRIMARY KEY,
    started_by   TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT
);

CREATE TABLE payouts (
    id            TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES payout_runs (id),
    payee_id      TEXT NOT NULL REFERENCES orgs (id),
    currency      TEXT NOT NULL,
    amount        BIGINT NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('sending', 'paid', 'failed')),
    failure       TEXT,
    provider_ref  TEXT,
    -- What was converted: "kind:CUR:amount:rate" parts separated by ";".
    parts         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    settled_at    BIGINT
);
CREATE INDEX payouts_by_payee ON payouts (payee_id, created_at);
CREATE INDEX payouts_by_run ON payouts (run_id);

-- The sandbox payout provider's books: one transfer per payout id, whatever the retries.
CREATE TABLE sandbox_payouts (
    id          TEXT PRIMARY KEY,
    payee       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
