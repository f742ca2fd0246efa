//! End-to-end tests on synthetic athletes whose true event times are known exactly.

mod synth;

mod clips;
mod cmj;
mod dj;
mod robustness;
mod sj;

use super::{analyze_series, JumpType, KinematicsError, KinematicsResult, Options, PoseSeries};

/// Time of the named event in the result (panics with the event list if missing).
pub fn event(result: &KinematicsResult, name: &str) -> f64 {
    result
        .events
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no {name} event in {:?}", result.events))
        .time_s
}

pub fn analyze(series: &PoseSeries, jump: JumpType) -> Result<KinematicsResult, KinematicsError> {
    analyze_series(series, jump, &Options::default())
}

/// Flight time error (ms) against the truth.
pub fn flight_error_ms(result: &KinematicsResult, takeoff: f64, landing: f64) -> f64 {
    let measured = result.metrics.flight_time_ms.expect("flight time");
    measured - (landing - takeoff) * 1000.0
}
