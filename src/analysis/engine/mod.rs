//! Runs one analysis: probe (ffmpeg starts and the model loads meanwhile) → decode + pose → kinematics.

mod error;
mod heap;
pub mod keyframes;
mod model_cache;
mod options;
mod pose_pass;
mod schedule;

use std::path::Path;
use std::time::{Duration, Instant};

pub use error::AnalysisError;
pub use heap::use_one_arena;
pub use options::AnalyzeOptions;

use super::kinematics::{self, JumpType, PoseSeries};
use super::progress::{Progress, Stage};
use super::report::{Analysis, Timings, VideoSummary};
use super::video::{self, DecodeOptions, VideoInfo};

/// Share of the progress bar given to decoding and tracking (the rest is quick).
const TRACKING_SHARE: f64 = 0.95;
/// Clips expected to have at least this many frames get a second landmark network (see
/// `PoseModel::add_second_landmark_net`); shorter ones finish before it would pay back its
/// compile time and memory.
const SECOND_NETWORK_MIN_FRAMES: f64 = 150.0;

/// Loads the pose model into this process' cache, so the next analysis finds it ready.
pub fn load_pose_model(path: &Path) -> Result<(), super::pose::PoseError> {
    model_cache::get(path).map(drop)
}

/// Analyses the jump in the video at `path`. Blocking and CPU-heavy (two threads): call
/// it from a blocking task. `progress` is called with a non-decreasing fraction.
pub fn analyze(
    path: &Path,
    jump: JumpType,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Analysis, AnalysisError> {
    analyze_traced(path, jump, options, progress).map(|t| t.analysis)
}

/// An analysis with the pose series it was computed from (for key frames and debugging).
pub struct Traced {
    pub analysis: Analysis,
    pub poses: PoseSeries,
}

pub fn analyze_traced(
    path: &Path,
    jump: JumpType,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Traced, AnalysisError> {
    let started = Instant::now();
    progress(Progress {
        stage: Stage::Checking,
        fraction: 0.0,
    });

    // ffmpeg starts decoding and the model loads (~0.1 s each, once per process for the
    // model) while ffprobe reads the file (~0.08 s): no frame is read before the probe has
    // accepted the file.
    let ((info, probe_time), early, (model, load_time)) = std::thread::scope(|s| {
        let loader = s.spawn(|| timed(|| model_cache::get(&options.pose_model)));
        let early = video::decode_unprobed(
            path,
            &options.limits,
            options.analysis_long_side,
            DecodeOptions::default().timeout,
        );
        let probed = timed(|| video::probe(path, &options.limits));
        let loaded = loader.join().expect("model loader panicked");
        (probed, early, loaded)
    });
    // A bad file is reported before a setup problem: it is what the user can fix.
    let info = info?;
    let reader = if info.has_square_pixels() {
        early?
    } else {
        // ffmpeg sized the frames without the sample aspect ratio: start again, told the size.
        drop(early);
        video::decode(path, &info, &decode_options(&info, options))?
    };
    let model = model?;

    let pose_started = Instant::now();
    let pass = std::thread::scope(|s| {
        if expected_frames(&info) >= SECOND_NETWORK_MIN_FRAMES {
            // Compiled on the side; the trackers take it up once it exists, and if it fails
            // the first copy serves alone.
            s.spawn(|| model.add_second_landmark_net().ok());
        }
        pose_pass::run(
            reader,
            &info,
            &model,
            &mut |f| {
                progress(Progress {
                    stage: Stage::Tracking,
                    fraction: f * TRACKING_SHARE,
                })
            },
            &|| options.cancelled(),
        )
    })?;
    let pose_time = pose_started.elapsed();
    dump_poses(&pass.series);

    progress(Progress {
        stage: Stage::Measuring,
        fraction: TRACKING_SHARE,
    });
    let (result, kinematics_time) =
        timed(|| kinematics::analyze_series(&pass.series, jump, &options.athlete));
    let result = result?;
    progress(Progress {
        stage: Stage::Done,
        fraction: 1.0,
    });

    let analysis = Analysis {
        result,
        video: VideoSummary {
            width: info.width,
            height: info.height,
            rotation_deg: info.rotation_deg,
            duration_s: kinematics::round_to(info.duration_s, 3),
            codec: info.codec.clone(),
            analysed_width: pass.series.image_width,
            analysed_height: pass.series.image_height,
            frames_decoded: pass.frames_decoded,
            frames_posed: pass.series.frames.len() as u32,
            variable_frame_rate: info.variable_frame_rate,
        },
        timings: Timings {
            probe_ms: ms(probe_time),
            model_load_ms: ms(load_time),
            pose_ms: ms(pose_time),
            kinematics_ms: ms(kinematics_time),
            total_ms: ms(started.elapsed()),
        },
    };
    Ok(Traced {
        analysis,
        poses: pass.series,
    })
}

/// For engine development: `AIRTIME_DUMP_POSES=file.json` keeps the pose series the
/// kinematics saw (also when it refuses), so detectors can be replayed without the video.
fn dump_poses(series: &PoseSeries) {
    if let Some(path) = std::env::var_os("AIRTIME_DUMP_POSES") {
        if let Ok(json) = serde_json::to_vec(series) {
            let _ = std::fs::write(path, json);
        }
    }
}

fn expected_frames(info: &VideoInfo) -> f64 {
    info.frame_count
        .map(|n| n as f64)
        .or_else(|| info.avg_fps.map(|fps| fps * info.duration_s))
        .unwrap_or(0.0)
}

/// Frames scaled so the longer side is at most `analysis_long_side`.
fn decode_options(info: &VideoInfo, options: &AnalyzeOptions) -> DecodeOptions {
    DecodeOptions {
        target_width: video::width_for_long_side(info, options.analysis_long_side),
        ..DecodeOptions::within(&options.limits)
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}
