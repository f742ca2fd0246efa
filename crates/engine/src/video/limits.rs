//! What Airtime agrees to decode, checked against the probe before any frame is decoded.

use std::time::Duration;

use super::bounds::FrameBounds;
use super::error::VideoError;

/// Codecs phones and browsers actually produce; anything else is rejected before decoding so an
/// exotic (and less battle-tested) ffmpeg decoder never sees untrusted input.
pub const ALLOWED_CODECS: &[&str] = &["h264", "hevc", "vp8", "vp9", "av1", "mpeg4"];

/// ffmpeg's decoders for [`ALLOWED_CODECS`] (AV1 has three), for `-codec_whitelist`: ffmpeg
/// refuses to open any other, also while it probes streams it will not decode.
pub(crate) const ALLOWED_DECODERS: &str = "h264,hevc,vp8,vp9,libdav1d,libaom-av1,av1,mpeg4";

/// What ffprobe may open besides [`ALLOWED_DECODERS`]: it opens a decoder for every stream
/// and refuses the whole file when one is not on its whitelist, so the sound tracks phones
/// and editors write must be on it too. These are old, heavily fuzzed decoders, and ffprobe
/// runs under the same memory and time limits as ffmpeg.
pub(crate) const PROBE_AUDIO_DECODERS: &str = "aac,aac_fixed,alac,mp3,mp3float,opus,libopus,\
vorbis,flac,ac3,ac3_fixed,eac3,amrnb,amrwb,pcm_s16le,pcm_s16be,pcm_s24le,pcm_s24be,pcm_s32le,\
pcm_f32le,pcm_mulaw,pcm_alaw";

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
    /// Highest frame rate, declared or measured (default 240: phone slow motion).
    pub max_fps: f64,
    /// Most streams a file may hold (default 8: picture, sound, a few metadata tracks).
    pub max_streams: u32,
    /// Address space ffprobe and ffmpeg may map (default 1 GiB; a 4K HEVC decode on two
    /// threads peaks near a third of it).
    pub tool_memory_bytes: u64,
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits {
            max_duration_s: 60.0,
            duration_tolerance_s: 0.5,
            max_long_side: 4096,
            max_pixels: 4096 * 2160,
            probe_timeout: Duration::from_secs(20),
            max_fps: 240.0,
            max_streams: 8,
            tool_memory_bytes: 1 << 30,
        }
    }
}

impl VideoLimits {
    /// Most frames a clip may hold: the longest clip at the highest frame rate.
    pub fn max_frames(&self) -> u64 {
        ((self.max_duration_s + self.duration_tolerance_s) * self.max_fps).ceil() as u64
    }

    /// What the decoder enforces on the frames it actually decodes.
    pub fn frame_bounds(&self) -> FrameBounds {
        FrameBounds {
            max_fps: self.max_fps,
            max_frames: self.max_frames(),
        }
    }

    pub(crate) fn check_streams(&self, streams: usize) -> Result<(), VideoError> {
        if streams > self.max_streams as usize {
            Err(VideoError::TooManyStreams {
                max: self.max_streams,
            })
        } else {
            Ok(())
        }
    }

    /// The header's frame count and rates against the bounds, before a frame is decoded:
    /// the declared average rate, and the count over the duration (which a header cannot
    /// make both small and consistent with a burst of frames).
    pub(crate) fn check_frames(
        &self,
        frame_count: Option<u64>,
        avg_fps: Option<f64>,
        duration_s: f64,
    ) -> Result<(), VideoError> {
        let ceiling = self.max_fps * 1.05;
        let counted = frame_count.filter(|&n| n > 1).map(|n| {
            if duration_s > 0.0 {
                n as f64 / duration_s
            } else {
                f64::INFINITY
            }
        });
        // A one-frame-per-clip rounding on short clips must not count: allow one frame more.
        let counted = counted.filter(|&fps| {
            let slack = if duration_s > 0.0 {
                1.0 / duration_s
            } else {
                0.0
            };
            fps - slack > ceiling
        });
        if let Some(fps) = counted.or(avg_fps.filter(|&fps| fps > ceiling)) {
            return Err(VideoError::FrameRateTooHigh {
                fps,
                max_fps: self.max_fps,
            });
        }
        if let Some(frames) = frame_count.filter(|&n| n > self.max_frames()) {
            return Err(VideoError::TooManyFrames {
                frames,
                max: self.max_frames(),
            });
        }
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_beyond_the_frame_bounds_are_refused_before_decoding() {
        let limits = VideoLimits::default();
        // Phone clips: 30 fps for a minute, 240 fps slow motion, a one-frame rounding.
        assert!(limits.check_frames(Some(1800), Some(30.0), 60.0).is_ok());
        assert!(limits.check_frames(Some(2400), Some(240.0), 10.0).is_ok());
        assert!(limits.check_frames(Some(241), Some(240.0), 1.0).is_ok());
        assert!(limits.check_frames(None, None, 5.0).is_ok());
        // The burst: 200,000 frames declared as 0.2 s.
        let burst = limits
            .check_frames(Some(200_000), Some(1e6), 0.2)
            .unwrap_err();
        assert!(
            matches!(burst, VideoError::FrameRateTooHigh { fps, .. } if fps > 1e5),
            "{burst:?}"
        );
        // Timestamps that never advance: many frames, no duration.
        assert!(matches!(
            limits.check_frames(Some(50), None, 0.0),
            Err(VideoError::FrameRateTooHigh { .. })
        ));
        // An honest rate for too long a clip.
        assert!(matches!(
            limits.check_frames(Some(20_000), Some(240.0), 83.0),
            Err(VideoError::TooManyFrames { frames: 20_000, .. })
        ));
        assert!(matches!(
            limits.check_streams(9),
            Err(VideoError::TooManyStreams { max: 8 })
        ));
        assert!(limits.check_streams(3).is_ok());
    }
}
