//! Which vector instructions the kernels may use. A kernel compiled for AVX2
//! (`#[target_feature]`) may only run where the CPU has it: [`Avx2`] is the proof, made only by
//! detection, so a kernel that takes one is safe to call.
//!
//! `AIRTIME_NO_SIMD=1` turns the vector kernels off: the portable paths they replace are what
//! a CPU without AVX2 (an ARM server) runs, and this is how their cost is measured
//! (`scripts/bench-analysis`).

/// The CPU runs AVX2, and the vector kernels are wanted.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    pub(crate) fn detect() -> Option<Avx2> {
        static DETECTED: std::sync::OnceLock<Option<Avx2>> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            let wanted = std::env::var_os("AIRTIME_NO_SIMD").is_none_or(|v| v != "1");
            (wanted && is_x86_feature_detected!("avx2")).then_some(Avx2(()))
        })
    }
}
