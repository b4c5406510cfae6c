//! Probes on real files: the np.memmap lifecycle as the kernel sees it (ext4), and tmpfs honesty.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use memmap_tutor::numpy::dtype::{DType, Scalar};
use memmap_tutor::numpy::print::ElementSource;
use memmap_tutor::probe::{
    allocation, extents, fs_info, hex_dump, mapping_state, page_state, page_state_range,
    pread_bytes, resident_pages, FileElements,
};
use memmap_tutor::trace::Measured;

/// A temp dir on ext4, or None (with the reason printed) so ext4-only tests can skip.
fn ext4_dir() -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().ok()?;
    match fs_info(dir.path()) {
        Measured::Value(fs) if fs.name == "ext4" && fs.has_disk => Some(dir),
        other => {
            eprintln!(
                "skip: temp dir {} is not ext4: {other:?}",
                dir.path().display()
            );
            None
        }
    }
}

/// NumPy's `np.memmap(path, 'float32', 'w+', shape=(3,3))` file creation: seek to the last byte, write one zero.
fn numpy_create(path: &Path, size: u64) -> File {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .expect("create");
    f.seek(SeekFrom::Start(size - 1)).expect("seek");
    f.write_all(&[0]).expect("write");
    f
}

fn cachestat_or_skip(path: &Path) -> Option<memmap_tutor::trace::PageState> {
    match page_state(path) {
        Measured::Value(v) => Some(v),
        Measured::Unavailable { unavailable } => {
            eprintln!("skip: cachestat unavailable: {unavailable}");
            None
        }
    }
}

#[test]
fn memmap_lifecycle_dirty_delalloc_then_flushed() {
    let Some(dir) = ext4_dir() else { return };
    let path = dir.path().join("data.bin");
    let file = numpy_create(&path, 36);

    // SAFETY: the file is private to this test and stays 36 bytes while mapped.
    let mut map = unsafe { memmap2::MmapMut::map_mut(&file) }.expect("mmap");
    for (i, chunk) in map.chunks_mut(4).enumerate() {
        chunk.copy_from_slice(&(i as f32).to_le_bytes());
    }

    // Stored through MAP_SHARED: already visible to read(2), dirty, and not yet on disk.
    let Some(st) = cachestat_or_skip(&path) else {
        return;
    };
    assert_eq!(st.total, 1);
    assert_eq!(st.cached, 1, "{st:?}");
    assert!(
        st.dirty >= 1,
        "store through the mapping must dirty the page: {st:?}"
    );
    let a = allocation(&path);
    let a = a.value().expect("FIEMAP on ext4");
    assert!(a.delalloc_bytes > 0, "ext4 delays allocation: {a:?}");
    assert_eq!(a.allocated_bytes, 0, "{a:?}");
    assert_eq!(
        pread_bytes(&path, 20, 4).expect("pread"),
        5f32.to_le_bytes().to_vec()
    );
    let m = mapping_state(map.as_ptr() as usize);
    let m = m.value().expect("smaps");
    assert!(m.rss_kb >= 4 && m.dirty_kb >= 4, "{m:?}");
    assert_eq!(
        m.anonymous_kb, 0,
        "a MAP_SHARED store is not anonymous: {m:?}"
    );

    assert_eq!(
        resident_pages(map.as_ptr() as usize, map.len()).value(),
        Some(&vec![true])
    );

    // flush() = msync(MS_SYNC): the page is clean and has a disk block.
    map.flush().expect("msync");
    let st = page_state(&path);
    let st = st.value().expect("cachestat");
    assert_eq!(st.dirty, 0, "{st:?}");
    assert_eq!(st.writeback, 0, "{st:?}");
    let list = extents(&path);
    let list = list.value().expect("FIEMAP");
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(list[0].is_allocated() && list[0].physical > 0, "{list:?}");
    let a = allocation(&path);
    let a = a.value().expect("FIEMAP");
    assert!(a.allocated_bytes > 0 && a.delalloc_bytes == 0, "{a:?}");
    let m = mapping_state(map.as_ptr() as usize);
    assert_eq!(m.value().map(|m| m.dirty_kb), Some(0), "{m:?}");

    // The file as read(2) sees it, decoded like the array.
    let f4 = DType::parse("float32").expect("dtype");
    let view = FileElements::open_contiguous(&path, f4, &[3, 3], false, 0).expect("view");
    assert_eq!(view.get(&[2, 2]), Scalar::Float(8.0));
    assert_eq!(view.read_error(), None);

    // munmap without msync changes nothing the probes see. The address itself may be reused at once by another
    // test thread's mapping, so the check is that no mapping of this file is left, not that the address is empty.
    drop(map);
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let name = path.to_string_lossy();
    assert!(
        !maps.lines().any(|l| l.ends_with(name.as_ref())),
        "{name} still mapped after munmap"
    );
    assert_eq!(page_state(&path).value().map(|s| s.dirty), Some(0));
}

#[test]
fn private_mapping_store_is_anonymous_and_leaves_file_clean() {
    let Some(dir) = ext4_dir() else { return };
    let path = dir.path().join("cow.bin");
    std::fs::write(&path, [0u8; 4096]).expect("write");
    File::open(&path).expect("open").sync_all().expect("fsync");
    let file = File::open(&path).expect("open");
    // SAFETY: the file is private to this test and is not resized while mapped.
    let mut map = unsafe { memmap2::MmapOptions::new().map_copy(&file) }.expect("mmap");
    map[0] = 9;
    let m = mapping_state(map.as_ptr() as usize);
    let m = m.value().expect("smaps");
    assert!(
        m.anonymous_kb >= 4,
        "copy-on-write page is anonymous: {m:?}"
    );
    let Some(st) = cachestat_or_skip(&path) else {
        return;
    };
    assert_eq!(
        st.dirty, 0,
        "MAP_PRIVATE store must not dirty the file: {st:?}"
    );
    assert_eq!(pread_bytes(&path, 0, 1).expect("pread"), vec![0]);
}

#[test]
fn range_cachestat_sees_only_the_dirtied_part() {
    let Some(dir) = ext4_dir() else { return };
    let path = dir.path().join("big.bin");
    let file = numpy_create(&path, 64 * 4096);
    file.sync_all().expect("fsync");
    // SAFETY: the file is private to this test and stays 256 KiB while mapped.
    let mut map = unsafe { memmap2::MmapMut::map_mut(&file) }.expect("mmap");
    map[40 * 4096] = 1;
    let Some(whole) = cachestat_or_skip(&path) else {
        return;
    };
    assert_eq!(whole.total, 64);
    assert!(whole.dirty >= 1, "{whole:?}");
    let head = page_state_range(&path, 0, 16 * 4096);
    let head = head.value().expect("cachestat range");
    assert_eq!(head.total, 16);
    assert_eq!(head.dirty, 0, "{head:?}");
    let tail = page_state_range(&path, 40 * 4096, 4096);
    let tail = tail.value().expect("cachestat range");
    assert_eq!(tail.total, 1);
    assert!(tail.dirty >= 1, "{tail:?}");
    map.flush().expect("msync");
}

#[test]
fn tmpfs_says_no_disk_and_no_allocation() {
    let shm = Path::new("/dev/shm");
    if !shm.is_dir() {
        eprintln!("skip: no /dev/shm");
        return;
    }
    let dir = tempfile::tempdir_in(shm).expect("tempdir in /dev/shm");
    let fs = fs_info(dir.path());
    let fs = fs.value().expect("statfs");
    assert_eq!(fs.name, "tmpfs");
    assert!(!fs.has_disk);

    let path = dir.path().join("data.bin");
    let file = numpy_create(&path, 36);
    let why = allocation(&path)
        .why()
        .expect("FIEMAP must be unavailable on tmpfs");
    assert!(why.contains("tmpfs"), "{why}");
    assert!(why.contains("FIEMAP"), "{why}");

    // SAFETY: the file is private to this test and stays 36 bytes while mapped.
    let mut map = unsafe { memmap2::MmapMut::map_mut(&file) }.expect("mmap");
    map[0] = 1;
    // cachestat works on tmpfs: the page is cached; tmpfs never reports it dirty (nothing to write back).
    if let Some(st) = cachestat_or_skip(&path) {
        assert_eq!(st.cached, 1, "{st:?}");
        assert_eq!(st.dirty, 0, "{st:?}");
    }
    assert_eq!(pread_bytes(&path, 0, 2).expect("pread"), vec![1, 0]);
}

#[test]
fn file_view_helpers_on_known_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("known.bin");
    let mut bytes = Vec::new();
    for i in 0..9i16 {
        bytes.extend_from_slice(&(i * 100).to_be_bytes());
    }
    std::fs::write(&path, &bytes).expect("write");
    let be = DType::parse(">i2").expect("dtype");
    let v = FileElements::open_contiguous(&path, be, &[3, 3], true, 0).expect("view");
    // Fortran order: [0, 1] is element 3.
    assert_eq!(v.get(&[0, 1]), Scalar::Int(300));
    let d = hex_dump(&path, 0, 18, 8).expect("hex");
    assert_eq!(d.lines.len(), 2);
    assert_eq!(
        d.lines[0].hex,
        "00 00 00 64 00 c8 01 2c 01 90 01 f4 02 58 02 bc"
    );
    assert_eq!(d.lines[1].offset, 16);
    assert_eq!(d.lines[1].hex, "03 20");
    assert!(!d.truncated);
    let err = FileElements::open_contiguous(&path, be, &[3, 3], false, 4)
        .err()
        .expect("too short");
    assert_eq!(err, "file is 18 bytes; the array needs bytes 4..22");
}

#[test]
fn probing_does_not_trigger_ext4_auto_da_alloc_writeback() {
    // `w+` over an existing file truncates it to 0; ext4 then writes back delalloc pages on the
    // next close of any fd of the file. Probes keep their fd open so they never do that close.
    let Some(dir) = ext4_dir() else { return };
    let path = dir.path().join("again.bin");
    std::fs::write(&path, [5u8; 100]).expect("first version");
    let creator = numpy_create(&path, 36);
    for round in 0..3 {
        let Some(st) = cachestat_or_skip(&path) else {
            return;
        };
        assert_eq!((st.dirty, st.writeback), (1, 0), "round {round}: {st:?}");
        let a = allocation(&path);
        assert!(
            a.value().is_some_and(|a| a.delalloc_bytes > 0),
            "round {round}: {a:?}"
        );
        assert_eq!(pread_bytes(&path, 0, 1).expect("pread"), vec![0]);
    }
    drop(creator);
}
