//! Process-wide calls to the OS: how glibc's allocator holds the analysis' memory, and the
//! disk space left for uploads.
//!
//! The allocator:
//!
//! An analysis allocates on four threads: frames on the decoder's reader, crops and model
//! inputs on the scout and on the dense worker. With an arena per thread, each arena keeps the
//! pages of its own peak, and the process held the sum of peaks that never coincide. One arena
//! shares them: 5-10 MB less at the same speed (measured on all eight development clips; the
//! web server's own allocations are light).
//!
//! Loading the model reads the 6 MB bundle and copies the two networks out of it, and glibc
//! keeps freed pages resident (its trim threshold follows its dynamic mmap threshold, so the
//! heap never shrinks): trimming once after loading gives them back. Trimming during the
//! analysis was measured too: a few megabytes for up to 10 % more time.

/// One malloc arena for the whole process; call before any thread starts.
pub fn use_one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a glibc tunable; no allocation is in flight on another thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns free heap pages to the system (glibc); elsewhere nothing to do.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Bytes available to this (unprivileged) process on the disk holding `dir`.
pub fn free_disk_bytes(dir: &std::path::Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is NUL-terminated and outlives the call; statvfs fills `stat` on success.
    if unsafe { libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: initialised by the successful call above.
    let stat = unsafe { stat.assume_init() };
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}
