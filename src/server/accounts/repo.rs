//! SQL for the `users` table (the same text on SQLite and PostgreSQL).

use sqlx::{any::AnyRow, Row};

use crate::{
    domain::{email::EmailAddress, ids::UserId},
    server::{db::Database, time::unix_now},
};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: EmailAddress,
    pub password_hash: String,
    pub session_epoch: i64,
}

impl UserRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get::<String, _>("id")?.into(),
            email: EmailAddress::from_stored(row.try_get("email")?),
            password_hash: row.try_get("password_hash")?,
            session_epoch: row.try_get("session_epoch")?,
        })
    }
}

pub enum InsertOutcome {
    Created,
    EmailTaken,
}

pub async fn find_by_email(
    db: &Database,
    email: &EmailAddress,
) -> Result<Option<UserRecord>, sqlx::Error> {
    find_one(db, "email", email.as_str()).await
}

pub async fn find_by_id(db: &Database, id: &UserId) -> Result<Option<UserRecord>, sqlx::Error> {
    find_one(db, "id", id.as_str()).await
}

/// `column` is always one of our literals, never user input.
async fn find_one(
    db: &Database,
    column: &'static str,
    value: &str,
) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT id, email, password_hash, session_epoch FROM users WHERE {column} = $1"
    ))
    .bind(value.to_string())
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(UserRecord::from_row)
    .transpose()
}

pub async fn insert(
    db: &Database,
    id: &UserId,
    email: &EmailAddress,
    password_hash: &str,
) -> Result<InsertOutcome, sqlx::Error> {
    let now = unix_now();
    let result = sqlx::query(
        "INSERT INTO users (id, email, password_hash, session_epoch, created_at, updated_at) \
         VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind(id.to_string())
    .bind(email.to_string())
    .bind(password_hash.to_string())
    .bind(now)
    .bind(now)
    .execute(&db.pool)
    .await;
    match result {
        Ok(_) => Ok(InsertOutcome::Created),
        // Two sign-ups racing for one email: the database decides, the loser hears "taken".
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(InsertOutcome::EmailTaken),
        Err(e) => Err(e),
    }
}

/// Stores the new hash and bumps the session epoch; returns the new epoch. On the pool, or
/// inside a caller's transaction (a password reset).
pub async fn update_password<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: &UserId,
    password_hash: &str,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1, updated_at = $2 \
         WHERE id = $3 RETURNING session_epoch",
    )
    .bind(password_hash.to_string())
    .bind(unix_now())
    .bind(id.to_string())
    .fetch_one(db)
    .await?;
    row.try_get("session_epoch")
}

pub async fn delete(db: &Database, id: &UserId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}
