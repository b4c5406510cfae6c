//! Memory of one mapping of this process, from /proc/self/smaps.

use std::fs::File;
use std::io::{BufRead, BufReader};

use crate::trace::{MappingState, Measured};

/// Memory of the mapping that contains `addr` (/proc/self/smaps).
pub fn mapping_state(addr: usize) -> Measured<MappingState> {
    let file = match File::open("/proc/self/smaps") {
        Ok(f) => f,
        Err(e) => return Measured::unavailable(format!("cannot read /proc/self/smaps: {e}")),
    };
    match find_mapping(BufReader::new(file), addr) {
        Ok(Some(m)) => Measured::Value(m),
        Ok(None) => Measured::unavailable(format!(
            "no mapping of this process contains address 0x{addr:x} (unmapped?)"
        )),
        Err(e) => Measured::unavailable(format!("cannot read /proc/self/smaps: {e}")),
    }
}

/// Parse smaps text and return the block of the mapping containing `addr`.
///
/// Reads line by line and stops after our block, so the cost is bounded by the number of
/// mappings, never by the size of the mapped file.
pub(crate) fn find_mapping(
    reader: impl BufRead,
    addr: usize,
) -> std::io::Result<Option<MappingState>> {
    let mut in_ours = false;
    let mut found: Option<MappingState> = None;
    for line in reader.lines() {
        let line = line?;
        if let Some((start, end)) = header_range(&line) {
            if in_ours {
                break;
            }
            in_ours = start <= addr && addr < end;
            if in_ours {
                found = Some(MappingState::default());
            }
            continue;
        }
        if !in_ours {
            continue;
        }
        let Some(state) = found.as_mut() else {
            continue;
        };
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(kb) = value.parse::<u64>() else {
            continue;
        };
        match key {
            "Rss:" => state.rss_kb = kb,
            // "Shared"/"Private" in smaps mean shared with other processes; dirty is dirty either way.
            "Private_Dirty:" | "Shared_Dirty:" => state.dirty_kb += kb,
            "Anonymous:" => state.anonymous_kb = kb,
            _ => {}
        }
    }
    Ok(found)
}

/// `Some((start, end))` if the line is a mapping header like `7f00-7f10 rw-s 0 08:01 12 /f`.
fn header_range(line: &str) -> Option<(usize, usize)> {
    let first = line.split_whitespace().next()?;
    if first.ends_with(':') {
        return None;
    }
    let (a, b) = first.split_once('-')?;
    let start = usize::from_str_radix(a, 16).ok()?;
    let end = usize::from_str_radix(b, 16).ok()?;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
55d0c0000000-55d0c0001000 r--p 00000000 08:01 123 /usr/bin/x
Size:                  4 kB
Rss:                   4 kB
Private_Dirty:         0 kB
7f0000000000-7f0000002000 rw-s 00000000 08:01 456 /tmp/data.bin
Size:                  8 kB
KernelPageSize:        4 kB
Rss:                   8 kB
Pss:                   8 kB
Shared_Clean:          0 kB
Shared_Dirty:          4 kB
Private_Clean:         0 kB
Private_Dirty:         4 kB
Anonymous:             0 kB
VmFlags: rd wr sh mr mw me ms
7f0000002000-7f0000003000 rw-p 00000000 00:00 0
Rss:                   4 kB
Anonymous:             4 kB
";

    #[test]
    fn parses_the_block_that_contains_addr() {
        let m = find_mapping(SAMPLE.as_bytes(), 0x7f00_0000_1fff)
            .expect("parse")
            .expect("found");
        assert_eq!(
            m,
            MappingState {
                rss_kb: 8,
                dirty_kb: 8,
                anonymous_kb: 0
            }
        );
        let anon = find_mapping(SAMPLE.as_bytes(), 0x7f00_0000_2000)
            .expect("parse")
            .expect("found");
        assert_eq!(anon.anonymous_kb, 4);
        assert!(find_mapping(SAMPLE.as_bytes(), 0x10)
            .expect("parse")
            .is_none());
    }

    #[test]
    fn live_private_store_shows_anonymous_dirty_page() {
        let mut map = memmap2::MmapMut::map_anon(4 * 4096).expect("map_anon");
        map[0] = 42;
        let addr = map.as_ptr() as usize;
        let st = mapping_state(addr);
        let st = st.value().expect("smaps readable");
        // The touched page is resident, dirty and anonymous; a neighbour mapping may have merged
        // into the same VMA, so only lower bounds are exact.
        assert!(st.rss_kb >= 4, "{st:?}");
        assert!(st.dirty_kb >= 4, "{st:?}");
        assert!(st.anonymous_kb >= 4, "{st:?}");
        drop(map);
    }

    #[test]
    fn unmapped_address_is_unavailable() {
        // Address 0 is never mapped (mmap_min_addr).
        let why = mapping_state(0).why().expect("unavailable");
        assert!(why.contains("no mapping"), "{why}");
    }
}
