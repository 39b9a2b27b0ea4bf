//! The persistent-arena store: after every event the new parts of the state are *extracted* from the NockStack into
//! the persistent memory arena (`crate::pma`, the C arena under `c-src/pma/`) and the root frame is cleared; `%save`
//! commits the arena (durable before the reply); start-up maps the arena and reads the state from its root slot
//! without reading the rest (pages come in on demand).
//!
//! The arena's root slot 0 holds the address of a *state record* (an arena block of [`RECORD_WORDS`] words):
//! `[magic, event, kernel, cold, mug, epoch]`. Everything the state reaches lives in the arena with its mug cached,
//! and nothing in the arena points into the stack (pma-design.md §4.2, invariants I1–I3).

use super::{Moved, SerfState, Snapshot, SnapshotError, Space};
use crate::equality::NounMap;
use crate::interpreter::mass::MassLine;
use crate::noun::{rebuild, Alloc, Noun, Oom, ATOM_HEADER_WORDS, CELL_WORDS};
use crate::pma::{install_fault_handler, Pma, PmaOptions};
use crate::stack::{extract, NockStack, Roots};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

/// Words of the state record.
const RECORD_WORDS: usize = 6;
/// First word of a state record: "marsstat" little-endian.
const RECORD_MAGIC: u64 = u64::from_le_bytes(*b"marsstat");
/// Allocation since the last GC that triggers the next one: at least this many bytes...
const GC_MIN_BYTES: u64 = 64 << 20;

/// Allocation of nouns in the arena.
struct ArenaAlloc<'a>(&'a mut Pma);

impl Alloc for ArenaAlloc<'_> {
    fn alloc_words(&mut self, words: usize) -> Result<NonNull<u64>, Oom> {
        self.0.alloc(words * 8).map_err(|_| Oom)
    }
}

/// The persistent-arena store of one pier, in `<pier>/.urb/chk/mars/`.
pub struct PmaSnapshot {
    dir: PathBuf,
    dry_run: bool,
    pma: Option<Pma>,
}

impl PmaSnapshot {
    pub fn new(pier: &Path, dry_run: bool) -> PmaSnapshot {
        PmaSnapshot {
            dir: pier.join(".urb").join("chk").join("mars"),
            dry_run,
            pma: None,
        }
    }

    /// The arena directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The open arena (after `load`).
    pub fn arena(&mut self) -> Option<&mut Pma> {
        self.pma.as_mut()
    }

    fn open(&mut self) -> Result<&mut Pma, SnapshotError> {
        if self.pma.is_none() {
            std::fs::create_dir_all(&self.dir).map_err(|error| SnapshotError::Io {
                path: self.dir.clone(),
                error,
            })?;
            install_fault_handler();
            let opts = PmaOptions {
                strict: std::env::var("MARS_PMA_STRICT").as_deref() == Ok("1"),
                ..Default::default()
            };
            let pma = Pma::open(&self.dir, &opts).map_err(|error| SnapshotError::Arena {
                dir: self.dir.clone(),
                error,
            })?;
            self.pma = Some(pma);
        }
        Ok(self.pma.as_mut().expect("opened above"))
    }

    /// The committed state, validated as far as it can be without reading the whole state: `None` for an arena
    /// that holds none; an error naming what is wrong otherwise. What the serf refuses to start from, and what
    /// `mars pma check` reports.
    pub fn validate(pma: &Pma) -> Result<Option<SerfState>, String> {
        let record = pma.roots()[0];
        if record == 0 {
            return Ok(None);
        }
        let state = Self::read_record(pma, record)?;
        let meta = pma.meta();
        if meta.event != state.event || meta.kernel_mug != state.mug {
            return Err(format!(
                "superblock says event {} mug {:#x}, state record says event {} mug {:#x}",
                meta.event, meta.kernel_mug, state.event, state.mug
            ));
        }
        if let Some(m) = state.kernel.cached_mug() {
            if m != state.mug {
                return Err(format!(
                    "the kernel's mug is {m:#x}, the state record says {:#x}",
                    state.mug
                ));
            }
        }
        Ok(Some(state))
    }

    /// Read the state record at `addr`.
    fn read_record(pma: &Pma, addr: u64) -> Result<SerfState, String> {
        if addr & 7 != 0
            || !pma.contains(addr as *const u8)
            || !pma.contains((addr + 8 * RECORD_WORDS as u64 - 1) as *const u8)
        {
            return Err(format!("root slot 0 ({addr:#x}) is not an arena address"));
        }
        if pma.block_size(addr as *const u64) < RECORD_WORDS * 8 {
            return Err(format!(
                "root slot 0 ({addr:#x}) is not an allocated block of the arena"
            ));
        }
        // SAFETY: the record lies inside the mapped arena (checked above); it was written by `write_record` and made
        // durable by a commit, so its words are initialised.
        let w = unsafe { std::slice::from_raw_parts(addr as *const u64, RECORD_WORDS) };
        if w[0] != RECORD_MAGIC {
            return Err(format!(
                "the state record at {addr:#x} has a bad magic word"
            ));
        }
        // SAFETY: the kernel and cold words were written from nouns that live in the arena (invariant I1).
        let (kernel, cold) = unsafe { (Noun::from_raw(w[2]), Noun::from_raw(w[3])) };
        for n in [kernel, cold] {
            if n.is_allocated() && !pma.contains(n.addr() as *const u8) {
                return Err(format!(
                    "the state record at {addr:#x} points outside the arena"
                ));
            }
            if n.is_allocated() && pma.block_size(n.addr() as *const u64) == 0 {
                return Err(format!(
                    "the state record at {addr:#x} points to {:#x}, which is not an allocated block",
                    n.addr()
                ));
            }
        }
        Ok(SerfState {
            event: w[1],
            kernel,
            cold,
            mug: w[4] as u32,
        })
    }

    fn write_record(pma: &mut Pma, state: &SerfState) -> Result<(), SnapshotError> {
        let p = pma
            .alloc(RECORD_WORDS * 8)
            .map_err(|_| SnapshotError::OutOfMemory(Space::Arena))?
            .as_ptr();
        let words = [
            RECORD_MAGIC,
            state.event,
            state.kernel.raw(),
            state.cold.raw(),
            state.mug as u64,
            0,
        ];
        // SAFETY: `p` is a fresh, writable arena block of RECORD_WORDS words.
        unsafe { std::ptr::copy_nonoverlapping(words.as_ptr(), p, RECORD_WORDS) };
        pma.root_set(0, p as u64);
        Ok(())
    }

    /// Mark everything reachable from the state record, then sweep.
    fn gc(pma: &mut Pma) -> Result<crate::pma::GcStats, crate::pma::PmaError> {
        let record = pma.roots()[0];
        let contains = {
            let (base, limit) = pma.bounds();
            move |a: u64| a >= base as u64 && a < limit as u64
        };
        pma.gc(|m| {
            if record == 0 {
                return;
            }
            m.mark(record as *const u8);
            // SAFETY: the record is a live arena block (the root), written by `write_record`.
            let w = unsafe { std::slice::from_raw_parts(record as *const u64, RECORD_WORDS) };
            // SAFETY: as in read_record.
            let mut todo: Vec<Noun> = unsafe { vec![Noun::from_raw(w[2]), Noun::from_raw(w[3])] };
            while let Some(n) = todo.pop() {
                if !n.is_allocated() || !contains(n.addr()) {
                    continue;
                }
                if m.mark(n.addr() as *const u8) {
                    if let Some(c) = n.as_cell() {
                        todo.push(c.head());
                        todo.push(c.tail());
                    }
                }
            }
        })
    }
}

impl Snapshot for PmaSnapshot {
    fn load(&mut self, _stack: &mut NockStack) -> Result<Option<SerfState>, SnapshotError> {
        let dir = self.dir.clone();
        let pma = self.open()?;
        Self::validate(pma).map_err(|why| SnapshotError::Corrupt {
            reasons: vec![format!("{}: {why}", dir.display())],
        })
    }

    fn extract(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        pins: &mut dyn Roots,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        if stack.depth() != 0 {
            return Ok(Moved::NOTHING);
        }
        // Extraction leaves forwarding words in the stack copies, so it may only run when nothing but the state is
        // still needed from the root frame. While the caller pins root-frame nouns (the rest of a %play batch), the
        // state stays on the stack and the root frame is collected in place when it has grown.
        let mut pinned = false;
        pins.for_each_root(&mut |n| pinned |= n.is_allocated() && stack.in_stack(n.addr()));
        if pinned {
            if stack.frame_alloc_words() <= super::root_frame_floor(stack) {
                return Ok(Moved::NOTHING);
            }
            super::collect_root(stack, state, pins, held)?;
            return Ok(Moved {
                root_frame_collected: true,
                ..Moved::NOTHING
            });
        }
        let dir = self.dir.clone();
        let pma = self.open()?;
        let before = pma.roots()[0];
        let cold_before = state.cold;
        let copied = {
            let mut roots = (&mut state.kernel, (&mut state.cold, &mut *held));
            extract(stack, &mut ArenaAlloc(pma), &mut roots)
                .map_err(|_| SnapshotError::OutOfMemory(Space::Arena))?
        };
        let changed = copied.words > 0 || before == 0 || {
            // SAFETY: `before` is the record written by the last extraction (or load), a live arena block.
            let w = unsafe { std::slice::from_raw_parts(before as *const u64, RECORD_WORDS) };
            w[1] != state.event
                || w[2] != state.kernel.raw()
                || w[3] != state.cold.raw()
                || w[4] != state.mug as u64
        };
        if changed && state.has_kernel() {
            Self::write_record(pma, state)?;
        }
        stack.clear_frame_allocations();
        let mut moved = Moved {
            root_frame_cleared: true,
            cold_state_moved: state.cold.raw() != cold_before.raw(),
            ..Moved::NOTHING
        };
        // Collect the arena when enough has been allocated since the last collection.
        let s = pma.stats();
        if s.alloc_since_gc >= GC_MIN_BYTES.max(s.live_after_gc / 2) {
            Self::gc(pma).map_err(|error| SnapshotError::Arena { dir, error })?;
            moved.store_memory_collected = true;
        }
        Ok(moved)
    }

    fn commit(&mut self, state: &SerfState) -> Result<(), SnapshotError> {
        if self.dry_run {
            return Ok(());
        }
        let dir = self.dir.clone();
        let pma = self.open()?;
        pma.commit(state.event, 0, state.mug)
            .map(|_| ())
            .map_err(|error| SnapshotError::Arena { dir, error })
    }

    fn collect(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        self.compact(stack, state, held, false)
    }

    fn meld(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        self.compact(stack, state, held, true)
    }

    fn clears_root_frame(&self) -> bool {
        true
    }

    fn mass(&self) -> Vec<MassLine> {
        let Some(pma) = &self.pma else {
            return Vec::new();
        };
        let s = pma.stats();
        let line = |name: &str, bytes: u64| MassLine {
            name: format!("arena: {name}"),
            bytes,
        };
        vec![
            line("file (mapped)", s.mapped_bytes),
            line("in use", s.bytes_in_use),
            line("live after its last collection", s.live_after_gc),
            line("allocated since its last collection", s.alloc_since_gc),
            line("dirty since the last save", s.dirty_pages * 4096),
        ]
    }
}

impl PmaSnapshot {
    /// `%pack` and `%meld`: copy everything reachable from the state into fresh arena pages (depth first, which also
    /// improves locality), optionally sharing every pair of structurally equal subtrees (`dedup`, for `%meld`), then
    /// collect: every old copy is unreachable and is freed. The old objects are only read (no forwarding words in the
    /// arena); sharing goes through side tables.
    fn compact(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        held: &mut dyn Roots,
        dedup: bool,
    ) -> Result<Moved, SnapshotError> {
        let extracted = self.extract(stack, state, &mut (), held)?;
        if !state.has_kernel() {
            return Ok(extracted);
        }
        let dir = self.dir.clone();
        let pma = self.open()?;
        pma.set_fresh_only(true);
        let copied = (|| -> Result<(Noun, Noun), Oom> {
            let mut c = ArenaCopier {
                pma: &mut *pma,
                seen: HashMap::new(),
                dedup: dedup.then(NounMap::new),
            };
            Ok((c.copy(state.kernel)?, c.copy(state.cold)?))
        })();
        pma.set_fresh_only(false);
        let (kernel, cold) = copied.map_err(|_| SnapshotError::OutOfMemory(Space::Arena))?;
        state.kernel = kernel;
        state.cold = cold;
        Self::write_record(pma, state)?;
        // Every old copy is unreachable now, the dashboard's batteries among them: the caller's reclaim points the
        // dashboard at the new ones before anything runs.
        Self::gc(pma).map_err(|error| SnapshotError::Arena { dir, error })?;
        let _ = pma.trim();
        Ok(extracted.and(Moved {
            cold_state_moved: true,
            store_memory_collected: true,
            ..Moved::NOTHING
        }))
    }
}

/// Copies arena nouns into fresh arena blocks, keeping sharing (and with `dedup`, making equal subtrees shared).
struct ArenaCopier<'a> {
    pma: &'a mut Pma,
    /// Old object address → its copy.
    seen: HashMap<u64, Noun>,
    /// Structurally equal copies, for `%meld`.
    dedup: Option<NounMap<Noun>>,
}

impl ArenaCopier<'_> {
    fn copy(&mut self, root: Noun) -> Result<Noun, Oom> {
        let (base, limit) = self.pma.bounds();
        let in_arena = move |a: u64| a >= base as u64 && a < limit as u64;
        let mut seen = std::mem::take(&mut self.seen);
        let r = rebuild(root, &mut seen, in_arena, |x, kids| {
            let words = match kids {
                Some(_) => CELL_WORDS,
                None => ATOM_HEADER_WORDS + x.as_atom().expect("atom").words().len(),
            };
            self.place(x, words, kids)
        });
        self.seen = seen;
        r
    }

    /// Copy the object of `x` (`words` long; a cell gets the copied children `kids`), or reuse an equal copy.
    fn place(&mut self, x: Noun, words: usize, kids: Option<(Noun, Noun)>) -> Result<Noun, Oom> {
        let p = self.pma.alloc(words * 8).map_err(|_| Oom)?.as_ptr();
        // SAFETY: `x` is a live arena object of `words` words (its mug is cached, invariant I2); `p` is a fresh
        // writable block of the same size. Only the new block is written.
        let new = unsafe {
            std::ptr::copy_nonoverlapping(x.addr() as *const u64, p, words);
            if let Some((h, t)) = kids {
                *p.add(1) = h.raw();
                *p.add(2) = t.raw();
            }
            x.with_addr(p as u64)
        };
        let new = match &mut self.dedup {
            Some(map) => match map.get(new) {
                Some(&equal) => {
                    let _ = self.pma.free(p);
                    equal
                }
                None => {
                    map.insert(new, new);
                    new
                }
            },
            None => new,
        };
        Ok(new)
    }
}

/// Garbage-collect the arena of a pier offline (`mars pma gc`): mark from the state record, sweep, commit.
pub fn collect_offline(pier: &Path) -> Result<crate::pma::GcStats, String> {
    let mut snap = PmaSnapshot::new(pier, false);
    let pma = snap.open().map_err(|e| e.to_string())?;
    let meta = pma.meta();
    let stats = PmaSnapshot::gc(pma).map_err(|e| e.to_string())?;
    pma.commit(meta.event, meta.epoch, meta.kernel_mug)
        .map_err(|e| e.to_string())?;
    let _ = pma.trim();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{D, T};
    use crate::stack::NockStack;

    /// A core registered inside a computation, whose nouns the dashboard holds in the root frame once the frame is
    /// popped: the cold state built from the dashboard must end up wholly in the arena, and the dashboard must follow
    /// it there (a cold state pointing into process memory was a dangling pointer after `reload` and a restart).
    #[test]
    fn cold_state_registered_in_a_frame_moves_wholly_into_the_arena() {
        let dir = tempfile::tempdir().unwrap();
        let mut snap = PmaSnapshot::new(dir.path(), false);
        let mut ctx = crate::interpreter::Context::new(NockStack::new(64 << 20).unwrap(), 100);
        assert!(snap.load(&mut ctx.stack).unwrap().is_none());
        ctx.stack.push_frame().unwrap();
        let st = &mut ctx.stack;
        let battery = T(st, &[D(0), D(1), D(2), D(3)]).unwrap();
        let core = T(st, &[battery, D(140)]).unwrap();
        let root = T(st, &[D(1), D(0)]).unwrap();
        let clue = T(st, &[crate::noun::tas("k140"), root, D(0)]).unwrap();
        ctx.jets.register(&ctx.stack, core, clue);
        // The registration's nouns follow the frame's survivors into the root frame.
        ctx.pop_preserving(&mut ()).unwrap();
        assert_eq!(ctx.jets.registered(), 1);

        let cold = ctx.jets.cold_noun(&mut ctx.stack).unwrap();
        let kernel = T(&mut ctx.stack, &[D(7), D(8)]).unwrap();
        let mut state = SerfState {
            event: 1,
            kernel,
            cold,
            mug: crate::mug::mug(kernel),
        };
        let moved = {
            let crate::interpreter::Context { stack, jets, .. } = &mut ctx;
            let mut held = jets.frame_roots(0);
            let moved = snap.extract(stack, &mut state, &mut (), &mut held).unwrap();
            held.finish(None);
            moved
        };
        assert!(moved.root_frame_cleared && moved.cold_state_moved);
        ctx.reclaim(moved, state.cold);
        assert_eq!(ctx.jets.registered(), 1);

        let (base, limit) = snap.arena().unwrap().bounds();
        let mut todo = vec![state.cold];
        while let Some(n) = todo.pop() {
            if n.is_allocated() {
                let a = n.addr();
                assert!(
                    a >= base as u64 && a < limit as u64,
                    "cold noun at {a:#x} outside the arena"
                );
            }
            if let Some(c) = n.as_cell() {
                todo.push(c.head());
                todo.push(c.tail());
            }
        }
    }
}
