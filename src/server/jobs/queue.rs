//! The durable job table. A worker claims a job by leasing it until `locked_until` and renews the
//! lease while it works; a job whose lease ran out (its worker died with its process) is claimed
//! again. On PostgreSQL the claim skips rows other workers are claiming (`FOR UPDATE SKIP
//! LOCKED`), so separate worker processes can share one queue; SQLite serialises writers anyway.

use sqlx::Row;

use crate::{
    domain::ids::AnalysisId,
    server::db::{Backend, Database},
};

#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub analysis_id: AnalysisId,
    /// Including this one.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Due jobs: queued ones whose time has come, and running ones whose worker stopped renewing.
const DUE: &str =
    "(state = 'queued' AND run_after <= $3) OR (state = 'running' AND locked_until < $3)";

pub async fn claim(
    db: &Database,
    worker: &str,
    lease_until: i64,
    now: i64,
) -> Result<Option<ClaimedJob>, sqlx::Error> {
    let lock = match db.backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
         locked_until = $2, updated_at = $3 \
         WHERE id = (SELECT id FROM jobs WHERE {DUE} ORDER BY run_after, created_at LIMIT 1 {lock}) \
         AND ({DUE}) \
         RETURNING id, analysis_id, attempts, max_attempts"
    );
    let row = sqlx::query(&sql)
        .bind(worker.to_string())
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| {
        Ok(ClaimedJob {
            id: row.try_get("id")?,
            analysis_id: row.try_get::<String, _>("analysis_id")?.into(),
            attempts: row.try_get("attempts")?,
            max_attempts: row.try_get("max_attempts")?,
        })
    })
    .transpose()
}

/// Extends the lease; false when the job is no longer this worker's (cancelled, or taken over
/// after the lease ran out).
pub async fn renew(
    db: &Database,
    job: &ClaimedJob,
    worker: &str,
    lease_until: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET locked_until = $1, updated_at = $2 \
         WHERE id = $3 AND locked_by = $4 AND state = 'running'",
    )
    .bind(lease_until)
    .bind(now)
    .bind(job.id.clone())
    .bind(worker.to_string())
    .execute(&db.pool)
    .await?
    .rows_affected()
        > 0)
}

/// How a job ended, stored as its `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEnd {
    Done,
    Failed,
    Cancelled,
}

impl JobEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            JobEnd::Done => "done",
            JobEnd::Failed => "failed",
            JobEnd::Cancelled => "cancelled",
        }
    }
}

/// Ends the job.
pub async fn finish(
    db: &Database,
    job: &ClaimedJob,
    state: JobEnd,
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = $1, last_error = $2, locked_by = NULL, locked_until = NULL, \
         updated_at = $3 WHERE id = $4 AND state IN ('queued', 'running')",
    )
    .bind(state.as_str())
    .bind(error.map(str::to_string))
    .bind(now)
    .bind(job.id.clone())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Puts the job back in the queue to be tried again at `run_after`.
pub async fn retry_later(
    db: &Database,
    job: &ClaimedJob,
    error: &str,
    run_after: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'queued', last_error = $1, run_after = $2, locked_by = NULL, \
         locked_until = NULL, updated_at = $3 WHERE id = $4 AND state = 'running'",
    )
    .bind(error.to_string())
    .bind(run_after)
    .bind(now)
    .bind(job.id.clone())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Makes every job a previous run of this node still holds due at once: that process is
/// gone (it is being replaced by this one), so its leases need not be waited out. The crash
/// counts as an attempt, as an expired lease would. `node` is the worker-id prefix.
pub async fn release_node(db: &Database, node: &str, now: i64) -> Result<u64, sqlx::Error> {
    let prefix = format!("{node}/");
    Ok(sqlx::query(
        "UPDATE jobs SET locked_until = 0, updated_at = $1 \
         WHERE state = 'running' AND substr(locked_by, 1, length($2)) = $2",
    )
    .bind(now)
    .bind(prefix)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Hands a running job back to the queue untouched (a shutdown, not a failure): due now, and
/// the attempt it used is given back.
pub async fn release(
    db: &Database,
    job: &ClaimedJob,
    worker: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_after = $1, \
         locked_by = NULL, locked_until = NULL, updated_at = $1 \
         WHERE id = $2 AND locked_by = $3 AND state = 'running'",
    )
    .bind(now)
    .bind(job.id.clone())
    .bind(worker.to_string())
    .execute(&db.pool)
    .await?;
    Ok(())
}
