//! Drop jumps: box drop, short ground contact, rebound.

use super::super::event_name as ev;
use super::super::JumpType;
use super::synth::{render, Body, ClipSpec, DropJump};
use super::{analyze, event};

fn dj() -> DropJump {
    DropJump::new(1.2, 0.40, 0.20, 0.50)
}

fn contact_and_flight_errors(
    spec: &ClipSpec,
    jump: &DropJump,
    seeds: u64,
) -> (f64, f64, super::KinematicsResult) {
    let body = Body::adult();
    let mut worst = (0.0_f64, 0.0_f64);
    let mut first = None;
    for seed in 0..seeds {
        let spec = ClipSpec {
            seed: spec.seed + seed,
            ..spec.clone()
        };
        let series = render(&spec, &body, &|t| jump.kin(&body, t));
        let r = analyze(&series, JumpType::DropJump).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let contact = r.metrics.contact_time_ms.unwrap() - jump.contact * 1000.0;
        let flight = r.metrics.flight_time_ms.unwrap() - jump.flight * 1000.0;
        worst = (worst.0.max(contact.abs()), worst.1.max(flight.abs()));
        first.get_or_insert(r);
    }
    (worst.0, worst.1, first.unwrap())
}

#[test]
fn clean_drop_jump_contact_and_flight() {
    for fps in [30.0, 60.0, 240.0] {
        let (ce, fe, r) = contact_and_flight_errors(&ClipSpec::new(fps, 4.0), &dj(), 1);
        eprintln!(
            "clean DJ {fps} fps: contact error {ce:.2} ms, flight error {fe:.2} ms, RSI {:?}",
            r.metrics.rsi
        );
        assert!(ce < 4.0 && fe < 3.0, "{fps} fps: contact {ce} flight {fe}");
        let rsi = r.metrics.rsi.unwrap();
        assert!((rsi - 2.5).abs() < 0.06, "RSI {rsi}");
        let drop = r.metrics.drop_height_m.unwrap();
        assert!((drop - 0.40).abs() < 0.02, "drop height {drop}");
        assert!((event(&r, ev::FIRST_CONTACT) - dj().first_contact()).abs() < 0.004);
        assert!((event(&r, ev::LANDING) - dj().landing()).abs() < 0.004);
        assert!(
            (event(&r, ev::BOX_LEAVE) - dj().leave).abs() < 0.035,
            "{:?}",
            r.events
        );
        assert!(r.metrics.countermovement_depth_m.is_none());
    }
}

#[test]
fn noisy_vfr_drop_jump() {
    for fps in [30.0, 60.0, 240.0] {
        let (ce, fe, r) = contact_and_flight_errors(&ClipSpec::new(fps, 4.0).realistic(), &dj(), 8);
        eprintln!(
            "noisy VFR DJ {fps} fps (8 seeds): worst contact error {ce:.2} ms, worst flight error {fe:.2} ms, confidence {}",
            r.confidence
        );
        let tolerance = if fps < 50.0 { 8.0 } else { 6.0 };
        assert!(
            ce < tolerance && fe < tolerance,
            "{fps} fps: contact {ce} flight {fe}"
        );
    }
}

#[test]
fn drop_jump_clip_is_not_a_cmj_and_a_cmj_is_not_a_drop_jump() {
    let body = Body::adult();
    let spec = ClipSpec::new(60.0, 4.0).realistic();
    let jump = dj();
    let series = render(&spec, &body, &|t| jump.kin(&body, t));
    let err = analyze(&series, JumpType::Cmj).unwrap_err();
    eprintln!("DJ analysed as CMJ: {err}");
    assert_eq!(err.code(), "not_this_jump_type");
    assert!(err.to_string().contains("looks like a drop jump"), "{err}");

    let cmj = super::synth::Cmj::new(1.5, 0.45);
    let series = render(&spec, &body, &|t| cmj.kin(&body, t));
    let err = analyze(&series, JumpType::DropJump).unwrap_err();
    eprintln!("CMJ analysed as DJ: {err}");
    assert_eq!(err.code(), "not_this_jump_type");
}
