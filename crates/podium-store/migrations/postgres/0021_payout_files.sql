-- Payouts by bank file: each payee's bank details (kept in its console) and the ISO 20022
-- credit-transfer files written by payout runs, one per run and currency.
CREATE TABLE payee_accounts (
    payee_id        TEXT PRIMARY KEY,
    holder          TEXT NOT NULL,
    country         TEXT NOT NULL,
    iban            TEXT,
    bic             TEXT,
    account_number  TEXT,
    bank_code       TEXT,
    updated_by      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (iban IS NOT NULL OR account_number IS NOT NULL)
);

CREATE TABLE payout_files (
    id           TEXT PRIMARY KEY,
    run_id       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    transfers    BIGINT NOT NULL,
    total        BIGINT NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('written', 'accepted')),
    created_at   BIGINT NOT NULL,
    accepted_at  BIGINT
);
CREATE INDEX payout_files_by_time ON payout_files (created_at);
CREATE INDEX payouts_by_ref ON payouts (provider_ref);

-- Disputes (chargebacks): the shops' money each one holds back.
CREATE TABLE disputes (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL,
    order_number  TEXT NOT NULL,
    payment_id    TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    created_at    BIGINT NOT NULL
);
CREATE TABLE dispute_holds (
    dispute_id  TEXT NOT NULL REFERENCES disputes (id),
    shop_id     TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (dispute_id, shop_id)
);
CREATE INDEX dispute_holds_by_shop ON dispute_holds (shop_id);
