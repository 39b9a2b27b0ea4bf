//! A running kernel: the one owner of the interpreter's [`Context`], the serf's state, the snapshot store and the Arvo
//! formulas (what Vere's `vortex.c` is to its serf). The serf, `mars play`, `mars wish` and `mars eval` all compute
//! through it, so they boot, poke, extract and restore the same way.
//!
//! Every event follows one path: a computation ([`Kernel::boot`], [`Kernel::poke`], [`Kernel::peek`],
//! [`Kernel::wish`]) runs in frames above the root frame and leaves its product there; the caller uses the product
//! (sends the reply, checks the mug), then calls [`Kernel::settle`], which writes new jet registrations into the
//! state's cold jet state, lets the store extract or collect, and has the context follow whatever the store moved
//! ([`Context::reclaim`]). [`Kernel::pack`], [`Kernel::meld`] and [`Kernel::restore`] end the same way.

pub mod arvo;

/// Most lines [`Kernel::failure_lines`] gives: a trace may be thousands of entries deep.
pub const FAILURE_LINES: usize = 200;
mod context;
pub mod rock;

pub use arvo::Formulas;
pub use context::new_context;

use crate::interpreter::{Context, Error, Moved};
use crate::mug::mug;
use crate::noun::{cord, list_iter, tas, Noun, Oom, D, T};
use crate::protocol::Goof;
use crate::snapshot::{SerfState, Snapshot, SnapshotError, Space};
use crate::stack::{NockStack, Roots};
use std::path::{Path, PathBuf};

pub struct Kernel {
    /// The interpreter's context: the NockStack, memo cache, jet dashboard, slog sink, stop flag and counters.
    pub ctx: Context,
    state: SerfState,
    store: Box<dyn Snapshot>,
    formulas: Formulas,
    /// Jet registrations already written into `state.cold`.
    cold_registered: usize,
}

impl Kernel {
    /// A kernel with no state yet (see [`Kernel::restore`] and [`Kernel::boot`]) computing in `ctx` (from
    /// [`new_context`]) and keeping its state in `store`.
    pub fn new(mut ctx: Context, store: Box<dyn Snapshot>) -> Kernel {
        // A store that empties the root frame after every event makes the memo cache copy what it keeps from there.
        ctx.cache.copy_root_frame = store.clears_root_frame();
        Kernel {
            ctx,
            state: SerfState::empty(),
            store,
            formulas: Formulas::new(),
            cold_registered: 0,
        }
    }

    pub fn state(&self) -> &SerfState {
        &self.state
    }

    pub fn formulas(&self) -> &Formulas {
        &self.formulas
    }

    /// Load the store's newest durable state, with the jets it had registered. Returns whether there was one.
    pub fn restore(&mut self) -> Result<bool, SnapshotError> {
        match self.store.load(&mut self.ctx.stack)? {
            Some(state) => {
                self.adopt(state);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Take the state of the rock (portable snapshot) of `pier` at event `eve` instead; a rock has no jet state.
    pub fn restore_rock(&mut self, pier: &Path, eve: u64) -> Result<(), String> {
        let state = rock::load_rock(&mut self.ctx.stack, pier, eve)?;
        self.adopt(state);
        Ok(())
    }

    /// Drop the state (and its jets): back to a kernel that has not booted.
    pub fn forget(&mut self) {
        self.adopt(SerfState::empty());
    }

    /// Make `state` the kernel's, its cold jet state the dashboard's.
    fn adopt(&mut self, state: SerfState) {
        self.state = state;
        let moved = Moved {
            cold_state_moved: true,
            ..Moved::NOTHING
        };
        self.ctx.reclaim(moved, state.cold);
        self.cold_registered = self.ctx.jets.registered();
    }

    /// Run the lifecycle over the boot sequence `lit` (a list): the kernel is axis 7 of the product, and the state is
    /// at event `len(lit)`.
    pub fn boot(&mut self, lit: Noun) -> Result<(), Error> {
        let events = list_iter(lit).count() as u64;
        let kernel = arvo::lifecycle(&mut self.ctx, &self.formulas, lit)?;
        self.state = SerfState {
            event: events,
            kernel,
            cold: self.state.cold,
            mug: mug(kernel),
        };
        Ok(())
    }

    /// Boot an ivory pill (`[%ivory events]`): the Hoon standard library as a kernel, for [`Kernel::wish`].
    pub fn boot_ivory(&mut self, pill: &[u8]) -> Result<(), String> {
        let p = crate::serial::cue_bytes(&mut self.ctx.stack, pill).map_err(|e| e.to_string())?;
        let events = p
            .as_cell()
            .filter(|c| c.head() == tas("ivory"))
            .ok_or_else(|| "not an ivory pill ([%ivory list])".to_string())?
            .tail();
        self.boot(events)
            .map_err(|e| format!("the ivory lifecycle failed: %{}", e.mote.name()))
    }

    /// Compute one event `job = [now ovum]` with `+poke` under the `mil` CPU limit (0: none): on success the state
    /// is one event further and the effects are returned; on failure the state is unchanged.
    pub fn poke(&mut self, mil: u64, job: Noun) -> Result<Noun, Error> {
        let (effects, kernel) =
            arvo::poke(&mut self.ctx, &self.formulas, mil, self.state.kernel, job)?;
        self.state.event += 1;
        self.state.kernel = kernel;
        self.state.mug = mug(kernel);
        Ok(effects)
    }

    /// Scry with `+peek`; the product is `(unit (cask))`.
    pub fn peek(&mut self, mil: u64, sam: Noun) -> Result<Noun, Error> {
        arvo::peek(&mut self.ctx, &self.formulas, mil, self.state.kernel, sam)
    }

    /// Compile and evaluate Hoon with the kernel's `+wish`.
    pub fn wish(&mut self, hoon: &str) -> Result<Noun, Error> {
        let text = cord(&mut self.ctx.stack, hoon)?;
        arvo::wish(&mut self.ctx, &self.formulas, self.state.kernel, text)
    }

    /// The goof `[mote tang]` of a failure: the tang is the kernel's `+mook` rendering of the trace, or `~` when
    /// there is no kernel (see [`Kernel::trace_lines`]) or rendering fails.
    pub fn goof(&mut self, e: Error) -> Goof {
        let tang = if self.state.has_kernel() {
            arvo::render_trace(&mut self.ctx, &self.formulas, self.state.kernel, e.trace)
        } else {
            Noun::ZERO
        };
        Goof {
            mote: e.mote.to_noun(),
            tang,
        }
    }

    /// A failure as Vere's king prints a goof (`u3_pier_punt_goof`), without the final `bail: %mote` line: the tang
    /// of [`Kernel::goof`] in reverse, each tank rendered by the kernel's `+wash` (or on one line if that fails);
    /// with no kernel, or a tang of `~` from a trace that is not empty, the trace itself, entry by entry, innermost
    /// last. Hoon's parse failure reads as `syntax error at [LINE COL]`. At most [`FAILURE_LINES`] lines.
    pub fn failure_lines(&mut self, e: Error) -> Vec<String> {
        let goof = self.goof(e);
        let mut lines = Vec::new();
        if goof.tang.is_cell() {
            let mut tanks: Vec<Noun> = crate::noun::list_iter(goof.tang).flatten().collect();
            tanks.reverse();
            for tank in tanks {
                if lines.len() > FAILURE_LINES {
                    break;
                }
                let kernel = self.state.kernel;
                match arvo::wash(
                    &mut self.ctx,
                    &self.formulas,
                    kernel,
                    tank,
                    arvo::TANK_WIDTH,
                ) {
                    Some(wall) => lines.extend(wall),
                    None => lines.push(crate::text::urbit::render_tank(tank)),
                }
            }
        } else {
            lines = self.trace_lines(e.trace);
            lines.reverse();
        }
        let lines = crate::text::urbit::join_syntax_error(lines);
        crate::text::urbit::bound_lines(lines, FAILURE_LINES)
    }

    /// A trace rendered without a kernel, one line per entry, innermost first.
    pub fn trace_lines(&mut self, trace: Noun) -> Vec<String> {
        arvo::render_trace_lines(&mut self.ctx, trace)
    }

    /// The `%crud` event that replaces a failed event: `[date //arvo %crud dud ovum]`, built in the root frame (the
    /// kernel may keep it).
    pub fn crud(&mut self, date: Noun, dud: Goof, ovum: Noun) -> Result<Noun, Oom> {
        let st = &mut self.ctx.stack;
        let dud = dud.encode(st)?;
        let card = T(st, &[tas("crud"), dud, ovum])?;
        let wire = T(st, &[D(0), tas("arvo"), D(0)])?;
        T(st, &[date, wire, card])
    }

    /// After every event and every writ, at stack depth 0: write new jet registrations into the state, let the store
    /// extract or collect (`pins` are other root-frame nouns the caller still needs, rewritten if they move), and
    /// follow what it moved.
    pub fn settle(&mut self, pins: &mut dyn Roots) -> Result<(), SnapshotError> {
        self.sync_cold()?;
        self.with_store(|store, stack, state, held| store.extract(stack, state, pins, held))
    }

    /// Make the state durable (`%save`). Settles first, so that the store holds the current state: root-frame nouns
    /// the caller still holds may be gone afterwards.
    pub fn save(&mut self) -> Result<(), SnapshotError> {
        self.settle(&mut ())?;
        self.store.commit(&self.state)?;
        self.ctx.store_mass = self.store.mass();
        Ok(())
    }

    /// Write the rock of the current state into `pier` (`%cram`), then save; returns the rock's path.
    pub fn cram(&mut self, pier: &Path) -> Result<PathBuf, String> {
        let path = rock::write_rock(pier, self.state.event, self.state.kernel)?;
        self.save().map_err(|e| e.to_string())?;
        Ok(path)
    }

    /// Reclaim everything the state does not reach (`%pack`).
    pub fn pack(&mut self) -> Result<(), SnapshotError> {
        self.sync_cold()?;
        self.with_store(|store, stack, state, held| store.collect(stack, state, held))
    }

    /// Deduplicate the state's memory (`%meld`).
    pub fn meld(&mut self) -> Result<(), SnapshotError> {
        self.sync_cold()?;
        self.with_store(|store, stack, state, held| store.meld(stack, state, held))
    }

    /// Rebuild the cold jet state if cores were registered since it was last built (only between computations:
    /// the dashboard's registrations are stable then).
    fn sync_cold(&mut self) -> Result<(), SnapshotError> {
        let registered = self.ctx.jets.registered();
        if registered != self.cold_registered && self.ctx.stack.depth() == 0 {
            self.state.cold = self
                .ctx
                .jets
                .cold_noun(&mut self.ctx.stack)
                .map_err(|_| SnapshotError::OutOfMemory(Space::Stack))?;
            self.cold_registered = registered;
        }
        Ok(())
    }

    /// Run a store operation with the dashboard's registrations in the root frame as extra roots (the dashboard
    /// shares the state's nouns), tell the dashboard where they went, and follow what the store moved.
    fn with_store(
        &mut self,
        op: impl FnOnce(
            &mut dyn Snapshot,
            &mut NockStack,
            &mut SerfState,
            &mut dyn Roots,
        ) -> Result<Moved, SnapshotError>,
    ) -> Result<(), SnapshotError> {
        let Context { stack, jets, .. } = &mut self.ctx;
        let mut held = jets.frame_roots(0);
        let r = op(&mut *self.store, stack, &mut self.state, &mut held);
        // Extraction takes them off the stack with the state; a collection leaves them in the root frame.
        let extracted = matches!(&r, Ok(m) if m.root_frame_cleared);
        held.finish(if extracted { None } else { Some(0) });
        let moved = r?;
        self.ctx.reclaim(moved, self.state.cold);
        self.ctx.store_mass = self.store.mass();
        if moved.cold_state_moved {
            self.cold_registered = self.ctx.jets.registered();
        }
        Ok(())
    }
}
