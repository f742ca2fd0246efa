//! Settings: defaults, then `Leptos.toml` (the `[airtime]` table and leptos' own section),
//! then environment variables, validated in one place. Kept apart from start-up so tests can
//! build settings without files.

mod table;

use super::{mail::SmtpUrl, public_url::PublicUrl, trusted_proxies::TrustedProxies};
use leptos::config::{get_config_from_str, LeptosOptions};
use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};
pub use table::{AirtimeTable, ProxiesValue};

/// Used when no Leptos.toml is found, so the binary also runs from any directory.
const DEFAULT_CONFIG: &str = include_str!("../../../Leptos.toml");

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
        Self::from_sources(&text, std::env::vars().collect())
    }

    /// The built-in defaults (the shipped Leptos.toml) without the environment: for tests.
    pub fn defaults() -> Self {
        Self::from_sources(DEFAULT_CONFIG, HashMap::new())
            .expect("the shipped Leptos.toml is valid")
    }

    /// Layers the `[airtime]` table of `text` over the defaults ([`AirtimeTable`]), and the
    /// `AIRTIME_<KEY>` variables of `env` over both (plus `DATABASE_URL` and `LOG_FORMAT`),
    /// then validates the result in one place.
    pub fn from_sources(text: &str, env: HashMap<String, String>) -> Result<Self, ConfigError> {
        let table = layered(text, &env)?;
        // leptos applies LEPTOS_* variables itself, from the real environment.
        let mut leptos =
            get_config_from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        if let Some(addr) = env.get("LEPTOS_SITE_ADDR") {
            leptos.site_addr = parse("LEPTOS_SITE_ADDR", addr, "host:port")?;
        }
        Self::validate(table, leptos)
    }

    fn validate(t: AirtimeTable, leptos: LeptosOptions) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(&t.data_dir);
        let database_url = non_empty(&t.database_url).map_or_else(
            || {
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("airtime.db").display()
                )
            },
            str::to_string,
        );
        let public_url = non_empty(&t.public_url)
            .map(|url| {
                PublicUrl::parse(url).map_err(|expected| invalid("public_url", url, expected))
            })
            .transpose()?;
        let smtp_url = non_empty(&t.smtp_url)
            .map(|url| {
                // It may hold the relay's password.
                SmtpUrl::parse(url).map_err(|expected| invalid("smtp_url", "<redacted>", expected))
            })
            .transpose()?;
        let mail_from = t.mail_from.parse().map_err(|_| {
            invalid(
                "mail_from",
                &t.mail_from,
                "an address like \"Airtime <no-reply@airtime.example.com>\"",
            )
        })?;
        let cookie_secure = match t.cookie_secure.as_str() {
            "auto" => public_url.as_ref().is_some_and(PublicUrl::is_https),
            "true" => true,
            "false" => false,
            other => return Err(invalid("cookie_secure", other, "auto, true or false")),
        };
        let log_format = match t.log_format.as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            "" if cfg!(debug_assertions) => LogFormat::Pretty,
            "" => LogFormat::Json,
            other => return Err(invalid("log_format", other, "json or pretty")),
        };
        let trusted_proxies = match &t.trusted_proxies {
            ProxiesValue::Count(0) if t.trust_forwarded_for => TrustedProxies::from_count(1),
            ProxiesValue::Count(n) => TrustedProxies::from_count(*n),
            ProxiesValue::List(text) => TrustedProxies::parse(text)
                .map_err(|expected| invalid("trusted_proxies", text, expected))?,
        };
        let path_or =
            |value: &str, default: PathBuf| non_empty(value).map_or(default, PathBuf::from);
        Ok(Self {
            pose_model: path_or(
                &t.pose_model,
                data_dir.join("models").join("pose_landmarker_lite.task"),
            ),
            breached_passwords: path_or(
                &t.breached_passwords,
                data_dir.join("passwords").join("breached-passwords.bin"),
            ),
            max_video_seconds: t.max_video_seconds,
            max_upload_mb: t.max_upload_mb,
            guest_retention: Duration::from_secs(3600 * t.guest_retention_hours),
            guest_uploads_per_ip_per_hour: t.guest_uploads_per_ip_per_hour,
            user_uploads_per_hour: t.user_uploads_per_hour,
            guest_active_analyses: t.guest_active_analyses,
            user_active_analyses: t.user_active_analyses,
            analysis_workers: match t.analysis_workers {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            },
            job_max_attempts: t.job_max_attempts.max(1),
            expiry_sweep_interval: Duration::from_secs(t.expiry_sweep_seconds.max(1)),
            guest_storage_mb: t.guest_storage_mb,
            user_storage_mb: t.user_storage_mb,
            min_free_disk_mb: t.min_free_disk_mb,
            concurrent_uploads: t.concurrent_uploads.max(1),
            engine_memory_mb: t.engine_memory_mb.max(256),
            engine_max_wall: Duration::from_secs(t.engine_max_seconds.max(10)),
            engine_program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("airtime")),
            node_name: non_empty(&t.node_name).map_or_else(
                || format!("{}:{}", hostname(), leptos.site_addr.port()),
                str::to_string,
            ),
            data_dir,
            database_url,
            cookie_secure,
            public_url,
            smtp_url,
            mail_from,
            session_inactivity_days: t.session_inactivity_days,
            session_lifetime: Duration::from_secs(24 * 3600 * t.session_lifetime_days),
            signin_failures_per_account: t.signin_failures_per_account,
            signin_failures_per_ip: t.signin_failures_per_ip,
            signin_window: Duration::from_secs(60 * t.signin_window_minutes),
            signups_per_ip_per_hour: t.signups_per_ip_per_hour,
            trusted_proxies,
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
    pub fn video_limits(&self) -> airtime_engine::video::VideoLimits {
        airtime_engine::video::VideoLimits {
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

/// Keys read from their conventional variable rather than `AIRTIME_<KEY>`.
const ENV_ALIASES: [(&str, &str); 2] = [
    ("database_url", "DATABASE_URL"),
    ("log_format", "LOG_FORMAT"),
];

/// The defaults, then the file's `[airtime]` table, then the environment.
fn layered(text: &str, env: &HashMap<String, String>) -> Result<AirtimeTable, ConfigError> {
    let file: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
    let airtime = match file.get("airtime") {
        None => toml::Table::new(),
        Some(toml::Value::Table(table)) => table.clone(),
        Some(_) => return Err(ConfigError::Parse("[airtime] must be a table".into())),
    };
    let known = AirtimeTable::defaults_as_toml();
    if let Some(unknown) = airtime.keys().find(|key| !known.contains_key(*key)) {
        return Err(ConfigError::Parse(format!(
            "unknown key {unknown:?} in [airtime]"
        )));
    }
    let airtime = toml::to_string(&airtime).map_err(|e| ConfigError::Parse(e.to_string()))?;
    // Keys left out of both take their defaults from `AirtimeTable`'s `serde(default)`.
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(&airtime, config::FileFormat::Toml))
        .add_source(
            config::Environment::with_prefix("AIRTIME")
                .try_parsing(true)
                .source(Some(env.clone().into_iter().collect())),
        );
    for (key, variable) in ENV_ALIASES {
        builder = builder
            .set_override_option(key, env.get(variable).cloned())
            .map_err(layer_error)?;
    }
    builder
        .build()
        .and_then(config::Config::try_deserialize)
        .map_err(layer_error)
}

/// `config` names the key (and where its value came from) in its messages.
fn layer_error(e: config::ConfigError) -> ConfigError {
    ConfigError::Parse(e.to_string())
}

fn non_empty(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

fn invalid(key: &str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        value: value.into(),
        expected,
    }
}

fn parse<T: std::str::FromStr>(
    key: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(key, value, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> HashMap<String, String> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn with_env(vars: &[(&str, &str)]) -> Settings {
        Settings::from_sources(DEFAULT_CONFIG, env(vars)).unwrap()
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
        let err =
            Settings::from_sources(DEFAULT_CONFIG, env(&[("AIRTIME_COOKIE_SECURE", "maybe")]))
                .unwrap_err();
        assert!(err.to_string().contains("cookie_secure"), "{err}");
        let err = Settings::from_sources(
            DEFAULT_CONFIG,
            env(&[("AIRTIME_PUBLIC_URL", "airtime.example.com")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("public_url"), "{err}");
        let err = Settings::from_sources(DEFAULT_CONFIG, env(&[("AIRTIME_MAX_UPLOAD_MB", "lots")]))
            .unwrap_err();
        assert!(err.to_string().contains("max_upload_mb"), "{err}");
        let err = Settings::from_sources(
            DEFAULT_CONFIG,
            env(&[("AIRTIME_SMTP_URL", "http://user:hunter2@relay")]),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn the_file_overrides_the_defaults_and_unknown_keys_are_refused() {
        let leptos = &DEFAULT_CONFIG[DEFAULT_CONFIG.find("[package.metadata.leptos]").unwrap()..];
        let text =
            format!("[airtime]\nsignups_per_ip_per_hour = 3\ntrust_forwarded_for = true\n{leptos}");
        let s = Settings::from_sources(&text, HashMap::new()).unwrap();
        assert_eq!(s.signups_per_ip_per_hour, 3);
        assert_eq!(
            s.signin_failures_per_ip, 20,
            "a key the file leaves out keeps its default"
        );
        assert_eq!(
            s.trusted_proxies,
            TrustedProxies::Count(1),
            "the older setting still works"
        );
        let text = format!("[airtime]\nsignup_per_ip = 3\n{leptos}");
        let err = Settings::from_sources(&text, HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("signup_per_ip"), "{err}");
    }

    #[test]
    fn the_shipped_file_states_the_defaults() {
        let file: toml::Table = toml::from_str(DEFAULT_CONFIG).unwrap();
        let shipped: AirtimeTable = file["airtime"].clone().try_into().unwrap();
        let defaults = AirtimeTable::defaults_as_toml();
        let shipped_keys = toml::Table::try_from(&shipped).unwrap();
        for (key, value) in &defaults {
            assert_eq!(Some(value), shipped_keys.get(key), "Leptos.toml's {key}");
            if key == "trust_forwarded_for" {
                continue; // the older setting, no longer shown
            }
            assert!(
                file["airtime"].as_table().unwrap().contains_key(key),
                "Leptos.toml lists {key}"
            );
        }
    }

    /// `(key, environment variable, default)` of each row of a Markdown table whose first cell
    /// starts with `key_prefix`; a row of several keys (`` `a`, `b` ``) gives one per key.
    fn documented_rows(markdown: &str, key_prefix: &str) -> Vec<(String, String, String)> {
        let mut rows = Vec::new();
        for line in markdown.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (Some(keys), Some(vars), Some(defaults)) =
                (cells.get(1), cells.get(2), cells.get(3))
            else {
                continue;
            };
            if !keys.starts_with(key_prefix) {
                continue;
            }
            let keys: Vec<&str> = keys.split(", ").collect();
            let vars: Vec<&str> = vars.split(", ").collect();
            let defaults: Vec<&str> = if keys.len() > 1 {
                defaults.split(", ").collect()
            } else {
                vec![defaults]
            };
            for (k, key) in keys.iter().enumerate() {
                let key = key.trim_start_matches(key_prefix).trim_matches('`');
                let var = vars.get(k).unwrap_or(&"").trim_matches('`');
                rows.push((
                    key.into(),
                    var.into(),
                    defaults.get(k).unwrap_or(&"").to_string(),
                ));
            }
        }
        rows
    }

    /// The default as the documentation writes it: the first `code` span.
    fn documented_default(cell: &str) -> String {
        cell.split('`').nth(1).unwrap_or_default().to_string()
    }

    fn default_text(value: &toml::Value) -> String {
        match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Float(f) => format!("{f}"),
            other => other.to_string(),
        }
    }

    fn environment_variable(key: &str) -> String {
        ENV_ALIASES
            .iter()
            .find(|(aliased, _)| *aliased == key)
            .map_or_else(
                || format!("AIRTIME_{}", key.to_uppercase()),
                |(_, v)| v.to_string(),
            )
    }

    #[test]
    fn the_documented_keys_variables_and_defaults_are_the_real_ones() {
        let defaults = AirtimeTable::defaults_as_toml();
        let full = documented_rows(
            include_str!("../../../docs/configuration.md"),
            "`[airtime] ",
        );
        for key in defaults.keys().filter(|k| *k != "trust_forwarded_for") {
            assert!(
                full.iter().any(|(k, _, _)| k == key),
                "docs/configuration.md documents {key}"
            );
        }
        let readme = documented_rows(include_str!("../../../README.md"), "`");
        let readme = readme
            .into_iter()
            .filter(|(k, _, _)| defaults.contains_key(k));
        for (key, var, default) in full.into_iter().chain(readme) {
            let Some(value) = defaults.get(&key) else {
                panic!("{key} is documented but not a setting");
            };
            assert_eq!(var, environment_variable(&key), "the variable of {key}");
            // An empty default stands for one derived at start-up, which the cell explains.
            let actual = default_text(value);
            if !actual.is_empty() {
                assert_eq!(
                    documented_default(&default),
                    actual,
                    "{key}: documented default {default:?}"
                );
            }
        }
    }
}
