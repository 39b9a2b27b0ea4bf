//! Serf state between events, and where it is kept.
//!
//! Between events the serf's state (the Arvo kernel and the cold jet state) lives in the NockStack's root frame: every
//! computation runs in frames above it and its product is preserved down into the root frame, so after an event the
//! new kernel is already there and the old one is garbage. A [`Snapshot`] owns that memory policy and persistence:
//! it is told after every event ([`Snapshot::extract`]), asked to make the state durable on `%save`
//! ([`Snapshot::commit`]) and to compact on `%pack` ([`Snapshot::collect`]).
//!
//! [`JamSnapshot`] keeps the state in the root frame, collects the frame in place when it has grown to twice what was
//! live after the last collection, and persists by jamming the state into one of two checksummed files. A persistent
//! arena store can implement the same trait by copying the state out of the stack after every event.

mod jam;
mod pma;

pub use pma::{collect_offline, PmaSnapshot};

pub use jam::{
    read_slot, sync_dir, JamSnapshot, Slot, SlotHeader, FORMAT_VERSION, HEADER_BYTES, MAGIC,
};

use crate::interpreter::Context;
use crate::noun::{Noun, Oom};
use crate::stack::Roots;
use std::fmt;
use std::path::PathBuf;

/// The serf's state: the number of the last event applied, the kernel after it, the cold jet state and the kernel's
/// mug. With no kernel yet (before the boot sequence) `event` and `mug` are 0 and `kernel` is `~`.
#[derive(Copy, Clone, Debug)]
pub struct SerfState {
    pub event: u64,
    pub kernel: Noun,
    pub cold: Noun,
    pub mug: u32,
}

impl SerfState {
    /// The state of a serf that has not booted.
    pub fn empty() -> SerfState {
        SerfState {
            event: 0,
            kernel: Noun::ZERO,
            cold: Noun::ZERO,
            mug: 0,
        }
    }

    /// True once the lifecycle has produced a kernel.
    pub fn has_kernel(&self) -> bool {
        self.event > 0
    }
}

impl Roots for SerfState {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        f(&mut self.kernel);
        f(&mut self.cold);
    }
}

/// Why a snapshot could not be loaded or written.
#[derive(Debug)]
pub enum SnapshotError {
    /// A file operation failed.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Snapshot files exist but none is valid: the state cannot be recovered from them.
    Corrupt { reasons: Vec<String> },
    /// The state does not fit in memory.
    Oom,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            SnapshotError::Corrupt { reasons } => {
                write!(f, "no valid snapshot (refusing to boot fresh over it): ")?;
                write!(f, "{}", reasons.join("; "))
            }
            SnapshotError::Oom => write!(f, "out of memory loading the snapshot"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl From<Oom> for SnapshotError {
    fn from(_: Oom) -> SnapshotError {
        SnapshotError::Oom
    }
}

/// Where the serf's state lives between events and how it is made durable.
pub trait Snapshot {
    /// Load the newest durable state into `ctx` (its nouns in the root frame), or `None` for a fresh pier.
    fn load(&mut self, ctx: &mut Context) -> Result<Option<SerfState>, SnapshotError>;
    /// Called at stack depth 0 after every event (and after failed computations) with the current state. `pins` are
    /// other root-frame nouns the caller still needs (e.g. the rest of a `%play` batch); they may be rewritten.
    fn extract(
        &mut self,
        ctx: &mut Context,
        state: &mut SerfState,
        pins: &mut dyn Roots,
    ) -> Result<(), Oom>;
    /// Make `state` durable before returning `Ok`.
    fn commit(&mut self, ctx: &mut Context, state: &SerfState) -> Result<(), SnapshotError>;
    /// Reclaim everything not reachable from `state` (`%pack`).
    fn collect(&mut self, ctx: &mut Context, state: &mut SerfState) -> Result<(), Oom>;
    /// Deduplicate the state's memory (`%meld`); a store that cannot does nothing.
    fn meld(&mut self, _ctx: &mut Context, _state: &mut SerfState) -> Result<(), Oom> {
        Ok(())
    }
}

/// Words the root frame may hold before it is collected: `MIN_ROOT_WORDS` (64 MiB), or an eighth of a smaller stack.
pub fn root_frame_floor(ctx: &Context) -> usize {
    MIN_ROOT_WORDS.min(ctx.stack.size_bytes() / 8 / 8)
}

/// Smallest root-frame collection threshold, in words.
const MIN_ROOT_WORDS: usize = 8 << 20;

/// Collect the root frame in place with `state` and `pins` as roots (the jet dashboard keeps nothing on the stack);
/// then drop the memo cache, whose entries may point at root-frame nouns that moved. Returns the words still live. Must be called at depth 0.
pub fn collect_root(
    ctx: &mut Context,
    state: &mut SerfState,
    pins: &mut dyn Roots,
) -> Result<usize, Oom> {
    assert_eq!(ctx.stack.depth(), 0, "collect_root above the root frame");
    let live = {
        let mut roots = (&mut *state, &mut *pins);
        ctx.collect_top(&mut roots)?
    };
    ctx.cache.clear();
    Ok(live)
}
