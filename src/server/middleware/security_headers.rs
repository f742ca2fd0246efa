//! Headers every response carries, set in one place: no framing, no MIME sniffing, no
//! referrer to other sites, the camera for this origin only, no caching of pages and API
//! answers (they carry personal data), HSTS where the site is served over https, and a
//! sandbox for the files users uploaded.
//!
//! Pages get their policy from the shell as they render (`page_policy`), because only the
//! render knows the nonce leptos_axum gave that response's inline scripts; this layer keeps it
//! and gives every other response a policy that allows nothing to run.

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

/// Anything that is not a rendered page (API answers, redirects, errors): nothing may run.
const OTHER_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
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
    if route.as_deref().is_some_and(is_user_file) {
        set(headers, CONTENT_SECURITY_POLICY, FILE_POLICY);
    } else if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        set(headers, CONTENT_SECURITY_POLICY, OTHER_POLICY);
    }
    if state.settings.public_url().is_https() {
        set(headers, STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // Static assets may be cached; everything routed is personal or changes per request.
    if !is_static && !headers.contains_key(CACHE_CONTROL) {
        set(headers, CACHE_CONTROL, "no-store");
    }
    response
}

/// A rendered page's policy: scripts only from this site or inline with this response's
/// nonce (Leptos' hydration and resource scripts), WebAssembly compiled from them, no plugins,
/// no `<base>`, no framing, forms posting only here. Inline styles stay allowed: the progress
/// bar sets its width with a style attribute, and styles cannot run code.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self'"
    )
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
