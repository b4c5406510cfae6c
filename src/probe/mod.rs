//! Observes the real system around a file: bytes via pread, page cache, block allocation, faults, fs type.
//! Every probe is feature-detected and says why when it cannot answer.

use std::path::Path;

use crate::trace::{Allocation, Faults, MappingState, Measured, PageState};

/// Filesystem facts for a path (statfs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsInfo {
    /// `ext4`, `tmpfs`, `xfs`, `btrfs`, … or `unknown (0x…)`.
    pub name: String,
    /// False for tmpfs/ramfs (no storage behind the page cache).
    pub has_disk: bool,
}

/// Filesystem of the directory or file at `path`.
pub fn fs_info(_path: &Path) -> Measured<FsInfo> {
    todo!("probe helper")
}

/// Page-cache state of the whole file (cachestat over [0, EOF)).
pub fn page_state(_path: &Path) -> Measured<PageState> {
    todo!("probe helper")
}

/// Extent summary of the file (FIEMAP).
pub fn allocation(_path: &Path) -> Measured<Allocation> {
    todo!("probe helper")
}

/// Page faults of this process so far (getrusage); subtract two readings for a step's faults.
pub fn faults_now() -> Measured<Faults> {
    todo!("probe helper")
}

/// Memory of the mapping that contains `addr` (/proc/self/smaps).
pub fn mapping_state(_addr: usize) -> Measured<MappingState> {
    todo!("probe helper")
}

/// Read `len` bytes at `offset` with pread(2); shorter if the file is shorter.
pub fn pread_bytes(_path: &Path, _offset: u64, _len: usize) -> std::io::Result<Vec<u8>> {
    todo!("probe helper")
}

/// Kernel release (uname).
pub fn kernel_release() -> String {
    todo!("probe helper")
}
