//! Counter-movement jumps at several frame rates, with noise, VFR, dropped frames,
//! missing poses and camera motion. Errors are printed (`cargo test -- --nocapture`).

use super::super::event_name as ev;
use super::super::JumpType;
use super::synth::{render, Body, ClipSpec, Cmj, View};
use super::{analyze, event, flight_error_ms};

/// 0.45 s of flight: h = g·t²/8 = 0.248 m.
const FLIGHT_S: f64 = 0.45;

fn cmj() -> Cmj {
    Cmj::new(1.5, FLIGHT_S)
}

/// Largest |flight-time error| (ms) and |height error| (m) over several noise seeds,
/// plus the result of the first seed for event checks.
fn run(spec: &ClipSpec, jump: &Cmj, seeds: u64) -> (f64, f64, super::KinematicsResult) {
    let body = Body::adult();
    let truth_height = 9.81 * jump.flight * jump.flight / 8.0;
    let mut worst = (0.0_f64, 0.0_f64);
    let mut first = None;
    for seed in 0..seeds {
        let spec = ClipSpec {
            seed: spec.seed + seed,
            ..spec.clone()
        };
        let series = render(&spec, &body, &|t| jump.kin(&body, t));
        let r = analyze(&series, JumpType::Cmj).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let fe = flight_error_ms(&r, jump.takeoff(), jump.landing());
        let he = r.metrics.jump_height_m.unwrap() - truth_height;
        worst = (worst.0.max(fe.abs()), worst.1.max(he.abs()));
        first.get_or_insert(r);
    }
    (worst.0, worst.1, first.unwrap())
}

fn check_events(r: &super::KinematicsResult, jump: &Cmj, tol_s: f64) {
    let near = |name: &str, truth: f64, tol: f64| {
        let t = event(r, name);
        assert!(
            (t - truth).abs() <= tol,
            "{name}: {t:.4} vs {truth:.4} (tol {tol})"
        );
    };
    near(ev::TAKEOFF, jump.takeoff(), tol_s);
    near(ev::LANDING, jump.landing(), tol_s);
    near(ev::PEAK, jump.takeoff() + jump.flight / 2.0, 0.01 + tol_s);
    near(ev::LOWEST_POINT, jump.lowest(), 0.04);
    near(ev::COUNTERMOVEMENT_START, jump.start, 0.05);
    let quiet = event(r, ev::QUIET_STANDING);
    assert!(quiet < jump.start - 0.3, "quiet standing at {quiet}");
}

#[test]
fn clean_cmj_is_exact_at_30_60_240_fps() {
    for fps in [30.0, 60.0, 240.0] {
        let (fe, he, r) = run(&ClipSpec::new(fps, 4.0), &cmj(), 1);
        eprintln!(
            "clean CMJ {fps} fps: flight error {fe:.2} ms, height error {:.2} mm",
            he * 1000.0
        );
        assert!(fe < 2.0, "{fps} fps flight error {fe} ms");
        assert!(he < 0.01, "{fps} fps height error {he} m");
        check_events(&r, &cmj(), 0.002);
        let depth = r.metrics.countermovement_depth_m.unwrap();
        assert!((depth - 0.30).abs() < 0.01, "depth {depth}");
        assert!((r.scale.px_per_m - 400.0).abs() < 4.0, "{:?}", r.scale);
        let up = r.metrics.peak_upward_velocity_m_s.unwrap();
        assert!(up > 2.0 && up < 3.2, "peak upward velocity {up}");
        assert!(r.metrics.peak_downward_velocity_m_s.unwrap() > 0.6);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
}

#[test]
fn noisy_vfr_cmj_within_8_ms_at_30_fps() {
    for fps in [30.0, 60.0, 240.0] {
        let spec = ClipSpec::new(fps, 4.0).realistic();
        let (fe, he, r) = run(&spec, &cmj(), 8);
        eprintln!(
            "noisy VFR CMJ {fps} fps (2 px noise, 4 % dropped, 2 % no pose, 8 seeds): worst flight error {fe:.2} ms, worst height error {:.2} mm, confidence {}",
            he * 1000.0,
            r.confidence
        );
        assert!(fe < 8.0, "{fps} fps flight error {fe} ms");
        assert!(he < 0.01, "{fps} fps height error {he} m");
        check_events(&r, &cmj(), 0.02);
        assert!((r.metrics.countermovement_depth_m.unwrap() - 0.30).abs() < 0.02);
    }
}

#[test]
fn heavier_noise_and_non_ballistic_hips_stay_within_a_frame() {
    let jump = Cmj {
        hip_sag: 0.015,
        tuck: 0.08,
        ..cmj()
    };
    let spec = ClipSpec {
        noise_px: 4.0,
        ..ClipSpec::new(30.0, 4.0).realistic()
    };
    let (fe, he, r) = run(&spec, &jump, 8);
    eprintln!(
        "4 px noise, tucked legs, sagging hips, 30 fps: worst flight error {fe:.2} ms, height error {:.2} mm",
        he * 1000.0
    );
    assert!(fe < 15.0, "flight error {fe} ms");
    assert!(r.confidence < 0.95);
}

#[test]
fn front_view_cmj() {
    let spec = ClipSpec {
        view: View::Front,
        ..ClipSpec::new(60.0, 4.0).realistic()
    };
    let (fe, he, r) = run(&spec, &cmj(), 4);
    eprintln!(
        "front view 60 fps: worst flight error {fe:.2} ms, height error {:.2} mm",
        he * 1000.0
    );
    assert!(fe < 6.0);
    check_events(&r, &cmj(), 0.02);
}

#[test]
fn slow_camera_tilt_and_pan_with_and_without_camera_shift() {
    for report_shift in [true, false] {
        let spec = ClipSpec {
            pan_px_s: (25.0, 12.0),
            tilt_amp_px: 15.0,
            report_shift,
            ..ClipSpec::new(30.0, 4.0).realistic()
        };
        let (fe, he, r) = run(&spec, &cmj(), 6);
        eprintln!(
            "hand-held drift (25/12 px/s pan + 15 px tilt), camera_shift given: {report_shift}: worst flight error {fe:.2} ms, height error {:.2} mm, depth {:?}",
            he * 1000.0,
            r.metrics.countermovement_depth_m
        );
        assert!(fe < 8.0, "flight error {fe}");
        let depth_tol = if report_shift { 0.02 } else { 0.04 };
        assert!((r.metrics.countermovement_depth_m.unwrap() - 0.30).abs() < depth_tol);
    }
}

#[test]
fn different_heights_are_measured() {
    for flight in [0.25, 0.35, 0.55, 0.7] {
        let jump = Cmj::new(1.2, flight);
        let (fe, he, _) = run(&ClipSpec::new(60.0, 4.0).realistic(), &jump, 3);
        eprintln!(
            "flight {flight} s at 60 fps: worst flight error {fe:.2} ms, height error {:.2} mm",
            he * 1000.0
        );
        // A 0.25 s flight (7.7 cm) rises at only 1.2 m/s, so pixel noise weighs twice as much.
        let tolerance = if flight < 0.3 { 10.0 } else { 6.0 };
        assert!(fe < tolerance, "flight {flight}: {fe} ms");
    }
}

#[test]
fn flight_time_error_distribution_over_40_noise_seeds() {
    let body = Body::adult();
    let jump = cmj();
    for fps in [30.0, 60.0] {
        let mut errors = Vec::new();
        for seed in 0..40 {
            let spec = ClipSpec {
                seed: 100 + seed,
                ..ClipSpec::new(fps, 4.0).realistic()
            };
            let series = render(&spec, &body, &|t| jump.kin(&body, t));
            let r = analyze(&series, JumpType::Cmj).unwrap();
            errors.push(flight_error_ms(&r, jump.takeoff(), jump.landing()));
        }
        let n = errors.len() as f64;
        let mean = errors.iter().sum::<f64>() / n;
        let rms = (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt();
        let max = errors.iter().fold(0.0_f64, |m, e| m.max(e.abs()));
        eprintln!("{fps} fps, 40 seeds of noise/VFR/drops: flight error mean {mean:.2} ms, RMS {rms:.2} ms, max {max:.2} ms");
        assert!(mean.abs() < 2.0, "bias {mean}");
        assert!(rms < 4.0, "rms {rms}");
        assert!(max < 8.0, "max {max}");
    }
}

#[test]
fn a_flight_whose_countermovement_went_unseen_is_measured_by_its_flight_only() {
    let body = Body::adult();
    let jump = cmj();
    let spec = ClipSpec::new(30.0, 4.0).realistic();
    let mut series = render(&spec, &body, &|t| jump.kin(&body, t));
    // The hips vanish for the whole countermovement (a passer-by, a hand-held camera
    // pointing at the floor): nothing before takeoff matches any jump type.
    for f in &mut series.frames {
        if f.time_s > jump.start - 0.2 && f.time_s < jump.takeoff() - 0.1 {
            if let Some(points) = &mut f.landmarks {
                for i in [
                    super::super::landmark::LEFT_HIP,
                    super::super::landmark::RIGHT_HIP,
                ] {
                    points[i].visibility = 0.0;
                }
            }
        }
    }
    let r = analyze(&series, JumpType::Cmj).expect("the flight itself is clean");
    let fe = flight_error_ms(&r, jump.takeoff(), jump.landing());
    eprintln!(
        "CMJ with unseen countermovement: flight error {fe:.2} ms, confidence {}, warnings {:?}",
        r.confidence, r.warnings
    );
    assert!(fe.abs() < 12.0, "flight error {fe} ms");
    assert!(r.warnings.iter().any(|w| w.code == "flight_only"));
    assert!(r.metrics.countermovement_depth_m.is_none());
    assert!(r.events.iter().all(|e| e.name != ev::LOWEST_POINT));
    assert!(
        r.confidence_reasons
            .iter()
            .any(|c| c.contains("only the flight")),
        "{:?}",
        r.confidence_reasons
    );
}
