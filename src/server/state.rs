use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

use super::{
    accounts::{breached::BreachedPasswords, device::DeviceKey, password_hash::PasswordHasher},
    config::Settings,
    db::Database,
    jobs::JobSignal,
    mail::Mailer,
    storage::Storage,
    throttle::Throttle,
};

/// Shared by every handler; leptos_axum also provides it as context to server functions.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Database,
    pub hasher: PasswordHasher,
    pub breached_passwords: BreachedPasswords,
    pub device_key: DeviceKey,
    pub throttles: Arc<Throttles>,
    pub storage: Storage,
    /// Wakes the analysis workers when an upload queues a job.
    pub jobs: JobSignal,
    /// One permit per upload being received and probed (`concurrent_uploads`).
    pub upload_slots: Arc<tokio::sync::Semaphore>,
    /// `None` when no SMTP relay is set up: password resets are then unavailable.
    pub mailer: Option<Mailer>,
    /// Emails being prepared and sent at once; a request beyond them gets 503.
    pub mail_slots: Arc<tokio::sync::Semaphore>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug)]
pub struct Throttles {
    pub signin_per_account: Throttle,
    pub signin_per_ip: Throttle,
    pub signups: Throttle,
    pub guest_uploads: Throttle,
    pub user_uploads: Throttle,
    pub reset_requests_per_ip: Throttle,
    /// Keyed by the email asked for, whether or not it has an account: a stranger cannot
    /// flood a coach's inbox, and the answer says nothing about the address.
    pub reset_requests_per_email: Throttle,
}

/// Reset emails asked for per hour, from one address and for one email.
const RESET_REQUESTS_PER_IP_PER_HOUR: u32 = 10;
const RESET_REQUESTS_PER_EMAIL_PER_HOUR: u32 = 3;

impl Throttles {
    pub fn new(settings: &Settings) -> Self {
        Self {
            signin_per_account: Throttle::new(
                settings.signin_failures_per_account,
                settings.signin_window,
            ),
            signin_per_ip: Throttle::new(settings.signin_failures_per_ip, settings.signin_window),
            signups: Throttle::new(settings.signups_per_ip_per_hour, HOUR),
            guest_uploads: Throttle::new(settings.guest_uploads_per_ip_per_hour, HOUR),
            user_uploads: Throttle::new(settings.user_uploads_per_hour, HOUR),
            reset_requests_per_ip: Throttle::new(RESET_REQUESTS_PER_IP_PER_HOUR, HOUR),
            reset_requests_per_email: Throttle::new(RESET_REQUESTS_PER_EMAIL_PER_HOUR, HOUR),
        }
    }
}
