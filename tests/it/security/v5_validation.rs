//! V5 Validation and encoding: what comes back in a URL is never shown or followed as given.

use super::PASSWORD;
use crate::common::{postgres_available, Backend, TestApp};

on_both_backends!(
    v5_1_5_form_errors_redirect_only_to_paths_of_this_site,
    v5_3_1_errors_read_from_a_url_show_only_fixed_sentences,
);

/// ASVS 4.0 V5.1.5: without JavaScript a failed form goes back to the page it came from, and
/// that is always a path of this site, whatever the Referer says.
async fn v5_1_5_form_errors_redirect_only_to_paths_of_this_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (referer, expected) in [
        (format!("{}/signin", app.base), "/signin?error="),
        (
            format!("{}//evil.example/x", app.base),
            "/evil.example/x?error=",
        ),
        (
            format!("{}/\\evil.example", app.base),
            "/evil.example?error=",
        ),
    ] {
        let response = app
            .client()
            .post(format!("{}/api/sign_in", app.base))
            .header("accept", "text/html")
            .header("referer", &referer)
            .form(&[("email", "not-an-email"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "{referer}: {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(expected), "{referer} -> {location}");
    }
}

/// ASVS 4.0 V5.3.1: an error in the address (after a form posted without JavaScript) is shown
/// as a fixed sentence for its code and field, never as the text the address carries.
async fn v5_3_1_errors_read_from_a_url_show_only_fixed_sentences(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spoof = r#"{"code":"invalid_input","field":"email","message":"Call 555-0100 to unlock"}"#;
    let page = app
        .client()
        .get(format!("{}/signin", app.base))
        .query(&[("error", spoof)])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("555-0100"), "the spoofed text is shown");
    assert!(
        html.contains("Enter a valid email address"),
        "the fixed sentence is shown"
    );
}
