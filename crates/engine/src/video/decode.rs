//! Streams RGB frames out of ffmpeg with each frame's own presentation timestamp. ffmpeg
//! scales and writes planar YUV 4:2:2; each frame is converted to RGB here (`yuv_rgb`).

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::bounds::{FrameBounds, FrameGuard};
use super::error::VideoError;
use super::limits::{VideoLimits, ALLOWED_DECODERS};
use super::probe::VideoInfo;
use super::process::{file_url, spawn, strip_log_prefixes, tool_path};
use super::showinfo::{self, Line, Tap, OUTPUT_NAME, SOURCE_NAME};
use super::sniff::{sniff, Demuxer};
use super::yuv_rgb::{Colour, Converter};
use crate::confine::ChildLimits;

/// Output frames are scaled down, never up, and a scaled 4K clip is far below this: a larger
/// size in ffmpeg's log is a fault, not a frame to allocate.
const MAX_FRAME_PIXELS: u64 = 4096 * 4096;

/// How to decode. `Default`: 640 px wide, 120 s budget, whole clip.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// Output width after rotation; never upscales (width = min(target, display width)).
    /// Height keeps the display aspect ratio; both are rounded to even numbers.
    pub target_width: u32,
    /// Wall-clock budget for the whole decode, counted from `decode()`; ffmpeg is killed when
    /// it runs out and the reader yields [`VideoError::Timeout`].
    pub timeout: Duration,
    /// First presentation time to return (inclusive), in the clip's own timeline (`pts_s`).
    pub start_s: Option<f64>,
    /// Last presentation time to return (inclusive); ffmpeg is stopped once it is passed.
    pub end_s: Option<f64>,
    /// Frame rate and count the decoded frames may reach, whatever the header said.
    pub bounds: FrameBounds,
    /// Address space ffmpeg may map.
    pub tool_memory_bytes: u64,
}

impl DecodeOptions {
    /// The defaults with the bounds of `limits`.
    pub fn within(limits: &VideoLimits) -> Self {
        DecodeOptions {
            bounds: limits.frame_bounds(),
            tool_memory_bytes: limits.tool_memory_bytes,
            ..DecodeOptions::default()
        }
    }
}

impl Default for DecodeOptions {
    fn default() -> Self {
        let limits = VideoLimits::default();
        DecodeOptions {
            target_width: 640,
            timeout: Duration::from_secs(120),
            start_s: None,
            end_s: None,
            bounds: limits.frame_bounds(),
            tool_memory_bytes: limits.tool_memory_bytes,
        }
    }
}

/// One decoded picture, upright (rotation applied), `width * height * 3` bytes of RGB.
#[derive(Clone, PartialEq)]
pub struct Frame {
    /// Position in the stream as ffmpeg decodes it by default (MP4 edit-list pre-roll already
    /// dropped), i.e. the same numbering as `ffprobe -show_frames`, also when `start_s` is set.
    pub index: u32,
    /// Presentation time in seconds, the same value `ffprobe -show_frames` prints as `pts_time`.
    pub pts_s: f64,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("index", &self.index)
            .field("pts_s", &self.pts_s)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("rgb_len", &self.rgb.len())
            .finish()
    }
}

/// Output size for a clip: even, aspect-preserving, never larger than the display size.
pub fn output_size(info: &VideoInfo, target_width: u32) -> (u32, u32) {
    // Rounding the width down keeps "never upscale"; the height is rounded to nearest.
    let w = (target_width.min(info.width) & !1).max(2);
    let h = ((f64::from(w) * f64::from(info.height) / f64::from(info.width.max(1)) / 2.0).round()
        as u32)
        .max(1)
        * 2;
    (w, h)
}

/// The width that fits a clip's longer side into `long_side` pixels (never upscaling), for
/// [`DecodeOptions::target_width`].
pub fn width_for_long_side(info: &VideoInfo, long_side: u32) -> u32 {
    let long = info.width.max(info.height).max(1);
    let target = if long <= long_side {
        info.width
    } else {
        let scaled = f64::from(info.width) * f64::from(long_side) / f64::from(long);
        scaled.round() as u32
    };
    target.max(2) & !1
}

/// Starts ffmpeg on a probed clip and returns a streaming frame iterator.
///
/// `start_s` is implemented by decoding from the beginning and discarding earlier frames
/// inside ffmpeg (a `select` filter ahead of scaling, so they are not scaled or piped). That
/// keeps `index` and `pts_s` exactly those of a full decode, which input seeking (`-ss`) does
/// not guarantee; the cost is decode time for the skipped part.
pub fn decode(
    path: &Path,
    info: &VideoInfo,
    opts: &DecodeOptions,
) -> Result<FrameReader, VideoError> {
    let demuxer = Demuxer::from_format_name(&info.container).ok_or_else(|| {
        VideoError::UnsupportedFormat {
            format: info.container.clone(),
        }
    })?;
    let (width, height) = output_size(info, opts.target_width);
    let input = Input {
        demuxer,
        stream: info.stream_index.to_string(),
        max_pixels: None,
    };
    start(path, &input, &format!("{width}:{height}"), opts)
}

/// Starts ffmpeg before the clip is probed, so its start-up (~0.1 s of loading libraries and
/// finding the first frame) overlaps ffprobe's. Frames are scaled so the longer side is at
/// most `long_side`, sized by ffmpeg exactly as [`output_size`] sizes them for a clip with
/// square pixels; for other clips (see [`VideoInfo::has_square_pixels`]) drop the reader and
/// [`decode`] once probed. Nothing is known about the file yet: it gets the first video
/// stream that is not cover art, only the decoders of [`ALLOWED_CODECS`] and at most
/// `limits.max_pixels` per picture, and must still pass the probe before a frame is read.
///
/// [`ALLOWED_CODECS`]: super::limits::ALLOWED_CODECS
pub fn decode_unprobed(
    path: &Path,
    limits: &VideoLimits,
    long_side: u32,
    timeout: Duration,
) -> Result<FrameReader, VideoError> {
    let input = Input {
        demuxer: sniff(path)?,
        stream: "V:0".into(),
        // Decoders count the padded width (up to 64 more pixels a row): an eighth of slack
        // keeps every clip the probe accepts while still refusing absurd sizes up front.
        max_pixels: Some(limits.max_pixels.saturating_mul(9) / 8),
    };
    let opts = DecodeOptions {
        timeout,
        ..DecodeOptions::within(limits)
    };
    start(path, &input, &fit_long_side(long_side), &opts)
}

/// scale filter size expressions for [`output_size`] at [`width_for_long_side`]: the same
/// arithmetic, in the same order, in double precision, on the rotated picture.
fn fit_long_side(long_side: u32) -> String {
    let even = |x: &str| format!("trunc(({x})/2)*2");
    let target = format!("if(gt(max(iw,ih),{long_side}),round(iw*{long_side}/max(iw,ih)),iw)");
    let width = format!(
        "max(2,{})",
        even(&format!("min({},iw)", even(&format!("max(2,{target})"))))
    );
    format!("w='{width}':h='max(1,round(ow*ih/iw/2))*2'")
}

/// What ffmpeg is told to read.
struct Input {
    demuxer: Demuxer,
    /// Stream specifier within input 0.
    stream: String,
    /// Largest picture a decoder may allocate, when the probe has not checked the size yet.
    max_pixels: Option<u64>,
}

fn start(
    path: &Path,
    input: &Input,
    scale_size: &str,
    opts: &DecodeOptions,
) -> Result<FrameReader, VideoError> {
    let started = Instant::now();
    // showinfo checksums every frame unless told not to (a full-size pass over each frame).
    let mut graph = format!("{SOURCE_NAME}=checksum=0,");
    if let Some(start) = opts.start_s {
        // Half a millisecond of slack: `t` is pts×time_base in double precision and a frame
        // sitting exactly on `start_s` must not be lost to rounding.
        graph.push_str(&format!("select='gte(t,{:.6})',", start - 0.0005));
    }
    // Area averaging is the right kernel for 2-6× downscales and costs little more than
    // bilinear; autorotation is inserted by ffmpeg ahead of this graph. Planar 4:2:2 (the
    // `j` variant for full-range video, so the range is not converted) is converted to RGB
    // here: see `yuv_rgb`. `accurate_rnd` picks swscale's exact vertical scaler, whose
    // rounding the conversion relies on.
    graph.push_str(&format!(
        "scale={scale_size}:flags=area+accurate_rnd,format=yuv422p|yuvj422p,{OUTPUT_NAME}=checksum=0"
    ));

    let mut cmd = Command::new(tool_path("ffmpeg"));
    cmd.args(["-nostdin", "-hide_banner", "-nostats", "-v", "level+info"])
        // Keep the container's timestamps so pts_s matches ffprobe even when the stream does
        // not start at zero.
        .arg("-copyts")
        .args([
            "-protocol_whitelist",
            "file",
            "-f",
            input.demuxer.ffmpeg_name(),
        ])
        .args(["-codec_whitelist", ALLOWED_DECODERS]);
    if let Some(max) = input.max_pixels {
        cmd.args(["-max_pixels", &max.to_string()]);
    }
    cmd
        // Two decoding threads, not one per core: the same frames either way; one thread
        // left 1080p clips waiting for frames (plate: 1.41 → 1.28 s with two), and ffmpeg's
        // default keeps a frame buffer per thread (1080p: ~10 MB more) for no gain here.
        .args(["-threads", "2"])
        .arg("-i")
        .arg(file_url(path))
        .args(["-map", &format!("0:{}", input.stream)])
        .args(["-an", "-sn", "-dn", "-fps_mode", "passthrough"])
        .args(["-vf", &graph])
        .args(["-f", "rawvideo", "pipe:1"]);
    // ffmpeg decodes on two threads: its CPU time may reach twice the wall-clock budget.
    let limits = ChildLimits {
        memory_bytes: Some(opts.tool_memory_bytes),
        cpu_seconds: Some(2 * opts.timeout.as_secs().max(1)),
        new_group: false,
        nice: 0,
    };
    let mut child = spawn("ffmpeg", cmd, limits)?;
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    let child = Arc::new(Mutex::new(child));

    let (event_tx, events) = mpsc::channel();
    let stderr_thread = thread::spawn(move || read_log(stderr, event_tx));

    let timed_out = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let deadline = started + opts.timeout;
    let watchdog = {
        let child = Arc::clone(&child);
        let timed_out = Arc::clone(&timed_out);
        thread::spawn(move || {
            let wait = deadline.saturating_duration_since(Instant::now());
            if let Err(RecvTimeoutError::Timeout) = stop_rx.recv_timeout(wait) {
                timed_out.store(true, Ordering::SeqCst);
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
            }
        })
    };

    Ok(FrameReader {
        child,
        stdout: Some(stdout),
        events,
        stderr_thread: Some(stderr_thread),
        watchdog: Some(watchdog),
        stop_tx: Some(stop_tx),
        timed_out,
        deadline,
        timeout: opts.timeout,
        end_s: opts.end_s,
        time_base: None,
        pending: VecDeque::new(),
        announced: None,
        stashed: None,
        guard: FrameGuard::new(opts.bounds),
        converter: None,
        yuv: Vec::new(),
        last_error: None,
        next_index: 0,
        finished: false,
    })
}

enum Event {
    Info(Line),
    Error(String),
    Closed,
}

/// Runs on its own thread so ffmpeg never blocks on a full stderr pipe.
fn read_log(stderr: impl Read, tx: Sender<Event>) {
    let mut reader = BufReader::new(stderr);
    let mut raw = Vec::with_capacity(256);
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw);
        let event = if let Some(parsed) = showinfo::parse(&line) {
            Event::Info(parsed)
        } else if ["[error]", "[fatal]", "[panic]"]
            .iter()
            .any(|tag| line.contains(tag))
            // Probing refuses the decoders of the streams not decoded (audio): not a fault.
            && !line.contains("not on whitelist")
        {
            Event::Error(strip_log_prefixes(&line).to_string())
        } else {
            continue;
        };
        if tx.send(event).is_err() {
            return;
        }
    }
    let _ = tx.send(Event::Closed);
}

/// A decoded source frame waiting for its scaled twin to appear on the output tap.
struct Pending {
    index: u64,
    pts: Option<i64>,
    pts_s: f64,
}

/// A frame the output tap has announced; its colour line comes next, then its pixels.
struct Announced {
    index: u64,
    pts_s: f64,
    size: Option<(u32, u32)>,
    format: Option<String>,
}

/// Streaming iterator over decoded frames. Holds one frame at a time; dropping it kills and
/// reaps ffmpeg.
pub struct FrameReader {
    child: Arc<Mutex<Child>>,
    stdout: Option<ChildStdout>,
    events: Receiver<Event>,
    stderr_thread: Option<JoinHandle<()>>,
    watchdog: Option<JoinHandle<()>>,
    stop_tx: Option<Sender<()>>,
    timed_out: Arc<AtomicBool>,
    deadline: Instant,
    timeout: Duration,
    end_s: Option<f64>,
    time_base: Option<(i64, i64)>,
    pending: VecDeque<Pending>,
    announced: Option<Announced>,
    /// An event that arrived where a colour line was expected, handled on the next call.
    stashed: Option<Event>,
    /// Stops the decode when the frames' timestamps break the bounds.
    guard: FrameGuard,
    converter: Option<(Colour, Converter)>,
    /// The latest frame's planar YUV, reused.
    yuv: Vec<u8>,
    last_error: Option<String>,
    next_index: u64,
    finished: bool,
}

impl FrameReader {
    /// Process id of the ffmpeg child, for logs and tests.
    pub fn child_id(&self) -> u32 {
        self.child.lock().map(|c| c.id()).unwrap_or(0)
    }

    fn timeout_error(&self) -> VideoError {
        VideoError::Timeout {
            tool: "ffmpeg",
            after_s: self.timeout.as_secs_f64(),
        }
    }

    fn stop_child(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Ends iteration, turning the way ffmpeg ended into None or an error.
    fn finish(&mut self) -> Option<Result<Frame, VideoError>> {
        self.finished = true;
        if self.timed_out.load(Ordering::SeqCst) {
            self.stop_child();
            return Some(Err(self.timeout_error()));
        }
        let status = match self.child.lock() {
            Ok(mut c) => c.wait(),
            Err(_) => return Some(Err(VideoError::Io("ffmpeg handle poisoned".into()))),
        };
        // Drain any error lines logged just before exit.
        while let Ok(ev) = self.events.try_recv() {
            if let Event::Error(msg) = ev {
                self.last_error = Some(msg);
            }
        }
        if self.timed_out.load(Ordering::SeqCst) {
            return Some(Err(self.timeout_error()));
        }
        match status {
            Ok(s) if s.success() => None,
            Ok(s) => Some(Err(VideoError::Decode(
                self.last_error
                    .clone()
                    .unwrap_or_else(|| format!("ffmpeg exited with {s}")),
            ))),
            Err(e) => Some(Err(VideoError::Io(format!("waiting for ffmpeg: {e}")))),
        }
    }

    fn seconds(&self, pts: Option<i64>, pts_time: Option<f64>) -> f64 {
        match (pts, self.time_base) {
            (Some(p), Some((num, den))) => p as f64 * num as f64 / den as f64,
            _ => pts_time.unwrap_or(f64::NAN),
        }
    }

    /// The source entry for an output frame: same raw pts, earlier entries were dropped by
    /// `select`.
    fn match_source(&mut self, pts: Option<i64>, pts_time: Option<f64>) -> (u64, f64) {
        if pts.is_some() {
            if let Some(pos) = self.pending.iter().position(|p| p.pts == pts) {
                let hit = self.pending.drain(..=pos).next_back().expect("non-empty");
                return (hit.index, hit.pts_s);
            }
        } else if let Some(hit) = self.pending.pop_front() {
            return (hit.index, hit.pts_s);
        }
        // Not seen on the source tap (should not happen); keep counting from the last index.
        (self.next_index, self.seconds(pts, pts_time))
    }

    /// Reads the picture the output tap announced and converts it to RGB in `colour`.
    fn read_frame(&mut self, frame: Announced, colour: Colour) -> Result<Frame, VideoError> {
        let Announced {
            index,
            pts_s,
            size,
            format,
        } = frame;
        let (width, height) = size
            .filter(|&(w, h)| {
                w > 0 && h > 0 && w % 2 == 0 && u64::from(w) * u64::from(h) <= MAX_FRAME_PIXELS
            })
            .ok_or_else(|| {
                VideoError::Decode(format!("ffmpeg reported no usable frame size ({size:?})"))
            })?;
        let colour = match format.as_deref() {
            Some("yuv422p") => colour,
            Some("yuvj422p") => colour.with_full_range(true),
            other => {
                return Err(VideoError::Decode(format!(
                    "ffmpeg wrote frames as {other:?}, not planar YUV 4:2:2"
                )))
            }
        };
        let (w, h) = (width as usize, height as usize);
        self.yuv.resize(w * h * 2, 0);
        let stdout = self.stdout.as_mut().expect("stdout present while running");
        stdout
            .read_exact(&mut self.yuv)
            .map_err(|e| VideoError::Decode(format!("ffmpeg output ended inside a frame ({e})")))?;
        if self.converter.as_ref().is_none_or(|(c, _)| *c != colour) {
            self.converter = Some((colour, Converter::new(colour)));
        }
        let (_, converter) = self.converter.as_ref().expect("set above");
        let mut rgb = vec![0u8; w * h * 3];
        converter.convert(&self.yuv, w, h, &mut rgb);
        self.next_index = index + 1;
        Ok(Frame {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            pts_s,
            width,
            height,
            rgb,
        })
    }

    /// Reads the announced frame, turning a failure into the reason ffmpeg gives.
    fn emit(&mut self, frame: Announced, colour: Colour) -> Option<Result<Frame, VideoError>> {
        match self.read_frame(frame, colour) {
            Ok(frame) => match self.guard.admit(frame.pts_s) {
                Ok(()) => Some(Ok(frame)),
                Err(refused) => {
                    self.finished = true;
                    self.stop_child();
                    Some(Err(refused))
                }
            },
            Err(e) => {
                // A short read means ffmpeg died or was killed; say why if we can.
                match self.finish() {
                    Some(Err(reason)) => Some(Err(reason)),
                    _ => {
                        self.finished = true;
                        Some(Err(e))
                    }
                }
            }
        }
    }
}

impl Iterator for FrameReader {
    type Item = Result<Frame, VideoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            let event = match self.stashed.take() {
                Some(ev) => ev,
                None => {
                    let remaining = self.deadline.saturating_duration_since(Instant::now());
                    match self.events.recv_timeout(remaining) {
                        Ok(ev) => ev,
                        Err(RecvTimeoutError::Timeout) => {
                            self.timed_out.store(true, Ordering::SeqCst);
                            return self.finish();
                        }
                        Err(RecvTimeoutError::Disconnected) => Event::Closed,
                    }
                }
            };
            if let Some(frame) = self.announced.take() {
                match event {
                    Event::Info(Line::Colour {
                        tap: Tap::Output,
                        range,
                        space,
                    }) => return self.emit(frame, Colour::from_names(&space, &range)),
                    Event::Error(msg) => {
                        self.last_error = Some(msg);
                        self.announced = Some(frame);
                        continue;
                    }
                    Event::Info(Line::Colour { .. }) | Event::Info(Line::TimeBase { .. }) => {
                        self.announced = Some(frame);
                        continue;
                    }
                    other => {
                        // No colour line (ffmpeg always logs one): untagged video.
                        self.stashed = Some(other);
                        return self.emit(frame, Colour::default());
                    }
                }
            }
            match event {
                Event::Info(Line::TimeBase { tap, num, den }) => {
                    if tap == Tap::Source {
                        self.time_base = Some((num, den));
                    }
                }
                Event::Info(Line::Frame {
                    tap: Tap::Source,
                    n,
                    pts,
                    pts_time,
                    ..
                }) => {
                    let pts_s = self.seconds(pts, pts_time);
                    // Frames before `start_s` pile up here; only the newest few can still match.
                    if self.pending.len() >= 256 {
                        self.pending.pop_front();
                    }
                    self.pending.push_back(Pending {
                        index: n,
                        pts,
                        pts_s,
                    });
                }
                Event::Info(Line::Frame {
                    tap: Tap::Output,
                    pts,
                    pts_time,
                    size,
                    format,
                    ..
                }) => {
                    let (index, pts_s) = self.match_source(pts, pts_time);
                    if self.end_s.is_some_and(|end| pts_s > end + 1e-9) {
                        self.finished = true;
                        self.stop_child();
                        return None;
                    }
                    self.announced = Some(Announced {
                        index,
                        pts_s,
                        size,
                        format,
                    });
                }
                Event::Info(Line::Colour { .. }) => {}
                Event::Error(msg) => self.last_error = Some(msg),
                Event::Closed => return self.finish(),
            }
        }
    }
}

impl Drop for FrameReader {
    fn drop(&mut self) {
        // Disconnecting the stop channel releases the watchdog without killing anything.
        drop(self.stop_tx.take());
        self.stop_child();
        drop(self.stdout.take());
        if let Some(t) = self.watchdog.take() {
            let _ = t.join();
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
    }
}
