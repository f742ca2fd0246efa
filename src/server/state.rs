use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

use super::{
    accounts::password_hash::PasswordHasher, config::Settings, db::Database, throttle::Throttle,
};

/// Shared by every handler; leptos_axum also provides it as context to server functions.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Database,
    pub hasher: PasswordHasher,
    pub throttles: Arc<Throttles>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[derive(Debug)]
pub struct Throttles {
    pub signin_per_account: Throttle,
    pub signin_per_ip: Throttle,
    pub signups: Throttle,
}

impl Throttles {
    pub fn new(settings: &Settings) -> Self {
        Self {
            signin_per_account: Throttle::new(
                settings.signin_failures_per_account,
                settings.signin_window,
            ),
            signin_per_ip: Throttle::new(settings.signin_failures_per_ip, settings.signin_window),
            signups: Throttle::new(
                settings.signups_per_ip_per_hour,
                std::time::Duration::from_secs(3600),
            ),
        }
    }
}
