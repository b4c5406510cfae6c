#!/usr/bin/env python3
"""Mutate the built-in lessons into hostile ones and run every command on them through the real binary.

Driven by tests/hostile_mutate.rs (`cargo test --test hostile_mutate`); by hand:
    python3 tests/hostile/mutate.py --tutor target/debug/memmap-tutor --cases 200 --seed 7 [-v]

Each case takes a built-in lesson (scenarios/*.yaml), applies a few mutations — textual (control characters,
bidi and zero-width characters, CR, NUL, HTML/script markup, very long strings in every text field; a BOM,
non-UTF-8 bytes, CRLF, tags, anchors and alias bombs, duplicate keys, deep nesting) and structural (huge, negative
and zero numbers, shapes with 65 dimensions or overflowing products, hostile dtype strings, value expressions that
would allocate terabytes or overflow, file names leading out, through symlinks, to a FIFO, a directory or a user's
file, names that collide, many steps) — and runs one command on it (run as text/markdown/json/html, check,
verify, quiz, step, export python) in a sandbox: a current directory, a --workdir holding a user's file, a
read-only file, a symlink leading out, a FIFO and a directory, a TMPDIR, and a directory outside that nothing may
touch. The invariants (a failure prints the case and its seed):
  * never a signal death (SIGSEGV, SIGABRT, SIGBUS …) or a panic;
  * exit 0, or 1 only for verify/quiz, or 2 with a location (`file:line:column`, `step N`, a section, a field);
  * nothing outside the work directory touched; TMPDIR left empty; the current directory unchanged but for -o;
  * no file that was in --workdir changes without --overwrite;
  * no control character on stdout/stderr of a terminal format (text, markdown, check, step, quiz, verify) nor in
    an HTML page; JSON parses;
  * an exported script has exactly the statements of the same lesson with harmless text (Python's ast), and an
    HTML page exactly the same <script> elements: an export never carries code.
"""

import argparse
import ast
import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = os.path.join(ROOT, "scenarios")

# Text that hurts a terminal, a comment, a string literal, Markdown or HTML (YAML double-quoted escapes).
PAYLOADS = [
    r"\e[2J\e[H cleared",
    r"\e]52;c;aGk=\a clipboard",
    r"\e]8;;http://evil\e\\link\e]8;;\e\\",
    r"x\rimport os; os.system('touch PWNED') #",
    r"x\nimport os; os.system('touch PWNED') #",
    r"x\x0bimport os #\x0c y",
    r"nul\x00byte",
    r"\x9b31m c1 csi",
    r"\u0085next line\u2028ls\u2029ps",
    r"bidi \u202e gnp.exe \u2066iso\u2069",
    r"zero\u200bwidth\ufeffbom",
    r"bell\a back\b del\x7f",
    r"</script><script>alert(1)</script>",
    r"<img src=x onerror=alert(1)> [a](javascript:alert(1))",
    r"''' \"\"\" \\ ' \" {} {{ }} %s %n",
    r"\t\ttabs\v",
]
# Free-text keys whose values may be anything (the twin replaces the payload by harmless text).
TEXT_KEYS = (
    "title|subject|duration|summary|caption|action|note|question|hint|explanation|answer_text|text|code|"
    "language|table_footer|transcript|q|a|expect_error|choices"
)
TEXT_LINE = re.compile(r"^(\s*(?:- )?(?:%s)\s*:\s+)(\S.*)$" % TEXT_KEYS)
LIST_TEXT_LINE = re.compile(r"^(\s+- )([A-Za-z].*)$")
NUM_LINE = re.compile(r"^(\s*(?:- )?[a-z_]+\s*:\s+)(-?\d+)\s*$")
SHAPE_LINE = re.compile(r"^(\s*(?:- )?shape\s*:\s+)(.*)$")
DTYPE_LINE = re.compile(r"^(\s*(?:- )?dtype\s*:\s+)(.*)$")
VALUE_LINE = re.compile(r"^(\s*(?:- )?(?:value|index)\s*:\s+)(.*)$")
FILE_LINE = re.compile(r"^(\s*(?:- )?file\s*:\s+)(.*)$")
VAR_LINE = re.compile(r"^(\s*(?:- )?var\s*:\s+)(.*)$")
MODE_LINE = re.compile(r"^(\s*(?:- )?mode\s*:\s+)(.*)$")

NUMBERS = ["0", "-1", "-4096", "1", "4097", "2147483648", "4294967296", "9223372036854775807",
           "9223372036854775808", "-9223372036854775808", "18446744073709551616", "1e308", ".nan", "-.inf",
           "0x7fffffffffffffff", "99999999999999999999999999999999999999", "1_000_000_000_000"]
SHAPES = ["0", "[0]", "-1", "[-1, 4]", "[0, 0]", "[]", "[4, 0, 4]", "1099511627776", "[1048576, 1048576]",
          "[4294967296, 4294967296]", "[9223372036854775807, 2]", "[3037000500, 3037000500]",
          "[" + ", ".join(["1"] * 65) + "]", "[" + ", ".join(["2"] * 64) + "]", "[" + ", ".join(["1"] * 3000) + "]",
          "'(1,' ", "\"(\" ", "[1.5]", "[true]", "[[2]]", "{a: 1}", "'()'", "'(4,)'"]
DTYPES = ["V0", "S0", "U", "U0", "O", "object", "M8", "m8[ns]", "datetime64", "<f16", "float1024", "i0",
          "'" + "f" * 5000 + "'", "|b1", "c16", "complex256", "clongdouble", "'(2,3)f4'", "'[(\"a\", \"<f4\")]'",
          "'f4,i4'", "'i4\x00'", "'\\e[2J'", "'>u8'", "'<U4'", "'a'", "'S4294967296'", "'V9223372036854775807'",
          "'u1' ", "str", "int", "float", "'np.float32'", "float128", "longdouble", "'=i4'", "'@i4'", "'?'"]
VALUES = ["'np.zeros(10**12)'", "'np.ones((2**31, 2**31))'", "'np.arange(10**18)'", "'np.full(10**10, 1)'",
          "'np.linspace(0, 1, 10**12)'", "'10**10**10'", "'2**2**2**2**2**2'", "'-(2**63)'", "'1e999'",
          "'(' * 1 + '1'", "'" + "(" * 3000 + "1" + ")" * 3000 + "'", "'" + "[" * 3000 + "1" + "]" * 3000 + "'",
          "'" + "-" * 100000 + "1'", "'np.arange(6).reshape(-1, -1)'", "'np.arange(6).reshape(2**62, 2**62)'",
          "'np.arange(6).reshape(" + ", ".join(["1"] * 70) + ", 6)'", "'np.arange(16)[::2**63]'",
          "'[1] * 10**12'", "'[[1, 2]] * 2**40'", "'np.arange(0, 1, 1e-300)'", "'np.arange(0, 10**30)'",
          "'np.full((65536, 65536), 7)'", "'np.array([' + '1,' * 3 + '])'", "'np.zeros(-1)'",
          "'np.ones(' + '(1,' * 70 + ')'", "'nan'", "'np.inf * 0'", "'1 // 0'", "'1 % 0'", "'0 ** -1'",
          "'np.float32(1e39)'", "'np.int8(300)'", "'True + True'", "'\\e[2J'", "'arr'", "'arr[::-1]'",
          "'arr[..., None, None]'", "'arr[' + '0, ' * 70 + ']'", "'[:" + ":" * 10 + "]'", "'[10**30]'",
          "'[-2**63]'", "'[::-9223372036854775808]'", "'[' + 'None, ' * 70 + ']'", "'[...]'", "'[()]'",
          "'[[0, 1, 0]]'", "'[arr > 0]'", "'[True]'", "'[0:9223372036854775807:4611686018427387904]'",
          "'[-9223372036854775808:9223372036854775807:-1]'", "'[9223372036854775807:-9223372036854775808:-9223372036854775807]'",
          "'[-9223372036854775808]'", "'[-9223372036854775809]'", "'[..., -9223372036854775808:]'",
          "'np.arange(-9223372036854775808, 9223372036854775807, 2**62)'", "'np.arange(9223372036854775807, -9223372036854775808, -1)'",
          "'-9223372036854775808 // -1'", "'np.int64(-9223372036854775808) // -1'", "'np.int64(-9223372036854775808) % -1'",
          "'abs(np.int64(-9223372036854775808))'", "'-np.int64(-9223372036854775808)'", "'np.int8(-128) // np.int8(-1)'",
          "'np.uint64(18446744073709551615) + 1'", "'np.float64(1e308) * 10'", "'np.arange(5) ** 64'",
          "'np.arange(5) << 65'", "'1 << 10**6'", "'2 ** -1075'", "'np.full(3, -9223372036854775808) * -1'"]
FILES = ["../escape.dat", "/tmp/abs.dat", "/dev/null", "/dev/zero", "/proc/self/mem", "link/x.dat", "out.dat",
         "fifo", "sub", "sub/", ".", "..", "user.dat", "readonly.dat", "sub/../../escape.dat", "./a/../b.dat",
         "'a\\x00b.dat'", "\"a\\nb.dat\"", "\"a\\rb.dat\"", "\"\\e[2J.dat\"", "'" + "n" * 300 + ".dat'",
         "'" + "d/" * 200 + "x.dat'", "'sub/\u202eexe.dat'", "'~/x.dat'", "'$HOME/x.dat'", "'*'", "'-rf'",
         "'--overwrite'", "'.memmap-tutor.pid'", "'.memmap-tutor.lock'", "'dev'", "'a.dat '", "'a.dat\\\\'"]
VARS = ["np", "os", "sys", "print", "class", "None", "True", "__builtins__", "_", "a" * 300, "é", "in_another_process",
        "signal", "other_process", "arr", "le", "a", "work", "data", "x1", "ℌ", "A\u0301"]
MODES = ["r", "r+", "w+", "c", "readonly", "readwrite", "write", "copyonwrite", "w", "rw", "R+", "''", "'\\e'"]


def yaml_dq(s):
    """A YAML double-quoted scalar of the (already escaped) text s."""
    return '"' + s.replace('"', '\\"') + '"'


class Lesson:
    """A lesson's lines plus, per text injection, (line index, harmless twin line)."""

    def __init__(self, text):
        self.lines = text.split("\n")
        self.twins = {}
        self.raw_prefix = b""
        self.raw_tail = b""
        self.crlf = False

    def render(self, twin=False):
        lines = list(self.lines)
        if twin:
            for i, t in self.twins.items():
                lines[i] = t
        sep = "\r\n" if self.crlf else "\n"
        body = sep.join(lines).encode("utf-8", "surrogateescape")
        return self.raw_prefix + body + self.raw_tail


def pick_line(rng, lesson, pattern):
    hits = [i for i, l in enumerate(lesson.lines) if pattern.match(l) and i not in lesson.twins]
    return rng.choice(hits) if hits else None


def replace_value(lesson, i, pattern, value):
    m = pattern.match(lesson.lines[i])
    lesson.lines[i] = m.group(1) + value


def m_text(rng, lesson):
    i = pick_line(rng, lesson, TEXT_LINE)
    if i is None:
        return "text: no line"
    payload = rng.choice(PAYLOADS)
    if rng.random() < 0.15:
        payload = payload * rng.choice([200, 5000])
    m = TEXT_LINE.match(lesson.lines[i])
    lesson.twins[i] = m.group(1) + yaml_dq("harmless")
    lesson.lines[i] = m.group(1) + yaml_dq(payload[:400000])
    return "text line %d: %r" % (i + 1, payload[:60])


def m_list_text(rng, lesson):
    i = pick_line(rng, lesson, LIST_TEXT_LINE)
    if i is None:
        return "list text: no line"
    payload = rng.choice(PAYLOADS)
    m = LIST_TEXT_LINE.match(lesson.lines[i])
    lesson.twins[i] = m.group(1) + yaml_dq("harmless")
    lesson.lines[i] = m.group(1) + yaml_dq(payload)
    return "list text line %d: %r" % (i + 1, payload[:60])


def structural(pattern, choices, what):
    def mutate(rng, lesson):
        i = pick_line(rng, lesson, pattern)
        if i is None:
            return what + ": no line"
        v = rng.choice(choices)
        replace_value(lesson, i, pattern, v)
        return "%s line %d: %s" % (what, i + 1, v[:60])
    return mutate


def m_bom(rng, lesson):
    lesson.raw_prefix = rng.choice([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\x00"])
    return "prefix %r" % lesson.raw_prefix


def m_bytes(rng, lesson):
    i = rng.randrange(len(lesson.lines))
    bad = rng.choice(["\udcff", "\udcc3(", "\x00", "\x1b[2J", "\udced\udca0\udc80", "\x7f"])
    j = rng.randrange(len(lesson.lines[i]) + 1)
    lesson.lines[i] = lesson.lines[i][:j] + bad + lesson.lines[i][j:]
    return "raw bytes %r at line %d" % (bad, i + 1)


def m_crlf(rng, lesson):
    lesson.crlf = True
    return "CRLF"


def m_alias_bomb(rng, lesson):
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, rng.choice([4, 9, 12])):
        bomb.append("a%d: &a%d [%s]" % (k, k, ",".join(["*a%d" % (k - 1)] * 9)))
    where = rng.choice(["top", "note"])
    if where == "top":
        lesson.lines[0:0] = bomb
    else:
        i = pick_line(rng, lesson, TEXT_LINE)
        if i is None:
            lesson.lines[0:0] = bomb
        else:
            m = TEXT_LINE.match(lesson.lines[i])
            lesson.lines[0:0] = bomb
            lesson.lines[i + len(bomb)] = m.group(1) + "*a%d" % (len(bomb) - 1)
    return "alias bomb (%s, %d levels)" % (where, len(bomb))


def m_anchor_merge(rng, lesson):
    i = pick_line(rng, lesson, re.compile(r"^  - op: "))
    if i is None:
        return "merge: no step"
    lesson.lines[i] = lesson.lines[i].replace("- op:", "- &s1\n    op:", 1)
    lesson.lines.insert(i, "  - <<: *s1")
    return "anchor and merge key at line %d" % (i + 1)


def m_tag(rng, lesson):
    i = pick_line(rng, lesson, re.compile(r"^\s*(?:- )?[a-z_]+\s*:\s+\S"))
    if i is None:
        return "tag: no line"
    tag = rng.choice(["!!python/object/apply:os.system ['touch PWNED']", "!!binary aGk=", "!custom x",
                      "!!set {a, b}", "!!float 1", "!!str", "!<tag:yaml.org,2002:int> 5", "!!timestamp 2001-12-14",
                      "!!null ''", "!!omap [a: 1]"])
    k = lesson.lines[i].index(":")
    lesson.lines[i] = lesson.lines[i][:k + 1] + " " + tag
    return "tag %r at line %d" % (tag, i + 1)


def m_duplicate(rng, lesson):
    i = pick_line(rng, lesson, re.compile(r"^\s*[a-z_]+\s*:\s+\S"))
    if i is None:
        return "dup: no line"
    lesson.lines.insert(i + 1, lesson.lines[i])
    return "duplicate key at line %d" % (i + 2)


def m_deep(rng, lesson):
    i = pick_line(rng, lesson, re.compile(r"^(\s*(?:- )?[a-z_]+\s*:\s+)\S.*$"))
    if i is None:
        return "deep: no line"
    depth = rng.choice([200, 5000, 100000])
    kind = rng.choice(["[", "{a: "])
    close = "]" if kind == "[" else "}"
    k = lesson.lines[i].index(":")
    lesson.lines[i] = lesson.lines[i][:k + 1] + " " + kind * depth + "1" + close * depth
    return "nesting %d %r at line %d" % (depth, kind, i + 1)


def m_long_line(rng, lesson):
    i = pick_line(rng, lesson, TEXT_LINE)
    if i is None:
        return "long: no line"
    m = TEXT_LINE.match(lesson.lines[i])
    word = rng.choice(["x", "字", "é", "\u0301", "👍", "a "])
    lesson.twins[i] = m.group(1) + yaml_dq("harmless")
    lesson.lines[i] = m.group(1) + yaml_dq(word * rng.choice([10000, 300000]))
    return "long text %r at line %d" % (word, i + 1)


def m_many_steps(rng, lesson):
    try:
        start = lesson.lines.index("steps:")
    except ValueError:
        return "many: no steps"
    n = rng.choice([2000, 10001])
    step = "  - {op: flush, var: zz9}" if rng.random() < 0.5 else "  - {op: evict, file: nothere.dat}"
    lesson.lines[start + 1:start + 1] = [step] * n
    return "%d steps %s" % (n, step)


def m_drop_line(rng, lesson):
    i = rng.randrange(len(lesson.lines))
    if i in lesson.twins:
        return "drop: twin"
    del lesson.lines[i]
    lesson.twins = {(k if k < i else k - 1): v for k, v in lesson.twins.items() if k != i}
    return "dropped line %d" % (i + 1)


def m_swap_op(rng, lesson):
    ops = ["open", "assign", "read", "flush", "close", "reopen", "external_write", "external_read", "crash",
           "evict", "wait_writeback", "flush_async", "flush_range", "truncate", "fork_write", "load",
           "open_memmap", "madvise", "scan"]
    i = pick_line(rng, lesson, re.compile(r"^(\s*(?:- )?op\s*:\s+)(.*)$"))
    if i is None:
        return "op: no line"
    v = rng.choice(ops)
    replace_value(lesson, i, re.compile(r"^(\s*(?:- )?op\s*:\s+)(.*)$"), v)
    return "op line %d: %s" % (i + 1, v)


MUTATIONS = [
    (m_text, 10), (m_list_text, 3), (m_long_line, 2),
    (structural(NUM_LINE, NUMBERS, "number"), 6),
    (structural(SHAPE_LINE, SHAPES, "shape"), 6),
    (structural(DTYPE_LINE, DTYPES, "dtype"), 4),
    (structural(VALUE_LINE, VALUES, "value/index"), 8),
    (structural(FILE_LINE, FILES, "file"), 6),
    (structural(VAR_LINE, VARS, "var"), 3),
    (structural(MODE_LINE, MODES, "mode"), 3),
    (m_bom, 1), (m_bytes, 2), (m_crlf, 1), (m_alias_bomb, 1), (m_anchor_merge, 1), (m_tag, 2),
    (m_duplicate, 1), (m_deep, 1), (m_many_steps, 1), (m_drop_line, 2), (m_swap_op, 3),
]

COMMANDS = [
    (["run", "--format", "text", "--no-pager", "--width", "80"], 6, "text"),
    (["run", "--format", "markdown"], 3, "markdown"),
    (["run", "--format", "json"], 5, "json"),
    (["run", "--format", "html", "-o", "page.html"], 3, "html"),
    (["check"], 4, "text"),
    (["verify"], 2, "text"),
    (["quiz", "--answers", "A,B,C,D,A,B,C,D"], 2, "text"),
    (["step"], 2, "text"),
    (["export", "python", "-o", "script.py"], 5, "python"),
]


def weighted(rng, items):
    total = sum(w for _, w in items)
    r = rng.uniform(0, total)
    for item, w in items:
        r -= w
        if r <= 0:
            return item
    return items[-1][0]


def fingerprint(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    data = b""
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            data = hashlib.sha256(f.read(1 << 20)).hexdigest()  # size and mtime cover the rest
    elif stat.S_ISLNK(st.st_mode):
        data = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        # New files may be made in a directory that was there; its entries are checked one by one.
        return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
    return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns, data)


def tree(path):
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, path)] = fingerprint(p)
    return out


def sandbox(root):
    cwd, tmp, outside = (os.path.join(root, d) for d in ("cwd", "tmp", "outside"))
    for d in (cwd, tmp, outside):
        os.mkdir(d)
    work = os.path.join(cwd, "work")
    os.mkdir(work)
    os.mkdir(os.path.join(work, "sub"))
    os.mkdir(os.path.join(work, "dev"))
    with open(os.path.join(work, "user.dat"), "wb") as f:
        f.write(b"the user's data, 32 bytes long!!")
    with open(os.path.join(work, "readonly.dat"), "wb") as f:
        f.write(b"\x01" * 4096)
    os.chmod(os.path.join(work, "readonly.dat"), 0o444)
    with open(os.path.join(outside, "secret.dat"), "wb") as f:
        f.write(b"outside" * 10)
    os.symlink(outside, os.path.join(work, "link"))
    os.symlink(os.path.join(outside, "secret.dat"), os.path.join(work, "out.dat"))
    os.mkfifo(os.path.join(work, "fifo"))
    return cwd, tmp, outside, work


LOCATION = re.compile(
    r"^memmap-tutor: (?:--[a-z]+[: ]|(?:l\.yaml|.*l\.yaml)(?::\d+:\d+:|: (?:step \d+|steps|title|quiz|key moment|claims?|"
    r"concept_flow|sample|snapshot|transcript|table_footer|summary|subject|duration|line \d+)))"
)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def run_case(tutor, rng, case, keep):
    base = rng.choice(sorted(f for f in os.listdir(SCENARIOS) if f.endswith(".yaml")))
    with open(os.path.join(SCENARIOS, base), encoding="utf-8") as f:
        lesson = Lesson(f.read())
    what = [weighted(rng, MUTATIONS)(rng, lesson) for _ in range(rng.choice([1, 1, 2, 3]))]
    argv, _, kind = weighted(rng, [((c, w, k), w) for c, w, k in COMMANDS])
    argv = list(argv)
    where = rng.choice(["workdir", "workdir", "workdir", "env", "temp"])
    overwrite = rng.random() < 0.15
    root = tempfile.mkdtemp(prefix="hostile-mutate-")
    try:
        cwd, tmp, outside, work = sandbox(root)
        with open(os.path.join(cwd, "l.yaml"), "wb") as f:
            f.write(lesson.render())
        env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1", COLUMNS="100", HOME=outside, PAGER="cat")
        env.pop("MEMMAP_TUTOR_WORKDIR", None)
        cmd = [tutor] + argv[:1] + ["l.yaml"] + argv[1:]
        if argv[0] == "export":
            cmd = [tutor] + argv[:2] + ["l.yaml"] + argv[2:]
        if where == "workdir" and argv[0] not in ("check", "export", "verify"):
            cmd += ["--workdir", "work"]
        elif where == "env":
            env["MEMMAP_TUTOR_WORKDIR"] = "work"
        # --overwrite without a work directory is a usage error (exit 2): given only with one.
        overwrite = overwrite and where != "temp" and argv[0] not in ("check", "export", "verify")
        if overwrite:
            cmd.append("--overwrite")
        before_work, before_outside = tree(work), tree(outside)
        stdin = b"\n" * 200 + b"A\n" * 50
        try:
            p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=600)
        except subprocess.TimeoutExpired:
            return fail(case, base, what, cmd, "no answer within 600 s (unbounded work)", b"", b"", lesson)
        out, err = p.stdout, p.stderr
        errs = err.decode("utf-8", "replace")
        problems = []
        if p.returncode < 0:
            problems.append("died of signal %s" % signal.Signals(-p.returncode).name)
        if "panicked" in errs or p.returncode == 101:
            problems.append("panicked")
        allowed = {0, 2} | ({1} if argv[0] in ("verify", "quiz") else set())
        if p.returncode not in allowed and p.returncode >= 0:
            problems.append("exit %d" % p.returncode)
        if p.returncode == 2 and not LOCATION.match(errs):
            problems.append("exit 2 without a location")
        if kind == "json" and p.returncode == 0:
            try:
                json.loads(out)
            except ValueError as e:
                problems.append("exit 0 but no JSON: %s" % e)
        texts = [("stderr", errs)]
        if kind != "json":
            texts.append(("stdout", out.decode("utf-8", "replace")))
        if kind == "html" and p.returncode == 0:
            with open(os.path.join(cwd, "page.html"), encoding="utf-8", errors="replace") as f:
                texts.append(("page.html", f.read()))
        for name, t in texts:
            bad = UNSAFE.search(t)
            if bad:
                k = bad.start()
                problems.append("control character %r in %s: %r" % (bad.group(), name, t[max(0, k - 60):k + 20]))
        if tree(outside) != before_outside:
            problems.append("a file outside the work directory changed")
        if sorted(os.listdir(root)) != ["cwd", "outside", "tmp"]:
            problems.append("created outside: %s" % sorted(os.listdir(root)))
        if os.listdir(tmp):
            problems.append("TMPDIR not clean: %s" % os.listdir(tmp))
        extra = set(os.listdir(cwd)) - {"l.yaml", "work", "page.html", "script.py"}
        if extra:
            problems.append("created in the current directory: %s" % sorted(extra))
        if not overwrite:
            after = tree(work)
            changed = [k for k, v in before_work.items() if after.get(k) != v]
            if changed:
                problems.append("files that were in --workdir changed without --overwrite: %s" % changed)
        if kind == "python" and p.returncode == 0:
            problems += compare_export(tutor, cwd, env, lesson)
        if kind == "html" and p.returncode == 0 and lesson.twins:
            problems += compare_html(tutor, cwd, env, lesson)
        if kind == "markdown" and p.returncode == 0 and lesson.twins:
            problems += compare_markdown(tutor, cwd, env, lesson, out.decode("utf-8", "replace"))
        if problems:
            return fail(case, base, what, cmd, "; ".join(problems), out, err, lesson)
        if keep:
            print("ok %d %s exit %d %s | %s" % (case, base, p.returncode, " ".join(argv), " / ".join(what)))
        return None
    finally:
        shutil.rmtree(root, ignore_errors=True)


def twin_output(tutor, cwd, env, lesson, argv, out_name):
    with open(os.path.join(cwd, "twin.yaml"), "wb") as f:
        f.write(lesson.render(twin=True))
    p = subprocess.run([tutor] + argv + ["twin.yaml", "-o", out_name], cwd=cwd, env=env, capture_output=True,
                       timeout=600)
    if p.returncode != 0:
        return None
    with open(os.path.join(cwd, out_name), encoding="utf-8", errors="replace") as f:
        return f.read()


def ast_shape(src):
    tree_ = ast.parse(src)
    for node in ast.walk(tree_):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree_)


def compare_export(tutor, cwd, env, lesson):
    with open(os.path.join(cwd, "script.py"), encoding="utf-8", errors="surrogateescape") as f:
        src = f.read()
    try:
        shape = ast_shape(src)
    except SyntaxError as e:
        return ["the exported script does not parse: %s" % e]
    if not lesson.twins:
        return []
    twin = twin_output(tutor, cwd, env, lesson, ["export", "python"], "twin.py")
    if twin is None:
        return []
    if ast_shape(twin) != shape:
        return ["the exported script has other statements than its harmless twin's"]
    return []


def compare_html(tutor, cwd, env, lesson):
    with open(os.path.join(cwd, "page.html"), encoding="utf-8", errors="replace") as f:
        page = f.read()
    twin = twin_output(tutor, cwd, env, lesson, ["run", "--format", "html"], "twin.html")
    if twin is None:
        return []
    # Every element and attribute starts after a raw `<` (lesson text inside JSON has `\u003c`).
    tags = re.compile(r"<[A-Za-z/!?][^>]*>")
    if tags.findall(page) != tags.findall(twin):
        mine = set(tags.findall(page)) - set(tags.findall(twin))
        return ["the HTML page has other elements than its harmless twin's: %s" % sorted(mine)[:3]]
    return []


def compare_markdown(tutor, cwd, env, lesson, page):
    twin = twin_output(tutor, cwd, env, lesson, ["run", "--format", "markdown"], "twin.md")
    if twin is None:
        return []
    # Raw HTML outside code (a Markdown renderer would run it) and inline links; code spans and
    # fences are not interpreted, so they are left out of the comparison.
    def markup(text):
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"(`+).*?\1", "", text)
        return re.findall(r"<[A-Za-z/!?][^>]*>|\]\(", text)
    if markup(page) != markup(twin):
        mine = set(markup(page)) - set(markup(twin))
        return ["the Markdown has other markup or links than its harmless twin's: %s" % sorted(mine)[:3]]
    return []


def fail(case, base, what, cmd, why, out, err, lesson):
    return ("case %d (%s; %s)\n  command: %s\n  broke: %s\n  stderr: %s\n  stdout: %s\n  lesson head: %r" % (
        case, base, " / ".join(what), " ".join(cmd), why, err[:600].decode("utf-8", "replace"),
        out[:300].decode("utf-8", "replace"), lesson.render()[:300]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tutor", required=True)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", type=int, help="run only this case number (with the same seed)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    failures = []
    for case in range(a.cases):
        rng = random.Random("%d/%d" % (a.seed, case))
        if a.only is not None and case != a.only:
            continue
        r = run_case(os.path.abspath(a.tutor), rng, case, a.verbose)
        if r:
            failures.append(r)
            print("FAIL " + r, flush=True)
    print("hostile mutations: %d cases (seed %d), %d broke an invariant" % (a.cases, a.seed, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
