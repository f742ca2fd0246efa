//! Airtime: jump testing from phone videos.
//!
//! One crate, two builds: `ssr` is the axum server binary, `hydrate` the WASM front end.
//! `app` (pages and components), `api` (server functions), `domain`, `labels` and `error` are
//! shared; `server` (configuration, storage, middleware, services) and `cli` exist only in the
//! server build. The jump analysis lives in the workspace's crates: `airtime-kinematics`
//! (pure, shared with the browser) and `airtime-engine` (video and pose, server only).

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod domain;
pub mod error;
pub mod labels;

#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
