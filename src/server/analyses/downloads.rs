//! What an owner can fetch of an analysis: the original video (with byte ranges, so the player
//! can seek), key frames, and the result as JSON or CSV. Everyone else gets 404.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{
        header::{
            ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE,
            CONTENT_TYPE, RANGE,
        },
        HeaderMap, HeaderValue, StatusCode,
    },
    response::{IntoResponse, Response},
};

use super::{csv::analysis_csv, owner::Viewer, repo::AnalysisRecord, service::Analyses};
use crate::{
    error::AppError,
    server::{state::AppState, storage::StorageError},
};
use airtime_kinematics::Analysis;

/// Owners only, and never kept by shared caches.
const PRIVATE: &str = "private, max-age=300";

pub async fn video(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let record = Analyses::new(state.clone(), viewer).find(&id).await?;
    let key = record.video_key();
    let size = state.storage.size(&key).await.map_err(storage_error)?;
    let requested = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, size));
    let range = match requested {
        Some(Err(())) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response())
        }
        Some(Ok(range)) => range,
        None => None,
    };
    let part = state
        .storage
        .get_range(&key, range.clone())
        .await
        .map_err(storage_error)?;
    let mut response = Response::new(Body::from_stream(part.body));
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&record.video_type).map_err(|_| AppError::Internal)?,
    );
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    h.insert(
        CONTENT_LENGTH,
        HeaderValue::from(part.end_exclusive - part.start),
    );
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let value = format!(
            "bytes {}-{}/{}",
            part.start,
            part.end_exclusive - 1,
            part.total_size
        );
        response.headers_mut().insert(
            CONTENT_RANGE,
            HeaderValue::from_str(&value).map_err(|_| AppError::Internal)?,
        );
    }
    Ok(response)
}

pub async fn key_frame(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let record = Analyses::new(state.clone(), viewer).find(&id).await?;
    let event = file.strip_suffix(".png").ok_or(AppError::NotFound)?;
    // Only names the worker stored: nothing from the URL reaches a storage key unchecked.
    if !record.key_frames.iter().any(|e| e == event) {
        return Err(AppError::NotFound);
    }
    let part = state
        .storage
        .get_range(&record.frame_key(event), None)
        .await
        .map_err(storage_error)?;
    Ok((
        [(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, PRIVATE)],
        Body::from_stream(part.body),
    )
        .into_response())
}

pub async fn result_json(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (record, analysis) = finished(state, viewer, &id).await?;
    let json = serde_json::to_string_pretty(&analysis).map_err(|_| AppError::Internal)?;
    Ok(attachment(&record, "json", "application/json", json))
}

pub async fn result_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (record, analysis) = finished(state, viewer, &id).await?;
    Ok(attachment(
        &record,
        "csv",
        "text/csv; charset=utf-8",
        analysis_csv(&analysis),
    ))
}

async fn finished(
    state: AppState,
    viewer: Viewer,
    id: &str,
) -> Result<(AnalysisRecord, Analysis), AppError> {
    let record = Analyses::new(state, viewer).find(id).await?;
    let json = record.result_json.as_deref().ok_or(AppError::NotFound)?;
    let analysis = serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "stored result unreadable");
        AppError::Internal
    })?;
    Ok((record, analysis))
}

/// A download named after the test and the analysis, e.g. `airtime-cmj-3f2a9c1e.csv`.
fn attachment(record: &AnalysisRecord, ext: &str, mime: &'static str, body: String) -> Response {
    let short_id: String = record.id.as_str().chars().take(8).collect();
    let disposition = format!(
        "attachment; filename=\"airtime-{}-{short_id}.{ext}\"",
        record.jump_type.code()
    );
    let mut response = (
        [(CONTENT_TYPE, mime), (CACHE_CONTROL, "private, no-store")],
        body,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    response
}

/// One `bytes=` range resolved against `size` (end exclusive); `Ok(None)` means "send it all"
/// (multiple ranges are answered with the whole file, as RFC 9110 allows).
fn parse_range(header: &str, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let suffix: u64 = end.parse().map_err(|_| ())?;
        if suffix == 0 {
            return Err(());
        }
        size.saturating_sub(suffix)..size
    } else {
        let start: u64 = start.parse().map_err(|_| ())?;
        let end = match end {
            "" => size,
            end => end
                .parse::<u64>()
                .map_err(|_| ())?
                .saturating_add(1)
                .min(size),
        };
        start..end
    };
    if range.start >= range.end || range.start >= size {
        return Err(());
    }
    Ok(Some(range))
}

fn storage_error(e: StorageError) -> AppError {
    match e {
        StorageError::NotFound => AppError::NotFound,
        other => {
            tracing::error!(error = %other, "storage read failed");
            AppError::Internal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_size() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(Some(0..100)));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(Some(900..1000)));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(Some(900..1000)));
        assert_eq!(parse_range("bytes=0-5000", 1000), Ok(Some(0..1000)));
        assert_eq!(parse_range("bytes=0-1,5-9", 1000), Ok(None));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(()));
        assert_eq!(parse_range("bytes=x-y", 1000), Err(()));
    }
}
