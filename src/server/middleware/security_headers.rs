//! Headers every response carries, set in one place: no framing, no MIME sniffing, no
//! referrer to other sites, the camera for this origin only, no caching of pages and API
//! answers (they carry personal data), HSTS where the site is served over https, and a
//! sandbox for the files users uploaded.
//!
//! Scripts are not restricted here yet: Leptos' inline hydration script needs a per-response
//! nonce first (issue 23).

use axum::{
    extract::{MatchedPath, Request, State},
    http::{
        header::{
            CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
            X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
        },
        HeaderName, HeaderValue,
    },
    middleware::Next,
    response::Response,
};

use crate::server::state::AppState;

const PAGE_POLICY: &str = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; \
    form-action 'self'";
/// Uploaded videos, key frames and exports: nothing in them may run or load anything.
const FILE_POLICY: &str = "default-src 'none'; media-src 'self'; sandbox; frame-ancestors 'none'";
const PERMISSIONS_POLICY: &str = "camera=(self), microphone=(self), geolocation=(), payment=()";
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Routes that send back what a user uploaded or exported.
fn is_user_file(route: &str) -> bool {
    route.starts_with("/api/analyses/{id}/") || route == "/api/history.csv"
}

pub async fn set_security_headers(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let is_static = req.uri().path().starts_with("/pkg/") || route.is_none();
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, X_FRAME_OPTIONS, "DENY");
    set(headers, REFERRER_POLICY, "same-origin");
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    let policy = if route.as_deref().is_some_and(is_user_file) {
        FILE_POLICY
    } else {
        PAGE_POLICY
    };
    set(headers, CONTENT_SECURITY_POLICY, policy);
    if state.settings.public_url().is_https() {
        set(headers, STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // Static assets may be cached; everything routed is personal or changes per request.
    if !is_static && !headers.contains_key(CACHE_CONTROL) {
        set(headers, CACHE_CONTROL, "no-store");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_user_file;

    #[test]
    fn uploaded_and_exported_files_are_sandboxed() {
        assert!(is_user_file("/api/analyses/{id}/video"));
        assert!(is_user_file("/api/analyses/{id}/frames/{file}"));
        assert!(is_user_file("/api/history.csv"));
        assert!(!is_user_file("/api/analyses"));
        assert!(!is_user_file("/analyses/{id}"));
    }
}
