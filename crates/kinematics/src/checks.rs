//! Checks that a timed flight is a measurable, two-footed, vertical jump filmed by a
//! steady enough camera. Each failure says why in words a coach understands.

use super::flight::{Flight, FLOOR_STANCE_WINDOW_S};
use super::signals::Track;
use super::stats::quantile;

/// Flights shorter than this are hops or glitches (the shortest plausible jump is 80 ms).
const MIN_FLIGHT_S: f64 = 0.06;
/// Horizontal hip travel during the flight beyond this many leg lengths (≈ 0.45 m) is a
/// running or broad jump, for which the flight-time method does not hold.
const MAX_FLIGHT_TRAVEL_LEG: f64 = 0.5;
/// One-foot takeoff: the other foot higher than this (≈ 13 cm) above the floor during
/// most of the last 0.25 s before takeoff.
const ONE_FOOT_CLEARANCE_LEG: f64 = 0.15;
const ONE_FOOT_WINDOW_S: f64 = 0.25;
/// Camera (as measured by camera_shift) moving faster than this many leg lengths per
/// second around the jump: panning too fast to trust translation-only compensation.
const CAMERA_MAX_SPEED_LEG_PER_S: f64 = 1.5;
/// Floor before takeoff and after landing may differ by at most this many leg lengths
/// (≈ 13 cm) once camera shift is removed; more means the view moved. Seen from the front,
/// landing a foot's length closer to the camera already moves the feet ~10 % down the image.
const FLOOR_MISMATCH_MAX_LEG: f64 = 0.15;
/// Apparent leg length may change by at most this ratio across the jump (zoom, walking
/// towards the camera).
const SCALE_CHANGE_MAX_RATIO: f64 = 1.2;
/// Both feet must be visible in at least this fraction of the airborne frames.
const MIN_BOTH_FEET_FRACTION: f64 = 0.3;
/// Window around the flight used by the camera and scale checks.
const CHECK_WINDOW_S: f64 = 1.0;

/// Why a flight cannot be measured as a vertical jump.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rejection {
    FeetHidden(String),
    CameraMoving(String),
    NotBallistic(String),
    NotVertical(String),
}

/// Checks that a timed flight is a measurable, two-footed, vertical jump filmed by a
/// steady enough camera.
pub(super) fn check(track: &Track, flight: &Flight) -> Result<(), Rejection> {
    let (a, b) = (flight.first_air, flight.last_air);
    let t_a = track.times[a];
    let t_b = track.times[b];
    let in_window = |t: f64| t >= t_a - CHECK_WINDOW_S && t <= t_b + CHECK_WINDOW_S * 0.5;
    let leg = flight.leg_px;

    let near: Vec<usize> = (0..track.len())
        .filter(|&i| {
            track.times[i] >= t_a - FLOOR_STANCE_WINDOW_S
                && track.times[i] <= t_b + FLOOR_STANCE_WINDOW_S
        })
        .collect();
    let with_feet = near
        .iter()
        .filter(|&&i| track.frames[i].foot_low_y.is_some())
        .count();
    if (with_feet as f64) < 0.6 * near.len() as f64 {
        return Err(Rejection::FeetHidden(format!(
            "feet not visible around the jump (seen in {} of {} frames)",
            with_feet,
            near.len()
        )));
    }

    // With one foot hidden, the visible one may be a walker's swinging foot while the
    // other stands on the floor: both feet must be seen in the air at least some of the time.
    let airborne: Vec<usize> = (a..=b)
        .filter(|&i| track.frames[i].foot_low_y.is_some())
        .collect();
    let both_seen = airborne
        .iter()
        .filter(|&&i| matches!(track.frames[i].foot_side_y, [Some(_), Some(_)]))
        .count();
    if both_seen == 0 || (both_seen as f64) < MIN_BOTH_FEET_FRACTION * airborne.len() as f64 {
        return Err(Rejection::FeetHidden(format!(
            "only one foot was visible during the flight ({both_seen} of {} frames show both), so the other may have stayed on the floor",
            airborne.len()
        )));
    }

    // Camera motion as reported by the stabiliser (already compensated, but a fast pan
    // comes with blur, zoom and rolling shutter that translation cannot undo).
    let shifts: Vec<(f64, (f64, f64))> = (0..track.len())
        .filter(|&i| in_window(track.times[i]))
        .filter_map(|i| Some((track.times[i], track.frames[i].shift?)))
        .collect();
    if let Some(speed) = max_speed(&shifts) {
        if speed > CAMERA_MAX_SPEED_LEG_PER_S * leg {
            return Err(Rejection::CameraMoving(format!(
                "camera moving too much: panning at {:.1} leg lengths per second around the jump",
                speed / leg
            )));
        }
    }
    let mismatch = (flight.floor.y1 - flight.floor.y0).abs();
    if mismatch > FLOOR_MISMATCH_MAX_LEG * leg {
        return Err(Rejection::CameraMoving(format!(
            "camera moving too much: the floor under the feet moved by {:.0} % of leg length between takeoff and landing",
            100.0 * mismatch / leg
        )));
    }
    let legs_before: Vec<f64> = (0..a)
        .filter(|&i| track.times[i] >= t_a - CHECK_WINDOW_S)
        .filter_map(|i| track.frames[i].leg_px)
        .collect();
    let legs_after: Vec<f64> = (b + 1..track.len())
        .filter(|&i| track.times[i] <= t_b + CHECK_WINDOW_S)
        .filter_map(|i| track.frames[i].leg_px)
        .collect();
    if let (Some(l0), Some(l1)) = (quantile(&legs_before, 0.8), quantile(&legs_after, 0.8)) {
        let ratio = l0.max(l1) / l0.min(l1).max(1e-9);
        if ratio > SCALE_CHANGE_MAX_RATIO {
            return Err(Rejection::CameraMoving(format!(
                "camera moving too much: the athlete's size changed by {:.0} % across the jump (zoom or walking towards the camera)",
                (ratio - 1.0) * 100.0
            )));
        }
    }

    if let Some(reason) = &flight.arc_implausible {
        return Err(Rejection::NotBallistic(reason.clone()));
    }
    if flight.arc.is_none() {
        return Err(Rejection::NotBallistic(
            "too few hip positions during the flight to follow its arc".to_string(),
        ));
    }
    if flight.flight_s() < MIN_FLIGHT_S {
        return Err(Rejection::NotBallistic(format!(
            "the feet left the floor for only {:.0} ms: a hop or a tracking glitch",
            flight.flight_s() * 1000.0
        )));
    }

    let hip_x = |i: usize| track.frames[i].hip.map(|h| h.0);
    let first_x = (a..=b).find_map(hip_x);
    let last_x = (a..=b).rev().find_map(hip_x);
    if let (Some(x0), Some(x1)) = (first_x, last_x) {
        let travel = (x1 - x0).abs();
        if travel > MAX_FLIGHT_TRAVEL_LEG * leg {
            return Err(Rejection::NotVertical(format!(
                "the athlete travelled about {:.2} m horizontally in the air: a running or broad jump, not a vertical jump",
                travel / flight.px_per_m
            )));
        }
    }

    let takeoff = flight.takeoff_s;
    let mut both = 0;
    let mut one_foot = 0;
    for i in 0..a {
        let t = track.times[i];
        if t < takeoff - ONE_FOOT_WINDOW_S || t > takeoff - 0.04 {
            continue;
        }
        if let [Some(l), Some(r)] = track.frames[i].foot_side_y {
            both += 1;
            let upper_clearance = flight.floor.at(t) - l.min(r);
            if upper_clearance > ONE_FOOT_CLEARANCE_LEG * leg {
                one_foot += 1;
            }
        }
    }
    if both >= 3 && one_foot * 2 > both {
        return Err(Rejection::NotVertical(
            "the athlete took off from one foot: a running jump, not a two-footed vertical jump"
                .to_string(),
        ));
    }
    Ok(())
}

/// Largest speed (px/s) of a 2-D signal, from differences over at least 0.1 s so that a
/// single jittery shift measurement does not count as a pan.
fn max_speed(samples: &[(f64, (f64, f64))]) -> Option<f64> {
    let mut best: Option<f64> = None;
    let mut j = 0;
    for i in 0..samples.len() {
        while j < samples.len() && samples[j].0 < samples[i].0 + 0.1 {
            j += 1;
        }
        if j == samples.len() {
            break;
        }
        let (t0, (x0, y0)) = samples[i];
        let (t1, (x1, y1)) = samples[j];
        let (dx, dy) = (x1 - x0, y1 - y0);
        let speed = (dx * dx + dy * dy).sqrt() / (t1 - t0);
        best = Some(best.map_or(speed, |b: f64| b.max(speed)));
    }
    best
}
