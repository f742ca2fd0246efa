//! Cross-site request forgery: a state-changing request must come from a page of this site,
//! as the public URL names it (scheme, host and port).

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::server::{public_url::PublicUrl, state::AppState};

pub async fn require_same_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if is_safe(req.method()) || is_same_origin(req.headers(), &state.settings.public_url()) {
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
fn is_same_origin(headers: &HeaderMap, site: &PublicUrl) -> bool {
    headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|source| site.is_origin_of(source))
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
    fn only_the_public_origin_passes() {
        let site = PublicUrl::parse("http://127.0.0.1:3000").unwrap();
        let passes =
            |pairs: &[(header::HeaderName, &'static str)]| is_same_origin(&headers(pairs), &site);
        assert!(passes(&[(header::ORIGIN, "http://127.0.0.1:3000")]));
        assert!(passes(&[(header::REFERER, "http://127.0.0.1:3000/signin")]));
        assert!(
            !passes(&[(header::ORIGIN, "https://127.0.0.1:3000")]),
            "another scheme"
        );
        assert!(!passes(&[(header::ORIGIN, "http://evil.example")]));
        assert!(!passes(&[(header::ORIGIN, "null")]));
        assert!(!passes(&[(
            header::ORIGIN,
            "http://127.0.0.1:3000.evil.example"
        )]));
        // The Host header is the client's to write: it proves nothing.
        assert!(!passes(&[
            (header::HOST, "evil.example"),
            (header::ORIGIN, "http://evil.example")
        ]));
        assert!(!passes(&[]), "no Origin and no Referer");
    }
}
