//! The `madvise` and `scan` steps as runnable NumPy code (the loop a NumPy user writes).

use crate::lesson::code::open_code;
use crate::lesson::scan_steps::{MadviseSpec, ScanSpec};
use crate::lesson::OpenSpec;
use crate::trace::scan::Release;

/// `arr._mmap.madvise(mmap.MADV_…, start, length)` (needs `import mmap`).
pub(crate) fn madvise_python(m: &MadviseSpec) -> String {
    crate::lesson::scan_steps::madvise_code(m)
}

/// The chunked loop; the count is left in `total`. `spec` is the variable's last open (for `recreate`).
pub(crate) fn scan_python(s: &ScanSpec, spec: Option<&OpenSpec>) -> String {
    let c = s.chunk;
    let var = &s.var;
    match s.release {
        Release::Recreate => {
            let open = match spec {
                Some(spec) => {
                    let mut fresh = spec.clone();
                    fresh.var = "_m".to_string();
                    fresh.mode = crate::lesson::Mode::ReadOnly;
                    open_code(&fresh)
                }
                None => format!("_m = {var}  # ({var} was never opened)"),
            };
            format!(
                "total = 0\nfor _i in range(0, len({view}), {c}):\n    {open}  # a new memmap per chunk (nanoGPT's fix)\n    total += int(np.count_nonzero({mview}[_i:_i + {c}]))\n    del _m  # munmap: this chunk's pages leave the process",
                view = crate::lesson::scan_steps::view_expr(s),
                mview = s.index.to_python("_m"),
            )
        }
        Release::Dontneed => format!(
            "_b = np.frombuffer({var}._mmap, dtype=np.uint8)\n_base = _b.ctypes.data  # address of the mapping\ndel _b  # (an export would keep the mapping alive)\n_view = {view}\ntotal = 0\nfor _i in range(0, len(_view), {c}):\n    _chunk = _view[_i:_i + {c}]\n    total += int(np.count_nonzero(_chunk))\n    _lo, _hi = np.lib.array_utils.byte_bounds(_chunk)\n    _start = (_lo - _base) // mmap.PAGESIZE * mmap.PAGESIZE  # madvise needs a page-aligned start\n    {var}._mmap.madvise(mmap.MADV_DONTNEED, _start, _hi - _base - _start)  # drop the chunk just read\n    del _chunk\ndel _view",
            view = crate::lesson::scan_steps::view_expr(s),
        ),
        Release::Keep => format!(
            "_view = {view}\ntotal = 0\nfor _i in range(0, len(_view), {c}):\n    total += int(np.count_nonzero(_view[_i:_i + {c}]))\ndel _view",
            view = crate::lesson::scan_steps::view_expr(s),
        ),
    }
}
