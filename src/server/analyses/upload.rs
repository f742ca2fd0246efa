//! `POST /api/analyses?jump_type=cmj[&body_mass_kg=72.5]` with the video file as the raw body.
//!
//! A plain axum route rather than a server function: the body is streamed to a temporary file
//! (never held in memory) and counted against the size limit, then probed with ffprobe (the
//! name and MIME type are not trusted), stored, and queued, all or nothing. The browser sends
//! it with XMLHttpRequest for upload progress.

use axum::{
    body::Body,
    extract::{Query, State},
    http::{header::CONTENT_LENGTH, HeaderMap, StatusCode},
    response::IntoResponse,
    Json,
};
use futures_util::StreamExt;
use serde::Deserialize;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

use super::{
    owner::{Owner, Viewer},
    repo::{self, NewAnalysis},
};
use airtime_engine::video::{self, VideoError, VideoInfo};
use airtime_kinematics::JumpType;

use crate::{
    domain::{
        analysis::{parse_body_mass, UploadAccepted},
        athlete::Athlete,
        ids::{AnalysisId, AthleteId},
    },
    error::{AppError, Field},
    server::{
        athletes,
        audit::{self, AuditEvent},
        state::AppState,
        storage::TempFile,
        time::unix_now,
    },
};

#[derive(Debug, Deserialize)]
pub struct UploadParams {
    jump_type: Option<String>,
    body_mass_kg: Option<String>,
    /// One of the signed-in coach's athletes.
    athlete_id: Option<String>,
}

pub async fn upload(
    State(state): State<AppState>,
    mut viewer: Viewer,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, AppError> {
    let started = Instant::now();
    let admitted = admit(&state, &mut viewer, &params, &headers).await;
    let Admitted {
        jump_type,
        body_mass_kg,
        owner,
        athlete,
        client,
        slot: _slot,
    } = match admitted {
        Ok(admitted) => admitted,
        Err(refused) => {
            drain(body).await;
            return Err(refused);
        }
    };
    let max_bytes = state.settings.max_upload_bytes();

    let temp = state.storage.temp_file(".upload");
    let bytes = receive(body, &temp, max_bytes).await.map_err(|e| match e {
        Received::TooLarge => too_large(&state),
        Received::Aborted => AppError::BadRequest,
        Received::Disk(e) => {
            tracing::error!(error = %e, "could not write an upload");
            AppError::Internal
        }
    })?;
    if bytes == 0 {
        return Err(AppError::BadVideo {
            message: "This file is empty. Choose the video of the jump and try again.".into(),
        });
    }
    let info = probe(&state, &temp).await?;

    let id = AnalysisId::random();
    let prefix = owner.storage_prefix(&id);
    let now = unix_now();
    let expires_at = owner
        .guest_id()
        .map(|_| now + state.settings.guest_retention.as_secs() as i64);
    state
        .storage
        .put_file(&repo::video_key(&prefix), temp.path())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "could not store an upload");
            AppError::Internal
        })?;
    drop(temp);
    let athlete_id = athlete.as_ref().map(|a| AthleteId::from(a.id.clone()));
    let new = NewAnalysis {
        id: &id,
        owner: &owner,
        jump_type,
        body_mass_kg,
        storage_prefix: &prefix,
        video_bytes: bytes as i64,
        video_type: mime_of(&info),
        duration_s: info.duration_s,
        created_at: now,
        expires_at,
        job_max_attempts: i64::from(state.settings.job_max_attempts),
        athlete_id: athlete_id.as_ref(),
    };
    let admitted = repo::insert_with_job(&state.db, &new, owner_limits(&state, &owner)).await;
    if !matches!(admitted, Ok(repo::Admission::Admitted)) {
        let _ = state.storage.delete_prefix(&prefix).await;
    }
    match admitted? {
        repo::Admission::Admitted => {}
        repo::Admission::Busy => return Err(busy(&state, &owner)),
        repo::Admission::OverQuota => return Err(over_quota(&state, &owner)),
    }
    viewer.keep_guest(&owner).await?;
    state.jobs.job_queued();

    tracing::info!(
        event = "upload_received",
        analysis_id = %id,
        bytes,
        duration_s = info.duration_s,
        width = info.width,
        height = info.height,
        codec = %info.codec,
        guest = owner.guest_id().is_some(),
        receive_ms = started.elapsed().as_millis() as u64,
        "upload received"
    );
    audit::record_analysis(
        &state.db,
        AuditEvent::AnalysisUploaded,
        owner.user_id(),
        &id,
        &client,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadAccepted {
            url: format!("/analyses/{id}"),
            id: id.to_string(),
        }),
    ))
}

/// What an upload may go ahead with, decided before its body is read.
struct Admitted {
    jump_type: JumpType,
    body_mass_kg: Option<f64>,
    owner: Owner,
    athlete: Option<Athlete>,
    client: crate::server::client::ClientInfo,
    /// Held until the upload is stored and queued: receiving and probing are what it bounds.
    slot: tokio::sync::OwnedSemaphorePermit,
}

async fn admit(
    state: &AppState,
    viewer: &mut Viewer,
    params: &UploadParams,
    headers: &HeaderMap,
) -> Result<Admitted, AppError> {
    let (jump_type, body_mass_kg) = validate_params(params)?;
    let owner = viewer.owner_for_upload();
    let athlete = athlete_of(state, &owner, params.athlete_id.as_deref()).await?;
    // The athlete's recorded mass unless another was typed for this jump.
    let body_mass_kg = body_mass_kg.or(athlete.as_ref().and_then(|a| a.body_mass_kg));
    let client = viewer.client.clone().ok_or(AppError::Internal)?;
    let slot = tokio::time::timeout(SLOT_WAIT, state.upload_slots.clone().acquire_owned())
        .await
        .map_err(|_| AppError::ServerBusy {
            retry_after_s: BUSY_RETRY_S,
        })?
        .map_err(|_| AppError::Internal)?;
    check_limits(state, &owner, &client.limit_key()).await?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.settings.max_upload_bytes()) {
        return Err(too_large(state));
    }
    check_storage(state, &owner, declared).await?;
    Ok(Admitted {
        jump_type,
        body_mass_kg,
        owner,
        athlete,
        client,
        slot,
    })
}

/// Reads and drops what a refused client is still sending, up to a bound: a connection
/// closed with unread bytes is reset, and the client may never see the refusal. A larger
/// body is cut off (the client sees a reset, as before).
async fn drain(body: Body) {
    const DRAIN_BYTES: usize = 4 << 20;
    const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

fn validate_params(params: &UploadParams) -> Result<(JumpType, Option<f64>), AppError> {
    let jump_type = params
        .jump_type
        .as_deref()
        .and_then(JumpType::from_code)
        .ok_or_else(|| {
            AppError::invalid(
                Field::JumpType,
                "Choose the jump type: countermovement jump, drop jump or squat jump.",
            )
        })?;
    let body_mass_kg = parse_body_mass(params.body_mass_kg.as_deref().unwrap_or_default())?;
    Ok((jump_type, body_mass_kg))
}

async fn athlete_of(
    state: &AppState,
    owner: &Owner,
    athlete_id: Option<&str>,
) -> Result<Option<Athlete>, AppError> {
    let Some(athlete_id) = athlete_id.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let not_yours = || AppError::invalid(Field::Athlete, "Choose one of your athletes.");
    let user_id = owner.user_id().ok_or_else(not_yours)?;
    athletes::repo::find(&state.db, user_id, &AthleteId::from(athlete_id.to_string()))
        .await?
        .map(Some)
        .ok_or_else(not_yours)
}

/// How long an upload waits for a free slot: a burst of arrivals (a squad uploading after a
/// session) queues for a moment instead of being turned away; a sustained overload still gets
/// 503. Its body is not read meanwhile, so a waiting upload costs a connection and no memory.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// Seconds a client is told to wait when every upload slot stayed taken.
const BUSY_RETRY_S: u64 = 10;
/// Seconds a client is told to wait when the disk is short of space.
const DISK_RETRY_S: u64 = 300;

/// Every attempt counts toward the hourly limit, accepted or not (a refused file cost a
/// probe); the active-analyses limit is checked here to spare the body, and enforced again
/// where the job is inserted.
async fn check_limits(state: &AppState, owner: &Owner, ip: &str) -> Result<(), AppError> {
    upload_throttle(state, owner)
        .acquire(&throttle_key(owner, ip))
        .map_err(|retry_after_s| AppError::TooManyUploads { retry_after_s })?;
    let limits = owner_limits(state, owner);
    if repo::count_active(&state.db, owner).await? >= limits.active {
        return Err(busy(state, owner));
    }
    Ok(())
}

fn owner_limits(state: &AppState, owner: &Owner) -> repo::OwnerLimits {
    let s = &state.settings;
    let (active, storage_mb) = match owner {
        Owner::User(_) => (s.user_active_analyses, s.user_storage_mb),
        Owner::Guest(_) => (s.guest_active_analyses, s.guest_storage_mb),
    };
    repo::OwnerLimits {
        active: i64::from(active),
        stored_bytes: i64::try_from(storage_mb.saturating_mul(1_000_000)).unwrap_or(i64::MAX),
    }
}

fn busy(state: &AppState, owner: &Owner) -> AppError {
    AppError::AnalysisBusy {
        limit: owner_limits(state, owner).active as u32,
        retry_after_s: 30,
    }
}

fn over_quota(state: &AppState, owner: &Owner) -> AppError {
    let (quota_mb, guest) = match owner {
        Owner::User(_) => (state.settings.user_storage_mb, false),
        Owner::Guest(_) => (state.settings.guest_storage_mb, true),
    };
    AppError::QuotaExceeded { quota_mb, guest }
}

/// Before the body is read: room on the disk above the floor for the declared length (or
/// the largest upload), and in the owner's quota (checked again, atomically, with the size
/// received, when the job is inserted).
async fn check_storage(
    state: &AppState,
    owner: &Owner,
    declared: Option<u64>,
) -> Result<(), AppError> {
    let incoming = declared.unwrap_or(state.settings.max_upload_bytes());
    let floor = state.settings.min_free_disk_mb.saturating_mul(1_000_000);
    match airtime_engine::host::free_disk_bytes(&state.settings.data_dir) {
        Ok(free) if free < floor.saturating_add(incoming) => {
            tracing::warn!(free, floor, incoming, "upload refused: disk almost full");
            return Err(AppError::StorageFull {
                retry_after_s: DISK_RETRY_S,
            });
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not read the free disk space"),
    }
    let stored = repo::stored_bytes(&state.db, owner).await?;
    let quota = owner_limits(state, owner).stored_bytes;
    let declared = i64::try_from(declared.unwrap_or(0)).unwrap_or(i64::MAX);
    if stored.saturating_add(declared) > quota {
        return Err(over_quota(state, owner));
    }
    Ok(())
}

fn upload_throttle<'a>(
    state: &'a AppState,
    owner: &Owner,
) -> &'a crate::server::throttle::Throttle {
    match owner {
        Owner::User(_) => &state.throttles.user_uploads,
        Owner::Guest(_) => &state.throttles.guest_uploads,
    }
}

/// Guests are counted per IP (a new session is free to get); accounts per account.
fn throttle_key(owner: &Owner, ip: &str) -> String {
    match owner {
        Owner::User(id) => id.to_string(),
        Owner::Guest(_) => ip.to_string(),
    }
}

fn too_large(state: &AppState) -> AppError {
    AppError::UploadTooLarge {
        max_mb: state.settings.max_upload_mb,
    }
}

enum Received {
    TooLarge,
    Aborted,
    Disk(std::io::Error),
}

/// Streams the body into `temp`; the count is checked as bytes arrive, so a body without (or
/// lying about) its Content-Length cannot exceed the limit either.
async fn receive(body: Body, temp: &TempFile, max_bytes: u64) -> Result<u64, Received> {
    let mut file = tokio::fs::File::create(temp.path())
        .await
        .map_err(Received::Disk)?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Received::Aborted)?;
        total += chunk.len() as u64;
        if total > max_bytes {
            return Err(Received::TooLarge);
        }
        file.write_all(&chunk).await.map_err(Received::Disk)?;
    }
    file.flush().await.map_err(Received::Disk)?;
    Ok(total)
}

async fn probe(state: &AppState, temp: &TempFile) -> Result<VideoInfo, AppError> {
    let limits = state.settings.video_limits();
    let path = temp.path().to_path_buf();
    let probed = tokio::task::spawn_blocking(move || video::probe(&path, &limits))
        .await
        .map_err(|_| AppError::Internal)?;
    probed.map_err(|e: VideoError| {
        if e.is_user_error() {
            tracing::info!(event = "upload_rejected", reason = %e, "upload is not a usable video");
            AppError::BadVideo {
                message: e.user_message(),
            }
        } else {
            tracing::error!(error = %e, "could not probe an upload");
            AppError::Internal
        }
    })
}

/// The MIME type the video is served back with, from what ffprobe found (not what was sent).
/// QuickTime files are served as MP4 (same family), which browsers play when the codec allows.
fn mime_of(info: &VideoInfo) -> &'static str {
    if info.container.starts_with("matroska") {
        "video/webm"
    } else {
        "video/mp4"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(jump: Option<&str>, mass: Option<&str>) -> UploadParams {
        UploadParams {
            jump_type: jump.map(str::to_string),
            body_mass_kg: mass.map(str::to_string),
            athlete_id: None,
        }
    }

    #[test]
    fn jump_type_is_required_and_mass_optional_within_bounds() {
        assert_eq!(
            validate_params(&params(Some("dj"), Some(""))).unwrap(),
            (JumpType::DropJump, None)
        );
        assert_eq!(
            validate_params(&params(Some("sj"), Some("72,5"))).unwrap(),
            (JumpType::SquatJump, Some(72.5))
        );
        let err = validate_params(&params(None, None)).unwrap_err();
        assert_eq!(err.field(), Some(Field::JumpType));
        let err = validate_params(&params(Some("cmj"), Some("7"))).unwrap_err();
        assert_eq!(err.field(), Some(Field::BodyMass));
    }
}
