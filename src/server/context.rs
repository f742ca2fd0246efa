//! What server functions reach through leptos' context: the app state, the session, the client,
//! and `finish`, which turns an `AppError` into the response's status (and, for forms posted
//! without JavaScript, into a redirect back to the form carrying the error).

use axum::{
    http::{
        header::{ACCEPT, REFERER, RETRY_AFTER},
        HeaderMap, HeaderValue, StatusCode,
    },
    Extension,
};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use super::{client::ClientInfo, state::AppState};
use crate::error::AppError;

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = ?e, "session layer missing");
        AppError::Internal
    })
}

pub async fn client() -> Result<ClientInfo, AppError> {
    leptos_axum::extract::<Extension<ClientInfo>>()
        .await
        .map(|Extension(client)| client)
        .map_err(|_| AppError::Internal)
}

/// Adds a header to the response of the server function being run (none outside one).
pub fn append_response_header(name: axum::http::HeaderName, value: axum::http::HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(name, value);
    }
}

/// Call last in every server function that changes state.
pub async fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let Err(error) = result else {
        return result;
    };
    let Some(response) = use_context::<ResponseOptions>() else {
        return Err(error);
    };
    let headers = leptos_axum::extract::<HeaderMap>()
        .await
        .unwrap_or_default();
    if let Some(back) = plain_form_referer(&headers) {
        // Without JavaScript the browser shows whatever this response leads to; send it back to
        // the form with the error so the page can say what went wrong.
        let json = serde_json::to_string(&error).unwrap_or_default();
        leptos_axum::redirect(&format!("{back}?error={}", percent_encode(&json)));
        return Err(error);
    }
    set_status(&response, &error);
    Err(error)
}

/// For server functions that only read: the error's status (a page rendering another user's
/// analysis answers 404), without `finish`'s redirect back to a form.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let (Err(error), Some(response)) = (&result, use_context::<ResponseOptions>()) {
        set_status(&response, error);
    }
    result
}

fn set_status(response: &ResponseOptions, error: &AppError) {
    response.set_status(
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if let Some(retry_after_s) = error.retry_after_s() {
        response.insert_header(RETRY_AFTER, HeaderValue::from(retry_after_s));
    }
}

/// The referring page's path when the request is a plain HTML form post (no JavaScript).
fn plain_form_referer(headers: &HeaderMap) -> Option<String> {
    let accepts_html = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !accepts_html {
        return None;
    }
    let referer = headers.get(REFERER)?.to_str().ok()?;
    let after_scheme = referer.split_once("://").map_or(referer, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("/");
    // One leading slash: `//evil.example/…` would send the browser to another site.
    Some(format!("/{}", path.trim_start_matches(['/', '\\'])))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(error = %error, "database error");
        AppError::Internal
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        tracing::error!(error = %error, "session store error");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_form_posts_go_back_to_the_referring_path() {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml"),
        );
        headers.insert(
            REFERER,
            HeaderValue::from_static("http://127.0.0.1:3000/signin?error=x#top"),
        );
        assert_eq!(plain_form_referer(&headers).as_deref(), Some("/signin"));
        headers.insert(
            REFERER,
            HeaderValue::from_static("http://127.0.0.1:3000//evil.example/x"),
        );
        assert_eq!(
            plain_form_referer(&headers).as_deref(),
            Some("/evil.example/x"),
            "never protocol-relative"
        );
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        assert_eq!(plain_form_referer(&headers), None);
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode(r#"{"a":1} é"#), "%7B%22a%22%3A1%7D%20%C3%A9");
    }
}
