//! A slice of real Arvo work that runs in minutes, for measuring the interpreter, jets, memo caches and collection
//! together (the full brass boot takes minutes of CPU; docs/performance.md has its command):
//!
//! 1. load ivory.pill (cue and the lifecycle: the Hoon compiler as a kernel);
//! 2. compile `benches/data/library.hoon` (a 499-line core: molds, doors over maps, wet gates);
//! 3. parse hoon.hoon (`ream`), the parser combinators' work, and
//! 4. compile hoon.hoon against nothing (`ride %noun`), `ut`-heavy — both with the source taken from brass.pill,
//!    skipped when it is absent.
//!
//! `cargo bench --bench arvo` prints one line per workload: wall time, Nock ops, jet calls, collections, bytes
//! copied by pops and collections, and the NockStack's peak; then the process's peak RSS.

use mars::interpreter::{slam, Context};
use mars::kernel::{new_context, Kernel};
use mars::noun::{cord, Noun};
use mars::snapshot::MemorySnapshot;
use mars::test_support::{pills_dir, read_shared};
use std::time::Instant;

/// Counters of a context, to report the difference a workload made.
#[derive(Copy, Clone)]
struct Counters {
    ops: u64,
    jets: u64,
    collections: u64,
    copied_words: u64,
}

fn counters(ctx: &Context) -> Counters {
    Counters {
        ops: ctx.stats.ops,
        jets: ctx.stats.jet_hits,
        collections: ctx.stats.collections,
        copied_words: ctx.stack.copied_words,
    }
}

fn report(name: &str, ctx: &Context, before: Counters, t: Instant) {
    let after = counters(ctx);
    println!(
        "{name:<44} {:>9.1} ms  {:>11} ops  {:>9} jets  {:>5} collections  {:>7} MiB copied  peak stack {} MiB",
        t.elapsed().as_secs_f64() * 1e3,
        after.ops - before.ops,
        after.jets - before.jets,
        after.collections - before.collections,
        (after.copied_words - before.copied_words) >> 17,
        ctx.stack.peak_bytes() >> 20,
    );
}

/// Run `gate` on the cord `text` in its own frame (freed afterwards), reporting it as `name`.
fn run_on_text(k: &mut Kernel, name: &str, gate: &str, text: &str) {
    let before = k.ctx.stack.checkpoint();
    k.ctx.stack.push_frame().expect("a frame");
    let c = counters(&k.ctx);
    let t = Instant::now();
    let gate = k.wish(gate).expect("the gate compiles");
    let txt = cord(&mut k.ctx.stack, text).expect("room for the text");
    match slam(&mut k.ctx, gate, txt) {
        Ok(product) => {
            report(name, &k.ctx, c, t);
            println!("{:<44} product mug {:#x}", "", mars::mug::mug(product));
        }
        Err(e) => println!("{name}: bail %{}", e.mote.name()),
    }
    k.ctx.restore(before);
}

/// The largest atom in `n` whose text holds `marker` (hoon.hoon in a brass pill: its source is a cord there).
fn find_source(n: Noun, marker: &[u8]) -> Option<Vec<u8>> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut todo = vec![n];
    let mut best: Option<Vec<u8>> = None;
    while let Some(x) = todo.pop() {
        if x.is_allocated() && !seen.insert(x.raw()) {
            continue;
        }
        if let Some(c) = x.as_cell() {
            todo.push(c.head());
            todo.push(c.tail());
        } else if let Some(a) = x.as_atom() {
            if a.byte_len() > best.as_ref().map_or(4096, |b| b.len()) {
                let bytes = a.to_bytes();
                if bytes.windows(marker.len()).any(|w| w == marker) {
                    best = Some(bytes);
                }
            }
        }
    }
    best
}

fn main() {
    let Some(ivory) = read_shared(&pills_dir().join("ivory.pill")) else {
        return;
    };
    let mut k = Kernel::new(
        new_context(1 << 31, 50_000).expect("a NockStack"),
        Box::new(MemorySnapshot::new()),
    );
    let c = counters(&k.ctx);
    let t = Instant::now();
    k.boot_ivory(&ivory).expect("ivory boots");
    k.settle(&mut ()).expect("settles");
    report("ivory.pill: cue and lifecycle", &k.ctx, c, t);

    let library = include_str!("data/library.hoon");
    run_on_text(
        &mut k,
        "library.hoon: compile (slap against the kernel)",
        "|=(txt=@t (mug q:(slap !>(..ride) (ream txt))))",
        library,
    );

    let Some(brass) = read_shared(&pills_dir().join("brass.pill")) else {
        return;
    };
    let mut heap = mars::noun::HeapAlloc::new();
    let pill = mars::serial::cue_bytes(&mut heap, &brass).expect("brass.pill cues");
    let Some(hoon) = find_source(pill, b"++  ride") else {
        println!("hoon.hoon: not found in brass.pill");
        return;
    };
    let hoon = String::from_utf8_lossy(&hoon).into_owned();
    println!("hoon.hoon from brass.pill: {} bytes", hoon.len());
    run_on_text(
        &mut k,
        "hoon.hoon: parse (ream)",
        "|=(txt=@t (mug (ream txt)))",
        &hoon,
    );
    run_on_text(
        &mut k,
        "hoon.hoon: compile (ride %noun)",
        "|=(txt=@t (mug (ride %noun txt)))",
        &hoon,
    );
    let (rss, peak) = mars::interpreter::mass::resident_bytes();
    println!(
        "process: resident {} MiB, peak {} MiB",
        rss >> 20,
        peak >> 20
    );
}
