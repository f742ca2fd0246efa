//! Why a clip cannot be analysed. Refusing is a result: a confident wrong number (the peer
//! reports 186 cm for a panning dunk) is worse than "cannot analyse: reason".

use super::series::JumpType;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KinematicsError {
    #[error("cannot analyse: invalid input ({0})")]
    InvalidInput(String),
    #[error("cannot analyse: the clip is too short ({frames} frames over {duration_s:.2} s)")]
    TooShort { frames: usize, duration_s: f64 },
    #[error("cannot analyse: no athlete found ({0})")]
    NoAthlete(String),
    #[error("cannot analyse: feet not visible ({0})")]
    FeetNotVisible(String),
    #[error("cannot analyse: no flight phase ({0})")]
    NoFlightPhase(String),
    #[error("cannot analyse: {0}")]
    CameraMoving(String),
    #[error("cannot analyse: movement does not look like a {expected} ({reason})")]
    NotThisJumpType { expected: JumpType, reason: String },
    #[error("cannot recompute: {0}")]
    InvalidEvents(String),
}

impl KinematicsError {
    /// Stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            KinematicsError::InvalidInput(_) => "invalid_input",
            KinematicsError::TooShort { .. } => "too_short",
            KinematicsError::NoAthlete(_) => "no_athlete",
            KinematicsError::FeetNotVisible(_) => "feet_not_visible",
            KinematicsError::NoFlightPhase(_) => "no_flight_phase",
            KinematicsError::CameraMoving(_) => "camera_moving",
            KinematicsError::NotThisJumpType { .. } => "not_this_jump_type",
            KinematicsError::InvalidEvents(_) => "invalid_events",
        }
    }
}
