//! End-to-end tests against the real ffmpeg/ffprobe, on clips synthesised with lavfi. Without
//! the tools each test says it skipped, and fails under CI (`test_support::missing`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::*;

fn tools_available() -> bool {
    let ok = |tool: &str| {
        Command::new(tool)
            .arg("-version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    ok("ffmpeg") && ok("ffprobe")
}

macro_rules! require_ffmpeg {
    () => {
        if !tools_available() {
            crate::test_support::missing("ffmpeg/ffprobe not installed");
            return;
        }
    };
}

/// A per-test scratch directory, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("airtime-video-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs ffmpeg with `args` writing `out`; panics with ffmpeg's stderr on failure.
fn ffmpeg(args: &[&str], out: &Path) {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y", "-nostdin"])
        .args(args)
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn lavfi_clip(out: &Path, src: &str, seconds: f64, codec_args: &[&str]) {
    let t = format!("{seconds}");
    let mut args = vec!["-f", "lavfi", "-i", src, "-t", &t];
    args.extend_from_slice(codec_args);
    ffmpeg(&args, out);
}

const X264: &[&str] = &[
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
];

/// Presentation times of every frame as ffprobe lists them.
fn ffprobe_pts(path: &Path) -> Vec<f64> {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "frame=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split(',').next()?.trim().parse().ok())
        .collect()
}

fn decode_all(path: &Path, info: &VideoInfo, opts: &DecodeOptions) -> Vec<Frame> {
    decode(path, info, opts)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// Decodes and checks count, indices, sizes and timestamps against ffprobe.
fn check_decode_matches_ffprobe(path: &Path, info: &VideoInfo) -> Vec<Frame> {
    let frames = decode_all(path, info, &DecodeOptions::default());
    let expected = ffprobe_pts(path);
    assert_eq!(frames.len(), expected.len(), "frame count for {path:?}");
    for (i, (f, want)) in frames.iter().zip(&expected).enumerate() {
        assert_eq!(f.index as usize, i);
        assert!(
            (f.pts_s - want).abs() < 1e-5,
            "frame {i}: pts {} vs ffprobe {want}",
            f.pts_s
        );
        assert_eq!(f.rgb.len(), (f.width * f.height * 3) as usize);
    }
    frames
}

fn process_gone(pid: u32) -> bool {
    // A reaped child has no /proc entry; a zombie would still show one.
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn h264_mp4_probe_and_decode() {
    require_ffmpeg!();
    let dir = Scratch::new("h264");
    let clip = dir.path("clip.mp4");
    // B-frames and the MP4 edit list they need exercise the pre-roll handling.
    lavfi_clip(
        &clip,
        "testsrc2=size=1280x720:rate=30",
        2.0,
        &[
            "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-pix_fmt", "yuv420p",
        ],
    );
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    assert_eq!((info.width, info.height), (1280, 720));
    assert_eq!(info.codec, "h264");
    assert!(info.container.contains("mp4"));
    assert_eq!(info.rotation_deg, 0);
    assert_eq!(info.frame_count, Some(60));
    assert!((info.avg_fps.unwrap() - 30.0).abs() < 1e-6);
    assert!(!info.variable_frame_rate);
    assert!((info.duration_s - 2.0).abs() < 0.05);
    let frames = check_decode_matches_ffprobe(&clip, &info);
    assert_eq!((frames[0].width, frames[0].height), (640, 360));
}

#[test]
fn hevc_mp4_and_mov_decode() {
    require_ffmpeg!();
    let dir = Scratch::new("hevc");
    for name in ["clip.mp4", "clip.mov"] {
        let clip = dir.path(name);
        lavfi_clip(
            &clip,
            "testsrc2=size=640x480:rate=25",
            1.0,
            &[
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
                "-pix_fmt",
                "yuv420p",
                "-tag:v",
                "hvc1",
            ],
        );
        let info = probe(&clip, &VideoLimits::default()).unwrap();
        assert_eq!(info.codec, "hevc");
        let frames = check_decode_matches_ffprobe(&clip, &info);
        assert_eq!(frames.len(), 25);
        assert_eq!((frames[0].width, frames[0].height), (640, 480));
    }
}

#[test]
fn vp9_webm_decode() {
    require_ffmpeg!();
    let dir = Scratch::new("vp9");
    let clip = dir.path("clip.webm");
    lavfi_clip(
        &clip,
        "testsrc2=size=320x240:rate=30",
        1.0,
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "300k",
        ],
    );
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    assert_eq!(info.codec, "vp9");
    assert!(info.container.contains("webm") || info.container.contains("matroska"));
    let frames = check_decode_matches_ffprobe(&clip, &info);
    assert_eq!(frames.len(), 30);
    // Never upscaled past the display size.
    assert_eq!((frames[0].width, frames[0].height), (320, 240));
}

#[test]
fn rotation_90_swaps_dimensions() {
    require_ffmpeg!();
    let dir = Scratch::new("rot");
    let plain = dir.path("plain.mp4");
    let rotated = dir.path("rotated.mp4");
    lavfi_clip(&plain, "testsrc2=size=640x360:rate=30", 0.5, X264);
    ffmpeg(
        &[
            "-i",
            plain.to_str().unwrap(),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
        ],
        &rotated,
    );
    let info = probe(&rotated, &VideoLimits::default()).unwrap();
    assert_eq!(info.rotation_deg % 180, 90, "{info:?}");
    assert_eq!((info.coded_width, info.coded_height), (640, 360));
    assert_eq!((info.width, info.height), (360, 640));
    let frames = check_decode_matches_ffprobe(&rotated, &info);
    assert_eq!((frames[0].width, frames[0].height), (360, 640));
    // The pixels are really turned: the upright frame's top-left corner (testsrc2's black
    // timecode box) must show up in a corner of the rotated frame, not stay at top-left.
    let upright = decode_all(
        &plain,
        &probe(&plain, &VideoLimits::default()).unwrap(),
        &DecodeOptions::default(),
    );
    let luma = |f: &Frame, x: u32, y: u32| {
        let i = ((y * f.width + x) * 3) as usize;
        u32::from(f.rgb[i]) + u32::from(f.rgb[i + 1]) + u32::from(f.rgb[i + 2])
    };
    let a = &upright[0];
    let b = &frames[0];
    // Upright pixel (x, y) lands at (y, W-1-x) after a counter-clockwise quarter turn and at
    // (H-1-y, x) after a clockwise one; one of them must match.
    let mut ccw = 0i64;
    let mut cw = 0i64;
    for (x, y) in [(20, 100), (300, 50), (500, 300), (100, 250), (600, 20)] {
        let v = luma(a, x, y) as i64;
        ccw += (v - luma(b, y, a.width - 1 - x) as i64).abs();
        cw += (v - luma(b, a.height - 1 - y, x) as i64).abs();
    }
    assert!(
        ccw.min(cw) < 5 * 60,
        "rotated pixels do not line up (ccw {ccw}, cw {cw})"
    );
}

#[test]
fn variable_frame_rate_keeps_real_timestamps() {
    require_ffmpeg!();
    let dir = Scratch::new("vfr");
    let clip = dir.path("vfr.mp4");
    // One second at 30 fps, then one at 60 fps, plus jitter in the second half.
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=60",
            "-t",
            "2",
            "-vf",
            "setpts='if(lt(N,30),N/30,1+(N-30)/60+0.004*mod(N,3))/TB'",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-video_track_timescale",
            "90000",
        ],
        &clip,
    );
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    assert!(info.variable_frame_rate, "{info:?}");
    let frames = check_decode_matches_ffprobe(&clip, &info);
    let gaps: Vec<f64> = frames.windows(2).map(|w| w[1].pts_s - w[0].pts_s).collect();
    assert!((gaps[5] - 1.0 / 30.0).abs() < 1e-4);
    assert!(gaps[40] < 0.03, "second half is faster: {}", gaps[40]);
}

#[test]
fn start_and_end_keep_original_index_and_pts() {
    require_ffmpeg!();
    let dir = Scratch::new("seek");
    let clip = dir.path("clip.mp4");
    lavfi_clip(&clip, "testsrc2=size=320x240:rate=30", 3.0, X264);
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    let all = decode_all(&clip, &info, &DecodeOptions::default());
    let opts = DecodeOptions {
        start_s: Some(1.0),
        end_s: Some(2.0),
        ..DecodeOptions::default()
    };
    let part = decode_all(&clip, &info, &opts);
    assert_eq!(part.first().unwrap().index, 30);
    assert_eq!(part.last().unwrap().index, 60);
    assert_eq!(part.len(), 31);
    for f in &part {
        let g = &all[f.index as usize];
        assert!((f.pts_s - g.pts_s).abs() < 1e-9);
        assert!(
            f.rgb == g.rgb,
            "frame {} differs from the full decode",
            f.index
        );
    }
}

#[test]
fn too_long_is_rejected() {
    require_ffmpeg!();
    let dir = Scratch::new("long");
    let clip = dir.path("long.mp4");
    lavfi_clip(&clip, "testsrc2=size=64x64:rate=2", 61.0, X264);
    match probe(&clip, &VideoLimits::default()) {
        Err(e @ VideoError::TooLong { .. }) => {
            let msg = e.user_message();
            assert!(msg.contains("61 s") && msg.contains("60 s"), "{msg}");
        }
        other => panic!("expected TooLong, got {other:?}"),
    }
}

#[test]
fn text_file_is_not_a_video() {
    require_ffmpeg!();
    let dir = Scratch::new("text");
    let fake = dir.path("notes.mp4");
    std::fs::write(&fake, "jump 1: 42 cm\njump 2: 44 cm\n").unwrap();
    assert!(matches!(
        probe(&fake, &VideoLimits::default()),
        Err(VideoError::NotAVideo(_))
    ));
    // A truncated MP4 header passes the signature check but not ffprobe.
    let broken = dir.path("broken.mp4");
    std::fs::write(
        &broken,
        b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41garbage",
    )
    .unwrap();
    assert!(matches!(
        probe(&broken, &VideoLimits::default()),
        Err(VideoError::NotAVideo(_))
    ));
}

#[test]
fn audio_only_has_no_video_stream() {
    require_ffmpeg!();
    let dir = Scratch::new("audio");
    let clip = dir.path("voice.mp4");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "1",
            "-c:a",
            "aac",
        ],
        &clip,
    );
    assert!(matches!(
        probe(&clip, &VideoLimits::default()),
        Err(VideoError::NoVideoStream)
    ));
}

#[test]
fn larger_than_4k_is_rejected() {
    require_ffmpeg!();
    let dir = Scratch::new("large");
    let clip = dir.path("large.mp4");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=gray:size=4096x2304:rate=1",
            "-frames:v",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
        &clip,
    );
    match probe(&clip, &VideoLimits::default()) {
        Err(VideoError::TooLarge { width, height }) => assert_eq!((width, height), (4096, 2304)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

/// A MOV holding MJPEG: a container we read with a codec we refuse.
fn mjpeg_mov(dir: &Scratch) -> PathBuf {
    let mjpeg = dir.path("mjpeg.mov");
    lavfi_clip(
        &mjpeg,
        "testsrc2=size=64x64:rate=5",
        0.4,
        &["-c:v", "mjpeg"],
    );
    mjpeg
}

#[test]
fn other_codecs_and_containers_are_rejected() {
    require_ffmpeg!();
    let dir = Scratch::new("other");
    let mjpeg = mjpeg_mov(&dir);
    assert!(matches!(
        probe(&mjpeg, &VideoLimits::default()),
        Err(VideoError::UnsupportedCodec { codec }) if codec == "mjpeg"
    ));
    let avi = dir.path("clip.avi");
    lavfi_clip(&avi, "testsrc2=size=64x64:rate=5", 0.4, &["-c:v", "mpeg4"]);
    match probe(&avi, &VideoLimits::default()) {
        Err(e @ VideoError::UnsupportedFormat { .. }) => {
            assert!(e.user_message().contains("an AVI file"), "{e}")
        }
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

/// The engine starts ffmpeg before the probe: its frames must be those of a probed decode.
#[test]
fn unprobed_decode_gives_the_probed_frames() {
    require_ffmpeg!();
    let dir = Scratch::new("unprobed");
    let limits = VideoLimits::default();
    let mut clips = Vec::new();
    for (name, size) in [
        ("wide.mp4", "1280x720"),
        ("odd_ratio.mp4", "478x850"),
        ("tall.mp4", "1080x1920"),
        ("small.mp4", "322x180"),
    ] {
        let clip = dir.path(name);
        lavfi_clip(&clip, &format!("testsrc2=size={size}:rate=10"), 0.3, X264);
        clips.push(clip);
    }
    let rotated = dir.path("rotated.mp4");
    let source = clips[1].to_str().unwrap().to_string();
    ffmpeg(
        &["-i", &source, "-c", "copy", "-metadata:s:v:0", "rotate=90"],
        &rotated,
    );
    clips.push(rotated);
    for clip in &clips {
        let info = probe(clip, &limits).unwrap();
        assert!(info.has_square_pixels(), "{info:?}");
        for long_side in [640, 256] {
            let probed = DecodeOptions {
                target_width: width_for_long_side(&info, long_side),
                ..DecodeOptions::default()
            };
            let want = decode_all(clip, &info, &probed);
            let got: Vec<Frame> = decode_unprobed(clip, &limits, long_side, probed.timeout)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                (got[0].width, got[0].height),
                output_size(&info, probed.target_width),
                "{clip:?} at {long_side}"
            );
            assert!(got == want, "{clip:?} at {long_side}: frames differ");
        }
    }
}

/// ffmpeg's own scale-and-convert to RGB24, as the decoder asked for it before it took
/// planar YUV and converted it itself.
fn ffmpeg_rgb24(clip: &Path, width: u32, height: u32) -> Vec<u8> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-nostdin", "-i"])
        .arg(clip)
        .args(["-an", "-fps_mode", "passthrough", "-vf"])
        .arg(format!("scale={width}:{height}:flags=area"))
        .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

#[test]
fn scaled_frames_are_ffmpegs_own_rgb_to_the_bit() {
    require_ffmpeg!();
    let dir = Scratch::new("yuv-rgb");
    // Colour tags change swscale's matrix and range.
    let tagged = |space: &str, range: &str, pix_fmt: &'static str| -> Vec<String> {
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            pix_fmt,
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            "-colorspace".to_string(),
            space.to_string(),
            "-color_range".to_string(),
            range.to_string(),
        ])
        .collect()
    };
    for (name, size, args) in [
        ("bt709.mp4", "1280x720", tagged("bt709", "tv", "yuv420p")),
        ("bt601.mp4", "478x850", tagged("smpte170m", "tv", "yuv420p")),
        ("full.mp4", "1080x1920", tagged("bt470bg", "pc", "yuvj420p")),
        (
            "untagged.mp4",
            "720x404",
            X264.iter().map(|s| s.to_string()).collect(),
        ),
    ] {
        let clip = dir.path(name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        lavfi_clip(&clip, &format!("testsrc2=size={size}:rate=10"), 0.3, &args);
        let info = probe(&clip, &VideoLimits::default()).unwrap();
        let opts = DecodeOptions {
            target_width: 360,
            ..DecodeOptions::default()
        };
        let frames = decode_all(&clip, &info, &opts);
        let (w, h) = (frames[0].width, frames[0].height);
        assert!(w < info.width, "{name}: the test needs a scaled clip");
        let ours: Vec<u8> = frames.iter().flat_map(|f| f.rgb.iter().copied()).collect();
        let theirs = ffmpeg_rgb24(&clip, w, h);
        assert_eq!(ours.len(), theirs.len(), "{name}");
        let differing = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{name}: {differing} bytes differ");
    }
}

#[test]
fn unscaled_and_ten_bit_frames_are_close_to_ffmpegs_rgb() {
    require_ffmpeg!();
    let dir = Scratch::new("yuv-rgb-near");
    // Not scaled, swscale converts 4:2:0 to 4:2:2 on its own path, and a 10-bit source is
    // dithered to 8 bits: the same picture, not the same bits.
    let unscaled = dir.path("unscaled.mp4");
    lavfi_clip(&unscaled, "testsrc2=size=320x240:rate=10", 0.3, X264);
    let ten_bit = dir.path("ten_bit.mp4");
    let x265 = ["-c:v", "libx265", "-x265-params", "log-level=error"];
    let mut args = x265.to_vec();
    args.extend(["-pix_fmt", "yuv420p10le", "-tag:v", "hvc1"]);
    lavfi_clip(&ten_bit, "testsrc2=size=640x480:rate=10", 0.3, &args);
    for (clip, target_width) in [(&unscaled, 640), (&ten_bit, 320)] {
        let info = probe(clip, &VideoLimits::default()).unwrap();
        let opts = DecodeOptions {
            target_width,
            ..DecodeOptions::default()
        };
        let frames = decode_all(clip, &info, &opts);
        assert_eq!(frames.len(), 3, "{clip:?}");
        let (w, h) = (frames[0].width, frames[0].height);
        let ours: Vec<u8> = frames.iter().flat_map(|f| f.rgb.iter().copied()).collect();
        let theirs = ffmpeg_rgb24(clip, w, h);
        assert_eq!(ours.len(), theirs.len(), "{clip:?}");
        let total: u64 = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = total as f64 / ours.len() as f64;
        assert!(mean < 2.0, "{clip:?}: mean difference {mean:.2} levels");
    }
}

#[test]
fn anamorphic_clips_are_not_decoded_unprobed() {
    require_ffmpeg!();
    let dir = Scratch::new("anamorphic");
    let clip = dir.path("clip.mp4");
    let mut args = X264.to_vec();
    args.extend(["-vf", "setsar=4/3"]);
    lavfi_clip(&clip, "testsrc2=size=480x360:rate=10", 0.3, &args);
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    assert_eq!((info.width, info.height), (640, 360));
    assert!(!info.has_square_pixels());
}

#[test]
fn unprobed_decode_opens_only_allowed_decoders() {
    require_ffmpeg!();
    let dir = Scratch::new("unprobed-codec");
    let mjpeg = mjpeg_mov(&dir);
    let frames: Vec<_> = decode_unprobed(
        &mjpeg,
        &VideoLimits::default(),
        640,
        Duration::from_secs(20),
    )
    .unwrap()
    .collect();
    assert!(
        matches!(frames.as_slice(), [Err(VideoError::Decode(_))]),
        "{frames:?}"
    );
}

#[test]
fn timeout_kills_ffmpeg() {
    require_ffmpeg!();
    let dir = Scratch::new("timeout");
    let clip = dir.path("clip.mp4");
    lavfi_clip(&clip, "testsrc2=size=1280x720:rate=30", 10.0, X264);
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    let opts = DecodeOptions {
        timeout: Duration::from_millis(300),
        ..DecodeOptions::default()
    };
    let started = Instant::now();
    let mut reader = decode(&clip, &info, &opts).unwrap();
    let pid = reader.child_id();
    let mut frames = 0;
    let mut error = None;
    for item in reader.by_ref() {
        match item {
            Ok(_) => {
                frames += 1;
                // Simulates a slow consumer so the budget runs out mid-clip.
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert!(
        matches!(error, Some(VideoError::Timeout { .. })),
        "{error:?} after {frames} frames"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(reader.next().is_none());
    assert!(
        process_gone(pid),
        "ffmpeg {pid} still exists after the timeout"
    );
}

#[test]
fn dropping_the_reader_kills_ffmpeg() {
    require_ffmpeg!();
    let dir = Scratch::new("drop");
    let clip = dir.path("clip.mp4");
    lavfi_clip(&clip, "testsrc2=size=640x360:rate=30", 5.0, X264);
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    let mut reader = decode(&clip, &info, &DecodeOptions::default()).unwrap();
    let pid = reader.child_id();
    assert!(reader.next().unwrap().is_ok());
    drop(reader);
    assert!(process_gone(pid));
}

#[test]
fn missing_tool_is_reported() {
    // Only checks the spawn path, so it runs without ffmpeg too.
    let err = super::process::spawn(
        "ffprobe",
        Command::new("/nonexistent/airtime-ffprobe"),
        Default::default(),
    )
    .err()
    .unwrap();
    assert_eq!(err, VideoError::ToolMissing { tool: "ffprobe" });
}

/// A 640×360 window sliding over a larger still picture by a known amount per frame, with an
/// animated testsrc2 inset fixed in the window (a distractor that does not pan, like an
/// athlete followed by the camera).
#[test]
fn motion_estimator_recovers_known_pan() {
    require_ffmpeg!();
    let dir = Scratch::new("pan");
    let still = dir.path("still.png");
    // testsrc2 alone is flat colour bars plus animated parts: almost nothing static to lock
    // onto. A fractal with a little fixed grain stands in for a real gym wall and floor.
    ffmpeg(
        &[
            "-f", "lavfi", "-i",
            "mandelbrot=size=1280x720:start_scale=0.6:end_scale=0.6:outer=normalized_iteration_count",
            "-vf", "noise=alls=12", "-frames:v", "1",
        ],
        &still,
    );
    let clip = dir.path("pan.mp4");
    let (vx, vy) = (3.0f32, 1.0f32);
    let graph = format!(
        "[0]crop=640:360:x='20+{vx}*n':y='10+{vy}*n'[bg];\
         [1]scale=200:150[fg];[bg][fg]overlay=x=220:y=150:shortest=1"
    );
    ffmpeg(
        &[
            "-loop",
            "1",
            "-framerate",
            "30",
            "-i",
            still.to_str().unwrap(),
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-t",
            "2",
            "-filter_complex",
            &graph,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
        ],
        &clip,
    );
    let info = probe(&clip, &VideoLimits::default()).unwrap();
    let frames = decode_all(&clip, &info, &DecodeOptions::default());
    assert_eq!(frames.len(), 60);
    for exclude in [None, Some((220.0, 150.0, 420.0, 300.0))] {
        let mut est = MotionEstimator::new();
        let mut worst = 0.0f32;
        let mut elapsed = Duration::ZERO;
        for f in &frames {
            let t = Instant::now();
            let (dx, dy) = est.push(f, exclude);
            elapsed += t.elapsed();
            // The window moves right/down, so the background moves left/up.
            let want = (-vx * f.index as f32, -vy * f.index as f32);
            let err = (dx - want.0).abs().max((dy - want.1).abs());
            worst = worst.max(err);
            assert!(err <= 1.0, "frame {}: ({dx}, {dy}) vs {want:?}", f.index);
        }
        eprintln!(
            "motion (exclude {exclude:?}): worst error {worst:.2} px over {} frames ({} px pan), \
             {:?} per frame",
            frames.len(),
            vx * 59.0,
            elapsed / frames.len() as u32
        );
        assert!(est.activity() > 0.0);
    }
}

#[test]
fn motion_estimator_ignores_excluded_mover() {
    // Synthetic frames: static textured background with a large bright square sliding across;
    // excluding the square must keep the shift at zero. No ffmpeg needed.
    let (w, h) = (640u32, 360u32);
    let background: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            // Deterministic texture with structure in both directions.
            let v = ((x * 7 + y * 13) ^ (x * y / 5)) % 251;
            [v as u8, (v * 3 % 251) as u8, (v * 5 % 251) as u8]
        })
        .collect();
    let mut est = MotionEstimator::new();
    for n in 0..20u32 {
        let mut rgb = background.clone();
        let (x0, y0) = (100 + 12 * n, 80u32);
        for y in y0..y0 + 160 {
            for x in x0..x0 + 120 {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[250, 250, (x * 3 % 256) as u8]);
            }
        }
        let frame = Frame {
            index: n,
            pts_s: n as f64 / 30.0,
            width: w,
            height: h,
            rgb,
        };
        let boxed = Some((x0 as f32, y0 as f32, (x0 + 120) as f32, (y0 + 160) as f32));
        let (dx, dy) = est.push(&frame, boxed);
        assert!(dx.abs() < 0.5 && dy.abs() < 0.5, "frame {n}: ({dx}, {dy})");
    }
}

#[test]
fn kunal_frame_495_is_at_16_5_s() {
    let Some(clip) = crate::test_support::shared_video("kunal_cmj_reach_side.mp4") else {
        return;
    };
    let clip = clip.as_path();
    require_ffmpeg!();
    let info = probe(clip, &VideoLimits::default()).unwrap();
    let started = Instant::now();
    let mut n = 0u32;
    let mut found = None;
    for frame in decode(clip, &info, &DecodeOptions::default()).unwrap() {
        let frame = frame.unwrap();
        assert_eq!(frame.index, n);
        if frame.index == 495 {
            found = Some(frame.pts_s);
        }
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "kunal: {n} frames {}x{} in {secs:.2} s = {:.0} frames/s",
        output_size(&info, 640).0,
        output_size(&info, 640).1,
        f64::from(n) / secs
    );
    let pts = found.expect("frame 495 decoded");
    assert!((pts - 16.5).abs() < 1e-3, "frame 495 at {pts}");
}

#[test]
fn error_messages_read_well() {
    let e = VideoError::TooLong {
        duration_s: 75.2,
        max_s: 60.0,
    };
    assert_eq!(
        e.user_message(),
        "This file is 75.2 s long; Airtime analyses clips up to 60 s. Trim it to the jump and try again."
    );
    let e = VideoError::TooLong {
        duration_s: 75.0,
        max_s: 60.0,
    };
    assert!(e.to_string().starts_with("This file is 75 s long"));
    let e = VideoError::Decode("Invalid NAL unit size".into());
    assert!(e.to_string().contains("Invalid NAL unit size"));
    assert!(!e.user_message().contains("NAL"));
    assert!(!VideoError::ToolMissing { tool: "ffmpeg" }.is_user_error());
}
