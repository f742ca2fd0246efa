//! Body pose from video frames: MediaPipe's BlazePose lite models run with LiteRT (XNNPACK).
//!
//! The models come from `pose_landmarker_lite.task`, MediaPipe's bundle of a person detector and
//! a 33-point landmark network (Apache-2.0, installed by `scripts/fetch-pose-model`). The
//! pipeline reproduces MediaPipe's `PoseLandmarker` in VIDEO mode:
//!
//! 1. **detect** (`detector.rs`): letterbox the frame to 224×224, decode 2254 SSD anchors, weighted
//!    NMS, keep the best person; its hip-centre and scale keypoints give a rotated square ROI
//!    (`roi.rs`) with the body axis vertical;
//! 2. **landmarks** (`landmarks.rs`): warp the ROI to 256×256 (`crop.rs`), run the landmark model,
//!    refine with its heatmaps, project the points back to image pixels;
//! 3. **track** (`tracker.rs`): the landmark model's two alignment points give the next frame's
//!    ROI, so the detector runs only on the first frame and when the person is lost.
//!
//! Landmarks are returned unsmoothed. MediaPipe's VIDEO mode additionally runs a One-Euro filter
//! (min cutoff 0.05, beta 80) over them; that belongs with the kinematics' own smoothing, where
//! its lag can be controlled, so it is not done here. Frame by frame, the output matches
//! MediaPipe's unsmoothed pipeline to within hundredths of a pixel.
//!
//! `litert.rs` binds the runtime's C API (the library sits next to the model bundle);
//! `asset.rs` reads the bundle.
//!
//! ```ignore
//! use airtime_engine::pose::{PoseGraphs, PoseModel, PoseTracker, RgbImage};
//! let graphs = PoseGraphs::load("data/models/pose_landmarker_lite.task".as_ref())?;
//! let model = PoseModel::compile(&graphs)?;
//! let mut tracker = PoseTracker::new(&model);
//! let frame = RgbImage { width, height, data: &rgb };
//! if let Some(points) = tracker.track(&frame)? {
//!     let left_ankle = points[27];
//!     println!("left ankle at ({}, {}) px", left_ankle.x, left_ankle.y);
//! }
//! ```

mod asset;
mod crop;
#[cfg(target_arch = "x86_64")]
mod crop_avx2;
mod detector;
mod error;
mod landmarks;
mod litert;
mod model;
mod prune;
mod roi;
mod tracker;

pub use error::PoseError;
pub use model::{PoseGraphs, PoseModel};
pub use tracker::PoseTracker;

/// Borrowed RGB24 image, row-major, no padding (len == width*height*3).
#[derive(Debug, Clone, Copy)]
pub struct RgbImage<'a> {
    pub width: u32,
    pub height: u32,
    pub data: &'a [u8],
}

impl RgbImage<'_> {
    fn check(&self) -> Result<(), PoseError> {
        let expected = self.width as usize * self.height as usize * 3;
        if self.width == 0 || self.height == 0 || self.data.len() != expected {
            return Err(PoseError::InvalidImage(format!(
                "{}×{} RGB24 needs {expected} bytes, got {}",
                self.width,
                self.height,
                self.data.len()
            )));
        }
        Ok(())
    }
}

/// One body landmark, in MediaPipe's 33-point BlazePose topology (0 nose … 23/24 hips,
/// 25/26 knees, 27/28 ankles, 29/30 heels, 31/32 toes; even = right side of the body).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Landmark {
    /// Horizontal position in pixels of the image given to [`PoseTracker::track`].
    pub x: f32,
    /// Vertical position in pixels, downwards.
    pub y: f32,
    /// Depth relative to the hips, in the same pixel scale as `x`; smaller is nearer the camera.
    /// Much noisier than x and y.
    pub z: f32,
    /// Probability that the point is visible (not occluded), in [0, 1].
    pub visibility: f32,
    /// Probability that the point is inside the frame, in [0, 1].
    pub presence: f32,
}

/// Indices of the landmarks in [`PoseTracker::track`]'s output that jump analysis uses: the
/// kinematics' own table, so the two cannot disagree.
pub use airtime_kinematics::landmark as index;

#[cfg(test)]
mod tests;
