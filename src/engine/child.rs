//! Another process acting on a lesson's file: the tutor re-executes itself (`memmap-tutor __child -`).
//!
//! Why a re-exec and not fork: the tutor may have threads (the Rust runtime, libraries), and only
//! async-signal-safe calls are allowed between fork and exec. The child receives the file as fd 3,
//! inherited from an fd the tutor keeps open for the whole run: the child's exit then never closes
//! the last reference of an open file (which on ext4 can start writeback after a truncation, see
//! `probe::handles`), so the measurements show only what the step itself did.
//!
//! The protocol is typed both ways: the parent writes one [`ChildTask`] (JSON) on the child's stdin
//! — the parsed action, with a store already evaluated to bytes — and the child answers with one
//! [`ChildEvent`] (JSON) per line on stdout. Nothing is re-parsed from text, nothing decided by
//! looking inside a sentence.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use memmap2::MmapOptions;
use serde::{Deserialize, Serialize};

use super::array::check_range;
use super::open;
use crate::trace::ChildRecord;

/// The hidden subcommand name.
pub const SUBCOMMAND: &str = "__child";
/// The argument telling the child to read its task from stdin.
pub const TASK_ON_STDIN: &str = "-";
/// The fd number the child finds the file on.
const CHILD_FD: RawFd = 3;
/// A crash child that was never killed gives up after this long (it must not linger if the tutor died).
const CRASH_CHILD_MAX_SECS: u64 = 60;

/// How the crashing child maps the file: as the lesson's variable does (NumPy's mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashMap {
    /// `r+`/`w+`: MAP_SHARED, the store reaches the page cache.
    Shared,
    /// `c`: MAP_PRIVATE, the store stays in the child's private copy and dies with it.
    Private,
    /// `r`: read-only; NumPy raises before storing.
    ReadOnly,
}

/// Bytes to store at a position inside the child's mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    /// Offset inside the mapping (which starts at the task's `map_start` in the file).
    pub at: usize,
    pub data: Vec<u8>,
}

/// What the child does with the file on fd 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum ChildTask {
    /// pwrite(2) `data` at `offset`.
    Write { offset: u64, data: Vec<u8> },
    /// pread(2) `length` bytes at `offset`.
    Read { offset: u64, length: u64 },
    /// Map `[map_start, map_start + map_len)` as `map`, apply the stores, report, then wait to be
    /// SIGKILLed. The stores are `arr[index] = value` evaluated by the parent.
    Crash {
        map: CrashMap,
        map_start: u64,
        map_len: usize,
        stores: Vec<Store>,
    },
    /// ftruncate(2) to `size`; with `touch`, map the old length and read a page past the new end.
    Truncate { size: u64, touch: bool },
}

/// What the child reports, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ChildEvent {
    /// pwrite(2) wrote these bytes at `offset`.
    Wrote { offset: u64, data: Vec<u8> },
    /// pread(2) returned these bytes (fewer than asked at EOF).
    Read {
        offset: u64,
        requested: u64,
        data: Vec<u8>,
    },
    /// The stores are in the child's mapping; it now waits to be killed without msync.
    Stored { map: CrashMap, bytes: u64 },
    /// ftruncate(2) changed the length.
    Truncated { from: u64, to: u64 },
    /// About to read `offset`, past the new end, through a mapping of the old length.
    Touching { offset: u64 },
    /// No whole page of the old length lies past the new end: nothing to touch.
    NothingToTouch { old: u64 },
    /// The touch past the end returned a byte (no SIGBUS; unexpected).
    TouchSurvived { byte: u8 },
    /// The task failed; `errno` when a system call refused.
    Failed { errno: Option<i32>, message: String },
}

impl ChildEvent {
    /// One line for the trace's `said` list and error messages.
    pub fn describe(&self, pid: u32) -> String {
        match self {
            ChildEvent::Wrote { offset, data } => format!(
                "pid {pid}: pwrite(2) of {} bytes at offset {offset}",
                data.len()
            ),
            ChildEvent::Read {
                offset,
                requested,
                data,
            } => format!(
                "pid {pid}: pread(2) of {requested} bytes at offset {offset} returned {}",
                data.len()
            ),
            ChildEvent::Stored { map, bytes } => format!(
                "pid {pid}: stored {bytes} bytes through its {} mapping; no msync, waiting to be killed",
                match map {
                    CrashMap::Shared => "MAP_SHARED",
                    CrashMap::Private => "MAP_PRIVATE (copy-on-write)",
                    CrashMap::ReadOnly => "read-only",
                }
            ),
            ChildEvent::Truncated { from, to } => {
                format!("pid {pid}: ftruncate(2) from {from} to {to} bytes")
            }
            ChildEvent::Touching { offset } => format!(
                "pid {pid}: mapped the old length; reading offset {offset}, past the new end"
            ),
            ChildEvent::NothingToTouch { old } => format!(
                "pid {pid}: no whole page of the old length ({old} bytes) lies past the new end: nothing to touch, no SIGBUS"
            ),
            ChildEvent::TouchSurvived { byte } => format!(
                "pid {pid}: read {byte:#04x} past the end without SIGBUS (unexpected)"
            ),
            ChildEvent::Failed { message, .. } => format!("pid {pid}: error: {message}"),
        }
    }
}

/// A finished child: its record and its typed events.
pub struct ChildRun {
    pub record: ChildRecord,
    pub events: Vec<ChildEvent>,
}

impl ChildRun {
    /// The failure the child reported, if any.
    pub fn failure(&self) -> Option<&str> {
        self.events.iter().find_map(|e| match e {
            ChildEvent::Failed { message, .. } => Some(message.as_str()),
            _ => None,
        })
    }

    /// Why the child did not do its task, for an error step: its own failure, its death, or
    /// what it said on stderr.
    pub fn why(&self) -> String {
        if let Some(f) = self.failure() {
            return f.to_string();
        }
        if let Some(sig) = self.record.signal {
            return format!("it died of {} (signal {sig})", signal_name(sig));
        }
        if self.record.said.is_empty() {
            format!("it exited with code {:?}", self.record.exit_code)
        } else {
            self.record.said.join("; ")
        }
    }
}

/// Signal names for the signals a lesson can meet.
pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGKILL => "SIGKILL".to_string(),
        libc::SIGBUS => "SIGBUS".to_string(),
        libc::SIGSEGV => "SIGSEGV".to_string(),
        libc::SIGABRT => "SIGABRT".to_string(),
        libc::SIGTERM => "SIGTERM".to_string(),
        other => format!("signal {other}"),
    }
}

/// Start the child on `file` (passed as fd 3), send it `task`, and collect its events. With
/// `kill_after_first_event`, the child is sent SIGKILL as soon as it has reported once (crash).
pub fn spawn(
    file: &File,
    task: &ChildTask,
    kill_after_first_event: bool,
) -> Result<ChildRun, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot start a child process: current_exe failed: {e}"))?;
    let json =
        serde_json::to_string(task).map_err(|e| format!("cannot start a child process: {e}"))?;
    let fd = file.as_raw_fd();
    let mut cmd = Command::new(exe);
    cmd.arg(SUBCOMMAND)
        .arg(TASK_ON_STDIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec and calls only dup2 and fcntl,
    // which are async-signal-safe; it touches no memory shared with other threads.
    unsafe {
        cmd.pre_exec(move || {
            if fd == CHILD_FD {
                // dup2 to itself keeps FD_CLOEXEC; clear it so fd 3 survives exec.
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, CHILD_FD) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start a child process: {e}"))?;
    let pid = child.id();
    if let Some(mut stdin) = child.stdin.take() {
        // A child that died at once closes the pipe: its status says why, below.
        let _ = stdin
            .write_all(json.as_bytes())
            .and_then(|_| stdin.write_all(b"\n"));
    }
    let mut stdout = child
        .stdout
        .take()
        .map(BufReader::new)
        .ok_or_else(|| "cannot read the child's output".to_string())?;
    let mut lines = Vec::new();
    if kill_after_first_event {
        let mut line = String::new();
        // Blocks until the child has reported (after its store) or exited (EOF).
        let _ = stdout.read_line(&mut line);
        lines.push(line);
        // SAFETY: plain syscall; `pid` is our own child, not yet waited for, so the pid cannot be reused.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    lines.extend(rest.lines().map(str::to_string));
    let mut err_text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err_text);
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the child failed: {e}"))?;
    let mut events = Vec::new();
    let mut said = Vec::new();
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        match serde_json::from_str::<ChildEvent>(line) {
            Ok(ev) => {
                said.push(ev.describe(pid));
                events.push(ev);
            }
            Err(_) => said.push(format!("unexpected output: {line}")),
        }
    }
    said.extend(
        err_text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| format!("stderr: {l}")),
    );
    let signal = status.signal();
    let record = ChildRecord {
        pid,
        exit_code: status.code(),
        signal,
        signal_name: signal.map(signal_name),
        wrote: None,
        read: None,
        read_values: None,
        said,
    };
    Ok(ChildRun { record, events })
}

/// Entry point of `memmap-tutor __child -`; returns the exit code. The task comes on stdin.
pub fn child_main(task_arg: &str) -> i32 {
    // The tutor's SIGBUS handler was installed before the command line was read; the child of a
    // `truncate` with `touch` must die of SIGBUS, as the demonstration says.
    crate::signals::default_sigbus();
    let mut text = String::new();
    let task: Result<ChildTask, String> = if task_arg == TASK_ON_STDIN {
        std::io::stdin()
            .lock()
            .read_line(&mut text)
            .map_err(|e| e.to_string())
            .and_then(|_| serde_json::from_str(&text).map_err(|e| e.to_string()))
    } else {
        Err("this subcommand is started by the tutor itself, with its task on stdin".to_string())
    };
    let task = match task {
        Ok(t) => t,
        Err(e) => {
            report(&ChildEvent::Failed {
                errno: None,
                message: format!("bad task: {e}"),
            });
            return 2;
        }
    };
    // SAFETY: fcntl(F_GETFD) only asks whether fd 3 is open; no memory is involved.
    if unsafe { libc::fcntl(CHILD_FD, libc::F_GETFD) } == -1 {
        report(&ChildEvent::Failed {
            errno: Some(libc::EBADF),
            message: format!("no file on fd {CHILD_FD}"),
        });
        return 2;
    }
    // SAFETY: fd 3 is open (checked above): the parent passed the file there (see `spawn`), and
    // nothing else in this process owns it.
    let file = unsafe { File::from_raw_fd(CHILD_FD) };
    match run_task(&file, &task) {
        Ok(()) => 0,
        Err(ev) => {
            report(&ev);
            1
        }
    }
}

/// Write one event line and flush it (the parent may be waiting for exactly this line).
fn report(ev: &ChildEvent) {
    let mut out = std::io::stdout().lock();
    if let Ok(json) = serde_json::to_string(ev) {
        let _ = writeln!(out, "{json}");
    }
    let _ = out.flush();
}

/// A failed system call as an event.
fn failed(what: &str, e: &std::io::Error) -> ChildEvent {
    ChildEvent::Failed {
        errno: e.raw_os_error(),
        message: format!("{what} failed: {}", open::os_error(e, None)),
    }
}

fn run_task(file: &File, task: &ChildTask) -> Result<(), ChildEvent> {
    match task {
        ChildTask::Write { offset, data } => {
            file.write_all_at(data, *offset)
                .map_err(|e| failed("pwrite(2)", &e))?;
            report(&ChildEvent::Wrote {
                offset: *offset,
                data: data.clone(),
            });
            Ok(())
        }
        ChildTask::Read { offset, length } => {
            let len = usize::try_from(*length)
                .ok()
                .filter(|&l| l <= super::MAX_CHILD_BYTES)
                .ok_or_else(|| ChildEvent::Failed {
                    errno: Some(libc::EINVAL),
                    message: format!("a read of {length} bytes is more than this tutor reads"),
                })?;
            let mut buf = vec![0u8; len];
            let mut got = 0;
            while got < buf.len() {
                match file.read_at(&mut buf[got..], offset + got as u64) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(failed("pread(2)", &e)),
                }
            }
            buf.truncate(got);
            report(&ChildEvent::Read {
                offset: *offset,
                requested: *length,
                data: buf,
            });
            Ok(())
        }
        ChildTask::Crash {
            map,
            map_start,
            map_len,
            stores,
        } => crash(file, *map, *map_start, *map_len, stores),
        ChildTask::Truncate { size, touch } => truncate(file, *size, *touch),
    }
}

/// Map like the lesson's variable, store, report, and wait for the SIGKILL.
fn crash(
    file: &File,
    map: CrashMap,
    map_start: u64,
    map_len: usize,
    stores: &[Store],
) -> Result<(), ChildEvent> {
    if map == CrashMap::ReadOnly {
        // NumPy checks the destination before storing anything.
        return Err(ChildEvent::Failed {
            errno: None,
            message: "ValueError: assignment destination is read-only".to_string(),
        });
    }
    // The child's own `np.memmap(file, mode='r+')` grows a file shorter than the array (one NUL at
    // the last byte, as the parent's `open` did); mode 'c' cannot map past the end.
    let len = file.metadata().map_err(|e| failed("fstat(2)", &e))?.len();
    let need = map_start.saturating_add(map_len as u64);
    if len < need {
        if map != CrashMap::Shared {
            return Err(ChildEvent::Failed {
                errno: None,
                message: "ValueError: mmap length is greater than file size".to_string(),
            });
        }
        std::os::unix::fs::FileExt::write_at(file, &[0], need - 1)
            .map_err(|e| failed("pwrite(2)", &e))?;
    }
    if !stores.is_empty() {
        // A store into a page wholly past EOF would be SIGBUS; nothing to store touches nothing.
        check_range(file, map_start, map_len).map_err(|message| ChildEvent::Failed {
            errno: None,
            message,
        })?;
    }
    let mut opts = MmapOptions::new();
    opts.offset(map_start).len(map_len);
    // SAFETY: every page a store touches holds part of the file (checked just above); only this child maps it,
    // and the stores are populated first (MADV_POPULATE_WRITE) so a full disk is an error, not SIGBUS.
    let mut m = match map {
        CrashMap::Shared => unsafe { opts.map_mut(file) },
        _ => unsafe { opts.map_copy(file) },
    }
    .map_err(|e| failed("mmap(2)", &e))?;
    let mut bytes = 0u64;
    for s in stores {
        let end =
            s.at.checked_add(s.data.len())
                .filter(|&e| e <= m.len())
                .ok_or_else(|| ChildEvent::Failed {
                    errno: Some(libc::EINVAL),
                    message: "a store lies outside the mapping".to_string(),
                })?;
        // A page the filesystem cannot give (full disk, EFAULT from the populate) is said as such.
        super::populate_write(m.as_mut_ptr() as usize, s.at, s.data.len()).map_err(|e| {
            ChildEvent::Failed {
                errno: e.raw_os_error(),
                message: super::populate_error(&e),
            }
        })?;
        m[s.at..end].copy_from_slice(&s.data);
        bytes += s.data.len() as u64;
    }
    report(&ChildEvent::Stored { map, bytes });
    // The parent sends SIGKILL now; give up (exit without flushing) if it never does.
    std::thread::sleep(std::time::Duration::from_secs(CRASH_CHILD_MAX_SECS));
    std::process::exit(3);
}

/// Shrink the file; with `touch`, read past the new end through a mapping of the old length.
fn truncate(file: &File, size: u64, touch: bool) -> Result<(), ChildEvent> {
    let old = file.metadata().map_err(|e| failed("fstat(2)", &e))?.len();
    file.set_len(size).map_err(|e| failed("ftruncate(2)", &e))?;
    report(&ChildEvent::Truncated {
        from: old,
        to: size,
    });
    if !touch {
        return Ok(());
    }
    let page = open::page_size() as u64;
    let first_gone = size.div_ceil(page) * page;
    if old == 0 || first_gone >= old {
        report(&ChildEvent::NothingToTouch { old });
        return Ok(());
    }
    let len = usize::try_from(old).map_err(|_| ChildEvent::Failed {
        errno: Some(libc::EOVERFLOW),
        message: "the old length is too big to map".to_string(),
    })?;
    // SAFETY: a read-only shared mapping of the old length. Touching its pages past the new
    // EOF raises SIGBUS in this child process — which is the demonstration; the tutor
    // itself never maps past EOF.
    let map =
        unsafe { MmapOptions::new().len(len).map(file) }.map_err(|e| failed("mmap(2)", &e))?;
    report(&ChildEvent::Touching { offset: first_gone });
    // SAFETY: `first_gone < old == len`, so the address is inside the mapping; the only
    // possible fault is SIGBUS (page past EOF), which kills this child by design.
    let byte = unsafe { std::ptr::read_volatile(map.as_ptr().add(first_gone as usize)) };
    report(&ChildEvent::TouchSurvived { byte });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_and_events_round_trip_as_typed_json() {
        let t = ChildTask::Truncate {
            size: 0,
            touch: true,
        };
        let json = serde_json::to_string(&t).expect("serialise");
        assert_eq!(json, r#"{"task":"truncate","size":0,"touch":true}"#);
        assert_eq!(serde_json::from_str::<ChildTask>(&json).ok(), Some(t));
        let w = ChildTask::Write {
            offset: 4,
            data: vec![0, 255],
        };
        let json = serde_json::to_string(&w).expect("serialise");
        assert_eq!(json, r#"{"task":"write","offset":4,"data":[0,255]}"#);
        let ev = ChildEvent::Read {
            offset: 0,
            requested: 4,
            data: vec![1, 2],
        };
        let json = serde_json::to_string(&ev).expect("serialise");
        assert_eq!(serde_json::from_str::<ChildEvent>(&json).ok(), Some(ev));
        assert_eq!(signal_name(libc::SIGBUS), "SIGBUS");
        assert_eq!(signal_name(libc::SIGKILL), "SIGKILL");
    }
}
