//! The Disk Write verdict in words: the detail sentence (`Yes (1 page written back)`) and the table cell.

use super::unavailable;
use crate::trace::{DiskWrite, Measured};

/// How the verdict was decided, e.g. `Yes (1 page written back)`, `No`, `unavailable (…)`.
pub fn disk_write_detail(verdict: &Measured<DiskWrite>) -> String {
    let v = match verdict {
        Measured::Value(v) => v,
        Measured::Unavailable { unavailable: why } => return unavailable(why),
    };
    match v {
        DiskWrite::WrittenBack { pages } => {
            let s = if *pages == 1 { "" } else { "s" };
            format!("Yes ({pages} page{s} written back)")
        }
        DiskWrite::BlocksAssigned => {
            "Yes (delayed allocation resolved: blocks assigned on disk)".to_string()
        }
        DiskWrite::DiscardedByTruncation { pages } => {
            format!("No ({pages} dirty page(s) discarded by truncation, not written)")
        }
        DiskWrite::Pending { pages } => {
            let s = if *pages == 1 { "" } else { "s" };
            format!("No ({pages} page{s} dirty in the page cache)")
        }
        DiskWrite::Nothing => "No".to_string(),
        DiskWrite::NoDisk { filesystem } => unavailable(&no_disk_reason(filesystem)),
    }
}

/// Why nothing is ever written to disk on `filesystem` (tmpfs, ramfs).
pub(crate) fn no_disk_reason(filesystem: &str) -> String {
    format!("{filesystem} has no disk behind the page cache: nothing is ever written to disk")
}

/// The reason a verdict could not be measured, or `None` when it was.
pub(crate) fn unmeasured_reason(verdict: &Measured<DiskWrite>) -> Option<String> {
    match verdict {
        Measured::Value(DiskWrite::NoDisk { filesystem }) => Some(no_disk_reason(filesystem)),
        Measured::Value(_) => None,
        Measured::Unavailable { unavailable } => Some(unavailable.clone()),
    }
}

/// The measured Disk Write cell: `Yes (1 page)`, `No`, or `unavailable (…)`.
pub(crate) fn disk_write_cell(verdict: &Measured<DiskWrite>) -> String {
    match verdict {
        Measured::Value(DiskWrite::WrittenBack { pages: 1 }) => "Yes (1 page)".to_string(),
        Measured::Value(DiskWrite::WrittenBack { pages }) => format!("Yes ({pages} pages)"),
        Measured::Value(DiskWrite::BlocksAssigned) => "Yes (blocks allocated)".to_string(),
        other => match unmeasured_reason(other) {
            Some(why) => unavailable(&why),
            None => "No".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_sentences() {
        let yes = Measured::Value(DiskWrite::WrittenBack { pages: 1 });
        assert_eq!(disk_write_detail(&yes), "Yes (1 page written back)");
        assert_eq!(disk_write_cell(&yes), "Yes (1 page)");
        let pending = Measured::Value(DiskWrite::Pending { pages: 1 });
        assert_eq!(
            disk_write_detail(&pending),
            "No (1 page dirty in the page cache)"
        );
        assert_eq!(disk_write_cell(&pending), "No");
        let tmpfs = Measured::Value(DiskWrite::NoDisk {
            filesystem: "tmpfs".into(),
        });
        assert!(disk_write_detail(&tmpfs).starts_with("unavailable (tmpfs has no disk"));
        assert_eq!(disk_write_cell(&tmpfs), disk_write_detail(&tmpfs));
        let off: Measured<DiskWrite> = Measured::unavailable("cachestat needs Linux >= 6.5");
        assert_eq!(
            disk_write_detail(&off),
            "unavailable (cachestat needs Linux >= 6.5)"
        );
    }
}
