-- Claiming guests' analyses into accounts.

-- Set while an analysis' files are being moved to its new storage prefix (from this one); a
-- server that starts and finds it set finishes the move.
ALTER TABLE analyses ADD COLUMN moved_from TEXT;

-- Single-use links that move a guest's analysis into whichever account opens them. Only a hash
-- of the token is kept.
CREATE TABLE claim_tokens (
    token_hash  TEXT PRIMARY KEY,
    analysis_id TEXT NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE INDEX claim_tokens_analysis ON claim_tokens (analysis_id);
