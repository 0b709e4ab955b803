-- Shop stories and images. Images live in the database so that every node serves them.

ALTER TABLE orgs ADD COLUMN story TEXT NOT NULL DEFAULT '';

CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('product', 'property')),
    owner_id      TEXT NOT NULL,
    position      BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    alt           TEXT NOT NULL DEFAULT '',
    sha256        TEXT NOT NULL,
    original      BLOB NOT NULL,
    thumb         BLOB NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX images_by_owner ON images (owner_kind, owner_id, position);
