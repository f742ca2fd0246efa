//! An AVX kernel for tract's channel-last depthwise convolution.
//!
//! tract 0.23 ships this kernel for arm64 and wasm only; on x86-64 its fallback loop reloads
//! and stores every output vector once per tap, and depthwise layers became the largest single
//! cost of the landmark model (17 % of all cycles of an analysis). This kernel keeps the
//! accumulators in registers across the taps. It multiplies and then adds, in the fallback's
//! order (bias, then the taps in turn), without fusing, so every output is bit-for-bit the
//! fallback's and the landmarks do not move.
//!
//! tract picks its kernels from an `inventory` registry; submitting the routine here is how a
//! crate outside tract provides one, and tract only selects it on a CPU that has AVX.

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
            run: depthwise_c_f32,
        },
    }
}

/// `len` output positions, each `channels` contiguous values: bias plus, for every tap `t`,
/// `kernel[tap_indices[t] * k_stride + c] * input[offsets[t] + c]`, the input and output
/// advancing by `in_stride` and `out_stride` per position.
///
/// # Safety
/// The CPU must have AVX. For every position `i < len`, tap `t` and channel `c < channels`,
/// `input.offset(i * in_stride + offsets[t] + c)` and `kernel.add(tap_indices[t] * k_stride + c)`
/// must be readable, `bias.add(c)` readable and `output.offset(i * out_stride + c)` writable.
#[target_feature(enable = "avx")]
#[allow(clippy::too_many_arguments)]
unsafe fn depthwise_c_f32(
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
    let taps = Taps {
        kernel,
        indices: tap_indices,
        offsets,
        k_stride,
    };
    for i in 0..len as isize {
        // SAFETY (whole body): the caller guarantees every address formed below is in bounds.
        unsafe {
            let iptr = input.offset(i * in_stride);
            let optr = output.offset(i * out_stride);
            let mut c = 0usize;
            while c + 4 * LANES <= channels {
                block::<4>(&taps, iptr, optr, bias, c);
                c += 4 * LANES;
            }
            while c + LANES <= channels {
                block::<1>(&taps, iptr, optr, bias, c);
                c += LANES;
            }
            while c < channels {
                let mut sum = *bias.add(c);
                for (&kix, &off) in taps.indices.iter().zip(taps.offsets) {
                    sum += *kernel.add(kix * k_stride + c) * *iptr.offset(off).add(c);
                }
                *optr.add(c) = sum;
                c += 1;
            }
        }
    }
}

const LANES: usize = 8;

/// The kernel's taps: weight row `indices[t]` (rows `k_stride` apart) meets the input at
/// `offsets[t]` from the position.
struct Taps<'a> {
    kernel: *const f32,
    indices: &'a [usize],
    offsets: &'a [isize],
    k_stride: usize,
}

/// Channels `c..c + N * LANES` of one output position, with `N` accumulators kept in
/// registers across the taps.
///
/// # Safety
/// As for [`depthwise_c_f32`], for these channels of the position at `iptr` / `optr`.
#[target_feature(enable = "avx")]
#[inline]
unsafe fn block<const N: usize>(
    taps: &Taps<'_>,
    iptr: *const f32,
    optr: *mut f32,
    bias: *const f32,
    c: usize,
) {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees every address formed below is in bounds.
    unsafe {
        let mut acc = [_mm256_setzero_ps(); N];
        for (j, a) in acc.iter_mut().enumerate() {
            *a = _mm256_loadu_ps(bias.add(c + j * LANES));
        }
        for (&kix, &off) in taps.indices.iter().zip(taps.offsets) {
            let k = taps.kernel.add(kix * taps.k_stride + c);
            let x = iptr.offset(off).add(c);
            for (j, a) in acc.iter_mut().enumerate() {
                let product = _mm256_mul_ps(
                    _mm256_loadu_ps(k.add(j * LANES)),
                    _mm256_loadu_ps(x.add(j * LANES)),
                );
                *a = _mm256_add_ps(*a, product);
            }
        }
        for (j, a) in acc.iter().enumerate() {
            _mm256_storeu_ps(optr.add(c + j * LANES), *a);
        }
    }
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

    #[test]
    fn matches_the_fallback_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx") {
            eprintln!("skipped: this CPU has no AVX");
            return;
        }
        // 45 channels: a 32-wide block, an 8-wide one and a 5-value tail; 9 taps, 3 positions.
        let channels = 45;
        let (len, in_stride) = (3, channels);
        // Values with long mantissas, so a fused or reordered sum would round differently.
        let noise = |i: usize| ((i as f32 * 0.618_034).fract() - 0.5) * 3.7;
        let input: Vec<f32> = (0..(len + 9) * channels).map(noise).collect();
        let kernel: Vec<f32> = (0..9 * channels).map(|i| noise(i + 7)).collect();
        let bias: Vec<f32> = (0..channels).map(|i| noise(i + 3)).collect();
        let taps: Vec<(usize, isize)> = (0..9).map(|t| (t, (t * channels) as isize)).collect();
        let (tap_indices, offsets): (Vec<usize>, Vec<isize>) = taps.iter().copied().unzip();
        let mut out = vec![f32::NAN; len * channels];
        // SAFETY: AVX checked above; every index stays inside the vectors built here.
        unsafe {
            depthwise_c_f32(
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
        assert_eq!(bits(&out), bits(&expected));
    }
}
