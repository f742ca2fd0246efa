//! The BlazePose person detector: SSD anchors, box and keypoint decoding, weighted NMS.
//!
//! Constants follow MediaPipe's `PoseDetectorGraph` (pose_detector_graph.cc): 224×224 input,
//! 5 anchor layers with strides 8/16/32/32/32, one aspect ratio plus the interpolated one,
//! fixed anchor size, XYWH boxes scaled by 224, 4 keypoints, sigmoid scores clipped at ±100,
//! weighted NMS on IoU. Only the best pose is used (the landmarker's `num_poses = 1`).

use super::roi::Roi;

pub(crate) const INPUT_SIZE: usize = 224;
pub(crate) const NUM_ANCHORS: usize = 2254;
const NUM_COORDS: usize = 12;
const NUM_KEYPOINTS: usize = 4;
const STRIDES: [usize; 5] = [8, 16, 32, 32, 32];
const ANCHOR_OFFSET: f32 = 0.5;
const SCORE_CLIP: f32 = 100.0;
/// `min_pose_detection_confidence` of the MediaPipe landmarker (default 0.5).
pub(crate) const MIN_SCORE: f32 = 0.5;
/// `PoseDetectorGraphOptions.min_suppression_threshold`, whose default (0.5) the Tasks
/// landmarker keeps; the legacy pose_detection_cpu.pbtxt used 0.3.
const NMS_IOU: f32 = 0.5;

/// An anchor centre in the unit square of the detector input. With `fixed_anchor_size` every
/// anchor is 1×1, so width and height are not stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Anchor {
    pub x: f32,
    pub y: f32,
}

/// SSD anchors as MediaPipe's `SsdAnchorsCalculator` lays them out: consecutive layers with
/// the same stride share one grid; each layer adds one anchor for aspect ratio 1 and one for
/// the interpolated scale, and all anchors of a grid cell are adjacent.
pub(crate) fn anchors() -> Vec<Anchor> {
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < STRIDES.len() {
        let stride = STRIDES[layer];
        let mut per_cell = 0;
        while layer < STRIDES.len() && STRIDES[layer] == stride {
            per_cell += 2; // aspect ratio 1.0 + interpolated scale
            layer += 1;
        }
        let grid = INPUT_SIZE.div_ceil(stride);
        for y in 0..grid {
            for x in 0..grid {
                for _ in 0..per_cell {
                    out.push(Anchor {
                        x: (x as f32 + ANCHOR_OFFSET) / grid as f32,
                        y: (y as f32 + ANCHOR_OFFSET) / grid as f32,
                    });
                }
            }
        }
    }
    out
}

/// One decoded detection, coordinates in the detector input's unit square.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Detection {
    pub score: f32,
    pub xmin: f32,
    pub ymin: f32,
    pub xmax: f32,
    pub ymax: f32,
    /// Keypoint 0 is the mid-hip centre, 1 the scale point above the head; 2, 3 are unused.
    pub keypoints: [(f32, f32); NUM_KEYPOINTS],
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Decodes the raw `[2254, 12]` regressors and `[2254]` score logits, keeping scores ≥ `MIN_SCORE`.
pub(crate) fn decode(raw_boxes: &[f32], raw_scores: &[f32], anchors: &[Anchor]) -> Vec<Detection> {
    let scale = INPUT_SIZE as f32;
    let mut out = vec![];
    for (i, anchor) in anchors.iter().enumerate() {
        let score = sigmoid(raw_scores[i].clamp(-SCORE_CLIP, SCORE_CLIP));
        if score < MIN_SCORE {
            continue;
        }
        let r = &raw_boxes[i * NUM_COORDS..(i + 1) * NUM_COORDS];
        let (cx, cy) = (r[0] / scale + anchor.x, r[1] / scale + anchor.y);
        let (w, h) = (r[2] / scale, r[3] / scale);
        let mut keypoints = [(0.0, 0.0); NUM_KEYPOINTS];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = (
                r[4 + 2 * k] / scale + anchor.x,
                r[5 + 2 * k] / scale + anchor.y,
            );
        }
        out.push(Detection {
            score,
            xmin: cx - w / 2.0,
            ymin: cy - h / 2.0,
            xmax: cx + w / 2.0,
            ymax: cy + h / 2.0,
            keypoints,
        });
    }
    out
}

fn iou(a: &Detection, b: &Detection) -> f32 {
    let ix = (a.xmax.min(b.xmax) - a.xmin.max(b.xmin)).max(0.0);
    let iy = (a.ymax.min(b.ymax) - a.ymin.max(b.ymin)).max(0.0);
    let inter = ix * iy;
    let union =
        (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter;
    if inter <= 0.0 || union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// MediaPipe's weighted non-maximum suppression: the best remaining detection absorbs every
/// detection overlapping it by more than `NMS_IOU`, and its box and keypoints become the
/// score-weighted mean of the group (its score stays its own). Sorted best first.
pub(crate) fn weighted_nms(mut detections: Vec<Detection>) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = vec![];
    while let Some(best) = detections.first().copied() {
        let (group, rest): (Vec<Detection>, Vec<Detection>) = detections
            .into_iter()
            .partition(|d| iou(d, &best) > NMS_IOU);
        let mut merged = best;
        let total: f32 = group.iter().map(|d| d.score).sum();
        if total > 0.0 && !group.is_empty() {
            let avg = |f: &dyn Fn(&Detection) -> f32| {
                group.iter().map(|d| f(d) * d.score).sum::<f32>() / total
            };
            merged.xmin = avg(&|d| d.xmin);
            merged.ymin = avg(&|d| d.ymin);
            merged.xmax = avg(&|d| d.xmax);
            merged.ymax = avg(&|d| d.ymax);
            for k in 0..NUM_KEYPOINTS {
                merged.keypoints[k] = (avg(&|d| d.keypoints[k].0), avg(&|d| d.keypoints[k].1));
            }
        }
        out.push(merged);
        // A degenerate (zero-area) best box overlaps nothing, not even itself; drop it so the
        // loop always makes progress.
        detections = if group.is_empty() {
            rest.into_iter().skip(1).collect()
        } else {
            rest
        };
    }
    out
}

/// The landmark ROI for a detection, after undoing the letterbox (`pad` = fraction of the
/// square added on each side, x then y) and scaling to an image of `width`×`height` pixels.
pub(crate) fn detection_roi(det: &Detection, pad: (f32, f32), width: u32, height: u32) -> Roi {
    let unpad = |(x, y): (f32, f32)| {
        (
            (x - pad.0) / (1.0 - 2.0 * pad.0) * width as f32,
            (y - pad.1) / (1.0 - 2.0 * pad.1) * height as f32,
        )
    };
    Roi::from_alignment(unpad(det.keypoints[0]), unpad(det.keypoints[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(score: f32, x: f32, y: f32, size: f32) -> Detection {
        Detection {
            score,
            xmin: x - size / 2.0,
            ymin: y - size / 2.0,
            xmax: x + size / 2.0,
            ymax: y + size / 2.0,
            keypoints: [(x, y), (x, y - size), (0.0, 0.0), (0.0, 0.0)],
        }
    }

    #[test]
    fn anchor_layout() {
        let a = anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        // Stride 8: 28×28 cells, two anchors each, centred in the cell.
        let c = 0.5 / 28.0;
        assert_eq!(a[0], Anchor { x: c, y: c });
        assert_eq!(a[1], Anchor { x: c, y: c });
        assert_eq!(
            a[2],
            Anchor {
                x: 1.5 / 28.0,
                y: c
            }
        );
        // Stride 16 grid starts after 28·28·2 anchors.
        assert_eq!(
            a[1568],
            Anchor {
                x: 0.5 / 14.0,
                y: 0.5 / 14.0
            }
        );
        // The three stride-32 layers share a 7×7 grid with 6 anchors per cell.
        assert_eq!(
            a[1568 + 392],
            Anchor {
                x: 0.5 / 7.0,
                y: 0.5 / 7.0
            }
        );
        assert_eq!(
            a[1568 + 392 + 5],
            Anchor {
                x: 0.5 / 7.0,
                y: 0.5 / 7.0
            }
        );
        assert_eq!(
            a[1568 + 392 + 6],
            Anchor {
                x: 1.5 / 7.0,
                y: 0.5 / 7.0
            }
        );
        assert_eq!(
            a[NUM_ANCHORS - 1],
            Anchor {
                x: 6.5 / 7.0,
                y: 6.5 / 7.0
            }
        );
    }

    #[test]
    fn decode_applies_anchor_and_scale() {
        let anchors = vec![Anchor { x: 0.5, y: 0.25 }];
        let mut raw = vec![0.0; 12];
        raw[0] = 22.4; // +0.1 in x
        raw[2] = 44.8; // width 0.2
        raw[3] = 22.4; // height 0.1
        raw[4] = -22.4;
        raw[5] = 11.2;
        let d = decode(&raw, &[3.0], &anchors);
        assert_eq!(d.len(), 1);
        let d = d[0];
        assert!((d.xmin - 0.5).abs() < 1e-6 && (d.xmax - 0.7).abs() < 1e-6);
        assert!((d.ymin - 0.2).abs() < 1e-6 && (d.ymax - 0.3).abs() < 1e-6);
        assert!((d.keypoints[0].0 - 0.4).abs() < 1e-6 && (d.keypoints[0].1 - 0.3).abs() < 1e-6);
        assert!((d.score - sigmoid(3.0)).abs() < 1e-6);
        assert!(decode(&raw, &[-1.0], &anchors).is_empty());
    }

    #[test]
    fn nms_merges_overlaps_and_keeps_separate_people() {
        let dets = vec![
            det(0.9, 0.5, 0.5, 0.2),
            det(0.6, 0.52, 0.5, 0.2),
            det(0.8, 0.1, 0.1, 0.1),
        ];
        let out = weighted_nms(dets);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        // Weighted centre: (0.5·0.9 + 0.52·0.6) / 1.5 = 0.508.
        let cx = (out[0].xmin + out[0].xmax) / 2.0;
        assert!((cx - 0.508).abs() < 1e-5, "{cx}");
        assert!((out[0].keypoints[0].0 - 0.508).abs() < 1e-5);
        assert_eq!(out[1].score, 0.8);
        assert!((out[1].xmin - 0.05).abs() < 1e-6);
    }

    #[test]
    fn nms_survives_degenerate_boxes() {
        let out = weighted_nms(vec![det(0.9, 0.5, 0.5, 0.0), det(0.7, 0.5, 0.5, 0.0)]);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn detection_roi_undoes_letterbox() {
        // 640×360 frame: 0.21875 of the square is padding above and below.
        let mut d = det(0.9, 0.5, 0.5, 0.2);
        d.keypoints[0] = (0.5, 0.5);
        d.keypoints[1] = (0.5, 0.25);
        let roi = detection_roi(&d, (0.0, 0.21875), 640, 360);
        assert!((roi.cx - 320.0).abs() < 1e-3 && (roi.cy - 180.0).abs() < 1e-3);
        // 0.25 of the square's 640 px = 160 px; side = 2·160·1.25.
        assert!((roi.width - 400.0).abs() < 1e-2, "{roi:?}");
        assert!(roi.rotation.abs() < 1e-6);
    }
}
