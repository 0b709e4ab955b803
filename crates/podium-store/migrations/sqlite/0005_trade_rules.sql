-- Trade rules as the operator imported them (the TOML text, checked before it is stored). The
-- newest row applies; with none, Podium's shipped defaults apply.
CREATE TABLE trade_rules (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    imported_by  TEXT NOT NULL,
    imported_at  BIGINT NOT NULL
);
CREATE INDEX trade_rules_by_time ON trade_rules (imported_at);
