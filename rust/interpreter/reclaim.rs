//! Following nouns that moved (Vere's `u3m_reclaim`): a store reports what it did to the memory the state's nouns live
//! in, and [`Context::reclaim`] drops or rebuilds everything in the context that holds noun addresses, in one place.
//!
//! Three things in a context hold addresses: the memo cache (keys and values may point into the root frame, or into
//! the store's memory), the jet dashboard's cache of batteries matched by address outside the NockStack, and the
//! dashboard's registrations, which point at the batteries of the cold state. Addresses on the NockStack above the
//! root frame need nothing: the stack stamps its frames, and the dashboard checks the stamps.

use super::Context;
use crate::noun::Noun;

/// What a store moved or freed, from [`crate::snapshot::Snapshot`]'s operations. Several may happen at once (an
/// extraction can clear the root frame and collect the store's memory); [`Moved::and`] combines them.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Moved {
    /// The root frame was collected in place: its live nouns moved down, the rest were freed.
    pub root_frame_collected: bool,
    /// The root frame was emptied, after the state was copied out of it.
    pub root_frame_cleared: bool,
    /// The cold jet state was copied to a new address outside the NockStack (extracted or compacted into the store's
    /// memory, or loaded from a snapshot).
    pub cold_state_moved: bool,
    /// Nouns in the store's own memory were freed (collected) or moved (compacted).
    pub store_memory_collected: bool,
}

impl Moved {
    /// Nothing moved.
    pub const NOTHING: Moved = Moved {
        root_frame_collected: false,
        root_frame_cleared: false,
        cold_state_moved: false,
        store_memory_collected: false,
    };

    /// Everything either `self` or `other` moved.
    pub fn and(self, other: Moved) -> Moved {
        Moved {
            root_frame_collected: self.root_frame_collected | other.root_frame_collected,
            root_frame_cleared: self.root_frame_cleared | other.root_frame_cleared,
            cold_state_moved: self.cold_state_moved | other.cold_state_moved,
            store_memory_collected: self.store_memory_collected | other.store_memory_collected,
        }
    }
}

impl Context {
    /// Follow what a store moved. `cold` is the state's cold jet state after the move. Must run before any further
    /// computation, and nothing may read the old addresses in between (dropping them does not read them).
    pub fn reclaim(&mut self, moved: Moved, cold: Noun) {
        // Memo entries point into the root frame unless they were copied out of it, and into the store's memory.
        let root_frame_gone =
            moved.root_frame_collected || (moved.root_frame_cleared && !self.cache.copy_root_frame);
        if root_frame_gone || moved.store_memory_collected {
            self.cache.clear();
        }
        if moved.store_memory_collected {
            self.jets.forget_far_addresses();
        }
        // Registrations follow the moved batteries (or, with an empty cold state, are dropped). A collection of the
        // store's memory alone frees nothing they point at: they point at the cold state's batteries, which the
        // state reaches, or at the dashboard's own copies.
        if moved.cold_state_moved {
            self.jets.reload(&self.stack, cold);
        }
    }
}
