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

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub stage: Stage,
    /// Overall completion, 0–1, never decreasing.
    pub fraction: f64,
}
