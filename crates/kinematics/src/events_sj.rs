//! Squat jump: held squat → push without countermovement → takeoff. Real athletes often
//! dip a little before pushing; a small dip is reported as a warning, a large one means
//! the jump was really a countermovement jump from a squat.

use super::phases::{DetectedEvent, JumpContext, Mismatch, TypeEvents};
use super::result::{event_name, Warning};

/// The push is searched for this far before takeoff.
const MAX_PUSH_S: f64 = 1.0;
/// Any real jump needs ≥ 0.63 m/s at takeoff.
const MIN_PEAK_UPWARD_M_S: f64 = 0.5;
/// A dip before the push is looked for this far before the push starts.
const DIP_LOOKBACK_S: f64 = 0.6;
/// The squat must be held still at least this long; protocols ask for 2–3 s, and 0.5 s
/// is the least that clearly separates a hold from a CMJ turnaround.
const MIN_HOLD_S: f64 = 0.5;
/// How far back the hold is followed.
const HOLD_LOOKBACK_S: f64 = 5.0;
/// The held position must be at least this far below upright standing.
const MIN_SQUAT_DEPTH_M: f64 = 0.10;
/// A dip deeper than this before the push is worth a warning (it adds a stretch-shortening
/// contribution the squat jump is meant to exclude).
const DIP_WARN_M: f64 = 0.03;
/// A dip deeper than this is a countermovement.
const DIP_MAX_M: f64 = 0.10;
/// Feet must be on the floor for this fraction of the hold and push.
const MIN_FEET_DOWN_FRACTION: f64 = 0.8;

/// Finds the squat hold and the start of the push before the takeoff.
pub(super) fn detect(ctx: &JumpContext) -> Result<TypeEvents, Mismatch> {
    let flight = ctx.flight;
    let takeoff = flight.takeoff_s;
    let last_contact = flight
        .first_air
        .checked_sub(1)
        .ok_or("no frames before takeoff")?;

    let lo = ctx.index_at_or_after(takeoff - MAX_PUSH_S);
    let k_up = ctx
        .extreme_velocity(lo, last_contact, 1.0)
        .ok_or("hip not visible before takeoff")?;
    let peak_up = ctx.v(k_up).unwrap_or(0.0);
    if peak_up < MIN_PEAK_UPWARD_M_S {
        return Err(Mismatch::breach(format!(
            "no push before takeoff (hips reached only {peak_up:.2} m/s)"
        )));
    }
    let k_push = ctx
        .walk_back(k_up, lo, |v| v > ctx.v_onset)
        .ok_or("the start of the push is not within 1 s before takeoff")?;
    let t_push = ctx.onset(k_push, ctx.v_onset);

    // A dip (downward movement) just before the push ends the hold earlier.
    let lo_dip = ctx.index_at_or_after(t_push - DIP_LOOKBACK_S);
    let k_dip = ctx.extreme_velocity(lo_dip, k_push, -1.0);
    let (hold_end_idx, t_hold_end) = match k_dip.filter(|&k| ctx.v(k).unwrap_or(0.0) < -ctx.v_onset)
    {
        Some(k) => {
            let k_start = ctx
                .walk_back(k, ctx.window_start, |v| v < -ctx.v_onset)
                .ok_or("the clip starts during a downward movement")?;
            (k_start, ctx.onset(k_start, -ctx.v_onset))
        }
        None => (k_push, t_push),
    };

    let hold_start = ctx
        .still_since(hold_end_idx, HOLD_LOOKBACK_S)
        .map(|s| ctx.t(s))
        .filter(|&t| t <= t_hold_end);
    let held = hold_start.map_or(0.0, |t| t_hold_end - t);
    if held < MIN_HOLD_S {
        return Err(format!(
            "no held squat before the push (still for {held:.2} s, need {MIN_HOLD_S:.1} s)"
        )
        .into());
    }
    let t_hold = hold_start.unwrap_or(t_hold_end);
    let hold_level = ctx
        .mean_hip(t_hold, t_hold_end)
        .ok_or("hip not visible during the squat")?;
    let squat_depth = ctx.standing_hip_m - hold_level;
    if squat_depth < MIN_SQUAT_DEPTH_M {
        return Err(format!(
            "the athlete was standing, not squatting, before the push (hips {:.0} cm below upright)",
            squat_depth.max(0.0) * 100.0
        ).into());
    }

    let bottom = ctx.hip_at(t_push).unwrap_or(hold_level);
    let dip = hold_level - bottom;
    let mut warnings = Vec::new();
    if dip > DIP_MAX_M {
        return Err(Mismatch::breach(format!(
            "a {:.0} cm countermovement before the push: a countermovement jump from a squat",
            dip * 100.0
        )));
    }
    if dip > DIP_WARN_M {
        warnings.push(Warning::new(
            "countermovement_before_push",
            format!(
                "the hips dipped {:.1} cm before the push; a strict squat jump has no dip",
                dip * 100.0
            ),
        ));
    }
    if let Some(down) = ctx.feet_down_fraction(t_hold, takeoff - 0.02) {
        if down < MIN_FEET_DOWN_FRACTION {
            return Err(Mismatch::breach(
                "the feet were off the floor during the squat".to_string(),
            ));
        }
    }

    Ok(TypeEvents {
        events: vec![
            DetectedEvent {
                name: event_name::SQUAT_HOLD,
                time_s: t_hold,
                method: "hip_still_window",
            },
            DetectedEvent {
                name: event_name::CONCENTRIC_START,
                time_s: t_push,
                method: "hip_velocity_onset",
            },
        ],
        warnings,
    })
}
