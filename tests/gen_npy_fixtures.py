#!/usr/bin/env python3
"""Generate tests/fixtures/npy/cases.json with real NumPy: .npy headers open_memmap writes, and what
np.load(mmap_mode=...) / open_memmap(mode=...) do with good and bad files (result or exact error, file afterwards).

Deterministic: run with python3 (NumPy 2.4). tests/npy_numpy.rs replays every case through the tutor's engine.
"""
import json
import os
import struct
import tempfile
import warnings

import numpy as np
from numpy.lib import _format_impl

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "npy", "cases.json")


def header(text, version=(1, 0), pad=True):
    """A header as _wrap_header builds it (pad=False: the length covers the text alone)."""
    fmt = "<H" if version == (1, 0) else "<I"
    body = text.encode("latin1" if version != (3, 0) else "utf8")
    hlen = len(body) + 1
    padlen = 64 - ((8 + struct.calcsize(fmt) + hlen) % 64) if pad else 0
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, hlen + padlen) + body + b" " * padlen + b"\n"


GOOD = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"
F4 = np.arange(3, dtype="<f4").tobytes()

# Files to read: (name, bytes).
READ_FILES = [
    ("empty", b""),
    ("text", b"hello world"),
    ("zip", b"PK\x03\x04rest"),
    ("magic-only", b"\x93NUMPY"),
    ("short-magic", b"\x93NUMPY\x01"),
    ("bad-magic", b"\x93NUMPZ\x01\x00\x10\x00"),
    ("version-4", b"\x93NUMPY\x04\x00\x10\x00"),
    ("no-length", b"\x93NUMPY\x01\x00\x10"),
    ("short-header", b"\x93NUMPY\x01\x00\x10\x00{"),
    ("v2-short", b"\x93NUMPY\x02\x00\x10\x00\x00\x00{'a'"),
    ("good", header(GOOD) + F4),
    ("good-v2", header(GOOD, (2, 0)) + F4),
    ("good-v3", header(GOOD, (3, 0)) + F4),
    ("unpadded", header(GOOD, pad=False) + F4),
    ("fortran", header("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }") + np.arange(6, dtype="<i2").tobytes()),
    ("big-endian", header("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }") + b"\x00\x00\x00\x01\x00\x00\x01\x00"),
    ("scalar", header("{'descr': '|u1', 'fortran_order': False, 'shape': (), }") + b"\x07"),
    ("zero-length", header("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }")),
    ("short-data", header(GOOD) + F4[:8]),
    ("no-data", header(GOOD)),
    ("keys-missing", header("{'descr': '<f4', 'shape': (3,), }") + F4),
    ("keys-extra", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}") + F4),
    ("not-dict", header("[1, 2]") + F4),
    ("shape-list", header("{'descr': '<f4', 'fortran_order': False, 'shape': [3], }") + F4),
    ("shape-str", header("{'descr': '<f4', 'fortran_order': False, 'shape': '3', }") + F4),
    ("fortran-int", header("{'descr': '<f4', 'fortran_order': 1, 'shape': (3,), }") + F4),
    ("descr-bad", header("{'descr': 'xyz', 'fortran_order': False, 'shape': (3,), }") + F4),
    ("descr-int", header("{'descr': 5, 'fortran_order': False, 'shape': (3,), }") + F4),
    ("descr-object", header("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }") + F4),
    ("negative-dim", header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }") + F4),
    ("double-quotes", header('{"descr": "<f4", "fortran_order": False, "shape": (3,)}') + F4),
    ("big-header", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + " " * 10050) + F4),
    ("not-npy-dat", np.arange(4, dtype="<f4").tobytes()),
]

READ_MODES = ["r", "c", "r+", "readonly"]

# open_memmap(mode='w+') writes: (dtype, shape, fortran_order).
WRITES = [
    ("float32", (3, 4), False),
    ("float32", (3, 4), True),
    ("int16", (2, 3), True),
    ("uint8", (), False),
    ("uint8", (7,), False),
    ("float64", (0,), False),
    (">i4", (2,), False),
    ("bool", (2, 2), False),
    ("float16", (5, 1, 2), False),
    ("int64", (123456789012,), False),
    ("uint16", (1,) * 40, False),
]


def outcome(fn, path, before=None):
    """What the call returned (or raised) and the file afterwards (`after`: its hex, null when unchanged)."""
    try:
        m = fn()
        r = {
            "error": None,
            "class": type(m).__name__,
            "mode": m.mode,
            "offset": int(m.offset),
            "dtype": m.dtype.str,
            "shape": list(m.shape),
            "str": str(m),
            "repr": repr(m),
        }
        del m
    except BaseException as e:  # noqa: BLE001 - the error text is the fixture
        r = {"error": f"{type(e).__name__}: {e}"}
    after = open(path, "rb").read() if os.path.exists(path) else None
    r["after"] = None if after == before else after.hex()
    return r


def main():
    cases = []
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        for name, data in READ_FILES:
            for call in ["load", "open_memmap"]:
                for mode in READ_MODES + (["w+", "readwrite", "copyonwrite"] if name == "good" else []):
                    path = "f.npy"
                    with open(path, "wb") as f:
                        f.write(data)
                    if call == "load":
                        fn = lambda: np.load(path, mmap_mode=mode)  # noqa: E731
                    else:
                        fn = lambda: np.lib.format.open_memmap(path, mode=mode)  # noqa: E731
                    cases.append({"file": name, "call": call, "mode": mode,
                                  **outcome(fn, path, data)})
                    os.remove(path)
        for dtype, shape, fortran in WRITES:
            if int(np.prod(shape)) * np.dtype(dtype).itemsize > 1 << 20:
                # Too large to create here: only the header NumPy would write is recorded.
                d_ = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": fortran, "shape": shape}
                import io
                buf = io.BytesIO()
                _format_impl._write_array_header(buf, d_, None)
                cases.append({"write": [dtype, list(shape), fortran], "header": buf.getvalue().hex(), "after": None})
                continue
            path = "w.npy"
            r = outcome(lambda: np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape,
                                                          fortran_order=fortran), path)
            cases.append({"write": [dtype, list(shape), fortran], **r})
            os.remove(path)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        files = {name: data.hex() for name, data in READ_FILES}
        json.dump({"numpy": np.__version__, "files": files, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
