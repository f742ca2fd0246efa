//! What the pages know about an uploaded video's analysis: its state while it runs and its
//! result when it is done. Shared by the server functions and the browser.

use serde::{Deserialize, Serialize};

use airtime_kinematics::{Analysis, JumpType, Stage};

use crate::labels::stage_label;

/// Lifecycle of one analysis (stored as these snake_case strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl AnalysisStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Running,
            Self::Done,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Still waiting for a worker or being worked on.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// The live state of an analysis, polled while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisProgress {
    pub status: AnalysisStatus,
    pub stage: Option<Stage>,
    /// 0–1.
    pub fraction: f64,
    /// Why it failed, in words for the user.
    pub error: Option<String>,
}

impl AnalysisProgress {
    /// What the progress bar says.
    pub fn label(&self) -> &'static str {
        match (self.status, self.stage) {
            (AnalysisStatus::Queued, _) => "Waiting for a free analyser",
            (AnalysisStatus::Running, Some(stage)) => stage_label(stage),
            (AnalysisStatus::Running, None) => "Starting",
            (AnalysisStatus::Done, _) => "Done",
            (AnalysisStatus::Failed, _) => "Could not analyse this video",
            (AnalysisStatus::Cancelled, _) => "Cancelled",
        }
    }
}

/// Everything the results page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisView {
    pub id: String,
    pub jump_type: JumpType,
    pub body_mass_kg: Option<f64>,
    pub progress: AnalysisProgress,
    /// Unix seconds.
    pub created_at: i64,
    /// Set for guests: when the analysis and its video will be deleted (Unix seconds).
    pub expires_at: Option<i64>,
    /// Seconds left until then, as of the request (so server and browser render the same).
    pub expires_in_s: Option<i64>,
    pub video_duration_s: f64,
    /// Present when `progress.status` is `Done`.
    pub result: Option<Analysis>,
    /// Events that have a key frame image, in time order.
    pub key_frames: Vec<String>,
    pub athlete_id: Option<String>,
    /// False for a guest's analysis.
    pub owned_by_account: bool,
}

impl AnalysisView {
    pub fn video_url(&self) -> String {
        format!("/api/analyses/{}/video", self.id)
    }

    pub fn key_frame_url(&self, event: &str) -> String {
        format!("/api/analyses/{}/frames/{event}.png", self.id)
    }

    pub fn download_url(&self, format: &str) -> String {
        format!("/api/analyses/{}/result.{format}", self.id)
    }
}

/// What the upload route answers when it accepted a video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAccepted {
    pub id: String,
    /// The results page, which shows progress until the analysis is done.
    pub url: String,
}

/// Limits of the upload form, shown before a user picks a file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UploadLimits {
    pub max_upload_mb: u64,
    pub max_video_seconds: f64,
}

/// Body mass accepted for power estimates (kg).
pub const BODY_MASS_RANGE_KG: (f64, f64) = (20.0, 250.0);

/// An optional body mass as typed ("72,5" too); empty means not given.
pub fn parse_body_mass(text: &str) -> Result<Option<f64>, crate::error::AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (low, high) = BODY_MASS_RANGE_KG;
    text.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|m| (low..=high).contains(m))
        .map(Some)
        .ok_or_else(|| {
            crate::error::AppError::invalid(
                crate::error::Field::BodyMass,
                format!(
                    "Enter body mass in kilograms, between {low:.0} and {high:.0}, or leave it empty."
                ),
            )
        })
}

/// Hours or minutes left, for "deleted in …" notices.
pub fn time_left_phrase(seconds_left: i64) -> String {
    let left = seconds_left.max(0);
    match left {
        0..=59 => "less than a minute".to_string(),
        60..=3599 => plural(left / 60, "minute"),
        _ => plural((left + 1800) / 3600, "hour"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_its_text() {
        for s in ["queued", "running", "done", "failed", "cancelled"] {
            assert_eq!(AnalysisStatus::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(AnalysisStatus::parse("nope"), None);
    }

    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(time_left_phrase(30), "less than a minute");
        assert_eq!(time_left_phrase(120), "2 minutes");
        assert_eq!(time_left_phrase(24 * 3600 - 10), "24 hours");
        assert_eq!(time_left_phrase(3600), "1 hour");
    }
}
