//! Confidence 0–1 with the human reasons that lowered it. Each factor is a multiplier in
//! (0, 1]; a factor below `REASON_BELOW` is explained. Factors reflect what moves the
//! flight time, the number everything else derives from.

/// Factors at or above this are not worth a reason.
const REASON_BELOW: f64 = 0.97;

/// Mean landmark visibility at which tracking is trusted fully / least.
const VISIBILITY_GOOD: f64 = 0.85;
const VISIBILITY_POOR: f64 = 0.5;
/// Without the take-off events nothing confirms that the flight is the test the coach
/// filmed, and the movement was unusual (or unseen) just before the flight was timed.
const FLIGHT_ONLY_FACTOR: f64 = 0.8;

/// What the assessment looks at for one jump.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QualityInputs {
    /// Mean visibility of hips and feet around the jump.
    pub mean_visibility: f64,
    /// Fraction of the expected frames around the jump that have a pose.
    pub pose_coverage: f64,
    /// Time between the frames bracketing takeoff and landing (s).
    pub takeoff_gap_s: f64,
    pub landing_gap_s: f64,
    pub flight_s: f64,
    /// Sub-frame timing methods were used (arc projection) rather than frame midpoints.
    pub subframe_timing: bool,
    /// Scale came from the flight arc (else body proportions).
    pub scale_from_arc: bool,
    /// Arc residual in leg lengths, and the arc/body scale ratio.
    pub arc_rms_leg: Option<f64>,
    pub arc_rms_px: Option<f64>,
    pub scale_ratio: Option<f64>,
    /// Largest camera shift speed around the jump (leg lengths per second), when measured.
    pub camera_speed_leg_per_s: Option<f64>,
    /// Floor mismatch between takeoff and landing in metres.
    pub floor_mismatch_m: f64,
    /// Warnings the type detector raised (each costs a little).
    pub detector_warnings: usize,
    /// The take-off movement matched no jump type: only the flight was measured.
    pub flight_only: bool,
}

/// Score (rounded to 0.01) and reasons, most important first.
pub(super) fn assess(q: &QualityInputs) -> (f64, Vec<String>) {
    let mut factors: Vec<(f64, String)> = Vec::new();

    let vis = ((q.mean_visibility - VISIBILITY_POOR) / (VISIBILITY_GOOD - VISIBILITY_POOR))
        .clamp(0.0, 1.0);
    factors.push((
        0.4 + 0.6 * vis,
        format!(
            "hips or feet poorly visible (mean landmark visibility {:.2})",
            q.mean_visibility
        ),
    ));

    let missing = (1.0 - q.pose_coverage).clamp(0.0, 1.0);
    factors.push((
        (1.0 - 1.5 * missing).clamp(0.5, 1.0),
        format!(
            "{:.0} % of the frames around the jump were dropped or have no pose",
            missing * 100.0
        ),
    ));

    // After sub-frame refinement each edge is uncertain by roughly a quarter of its frame
    // interval; with frame midpoints, by half.
    let per_edge = if q.subframe_timing { 0.25 } else { 0.5 };
    let uncertainty_s = per_edge * (q.takeoff_gap_s + q.landing_gap_s);
    let relative = uncertainty_s / q.flight_s.max(0.05);
    let interval_ms = 500.0 * (q.takeoff_gap_s + q.landing_gap_s);
    factors.push((
        (1.0 - 2.0 * relative).clamp(0.5, 1.0),
        format!(
            "frame interval of {:.0} ms at takeoff/landing (≈{:.0} fps): flight time uncertain by about ±{:.0} ms",
            interval_ms,
            1000.0 / interval_ms.max(1.0),
            uncertainty_s * 1000.0
        ),
    ));

    if !q.scale_from_arc {
        factors.push((
            0.85,
            "flight too short or too sparsely sampled to measure the scale from its arc; depth and velocities use average body proportions".to_string(),
        ));
    }
    if let (Some(rms), Some(px)) = (q.arc_rms_leg, q.arc_rms_px) {
        factors.push((
            (1.0 - 10.0 * (rms - 0.01)).clamp(0.6, 1.0),
            format!("the hips' flight arc is noisy (residual {px:.1} px)"),
        ));
    }
    if let Some(ratio) = q.scale_ratio {
        let off = (ratio - 1.0).abs();
        factors.push((
            (1.0 - 0.5 * (off - 0.25)).clamp(0.8, 1.0),
            format!(
                "the scale from the flight arc differs from body proportions by {:.0} %",
                off * 100.0
            ),
        ));
    }
    if let Some(speed) = q.camera_speed_leg_per_s {
        factors.push((
            (1.0 - 0.3 * (speed - 0.2)).clamp(0.5, 1.0),
            format!("the camera moved during the jump ({speed:.1} leg lengths/s, compensated)"),
        ));
    }
    factors.push((
        (1.0 - 3.0 * (q.floor_mismatch_m - 0.02)).clamp(0.6, 1.0),
        format!(
            "the floor level moved {:.1} cm between takeoff and landing (camera tilt or pose error)",
            q.floor_mismatch_m * 100.0
        ),
    ));
    if q.flight_only {
        factors.push((
            FLIGHT_ONLY_FACTOR,
            "the movement before takeoff was not recognised: only the flight is measured"
                .to_string(),
        ));
    }
    if q.detector_warnings > 0 {
        factors.push((
            0.95_f64.max(1.0 - 0.05 * q.detector_warnings as f64),
            "the movement deviates from the test protocol (see warnings)".to_string(),
        ));
    }

    let score = factors
        .iter()
        .map(|(f, _)| *f)
        .product::<f64>()
        .clamp(0.0, 1.0);
    let mut low: Vec<&(f64, String)> = factors.iter().filter(|(f, _)| *f < REASON_BELOW).collect();
    // Most damaging first; equal factors keep their fixed order (stable sort).
    low.sort_by(|a, b| a.0.total_cmp(&b.0));
    (
        super::result::round_to(score, 2),
        low.into_iter().map(|(_, r)| r.clone()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> QualityInputs {
        QualityInputs {
            mean_visibility: 0.95,
            pose_coverage: 1.0,
            takeoff_gap_s: 1.0 / 240.0,
            landing_gap_s: 1.0 / 240.0,
            flight_s: 0.45,
            subframe_timing: true,
            scale_from_arc: true,
            arc_rms_leg: Some(0.002),
            arc_rms_px: Some(0.7),
            scale_ratio: Some(1.05),
            camera_speed_leg_per_s: None,
            floor_mismatch_m: 0.0,
            detector_warnings: 0,
            flight_only: false,
        }
    }

    #[test]
    fn clean_high_rate_clip_is_confident() {
        let (score, reasons) = assess(&good());
        assert!(score >= 0.97, "{score} {reasons:?}");
        assert!(reasons.is_empty());
    }

    #[test]
    fn low_frame_rate_and_visibility_are_explained() {
        let q = QualityInputs {
            mean_visibility: 0.6,
            takeoff_gap_s: 1.0 / 30.0,
            landing_gap_s: 1.0 / 30.0,
            ..good()
        };
        let (score, reasons) = assess(&q);
        assert!(score < 0.7, "{score}");
        assert!(reasons[0].contains("visible"), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("30 fps")), "{reasons:?}");
    }
}
