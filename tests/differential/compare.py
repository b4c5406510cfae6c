"""Run a lesson through the tutor and through the NumPy interpreter, and compare what each recorded.

`check(lesson, tutor)` returns a Result: the list of differences (each a dict with step, op, what, tutor, numpy) and a
root-cause bucket, the key of the first difference (later ones are mostly its consequences).
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

import npinterp
from gen import to_yaml

TUTOR_TIMEOUT = 120


def run_numpy(lesson, workdir):
    """Interpret the lesson in a forked child, so a SIGBUS (a mapping past the end of its file) cannot kill us."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            data = json.dumps(npinterp.interpret(lesson, workdir))
        except BaseException as e:  # report, never raise in the child
            data = json.dumps({"crash": "interpreter: %s" % npinterp.fmt_err(e)})
        b = data.encode()
        while b:
            n = os.write(w, b)
            b = b[n:]
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        c = os.read(r, 1 << 20)
        if not c:
            break
        chunks.append(c)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return {"crash": "NumPy process killed by signal %d" % os.WTERMSIG(status)}
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"crash": "NumPy process wrote no report"}


def run_tutor(lesson_path, workdir, tutor):
    p = subprocess.run(
        [tutor, "run", lesson_path, "--format", "json", "--workdir", workdir],
        capture_output=True,
        timeout=TUTOR_TIMEOUT,
    )
    if p.returncode != 0:
        return {"exit": p.returncode, "stderr": p.stderr.decode(errors="replace").strip()}
    try:
        trace = json.loads(p.stdout)
    except ValueError as e:
        return {"exit": p.returncode, "stderr": "unparsable JSON trace: %s" % e}
    files = {}
    for root, _dirs, fnames in os.walk(workdir):
        for fn in fnames:
            path = os.path.join(root, fn)
            with open(path, "rb") as f:
                files[os.path.relpath(path, workdir)] = f.read().hex()
    return {"exit": 0, "trace": trace, "files": files}


def err_type(e):
    if e is None:
        return "none"
    return e.split(":", 1)[0]


def kind_of_repr(r):
    m = re.match(r"[a-z.]+[(]", r or "")
    return m.group(0)[:-1] if m else "scalar"


def refusal_kind(msg):
    """A short, stable description of why the tutor refused a lesson."""
    from gen import COMPLEX_DTYPES, F16_DTYPES, LONGDOUBLE_DTYPES

    m = re.search(r"dtype '([^']*)' is a NumPy", msg) or re.search(r"data type '([^']*)' not understood", msg)
    if m:
        name = m.group(1)
        fam = ("float16" if name in F16_DTYPES else "complex" if name in COMPLEX_DTYPES else
               "longdouble" if name in LONGDOUBLE_DTYPES else repr(name))
        return "dtype %s not understood" % fam
    m = re.search(r"unsupported (dtype )?`(?:np\.|numpy\.)?([^`(]*)", msg)
    if m:
        name = m.group(2)
        fam = ("float16" if name in F16_DTYPES else "complex" if name in COMPLEX_DTYPES + ["complex64", "complex128",
               "csingle", "cdouble"] else "longdouble" if name in LONGDOUBLE_DTYPES else repr(name))
        return "unsupported %s" % fam
    tail = msg.split(": ", 2)[-1]
    return re.sub(r"`[^`]*`|'[^']*'|\d+", "_", tail)[:80]


def lesson_yaml(lesson):
    """The lesson as YAML, written by the generator that made it (gen2's lessons say so with `_gen`)."""
    if lesson.get("_gen") == "gen2":
        import gen2

        return gen2.to_yaml(lesson)
    return to_yaml(lesson)


class Result:
    def __init__(self, lesson, steps, diffs, refused=None, numpy=None, tutor=None):
        self.lesson = lesson
        self.steps = steps
        self.diffs = diffs
        self.refused = refused
        self.numpy = numpy
        self.tutor = tutor

    @property
    def bucket(self):
        return self.diffs[0]["bucket"] if self.diffs else None


def compare(lesson, npres, tres):
    diffs = []

    def add(step, op, what, t, n, bucket):
        diffs.append({"step": step, "op": op, "what": what, "tutor": t, "numpy": n, "bucket": bucket})

    if "crash" in npres:
        add(0, "-", "numpy interpreter", None, npres["crash"], "skipped: " + npres["crash"][:60])
        return diffs
    nsteps = npres["steps"]
    if tres["exit"] != 0:
        first_np_err = next((i + 1 for i, s in enumerate(nsteps) if s["error"]), None)
        msg = tres["stderr"]
        m = re.search(r"step (\d+)", msg)
        at = int(m.group(1)) if m else None
        np_err = nsteps[at - 1]["error"] if at and at <= len(nsteps) else None
        how = "NumPy runs it" if first_np_err is None else (
            "NumPy raises %s at that step" % err_type(np_err) if np_err else "NumPy raises at another step")
        add(at or 0, "-", "refused at load (exit %d)" % tres["exit"], msg, np_err,
            "refused at load: %s" % refusal_kind(msg))
        diffs[-1]["numpy_at_that_step"] = how
        return diffs
    tsteps = tres["trace"]["steps"]
    if len(tsteps) != len(nsteps):
        add(0, "-", "step count", len(tsteps), len(nsteps), "step count differs")
    for i, (t, n) in enumerate(zip(tsteps, nsteps)):
        sn, op = i + 1, n["op"]
        if n["error"] == npinterp.ANY_ERROR and t.get("error"):
            pass
        elif op == "evict" and n["error"] is None and (t.get("error") or "").startswith("evict:"):
            pass  # the tutor's documented precondition (no dirty pages): no NumPy counterpart
        elif op == "crash" and n["error"] and (t.get("error") or "").endswith(n["error"]):
            pass  # the tutor frames the child's NumPy error ("the crashing process failed before storing: ...")
        elif t.get("error") != n["error"]:
            te, ne = err_type(t.get("error")), err_type(n["error"])
            b = "%s: error %s (tutor) vs %s (NumPy)" % (op, te, ne) if te != ne else "%s: %s message differs" % (op, te)
            add(sn, op, "error", t.get("error"), n["error"], b)
        tr, nr = t.get("read"), n["read"]
        if tr or nr:
            if not tr or not nr:
                add(sn, op, "read value", tr, nr, "read: value missing on one side")
            elif tr.get("str") != nr["str"]:
                add(sn, op, "str(read value)", tr.get("str"), nr["str"], "read: str differs")
            elif tr.get("repr") != nr["repr"]:
                kt, kn = kind_of_repr(tr.get("repr")), kind_of_repr(nr["repr"])
                add(sn, op, "repr(read value)", tr.get("repr"), nr["repr"],
                    "read: repr differs" + (" (%s vs %s)" % (kt, kn) if kt != kn else ""))
        not_read = "(not read after the eviction"  # the tutor leaves evicted pages alone on purpose
        tarr = {k: v for k, v in (t.get("arrays") or {}).items() if v.get("state") == "open"}
        narr = n["arrays"]
        for name in sorted(set(tarr) | set(narr)):
            if name not in tarr or name not in narr:
                add(sn, op, "binding of %s" % name, (t.get("arrays") or {}).get(name, {}).get("state"),
                    "bound" if name in narr else "unbound",
                    "%s: `%s` %s" % (op, "var", "bound only in NumPy" if name in narr else "bound only in the tutor"))
                continue
            if (tarr[name].get("str") or "").startswith(not_read):
                continue
            if tarr[name].get("str") != narr[name]["str"]:
                add(sn, op, "str(%s)" % name, tarr[name].get("str"), narr[name]["str"], "%s: array str differs" % op)
            elif tarr[name].get("repr") != narr[name]["repr"]:
                add(sn, op, "repr(%s)" % name, tarr[name].get("repr"), narr[name]["repr"],
                    "%s: array repr differs" % op)
        # (a file-keyed outside step shows its file under "", not a variable: nothing NumPy has)
        tf = {k: v.get("str") for k, v in (t.get("files") or {}).items() if k}
        nf = n["files"]
        for name in sorted(set(tf) | set(nf)):
            if tf.get(name) != nf.get(name) and not (tf.get(name) or "").startswith(not_read):
                if nf.get(name, "").startswith("<file shorter"):
                    continue  # the tutor words its own "unreadable"; NumPy has no view to compare
                add(sn, op, "file view of %s" % name, tf.get(name), nf.get(name),
                    "%s: file view %s" % (op, "differs" if name in tf and name in nf else
                                          "only in " + ("NumPy" if name in nf else "the tutor")))
        if n.get("child"):
            tc = t.get("child") or {}
            for k, v in n["child"].items():
                if k == "read_values" and (v is None or v == "[]"):
                    continue  # no whole element read: nothing NumPy would print
                if k == "read" and v == "" and tc.get(k) is None:
                    continue  # pread(2) at or past the end: the tutor records no bytes as null
                if tc.get(k) != v:
                    add(sn, op, "child %s" % k, tc.get(k), v, "%s: child %s differs" % (op, k))
    tfiles, nfiles = tres["files"], npres["files"]
    for name in sorted(set(tfiles) | set(nfiles)):
        if tfiles.get(name) != nfiles.get(name):
            add(len(nsteps), "end", "final bytes of %s" % name, (tfiles.get(name) or "")[:200],
                (nfiles.get(name) or "")[:200], "final file bytes differ")
    return diffs


def check(lesson, tutor, keep=None):
    """Run `lesson` both ways in fresh temp dirs; `keep` = a directory to leave both work dirs and the YAML in."""
    base = tempfile.mkdtemp(prefix="memmap-diff-")
    try:
        path = os.path.join(base, "lesson.yaml")
        with open(path, "w") as f:
            f.write(lesson_yaml(lesson))
        twd, nwd = os.path.join(base, "tutor"), os.path.join(base, "numpy")
        os.mkdir(twd)
        os.mkdir(nwd)
        tres = run_tutor(path, twd, tutor)
        npres = run_numpy(lesson, nwd)
        diffs = compare(lesson, npres, tres)
        return Result(lesson, len(lesson["steps"]), diffs, refused=tres["exit"] != 0, numpy=npres, tutor=tres)
    except subprocess.TimeoutExpired:
        return Result(lesson, len(lesson["steps"]), [{"step": 0, "op": "-", "what": "tutor timeout", "tutor": None,
                                                     "numpy": None, "bucket": "tutor timed out"}])
    finally:
        if keep:
            shutil.copytree(base, keep, dirs_exist_ok=True)
        shutil.rmtree(base, ignore_errors=True)
