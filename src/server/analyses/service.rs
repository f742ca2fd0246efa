//! The analysis use cases behind the server functions and the download routes. Every one starts
//! from `find_visible`: an analysis that is not the requester's is "not found", never
//! "forbidden", so ids cannot be probed.

use super::{
    owner::Viewer,
    repo::{self, AnalysisRecord},
};
use crate::{
    analysis::Analysis,
    domain::analysis::{AnalysisProgress, AnalysisStatus, AnalysisView},
    error::AppError,
    server::{
        audit::{self, AuditEvent},
        state::AppState,
        time::unix_now,
    },
};

pub struct Analyses {
    state: AppState,
    viewer: Viewer,
}

impl Analyses {
    pub fn new(state: AppState, viewer: Viewer) -> Self {
        Self { state, viewer }
    }

    /// From inside a server function.
    pub async fn from_request() -> Result<Self, AppError> {
        Ok(Self::new(
            crate::server::context::app_state()?,
            Viewer::from_request().await?,
        ))
    }

    pub async fn find(&self, id: &str) -> Result<AnalysisRecord, AppError> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(AppError::NotFound);
        }
        repo::find_visible(&self.state.db, id, &self.viewer, unix_now())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn view(&self, id: &str) -> Result<AnalysisView, AppError> {
        let record = self.find(id).await?;
        let result = match (&record.status, &record.result_json) {
            (AnalysisStatus::Done, Some(json)) => Some(
                serde_json::from_str::<Analysis>(json).map_err(|e| {
                    tracing::error!(error = %e, analysis_id = %record.id, "stored result unreadable");
                    AppError::Internal
                })?,
            ),
            _ => None,
        };
        Ok(AnalysisView {
            progress: progress_of(&record),
            id: record.id,
            jump_type: record.jump_type,
            body_mass_kg: record.body_mass_kg,
            created_at: record.created_at,
            expires_at: record.expires_at,
            expires_in_s: record.expires_at.map(|at| (at - unix_now()).max(0)),
            video_duration_s: record.duration_s,
            result,
            key_frames: record.key_frames,
        })
    }

    pub async fn progress(&self, id: &str) -> Result<AnalysisProgress, AppError> {
        Ok(progress_of(&self.find(id).await?))
    }

    pub async fn cancel(&self, id: &str) -> Result<AnalysisProgress, AppError> {
        let record = self.find(id).await?;
        if repo::cancel(&self.state.db, &record.id, unix_now()).await? {
            tracing::info!(event = "analysis_cancel_requested", analysis_id = %record.id, "cancel requested");
        }
        self.progress(id).await
    }

    /// Deletes the analysis, its video and key frames.
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        let record = self.find(id).await?;
        repo::cancel(&self.state.db, &record.id, unix_now()).await?;
        self.state
            .storage
            .delete_prefix(&record.storage_prefix)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, analysis_id = %record.id, "could not delete files");
                AppError::Internal
            })?;
        repo::delete(&self.state.db, &record.id).await?;
        if let Some(client) = &self.viewer.client {
            audit::record_analysis(
                &self.state.db,
                AuditEvent::AnalysisDeleted,
                record.user_id.as_deref(),
                &record.id,
                client,
            )
            .await?;
        }
        Ok(())
    }
}

fn progress_of(record: &AnalysisRecord) -> AnalysisProgress {
    AnalysisProgress {
        status: record.status,
        stage: record.stage,
        fraction: if record.status == AnalysisStatus::Done {
            1.0
        } else {
            record.progress.clamp(0.0, 1.0)
        },
        error: record.error_message.clone(),
    }
}
