//! Which frames get the pose model.
//!
//! The landmark model costs ~30 ms a frame, and most of a clip is standing still, walking
//! in or a replay at rest. A scout pass poses one frame every [`SCOUT_STRIDE_S`]; wherever
//! the athlete moved between two scout samples, every frame within [`DENSE_MARGIN_S`] of
//! that movement is posed as well, so the countermovement, flight and landing are sampled
//! at the full frame rate while quiet stretches keep a coarse, still continuous, series.
//! The stride stays below the kinematics' largest tolerated hole (0.25 s) even at 15 fps.

/// Time between scout samples.
pub const SCOUT_STRIDE_S: f64 = 0.15;
/// Frames this close to detected movement are posed densely.
pub const DENSE_MARGIN_S: f64 = 0.35;
/// Hip displacement between two scout samples, in leg lengths, that counts as movement
/// (quiet standing sways ~0.01; a countermovement moves ~0.15 per stride).
const MOVEMENT_LEGS: f64 = 0.035;

/// What the scout saw of the athlete in one frame (camera motion removed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyFix {
    pub hip_x: f64,
    pub hip_y: f64,
    /// Hip-to-ankle distance in pixels: the body's own yardstick.
    pub leg_px: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoutSample {
    pub time_s: f64,
    pub body: Option<BodyFix>,
}

/// Decides, from the scout samples seen so far, which frames must be posed densely.
#[derive(Debug, Default)]
pub struct Schedule {
    samples: Vec<ScoutSample>,
    /// Times of movement, merged and widened by the margin, in order.
    dense: Vec<(f64, f64)>,
    next_scout_s: Option<f64>,
}

impl Schedule {
    /// Whether the frame at `time_s` is a scout frame; frames must be offered in order.
    pub fn take_scout(&mut self, time_s: f64) -> bool {
        match self.next_scout_s {
            Some(next) if time_s < next => false,
            _ => {
                self.next_scout_s = Some(time_s + SCOUT_STRIDE_S);
                true
            }
        }
    }

    /// Records a scout result; samples must arrive in time order.
    pub fn record(&mut self, sample: ScoutSample) {
        if let Some(prev) = self.samples.last().copied() {
            if moved(&prev, &sample) {
                self.mark(prev.time_s - DENSE_MARGIN_S, sample.time_s + DENSE_MARGIN_S);
            }
        }
        self.samples.push(sample);
    }

    /// Frames up to this time are decided: no later scout sample can still mark them.
    pub fn settled_until(&self) -> f64 {
        self.samples
            .last()
            .map_or(f64::NEG_INFINITY, |s| s.time_s - DENSE_MARGIN_S)
    }

    pub fn needs_dense(&self, time_s: f64) -> bool {
        // Intervals are few (one or two per jump), a linear scan is fine.
        self.dense.iter().any(|&(a, b)| a <= time_s && time_s <= b)
    }

    fn mark(&mut self, from: f64, to: f64) {
        match self.dense.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => self.dense.push((from, to)),
        }
    }
}

/// Movement between two scout samples: the hips travelled, or the athlete appeared or
/// vanished (tracking lost in a blurred flight must not leave the jump sparse).
fn moved(a: &ScoutSample, b: &ScoutSample) -> bool {
    match (a.body, b.body) {
        (Some(p), Some(q)) => {
            let leg = p.leg_px.max(q.leg_px).max(1.0);
            let d = (q.hip_x - p.hip_x).hypot(q.hip_y - p.hip_y);
            d / leg > MOVEMENT_LEGS
        }
        (None, None) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(y: f64) -> Option<BodyFix> {
        Some(BodyFix {
            hip_x: 100.0,
            hip_y: y,
            leg_px: 200.0,
        })
    }

    fn scout(schedule: &mut Schedule, t: f64, b: Option<BodyFix>) {
        schedule.record(ScoutSample { time_s: t, body: b });
    }

    #[test]
    fn scout_frames_follow_the_stride_on_timestamps() {
        let mut s = Schedule::default();
        let picked: Vec<u32> = (0..30u32)
            .filter(|&i| s.take_scout(f64::from(i) / 30.0))
            .collect();
        assert_eq!(picked, [0, 5, 10, 15, 20, 25]);
    }

    #[test]
    fn quiet_standing_stays_sparse_and_movement_goes_dense() {
        let mut s = Schedule::default();
        for i in 0..10 {
            let t = f64::from(i) * 0.15;
            // Still until 0.85 s, then the hips drop 30 px per stride.
            let y = if t < 0.85 {
                300.0
            } else {
                300.0 + (t - 0.75) * 200.0
            };
            scout(&mut s, t, body(y));
        }
        assert!(!s.needs_dense(0.2));
        assert!(s.needs_dense(0.5), "margin before the movement");
        assert!(s.needs_dense(1.2));
        assert!((s.settled_until() - (1.35 - DENSE_MARGIN_S)).abs() < 1e-9);
    }

    #[test]
    fn losing_the_athlete_counts_as_movement() {
        let mut s = Schedule::default();
        scout(&mut s, 0.0, body(300.0));
        scout(&mut s, 0.15, None);
        scout(&mut s, 0.30, None);
        assert!(s.needs_dense(0.1));
        assert!(!s.needs_dense(0.9));
    }
}
