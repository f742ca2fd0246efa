//! The structured logs of a sign-up, a sign-in and an analysis carry the domain events and
//! request fields, and never the password, the session cookie or the uploaded file's name.

mod common;

use airtime::server::{config::LogFormat, telemetry};
use common::{session_cookie, unique_email, Backend, TestApp};
use std::{
    io::Write,
    sync::{Arc, Mutex},
};

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

/// ASVS 4.0 V7.1.1: no credential or session token (here a claim link's token) in the logs.
#[tokio::test(flavor = "multi_thread")]
async fn logs_carry_events_but_no_secrets() {
    let captured = Captured::default();
    let sink = captured.clone();
    telemetry::init(LogFormat::Json, move || sink.clone());

    let app = TestApp::spawn(Backend::Sqlite).await;
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
        .body(common::empty_room_clip())
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

    let logs = captured_text(&captured);
    assert!(!logs.contains(&token), "a claim token reached the logs");
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
