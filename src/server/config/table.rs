//! The `[airtime]` keys: their names, types and defaults, written once. `Leptos.toml` and the
//! `AIRTIME_<KEY>` environment variables are layered over these defaults by the `config` crate
//! (see [`super::Settings::from_sources`]); docs/configuration.md and the README document
//! them, and a test holds the three to the same names and defaults.

use serde::{Deserialize, Serialize};

/// The `[airtime]` table as written: plain values, before validation.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AirtimeTable {
    pub data_dir: String,
    /// Empty: SQLite under `data_dir`.
    pub database_url: String,
    /// Empty: plain http at the listening address.
    pub public_url: String,
    pub cookie_secure: String,
    /// May hold the relay's password: never printed (no `Debug` here).
    pub smtp_url: String,
    pub mail_from: String,
    pub session_inactivity_days: i64,
    pub session_lifetime_days: u64,
    pub signin_failures_per_account: u32,
    pub signin_failures_per_ip: u32,
    pub signin_window_minutes: u64,
    pub signups_per_ip_per_hour: u32,
    pub trusted_proxies: ProxiesValue,
    /// The older setting: `true` means one proxy, when `trusted_proxies` is not set.
    pub trust_forwarded_for: bool,
    /// Empty: json in release builds, pretty in debug builds.
    pub log_format: String,
    /// Empty: `<data_dir>/models/pose_landmarker_lite.task`.
    pub pose_model: String,
    /// Empty: `<data_dir>/passwords/breached-passwords.bin`.
    pub breached_passwords: String,
    pub max_video_seconds: f64,
    pub max_upload_mb: u64,
    pub guest_retention_hours: u64,
    pub guest_uploads_per_ip_per_hour: u32,
    pub user_uploads_per_hour: u32,
    pub guest_active_analyses: u32,
    pub user_active_analyses: u32,
    /// 0: one per CPU core.
    pub analysis_workers: usize,
    pub job_max_attempts: u32,
    pub expiry_sweep_seconds: u64,
    pub guest_storage_mb: u64,
    pub user_storage_mb: u64,
    pub min_free_disk_mb: u64,
    pub concurrent_uploads: usize,
    pub engine_memory_mb: u64,
    pub engine_max_seconds: u64,
    /// Empty: `<hostname>:<port>`.
    pub node_name: String,
}

/// `trusted_proxies = 1` or `trusted_proxies = "10.0.0.0/8, 192.168.1.5"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProxiesValue {
    Count(u32),
    List(String),
}

impl Default for AirtimeTable {
    fn default() -> Self {
        AirtimeTable {
            data_dir: "data".into(),
            database_url: String::new(),
            public_url: String::new(),
            cookie_secure: "auto".into(),
            smtp_url: String::new(),
            mail_from: "Airtime <no-reply@localhost>".into(),
            session_inactivity_days: 14,
            session_lifetime_days: 30,
            signin_failures_per_account: 5,
            signin_failures_per_ip: 20,
            signin_window_minutes: 15,
            signups_per_ip_per_hour: 10,
            trusted_proxies: ProxiesValue::Count(0),
            trust_forwarded_for: false,
            log_format: String::new(),
            pose_model: String::new(),
            breached_passwords: String::new(),
            max_video_seconds: 60.0,
            max_upload_mb: 300,
            guest_retention_hours: 24,
            guest_uploads_per_ip_per_hour: 20,
            user_uploads_per_hour: 200,
            guest_active_analyses: 1,
            user_active_analyses: 3,
            analysis_workers: 0,
            job_max_attempts: 3,
            expiry_sweep_seconds: 300,
            guest_storage_mb: 1000,
            user_storage_mb: 20_000,
            min_free_disk_mb: 1000,
            concurrent_uploads: 8,
            engine_memory_mb: 1536,
            engine_max_seconds: 300,
            node_name: String::new(),
        }
    }
}

impl AirtimeTable {
    /// The keys with their defaults, as TOML values (for the documentation checks and for
    /// refusing unknown keys in the file).
    pub fn defaults_as_toml() -> toml::Table {
        toml::Table::try_from(AirtimeTable::default()).expect("the table serialises")
    }
}
