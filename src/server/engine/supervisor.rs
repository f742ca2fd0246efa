//! Runs engine children (`airtime engine`) for the web process: each analysis gets a fresh
//! process with an address-space limit, a CPU-time limit and a wall-clock deadline scaled to
//! the clip, in a process group of its own that is killed whole on timeout, cancellation or
//! drop. Whatever a clip does to its child, the web process only reads an outcome.
//!
//! A child is started ahead of need ([`Engine::spawn`]) and loads the model while it waits,
//! so an upload does not wait for the load.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::protocol::{Failure, Message, Request, MAX_LINE_BYTES, VERSION};
use airtime_engine::confine::{self, confine, ChildLimits};
use airtime_kinematics::{Analysis, Progress};

/// Analyses run niced: a page, a progress poll or an upload's probe waits on nobody's
/// analysis, and the analyses still get every cycle the requests leave (measured in
/// docs/performance.md: the load test's upload latency under a full queue).
const ANALYSIS_NICE: i32 = 10;

/// Loading the model takes ~0.1 s; a child that is not ready long after is broken.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The last bytes of a child's stderr kept for the log.
const STDERR_TAIL_BYTES: usize = 4096;
/// Variables a child keeps: where the tools are, and the engine's own debugging switch.
/// Everything else (database URLs, secrets) stays in the web process.
const PASSED_ENV: &[&str] = &[
    "PATH",
    "LANG",
    "AIRTIME_FFMPEG",
    "AIRTIME_FFPROBE",
    "AIRTIME_DUMP_POSES",
];

/// How engine children are started and bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// The `airtime` binary (the server's own executable by default).
    pub program: PathBuf,
    pub pose_model: PathBuf,
    /// Address space of the engine child (each ffmpeg it starts has its own limit).
    pub memory_bytes: u64,
    /// No analysis runs longer than this, however long the clip.
    pub max_wall: Duration,
}

impl EngineConfig {
    /// Wall-clock deadline for a clip of `duration_s`: a fixed allowance for start-up and
    /// key frames plus four seconds per second of video (analyses run at 5-20× real time on
    /// two cores, so this is several times what an honest clip needs with every worker busy).
    pub fn deadline_for(&self, duration_s: f64) -> Duration {
        if !duration_s.is_finite() {
            return self.max_wall;
        }
        let scaled = 30.0 + 4.0 * duration_s.clamp(0.0, 3600.0);
        Duration::from_secs_f64(scaled).min(self.max_wall)
    }

    /// CPU seconds for the same clip: the engine keeps two cores busy at most.
    pub fn cpu_seconds_for(&self, duration_s: f64) -> u64 {
        2 * self.deadline_for(duration_s).as_secs().max(1)
    }
}

/// How a child ended when the clip made it end abnormally.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnsafeEnd {
    #[error("it took longer than {after_s:.0} s")]
    Deadline { after_s: f64 },
    #[error("it needed more than {limit_mb} MB of memory")]
    Memory { limit_mb: u64 },
    #[error("it needed more processing time than allowed")]
    CpuTime,
    #[error("the analysis stopped abruptly (signal {0})")]
    Signal(i32),
    #[error("the analysis stopped abruptly (exit code {0})")]
    Exit(i32),
    #[error("the analysis answered nonsense ({0})")]
    Garbage(String),
}

impl UnsafeEnd {
    /// What the coach is told.
    pub fn user_message(&self) -> String {
        format!(
            "This video could not be processed safely: {self}. Export the clip again from \
             the phone's gallery, trimmed to the jump, and try again."
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The clip made the child end abnormally: fail the analysis, do not retry.
    #[error("engine child ended abnormally: {0}")]
    Unsafe(UnsafeEnd),
    /// Our side (missing binary, broken model, pipes): worth a retry.
    #[error("engine child unavailable: {0}")]
    Unavailable(String),
}

/// What a finished child reported.
#[derive(Debug)]
pub enum EngineOutcome {
    Done {
        analysis: Box<Analysis>,
        frames: Vec<(String, PathBuf)>,
    },
    /// The engine refused or failed with an error it recognised.
    Failed(Failure),
}

/// Kills the child's whole process group (the engine and its ffmpeg) when dropped. Declared
/// before the `Child` in [`Engine`], so it runs while the leader is not yet reaped and its
/// group id cannot have been reused.
struct GroupKill(u32);

impl GroupKill {
    fn kill(&self) {
        confine::kill_group(self.0);
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One engine child, started and loading (or loaded), waiting for its request.
pub struct Engine {
    group: GroupKill,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: JoinHandle<Vec<u8>>,
    memory_bytes: u64,
}

impl Engine {
    /// Starts a child that loads the model at once. Call from an async task (not a blocking
    /// thread): the child is killed when the thread that started it exits.
    pub fn spawn(config: &EngineConfig) -> Result<Self, EngineError> {
        let mut cmd = Command::new(&config.program);
        cmd.arg("engine")
            .arg("--model")
            .arg(&config.pose_model)
            .env_clear()
            .envs(
                PASSED_ENV
                    .iter()
                    .filter_map(|k| Some((k, std::env::var_os(k)?))),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        confine(
            cmd.as_std_mut(),
            ChildLimits {
                memory_bytes: Some(config.memory_bytes),
                cpu_seconds: None,
                new_group: true,
                nice: ANALYSIS_NICE,
            },
        );
        let mut child = cmd.spawn().map_err(|e| {
            EngineError::Unavailable(format!("starting {}: {e}", config.program.display()))
        })?;
        let pid = child
            .id()
            .ok_or_else(|| EngineError::Unavailable("the engine child exited at once".into()))?;
        let group = GroupKill(pid);
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(EngineError::Unavailable(
                "engine child pipes missing".into(),
            ));
        };
        let stderr = tokio::spawn(tail_of(stderr));
        Ok(Engine {
            group,
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr,
            memory_bytes: config.memory_bytes,
        })
    }

    /// Runs one analysis. Progress goes to `progress`; the child is killed at `deadline`
    /// (and by the kernel past `cpu_seconds` of CPU time). Dropping the future kills it too.
    pub async fn run(
        mut self,
        request: &Request,
        progress: &watch::Sender<Progress>,
        deadline: Duration,
        cpu_seconds: u64,
    ) -> Result<EngineOutcome, EngineError> {
        match tokio::time::timeout(READY_TIMEOUT, self.next_message()).await {
            Ok(Ok(Some(Message::Ready { .. }))) => {}
            Ok(Ok(Some(Message::Failed { failure, .. }))) => {
                return Err(EngineError::Unavailable(failure.detail))
            }
            Ok(Ok(other)) => {
                let stderr = self.end().await.1;
                return Err(EngineError::Unavailable(format!(
                    "engine child not ready: {other:?}; stderr: {stderr}"
                )));
            }
            Ok(Err(garbage)) => return Err(EngineError::Unavailable(garbage)),
            Err(_) => return Err(EngineError::Unavailable("engine child never ready".into())),
        }
        // Set now rather than at spawn: a waiting child does not know its clip yet.
        self.limit_cpu(cpu_seconds)?;
        let mut line = serde_json::to_vec(request)
            .map_err(|e| EngineError::Unavailable(format!("request: {e}")))?;
        line.push(b'\n');
        let sent = self.stdin.write_all(&line).await;
        sent.map_err(|e| EngineError::Unavailable(format!("sending the request: {e}")))?;

        let started = Instant::now();
        let stop_at = tokio::time::Instant::now() + deadline;
        loop {
            let message = tokio::select! {
                message = self.next_message() => Some(message),
                _ = tokio::time::sleep_until(stop_at) => None,
            };
            let Some(message) = message else {
                self.group.kill();
                let _ = self.end().await;
                return Err(EngineError::Unsafe(UnsafeEnd::Deadline {
                    after_s: started.elapsed().as_secs_f64(),
                }));
            };
            match message {
                Ok(Some(Message::Progress { progress: p, .. })) => {
                    progress.send_replace(p);
                }
                Ok(Some(Message::Done {
                    analysis, frames, ..
                })) => {
                    self.end().await;
                    return Ok(EngineOutcome::Done { analysis, frames });
                }
                Ok(Some(Message::Failed { failure, .. })) => {
                    self.end().await;
                    return Ok(EngineOutcome::Failed(failure));
                }
                Ok(Some(Message::Ready { .. })) => {
                    self.group.kill();
                    return Err(EngineError::Unsafe(UnsafeEnd::Garbage(
                        "ready twice".into(),
                    )));
                }
                Ok(None) => {
                    // The child closed stdout without an outcome: how it ended says why.
                    let memory_bytes = self.memory_bytes;
                    let (status, stderr) = self.end().await;
                    return Err(EngineError::Unsafe(abnormal_end(
                        status,
                        &stderr,
                        memory_bytes,
                    )));
                }
                Err(garbage) => {
                    self.group.kill();
                    let _ = self.end().await;
                    return Err(EngineError::Unsafe(UnsafeEnd::Garbage(garbage)));
                }
            }
        }
    }

    /// The next message, `None` at the end of the output, `Err` for anything that is not a
    /// message of this protocol version.
    async fn next_message(&mut self) -> Result<Option<Message>, String> {
        let mut line = Vec::new();
        let read = (&mut self.stdout)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| format!("reading the engine's output: {e}"))?;
        if read == 0 {
            return Ok(None);
        }
        if line.len() > MAX_LINE_BYTES {
            return Err(format!("a line longer than {MAX_LINE_BYTES} bytes"));
        }
        let message: Message = serde_json::from_slice(&line).map_err(|e| {
            let start = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
            format!("unreadable line {start:?}: {e}")
        })?;
        if message.version() != VERSION {
            return Err(format!("protocol version {}", message.version()));
        }
        Ok(Some(message))
    }

    fn limit_cpu(&self, seconds: u64) -> Result<(), EngineError> {
        // Our own child, not yet reaped: we hold its Child and its group is alive.
        confine::limit_cpu(self.group.0, seconds)
            .map_err(|e| EngineError::Unavailable(format!("limiting the engine's CPU time: {e}")))
    }

    /// Kills what is left of the group, reaps the child and returns its status and stderr.
    async fn end(mut self) -> (Option<ExitStatus>, String) {
        // A child that reported its outcome has nothing left to do; its ffmpeg neither.
        let status = match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => None,
        };
        self.group.kill();
        let status = match status {
            Some(status) => Some(status),
            None => self.child.wait().await.ok(),
        };
        let stderr = match tokio::time::timeout(Duration::from_secs(2), &mut self.stderr).await {
            Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => String::new(),
        };
        (status, stderr)
    }
}

/// Reads a child's stderr to the end, keeping the last bytes.
async fn tail_of(mut stderr: tokio::process::ChildStderr) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > STDERR_TAIL_BYTES {
            tail.drain(..tail.len() - STDERR_TAIL_BYTES);
        }
    }
    tail
}

/// Why a child ended without an outcome: the kernel's limits show as signals (SIGXCPU for CPU
/// time; an allocation past the address-space limit aborts, and says so on stderr).
fn abnormal_end(status: Option<ExitStatus>, stderr: &str, memory_bytes: u64) -> UnsafeEnd {
    let out_of_memory = stderr.contains("memory allocation of")
        || stderr.contains("Cannot allocate memory")
        || stderr.contains("out of memory");
    match status {
        _ if out_of_memory => UnsafeEnd::Memory {
            limit_mb: memory_bytes / 1_000_000,
        },
        Some(s) if s.signal() == Some(libc::SIGXCPU) => UnsafeEnd::CpuTime,
        Some(s) => match (s.signal(), s.code()) {
            (Some(signal), _) => UnsafeEnd::Signal(signal),
            (None, Some(code)) => UnsafeEnd::Exit(code),
            (None, None) => UnsafeEnd::Exit(-1),
        },
        None => UnsafeEnd::Exit(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EngineConfig {
        EngineConfig {
            program: PathBuf::from("airtime"),
            pose_model: PathBuf::new(),
            memory_bytes: 1536 << 20,
            max_wall: Duration::from_secs(300),
        }
    }

    #[test]
    fn deadlines_grow_with_the_clip_up_to_the_cap() {
        let c = config();
        assert_eq!(c.deadline_for(5.0), Duration::from_secs(50));
        assert_eq!(c.deadline_for(60.0), Duration::from_secs(270));
        assert_eq!(c.deadline_for(1e9), Duration::from_secs(300));
        assert_eq!(c.deadline_for(f64::NAN).as_secs(), 300);
        assert_eq!(c.cpu_seconds_for(5.0), 100);
    }

    #[test]
    fn abnormal_ends_name_their_cause() {
        let signalled = |sig| Some(ExitStatus::from_raw(sig));
        let exited = |code: i32| Some(ExitStatus::from_raw(code << 8));
        assert_eq!(
            abnormal_end(
                signalled(libc::SIGABRT),
                "memory allocation of 1024 bytes failed\n",
                1_500_000_000
            ),
            UnsafeEnd::Memory { limit_mb: 1500 }
        );
        assert_eq!(
            abnormal_end(signalled(libc::SIGXCPU), "", 1),
            UnsafeEnd::CpuTime
        );
        assert_eq!(
            abnormal_end(signalled(libc::SIGSEGV), "", 1),
            UnsafeEnd::Signal(libc::SIGSEGV)
        );
        assert_eq!(
            abnormal_end(exited(101), "panicked at", 1),
            UnsafeEnd::Exit(101)
        );
        let message = UnsafeEnd::CpuTime.user_message();
        assert!(
            message.starts_with("This video could not be processed safely: "),
            "{message}"
        );
    }

    /// A stand-in engine: a shell script speaking (or breaking) the protocol, to drive the
    /// supervisor's handling of each way a child can end.
    fn script(name: &str, body: &str) -> EngineConfig {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("airtime-engine-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        EngineConfig {
            program: path,
            ..config()
        }
    }

    const READY: &str = r#"echo '{"event":"ready","v":1,"model_load_ms":0}'; read request"#;

    async fn run(config: &EngineConfig, deadline: Duration) -> Result<EngineOutcome, EngineError> {
        let request = Request {
            v: VERSION,
            video: PathBuf::from("/nonexistent.mp4"),
            jump: airtime_kinematics::JumpType::Cmj,
            body_mass_kg: None,
            max_video_seconds: 60.0,
            tool_memory_bytes: 1 << 30,
            frames_dir: std::env::temp_dir(),
        };
        let (tx, _rx) = watch::channel(Progress {
            stage: airtime_kinematics::Stage::Checking,
            fraction: 0.0,
        });
        Engine::spawn(config)
            .unwrap()
            .run(&request, &tx, deadline, 10)
            .await
    }

    #[tokio::test]
    async fn garbage_on_stdout_is_the_clips_fault() {
        let c = script("garbage", &format!("{READY}; echo 'not json'"));
        let end = run(&c, Duration::from_secs(10)).await.unwrap_err();
        assert!(
            matches!(end, EngineError::Unsafe(UnsafeEnd::Garbage(_))),
            "{end:?}"
        );
    }

    #[tokio::test]
    async fn a_crash_is_reported_with_its_signal() {
        let c = script("crash", &format!("{READY}; kill -SEGV $$"));
        let end = run(&c, Duration::from_secs(10)).await.unwrap_err();
        assert!(
            matches!(end, EngineError::Unsafe(UnsafeEnd::Signal(libc::SIGSEGV))),
            "{end:?}"
        );
    }

    #[tokio::test]
    async fn another_protocol_version_is_our_problem_not_the_clips() {
        let c = script("old", r#"echo '{"event":"ready","v":0,"model_load_ms":0}'"#);
        let end = run(&c, Duration::from_secs(10)).await.unwrap_err();
        assert!(matches!(end, EngineError::Unavailable(_)), "{end:?}");
    }

    #[tokio::test]
    async fn a_child_past_its_deadline_is_killed_with_everything_it_started() {
        let pid_file =
            std::env::temp_dir().join(format!("airtime-grandchild-{}", uuid::Uuid::new_v4()));
        let c = script(
            "hang",
            &format!("{READY}; sleep 60 & echo $! > {}; wait", pid_file.display()),
        );
        let started = Instant::now();
        let end = run(&c, Duration::from_millis(300)).await.unwrap_err();
        assert!(
            matches!(end, EngineError::Unsafe(UnsafeEnd::Deadline { .. })),
            "{end:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        let alive = |pid: &str| {
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .is_ok_and(|stat| !stat.contains(") Z "))
        };
        for _ in 0..50 {
            if !alive(&grandchild) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the child's own child {grandchild} outlived the kill");
    }

    #[tokio::test]
    async fn a_real_outcome_is_read() {
        let failure = r#"{"event":"failed","v":1,"failure":{"code":"no_athlete","user_input":true,"message":"m","detail":"d"}}"#;
        let c = script("fails", &format!("{READY}; echo '{failure}'"));
        match run(&c, Duration::from_secs(10)).await {
            Ok(EngineOutcome::Failed(f)) => assert_eq!(f.code, "no_athlete"),
            other => panic!("{other:?}"),
        }
    }
}
