//! What one analysis of one video reports: the kinematics result (the JSON contract:
//! `jump_type`, `metrics`, `events`, `confidence`, `warnings`, `jumps`, …) plus what was
//! decoded and how long each stage took. Shared by the server, the CLI and the UI.

use serde::{Deserialize, Serialize};

use super::KinematicsResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    #[serde(flatten)]
    pub result: KinematicsResult,
    pub video: VideoSummary,
    /// Wall times; the only part of the JSON that differs between runs on the same file.
    pub timings: Timings,
}

/// The decoded video as the engine saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoSummary {
    /// Display size after rotation.
    pub width: u32,
    pub height: u32,
    pub rotation_deg: u32,
    pub duration_s: f64,
    pub codec: String,
    /// Size the pose model was run at.
    pub analysed_width: u32,
    pub analysed_height: u32,
    pub frames_decoded: u32,
    /// Frames the pose model ran on (a coarse pass everywhere, every frame around movement).
    pub frames_posed: u32,
    pub variable_frame_rate: bool,
}

/// Milliseconds per stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub probe_ms: u64,
    pub model_load_ms: u64,
    /// Decoding and pose inference (they overlap).
    pub pose_ms: u64,
    pub kinematics_ms: u64,
    pub total_ms: u64,
}
