//! Performs lesson steps on real files with memmap2, following `np.memmap` semantics exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::dtype::{DType, Scalar};
use crate::lesson::{Action, Mode};
use crate::numpy_print::ElementSource;

/// A variable of the lesson: an open mapping, or one that was closed.
pub struct Variable {
    pub name: String,
    /// File as the lesson names it (relative to the work directory).
    pub file: String,
    /// Absolute path of the file.
    pub path: PathBuf,
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Byte strides of the array (C or F order).
    pub strides: Vec<isize>,
    /// Requested offset of the array in the file (NumPy's `.offset`).
    pub offset: u64,
    pub mode: Mode,
    /// `C` or `F`.
    pub order: char,
    /// True once closed (unmapped).
    pub closed: bool,
    // The mapping itself is private to the engine.
}

impl Variable {
    /// Address of the first byte of the mapping (page aligned), for smaps; None when closed.
    pub fn mapping_addr(&self) -> Option<usize> {
        todo!("engine helper")
    }
}

impl ElementSource for Variable {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn get(&self, _index: &[usize]) -> Scalar {
        todo!("engine helper")
    }
}

/// The result of a `read` step: a scalar or a view.
pub enum ReadResult {
    Scalar(Scalar, DType),
    /// A view of the mapping; printed through ElementSource (class `memmap`).
    View(Box<dyn ElementSource>),
}

/// What performing one step produced.
pub struct StepOutcome {
    /// NumPy's message (`ValueError: ...`) when NumPy would raise.
    pub error: Option<String>,
    pub read: Option<ReadResult>,
}

/// Holds the lesson's variables and performs steps inside one work directory.
pub struct Engine {
    workdir: PathBuf,
    vars: BTreeMap<String, Variable>,
}

impl Engine {
    pub fn new(workdir: &Path) -> Engine {
        Engine {
            workdir: workdir.to_path_buf(),
            vars: BTreeMap::new(),
        }
    }

    /// The work directory files are resolved against.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Perform one action for real.
    pub fn perform(&mut self, _action: &Action) -> StepOutcome {
        todo!("engine helper")
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.vars.get(name)
    }

    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.vars.values()
    }
}
