//! What the engine's tests share: how a missing prerequisite (ffmpeg, the pose model, the
//! development clips) is reported.

use std::path::PathBuf;

/// Reports a prerequisite the test cannot run without. Under CI (`CI=true`) it must be there,
/// so the test fails; elsewhere (a user's clone without `make setup`) it says what it skipped.
pub fn missing(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what}; CI=true requires it"
    );
    // Straight to the stderr handle: the test harness captures `eprintln!` and shows it only
    // for failures, and a skip must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}

/// The root of the checkout (this crate is `crates/engine` in it).
pub fn checkout() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/videos` beside the checkout, or `AIRTIME_SHARED_VIDEOS`.
pub fn shared_video(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("AIRTIME_SHARED_VIDEOS")
        .map(PathBuf::from)
        .unwrap_or_else(|| checkout().join("../shared/videos"));
    let path = dir.join(name);
    if path.is_file() {
        return Some(path);
    }
    missing(&format!("{} not present", path.display()));
    None
}
