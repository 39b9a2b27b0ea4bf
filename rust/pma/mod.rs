//! Safe wrapper around the persistent memory arena (`c-src/pma`).
//!
//! The arena is noun-agnostic: it hands out 8-byte-aligned blocks at a fixed virtual address
//! and makes them durable on [`Pma::commit`]. Rust code that writes into *existing* arena
//! memory must declare the write first with [`Pma::dirty`] (or use [`Pma::write_u64`]); clean
//! pages are mapped read-only. See `docs/pma.md`.
//!
//! Thread-safety: a `Pma` is used by one thread at a time (it is neither `Send` nor `Sync`).

pub mod fuzz;

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

pub use pma_sys as sys;

/// Number of root slots in the superblock.
pub const NROOTS: usize = sys::PMA_NROOTS;
/// Arena page size.
pub const PAGE: usize = sys::PMA_PAGE;

/// What went wrong, by error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmaErrorKind {
    Io,
    NoSpace,
    Corrupt,
    Version,
    Locked,
    AddrInUse,
    NoMem,
    Poisoned,
    BadArg,
    Unknown,
}

/// An error from the arena: the code and a message naming the file, slot and generation.
#[derive(Debug, Clone)]
pub struct PmaError {
    pub code: i32,
    pub kind: PmaErrorKind,
    pub message: String,
}

impl PmaError {
    fn from_code(code: i32) -> PmaError {
        let kind = match code {
            sys::PMA_E_IO => PmaErrorKind::Io,
            sys::PMA_E_NOSPC => PmaErrorKind::NoSpace,
            sys::PMA_E_CORRUPT => PmaErrorKind::Corrupt,
            sys::PMA_E_VERSION => PmaErrorKind::Version,
            sys::PMA_E_LOCKED => PmaErrorKind::Locked,
            sys::PMA_E_ADDR_IN_USE => PmaErrorKind::AddrInUse,
            sys::PMA_E_NOMEM => PmaErrorKind::NoMem,
            sys::PMA_E_POISONED => PmaErrorKind::Poisoned,
            sys::PMA_E_BADARG => PmaErrorKind::BadArg,
            _ => PmaErrorKind::Unknown,
        };
        // SAFETY: pma_last_message returns a pointer to a NUL-terminated thread-local buffer
        // that stays valid until the next PMA call on this thread; we copy it immediately.
        let detail = unsafe { CStr::from_ptr(sys::pma_last_message()) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: pma_error_string returns a pointer to a static NUL-terminated string.
        let what = unsafe { CStr::from_ptr(sys::pma_error_string(code)) }
            .to_string_lossy()
            .into_owned();
        PmaError {
            code,
            kind,
            message: format!("{what}: {detail}"),
        }
    }

    fn last() -> PmaError {
        // SAFETY: pma_last_error only reads a thread-local integer.
        let code = unsafe { sys::pma_last_error() };
        PmaError::from_code(if code == 0 { sys::PMA_E_BADARG } else { code })
    }
}

impl fmt::Display for PmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pma error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for PmaError {}

fn check(rc: i32) -> Result<(), PmaError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(PmaError::from_code(rc))
    }
}

/// Options for [`Pma::open`]. `base` and `reserve` apply only when the image is created.
#[derive(Debug, Clone, Copy, Default)]
pub struct PmaOptions {
    /// Fixed base address (0: 0x2000_0000_0000).
    pub base: u64,
    /// Address range to reserve (0: 16 TiB).
    pub reserve: u64,
    /// A write to a clean page without `dirty` aborts (tests, CI). Also `MARS_PMA_STRICT=1`.
    pub strict: bool,
    /// Send every dirty page through the WAL (no direct fresh-page writes).
    pub no_fresh_direct: bool,
    /// Mapping budget (0: 8192) before open mode.
    pub max_dirty_runs: u32,
    /// Run `check` (O(arena pages)) at open and refuse a failing arena (tests, debug builds).
    /// Also `MARS_PMA_CHECK=1`.
    pub check_on_open: bool,
}

/// Committed metadata.
pub type PmaMeta = sys::pma_meta;
/// Figures from one commit.
pub type CommitStats = sys::pma_commit_stats;
/// Figures from one GC.
pub type GcStats = sys::pma_gc_stats;
/// Counters.
pub type PmaStats = sys::pma_stats_t;

/// Result of [`Pma::check`].
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub errors: u64,
    pub pages_checked: u64,
    pub blocks: u64,
    pub first_error: String,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.errors == 0
    }
}

/// An open arena. Closing (or dropping) never commits.
pub struct Pma {
    raw: NonNull<sys::pma>,
    dir: PathBuf,
    base: usize,
    limit: usize,
}

/// The GC mark view: an inline bitmap with one bit per arena word.
pub struct Marker<'a> {
    view: sys::pma_mark_view,
    _pma: std::marker::PhantomData<&'a mut Pma>,
}

impl Marker<'_> {
    /// Mark the block starting at `block`; returns true if it was not marked before.
    /// Addresses outside the arena are ignored (false).
    #[inline]
    pub fn mark(&mut self, block: *const u8) -> bool {
        let a = block as u64;
        if a < self.view.base || a & 7 != 0 {
            return false;
        }
        let w = (a - self.view.base) / 8;
        if w >= self.view.nwords {
            return false;
        }
        let bit = 1u64 << (w & 63);
        // SAFETY: w < nwords, and the bitmap (allocated by pma_gc_begin) holds at least
        // ceil(nwords / 64) u64 words; it stays mapped until pma_gc_sweep, which cannot run
        // while this Marker borrows the Pma.
        unsafe {
            let word = self.view.bits.add((w >> 6) as usize);
            if *word & bit != 0 {
                return false;
            }
            *word |= bit;
        }
        true
    }

    /// Whether the block at `block` is marked.
    pub fn is_marked(&self, block: *const u8) -> bool {
        let a = block as u64;
        if a < self.view.base {
            return false;
        }
        let w = (a - self.view.base) / 8;
        if w >= self.view.nwords {
            return false;
        }
        // SAFETY: as in `mark`: w is in range of the live bitmap.
        unsafe { *self.view.bits.add((w >> 6) as usize) & (1u64 << (w & 63)) != 0 }
    }
}

fn cstr_field(b: &[std::os::raw::c_char]) -> String {
    let bytes: Vec<u8> = b
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl Pma {
    /// Create or recover the arena in `dir` (design 4.7), map it at its fixed address, lock it.
    pub fn open(dir: &Path, opts: &PmaOptions) -> Result<Pma, PmaError> {
        let c = CString::new(dir.as_os_str().as_bytes()).map_err(|_| PmaError {
            code: sys::PMA_E_BADARG,
            kind: PmaErrorKind::BadArg,
            message: "path contains NUL".into(),
        })?;
        let mut flags = 0;
        if opts.strict {
            flags |= sys::PMA_O_STRICT;
        }
        if opts.no_fresh_direct {
            flags |= sys::PMA_O_NO_FRESH_DIRECT;
        }
        if opts.check_on_open {
            flags |= sys::PMA_O_CHECK;
        }
        let o = sys::pma_opts {
            base: opts.base,
            reserve_bytes: opts.reserve,
            flags,
            max_dirty_runs: opts.max_dirty_runs,
        };
        let mut raw = std::ptr::null_mut();
        // SAFETY: c and o are valid for the call; raw receives the handle on success.
        check(unsafe { sys::pma_open(c.as_ptr(), &o, &mut raw) })?;
        let raw = NonNull::new(raw).ok_or_else(PmaError::last)?;
        let (mut base, mut limit) = (0usize, 0usize);
        // SAFETY: raw is a live handle.
        unsafe { sys::pma_bounds(raw.as_ptr(), &mut base, &mut limit) };
        Ok(Pma {
            raw,
            dir: dir.to_path_buf(),
            base,
            limit,
        })
    }

    /// Unmap and unlock. Uncommitted changes are dropped.
    pub fn close(self) -> Result<(), PmaError> {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: raw is live and is not used again (self was forgotten).
        check(unsafe { sys::pma_close(raw.as_ptr()) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The raw handle, for the serf's signal dispatcher (`pma_fault`).
    pub fn raw(&self) -> *mut sys::pma {
        self.raw.as_ptr()
    }

    /// The 16 root slots (as staged in memory).
    pub fn roots(&self) -> [u64; NROOTS] {
        let mut r = [0u64; NROOTS];
        // SAFETY: live handle; r has room for 16 roots; meta may be null.
        unsafe { sys::pma_roots(self.raw.as_ptr(), r.as_mut_ptr(), std::ptr::null_mut()) };
        r
    }

    /// Committed metadata (generation, event, epoch, mug, arena_bytes, ...).
    pub fn meta(&self) -> PmaMeta {
        let mut m = PmaMeta::default();
        // SAFETY: live handle; roots may be null.
        unsafe { sys::pma_roots(self.raw.as_ptr(), std::ptr::null_mut(), &mut m) };
        m
    }

    /// Stage root `slot` for the next commit.
    pub fn root_set(&mut self, slot: usize, value: u64) {
        assert!(slot < NROOTS, "root slot {slot} out of range");
        // SAFETY: live handle; slot checked.
        unsafe { sys::pma_root_set(self.raw.as_ptr(), slot as u32, value) }
    }

    /// An 8-byte-aligned block of at least `bytes` bytes, already dirty and writable.
    /// Contents are unspecified.
    pub fn alloc(&mut self, bytes: usize) -> Result<NonNull<u64>, PmaError> {
        // SAFETY: live handle.
        let p = unsafe { sys::pma_alloc(self.raw.as_ptr(), bytes) };
        NonNull::new(p as *mut u64).ok_or_else(PmaError::last)
    }

    /// Free a block returned by `alloc`. Invalid pointers are rejected (BadArg), not freed.
    pub fn free(&mut self, block: *mut u64) -> Result<(), PmaError> {
        if self.block_size(block) == 0 {
            return Err(PmaError {
                code: sys::PMA_E_BADARG,
                kind: PmaErrorKind::BadArg,
                message: format!("{block:p} is not an allocated block"),
            });
        }
        // SAFETY: live handle; the C side validates the block again.
        unsafe { sys::pma_free(self.raw.as_ptr(), block as *mut _) };
        Ok(())
    }

    /// Usable size of an allocated block, 0 if `block` is not a block start.
    pub fn block_size(&self, block: *const u64) -> usize {
        // SAFETY: live handle; the C side only inspects side tables, never the pointer.
        unsafe { sys::pma_block_size(self.raw.as_ptr(), block as *const _) }
    }

    /// Declare a write to `[addr, addr + len)` before making it.
    pub fn dirty(&mut self, addr: *const u8, len: usize) -> Result<(), PmaError> {
        // SAFETY: live handle; the C side bounds-checks the range.
        check(unsafe { sys::pma_dirty(self.raw.as_ptr(), addr as *mut _, len) })
    }

    /// Dirty then store one word in place (the `arena::write` helper of the design).
    ///
    /// # Safety
    /// `addr` must point into a live block of this arena (8-byte aligned).
    pub unsafe fn write_u64(&mut self, addr: *mut u64, value: u64) -> Result<(), PmaError> {
        self.dirty(addr as *const u8, 8)?;
        // SAFETY: the caller guarantees addr is inside a live block; the page is now writable.
        unsafe { addr.write(value) };
        Ok(())
    }

    /// `PMA_ALLOC_FRESH_ONLY` (compaction) or normal allocation.
    pub fn set_fresh_only(&mut self, fresh_only: bool) {
        let mode = if fresh_only {
            sys::PMA_ALLOC_FRESH_ONLY
        } else {
            sys::PMA_ALLOC_NORMAL
        };
        // SAFETY: live handle.
        unsafe { sys::pma_alloc_mode(self.raw.as_ptr(), mode) }
    }

    /// Arena address bounds `[base, limit)`.
    pub fn bounds(&self) -> (usize, usize) {
        (self.base, self.limit)
    }

    /// Whether `addr` lies in the arena's reserved range.
    #[inline]
    pub fn contains(&self, addr: *const u8) -> bool {
        let a = addr as usize;
        a >= self.base && a < self.limit
    }

    /// Make generation G+1 durable (design 4.6).
    pub fn commit(
        &mut self,
        event: u64,
        epoch: u64,
        kernel_mug: u32,
    ) -> Result<CommitStats, PmaError> {
        let mut s = CommitStats::default();
        // SAFETY: live handle; s is a valid out-pointer.
        check(unsafe { sys::pma_commit(self.raw.as_ptr(), event, epoch, kernel_mug, &mut s) })?;
        Ok(s)
    }

    /// Mark-sweep GC: `mark` marks every live block (by its first word) through the view.
    pub fn gc<F: FnOnce(&mut Marker<'_>)>(&mut self, mark: F) -> Result<GcStats, PmaError> {
        let mut view = sys::pma_mark_view {
            bits: std::ptr::null_mut(),
            base: 0,
            nwords: 0,
        };
        // SAFETY: live handle; view is a valid out-pointer.
        check(unsafe { sys::pma_gc_begin(self.raw.as_ptr(), &mut view) })?;
        {
            let mut m = Marker {
                view,
                _pma: std::marker::PhantomData,
            };
            mark(&mut m);
        }
        let mut s = GcStats::default();
        // SAFETY: live handle with a GC in progress.
        check(unsafe { sys::pma_gc_sweep(self.raw.as_ptr(), &mut s) })?;
        Ok(s)
    }

    /// Punch holes for large free runs that were free at the last commit.
    pub fn trim(&mut self) -> Result<(), PmaError> {
        // SAFETY: live handle.
        check(unsafe { sys::pma_trim(self.raw.as_ptr()) })
    }

    /// Validate every allocator invariant (O(arena pages)).
    pub fn check(&mut self) -> CheckReport {
        // SAFETY: pma_check_report is plain data; all-zero is a valid value.
        let mut r: sys::pma_check_report = unsafe { std::mem::zeroed() };
        // SAFETY: live handle; r is a valid out-pointer.
        unsafe { sys::pma_check(self.raw.as_ptr(), sys::PMA_CHECK_DATA, &mut r) };
        CheckReport {
            errors: r.errors,
            pages_checked: r.pages_checked,
            blocks: r.blocks,
            first_error: cstr_field(&r.first_error),
        }
    }

    pub fn stats(&self) -> PmaStats {
        let mut s = PmaStats::default();
        // SAFETY: live handle; s is a valid out-pointer.
        unsafe { sys::pma_stats(self.raw.as_ptr(), &mut s) };
        s
    }

    /// Handle a write fault at `addr` (non-strict mode): true if it was an arena page.
    pub fn fault(&mut self, addr: *const u8) -> bool {
        // SAFETY: live handle.
        unsafe { sys::pma_fault(self.raw.as_ptr(), addr as *mut _) != 0 }
    }

    /// Describe the on-disk state of `dir` without opening (no lock, no mapping).
    pub fn inspect(dir: &Path) -> Result<InspectReport, PmaError> {
        let c = CString::new(dir.as_os_str().as_bytes()).map_err(|_| PmaError {
            code: sys::PMA_E_BADARG,
            kind: PmaErrorKind::BadArg,
            message: "path contains NUL".into(),
        })?;
        // SAFETY: pma_inspect_info is plain data; all-zero is valid.
        let mut info: sys::pma_inspect_info = unsafe { std::mem::zeroed() };
        // SAFETY: c is NUL-terminated; info is a valid out-pointer.
        check(unsafe { sys::pma_inspect(c.as_ptr(), &mut info) })?;
        let slots = [0, 1].map(|i| {
            let s = &info.slots[i];
            SlotReport {
                state: match s.state {
                    0 => "zero",
                    1 => "valid",
                    2 => "corrupt",
                    _ => "missing",
                },
                generation: s.generation,
                event: s.event,
                epoch: s.epoch,
                kernel_mug: s.kernel_mug,
                arena_bytes: s.arena_bytes,
                base: s.base,
                reserve: s.reserve_bytes,
                roots: s.roots,
                why: cstr_field(&s.why),
            }
        });
        Ok(InspectReport {
            slots,
            wal_state: match info.wal_state {
                0 => "absent",
                1 => "valid",
                _ => "invalid",
            },
            wal_generation: info.wal_generation,
            wal_base_generation: info.wal_base_generation,
            wal_pages: info.wal_pages,
            wal_bytes: info.wal_bytes,
            image_bytes: info.image_bytes,
            wal_why: cstr_field(&info.wal_why),
            live: None,
        })
    }

    /// Inspect report of this open arena, with live counters (free space, dirty runs).
    pub fn inspect_live(&self) -> Result<InspectReport, PmaError> {
        let mut r = Pma::inspect(&self.dir)?;
        r.live = Some(self.stats());
        Ok(r)
    }
}

impl Drop for Pma {
    fn drop(&mut self) {
        // SAFETY: raw is live; Drop runs once and nothing uses the handle afterwards.
        unsafe { sys::pma_close(self.raw.as_ptr()) };
    }
}

/// One superblock slot as found on disk.
#[derive(Debug, Clone)]
pub struct SlotReport {
    pub state: &'static str,
    pub generation: u64,
    pub event: u64,
    pub epoch: u64,
    pub kernel_mug: u32,
    pub arena_bytes: u64,
    pub base: u64,
    pub reserve: u64,
    pub roots: [u64; NROOTS],
    pub why: String,
}

/// Report for `mars pma inspect`.
#[derive(Debug, Clone)]
pub struct InspectReport {
    pub slots: [SlotReport; 2],
    pub wal_state: &'static str,
    pub wal_generation: u64,
    pub wal_base_generation: u64,
    pub wal_pages: u64,
    pub wal_bytes: u64,
    pub image_bytes: u64,
    pub wal_why: String,
    pub live: Option<PmaStats>,
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "pma.img: {} bytes", self.image_bytes)?;
        for (i, s) in self.slots.iter().enumerate() {
            let name = if i == 0 { "A" } else { "B" };
            write!(f, "slot {name}: {}", s.state)?;
            if s.state == "valid" {
                write!(
                    f,
                    " generation {} event {} epoch {} mug 0x{:08x} arena_bytes {} base 0x{:x} reserve 0x{:x} root0 0x{:x}",
                    s.generation, s.event, s.epoch, s.kernel_mug, s.arena_bytes, s.base, s.reserve, s.roots[0]
                )?;
            } else if !s.why.is_empty() {
                write!(f, " ({})", s.why)?;
            }
            writeln!(f)?;
        }
        write!(f, "pma.wal: {} ({} bytes)", self.wal_state, self.wal_bytes)?;
        if self.wal_state != "absent" {
            write!(
                f,
                " generation {} base {} pages {}",
                self.wal_generation, self.wal_base_generation, self.wal_pages
            )?;
        }
        if !self.wal_why.is_empty() {
            write!(f, " ({})", self.wal_why)?;
        }
        writeln!(f)?;
        if let Some(s) = &self.live {
            writeln!(
                f,
                "live: frontier {} bytes, in use {} bytes in {} blocks, free runs {} pages, slabs {}, large {}, reserve {}, side tables {} pages",
                s.frontier_bytes, s.bytes_in_use, s.blocks_in_use, s.free_run_pages, s.slab_pages, s.large_pages, s.reserve_pages, s.side_pages
            )?;
            writeln!(
                f,
                "dirty: {} pages in {} runs; implicit faults {}; gc count {}",
                s.dirty_pages, s.dirty_runs, s.implicit_dirty_faults, s.gc_count
            )?;
        }
        Ok(())
    }
}

static PREV_SEGV: std::sync::OnceLock<(libc::sigaction, libc::sigaction)> =
    std::sync::OnceLock::new();

extern "C" fn fault_dispatch(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    _ctx: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() };
    // SAFETY: pma_fault_any only reads the handle registry and calls mprotect (async-signal-safe
    // in practice) on the faulting page.
    if unsafe { sys::pma_fault_any(addr) } != 0 {
        return;
    }
    // Not ours: restore the previous disposition and return, so the fault repeats under it.
    if let Some((segv, bus)) = PREV_SEGV.get() {
        let prev = if sig == libc::SIGSEGV { segv } else { bus };
        // SAFETY: prev is a sigaction captured at install time.
        unsafe { libc::sigaction(sig, prev, std::ptr::null_mut()) };
    }
}

/// Install a process-wide SIGSEGV/SIGBUS dispatcher that routes write faults on clean arena
/// pages to `pma_fault` (strict handles abort; others are dirtied and counted). The serf may
/// instead call `pma_fault`/`pma_fault_any` from its own dispatcher.
pub fn install_fault_handler() {
    PREV_SEGV.get_or_init(|| {
        // SAFETY: plain sigaction setup; zeroed sigaction is a valid starting value.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = fault_dispatch as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut old_segv: libc::sigaction = std::mem::zeroed();
            let mut old_bus: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGSEGV, &sa, &mut old_segv);
            libc::sigaction(libc::SIGBUS, &sa, &mut old_bus);
            (old_segv, old_bus)
        }
    });
}

/// XXH64 (the arena's checksum), exposed for tests.
pub fn xxh64(data: &[u8], seed: u64) -> u64 {
    // SAFETY: data is a valid slice.
    unsafe { sys::pma_xxh64(data.as_ptr() as *const _, data.len(), seed) }
}
