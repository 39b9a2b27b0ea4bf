/* Garbage collection (side-bitmap mark, sweep), trim, check and stats. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pma_int.h"

void pma_slab_after_free(pma *p, uint64_t pg);
void pma_partial_push(pma *p, uint64_t s);

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pma_gc_begin(pma *p, pma_mark_view *view) {
  if (p == NULL || view == NULL) return pma_set_error(PMA_E_BADARG, "pma_gc_begin: null argument");
  if (p->poisoned) return pma_set_error(PMA_E_POISONED, "%s: handle is poisoned", p->dir);
  if (p->in_gc) return pma_set_error(PMA_E_BADARG, "%s: GC already in progress", p->dir);
  uint64_t words = HD(p)->frontier * (PAGE / 8);
  size_t bytes = (size_t)((words + 63) / 64 * 8);
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (m == MAP_FAILED) return pma_set_error(PMA_E_NOMEM, "%s: mark bitmap: %s", p->dir, strerror(errno));
  p->mark = m;
  p->mark_bytes = bytes;
  p->mark_words = words;
  p->in_gc = 1;
  view->bits = p->mark;
  view->base = p->base;
  view->nwords = words;
  return PMA_OK;
}

int pma_gc_mark(pma *p, const void *block) {
  if (p == NULL || !p->in_gc) return 0;
  uint64_t a = (uint64_t)(uintptr_t)block;
  if (a < p->base || (a & 7) != 0) return 0;
  uint64_t w = (a - p->base) / 8;
  if (w >= p->mark_words) return 0;
  uint64_t bit = 1ull << (w & 63);
  if (p->mark[w >> 6] & bit) return 0;
  p->mark[w >> 6] |= bit;
  return 1;
}

static int marked(const pma *p, uint64_t addr) {
  uint64_t w = (addr - p->base) / 8;
  return w < p->mark_words && ((p->mark[w >> 6] >> (w & 63)) & 1u);
}

int pma_gc_sweep(pma *p, pma_gc_stats *stats) {
  if (p == NULL || !p->in_gc) return pma_set_error(PMA_E_BADARG, "pma_gc_sweep without pma_gc_begin");
  uint64_t t0 = mono_ns();
  pma_gc_stats gs;
  memset(&gs, 0, sizeof gs);
  uint64_t dirty0 = p->dirty_pages;
  heapdesc *hd = HD(p);
  uint64_t fr = hd->frontier, g = pma_cur_gen(p);
  uint64_t i = META_PAGES;
  while (i < fr) {
    pte e = *PTE(p, i);
    if (e.kind == K_SLAB && e.cls < NCLASS) {
      uint64_t sz = pma_class_size[e.cls], nslots = pma_slab_slots(e.cls);
      uint64_t *bm = SLABBM(p, i);
      uint64_t nb[BM_BYTES / 8];
      uint64_t live = 0, freed = 0;
      for (unsigned w = 0; w < BM_BYTES / 8; w++) {
        uint64_t bits = bm[w], keep = 0;
        while (bits != 0) {
          uint64_t b = (uint64_t)__builtin_ctzll(bits);
          bits &= bits - 1;
          uint64_t slot = (uint64_t)w * 64 + b;
          if (slot < nslots && marked(p, p->base + i * PAGE + slot * sz)) {
            keep |= 1ull << b;
            live++;
          } else {
            freed++;
          }
        }
        nb[w] = keep;
      }
      gs.blocks_live += live;
      gs.bytes_live += live * sz;
      if (freed > 0) {
        uint64_t pg = ((uint64_t)(uintptr_t)bm - p->base) / PAGE;
        if (!bit_get(p->dirty, pg)) pma_dirty_pages(p, pg, 1);
        memcpy(bm, nb, sizeof nb);
        e.nfree = (uint16_t)(nslots - live);
        pma_pte_write(p, i, &e);
        gs.blocks_freed += freed;
        gs.bytes_freed += freed * sz;
        uint8_t before = PTE(p, i)->kind;
        pma_slab_after_free(p, i);
        if (before == K_SLAB && PTE(p, i)->kind != K_SLAB) gs.pages_released++;
      }
      i++;
    } else if (e.kind == K_LARGE_HEAD && e.len >= 1) {
      uint64_t len = e.len;
      if (marked(p, p->base + i * PAGE)) {
        gs.blocks_live++;
        gs.bytes_live += len * PAGE;
      } else {
        gs.blocks_freed++;
        gs.bytes_freed += len * PAGE;
        gs.pages_released += len;
        pma_free_run(p, i, len, g);
      }
      i += len;
    } else {
      i++;
    }
  }
  pma_hd_dirty(p);
  hd->bytes_in_use = gs.bytes_live;
  hd->blocks_in_use = gs.blocks_live;
  hd->live_after_gc = gs.bytes_live;
  hd->alloc_since_gc = 0;
  hd->gc_count++;
  munmap(p->mark, p->mark_bytes);
  p->mark = NULL;
  p->mark_bytes = 0;
  p->mark_words = 0;
  p->in_gc = 0;
  gs.side_pages_dirtied = p->dirty_pages - dirty0;
  gs.nanos = mono_ns() - t0;
  if (stats != NULL) *stats = gs;
  return PMA_OK;
}

/* Punch holes for free runs of >= 64 pages that were already free at the last commit. */
int pma_trim(pma *p) {
  if (p == NULL) return PMA_E_BADARG;
  if (p->poisoned) return pma_set_error(PMA_E_POISONED, "%s: handle is poisoned", p->dir);
  if (p->open_mode) return PMA_OK; /* dirty bits are incomplete until the next commit */
  heapdesc *hd = HD(p);
  for (unsigned b = 6; b < NBUCKET; b++) {
    uint64_t h = hd->bucket[b];
    unsigned guard = 0;
    while (h != 0 && h < hd->frontier && ++guard < 10000000u) {
      pte e = *PTE(p, h);
      if (e.kind != K_FREE_HEAD) break;
      uint64_t next = (uint32_t)e.aux;
      uint64_t gen = e.len >= 2 ? PTE(p, h + e.len - 1)->aux : GEN_UNKNOWN;
      if (e.len >= 64 && !(e.cls & FREE_PUNCHED) && gen != GEN_UNKNOWN && gen <= p->sb.generation) {
        int clean = 1;
        for (uint64_t k = h; k < h + e.len && clean; k++) clean = !bit_get(p->dirty, k);
        if (clean) {
          if (fallocate(p->img_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(h * PAGE),
                        (off_t)((uint64_t)e.len * PAGE)) != 0) {
            if (errno == EOPNOTSUPP) return PMA_OK; /* filesystem cannot punch: nothing to do */
            return pma_set_error(PMA_E_IO, "%s/pma.img: punch hole: %s", p->dir, strerror(errno));
          }
          if (mmap((void *)(uintptr_t)(p->base + h * PAGE), (size_t)((uint64_t)e.len * PAGE),
                   PROT_READ, MAP_PRIVATE | MAP_FIXED, p->img_fd, (off_t)(h * PAGE)) == MAP_FAILED) {
            p->poisoned = 1;
            return pma_set_error(PMA_E_NOMEM, "%s: remap after punch: %s", p->dir, strerror(errno));
          }
          p->punched += e.len;
          e.cls |= FREE_PUNCHED;
          pma_pte_write(p, h, &e);
        }
      }
      h = next;
    }
  }
  return PMA_OK;
}

int pma_stats(const pma *p, pma_stats_t *out) {
  if (p == NULL || out == NULL) return PMA_E_BADARG;
  memset(out, 0, sizeof *out);
  const heapdesc *hd = HD(p);
  out->generation = p->sb.generation;
  out->arena_bytes = p->sb.arena_bytes;
  out->frontier_bytes = hd->frontier * PAGE;
  out->mapped_bytes = p->mapped;
  out->bytes_in_use = hd->bytes_in_use;
  out->blocks_in_use = hd->blocks_in_use;
  for (uint64_t i = 0; i < hd->frontier; i++) {
    switch (PTE(p, i)->kind) {
    case K_FREE_HEAD:
    case K_FREE_BODY:
    case K_FREE_TAIL: out->free_run_pages++; break;
    case K_SLAB: out->slab_pages++; break;
    case K_LARGE_HEAD:
    case K_LARGE_BODY: out->large_pages++; break;
    case K_RESERVE: out->reserve_pages++; break;
    case K_SIDE: out->side_pages++; break;
    default: break;
    }
  }
  out->dirty_pages = p->dirty_pages;
  out->dirty_runs = p->dirty_runs;
  out->implicit_dirty_faults = p->implicit_faults;
  out->alloc_since_gc = hd->alloc_since_gc;
  out->live_after_gc = hd->live_after_gc;
  out->gc_count = hd->gc_count;
  out->commits = p->commits;
  out->barriers = p->barriers;
  out->punched_pages = p->punched;
  out->poisoned = (uint32_t)p->poisoned;
  out->strict = (p->flags & PMA_O_STRICT) ? 1u : 0u;
  out->open_mode = (uint32_t)p->open_mode;
  out->open_mode_pages = p->open_mode_entries;
  out->ephemeral_bytes = (hd->frontier + 7) / 8 * 2 + p->mark_bytes;
  return PMA_OK;
}

/* ---------- check ---------- */

typedef struct ck {
  pma_check_report *r;
} ck;

static void bad(ck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(ck *c, const char *fmt, ...) {
  if (c->r->errors++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->r->first_error, sizeof c->r->first_error, fmt, ap);
    va_end(ap);
  }
}

int pma_check(pma *p, unsigned flags, pma_check_report *out) {
  if (p == NULL || out == NULL) return PMA_E_BADARG;
  memset(out, 0, sizeof *out);
  ck c = {out};
  const heapdesc *hd = HD(p);
  uint64_t fr = hd->frontier;
  if (fr * PAGE > p->mapped || hd->cap < fr) {
    bad(&c, "frontier %llu pages beyond mapping or capacity", (unsigned long long)fr);
    return PMA_OK;
  }
  uint64_t runs_found = 0, slabs_on_list = 0, bytes = 0, blocks = 0, free_pages_dirty = 0;
  uint64_t i = 0;
  int prev_free = 0;
  while (i < fr) {
    pte e = *PTE(p, i);
    out->pages_checked++;
    if (i < META_PAGES) {
      if (e.kind != K_META) bad(&c, "page %llu should be META, kind %u", (unsigned long long)i, e.kind);
      i++;
      prev_free = 0;
      continue;
    }
    if ((i >= hd->pt_page && i < hd->pt_page + hd->pt_pages) ||
        (i >= hd->bm_page && i < hd->bm_page + hd->bm_pages)) {
      if (e.kind != K_SIDE) bad(&c, "side-table page %llu has kind %u", (unsigned long long)i, e.kind);
      i++;
      prev_free = 0;
      continue;
    }
    switch (e.kind) {
    case K_SIDE:
      bad(&c, "page %llu marked SIDE outside the side tables", (unsigned long long)i);
      i++;
      break;
    case K_FREE_HEAD: {
      uint64_t len = e.len;
      if (len == 0 || i + len > fr) {
        bad(&c, "free run at %llu has bad length %llu", (unsigned long long)i, (unsigned long long)len);
        i++;
        break;
      }
      if (prev_free) bad(&c, "free run at %llu not coalesced with its left neighbour", (unsigned long long)i);
      for (uint64_t k = i + 1; k + 1 < i + len; k++)
        if (PTE(p, k)->kind != K_FREE_BODY) {
          bad(&c, "page %llu inside free run %llu has kind %u", (unsigned long long)k,
              (unsigned long long)i, PTE(p, k)->kind);
          break;
        }
      if (len > 1) {
        const pte *t = PTE(p, i + len - 1);
        if (t->kind != K_FREE_TAIL || t->len != len)
          bad(&c, "free run at %llu: tail mismatch", (unsigned long long)i);
      }
      if (flags & PMA_CHECK_DATA)
        for (uint64_t k = i; k < i + len; k++) free_pages_dirty += (uint64_t)bit_get(p->dirty, k);
      runs_found++;
      i += len;
      prev_free = 1;
      continue;
    }
    case K_LARGE_HEAD: {
      uint64_t len = e.len;
      if (len == 0 || i + len > fr) {
        bad(&c, "large run at %llu has bad length %llu", (unsigned long long)i, (unsigned long long)len);
        i++;
        break;
      }
      for (uint64_t k = 1; k < len; k++) {
        const pte *b = PTE(p, i + k);
        if (b->kind != K_LARGE_BODY || b->len != k) {
          bad(&c, "page %llu inside large run %llu is inconsistent", (unsigned long long)(i + k),
              (unsigned long long)i);
          break;
        }
      }
      bytes += len * PAGE;
      blocks++;
      i += len;
      break;
    }
    case K_SLAB: {
      if (e.cls >= NCLASS) {
        bad(&c, "slab %llu has bad class %u", (unsigned long long)i, e.cls);
        i++;
        break;
      }
      uint64_t nslots = pma_slab_slots(e.cls), used = 0;
      const uint64_t *bm = SLABBM(p, i);
      for (unsigned w = 0; w < BM_BYTES / 8; w++) {
        uint64_t bits = bm[w];
        for (uint64_t b = 0; b < 64; b++)
          if ((bits >> b) & 1u) {
            if ((uint64_t)w * 64 + b >= nslots) {
              bad(&c, "slab %llu has bit %llu beyond its %llu slots", (unsigned long long)i,
                  (unsigned long long)(w * 64 + b), (unsigned long long)nslots);
            } else {
              used++;
            }
          }
      }
      if (used + e.nfree != nslots)
        bad(&c, "slab %llu: %llu used + %u free != %llu slots", (unsigned long long)i,
            (unsigned long long)used, e.nfree, (unsigned long long)nslots);
      if ((e.len & SLAB_CURRENT) && hd->cur[e.cls] != i)
        bad(&c, "slab %llu flagged current but cur[%u] = %u", (unsigned long long)i, e.cls, hd->cur[e.cls]);
      if (e.len & SLAB_ON_LIST) slabs_on_list++;
      if (used == 0 && !(e.len & SLAB_CURRENT))
        bad(&c, "empty slab %llu was not released", (unsigned long long)i);
      bytes += used * pma_class_size[e.cls];
      blocks += used;
      i++;
      break;
    }
    case K_RESERVE:
      if (i < hd->reserve_next || i >= hd->reserve_end)
        bad(&c, "reserve page %llu outside the reserve [%llu, %llu)", (unsigned long long)i,
            (unsigned long long)hd->reserve_next, (unsigned long long)hd->reserve_end);
      i++;
      break;
    default:
      bad(&c, "page %llu below the frontier has kind %u", (unsigned long long)i, e.kind);
      i++;
      break;
    }
    prev_free = 0;
  }
  for (uint64_t k = hd->reserve_next; k < hd->reserve_end && k < fr; k++)
    if (PTE(p, k)->kind != K_RESERVE) {
      bad(&c, "reserve page %llu has kind %u", (unsigned long long)k, PTE(p, k)->kind);
      break;
    }
  for (uint64_t k = fr; k < hd->cap; k++)
    if (PTE(p, k)->kind != K_UNUSED) {
      bad(&c, "page %llu beyond the frontier has kind %u", (unsigned long long)k, PTE(p, k)->kind);
      break;
    }
  /* free lists */
  uint64_t runs_listed = 0;
  for (unsigned b = 0; b < NBUCKET; b++) {
    uint64_t h = hd->bucket[b], prev = 0, guard = 0;
    while (h != 0) {
      if (h >= fr || ++guard > fr) {
        bad(&c, "free list %u broken at %llu", b, (unsigned long long)h);
        break;
      }
      const pte *e = PTE(p, h);
      if (e->kind != K_FREE_HEAD) {
        bad(&c, "free list %u holds page %llu of kind %u", b, (unsigned long long)h, e->kind);
        break;
      }
      unsigned want = 0;
      while (want < NBUCKET - 1 && ((uint64_t)e->len >> (want + 1)) != 0) want++;
      if (want != b) bad(&c, "run %llu of length %u in bucket %u", (unsigned long long)h, e->len, b);
      if ((uint32_t)(e->aux >> 32) != prev) bad(&c, "free run %llu has a bad back link", (unsigned long long)h);
      runs_listed++;
      prev = h;
      h = (uint32_t)e->aux;
    }
  }
  if (runs_listed != runs_found)
    bad(&c, "%llu free runs in the page table but %llu on the free lists",
        (unsigned long long)runs_found, (unsigned long long)runs_listed);
  uint64_t partial_listed = 0;
  for (unsigned k = 0; k < NCLASS; k++) {
    uint64_t h = hd->partial[k], prev = 0, guard = 0;
    while (h != 0) {
      if (h >= fr || ++guard > fr) {
        bad(&c, "partial list %u broken", k);
        break;
      }
      const pte *e = PTE(p, h);
      if (e->kind != K_SLAB || e->cls != k || !(e->len & SLAB_ON_LIST)) {
        bad(&c, "partial list %u holds bad page %llu", k, (unsigned long long)h);
        break;
      }
      if ((uint32_t)(e->aux >> 32) != prev) bad(&c, "slab %llu has a bad back link", (unsigned long long)h);
      partial_listed++;
      prev = h;
      h = (uint32_t)e->aux;
    }
    uint64_t cur = hd->cur[k];
    if (cur != 0 && (cur >= fr || PTE(p, cur)->kind != K_SLAB || PTE(p, cur)->cls != k ||
                     !(PTE(p, cur)->len & SLAB_CURRENT)))
      bad(&c, "current slab of class %u (page %llu) is invalid", k, (unsigned long long)cur);
  }
  if (partial_listed != slabs_on_list)
    bad(&c, "%llu slabs flagged on list, %llu listed", (unsigned long long)slabs_on_list,
        (unsigned long long)partial_listed);
  if (bytes != hd->bytes_in_use || blocks != hd->blocks_in_use)
    bad(&c, "counters say %llu bytes in %llu blocks, tables say %llu in %llu",
        (unsigned long long)hd->bytes_in_use, (unsigned long long)hd->blocks_in_use,
        (unsigned long long)bytes, (unsigned long long)blocks);
  (void)free_pages_dirty;
  out->blocks = blocks;
  return PMA_OK;
}
