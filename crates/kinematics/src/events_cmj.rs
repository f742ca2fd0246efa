//! Counter-movement jump: quiet standing → countermovement (hips drop) → lowest point →
//! push → takeoff. Events before takeoff come from the smoothed hip velocity, searched
//! backwards from the takeoff so that movement elsewhere in the clip cannot hijack them
//! (the peer's global-minimum search could).

use super::phases::{DetectedEvent, JumpContext, Mismatch, TypeEvents};
use super::result::{event_name, Warning};

/// The push (lowest point → takeoff) lasts about 0.2–0.5 s in adults; the peak upward
/// velocity and the lowest point are searched this far before takeoff.
const MAX_CONCENTRIC_S: f64 = 1.0;
/// The countermovement (start → lowest point) lasts 0.3–0.8 s; searched this far back.
const MAX_ECCENTRIC_S: f64 = 1.5;
/// Any real jump (h ≥ 2 cm) needs ≥ 0.63 m/s at takeoff; hips peaking below this did not push.
const MIN_PEAK_UPWARD_M_S: f64 = 0.5;
/// A countermovement shallower than this is not one (typical depths are 0.2–0.45 m).
const MIN_DEPTH_M: f64 = 0.06;
/// Stopping at the bottom longer than this turns a CMJ into a pause-and-push: the
/// stretch-shortening benefit decays during a pause (Wilson et al. 1991), and 0.25 s is
/// still resolvable at 30 fps (a normal turnaround takes a few tens of ms).
const MAX_BOTTOM_PAUSE_S: f64 = 0.25;
/// A baseline this long is enough to read the standing hip level from video.
const QUIET_MIN_S: f64 = 0.3;
/// How far back quiet standing is looked for.
const QUIET_LOOKBACK_S: f64 = 3.0;
/// Standing before the countermovement may be this much below the athlete's upright hip
/// height (relaxed knees); more means the athlete started from a crouch.
const MAX_STANDING_DEFICIT_M: f64 = 0.10;
/// Feet must be on the floor for this fraction of the countermovement and push.
const MIN_FEET_DOWN_FRACTION: f64 = 0.8;

/// Finds quiet standing, countermovement start and lowest point before the takeoff.
pub(super) fn detect(ctx: &JumpContext) -> Result<TypeEvents, Mismatch> {
    let flight = ctx.flight;
    let a = flight.first_air;
    let takeoff = flight.takeoff_s;
    let last_contact = a.checked_sub(1).ok_or("no frames before takeoff")?;

    let lo = ctx.index_at_or_after(takeoff - MAX_CONCENTRIC_S);
    let k_up = ctx
        .extreme_velocity(lo, last_contact, 1.0)
        .ok_or("hip not visible before takeoff")?;
    let peak_up = ctx.v(k_up).unwrap_or(0.0);
    if peak_up < MIN_PEAK_UPWARD_M_S {
        return Err(Mismatch::breach(format!(
            "no push before takeoff (hips reached only {peak_up:.2} m/s)"
        )));
    }

    let k_low = ctx
        .walk_back(k_up, lo, |v| v > 0.0)
        .ok_or("no lowest point within 1 s before takeoff: the hips rose for the whole second")?;
    let t_low = ctx.crossing(k_low, 0.0);

    let lo_ecc = ctx.index_at_or_after(t_low - MAX_ECCENTRIC_S);
    let k_down = ctx
        .extreme_velocity(lo_ecc, k_low, -1.0)
        .ok_or("hip not visible during the countermovement")?;
    if ctx.v(k_down).unwrap_or(0.0) > -ctx.v_onset {
        return Err(
            "no countermovement: the hips did not move down before the push (a squat jump?)".into(),
        );
    }
    let k_start = ctx
        .walk_back(k_down, lo_ecc, |v| v < -ctx.v_onset)
        .ok_or("the downward movement started more than 1.5 s before the push, or before the clip: not a countermovement")?;
    let t_start = ctx.onset(k_start, -ctx.v_onset);

    // Pause at the bottom: from the end of the downward movement to the start of the push.
    let k_ecc_end = ctx
        .walk_forward(k_down, k_up, |v| v < -ctx.v_onset)
        .unwrap_or(k_low);
    let t_ecc_end = ctx.crossing(k_ecc_end.saturating_sub(1).max(k_down), -ctx.v_onset);
    let k_con = ctx
        .walk_back(k_up, k_low, |v| v > ctx.v_onset)
        .unwrap_or(k_low);
    let t_con = ctx.crossing(k_con, ctx.v_onset);
    let pause = t_con - t_ecc_end;
    if pause > MAX_BOTTOM_PAUSE_S {
        return Err(Mismatch::breach(format!(
            "the athlete paused {pause:.2} s at the bottom before pushing: a squat jump, not a countermovement jump"
        )));
    }

    if let Some(down) = ctx.feet_down_fraction(t_start, takeoff - 0.02) {
        if down < MIN_FEET_DOWN_FRACTION {
            return Err(Mismatch::breach(
                "the feet were off the floor before the push (a drop or a hop into the jump)"
                    .to_string(),
            ));
        }
    }

    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let quiet_start = ctx
        .still_since(k_start, QUIET_LOOKBACK_S)
        .map(|s| ctx.t(s))
        .filter(|&t| t_start - t >= QUIET_MIN_S);
    let standing = match quiet_start {
        Some(t_q) => {
            events.push(DetectedEvent {
                name: event_name::QUIET_STANDING,
                time_s: t_q,
                method: "hip_still_window",
            });
            ctx.mean_hip(t_q, t_start)
        }
        None => {
            warnings.push(Warning::new(
                "no_quiet_standing",
                "no quiet standing before the countermovement: the standing hip level is taken at its start",
            ));
            ctx.hip_at(t_start)
        }
    }
    .ok_or("hip not visible before the countermovement")?;

    if standing < ctx.standing_hip_m - MAX_STANDING_DEFICIT_M {
        return Err(format!(
            "the athlete was crouched {:.0} cm below upright before the countermovement (a squat jump?)",
            (ctx.standing_hip_m - standing) * 100.0
        ).into());
    }
    let lowest = ctx
        .hip_at(t_low)
        .ok_or("hip not visible at the lowest point")?;
    let depth = standing - lowest;
    if depth < MIN_DEPTH_M {
        return Err(format!("the countermovement was only {:.1} cm deep", depth * 100.0).into());
    }

    events.push(DetectedEvent {
        name: event_name::COUNTERMOVEMENT_START,
        time_s: t_start,
        method: "hip_velocity_onset",
    });
    events.push(DetectedEvent {
        name: event_name::LOWEST_POINT,
        time_s: t_low,
        method: "hip_velocity_zero_crossing",
    });
    Ok(TypeEvents { events, warnings })
}
