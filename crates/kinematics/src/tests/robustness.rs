//! Hostile input must give an error or a result, never a panic, and degenerate input a
//! clear refusal.

use super::super::{analyze_series, JumpType, Options, Point, PoseFrame, PoseSeries, PoseSource};
use super::synth::{render, Body, ClipSpec, Cmj, Rng};
use super::{analyze, event};

fn frame(i: u32, t: f64, landmarks: Option<Vec<Point>>) -> PoseFrame {
    PoseFrame {
        frame: i,
        time_s: t,
        landmarks,
        camera_shift: None,
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng::new(7);
    for case in 0..40 {
        let n = (rng.uniform() * 200.0) as u32;
        let frames = (0..n)
            .map(|i| {
                let t = if rng.uniform() < 0.05 {
                    f64::NAN
                } else {
                    rng.uniform() * 10.0
                };
                let count = if rng.uniform() < 0.1 { 5 } else { 33 };
                let pose = (rng.uniform() < 0.9).then(|| {
                    (0..count)
                        .map(|_| Point {
                            x: (rng.uniform() * 900.0 - 100.0) as f32,
                            y: if rng.uniform() < 0.02 {
                                f32::INFINITY
                            } else {
                                (rng.uniform() * 1400.0) as f32
                            },
                            visibility: rng.uniform() as f32,
                        })
                        .collect()
                });
                frame(i, t, pose)
            })
            .collect();
        let series = PoseSeries {
            frames,
            image_width: 720,
            image_height: 1280,
            source: PoseSource::Ideal,
        };
        for jump in JumpType::ALL {
            if let Ok(r) = analyze_series(&series, jump, &Options::default()) {
                panic!(
                    "case {case}: random points gave a {} result: {:?}",
                    jump, r.metrics
                );
            }
        }
    }
}

#[test]
fn degenerate_inputs_are_refused_clearly() {
    let empty = PoseSeries {
        frames: vec![],
        image_width: 720,
        image_height: 1280,
        source: PoseSource::Ideal,
    };
    assert_eq!(
        analyze(&empty, JumpType::Cmj).unwrap_err().code(),
        "too_short"
    );
    let zero = PoseSeries {
        frames: vec![],
        image_width: 0,
        image_height: 0,
        source: PoseSource::Ideal,
    };
    assert_eq!(
        analyze(&zero, JumpType::Cmj).unwrap_err().code(),
        "invalid_input"
    );
    let same_time: Vec<PoseFrame> = (0..50).map(|i| frame(i, 1.0, None)).collect();
    let series = PoseSeries {
        frames: same_time,
        image_width: 720,
        image_height: 1280,
        source: PoseSource::Ideal,
    };
    assert_eq!(
        analyze(&series, JumpType::Cmj).unwrap_err().code(),
        "too_short"
    );
}

#[test]
fn standing_still_is_no_flight() {
    let body = Body::adult();
    let stand = Cmj::new(100.0, 0.45);
    let series = render(&ClipSpec::new(30.0, 5.0).realistic(), &body, &|t| {
        stand.kin(&body, t)
    });
    assert_eq!(
        analyze(&series, JumpType::Cmj).unwrap_err().code(),
        "no_flight_phase"
    );
}

#[test]
fn long_high_rate_clip_finds_the_jump() {
    let body = Body::adult();
    let jump = Cmj::new(14.0, 0.45);
    let series = render(&ClipSpec::new(240.0, 20.0).realistic(), &body, &|t| {
        jump.kin(&body, t)
    });
    let r = analyze(&series, JumpType::Cmj).unwrap();
    assert!((event(&r, "takeoff") - jump.takeoff()).abs() < 0.005);
    assert!(
        r.trajectory.len() < 1200,
        "trajectory not thinned: {}",
        r.trajectory.len()
    );
    assert!(r.trajectory.len() > 300);
}
