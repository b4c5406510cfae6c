//! Property test: Python-int arithmetic, true division, `float()` and NumPy's stores of random
//! ints of up to ~1,100 bits, computed by the tutor and by real Python 3 / NumPy (one `python3`
//! process per batch), must agree bit for bit and error for error.

use std::io::Write;
use std::process::{Command, Stdio};

use num_bigint::BigInt;
use proptest::prelude::*;

use crate::expr::eval::{py_arith, py_convert, unary, Value};
use crate::expr::value::{BinOp, UnOp};
use crate::numpy::dtype::{DType, Scalar};

/// What Python is asked for each case (one JSON line each); it answers one line each.
const PY: &str = r#"
import json, struct, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
sys.set_int_max_str_digits(0)  # the test's own I/O only; values stay below 4300 digits
def show(v):
    if isinstance(v, bool) or isinstance(v, int):
        return "int:%d" % v
    if isinstance(v, float):
        return "f64:%d" % struct.unpack("<Q", struct.pack("<d", v))[0]
    if isinstance(v, np.float32):
        return "f64:%d" % struct.unpack("<Q", struct.pack("<d", float(v)))[0]
    if isinstance(v, np.longdouble):
        return "f80:" + v.tobytes()[:10].hex()
    if isinstance(v, (np.integer, np.bool_)):
        return "int:%d" % int(v)
    return "other:" + repr(v)
ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
       "/": lambda a, b: a / b}
for line in sys.stdin:
    c = json.loads(line)
    a = int(c["a"])
    try:
        k = c["kind"]
        if k == "int":
            r = ops[c["op"]](a, int(c["b"]))
        elif k == "int_float":
            f = struct.unpack("<d", struct.pack("<Q", int(c["b"])))[0]
            r = ops[c["op"]](a, f) if c["left"] else ops[c["op"]](f, a)
        elif k == "neg":
            r = -a
        else:
            t = np.zeros(1, dtype=k)
            t[0] = a
            r = t[0]
            if k == "float16":
                r = float(r)
        print(show(r))
    except Exception as e:
        print("err:%s: %s" % (type(e).__name__, e))
"#;

/// One case: what to compute, both operands as text (floats as their bit pattern).
#[derive(Debug, Clone)]
struct Case {
    kind: &'static str,
    op: &'static str,
    a: BigInt,
    b: BigInt,
    left: bool,
}

fn big_int() -> impl Strategy<Value = BigInt> {
    let random =
        (0u32..1100, any::<u64>(), any::<u64>(), any::<bool>()).prop_map(|(bits, x, y, neg)| {
            // Random high digits over `bits` bits: x and y fill the top, the rest repeats them.
            let mut v: BigInt = (BigInt::from(x) << 64usize) | BigInt::from(y);
            while v.bits() < u64::from(bits) {
                v = (v << 61usize) ^ BigInt::from(x.rotate_left(bits));
            }
            let extra = v.bits().saturating_sub(u64::from(bits)) as usize;
            let v = v >> extra;
            if neg {
                -v
            } else {
                v
            }
        });
    // Near powers of two: the float boundaries (ties, 2^1024, subnormal quotients).
    let edge = (0u32..1100, -4i64..=4, any::<bool>()).prop_map(|(k, d, neg)| {
        let v = (BigInt::from(1) << k as usize) + d;
        if neg {
            -v
        } else {
            v
        }
    });
    // A double's ties: (2^53 + odd) shifted, and 2^1024 - 2^970 +- 1.
    let tie = (0u32..960, 0u64..8)
        .prop_map(|(k, d)| ((BigInt::from(1) << 53usize) + (2 * d + 1)) << k as usize);
    let top = (-2i64..=2)
        .prop_map(|d| (BigInt::from(1) << 1024usize) - (BigInt::from(1) << 970usize) + d);
    prop_oneof![4 => random, 3 => edge, 1 => tie, 1 => top]
}

fn case() -> impl Strategy<Value = Case> {
    let ops = prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")];
    let stores = prop_oneof![
        Just("float64"),
        Just("float32"),
        Just("float16"),
        Just("longdouble"),
        Just("int64"),
        Just("uint64"),
        Just("uint8"),
        Just("longlong"),
        Just("bool"),
    ];
    let float_bits = prop_oneof![
        any::<u64>(),
        any::<f64>().prop_map(f64::to_bits),
        Just(0u64),
        Just(0.5f64.to_bits())
    ];
    prop_oneof![
        4 => (ops.clone(), big_int(), big_int()).prop_map(|(op, a, b)| Case { kind: "int", op, a, b, left: true }),
        2 => (ops, big_int(), float_bits, any::<bool>()).prop_map(|(op, a, f, left)| Case {
            kind: "int_float", op, a, b: BigInt::from(f), left,
        }),
        1 => big_int().prop_map(|a| Case { kind: "neg", op: "", a, b: BigInt::from(0), left: true }),
        3 => (stores, big_int()).prop_map(|(kind, a)| Case { kind, op: "", a, b: BigInt::from(0), left: true }),
    ]
}

/// The tutor's answer in the Python side's notation.
fn tutor(c: &Case) -> String {
    let show = |r: Result<Scalar, String>| match r {
        Ok(Scalar::Int(i)) => format!("int:{i}"),
        Ok(Scalar::UInt(u)) => format!("int:{u}"),
        Ok(Scalar::Bool(b)) => format!("int:{}", u8::from(b)),
        Ok(Scalar::Big(v)) => format!("int:{}", v.get()),
        Ok(Scalar::Float(f)) => format!("f64:{}", f.to_bits()),
        Ok(Scalar::Long(x)) => {
            let b = x.to_le_bytes();
            format!(
                "f80:{}",
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            )
        }
        Ok(other) => format!("other:{other:?}"),
        Err(e) => format!("err:{e}"),
    };
    let a = Scalar::py_int(c.a.clone());
    let op = match c.op {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        _ => BinOp::Div,
    };
    match c.kind {
        "int" => show(py_arith(op, a, Scalar::py_int(c.b.clone()))),
        "int_float" => {
            let bits = c.b.iter_u64_digits().next().unwrap_or(0);
            let f = Scalar::Float(f64::from_bits(bits));
            show(if c.left {
                py_arith(op, a, f)
            } else {
                py_arith(op, f, a)
            })
        }
        "neg" => show(match unary(UnOp::Neg, Value::PyScalar(a)) {
            Ok(Value::PyScalar(s)) => Ok(s),
            Ok(other) => Err(format!("not a Python number: {other:?}")),
            Err(e) => Err(e),
        }),
        dt => show(py_convert(a, &DType::parse(dt).expect("a test dtype"))),
    }
}

/// Python's answers for a batch, or `None` (with the reason printed) without python3/NumPy.
fn python(cases: &[Case]) -> Option<Vec<String>> {
    let child = Command::new("python3")
        .args(["-c", PY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIP pyint_vs_python: cannot run python3 ({e})");
            return None;
        }
    };
    let mut input = String::new();
    for c in cases {
        input.push_str(&format!(
            "{{\"kind\": \"{}\", \"op\": \"{}\", \"a\": \"{}\", \"b\": \"{}\", \"left\": {}}}\n",
            c.kind, c.op, c.a, c.b, c.left
        ));
    }
    let mut stdin = child.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().ok()?;
    let _ = writer.join();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'numpy'") {
            eprintln!("SKIP pyint_vs_python: NumPy is not installed for python3");
            return None;
        }
        panic!("python3 failed: {err}");
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Bit-exact agreement with Python 3 / NumPy on 300 random cases per batch.
    #[test]
    fn python_int_arithmetic_and_conversions_match_python(cases in prop::collection::vec(case(), 300)) {
        if let Some(expected) = python(&cases) {
            prop_assert_eq!(expected.len(), cases.len());
            for (c, want) in cases.iter().zip(&expected) {
                let got = tutor(c);
                prop_assert_eq!(&got, want, "case {:?}", c);
            }
        }
    }
}

#[test]
fn a_literal_past_4300_digits_is_pythons_syntax_error() {
    let text = "7".repeat(4301);
    let err = crate::expr::value::parse_value_str(&text)
        .err()
        .map(|e| e.message)
        .unwrap_or_default();
    let out = Command::new("python3")
        .args(["-c", &format!("compile('{text}', 'x', 'eval')")])
        .output();
    match out {
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let last = stderr.lines().last().unwrap_or_default();
            // Python prints `SyntaxError: <message>` as the traceback's last line.
            assert_eq!(err, last, "tutor vs Python");
        }
        Err(e) => eprintln!("SKIP literal limit vs python3: cannot run python3 ({e})"),
    }
    assert!(crate::expr::value::parse_value_str(&"7".repeat(4300)).is_ok());
}
