//! A user's Python script run by the real `python3` under the tracer shim (`shim.py`): the child process and
//! the messages it sends. The shim reports metadata only; all measuring is done from outside (`runner::script`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde::Deserialize;

/// The tracer shim, run with `python3 -c`.
const SHIM: &str = include_str!("shim.py");

/// How to run the script.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    /// The script, as given.
    pub script: PathBuf,
    /// Its arguments (`sys.argv[1:]`).
    pub args: Vec<String>,
    /// The interpreter (`python3`, or `$PYTHON`).
    pub python: String,
    /// Report every Nth finished line only (1: every line).
    pub every: usize,
    /// Only lines of the module's top level, not function bodies.
    pub top_level: bool,
    /// The directory the script runs in (None: the tutor's current directory).
    pub cwd: Option<PathBuf>,
}

/// Why the script could not be traced.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// python3 or NumPy is missing, or the script cannot be read: exit 2.
    #[error("{0}")]
    Missing(String),
    /// Talking to the child failed.
    #[error("{0}")]
    Io(String),
}

/// One mapped array in the script's scope, as the shim describes it (no data).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ArrayMeta {
    pub name: String,
    /// `memmap`, `ndarray`, …
    pub cls: String,
    /// NumPy's `dtype.str`, e.g. `<f4`.
    pub dtype: String,
    /// NumPy's `dtype.name`, e.g. `float32`.
    pub dtype_name: String,
    pub shape: Vec<usize>,
    /// Byte strides.
    pub strides: Vec<isize>,
    /// Address of the first element in the child.
    pub addr: usize,
    pub nbytes: u64,
    /// The mode of the np.memmap at the root of its base chain (None for a raw mmap).
    pub mode: Option<String>,
    /// That memmap's file name (absolute).
    pub filename: Option<String>,
    pub order: String,
    pub writeable: bool,
}

/// A message from the shim.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Message {
    /// The child started; the script is about to run.
    Hello {
        pid: u32,
        python: String,
        numpy: String,
    },
    /// NumPy (or mmap) cannot be imported.
    NoNumpy { error: String },
    /// Line `line` finished; the child waits for a reply.
    Line {
        line: usize,
        func: String,
        /// Finished lines so far (with `--every`, more than the steps reported).
        count: u64,
        arrays: Vec<ArrayMeta>,
        /// What the shim saw the program do since the previous message (see [`Event`]).
        #[serde(default)]
        events: Vec<Event>,
    },
    /// An uncaught exception raised at `line`; the child waits for a reply, then ends.
    Error {
        line: Option<usize>,
        func: Option<String>,
        error: String,
        arrays: Vec<ArrayMeta>,
        #[serde(default)]
        events: Vec<Event>,
    },
    /// The script ended (the child exits with `exit`).
    End {
        exit: i32,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        line: Option<usize>,
    },
}

/// A call the shim saw the program make (it observes; it changes nothing the program sees).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `mmap.mmap(...)` ran (Python's audit event `mmap.__new__`; np.memmap, np.load and open_memmap make one).
    Mmap,
    /// `np.memmap.flush` was called (its Python frame started).
    Flush,
}

/// Bytes of the script's fd 1 kept between two steps (the rest is counted).
const PRINTED_KEEP: usize = 65536;

/// What the script wrote to its fd 1 since the last [`ScriptChild::take_output`].
#[derive(Default)]
struct Printed {
    kept: Vec<u8>,
    dropped: u64,
}

impl Printed {
    fn push(&mut self, b: &[u8]) {
        let room = PRINTED_KEEP.saturating_sub(self.kept.len()).min(b.len());
        self.kept.extend_from_slice(&b[..room]);
        self.dropped += (b.len() - room) as u64;
    }
    fn take(&mut self) -> String {
        let mut s = String::from_utf8_lossy(&self.kept).into_owned();
        if self.dropped > 0 {
            s.push_str(&format!("\n… ({} more bytes)", self.dropped));
        }
        *self = Printed::default();
        s
    }
}

/// The running child, its two control pipes and its fd 1 (a pipe the tutor drains between pauses).
pub struct ScriptChild {
    child: Child,
    from: File,
    /// Bytes of the control pipe not yet split into messages.
    pending: Vec<u8>,
    from_eof: bool,
    /// The read end of the script's fd 1 (non-blocking); None after its EOF.
    out: Option<File>,
    printed: Printed,
    to: File,
}

/// Make reads of `f` return WouldBlock instead of waiting.
fn set_nonblocking(f: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl(2) on an fd this process owns.
    let flags = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0
        || unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A pipe with both ends close-on-exec: (read end, write end).
fn pipe() -> io::Result<(File, File)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    // SAFETY: pipe2 writes two fds into the valid two-element array.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds were just created by pipe2 and are owned by nobody else.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

impl ScriptChild {
    /// Start `python3 -c SHIM SCRIPT ARGS…` in the current directory.
    pub fn spawn(opts: &ScriptOptions) -> Result<ScriptChild, ScriptError> {
        use std::os::fd::AsRawFd;
        let io_err = |e: io::Error| ScriptError::Io(format!("cannot create a pipe: {e}"));
        let (from_child, child_out) = pipe().map_err(io_err)?;
        let (child_in, to_child) = pipe().map_err(io_err)?;
        let (out_read, out_write) = pipe().map_err(io_err)?;
        set_nonblocking(&out_read).map_err(io_err)?;
        let (out_fd, in_fd) = (child_out.as_raw_fd(), child_in.as_raw_fd());
        let mut cmd = Command::new(&opts.python);
        if let Some(dir) = &opts.cwd {
            cmd.current_dir(dir);
        }
        cmd.arg("-c")
            .arg(SHIM)
            .arg(&opts.script)
            .args(&opts.args)
            .env("MEMMAP_TUTOR_OUT", out_fd.to_string())
            .env("MEMMAP_TUTOR_IN", in_fd.to_string())
            .env("MEMMAP_TUTOR_EVERY", opts.every.max(1).to_string())
            .env(
                "MEMMAP_TUTOR_TOP_LEVEL",
                if opts.top_level { "1" } else { "0" },
            )
            // Everything written to fd 1 (print, os.write(1, …), C code, subprocesses) reaches the tutor, which
            // reads it between pauses: the output of each line lands in its step.
            .stdout(Stdio::from(out_write));
        // SAFETY: between fork and exec only async-signal-safe calls (fcntl, prctl, getppid) run, on fds
        // this process owns; nothing allocates.
        unsafe {
            cmd.pre_exec(move || {
                for fd in [out_fd, in_fd] {
                    if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                // The script must not outlive a tutor that was killed.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                ScriptError::Missing(format!(
                    "`{}` was not found: `trace` runs your script with the real Python 3 and NumPy \
                     (install python3, or name the interpreter with PYTHON=...)",
                    opts.python
                ))
            } else {
                ScriptError::Missing(format!("`{}` cannot be started: {e}", opts.python))
            }
        })?;
        // Our copies of the child's ends must close, or EOF never comes.
        drop(child_out);
        drop(child_in);
        drop(cmd);
        Ok(ScriptChild {
            child,
            from: from_child,
            pending: Vec::new(),
            from_eof: false,
            out: Some(out_read),
            printed: Printed::default(),
            to: to_child,
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next message, or None when the child closed its pipe (it ended or was killed). Everything the
    /// script wrote to fd 1 before it sent the message has been read when this returns (it wrote that first).
    pub fn receive(&mut self) -> Result<Option<Message>, ScriptError> {
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                self.drain_output();
                return serde_json::from_slice(&line).map(Some).map_err(|e| {
                    ScriptError::Io(format!(
                        "the tracer sent a message the tutor cannot read: {e}"
                    ))
                });
            }
            if self.from_eof {
                self.drain_output();
                return Ok(None);
            }
            self.wait_readable()
                .map_err(|e| ScriptError::Io(format!("reading from the tracer failed: {e}")))?;
        }
    }

    /// What the script wrote to fd 1 since the last call.
    pub fn take_output(&mut self) -> String {
        self.printed.take()
    }

    /// Block until the control pipe or fd 1 has something, and read it (fd 1 is read as it comes, so a
    /// script printing more than a pipe holds never blocks while the tutor waits for its message).
    fn wait_readable(&mut self) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let out_fd = self.out.as_ref().map_or(-1, |f| f.as_raw_fd());
        let mut fds = [
            libc::pollfd {
                fd: self.from.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: out_fd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: poll(2) on an array of two initialised pollfd structs (fd -1 is ignored by the kernel).
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e)
            };
        }
        if fds[1].revents != 0 {
            self.drain_output();
        }
        if fds[0].revents != 0 {
            let mut buf = [0u8; 65536];
            match self.from.read(&mut buf) {
                Ok(0) => self.from_eof = true,
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Read whatever fd 1 holds now, without waiting.
    fn drain_output(&mut self) {
        let mut buf = [0u8; 65536];
        while let Some(f) = self.out.as_mut() {
            match f.read(&mut buf) {
                Ok(0) => self.out = None,
                Ok(n) => self.printed.push(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // WouldBlock: nothing more for now; another error: the pipe is unusable, stop reading it.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => self.out = None,
            }
        }
    }

    /// Let the paused child go on; with `trace_on` false it runs the rest untraced.
    pub fn resume(&mut self, trace_on: bool) -> Result<(), ScriptError> {
        let reply: &[u8] = if trace_on { b"c\n" } else { b"s\n" };
        match self.to.write_all(reply).and_then(|_| self.to.flush()) {
            Ok(()) => Ok(()),
            // The child already ended: the next read says so.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(ScriptError::Io(format!(
                "writing to the tracer failed: {e}"
            ))),
        }
    }

    /// Wait for the child to exit: its exit code, or the signal that killed it as a negative number. What it
    /// wrote to fd 1 at exit (atexit handlers) is read then, for [`take_output`](Self::take_output).
    pub fn wait(&mut self) -> Result<i32, ScriptError> {
        use std::os::unix::process::ExitStatusExt;
        let status = self
            .child
            .wait()
            .map_err(|e| ScriptError::Io(format!("waiting for the script failed: {e}")))?;
        self.drain_output();
        Ok(status
            .code()
            .unwrap_or_else(|| -status.signal().unwrap_or(0)))
    }
}

impl Drop for ScriptChild {
    fn drop(&mut self) {
        // A child still running when the tutor gives up (an error mid-trace) is ended, not left behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The script's source lines (for the Action column), or why it cannot be read.
pub fn read_source(script: &Path) -> Result<Vec<String>, ScriptError> {
    let bytes = std::fs::read(script).map_err(|e| {
        ScriptError::Missing(format!("{}: cannot read the script: {e}", script.display()))
    })?;
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_string)
        .collect())
}
