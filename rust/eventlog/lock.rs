//! The pier lock `<pier>/.vere.lock`, as Vere 4.x takes it (`_disk_acquire`).
//!
//! The file holds the holder's PID as decimal text and a newline. The lock
//! itself is an `fcntl` write lock (`F_SETLK`, `F_WRLCK`) on its first byte,
//! so a mars serf and a Vere process exclude each other; it disappears with
//! the process, so a stale file left by a killed holder does not block. In P2
//! the serf holds it (in P1 the king did). Releasing unlinks the file.
//!
//! Two departures from Vere, both on the safe side: the PID is written from
//! offset 0 over a truncated file (Vere writes after whatever it read), and
//! after locking, the lock is retried if the path was unlinked or replaced
//! meanwhile (another holder's release racing our open), so two processes
//! never both believe they hold it.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::LogError;

/// The lock file's name in the pier directory.
pub const LOCK_FILE: &str = ".vere.lock";

/// Paths locked by this process: `fcntl` locks do not exclude their own
/// process, and closing any descriptor of the file drops them.
static HELD: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// The held pier lock; dropping it releases the lock and unlinks the file.
#[derive(Debug)]
pub struct PierLock {
    path: PathBuf,
    /// Held open: closing it releases the `fcntl` lock (after `drop` unlinks).
    _file: File,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The PID in a lock file's text (`<decimal>\n`), if it parses.
fn parse_pid(text: &[u8]) -> Option<u32> {
    let end = text.iter().position(|b| *b == b'\n')?;
    let digits = std::str::from_utf8(&text[..end]).ok()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Try to take the `fcntl` write lock on byte 0 of `file` without waiting.
fn try_lock(file: &File) -> std::io::Result<bool> {
    // SAFETY: `flock` is a plain C struct for which all-zero is a valid value;
    // the fields set are the ones F_SETLK reads.
    let mut lk: libc::flock = unsafe { std::mem::zeroed() };
    lk.l_type = libc::F_WRLCK as libc::c_short;
    lk.l_whence = libc::SEEK_SET as libc::c_short;
    lk.l_start = 0;
    lk.l_len = 1;
    loop {
        // SAFETY: the descriptor is open for the life of `file`, and `lk` is a
        // valid, initialised `flock` that lives across the call.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lk) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EACCES) | Some(libc::EAGAIN) => return Ok(false),
            _ => return Err(err),
        }
    }
}

impl PierLock {
    /// Take the lock of `pier` (which must exist) and write our PID into it.
    /// Fails with [`LogError::PierLocked`] if another process holds it.
    pub fn acquire(pier: &Path) -> Result<PierLock, LogError> {
        let path = pier.join(LOCK_FILE);
        let key = pier.canonicalize().map_err(io_err(pier))?;
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        let set = held.get_or_insert_with(HashSet::new);
        if set.contains(&key) {
            return Err(LogError::PierLocked {
                path,
                pid: Some(std::process::id()),
            });
        }
        let file = Self::lock_file(&path)?;
        set.insert(key);
        Ok(PierLock { path, _file: file })
    }

    fn lock_file(path: &Path) -> Result<File, LogError> {
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o666)
                .open(path)
                .map_err(io_err(path))?;
            let mut text = Vec::new();
            (&mut file)
                .take(12)
                .read_to_end(&mut text)
                .map_err(io_err(path))?;
            if !try_lock(&file).map_err(io_err(path))? {
                return Err(LogError::PierLocked {
                    path: path.to_path_buf(),
                    pid: parse_pid(&text),
                });
            }
            // The holder we raced may have unlinked (released) the file after
            // we opened it: then our lock is on a dead inode. Try again.
            let ours = file.metadata().map_err(io_err(path))?;
            match std::fs::metadata(path) {
                Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() => {}
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(LogError::Io {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            }
            file.set_len(0).map_err(io_err(path))?;
            file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
            file.write_all(format!("{}\n", std::process::id()).as_bytes())
                .map_err(io_err(path))?;
            file.sync_all().map_err(io_err(path))?;
            return Ok(file);
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The PID written in the lock file of `pier`, if any. Do not call it for
    /// a pier this process has locked: closing the descriptor it opens would
    /// release the `fcntl` lock.
    pub fn holder(pier: &Path) -> Option<u32> {
        let key = pier.canonicalize().ok()?;
        let held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|s| s.contains(&key)) {
            return Some(std::process::id());
        }
        drop(held);
        let text = std::fs::read(pier.join(LOCK_FILE)).ok()?;
        parse_pid(&text)
    }
}

impl Drop for PierLock {
    fn drop(&mut self) {
        // Unlink before closing, as Vere does: a waiting process that opens
        // the old inode after this sees it replaced and retries (see above).
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            if let Ok(key) = dir.canonicalize() {
                let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(set) = held.as_mut() {
                    set.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_text() {
        assert_eq!(parse_pid(b"1234\n"), Some(1234));
        assert_eq!(parse_pid(b"1234\n5678\n"), Some(1234));
        assert_eq!(parse_pid(b"1234"), None);
        assert_eq!(parse_pid(b"\n"), None);
        assert_eq!(parse_pid(b"-1\n"), None);
        assert_eq!(parse_pid(b"x\n"), None);
    }

    #[test]
    fn acquire_writes_pid_and_release_unlinks() {
        let pier = tempfile::tempdir().unwrap();
        std::fs::write(pier.path().join(LOCK_FILE), b"999999999\nstale junk").unwrap();
        let lock = PierLock::acquire(pier.path()).unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        assert_eq!(PierLock::holder(pier.path()), Some(std::process::id()));
        // a second acquire in this process is refused, and does not drop the lock
        let err = PierLock::acquire(pier.path()).unwrap_err();
        assert!(matches!(err, LogError::PierLocked { .. }), "{err}");
        assert!(err.to_string().contains(&std::process::id().to_string()));
        drop(lock);
        assert!(!pier.path().join(LOCK_FILE).exists());
        drop(PierLock::acquire(pier.path()).unwrap());
    }

    #[test]
    fn missing_pier_is_an_error() {
        let pier = tempfile::tempdir().unwrap();
        let err = PierLock::acquire(&pier.path().join("nope")).unwrap_err();
        assert!(matches!(err, LogError::Io { .. }), "{err}");
    }
}
