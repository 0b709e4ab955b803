-- Security: password resets, API tokens, and where each audited action came from.

-- A reset link's token is never stored, only its SHA-256; a link works once, until it expires.
CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- An organisation's integration tokens: shown once, stored as SHA-256, limited to their scopes.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_by_org ON api_tokens (org_id, created_at);

-- Where an audited action came from (the client's address, or "cli").
ALTER TABLE audit_log ADD COLUMN client TEXT NOT NULL DEFAULT '';
