//! Free-flight arcs.
//!
//! Between takeoff and landing the only external force is gravity, so the centre of
//! mass follows a parabola whose curvature is fixed by g (Linthorne 2001); the hips
//! follow it closely while the posture stays fixed, which is what we measure. In image pixels `y(t) = c0 + c1·τ + c2·τ²` with
//! `c2 = g·px_per_m / 2`, which gives the pixel→metre scale from the arc itself.

use super::stats::{robust_sigma, solve3};

/// Standard gravity (m/s²), as in the flight-time height formula h = g·t²/8.
pub(super) const G: f64 = 9.81;

/// Outlier rejection: points further than this many robust sigmas from the first fit are
/// dropped once (pose glitches such as a hip snapping to the other leg for one frame).
const OUTLIER_SIGMAS: f64 = 4.0;

/// Floor for the residual sigma (px) so that a near-perfect fit does not reject good points.
const MIN_RESIDUAL_SIGMA_PX: f64 = 0.5;

/// At most this fraction of the points may be dropped as outliers.
const MAX_OUTLIER_FRACTION: f64 = 0.2;

/// Parabola in image coordinates (y down): `y = c0 + c1·(t − t_ref) + c2·(t − t_ref)²`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Parabola {
    pub t_ref: f64,
    pub c0: f64,
    pub c1: f64,
    pub c2: f64,
}

/// Which side of the apex a solution must lie on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Branch {
    /// Before the apex (body moving up, image y decreasing).
    Rising,
    /// After the apex.
    Falling,
}

impl Parabola {
    pub(super) fn eval(&self, t: f64) -> f64 {
        let tau = t - self.t_ref;
        self.c0 + self.c1 * tau + self.c2 * tau * tau
    }

    /// Time of the highest point (smallest image y); `None` for a non-ballistic arc.
    pub(super) fn apex_time(&self) -> Option<f64> {
        (self.c2 > 0.0).then(|| self.t_ref - self.c1 / (2.0 * self.c2))
    }

    /// Pixels per metre implied by the curvature.
    pub(super) fn px_per_m(&self) -> f64 {
        2.0 * self.c2 / G
    }

    /// Time on the given branch at which the arc passes image height `y`.
    /// `None` if the arc never gets that low on the image (i.e. `y` is above the apex).
    pub(super) fn time_at(&self, y: f64, branch: Branch) -> Option<f64> {
        let apex = self.apex_time()?;
        let apex_y = self.eval(apex);
        let rise = y - apex_y;
        if rise < 0.0 {
            return None;
        }
        let half_width = (rise / self.c2).sqrt();
        Some(match branch {
            Branch::Rising => apex - half_width,
            Branch::Falling => apex + half_width,
        })
    }
}

/// A fitted flight arc and how well it fits.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ArcFit {
    pub parabola: Parabola,
    pub points_used: usize,
    /// Root-mean-square residual of the points used (px).
    pub rms_px: f64,
}

/// Least-squares parabola with free curvature through `(t, y)` points, with one pass of
/// outlier rejection. Needs at least 4 points (3 unknowns plus one degree of freedom).
pub(super) fn fit_free(points: &[(f64, f64)]) -> Option<ArcFit> {
    fit_with_rejection(points, 4, None)
}

/// Least-squares parabola with the curvature fixed to `c2` (from a known scale), fitting
/// only position and velocity. Works from 2 points, e.g. a short drop off a box.
pub(super) fn fit_known_curvature(points: &[(f64, f64)], c2: f64) -> Option<ArcFit> {
    fit_with_rejection(points, 2, Some(c2))
}

fn fit_with_rejection(points: &[(f64, f64)], min_points: usize, c2: Option<f64>) -> Option<ArcFit> {
    if points.len() < min_points {
        return None;
    }
    let first = fit_once(points, c2)?;
    let residuals: Vec<f64> = points
        .iter()
        .map(|&(t, y)| y - first.parabola.eval(t))
        .collect();
    let sigma = robust_sigma(&residuals)?.max(MIN_RESIDUAL_SIGMA_PX);
    let kept: Vec<(f64, f64)> = points
        .iter()
        .zip(&residuals)
        .filter(|(_, r)| r.abs() <= OUTLIER_SIGMAS * sigma)
        .map(|(p, _)| *p)
        .collect();
    let dropped = points.len() - kept.len();
    if dropped == 0
        || kept.len() < min_points
        || dropped as f64 > MAX_OUTLIER_FRACTION * points.len() as f64
    {
        return Some(first);
    }
    fit_once(&kept, c2)
}

fn fit_once(points: &[(f64, f64)], c2: Option<f64>) -> Option<ArcFit> {
    let n = points.len() as f64;
    let t_ref = points.iter().map(|p| p.0).sum::<f64>() / n;
    let parabola = match c2 {
        None => {
            let mut a = [[0.0; 3]; 3];
            let mut b = [0.0; 3];
            for &(t, y) in points {
                let tau = t - t_ref;
                let basis = [1.0, tau, tau * tau];
                for r in 0..3 {
                    for c in 0..3 {
                        a[r][c] += basis[r] * basis[c];
                    }
                    b[r] += basis[r] * y;
                }
            }
            let c = solve3(a, b)?;
            Parabola {
                t_ref,
                c0: c[0],
                c1: c[1],
                c2: c[2],
            }
        }
        Some(c2) => {
            // With τ centred on the mean time, the normal equations decouple.
            let (mut s_y, mut s_tt, mut s_ty) = (0.0, 0.0, 0.0);
            for &(t, y) in points {
                let tau = t - t_ref;
                let r = y - c2 * tau * tau;
                s_y += r;
                s_tt += tau * tau;
                s_ty += tau * r;
            }
            if s_tt <= 0.0 {
                return None;
            }
            Parabola {
                t_ref,
                c0: s_y / n,
                c1: s_ty / s_tt,
                c2,
            }
        }
    };
    let sum_sq: f64 = points
        .iter()
        .map(|&(t, y)| {
            let r = y - parabola.eval(t);
            r * r
        })
        .sum();
    Some(ArcFit {
        parabola,
        points_used: points.len(),
        rms_px: (sum_sq / n).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arc(t: f64) -> f64 {
        // 400 px/m, takeoff at 1.0 s with 2.2 m/s upwards, image y of the hip at takeoff 500.
        let tau = t - 1.0;
        500.0 - 400.0 * (2.2 * tau - 0.5 * G * tau * tau)
    }

    #[test]
    fn free_fit_recovers_scale_and_apex() {
        let pts: Vec<(f64, f64)> = (1..14)
            .map(|i| {
                let t = 1.0 + f64::from(i) / 30.0;
                (t, arc(t))
            })
            .collect();
        let fit = fit_free(&pts).unwrap();
        assert!((fit.parabola.px_per_m() - 400.0).abs() < 1e-6);
        assert!((fit.parabola.apex_time().unwrap() - (1.0 + 2.2 / G)).abs() < 1e-9);
        let takeoff = fit.parabola.time_at(500.0, Branch::Rising).unwrap();
        let landing = fit.parabola.time_at(500.0, Branch::Falling).unwrap();
        assert!((takeoff - 1.0).abs() < 1e-9);
        assert!((landing - (1.0 + 4.4 / G)).abs() < 1e-9);
    }

    #[test]
    fn outlier_is_rejected() {
        let mut pts: Vec<(f64, f64)> = (1..14)
            .map(|i| {
                let t = 1.0 + f64::from(i) / 30.0;
                (t, arc(t) + if i % 2 == 0 { 0.3 } else { -0.3 })
            })
            .collect();
        pts[6].1 += 60.0;
        let fit = fit_free(&pts).unwrap();
        assert_eq!(fit.points_used, 12);
        assert!((fit.parabola.px_per_m() - 400.0).abs() < 5.0);
    }

    #[test]
    fn known_curvature_needs_only_two_points() {
        let pts = [(1.1, arc(1.1)), (1.2, arc(1.2))];
        let fit = fit_known_curvature(&pts, 0.5 * G * 400.0).unwrap();
        assert!((fit.parabola.eval(1.0) - 500.0).abs() < 1e-9);
    }
}
