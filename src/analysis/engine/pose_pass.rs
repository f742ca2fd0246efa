//! Decodes the video once and runs the pose model on the frames the [`Schedule`] asks for.
//!
//! The clip is read in chunks of [`CHUNK_S`]. While one thread scouts the newest chunk,
//! another poses, densely, the older frames whose fate the scout has settled, so both
//! cores infer at once while ffmpeg decodes ahead in its own process (a reader thread
//! queues its frames, so it is never held up by a full pipe). Only frames not yet
//! settled are held in memory (about two chunks). Each tracker works through its frames in
//! time order and every decision depends only on the data, so the result is the same run
//! after run.

use std::collections::VecDeque;
use std::sync::mpsc;

use super::super::kinematics::{Point, PoseFrame, PoseSeries, PoseSource};
use super::super::pose::index::{LEFT_ANKLE, LEFT_HIP, RIGHT_ANKLE, RIGHT_HIP};
use super::super::pose::{Landmark, PoseModel, PoseTracker, RgbImage};
use super::super::video::{self, DecodeOptions, Frame, MotionEstimator, VideoError, VideoInfo};
use super::error::AnalysisError;
use super::schedule::{BodyFix, Schedule, ScoutSample};

/// Length of one chunk of decoded frames.
const CHUNK_S: f64 = 1.0;
/// The dense tracker re-detects after a hole this many frames long: its region of
/// interest is stale by then.
const DENSE_RETRACK_GAP: u32 = 3;
const VISIBLE: f32 = 0.5;
/// Decoded frames queued ahead of the posing (about 0.7 MB each at 640 px).
const READ_AHEAD_FRAMES: usize = 32;

pub struct PosePass {
    pub series: PoseSeries,
    pub frames_decoded: u32,
    pub frames_posed: u32,
}

struct Held {
    frame: Frame,
    shift: (f32, f32),
    posed: bool,
}

pub fn run(
    path: &std::path::Path,
    info: &VideoInfo,
    decode: &DecodeOptions,
    model: &PoseModel,
    progress: &mut dyn FnMut(f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<PosePass, AnalysisError> {
    let reader = video::decode(path, info, decode)?;
    // ffmpeg can only decode ahead as far as its pipe holds (64 KiB, a tenth of a frame);
    // a thread that drains it into a queue lets it work while the models run.
    let (ahead, frames) = mpsc::sync_channel(READ_AHEAD_FRAMES);
    std::thread::scope(|s| {
        s.spawn(move || {
            for frame in reader {
                if ahead.send(frame).is_err() {
                    break;
                }
            }
        });
        // On return `frames` is dropped first, so a reader blocked on a full queue stops.
        pose_frames(frames, info, model, progress, cancelled)
    })
}

fn pose_frames(
    frames: mpsc::Receiver<Result<Frame, VideoError>>,
    info: &VideoInfo,
    model: &PoseModel,
    progress: &mut dyn FnMut(f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<PosePass, AnalysisError> {
    let mut reader = frames.into_iter();
    let mut motion = MotionEstimator::new();
    let mut schedule = Schedule::default();
    let mut scout = PoseTracker::new(model);
    let mut dense = DenseTracker::new(model);
    let mut held: VecDeque<Held> = VecDeque::new();
    let mut posed: Vec<PoseFrame> = Vec::new();
    let mut athlete_box: Option<(f32, f32, f32, f32)> = None;
    let (mut width, mut height) = (0, 0);
    let mut frames_decoded = 0u32;
    let mut chunk_end = CHUNK_S;
    let mut eof = false;

    while !eof {
        let mut incoming: Vec<Held> = Vec::new();
        loop {
            let Some(frame) = reader.next() else {
                eof = true;
                break;
            };
            let frame = frame?;
            (width, height) = (frame.width, frame.height);
            frames_decoded += 1;
            let shift = motion.push(&frame, athlete_box);
            let past_chunk = frame.pts_s >= chunk_end;
            incoming.push(Held {
                frame,
                shift,
                posed: false,
            });
            if past_chunk {
                break;
            }
        }
        chunk_end += CHUNK_S;

        let scout_picks: Vec<usize> = (0..incoming.len())
            .filter(|&i| schedule.take_scout(incoming[i].frame.pts_s))
            .collect();
        let settled = schedule.settled_until();
        let (scouted, dense_out) = std::thread::scope(|s| {
            let dense_job = s.spawn(|| dense.pose_settled(&mut held, &schedule, settled));
            let scouted: Result<Vec<(usize, PoseFrame)>, AnalysisError> = scout_picks
                .iter()
                .map(|&i| Ok((i, pose_frame(&mut scout, &incoming[i])?)))
                .collect();
            (
                scouted,
                dense_job.join().expect("dense pose thread panicked"),
            )
        });
        posed.extend(dense_out?);
        for (i, pf) in scouted? {
            incoming[i].posed = true;
            let body = body_fix(&pf);
            if let Some(lm) = &pf.landmarks {
                athlete_box = bounding_box(lm);
            }
            schedule.record(ScoutSample {
                time_s: pf.time_s,
                body,
            });
            posed.push(pf);
        }
        held.extend(incoming);
        progress(progress_fraction(&held, info.duration_s));
        if cancelled() {
            return Err(AnalysisError::Cancelled);
        }
    }
    // No scout sample can come any more: everything still held is settled.
    posed.extend(dense.pose_settled(&mut held, &schedule, f64::INFINITY)?);

    posed.sort_by_key(|f| f.frame);
    let frames_posed = posed.len() as u32;
    Ok(PosePass {
        series: PoseSeries {
            frames: posed,
            image_width: width,
            image_height: height,
            source: PoseSource::BlazePose,
        },
        frames_decoded,
        frames_posed,
    })
}

/// The second tracker: every frame near movement that the scout did not pose.
struct DenseTracker<'m> {
    tracker: PoseTracker<'m>,
    last_index: Option<u32>,
}

impl<'m> DenseTracker<'m> {
    fn new(model: &'m PoseModel) -> Self {
        DenseTracker {
            tracker: PoseTracker::new(model),
            last_index: None,
        }
    }

    /// Poses the held frames up to `settled` that need it and releases them.
    fn pose_settled(
        &mut self,
        held: &mut VecDeque<Held>,
        schedule: &Schedule,
        settled: f64,
    ) -> Result<Vec<PoseFrame>, AnalysisError> {
        let mut out = Vec::new();
        while held.front().is_some_and(|h| h.frame.pts_s <= settled) {
            let h = held.pop_front().expect("checked above");
            if h.posed || !schedule.needs_dense(h.frame.pts_s) {
                continue;
            }
            if self
                .last_index
                .is_none_or(|last| h.frame.index > last + DENSE_RETRACK_GAP)
            {
                self.tracker.reset();
            }
            self.last_index = Some(h.frame.index);
            out.push(pose_frame(&mut self.tracker, &h)?);
        }
        Ok(out)
    }
}

fn pose_frame(tracker: &mut PoseTracker<'_>, held: &Held) -> Result<PoseFrame, AnalysisError> {
    let f = &held.frame;
    let image = RgbImage {
        width: f.width,
        height: f.height,
        data: &f.rgb,
    };
    let landmarks = tracker.track(&image)?;
    Ok(PoseFrame {
        frame: f.index,
        time_s: f.pts_s,
        landmarks: landmarks.map(|lm| lm.iter().map(to_point).collect()),
        camera_shift: Some(held.shift),
    })
}

fn to_point(l: &Landmark) -> Point {
    Point {
        x: l.x,
        y: l.y,
        visibility: l.visibility,
    }
}

/// Hip centre and leg length with the camera shift removed, when hips and an ankle show.
fn body_fix(frame: &PoseFrame) -> Option<BodyFix> {
    let lm = frame.landmarks.as_ref()?;
    let (sx, sy) = frame.camera_shift.unwrap_or((0.0, 0.0));
    let visible = |i: usize| lm.get(i).filter(|p| p.visibility >= VISIBLE);
    let (lh, rh) = (visible(LEFT_HIP)?, visible(RIGHT_HIP)?);
    let hip_x = f64::from((lh.x + rh.x) / 2.0 - sx);
    let hip_y = f64::from((lh.y + rh.y) / 2.0 - sy);
    let legs: Vec<f64> = [(lh, LEFT_ANKLE), (rh, RIGHT_ANKLE)]
        .iter()
        .filter_map(|&(hip, ankle)| {
            visible(ankle).map(|a| f64::from((a.x - hip.x).hypot(a.y - hip.y)))
        })
        .collect();
    let leg_px = legs.iter().copied().fold(f64::NAN, f64::max);
    leg_px.is_finite().then_some(BodyFix {
        hip_x,
        hip_y,
        leg_px,
    })
}

/// The athlete's box widened by a fifth, so the camera-motion estimate ignores the body.
fn bounding_box(points: &[Point]) -> Option<(f32, f32, f32, f32)> {
    let mut it = points.iter().filter(|p| p.visibility >= VISIBLE);
    let first = it.next()?;
    let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
    for p in it {
        (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
    }
    let (mx, my) = ((x1 - x0) * 0.2, (y1 - y0) * 0.2);
    Some((x0 - mx, y0 - my, x1 + mx, y1 + my))
}

fn progress_fraction(held: &VecDeque<Held>, duration_s: f64) -> f64 {
    let seen = held.back().map_or(0.0, |h| h.frame.pts_s);
    if duration_s > 0.0 {
        (seen / duration_s).clamp(0.0, 1.0)
    } else {
        0.0
    }
}
