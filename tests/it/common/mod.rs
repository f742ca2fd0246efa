//! Spawns the real application on a random port with a fresh database, as `main` does.
#![allow(dead_code)]

pub mod smtp_sink;

use airtime::server::{config::Settings, startup::Application};
use reqwest::{header, redirect::Policy, Client, Response};
use std::{net::TcpStream, path::PathBuf, sync::Arc, time::Duration};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    server: tokio::task::JoinHandle<()>,
    /// Shared with the restarts of this app; the last one gone removes the folder and database.
    scratch: Arc<Scratch>,
}

/// A test's data folder and database. Dropping it removes both, so a run leaves no databases
/// on the PostgreSQL server and no folders in /tmp.
pub struct Scratch {
    pub data_dir: PathBuf,
    pub database_url: String,
}

impl Scratch {
    pub async fn new(backend: Backend, prefix: &str) -> Arc<Self> {
        let data_dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let database_url = fresh_database_url(backend, &data_dir).await;
        Arc::new(Self {
            data_dir,
            database_url,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        let Some(name) = self.database_url.strip_prefix(PG_TEST_PREFIX) else {
            return;
        };
        // FORCE: the app's pool may still hold connections. A thread with its own runtime,
        // because this may run inside a test's runtime, which cannot block on itself.
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let dropped = std::thread::spawn(move || {
            use sqlx::Executor;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = sqlx::AnyPool::connect(PG_ADMIN_URL).await?;
                admin.execute(sql.as_str()).await?;
                admin.close().await;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {name}: {dropped:?}");
        }
    }
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PG_TEST_PREFIX: &str = "postgres://postgres@127.0.0.1:5432/";

/// PostgreSQL runs when 127.0.0.1:5432 answers; under CI it must.
pub fn postgres_available() -> bool {
    let up = TcpStream::connect_timeout(&"127.0.0.1:5432".parse().unwrap(), Duration::from_secs(1))
        .is_ok();
    if !up {
        crate::clips::missing("the PostgreSQL run: nothing answers on 127.0.0.1:5432");
    }
    up
}

pub async fn fresh_database_url(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("airtime.db").display()
        ),
        Backend::Postgres => {
            use sqlx::Executor;
            let name = format!("airtime_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::any::install_default_drivers();
            let admin = sqlx::AnyPool::connect(PG_ADMIN_URL)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            admin.close().await;
            format!("{PG_TEST_PREFIX}{name}")
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::start(Scratch::new(backend, "airtime-test").await, tweak).await
    }

    /// A second server on the same database (a restart).
    pub async fn restart(self) -> Self {
        self.restart_with(|_| {}).await
    }

    pub async fn restart_with(self, tweak: impl FnOnce(&mut Settings)) -> Self {
        self.server.abort();
        let _ = self.server.await;
        Self::start(self.scratch.clone(), tweak).await
    }

    pub async fn pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url).await.unwrap()
    }

    async fn start(scratch: Arc<Scratch>, tweak: impl FnOnce(&mut Settings)) -> Self {
        let (data_dir, database_url) = (scratch.data_dir.clone(), scratch.database_url.clone());
        let mut settings = Settings::defaults();
        settings.leptos.site_addr = "127.0.0.1:0".parse().unwrap();
        settings.data_dir = data_dir.clone();
        settings.database_url = database_url.clone();
        settings.pose_model =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/pose_landmarker_lite.task");
        settings.breached_passwords =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/passwords/breached-passwords.bin");
        // This process is the test binary: analyses run in the server binary's engine.
        settings.engine_program = PathBuf::from(env!("CARGO_BIN_EXE_airtime"));
        tweak(&mut settings);
        let app = Application::build(settings).await.expect("app starts");
        let base = format!("http://{}", app.addr());
        let server = tokio::spawn(async move {
            app.run_until_stopped().await.expect("server runs");
        });
        Self {
            base,
            database_url,
            data_dir,
            server,
            scratch,
        }
    }

    /// A browser-like client: keeps cookies, sends this site's Origin, does not follow redirects.
    pub fn client(&self) -> Client {
        self.client_with_cookies(std::sync::Arc::new(reqwest::cookie::Jar::default()))
    }

    /// A client whose cookies outlive it: the same browser talking to a restarted server.
    pub fn client_with_cookies(&self, jar: std::sync::Arc<reqwest::cookie::Jar>) -> Client {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::ORIGIN, self.base.parse().unwrap());
        Client::builder()
            .cookie_provider(jar)
            .redirect(Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    pub async fn call(&self, client: &Client, server_fn: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(format!("{}/api/{server_fn}", self.base))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn sign_up(&self, client: &Client, email: &str, password: &str) -> Response {
        self.call(
            client,
            "sign_up",
            &[
                ("email", email),
                ("password", password),
                ("confirm_password", password),
            ],
        )
        .await
    }

    pub async fn sign_in(&self, client: &Client, email: &str, password: &str) -> Response {
        self.call(
            client,
            "sign_in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// The signed-in user's email, if any.
    pub async fn current_email(&self, client: &Client) -> Option<String> {
        let response = self.call(client, "current_user", &[]).await;
        assert!(
            response.status().is_success(),
            "current_user: {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await.unwrap();
        body.get("email")
            .and_then(|e| e.as_str())
            .map(str::to_string)
    }

    pub async fn audit_events(&self) -> Vec<(String, Option<String>)> {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url).await.unwrap();
        let rows = sqlx::query("SELECT event, user_id FROM audit_log ORDER BY at, event")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows.iter()
            .map(|r| {
                (
                    r.get::<String, _>("event"),
                    r.get::<Option<String>, _>("user_id"),
                )
            })
            .collect()
    }
}

/// Runs each named scenario `async fn name(backend: Backend)` on SQLite, then on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                if super::postgres_available() {
                    super::$name(super::Backend::Postgres).await
                }
            })*
        }
    };
}

/// A clip made with ffmpeg from `args` (inputs and encoder options), once for all runs.
pub fn generated_clip(name: &str, args: &[&str]) -> PathBuf {
    use std::hash::{Hash, Hasher};
    // Shared by every run: clips are written under a unique name and renamed into place, so
    // parallel runs never see half a file, and /tmp keeps one copy instead of one per run.
    // The arguments are part of the name, so changed arguments make a new clip.
    let dir = std::env::temp_dir().join("airtime-test-clips");
    std::fs::create_dir_all(&dir).unwrap();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    args.hash(&mut hasher);
    let path = dir.join(format!("{:016x}-{name}", hasher.finish()));
    if !path.is_file() {
        let partial = dir.join(format!("{}.{name}", uuid::Uuid::new_v4()));
        let made = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y"])
            .args(args)
            .arg(&partial)
            .status()
            .expect("ffmpeg (run `make setup`)");
        assert!(made.success(), "ffmpeg could not make {name}");
        std::fs::rename(&partial, &path).unwrap();
    }
    path
}

/// The bytes of [`generated_clip`] made from one line of ffmpeg arguments (split on spaces;
/// ffmpeg's own quoting works inside filter expressions).
pub fn clip_from(name: &str, ffmpeg_args: &str) -> Vec<u8> {
    let args: Vec<&str> = ffmpeg_args.split_whitespace().collect();
    std::fs::read(generated_clip(name, &args)).unwrap()
}

/// Live processes (zombies aside) whose command line names `dir`, except servers: the engine
/// children and ffmpeg runs working on files under it.
pub fn processes_naming(dir: &std::path::Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            if stat.contains(") Z ") {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains(&needle) && !cmdline.contains(" serve")).then_some(cmdline)
        })
        .collect()
}

/// Two seconds of a grey room with a little noise: a valid video with no athlete.
pub fn empty_room_clip() -> Vec<u8> {
    std::fs::read(generated_clip(
        "empty-room.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=0x808080:size=320x240:rate=30:duration=2",
            "-vf",
            "noise=alls=8:allf=t",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    ))
    .unwrap()
}

impl TestApp {
    /// `POST /api/analyses` with `body` as the video.
    pub async fn upload(&self, client: &Client, body: Vec<u8>, jump: &str) -> Response {
        client
            .post(format!("{}/api/analyses?jump_type={jump}", self.base))
            .header(header::CONTENT_TYPE, "video/mp4")
            .body(body)
            .send()
            .await
            .expect("upload sent")
    }

    /// The body of a GET of `path` (a page or a download) as text.
    pub async fn get_text(&self, client: &Client, path: &str) -> String {
        client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .unwrap()
    }

    /// Uploads the empty-room clip and returns the new analysis id.
    pub async fn upload_clip(&self, client: &Client, jump: &str) -> String {
        let response = self.upload(client, empty_room_clip(), jump).await;
        assert_eq!(response.status().as_u16(), 201, "upload accepted");
        let json: serde_json::Value = response.json().await.unwrap();
        let id = json["id"].as_str().unwrap().to_string();
        assert_eq!(json["url"], format!("/analyses/{id}"));
        id
    }

    /// One row of `sql` (with `$1` bound to `id`), e.g. an analysis or its job.
    pub async fn row(&self, sql: &str, id: &str) -> sqlx::any::AnyRow {
        let pool = self.pool().await;
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        row
    }

    /// Runs a statement with `$1` bound to `id`.
    pub async fn execute(&self, sql: &str, id: &str) {
        let pool = self.pool().await;
        sqlx::query(sql)
            .bind(id.to_string())
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        let pool = self.pool().await;
        let n = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("n");
        pool.close().await;
        n
    }
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

pub fn session_cookie(response: &Response) -> Option<String> {
    set_cookie_named(response, "airtime_session")
}

/// The whole `Set-Cookie` line that sets cookie `name`, if the response sets it.
pub fn set_cookie_named(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| {
            c.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
        .map(str::to_string)
}

pub async fn error_code(response: Response) -> String {
    let body: serde_json::Value = response.json().await.expect("error body is JSON");
    body["code"].as_str().unwrap_or_default().to_string()
}
