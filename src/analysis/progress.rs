//! Progress of a running analysis, for progress bars.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Checking,
    Tracking,
    Measuring,
    Done,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Checking => "Checking the video",
            Stage::Tracking => "Tracking the athlete",
            Stage::Measuring => "Measuring the jump",
            Stage::Done => "Done",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub stage: Stage,
    /// Overall completion, 0–1, never decreasing.
    pub fraction: f64,
}
