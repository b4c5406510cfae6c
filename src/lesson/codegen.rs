//! NumPy code for resolved steps: one line per step, and the whole lesson as a runnable NumPy script.

use super::{Action, LoadedLesson, OpenSpec};

/// A Python string literal for `s` (single-quoted, like `repr`).
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A shape as a Python tuple: `(3, 3)`, `(9,)`, `()`.
pub fn py_tuple(dims: &[i64]) -> String {
    match dims {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `arr = np.memmap('large_data.dat', dtype='float32', mode='w+', shape=(3, 3))`.
pub fn open_code(spec: &OpenSpec) -> String {
    let mut s = format!(
        "{} = np.memmap({}, dtype={}, mode={}",
        spec.var,
        py_str(&spec.file),
        py_str(&spec.dtype.to_string()),
        py_str(spec.mode.as_str())
    );
    if spec.offset != 0 {
        s.push_str(&format!(", offset={}", spec.offset));
    }
    if let Some(shape) = &spec.shape {
        s.push_str(&format!(", shape={}", py_tuple(shape)));
    }
    if spec.order != "C" {
        s.push_str(&format!(", order={}", py_str(&spec.order)));
    }
    s.push(')');
    s
}

/// The NumPy line for one action.
pub fn action_code(action: &Action) -> String {
    match action {
        Action::Open(spec) => open_code(spec),
        Action::Assign { var, index, value } => {
            format!("{} = {}", index.to_python(var), value.to_python())
        }
        Action::Read { var, index } => format!("print({})", index.to_python(var)),
        Action::Flush { var } => format!("{var}.flush()"),
        Action::Close { var } => format!("del {var}"),
    }
}

/// The action text used when a step has no `action`: "Open large_data.dat as float32 (3, 3), mode w+".
pub fn action_text(action: &Action) -> String {
    match action {
        Action::Open(spec) => {
            let shape = match &spec.shape {
                Some(s) => py_tuple(s),
                None => "(shape from file size)".to_string(),
            };
            let mut t = format!(
                "Open {} as {} {}, mode {}",
                spec.file,
                spec.dtype,
                shape,
                spec.mode.as_str()
            );
            if spec.offset != 0 {
                t.push_str(&format!(", offset {}", spec.offset));
            }
            if spec.order != "C" {
                t.push_str(&format!(", order {}", spec.order));
            }
            t
        }
        Action::Assign { var, index, value } => {
            format!("Assign {} to {}", value.to_python(), index.to_python(var))
        }
        Action::Read { var, index } => format!("Read {}", index.to_python(var)),
        Action::Flush { var } => format!("Flush {var} to disk"),
        Action::Close { var } => format!("Close {var}"),
    }
}

/// The whole lesson as a NumPy script: `import numpy as np` and one line per step, each commented with its action.
///
/// Steps that expect an error are wrapped in `try`/`except` so the script runs to the end like the tutor does.
pub fn numpy_script(lesson: &LoadedLesson) -> String {
    let mut out = String::from("import numpy as np\n");
    for step in &lesson.steps {
        out.push_str(&format!(
            "\n# Step {}: {}\n",
            step.number,
            step.action_text.replace('\n', " ")
        ));
        match &step.expect_error {
            Some(expected) => {
                out.push_str(&format!(
                    "try:\n    {}\nexcept Exception as e:  # expected: {}\n    print(type(e).__name__ + ': ' + str(e))\n",
                    step.code,
                    expected.replace('\n', " ")
                ));
            }
            None => {
                out.push_str(&step.code);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_tuples() {
        assert_eq!(py_str("a'b\\c"), "'a\\'b\\\\c'");
        assert_eq!(py_tuple(&[3, 3]), "(3, 3)");
        assert_eq!(py_tuple(&[9]), "(9,)");
        assert_eq!(py_tuple(&[]), "()");
    }
}
