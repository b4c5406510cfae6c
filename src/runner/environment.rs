//! The run's environment (kernel, page size, the work directory's filesystem, the flusher settings), measured
//! once at the start of a lesson or a traced script.

use std::path::Path;

use crate::probe;
use crate::trace::{Environment, Measured};

/// The environment of a run whose files live in `dir`.
pub(crate) fn measure(dir: &Path) -> Environment {
    let (filesystem, has_disk) = match probe::fs_info(dir) {
        Measured::Value(fs) => (fs.name, fs.has_disk),
        Measured::Unavailable { unavailable } => (format!("unknown ({unavailable})"), true),
    };
    Environment {
        kernel: probe::kernel_release(),
        page_size: probe::page_size() as usize,
        filesystem,
        has_disk,
        dirty_expire_centisecs: probe::dirty_expire_centisecs(),
        dirty_writeback_centisecs: probe::dirty_writeback_centisecs(),
    }
}
