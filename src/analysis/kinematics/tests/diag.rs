use super::super::event_name as ev;
use super::super::JumpType;
use super::synth::{render, Body, ClipSpec, Cmj};
use super::{analyze, event};

#[test]
fn diag_seeds() {
    let body = Body::adult();
    for (label, jump, spec) in [
        ("short60", Cmj::new(1.2, 0.25), ClipSpec::new(60.0, 4.0).realistic()),
        ("short60 clean", Cmj::new(1.2, 0.25), ClipSpec::new(60.0, 4.0)),
    ] {
        for seed in 0..6 {
            let spec = ClipSpec { seed: spec.seed + seed, ..spec.clone() };
            let series = render(&spec, &body, &|t| jump.kin(&body, t));
            let r = analyze(&series, JumpType::Cmj).unwrap();
            eprintln!("{label} seed {seed}: to err {:.1} land err {:.1} scale {:?} {:?}",
                (event(&r, ev::TAKEOFF) - jump.takeoff()) * 1000.0,
                (event(&r, ev::LANDING) - jump.landing()) * 1000.0, r.scale, r.events.iter().map(|e| e.method.clone()).collect::<Vec<_>>());
        }
    }
}
