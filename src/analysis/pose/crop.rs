//! Warps a rotated ROI of an RGB image into a square float tensor for a model.
//!
//! This mirrors MediaPipe's CPU `ImageToTensorCalculator` (OpenCV `warpPerspective`, bilinear,
//! 8-bit): source coordinates are snapped to 1/32 pixel and the interpolated value is rounded to
//! an integer before scaling to the model's range. Matching those details keeps our inputs, and
//! so our landmarks, close to MediaPipe's own.

use super::roi::Roi;
use super::RgbImage;

/// What a sample outside the image reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Border {
    /// Black (the detector's letterbox bars).
    Zero,
    /// The nearest edge pixel (the landmark crop, MediaPipe's default).
    Replicate,
}

/// Sub-pixel resolution of OpenCV's bilinear tables.
const SUBPIXEL_BITS: u32 = 5;
const SUBPIXEL: f32 = (1 << SUBPIXEL_BITS) as f32;

/// Fills `out` (`size`×`size`×3, row-major HWC) with the ROI of `image`, each 8-bit value `v`
/// stored as `v * scale + offset`.
pub(crate) fn crop_into(
    image: &RgbImage<'_>,
    roi: &Roi,
    size: usize,
    border: Border,
    scale: f32,
    offset: f32,
    out: &mut [f32],
) {
    debug_assert_eq!(out.len(), size * size * 3);
    let (w, h) = (image.width as i64, image.height as i64);
    let t = roi.transform(size);
    let px = |x: i64, y: i64| -> [f32; 3] {
        let (x, y) = match border {
            Border::Replicate => (x.clamp(0, w - 1), y.clamp(0, h - 1)),
            Border::Zero => {
                if x < 0 || y < 0 || x >= w || y >= h {
                    return [0.0; 3];
                }
                (x, y)
            }
        };
        let i = ((y * w + x) * 3) as usize;
        let d = &image.data[i..i + 3];
        [d[0] as f32, d[1] as f32, d[2] as f32]
    };
    for row in 0..size {
        for col in 0..size {
            let (sx, sy) = t.apply(col as f32, row as f32);
            // Integer arithmetic instead of f32::round/floor, which compile to libm calls on
            // baseline x86-64 and dominated the crop's cost.
            let (qx, qy) = (
                floor_i64(sx * SUBPIXEL + 0.5),
                floor_i64(sy * SUBPIXEL + 0.5),
            );
            let (x0, y0) = (qx >> SUBPIXEL_BITS, qy >> SUBPIXEL_BITS);
            let fx = (qx & (SUBPIXEL as i64 - 1)) as f32 / SUBPIXEL;
            let fy = (qy & (SUBPIXEL as i64 - 1)) as f32 / SUBPIXEL;
            let (p00, p10, p01, p11) = if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                // Inside the image (almost every sample): no border handling per tap.
                let i = ((y0 * w + x0) * 3) as usize;
                let j = i + (w * 3) as usize;
                let d = image.data;
                let at = |k: usize| [d[k] as f32, d[k + 1] as f32, d[k + 2] as f32];
                (at(i), at(i + 3), at(j), at(j + 3))
            } else {
                (
                    px(x0, y0),
                    px(x0 + 1, y0),
                    px(x0, y0 + 1),
                    px(x0 + 1, y0 + 1),
                )
            };
            let o = (row * size + col) * 3;
            for ch in 0..3 {
                let top = p00[ch] + (p10[ch] - p00[ch]) * fx;
                let bottom = p01[ch] + (p11[ch] - p01[ch]) * fx;
                // Bilinear weights sum to one, so the value is within [0, 255]: adding 0.5 and
                // truncating rounds it.
                let v = ((top + (bottom - top) * fy).clamp(0.0, 255.0) + 0.5) as u32 as f32;
                out[o + ch] = v * scale + offset;
            }
        }
    }
}

fn floor_i64(x: f32) -> i64 {
    let t = x as i64;
    if (t as f32) > x {
        t - 1
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_crop_copies_pixels() {
        // A 4×4 ROI covering a 4×4 image maps input pixel i to image pixel i.
        let data: Vec<u8> = (0..48).map(|v| v as u8 * 5).collect();
        let image = RgbImage {
            width: 4,
            height: 4,
            data: &data,
        };
        let (roi, _) = Roi::letterbox(4, 4);
        let mut out = vec![0.0; 48];
        crop_into(&image, &roi, 4, Border::Zero, 1.0, 0.0, &mut out);
        let back: Vec<u8> = out.iter().map(|&v| v as u8).collect();
        assert_eq!(back, data);
    }

    #[test]
    fn borders() {
        let data = vec![200u8; 2 * 2 * 3];
        let image = RgbImage {
            width: 2,
            height: 2,
            data: &data,
        };
        // A ROI twice the image, centred on it: the first input pixel sits a full pixel outside.
        let roi = Roi {
            cx: 1.0,
            cy: 1.0,
            width: 4.0,
            height: 4.0,
            rotation: 0.0,
        };
        let mut out = vec![0.0; 4 * 4 * 3];
        crop_into(&image, &roi, 4, Border::Zero, 1.0 / 127.5, -1.0, &mut out);
        assert_eq!(out[0], -1.0);
        crop_into(
            &image,
            &roi,
            4,
            Border::Replicate,
            1.0 / 255.0,
            0.0,
            &mut out,
        );
        assert!((out[0] - 200.0 / 255.0).abs() < 1e-6);
    }
}
