//! What Airtime agrees to decode, checked against the probe before any frame is decoded.

use std::time::Duration;

use super::error::VideoError;

/// Codecs phones and browsers actually produce; anything else is rejected before decoding so an
/// exotic (and less battle-tested) ffmpeg decoder never sees untrusted input.
pub const ALLOWED_CODECS: &[&str] = &["h264", "hevc", "vp8", "vp9", "av1", "mpeg4"];

/// ffmpeg's decoders for [`ALLOWED_CODECS`] (AV1 has three), for `-codec_whitelist`: ffmpeg
/// refuses to open any other, also while it probes streams it will not decode.
pub(crate) const ALLOWED_DECODERS: &str = "h264,hevc,vp8,vp9,libdav1d,libaom-av1,av1,mpeg4";

/// Upload limits. `Default` is what the web app uses.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoLimits {
    /// Longest clip accepted, in seconds (default 60). A jump test is a few seconds; long files
    /// only cost decode time.
    pub max_duration_s: f64,
    /// Slack on `max_duration_s` so a "60 s" phone clip of 60.03 s is not refused.
    pub duration_tolerance_s: f64,
    /// Longest side in display pixels (default 4096, DCI 4K).
    pub max_long_side: u32,
    /// Pixel count (default 4096×2160): UHD and DCI 4K pass, 4096×2304 and up do not.
    pub max_pixels: u64,
    /// Hard limit on the ffprobe run (default 20 s).
    pub probe_timeout: Duration,
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits {
            max_duration_s: 60.0,
            duration_tolerance_s: 0.5,
            max_long_side: 4096,
            max_pixels: 4096 * 2160,
            probe_timeout: Duration::from_secs(20),
        }
    }
}

impl VideoLimits {
    pub(crate) fn check_codec(&self, codec: &str) -> Result<(), VideoError> {
        if ALLOWED_CODECS.contains(&codec) {
            Ok(())
        } else {
            Err(VideoError::UnsupportedCodec {
                codec: codec.to_string(),
            })
        }
    }

    /// Checks both the coded and the display size: the coded size is what the decoder has to
    /// allocate, the display size is what the coach sees and is quoted in the message.
    pub(crate) fn check_size(
        &self,
        display: (u32, u32),
        coded: (u32, u32),
    ) -> Result<(), VideoError> {
        let too_big = |(w, h): (u32, u32)| {
            w.max(h) > self.max_long_side || u64::from(w) * u64::from(h) > self.max_pixels
        };
        if too_big(display) || too_big(coded) {
            Err(VideoError::TooLarge {
                width: display.0,
                height: display.1,
            })
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_duration(&self, duration_s: f64) -> Result<(), VideoError> {
        if duration_s > self.max_duration_s + self.duration_tolerance_s {
            Err(VideoError::TooLong {
                duration_s,
                max_s: self.max_duration_s,
            })
        } else {
            Ok(())
        }
    }
}
