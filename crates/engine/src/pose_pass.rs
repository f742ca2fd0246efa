//! Decodes the video once and runs the pose model on the frames the [`Schedule`] asks for.
//!
//! Three stages run at once, connected by bounded queues: ffmpeg decodes in its own process
//! (a reader thread drains its pipe, so it is never held up by a full pipe), this thread
//! estimates camera motion and scouts every frame as it arrives, and a dense worker poses,
//! in time order, the frames the scout has found to need it. Only frames not yet decided
//! and those queued for the dense worker are held in memory. Each tracker works through its
//! frames in time order and every decision depends only on the data (never on which thread
//! got there first), so the result is the same run after run.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::error::AnalysisError;
use crate::pose::index::{LEFT_ANKLE, LEFT_HIP, RIGHT_ANKLE, RIGHT_HIP};
use crate::pose::{Landmark, PoseModel, PoseTracker, RgbImage};
use crate::schedule::{BodyFix, Schedule, ScoutSample};
use crate::video::{Frame, FrameReader, MotionEstimator, VideoError, VideoInfo, VideoLimits};
use airtime_kinematics::{Point, PoseFrame, PoseSeries, PoseSource};

/// The camera-motion estimator learns where the athlete is once per chunk of this length
/// (the box from the latest scout frame), so the estimate does not depend on timing.
const CHUNK_S: f64 = 1.0;
/// The dense tracker re-detects after a hole this many frames long: its region of
/// interest is stale by then.
const DENSE_RETRACK_GAP: u32 = 3;
const VISIBLE: f32 = 0.5;
/// Decoded frames queued ahead of the scout (about 0.7 MB each at 640 px): lets ffmpeg
/// decode on a core the models leave idle.
const READ_AHEAD_FRAMES: usize = 4;
/// Frames queued for the dense worker: lets the scout run ahead through a jump, where the
/// dense worker has four frames to pose for each scout frame. Both queues trade memory for
/// speed, but beyond 4 frames each no gain stood out of the noise (8, 16 and 32 measured),
/// while every 8 frames took 5 MB more.
const DENSE_QUEUE_FRAMES: usize = 4;
/// Undecided frames held at once. The schedule decides a frame within a scout stride plus
/// the dense margin (0.5 s), which at the decoder's 240 fps bound is ~130 frames: more can
/// only come from timestamps the decoder's guard let through, and must stop the pass rather
/// than grow it.
const MAX_HELD_FRAMES: usize = 256;
/// The same bound in bytes (256 frames at 640×360 are 177 MB; frames are never larger than
/// the analysis size, but a bound by count alone would trust that).
const MAX_HELD_BYTES: usize = 256 << 20;

pub struct PosePass {
    pub series: PoseSeries,
    pub frames_decoded: u32,
}

/// A decoded frame the scout did not pose, held until it is known whether the dense worker
/// needs it.
struct Held {
    frame: Frame,
    shift: (f32, f32),
}

pub fn run(
    reader: FrameReader,
    info: &VideoInfo,
    model: &PoseModel<'_>,
    progress: &mut dyn FnMut(f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<PosePass, AnalysisError> {
    // ffmpeg can only decode ahead as far as its pipe holds (64 KiB, a tenth of a frame);
    // a thread that drains it into a queue lets it work while the models run.
    let (ahead, frames) = mpsc::sync_channel(READ_AHEAD_FRAMES);
    let (to_dense, dense_queue) = mpsc::sync_channel::<Held>(DENSE_QUEUE_FRAMES);
    let stop_dense = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(move || {
            for frame in reader {
                if ahead.send(frame).is_err() {
                    break;
                }
            }
        });
        let dense = s.spawn(|| DenseTracker::new(model).pose_all(dense_queue, &stop_dense));
        // On return `frames` and `to_dense` are dropped, so the reader and the dense worker
        // stop; a failure here also tells the dense worker to skip what is still queued.
        let scouted = scout_frames(frames, to_dense, info, model, progress, cancelled);
        if scouted.is_err() {
            stop_dense.store(true, Ordering::Relaxed);
        }
        let dense = dense.join().expect("dense pose thread panicked");
        let (mut scouted, dense) = match (scouted, dense) {
            // A dense failure makes the scout's send fail too: report the cause.
            (Err(_), Err(e)) | (Ok(_), Err(e)) | (Err(e), Ok(_)) => return Err(e),
            (Ok(scouted), Ok(dense)) => (scouted, dense),
        };
        scouted.series.frames.extend(dense);
        scouted.series.frames.sort_by_key(|f| f.frame);
        Ok(scouted)
    })
}

/// Estimates camera motion on every frame, poses the scout frames and hands each frame,
/// once decided, to the dense worker when it needs posing. Returns the scout's poses.
fn scout_frames(
    frames: mpsc::Receiver<Result<Frame, VideoError>>,
    to_dense: mpsc::SyncSender<Held>,
    info: &VideoInfo,
    model: &PoseModel<'_>,
    progress: &mut dyn FnMut(f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<PosePass, AnalysisError> {
    let mut motion = MotionEstimator::new();
    let mut schedule = Schedule::default();
    let mut scout = PoseTracker::new(model);
    let mut held: VecDeque<Held> = VecDeque::new();
    let mut held_bytes = 0usize;
    let mut posed: Vec<PoseFrame> = Vec::new();
    let mut latest_box: Option<(f32, f32, f32, f32)> = None;
    let mut chunk_box = latest_box;
    let (mut width, mut height) = (0, 0);
    let mut frames_decoded = 0u32;
    let mut chunk_end = CHUNK_S;

    for frame in frames {
        let frame = frame?;
        (width, height) = (frame.width, frame.height);
        frames_decoded += 1;
        let shift = motion.push(&frame, chunk_box);
        let time_s = frame.pts_s;
        let held_frame = Held { frame, shift };
        if schedule.take_scout(time_s) {
            // A scout frame is done with once posed: holding it would only keep its pixels.
            let pf = pose_frame(&mut scout, &held_frame)?;
            if let Some(lm) = &pf.landmarks {
                latest_box = bounding_box(lm);
            }
            schedule.record(ScoutSample {
                time_s: pf.time_s,
                body: body_fix(&pf),
            });
            posed.push(pf);
        } else {
            held_bytes += held_frame.frame.rgb.len();
            held.push_back(held_frame);
        }
        held_bytes -= release_decided(&mut held, &schedule, schedule.settled_until(), &to_dense)?;
        if held.len() > MAX_HELD_FRAMES || held_bytes > MAX_HELD_BYTES {
            return Err(held_too_many(&held).into());
        }
        if time_s >= chunk_end {
            chunk_end += CHUNK_S;
            chunk_box = latest_box;
            progress(progress_fraction(time_s, info.duration_s));
            if cancelled() {
                return Err(AnalysisError::Cancelled);
            }
        }
    }
    // No scout sample can come any more: everything still held is settled.
    release_decided(&mut held, &schedule, f64::INFINITY, &to_dense)?;

    Ok(PosePass {
        series: PoseSeries {
            frames: posed,
            image_width: width,
            image_height: height,
            source: PoseSource::BlazePose,
        },
        frames_decoded,
    })
}

/// The frames held span too little time for their number: the rate the guard measures.
fn held_too_many(held: &VecDeque<Held>) -> VideoError {
    let span = match (held.front(), held.back()) {
        (Some(a), Some(b)) => b.frame.pts_s - a.frame.pts_s,
        _ => 0.0,
    };
    VideoError::FrameRateTooHigh {
        fps: if span > 0.0 {
            held.len() as f64 / span
        } else {
            f64::INFINITY
        },
        max_fps: VideoLimits::default().max_fps,
    }
}

/// Hands the held frames that need dense posing to the dense worker, in time order, and
/// drops those that do not. A frame is decided once it is settled, or as soon as a marked
/// movement covers it (marks are never taken back), so through a jump frames go straight
/// on instead of waiting for the scout to pass them. Returns the bytes released.
fn release_decided(
    held: &mut VecDeque<Held>,
    schedule: &Schedule,
    settled: f64,
    to_dense: &mpsc::SyncSender<Held>,
) -> Result<usize, AnalysisError> {
    let mut released = 0;
    while let Some(front) = held.front() {
        let dense = schedule.needs_dense(front.frame.pts_s);
        if !dense && front.frame.pts_s > settled {
            break;
        }
        let h = held.pop_front().expect("checked above");
        released += h.frame.rgb.len();
        if dense && to_dense.send(h).is_err() {
            // The dense worker stopped on an error, which `run` reports.
            return Err(AnalysisError::Cancelled);
        }
    }
    Ok(released)
}

/// The second tracker: every frame near movement that the scout did not pose.
struct DenseTracker<'m, 'g> {
    tracker: PoseTracker<'m, 'g>,
    last_index: Option<u32>,
}

impl<'m, 'g> DenseTracker<'m, 'g> {
    fn new(model: &'m PoseModel<'g>) -> Self {
        DenseTracker {
            tracker: PoseTracker::new(model),
            last_index: None,
        }
    }

    /// Poses the queued frames, in the order they come, until the queue closes.
    fn pose_all(
        mut self,
        queue: mpsc::Receiver<Held>,
        stop: &AtomicBool,
    ) -> Result<Vec<PoseFrame>, AnalysisError> {
        let mut out = Vec::new();
        for h in queue {
            if stop.load(Ordering::Relaxed) {
                break;
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

fn pose_frame(tracker: &mut PoseTracker<'_, '_>, held: &Held) -> Result<PoseFrame, AnalysisError> {
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

fn progress_fraction(seen_s: f64, duration_s: f64) -> f64 {
    if duration_s > 0.0 {
        (seen_s / duration_s).clamp(0.0, 1.0)
    } else {
        0.0
    }
}
