//! Whether the kernel removed page-cache pages of any file on its own since the last look (/proc/vmstat).
//!
//! A file nobody touched can lose its cached pages only through reclaim (kswapd, direct or memcg reclaim,
//! khugepaged, proactive reclaim) or `drop_caches`; the kernel counts both system-wide. `pgsteal_*` are the
//! pages reclaim took (`pgsteal_file`/`pgsteal_anon` count every reclaim, cgroup reclaim included, where
//! `pgsteal_kswapd`/`_direct` leave cgroup reclaim out: every `pgsteal_` line is summed, so either set
//! suffices and older kernels' per-zone names count too); `drop_pagecache` counts writes of 1 or 3 to
//! /proc/sys/vm/drop_caches (Linux 4.15). The sum only ever grows: when it did not move, no page of any file
//! was reclaimed or dropped in between.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// /proc/vmstat, kept open (one pread per look).
pub struct ReclaimCounter {
    file: io::Result<File>,
}

impl Default for ReclaimCounter {
    fn default() -> Self {
        ReclaimCounter {
            file: File::open("/proc/vmstat"),
        }
    }
}

impl ReclaimCounter {
    /// Pages reclaimed from any file plus page-cache drops so far, or why it cannot be read.
    pub fn now(&self) -> Result<u64, String> {
        let file = self
            .file
            .as_ref()
            .map_err(|e| format!("cannot open /proc/vmstat: {e}"))?;
        let mut buf = vec![0u8; 16 * 1024];
        let mut len = 0;
        loop {
            if len == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            match file.read_at(&mut buf[len..], len as u64) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) => return Err(format!("cannot read /proc/vmstat: {e}")),
            }
        }
        reclaim_sum(&String::from_utf8_lossy(&buf[..len]))
    }
}

/// The sum of the `pgsteal_*` and `drop_pagecache` lines of a /proc/vmstat text.
pub(crate) fn reclaim_sum(text: &str) -> Result<u64, String> {
    let mut sum = 0u64;
    let (mut steal, mut drop) = (false, false);
    for line in text.lines() {
        let mut words = line.split_ascii_whitespace();
        let (Some(name), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        let is_steal = name.starts_with("pgsteal_");
        let is_drop = name == "drop_pagecache";
        if !(is_steal || is_drop) {
            continue;
        }
        let v: u64 = value
            .parse()
            .map_err(|_| format!("/proc/vmstat: {name} is not a number"))?;
        sum = sum.wrapping_add(v);
        steal |= is_steal;
        drop |= is_drop;
    }
    match (steal, drop) {
        (true, true) => Ok(sum),
        (false, _) => Err("/proc/vmstat has no pgsteal_ counters (reclaim cannot be seen)".into()),
        (_, false) => Err("/proc/vmstat has no drop_pagecache counter (Linux < 4.15)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_reclaim_and_drops_and_says_what_is_missing() {
        let text = "nr_file_pages 9\npgsteal_kswapd 10\npgsteal_direct 2\npgsteal_file 12\n\
                    drop_pagecache 1\ndrop_slab 5\npgscan_kswapd 99\n";
        assert_eq!(reclaim_sum(text), Ok(25));
        assert!(reclaim_sum("pgsteal_file 3\n").is_err_and(|e| e.contains("drop_pagecache")));
        assert!(reclaim_sum("drop_pagecache 3\n").is_err_and(|e| e.contains("pgsteal")));
        assert!(reclaim_sum("pgsteal_file x\ndrop_pagecache 1\n").is_err());
        // This kernel's own file parses (the counters exist since 4.15).
        match ReclaimCounter::default().now() {
            Ok(_) => {}
            Err(why) => eprintln!("skip: {why}"),
        }
    }
}
