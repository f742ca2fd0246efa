//! Everything that can stop an analysis, with a stable code for API clients and a message
//! a coach can act on.

use crate::pose::PoseError;
use crate::video::VideoError;
use airtime_kinematics::KinematicsError;

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
    #[error("the analysis was cancelled")]
    Cancelled,
}

impl AnalysisError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AnalysisError::Video(e) => video_code(e),
            AnalysisError::Pose(_) => "pose_model_error",
            AnalysisError::Kinematics(e) => e.code(),
            AnalysisError::Output { .. } => "output_error",
            AnalysisError::Cancelled => "cancelled",
        }
    }

    /// The user's input is at fault (a different clip would work), as opposed to the
    /// installation or the machine.
    pub fn is_user_input(&self) -> bool {
        match self {
            AnalysisError::Video(e) => e.is_user_error(),
            AnalysisError::Kinematics(_) => true,
            AnalysisError::Pose(_) | AnalysisError::Output { .. } | AnalysisError::Cancelled => {
                false
            }
        }
    }

    /// What the person who uploaded the clip is told: what went wrong and what to try.
    pub fn user_message(&self) -> String {
        match self {
            AnalysisError::Video(e) => e.user_message(),
            AnalysisError::Kinematics(e) => {
                let text = e.to_string();
                let mut chars = text.chars();
                let sentence = match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                    None => text,
                };
                format!("{sentence}. {}", kinematics_hint(e))
            }
            AnalysisError::Cancelled => "The analysis was cancelled.".to_string(),
            AnalysisError::Pose(_) | AnalysisError::Output { .. } => {
                "Airtime could not analyse this video because of a problem on our side. \
                 Please try again later."
                    .to_string()
            }
        }
    }
}

fn kinematics_hint(e: &KinematicsError) -> &'static str {
    match e {
        KinematicsError::NoAthlete(_) => {
            "Film the whole body, well lit, with the athlete as the only person moving."
        }
        KinematicsError::FeetNotVisible(_) => "Keep the feet and the floor in the frame.",
        KinematicsError::NoFlightPhase(_) => {
            "Make sure the clip contains the jump, from standing still to landing."
        }
        KinematicsError::CameraMoving(_) => {
            "Keep the phone still: lean it on something or use a tripod."
        }
        KinematicsError::NotThisJumpType { .. } => {
            "Check that the jump type you picked matches the jump in the clip."
        }
        KinematicsError::TooShort { .. } => {
            "Upload a clip that starts before the jump and ends after the landing."
        }
        KinematicsError::InvalidInput(_) | KinematicsError::InvalidEvents(_) => {
            "Try another recording of the jump."
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
        VideoError::FrameRateTooHigh { .. } => "frame_rate_too_high",
        VideoError::TooManyFrames { .. } => "too_many_frames",
        VideoError::TimestampsStuck => "bad_timestamps",
        VideoError::TooManyStreams { .. } => "too_many_streams",
        VideoError::ToolMissing { .. } => "ffmpeg_missing",
        VideoError::Timeout { .. } => "video_timeout",
        VideoError::Decode(_) => "decode_failed",
        VideoError::Io(_) => "io_error",
    }
}
