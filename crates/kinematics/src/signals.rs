//! Per-frame body signals (hip, feet, leg length) and, per continuous piece of the clip,
//! the floor level, foot height above it, body scale and smoothed hip motion.
//!
//! Feet are the primary contact signal: a foot is on the floor or it is not, whereas the
//! hip moves continuously through takeoff. We use the *lowest* visible foot point (heel
//! or toe of either foot): takeoff is when the last toe leaves, landing when the first
//! toe or heel arrives, and walking keeps one foot down all the time.

use super::series::{landmark, CleanFrame, CleanPoint, CleanSeries};
use super::smoothing::{local_quadratic, LocalFit, SMOOTH_HALF_WINDOW_S};
use super::stats::{median, quantile, robust_sigma, rolling_quantile};

/// Hip-joint-to-ankle length (thigh + shank) as a fraction of stature (Winter 2009:
/// 0.245 + 0.246). With an average adult stature of ~1.75 m this is ~0.86 m.
pub(super) const LEG_FRACTION_OF_STATURE: f64 = 0.491;

/// Assumed thigh + shank length when nothing better is known (0.491 × 1.75 m).
pub(super) const ASSUMED_LEG_LENGTH_M: f64 = 0.86;

/// Standing hip-joint height relative to thigh + shank: the ankle sits ~0.039 × stature
/// above the floor (Winter), so standing hip height ≈ 1.08 × leg length. We use a
/// slightly lower value because BlazePose hips sit a little below the joint centre.
pub(super) const STANDING_HIP_OVER_LEG: f64 = 1.0;

/// Ankle-to-sole distance relative to leg length when the heel and toe are not visible
/// (0.039 / 0.491 ≈ 0.08).
const ANKLE_TO_SOLE_OVER_LEG: f64 = 0.08;

/// Sole points within this many leg lengths (≈ 1.3 cm) of the lowest one are averaged
/// into the "lowest foot point": taking the bare maximum of four noisy points would bias
/// it downwards by ~1 σ when the feet are flat and by ~0.5 σ on the toes, and that
/// difference between stance and takeoff posture would shift takeoff by ~1 ms.
const SOLE_BAND_OVER_LEG: f64 = 0.015;

/// Longer holes than this between posed frames split the clip into independent pieces;
/// flight phases are at least 80 ms and a 250 ms hole could hide a whole short jump.
const MAX_GAP_S: f64 = 0.25;

/// A hip moving faster than this many leg lengths per second between two frames is an
/// edit cut or the tracker jumping to another person (12 leg/s ≈ 10 m/s, well beyond
/// the ~3–4 m/s of a landing).
const CUT_SPEED_LEG_PER_S: f64 = 12.0;

/// ...and the jump must also exceed this many leg lengths, so that a 240 fps frame pair
/// with 1 px of noise is never a "cut".
const CUT_MIN_JUMP_LEG: f64 = 0.3;

/// A sudden change of apparent leg length by this ratio between frames is a cut or zoom.
const CUT_SCALE_RATIO: f64 = 1.35;

/// Window (each side) for the local body scale: the leg length is re-estimated over ±1.5 s
/// so that someone walking towards the camera keeps a correct scale.
const SCALE_WINDOW_S: f64 = 1.5;

/// Upper quantile of leg length in the window: the legs are longest (least foreshortened)
/// when straight, which is the posture whose length we know.
const SCALE_QUANTILE: f64 = 0.8;

/// Floor window (each side). The floor is the image y of the lowest foot point while
/// standing; a window of 1.2 s on each side of a flight of up to 0.9 s still contains
/// ≥ 0.3 s of stance.
const FLOOR_WINDOW_S: f64 = 1.2;

/// Quantile (in image y) taken as the floor in each window: the 90th percentile is the
/// foot on the floor as soon as ≥ 10 % of the window is stance, and ignores rare glitches.
const FLOOR_QUANTILE: f64 = 0.9;

/// Hip speed noise is the RMS speed of the quieter stretches of this length (s)...
const NOISE_WINDOW_S: f64 = 0.5;
/// ...namely this quantile of all stretches.
const NOISE_QUANTILE: f64 = 0.1;

/// Noise floor for the foot-position noise estimate (px); sub-pixel noise estimates come
/// from duplicated frames and would make thresholds meaninglessly tight.
const MIN_FOOT_NOISE_PX: f64 = 0.5;

/// Signals measured in one frame (pixels, camera motion removed).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FrameSignals {
    pub frame: u32,
    pub time_s: f64,
    /// Mid-hip position (x, y).
    pub hip: Option<(f64, f64)>,
    /// Image y of the lowest visible foot point of either foot.
    pub foot_low_y: Option<f64>,
    /// Image y of the lowest point of the left and right foot separately.
    pub foot_side_y: [Option<f64>; 2],
    /// Thigh + shank length in pixels (mean of the visible sides).
    pub leg_px: Option<f64>,
    /// Mean visibility of the hip and foot landmarks (0 when missing).
    pub visibility: f64,
    /// Camera shift that was removed, if any.
    pub shift: Option<(f64, f64)>,
}

/// Extracts per-frame signals from every frame that has a pose.
pub(super) fn extract(clean: &CleanSeries) -> Vec<FrameSignals> {
    let sole_offset = learn_ankle_to_sole(&clean.frames);
    let legs: Vec<f64> = clean
        .frames
        .iter()
        .filter_map(|f| f.pose.as_ref().and_then(|p| leg_length(p)))
        .collect();
    let typical_leg = median(&legs);
    clean
        .frames
        .iter()
        .filter_map(|f| frame_signals(f, sole_offset, typical_leg))
        .collect()
}

/// Thigh + shank length in pixels, mean of the sides where hip, knee and ankle are seen.
fn leg_length(pose: &[Option<CleanPoint>]) -> Option<f64> {
    let legs: Vec<f64> = [
        (
            landmark::LEFT_HIP,
            landmark::LEFT_KNEE,
            landmark::LEFT_ANKLE,
        ),
        (
            landmark::RIGHT_HIP,
            landmark::RIGHT_KNEE,
            landmark::RIGHT_ANKLE,
        ),
    ]
    .iter()
    .filter_map(|&(h, k, a)| Some(distance(pose[h]?, pose[k]?) + distance(pose[k]?, pose[a]?)))
    .collect();
    (!legs.is_empty()).then(|| legs.iter().sum::<f64>() / legs.len() as f64)
}

fn frame_signals(
    f: &CleanFrame,
    sole_offset_px: Option<f64>,
    typical_leg: Option<f64>,
) -> Option<FrameSignals> {
    let pose = f.pose.as_ref()?;
    let get = |i: usize| pose[i];
    let hips: Vec<CleanPoint> = [landmark::LEFT_HIP, landmark::RIGHT_HIP]
        .iter()
        .filter_map(|&i| get(i))
        .collect();
    let hip = (!hips.is_empty()).then(|| {
        let n = hips.len() as f64;
        (
            hips.iter().map(|p| p.x).sum::<f64>() / n,
            hips.iter().map(|p| p.y).sum::<f64>() / n,
        )
    });
    let leg_px = leg_length(pose);

    let mut foot_side_y = [None, None];
    // Sole points of both feet; an ankle stands in (shifted to the sole) for a foot whose
    // heel and toe are both hidden.
    let mut soles: Vec<f64> = Vec::new();
    for (slot, &(heel, toe, ankle)) in landmark::FEET.iter().enumerate() {
        let mut points: Vec<f64> = [get(heel), get(toe)]
            .iter()
            .flatten()
            .map(|p| p.y)
            .collect();
        if points.is_empty() {
            let offset = sole_offset_px.or_else(|| leg_px.map(|l| l * ANKLE_TO_SOLE_OVER_LEG));
            if let (Some(a), Some(offset)) = (get(ankle), offset) {
                points.push(a.y + offset);
            }
        }
        foot_side_y[slot] = points.iter().copied().reduce(f64::max);
        soles.extend(points);
    }
    let band = SOLE_BAND_OVER_LEG * leg_px.or(typical_leg).unwrap_or(0.0);
    let foot_low_y = lowest_level(&soles, band);

    let key = [
        landmark::LEFT_HIP,
        landmark::RIGHT_HIP,
        landmark::LEFT_HEEL,
        landmark::RIGHT_HEEL,
        landmark::LEFT_FOOT_INDEX,
        landmark::RIGHT_FOOT_INDEX,
    ];
    let visibility = key
        .iter()
        .map(|&i| get(i).map_or(0.0, |p| p.visibility))
        .sum::<f64>()
        / key.len() as f64;

    Some(FrameSignals {
        frame: f.frame,
        time_s: f.time_s,
        hip,
        foot_low_y,
        foot_side_y,
        leg_px,
        visibility,
        shift: f.shift,
    })
}

/// Mean of the values within `band` of the largest one (image y: the lowest points).
fn lowest_level(values: &[f64], band: f64) -> Option<f64> {
    let max = values.iter().copied().reduce(f64::max)?;
    let near: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v >= max - band)
        .collect();
    Some(near.iter().sum::<f64>() / near.len() as f64)
}

fn distance(a: CleanPoint, b: CleanPoint) -> f64 {
    let (dx, dy) = (a.x - b.x, a.y - b.y);
    (dx * dx + dy * dy).sqrt()
}

/// Median vertical distance from ankle to the lowest of heel/toe, over frames where both
/// are visible; used when only the ankle of a foot is visible.
fn learn_ankle_to_sole(frames: &[CleanFrame]) -> Option<f64> {
    let mut offsets = Vec::new();
    for pose in frames.iter().filter_map(|f| f.pose.as_ref()) {
        for (heel, toe, ankle) in landmark::FEET {
            let Some(a) = pose[ankle] else { continue };
            let sole = [pose[heel], pose[toe]]
                .iter()
                .flatten()
                .map(|p| p.y)
                .fold(f64::NEG_INFINITY, f64::max);
            if sole.is_finite() {
                offsets.push(sole - a.y);
            }
        }
    }
    median(&offsets).filter(|o| *o > 0.0)
}

/// Splits the posed frames into continuous pieces at long holes and at edit cuts.
pub(super) fn split_segments(frames: &[FrameSignals]) -> Vec<std::ops::Range<usize>> {
    let legs: Vec<f64> = frames.iter().filter_map(|f| f.leg_px).collect();
    let typical_leg = median(&legs);
    let mut segments = Vec::new();
    let mut start = 0;
    for i in 1..frames.len() {
        let (a, b) = (&frames[i - 1], &frames[i]);
        let dt = b.time_s - a.time_s;
        let leg = match (a.leg_px, b.leg_px) {
            (Some(x), Some(y)) => 0.5 * (x + y),
            _ => typical_leg.unwrap_or(0.0),
        };
        let jumped = match (a.hip, b.hip) {
            (Some(p), Some(q)) if leg > 0.0 => {
                let (dx, dy) = (p.0 - q.0, p.1 - q.1);
                let d = (dx * dx + dy * dy).sqrt();
                d > CUT_MIN_JUMP_LEG * leg && d > CUT_SPEED_LEG_PER_S * leg * dt
            }
            _ => false,
        };
        let rescaled = match (a.leg_px, b.leg_px) {
            (Some(x), Some(y)) if x > 0.0 && y > 0.0 => x.max(y) / x.min(y) > CUT_SCALE_RATIO,
            _ => false,
        };
        if dt > MAX_GAP_S || jumped || rescaled {
            segments.push(start..i);
            start = i;
        }
    }
    if start < frames.len() {
        segments.push(start..frames.len());
    }
    segments
}

/// One continuous piece of the clip with the derived signals used by every detector.
#[derive(Debug, Clone)]
pub(super) struct Track {
    pub frames: Vec<FrameSignals>,
    pub times: Vec<f64>,
    /// Local body scale: leg length in pixels.
    pub leg_px: Vec<f64>,
    /// Rolling floor estimate (image y).
    pub floor_y: Vec<Option<f64>>,
    /// Lowest foot point above the rolling floor (px, up positive).
    pub foot_h: Vec<Option<f64>>,
    /// Smoothed hip image y and its time derivative (px, px/s).
    pub hip_smooth: Vec<Option<LocalFit>>,
    /// Frame-to-frame noise of the lowest foot point (px, one sigma).
    pub foot_noise_px: f64,
    /// Noise level of the smoothed hip speed while still (px/s).
    pub hip_speed_noise_px_s: f64,
}

impl Track {
    /// Builds the derived signals; `None` when the piece has no usable body scale.
    pub(super) fn new(frames: Vec<FrameSignals>) -> Option<Track> {
        let times: Vec<f64> = frames.iter().map(|f| f.time_s).collect();
        let leg_raw: Vec<Option<f64>> = frames.iter().map(|f| f.leg_px).collect();
        let fallback_leg = median(&leg_raw.iter().flatten().copied().collect::<Vec<_>>())
            .or_else(|| {
                // No knee visible anywhere: fall back on standing hip-to-sole height.
                let heights: Vec<f64> = frames
                    .iter()
                    .filter_map(|f| Some(f.foot_low_y? - f.hip?.1))
                    .collect();
                quantile(&heights, SCALE_QUANTILE).map(|h| h / STANDING_HIP_OVER_LEG)
            })
            .filter(|l| *l > 1.0)?;
        let leg_px: Vec<f64> = rolling_quantile(
            &times,
            &leg_raw,
            SCALE_WINDOW_S,
            SCALE_WINDOW_S,
            SCALE_QUANTILE,
        )
        .into_iter()
        .map(|l| l.unwrap_or(fallback_leg))
        .collect();

        let foot: Vec<Option<f64>> = frames.iter().map(|f| f.foot_low_y).collect();
        let before = rolling_quantile(&times, &foot, FLOOR_WINDOW_S, 0.0, FLOOR_QUANTILE);
        let after = rolling_quantile(&times, &foot, 0.0, FLOOR_WINDOW_S, FLOOR_QUANTILE);
        // Take the higher of the two floors (smaller image y). When the floor drifts on
        // the image (walking towards the camera, slow tilt) one side lags behind; the
        // higher one never makes a standing foot look airborne.
        let floor_y: Vec<Option<f64>> = before
            .iter()
            .zip(&after)
            .map(|(b, a)| match (b, a) {
                (Some(b), Some(a)) => Some(b.min(*a)),
                (b, a) => b.or(*a),
            })
            .collect();
        let foot_h: Vec<Option<f64>> = floor_y
            .iter()
            .zip(&foot)
            .map(|(fl, y)| Some(fl.as_ref()? - y.as_ref()?))
            .collect();

        let hip_y: Vec<Option<f64>> = frames.iter().map(|f| f.hip.map(|h| h.1)).collect();
        let hip_smooth = local_quadratic(&times, &hip_y, SMOOTH_HALF_WINDOW_S);
        let foot_noise_px = foot_noise(&times, &foot);
        let hip_speed_noise_px_s = speed_noise(&times, &hip_smooth);

        Some(Track {
            frames,
            times,
            leg_px,
            floor_y,
            foot_h,
            hip_smooth,
            foot_noise_px,
            hip_speed_noise_px_s,
        })
    }

    pub(super) fn len(&self) -> usize {
        self.frames.len()
    }
}

/// Hip speed noise: RMS smoothed hip speed over sliding windows of `NOISE_WINDOW_S`,
/// taking a low quantile of those windows. Standing still is then measured even in a
/// clip busy with other jumps, without picking one lucky quiet stretch.
fn speed_noise(times: &[f64], hip: &[Option<LocalFit>]) -> f64 {
    let v: Vec<(f64, f64)> = times
        .iter()
        .zip(hip)
        .filter_map(|(&t, h)| Some((t, h.as_ref()?.slope)))
        .collect();
    let mut rms = Vec::new();
    let mut end = 0;
    for start in 0..v.len() {
        while end < v.len() && v[end].0 < v[start].0 + NOISE_WINDOW_S {
            end += 1;
        }
        if end - start >= 5 {
            let sum_sq: f64 = v[start..end].iter().map(|(_, x)| x * x).sum();
            rms.push((sum_sq / (end - start) as f64).sqrt());
        }
    }
    quantile(&rms, NOISE_QUANTILE).unwrap_or(0.0)
}

/// One-sigma noise of the lowest foot point from consecutive differences (robust, so
/// that the few frames of real motion do not count; differences double the variance).
fn foot_noise(times: &[f64], foot: &[Option<f64>]) -> f64 {
    let diffs: Vec<f64> = (1..foot.len())
        .filter(|&i| times[i] - times[i - 1] < 0.1)
        .filter_map(|i| Some(foot[i]? - foot[i - 1]?))
        .collect();
    robust_sigma(&diffs)
        .map(|s| s / std::f64::consts::SQRT_2)
        .unwrap_or(MIN_FOOT_NOISE_PX)
        .max(MIN_FOOT_NOISE_PX)
}
