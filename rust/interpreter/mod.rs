//! The Nock 4K interpreter.
//!
//! Evaluation never recurses natively per Nock call: pending work lives as items on the current NockStack frame's
//! stack (payload words, then an opcode word on top), and every word on it is a noun or a small integer, so the frame
//! can be collected in place at any call site: the interpreter collects the top frame when it has allocated more than
//! twice what survived the last collection, which keeps tail-call loops in constant space. Frames are pushed only
//! where a computation must be separable from its caller: at entry (the product is preserved into the caller's
//! frame), under `mink` (a crash discards everything the virtualised computation made) and for scry gates.

mod error;
pub mod mass;
pub mod memo;
mod reclaim;
pub mod signals;

pub use error::{Error, Mote};
pub use memo::MemoCache;
pub use reclaim::Moved;
pub use signals::StopFlag;

use crate::equality::unify;
use crate::jets::{Dashboard, JetErr};
use crate::noun::{slot, tas, Atom, Cell, IndirectBuilder, Noun, Oom, D};
use crate::stack::{NockStack, Roots};
use error::Halt;
use std::time::Instant;

/// Receives `%slog` output (priority and tank) and `%bout` timings.
pub trait SlogSink {
    fn slog(&mut self, stack: &mut NockStack, pri: u64, tank: Noun);
}

/// Prints slogs to stderr as raw nouns (tools without a king).
pub struct StderrSlog;

impl SlogSink for StderrSlog {
    fn slog(&mut self, _stack: &mut NockStack, pri: u64, tank: Noun) {
        eprint!("slog {pri}: {}\r\n", crate::text::urbit::render_tank(tank));
    }
}

/// Counters for `--stats`.
#[derive(Default, Debug, Clone)]
pub struct Stats {
    /// Nock operations evaluated (formula dispatches).
    pub ops: u64,
    /// Jet calls that produced a product.
    pub jet_hits: u64,
    /// In-place collections of the top frame.
    pub collections: u64,
    /// Of those, the ones that looked at all of the frame's memory (not only what it allocated since the last one).
    pub major_collections: u64,
    /// Products found in the memoising jets' cache.
    pub memo_jet_hits: u64,
    /// Times the memo trie was dropped because the NockStack was filling up.
    pub memo_drops: u64,
}

/// A collection that leaves less than this fraction (1/n) of the NockStack free drops the memo trie.
const MEMO_DROP_FREE_FRACTION: usize = 4;
/// Survivors (words) above which a frame's major collection first drops the memo trie's older generation.
const MEMO_TRIM_LIVE_WORDS: usize = 8 << 20;

/// Words a frame allocates between two of its collections (its nursery), at most; and at most this fraction (1/n)
/// of the NockStack, so that a small loom is collected (and its memo trie dropped) before it fills.
const NURSERY_WORDS: usize = 1 << 20;
const NURSERY_STACK_FRACTION: usize = 32;
/// Words of survivors a frame may accumulate before a collection looks at all of its memory again (a major one).
const MIN_MAJOR_WORDS: usize = 4 << 20;
/// At most this many words of survivors accumulate between two major collections (half of what was live, up to
/// this): a frame holding a kernel under construction would otherwise carry tens of MiB of dead survivors.
const MAX_MAJOR_GROWTH_WORDS: usize = 6 << 20;

/// The collection schedule of one frame the interpreter pushed. A frame's allocations are two generations: the
/// words that survived its last collection (old) and what it allocated since (young). A minor collection copies only
/// the live young objects; a major one, run when the old part has doubled since the last major one, everything.
#[derive(Copy, Clone, Debug)]
struct FrameGc {
    /// Words at the start of the frame's allocations that survived its last collection.
    old: usize,
    /// Allocated words at which the frame is collected next.
    next: usize,
    /// Old words at which the next collection is a major one.
    major: usize,
    /// Jets this frame's interpreter loop has entered and not yet left. A jet may collect the frame (keeping its
    /// own nouns as roots) only when it is the only one: no other native code then holds a noun of this frame.
    jets_running: u32,
}

impl FrameGc {
    /// The schedule of a frame just pushed on `stack`.
    fn fresh(stack: &NockStack) -> FrameGc {
        let nursery = nursery_words(stack);
        FrameGc {
            old: 0,
            next: nursery,
            major: MIN_MAJOR_WORDS.min(4 * nursery),
            jets_running: 0,
        }
    }
}

fn nursery_words(stack: &NockStack) -> usize {
    NURSERY_WORDS.min(stack.size_bytes() / 8 / NURSERY_STACK_FRACTION)
}
/// Native stack the interpreter's nested entries (jets calling back into Nock) may use unless told otherwise
/// ([`Context::set_native_stack_budget`]): safe on any thread with the default 2 MiB stack.
const DEFAULT_NATIVE_STACK_BUDGET: usize = 1 << 20;

/// Native stack of the threads that run computations in the serf and the command-line tools: nested interpreter
/// entries need room (each `+mint` of a long `=/` chain nests one).
pub const THREAD_STACK_BYTES: usize = 1 << 30;

/// The budget [`Context::set_native_stack_budget`] gets on a [`THREAD_STACK_BYTES`] thread: all but a margin for
/// whatever runs below the interpreter's outermost entry.
pub const THREAD_STACK_BUDGET: usize = THREAD_STACK_BYTES - (64 << 20);

/// The address of a local variable: where the native stack is now (it grows down).
#[inline(always)]
fn native_stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Everything a computation needs besides its subject and formula.
pub struct Context {
    pub stack: NockStack,
    pub cache: MemoCache,
    pub jets: Dashboard,
    pub slog: Box<dyn SlogSink>,
    pub stop: StopFlag,
    /// True while a `mil` CPU timer is armed, so [`signals::ALARM`] is polled.
    pub timer_armed: bool,
    pub stats: Stats,
    /// Entries the computation's memo cache may hold (the king's cache-size argument).
    pub memo_entries: usize,
    /// The store's lines of the memory report (arena sizes), as of the last time the kernel settled: the store is
    /// not reachable from a computation, whose SIGUSR1 report shows them.
    pub store_mass: Vec<mass::MassLine>,
    /// Pairs of distinct nouns the memo trie's lookups found equal (see [`crate::equality::KnownPairs`]).
    pub known_pairs: crate::equality::KnownPairs,
    /// Scry gates installed by enclosing `mink`s, innermost last.
    scry: Vec<Noun>,
    /// For each frame the interpreter pushed: when and how it is collected next.
    gc: Vec<FrameGc>,
    /// Native entries into the interpreter currently active.
    nesting: usize,
    /// Native stack pointer at the outermost entry, and the bytes below it nested entries may use.
    native_base: usize,
    native_budget: usize,
    start: Instant,
}

impl Context {
    /// Native entries into the interpreter currently active (jets calling back into Nock).
    pub fn nesting(&self) -> usize {
        self.nesting
    }

    /// Native stack bytes the current computation's nested entries use.
    pub fn native_stack_used(&self) -> usize {
        if self.nesting == 0 {
            return 0;
        }
        self.native_base.saturating_sub(native_stack_pointer())
    }

    /// Let nested entries use up to `bytes` of native stack (leave a margin below the thread's real size). Deep
    /// recursion through jets is legitimate: compiling a long `=/` chain nests a `+mint` per line.
    pub fn set_native_stack_budget(&mut self, bytes: usize) {
        self.native_budget = bytes;
    }

    /// Jets punt when the native stack is this full, so that the Nock runs in the current entry instead of nesting
    /// deeper (jets that call gates would otherwise turn deep recursion in Hoon into `%over`).
    pub fn jets_should_punt(&self) -> bool {
        self.native_stack_used() >= self.native_budget / 4 * 3
    }

    pub fn new(stack: NockStack, cache_entries: usize) -> Context {
        Context {
            stack,
            cache: MemoCache::new(cache_entries),
            jets: Dashboard::new(),
            slog: Box::new(StderrSlog),
            stop: StopFlag::new(),
            timer_armed: false,
            stats: Stats::default(),
            memo_entries: cache_entries.max(2),
            store_mass: Vec::new(),
            known_pairs: Default::default(),
            scry: Vec::new(),
            gc: Vec::new(),
            nesting: 0,
            native_base: 0,
            native_budget: DEFAULT_NATIVE_STACK_BUDGET,
            start: Instant::now(),
        }
    }
}

/// Every operation that moves or frees NockStack memory while the interpreter's caches hold nouns goes through these,
/// so that what the runtime itself holds (the jet dashboard's registrations, the memo trie, the scry gates) is kept
/// as roots and told where it went.
impl Context {
    /// Pop the top frame, preserving `roots` (rewritten to the copies) and the runtime's nouns in that frame.
    pub fn pop_preserving<R: Roots + ?Sized>(&mut self, roots: &mut R) -> Result<(), Oom> {
        let d = self.stack.depth();
        if !self.jets.holds_in(d) {
            return self.stack.pop_preserving(roots);
        }
        let mut held = self.jets.frame_roots(d);
        let r = self.stack.pop_preserving(&mut (roots, &mut held));
        held.finish(Some(d - 1));
        r
    }

    /// A minor collection of the top frame: the first `old_words` of its allocations stay as they are (see
    /// [`NockStack::collect_young`]). Returns the words still allocated in the frame.
    pub fn collect_young<R: Roots + ?Sized>(
        &mut self,
        old_words: usize,
        roots: &mut R,
    ) -> Result<usize, Oom> {
        let d = self.stack.depth();
        let mut held = self.jets.frame_roots(d);
        let r = self.stack.collect_young(old_words, &mut (roots, &mut held));
        held.finish(Some(d));
        r
    }

    /// Collect the top frame in place, keeping what its work stack, `roots` and the runtime reach. Returns the words
    /// still allocated in the frame.
    pub fn collect_top<R: Roots + ?Sized>(&mut self, roots: &mut R) -> Result<usize, Oom> {
        let d = self.stack.depth();
        let mut held = self.jets.frame_roots(d);
        let r = self.stack.collect_top(&mut (roots, &mut held));
        held.finish(Some(d));
        r
    }

    /// A collection point for a jet that calls gates in a loop (`+roll` over the vanes of a boot): if the frame has
    /// allocated past its schedule, collect it now, keeping `roots` (every noun the jet still holds) and rewriting
    /// them. Products of the gate calls are copied into this frame and, inside the jet, the interpreter reaches no
    /// collection point of its own, so a long loop would otherwise keep every superseded accumulator.
    ///
    /// Does nothing unless the caller is the only jet the frame's interpreter loop is running (a jet called by
    /// another jet's code, or through a hint, would leave its caller holding moved nouns) and jets are not being
    /// checked against their Nock (the check keeps the core). A jet that calls this must not punt afterwards: the
    /// interpreter would run the arm on the core it passed in, which may have moved.
    pub fn collect_in_jet<R: Roots + ?Sized>(&mut self, roots: &mut R) -> Result<(), Oom> {
        let Some(gc) = self.gc.last() else {
            return Ok(());
        };
        if gc.jets_running != 1 || self.jets.jet_check || self.stack.frame_alloc_words() <= gc.next
        {
            return Ok(());
        }
        collect_keeping(self, roots)
    }

    /// Return to a checkpoint after a failure, forgetting whatever the runtime registered in the memory it frees.
    pub fn restore(&mut self, cp: crate::stack::Checkpoint) {
        self.stack.restore(cp);
        self.jets.frames_discarded(&self.stack);
    }
}

// Work item opcodes. Each item is its payload words followed by the opcode, which is on top.
const OP_CONS_TAIL: u64 = 1; // [sub tail-formula]
const OP_CONS_DONE: u64 = 2; // [head]
const OP_2_FOL: u64 = 3; // [sub fol-formula]
const OP_2_CALL: u64 = 4; // [new-subject]
const OP_3: u64 = 5; // []
const OP_4: u64 = 6; // []
const OP_5_B: u64 = 7; // [sub b-formula]
const OP_5_DONE: u64 = 8; // [a-product]
const OP_6: u64 = 9; // [sub yes no]
const OP_7: u64 = 10; // [c]
const OP_8: u64 = 11; // [sub c]
const OP_9: u64 = 12; // [axis]
const OP_10_TGT: u64 = 13; // [sub axis value-formula]  (the target is done)
const OP_10_DONE: u64 = 14; // [target axis]
const OP_11_CLUE: u64 = 15; // [sub tag body]
const OP_MEMO: u64 = 16; // [key]
const OP_TRACE: u64 = 17; // [entry]
const OP_BOUT: u64 = 18; // [start-ns]
const OP_FAST: u64 = 19; // [clue]
const OP_SLOG_CLUE: u64 = 20; // [sub body]  (boundary: a crash in the clue is ignored)
const OP_12_PATH: u64 = 21; // [sub path-formula]
const OP_12_SCRY: u64 = 22; // [gate ref path]  (boundary: the scry gate runs in a frame above it)
const OP_MINK: u64 = 23; // []  (boundary: a frame above it runs the virtualised computation)
const OP_12_GO: u64 = 24; // [ref]
const OP_DONE: u64 = 25; // []  (bottom of an entry's base frame: the product is the entry's result)
const OP_FRAME_END: u64 = 26; // []  (bottom of a mink or scry frame: pop it, preserving the product)
const OP_MEMO_JET: u64 = 27; // [key keep]  (a memoising jet's arm is running: cache its product)

/// Payload words of each opcode (for unwinding).
fn payload_words(op: u64) -> usize {
    match op {
        OP_3 | OP_4 | OP_MINK | OP_DONE | OP_FRAME_END => 0,
        OP_CONS_DONE | OP_2_CALL | OP_5_DONE | OP_7 | OP_9 | OP_MEMO | OP_TRACE | OP_BOUT
        | OP_FAST | OP_12_GO => 1,
        OP_CONS_TAIL | OP_2_FOL | OP_5_B | OP_8 | OP_10_DONE | OP_SLOG_CLUE | OP_12_PATH
        | OP_MEMO_JET => 2,
        OP_6 | OP_10_TGT | OP_11_CLUE | OP_12_SCRY => 3,
        _ => unreachable!("unknown work item {op}"),
    }
}

/// What the main loop does next.
enum Next {
    Eval(Noun, Noun),
    Ret(Noun),
}

#[inline(always)]
fn noun(w: u64) -> Noun {
    // SAFETY: words on the work stack are nouns pushed by the interpreter itself (or small integers, which are
    // direct atoms).
    unsafe { Noun::from_raw(w) }
}

/// Evaluate `*[sub fol]`. The product (or the error's trace) is allocated in the caller's current frame.
pub fn nock(ctx: &mut Context, sub: Noun, fol: Noun) -> Result<Noun, Error> {
    enter(ctx, sub, fol, None)
}

/// Run `*[sub fol]` virtualised, as Hoon's `+mink`: the product is `[%0 product]`, `[%1 path]` if a scry blocked, or
/// `[%2 trace]` on a deterministic crash; Nock 12 inside it slams `scry_gate` with `[ref path]`. Other failures
/// (`%meme`, `%intr`, ...) are not caught: they are the error.
pub fn mink(ctx: &mut Context, sub: Noun, fol: Noun, scry_gate: Noun) -> Result<Noun, Error> {
    enter(ctx, sub, fol, Some(scry_gate))
}

/// Slam `gate` with `sample`: run arm 2 of the gate with its sample (axis 6) replaced.
pub fn slam(ctx: &mut Context, gate: Noun, sample: Noun) -> Result<Noun, Error> {
    let (sub, fol) = slam_formula(&mut ctx.stack, gate, sample)?;
    nock(ctx, sub, fol)
}

/// A native entry into the interpreter.
fn enter(ctx: &mut Context, sub: Noun, fol: Noun, scry_gate: Option<Noun>) -> Result<Noun, Error> {
    if ctx.nesting == 0 {
        ctx.native_base = native_stack_pointer();
        // A new computation: the memo trie of the previous one is dropped (its products stay in `cache`), and the
        // store may have moved what known pairs outside the stack pointed at.
        ctx.stack.set_pinned(Noun::ZERO);
        ctx.known_pairs.new_computation();
    } else if ctx.native_stack_used() >= ctx.native_budget {
        return Err(Error {
            mote: Mote::Over,
            trace: Noun::ZERO,
        });
    }
    let scry_depth = ctx.scry.len();
    let gc_depth = ctx.gc.len();
    ctx.nesting += 1;
    let r = run(ctx, sub, fol, scry_gate);
    ctx.nesting -= 1;
    if r.is_err() {
        ctx.scry.truncate(scry_depth);
        ctx.gc.truncate(gc_depth);
    }
    r
}

/// Run `*[sub fol]` in a new frame (under a `mink` boundary if a scry gate is given); on success the product is
/// preserved into the caller's frame. After any failure the stack is back at the caller's frame.
fn run(ctx: &mut Context, sub: Noun, fol: Noun, scry_gate: Option<Noun>) -> Result<Noun, Error> {
    let entry = ctx.stack.checkpoint();
    let meme = Error {
        mote: Mote::Meme,
        trace: Noun::ZERO,
    };
    let started = (|| -> Result<(), Oom> {
        ctx.stack.push_frame()?;
        ctx.gc.push(FrameGc::fresh(&ctx.stack));
        ctx.stack.push(OP_DONE)?;
        if let Some(gate) = scry_gate {
            ctx.stack.push(OP_MINK)?;
            ctx.scry.push(gate);
            ctx.stack.push_frame()?;
            ctx.gc.push(FrameGc::fresh(&ctx.stack));
            ctx.stack.push(OP_FRAME_END)?;
        }
        Ok(())
    })();
    if started.is_err() {
        ctx.restore(entry);
        return Err(meme);
    };
    let mut next = Next::Eval(sub, fol);
    loop {
        let step = match next {
            Next::Eval(s, f) => eval(ctx, s, f),
            Next::Ret(r) => ret(ctx, r),
        };
        match step {
            Ok(Step::Go(n)) => next = n,
            Ok(Step::Done(mut product)) => {
                ctx.gc.pop();
                if ctx.nesting == 1 {
                    // The computation is over: its memo cache dies with it (as an inner road's cache does in
                    // Vere), so it is not copied out with the product.
                    ctx.stack.set_pinned(Noun::ZERO);
                }
                if ctx.stack.frame_alloc_words() > LARGE_POP_WORDS {
                    compact_before_pop(ctx, &mut product);
                }
                if ctx.pop_preserving(&mut product).is_err() {
                    ctx.restore(entry);
                    return Err(meme);
                }
                return Ok(product);
            }
            Err(halt) => match unwind(ctx, halt) {
                Ok(n) => next = n,
                Err(mut e) => {
                    ctx.gc.pop();
                    if ctx.nesting == 1 {
                        ctx.stack.set_pinned(Noun::ZERO);
                    }
                    if e.mote == Mote::Meme || ctx.pop_preserving(&mut e.trace).is_err() {
                        ctx.restore(entry);
                        e.trace = Noun::ZERO;
                    }
                    return Err(e);
                }
            },
        }
    }
}

/// A frame that has allocated more than this many words is compacted before its product is copied out of it.
const LARGE_POP_WORDS: usize = 4 << 20;

/// Compact a large frame around its product and give its free pages back before the product is copied into the
/// parent: resident memory at the pop is then the product twice, not the product twice plus the frame's garbage
/// (the end of a boot's lifecycle copies a whole kernel out of a frame that also holds everything it compiled).
#[cold]
fn compact_before_pop(ctx: &mut Context, product: &mut Noun) {
    let mut scry = std::mem::take(&mut ctx.scry);
    if ctx.collect_top(&mut (&mut *product, &mut scry)).is_ok() {
        ctx.stack.release_free_pages();
    }
    ctx.scry = scry;
}

enum Step {
    Go(Next),
    Done(Noun),
}

#[inline(always)]
fn exit<T>() -> Result<T, Halt> {
    Err(Halt::Crash(Mote::Exit))
}

#[inline(always)]
fn push2(stack: &mut NockStack, a: Noun, op: u64) -> Result<(), Oom> {
    stack.push_all([a.raw(), op])
}

#[inline(always)]
fn push3(stack: &mut NockStack, a: Noun, b: Noun, op: u64) -> Result<(), Oom> {
    stack.push_all([a.raw(), b.raw(), op])
}

#[inline(always)]
fn push4(stack: &mut NockStack, a: Noun, b: Noun, c: Noun, op: u64) -> Result<(), Oom> {
    stack.push_all([a.raw(), b.raw(), c.raw(), op])
}

/// Split `n` as a cell or crash.
#[inline(always)]
fn cell(n: Noun) -> Result<Cell, Halt> {
    n.as_cell().ok_or(Halt::Crash(Mote::Exit))
}

/// SIGUSR1 during a computation: what is it doing? Interpreter counters, the jet coverage report (registered cores
/// kicked as Nock are counted while jet timing is on, `MARS_JET_STATS=1` in the serf) and the nesting depth.
#[cold]
fn report_progress(ctx: &Context) {
    let s = &ctx.stats;
    let mut text = format!(
        "mars: progress: {} ops, {} jet hits, {} memo hits, {} collections ({} major, {} MiB copied), nesting {} \
         ({} KiB of native stack), stack depth {}\r\n",
        s.ops,
        s.jet_hits,
        s.memo_jet_hits,
        s.collections,
        s.major_collections,
        ctx.stack.copied_words >> 17,
        ctx.nesting(),
        ctx.native_stack_used() >> 10,
        ctx.stack.depth()
    );
    text.push_str(&ctx.mass_text());
    for line in ctx.jets.report() {
        text.push_str(&line);
        text.push_str("\r\n");
    }
    eprint!("{text}");
}

/// Poll for asynchronous stops and collect the top frame if it has grown; called at every call and loop back-edge.
#[inline(always)]
fn at_call(ctx: &mut Context, sub: &mut Noun, fol: &mut Noun) -> Result<(), Halt> {
    let why = ctx.stop.get();
    if why == signals::REPORT {
        ctx.stop.clear();
        report_progress(ctx);
    } else if why != 0 {
        ctx.stop.clear();
        return Err(Halt::Crash(if why == signals::TERM {
            Mote::Term
        } else {
            Mote::Intr
        }));
    }
    if ctx.timer_armed && signals::ALARM.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Halt::Crash(Mote::Alrm));
    }
    let limit = ctx.gc.last().expect("a frame").next;
    if ctx.stack.frame_alloc_words() > limit {
        collect(ctx, sub, fol)?;
    }
    Ok(())
}

#[cold]
fn collect(ctx: &mut Context, sub: &mut Noun, fol: &mut Noun) -> Result<(), Halt> {
    collect_keeping(ctx, &mut (&mut *sub, &mut *fol))?;
    Ok(())
}

/// Collect the top frame, keeping `roots` (and the work stack, the scry gates and the runtime's nouns).
fn collect_keeping<R: Roots + ?Sized>(ctx: &mut Context, roots: &mut R) -> Result<(), Oom> {
    let mut scry = std::mem::take(&mut ctx.scry);
    let r = collect_with(ctx, &mut (roots, &mut scry));
    ctx.scry = scry;
    r
}

fn collect_with<R: Roots + ?Sized>(ctx: &mut Context, roots: &mut R) -> Result<(), Oom> {
    let mut gc = *ctx.gc.last().expect("a frame");
    let mut major = gc.old >= gc.major;
    // A frame that keeps a lot lets the memo trie's older generation (entries not used since the last rotation) go
    // at each of its major collections, so that the trie does not hold tens of MiB on top of a large live set.
    if major
        && gc.old > MEMO_TRIM_LIVE_WORDS
        && crate::jets::memo::drop_memo_generation(&mut ctx.stack)
    {
        ctx.stats.memo_drops += 1;
    }
    let mut live = if major {
        ctx.collect_top(roots)?
    } else {
        ctx.collect_young(gc.old, roots)?
    };
    // Under memory pressure the computation's memo cache (pinned across frames) gives way first, half at a time:
    // one long computation, such as a boot compiling every file of a desk, would otherwise keep every type it ever
    // checked.
    let stack = &mut ctx.stack;
    if stack.free_words() < stack.size_bytes() / 8 / MEMO_DROP_FREE_FRACTION {
        if !stack.pinned().is_atom() {
            if !crate::jets::memo::drop_memo_generation(stack) {
                stack.set_pinned(Noun::ZERO);
            }
            ctx.stats.memo_drops += 1;
        }
        live = ctx.collect_top(roots)?;
        major = true;
    }
    ctx.stats.collections += 1;
    gc.old = live;
    let nursery = nursery_words(&ctx.stack);
    gc.next = live + nursery;
    if major {
        ctx.stats.major_collections += 1;
        gc.major = MIN_MAJOR_WORDS
            .min(4 * nursery)
            .max(live + (live / 2).min(MAX_MAJOR_GROWTH_WORDS));
        ctx.stack.release_free_pages();
    }
    *ctx.gc.last_mut().expect("a frame") = gc;
    Ok(())
}

/// Evaluate one formula: either finish with a value or push work and continue with a sub-formula.
#[inline]
fn eval(ctx: &mut Context, mut sub: Noun, mut fol: Noun) -> Result<Step, Halt> {
    loop {
        ctx.stats.ops += 1;
        let f = cell(fol)?;
        let op = f.head();
        let arg = f.tail();
        let Some(code) = op.as_direct() else {
            if op.is_cell() {
                // autocons: [b c] → [*[a b] *[a c]]
                push3(&mut ctx.stack, sub, arg, OP_CONS_TAIL)?;
                fol = op;
                continue;
            }
            return exit();
        };
        // Operands that are `[0 axis]` or `[1 constant]` are evaluated in place, without a work item.
        match code {
            0 => {
                let axis = arg.as_atom().ok_or(Halt::Crash(Mote::Exit))?;
                return match slot(sub, axis) {
                    Some(v) => Ok(Step::Go(Next::Ret(v))),
                    None => exit(),
                };
            }
            1 => return Ok(Step::Go(Next::Ret(arg))),
            2 => {
                let a = cell(arg)?;
                if let (Some(b), Some(c)) = (quick(ctx, sub, a.head()), quick(ctx, sub, a.tail())) {
                    sub = b?;
                    fol = c?;
                    at_call(ctx, &mut sub, &mut fol)?;
                    continue;
                }
                push3(&mut ctx.stack, sub, a.tail(), OP_2_FOL)?;
                fol = a.head();
            }
            3 => {
                if let Some(v) = quick(ctx, sub, arg) {
                    return Ok(Step::Go(Next::Ret(Noun::flag(v?.is_cell()))));
                }
                ctx.stack.push(OP_3)?;
                fol = arg;
            }
            4 => {
                if let Some(v) = quick(ctx, sub, arg) {
                    return Ok(Step::Go(Next::Ret(increment(&mut ctx.stack, v?)?)));
                }
                ctx.stack.push(OP_4)?;
                fol = arg;
            }
            5 => {
                let a = cell(arg)?;
                if let Some(x) = quick(ctx, sub, a.head()) {
                    let mut x = x?;
                    if let Some(y) = quick(ctx, sub, a.tail()) {
                        let mut y = y?;
                        return Ok(Step::Go(Next::Ret(Noun::flag(unify(
                            &ctx.stack, &mut x, &mut y,
                        )))));
                    }
                    push2(&mut ctx.stack, x, OP_5_DONE)?;
                    fol = a.tail();
                    continue;
                }
                push3(&mut ctx.stack, sub, a.tail(), OP_5_B)?;
                fol = a.head();
            }
            6 => {
                let a = cell(arg)?;
                let yn = cell(a.tail())?;
                if let Some(t) = quick(ctx, sub, a.head()) {
                    fol = match t?.raw() {
                        0 => yn.head(),
                        1 => yn.tail(),
                        _ => return exit(),
                    };
                    continue;
                }
                push4(&mut ctx.stack, sub, yn.head(), yn.tail(), OP_6)?;
                fol = a.head();
            }
            7 => {
                let a = cell(arg)?;
                if let Some(v) = quick(ctx, sub, a.head()) {
                    sub = v?;
                    fol = a.tail();
                    continue;
                }
                push2(&mut ctx.stack, a.tail(), OP_7)?;
                fol = a.head();
            }
            8 => {
                let a = cell(arg)?;
                if let Some(v) = quick(ctx, sub, a.head()) {
                    sub = Cell::new(&mut ctx.stack, v?, sub)?.as_noun();
                    fol = a.tail();
                    continue;
                }
                push3(&mut ctx.stack, sub, a.tail(), OP_8)?;
                fol = a.head();
            }
            9 => {
                let a = cell(arg)?;
                if a.head().is_cell() {
                    return exit();
                }
                if let Some(core) = quick(ctx, sub, a.tail()) {
                    match call_arm(ctx, core?, a.head())? {
                        Arm::Product(v) => return Ok(Step::Go(Next::Ret(v))),
                        Arm::Eval(s, f) => {
                            sub = s;
                            fol = f;
                            continue;
                        }
                    }
                }
                push2(&mut ctx.stack, a.head(), OP_9)?;
                fol = a.tail();
            }
            10 => {
                let a = cell(arg)?;
                let spec = cell(a.head())?;
                // An axis of 0 crashes before either operand runs, as in +mink (a scry in them never blocks).
                if spec.head().is_cell() || spec.head() == D(0) {
                    return exit();
                }
                if let Some(target) = quick(ctx, sub, a.tail()) {
                    let target = target?;
                    if let Some(value) = quick(ctx, sub, spec.tail()) {
                        return Ok(Step::Go(Next::Ret(edit(
                            &mut ctx.stack,
                            spec.head(),
                            value?,
                            target,
                        )?)));
                    }
                    push3(&mut ctx.stack, target, spec.head(), OP_10_DONE)?;
                    fol = spec.tail();
                    continue;
                }
                // target first, then value (as +mink does: which of them crashes or blocks first is visible)
                push4(&mut ctx.stack, sub, spec.head(), spec.tail(), OP_10_TGT)?;
                fol = a.tail();
            }
            11 => {
                let a = cell(arg)?;
                match a.head().as_cell() {
                    None => {
                        // static hint: no effect on the result
                        fol = a.tail();
                    }
                    Some(h) => {
                        let tag = h.head();
                        if tag == tas("slog") {
                            push3(&mut ctx.stack, sub, a.tail(), OP_SLOG_CLUE)?;
                        } else {
                            push4(&mut ctx.stack, sub, tag, a.tail(), OP_11_CLUE)?;
                        }
                        fol = h.tail();
                    }
                }
            }
            12 => {
                let a = cell(arg)?;
                push3(&mut ctx.stack, sub, a.tail(), OP_12_PATH)?;
                fol = a.head();
            }
            _ => return exit(),
        }
    }
}

/// Evaluate a `[0 axis]` or `[1 constant]` operand in place; `None` for any other formula.
#[inline(always)]
fn quick(ctx: &mut Context, sub: Noun, f: Noun) -> Option<Result<Noun, Halt>> {
    let c = f.as_cell()?;
    match c.head().raw() {
        0 => {
            ctx.stats.ops += 1;
            Some(
                c.tail()
                    .as_atom()
                    .and_then(|axis| slot(sub, axis))
                    .ok_or(Halt::Crash(Mote::Exit)),
            )
        }
        1 => {
            ctx.stats.ops += 1;
            Some(Ok(c.tail()))
        }
        _ => None,
    }
}

/// What running an arm turned into: a jet's product, or the arm's formula to evaluate against the core.
enum Arm {
    Product(Noun),
    Eval(Noun, Noun),
}

/// Nock 9 once the core is known: try the jet, else find the arm and go through the call-site checks.
#[inline(always)]
fn call_arm(ctx: &mut Context, core: Noun, axis: Noun) -> Result<Arm, Halt> {
    if !ctx.jets.disabled {
        if let Some(jet) = ctx.jets.find(&ctx.stack, core, axis) {
            if let Some(key) = jet.memo {
                ctx.jets.note_call(jet.hot);
                return memo_jet(ctx, key, core, axis);
            }
            ctx.gc.last_mut().expect("a frame").jets_running += 1;
            let r = crate::jets::kick(ctx, jet, core, axis);
            ctx.gc.last_mut().expect("a frame").jets_running -= 1;
            match r {
                Some(Ok(v)) => {
                    ctx.stats.jet_hits += 1;
                    return Ok(Arm::Product(v));
                }
                None | Some(Err(JetErr::Punt)) => {}
                Some(Err(JetErr::Fail(m))) => return Err(Halt::Crash(m)),
                Some(Err(JetErr::Traced(m, t))) => return Err(Halt::Traced(m, t)),
            }
        }
    }
    arm_nock(ctx, core, axis)
}

/// Nock 9 without a jet: the arm's formula, to evaluate against the core.
#[inline(always)]
fn arm_nock(ctx: &mut Context, mut core: Noun, axis: Noun) -> Result<Arm, Halt> {
    let axis = axis.as_atom().ok_or(Halt::Crash(Mote::Exit))?;
    let mut arm = slot(core, axis).ok_or(Halt::Crash(Mote::Exit))?;
    at_call(ctx, &mut core, &mut arm)?;
    Ok(Arm::Eval(core, arm))
}

/// A memoising jet: the cached product, or the arm's own Nock run right here with a work item below it that caches
/// the product (so the type checker's memoised arms nest no native calls and their products are never copied out of
/// a frame on the way back).
fn memo_jet(
    ctx: &mut Context,
    key_of: crate::jets::memo::MemoKeyFn,
    core: Noun,
    axis: Noun,
) -> Result<Arm, Halt> {
    let (key, keep) = match key_of(ctx, core) {
        Ok(k) => k,
        Err(JetErr::Punt) => return arm_nock(ctx, core, axis),
        Err(JetErr::Fail(m)) => return Err(Halt::Crash(m)),
        Err(JetErr::Traced(m, t)) => return Err(Halt::Traced(m, t)),
    };
    if let Some(v) = crate::jets::memo::memo_hint_get(ctx, key) {
        ctx.stats.memo_jet_hits += 1;
        ctx.stats.jet_hits += 1;
        return Ok(Arm::Product(v));
    }
    push3(&mut ctx.stack, key, D(keep.to_word()), OP_MEMO_JET)?;
    arm_nock(ctx, core, axis)
}

/// Deliver `res` to the work item on top of the stack.
#[inline]
fn ret(ctx: &mut Context, mut res: Noun) -> Result<Step, Halt> {
    loop {
        let op = ctx.stack.pop();
        match op {
            OP_DONE => return Ok(Step::Done(res)),
            OP_FRAME_END => {
                // The frame of a virtualised computation or a scry gate finished.
                ctx.gc.pop();
                ctx.pop_preserving(&mut res)?;
            }
            OP_CONS_TAIL => {
                let [sub, tail_fol] = ctx.stack.pop_all::<2>().map(noun);
                push2(&mut ctx.stack, res, OP_CONS_DONE)?;
                return Ok(Step::Go(Next::Eval(sub, tail_fol)));
            }
            OP_CONS_DONE => {
                let head = noun(ctx.stack.pop());
                res = Cell::new(&mut ctx.stack, head, res)?.as_noun();
            }
            OP_2_FOL => {
                let [sub, fol_fol] = ctx.stack.pop_all::<2>().map(noun);
                push2(&mut ctx.stack, res, OP_2_CALL)?;
                return Ok(Step::Go(Next::Eval(sub, fol_fol)));
            }
            OP_2_CALL => {
                let mut sub = noun(ctx.stack.pop());
                let mut fol = res;
                at_call(ctx, &mut sub, &mut fol)?;
                return Ok(Step::Go(Next::Eval(sub, fol)));
            }
            OP_3 => res = Noun::flag(res.is_cell()),
            OP_4 => res = increment(&mut ctx.stack, res)?,
            OP_5_B => {
                let [sub, b] = ctx.stack.pop_all::<2>().map(noun);
                push2(&mut ctx.stack, res, OP_5_DONE)?;
                return Ok(Step::Go(Next::Eval(sub, b)));
            }
            OP_5_DONE => {
                let mut a = noun(ctx.stack.pop());
                res = Noun::flag(unify(&ctx.stack, &mut a, &mut res));
            }
            OP_6 => {
                let [sub, yes, no] = ctx.stack.pop_all::<3>().map(noun);
                let fol = match res.raw() {
                    0 => yes,
                    1 => no,
                    _ => return exit(),
                };
                return Ok(Step::Go(Next::Eval(sub, fol)));
            }
            OP_7 => {
                let c = noun(ctx.stack.pop());
                return Ok(Step::Go(Next::Eval(res, c)));
            }
            OP_8 => {
                let [sub, c] = ctx.stack.pop_all::<2>().map(noun);
                let pinned = Cell::new(&mut ctx.stack, res, sub)?.as_noun();
                return Ok(Step::Go(Next::Eval(pinned, c)));
            }
            OP_9 => {
                let axis = noun(ctx.stack.pop());
                match call_arm(ctx, res, axis)? {
                    Arm::Product(v) => res = v,
                    Arm::Eval(core, arm) => return Ok(Step::Go(Next::Eval(core, arm))),
                }
            }
            OP_10_TGT => {
                let [sub, axis, value_fol] = ctx.stack.pop_all::<3>().map(noun);
                push3(&mut ctx.stack, res, axis, OP_10_DONE)?;
                return Ok(Step::Go(Next::Eval(sub, value_fol)));
            }
            OP_10_DONE => {
                let [target, axis] = ctx.stack.pop_all::<2>().map(noun);
                res = edit(&mut ctx.stack, axis, res, target)?;
            }
            OP_11_CLUE => {
                let [sub, tag, body] = ctx.stack.pop_all::<3>().map(noun);
                if let Some(v) = hint(ctx, sub, tag, body, res)? {
                    res = v;
                    continue;
                }
                return Ok(Step::Go(Next::Eval(sub, body)));
            }
            OP_SLOG_CLUE => {
                let body = noun(ctx.stack.pop());
                let sub = noun(ctx.stack.pop());
                if let Some(c) = res.as_cell() {
                    if let Some(pri) = c.head().as_u64() {
                        let Context { stack, slog, .. } = ctx;
                        slog.slog(stack, pri, c.tail());
                    }
                }
                return Ok(Step::Go(Next::Eval(sub, body)));
            }
            OP_MEMO_JET => {
                let [key, keep] = ctx.stack.pop_all::<2>();
                if crate::jets::memo::Keep::from_word(keep).allows(res) {
                    crate::jets::memo::memo_hint_put(ctx, noun(key), res)?;
                }
            }
            OP_MEMO => {
                let key = noun(ctx.stack.pop());
                crate::jets::memo::memo_hint_put(ctx, key, res)?;
                let Context { stack, cache, .. } = ctx;
                cache.insert(stack, key, res)?;
            }
            OP_TRACE => {
                ctx.stack.pop();
            }
            OP_BOUT => {
                let start = ctx.stack.pop();
                let now = ctx.start.elapsed().as_nanos() as u64;
                let us = now.saturating_sub(start) / 1000;
                let text = format!("took {}.{:06}s", us / 1_000_000, us % 1_000_000);
                let tank = leaf(&mut ctx.stack, &text)?;
                let Context { stack, slog, .. } = ctx;
                slog.slog(stack, 0, tank);
            }
            OP_FAST => {
                let clue = noun(ctx.stack.pop());
                let Context { stack, jets, .. } = ctx;
                jets.register(stack, res, clue);
            }
            OP_12_PATH => {
                let path_fol = noun(ctx.stack.pop());
                let sub = noun(ctx.stack.pop());
                push2(&mut ctx.stack, res, OP_12_GO)?;
                return Ok(Step::Go(Next::Eval(sub, path_fol)));
            }
            OP_12_GO => {
                let r = noun(ctx.stack.pop());
                return scry(ctx, r, res);
            }
            OP_12_SCRY => {
                let path = noun(ctx.stack.pop());
                let r = noun(ctx.stack.pop());
                // The gate ran with the innermost gate removed; put it back.
                ctx.scry.push(noun(ctx.stack.pop()));
                match res.as_cell() {
                    None => return Err(Halt::Block(path)),
                    Some(u) => match u.tail().as_cell() {
                        None => {
                            let hunk = crate::noun::T(&mut ctx.stack, &[tas("hunk"), r, path])?;
                            push2(&mut ctx.stack, hunk, OP_TRACE)?;
                            return exit();
                        }
                        Some(uu) => res = uu.tail(),
                    },
                }
            }
            OP_MINK => {
                ctx.scry.pop();
                res = Cell::new(&mut ctx.stack, D(0), res)?.as_noun();
            }
            _ => unreachable!("unknown work item {op}"),
        }
    }
}

/// Start a scry: slam the innermost scry gate with `[ref path]` in a frame of its own, with that gate removed from
/// the scry stack (a scry inside the gate goes to the next one out).
fn scry(ctx: &mut Context, r: Noun, path: Noun) -> Result<Step, Halt> {
    let Some(gate) = ctx.scry.pop() else {
        return exit();
    };
    ctx.stack.push(gate.raw())?;
    push3(&mut ctx.stack, r, path, OP_12_SCRY)?;
    ctx.stack.push_frame()?;
    ctx.gc.push(FrameGc::fresh(&ctx.stack));
    ctx.stack.push(OP_FRAME_END)?;
    let sample = Cell::new(&mut ctx.stack, r, path)?.as_noun();
    let (sub, fol) = slam_formula(&mut ctx.stack, gate, sample)?;
    Ok(Step::Go(Next::Eval(sub, fol)))
}

/// Subject and formula that slam `gate` with `sample`: `*[[gate sample] [9 2 10 [6 0 3] 0 2]]`.
fn slam_formula(stack: &mut NockStack, gate: Noun, sample: Noun) -> Result<(Noun, Noun), Oom> {
    let sub = Cell::new(stack, gate, sample)?.as_noun();
    let at6 = crate::noun::T(stack, &[D(6), D(0), D(3)])?;
    let ten = crate::noun::T(stack, &[D(10), at6, D(0), D(2)])?;
    let fol = crate::noun::T(stack, &[D(9), D(2), ten])?;
    Ok((sub, fol))
}

/// Handle a dynamic hint whose clue is `clue`. Returns a product if the hint short-circuits the body (a memo hit);
/// otherwise pushes whatever must happen after the body and returns `None`.
fn hint(
    ctx: &mut Context,
    sub: Noun,
    tag: Noun,
    body: Noun,
    clue: Noun,
) -> Result<Option<Noun>, Halt> {
    const MEMO: Noun = tas("memo");
    const SPOT: Noun = tas("spot");
    const MEAN: Noun = tas("mean");
    const HUNK: Noun = tas("hunk");
    const LOSE: Noun = tas("lose");
    const HAND: Noun = tas("hand");
    const BOUT: Noun = tas("bout");
    const FAST: Noun = tas("fast");
    const SHAM: Noun = tas("sham");
    match tag {
        t if t == MEMO => {
            // Tagged so that it can never equal a memoising jet's key in the shared per-computation trie.
            let key = crate::noun::T(&mut ctx.stack, &[MEMO, sub, body])?;
            if let Some(v) = crate::jets::memo::memo_hint_get(ctx, key) {
                return Ok(Some(v));
            }
            if let Some(v) = ctx.cache.get(&mut ctx.stack, key)? {
                return Ok(Some(v));
            }
            push2(&mut ctx.stack, key, OP_MEMO)?;
        }
        t if t == SPOT || t == MEAN || t == HUNK || t == LOSE || t == HAND => {
            let entry = Cell::new(&mut ctx.stack, tag, clue)?.as_noun();
            push2(&mut ctx.stack, entry, OP_TRACE)?;
        }
        t if t == BOUT => {
            let now = ctx.start.elapsed().as_nanos() as u64;
            ctx.stack.push(now & crate::noun::DIRECT_MAX)?;
            ctx.stack.push(OP_BOUT)?;
        }
        t if t == FAST => {
            push2(&mut ctx.stack, clue, OP_FAST)?;
        }
        t if t == SHAM && !ctx.jets.disabled => {
            if let Some(jet) = sham_jet(clue) {
                match jet(ctx, sub) {
                    Ok(v) => {
                        ctx.stats.jet_hits += 1;
                        return Ok(Some(v));
                    }
                    Err(JetErr::Punt) => {}
                    Err(JetErr::Fail(m)) => return Err(Halt::Crash(m)),
                    Err(JetErr::Traced(m, t)) => return Err(Halt::Traced(m, t)),
                }
            }
        }
        _ => {}
    }
    Ok(None)
}

/// The jet named by Ares's `%sham` hint (`~>  %sham.%dec` at the top of a gate's arm), for the arithmetic gates.
///
/// The playpen library of Ares's `toddler.pill` and `oom.pill` defines unary arithmetic (`dec` counts up from 0,
/// `sub` decrements) jetted only through this hint: its cores were registered when the pill was built, so no `%fast`
/// registration ever reaches the runtime. Vere ignores the hint and needs minutes of Nock per event of these pills;
/// Ares runs the named jet on the gate (the subject). mars does the same for the layer-one and bit gates below, whose
/// jets read the gate's sample at axis 6 and are checked against the Hoon kernel's; any other name runs the Nock.
fn sham_jet(name: Noun) -> Option<crate::jets::JetFn> {
    const GATES: [&str; 25] = [
        "add", "dec", "div", "dvr", "gte", "gth", "lte", "lth", "mod", "mul", "sub", "bex", "can",
        "cat", "con", "cut", "dis", "end", "lsh", "met", "mix", "rap", "rep", "rip", "rsh",
    ];
    let gate = GATES.into_iter().find(|g| tas(g) == name)?;
    crate::jets::hot::HOT
        .iter()
        .find(|e| {
            e.path
                .strip_prefix("k/one/")
                .map(|p| p.strip_prefix("two/").unwrap_or(p))
                == Some(gate)
        })
        .map(|e| e.fun)
}

/// A `[%leaf tape]` tank for runtime messages.
pub fn leaf(stack: &mut NockStack, text: &str) -> Result<Noun, Oom> {
    let mut tape = Noun::ZERO;
    for b in text.bytes().rev() {
        tape = Cell::new(stack, D(b as u64), tape)?.as_noun();
    }
    Ok(Cell::new(stack, tas("leaf"), tape)?.as_noun())
}

/// Nock 4: increment an atom.
pub(crate) fn increment(stack: &mut NockStack, n: Noun) -> Result<Noun, Halt> {
    let a = n.as_atom().ok_or(Halt::Crash(Mote::Exit))?;
    if let Some(v) = a.as_direct() {
        return Ok(Atom::new(stack, v + 1)?.as_noun());
    }
    let w = a.words();
    let (b, data) = IndirectBuilder::alloc(stack, w.len() + 1)?;
    data[..w.len()].copy_from_slice(w);
    data[w.len()] = 0;
    for d in data.iter_mut() {
        let (v, carry) = d.overflowing_add(1);
        *d = v;
        if !carry {
            break;
        }
    }
    Ok(b.finish().as_noun())
}

/// Nock 10's `#`: replace the subtree at `axis` of `target` with `value`.
pub(crate) fn edit(
    stack: &mut NockStack,
    axis: Noun,
    value: Noun,
    target: Noun,
) -> Result<Noun, Halt> {
    let axis = axis.as_atom().ok_or(Halt::Crash(Mote::Exit))?;
    let bits = axis.bit_len();
    if bits == 0 {
        return exit();
    }
    // Copy the path top-down: each fresh cell takes the untouched sibling, and its other field is filled by the next
    // step (or by the value at the end).
    let mut root = value;
    let mut hole: *mut Noun = &mut root;
    let mut n = target;
    let direct = axis.as_direct();
    for i in (0..bits - 1).rev() {
        let c = cell(n)?;
        let right = match direct {
            Some(a) => (a >> i) & 1 == 1,
            None => axis.bit(i),
        };
        let fresh = Cell::new(stack, c.head(), c.tail())?;
        let mem = fresh.mem_ptr();
        // SAFETY: `hole` points at `root` or at a field of a cell allocated in this loop, which nothing else can see
        // yet; `mem` is the cell just allocated.
        unsafe {
            *hole = fresh.as_noun();
            if right {
                hole = &mut (*mem).tail;
                n = c.tail();
            } else {
                hole = &mut (*mem).head;
                n = c.head();
            }
        }
    }
    // SAFETY: as above.
    unsafe { *hole = value };
    Ok(root)
}

/// Unwind after a crash: pop work items down to the nearest boundary that handles it, collecting the trace.
fn unwind(ctx: &mut Context, halt: Halt) -> Result<Next, Error> {
    let (mote, inner) = match halt {
        Halt::Crash(m) => (m, Noun::ZERO),
        Halt::Traced(m, t) => (m, t),
        Halt::Block(_) => (Mote::Exit, Noun::ZERO),
    };
    if mote == Mote::Meme {
        return Err(Error {
            mote,
            trace: Noun::ZERO,
        });
    }
    let mut trace: Vec<Noun> = crate::noun::list_iter(inner).flatten().collect();
    let mut block = match halt {
        Halt::Block(p) => p,
        Halt::Crash(_) | Halt::Traced(..) => Noun::ZERO,
    };
    let is_block = matches!(halt, Halt::Block(_));
    // Boundaries a scry-gate failure must pass through before it is handled (Vere's meta-bail).
    let mut skip = 0usize;
    let meme = |_| Error {
        mote: Mote::Meme,
        trace: Noun::ZERO,
    };
    loop {
        let op = ctx.stack.pop();
        match op {
            OP_DONE => {
                let list = build_list(&mut ctx.stack, &trace).map_err(meme)?;
                return Err(Error { mote, trace: list });
            }
            OP_FRAME_END => {
                ctx.gc.pop();
                ctx.pop_preserving(&mut (&mut trace, &mut block))
                    .map_err(meme)?;
            }
            OP_TRACE => trace.push(noun(ctx.stack.pop())),
            OP_12_SCRY => {
                ctx.stack.drop_words(2);
                ctx.scry.push(noun(ctx.stack.pop()));
                skip += 1;
            }
            OP_MINK => {
                ctx.scry.pop();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                if is_block {
                    let tone = crate::noun::T(&mut ctx.stack, &[D(1), block]).map_err(meme)?;
                    return Ok(Next::Ret(tone));
                }
                if mote == Mote::Exit {
                    let list = build_list(&mut ctx.stack, &trace).map_err(meme)?;
                    let tone = Cell::new(&mut ctx.stack, D(2), list)
                        .map_err(meme)?
                        .as_noun();
                    return Ok(Next::Ret(tone));
                }
            }
            OP_SLOG_CLUE if skip == 0 && mote == Mote::Exit && !is_block => {
                // A crash while computing a %slog clue only loses the slog.
                let body = noun(ctx.stack.pop());
                let sub = noun(ctx.stack.pop());
                return Ok(Next::Eval(sub, body));
            }
            _ => ctx.stack.drop_words(payload_words(op)),
        }
    }
}

fn build_list(stack: &mut NockStack, items: &[Noun]) -> Result<Noun, Oom> {
    crate::noun::list(stack, items)
}

impl Roots for Context {
    fn for_each_root(&mut self, f: &mut dyn FnMut(&mut Noun)) {
        self.scry.for_each_root(f);
    }
}

#[cfg(test)]
mod tests;
