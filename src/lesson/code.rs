//! Each resolved step as NumPy code (the Code cell, the Sample view, the exported script) and the
//! default Action text of a step that gives none.

use super::{Action, OpenSpec, Target};
use crate::python::py_str;

/// A shape as a Python tuple: `(3, 3)`, `(9,)`, `()`.
pub(crate) fn py_tuple(dims: &[i64]) -> String {
    crate::python::tuple(dims)
}

/// `arr = np.memmap('large_data.dat', dtype='float32', mode='w+', shape=(3, 3))`.
pub(crate) fn open_code(spec: &OpenSpec) -> String {
    if let Some(call) = &spec.npy {
        return super::npy::code(spec, call);
    }
    let mut s = format!(
        "{} = np.memmap({}, dtype={}, mode={}",
        spec.var,
        py_str(&spec.file),
        py_str(&spec.dtype_text()),
        spec.mode_literal(py_str)
    );
    if spec.offset != 0 {
        s.push_str(&format!(", offset={}", spec.offset));
    }
    if let Some(shape) = &spec.shape {
        s.push_str(&format!(", shape={}", py_tuple(shape)));
    }
    if spec.order != "C" {
        s.push_str(&format!(", order={}", py_str(&spec.order)));
    }
    s.push(')');
    s
}

/// The NumPy line for one action.
pub(crate) fn action_code(action: &Action) -> String {
    match action {
        Action::Open(spec) => open_code(spec),
        Action::Assign { var, index, value } => {
            format!("{} = {}", index.to_python(var), value.to_python())
        }
        Action::Read { var, index } => format!("print({})", index.to_python(var)),
        Action::ForkWrite { var, index, value } => format!(
            "# a forked worker (os.fork): {} = {}; os._exit(0)",
            index.to_python(var),
            value.to_python()
        ),
        Action::Flush { var } => format!("{var}.flush()"),
        Action::Close { var } => format!("del {var}"),
        Action::Reopen(spec) => format!("{}  # reopen: same file, dtype, shape, offset and order", open_code(spec)),
        Action::ExternalWrite {
            target,
            offset,
            shown,
            ..
        } => format!(
            "# another process: fd = os.open({}, os.O_WRONLY); os.pwrite(fd, {shown}, {offset})",
            py_str(target.file())
        ),
        Action::ExternalRead {
            target,
            offset,
            length,
            ..
        } => format!(
            "# another process: fd = os.open({}, os.O_RDONLY); print(os.pread(fd, {length}, {offset}))",
            py_str(target.file())
        ),
        Action::Crash {
            var, index, value, ..
        } => format!(
            "# another process maps the file, stores, then dies of SIGKILL before any flush:\n# {} = {}; os.kill(os.getpid(), signal.SIGKILL)",
            index.to_python(var),
            value.to_python()
        ),
        Action::Evict { var } => format!(
            "# drop the file's clean pages: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED) (and {var}._mmap.madvise(mmap.MADV_DONTNEED) for a shared mapping)"
        ),
        Action::WaitWriteback { timeout_ms, .. } => format!(
            "# wait (at most {}) for the kernel to write the dirty pages back on its own: no flush, no fsync",
            seconds(*timeout_ms)
        ),
        Action::FlushAsync { var } => format!(
            "# msync(MS_ASYNC) of {var}'s mapping (memmap2 flush_async; Python's mmap has no MS_ASYNC flush)"
        ),
        Action::FlushRange {
            var,
            offset,
            length,
        } => format!(
            "# msync(MS_SYNC) of bytes {offset}..{} of {var}'s data only: {var}._mmap.flush(start, size) with start page aligned",
            offset.saturating_add(*length)
        ),
        Action::Truncate { target, size, touch } => {
            let mut s = format!(
                "# another process: os.truncate({}, {size})",
                py_str(target.file())
            );
            if *touch {
                s.push_str(
                    "
# another process: maps the old length and reads past the new end -> SIGBUS kills it",
                );
            }
            s
        }
        Action::Madvise(m) => super::scan_steps::madvise_code(m),
        Action::Scan(s) => super::scan_steps::scan_code(s),
    }
}

/// `40 s`, `0.5 s`.
fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", ms as f64 / 1000.0)
    }
}

/// What a [`Target`] names, for action text: `arr's file large_data.dat` or `large_data.dat`.
fn target_text(target: &Target) -> String {
    match target {
        Target::Var { var, file } if !file.is_empty() => format!("{file} (the file of {var})"),
        Target::Var { var, .. } => format!("the file of {var}"),
        Target::File(f) => f.clone(),
    }
}

/// Action text of an `open`: file, dtype, shape and mode, then offset and order where not the defaults.
fn open_text(spec: &OpenSpec) -> String {
    let shape = match &spec.shape {
        Some(s) => py_tuple(s),
        None => "(shape from file size)".to_string(),
    };
    let mut t = format!(
        "Open {} as {} {}, mode {}",
        spec.file,
        spec.dtype_text(),
        shape,
        spec.mode_text()
    );
    if spec.offset != 0 {
        t.push_str(&format!(", offset {}", spec.offset));
    }
    if spec.order != "C" {
        t.push_str(&format!(", order {}", spec.order));
    }
    t
}

/// Action text of another process's pread/pwrite: "Another process reads 4 bytes at offset 0 of a.dat".
fn outside_io_text(verb: &str, bytes: u64, offset: u64, target: &Target) -> String {
    format!(
        "Another process {verb} {bytes} byte{} at offset {offset} of {}",
        if bytes == 1 { "" } else { "s" },
        target_text(target)
    )
}

/// The action text used when a step has no `action`: "Open large_data.dat as float32 (3, 3), mode w+".
pub fn action_text(action: &Action) -> String {
    match action {
        Action::Open(
            spec @ OpenSpec {
                npy: Some(call), ..
            },
        ) => super::npy::text(spec, call),
        Action::ForkWrite { var, index, value } => format!(
            "A forked worker stores {} = {} through the mapping it inherited",
            index.to_python(var),
            value.to_python()
        ),
        Action::Open(spec) => open_text(spec),
        Action::Assign { var, index, value } => {
            format!("Assign {} to {}", value.to_python(), index.to_python(var))
        }
        Action::Read { var, index } => format!("Read {}", index.to_python(var)),
        Action::Flush { var } => format!("Flush {var} to disk"),
        Action::Close { var } => format!("Close {var}"),
        Action::Reopen(spec) => format!(
            "Reopen {} as {} on {}, mode {}",
            spec.var,
            spec.dtype_text(),
            spec.file,
            spec.mode_text()
        ),
        Action::ExternalWrite {
            target,
            offset,
            data,
            ..
        } => outside_io_text("writes", data.len() as u64, *offset, target),
        Action::ExternalRead {
            target,
            offset,
            length,
            ..
        } => outside_io_text("reads", *length, *offset, target),
        Action::Crash {
            var, index, value, ..
        } => format!(
            "A child process stores {} = {} and is killed (SIGKILL) before any flush",
            index.to_python(var),
            value.to_python()
        ),
        Action::Evict { var } => format!("Drop the page cache of {var}'s file"),
        Action::WaitWriteback { var, timeout_ms } => format!(
            "Wait (up to {}) for the kernel to write {var}'s dirty pages back",
            seconds(*timeout_ms)
        ),
        Action::FlushAsync { var } => format!("Flush {var} asynchronously (MS_ASYNC)"),
        Action::FlushRange {
            var,
            offset,
            length,
        } => format!(
            "Flush bytes {offset}..{} of {var} only",
            offset.saturating_add(*length)
        ),
        Action::Truncate {
            target,
            size,
            touch,
        } => format!(
            "Another process truncates {} to {size} bytes{}",
            target_text(target),
            if *touch {
                " and touches its old mapping past the end"
            } else {
                ""
            }
        ),
        Action::Madvise(m) => super::scan_steps::madvise_text(m),
        Action::Scan(s) => super::scan_steps::scan_text(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_tuples() {
        assert_eq!(py_str("a'b\\c"), "'a\\'b\\\\c'");
        assert_eq!(py_tuple(&[3, 3]), "(3, 3)");
        assert_eq!(py_tuple(&[9]), "(9,)");
        assert_eq!(py_tuple(&[]), "()");
    }
}
