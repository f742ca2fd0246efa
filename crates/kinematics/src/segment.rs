//! Finds every flight phase in a continuous piece of the clip.
//!
//! Detection is a Schmitt trigger on the height of the lowest foot point above the floor
//! (two thresholds, a minimum number of airborne frames), so that noise near a threshold
//! cannot make the same clip flip between answers. Timing is `flight`'s job, checking
//! `checks`'.

use super::signals::Track;

/// Enter "airborne" when the lowest foot point is this many leg lengths above the floor
/// (0.045 × 0.86 m ≈ 4 cm: above pose jitter, below the clearance of any real jump).
const AIRBORNE_ON_LEG: f64 = 0.045;
/// Leave "airborne" below this height (≈ 1.5 cm): the foot is back on the floor.
const AIRBORNE_OFF_LEG: f64 = 0.018;
/// The thresholds are also kept this many noise sigmas above the floor, for poor tracking.
const AIRBORNE_ON_NOISE: f64 = 5.0;
const AIRBORNE_OFF_NOISE: f64 = 2.5;
/// Fewer airborne frames than this is a tracking glitch, not a flight.
const MIN_AIRBORNE_FRAMES: usize = 2;
/// Two airborne runs separated by less ground time than this are one flight with a
/// flicker (real ground contacts, even in drop jumps, last ≥ 80 ms).
const MIN_CONTACT_BETWEEN_S: f64 = 0.05;

pub(super) fn thresholds(track: &Track, i: usize) -> (f64, f64) {
    let leg = track.leg_px[i];
    let noise = track.foot_noise_px;
    (
        (AIRBORNE_ON_LEG * leg).max(AIRBORNE_ON_NOISE * noise),
        (AIRBORNE_OFF_LEG * leg).max(AIRBORNE_OFF_NOISE * noise),
    )
}

/// Every airborne run in the track as (first airborne index, last airborne index).
/// Runs touching the ends of the track are dropped: their takeoff or landing is unseen.
pub(super) fn find_flights(track: &Track) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut airborne = false;
    let mut start: Option<usize> = None;
    let mut last_above_off = 0;
    for i in 0..track.len() {
        let Some(h) = track.foot_h[i] else { continue };
        let (on, off) = thresholds(track, i);
        if h > off {
            start.get_or_insert(i);
            last_above_off = i;
            if h > on {
                airborne = true;
            }
        } else {
            if airborne {
                if let Some(s) = start {
                    runs.push((s, last_above_off));
                }
            }
            airborne = false;
            start = None;
        }
    }
    // A run still open at the end of the track has no landing: ignored.

    let mut merged: Vec<(usize, usize)> = Vec::new();
    for run in runs {
        if let Some(prev) = merged.last_mut() {
            let ground = track.times[run.0] - track.times[prev.1];
            if ground < MIN_CONTACT_BETWEEN_S {
                prev.1 = run.1;
                continue;
            }
        }
        merged.push(run);
    }
    merged
        .into_iter()
        .filter(|&(a, b)| {
            let airborne_frames = (a..=b).filter(|&i| track.foot_h[i].is_some()).count();
            a > 0 && b + 1 < track.len() && airborne_frames >= MIN_AIRBORNE_FRAMES
        })
        .collect()
}
