//! Interpreter throughput: the `../shared/jam` programs and a Nock-only decrement loop.
//!
//! `cargo bench --bench interpreter`; Nock ops per second are printed once per program (from the interpreter's own
//! op counter) so the closing figures can be quoted as ops/s and ns/op.

use criterion::{criterion_group, criterion_main, Criterion};
use mars::interpreter::{nock, Context};
use mars::noun::Noun;
use mars::serial::cue_bytes;
use mars::stack::NockStack;
use mars::text::parse_noun;
use std::time::Instant;

fn context() -> Context {
    Context::new(NockStack::new(1 << 30).expect("stack"), 1000)
}

/// Run once outside criterion to report ops, ops/s and ns/op.
fn report(name: &str, sub: Noun, fol: Noun, ctx: &mut Context) {
    ctx.stats.ops = 0;
    let t = Instant::now();
    nock(ctx, sub, fol).expect("program runs");
    let dt = t.elapsed().as_secs_f64();
    let ops = ctx.stats.ops;
    println!(
        "{name}: {ops} ops in {:.3} ms = {:.1} Mops/s, {:.2} ns/op",
        dt * 1e3,
        ops as f64 / dt / 1e6,
        dt * 1e9 / ops as f64
    );
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("interpreter");
    group.sample_size(10);
    let dir = mars::test_support::shared_dir().join("jam");
    for file in [
        "decrement.jam",
        "decrement2.jam",
        "repeat5_10.jam",
        "repeat5_100.jam",
        "repeat5_1000.jam",
        "repeat5_1000_tc.jam",
    ] {
        let Ok(bytes) = std::fs::read(dir.join(file)) else {
            eprintln!("skipped {file}: not found under {}", dir.display());
            continue;
        };
        let mut ctx = context();
        let pair = cue_bytes(&mut ctx.stack, &bytes).expect("jam file");
        let (sub, fol) = (pair.head().expect("cell"), pair.tail().expect("cell"));
        report(file, sub, fol, &mut ctx);
        group.bench_function(file, |b| b.iter(|| nock(&mut ctx, sub, fol).expect("runs")));
    }
    // A Nock-only decrement of 10^7: count up to n with a tail-recursive arm.
    let mut ctx = context();
    let battery = "[6 [5 [4 0 13] 0 12] [0 13] 9 2 10 [13 4 0 13] 0 1]";
    let sub = parse_noun(&mut ctx.stack, &format!("[{battery} [10000000 0] 0]")).expect("subject");
    let fol = parse_noun(&mut ctx.stack, "[9 2 0 1]").expect("formula");
    report("decrement 10^7", sub, fol, &mut ctx);
    group.bench_function("decrement 10^7", |b| {
        b.iter(|| nock(&mut ctx, sub, fol).expect("runs"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
