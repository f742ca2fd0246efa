//! Builds the application from settings: database, sessions, router, listener. Tests call
//! `Application::build` with a random port and a fresh database, exactly as `main` does.

use axum::{middleware, routing::get, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_sessions::ExpiredDeletion;

use super::{
    accounts::password_hash::PasswordHasher,
    config::Settings,
    db::{Database, DbError},
    health,
    middleware::{
        origin::require_same_origin, request_span::trace_request,
        session_keepalive::keep_session_alive,
    },
    sessions::SessionBackend,
    state::{AppState, Throttles},
};
use crate::{
    app::{shell, App},
    error::AppError,
};

const EXPIRED_SESSION_SWEEP: Duration = Duration::from_secs(3600);

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
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
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

        let mut leptos_options = settings.leptos.clone();
        leptos_options.site_addr = addr;
        let state = AppState {
            leptos_options,
            throttles: Arc::new(Throttles::new(&settings)),
            hasher: PasswordHasher::new().await.map_err(StartupError::Hasher)?,
            settings: Arc::new(settings),
            db,
        };
        let router = router(state, sessions);
        Ok(Self {
            listener,
            router,
            addr,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

fn router(state: AppState, sessions: SessionBackend) -> Router {
    let routes = generate_route_list(App);
    let session_layer = sessions.layer(&state.settings);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(keep_session_alive))
        .layer(session_layer)
        .layer(middleware::from_fn(require_same_origin))
        .layer(middleware::from_fn_with_state(state.clone(), trace_request))
        .with_state(state)
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
