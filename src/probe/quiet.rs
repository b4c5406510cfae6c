//! Reads a file's bytes for display without changing what the probes measure: no page enters the page cache.
//!
//! Per page: cachestat(2) first. A cached page is read with a buffered pread (that changes nothing for a page
//! already there); a page that is not cached is read with O_DIRECT, which goes around the page cache (and a page
//! that is not cached cannot be dirty, so O_DIRECT has nothing to write back first). Where O_DIRECT is refused
//! the read falls back to a buffered pread on an fd with POSIX_FADV_RANDOM (exactly that page, no read-ahead)
//! and counts the page as the tutor's own footprint, so the caller can report it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::trace::Measured;

use super::cachestat::page_state_range;
use super::handles::{direct_handle, handle};
use super::system::page_size;
use super::work::count_pread;

/// Pages kept after an O_DIRECT read, so printing several elements of one page reads it once.
const KEPT_PAGES: usize = 64;

/// A file read for display only (see the module docs).
pub struct QuietFile {
    path: PathBuf,
    file: Arc<File>,
    page: u64,
    /// Page index -> cached when first asked (cachestat), so one page costs one cachestat.
    cached: RefCell<HashMap<u64, bool>>,
    /// Page index -> its bytes, read with O_DIRECT (clipped at EOF).
    direct_pages: RefCell<HashMap<u64, Arc<Vec<u8>>>>,
    /// Page index -> its bytes, read through the page cache where the page was cached (clipped at EOF): the
    /// elements a view shows from one page cost one pread, not one each.
    buffered_pages: RefCell<HashMap<u64, Arc<Vec<u8>>>>,
    /// Pages that were not cached and had to be read through the page cache (no O_DIRECT here).
    footprint: Cell<u64>,
    /// Why the footprint is not zero, or why cachedness could not be told.
    why: RefCell<Option<String>>,
}

impl QuietFile {
    /// Prepare to read `path` (opens, or reuses, the probes' long-lived fd).
    pub fn open(path: &Path) -> io::Result<QuietFile> {
        let h = handle(path)?;
        Ok(QuietFile {
            path: path.to_path_buf(),
            file: h.file,
            page: page_size().max(1),
            cached: RefCell::new(HashMap::new()),
            direct_pages: RefCell::new(HashMap::new()),
            buffered_pages: RefCell::new(HashMap::new()),
            footprint: Cell::new(0),
            why: RefCell::new(None),
        })
    }

    /// Size of the file now (fstat).
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Pages this reader brought into the page cache itself (0 unless O_DIRECT was refused).
    pub fn footprint(&self) -> u64 {
        self.footprint.get()
    }

    /// Why the reader could not stay out of the page cache, if it could not.
    pub fn footprint_why(&self) -> Option<String> {
        self.why.borrow().clone()
    }

    /// Read up to `len` bytes at `offset` (shorter at EOF), page by page as the module docs say.
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len);
        let end = offset.saturating_add(len as u64);
        let mut pos = offset;
        while pos < end {
            let index = pos / self.page;
            let page_end = (index + 1) * self.page;
            let want = (end.min(page_end) - pos) as usize;
            let from = (pos - index * self.page) as usize;
            let got = if self.is_cached(index) {
                let bytes = self.buffered_page(index)?;
                bytes
                    .get(from..(from + want).min(bytes.len()))
                    .unwrap_or_default()
                    .to_vec()
            } else {
                match self.direct_page(index) {
                    Ok(bytes) => bytes
                        .get(from..(from + want).min(bytes.len()))
                        .unwrap_or_default()
                        .to_vec(),
                    Err(e) => {
                        self.note(format!(
                            "O_DIRECT read of {} refused ({e}); pages read through the page cache instead",
                            self.path.display()
                        ));
                        if self.cached.borrow_mut().insert(index, true) != Some(true) {
                            self.footprint.set(self.footprint.get() + 1);
                        }
                        self.buffered(pos, want)?
                    }
                }
            };
            let short = got.len() < want;
            out.extend_from_slice(&got);
            if short {
                break;
            }
            pos += want as u64;
        }
        Ok(out)
    }

    fn note(&self, why: String) {
        let mut slot = self.why.borrow_mut();
        if slot.is_none() {
            *slot = Some(why);
        }
    }

    /// Whether page `index` is in the page cache (asked once per page).
    fn is_cached(&self, index: u64) -> bool {
        if let Some(&c) = self.cached.borrow().get(&index) {
            return c;
        }
        let c = match page_state_range(&self.path, index * self.page, self.page) {
            Measured::Value(s) => s.cached > 0,
            Measured::Unavailable { unavailable } => {
                // Unknown: treat as cached (a buffered read never forces writeback), and say so.
                self.note(format!(
                    "cannot tell which pages are cached ({unavailable}); display reads may have cached pages"
                ));
                true
            }
        };
        self.cached.borrow_mut().insert(index, c);
        c
    }

    /// pread through the page cache until `len` bytes or EOF.
    fn buffered(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        read_full(&self.file, offset, len)
    }

    /// The whole cached page `index`, read through the page cache once per reader.
    fn buffered_page(&self, index: u64) -> io::Result<Arc<Vec<u8>>> {
        if let Some(p) = self.buffered_pages.borrow().get(&index) {
            return Ok(p.clone());
        }
        let bytes = Arc::new(self.buffered(index * self.page, self.page as usize)?);
        let mut kept = self.buffered_pages.borrow_mut();
        if kept.len() >= KEPT_PAGES {
            kept.clear();
        }
        kept.insert(index, bytes.clone());
        Ok(bytes)
    }

    /// The whole page `index` read with O_DIRECT into a page-aligned buffer.
    fn direct_page(&self, index: u64) -> io::Result<Arc<Vec<u8>>> {
        if let Some(p) = self.direct_pages.borrow().get(&index) {
            return Ok(p.clone());
        }
        let direct = direct_handle(&self.path)?;
        // O_DIRECT needs an aligned buffer: an anonymous mapping is page aligned.
        let mut buf = memmap2::MmapMut::map_anon(self.page as usize)?;
        let mut done = 0usize;
        while done < buf.len() {
            // Offsets stay page aligned: the kernel returns whole blocks until EOF.
            match direct.read_at(&mut buf[done..], index * self.page + done as u64) {
                Ok(0) => break,
                Ok(n) => {
                    count_pread(n);
                    done += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let bytes = Arc::new(buf[..done].to_vec());
        let mut kept = self.direct_pages.borrow_mut();
        if kept.len() >= KEPT_PAGES {
            kept.clear();
        }
        kept.insert(index, bytes.clone());
        Ok(bytes)
    }
}

/// pread on an open file until `len` bytes or EOF (pread may return less than asked).
pub(crate) fn read_full(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut done = 0usize;
    while done < len {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => {
                count_pread(0);
                break;
            }
            Ok(n) => {
                count_pread(n);
                done += n
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    buf.truncate(done);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(path: &Path) -> Option<u64> {
        super::super::cachestat::page_state(path)
            .value()
            .map(|s| s.cached)
    }

    /// A sparse file with data in its last page only, as NumPy's `w+` leaves it.
    fn sparse(dir: &Path, pages: u64) -> PathBuf {
        let path = dir.join("sparse.bin");
        let f = File::create(&path).expect("create");
        let ps = page_size();
        f.write_all_at(&[7u8; 8], pages * ps - 8).expect("write");
        // Keep the probes' fd open before the create's fd closes (see handles).
        let _ = handle(&path);
        drop(f);
        path
    }

    fn reads_leave_the_page_cache_alone(dir: &Path) {
        let path = sparse(dir, 4);
        let Some(before) = cached(&path) else {
            eprintln!("skip: cachestat unavailable");
            return;
        };
        let q = QuietFile::open(&path).expect("open");
        let ps = page_size() as usize;
        // Across a page boundary, into the holes and the cached last page.
        let bytes = q.read_at(ps as u64 - 4, 8).expect("read");
        assert_eq!(bytes, vec![0u8; 8]);
        let tail = q.read_at(4 * ps as u64 - 10, 20).expect("read");
        assert_eq!(tail, vec![0, 0, 7, 7, 7, 7, 7, 7, 7, 7], "short at EOF");
        assert_eq!(q.read_at(2 * ps as u64, 4).expect("read"), vec![0; 4]);
        assert_eq!(cached(&path), Some(before), "{:?}", q.footprint_why());
        assert_eq!(q.footprint(), 0, "{:?}", q.footprint_why());
        super::super::handles::release_file(&path);
    }

    #[test]
    fn quiet_reads_add_no_page_on_the_default_tempdir() {
        let dir = tempfile::tempdir().expect("tempdir");
        reads_leave_the_page_cache_alone(dir.path());
    }

    #[test]
    fn quiet_reads_add_no_page_on_tmpfs() {
        let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
            eprintln!("skip: no /dev/shm");
            return;
        };
        reads_leave_the_page_cache_alone(dir.path());
    }

    #[test]
    fn a_buffered_read_would_have_cached_the_hole() {
        // The control: the same read through the page cache does add a page on a disk filesystem,
        // so the test above can fail.
        let dir = tempfile::tempdir().expect("tempdir");
        if !super::super::fs_info(dir.path())
            .value()
            .is_some_and(|f| f.has_disk)
        {
            eprintln!("skip: the temp dir has no disk behind it");
            return;
        }
        let path = sparse(dir.path(), 4);
        let Some(before) = cached(&path) else { return };
        let f = File::open(&path).expect("open");
        let _ = read_full(&f, 0, 8).expect("read");
        assert!(cached(&path).is_some_and(|c| c > before));
        // Keep `f` open until here; closing it is harmless for a file that was never truncated.
        drop(f);
        super::super::handles::release_file(&path);
    }
}
