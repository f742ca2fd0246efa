//! Builds the application from settings: database, sessions, router, listener. Tests call
//! `Application::build` with a random port and a fresh database, exactly as `main` does.

use axum::{
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
    serve::ListenerExt,
    Router,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_sessions::ExpiredDeletion;

use super::{
    accounts::{breached::BreachedPasswords, device::DeviceKey, password_hash::PasswordHasher},
    analyses::{claim, downloads, expiry, history, upload},
    config::Settings,
    db::{Database, DbError},
    health,
    jobs::{self, JobSignal},
    listener::{self, BoundedListener},
    mail::Mailer,
    middleware::{
        host::require_public_host, origin::require_same_origin, request_span::trace_request,
        security_headers::set_security_headers, session_keepalive::keep_session_alive,
    },
    sessions::SessionBackend,
    state::{AppState, Throttles},
    storage::{Storage, StorageError},
};
use crate::{
    app::{shell, App},
    error::AppError,
};

const EXPIRED_SESSION_SWEEP: Duration = Duration::from_secs(3600);
/// Emails being prepared and sent at once (each holds one SMTP connection).
const MAIL_SLOTS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("password hasher: {0}")]
    Hasher(AppError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("the breached-password list {path}: {source} (run `make setup`, or scripts/fetch-password-list)")]
    BreachedPasswords {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("smtp_url: {0}")]
    Mailer(&'static str),
    #[error("finishing interrupted claims: {0}")]
    Claims(AppError),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    /// Tells the analysis workers to stop (after the HTTP side has drained).
    shutdown: tokio::sync::watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    connections_per_client: u32,
}

impl Application {
    pub async fn build(mut settings: Settings) -> Result<Self, StartupError> {
        let db = Database::connect(&settings.database_url).await?;
        db.migrate().await?;
        let sessions = SessionBackend::connect(&settings.database_url).await?;
        tokio::spawn(
            sessions
                .clone()
                .continuously_delete_expired(EXPIRED_SESSION_SWEEP),
        );

        let requested = settings.site_addr();
        let listener = TcpListener::bind(requested)
            .await
            .map_err(|source| StartupError::Bind {
                addr: requested,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: requested,
            source,
        })?;

        // Behind proxies of ours every connection comes from a proxy, so a per-address cap
        // would throttle everyone together; the proxy bounds its clients' connections.
        let connections_per_client = match settings.trusted_proxies.any() {
            false => listener::MAX_CONNECTIONS_PER_CLIENT,
            true => u32::MAX,
        };
        let breached_passwords =
            BreachedPasswords::open(&settings.breached_passwords).map_err(|source| {
                StartupError::BreachedPasswords {
                    path: settings.breached_passwords.clone(),
                    source,
                }
            })?;
        // From here on the settings name the address actually bound (a test asks for port 0).
        settings.leptos.site_addr = addr;
        warn_without_public_url(&settings);
        let leptos_options = settings.leptos.clone();
        let mailer = match &settings.smtp_url {
            Some(url) => {
                Some(Mailer::new(url, settings.mail_from.clone()).map_err(StartupError::Mailer)?)
            }
            None => None,
        };
        let state = AppState {
            leptos_options,
            throttles: Arc::new(Throttles::new(&settings)),
            hasher: PasswordHasher::new().await.map_err(StartupError::Hasher)?,
            breached_passwords,
            device_key: DeviceKey::load_or_create(&db)
                .await
                .map_err(DbError::from)?,
            storage: Storage::local(&settings.data_dir)?,
            jobs: JobSignal::default(),
            upload_slots: Arc::new(tokio::sync::Semaphore::new(settings.concurrent_uploads)),
            mailer,
            mail_slots: Arc::new(tokio::sync::Semaphore::new(MAIL_SLOTS)),
            settings: Arc::new(settings),
            db,
        };
        // A claim interrupted by a crash finishes before anyone can ask for its files.
        claim::finish_interrupted_moves(&state)
            .await
            .map_err(StartupError::Claims)?;
        let (shutdown, stop_workers) = tokio::sync::watch::channel(false);
        let workers = jobs::spawn_pool(state.clone(), state.jobs.clone(), stop_workers).await;
        expiry::spawn_sweeper(state.clone());
        let router = router(state, sessions);
        Ok(Self {
            listener,
            router,
            addr,
            shutdown,
            workers,
            connections_per_client,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // `tap_io` only to get axum's ConnectInfo<SocketAddr> for a listener of our own.
        let listener = BoundedListener::with_limits(
            self.listener,
            listener::MAX_CONNECTIONS,
            self.connections_per_client,
            listener::IDLE_TIMEOUT,
        )
        .tap_io(|_| {});
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        // HTTP is drained; running analyses get the grace period, then go back to the queue.
        let _ = self.shutdown.send(true);
        let wait = jobs::worker::SHUTDOWN_GRACE + Duration::from_secs(5);
        let _ = tokio::time::timeout(wait, futures_util::future::join_all(self.workers)).await;
        tracing::info!("workers stopped");
        Ok(())
    }
}

fn router(state: AppState, sessions: SessionBackend) -> Router {
    let routes = generate_route_list(App);
    let session_layer = sessions.layer(&state.settings);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/api/analyses",
            // The handler streams and counts the body itself.
            post(upload::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/analyses/{id}/video", get(downloads::video))
        .route("/api/history.csv", get(history::export_csv))
        .route(
            "/api/analyses/{id}/frames/{file}",
            get(downloads::key_frame),
        )
        .route(
            "/api/analyses/{id}/result.json",
            get(downloads::result_json),
        )
        .route("/api/analyses/{id}/result.csv", get(downloads::result_csv))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(keep_session_alive))
        .layer(session_layer)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_same_origin,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_public_host,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            set_security_headers,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), trace_request))
        .with_state(state)
}

/// Listening beyond loopback with no public URL: the server answers only for its own address,
/// which is rarely the name people type.
fn warn_without_public_url(settings: &Settings) {
    if settings.public_url.is_none() && !settings.site_addr().ip().is_loopback() {
        tracing::warn!(
            public_url = %settings.public_url(),
            "listening on {} without AIRTIME_PUBLIC_URL: requests for any other host are \
             refused, and cookies are not Secure; set it to the address people use",
            settings.site_addr()
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
