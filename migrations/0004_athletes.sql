-- A coach's athletes; analyses can be assigned to one.

CREATE TABLE athletes (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    body_mass_kg DOUBLE PRECISION,
    -- female, male, other; NULL when not given
    sex          TEXT,
    birth_year   BIGINT,
    created_at   BIGINT NOT NULL
);

CREATE INDEX athletes_user_name ON athletes (user_id, name);

ALTER TABLE analyses ADD COLUMN athlete_id TEXT REFERENCES athletes (id) ON DELETE SET NULL;

CREATE INDEX analyses_athlete ON analyses (athlete_id, created_at);
