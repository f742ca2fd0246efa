//! Typed failures with messages written for the coach who uploaded the clip.

use thiserror::Error;

/// Everything that can go wrong between "a file was uploaded" and "frames are flowing".
///
/// `Display` is the coach-facing sentence, followed for the technical variants by the detail
/// that helps whoever reads the server log. [`VideoError::user_message`] is the sentence alone.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum VideoError {
    /// The bytes are not a video container ffprobe can read.
    #[error("{msg} (detail: {0})", msg = self.user_message())]
    NotAVideo(String),
    /// A readable container, but only audio, subtitles, data or cover art.
    #[error("{}", self.user_message())]
    NoVideoStream,
    #[error("{}", self.user_message())]
    TooLong { duration_s: f64, max_s: f64 },
    /// Display size (after rotation) above the 4K limit.
    #[error("{}", self.user_message())]
    TooLarge { width: u32, height: u32 },
    #[error("{}", self.user_message())]
    UnsupportedCodec { codec: String },
    /// A video container other than MP4/MOV/WebM/Matroska (e.g. AVI, MPEG-TS, GIF).
    #[error("{}", self.user_message())]
    UnsupportedFormat { format: String },
    /// Frames timed closer together than any camera records (declared or measured).
    #[error("{}", self.user_message())]
    FrameRateTooHigh { fps: f64, max_fps: f64 },
    /// More frames than the longest accepted clip at the highest accepted frame rate.
    #[error("{}", self.user_message())]
    TooManyFrames { frames: u64, max: u64 },
    /// Frame timestamps that stand still or run backwards.
    #[error("{}", self.user_message())]
    TimestampsStuck,
    /// More streams than any phone recording carries.
    #[error("{}", self.user_message())]
    TooManyStreams { max: u32 },
    /// `ffmpeg` or `ffprobe` could not be started.
    #[error("{} ({tool} could not be started)", self.user_message())]
    ToolMissing { tool: &'static str },
    /// The child process was killed because it exceeded its time budget.
    #[error("{} ({tool} killed after {after_s:.1} s)", self.user_message())]
    Timeout { tool: &'static str, after_s: f64 },
    /// ffmpeg failed while decoding; carries ffmpeg's last error line.
    #[error("{msg} (ffmpeg: {0})", msg = self.user_message())]
    Decode(String),
    /// The server could not read the uploaded file or talk to the child process.
    #[error("{msg} (detail: {0})", msg = self.user_message())]
    Io(String),
}

impl VideoError {
    /// One or two sentences a coach can act on; no ffmpeg jargon.
    pub fn user_message(&self) -> String {
        match self {
            VideoError::NotAVideo(_) => "Airtime couldn't read this file as a video. Upload the \
                recording straight from your phone's camera (MP4 or MOV) and try again."
                .to_string(),
            VideoError::NoVideoStream => "This file has no picture in it (only sound or data). \
                Upload the video recording of the jump."
                .to_string(),
            VideoError::TooLong { duration_s, max_s } => format!(
                "This file is {} s long; Airtime analyses clips up to {} s. Trim it to the jump \
                 and try again.",
                round_seconds(*duration_s),
                round_seconds(*max_s)
            ),
            VideoError::TooLarge { width, height } => format!(
                "This video is {width}×{height} pixels; Airtime accepts up to 4K (3840×2160). \
                 Record at 4K or lower, or export a smaller copy, and try again."
            ),
            VideoError::UnsupportedCodec { codec } => format!(
                "This video is compressed with {}, which Airtime can't read. Upload the clip as \
                 it came from your phone's camera (H.264 or HEVC), or export it as MP4 (H.264).",
                codec_label(codec)
            ),
            VideoError::UnsupportedFormat { format } => format!(
                "This is {} file; Airtime accepts MP4, MOV, WebM and MKV videos. Export the clip \
                 as MP4 and try again.",
                with_article(format)
            ),
            VideoError::FrameRateTooHigh { fps, max_fps } => format!(
                "This video's frames are timed {}; Airtime reads up to {} frames per second \
                 (phone slow motion records 120 or 240). Export the clip again from the phone's \
                 gallery and try again.",
                if fps.is_finite() && *fps < 10_000.0 {
                    format!("at {fps:.0} frames per second")
                } else {
                    "closer together than any camera records".to_string()
                },
                max_fps.round()
            ),
            VideoError::TooManyFrames { frames, max } => {
                format!(
                "This video has {} frames, more than the {max} Airtime reads in one clip. Trim \
                 it to the jump and try again.",
                if frames > max { format!("over {max}") } else { frames.to_string() }
            )
            }
            VideoError::TimestampsStuck => "The frame times in this video do not move forward, \
                so its timing cannot be trusted. Export the clip again from the phone's gallery \
                and try again."
                .to_string(),
            VideoError::TooManyStreams { max } => format!(
                "This file holds more than {max} tracks; a phone recording has picture, sound \
                 and a few data tracks. Upload the clip as it came from the camera."
            ),
            VideoError::ToolMissing { .. } => "Video processing isn't available on this server \
                right now. Please try again later or tell the site administrator."
                .to_string(),
            VideoError::Timeout { .. } => "Reading this video took too long and was stopped. \
                Trim the clip to the jump, or record at a lower resolution, and try again."
                .to_string(),
            VideoError::Decode(_) => "Airtime couldn't decode this video; the file may be \
                damaged or incomplete. Export or upload it again."
                .to_string(),
            VideoError::Io(_) => "The server couldn't read the uploaded file. Please try the \
                upload again."
                .to_string(),
        }
    }

    /// True when the upload itself is the problem (the coach can fix it), false when the
    /// server is (missing tools, I/O); callers map this to 4xx versus 5xx.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, VideoError::ToolMissing { .. } | VideoError::Io(_))
    }
}

/// Whole seconds read better than "60.0333 s", but never round a too-long clip down to the limit.
fn round_seconds(s: f64) -> String {
    if !s.is_finite() {
        return "?".to_string();
    }
    let r = s.round();
    if (s - r).abs() < 0.05 {
        format!("{r:.0}")
    } else {
        format!("{s:.1}")
    }
}

fn codec_label(codec: &str) -> String {
    let pretty = match codec {
        "prores" => "Apple ProRes",
        "mjpeg" => "Motion JPEG",
        "dnxhd" => "Avid DNxHD",
        "mpeg2video" => "MPEG-2",
        "mpeg1video" => "MPEG-1",
        "wmv3" | "wmv2" | "wmv1" | "vc1" => "Windows Media Video",
        "rawvideo" => "uncompressed video",
        "h263" => "H.263",
        "theora" => "Theora",
        _ => return format!("the \u{201c}{codec}\u{201d} codec"),
    };
    pretty.to_string()
}

fn with_article(format: &str) -> String {
    let vowel = format
        .chars()
        .next()
        .map(|c| "AEIOUaeiou".contains(c) || c == 'M' || c == 'F')
        .unwrap_or(false);
    // "an MPEG-TS", "an FLV", "an AVI", but "a GIF".
    if vowel {
        format!("an {format}")
    } else {
        format!("a {format}")
    }
}
