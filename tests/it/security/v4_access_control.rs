//! V4 Access control: one account cannot reach another's things; no cross-site requests.
//! (Analyses and athletes have their own owner checks in `analyses.rs` and `athletes.rs`.)

use super::{v3_sessions::devices_seen_by, PASSWORD};
use crate::common::{postgres_available, unique_email, Backend, TestApp};

on_both_backends!(
    v4_2_1_one_account_cannot_end_another_accounts_sessions,
    v4_2_2_cross_site_requests_are_refused,
);

/// ASVS 4.0 V4.2.1: a session id of another account is "not found", never ended.
async fn v4_2_1_one_account_cannot_end_another_accounts_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let coach = app.client();
    let email = unique_email("owner");
    app.sign_up(&coach, &email, PASSWORD).await;
    let coach_session = devices_seen_by(&app, &coach).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let stranger = app.client();
    app.sign_up(&stranger, &unique_email("stranger"), PASSWORD)
        .await;
    let theirs = app
        .call(&stranger, "end_session", &[("id", &coach_session)])
        .await;
    assert_eq!(theirs.status(), 404);
    let guest = app
        .call(&app.client(), "end_session", &[("id", &coach_session)])
        .await;
    assert_eq!(guest.status(), 401);
    assert_eq!(app.current_email(&coach).await, Some(email));
}

/// ASVS 4.0 V4.2.2: state-changing requests from another origin, or from none, are refused.
async fn v4_2_2_cross_site_requests_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = [
        ("email", "x@example.com"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    let url = format!("{}/api/sign_up", app.base);
    let evil = reqwest::Client::new()
        .post(&url)
        .header("origin", "http://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    let anonymous = reqwest::Client::new()
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403, "no Origin and no Referer");
    let page = reqwest::get(format!("{}/signin", app.base)).await.unwrap();
    assert_eq!(page.status(), 200, "reads are not affected");
}
