//! AVX and AVX-512 kernels for tract's channel-last depthwise convolution.
//!
//! tract 0.23 ships this kernel for arm64 and wasm only; on x86-64 its fallback loop reloads
//! and stores every output vector once per tap, and depthwise layers became the largest single
//! cost of the landmark model (17 % of all cycles of an analysis). These kernels keep the
//! accumulators in registers across the taps. They multiply and then add, in the fallback's
//! order (bias, then the taps in turn), without fusing, so every output is bit-for-bit the
//! fallback's and the landmarks do not move. The last channels of a position go through masked
//! loads and stores (same arithmetic per lane) instead of a scalar loop.
//!
//! tract picks its kernels from an `inventory` registry; submitting the routines here is how a
//! crate outside tract provides them. It only selects one the CPU can run, and ranks AVX-512
//! above AVX: 16 channels per load instead of 8 (11.4 % → 10.1 % of all cycles on the dunk
//! clip, on a Sapphire Rapids core).

use tract_linalg::isa::{Arch, Isa, IsaReq};
use tract_linalg::routines::{Func, Routine, RoutineFactory};

inventory::submit! {
    Routine {
        func: Func::DepthwiseC,
        arch: Some(Arch::X86_64),
        isa: IsaReq::ANY.needing(&[Isa::X86_64Avx]),
        boost: 0,
        round_trip: false,
        factory: RoutineFactory::DepthwiseCF32 {
            name: "airtime_avx_depthwise_c_f32",
            run: avx::depthwise_c_f32,
        },
    }
}

inventory::submit! {
    Routine {
        func: Func::DepthwiseC,
        arch: Some(Arch::X86_64),
        isa: IsaReq::ANY.needing(&[Isa::X86_64Avx512f]),
        boost: 0,
        round_trip: false,
        factory: RoutineFactory::DepthwiseCF32 {
            name: "airtime_avx512_depthwise_c_f32",
            run: avx512::depthwise_c_f32,
        },
    }
}

/// The kernel's taps: weight row `indices[t]` (rows `k_stride` apart) meets the input at
/// `offsets[t]` from the position.
struct Taps<'a> {
    kernel: *const f32,
    indices: &'a [usize],
    offsets: &'a [isize],
    k_stride: usize,
}

/// The kernel over one vector width, written once: the module it expands in provides
/// `LANES`, the vector and mask types and `#[inline]` wrappers of the intrinsics, all enabled
/// for `$feature`.
macro_rules! depthwise_kernel {
    ($feature:literal) => {
        /// `len` output positions, each `channels` contiguous values: bias plus, for every
        /// tap `t`, `kernel[tap_indices[t] * k_stride + c] * input[offsets[t] + c]`, the input
        /// and output advancing by `in_stride` and `out_stride` per position.
        ///
        /// # Safety
        /// The CPU must have the module's instruction set. For every position `i < len`, tap
        /// `t` and channel `c < channels`, `input.offset(i * in_stride + offsets[t] + c)` and
        /// `kernel.add(tap_indices[t] * k_stride + c)` must be readable, `bias.add(c)`
        /// readable and `output.offset(i * out_stride + c)` writable.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        pub(super) unsafe fn depthwise_c_f32(
            input: *const f32,
            output: *mut f32,
            kernel: *const f32,
            tap_indices: &[usize],
            offsets: &[isize],
            bias: *const f32,
            channels: usize,
            k_stride: usize,
            len: usize,
            in_stride: isize,
            out_stride: isize,
        ) {
            let taps = super::Taps {
                kernel,
                indices: tap_indices,
                offsets,
                k_stride,
            };
            let tail = channels % LANES;
            let tail_mask = mask(tail);
            for i in 0..len as isize {
                // SAFETY (whole body): the caller guarantees every address formed below is in
                // bounds; masked-off lanes are neither read nor written.
                unsafe {
                    let iptr = input.offset(i * in_stride);
                    let optr = output.offset(i * out_stride);
                    let mut c = 0usize;
                    while c + 4 * LANES <= channels {
                        block::<4, false>(&taps, iptr, optr, bias, c, tail_mask);
                        c += 4 * LANES;
                    }
                    while c + LANES <= channels {
                        block::<1, false>(&taps, iptr, optr, bias, c, tail_mask);
                        c += LANES;
                    }
                    if tail > 0 {
                        block::<1, true>(&taps, iptr, optr, bias, c, tail_mask);
                    }
                }
            }
        }

        /// Channels `c..c + N * LANES` of one output position, with `N` accumulators kept in
        /// registers across the taps; when `MASKED`, only the lanes in `m` (unused otherwise).
        ///
        /// # Safety
        /// As for `depthwise_c_f32`, for these channels of the position at `iptr` / `optr`.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn block<const N: usize, const MASKED: bool>(
            taps: &super::Taps<'_>,
            iptr: *const f32,
            optr: *mut f32,
            bias: *const f32,
            c: usize,
            m: Mask,
        ) {
            // SAFETY: the caller guarantees every unmasked address formed below is in bounds.
            unsafe {
                let mut acc = [zero(); N];
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = load::<MASKED>(bias.add(c + j * LANES), m);
                }
                for (&kix, &off) in taps.indices.iter().zip(taps.offsets) {
                    let k = taps.kernel.add(kix * taps.k_stride + c);
                    let x = iptr.offset(off).add(c);
                    for (j, a) in acc.iter_mut().enumerate() {
                        let product = mul(
                            load::<MASKED>(k.add(j * LANES), m),
                            load::<MASKED>(x.add(j * LANES), m),
                        );
                        *a = add(*a, product);
                    }
                }
                for (j, a) in acc.iter().enumerate() {
                    store::<MASKED>(optr.add(c + j * LANES), m, *a);
                }
            }
        }
    };
}

/// 8 lanes of 256-bit AVX.
mod avx {
    use std::arch::x86_64::*;

    const LANES: usize = 8;
    type Mask = __m256i;
    /// `MASK_SOURCE[8 - n..16 - n]` has its first `n` lanes set.
    static MASK_SOURCE: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

    #[target_feature(enable = "avx")]
    #[inline]
    fn mask(n: usize) -> __m256i {
        // SAFETY: `n <= LANES`, so the 8 values read stay inside MASK_SOURCE.
        unsafe { _mm256_loadu_si256(MASK_SOURCE.as_ptr().add(LANES - n).cast()) }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    fn zero() -> __m256 {
        _mm256_setzero_ps()
    }

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn load<const MASKED: bool>(p: *const f32, m: __m256i) -> __m256 {
        // SAFETY: the caller guarantees the (unmasked) lanes at `p` are readable.
        unsafe {
            if MASKED {
                _mm256_maskload_ps(p, m)
            } else {
                _mm256_loadu_ps(p)
            }
        }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn store<const MASKED: bool>(p: *mut f32, m: __m256i, v: __m256) {
        // SAFETY: the caller guarantees the (unmasked) lanes at `p` are writable.
        unsafe {
            if MASKED {
                _mm256_maskstore_ps(p, m, v)
            } else {
                _mm256_storeu_ps(p, v)
            }
        }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    fn mul(a: __m256, b: __m256) -> __m256 {
        _mm256_mul_ps(a, b)
    }

    #[target_feature(enable = "avx")]
    #[inline]
    fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }

    depthwise_kernel!("avx");
}

/// 16 lanes of AVX-512.
mod avx512 {
    use std::arch::x86_64::*;

    const LANES: usize = 16;
    type Mask = __mmask16;

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn mask(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn zero() -> __m512 {
        _mm512_setzero_ps()
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn load<const MASKED: bool>(p: *const f32, m: __mmask16) -> __m512 {
        // SAFETY: the caller guarantees the (unmasked) lanes at `p` are readable.
        unsafe {
            if MASKED {
                _mm512_maskz_loadu_ps(m, p)
            } else {
                _mm512_loadu_ps(p)
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn store<const MASKED: bool>(p: *mut f32, m: __mmask16, v: __m512) {
        // SAFETY: the caller guarantees the (unmasked) lanes at `p` are writable.
        unsafe {
            if MASKED {
                _mm512_mask_storeu_ps(p, m, v)
            } else {
                _mm512_storeu_ps(p, v)
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn mul(a: __m512, b: __m512) -> __m512 {
        _mm512_mul_ps(a, b)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }

    depthwise_kernel!("avx512f");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fallback tract runs without a kernel: bias, then `out += k * x` tap by tap.
    fn reference(
        input: &[f32],
        kernel: &[f32],
        taps: &[(usize, isize)],
        bias: &[f32],
        len: usize,
        in_stride: usize,
    ) -> Vec<f32> {
        let channels = bias.len();
        let mut out = vec![0.0; len * channels];
        for i in 0..len {
            let o = &mut out[i * channels..(i + 1) * channels];
            o.copy_from_slice(bias);
            for &(kix, off) in taps {
                for c in 0..channels {
                    let x = input[i * in_stride + off as usize + c];
                    o[c] = o[c] + kernel[kix * channels + c] * x;
                }
            }
        }
        out
    }

    #[test]
    fn tract_selects_this_kernel_on_avx_machines() {
        if std::arch::is_x86_feature_detected!("avx") {
            assert!(tract_linalg::routines::depthwise_c_f32().is_some());
        }
    }

    type Kernel = unsafe fn(
        *const f32,
        *mut f32,
        *const f32,
        &[usize],
        &[isize],
        *const f32,
        usize,
        usize,
        usize,
        isize,
        isize,
    );

    /// Runs `kernel` on `channels` channels, 9 taps, 3 positions, and compares every bit.
    fn check_bit_for_bit(kernel_fn: Kernel, channels: usize) {
        let (len, in_stride) = (3, channels);
        // Values with long mantissas, so a fused or reordered sum would round differently.
        let noise = |i: usize| ((i as f32 * 0.618_034).fract() - 0.5) * 3.7;
        let input: Vec<f32> = (0..(len + 9) * channels).map(noise).collect();
        let kernel: Vec<f32> = (0..9 * channels).map(|i| noise(i + 7)).collect();
        let bias: Vec<f32> = (0..channels).map(|i| noise(i + 3)).collect();
        let taps: Vec<(usize, isize)> = (0..9).map(|t| (t, (t * channels) as isize)).collect();
        let (tap_indices, offsets): (Vec<usize>, Vec<isize>) = taps.iter().copied().unzip();
        let mut out = vec![f32::NAN; len * channels];
        // SAFETY: the callers check the CPU; every index stays inside the vectors built here.
        unsafe {
            kernel_fn(
                input.as_ptr(),
                out.as_mut_ptr(),
                kernel.as_ptr(),
                &tap_indices,
                &offsets,
                bias.as_ptr(),
                channels,
                channels,
                len,
                in_stride as isize,
                channels as isize,
            );
        }
        let expected = reference(&input, &kernel, &taps, &bias, len, in_stride);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out), bits(&expected), "{channels} channels");
    }

    #[test]
    fn matches_the_fallback_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx") {
            eprintln!("skipped: this CPU has no AVX");
            return;
        }
        // 45 channels: a 32-wide block, an 8-wide one and a masked 5-lane tail; 3: the tail only.
        check_bit_for_bit(avx::depthwise_c_f32, 45);
        check_bit_for_bit(avx::depthwise_c_f32, 3);
    }

    #[test]
    fn avx512_variant_matches_the_fallback_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("skipped: this CPU has no AVX-512");
            return;
        }
        // 64- and 16-wide blocks and masked tails of 3 and 8 channels; exact multiples too.
        for channels in [83, 24, 48, 5, 128] {
            check_bit_for_bit(avx512::depthwise_c_f32, channels);
        }
    }
}
