//! Loading the two networks and running them on one image.

use std::path::Path;

use tract_tflite::internal::tract_core::optim::Optimizer;
use tract_tflite::prelude::*;

use super::asset;
use super::crop::{self, Border};
use super::detector::{self, Anchor};
use super::error::PoseError;
use super::landmarks::{self, CropPoint};
use super::normalise::normalise;
use super::roi::Roi;
use super::{Landmark, RgbImage};

type Plan = Arc<TypedRunnableModel>;

/// The BlazePose lite detector and landmark networks, optimised for tract.
///
/// Loading costs roughly 0.1–0.2 s and ~60 MB, so load once per process and share it (it is
/// `Send + Sync`); each [`PoseTracker`](super::PoseTracker) borrows it.
pub struct PoseModel {
    detector: Plan,
    landmarks: Plan,
    anchors: Vec<Anchor>,
}

/// What one landmark-model run found.
pub(crate) struct LandmarkRun {
    /// 39 points in image pixels (33 body points, then the two alignment points and 4 unused).
    pub points: Vec<Landmark>,
    /// Pose presence in [0, 1].
    pub presence: f32,
}

fn shape_of(fact: &TypedFact) -> Vec<usize> {
    fact.shape
        .as_concrete()
        .map(|s| s.to_vec())
        .unwrap_or_default()
}

/// Loads one `.tflite` entry: normalise, parse, check the input shape, keep only the outputs
/// with the given element counts (tract then drops the layers only the others need), optimise.
fn plan(
    bytes: &[u8],
    what: &str,
    input: [usize; 4],
    keep_outputs: &[usize],
) -> Result<Plan, PoseError> {
    // The rewritten flatbuffer is dropped as soon as tract has parsed it, before the
    // optimiser makes its own copies of the weights.
    let mut model = tract_tflite::tflite()
        .model_for_read(&mut &normalise(bytes)?[..])
        .map_err(|e| PoseError::ModelInvalid(format!("{what}: {e:#}")))?;
    let inputs = model.input_outlets().map_err(PoseError::invalid)?;
    let fact = model.outlet_fact(inputs[0]).map_err(PoseError::invalid)?;
    if inputs.len() != 1 || shape_of(fact) != input || fact.datum_type != f32::datum_type() {
        return Err(PoseError::ModelInvalid(format!(
            "{what}: unexpected input {fact:?}"
        )));
    }
    let mut kept = Vec::new();
    for &len in keep_outputs {
        let outlet = model
            .output_outlets()
            .map_err(PoseError::invalid)?
            .iter()
            .copied()
            .find(|&o| {
                model
                    .outlet_fact(o)
                    .is_ok_and(|f| shape_of(f).iter().product::<usize>() == len)
            })
            .ok_or_else(|| {
                PoseError::ModelInvalid(format!("{what}: no output with {len} values"))
            })?;
        kept.push(outlet);
    }
    model
        .select_output_outlets(&kept)
        .map_err(PoseError::invalid)?;
    declutter(&mut model)
        .and_then(|()| model.optimize())
        .and_then(|()| model.into_runnable())
        .map_err(|e| PoseError::ModelInvalid(format!("{what}: {e:#}")))
}

/// tract's declutter passes (the first half of `into_optimized`) without `ChangeAxes`. On
/// these two graphs that pass took 40–55 ms of the ~105 ms each model took to optimise, and
/// the plan it led to only had ~35 more axis nodes: without it the landmarks are
/// bit-identical on all eight development clips, and both models are ready ~45 ms sooner
/// (time the first frame waits for). Passes are told apart by their debug name; should tract
/// rename this one, it simply runs again.
fn declutter(model: &mut TypedModel) -> TractResult<()> {
    let passes = Optimizer::declutter()
        .passes
        .into_iter()
        .filter(|pass| !format!("{pass:?}").starts_with("ChangeAxes"))
        .collect();
    Optimizer {
        passes,
        steps: None,
    }
    .optimize(model)
}

/// Finds the output with `len` elements; outputs are matched by size rather than position
/// because converters do not keep their order stable.
fn output_with_len<'a>(
    outputs: &'a [TValue],
    len: usize,
    what: &str,
) -> Result<&'a [f32], PoseError> {
    for o in outputs {
        if o.len() == len {
            return o
                .try_as_plain_ram()
                .and_then(|v| v.as_slice::<f32>())
                .map_err(PoseError::inference);
        }
    }
    Err(PoseError::Inference(format!(
        "{what}: no output with {len} values"
    )))
}

impl PoseModel {
    /// Loads `pose_landmarker_lite.task` (MediaPipe's bundle of the two networks).
    pub fn load(task_file: &Path) -> Result<PoseModel, PoseError> {
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
        let d = detector::INPUT_SIZE;
        let l = landmarks::INPUT_SIZE;
        let detector_bytes = asset::entry(&entries, asset::DETECTOR_ENTRY)?;
        let landmark_bytes = asset::entry(&entries, asset::LANDMARKS_ENTRY)?;
        // The two optimisations are independent: one per core halves the start-up.
        let (detector, landmarks) = std::thread::scope(|s| {
            let detector = s.spawn(|| {
                plan(
                    detector_bytes,
                    "detector",
                    [1, d, d, 3],
                    &[detector::NUM_ANCHORS * 12, detector::NUM_ANCHORS],
                )
            });
            let landmarks = plan(
                landmark_bytes,
                "landmark model",
                [1, l, l, 3],
                // Not the segmentation mask nor the world landmarks.
                &[
                    landmarks::NUM_POINTS * 5,
                    1,
                    landmarks::HEATMAP_SIDE * landmarks::HEATMAP_SIDE * landmarks::NUM_POINTS,
                ],
            );
            (
                detector.join().expect("detector loader panicked"),
                landmarks,
            )
        });
        Ok(PoseModel {
            detector: detector?,
            landmarks: landmarks?,
            anchors: detector::anchors(),
        })
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
        let outputs = self.run(&self.detector, input, size)?;
        let n = detector::NUM_ANCHORS;
        let boxes = output_with_len(&outputs, n * 12, "detector")?;
        let scores = output_with_len(&outputs, n, "detector")?;
        let best = detector::weighted_nms(detector::decode(boxes, scores, &self.anchors))
            .into_iter()
            .next();
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
        let outputs = self.run(&self.landmarks, input, size)?;
        let raw = output_with_len(&outputs, landmarks::NUM_POINTS * 5, "landmark model")?;
        let presence = output_with_len(&outputs, 1, "landmark model")?[0];
        let hm_side = landmarks::HEATMAP_SIDE;
        let heatmap = output_with_len(
            &outputs,
            hm_side * hm_side * landmarks::NUM_POINTS,
            "landmark model",
        )?;
        let mut points: Vec<CropPoint> = landmarks::decode(raw);
        landmarks::refine_with_heatmap(&mut points, heatmap, hm_side);
        Ok(LandmarkRun {
            points: landmarks::project(&points, roi),
            presence,
        })
    }

    fn run(&self, plan: &Plan, input: Vec<f32>, size: usize) -> Result<TVec<TValue>, PoseError> {
        let tensor: Tensor = tract_ndarray::Array4::from_shape_vec((1, size, size, 3), input)
            .map_err(PoseError::inference)?
            .into();
        plan.run(tvec!(tensor.into())).map_err(PoseError::inference)
    }
}
