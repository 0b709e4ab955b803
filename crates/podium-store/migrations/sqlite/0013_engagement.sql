-- Fan engagement: stories by licensors and shops (a shop's story about a licensor's property
-- is reviewed by the licensor before it goes live), follows, and the fan's feed.
CREATE TABLE stories (
    id             TEXT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    author_org_id  TEXT NOT NULL REFERENCES orgs (id),
    -- The property it is about, if any, and so the licensor who reviews a shop's story.
    property_id    TEXT REFERENCES properties (id),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'published', 'rejected', 'withdrawn')),
    video_url      TEXT NOT NULL DEFAULT '',
    cover          TEXT NOT NULL DEFAULT '',
    review_note    TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    published_at   BIGINT
);
CREATE INDEX stories_published ON stories (status, published_at);
CREATE INDEX stories_by_property ON stories (property_id, status, published_at);
CREATE INDEX stories_by_author ON stories (author_org_id, updated_at);

-- A story's text per language (the author writes at least one; the page falls back to it).
CREATE TABLE story_texts (
    story_id  TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    lang      TEXT NOT NULL,
    title     TEXT NOT NULL,
    summary   TEXT NOT NULL DEFAULT '',
    body      TEXT NOT NULL,
    PRIMARY KEY (story_id, lang)
);

-- The products a story features, shown inline as cards.
CREATE TABLE story_products (
    story_id    TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL REFERENCES products (id),
    position    BIGINT NOT NULL,
    PRIMARY KEY (story_id, product_id)
);

CREATE TABLE follows (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('property', 'shop', 'licensor')),
    target_id   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, target_id)
);
CREATE INDEX follows_by_target ON follows (kind, target_id);

-- When the fan last read the feed (what is newer is marked new), and whether new stories of
-- what they follow are e-mailed to them.
ALTER TABLE users ADD COLUMN feed_seen_at BIGINT;
ALTER TABLE users ADD COLUMN story_mails BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- Images an organisation uploads for its stories (owner_kind 'org').
CREATE TABLE images_next (
    id            TEXT PRIMARY KEY,
    owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('product', 'property', 'org')),
    owner_id      TEXT NOT NULL,
    position      BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    alt           TEXT NOT NULL DEFAULT '',
    sha256        TEXT NOT NULL,
    original      BLOB NOT NULL,
    thumb         BLOB NOT NULL,
    created_at    BIGINT NOT NULL,
    pending       BIGINT NOT NULL DEFAULT 0
);
INSERT INTO images_next (id, owner_kind, owner_id, position, content_type, width, height, alt, sha256, original,
    thumb, created_at, pending)
    SELECT id, owner_kind, owner_id, position, content_type, width, height, alt, sha256, original, thumb, created_at,
    pending FROM images;
DROP TABLE images;
ALTER TABLE images_next RENAME TO images;
CREATE INDEX images_by_owner ON images (owner_kind, owner_id, position);
