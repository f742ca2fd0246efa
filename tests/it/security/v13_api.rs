//! V13 API: the JSON and upload endpoints a script can call hold the same line as the pages.

use super::PASSWORD;
use crate::common::{empty_room_clip, postgres_available, unique_email, Backend, TestApp};

on_both_backends!(v13_2_3_api_calls_with_a_session_cookie_need_this_sites_origin);

/// ASVS 4.0 V13.2.3: an API call that carries the user's cookies but comes from another origin
/// (or names none) changes nothing: an upload and a deletion are refused with 403.
async fn v13_2_3_api_calls_with_a_session_cookie_need_this_sites_origin(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let coach = app.client_with_cookies(jar.clone());
    app.sign_up(&coach, &unique_email("api"), PASSWORD).await;
    let id = app.upload_clip(&coach, "cmj").await;

    let forged = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for origin in [Some("https://evil.example"), None] {
        let mut upload = forged
            .post(format!("{}/api/analyses?jump_type=cmj", app.base))
            .header("content-type", "video/mp4")
            // Small: the refusal comes before the body is read, and a large body still being
            // sent would make the server close the connection the next request reuses.
            .body(empty_room_clip()[..1024].to_vec());
        let mut delete = forged
            .post(format!("{}/api/delete_analysis", app.base))
            .form(&[("id", id.as_str())]);
        if let Some(origin) = origin {
            upload = upload.header("origin", origin);
            delete = delete.header("origin", origin);
        }
        assert_eq!(upload.send().await.unwrap().status(), 403, "{origin:?}");
        assert_eq!(delete.send().await.unwrap().status(), 403, "{origin:?}");
    }
    assert_eq!(
        app.count("analyses").await,
        1,
        "nothing was added or deleted"
    );
}
