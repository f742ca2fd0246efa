//! Uploads, jobs, ownership, limits and expiry over HTTP against the real app (real ffprobe,
//! real pose model, real workers), on SQLite always and on PostgreSQL when it answers.

mod fuzzed;
mod hostile;
mod killed;

use crate::clips;
use crate::common::{
    empty_room_clip, error_code, generated_clip, postgres_available, unique_email, Backend, TestApp,
};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sqlx::Row;
use std::{
    path::Path,
    time::{Duration, Instant},
};

on_both_backends!(
    bad_files_are_refused_and_leave_nothing_behind,
    uploads_over_the_size_limit_get_413,
    only_the_owner_can_see_an_analysis,
    guests_wait_for_their_analysis_and_are_rate_limited,
    a_clip_without_an_athlete_fails_with_a_clear_reason,
    a_job_whose_worker_died_is_picked_up_again,
    a_job_that_keeps_crashing_ends_as_failed,
    cancel_and_delete,
    expired_guest_analyses_are_swept,
    a_real_jump_is_measured_end_to_end,
);

const PASSWORD: &str = "jump-higher-2026";

async fn progress(app: &TestApp, client: &Client, id: &str) -> Response {
    app.call(client, "analysis_progress", &[("id", id)]).await
}

/// Polls until the analysis leaves the queue; returns its progress JSON.
async fn wait_until_settled(app: &TestApp, client: &Client, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let response = progress(app, client, id).await;
        assert_eq!(response.status(), StatusCode::OK);
        let json: Value = response.json().await.unwrap();
        if !matches!(json["status"].as_str(), Some("queued" | "running")) {
            return json;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "analysis {id} still {json} after 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn objects_under(app: &TestApp, prefix: &str) -> usize {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        count(&path)
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    count(&app.data_dir.join("objects").join(prefix))
}

fn temp_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("tmp")).map_or(0, |d| d.count())
}

async fn bad_files_are_refused_and_leave_nothing_behind(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let client = app.client();

    let text = "this is not a video\n".repeat(200).into_bytes();
    let mut real = empty_room_clip();
    real.truncate(real.len() / 3);
    let huge = std::fs::read(generated_clip(
        "huge.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:size=4400x240:rate=5:duration=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    ))
    .unwrap();
    for (what, body, needle) in [
        (
            "text renamed .mp4",
            text,
            "couldn't read this file as a video",
        ),
        ("truncated mp4", real, "video"),
        ("zero bytes", Vec::new(), "empty"),
        ("over 4K", huge, "4400×240"),
    ] {
        let response = app.upload(&client, body, "cmj").await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}"
        );
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["code"], "bad_video", "{what}: {json}");
        let message = json["message"].as_str().unwrap();
        assert!(message.contains(needle), "{what}: {message}");
    }

    let response = app.upload(&client, empty_room_clip(), "hop").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["field"], "jump_type", "{json}");

    assert_eq!(app.count("analyses").await, 0);
    assert_eq!(objects_under(&app, ""), 0, "no stored files");
    assert_eq!(temp_files(&app), 0, "no temporary files");

    // The upload passes the same origin check as the server functions.
    let response = reqwest::Client::new()
        .post(format!("{}/api/analyses?jump_type=cmj", app.base))
        .header("origin", "http://evil.example")
        .body(empty_room_clip())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn uploads_over_the_size_limit_get_413(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 0;
        s.max_upload_mb = 1;
    })
    .await;
    let client = app.client();
    let response = app.upload(&client, vec![0u8; 1_200_000], "cmj").await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["code"], "upload_too_large");
    assert!(json["message"].as_str().unwrap().contains("1 MB"), "{json}");
    assert_eq!(app.count("analyses").await, 0);
    assert_eq!(temp_files(&app), 0);

    // A body without Content-Length is counted as it streams.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..12).map(|_| Ok(vec![0u8; 100_000])).collect();
    let response = client
        .post(format!("{}/api/analyses?jump_type=cmj", app.base))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // An upload the client abandons halfway leaves nothing behind either.
    use tokio::io::AsyncWriteExt;
    let address = app.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/analyses?jump_type=cmj HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\n\
         Content-Type: video/mp4\r\nContent-Length: 900000\r\n\r\n",
        app.base
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&empty_room_clip()[..2000]).await.unwrap();
    drop(socket);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.count("analyses").await, 0);
    assert_eq!(temp_files(&app), 0, "the partial upload was removed");
    assert_eq!(objects_under(&app, ""), 0);
}

/// ASVS 4.0 V4.2.1: another guest, another account or nobody gets "not found" for every
/// route of an analysis (ids cannot be probed).
async fn only_the_owner_can_see_an_analysis(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let owner = app.client();
    let id = app.upload_clip(&owner, "cmj").await;
    assert_eq!(objects_under(&app, &format!("anonymous/{id}")), 1);
    assert_eq!(progress(&app, &owner, &id).await.status(), StatusCode::OK);
    let video = owner
        .get(format!("{}/api/analyses/{id}/video", app.base))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(video.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(video.headers()["content-type"], "video/mp4");
    assert_eq!(video.bytes().await.unwrap().len(), 100);

    let other_guest = app.client();
    let _ = app.upload(&other_guest, Vec::new(), "cmj").await;
    let other_user = app.client();
    app.sign_up(&other_user, &unique_email("other"), PASSWORD)
        .await;
    for stranger in [&other_guest, &other_user, &app.client()] {
        let response = progress(&app, stranger, &id).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(error_code(response).await, "not_found");
        for path in ["video", "result.json", "result.csv", "frames/takeoff.png"] {
            let response = stranger
                .get(format!("{}/api/analyses/{id}/{path}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let response = app.call(stranger, "delete_analysis", &[("id", &id)]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let page = stranger
            .get(format!("{}/analyses/{id}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(page.text().await.unwrap().contains("Analysis not found"));
    }
    let response = progress(&app, &owner, "not-a-uuid").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A signed-in coach's uploads are stored under their account.
    let coach = app.client();
    app.sign_up(&coach, &unique_email("coach"), PASSWORD).await;
    let id = app.upload_clip(&coach, "cmj").await;
    let pool = app.pool().await;
    let row = sqlx::query(
        "SELECT user_id, guest_id, storage_prefix, expires_at FROM analyses WHERE id = $1",
    )
    .bind(id.clone())
    .fetch_one(&pool)
    .await
    .unwrap();
    let user_id: String = row.get("user_id");
    assert!(row.get::<Option<String>, _>("guest_id").is_none());
    assert!(
        row.get::<Option<i64>, _>("expires_at").is_none(),
        "accounts' analyses do not expire"
    );
    assert_eq!(
        row.get::<String, _>("storage_prefix"),
        format!("users/{user_id}/{id}")
    );
    pool.close().await;
    let page = coach
        .get(format!("{}/analyses/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(!page.text().await.unwrap().contains("As a guest"));
}

async fn guests_wait_for_their_analysis_and_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 0;
        s.guest_uploads_per_ip_per_hour = 3;
    })
    .await;
    let guest = app.client();
    let _ = app.upload_clip(&guest, "cmj").await;
    let response = app.upload(&guest, empty_room_clip(), "cmj").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await, "analysis_busy");

    // Another guest on the same IP: one more upload (the refused one counted too), then
    // the hourly limit.
    let second = app.client();
    let _ = app.upload_clip(&second, "cmj").await;
    let third = app.client();
    let response = app.upload(&third, empty_room_clip(), "cmj").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["code"], "too_many_uploads");
    assert!(
        json["message"].as_str().unwrap().contains("Try again in"),
        "{json}"
    );
}

async fn a_clip_without_an_athlete_fails_with_a_clear_reason(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 1).await;
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    let settled = wait_until_settled(&app, &guest, &id).await;
    assert_eq!(settled["status"], "failed", "{settled}");
    let message = settled["error"].as_str().unwrap();
    assert!(message.contains("no athlete found"), "{message}");
    let page = app.get_text(&guest, &format!("/analyses/{id}")).await;
    assert!(
        page.contains("no athlete found"),
        "results page shows the reason"
    );
    assert!(
        page.contains("As a guest"),
        "results page tells a guest about expiry"
    );
    assert_eq!(
        closed_job_row(&app, &id).await,
        ("failed".to_string(), 1),
        "the user's clip is not retried"
    );
    // The guest may upload again once the analysis is over.
    assert_eq!(
        app.upload(&guest, empty_room_clip(), "cmj").await.status(),
        StatusCode::CREATED
    );
}

/// Marks the analysis' job as held by a worker that died long ago (its lease long over).
async fn orphan_job(app: &TestApp, id: &str, attempts: i64) {
    app.execute(
        &format!(
            "UPDATE jobs SET state = 'running', attempts = {attempts}, \
             locked_by = 'dead-process/0', locked_until = 1 WHERE analysis_id = $1"
        ),
        id,
    )
    .await;
    app.execute(
        "UPDATE analyses SET status = 'running', stage = 'tracking', progress = 0.4 WHERE id = $1",
        id,
    )
    .await;
}

/// The job row once the worker has closed it: the worker records the analysis's outcome
/// first and closes the job after it (a crash in between is recovered from the analysis), so
/// a settled analysis can be seen a moment before its job is closed.
async fn closed_job_row(app: &TestApp, id: &str) -> (String, i64) {
    for _ in 0..100 {
        let row = job_row(app, id).await;
        if row.0 != "queued" && row.0 != "running" {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    job_row(app, id).await
}

async fn job_row(app: &TestApp, id: &str) -> (String, i64) {
    let row = app
        .row(
            "SELECT state, attempts FROM jobs WHERE analysis_id = $1",
            id,
        )
        .await;
    (row.get("state"), row.get("attempts"))
}

async fn a_job_whose_worker_died_is_picked_up_again(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let guest = app.client_with_cookies(cookies.clone());
    let id = app.upload_clip(&guest, "cmj").await;
    orphan_job(&app, &id, 1).await;
    let app = app.restart_with(|s| s.analysis_workers = 1).await;
    let guest = app.client_with_cookies(cookies);
    let settled = wait_until_settled(&app, &guest, &id).await;
    assert_eq!(settled["status"], "failed", "{settled}");
    assert!(settled["error"]
        .as_str()
        .unwrap()
        .contains("no athlete found"));
    assert_eq!(closed_job_row(&app, &id).await, ("failed".to_string(), 2));
}

async fn a_job_that_keeps_crashing_ends_as_failed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let guest = app.client_with_cookies(cookies.clone());
    let id = app.upload_clip(&guest, "cmj").await;
    orphan_job(&app, &id, 3).await;
    let app = app.restart_with(|s| s.analysis_workers = 1).await;
    let guest = app.client_with_cookies(cookies);
    let settled = wait_until_settled(&app, &guest, &id).await;
    assert_eq!(settled["status"], "failed", "{settled}");
    assert!(
        settled["error"]
            .as_str()
            .unwrap()
            .contains("problem on our side"),
        "{settled}"
    );
    assert_eq!(closed_job_row(&app, &id).await.0, "failed");
}

async fn cancel_and_delete(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    let response = app.call(&guest, "cancel_analysis", &[("id", &id)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["status"], "cancelled");
    assert_eq!(job_row(&app, &id).await.0, "cancelled");

    let response = app.call(&guest, "delete_analysis", &[("id", &id)]).await;
    assert!(response.status().is_success() || response.status().is_redirection());
    assert_eq!(
        progress(&app, &guest, &id).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(objects_under(&app, &format!("anonymous/{id}")), 0);
    assert_eq!(app.count("analyses").await, 0);
    let events: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert!(
        events.contains(&"analysis_uploaded".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"analysis_deleted".to_string()),
        "{events:?}"
    );
}

async fn expired_guest_analyses_are_swept(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 0;
        s.expiry_sweep_interval = Duration::from_millis(300);
    })
    .await;
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    assert_eq!(objects_under(&app, &format!("anonymous/{id}")), 1);
    app.execute("UPDATE analyses SET expires_at = 1 WHERE id = $1", &id)
        .await;
    assert_eq!(
        progress(&app, &guest, &id).await.status(),
        StatusCode::NOT_FOUND
    );
    let started = Instant::now();
    while app.count("analyses").await > 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "not swept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(objects_under(&app, &format!("anonymous/{id}")), 0);
}

async fn a_real_jump_is_measured_end_to_end(backend: Backend) {
    let Some(dir) = clips::videos_or_skip("the real-clip upload") else {
        return;
    };
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 1).await;
    let coach = app.client();
    let clip = std::fs::read(dir.join("evan_cmj_front.mp4")).unwrap();
    let response = app.upload(&coach, clip, "cmj").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let settled = wait_until_settled(&app, &coach, &id).await;
    assert_eq!(settled["status"], "done", "{settled}");
    assert_eq!(settled["fraction"], 1.0);

    let json: Value = coach
        .get(format!("{}/api/analyses/{id}/result.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let height = json["metrics"]["jump_height_m"].as_f64().unwrap();
    assert!((0.05..0.8).contains(&height), "{height}");
    let csv = app
        .get_text(&coach, &format!("/api/analyses/{id}/result.csv"))
        .await;
    assert!(csv.starts_with("section,name,label,value,unit\n"), "{csv}");
    assert!(
        csv.contains(&format!(
            "metric,jump_height_cm,Jump height,{:.1},cm",
            height * 100.0
        )),
        "{csv}"
    );

    let view: Value = app
        .call(&coach, "analysis_view", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    let frames = view["key_frames"].as_array().unwrap();
    assert!(frames.iter().any(|f| f == "takeoff"), "{view}");
    let png = coach
        .get(format!("{}/api/analyses/{id}/frames/takeoff.png", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));

    let page = app.get_text(&coach, &format!("/analyses/{id}")).await;
    assert!(
        page.contains(r#"data-metric="jump_height_cm""#),
        "metric card rendered"
    );
    assert!(
        page.contains(r#"data-testid="trajectory-chart""#),
        "chart rendered"
    );
}
