//! `-o FILE`: the output written whole or not at all, so a full disk never leaves a truncated file.

use std::io::Write;
use std::path::Path;

use super::CommandError;

/// Write `text` to `path`, replacing it only once the whole text is on disk: a temporary file
/// beside it is written, synced and renamed over it. A full disk or any other write error leaves
/// `path` as it was (an earlier output of the user's is not emptied) and removes the temporary
/// file. A path that is not a regular file (a FIFO, `/dev/stdout`, a terminal) or is a symlink is
/// written in place, as the user pointed it there; a rename would replace the link or the device.
pub(crate) fn write_whole(path: &Path, text: &str) -> Result<(), CommandError> {
    let err = |e: std::io::Error| {
        CommandError::Io(format!(
            "cannot write {}: {e}{}",
            super::shell_quote(&path.display().to_string()),
            if path.exists() {
                " (the file was left as it was)"
            } else {
                " (nothing was written)"
            }
        ))
    };
    let in_place = match std::fs::symlink_metadata(path) {
        Ok(m) => !m.file_type().is_file(),
        Err(_) => false,
    };
    if in_place {
        return std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(err);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    // Mode 0666 before the umask, as a plain create gives; an existing file keeps its own mode.
    let mode = std::fs::metadata(path)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777)
        .unwrap_or(0o666);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.as_deref().unwrap_or("output")))
        .suffix(".partial")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
        .tempfile_in(dir)
        .map_err(err)?;
    // Dropping `tmp` on any error below removes the partial file.
    tmp.write_all(text.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_replaces_the_file_whole_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").expect("write");
        write_whole(&path, "new text").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new text");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
        // A path in a directory that does not exist: an error naming it, nothing created.
        let missing = dir.path().join("no/such/out.json");
        let e = write_whole(&missing, "x").expect_err("refused");
        assert!(e.to_string().contains("no/such/out.json"), "{e}");
    }

    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        write_whole(Path::new("/dev/null"), "to the void").expect("written");
        let kind = std::fs::symlink_metadata("/dev/null")
            .expect("still there")
            .file_type();
        assert!(kind.is_char_device());
    }
}
