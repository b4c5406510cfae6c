//! Filesystem type of a path (statfs), and whether real storage sits behind its page cache.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::trace::Measured;

use super::FsInfo;

/// Known `f_type` magic numbers: (magic, name, has storage behind the page cache).
const MAGICS: &[(u64, &str, bool)] = &[
    (0xEF53, "ext4", true),
    (0x0102_1994, "tmpfs", false),
    (0x8584_58f6, "ramfs", false),
    (0x5846_5342, "xfs", true),
    (0x9123_683E, "btrfs", true),
    (0x794c_7630, "overlayfs", true),
    (0x6969, "nfs", true),
    (0x2FC1_2FC1, "zfs", true),
    (0xF2F5_2010, "f2fs", true),
    (0x6573_5546, "fuse", true),
    (0x6573_5543, "fusectl", false),
    (0x4d44, "vfat", true),
    (0x2011_BAB0, "exfat", true),
    (0x5346_544e, "ntfs", true),
    (0xFF53_4D42, "cifs", true),
    (0xFE53_4D42, "smb2", true),
    (0x0102_1997, "9p", true),
    (0x0027_e0eb, "cgroup", false),
    (0x6367_7270, "cgroup2", false),
    (0x9fa0, "proc", false),
    (0x6265_6572, "sysfs", false),
    (0x1cd1, "devpts", false),
    (0x9584_58f6, "hugetlbfs", false),
    (0x7371_7368, "squashfs", true),
    (0x3153_464a, "jfs", true),
    (0x5265_4973, "reiserfs", true),
    (0xE0F5_E1E2, "erofs", true),
    (0xCAFE_4A11, "bpf", false),
    (0x6462_6720, "debugfs", false),
    (0x7472_6163, "tracefs", false),
    (0x7363_6673, "securityfs", false),
];

/// Name and has-disk flag for a statfs `f_type`; unknown types are assumed to have a disk.
pub(crate) fn fs_from_magic(magic: u64) -> super::FsInfo {
    match MAGICS.iter().find(|(m, _, _)| *m == magic) {
        Some((_, name, has_disk)) => FsInfo {
            name: (*name).to_string(),
            has_disk: *has_disk,
        },
        None => FsInfo {
            name: format!("unknown (0x{magic:x})"),
            has_disk: true,
        },
    }
}

/// Filesystem of the directory or file at `path`.
pub fn fs_info(path: &Path) -> Measured<FsInfo> {
    match statfs_magic(path) {
        Ok(magic) => Measured::Value(fs_from_magic(magic)),
        Err(e) => Measured::unavailable(format!("statfs({}) failed: {e}", path.display())),
    }
}

/// Raw `f_type` of the filesystem holding `path`.
pub(crate) fn statfs_magic(path: &Path) -> std::io::Result<u64> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: an all-zero statfs is a valid value of this plain C struct; the kernel overwrites it.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is a valid NUL-terminated string and st a valid, writable statfs for the call.
    let rc = unsafe { libc::statfs(c_path.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // f_type is a signed word; magics such as 0xEF53 and 0x858458f6 fit in 32 bits, so keep the low 32.
    Ok(st.f_type as u64 & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_table_names() {
        assert_eq!(fs_from_magic(0xEF53).name, "ext4");
        assert!(fs_from_magic(0xEF53).has_disk);
        assert_eq!(fs_from_magic(0x0102_1994).name, "tmpfs");
        assert!(!fs_from_magic(0x0102_1994).has_disk);
        assert!(!fs_from_magic(0x8584_58f6).has_disk);
        let unknown = fs_from_magic(0x1234_5678);
        assert_eq!(unknown.name, "unknown (0x12345678)");
        assert!(unknown.has_disk);
    }

    #[test]
    fn dev_shm_is_tmpfs() {
        let shm = Path::new("/dev/shm");
        if !shm.is_dir() {
            eprintln!("skip: no /dev/shm on this machine");
            return;
        }
        let info = fs_info(shm);
        let info = info.value().expect("statfs /dev/shm");
        assert_eq!(info.name, "tmpfs");
        assert!(!info.has_disk);
    }

    #[test]
    fn missing_path_is_unavailable_with_reason() {
        let m = fs_info(Path::new("/definitely/not/here"));
        let why = m.why().expect("should be unavailable");
        assert!(why.contains("statfs"), "{why}");
    }
}
