//! The app over HTTP, in one test binary: every module spawns the real server (random port,
//! fresh database, real ffmpeg and pose model) the way `main` does, and runs each scenario on
//! SQLite and on PostgreSQL when it answers (under CI it must).

#[macro_use]
mod common;
#[path = "../clips/mod.rs"]
mod clips;

mod analyses;
mod athletes;
mod claims;
mod security;
