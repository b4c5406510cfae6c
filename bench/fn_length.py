#!/usr/bin/env python3
"""List the functions in src/ longer than a limit (default 100 lines), longest first.

Usage: bench/fn_length.py [--limit N] [--all] [ROOT]
A function's length counts the lines from its `fn` line to its closing brace. Braces inside strings,
raw strings, character literals and comments do not count. Functions inside `#[cfg(test)]` modules
are listed with `(test)`. Exit 1 when a non-test function is over the limit, else 0.
"""
import argparse
import os
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+\"[^\"]*\"\s+)?fn\s+(\w+)")


def code_only(text):
    """The text with strings, chars and comments blanked (newlines kept), so braces can be counted."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif re.match(r'b?r#*"', text[i:i + 40]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i:j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a): blank only literals.
            m = re.match(r"'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'])'", text[i:])
            if m:
                out.append(" " * m.end())
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    text = open(path, encoding="utf-8").read()
    code = code_only(text).split("\n")
    test_from = None
    for k, line in enumerate(code):
        if line.strip() == "#[cfg(test)]":
            test_from = k
            break
    result = []
    for k, line in enumerate(code):
        m = FN.match(line)
        if not m:
            continue
        depth, opened = 0, False
        for j in range(k, len(code)):
            for ch in code[j]:
                if ch == "{":
                    depth += 1
                    opened = True
                elif ch == "}":
                    depth -= 1
                elif ch == ";" and not opened and depth == 0:
                    break  # a declaration without a body (trait method)
            else:
                if opened and depth == 0:
                    result.append((j - k + 1, m.group(1), k + 1, test_from is not None and k > test_from))
                    break
                continue
            break
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--all", action="store_true", help="also list functions in #[cfg(test)] modules")
    ap.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "src"))
    a = ap.parse_args()
    rows = []
    for dirpath, _, files in os.walk(a.root):
        for f in files:
            if f.endswith(".rs"):
                p = os.path.join(dirpath, f)
                for length, name, line, test in functions(p):
                    if length > a.limit and (a.all or not test):
                        rows.append((length, name, os.path.relpath(p, os.path.join(a.root, "..")), line, test))
    rows.sort(reverse=True)
    for length, name, p, line, test in rows:
        print(f"{length:5}  {p}:{line}  {name}{'  (test)' if test else ''}")
    over = [r for r in rows if not r[4]]
    print(f"{len(over)} function(s) over {a.limit} lines in src/ (tests excluded)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
