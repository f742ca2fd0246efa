//! Synthetic athletes for the tests: a 2-D stick figure with Winter's body proportions,
//! scripted motions whose takeoff and landing instants are known exactly, a camera that
//! can pan, tilt and zoom, and a decoder that jitters timestamps, drops frames and loses
//! the pose now and then. Noise comes from a tiny deterministic PRNG (SplitMix64).

use super::super::series::{PoseFrame, PoseSeries, PoseSource};
use super::super::Point;

pub const G: f64 = 9.81;

/// SplitMix64 (Steele et al. 2014): tiny, fast, and the same sequence everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Approximately standard normal (Irwin–Hall: sum of 12 uniforms − 6).
    pub fn gauss(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}

/// Segment lengths of a 1.78 m adult (Winter 2009 fractions of stature).
#[derive(Clone, Copy)]
pub struct Body {
    pub thigh: f64,
    pub shank: f64,
    pub foot: f64,
    pub ankle_h: f64,
    pub trunk: f64,
    pub upper_arm: f64,
    pub forearm: f64,
}

impl Body {
    pub fn adult() -> Self {
        let h = 1.78;
        Body {
            thigh: 0.245 * h,
            shank: 0.246 * h,
            foot: 0.152 * h,
            ankle_h: 0.039 * h,
            trunk: 0.288 * h,
            upper_arm: 0.186 * h,
            forearm: 0.146 * h,
        }
    }

    pub fn leg(&self) -> f64 {
        self.thigh + self.shank
    }

    /// Ankle height above the toe for a plantarflexion angle (rad).
    pub fn ankle_z(&self, theta: f64) -> f64 {
        0.75 * self.foot * theta.sin() + self.ankle_h * theta.cos()
    }

    /// Hip height with nearly straight legs standing on the toes at `theta`.
    pub fn extended_hip(&self, theta: f64) -> f64 {
        self.ankle_z(theta) + 0.99 * self.leg()
    }

    pub fn standing_hip(&self) -> f64 {
        self.extended_hip(0.0)
    }
}

/// One foot: toe position (forward x, height z) and plantarflexion angle.
#[derive(Clone, Copy, Debug)]
pub struct Foot {
    pub toe_x: f64,
    pub toe_z: f64,
    pub theta: f64,
}

/// The athlete's state at one instant (metres, radians).
#[derive(Clone, Copy, Debug)]
pub struct Kin {
    pub hip_x: f64,
    pub hip_z: f64,
    pub feet: [Foot; 2],
    /// Arm angle from hanging (positive = forward/up).
    pub arm: f64,
}

/// Ways of viewing the athlete.
#[derive(Clone, Copy, PartialEq)]
pub enum View {
    Side,
    Front,
}

/// Camera and decoder behaviour.
#[derive(Clone)]
pub struct ClipSpec {
    pub fps: f64,
    pub duration_s: f64,
    /// Timestamp jitter as a fraction of the frame interval (uniform ±half of it).
    pub jitter: f64,
    pub drop_prob: f64,
    pub no_pose_prob: f64,
    pub noise_px: f64,
    pub ppm: f64,
    pub view: View,
    /// Camera pan/tilt (px/s) moving the whole image, and a slow sinusoidal tilt (px).
    pub pan_px_s: (f64, f64),
    /// When set, the pan and zoom only happen between these times (s).
    pub pan_window_s: Option<(f64, f64)>,
    pub tilt_amp_px: f64,
    /// Zoom: relative scale change per second, about image row `zoom_centre_y`.
    pub zoom_per_s: f64,
    pub zoom_centre_y: f64,
    /// Whether the measured camera shift is handed to the analysis.
    pub report_shift: bool,
    /// Visibility reported for the feet (lower = poorly tracked).
    pub feet_visibility: f64,
    pub seed: u64,
}

impl ClipSpec {
    pub fn new(fps: f64, duration_s: f64) -> Self {
        ClipSpec {
            fps,
            duration_s,
            jitter: 0.0,
            drop_prob: 0.0,
            no_pose_prob: 0.0,
            noise_px: 0.0,
            ppm: 400.0,
            view: View::Side,
            pan_px_s: (0.0, 0.0),
            pan_window_s: None,
            tilt_amp_px: 0.0,
            zoom_per_s: 0.0,
            zoom_centre_y: FLOOR_PY,
            report_shift: false,
            feet_visibility: 0.9,
            seed: 1,
        }
    }

    /// Phone-like defects: ±30 % timestamp jitter, 4 % dropped frames, 2 % without pose,
    /// 2 px landmark noise.
    pub fn realistic(mut self) -> Self {
        self.jitter = 0.6;
        self.drop_prob = 0.04;
        self.no_pose_prob = 0.02;
        self.noise_px = 2.0;
        self
    }
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 1280;
const FLOOR_PY: f64 = 1150.0;
const CENTRE_PX: f64 = 360.0;

/// Renders a motion into a pose series as the decoder and pose model would deliver it.
pub fn render(spec: &ClipSpec, body: &Body, motion: &dyn Fn(f64) -> Kin) -> PoseSeries {
    let mut rng = Rng::new(spec.seed);
    let n = (spec.duration_s * spec.fps).round() as u32;
    let mut frames = Vec::new();
    for i in 0..n {
        let jitter = if i == 0 {
            0.0
        } else {
            spec.jitter * (rng.uniform() - 0.5)
        };
        let t = (f64::from(i) + jitter) / spec.fps;
        let dropped = i > 0 && rng.uniform() < spec.drop_prob;
        let no_pose = rng.uniform() < spec.no_pose_prob;
        if dropped {
            continue;
        }
        let panning = spec
            .pan_window_s
            .map_or(t, |(a, b)| (t - a).clamp(0.0, b - a));
        let shift = (
            spec.pan_px_s.0 * panning,
            spec.pan_px_s.1 * panning + spec.tilt_amp_px * (std::f64::consts::PI * t / 2.0).sin(),
        );
        let zoom = 1.0
            + spec.zoom_per_s
                * spec
                    .pan_window_s
                    .map_or(t, |(a, b)| (t - a).clamp(0.0, b - a));
        let landmarks = (!no_pose).then(|| {
            world_points(body, &motion(t), spec.view)
                .iter()
                .enumerate()
                .map(|(k, &(x, z, vis))| {
                    let feet = (27..=32).contains(&k);
                    let px =
                        CENTRE_PX + spec.ppm * zoom * x + shift.0 + spec.noise_px * rng.gauss();
                    let py = spec.zoom_centre_y + (FLOOR_PY - spec.zoom_centre_y) * zoom
                        - spec.ppm * zoom * z
                        + shift.1
                        + spec.noise_px * rng.gauss();
                    Point {
                        x: px as f32,
                        y: py as f32,
                        visibility: if feet {
                            spec.feet_visibility as f32
                        } else {
                            vis as f32
                        },
                    }
                })
                .collect()
        });
        frames.push(PoseFrame {
            frame: i,
            time_s: t,
            landmarks,
            camera_shift: spec
                .report_shift
                .then_some((shift.0 as f32, shift.1 as f32)),
        });
    }
    PoseSeries {
        frames,
        image_width: WIDTH,
        image_height: HEIGHT,
        source: PoseSource::Ideal,
    }
}

/// 33 BlazePose landmarks as (image-plane x in metres, height z, visibility).
fn world_points(b: &Body, k: &Kin, view: View) -> Vec<(f64, f64, f64)> {
    // (forward, lateral, height) per landmark, then projected for the view.
    let mut p = vec![(0.0, 0.0, 0.0); 33];
    let hip = (k.hip_x, k.hip_z);
    let squat = ((b.standing_hip() - k.hip_z) / 0.45).clamp(0.0, 1.0);
    let lean = 0.1 + 0.6 * squat;
    let shoulder = (hip.0 + b.trunk * lean.sin(), hip.1 + b.trunk * lean.cos());
    let nose = (shoulder.0 + 0.1, shoulder.1 + 0.2);
    for (side, lat) in [(0usize, -1.0), (1usize, 1.0)] {
        let foot = k.feet[side];
        let (c, s) = (foot.theta.cos(), foot.theta.sin());
        let toe = (foot.toe_x, foot.toe_z);
        let heel = (toe.0 - b.foot * c, toe.1 + b.foot * s);
        let ankle = (
            toe.0 - 0.75 * b.foot * c + b.ankle_h * s,
            toe.1 + 0.75 * b.foot * s + b.ankle_h * c,
        );
        let knee = knee(hip, ankle, b.thigh, b.shank);
        let sh = shoulder;
        let elbow = (
            sh.0 + b.upper_arm * k.arm.sin(),
            sh.1 - b.upper_arm * k.arm.cos(),
        );
        let wrist = (
            elbow.0 + b.forearm * (k.arm + 0.3).sin(),
            elbow.1 - b.forearm * (k.arm + 0.3).cos(),
        );
        let l = |x: (f64, f64), w: f64| (x.0, lat * w, x.1);
        p[11 + side] = l(sh, 0.18);
        p[13 + side] = l(elbow, 0.22);
        p[15 + side] = l(wrist, 0.24);
        p[17 + side] = l((wrist.0 + 0.03, wrist.1 - 0.08), 0.25);
        p[19 + side] = l((wrist.0 + 0.05, wrist.1 - 0.09), 0.24);
        p[21 + side] = l((wrist.0 + 0.04, wrist.1 - 0.04), 0.23);
        p[23 + side] = l(hip, 0.09);
        p[25 + side] = l(knee, 0.10);
        p[27 + side] = l(ankle, 0.12);
        p[29 + side] = l(heel, 0.12);
        p[31 + side] = l(toe, 0.12);
        p[1 + 3 * side] = l((nose.0 - 0.01, nose.1 + 0.03), 0.02);
        p[2 + 3 * side] = l((nose.0 - 0.015, nose.1 + 0.035), 0.035);
        p[3 + 3 * side] = l((nose.0 - 0.02, nose.1 + 0.035), 0.05);
        p[7 + side] = l((nose.0 - 0.09, nose.1 + 0.02), 0.08);
        p[9 + side] = l((nose.0 - 0.005, nose.1 - 0.04), 0.025);
    }
    p[0] = (nose.0, 0.0, nose.1);
    p.into_iter()
        .enumerate()
        .map(|(i, (fwd, lat, z))| {
            let far = i > 10 && i % 2 == 0;
            match view {
                View::Side => (fwd + 0.08 * lat, z, if far { 0.8 } else { 0.97 }),
                View::Front => (lat + 0.05 * fwd, z, 0.95),
            }
        })
        .collect()
}

/// Knee from two-link inverse kinematics, bending forward (+x).
fn knee(hip: (f64, f64), ankle: (f64, f64), thigh: f64, shank: f64) -> (f64, f64) {
    let (dx, dz) = (ankle.0 - hip.0, ankle.1 - hip.1);
    let d = (dx * dx + dz * dz).sqrt();
    let u = (dx / d, dz / d);
    if d >= thigh + shank {
        return (
            hip.0 + u.0 * thigh * d / (thigh + shank),
            hip.1 + u.1 * thigh * d / (thigh + shank),
        );
    }
    let a = (thigh * thigh - shank * shank + d * d) / (2.0 * d);
    let h = (thigh * thigh - a * a).max(0.0).sqrt();
    let n = (-u.1, u.0);
    let n = if n.0 < 0.0 { (-n.0, -n.1) } else { n };
    (hip.0 + a * u.0 + h * n.0, hip.1 + a * u.1 + h * n.1)
}

fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

fn ease(x: f64) -> f64 {
    0.5 * (1.0 - (std::f64::consts::PI * x.clamp(0.0, 1.0)).cos())
}

/// Cubic Hermite from (z0, v0) to (z1, v1) over `dur`, at `s` in [0, 1].
fn hermite(z0: f64, v0: f64, z1: f64, v1: f64, dur: f64, s: f64) -> f64 {
    let (s2, s3) = (s * s, s * s * s);
    (2.0 * s3 - 3.0 * s2 + 1.0) * z0
        + (s3 - 2.0 * s2 + s) * dur * v0
        + (-2.0 * s3 + 3.0 * s2) * z1
        + (s3 - s2) * dur * v1
}

/// Plantarflexion at takeoff (≈ 52°, toes last to leave) and at the first toe contact.
pub const THETA_TAKEOFF: f64 = 0.9;

fn feet_at(x: f64, z: f64, theta: f64) -> [Foot; 2] {
    [
        Foot {
            toe_x: x,
            toe_z: z,
            theta,
        },
        Foot {
            toe_x: x + 0.01,
            toe_z: z,
            theta,
        },
    ]
}

/// Flight, landing and recovery shared by all jumps. Returns `None` before takeoff.
struct Flight {
    takeoff: f64,
    duration: f64,
    hip_takeoff: f64,
    x: f64,
    /// Feet rise relative to the hips mid-flight (knee tuck), metres.
    tuck: f64,
    /// Hips sag relative to the centre of mass mid-flight, metres (non-ballistic hips).
    hip_sag: f64,
    land_depth: f64,
}

impl Flight {
    fn kin(&self, b: &Body, t: f64) -> Option<Kin> {
        let tau = t - self.takeoff;
        if tau < 0.0 {
            return None;
        }
        let v0 = G * self.duration / 2.0;
        let stand = b.standing_hip();
        if tau <= self.duration {
            let s = tau / self.duration;
            let bump = (std::f64::consts::PI * s).sin().powi(2);
            let rise = v0 * tau - 0.5 * G * tau * tau;
            let hip_z = self.hip_takeoff + rise - self.hip_sag * bump;
            let feet = feet_at(self.x, rise + self.tuck * bump, THETA_TAKEOFF);
            return Some(Kin {
                hip_x: self.x - 0.75 * b.foot,
                hip_z,
                feet,
                arm: 2.5,
            });
        }
        let after = tau - self.duration;
        let absorb = 0.3;
        let low = stand - self.land_depth;
        let (hip_z, arm) = if after < absorb {
            (
                hermite(self.hip_takeoff, -v0, low, 0.0, absorb, after / absorb),
                2.5 * (1.0 - after / absorb),
            )
        } else {
            (low + self.land_depth * ease((after - absorb) / 0.6), 0.0)
        };
        let theta = THETA_TAKEOFF * (1.0 - smoothstep(after / 0.06));
        // The hip can never be further from the ankle than the straight leg.
        let hip_z = hip_z.min(b.extended_hip(theta));
        Some(Kin {
            hip_x: self.x - 0.75 * b.foot,
            hip_z,
            feet: feet_at(self.x, 0.0, theta),
            arm,
        })
    }
}

/// A counter-movement jump starting from quiet standing.
#[derive(Clone, Copy)]
pub struct Cmj {
    pub start: f64,
    pub depth: f64,
    pub eccentric: f64,
    pub concentric: f64,
    pub flight: f64,
    pub x: f64,
    pub tuck: f64,
    pub hip_sag: f64,
}

impl Cmj {
    /// A 30 cm countermovement; the legs tuck 4 cm mid-flight in a 0.45 s flight, less in
    /// shorter ones (the tuck needs time: it scales with the square of the flight time).
    pub fn new(start: f64, flight: f64) -> Self {
        let tuck = 0.04 * (flight / 0.45) * (flight / 0.45);
        Cmj {
            start,
            depth: 0.30,
            eccentric: 0.5,
            concentric: 0.3,
            flight,
            x: 0.0,
            tuck,
            hip_sag: 0.0,
        }
    }
    pub fn lowest(&self) -> f64 {
        self.start + self.eccentric
    }
    pub fn takeoff(&self) -> f64 {
        self.lowest() + self.concentric
    }
    pub fn landing(&self) -> f64 {
        self.takeoff() + self.flight
    }

    pub fn kin(&self, b: &Body, t: f64) -> Kin {
        let stand = b.standing_hip();
        let hip_to = b.extended_hip(THETA_TAKEOFF);
        let flight = Flight {
            takeoff: self.takeoff(),
            duration: self.flight,
            hip_takeoff: hip_to,
            x: self.x,
            tuck: self.tuck,
            hip_sag: self.hip_sag,
            land_depth: 0.15,
        };
        if let Some(k) = flight.kin(b, t) {
            return k;
        }
        let hip_x = self.x - 0.75 * b.foot;
        if t < self.start {
            return Kin {
                hip_x,
                hip_z: stand,
                feet: feet_at(self.x, 0.0, 0.0),
                arm: 0.0,
            };
        }
        if t < self.lowest() {
            let s = (t - self.start) / self.eccentric;
            return Kin {
                hip_x: hip_x - 0.1 * ease(s),
                hip_z: stand - self.depth * ease(s),
                feet: feet_at(self.x, 0.0, 0.0),
                arm: -0.8 * ease(s),
            };
        }
        let s = (t - self.lowest()) / self.concentric;
        let v0 = G * self.flight / 2.0;
        let theta = THETA_TAKEOFF * smoothstep((s - 0.55) / 0.45);
        let hip_z = hermite(stand - self.depth, 0.0, hip_to, v0, self.concentric, s)
            .min(b.extended_hip(theta));
        Kin {
            hip_x: hip_x - 0.1 * (1.0 - s),
            hip_z,
            feet: feet_at(self.x, 0.0, theta),
            arm: -0.8 + 3.3 * smoothstep(s),
        }
    }
}

/// A squat jump: squat down, hold, push (optionally after a small dip).
#[derive(Clone, Copy)]
pub struct SquatJump {
    pub start: f64,
    pub depth: f64,
    pub down: f64,
    pub hold: f64,
    pub dip: f64,
    pub concentric: f64,
    pub flight: f64,
}

impl SquatJump {
    pub fn new(start: f64, flight: f64) -> Self {
        SquatJump {
            start,
            depth: 0.30,
            down: 0.8,
            hold: 1.5,
            dip: 0.0,
            concentric: 0.35,
            flight,
        }
    }
    pub fn push(&self) -> f64 {
        self.start + self.down + self.hold
    }
    pub fn takeoff(&self) -> f64 {
        self.push() + self.concentric
    }
    pub fn landing(&self) -> f64 {
        self.takeoff() + self.flight
    }

    pub fn kin(&self, b: &Body, t: f64) -> Kin {
        let stand = b.standing_hip();
        let hip_to = b.extended_hip(THETA_TAKEOFF);
        let flight = Flight {
            takeoff: self.takeoff(),
            duration: self.flight,
            hip_takeoff: hip_to,
            x: 0.0,
            tuck: 0.04,
            hip_sag: 0.0,
            land_depth: 0.15,
        };
        if let Some(k) = flight.kin(b, t) {
            return k;
        }
        let hip_x = -0.75 * b.foot;
        let feet = feet_at(0.0, 0.0, 0.0);
        let low = stand - self.depth;
        if t < self.start + self.down {
            let s = ease((t - self.start) / self.down);
            return Kin {
                hip_x: hip_x - 0.1 * s,
                hip_z: stand - self.depth * s,
                feet,
                arm: 0.0,
            };
        }
        let dip_len = 0.25;
        if t < self.push() {
            let s = (t - (self.push() - dip_len)) / dip_len;
            let dip = if s > 0.0 { self.dip * ease(s) } else { 0.0 };
            return Kin {
                hip_x: hip_x - 0.1,
                hip_z: low - dip,
                feet,
                arm: 0.0,
            };
        }
        let s = (t - self.push()) / self.concentric;
        let v0 = G * self.flight / 2.0;
        let theta = THETA_TAKEOFF * smoothstep((s - 0.55) / 0.45);
        let hip_z =
            hermite(low - self.dip, 0.0, hip_to, v0, self.concentric, s).min(b.extended_hip(theta));
        Kin {
            hip_x: hip_x - 0.1 * (1.0 - s),
            hip_z,
            feet: feet_at(0.0, theta.min(0.0) + 0.0, theta),
            arm: 0.0,
        }
    }
}

/// A drop jump from a box: stand on the box, step off, contact, rebound.
#[derive(Clone, Copy)]
pub struct DropJump {
    pub leave: f64,
    pub box_height: f64,
    pub contact: f64,
    pub flight: f64,
}

impl DropJump {
    pub fn new(leave: f64, box_height: f64, contact: f64, flight: f64) -> Self {
        DropJump {
            leave,
            box_height,
            contact,
            flight,
        }
    }
    /// Toe-first contact angle during the drop.
    const THETA_DROP: f64 = 0.15;
    const DRIFT_M_S: f64 = 0.6;

    pub fn first_contact(&self) -> f64 {
        self.leave + (2.0 * self.box_height / G).sqrt()
    }
    pub fn takeoff(&self) -> f64 {
        self.first_contact() + self.contact
    }
    pub fn landing(&self) -> f64 {
        self.takeoff() + self.flight
    }

    pub fn kin(&self, b: &Body, t: f64) -> Kin {
        let x_contact = Self::DRIFT_M_S * (self.first_contact() - self.leave);
        let hip_to = b.extended_hip(THETA_TAKEOFF);
        let flight = Flight {
            takeoff: self.takeoff(),
            duration: self.flight,
            hip_takeoff: hip_to,
            x: x_contact,
            tuck: 0.04,
            hip_sag: 0.0,
            land_depth: 0.15,
        };
        if let Some(k) = flight.kin(b, t) {
            return k;
        }
        let on_box = self.box_height + b.standing_hip();
        if t < self.leave {
            return Kin {
                hip_x: -0.75 * b.foot,
                hip_z: on_box,
                feet: feet_at(0.0, self.box_height, 0.0),
                arm: 0.0,
            };
        }
        let hip_drop = b.extended_hip(Self::THETA_DROP) + self.box_height;
        if t < self.first_contact() {
            // Free fall from the box (feet tilt toe-down as the athlete steps off).
            let tau = t - self.leave;
            let fall = 0.5 * G * tau * tau;
            let x = Self::DRIFT_M_S * tau;
            let theta = Self::THETA_DROP * smoothstep(tau / 0.08);
            let hip_z = on_box + (hip_drop - on_box) * smoothstep(tau / 0.08) - fall;
            // Feet keep their distance below the hips (rigid legs).
            let toe_z = hip_z - b.extended_hip(theta);
            return Kin {
                hip_x: x - 0.75 * b.foot,
                hip_z,
                feet: feet_at(x, toe_z, theta),
                arm: 0.0,
            };
        }
        let tau = t - self.first_contact();
        let s = tau / self.contact;
        let v_impact = G * (self.first_contact() - self.leave);
        let v0 = G * self.flight / 2.0;
        let theta = if s < 0.5 {
            Self::THETA_DROP * (1.0 - smoothstep(tau / 0.04))
        } else {
            THETA_TAKEOFF * smoothstep((s - 0.6) / 0.4)
        };
        let hip_z = hermite(
            hip_drop - self.box_height,
            -v_impact,
            hip_to,
            v0,
            self.contact,
            s,
        )
        .min(b.extended_hip(theta));
        Kin {
            hip_x: x_contact - 0.75 * b.foot,
            hip_z,
            feet: feet_at(x_contact, 0.0, theta),
            arm: 0.0,
        }
    }
}

/// Walking across the view at 1.2 m/s with a 1 s gait cycle (60 % stance, so one foot is
/// always on the floor).
pub fn walking(b: &Body, t: f64, x0: f64) -> Kin {
    let v = 1.2;
    let cycle = 1.0;
    let step = v * cycle;
    let mut feet = [Foot {
        toe_x: 0.0,
        toe_z: 0.0,
        theta: 0.0,
    }; 2];
    for (side, phase) in [(0usize, 0.0), (1usize, 0.5)] {
        let u = t / cycle + phase;
        let n = u.floor();
        let c = u - n;
        let planted = x0 + step * (n + 0.3 - phase) + 0.75 * b.foot;
        feet[side] = if c < 0.6 {
            let theta = 0.5 * smoothstep((c - 0.4) / 0.2);
            Foot {
                toe_x: planted,
                toe_z: 0.0,
                theta,
            }
        } else {
            let s = (c - 0.6) / 0.4;
            Foot {
                toe_x: planted + step * smoothstep(s),
                toe_z: 0.08 * (std::f64::consts::PI * s).sin(),
                theta: 0.5 * (1.0 - smoothstep(s / 0.3)),
            }
        };
    }
    let hip_z = b.standing_hip() - 0.03 + 0.02 * (4.0 * std::f64::consts::PI * t).cos();
    Kin {
        hip_x: x0 + v * t,
        hip_z,
        feet,
        arm: 0.3 * (2.0 * std::f64::consts::PI * t).sin(),
    }
}
