//! The analysis use cases behind the server functions and the download routes. Every one starts
//! from `find_visible`: an analysis that is not the requester's is "not found", never
//! "forbidden", so ids cannot be probed.

use super::{
    claim, history,
    owner::{Viewer, SESSION_PENDING_CLAIM},
    repo::{self, AnalysisRecord},
};
use crate::{
    domain::{
        analysis::{AnalysisProgress, AnalysisStatus, AnalysisView},
        history::{ClaimOutcome, HistoryFilter, HistoryPage},
        ids::{AnalysisId, AthleteId},
    },
    error::{AppError, Field},
    server::{
        athletes,
        audit::{self, AuditEvent},
        link_token,
        state::AppState,
        time::unix_now,
    },
};
use airtime_kinematics::Analysis;

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
        let id = AnalysisId::from(id.to_string());
        repo::find_visible(&self.state.db, &id, &self.viewer, unix_now())
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
            id: record.id.to_string(),
            jump_type: record.jump_type,
            body_mass_kg: record.body_mass_kg,
            created_at: record.created_at,
            expires_at: record.expires_at,
            expires_in_s: record.expires_at.map(|at| (at - unix_now()).max(0)),
            video_duration_s: record.duration_s,
            result,
            key_frames: record.key_frames,
            athlete_id: record.athlete_id.map(|a| a.to_string()),
            owned_by_account: record.user_id.is_some(),
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

    /// A single-use link that saves this guest analysis into whichever account opens it.
    pub async fn create_claim_link(&self, id: &str) -> Result<String, AppError> {
        let record = self.find(id).await?;
        let (Some(_), Some(expires_at)) = (&record.guest_id, record.expires_at) else {
            // Already in an account: nothing to claim.
            return Err(AppError::NotFound);
        };
        let token = claim::create_token(&self.state, &record.id, expires_at).await?;
        Ok(format!("/claim/{token}"))
    }

    /// Opens a claim link: saves the analysis into the signed-in account, or remembers the link
    /// for the next sign-in or sign-up.
    pub async fn redeem_claim_link(&self, token: &str) -> Result<ClaimOutcome, AppError> {
        let client = self.viewer.client.as_ref().ok_or(AppError::Internal)?;
        match &self.viewer.user_id {
            Some(user_id) => {
                let analysis_id =
                    claim::claim_with_token(&self.state, token, user_id, client).await?;
                Ok(ClaimOutcome::Saved {
                    analysis_id: analysis_id.to_string(),
                })
            }
            None => {
                // Only a token of the right shape is worth a session row; anything else is
                // refused before it is stored.
                if !link_token::is_well_formed(token) {
                    return Err(AppError::InvalidClaimLink);
                }
                let session = self.viewer.session.as_ref().ok_or(AppError::Internal)?;
                session
                    .insert(SESSION_PENDING_CLAIM, token.to_string())
                    .await?;
                Ok(ClaimOutcome::SignInFirst)
            }
        }
    }

    pub async fn history(
        &self,
        filter: &HistoryFilter,
        page: u32,
    ) -> Result<HistoryPage, AppError> {
        history::page(&self.state, &self.viewer, filter, page).await
    }

    /// Assigns one of the coach's analyses to one of their athletes (`None`: to nobody).
    pub async fn assign_athlete(&self, id: &str, athlete_id: Option<&str>) -> Result<(), AppError> {
        let user_id = self
            .viewer
            .user_id
            .as_ref()
            .ok_or(AppError::SignInRequired)?;
        let record = self.find(id).await?;
        let athlete_id = athlete_id.map(|a| AthleteId::from(a.to_string()));
        let athlete_id = athlete_id.as_ref();
        if let Some(athlete_id) = athlete_id {
            athletes::repo::find(&self.state.db, user_id, athlete_id)
                .await?
                .ok_or_else(|| AppError::invalid(Field::Athlete, "Choose one of your athletes."))?;
        }
        if !repo::assign_athlete(&self.state.db, &record.id, user_id, athlete_id).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
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
                record.user_id.as_ref(),
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
