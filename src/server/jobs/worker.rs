//! The worker pool: each worker claims a job, runs the engine on a blocking thread, keeps the
//! job's lease and the analysis' progress up to date while it runs, and records the outcome.
//! Failures on our side are retried with back-off; the user's own bad clip fails at once.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{watch, Mutex, Notify};

use super::queue::{self, ClaimedJob, JobEnd};
use crate::{
    domain::analysis::AnalysisStatus,
    server::{
        analyses::repo::{self, AnalysisRecord},
        engine::{protocol, Engine, EngineError, EngineOutcome},
        state::AppState,
        storage::TempFile,
        time::unix_now,
    },
};
use airtime_kinematics::{Analysis, Progress, Stage};

/// A job is this worker's for this long after each renewal.
const LEASE_S: i64 = 60;
const RENEW_EVERY: Duration = Duration::from_secs(15);
/// Progress is written at most this often (and only when it moved).
const PROGRESS_EVERY: Duration = Duration::from_millis(700);
/// Idle workers look for due jobs (retries, lost leases) this often even when not woken.
const IDLE_POLL: Duration = Duration::from_secs(2);
const RETRY_BASE_S: i64 = 5;

const INTERNAL_FAILURE: &str = "Airtime could not analyse this video because of a problem on our \
    side. Please try again later.";

/// Wakes idle workers when a job is queued.
#[derive(Debug, Clone, Default)]
pub struct JobSignal(Arc<Notify>);

impl JobSignal {
    pub fn job_queued(&self) {
        self.0.notify_waiters();
    }
}

/// How long running analyses may go on after a shutdown is asked for; then their jobs go
/// back to the queue for the next process.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Starts `settings.analysis_workers` workers; zero leaves the queue to other processes.
/// First, the jobs a previous run of this node left running are made due at once. The
/// workers stop when `shutdown` turns true; the handles end when they have.
pub async fn spawn_pool(
    state: AppState,
    signal: JobSignal,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let workers = state.settings.analysis_workers;
    let node = &state.settings.node_name;
    match queue::release_node(&state.db, node, unix_now()).await {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, node, "jobs of this node's previous run released"),
        Err(e) => tracing::error!(error = %e, "could not release the previous run's jobs"),
    }
    let boot = uuid::Uuid::new_v4();
    let handles = (0..workers)
        .map(|n| {
            let worker = Worker {
                id: format!("{node}/{boot}/{n}"),
                state: state.clone(),
                signal: signal.clone(),
                spare: Mutex::new(None),
                shutdown: shutdown.clone(),
            };
            tokio::spawn(worker.run())
        })
        .collect();
    tracing::info!(workers, node, "analysis workers started");
    handles
}

struct Worker {
    id: String,
    state: AppState,
    signal: JobSignal,
    /// An engine child started ahead, loading the model while this worker waits for a job.
    spare: Mutex<Option<Engine>>,
    shutdown: watch::Receiver<bool>,
}

enum Outcome {
    Done(Box<Analysis>, Vec<(String, PathBuf)>, TempFile),
    /// The engine recognised what was wrong.
    Failed(protocol::Failure),
    /// The clip made the engine end abnormally (a limit, a signal, garbage).
    Unsafe(crate::server::engine::UnsafeEnd),
    Cancelled,
    /// The server is shutting down and the grace period ran out.
    Released,
}

impl Worker {
    async fn run(self) {
        let mut shutdown = self.shutdown.clone();
        while !*shutdown.borrow() {
            self.keep_a_spare().await;
            // Registered before looking, so a job queued meanwhile still wakes this worker.
            let woken = self.signal.0.notified();
            let now = unix_now();
            match queue::claim(&self.state.db, &self.id, now + LEASE_S, now).await {
                Ok(Some(job)) => self.process(job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = tokio::time::timeout(IDLE_POLL, woken) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not claim a job");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    }

    async fn process(&self, job: ClaimedJob) {
        let db = &self.state.db;
        let record = match repo::find(db, &job.analysis_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return self.finish_job(&job, JobEnd::Cancelled, None).await,
            Err(e) => {
                tracing::error!(error = %e, "could not load the analysis of a job");
                return;
            }
        };
        if !record.status.is_active() {
            // Finished (or cancelled) before a crash kept the job open.
            let state = match record.status {
                AnalysisStatus::Done => JobEnd::Done,
                AnalysisStatus::Cancelled => JobEnd::Cancelled,
                _ => JobEnd::Failed,
            };
            return self.finish_job(&job, state, None).await;
        }
        if job.attempts > job.max_attempts {
            tracing::error!(
                event = "analysis_failed",
                analysis_id = %record.id,
                attempts = job.attempts - 1,
                "gave up: the analysis kept failing"
            );
            self.fail(&job, &record, "internal_error", INTERNAL_FAILURE)
                .await;
            return;
        }
        match repo::mark_running(db, &record.id, unix_now()).await {
            Ok(true) => {}
            Ok(false) => return self.finish_job(&job, JobEnd::Cancelled, None).await,
            Err(e) => {
                tracing::error!(error = %e, "could not mark an analysis running");
                return;
            }
        }
        tracing::info!(
            event = "analysis_started",
            analysis_id = %record.id,
            jump_type = record.jump_type.code(),
            attempt = job.attempts,
            "analysis started"
        );
        let started = Instant::now();
        match self.analyse(&job, &record).await {
            Ok(Outcome::Done(analysis, frames, frames_dir)) => {
                self.store_result(&job, &record, &analysis, frames, started)
                    .await;
                drop(frames_dir);
            }
            Ok(Outcome::Released) => {
                tracing::info!(event = "analysis_released", analysis_id = %record.id, "shutting down: the analysis goes back to the queue");
                let now = unix_now();
                if let Err(e) = repo::requeue(db, &record.id).await {
                    tracing::error!(error = %e, "could not requeue an analysis");
                }
                if let Err(e) = queue::release(db, &job, &self.id, now).await {
                    tracing::error!(error = %e, "could not release a job");
                }
            }
            Ok(Outcome::Cancelled) => {
                tracing::info!(event = "analysis_cancelled", analysis_id = %record.id, "analysis cancelled");
                self.finish_job(&job, JobEnd::Cancelled, None).await;
            }
            Ok(Outcome::Failed(failure)) if failure.user_input => {
                tracing::info!(
                    event = "analysis_failed",
                    analysis_id = %record.id,
                    code = %failure.code,
                    duration_ms = started.elapsed().as_millis() as u64,
                    reason = %failure.detail,
                    "analysis failed: the clip cannot be measured"
                );
                self.fail(&job, &record, &failure.code, &failure.message)
                    .await;
            }
            Ok(Outcome::Failed(failure)) => {
                self.retry_or_fail(&job, &record, &failure.detail).await
            }
            Ok(Outcome::Unsafe(end)) => {
                tracing::warn!(
                    event = "analysis_failed",
                    analysis_id = %record.id,
                    code = "unsafe_video",
                    duration_ms = started.elapsed().as_millis() as u64,
                    reason = %end,
                    "analysis failed: the clip made the engine end abnormally"
                );
                self.fail(&job, &record, "unsafe_video", &end.user_message())
                    .await;
            }
            Err(problem) => self.retry_or_fail(&job, &record, &problem).await,
        }
    }

    /// Starts a spare engine child when there is none, so the next job does not wait for
    /// the model to load. A failure here is retried by the job that needs the engine.
    async fn keep_a_spare(&self) {
        let mut spare = self.spare.lock().await;
        if spare.is_none() {
            match Engine::spawn(&self.state.settings.engine_config()) {
                Ok(engine) => *spare = Some(engine),
                Err(e) => tracing::error!(error = %e, "could not start an engine child"),
            }
        }
    }

    async fn take_engine(&self) -> Result<Engine, EngineError> {
        match self.spare.lock().await.take() {
            Some(engine) => Ok(engine),
            None => Engine::spawn(&self.state.settings.engine_config()),
        }
    }

    /// Runs the engine in a child process (which also draws the key frames) while renewing
    /// the lease and recording progress. `Err` is a failure on our side (storage, the
    /// engine binary or model).
    async fn analyse(&self, job: &ClaimedJob, record: &AnalysisRecord) -> Result<Outcome, String> {
        let settings = &self.state.settings;
        let video = self
            .state
            .storage
            .local_file(&record.video_key())
            .await
            .map_err(|e| format!("video unavailable: {e}"))?;
        let frames_dir = self.state.storage.temp_file("-frames");
        let limits = settings.video_limits();
        let request = protocol::Request {
            v: protocol::VERSION,
            video: video.path.clone(),
            jump: record.jump_type,
            body_mass_kg: record.body_mass_kg,
            max_video_seconds: limits.max_duration_s,
            tool_memory_bytes: limits.tool_memory_bytes,
            frames_dir: frames_dir.path().to_path_buf(),
        };
        let config = settings.engine_config();
        let engine = self.take_engine().await.map_err(|e| e.to_string())?;
        // The next job's child loads its model while this one runs (~70 ms of one core), so
        // back-to-back jobs do not wait for it either.
        self.keep_a_spare().await;
        let (progress_tx, mut progress_rx) = watch::channel(Progress {
            stage: Stage::Checking,
            fraction: 0.0,
        });
        let mut run = Box::pin(engine.run(
            &request,
            &progress_tx,
            config.deadline_for(record.duration_s),
            config.cpu_seconds_for(record.duration_s),
        ));

        let mut progress_tick = tokio::time::interval(PROGRESS_EVERY);
        let mut renew_tick = tokio::time::interval(RENEW_EVERY);
        let mut written: Option<Progress> = None;
        let mut shutdown = self.shutdown.clone();
        let grace_over = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::pin!(grace_over);
        let outcome = loop {
            tokio::select! {
                finished = &mut run => break Ended::Finished(finished),
                _ = &mut grace_over => break Ended::Released,
                _ = progress_tick.tick() => {
                    let latest = *progress_rx.borrow_and_update();
                    let db = &self.state.db;
                    let still_running = if written.is_none_or(|w| moved(w, latest)) {
                        written = Some(latest);
                        repo::record_progress(db, &record.id, latest.stage, latest.fraction).await
                    } else {
                        repo::is_running(db, &record.id).await
                    };
                    if matches!(still_running, Ok(false)) {
                        break Ended::Cancelled;
                    }
                }
                _ = renew_tick.tick() => {
                    let now = unix_now();
                    let ours = queue::renew(&self.state.db, job, &self.id, now + LEASE_S, now).await;
                    if matches!(ours, Ok(false)) {
                        break Ended::Cancelled;
                    }
                }
            }
        };
        // Dropping an unfinished run kills the child's whole process group.
        drop(run);
        drop(video);
        match outcome {
            Ended::Cancelled => Ok(Outcome::Cancelled),
            Ended::Released => Ok(Outcome::Released),
            Ended::Finished(Ok(EngineOutcome::Done { analysis, frames })) => {
                Ok(Outcome::Done(analysis, frames, frames_dir))
            }
            Ended::Finished(Ok(EngineOutcome::Failed(failure))) => Ok(Outcome::Failed(failure)),
            Ended::Finished(Err(EngineError::Unsafe(end))) => Ok(Outcome::Unsafe(end)),
            Ended::Finished(Err(EngineError::Unavailable(problem))) => Err(problem),
        }
    }

    async fn store_result(
        &self,
        job: &ClaimedJob,
        record: &AnalysisRecord,
        analysis: &Analysis,
        frames: Vec<(String, PathBuf)>,
        started: Instant,
    ) {
        let storage = &self.state.storage;
        // The analysis may have been claimed into an account (new prefix) while it ran.
        let record = match repo::find(&self.state.db, &record.id).await {
            Ok(Some(current)) => current,
            _ => record.clone(),
        };
        let record = &record;
        let mut stored = Vec::new();
        for (event, path) in frames {
            match storage.put_file(&record.frame_key(&event), &path).await {
                Ok(()) => stored.push(event),
                Err(e) => tracing::warn!(error = %e, "could not store a key frame"),
            }
        }
        let json = match serde_json::to_string(analysis) {
            Ok(json) => json,
            Err(e) => return self.retry_or_fail(job, record, &e.to_string()).await,
        };
        match repo::finish_done(&self.state.db, &record.id, &json, &stored, unix_now()).await {
            Ok(true) => {
                tracing::info!(
                    event = "analysis_finished",
                    analysis_id = %record.id,
                    duration_ms = started.elapsed().as_millis() as u64,
                    frames_decoded = analysis.video.frames_decoded,
                    frames_posed = analysis.video.frames_posed,
                    confidence = analysis.result.confidence,
                    "analysis finished"
                );
                self.finish_job(job, JobEnd::Done, None).await;
            }
            Ok(false) => {
                // Cancelled or deleted while the engine ran: its key frames must not linger.
                let _ = storage
                    .delete_prefix(&format!("{}/frames", record.storage_prefix))
                    .await;
                self.finish_job(job, JobEnd::Cancelled, None).await;
            }
            Err(e) => self.retry_or_fail(job, record, &e.to_string()).await,
        }
    }

    async fn retry_or_fail(&self, job: &ClaimedJob, record: &AnalysisRecord, problem: &str) {
        let now = unix_now();
        if job.attempts < job.max_attempts {
            let delay = RETRY_BASE_S << (job.attempts - 1).clamp(0, 6);
            tracing::warn!(
                event = "analysis_retry",
                analysis_id = %record.id,
                attempt = job.attempts,
                retry_in_s = delay,
                problem,
                "analysis failed on our side; it will be retried"
            );
            let db = &self.state.db;
            if let Err(e) = repo::requeue(db, &record.id).await {
                tracing::error!(error = %e, "could not requeue an analysis");
            }
            if let Err(e) = queue::retry_later(db, job, problem, now + delay, now).await {
                tracing::error!(error = %e, "could not requeue a job");
            }
        } else {
            tracing::error!(
                event = "analysis_failed",
                analysis_id = %record.id,
                attempts = job.attempts,
                problem,
                "analysis failed on our side; giving up"
            );
            self.fail(job, record, "internal_error", INTERNAL_FAILURE)
                .await;
        }
    }

    async fn fail(&self, job: &ClaimedJob, record: &AnalysisRecord, code: &str, message: &str) {
        if let Err(e) =
            repo::finish_failed(&self.state.db, &record.id, code, message, unix_now()).await
        {
            tracing::error!(error = %e, "could not record a failed analysis");
        }
        self.finish_job(job, JobEnd::Failed, Some(code)).await;
    }

    async fn finish_job(&self, job: &ClaimedJob, state: JobEnd, error: Option<&str>) {
        if let Err(e) = queue::finish(&self.state.db, job, state, error, unix_now()).await {
            tracing::error!(error = %e, "could not finish a job");
        }
    }
}

/// How the wait for an engine child ended.
enum Ended {
    Finished(Result<EngineOutcome, EngineError>),
    /// The analysis was cancelled or the lease lost.
    Cancelled,
    /// The shutdown grace period ran out.
    Released,
}

/// Worth writing: a new stage or at least one percent more.
fn moved(written: Progress, latest: Progress) -> bool {
    written.stage != latest.stage || latest.fraction - written.fraction >= 0.01
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_written_when_it_moves() {
        let p = |stage, fraction| Progress { stage, fraction };
        assert!(!moved(p(Stage::Tracking, 0.10), p(Stage::Tracking, 0.105)));
        assert!(moved(p(Stage::Tracking, 0.10), p(Stage::Tracking, 0.12)));
        assert!(moved(p(Stage::Tracking, 0.95), p(Stage::Measuring, 0.95)));
    }
}
