//! Times one flight phase to a fraction of a frame and measures the pixel→metre scale,
//! combining the feet (when they leave and reach the floor) with the ballistic arc of
//! the hips (how they move in between).

use super::ballistic::{fit_free, fit_known_curvature, ArcFit, Parabola, G};
use super::segment::thresholds;
use super::series::PoseSource;
use super::signals::{Track, ASSUMED_LEG_LENGTH_M, LEG_FRACTION_OF_STATURE};
use super::stats::{median, quantile};

/// Stance frames within this time before takeoff / after landing give the floor level.
pub(super) const FLOOR_STANCE_WINDOW_S: f64 = 0.3;
/// The floor line may be extrapolated this far beyond its two anchors, then held flat:
/// far enough to follow a slow tilt through the countermovement, not so far that the
/// noise in its slope (two medians 0.75 s apart) moves the quiet-standing baseline.
const FLOOR_EXTRAPOLATION_S: f64 = 0.5;

/// Frames within this time of the edge inform the sub-frame edge fit. Short, because the
/// feet start to tuck relative to the hips soon after takeoff: with a 4 cm mid-flight
/// tuck in synthetic tests (one-pass fit, 30 fps), 0.035 s gave a 2.4 ms mean
/// flight-time bias against 3.4 ms for 0.05 s and 5.2 ms for 0.07 s, at equal scatter.
const EDGE_WINDOW_S: f64 = 0.035;
/// The edge search extends at least this far beyond the bracketing frames (s).
pub(super) const EDGE_SEARCH_MARGIN_S: f64 = 0.025;
/// Resolution of the edge search (s); the result is reported to 0.1 ms.
const EDGE_SEARCH_STEP_S: f64 = 0.0001;

/// BlazePose only: foot clearance (in leg lengths, ≈ 6 cm) that marks the feet as really
/// off the floor. Its heel and toe points rise by 2–4 cm while the ankle plantarflexes,
/// before the toe tips leave the floor (and the mirror image at landing), and the sub-frame
/// edge fit below, exact on ideal feet, then times flights 1–2 frames long. Calibrated on
/// the six hand-labelled clips with the frame midpoint (LiteRT's landmarks): every value
/// from 0.066 to 0.076 keeps the largest height error at 4.5 cm (0.05–0.064: 9.2 cm, one
/// clip's takeoff a frame early; 0.078 and up: 6.0 cm, another's landing a frame early);
/// this is the middle of that range.
const BLAZEPOSE_DEPARTURE_LEG: f64 = 0.07;

/// A free-curvature arc needs this many hip samples; with fewer the curvature is imposed
/// from body proportions (a 0.2 s flight at 30 fps has only ~6 airborne frames).
const MIN_FREE_FIT_POINTS: usize = 6;
/// With at least this many samples a free arc that disagrees with the body scale means
/// the body did not fly freely (camera motion, tracking error), not a noisy fit.
const TRUSTED_FIT_POINTS: usize = 9;
/// Accepted ratio between the arc's scale and body proportions. Leg length in pixels
/// varies ±15 % with stature and view angle; beyond these limits something else moved.
const SCALE_RATIO_MIN: f64 = 0.6;
const SCALE_RATIO_MAX: f64 = 1.7;
/// Arc residual (in leg lengths) above which the hips were not flying freely.
const MAX_ARC_RMS_LEG: f64 = 0.04;

/// Linear floor line through the stance before takeoff and after landing (compensates a
/// slow tilt that camera_shift did not report).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct FloorLine {
    pub t0: f64,
    pub y0: f64,
    pub t1: f64,
    pub y1: f64,
}

impl FloorLine {
    pub(super) fn at(&self, t: f64) -> f64 {
        if self.t1 <= self.t0 {
            return 0.5 * (self.y0 + self.y1);
        }
        let t = t.clamp(
            self.t0 - FLOOR_EXTRAPOLATION_S,
            self.t1 + FLOOR_EXTRAPOLATION_S,
        );
        self.y0 + (self.y1 - self.y0) * (t - self.t0) / (self.t1 - self.t0)
    }
}

/// Where the pixel→metre scale came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScaleSource {
    /// Curvature of the flight arc (a = g·px_per_m / 2).
    FlightArc,
    /// Leg length in pixels and average (or given) body proportions.
    BodyProportions,
}

/// One flight phase, timed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Flight {
    /// Indices (into the track) of the first and last airborne frames.
    pub first_air: usize,
    pub last_air: usize,
    pub takeoff_s: f64,
    pub landing_s: f64,
    pub takeoff_method: &'static str,
    pub landing_method: &'static str,
    pub apex_s: Option<f64>,
    pub arc: Option<ArcFit>,
    /// The arc's scale failed a sanity check although it had enough points.
    pub arc_implausible: Option<String>,
    pub px_per_m: f64,
    pub scale_source: ScaleSource,
    pub body_px_per_m: f64,
    pub leg_px: f64,
    pub floor: FloorLine,
    /// Leave-airborne foot height (px): below it a foot is on the floor.
    pub off_px: f64,
    /// Highest foot clearance during the flight (px); ranks candidates.
    pub max_clearance_px: f64,
}

impl Flight {
    pub(super) fn flight_s(&self) -> f64 {
        self.landing_s - self.takeoff_s
    }
}

/// Floor under the athlete as a line through the stance just before takeoff and just
/// after landing. Stance frames are first picked by the rolling floor, then re-picked
/// against the resulting line (a rolling floor can be biased when a hand-held camera
/// tilts back and forth within its window).
fn floor_line(track: &Track, run: (usize, usize), off: f64) -> FloorLine {
    let (a, b) = run;
    let t_a = track.times[a];
    let t_b = track.times[b];
    let before: Vec<usize> = (0..a)
        .rev()
        .take_while(|&i| track.times[i] >= t_a - FLOOR_STANCE_WINDOW_S)
        .collect();
    let after: Vec<usize> = (b + 1..track.len())
        .take_while(|&i| track.times[i] <= t_b + FLOOR_STANCE_WINDOW_S)
        .collect();
    let side = |frames: &[usize], stance: &dyn Fn(usize) -> bool, edge: usize| -> (f64, f64) {
        let (mut ts, mut ys) = (Vec::new(), Vec::new());
        for &i in frames {
            if let Some(y) = track.frames[i].foot_low_y {
                if stance(i) {
                    ts.push(track.times[i]);
                    ys.push(y);
                }
            }
        }
        match (median(&ts), median(&ys)) {
            (Some(t), Some(y)) => (t, y),
            _ => (track.times[edge], track.floor_y[edge].unwrap_or(0.0)),
        }
    };
    let by_rolling = |i: usize| track.foot_h[i].is_some_and(|h| h <= off);
    let (t0, y0) = side(&before, &by_rolling, a - 1);
    let (t1, y1) = side(&after, &by_rolling, b + 1);
    let first = FloorLine { t0, y0, t1, y1 };
    let by_line = |i: usize| {
        track.frames[i]
            .foot_low_y
            .is_some_and(|y| first.at(track.times[i]) - y <= off)
    };
    let (t0, y0) = side(&before, &by_line, a - 1);
    let (t1, y1) = side(&after, &by_line, b + 1);
    FloorLine { t0, y0, t1, y1 }
}

/// The airborne run re-derived against the floor line: from the highest foot frame,
/// outwards while the foot stays above the leave-airborne threshold. Keeps the original
/// run if the new one would touch the ends of the track.
fn rerun(track: &Track, run: (usize, usize), floor: &FloorLine, off: f64) -> (usize, usize) {
    let clearance = |i: usize| Some(floor.at(track.times[i]) - track.frames[i].foot_low_y?);
    let Some(top) = (run.0..=run.1)
        .filter_map(|i| Some((i, clearance(i)?)))
        .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
        .map(|(i, _)| i)
    else {
        return run;
    };
    let mut a = top;
    for i in (0..top).rev() {
        match clearance(i) {
            Some(c) if c > off => a = i,
            Some(_) => break,
            None => {}
        }
    }
    let mut b = top;
    for i in top + 1..track.len() {
        match clearance(i) {
            Some(c) if c > off => b = i,
            Some(_) => break,
            None => {}
        }
    }
    if a == 0 || b + 1 >= track.len() {
        run
    } else {
        (a, b)
    }
}

/// Times one airborne run.
///
/// 1. The floor is a line through the stance just before and just after the flight.
/// 2. The hips' flight arc is fitted to every airborne hip sample; its curvature is the
///    scale (a = g·px_per_m/2) when it agrees with body proportions.
/// 3. Near takeoff the foot rises with the hips (the legs tuck only later), so a foot
///    seen `c` pixels above the floor means the hips' arc was `c` lower at takeoff.
///    [`fit_edge`] finds the instant that best explains the clearances of all frames
///    near the edge — contact frames (zero) and airborne frames alike — which is a
///    sub-frame estimate using every hip sample and several foot samples. Landing is
///    the mirror image.
pub(super) fn refine(
    track: &Track,
    run: (usize, usize),
    athlete_height_m: Option<f64>,
    source: PoseSource,
) -> Flight {
    let (_, off_px) = thresholds(track, run.0);
    let floor = floor_line(track, run, off_px);
    let departure_px = match source {
        PoseSource::Ideal => off_px,
        PoseSource::BlazePose => off_px.max(BLAZEPOSE_DEPARTURE_LEG * track.leg_px[run.0]),
    };
    let (a, b) = rerun(track, run, &floor, departure_px);
    let t_a = track.times[a];
    let t_b = track.times[b];

    let leg_px = quantile(&track.leg_px[a..=b], 0.5).unwrap_or(track.leg_px[a]);
    let leg_m = athlete_height_m
        .filter(|h| (1.0..=2.5).contains(h))
        .map_or(ASSUMED_LEG_LENGTH_M, |h| h * LEG_FRACTION_OF_STATURE);
    let body_px_per_m = leg_px / leg_m;

    let hip_points: Vec<(f64, f64)> = (a..=b)
        .filter_map(|i| Some((track.times[i], track.frames[i].hip?.1)))
        .collect();
    let (arc, scale_source, arc_implausible) = fit_arc(&hip_points, body_px_per_m, leg_px);
    let px_per_m = match (&arc, scale_source) {
        (Some(fit), ScaleSource::FlightArc) => fit.parabola.px_per_m(),
        _ => body_px_per_m,
    };

    let parabola = arc.as_ref().map(|f| f.parabola);
    let clearances: Vec<(f64, f64)> = (0..track.len())
        .filter_map(|i| {
            Some((
                track.times[i],
                floor.at(track.times[i]) - track.frames[i].foot_low_y?,
            ))
        })
        .collect();
    let time_or = |i: Option<usize>, fallback: f64| i.map_or(fallback, |i| track.times[i]);

    // Takeoff lies between the last contact frame and the first airborne one, but at high
    // frame rates noise can hide the first few airborne frames below the threshold (the
    // foot needs ~7 ms to rise 1.5 cm), so the search reaches `EDGE_SEARCH_MARGIN_S` or
    // one frame further, whichever is more.
    // BlazePose feet: the frame midpoint of the departure threshold (see above).
    let takeoff = parabola
        .filter(|_| source == PoseSource::Ideal)
        .and_then(|p| {
            let before = time_or(a.checked_sub(2), track.times[a - 1]);
            let lo = before.min(track.times[a - 1] - EDGE_SEARCH_MARGIN_S);
            let hi = time_or((a < b).then_some(a + 1), t_a);
            fit_edge(&p, &clearances, (track.times[a - 1], t_a), (lo, hi))
        })
        .map(|t| (t, "foot_clearance_fit+hip_arc"))
        .unwrap_or((0.5 * (track.times[a - 1] + t_a), "frame_midpoint"));
    let landing = parabola
        .filter(|_| source == PoseSource::Ideal)
        .and_then(|p| {
            let lo = time_or((b > a).then(|| b - 1), t_b);
            let after = time_or((b + 2 < track.len()).then_some(b + 2), track.times[b + 1]);
            let hi = after.max(track.times[b + 1] + EDGE_SEARCH_MARGIN_S);
            fit_edge(&p, &clearances, (t_b, track.times[b + 1]), (lo, hi))
        })
        .map(|t| (t, "foot_clearance_fit+hip_arc"))
        .unwrap_or((0.5 * (t_b + track.times[b + 1]), "frame_midpoint"));

    let apex_s = parabola
        .and_then(|p| p.apex_time())
        .filter(|t| *t > takeoff.0 && *t < landing.0);
    let max_clearance_px = (a..=b)
        .filter_map(|i| Some(floor.at(track.times[i]) - track.frames[i].foot_low_y?))
        .fold(0.0, f64::max);

    Flight {
        first_air: a,
        last_air: b,
        takeoff_s: takeoff.0,
        landing_s: landing.0,
        takeoff_method: takeoff.1,
        landing_method: landing.1,
        apex_s,
        arc,
        arc_implausible,
        px_per_m,
        scale_source,
        body_px_per_m,
        leg_px,
        floor,
        off_px,
        max_clearance_px,
    }
}

/// Least-squares edge time. If the feet move rigidly with the hips near the edge, a foot
/// at time `t_i` is `arc(t_edge) − arc(t_i)` pixels above the floor while airborne and on
/// the floor otherwise: `max(0, arc(t_edge) − arc(t_i))` for takeoff and landing alike.
/// The edge minimising the squared clearance misfit over the frames near `bracket` (the
/// last contact and first airborne frame, or the reverse) is searched within `search`.
pub(super) fn fit_edge(
    p: &Parabola,
    clearances: &[(f64, f64)],
    bracket: (f64, f64),
    search: (f64, f64),
) -> Option<f64> {
    // First pass around the bracketing frames, second pass centred on its estimate so
    // that only frames close to the edge (where the feet move with the hips) count.
    let first = edge_search(p, &edge_points(p, clearances, bracket, bracket), search)?;
    edge_search(
        p,
        &edge_points(p, clearances, (first, first), bracket),
        search,
    )
}

/// (arc y, foot clearance) of the frames within `EDGE_WINDOW_S` of `span`, plus the two
/// bracketing frames so that both contact and flight are always represented.
fn edge_points(
    p: &Parabola,
    clearances: &[(f64, f64)],
    span: (f64, f64),
    bracket: (f64, f64),
) -> Vec<(f64, f64)> {
    clearances
        .iter()
        .filter(|&&(t, _)| {
            let near = t >= span.0 - EDGE_WINDOW_S && t <= span.1 + EDGE_WINDOW_S;
            near || t == bracket.0 || t == bracket.1
        })
        .map(|&(t, c)| (p.eval(t), c))
        .collect()
}

/// Grid search on a fixed 0.1 ms grid (deterministic; ties go to the earliest instant).
fn edge_search(p: &Parabola, points: &[(f64, f64)], search: (f64, f64)) -> Option<f64> {
    if points.len() < 2 || search.1 < search.0 {
        return None;
    }
    let cost = |edge: f64| -> f64 {
        let y_edge = p.eval(edge);
        points
            .iter()
            .map(|&(y, c)| {
                let r = c - (y_edge - y).max(0.0);
                r * r
            })
            .sum()
    };
    let steps = ((search.1 - search.0) / EDGE_SEARCH_STEP_S).ceil() as usize;
    let mut best = (search.0, cost(search.0));
    for k in 1..=steps {
        let t = (search.0 + k as f64 * EDGE_SEARCH_STEP_S).min(search.1);
        let c = cost(t);
        if c < best.1 {
            best = (t, c);
        }
    }
    Some(best.0)
}

/// Fits the hips' flight arc. Free curvature when there are enough samples and the
/// result agrees with body proportions; otherwise the curvature is imposed from body
/// proportions. Returns the fit, the scale source, and a reason when a well-sampled arc
/// is implausible (the hips did not fly freely).
fn fit_arc(
    points: &[(f64, f64)],
    body_px_per_m: f64,
    leg_px: f64,
) -> (Option<ArcFit>, ScaleSource, Option<String>) {
    let known = || fit_known_curvature(points, 0.5 * G * body_px_per_m);
    if points.len() < MIN_FREE_FIT_POINTS {
        return (known(), ScaleSource::BodyProportions, None);
    }
    let Some(free) = fit_free(points) else {
        return (known(), ScaleSource::BodyProportions, None);
    };
    let ratio = free.parabola.px_per_m() / body_px_per_m;
    let rms_leg = free.rms_px / leg_px;
    if (SCALE_RATIO_MIN..=SCALE_RATIO_MAX).contains(&ratio) && rms_leg <= MAX_ARC_RMS_LEG {
        return (Some(free), ScaleSource::FlightArc, None);
    }
    let problem = if free.parabola.c2 <= 0.0 {
        "the hips did not follow a falling arc during the flight".to_string()
    } else if rms_leg > MAX_ARC_RMS_LEG {
        format!(
            "the hips did not follow a free-flight arc (residual {:.0} % of leg length)",
            rms_leg * 100.0
        )
    } else {
        format!(
            "the flight arc implies a scale {:.1}× that of the body, so the view moved or the tracking failed",
            ratio
        )
    };
    let implausible = (points.len() >= TRUSTED_FIT_POINTS).then_some(problem);
    (known(), ScaleSource::BodyProportions, implausible)
}
