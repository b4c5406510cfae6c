//! The whole lesson as a runnable NumPy script (each step's own line comes from `lesson::code`).

use std::collections::{BTreeMap, BTreeSet};

use crate::lesson::code::{action_code, open_code};
use crate::lesson::{Action, LoadedLesson, OpenSpec};
use crate::numpy::dtype::DType;
use crate::python::{py_comment, py_str};

/// How [`python_script`] writes the script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptOptions {
    /// After every step print one `@@STEP {json}` line (arrays, files as read(2) sees them, error), so a test can
    /// compare the script's run with the tutor's trace step by step.
    pub instrument: bool,
}

/// The whole lesson as a plain NumPy script (see [`python_script`]).
pub fn numpy_script(lesson: &LoadedLesson) -> String {
    python_script(lesson, ScriptOptions::default())
}

/// What a step of the script needs besides NumPy, to import it and define helpers only when used.
#[derive(Default)]
struct Needs {
    os: bool,
    child: bool,
    mmap: bool,
    signal: bool,
    time: bool,
    truncation_guard: bool,
    /// A `fork_write` step: the forked-worker helper.
    fork: bool,
}

/// Helper: run a function in another process, as the tutor's outside-process steps do.
const CHILD_HELPER: &str = r#"
def in_another_process(work):
    """Run work() in a child process (os.fork), wait for it, and say how it ended."""
    sys.stdout.flush()  # else the child would print our buffered output a second time
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            work()
        except BaseException as e:
            print('the other process failed:', type(e).__name__ + ': ' + str(e))
            code = 1
        sys.stdout.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        print('the other process was killed by', signal.Signals(os.WTERMSIG(status)).name)
    return status
"#;

/// Helper: a worker made with os.fork() (multiprocessing's `fork` start method), which inherits the mappings.
const FORK_HELPER: &str = r#"
def in_forked_worker(work):
    """Run work() in a worker made with os.fork(), as multiprocessing's 'fork' start method makes it: the worker
    inherits this process's memory maps. An exception in the worker is raised here again, as Pool.apply does."""
    sys.stdout.flush()  # else the worker would print our buffered output a second time
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            work()
        except BaseException as e:
            os.write(w, pickle.dumps(e))
            os._exit(1)
        os._exit(0)
    os.close(w)
    raised = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        raised += chunk
    os.close(r)
    os.waitpid(pid, 0)
    if raised:
        raise pickle.loads(raised)
"#;

/// Helper: the tutor's guard against SIGBUS after another process shrank a mapped file.
const TRUNCATION_HELPER: &str = r#"
class TruncatedError(Exception):
    """The tutor's guard, not NumPy's: see check_not_truncated."""


def check_not_truncated(a):
    """NumPy has no such check: touching a page of the mapping wholly past the end of its file kills the program
    with SIGBUS (the rest of the page holding the last byte reads as zeros). The tutor compares the file's size,
    rounded up to whole pages, with the mapped range before every touch and reports an error instead; this script
    does the same so that it runs to the end too."""
    size = os.path.getsize(a.filename)
    if -(-size // mmap.PAGESIZE) * mmap.PAGESIZE < a.offset + a.nbytes:
        raise TruncatedError(f'the file was truncated to {size} bytes while mapped; '
                             'touching the mapping past EOF would raise SIGBUS')
"#;

/// Helper: how long the kernel lets a dirty page wait before its flusher writes it back.
const WRITEBACK_HELPER: &str = r#"
def kernel_writeback_delay():
    """vm.dirty_expire_centisecs (age at which dirty pages are written back) plus one flusher wake-up
    (vm.dirty_writeback_centisecs), in seconds."""
    def centisecs(name):
        with open('/proc/sys/vm/' + name) as f:
            return int(f.read()) / 100
    return centisecs('dirty_expire_centisecs') + centisecs('dirty_writeback_centisecs')
"#;

/// Helpers of `--instrument`: print what the program and read(2) see after each step, as one JSON line.
const INSTRUMENT_HELPER: &str = r#"
# --- instrumentation (memmap-tutor export --instrument): one '@@STEP {json}' line after every step ---------
import json

_SPECS = {}        # variable -> (path, dtype, shape, offset, order) of its latest mapping
_HEX_BYTES = 64    # the tutor's trace shows the first 64 bytes of each array region


def _describe(e):
    return str(e) if type(e).__name__ == 'TruncatedError' else type(e).__name__ + ': ' + str(e)


def _file_view(path, dtype, shape, offset, order):
    """The array region of the file as read(2) sees it: (size, str of the decoded elements, hex of its start)."""
    if not os.path.exists(path):
        return None
    size = os.path.getsize(path)
    nbytes = dtype.itemsize * int(np.prod(shape))
    fd = os.open(path, os.O_RDONLY)
    try:
        head = os.pread(fd, min(_HEX_BYTES, nbytes), offset)
        if size < offset + nbytes:
            text = None                      # too short to decode: compared by size and bytes only
        elif nbytes <= 1 << 20:
            data = os.pread(fd, nbytes, offset)
            text = str(np.frombuffer(data, dtype=dtype).reshape(shape, order=order))
        else:                                # large: let NumPy read only the elements it prints
            view = np.memmap(path, dtype=dtype, mode='r', shape=shape, offset=offset, order=order)
            text = str(view)
            del view
    finally:
        os.close(fd)
    return {'size': size, 'str': text, 'hex': head.hex(' ')}


def _report(step, names, error, read):
    arrays, files = {}, {}
    for name in names:
        a = globals().get(name)
        if isinstance(a, np.memmap):
            order = 'F' if a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous else 'C'
            _SPECS[name] = (a.filename, a.dtype, a.shape, a.offset, order)
            if os.path.getsize(a.filename) < a.offset + a.nbytes:
                arrays[name] = {'state': 'unreadable', 'str': None}
            else:
                arrays[name] = {'state': 'open', 'str': str(a)}
        elif name in _SPECS:
            arrays[name] = {'state': 'closed', 'str': None}
        if name in _SPECS:
            view = _file_view(*_SPECS[name])
            if view is not None:
                files[name] = view
    record = {'step': step, 'error': error, 'read': read, 'arrays': arrays, 'files': files}
    sys.stdout.flush()
    print('@@STEP ' + json.dumps(record), flush=True)
# --- end of instrumentation ------------------------------------------------------------------------------
"#;

/// Indent every line of `code` by `n` spaces.
fn indent(code: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    code.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `check_not_truncated(var)` before a step that touches `var`'s mapping, when the lesson truncates a file.
fn guard(var: &str, needs: &Needs) -> String {
    if needs.truncation_guard {
        format!("check_not_truncated({var})\n")
    } else {
        String::new()
    }
}

/// The Python for one step: runnable code, using `os` (and a child process) where NumPy has no equivalent.
/// `specs` holds each variable's latest `np.memmap` arguments, for steps that map its file again; `open` names
/// the variables bound right now.
fn step_python(
    action: &Action,
    specs: &BTreeMap<String, OpenSpec>,
    open: &BTreeSet<String>,
    needs: &mut Needs,
    instrument: bool,
) -> String {
    match action {
        Action::Open(_) | Action::Close { .. } => action_code(action),
        Action::Reopen(spec) => format!(
            "{}  # reopen: the same file, dtype, shape, offset and order",
            open_code(spec)
        ),
        Action::Assign { var, .. } | Action::Flush { var } => {
            format!("{}{}", guard(var, needs), action_code(action))
        }
        Action::Read { var, index } => {
            let expr = index.to_python(var);
            if instrument {
                format!("{}_read = {expr}\nprint(_read)", guard(var, needs))
            } else {
                format!("{}print({expr})", guard(var, needs))
            }
        }
        Action::ExternalWrite {
            target,
            offset,
            shown,
            ..
        } => {
            needs.child = true;
            external_write_python(target.file(), *offset, shown)
        }
        Action::ExternalRead {
            target,
            offset,
            length,
            dtype,
            ..
        } => {
            needs.child = true;
            external_read_python(target.file(), *offset, *length, dtype.as_ref(), instrument)
        }
        Action::Crash {
            var, index, value, ..
        } => {
            needs.child = true;
            needs.signal = true;
            crash_python(
                var,
                specs.get(var),
                &index.to_python(var),
                &value.to_python(),
            )
        }
        Action::ForkWrite { var, index, value } => {
            needs.fork = true;
            format!(
                "{}{}",
                guard(var, needs),
                fork_write_python(&index.to_python(var), &value.to_python())
            )
        }
        Action::Evict { var } => {
            needs.mmap = true;
            needs.os = true;
            evict_python(var, specs, open)
        }
        Action::WaitWriteback { timeout_ms, .. } => {
            needs.time = true;
            wait_writeback_python(*timeout_ms)
        }
        Action::FlushAsync { var } => flush_async_python(var),
        Action::FlushRange {
            var,
            offset,
            length,
        } => {
            needs.mmap = true;
            flush_range_python(var, *offset, *length, needs)
        }
        Action::Truncate {
            target,
            size,
            touch,
        } => {
            needs.child = true;
            needs.mmap |= *touch;
            truncate_python(target.file(), *size, *touch)
        }
        Action::Madvise(m) => {
            needs.mmap = true;
            format!("{}{}", guard(&m.var, needs), super::scan::madvise_python(m))
        }
        Action::Scan(s) => {
            needs.mmap |= s.release == crate::trace::scan::Release::Dontneed;
            scan_step_python(s, specs.get(&s.var), needs, instrument)
        }
    }
}

/// `wait_writeback`: sleep as long as the kernel lets a dirty page age (Python cannot see dirty pages).
fn wait_writeback_python(timeout_ms: u64) -> String {
    format!(
        "# Python cannot see one file's dirty pages (the tutor polls cachestat(2) every 100 ms), so this waits\n# as long as the kernel lets a dirty page age before writing it back - without flush() or fsync().\ntime.sleep(min({}, kernel_writeback_delay()))",
        python_seconds(timeout_ms)
    )
}

/// `flush_async`: nothing, with a comment on why that is faithful.
fn flush_async_python(var: &str) -> String {
    format!(
        "# {var}: msync(MS_ASYNC). Python's mmap.flush() is always MS_SYNC and has no asynchronous form; on Linux\n# MS_ASYNC starts no writeback at all (the tutor measures that), so doing nothing is the faithful equivalent.\npass"
    )
}

/// `scan`: the chunked loop, then the total printed (kept in `_read` when instrumented).
fn scan_step_python(
    s: &crate::lesson::scan_steps::ScanSpec,
    spec: Option<&OpenSpec>,
    needs: &Needs,
    instrument: bool,
) -> String {
    let code = super::scan::scan_python(s, spec);
    let result = if instrument {
        "_read = total\nprint(_read)"
    } else {
        "print(total)"
    };
    format!("{}{code}\n{result}", guard(&s.var, needs))
}

/// `external_write`: another process's pwrite(2) of `shown` (the bytes as Python) at `offset` of `file`.
fn external_write_python(file: &str, offset: u64, shown: &str) -> String {
    format!(
        "def other_process():\n    fd = os.open({}, os.O_WRONLY)\n    os.pwrite(fd, {shown}, {offset})\n    os.close(fd)\n\n\nin_another_process(other_process)",
        py_str(file)
    )
}

/// `fork_write`: a forked worker stores `target = value` through the mapping it inherited.
fn fork_write_python(target: &str, value: &str) -> String {
    format!(
        "def worker():\n    {target} = {value}  # through the mapping inherited from this process\n\n\nin_forked_worker(worker)"
    )
}

/// `external_read`: another process's pread(2) of `file`, printed as hex (and as `dtype` when given).
fn external_read_python(
    file: &str,
    offset: u64,
    length: u64,
    dtype: Option<&DType>,
    instrument: bool,
) -> String {
    let mut s = format!(
        "def other_process():\n    fd = os.open({}, os.O_RDONLY)\n    data = os.pread(fd, {length}, {offset})\n    os.close(fd)\n    print('another process read', data.hex(' '))\n",
        py_str(file)
    );
    if let Some(dt) = dtype {
        s.push_str(&format!(
            "    usable = len(data) // {size} * {size}\n    print('as {dt}:', np.frombuffer(data[:usable], dtype={}))\n",
            py_str(&dt.to_string()),
            size = dt.size,
        ));
    }
    if instrument {
        s.push_str("    print('@@CHILDREAD ' + data.hex())\n");
    }
    s.push_str("\n\nin_another_process(other_process)");
    s
}

/// `crash`: a child maps the file of `var` (spec `spec`) read-write, stores `target = value` and is SIGKILLed.
fn crash_python(var: &str, spec: Option<&OpenSpec>, target: &str, value: &str) -> String {
    let open = match spec {
        Some(spec) => {
            let mut own = spec.clone();
            own.mode = crate::lesson::Mode::ReadWrite;
            if let Some(call) = own.npy.as_mut() {
                // np.load takes the mode as mmap_mode: the child maps the .npy read-write too.
                call.mode = "r+".to_string();
            }
            format!("{}  # its own MAP_SHARED mapping", open_code(&own))
        }
        None => format!("# ({var} was never opened)"),
    };
    format!(
        "def other_process():\n    {open}\n    {target} = {value}\n    os.kill(os.getpid(), signal.SIGKILL)  # killed before any flush\n\n\nin_another_process(other_process)"
    )
}

/// `evict`: drop the pages of `var`'s mapping (if live and shared) and of its file from the page cache.
fn evict_python(var: &str, specs: &BTreeMap<String, OpenSpec>, open: &BTreeSet<String>) -> String {
    // madvise only on a live shared map: on a copy-on-write one it would discard private changes.
    let shared = open.contains(var)
        && specs
            .get(var)
            .is_some_and(|s| s.mode != crate::lesson::Mode::CopyOnWrite);
    let file = specs.get(var).map(|s| s.file.as_str()).unwrap_or("");
    let mut s = String::from(
        "# The tutor first checks (cachestat) that no page is dirty; Python cannot, so flush before this.\n",
    );
    if shared {
        s.push_str(&format!(
            "{var}._mmap.madvise(mmap.MADV_DONTNEED)  # unmap the pages from this array\n"
        ));
    }
    s.push_str(&format!(
        "fd = os.open({}, os.O_RDONLY)\nos.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # drop clean pages from the page cache\nos.close(fd)",
        py_str(file)
    ));
    s
}

/// `flush_range`: msync(MS_SYNC) of `length` bytes at `offset` of `var`'s data, from a page-aligned start.
fn flush_range_python(var: &str, offset: u64, length: u64, needs: &Needs) -> String {
    format!(
        "{}# msync(MS_SYNC) of bytes {offset}..{} of {var}'s data only. NumPy maps from the allocation boundary\n# below {var}.offset, and mmap.flush() needs a page-aligned start, as msync does.\nstart = {var}.offset % mmap.ALLOCATIONGRANULARITY{}\naligned = start - start % mmap.PAGESIZE\n{var}._mmap.flush(aligned, start + {length} - aligned)",
        guard(var, needs),
        offset.saturating_add(length),
        if offset == 0 { String::new() } else { format!(" + {offset}") }
    )
}

/// `truncate`: another process shrinks `file` to `size` bytes (and with `touch`, touches its old mapping past
/// the new end, dying of SIGBUS).
fn truncate_python(file: &str, size: u64, touch: bool) -> String {
    let mut s = format!(
        "def other_process():\n    fd = os.open({}, os.O_RDWR)\n",
        py_str(file)
    );
    if touch {
        s.push_str(&format!(
            "    old = mmap.mmap(fd, 0, prot=mmap.PROT_READ)  # map the old length first\n    os.ftruncate(fd, {size})\n    past_end = ({size} + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE\n    old[past_end]  # touch a page past the new end: SIGBUS kills this process\n"
        ));
    } else {
        s.push_str(&format!("    os.ftruncate(fd, {size})\n"));
    }
    s.push_str("    os.close(fd)\n\n\nin_another_process(other_process)");
    s
}

/// Seconds as a Python number: `40`, `0.5`.
fn python_seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        (ms as f64 / 1000.0).to_string()
    }
}

/// The whole lesson as a runnable Python script: plain NumPy for the array steps, `os` (in a child process
/// made with `os.fork`) for the steps another process performs, and comments where Python has no exact
/// equivalent. Steps that expect an error are wrapped in `try`/`except` so the script runs to the end like the
/// tutor does; with [`ScriptOptions::instrument`] every step is, and reports what it saw.
pub fn python_script(lesson: &LoadedLesson, opts: ScriptOptions) -> String {
    let mut needs = Needs {
        truncation_guard: lesson
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::Truncate { .. })),
        ..Needs::default()
    };
    // The body first: it decides which imports and helpers the header needs.
    let body = script_body(lesson, opts, &mut needs);
    let mut out = script_header(lesson, opts, &needs);
    out.push_str(&body);
    out
}

/// Every step's code under its `# Step N:` comment, recording in `needs` what the steps use.
fn script_body(lesson: &LoadedLesson, opts: ScriptOptions, needs: &mut Needs) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut specs = BTreeMap::new();
    let mut open = BTreeSet::new();
    let mut body = String::new();
    for step in &lesson.steps {
        if let Action::Open(spec) | Action::Reopen(spec) = &step.action {
            if !names.contains(&spec.var) {
                names.push(spec.var.clone());
            }
        }
        let code = step_python(&step.action, &specs, &open, needs, opts.instrument);
        match &step.action {
            // A failing open binds nothing, as in Python.
            Action::Open(spec) | Action::Reopen(spec) => {
                specs.insert(spec.var.clone(), spec.clone());
                if step.expect_error.is_none() {
                    open.insert(spec.var.clone());
                }
            }
            Action::Close { var } => {
                open.remove(var);
            }
            _ => {}
        }
        body.push_str(&format!(
            "\n# Step {}: {}\n",
            step.number,
            py_comment(&step.action_text)
        ));
        if !step.note.is_empty() {
            body.push_str(&format!("# ({})\n", py_comment(&step.note)));
        }
        if opts.instrument {
            body.push_str(&instrumented_step(&code, step.number, &names));
        } else {
            body.push_str(&plain_step(&code, step.expect_error.as_deref(), needs));
        }
    }
    body
}

/// A step's code in `try`, reporting what it saw (`_report`) whether it raised or not.
fn instrumented_step(code: &str, number: usize, names: &[String]) -> String {
    let names_py = format!(
        "[{}]",
        names
            .iter()
            .map(|n| py_str(n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    format!(
        "_read = None\ntry:\n{}\n    _error = None\nexcept Exception as e:\n    _error = _describe(e)\n    print(_error)\n_report({number}, {names_py}, _error, None if _read is None else str(_read))\n",
        indent(code, 4),
    )
}

/// A step's code as it is, or in `try`/`except` printing the error when the step expects one.
fn plain_step(code: &str, expect_error: Option<&str>, needs: &Needs) -> String {
    let only_comments = code.lines().all(|l| l.trim_start().starts_with('#'));
    match expect_error {
        Some(expected) if !only_comments => {
            let shown = if needs.truncation_guard {
                "str(e) if isinstance(e, TruncatedError) else type(e).__name__ + ': ' + str(e)"
            } else {
                "type(e).__name__ + ': ' + str(e)"
            };
            format!(
                "try:\n{}\nexcept Exception as e:  # expected: {}\n    print({shown})\n",
                indent(code, 4),
                py_comment(expected)
            )
        }
        _ => format!("{code}\n"),
    }
}

/// The script's opening comment, its imports and the helpers its steps use.
fn script_header(lesson: &LoadedLesson, opts: ScriptOptions, needs: &Needs) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# {}\n#\n# Exported by `memmap-tutor export python {}`: the lesson's steps as plain NumPy.\n",
        py_comment(&lesson.lesson.title),
        py_comment(&lesson.source)
    ));
    out.push_str(
        "# Run it in an empty directory: it creates the lesson's files there. Steps that another process performs\n# in the lesson run in a child process made with os.fork(); comments say where Python has no exact equivalent.\n",
    );
    if opts.instrument {
        out.push_str("# Instrumented: after every step it prints one '@@STEP {json}' line for memmap-tutor's cross-check.\n");
    }
    out.push('\n');
    let imports = imports(opts, needs);
    for i in &imports {
        out.push_str(i);
        out.push('\n');
    }
    if !imports.is_empty() {
        out.push('\n');
    }
    out.push_str("import numpy as np\n");
    let helpers = [
        (needs.child, CHILD_HELPER),
        (needs.fork, FORK_HELPER),
        (needs.truncation_guard, TRUNCATION_HELPER),
        (needs.time, WRITEBACK_HELPER),
        (opts.instrument, INSTRUMENT_HELPER),
    ];
    for (_, helper) in helpers.iter().filter(|(needed, _)| *needed) {
        out.push_str(&format!("\n{helper}"));
    }
    out
}

/// The standard-library imports the steps use, in the script's order.
fn imports(opts: ScriptOptions, needs: &Needs) -> Vec<&'static str> {
    let mut imports = Vec::new();
    if needs.os || needs.child || needs.truncation_guard || needs.fork || opts.instrument {
        imports.push("import os");
    }
    if needs.mmap || needs.truncation_guard {
        imports.push("import mmap");
    }
    if needs.child || needs.signal {
        imports.push("import signal");
    }
    if needs.fork {
        imports.push("import pickle");
    }
    if needs.child || needs.fork || opts.instrument {
        imports.push("import sys");
    }
    if needs.time {
        imports.push("import time");
    }
    imports
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(yaml: &str, instrument: bool) -> String {
        let lesson = crate::lesson::load_str("t.yaml", yaml).expect("valid lesson");
        python_script(&lesson, ScriptOptions { instrument })
    }

    const OPS: &str = "title: t\nsteps:\n  - {op: open, file: a.dat, dtype: int16, mode: w+, shape: 4}\n  - {op: assign, value: 1}\n  - {op: flush}\n  - {op: evict}\n  - {op: crash, index: \"arr[1]\", value: 7}\n  - {op: flush_range, offset: 2, length: 2}\n  - {op: close}\n  - {op: evict}\n";

    #[test]
    fn plain_script_uses_os_for_outside_steps_and_no_markers() {
        let s = script(OPS, false);
        assert!(s.contains("\nimport numpy as np\n"), "{s}");
        assert!(!s.contains("@@STEP") && !s.contains("_report("), "{s}");
        // The crash child maps the file read-write, whatever the lesson's mode was.
        assert!(
            s.contains("    arr = np.memmap('a.dat', dtype='int16', mode='r+', shape=(4,))"),
            "{s}"
        );
        assert!(s.contains("os.kill(os.getpid(), signal.SIGKILL)"), "{s}");
        // madvise only while the map is live (step 4), fadvise both times.
        assert_eq!(
            s.matches("arr._mmap.madvise(mmap.MADV_DONTNEED)").count(),
            1,
            "{s}"
        );
        assert_eq!(s.matches("os.POSIX_FADV_DONTNEED)").count(), 2, "{s}");
        assert!(
            s.contains("start = arr.offset % mmap.ALLOCATIONGRANULARITY + 2\n"),
            "{s}"
        );
        // No truncate step: no SIGBUS guard clutters the script.
        assert!(!s.contains("check_not_truncated"), "{s}");
    }

    #[test]
    fn instrumented_script_reports_after_every_step() {
        let s = script(OPS, true);
        assert_eq!(s.matches("\n_report(").count(), 8, "{s}");
        assert!(s.contains("_report(8, ['arr'], _error"), "{s}");
        assert!(
            s.contains("print('@@STEP ' + json.dumps(record), flush=True)"),
            "{s}"
        );
    }

    #[test]
    fn truncation_lessons_get_the_sigbus_guard() {
        let yaml = "title: t\nsteps:\n  - {op: open, file: a.dat, dtype: uint8, mode: w+, shape: 8192}\n  - {op: truncate, size: 0, touch: true}\n  - {op: read, index: \"[0]\", expect_error: truncated}\n";
        let s = script(yaml, false);
        assert!(s.contains("def check_not_truncated(a):"), "{s}");
        assert!(
            s.contains("try:\n    check_not_truncated(arr)\n    print(arr[0])\n"),
            "{s}"
        );
        assert!(
            s.contains("os.ftruncate(fd, 0)") && s.contains("old[past_end]"),
            "{s}"
        );
    }
}
