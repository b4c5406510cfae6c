//! `memmap-tutor trace` through the real binary: real python3 + NumPy scripts, one step per finished line.
//! Tests that need NumPy skip with a printed reason where it is missing (CI installs it).

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::{numpy_missing, tutor};
use serde_json::Value;

macro_rules! need_numpy {
    () => {
        if let Some(why) = numpy_missing() {
            eprintln!("skip: {why}");
            return;
        }
    };
}

/// Write `script` as `name` in `dir`, trace it there with the tutor's `options` (before the script, as the
/// usage line has it), and parse the JSON trace.
fn trace_json(dir: &Path, name: &str, script: &str, options: &[&str]) -> Value {
    trace_json_args(dir, name, script, options, &[])
}

/// Like [`trace_json`], with arguments for the script after its name.
fn trace_json_args(dir: &Path, name: &str, script: &str, options: &[&str], args: &[&str]) -> Value {
    std::fs::write(dir.join(name), script).expect("write script");
    let out = tutor()
        .current_dir(dir)
        .args(["trace", "--format", "json"])
        .args(options)
        .arg(name)
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "trace failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn steps(v: &Value) -> &Vec<Value> {
    v["steps"].as_array().expect("steps")
}

fn lines(v: &Value) -> Vec<u64> {
    steps(v)
        .iter()
        .map(|s| s["script"]["line"].as_u64().expect("line"))
        .collect()
}

#[test]
fn default_lesson_sample_traced_matches_the_lesson() {
    need_numpy!();
    let lesson = memmap_tutor::lesson::load("numpy-memmap-basics").expect("lesson");
    let sample = lesson.lesson.sample.as_ref().expect("sample").code.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let traced = trace_json(dir.path(), "sample.py", &sample, &[]);
    let run = common::run_json(&[]);
    // The lesson's create, assign and flush are the sample's three lines that name `arr`.
    let traced_steps: Vec<&Value> = steps(&traced)
        .iter()
        .filter(|s| s["var"] == "arr")
        .collect();
    let run_steps: Vec<&Value> = steps(&run).iter().take(3).collect();
    assert_eq!(traced_steps.len(), 3, "{traced:#}");
    let ops: Vec<&str> = traced_steps
        .iter()
        .map(|s| s["op"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ops, ["open", "assign", "flush"]);
    for (t, r) in traced_steps.iter().zip(&run_steps) {
        assert_eq!(
            t["arrays"]["arr"]["str"], r["arrays"]["arr"]["str"],
            "{t:#}"
        );
        assert_eq!(t["file"]["str"], r["file"]["str"]);
        assert_eq!(t["file"]["size"], r["file"]["size"]);
        assert_eq!(t["disk_write"], r["disk_write"], "{t:#} vs {r:#}");
    }
    let writes: Vec<bool> = traced_steps
        .iter()
        .map(|s| s["disk_write"].as_bool().unwrap_or(false))
        .collect();
    if traced["environment"]["has_disk"] == true {
        assert_eq!(writes, [false, false, true]);
    } else {
        eprintln!(
            "note: no disk behind the temp dir; Disk Write compared only between the two runs"
        );
    }
    assert_eq!(traced["script"]["exit_code"], 0);
}

#[test]
fn npy_header_is_visible_before_the_data() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import numpy as np\n\
np.save('a.npy', np.arange(6, dtype='<i4').reshape(2, 3))\n\
m = np.load('a.npy', mmap_mode='r+')\n\
m[0, 0] = 42\n";
    let v = trace_json(dir.path(), "npy.py", script, &[]);
    let s = steps(&v);
    assert_eq!(lines(&v), [1, 2, 3, 4]);
    let open = &s[2];
    assert_eq!(open["op"], "open");
    assert_eq!(open["arrays"]["m"]["mode"], "r+");
    assert_eq!(open["arrays"]["m"]["dtype"], "int32");
    assert_eq!(open["arrays"]["m"]["offset"], 128, "{open:#}");
    assert_eq!(open["arrays"]["m"]["str"], "[[0 1 2]\n [3 4 5]]");
    let hex = open["file"]["hex"].as_array().expect("hex");
    assert_eq!(hex[0]["offset"], 0);
    // \x93NUMPY, then the format version: the header before the data.
    assert!(
        hex[0]["hex"]
            .as_str()
            .is_some_and(|h| h.starts_with("93 4e 55 4d 50 59")),
        "{hex:?}"
    );
    assert!(hex.iter().any(|l| l["offset"] == 128));
    let store = &s[3];
    assert_eq!(store["op"], "assign");
    assert_eq!(store["arrays"]["m"]["str"], "[[42  1  2]\n [ 3  4  5]]");
    assert_eq!(store["file"]["str"], "[[42  1  2]\n [ 3  4  5]]");
}

#[test]
fn a_loop_is_capped_by_max_steps_and_runs_on_untraced() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import numpy as np\n\
a = np.memmap('loop.bin', dtype='uint8', mode='w+', shape=(4,))\n\
for i in range(50):\n    a[i % 4] = i\n\
print('last', a[:])\n";
    let v = trace_json(dir.path(), "loop.py", script, &["--max-steps", "5"]);
    assert_eq!(steps(&v).len(), 5);
    assert_eq!(lines(&v), [1, 2, 3, 4, 3]);
    assert_eq!(v["script"]["stopped_after"], 3);
    assert_eq!(v["script"]["exit_code"], 0);
    // The untraced rest ran to the end: the loop's last stores and the print happened.
    assert_eq!(v["script"]["stdout_after"], "last [48 49 46 47]\n");
    let text = tutor()
        .current_dir(dir.path())
        .args(["trace", "--max-steps", "5", "--view", "table", "loop.py"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("tracing stopped after 5 steps (line 3)"),
        "{text}"
    );
}

#[test]
fn every_and_top_level_sample_lines() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "def f(x):\n    y = x + 1\n    return y\n\
total = 0\n\
for i in range(3):\n    total = f(total)\n\
print(total)\n";
    let all = trace_json(dir.path(), "f.py", script, &[]);
    assert_eq!(
        lines(&all),
        [1, 4, 5, 2, 3, 6, 5, 2, 3, 6, 5, 2, 3, 6, 5, 7]
    );
    assert_eq!(steps(&all)[3]["script"]["function"], "f");
    let top = trace_json(dir.path(), "f.py", script, &["--top-level"]);
    assert_eq!(lines(&top), [1, 4, 5, 6, 5, 6, 5, 6, 5, 7]);
    let every = trace_json(dir.path(), "f.py", script, &["--every", "4"]);
    let sampled: Vec<u64> = lines(&all).into_iter().step_by(4).collect();
    assert_eq!(lines(&every), sampled);
    assert_eq!(steps(&every).last().expect("step")["script"]["stdout"], "");
    assert_eq!(steps(&all).last().expect("step")["script"]["stdout"], "3\n");
}

#[test]
fn an_exception_ends_the_trace_in_the_step_that_raised() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import numpy as np\n\
a = np.memmap('e.bin', dtype='int16', mode='w+', shape=(2,))\n\
a[0] = 7\n\
x = 1 // 0\n\
print('never')\n";
    let v = trace_json(dir.path(), "boom.py", script, &[]);
    let s = steps(&v);
    assert_eq!(lines(&v), [1, 2, 3, 4]);
    let last = s.last().expect("step");
    assert_eq!(last["ok"], false);
    assert_eq!(
        last["error"],
        "ZeroDivisionError: integer division or modulo by zero"
    );
    assert_eq!(last["arrays"]["a"]["str"], "[7 0]");
    assert_eq!(v["script"]["exit_code"], 1);
    assert!(v["script"]["stdout_after"]
        .as_str()
        .is_some_and(|o| !o.contains("never")));
}

#[test]
fn a_script_that_never_maps_a_file() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import numpy as np\nx = np.arange(3)\nprint(x.sum())\n";
    let v = trace_json(dir.path(), "plain.py", script, &[]);
    let s = steps(&v);
    assert_eq!(s.len(), 3);
    for step in s {
        assert!(step["arrays"].as_object().is_some_and(|a| a.is_empty()));
        assert_eq!(step["file"], Value::Null);
        assert_eq!(step["pages"], Value::Null);
        assert!(step["pages_unavailable"].as_str().is_some());
    }
    assert_eq!(s[2]["script"]["stdout"], "3\n");
    assert_eq!(s[2]["note"], "printed: 3");
    // The tutor itself created nothing next to the script.
    assert_eq!(common::listing(dir.path()), ["plain.py"]);
}

#[test]
fn missing_numpy_or_python_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("s.py"), "print(1)\n").expect("write");
    // A NumPy that cannot be imported, first on the path.
    let fake = dir.path().join("fake");
    std::fs::create_dir_all(fake.join("numpy")).expect("mkdir");
    std::fs::write(
        fake.join("numpy/__init__.py"),
        "raise ImportError('No module named numpy (simulated)')\n",
    )
    .expect("write");
    if Process::new("python3").arg("-V").output().is_err() {
        eprintln!("skip: no python3 at all");
    } else {
        let out = tutor()
            .current_dir(dir.path())
            .env("PYTHONPATH", &fake)
            .args(["trace", "s.py"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("NumPy cannot be imported"), "{err}");
        assert!(err.contains("simulated"), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = tutor()
        .current_dir(dir.path())
        .args(["trace", "s.py", "--python", "/nonexistent/python3"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`/nonexistent/python3` was not found"),
        "{err}"
    );
    let out = tutor()
        .current_dir(dir.path())
        .args(["trace", "missing.py"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the script"));
}

#[test]
fn script_arguments_reach_sys_argv() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import sys\nprint(sys.argv)\n";
    let v = trace_json_args(
        dir.path(),
        "args.py",
        script,
        &[],
        &["x", "--max-steps", "7"],
    );
    assert_eq!(
        steps(&v).last().expect("step")["script"]["stdout"],
        "['args.py', 'x', '--max-steps', '7']\n"
    );
    assert_eq!(v["script"]["max_steps"], 1000);
}

#[test]
fn quiz_on_a_traced_script_is_answered_from_its_run() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import numpy as np\n\
a = np.memmap('q.bin', dtype='int32', mode='w+', shape=(2, 2))\n\
a[1, 0] = 77\n\
a.flush()\n";
    std::fs::write(dir.path().join("q.py"), script).expect("write");
    let quiz = |answers: &str| {
        tutor()
            .current_dir(dir.path())
            .args(["quiz", "--trace", "q.py", "--answers", answers])
            .output()
            .expect("runs")
    };
    let first = quiz("A,A,A");
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(text.contains("what does `a[1, 0]` hold?"), "{text}");
    assert!(text.contains("77"), "{text}");
    // The key of each question, from the run: the letter a right answer has, or the one a wrong answer names.
    let mut keys = Vec::new();
    for block in text.split("Your answer").skip(1) {
        if block.contains("✔") {
            keys.push("A".to_string());
        } else if let Some(rest) = block.split("the answer is ").nth(1) {
            keys.push(rest[..1].to_string());
        }
    }
    let asked = text.matches("Your answer").count();
    assert_eq!(keys.len(), asked, "{text}");
    assert!(asked >= 2, "{text}");
    let second = quiz(&keys.join(","));
    let out = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("Score: {0}/{0}", keys.len())),
        "{out}"
    );
}

#[test]
fn a_script_lesson_runs_through_trace_and_verify_checks_its_lines() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/script-lesson.yaml");
    // A lesson is untrusted input: its Python runs only when the user allows it.
    let refused = tutor().arg("verify").arg(&fixture).output().expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("MEMMAP_TUTOR_RUN_SCRIPTS=1"));
    let check = tutor().arg("check").arg(&fixture).output().expect("runs");
    assert_eq!(check.status.code(), Some(0));
    need_numpy!();
    let ok = tutor()
        .env("MEMMAP_TUTOR_RUN_SCRIPTS", "1")
        .arg("verify")
        .arg(&fixture)
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{out}");
    assert!(out.contains("PASS") && out.contains(", 0 failed"), "{out}");
    // The same lesson claiming a disk write at the store: verify fails and names the line's step.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(&fixture).expect("read");
    let wrong = text.replacen(
        "      dirty: 1\n      disk_write: false",
        "      dirty: 1\n      disk_write: true",
        1,
    );
    assert_ne!(wrong, text);
    let bad = dir.path().join("wrong.yaml");
    std::fs::write(&bad, wrong).expect("write");
    let failed = tutor()
        .env("MEMMAP_TUTOR_RUN_SCRIPTS", "1")
        .arg("verify")
        .arg(&bad)
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL") && out.contains("disk_write"), "{out}");
    // The quiz's `about` names lines; the run decides the answers.
    let quiz = tutor()
        .env("MEMMAP_TUTOR_RUN_SCRIPTS", "1")
        .args(["run", "--format", "json"])
        .arg(&fixture)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&quiz.stdout).expect("json");
    let q = v["quiz"].as_array().expect("quiz");
    assert_eq!(q[1]["measured"]["answer"], "1", "{q:?}");
    if v["environment"]["has_disk"] == true {
        // Step 4 is line 4 (`arr.flush()`): the script's first line that wrote to disk.
        assert_eq!(q[0]["measured"]["answer"], "Step 4", "{q:?}");
    }
}

#[test]
fn a_script_lesson_is_validated_like_any_lesson() {
    let dir = tempfile::tempdir().expect("tempdir");
    let both = "title: t\nscript: |\n  x = 1\nsteps:\n  - op: open\n    file: f\n    shape: 1\n";
    let lines =
        "title: t\nscript: |\n  x = 1\nexpect_lines:\n  - line: 5\n    expect: { dirty: 0 }\n";
    let about = "title: t\nscript: |\n  x = 1\nquiz:\n  - question: q\n    about: { kind: dirty_pages, step: 2 }\n";
    for (name, text, want) in [
        ("both", both, "give either `steps` or `script`"),
        (
            "lines",
            lines,
            "line 5 does not exist (the script has lines 1 to 1)",
        ),
        (
            "about",
            about,
            "line 2 does not exist (the lesson has lines 1 to 1)",
        ),
    ] {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, text).expect("write");
        let out = tutor().arg("check").arg(&path).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{name}: {err}");
    }
}

#[test]
fn ctrl_c_ends_the_script_and_the_tutor() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("endless_{}.py", std::process::id());
    std::fs::write(
        dir.path().join(&name),
        "import time\nwhile True:\n    time.sleep(0.01)\n",
    )
    .expect("write");
    let bin = assert_cmd::cargo::cargo_bin("memmap-tutor");
    let tutor_proc = Process::new(bin)
        .current_dir(dir.path())
        .args(["trace", "--max-steps", "3", &name])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    // The script runs on untraced after 3 steps; give it time to get there.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let script_running = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .map(|c| String::from_utf8_lossy(&c).contains(&name))
                    .unwrap_or(false)
            })
    };
    assert!(script_running(), "the script should be running");
    // SAFETY: kill(2) with a pid this test started and a valid signal number.
    let rc = unsafe { libc::kill(tutor_proc.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    let out = tutor_proc.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), Some(130));
    // It says what it ended, and nothing it did not do (`trace` has no temporary work directory).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interrupted; the traced script (pid ") && err.contains(") was killed"),
        "{err}"
    );
    assert!(!err.contains("work directory"), "{err}");
    let mut gone = false;
    for _ in 0..50 {
        if !script_running() {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(gone, "the script outlived the tutor");
}

#[test]
fn everything_written_to_fd_1_lands_in_the_step_that_wrote_it() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import os, subprocess, sys\n\
print('from print')\n\
os.write(1, b'from os.write\\n')\n\
subprocess.run(['echo', 'from a subprocess'])\n\
sys.stdout.write('x' * 200000)\n\
os.system('echo from os.system')\n\
x = 1\n";
    let v = trace_json(dir.path(), "out.py", script, &[]);
    let out: Vec<&str> = steps(&v)
        .iter()
        .map(|s| s["script"]["stdout"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(out[0], "", "{out:?}");
    assert_eq!(out[1], "from print\n");
    assert_eq!(out[2], "from os.write\n");
    assert_eq!(out[3], "from a subprocess\n");
    // 200,000 bytes in one line (more than a pipe holds) neither block the script nor get lost: counted.
    assert!(
        out[4].starts_with("xxxx") && out[4].ends_with("more characters)"),
        "{}",
        &out[4][out[4].len().saturating_sub(80)..]
    );
    assert_eq!(out[5], "from os.system\n");
    assert_eq!(out[6], "");
    assert_eq!(v["script"]["exit_code"], 0);
}

#[test]
fn ops_come_from_what_the_program_did_not_from_its_text() {
    need_numpy!();
    let dir = tempfile::tempdir().expect("tempdir");
    // Every line's text misleads: no `memmap(`, no `.flush(`, no `del`, a string that looks like a flush.
    let script = "import numpy as np\n\
make = np.memmap\n\
a = make('o.bin', dtype='uint8', mode='w+', shape=(4,))\n\
note = 'a.flush()'\n\
sync = a.flush\n\
sync()\n\
keep = a[1:]\n\
a = None\n\
sync = keep = None\n";
    let v = trace_json(dir.path(), "ops.py", script, &[]);
    let s = steps(&v);
    let row = |line: u64| {
        s.iter()
            .find(|x| x["script"]["line"] == line)
            .unwrap_or_else(|| panic!("line {line}: {v:#}"))
    };
    let op = |line: u64| row(line)["op"].as_str().unwrap_or("").to_string();
    let from = |line: u64| {
        row(line)["script"]["op_from"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(op(3), "open", "{}", from(3));
    assert!(from(3).contains("mmap.__new__"), "{}", from(3));
    assert_eq!(op(4), "read", "{}", from(4));
    assert_eq!(op(6), "flush", "{}", from(6));
    assert!(from(6).starts_with("observed:"), "{}", from(6));
    // `a = None` leaves the view (and the bound method) holding the mapping: nothing is unmapped, no close.
    assert_ne!(op(8), "close", "{}", from(8));
    // The last reference goes: the mapping leaves the process.
    assert_eq!(op(9), "close", "{}", from(9));
    assert!(from(9).contains("munmap"), "{}", from(9));
}
