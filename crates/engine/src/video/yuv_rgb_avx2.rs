//! Sixteen pixels of the YUV → RGB conversion at once with AVX2. Every step is the scalar
//! path's own integer operation (i32 multiply, arithmetic shift, clamp), so the bytes are
//! the same; the scalar loop was 7 % of all cycles on an 850p clip.

use std::arch::x86_64::*;

use super::yuv_rgb::{Converter, Term};
use crate::simd::Avx2;

/// Byte shuffles that place channel `channel` of 16 pixels into the 16-byte chunk `chunk` of
/// their packed RGB24 bytes (0x80: leave the byte to another channel).
fn interleave_mask(chunk: usize, channel: usize) -> [i8; 16] {
    std::array::from_fn(|j| {
        let k = 16 * chunk + j;
        if k % 3 == channel {
            (k / 3) as i8
        } else {
            -128
        }
    })
}

/// Converts the longest multiple of 16 pixels at the start of one row (`y`: luma, `u`/`v`:
/// the half-width chroma) into `out` (RGB24) and returns how many pixels that was.
pub(super) fn row(_: Avx2, c: &Converter, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
    // SAFETY: an `Avx2` exists only where the CPU runs AVX2.
    unsafe { row_avx2(c, y, u, v, out) }
}

#[target_feature(enable = "avx2")]
fn row_avx2(c: &Converter, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
    let n = y.len().min(2 * u.len()).min(2 * v.len()).min(out.len() / 3) / 16 * 16;
    let base = _mm256_set1_epi32(c.base);
    let cy = _mm256_set1_epi32(c.cy);
    let term = |t: Term, chroma: __m256i| {
        _mm256_add_epi32(
            _mm256_set1_epi32(t.start),
            _mm256_srai_epi32::<16>(_mm256_mullo_epi32(chroma, _mm256_set1_epi32(t.inc))),
        )
    };
    let (first_half, second_half) = (
        _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3),
        _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7),
    );
    let (zero, top) = (_mm256_setzero_si256(), _mm256_set1_epi32(255));
    // One channel of 16 pixels as bytes: luma table entry `y + offset`, offsets per pair.
    let channel = |y_lo: __m256i, y_hi: __m256i, offset: __m256i| {
        let value = |y: __m256i, pick: __m256i| {
            let entry = _mm256_add_epi32(y, _mm256_permutevar8x32_epi32(offset, pick));
            let v = _mm256_srai_epi32::<16>(_mm256_add_epi32(base, _mm256_mullo_epi32(entry, cy)));
            _mm256_min_epi32(_mm256_max_epi32(v, zero), top)
        };
        let words = _mm256_packus_epi32(value(y_lo, first_half), value(y_hi, second_half));
        // packus works per 128-bit lane: put the four 64-bit groups back in pixel order.
        let words = _mm256_permute4x64_epi64::<0b11_01_10_00>(words);
        _mm_packus_epi16(
            _mm256_castsi256_si128(words),
            _mm256_extracti128_si256::<1>(words),
        )
    };
    let mask = |chunk, ch| {
        let bytes = interleave_mask(chunk, ch);
        // SAFETY: `bytes` holds the 16 bytes read.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>()) }
    };
    let masks: [[__m128i; 3]; 3] =
        std::array::from_fn(|chunk| std::array::from_fn(|ch| mask(chunk, ch)));

    let mut x = 0;
    while x < n {
        // n ≤ y.len(), 2 u.len(), 2 v.len() and out.len() / 3, in multiples of 16: these
        // slices are in bounds, and each load reads only its own.
        let luma = &y[x..x + 16];
        let (u8s, v8s) = (&u[x / 2..x / 2 + 8], &v[x / 2..x / 2 + 8]);
        // SAFETY: `luma` holds the 16 bytes read.
        let luma = unsafe { _mm_loadu_si128(luma.as_ptr().cast::<__m128i>()) };
        // SAFETY: `u8s` holds the 8 bytes read.
        let cu = _mm256_cvtepu8_epi32(unsafe { _mm_loadl_epi64(u8s.as_ptr().cast()) });
        // SAFETY: `v8s` holds the 8 bytes read.
        let cv = _mm256_cvtepu8_epi32(unsafe { _mm_loadl_epi64(v8s.as_ptr().cast()) });
        let y_lo = _mm256_cvtepu8_epi32(luma);
        let y_hi = _mm256_cvtepu8_epi32(_mm_srli_si128::<8>(luma));
        let rgb = [
            channel(y_lo, y_hi, term(c.red_v, cv)),
            channel(
                y_lo,
                y_hi,
                _mm256_add_epi32(term(c.green_u, cu), term(c.green_v, cv)),
            ),
            channel(y_lo, y_hi, term(c.blue_u, cu)),
        ];
        for (chunk, m) in masks.iter().enumerate() {
            let bytes = _mm_or_si128(
                _mm_or_si128(
                    _mm_shuffle_epi8(rgb[0], m[0]),
                    _mm_shuffle_epi8(rgb[1], m[1]),
                ),
                _mm_shuffle_epi8(rgb[2], m[2]),
            );
            let dest = &mut out[3 * x + 16 * chunk..3 * x + 16 * chunk + 16];
            // SAFETY: `dest` holds the 16 bytes written.
            unsafe { _mm_storeu_si128(dest.as_mut_ptr().cast(), bytes) };
        }
        x += 16;
    }
    n
}
