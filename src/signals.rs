//! Signals and panics: remove the temporary work directory and exit with a documented code.
//!
//! - SIGINT (Ctrl-C), SIGTERM, SIGHUP: removed, exit 130 (a handler thread, `ctrlc`);
//! - SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM: removed, exit 128 + the signal number;
//! - SIGBUS (a mapped file shrank or its filesystem is full where the pre-checks could not see
//!   it coming): a message, removed, exit [`EXIT_SIGBUS`];
//! - a panic (a bug): removed, exit 101;
//! - SIGXFSZ (a `ulimit -f` file-size limit): ignored, as CPython does: the write fails with EFBIG;
//! - SIGKILL cannot be caught: the directory stays, and the next tutor removes it at start-up
//!   (its pid file names a process that is gone; see `workdir::remove_stale_temp_dirs`).
//!
//! With `--workdir` nothing is removed: the directory is the user's.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use std::sync::Mutex;

/// Set once SIGINT/SIGTERM arrived. Long loops may poll it (see [`interrupted`]); the handler
/// itself also exits, so polling is an optimisation, not a requirement.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Temporary work directories to remove if the process is interrupted or panics. A plain list
/// rather than one slot: tests and future commands may hold more than one at a time.
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The traced script's pid while `trace` runs it (0: none): killed if the tutor is interrupted.
static TRACED_CHILD: AtomicI32 = AtomicI32::new(0);

/// Remember (or, with 0, forget) the traced script's pid, so an interrupted tutor ends it and says so.
pub fn set_traced_child(pid: u32) {
    TRACED_CHILD.store(i32::try_from(pid).unwrap_or(0), Ordering::SeqCst);
}

/// Exit code after SIGINT, as shells report it (128 + 2).
pub(crate) const EXIT_INTERRUPTED: i32 = 130;

/// Exit code after a caught SIGBUS: a mapped file could not be backed (it shrank, or the
/// filesystem is full). Not 135, so it is never mistaken for a death by the signal itself.
pub const EXIT_SIGBUS: i32 = 3;

/// Descriptor of the temporary work directory, for the async-signal-safe clean-up (-1: none).
static TEMP_FD: AtomicI32 = AtomicI32::new(-1);
/// Its path, NUL-terminated and leaked on purpose (a signal handler cannot allocate or lock).
static TEMP_PATH: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

/// True once Ctrl-C or SIGTERM was received.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Remember a temporary directory to remove on interruption or panic.
pub fn register_temp_dir(path: PathBuf) {
    if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
        // SAFETY: open(2) of a NUL-terminated path; the fd is kept for the signal handler.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        let old_fd = TEMP_FD.swap(fd, Ordering::SeqCst);
        let old = TEMP_PATH.swap(c.into_raw(), Ordering::SeqCst);
        if old_fd >= 0 {
            // SAFETY: closing a descriptor this module opened.
            unsafe { libc::close(old_fd) };
        }
        if !old.is_null() {
            // SAFETY: `old` came from CString::into_raw above and is no longer reachable.
            drop(unsafe { CString::from_raw(old) });
        }
    }
    if let Ok(mut dirs) = TEMP_DIRS.lock() {
        dirs.push(path);
    }
}

/// Forget a directory (its owner removed it).
pub fn unregister_temp_dir(path: &std::path::Path) {
    let p = TEMP_PATH.load(Ordering::SeqCst);
    // SAFETY: a non-null TEMP_PATH always points to a live CString made by register_temp_dir.
    if !p.is_null()
        && unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes() == path.as_os_str().as_bytes()
    {
        let fd = TEMP_FD.swap(-1, Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: closing a descriptor this module opened.
            unsafe { libc::close(fd) };
        }
        // The path string stays allocated: a handler may be reading it right now.
    }
    if let Ok(mut dirs) = TEMP_DIRS.lock() {
        dirs.retain(|d| d != path);
    }
}

/// Remove the registered temporary directory with raw system calls only (async-signal-safe):
/// unlink every entry (the directory is flat: a lesson cannot make subdirectories), then rmdir.
/// The signal may run this on another thread while the main one still creates a file (the next
/// step's `w+`): rmdir then fails with ENOTEMPTY, and the entries are unlinked again.
fn remove_temp_dir_in_handler() {
    let fd = TEMP_FD.load(Ordering::SeqCst);
    let path = TEMP_PATH.load(Ordering::SeqCst);
    if fd < 0 || path.is_null() {
        return;
    }
    for _ in 0..REMOVE_ATTEMPTS {
        unlink_entries(fd);
        // SAFETY: rmdir of a NUL-terminated path that stays allocated for the process's life.
        if unsafe { libc::rmdir(path) } == 0 {
            return;
        }
    }
}

/// How many times the clean-up tries again when the directory gained an entry meanwhile.
const REMOVE_ATTEMPTS: usize = 50;

/// Unlink every entry of the directory `fd` (raw syscalls only: called from a signal handler).
fn unlink_entries(fd: libc::c_int) {
    // SAFETY: rewind the directory stream of our own fd (a previous pass may have read it to the end).
    unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
    let mut buf = [0u8; 4096];
    for _ in 0..64 {
        // SAFETY: getdents64 fills at most buf.len() bytes of our stack buffer.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
        if n <= 0 {
            break;
        }
        let mut off = 0usize;
        while off + 19 < n as usize {
            // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen == 0 {
                break;
            }
            let name = &buf[off + 19..off + reclen];
            let is_dot = name.starts_with(b".\0") || name.starts_with(b"..\0");
            if !is_dot {
                // SAFETY: d_name is NUL-terminated inside the record; unlinkat is a raw syscall.
                unsafe { libc::unlinkat(fd, name.as_ptr() as *const libc::c_char, 0) };
            }
            off += reclen;
        }
        // SAFETY: rewind the directory stream of our own fd.
        unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
    }
}

/// The handler of SIGBUS and the other catchable terminating signals: say why, clean up, exit.
extern "C" fn on_fatal_signal(sig: libc::c_int) {
    let msg: &[u8] = if sig == libc::SIGBUS {
        b"\nmemmap-tutor: SIGBUS: a mapped file could not be backed - the file shrank under its mapping \
or the filesystem is full. The run stopped; its temporary work directory, if any, was removed (exit 3).\n"
    } else {
        b"\nmemmap-tutor: stopped by a signal; its temporary work directory, if any, was removed\n"
    };
    // SAFETY: write(2) and _exit(2) are async-signal-safe; the clean-up uses raw syscalls only.
    unsafe {
        libc::write(2, msg.as_ptr() as *const libc::c_void, msg.len());
        remove_temp_dir_in_handler();
        libc::_exit(if sig == libc::SIGBUS {
            EXIT_SIGBUS
        } else {
            128 + sig
        });
    }
}

/// Signals that end the run through [`on_fatal_signal`] (SIGINT/SIGTERM/SIGHUP go through ctrlc).
const FATAL_SIGNALS: [libc::c_int; 5] = [
    libc::SIGBUS,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
];

/// Give SIGBUS back its default action (the `truncate` demonstration child must die of it).
pub fn default_sigbus() {
    // SAFETY: restoring the default disposition of one signal.
    unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
}

/// Remove every registered temporary directory; true if there was one. Mappings of files inside stay
/// valid (the kernel keeps unlinked inodes alive until unmapped), so this is safe mid-step.
pub(crate) fn remove_temp_dirs() -> bool {
    // A poisoned lock still holds the list: a panic elsewhere must not stop the clean-up.
    let dirs = match TEMP_DIRS.lock() {
        Ok(mut d) => std::mem::take(&mut *d),
        Err(p) => std::mem::take(&mut *p.into_inner()),
    };
    let any = !dirs.is_empty();
    for d in dirs {
        // The main thread may still be creating a file in it (this runs on the handler's thread):
        // try again while the directory is there, so no directory without its pid file is left.
        for _ in 0..REMOVE_ATTEMPTS {
            if std::fs::remove_dir_all(&d).is_ok() || !d.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
    any
}

/// What an interruption ended, for its message: the traced script (killed now) and the work directory.
fn end_on_interrupt() -> String {
    let mut done = String::new();
    let child = TRACED_CHILD.swap(0, Ordering::SeqCst);
    // SAFETY: kill(2) of the script this process started (its pid is forgotten once it was waited for).
    if child > 0 && unsafe { libc::kill(child, libc::SIGKILL) } == 0 {
        done.push_str(&format!("; the traced script (pid {child}) was killed"));
    }
    if remove_temp_dirs() {
        done.push_str("; the temporary work directory was removed");
    }
    done
}

/// Install the SIGINT/SIGTERM handler and the panic hook. Call once, early in `main`.
///
/// The handler runs on its own thread (the `ctrlc` crate), so it can do ordinary work: it
/// removes the temporary work directory and exits 130 whatever the main thread is doing —
/// filling a large mapping or waiting for Enter in `step`. Exiting unmaps every mapping.
pub fn install() {
    // A file-size limit (`ulimit -f`) must be an error (EFBIG: `OSError: [Errno 27] File too large`
    // in the step, `cannot write output` for -o/stdout), not a death by SIGXFSZ that leaves the
    // temporary directory behind; CPython ignores SIGXFSZ at start-up for the same reason, so a
    // NumPy script meets the same EFBIG.
    // SAFETY: setting one signal's disposition to SIG_IGN.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    for sig in FATAL_SIGNALS {
        // SAFETY: installing a handler that only makes async-signal-safe calls.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_fatal_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let done = end_on_interrupt();
        eprintln!("\nmemmap-tutor: interrupted{done}");
        std::process::exit(EXIT_INTERRUPTED);
    });
    // Unwinding drops the WorkDir (which removes it), but not if the panic happens while
    // unwinding or on another thread; the hook covers those. It runs before unwinding starts.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        remove_temp_dirs();
        default(info);
        eprintln!("memmap-tutor: this is a bug; please report it with the lesson that caused it");
    }));
}

/// Debug builds only: panic here when `MEMMAP_TUTOR_TEST_PANIC` is set, so the tests can check
/// through the real binary that a panic (a bug) still removes the temporary work directory.
pub(crate) fn test_panic_point() {
    #[cfg(debug_assertions)]
    if std::env::var_os("MEMMAP_TUTOR_TEST_PANIC").is_some() {
        panic!("MEMMAP_TUTOR_TEST_PANIC is set: simulated bug");
    }
}
