-- Single-use password-reset links. Only a hash of the token is kept; a link works once, for
-- 30 minutes, and a reset spends every other link of the account.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE INDEX password_resets_user ON password_resets (user_id);
