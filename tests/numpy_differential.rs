//! Randomized differential test against real NumPy: a fixed set of generated lessons (tests/differential/) run by the
//! tutor and by an independent NumPy interpreter, compared step by step; plus a check that the comparison can fail.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Seeds run by `cargo test` (any range runs on demand: `python3 tests/differential/run.py --seeds 0:5000`).
const SEEDS: &str = "0:200";

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

/// `python3` (or $PYTHON) when it runs and has NumPy; else the reason to skip.
fn python_with_numpy() -> Result<String, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    match Command::new(&python)
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output()
    {
        Err(e) => Err(format!("`{python}` cannot be run ({e})")),
        Ok(out) if !out.status.success() => Err(format!(
            "`{python} -c 'import numpy'` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => Ok(python),
    }
}

/// Run tests/differential/run.py with `args`; (exit code, stdout + stderr).
fn run_harness(python: &str, args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential");
    let mut cmd = Command::new(python);
    cmd.arg(harness().join("run.py"))
        .args(args)
        .args(["--jobs", "2", "--quiet", "--out"])
        .arg(&out_dir)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The number after `key: ` in the harness's summary line.
fn summary_count(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("lessons: "))?;
    let rest = &line[line.find(&format!("{key}: "))? + key.len() + 2..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn generated_lessons_match_numpy() {
    let python = match python_with_numpy() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED numpy differential test: {why} (CI installs numpy)");
            return;
        }
    };
    let tutor = env!("CARGO_BIN_EXE_memmap-tutor");
    let known = std::fs::read_to_string(harness().join("known_unfixed.txt")).unwrap_or_default();
    let listed: Vec<&str> = known
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    if listed.is_empty() {
        eprintln!(
            "known-unfixed constructs: none; every construct the generator knows is exercised"
        );
    } else {
        eprintln!(
            "known-unfixed constructs LEFT OUT of the generated lessons (tests/differential/known_unfixed.txt):"
        );
        for l in &listed {
            eprintln!("  {l}");
        }
    }
    let (code, text) = run_harness(
        &python,
        &[
            "--seeds",
            SEEDS,
            "--tutor",
            tutor,
            "--exclude-known",
            "--shrink-per-bucket",
            "1",
            "--shrink-budget",
            "60",
        ],
        &[],
    );
    eprintln!("{text}");
    assert_eq!(
        summary_count(&text, "lessons"),
        Some(200),
        "the harness did not run every seed"
    );
    assert!(
        summary_count(&text, "steps").unwrap_or(0) >= 1000,
        "too few steps compared"
    );
    assert_eq!(
        code, 0,
        "generated lessons differ from NumPy (minimal lessons are listed above)"
    );
}

/// Seeds of the second generator (gen2.py, written apart from gen.py: longer lessons, views of N-d arrays,
/// aliasing names, raw bit patterns, page-crossing offsets, teacher mistakes, other YAML spellings) run by
/// `cargo test`; any range runs on demand with `run.py --gen gen2 --seeds A:B`.
const GEN2_SEEDS: &str = "0:60";

#[test]
fn gen2_lessons_match_numpy() {
    let python = match python_with_numpy() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED numpy differential test (gen2): {why} (CI installs numpy)");
            return;
        }
    };
    let tutor = env!("CARGO_BIN_EXE_memmap-tutor");
    let (code, text) = run_harness(
        &python,
        &[
            "--gen",
            "gen2",
            "--seeds",
            GEN2_SEEDS,
            "--tutor",
            tutor,
            "--shrink-per-bucket",
            "1",
            "--shrink-budget",
            "60",
        ],
        &[],
    );
    eprintln!("{text}");
    assert_eq!(
        summary_count(&text, "lessons"),
        Some(60),
        "the harness did not run every gen2 seed"
    );
    assert!(
        summary_count(&text, "steps").unwrap_or(0) >= 500,
        "too few gen2 steps compared"
    );
    assert_eq!(
        code, 0,
        "gen2 lessons differ from NumPy (minimal lessons are listed above)"
    );
}

/// The minimal lesson of every root cause fixed since the generator found it
/// (tests/differential/regressions.json), compared with NumPy as the seeds are.
#[test]
fn fixed_root_causes_stay_fixed() {
    let python = match python_with_numpy() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED numpy differential regressions: {why} (CI installs numpy)");
            return;
        }
    };
    let tutor = env!("CARGO_BIN_EXE_memmap-tutor");
    let (code, text) = run_harness(&python, &["--regressions", "--tutor", tutor], &[]);
    eprintln!("{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("regression lessons: "))
        .unwrap_or_else(|| panic!("no summary from the harness:\n{text}"));
    assert!(
        !line.starts_with("regression lessons: 0,"),
        "no regression lesson ran"
    );
    assert_eq!(code, 0, "a fixed root cause differs from NumPy again");
}

#[test]
fn the_comparison_sees_a_wrong_tutor() {
    let python = match python_with_numpy() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED numpy differential self-check: {why} (CI installs numpy)");
            return;
        }
    };
    let mutant = harness().join("mutant_tutor.py");
    let mutant = mutant.to_str().expect("utf-8 path");
    for mutation in ["str", "error", "read", "bytes"] {
        let (code, text) = run_harness(
            &python,
            &[
                "--seeds",
                "0:12",
                "--tutor",
                mutant,
                // What the tutor refuses at load would hide the mutation: leave it out here.
                "--exclude",
                "float16,complex,longdouble,bigint,use_after_close,bad_mode,scalar_in_list",
                "--shrink-per-bucket",
                "0",
            ],
            &[
                ("REAL_TUTOR", env!("CARGO_BIN_EXE_memmap-tutor")),
                ("MUTATION", mutation),
            ],
        );
        let refused = summary_count(&text, "refused at load").unwrap_or(0);
        assert_eq!(code, 1, "mutation {mutation}: expected differences\n{text}");
        assert_eq!(
            summary_count(&text, "differing lessons"),
            Some(12),
            "mutation {mutation}: every lesson run by a wrong tutor must differ\n{text}"
        );
        assert!(
            refused <= 4,
            "mutation {mutation}: {refused} of 12 lessons refused at load hide the check\n{text}"
        );
    }
}
