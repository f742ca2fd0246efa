//! Per-sequence tracking: reuse the ROI predicted by the previous frame's landmarks and only run
//! the detector when there is no ROI or the person was lost.

use super::error::PoseError;
use super::landmarks::{self, MIN_PRESENCE};
use super::model::PoseModel;
use super::roi::Roi;
use super::{Landmark, RgbImage};

/// Tracks one person through consecutive frames of one sequence.
///
/// Like MediaPipe's landmarker in VIDEO mode, each frame's landmarks place the next frame's
/// crop, which follows fast motion (a jump) better than re-detecting and costs one network
/// instead of two. Unlike MediaPipe, a frame whose tracked crop loses the person is retried at
/// once with the detector instead of being reported empty, so a lost track costs no frame.
pub struct PoseTracker<'m, 'g> {
    model: &'m PoseModel<'g>,
    roi: Option<Roi>,
    frame_size: (u32, u32),
}

impl<'m, 'g> PoseTracker<'m, 'g> {
    pub fn new(model: &'m PoseModel<'g>) -> Self {
        PoseTracker {
            model,
            roi: None,
            frame_size: (0, 0),
        }
    }

    /// Forgets the ROI, so the next frame runs the detector (use at cuts or seeks).
    pub fn reset(&mut self) {
        self.roi = None;
    }

    /// 33 landmarks, or `None` when nobody is found.
    pub fn track(&mut self, image: &RgbImage<'_>) -> Result<Option<Vec<Landmark>>, PoseError> {
        image.check()?;
        if self.frame_size != (image.width, image.height) {
            self.frame_size = (image.width, image.height);
            self.roi = None;
        }
        if let Some(roi) = self.roi.take() {
            if let Some(found) = self.landmarks_in(image, &roi)? {
                return Ok(Some(found));
            }
        }
        match self.model.detect(image)? {
            Some(roi) => self.landmarks_in(image, &roi),
            None => Ok(None),
        }
    }

    /// Runs the landmark model on `roi`; on success stores the next frame's ROI.
    fn landmarks_in(
        &mut self,
        image: &RgbImage<'_>,
        roi: &Roi,
    ) -> Result<Option<Vec<Landmark>>, PoseError> {
        let run = self.model.landmarks(image, roi)?;
        if run.presence.is_nan() || run.presence < MIN_PRESENCE {
            return Ok(None);
        }
        self.roi = landmarks::next_roi(&run.points);
        let mut points = run.points;
        points.truncate(landmarks::NUM_BODY_POINTS);
        Ok(Some(points))
    }
}
