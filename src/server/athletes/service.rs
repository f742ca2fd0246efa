//! Creating and listing a coach's athletes, and an athlete's profile with the trend of their
//! measured jumps. Another coach's athlete is "not found".

use super::repo;
use crate::{
    domain::{
        analysis::AnalysisStatus,
        athlete::{Athlete, AthleteProfile, NewAthlete, TrendPoint},
        history::HistoryFilter,
        ids::{AthleteId, UserId},
    },
    error::AppError,
    server::{analyses::repo as analyses, analyses::Viewer, state::AppState, time::unix_now},
};
use airtime_kinematics::Analysis;

/// Jumps shown in one athlete's trend at most.
const TREND_LIMIT: i64 = 500;

pub struct Athletes {
    state: AppState,
    user_id: UserId,
}

impl Athletes {
    /// Signed-in coaches only.
    pub async fn from_request() -> Result<Self, AppError> {
        let viewer = Viewer::from_request().await?;
        Ok(Self {
            state: crate::server::context::app_state()?,
            user_id: viewer.user_id.ok_or(AppError::SignInRequired)?,
        })
    }

    pub async fn create(&self, athlete: &NewAthlete) -> Result<Athlete, AppError> {
        let created = repo::insert(&self.state.db, &self.user_id, athlete, unix_now()).await?;
        tracing::info!(event = "athlete_created", athlete_id = %created.id, "athlete created");
        Ok(created)
    }

    pub async fn list(&self) -> Result<Vec<Athlete>, AppError> {
        Ok(repo::list(&self.state.db, &self.user_id).await?)
    }

    pub async fn profile(&self, id: &str) -> Result<AthleteProfile, AppError> {
        let athlete = repo::find(
            &self.state.db,
            &self.user_id,
            &AthleteId::from(id.to_string()),
        )
        .await?
        .ok_or(AppError::NotFound)?;
        let filter = HistoryFilter {
            jump_type: None,
            athlete_id: Some(athlete.id.clone()),
        };
        let records =
            analyses::list_for_user(&self.state.db, &self.user_id, &filter, TREND_LIMIT, 0).await?;
        let mut points: Vec<TrendPoint> = records
            .iter()
            .filter(|r| r.status == AnalysisStatus::Done)
            .filter_map(|r| {
                let result = serde_json::from_str::<Analysis>(r.result_json.as_deref()?).ok()?;
                Some(TrendPoint {
                    analysis_id: r.id.to_string(),
                    created_at: r.created_at,
                    jump_type: r.jump_type,
                    jump_height_cm: result.result.metrics.jump_height_m.map(|h| h * 100.0),
                    rsi: result.result.metrics.rsi,
                })
            })
            .collect();
        points.reverse();
        Ok(AthleteProfile { athlete, points })
    }
}
