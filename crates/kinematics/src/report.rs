//! Evaluates every flight for the requested test (events, metrics, plausibility,
//! confidence), picks the test jump — the first good one — and assembles the result, or
//! the refusal when no flight is measurable.

use super::bounds;
use super::checks::Rejection;
use super::confidence::{assess, QualityInputs};
use super::error::KinematicsError;
use super::flight::{Flight, ScaleSource};
use super::metrics;
use super::pipeline::Candidate;
use super::result::{
    event_name, round_to, Event, JumpRole, JumpSummary, KinematicsResult, Metrics, Scale,
    TrajectoryPoint, Warning, ENGINE_VERSION,
};
use super::series::{CleanSeries, JumpType, Options};
use super::signals::Track;
use super::stats::median;
use super::trajectory;

/// Window around a flight used for the quality assessment.
const QUALITY_BEFORE_S: f64 = 1.0;
const QUALITY_AFTER_S: f64 = 0.5;

/// How a candidate fares as the requested test.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Status {
    Good,
    /// Measurable but with out-of-range metrics: chosen only when nothing is good.
    Marginal,
    /// A clean flight whose take-off movement matched no jump type (often because the
    /// camera moved or the body was hidden before takeoff): only the flight is measured,
    /// and only when it is the clip's highest flight and no flight is measurable in full.
    FlightOnly,
    Rejected(KinematicsError),
}

/// A candidate evaluated for the requested jump type.
pub(super) struct Report {
    pub index: usize,
    pub status: Status,
    pub looks_like: Option<JumpType>,
    pub events: Vec<Event>,
    pub metrics: Metrics,
    pub warnings: Vec<Warning>,
    pub confidence: f64,
    pub reasons: Vec<String>,
    pub trajectory: Vec<TrajectoryPoint>,
    pub scale: Scale,
    pub prominence: f64,
}

fn rejection_error(rejection: &Rejection, jump: JumpType) -> KinematicsError {
    match rejection {
        Rejection::FeetHidden(m) => KinematicsError::FeetNotVisible(m.clone()),
        Rejection::CameraMoving(m) => KinematicsError::CameraMoving(m.clone()),
        Rejection::NotBallistic(m) => KinematicsError::NoFlightPhase(m.clone()),
        Rejection::NotVertical(m) => KinematicsError::NotThisJumpType {
            expected: jump,
            reason: m.clone(),
        },
    }
}

pub(super) fn evaluate(
    index: usize,
    c: &Candidate,
    track: &Track,
    clean: &CleanSeries,
    jump: JumpType,
    options: &Options,
) -> Report {
    let flight = &c.flight;
    let full_trajectory = trajectory::points(&c.frames);
    // Metrics are computed from exactly the series the result carries, so a browser
    // recomputing them from the JSON gets the same numbers.
    let thinned = trajectory::thin(&full_trajectory, flight.takeoff_s, flight.landing_s);
    let scale = Scale {
        px_per_m: round_to(flight.px_per_m, 2),
        method: match flight.scale_source {
            ScaleSource::FlightArc => "flight_arc",
            ScaleSource::BodyProportions => "body_proportions",
        }
        .to_string(),
    };
    let looks_like = if c.rejection.is_some() {
        None
    } else {
        std::iter::once(jump)
            .chain(JumpType::ALL)
            .find(|jt| c.per_type[jt.slot()].is_ok())
    };
    let prominence = flight.max_clearance_px / flight.leg_px;

    // A flight that looks like another test, or that breaks this test's protocol, is
    // refused as this one (a coach who filmed a squat jump must not get countermovement
    // numbers). One whose take-off movement was merely not recognised still has a
    // measurable flight when the hips flew a clean ballistic arc, and the flight time is
    // what the height comes from.
    let mut flight_only = None;
    let status = match (&c.rejection, &c.per_type[jump.slot()]) {
        (Some(r), _) => Status::Rejected(rejection_error(r, jump)),
        (None, Err(mismatch))
            if looks_like.is_none()
                && !mismatch.breach
                && flight.scale_source == ScaleSource::FlightArc =>
        {
            flight_only = Some(Warning::new(
                "flight_only",
                format!(
                    "{}: only the flight is measured (flight time, jump height, takeoff velocity)",
                    mismatch.reason
                ),
            ));
            Status::FlightOnly
        }
        (None, Err(mismatch)) => {
            let resembles = looks_like.map_or(String::new(), |t| format!("; it looks like a {t}"));
            Status::Rejected(KinematicsError::NotThisJumpType {
                expected: jump,
                reason: format!("{}{resembles}", mismatch.reason),
            })
        }
        (None, Ok(_)) => Status::Good,
    };
    // A jump of another type is summarised as what it looks like, with its own events.
    let measured_as = match (&c.rejection, &c.per_type[jump.slot()]) {
        (None, Err(_)) => looks_like.unwrap_or(jump),
        _ => jump,
    };
    let mut events = flight_events(flight);
    let mut type_warnings = Vec::new();
    if let (None, Ok(found)) = (&c.rejection, &c.per_type[measured_as.slot()]) {
        events.extend(found.events.iter().map(|e| (e.name, e.time_s, e.method)));
        type_warnings.extend(found.warnings.iter().cloned());
    }
    let events = to_events(events, measured_as, &full_trajectory);

    // A jump rejected for a generic reason gets no numbers: a confident wrong number is
    // what we must never show. A jump of another type keeps its numbers.
    let show_metrics = c.rejection.is_none();
    let mut metrics = Metrics::default();
    let mut status = status;
    if show_metrics {
        match metrics::compute(measured_as, &events, &thinned, options) {
            Ok(m) => metrics = m,
            Err(e) => status = Status::Rejected(KinematicsError::NoFlightPhase(e.to_string())),
        }
    }
    let mut warnings = type_warnings.clone();
    let measured_by_flight_only = flight_only.is_some();
    warnings.extend(flight_only);
    if matches!(status, Status::Good | Status::FlightOnly) {
        let out_of_range = bounds::check(jump, &metrics);
        if status == Status::Good && !out_of_range.is_empty() {
            status = Status::Marginal;
        }
        warnings.extend(out_of_range);
    }
    if flight.scale_source == ScaleSource::BodyProportions && show_metrics {
        warnings.push(Warning::new(
            "scale_from_body_proportions",
            "depth and velocities use average body proportions because the flight arc could not give a scale",
        ));
    }

    let quality = quality_inputs(
        track,
        flight,
        clean,
        type_warnings.len(),
        measured_by_flight_only,
    );
    let (confidence, reasons) = assess(&quality);
    Report {
        index,
        status,
        looks_like,
        events,
        metrics,
        warnings,
        confidence,
        reasons,
        trajectory: thinned,
        scale,
        prominence,
    }
}

/// Takeoff, flight apex and landing as (name, time, method).
fn flight_events(flight: &Flight) -> Vec<(&'static str, f64, &'static str)> {
    let mut events = vec![(event_name::TAKEOFF, flight.takeoff_s, flight.takeoff_method)];
    if let Some(apex) = flight.apex_s {
        events.push((event_name::PEAK, apex, "hip_arc_apex"));
    }
    events.push((event_name::LANDING, flight.landing_s, flight.landing_method));
    events
}

/// Rounded, labelled with the nearest frame, in the protocol's order.
fn to_events(
    raw: Vec<(&'static str, f64, &'static str)>,
    jump: JumpType,
    trajectory: &[TrajectoryPoint],
) -> Vec<Event> {
    let order = metrics::event_order(jump);
    let mut events: Vec<Event> = raw
        .into_iter()
        .map(|(name, t, method)| {
            let time_s = round_to(t, 4);
            Event {
                name: name.to_string(),
                time_s,
                frame: nearest_frame(trajectory, time_s),
                method: method.to_string(),
            }
        })
        .collect();
    let rank = |name: &str| order.iter().position(|n| *n == name).unwrap_or(order.len());
    events.sort_by(|a, b| {
        a.time_s
            .total_cmp(&b.time_s)
            .then(rank(&a.name).cmp(&rank(&b.name)))
    });
    events
}

/// Decoder index of the trajectory point nearest in time.
pub(super) fn nearest_frame(trajectory: &[TrajectoryPoint], t: f64) -> u32 {
    let k = trajectory.partition_point(|p| p.time_s < t);
    let candidates = [k.checked_sub(1), (k < trajectory.len()).then_some(k)];
    candidates
        .into_iter()
        .flatten()
        .min_by(|&i, &j| {
            (trajectory[i].time_s - t)
                .abs()
                .total_cmp(&(trajectory[j].time_s - t).abs())
        })
        .map_or(0, |i| trajectory[i].frame)
}

fn quality_inputs(
    track: &Track,
    flight: &Flight,
    clean: &CleanSeries,
    detector_warnings: usize,
    flight_only: bool,
) -> QualityInputs {
    let (a, b) = (flight.first_air, flight.last_air);
    let t0 = flight.takeoff_s - QUALITY_BEFORE_S;
    let t1 = flight.landing_s + QUALITY_AFTER_S;
    let in_window: Vec<usize> = (0..track.len())
        .filter(|&i| track.times[i] >= t0 && track.times[i] <= t1)
        .collect();
    let visibilities: Vec<f64> = in_window
        .iter()
        .map(|&i| track.frames[i].visibility)
        .collect();
    let intervals: Vec<f64> = clean
        .frames
        .windows(2)
        .map(|w| w[1].time_s - w[0].time_s)
        .collect();
    let nominal_dt = median(&intervals).unwrap_or(1.0 / 30.0).max(1e-4);
    let expected = ((t1 - t0) / nominal_dt).max(1.0);
    let shifts: Vec<(f64, f64)> = in_window
        .iter()
        .filter_map(|&i| track.frames[i].shift)
        .collect();
    let camera_speed = (shifts.len() >= 2).then(|| {
        let mut best: f64 = 0.0;
        let pts: Vec<(f64, (f64, f64))> = in_window
            .iter()
            .filter_map(|&i| Some((track.times[i], track.frames[i].shift?)))
            .collect();
        for w in pts.windows(2) {
            let dt = w[1].0 - w[0].0;
            if dt > 0.0 {
                let (dx, dy) = (w[1].1 .0 - w[0].1 .0, w[1].1 .1 - w[0].1 .1);
                best = best.max((dx * dx + dy * dy).sqrt() / dt);
            }
        }
        best / flight.leg_px
    });
    let from_arc = flight.scale_source == ScaleSource::FlightArc;
    let arc = flight.arc.as_ref().filter(|_| from_arc);
    QualityInputs {
        mean_visibility: super::stats::mean(&visibilities).unwrap_or(0.0),
        pose_coverage: (in_window.len() as f64 / expected).min(1.0),
        takeoff_gap_s: track.times[a] - track.times[a - 1],
        landing_gap_s: track.times[b + 1] - track.times[b],
        flight_s: flight.flight_s(),
        subframe_timing: flight.takeoff_method != "frame_midpoint"
            && flight.landing_method != "frame_midpoint",
        scale_from_arc: from_arc,
        arc_rms_leg: arc.map(|f| f.rms_px / flight.leg_px),
        arc_rms_px: arc.map(|f| f.rms_px),
        scale_ratio: arc.map(|f| f.parabola.px_per_m() / flight.body_px_per_m),
        camera_speed_leg_per_s: camera_speed,
        floor_mismatch_m: (flight.floor.y1 - flight.floor.y0).abs() / flight.px_per_m,
        detector_warnings,
        flight_only,
    }
}

/// The test jump is the first good one, else the first marginal one, else the clip's
/// most prominent flight if it can be measured by its flight only; without any the clip
/// is refused. A smaller flight is never measured on its own: beside a bigger flight
/// that was refused (a dunk filmed panning, a rally) it is a hop or a step, not the test.
pub(super) fn choose(
    reports: Vec<Report>,
    jump: JumpType,
) -> Result<KinematicsResult, KinematicsError> {
    let test = [Status::Good, Status::Marginal]
        .iter()
        .find_map(|wanted| reports.iter().position(|r| r.status == *wanted))
        .or_else(|| most_prominent(&reports).filter(|&i| reports[i].status == Status::FlightOnly));
    match test {
        Some(test) => Ok(assemble(reports, test, jump)),
        None => Err(refusal(&reports)),
    }
}

/// Position of the flight with the highest foot clearance relative to leg length (the
/// earliest of equals).
fn most_prominent(reports: &[Report]) -> Option<usize> {
    (0..reports.len()).max_by(|&a, &b| {
        reports[a]
            .prominence
            .total_cmp(&reports[b].prominence)
            .then(b.cmp(&a))
    })
}

/// The error for a clip without a measurable test jump: the reason of its most
/// prominent flight.
fn refusal(reports: &[Report]) -> KinematicsError {
    most_prominent(reports)
        .and_then(|i| match &reports[i].status {
            Status::Rejected(e) => Some(e.clone()),
            _ => None,
        })
        .unwrap_or_else(|| KinematicsError::NoFlightPhase("no measurable flight".to_string()))
}

fn summary(r: &Report, role: JumpRole) -> JumpSummary {
    let time_of = |name: &str| {
        r.events
            .iter()
            .find(|e| e.name == name)
            .map_or(0.0, |e| e.time_s)
    };
    JumpSummary {
        index: r.index as u32,
        role,
        looks_like: r.looks_like,
        takeoff_time_s: time_of(event_name::TAKEOFF),
        landing_time_s: time_of(event_name::LANDING),
        events: r.events.clone(),
        metrics: r.metrics.clone(),
        confidence: r.confidence,
        reason: match &r.status {
            Status::Rejected(e) => Some(e.to_string()),
            _ => None,
        },
        warnings: r.warnings.clone(),
    }
}

fn assemble(mut reports: Vec<Report>, test: usize, jump: JumpType) -> KinematicsResult {
    let mut jumps = vec![summary(&reports[test], JumpRole::Test)];
    for r in reports.iter().filter(|r| r.index != test) {
        let role = match r.status {
            Status::Rejected(_) => JumpRole::Rejected,
            _ => JumpRole::Other,
        };
        jumps.push(summary(r, role));
    }
    let chosen = reports.swap_remove(test);
    let mut warnings = chosen.warnings.clone();
    let others = jumps.len() - 1;
    if others > 0 {
        warnings.push(Warning::new(
            "several_jumps",
            format!(
                "{} flights found in the clip; the jump at {:.2} s was measured (see jumps)",
                others + 1,
                jumps[0].takeoff_time_s
            ),
        ));
    }
    KinematicsResult {
        jump_type: jump,
        metrics: chosen.metrics,
        events: chosen.events,
        confidence: chosen.confidence,
        confidence_reasons: chosen.reasons,
        warnings,
        jumps,
        trajectory: chosen.trajectory,
        scale: chosen.scale,
        engine_version: ENGINE_VERSION.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(index: usize, status: Status, prominence: f64) -> Report {
        Report {
            index,
            status,
            looks_like: None,
            events: Vec::new(),
            metrics: Metrics::default(),
            warnings: Vec::new(),
            confidence: 0.5,
            reasons: Vec::new(),
            trajectory: Vec::new(),
            scale: Scale {
                px_per_m: 100.0,
                method: "flight_arc".to_string(),
            },
            prominence,
        }
    }

    fn camera_moving() -> Status {
        Status::Rejected(KinematicsError::CameraMoving("panning".to_string()))
    }

    #[test]
    fn a_flight_measured_alone_must_be_the_highest_in_the_clip() {
        let hop_beside_refused_dunk = vec![
            report(0, Status::FlightOnly, 0.1),
            report(1, camera_moving(), 0.6),
        ];
        let err = choose(hop_beside_refused_dunk, JumpType::Cmj).unwrap_err();
        assert_eq!(err.code(), "camera_moving");

        let highest = vec![
            report(0, camera_moving(), 0.1),
            report(1, Status::FlightOnly, 0.6),
        ];
        let r = choose(highest, JumpType::Cmj).unwrap();
        assert_eq!(r.jumps[0].index, 1);
    }

    #[test]
    fn a_fully_measured_jump_beats_a_flight_measured_alone() {
        let reports = vec![
            report(0, Status::FlightOnly, 0.6),
            report(1, Status::Marginal, 0.2),
        ];
        let r = choose(reports, JumpType::Cmj).unwrap();
        assert_eq!(r.jumps[0].index, 1);
        assert_eq!(r.jumps[1].role, JumpRole::Other);
    }
}
