//! Criterion benchmark of the event log: write and list 10^4 events.
//!
//! `cargo bench --bench eventlog`. Each write sample creates a fresh log in a
//! temp dir and appends 10^4 events of ~100 jam bytes (every 100th 10 KB) in
//! batches of 1024 (each batch one fsync'd LMDB transaction); listing reads
//! them all back with contiguity checking.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mars::eventlog::{EventLog, Meta};

const N: u64 = 10_000;
const META: Meta = Meta {
    version: 1,
    who: 0,
    fake: true,
    life: 5,
};

fn jams() -> Vec<Vec<u8>> {
    (1..=N)
        .map(|n| {
            let len = if n.is_multiple_of(100) { 10_000 } else { 100 };
            (0..len).map(|i| (n as usize + i) as u8 | 1).collect()
        })
        .collect()
}

fn write_log(pier: &std::path::Path, jams: &[Vec<u8>]) {
    let mut log = EventLog::create(pier, &META).expect("create");
    let mut next = 1u64;
    for chunk in jams.chunks(1024) {
        let first = next;
        log.append_batch(
            chunk
                .iter()
                .enumerate()
                .map(|(i, j)| (first + i as u64, 0x1234, j.as_slice())),
        )
        .expect("append");
        next += chunk.len() as u64;
    }
}

fn bench(c: &mut Criterion) {
    let jams = jams();
    let mut group = c.benchmark_group("eventlog");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N));
    group.bench_function("write 10^4 (batches of 1024)", |b| {
        b.iter(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            write_log(tmp.path(), &jams);
        })
    });
    let tmp = tempfile::tempdir().expect("tempdir");
    write_log(tmp.path(), &jams);
    let log = EventLog::open(tmp.path()).expect("open");
    group.bench_function("list 10^4 (iter, copy out)", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for e in log.iter().expect("iter") {
                bytes += e.expect("event").jam.len();
            }
            bytes
        })
    });
    group.bench_function("keys 10^4 (check_contiguous)", |b| {
        b.iter(|| log.check_contiguous().expect("contiguous"))
    });
    group.bench_function("open + verify", |b| {
        b.iter(|| {
            // A second handle to the same env shares it: measure the walk.
            log.verify().expect("verify")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
