//! Memory of one of the tutor's own mappings, measured on that mapping alone: PROCMAP_QUERY finds its VMA,
//! PAGEMAP_SCAN lists its present pages, cachestat counts the dirty ones among them. /proc/self/smaps would
//! walk the page tables of every mapping of the process (its heap grows with the trace, and each open
//! variable adds one), so its cost grew with the lesson; this one's grows only with the mapping's own
//! resident runs. Where the kernel lacks an ioctl, or the file's dirty pages are not tracked in the page
//! cache (tmpfs), smaps is read as before: the same numbers, at the old cost.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::trace::{MappingState, Measured};

use super::cachestat::page_state_on;
use super::fstype::fs_from_magic;
use super::handles::handle;
use super::pid_scan::{present_runs, scan_unsupported, PageRun, VmaQuery};
use super::proc_pid::ProcMapping;
use super::smaps;

/// The open /proc/self files of the looks (one set per thread: tests run tutors on several threads).
struct Own {
    vmas: VmaQuery,
    pagemap: io::Result<File>,
}

thread_local! {
    static OWN: RefCell<Option<Own>> = const { RefCell::new(None) };
}

/// How a mapping's memory was measured (for tests and the benchmark's honesty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// PROCMAP_QUERY + PAGEMAP_SCAN + cachestat over this mapping only.
    OneVma,
    /// The whole of /proc/self/smaps (the kernel lacks an ioctl, or the filesystem is tmpfs-like).
    Smaps,
}

/// Memory of the mapping of this process that contains `addr`, a mapping of the file at `path` (the
/// engine's own descriptor of it is used: the path is not resolved again). Same numbers as smaps' block of
/// that VMA: `Rss`, `Private_Dirty + Shared_Dirty`, `Anonymous`.
pub fn own_mapping_state(addr: usize, path: &Path) -> Measured<MappingState> {
    own_mapping_state_how(addr, path).0
}

/// [`own_mapping_state`] and how it was measured.
pub fn own_mapping_state_how(addr: usize, path: &Path) -> (Measured<MappingState>, Method) {
    let fast = OWN.with(|own| {
        let mut own = own.borrow_mut();
        let own = own.get_or_insert_with(|| Own {
            vmas: VmaQuery::open(std::process::id()),
            pagemap: File::open("/proc/self/pagemap"),
        });
        one_vma(own, addr, path)
    });
    match fast {
        Some(m) => (m, Method::OneVma),
        None => (smaps::mapping_state(addr), Method::Smaps),
    }
}

/// Resident kB of every mapping of the file `(dev, ino)` in this process: PROCMAP_QUERY finds them (one ioctl
/// per file-backed mapping), PAGEMAP_SCAN counts their present pages — smaps' `Rss` summed over those
/// VMAs, without generating smaps for every mapping of the process. smaps where an ioctl is missing.
pub fn own_file_rss_kb(id: (u64, u64)) -> Measured<u64> {
    let fast = OWN.with(|own| {
        let mut own = own.borrow_mut();
        let own = own.get_or_insert_with(|| Own {
            vmas: VmaQuery::open(std::process::id()),
            pagemap: File::open("/proc/self/pagemap"),
        });
        let vmas = match own.vmas.of_inode(id) {
            Ok(Some(v)) => v,
            Ok(None) => return None,
            Err(e) => {
                return Some(Measured::unavailable(format!(
                    "PROCMAP_QUERY on /proc/self/maps failed: {e}"
                )))
            }
        };
        let pagemap = own.pagemap.as_ref().ok()?;
        let mut kb = 0;
        for (start, end) in vmas {
            match present_runs(pagemap, start, end) {
                Ok(runs) => {
                    kb += runs
                        .iter()
                        .filter(|r| r.present)
                        .map(|r| ((r.end - r.start) / 1024) as u64)
                        .sum::<u64>()
                }
                Err(e) if scan_unsupported(&e) => return None,
                Err(e) => {
                    return Some(Measured::unavailable(format!(
                        "PAGEMAP_SCAN of /proc/self/pagemap failed: {e}"
                    )))
                }
            }
        }
        Some(Measured::Value(kb))
    });
    fast.unwrap_or_else(|| super::readahead::file_rss_kb(id))
}

/// The one-VMA measurement, or None where it cannot give smaps' numbers (then smaps is read).
fn one_vma(own: &mut Own, addr: usize, path: &Path) -> Option<Measured<MappingState>> {
    // Without PROCMAP_QUERY the lookup parses /proc/self/maps text: never a stale copy of it.
    own.vmas.new_step();
    let vma = match own.vmas.at(addr) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Some(Measured::unavailable(format!(
                "no mapping of this process contains address 0x{addr:x} (unmapped?)"
            )))
        }
        Err(_) => return None,
    };
    let pagemap = own.pagemap.as_ref().ok()?;
    let runs = match present_runs(pagemap, vma.start, vma.end) {
        Ok(r) => r,
        Err(e) if scan_unsupported(&e) => return None,
        Err(e) => {
            return Some(Measured::unavailable(format!(
                "PAGEMAP_SCAN of /proc/self/pagemap failed: {e}"
            )))
        }
    };
    let file = handle(path).ok()?.file;
    if !writeback_accounted(&file)? {
        return None;
    }
    file_dirty_pages(&file, &vma, &runs).map(|dirty| Measured::Value(state(&runs, dirty)))
}

/// Whether the file's filesystem keeps dirty pages in the page cache's accounting (ext4, xfs, …).
///
/// There, a store through a shared mapping marks the page-cache page dirty in the fault that makes the
/// page writable, and writeback cleans the page table's dirty bit together with the page's: cachestat's
/// dirty count over the mapped pages is smaps' dirty. On tmpfs and ramfs the page table's bit is the only
/// record, which only smaps reads. None when fstatfs fails.
fn writeback_accounted(file: &File) -> Option<bool> {
    // SAFETY: an all-zero statfs is a valid value of this plain C struct; the kernel overwrites it.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs on an fd open for the call, writing into a valid statfs.
    let rc = unsafe { libc::fstatfs(file.as_raw_fd(), &mut st) };
    (rc == 0).then(|| fs_from_magic(st.f_type as u64 & 0xFFFF_FFFF).has_disk)
}

/// Dirty page-cache pages among the file pages the VMA maps (present, not private copies): one cachestat
/// over the VMA's whole file range first (nothing dirty there: none mapped either), else one per run.
fn file_dirty_pages(file: &File, vma: &ProcMapping, runs: &[PageRun]) -> Option<u64> {
    let dirty = |start: usize, end: usize| {
        page_state_on(file, u64::MAX, vma.file_offset(start), (end - start) as u64)
            .value()
            .map(|s| s.dirty)
    };
    let file_runs: Vec<&PageRun> = runs.iter().filter(|r| r.present && r.file).collect();
    if file_runs.is_empty() {
        return Some(0);
    }
    let whole = dirty(vma.start, vma.end)?;
    if whole == 0 {
        return Some(0);
    }
    if let [only] = file_runs.as_slice() {
        if only.start == vma.start && only.end == vma.end {
            return Some(whole);
        }
    }
    file_runs.iter().map(|r| dirty(r.start, r.end)).sum()
}

/// The counts from the runs: every present page is resident, a present page that is not the file's is a
/// private (copy-on-write) copy — anonymous, and dirty since it was made by a store.
fn state(runs: &[PageRun], file_dirty_pages: u64) -> MappingState {
    let kb = |r: &PageRun| ((r.end - r.start) / 1024) as u64;
    let mut s = MappingState::default();
    for r in runs.iter().filter(|r| r.present) {
        s.rss_kb += kb(r);
        if !r.file {
            s.anonymous_kb += kb(r);
            s.dirty_kb += kb(r);
        }
    }
    s.dirty_kb += file_dirty_pages * super::page_size() / 1024;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::page_size;

    /// Every mapping of one file (shared and private, two of them) summed through PROCMAP_QUERY +
    /// PAGEMAP_SCAN is smaps' sum of their `Rss`; another file's mapping is not counted.
    #[test]
    fn file_rss_by_inode_is_smaps_rss_of_its_mappings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ps = page_size() as usize;
        let (a, b) = (dir.path().join("a.dat"), dir.path().join("b.dat"));
        std::fs::write(&a, vec![1u8; 8 * ps]).expect("write");
        std::fs::write(&b, vec![1u8; 8 * ps]).expect("write");
        let fa = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&a)
            .expect("open");
        let fb = std::fs::File::open(&b).expect("open");
        // SAFETY: private test files nobody else changes while mapped.
        let mut shared = unsafe { memmap2::MmapMut::map_mut(&fa) }.expect("map");
        // SAFETY: as above.
        let mut private = unsafe { memmap2::MmapOptions::new().map_copy(&fa) }.expect("map");
        // SAFETY: as above.
        let other = unsafe { memmap2::Mmap::map(&fb) }.expect("map");
        shared[0] = 2;
        let _ = std::hint::black_box(shared[3 * ps]);
        private[5 * ps] = 3;
        let _ = std::hint::black_box(other[0]);
        let id = super::super::file_id(&a).expect("stat");
        let smaps = super::super::readahead::file_rss_kb(id);
        let fast = own_file_rss_kb(id);
        let smaps_after = super::super::readahead::file_rss_kb(id);
        assert_eq!(smaps, smaps_after, "the mappings moved during the test");
        assert_eq!(fast, smaps, "PROCMAP_QUERY + PAGEMAP_SCAN vs smaps");
        assert!(
            fast.value().is_some_and(|&kb| kb >= 3 * ps as u64 / 1024),
            "{fast:?}"
        );
        drop((shared, private, other));
    }

    /// The one-VMA numbers are smaps' numbers: untouched, after stores and a read, after msync, after a
    /// store again, and for a private mapping with a copy and a read page. On tmpfs the smaps path is
    /// taken (and says so); on a disk the fast one must be (this kernel has both ioctls) or the test says
    /// why not.
    fn agrees_with_smaps(dir: &Path) {
        let ps = page_size() as usize;
        let path = dir.join("m.bin");
        std::fs::write(&path, vec![0u8; 16 * ps]).expect("write");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        // Clean pages first, so that only the stores below dirty any.
        f.sync_all().expect("fsync");
        crate::probe::pin_file(&path, &f);
        let disk = crate::probe::fs_info(dir)
            .value()
            .is_some_and(|i| i.has_disk);
        // smaps is read before and after: the kernel's flusher may clean a page between two looks (a
        // timing the test does not control), so the one-VMA numbers must equal one of the two.
        let same = |addr: usize, what: &str| {
            let before = smaps::mapping_state(addr);
            let (fast, how) = own_mapping_state_how(addr, &path);
            let after = smaps::mapping_state(addr);
            assert!(
                fast.value().is_some()
                    && (fast.value() == before.value() || fast.value() == after.value()),
                "{what}: {fast:?} ({how:?}) vs smaps {before:?} / {after:?}"
            );
            if !disk {
                assert_eq!(how, Method::Smaps, "{what}: tmpfs must read smaps");
            } else if how == Method::Smaps {
                // PROCMAP_QUERY came in Linux 6.11 (PAGEMAP_SCAN in 6.7): from there the fast path is owed.
                assert!(
                    !at_least(6, 11),
                    "{what}: smaps read on Linux {} (has both ioctls)",
                    crate::probe::kernel_release()
                );
                eprintln!("note: {what}: measured from smaps (Linux older than 6.11)");
            }
        };
        // SAFETY: the file is ours and stays open and unshrunk while the maps live.
        let mut shared = unsafe { memmap2::MmapMut::map_mut(&f) }.expect("map");
        let base = shared.as_ptr() as usize;
        same(base, "untouched");
        shared[0] = 1;
        shared[3 * ps] = 2;
        shared[9 * ps + 5] = 2;
        let _ = std::hint::black_box(shared[6 * ps]);
        same(base + 3 * ps, "three stores and a read");
        shared.flush().expect("msync");
        same(base, "after msync");
        shared[ps] = 3;
        same(base, "a store after msync");
        // SAFETY: as above.
        let mut private = unsafe { memmap2::MmapOptions::new().map_copy(&f) }.expect("cow");
        let pbase = private.as_ptr() as usize;
        let _ = std::hint::black_box(private[ps]);
        private[2 * ps] = 9;
        same(pbase, "a private copy and a read of a dirty page");
        drop(private);
        drop(shared);
        crate::probe::release_file(&path);
    }

    /// The running kernel is at least `major.minor`.
    fn at_least(major: u32, minor: u32) -> bool {
        let release = crate::probe::kernel_release();
        let mut parts = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        have >= (major, minor)
    }

    #[test]
    fn one_vma_agrees_with_smaps_on_the_default_tempdir() {
        let dir = tempfile::tempdir().expect("tempdir");
        agrees_with_smaps(dir.path());
    }

    #[test]
    fn one_vma_agrees_with_smaps_on_tmpfs() {
        let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
            eprintln!("skip: no /dev/shm");
            return;
        };
        agrees_with_smaps(dir.path());
    }
}
