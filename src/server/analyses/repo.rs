//! SQL for the `analyses` table (the same text on SQLite and PostgreSQL). Every read a user can
//! trigger goes through `find_visible`, which checks the owner; other ids look like missing ones.

use sqlx::{any::AnyRow, Row};

use super::owner::{Owner, Viewer};
use crate::{
    domain::{
        analysis::AnalysisStatus,
        history::HistoryFilter,
        ids::{AnalysisId, AthleteId, GuestId, UserId},
    },
    server::db::{Backend, Database},
};
use airtime_kinematics::{JumpType, Stage};

#[derive(Debug, Clone)]
pub struct AnalysisRecord {
    pub id: AnalysisId,
    pub user_id: Option<UserId>,
    pub guest_id: Option<GuestId>,
    pub status: AnalysisStatus,
    pub jump_type: JumpType,
    pub body_mass_kg: Option<f64>,
    pub storage_prefix: String,
    pub video_type: String,
    pub duration_s: f64,
    pub stage: Option<Stage>,
    pub progress: f64,
    pub result_json: Option<String>,
    pub error_message: Option<String>,
    pub key_frames: Vec<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub athlete_id: Option<AthleteId>,
}

const COLUMNS: &str = "id, user_id, guest_id, status, jump_type, body_mass_kg, storage_prefix, \
    video_type, duration_s, stage, progress, result_json, error_message, key_frames, created_at, \
    finished_at, expires_at, athlete_id";

impl AnalysisRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let decode = |column: &str, e: String| sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: e.into(),
        };
        let status: String = row.try_get("status")?;
        let jump_type: String = row.try_get("jump_type")?;
        let stage: Option<String> = row.try_get("stage")?;
        let key_frames: Option<String> = row.try_get("key_frames")?;
        Ok(Self {
            id: row.try_get::<String, _>("id")?.into(),
            user_id: row.try_get::<Option<String>, _>("user_id")?.map(Into::into),
            guest_id: row
                .try_get::<Option<String>, _>("guest_id")?
                .map(Into::into),
            status: AnalysisStatus::parse(&status)
                .ok_or_else(|| decode("status", format!("unknown status {status:?}")))?,
            jump_type: JumpType::from_code(&jump_type)
                .ok_or_else(|| decode("jump_type", format!("unknown jump type {jump_type:?}")))?,
            body_mass_kg: row.try_get("body_mass_kg")?,
            storage_prefix: row.try_get("storage_prefix")?,
            video_type: row.try_get("video_type")?,
            duration_s: row.try_get("duration_s")?,
            stage: stage.and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
            progress: row.try_get("progress")?,
            result_json: row.try_get("result_json")?,
            error_message: row.try_get("error_message")?,
            key_frames: key_frames
                .map(|k| {
                    k.split(',')
                        .filter(|e| !e.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            created_at: row.try_get("created_at")?,
            finished_at: row.try_get("finished_at")?,
            expires_at: row.try_get("expires_at")?,
            athlete_id: row
                .try_get::<Option<String>, _>("athlete_id")?
                .map(Into::into),
        })
    }

    pub fn video_key(&self) -> String {
        video_key(&self.storage_prefix)
    }

    pub fn frame_key(&self, event: &str) -> String {
        format!("{}/frames/{event}.png", self.storage_prefix)
    }
}

/// Runs an UPDATE; true when it changed a row.
async fn changed<'q>(
    db: &Database,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<bool, sqlx::Error> {
    Ok(query.execute(&db.pool).await?.rows_affected() > 0)
}

pub fn video_key(prefix: &str) -> String {
    format!("{prefix}/video")
}

pub struct NewAnalysis<'a> {
    pub id: &'a AnalysisId,
    pub owner: &'a Owner,
    pub jump_type: JumpType,
    pub body_mass_kg: Option<f64>,
    pub storage_prefix: &'a str,
    pub video_bytes: i64,
    pub video_type: &'a str,
    pub duration_s: f64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub job_max_attempts: i64,
    pub athlete_id: Option<&'a AthleteId>,
}

/// The analysis and its job, together or not at all.
/// What an owner may hold when a new analysis is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerLimits {
    /// Analyses queued or running at once.
    pub active: i64,
    /// Bytes of video stored in all.
    pub stored_bytes: i64,
}

/// Whether [`insert_with_job`] admitted the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The owner already has `OwnerLimits::active` analyses waiting or running.
    Busy,
    /// The video would take the owner past `OwnerLimits::stored_bytes`.
    OverQuota,
}

/// Inserts the analysis and its job in one transaction, if the owner is within `limits`.
/// The check and the insert are one statement, and on PostgreSQL the owner's uploads are
/// serialised by an advisory lock (SQLite has one writer at a time): parallel uploads can
/// never all pass on the same last slot.
pub async fn insert_with_job(
    db: &Database,
    new: &NewAnalysis<'_>,
    limits: OwnerLimits,
) -> Result<Admission, sqlx::Error> {
    let (column, owner_key) = owner_column(new.owner);
    let mut tx = db.pool.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text AS locked")
            .bind(format!("analyses/{owner_key}"))
            .execute(&mut *tx)
            .await?;
    }
    let inserted = sqlx::query(&format!(
        "INSERT INTO analyses (id, user_id, guest_id, status, jump_type, body_mass_kg, \
         storage_prefix, video_bytes, video_type, duration_s, progress, created_at, expires_at, \
         athlete_id) SELECT $1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, 0, $10, $11, $12 \
         WHERE (SELECT COUNT(*) FROM analyses WHERE {column} = $13 \
                AND status IN ('queued', 'running')) < $14 \
           AND (SELECT COALESCE(SUM(video_bytes), 0) FROM analyses WHERE {column} = $13) + $7 <= $15"
    ))
    .bind(new.id.to_string())
    .bind(new.owner.user_id().map(UserId::to_string))
    .bind(new.owner.guest_id().map(GuestId::to_string))
    .bind(new.jump_type.code())
    .bind(new.body_mass_kg)
    .bind(new.storage_prefix.to_string())
    .bind(new.video_bytes)
    .bind(new.video_type.to_string())
    .bind(new.duration_s)
    .bind(new.created_at)
    .bind(new.expires_at)
    .bind(new.athlete_id.map(AthleteId::to_string))
    .bind(owner_key.clone())
    .bind(limits.active)
    .bind(limits.stored_bytes)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        // Only for the message: which limit it was.
        let busy = count_active(db, new.owner).await? >= limits.active;
        return Ok(if busy {
            Admission::Busy
        } else {
            Admission::OverQuota
        });
    }
    sqlx::query(
        "INSERT INTO jobs (id, analysis_id, state, attempts, max_attempts, run_after, created_at, \
         updated_at) VALUES ($1, $2, 'queued', 0, $3, $4, $4, $4)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(new.id.to_string())
    .bind(new.job_max_attempts)
    .bind(new.created_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Admission::Admitted)
}

/// The column that names an owner, and its value.
fn owner_column(owner: &Owner) -> (&'static str, String) {
    match owner {
        Owner::User(id) => ("user_id", id.to_string()),
        Owner::Guest(id) => ("guest_id", id.to_string()),
    }
}

/// Bytes of video the owner has stored.
pub async fn stored_bytes(db: &Database, owner: &Owner) -> Result<i64, sqlx::Error> {
    let (column, value) = owner_column(owner);
    // Summed as text-free integers on both databases (PostgreSQL's SUM of BIGINT is NUMERIC).
    sqlx::query(&format!(
        "SELECT CAST(COALESCE(SUM(video_bytes), 0) AS BIGINT) AS n FROM analyses WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")
}

/// The analysis if `viewer` owns it and it has not expired.
pub async fn find_visible(
    db: &Database,
    id: &AnalysisId,
    viewer: &Viewer,
    now: i64,
) -> Result<Option<AnalysisRecord>, sqlx::Error> {
    if viewer.user_id.is_none() && viewer.guest_id.is_none() {
        return Ok(None);
    }
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM analyses WHERE id = $1 \
         AND ((user_id IS NOT NULL AND user_id = $2) OR (guest_id IS NOT NULL AND guest_id = $3)) \
         AND (expires_at IS NULL OR expires_at > $4)"
    ))
    .bind(id.to_string())
    .bind(viewer.user_id.as_ref().map(UserId::to_string))
    .bind(viewer.guest_id.as_ref().map(GuestId::to_string))
    .bind(now)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(AnalysisRecord::from_row)
    .transpose()
}

/// One page of a user's analyses, newest first, narrowed by `filter`.
pub async fn list_for_user(
    db: &Database,
    user_id: &UserId,
    filter: &HistoryFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AnalysisRecord>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM analyses WHERE user_id = $1 AND ($2 = '' OR jump_type = $2) \
         AND ($3 = '' OR athlete_id = $3) ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(user_id.to_string())
    .bind(filter.jump_type.map_or("", JumpType::code))
    .bind(filter.athlete_id.clone().unwrap_or_default())
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(AnalysisRecord::from_row)
    .collect()
}

/// Assigns (or with `None` unassigns) a user's analysis to one of their athletes; false when the
/// analysis is not theirs. The caller checks the athlete.
pub async fn assign_athlete(
    db: &Database,
    id: &AnalysisId,
    user_id: &UserId,
    athlete_id: Option<&AthleteId>,
) -> Result<bool, sqlx::Error> {
    changed(
        db,
        sqlx::query("UPDATE analyses SET athlete_id = $1 WHERE id = $2 AND user_id = $3")
            .bind(athlete_id.map(AthleteId::to_string))
            .bind(id.to_string())
            .bind(user_id.to_string()),
    )
    .await
}

/// For workers: the analysis whatever its owner.
pub async fn find(db: &Database, id: &AnalysisId) -> Result<Option<AnalysisRecord>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM analyses WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(AnalysisRecord::from_row)
        .transpose()
}

/// Analyses of `owner` waiting for or being analysed.
pub async fn count_active(db: &Database, owner: &Owner) -> Result<i64, sqlx::Error> {
    let (column, value) = owner_column(owner);
    sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM analyses WHERE {column} = $1 AND status IN ('queued', 'running')"
    ))
    .bind(value.clone())
    .fetch_one(&db.pool)
    .await?
    .try_get("n")
}

/// Stops an analysis that has not finished; false when it had already finished.
pub async fn cancel(db: &Database, id: &AnalysisId, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let cancelled = sqlx::query(
        "UPDATE analyses SET status = 'cancelled', finished_at = $1, error_message = NULL \
         WHERE id = $2 AND status IN ('queued', 'running')",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    sqlx::query(
        "UPDATE jobs SET state = 'cancelled', locked_by = NULL, locked_until = NULL, updated_at = $1 \
         WHERE analysis_id = $2 AND state IN ('queued', 'running')",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(cancelled)
}

/// Deletes the row (its job goes with it).
pub async fn delete(db: &Database, id: &AnalysisId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM analyses WHERE id = $1")
        .bind(id.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes an expired analysis only if it is still what the sweeper read: unclaimed (same
/// storage prefix, still expiring) and past its expiry. False when a claim got there first.
pub async fn delete_expired(
    db: &Database,
    id: &AnalysisId,
    prefix: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query(
        "DELETE FROM analyses WHERE id = $1 AND storage_prefix = $2 \
         AND expires_at IS NOT NULL AND expires_at <= $3",
    )
    .bind(id.to_string())
    .bind(prefix.to_string())
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(deleted > 0)
}

/// Guests' analyses past their expiry: (id, storage prefix).
pub async fn expired(
    db: &Database,
    now: i64,
    limit: i64,
) -> Result<Vec<(AnalysisId, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT id, storage_prefix FROM analyses WHERE expires_at IS NOT NULL AND expires_at <= $1 \
         ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|row| {
        let id: String = row.try_get("id")?;
        Ok((id.into(), row.try_get("storage_prefix")?))
    })
    .collect()
}

pub async fn mark_running(db: &Database, id: &AnalysisId, now: i64) -> Result<bool, sqlx::Error> {
    changed(
        db,
        sqlx::query(
            "UPDATE analyses SET status = 'running', stage = 'checking', progress = 0, \
         started_at = $1 WHERE id = $2 AND status IN ('queued', 'running')",
        )
        .bind(now)
        .bind(id.to_string()),
    )
    .await
}

/// Records progress; false when the analysis is no longer running (cancelled or deleted).
pub async fn record_progress(
    db: &Database,
    id: &AnalysisId,
    stage: Stage,
    fraction: f64,
) -> Result<bool, sqlx::Error> {
    changed(
        db,
        sqlx::query(
            "UPDATE analyses SET stage = $1, progress = $2 WHERE id = $3 AND status = 'running'",
        )
        .bind(stage_text(stage))
        .bind(fraction)
        .bind(id.to_string()),
    )
    .await
}

pub async fn is_running(db: &Database, id: &AnalysisId) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM analyses WHERE id = $1 AND status = 'running'")
            .bind(id.to_string())
            .fetch_optional(&db.pool)
            .await?
            .is_some(),
    )
}

/// Stores the result; false when the analysis was cancelled or deleted meanwhile.
pub async fn finish_done(
    db: &Database,
    id: &AnalysisId,
    result_json: &str,
    key_frames: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    changed(
        db,
        sqlx::query(
            "UPDATE analyses SET status = 'done', stage = 'done', progress = 1, result_json = $1, \
         key_frames = $2, finished_at = $3 WHERE id = $4 AND status = 'running'",
        )
        .bind(result_json.to_string())
        .bind(key_frames.join(","))
        .bind(now)
        .bind(id.to_string()),
    )
    .await
}

pub async fn finish_failed(
    db: &Database,
    id: &AnalysisId,
    code: &str,
    message: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    changed(
        db,
        sqlx::query(
            "UPDATE analyses SET status = 'failed', error_code = $1, error_message = $2, \
         finished_at = $3 WHERE id = $4 AND status IN ('queued', 'running')",
        )
        .bind(code.to_string())
        .bind(message.to_string())
        .bind(now)
        .bind(id.to_string()),
    )
    .await
}

/// Back in the queue after a failure on our side that will be retried.
pub async fn requeue(db: &Database, id: &AnalysisId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE analyses SET status = 'queued', stage = NULL, progress = 0 \
         WHERE id = $1 AND status = 'running'",
    )
    .bind(id.to_string())
    .execute(&db.pool)
    .await?;
    Ok(())
}

fn stage_text(stage: Stage) -> &'static str {
    match stage {
        Stage::Checking => "checking",
        Stage::Tracking => "tracking",
        Stage::Measuring => "measuring",
        Stage::Done => "done",
    }
}
