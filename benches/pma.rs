//! PMA benchmark: commit latency vs dirty bytes (fresh and overwrite) against a raw
//! write + fdatasync of the same bytes, commit with nothing dirty / roots only, open time, GC.
//!
//! Run: `cargo bench --bench pma` (PMA_BENCH_DIR=dir to choose the disk, PMA_BENCH_MAX=MiB to
//! cap the largest size; default 1024).
use mars::pma::{Pma, PmaOptions};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Instant;

const MIB: usize = 1 << 20;

fn io_write_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn io_read_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("read_bytes: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn opts() -> PmaOptions {
    PmaOptions {
        base: 0x2000_0000_0000,
        reserve: 64 << 30,
        ..Default::default()
    }
}

fn fresh_dir(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn raw_sync(root: &Path, bytes: usize) -> f64 {
    let path = root.join("raw.bin");
    let _ = std::fs::remove_file(&path);
    let buf = vec![0x5au8; 8 * MIB];
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let t = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(buf.len());
        f.write_all(&buf[..n]).unwrap();
        left -= n;
    }
    // SAFETY: fdatasync on an open descriptor.
    unsafe { libc::fdatasync(f.as_raw_fd()) };
    let d = ms(t.elapsed());
    drop(f);
    let _ = std::fs::remove_file(&path);
    d
}

fn touch(p: *mut u64, bytes: usize, v: u64) {
    for i in (0..bytes / 8).step_by(8) {
        // SAFETY: callers pass blocks of at least `bytes` writable bytes.
        unsafe { p.add(i).write(v ^ i as u64) };
    }
}

fn drop_cache(dir: &Path) {
    for f in ["pma.img", "pma.wal"] {
        if let Ok(file) = std::fs::File::open(dir.join(f)) {
            // SAFETY: advisory call on an open descriptor.
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
    }
}

fn main() {
    let root = std::env::var("PMA_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("mars-pma-bench"));
    std::fs::create_dir_all(&root).unwrap();
    let max_mib: usize = std::env::var("PMA_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let sizes: Vec<usize> = [1, 16, 256, 1024]
        .into_iter()
        .filter(|&m| m <= max_mib)
        .collect();
    println!("# mars PMA bench, dir {}", root.display());
    println!("| dirty MiB | raw write+fdatasync ms | commit fresh ms | barriers | write amp | commit overwrite ms | barriers | write amp | scattered overwrite ms |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for &m in &sizes {
        let bytes = m * MIB;
        let raw = raw_sync(&root, bytes);
        let dir = fresh_dir(&root, "commit");
        let mut p = Pma::open(&dir, &opts()).unwrap();
        let mut blocks = vec![];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(MIB);
            let b = p.alloc(n).unwrap().as_ptr();
            touch(b, n, 1);
            blocks.push((b, n));
            left -= n;
        }
        let w0 = io_write_bytes();
        let cs = p.commit(1, 0, 0).unwrap();
        let wa_fresh = (io_write_bytes() - w0) as f64 / bytes as f64;
        let fresh_ms = cs.nanos as f64 / 1e6;
        let fresh_bar = cs.barriers;
        for &(b, n) in &blocks {
            p.dirty(b as *const u8, n).unwrap();
            touch(b, n, 2);
        }
        let w0 = io_write_bytes();
        let cs = p.commit(2, 0, 0).unwrap();
        let wa_over = (io_write_bytes() - w0) as f64 / bytes as f64;
        let over_ms = cs.nanos as f64 / 1e6;
        let over_bar = cs.barriers;
        // scattered: one page in every two, same number of pages
        let mut pages = 0;
        'outer: for &(b, n) in &blocks {
            for off in (0..n).step_by(2 * 16384) {
                if pages * 16384 >= bytes / 2 {
                    break 'outer;
                }
                // SAFETY: off < n, inside the block.
                let a = unsafe { (b as *mut u8).add(off) };
                p.dirty(a, 8).unwrap();
                // SAFETY: just dirtied.
                unsafe { (a as *mut u64).write(3) };
                pages += 1;
            }
        }
        let cs = p.commit(3, 0, 0).unwrap();
        let scat_ms = cs.nanos as f64 / 1e6;
        let scat_kib = pages * 16;
        println!(
            "| {m} | {raw:.1} | {fresh_ms:.1} | {fresh_bar} | {wa_fresh:.2} | {over_ms:.1} | {over_bar} | {wa_over:.2} | {scat_ms:.1} ({scat_kib} KiB in 1-page runs) |"
        );
        p.close().unwrap();
    }
    // Nothing dirty, roots only.
    {
        let dir = fresh_dir(&root, "small");
        let mut p = Pma::open(&dir, &opts()).unwrap();
        p.alloc(64).unwrap();
        p.commit(1, 0, 0).unwrap();
        let t = Instant::now();
        let n = 1000;
        for _ in 0..n {
            p.commit(1, 0, 0).unwrap();
        }
        let nothing_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let mut tot = 0.0;
        let mut bar = 0;
        for i in 0..20 {
            p.root_set(1, i);
            let cs = p.commit(2 + i, 0, 0).unwrap();
            tot += cs.nanos as f64 / 1e6;
            bar = cs.barriers;
        }
        println!();
        println!("commit with nothing dirty: {nothing_us:.2} us (mean of {n})");
        println!(
            "commit with roots only: {:.2} ms (mean of 20), {bar} barriers",
            tot / 20.0
        );
    }
    // Independence of arena size (R3): grow the arena (allocate, then free, so nothing is
    // written), then commit 16 MiB fresh and 16 MiB overwrite.
    println!();
    println!("| arena GiB | commit 16 MiB fresh ms | commit 16 MiB overwrite ms |");
    println!("|---|---|---|");
    for g in [1usize, 4, 16] {
        let dir = fresh_dir(&root, "arena");
        let mut p = Pma::open(&dir, &opts()).unwrap();
        let mut big = vec![];
        for _ in 0..g * 16 {
            big.push(p.alloc(64 * MIB).unwrap().as_ptr());
        }
        for b in big {
            p.free(b).unwrap();
        }
        p.commit(1, 0, 0).unwrap();
        let mut blocks = vec![];
        for _ in 0..16 {
            let b = p.alloc(MIB).unwrap().as_ptr();
            touch(b, MIB, 1);
            blocks.push(b);
        }
        let f = p.commit(2, 0, 0).unwrap();
        for &b in &blocks {
            p.dirty(b as *const u8, MIB).unwrap();
            touch(b, MIB, 2);
        }
        let o = p.commit(3, 0, 0).unwrap();
        println!(
            "| {g} | {:.1} | {:.1} |",
            f.nanos as f64 / 1e6,
            o.nanos as f64 / 1e6
        );
        p.close().unwrap();
    }
    // Open time.
    println!();
    println!("| arena | open warm ms | open cold ms | bytes read cold |");
    println!("|---|---|---|---|");
    for m in [100usize, 1024]
        .into_iter()
        .filter(|&m| m <= max_mib.max(100))
    {
        let dir = fresh_dir(&root, "open");
        {
            let mut p = Pma::open(&dir, &opts()).unwrap();
            let mut left = m * MIB;
            while left > 0 {
                let n = left.min(MIB);
                let b = p.alloc(n).unwrap().as_ptr();
                touch(b, n, 1);
                left -= n;
            }
            p.commit(1, 0, 0).unwrap();
        }
        let t = Instant::now();
        let p = Pma::open(&dir, &opts()).unwrap();
        let warm = ms(t.elapsed());
        drop(p);
        drop_cache(&dir);
        let r0 = io_read_bytes();
        let t = Instant::now();
        let p = Pma::open(&dir, &opts()).unwrap();
        let cold = ms(t.elapsed());
        let read = io_read_bytes() - r0;
        drop(p);
        println!("| {m} MiB | {warm:.2} | {cold:.2} | {read} |");
    }
    // GC: 2M small blocks (24..96 B), half live, plus 200 large blocks.
    {
        let dir = fresh_dir(&root, "gc");
        let mut p = Pma::open(&dir, &opts()).unwrap();
        let mut live = vec![];
        let n = 2_000_000u64;
        let t_alloc = Instant::now();
        for i in 0..n {
            let b = p.alloc(24 + (i % 4) as usize * 24).unwrap().as_ptr();
            // SAFETY: fresh block.
            unsafe { b.write(i) };
            if i % 2 == 0 {
                live.push(b);
            }
        }
        let alloc_ns = t_alloc.elapsed().as_nanos() as f64 / n as f64;
        println!();
        println!(
            "pma_alloc, 24..96 B blocks (slab fast path, incl. one store): {alloc_ns:.1} ns each"
        );
        for i in 0..200 {
            let b = p.alloc(100_000).unwrap().as_ptr();
            if i % 2 == 0 {
                live.push(b);
            }
        }
        p.commit(1, 0, 0).unwrap();
        let arena = p.stats().frontier_bytes;
        let t = Instant::now();
        let mut mark_ns = 0u128;
        let st = p
            .gc(|m| {
                let t = Instant::now();
                for &b in &live {
                    m.mark(b as *const u8);
                }
                mark_ns = t.elapsed().as_nanos();
            })
            .unwrap();
        let total = ms(t.elapsed());
        println!();
        println!(
            "GC: {} live / {} freed blocks, arena {} MiB: mark {:.1} ms ({:.0} M objects/s), sweep {:.1} ms ({:.1} GiB of arena/s), total {:.1} ms, side pages dirtied {}",
            st.blocks_live,
            st.blocks_freed,
            arena >> 20,
            mark_ns as f64 / 1e6,
            live.len() as f64 / (mark_ns as f64 / 1e9) / 1e6,
            st.nanos as f64 / 1e6,
            arena as f64 / (1u64 << 30) as f64 / (st.nanos as f64 / 1e9),
            total,
            st.side_pages_dirtied
        );
        let cs = p.commit(2, 0, 0).unwrap();
        println!(
            "commit after that GC: {:.1} ms, {} WAL pages",
            cs.nanos as f64 / 1e6,
            cs.wal_pages
        );
        let st = p
            .gc(|m| {
                for &b in &live {
                    m.mark(b as *const u8);
                }
            })
            .unwrap();
        println!(
            "GC that frees nothing: sweep {:.1} ms, side pages dirtied {} (arena pages {})",
            st.nanos as f64 / 1e6,
            st.side_pages_dirtied,
            arena / 16384
        );
        // Space amplification on disk after GC and trim: allocated image blocks / live bytes. Holes are punched
        // only for runs freed before the last checkpoint, so trim after a commit, then commit again.
        p.trim().unwrap();
        p.commit(3, 0, 0).unwrap();
        p.trim().unwrap();
        let on_disk = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(dir.join("pma.img")).unwrap().blocks() * 512
        };
        let live_bytes = st.bytes_live.max(1);
        println!(
            "space after GC + trim: pma.img holds {:.1} MiB on disk for {:.1} MiB live (amplification {:.2}; the freed half of every small-object slab is reused, not released)",
            on_disk as f64 / (1 << 20) as f64,
            live_bytes as f64 / (1 << 20) as f64,
            on_disk as f64 / live_bytes as f64
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
