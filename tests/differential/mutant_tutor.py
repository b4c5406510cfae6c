#!/usr/bin/env python3
"""A deliberately wrong tutor, for the harness's own check: runs the real tutor (REAL_TUTOR) and changes one
observation per lesson in its JSON trace, chosen by MUTATION:

  str      str() of the first open variable's array at its first step
  error    the first step's error (an error where there was none, or none where there was one)
  read     the first `read` step's printed value (or, with no read, as `str`)
  bytes    one byte of the first file in the work directory (the final-bytes comparison must see it)

The differential test must report every lesson run through it as differing; if it does not, the comparison is blind.
"""

import json
import os
import subprocess
import sys


def main():
    real = os.environ["REAL_TUTOR"]
    mutation = os.environ.get("MUTATION", "str")
    p = subprocess.run([real] + sys.argv[1:], capture_output=True)
    if p.returncode != 0 or "--format" not in sys.argv:
        sys.stdout.buffer.write(p.stdout)
        sys.stderr.buffer.write(p.stderr)
        return p.returncode
    trace = json.loads(p.stdout)
    steps = trace["steps"]
    done = False
    if mutation == "error" and steps:
        steps[0]["error"] = None if steps[0].get("error") else "ValueError: mutant"
        done = True
    if mutation == "read":
        for st in steps:
            if st.get("read"):
                st["read"]["str"] = st["read"]["str"] + " "
                done = True
                break
    if mutation == "bytes":
        wd = sys.argv[sys.argv.index("--workdir") + 1]
        for root, _d, files in os.walk(wd):
            for fn in sorted(files):
                path = os.path.join(root, fn)
                with open(path, "r+b") as f:
                    b = f.read(1)
                    f.seek(0)
                    f.write(bytes([(b[0] ^ 0xFF) if b else 1]))
                done = True
                break
            if done:
                break
    if not done:
        for st in steps:
            for a in (st.get("arrays") or {}).values():
                if a.get("state") == "open":
                    a["str"] = "mutant " + (a.get("str") or "")
                    done = True
                    break
            if done:
                break
    if not done and steps:
        steps[-1]["error"] = None if steps[-1].get("error") else "ValueError: mutant"
    sys.stdout.write(json.dumps(trace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
