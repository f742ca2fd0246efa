//! The analysis engine: from a phone video to jump metrics. Everything here runs on the
//! server (or the CLI); the pure kinematics it ends with is `airtime-kinematics`, which the
//! browser runs too.
//!
//! - `video`: ffprobe/ffmpeg as confined child processes (`confine`), frames in exact RGB.
//! - `pose`: BlazePose on the LiteRT runtime, our own tracking pipeline around it.
//! - [`analyze`]: probe → decode + pose (`pose_pass`, scheduled by `schedule`) → kinematics;
//!   `keyframes` draws the skeleton on each event's frame.
//! - `host`: the few process-wide calls the server needs from the OS (allocator, disk
//!   space, signals to a process group).
//!
//! All of the workspace's `unsafe` code lives in this crate.

mod analyze;
pub mod confine;
mod error;
pub mod host;
pub mod keyframes;
mod options;
pub mod pose;
mod pose_pass;
mod schedule;
mod simd;
pub mod video;

#[cfg(test)]
mod test_support;

pub use analyze::{analyze, analyze_traced, load_pose_graphs, ModelSource, Traced};
pub use error::AnalysisError;
pub use options::AnalyzeOptions;
