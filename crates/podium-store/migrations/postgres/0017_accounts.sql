-- Accounts: an account made through the sign-up page is confirmed by a link mailed to its
-- address before it can sign in. Accounts made before this migration count as confirmed.

ALTER TABLE users ADD COLUMN confirmed_at BIGINT;
UPDATE users SET confirmed_at = created_at;

-- A confirmation link's token is never stored, only its SHA-256. Each link carries the password
-- and name chosen when it was asked for: following it sets them, so whoever signed up first with
-- someone else's address gains nothing when the owner confirms.
CREATE TABLE signup_confirmations (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    token_hash     TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX signup_confirmations_by_user ON signup_confirmations (user_id);
