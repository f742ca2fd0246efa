//! ffprobe → [`VideoInfo`], with every limit checked before decoding starts.

use std::ffi::OsStr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::VideoError;
use super::limits::{VideoLimits, ALLOWED_DECODERS, PROBE_AUDIO_DECODERS};
use super::process::{file_url, last_message, run_with_timeout};
use super::sniff::{sniff, Demuxer};

/// What Airtime needs to know about a clip before decoding it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    /// Display width: after the sample aspect ratio and the rotation are applied. Decoded frames
    /// have this aspect ratio.
    pub width: u32,
    /// Display height, see `width`.
    pub height: u32,
    /// Size of the decoded picture as stored, before SAR and rotation (ffprobe `width`).
    pub coded_width: u32,
    pub coded_height: u32,
    /// Rotation a player applies, counter-clockwise, in ffprobe's display-matrix convention
    /// (a portrait phone clip is typically 90 or 270): 0, 90, 180 or 270.
    pub rotation_deg: u32,
    pub duration_s: f64,
    /// Presentation time of the first frame; decoded `pts_s` values are absolute like ffprobe's.
    pub start_time_s: f64,
    /// ffprobe `codec_name`: "h264", "hevc", "vp9", "av1", ...
    pub codec: String,
    /// ffprobe `format_name`: "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".
    pub container: String,
    /// Frame count from the container header (MP4 has it, WebM usually not).
    pub frame_count: Option<u64>,
    pub avg_fps: Option<f64>,
    /// `r_frame_rate` and `avg_frame_rate` disagree by more than 2 %: timestamps are uneven and
    /// per-frame `pts_s` must be used.
    pub variable_frame_rate: bool,
    /// Index of the chosen video stream in the container (decode maps exactly this one).
    pub stream_index: u32,
}

impl VideoInfo {
    /// The stored picture, rotated, is already the display size: ffmpeg can size the frames
    /// without being told the sample aspect ratio (see `decode_unprobed`).
    pub fn has_square_pixels(&self) -> bool {
        let (w, h) = if self.rotation_deg % 180 == 90 {
            (self.coded_height, self.coded_width)
        } else {
            (self.coded_width, self.coded_height)
        };
        (w, h) == (self.width, self.height)
    }
}

/// Probes `path` with ffprobe (killed after `limits.probe_timeout`) and checks the limits.
///
/// The container is recognised from its magic bytes first and the matching demuxer is forced,
/// so ffprobe never runs its format auto-detection on an untrusted upload.
pub fn probe(path: &Path, limits: &VideoLimits) -> Result<VideoInfo, VideoError> {
    let demuxer = sniff(path)?;
    let url = file_url(path);
    let whitelist = format!("{ALLOWED_DECODERS},{PROBE_AUDIO_DECODERS}");
    // The same bounds ffmpeg gets: decoders from the whitelist only, no picture above the
    // pixel limit (with the padding slack `decode_unprobed` allows), a bounded number of
    // streams, and at most 5 MB / 5 s of the file read to find the streams' parameters.
    let max_pixels = (limits.max_pixels.saturating_mul(9) / 8).to_string();
    let max_streams = limits.max_streams.to_string();
    let args: [&OsStr; 24] = [
        "-hide_banner".as_ref(),
        "-v".as_ref(),
        "error".as_ref(),
        "-protocol_whitelist".as_ref(),
        "file".as_ref(),
        "-f".as_ref(),
        demuxer.ffmpeg_name().as_ref(),
        "-codec_whitelist".as_ref(),
        whitelist.as_ref(),
        "-max_pixels".as_ref(),
        max_pixels.as_ref(),
        "-max_streams".as_ref(),
        max_streams.as_ref(),
        "-probesize".as_ref(),
        "5000000".as_ref(),
        "-analyzeduration".as_ref(),
        "5000000".as_ref(),
        "-print_format".as_ref(),
        "json".as_ref(),
        "-show_format".as_ref(),
        "-show_streams".as_ref(),
        "-show_error".as_ref(),
        "-i".as_ref(),
        &url,
    ];
    let out = run_with_timeout(
        "ffprobe",
        &args,
        limits.probe_timeout,
        8 << 20,
        limits.tool_memory_bytes,
    )?;
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    if !out.status.success() || json.get("error").is_some() {
        if let Some(refused) = refused_by_bounds(&out.stderr, limits) {
            return Err(refused);
        }
        let msg = json
            .pointer("/error/string")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| last_message(&out.stderr));
        return Err(VideoError::NotAVideo(msg));
    }
    parse_probe(&json, limits)
}

/// ffprobe's own refusals under the bounds it was given, as the errors the checks in
/// [`parse_probe`] would have raised.
fn refused_by_bounds(stderr: &[u8], limits: &VideoLimits) -> Option<VideoError> {
    let text = String::from_utf8_lossy(stderr);
    if let Some(at) = text.find("Codec (") {
        let rest = &text[at + "Codec (".len()..];
        let codec = rest.split(')').next().unwrap_or_default();
        if rest.contains("not on whitelist") && !codec.is_empty() {
            return Some(VideoError::UnsupportedCodec {
                codec: codec.to_string(),
            });
        }
    }
    if text.contains("exceeds max_streams") {
        return Some(VideoError::TooManyStreams {
            max: limits.max_streams,
        });
    }
    let pixels = text.find("Picture size ").and_then(|at| {
        let size = text[at + "Picture size ".len()..]
            .split_whitespace()
            .next()?;
        let (w, h) = size.split_once('x')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    });
    pixels.map(|(width, height)| VideoError::TooLarge { width, height })
}

/// Pure part of [`probe`]: ffprobe JSON → checked `VideoInfo`.
pub(crate) fn parse_probe(json: &Value, limits: &VideoLimits) -> Result<VideoInfo, VideoError> {
    let format = json
        .get("format")
        .ok_or_else(|| VideoError::NotAVideo("ffprobe reported no format".into()))?;
    let container = str_field(format, "format_name").unwrap_or_default();
    if Demuxer::from_format_name(&container).is_none() {
        return Err(VideoError::UnsupportedFormat { format: container });
    }
    let streams = json
        .get("streams")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    limits.check_streams(streams.len())?;
    // Cover art in MP4/M4A shows up as a one-frame "video" stream; it is not the recording.
    let stream = streams
        .iter()
        .find(|s| {
            str_field(s, "codec_type").as_deref() == Some("video")
                && s.pointer("/disposition/attached_pic")
                    .and_then(Value::as_i64)
                    != Some(1)
        })
        .ok_or(VideoError::NoVideoStream)?;

    let codec = str_field(stream, "codec_name").unwrap_or_else(|| "unknown".into());
    limits.check_codec(&codec)?;

    let coded_width = u32_field(stream, "width").unwrap_or(0);
    let coded_height = u32_field(stream, "height").unwrap_or(0);
    if coded_width == 0 || coded_height == 0 {
        return Err(VideoError::NotAVideo(
            "video stream has no picture size".into(),
        ));
    }
    let rotation_deg = rotation(stream);
    let (mut width, mut height) = apply_sar(
        coded_width,
        coded_height,
        str_field(stream, "sample_aspect_ratio").as_deref(),
    );
    if rotation_deg % 180 == 90 {
        std::mem::swap(&mut width, &mut height);
    }
    limits.check_size((width, height), (coded_width, coded_height))?;

    let duration_s = f64_field(stream, "duration")
        .or_else(|| f64_field(format, "duration"))
        .or_else(|| {
            stream
                .pointer("/tags/DURATION")
                .and_then(Value::as_str)
                .and_then(parse_hms)
        })
        .filter(|d| d.is_finite() && *d >= 0.0)
        .ok_or_else(|| VideoError::NotAVideo("the file does not state its duration".into()))?;
    limits.check_duration(duration_s)?;

    let start_time_s = f64_field(stream, "start_time")
        .or_else(|| f64_field(format, "start_time"))
        .unwrap_or(0.0);
    let frame_count = str_field(stream, "nb_frames")
        .and_then(|s| s.parse::<u64>().ok())
        .or_else(|| {
            stream
                .pointer("/tags/NUMBER_OF_FRAMES")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
        })
        .filter(|&n| n > 0);
    let avg_fps = str_field(stream, "avg_frame_rate").and_then(|s| parse_rate(&s));
    let r_fps = str_field(stream, "r_frame_rate").and_then(|s| parse_rate(&s));
    limits.check_frames(frame_count, avg_fps, duration_s)?;
    let variable_frame_rate = match (avg_fps, r_fps) {
        (Some(a), Some(r)) => (a - r).abs() / a > 0.02,
        _ => false,
    };
    Ok(VideoInfo {
        width,
        height,
        coded_width,
        coded_height,
        rotation_deg,
        duration_s,
        start_time_s,
        codec,
        container,
        frame_count,
        avg_fps,
        variable_frame_rate,
        stream_index: u32_field(stream, "index").unwrap_or(0),
    })
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn u32_field(v: &Value, key: &str) -> Option<u32> {
    v.get(key)?.as_u64().and_then(|n| u32::try_from(n).ok())
}

/// ffprobe prints most numbers as strings ("28.300000", "N/A").
fn f64_field(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// "30000/1001" → 29.97; "0/0" → None.
pub(crate) fn parse_rate(s: &str) -> Option<f64> {
    let (n, d) = s.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (n > 0.0 && d > 0.0).then(|| n / d)
}

/// Matroska's "00:00:05.033000000".
fn parse_hms(s: &str) -> Option<f64> {
    let mut total = 0.0;
    for part in s.split(':') {
        total = total * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(total)
}

/// Display-matrix side data wins over the legacy `rotate` tag; the tag is clockwise while the
/// matrix value ffprobe prints is counter-clockwise, hence the sign flip.
fn rotation(stream: &Value) -> u32 {
    let from_matrix = stream
        .get("side_data_list")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find_map(|sd| f64_field(sd, "rotation")));
    let degrees = from_matrix.or_else(|| {
        stream
            .pointer("/tags/rotate")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<f64>().ok())
            .map(|cw| -cw)
    });
    match degrees {
        Some(d) if d.is_finite() => ((d / 90.0).round() as i64).rem_euclid(4) as u32 * 90,
        _ => 0,
    }
}

/// Stretches the stored picture to square pixels the way players do: anamorphic width grows,
/// never shrinks, so no detail is thrown away.
fn apply_sar(w: u32, h: u32, sar: Option<&str>) -> (u32, u32) {
    let ratio = sar
        .and_then(|s| s.split_once(':'))
        .and_then(|(n, d)| Some((n.parse::<f64>().ok()?, d.parse::<f64>().ok()?)))
        .filter(|(n, d)| *n > 0.0 && *d > 0.0)
        .map(|(n, d)| n / d)
        .unwrap_or(1.0);
    if (ratio - 1.0).abs() < 1e-6 {
        (w, h)
    } else if ratio > 1.0 {
        ((f64::from(w) * ratio).round() as u32, h)
    } else {
        (w, (f64::from(h) / ratio).round() as u32)
    }
}
