//! Which pages of one of our mappings are resident in memory (mincore(2)).

use crate::trace::Measured;

use super::system::page_size;

/// One flag per page of `[addr, addr + len)` of this process's mappings: true = resident.
///
/// `addr` must be page aligned (a mapping's start is). Since Linux 5.2 a file mapping whose
/// file the caller could not have opened for writing reports every page as resident, so the
/// answer is only meaningful for files we may write (true for the tutor's own work files).
pub fn resident_pages(addr: usize, len: usize) -> Measured<Vec<bool>> {
    let ps = page_size() as usize;
    if !addr.is_multiple_of(ps) {
        return Measured::unavailable(format!(
            "mincore needs a page-aligned address; 0x{addr:x} is not"
        ));
    }
    let pages = len.div_ceil(ps);
    if pages == 0 {
        return Measured::Value(Vec::new());
    }
    let mut vec = vec![0u8; pages];
    // SAFETY: mincore only inspects page tables for [addr, addr+len) — it never dereferences that
    // memory — and writes exactly ceil(len / page size) bytes into `vec`, which has that length.
    let rc = unsafe { libc::mincore(addr as *mut libc::c_void, len, vec.as_mut_ptr()) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Measured::unavailable(match e.raw_os_error() {
            Some(libc::ENOMEM) => format!("mincore: part of 0x{addr:x}+{len} is not mapped"),
            _ => format!("mincore failed: {e}"),
        });
    }
    Measured::Value(vec.iter().map(|b| b & 1 != 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_anonymous_pages_are_resident() {
        let ps = page_size() as usize;
        let mut map = memmap2::MmapMut::map_anon(4 * ps).expect("map_anon");
        map[0] = 1;
        map[2 * ps] = 1;
        let r = resident_pages(map.as_ptr() as usize, map.len());
        let r = r.value().expect("mincore");
        assert_eq!(r.len(), 4);
        // Untouched anonymous pages have no page yet (THP could fill them, so only check touched).
        assert!(r[0] && r[2], "{r:?}");
        let why = resident_pages(map.as_ptr() as usize + 1, 1).why();
        assert!(why.is_some_and(|w| w.contains("page-aligned")));
    }
}
