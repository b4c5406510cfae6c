#!/usr/bin/env python3
"""Randomized differential test: generated lessons run by the tutor and by real NumPy, compared step by step.

    python3 tests/differential/run.py --seeds 0:5000 [--jobs N] [--tutor PATH] [--out DIR] [--exclude-known]
    python3 tests/differential/run.py --gen gen2 --seeds 0:2000     # the second, independently written generator

Prints a summary (lessons, steps, differing lessons, root-cause buckets) and writes one shrunk minimal failing lesson
per bucket (up to --shrink-per-bucket) to --out. Exit 0 when no lesson differs, 1 when some do, 2 on bad usage or when
NumPy is missing.
"""

import argparse
import collections
import json
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

KNOWN_FILE = os.path.join(HERE, "known_unfixed.txt")


def read_known():
    """Tags listed in known_unfixed.txt (first word of each non-comment line)."""
    tags = []
    if os.path.exists(KNOWN_FILE):
        for line in open(KNOWN_FILE):
            line = line.split("#", 1)[0].strip()
            if line:
                tags.append(line.split()[0])
    return tags


def parse_seeds(text):
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":", 1)
            out.extend(range(int(a), int(b)))
        else:
            out.append(int(part))
    return out


_ARGS = {}


def _init(tutor, exclude, gen="gen"):
    _ARGS["tutor"] = tutor
    _ARGS["exclude"] = exclude
    _ARGS["gen"] = gen


def generator(name):
    """The generator module: gen (the default) or gen2 (written apart from it; see gen2.py)."""
    import importlib

    return importlib.import_module(name)


def _one(seed):
    from compare import check

    lesson = generator(_ARGS.get("gen", "gen")).generate(seed, _ARGS["exclude"])
    r = check(lesson, _ARGS["tutor"])
    return {
        "seed": seed,
        "steps": r.steps,
        "diffs": r.diffs,
        "refused": bool(r.refused),
        "bucket": r.bucket,
        "nsteps_diff": len({d["step"] for d in r.diffs}),
        "lesson": lesson,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0:200", help="A:B (half-open range), or a comma list; default 0:200")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--tutor", default=None, help="the memmap-tutor binary (default target/debug/memmap-tutor)")
    ap.add_argument("--out", default=None, help="directory for the minimal failing lessons "
                                                "(default target/differential)")
    ap.add_argument("--gen", default="gen", choices=["gen", "gen2"],
                    help="the lesson generator: gen (default) or gen2 (a second one, written apart from gen)")
    ap.add_argument("--exclude", default="", help="comma list of construct tags the generator leaves out")
    ap.add_argument("--exclude-known", action="store_true",
                    help="leave out the constructs listed in tests/differential/known_unfixed.txt")
    ap.add_argument("--shrink-per-bucket", type=int, default=1, help="failing lessons shrunk per bucket (0: none)")
    ap.add_argument("--shrink-budget", type=int, default=200, help="runs per shrink at most")
    ap.add_argument("--json", default=None, help="also write every differing lesson's result here (JSON lines)")
    ap.add_argument("--list-tags", action="store_true", help="print the construct tags and exit")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--regressions", action="store_true",
                    help="run the minimal lessons of fixed root causes (regressions.json) instead of seeds")
    ap.add_argument("--show", default=None, metavar="SEED|FILE.yaml",
                    help="run one seed (or a lesson YAML this script wrote, needs PyYAML) and print every difference")
    a = ap.parse_args(argv)

    KNOWN_TAGS = generator(a.gen).KNOWN_TAGS

    if a.list_tags:
        for k, v in KNOWN_TAGS.items():
            print("%-16s %s" % (k, v))
        return 0
    try:
        import numpy
    except ImportError as e:
        print("differential: NumPy is not importable (%s)" % e, file=sys.stderr)
        return 2
    repo = os.path.dirname(os.path.dirname(HERE))
    tutor = os.path.abspath(a.tutor or os.path.join(repo, "target", "debug", "memmap-tutor"))
    if not os.access(tutor, os.X_OK):
        print("differential: no tutor binary at %s (cargo build first, or --tutor PATH)" % tutor, file=sys.stderr)
        return 2
    # Run a private copy: cargo may replace the binary while a long run goes on.
    import shutil
    import tempfile

    snap_dir = tempfile.mkdtemp(prefix="memmap-diff-tutor-")
    snap = os.path.join(snap_dir, "memmap-tutor")
    shutil.copy2(tutor, snap)
    try:
        if a.regressions:
            return regressions(snap)
        return run(a, tutor, snap)
    finally:
        shutil.rmtree(snap_dir, ignore_errors=True)


REGRESSIONS = os.path.join(HERE, "regressions.json")


def regressions(tutor):
    """Every minimal lesson of a fixed root cause (regressions.json: name, why, lesson), run by the tutor and by
    NumPy now; exit 1 when any differs."""
    from compare import check

    with open(REGRESSIONS) as f:
        cases = json.load(f)
    bad = 0
    steps = 0
    for c in cases:
        r = check(c["lesson"], tutor)
        steps += r.steps
        if r.diffs:
            bad += 1
            d = r.diffs[0]
            print("DIFFERS %s (%s): step %s (%s) %s\n  tutor: %s\n  numpy: %s" % (
                c["name"], c["why"], d["step"], d["op"], d["what"], json.dumps(d["tutor"]),
                json.dumps(d["numpy"])))
    print("regression lessons: %d, steps: %d, differing: %d" % (len(cases), steps, bad))
    return 1 if bad else 0


def run(a, tutor_path, tutor):
    import numpy

    KNOWN_TAGS = generator(a.gen).KNOWN_TAGS

    repo = os.path.dirname(os.path.dirname(HERE))
    exclude = [t for t in a.exclude.split(",") if t]
    if a.exclude_known and a.gen == "gen":
        exclude += read_known()
    unknown = [t for t in exclude if t not in KNOWN_TAGS]
    if unknown:
        print("differential: unknown construct tags %s (see --list-tags)" % unknown, file=sys.stderr)
        return 2
    if a.show is not None:
        return show(a.show, tutor, exclude, a.shrink_per_bucket > 0, a.gen)
    seeds = parse_seeds(a.seeds)
    out = os.path.abspath(a.out or os.path.join(repo, "target", "differential"))

    print("differential: NumPy %s, tutor %s, %s, %d seeds (%s), %d jobs%s" % (
        numpy.__version__, tutor_path, a.gen, len(seeds), a.seeds, a.jobs,
        ", excluding " + ",".join(exclude) if exclude else ""), flush=True)
    t0 = time.time()
    results = []
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(a.jobs, initializer=_init, initargs=(tutor, exclude, a.gen)) as pool:
        for i, r in enumerate(pool.imap_unordered(_one, seeds, chunksize=4)):
            results.append(r)
            if not a.quiet and (i + 1) % 500 == 0:
                print("  %d/%d lessons, %d differ so far (%.0f s)" % (
                    i + 1, len(seeds), sum(1 for x in results if x["diffs"]), time.time() - t0), flush=True)
    results.sort(key=lambda r: r["seed"])
    skipped = [r for r in results if r["bucket"] and r["bucket"].startswith("skipped:")]
    bad = [r for r in results if r["diffs"] and r not in skipped]
    buckets = collections.OrderedDict()
    for r in sorted(bad, key=lambda r: r["steps"]):
        buckets.setdefault(r["bucket"], []).append(r)
    ordered = sorted(buckets.items(), key=lambda kv: -len(kv[1]))

    print("lessons: %d, steps: %d, differing lessons: %d (%d steps), refused at load: %d, root-cause buckets: %d, "
          "skipped: %d (%.0f s)" % (len(results), sum(r["steps"] for r in results), len(bad),
                                    sum(r["nsteps_diff"] for r in bad), sum(1 for r in bad if r["refused"]),
                                    len(buckets), len(skipped), time.time() - t0))
    for r in skipped:
        print("  skipped seed %d: %s" % (r["seed"], r["bucket"]))
    for b, rs in ordered:
        runs = sum(1 for r in rs if r["refused"] and r["diffs"][0].get("numpy_at_that_step") == "NumPy runs it")
        print("  %5d  %s%s   e.g. seed %d" % (len(rs), b, " (NumPy runs %d of them without any error)" % runs if runs else "",
                                             rs[0]["seed"]))
    if a.json:
        with open(a.json, "w") as f:
            for r in bad:
                f.write(json.dumps(r) + "\n")
    if bad and a.shrink_per_bucket > 0:
        from compare import Result, lesson_yaml
        from shrink import shrink

        os.makedirs(out, exist_ok=True)
        print("minimal failing lessons in %s:" % out)
        for bi, (b, rs) in enumerate(ordered):
            for j, r in enumerate(rs[: a.shrink_per_bucket]):
                res = Result(r["lesson"], r["steps"], r["diffs"])
                small, sres = shrink(res, tutor, budget=a.shrink_budget)
                name = "bucket%02d-seed%d.yaml" % (bi + 1, r["seed"])
                d = sres.diffs[0]
                with open(os.path.join(out, name), "w") as f:
                    f.write("# bucket: %s\n# seed %d, shrunk from %d to %d steps\n" % (
                        b, r["seed"], r["steps"], len(small["steps"])))
                    f.write("# step %s (%s), %s:\n#   tutor: %s\n#   numpy: %s\n" % (
                        d["step"], d["op"], d["what"], json.dumps(d["tutor"]), json.dumps(d["numpy"])))
                    f.write(lesson_yaml(small))
                print("  %s  (%s)" % (name, b))
    return 1 if bad else 0


def show(what, tutor, exclude, shrink_it, gen="gen"):
    from compare import check, lesson_yaml

    if what.endswith(".yaml"):
        import yaml  # only for reading back a written lesson

        lesson = yaml.safe_load(open(what))
    else:
        lesson = generator(gen).generate(int(what), exclude)
    r = check(lesson, tutor)
    if r.diffs and shrink_it:
        from shrink import shrink

        lesson, r = shrink(r, tutor, budget=150)
    print(lesson_yaml(lesson))
    for d in r.diffs:
        print("step %s (%s) %s  [%s]\n  tutor: %s\n  numpy: %s" % (
            d["step"], d["op"], d["what"], d["bucket"], json.dumps(d["tutor"]), json.dumps(d["numpy"])))
    if not r.diffs:
        print("no difference")
    return 1 if r.diffs else 0


if __name__ == "__main__":
    sys.exit(main())
