//! Benchmarks for the foundation: cue and jam of the pills, mug of the whole brass noun, NockStack allocation and
//! preserve throughput. Run with `cargo bench --bench serial`.
//!
//! Pills come from `$MARS_PILLS` (default `<crate root>/../shared/pills`); without them the pill benchmarks are
//! skipped with a message and only the NockStack ones run.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mars::mug::mug;
use mars::noun::{Cell, Noun, D};
use mars::serial::{cue_bytes, jam_to_bytes};
use mars::stack::NockStack;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const STACK_BYTES: usize = 2 << 30;

fn pills_dir() -> PathBuf {
    std::env::var_os("MARS_PILLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/pills"))
}

fn pill(name: &str) -> Option<Vec<u8>> {
    let path = pills_dir().join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            println!(
                "skipping the {name} benchmarks: {} is unreadable ({e})",
                path.display()
            );
            None
        }
    }
}

/// Run `timed` once per iteration in a fresh frame, after an untimed `setup` in that frame.
fn per_frame<S, T>(stack: &mut NockStack, iters: u64, mut setup: S, mut timed: T) -> Duration
where
    S: FnMut(&mut NockStack) -> Noun,
    T: FnMut(&mut NockStack, Noun),
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        stack.push_frame().expect("push frame");
        let n = setup(stack);
        let t = Instant::now();
        timed(stack, n);
        total += t.elapsed();
        stack.pop_frame();
    }
    total
}

fn pills(c: &mut Criterion) {
    let mut stack = NockStack::new(STACK_BYTES).expect("reserve the NockStack");
    let mut group = c.benchmark_group("pill");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for name in ["brass.pill", "ivory.pill"] {
        let Some(bytes) = pill(name) else { continue };
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(BenchmarkId::new("cue", name), |b| {
            b.iter_custom(|iters| {
                per_frame(
                    &mut stack,
                    iters,
                    |_| D(0),
                    |s, _| {
                        black_box(cue_bytes(s, black_box(&bytes)).expect("cue"));
                    },
                )
            })
        });
        // jam of a freshly cued noun: no mugs cached yet, as after cue in the serf
        group.bench_function(BenchmarkId::new("jam", name), |b| {
            b.iter_custom(|iters| {
                per_frame(
                    &mut stack,
                    iters,
                    |s| cue_bytes(s, &bytes).expect("cue"),
                    |_, n| {
                        black_box(jam_to_bytes(n));
                    },
                )
            })
        });
        // jam again once every mug is cached
        group.bench_function(BenchmarkId::new("jam-mugged", name), |b| {
            b.iter_custom(|iters| {
                per_frame(
                    &mut stack,
                    iters,
                    |s| {
                        let n = cue_bytes(s, &bytes).expect("cue");
                        mug(n);
                        n
                    },
                    |_, n| {
                        black_box(jam_to_bytes(n));
                    },
                )
            })
        });
        if name == "brass.pill" {
            // mug of the whole noun, nothing cached: every iteration cues afresh (untimed)
            group.bench_function(BenchmarkId::new("mug", name), |b| {
                b.iter_custom(|iters| {
                    per_frame(
                        &mut stack,
                        iters,
                        |s| cue_bytes(s, &bytes).expect("cue"),
                        |_, n| {
                            black_box(mug(n));
                        },
                    )
                })
            });
            // preserve the whole cued noun (a DAG with heavy sharing) out of its frame
            group.bench_function(BenchmarkId::new("preserve", name), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        stack.push_frame().expect("push frame");
                        stack.push_frame().expect("push frame");
                        let mut n = cue_bytes(&mut stack, &bytes).expect("cue");
                        let t = Instant::now();
                        stack.pop_preserving(&mut n).expect("preserve");
                        total += t.elapsed();
                        black_box(n);
                        stack.pop_frame();
                    }
                    total
                })
            });
        }
    }
    group.finish();
}

const CELLS: u64 = 1_000_000;

fn nock_stack(c: &mut Criterion) {
    let mut stack = NockStack::new(STACK_BYTES).expect("reserve the NockStack");
    let mut group = c.benchmark_group("stack");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(CELLS));
    group.bench_function("alloc-1M-cells", |b| {
        b.iter_custom(|iters| {
            per_frame(
                &mut stack,
                iters,
                |_| D(0),
                |s, _| {
                    let mut l = D(0);
                    for i in 0..CELLS {
                        l = Cell::new(s, D(i), l).expect("alloc").as_noun();
                    }
                    black_box(l);
                },
            )
        })
    });
    group.bench_function("preserve-1M-cell-list", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                stack.push_frame().expect("push frame");
                stack.push_frame().expect("push frame");
                let mut l = D(0);
                for i in 0..CELLS {
                    l = Cell::new(&mut stack, D(i), l).expect("alloc").as_noun();
                }
                let t = Instant::now();
                stack.pop_preserving(&mut l).expect("preserve");
                total += t.elapsed();
                black_box(l);
                stack.pop_frame();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, pills, nock_stack);
criterion_main!(benches);
