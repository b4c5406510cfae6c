//! Work bombs in value expressions: Python ints of thousands of digits in object arrays of up to
//! four million elements, combined by every operator, converted through every dtype NumPy
//! converts them to (longdouble and clongdouble go through `str()`), repeated, reshaped and
//! stored. Each generated lesson runs through the real binary with a CPU-time limit: it must end
//! (exit 0 with its errors as error steps, or exit 2 with the step and field), never be killed
//! by the limit, never panic.
//!
//! The limit is CPU seconds, not wall time, so a loaded machine does not make it flaky: 60 s is
//! ten times the slowest generated lesson measured in a debug build (about 6 s: four million
//! x87 multiplications in software), while the bombs this catches took from 170 s (four million
//! subtractions of 14,000-bit ints) to hours (four million conversions to clongdouble, each
//! building a 4,300-digit string) before the work budget of `src/expr/object.rs`.
//! `HOSTILE_BOMBS_CASES=200 HOSTILE_BOMBS_SEED=N cargo test --test hostile_bombs` runs longer.

use std::process::Command;

/// A small deterministic generator (xorshift), so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const COUNTS: &[&str] = &["3", "1000", "100000", "4000000", "4194304", "4194305"];
const DTYPES: &[&str] = &[
    "float64",
    "longdouble",
    "clongdouble",
    "complex128",
    "uint64",
    "int8",
    "float16",
    "G",
    "g",
];

/// A Python int literal of 20 to 4,299 digits (the literal limit is 4,300), maybe negative.
fn big(rng: &mut Rng) -> String {
    let digits = [20, 400, 2000, 4299][rng.below(4)];
    let sign = if rng.below(4) == 0 { "-" } else { "" };
    format!("{sign}{}", "9".repeat(digits))
}

/// A value expression of at most `depth` levels of operators around big-int producers.
fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(3) == 0 {
        let n = rng.pick(COUNTS);
        return match rng.below(8) {
            // Many operations on big ints whose results are small (x - x, x / y): no cap on
            // results stops them, only the work budget.
            6 | 7 => {
                let n = rng.pick(&["100000", "4000000", "4194304"]);
                let d = [400, 2000, 4299][rng.below(3)];
                let (a, b) = ("9".repeat(d), format!("{}8", "9".repeat(d - 1)));
                let op = rng.pick(&["-", "/", "+", "*"]);
                format!("np.full({n}, {a}) {op} np.full({n}, {b})")
            }
            0 => format!("np.full({n}, {})", big(rng)),
            1 => {
                // 10**(d-1) to 10**(d-1) + n: an arange of n Python ints of d digits.
                let d = [20, 400, 2000][rng.below(3)];
                let (start, stop) = (
                    format!("1{}", "0".repeat(d - 1)),
                    format!("1{}{n}", "0".repeat(d - 1 - n.len())),
                );
                if rng.below(2) == 0 {
                    format!("np.arange({start}, {stop})")
                } else {
                    format!("np.arange({stop}, {start}, -1)")
                }
            }
            2 => format!("np.array([{}, {}, 1])", big(rng), big(rng)),
            3 => format!(
                "np.{}({})",
                rng.pick(&["longdouble", "clongdouble"]),
                big(rng)
            ),
            4 => format!("np.arange({n})"),
            _ => big(rng),
        };
    }
    let a = expr(rng, depth - 1);
    match rng.below(5) {
        0 | 1 => {
            let op = rng.pick(&["+", "-", "*", "/"]);
            format!("({a}) {op} ({})", expr(rng, depth - 1))
        }
        2 => format!("({a}).astype('{}')", rng.pick(DTYPES)),
        3 => format!("-({a})"),
        _ => format!("({a}).reshape(-1)"),
    }
}

fn lesson(rng: &mut Rng) -> String {
    let dtype = rng.pick(&["float64", "longdouble", "clongdouble", "uint64", "float32"]);
    let mut yaml = format!(
        "title: bombs\nsteps:\n  - {{op: open, file: a.dat, dtype: {dtype}, mode: w+, shape: 3}}\n"
    );
    for _ in 0..3 {
        // Within the 10,000-character limit of an expression (longer ones are refused at load).
        let value = loop {
            let v = expr(rng, 3);
            if v.len() < 10_000 {
                break v;
            }
        };
        yaml.push_str(&format!("  - {{op: assign, value: \"{value}\"}}\n"));
    }
    yaml
}

#[test]
fn big_int_work_is_bounded_per_step() {
    let cases: u64 = std::env::var("HOSTILE_BOMBS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("HOSTILE_BOMBS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13);
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in seed..seed + cases {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let yaml = lesson(&mut rng);
        let path = dir.path().join(format!("bomb{case}.yaml"));
        std::fs::write(&path, &yaml).unwrap();
        // `ulimit -t`: the kernel kills the tutor with SIGXCPU past 60 CPU seconds.
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -t 60 && exec \"$0\" run --format json \"$1\"")
            .arg(env!("CARGO_BIN_EXE_memmap-tutor"))
            .arg(&path)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok = match out.status.code() {
            Some(0) => serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .map(|t| t["steps"].as_array().map(Vec::len) == Some(4))
                .unwrap_or(false),
            Some(2) => stderr.contains("field `value`"),
            _ => false,
        };
        if std::env::var_os("HOSTILE_BOMBS_VERBOSE").is_some() {
            let errors: Vec<String> = serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .ok()
                .and_then(|t| t["steps"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|s| {
                    s["error"]
                        .as_str()
                        .unwrap_or("-")
                        .chars()
                        .take(60)
                        .collect()
                })
                .collect();
            eprintln!(
                "case {case}: {:?} {errors:?} {}",
                out.status.code(),
                stderr.chars().take(200).collect::<String>()
            );
        }
        if !ok || stderr.contains("panicked") {
            failures.push(format!(
                "case {case}: {:?} {}\n{yaml}",
                out.status,
                stderr.chars().take(300).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
