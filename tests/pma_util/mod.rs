//! Shared helpers for the PMA tests: unique base addresses and scratch directories.
#![allow(dead_code)]

use mars::pma::{Pma, PmaOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A distinct base address per call within this process (512 GiB apart, 256 GiB reserved),
/// so tests running in parallel threads never collide.
pub fn unique_base() -> (u64, u64) {
    let k = NEXT.fetch_add(1, Ordering::SeqCst);
    assert!(k < 190, "out of test base addresses");
    (0x1000_0000_0000 + k * (512 << 30), 256 << 30)
}

pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let k = NEXT.load(Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "mars-pma-{}-{}-{}-{}",
            name,
            std::process::id(),
            k,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn opts(base: (u64, u64)) -> PmaOptions {
    PmaOptions {
        base: base.0,
        reserve: base.1,
        strict: true,
        check_on_open: true,
        ..Default::default()
    }
}

pub fn open(dir: &Path, base: (u64, u64)) -> Pma {
    open_with(dir, &opts(base)).unwrap_or_else(|e| panic!("open {}: {e}", dir.display()))
}

/// `Pma::open`, retrying briefly on `Locked`: a child process forked by another test thread
/// holds copies of this process's descriptors until it execs, which can keep a just-released
/// flock alive for a moment.
pub fn open_with(dir: &Path, o: &PmaOptions) -> Result<Pma, mars::pma::PmaError> {
    let mut tries = 0;
    loop {
        match Pma::open(dir, o) {
            Err(e) if e.kind == mars::pma::PmaErrorKind::Locked && tries < 200 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            r => return r,
        }
    }
}

/// Deterministic 64-bit mixer (splitmix64).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Fill `words` words at `p` with a pattern derived from `tag`.
///
/// # Safety
/// `p` must be valid for `words` writes (a freshly allocated or dirtied block).
pub unsafe fn fill(p: *mut u64, words: usize, tag: u64) {
    for i in 0..words {
        // SAFETY: caller guarantees p..p+words is writable.
        unsafe {
            p.add(i)
                .write(mix(tag ^ (i as u64).wrapping_mul(0x1000_0001)))
        };
    }
}

/// Check the pattern written by `fill`; returns the first bad word index.
///
/// # Safety
/// `p` must be valid for `words` reads.
pub unsafe fn verify(p: *const u64, words: usize, tag: u64) -> Option<usize> {
    (0..words).find(|&i| {
        // SAFETY: caller guarantees p..p+words is readable.
        let v = unsafe { p.add(i).read() };
        v != mix(tag ^ (i as u64).wrapping_mul(0x1000_0001))
    })
}

/// Re-execute this test binary running only `test_name`, with `envs`; returns (exit code, stdout).
pub fn spawn_self(test_name: &str, envs: &[(&str, String)]) -> (Option<i32>, String) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env_remove("MARS_PMA_CRASH_AT");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A small workload used by the decision-table and corruption tests: each commit allocates a
/// block (alternating small and multi-page), rewrites the root block in place, and commits.
/// Root 0 is a 64-word block: [count, ptr_1, ..]; block i holds fill(.., tag = i).
pub fn simple_commits(p: &mut Pma, commits: u64) {
    for _ in 0..commits {
        let mut rootb = p.roots()[0] as *mut u64;
        if rootb.is_null() {
            rootb = p.alloc(64 * 8).unwrap().as_ptr();
            // SAFETY: fresh 64-word block.
            unsafe { fill(rootb, 64, 0) };
            // SAFETY: as above.
            unsafe { rootb.write(0) };
            p.root_set(0, rootb as u64);
        }
        // SAFETY: rootb is the live root block of 64 words.
        let count = unsafe { rootb.read() } + 1;
        assert!(count < 64);
        let words = if count % 2 == 0 { 5000 } else { 40 };
        let b = p.alloc(words * 8).unwrap().as_ptr();
        // SAFETY: fresh block of `words` words; rootb entries are in range.
        unsafe {
            fill(b, words, count);
            p.write_u64(rootb.add(count as usize), b as u64).unwrap();
            p.write_u64(rootb, count).unwrap();
        }
        let ev = p.meta().event + 1;
        p.commit(ev, 0, count as u32).unwrap();
    }
}

/// Verify what `simple_commits` wrote; returns the count of commits seen.
pub fn simple_verify(p: &mut Pma) -> u64 {
    let rootb = p.roots()[0] as *const u64;
    if rootb.is_null() {
        return 0;
    }
    // SAFETY: root block is live and mapped.
    let count = unsafe { rootb.read() };
    for i in 1..=count {
        // SAFETY: entries 1..=count hold live blocks written by simple_commits.
        unsafe {
            let b = rootb.add(i as usize).read() as *const u64;
            let words = if i % 2 == 0 { 5000 } else { 40 };
            assert!(p.block_size(b) >= words * 8, "block {i}");
            assert_eq!(verify(b, words, i), None, "block {i} contents");
        }
    }
    let r = p.check();
    assert!(r.is_clean(), "check: {}", r.first_error);
    count
}

/// Child side of `simple_commits` (env PMA_SC_DIR, PMA_SC_BASE, PMA_SC_N).
pub fn simple_child() {
    if let Ok(dir) = std::env::var("PMA_SC_DIR") {
        let base = u64::from_str_radix(&std::env::var("PMA_SC_BASE").unwrap(), 16).unwrap();
        let n: u64 = std::env::var("PMA_SC_N").unwrap().parse().unwrap();
        let mut p = open(Path::new(&dir), (base, 256 << 30));
        simple_commits(&mut p, n);
    }
}

/// Run `n` simple commits in a child that stops at crash point `k` (0: none).
pub fn simple_in_child(
    test_name: &str,
    dir: &Path,
    base: (u64, u64),
    n: u64,
    k: u32,
) -> Option<i32> {
    let mut envs = vec![
        ("PMA_SC_DIR", dir.display().to_string()),
        ("PMA_SC_BASE", format!("{:x}", base.0)),
        ("PMA_SC_N", n.to_string()),
    ];
    if k != 0 {
        envs.push(("MARS_PMA_CRASH_AT", format!("{k}:{n}")));
    }
    spawn_self(test_name, &envs).0
}

pub fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        sparse_copy(&e.path(), &to.join(e.file_name()));
    }
}

/// Copy a file, skipping holes (SEEK_DATA / SEEK_HOLE), so sparse arenas copy quickly.
pub fn sparse_copy(from: &Path, to: &Path) {
    use std::os::unix::fs::FileExt;
    use std::os::unix::io::AsRawFd;
    let src = std::fs::File::open(from).unwrap();
    let len = src.metadata().unwrap().len();
    let dst = std::fs::File::create(to).unwrap();
    dst.set_len(len).unwrap();
    let fd = src.as_raw_fd();
    let mut off = 0i64;
    let mut buf = vec![0u8; 1 << 20];
    while (off as u64) < len {
        // SAFETY: lseek on an open descriptor.
        let d = unsafe { libc::lseek(fd, off, libc::SEEK_DATA) };
        if d < 0 {
            break;
        }
        // SAFETY: as above.
        let h = unsafe { libc::lseek(fd, d, libc::SEEK_HOLE) };
        let mut at = d as u64;
        while at < h as u64 {
            let n = ((h as u64 - at) as usize).min(buf.len());
            src.read_exact_at(&mut buf[..n], at).unwrap();
            dst.write_all_at(&buf[..n], at).unwrap();
            at += n as u64;
        }
        off = h;
    }
}
