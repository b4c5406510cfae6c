//! Ctrl-C, SIGTERM and panics: remove the temporary work directory and exit (130 on a signal).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Set once SIGINT/SIGTERM arrived. Long loops may poll it (see [`interrupted`]); the handler
/// itself also exits, so polling is an optimisation, not a requirement.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Temporary work directories to remove if the process is interrupted or panics. A plain list
/// rather than one slot: tests and future commands may hold more than one at a time.
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Exit code after SIGINT, as shells report it (128 + 2).
pub(crate) const EXIT_INTERRUPTED: i32 = 130;

/// True once Ctrl-C or SIGTERM was received.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Remember a temporary directory to remove on interruption or panic.
pub(crate) fn register_temp_dir(path: PathBuf) {
    if let Ok(mut dirs) = TEMP_DIRS.lock() {
        dirs.push(path);
    }
}

/// Forget a directory (its owner removed it).
pub(crate) fn unregister_temp_dir(path: &std::path::Path) {
    if let Ok(mut dirs) = TEMP_DIRS.lock() {
        dirs.retain(|d| d != path);
    }
}

/// Remove every registered temporary directory. Mappings of files inside stay valid (the
/// kernel keeps unlinked inodes alive until unmapped), so this is safe mid-step.
pub(crate) fn remove_temp_dirs() {
    // A poisoned lock still holds the list: a panic elsewhere must not stop the clean-up.
    let dirs = match TEMP_DIRS.lock() {
        Ok(mut d) => std::mem::take(&mut *d),
        Err(p) => std::mem::take(&mut *p.into_inner()),
    };
    for d in dirs {
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// Install the SIGINT/SIGTERM handler and the panic hook. Call once, early in `main`.
///
/// The handler runs on its own thread (the `ctrlc` crate), so it can do ordinary work: it
/// removes the temporary work directory and exits 130 whatever the main thread is doing —
/// filling a large mapping or waiting for Enter in `step`. Exiting unmaps every mapping.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        remove_temp_dirs();
        eprintln!("\nmemmap-tutor: interrupted; the temporary work directory was removed");
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
