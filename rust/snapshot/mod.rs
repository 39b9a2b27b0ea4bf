//! Serf state between events, and where it is kept.
//!
//! Between events the serf's state (the Arvo kernel and the cold jet state) lives in the NockStack's root frame or in
//! a store's own memory: every computation runs in frames above the root frame and its product is preserved down into
//! it, so after an event the new kernel is in the root frame and the old one is garbage. A [`Snapshot`] owns that
//! memory policy and persistence: it is told after every event ([`Snapshot::extract`]), asked to make the state
//! durable on `%save` ([`Snapshot::commit`]) and to compact on `%pack` ([`Snapshot::collect`]).
//!
//! A store sees only the NockStack, never the rest of the interpreter's context: what the runtime itself holds in
//! the root frame (the jet dashboard's registrations) comes as extra roots (`held`), which the store keeps and
//! rewrites like the state's; what it moves or frees it reports as [`Moved`], and the context follows in one place
//! ([`crate::interpreter::Context::reclaim`]).
//!
//! [`JamSnapshot`] keeps the state in the root frame, collects the frame in place when it has grown to twice what was
//! live after the last collection, and persists by jamming the state into one of two checksummed files.
//! [`PmaSnapshot`] copies the state out of the stack into the persistent arena after every event. [`MemorySnapshot`]
//! keeps it in the root frame like the jam store and persists nothing (tools without a pier).

mod error;
mod jam;
mod memory;
mod pma;

pub use error::{SnapshotError, Space};
pub use jam::{
    read_slot, sync_dir, JamSnapshot, Slot, SlotHeader, FORMAT_VERSION, HEADER_BYTES, MAGIC,
};
pub use memory::MemorySnapshot;
pub use pma::{collect_offline, PmaSnapshot};

use crate::interpreter::mass::MassLine;
pub use crate::interpreter::Moved;
use crate::noun::Noun;
use crate::stack::{NockStack, Roots};
use std::path::Path;

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

/// Where the serf's state lives between events and how it is made durable.
pub trait Snapshot {
    /// Load the newest durable state (its nouns in the root frame, or in the store's own memory), or `None` for a
    /// fresh pier.
    fn load(&mut self, stack: &mut NockStack) -> Result<Option<SerfState>, SnapshotError>;
    /// Called at stack depth 0 after every event (and after failed computations) with the current state. `pins` are
    /// other root-frame nouns the caller still needs (e.g. the rest of a `%play` batch); they may be rewritten, and
    /// while any is on the stack the state stays there too. `held` are the root-frame nouns the runtime holds: kept
    /// and rewritten, and moved out of the stack with the state.
    fn extract(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        pins: &mut dyn Roots,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError>;
    /// Make `state` durable before returning `Ok`.
    fn commit(&mut self, state: &SerfState) -> Result<(), SnapshotError>;
    /// Reclaim everything not reachable from `state` or `held` (`%pack`).
    fn collect(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError>;
    /// Deduplicate the state's memory (`%meld`); a store that cannot does nothing.
    fn meld(
        &mut self,
        _stack: &mut NockStack,
        _state: &mut SerfState,
        _held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        Ok(Moved::NOTHING)
    }
    /// The store's lines of the memory report: what it keeps in memory and on disk.
    fn mass(&self) -> Vec<MassLine> {
        Vec::new()
    }
    /// True if [`Snapshot::extract`] empties the root frame after every event: then nothing that outlives an event
    /// (the memo cache) may point into it.
    fn clears_root_frame(&self) -> bool {
        false
    }
}

/// Which store keeps a pier's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The persistent arena in `<pier>/.urb/chk/mars/` (the serf's default).
    Pma,
    /// The double-buffered jam files in `<pier>/.urb/chk/`.
    Jam,
    /// Nothing on disk.
    Memory,
}

impl StoreKind {
    /// The store `mars serf` uses: `MARS_SNAPSHOT=pma` (or unset) or `jam`.
    pub fn from_env() -> Result<StoreKind, String> {
        match std::env::var("MARS_SNAPSHOT").as_deref() {
            Ok("pma") | Err(_) => Ok(StoreKind::Pma),
            Ok("jam") => Ok(StoreKind::Jam),
            Ok(other) => Err(format!("MARS_SNAPSHOT={other:?}: expected pma or jam")),
        }
    }

    /// The store of this kind for `pier`; with `dry_run` it never writes.
    pub fn open(self, pier: &Path, dry_run: bool) -> Box<dyn Snapshot> {
        match self {
            StoreKind::Pma => Box::new(PmaSnapshot::new(pier, dry_run)),
            StoreKind::Jam => Box::new(JamSnapshot::new(pier, dry_run)),
            StoreKind::Memory => Box::new(MemorySnapshot::new()),
        }
    }
}

/// Words the root frame may hold before it is collected: `MIN_ROOT_WORDS` (64 MiB), or an eighth of a smaller stack.
pub fn root_frame_floor(stack: &NockStack) -> usize {
    MIN_ROOT_WORDS.min(stack.size_bytes() / 8 / 8)
}

/// Smallest root-frame collection threshold, in words.
const MIN_ROOT_WORDS: usize = 8 << 20;

/// Collect the root frame in place with `state`, `pins` and `held` as roots. Returns the words still live. Must be
/// called at depth 0; the caller reports [`Moved::root_frame_collected`].
fn collect_root(
    stack: &mut NockStack,
    state: &mut SerfState,
    pins: &mut dyn Roots,
    held: &mut dyn Roots,
) -> Result<usize, SnapshotError> {
    assert_eq!(stack.depth(), 0, "collect_root above the root frame");
    let mut roots = (&mut *state, (&mut *pins, &mut *held));
    stack
        .collect_top(&mut roots)
        .map_err(|_| SnapshotError::OutOfMemory(Space::Stack))
}

/// The root-frame policy of the stores that keep the state on the stack: collect in place when the frame has
/// allocated more than twice what was live after the last collection (at least [`root_frame_floor`]).
struct RootFrameCollector {
    /// Root-frame words at which the next collection happens.
    collect_at: usize,
    /// Words live after the last collection.
    live: usize,
}

impl RootFrameCollector {
    fn new() -> RootFrameCollector {
        RootFrameCollector {
            collect_at: usize::MAX,
            live: 0,
        }
    }

    /// Collect if the frame has grown enough, or always with `force`.
    fn maybe_collect(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        pins: &mut dyn Roots,
        held: &mut dyn Roots,
        force: bool,
    ) -> Result<Moved, SnapshotError> {
        if stack.depth() != 0 {
            return Ok(Moved::NOTHING);
        }
        // On a small stack, collect before the root frame takes an eighth of it.
        let floor = root_frame_floor(stack);
        if !force && stack.frame_alloc_words() <= self.collect_at.min(floor.max(self.live * 2)) {
            return Ok(Moved::NOTHING);
        }
        let live = collect_root(stack, state, pins, held)?;
        self.live = live;
        self.collect_at = floor.max(live * 2);
        Ok(Moved {
            root_frame_collected: true,
            ..Moved::NOTHING
        })
    }
}
