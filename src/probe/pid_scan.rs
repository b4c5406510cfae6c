//! Cheap looks at another process, one mapping at a time: PROCMAP_QUERY (Linux ≥ 6.11) finds the VMA holding an
//! address without formatting all of /proc/PID/maps, and PAGEMAP_SCAN (Linux ≥ 6.7) lists a VMA's present pages
//! as runs without reading /proc/PID/smaps (which walks every VMA of the process: ~4 ms for a Python process).
//! Where the kernel lacks an ioctl, the text files are read instead (same answers, slower).

use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use linux_raw_sys::general::{
    page_region, pm_scan_arg, procmap_query, procmap_query_flags, PAGE_IS_FILE, PAGE_IS_PRESENT,
    PAGE_IS_SWAPPED, PROCFS_IOCTL_MAGIC,
};

use super::proc_pid::{parse_maps_line, ProcMapping};

/// `_IOWR(PROCFS_IOCTL_MAGIC, nr, size)` as the kernel's uapi header computes it.
const fn iowr(nr: u64, size: usize) -> u64 {
    (3 << 30) | ((size as u64) << 16) | ((PROCFS_IOCTL_MAGIC as u64) << 8) | nr
}
const PAGEMAP_SCAN: u64 = iowr(16, std::mem::size_of::<pm_scan_arg>());
const PROCMAP_QUERY: u64 = iowr(17, std::mem::size_of::<procmap_query>());
/// Longest path PROCMAP_QUERY copies out (PATH_MAX).
const NAME_MAX: usize = 4096;
/// Runs fetched per PAGEMAP_SCAN call.
const RUNS_PER_CALL: usize = 256;

/// The VMAs of process `pid`, looked up one at a time through an open /proc/PID/maps.
pub struct VmaQuery {
    maps: io::Result<File>,
    /// False once the kernel answered ENOTTY/EINVAL (no PROCMAP_QUERY): then the text is parsed, once per step.
    ioctl: bool,
    /// The parsed text of /proc/PID/maps for this step (fallback only).
    text: Option<Vec<ProcMapping>>,
    /// This step's MAP_SHARED file mappings (complete, in address order): lookups inside them need no ioctl.
    shared: Option<Vec<ProcMapping>>,
    name: Vec<u8>,
}

impl VmaQuery {
    /// Open /proc/PID/maps (an error is kept and reported per lookup).
    pub fn open(pid: u32) -> VmaQuery {
        VmaQuery {
            maps: File::open(format!("/proc/{pid}/maps")),
            ioctl: true,
            text: None,
            shared: None,
            name: vec![0; NAME_MAX],
        }
    }

    /// Forget what this step looked up (the process ran again).
    pub fn new_step(&mut self) {
        self.text = None;
        self.shared = None;
    }

    /// How the lookups are made, for the trace's notes.
    pub fn method(&self) -> &'static str {
        if self.ioctl {
            "PROCMAP_QUERY on /proc/PID/maps"
        } else {
            "/proc/PID/maps text (this kernel has no PROCMAP_QUERY)"
        }
    }

    /// The VMA containing `addr`, if any.
    pub fn at(&mut self, addr: usize) -> io::Result<Option<ProcMapping>> {
        // Mapped arrays live mostly in shared file mappings, which every step lists anyway.
        if let Some(m) = self.shared.iter().flatten().find(|m| m.contains(addr)) {
            return Ok(Some(m.clone()));
        }
        if self.ioctl {
            match self.query(addr, 0) {
                Err(e) if no_ioctl(&e) => self.ioctl = false,
                other => return other,
            }
        }
        Ok(self.parsed()?.iter().find(|m| m.contains(addr)).cloned())
    }

    /// Every MAP_SHARED mapping of a file (where stores reach a file), in address order (asked once per step).
    pub fn shared_files(&mut self) -> io::Result<Vec<ProcMapping>> {
        if let Some(list) = &self.shared {
            return Ok(list.clone());
        }
        let list = self.list_shared_files()?;
        self.shared = Some(list.clone());
        Ok(list)
    }

    fn list_shared_files(&mut self) -> io::Result<Vec<ProcMapping>> {
        if self.ioctl {
            let flags = procmap_query_flags::PROCMAP_QUERY_COVERING_OR_NEXT_VMA as u64
                | procmap_query_flags::PROCMAP_QUERY_FILE_BACKED_VMA as u64
                | procmap_query_flags::PROCMAP_QUERY_VMA_SHARED as u64;
            let mut out = Vec::new();
            let mut addr = 0usize;
            loop {
                match self.query(addr, flags) {
                    Ok(Some(m)) => {
                        addr = m.end;
                        if m.path.is_some() {
                            out.push(m);
                        }
                    }
                    Ok(None) => return Ok(out),
                    Err(e) if no_ioctl(&e) && out.is_empty() => {
                        self.ioctl = false;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self
            .parsed()?
            .iter()
            .filter(|m| m.shared() && m.path.is_some())
            .cloned()
            .collect())
    }

    fn parsed(&mut self) -> io::Result<&Vec<ProcMapping>> {
        if self.text.is_none() {
            let f = self
                .maps
                .as_mut()
                .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
            f.rewind()?;
            let mut text = String::new();
            f.read_to_string(&mut text)?;
            self.text = Some(text.lines().filter_map(parse_maps_line).collect());
        }
        Ok(self.text.get_or_insert_with(Vec::new))
    }

    /// Every file-backed VMA mapping the file `(dev, ino)`, as (start, end), found by PROCMAP_QUERY (one
    /// ioctl per file-backed VMA; no page table is walked); None where the kernel has no PROCMAP_QUERY.
    pub fn of_inode(&mut self, (dev, ino): (u64, u64)) -> io::Result<Option<Vec<(usize, usize)>>> {
        if !self.ioctl {
            return Ok(None);
        }
        let flags = procmap_query_flags::PROCMAP_QUERY_COVERING_OR_NEXT_VMA as u64
            | procmap_query_flags::PROCMAP_QUERY_FILE_BACKED_VMA as u64;
        let mut out = Vec::new();
        let mut addr = 0usize;
        loop {
            match self.query_raw(addr, flags) {
                Ok(Some(q)) => {
                    addr = q.vma_end as usize;
                    let same_dev = u64::from(q.dev_major) == u64::from(libc::major(dev))
                        && u64::from(q.dev_minor) == u64::from(libc::minor(dev));
                    if same_dev && q.inode == ino {
                        out.push((q.vma_start as usize, q.vma_end as usize));
                    }
                }
                Ok(None) => return Ok(Some(out)),
                Err(e) if no_ioctl(&e) && out.is_empty() => {
                    self.ioctl = false;
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One PROCMAP_QUERY, the kernel's answer as it is (name copied into `self.name`).
    fn query_raw(&mut self, addr: usize, flags: u64) -> io::Result<Option<procmap_query>> {
        let f = self
            .maps
            .as_ref()
            .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
        // SAFETY: procmap_query is plain integers; all-zero is a valid value.
        let mut q: procmap_query = unsafe { std::mem::zeroed() };
        q.size = std::mem::size_of::<procmap_query>() as u64;
        q.query_flags = flags;
        q.query_addr = addr as u64;
        q.vma_name_size = self.name.len() as u32;
        q.vma_name_addr = self.name.as_mut_ptr() as u64;
        // SAFETY: ioctl(PROCMAP_QUERY) on an open /proc/PID/maps fd with a valid struct whose size field is
        // set; the kernel writes at most `vma_name_size` bytes to the buffer, which lives for the call.
        let rc = unsafe { libc::ioctl(f.as_raw_fd(), PROCMAP_QUERY as _, &mut q as *mut _) };
        if rc != 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOENT) => Ok(None),
                _ => Err(e),
            };
        }
        Ok(Some(q))
    }

    /// One PROCMAP_QUERY: the VMA covering `addr` (or the next one, with COVERING_OR_NEXT).
    fn query(&mut self, addr: usize, flags: u64) -> io::Result<Option<ProcMapping>> {
        let Some(q) = self.query_raw(addr, flags)? else {
            return Ok(None);
        };
        let name = &self.name[..(q.vma_name_size as usize)
            .saturating_sub(1)
            .min(self.name.len())];
        let deleted = name.ends_with(b" (deleted)");
        let path = (q.inode != 0 && name.first() == Some(&b'/') && !deleted)
            .then(|| PathBuf::from(std::ffi::OsStr::from_bytes(name)));
        let bit = |b: procmap_query_flags, c: char| {
            if q.vma_flags & b as u64 != 0 {
                c
            } else {
                '-'
            }
        };
        let perms: String = [
            bit(procmap_query_flags::PROCMAP_QUERY_VMA_READABLE, 'r'),
            bit(procmap_query_flags::PROCMAP_QUERY_VMA_WRITABLE, 'w'),
            bit(procmap_query_flags::PROCMAP_QUERY_VMA_EXECUTABLE, 'x'),
            if q.vma_flags & procmap_query_flags::PROCMAP_QUERY_VMA_SHARED as u64 != 0 {
                's'
            } else {
                'p'
            },
        ]
        .into_iter()
        .collect();
        Ok(Some(ProcMapping {
            start: q.vma_start as usize,
            end: q.vma_end as usize,
            perms,
            offset: q.vma_offset,
            path,
        }))
    }
}

/// The kernel does not know the ioctl (older than the feature) or the file does not support it.
fn no_ioctl(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOTTY) | Some(libc::EINVAL))
}

/// A run of pages of one VMA that are present (or swapped out), from PAGEMAP_SCAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRun {
    pub start: usize,
    pub end: usize,
    pub present: bool,
    pub swapped: bool,
    /// Pages of a file (clear for anonymous pages: private copy-on-write copies).
    pub file: bool,
}

/// The present and swapped pages of `[start, end)` in the process whose /proc/PID/pagemap is `pagemap`, as runs;
/// the walk visits populated page tables only, so its cost does not grow with the size of the mapping.
pub fn present_runs(pagemap: &File, start: usize, end: usize) -> io::Result<Vec<PageRun>> {
    let mut out = Vec::new();
    let mut regions: Vec<page_region> = vec![
        page_region {
            start: 0,
            end: 0,
            categories: 0,
        };
        RUNS_PER_CALL
    ];
    let mut from = start as u64;
    while from < end as u64 {
        // SAFETY: pm_scan_arg is plain integers; all-zero is a valid value.
        let mut arg: pm_scan_arg = unsafe { std::mem::zeroed() };
        arg.size = std::mem::size_of::<pm_scan_arg>() as u64;
        arg.start = from;
        arg.end = end as u64;
        arg.vec = regions.as_mut_ptr() as u64;
        arg.vec_len = regions.len() as u64;
        arg.category_anyof_mask = (PAGE_IS_PRESENT | PAGE_IS_SWAPPED) as u64;
        arg.return_mask = (PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE) as u64;
        // SAFETY: ioctl(PAGEMAP_SCAN) on an open /proc/PID/pagemap fd with a valid pm_scan_arg whose `vec`
        // points to `vec_len` writable page_region structs that live for the call; flags 0 (no write-protect).
        let rc = unsafe { libc::ioctl(pagemap.as_raw_fd(), PAGEMAP_SCAN as _, &mut arg as *mut _) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        for r in &regions[..rc as usize] {
            let c = r.categories as u32;
            out.push(PageRun {
                start: r.start as usize,
                end: r.end as usize,
                present: c & PAGE_IS_PRESENT != 0,
                swapped: c & PAGE_IS_SWAPPED != 0,
                file: c & PAGE_IS_FILE != 0,
            });
        }
        if arg.walk_end <= from {
            break;
        }
        from = arg.walk_end;
    }
    Ok(out)
}

/// True when the error means the kernel has no PAGEMAP_SCAN (the caller falls back to smaps).
pub fn scan_unsupported(e: &io::Error) -> bool {
    no_ioctl(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::page_size;

    #[test]
    fn own_vmas_and_present_runs() {
        let ps = page_size() as usize;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v.bin");
        std::fs::write(&path, vec![0u8; 4 * ps]).expect("write");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        // SAFETY: the file is ours and stays open and unshrunk while the map lives.
        let mut map = unsafe { memmap2::MmapMut::map_mut(&f) }.expect("map");
        map[0] = 1;
        map[2 * ps] = 1;
        let base = map.as_ptr() as usize;
        let mut q = VmaQuery::open(std::process::id());
        let vma = q.at(base).expect("query").expect("found");
        assert_eq!((vma.start, vma.end, vma.offset), (base, base + 4 * ps, 0));
        assert!(vma.shared() && vma.perms.starts_with("rw"), "{vma:?}");
        assert_eq!(
            vma.path.as_deref(),
            Some(path.canonicalize().expect("canon").as_path())
        );
        let shared = q.shared_files().expect("shared");
        assert!(shared.iter().any(|m| m.start == base), "{shared:?}");
        let pagemap = File::open("/proc/self/pagemap").expect("pagemap");
        match present_runs(&pagemap, vma.start, vma.end) {
            Ok(runs) => {
                let pages: usize = runs
                    .iter()
                    .filter(|r| r.present)
                    .map(|r| (r.end - r.start) / ps)
                    .sum();
                // Fault-around may map neighbours; the two stores are present for sure.
                assert!(pages >= 2 && runs.iter().all(|r| r.file), "{runs:?}");
            }
            Err(e) if scan_unsupported(&e) => eprintln!("skip: no PAGEMAP_SCAN here ({e})"),
            Err(e) => panic!("PAGEMAP_SCAN failed: {e}"),
        }
        drop(map);
        // The listing is per step: the same step still answers from it; the next one looks again.
        assert_eq!(q.at(base).expect("query").map(|m| m.start), Some(base));
        q.new_step();
        assert!(q
            .at(base)
            .expect("query")
            .is_none_or(|m| m.start != base || m.path.as_deref() != Some(path.as_path())));
    }
}
