//! Moving guests' analyses into accounts: automatically when the guest signs up or in, or with a
//! single-use claim link on another device.
//!
//! The rows move in one transaction, which also records where the files still are
//! (`moved_from`); the files move after it. A crash in between leaves `moved_from` set, and the
//! next start finishes the move, so nothing is lost.

use crate::domain::ids::{AnalysisId, GuestId, UserId};
use sqlx::Row;

use super::owner::Owner;
use crate::{
    error::AppError,
    server::{
        audit::{self, AuditEvent},
        client::ClientInfo,
        link_token::{hash_token, is_well_formed, new_token},
        state::AppState,
        time::unix_now,
    },
};

pub struct Claimed {
    pub analysis_id: AnalysisId,
    pub from_prefix: String,
    pub to_prefix: String,
}

/// Moves every unexpired analysis of `guest_id` to `user_id`; returns how many.
pub async fn claim_guest_analyses(
    state: &AppState,
    guest_id: &GuestId,
    user_id: &UserId,
    client: &ClientInfo,
) -> Result<usize, AppError> {
    let now = unix_now();
    let mut tx = state.db.pool.begin().await?;
    let rows = sqlx::query(
        "SELECT id, storage_prefix FROM analyses WHERE guest_id = $1 AND expires_at > $2",
    )
    .bind(guest_id.to_string())
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::new();
    for row in rows {
        let id = AnalysisId::from(row.try_get::<String, _>("id")?);
        let from: String = row.try_get("storage_prefix")?;
        let to = Owner::User(user_id.clone()).storage_prefix(&id);
        let moved = sqlx::query(
            "UPDATE analyses SET user_id = $1, guest_id = NULL, expires_at = NULL, \
             storage_prefix = $2, moved_from = $3 WHERE id = $4 AND guest_id = $5",
        )
        .bind(user_id.to_string())
        .bind(to.clone())
        .bind(from.clone())
        .bind(id.to_string())
        .bind(guest_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 1 {
            claimed.push(Claimed {
                analysis_id: id,
                from_prefix: from,
                to_prefix: to,
            });
        }
    }
    tx.commit().await?;
    finish_claims(state, &claimed, user_id, client).await?;
    Ok(claimed.len())
}

/// Redeems a claim link for `user_id`; returns the analysis id. Of two racing redemptions of
/// one token exactly one wins; the other, like any unusable token, gets `AppError::InvalidClaimLink`.
pub async fn claim_with_token(
    state: &AppState,
    token: &str,
    user_id: &UserId,
    client: &ClientInfo,
) -> Result<AnalysisId, AppError> {
    let invalid = || AppError::InvalidClaimLink;
    if !is_well_formed(token) {
        return Err(invalid());
    }
    let now = unix_now();
    let mut tx = state.db.pool.begin().await?;
    let Some(row) = sqlx::query(
        "UPDATE claim_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND expires_at > $1 RETURNING analysis_id",
    )
    .bind(now)
    .bind(hash_token(token))
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(invalid());
    };
    let id = AnalysisId::from(row.try_get::<String, _>("analysis_id")?);
    let to = Owner::User(user_id.clone()).storage_prefix(&id);
    let Some(row) = sqlx::query(
        "UPDATE analyses SET user_id = $1, guest_id = NULL, expires_at = NULL, \
         storage_prefix = $2, moved_from = storage_prefix \
         WHERE id = $3 AND guest_id IS NOT NULL AND expires_at > $4 RETURNING moved_from",
    )
    .bind(user_id.to_string())
    .bind(to.clone())
    .bind(id.to_string())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?
    else {
        // Already in an account or expired: the token is spent either way.
        tx.commit().await?;
        return Err(invalid());
    };
    let from: String = row.try_get("moved_from")?;
    tx.commit().await?;
    let claimed = [Claimed {
        analysis_id: id.clone(),
        from_prefix: from,
        to_prefix: to,
    }];
    finish_claims(state, &claimed, user_id, client).await?;
    Ok(id)
}

/// A new claim link token for a guest's analysis; it expires with the analysis.
pub async fn create_token(
    state: &AppState,
    analysis_id: &AnalysisId,
    expires_at: i64,
) -> Result<String, AppError> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO claim_tokens (token_hash, analysis_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(analysis_id.to_string())
    .bind(unix_now())
    .bind(expires_at)
    .execute(&state.db.pool)
    .await?;
    Ok(token)
}

/// Finishes file moves a crash interrupted (run at start-up).
pub async fn finish_interrupted_moves(state: &AppState) -> Result<usize, AppError> {
    let rows = sqlx::query(
        "SELECT id, storage_prefix, moved_from FROM analyses WHERE moved_from IS NOT NULL",
    )
    .fetch_all(&state.db.pool)
    .await?;
    let mut finished = 0;
    for row in rows {
        let claimed = Claimed {
            analysis_id: row.try_get::<String, _>("id")?.into(),
            to_prefix: row.try_get("storage_prefix")?,
            from_prefix: row.try_get("moved_from")?,
        };
        move_files(state, &claimed).await?;
        finished += 1;
    }
    if finished > 0 {
        tracing::info!(
            event = "claim_moves_finished",
            count = finished,
            "interrupted file moves finished"
        );
    }
    Ok(finished)
}

async fn finish_claims(
    state: &AppState,
    claimed: &[Claimed],
    user_id: &UserId,
    client: &ClientInfo,
) -> Result<(), AppError> {
    for claim in claimed {
        move_files(state, claim).await?;
        audit::record_analysis(
            &state.db,
            AuditEvent::AnalysisClaimed,
            Some(user_id),
            &claim.analysis_id,
            client,
        )
        .await?;
    }
    Ok(())
}

async fn move_files(state: &AppState, claim: &Claimed) -> Result<(), AppError> {
    state
        .storage
        .move_prefix(&claim.from_prefix, &claim.to_prefix)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, analysis_id = %claim.analysis_id, "could not move claimed files");
            AppError::Internal
        })?;
    sqlx::query("UPDATE analyses SET moved_from = NULL WHERE id = $1")
        .bind(claim.analysis_id.to_string())
        .execute(&state.db.pool)
        .await?;
    Ok(())
}
