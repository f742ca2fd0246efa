//! Everything that can stop an analysis, with a stable code for API clients and a message
//! a coach can act on.

use super::super::kinematics::KinematicsError;
use super::super::pose::PoseError;
use super::super::video::VideoError;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The file itself: not a video, too long, too large, undecodable.
    #[error(transparent)]
    Video(#[from] VideoError),
    /// The pose model could not be loaded or run (a setup problem, not the user's).
    #[error(transparent)]
    Pose(#[from] PoseError),
    /// The video is fine but the jump cannot be measured in it ("cannot analyse: reason").
    #[error(transparent)]
    Kinematics(#[from] KinematicsError),
    #[error("could not write {path}: {message}")]
    Output { path: String, message: String },
}

impl AnalysisError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AnalysisError::Video(e) => video_code(e),
            AnalysisError::Pose(_) => "pose_model_error",
            AnalysisError::Kinematics(e) => e.code(),
            AnalysisError::Output { .. } => "output_error",
        }
    }

    /// The user's input is at fault (a different clip would work), as opposed to the
    /// installation or the machine.
    pub fn is_user_input(&self) -> bool {
        match self {
            AnalysisError::Video(e) => e.is_user_error(),
            AnalysisError::Kinematics(_) => true,
            AnalysisError::Pose(_) | AnalysisError::Output { .. } => false,
        }
    }
}

fn video_code(e: &VideoError) -> &'static str {
    match e {
        VideoError::NotAVideo(_) => "not_a_video",
        VideoError::NoVideoStream => "no_video_stream",
        VideoError::TooLong { .. } => "video_too_long",
        VideoError::TooLarge { .. } => "video_too_large",
        VideoError::UnsupportedCodec { .. } => "unsupported_codec",
        VideoError::UnsupportedFormat { .. } => "unsupported_format",
        VideoError::ToolMissing { .. } => "ffmpeg_missing",
        VideoError::Timeout { .. } => "video_timeout",
        VideoError::Decode(_) => "decode_failed",
        VideoError::Io(_) => "io_error",
    }
}
