//! Whole clips: several jumps, walking, things we must refuse, determinism, the JSON
//! contract and hand corrections.

use super::super::event_name as ev;
use super::super::{apply_event_edits, recompute_metrics, EventEdit, JumpRole, JumpType, Options};
use super::synth::{render, walking, Body, ClipSpec, Cmj, Kin, SquatJump, View};
use super::{analyze, event};

fn two_cmjs() -> (Cmj, Cmj, impl Fn(&Body, f64) -> Kin) {
    let first = Cmj::new(1.0, 0.40);
    let second = Cmj::new(3.8, 0.50);
    (first, second, move |b: &Body, t: f64| {
        if t < 3.5 {
            first.kin(b, t)
        } else {
            second.kin(b, t)
        }
    })
}

#[test]
fn first_good_jump_is_the_test_and_the_other_is_reported() {
    let body = Body::adult();
    let (first, second, motion) = two_cmjs();
    let series = render(&ClipSpec::new(60.0, 6.0).realistic(), &body, &|t| {
        motion(&body, t)
    });
    let r = analyze(&series, JumpType::Cmj).unwrap();
    assert!((event(&r, ev::TAKEOFF) - first.takeoff()).abs() < 0.01);
    assert_eq!(r.jumps.len(), 2);
    assert_eq!(r.jumps[0].role, JumpRole::Test);
    assert_eq!(r.jumps[1].role, JumpRole::Other, "{:?}", r.jumps[1].reason);
    assert!((r.jumps[1].takeoff_time_s - second.takeoff()).abs() < 0.01);
    let other_flight = r.jumps[1].metrics.flight_time_ms.unwrap();
    assert!((other_flight - 500.0).abs() < 8.0, "{other_flight}");
    assert!(r.warnings.iter().any(|w| w.code == "several_jumps"));
}

#[test]
fn the_jump_matching_the_requested_type_is_picked() {
    let body = Body::adult();
    let sj = SquatJump::new(0.5, 0.35);
    let cmj = Cmj::new(5.0, 0.45);
    let motion = |t: f64| {
        if t < 4.6 {
            sj.kin(&body, t)
        } else {
            cmj.kin(&body, t)
        }
    };
    let series = render(&ClipSpec::new(60.0, 7.5).realistic(), &body, &motion);

    let as_cmj = analyze(&series, JumpType::Cmj).unwrap();
    assert!((event(&as_cmj, ev::TAKEOFF) - cmj.takeoff()).abs() < 0.01);
    assert_eq!(as_cmj.jumps[1].role, JumpRole::Rejected);
    assert_eq!(as_cmj.jumps[1].looks_like, Some(JumpType::SquatJump));
    // Summarised as the squat jump it is.
    assert!(as_cmj.jumps[1]
        .events
        .iter()
        .any(|e| e.name == ev::SQUAT_HOLD));
    assert!(as_cmj.jumps[1].metrics.concentric_duration_ms.is_some());
    eprintln!("SJ in a CMJ clip: {:?}", as_cmj.jumps[1].reason);

    let as_sj = analyze(&series, JumpType::SquatJump).unwrap();
    assert!((event(&as_sj, ev::TAKEOFF) - sj.takeoff()).abs() < 0.01);
    assert_eq!(as_sj.jumps[1].looks_like, Some(JumpType::Cmj));
}

#[test]
fn walking_without_jumping_is_refused() {
    let body = Body::adult();
    let across = ClipSpec {
        ppm: 150.0,
        ..ClipSpec::new(30.0, 4.0).realistic()
    };
    let series = render(&across, &body, &|t| walking(&body, t, -2.2));
    let err = analyze(&series, JumpType::Cmj).unwrap_err();
    eprintln!("walking across: {err}");
    assert_eq!(err.code(), "no_flight_phase");

    // Walking towards the camera: the athlete grows and the feet move down the image.
    let towards = ClipSpec {
        view: View::Front,
        zoom_per_s: 0.12,
        zoom_centre_y: 500.0,
        ppm: 300.0,
        ..ClipSpec::new(30.0, 4.0).realistic()
    };
    let series = render(&towards, &body, &|t| walking(&body, t, 0.0));
    let err = analyze(&series, JumpType::Cmj).unwrap_err();
    eprintln!("walking towards the camera, feet leaving the bottom of the image: {err}");
    assert!(
        ["no_flight_phase", "feet_not_visible"].contains(&err.code()),
        "{err}"
    );
}

#[test]
fn refusals_say_why() {
    let body = Body::adult();
    let cmj = Cmj::new(1.5, 0.45);
    let motion = |t: f64| cmj.kin(&body, t);
    let cases: Vec<(&str, ClipSpec, &str)> = vec![
        (
            "nobody in the clip",
            ClipSpec {
                no_pose_prob: 1.0,
                ..ClipSpec::new(30.0, 4.0)
            },
            "no_athlete",
        ),
        (
            "feet cut off",
            ClipSpec {
                feet_visibility: 0.2,
                ..ClipSpec::new(30.0, 4.0)
            },
            "feet_not_visible",
        ),
        (
            "fast pan, no camera_shift",
            ClipSpec {
                pan_px_s: (300.0, 250.0),
                pan_window_s: Some((1.9, 3.1)),
                ..ClipSpec::new(30.0, 4.0).realistic()
            },
            "camera_moving",
        ),
        (
            "fast pan with camera_shift",
            ClipSpec {
                pan_px_s: (700.0, 0.0),
                pan_window_s: Some((2.0, 2.6)),
                report_shift: true,
                ..ClipSpec::new(30.0, 4.0).realistic()
            },
            "camera_moving",
        ),
        (
            "zooming in",
            ClipSpec {
                zoom_per_s: 0.5,
                pan_window_s: Some((2.0, 2.9)),
                ..ClipSpec::new(30.0, 4.0).realistic()
            },
            "camera_moving",
        ),
    ];
    for (label, spec, code) in cases {
        let series = render(&spec, &body, &motion);
        let err = analyze(&series, JumpType::Cmj).unwrap_err();
        eprintln!("{label}: {err}");
        assert_eq!(err.code(), code, "{label}: {err}");
        assert!(err.to_string().starts_with("cannot analyse: "));
    }
}

#[test]
fn running_and_one_footed_jumps_are_refused() {
    let body = Body::adult();
    let cmj = Cmj::new(1.5, 0.45);
    let running = |t: f64| {
        let mut k = cmj.kin(&body, t);
        let dx = 2.0 * (t - cmj.takeoff());
        k.hip_x += dx;
        for f in &mut k.feet {
            f.toe_x += dx;
        }
        k
    };
    let spec = ClipSpec {
        ppm: 120.0,
        ..ClipSpec::new(30.0, 4.0).realistic()
    };
    let series = render(&spec, &body, &running);
    let err = analyze(&series, JumpType::Cmj).unwrap_err();
    eprintln!("running jump: {err}");
    assert_eq!(err.code(), "not_this_jump_type");

    let one_foot = |t: f64| {
        let mut k = cmj.kin(&body, t);
        if t > cmj.takeoff() - 0.35 && t < cmj.takeoff() {
            k.feet[1].toe_z += 0.25;
        }
        k
    };
    let series = render(&ClipSpec::new(30.0, 4.0).realistic(), &body, &one_foot);
    let err = analyze(&series, JumpType::Cmj).unwrap_err();
    eprintln!("one-foot takeoff: {err}");
    assert!(err.to_string().contains("one foot"), "{err}");
}

#[test]
fn same_input_gives_byte_identical_json_in_any_frame_order() {
    let body = Body::adult();
    let (_, _, motion) = two_cmjs();
    let series = render(&ClipSpec::new(30.0, 6.0).realistic(), &body, &|t| {
        motion(&body, t)
    });
    let a = serde_json::to_string(&analyze(&series, JumpType::Cmj).unwrap()).unwrap();
    let b = serde_json::to_string(&analyze(&series, JumpType::Cmj).unwrap()).unwrap();
    assert_eq!(a, b);
    let mut shuffled = series.clone();
    shuffled.frames.reverse();
    shuffled.frames.swap(3, 40);
    let c = serde_json::to_string(&analyze(&shuffled, JumpType::Cmj).unwrap()).unwrap();
    assert_eq!(a, c);
    // Rounded floats: no long binary expansions in the JSON.
    assert!(!a.contains("0000000"), "unrounded float in JSON");
}

#[test]
fn json_contract_names() {
    let body = Body::adult();
    let cmj = Cmj::new(1.5, 0.45);
    let series = render(&ClipSpec::new(60.0, 4.0), &body, &|t| cmj.kin(&body, t));
    let options = Options {
        body_mass_kg: Some(75.0),
        ..Options::default()
    };
    let r = super::super::analyze_series(&series, JumpType::Cmj, &options).unwrap();
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "jump_type",
        "metrics",
        "events",
        "confidence",
        "confidence_reasons",
        "warnings",
        "jumps",
        "trajectory",
        "engine_version",
    ] {
        assert!(keys.contains(&k), "missing {k} in {keys:?}");
    }
    assert_eq!(json["jump_type"], "cmj");
    let metrics = json["metrics"].as_object().unwrap();
    for k in [
        "jump_height_m",
        "flight_time_ms",
        "takeoff_velocity_m_s",
        "rsi_mod",
        "countermovement_depth_m",
        "eccentric_duration_ms",
        "concentric_duration_ms",
        "peak_downward_velocity_m_s",
        "peak_upward_velocity_m_s",
        "peak_power_w",
    ] {
        assert!(metrics.contains_key(k), "missing metric {k}");
    }
    assert!(!metrics.contains_key("contact_time_ms") && !metrics.contains_key("rsi"));
    let event = &json["events"][0];
    for k in ["name", "time_s", "frame", "method"] {
        assert!(event.get(k).is_some(), "event lacks {k}");
    }
    let point = &json["trajectory"][0];
    for k in ["time_s", "hip_height_m", "foot_height_m", "velocity_m_s"] {
        assert!(point.get(k).is_some(), "trajectory point lacks {k}");
    }
    let back: super::super::KinematicsResult = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn browser_recompute_matches_and_hand_edits_move_metrics() {
    let body = Body::adult();
    let cmj = Cmj::new(1.5, 0.45);
    let series = render(&ClipSpec::new(30.0, 4.0).realistic(), &body, &|t| {
        cmj.kin(&body, t)
    });
    let options = Options::default();
    let r = analyze(&series, JumpType::Cmj).unwrap();
    let again = recompute_metrics(r.jump_type, &r.events, &r.trajectory, &options).unwrap();
    assert_eq!(again, r.metrics);

    let unchanged = apply_event_edits(&r, &[], &options).unwrap();
    assert_eq!(unchanged, r);

    let landing = event(&r, ev::LANDING);
    let edited = apply_event_edits(
        &r,
        &[EventEdit {
            name: "landing".into(),
            time_s: landing + 0.010,
        }],
        &options,
    )
    .unwrap();
    let before = r.metrics.flight_time_ms.unwrap();
    let after = edited.metrics.flight_time_ms.unwrap();
    assert!((after - before - 10.0).abs() < 0.15, "{before} -> {after}");
    assert!(edited.metrics.jump_height_m > r.metrics.jump_height_m);
    assert_eq!(
        edited.metrics.countermovement_depth_m,
        r.metrics.countermovement_depth_m
    );
    assert!(edited
        .events
        .iter()
        .any(|e| e.name == "landing" && e.method == "manual"));
    assert!(edited.warnings.iter().any(|w| w.code == "events_edited"));
    assert_eq!(edited.jumps[0].metrics, edited.metrics);

    let lowest = event(&r, ev::LOWEST_POINT);
    let deeper = apply_event_edits(
        &r,
        &[EventEdit {
            name: "lowest_point".into(),
            time_s: lowest - 0.1,
        }],
        &options,
    )
    .unwrap();
    assert!(deeper.metrics.countermovement_depth_m < r.metrics.countermovement_depth_m);

    let bad = apply_event_edits(
        &r,
        &[EventEdit {
            name: "landing".into(),
            time_s: 0.5,
        }],
        &options,
    )
    .unwrap_err();
    assert_eq!(bad.code(), "invalid_events");
    let unknown = apply_event_edits(
        &r,
        &[EventEdit {
            name: "first_contact".into(),
            time_s: 2.0,
        }],
        &options,
    )
    .unwrap_err();
    eprintln!("unknown event edit: {unknown}");
    assert_eq!(unknown.code(), "invalid_events");
}
