//! Which virtual pages of this process are mapped right now, and by what (/proc/self/pagemap), without touching them.
//!
//! Unlike mincore(2), which answers "is the file's page in the page cache", pagemap answers "does our page
//! table map it, and is it a file page or a private (anonymous) copy" — what a display read must know before it
//! touches a mapping: touching an unmapped page would fault it in and count as the program's residency.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::system::page_size;

/// Bit 63: the page is present in RAM and mapped.
const PM_PRESENT: u64 = 1 << 63;
/// Bit 62: the page is swapped out.
const PM_SWAPPED: u64 = 1 << 62;
/// Bit 61: the page is a file page or shared anonymous (clear for a private copy-on-write copy).
const PM_FILE: u64 = 1 << 61;

/// What our page table says about one virtual page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageEntry {
    /// Mapped and in memory: touching it causes no fault.
    pub present: bool,
    /// Swapped out (touching it is a major fault).
    pub swapped: bool,
    /// A page of the file (page cache) rather than a private anonymous copy.
    pub file: bool,
}

impl PageEntry {
    /// A private copy this process made by writing (MAP_PRIVATE): its bytes exist only in the mapping.
    pub fn is_private_copy(&self) -> bool {
        (self.present && !self.file) || self.swapped
    }
}

/// The page-table entry of the page containing `addr` in this process.
pub fn page_entry(addr: usize) -> io::Result<PageEntry> {
    let ps = page_size().max(1);
    let f = File::open("/proc/self/pagemap")?;
    let mut raw = [0u8; 8];
    f.read_exact_at(&mut raw, (addr as u64 / ps) * 8)?;
    let e = u64::from_ne_bytes(raw);
    Ok(PageEntry {
        present: e & PM_PRESENT != 0,
        swapped: e & PM_SWAPPED != 0,
        file: e & PM_FILE != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_copy_is_told_from_a_file_page_and_untouched_pages_are_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.bin");
        let ps = page_size() as usize;
        std::fs::write(&path, vec![1u8; 3 * ps]).expect("write");
        let f = File::open(&path).expect("open");
        // SAFETY: the file is private to this test and keeps its length while mapped.
        let mut map = unsafe { memmap2::MmapOptions::new().map_copy(&f) }.expect("mmap");
        let base = map.as_ptr() as usize;
        let untouched = page_entry(base + 2 * ps).expect("pagemap");
        assert!(!untouched.present && !untouched.is_private_copy());
        // Reading the entry did not fault the page in.
        assert!(!page_entry(base + 2 * ps).expect("pagemap").present);
        let read = map[0];
        let e = page_entry(base).expect("pagemap");
        assert_eq!(read, 1);
        assert!(e.present && e.file && !e.is_private_copy(), "{e:?}");
        map[ps] = 9;
        let w = page_entry(base + ps).expect("pagemap");
        assert!(w.present && !w.file && w.is_private_copy(), "{w:?}");
    }
}
