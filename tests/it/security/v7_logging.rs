//! V7 Logging: structured logs carry the domain events and request fields, and never a
//! password, session cookie, bearer token or uploaded file's name; every answer has a request id.

use crate::common::{
    empty_room_clip, postgres_available, session_cookie, smtp_sink::SmtpSink, unique_email,
    Backend, TestApp,
};
use airtime::server::{config::LogFormat, mail::SmtpUrl, telemetry};
use std::{
    io::Write,
    sync::{Arc, Mutex},
};

on_both_backends!(v7_1_4_every_answer_carries_a_request_id);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// ASVS 4.0 V7.1.1 (no credential or session token in the logs: passwords, session cookies,
/// claim and password-reset links), V7.1.3 (security events are logged). The only test of
/// this binary that installs a log subscriber: it is process-wide, so it captures what the
/// other tests log meanwhile too, and none of that may leak either.
#[tokio::test(flavor = "multi_thread")]
async fn v7_1_1_logs_carry_events_but_no_secrets() {
    let captured = Captured::default();
    let sink = captured.clone();
    telemetry::init(LogFormat::Json, move || sink.clone());

    let mail = SmtpSink::start().await;
    let smtp_url = SmtpUrl::parse(&mail.url).unwrap();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.smtp_url = Some(smtp_url)).await;
    let client = app.client();
    let email = unique_email("logs");
    let password = "secret-jump-password-77";
    let signed_up = app.sign_up(&client, &email, password).await;
    let first_cookie = session_cookie(&signed_up).unwrap();
    app.call(&client, "sign_out", &[]).await;
    let signed_in = app.sign_in(&client, &email, password).await;
    let second_cookie = session_cookie(&signed_in).unwrap();
    app.sign_in(&client, &email, "wrong-password-123").await;

    // An analysis, from upload to its (expected) failure: nobody is in the clip.
    let upload = client
        .post(format!("{}/api/analyses?jump_type=cmj", app.base))
        .header(
            "content-disposition",
            "attachment; filename=\"private-athlete-name.mp4\"",
        )
        .body(empty_room_clip())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status().as_u16(), 201);
    let id = upload.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let started = std::time::Instant::now();
    while !captured_text(&captured).contains("\"analysis_failed\"") {
        assert!(started.elapsed().as_secs() < 60, "analysis never ended");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // A claim link is a bearer token: the log names the route, never the token.
    let token = "c1a1".repeat(16);
    client
        .get(format!("{}/claim/{token}", app.base))
        .send()
        .await
        .unwrap();

    // So is a password-reset link.
    app.call(
        &app.client(),
        "request_password_reset",
        &[("email", &email)],
    )
    .await;
    let link = mail
        .nth_to(&email, 1)
        .await
        .link("/reset-password/")
        .unwrap();
    let reset_token = link.rsplit('/').next().unwrap().to_string();
    client.get(&link).send().await.unwrap();

    let logs = captured_text(&captured);
    assert!(!logs.contains(&token), "a claim token reached the logs");
    assert!(
        !logs.contains(&reset_token),
        "a reset token reached the logs"
    );
    assert!(
        logs.contains("/reset-password/{token}"),
        "the reset route is logged"
    );
    assert!(logs.contains("/claim/{token}"), "the claim route is logged");
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    for event in [
        "user_signed_up",
        "user_signed_in",
        "user_signed_out",
        "signin_failed",
        "upload_received",
        "analysis_started",
        "analysis_failed",
        "password_reset_mailed",
    ] {
        assert!(logs.contains(event), "missing {event}:\n{logs}");
    }
    assert!(logs.contains("\"request_id\""), "{logs}");
    assert!(logs.contains("\"latency_ms\""), "{logs}");
    assert!(logs.contains("\"user_id\""), "{logs}");
    assert!(logs.contains(&id), "analysis events carry the analysis id");
    assert!(
        !logs.contains("private-athlete-name"),
        "uploaded file name leaked"
    );
    assert!(!logs.contains(password), "password leaked");
    assert!(!logs.contains("wrong-password-123"), "password leaked");
    for cookie in [first_cookie, second_cookie] {
        let value = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("airtime_session=");
        assert!(!logs.contains(value), "session cookie leaked");
    }
}

fn captured_text(captured: &Captured) -> String {
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

/// ASVS 4.0 V7.1.4: every answer names its request (the caller's id when it sent a sensible
/// one), so a report can be found in the logs.
async fn v7_1_4_every_answer_carries_a_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    let get = |path: &str, id: Option<&str>| {
        let mut request = client.get(format!("{}{path}", app.base));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let health = get("/healthz", None).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.headers()["x-request-id"].len(), 36);
    let ready = get("/readyz", Some("probe-42")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.headers()["x-request-id"], "probe-42");
    let crafted = get("/healthz", Some(&"x".repeat(500))).await.unwrap();
    assert_eq!(
        crafted.headers()["x-request-id"].len(),
        36,
        "a long id is replaced"
    );
    let missing = get("/no-such-page", None).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
}
