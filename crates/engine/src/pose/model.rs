//! Loading the two networks and running them on one image.

use std::path::Path;
use std::sync::{Mutex, OnceLock, TryLockError};

use super::asset;
use super::crop::{self, Border};
use super::detector::{self, Anchor};
use super::error::PoseError;
use super::landmarks::{self, CropPoint};
use super::litert::{self, Compiled, Runtime, Threads};
use super::prune;
use super::roi::Roi;
use super::{Landmark, RgbImage};

/// The BlazePose lite detector and landmark networks, read from MediaPipe's bundle and parsed
/// by LiteRT: what [`PoseModel::compile`] compiles. Whoever runs analyses loads it once and
/// keeps it; the compiled networks borrow it.
pub struct PoseGraphs {
    detector: litert::Model,
    landmarks: litert::Model,
}

/// The two networks compiled for the CPU (~40 ms), ready to run.
///
/// Share it between threads (it is `Send + Sync`); each [`PoseTracker`](super::PoseTracker)
/// borrows it. Each network is compiled once (its XNNPACK plan and buffers: 15–25 MB each)
/// and runs for one caller at a time: the scout and dense trackers take turns. Clips with many
/// frames to pose add a second copy of the landmark network
/// ([`PoseModel::add_second_landmark_net`]).
pub struct PoseModel<'g> {
    graphs: &'g PoseGraphs,
    landmark_net: Mutex<Compiled<'g>>,
    second_landmark_net: OnceLock<Mutex<Compiled<'g>>>,
    detector_net: Mutex<Compiled<'g>>,
    anchors: Vec<Anchor>,
}

/// The landmark model's outputs we read, by element count: the 39 points (x, y, z,
/// visibility, presence), the pose presence and the heatmaps. Not the segmentation mask nor
/// the world landmarks, whose layers are pruned away at load.
pub(crate) const LANDMARK_OUTPUTS: [usize; 3] = [
    landmarks::NUM_POINTS * 5,
    1,
    landmarks::HEATMAP_SIDE * landmarks::HEATMAP_SIDE * landmarks::NUM_POINTS,
];

/// What one landmark-model run found.
pub(crate) struct LandmarkRun {
    /// 39 points in image pixels (33 body points, then the two alignment points and 4 unused).
    pub points: Vec<Landmark>,
    /// Pose presence in [0, 1].
    pub presence: f32,
}

/// Finds the output with `len` elements; outputs are matched by size rather than position
/// because pruning reorders them and the bundle's order is no contract.
fn output_with_len<'a>(
    outputs: &[&'a [f32]],
    len: usize,
    what: &str,
) -> Result<&'a [f32], PoseError> {
    outputs
        .iter()
        .copied()
        .find(|o| o.len() == len)
        .ok_or_else(|| PoseError::Inference(format!("{what}: no output with {len} values")))
}

fn lock<'a, 'g>(net: &'a Mutex<Compiled<'g>>) -> std::sync::MutexGuard<'a, Compiled<'g>> {
    // A panic mid-run leaves nothing half-written that the next run reads.
    net.lock().unwrap_or_else(|p| p.into_inner())
}

impl PoseGraphs {
    /// Loads `pose_landmarker_lite.task` (MediaPipe's bundle of the two networks) and the
    /// LiteRT library installed beside it.
    pub fn load(task_file: &Path) -> Result<PoseGraphs, PoseError> {
        let bytes = match std::fs::read(task_file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PoseError::ModelMissing {
                    path: task_file.to_path_buf(),
                })
            }
            Err(e) => {
                return Err(PoseError::ModelInvalid(format!(
                    "reading {}: {e}",
                    task_file.display()
                )))
            }
        };
        let entries = asset::entries(&bytes)?;
        let detector_bytes = asset::entry(&entries, asset::DETECTOR_ENTRY)?.to_vec();
        let mut landmark_bytes = asset::entry(&entries, asset::LANDMARKS_ENTRY)?.to_vec();
        prune::keep_outputs(&mut landmark_bytes, &LANDMARK_OUTPUTS)?;
        let runtime = Runtime::load(&task_file.with_file_name(litert::LIBRARY_FILE))?;
        Ok(PoseGraphs {
            detector: litert::Model::parse(&runtime, detector_bytes, "detector")?,
            landmarks: litert::Model::parse(&runtime, landmark_bytes, "landmark model")?,
        })
    }
}

impl<'g> PoseModel<'g> {
    /// Compiles both networks of `graphs`.
    pub fn compile(graphs: &'g PoseGraphs) -> Result<PoseModel<'g>, PoseError> {
        let (d, l) = (detector::INPUT_SIZE as i32, landmarks::INPUT_SIZE as i32);
        Ok(PoseModel {
            graphs,
            landmark_net: Mutex::new(graphs.landmarks.compile(
                "landmark model",
                &[1, l, l, 3],
                Threads::Two,
            )?),
            second_landmark_net: OnceLock::new(),
            detector_net: Mutex::new(graphs.detector.compile(
                "detector",
                &[1, d, d, 3],
                Threads::Two,
            )?),
            anchors: detector::anchors(),
        })
    }

    /// Compiles a second copy of the landmark network, on one XNNPACK thread, which a tracker
    /// takes while the first is busy: the scout and the dense tracker then pose at the same
    /// time, each on a core, with less of XNNPACK's spinning and synchronisation than two
    /// threads on one inference (alternating runs: dunk −8 % in ten, arnau −5 %, kunal −4 % in six).
    /// It costs ~10 MB and ~25 ms to compile, so it pays on clips with many frames; once
    /// added it stays for the process. The landmarks are the same whichever copy runs.
    pub fn add_second_landmark_net(&self) -> Result<(), PoseError> {
        if self.second_landmark_net.get().is_none() {
            let l = landmarks::INPUT_SIZE as i32;
            let net =
                self.graphs
                    .landmarks
                    .compile("landmark model", &[1, l, l, 3], Threads::One)?;
            // Another caller may have won the race: its copy serves just as well.
            let _ = self.second_landmark_net.set(Mutex::new(net));
        }
        Ok(())
    }

    /// [`Self::landmarks`] on the second copy: the first is held busy meanwhile.
    #[cfg(test)]
    pub(crate) fn landmarks_on_second_copy(
        &self,
        image: &RgbImage<'_>,
        roi: &Roi,
    ) -> Result<LandmarkRun, PoseError> {
        assert!(self.second_landmark_net.get().is_some(), "no second copy");
        let _busy = lock(&self.landmark_net);
        self.landmarks(image, roi)
    }

    /// Runs the detector on the whole (letterboxed) image and returns the landmark ROI of the
    /// best-scoring person, if any.
    pub(crate) fn detect(&self, image: &RgbImage<'_>) -> Result<Option<Roi>, PoseError> {
        let size = detector::INPUT_SIZE;
        let (roi, pad) = Roi::letterbox(image.width, image.height);
        let mut input = vec![0f32; size * size * 3];
        crop::crop_into(
            image,
            &roi,
            size,
            Border::Zero,
            2.0 / 255.0,
            -1.0,
            &mut input,
        );
        let n = detector::NUM_ANCHORS;
        let detections = lock(&self.detector_net).run(&input, |outputs| {
            let boxes = output_with_len(outputs, n * 12, "detector")?;
            let scores = output_with_len(outputs, n, "detector")?;
            Ok(detector::decode(boxes, scores, &self.anchors))
        })??;
        let best = detector::weighted_nms(detections).into_iter().next();
        Ok(best.map(|d| detector::detection_roi(&d, pad, image.width, image.height)))
    }

    /// Runs the landmark model on `roi`.
    pub(crate) fn landmarks(
        &self,
        image: &RgbImage<'_>,
        roi: &Roi,
    ) -> Result<LandmarkRun, PoseError> {
        let size = landmarks::INPUT_SIZE;
        let mut input = vec![0f32; size * size * 3];
        crop::crop_into(
            image,
            roi,
            size,
            Border::Replicate,
            1.0 / 255.0,
            0.0,
            &mut input,
        );
        let hm_side = landmarks::HEATMAP_SIDE;
        let mut net = match self.landmark_net.try_lock() {
            Ok(net) => net,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                lock(self.second_landmark_net.get().unwrap_or(&self.landmark_net))
            }
        };
        let (points, presence) = net.run(&input, |outputs| {
            let what = "landmark model";
            let raw = output_with_len(outputs, landmarks::NUM_POINTS * 5, what)?;
            let presence = output_with_len(outputs, 1, what)?[0];
            let heatmap =
                output_with_len(outputs, hm_side * hm_side * landmarks::NUM_POINTS, what)?;
            let mut points: Vec<CropPoint> = landmarks::decode(raw);
            landmarks::refine_with_heatmap(&mut points, heatmap, hm_side);
            Ok((points, presence))
        })??;
        Ok(LandmarkRun {
            points: landmarks::project(&points, roi),
            presence,
        })
    }
}
