//! `airtime analyze` as a user runs it: exit codes and messages on bad input, the JSON
//! contract, key frames, and byte-identical output run after run.

mod clips;

use std::path::Path;
use std::process::{Command, Output};

fn airtime(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airtime"))
        .arg("analyze")
        .args(args)
        .env("AIRTIME_POSE_MODEL", clips::pose_model())
        .output()
        .expect("run airtime")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    // One folder per test, emptied when it starts: /tmp keeps one set, not one per run.
    let dir = std::env::temp_dir().join(format!("airtime-cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn usage_mistakes_exit_2_with_the_reason() {
    let out = airtime(&["clip.mp4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--jump"), "{}", stderr(&out));
    let out = airtime(&["clip.mp4", "--jump", "hop"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown jump type"));
}

#[test]
fn a_file_that_is_not_a_video_is_refused_with_a_clear_message() {
    let dir = temp_dir("notvideo");
    let fake = dir.join("jump.mp4");
    std::fs::write(&fake, "this is not a video\n".repeat(100)).unwrap();
    let out = airtime(&[fake.to_str().unwrap(), "--jump", "cmj"]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out).to_lowercase();
    assert!(message.contains("video"), "{message}");
    assert!(!message.contains("panick"), "{message}");
}

#[test]
fn a_video_without_anyone_in_it_cannot_be_analysed() {
    let dir = temp_dir("empty");
    let clip = dir.join("empty.mp4");
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30:duration=2",
        ])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-y"])
        .arg(&clip)
        .status()
        .expect("ffmpeg (run `make setup`)");
    assert!(made.success());
    let out = airtime(&[clip.to_str().unwrap(), "--jump", "cmj"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot analyse"), "{}", stderr(&out));
}

#[test]
fn json_result_keeps_its_contract_and_is_identical_run_after_run() {
    let Some(dir) = clips::videos_or_skip("the JSON contract") else {
        return;
    };
    let clip = dir.join("evan_cmj_front.mp4");
    let frames = temp_dir("frames");
    let run = |extra: &[&str]| {
        let mut args = vec![clip.to_str().unwrap(), "--jump", "cmj", "--json"];
        args.extend_from_slice(extra);
        let out = airtime(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json.as_object_mut()
            .unwrap()
            .remove("timings")
            .expect("timings");
        json
    };
    let first = run(&["--frames", frames.to_str().unwrap()]);
    let second = run(&[]);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap(),
        "same file, different JSON"
    );

    assert_eq!(first["jump_type"], "cmj");
    for key in ["jump_height_m", "flight_time_ms", "takeoff_velocity_m_s"] {
        assert!(
            first["metrics"][key].is_f64(),
            "metrics.{key} missing: {first}"
        );
    }
    let confidence = first["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    assert!(first["warnings"].is_array());
    assert_eq!(first["jumps"][0]["role"], "test");
    let events = first["events"].as_array().unwrap();
    for name in ["takeoff", "landing"] {
        let e = events.iter().find(|e| e["name"] == name).expect(name);
        assert!(e["time_s"].is_f64() && e["frame"].is_u64());
    }

    let pngs = png_files(&frames);
    assert!(pngs.len() >= 2, "key frames: {pngs:?}");
    assert!(pngs.iter().any(|p| p.contains("takeoff")));
}

fn png_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect()
}
