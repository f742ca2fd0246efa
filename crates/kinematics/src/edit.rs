//! Hand corrections: a coach drags an event on the chart, the browser recomputes the
//! metrics from the result it already has (events + trajectory), with no video or pose.

use serde::{Deserialize, Serialize};

use super::bounds;
use super::error::KinematicsError;
use super::metrics;
use super::report::nearest_frame;
use super::result::{round_to, Event, JumpRole, KinematicsResult, Warning, METHOD_MANUAL};
use super::series::Options;

/// Warning code added to results whose events were corrected by hand.
const EDITED_CODE: &str = "events_edited";

/// A coach's correction of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEdit {
    /// Event name as in the result, e.g. "takeoff", "landing", "first_contact".
    pub name: String,
    pub time_s: f64,
}

/// Applies corrections to the test jump and recomputes its metrics and range warnings.
/// Other fields (confidence, trajectory, other jumps) are kept; a warning records the edit.
pub fn apply_event_edits(
    result: &KinematicsResult,
    edits: &[EventEdit],
    options: &Options,
) -> Result<KinematicsResult, KinematicsError> {
    let jump = result.jump_type;
    let order = metrics::event_order(jump);
    let mut events = result.events.clone();
    for edit in edits {
        if !order.contains(&edit.name.as_str()) {
            return Err(KinematicsError::InvalidEvents(format!(
                "a {} has no event named \"{}\" (expected one of: {})",
                jump,
                edit.name,
                order.join(", ")
            )));
        }
        if !edit.time_s.is_finite() {
            return Err(KinematicsError::InvalidEvents(format!(
                "{} has no valid time",
                edit.name
            )));
        }
        let time_s = round_to(edit.time_s, 4);
        let corrected = Event {
            name: edit.name.clone(),
            time_s,
            frame: nearest_frame(&result.trajectory, time_s),
            method: METHOD_MANUAL.to_string(),
        };
        match events.iter_mut().find(|e| e.name == edit.name) {
            Some(e) => *e = corrected,
            None => events.push(corrected),
        }
    }
    let rank = |name: &str| order.iter().position(|n| *n == name).unwrap_or(order.len());
    events.sort_by(|a, b| {
        a.time_s
            .total_cmp(&b.time_s)
            .then(rank(&a.name).cmp(&rank(&b.name)))
    });

    let metrics = metrics::compute(jump, &events, &result.trajectory, options)?;
    let manual: Vec<String> = events
        .iter()
        .filter(|e| e.method == METHOD_MANUAL)
        .map(|e| e.name.clone())
        .collect();
    // Range warnings are recomputed; every other warning still holds.
    let rewarn = |old: &[Warning]| -> Vec<Warning> {
        let mut warnings: Vec<Warning> = old
            .iter()
            .filter(|w| !bounds::is_bound_warning(&w.code) && w.code != EDITED_CODE)
            .cloned()
            .collect();
        warnings.extend(bounds::check(jump, &metrics));
        if !manual.is_empty() {
            warnings.push(Warning::new(
                EDITED_CODE,
                format!("corrected by hand: {}", manual.join(", ")),
            ));
        }
        warnings
    };

    let mut out = result.clone();
    if let Some(test) = out.jumps.iter_mut().find(|j| j.role == JumpRole::Test) {
        test.events = events.clone();
        test.metrics = metrics.clone();
        test.warnings = rewarn(&test.warnings);
        test.takeoff_time_s = time_of(&events, "takeoff").unwrap_or(test.takeoff_time_s);
        test.landing_time_s = time_of(&events, "landing").unwrap_or(test.landing_time_s);
    }
    out.warnings = rewarn(&result.warnings);
    out.events = events;
    out.metrics = metrics;
    Ok(out)
}

fn time_of(events: &[Event], name: &str) -> Option<f64> {
    events.iter().find(|e| e.name == name).map(|e| e.time_s)
}
