//! Deletes guests' analyses once they expire: files first, then the row, so a failure leaves
//! the row to be swept again rather than files nobody can reach.

use std::time::Duration;

use super::repo;
use crate::server::{state::AppState, time::unix_now};

const BATCH: i64 = 100;

pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.settings.expiry_sweep_interval);
        loop {
            tick.tick().await;
            let storage = state.storage.clone();
            let _ = tokio::task::spawn_blocking(move || storage.remove_stale_temp_files()).await;
            match sweep_expired(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    event = "expired_analyses_deleted",
                    count = n,
                    "expired guest analyses deleted"
                ),
                Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
            }
        }
    });
}

/// Deletes every expired analysis; returns how many.
pub async fn sweep_expired(state: &AppState) -> Result<usize, String> {
    let mut deleted = 0;
    loop {
        let batch = repo::expired(&state.db, unix_now(), BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let mut progressed = false;
        for (id, prefix) in &batch {
            // The row goes first, and only if no claim moved it meanwhile: a claim that wins
            // keeps its files, and one that loses finds no analysis to claim.
            let gone = repo::delete_expired(&state.db, id, prefix, unix_now())
                .await
                .map_err(|e| e.to_string())?;
            progressed = true;
            if !gone {
                continue;
            }
            if let Err(e) = state.storage.delete_prefix(prefix).await {
                tracing::warn!(error = %e, analysis_id = %id, "could not delete expired files");
            }
            deleted += 1;
        }
        if (batch.len() as i64) < BATCH || !progressed {
            return Ok(deleted);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
