//! SQL for `account_sessions`: one row per browser signed in to an account.

use crate::domain::ids::UserId;
use sqlx::{any::AnyRow, Row};

use crate::server::db::Database;

#[derive(Debug, Clone)]
pub struct SignedInRow {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl SignedInRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
        })
    }
}

const COLUMNS: &str = "id, created_at, last_seen_at, ip, user_agent";

pub async fn insert(
    db: &Database,
    id: &str,
    user_id: &UserId,
    now: i64,
    ip: &str,
    // Already bounded by `ClientInfo` (256 characters).
    user_agent: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_sessions (id, user_id, created_at, last_seen_at, ip, user_agent) \
         VALUES ($1, $2, $3, $3, $4, $5)",
    )
    .bind(id.to_string())
    .bind(user_id.to_string())
    .bind(now)
    .bind(ip.to_string())
    .bind(user_agent)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn find(
    db: &Database,
    user_id: &UserId,
    id: &str,
) -> Result<Option<SignedInRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM account_sessions WHERE user_id = $1 AND id = $2"
    ))
    .bind(user_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(SignedInRow::from_row)
    .transpose()
}

pub async fn list(db: &Database, user_id: &UserId) -> Result<Vec<SignedInRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM account_sessions WHERE user_id = $1 \
         ORDER BY last_seen_at DESC, id"
    ))
    .bind(user_id.to_string())
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(SignedInRow::from_row)
    .collect()
}

pub async fn touch(db: &Database, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Whether there was such a session of this user to end.
pub async fn delete(db: &Database, user_id: &UserId, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM account_sessions WHERE user_id = $1 AND id = $2")
        .bind(user_id.to_string())
        .bind(id.to_string())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of the user but `keep`; returns how many.
pub async fn delete_others(
    db: &Database,
    user_id: &UserId,
    keep: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM account_sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id.to_string())
        .bind(keep.to_string())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}
