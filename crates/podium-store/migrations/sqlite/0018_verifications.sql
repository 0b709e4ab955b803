-- The clients that verified each code, one row per client however often it looked: the client
-- is a keyed hash of its address (the address itself is never stored). A code looks copied when
-- many different clients (or countries) verify it, not when one client looks it up many times.
CREATE TABLE code_verifiers (
    code      TEXT NOT NULL REFERENCES auth_codes (code),
    client    TEXT NOT NULL,
    first_at  BIGINT NOT NULL,
    PRIMARY KEY (code, client)
);
