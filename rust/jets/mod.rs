//! Jets: native implementations of hot Hoon gates, and the `%fast` registration that finds them.
//!
//! The state is split as in Vere:
//!
//! - **cold state**: every core registered by a `%fast` hint, as a *location*: its battery, its name, and either the
//!   payload it was registered with (a root core, parent axis 0) or the axis of its parent core within it and the
//!   parent's location. [`Dashboard::cold_noun`] / [`Dashboard::from_cold_noun`] turn it into a noun and back, so it
//!   can be persisted with the kernel.
//! - **warm state**: for each location, the arms that have a jet (arm axis → entry of the hot table), and indexes
//!   from battery identity (pointer first, then mug + structural equality) to the locations using that battery. It is
//!   rebuilt from the cold state by matching each location's label against the hot table.
//! - **hot state**: the static table [`hot::HOT`] of Rust jet functions keyed by location path (`k/one/add`: `k`
//!   stands for the Hoon kernel root `%k.NNN` of the kernels Vere 4.5 knows, 140 down to 135, each entry naming the
//!   kernels it serves).
//!
//! As in Vere's hashless mode (its default), a jet is found by location, not by battery hash: a core is jetted only if
//! its battery is exactly a registered battery *and* its parent chain matches the registered one (each ancestor's
//! battery, and for the root the payload), and the location's name path is in the hot table. A core that merely has the
//! same name is never jetted.
//!
//! Nouns the dashboard keeps (batteries, root payloads, hooks, names) are never copied: a registration refers to the
//! core's own nouns, wherever they live, so the kernel and its cold state share every battery (a copy per
//! registration once made the cold state ten times the kernel). Nouns on the NockStack are *held*: each is filed under
//! the depth of the frame that holds it, and every operation that moves or frees a frame's memory goes through
//! [`crate::interpreter::Context`], which passes the held nouns of that frame as roots ([`Dashboard::frame_roots`])
//! and then tells the dashboard what happened ([`Dashboard::frame_moved`], [`Dashboard::frames_discarded`]).

mod addr_cache;
pub mod aura;
pub mod bits;
pub mod crypto;
pub mod hash;
pub mod hot;
pub mod lists;
pub mod math;
pub mod memo;
pub mod parse;
pub mod serial;
pub mod sets;
pub mod sort;
pub mod tree;
pub mod util;
pub mod virt;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_more;

use crate::equality::noun_eq;
use crate::interpreter::{Context, Mote};
use crate::mug::mug;
use crate::noun::{slot, Alloc, Atom, Noun, Oom, D};
use crate::stack::{NockStack, Roots};
use addr_cache::AddrCache;
use std::cell::Cell as StdCell;
use std::time::Instant;

/// Why a jet did not produce a product.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum JetErr {
    /// The jet does not handle this sample: run the Nock instead.
    Punt,
    /// The computation fails with this mote, exactly as the Nock would.
    Fail(Mote),
    /// The jet's own nested computation failed with this mote and trace (a list, innermost first), which the
    /// crash keeps, as the Nock's would.
    Traced(Mote, Noun),
}

impl From<crate::noun::Oom> for JetErr {
    fn from(_: crate::noun::Oom) -> JetErr {
        JetErr::Fail(Mote::Meme)
    }
}

impl From<crate::interpreter::Error> for JetErr {
    fn from(e: crate::interpreter::Error) -> JetErr {
        if e.trace.is_allocated() {
            JetErr::Traced(e.mote, e.trace)
        } else {
            JetErr::Fail(e.mote)
        }
    }
}

/// A jet: computes the product of running an arm of `core`.
pub type JetFn = fn(&mut Context, Noun) -> Result<Noun, JetErr>;

/// A jet found for a kick: the function, and where it came from (for stats and checking).
#[derive(Copy, Clone)]
pub struct Jet {
    pub fun: JetFn,
    /// For a memoising jet, its cache key (see [`hot::HotEntry::memo`]).
    pub memo: Option<memo::MemoKeyFn>,
    /// Index of the hot table entry.
    pub hot: u32,
    /// Index of the location (registered core).
    pub loc: u32,
}

/// Words of the battery mug filter (a power of two).
const FILTER_WORDS: usize = 1024;

type WordMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Where a location's parent is.
#[derive(Copy, Clone, Debug)]
enum Parent {
    /// A root core: registered with this payload.
    Root(Noun),
    /// The parent core is at `axis` of the core and registered at location `loc`.
    Child { axis: u64, loc: u32 },
}

/// A registered core (cold state) with its activation (warm state).
struct Loc {
    /// The name as given in the clue (a term, or `[term number]`).
    name: Noun,
    /// Names from the root down to this core, the root's version folded in (`k136`).
    label: Vec<String>,
    /// Index into `Dashboard::bats`.
    bat: u32,
    parent: Parent,
    /// The hooks from the clue (a list of `[term formula]`).
    hooks: Noun,
    /// Warm: arm axis → hot table index.
    arms: Vec<(u64, u32)>,
    /// Kicks of this core's arms that ran as Nock (counted while timing is on).
    nock_kicks: StdCell<u64>,
}

/// A registered battery.
struct Bat {
    battery: Noun,
    mug: u32,
    locs: Vec<u32>,
    /// True if any location with this battery has a jetted arm.
    jetted: bool,
}

/// A registration noun the dashboard refers to: which field of which battery or location.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Held {
    Battery(u32),
    Name(u32),
    Payload(u32),
    Hooks(u32),
}

/// Per-jet counters for the coverage report.
#[derive(Default, Clone, Debug)]
pub struct JetStats {
    pub calls: u64,
    pub punts: u64,
    pub nanos: u64,
    pub mismatches: u64,
}

/// Cold, warm and hot jet state.
#[derive(Default)]
pub struct Dashboard {
    /// Jets switched off (`--no-jets`).
    pub disabled: bool,
    /// Run every jet and its Nock and compare them (`MARS_JET_CHECK=1`).
    pub jet_check: bool,
    /// Time every jet call and count kicks of registered but unjetted cores (`--stats`).
    pub timing: bool,
    /// Report every core whose `%fast` registration is ignored because its parent is not registered (the serf's
    /// verbose flag); otherwise only the first is reported, with a note.
    pub verbose: bool,
    /// Registrations ignored because the parent was not registered.
    pub unlocated: u64,
    /// Registration nouns that live on the NockStack, by the depth of the frame that holds them.
    held: Vec<Vec<Held>>,
    locs: Vec<Loc>,
    bats: Vec<Bat>,
    by_ptr: WordMap<u64, u32>,
    by_mug: WordMap<u32, Vec<u32>>,
    /// A bit per mug bucket of the registered batteries (allocated at the first registration).
    mug_filter: Vec<u64>,
    /// Per hot-table entry.
    stats: Vec<JetStats>,
    /// Hot entries whose jets are switched off while their Nock runs for a check.
    checking: Vec<bool>,
    /// Jet mismatches found in checking mode.
    pub mismatches: u64,
    /// Checks in progress (jets nested in a check are not checked themselves).
    check_depth: u32,
    /// Jet calls compared with their Nock.
    pub checks: u64,
    /// Hot paths switched off (`MARS_JET_SKIP=k/one/add,k/one/two/turn`), to bisect a suspect jet.
    pub skip: Vec<String>,
    /// Batteries already matched structurally, by address (battery index).
    bat_cache: AddrCache,
    /// Registered cores already located (their parent chains checked), by address (location index): a kick of a
    /// gate whose context is such a core stops walking the chain there.
    core_cache: AddrCache,
}

impl Dashboard {
    pub fn new() -> Dashboard {
        let n = hot::HOT.len();
        Dashboard {
            jet_check: std::env::var("MARS_JET_CHECK").is_ok_and(|v| v == "1"),
            skip: std::env::var("MARS_JET_SKIP")
                .map(|v| v.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            stats: vec![JetStats::default(); n],
            checking: vec![false; n],
            ..Dashboard::default()
        }
    }

    /// Count a call of hot entry `hot` that the interpreter handled itself (a memoising jet's kick).
    pub fn note_call(&mut self, hot: u32) {
        self.stats[hot as usize].calls += 1;
    }

    /// Number of registered locations.
    pub fn registered(&self) -> usize {
        self.locs.len()
    }

    /// The jet for arm `axis` of `core`, if the core is a registered, jetted core.
    #[inline]
    pub fn find(&self, stack: &NockStack, core: Noun, axis: Noun) -> Option<Jet> {
        let c = core.as_cell()?;
        let bi = self.battery_index(stack, c.head())?;
        let bat = &self.bats[bi as usize];
        if !bat.jetted && !self.timing {
            return None;
        }
        let axis = axis.as_direct()?;
        for &li in &bat.locs {
            let loc = &self.locs[li as usize];
            let arm = loc.arms.iter().find(|(a, _)| *a == axis);
            if arm.is_none() && !self.timing {
                continue;
            }
            if !self.fine(stack, core, li) {
                continue;
            }
            match arm {
                Some(&(_, hot)) if !self.checking[hot as usize] => {
                    return Some(Jet {
                        fun: hot::HOT[hot as usize].fun,
                        memo: hot::HOT[hot as usize].memo,
                        hot,
                        loc: li,
                    })
                }
                _ => {
                    loc.nock_kicks.set(loc.nock_kicks.get() + 1);
                    return None;
                }
            }
        }
        None
    }

    /// The registered battery equal to `b`.
    #[inline]
    fn battery_index(&self, stack: &NockStack, b: Noun) -> Option<u32> {
        if !b.is_cell() {
            return None;
        }
        if self.by_mug.is_empty() {
            return None;
        }
        // Most kicked cores are not registered: one bit of a filter on the (cached) mug rules them out.
        let m = mug(b);
        if self.mug_filter[(m as usize >> 6) & (FILTER_WORDS - 1)] & (1 << (m & 63)) == 0 {
            return None;
        }
        if let Some(&i) = self.by_ptr.get(&b.raw()) {
            return Some(i);
        }
        if let Some(i) = self.address_hit(stack, b) {
            return Some(i);
        }
        let cands = self.by_mug.get(&m)?;
        let found = cands
            .iter()
            .copied()
            .find(|&i| noun_eq(self.bats[i as usize].battery, b));
        if let Some(i) = found {
            self.remember_address(stack, b, i);
        }
        found
    }

    /// Forget what was matched by address outside the NockStack: that memory is about to be freed or moved (a
    /// collection of the persistent arena, a compaction).
    pub fn forget_far_addresses(&self) {
        self.bat_cache.forget_far();
        self.core_cache.forget_far();
    }

    /// A battery already matched at this address, if the address still holds it (see [`AddrCache`]); off the stack
    /// the noun there must also still have the battery's mug (a second guard).
    #[inline]
    fn address_hit(&self, stack: &NockStack, b: Noun) -> Option<u32> {
        let bi = self.bat_cache.get(stack, b.raw())?;
        (stack.in_stack(b.addr()) || b.cached_mug() == Some(self.bats[bi as usize].mug))
            .then_some(bi)
    }

    fn remember_address(&self, stack: &NockStack, b: Noun, bi: u32) {
        self.bat_cache.put(stack, b.raw(), bi);
    }

    /// Does `b` equal battery `bi`?
    #[inline]
    fn battery_is(&self, stack: &NockStack, b: Noun, bi: u32) -> bool {
        let stored = self.bats[bi as usize].battery;
        if b.same(stored) {
            return true;
        }
        if let Some(&i) = self.by_ptr.get(&b.raw()) {
            return i == bi;
        }
        if let Some(i) = self.address_hit(stack, b) {
            return i == bi;
        }
        let equal = b.is_cell() && mug(b) == self.bats[bi as usize].mug && noun_eq(b, stored);
        if equal {
            self.remember_address(stack, b, bi);
        }
        equal
    }

    /// Is `core` located at `li`: its battery and each ancestor's battery registered there, and the root's payload
    /// the registered one?
    fn fine(&self, stack: &NockStack, mut core: Noun, mut li: u32) -> bool {
        let mut first: Option<(Noun, u32)> = None;
        let fine = loop {
            let Some(c) = core.as_cell() else {
                return false;
            };
            let loc = &self.locs[li as usize];
            if !self.battery_is(stack, c.head(), loc.bat) {
                return false;
            }
            match loc.parent {
                Parent::Root(payload) => break noun_eq(c.tail(), payload),
                Parent::Child { axis, loc } => {
                    let Some(a) = Atom::direct(axis) else {
                        return false;
                    };
                    let Some(p) = slot(core, a) else {
                        return false;
                    };
                    if self.core_cache.get(stack, p.raw()) == Some(loc) {
                        break true;
                    }
                    if first.is_none() {
                        first = Some((p, loc));
                    }
                    core = p;
                    li = loc;
                }
            }
        };
        // The context of the kicked core is now known to be located: later kicks of cores under it stop here.
        if fine {
            if let Some((p, loc)) = first {
                self.core_cache.put(stack, p.raw(), loc);
            }
        }
        fine
    }

    /// The location of `core`, if it is a registered core.
    fn spot(&self, stack: &NockStack, core: Noun) -> Option<u32> {
        let c = core.as_cell()?;
        let bi = self.battery_index(stack, c.head())?;
        self.bats[bi as usize]
            .locs
            .iter()
            .copied()
            .find(|&li| self.fine(stack, core, li))
    }

    /// Why `p` (a would-be parent) has no location, for the registration message: its battery was never
    /// registered, or it was, under these locations, but `p`'s own parent chain or root payload differs.
    fn why_unlocated(&self, stack: &NockStack, p: Noun) -> String {
        let Some(bi) = p
            .as_cell()
            .and_then(|c| self.battery_index(stack, c.head()))
        else {
            return "its battery is not registered".to_string();
        };
        let labels: Vec<String> = self.bats[bi as usize]
            .locs
            .iter()
            .take(4)
            .map(|&li| self.label_of(li))
            .collect();
        format!(
            "its battery is registered as {}, under another parent chain",
            labels.join(", ")
        )
    }

    /// Handle a `%fast` hint: `clue` names `core`. Malformed clues and cores whose parent is not registered are
    /// ignored (as Vere does, with a message).
    pub fn register(&mut self, stack: &NockStack, core: Noun, clue: Noun) {
        let Some(clue) = parse_clue(clue) else {
            return;
        };
        if !core.is_cell() || self.spot(stack, core).is_some() {
            return;
        }
        if let Err(Oom) = self.mine(stack, core, clue) {
            eprintln!("jets: out of memory registering a core\r");
        }
    }

    fn mine(&mut self, stack: &NockStack, core: Noun, clue: Clue) -> Result<(), Oom> {
        let c = core.as_cell().expect("core is a cell");
        let name_text = chum_text(clue.name);
        let (parent, mut label) = if clue.axis == 0 {
            (Parent::Root(c.tail()), Vec::new())
        } else {
            let Some(p) = Atom::direct(clue.axis).and_then(|a| slot(core, a)) else {
                eprintln!("jets: {name_text} is bogus\r");
                return Ok(());
            };
            let Some(pl) = (if p.is_cell() {
                self.spot(stack, p)
            } else {
                None
            }) else {
                self.unlocated += 1;
                if self.verbose || self.unlocated == 1 {
                    eprintln!(
                        "jets: in {name_text}, parent {:x} not found at {} ({})\r",
                        mug(p.head().unwrap_or(p)),
                        clue.axis,
                        self.why_unlocated(stack, p)
                    );
                }
                if !self.verbose && self.unlocated == 1 {
                    eprintln!(
                        "jets: (further cores whose parent is not registered are not reported; the serf's verbose \
                         flag, 16, reports each)\r"
                    );
                }
                return Ok(());
            };
            (
                Parent::Child {
                    axis: clue.axis,
                    loc: pl,
                },
                self.locs[pl as usize].label.clone(),
            )
        };
        label.push(name_text);
        let bat = match self.battery_index(stack, c.head()) {
            Some(bi) => bi,
            None => self.add_battery(stack, c.head()),
        };
        self.add_loc(
            stack,
            Loc {
                name: clue.name,
                label,
                bat,
                parent,
                hooks: clue.hooks,
                arms: Vec::new(),
                nock_kicks: StdCell::new(0),
            },
        );
        Ok(())
    }

    fn add_battery(&mut self, stack: &NockStack, battery: Noun) -> u32 {
        let i = self.bats.len() as u32;
        self.hold(stack, battery, Held::Battery(i));
        let m = mug(battery);
        self.bats.push(Bat {
            battery,
            mug: m,
            locs: Vec::new(),
            jetted: false,
        });
        self.by_ptr.insert(battery.raw(), i);
        self.by_mug.entry(m).or_default().push(i);
        if self.mug_filter.is_empty() {
            self.mug_filter = vec![0; FILTER_WORDS];
        }
        self.mug_filter[(m as usize >> 6) & (FILTER_WORDS - 1)] |= 1 << (m & 63);
        i
    }

    /// Add a location and activate it (warm state).
    fn add_loc(&mut self, stack: &NockStack, mut loc: Loc) -> u32 {
        let li = self.locs.len() as u32;
        self.hold(stack, loc.name, Held::Name(li));
        self.hold(stack, loc.hooks, Held::Hooks(li));
        if let Parent::Root(payload) = loc.parent {
            self.hold(stack, payload, Held::Payload(li));
        }
        loc.arms = hot::arms_for(&loc.label);
        if !self.skip.is_empty() {
            loc.arms
                .retain(|&(_, h)| !self.skip.iter().any(|p| p == hot::HOT[h as usize].path));
        }
        let bat = &mut self.bats[loc.bat as usize];
        bat.locs.push(li);
        bat.jetted |= !loc.arms.is_empty();
        self.locs.push(loc);
        li
    }

    /// File `n` (a field of a registration) under the frame that holds it, if it is on the NockStack.
    fn hold(&mut self, stack: &NockStack, n: Noun, what: Held) {
        if !n.is_allocated() || !stack.in_stack(n.addr()) {
            return;
        }
        let Some(depth) = stack.frame_depth_of(n.addr()) else {
            // Not in any frame's allocations: a registration of garbage memory would dangle. Cannot happen for a
            // noun the computation holds; refuse it rather than trust it.
            debug_assert!(false, "registration noun outside every frame");
            return;
        };
        if self.held.len() <= depth {
            self.held.resize_with(depth + 1, Vec::new);
        }
        self.held[depth].push(what);
    }

    fn held_slot(&mut self, h: Held) -> &mut Noun {
        match h {
            Held::Battery(i) => &mut self.bats[i as usize].battery,
            Held::Name(i) => &mut self.locs[i as usize].name,
            Held::Hooks(i) => &mut self.locs[i as usize].hooks,
            Held::Payload(i) => match &mut self.locs[i as usize].parent {
                Parent::Root(p) => p,
                Parent::Child { .. } => unreachable!("only root locations hold a payload"),
            },
        }
    }

    /// Are any registration nouns held in the frame at `depth`?
    #[inline]
    pub fn holds_in(&self, depth: usize) -> bool {
        self.held.get(depth).is_some_and(|h| !h.is_empty())
    }

    /// The registration nouns held in the frame at `depth`, as roots for an operation that moves that frame's
    /// memory (a preserving pop, an in-place collection, an extraction). Afterwards call [`Dashboard::frame_moved`].
    pub fn frame_roots(&mut self, depth: usize) -> FrameRoots<'_> {
        FrameRoots {
            dash: self,
            depth,
            moved: Vec::new(),
        }
    }

    /// After the frame at `depth` was moved with [`Dashboard::frame_roots`] as roots: its held nouns now live in the
    /// frame at `to` (`depth - 1` after a preserving pop, `depth` after a collection), or off the stack (`None`, after
    /// an extraction into an arena).
    fn frame_moved(&mut self, depth: usize, to: Option<usize>, moved: Vec<(Held, u64)>) {
        for (h, old) in moved {
            if let Held::Battery(i) = h {
                if self.by_ptr.get(&old) == Some(&i) {
                    self.by_ptr.remove(&old);
                }
                let new = self.bats[i as usize].battery.raw();
                self.by_ptr.insert(new, i);
            }
        }
        if depth >= self.held.len() {
            return;
        }
        let items = std::mem::take(&mut self.held[depth]);
        if let Some(to) = to {
            if self.held.len() <= to {
                self.held.resize_with(to + 1, Vec::new);
            }
            if to == depth {
                self.held[depth] = items;
            } else {
                self.held[to].extend(items);
            }
        }
    }

    /// After frames were freed without preserving anything (a bail's restore): forget every registration with a
    /// noun in memory that no frame holds any more, and the registrations below them.
    pub fn frames_discarded(&mut self, stack: &NockStack) {
        let top = stack.depth();
        let mut dead = self.held.iter().skip(top + 1).any(|h| !h.is_empty());
        if !dead && top < self.held.len() {
            let items = self.held[top].clone();
            dead = items.into_iter().any(|h| {
                let n = *self.held_slot(h);
                stack.frame_depth_of(n.addr()) != Some(top)
            });
        }
        if dead {
            self.retain_live(stack);
        } else {
            self.held.truncate(top + 1);
        }
    }

    /// Rebuild the dashboard from the registrations whose nouns are all still live (and whose parents are kept).
    fn retain_live(&mut self, stack: &NockStack) {
        let live = |n: Noun| {
            !n.is_allocated()
                || !stack.in_stack(n.addr())
                || stack.frame_depth_of(n.addr()).is_some()
        };
        let old_locs = std::mem::take(&mut self.locs);
        let old_bats = std::mem::take(&mut self.bats);
        self.by_ptr.clear();
        self.by_mug.clear();
        self.mug_filter.clear();
        self.held.clear();
        self.bat_cache.clear();
        self.core_cache.clear();
        let mut map: Vec<Option<u32>> = Vec::with_capacity(old_locs.len());
        let mut dropped = 0usize;
        for loc in old_locs {
            let battery = old_bats[loc.bat as usize].battery;
            let parent = match loc.parent {
                Parent::Root(p) => live(p).then_some(Parent::Root(p)),
                Parent::Child { axis, loc: pl } => {
                    map[pl as usize].map(|pl| Parent::Child { axis, loc: pl })
                }
            };
            let keep = parent.filter(|_| live(battery) && live(loc.name) && live(loc.hooks));
            let Some(parent) = keep else {
                map.push(None);
                dropped += 1;
                continue;
            };
            let bat = match self.battery_index(stack, battery) {
                Some(bi) => bi,
                None => self.add_battery(stack, battery),
            };
            let li = self.add_loc(
                stack,
                Loc {
                    name: loc.name,
                    label: loc.label,
                    bat,
                    parent,
                    hooks: loc.hooks,
                    arms: Vec::new(),
                    nock_kicks: loc.nock_kicks,
                },
            );
            map.push(Some(li));
        }
        tracing::debug!("jets: {dropped} registrations made in discarded frames forgotten");
    }

    /// The cold state as a noun: a list, parents before children, of `[battery name axis parent hooks]` where `axis`
    /// is 0 and `parent` the payload for a root core, else `parent` is the index of the parent's entry in the list.
    ///
    /// The list's cells are allocated in `alloc`; the entries share the registered nouns themselves.
    pub fn cold_noun<A: Alloc + ?Sized>(&self, alloc: &mut A) -> Result<Noun, Oom> {
        let mut items = Vec::with_capacity(self.locs.len());
        for loc in &self.locs {
            let (axis, parent) = match loc.parent {
                Parent::Root(p) => (D(0), p),
                Parent::Child { axis, loc } => (Atom::new(alloc, axis)?.as_noun(), D(loc as u64)),
            };
            let bat = self.bats[loc.bat as usize].battery;
            items.push(crate::noun::T(
                alloc,
                &[bat, loc.name, axis, parent, loc.hooks],
            )?);
        }
        crate::noun::list(alloc, &items)
    }

    /// Rebuild a dashboard (cold and warm state) from [`Dashboard::cold_noun`]'s output. Malformed entries are
    /// skipped (with the entries that depend on them).
    /// Replace the registrations with those of `cold` (after the state moved, e.g. into the persistent arena, so the
    /// dashboard must point at the moved batteries), keeping the switches and statistics.
    pub fn reload(&mut self, stack: &NockStack, cold: Noun) {
        let mut d = Dashboard::from_cold_noun(stack, cold);
        d.disabled = self.disabled;
        d.jet_check = self.jet_check;
        d.timing = self.timing;
        d.skip = std::mem::take(&mut self.skip);
        d.stats = std::mem::take(&mut self.stats);
        d.mismatches = self.mismatches;
        d.checks = self.checks;
        *self = d;
    }

    pub fn from_cold_noun(stack: &NockStack, cold: Noun) -> Dashboard {
        let mut d = Dashboard::new();
        let mut index: Vec<Option<u32>> = Vec::new();
        for item in crate::noun::list_iter(cold) {
            let Ok(item) = item else { break };
            index.push(d.load_entry(stack, item, &index).unwrap_or(None));
        }
        d
    }

    fn load_entry(
        &mut self,
        stack: &NockStack,
        item: Noun,
        index: &[Option<u32>],
    ) -> Result<Option<u32>, Oom> {
        let get = |ax: u64| slot(item, Atom::direct(ax).expect("small axis"));
        let (Some(bat), Some(name), Some(axis), Some(par), Some(hooks)) =
            (get(2), get(6), get(14), get(30), get(31))
        else {
            return Ok(None);
        };
        if !bat.is_cell() {
            return Ok(None);
        }
        let Some(axis) = axis.as_u64() else {
            return Ok(None);
        };
        let (parent, mut label) = if axis == 0 {
            (Parent::Root(par), Vec::new())
        } else {
            let Some(pl) = par
                .as_u64()
                .and_then(|i| index.get(i as usize).copied().flatten())
            else {
                return Ok(None);
            };
            (
                Parent::Child { axis, loc: pl },
                self.locs[pl as usize].label.clone(),
            )
        };
        label.push(chum_text(name));
        let bi = match self.battery_index(stack, bat) {
            Some(bi) => bi,
            None => self.add_battery(stack, bat),
        };
        Ok(Some(self.add_loc(
            stack,
            Loc {
                name,
                label,
                bat: bi,
                parent,
                hooks,
                arms: Vec::new(),
                nock_kicks: StdCell::new(0),
            },
        )))
    }

    /// The location path of a registered core, root first (`k136/one/add`), for messages.
    pub fn label_of(&self, loc: u32) -> String {
        self.locs[loc as usize].label.join("/")
    }

    /// Counters of each hot-table entry.
    pub fn jet_stats(&self, name: &str) -> Option<&JetStats> {
        hot::HOT
            .iter()
            .position(|h| h.path == name)
            .map(|i| &self.stats[i])
    }

    /// The coverage report: one line per jet that ran (calls, punts, time, mismatches), most time first, then the
    /// registered cores that were kicked without a jet (counted while timing is on), most kicks first.
    /// Per-jet figures of the jets that were called: hot path and statistics.
    pub fn used_jets(&self) -> Vec<(&'static str, JetStats)> {
        (0..self.stats.len())
            .filter(|&i| self.stats[i].calls > 0)
            .map(|i| (hot::HOT[i].path, self.stats[i].clone()))
            .collect()
    }

    pub fn report(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut used: Vec<usize> = (0..self.stats.len())
            .filter(|&i| self.stats[i].calls > 0)
            .collect();
        used.sort_by_key(|&i| std::cmp::Reverse((self.stats[i].nanos, self.stats[i].calls)));
        lines.push(format!(
            "jets: {} registered cores, {} batteries, {} jets used, {} mismatches",
            self.locs.len(),
            self.bats.len(),
            used.len(),
            self.mismatches
        ));
        for i in used {
            let s = &self.stats[i];
            lines.push(format!(
                "  jet {:<28} calls {:>10} punts {:>8} time {:>10.3}ms{}",
                hot::HOT[i].path,
                s.calls,
                s.punts,
                s.nanos as f64 / 1e6,
                if s.mismatches > 0 {
                    format!(" MISMATCHES {}", s.mismatches)
                } else {
                    String::new()
                }
            ));
        }
        let mut cold: Vec<&Loc> = self
            .locs
            .iter()
            .filter(|l| l.nock_kicks.get() > 0)
            .collect();
        cold.sort_by_key(|l| std::cmp::Reverse(l.nock_kicks.get()));
        for l in cold {
            lines.push(format!(
                "  nock {:<27} kicks {:>10}{}",
                l.label.join("/"),
                l.nock_kicks.get(),
                if l.arms.is_empty() {
                    " (no jet)"
                } else {
                    " (unjetted arm)"
                }
            ));
        }
        lines
    }
}

/// Run a jet found by [`Dashboard::find`] on `core` (whose arm `axis` was kicked): count and time it, and in checking
/// mode also run the Nock and compare. `None` means the jet punted: run the Nock.
pub fn kick(ctx: &mut Context, jet: Jet, core: Noun, axis: Noun) -> Option<Result<Noun, JetErr>> {
    let h = jet.hot as usize;
    if ctx.jets_should_punt() {
        ctx.jets.stats[h].punts += 1;
        return None;
    }
    let t0 = if ctx.jets.timing {
        Some(Instant::now())
    } else {
        None
    };
    // In checking mode only the outermost jet is compared: a check of a jet nested in another jet's check would
    // double the work at every level.
    let checked = ctx.jets.jet_check && ctx.jets.check_depth == 0 && hot::HOT[h].checkable;
    if checked {
        ctx.jets.check_depth += 1;
    }
    let r = (jet.fun)(ctx, core);
    if checked {
        ctx.jets.check_depth -= 1;
    }
    if let Some(t0) = t0 {
        ctx.jets.stats[h].nanos += t0.elapsed().as_nanos() as u64;
    }
    ctx.jets.stats[h].calls += 1;
    if r == Err(JetErr::Punt) {
        ctx.jets.stats[h].punts += 1;
        return None;
    }
    if !checked {
        return Some(r);
    }
    Some(check(ctx, jet, core, axis, r))
}

/// Checking mode: run the arm's Nock with this jet switched off and compare.
fn check(
    ctx: &mut Context,
    jet: Jet,
    core: Noun,
    axis: Noun,
    jet_result: Result<Noun, JetErr>,
) -> Result<Noun, JetErr> {
    let h = jet.hot as usize;
    let Some(arm) = axis.as_atom().and_then(|a| slot(core, a)) else {
        return jet_result;
    };
    ctx.jets.checks += 1;
    ctx.jets.checking[h] = true;
    ctx.jets.check_depth += 1;
    let nock_result = crate::interpreter::nock(ctx, core, arm);
    ctx.jets.check_depth -= 1;
    ctx.jets.checking[h] = false;
    // Both crashing agrees; a resource bail on one side only (%meme, %intr) says nothing about the jet.
    let agree = match (&jet_result, &nock_result) {
        (Ok(a), Ok(b)) => noun_eq(*a, *b),
        (Err(_), Err(_)) => true,
        (Ok(_), Err(e)) => e.mote != Mote::Exit,
        (Err(JetErr::Fail(m) | JetErr::Traced(m, _)), Ok(_)) => *m != Mote::Exit,
        (Err(JetErr::Punt), Ok(_)) => true,
    };
    if !agree {
        ctx.jets.mismatches += 1;
        ctx.jets.stats[h].mismatches += 1;
        let show = |r: Result<Noun, String>| match r {
            Ok(n) => format!("product mug {:x}", mug(n)),
            Err(m) => format!("crash {m}"),
        };
        let sample = slot(core, Atom::direct(6).expect("6")).unwrap_or(Noun::ZERO);
        eprintln!(
            "jet mismatch: {} ({}): jet {}, nock {}; sample mug {:x}\r",
            hot::HOT[h].path,
            ctx.jets.label_of(jet.loc),
            show(jet_result.map_err(|e| format!("{e:?}"))),
            show(nock_result.map_err(|e| e.mote.to_string())),
            mug(sample)
        );
    }
    nock_result.map_err(JetErr::from)
}

/// A parsed `%fast` clue.
#[derive(Copy, Clone)]
struct Clue {
    name: Noun,
    axis: u64,
    hooks: Noun,
}

/// Parse a clue `[name parent-formula hooks]` as Vere does: the name is a term or `[term number]`; the parent
/// formula, under any `11` hints, is `[1 0]` (a root core) or `[0 axis]`; hooks are a list of `[term formula]`.
fn parse_clue(clue: Noun) -> Option<Clue> {
    let c = clue.as_cell()?;
    let rest = c.tail().as_cell()?;
    let name = c.head();
    match name.as_cell() {
        None => {}
        Some(n) => {
            n.head().as_atom()?;
            n.tail().as_direct()?;
        }
    }
    let mut q = rest.head();
    while let Some(qc) = q.as_cell() {
        if qc.head() == D(11) {
            q = qc.tail().tail()?;
        } else {
            break;
        }
    }
    let qc = q.as_cell()?;
    let axis = if qc.head() == D(1) && qc.tail() == D(0) {
        0
    } else if qc.head() == D(0) {
        let a = qc.tail().as_direct()?;
        if a >= 1 << 31 {
            return None;
        }
        a
    } else {
        return None;
    };
    let mut r = rest.tail();
    while let Some(rc) = r.as_cell() {
        let pair = rc.head().as_cell()?;
        pair.head().as_atom()?;
        r = rc.tail();
    }
    Some(Clue {
        name,
        axis,
        hooks: rest.tail(),
    })
}

/// A name as text: a term's bytes, or `[term number]` as the term followed by the number (`k136`).
fn chum_text(name: Noun) -> String {
    let text = |a: Noun| {
        a.as_atom()
            .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
            .unwrap_or_default()
    };
    match name.as_cell() {
        None => text(name),
        Some(c) => format!("{}{}", text(c.head()), c.tail().as_u64().unwrap_or(0)),
    }
}

/// The registration nouns held in one frame, as roots for a move of that frame ([`Dashboard::frame_roots`]).
pub struct FrameRoots<'a> {
    dash: &'a mut Dashboard,
    depth: usize,
    /// Held nouns whose address changed, with their old raw word.
    moved: Vec<(Held, u64)>,
}

impl FrameRoots<'_> {
    /// Finish the move: the held nouns are now in frame `to` (or off the stack).
    pub fn finish(self, to: Option<usize>) {
        let FrameRoots { dash, depth, moved } = self;
        dash.frame_moved(depth, to, moved);
    }
}

impl Roots for FrameRoots<'_> {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        let Some(items) = self.dash.held.get(self.depth) else {
            return;
        };
        let items = items.clone();
        for h in items {
            let slot = self.dash.held_slot(h);
            let old = slot.raw();
            f(slot);
            if slot.raw() != old {
                self.moved.push((h, old));
            }
        }
    }
}
