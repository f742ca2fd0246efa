//! Rotated regions of interest and the affine map between a model's input square and the image.
//!
//! Everything is in pixels of the source image (MediaPipe works in normalised coordinates, which
//! is the same thing for the square ROIs used here). Rotation is in radians, clockwise on screen
//! because the image y axis points down.

use std::f32::consts::PI;

/// A rotated rectangle in image pixels. `width`/`height` are the side lengths before rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Roi {
    pub cx: f32,
    pub cy: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
}

/// How much the pose box is grown around the alignment circle (MediaPipe's
/// `RectTransformationCalculator` scale for pose, used for detections and tracking alike).
const ROI_SCALE: f32 = 1.25;
/// The body axis (hips → scale point) is rotated to point straight up in the crop.
const TARGET_ANGLE: f32 = PI / 2.0;

/// Wraps an angle into [-π, π).
pub(crate) fn normalize_radians(angle: f32) -> f32 {
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

impl Roi {
    /// The ROI from two alignment points: `center` (mid-hip for the detector's keypoint 0 and
    /// the landmark model's point 33) and `scale` (the point whose distance gives the body size,
    /// keypoint 1 / point 34). The square's side is twice that distance, grown by 1.25.
    pub(crate) fn from_alignment(center: (f32, f32), scale: (f32, f32)) -> Roi {
        let (dx, dy) = (scale.0 - center.0, scale.1 - center.1);
        let side = 2.0 * (dx * dx + dy * dy).sqrt() * ROI_SCALE;
        // atan2 of -dy: angles are measured counter-clockwise on screen, the y axis points down.
        let rotation = normalize_radians(TARGET_ANGLE - (-dy).atan2(dx));
        Roi {
            cx: center.0,
            cy: center.1,
            width: side,
            height: side,
            rotation,
        }
    }

    /// The whole image as a square ROI of side max(width, height), centred, unrotated: what
    /// MediaPipe's letterboxing (keep aspect ratio, zero border) feeds the detector. Returns the
    /// ROI and the letterbox padding (fraction of the square on each side, x then y).
    pub(crate) fn letterbox(width: u32, height: u32) -> (Roi, (f32, f32)) {
        let (w, h) = (width as f32, height as f32);
        let side = w.max(h);
        let roi = Roi {
            cx: w / 2.0,
            cy: h / 2.0,
            width: side,
            height: side,
            rotation: 0.0,
        };
        let pad = ((1.0 - w / side) / 2.0, (1.0 - h / side) / 2.0);
        (roi, pad)
    }

    /// The affine map from an `size`×`size` model input to this ROI in the image.
    pub(crate) fn transform(&self, size: usize) -> Affine {
        let (s, c) = self.rotation.sin_cos();
        let (sx, sy) = (self.width / size as f32, self.height / size as f32);
        // Model-input corner (0,0) lands on the ROI's rotated top-left corner and (size,size)
        // on its bottom-right, as MediaPipe's OpenCV crop does (corner to corner, not pixel
        // centre to pixel centre).
        let (hw, hh) = (self.width / 2.0, self.height / 2.0);
        Affine {
            a: c * sx,
            b: -s * sy,
            tx: self.cx - c * hw + s * hh,
            c: s * sx,
            d: c * sy,
            ty: self.cy - s * hw - c * hh,
        }
    }

    /// Maps a point given in the ROI's unit square ([0,1]², y down, before rotation) to image
    /// pixels: what MediaPipe's `LandmarkProjectionCalculator` does.
    pub(crate) fn project(&self, u: f32, v: f32) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let (x, y) = ((u - 0.5) * self.width, (v - 0.5) * self.height);
        (self.cx + c * x - s * y, self.cy + s * x + c * y)
    }
}

/// `image = [a b; c d] · input + [tx; ty]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub c: f32,
    pub d: f32,
    pub ty: f32,
}

impl Affine {
    pub(crate) fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        (
            self.a * x + self.b * y + self.tx,
            self.c * x + self.d * y + self.ty,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32, tol: f32) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn upright_body_gives_zero_rotation() {
        // Scale point straight above the hips: already vertical.
        let roi = Roi::from_alignment((100.0, 200.0), (100.0, 120.0));
        assert!(close(roi.rotation, 0.0, 1e-6), "{roi:?}");
        assert!(close(roi.width, 2.0 * 80.0 * 1.25, 1e-4));
        assert_eq!((roi.cx, roi.cy), (100.0, 200.0));
    }

    #[test]
    fn lying_body_rotates_quarter_turn() {
        // Scale point to the right of the hips: the body lies along +x, so the crop must turn
        // by -90° (counter-clockwise on screen) to stand it up.
        let roi = Roi::from_alignment((0.0, 0.0), (50.0, 0.0));
        assert!(close(roi.rotation, PI / 2.0, 1e-6), "{roi:?}");
        // And the projected "up" direction of the crop points from hips to the scale point.
        let top = roi.project(0.5, 0.5 - 50.0 / roi.height);
        assert!(
            close(top.0, 50.0, 1e-3) && close(top.1, 0.0, 1e-3),
            "{top:?}"
        );
        let roi = Roi::from_alignment((0.0, 0.0), (-50.0, 0.0));
        assert!(close(roi.rotation, -PI / 2.0, 1e-6), "{roi:?}");
    }

    #[test]
    fn normalize_wraps() {
        assert!(close(normalize_radians(3.0 * PI / 2.0), -PI / 2.0, 1e-5));
        assert!(close(normalize_radians(-3.0 * PI / 2.0), PI / 2.0, 1e-5));
        assert!(close(normalize_radians(0.3), 0.3, 1e-6));
    }

    #[test]
    fn crop_and_projection_agree() {
        let roi = Roi {
            cx: 210.0,
            cy: 330.0,
            width: 180.0,
            height: 180.0,
            rotation: 0.7,
        };
        let t = roi.transform(256);
        for &(u, v) in &[
            (0.0f32, 0.0f32),
            (1.0, 0.0),
            (0.25, 0.8),
            (0.5, 0.5),
            (1.0, 1.0),
        ] {
            let (px, py) = t.apply(u * 256.0, v * 256.0);
            let (qx, qy) = roi.project(u, v);
            assert!(
                close(px, qx, 1e-3) && close(py, qy, 1e-3),
                "{u},{v}: {px},{py} vs {qx},{qy}"
            );
        }
        let centre = t.apply(128.0, 128.0);
        assert!(close(centre.0, 210.0, 1e-3) && close(centre.1, 330.0, 1e-3));
    }

    #[test]
    fn letterbox_of_landscape_frame() {
        let (roi, pad) = Roi::letterbox(640, 360);
        assert_eq!((roi.width, roi.height), (640.0, 640.0));
        assert!(close(pad.0, 0.0, 1e-6) && close(pad.1, 0.21875, 1e-6));
        // Model-input corner (0,0) is the padded square's corner, above the image.
        let t = roi.transform(224);
        let (x, y) = t.apply(0.0, 0.0);
        assert!(close(x, 0.0, 1e-4) && close(y, -140.0, 1e-4));
    }
}
