-- Each browser signed in to an account: what the account page lists and can end. The session
-- record (tower-sessions' own table) names its row; a session whose row is gone is signed out,
-- and one older than the absolute lifetime is too, however active.
CREATE TABLE account_sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);

CREATE INDEX account_sessions_user ON account_sessions (user_id, last_seen_at);
