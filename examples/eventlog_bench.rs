//! Event-log benchmark: write and list 10^4 events.
//!
//! `cargo run --release --example eventlog_bench [-- <events> [<pier-to-keep>]]`
//!
//! Writes `events` events of about 100 jam bytes (every 100th one 10 KB, to
//! exercise overflow pages) three ways: one transaction per event (what a
//! king does when it commits each event as it is computed), batches of 1024
//! (a replay-sized batch), and one batch (the one-per-event run is capped at
//! 1000 events: each commit is an fsync); then lists them (full read with
//! contiguity check), reads keys only, and does random `get`s.

use std::path::Path;
use std::time::{Duration, Instant};

use mars::eventlog::{EventLog, Meta};

const META: Meta = Meta {
    version: 1,
    who: 0,
    fake: true,
    life: 5,
};

fn jam(n: u64) -> Vec<u8> {
    let len = if n.is_multiple_of(100) { 10_000 } else { 100 };
    (0..len).map(|i| (n as usize + i) as u8 | 1).collect()
}

fn rate(n: u64, d: Duration) -> String {
    format!(
        "{:8.1} ms  {:10.0} events/s  {:7.2} us/event",
        d.as_secs_f64() * 1e3,
        n as f64 / d.as_secs_f64(),
        d.as_secs_f64() * 1e6 / n as f64
    )
}

fn write(pier: &Path, n: u64, batch: usize) -> Duration {
    let jams: Vec<Vec<u8>> = (1..=n).map(jam).collect();
    let mut log = EventLog::create(pier, &META).expect("create");
    let start = Instant::now();
    let mut next = 1u64;
    for chunk in jams.chunks(batch) {
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
    start.elapsed()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let keep = args.get(1);
    let tmp = tempfile::tempdir().expect("tempdir");
    println!("{n} events, temp dir {}", tmp.path().display());
    for (name, batch) in [
        ("append, 1 txn/event", 1usize),
        ("append_batch 1024  ", 1024),
        ("append_batch all   ", n as usize),
    ] {
        let pier = tmp.path().join(name.trim().replace([' ', '/', ','], "_"));
        // One fsync'd transaction per event is slow (disk-bound): cap it.
        let m = if batch == 1 { n.min(1000) } else { n };
        let d = write(&pier, m, batch);
        println!("write  {name}: {} ({m} events)", rate(m, d));
    }
    let pier = tmp.path().join("append_batch_1024");
    let size = std::fs::metadata(pier.join(".urb/log/data.mdb"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("data.mdb: {size} bytes");

    let log = EventLog::open(&pier).expect("open");
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut count = 0u64;
    for e in log.iter().expect("iter") {
        let e = e.expect("event");
        bytes += e.jam.len();
        count += 1;
    }
    let d = start.elapsed();
    assert_eq!(count, n);
    println!("list   iter (read+copy):   {} ({bytes} bytes)", rate(n, d));

    let start = Instant::now();
    let span = log.check_contiguous().expect("contiguous");
    println!(
        "list   keys only:          {} {span:?}",
        rate(n, start.elapsed())
    );

    let start = Instant::now();
    let mut x = 12345u64;
    for _ in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = 1 + (x >> 33) % n;
        let e = log.get(k).expect("get").expect("present");
        assert_eq!(e.number, k);
    }
    println!("get    random:             {}", rate(n, start.elapsed()));

    let start = Instant::now();
    let report = log.verify().expect("verify");
    println!(
        "verify structure walk:     {:8.1} ms  {report:?}",
        start.elapsed().as_secs_f64() * 1e3
    );
    drop(log);
    if let Some(dst) = keep {
        let dst = Path::new(dst).join(".urb/log");
        std::fs::create_dir_all(&dst).expect("mkdir");
        std::fs::copy(pier.join(".urb/log/data.mdb"), dst.join("data.mdb")).expect("copy");
        println!("kept a copy in {}", dst.display());
    }
}
