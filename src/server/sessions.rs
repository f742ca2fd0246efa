//! Server-side sessions in the application database, with a cookie that carries only the id.

use async_trait::async_trait;
use sqlx::{
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
};
use std::{str::FromStr, time::Duration};
use tower_sessions::{
    cookie::{time, SameSite},
    session::{Id, Record},
    session_store::{self, ExpiredDeletion, SessionStore},
    Expiry, SessionManagerLayer,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{
    config::Settings,
    db::{Backend, DbError},
};

pub const COOKIE_NAME: &str = "airtime_session";
/// Over https: the `__Host-` prefix makes browsers refuse the cookie unless it is Secure, for
/// the whole site and set by this host alone (no sibling subdomain can plant or shadow it).
pub const SECURE_COOKIE_NAME: &str = "__Host-airtime_session";

/// The store matching the configured database, so sessions live beside the accounts.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let store = match Backend::of_url(url).ok_or(DbError::UnsupportedUrl)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await?;
                let store = SqliteStore::new(pool);
                store.migrate().await?;
                Self::Sqlite(store)
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
                let store = PostgresStore::new(pool);
                store.migrate().await?;
                Self::Postgres(store)
            }
        };
        Ok(store)
    }

    pub fn layer(&self, settings: &Settings) -> SessionManagerLayer<Self> {
        SessionManagerLayer::new(self.clone())
            .with_name(if settings.cookie_secure {
                SECURE_COOKIE_NAME
            } else {
                COOKIE_NAME
            })
            .with_http_only(true)
            // Lax, not the default Strict: Strict drops the cookie when a coach follows a link
            // to Airtime from e-mail or chat.
            .with_same_site(SameSite::Lax)
            .with_secure(settings.cookie_secure)
            .with_expiry(Expiry::OnInactivity(time::Duration::days(
                settings.session_inactivity_days,
            )))
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete_expired().await,
            Self::Postgres(store) => store.delete_expired().await,
        }
    }
}
