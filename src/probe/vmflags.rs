//! The kernel's flags of one of this process's mappings (`VmFlags:` of /proc/self/smaps): where an madvise
//! call leaves its mark (`sr` sequential read, `rr` random read, `hg`/`nh` huge pages, …).

use std::fs::File;
use std::io::{BufRead, BufReader};

use crate::trace::Measured;

/// The two-letter `VmFlags` of the mapping that contains `addr`, in the kernel's order.
pub fn vm_flags(addr: usize) -> Measured<Vec<String>> {
    let file = match File::open("/proc/self/smaps") {
        Ok(f) => f,
        Err(e) => return Measured::unavailable(format!("cannot read /proc/self/smaps: {e}")),
    };
    match flags_of(BufReader::new(file), addr) {
        Ok(Some(flags)) => Measured::Value(flags),
        Ok(None) => Measured::unavailable(format!(
            "no VmFlags line for a mapping that contains address 0x{addr:x} (unmapped, or a kernel before 3.8)"
        )),
        Err(e) => Measured::unavailable(format!("cannot read /proc/self/smaps: {e}")),
    }
}

/// The `VmFlags` of the smaps block whose range holds `addr`; reads no further than that block.
fn flags_of(reader: impl BufRead, addr: usize) -> std::io::Result<Option<Vec<String>>> {
    let mut ours = false;
    for line in reader.lines() {
        let line = line?;
        let first = line.split_whitespace().next().unwrap_or("");
        if !first.ends_with(':') {
            if ours {
                return Ok(None);
            }
            ours = first.split_once('-').is_some_and(|(a, b)| {
                match (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                    (Ok(start), Ok(end)) => start <= addr && addr < end,
                    _ => false,
                }
            });
        } else if ours && first == "VmFlags:" {
            return Ok(Some(
                line.split_whitespace()
                    .skip(1)
                    .map(str::to_string)
                    .collect(),
            ));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
7f0000000000-7f0000002000 rw-s 00000000 08:01 456 /tmp/data.bin
Rss:                   8 kB
VmFlags: rd wr sh mr mw me ms sr
7f0000002000-7f0000003000 rw-p 00000000 00:00 0
Rss:                   4 kB
VmFlags: rd wr mr mw me ac
";

    #[test]
    fn flags_of_the_block_that_holds_the_address() {
        let flags = flags_of(SAMPLE.as_bytes(), 0x7f00_0000_1000).expect("parse");
        assert_eq!(flags.expect("found").last().map(String::as_str), Some("sr"));
        let anon = flags_of(SAMPLE.as_bytes(), 0x7f00_0000_2000).expect("parse");
        assert_eq!(anon.expect("found").last().map(String::as_str), Some("ac"));
        assert_eq!(flags_of(SAMPLE.as_bytes(), 0x1000).expect("parse"), None);
    }

    #[test]
    fn madvise_sequential_sets_sr_on_a_live_mapping() {
        let map = memmap2::MmapMut::map_anon(4 * 4096).expect("map");
        let addr = map.as_ptr() as usize;
        // SAFETY: advice on our own live anonymous mapping; it changes only read-ahead policy.
        let rc =
            unsafe { libc::madvise(addr as *mut libc::c_void, 4 * 4096, libc::MADV_SEQUENTIAL) };
        assert_eq!(rc, 0);
        let flags = vm_flags(addr).value().cloned().expect("smaps readable");
        assert!(flags.iter().any(|f| f == "sr"), "{flags:?}");
        assert!(!flags.iter().any(|f| f == "rr"), "{flags:?}");
    }
}
