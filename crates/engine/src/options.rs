//! How to run an analysis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::video::VideoLimits;
use airtime_kinematics::Options;

#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Facts about the athlete (body mass for power, standing height).
    pub athlete: Options,
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

    pub(crate) fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            athlete: Options::default(),
            limits: VideoLimits::default(),
            analysis_long_side: Self::DEFAULT_LONG_SIDE,
            cancel: None,
        }
    }
}
