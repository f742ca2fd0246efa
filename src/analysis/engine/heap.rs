//! Gives the pages of freed memory back to the system.
//!
//! Loading the model builds temporaries three times its size on the loader thread, and
//! glibc keeps their pages resident in that thread's arena after they are freed (a trim
//! threshold that follows its dynamic mmap threshold never lets the heap shrink). The
//! process then sat on ~25 MB it no longer used for the whole analysis. Trimming during the
//! analysis itself was measured too: a few megabytes less for up to 10 % more time.

/// Returns free heap pages to the system (glibc); elsewhere nothing to do.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
