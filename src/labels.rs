//! Words and units people read for what the engine reports (metrics, events, stages, jump
//! types), shared by the web pages, the CSV export and the CLI. The engine itself speaks in
//! codes and SI units.

use airtime_kinematics::{JumpType, Metrics, Stage};

/// Title for headings and choices.
pub fn jump_title(jump: JumpType) -> &'static str {
    match jump {
        JumpType::Cmj => "Countermovement jump",
        JumpType::DropJump => "Drop jump",
        JumpType::SquatJump => "Squat jump",
    }
}

/// What a progress bar says during each stage of an analysis.
pub fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Checking => "Checking the video",
        Stage::Tracking => "Tracking the athlete",
        Stage::Measuring => "Measuring the jump",
        Stage::Done => "Done",
    }
}

/// One metric ready to show: label, value in display units, unit.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// The metric's JSON name.
    pub key: &'static str,
    pub label: &'static str,
    pub value: f64,
    pub unit: &'static str,
    /// Decimals worth showing in `unit`.
    pub decimals: usize,
}

impl MetricRow {
    /// The name in the unit shown (`jump_height_cm` for `jump_height_m` shown in cm): pages
    /// mark metric cards with it so scripts read the number they see.
    pub fn display_key(&self) -> String {
        match (self.unit, self.key.strip_suffix("_m")) {
            ("cm", Some(stem)) => format!("{stem}_cm"),
            _ => self.key.to_string(),
        }
    }

    /// The value with the decimals worth showing, without the unit.
    pub fn value_text(&self) -> String {
        format!("{:.*}", self.decimals, self.value)
    }

    pub fn display(&self) -> String {
        format!("{:.*} {}", self.decimals, self.value, self.unit)
            .trim_end()
            .to_string()
    }
}

/// One metric as listed: key, label, value in SI units, factor to the shown unit, the unit, and
/// decimals shown.
type MetricSpec = (
    &'static str,
    &'static str,
    Option<f64>,
    f64,
    &'static str,
    usize,
);

/// The metrics present, in reading order, converted to coach-friendly units (cm, ms).
pub fn metric_rows(m: &Metrics) -> Vec<MetricRow> {
    let rows: [MetricSpec; 13] = [
        (
            "jump_height_m",
            "Jump height",
            m.jump_height_m,
            100.0,
            "cm",
            1,
        ),
        (
            "flight_time_ms",
            "Flight time",
            m.flight_time_ms,
            1.0,
            "ms",
            0,
        ),
        (
            "contact_time_ms",
            "Ground contact time",
            m.contact_time_ms,
            1.0,
            "ms",
            0,
        ),
        ("rsi", "Reactive strength index", m.rsi, 1.0, "", 2),
        (
            "rsi_mod",
            "RSI (height / contact)",
            m.rsi_mod,
            1.0,
            "m/s",
            2,
        ),
        (
            "takeoff_velocity_m_s",
            "Takeoff velocity",
            m.takeoff_velocity_m_s,
            1.0,
            "m/s",
            2,
        ),
        (
            "countermovement_depth_m",
            "Countermovement depth",
            m.countermovement_depth_m,
            100.0,
            "cm",
            1,
        ),
        (
            "eccentric_duration_ms",
            "Eccentric phase",
            m.eccentric_duration_ms,
            1.0,
            "ms",
            0,
        ),
        (
            "concentric_duration_ms",
            "Concentric phase",
            m.concentric_duration_ms,
            1.0,
            "ms",
            0,
        ),
        (
            "peak_downward_velocity_m_s",
            "Peak downward velocity",
            m.peak_downward_velocity_m_s,
            1.0,
            "m/s",
            2,
        ),
        (
            "peak_upward_velocity_m_s",
            "Peak upward velocity",
            m.peak_upward_velocity_m_s,
            1.0,
            "m/s",
            2,
        ),
        (
            "peak_power_w",
            "Peak power (estimated)",
            m.peak_power_w,
            1.0,
            "W",
            0,
        ),
        (
            "drop_height_m",
            "Drop height",
            m.drop_height_m,
            100.0,
            "cm",
            1,
        ),
    ];
    rows.into_iter()
        .filter_map(|(key, label, value, factor, unit, decimals)| {
            value.map(|v| MetricRow {
                key,
                label,
                value: v * factor,
                unit,
                decimals,
            })
        })
        .collect()
}

/// An event's name in words: `lowest_point` → `Lowest point`.
pub fn event_label(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_show_in_centimetres_and_absent_metrics_are_skipped() {
        let m = Metrics {
            jump_height_m: Some(0.394),
            rsi: Some(1.234),
            ..Metrics::default()
        };
        let rows = metric_rows(&m);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].display(), "39.4 cm");
        assert_eq!(rows[1].display(), "1.23");
        assert_eq!(rows[0].display_key(), "jump_height_cm");
        assert_eq!(rows[1].display_key(), "rsi");
        assert_eq!(rows[0].value_text(), "39.4");
        assert_eq!(event_label("lowest_point"), "Lowest point");
    }
}
