//! Input contract (what the decoder and the pose model hand us) and its clean-up:
//! frames sorted by presentation time, unusable frames dropped, camera motion removed.
//!
//! Nothing here assumes a constant frame rate: every later step works on the
//! presentation timestamps as given, so variable-frame-rate phone video, dropped
//! frames and frames without a pose are all handled by simply having fewer samples.

use serde::{Deserialize, Serialize};

/// One BlazePose landmark in image pixels (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
    /// Model's probability that the point is visible (0–1).
    pub visibility: f32,
}

/// One decoded frame with its exact presentation time and the pose found in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoseFrame {
    /// Decoder frame index (used only to label events with the nearest frame).
    pub frame: u32,
    /// Presentation timestamp in seconds.
    pub time_s: f64,
    /// The 33 BlazePose landmarks, or `None` when no person was found.
    pub landmarks: Option<Vec<Point>>,
    /// Background motion of this frame relative to frame 0 in pixels (x, y), when a
    /// stabiliser measured it (hand-held cameras).
    #[serde(default)]
    pub camera_shift: Option<(f32, f32)>,
}

/// The whole clip as seen by the pose model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoseSeries {
    pub frames: Vec<PoseFrame>,
    pub image_width: u32,
    pub image_height: u32,
    /// Which model produced the landmarks; flight timing corrects for its known biases.
    #[serde(default)]
    pub source: PoseSource,
}

/// Where the landmarks come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoseSource {
    /// Foot points that stay on the floor until the sole leaves it (synthetic athletes,
    /// marker-based tracking).
    #[default]
    Ideal,
    /// MediaPipe BlazePose: heel and toe points rise 2–4 cm with the ankle before the toe
    /// tips leave the floor.
    BlazePose,
}

/// The jump test the coach asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JumpType {
    /// Counter-movement jump.
    #[serde(rename = "cmj")]
    Cmj,
    /// Drop jump (drop from a box, rebound as fast and high as possible).
    #[serde(rename = "dj")]
    DropJump,
    /// Squat jump (held squat, push without countermovement).
    #[serde(rename = "sj")]
    SquatJump,
}

impl JumpType {
    /// All types, in the order used when looking for what a movement resembles.
    pub const ALL: [JumpType; 3] = [JumpType::Cmj, JumpType::DropJump, JumpType::SquatJump];

    /// Short code as used in JSON ("cmj", "dj", "sj").
    pub fn code(self) -> &'static str {
        match self {
            JumpType::Cmj => "cmj",
            JumpType::DropJump => "dj",
            JumpType::SquatJump => "sj",
        }
    }

    /// The type with this short code ("cmj", "dj", "sj").
    pub fn from_code(code: &str) -> Option<JumpType> {
        JumpType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            JumpType::Cmj => "countermovement jump",
            JumpType::DropJump => "drop jump",
            JumpType::SquatJump => "squat jump",
        }
    }

    pub(super) fn slot(self) -> usize {
        match self {
            JumpType::Cmj => 0,
            JumpType::DropJump => 1,
            JumpType::SquatJump => 2,
        }
    }
}

impl std::fmt::Display for JumpType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Optional facts about the athlete.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Body mass for peak power estimates (Sayers equations); no power without it.
    pub body_mass_kg: Option<f64>,
    /// Standing height; sharpens the body-proportion fallback scale when the flight
    /// arc is too short to give one.
    pub athlete_height_m: Option<f64>,
}

/// BlazePose landmark indices used by the analysis (and by the pose pipeline that fills them).
pub mod landmark {
    pub const COUNT: usize = 33;
    pub const LEFT_HIP: usize = 23;
    pub const RIGHT_HIP: usize = 24;
    pub const LEFT_KNEE: usize = 25;
    pub const RIGHT_KNEE: usize = 26;
    pub const LEFT_ANKLE: usize = 27;
    pub const RIGHT_ANKLE: usize = 28;
    pub const LEFT_HEEL: usize = 29;
    pub const RIGHT_HEEL: usize = 30;
    pub const LEFT_FOOT_INDEX: usize = 31;
    pub const RIGHT_FOOT_INDEX: usize = 32;

    /// (heel, toe, ankle) of the left foot, then of the right.
    pub const FEET: [(usize, usize, usize); 2] = [
        (LEFT_HEEL, LEFT_FOOT_INDEX, LEFT_ANKLE),
        (RIGHT_HEEL, RIGHT_FOOT_INDEX, RIGHT_ANKLE),
    ];
}

/// A landmark the model considers visible below this probability is ignored. BlazePose
/// keeps guessing occluded points with visibility ~0.1–0.4; 0.5 is MediaPipe's own cut-off.
pub(super) const VISIBILITY_MIN: f32 = 0.5;

/// Points further than this fraction of the image outside it are guesses, not measurements
/// (a player cut off at the knees still gets "feet" below the frame).
const OUTSIDE_IMAGE_MARGIN: f64 = 0.02;

/// A landmark after clean-up: camera motion removed, in f64 pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct CleanPoint {
    pub x: f64,
    pub y: f64,
    pub visibility: f64,
}

/// A frame after clean-up.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CleanFrame {
    pub frame: u32,
    pub time_s: f64,
    /// Landmarks with the camera shift subtracted; `None` = no usable pose.
    pub pose: Option<Vec<Option<CleanPoint>>>,
    /// Camera shift applied to this frame (interpolated when the frame had none).
    pub shift: Option<(f64, f64)>,
}

/// The clip after clean-up plus counts needed for messages and confidence.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CleanSeries {
    pub frames: Vec<CleanFrame>,
    pub frames_with_pose: usize,
}

/// Sorts by presentation time, drops duplicates and non-finite data, interpolates the
/// camera shift over frames that lack it and subtracts it from every landmark, and marks
/// landmarks that are invisible or outside the image as missing.
pub(super) fn clean(series: &PoseSeries) -> CleanSeries {
    let mut order: Vec<&PoseFrame> = series
        .frames
        .iter()
        .filter(|f| f.time_s.is_finite())
        .collect();
    order.sort_by(|a, b| a.time_s.total_cmp(&b.time_s).then(a.frame.cmp(&b.frame)));
    // Two frames with the same timestamp cannot both be right; keep the first decoded.
    order.dedup_by(|b, a| b.time_s <= a.time_s);

    let shifts = interpolate_shifts(&order);
    let width = f64::from(series.image_width);
    let height = f64::from(series.image_height);

    let mut frames_with_pose = 0;
    let frames: Vec<CleanFrame> = order
        .iter()
        .zip(shifts)
        .map(|(f, shift)| {
            let pose = f
                .landmarks
                .as_ref()
                .filter(|l| l.len() >= landmark::COUNT)
                .map(|l| clean_landmarks(l, shift, width, height));
            if pose.is_some() {
                frames_with_pose += 1;
            }
            CleanFrame {
                frame: f.frame,
                time_s: f.time_s,
                pose,
                shift,
            }
        })
        .collect();

    CleanSeries {
        frames,
        frames_with_pose,
    }
}

fn clean_landmarks(
    points: &[Point],
    shift: Option<(f64, f64)>,
    width: f64,
    height: f64,
) -> Vec<Option<CleanPoint>> {
    let (sx, sy) = shift.unwrap_or((0.0, 0.0));
    let margin_x = OUTSIDE_IMAGE_MARGIN * width;
    let margin_y = OUTSIDE_IMAGE_MARGIN * height;
    points[..landmark::COUNT]
        .iter()
        .map(|p| {
            let (x, y, v) = (f64::from(p.x), f64::from(p.y), f64::from(p.visibility));
            let finite = x.is_finite() && y.is_finite() && v.is_finite();
            let inside =
                x >= -margin_x && x <= width + margin_x && y >= -margin_y && y <= height + margin_y;
            (finite && inside && p.visibility >= VISIBILITY_MIN).then_some(CleanPoint {
                x: x - sx,
                y: y - sy,
                visibility: v,
            })
        })
        .collect()
}

/// Camera shift for every frame: measured where given, linearly interpolated between
/// measurements, held flat before the first and after the last one. `None` everywhere
/// when no frame carries a shift.
fn interpolate_shifts(frames: &[&PoseFrame]) -> Vec<Option<(f64, f64)>> {
    let known: Vec<(f64, f64, f64)> = frames
        .iter()
        .filter_map(|f| {
            f.camera_shift
                .map(|(x, y)| (f.time_s, f64::from(x), f64::from(y)))
        })
        .filter(|(_, x, y)| x.is_finite() && y.is_finite())
        .collect();
    if known.is_empty() {
        return vec![None; frames.len()];
    }
    let mut k = 0;
    frames
        .iter()
        .map(|f| {
            let t = f.time_s;
            while k + 1 < known.len() && known[k + 1].0 <= t {
                k += 1;
            }
            let (t0, x0, y0) = known[k];
            if t <= t0 || k + 1 == known.len() {
                return Some((x0, y0));
            }
            let (t1, x1, y1) = known[k + 1];
            let w = (t - t0) / (t1 - t0);
            Some((x0 + (x1 - x0) * w, y0 + (y1 - y0) * w))
        })
        .collect()
}
