//! The pose model is loaded once per process (the runtime library, both graphs parsed and
//! compiled: ~50 ms) and shared by every analysis and thread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::super::pose::{PoseError, PoseModel};

static LOADED: Mutex<Option<(PathBuf, Arc<PoseModel>)>> = Mutex::new(None);

/// The model at `path`, loading it on first use. Holding the lock while loading makes
/// concurrent first callers wait instead of loading it twice.
pub fn get(path: &Path) -> Result<Arc<PoseModel>, PoseError> {
    let mut slot = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((loaded_from, model)) = slot.as_ref() {
        if loaded_from == path {
            return Ok(Arc::clone(model));
        }
    }
    let model = Arc::new(PoseModel::load(path)?);
    // The bundle read from disk is garbage once its two networks are copied out.
    super::heap::release_free_pages();
    *slot = Some((path.to_path_buf(), Arc::clone(&model)));
    Ok(model)
}
