//! A coach's athletes over HTTP: creating them, assigning analyses at upload or later, the
//! athlete's trend, filtered history and CSV, all scoped to the coach. SQLite and PostgreSQL.

use crate::common::{
    empty_room_clip, error_code, postgres_available, unique_email, Backend, TestApp,
};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

on_both_backends!(
    athletes_belong_to_their_coach,
    analyses_are_assigned_at_upload_or_later,
    the_athlete_page_shows_best_latest_and_trend,
);

const PASSWORD: &str = "jump-higher-2026";

async fn coach(app: &TestApp, tag: &str) -> Client {
    let client = app.client();
    app.sign_up(&client, &unique_email(tag), PASSWORD).await;
    client
}

async fn create_athlete(
    app: &TestApp,
    client: &Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.call(client, "create_athlete", form).await
}

async fn new_athlete(app: &TestApp, client: &Client, name: &str, mass: &str) -> String {
    let response = create_athlete(app, client, &[("name", name), ("body_mass_kg", mass)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

/// ASVS 4.0 V4.2.1: another coach neither lists nor loads them; a guest cannot create any.
async fn athletes_belong_to_their_coach(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.analysis_workers = 0).await;
    let ana = coach(&app, "ana").await;
    let response = create_athlete(
        &app,
        &ana,
        &[
            ("name", "  Maya  Lind "),
            ("body_mass_kg", "58"),
            ("sex", "female"),
            ("birth_year", "2005"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let maya: Value = response.json().await.unwrap();
    assert_eq!(maya["name"], "Maya Lind");
    assert_eq!(maya["sex"], "female");

    for (form, field) in [
        (vec![("name", "")], "name"),
        (vec![("name", "X"), ("body_mass_kg", "500")], "body_mass"),
        (vec![("name", "X"), ("sex", "robot")], "sex"),
        (vec![("name", "X"), ("birth_year", "1800")], "birth_year"),
    ] {
        let response = create_athlete(&app, &ana, &form).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], field, "{body}");
    }

    let ben = coach(&app, "ben").await;
    let listed: Value = app
        .call(&ben, "list_athletes", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]), "another coach sees none of them");
    let id = maya["id"].as_str().unwrap();
    let response = app.call(&ben, "load_athlete", &[("id", id)]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let listed: Value = app
        .call(&ana, "list_athletes", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id);

    let guest = app.client();
    let listed: Value = app
        .call(&guest, "list_athletes", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    let response = create_athlete(&app, &guest, &[("name", "Nope")]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn upload_for(app: &TestApp, client: &Client, athlete: &str) -> reqwest::Response {
    client
        .post(format!(
            "{}/api/analyses?jump_type=cmj&athlete_id={athlete}",
            app.base
        ))
        .body(empty_room_clip())
        .send()
        .await
        .unwrap()
}

async fn analyses_are_assigned_at_upload_or_later(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 0;
        s.user_active_analyses = 10;
    })
    .await;
    let ana = coach(&app, "ana").await;
    let maya = new_athlete(&app, &ana, "Maya", "58").await;
    let ben = coach(&app, "ben").await;
    let bens = new_athlete(&app, &ben, "Theo", "").await;

    let response = upload_for(&app, &ana, &bens).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(response).await, "invalid_input");
    let guest = app.client();
    assert_eq!(
        upload_for(&app, &guest, &maya).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let response = upload_for(&app, &ana, &maya).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let at_upload = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let row = app
        .row(
            "SELECT athlete_id, body_mass_kg FROM analyses WHERE id = $1",
            &at_upload,
        )
        .await;
    assert_eq!(
        row.get::<Option<String>, _>("athlete_id").as_deref(),
        Some(maya.as_str())
    );
    assert_eq!(
        row.get::<Option<f64>, _>("body_mass_kg"),
        Some(58.0),
        "the athlete's mass"
    );

    let later = app.upload_clip(&ana, "dj").await;
    let assign = |id: String, athlete: String| {
        let (app, ana) = (&app, &ana);
        async move {
            app.call(
                ana,
                "assign_athlete",
                &[("id", &id), ("athlete_id", &athlete)],
            )
            .await
            .status()
        }
    };
    assert_eq!(
        assign(later.clone(), bens.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(assign(later.clone(), maya.clone()).await, StatusCode::OK);
    let response = app
        .call(
            &ben,
            "assign_athlete",
            &[("id", &later), ("athlete_id", &bens)],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "not Ben's analysis"
    );

    let unassigned = app.upload_clip(&ana, "cmj").await;
    let page: Value = app
        .call(
            &ana,
            "load_history",
            &[("jump_type", ""), ("athlete_id", &maya), ("page", "1")],
        )
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&at_upload.as_str()) && ids.contains(&later.as_str()));
    assert!(!ids.contains(&unassigned.as_str()));

    let csv = app
        .get_text(&ana, &format!("/api/history.csv?athlete_id={maya}"))
        .await;
    assert!(csv.starts_with("date_utc,athlete,jump_type,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.contains(",Maya,")), "{csv}");
    let response = ana
        .get(format!("{}/api/history.csv?athlete_id={bens}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "another coach's athlete"
    );
}

/// A finished analysis' stored result with the given height and RSI.
fn result_json(jump: &str, height_m: f64, rsi: Option<f64>) -> String {
    json!({
        "jump_type": jump,
        "metrics": { "jump_height_m": height_m, "flight_time_ms": 500.0, "rsi": rsi },
        "events": [],
        "confidence": 0.9,
        "confidence_reasons": [],
        "warnings": [],
        "jumps": [],
        "trajectory": [],
        "scale": { "px_per_m": 400.0, "method": "flight_arc" },
        "engine_version": "test",
        "video": {
            "width": 640, "height": 360, "rotation_deg": 0, "duration_s": 3.0, "codec": "h264",
            "analysed_width": 640, "analysed_height": 360, "frames_decoded": 90,
            "frames_posed": 90, "variable_frame_rate": false
        },
        "timings": { "probe_ms": 1, "model_load_ms": 1, "pose_ms": 1, "kinematics_ms": 1, "total_ms": 4 }
    })
    .to_string()
}

async fn the_athlete_page_shows_best_latest_and_trend(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.analysis_workers = 0;
        s.user_active_analyses = 10;
    })
    .await;
    let ana = coach(&app, "ana").await;
    let maya = new_athlete(&app, &ana, "Maya", "").await;
    let pool = app.pool().await;
    for (n, (jump, height, rsi)) in [
        ("cmj", 0.30, None),
        ("dj", 0.41, Some(2.1)),
        ("cmj", 0.35, None),
    ]
    .into_iter()
    .enumerate()
    {
        let id = upload_for(&app, &ana, &maya)
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        sqlx::query(
            "UPDATE analyses SET status = 'done', jump_type = $1, result_json = $2, created_at = $3 \
             WHERE id = $4",
        )
        .bind(jump)
        .bind(result_json(jump, height, rsi))
        .bind(1_700_000_000 + n as i64 * 86_400)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let profile: Value = app
        .call(&ana, "load_athlete", &[("id", &maya)])
        .await
        .json()
        .await
        .unwrap();
    let heights: Vec<f64> = profile["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["jump_height_cm"].as_f64().unwrap())
        .collect();
    assert_eq!(heights.len(), 3);
    assert!(
        (heights[0] - 30.0).abs() < 1e-9 && (heights[2] - 35.0).abs() < 1e-9,
        "oldest first: {heights:?}"
    );

    let page = app.get_text(&ana, &format!("/athletes/{maya}")).await;
    assert!(
        page.contains(r#"data-metric="best_jump_height_cm""#),
        "best card"
    );
    assert!(page.contains(r#"data-value="41.0""#), "best height 41.0 cm");
    assert!(
        page.contains(r#"data-value="35.0""#),
        "latest height 35.0 cm"
    );
    assert!(page.contains(r#"data-value="2.10""#), "drop-jump RSI");
    assert!(page.contains("Jump height over 3 tests"), "trend chart");

    // Deleting the account takes the athletes with it.
    app.call(&ana, "delete_account", &[("password", PASSWORD)])
        .await;
    assert_eq!(app.count("athletes").await, 0);
}
