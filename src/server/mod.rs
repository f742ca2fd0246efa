//! Everything that exists only in the server build: configuration, start-up, storage,
//! middleware and the services the server functions call.

pub mod accounts;
pub mod analyses;
pub mod athletes;
pub mod audit;
pub mod client;
pub mod config;
pub mod context;
pub mod db;
pub mod engine;
pub mod error_response;
pub mod health;
pub mod jobs;
pub mod link_token;
pub mod listener;
pub mod mail;
pub mod middleware;
pub mod public_url;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod throttle;
pub mod time;
pub mod trusted_proxies;
