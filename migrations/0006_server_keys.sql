-- Secrets the server signs with (device cookies), made once by whichever node starts first
-- and shared by every node on the same database.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
