//! Uploads crafted to hurt the service: each must fail alone, at once and clearly, with
//! the server and its workers carrying on.

use super::{closed_job_row, temp_files, wait_until_settled};
use crate::common::{
    clip_from, empty_room_clip, postgres_available, processes_naming, Backend, TestApp,
};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

on_both_backends!(
    a_timestamp_burst_is_refused_at_upload_within_seconds,
    a_burst_inside_a_clip_fails_its_analysis_at_once,
    an_analysis_past_its_deadline_is_killed_and_not_retried,
    uploads_beyond_the_slots_wait_briefly_then_get_503,
);

/// The attack from issue 22: 200,000 tiny H.264 frames one microsecond apart, a 3 MB file
/// whose header declares 0.2 s.
pub(super) fn timestamp_burst() -> Vec<u8> {
    clip_from(
        "timestamp-burst.mp4",
        "-f lavfi -i color=black:s=64x64:r=1000000 -frames:v 200000 -c:v libx264 \
         -preset ultrafast -bf 0 -g 1000000 -video_track_timescale 1000000 -fps_mode passthrough",
    )
}

/// Ten seconds at 30 fps with 2,000 frames one microsecond apart in the middle: on average
/// 228 fps, so the header passes and only the decoded timestamps give it away.
pub(super) fn burst_inside_a_clip() -> Vec<u8> {
    clip_from(
        "burst-inside.mp4",
        "-f lavfi -i testsrc2=s=320x180:r=30 -frames:v 2300 \
         -vf setpts='if(lt(N,150),N/30,if(lt(N,2150),5+(N-150)*0.000001,5.1+(N-2150)/30))/TB' \
         -c:v libx264 -preset ultrafast -bf 0 -video_track_timescale 1000000 -fps_mode passthrough",
    )
}

/// Uploads `clip` as a guest and expects it accepted; returns the analysis id.
async fn accepted(app: &TestApp, guest: &reqwest::Client, clip: Vec<u8>) -> String {
    let response = app.upload(guest, clip, "cmj").await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the header looks honest"
    );
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The analysis failed at its first attempt with `reason`, and nothing of it runs any more.
async fn failed_at_once(app: &TestApp, guest: &reqwest::Client, id: &str, reason: &str) {
    let settled = wait_until_settled(app, guest, id).await;
    assert_eq!(settled["status"], "failed", "{settled}");
    let message = settled["error"].as_str().unwrap();
    assert!(message.contains(reason), "{message}");
    assert_eq!(
        closed_job_row(app, id).await,
        ("failed".to_string(), 1),
        "the clip's fault: not retried"
    );
    // The engine and the ffmpeg it started are gone with their process group.
    let left = processes_naming(&app.data_dir);
    assert!(left.is_empty(), "{left:?}");
}

/// ASVS 4.0 V12.1.2: a small file that decodes to an endless stream (a decompression bomb for
/// video) is refused before it is decoded.
async fn a_timestamp_burst_is_refused_at_upload_within_seconds(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let body = timestamp_burst();
    assert!(body.len() < 4_000_000, "{} bytes", body.len());
    let guest = app.client();
    let started = Instant::now();
    let response = app.upload(&guest, body, "cmj").await;
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: Value = response.json().await.unwrap();
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Airtime reads up to 240 frames per second"),
        "{json}"
    );
    assert!(took < Duration::from_secs(5), "refused after {took:?}");
    assert_eq!(app.count("analyses").await, 0);
    assert_eq!(temp_files(&app), 0, "the refused upload is removed");
}

async fn a_burst_inside_a_clip_fails_its_analysis_at_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 1).await;
    let guest = app.client();
    let id = accepted(&app, &guest, burst_inside_a_clip()).await;
    failed_at_once(&app, &guest, &id, "closer together than any camera records").await;
}

async fn an_analysis_past_its_deadline_is_killed_and_not_retried(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 1;
        s.engine_max_wall = Duration::from_millis(300);
    })
    .await;
    let clip = clip_from(
        "twenty-seconds.mp4",
        "-f lavfi -i testsrc2=s=640x360:r=30:duration=20 -c:v libx264 -preset ultrafast",
    );
    let guest = app.client();
    let id = accepted(&app, &guest, clip).await;
    let reason = "This video could not be processed safely: it took longer than";
    failed_at_once(&app, &guest, &id, reason).await;
}

/// ASVS 4.0 V12.1.1: `concurrent_uploads` bounds the uploads received and probed at once: one
/// more waits a moment for a slot, then gets 503 with Retry-After, and the slot serves the next
/// upload as soon as the slow one is gone.
async fn uploads_beyond_the_slots_wait_briefly_then_get_503(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.concurrent_uploads = 1).await;
    // Sends a little and then stalls, holding the only slot.
    let stalled = futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0u8; 4096])]).chain(
        futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(Vec::new())
        }),
    );
    let slow = app
        .client()
        .post(format!("{}/api/analyses?jump_type=cmj", app.base))
        .header("content-type", "video/mp4")
        .body(reqwest::Body::wrap_stream(stalled));
    let slow = tokio::spawn(slow.send());
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let refused = app.upload(&app.client(), empty_room_clip(), "cmj").await;
    let waited = started.elapsed();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(
        waited >= Duration::from_millis(1500),
        "it waited for a slot first: {waited:?}"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "server_busy");

    slow.abort();
    let accepted = app.upload(&app.client(), empty_room_clip(), "cmj").await;
    assert_eq!(
        accepted.status(),
        StatusCode::CREATED,
        "the slot is free again"
    );
}
