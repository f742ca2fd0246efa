//! Answers only for the public URL's host: a page fetched under another name (DNS rebinding:
//! an attacker's name resolved to this server) would otherwise be same-origin with the
//! attacker's scripts. A GET under another name is sent to the public URL, which also helps
//! whoever typed `localhost` for `127.0.0.1`; anything else is refused with 421. Health checks
//! answer under any name, as load balancers probe by address.

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

use crate::server::state::AppState;

pub async fn require_public_host(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let public = state.settings.public_url();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let path = req.uri().path();
    if host.is_some_and(|h| public.is_host(h)) || matches!(path, "/healthz" | "/readyz") {
        return next.run(req).await;
    }
    tracing::warn!(
        event = "wrong_host",
        host = host.unwrap_or(""),
        "request for another host"
    );
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
        return Redirect::permanent(&format!("{public}{target}")).into_response();
    }
    (
        StatusCode::MISDIRECTED_REQUEST,
        format!("This server answers at {public}; open Airtime there and try again."),
    )
        .into_response()
}
