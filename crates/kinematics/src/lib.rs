//! Jump kinematics: from a pose time series (33 BlazePose landmarks per frame, exact
//! presentation timestamps) to jump events and metrics for counter-movement, drop and
//! squat jumps.
//!
//! Pure computation with no I/O, only `serde` and `thiserror`, so the same code runs on
//! the server and in the browser (wasm32), where [`apply_event_edits`] recomputes metrics
//! after a coach corrects an event by hand.
//!
//! How it works, in order (one module per step):
//! 1. `series`: sort by presentation time, drop unusable data, subtract camera shift.
//! 2. `signals`: hip, lowest foot point, leg length per frame; floor level, foot height
//!    and smoothed hip motion per continuous piece of the clip (`smoothing`, `stats`).
//! 3. `segment`: every flight (Schmitt trigger on foot height); `flight`: timed to a
//!    fraction of a frame by fitting the foot clearances near each edge along the hips'
//!    ballistic arc (`ballistic`), which also gives the pixel→metre scale; `checks`:
//!    camera motion, travel, one-foot takeoffs, hidden feet, non-ballistic "flights".
//! 4. `events_cmj`, `events_dj`, `events_sj`: the events before takeoff for each type.
//! 5. `metrics`, `bounds`, `confidence`: numbers, plausibility warnings, confidence.
//! 6. `pipeline` runs steps 1–4; `report` evaluates each flight for the requested test,
//!    picks the test jump (the first good one), reports the others, or refuses with a
//!    reason ([`KinematicsError`]); `trajectory` is the per-frame series in metres.
//!
//! [`Analysis`] (this result plus what the engine decoded and how long it took) and
//! [`Progress`] are the engine's JSON contract, here so the browser reads them too.

#![forbid(unsafe_code)]

mod analysis;
mod ballistic;
mod bounds;
mod checks;
mod confidence;
mod edit;
mod error;
mod events_cmj;
mod events_dj;
mod events_sj;
mod flight;
mod metrics;
mod phases;
mod pipeline;
mod progress;
mod report;
mod result;
mod segment;
mod series;
mod signals;
mod smoothing;
mod stats;
mod trajectory;

#[cfg(test)]
mod tests;

pub use analysis::{Analysis, Timings, VideoSummary};
pub use edit::{apply_event_edits, EventEdit};
pub use error::KinematicsError;
pub use progress::{Progress, Stage};
pub use result::{
    event_name, round_to, Event, JumpRole, JumpSummary, KinematicsResult, Metrics, Scale,
    TrajectoryPoint, Warning, ENGINE_VERSION, METHOD_MANUAL,
};
pub use series::{landmark, JumpType, Options, Point, PoseFrame, PoseSeries, PoseSource};

/// Analyses a clip for the requested jump test.
///
/// Finds every flight in the clip, measures the first one that is a good `jump`, and
/// reports the others in `jumps`. Refuses with a [`KinematicsError`] ("cannot analyse:
/// reason") rather than returning a number it cannot stand behind.
pub fn analyze_series(
    series: &PoseSeries,
    jump: JumpType,
    options: &Options,
) -> Result<KinematicsResult, KinematicsError> {
    pipeline::analyze(series, jump, options)
}

/// Recomputes the metrics of a jump from event times and its trajectory (as found in a
/// [`KinematicsResult`]); the same code the analysis itself uses, so unchanged events
/// give identical numbers.
pub fn recompute_metrics(
    jump: JumpType,
    events: &[Event],
    trajectory: &[TrajectoryPoint],
    options: &Options,
) -> Result<Metrics, KinematicsError> {
    metrics::compute(jump, events, trajectory, options)
}
