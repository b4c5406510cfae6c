//! One consistent picture of a file's page cache and disk blocks: the page map, the cachestat counts and the
//! FIEMAP summary all come from the same calls, so they cannot disagree.

use std::path::Path;

use crate::trace::{Allocation, Measured, PageMap, PageState};

use super::cachestat::{page_state, page_state_on};
use super::fiemap::{extents, summarise};
use super::handles::handle;
use super::pagemap::build;

/// The kernel's view of one file at one moment (taken before anything reads the file for display).
#[derive(Debug, Clone, PartialEq)]
pub struct FileSnapshot {
    /// Size of the file (fstat) when the snapshot was taken.
    pub size: u64,
    /// Page-cache counts of the whole file: the sum of the page map's cells.
    pub pages: Measured<PageState>,
    /// Extent summary, from the same FIEMAP walk the page map used.
    pub allocation: Measured<Allocation>,
    /// The strip: one cachestat per cell plus that FIEMAP walk.
    pub page_map: Measured<PageMap>,
}

/// Take the snapshot of the file at `path`: one FIEMAP walk and one cachestat per page-map cell; reads no data.
pub fn snapshot(path: &Path) -> FileSnapshot {
    super::work::count_look(path);
    // One open and one fstat for every cell's cachestat (not one lstat + fstat per cell).
    let opened = handle(path).and_then(|h| h.file.metadata().map(|m| (h, m.len())));
    let (h, size) = match opened {
        Ok(x) => x,
        Err(e) => {
            let why = format!("cannot open {}: {e}", path.display());
            return FileSnapshot {
                size: 0,
                pages: Measured::unavailable(why.clone()),
                allocation: Measured::unavailable(why.clone()),
                page_map: Measured::unavailable(why),
            };
        }
    };
    let list = extents(path);
    let (extent_list, holes_unknown) = match &list {
        Measured::Value(v) => (Some(v.as_slice()), None),
        Measured::Unavailable { unavailable } => (None, Some(unavailable.clone())),
    };
    let allocation = match &list {
        Measured::Value(v) => Measured::Value(summarise(v, size)),
        Measured::Unavailable { unavailable } => Measured::unavailable(unavailable.clone()),
    };
    let built = build(size, extent_list, holes_unknown, |start, len| {
        page_state_on(&h.file, size, start, len)
    });
    let (pages, page_map) = match built {
        // An empty file has no cells: ask cachestat once so that an unavailable probe still says why.
        Measured::Value((map, _)) if map.total_pages == 0 => match page_state(path) {
            Measured::Value(p) => (Measured::Value(p), Measured::Value(map)),
            Measured::Unavailable { unavailable } => (
                Measured::unavailable(unavailable.clone()),
                Measured::unavailable(unavailable),
            ),
        },
        Measured::Value((map, sum)) => (Measured::Value(sum), Measured::Value(map)),
        Measured::Unavailable { unavailable } => (
            Measured::unavailable(unavailable.clone()),
            Measured::unavailable(unavailable),
        ),
    };
    FileSnapshot {
        size,
        pages,
        allocation,
        page_map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    #[test]
    fn strip_and_counts_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.bin");
        let ps = super::super::page_size();
        let f = std::fs::File::create(&path).expect("create");
        f.write_all_at(&[1u8; 8], 5 * ps - 8).expect("write");
        f.write_all_at(&[1u8; 8], 0).expect("write");
        let _ = handle(&path);
        drop(f);
        let s = snapshot(&path);
        let (Some(p), Some(m)) = (s.pages.value(), s.page_map.value()) else {
            eprintln!("skip: cachestat unavailable: {s:?}");
            return;
        };
        assert_eq!(m.cells.len(), 5);
        let count = |set: &[char]| m.cells.chars().filter(|c| set.contains(c)).count() as u64;
        assert_eq!(p.total, 5);
        assert_eq!(p.dirty, count(&['D']));
        assert_eq!(p.cached, count(&['D', 'W', '#']), "{m:?} {p:?}");
        if let Some(a) = s.allocation.value() {
            let hole_pages = a.hole_bytes / ps;
            assert!(count(&['-']) <= hole_pages, "{m:?} {a:?}");
        }
        super::super::handles::release_file(&path);
        let empty = dir.path().join("empty.bin");
        std::fs::write(&empty, b"").expect("write");
        let e = snapshot(&empty);
        assert_eq!(e.pages.value().map(|p| p.total), Some(0));
        assert!(snapshot(&dir.path().join("missing")).pages.why().is_some());
        super::super::handles::release_file(&empty);
    }
}
