-- Accounts and the audit log. Ids are random UUIDs as TEXT and times are Unix seconds as BIGINT,
-- so this DDL is the same on SQLite and PostgreSQL.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- Bumped when the password changes: sessions carrying an older epoch are signed out.
    session_epoch BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Security-relevant events. No foreign key: entries outlive the account they mention.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    event      TEXT NOT NULL,
    user_id    TEXT,
    ip         TEXT,
    user_agent TEXT
);

CREATE INDEX audit_log_user_at ON audit_log (user_id, at);
CREATE INDEX audit_log_event_at ON audit_log (event, at);
