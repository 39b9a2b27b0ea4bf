//! Memory bounds of one long computation: garbage made anywhere in it is collected, so a computation whose live
//! data is small completes in a small loom however much it allocates over its life.
//!
//! Needs `ivory.pill` (skips otherwise): `cargo test --release --test memory`.

use mars::kernel::{new_context, Kernel};
use mars::noun::{cord, D, T};
use mars::snapshot::MemorySnapshot;
use mars::test_support::{pills_dir, read_shared};

/// A kernel of ivory.pill (the Hoon compiler) in a NockStack of `2^loom` bytes.
fn ivory(loom: u32) -> Option<Kernel> {
    ivory_with_cache(loom, 1000)
}

/// The same with room for `entries` memo entries (the `%memo` trie keeps up to that many per computation).
fn ivory_with_cache(loom: u32, entries: usize) -> Option<Kernel> {
    let bytes = read_shared(&pills_dir().join("ivory.pill"))?;
    let mut k = Kernel::new(
        new_context(1 << loom, entries).unwrap(),
        Box::new(MemorySnapshot::new()),
    );
    k.boot_ivory(&bytes).unwrap();
    k.settle(&mut ()).unwrap();
    Some(k)
}

/// `benches/data/library.hoon` (a 499-line library core) compiled `times` times over in one computation, each
/// compile's product reduced to its mug; returns the number of compiles and the sum of their mugs.
const COMPILE_REPEATEDLY: &str = "\
|=  [times=@ud txt=@t]
=|  [n=@ud sum=@ud]
|-  ^-  [@ud @ud]
?:  =(n times)  [n sum]
=/  m  (mug q:(slap !>(..ride) (ream txt)))
$(n +(n), sum (add sum m))";

fn compile_library(k: &mut Kernel, times: u64) -> (u64, u64) {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/library.hoon"),
    )
    .unwrap();
    let gate = k.wish(COMPILE_REPEATEDLY).expect("the gate compiles");
    let txt = cord(&mut k.ctx.stack, &src).unwrap();
    let sample = T(&mut k.ctx.stack, &[D(times), txt]).unwrap();
    let product = mars::interpreter::slam(&mut k.ctx, gate, sample).unwrap_or_else(|e| {
        panic!(
            "%{} after {} collections",
            e.mote.name(),
            k.ctx.stats.collections
        )
    });
    let c = product.as_cell().expect("[n sum]");
    (c.head().as_u64().unwrap(), c.tail().as_u64().unwrap())
}

/// A loom that holds ivory and one compile's live data, but nowhere near everything the compiles allocate.
const LOOM: u32 = 26;
const TIMES: u64 = 24;

#[test]
fn repeated_compiles_in_one_computation_fit_a_small_loom() {
    let Some(mut small) = ivory(LOOM) else {
        return;
    };
    let (n, sum) = compile_library(&mut small, TIMES);
    assert_eq!(n, TIMES);
    let copied_mib = small.ctx.stack.copied_words >> 17;
    // A collection starts when a frame has allocated a nursery since its last one, and a small loom's nursery is
    // 1/32 of it, so more than 32 of them means the compiles allocated more than the whole loom.
    assert!(
        small.ctx.stats.collections > 32,
        "only {} collections",
        small.ctx.stats.collections
    );
    // The same product as in a loom with room to spare: collection changed nothing the computation sees.
    let mut big = ivory(31).unwrap();
    assert_eq!(compile_library(&mut big, TIMES), (n, sum));
    eprintln!(
        "{TIMES} compiles in a {} MiB loom: {} collections ({} major), {copied_mib} MiB copied, peak {} MiB",
        1 << (LOOM - 20),
        small.ctx.stats.collections,
        small.ctx.stats.major_collections,
        small.ctx.stack.peak_bytes() >> 20
    );
}

/// `mars boot --stats`: the serf answers SIGUSR1 while idle with its memory report (NockStack, caches, arena,
/// resident memory), before it answers the next writ, and the driver prints the serf's resident memory and the arena
/// file's size. The command starts with SIGUSR1 blocked, as some supervisors and CI runners start their children:
/// the mask is inherited by the serf, which must unblock the signals it handles.
#[test]
fn boot_stats_prints_the_idle_serfs_memory_report() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("pier");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mars"));
    cmd.args(["boot", "--no-start", "--stats", "--pier"])
        .arg(&pier);
    // SAFETY: between fork and exec the closure only calls async-signal-safe functions on a local sigset_t.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            match libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) {
                0 => Ok(()),
                e => Err(std::io::Error::from_raw_os_error(e)),
            }
        });
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for want in [
        "idle at event",
        "mass: nockstack: in use",
        "mass: nockstack: frame 0",
        "mass: memo cache across events",
        "mass: arena: in use",
        "mass: process: peak resident",
        "stats: after boot: serf resident",
        "stats: before exit: serf resident",
    ] {
        assert!(err.contains(want), "no {want:?} in:\n{err}");
    }
    // Once after the boot and once before exit, each before the save that follows the signal is answered.
    assert_eq!(err.matches("memory report").count(), 2, "{err}");
    let reports: Vec<usize> = err.match_indices("memory report").map(|(i, _)| i).collect();
    let after_boot = err.find("stats: after boot").unwrap();
    let before_exit = err.find("stats: before exit").unwrap();
    assert!(
        reports[0] < after_boot && after_boot < reports[1] && reports[1] < before_exit,
        "{err}"
    );
}

/// A computation that memoises (`~+`, Nock's `%memo` hint) more than the loom holds: the trie is bounded by memory,
/// not only by its entry count, and gives way (a generation at a time) before the computation runs out of memory.
#[test]
fn the_memo_trie_gives_way_before_the_loom_fills() {
    // Entries enough that only memory can bound the trie: 3,000 values of about 24 KiB each (72 MiB) in 64 MiB.
    let Some(mut k) = ivory_with_cache(26, 1_000_000) else {
        return;
    };
    let hoon = "\
=|  [i=@ud sum=@ud]
|-  ^-  @ud
?:  =(i 3.000)  sum
=/  l  ~+((reap 1.000 i))
$(i +(i), sum (add sum (lent l)))";
    let product = k
        .wish(hoon)
        .unwrap_or_else(|e| panic!("%{}", e.mote.name()));
    assert_eq!(product.as_u64(), Some(3_000_000));
    assert!(k.ctx.stats.memo_drops > 0, "the trie was trimmed");
}

/// A fold whose every step replaces a big accumulator (as Arvo's `+roll` over its vanes does during a boot): the
/// `+roll` jet calls the gate in a frame of its own and copies each product back, where the interpreter never reaches
/// a collection point of its own until the jet returns. The jet offers one after every step, so the superseded
/// accumulators (200 lists of 20,000 items, about 90 MiB) do not have to fit in the 64 MiB loom at once. The same
/// for `+rep:in`.
#[test]
fn a_fold_over_big_values_is_collected_inside_the_fold_jets() {
    let Some(mut k) = ivory(26) else {
        return;
    };
    let before = k.ctx.stats.collections;
    let product = k
        .wish("(lent (roll (gulf 1 200) |=([a=@ b=(list @)] (reap 20.000 a))))")
        .unwrap_or_else(|e| panic!("%{}", e.mote.name()));
    assert_eq!(product.as_u64(), Some(20_000));
    assert!(
        k.ctx.stats.collections > before,
        "collected during the fold"
    );
    // The same through the set fold's jet (`+rep:in`).
    let product = k
        .wish("(lent (~(rep in (silt (gulf 1 200))) |=([a=@ b=(list @)] (reap 20.000 a))))")
        .unwrap_or_else(|e| panic!("%{}", e.mote.name()));
    assert_eq!(product.as_u64(), Some(20_000));
}
