//! The lock that keeps two scheduled runs from writing the same history at
//! once (a slow run overlapping next week's cron start, or a manual run
//! during the scheduled one).
//!
//! The lock is an OS file lock (`flock`) on `<reports>/.costwise.lock`, so it
//! is released by the kernel when the process ends, however it ends: a lock
//! left behind by a killed or crashed run is never stale in the OS sense.
//! The file also records who holds it (pid, host, start time) for the error
//! message of a run that finds it taken. A run that finds the file non-empty
//! but unlocked knows the previous holder died without releasing it and says
//! so ("recovered a stale lock") before taking it over. Releasing empties the
//! file; it is never deleted, since deleting a lock file races with a process
//! that has just opened it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// A held lock; released on drop.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    /// What the file said when we took it over from a dead holder, if anything.
    pub recovered_from: Option<String>,
}

impl RunLock {
    /// Takes the lock at `path`, or fails naming the run that holds it.
    pub fn acquire(path: &Path) -> anyhow::Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("{}: cannot open the lock file", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                anyhow::bail!(
                    "another costwise run holds {} ({}); not starting a second one",
                    path.display(),
                    if holder.is_empty() { "holder unknown".to_owned() } else { holder }
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{}: cannot lock", path.display()));
            }
        }
        let previous = read_holder(&mut file);
        let recovered_from = (!previous.is_empty()).then_some(previous);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            if host.trim().is_empty() { "this host" } else { host.trim() },
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(holder.as_bytes()))
            .and_then(|()| file.sync_all())
            .with_context(|| format!("{}: cannot write the lock file", path.display()))?;
        Ok(Self { file, path: path.to_path_buf(), recovered_from })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Empty first, so the next run does not mistake a clean release for a dead holder.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text));
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_a_released_lock_is_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".costwise.lock");
        let first = RunLock::acquire(&path).unwrap();
        assert!(first.recovered_from.is_none());
        let err = RunLock::acquire(&path).unwrap_err().to_string();
        assert!(err.contains("another costwise run") && err.contains(&format!("pid {}", std::process::id())), "{err}");
        drop(first);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        let again = RunLock::acquire(&path).unwrap();
        assert!(again.recovered_from.is_none(), "a clean release is not a stale lock");
    }

    #[test]
    fn a_dead_holders_lock_is_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".costwise.lock");
        std::fs::write(&path, "pid 999999 on elsewhere since 2026-11-20 06:00:00 UTC").unwrap();
        let lock = RunLock::acquire(&path).unwrap();
        assert_eq!(lock.recovered_from.as_deref(), Some("pid 999999 on elsewhere since 2026-11-20 06:00:00 UTC"));
    }
}
