//! A one-line picture of a file's pages (dirty / cached / not cached / hole), bucketed into a fixed number of cells.
//!
//! Built from one cachestat(2) call per cell and one FIEMAP walk, never by reading the data: the
//! cost is O(cells + extents) whatever the file's size.

use std::path::Path;

use crate::trace::{
    Measured, PageMap, PageState, CACHED, DIRTY, HOLE, NOT_CACHED, PAGE_MAP_CELLS, PAGE_MAP_LEGEND,
    PARTLY_CACHED, WRITEBACK,
};

use super::fiemap::Extent;
use super::system::page_size;

/// Cells of the strip for a large file; a file of fewer pages gets one cell per page.
pub(crate) const CELLS: u64 = PAGE_MAP_CELLS;

/// The page map of the file at `path`, in at most `PAGE_MAP_CELLS` (64) cells (see [`super::snapshot`]).
pub fn page_map(path: &Path) -> Measured<PageMap> {
    super::snapshot::snapshot(path).page_map
}

/// Build the page map of a file of `size` bytes from its extents (None: FIEMAP unavailable, with the
/// reason) and the cachestat of each cell's byte range; returns the map and the sum of the cells' counts.
///
/// The cells partition the file and cachestat counts only the pages inside a range, so the sum is the
/// file's own count: the strip and the totals come from the same calls and agree by construction.
pub(crate) fn build(
    size: u64,
    extent_list: Option<&[Extent]>,
    holes_unknown: Option<String>,
    mut cell_state: impl FnMut(u64, u64) -> Measured<PageState>,
) -> Measured<(PageMap, PageState)> {
    let page = page_size().max(1);
    let total_pages = size.div_ceil(page);
    let pages_per_cell = total_pages.div_ceil(CELLS).max(1);
    let ncells = total_pages.div_ceil(pages_per_cell);
    let cell_bytes = pages_per_cell * page;
    let mut cells = String::with_capacity(ncells as usize);
    let mut sum = PageState::default();
    // Extents come in file order, so one cursor walks them once over all cells: O(cells + extents).
    let mut cursor = 0usize;
    for i in 0..ncells {
        let start = i * cell_bytes;
        let end = (start + cell_bytes).min(size);
        let state = match cell_state(start, end - start) {
            Measured::Value(s) => s,
            Measured::Unavailable { unavailable } => return Measured::Unavailable { unavailable },
        };
        sum.total += state.total;
        sum.cached += state.cached;
        sum.dirty += state.dirty;
        sum.writeback += state.writeback;
        sum.evicted += state.evicted;
        let has_blocks = match extent_list {
            Some(list) => overlaps(list, &mut cursor, start, end),
            // Without FIEMAP we cannot tell a hole from data on disk; say "not cached".
            None => true,
        };
        cells.push(cell_char(
            state.dirty,
            state.writeback,
            state.cached,
            state.total,
            has_blocks,
        ));
    }
    Measured::Value((
        PageMap {
            cells,
            pages_per_cell,
            bytes_per_cell: cell_bytes,
            total_pages,
            legend: PAGE_MAP_LEGEND.to_string(),
            holes_unknown,
            probed_at_step: 0,
        },
        sum,
    ))
}

/// True when some extent covers part of `[start, end)`; advances `cursor` past extents that end
/// before `start` (cells are visited in increasing order).
fn overlaps(list: &[Extent], cursor: &mut usize, start: u64, end: u64) -> bool {
    while let Some(e) = list.get(*cursor) {
        if e.logical.saturating_add(e.length) <= start {
            *cursor += 1;
        } else {
            break;
        }
    }
    list.get(*cursor).is_some_and(|e| e.logical < end)
}

/// The character of one cell from its page counts.
fn cell_char(dirty: u64, writeback: u64, cached: u64, total: u64, has_blocks: bool) -> char {
    if dirty > 0 {
        DIRTY
    } else if writeback > 0 {
        WRITEBACK
    } else if cached > 0 && cached >= total {
        CACHED
    } else if cached > 0 {
        PARTLY_CACHED
    } else if has_blocks {
        NOT_CACHED
    } else {
        HOLE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(logical: u64, length: u64) -> Extent {
        Extent {
            logical,
            physical: 0,
            length,
            flags: 0,
        }
    }

    #[test]
    fn cell_characters_by_priority() {
        assert_eq!(cell_char(1, 1, 4, 4, true), DIRTY);
        assert_eq!(cell_char(0, 1, 4, 4, true), WRITEBACK);
        assert_eq!(cell_char(0, 0, 4, 4, true), CACHED);
        assert_eq!(cell_char(0, 0, 2, 4, true), PARTLY_CACHED);
        assert_eq!(cell_char(0, 0, 0, 4, true), NOT_CACHED);
        assert_eq!(cell_char(0, 0, 0, 4, false), HOLE);
    }

    #[test]
    fn extent_cursor_walks_once() {
        let list = [ext(0, 4096), ext(1 << 20, 4096)];
        let mut c = 0;
        assert!(overlaps(&list, &mut c, 0, 4096));
        assert!(!overlaps(&list, &mut c, 4096, 1 << 20));
        assert_eq!(c, 1);
        assert!(overlaps(&list, &mut c, 1 << 20, (1 << 20) + 10));
        assert!(!overlaps(&list, &mut c, 2 << 20, 3 << 20));
        assert_eq!(c, 2);
    }

    #[test]
    fn sparse_file_shows_touched_cells_only() {
        use std::os::unix::fs::FileExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sparse.bin");
        let f = std::fs::File::create(&path).expect("create");
        let size = 256 * page_size();
        f.set_len(size).expect("set_len");
        f.write_all_at(&[1u8; 16], 0).expect("write");
        f.write_all_at(&[1u8; 16], size - 16).expect("write");
        drop(f);
        let m = page_map(&path);
        let Some(m) = m.value() else {
            eprintln!("skip: page map unavailable here: {m:?}");
            return;
        };
        assert_eq!(m.total_pages, 256);
        assert_eq!(m.pages_per_cell, 4);
        assert_eq!(m.cells.len(), 64);
        // Written by write(2), not flushed: dirty at both ends (or already written back / cached).
        let first = m.cells.chars().next();
        assert!(
            matches!(first, Some(DIRTY | WRITEBACK | CACHED | PARTLY_CACHED)),
            "{m:?}"
        );
        let middle: String = m.cells.chars().skip(1).take(62).collect();
        if m.holes_unknown.is_none() {
            assert!(middle.chars().all(|c| c == HOLE), "{m:?}");
        }
        assert_eq!(m.strip().len(), 66);
    }

    #[test]
    fn small_file_gets_a_cell_per_page() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("small.bin");
        std::fs::write(&path, vec![0u8; 3 * page_size() as usize + 1]).expect("write");
        if let Measured::Value(m) = page_map(&path) {
            assert_eq!(m.pages_per_cell, 1);
            assert_eq!(m.cells.len(), 4);
        }
        assert!(page_map(&dir.path().join("nope")).why().is_some());
    }
}
