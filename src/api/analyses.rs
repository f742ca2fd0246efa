//! Reading, cancelling and deleting analyses. The upload itself is a plain route
//! (`POST /api/analyses`, see `server::analyses::upload`) so the body can be streamed.

use leptos::prelude::*;

use crate::{
    domain::{
        analysis::{AnalysisProgress, AnalysisView, UploadLimits},
        history::{ClaimOutcome, HistoryPage},
    },
    error::AppError,
};

#[server(endpoint = "analysis_view")]
pub async fn load_analysis(id: String) -> Result<AnalysisView, AppError> {
    use crate::server::{analyses::Analyses, context::with_status};
    let result = async { Analyses::from_request().await?.view(&id).await }.await;
    with_status(result)
}

/// Polled by the results page while the analysis runs.
#[server(endpoint = "analysis_progress")]
pub async fn poll_analysis(id: String) -> Result<AnalysisProgress, AppError> {
    use crate::server::{analyses::Analyses, context::with_status};
    let result = async { Analyses::from_request().await?.progress(&id).await }.await;
    with_status(result)
}

#[server(endpoint = "cancel_analysis")]
pub async fn cancel_analysis(id: String) -> Result<AnalysisProgress, AppError> {
    use crate::server::{analyses::Analyses, context::finish};
    let result = async { Analyses::from_request().await?.cancel(&id).await }.await;
    finish(result).await
}

#[server(endpoint = "delete_analysis")]
pub async fn delete_analysis(id: String) -> Result<(), AppError> {
    use crate::server::{analyses::Analyses, context::finish};
    let result = async { Analyses::from_request().await?.delete(&id).await }.await;
    finish(result).await
}

/// A single-use link (path) that saves a guest's analysis into the account that opens it.
#[server(endpoint = "create_claim_link")]
pub async fn create_claim_link(id: String) -> Result<String, AppError> {
    use crate::server::{analyses::Analyses, context::finish};
    let result = async { Analyses::from_request().await?.create_claim_link(&id).await }.await;
    finish(result).await
}

#[server(endpoint = "redeem_claim_link")]
pub async fn redeem_claim_link(token: String) -> Result<ClaimOutcome, AppError> {
    use crate::server::{analyses::Analyses, context::finish};
    let result = async {
        Analyses::from_request()
            .await?
            .redeem_claim_link(&token)
            .await
    }
    .await;
    finish(result).await
}

/// One page of the signed-in coach's history; `jump_type` empty for all.
#[server(endpoint = "load_history")]
pub async fn load_history(
    jump_type: String,
    #[server(default)] athlete_id: String,
    page: u32,
) -> Result<HistoryPage, AppError> {
    use crate::{
        domain::history::HistoryFilter,
        server::{analyses::Analyses, context::with_status},
    };
    let filter = HistoryFilter {
        jump_type: airtime_kinematics::JumpType::from_code(&jump_type),
        athlete_id: Some(athlete_id).filter(|a| !a.is_empty()),
    };
    let result = async { Analyses::from_request().await?.history(&filter, page).await }.await;
    with_status(result)
}

/// Assigns an analysis to one of the coach's athletes (`athlete_id` empty: to nobody).
#[server(endpoint = "assign_athlete")]
pub async fn assign_athlete(id: String, athlete_id: String) -> Result<(), AppError> {
    use crate::server::{analyses::Analyses, context::finish};
    let athlete = Some(athlete_id.as_str()).filter(|a| !a.is_empty());
    let result = async {
        Analyses::from_request()
            .await?
            .assign_athlete(&id, athlete)
            .await
    }
    .await;
    finish(result).await
}

#[server(endpoint = "upload_limits")]
pub async fn load_upload_limits() -> Result<UploadLimits, AppError> {
    let settings = crate::server::context::app_state()?.settings;
    Ok(UploadLimits {
        max_upload_mb: settings.max_upload_mb,
        max_video_seconds: settings.max_video_seconds,
    })
}
