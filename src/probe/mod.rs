//! Observes the real system around a file: bytes via pread, page cache, block allocation, faults, fs type.
//! Every probe is feature-detected and says why when it cannot answer; none of them disturbs what the others
//! measure (see `snapshot` and `quiet`).

mod cachestat;
mod dir_events;
mod faults;
mod fiemap;
mod fileview;
mod fstype;
mod handles;
mod mincore;
mod own_vma;
mod pagemap;
mod pid_scan;
mod proc_pid;
mod ptes;
mod quiet;
mod readahead;
mod reclaim;
mod smaps;
mod snapshot;
mod system;
mod vmflags;
mod work;

pub(crate) use cachestat::page_state_beneath;
pub use cachestat::{page_state, page_state_range};
pub use dir_events::{DirEvent, DirEvents, DISPLAY_READ_EVENTS, READ_ONLY_EVENTS};
pub(crate) use faults::{faults_between, faults_now};
pub use fiemap::{allocation, extents};
pub(crate) use fileview::hex_dump_quiet;
pub use fileview::{hex_dump, pread_bytes, FileElements};
pub use fstype::fs_info;
#[cfg(test)]
pub(crate) use handles::release_file;
pub use handles::release_files;
pub(crate) use handles::{confine_to, pin_file};
pub use mincore::resident_pages;
pub use own_vma::{own_file_rss_kb, own_mapping_state};
pub use pagemap::page_map;
pub use pid_scan::{present_runs, scan_unsupported, PageRun, VmaQuery};
pub use proc_pid::{
    mapping_memory, parse_maps_line, parse_stat_faults, proc_faults, proc_mapping_state, proc_maps,
    PidPage, ProcMapping, ProcStat, ProcessPages,
};
pub use ptes::{page_entry, PageEntry};
pub use quiet::QuietFile;
pub use readahead::{file_id, file_rss_kb, own_anon_kb, read_ahead};
pub use reclaim::ReclaimCounter;
pub use smaps::mapping_state;
pub use snapshot::{snapshot, FileSnapshot};
pub use system::{dirty_expire_centisecs, dirty_writeback_centisecs};
pub(crate) use system::{kernel_release, page_size};
pub use vmflags::vm_flags;
pub use work::{looks_at, probe_work, ProbeWork};

/// Filesystem facts for a path (statfs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsInfo {
    /// `ext4`, `tmpfs`, `xfs`, `btrfs`, … or `unknown (0x…)`.
    pub name: String,
    /// False for tmpfs/ramfs (no storage behind the page cache).
    pub has_disk: bool,
}
