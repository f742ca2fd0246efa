//! The audit log: who did what security-relevant thing, from where, and when.
//! Never a password, hash, cookie or token. Each entry is also logged as a domain event.

use super::{client::ClientInfo, db::Database, time::unix_now};
use crate::domain::ids::{AnalysisId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    SignUp,
    SignInOk,
    SignInFailed,
    SignOut,
    Lockout,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    AccountDeleted,
    SessionEnded,
    OtherSessionsEnded,
    AnalysisUploaded,
    AnalysisDeleted,
    AnalysisClaimed,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUp => "sign_up",
            Self::SignInOk => "sign_in_ok",
            Self::SignInFailed => "sign_in_failed",
            Self::SignOut => "sign_out",
            Self::Lockout => "lockout",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::AccountDeleted => "account_deleted",
            Self::SessionEnded => "session_ended",
            Self::OtherSessionsEnded => "other_sessions_ended",
            Self::AnalysisUploaded => "analysis_uploaded",
            Self::AnalysisDeleted => "analysis_deleted",
            Self::AnalysisClaimed => "analysis_claimed",
        }
    }

    /// The name of the structured log event.
    fn log_name(self) -> &'static str {
        match self {
            Self::SignUp => "user_signed_up",
            Self::SignInOk => "user_signed_in",
            Self::SignInFailed => "signin_failed",
            Self::SignOut => "user_signed_out",
            Self::Lockout => "signin_locked_out",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_mailed",
            Self::PasswordReset => "password_reset",
            Self::AccountDeleted => "account_deleted",
            Self::SessionEnded => "session_ended",
            Self::OtherSessionsEnded => "other_sessions_ended",
            Self::AnalysisUploaded => "upload_received",
            Self::AnalysisDeleted => "analysis_deleted",
            Self::AnalysisClaimed => "analysis_claimed",
        }
    }
}

pub async fn record(
    db: &Database,
    event: AuditEvent,
    user_id: Option<&UserId>,
    client: &ClientInfo,
) -> Result<(), sqlx::Error> {
    insert(db, event, user_id, None, client).await
}

/// An entry about one analysis (its owner may be a guest: then `user_id` is `None`).
pub async fn record_analysis(
    db: &Database,
    event: AuditEvent,
    user_id: Option<&UserId>,
    analysis_id: &AnalysisId,
    client: &ClientInfo,
) -> Result<(), sqlx::Error> {
    insert(db, event, user_id, Some(analysis_id), client).await
}

async fn insert(
    db: &Database,
    event: AuditEvent,
    user_id: Option<&UserId>,
    analysis_id: Option<&AnalysisId>,
    client: &ClientInfo,
) -> Result<(), sqlx::Error> {
    let ip = client.ip.to_string();
    tracing::info!(
        event = event.log_name(),
        user_id = user_id.map(UserId::as_str).unwrap_or_default(),
        analysis_id = analysis_id.map(AnalysisId::as_str).unwrap_or_default(),
        ip = %ip,
        "audit"
    );
    sqlx::query(
        "INSERT INTO audit_log (id, at, event, user_id, ip, user_agent, analysis_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(unix_now())
    .bind(event.as_str())
    .bind(user_id.map(UserId::to_string))
    .bind(ip)
    .bind(client.user_agent.clone())
    .bind(analysis_id.map(AnalysisId::to_string))
    .execute(&db.pool)
    .await?;
    Ok(())
}
