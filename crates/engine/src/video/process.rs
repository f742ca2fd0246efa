//! Starting ffmpeg/ffprobe and running short commands under a hard deadline.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::error::VideoError;
use crate::confine::{confine, ChildLimits};

/// Lets a deployment point at a static ffmpeg build without touching PATH.
pub(crate) fn tool_path(tool: &'static str) -> OsString {
    let var = match tool {
        "ffmpeg" => "AIRTIME_FFMPEG",
        _ => "AIRTIME_FFPROBE",
    };
    std::env::var_os(var).unwrap_or_else(|| OsString::from(tool))
}

/// The `file:` prefix stops ffmpeg from treating an upload named e.g. `concat:…` or
/// `http://…` as a protocol.
pub(crate) fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// Starts a tool on an upload under `limits` (see [`confine`]).
pub(crate) fn spawn(
    tool: &'static str,
    mut cmd: Command,
    limits: ChildLimits,
) -> Result<Child, VideoError> {
    confine(&mut cmd, limits);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            VideoError::ToolMissing { tool }
        }
        _ => VideoError::Io(format!("starting {tool}: {e}")),
    })
}

pub(crate) struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs a command to completion, killing it at `timeout` (and at as many seconds of CPU
/// time) or when it maps more than `memory_bytes`. Output beyond `max_output` bytes is
/// drained and dropped so a hostile file cannot make ffprobe fill the server's memory.
pub(crate) fn run_with_timeout(
    tool: &'static str,
    args: &[&OsStr],
    timeout: Duration,
    max_output: usize,
    memory_bytes: u64,
) -> Result<Output, VideoError> {
    let mut cmd = Command::new(tool_path(tool));
    cmd.args(args);
    let limits = ChildLimits {
        memory_bytes: Some(memory_bytes),
        cpu_seconds: Some(timeout.as_secs().max(1)),
        new_group: false,
        nice: 0,
    };
    let mut child = spawn(tool, cmd, limits)?;
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    let out_thread = thread::spawn(move || read_capped(stdout, max_output));
    let err_thread = thread::spawn(move || read_capped(stderr, 64 * 1024));

    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = out_thread.join();
                let _ = err_thread.join();
                return Err(VideoError::Timeout {
                    tool,
                    after_s: timeout.as_secs_f64(),
                });
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(VideoError::Io(format!("waiting for {tool}: {e}")));
            }
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

fn read_capped(mut r: impl Read, cap: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kept
}

/// The most useful line of ffmpeg/ffprobe stderr: the last one, stripped of the
/// `[component @ 0x…]` and `[error]` prefixes.
pub(crate) fn last_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .rev()
        .map(strip_log_prefixes)
        .find(|l| !l.is_empty())
        .unwrap_or("no error message")
        .to_string()
}

pub(crate) fn strip_log_prefixes(mut line: &str) -> &str {
    line = line.trim();
    while line.starts_with('[') {
        match line.find(']') {
            Some(end) => line = line[end + 1..].trim_start(),
            None => break,
        }
    }
    line.trim_end()
}
