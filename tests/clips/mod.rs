//! The development clips in `../shared/videos` (not committed; a user's clone has none) and
//! the pose model the tests analyse them with.

#![allow(dead_code)]

use std::path::PathBuf;

use airtime_engine::{load_pose_graphs, pose::PoseGraphs, AnalyzeOptions};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Labels {
    pub clips: Vec<LabelledClip>,
}

#[derive(Debug, Deserialize)]
pub struct LabelledClip {
    pub file: String,
    /// `None` for clips where no test jump can be measured.
    pub jump_type: Option<String>,
    pub jump_height_cm: Option<f64>,
    pub flight_time_ms: Option<f64>,
}

/// `../shared/videos` next to the checkout, or `AIRTIME_SHARED_VIDEOS`.
pub fn videos_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AIRTIME_SHARED_VIDEOS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/videos"));
    dir.join("labels.json").is_file().then_some(dir)
}

/// The clips for a test that needs them, or `None` with a message saying the test is skipped.
/// Under CI (`CI=true`) they must be there: a skip would hide a failure, so it panics.
pub fn videos_or_skip(test: &str) -> Option<PathBuf> {
    let dir = videos_dir();
    if dir.is_none() {
        missing(&format!(
            "{test}: ../shared/videos/labels.json not found (set AIRTIME_SHARED_VIDEOS)"
        ));
    }
    dir
}

/// Reports a prerequisite a test cannot run without. Under CI (`CI=true`) it must be there,
/// so the test fails; elsewhere the test says it skipped, where `cargo test` shows it (the
/// harness captures `eprintln!` and shows it only for failures, not writes to the stderr
/// handle).
pub fn missing(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what}; CI=true requires it"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}

/// The labelled clips, or `None` as [`videos_or_skip`].
pub fn labels_or_skip(test: &str) -> Option<(PathBuf, Labels)> {
    let dir = videos_or_skip(test)?;
    let text = std::fs::read_to_string(dir.join("labels.json")).expect("read labels.json");
    Some((dir, serde_json::from_str(&text).expect("parse labels.json")))
}

/// The model `make setup` fetches; a missing model is a setup error, not a skip.
pub fn pose_model() -> PathBuf {
    let path = std::env::var_os("AIRTIME_POSE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/pose_landmarker_lite.task")
        });
    assert!(
        path.is_file(),
        "pose model {} missing: run `make setup` (scripts/fetch-pose-model data/models)",
        path.display()
    );
    path
}

pub fn options() -> AnalyzeOptions {
    AnalyzeOptions::default()
}

/// The loaded networks, as the server's engine child holds them (compile with
/// `PoseModel::compile`).
pub fn graphs() -> PoseGraphs {
    load_pose_graphs(&pose_model()).expect("the pose model loads")
}
