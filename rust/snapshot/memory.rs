//! The store of tools that compute without a pier (`mars wish`, `mars play --snapshot none`): the state stays in the
//! root frame, collected like the jam store's, and nothing is loaded or written.

use super::{Moved, RootFrameCollector, SerfState, Snapshot, SnapshotError};
use crate::stack::{NockStack, Roots};

pub struct MemorySnapshot {
    root: RootFrameCollector,
}

impl MemorySnapshot {
    pub fn new() -> MemorySnapshot {
        MemorySnapshot {
            root: RootFrameCollector::new(),
        }
    }
}

impl Default for MemorySnapshot {
    fn default() -> MemorySnapshot {
        MemorySnapshot::new()
    }
}

impl Snapshot for MemorySnapshot {
    fn load(&mut self, _stack: &mut NockStack) -> Result<Option<SerfState>, SnapshotError> {
        Ok(None)
    }

    fn extract(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        pins: &mut dyn Roots,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        self.root.maybe_collect(stack, state, pins, held, false)
    }

    fn commit(&mut self, _state: &SerfState) -> Result<(), SnapshotError> {
        Ok(())
    }

    fn collect(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        self.root.maybe_collect(stack, state, &mut (), held, true)
    }
}
