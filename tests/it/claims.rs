//! Guests' analyses becoming an account's (on sign-up, on sign-in, by claim link), the claim race,
//! crash recovery of file moves, history and its export, and account deletion, over HTTP on
//! SQLite always and on PostgreSQL when it answers.

use crate::common::{error_code, postgres_available, unique_email, Backend, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::Row;

on_both_backends!(
    signing_up_claims_the_guest_analyses,
    signing_in_claims_the_guest_analyses,
    claim_links_work_once_for_one_account,
    concurrent_claims_have_one_winner,
    an_interrupted_file_move_is_finished_at_start,
    history_filters_pages_and_exports,
    deleting_the_account_deletes_analyses_and_files,
);

const PASSWORD: &str = "jump-higher-2026";

async fn quiet_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 0;
        s.guest_active_analyses = 10;
        s.user_active_analyses = 100;
    })
    .await
}

async fn owner_row(
    app: &TestApp,
    id: &str,
) -> (Option<String>, Option<String>, Option<i64>, String) {
    let row = app
        .row(
            "SELECT user_id, guest_id, expires_at, storage_prefix FROM analyses WHERE id = $1",
            id,
        )
        .await;
    (
        row.get("user_id"),
        row.get("guest_id"),
        row.get("expires_at"),
        row.get("storage_prefix"),
    )
}

fn stored(app: &TestApp, prefix: &str) -> bool {
    app.data_dir
        .join("objects")
        .join(prefix)
        .join("video")
        .is_file()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .or_else(|| response.headers().get("serverfnredirect"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn history(app: &TestApp, client: &Client, jump: &str, page: &str) -> Value {
    let response = app
        .call(
            client,
            "load_history",
            &[("jump_type", jump), ("page", page)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn assert_claimed_by_user(app: &TestApp, id: &str, user_id: &str) {
    let (user, guest, expires, prefix) = owner_row(app, id).await;
    assert_eq!(user.as_deref(), Some(user_id));
    assert_eq!(guest, None);
    assert_eq!(expires, None, "a claimed analysis does not expire");
    assert_eq!(prefix, format!("users/{user_id}/{id}"));
    assert!(stored(app, &prefix), "file moved to the account");
    assert!(
        !stored(app, &format!("anonymous/{id}")),
        "nothing left behind"
    );
}

async fn user_id_of(app: &TestApp, client: &Client) -> String {
    let body: Value = app
        .call(client, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn signing_up_claims_the_guest_analyses(backend: Backend) {
    let app = quiet_app(backend).await;
    let browser = app.client();
    let first = app.upload_clip(&browser, "cmj").await;
    let second = app.upload_clip(&browser, "dj").await;
    assert!(stored(&app, &format!("anonymous/{first}")));

    let response = app
        .sign_up(&browser, &unique_email("guest"), PASSWORD)
        .await;
    assert!(
        location(&response).contains("/history?claimed=2"),
        "{response:?}"
    );
    let user_id = user_id_of(&app, &browser).await;
    for id in [&first, &second] {
        assert_claimed_by_user(&app, id, &user_id).await;
    }
    let page = history(&app, &browser, "", "1").await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    let events = app.audit_events().await;
    let claims = events
        .iter()
        .filter(|(e, _)| e == "analysis_claimed")
        .count();
    assert_eq!(claims, 2, "{events:?}");
}

async fn signing_in_claims_the_guest_analyses(backend: Backend) {
    let app = quiet_app(backend).await;
    let email = unique_email("coach");
    let setup = app.client();
    app.sign_up(&setup, &email, PASSWORD).await;
    let user_id = user_id_of(&app, &setup).await;

    let browser = app.client();
    let id = app.upload_clip(&browser, "sj").await;
    let response = app.sign_in(&browser, &email, PASSWORD).await;
    assert!(location(&response).contains("claimed=1"), "{response:?}");
    assert_claimed_by_user(&app, &id, &user_id).await;
    // The other device, signed in to the same account, sees it too.
    let rows = history(&app, &setup, "", "1").await;
    assert_eq!(rows["rows"][0]["id"], id.as_str());

    // An expired guest analysis is not claimed.
    let late = app.client();
    let expired = app.upload_clip(&late, "cmj").await;
    app.execute("UPDATE analyses SET expires_at = 1 WHERE id = $1", &expired)
        .await;
    let response = app.sign_in(&late, &email, PASSWORD).await;
    assert!(!location(&response).contains("claimed"), "{response:?}");
    assert_eq!(owner_row(&app, &expired).await.0, None);
}

async fn claim_link(app: &TestApp, guest: &Client, id: &str) -> String {
    let response = app.call(guest, "create_claim_link", &[("id", id)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let path: String = response.json().await.unwrap();
    path.strip_prefix("/claim/")
        .expect("a claim path")
        .to_string()
}

async fn redeem(app: &TestApp, client: &Client, token: &str) -> reqwest::Response {
    app.call(client, "redeem_claim_link", &[("token", token)])
        .await
}

async fn signed_in(app: &TestApp, tag: &str) -> (Client, String) {
    let client = app.client();
    app.sign_up(&client, &unique_email(tag), PASSWORD).await;
    let id = user_id_of(app, &client).await;
    (client, id)
}

async fn claim_links_work_once_for_one_account(backend: Backend) {
    let app = quiet_app(backend).await;
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    let token = claim_link(&app, &guest, &id).await;
    assert_eq!(token.len(), 64);

    let (coach, coach_id) = signed_in(&app, "coach").await;
    let response = redeem(&app, &coach, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "saved");
    assert_eq!(body["analysis_id"], id.as_str());
    assert_claimed_by_user(&app, &id, &coach_id).await;
    // The guest no longer owns it.
    let response = app.call(&guest, "analysis_progress", &[("id", &id)]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Used, unknown and someone else's links all get the same message.
    let (other, _) = signed_in(&app, "other").await;
    for bad in [token.clone(), "0".repeat(64), "not-a-token".to_string()] {
        let response = redeem(&app, &other, &bad).await;
        assert_eq!(response.status(), StatusCode::GONE, "{bad}");
        assert_eq!(error_code(response).await, "invalid_claim_link");
    }
    let response = app.call(&coach, "create_claim_link", &[("id", &id)]).await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "an account's analysis has no claim link"
    );

    // Expired with its analysis.
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    let token = claim_link(&app, &guest, &id).await;
    app.execute(
        "UPDATE claim_tokens SET expires_at = 1 WHERE analysis_id = $1",
        &id,
    )
    .await;
    assert_eq!(
        redeem(&app, &other, &token).await.status(),
        StatusCode::GONE
    );

    // Opened signed out: remembered, and claimed by the sign-up that follows.
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    let token = claim_link(&app, &guest, &id).await;
    let phone = app.client();
    let response = redeem(&app, &phone, &token).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "sign_in_first");
    let response = app.sign_up(&phone, &unique_email("phone"), PASSWORD).await;
    assert!(location(&response).contains("claimed=1"), "{response:?}");
    let phone_user = user_id_of(&app, &phone).await;
    assert_claimed_by_user(&app, &id, &phone_user).await;
}

async fn concurrent_claims_have_one_winner(backend: Backend) {
    let app = quiet_app(backend).await;
    for _ in 0..3 {
        let guest = app.client();
        let id = app.upload_clip(&guest, "cmj").await;
        let token = claim_link(&app, &guest, &id).await;
        let (a, _) = signed_in(&app, "a").await;
        let (b, _) = signed_in(&app, "b").await;
        let (ra, rb) = tokio::join!(redeem(&app, &a, &token), redeem(&app, &b, &token));
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 410], "exactly one claim wins");
        let (user, guest_id, _, prefix) = owner_row(&app, &id).await;
        assert!(user.is_some() && guest_id.is_none());
        assert!(stored(&app, &prefix));
    }
}

async fn an_interrupted_file_move_is_finished_at_start(backend: Backend) {
    let app = quiet_app(backend).await;
    let (_coach, user_id) = signed_in(&app, "coach").await;
    let guest = app.client();
    let id = app.upload_clip(&guest, "cmj").await;
    // What the claim transaction commits, with the process dying before the files move.
    let pool = app.pool().await;
    sqlx::query(
        "UPDATE analyses SET user_id = $1, guest_id = NULL, expires_at = NULL, \
         storage_prefix = $2, moved_from = $3 WHERE id = $4",
    )
    .bind(user_id.clone())
    .bind(format!("users/{user_id}/{id}"))
    .bind(format!("anonymous/{id}"))
    .bind(id.clone())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert!(stored(&app, &format!("anonymous/{id}")));

    let app = app.restart().await;
    assert_claimed_by_user(&app, &id, &user_id).await;
    let pending: Option<String> = app
        .row("SELECT moved_from FROM analyses WHERE id = $1", &id)
        .await
        .get("moved_from");
    assert_eq!(pending, None);
}

async fn history_filters_pages_and_exports(backend: Backend) {
    let app = quiet_app(backend).await;
    let (coach, user_id) = signed_in(&app, "coach").await;
    let cmj = app.upload_clip(&coach, "cmj").await;
    let dj = app.upload_clip(&coach, "dj").await;
    // Both arrived within the same second; make the order unambiguous.
    app.execute(
        "UPDATE analyses SET created_at = created_at + 10 WHERE id = $1",
        &dj,
    )
    .await;

    let all = history(&app, &coach, "", "1").await;
    assert_eq!(all["rows"].as_array().unwrap().len(), 2);
    assert_eq!(all["has_more"], false);
    let drops = history(&app, &coach, "dj", "1").await;
    let rows = drops["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], dj.as_str());

    // 21 more rows: a second page.
    let pool = app.pool().await;
    for n in 0..21 {
        sqlx::query(
            "INSERT INTO analyses (id, user_id, status, jump_type, storage_prefix, video_bytes, \
             video_type, duration_s, progress, created_at) \
             VALUES ($1, $2, 'failed', 'cmj', $3, 1, 'video/mp4', 1.0, 0, $4)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(user_id.clone())
        .bind(format!("users/{user_id}/x{n}"))
        .bind(1_000 + n as i64)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let first = history(&app, &coach, "", "1").await;
    assert_eq!(first["rows"].as_array().unwrap().len(), 20);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["rows"][0]["id"], dj.as_str(), "newest first");
    let second = history(&app, &coach, "", "2").await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 3);
    assert_eq!(second["has_more"], false);

    let csv = app.get_text(&coach, "/api/history.csv?jump_type=cmj").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "date_utc,athlete,jump_type,status,jump_height_cm,flight_time_ms,contact_time_ms,rsi,confidence,analysis_id"
    );
    assert_eq!(lines.len(), 1 + 22, "22 CMJ rows");
    assert!(csv.contains(&cmj) && !csv.contains(&dj));

    // Not signed in: no history, no export.
    let stranger = app.client();
    let response = app
        .call(
            &stranger,
            "load_history",
            &[("jump_type", ""), ("page", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = stranger
        .get(format!("{}/api/history.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn deleting_the_account_deletes_analyses_and_files(backend: Backend) {
    let app = quiet_app(backend).await;
    let (coach, user_id) = signed_in(&app, "coach").await;
    let id = app.upload_clip(&coach, "cmj").await;
    assert!(stored(&app, &format!("users/{user_id}/{id}")));
    let response = app
        .call(&coach, "delete_account", &[("password", PASSWORD)])
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    assert_eq!(
        (app.count("analyses").await, app.count("jobs").await),
        (0, 0)
    );
    assert!(!app.data_dir.join("objects/users").join(&user_id).exists());
}
