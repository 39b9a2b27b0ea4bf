//! Criterion benchmark of the event log: write and list 10^4 events, P1 and epochs.
//!
//! `cargo bench --bench eventlog`. Each write sample creates a fresh log in a
//! temp dir and appends 10^4 events of ~100 jam bytes (every 100th 10 KB) in
//! batches of 1024 (each batch one fsync'd LMDB transaction); listing reads
//! them all back with contiguity checking. The epoch-layout cases: the
//! background writer fed one event at a time (it batches what queues up
//! while it fsyncs), the same waiting for each event to be durable before the
//! next (what a serf answering one `%poke` at a time costs, 100 events), and
//! listing 10^4 events spread over 10 epochs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mars::eventlog::{EventLog, LogWriter, Meta, OpenOptions, PierLog};

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

fn new_epoch_log(pier: &std::path::Path) -> PierLog {
    let options = OpenOptions {
        writable: true,
        ..OpenOptions::default()
    };
    PierLog::create(pier, &Meta::epochs(0, true, 5), "bench", options).expect("create")
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
    drop(log);

    group.bench_function("epochs: writer, 10^4 queued one by one", |b| {
        b.iter(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let mut w = LogWriter::spawn(new_epoch_log(tmp.path())).expect("spawn");
            for (i, j) in jams.iter().enumerate() {
                w.append(i as u64 + 1, 0x1234, j.clone()).expect("append");
            }
            w.sync().expect("sync")
        })
    });
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut epochs = new_epoch_log(tmp.path());
    let snap = tempfile::tempdir().expect("tempdir");
    std::fs::write(snap.path().join("image.bin"), b"snapshot").expect("snapshot");
    for (i, chunk) in jams.chunks(N as usize / 10).enumerate() {
        let first = i as u64 * (N / 10) + 1;
        epochs
            .append_batch(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(k, j)| (first + k as u64, 0x1234, j.as_slice())),
            )
            .expect("append");
        if first + (N / 10) <= N {
            epochs.roll(snap.path(), "bench").expect("roll");
        }
    }
    drop(epochs);
    let epochs = PierLog::open(tmp.path(), OpenOptions::default()).expect("open");
    assert_eq!(epochs.epochs().len(), 10);
    group.bench_function("epochs: list 10^4 over 10 epochs", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for e in epochs.iter().expect("iter") {
                bytes += e.expect("event").jam.len();
            }
            bytes
        })
    });
    group.finish();

    let mut serial = c.benchmark_group("eventlog-serial");
    serial.sample_size(10);
    serial.throughput(Throughput::Elements(100));
    serial.bench_function("epochs: writer, 100 each waited for", |b| {
        b.iter(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            let mut w = LogWriter::spawn(new_epoch_log(tmp.path())).expect("spawn");
            for (i, j) in jams.iter().take(100).enumerate() {
                let n = i as u64 + 1;
                w.append(n, 0x1234, j.clone()).expect("append");
                w.wait_durable(n).expect("durable");
            }
        })
    });
    serial.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
