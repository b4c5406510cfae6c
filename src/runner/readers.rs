//! The display readers of one step, shared by lessons (`observe`) and traced scripts (`script`): one
//! [`QuietFile`] per file (no page enters the page cache), what those reads left behind, and the hex dump
//! that says why when a read fails.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::probe::{self, QuietFile};
use crate::trace::HexLine;

/// The display readers of one step: one [`QuietFile`] per file, so their footprint can be summed.
#[derive(Default)]
pub struct Readers {
    files: RefCell<HashMap<PathBuf, Rc<QuietFile>>>,
    /// Private pages read through the mapping although swapped out (a fault the display could not avoid).
    swapped_touches: Cell<u64>,
    notes: RefCell<Vec<String>>,
}

impl Readers {
    /// The reader of `path` (opened on first use).
    pub fn get(&self, path: &Path) -> std::io::Result<Rc<QuietFile>> {
        if let Some(f) = self.files.borrow().get(path) {
            return Ok(f.clone());
        }
        let f = Rc::new(QuietFile::open(path)?);
        self.files
            .borrow_mut()
            .insert(path.to_path_buf(), f.clone());
        Ok(f)
    }

    /// The files these readers opened (their inotify events are the tutor's own).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.borrow().keys().cloned().collect()
    }

    /// Forget this step's readers and what they noted (the next step reads afresh).
    pub fn clear(&self) {
        self.files.borrow_mut().clear();
        self.swapped_touches.set(0);
        self.notes.borrow_mut().clear();
    }

    /// Say once why a display read could not stay invisible.
    pub fn note(&self, why: String) {
        let mut notes = self.notes.borrow_mut();
        if !notes.contains(&why) {
            notes.push(why);
        }
    }

    /// Count a swapped-out private page the display had to fault back in.
    pub fn count_swapped_touch(&self) {
        self.swapped_touches.set(self.swapped_touches.get() + 1);
    }

    /// Pages the display reads knowingly brought into the page cache (0 unless O_DIRECT was refused).
    pub fn pages_added(&self) -> u64 {
        self.files.borrow().values().map(|f| f.footprint()).sum()
    }

    /// Swapped-out private pages the display had to fault in.
    pub fn swapped_touches(&self) -> u64 {
        self.swapped_touches.get()
    }

    /// Why a display read could not stay invisible, one line per reason.
    pub fn notes(&self) -> Vec<String> {
        let mut out = self.notes.borrow().clone();
        for f in self.files.borrow().values() {
            if let Some(why) = f.footprint_why() {
                if !out.contains(&why) {
                    out.push(why);
                }
            }
        }
        out
    }
}

/// A hex dump of `len` bytes at `offset` (at most `max_lines` lines) read quietly, and whether it was cut;
/// a failed read is one line that says why.
pub fn hex_dump(
    reader: &QuietFile,
    offset: u64,
    len: u64,
    max_lines: usize,
) -> (Vec<HexLine>, bool) {
    match probe::hex_dump_quiet(reader, offset, len, max_lines) {
        Ok(d) => (d.lines, d.truncated),
        Err(e) => (
            vec![HexLine::unavailable(offset, &format!("pread failed: {e}"))],
            false,
        ),
    }
}
