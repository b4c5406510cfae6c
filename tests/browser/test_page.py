#!/usr/bin/env python3
"""Browser tests of the lesson page (`memmap-tutor run --format html`), in headless Chromium via Selenium.

Every check compares what the page shows with the JSON trace embedded in the same page (the run that made it).
Run: python tests/browser/test_page.py [--binary target/debug/memmap-tutor] [--require]
Prints one summary line `browser tests: N passed, M failed, K skipped`; exits 1 when a test failed, and when
no browser can start only if --require is given (CI); otherwise it skips with the reason.
"""

import argparse
import html.parser
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "browser"
ARGS = None
DRIVER = None

# Lessons the tests render besides the default one (skip-flush waits ~30 s for the kernel; it is left out).
LESSONS = [
    "numpy-memmap-basics",
    "byte-layout",
    "copy-on-write",
    "crash",
    "eviction",
    "missing-file",
    "persistence",
    "read-only",
    "truncation",
    "two-mappings",
]

HOSTILE = textwrap.dedent(
    """\
    title: "</script><script>window.__pwned=1</script><img src=x onerror=\\"window.__pwned=2\\">"
    subject: "<b>bold?</b> & <i>co</i>"
    concept_flow:
      boxes: ["<script>window.__pwned=3</script>", "<a href='https://example.com/'>link</a>"]
      caption: "<!-- comment --> ]]> </style>"
    sample:
      code: "x = '<script>window.__pwned=4</script>'\\n"
    steps:
      - op: open
        var: arr
        file: "h.dat"
        dtype: int16
        mode: w+
        shape: [2]
        action: "<img src=x onerror=window.__pwned=5>"
        note: "</script><script>window.__pwned=6</script>"
      - op: assign
        var: arr
        index: "arr[:]"
        value: "[1, 2]"
        action: "<svg onload=window.__pwned=7>"
        note: "\\u2028 line separator & <u>u</u>"
    key_moments:
      - question: "<script>window.__pwned=8</script>?"
        answer: "<iframe src='https://example.com/'></iframe>"
        cites: {step: 2, column: disk_write}
    quiz:
      - question: "<b>What</b> is arr[1] after step 2?"
        about: {kind: value, step: 2, index: "arr[1]"}
        choices: ["2", "<script>window.__pwned=9</script>", "0", "1"]
        answer: A
        hint: "<img src=x onerror=window.__pwned=10>"
    snapshot: ["<style>body{display:none}</style>"]
    transcript: "<script>window.__pwned=11</script> the end"
    """
)


def one_line(s):
    """NumPy's multi-line str() on one line, as the table prints it (views::cells::one_line)."""
    out = []
    for i, line in enumerate(s.split("\n")):
        if i > 0 and line and not line.startswith(" "):
            out.append(" ")
        out.append(line)
    return "".join(out)


def array_cell(s, var):
    """The table's Array Content cell (present::cells::array_content): an error first, a read's value
    first, a closed variable as `Closed (held …)`."""
    arrays = s["arrays"]
    a = arrays.get(var)
    if a is None:
        held = "None"
    elif a["state"] == "closed":
        held = f"Closed (held {one_line(a['last_str'])})" if a.get("last_str") is not None else "Closed"
    else:
        held = one_line(a["str"])
    out = ""
    if s.get("error"):
        out += f"raised {s['error']}; "
        if var in arrays:
            out += f"{var} = "
    elif s.get("read"):
        out += f"{s['read']['expr']} = {one_line(s['read']['str'])}; {var} = "
    if s.get("error") and var not in arrays:
        while out.endswith("; "):
            out = out[:-2]
        return out
    return out + held


def tracker_cell(s, var, a):
    """The tracker's value (present::cells::tracker_value): the acted-on variable says when its step raised."""
    value = "Closed" if a["state"] == "closed" else one_line(a["str"])
    if s.get("error") and s["var"] == var:
        return f"{value} (step {s['step']} raised {s['error'].split(':')[0]})"
    return value


class DataScript(html.parser.HTMLParser):
    """Pulls the text of <script id="trace-data"> out of the page, as the browser would see it."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.text = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
            self.inside = dict(attrs).get("id") == "trace-data"

    def handle_endtag(self, tag):
        if tag == "script":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text.append(data)


def embedded(path):
    p = DataScript()
    p.feed(Path(path).read_text(encoding="utf-8"))
    return json.loads("".join(p.text)), p.scripts


def build_page(lesson, name, extra=()):
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{name}.html"
    subprocess.run(
        [ARGS.binary, "run", lesson, "--format", "html", "-o", str(out), *extra],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=300,
    )
    return out


def start_driver():
    """A headless Chromium, or (None, why)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        return None, f"selenium is not installed ({e})"
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if not chrome or not driver_path:
        return None, "no chromium and chromedriver on PATH (apt-get install chromium chromium-driver)"
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        return webdriver.Chrome(service=Service(executable_path=driver_path), options=opts), None
    except Exception as e:  # any failure to start is a reason to skip, reported
        return None, f"chromium did not start: {str(e).splitlines()[0] if str(e) else type(e).__name__}"


class Page:
    """One generated page, opened in the browser."""

    def __init__(self, path):
        self.path = Path(path)
        self.data, self.script_count = embedded(path)
        self.trace = self.data["trace"]
        self.steps = self.trace["steps"]

    def open(self):
        DRIVER.get(self.path.resolve().as_uri())
        deadline = time.time() + 10
        while DRIVER.execute_script("return document.documentElement.getAttribute('data-ready')") != "true":
            if time.time() > deadline:
                raise AssertionError(f"{self.path.name}: the page script never finished")
            time.sleep(0.05)

    def js(self, script, *args):
        return DRIVER.execute_script(script, *args)

    def tab(self, view):
        from selenium.webdriver.common.by import By

        DRIVER.find_element(By.ID, f"tab-{view}").click()
        return DRIVER.find_element(By.ID, f"panel-{view}")

    def texts(self, selector, root="document"):
        return self.js(
            f"return Array.from({root}.querySelectorAll(arguments[0])).map(e => e.textContent)", selector
        )


PAGES = {}


def page(name):
    return PAGES[name]


class BrowserTest(unittest.TestCase):
    maxDiff = None


class TabsMatchTheTrace(BrowserTest):
    def check_lesson(self, name):
        from selenium.webdriver.common.by import By

        p = page(name)
        p.open()
        steps, lesson = p.steps, p.trace["lesson"]["text"]
        self.assertEqual(p.js("return document.getElementById('title').textContent"), p.trace["lesson"]["title"])
        tabs = DRIVER.find_elements(By.CSS_SELECTOR, "[role=tab]")
        self.assertEqual(len(tabs), 9)
        for t in tabs:
            t.click()
            self.assertEqual(t.get_attribute("aria-selected"), "true")
            shown = p.js("return Array.from(document.querySelectorAll('[role=tabpanel]')).filter(e => !e.hidden).map(e => e.id)")
            self.assertEqual(shown, [t.get_attribute("aria-controls")])
            self.assertTrue(p.js("return arguments[0].textContent.trim().length > 0", DRIVER.find_element(By.ID, shown[0])))

        # Concept Flow: the lesson's boxes, else the steps' actions.
        p.tab("flow")
        boxes = p.texts("#panel-flow .flow-box span:last-child")
        flow = lesson.get("concept_flow")
        if flow and flow.get("boxes"):
            self.assertEqual(boxes, flow["boxes"])
        else:
            self.assertEqual(len(boxes), len(steps))

        # Execution Sample: one line per step with the step's code, the first highlighted.
        p.tab("sample")
        self.assertEqual(p.texts("#panel-sample .run-line pre"), [s["code"] for s in steps])
        self.assertEqual(p.texts("#panel-sample .run-line.current .run-n"), [f"Step {steps[0]['step']}"])
        # Each step's line of the lesson's sample is highlighted in turn, in order, and only lines with its code.
        if lesson.get("sample"):
            last = 0
            for i, s in enumerate(steps):
                p.js(f"const r = document.getElementById('slider-sample'); r.value = {i + 1}; r.dispatchEvent(new Event('input'));")
                lit = p.js("return Array.from(document.querySelectorAll('#panel-sample .numbered .line.current')).map(e => [+e.dataset.line, e.textContent])")
                self.assertLessEqual(len(lit), 1)
                if lit:
                    self.assertGreater(lit[0][0], last, f"step {s['step']}")
                    last = lit[0][0]
                    head = lambda c: c.split("#")[0].replace(" ", "").split("(")[0]
                    self.assertIn(head(lit[0][1]), [head(c) for c in s["code"].split(chr(10))], f"step {s['step']}")
            p.js("const r = document.getElementById('slider-sample'); r.value = 1; r.dispatchEvent(new Event('input'));")
        if lesson.get("sample"):
            self.assertEqual(
                "\n".join(p.texts("#panel-sample .numbered .line")).rstrip(),
                lesson["sample"]["code"].rstrip("\n").replace("\n\n", "\n \n"),
            )

        # Execution Table: measured cells against the trace, each linked to its step.
        p.tab("table")
        rows = p.js(
            "return Array.from(document.querySelectorAll('#panel-table tbody tr')).map(r =>"
            " Object.fromEntries(Array.from(r.children).map(c => [c.dataset.col, c.textContent])))"
        )
        self.assertEqual(len(rows), len(steps))
        for s, row in zip(steps, rows):
            self.assertEqual(row["step"], str(s["step"]))
            self.assertEqual(row["action"], s["action"])
            self.assertEqual(row["note"], s["note"])
            self.assertEqual(row["array"], array_cell(s, s["var"]), s["step"])
            self.assertEqual(row["disk_write"].startswith("Yes"), s["disk_write"], row["disk_write"])
            f = s["files"].get(s["var"])
            self.assertEqual(row["file"], one_line(f["str"]) if f else "(no file)")
            if s["pages"] is not None:
                self.assertEqual(row["dirty"], str(s["pages"]["dirty"]))
            links = p.js(
                "return Array.from(document.querySelectorAll('#panel-table tbody tr')[arguments[0]]"
                ".querySelectorAll('a')).map(a => a.getAttribute('href'))",
                steps.index(s),
            )
            self.assertTrue(links and all(h == f"#step-{s['step']}" for h in links), links)

        # Variable Tracker: each variable after each step.
        p.tab("tracker")
        headers = p.texts("#panel-tracker thead th")
        body = p.js(
            "return Array.from(document.querySelectorAll('#panel-tracker tbody tr')).map(r =>"
            " Array.from(r.children).map(c => c.textContent))"
        )
        if headers[0] == "When":  # steps as rows (long lessons)
            table = {(v, r[0]): r[1 + i] for r in body for i, v in enumerate(headers[1:])}
        else:
            table = {(r[0], h): r[j] for r in body for j, h in enumerate(headers) if j > 0}
        for s in steps:
            for var, a in s["arrays"].items():
                self.assertEqual(table[(var, f"After Step {s['step']}")], tracker_cell(s, var, a), (var, s["step"]))

        # Key Moments: questions and answers; a cited cell links to the table and highlights it.
        p.tab("moments")
        moments = lesson.get("key_moments", [])
        self.assertEqual(len(p.texts("#panel-moments .moment")), len(moments))
        for i, m in enumerate(moments):
            self.assertEqual(p.texts("#panel-moments .moment h3")[i], f"{i + 1}. {m['question']}")
        cited = [m for m in moments if m.get("cites")]
        for k, m in enumerate(cited):
            p.tab("moments")
            link = DRIVER.find_elements(By.CSS_SELECTOR, "#panel-moments .cite-link")[k]
            self.assertTrue(link.text.startswith(f"step {m['cites']['step']}, "), link.text)
            link.click()
            self.assertEqual(DRIVER.find_element(By.ID, "tab-table").get_attribute("aria-selected"), "true")
            hl = p.js("return Array.from(document.querySelectorAll('.cited')).map(c => c.id)")
            self.assertEqual(len(hl), 1)
            self.assertTrue(hl[0].startswith(f"cell-{m['cites']['step']}-"), hl)

        # Visual Quiz: the questions and choices of the trace's quiz.
        p.tab("quiz")
        quiz = p.trace["quiz"]
        self.assertEqual(p.texts("#panel-quiz legend"), [f"{i + 1}. {q['question']}" for i, q in enumerate(quiz)])
        self.assertEqual(p.texts("#panel-quiz .choice-text"), [c for q in quiz for c in q["choices"]])

        # Concept Snapshot and Full Transcript.
        p.tab("snapshot")
        self.assertEqual(p.texts("#panel-snapshot li"), lesson.get("snapshot", []))
        p.tab("transcript")
        narr = p.texts("#panel-transcript .narration li")
        self.assertEqual(len(narr), len(steps))
        for s, n in zip(steps, narr):
            self.assertTrue(n.startswith(f"Step {s['step']} ({s['action']}): {s['code'].replace(chr(10), ' ')}"), n)

    def test_every_lesson(self):
        for name in LESSONS:
            with self.subTest(lesson=name):
                self.check_lesson(name)


class SliderWalksEveryStep(BrowserTest):
    def current(self, p):
        return p.js(
            "const b = document.getElementById('step-body');"
            "return {title: (b.querySelector('.step-title')||{}).textContent,"
            " predict: !!b.querySelector('.predict'),"
            " code: (b.querySelector('.step-card > pre')||{}).textContent,"
            " arrays: Object.fromEntries(Array.from(b.querySelectorAll('.array-pair')).map(e =>"
            "   [e.dataset.var, [e.querySelector('.array-str').textContent, e.querySelector('.file-str').textContent]])),"
            " dw: (b.querySelector('.disk-write .badge')||{}).textContent,"
            " dw_class: (b.querySelector('.disk-write .badge')||{}).className,"
            " detail: (b.querySelector('.disk-write .detail')||{}).textContent,"
            " slider: document.getElementById('slider-steps').value}"
        )

    def check_step(self, p, i):
        s = p.steps[i]
        cur = self.current(p)
        qs = [q for q in p.trace["quiz"] if q["about_step"] == s["step"] and q["choices"]]
        for _ in qs:
            # Predict, then reveal: the step is hidden until the learner answers each question about it.
            self.assertTrue(cur["predict"], f"step {s['step']}: no predict box for its question")
            self.assertIsNone(cur["title"])
            p.js("document.querySelector('#step-body .skip-predict').click()")
            cur = self.current(p)
        self.assertFalse(cur["predict"], f"step {s['step']}: a predict box without a question about it")
        self.assertEqual(cur["slider"], str(i + 1))
        self.assertEqual(cur["title"], f"Step {s['step']} · {s['action']}")
        self.assertEqual(cur["code"], s["code"])
        self.assertEqual(set(cur["arrays"]), set(s["arrays"]))
        for var, a in s["arrays"].items():
            self.assertEqual(cur["arrays"][var][0], "Closed" if a["state"] == "closed" else a["str"], (s["step"], var))
            f = s["files"].get(var)
            self.assertEqual(cur["arrays"][var][1], f["str"] if f else "(no file)")
        self.assertEqual(cur["dw"].startswith("Yes"), s["disk_write"], cur["dw"])
        unmeasured = s["disk_write_detail"].startswith("unavailable")
        self.assertEqual(cur["dw_class"].split()[-1], "yes" if s["disk_write"] else ("na" if unmeasured else "no"))
        self.assertEqual(cur["dw"].startswith("No"), not s["disk_write"] and not s["disk_write_detail"].startswith("unavailable"))
        self.assertEqual(cur["detail"].strip() or cur["dw"], s["disk_write_detail"])

    def test_slider_every_step(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        for name in LESSONS:
            with self.subTest(lesson=name):
                p = page(name)
                p.open()
                p.tab("steps")
                slider = DRIVER.find_element(By.ID, "slider-steps")
                self.assertEqual(slider.get_attribute("max"), str(len(p.steps)))
                slider.click()  # focus; a click lands mid-way, so go to the start with Home
                slider.send_keys(Keys.HOME)
                for i in range(len(p.steps)):
                    if i:
                        slider = DRIVER.find_element(By.ID, "slider-steps")
                        slider.send_keys(Keys.ARROW_RIGHT)
                    self.check_step(p, i)
                # Previous/next buttons and the ←/→ keys on the page.
                DRIVER.find_element(By.CSS_SELECTOR, "#panel-steps .prev").click()
                self.assertEqual(self.current(p)["slider"], str(max(1, len(p.steps) - 1)))
                DRIVER.find_element(By.CSS_SELECTOR, "#panel-steps .next").click()
                self.assertEqual(self.current(p)["slider"], str(len(p.steps)))
                body = DRIVER.find_element(By.TAG_NAME, "body")
                p.js("document.activeElement.blur()")
                body.send_keys(Keys.ARROW_LEFT)
                self.assertEqual(self.current(p)["slider"], str(max(1, len(p.steps) - 1)))
                body.send_keys(Keys.ARROW_RIGHT)
                self.assertEqual(self.current(p)["slider"], str(len(p.steps)))

    def test_predict_then_reveal(self):
        p = page("numpy-memmap-basics")
        p.open()
        p.tab("steps")
        quiz = p.trace["quiz"]
        qi = next(i for i, q in enumerate(quiz) if q["about_step"] and q["answer_index"] is not None)
        q = quiz[qi]
        step_index = [s["step"] for s in p.steps].index(q["about_step"])
        p.js(f"document.getElementById('slider-steps').value = {step_index + 1};"
             "document.getElementById('slider-steps').dispatchEvent(new Event('input'))")
        self.assertTrue(self.current(p)["predict"])
        self.assertEqual(p.texts("#step-body .predict-q"), [q["question"]])
        right = "ABCDEFGHIJ"[q["answer_index"]]
        p.js(f"document.querySelector('#step-body .predict .choice[data-choice={right}]').click()")
        verdict = p.texts("#step-body .reveal .verdict")[0]
        self.assertTrue(verdict.startswith("✔ Your prediction was right."), verdict)
        self.assertIn(q["measured"]["citation"], verdict)
        self.assertEqual(self.current(p)["title"], f"Step {q['about_step']} · {p.steps[step_index]['action']}")

    def test_changed_bytes_are_highlighted(self):
        p = page("numpy-memmap-basics")
        p.open()
        p.tab("steps")
        p.js("document.querySelectorAll('#step-body .skip-predict').forEach(b => b.click())")
        for i, s in enumerate(p.steps):
            p.js(f"const r = document.getElementById('slider-steps'); r.value = {i + 1}; r.dispatchEvent(new Event('input'));")
            p.js("const b = document.querySelector('#step-body .skip-predict'); if (b) b.click();")
            marked = p.js("return document.querySelectorAll('#step-body .byte.changed, #step-body .byte.new').length")
            if i == 0 or s["op"] == "open":
                continue
            prev = p.steps[i - 1]["files"].get(s["var"])
            now = s["files"].get(s["var"])
            if not prev or not now:
                continue
            before = " ".join(l["hex"] for l in prev["hex"]).split()
            after = " ".join(l["hex"] for l in now["hex"]).split()
            want = sum(1 for a, b in zip(before, after) if a != b) + max(0, len(after) - len(before))
            self.assertEqual(marked, want, f"step {s['step']}")


class QuizScores(BrowserTest):
    def test_right_and_wrong(self):
        from selenium.webdriver.common.by import By

        p = page("numpy-memmap-basics")
        p.open()
        p.tab("quiz")
        quiz = p.trace["quiz"]
        graded = [i for i, q in enumerate(quiz) if q["answer_index"] is not None]
        self.assertGreaterEqual(len(graded), 2)
        score = lambda: DRIVER.find_element(By.ID, "quiz-score").text
        self.assertEqual(score(), f"Score: 0/{len(graded)}")
        # A hint on request.
        first = DRIVER.find_elements(By.CSS_SELECTOR, "#panel-quiz .question")[graded[0]]
        if quiz[graded[0]]["hint"]:
            hint = first.find_element(By.CSS_SELECTOR, ".hint")
            self.assertFalse(hint.is_displayed())
            first.find_element(By.CSS_SELECTOR, ".hint-btn").click()
            self.assertTrue(hint.is_displayed())
            self.assertEqual(hint.text, "💡 Hint: " + quiz[graded[0]]["hint"])
        # Right.
        a = quiz[graded[0]]["answer_index"]
        first.find_elements(By.CSS_SELECTOR, ".choice")[a].click()
        fb = first.find_element(By.CSS_SELECTOR, ".feedback").text
        self.assertTrue(fb.startswith("✔ Right."), fb)
        self.assertIn(quiz[graded[0]]["explanation"].split(" ")[0], fb)
        self.assertEqual(score(), f"Score: 1/{len(graded)} (1 of {len(quiz)} answered)")
        # Answering again does not change the score.
        first.find_elements(By.CSS_SELECTOR, ".choice")[(a + 1) % len(quiz[graded[0]]["choices"])].click()
        self.assertEqual(score(), f"Score: 1/{len(graded)} (1 of {len(quiz)} answered)")
        # Wrong.
        second = DRIVER.find_elements(By.CSS_SELECTOR, "#panel-quiz .question")[graded[1]]
        b = quiz[graded[1]]["answer_index"]
        wrong = (b + 1) % len(quiz[graded[1]]["choices"])
        second.find_elements(By.CSS_SELECTOR, ".choice")[wrong].click()
        fb = second.find_element(By.CSS_SELECTOR, ".feedback").text
        self.assertTrue(fb.startswith(f"✘ Wrong — the answer is {'ABCDEFGHIJ'[b]}."), fb)
        self.assertIn("incorrect", second.find_elements(By.CSS_SELECTOR, ".choice")[wrong].get_attribute("class"))
        self.assertIn("correct", second.find_elements(By.CSS_SELECTOR, ".choice")[b].get_attribute("class"))
        self.assertEqual(score(), f"Score: 1/{len(graded)} (2 of {len(quiz)} answered)")
        # Start again.
        DRIVER.find_element(By.CSS_SELECTOR, "#panel-quiz .restart").click()
        self.assertEqual(score(), f"Score: 0/{len(graded)}")

    def test_not_graded_on_tmpfs(self):
        """A question the run cannot grade (a disk question on tmpfs) says so with the reason, before and after an
        answer, and the score counts only graded questions."""
        from selenium.webdriver.common.by import By

        if "basics-tmpfs" not in PAGES:
            self.skipTest("no writable /dev/shm")
        p = page("basics-tmpfs")
        if p.trace["environment"]["filesystem"] != "tmpfs":
            self.skipTest(f"/dev/shm is {p.trace['environment']['filesystem']}, not tmpfs")
        p.open()
        p.tab("quiz")
        quiz = p.trace["quiz"]
        ungraded = [i for i, q in enumerate(quiz) if q["answer_index"] is None]
        self.assertTrue(ungraded, "on tmpfs the disk questions cannot be graded")
        graded = len(quiz) - len(ungraded)
        score = DRIVER.find_element(By.ID, "quiz-score").text
        self.assertTrue(score.startswith(f"Score: 0/{graded} - {len(ungraded)} question"), score)
        self.assertIn("not graded", score)
        cards = DRIVER.find_elements(By.CSS_SELECTOR, "#panel-quiz .question")
        for i, card in enumerate(cards):
            notes = card.find_elements(By.CSS_SELECTOR, ".not-graded-note")
            if i not in ungraded:
                self.assertEqual(notes, [], f"question {i + 1} is graded")
                continue
            reason = quiz[i]["not_graded"]
            self.assertIn("tmpfs", reason)
            self.assertEqual(len(notes), 1)
            self.assertTrue(notes[0].text.startswith(f"○ Not graded: {reason}."), notes[0].text)
            card.find_elements(By.CSS_SELECTOR, ".choice")[0].click()
            fb = card.find_element(By.CSS_SELECTOR, ".feedback").text
            self.assertTrue(fb.startswith(f"○ Not graded: {reason}."), fb)
            self.assertEqual(card.find_elements(By.CSS_SELECTOR, ".choices .correct"), [])
        self.assertTrue(DRIVER.find_element(By.ID, "quiz-score").text.startswith(f"Score: 0/{graded} ("))


class KeyboardAndAria(BrowserTest):
    def test_tabs_from_the_keyboard(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        p = page("numpy-memmap-basics")
        p.open()
        first = DRIVER.find_element(By.ID, "tab-flow")
        self.assertEqual(DRIVER.find_element(By.CSS_SELECTOR, "[role=tablist]").get_attribute("aria-label"), "Learning modes")
        first.send_keys(Keys.ARROW_RIGHT)
        active = DRIVER.switch_to.active_element
        self.assertEqual(active.get_attribute("id"), "tab-sample")
        self.assertEqual(active.get_attribute("aria-selected"), "true")
        active.send_keys(Keys.END)
        self.assertEqual(DRIVER.switch_to.active_element.get_attribute("id"), "tab-transcript")
        DRIVER.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
        self.assertEqual(DRIVER.switch_to.active_element.get_attribute("id"), "tab-flow")
        tabindexes = p.js("return Array.from(document.querySelectorAll('[role=tab]')).map(t => t.tabIndex)")
        self.assertEqual(sorted(tabindexes), [-1] * 8 + [0])
        slider = DRIVER.find_element(By.ID, "slider-steps")
        self.assertEqual(slider.get_attribute("aria-label"), "Step")


class Hostile(BrowserTest):
    def test_markup_in_lesson_text_is_plain_text(self):
        from selenium.common.exceptions import NoAlertPresentException

        p = page("hostile")
        self.assertEqual(p.script_count, 2, "lesson text added or removed a <script> element")
        p.open()
        for view in ("flow", "sample", "steps", "table", "tracker", "moments", "quiz", "snapshot", "transcript"):
            p.tab(view)
        p.js("document.querySelectorAll('#step-body .skip-predict').forEach(b => b.click())")
        self.assertIsNone(p.js("return window.__pwned === undefined ? null : window.__pwned"))
        self.assertEqual(p.js("return document.scripts.length"), 2)
        self.assertEqual(p.js("return document.querySelectorAll('img, iframe, svg, style:not(head style), b, i, u, a[href^=http]').length"), 0)
        title = p.trace["lesson"]["title"]
        self.assertEqual(p.js("return document.getElementById('title').textContent"), title)
        self.assertIn("<script>", p.js("return document.body.textContent"))
        self.assertEqual(p.texts("#panel-snapshot li"), ["<style>body{display:none}</style>"])
        try:
            DRIVER.switch_to.alert
            self.fail("an alert opened")
        except NoAlertPresentException:
            pass


class ContentSecurityPolicy(BrowserTest):
    def test_script_hash_matches_the_inline_script(self):
        import base64
        import hashlib
        import re

        text = page("numpy-memmap-basics").path.read_text(encoding="utf-8")
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
        self.assertTrue(csp.startswith("default-src 'none';"), csp)
        code = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
        self.assertIn(f"script-src 'sha256-{digest}'", csp)


class NoErrorsNoNetwork(BrowserTest):
    def test_console_and_network(self):
        DRIVER.get_log("browser")  # drop what earlier tests left
        DRIVER.get_log("performance")
        for name in ["numpy-memmap-basics", "hostile", "eviction"]:
            p = page(name)
            p.open()
            for view in ("flow", "sample", "steps", "table", "tracker", "moments", "quiz", "snapshot", "transcript"):
                p.tab(view)
            self.assertEqual(p.js("return performance.getEntriesByType('resource').length"), 0)
            errors = [e for e in DRIVER.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")]
            self.assertEqual(errors, [], name)
            requests = []
            for entry in DRIVER.get_log("performance"):
                msg = json.loads(entry["message"])["message"]
                if msg.get("method") == "Network.requestWillBeSent":
                    requests.append(msg["params"]["request"]["url"])
            self.assertEqual([u for u in requests if u != p.path.resolve().as_uri()], [], name)


class Screenshots(BrowserTest):
    def shoot(self, width, path):
        p = page("numpy-memmap-basics")
        DRIVER.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        try:
            p.open()
            p.tab("steps")
            # Step 2 of the default lesson: a prediction answered, then the bytes the assignment changed.
            p.js("const r = document.getElementById('slider-steps'); r.value = 2; r.dispatchEvent(new Event('input'));")
            p.js("document.querySelectorAll('#step-body .predict .choice[data-choice=A]').forEach(b => b.click())")
            overflow = p.js("return document.documentElement.scrollWidth")
            self.assertLessEqual(overflow, width, f"the page is wider than {width} px")
            height = p.js("return document.documentElement.scrollHeight")
            DRIVER.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            )
            DRIVER.save_screenshot(str(path))
            self.assertGreater(path.stat().st_size, 10000)
        finally:
            DRIVER.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def test_1280(self):
        self.shoot(1280, ROOT / "target" / "html-1280.png")

    def test_390(self):
        self.shoot(390, ROOT / "target" / "html-390.png")

    def test_390_every_tab_fits(self):
        p = page("numpy-memmap-basics")
        DRIVER.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
        )
        try:
            p.open()
            for view in ("flow", "sample", "steps", "table", "tracker", "moments", "quiz", "snapshot", "transcript"):
                p.tab(view)
                self.assertLessEqual(p.js("return document.documentElement.scrollWidth"), 390, view)
        finally:
            DRIVER.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


class Print(BrowserTest):
    def test_print_shows_every_mode_in_order(self):
        p = page("numpy-memmap-basics")
        p.open()
        DRIVER.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            shown = p.js(
                "return Array.from(document.querySelectorAll('[role=tabpanel]'))"
                ".filter(e => getComputedStyle(e).display !== 'none').map(e => e.id)"
            )
            self.assertEqual(shown, [f"panel-{v}" for v in ("flow", "sample", "steps", "table", "tracker", "moments", "quiz", "snapshot", "transcript")])
            self.assertEqual(p.js("return document.querySelector('[role=tablist]').getClientRects().length"), 0)
            cards = p.js("return Array.from(document.querySelectorAll('.print-steps .step-card')).filter(e => e.offsetParent !== null).length")
            self.assertEqual(cards, len(p.steps))
            pdf = DRIVER.execute_cdp_cmd("Page.printToPDF", {})
            self.assertGreater(len(pdf.get("data", "")), 1000)
        finally:
            DRIVER.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def main():
    global ARGS, DRIVER
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "debug" / "memmap-tutor"))
    ap.add_argument("--require", action="store_true", help="fail (not skip) when no browser can start")
    ap.add_argument("-v", "--verbose", action="store_true")
    ARGS = ap.parse_args()

    DRIVER, why = start_driver()
    if DRIVER is None:
        if ARGS.require:
            print(f"browser tests: failed, no browser could start and --require was given ({why})")
            return 1
        print(f"browser tests: skipped ({why})")
        return 0
    try:
        for name in LESSONS:
            PAGES[name] = Page(build_page(name, name))
        hostile = OUT / "hostile.yaml"
        OUT.mkdir(parents=True, exist_ok=True)
        hostile.write_text(HOSTILE, encoding="utf-8")
        PAGES["hostile"] = Page(build_page(str(hostile), "hostile"))
        # On tmpfs nothing reaches a disk: Disk Write and block allocation say `unavailable (...)`.
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            work = Path(f"/dev/shm/memmap-tutor-browser-{os.getpid()}")
            try:
                PAGES["basics-tmpfs"] = Page(build_page("numpy-memmap-basics", "basics-tmpfs", ["--workdir", str(work)]))
                LESSONS.append("basics-tmpfs")
            finally:
                shutil.rmtree(work, ignore_errors=True)
        suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
        result = unittest.TextTestRunner(verbosity=2 if ARGS.verbose else 1, stream=sys.stdout).run(suite)
    finally:
        DRIVER.quit()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    shots = ", ".join(str(p.relative_to(ROOT)) for p in (ROOT / "target" / "html-1280.png", ROOT / "target" / "html-390.png") if p.exists())
    print(f"browser tests: {passed} passed, {failed} failed, {skipped} skipped (screenshots: {shots or 'none'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
