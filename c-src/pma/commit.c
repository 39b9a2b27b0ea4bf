/* The commit protocol (design 4.6). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pma_int.h"

#define MAX_WRITE (8ull << 20)

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct pagelist {
  uint32_t *v;
  size_t n, cap;
} pagelist;

static int pl_push(pagelist *l, uint64_t pg) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 1024;
    uint32_t *nv = realloc(l->v, nc * sizeof *nv);
    if (nv == NULL) return -1;
    l->v = nv;
    l->cap = nc;
  }
  l->v[l->n++] = (uint32_t)pg;
  return 0;
}

/* Write the pages of `l` from memory to fd; consecutive pages are coalesced.
   wal_off == UINT64_MAX: each page goes to its own image offset; otherwise pages
   go consecutively from wal_off. `stop_after` (fault injection) stops early. */
static int write_pages(pma *p, int fd, const pagelist *l, uint64_t wal_off, size_t stop_after,
                       uint64_t *bytes) {
  size_t i = 0;
  while (i < l->n && i < stop_after) {
    size_t j = i + 1;
    while (j < l->n && j < stop_after && l->v[j] == l->v[j - 1] + 1 &&
           (uint64_t)(j - i) * PAGE < MAX_WRITE)
      j++;
    uint64_t off = wal_off == UINT64_MAX ? (uint64_t)l->v[i] * PAGE : wal_off + (uint64_t)i * PAGE;
    const void *src = (const void *)(uintptr_t)(p->base + (uint64_t)l->v[i] * PAGE);
    if (pma_write_full(fd, src, (size_t)((j - i) * PAGE), off) != 0) return -1;
    *bytes += (uint64_t)(j - i) * PAGE;
    i = j;
  }
  return 0;
}

static int fail(pma *p, int code, const char *what, uint64_t gen) {
  p->poisoned = 1;
  return pma_set_error(code, "%s: commit of generation %llu failed at %s: %s (handle poisoned)",
                       p->dir, (unsigned long long)gen, what, strerror(errno));
}

static int io_code(void) { return errno == ENOSPC || errno == EDQUOT ? PMA_E_NOSPC : PMA_E_IO; }

#ifdef PMA_FAULT_INJECTION
static int crash_wanted(int k) {
  const char *s = getenv("MARS_PMA_CRASH_AT");
  return s != NULL && atoi(s) == k;
}
#endif

int pma_commit(pma *p, uint64_t event, uint64_t epoch, uint32_t kernel_mug,
               pma_commit_stats *stats) {
  if (p == NULL) return pma_set_error(PMA_E_BADARG, "pma_commit: null handle");
  if (p->poisoned) return pma_set_error(PMA_E_POISONED, "%s: handle is poisoned", p->dir);
  if (p->in_gc) return pma_set_error(PMA_E_BADARG, "%s: commit during GC", p->dir);
  if (event < p->sb.event)
    return pma_set_error(PMA_E_BADARG, "%s: event %llu is below the committed event %llu", p->dir,
                         (unsigned long long)event, (unsigned long long)p->sb.event);
  uint64_t t0 = mono_ns();
  uint64_t G = p->sb.generation;
  pma_commit_stats cs;
  memset(&cs, 0, sizeof cs);
  uint64_t barriers0 = p->barriers;
  heapdesc *hd = HD(p);
  uint64_t frontier = hd->frontier;

  /* 1. Gather. */
  pagelist fresh = {0}, wal = {0}, all = {0};
  int rc = PMA_OK;
  int was_open = p->open_mode;
  if (was_open && pma_pagemap_scan(p) != PMA_OK) {
    p->poisoned = 1;
    return pma_last_error();
  }
  uint64_t limit = p->mapped / PAGE;
  uint64_t swords = (limit + 4095) / 4096;
  for (uint64_t sw = 0; sw < swords; sw++) {
    uint64_t s = p->summary[sw];
    while (s != 0) {
      uint64_t dw = sw * 64 + (uint64_t)__builtin_ctzll(s);
      s &= s - 1;
      uint64_t d = p->dirty[dw];
      while (d != 0) {
        uint64_t pg = dw * 64 + (uint64_t)__builtin_ctzll(d);
        d &= d - 1;
        if (pl_push(&all, pg) != 0) goto nomem;
        uint8_t k = pg < frontier ? PTE(p, pg)->kind : K_UNUSED;
        if (k == K_FREE_HEAD || k == K_FREE_BODY || k == K_FREE_TAIL || k == K_RESERVE ||
            k == K_UNUSED) {
          cs.skipped_free++;
          continue;
        }
        int is_fresh = !(p->flags & PMA_O_NO_FRESH_DIRECT) &&
                       (pg >= p->committed_pages || bit_get(p->fresh, pg));
        if (pl_push(is_fresh ? &fresh : &wal, pg) != 0) goto nomem;
      }
    }
  }
  if (fresh.n == 0 && wal.n == 0 && memcmp(p->roots, p->sb.roots, sizeof p->roots) == 0 &&
      event == p->sb.event && epoch == p->sb.epoch && kernel_mug == (uint32_t)p->sb.kernel_mug &&
      frontier * PAGE == p->sb.arena_bytes) {
    /* nothing to make durable; drop anonymous copies of free pages */
    goto rearm;
  }
  CRASH_POINT(1);

  /* 2. Build S'. */
  superblock ns = p->sb;
  ns.generation = G + 1;
  ns.arena_bytes = frontier * PAGE;
  ns.event = event;
  ns.epoch = epoch;
  ns.kernel_mug = kernel_mug;
  memcpy(ns.roots, p->roots, sizeof ns.roots);
  ns.commit_ns = real_ns();
  ns.slot = (unsigned)((G + 2) % 2);
  ns.checksum = pma_sb_checksum(&ns);

  /* 3. Fresh pages straight into the image. */
  if (write_pages(p, p->img_fd, &fresh, UINT64_MAX, fresh.n, &cs.bytes_written) != 0) {
    rc = fail(p, io_code(), "writing fresh pages to pma.img", G + 1);
    goto out;
  }
  CRASH_POINT(2);

  /* 4. WAL body: index and payloads. */
  uint64_t n = wal.n;
  uint64_t idx_bytes = n * sizeof(wal_entry);
  uint64_t idx_pad = (idx_bytes + PAGE - 1) / PAGE * PAGE;
  wal_entry *idx = NULL;
#ifdef PMA_FAULT_INJECTION
  pma_power_truncate(p->wal_fd);
#endif
  if (ftruncate(p->wal_fd, 0) != 0) {
    rc = fail(p, io_code(), "truncating pma.wal", G + 1);
    goto out;
  }
  if (n > 0) {
    idx = calloc(1, (size_t)idx_pad);
    if (idx == NULL) goto nomem;
    for (uint64_t i = 0; i < n; i++) {
      idx[i].page = wal.v[i];
      idx[i].xxh = pma_xxh64((const void *)(uintptr_t)(p->base + (uint64_t)wal.v[i] * PAGE), PAGE, 0);
    }
    if (pma_write_full(p->wal_fd, idx, (size_t)idx_pad, WAL_INDEX_OFF) != 0 ||
        write_pages(p, p->wal_fd, &wal, WAL_INDEX_OFF + idx_pad, wal.n, &cs.bytes_written) != 0) {
      free(idx);
      rc = fail(p, io_code(), "writing pma.wal", G + 1);
      goto out;
    }
    cs.bytes_written += idx_pad;
  }
  CRASH_POINT(3);

  /* 5. Barrier 1. */
  if ((fresh.n > 0 || p->img_grew) && pma_sync(p, p->img_fd) != 0) {
    free(idx);
    rc = fail(p, PMA_E_IO, "fdatasync(pma.img) (barrier 1)", G + 1);
    goto out;
  }
  if (n > 0 && pma_sync(p, p->wal_fd) != 0) {
    free(idx);
    rc = fail(p, PMA_E_IO, "fdatasync(pma.wal) (barrier 1)", G + 1);
    goto out;
  }
  CRASH_POINT(4);

  /* 6. Barrier 2: WAL header, the commit point. */
  {
    wal_header *h = calloc(1, sizeof *h);
    if (h == NULL) {
      free(idx);
      goto nomem;
    }
    memcpy(h->magic, WAL_MAGIC, 8);
    h->major = 1;
    h->minor = 0;
    memcpy(h->uuid, p->uuid, 16);
    h->new_gen = G + 1;
    h->base_gen = G;
    h->npages = n;
    h->index_xxh = pma_xxh64(idx != NULL ? (const void *)idx : (const void *)"", (size_t)idx_bytes, 0);
    h->nfresh = fresh.n;
    memcpy(h->sb, &ns, SB_BYTES);
    h->checksum = pma_xxh64(h, WAL_HDR_BYTES - 8, 0);
    free(idx);
#ifdef PMA_FAULT_INJECTION
    if (crash_wanted(5)) {
      if (pma_write_full(p->wal_fd, h, WAL_HDR_BYTES / 2, 0) == 0) CRASH_POINT(5);
    }
#endif
    int wr = pma_write_full(p->wal_fd, h, WAL_HDR_BYTES, 0);
    free(h);
    if (wr == 0) CRASH_POINT(19); /* header written, barrier 2 not yet complete */
    if (wr != 0 || pma_sync(p, p->wal_fd) != 0) {
      rc = fail(p, io_code(), "writing the pma.wal header (barrier 2)", G + 1);
      goto out;
    }
    cs.bytes_written += WAL_HDR_BYTES;
  }
  CRASH_POINT(6);

  /* 7. Apply overwrite pages to the image. */
  {
    size_t stop = wal.n;
#ifdef PMA_FAULT_INJECTION
    if (crash_wanted(7)) stop = wal.n / 2;
#endif
    if (write_pages(p, p->img_fd, &wal, UINT64_MAX, stop, &cs.bytes_written) != 0) {
      rc = fail(p, io_code(), "applying pages to pma.img", G + 1);
      goto out;
    }
    CRASH_POINT(7);
    if (stop < wal.n) {
      pagelist rest = {wal.v + stop, wal.n - stop, 0};
      if (write_pages(p, p->img_fd, &rest, UINT64_MAX, rest.n, &cs.bytes_written) != 0) {
        rc = fail(p, io_code(), "applying pages to pma.img", G + 1);
        goto out;
      }
    }
  }
  CRASH_POINT(8);

  /* 8. Barrier 3. */
  if (n > 0 && pma_sync(p, p->img_fd) != 0) {
    rc = fail(p, PMA_E_IO, "fdatasync(pma.img) (barrier 3)", G + 1);
    goto out;
  }
  CRASH_POINT(9);

  /* 9. Barrier 4: the checkpoint superblock. */
#ifdef PMA_FAULT_INJECTION
  if (crash_wanted(10)) {
    if (pma_write_full(p->img_fd, &ns, SB_BYTES / 2, (uint64_t)ns.slot * PAGE) == 0)
      CRASH_POINT(10);
  }
#endif
  if (pma_write_full(p->img_fd, &ns, SB_BYTES, (uint64_t)ns.slot * PAGE) != 0) {
    rc = fail(p, io_code(), "writing the superblock", G + 1);
    goto out;
  }
  CRASH_POINT(11);
  if (pma_sync(p, p->img_fd) != 0) {
    rc = fail(p, PMA_E_IO, "fdatasync(pma.img) (barrier 4)", G + 1);
    goto out;
  }
  cs.bytes_written += SB_BYTES;
  CRASH_POINT(12);

  /* 10. Retire the WAL (no barrier). */
  {
    static const char zero[8] = {0};
    if (pma_write_full(p->wal_fd, zero, 8, 0) != 0) {
      rc = fail(p, PMA_E_IO, "retiring pma.wal", G + 1);
      goto out;
    }
  }
  CRASH_POINT(13);

  p->sb = ns;
  p->committed_pages = frontier;
  p->img_grew = 0;
  p->commits++;

rearm:
  /* 11. Re-arm: remap dirty runs from the image (drops private copies, merges mappings). */
  if (was_open) {
    /* open mode: one mapping for the whole arena, read-only again */
    if (mmap((void *)(uintptr_t)p->base, (size_t)p->mapped, PROT_READ, MAP_PRIVATE | MAP_FIXED,
             p->img_fd, 0) == MAP_FAILED) {
      rc = fail(p, PMA_E_NOMEM, "remapping the arena after open mode", G + 1);
      goto out;
    }
    p->open_mode = 0;
    all.n = 0; /* bits are cleared below from the list; clear them all instead */
    for (uint64_t w = 0; w < (limit + 63) / 64; w++) {
      p->dirty[w] = 0;
      p->fresh[w] = 0;
    }
  }
  {
    size_t i = 0;
    while (i < all.n) {
      size_t j = i + 1;
      while (j < all.n && all.v[j] == all.v[j - 1] + 1) j++;
      uint64_t start = all.v[i], len = (uint64_t)(j - i);
      if (mmap((void *)(uintptr_t)(p->base + start * PAGE), (size_t)(len * PAGE), PROT_READ,
               MAP_PRIVATE | MAP_FIXED, p->img_fd, (off_t)(start * PAGE)) == MAP_FAILED) {
        rc = fail(p, PMA_E_NOMEM, "remapping dirty pages", G + 1);
        goto out;
      }
      for (uint64_t k = start; k < start + len; k++) {
        p->dirty[k >> 6] &= ~(1ull << (k & 63));
        p->fresh[k >> 6] &= ~(1ull << (k & 63));
      }
      i = j;
    }
    for (uint64_t sw = 0; sw < swords; sw++) p->summary[sw] = 0;
    p->dirty_pages = 0;
    p->dirty_runs = 0;
  }
  cs.generation = p->sb.generation;
  cs.fresh_pages = fresh.n;
  cs.wal_pages = wal.n;
  cs.barriers = p->barriers - barriers0;
  cs.nanos = mono_ns() - t0;
  if (stats != NULL) *stats = cs;
out:
  free(fresh.v);
  free(wal.v);
  free(all.v);
  return rc;
nomem:
  free(fresh.v);
  free(wal.v);
  free(all.v);
  return pma_set_error(PMA_E_NOMEM, "%s: commit: out of memory", p->dir);
}
