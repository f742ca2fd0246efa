//! Drop jump: standing on a box → leaving it → falling → first contact with the floor →
//! rebound takeoff. The contact time (first contact → takeoff) is the key measure, so
//! first contact is timed like takeoff and landing: the last airborne foot clearance
//! projected along the hips' free-fall arc of the drop.

use super::ballistic::{fit_known_curvature, Branch, Parabola, G};
use super::flight::{fit_edge, EDGE_SEARCH_MARGIN_S};
use super::phases::{DetectedEvent, JumpContext, Mismatch, TypeEvents};
use super::result::event_name;

/// Longest plausible ground contact, as in the warning bounds: fast stretch-shortening
/// rebounds stay under 0.25 s (Schmidtbleicher 1992), slow novices approach 1 s.
const MAX_CONTACT_S: f64 = 1.5;
/// Boxes for drop jumps are 0.2–0.6 m; below 0.1 m it is a step, not a drop.
const MIN_BOX_HEIGHT_M: f64 = 0.10;
/// The athlete must stand on the box at least this long (a flight apex is never still this long).
const MIN_BOX_STANCE_S: f64 = 0.3;
/// The frames seen must span this fraction of the stance (dropped frames leave holes).
const MIN_BOX_COVERAGE: f64 = 0.7;
/// Box stance: this fraction of its frames within ±3 cm of its median height.
const BOX_LEVEL_TOLERANCE_M: f64 = 0.03;
const MIN_STEADY_FRACTION: f64 = 0.8;
/// A foot moving slower than this (m/s) is standing still.
const STILL_FOOT_M_S: f64 = 0.3;
/// Foot speed is measured over at least this span, so that pixel noise at 240 fps is
/// not mistaken for movement (a falling foot covers 5 cm in its first 0.1 s).
const FOOT_SPEED_SPAN_S: f64 = 0.1;
/// From leaving the box to touching the floor: free fall from 0.6 m takes 0.35 s, a
/// stepping-off adds some; more is not a drop.
const MAX_DROP_S: f64 = 1.0;

/// Finds leaving the box and first contact before the rebound takeoff.
pub(super) fn detect(ctx: &JumpContext) -> Result<TypeEvents, Mismatch> {
    let f = ctx.frames;
    let flight = ctx.flight;
    let takeoff = flight.takeoff_s;
    let a = flight.first_air;
    let on_floor = |i: usize| f[i].foot_height_m.map(|h| h <= ctx.contact_m);

    // Ground contact: walk back from the last contact frame while the foot is down.
    let mut first_contact = None;
    for i in (ctx.window_start..a).rev() {
        match on_floor(i) {
            Some(true) => first_contact = Some(i),
            Some(false) => break,
            None => {}
        }
        if takeoff - f[i].time_s > MAX_CONTACT_S {
            return Err(Mismatch::breach(format!(
                "the athlete stood on the floor for more than {MAX_CONTACT_S:.1} s before takeoff: no drop before the jump"
            )));
        }
    }
    let c = first_contact.ok_or("no ground contact before the takeoff")?;
    let d = (ctx.window_start..c)
        .rev()
        .find(|&i| on_floor(i) == Some(false))
        .ok_or("no drop onto the floor before the jump")?;

    // Box stance: going back from the drop, skip the falling frames until the feet stand
    // still; the stance before that must stay at one height above the floor for a while.
    let upper = |i: usize| f[i].upper_foot_height_m.or(f[i].foot_height_m);
    let still = |i: usize| -> Option<bool> {
        let j = (ctx.window_start..i)
            .rev()
            .find(|&j| upper(j).is_some() && f[i].time_s - f[j].time_s >= FOOT_SPEED_SPAN_S)?;
        let v = (upper(i)? - upper(j)?) / (f[i].time_s - f[j].time_s);
        Some(v.abs() < STILL_FOOT_M_S && upper(i)? > MIN_BOX_HEIGHT_M * 0.5)
    };
    let no_box = || {
        format!(
            "no box: the feet were not standing on a surface at least {:.0} cm high before the drop",
            MIN_BOX_HEIGHT_M * 100.0
        )
    };
    let e = (ctx.window_start..=d)
        .rev()
        .take_while(|&i| f[d].time_s - f[i].time_s <= MAX_DROP_S)
        .find(|&i| still(i) == Some(true))
        .ok_or_else(no_box)?;
    let stance: Vec<usize> = (ctx.window_start..=e)
        .rev()
        .take_while(|&i| f[e].time_s - f[i].time_s <= MIN_BOX_STANCE_S)
        .collect();
    let covered = stance.last().map_or(0.0, |&s| f[e].time_s - f[s].time_s);
    let levels: Vec<f64> = stance.iter().filter_map(|&i| upper(i)).collect();
    let box_level = super::stats::median(&levels).unwrap_or(0.0);
    let steady = levels
        .iter()
        .filter(|h| (*h - box_level).abs() <= BOX_LEVEL_TOLERANCE_M)
        .count();
    if box_level < MIN_BOX_HEIGHT_M
        || covered < MIN_BOX_COVERAGE * MIN_BOX_STANCE_S
        || (steady as f64) < MIN_STEADY_FRACTION * levels.len() as f64
    {
        return Err(no_box().into());
    }

    // Drop arc from the frames strictly between leaving the box and touching the floor.
    // In "depth" coordinates (−height) the arc opens upwards with curvature g/2.
    let points: Vec<(f64, f64)> = (e + 1..c)
        .filter_map(|i| Some((f[i].time_s, -f[i].hip_raw_m?)))
        .collect();
    let arc = fit_known_curvature(&points, 0.5 * G).map(|fit| fit.parabola);

    // First contact is timed like a landing: the foot clearances around it fitted with the
    // drop arc (see `flight::fit_edge`).
    let t_c = f[c].time_s;
    let t_d = f[d].time_s;
    let clearances: Vec<(f64, f64)> = (ctx.window_start..a)
        .filter_map(|i| Some((f[i].time_s, f[i].foot_height_m?)))
        .collect();
    let after = f.get(c + 1).map_or(t_c, |n| n.time_s);
    let contact = arc
        .and_then(|p| {
            fit_edge(
                &p,
                &clearances,
                (t_d, t_c),
                (t_d, after.max(t_c + EDGE_SEARCH_MARGIN_S)),
            )
        })
        .map(|t| (t, "foot_clearance_fit+drop_arc"))
        .unwrap_or((0.5 * (t_d + t_c), "frame_midpoint"));

    let first_drop = e + 1;
    // The speed test lags the true departure by up to one span.
    let t_e = f[e].time_s - FOOT_SPEED_SPAN_S;
    let t_f = f[first_drop].time_s;
    let leave = arc
        .and_then(|p| {
            let descended = (box_level - upper(first_drop)?).max(0.0);
            time_before(&p, p.eval(t_f) - descended, t_e, t_f)
        })
        .map(|t| (t, "foot_below_box+drop_arc"))
        .unwrap_or((0.5 * (f[e].time_s + t_f), "frame_midpoint"));

    if leave.0 >= contact.0 {
        return Err("could not separate leaving the box from touching the floor".into());
    }
    Ok(TypeEvents {
        events: vec![
            DetectedEvent {
                name: event_name::BOX_LEAVE,
                time_s: leave.0,
                method: leave.1,
            },
            DetectedEvent {
                name: event_name::FIRST_CONTACT,
                time_s: contact.0,
                method: contact.1,
            },
        ],
        warnings: Vec::new(),
    })
}

/// The instant in `[lo, hi]` at which the arc was at `y`, nearest to `hi` (a step off the
/// box can start with a small rise, so either branch may hold it).
fn time_before(p: &Parabola, y: f64, lo: f64, hi: f64) -> Option<f64> {
    let on_arc = [Branch::Rising, Branch::Falling]
        .iter()
        .filter_map(|&b| p.time_at(y, b))
        .filter(|t| *t <= hi)
        .map(|t| t.max(lo))
        .max_by(f64::total_cmp);
    // A target a hair above the apex (noise) means the feet left at the apex.
    on_arc.or_else(|| p.apex_time().map(|t| t.clamp(lo, hi)))
}
