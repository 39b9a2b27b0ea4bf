/* Internal definitions shared by the PMA translation units. */
#ifndef MARS_PMA_INT_H
#define MARS_PMA_INT_H

#include <stdint.h>
#include <stddef.h>

#include "pma.h"

#define SB_MAGIC "mars-pma"
#define WAL_MAGIC "mars-wal"
#define HD_MAGIC 0x3164682d7372616dull /* "mars-hd1" */
#define FMT_MAJOR 1u
#define FMT_MINOR 0u
#define SB_BYTES 512u
#define SB_SUMMED 504u
#define WAL_HDR_BYTES 4096u
#define WAL_INDEX_OFF ((uint64_t)PMA_PAGE)
#define NCLASS 26u
#define NBUCKET 64u
#define SLAB_MAX 8192u
#define RESERVE_RUN 64u
#define INIT_CAP 4096u   /* pages covered by the initial side tables (64 MiB) */
#define META_PAGES 3u    /* slot A, slot B, heap descriptor */
#define HD_PAGE 2u
#define PTE_BYTES 16u
#define BM_BYTES 128u
#define PAGE ((uint64_t)PMA_PAGE)
#define GEN_UNKNOWN UINT64_MAX

/* Page kinds in the page table. */
enum {
  K_UNUSED = 0,
  K_META = 1,
  K_SIDE = 2,
  K_FREE_HEAD = 3,
  K_FREE_BODY = 4,
  K_FREE_TAIL = 5,
  K_LARGE_HEAD = 6,
  K_LARGE_BODY = 7,
  K_SLAB = 8,
  K_RESERVE = 9,
};

/* Slab flags (pte.len of a slab page). */
#define SLAB_ON_LIST 1u
#define SLAB_CURRENT 2u
/* Free-run head flag (pte.cls of a free head). */
#define FREE_PUNCHED 1u

typedef struct pte {
  uint8_t kind;
  uint8_t cls;
  uint16_t nfree;
  uint32_t len;  /* run length (heads/tails), offset from head (large body), flags (slab) */
  uint64_t aux;  /* free head / slab: next | prev << 32; free tail: freed_gen */
} pte;

/* Superblock, exactly 512 bytes, little-endian. */
typedef struct superblock {
  char magic[8];
  uint16_t major, minor;
  uint32_t summed;
  uint32_t incompat;
  uint32_t compat;
  uint32_t page_size;
  uint32_t slot;
  uint8_t uuid[16];
  uint64_t generation;
  uint64_t base;
  uint64_t reserve;
  uint64_t arena_bytes;
  uint64_t heap_off;
  uint64_t event;
  uint64_t epoch;
  uint64_t kernel_mug;
  uint64_t roots[PMA_NROOTS];
  uint64_t commit_ns;
  char writer[32];
  uint8_t reserved[224];
  uint64_t checksum;
} superblock;

typedef struct wal_header {
  char magic[8];
  uint32_t major, minor;
  uint8_t uuid[16];
  uint64_t new_gen;
  uint64_t base_gen;
  uint64_t npages;
  uint64_t index_xxh;
  uint64_t nfresh;
  uint8_t sb[SB_BYTES];
  uint8_t pad[WAL_HDR_BYTES - 72 - SB_BYTES - 8];
  uint64_t checksum;
} wal_header;

typedef struct wal_entry {
  uint64_t page;
  uint64_t xxh;
} wal_entry;

/* Heap descriptor: arena page 2. */
typedef struct heapdesc {
  uint64_t magic;
  uint64_t frontier;      /* pages [0, frontier) have a kind; beyond is unused and zero */
  uint64_t cap;           /* pages covered by the side tables */
  uint64_t pt_page, pt_pages;
  uint64_t bm_page, bm_pages;
  uint64_t reserve_next, reserve_end;
  uint64_t bytes_in_use, blocks_in_use;
  uint64_t alloc_since_gc, live_after_gc, gc_count;
  uint64_t spare[8];
  uint32_t cur[NCLASS];
  uint32_t partial[NCLASS];
  uint32_t bucket[NBUCKET];
} heapdesc;

struct pma {
  int img_fd, wal_fd, dir_fd;
  char *dir;
  uint64_t base, reserve;
  uint8_t uuid[16];
  superblock sb;          /* committed superblock */
  uint64_t roots[PMA_NROOTS];
  uint64_t committed_pages; /* arena_bytes / PAGE of the committed state */
  uint64_t mapped;        /* bytes of image mapped (== file length) */
  int img_grew;           /* file length changed since the last commit */
  uint32_t flags;
  uint32_t max_dirty_runs;
  unsigned alloc_mode;
  int poisoned;
  int replayed;
  int in_gc;
  int open_mode;          /* mapping budget exceeded: whole arena writable, pagemap at commit */
  uint64_t open_mode_entries;
  /* ephemeral bitmaps (anonymous, MAP_NORESERVE), indexed by page */
  uint64_t *dirty;
  uint64_t *fresh;
  uint64_t *summary;      /* 1 bit per dirty word */
  size_t bm_words;        /* words in dirty / fresh */
  uint64_t *mark;
  size_t mark_bytes;
  uint64_t mark_words;
  /* counters */
  uint64_t dirty_pages, dirty_runs, implicit_faults, commits, barriers, punched;
};

extern const uint32_t pma_class_size[NCLASS];

/* error.c */
int pma_set_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* crash points (fault injection) */
#ifdef PMA_FAULT_INJECTION
void pma_crash_point(int k);
void pma_power_watch(int img_fd, int wal_fd);
void pma_power_before_write(int fd, uint64_t off, uint64_t len);
void pma_power_truncate(int fd);
void pma_power_synced(int fd);
#define CRASH_POINT(k) pma_crash_point(k)
#else
#define CRASH_POINT(k) ((void)0)
#endif

/* superblock helpers (open.c) */
uint64_t pma_sb_checksum(const superblock *sb);
int pma_write_full(int fd, const void *buf, size_t len, uint64_t off);
int pma_read_full(int fd, void *buf, size_t len, uint64_t off, size_t *got);
int pma_sync(pma *p, int fd);

/* alloc.c */
static inline heapdesc *HD(const pma *p) { return (heapdesc *)(uintptr_t)(p->base + HD_PAGE * PAGE); }
static inline pte *PTE(const pma *p, uint64_t i) {
  return (pte *)(uintptr_t)(p->base + HD(p)->pt_page * PAGE + i * PTE_BYTES);
}
static inline uint64_t *SLABBM(const pma *p, uint64_t i) {
  return (uint64_t *)(uintptr_t)(p->base + HD(p)->bm_page * PAGE + i * BM_BYTES);
}
static inline int bit_get(const uint64_t *b, uint64_t i) { return (int)((b[i >> 6] >> (i & 63)) & 1u); }
int pma_dirty_pages(pma *p, uint64_t first, uint64_t n);
int pma_ensure_mapped(pma *p, uint64_t bytes);
int pma_enter_open_mode(pma *p);
int pma_pagemap_scan(pma *p);
void pma_pte_write(pma *p, uint64_t i, const pte *v);
uint64_t pma_slab_slots(unsigned cls);
int pma_free_run(pma *p, uint64_t start, uint64_t n, uint64_t gen);
uint64_t pma_cur_gen(const pma *p);
void pma_hd_dirty(pma *p);

/* registry for pma_fault_any */
void pma_registry_add(pma *p);
void pma_registry_remove(pma *p);

#endif
