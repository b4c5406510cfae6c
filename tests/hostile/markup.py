#!/usr/bin/env python3
"""Markup and line injection through lesson text, judged by real parsers.

Generates lessons whose every text field (title, subject, summary, concept-flow boxes and caption,
sample language/code/caption, step action/note, key moments, quiz question/choices/hint, snapshot,
transcript, table footer, and sometimes the file name) is built from fragments that break naive
Markdown escaping: backtick runs, fences (``` and ~~~), blank lines, backslashes, raw HTML, links,
images, link definitions, headings and setext underlines, table pipes, control characters. Each
lesson and its harmless twin (every text replaced by plain words) run through the real binary:

* `run --format markdown`: parsed with markdown-it-py (CommonMark + tables), the document has no
  raw HTML (the tutor's own `<br>` in table cells aside), no link or image, and exactly as many
  headings and fenced code blocks as the twin's document (lesson text adds none, closes none);
* `run` (text): no control character but line feed;
* the lesson with one unknown key and one bad dtype made of the same fragments: `check` exits 2
  and every line it prints on stderr starts with `memmap-tutor: <file>:` (a line feed the message
  echoes cannot start a forged line), `run` likewise.

Prints one line per failure and a summary `markup: N lessons, M broke an invariant`; exit 1 on any.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

FRAGMENTS = [
    "`", "``", "```", "````", "~~~", "\\", "\\`", "\n", "\n\n", "\n    ", "  ",
    "<script>alert(1)</script>", "</p>", "<img src=x onerror=alert(2)>", "<!-- c", "-->",
    "<?php x ?>", "<![CDATA[x]]>", "<http://evil.example/>", "<javascript:alert(3)>",
    "[a](javascript:alert(4))", "![i](http://evil.example/p.png)", "[r]", "[r]: http://evil.example/",
    "# H", "## H", "===", "---", "-", "| a | b |", "|---|---|", "> q", "* i", "1. n",
    "&lt;b&gt;", "&#60;script&#62;", "x", "word", " ", "\t", "\r", "\x1b[2J", "\x1b]8;;http://e\x07",
    "\u202e", "\u200b", "\x00", "\u0085", "\u2028",
]

TEXT_FIELDS = ["title", "subject", "summary", "duration", "table_footer", "transcript"]


def text(rng, harmless):
    if harmless:
        return "plain words"
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 9))]
    # One visible word somewhere: a blank title or choice is a (located) refusal, not a test.
    parts.insert(rng.randint(0, len(parts)), "w")
    return "".join(parts)


def lesson(rng, harmless, name=None):
    t = lambda: text(rng, harmless)  # noqa: E731
    doc = {k: t() for k in TEXT_FIELDS}
    doc["concept_flow"] = {"boxes": [t() for _ in range(rng.randint(1, 3))], "caption": t()}
    doc["sample"] = {"language": t(), "code": t(), "caption": t()}
    # The file name is either plain or hostile (then the open may fail: an error step). The twin
    # keeps the same name, so both open (or fail) alike and have the same blocks.
    hostile_name = text(rng, False) + ".dat"
    name = name or ("a.dat" if rng.random() < 0.7 else hostile_name)
    doc["steps"] = [
        {"op": "open", "file": name, "dtype": "float32", "mode": "w+", "shape": 3,
         "action": t(), "note": t()},
        {"op": "assign", "value": 1, "action": t(), "note": t()},
        {"op": "read", "index": "[0]", "note": t()},
    ]
    doc["key_moments"] = [{"question": t(), "answer": t()}]
    doc["quiz"] = [{"question": t(), "choices": [t(), t()], "answer": "A", "hint": t()}]
    doc["snapshot"] = [t(), t()]
    return doc


def run(tutor, args, cwd):
    return subprocess.run([tutor, *args], cwd=cwd, capture_output=True, timeout=120)


def markdown_facts(md):
    """(raw HTML pieces, links/images, heading count, fence count) of a CommonMark document."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    html, links, headings, fences = [], [], 0, 0

    def walk(tokens):
        nonlocal headings, fences
        for tok in tokens:
            if tok.type == "html_block" or (tok.type == "html_inline" and tok.content != "<br>"):
                html.append(tok.content)
            if tok.type in ("link_open", "image"):
                links.append(str(tok.attrs))
            if tok.type == "heading_open":
                headings += 1
            if tok.type == "fence":
                fences += 1
            if tok.children:
                walk(tok.children)

    walk(parser.parse(md))
    return html, links, headings, fences


CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def check_case(tutor, seed, tmp):
    rng = random.Random(seed)
    doc = lesson(rng, harmless=False)
    twin = lesson(random.Random(seed), harmless=True, name=doc["steps"][0]["file"])
    failures = []
    path = os.path.join(tmp, f"m{seed}.yaml")
    twin_path = os.path.join(tmp, f"t{seed}.yaml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    with open(twin_path, "w", encoding="utf-8") as f:
        json.dump(twin, f)

    md = run(tutor, ["run", "--format", "markdown", "--no-pager", path], tmp)
    tw = run(tutor, ["run", "--format", "markdown", "--no-pager", twin_path], tmp)
    refused = f"memmap-tutor: {path}: step 1, field `file`: ".encode()
    if md.returncode == 2 and tw.returncode == 2 and md.stderr.startswith(refused):
        # A file name the lesson may not use (absolute, NUL, ..): refused with its location.
        return failures
    if md.returncode != 0 or tw.returncode != 0:
        failures.append(f"markdown exit {md.returncode} (twin {tw.returncode}): {md.stderr[:300]!r}")
    else:
        html, links, headings, fences = markdown_facts(md.stdout.decode("utf-8"))
        _, _, twin_headings, twin_fences = markdown_facts(tw.stdout.decode("utf-8"))
        if html:
            failures.append(f"raw HTML in the Markdown: {html[:3]!r}")
        if links:
            failures.append(f"a link or image in the Markdown: {links[:3]!r}")
        if (headings, fences) != (twin_headings, twin_fences):
            failures.append(
                f"{headings} headings and {fences} code blocks, the harmless twin has "
                f"{twin_headings} and {twin_fences}"
            )
        if CONTROL.search(md.stdout.decode("utf-8")):
            failures.append("a control character in the Markdown")

    text_out = run(tutor, ["run", "--no-pager", "--width", "100", path], tmp)
    if text_out.returncode != 0:
        failures.append(f"text exit {text_out.returncode}: {text_out.stderr[:300]!r}")
    elif CONTROL.search(text_out.stdout.decode("utf-8")):
        failures.append("a control character on the terminal")

    # Errors that echo lesson text: one line each, every line prefixed.
    bad = dict(doc)
    bad["steps"] = [dict(doc["steps"][0], dtype=text(rng, False) or "x"), dict(doc["steps"][1])]
    bad["steps"][1][text(rng, False) + "k"] = 1
    bad_path = os.path.join(tmp, f"b{seed}.yaml")
    with open(bad_path, "w", encoding="utf-8") as f:
        json.dump(bad, f)
    for args in (["check", bad_path], ["run", "--no-pager", bad_path]):
        out = run(tutor, args, tmp)
        err = out.stderr.decode("utf-8", "replace")
        if out.returncode != 2:
            failures.append(f"{args[0]} of an invalid lesson exit {out.returncode}: {err[:300]!r}")
            continue
        lines = err.split("\n")
        if lines[-1] != "" or not lines[:-1]:
            failures.append(f"{args[0]}: stderr does not end with a line feed: {err[:300]!r}")
        prefix = f"memmap-tutor: {bad_path}"
        stray = [l for l in lines[:-1] if not l.startswith(prefix)]
        if stray:
            failures.append(f"{args[0]}: a line without `{prefix}`: {stray[0][:200]!r}")
        if CONTROL.search(err.replace("\n", "")):
            failures.append(f"{args[0]}: a control character on stderr")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tutor", required=True)
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    a.tutor = os.path.abspath(a.tutor)
    try:
        import markdown_it  # noqa: F401
    except ImportError:
        print("markup: skipped (markdown-it-py is not installed: pip install markdown-it-py)")
        return 0
    broke = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.seed, a.seed + a.cases):
            failures = check_case(a.tutor, seed, tmp)
            if failures:
                broke += 1
                for f in failures:
                    print(f"seed {seed}: {f}")
    print(f"markup: {a.cases} lessons, {broke} broke an invariant")
    return 1 if broke else 0


if __name__ == "__main__":
    sys.exit(main())
