//! OWASP ASVS 4.0 (level 2) against the real app over HTTP: one module per chapter, each test
//! named by the requirement it checks (`v2_2_1_…` checks V2.2.1), on SQLite always and on
//! PostgreSQL when it answers (under CI it must). `scripts/asvs-coverage` prints the table.

#[macro_use]
mod common;
#[path = "security/v13_api.rs"]
mod v13_api;
#[path = "security/v14_configuration.rs"]
mod v14_configuration;
#[path = "security/v2_authentication.rs"]
mod v2_authentication;
#[path = "security/v3_sessions.rs"]
mod v3_sessions;
#[path = "security/v4_access_control.rs"]
mod v4_access_control;
#[path = "security/v5_validation.rs"]
mod v5_validation;
#[path = "security/v7_logging.rs"]
mod v7_logging;

/// The password the scenarios sign up with.
const PASSWORD: &str = "jump-higher-2026";
