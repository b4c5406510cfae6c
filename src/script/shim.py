# memmap-tutor trace shim: runs a user's script under sys.settrace and pauses after every finished line of
# the script's own file, reporting metadata only (never array data: reading it would fault pages in).
#
# Protocol (JSON lines): this process writes messages on fd MEMMAP_TUTOR_OUT and, after a pause message,
# reads one reply line on fd MEMMAP_TUTOR_IN: "c" continue, "s" stop tracing (run on untraced).
# The script's fd 1 is a pipe the tutor reads; sys.stdout is flushed before every message, so what a line
# printed (print, os.write(1, ...), C code, subprocesses that finished) is read before its step.
# Events: the shim watches, without changing anything the program sees, for mmap() calls (the audit event
# "mmap.__new__") and calls of np.memmap.flush (a Python frame, seen by the trace function).
import json
import os
import sys
import weakref

_out = os.fdopen(int(os.environ["MEMMAP_TUTOR_OUT"]), "w", buffering=1)
_in = os.fdopen(int(os.environ["MEMMAP_TUTOR_IN"]), "r")
_every = max(1, int(os.environ.get("MEMMAP_TUTOR_EVERY", "1")))
_top_level = os.environ.get("MEMMAP_TUTOR_TOP_LEVEL") == "1"
_script = os.path.abspath(sys.argv[1])


_forked = False


def _send(msg):
    _send_raw(json.dumps(msg))


def _send_raw(line):
    """One message: a line of JSON."""
    if _forked:
        return
    try:
        _out.write(line + "\n")
        _out.flush()
    except (BrokenPipeError, OSError):
        os._exit(130)


def _reply():
    if _forked:
        return "s"
    try:
        line = _in.readline()
    except (OSError, KeyboardInterrupt):
        os._exit(130)
    if not line:
        # The tutor went away (Ctrl-C): end quietly.
        os._exit(130)
    return line.strip()


try:
    import mmap
    import numpy as np
except BaseException as e:  # noqa: BLE001 - any import failure means "no NumPy"
    _send({"t": "no_numpy", "error": "%s: %s" % (type(e).__name__, e)})
    sys.exit(3)


def _flush_stdout():
    # The program's own stdout object: flushing it is what exit would do anyway; it writes nothing new.
    out, orig = sys.stdout, sys.__stdout__
    for f in (out,) if out is orig else (out, orig):
        try:
            if f is not None:
                f.flush()
        except Exception:  # noqa: BLE001 - a closed or odd stdout is the program's business
            pass


_events = []


def _audit(event, args):
    if event == "mmap.__new__" and not _stopped and not _forked:
        _events.append("mmap")


def _take_events():
    global _events
    taken, _events = _events, []
    return taken


def _forked_child():
    # A child made with os.fork() is another process: it must neither pause nor write on the tutor's pipes.
    global _forked
    _forked = True
    _stop_tracing()
    for f in (_out, _in):
        try:
            os.close(f.fileno())
        except OSError:
            pass


os.register_at_fork(after_in_child=_forked_child)

_count = 0
_stopped = False
_main = None


def _root_memmap(a):
    """The np.memmap whose base is the mmap, and whether the base chain reaches an mmap at all."""
    b = a
    while b is not None:
        base = getattr(b, "base", None)
        if isinstance(base, mmap.mmap):
            return (b if isinstance(b, np.memmap) else None), True
        b = base
    return None, False


# Caches that make a pause cost little when nothing changed. They hold no array: an array's data address
# (fixed for the object's life: NumPy 2 refuses to assign `.data`) is kept beside a weak reference that
# tells a live object from a new one at a recycled id; dtypes are immutable and held by the cache itself.
_addr_cache = {}
_dtype_cache = {}
_json_cache = {}


def _addr(v):
    hit = _addr_cache.get(id(v))
    if hit is not None and hit[0]() is v:
        return hit[1]
    addr = v.__array_interface__["data"][0]
    if len(_addr_cache) > 4096:
        for k in [k for k, (r, _) in _addr_cache.items() if r() is None]:
            del _addr_cache[k]
    try:
        _addr_cache[id(v)] = (weakref.ref(v), addr)
    except TypeError:  # an object that takes no weak reference is simply not cached
        pass
    return addr


def _dtype_names(dt):
    hit = _dtype_cache.get(id(dt))
    if hit is None or hit[0] is not dt:
        hit = (dt, dt.str, dt.name)
        if len(_dtype_cache) > 4096:
            _dtype_cache.clear()
        _dtype_cache[id(dt)] = hit
    return hit[1], hit[2]


def _describe(name, v):
    """One mapped array as a JSON object, or None when it is not mapped (its base chain has no mmap)."""
    root, mapped = _root_memmap(v)
    if not mapped:
        return None
    try:
        addr = _addr(v)
    except Exception:  # noqa: BLE001
        return None
    flags = v.flags
    dtype_str, dtype_name = _dtype_names(v.dtype)
    key = (
        name,
        type(v),
        dtype_str,
        dtype_name,
        v.shape,
        v.strides,
        addr,
        getattr(root, "mode", None),
        getattr(root, "filename", None),
        flags.f_contiguous and not flags.c_contiguous,
        flags.writeable,
    )
    try:
        text = _json_cache.get(key)
    except TypeError:  # a mode or file name the program replaced with something unhashable
        text, key = None, None
    if text is None:
        text = json.dumps(
            {
                "name": name,
                "cls": type(v).__name__,
                "dtype": dtype_str,
                "dtype_name": dtype_name,
                "shape": list(v.shape),
                "strides": list(v.strides),
                "addr": addr,
                "nbytes": int(v.nbytes),
                "mode": getattr(root, "mode", None),
                "filename": getattr(root, "filename", None),
                "order": "F" if flags.f_contiguous and not flags.c_contiguous else "C",
                "writeable": bool(flags.writeable),
            },
            default=str,
        )
        if key is not None:
            if len(_json_cache) > 4096:
                _json_cache.clear()
            _json_cache[key] = text
    return text


def _arrays(frame):
    """Every mapped array in scope (locals of the frame over the script's globals) as a JSON array."""
    local = None
    if frame is not None:
        local = frame.f_locals
        if local is _main:
            local = None
    out = []
    ndarray = np.ndarray
    if _main is not None:
        for name, v in _main.items():
            if local is not None and name in local:
                v = local[name]
            if isinstance(v, ndarray) and not name.startswith("__"):
                text = _describe(name, v)
                if text is not None:
                    out.append(text)
    if local is not None:
        for name, v in local.items():
            if isinstance(v, ndarray) and (_main is None or name not in _main) and not name.startswith("__"):
                text = _describe(name, v)
                if text is not None:
                    out.append(text)
    return "[" + ", ".join(out) + "]"


def _stop_tracing():
    global _stopped
    _stopped = True
    sys.settrace(None)
    f = sys._getframe()
    while f is not None:
        f.f_trace = None
        f = f.f_back


def _pause(lineno, frame, func):
    global _count
    _count += 1
    if (_count - 1) % _every:
        return
    _flush_stdout()
    _send_raw(
        '{"t": "line", "line": %d, "func": %s, "count": %d, "arrays": %s, "events": %s}'
        % (lineno, json.dumps(func), _count, _arrays(frame), json.dumps(_take_events()))
    )
    if _reply() == "s":
        _stop_tracing()


def _traced(code):
    if code.co_filename != _script:
        return False
    if _top_level:
        return code.co_name == "<module>"
    # Comprehensions, lambdas and generator expressions are parts of their line, not lines of their own.
    return code.co_name == "<module>" or not code.co_name.startswith("<")


_flush_code = np.memmap.flush.__code__


def _global_trace(frame, event, arg):
    if _stopped or event != "call":
        return None
    if frame.f_code is _flush_code:
        _events.append("flush")
        return None
    if not _traced(frame.f_code):
        return None
    state = {"last": None, "raising": False}
    func = frame.f_code.co_name

    def local(frame, event, arg):
        if _stopped:
            return None
        if event == "line":
            if state["last"] is not None and not state["raising"]:
                _pause(state["last"], frame, func)
            state["raising"] = False
            state["last"] = frame.f_lineno
        elif event == "exception":
            state["raising"] = True
        elif event == "return":
            if state["last"] is not None and not state["raising"]:
                _pause(state["last"], frame, func)
            state["last"] = None
        return None if _stopped else local

    return local


def _failing_line(tb):
    """The innermost traceback entry in the script's file: (line, frame)."""
    found = (None, None)
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _script:
            found = (tb.tb_lineno, tb.tb_frame)
        tb = tb.tb_next
    return found


def main():
    global _main
    import traceback

    with open(_script, "rb") as f:
        source = f.read()
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(_script)
    _main = {"__name__": "__main__", "__file__": _script, "__builtins__": __builtins__}
    _send(
        {
            "t": "hello",
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "granularity": mmap.ALLOCATIONGRANULARITY,
        }
    )
    sys.addaudithook(_audit)
    exit_code = 0
    try:
        code = compile(source, _script, "exec")
        sys.settrace(_global_trace)
        try:
            exec(code, _main)
        finally:
            sys.settrace(None)
    except SystemExit as e:
        exit_code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:  # noqa: BLE001 - the script's error is the trace's last step
        line, frame = _failing_line(e.__traceback__)
        if isinstance(e, SyntaxError) and e.filename == _script:
            line = e.lineno
        message = "".join(traceback.format_exception_only(type(e), e)).strip()
        if not _stopped:
            _flush_stdout()
            _send(
                {
                    "t": "error",
                    "line": line,
                    "func": frame.f_code.co_name if frame is not None else None,
                    "error": message,
                    "arrays": json.loads(_arrays(frame)),
                    "events": _take_events(),
                }
            )
            _reply()
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != _script:
            tb = tb.tb_next  # the shim's own frames are not the script's traceback
        traceback.print_exception(type(e), e, tb, file=sys.stderr)
        _flush_stdout()
        _send({"t": "end", "exit": 1, "error": message, "line": line})
        return 1
    _flush_stdout()
    _send({"t": "end", "exit": exit_code})
    return exit_code


sys.exit(main())
