//! Another process seen from outside through /proc/PID: its mappings (maps), a mapping's memory (smaps),
//! its page faults (stat), which of its pages are present or private copies (pagemap), and their bytes (mem).
//! Nothing here touches the other process's pages: pagemap and mem are read only where a page is present.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use crate::trace::{Faults, MappingState, Measured};

use super::cachestat::page_state_range;
use super::pid_scan::{present_runs, scan_unsupported};
use super::smaps::find_mapping;
use super::system::page_size;

/// Runs of present file pages above which a mapping's dirty count is read from smaps (one cachestat per run
/// would then cost more than smaps' walk).
const MAX_DIRTY_RUNS: usize = 64;

/// One line of /proc/PID/maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcMapping {
    pub start: usize,
    pub end: usize,
    /// `rw-s`, `r--p`, …
    pub perms: String,
    /// File offset of `start`.
    pub offset: u64,
    /// The mapped file (None for anonymous and special mappings such as `[heap]`).
    pub path: Option<PathBuf>,
}

impl ProcMapping {
    /// MAP_SHARED (stores reach the file); false for MAP_PRIVATE (copy-on-write).
    pub fn shared(&self) -> bool {
        self.perms.as_bytes().get(3) == Some(&b's')
    }
    /// File offset of the byte at `addr` (which must lie in the mapping).
    pub fn file_offset(&self, addr: usize) -> u64 {
        self.offset + (addr - self.start) as u64
    }
    /// True when `addr` lies in the mapping.
    pub fn contains(&self, addr: usize) -> bool {
        self.start <= addr && addr < self.end
    }
}

/// Every mapping of process `pid` (/proc/PID/maps; cheap: no page-table walk).
pub fn proc_maps(pid: u32) -> io::Result<Vec<ProcMapping>> {
    let file = File::open(format!("/proc/{pid}/maps"))?;
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        if let Some(m) = parse_maps_line(&line?) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Parse `7f00-7f10 rw-s 00001000 08:01 12 /path/with spaces` (path optional).
pub fn parse_maps_line(line: &str) -> Option<ProcMapping> {
    let mut rest = line;
    let mut field = || {
        let t = rest.trim_start();
        let end = t.find(' ').unwrap_or(t.len());
        let (f, r) = t.split_at(end);
        rest = r;
        f
    };
    let range = field();
    let perms = field().to_string();
    let offset = u64::from_str_radix(field(), 16).ok()?;
    let _dev = field();
    let inode = field();
    let (a, b) = range.split_once('-')?;
    let start = usize::from_str_radix(a, 16).ok()?;
    let end = usize::from_str_radix(b, 16).ok()?;
    let name = rest.trim_start();
    let path = (inode != "0" && name.starts_with('/') && !name.ends_with(" (deleted)"))
        .then(|| PathBuf::from(name));
    Some(ProcMapping {
        start,
        end,
        perms,
        offset,
        path,
    })
}

/// Memory of the mapping of process `pid` that contains `addr` (/proc/PID/smaps).
pub fn proc_mapping_state(pid: u32, addr: usize) -> Measured<MappingState> {
    let path = format!("/proc/{pid}/smaps");
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => return Measured::unavailable(format!("cannot read {path}: {e}")),
    };
    match find_mapping(BufReader::new(file), addr) {
        Ok(Some(m)) => Measured::Value(m),
        Ok(None) => {
            Measured::unavailable(format!("no mapping of process {pid} contains 0x{addr:x}"))
        }
        Err(e) => Measured::unavailable(format!("cannot read {path}: {e}")),
    }
}

/// Memory of the VMA `vma` of process `pid` without reading smaps (which walks every VMA of the process).
///
/// Resident and anonymous pages come from PAGEMAP_SCAN over the VMA alone. Dirty pages are the private
/// copies (anonymous pages, written by construction) plus, for the file's present pages, the page cache's
/// dirty count over exactly those pages (cachestat): on a filesystem with writeback accounting a store
/// through a shared mapping dirties the page-cache page in the fault that makes the page writable, and
/// writeback clears the page's dirty bits in the page table with it, so both say the same as smaps' dirty.
/// Where that does not hold (`writeback_accounted` false, e.g. tmpfs, where the hardware dirty bit is
/// the only record), with no PAGEMAP_SCAN, or for a mapping scattered over many runs, smaps is read.
pub fn mapping_memory(
    pid: u32,
    pages: &ProcessPages,
    vma: &ProcMapping,
    writeback_accounted: bool,
) -> Measured<MappingState> {
    let smaps = || proc_mapping_state(pid, vma.start);
    let (Some(path), true) = (&vma.path, writeback_accounted) else {
        return smaps();
    };
    let pagemap = match &pages.pagemap {
        Ok(f) => f,
        Err(_) => return smaps(),
    };
    let runs = match present_runs(pagemap, vma.start, vma.end) {
        Ok(r) => r,
        Err(e) if scan_unsupported(&e) => return smaps(),
        Err(e) => {
            return Measured::unavailable(format!("PAGEMAP_SCAN of process {pid} failed: {e}"))
        }
    };
    let file_runs: Vec<_> = runs.iter().filter(|r| r.present && r.file).collect();
    if file_runs.len() > MAX_DIRTY_RUNS {
        return smaps();
    }
    let kb = |start: usize, end: usize| ((end - start) / 1024) as u64;
    let mut state = MappingState::default();
    for r in runs.iter().filter(|r| r.present) {
        state.rss_kb += kb(r.start, r.end);
        if !r.file {
            state.anonymous_kb += kb(r.start, r.end);
            state.dirty_kb += kb(r.start, r.end);
        }
    }
    let page_kb = (pages.page / 1024) as u64;
    for r in file_runs {
        match page_state_range(path, vma.file_offset(r.start), (r.end - r.start) as u64) {
            Measured::Value(s) => state.dirty_kb += s.dirty * page_kb,
            Measured::Unavailable { .. } => return smaps(),
        }
    }
    Measured::Value(state)
}

/// Page faults of process `pid` so far (/proc/PID/stat fields minflt and majflt).
pub fn proc_faults(pid: u32) -> Measured<Faults> {
    let path = format!("/proc/{pid}/stat");
    match std::fs::read_to_string(&path) {
        Ok(text) => match parse_stat_faults(&text) {
            Some(f) => Measured::Value(f),
            None => Measured::unavailable(format!("{path} has no fault counters")),
        },
        Err(e) => Measured::unavailable(format!("cannot read {path}: {e}")),
    }
}

/// /proc/PID/stat kept open: each [`faults`](Self::faults) is one pread (procfs regenerates the text at
/// offset 0), not an open, an fstat, several reads and a close.
pub struct ProcStat {
    path: String,
    file: io::Result<File>,
    buf: Vec<u8>,
}

impl ProcStat {
    /// Open /proc/PID/stat (an error is kept and reported per read).
    pub fn open(pid: u32) -> ProcStat {
        let path = format!("/proc/{pid}/stat");
        ProcStat {
            file: File::open(&path),
            path,
            buf: vec![0; 4096],
        }
    }

    /// Page faults of the process so far.
    pub fn faults(&mut self) -> Measured<Faults> {
        let file = match &self.file {
            Ok(f) => f,
            Err(e) => return Measured::unavailable(format!("cannot read {}: {e}", self.path)),
        };
        let n = loop {
            match file.read_at(&mut self.buf, 0) {
                Ok(n) if n < self.buf.len() => break n,
                // The line filled the buffer (it is ~300 bytes): read again with room to spare.
                Ok(_) => self.buf.resize(self.buf.len() * 2, 0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Measured::unavailable(format!("cannot read {}: {e}", self.path)),
            }
        };
        match std::str::from_utf8(&self.buf[..n])
            .ok()
            .and_then(parse_stat_faults)
        {
            Some(f) => Measured::Value(f),
            None => Measured::unavailable(format!("{} has no fault counters", self.path)),
        }
    }
}

/// Minor and major faults from the text of /proc/PID/stat (the command name may hold spaces and parens).
pub fn parse_stat_faults(text: &str) -> Option<Faults> {
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Field 3 (state) is fields[0]; minflt is field 10, majflt field 12.
    Some(Faults {
        minor: fields.get(7)?.parse().ok()?,
        major: fields.get(9)?.parse().ok()?,
    })
}

/// What the other process's page table says about one of its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PidPage {
    /// In RAM and mapped: reading it through /proc/PID/mem faults nothing.
    pub present: bool,
    /// Swapped out.
    pub swapped: bool,
    /// A page of a file (clear for a private anonymous copy).
    pub file: bool,
}

impl PidPage {
    /// A private copy-on-write copy: its bytes exist only in the process, not in the file.
    pub fn private_copy(&self) -> bool {
        (self.present && !self.file) || self.swapped
    }
}

/// Pages of another process: its pagemap entries (cached per step) and its memory, read only where present.
pub struct ProcessPages {
    pid: u32,
    pagemap: io::Result<File>,
    mem: io::Result<File>,
    page: usize,
    entries: HashMap<usize, PidPage>,
}

const PM_PRESENT: u64 = 1 << 63;
const PM_SWAPPED: u64 = 1 << 62;
const PM_FILE: u64 = 1 << 61;

impl ProcessPages {
    /// Open /proc/PID/pagemap and /proc/PID/mem (errors are kept and reported per read).
    pub fn open(pid: u32) -> ProcessPages {
        ProcessPages {
            pid,
            pagemap: File::open(format!("/proc/{pid}/pagemap")),
            mem: File::open(format!("/proc/{pid}/mem")),
            page: page_size().max(1) as usize,
            entries: HashMap::new(),
        }
    }

    /// The process whose pages these are.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Forget cached entries (the process ran again).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Pages whose entries were looked up since [`clear`](Self::clear) that were not present then and are
    /// present now: what reading the process for display added to its resident memory (0 unless a read
    /// faulted a page in, which the reads are built never to do).
    pub fn newly_present(&self) -> io::Result<u64> {
        let f = self.pagemap.as_ref().map_err(clone_err)?;
        let mut added = 0;
        for (&index, e) in &self.entries {
            if e.present {
                continue;
            }
            let mut raw = [0u8; 8];
            f.read_exact_at(&mut raw, index as u64 * 8)?;
            if u64::from_ne_bytes(raw) & PM_PRESENT != 0 {
                added += 1;
            }
        }
        Ok(added)
    }

    /// The page size these entries are counted in.
    pub fn page_bytes(&self) -> usize {
        self.page
    }

    /// The page-table entry of the page containing `addr`.
    pub fn page(&mut self, addr: usize) -> io::Result<PidPage> {
        let index = addr / self.page;
        if let Some(e) = self.entries.get(&index) {
            return Ok(*e);
        }
        let f = self.pagemap.as_ref().map_err(clone_err)?;
        let mut raw = [0u8; 8];
        f.read_exact_at(&mut raw, index as u64 * 8)?;
        let v = u64::from_ne_bytes(raw);
        let e = PidPage {
            present: v & PM_PRESENT != 0,
            swapped: v & PM_SWAPPED != 0,
            file: v & PM_FILE != 0,
        };
        self.entries.insert(index, e);
        Ok(e)
    }

    /// Read `len` bytes of the process's memory at `addr`, which the caller checked is present.
    pub fn read_present(&mut self, addr: usize, len: usize) -> io::Result<Vec<u8>> {
        let e = self.page(addr)?;
        if !e.present {
            return Err(io::Error::other(format!(
                "page at 0x{addr:x} of process {} is not present; reading it would fault it in",
                self.pid
            )));
        }
        let f = self.mem.as_ref().map_err(clone_err)?;
        let mut buf = vec![0u8; len];
        f.read_exact_at(&mut buf, addr as u64)?;
        Ok(buf)
    }
}

fn clone_err(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_parse_with_and_without_paths() {
        let m =
            parse_maps_line("7f0000000000-7f0000002000 rw-s 00003000 08:01 456 /tmp/my data.bin")
                .expect("parses");
        assert_eq!(
            (m.start, m.end, m.offset),
            (0x7f00_0000_0000, 0x7f00_0000_2000, 0x3000)
        );
        assert!(m.shared());
        assert_eq!(m.path, Some(PathBuf::from("/tmp/my data.bin")));
        assert_eq!(m.file_offset(0x7f00_0000_0010), 0x3010);
        let anon =
            parse_maps_line("7f0000002000-7f0000003000 rw-p 00000000 00:00 0").expect("anon");
        assert!(!anon.shared() && anon.path.is_none());
        let heap = parse_maps_line("55d0-55e0 rw-p 00000000 00:00 0    [heap]").expect("heap");
        assert!(heap.path.is_none());
        assert!(parse_maps_line("garbage").is_none());
    }

    #[test]
    fn stat_fault_fields() {
        let text = "123 (python3 (x) y) S 1 123 123 0 -1 4194560 1500 0 7 0 1 2 0 0 20 0 1 0";
        assert_eq!(
            parse_stat_faults(text),
            Some(Faults {
                minor: 1500,
                major: 7
            })
        );
        assert!(parse_stat_faults("no parens").is_none());
    }

    #[test]
    fn own_process_pages_and_faults() {
        let pid = std::process::id();
        let mut map = memmap2::MmapMut::map_anon(2 * page_size() as usize).expect("anon");
        map[0] = 5;
        let base = map.as_ptr() as usize;
        let mut pages = ProcessPages::open(pid);
        let touched = pages.page(base).expect("pagemap");
        assert!(touched.present && touched.private_copy(), "{touched:?}");
        let untouched = pages.page(base + page_size() as usize).expect("pagemap");
        assert!(!untouched.present);
        assert_eq!(pages.read_present(base, 1).expect("mem"), vec![5]);
        assert!(pages.read_present(base + page_size() as usize, 1).is_err());
        assert!(proc_faults(pid).value().is_some());
        let mut stat = ProcStat::open(pid);
        let first = *stat.faults().value().expect("faults");
        let ps = page_size() as usize;
        let mut fresh = memmap2::MmapMut::map_anon(64 * ps).expect("anon");
        for i in 0..64 {
            fresh[i * ps] = 1; // a first touch of each page is a fault
        }
        let _ = std::hint::black_box(&fresh);
        let again = *stat.faults().value().expect("faults again");
        assert!(again.minor > first.minor, "{first:?} then {again:?}");
        assert!(ProcStat::open(u32::MAX).faults().why().is_some());
        let maps = proc_maps(pid).expect("maps");
        assert!(maps.iter().any(|m| m.contains(base)));
        assert!(proc_mapping_state(pid, base)
            .value()
            .is_some_and(|s| s.rss_kb >= 4));
    }

    /// The fast per-VMA count agrees with smaps for shared stores, after msync, and for private copies.
    #[test]
    fn mapping_memory_agrees_with_smaps() {
        let ps = page_size() as usize;
        let dir = tempfile::tempdir().expect("tempdir");
        let accounted = crate::probe::fs_info(dir.path())
            .value()
            .is_some_and(|f| f.has_disk);
        let path = dir.path().join("m.bin");
        std::fs::write(&path, vec![0u8; 8 * ps]).expect("write");
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        let pid = std::process::id();
        let pages = ProcessPages::open(pid);
        let vma_of = |addr: usize| {
            proc_maps(pid)
                .expect("maps")
                .into_iter()
                .find(|m| m.contains(addr))
                .expect("vma")
        };
        let same = |addr: usize, what: &str| {
            let fast = mapping_memory(pid, &pages, &vma_of(addr), accounted);
            let slow = proc_mapping_state(pid, addr);
            assert_eq!(
                fast.value(),
                slow.value(),
                "{what}: {fast:?} vs smaps {slow:?}"
            );
        };
        // SAFETY: the file is ours and stays open and unshrunk while the maps live.
        let mut shared = unsafe { memmap2::MmapMut::map_mut(&f) }.expect("map");
        let base = shared.as_ptr() as usize;
        same(base, "untouched");
        shared[0] = 1;
        shared[3 * ps] = 2;
        let _ = std::hint::black_box(shared[6 * ps]);
        same(base, "two stores and a read");
        shared.flush().expect("msync");
        same(base, "after msync");
        shared[ps] = 3;
        same(base, "a store after msync");
        // SAFETY: as above.
        let mut private = unsafe { memmap2::MmapOptions::new().map_copy(&f) }.expect("cow");
        let pbase = private.as_ptr() as usize;
        let _ = std::hint::black_box(private[0]);
        private[2 * ps] = 9;
        same(pbase, "a private copy and a read");
    }
}
