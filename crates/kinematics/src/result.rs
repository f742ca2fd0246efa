//! The result contract users script against. Field names are part of the API: units are
//! suffixes (`_m`, `_ms`, `_m_s`, `_w`), absent metrics are omitted, and every float is
//! rounded to a fixed number of decimals so the JSON is byte-identical run after run.

use serde::{Deserialize, Serialize};

use super::series::JumpType;

/// Version of the analysis. Bump when an algorithm change can move a reported number.
pub const ENGINE_VERSION: &str = "airtime-kinematics 0.1.0";

/// Event names (stable strings in the JSON).
pub mod event_name {
    pub const QUIET_STANDING: &str = "quiet_standing";
    pub const COUNTERMOVEMENT_START: &str = "countermovement_start";
    pub const LOWEST_POINT: &str = "lowest_point";
    pub const SQUAT_HOLD: &str = "squat_hold";
    pub const CONCENTRIC_START: &str = "concentric_start";
    pub const BOX_LEAVE: &str = "box_leave";
    pub const FIRST_CONTACT: &str = "first_contact";
    pub const TAKEOFF: &str = "takeoff";
    pub const PEAK: &str = "peak";
    pub const LANDING: &str = "landing";
}

/// Detection method reported for events corrected by hand.
pub const METHOD_MANUAL: &str = "manual";

/// Rounds to `decimals` (0–6) decimal places. Uses a table instead of `powi` so the
/// result is the same on every platform.
pub fn round_to(value: f64, decimals: usize) -> f64 {
    const SCALE: [f64; 7] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];
    let s = SCALE[decimals.min(6)];
    let r = (value * s).round() / s;
    // Avoid "-0.0" in the JSON.
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Jump metrics; every field is optional and omitted from the JSON when not applicable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metrics {
    /// Flight-time jump height h = g·t²/8 (m).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jump_height_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flight_time_ms: Option<f64>,
    /// Takeoff velocity from flight time, v = g·t/2 (m/s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub takeoff_velocity_m_s: Option<f64>,
    /// Drop jump ground contact time (first contact → takeoff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_time_ms: Option<f64>,
    /// Reactive strength index = flight time / contact time (drop jump).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsi: Option<f64>,
    /// Jump height (m) / contact time (s): for a drop jump the ground contact, for a
    /// countermovement jump the time to takeoff (RSImod, Ebben & Petushek 2010).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsi_mod: Option<f64>,
    /// Standing hip height minus lowest hip height (m).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub countermovement_depth_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eccentric_duration_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concentric_duration_ms: Option<f64>,
    /// Largest downward hip speed during the countermovement (m/s, positive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_downward_velocity_m_s: Option<f64>,
    /// Largest upward hip speed before takeoff (m/s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_upward_velocity_m_s: Option<f64>,
    /// Estimated peak power (W, Sayers et al. 1999); only with body mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_power_w: Option<f64>,
    /// Drop jump: height of the box surface above the floor (m).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_height_m: Option<f64>,
}

/// A detected (or hand-corrected) instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    pub time_s: f64,
    /// Decoder index of the frame nearest in time.
    pub frame: u32,
    /// How it was found, e.g. "foot_clearance+hip_arc", "hip_velocity_zero_crossing", "manual".
    pub method: String,
}

/// A non-fatal problem with the measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

impl Warning {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Warning {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// What a jump found in the clip is to this result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JumpRole {
    /// The jump the metrics are about.
    Test,
    /// A measurable jump that was not chosen (a later one, or a replay).
    Other,
    /// Found but not measurable as the requested test; `reason` says why.
    Rejected,
}

/// One jump found in the clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JumpSummary {
    /// Order of appearance in the clip (0 = first flight found).
    pub index: u32,
    pub role: JumpRole,
    /// The jump type this movement resembles, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub looks_like: Option<JumpType>,
    pub takeoff_time_s: f64,
    pub landing_time_s: f64,
    pub events: Vec<Event>,
    pub metrics: Metrics,
    pub confidence: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub warnings: Vec<Warning>,
}

/// One chart sample (metres, up positive, relative to the floor under the athlete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryPoint {
    pub frame: u32,
    pub time_s: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hip_height_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub foot_height_m: Option<f64>,
    /// Vertical hip velocity (m/s, up positive).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub velocity_m_s: Option<f64>,
}

/// How pixels were converted to metres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    pub px_per_m: f64,
    /// "flight_arc" (curvature of the hips' flight parabola = g·px_per_m/2) or
    /// "body_proportions" (leg length in pixels over an average leg length).
    pub method: String,
}

/// Everything the analysis of one clip reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KinematicsResult {
    pub jump_type: JumpType,
    pub metrics: Metrics,
    pub events: Vec<Event>,
    /// 0–1; see `confidence_reasons` for why it is not 1.
    pub confidence: f64,
    pub confidence_reasons: Vec<String>,
    pub warnings: Vec<Warning>,
    /// Every jump found; the test jump first, the others in time order.
    pub jumps: Vec<JumpSummary>,
    /// Per-frame series of the test jump's part of the clip (full rate around the jump,
    /// thinned elsewhere).
    pub trajectory: Vec<TrajectoryPoint>,
    pub scale: Scale,
    pub engine_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_fixed_and_never_negative_zero() {
        assert_eq!(round_to(0.248_04, 3), 0.248);
        assert_eq!(round_to(-0.000_04, 3).to_bits(), 0.0_f64.to_bits());
        assert_eq!(round_to(449.96, 1), 450.0);
    }

    #[test]
    fn jump_type_codes_in_json() {
        let m = Metrics {
            jump_height_m: Some(0.25),
            ..Metrics::default()
        };
        assert_eq!(
            serde_json::to_string(&(JumpType::DropJump, m)).unwrap(),
            r#"["dj",{"jump_height_m":0.25}]"#
        );
    }
}
