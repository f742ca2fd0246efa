//! `airtime engine --model PATH`: one analysis in a process of its own, run by the web
//! process under memory, CPU and time limits (see `supervisor`). The child loads the model
//! at once and says so, so a spare child can wait, loaded, for the next upload; then it reads
//! one [`Request`] from stdin, reports progress and the outcome as JSON lines, and exits.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::protocol::{Failure, Message, Request, VERSION};
use airtime_engine::{
    analyze_traced, keyframes, load_pose_graphs,
    pose::{PoseError, PoseModel},
    video::VideoLimits,
    AnalysisError, AnalyzeOptions, ModelSource,
};
use airtime_kinematics::{Options, Progress};

/// A request is a few paths and numbers.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

pub fn run(args: &[String]) -> ExitCode {
    let model_path = match args {
        [flag, path] if flag == "--model" => PathBuf::from(path),
        _ => {
            eprintln!("airtime engine: usage: airtime engine --model PATH (run by the server)");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let loading = Instant::now();
    // This process' model: loaded and compiled once, before the request, so a spare child
    // waits ready.
    let graphs = match load_pose_graphs(&model_path) {
        Ok(graphs) => graphs,
        Err(e) => return model_failed(&mut out, e),
    };
    let model = match PoseModel::compile(&graphs) {
        Ok(model) => model,
        Err(e) => return model_failed(&mut out, e),
    };
    let ready = Message::Ready {
        v: VERSION,
        model_load_ms: loading.elapsed().as_millis() as u64,
    };
    if send(&mut out, &ready).is_err() {
        return ExitCode::FAILURE;
    }

    let request = match read_request() {
        Ok(request) => request,
        Err(problem) => {
            eprintln!("airtime engine: {problem}");
            return ExitCode::from(2);
        }
    };
    let outcome = analyse(&request, &model, &mut |progress| {
        // A parent that stopped listening kills this process anyway.
        let _ = send(
            &mut std::io::stdout().lock(),
            &Message::Progress {
                v: VERSION,
                progress,
            },
        );
    });
    finish(&mut out, outcome)
}

fn read_request() -> Result<Request, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_REQUEST_BYTES)
        .read_line(&mut line)
        .map_err(|e| format!("reading the request: {e}"))?;
    let request: Request =
        serde_json::from_str(&line).map_err(|e| format!("unreadable request: {e}"))?;
    if request.v != VERSION {
        return Err(format!(
            "protocol {} requested, this build speaks {VERSION}",
            request.v
        ));
    }
    Ok(request)
}

fn analyse(
    request: &Request,
    model: &PoseModel<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Message {
    let options = AnalyzeOptions {
        athlete: Options {
            body_mass_kg: request.body_mass_kg,
            athlete_height_m: None,
        },
        limits: VideoLimits {
            max_duration_s: request.max_video_seconds,
            tool_memory_bytes: request.tool_memory_bytes,
            ..VideoLimits::default()
        },
        ..AnalyzeOptions::default()
    };
    let mut last: Option<Progress> = None;
    let mut report = |p: Progress| {
        // Every stage change and every percent: a few dozen lines for a whole clip.
        if last.is_none_or(|l| l.stage != p.stage || p.fraction - l.fraction >= 0.01) {
            last = Some(p);
            progress(p);
        }
    };
    let traced = match analyze_traced(
        &request.video,
        request.jump,
        ModelSource::Compiled(model),
        &options,
        &mut report,
    ) {
        Ok(traced) => traced,
        Err(e) => {
            return Message::Failed {
                v: VERSION,
                failure: failure_of(&e),
            }
        }
    };
    // Key frames are a nicety: without them the numbers still stand.
    let frames = match keyframes::write(
        &request.video,
        &traced.analysis,
        &traced.poses,
        &request.frames_dir,
    ) {
        Ok(paths) => paths
            .into_iter()
            .filter_map(|path| Some((event_of_frame_file(&path)?, path)))
            .collect(),
        Err(e) => {
            eprintln!("airtime engine: key frames not drawn: {e}");
            Vec::new()
        }
    };
    Message::Done {
        v: VERSION,
        analysis: Box::new(traced.analysis),
        frames,
    }
}

fn model_failed(out: &mut impl Write, e: PoseError) -> ExitCode {
    let failure = failure_of(&AnalysisError::Pose(e));
    finish(
        out,
        Message::Failed {
            v: VERSION,
            failure,
        },
    )
}

fn failure_of(e: &AnalysisError) -> Failure {
    Failure {
        code: e.code().to_string(),
        user_input: e.is_user_input(),
        message: e.user_message(),
        detail: e.to_string(),
    }
}

fn send(out: &mut impl Write, message: &Message) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

fn finish(out: &mut impl Write, message: Message) -> ExitCode {
    match send(out, &message) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// `03_takeoff.png` → `takeoff`.
fn event_of_frame_file(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (_, event) = stem.split_once('_')?;
    Some(event.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_frame_files_name_their_event() {
        assert_eq!(
            event_of_frame_file(Path::new("/tmp/x/03_lowest_point.png")).as_deref(),
            Some("lowest_point")
        );
    }
}
