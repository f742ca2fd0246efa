//! `airtime analyze VIDEO --jump cmj|dj|sj [--mass KG] [--json] [--frames DIR]`

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use airtime_engine::{analyze_traced, keyframes, AnalyzeOptions, ModelSource};
use airtime_kinematics::{JumpType, Options, Progress};

use crate::labels::stage_label;
use crate::server::config::Settings;

pub const USAGE: &str = "\
Usage: airtime analyze VIDEO --jump cmj|dj|sj [--mass KG] [--height M] [--json] [--frames DIR]

  --jump      the test: cmj (countermovement jump), dj (drop jump), sj (squat jump)
  --mass      body mass in kg (adds peak power)
  --height    standing height in m (sharpens the scale when the flight is short)
  --json      print the full result as JSON instead of a summary
  --frames    write one PNG per event, with the tracked skeleton, into DIR";

#[derive(Debug, PartialEq)]
struct Args {
    video: PathBuf,
    jump: JumpType,
    mass_kg: Option<f64>,
    height_m: Option<f64>,
    json: bool,
    frames: Option<PathBuf>,
}

pub fn run(args: &[String]) -> ExitCode {
    let args = match parse(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("airtime analyze: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("airtime: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let options = AnalyzeOptions {
        limits: settings.video_limits(),
        athlete: Options {
            body_mass_kg: args.mass_kg,
            athlete_height_m: args.height_m,
        },
        ..AnalyzeOptions::default()
    };

    let show_progress = std::io::stderr().is_terminal();
    let mut report = |p: Progress| {
        if show_progress {
            eprint!(
                "\r{:<24} {:>3.0}%",
                stage_label(p.stage),
                p.fraction * 100.0
            );
        }
    };
    let outcome = analyze_traced(
        &args.video,
        args.jump,
        ModelSource::File(&settings.pose_model),
        &options,
        &mut report,
    );
    if show_progress {
        eprint!("\r{:<30}\r", "");
    }
    let traced = match outcome {
        Ok(traced) => traced,
        Err(e) => {
            eprintln!("airtime analyze: {e}");
            return ExitCode::FAILURE;
        }
    };

    if args.json {
        match serde_json::to_string_pretty(&traced.analysis) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("airtime analyze: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", super::summary::render(&args.video, &traced.analysis));
    }

    if let Some(dir) = &args.frames {
        match keyframes::write(&args.video, &traced.analysis, &traced.poses, dir) {
            Ok(paths) => eprintln!("wrote {} key frames to {}", paths.len(), dir.display()),
            Err(e) => {
                eprintln!("airtime analyze: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut video = None;
    let mut jump = None;
    let (mut mass_kg, mut height_m, mut json, mut frames) = (None, None, false, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--jump" => {
                let code = value("--jump")?;
                jump = Some(match JumpType::from_code(&code) {
                    Some(jump) => jump,
                    None => return Err(format!("unknown jump type {code:?} (cmj, dj or sj)")),
                })
            }
            "--mass" => mass_kg = Some(positive("--mass", &value("--mass")?, 20.0, 250.0)?),
            "--height" => height_m = Some(positive("--height", &value("--height")?, 1.0, 2.5)?),
            "--json" => json = true,
            "--frames" => frames = Some(PathBuf::from(value("--frames")?)),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if video.is_none() => video = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    Ok(Args {
        video: video.ok_or("which video? (VIDEO is missing)")?,
        jump: jump.ok_or("which test? (--jump cmj|dj|sj is missing)")?,
        mass_kg,
        height_m,
        json,
        frames,
    })
}

fn positive(name: &str, text: &str, min: f64, max: f64) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "{name} must be a number from {min} to {max}, got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_every_option() {
        let a = parse(&args(&[
            "clip.mp4", "--jump", "dj", "--mass", "72.5", "--json", "--frames", "out",
        ]))
        .unwrap();
        assert_eq!(a.jump, JumpType::DropJump);
        assert_eq!(a.mass_kg, Some(72.5));
        assert!(a.json);
        assert_eq!(a.frames, Some(PathBuf::from("out")));
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(parse(&args(&["clip.mp4"])).unwrap_err().contains("--jump"));
        assert!(parse(&args(&["--jump", "cmj"]))
            .unwrap_err()
            .contains("VIDEO"));
        assert!(parse(&args(&["a.mp4", "--jump", "box"]))
            .unwrap_err()
            .contains("unknown jump type"));
        assert!(parse(&args(&["a.mp4", "--jump", "cmj", "--mass", "-3"]))
            .unwrap_err()
            .contains("--mass"));
    }
}
