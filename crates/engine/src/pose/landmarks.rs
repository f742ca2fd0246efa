//! Decoding of the BlazePose landmark model's outputs into image-space landmarks.
//!
//! The model sees a 256×256 crop of the ROI and returns 39 points (x, y, z, visibility logit,
//! presence logit) in crop pixels, a pose-presence score, and 64×64×39 heatmaps. As MediaPipe's
//! `SinglePoseLandmarksDetectorGraph` does, x/y are refined from the heatmap (7×7 window,
//! sigmoid-weighted mean when its peak is ≥ 0.5), then projected through the ROI. Points 33 and
//! 34 are the alignment pair (hip centre and scale point) that place the next frame's ROI.

use super::roi::Roi;
use super::Landmark;

pub(crate) const INPUT_SIZE: usize = 256;
pub(crate) const NUM_POINTS: usize = 39;
pub(crate) const NUM_BODY_POINTS: usize = 33;
pub(crate) const HEATMAP_SIDE: usize = 64;
const VALUES_PER_POINT: usize = 5;
const HEATMAP_KERNEL: usize = 7;
const MIN_HEATMAP_CONFIDENCE: f32 = 0.5;
/// `min_pose_presence_confidence` of the MediaPipe landmarker (default 0.5).
pub(crate) const MIN_PRESENCE: f32 = 0.5;

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// A landmark in the crop's unit square, before projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CropPoint {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    pub visibility: f32,
    pub presence: f32,
}

/// Splits the flat `[39·5]` regression output into points in the unit square.
pub(crate) fn decode(raw: &[f32]) -> Vec<CropPoint> {
    let s = INPUT_SIZE as f32;
    raw.chunks_exact(VALUES_PER_POINT)
        .take(NUM_POINTS)
        .map(|p| CropPoint {
            x: p[0] / s,
            y: p[1] / s,
            z: p[2] / s,
            visibility: sigmoid(p[3]),
            presence: sigmoid(p[4]),
        })
        .collect()
}

/// Heatmap refinement (`RefineLandmarksFromHeatmapCalculator`, kernel 7). `heatmap` is HWC with
/// one channel per point.
pub(crate) fn refine_with_heatmap(points: &mut [CropPoint], heatmap: &[f32], hm_size: usize) {
    let channels = points.len();
    if heatmap.len() != hm_size * hm_size * channels {
        return;
    }
    let half = (HEATMAP_KERNEL - 1) as i64 / 2;
    let n = hm_size as i64;
    for (k, p) in points.iter_mut().enumerate() {
        // Truncation toward zero, as the C++ int conversion does.
        let (col, row) = ((p.x * hm_size as f32) as i64, (p.y * hm_size as f32) as i64);
        if col < 0 || col >= n || row < 0 || row >= n {
            continue;
        }
        let (mut sum, mut wx, mut wy, mut peak) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for r in (row - half).max(0)..(row + half + 1).min(n) {
            for c in (col - half).max(0)..(col + half + 1).min(n) {
                let conf = sigmoid(heatmap[((r * n + c) as usize) * channels + k]);
                sum += conf;
                peak = peak.max(conf);
                wx += c as f32 * conf;
                wy += r as f32 * conf;
            }
        }
        if peak >= MIN_HEATMAP_CONFIDENCE && sum > 0.0 {
            p.x = wx / hm_size as f32 / sum;
            p.y = wy / hm_size as f32 / sum;
        }
    }
}

/// Projects crop points to image pixels. `z` gets the same scale as x (pixels), so it can be
/// compared with x/y; its origin is the model's (roughly the hips), not the camera.
pub(crate) fn project(points: &[CropPoint], roi: &Roi) -> Vec<Landmark> {
    points
        .iter()
        .map(|p| {
            let (x, y) = roi.project(p.x, p.y);
            Landmark {
                x,
                y,
                z: p.z * roi.width,
                visibility: p.visibility,
                presence: p.presence,
            }
        })
        .collect()
}

/// The ROI for the next frame, from the projected alignment points 33 (centre) and 34 (scale).
pub(crate) fn next_roi(projected: &[Landmark]) -> Option<Roi> {
    let (c, s) = (projected.get(33)?, projected.get(34)?);
    let roi = Roi::from_alignment((c.x, c.y), (s.x, s.y));
    (roi.width.is_finite() && roi.width > 1.0 && roi.cx.is_finite() && roi.cy.is_finite())
        .then_some(roi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_scales_and_activates() {
        let mut raw = vec![0.0; NUM_POINTS * VALUES_PER_POINT];
        raw[0] = 128.0;
        raw[1] = 64.0;
        raw[2] = -25.6;
        raw[3] = 0.0;
        raw[4] = 100.0;
        let p = decode(&raw);
        assert_eq!(p.len(), NUM_POINTS);
        assert_eq!((p[0].x, p[0].y), (0.5, 0.25));
        assert!((p[0].z + 0.1).abs() < 1e-6);
        assert!((p[0].visibility - 0.5).abs() < 1e-6 && p[0].presence > 0.999);
    }

    #[test]
    fn heatmap_pulls_point_to_peak() {
        let size = 8;
        let mut hm = vec![-20.0f32; size * size];
        hm[3 * size + 5] = 20.0; // confident peak at column 5, row 3
        let mut pts = vec![CropPoint {
            x: 4.2 / 8.0,
            y: 2.9 / 8.0,
            z: 0.0,
            visibility: 1.0,
            presence: 1.0,
        }];
        refine_with_heatmap(&mut pts, &hm, size);
        assert!(
            (pts[0].x - 5.0 / 8.0).abs() < 1e-4 && (pts[0].y - 3.0 / 8.0).abs() < 1e-4,
            "{:?}",
            pts[0]
        );
        // A weak heatmap leaves the regression alone.
        let weak = vec![-3.0f32; size * size];
        let mut pts2 = vec![CropPoint {
            x: 0.3,
            y: 0.3,
            z: 0.0,
            visibility: 1.0,
            presence: 1.0,
        }];
        refine_with_heatmap(&mut pts2, &weak, size);
        assert_eq!((pts2[0].x, pts2[0].y), (0.3, 0.3));
    }

    #[test]
    fn projection_round_trip_through_rotated_roi() {
        let roi = Roi {
            cx: 300.0,
            cy: 200.0,
            width: 250.0,
            height: 250.0,
            rotation: -0.4,
        };
        let p = CropPoint {
            x: 0.5,
            y: 0.5,
            z: 0.02,
            visibility: 0.9,
            presence: 0.8,
        };
        let l = project(&[p], &roi)[0];
        assert!((l.x - 300.0).abs() < 1e-3 && (l.y - 200.0).abs() < 1e-3);
        assert!((l.z - 5.0).abs() < 1e-4);
        // A pixel sampled by the crop at input (u, v) projects back to where it came from.
        let t = roi.transform(INPUT_SIZE);
        let (u, v) = (40.0, 201.0);
        let from_crop = t.apply(u, v);
        let q = CropPoint {
            x: u / INPUT_SIZE as f32,
            y: v / INPUT_SIZE as f32,
            ..p
        };
        let back = project(&[q], &roi)[0];
        assert!((back.x - from_crop.0).abs() < 1e-3 && (back.y - from_crop.1).abs() < 1e-3);
    }
}
