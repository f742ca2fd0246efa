//! Runs the analysis: clean the input, find every flight, time it, check it, and detect
//! the events of each jump type; `report` then evaluates every flight for the requested
//! test, picks the test jump and assembles the result.

use super::checks::{self, Rejection};
use super::error::KinematicsError;
use super::events_cmj;
use super::events_dj;
use super::events_sj;
use super::flight::{self, Flight};
use super::phases::{JumpContext, Mismatch, TypeEvents};
use super::report;
use super::result::KinematicsResult;
use super::segment;
use super::series::{self, JumpType, Options, PoseSeries, PoseSource};
use super::signals::{self, Track, STANDING_HIP_OVER_LEG};
use super::stats::quantile;
use super::trajectory::{self, JumpFrame};

/// Fewer frames or a shorter clip cannot contain standing, a jump and a landing.
const MIN_FRAMES: usize = 10;
const MIN_DURATION_S: f64 = 0.5;
/// Below these fractions of frames the athlete (or their feet) is effectively not filmed.
const MIN_POSE_COVERAGE: f64 = 0.3;
const MIN_FEET_COVERAGE: f64 = 0.3;
/// Hip speed thresholds (m/s): still below `V_QUIET`, deliberate movement above
/// `V_ONSET`; both are raised to a multiple of the measured velocity noise when tracking
/// is poor, so noise alone cannot start a movement.
const V_QUIET_M_S: f64 = 0.10;
const V_ONSET_M_S: f64 = 0.15;
const V_QUIET_NOISE: f64 = 3.0;
const V_ONSET_NOISE: f64 = 4.5;

/// Everything known about one flight found in the clip.
pub(super) struct Candidate {
    pub track: usize,
    pub flight: Flight,
    pub rejection: Option<Rejection>,
    pub frames: Vec<JumpFrame>,
    pub per_type: [Result<TypeEvents, Mismatch>; 3],
}

pub(super) fn analyze(
    series: &PoseSeries,
    jump: JumpType,
    options: &Options,
) -> Result<KinematicsResult, KinematicsError> {
    if series.image_width == 0 || series.image_height == 0 {
        return Err(KinematicsError::InvalidInput(
            "image size is zero".to_string(),
        ));
    }
    let clean = series::clean(series);
    let duration = match (clean.frames.first(), clean.frames.last()) {
        (Some(a), Some(b)) => b.time_s - a.time_s,
        _ => 0.0,
    };
    if clean.frames.len() < MIN_FRAMES || duration < MIN_DURATION_S {
        return Err(KinematicsError::TooShort {
            frames: clean.frames.len(),
            duration_s: duration,
        });
    }
    let pose_share = clean.frames_with_pose as f64 / clean.frames.len() as f64;
    if clean.frames_with_pose < MIN_FRAMES || pose_share < MIN_POSE_COVERAGE {
        return Err(KinematicsError::NoAthlete(format!(
            "a person was found in {:.0} % of the frames",
            pose_share * 100.0
        )));
    }
    let frame_signals = signals::extract(&clean);
    let with_hips = frame_signals.iter().filter(|f| f.hip.is_some()).count();
    if (with_hips as f64) < MIN_POSE_COVERAGE * clean.frames.len() as f64 {
        return Err(KinematicsError::NoAthlete(format!(
            "hips visible in only {with_hips} of {} frames",
            clean.frames.len()
        )));
    }
    let with_feet = frame_signals
        .iter()
        .filter(|f| f.foot_low_y.is_some())
        .count();
    if (with_feet as f64) < MIN_FEET_COVERAGE * clean.frames_with_pose as f64 {
        return Err(KinematicsError::FeetNotVisible(format!(
            "feet seen in only {with_feet} of {} frames with a person; film the whole body including the floor",
            clean.frames_with_pose
        )));
    }

    let tracks: Vec<Track> = signals::split_segments(&frame_signals)
        .into_iter()
        .filter_map(|r| Track::new(frame_signals[r].to_vec()))
        .collect();
    let candidates = find_candidates(&tracks, options, series.source);
    if candidates.is_empty() {
        return Err(KinematicsError::NoFlightPhase(
            "the feet never clearly left the floor".to_string(),
        ));
    }

    let reports: Vec<report::Report> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| report::evaluate(i, c, &tracks[c.track], &clean, jump, options))
        .collect();
    report::choose(reports, jump)
}

/// Finds and times every flight in every track, and runs all three type detectors on it.
fn find_candidates(tracks: &[Track], options: &Options, source: PoseSource) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (ti, track) in tracks.iter().enumerate() {
        let runs = segment::find_flights(track);
        let mut previous_end: Option<usize> = None;
        for (k, &run) in runs.iter().enumerate() {
            let flight = flight::refine(track, run, options.athlete_height_m, source);
            // Re-deriving a run against its floor line can grow it into its neighbour;
            // the same flight is reported once.
            if previous_end.is_some_and(|end| flight.first_air <= end) {
                continue;
            }
            previous_end = Some(flight.last_air);
            let rejection = checks::check(track, &flight).err();
            let frames = trajectory::jump_frames(track, &flight);
            let window_start = if k == 0 { 0 } else { runs[k - 1].1 + 1 };
            let window_end = runs.get(k + 1).map_or(track.len(), |r| r.0);
            let ctx = context(track, &frames, &flight, window_start, window_end);
            let per_type = JumpType::ALL.map(|jt| match jt {
                JumpType::Cmj => events_cmj::detect(&ctx),
                JumpType::DropJump => events_dj::detect(&ctx),
                JumpType::SquatJump => events_sj::detect(&ctx),
            });
            out.push(Candidate {
                track: ti,
                flight,
                rejection,
                frames,
                per_type,
            });
        }
    }
    out
}

fn context<'a>(
    track: &Track,
    frames: &'a [JumpFrame],
    flight: &'a Flight,
    window_start: usize,
    window_end: usize,
) -> JumpContext<'a> {
    let (a, b) = (flight.first_air, flight.last_air);
    let sigma_v = track.hip_speed_noise_px_s / flight.px_per_m;
    let grounded_hips: Vec<f64> = (window_start..window_end)
        .filter(|&i| i < a || i > b)
        .filter_map(|i| frames[i].hip_height_m)
        .collect();
    let leg_m = flight.leg_px / flight.px_per_m;
    let standing_hip_m = quantile(&grounded_hips, 0.9)
        .unwrap_or(0.0)
        .max(STANDING_HIP_OVER_LEG * leg_m);
    JumpContext {
        frames,
        flight,
        window_start,
        v_quiet: V_QUIET_M_S.max(V_QUIET_NOISE * sigma_v),
        v_onset: V_ONSET_M_S.max(V_ONSET_NOISE * sigma_v),
        standing_hip_m,
        contact_m: flight.off_px / flight.px_per_m,
    }
}
