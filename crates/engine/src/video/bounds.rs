//! Bounds on what a stream of decoded frames may be, whatever its header declared.
//!
//! A container can state a short duration and a modest frame rate while its timestamps put
//! thousands of frames into one millisecond; everything downstream holds frames by time
//! (the pose pass keeps half a second of them), so a rate no camera records must stop the
//! decode, not fill the memory. The guard looks at the timestamps ffmpeg reports for the
//! frames it actually decoded.

use std::collections::VecDeque;

use super::error::VideoError;

/// Phones record up to 240 fps; a little over it is timestamp jitter, not a faster camera.
const RATE_TOLERANCE: f64 = 1.05;
/// Frames whose timestamp does not move past the previous one, tolerated in a whole clip
/// (a damaged frame or two in a phone recording), beyond which the timeline is not real.
const MAX_STUCK_FRAMES: u32 = 8;
/// The window the frame rate is measured over.
const WINDOW_S: f64 = 1.0;

/// What a decoded stream may hold, from [`super::VideoLimits`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameBounds {
    /// Highest frame rate, in frames per second of presentation time.
    pub max_fps: f64,
    /// Most frames in the whole clip.
    pub max_frames: u64,
}

impl FrameBounds {
    /// Frames allowed in any one-second window of presentation time.
    pub fn frames_per_window(&self) -> usize {
        (self.max_fps * RATE_TOLERANCE * WINDOW_S).ceil() as usize + 1
    }
}

/// Checks each decoded frame's timestamp as it arrives; memory is one window of timestamps.
#[derive(Debug)]
pub(crate) struct FrameGuard {
    bounds: FrameBounds,
    window: VecDeque<f64>,
    last_pts_s: Option<f64>,
    stuck: u32,
    frames: u64,
}

impl FrameGuard {
    pub(crate) fn new(bounds: FrameBounds) -> Self {
        FrameGuard {
            bounds,
            window: VecDeque::with_capacity(bounds.frames_per_window() + 1),
            last_pts_s: None,
            stuck: 0,
            frames: 0,
        }
    }

    /// Accepts the next frame's presentation time or says why the stream must stop.
    pub(crate) fn admit(&mut self, pts_s: f64) -> Result<(), VideoError> {
        self.frames += 1;
        if self.frames > self.bounds.max_frames {
            return Err(VideoError::TooManyFrames {
                frames: self.frames,
                max: self.bounds.max_frames,
            });
        }
        let advanced = pts_s.is_finite() && self.last_pts_s.is_none_or(|last| pts_s > last);
        if !advanced {
            self.stuck += 1;
            if self.stuck > MAX_STUCK_FRAMES {
                return Err(VideoError::TimestampsStuck);
            }
            return Ok(());
        }
        self.last_pts_s = Some(pts_s);
        while self.window.front().is_some_and(|&t| t <= pts_s - WINDOW_S) {
            self.window.pop_front();
        }
        self.window.push_back(pts_s);
        if self.window.len() > self.bounds.frames_per_window() {
            return Err(VideoError::FrameRateTooHigh {
                fps: self.recent_rate(),
                max_fps: self.bounds.max_fps,
            });
        }
        Ok(())
    }
}

/// Frames the rate in the message is measured over: the latest few, so a burst reads as the
/// burst it is rather than averaged with the second of ordinary frames around it.
const RECENT_FRAMES: usize = 16;

impl FrameGuard {
    /// The rate of the latest frames; a zero span reads as "far above".
    fn recent_rate(&self) -> f64 {
        let n = self.window.len().min(RECENT_FRAMES);
        let span = match (self.window.get(self.window.len() - n), self.window.back()) {
            (Some(first), Some(last)) => last - first,
            _ => 0.0,
        };
        if span > 0.0 {
            (n - 1) as f64 / span
        } else {
            f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: FrameBounds = FrameBounds {
        max_fps: 240.0,
        max_frames: 240 * 60,
    };

    fn feed(times: impl IntoIterator<Item = f64>) -> Result<u64, VideoError> {
        let mut guard = FrameGuard::new(BOUNDS);
        for t in times {
            guard.admit(t)?;
        }
        Ok(guard.frames)
    }

    #[test]
    fn phone_rates_pass_up_to_240_fps() {
        for fps in [24.0, 29.97, 60.0, 120.0, 239.76, 240.0] {
            let n = (fps * 5.0) as u32;
            assert!(
                feed((0..n).map(|i| f64::from(i) / fps)).is_ok(),
                "{fps} fps"
            );
        }
    }

    #[test]
    fn a_burst_of_frames_microseconds_apart_is_refused_within_one_window() {
        let mut guard = FrameGuard::new(BOUNDS);
        let times = (0..30)
            .map(|i| f64::from(i) / 30.0)
            .chain((0..100_000).map(|i| 1.0 + f64::from(i) * 1e-6));
        let mut admitted = 0;
        let err = times
            .map(|t| guard.admit(t).map(|_| admitted += 1))
            .find_map(Result::err)
            .expect("refused");
        assert!(
            matches!(err, VideoError::FrameRateTooHigh { fps, .. } if fps > 10_000.0),
            "{err:?}"
        );
        assert!(admitted <= 30 + BOUNDS.frames_per_window(), "{admitted}");
    }

    #[test]
    fn a_steady_rate_just_above_the_limit_is_refused() {
        let err = feed((0..600).map(|i| f64::from(i) / 300.0)).unwrap_err();
        assert!(
            matches!(err, VideoError::FrameRateTooHigh { fps, .. } if (fps - 300.0).abs() < 1.0),
            "{err:?}"
        );
    }

    #[test]
    fn timestamps_that_do_not_advance_are_refused_after_a_few() {
        assert!(
            feed([0.0, 0.1, 0.1, 0.2, f64::NAN, 0.3]).is_ok(),
            "a damaged frame or two"
        );
        let err = feed(std::iter::repeat_n(0.5, 20)).unwrap_err();
        assert_eq!(err, VideoError::TimestampsStuck);
        let backwards = feed((0..20).map(|i| 10.0 - f64::from(i))).unwrap_err();
        assert_eq!(backwards, VideoError::TimestampsStuck);
    }

    #[test]
    fn the_frame_count_is_capped_whatever_the_rate() {
        let small = FrameBounds {
            max_fps: 240.0,
            max_frames: 100,
        };
        let mut guard = FrameGuard::new(small);
        let err = (0..200)
            .map(|i| guard.admit(f64::from(i) / 30.0))
            .find_map(Result::err)
            .unwrap();
        assert!(
            matches!(
                err,
                VideoError::TooManyFrames {
                    frames: 101,
                    max: 100
                }
            ),
            "{err:?}"
        );
    }
}
