//! The analysis engine: from a phone video to jump metrics.
//!
//! - `kinematics`: pose time series → events and metrics (pure; also builds for wasm32 so
//!   the browser can recompute metrics after a hand correction).
//! - `report`, `progress`: the result and progress types shared with the UI.
//! - Server only: `video` (ffprobe/ffmpeg as child processes), `pose` (BlazePose on the
//!   LiteRT runtime, our own pipeline around it), `engine` (runs them: [`analyze`]).

pub mod kinematics;
pub mod labels;
pub mod progress;
pub mod report;

#[cfg(feature = "ssr")]
pub mod confine;
#[cfg(feature = "ssr")]
mod engine;
#[cfg(feature = "ssr")]
pub mod pose;
#[cfg(feature = "ssr")]
pub mod video;

#[cfg(all(test, feature = "ssr"))]
mod test_support;

#[cfg(feature = "ssr")]
pub use engine::{
    analyze, analyze_traced, keyframes, load_pose_model, use_one_arena, AnalysisError,
    AnalyzeOptions, Traced,
};
pub use kinematics::{JumpType, Options};
pub use progress::{Progress, Stage};
pub use report::{Analysis, Timings, VideoSummary};
