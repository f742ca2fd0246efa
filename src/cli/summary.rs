//! The readable summary `airtime analyze` prints.

use std::fmt::Write;
use std::path::Path;

use airtime_kinematics::{Analysis, JumpRole};

use crate::labels::metric_rows;

pub fn render(video: &Path, a: &Analysis) -> String {
    let r = &a.result;
    let mut out = String::new();
    let name = video.file_name().map_or_else(
        || video.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let _ = writeln!(out, "{} — {}", capitalise(r.jump_type.name()), name);
    for row in metric_rows(&r.metrics) {
        let _ = writeln!(out, "  {:<26}{:>12}", row.label, row.display());
    }
    let _ = writeln!(out, "\nEvents");
    for e in &r.events {
        let _ = writeln!(
            out,
            "  {:<22}{:>9.3} s  frame {:<6} {}",
            e.name, e.time_s, e.frame, e.method
        );
    }
    let _ = writeln!(out, "\nConfidence {:.2}", r.confidence);
    for reason in &r.confidence_reasons {
        let _ = writeln!(out, "  - {reason}");
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings");
        for w in &r.warnings {
            let _ = writeln!(out, "  - {}", w.message);
        }
    }
    let others: Vec<_> = r
        .jumps
        .iter()
        .filter(|j| j.role != JumpRole::Test)
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "\nOther movement in the clip");
        for j in others {
            let height = j
                .metrics
                .jump_height_m
                .map_or_else(String::new, |h| format!(", {:.1} cm", h * 100.0));
            let why = j
                .reason
                .as_deref()
                .map_or_else(String::new, |r| format!(" ({r})"));
            let _ = writeln!(
                out,
                "  - flight at {:.2}–{:.2} s{height}{why}",
                j.takeoff_time_s, j.landing_time_s
            );
        }
    }
    let v = &a.video;
    let _ = writeln!(
        out,
        "\n{} frames decoded ({}×{} {}), {} posed, {:.1} s",
        v.frames_decoded,
        v.width,
        v.height,
        v.codec,
        v.frames_posed,
        a.timings.total_ms as f64 / 1000.0
    );
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
