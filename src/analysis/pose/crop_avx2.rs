//! Eight crop samples at once with AVX2, for the samples whose four taps are all inside
//! the image. Every step is the scalar crop's own operation in the same order (f32
//! multiply then add, floor, the same integer blend, `v * scale + offset`), so the
//! tensor is bit-identical to the scalar one; the crop is on every pose's critical path.

use std::arch::x86_64::*;

use super::roi::Affine;

/// Columns per call.
pub(super) const LANES: usize = 8;

/// Whether this CPU can run [`samples`].
pub(super) fn available() -> bool {
    is_x86_feature_detected!("avx2")
}

/// Writes the 8 samples of output row `row` starting at column `col` into `out` (HWC) and
/// returns true, or returns false without writing when any tap falls outside the
/// image or one pixel short of its right edge (each tap reads four bytes: its pixel and the
/// next one's red).
///
/// # Safety
/// The CPU must support AVX2 ([`available`]) and `data` must hold `width × height × 3`
/// bytes.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn samples(
    data: &[u8],
    width: i32,
    height: i32,
    t: &Affine,
    row: usize,
    col: usize,
    scale: f32,
    offset: f32,
    out: &mut [f32; 3 * LANES],
) -> bool {
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
        // Out-of-range and NaN lanes convert to i32::MIN and fail the inside test.
        _mm256_cvttps_epi32(_mm256_floor_ps(q))
    };
    let (qx, qy) = (snap(sx), snap(sy));
    let (x0, y0) = (_mm256_srai_epi32::<5>(qx), _mm256_srai_epi32::<5>(qy));
    let mask = _mm256_set1_epi32(31);
    let (fx, fy) = (_mm256_and_si256(qx, mask), _mm256_and_si256(qy, mask));

    // Inside: 0 <= x0 < width - 2 and 0 <= y0 < height - 1.
    let zero = _mm256_setzero_si256();
    let outside = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpgt_epi32(zero, x0), _mm256_cmpgt_epi32(zero, y0)),
        _mm256_or_si256(
            _mm256_cmpgt_epi32(x0, _mm256_set1_epi32(width - 3)),
            _mm256_cmpgt_epi32(y0, _mm256_set1_epi32(height - 2)),
        ),
    );
    if _mm256_testz_si256(outside, outside) == 0 {
        return false;
    }

    let three = _mm256_set1_epi32(3);
    let i = _mm256_mullo_epi32(
        _mm256_add_epi32(_mm256_mullo_epi32(y0, _mm256_set1_epi32(width)), x0),
        three,
    );
    let j = _mm256_add_epi32(i, _mm256_set1_epi32(width * 3));
    let base = data.as_ptr().cast::<i32>();
    // SAFETY: every lane is inside (tested above): the last byte read, at j + 3 + 3, is the
    // red of pixel (x0 + 2, y0 + 1), inside `data` (the caller's contract).
    let (p00, p10, p01, p11) = unsafe {
        (
            _mm256_i32gather_epi32::<1>(base, i),
            _mm256_i32gather_epi32::<1>(base, _mm256_add_epi32(i, three)),
            _mm256_i32gather_epi32::<1>(base, j),
            _mm256_i32gather_epi32::<1>(base, _mm256_add_epi32(j, three)),
        )
    };
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
        let mut lanes = [0f32; LANES];
        // SAFETY: `lanes` holds 8 floats.
        unsafe {
            _mm256_storeu_ps(
                lanes.as_mut_ptr(),
                _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v), scale), offset),
            )
        };
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
