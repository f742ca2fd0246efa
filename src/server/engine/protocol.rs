//! What the web process and an engine child say to each other: one JSON request on the
//! child's stdin, then JSON lines on its stdout. Every message carries the protocol version,
//! so a server and a child from different builds refuse each other instead of misreading.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use airtime_kinematics::{Analysis, JumpType, Progress};

pub const VERSION: u32 = 1;

/// Longest line either side accepts: a result with every pose frame of a 60-s clip at 240 fps
/// is far below it.
pub const MAX_LINE_BYTES: usize = 32 << 20;

/// The job, sent once the child has said it is ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    pub video: PathBuf,
    pub jump: JumpType,
    pub body_mass_kg: Option<f64>,
    /// Longest clip accepted, in seconds.
    pub max_video_seconds: f64,
    /// Address space each ffprobe/ffmpeg run may map.
    pub tool_memory_bytes: u64,
    /// Where the key frames (PNG) go; the child creates it.
    pub frames_dir: PathBuf,
}

/// One line from the child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Message {
    /// The model is loaded; the child waits for its request.
    Ready {
        v: u32,
        model_load_ms: u64,
    },
    Progress {
        v: u32,
        progress: Progress,
    },
    Done {
        v: u32,
        analysis: Box<Analysis>,
        /// `(event, png)` for each key frame drawn.
        frames: Vec<(String, PathBuf)>,
    },
    Failed {
        v: u32,
        failure: Failure,
    },
}

impl Message {
    pub fn version(&self) -> u32 {
        match self {
            Message::Ready { v, .. }
            | Message::Progress { v, .. }
            | Message::Done { v, .. }
            | Message::Failed { v, .. } => *v,
        }
    }
}

/// An analysis that ended with an error the engine itself recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Stable code (`AnalysisError::code`).
    pub code: String,
    /// The clip is at fault: a retry cannot help.
    pub user_input: bool,
    /// What the coach is told.
    pub message: String,
    /// For the server log.
    pub detail: String,
}
