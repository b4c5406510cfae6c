//! Facts about the running kernel: release string and page size.

use std::ffi::CStr;

/// Kernel release (uname), e.g. `6.18.44`; `unknown (uname failed: …)` if uname fails.
pub(crate) fn kernel_release() -> String {
    // SAFETY: an all-zero utsname is a valid value of this plain C struct; the kernel overwrites it.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid, writable utsname for the duration of the call.
    let rc = unsafe { libc::uname(&mut uts) };
    if rc != 0 {
        return format!(
            "unknown (uname failed: {})",
            std::io::Error::last_os_error()
        );
    }
    // The kernel NUL-terminates release; CStr::from_bytes_until_nul still checks it rather than trusting it.
    let bytes: Vec<u8> = uts.release.iter().map(|&c| c as u8).collect();
    match CStr::from_bytes_until_nul(&bytes) {
        Ok(s) => s.to_string_lossy().into_owned(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The system page size in bytes (sysconf), 4096 if sysconf cannot say.
pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf takes no pointers and has no preconditions.
    let ps = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if ps > 0 {
        ps as u64
    } else {
        4096
    }
}

/// `vm.dirty_expire_centisecs`: how old a dirty page gets before the kernel's flusher writes it back.
pub fn dirty_expire_centisecs() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/dirty_expire_centisecs")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `vm.dirty_writeback_centisecs`: how often the flusher wakes to write back expired dirty pages (0: never).
pub fn dirty_writeback_centisecs() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/dirty_writeback_centisecs")
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_matches_proc() {
        let proc = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
        assert_eq!(kernel_release(), proc.trim());
    }

    #[test]
    fn page_size_is_power_of_two() {
        let ps = page_size();
        assert!(ps >= 4096 && ps.is_power_of_two(), "{ps}");
    }
}
