-- Licensing: agreements and their rights sets, stage-by-stage approval of products,
-- authenticity codes and their verifications, and the append-only audit log.

-- When the product was first approved at the licensor's final stage (NULL: never). Fans see
-- only approved products.
ALTER TABLE products ADD COLUMN approved_at BIGINT;

-- An image added to an approved product waits for the licensor (1) and is shown to fans once the
-- revision it belongs to is approved at the final stage (0).
ALTER TABLE images ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;

-- A licensor's approval stages, space-separated slugs in order (empty: the default four).
ALTER TABLE orgs ADD COLUMN approval_stages TEXT NOT NULL DEFAULT '';

CREATE TABLE agreements (
    id                       TEXT PRIMARY KEY,
    reference                TEXT NOT NULL UNIQUE,
    licensor_id              TEXT NOT NULL REFERENCES orgs (id),
    licensee_id              TEXT NOT NULL REFERENCES orgs (id),
    status                   TEXT NOT NULL CHECK (status IN ('draft', 'active', 'suspended', 'terminated')),
    royalty_currency         TEXT NOT NULL,
    advance_minor            BIGINT NOT NULL DEFAULT 0,
    minimum_guarantee_minor  BIGINT NOT NULL DEFAULT 0,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL
);
CREATE INDEX agreements_by_licensor ON agreements (licensor_id);
CREATE INDEX agreements_by_licensee ON agreements (licensee_id);

-- Lists are stored as space-separated values; dates as YYYY-MM-DD (UTC calendar days).
CREATE TABLE rights_sets (
    id            TEXT PRIMARY KEY,
    agreement_id  TEXT NOT NULL REFERENCES agreements (id),
    position      BIGINT NOT NULL,
    properties    TEXT NOT NULL,
    categories    TEXT NOT NULL,
    territory     TEXT NOT NULL,
    channels      TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    end_date      TEXT NOT NULL,
    selloff_end   TEXT,
    royalty_bp    BIGINT NOT NULL CHECK (royalty_bp BETWEEN 0 AND 10000),
    exclusive     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX rights_sets_by_agreement ON rights_sets (agreement_id, position);

CREATE TABLE submissions (
    id             TEXT PRIMARY KEY,
    product_id     TEXT NOT NULL REFERENCES products (id),
    shop_id        TEXT NOT NULL REFERENCES orgs (id),
    licensor_id    TEXT NOT NULL REFERENCES orgs (id),
    kind           TEXT NOT NULL CHECK (kind IN ('new', 'revision')),
    stages         TEXT NOT NULL,
    stage          BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('submitted', 'needs_revision', 'rejected', 'approved')),
    proposal       TEXT,
    waiting_since  BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX submissions_queue ON submissions (licensor_id, status, waiting_since);
CREATE INDEX submissions_by_shop ON submissions (shop_id, updated_at);
CREATE INDEX submissions_by_product ON submissions (product_id, created_at);
-- A product has at most one submission open at a time.
CREATE UNIQUE INDEX submissions_one_open ON submissions (product_id) WHERE status IN ('submitted', 'needs_revision');

CREATE TABLE submission_events (
    id             TEXT PRIMARY KEY,
    submission_id  TEXT NOT NULL REFERENCES submissions (id),
    stage          BIGINT NOT NULL,
    action         TEXT NOT NULL,
    actor_name     TEXT NOT NULL,
    comment        TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);
CREATE INDEX submission_events_by_submission ON submission_events (submission_id, created_at);

-- Files a licensor attaches to a decision (marked-up artwork, a sample photo).
CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL REFERENCES submission_events (id),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BYTEA NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX attachments_by_event ON attachments (event_id);

CREATE TABLE code_batches (
    id           TEXT PRIMARY KEY,
    licensor_id  TEXT NOT NULL REFERENCES orgs (id),
    shop_id      TEXT NOT NULL REFERENCES orgs (id),
    product_id   TEXT NOT NULL REFERENCES products (id),
    variant_id   TEXT NOT NULL,
    quantity     BIGINT NOT NULL,
    issued_by    TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX code_batches_by_licensor ON code_batches (licensor_id, created_at);
CREATE INDEX code_batches_by_shop ON code_batches (shop_id, created_at);

CREATE TABLE auth_codes (
    code               TEXT PRIMARY KEY,
    batch_id           TEXT NOT NULL REFERENCES code_batches (id),
    position           BIGINT NOT NULL,
    verifications      BIGINT NOT NULL DEFAULT 0,
    first_verified_at  BIGINT,
    first_country      TEXT
);
CREATE INDEX auth_codes_by_batch ON auth_codes (batch_id, position);

CREATE TABLE code_verifications (
    code        TEXT NOT NULL REFERENCES auth_codes (code),
    country     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX code_verifications_by_code ON code_verifications (code);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, created_at);

-- Entries are never edited or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
