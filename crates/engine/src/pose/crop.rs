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
///
/// The interpolation runs in integers: with weights in 1/32 steps, OpenCV-style float
/// bilinear interpolation of 8-bit values is exact in f32 (a multiple of 1/1024 below 256), so
/// `(Σ w·p + 512) >> 10` is the same rounded value at a fraction of the cost.
pub(crate) fn crop_into(
    image: &RgbImage<'_>,
    roi: &Roi,
    size: usize,
    border: Border,
    scale: f32,
    offset: f32,
    out: &mut [f32],
) {
    crop_with(image, roi, size, border, (scale, offset), true, out);
}

/// [`crop_into`]; `vectorised` lets it take eight samples at a time where the CPU can.
fn crop_with(
    image: &RgbImage<'_>,
    roi: &Roi,
    size: usize,
    border: Border,
    (scale, offset): (f32, f32),
    vectorised: bool,
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    let simd = crate::simd::Avx2::detect().filter(|_| vectorised);
    #[cfg(target_arch = "x86_64")]
    let zero = border == Border::Zero;
    #[cfg(not(target_arch = "x86_64"))]
    let _ = vectorised;
    debug_assert_eq!(out.len(), size * size * 3);
    let (w, h) = (image.width as i64, image.height as i64);
    let t = roi.transform(size);
    let to_model: [f32; 256] = std::array::from_fn(|v| v as f32 * scale + offset);
    let px = |x: i64, y: i64| -> [i32; 3] {
        let (x, y) = match border {
            Border::Replicate => (x.clamp(0, w - 1), y.clamp(0, h - 1)),
            Border::Zero => {
                if x < 0 || y < 0 || x >= w || y >= h {
                    return [0; 3];
                }
                (x, y)
            }
        };
        let i = ((y * w + x) * 3) as usize;
        let d = &image.data[i..i + 3];
        [d[0].into(), d[1].into(), d[2].into()]
    };
    let mask = (1i64 << SUBPIXEL_BITS) - 1;
    let d = image.data;
    assert!(
        d.len() >= (w * h * 3) as usize,
        "pixel buffer shorter than width × height × 3"
    );
    let sample = |row: usize, col: usize, o: &mut [f32]| {
        let (sx, sy) = t.apply(col as f32, row as f32);
        // Integer arithmetic instead of f32::round/floor, which compile to libm calls on
        // baseline x86-64 and dominated the crop's cost.
        let (qx, qy) = (
            floor_i64(sx * SUBPIXEL + 0.5),
            floor_i64(sy * SUBPIXEL + 0.5),
        );
        let (x0, y0) = (qx >> SUBPIXEL_BITS, qy >> SUBPIXEL_BITS);
        let (fx, fy) = ((qx & mask) as i32, (qy & mask) as i32);
        let (p00, p10, p01, p11) = if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
            // Inside the image (almost every sample): no border handling per tap.
            let i = ((y0 * w + x0) * 3) as usize;
            let j = i + (w * 3) as usize;
            // Unchecked, because the twelve checked reads per sample cost more than the
            // blend. SAFETY: x0 + 1 < w and y0 < h - 1, so the row's two pixels end at
            // i + 6 ≤ w × h × 3 ≤ d.len() (asserted above).
            let top = unsafe { d.get_unchecked(i..i + 6) };
            // SAFETY: as above, with y0 + 1 < h for the row below.
            let bottom = unsafe { d.get_unchecked(j..j + 6) };
            let at = |row: &[u8], k: usize| {
                [
                    i32::from(row[k]),
                    i32::from(row[k + 1]),
                    i32::from(row[k + 2]),
                ]
            };
            (at(top, 0), at(top, 3), at(bottom, 0), at(bottom, 3))
        } else {
            (
                px(x0, y0),
                px(x0 + 1, y0),
                px(x0, y0 + 1),
                px(x0 + 1, y0 + 1),
            )
        };
        for ch in 0..3 {
            let top = (p00[ch] << SUBPIXEL_BITS) + (p10[ch] - p00[ch]) * fx;
            let bottom = (p01[ch] << SUBPIXEL_BITS) + (p11[ch] - p01[ch]) * fx;
            let v1024 = (top << SUBPIXEL_BITS) + (bottom - top) * fy;
            // Weights are non-negative and sum to one: the value is in [0, 255], and
            // the mask only lets the compiler drop the table's bounds check.
            o[ch] = to_model[(((v1024 + 512) >> (2 * SUBPIXEL_BITS)) & 255) as usize];
        }
    };
    for (row, out_row) in out.chunks_exact_mut(size * 3).enumerate() {
        let mut col = 0;
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = simd {
            use super::crop_avx2::{samples, LANES};
            while col + LANES <= size {
                let group: &mut [f32; 3 * LANES] = (&mut out_row[col * 3..(col + LANES) * 3])
                    .try_into()
                    .expect("a slice of 3 × LANES values");
                let done = samples(
                    avx2, d, w as i32, h as i32, &t, row, col, scale, offset, zero, group,
                );
                if !done {
                    for (k, o) in group.chunks_exact_mut(3).enumerate() {
                        sample(row, col + k, o);
                    }
                }
                col += LANES;
            }
        }
        for (k, o) in out_row[col * 3..].chunks_exact_mut(3).enumerate() {
            sample(row, col + k, o);
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

    /// The float formula the integer one replaces (OpenCV's, as MediaPipe runs it).
    fn float_bilinear(p: [u8; 4], fx: i32, fy: i32) -> u32 {
        let [p00, p10, p01, p11] = p.map(f32::from);
        let (fx, fy) = (fx as f32 / SUBPIXEL, fy as f32 / SUBPIXEL);
        let top = p00 + (p10 - p00) * fx;
        let bottom = p01 + (p11 - p01) * fx;
        ((top + (bottom - top) * fy).clamp(0.0, 255.0) + 0.5) as u32
    }

    #[test]
    fn integer_interpolation_equals_the_float_formula() {
        // A 2×2 image sampled at every 1/32 step between its pixels, for several pixel sets.
        for (a, b, c, d) in [
            (0u8, 255u8, 17u8, 200u8),
            (255, 0, 0, 255),
            (3, 4, 250, 1),
            (128, 127, 129, 126),
        ] {
            let data = [a, a, a, b, b, b, c, c, c, d, d, d];
            let image = RgbImage {
                width: 2,
                height: 2,
                data: &data,
            };
            for fx in 0..32 {
                for fy in 0..32 {
                    // A 1×1 output whose single sample lands at (fx/32, fy/32): ROI of side
                    // 1 centred there shifted by half a pixel (corner-to-corner mapping).
                    let roi = Roi {
                        cx: fx as f32 / SUBPIXEL + 0.5,
                        cy: fy as f32 / SUBPIXEL + 0.5,
                        width: 1.0,
                        height: 1.0,
                        rotation: 0.0,
                    };
                    let mut out = [0.0f32; 3];
                    crop_into(&image, &roi, 1, Border::Replicate, 1.0, 0.0, &mut out);
                    assert_eq!(
                        out[0] as u32,
                        float_bilinear([a, b, c, d], fx, fy),
                        "{fx} {fy}"
                    );
                }
            }
        }
    }

    #[test]
    fn eight_at_a_time_equals_one_at_a_time() {
        let (w, h) = (37u32, 29u32);
        let mut state = 12345u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let data: Vec<u8> = (0..w * h * 3).map(|_| next() as u8).collect();
        let image = RgbImage {
            width: w,
            height: h,
            data: &data,
        };
        let unit = |v: u32| (v % 10_000) as f32 / 10_000.0;
        for case in 0..300 {
            // Centres from well outside to well inside, sizes from a few pixels to twice
            // the image, any rotation: every mix of inside, edge and outside taps.
            let roi = Roi {
                cx: unit(next()) * 60.0 - 10.0,
                cy: unit(next()) * 50.0 - 10.0,
                width: 2.0 + unit(next()) * 70.0,
                height: 2.0 + unit(next()) * 70.0,
                rotation: unit(next()) * 7.0 - 3.5,
            };
            let size = [8, 13, 16, 24][case % 4];
            for border in [Border::Zero, Border::Replicate] {
                let mut one = vec![0.0; size * size * 3];
                let mut eight = one.clone();
                let range = (1.0 / 127.5, -1.0);
                crop_with(&image, &roi, size, border, range, false, &mut one);
                crop_with(&image, &roi, size, border, range, true, &mut eight);
                let same = one
                    .iter()
                    .zip(&eight)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "case {case}: {roi:?} {border:?}");
            }
        }
        // The cases above must exercise the vector path, not only its fallback: inside
        // the image and across its edges, with both borders.
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = crate::simd::Avx2::detect() {
            for (cx, border_zero) in [(18.0, false), (2.0, false), (2.0, true), (35.0, true)] {
                let roi = Roi {
                    cx,
                    cy: 14.0,
                    width: 10.0,
                    height: 10.0,
                    rotation: 0.3,
                };
                let mut group = [0.0f32; 24];
                let vector = {
                    super::super::crop_avx2::samples(
                        avx2,
                        &data,
                        37,
                        29,
                        &roi.transform(8),
                        3,
                        0,
                        1.0,
                        0.0,
                        border_zero,
                        &mut group,
                    )
                };
                assert!(vector, "centre x {cx}");
            }
        }
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
