//! Tests that need the real model file. They skip (with a message) when it is absent, so a
//! checkout without `make setup` still passes `cargo test`.

use std::path::PathBuf;

use super::*;

/// `AIRTIME_POSE_MODEL` overrides the default location (used when this module is built inside
/// another crate).
fn model_path() -> Option<PathBuf> {
    let path = std::env::var_os("AIRTIME_POSE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/pose_landmarker_lite.task")
        });
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipping: pose model not found at {} (run scripts/fetch-pose-model)",
            path.display()
        );
        None
    }
}

fn load() -> Option<PoseModel> {
    model_path().map(|p| PoseModel::load(&p).expect("model loads"))
}

#[test]
fn missing_model_names_the_fix() {
    let err = PoseModel::load("/nonexistent/pose_landmarker_lite.task".as_ref())
        .err()
        .unwrap();
    assert!(matches!(err, PoseError::ModelMissing { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("make setup") && msg.contains("scripts/fetch-pose-model"),
        "{msg}"
    );
}

#[test]
fn normalised_graphs_have_no_unsupported_ops() {
    let Some(path) = model_path() else { return };
    let bytes = std::fs::read(path).unwrap();
    let entries = asset::entries(&bytes).unwrap();
    for name in [asset::DETECTOR_ENTRY, asset::LANDMARKS_ENTRY] {
        let out = normalise::normalise(asset::entry(&entries, name).unwrap()).unwrap();
        let m = tract_tflite::tflite::root_as_model(&out).unwrap();
        let codes = m.operator_codes().unwrap();
        for op in m.subgraphs().unwrap().get(0).operators().unwrap() {
            let c = codes.get(op.opcode_index() as usize);
            let code = c.builtin_code().0.max(c.deprecated_builtin_code() as i32);
            use tract_tflite::tflite::BuiltinOperator as B;
            assert!(
                ![B::DEQUANTIZE.0, B::DENSIFY.0, B::DEPTH_TO_SPACE.0].contains(&code),
                "{name}: {code}"
            );
        }
    }
}

#[test]
fn blank_frames_have_nobody() {
    let Some(model) = load() else { return };
    let mut tracker = PoseTracker::new(&model);
    for (w, h) in [(640u32, 360u32), (360, 640)] {
        let data = vec![128u8; (w * h * 3) as usize];
        assert_eq!(
            tracker
                .track(&RgbImage {
                    width: w,
                    height: h,
                    data: &data
                })
                .unwrap(),
            None
        );
    }
}

#[test]
fn rejects_bad_buffers() {
    let Some(model) = load() else { return };
    let mut tracker = PoseTracker::new(&model);
    let data = vec![0u8; 10];
    let err = tracker
        .track(&RgbImage {
            width: 4,
            height: 4,
            data: &data,
        })
        .unwrap_err();
    assert!(matches!(err, PoseError::InvalidImage(_)));
}

#[test]
fn model_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PoseModel>();
}
