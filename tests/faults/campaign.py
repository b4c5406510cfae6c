#!/usr/bin/env python3
"""Run-time faults against the real binary: random (lesson, fault, moment) combinations, invariants checked.

Driven by tests/faults.rs (`cargo test --test faults`); by hand:
    python3 tests/faults/campaign.py --tutor target/debug/memmap-tutor --cases 200 --seed 7 [-v] [--only KIND]

Each case generates a valid lesson (1-3 arrays on new files; every op that maps, stores, flushes, forks, reads
from outside, truncates, advises or scans), picks a command (`run` as text or JSON, `step` driven line by line,
`verify`, or `run -o FILE`), a place (a `--workdir` holding the user's files, or the default temporary directory
through TMPDIR) on a filesystem (a plain directory, a small tmpfs, a small loop-mounted ext4 — the mounts need
root; without them those cases are skipped with the reason printed), and one fault at one moment:
  * fill: another process fills the filesystem (between two steps of `step`, or at a random time in `run`);
  * truncate: another process shrinks (or empties) one of the lesson's files;
  * swap: a lesson file replaced by a symlink leading out, a hard link to an outside file, a FIFO, a character
    device (/dev/null, /dev/zero), a directory, another file renamed over it, or removed; the work directory
    itself renamed and replaced by a symlink to an outside directory;
  * signal: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGALRM, SIGPIPE, SIGTSTP (then SIGCONT) or SIGKILL at a
    random moment;
  * second: a second tutor started on the same work directory;
  * stdout: the reader of stdout goes away after a few bytes (EPIPE), or stdout is /dev/full.
The invariants (a failure prints the case, its seed and how to replay it):
  * never a panic (exit 101, "panicked at") nor a death by a signal (other than the SIGKILL sent);
  * the exit code is one the README documents for what happened: 0 (an error step, or a clear message),
    1 for `verify`/a write error on output, 2 for a second tutor or a refused lesson, 3 for a caught SIGBUS,
    130 for SIGINT/SIGTERM/SIGHUP, 128+n for SIGQUIT/SIGUSR1/SIGALRM; between steps of `step`, a truncation or
    a full disk is an error step (exit 0), never a SIGBUS;
  * TMPDIR holds no `memmap-tutor-*` directory afterwards (after SIGKILL: once the next tutor has started);
  * nothing outside the work directory changed (bytes, mtime, names), a symlink's or hard link's target included;
  * the user's files in `--workdir` are unchanged (bytes and mtime) — no case passes --overwrite.
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

DTYPES = [("uint8", 1), ("int16", 2), ("float32", 4), ("float64", 8)]
SIGNALS = {
    "SIGINT": (signal.SIGINT, {130}),
    "SIGTERM": (signal.SIGTERM, {130}),
    "SIGHUP": (signal.SIGHUP, {130}),
    "SIGQUIT": (signal.SIGQUIT, {128 + signal.SIGQUIT}),
    "SIGUSR1": (signal.SIGUSR1, {128 + signal.SIGUSR1}),
    "SIGALRM": (signal.SIGALRM, {128 + signal.SIGALRM}),
    "SIGPIPE": (signal.SIGPIPE, set()),
    "SIGTSTP": (signal.SIGTSTP, set()),
    "SIGKILL": (signal.SIGKILL, {-signal.SIGKILL}),
}
EXIT_SIGBUS = 3


# ---------------------------------------------------------------------------------------------------------------
# Lessons


class Var:
    def __init__(self, name, file, dtype, size, n, mode):
        self.name, self.file, self.dtype, self.size, self.n, self.mode = name, file, dtype, size, n, mode
        self.open = True


def gen_lesson(rng):
    """A valid lesson: (yaml text, list of the files it creates)."""
    steps = []
    nvars = rng.randint(1, 3)
    vars_ = []
    for i in range(nvars):
        dtype, size = rng.choice(DTYPES)
        n = rng.choice([1, 7, 1024, 4096, 5000]) // size * size // size or 1
        n = max(1, rng.choice([3, 100, 1024, 2048, 4096, 6000]) // size)
        v = Var("v%d" % i, "f%d.dat" % i, dtype, size, n, "w+")
        vars_.append(v)
        steps.append("{op: open, var: %s, file: %s, dtype: %s, mode: w+, shape: %d}" % (v.name, v.file, dtype, n))
    for _ in range(rng.randint(3, 12)):
        v = rng.choice(vars_)
        if not v.open:
            mode = rng.choice(["r+", "r", "c"])
            steps.append("{op: reopen, var: %s, mode: '%s'}" % (v.name, mode))
            v.open, v.mode = True, mode
            continue
        lo = rng.randrange(v.n)
        hi = rng.randint(lo + 1, v.n)
        idx = '"[%d:%d]"' % (lo, hi)
        op = rng.choice(["assign", "assign", "read", "flush", "fork_write", "crash", "external_write",
                         "external_read", "madvise", "scan", "flush_range", "evict", "close", "truncate",
                         "flush_async"])
        if op == "assign":
            steps.append("{op: assign, var: %s, index: %s, value: %d}" % (v.name, idx, rng.randint(0, 100)))
        elif op == "read":
            steps.append("{op: read, var: %s, index: %s}" % (v.name, idx))
        elif op in ("flush", "evict", "flush_async"):
            steps.append("{op: %s, var: %s}" % (op, v.name))
        elif op in ("fork_write", "crash"):
            steps.append("{op: %s, var: %s, index: %s, value: %d}" % (op, v.name, idx, rng.randint(0, 100)))
        elif op == "external_write":
            off = rng.randrange(v.n) * v.size
            steps.append("{op: external_write, var: %s, offset: %d, value: [1, 2]}" % (v.name, off))
        elif op == "external_read":
            steps.append("{op: external_read, var: %s, offset: %d, length: 16}" % (v.name, rng.randrange(v.n * v.size)))
        elif op == "madvise":
            adv = rng.choice(["MADV_WILLNEED", "MADV_DONTNEED", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_NORMAL"])
            steps.append("{op: madvise, var: %s, advice: %s}" % (v.name, adv))
        elif op == "scan":
            steps.append("{op: scan, var: %s, chunk: %d, release: %s}"
                         % (v.name, rng.choice([1, 512, 4096]), rng.choice(["keep", "dontneed", "recreate"])))
        elif op == "flush_range":
            steps.append("{op: flush_range, var: %s, offset: 0, length: %d}" % (v.name, v.n * v.size))
        elif op == "close":
            steps.append("{op: close, var: %s}" % v.name)
            v.open = False
        elif op == "truncate":
            steps.append("{op: truncate, var: %s, size: %d, touch: %s}"
                         % (v.name, rng.randrange(v.n * v.size), rng.choice(["false", "true"])))
    text = "title: fault case\nsteps:\n" + "".join("  - %s\n" % s for s in steps)
    return text, [v.file for v in vars_], len(steps)


# ---------------------------------------------------------------------------------------------------------------
# Filesystems


class Mounts:
    """The small filesystems of the campaign (mounted once; emptied between cases)."""

    def __init__(self, base, verbose):
        self.base = base
        self.available = {"dir": os.path.join(base, "plain")}
        os.makedirs(self.available["dir"])
        self.mounted = []
        self.loop_image = None
        self.reasons = []
        tm = os.path.join(base, "tmpfs")
        os.makedirs(tm)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", tm],
                           capture_output=True, text=True)
        if r.returncode == 0:
            self.available["tmpfs"] = tm
            self.mounted.append(tm)
        else:
            self.reasons.append("skip: no small tmpfs (mount needs root): %s" % r.stderr.strip())
        ext = os.path.join(base, "ext4")
        os.makedirs(ext)
        img = os.path.join(base, "ext4.img")
        try:
            with open(img, "wb") as f:
                f.truncate(8 << 20)
            mk = subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", img], capture_output=True, text=True)
            if mk.returncode != 0:
                raise OSError("mkfs.ext4: %s" % mk.stderr.strip())
            r = subprocess.run(["mount", "-o", "loop", img, ext], capture_output=True, text=True)
            if r.returncode != 0:
                raise OSError("mount -o loop: %s" % r.stderr.strip())
            shutil.rmtree(os.path.join(ext, "lost+found"), ignore_errors=True)
            self.available["ext4"] = ext
            self.mounted.append(ext)
            self.loop_image = img
        except (OSError, FileNotFoundError) as e:
            self.reasons.append("skip: no small loop ext4: %s" % e)
        for why in self.reasons:
            print(why)

    def clean(self):
        for path in self.available.values():
            for name in os.listdir(path):
                p = os.path.join(path, name)
                try:
                    if os.path.isdir(p) and not os.path.islink(p):
                        os.chmod(p, 0o755)
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                except OSError:
                    subprocess.run(["rm", "-rf", p])

    def close(self):
        for m in self.mounted:
            subprocess.run(["umount", "-l", m], capture_output=True)


SMALL_FS_MAX = 64 << 20


def fill(dir_):
    """Fill the filesystem holding dir_ until write(2) says ENOSPC — only a small one the campaign mounted:
    never the machine's own disk, whatever the caller asks."""
    st = os.statvfs(dir_)
    if st.f_blocks * st.f_frsize > SMALL_FS_MAX or os.stat(dir_).st_dev == os.stat("/").st_dev:
        raise SystemExit("refusing to fill %s: not a small filesystem of this campaign" % dir_)
    path = os.path.join(dir_, ".filler")
    try:
        with open(path, "ab") as f:
            chunk = b"\xab" * 65536
            while True:
                try:
                    f.write(chunk)
                    f.flush()
                except OSError:
                    break
            for size in (4096, 512, 1):
                try:
                    while True:
                        f.write(b"\xab" * size)
                        f.flush()
                except OSError:
                    pass
            try:
                os.fsync(f.fileno())
            except OSError:
                pass
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------------------------
# Snapshots


def fingerprint(root):
    """name -> (kind, bytes hash, mtime_ns, mode) of everything under root (symlinks not followed)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            rel = os.path.relpath(p, root)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
                out[rel] = ("file", h, st.st_mtime_ns, st.st_mode, st.st_size)
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p), st.st_mtime_ns)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", st.st_mtime_ns, st.st_mode)
            else:
                out[rel] = ("other", st.st_mode)
    return out


def tutor_dirs(tmp):
    try:
        return sorted(n for n in os.listdir(tmp) if n.startswith("memmap-tutor-"))
    except OSError:
        return []


# ---------------------------------------------------------------------------------------------------------------
# Faults


def pick_fault(rng, place, fs, only):
    kinds = ["none", "fill", "truncate", "swap", "signal", "second", "stdout"]
    if fs == "dir":
        kinds.remove("fill")  # only the small mounted filesystems are ever filled
    if only:
        kinds = [k for k in kinds if k == only] or ["none"]
    kind = rng.choice(kinds)
    if kind == "swap":
        swaps = ["symlink_out", "hardlink_out", "fifo", "devnull", "devzero", "dir", "rename_over", "unlink",
                 "symlink_in"]
        if place == "workdir":
            swaps.append("workdir_symlink")
        return (kind, rng.choice(swaps))
    if kind == "signal":
        return (kind, rng.choice(list(SIGNALS)))
    if kind == "truncate":
        return (kind, rng.choice([0, 1, 4095, 4096, 5000]))
    if kind == "stdout":
        return (kind, rng.choice(["epipe", "devfull"]))
    return (kind, None)


def inject(fault, ctx, files, rng):
    """Perform the fault now; returns what was done (for the report)."""
    kind, arg = fault
    wd = ctx["workdir_now"]()
    if kind == "fill":
        fill(ctx["fsroot"])
        return "filled the filesystem"
    if wd is None:
        return "no work directory yet"
    name = rng.choice([f for f in files if os.path.lexists(os.path.join(wd, f))] or files)
    target = os.path.join(wd, name)
    if kind == "truncate":
        try:
            os.truncate(target, arg)
            return "truncated %s to %d" % (name, arg)
        except OSError as e:
            return "truncate failed: %s" % e
    if kind == "swap":
        out = ctx["outside"]
        try:
            if arg == "workdir_symlink":
                os.rename(wd, wd + ".moved")
                os.symlink(os.path.join(out, "victim_dir"), wd)
                return "work directory renamed, a symlink to outside put in its place"
            if os.path.lexists(target):
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                else:
                    os.unlink(target)
            if arg == "symlink_out":
                os.symlink(os.path.join(out, "victim.dat"), target)
            elif arg == "symlink_in":
                others = [f for f in files if f != name] or ["missing.dat"]
                os.symlink(others[0], target)
            elif arg == "hardlink_out":
                os.link(ctx["hardlink_victim"], target)
            elif arg == "fifo":
                os.mkfifo(target)
            elif arg == "devnull":
                os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            elif arg == "devzero":
                os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
            elif arg == "dir":
                os.mkdir(target)
            elif arg == "rename_over":
                tmp = target + ".new"
                with open(tmp, "wb") as f:
                    f.write(b"\x11" * 8192)
                os.rename(tmp, target)
            elif arg == "unlink":
                pass
            return "%s: %s" % (arg, name)
        except OSError as e:
            return "swap %s failed: %s" % (arg, e)
    return "nothing"


# ---------------------------------------------------------------------------------------------------------------
# One case


def run_case(tutor, rng, case, mounts, root, verbose, only):
    lesson, files, nsteps = gen_lesson(rng)
    fs = rng.choice(sorted(mounts.available))
    place = rng.choice(["workdir", "temp"])
    command = rng.choice(["run_text", "run_json", "step", "step", "verify", "run_out"])
    if only == "fill":
        fs = rng.choice(sorted(k for k in mounts.available if k != "dir") or ["dir"])
    fault = pick_fault(rng, place, fs, only)
    if fault[0] == "stdout" and command == "step":
        command = "run_text"
    moment = rng.randint(1, nsteps)  # before step `moment` (step mode) ...
    delay = rng.uniform(0.0, 0.6)  # ... or this many seconds after start (others)

    fsroot = mounts.available[fs]
    mounts.clean()
    case_dir = os.path.join(root, "case")
    if os.path.exists(case_dir):
        subprocess.run(["rm", "-rf", case_dir])
    cwd = os.path.join(case_dir, "cwd")
    outside = os.path.join(case_dir, "outside")
    os.makedirs(cwd)
    os.makedirs(os.path.join(outside, "victim_dir"))
    with open(os.path.join(outside, "victim.dat"), "wb") as f:
        f.write(b"outside file: must never change\n" * 200)
    with open(os.path.join(outside, "victim_dir", "keep.txt"), "wb") as f:
        f.write(b"keep\n")
    # A hard link target must be on the same filesystem as the work directory.
    hl_dir = os.path.join(fsroot, "outside_hl")
    os.makedirs(hl_dir)
    hardlink_victim = os.path.join(hl_dir, "victim.dat")
    with open(hardlink_victim, "wb") as f:
        f.write(b"outside (hard link): must never change\n" * 200)
    lesson_path = os.path.join(cwd, "lesson.yaml")
    with open(lesson_path, "w") as f:
        f.write(lesson)
    tmp = os.path.join(fsroot, "tmp") if place == "temp" else os.path.join(case_dir, "tmp")
    os.makedirs(tmp, exist_ok=True)
    workdir = os.path.join(fsroot, "work")
    user_files = {}
    if place == "workdir":
        os.makedirs(workdir)
        for name, data in (("user.dat", b"\x01\x02" * 3000), ("notes.txt", b"my notes\n")):
            with open(os.path.join(workdir, name), "wb") as f:
                f.write(data)
        user_files = {n: None for n in ("user.dat", "notes.txt")}
    snap_outside = fingerprint(outside)
    snap_hl = fingerprint(hl_dir)
    snap_users = {k: v for k, v in fingerprint(workdir).items() if k in user_files} if user_files else {}
    snap_cwd = fingerprint(cwd)

    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1", COLUMNS="100")
    env.pop("MEMMAP_TUTOR_WORKDIR", None)
    argv = [tutor]
    out_file = None
    if command == "run_text":
        argv += ["run", lesson_path, "--view", "table", "--no-pager"]
    elif command == "run_json":
        argv += ["run", lesson_path, "--format", "json"]
    elif command == "run_out":
        out_file = os.path.join(cwd, "trace.json")
        argv += ["run", lesson_path, "--format", "json", "-o", out_file]
    elif command == "step":
        argv += ["step", lesson_path]
    else:
        argv += ["verify", lesson_path]
    if place == "workdir":
        argv += ["--workdir", workdir]

    holder = {"dir": None}

    def workdir_now():
        if place == "workdir":
            return workdir if os.path.isdir(workdir) else None
        if holder["dir"] is None:
            names = tutor_dirs(tmp)
            if names:
                holder["dir"] = os.path.join(tmp, names[0])
        return holder["dir"]

    ctx = {"fsroot": fsroot, "outside": outside, "hardlink_victim": hardlink_victim, "workdir_now": workdir_now}
    stdout_target = subprocess.PIPE
    devfull = None
    if fault == ("stdout", "devfull"):
        devfull = open("/dev/full", "wb")
        stdout_target = devfull
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=stdout_target,
                            stderr=subprocess.PIPE)
    out_chunks, err_chunks = [], []
    stop_reading = threading.Event()

    def reader(stream, sink, limit=None):
        total = 0
        while True:
            b = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not b:
                break
            sink.append(b)
            total += len(b)
            if limit is not None and total >= limit:
                stream.close()  # the reader goes away: the tutor's next write gets EPIPE
                return

    threads = []
    if proc.stdout is not None:
        limit = 64 if fault == ("stdout", "epipe") else None
        threads.append(threading.Thread(target=reader, args=(proc.stdout, out_chunks, limit), daemon=True))
    threads.append(threading.Thread(target=reader, args=(proc.stderr, err_chunks), daemon=True))
    for t in threads:
        t.start()

    def text():
        return b"".join(out_chunks).decode("utf-8", "replace")

    done = "nothing"
    second = None
    sent = None
    deadline = time.time() + 120
    if command == "step":
        prompts = 0
        while proc.poll() is None and time.time() < deadline:
            seen = text().count("[Enter] ")
            if seen > prompts:
                prompts = seen
                if prompts == moment and fault[0] in ("fill", "truncate", "swap"):
                    done = inject(fault, ctx, files, rng)
                elif prompts == moment and fault[0] == "second":
                    second = subprocess.run([tutor, "run", lesson_path, "--format", "json"]
                                            + (["--workdir", workdir] if place == "workdir" else []),
                                            cwd=cwd, env=env, capture_output=True, timeout=120)
                    done = "second tutor exit %s" % second.returncode
                elif prompts == moment and fault[0] == "signal":
                    sent = fault[1]
                    send_signal(proc, fault[1])
                    done = "sent %s before step %d" % (fault[1], moment)
                try:
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    pass
            time.sleep(0.01)
    else:
        try:
            proc.stdin.close()
        except OSError:
            pass
        time.sleep(delay)
        if proc.poll() is None or fault[0] in ("fill", "truncate", "swap"):
            if fault[0] in ("fill", "truncate", "swap"):
                done = inject(fault, ctx, files, rng)
            elif fault[0] == "second":
                second = subprocess.run([tutor, "run", lesson_path, "--format", "json"]
                                        + (["--workdir", workdir] if place == "workdir" else []),
                                        cwd=cwd, env=env, capture_output=True, timeout=120)
                done = "second tutor exit %s" % second.returncode
            elif fault[0] == "signal" and proc.poll() is None:
                sent = fault[1]
                send_signal(proc, fault[1])
                done = "sent %s after %.2f s" % (fault[1], delay)
    try:
        rc = proc.wait(timeout=max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
        return fail(case, "timed out (hung) after %s" % done, argv, lesson, text(), err_chunks, fault, fs, place)
    for t in threads:
        t.join(timeout=5)
    if devfull:
        devfull.close()
    err = b"".join(err_chunks).decode("utf-8", "replace")
    out = text()

    # ------------------------------------------------------------------ the invariants
    problems = []
    allowed = {0}
    if command == "verify":
        allowed.add(1)
    if fault[0] == "stdout":
        allowed |= {1}  # a write error on the output, said as a message
    if fault[0] == "second":
        allowed.add(2)  # the second tutor might have won the lock
    if sent:
        allowed |= SIGNALS[sent][1]
    if fault[0] in ("truncate", "swap") and command != "step":
        allowed.add(EXIT_SIGBUS)  # a truncation at the wrong moment: caught, documented
    if fault[0] == "fill" and command != "step":
        allowed.add(EXIT_SIGBUS)
    if command != "step" and place == "workdir" and fault[0] in ("fill", "swap") and (
            "was already in" in err or "cannot be reached inside" in err or "bytes free" in err):
        allowed.add(2)  # the fault came before the pre-flight, which refused the lesson (nothing touched)
    if rc not in allowed:
        problems.append("exit %s not in %s" % (rc, sorted(allowed)))
    if rc == 101 or "panicked at" in err:
        problems.append("panicked")
    if rc < 0 and sent != "SIGKILL":
        problems.append("died of signal %d" % -rc)
    if rc == EXIT_SIGBUS and "SIGBUS" not in err:
        problems.append("exit 3 without the SIGBUS message")
    if second is not None:
        if second.returncode not in (0, 2) or b"panicked" in second.stderr:
            problems.append("the second tutor: exit %s: %s" % (second.returncode, second.stderr[-300:]))
        if place == "workdir" and second.returncode == 2 and b"another memmap-tutor is running" not in \
                second.stderr and b"already in" not in second.stderr:
            problems.append("the second tutor refused without saying why: %s" % second.stderr[-300:])
    left = tutor_dirs(tmp)
    if left and sent == "SIGKILL":
        # The next tutor removes a stale directory of a tutor that is gone.
        subprocess.run([tutor, "run", "--view", "table", "--no-pager"], cwd=cwd, env=env, capture_output=True,
                       timeout=120)
        left = tutor_dirs(tmp)
    if left:
        problems.append("temporary directories left in TMPDIR: %s" % left)
    if fingerprint(outside) != snap_outside:
        problems.append("a file outside the work directory changed: %s" % diff(snap_outside, fingerprint(outside)))
    if fingerprint(hl_dir) != snap_hl:
        problems.append("the hard-linked outside file changed")
    if user_files:
        now = {k: v for k, v in fingerprint(workdir + ".moved" if os.path.isdir(workdir + ".moved")
                                             and not os.path.isdir(workdir) else workdir).items()
               if k in user_files}
        if os.path.islink(workdir):
            now = {k: v for k, v in fingerprint(workdir + ".moved").items() if k in user_files}
        if now != snap_users:
            problems.append("a user's file in --workdir changed: %s" % diff(snap_users, now))
    cwd_now = {k: v for k, v in fingerprint(cwd).items() if k != "trace.json"}
    if cwd_now != snap_cwd:
        problems.append("the current directory changed: %s" % diff(snap_cwd, cwd_now))
    if verbose:
        print("case %d: %s %s %s fault=%s moment=%s delay=%.2f -> rc=%s (%s)"
              % (case, fs, place, command, fault, moment, delay, rc, done))
    if problems:
        return fail(case, "; ".join(problems) + " [after: %s]" % done, argv, lesson, out, err_chunks, fault, fs,
                    place)
    return True


def send_signal(proc, name):
    sig = SIGNALS[name][0]
    try:
        proc.send_signal(sig)
        if name == "SIGTSTP":
            time.sleep(0.2)
            proc.send_signal(signal.SIGCONT)
    except ProcessLookupError:
        pass


def diff(a, b):
    keys = sorted(set(a) | set(b))
    return ", ".join("%s: %s -> %s" % (k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k))[:600]


def fail(case, why, argv, lesson, out, err_chunks, fault, fs, place):
    err = b"".join(err_chunks).decode("utf-8", "replace") if isinstance(err_chunks, list) else err_chunks
    print("FAIL case %d (%s on %s, %s): %s" % (case, fault, fs, place, why))
    print("  command: %s" % " ".join(argv[1:]))
    print("  lesson:\n    " + lesson.replace("\n", "\n    "))
    print("  stderr (end): %s" % err[-800:].replace("\n", "\n    "))
    print("  stdout (end): %s" % out[-400:].replace("\n", "\n    "))
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tutor", required=True)
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", help="one fault kind: none, fill, truncate, swap, signal, second, stdout")
    ap.add_argument("--first", type=int, default=0, help="the first case number (to replay one case)")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    # A SIGTERM/SIGINT (a test harness timing out, Ctrl-C) still unmounts and removes everything.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    root = tempfile.mkdtemp(prefix="faults-campaign-")
    os.chmod(root, 0o755)
    mounts = Mounts(os.path.join(root, "fs"), a.v)
    failed = 0
    try:
        for case in range(a.first, a.first + a.cases):
            rng = random.Random("%d:%d" % (a.seed, case))
            if not run_case(os.path.abspath(a.tutor), rng, case, mounts, root, a.v, a.only):
                failed += 1
                print("  replay: python3 tests/faults/campaign.py --tutor %s --seed %d --first %d --cases 1 -v"
                      % (a.tutor, a.seed, case))
    finally:
        mounts.close()
        subprocess.run(["rm", "-rf", root])
    print("fault cases: %d, broke an invariant: %d" % (a.cases, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
