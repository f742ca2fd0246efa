//! Robust statistics and small linear algebra.
//!
//! Only `+ - * /` and `sqrt` are used (no `exp`, `ln`, `powf`, trigonometry): those are
//! correctly rounded by IEEE 754, so x86, ARM and wasm32 produce bit-identical results.
//! The peer differed by ~6 % between M1 and Intel; we must not.

/// Scale factor that makes the median absolute deviation a consistent estimator of the
/// standard deviation for Gaussian noise.
const MAD_TO_SIGMA: f64 = 1.4826;

/// Quantile `q` (0–1) with linear interpolation between order statistics; ignores
/// non-finite values. `None` for an empty input.
pub(super) fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    quantile_in_place(&mut sorted, q)
}

/// Same as [`quantile`] but sorts the caller's buffer (all values must be finite).
fn quantile_in_place(values: &mut [f64], q: f64) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    sorted_quantile(values, q)
}

pub(super) fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

pub(super) fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Robust standard deviation (1.4826 × median absolute deviation).
pub(super) fn robust_sigma(values: &[f64]) -> Option<f64> {
    let center = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    median(&deviations).map(|mad| mad * MAD_TO_SIGMA)
}

/// Quantile of the present values whose time lies in `[t_i - before_s, t_i + after_s]`,
/// for every sample `i`. Times must be sorted. The window is kept sorted as it slides
/// (insert and remove by binary search), so long high-frame-rate clips stay cheap.
pub(super) fn rolling_quantile(
    times: &[f64],
    values: &[Option<f64>],
    before_s: f64,
    after_s: f64,
    q: f64,
) -> Vec<Option<f64>> {
    let n = times.len();
    let mut out = Vec::with_capacity(n);
    let mut window: Vec<f64> = Vec::new();
    let (mut lo, mut hi) = (0usize, 0usize); // window holds values[lo..hi]
    for i in 0..n {
        while hi < n && times[hi] <= times[i] + after_s {
            if let Some(v) = values[hi].filter(|v| v.is_finite()) {
                let at = window.partition_point(|w| w.total_cmp(&v).is_lt());
                window.insert(at, v);
            }
            hi += 1;
        }
        while lo < hi && times[lo] < times[i] - before_s {
            if let Some(v) = values[lo].filter(|v| v.is_finite()) {
                let at = window.partition_point(|w| w.total_cmp(&v).is_lt());
                window.remove(at);
            }
            lo += 1;
        }
        out.push(sorted_quantile(&window, q));
    }
    out
}

/// Quantile of already sorted values.
fn sorted_quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Solves the 3×3 system `a·x = b` by Gaussian elimination with partial pivoting.
/// `None` when the system is (numerically) singular.
pub(super) fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    let scale = a
        .iter()
        .flat_map(|row| row.iter())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    for col in 0..3 {
        let pivot = (col..3)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        if a[pivot][col].abs() <= scale * 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..3 {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let mut s = b[row];
        for k in row + 1..3 {
            s -= a[row][k] * x[k];
        }
        x[row] = s / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Linear interpolation of `(time, value)` samples at `t` (sorted by time); clamps to the
/// end values outside the sampled range.
pub(super) fn interpolate(samples: &[(f64, f64)], t: f64) -> Option<f64> {
    let first = samples.first()?;
    let last = samples.last()?;
    if t <= first.0 {
        return Some(first.1);
    }
    if t >= last.0 {
        return Some(last.1);
    }
    let k = samples.partition_point(|s| s.0 <= t);
    let (t0, v0) = samples[k - 1];
    let (t1, v1) = samples[k];
    if t1 <= t0 {
        return Some(v0);
    }
    Some(v0 + (v1 - v0) * (t - t0) / (t1 - t0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_between_order_statistics() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[5.0], 0.9), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn robust_sigma_ignores_outliers() {
        let mut v: Vec<f64> = (0..100).map(|i| f64::from(i % 7) - 3.0).collect();
        v.push(1e6);
        let s = robust_sigma(&v).unwrap();
        assert!(s > 1.0 && s < 4.0, "{s}");
    }

    #[test]
    fn solve3_recovers_known_solution() {
        let a = [[2.0, 1.0, -1.0], [-3.0, -1.0, 2.0], [-2.0, 1.0, 2.0]];
        let x = solve3(a, [8.0, -11.0, -3.0]).unwrap();
        assert!(
            (x[0] - 2.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12 && (x[2] + 1.0).abs() < 1e-12
        );
        assert!(solve3(
            [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]],
            [1.0; 3]
        )
        .is_none());
    }

    #[test]
    fn rolling_quantile_uses_time_windows_not_sample_counts() {
        let t = [0.0, 0.1, 0.2, 1.0, 1.05];
        let v = [Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)];
        let r = rolling_quantile(&t, &v, 0.15, 0.0, 1.0);
        assert_eq!(
            r,
            vec![Some(1.0), Some(2.0), Some(2.0), Some(3.0), Some(4.0)]
        );
    }

    #[test]
    fn interpolate_clamps_and_interpolates() {
        let s = [(0.0, 0.0), (1.0, 10.0)];
        assert_eq!(interpolate(&s, 0.25), Some(2.5));
        assert_eq!(interpolate(&s, -1.0), Some(0.0));
        assert_eq!(interpolate(&s, 2.0), Some(10.0));
    }
}
