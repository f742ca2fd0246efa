//! A signed-in coach's analyses as history rows, a page at a time or all of them as CSV.

use axum::{
    extract::{Query, State},
    http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE},
    response::IntoResponse,
};
use serde::Deserialize;

use super::{csv::csv_cell, owner::Viewer, repo};
use crate::{
    domain::{
        history::{format_utc, HistoryFilter, HistoryPage, HistoryRow, HISTORY_PAGE_SIZE},
        ids::AthleteId,
    },
    error::AppError,
    server::{athletes, state::AppState},
};
use airtime_kinematics::{Analysis, JumpType};

/// Rows in one CSV export at most (years of testing for one coach).
const EXPORT_LIMIT: i64 = 10_000;

pub async fn page(
    state: &AppState,
    viewer: &Viewer,
    filter: &HistoryFilter,
    page: u32,
) -> Result<HistoryPage, AppError> {
    let user_id = viewer.user_id.as_ref().ok_or(AppError::SignInRequired)?;
    let page = page.max(1);
    let size = i64::from(HISTORY_PAGE_SIZE);
    // One extra row says whether there is a next page.
    let mut records = repo::list_for_user(
        &state.db,
        user_id,
        filter,
        size + 1,
        i64::from(page - 1) * size,
    )
    .await?;
    let has_more = records.len() as i64 > size;
    records.truncate(size as usize);
    Ok(HistoryPage {
        rows: records.iter().map(row_of).collect(),
        page,
        has_more,
    })
}

#[derive(Debug, Deserialize)]
pub struct ExportParams {
    jump_type: Option<String>,
    athlete_id: Option<String>,
}

/// `GET /api/history.csv[?jump_type=cmj][&athlete_id=…]`: the signed-in coach's history (all of
/// it, or one athlete's), units in the header.
pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ExportParams>,
) -> Result<impl IntoResponse, AppError> {
    let user_id = viewer.user_id.as_ref().ok_or(AppError::SignInRequired)?;
    let jump_type = params.jump_type.as_deref().and_then(JumpType::from_code);
    let athlete = match params.athlete_id.as_deref().filter(|a| !a.is_empty()) {
        Some(id) => Some(
            athletes::repo::find(&state.db, user_id, &AthleteId::from(id.to_string()))
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let filter = HistoryFilter {
        jump_type,
        athlete_id: athlete.as_ref().map(|a| a.id.clone()),
    };
    let records = repo::list_for_user(&state.db, user_id, &filter, EXPORT_LIMIT, 0).await?;
    let mut csv = String::from(
        "date_utc,athlete,jump_type,status,jump_height_cm,flight_time_ms,contact_time_ms,rsi,confidence,analysis_id\n",
    );
    let names = athletes::repo::names(&state.db, user_id).await?;
    for row in records.iter().map(row_of) {
        let athlete = row
            .athlete_id
            .as_ref()
            .and_then(|id| names.get(id))
            .map(|name| csv_cell(name))
            .unwrap_or_default();
        let number = |v: Option<f64>, decimals: usize| {
            v.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
        };
        csv.push_str(&format!(
            "{},{athlete},{},{},{},{},{},{},{},{}\n",
            format_utc(row.created_at),
            row.jump_type.code(),
            row.status.as_str(),
            number(row.jump_height_cm, 1),
            number(row.flight_time_ms, 0),
            number(row.contact_time_ms, 0),
            number(row.rsi, 2),
            number(row.confidence, 2),
            row.id,
        ));
    }
    let name = match jump_type {
        Some(jump) => format!(
            "attachment; filename=\"airtime-history-{}.csv\"",
            jump.code()
        ),
        None => "attachment; filename=\"airtime-history.csv\"".to_string(),
    };
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CACHE_CONTROL, "private, no-store".to_string()),
            (CONTENT_DISPOSITION, name),
        ],
        csv,
    ))
}

fn row_of(record: &repo::AnalysisRecord) -> HistoryRow {
    let result = record
        .result_json
        .as_deref()
        .and_then(|json| serde_json::from_str::<Analysis>(json).ok())
        .map(|a| a.result);
    let metrics = result.as_ref().map(|r| &r.metrics);
    HistoryRow {
        id: record.id.to_string(),
        athlete_id: record.athlete_id.as_ref().map(AthleteId::to_string),
        created_at: record.created_at,
        jump_type: record.jump_type,
        status: record.status,
        jump_height_cm: metrics.and_then(|m| m.jump_height_m).map(|h| h * 100.0),
        flight_time_ms: metrics.and_then(|m| m.flight_time_ms),
        contact_time_ms: metrics.and_then(|m| m.contact_time_ms),
        rsi: metrics.and_then(|m| m.rsi),
        confidence: result.map(|r| r.confidence),
    }
}
