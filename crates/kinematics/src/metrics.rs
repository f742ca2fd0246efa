//! Metrics from event times and the rounded trajectory only, so that the server and the
//! browser (after a coach moves an event) compute them with the same code from the same
//! numbers.

use super::ballistic::G;
use super::error::KinematicsError;
use super::result::{event_name, round_to, Event, Metrics, TrajectoryPoint};
use super::series::{JumpType, Options};
use super::stats::{interpolate, mean};

/// Sayers et al. (1999) peak power regressions (W) from jump height (cm) and body mass (kg):
/// squat jump 60.7·h + 45.3·m − 2055, countermovement jump 51.9·h + 48.9·m − 2007.
const SAYERS_SJ: (f64, f64, f64) = (60.7, 45.3, -2055.0);
const SAYERS_CMJ: (f64, f64, f64) = (51.9, 48.9, -2007.0);

/// Plausible body mass range for the power equations (kg).
const BODY_MASS_RANGE_KG: (f64, f64) = (20.0, 250.0);

fn event_time(events: &[Event], name: &str) -> Option<f64> {
    events.iter().find(|e| e.name == name).map(|e| e.time_s)
}

/// Event names that must appear in this order for each jump type (when present).
pub(super) fn event_order(jump: JumpType) -> &'static [&'static str] {
    use event_name::*;
    match jump {
        JumpType::Cmj => &[
            QUIET_STANDING,
            COUNTERMOVEMENT_START,
            LOWEST_POINT,
            TAKEOFF,
            PEAK,
            LANDING,
        ],
        JumpType::DropJump => &[BOX_LEAVE, FIRST_CONTACT, TAKEOFF, PEAK, LANDING],
        JumpType::SquatJump => &[SQUAT_HOLD, CONCENTRIC_START, TAKEOFF, PEAK, LANDING],
    }
}

/// Checks that the events needed for metrics are present and in chronological order.
pub(super) fn validate(jump: JumpType, events: &[Event]) -> Result<(), KinematicsError> {
    for required in [event_name::TAKEOFF, event_name::LANDING] {
        if event_time(events, required).is_none() {
            return Err(KinematicsError::InvalidEvents(format!(
                "the {required} event is missing"
            )));
        }
    }
    let mut previous: Option<(&str, f64)> = None;
    for name in event_order(jump) {
        let Some(t) = event_time(events, name) else {
            continue;
        };
        if !t.is_finite() {
            return Err(KinematicsError::InvalidEvents(format!(
                "{name} has no valid time"
            )));
        }
        if let Some((prev, tp)) = previous {
            if t <= tp {
                return Err(KinematicsError::InvalidEvents(format!(
                    "{name} ({t:.3} s) must come after {prev} ({tp:.3} s)"
                )));
            }
        }
        previous = Some((name, t));
    }
    Ok(())
}

/// Computes every applicable metric, rounded for stable JSON.
pub(super) fn compute(
    jump: JumpType,
    events: &[Event],
    trajectory: &[TrajectoryPoint],
    options: &Options,
) -> Result<Metrics, KinematicsError> {
    validate(jump, events)?;
    let t = |name: &str| event_time(events, name);
    let takeoff = t(event_name::TAKEOFF).unwrap_or(0.0);
    let landing = t(event_name::LANDING).unwrap_or(0.0);
    let flight_s = landing - takeoff;
    // Flight-time method (Bosco et al. 1983): the centre of mass rises for t/2 and falls
    // for t/2, so v0 = g·t/2 and h = v0²/(2g) = g·t²/8.
    let height_m = G * flight_s * flight_s / 8.0;
    let mut m = Metrics {
        jump_height_m: Some(round_to(height_m, 4)),
        flight_time_ms: Some(round_to(flight_s * 1000.0, 1)),
        takeoff_velocity_m_s: Some(round_to(G * flight_s / 2.0, 3)),
        ..Metrics::default()
    };

    let hip: Vec<(f64, f64)> = trajectory
        .iter()
        .filter_map(|p| Some((p.time_s, p.hip_height_m?)))
        .collect();
    let hip_at = |time: f64| interpolate(&hip, time);
    let velocity_extreme = |t0: f64, t1: f64, sign: f64| -> Option<f64> {
        let vel: Vec<(f64, f64)> = trajectory
            .iter()
            .filter_map(|p| Some((p.time_s, p.velocity_m_s?)))
            .collect();
        let inside = vel
            .iter()
            .filter(|(ts, _)| *ts >= t0 && *ts <= t1)
            .map(|(_, v)| sign * v);
        let ends = [interpolate(&vel, t0), interpolate(&vel, t1)]
            .into_iter()
            .flatten()
            .map(|v| sign * v);
        inside.chain(ends).reduce(f64::max)
    };
    let power = |coef: (f64, f64, f64)| -> Option<f64> {
        let mass = options
            .body_mass_kg
            .filter(|kg| (BODY_MASS_RANGE_KG.0..=BODY_MASS_RANGE_KG.1).contains(kg))?;
        let watts = coef.0 * height_m * 100.0 + coef.1 * mass + coef.2;
        (watts > 0.0).then(|| round_to(watts, 0))
    };

    match jump {
        JumpType::Cmj => {
            let start = t(event_name::COUNTERMOVEMENT_START);
            let lowest = t(event_name::LOWEST_POINT);
            if let Some(start) = start {
                m.rsi_mod = Some(round_to(height_m / (takeoff - start), 3));
            }
            if let (Some(start), Some(lowest)) = (start, lowest) {
                m.eccentric_duration_ms = Some(round_to((lowest - start) * 1000.0, 1));
                let standing = match t(event_name::QUIET_STANDING) {
                    Some(quiet) => mean(
                        &hip.iter()
                            .filter(|(ts, _)| *ts >= quiet && *ts <= start)
                            .map(|(_, h)| *h)
                            .collect::<Vec<_>>(),
                    )
                    .or_else(|| hip_at(start)),
                    None => hip_at(start),
                };
                if let (Some(standing), Some(bottom)) = (standing, hip_at(lowest)) {
                    m.countermovement_depth_m = Some(round_to((standing - bottom).max(0.0), 3));
                }
                m.peak_downward_velocity_m_s =
                    velocity_extreme(start, lowest, -1.0).map(|v| round_to(v.max(0.0), 3));
            }
            if let Some(lowest) = lowest {
                m.concentric_duration_ms = Some(round_to((takeoff - lowest) * 1000.0, 1));
                m.peak_upward_velocity_m_s =
                    velocity_extreme(lowest, takeoff, 1.0).map(|v| round_to(v.max(0.0), 3));
            }
            m.peak_power_w = power(SAYERS_CMJ);
        }
        JumpType::SquatJump => {
            if let Some(start) = t(event_name::CONCENTRIC_START) {
                m.concentric_duration_ms = Some(round_to((takeoff - start) * 1000.0, 1));
                m.peak_upward_velocity_m_s =
                    velocity_extreme(start, takeoff, 1.0).map(|v| round_to(v.max(0.0), 3));
            }
            m.peak_power_w = power(SAYERS_SJ);
        }
        JumpType::DropJump => {
            if let Some(contact) = t(event_name::FIRST_CONTACT) {
                let contact_s = takeoff - contact;
                m.contact_time_ms = Some(round_to(contact_s * 1000.0, 1));
                // RSI = flight time / contact time; its height-based form, jump height (m)
                // over contact time (s), is reported as rsi_mod (Flanagan & Comyns 2008).
                m.rsi = Some(round_to(flight_s / contact_s, 3));
                m.rsi_mod = Some(round_to(height_m / contact_s, 3));
            }
            if let Some(leave) = t(event_name::BOX_LEAVE) {
                // The feet's height above the floor while standing on the box.
                let feet: Vec<f64> = trajectory
                    .iter()
                    .filter(|p| p.time_s >= leave - 0.3 && p.time_s <= leave)
                    .filter_map(|p| p.foot_height_m)
                    .collect();
                m.drop_height_m = super::stats::median(&feet).map(|h| round_to(h.max(0.0), 3));
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, t: f64) -> Event {
        Event {
            name: name.to_string(),
            time_s: t,
            frame: 0,
            method: "test".to_string(),
        }
    }

    #[test]
    fn flight_time_method_and_rsi() {
        let events = [
            ev(event_name::FIRST_CONTACT, 1.0),
            ev(event_name::TAKEOFF, 1.2),
            ev(event_name::LANDING, 1.7),
        ];
        let m = compute(JumpType::DropJump, &events, &[], &Options::default()).unwrap();
        assert_eq!(m.flight_time_ms, Some(500.0));
        assert_eq!(m.jump_height_m, Some(round_to(9.81 * 0.25 / 8.0, 4)));
        assert_eq!(m.contact_time_ms, Some(200.0));
        assert_eq!(m.rsi, Some(2.5));
        assert_eq!(m.takeoff_velocity_m_s, Some(2.453));
        assert!(m.peak_power_w.is_none());
    }

    #[test]
    fn sayers_power_needs_mass() {
        let events = [ev(event_name::TAKEOFF, 1.0), ev(event_name::LANDING, 1.45)];
        let options = Options {
            body_mass_kg: Some(75.0),
            ..Options::default()
        };
        let m = compute(JumpType::SquatJump, &events, &[], &options).unwrap();
        let h_cm: f64 = 9.81 * 0.45 * 0.45 / 8.0 * 100.0;
        assert_eq!(
            m.peak_power_w,
            Some((60.7 * h_cm + 45.3 * 75.0 - 2055.0).round())
        );
    }

    #[test]
    fn events_out_of_order_are_refused() {
        let events = [ev(event_name::TAKEOFF, 1.5), ev(event_name::LANDING, 1.2)];
        let err = compute(JumpType::Cmj, &events, &[], &Options::default()).unwrap_err();
        assert_eq!(err.code(), "invalid_events");
        assert!(err.to_string().contains("landing"));
    }
}
