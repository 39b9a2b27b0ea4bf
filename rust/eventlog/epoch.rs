//! Epoch directories of the P2 log: `<pier>/.urb/log/0i<N>/`, holding events `N+1..`.
//!
//! An epoch directory holds `data.mdb` (`META` + `EVENTS`, LMDB's `lock.mdb`
//! beside it), `epoc.txt` (the epoch format, text `2` without a newline),
//! `vere.txt` (the version of the runtime that created the epoch, no
//! newline) and, for `N > 0`, a copy of the serf's snapshot taken at event `N`
//! (Vere copies `.urb/chk` into it; any file that is none of the above is
//! snapshot). Names follow Vere's `u3_disk_epoc_last`: `0i` and a decimal
//! number, nothing else; this module writes and accepts the canonical form
//! only (no leading zeros).
//!
//! Vere 4.x builds a new epoch in place (mkdir, copy the snapshot, write the
//! two text files, create the LMDB), and on its next start discards a latest
//! epoch that lacks `epoc.txt` or `META`. This module builds it under
//! `0i<N>.tmp` (which is not an epoch name) and renames the finished
//! directory into place, so an epoch either exists complete or not at all.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{EventLog, LogError, Meta};

/// The epoch format Vere 4.x writes into `epoc.txt` (`U3E_VERLAT`).
pub const EPOCH_FORMAT: u32 = 2;
/// The oldest epoch format (Vere 3.x); its event layout is the same.
pub const OLDEST_EPOCH_FORMAT: u32 = 1;

/// The epoch format file.
pub const EPOC_FILE: &str = "epoc.txt";
/// The runtime version file.
pub const VERE_FILE: &str = "vere.txt";
/// LMDB's data file.
pub const DATA_FILE: &str = "data.mdb";
/// LMDB's lock file.
pub const LOCK_FILE: &str = "lock.mdb";

/// Vere refuses an `epoc.txt` of 7 bytes or more and a `vere.txt` of 127 or
/// more (`_disk_epoc_meta` reads them into 8- and 128-byte buffers).
const EPOC_MAX: u64 = 6;
const VERE_MAX: u64 = 126;

/// The suffix of an epoch directory being built.
const BUILDING: &str = ".tmp";

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory name of the epoch after event `n`: `0i<n>`.
pub fn epoch_name(n: u64) -> String {
    format!("0i{n}")
}

/// The epoch number of a directory name, if it is one (`0i` and a canonical
/// decimal `u64`).
pub fn parse_epoch_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("0i")?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// The epochs in a log directory, ascending.
pub fn list_epochs(log_dir: &Path) -> Result<Vec<u64>, LogError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(log_dir).map_err(io_err(log_dir))? {
        let entry = entry.map_err(io_err(log_dir))?;
        let Some(n) = entry.file_name().to_str().and_then(parse_epoch_name) else {
            continue;
        };
        if entry.file_type().map_err(io_err(log_dir))?.is_dir() {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The text files of an epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochFiles {
    /// The epoch format from `epoc.txt` (1 or 2).
    pub format: u32,
    /// The runtime version from `vere.txt`, or `None` if it is missing or
    /// unreadable (Vere then assumes it differs from its own).
    pub vere: Option<String>,
}

/// Read a small text file as Vere does: all of it, shorter than `max + 1`
/// bytes, trailing whitespace trimmed. `Ok(None)` if it does not exist.
fn read_small_text(path: &Path, max: u64) -> Result<Option<String>, LogError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(LogError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if bytes.len() as u64 > max {
        return Err(LogError::BadEpochFile {
            path: path.to_path_buf(),
            detail: format!("{} bytes, more than the {max} Vere reads", bytes.len()),
        });
    }
    let text = String::from_utf8_lossy(&bytes);
    Ok(Some(text.trim_end().to_string()))
}

/// Read `epoc.txt` and `vere.txt` of the epoch directory `dir`.
pub fn read_epoch_files(dir: &Path) -> Result<EpochFiles, LogError> {
    let epoc = dir.join(EPOC_FILE);
    let text = read_small_text(&epoc, EPOC_MAX)?.ok_or_else(|| LogError::BadEpochFile {
        path: epoc.clone(),
        detail: "missing (the epoch was never finished)".into(),
    })?;
    let format: u32 = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| LogError::BadEpochFile {
            path: epoc.clone(),
            detail: format!("{text:?} is not an epoch format"),
        })?
    } else {
        return Err(LogError::BadEpochFile {
            path: epoc,
            detail: format!("{text:?} is not an epoch format"),
        });
    };
    if !(OLDEST_EPOCH_FORMAT..=EPOCH_FORMAT).contains(&format) {
        return Err(LogError::UnknownEpochFormat {
            path: dir.to_path_buf(),
            found: format,
        });
    }
    let vere = read_small_text(&dir.join(VERE_FILE), VERE_MAX).unwrap_or(None);
    Ok(EpochFiles { format, vere })
}

/// The snapshot files copied into an epoch directory (paths relative to it),
/// sorted: everything but the LMDB files, the two text files and leftovers
/// of interrupted writes (`*.tmp`).
pub fn snapshot_files(dir: &Path) -> Result<Vec<PathBuf>, LogError> {
    let mut out = Vec::new();
    collect_files(dir, Path::new(""), &mut out)?;
    out.retain(|p| {
        let top = p.components().count() == 1;
        let name = p.to_string_lossy();
        let reserved = top && [DATA_FILE, LOCK_FILE, EPOC_FILE, VERE_FILE].contains(&name.as_ref());
        !(reserved || name.ends_with(BUILDING))
    });
    out.sort();
    Ok(out)
}

fn collect_files(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), LogError> {
    let dir = root.join(rel);
    for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
        let entry = entry.map_err(io_err(&dir))?;
        let rel = rel.join(entry.file_name());
        if entry.file_type().map_err(io_err(&dir))?.is_dir() {
            collect_files(root, &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

/// `fsync` a directory, making the entries created or renamed in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dir))
}

/// Write `bytes` to a new file `path` and `fsync` it.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Copy the files under `src` into `dst` (which exists), recreating
/// subdirectories and `fsync`ing every file and directory. Symbolic links are
/// followed. Returns the bytes copied.
pub(crate) fn copy_tree(src: &Path, dst: &Path) -> Result<u64, LogError> {
    let mut total = 0;
    for entry in fs::read_dir(src).map_err(io_err(src))? {
        let entry = entry.map_err(io_err(src))?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let meta = fs::metadata(&from).map_err(io_err(&from))?;
        if meta.is_dir() {
            fs::create_dir(&to).map_err(io_err(&to))?;
            total += copy_tree(&from, &to)?;
        } else {
            total += fs::copy(&from, &to).map_err(io_err(&from))?;
            File::open(&to)
                .and_then(|f| f.sync_all())
                .map_err(io_err(&to))?;
        }
    }
    sync_dir(dst)?;
    Ok(total)
}

/// Remove the directories of epoch builds an interrupted rollover left
/// (`0i<N>.tmp`). They are never read: nothing refers to them.
pub(crate) fn remove_stale_builds(log_dir: &Path) -> Result<(), LogError> {
    for entry in fs::read_dir(log_dir).map_err(io_err(log_dir))? {
        let entry = entry.map_err(io_err(log_dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name
            .strip_suffix(BUILDING)
            .and_then(parse_epoch_name)
            .is_some()
        {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

/// What goes into a new epoch directory.
pub(crate) struct EpochBuild<'a> {
    /// `META` for its `data.mdb` (version 3).
    pub meta: &'a Meta,
    /// The text for `vere.txt`.
    pub vere: &'a str,
    /// The snapshot directory to copy in (required for `N > 0`).
    pub snapshot: Option<&'a Path>,
    /// An existing `data.mdb` to hard-link in instead of creating one (the
    /// P1 log, when migrating).
    pub link_data: Option<&'a Path>,
    /// LMDB map size for a created `data.mdb`.
    pub map_size: usize,
}

/// Build epoch `0i<n>` in `log_dir` atomically: under `0i<n>.tmp`, then
/// renamed into place. Fails with `EpochExists` if it is already there.
pub(crate) fn build_epoch(log_dir: &Path, n: u64, what: &EpochBuild) -> Result<PathBuf, LogError> {
    let final_dir = log_dir.join(epoch_name(n));
    if final_dir.exists() {
        return Err(LogError::EpochExists { path: final_dir });
    }
    let tmp = log_dir.join(format!("{}{BUILDING}", epoch_name(n)));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    fs::create_dir(&tmp).map_err(io_err(&tmp))?;
    if let Err(e) = fill_epoch(&tmp, what) {
        // Best effort: a leftover build is removed by the next one anyway.
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    sync_dir(&tmp)?;
    fs::rename(&tmp, &final_dir).map_err(io_err(&final_dir))?;
    sync_dir(log_dir)?;
    Ok(final_dir)
}

/// Put the contents of a new epoch into the (empty) directory `tmp`.
fn fill_epoch(tmp: &Path, what: &EpochBuild) -> Result<(), LogError> {
    if let Some(snap) = what.snapshot {
        for reserved in [DATA_FILE, LOCK_FILE, EPOC_FILE, VERE_FILE] {
            if snap.join(reserved).exists() {
                return Err(LogError::EpochMismatch {
                    path: snap.to_path_buf(),
                    detail: format!(
                        "the snapshot directory holds a file named {reserved}, which an epoch \
                         directory reserves"
                    ),
                });
            }
        }
        if !snap.is_dir() {
            return Err(LogError::Io {
                path: snap.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the snapshot directory does not exist",
                ),
            });
        }
        copy_tree(snap, tmp)?;
    }
    write_synced(&tmp.join(EPOC_FILE), EPOCH_FORMAT.to_string().as_bytes())?;
    write_synced(&tmp.join(VERE_FILE), what.vere.as_bytes())?;
    match what.link_data {
        Some(data) => {
            let to = tmp.join(DATA_FILE);
            fs::hard_link(data, &to).map_err(io_err(&to))?;
        }
        None => drop(EventLog::create_with(tmp, what.meta, what.map_size, true)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_names_are_canonical() {
        assert_eq!(epoch_name(0), "0i0");
        assert_eq!(epoch_name(25), "0i25");
        assert_eq!(parse_epoch_name("0i0"), Some(0));
        assert_eq!(parse_epoch_name("0i25"), Some(25));
        assert_eq!(parse_epoch_name("0i18446744073709551615"), Some(u64::MAX));
        for bad in [
            "0i",
            "0i025",
            "0i-1",
            "0i+1",
            "0i 1",
            "0i1.tmp",
            "1i1",
            "0I1",
            "tmp",
            "0i1a",
            "0i18446744073709551616",
        ] {
            assert_eq!(parse_epoch_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn listing_skips_files_builds_and_other_names() {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["0i0", "0i25", "0i7", "0i9.tmp", "tmp", "0i007"] {
            fs::create_dir(tmp.path().join(d)).unwrap();
        }
        fs::write(tmp.path().join("0i99"), b"a file, not an epoch").unwrap();
        fs::write(tmp.path().join("data.mdb"), b"").unwrap();
        assert_eq!(list_epochs(tmp.path()).unwrap(), vec![0, 7, 25]);
        remove_stale_builds(tmp.path()).unwrap();
        assert!(!tmp.path().join("0i9.tmp").exists());
        assert!(tmp.path().join("tmp").exists());
    }

    #[test]
    fn epoch_files_are_read_as_vere_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let err = read_epoch_files(d).unwrap_err();
        assert!(matches!(err, LogError::BadEpochFile { .. }), "{err}");
        assert!(err.to_string().contains("missing"), "{err}");
        fs::write(d.join(EPOC_FILE), b"2\n").unwrap();
        assert_eq!(
            read_epoch_files(d).unwrap(),
            EpochFiles {
                format: 2,
                vere: None
            }
        );
        fs::write(d.join(VERE_FILE), b"4.5").unwrap();
        assert_eq!(read_epoch_files(d).unwrap().vere.as_deref(), Some("4.5"));
        fs::write(d.join(EPOC_FILE), b"1").unwrap();
        assert_eq!(read_epoch_files(d).unwrap().format, 1);
        fs::write(d.join(EPOC_FILE), b"3").unwrap();
        assert!(matches!(
            read_epoch_files(d),
            Err(LogError::UnknownEpochFormat { found: 3, .. })
        ));
        for bad in [&b""[..], b"two", b"-2", b"2 2", b"12345678"] {
            fs::write(d.join(EPOC_FILE), bad).unwrap();
            let err = read_epoch_files(d).unwrap_err();
            assert!(
                matches!(err, LogError::BadEpochFile { .. }),
                "{bad:?}: {err}"
            );
        }
        // vere.txt too long reads as unknown, not as an error
        fs::write(d.join(EPOC_FILE), b"2").unwrap();
        fs::write(d.join(VERE_FILE), vec![b'x'; 200]).unwrap();
        assert_eq!(read_epoch_files(d).unwrap().vere, None);
    }

    #[test]
    fn build_is_atomic_and_refuses_existing() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path();
        let snap = tempfile::tempdir().unwrap();
        fs::write(snap.path().join("image.bin"), b"loom").unwrap();
        fs::create_dir(snap.path().join("sub")).unwrap();
        fs::write(snap.path().join("sub/x"), b"y").unwrap();
        let meta = Meta::epochs(0, true, 5);
        // a stale build is replaced
        fs::create_dir(log.join("0i9.tmp")).unwrap();
        fs::write(log.join("0i9.tmp/junk"), b"").unwrap();
        let what = EpochBuild {
            meta: &meta,
            vere: "mars-test",
            snapshot: Some(snap.path()),
            link_data: None,
            map_size: 1 << 30,
        };
        let dir = build_epoch(log, 9, &what).unwrap();
        assert_eq!(dir, log.join("0i9"));
        assert!(!log.join("0i9.tmp").exists());
        assert_eq!(fs::read(dir.join(EPOC_FILE)).unwrap(), b"2");
        assert_eq!(fs::read(dir.join(VERE_FILE)).unwrap(), b"mars-test");
        assert_eq!(fs::read(dir.join("image.bin")).unwrap(), b"loom");
        assert_eq!(
            snapshot_files(&dir).unwrap(),
            vec![PathBuf::from("image.bin"), PathBuf::from("sub/x")]
        );
        assert!(!dir.join("junk").exists());
        let err = build_epoch(log, 9, &what).unwrap_err();
        assert!(matches!(err, LogError::EpochExists { .. }), "{err}");
        // a snapshot that would clobber an epoch file is refused
        fs::write(snap.path().join(EPOC_FILE), b"9").unwrap();
        let err = build_epoch(log, 10, &what).unwrap_err();
        assert!(matches!(err, LogError::EpochMismatch { .. }), "{err}");
        assert!(!log.join("0i10").exists());
    }
}
