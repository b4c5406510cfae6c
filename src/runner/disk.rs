//! Decides from two probe samples whether a step wrote the file's data to disk.

use std::path::Path;

use crate::probe;
use crate::trace::{Allocation, Environment, Measured, PageState};

/// Page-cache and allocation state of one file at one moment.
pub struct Sample {
    /// None when the step's variable has no file at all.
    pub pages: Option<Measured<PageState>>,
    pub allocation: Option<Measured<Allocation>>,
}

impl Sample {
    /// No measurement (probes turned off).
    pub fn off() -> Sample {
        let why = "probes off (MEMMAP_TUTOR_NO_PROBES is set)";
        Sample {
            pages: Some(Measured::unavailable(why)),
            allocation: Some(Measured::unavailable(why)),
        }
    }

    /// The whole-file counts of a snapshot (the same numbers its page map shows).
    pub fn of(snap: &probe::FileSnapshot) -> Sample {
        Sample {
            pages: Some(snap.pages.clone()),
            allocation: Some(snap.allocation.clone()),
        }
    }

    /// Probe `path` now. A file that does not exist yet has no pages and no blocks.
    pub fn take(path: Option<&Path>) -> Sample {
        match path {
            None => Sample {
                pages: None,
                allocation: None,
            },
            Some(p) if !p.exists() => Sample {
                pages: Some(Measured::Value(PageState::default())),
                allocation: Some(Measured::Value(Allocation::default())),
            },
            Some(p) => Sample {
                pages: Some(probe::page_state(p)),
                allocation: Some(probe::allocation(p)),
            },
        }
    }
}

/// Whether a step wrote to disk, and how that was measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskVerdict {
    pub wrote: bool,
    /// Dirty pages cleaned during the step.
    pub pages_written: u64,
    /// `Yes (1 page written back)`, `No`, `unavailable (…)`, with the evidence.
    pub detail: String,
}

/// Compare the samples before and after a step.
///
/// A step wrote to disk when dirty or under-writeback pages of the file were cleaned during it, or when
/// delayed-allocation bytes received real blocks. `truncates` marks a `w+` open: truncation discards dirty
/// pages without writing them, so a drop in the dirty count then proves nothing.
pub fn decide(env: &Environment, before: &Sample, after: &Sample, truncates: bool) -> DiskVerdict {
    let no = |detail: String| DiskVerdict {
        wrote: false,
        pages_written: 0,
        detail,
    };
    if !env.has_disk {
        return no(format!(
            "unavailable ({} has no disk behind the page cache: nothing is ever written to disk)",
            env.filesystem
        ));
    }
    let (Some(pb), Some(pa)) = (&before.pages, &after.pages) else {
        return no("unavailable (the step's variable has no file)".to_string());
    };
    let (pb, pa) = match (pb, pa) {
        (Measured::Value(b), Measured::Value(a)) => (b, a),
        (Measured::Unavailable { unavailable }, _) | (_, Measured::Unavailable { unavailable }) => {
            return no(format!("unavailable ({unavailable})"));
        }
    };
    let pending_before = pb.dirty + pb.writeback;
    let pending_after = pa.dirty + pa.writeback;
    let cleaned = pending_before.saturating_sub(pending_after);
    let delalloc_resolved = match (&before.allocation, &after.allocation) {
        (Some(Measured::Value(b)), Some(Measured::Value(a))) => {
            b.delalloc_bytes > a.delalloc_bytes && a.allocated_bytes > b.allocated_bytes
        }
        _ => false,
    };
    if truncates && cleaned > 0 {
        return no(format!(
            "No ({cleaned} dirty page(s) discarded by truncation, not written)"
        ));
    }
    if cleaned > 0 {
        let s = if cleaned == 1 { "" } else { "s" };
        DiskVerdict {
            wrote: true,
            pages_written: cleaned,
            detail: format!("Yes ({cleaned} page{s} written back)"),
        }
    } else if delalloc_resolved {
        DiskVerdict {
            wrote: true,
            pages_written: 0,
            detail: "Yes (delayed allocation resolved: blocks assigned on disk)".to_string(),
        }
    } else if pending_after > 0 {
        let s = if pending_after == 1 { "" } else { "s" };
        no(format!(
            "No ({pending_after} page{s} dirty in the page cache)"
        ))
    } else {
        no("No".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(has_disk: bool) -> Environment {
        Environment {
            kernel: "test".into(),
            page_size: 4096,
            filesystem: if has_disk { "ext4" } else { "tmpfs" }.into(),
            has_disk,
            dirty_expire_centisecs: Some(3000),
        }
    }

    fn sample(dirty: u64, writeback: u64, delalloc: u64, allocated: u64) -> Sample {
        Sample {
            pages: Some(Measured::Value(PageState {
                total: 1,
                cached: 1,
                dirty,
                writeback,
                evicted: 0,
            })),
            allocation: Some(Measured::Value(Allocation {
                extents: 1,
                allocated_bytes: allocated,
                delalloc_bytes: delalloc,
                hole_bytes: 0,
            })),
        }
    }

    #[test]
    fn cleaned_pages_are_a_disk_write() {
        let v = decide(
            &env(true),
            &sample(1, 0, 4096, 0),
            &sample(0, 0, 0, 4096),
            false,
        );
        assert!(v.wrote);
        assert_eq!(v.pages_written, 1);
        assert_eq!(v.detail, "Yes (1 page written back)");
    }

    #[test]
    fn dirtying_is_not_a_disk_write() {
        let v = decide(
            &env(true),
            &sample(0, 0, 0, 0),
            &sample(1, 0, 4096, 0),
            false,
        );
        assert!(!v.wrote);
        assert_eq!(v.detail, "No (1 page dirty in the page cache)");
    }

    #[test]
    fn tmpfs_says_unavailable() {
        let v = decide(&env(false), &sample(1, 0, 0, 0), &sample(0, 0, 0, 0), false);
        assert!(!v.wrote);
        assert!(v.detail.starts_with("unavailable (tmpfs has no disk"));
    }

    #[test]
    fn truncation_discards_rather_than_writes() {
        let v = decide(&env(true), &sample(3, 0, 0, 0), &sample(1, 0, 0, 0), true);
        assert!(!v.wrote);
        assert!(v.detail.contains("discarded by truncation"));
    }

    #[test]
    fn unavailable_probe_is_reported() {
        let mut after = sample(0, 0, 0, 0);
        after.pages = Some(Measured::unavailable("cachestat needs Linux >= 6.5"));
        let v = decide(&env(true), &sample(1, 0, 0, 0), &after, false);
        assert_eq!(v.detail, "unavailable (cachestat needs Linux >= 6.5)");
    }
}
