//! Runs one analysis: probe → (model loads meanwhile) → decode + pose → kinematics.

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

    // The model loads (~0.15 s, once per process) while ffprobe reads the file and ffmpeg
    // starts decoding (its start-up alone takes ~0.1 s).
    let ((info, probe_time), reader, (model, load_time)) = std::thread::scope(|s| {
        let loader = s.spawn(|| timed(|| model_cache::get(&options.pose_model)));
        let (info, probe_time) = timed(|| video::probe(path, &options.limits));
        let reader = info
            .as_ref()
            .ok()
            .map(|info| video::decode(path, info, &decode_options(info, options)));
        let loaded = loader.join().expect("model loader panicked");
        ((info, probe_time), reader, loaded)
    });
    // A bad file is reported before a setup problem: it is what the user can fix.
    let info = info?;
    let reader = reader.expect("decoding starts once the probe succeeds")?;
    let model = model?;

    let pose_started = Instant::now();
    let pass = pose_pass::run(
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
    )?;
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

/// Frames scaled so the longer side is at most `analysis_long_side`.
fn decode_options(info: &VideoInfo, options: &AnalyzeOptions) -> DecodeOptions {
    let long = info.width.max(info.height).max(1);
    let target = if long <= options.analysis_long_side {
        info.width
    } else {
        let scaled =
            f64::from(info.width) * f64::from(options.analysis_long_side) / f64::from(long);
        scaled.round() as u32
    };
    DecodeOptions {
        target_width: target.max(2) & !1,
        ..DecodeOptions::default()
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
