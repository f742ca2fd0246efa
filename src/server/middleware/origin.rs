//! Refuses state-changing requests that another site made the browser send (CSRF). Server
//! functions have no CSRF protection of their own, and SameSite=Lax covers them only by accident.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn require_same_origin(req: Request, next: Next) -> Response {
    if is_safe(req.method()) || is_same_origin(req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(
        event = "cross_origin_rejected",
        "state-changing request from another origin"
    );
    (
        StatusCode::FORBIDDEN,
        "This request did not come from an Airtime page, so it was refused. Reload Airtime and try again.",
    )
        .into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Browsers send Origin on every cross-origin and same-origin POST; Referer is the fallback for
/// old clients. A request with neither is refused: it cannot prove where it came from.
fn is_same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    source
        .and_then(authority_of)
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

fn authority_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    rest.split(['/', '?', '#']).next().filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_passes_and_other_origins_do_not() {
        let host = (header::HOST, "127.0.0.1:3000");
        assert!(is_same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://evil.example")
        ])));
        assert!(!is_same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "null")
        ])));
        assert!(!is_same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:3000.evil.example")
        ])));
        assert!(is_same_origin(&headers(&[
            host.clone(),
            (header::REFERER, "http://127.0.0.1:3000/signin")
        ])));
        assert!(
            !is_same_origin(&headers(&[host])),
            "no Origin and no Referer"
        );
    }
}
