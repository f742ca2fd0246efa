//! `kill -9` of the server (mid-upload, mid-analysis) and of an analysis child, on a real
//! `airtime serve` process: after a restart every accepted upload finishes, nothing is lost
//! or duplicated, and nothing is left behind.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use sqlx::Row;

use crate::common::{
    clip_from, empty_room_clip, postgres_available, processes_naming, Backend, Scratch,
};

on_both_backends!(
    a_server_killed_mid_analysis_and_mid_upload_loses_nothing,
    an_analysis_child_killed_mid_analysis_fails_only_its_job,
);

/// A real server process on its own port, data folder and database.
struct Server {
    process: Child,
    base: String,
    data_dir: PathBuf,
    database_url: String,
    port: u16,
    scratch: Arc<Scratch>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    async fn start(backend: Backend) -> Self {
        Self::launch(Scratch::new(backend, "airtime-kill").await, free_port()).await
    }

    async fn launch(scratch: Arc<Scratch>, port: u16) -> Self {
        let (data_dir, database_url) = (scratch.data_dir.clone(), scratch.database_url.clone());
        let model =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/pose_landmarker_lite.task");
        let process = Command::new(env!("CARGO_BIN_EXE_airtime"))
            .arg("serve")
            .env("AIRTIME_DATA_DIR", &data_dir)
            .env("DATABASE_URL", &database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("AIRTIME_POSE_MODEL", model)
            .env(
                "AIRTIME_BREACHED_PASSWORDS",
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("data/passwords/breached-passwords.bin"),
            )
            .env("AIRTIME_ANALYSIS_WORKERS", "1")
            .env("AIRTIME_GUEST_ACTIVE_ANALYSES", "10")
            .env("AIRTIME_NODE_NAME", "kill-test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start airtime serve");
        let server = Server {
            process,
            base: format!("http://127.0.0.1:{port}"),
            data_dir,
            database_url,
            port,
            scratch,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(r) = reqwest::get(format!("{}/readyz", self.base)).await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server on {} not ready", self.base);
    }

    /// SIGKILL, then reap; once reaped, std sends nothing (the pid may belong to another).
    fn kill_9(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    async fn restart(mut self) -> Self {
        self.kill_9();
        let (scratch, port) = (self.scratch.clone(), self.port);
        drop(self);
        Self::launch(scratch, port).await
    }

    fn client(&self) -> Client {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::ORIGIN, self.base.parse().unwrap());
        Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()
            .unwrap()
    }

    async fn upload(&self, client: &Client, body: Vec<u8>) -> String {
        let response = client
            .post(format!("{}/api/analyses?jump_type=cmj", self.base))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn rows(&self, sql: &str) -> Vec<sqlx::any::AnyRow> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }

    /// (status, attempts) of every analysis, once none is queued or running.
    async fn settled(&self) -> Vec<(String, String, i64)> {
        let started = Instant::now();
        loop {
            let rows = self
                .rows("SELECT a.id, a.status, j.attempts FROM analyses a JOIN jobs j ON j.analysis_id = a.id ORDER BY a.id")
                .await;
            let all: Vec<(String, String, i64)> = rows
                .iter()
                .map(|r| (r.get("id"), r.get("status"), r.get("attempts")))
                .collect();
            if all.iter().all(|(_, s, _)| s != "queued" && s != "running") {
                return all;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "not settled: {all:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn wait_until_running(&self) -> String {
        let started = Instant::now();
        loop {
            let rows = self
                .rows("SELECT id FROM analyses WHERE status = 'running' AND stage = 'tracking'")
                .await;
            if let Some(row) = rows.first() {
                return row.get("id");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no analysis started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Before `scratch` goes: the process must not write into a folder being removed.
        self.kill_9();
    }
}

/// A moving picture without an athlete, long enough to be killed mid-analysis.
fn moving_picture(seconds: u32) -> Vec<u8> {
    clip_from(
        &format!("moving-{seconds}s.mp4"),
        &format!(
            "-f lavfi -i testsrc2=s=640x360:r=30:duration={seconds} -c:v libx264 -preset ultrafast"
        ),
    )
}

fn temp_entries(server: &Server) -> usize {
    std::fs::read_dir(server.data_dir.join("tmp")).map_or(0, |d| d.count())
}

async fn a_server_killed_mid_analysis_and_mid_upload_loses_nothing(backend: Backend) {
    let server = Server::start(backend).await;
    let guest = server.client();
    let mut accepted = Vec::new();
    for _ in 0..2 {
        accepted.push(server.upload(&guest, moving_picture(10)).await);
    }
    accepted.push(server.upload(&guest, empty_room_clip()).await);
    server.wait_until_running().await;

    // An upload that has sent half its body when the server dies.
    let body = moving_picture(10);
    let half = body[..body.len() / 2].to_vec();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(half)).await.unwrap();
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let pending = guest
        .post(format!("{}/api/analyses?jump_type=cmj", server.base))
        .header(header::CONTENT_LENGTH, body.len())
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let pending = tokio::spawn(pending);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let data_dir = server.data_dir.clone();
    let server = server.restart().await;
    drop(tx);
    assert!(
        pending.await.unwrap().is_err(),
        "the interrupted upload got no answer"
    );
    // The engine and its ffmpeg died with the server, not after the restart.
    let started = Instant::now();
    while !processes_naming(&data_dir).is_empty() && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let settled = server.settled().await;
    let ids: Vec<&String> = settled.iter().map(|(id, _, _)| id).collect();
    let mut expected = accepted.clone();
    expected.sort();
    assert_eq!(
        ids,
        expected.iter().collect::<Vec<_>>(),
        "every accepted upload, once, and nothing else"
    );
    for (id, status, attempts) in &settled {
        assert_eq!(
            status, "failed",
            "{id}: the clips have no athlete: a result, not a loss"
        );
        assert!(*attempts <= 2, "{id}: {attempts} attempts");
    }
    let errors = server.rows("SELECT error_message FROM analyses").await;
    for row in errors {
        let message: String = row.get("error_message");
        assert!(message.contains("no athlete found"), "{message}");
    }
    assert_eq!(
        temp_entries(&server),
        0,
        "the interrupted upload's file is gone"
    );
    assert!(processes_naming(&server.data_dir).is_empty());
}

async fn an_analysis_child_killed_mid_analysis_fails_only_its_job(backend: Backend) {
    let server = Server::start(backend).await;
    let guest = server.client();
    let killed = server.upload(&guest, moving_picture(30)).await;
    let next = server.upload(&guest, empty_room_clip()).await;
    server.wait_until_running().await;
    // The engine child reading the clip: the process whose command line is `… engine …`
    // and whose ffmpeg reads from this server's data folder.
    let ffmpeg_parent = {
        let needle = server.data_dir.to_string_lossy().into_owned();
        let started = Instant::now();
        loop {
            let found = std::fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .find_map(|entry| {
                    let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
                    let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
                    if !cmdline.starts_with("ffmpeg") || !cmdline.contains(&needle) {
                        return None;
                    }
                    let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                    let after_name = &stat[stat.rfind(')')? + 2..];
                    after_name.split_whitespace().nth(1)?.parse::<i32>().ok()
                });
            if let Some(pid) = found {
                break pid;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no ffmpeg found"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let sent = Command::new("kill")
        .args(["-KILL", &ffmpeg_parent.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -KILL {ffmpeg_parent}");
    let settled = server.settled().await;
    let status = |id: &str| settled.iter().find(|(i, _, _)| i == id).unwrap().clone();
    assert_eq!(status(&killed).1, "failed");
    assert_eq!(status(&killed).2, 1, "not retried");
    let rows = server.rows("SELECT id, error_message FROM analyses").await;
    for row in rows {
        let (id, message): (String, String) = (row.get("id"), row.get("error_message"));
        if id == killed {
            assert!(
                message.starts_with("This video could not be processed safely"),
                "{message}"
            );
        } else {
            assert_eq!(id, next);
            assert!(
                message.contains("no athlete found"),
                "the next job ran: {message}"
            );
        }
    }
    let health = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the server carried on");
}
