//! Detects whether the kernel tracks soft-dirty page bits (CONFIG_MEM_SOFT_DIRTY), without clearing any.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::trace::Measured;

use super::system::page_size;

/// Bit 55 of a /proc/self/pagemap entry: the page was written since the last soft-dirty clear.
const PM_SOFT_DIRTY: u64 = 1 << 55;

/// True when this kernel keeps soft-dirty bits.
///
/// A freshly mapped, freshly written anonymous page is always soft-dirty when the feature is
/// compiled in, so its pagemap bit 55 decides. This does not write /proc/self/clear_refs, so it
/// neither resets other pages' bits nor adds write-protect faults to later measurements.
pub fn soft_dirty_supported() -> Measured<bool> {
    let ps = page_size() as usize;
    let mut page = match memmap2::MmapMut::map_anon(ps) {
        Ok(m) => m,
        Err(e) => return Measured::unavailable(format!("cannot map a test page: {e}")),
    };
    page[0] = 1;
    let addr = page.as_ptr() as usize;
    let pagemap = match File::open("/proc/self/pagemap") {
        Ok(f) => f,
        Err(e) => return Measured::unavailable(format!("cannot open /proc/self/pagemap: {e}")),
    };
    let mut entry = [0u8; 8];
    let at = (addr / ps) as u64 * 8;
    if let Err(e) = pagemap.read_exact_at(&mut entry, at) {
        return Measured::unavailable(format!("cannot read /proc/self/pagemap: {e}"));
    }
    let entry = u64::from_ne_bytes(entry);
    // Keep the page mapped and written until the entry was read.
    let still_written = page[0] == 1;
    drop(page);
    if !still_written || entry & (1 << 63) == 0 {
        // Bit 63 (present) must be set for the reading to mean anything.
        return Measured::unavailable("the test page was not resident when pagemap was read");
    }
    Measured::Value(entry & PM_SOFT_DIRTY != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_agrees_with_smaps_vmflags() {
        // With CONFIG_MEM_SOFT_DIRTY every new mapping carries the `sd` VmFlag in smaps.
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let any_sd = smaps
            .lines()
            .filter(|l| l.starts_with("VmFlags:"))
            .any(|l| l.split_whitespace().any(|f| f == "sd"));
        match soft_dirty_supported() {
            Measured::Value(sd) => assert_eq!(sd, any_sd),
            Measured::Unavailable { unavailable } => eprintln!("skip: {unavailable}"),
        }
    }
}
