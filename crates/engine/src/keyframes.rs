//! Key frames (one per event of the test jump) with the tracked skeleton drawn on them,
//! written as PNG files so a coach can check what the engine saw.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::AnalysisError;
use crate::video::{self, DecodeOptions, VideoLimits};
use airtime_kinematics::Analysis;
use airtime_kinematics::{Point, PoseSeries};

/// BlazePose body connections worth drawing (face left out).
const BONES: [(usize, usize); 18] = [
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (27, 29),
    (29, 31),
    (27, 31),
    (24, 26),
    (26, 28),
    (28, 30),
    (30, 32),
    (28, 32),
];
const BONE_RGB: [u8; 3] = [0, 230, 118];
const JOINT_RGB: [u8; 3] = [255, 64, 129];
const VISIBLE: f32 = 0.5;

/// Writes `NN_event.png` into `dir` for every event of the test jump; returns the paths.
pub fn write(
    video_path: &Path,
    analysis: &Analysis,
    poses: &PoseSeries,
    dir: &Path,
) -> Result<Vec<PathBuf>, AnalysisError> {
    std::fs::create_dir_all(dir).map_err(|e| output_error(dir, e))?;
    let events = &analysis.result.events;
    let Some(last_time) = events.iter().map(|e| e.time_s).reduce(f64::max) else {
        return Ok(Vec::new());
    };
    let info = video::probe(video_path, &VideoLimits::default())?;
    let decode = DecodeOptions {
        target_width: analysis.video.analysed_width,
        end_s: Some(last_time + 0.5),
        ..DecodeOptions::default()
    };
    let mut written = Vec::new();
    for frame in video::decode(video_path, &info, &decode)? {
        let mut frame = frame?;
        for (n, event) in events.iter().enumerate() {
            if event.frame != frame.index {
                continue;
            }
            if let Some(points) = nearest_pose(poses, frame.index) {
                draw_skeleton(&mut frame.rgb, frame.width, frame.height, points);
            }
            let path = dir.join(format!("{:02}_{}.png", n + 1, event.name));
            write_png(&path, &frame.rgb, frame.width, frame.height)?;
            written.push(path);
        }
    }
    written.sort();
    Ok(written)
}

fn nearest_pose(poses: &PoseSeries, index: u32) -> Option<&[Point]> {
    poses
        .frames
        .iter()
        .filter(|f| f.landmarks.is_some())
        .min_by_key(|f| f.frame.abs_diff(index))
        .filter(|f| f.frame.abs_diff(index) <= 2)
        .and_then(|f| f.landmarks.as_deref())
}

fn draw_skeleton(rgb: &mut [u8], width: u32, height: u32, points: &[Point]) {
    let mut canvas = Canvas { rgb, width, height };
    let visible = |i: usize| points.get(i).filter(|p| p.visibility >= VISIBLE);
    for &(a, b) in &BONES {
        if let (Some(p), Some(q)) = (visible(a), visible(b)) {
            canvas.line(p.x, p.y, q.x, q.y, BONE_RGB);
        }
    }
    for p in points.iter().skip(11).filter(|p| p.visibility >= VISIBLE) {
        canvas.dot(p.x, p.y, 3, JOINT_RGB);
    }
}

struct Canvas<'a> {
    rgb: &'a mut [u8],
    width: u32,
    height: u32,
}

impl Canvas<'_> {
    fn put(&mut self, x: i64, y: i64, color: [u8; 3]) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let at = ((y as usize) * self.width as usize + x as usize) * 3;
        self.rgb[at..at + 3].copy_from_slice(&color);
    }

    fn dot(&mut self, x: f32, y: f32, radius: i64, color: [u8; 3]) {
        let (cx, cy) = (x.round() as i64, y.round() as i64);
        for dy in -radius..=radius {
            for dx in -radius..=radius {
                if dx * dx + dy * dy <= radius * radius {
                    self.put(cx + dx, cy + dy, color);
                }
            }
        }
    }

    fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: [u8; 3]) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as i64;
        for s in 0..=steps {
            let t = s as f32 / steps as f32;
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, 1, color);
        }
    }
}

/// ffmpeg is already a dependency; it encodes the PNG so we need no image crate.
fn write_png(path: &Path, rgb: &[u8], width: u32, height: u32) -> Result<(), AnalysisError> {
    let mut child = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
        ])
        .arg(format!("{width}x{height}"))
        .args(["-i", "pipe:0", "-frames:v", "1", "-y"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| output_error(path, e))?;
    let fed = child.stdin.take().expect("piped").write_all(rgb);
    let out = child
        .wait_with_output()
        .map_err(|e| output_error(path, e))?;
    fed.map_err(|e| output_error(path, e))?;
    if !out.status.success() {
        return Err(AnalysisError::Output {
            path: path.display().to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

fn output_error(path: &Path, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}
