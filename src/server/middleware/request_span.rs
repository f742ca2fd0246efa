//! One span per request carrying request_id, method, path, status, latency_ms and user_id,
//! ending with a "request finished" event. Also records who the client is.

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use std::{net::SocketAddr, time::Instant};
use tracing::{field::Empty, Instrument};

use crate::server::{client::ClientInfo, state::AppState};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub async fn trace_request(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_acceptable_request_id(id))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let client = ClientInfo::from_parts(
        req.headers(),
        req.extensions().get::<ConnectInfo<SocketAddr>>(),
        &state.settings.trusted_proxies,
    );
    // The matched route (`/claim/{token}`), never the raw path or query: both can carry
    // bearer tokens. Unrouted requests (static files, 404s) log a bounded raw path.
    let path = match req.extensions().get::<MatchedPath>() {
        Some(route) => route.as_str().to_string(),
        None => req.uri().path().chars().take(120).collect(),
    };
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %path,
        status = Empty,
        latency_ms = Empty,
        user_id = Empty,
    );
    req.extensions_mut().insert(client);

    let mut response = next.run(req).instrument(span.clone()).await;

    let status = response.status().as_u16();
    span.record("status", status);
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!("request finished");
        } else {
            tracing::info!("request finished");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Ids from clients are echoed into logs and headers, so only short, plain ones are kept.
fn is_acceptable_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::is_acceptable_request_id;

    #[test]
    fn request_ids_from_clients_must_be_short_and_plain() {
        assert!(is_acceptable_request_id("3f0c-42_ab.1"));
        assert!(!is_acceptable_request_id(""));
        assert!(!is_acceptable_request_id("a b"));
        assert!(!is_acceptable_request_id(&"a".repeat(65)));
        assert!(!is_acceptable_request_id("id\nforged-log-line"));
    }
}
