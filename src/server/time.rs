use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch: stored as BIGINT so SQLite and PostgreSQL agree on one type.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
