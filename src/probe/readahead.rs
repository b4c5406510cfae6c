//! The read-ahead window of a file's backing device (`read_ahead_kb` in sysfs) and the resident memory of
//! every mapping of one file in this process (smaps, matched by device and inode).

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::trace::scan::ReadAhead;
use crate::trace::Measured;

/// `read_ahead_kb` of the device behind `path`: `/sys/class/bdi/MAJ:MIN/read_ahead_kb`.
///
/// tmpfs and other diskless filesystems have no backing device with a read-ahead window: unavailable.
pub fn read_ahead(path: &Path) -> Measured<ReadAhead> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return Measured::unavailable(format!("cannot stat the file: {e}")),
    };
    let dev = meta.dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    if let Measured::Value(fs) = super::fs_info(path) {
        if !fs.has_disk {
            return Measured::unavailable(format!(
                "{} has no disk, so there is no read-ahead from one",
                fs.name
            ));
        }
    }
    let source = format!("/sys/class/bdi/{major}:{minor}/read_ahead_kb");
    match std::fs::read_to_string(&source) {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(kb) => Measured::Value(ReadAhead { kb, source }),
            Err(_) => Measured::unavailable(format!("{source} does not hold a number")),
        },
        Err(e) => Measured::unavailable(format!("cannot read {source}: {e}")),
    }
}

/// This process's anonymous resident memory (`RssAnon:` of /proc/self/status), in kB: its heap and stacks.
pub fn own_anon_kb() -> Measured<u64> {
    let text = match std::fs::read_to_string("/proc/self/status") {
        Ok(t) => t,
        Err(e) => return Measured::unavailable(format!("cannot read /proc/self/status: {e}")),
    };
    text.lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .map_or_else(
            || Measured::unavailable("/proc/self/status has no RssAnon line"),
            Measured::Value,
        )
}

/// Device and inode of a file, to find its mappings in smaps.
pub fn file_id(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// Resident kB of every mapping of the file `(dev, ino)` in this process (sum of smaps `Rss`).
pub fn file_rss_kb(id: (u64, u64)) -> Measured<u64> {
    match std::fs::File::open("/proc/self/smaps") {
        Ok(f) => match sum_rss(BufReader::new(f), id) {
            Ok(kb) => Measured::Value(kb),
            Err(e) => Measured::unavailable(format!("cannot read /proc/self/smaps: {e}")),
        },
        Err(e) => Measured::unavailable(format!("cannot read /proc/self/smaps: {e}")),
    }
}

/// Sum the `Rss:` lines of the smaps blocks whose header names device `dev` and inode `ino`.
fn sum_rss(reader: impl BufRead, (dev, ino): (u64, u64)) -> std::io::Result<u64> {
    let want_dev = format!("{:02x}:{:02x}", libc::major(dev), libc::minor(dev));
    let want_ino = ino.to_string();
    let mut ours = false;
    let mut total = 0;
    for line in reader.lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        if !first.ends_with(':') {
            // A header: `addr perms offset dev inode [path]`.
            let rest: Vec<&str> = words.take(4).collect();
            ours = rest.len() == 4 && rest[2] == want_dev && rest[3] == want_ino;
            continue;
        }
        if ours && first == "Rss:" {
            total += line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_anonymous_memory_is_measured() {
        assert!(own_anon_kb().value().is_some_and(|&kb| kb > 0));
    }

    #[test]
    fn sums_every_mapping_of_one_inode() {
        let text = "\
7f00-7f10 r--s 00000000 fe:00 42 /tmp/a.dat
Rss:                  64 kB
7f10-7f20 r--s 00000000 fe:00 43 /tmp/b.dat
Rss:                  8 kB
7f20-7f30 r--s 00001000 fe:00 42 /tmp/a.dat
Rss:                  4 kB
";
        let dev = libc::makedev(0xfe, 0);
        assert_eq!(sum_rss(text.as_bytes(), (dev, 42)).expect("parse"), 68);
        assert_eq!(sum_rss(text.as_bytes(), (dev, 44)).expect("parse"), 0);
    }

    #[test]
    fn a_mapped_file_shows_its_resident_pages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.dat");
        std::fs::write(&path, vec![1u8; 8192]).expect("write");
        let f = std::fs::File::open(&path).expect("open");
        // SAFETY: a private test file nobody else changes while mapped.
        let map = unsafe { memmap2::Mmap::map(&f) }.expect("map");
        let id = file_id(&path).expect("stat");
        assert_eq!(map[4096], 1);
        let kb = file_rss_kb(id);
        assert!(kb.value().is_some_and(|&kb| kb >= 4), "{kb:?}");
    }
}
