//! Accuracy on the hand-labelled development clips: per-clip jump height error against the
//! labels and against the peer (kinemotion 0.82.0, numbers from ../shared/PEER.md), and the
//! clips where no test jump can be measured must be refused. Fails when the median error
//! gets worse than the recorded baseline. Skips when ../shared/videos is absent.

mod clips;

use airtime_engine::{analyze, pose::PoseModel, ModelSource};
use airtime_kinematics::JumpType;
use serde::Deserialize;

#[derive(Deserialize)]
struct Baseline {
    median_abs_error_cm: f64,
    max_abs_error_cm: f64,
    /// Slack for the comparison, so the test guards against regressions, not noise.
    tolerance_cm: f64,
    /// Labelled clips the engine refuses today (a known gap, see docs/engine.md); any other
    /// refusal of a labelled clip fails the test, and so does measuring a clip expected to be
    /// refused.
    known_refusals: Vec<String>,
    /// The peer's jump height per clip (`null`: it failed).
    peer_height_cm: std::collections::BTreeMap<String, Option<f64>>,
}

fn jump_type(code: &str) -> JumpType {
    match code {
        "cmj" => JumpType::Cmj,
        "dj" => JumpType::DropJump,
        "sj" => JumpType::SquatJump,
        other => panic!("unknown jump type {other} in labels.json"),
    }
}

#[test]
fn jump_height_error_on_labelled_clips_stays_within_the_baseline() {
    let Some((dir, labels)) = clips::labels_or_skip("accuracy") else {
        return;
    };
    let baseline: Baseline =
        serde_json::from_str(include_str!("data/accuracy_baseline.json")).expect("baseline");
    let options = clips::options();
    let graphs = clips::graphs();
    let model = PoseModel::compile(&graphs).expect("the pose model compiles");

    let mut errors = Vec::new();
    let mut failures = Vec::new();
    println!(
        "{:<36}{:>9}{:>9}{:>8}{:>9}{:>8}{:>6}",
        "clip", "label", "ours", "err", "peer", "err", "conf"
    );
    for clip in &labels.clips {
        let path = dir.join(&clip.file);
        let requested = clip.jump_type.as_deref().map_or(JumpType::Cmj, jump_type);
        let outcome = analyze(
            &path,
            requested,
            ModelSource::Compiled(&model),
            &options,
            &mut |_| {},
        );
        match (clip.jump_height_cm, outcome) {
            (Some(label), Ok(a)) => {
                let ours = a.result.metrics.jump_height_m.expect("height") * 100.0;
                let err = ours - label;
                errors.push(err.abs());
                let peer = baseline.peer_height_cm.get(&clip.file).copied().flatten();
                println!(
                    "{:<36}{:>9.1}{:>9.1}{:>+8.1}{:>9}{:>8}{:>6.2}",
                    clip.file,
                    label,
                    ours,
                    err,
                    peer.map_or("fails".into(), |p| format!("{p:.1}")),
                    peer.map_or("–".into(), |p| format!("{:+.1}", p - label)),
                    a.result.confidence
                );
            }
            (Some(label), Err(e)) => {
                println!("{:<36}{:>9.1}  refused: {e}", clip.file, label);
                if !baseline.known_refusals.contains(&clip.file) {
                    failures.push(format!("{}: refused a measurable jump: {e}", clip.file));
                }
            }
            (None, Err(e)) => println!("{:<36}{:>9}  refused (expected): {e}", clip.file, "none"),
            (None, Ok(a)) => {
                let h = a.result.metrics.jump_height_m.unwrap_or(f64::NAN) * 100.0;
                println!(
                    "{:<36}{:>9}{:>9.1}  should have been refused",
                    clip.file, "none", h
                );
                failures.push(format!(
                    "{}: reported {h:.1} cm, expected a refusal",
                    clip.file
                ));
            }
        }
    }
    errors.sort_by(f64::total_cmp);
    let median = median(&errors);
    let max = errors.last().copied().unwrap_or(0.0);
    println!(
        "median |error| {median:.1} cm (baseline {:.1}), max {max:.1} cm (baseline {:.1}), {} clips",
        baseline.median_abs_error_cm,
        baseline.max_abs_error_cm,
        errors.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        median <= baseline.median_abs_error_cm + baseline.tolerance_cm,
        "median error {median:.2} cm is worse than the baseline {:.2} cm",
        baseline.median_abs_error_cm
    );
    assert!(
        max <= baseline.max_abs_error_cm + baseline.tolerance_cm,
        "max error {max:.2} cm is worse than the baseline {:.2} cm",
        baseline.max_abs_error_cm
    );
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
