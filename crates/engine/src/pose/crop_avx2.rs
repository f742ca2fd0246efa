//! Eight crop samples at once with AVX2, edge and outside taps included (a rotated ROI
//! often reaches past the frame of a portrait video). Every step is the scalar crop's own
//! operation in the same order (f32 multiply then add, floor, the same clamps, the same
//! integer blend, `v * scale + offset`), so the tensor is bit-identical to the scalar one;
//! the crop is on every pose's critical path.

use std::arch::x86_64::*;

use super::roi::Affine;
use crate::simd::Avx2;

/// Columns per call.
pub(super) const LANES: usize = 8;

/// Writes the 8 samples of output row `row` starting at column `col` into `out` (HWC) and
/// returns true; outside taps read the nearest edge pixel, or 0 with `zero_border`. Returns
/// false without writing for the rare groups left to the scalar path: coordinates beyond
/// ±2^25 pixels, and taps on the image's last pixel (each tap reads four bytes: its pixel
/// and the next one's red).
///
/// `data` holds the `width × height` image's RGB bytes (it may be longer).
#[allow(clippy::too_many_arguments)]
pub(super) fn samples(
    _: Avx2,
    data: &[u8],
    width: i32,
    height: i32,
    t: &Affine,
    row: usize,
    col: usize,
    scale: f32,
    offset: f32,
    zero_border: bool,
    out: &mut [f32; 3 * LANES],
) -> bool {
    // SAFETY: an `Avx2` exists only where the CPU runs AVX2.
    unsafe {
        samples_avx2(
            data,
            width,
            height,
            t,
            row,
            col,
            scale,
            offset,
            zero_border,
            out,
        )
    }
}

#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn samples_avx2(
    data: &[u8],
    width: i32,
    height: i32,
    t: &Affine,
    row: usize,
    col: usize,
    scale: f32,
    offset: f32,
    zero_border: bool,
    out: &mut [f32; 3 * LANES],
) -> bool {
    if width < 1 || height < 1 || (data.len() as u64) < width as u64 * height as u64 * 3 {
        return false;
    }
    let cols = _mm256_add_ps(
        _mm256_set1_ps(col as f32),
        _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
    );
    let y = _mm256_set1_ps(row as f32);
    // (a·x + b·y) + tx, as `Affine::apply` evaluates it.
    let sx = _mm256_add_ps(
        _mm256_add_ps(
            _mm256_mul_ps(_mm256_set1_ps(t.a), cols),
            _mm256_mul_ps(_mm256_set1_ps(t.b), y),
        ),
        _mm256_set1_ps(t.tx),
    );
    let sy = _mm256_add_ps(
        _mm256_add_ps(
            _mm256_mul_ps(_mm256_set1_ps(t.c), cols),
            _mm256_mul_ps(_mm256_set1_ps(t.d), y),
        ),
        _mm256_set1_ps(t.ty),
    );
    let snap = |s: __m256| {
        let q = _mm256_add_ps(_mm256_mul_ps(s, _mm256_set1_ps(32.0)), _mm256_set1_ps(0.5));
        _mm256_floor_ps(q)
    };
    let (fqx, fqy) = (snap(sx), snap(sy));
    // Beyond ±2^30 (or NaN) the conversion to i32 is not the scalar path's i64 floor.
    let limit = _mm256_set1_ps(1_073_741_824.0);
    let in_range = |q: __m256| {
        _mm256_and_ps(
            _mm256_cmp_ps::<_CMP_LT_OQ>(q, limit),
            _mm256_cmp_ps::<_CMP_GT_OQ>(q, _mm256_sub_ps(_mm256_setzero_ps(), limit)),
        )
    };
    if _mm256_movemask_ps(_mm256_and_ps(in_range(fqx), in_range(fqy))) != 0xff {
        return false;
    }
    let (qx, qy) = (_mm256_cvttps_epi32(fqx), _mm256_cvttps_epi32(fqy));
    let (x0, y0) = (_mm256_srai_epi32::<5>(qx), _mm256_srai_epi32::<5>(qy));
    let mask = _mm256_set1_epi32(31);
    let (fx, fy) = (_mm256_and_si256(qx, mask), _mm256_and_si256(qy, mask));

    // Each tap on its own, clamped into the image as the scalar `px` does; with a zero
    // border a clamped tap is masked to 0 after its load.
    let zero = _mm256_setzero_si256();
    let one = _mm256_set1_epi32(1);
    let clamp = |v: __m256i, last: i32| {
        _mm256_min_epi32(_mm256_max_epi32(v, zero), _mm256_set1_epi32(last))
    };
    let (x1, y1) = (_mm256_add_epi32(x0, one), _mm256_add_epi32(y0, one));
    let (cx0, cx1) = (clamp(x0, width - 1), clamp(x1, width - 1));
    let (cy0, cy1) = (clamp(y0, height - 1), clamp(y1, height - 1));
    let three = _mm256_set1_epi32(3);
    let index = |x: __m256i, y: __m256i| {
        _mm256_mullo_epi32(
            _mm256_add_epi32(_mm256_mullo_epi32(y, _mm256_set1_epi32(width)), x),
            three,
        )
    };
    let taps = [
        (index(cx0, cy0), cx0, cy0, x0, y0),
        (index(cx1, cy0), cx1, cy0, x1, y0),
        (index(cx0, cy1), cx0, cy1, x0, y1),
        (index(cx1, cy1), cx1, cy1, x1, y1),
    ];
    // Each tap reads four bytes: only the image's very last pixel would read
    // past the buffer, and it takes the scalar path.
    let Some(last_safe) = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(3))
        .map(|len| _mm256_set1_epi32(len - 4))
    else {
        return false;
    };
    let over = taps.iter().fold(zero, |acc, t| {
        _mm256_or_si256(acc, _mm256_cmpgt_epi32(t.0, last_safe))
    });
    if _mm256_testz_si256(over, over) == 0 {
        return false;
    }
    // Four bytes per tap, loaded one lane at a time: AVX2 gathers are microcoded on AMD
    // (and on Intel since the Gather Data Sampling fix); on an AMD EPYC the four gathers
    // per group took two thirds of the crop's time, and plain loads of the same bytes cut
    // the crop's total by a fifth (dunk: 490 → 381 samples).
    let word = |at: i32| {
        // SAFETY: `at` is a clamped pixel's first byte, and no four-byte read reaches past
        // the image (tested above), which `data` holds (checked at the start).
        let bytes = unsafe { data.get_unchecked(at as usize..at as usize + 4) };
        i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    };
    let load = |(i, cx, cy, x, y): (__m256i, __m256i, __m256i, __m256i, __m256i)| {
        let mut at = [0i32; LANES];
        // SAFETY: `at` holds 8 i32.
        unsafe { _mm256_storeu_si256(at.as_mut_ptr().cast(), i) };
        let p = _mm256_setr_epi32(
            word(at[0]),
            word(at[1]),
            word(at[2]),
            word(at[3]),
            word(at[4]),
            word(at[5]),
            word(at[6]),
            word(at[7]),
        );
        if zero_border {
            // A clamped tap lies outside the image and reads 0.
            let inside = _mm256_and_si256(_mm256_cmpeq_epi32(cx, x), _mm256_cmpeq_epi32(cy, y));
            _mm256_and_si256(p, inside)
        } else {
            p
        }
    };
    let (p00, p10, p01, p11) = (load(taps[0]), load(taps[1]), load(taps[2]), load(taps[3]));
    let byte = _mm256_set1_epi32(255);
    let (scale, offset) = (_mm256_set1_ps(scale), _mm256_set1_ps(offset));
    let channel = |shift: __m128i| {
        let c = |p: __m256i| _mm256_and_si256(_mm256_srl_epi32(p, shift), byte);
        let (a, b, cc, d) = (c(p00), c(p10), c(p01), c(p11));
        let top = _mm256_add_epi32(
            _mm256_slli_epi32::<5>(a),
            _mm256_mullo_epi32(_mm256_sub_epi32(b, a), fx),
        );
        let bottom = _mm256_add_epi32(
            _mm256_slli_epi32::<5>(cc),
            _mm256_mullo_epi32(_mm256_sub_epi32(d, cc), fx),
        );
        let v1024 = _mm256_add_epi32(
            _mm256_slli_epi32::<5>(top),
            _mm256_mullo_epi32(_mm256_sub_epi32(bottom, top), fy),
        );
        let v = _mm256_and_si256(
            _mm256_srai_epi32::<10>(_mm256_add_epi32(v1024, _mm256_set1_epi32(512))),
            byte,
        );
        let value = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v), scale), offset);
        let mut lanes = [0f32; LANES];
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), value) };
        lanes
    };
    let rgb = [
        channel(_mm_cvtsi32_si128(0)),
        channel(_mm_cvtsi32_si128(8)),
        channel(_mm_cvtsi32_si128(16)),
    ];
    for (k, o) in out.chunks_exact_mut(3).enumerate() {
        o.copy_from_slice(&[rgb[0][k], rgb[1][k], rgb[2][k]]);
    }
    true
}
