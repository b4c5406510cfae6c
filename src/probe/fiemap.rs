//! Block allocation of a file with the FS_IOC_FIEMAP ioctl: extents, delayed allocation, holes.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use serde::Serialize;

use crate::trace::{Allocation, Measured};

use super::fstype::fs_info;
use super::handles::handle;

/// `_IOWR('f', 11, struct fiemap)`.
const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
/// Last extent of the file.
pub(crate) const FIEMAP_EXTENT_LAST: u32 = 0x1;
/// Location not known yet (set together with DELALLOC).
pub(crate) const FIEMAP_EXTENT_UNKNOWN: u32 = 0x2;
/// Delayed allocation: data in the page cache, no disk block chosen yet.
pub(crate) const FIEMAP_EXTENT_DELALLOC: u32 = 0x4;
/// Allocated on disk but not written yet (reads as zeros), e.g. after fallocate.
#[cfg(test)]
pub(crate) const FIEMAP_EXTENT_UNWRITTEN: u32 = 0x800;

/// Extents fetched per ioctl call: bounds the buffer, the loop makes it O(extents) in total.
const BATCH: usize = 256;

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct FiemapHeader {
    fm_start: u64,
    fm_length: u64,
    fm_flags: u32,
    fm_mapped_extents: u32,
    fm_extent_count: u32,
    fm_reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct FiemapExtent {
    fe_logical: u64,
    fe_physical: u64,
    fe_length: u64,
    fe_reserved64: [u64; 2],
    fe_flags: u32,
    fe_reserved: [u32; 3],
}

/// The header followed by its extent array, as the kernel expects them in one buffer.
#[repr(C)]
struct FiemapBuf {
    header: FiemapHeader,
    extents: [FiemapExtent; BATCH],
}

const _: () = assert!(std::mem::size_of::<FiemapHeader>() == 32);
const _: () = assert!(std::mem::size_of::<FiemapExtent>() == 56);

/// One extent as FIEMAP reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Extent {
    /// Byte offset in the file.
    pub logical: u64,
    /// Byte offset on the device (0 while delayed).
    pub physical: u64,
    /// Length in bytes (whole filesystem blocks).
    pub length: u64,
    /// `FIEMAP_EXTENT_*` bits.
    pub flags: u32,
}

impl Extent {
    /// No disk block chosen yet.
    pub(crate) fn is_delalloc(&self) -> bool {
        self.flags & FIEMAP_EXTENT_DELALLOC != 0
    }
    /// Has a real disk block (neither delayed nor of unknown location).
    pub fn is_allocated(&self) -> bool {
        self.flags & (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN) == 0
    }
}

/// All extents of the file, in file order (FIEMAP without FIEMAP_FLAG_SYNC, so nothing is flushed).
pub fn extents(path: &Path) -> Measured<Vec<Extent>> {
    let h = match handle(path) {
        Ok(h) => h,
        Err(e) => return Measured::unavailable(format!("cannot open {}: {e}", path.display())),
    };
    match fiemap_all(&h.file) {
        Ok(v) => Measured::Value(v),
        Err(e) => Measured::unavailable(explain_error(path, &e)),
    }
}

/// Extent summary of the file (FIEMAP).
///
/// `allocated_bytes` and `delalloc_bytes` are whole extents (filesystem blocks, so a 36-byte file
/// shows 4096); `hole_bytes` counts bytes of the file (up to its size) that no extent covers.
pub fn allocation(path: &Path) -> Measured<Allocation> {
    let size = match std::fs::symlink_metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return Measured::unavailable(format!("cannot stat {}: {e}", path.display())),
    };
    match extents(path) {
        Measured::Value(list) => Measured::Value(summarise(&list, size)),
        Measured::Unavailable { unavailable } => Measured::Unavailable { unavailable },
    }
}

/// Summarise extents of a file of `size` bytes.
pub(crate) fn summarise(list: &[Extent], size: u64) -> Allocation {
    let mut a = Allocation {
        extents: list.len() as u64,
        ..Allocation::default()
    };
    let mut covered = 0u64;
    for e in list {
        if e.is_delalloc() {
            a.delalloc_bytes += e.length;
        } else if e.is_allocated() {
            a.allocated_bytes += e.length;
        }
        let start = e.logical.min(size);
        let end = e.logical.saturating_add(e.length).min(size);
        covered += end - start;
    }
    a.hole_bytes = size.saturating_sub(covered);
    a
}

fn fiemap_all(file: &File) -> io::Result<Vec<Extent>> {
    let mut buf = Box::new(FiemapBuf {
        header: FiemapHeader::default(),
        extents: [FiemapExtent::default(); BATCH],
    });
    let mut out = Vec::new();
    let mut start = 0u64;
    loop {
        buf.header = FiemapHeader {
            fm_start: start,
            fm_length: u64::MAX - start,
            // No FIEMAP_FLAG_SYNC: syncing would write dirty pages back and change what we observe.
            fm_flags: 0,
            fm_mapped_extents: 0,
            fm_extent_count: BATCH as u32,
            fm_reserved: 0,
        };
        let ptr: *mut FiemapBuf = &mut *buf;
        // SAFETY: FS_IOC_FIEMAP reads the header and writes at most fm_extent_count (= BATCH)
        // extents after it; `buf` is a live, writable FiemapBuf with exactly that many extents,
        // laid out as struct fiemap + fiemap_extent[BATCH] (sizes checked at compile time).
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_FIEMAP, ptr) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        let mapped = (buf.header.fm_mapped_extents as usize).min(BATCH);
        if mapped == 0 {
            break;
        }
        let mut last_seen = false;
        let mut next = start;
        for fe in &buf.extents[..mapped] {
            out.push(Extent {
                logical: fe.fe_logical,
                physical: fe.fe_physical,
                length: fe.fe_length,
                flags: fe.fe_flags,
            });
            last_seen |= fe.fe_flags & FIEMAP_EXTENT_LAST != 0;
            next = next.max(fe.fe_logical.saturating_add(fe.fe_length));
        }
        // Stop at the last extent, or if the kernel made no progress (never loop forever).
        if last_seen || next <= start || next == u64::MAX {
            break;
        }
        start = next;
    }
    Ok(out)
}

fn explain_error(path: &Path, e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EOPNOTSUPP) | Some(libc::ENOTTY) => {
            let fs = fs_info(path);
            match fs.value() {
                Some(info) if !info.has_disk => format!(
                    "{} has no block allocation: FIEMAP not supported",
                    info.name
                ),
                Some(info) => format!("{} does not support FIEMAP: {e}", info.name),
                None => format!("FIEMAP not supported here: {e}"),
            }
        }
        _ => format!("FIEMAP failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(logical: u64, length: u64, flags: u32) -> Extent {
        Extent {
            logical,
            physical: if flags & FIEMAP_EXTENT_DELALLOC != 0 {
                0
            } else {
                1 << 20
            },
            length,
            flags,
        }
    }

    #[test]
    fn summary_counts_allocated_delalloc_and_holes() {
        let list = [
            ext(0, 4096, 0),
            ext(8192, 4096, FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN),
            ext(16384, 4096, FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_UNWRITTEN),
        ];
        let a = summarise(&list, 5 * 4096);
        assert_eq!(a.extents, 3);
        assert_eq!(a.allocated_bytes, 8192);
        assert_eq!(a.delalloc_bytes, 4096);
        // 4096..8192 and 12288..16384 are holes.
        assert_eq!(a.hole_bytes, 8192);
        // A block-sized extent of a 36-byte file covers it all: no hole.
        let small = summarise(&[ext(0, 4096, FIEMAP_EXTENT_LAST)], 36);
        assert_eq!(small.hole_bytes, 0);
        assert_eq!(small.allocated_bytes, 4096);
        // An empty extent list of a sized file is all hole.
        assert_eq!(summarise(&[], 10_000).hole_bytes, 10_000);
    }

    #[test]
    fn sparse_file_on_disk_fs_is_all_hole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = fs_info(dir.path());
        if !fs.value().is_some_and(|f| f.has_disk) {
            eprintln!("skip: temp dir is not on a disk filesystem: {fs:?}");
            return;
        }
        let path = dir.path().join("sparse.bin");
        let f = File::create(&path).expect("create");
        f.set_len(1 << 20).expect("set_len");
        drop(f);
        match allocation(&path) {
            Measured::Value(a) => {
                assert_eq!(a.extents, 0, "{a:?}");
                assert_eq!(a.hole_bytes, 1 << 20);
            }
            Measured::Unavailable { unavailable } => {
                eprintln!("skip: FIEMAP unavailable on {fs:?}: {unavailable}")
            }
        }
    }

    #[test]
    fn many_extents_need_several_batches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = fs_info(dir.path());
        if fs.value().map(|f| f.name.as_str()) != Some("ext4") {
            eprintln!("skip: temp dir is not ext4: {fs:?}");
            return;
        }
        use std::os::unix::fs::FileExt;
        let path = dir.path().join("striped.bin");
        let f = File::create(&path).expect("create");
        // One written block every other block: 300 separate extents (> BATCH), then fsync so they
        // are real extents, not one merged delalloc range.
        for i in 0..300u64 {
            f.write_all_at(&[1u8; 4096], i * 8192).expect("write");
        }
        f.sync_all().expect("fsync");
        let list = extents(&path);
        let list = list.value().expect("FIEMAP on ext4");
        assert_eq!(list.len(), 300);
        assert!(list.iter().all(|e| e.is_allocated() && e.length == 4096));
        assert!(list
            .last()
            .is_some_and(|e| e.flags & FIEMAP_EXTENT_LAST != 0));
        let a = allocation(&path);
        let a = a.value().expect("allocation");
        assert_eq!(a.allocated_bytes, 300 * 4096);
        assert_eq!(a.hole_bytes, 299 * 4096);
    }
}
