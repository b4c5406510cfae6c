//! Another process acting on a lesson's file: the tutor re-executes itself (`memmap-tutor __child TASK`).
//!
//! Why a re-exec and not fork: the tutor may have threads (the Rust runtime, libraries), and only
//! async-signal-safe calls are allowed between fork and exec. The child receives the file as fd 3,
//! inherited from an fd the tutor keeps open for the whole run: the child's exit then never closes
//! the last reference of an open file (which on ext4 can start writeback after a truncation, see
//! `probe::handles`), so the measurements show only what the step itself did.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::rc::Rc;

use memmap2::MmapOptions;
use serde::{Deserialize, Serialize};

use super::array::{check_range, Mapping};
use super::{assign, open, Variable};
use crate::expr::index::parse_index;
use crate::expr::value::parse_value;
use crate::lesson::Mode;
use crate::numpy::dtype::DType;
use crate::trace::ChildRecord;

/// The hidden subcommand name.
pub(crate) const SUBCOMMAND: &str = "__child";
/// The fd number the child finds the file on.
const CHILD_FD: RawFd = 3;
/// A crash child that was never killed gives up after this long (it must not linger if the tutor died).
const CRASH_CHILD_MAX_SECS: u64 = 60;

/// What the child does with the file on fd 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum ChildTask {
    /// pwrite(2) the bytes (hex) at `offset`.
    Write { offset: u64, hex: String },
    /// pread(2) `length` bytes at `offset`.
    Read { offset: u64, length: u64 },
    /// Map the array MAP_SHARED, store `arr[index] = value`, report, then wait to be SIGKILLed.
    Crash {
        dtype: String,
        shape: Vec<usize>,
        strides: Vec<isize>,
        offset: u64,
        index: String,
        value_yaml: String,
    },
    /// ftruncate(2) to `size`; with `touch`, map the old length and read a page past the new end.
    Truncate { size: u64, touch: bool },
}

/// A finished child: its record and what it printed.
pub struct ChildRun {
    pub record: ChildRecord,
    /// Lines of the child's report that start with a key (`read <hex>`, `wrote <hex>`).
    pub lines: Vec<String>,
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

/// Start the child on `file` (passed as fd 3). With `kill_after_first_line`, the child is sent
/// SIGKILL as soon as it has reported its first line (the crash step).
pub fn spawn(
    file: &File,
    task: &ChildTask,
    kill_after_first_line: bool,
) -> Result<ChildRun, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot start a child process: current_exe failed: {e}"))?;
    let json =
        serde_json::to_string(task).map_err(|e| format!("cannot start a child process: {e}"))?;
    let fd = file.as_raw_fd();
    let mut cmd = Command::new(exe);
    cmd.arg(SUBCOMMAND)
        .arg(json)
        .stdin(Stdio::null())
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
    let mut said = Vec::new();
    let mut stdout = child
        .stdout
        .take()
        .map(BufReader::new)
        .ok_or_else(|| "cannot read the child's output".to_string())?;
    if kill_after_first_line {
        let mut line = String::new();
        // Blocks until the child has stored (it prints after the store) or exited (EOF).
        let _ = stdout.read_line(&mut line);
        if !line.trim().is_empty() {
            said.push(line.trim().to_string());
        }
        // SAFETY: plain syscall; `pid` is our own child, not yet waited for, so the pid cannot be reused.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    said.extend(
        rest.lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty()),
    );
    let mut err_text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err_text);
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the child failed: {e}"))?;
    said.extend(
        err_text
            .lines()
            .map(|l| format!("stderr: {}", l.trim()))
            .filter(|l| l.len() > "stderr: ".len()),
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
        said: said
            .iter()
            .filter(|l| !l.starts_with("data "))
            .cloned()
            .collect(),
    };
    Ok(ChildRun {
        record,
        lines: said,
    })
}

/// Entry point of `memmap-tutor __child TASK`; returns the exit code.
pub fn child_main(task_json: &str) -> i32 {
    let task: ChildTask = match serde_json::from_str(task_json) {
        Ok(t) => t,
        Err(e) => {
            println!("error: bad task: {e}");
            return 2;
        }
    };
    // SAFETY: fcntl(F_GETFD) only asks whether fd 3 is open; no memory is involved.
    if unsafe { libc::fcntl(CHILD_FD, libc::F_GETFD) } == -1 {
        println!(
            "error: no file on fd {CHILD_FD} (this subcommand is started by the tutor itself)"
        );
        return 2;
    }
    // SAFETY: fd 3 is open (checked above): the parent passed the file there (see `spawn`), and
    // nothing else in this process owns it.
    let file = unsafe { File::from_raw_fd(CHILD_FD) };
    match run_task(&file, &task) {
        Ok(()) => 0,
        Err(e) => {
            println!("error: {e}");
            1
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    crate::lesson::validate::parse_hex(text)
}

fn run_task(file: &File, task: &ChildTask) -> Result<(), String> {
    let pid = std::process::id();
    match task {
        ChildTask::Write { offset, hex: h } => {
            let data = from_hex(h)?;
            file.write_all_at(&data, *offset)
                .map_err(|e| format!("pwrite failed: {e}"))?;
            say(&format!(
                "pid {pid}: pwrite(2) of {} bytes at offset {offset}",
                data.len()
            ));
            say(&format!("data {}", hex(&data)));
            Ok(())
        }
        ChildTask::Read { offset, length } => {
            let mut buf = vec![0u8; *length as usize];
            let mut got = 0;
            while got < buf.len() {
                match file.read_at(&mut buf[got..], offset + got as u64) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(format!("pread failed: {e}")),
                }
            }
            buf.truncate(got);
            say(&format!(
                "pid {pid}: pread(2) of {length} bytes at offset {offset} returned {got}"
            ));
            say(&format!("data {}", hex(&buf)));
            Ok(())
        }
        ChildTask::Crash {
            dtype,
            shape,
            strides,
            offset,
            index,
            value_yaml,
        } => {
            let dtype = DType::parse(dtype).map_err(|e| e.to_string())?;
            let index = parse_index(index).map_err(|e| format!("index: {e}"))?;
            let yaml: serde_yaml::Value =
                serde_yaml::from_str(value_yaml).map_err(|e| format!("value: {e}"))?;
            let value = parse_value(&yaml).map_err(|e| format!("value: {e}"))?;
            let var = map_shared(file, dtype, shape, strides, *offset)?;
            assign::assign(&var, &index, &value)?;
            say(&format!(
                "pid {pid}: stored {} = {} through its MAP_SHARED mapping; no msync, waiting to be killed",
                index.to_python("arr"),
                value.to_python()
            ));
            // The parent sends SIGKILL now; give up (exit without flushing) if it never does.
            std::thread::sleep(std::time::Duration::from_secs(CRASH_CHILD_MAX_SECS));
            say("not killed: exiting without msync");
            std::process::exit(3);
        }
        ChildTask::Truncate { size, touch } => {
            let old = file
                .metadata()
                .map_err(|e| format!("fstat failed: {e}"))?
                .len();
            file.set_len(*size)
                .map_err(|e| format!("ftruncate failed: {e}"))?;
            say(&format!(
                "pid {pid}: ftruncate(2) from {old} to {size} bytes"
            ));
            if !*touch {
                return Ok(());
            }
            let page = open::page_size() as u64;
            let first_gone = size.div_ceil(page) * page;
            if old == 0 || first_gone >= old {
                say(&format!(
                    "pid {pid}: no whole page of the old length ({old} bytes) lies past the new end: \
                     nothing to touch, no SIGBUS"
                ));
                return Ok(());
            }
            let len = usize::try_from(old).map_err(|_| "the old length is too big".to_string())?;
            // SAFETY: a read-only shared mapping of the old length. Touching its pages past the new
            // EOF raises SIGBUS in this child process — which is the demonstration; the tutor
            // itself never maps past EOF.
            let map = unsafe { MmapOptions::new().len(len).map(file) }
                .map_err(|e| format!("mmap failed: {e}"))?;
            say(&format!(
                "pid {pid}: mapped the old {old} bytes; reading offset {first_gone}, past the new end"
            ));
            // SAFETY: `first_gone < old == len`, so the address is inside the mapping; the only
            // possible fault is SIGBUS (page past EOF), which kills this child by design.
            let byte = unsafe { std::ptr::read_volatile(map.as_ptr().add(first_gone as usize)) };
            say(&format!(
                "pid {pid}: read {byte:#04x} past the end without SIGBUS (unexpected)"
            ));
            Ok(())
        }
    }
}

/// A MAP_SHARED writable view of the array on `file`, built like `open` builds it (mode r+).
fn map_shared(
    file: &File,
    dtype: DType,
    shape: &[usize],
    strides: &[isize],
    offset: u64,
) -> Result<Variable, String> {
    let page = open::page_size() as u64;
    let map_start = offset - offset % page;
    let array_offset = (offset - map_start) as usize;
    let nbytes = super::array::checked_size(shape)
        .and_then(|n| n.checked_mul(dtype.size))
        .ok_or_else(|| "the array is too big".to_string())?;
    let map_len = (array_offset + nbytes).max(1);
    let handle = file.try_clone().map_err(|e| format!("dup failed: {e}"))?;
    check_range(&handle, map_start, map_len)?;
    // SAFETY: the file covers the mapped range (checked just above) and assign re-checks it before
    // writing; only this child maps it here.
    let m = unsafe {
        MmapOptions::new()
            .offset(map_start)
            .len(map_len)
            .map_mut(&handle)
    }
    .map_err(|e| open::os_error(&e, None))?;
    Ok(Variable {
        name: "arr".to_string(),
        file: String::new(),
        path: PathBuf::new(),
        dtype,
        shape: shape.to_vec(),
        strides: strides.to_vec(),
        offset,
        mode: Mode::ReadWrite,
        order: 'C',
        closed: false,
        map: Some(Rc::new(RefCell::new(Mapping::Shared(m)))),
        handle: Some(handle),
        map_start,
        map_len,
        array_offset,
    })
}

/// The hex after `data ` in the child's report, if it printed one.
pub(crate) fn data_line(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("data ").map(|s| s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_round_trip_and_signals_are_named() {
        let t = ChildTask::Truncate {
            size: 0,
            touch: true,
        };
        let json = serde_json::to_string(&t).expect("serialise");
        assert_eq!(json, r#"{"task":"truncate","size":0,"touch":true}"#);
        assert!(matches!(
            serde_json::from_str::<ChildTask>(&json),
            Ok(ChildTask::Truncate {
                size: 0,
                touch: true
            })
        ));
        assert_eq!(signal_name(libc::SIGBUS), "SIGBUS");
        assert_eq!(signal_name(libc::SIGKILL), "SIGKILL");
        assert_eq!(
            data_line(&["pid 1: x".to_string(), "data 00ff".to_string()]),
            Some("00ff".to_string())
        );
    }
}
