//! How to run an analysis.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::super::kinematics::Options;
use super::super::video::VideoLimits;

#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Facts about the athlete (body mass for power, standing height).
    pub athlete: Options,
    /// `pose_landmarker_lite.task` (fetched by `scripts/fetch-pose-model`).
    pub pose_model: PathBuf,
    /// What a video may be: duration, size, formats.
    pub limits: VideoLimits,
    /// Frames are scaled so their longer side is at most this many pixels before pose
    /// inference: the landmark model sees a 256-px crop, so more only costs decoding time.
    pub analysis_long_side: u32,
    /// Set from another thread to stop the analysis early with `AnalysisError::Cancelled`.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl AnalyzeOptions {
    pub const DEFAULT_LONG_SIDE: u32 = 640;

    pub fn new(pose_model: impl Into<PathBuf>) -> Self {
        AnalyzeOptions {
            athlete: Options::default(),
            pose_model: pose_model.into(),
            limits: VideoLimits::default(),
            analysis_long_side: Self::DEFAULT_LONG_SIDE,
            cancel: None,
        }
    }

    pub(super) fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }
}
