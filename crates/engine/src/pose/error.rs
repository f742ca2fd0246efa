//! Errors of the pose module.

use std::path::PathBuf;

/// Why pose inference could not run.
#[derive(Debug, thiserror::Error)]
pub enum PoseError {
    /// The model asset is not on disk: a setup step was skipped, not a bug.
    #[error(
        "pose model not found at {path}; run `make setup` or `scripts/fetch-pose-model {dir}` to install it",
        dir = path.parent().map(|p| p.display().to_string()).unwrap_or_else(|| ".".into())
    )]
    ModelMissing { path: PathBuf },
    /// The asset exists but is not the model pair this module was written for.
    #[error("pose model is invalid: {0}")]
    ModelInvalid(String),
    /// The input image was unusable (wrong buffer length, empty).
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The runtime failed while running a model.
    #[error("pose inference failed: {0}")]
    Inference(String),
}
