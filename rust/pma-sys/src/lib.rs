//! Raw `extern "C"` bindings to `c-src/pma/pma.h`. See `mars::pma` for the safe wrapper.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

pub const PMA_PAGE: usize = 16384;
pub const PMA_NROOTS: usize = 16;
pub const PMA_DEFAULT_BASE: u64 = 0x2000_0000_0000;
pub const PMA_DEFAULT_RESERVE: u64 = 16 << 40;

pub const PMA_OK: c_int = 0;
pub const PMA_E_IO: c_int = -1;
pub const PMA_E_NOSPC: c_int = -2;
pub const PMA_E_CORRUPT: c_int = -3;
pub const PMA_E_VERSION: c_int = -4;
pub const PMA_E_LOCKED: c_int = -5;
pub const PMA_E_ADDR_IN_USE: c_int = -6;
pub const PMA_E_NOMEM: c_int = -7;
pub const PMA_E_POISONED: c_int = -8;
pub const PMA_E_BADARG: c_int = -9;

pub const PMA_O_STRICT: u32 = 0x1;
pub const PMA_O_NO_FRESH_DIRECT: u32 = 0x2;
pub const PMA_O_ASYNC_CHECKPOINT: u32 = 0x4;
pub const PMA_O_CHECK: u32 = 0x8;

pub const PMA_ALLOC_NORMAL: c_uint = 0;
pub const PMA_ALLOC_FRESH_ONLY: c_uint = 1;

pub const PMA_CHECK_DATA: c_uint = 1;

/// Opaque handle.
#[repr(C)]
pub struct pma {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pma_opts {
    pub base: u64,
    pub reserve_bytes: u64,
    pub flags: u32,
    pub max_dirty_runs: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pma_meta {
    pub generation: u64,
    pub event: u64,
    pub epoch: u64,
    pub kernel_mug: u32,
    pub replayed: u32,
    pub arena_bytes: u64,
    pub base: u64,
    pub reserve_bytes: u64,
    pub uuid: [u8; 16],
    pub commit_time_ns: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pma_commit_stats {
    pub generation: u64,
    pub fresh_pages: u64,
    pub wal_pages: u64,
    pub skipped_free: u64,
    pub barriers: u64,
    pub bytes_written: u64,
    pub nanos: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pma_mark_view {
    pub bits: *mut u64,
    pub base: u64,
    pub nwords: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pma_gc_stats {
    pub blocks_freed: u64,
    pub bytes_freed: u64,
    pub blocks_live: u64,
    pub bytes_live: u64,
    pub pages_released: u64,
    pub side_pages_dirtied: u64,
    pub nanos: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pma_stats_t {
    pub generation: u64,
    pub arena_bytes: u64,
    pub frontier_bytes: u64,
    pub mapped_bytes: u64,
    pub bytes_in_use: u64,
    pub blocks_in_use: u64,
    pub free_run_pages: u64,
    pub slab_pages: u64,
    pub large_pages: u64,
    pub reserve_pages: u64,
    pub side_pages: u64,
    pub dirty_pages: u64,
    pub dirty_runs: u64,
    pub implicit_dirty_faults: u64,
    pub alloc_since_gc: u64,
    pub live_after_gc: u64,
    pub gc_count: u64,
    pub commits: u64,
    pub barriers: u64,
    pub punched_pages: u64,
    pub poisoned: u32,
    pub strict: u32,
    pub ephemeral_bytes: u64,
    pub open_mode: u32,
    pub pad: u32,
    pub open_mode_pages: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pma_check_report {
    pub errors: u64,
    pub pages_checked: u64,
    pub blocks: u64,
    pub first_error: [c_char; 256],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pma_slot_info {
    pub state: i32,
    pub slot: u32,
    pub generation: u64,
    pub event: u64,
    pub epoch: u64,
    pub kernel_mug: u32,
    pub version_major: u32,
    pub arena_bytes: u64,
    pub base: u64,
    pub reserve_bytes: u64,
    pub roots: [u64; PMA_NROOTS],
    pub why: [c_char; 96],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pma_inspect_info {
    pub slots: [pma_slot_info; 2],
    pub wal_state: i32,
    pub pad: u32,
    pub wal_generation: u64,
    pub wal_base_generation: u64,
    pub wal_pages: u64,
    pub wal_bytes: u64,
    pub image_bytes: u64,
    pub wal_why: [c_char; 96],
}

extern "C" {
    pub fn pma_open(dir: *const c_char, opts: *const pma_opts, out: *mut *mut pma) -> c_int;
    pub fn pma_close(p: *mut pma) -> c_int;
    pub fn pma_last_message() -> *const c_char;
    pub fn pma_roots(p: *const pma, roots: *mut u64, meta: *mut pma_meta) -> c_int;
    pub fn pma_root_set(p: *mut pma, slot: c_uint, value: u64);
    pub fn pma_alloc(p: *mut pma, bytes: usize) -> *mut c_void;
    pub fn pma_free(p: *mut pma, block: *mut c_void);
    pub fn pma_block_size(p: *const pma, block: *const c_void) -> usize;
    pub fn pma_dirty(p: *mut pma, addr: *mut c_void, len: usize) -> c_int;
    pub fn pma_alloc_mode(p: *mut pma, mode: c_uint);
    pub fn pma_bounds(p: *const pma, base: *mut usize, limit: *mut usize);
    pub fn pma_commit(
        p: *mut pma,
        event: u64,
        epoch: u64,
        kernel_mug: u32,
        stats: *mut pma_commit_stats,
    ) -> c_int;
    pub fn pma_gc_begin(p: *mut pma, view: *mut pma_mark_view) -> c_int;
    pub fn pma_gc_mark(p: *mut pma, block: *const c_void) -> c_int;
    pub fn pma_gc_sweep(p: *mut pma, stats: *mut pma_gc_stats) -> c_int;
    pub fn pma_trim(p: *mut pma) -> c_int;
    pub fn pma_fault(p: *mut pma, addr: *mut c_void) -> c_int;
    pub fn pma_fault_any(addr: *mut c_void) -> c_int;
    pub fn pma_stats(p: *const pma, out: *mut pma_stats_t) -> c_int;
    pub fn pma_check(p: *mut pma, flags: c_uint, out: *mut pma_check_report) -> c_int;
    pub fn pma_inspect(dir: *const c_char, out: *mut pma_inspect_info) -> c_int;
    pub fn pma_last_error() -> c_int;
    pub fn pma_error_string(code: c_int) -> *const c_char;
    pub fn pma_xxh64(data: *const c_void, len: usize, seed: u64) -> u64;
}
