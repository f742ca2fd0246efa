//! Tests that need the real model file. When it is absent they say they skipped, so a checkout
//! without `make setup` still passes `cargo test`; under CI they fail instead.

use std::path::PathBuf;

use super::*;

/// Where `make setup` puts the model; `AIRTIME_POSE_MODEL` overrides it.
fn model_path() -> Option<PathBuf> {
    let path = std::env::var_os("AIRTIME_POSE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::test_support::checkout().join("data/models/pose_landmarker_lite.task")
        });
    if path.is_file() {
        Some(path)
    } else {
        crate::test_support::missing(&format!(
            "pose model not found at {} (run scripts/fetch-pose-model)",
            path.display()
        ));
        None
    }
}

fn load() -> Option<PoseGraphs> {
    model_path().map(|p| PoseGraphs::load(&p).expect("model loads"))
}

#[test]
fn missing_model_names_the_fix() {
    let err = PoseGraphs::load("/nonexistent/pose_landmarker_lite.task".as_ref())
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
fn missing_runtime_names_the_fix() {
    let Some(path) = model_path() else { return };
    let dir = std::env::temp_dir().join(format!("airtime-pose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let task = dir.join("pose_landmarker_lite.task");
    std::fs::copy(path, &task).unwrap();
    let err = PoseGraphs::load(&task).err().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    match &err {
        PoseError::ModelMissing { path } => assert!(path.ends_with("libLiteRt.so"), "{err}"),
        other => panic!("expected ModelMissing, got {other}"),
    }
    assert!(
        err.to_string().contains("scripts/fetch-pose-model"),
        "{err}"
    );
}

/// Calls `f` with a grey 360×640 frame holding a darker figure-sized block (not a person,
/// but it exercises both networks) and the whole frame as the region of interest.
fn with_figure_block(f: impl FnOnce(&RgbImage<'_>, &roi::Roi)) {
    let (w, h) = (360u32, 640u32);
    let mut data = vec![160u8; (w * h * 3) as usize];
    for y in 150..550 {
        for x in 140..220 {
            let i = ((y * w + x) * 3) as usize;
            data[i..i + 3].copy_from_slice(&[60, 50, 40]);
        }
    }
    let image = RgbImage {
        width: w,
        height: h,
        data: &data,
    };
    f(&image, &roi::Roi::letterbox(w, h).0);
}

#[test]
fn two_threads_get_the_same_answers() {
    let Some(graphs) = load() else { return };
    let model = PoseModel::compile(&graphs).expect("model compiles");
    // Whichever thread runs the networks and in whatever order.
    with_figure_block(|image, roi| {
        let run = || {
            let lm = model.landmarks(image, roi).unwrap();
            (lm.points, lm.presence, model.detect(image).unwrap())
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(run);
            let b = s.spawn(run);
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_eq!(format!("{:?}", a.2), format!("{:?}", b.2));
        assert_eq!(a.0, run().0);
    });
}

#[test]
fn the_second_landmark_network_gives_the_same_answers() {
    let Some(graphs) = load() else { return };
    let model = PoseModel::compile(&graphs).expect("model compiles");
    with_figure_block(|image, roi| {
        let first = model.landmarks(image, roi).unwrap();
        model.add_second_landmark_net().unwrap();
        model.add_second_landmark_net().unwrap();
        let second = model.landmarks_on_second_copy(image, roi).unwrap();
        assert_eq!(first.points, second.points);
        assert_eq!(first.presence, second.presence);
    });
}

#[test]
fn pruning_keeps_the_outputs_we_read_bit_identical() {
    let Some(path) = model_path() else { return };
    let bundle = std::fs::read(&path).unwrap();
    let entries = asset::entries(&bundle).unwrap();
    let full = asset::entry(&entries, asset::LANDMARKS_ENTRY)
        .unwrap()
        .to_vec();
    let mut pruned = full.clone();
    let kept = prune::keep_outputs(&mut pruned, &model::LANDMARK_OUTPUTS).unwrap();
    assert!(
        kept < 280,
        "only {kept} operators left is expected, not most of 305"
    );

    let runtime = litert::Runtime::load(&path.with_file_name(litert::LIBRARY_FILE)).unwrap();
    let outputs_of = |bytes: Vec<u8>| {
        let model = litert::Model::parse(&runtime, bytes, "landmarks").unwrap();
        let mut net = model
            .compile("landmarks", &[1, 256, 256, 3], litert::Threads::Two)
            .unwrap();
        let input: Vec<f32> = (0..256 * 256 * 3)
            .map(|i| (i % 251) as f32 / 251.0)
            .collect();
        net.run(&input, |outs| {
            outs.iter().map(|o| o.to_vec()).collect::<Vec<_>>()
        })
        .unwrap()
    };
    let (full_out, pruned_out) = (outputs_of(full), outputs_of(pruned));
    assert_eq!(full_out.len(), 5);
    assert_eq!(pruned_out.len(), 3);
    for out in &pruned_out {
        assert!(
            full_out.contains(out),
            "pruned output of {} values differs",
            out.len()
        );
    }
}

#[test]
fn pruning_refuses_a_graph_without_the_outputs() {
    let Some(path) = model_path() else { return };
    let bundle = std::fs::read(&path).unwrap();
    let entries = asset::entries(&bundle).unwrap();
    let mut detector = asset::entry(&entries, asset::DETECTOR_ENTRY)
        .unwrap()
        .to_vec();
    let err = prune::keep_outputs(&mut detector, &[195]).unwrap_err();
    assert!(
        err.to_string().contains("no output with 195 values"),
        "{err}"
    );
    let mut garbage = vec![0xffu8; 64];
    assert!(prune::keep_outputs(&mut garbage, &[1]).is_err());
}

#[test]
fn blank_frames_have_nobody() {
    let Some(graphs) = load() else { return };
    let model = PoseModel::compile(&graphs).expect("model compiles");
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
    let Some(graphs) = load() else { return };
    let model = PoseModel::compile(&graphs).expect("model compiles");
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
    assert_send_sync::<PoseGraphs>();
    assert_send_sync::<PoseModel<'static>>();
}
