//! A user's Python script run by the real `python3` under the tracer shim (`shim.py`): the child process and
//! the messages it sends. The shim reports metadata only; all measuring is done from outside (`runner::script`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
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
        /// What the script printed since the previous message.
        out: String,
    },
    /// An uncaught exception raised at `line`; the child waits for a reply, then ends.
    Error {
        line: Option<usize>,
        func: Option<String>,
        error: String,
        arrays: Vec<ArrayMeta>,
        out: String,
    },
    /// The script ended (the child exits with `exit`).
    End {
        exit: i32,
        out: String,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        line: Option<usize>,
    },
}

/// The running child and its two pipes.
pub struct ScriptChild {
    child: Child,
    from: BufReader<File>,
    to: File,
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
            // fd 1 writes that bypass sys.stdout (C code, subprocesses) go to stderr, never into the trace.
            .stdout(Stdio::from(io::stderr()));
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
        Ok(ScriptChild {
            child,
            from: BufReader::new(from_child),
            to: to_child,
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next message, or None when the child closed its pipe (it ended or was killed).
    pub fn receive(&mut self) -> Result<Option<Message>, ScriptError> {
        let mut line = String::new();
        match self.from.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => serde_json::from_str(&line).map(Some).map_err(|e| {
                ScriptError::Io(format!(
                    "the tracer sent a message the tutor cannot read: {e}"
                ))
            }),
            Err(e) => Err(ScriptError::Io(format!(
                "reading from the tracer failed: {e}"
            ))),
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

    /// Wait for the child to exit: its exit code, or the signal that killed it as a negative number.
    pub fn wait(mut self) -> Result<i32, ScriptError> {
        use std::os::unix::process::ExitStatusExt;
        let status = self
            .child
            .wait()
            .map_err(|e| ScriptError::Io(format!("waiting for the script failed: {e}")))?;
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
