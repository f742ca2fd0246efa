//! The reliability suite's fuzzed and crafted videos: every file goes the way an upload goes
//! (ffprobe under its limits, then a fresh engine child under the supervisor, as a worker runs
//! it) and must end as a result or a clear refusal, within its deadline, with nothing left
//! running. `AIRTIME_FUZZ_FILES` sets how many (500 in `make test`, 10,000 in
//! `make test-reliability`); `AIRTIME_FUZZ_SEED` picks another deterministic sequence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airtime::server::engine::{protocol, Engine, EngineConfig, EngineError, EngineOutcome};
use airtime_engine::video::{self, VideoLimits};
use airtime_kinematics::{JumpType, Progress, Stage};

use crate::clips;
use crate::common::{clip_from, processes_naming};

/// Small clips of every allowed codec and container, so a mutant decodes in a fraction of a
/// second and thousands fit in a test run.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    const PICTURE: &str = "-f lavfi -i testsrc2=s=320x240:r=30:duration=1.5";
    const SOUND: &str = "-f lavfi -i sine=f=440:duration=1.5";
    const X264: &str = "-c:v libx264 -preset ultrafast";
    let mut seeds: Vec<(&str, Vec<u8>)> = [
        ("h264.mp4", format!("{PICTURE} {SOUND} {X264} -c:a aac -shortest")),
        (
            "hevc.mp4",
            format!("{PICTURE} -c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1"),
        ),
        (
            "vp9.webm",
            format!("{PICTURE} {SOUND} -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus -shortest"),
        ),
        ("vp8.webm", format!("{PICTURE} -c:v libvpx -deadline realtime -cpu-used 8")),
        ("mpeg4.mov", format!("{PICTURE} -c:v mpeg4")),
        (
            "av1.mkv",
            "-f lavfi -i testsrc2=s=160x120:r=30:duration=1 -c:v libaom-av1 -cpu-used 8 -row-mt 1".into(),
        ),
        ("rotated.mp4", format!("{PICTURE} {X264} -metadata:s:v rotate=90")),
        ("vfr.mkv", format!("{PICTURE} -vf setpts='N/30+0.02*sin(N)'/TB {X264} -fps_mode passthrough")),
    ]
    .into_iter()
    .map(|(name, args)| (name, clip_from(&format!("seed-{name}"), &args)))
    .collect();
    // A real phone clip when the development clips are here: its structure is the one that
    // matters (edit lists, metadata tracks, B-frames).
    if let Some(dir) = clips::videos_dir() {
        let phone = std::fs::read(dir.join("fikra_cmj_front_night.mp4")).unwrap();
        seeds.push(("phone.mp4", phone));
    }
    seeds
}

/// Files built to break a rule each; they come first in every run.
fn crafted() -> Vec<(&'static str, Vec<u8>)> {
    let mut ftyp = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    ftyp.extend(std::iter::repeat_n(0xA5, 5000));
    let many_streams = format!(
        "-f lavfi -i testsrc2=s=64x64:r=10:duration=1 -f lavfi -i sine=duration=1 {} \
         -c:v libx264 -preset ultrafast -c:a aac",
        "-map 0 -map 1 ".repeat(5)
    );
    vec![
        ("empty", Vec::new()),
        ("one byte", vec![0]),
        (
            "text",
            b"this is not a video, just text named .mp4\n".repeat(100),
        ),
        ("ftyp then noise", ftyp),
        ("timestamp burst", super::hostile::timestamp_burst()),
        ("burst inside a clip", super::hostile::burst_inside_a_clip()),
        ("many streams", clip_from("many-streams.mkv", &many_streams)),
        (
            "huge dimensions",
            clip_from(
                "huge.mp4",
                "-f lavfi -i color=s=4608x64:r=5:duration=1 -c:v libx264 -preset ultrafast",
            ),
        ),
        (
            "one frame",
            clip_from(
                "one-frame.mp4",
                "-f lavfi -i testsrc2=s=320x240:r=30 -frames:v 1 -c:v libx264",
            ),
        ),
        (
            "unsupported codec",
            clip_from(
                "mjpeg.mov",
                "-f lavfi -i testsrc2=s=160x120:r=10:duration=1 -c:v mjpeg",
            ),
        ),
    ]
}

/// xorshift64*: deterministic, so a failure names a seed and an index that reproduce it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutant of a seed: its kind (a row of the table) and bytes.
fn mutate(seeds: &[(&str, Vec<u8>)], rng: &mut Rng) -> (&'static str, Vec<u8>) {
    let (_, seed) = &seeds[rng.below(seeds.len())];
    let mut bytes = seed.clone();
    let len = bytes.len();
    match rng.below(7) {
        0 => {
            for _ in 0..1 + rng.below(64) {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
            ("bit flips", bytes)
        }
        1 => {
            for _ in 0..1 + rng.below(16) {
                let at = rng.below(len.min(4096));
                bytes[at] ^= 1 << rng.below(8);
            }
            ("header bit flips", bytes)
        }
        2 => {
            bytes.truncate(rng.below(len));
            ("truncation", bytes)
        }
        3 => {
            let (_, other) = &seeds[rng.below(seeds.len())];
            let head = rng.below(len);
            let tail = rng.below(other.len());
            bytes.truncate(head);
            bytes.extend_from_slice(&other[tail..]);
            ("spliced headers", bytes)
        }
        4 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(64 * 1024)).min(len);
            bytes[at..end].fill(0);
            ("zeroed range", bytes)
        }
        5 => {
            // Box and element sizes: the fields parsers trust most.
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(len.saturating_sub(4)) & !3;
                let size: u32 = match rng.below(4) {
                    0 => 0,
                    1 => 1,
                    2 => u32::MAX,
                    _ => rng.next() as u32,
                };
                bytes[at..at + 4].copy_from_slice(&size.to_be_bytes());
            }
            ("box sizes", bytes)
        }
        _ => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(256 * 1024)).min(len);
            let chunk = bytes[at..end].to_vec();
            for _ in 0..1 + rng.below(8) {
                bytes.splice(at..at, chunk.iter().copied());
            }
            ("duplicated chunks", bytes)
        }
    }
}

#[derive(Default)]
struct Row {
    files: u32,
    refused_at_probe: u32,
    refused_by_engine: u32,
    measured: u32,
    stopped_unsafe: u32,
    slowest: Duration,
}

/// The end of one file; `Err` is a failure of ours, which fails the suite.
enum Ending {
    RefusedAtProbe,
    RefusedByEngine,
    Measured,
    StoppedUnsafe,
}

async fn run_one(path: &Path, frames_dir: &Path, config: &EngineConfig) -> Result<Ending, String> {
    let limits = VideoLimits::default();
    let (probe_path, probe_limits) = (path.to_path_buf(), limits.clone());
    let probed = tokio::task::spawn_blocking(move || video::probe(&probe_path, &probe_limits))
        .await
        .map_err(|e| format!("probe panicked: {e}"))?;
    let info = match probed {
        Ok(info) => info,
        Err(e) if e.is_user_error() => {
            return clear(&e.user_message()).map(|_| Ending::RefusedAtProbe)
        }
        Err(e) => return Err(format!("probe failed on our side: {e}")),
    };
    let request = protocol::Request {
        v: protocol::VERSION,
        video: path.to_path_buf(),
        jump: JumpType::Cmj,
        body_mass_kg: None,
        max_video_seconds: limits.max_duration_s,
        tool_memory_bytes: limits.tool_memory_bytes,
        frames_dir: frames_dir.to_path_buf(),
    };
    let (progress, _) = tokio::sync::watch::channel(Progress {
        stage: Stage::Checking,
        fraction: 0.0,
    });
    let deadline = config.deadline_for(info.duration_s);
    let engine = Engine::spawn(config).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let outcome = engine
        .run(
            &request,
            &progress,
            deadline,
            config.cpu_seconds_for(info.duration_s),
        )
        .await;
    if started.elapsed() > deadline + Duration::from_secs(5) {
        return Err(format!(
            "ran {:?}, past its {deadline:?} deadline",
            started.elapsed()
        ));
    }
    match outcome {
        Ok(EngineOutcome::Done { .. }) => Ok(Ending::Measured),
        Ok(EngineOutcome::Failed(f)) if f.user_input => {
            clear(&f.message).map(|_| Ending::RefusedByEngine)
        }
        Ok(EngineOutcome::Failed(f)) => Err(format!("engine failed on our side: {}", f.detail)),
        Err(EngineError::Unsafe(end)) => clear(&end.user_message()).map(|_| Ending::StoppedUnsafe),
        Err(EngineError::Unavailable(problem)) => Err(format!("engine unavailable: {problem}")),
    }
}

/// A refusal a coach can read: a sentence, not a dump.
fn clear(message: &str) -> Result<(), String> {
    let readable = message.len() > 20 && message.len() < 400 && message.ends_with('.');
    if readable {
        Ok(())
    } else {
        Err(format!("unclear message {message:?}"))
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn fuzzed_and_crafted_videos_fail_alone_and_clearly() {
    let count: usize = std::env::var("AIRTIME_FUZZ_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let seed: u64 = std::env::var("AIRTIME_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_A127);
    let config = EngineConfig {
        // A long run may name a copy, so rebuilding the crate meanwhile cannot touch it.
        program: std::env::var_os("AIRTIME_ENGINE_PROGRAM").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_airtime")),
            PathBuf::from,
        ),
        pose_model: clips::pose_model(),
        memory_bytes: 1_536_000_000,
        max_wall: Duration::from_secs(300),
    };
    let scratch = std::env::temp_dir().join(format!("airtime-fuzz-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&scratch).unwrap();
    let (seeds, crafted) = (seeds(), crafted());
    let mut rng = Rng(seed | 1);
    let mut table: BTreeMap<&str, Row> = BTreeMap::new();
    let mut failures = Vec::new();
    let started = Instant::now();

    for i in 0..count.max(crafted.len()) {
        let (kind, bytes) = match crafted.get(i) {
            Some((name, bytes)) => (*name, bytes.clone()),
            None => mutate(&seeds, &mut rng),
        };
        let path = scratch.join(format!("{i}.video"));
        std::fs::write(&path, &bytes).unwrap();
        let frames_dir = scratch.join(format!("{i}-frames"));
        let one = Instant::now();
        let ending = run_one(&path, &frames_dir, &config).await;
        let row = table.entry(kind).or_default();
        row.files += 1;
        row.slowest = row.slowest.max(one.elapsed());
        match ending {
            Ok(Ending::RefusedAtProbe) => row.refused_at_probe += 1,
            Ok(Ending::RefusedByEngine) => row.refused_by_engine += 1,
            Ok(Ending::Measured) => row.measured += 1,
            Ok(Ending::StoppedUnsafe) => row.stopped_unsafe += 1,
            Err(problem) => failures.push(format!("file {i} ({kind}, seed {seed}): {problem}")),
        }
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir_all(&frames_dir);
    }

    let leftovers = processes_naming(&scratch);
    let left_files = std::fs::read_dir(&scratch).map_or(0, |d| d.count());
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "\nFuzzed and crafted videos: {count} files, seed {seed}, {:.0} s",
        started.elapsed().as_secs_f64()
    );
    println!("| kind | files | refused at probe | refused by engine | measured | stopped unsafe | slowest s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (kind, r) in &table {
        println!(
            "| {kind} | {} | {} | {} | {} | {} | {:.2} |",
            r.files,
            r.refused_at_probe,
            r.refused_by_engine,
            r.measured,
            r.stopped_unsafe,
            r.slowest.as_secs_f64()
        );
    }
    println!("failures of ours: {}; processes left: {}; files left: {left_files}; test process peak RSS: {:.0} MB",
        failures.len(), leftovers.len(), peak_rss_mb());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(leftovers.is_empty(), "still running: {leftovers:?}");
    assert_eq!(left_files, 0, "files left behind");
}
