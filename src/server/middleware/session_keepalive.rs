//! Slides the session's inactivity expiry forward. tower-sessions only moves the expiry when the
//! session is saved, so a signed-in session is touched at most once a day on page requests, here,
//! before rendering starts (a write during streaming could not reach the browser).

use axum::{extract::Request, middleware::Next, response::Response};
use tower_sessions::Session;

use crate::server::{
    accounts::service::{SESSION_TOUCHED_AT, SESSION_USER_ID},
    time::unix_now,
};

const TOUCH_EVERY_S: i64 = 24 * 3600;

pub async fn keep_session_alive(session: Session, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/pkg/") {
        return next.run(req).await;
    }
    if let Ok(Some(_)) = session.get::<String>(SESSION_USER_ID).await {
        let touched = session
            .get::<i64>(SESSION_TOUCHED_AT)
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
        let now = unix_now();
        if now - touched >= TOUCH_EVERY_S {
            if let Err(e) = session.insert(SESSION_TOUCHED_AT, now).await {
                tracing::warn!(error = %e, "could not refresh the session");
            }
        }
    }
    next.run(req).await
}
