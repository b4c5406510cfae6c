//! The Execution Table at common widths: goldens at 80 and 100 columns for the default lesson and
//! `eviction`, and CJK/emoji text aligned in columns (golden). The check that no word or number is
//! split at any width lives with the table view (`views::table` unit tests: it needs the cells).

mod common;

use common::tutor;

/// Replace what differs between runs and machines: the kernel release.
fn normalise(out: &str) -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    out.replace(kernel.trim(), "<KERNEL>")
}

fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new("tests/golden/layout").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        expected, actual,
        "{name} differs (UPDATE_GOLDEN=1 cargo test --test layout after a deliberate change)"
    );
}

#[test]
fn table_goldens_at_80_and_100_columns() {
    let probe = tempfile::tempdir().unwrap();
    let trace = common::run_json(&["--workdir", probe.path().join("w").to_str().unwrap()]);
    if trace["environment"]["filesystem"] != "ext4" {
        eprintln!(
            "skipping goldens: measured on ext4, this work directory is on {}",
            trace["environment"]["filesystem"]
        );
        return;
    }
    let mut counts = Vec::new();
    for lesson in ["numpy-memmap-basics", "eviction"] {
        for width in ["80", "100"] {
            let tmp = tempfile::tempdir().unwrap();
            let out = tutor()
                .args([
                    "run", lesson, "--view", "table", "--color", "never", "--width", width,
                ])
                .arg("--workdir")
                .arg(tmp.path().join("w"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = normalise(&String::from_utf8_lossy(&out.stdout));
            counts.push((lesson, width, text.lines().count()));
            golden(&format!("{lesson}-table-{width}.txt"), &text);
        }
    }
    eprintln!("table line counts: {counts:?}");
    // The table stays short: at most 12 lines a step at 80 columns, fewer at 100.
    for (lesson, width, n) in counts {
        let steps = if lesson == "eviction" { 7 } else { 4 };
        let limit = if width == "80" { 12 } else { 11 } * steps + 12;
        assert!(n <= limit, "{lesson} at {width}: {n} lines");
    }
}

const CJK_LESSON: &str = "\
title: 内存映射数组 ✅
concept_flow:
  boxes:
    - 打开文件
    - 关闭文件 ✅
  caption: 这个流程展示了如何把一个大文件映射为数组，并且在关闭文件之前把修改写回磁盘，每一步都是真实执行的。
steps:
  - op: open
    file: 数据.dat
    dtype: int16
    mode: w+
    shape: 3
    action: 创建数组 🚀
    note: 文件里全是零
  - op: assign
    index: \"[1]\"
    value: 7
    action: 写入 7 📝
    note: 页面变脏了，但还没有写回磁盘，因为没有调用 flush
  - op: close
    action: 关闭文件 ✅
    note: 完成
";

#[test]
fn cjk_and_emoji_align_in_columns_and_boxes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cjk.yaml");
    std::fs::write(&file, CJK_LESSON).unwrap();
    let out = tutor()
        .arg("run")
        .arg(&file)
        .args([
            "--view", "flow", "--view", "table", "--color", "never", "--width", "80",
        ])
        .arg("--workdir")
        .arg(tmp.path().join("w"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = normalise(&String::from_utf8_lossy(&out.stdout));
    let width = |l: &str| unicode_width::UnicodeWidthStr::width(l);
    for line in text.lines() {
        assert!(width(line) <= 80, "too wide: {line}");
    }
    // Every line of a box, and of the table, ends its right border in the same column.
    let flow: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Execution"))
        .collect();
    let box_lines: Vec<&&str> = flow
        .iter()
        .filter(|l| l.starts_with('┌') || l.starts_with('│') || l.starts_with('└'))
        .collect();
    let w0 = width(box_lines[0]);
    assert!(box_lines.iter().all(|l| width(l) == w0), "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Execution"))
        .filter(|l| {
            l.starts_with('│') || l.starts_with('┌') || l.starts_with('╞') || l.starts_with('└')
        })
        .collect();
    let t0 = width(table[0]);
    assert!(table.iter().all(|l| width(l) == t0), "{text}");
    golden("cjk-flow-table-80.txt", &text);
}
