//! Shared tools of the three event detectors: the view of one jump they work on, and
//! velocity-threshold crossings with sub-frame interpolation.
//!
//! Onsets use the force-plate convention transposed to video: find where the smoothed
//! hip velocity crosses a threshold clearly above its noise, then extrapolate back to
//! zero velocity along the local slope (Owen et al. 2014 back-track 30 ms from a 5 SD
//! threshold for the same reason: a bare threshold fires late, noise-free zero never fires).

use super::flight::Flight;
use super::result::Warning;
use super::trajectory::JumpFrame;

/// Span over which the velocity slope is measured for back-extrapolation (s). Long
/// enough to average noise at 240 fps, short enough to stay on the initial ramp.
const ONSET_SLOPE_SPAN_S: f64 = 0.05;
/// Back-extrapolation never moves an onset earlier than this (s).
const ONSET_BACKTRACK_MAX_S: f64 = 0.15;
/// A still phase tolerates velocity excursions (sway, noise) this long (s).
const STILL_TOLERANCE_S: f64 = 0.1;

/// An event found by a type detector.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DetectedEvent {
    pub name: &'static str,
    pub time_s: f64,
    pub method: &'static str,
}

/// What a type detector found before takeoff.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct TypeEvents {
    pub events: Vec<DetectedEvent>,
    pub warnings: Vec<Warning>,
}

/// Why the movement before a flight is not the requested test.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Mismatch {
    pub reason: String,
    /// The movement was seen and is not this test done properly: no push (a step off a
    /// box, a fall), a pause at the bottom of a countermovement, a dip before a squat
    /// jump's push. Otherwise the detector only failed to recognise it (camera moving,
    /// hips hidden).
    pub breach: bool,
}

impl Mismatch {
    pub(super) fn breach(reason: String) -> Self {
        Mismatch {
            reason,
            breach: true,
        }
    }
}

impl From<String> for Mismatch {
    fn from(reason: String) -> Self {
        Mismatch {
            reason,
            breach: false,
        }
    }
}

impl From<&str> for Mismatch {
    fn from(reason: &str) -> Self {
        reason.to_string().into()
    }
}

/// One flight and the frames around it, in metres.
pub(super) struct JumpContext<'a> {
    pub frames: &'a [JumpFrame],
    pub flight: &'a Flight,
    /// Frames before this index belong to an earlier jump.
    pub window_start: usize,
    /// |velocity| below this is still (m/s).
    pub v_quiet: f64,
    /// |velocity| above this is deliberate movement (m/s).
    pub v_onset: f64,
    /// Estimated standing hip height above the floor (m).
    pub standing_hip_m: f64,
    /// Foot heights up to this are on the floor (m).
    pub contact_m: f64,
}

impl JumpContext<'_> {
    pub(super) fn t(&self, i: usize) -> f64 {
        self.frames[i].time_s
    }

    pub(super) fn v(&self, i: usize) -> Option<f64> {
        self.frames[i].velocity_m_s
    }

    /// First index (≥ window_start) whose time is at or after `t`.
    pub(super) fn index_at_or_after(&self, t: f64) -> usize {
        let i = self.frames.partition_point(|f| f.time_s < t);
        i.max(self.window_start)
    }

    /// Index of the largest (`sign` = 1) or smallest (`sign` = −1) velocity in `lo..=hi`.
    pub(super) fn extreme_velocity(&self, lo: usize, hi: usize, sign: f64) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for i in lo..=hi.min(self.frames.len().saturating_sub(1)) {
            if let Some(v) = self.v(i) {
                let s = sign * v;
                if best.is_none_or(|(_, b)| s > b) {
                    best = Some((i, s));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// Walks back from `from` over frames with a velocity while `holds(v)`; returns the
    /// first index where it fails, or `None` if `lo` is reached first.
    pub(super) fn walk_back(
        &self,
        from: usize,
        lo: usize,
        holds: impl Fn(f64) -> bool,
    ) -> Option<usize> {
        (lo..=from)
            .rev()
            .find(|&i| self.v(i).is_some_and(|v| !holds(v)))
    }

    /// Walks forward from `from` while `holds(v)`; first index where it fails.
    pub(super) fn walk_forward(
        &self,
        from: usize,
        hi: usize,
        holds: impl Fn(f64) -> bool,
    ) -> Option<usize> {
        (from..=hi.min(self.frames.len() - 1)).find(|&i| self.v(i).is_some_and(|v| !holds(v)))
    }

    /// Next index after `i` that has a velocity.
    pub(super) fn next_with_velocity(&self, i: usize) -> Option<usize> {
        (i + 1..self.frames.len()).find(|&j| self.v(j).is_some())
    }

    /// Time at which the velocity crosses `level` between frames `i` and the next frame
    /// with a velocity (linear interpolation).
    pub(super) fn crossing(&self, i: usize, level: f64) -> f64 {
        let Some(j) = self.next_with_velocity(i) else {
            return self.t(i);
        };
        let (v0, v1) = (self.v(i).unwrap_or(level), self.v(j).unwrap_or(level));
        if (v1 - v0).abs() < 1e-12 {
            return 0.5 * (self.t(i) + self.t(j));
        }
        let w = ((level - v0) / (v1 - v0)).clamp(0.0, 1.0);
        self.t(i) + w * (self.t(j) - self.t(i))
    }

    /// Onset of a movement whose velocity crosses `level` (signed: negative for a
    /// downward movement) between frame `i` and the next one, moving away from zero:
    /// the crossing extrapolated back to zero velocity along the local slope, bounded by
    /// the last real zero crossing before it.
    pub(super) fn onset(&self, i: usize, level: f64) -> f64 {
        let t_c = self.crossing(i, level);
        let after = (i + 1..self.frames.len())
            .find(|&j| self.t(j) >= t_c + ONSET_SLOPE_SPAN_S && self.v(j).is_some());
        let slope = after.map(|j| (self.v(j).unwrap_or(level) - level) / (self.t(j) - t_c));
        let mut onset = match slope {
            Some(a) if a * level > 0.0 => t_c - level / a,
            _ => t_c,
        };
        onset = onset.max(t_c - ONSET_BACKTRACK_MAX_S);
        // Not before the velocity last had the opposite sign (or was exactly zero).
        let lo = self.window_start;
        if let Some(k) = self.walk_back(i, lo, |v| v * level > 0.0) {
            onset = onset.max(self.crossing(k, 0.0));
        }
        onset.min(t_c)
    }

    /// Earliest index of a still phase (|v| < v_quiet) that ends at `end`, looking back at
    /// most `max_lookback_s`; short excursions are tolerated. `None` if `end` is moving.
    pub(super) fn still_since(&self, end: usize, max_lookback_s: f64) -> Option<usize> {
        let t_end = self.t(end);
        let mut start: Option<usize> = None;
        for i in (self.window_start..=end).rev() {
            let t = self.t(i);
            if t < t_end - max_lookback_s {
                break;
            }
            let Some(v) = self.v(i) else { continue };
            if v.abs() < self.v_quiet {
                start = Some(i);
            } else {
                let still_from = start.map_or(t_end, |s| self.t(s));
                if still_from - t > STILL_TOLERANCE_S {
                    break;
                }
            }
        }
        start
    }

    /// Smoothed hip height at time `t` (linear between frames).
    pub(super) fn hip_at(&self, t: f64) -> Option<f64> {
        let samples: Vec<(f64, f64)> = self
            .frames
            .iter()
            .filter_map(|f| Some((f.time_s, f.hip_height_m?)))
            .collect();
        super::stats::interpolate(&samples, t)
    }

    /// Mean smoothed hip height over frames with time in `[t0, t1]`.
    pub(super) fn mean_hip(&self, t0: f64, t1: f64) -> Option<f64> {
        let v: Vec<f64> = self
            .frames
            .iter()
            .filter(|f| f.time_s >= t0 && f.time_s <= t1)
            .filter_map(|f| f.hip_height_m)
            .collect();
        super::stats::mean(&v)
    }

    /// Fraction of frames in `[t0, t1]` with a foot whose lowest foot point is on the floor.
    /// Each height is the median of it and its neighbours: the landmark model puts a planted
    /// foot a few centimetres above or below the floor from one frame to the next, and a
    /// one-frame blip must not read as a hop (a real hop lifts the feet for several frames).
    pub(super) fn feet_down_fraction(&self, t0: f64, t1: f64) -> Option<f64> {
        let heights: Vec<f64> = self
            .frames
            .iter()
            .filter(|f| f.time_s >= t0 && f.time_s <= t1)
            .filter_map(|f| f.foot_height_m)
            .collect();
        if heights.is_empty() {
            return None;
        }
        Some(frames_on_floor(&heights, self.contact_m) as f64 / heights.len() as f64)
    }
}

/// Frames whose foot height, as the median of it and its neighbours, is at most `contact_m`.
fn frames_on_floor(heights: &[f64], contact_m: f64) -> usize {
    (0..heights.len())
        .filter(|&i| {
            let mut window = heights[i.saturating_sub(1)..(i + 2).min(heights.len())].to_vec();
            window.sort_by(f64::total_cmp);
            // With two values (at the ends) the lower one: a hop still shows in the middle.
            window[(window.len() - 1) / 2] <= contact_m
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::frames_on_floor;

    #[test]
    fn a_one_frame_blip_is_not_a_hop_but_three_frames_up_are() {
        let blips = [0.0, 0.03, -0.01, 0.0, 0.028, 0.0, -0.02, 0.01];
        assert_eq!(frames_on_floor(&blips, 0.02), blips.len());
        let hop = [0.0, 0.0, 0.05, 0.08, 0.05, 0.0, 0.0];
        assert_eq!(frames_on_floor(&hop, 0.02), 4);
    }
}
