//! SQL for `password_resets`: the links a "forgot password" email carries, stored hashed.

use crate::domain::ids::UserId;
use sqlx::Row;

use super::repo;
use crate::server::{db::Database, link_token::hash_token};

/// A new link of `user_id` valid until `expires_at`; the account's spent and expired links
/// are dropped on the way.
pub async fn insert(
    db: &Database,
    token: &str,
    user_id: &UserId,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "DELETE FROM password_resets WHERE user_id = $1 AND (used_at IS NOT NULL OR expires_at <= $2)",
    )
    .bind(user_id.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(token))
    .bind(user_id.to_string())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The account an unspent, unexpired link belongs to.
pub async fn find_usable(
    db: &Database,
    token: &str,
    now: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    sqlx::query(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL \
         AND expires_at > $2",
    )
    .bind(hash_token(token))
    .bind(now)
    .fetch_optional(&db.pool)
    .await?
    .map(|row| row.try_get::<String, _>("user_id").map(UserId::from))
    .transpose()
}

/// Spends the link and sets the account's new password in one transaction: the old password
/// and every sign-in end with it (the epoch moves, the sign-in rows go), and so do the account's
/// other links. `false` when the link was spent or expired meanwhile (of two racing resets with
/// one link, exactly one wins).
pub async fn redeem(
    db: &Database,
    token: &str,
    user_id: &UserId,
    password_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let spent = sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND user_id = $3 \
         AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(hash_token(token))
    .bind(user_id.to_string())
    .execute(&mut *tx)
    .await?;
    if spent.rows_affected() != 1 {
        return Ok(false);
    }
    repo::update_password(&mut *tx, user_id, password_hash).await?;
    sqlx::query("DELETE FROM account_sessions WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}
