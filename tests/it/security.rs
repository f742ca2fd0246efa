//! OWASP ASVS 4.0 (level 2) against the real app over HTTP: one module per chapter, each test
//! named by the requirement it checks (`v2_2_1_…` checks V2.2.1), on SQLite always and on
//! PostgreSQL when it answers (under CI it must). `scripts/asvs-coverage` prints the table.

mod v13_api;
mod v14_configuration;
mod v2_authentication;
mod v3_sessions;
mod v4_access_control;
mod v5_validation;
mod v7_logging;

/// The password the scenarios sign up with.
const PASSWORD: &str = "jump-higher-2026";
