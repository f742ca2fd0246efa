//! The application database: one `AnyPool` so queries whose SQL is the same on SQLite and
//! PostgreSQL are written once; `backend` tells the few places where it differs.

use futures_util::future::BoxFuture;
use sqlx::{
    any::{install_default_drivers, AnyPoolOptions},
    error::BoxDynError,
    migrate::{Migration, MigrationSource, MigrationType, Migrator},
    AnyPool, Executor,
};
use std::{borrow::Cow, path::Path, time::Duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported DATABASE_URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// Embedded so the binary carries its schema; sqlx's own `migrate!` would pull its proc-macro
/// crates (and a second build of the drivers) into every build.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts",
        include_str!("../../migrations/0001_accounts.sql"),
    ),
    (
        2,
        "analyses",
        include_str!("../../migrations/0002_analyses.sql"),
    ),
    (
        3,
        "claims",
        include_str!("../../migrations/0003_claims.sql"),
    ),
    (
        4,
        "athletes",
        include_str!("../../migrations/0004_athletes.sql"),
    ),
    (
        5,
        "account_sessions",
        include_str!("../../migrations/0005_account_sessions.sql"),
    ),
    (
        6,
        "server_keys",
        include_str!("../../migrations/0006_server_keys.sql"),
    ),
    (
        7,
        "password_resets",
        include_str!("../../migrations/0007_password_resets.sql"),
    ),
];

/// [`MIGRATIONS`] as a source sqlx's `Migrator` reads through its public API.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

impl Database {
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let backend = Backend::of_url(url).ok_or(DbError::UnsupportedUrl)?;
        if backend == Backend::Sqlite {
            ensure_sqlite_parent_dir(url)?;
        }
        install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; the timeout makes writers wait
                        // for the lock instead of failing with SQLITE_BUSY.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Self { pool, backend })
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        Migrator::new(Embedded).await?.run(&self.pool).await?;
        Ok(())
    }

    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

fn ensure_sqlite_parent_dir(url: &str) -> Result<(), DbError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbError::DataDir(parent.display().to_string(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn every_file_in_migrations_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(version, name, _)| format!("{version:04}_{name}.sql"))
            .collect();
        assert_eq!(files, embedded);
    }
}
