//! Video input for the analysis engine: probe an upload, decode it to RGB frames with their
//! real presentation timestamps, and measure camera motion. Server-only (runs ffmpeg/ffprobe
//! as child processes); everything here blocks, so call it from a blocking thread.
//!
//! ```ignore
//! # use std::path::Path;
//! # use airtime::analysis::video::*;
//! # fn run(path: &Path) -> Result<(), VideoError> {
//! let info = probe(path, &VideoLimits::default())?; // typed, coach-readable rejections
//! let mut motion = MotionEstimator::new();
//! for frame in decode(path, &info, &DecodeOptions::default())? {
//!     let frame = frame?;
//!     let (dx, dy) = motion.push(&frame, None);
//!     // frame.index, frame.pts_s (variable frame rate is normal), frame.rgb ...
//! }
//! # Ok(()) }
//! ```
//!
//! Guarantees callers rely on:
//! - `probe` never lets ffprobe auto-detect the container: MP4/MOV or Matroska/WebM is chosen
//!   from the magic bytes and forced, files are opened through the `file:` protocol only, and
//!   both tools run under a hard timeout.
//! - `Frame::index` is the frame's position in a default ffmpeg decode (edit-list pre-roll
//!   dropped) and `Frame::pts_s` its presentation time, both identical to what
//!   `ffprobe -show_frames` lists, including when decoding starts at `start_s`.
//! - Frames are upright (ffmpeg's autorotation applied) with square pixels; `decode_unprobed`,
//!   which starts ffmpeg before the probe so the two overlap, is for clips whose stored pixels
//!   are square (`VideoInfo::has_square_pixels`), and no frame should be read from it before
//!   the probe has accepted the file.
//! - A scaled frame's RGB is, to the bit, what ffmpeg's `scale=…:flags=area` with
//!   `-pix_fmt rgb24` gives (8-bit 4:2:0 sources); ffmpeg stops at planar YUV and the
//!   conversion runs here, vectorised, instead of in swscale's scalar C.
//! - ffmpeg opens only the decoders of `ALLOWED_CODECS`, also for streams it only probes.
//! - Dropping a [`FrameReader`] kills and reaps ffmpeg.
//!
//! Tools are found on PATH, or through `AIRTIME_FFMPEG` / `AIRTIME_FFPROBE`.

mod bounds;
mod decode;
mod error;
mod limits;
mod motion;
mod probe;
mod process;
mod showinfo;
mod sniff;
mod yuv_rgb;
#[cfg(target_arch = "x86_64")]
mod yuv_rgb_avx2;

pub use bounds::FrameBounds;
pub use decode::{
    decode, decode_unprobed, output_size, width_for_long_side, DecodeOptions, Frame, FrameReader,
};
pub use error::VideoError;
pub use limits::{VideoLimits, ALLOWED_CODECS};
pub use motion::MotionEstimator;
pub use probe::{probe, VideoInfo};

#[cfg(test)]
mod tests;
