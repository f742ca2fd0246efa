//! Smoothing and differentiation of irregularly sampled signals.
//!
//! A Savitzky–Golay filter assumes equally spaced samples; phone video is variable frame
//! rate and loses frames, so we use its generalisation instead: at every sample, a
//! weighted least-squares quadratic over the neighbours within a fixed *time* window
//! (LOESS of degree 2, tricube weights, Cleveland 1979). The fitted constant is the
//! smoothed value, the fitted slope the derivative. Like Savitzky–Golay it is exact for
//! parabolas, so extrema (lowest point, flight apex) are not flattened.

use super::stats::solve3;

/// Half width of the smoothing window. ±0.1 s keeps the countermovement (0.4–0.8 s) and
/// the push-off (0.2–0.4 s) intact while averaging 7 samples at 30 fps and 49 at 240 fps.
pub(super) const SMOOTH_HALF_WINDOW_S: f64 = 0.10;

/// A quadratic needs at least this many neighbours to be well determined; with fewer
/// inside the window (gaps, low frame rate) the window widens to reach them.
const MIN_NEIGHBOURS: usize = 5;

/// The window never widens beyond this factor, so a gap cannot pull in unrelated motion.
const MAX_WIDENING: f64 = 2.5;

/// Smoothed value and first derivative (per second) at one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LocalFit {
    pub value: f64,
    pub slope: f64,
}

/// Local quadratic regression of `values` (missing = `None`) at every sample time.
pub(super) fn local_quadratic(
    times: &[f64],
    values: &[Option<f64>],
    half_window_s: f64,
) -> Vec<Option<LocalFit>> {
    let present: Vec<(f64, f64)> = times
        .iter()
        .zip(values)
        .filter_map(|(&t, v)| v.map(|v| (t, v)))
        .collect();
    times
        .iter()
        .map(|&t| fit_at(&present, t, half_window_s))
        .collect()
}

fn fit_at(present: &[(f64, f64)], t: f64, half_window_s: f64) -> Option<LocalFit> {
    if present.len() < 3 {
        return None;
    }
    let h = window_for(present, t, half_window_s)?;
    let start = present.partition_point(|p| p.0 < t - h);
    let end = present.partition_point(|p| p.0 <= t + h);
    // Normal equations in the scaled offset u = (t_j - t)/h keep the system well conditioned.
    let mut a = [[0.0; 3]; 3];
    let mut b = [0.0; 3];
    let mut used = 0;
    for &(tj, yj) in &present[start..end] {
        let u = (tj - t) / h;
        let d = 1.0 - u.abs() * u.abs() * u.abs();
        if d <= 0.0 {
            continue;
        }
        let w = d * d * d;
        let basis = [1.0, u, u * u];
        for r in 0..3 {
            for c in 0..3 {
                a[r][c] += w * basis[r] * basis[c];
            }
            b[r] += w * basis[r] * yj;
        }
        used += 1;
    }
    if used < 3 {
        return None;
    }
    let coef = solve3(a, b)?;
    Some(LocalFit {
        value: coef[0],
        slope: coef[1] / h,
    })
}

/// The smallest window ≥ `half_window_s` holding `MIN_NEIGHBOURS` samples, slightly
/// enlarged so the farthest one still gets a non-zero tricube weight.
fn window_for(present: &[(f64, f64)], t: f64, half_window_s: f64) -> Option<f64> {
    let centre = present.partition_point(|p| p.0 < t);
    let mut distances: Vec<f64> = present
        [centre.saturating_sub(MIN_NEIGHBOURS)..(centre + MIN_NEIGHBOURS).min(present.len())]
        .iter()
        .map(|p| (p.0 - t).abs())
        .collect();
    distances.sort_by(f64::total_cmp);
    let needed = distances
        .get(MIN_NEIGHBOURS - 1)
        .or(distances.last())
        .copied()?;
    let h = half_window_s.max(needed * 1.05);
    (h <= half_window_s * MAX_WIDENING).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_parabolas_on_irregular_times() {
        let times: Vec<f64> = (0..40)
            .map(|i| f64::from(i) / 30.0 + if i % 3 == 0 { 0.007 } else { -0.004 })
            .collect();
        let values: Vec<Option<f64>> = times
            .iter()
            .map(|t| Some(3.0 + 2.0 * t - 4.9 * t * t))
            .collect();
        let fits = local_quadratic(&times, &values, SMOOTH_HALF_WINDOW_S);
        for (t, f) in times.iter().zip(fits) {
            let f = f.unwrap();
            assert!((f.value - (3.0 + 2.0 * t - 4.9 * t * t)).abs() < 1e-9);
            assert!((f.slope - (2.0 - 9.8 * t)).abs() < 1e-7);
        }
    }

    #[test]
    fn widens_over_small_gaps_but_not_large_ones() {
        let mut times: Vec<f64> = (0..10).map(|i| f64::from(i) / 30.0).collect();
        times.extend((0..10).map(|i| 2.0 + f64::from(i) / 30.0));
        let values: Vec<Option<f64>> = times.iter().map(|t| Some(*t)).collect();
        let fits = local_quadratic(&times, &values, SMOOTH_HALF_WINDOW_S);
        assert!(fits.iter().all(Option::is_some));
        assert!((fits[9].unwrap().slope - 1.0).abs() < 1e-9);
        let sparse = [0.0, 1.0, 2.0, 3.0];
        let fits = local_quadratic(&sparse, &[Some(0.0); 4], SMOOTH_HALF_WINDOW_S);
        assert!(fits.iter().all(Option::is_none));
    }
}
