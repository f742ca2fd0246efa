//! The worker pool: each worker claims a job, runs the engine on a blocking thread, keeps the
//! job's lease and the analysis' progress up to date while it runs, and records the outcome.
//! Failures on our side are retried with back-off; the user's own bad clip fails at once.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::{watch, Notify};

use super::queue::{self, ClaimedJob};
use crate::{
    analysis::{
        analyze_traced, keyframes, Analysis, AnalysisError, AnalyzeOptions, Options, Progress,
        Stage,
    },
    domain::analysis::AnalysisStatus,
    server::{
        analyses::repo::{self, AnalysisRecord},
        state::AppState,
        storage::TempFile,
        time::unix_now,
    },
};

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

/// Starts `settings.analysis_workers` workers; zero leaves the queue to other processes.
pub fn spawn_pool(state: AppState, signal: JobSignal) {
    let workers = state.settings.analysis_workers;
    let process = uuid::Uuid::new_v4();
    for n in 0..workers {
        let worker = Worker {
            id: format!("{process}/{n}"),
            state: state.clone(),
            signal: signal.clone(),
        };
        tokio::spawn(worker.run());
    }
    tracing::info!(workers, "analysis workers started");
}

struct Worker {
    id: String,
    state: AppState,
    signal: JobSignal,
}

enum Outcome {
    Done(Box<Analysis>, Vec<(String, PathBuf)>, TempFile),
    Failed(AnalysisError),
}

impl Worker {
    async fn run(self) {
        loop {
            // Registered before looking, so a job queued meanwhile still wakes this worker.
            let woken = self.signal.0.notified();
            let now = unix_now();
            match queue::claim(&self.state.db, &self.id, now + LEASE_S, now).await {
                Ok(Some(job)) => self.process(job).await,
                Ok(None) => {
                    let _ = tokio::time::timeout(IDLE_POLL, woken).await;
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
            Ok(None) => return self.finish_job(&job, "cancelled", None).await,
            Err(e) => {
                tracing::error!(error = %e, "could not load the analysis of a job");
                return;
            }
        };
        if !record.status.is_active() {
            // Finished (or cancelled) before a crash kept the job open.
            let state = match record.status {
                AnalysisStatus::Done => "done",
                AnalysisStatus::Cancelled => "cancelled",
                _ => "failed",
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
            Ok(false) => return self.finish_job(&job, "cancelled", None).await,
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
            Ok(Outcome::Failed(AnalysisError::Cancelled)) => {
                tracing::info!(event = "analysis_cancelled", analysis_id = %record.id, "analysis cancelled");
                self.finish_job(&job, "cancelled", None).await;
            }
            Ok(Outcome::Failed(error)) if error.is_user_input() => {
                tracing::info!(
                    event = "analysis_failed",
                    analysis_id = %record.id,
                    code = error.code(),
                    duration_ms = started.elapsed().as_millis() as u64,
                    reason = %error,
                    "analysis failed: the clip cannot be measured"
                );
                self.fail(&job, &record, error.code(), &error.user_message())
                    .await;
            }
            Ok(Outcome::Failed(error)) => {
                self.retry_or_fail(&job, &record, &error.to_string()).await
            }
            Err(problem) => self.retry_or_fail(&job, &record, &problem).await,
        }
    }

    /// Runs the engine (and draws the key frames) while renewing the lease and recording
    /// progress. `Err` is a failure on our side (storage, a panic).
    async fn analyse(&self, job: &ClaimedJob, record: &AnalysisRecord) -> Result<Outcome, String> {
        let settings = &self.state.settings;
        let video = self
            .state
            .storage
            .local_file(&record.video_key())
            .await
            .map_err(|e| format!("video unavailable: {e}"))?;
        let cancel = Arc::new(AtomicBool::new(false));
        let options = AnalyzeOptions {
            athlete: Options {
                body_mass_kg: record.body_mass_kg,
                athlete_height_m: None,
            },
            limits: settings.video_limits(),
            cancel: Some(cancel.clone()),
            ..AnalyzeOptions::new(&settings.pose_model)
        };
        let frames_dir = self.state.storage.temp_file("-frames");
        let (progress_tx, mut progress_rx) = watch::channel(Progress {
            stage: Stage::Checking,
            fraction: 0.0,
        });
        let jump = record.jump_type;
        let video_path = video.path.clone();
        let dir = frames_dir.path().to_path_buf();
        let mut engine = tokio::task::spawn_blocking(move || {
            let traced = analyze_traced(&video_path, jump, &options, &mut |p| {
                progress_tx.send_replace(p);
            })?;
            if options
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
            {
                return Err(AnalysisError::Cancelled);
            }
            // Key frames are a nicety: without them the numbers still stand.
            let frames = match keyframes::write(&video_path, &traced.analysis, &traced.poses, &dir)
            {
                Ok(paths) => paths
                    .into_iter()
                    .filter_map(|path| Some((event_of_frame_file(&path)?, path)))
                    .collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "key frames not drawn");
                    Vec::new()
                }
            };
            Ok((traced.analysis, frames))
        });

        let mut progress_tick = tokio::time::interval(PROGRESS_EVERY);
        let mut renew_tick = tokio::time::interval(RENEW_EVERY);
        let mut written: Option<Progress> = None;
        let outcome = loop {
            tokio::select! {
                finished = &mut engine => break finished,
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
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
                _ = renew_tick.tick() => {
                    let now = unix_now();
                    let ours = queue::renew(&self.state.db, job, &self.id, now + LEASE_S, now).await;
                    if matches!(ours, Ok(false)) {
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
            }
        };
        drop(video);
        match outcome {
            Ok(Ok((analysis, frames))) => Ok(Outcome::Done(Box::new(analysis), frames, frames_dir)),
            Ok(Err(error)) => Ok(Outcome::Failed(error)),
            Err(join_error) => Err(format!("the engine panicked: {join_error}")),
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
                self.finish_job(job, "done", None).await;
            }
            Ok(false) => {
                // Cancelled or deleted while the engine ran: its key frames must not linger.
                let _ = storage
                    .delete_prefix(&format!("{}/frames", record.storage_prefix))
                    .await;
                self.finish_job(job, "cancelled", None).await;
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
        self.finish_job(job, "failed", Some(code)).await;
    }

    async fn finish_job(&self, job: &ClaimedJob, state: &str, error: Option<&str>) {
        if let Err(e) = queue::finish(&self.state.db, job, state, error, unix_now()).await {
            tracing::error!(error = %e, "could not finish a job");
        }
    }
}

/// Worth writing: a new stage or at least one percent more.
fn moved(written: Progress, latest: Progress) -> bool {
    written.stage != latest.stage || latest.fraction - written.fraction >= 0.01
}

/// `03_takeoff.png` → `takeoff`.
fn event_of_frame_file(path: &std::path::Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (_, event) = stem.split_once('_')?;
    Some(event.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_frame_files_name_their_event() {
        assert_eq!(
            event_of_frame_file(std::path::Path::new("/tmp/x/03_lowest_point.png")).as_deref(),
            Some("lowest_point")
        );
    }

    #[test]
    fn progress_is_written_when_it_moves() {
        let p = |stage, fraction| Progress { stage, fraction };
        assert!(!moved(p(Stage::Tracking, 0.10), p(Stage::Tracking, 0.105)));
        assert!(moved(p(Stage::Tracking, 0.10), p(Stage::Tracking, 0.12)));
        assert!(moved(p(Stage::Tracking, 0.95), p(Stage::Measuring, 0.95)));
    }
}
