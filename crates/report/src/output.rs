//! Writing report files so that a reader never sees half of one.
//!
//! Each file is written to a temporary file in the destination directory and
//! renamed over the target, so a crash or a full disk leaves the previous
//! report intact, and a browser refreshing during the weekly run sees either
//! last week's page or this week's, never a truncated one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Creates `dir` (and parents) if needed.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create output directory", dir.display()))
}

/// Writes `contents` to `dir/name` atomically and returns the path.
pub fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> anyhow::Result<PathBuf> {
    let target = dir.join(name);
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Temporary files are private by default; a report is meant to be read by others.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file =
        builder.tempfile_in(dir).with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    file.write_all(contents).with_context(|| format!("{}: write failed", target.display()))?;
    file.as_file().sync_all().with_context(|| format!("{}: sync failed", target.display()))?;
    file.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("{}: cannot move into place", target.display()))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "index.html", b"old").unwrap();
        let path = write_atomic(dir.path(), "index.html", b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("index.html")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }

    #[test]
    fn errors_name_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = write_atomic(&missing, "x", b"").unwrap_err();
        assert!(format!("{err:#}").contains("nope"), "{err:#}");
    }
}
