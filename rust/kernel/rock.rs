//! Rocks (king-protocol.md §7.6): portable snapshots in `<pier>/.urb/roc/<eve>.jam`, the jam of
//! `[%arvo kernel 'hashboard' cold-entries]` (mars writes an empty cold tail).

use crate::mug::mug;
use crate::noun::{cord, tas, HeapAlloc, Noun, D, T};
use crate::serial::{cue_bytes, jam_to_bytes};
use crate::snapshot::SerfState;
use crate::stack::NockStack;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The head of a rock.
const ARVO: Noun = tas("arvo");

pub fn rock_path(pier: &Path, eve: u64) -> PathBuf {
    pier.join(".urb").join("roc").join(format!("{eve}.jam"))
}

/// Write the rock of `kernel` at event `eve`, durably.
pub fn write_rock(pier: &Path, eve: u64, kernel: Noun) -> Result<PathBuf, String> {
    let path = rock_path(pier, eve);
    let dir = path.parent().expect("rock path has a directory");
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut h = HeapAlloc::new();
    let hashboard = cord(&mut h, "hashboard").map_err(|e| e.to_string())?;
    let rock = T(&mut h, &[ARVO, kernel, hashboard, D(0)]).map_err(|e| e.to_string())?;
    let bytes = jam_to_bytes(rock);
    let mut f = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    crate::snapshot::sync_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(path)
}

/// Load the rock at event `eve` into the root frame.
pub fn load_rock(stack: &mut NockStack, pier: &Path, eve: u64) -> Result<SerfState, String> {
    let path = rock_path(pier, eve);
    let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let n = cue_bytes(stack, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = || format!("{}: not a rock [%arvo kernel ...]", path.display());
    let c = n.as_cell().ok_or_else(bad)?;
    if c.head() != ARVO {
        return Err(bad());
    }
    let kernel = c.tail().as_cell().ok_or_else(bad)?.head();
    Ok(SerfState {
        event: eve,
        kernel,
        cold: Noun::ZERO,
        mug: mug(kernel),
    })
}
