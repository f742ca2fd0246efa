//! Resource limits for the child processes that read uploads: ffprobe, ffmpeg and the
//! analysis engine itself. A crafted file can make any of them allocate or spin without end;
//! the limit stops that child alone, and the parent reads its end as the file's fault.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// What one child may use. `None` leaves a limit as inherited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChildLimits {
    /// Address space (`RLIMIT_AS`): an allocation past it fails inside the child.
    pub memory_bytes: Option<u64>,
    /// CPU time (`RLIMIT_CPU`): SIGXCPU at this many seconds, SIGKILL two seconds later.
    pub cpu_seconds: Option<u64>,
    /// Start a new process group, so the whole tree (the engine and its ffmpeg) can be
    /// killed at once with `kill(-pid)`.
    pub new_group: bool,
    /// Added to the nice value (0 keeps the parent's): background work yields the CPU to
    /// the requests people are waiting on.
    pub nice: i32,
}

/// Applies `limits` to `cmd`. Also, always: no core dump, the child is killed when the
/// thread that started it exits (so a killed server leaves no decoder behind), and no
/// descriptor but stdin, stdout and stderr crosses `exec`.
pub fn confine(cmd: &mut Command, limits: ChildLimits) {
    if limits.new_group {
        cmd.process_group(0);
    }
    let pre_exec = move || -> std::io::Result<()> {
        set_limit(libc::RLIMIT_CORE, 0, 0)?;
        if let Some(bytes) = limits.memory_bytes {
            set_limit(libc::RLIMIT_AS, bytes, bytes)?;
        }
        if let Some(seconds) = limits.cpu_seconds {
            set_limit(libc::RLIMIT_CPU, seconds, seconds.saturating_add(2))?;
        }
        if limits.nice > 0 {
            lower_priority(limits.nice)?;
        }
        parent_death_kills()?;
        mark_inherited_descriptors_cloexec();
        Ok(())
    };
    // SAFETY: the closure runs in the forked child before `exec`. It only makes the
    // async-signal-safe system calls getrlimit, setrlimit, setpriority, prctl and close_range, allocates nothing
    // and touches no lock; its captures are plain integers copied into it.
    unsafe {
        cmd.pre_exec(pre_exec);
    }
}

/// Kills the process group `leader` started with [`ChildLimits::new_group`]. Call it only
/// while the leader is not yet reaped, so the group id cannot have been reused.
pub fn kill_group(leader: u32) {
    let Ok(pid) = libc::pid_t::try_from(leader) else {
        return;
    };
    // SAFETY: kill takes integers only; a negative pid addresses the child's own group,
    // which `confine` created (new_group) and which no other process can join.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// Limits the CPU time of the running child `pid` (not yet reaped): SIGXCPU at `seconds`,
/// SIGKILL two seconds later. Set after the child has loaded the model, so loading does
/// not count against the analysis.
pub fn limit_cpu(pid: u32, seconds: u64) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(std::io::Error::other)?;
    let limit = libc::rlimit {
        rlim_cur: seconds,
        rlim_max: seconds.saturating_add(2),
    };
    // SAFETY: prlimit on the caller's own unreaped child; `limit` outlives the call and the
    // old value is not asked for.
    if unsafe { libc::prlimit(pid, libc::RLIMIT_CPU, &limit, std::ptr::null_mut()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Lowers a limit; never asks for more than the parent's own hard limit (an engine child
/// starting ffmpeg is itself limited, and raising a hard limit is refused).
fn set_limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> std::io::Result<()> {
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `current` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(resource, &mut current) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let limit = libc::rlimit {
        rlim_cur: soft.min(current.rlim_max),
        rlim_max: hard.min(current.rlim_max),
    };
    // SAFETY: `limit` is a valid rlimit that lives across the call.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn lower_priority(by: i32) -> std::io::Result<()> {
    // SAFETY: PRIO_PROCESS with who = 0 names the calling process; no pointer is passed.
    let current = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    // SAFETY: as above.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, current.saturating_add(by).min(19)) } == 0
    {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn parent_death_kills() -> std::io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and no pointer.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Rust opens its own descriptors close-on-exec, but a library (or a future dependency)
/// may not; marking them all costs one system call. Kernels before 5.11 lack it: then the
/// standard library's own guarantee stands alone.
fn mark_inherited_descriptors_cloexec() {
    // SAFETY: close_range takes integers only; with CLOSE_RANGE_CLOEXEC it closes nothing
    // now, so the standard library's own exec-error pipe keeps working.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
    }
}
