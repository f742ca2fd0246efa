//! Squat jumps: squat hold, push without countermovement, flight.

use super::super::event_name as ev;
use super::super::{JumpType, Options};
use super::synth::{render, Body, ClipSpec, Cmj, SquatJump};
use super::{analyze, event, flight_error_ms};

#[test]
fn squat_jump_events_and_power() {
    let body = Body::adult();
    let jump = SquatJump::new(0.8, 0.40);
    for (fps, realistic) in [(30.0, false), (30.0, true), (60.0, true), (240.0, true)] {
        let mut spec = ClipSpec::new(fps, 4.5);
        if realistic {
            spec = spec.realistic();
        }
        let series = render(&spec, &body, &|t| jump.kin(&body, t));
        let options = Options {
            body_mass_kg: Some(80.0),
            ..Options::default()
        };
        let r = super::super::analyze_series(&series, JumpType::SquatJump, &options).unwrap();
        let fe = flight_error_ms(&r, jump.takeoff(), jump.landing());
        let hold = event(&r, ev::SQUAT_HOLD);
        let push = event(&r, ev::CONCENTRIC_START);
        eprintln!(
            "SJ {fps} fps noisy={realistic}: flight error {fe:.2} ms, hold from {hold:.3} (squat reached {:.3}), push {push:.3} (truth {:.3}), power {:?}",
            jump.start + jump.down,
            jump.push(),
            r.metrics.peak_power_w
        );
        assert!(fe.abs() < 8.0);
        assert!(
            hold > jump.start + jump.down - 0.2 && hold < jump.push() - 1.0,
            "hold {hold}"
        );
        assert!((push - jump.push()).abs() < 0.05, "push {push}");
        let h_cm = 100.0 * 9.81 * 0.4 * 0.4 / 8.0;
        let sayers = 60.7 * h_cm + 45.3 * 80.0 - 2055.0;
        assert!((r.metrics.peak_power_w.unwrap() - sayers).abs() < 60.0);
        assert!(r.metrics.countermovement_depth_m.is_none());
        assert!(r.metrics.concentric_duration_ms.unwrap() > 250.0);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
}

#[test]
fn small_dip_warns_and_large_dip_is_a_cmj() {
    let body = Body::adult();
    let spec = ClipSpec::new(60.0, 4.5).realistic();
    let small = SquatJump {
        dip: 0.05,
        ..SquatJump::new(0.8, 0.40)
    };
    let series = render(&spec, &body, &|t| small.kin(&body, t));
    let r = analyze(&series, JumpType::SquatJump).unwrap();
    let codes: Vec<&str> = r.warnings.iter().map(|w| w.code.as_str()).collect();
    eprintln!(
        "SJ with 5 cm dip: warnings {codes:?}, confidence {}",
        r.confidence
    );
    assert!(codes.contains(&"countermovement_before_push"));

    let large = SquatJump {
        dip: 0.15,
        ..SquatJump::new(0.8, 0.40)
    };
    let series = render(&spec, &body, &|t| large.kin(&body, t));
    let err = analyze(&series, JumpType::SquatJump).unwrap_err();
    eprintln!("SJ with 15 cm dip: {err}");
    assert_eq!(err.code(), "not_this_jump_type");
}

#[test]
fn cmj_is_not_a_squat_jump_and_squat_jump_is_not_a_cmj() {
    let body = Body::adult();
    let spec = ClipSpec::new(60.0, 4.5).realistic();
    let cmj = Cmj::new(1.5, 0.45);
    let series = render(&spec, &body, &|t| cmj.kin(&body, t));
    let err = analyze(&series, JumpType::SquatJump).unwrap_err();
    eprintln!("CMJ analysed as SJ: {err}");
    assert!(
        err.to_string()
            .contains("looks like a countermovement jump"),
        "{err}"
    );

    let sj = SquatJump::new(0.8, 0.40);
    let series = render(&spec, &body, &|t| sj.kin(&body, t));
    let err = analyze(&series, JumpType::Cmj).unwrap_err();
    eprintln!("SJ analysed as CMJ: {err}");
    assert!(err.to_string().contains("looks like a squat jump"), "{err}");
}
