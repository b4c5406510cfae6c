//! Page faults of this process so far (getrusage), to diff around a step.

use crate::trace::{Faults, Measured};

/// Page faults of this process so far (getrusage); subtract two readings for a step's faults.
pub(crate) fn faults_now() -> Measured<Faults> {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct; the kernel overwrites it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage for the duration of the call.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 {
        return Measured::unavailable(format!(
            "getrusage failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    Measured::Value(Faults {
        minor: ru.ru_minflt.max(0) as u64,
        major: ru.ru_majflt.max(0) as u64,
    })
}

/// `after - before`, per counter (saturating: counters only grow, but never underflow on bad input).
pub(crate) fn faults_between(
    before: &Measured<Faults>,
    after: &Measured<Faults>,
) -> Measured<Faults> {
    match (before, after) {
        (Measured::Value(b), Measured::Value(a)) => Measured::Value(Faults {
            minor: a.minor.saturating_sub(b.minor),
            major: a.major.saturating_sub(b.major),
        }),
        (Measured::Unavailable { unavailable }, _) | (_, Measured::Unavailable { unavailable }) => {
            Measured::unavailable(unavailable.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_fresh_pages_counts_minor_faults() {
        let before = faults_now();
        // 64 fresh anonymous pages: each first touch is a minor fault (no I/O).
        let mut map = memmap2::MmapMut::map_anon(64 * 4096).expect("map_anon");
        for i in (0..map.len()).step_by(4096) {
            map[i] = 1;
        }
        let after = faults_now();
        let d = faults_between(&before, &after);
        let d = d.value().expect("getrusage works");
        assert!(d.minor >= 1, "{d:?}");
        assert_eq!(map[4096], 1);
    }
}
