/* mars persistent memory arena (PMA): public C API.
 *
 * The arena is noun-agnostic: it stores 8-byte-aligned blocks at a fixed
 * virtual address and makes them durable on request (pma_commit).  See
 * docs/pma.md for the file format and the commit/recovery protocol.
 *
 * Threading: a handle is used by one thread at a time (the serf's writer
 * thread).  pma_fault() may be called from a signal handler on that thread.
 */
#ifndef MARS_PMA_H
#define MARS_PMA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMA_PAGE 16384u
#define PMA_NROOTS 16u
#define PMA_DEFAULT_BASE 0x200000000000ull
#define PMA_DEFAULT_RESERVE (16ull << 40)

/* Error codes (negative return values). */
#define PMA_OK 0
#define PMA_E_IO (-1)
#define PMA_E_NOSPC (-2)
#define PMA_E_CORRUPT (-3)
#define PMA_E_VERSION (-4)
#define PMA_E_LOCKED (-5)
#define PMA_E_ADDR_IN_USE (-6)
#define PMA_E_NOMEM (-7)
#define PMA_E_POISONED (-8)
#define PMA_E_BADARG (-9)

/* pma_opts.flags */
#define PMA_O_STRICT 0x1u          /* write fault on a clean page aborts */
#define PMA_O_NO_FRESH_DIRECT 0x2u /* every dirty page goes through the WAL */
#define PMA_O_ASYNC_CHECKPOINT 0x4u /* accepted, not implemented (synchronous) */
#define PMA_O_CHECK 0x8u           /* run pma_check at open (tests, debug); also MARS_PMA_CHECK=1 */

/* pma_alloc_mode() */
#define PMA_ALLOC_NORMAL 0u
#define PMA_ALLOC_FRESH_ONLY 1u

/* pma_check() flags */
#define PMA_CHECK_DATA 0x1u /* also verify that free/reserved pages are not dirty, etc. */

typedef struct pma pma; /* opaque handle */

typedef struct pma_opts {
  uint64_t base;           /* 0: default 0x200000000000; used only when creating */
  uint64_t reserve_bytes;  /* 0: default 16 TiB; used only when creating */
  uint32_t flags;          /* PMA_O_* */
  uint32_t max_dirty_runs; /* mapping budget; 0: 8192 (reported, see docs) */
} pma_opts;

typedef struct pma_meta {
  uint64_t generation;    /* committed generation */
  uint64_t event;         /* event number of the committed generation */
  uint64_t epoch;
  uint32_t kernel_mug;
  uint32_t replayed;      /* 1 if this open replayed a WAL */
  uint64_t arena_bytes;   /* committed high-water mark */
  uint64_t base;
  uint64_t reserve_bytes;
  uint8_t uuid[16];
  uint64_t commit_time_ns;
} pma_meta;

typedef struct pma_commit_stats {
  uint64_t generation;     /* generation now durable */
  uint64_t fresh_pages;    /* written directly into the image */
  uint64_t wal_pages;      /* written through the WAL */
  uint64_t skipped_free;   /* dirty pages dropped because they are free */
  uint64_t barriers;       /* fdatasync calls */
  uint64_t bytes_written;  /* payload + metadata bytes written */
  uint64_t nanos;          /* wall time of the commit */
} pma_commit_stats;

typedef struct pma_mark_view {
  uint64_t *bits;   /* 1 bit per 8-byte word: bit i <-> base + 8*i */
  uint64_t base;
  uint64_t nwords;  /* number of 8-byte arena words covered */
} pma_mark_view;

typedef struct pma_gc_stats {
  uint64_t blocks_freed;
  uint64_t bytes_freed;
  uint64_t blocks_live;
  uint64_t bytes_live;
  uint64_t pages_released;   /* slab or run pages returned to the run allocator */
  uint64_t side_pages_dirtied;
  uint64_t nanos;
} pma_gc_stats;

typedef struct pma_stats_t {
  uint64_t generation;
  uint64_t arena_bytes;        /* committed high-water mark */
  uint64_t frontier_bytes;     /* current high-water mark (bump frontier) */
  uint64_t mapped_bytes;       /* image bytes currently mapped (file length) */
  uint64_t bytes_in_use;       /* sum of live block sizes (rounded to class / pages) */
  uint64_t blocks_in_use;
  uint64_t free_run_pages;     /* pages in free runs */
  uint64_t slab_pages;
  uint64_t large_pages;
  uint64_t reserve_pages;      /* pages reserved for future slabs */
  uint64_t side_pages;         /* page-table + slab-bitmap pages */
  uint64_t dirty_pages;        /* dirty in this generation */
  uint64_t dirty_runs;         /* mprotect calls that made pages writable this generation */
  uint64_t implicit_dirty_faults;
  uint64_t alloc_since_gc;     /* bytes */
  uint64_t live_after_gc;      /* bytes */
  uint64_t gc_count;
  uint64_t commits;            /* commits by this handle */
  uint64_t barriers;           /* fdatasync calls by this handle */
  uint64_t punched_pages;      /* pages released by pma_trim */
  uint32_t poisoned;
  uint32_t strict;
  uint64_t ephemeral_bytes;    /* bitmaps held in memory (touched size estimate) */
  uint32_t open_mode;          /* 1 while the mapping budget is exceeded (whole arena writable) */
  uint32_t pad;
  uint64_t open_mode_pages;    /* pages found dirty through /proc/self/pagemap (cumulative) */
} pma_stats_t;

typedef struct pma_check_report {
  uint64_t errors;             /* number of invariant violations found */
  uint64_t pages_checked;
  uint64_t blocks;
  char first_error[256];       /* description of the first violation, "" if none */
} pma_check_report;

/* Raw description of the on-disk state, for `mars pma inspect`.  Works on a
   closed directory (does not map or lock). */
typedef struct pma_slot_info {
  int32_t state;       /* 0 zero, 1 valid, 2 corrupt, 3 missing/short */
  uint32_t slot;
  uint64_t generation;
  uint64_t event;
  uint64_t epoch;
  uint32_t kernel_mug;
  uint32_t version_major;
  uint64_t arena_bytes;
  uint64_t base;
  uint64_t reserve_bytes;
  uint64_t roots[PMA_NROOTS];
  char why[96];        /* reason when corrupt */
} pma_slot_info;

typedef struct pma_inspect_info {
  pma_slot_info slots[2];
  int32_t wal_state;   /* 0 absent/retired, 1 valid, 2 invalid */
  uint32_t pad;
  uint64_t wal_generation;
  uint64_t wal_base_generation;
  uint64_t wal_pages;
  uint64_t wal_bytes;  /* file length */
  uint64_t image_bytes;  /* file length */
  char wal_why[96];
} pma_inspect_info;

int pma_open(const char *dir, const pma_opts *opts, pma **out);
int pma_close(pma *p);
/* Last error message (file, slot, generation involved) for this thread. */
const char *pma_last_message(void);

int pma_roots(const pma *p, uint64_t roots[PMA_NROOTS], pma_meta *meta);
void pma_root_set(pma *p, unsigned slot, uint64_t value);

void *pma_alloc(pma *p, size_t bytes);
void pma_free(pma *p, void *block);
size_t pma_block_size(const pma *p, const void *block);
int pma_dirty(pma *p, void *addr, size_t len);
void pma_alloc_mode(pma *p, unsigned mode);
void pma_bounds(const pma *p, uintptr_t *base, uintptr_t *limit);

int pma_commit(pma *p, uint64_t event, uint64_t epoch, uint32_t kernel_mug,
               pma_commit_stats *stats);

int pma_gc_begin(pma *p, pma_mark_view *view);
int pma_gc_mark(pma *p, const void *block);
int pma_gc_sweep(pma *p, pma_gc_stats *stats);
int pma_trim(pma *p);

int pma_fault(pma *p, void *addr);
/* Same, for any open handle (registry of up to 16 handles). */
int pma_fault_any(void *addr);
int pma_stats(const pma *p, pma_stats_t *out);
int pma_check(pma *p, unsigned flags, pma_check_report *out);
int pma_inspect(const char *dir, pma_inspect_info *out);
int pma_last_error(void);
const char *pma_error_string(int code);

/* XXH64 (exposed for tests). */
uint64_t pma_xxh64(const void *data, size_t len, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
