-- Analyses of uploaded videos and the durable job queue that runs them. Same DDL on SQLite and
-- PostgreSQL: TEXT ids, BIGINT Unix seconds, DOUBLE PRECISION (REAL affinity on SQLite).

CREATE TABLE analyses (
    id              TEXT PRIMARY KEY,
    -- Exactly one owner: an account, or a guest id kept in the guest's session.
    user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
    guest_id        TEXT,
    -- queued, running, done, failed, cancelled
    status          TEXT NOT NULL,
    jump_type       TEXT NOT NULL,
    body_mass_kg    DOUBLE PRECISION,
    -- Storage prefix (`anonymous/<id>` or `users/<user-id>/<id>`): the video and key frames live under it.
    storage_prefix  TEXT NOT NULL,
    video_bytes     BIGINT NOT NULL,
    video_type      TEXT NOT NULL,
    duration_s      DOUBLE PRECISION NOT NULL,
    stage           TEXT,
    progress        DOUBLE PRECISION NOT NULL DEFAULT 0,
    result_json     TEXT,
    -- Events with a key frame image, comma-separated.
    key_frames      TEXT,
    error_code      TEXT,
    error_message   TEXT,
    created_at      BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT,
    -- Guests' analyses are deleted after this time; NULL for accounts.
    expires_at      BIGINT,
    CHECK ((user_id IS NULL AND guest_id IS NOT NULL) OR (user_id IS NOT NULL AND guest_id IS NULL))
);

CREATE INDEX analyses_user_created ON analyses (user_id, created_at);
CREATE INDEX analyses_guest ON analyses (guest_id);
CREATE INDEX analyses_expires ON analyses (expires_at);

-- One job per analysis. A worker leases a job until `locked_until` and renews the lease while it
-- runs; a job whose lease ran out (its worker died) is claimed again.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    analysis_id   TEXT NOT NULL UNIQUE REFERENCES analyses (id) ON DELETE CASCADE,
    -- queued, running, done, failed, cancelled
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    run_after     BIGINT NOT NULL,
    locked_by     TEXT,
    locked_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX jobs_state_run_after ON jobs (state, run_after);

-- Audit entries about an analysis name it.
ALTER TABLE audit_log ADD COLUMN analysis_id TEXT;
