//! Runs one analysis: probe (ffmpeg starts meanwhile, and the model loads if the caller has
//! none yet) → decode + pose → kinematics.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use airtime_kinematics::{
    self as kinematics, Analysis, JumpType, PoseSeries, Progress, Stage, Timings, VideoSummary,
};

use crate::error::AnalysisError;
use crate::host;
use crate::options::AnalyzeOptions;
use crate::pose::{PoseError, PoseGraphs, PoseModel};
use crate::pose_pass::{self, PosePass};
use crate::video::{self, DecodeOptions, FrameReader, VideoInfo};

/// Share of the progress bar given to decoding and tracking (the rest is quick).
const TRACKING_SHARE: f64 = 0.95;
/// Clips expected to have at least this many frames get a second landmark network (see
/// `PoseModel::add_second_landmark_net`); shorter ones finish before it would pay back its
/// compile time and memory.
const SECOND_NETWORK_MIN_FRAMES: f64 = 150.0;

/// Loads the pose networks from `pose_landmarker_lite.task` and the runtime beside it, for
/// [`PoseModel::compile`]. The caller keeps both for as many analyses as it runs.
pub fn load_pose_graphs(path: &Path) -> Result<PoseGraphs, PoseError> {
    let graphs = PoseGraphs::load(path)?;
    // The bundle read from disk is garbage once its two networks are copied out.
    host::release_free_pages();
    Ok(graphs)
}

/// Where the analysis gets its pose model.
#[derive(Clone, Copy)]
pub enum ModelSource<'a, 'g> {
    /// Compiled by the caller, who keeps it for the next analysis.
    Compiled(&'a PoseModel<'g>),
    /// A model file to load and compile while ffprobe reads the video: a one-off run, such as
    /// the CLI's, saves the ~0.1 s.
    File(&'a Path),
}

/// Analyses the jump in the video at `path`. Blocking and CPU-heavy (two threads): call
/// it from a blocking task. `progress` is called with a non-decreasing fraction.
pub fn analyze(
    path: &Path,
    jump: JumpType,
    model: ModelSource<'_, '_>,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Analysis, AnalysisError> {
    analyze_traced(path, jump, model, options, progress).map(|t| t.analysis)
}

/// An analysis with the pose series it was computed from (for key frames and debugging).
pub struct Traced {
    pub analysis: Analysis,
    pub poses: PoseSeries,
}

pub fn analyze_traced(
    path: &Path,
    jump: JumpType,
    model: ModelSource<'_, '_>,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Traced, AnalysisError> {
    let started = Instant::now();
    progress(Progress {
        stage: Stage::Checking,
        fraction: 0.0,
    });

    // ffmpeg starts decoding and the model loads (~0.1 s each, when the caller has no model
    // yet) while ffprobe reads the file (~0.08 s): no frame is read before the probe has
    // accepted the file.
    let graphs = OnceLock::new();
    let ((info, probe_time), early, (model, load_time)) = std::thread::scope(|s| {
        let loader = s.spawn(|| timed(|| Ready::from_source(model, &graphs)));
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
    let pass = model.with(|model| track(model, reader, &info, options, progress))?;
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

/// Decodes and poses the clip: `pose_pass` on `model`, whose second landmark network is
/// compiled on the side for long clips.
fn track(
    model: &PoseModel<'_>,
    reader: FrameReader,
    info: &VideoInfo,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<PosePass, AnalysisError> {
    std::thread::scope(|s| {
        if expected_frames(info) >= SECOND_NETWORK_MIN_FRAMES {
            // The trackers take it up once it exists, and if it fails the first copy serves
            // alone.
            s.spawn(|| model.add_second_landmark_net().ok());
        }
        pose_pass::run(
            reader,
            info,
            model,
            &mut |f| {
                progress(Progress {
                    stage: Stage::Tracking,
                    fraction: f * TRACKING_SHARE,
                })
            },
            &|| options.cancelled(),
        )
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

/// The model of one analysis: the caller's, or compiled for it from graphs loaded into `slot`.
enum Ready<'a, 'g, 's> {
    Given(&'a PoseModel<'g>),
    /// Boxed: the model is large and the borrowed variant a pointer.
    Compiled(Box<PoseModel<'s>>),
}

impl<'a, 'g, 's> Ready<'a, 'g, 's> {
    fn from_source(
        source: ModelSource<'a, 'g>,
        slot: &'s OnceLock<PoseGraphs>,
    ) -> Result<Ready<'a, 'g, 's>, PoseError> {
        match source {
            ModelSource::Compiled(model) => Ok(Ready::Given(model)),
            ModelSource::File(path) => {
                let graphs = load_pose_graphs(path)?;
                PoseModel::compile(slot.get_or_init(|| graphs))
                    .map(|model| Ready::Compiled(Box::new(model)))
            }
        }
    }

    /// Runs `f` on the model, whichever lifetime it borrows its graphs for.
    fn with<R>(&self, f: impl FnOnce(&PoseModel<'_>) -> R) -> R {
        match self {
            Ready::Given(model) => f(model),
            Ready::Compiled(model) => f(model),
        }
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
