//! Settings: `Leptos.toml` (the `[airtime]` table and leptos' own section) with environment
//! variables on top. Kept apart from start-up so tests can build settings without files.

use super::{mail::SmtpUrl, public_url::PublicUrl, trusted_proxies::TrustedProxies};
use leptos::config::{get_config_from_str, LeptosOptions};
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Used when no Leptos.toml is found, so the binary also runs from any directory.
const DEFAULT_CONFIG: &str = include_str!("../../Leptos.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration file: {0}")]
    Parse(String),
    #[error("invalid value for {key}: {value:?} ({expected})")]
    Invalid {
        key: String,
        value: String,
        expected: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub leptos: LeptosOptions,
    pub data_dir: PathBuf,
    /// Resolved: never empty.
    pub database_url: String,
    pub cookie_secure: bool,
    /// Where people reach the site (`AIRTIME_PUBLIC_URL`); `None`: plain http at the
    /// listener's address (see [`Settings::public_url`]).
    pub public_url: Option<PublicUrl>,
    /// The relay password-reset links go out through (`AIRTIME_SMTP_URL`); `None`: no resets.
    pub smtp_url: Option<SmtpUrl>,
    /// The sender of Airtime's emails (`AIRTIME_MAIL_FROM`).
    pub mail_from: lettre::message::Mailbox,
    pub session_inactivity_days: i64,
    /// A sign-in ends this long after it began, however active (ASVS V3.3.2).
    pub session_lifetime: Duration,
    pub signin_failures_per_account: u32,
    pub signin_failures_per_ip: u32,
    pub signin_window: Duration,
    pub signups_per_ip_per_hour: u32,
    /// Proxies of ours in front of the server (see `ClientInfo::from_parts`).
    pub trusted_proxies: TrustedProxies,
    pub log_format: LogFormat,
    /// `pose_landmarker_lite.task`; default `<data_dir>/models/pose_landmarker_lite.task`.
    pub pose_model: PathBuf,
    /// New passwords on this list are refused (`scripts/fetch-password-list` builds it);
    /// default `<data_dir>/passwords/breached-passwords.bin`.
    pub breached_passwords: PathBuf,
    /// Longest video accepted for analysis.
    pub max_video_seconds: f64,
    /// Largest upload accepted (MB, 10^6 bytes).
    pub max_upload_mb: u64,
    /// How long a guest's analysis and video are kept.
    pub guest_retention: Duration,
    pub guest_uploads_per_ip_per_hour: u32,
    pub user_uploads_per_hour: u32,
    /// Analyses a guest (or an account) may have queued or running at once.
    pub guest_active_analyses: u32,
    pub user_active_analyses: u32,
    /// Analyses run at once by this process (resolved: `0` in the file means one per core;
    /// `0` here means this process runs none).
    pub analysis_workers: usize,
    /// Tries before a job that keeps failing on our side is given up.
    pub job_max_attempts: u32,
    /// How often expired guest analyses are deleted.
    pub expiry_sweep_interval: Duration,
    /// Video bytes one guest / one account may have stored (MB).
    pub guest_storage_mb: u64,
    pub user_storage_mb: u64,
    /// Uploads are refused (507) while the data folder's disk has less than this free (MB).
    pub min_free_disk_mb: u64,
    /// Uploads received and probed at once; more wait outside with 503 and Retry-After.
    pub concurrent_uploads: usize,
    /// Address-space limit of each analysis child process, in MB (10^6 bytes).
    pub engine_memory_mb: u64,
    /// No analysis child runs longer than this, whatever the clip's length.
    pub engine_max_wall: Duration,
    /// This process' name among the nodes sharing the database; a restart under the same
    /// name releases the jobs its previous run held at once. Default `<hostname>:<port>`.
    pub node_name: String,
    /// The binary started as `PROGRAM engine` for each analysis: this executable, unless a
    /// test harness (whose executable is the test) names the server binary.
    pub engine_program: PathBuf,
}

/// The `[airtime]` table; every key optional so a partial file still works.
#[derive(Debug, Default, Deserialize)]
struct AirtimeTable {
    data_dir: Option<String>,
    database_url: Option<String>,
    cookie_secure: Option<String>,
    public_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    session_inactivity_days: Option<i64>,
    session_lifetime_days: Option<u64>,
    signin_failures_per_account: Option<u32>,
    signin_failures_per_ip: Option<u32>,
    signin_window_minutes: Option<u64>,
    signups_per_ip_per_hour: Option<u32>,
    trust_forwarded_for: Option<bool>,
    trusted_proxies: Option<ProxiesValue>,
    log_format: Option<String>,
    pose_model: Option<String>,
    breached_passwords: Option<String>,
    max_video_seconds: Option<f64>,
    max_upload_mb: Option<u64>,
    guest_retention_hours: Option<u64>,
    guest_uploads_per_ip_per_hour: Option<u32>,
    user_uploads_per_hour: Option<u32>,
    guest_active_analyses: Option<u32>,
    user_active_analyses: Option<u32>,
    analysis_workers: Option<usize>,
    job_max_attempts: Option<u32>,
    expiry_sweep_seconds: Option<u64>,
    engine_memory_mb: Option<u64>,
    engine_max_seconds: Option<u64>,
    node_name: Option<String>,
    guest_storage_mb: Option<u64>,
    user_storage_mb: Option<u64>,
    min_free_disk_mb: Option<u64>,
    concurrent_uploads: Option<usize>,
}

/// `trusted_proxies = 1` or `trusted_proxies = "10.0.0.0/8, 192.168.1.5"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ProxiesValue {
    Count(u32),
    List(String),
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    airtime: AirtimeTable,
}

impl Settings {
    /// Reads `AIRTIME_CONFIG` (default `Leptos.toml` in the working directory) and the process
    /// environment.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var("AIRTIME_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && path == "Leptos.toml" => {
                DEFAULT_CONFIG.to_string()
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Self::from_sources(&text, |key| std::env::var(key).ok())
    }

    /// The built-in defaults (the shipped Leptos.toml) without the environment: for tests.
    pub fn defaults() -> Self {
        Self::from_sources(DEFAULT_CONFIG, |_| None).expect("the shipped Leptos.toml is valid")
    }

    pub fn from_sources(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let table = file.airtime;
        // leptos applies LEPTOS_* variables itself, from the real environment.
        let mut leptos =
            get_config_from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        if let Some(addr) = env("LEPTOS_SITE_ADDR") {
            leptos.site_addr = parse("LEPTOS_SITE_ADDR", &addr, "host:port")?;
        }

        let data_dir = PathBuf::from(
            env("AIRTIME_DATA_DIR")
                .or(table.data_dir)
                .unwrap_or_else(|| "data".into()),
        );
        let database_url = env("DATABASE_URL")
            .or(table.database_url)
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("airtime.db").display()
                )
            });
        let public_url = match env("AIRTIME_PUBLIC_URL")
            .or(table.public_url)
            .filter(|url| !url.trim().is_empty())
        {
            None => None,
            Some(url) => Some(
                PublicUrl::parse(&url).map_err(|expected| ConfigError::Invalid {
                    key: "public_url".into(),
                    value: url.clone(),
                    expected,
                })?,
            ),
        };
        let smtp_url = match env("AIRTIME_SMTP_URL")
            .or(table.smtp_url)
            .filter(|url| !url.trim().is_empty())
        {
            None => None,
            Some(url) => Some(
                SmtpUrl::parse(&url).map_err(|expected| ConfigError::Invalid {
                    key: "smtp_url".into(),
                    // It may hold the relay's password.
                    value: "<redacted>".into(),
                    expected,
                })?,
            ),
        };
        let mail_from = env("AIRTIME_MAIL_FROM")
            .or(table.mail_from)
            .filter(|from| !from.trim().is_empty())
            .unwrap_or_else(|| "Airtime <no-reply@localhost>".into());
        let mail_from = mail_from.parse().map_err(|_| ConfigError::Invalid {
            key: "mail_from".into(),
            value: mail_from.clone(),
            expected: "an address like \"Airtime <no-reply@airtime.example.com>\"",
        })?;
        let cookie_secure = match env("AIRTIME_COOKIE_SECURE")
            .or(table.cookie_secure)
            .unwrap_or_else(|| "auto".into())
            .as_str()
        {
            "auto" => public_url.as_ref().is_some_and(PublicUrl::is_https),
            "true" => true,
            "false" => false,
            other => {
                return Err(ConfigError::Invalid {
                    key: "cookie_secure".into(),
                    value: other.into(),
                    expected: "auto, true or false",
                })
            }
        };
        let log_format = match env("LOG_FORMAT")
            .or(env("AIRTIME_LOG_FORMAT"))
            .or(table.log_format)
            .unwrap_or_default()
            .as_str()
        {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            "" if cfg!(debug_assertions) => LogFormat::Pretty,
            "" => LogFormat::Json,
            other => {
                return Err(ConfigError::Invalid {
                    key: "log_format".into(),
                    value: other.into(),
                    expected: "json or pretty",
                })
            }
        };

        let pose_model = env("AIRTIME_POSE_MODEL")
            .or(table.pose_model)
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("models").join("pose_landmarker_lite.task"));
        let breached_passwords = env("AIRTIME_BREACHED_PASSWORDS")
            .or(table.breached_passwords)
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("passwords").join("breached-passwords.bin"));
        let max_video_seconds = number(&env, "AIRTIME_MAX_VIDEO_SECONDS")?
            .or(table.max_video_seconds)
            .unwrap_or(60.0);

        let analysis_workers = match number(&env, "AIRTIME_ANALYSIS_WORKERS")?
            .or(table.analysis_workers)
            .unwrap_or(0)
        {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };

        Ok(Self {
            pose_model,
            breached_passwords,
            max_video_seconds,
            max_upload_mb: number(&env, "AIRTIME_MAX_UPLOAD_MB")?
                .or(table.max_upload_mb)
                .unwrap_or(300),
            guest_retention: Duration::from_secs(
                3600 * number(&env, "AIRTIME_GUEST_RETENTION_HOURS")?
                    .or(table.guest_retention_hours)
                    .unwrap_or(24),
            ),
            guest_uploads_per_ip_per_hour: number(&env, "AIRTIME_GUEST_UPLOADS_PER_IP_PER_HOUR")?
                .or(table.guest_uploads_per_ip_per_hour)
                .unwrap_or(20),
            user_uploads_per_hour: number(&env, "AIRTIME_USER_UPLOADS_PER_HOUR")?
                .or(table.user_uploads_per_hour)
                .unwrap_or(200),
            guest_active_analyses: number(&env, "AIRTIME_GUEST_ACTIVE_ANALYSES")?
                .or(table.guest_active_analyses)
                .unwrap_or(1),
            user_active_analyses: number(&env, "AIRTIME_USER_ACTIVE_ANALYSES")?
                .or(table.user_active_analyses)
                .unwrap_or(3),
            analysis_workers,
            job_max_attempts: number(&env, "AIRTIME_JOB_MAX_ATTEMPTS")?
                .or(table.job_max_attempts)
                .unwrap_or(3)
                .max(1),
            expiry_sweep_interval: Duration::from_secs(
                number(&env, "AIRTIME_EXPIRY_SWEEP_SECONDS")?
                    .or(table.expiry_sweep_seconds)
                    .unwrap_or(300)
                    .max(1),
            ),
            guest_storage_mb: number(&env, "AIRTIME_GUEST_STORAGE_MB")?
                .or(table.guest_storage_mb)
                .unwrap_or(1000),
            user_storage_mb: number(&env, "AIRTIME_USER_STORAGE_MB")?
                .or(table.user_storage_mb)
                .unwrap_or(20_000),
            min_free_disk_mb: number(&env, "AIRTIME_MIN_FREE_DISK_MB")?
                .or(table.min_free_disk_mb)
                .unwrap_or(1000),
            concurrent_uploads: number(&env, "AIRTIME_CONCURRENT_UPLOADS")?
                .or(table.concurrent_uploads)
                .unwrap_or(8)
                .max(1),
            engine_memory_mb: number(&env, "AIRTIME_ENGINE_MEMORY_MB")?
                .or(table.engine_memory_mb)
                .unwrap_or(1536)
                .max(256),
            engine_max_wall: Duration::from_secs(
                number(&env, "AIRTIME_ENGINE_MAX_SECONDS")?
                    .or(table.engine_max_seconds)
                    .unwrap_or(300)
                    .max(10),
            ),
            engine_program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("airtime")),
            node_name: env("AIRTIME_NODE_NAME")
                .or(table.node_name)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("{}:{}", hostname(), leptos.site_addr.port())),
            data_dir,
            database_url,
            cookie_secure,
            public_url,
            smtp_url,
            mail_from,
            session_inactivity_days: number(&env, "AIRTIME_SESSION_INACTIVITY_DAYS")?
                .or(table.session_inactivity_days)
                .unwrap_or(14),
            session_lifetime: Duration::from_secs(
                24 * 3600
                    * number(&env, "AIRTIME_SESSION_LIFETIME_DAYS")?
                        .or(table.session_lifetime_days)
                        .unwrap_or(30),
            ),
            signin_failures_per_account: number(&env, "AIRTIME_SIGNIN_FAILURES_PER_ACCOUNT")?
                .or(table.signin_failures_per_account)
                .unwrap_or(5),
            signin_failures_per_ip: number(&env, "AIRTIME_SIGNIN_FAILURES_PER_IP")?
                .or(table.signin_failures_per_ip)
                .unwrap_or(20),
            signin_window: Duration::from_secs(
                60 * number(&env, "AIRTIME_SIGNIN_WINDOW_MINUTES")?
                    .or(table.signin_window_minutes)
                    .unwrap_or(15),
            ),
            signups_per_ip_per_hour: number(&env, "AIRTIME_SIGNUPS_PER_IP_PER_HOUR")?
                .or(table.signups_per_ip_per_hour)
                .unwrap_or(10),
            // `trust_forwarded_for = true` (the older setting) means one proxy.
            trusted_proxies: match env("AIRTIME_TRUSTED_PROXIES")
                .map(ProxiesValue::List)
                .or(table.trusted_proxies)
            {
                Some(ProxiesValue::Count(n)) => TrustedProxies::from_count(n),
                Some(ProxiesValue::List(text)) => {
                    TrustedProxies::parse(&text).map_err(|expected| ConfigError::Invalid {
                        key: "trusted_proxies".into(),
                        value: text.clone(),
                        expected,
                    })?
                }
                None => TrustedProxies::from_count(u32::from(
                    number(&env, "AIRTIME_TRUST_FORWARDED_FOR")?
                        .or(table.trust_forwarded_for)
                        .unwrap_or(false),
                )),
            },
            log_format,
            leptos,
        })
    }

    pub fn site_addr(&self) -> SocketAddr {
        self.leptos.site_addr
    }

    /// The configured public URL, or plain http at the address the server listens on.
    pub fn public_url(&self) -> PublicUrl {
        self.public_url
            .clone()
            .unwrap_or_else(|| PublicUrl::for_listener(self.site_addr()))
    }

    /// What a video may be, as configured (duration; the size and codec limits are fixed).
    pub fn video_limits(&self) -> crate::analysis::video::VideoLimits {
        crate::analysis::video::VideoLimits {
            max_duration_s: self.max_video_seconds,
            ..Default::default()
        }
    }

    /// How analysis children are started and bounded.
    pub fn engine_config(&self) -> crate::server::engine::EngineConfig {
        crate::server::engine::EngineConfig {
            program: self.engine_program.clone(),
            pose_model: self.pose_model.clone(),
            memory_bytes: self.engine_memory_mb.saturating_mul(1_000_000),
            max_wall: self.engine_max_wall,
        }
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb.saturating_mul(1_000_000)
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn number<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    key: &str,
) -> Result<Option<T>, ConfigError> {
    env(key)
        .map(|value| parse(key, &value, "a number or true/false"))
        .transpose()
}

fn parse<T: std::str::FromStr>(
    key: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Invalid {
        key: key.into(),
        value: value.into(),
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_env(vars: &[(&str, &str)]) -> Settings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_sources(DEFAULT_CONFIG, |k| vars.get(k).cloned()).unwrap()
    }

    #[test]
    fn defaults_are_sqlite_under_data_on_loopback() {
        let s = with_env(&[]);
        assert_eq!(s.database_url, "sqlite://data/airtime.db?mode=rwc");
        assert_eq!(s.site_addr().to_string(), "127.0.0.1:3000");
        assert!(!s.cookie_secure, "the default public URL is plain http");
        assert_eq!(s.public_url().to_string(), "http://127.0.0.1:3000");
        assert_eq!(s.signin_failures_per_account, 5);
        assert_eq!(s.leptos.output_name.as_ref(), "airtime");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = with_env(&[
            ("AIRTIME_DATA_DIR", "/srv/airtime"),
            ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
            ("AIRTIME_SIGNIN_FAILURES_PER_ACCOUNT", "3"),
            ("LOG_FORMAT", "pretty"),
        ]);
        assert_eq!(s.database_url, "sqlite:///srv/airtime/airtime.db?mode=rwc");
        assert!(
            !s.cookie_secure,
            "no public URL: plain http at the listener"
        );
        assert_eq!(s.public_url().to_string(), "http://127.0.0.1:8080");
        assert_eq!(s.signin_failures_per_account, 3);
        assert_eq!(s.log_format, LogFormat::Pretty);
        let public = with_env(&[("AIRTIME_PUBLIC_URL", "https://airtime.example.com/")]);
        assert!(
            public.cookie_secure,
            "an https public URL makes cookies Secure"
        );
        assert_eq!(
            public.public_url().to_string(),
            "https://airtime.example.com"
        );
        let proxies = with_env(&[("AIRTIME_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")]);
        assert!(matches!(proxies.trusted_proxies, TrustedProxies::Networks(ref n) if n.len() == 2));
        assert_eq!(
            with_env(&[("AIRTIME_TRUSTED_PROXIES", "2")]).trusted_proxies,
            TrustedProxies::Count(2)
        );
        assert_eq!(with_env(&[]).trusted_proxies, TrustedProxies::None);
        let pg = with_env(&[("DATABASE_URL", "postgres://127.0.0.1/test")]);
        assert_eq!(pg.database_url, "postgres://127.0.0.1/test");
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = Settings::from_sources(DEFAULT_CONFIG, |k| {
            (k == "AIRTIME_COOKIE_SECURE").then(|| "maybe".to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("cookie_secure"), "{err}");
        let err = Settings::from_sources(DEFAULT_CONFIG, |k| {
            (k == "AIRTIME_PUBLIC_URL").then(|| "airtime.example.com".to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("public_url"), "{err}");
    }
}
