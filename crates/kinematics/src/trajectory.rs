//! Converts a track into metres using one jump's scale and floor line: the per-frame
//! series the event detectors read, and the rounded series the result carries (from
//! which metrics are computed, so the browser can recompute them identically).

use super::flight::Flight;
use super::result::{round_to, TrajectoryPoint};
use super::signals::Track;

/// Every frame from this long before takeoff to `FULL_RATE_AFTER_S` after landing is kept
/// in the result: metrics and hand corrections read them (a countermovement or a drop
/// takes well under 1.5 s).
const FULL_RATE_BEFORE_S: f64 = 1.5;
const FULL_RATE_AFTER_S: f64 = 0.5;
/// Upper bound on the number of thinned points outside the full-rate window.
const MAX_THINNED_POINTS: usize = 300;

/// One frame in metres, up positive, relative to the floor line of the jump.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct JumpFrame {
    pub frame: u32,
    pub time_s: f64,
    /// Smoothed hip height above the floor.
    pub hip_height_m: Option<f64>,
    /// Unsmoothed hip height (for arc fits, which must see the raw samples).
    pub hip_raw_m: Option<f64>,
    /// Smoothed vertical hip velocity (up positive).
    pub velocity_m_s: Option<f64>,
    /// Lowest foot point above the floor.
    pub foot_height_m: Option<f64>,
    /// The higher of the two feet's lowest points above the floor (last foot on a box).
    pub upper_foot_height_m: Option<f64>,
}

/// Per-frame series of the whole track in the metric frame of `flight`.
pub(super) fn jump_frames(track: &Track, flight: &Flight) -> Vec<JumpFrame> {
    let ppm = flight.px_per_m;
    (0..track.len())
        .map(|i| {
            let f = &track.frames[i];
            let t = track.times[i];
            let floor = flight.floor.at(t);
            let smooth = track.hip_smooth[i];
            let upper = match f.foot_side_y {
                [Some(l), Some(r)] => Some(l.min(r)),
                [one, other] => one.or(other),
            };
            JumpFrame {
                frame: f.frame,
                time_s: t,
                hip_height_m: smooth.map(|s| (floor - s.value) / ppm),
                hip_raw_m: f.hip.map(|h| (floor - h.1) / ppm),
                velocity_m_s: smooth.map(|s| -s.slope / ppm),
                foot_height_m: f.foot_low_y.map(|y| (floor - y) / ppm),
                upper_foot_height_m: upper.map(|y| (floor - y) / ppm),
            }
        })
        .collect()
}

/// Rounded series of every frame of the track (rounded so the JSON is stable).
pub(super) fn points(frames: &[JumpFrame]) -> Vec<TrajectoryPoint> {
    frames
        .iter()
        .filter(|f| f.hip_height_m.is_some() || f.foot_height_m.is_some())
        .map(|f| TrajectoryPoint {
            frame: f.frame,
            time_s: round_to(f.time_s, 4),
            hip_height_m: f.hip_height_m.map(|v| round_to(v, 4)),
            foot_height_m: f.foot_height_m.map(|v| round_to(v, 4)),
            velocity_m_s: f.velocity_m_s.map(|v| round_to(v, 3)),
        })
        .collect()
}

/// Keeps every point from `FULL_RATE_BEFORE_S` before takeoff to `FULL_RATE_AFTER_S`
/// after landing, and a regular subset of the rest (for charts of long clips).
pub(super) fn thin(
    points: &[TrajectoryPoint],
    takeoff_s: f64,
    landing_s: f64,
) -> Vec<TrajectoryPoint> {
    let lo = takeoff_s - FULL_RATE_BEFORE_S;
    let hi = landing_s + FULL_RATE_AFTER_S;
    let outside = points
        .iter()
        .filter(|p| p.time_s < lo || p.time_s > hi)
        .count();
    let stride = outside.div_ceil(MAX_THINNED_POINTS).max(1);
    let mut seen_outside = 0usize;
    points
        .iter()
        .filter(|p| {
            if p.time_s >= lo && p.time_s <= hi {
                return true;
            }
            seen_outside += 1;
            (seen_outside - 1).is_multiple_of(stride)
        })
        .cloned()
        .collect()
}
