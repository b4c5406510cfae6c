//! Decides from two probe samples whether a step wrote the file's data to disk.

use std::path::Path;

use crate::probe;
use crate::trace::{Allocation, DiskWrite, Environment, Measured, PageState};

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

/// Compare the samples before and after a step.
///
/// A step wrote to disk when dirty or under-writeback pages of the file were cleaned during it, or when
/// delayed-allocation bytes received real blocks. `truncates` marks a `w+` open: truncation discards dirty
/// pages without writing them, so a drop in the dirty count then proves nothing.
pub(crate) fn decide(
    env: &Environment,
    before: &Sample,
    after: &Sample,
    truncates: bool,
) -> Measured<DiskWrite> {
    if !env.has_disk {
        return Measured::Value(DiskWrite::NoDisk {
            filesystem: env.filesystem.clone(),
        });
    }
    let (Some(pb), Some(pa)) = (&before.pages, &after.pages) else {
        return Measured::unavailable("the step's variable has no file");
    };
    let (pb, pa) = match (pb, pa) {
        (Measured::Value(b), Measured::Value(a)) => (b, a),
        (Measured::Unavailable { unavailable }, _) | (_, Measured::Unavailable { unavailable }) => {
            return Measured::unavailable(unavailable.clone());
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
    Measured::Value(if truncates && cleaned > 0 {
        DiskWrite::DiscardedByTruncation { pages: cleaned }
    } else if cleaned > 0 {
        DiskWrite::WrittenBack { pages: cleaned }
    } else if delalloc_resolved {
        DiskWrite::BlocksAssigned
    } else if pending_after > 0 {
        DiskWrite::Pending {
            pages: pending_after,
        }
    } else {
        DiskWrite::Nothing
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::disk_write_detail;

    /// The verdict as the old `DiskVerdict` exposed it: written?, pages written, detail sentence.
    struct V {
        wrote: bool,
        pages_written: u64,
        detail: String,
    }

    fn words(m: Measured<DiskWrite>) -> V {
        V {
            wrote: m.value().is_some_and(DiskWrite::wrote),
            pages_written: m.value().map_or(0, DiskWrite::pages_written),
            detail: disk_write_detail(&m),
        }
    }

    fn env(has_disk: bool) -> Environment {
        Environment {
            kernel: "test".into(),
            page_size: 4096,
            filesystem: if has_disk { "ext4" } else { "tmpfs" }.into(),
            has_disk,
            dirty_expire_centisecs: Some(3000),
            dirty_writeback_centisecs: Some(500),
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
        let v = words(decide(
            &env(true),
            &sample(1, 0, 4096, 0),
            &sample(0, 0, 0, 4096),
            false,
        ));
        assert!(v.wrote);
        assert_eq!(v.pages_written, 1);
        assert_eq!(v.detail, "Yes (1 page written back)");
    }

    #[test]
    fn dirtying_is_not_a_disk_write() {
        let v = words(decide(
            &env(true),
            &sample(0, 0, 0, 0),
            &sample(1, 0, 4096, 0),
            false,
        ));
        assert!(!v.wrote);
        assert_eq!(v.detail, "No (1 page dirty in the page cache)");
    }

    #[test]
    fn tmpfs_says_unavailable() {
        let v = words(decide(
            &env(false),
            &sample(1, 0, 0, 0),
            &sample(0, 0, 0, 0),
            false,
        ));
        assert!(!v.wrote);
        assert!(v.detail.starts_with("unavailable (tmpfs has no disk"));
    }

    #[test]
    fn truncation_discards_rather_than_writes() {
        let v = words(decide(
            &env(true),
            &sample(3, 0, 0, 0),
            &sample(1, 0, 0, 0),
            true,
        ));
        assert!(!v.wrote);
        assert!(v.detail.contains("discarded by truncation"));
    }

    #[test]
    fn unavailable_probe_is_reported() {
        let mut after = sample(0, 0, 0, 0);
        after.pages = Some(Measured::unavailable("cachestat needs Linux >= 6.5"));
        let v = words(decide(&env(true), &sample(1, 0, 0, 0), &after, false));
        assert_eq!(v.detail, "unavailable (cachestat needs Linux >= 6.5)");
    }
}
