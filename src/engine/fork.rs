//! `fork_write`: a worker made with fork(2) — as multiprocessing's `fork` start method makes it — stores through
//! the mapping it inherited and exits. MAP_SHARED: the parent sees the store at once; MAP_PRIVATE (mode `c`):
//! the store lands in the worker's own copy of the page and dies with it.

use super::array::Mapping;
use super::Variable;
use crate::expr::index::IndexExpr;
use crate::expr::value::ValueExpr;
use crate::lesson::Mode;
use crate::trace::{ChildRecord, StepEvent};

/// Fork a worker that performs `v[index] = value` through the inherited mapping; wait for it.
pub(super) fn fork_write(
    v: &Variable,
    index: &IndexExpr,
    value: &ValueExpr,
    progress: super::assign::Progress,
) -> Result<(ChildRecord, StepEvent), String> {
    if v.mode == Mode::ReadOnly {
        // The worker raises NumPy's error (before any store); multiprocessing re-raises it in the parent.
        super::assign::assign(v, index, value, progress)?;
        return Err("ValueError: assignment destination is read-only".to_string());
    }
    v.check_mapped_range()?;
    let file = v.handle.as_ref().ok_or_else(|| v.closed_error())?;
    // The bytes and places of the store, evaluated here with NumPy's casting and errors: the worker itself
    // only copies bytes (after fork a multi-threaded process may do nothing that allocates or locks).
    let planned = super::crash_stores(v, file, index, value, progress)?;
    let (stores, failed) = match planned.error {
        // Nothing stored before NumPy's error: the worker raises it at once.
        Some(error) if planned.stores.is_empty() => return Err(error),
        error => (planned.stores, error),
    };
    let map = v.map.as_ref().ok_or_else(|| v.closed_error())?;
    let (base, len, shared) = {
        let m = map.borrow();
        (m.addr(), m.bytes().len(), matches!(&*m, Mapping::Shared(_)))
    };
    let mut plan: Vec<(usize, *const u8, usize)> = Vec::with_capacity(stores.len());
    for s in &stores {
        if s.at.checked_add(s.data.len()).is_none_or(|end| end > len) {
            return Err("internal: a store outside the mapping".to_string());
        }
        plan.push((base + s.at, s.data.as_ptr(), s.data.len()));
    }
    let bytes: usize = stores.iter().map(|s| s.data.len()).sum();
    // SAFETY: fork(2); the child runs only async-signal-safe code (signal(2), plain memory copies into its
    // own copy of the address space, _exit(2)) and never returns into Rust.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(super::open::os_error(
            &std::io::Error::last_os_error(),
            None,
        ));
    }
    if pid == 0 {
        // SAFETY: in the child: the default action for SIGBUS/SIGSEGV (the parent's handlers would clean up the
        // parent's work directory); each destination lies inside the inherited writable mapping (checked above)
        // and each source in memory allocated before the fork.
        unsafe {
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
            libc::signal(libc::SIGSEGV, libc::SIG_DFL);
            for &(dst, src, n) in &plan {
                std::ptr::copy_nonoverlapping(src, dst as *mut u8, n);
            }
            libc::_exit(0);
        }
    }
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waitpid on the child just forked; status is a valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(super::open::os_error(&e, None));
        }
    }
    let mut record = ChildRecord {
        pid: pid as u32,
        wrote: Some(
            stores
                .iter()
                .map(|s| crate::python::hex(&s.data))
                .collect::<String>(),
        ),
        ..ChildRecord::default()
    };
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        record.signal = Some(sig);
        record.signal_name = Some(super::child::signal_name(sig));
        return Err(format!(
            "the forked worker (pid {pid}) was killed by {} (signal {sig}) while storing: the filesystem could \
             not give it a page",
            super::child::signal_name(sig)
        ));
    }
    record.exit_code = Some(libc::WEXITSTATUS(status));
    if let Some(error) = failed {
        // NumPy's worker stored the elements before the failing one, then raised; the parent re-raises.
        return Err(error);
    }
    record.said.push(format!(
        "stored {bytes} byte{} through its inherited {} mapping, then _exit(0)",
        if bytes == 1 { "" } else { "s" },
        if shared { "MAP_SHARED" } else { "MAP_PRIVATE" }
    ));
    let event = StepEvent::ForkWrote {
        pid: pid as u32,
        var: v.name.clone(),
        bytes,
        shared,
    };
    Ok((record, event))
}
