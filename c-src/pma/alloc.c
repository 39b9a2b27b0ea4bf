/* Dirty tracking, growth and the allocator (size classes, page runs, side tables). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pma_int.h"

const uint32_t pma_class_size[NCLASS] = {16,   24,   32,   48,   64,   80,   96,   128,  160,
                                         192,  256,  320,  384,  512,  640,  768,  1024, 1280,
                                         1536, 2048, 2560, 3072, 4096, 5120, 6144, 8192};

uint64_t pma_slab_slots(unsigned cls) { return PAGE / pma_class_size[cls]; }

static unsigned size_class(size_t bytes);
static uint8_t class_of_words[SLAB_MAX / 8 + 1];
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

static void class_init(void) {
  for (unsigned w = 0; w <= SLAB_MAX / 8; w++)
    class_of_words[w] = (uint8_t)size_class(w ? w * 8 : 8);
}

static unsigned class_fast(size_t bytes) {
  pthread_once(&class_once, class_init);
  return class_of_words[(bytes + 7) / 8];
}

static unsigned size_class(size_t bytes) {
  unsigned lo = 0, hi = NCLASS - 1;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    if (pma_class_size[mid] >= bytes)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

uint64_t pma_cur_gen(const pma *p) { return p->sb.generation + 1; }

/* ---------- dirty tracking ---------- */

static inline void set_dirty_bit(pma *p, uint64_t i) {
  p->dirty[i >> 6] |= 1ull << (i & 63);
  p->summary[i >> 12] |= 1ull << ((i >> 6) & 63);
}

/* Mark pages [first, first+n) dirty and writable.  Pages must be mapped. */
int pma_dirty_pages(pma *p, uint64_t first, uint64_t n) {
  uint64_t i = first, end = first + n;
  while (i < end) {
    if (bit_get(p->dirty, i)) {
      i++;
      continue;
    }
    uint64_t j = i;
    while (j < end && !bit_get(p->dirty, j)) j++;
    if (!p->open_mode && p->dirty_runs >= p->max_dirty_runs) {
      int rc = pma_enter_open_mode(p);
      if (rc != PMA_OK) return rc;
    }
    if (!p->open_mode && mprotect((void *)(uintptr_t)(p->base + i * PAGE),
                                  (size_t)((j - i) * PAGE), PROT_READ | PROT_WRITE) != 0) {
      if (errno != ENOMEM) {
        p->poisoned = 1;
        return pma_set_error(PMA_E_NOMEM,
                             "%s: mprotect of %llu dirty pages failed (%s); %llu dirty runs so far",
                             p->dir, (unsigned long long)(j - i), strerror(errno),
                             (unsigned long long)p->dirty_runs);
      }
      int rc = pma_enter_open_mode(p); /* out of kernel mappings */
      if (rc != PMA_OK) return rc;
    }
    for (uint64_t k = i; k < j; k++) set_dirty_bit(p, k);
    p->dirty_pages += j - i;
    p->dirty_runs++;
    i = j;
  }
  return PMA_OK;
}

void pma_hd_dirty(pma *p) {
  if (!bit_get(p->dirty, HD_PAGE)) pma_dirty_pages(p, HD_PAGE, 1);
}

int pma_dirty(pma *p, void *addr, size_t len) {
  if (p == NULL) return PMA_E_BADARG;
  if (len == 0) return PMA_OK;
  uint64_t a = (uint64_t)(uintptr_t)addr;
  uint64_t fr = HD(p)->frontier;
  if (a < p->base + META_PAGES * PAGE || a + len < a || a + len > p->base + fr * PAGE)
    return pma_set_error(PMA_E_BADARG, "pma_dirty: range 0x%llx+%zu outside the arena",
                         (unsigned long long)a, len);
  uint64_t first = (a - p->base) / PAGE, last = (a + len - 1 - p->base) / PAGE;
  return pma_dirty_pages(p, first, last - first + 1);
}

int pma_fault(pma *p, void *addr) {
  if (p == NULL) return 0;
  uint64_t a = (uint64_t)(uintptr_t)addr;
  if (a < p->base + HD_PAGE * PAGE || a >= p->base + p->mapped) return 0;
  uint64_t i = (a - p->base) / PAGE;
  if (p->open_mode) return 0;          /* everything is writable: not a dirty-tracking fault */
  if (bit_get(p->dirty, i)) return 0; /* already writable: not a dirty-tracking fault */
  if (p->flags & PMA_O_STRICT) {
    static const char msg[] = "pma: strict mode: write to a clean arena page without pma_dirty\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    abort();
  }
  if (pma_dirty_pages(p, i, 1) != PMA_OK) return 0;
  p->implicit_faults++;
  return 1;
}

/* ---------- open mode (design 4.5 mapping budget) ---------- */

/* Make the whole mapped arena writable with one call; from now on the dirty set is the
   bitmap plus every privately copied page that /proc/self/pagemap reports (at commit). */
int pma_enter_open_mode(pma *p) {
  if (p->open_mode) return PMA_OK;
  if (access("/proc/self/pagemap", R_OK) != 0)
    return pma_set_error(PMA_E_NOMEM, "%s: mapping budget exceeded and no pagemap: %s", p->dir,
                         strerror(errno));
  if (mprotect((void *)(uintptr_t)p->base, (size_t)p->mapped, PROT_READ | PROT_WRITE) != 0) {
    p->poisoned = 1;
    return pma_set_error(PMA_E_NOMEM, "%s: entering open mode: mprotect: %s", p->dir,
                         strerror(errno));
  }
  p->open_mode = 1;
  return PMA_OK;
}

/* Open mode, at commit: mark every arena page with a private (anonymous) or swapped OS page. */
int pma_pagemap_scan(pma *p) {
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return pma_set_error(PMA_E_IO, "pagemap: %s", strerror(errno));
  uint64_t os = (uint64_t)sysconf(_SC_PAGESIZE), per = PAGE / os;
  uint64_t npages = p->mapped / PAGE;
  enum { CHUNK = 8192 };
  uint64_t *buf = malloc(CHUNK * sizeof *buf);
  if (buf == NULL) {
    close(fd);
    return pma_set_error(PMA_E_NOMEM, "pagemap buffer");
  }
  uint64_t first = p->base / os, total = npages * per;
  int rc = PMA_OK;
  for (uint64_t done = 0; done < total;) {
    uint64_t n = total - done < CHUNK ? total - done : CHUNK;
    size_t got = 0;
    if (pma_read_full(fd, buf, (size_t)(n * 8), (first + done) * 8, &got) != 0 || got != n * 8) {
      rc = pma_set_error(PMA_E_IO, "pagemap read: %s", strerror(errno));
      break;
    }
    for (uint64_t k = 0; k < n; k++) {
      uint64_t e = buf[k];
      int present = (int)((e >> 63) & 1u), swapped = (int)((e >> 62) & 1u);
      int file = (int)((e >> 61) & 1u);
      if ((present && !file) || swapped) {
        uint64_t pg = (done + k) / per;
        if (!bit_get(p->dirty, pg)) {
          p->dirty[pg >> 6] |= 1ull << (pg & 63);
          p->summary[pg >> 12] |= 1ull << ((pg >> 6) & 63);
          p->dirty_pages++;
          p->open_mode_entries++;
        }
      }
    }
    done += n;
  }
  free(buf);
  close(fd);
  return rc;
}

/* ---------- growth ---------- */

/* Make sure the image is at least `bytes` long and mapped. */
int pma_ensure_mapped(pma *p, uint64_t bytes) {
  if (bytes <= p->mapped) return PMA_OK;
  if (bytes > p->reserve)
    return pma_set_error(PMA_E_NOSPC, "%s: arena reservation of %llu bytes exhausted", p->dir,
                         (unsigned long long)p->reserve);
  uint64_t step = p->mapped / 8;
  if (step < (64ull << 20)) step = 64ull << 20;
  uint64_t want = p->mapped + step;
  if (want < bytes) want = bytes;
  want = (want + PAGE - 1) / PAGE * PAGE;
  if (want > p->reserve) want = p->reserve;
  if (ftruncate(p->img_fd, (off_t)want) != 0)
    return pma_set_error(errno == ENOSPC || errno == EFBIG ? PMA_E_NOSPC : PMA_E_IO,
                         "%s/pma.img: grow to %llu: %s", p->dir, (unsigned long long)want,
                         strerror(errno));
  if (mmap((void *)(uintptr_t)(p->base + p->mapped), (size_t)(want - p->mapped),
           p->open_mode ? PROT_READ | PROT_WRITE : PROT_READ,
           MAP_PRIVATE | MAP_FIXED, p->img_fd, (off_t)p->mapped) == MAP_FAILED)
    return pma_set_error(PMA_E_NOMEM, "%s/pma.img: mmap growth: %s", p->dir, strerror(errno));
  p->mapped = want;
  p->img_grew = 1;
  return PMA_OK;
}

/* ---------- page table writes ---------- */

void pma_pte_write(pma *p, uint64_t i, const pte *v) {
  pte *e = PTE(p, i);
  if (memcmp(e, v, sizeof *v) == 0) return;
  uint64_t addr = (uint64_t)(uintptr_t)e - p->base;
  uint64_t pg = addr / PAGE;
  if (!bit_get(p->dirty, pg)) pma_dirty_pages(p, pg, 1);
  *e = *v;
}

static void pte_set(pma *p, uint64_t i, uint8_t kind, uint8_t cls, uint16_t nfree, uint32_t len,
                    uint64_t aux) {
  pte v;
  v.kind = kind;
  v.cls = cls;
  v.nfree = nfree;
  v.len = len;
  v.aux = aux;
  pma_pte_write(p, i, &v);
}

static uint32_t link_next(const pte *e) { return (uint32_t)e->aux; }
static uint32_t link_prev(const pte *e) { return (uint32_t)(e->aux >> 32); }
static uint64_t links(uint32_t next, uint32_t prev) { return (uint64_t)next | ((uint64_t)prev << 32); }

static void set_links(pma *p, uint64_t i, uint32_t next, uint32_t prev) {
  pte v = *PTE(p, i);
  v.aux = links(next, prev);
  pma_pte_write(p, i, &v);
}

static unsigned bucket_of(uint64_t len) {
  unsigned b = 0;
  while (b < NBUCKET - 1 && (len >> (b + 1)) != 0) b++;
  return b;
}

static void bucket_remove(pma *p, uint64_t head) {
  heapdesc *hd = HD(p);
  pte e = *PTE(p, head);
  unsigned b = bucket_of(e.len);
  uint32_t nx = link_next(&e), pv = link_prev(&e);
  if (pv != 0) {
    pte q = *PTE(p, pv);
    set_links(p, pv, nx, link_prev(&q));
  } else if (hd->bucket[b] == head) {
    pma_hd_dirty(p);
    hd->bucket[b] = nx;
  }
  if (nx != 0) {
    pte q = *PTE(p, nx);
    set_links(p, nx, link_next(&q), pv);
  }
}

static void bucket_push(pma *p, uint64_t head) {
  heapdesc *hd = HD(p);
  pte e = *PTE(p, head);
  unsigned b = bucket_of(e.len);
  uint32_t old = hd->bucket[b];
  set_links(p, head, old, 0);
  if (old != 0) {
    pte q = *PTE(p, old);
    set_links(p, old, link_next(&q), (uint32_t)head);
  }
  pma_hd_dirty(p);
  hd->bucket[b] = (uint32_t)head;
}

static uint64_t run_gen(pma *p, uint64_t head) {
  pte e = *PTE(p, head);
  if (e.len < 2) return GEN_UNKNOWN;
  return PTE(p, head + e.len - 1)->aux;
}

/* Write the entries for a free run [start, start+n) (not linked). */
static void write_free_run(pma *p, uint64_t start, uint64_t n, uint64_t gen, uint8_t flags,
                           uint64_t body_from, uint64_t body_to) {
  pte_set(p, start, K_FREE_HEAD, flags, 0, (uint32_t)n, 0);
  for (uint64_t i = body_from; i < body_to; i++)
    if (i > start && i < start + n - 1) pte_set(p, i, K_FREE_BODY, 0, 0, 0, 0);
  if (n > 1) pte_set(p, start + n - 1, K_FREE_TAIL, 0, 0, (uint32_t)n, gen);
}

/* Return pages [start, start+n) to the run allocator, coalescing with free neighbours. */
int pma_free_run(pma *p, uint64_t start, uint64_t n, uint64_t gen) {
  heapdesc *hd = HD(p);
  uint64_t lo = start, hi = start + n; /* merged run [lo, hi) */
  uint64_t mgen = gen;
  uint64_t body_from = start, body_to = start + n;
  if (start > META_PAGES) {
    pte l = *PTE(p, start - 1);
    uint64_t lhead = 0;
    if (l.kind == K_FREE_TAIL && l.len >= 2 && l.len <= start - 1) lhead = start - l.len;
    if (l.kind == K_FREE_HEAD && l.len == 1) lhead = start - 1;
    if (lhead != 0 && PTE(p, lhead)->kind == K_FREE_HEAD) {
      uint64_t g = run_gen(p, lhead);
      if (g > mgen) mgen = g;
      bucket_remove(p, lhead);
      lo = lhead;
      body_from = start - 1;
    }
  }
  if (hi < hd->frontier) {
    pte r = *PTE(p, hi);
    if (r.kind == K_FREE_HEAD && r.len >= 1 && hi + r.len <= hd->frontier) {
      uint64_t g = run_gen(p, hi);
      if (g > mgen) mgen = g;
      bucket_remove(p, hi);
      body_to = hi + 1;
      hi += r.len;
    }
  }
  write_free_run(p, lo, hi - lo, mgen, 0, body_from, body_to);
  bucket_push(p, lo);
  return PMA_OK;
}

#define NEED_GROW (-1000)

/* Take n pages from the frontier. */
static int64_t frontier_take(pma *p, uint64_t n) {
  heapdesc *hd = HD(p);
  uint64_t start = hd->frontier;
  if (start + n > hd->cap) return NEED_GROW;
  int rc = pma_ensure_mapped(p, (start + n) * PAGE);
  if (rc != PMA_OK) return rc;
  pma_hd_dirty(p);
  hd->frontier = start + n;
  return (int64_t)start;
}

static int grow_tables(pma *p, uint64_t need);

/* The caller will treat pages [s, s+n) as new contents (a large block or slab reserve):
   replace them with private zero pages, already writable and dirty. This avoids a file read
   and copy-on-write copy per page on first store (slab reserves, 1 MiB, are also populated
   up front; large blocks are not, so RAM is committed only as they are written). The committed
   image is untouched (the
   mapping is private); re-arm after commit maps the pages from the image again. */
static void map_fresh_anon(pma *p, uint64_t s, uint64_t n, int populate) {
  if (p->open_mode) return;
  uint64_t k = s;
  while (k < s + n && !bit_get(p->dirty, k)) k++;
  if (k != s + n) return; /* some page already dirty (holds data of this generation) */
  if (mmap((void *)(uintptr_t)(p->base + s * PAGE), (size_t)(n * PAGE), PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1,
           0) == MAP_FAILED) {
    /* a failed MAP_FIXED may leave the range unmapped: map the image back (callers then
       dirty through mprotect as usual) */
    if (mmap((void *)(uintptr_t)(p->base + s * PAGE), (size_t)(n * PAGE), PROT_READ,
             MAP_PRIVATE | MAP_FIXED, p->img_fd, (off_t)(s * PAGE)) == MAP_FAILED) {
      p->poisoned = 1;
      pma_set_error(PMA_E_NOMEM, "%s: cannot map pages %llu+%llu: %s", p->dir,
                    (unsigned long long)s, (unsigned long long)n, strerror(errno));
    }
    return;
  }
  for (k = s; k < s + n; k++) set_dirty_bit(p, k);
  p->dirty_pages += n;
  p->dirty_runs++;
}

/* Allocate a run of n pages; returns first page or a negative error.  Entries of
   the run are left for the caller to write. Fresh bits are set when the run was
   free in the committed state. */
static int64_t run_alloc(pma *p, uint64_t n) {
  heapdesc *hd = HD(p);
  if (p->alloc_mode != PMA_ALLOC_FRESH_ONLY) {
    for (unsigned b = bucket_of(n); b < NBUCKET; b++) {
      uint64_t h = hd->bucket[b];
      unsigned guard = 0;
      while (h != 0) {
        if (h >= hd->frontier || PTE(p, h)->kind != K_FREE_HEAD || ++guard > 1000000u) {
          p->poisoned = 1;
          return pma_set_error(PMA_E_CORRUPT, "%s: free-run list %u is corrupt at page %llu",
                               p->dir, b, (unsigned long long)h);
        }
        pte e = *PTE(p, h);
        if (e.len == 0 || h + e.len > hd->frontier) {
          p->poisoned = 1;
          return pma_set_error(PMA_E_CORRUPT, "%s: free run at page %llu has bad length %u",
                               p->dir, (unsigned long long)h, e.len);
        }
        if (e.len >= n) {
          uint64_t gen = run_gen(p, h);
          uint8_t flags = e.cls;
          bucket_remove(p, h);
          if (e.len > n) {
            uint64_t rest = h + n, rl = e.len - n;
            /* remainder keeps the tail (and its freed_gen) */
            pte_set(p, rest, K_FREE_HEAD, flags, 0, (uint32_t)rl, 0);
            if (rl > 1) pte_set(p, rest + rl - 1, K_FREE_TAIL, 0, 0, (uint32_t)rl, gen);
            bucket_push(p, rest);
          }
          if (gen != GEN_UNKNOWN && gen <= p->sb.generation)
            for (uint64_t i = h; i < h + n; i++) p->fresh[i >> 6] |= 1ull << (i & 63);
          return (int64_t)h;
        }
        h = link_next(&e);
        if (b > bucket_of(n)) break; /* any run in a higher bucket fits; first was taken */
      }
    }
  }
  int64_t s = frontier_take(p, n);
  if (s == NEED_GROW) {
    int rc = grow_tables(p, n);
    if (rc != PMA_OK) return rc;
    s = frontier_take(p, n);
  }
  return s;
}

/* Double (at least) the side tables, placing them at the frontier. */
static int grow_tables(pma *p, uint64_t need) {
  heapdesc *hd = HD(p);
  uint64_t old_cap = hd->cap, fr = hd->frontier;
  uint64_t new_cap = old_cap * 2;
  for (;;) {
    uint64_t t = (new_cap * PTE_BYTES + PAGE - 1) / PAGE + (new_cap * BM_BYTES + PAGE - 1) / PAGE;
    if (fr + t + need + RESERVE_RUN <= new_cap) break;
    new_cap *= 2;
  }
  if (new_cap > p->reserve / PAGE) new_cap = p->reserve / PAGE;
  uint64_t ptp = (new_cap * PTE_BYTES + PAGE - 1) / PAGE, bmp = (new_cap * BM_BYTES + PAGE - 1) / PAGE;
  if (fr + ptp + bmp + need > new_cap)
    return pma_set_error(PMA_E_NOSPC, "%s: arena reservation exhausted", p->dir);
  int rc = pma_ensure_mapped(p, (fr + ptp + bmp) * PAGE);
  if (rc != PMA_OK) return rc;
  uint64_t npt = fr, nbm = fr + ptp;
  uint64_t opt = hd->pt_page, optn = hd->pt_pages, obm = hd->bm_page, obmn = hd->bm_pages;
  /* Copy the used part of the old tables; the rest of the new ones is zero
     (the image beyond the frontier is always zero). */
  uint64_t pt_bytes = fr * PTE_BYTES, bm_bytes = fr * BM_BYTES;
  rc = pma_dirty_pages(p, npt, (pt_bytes + PAGE - 1) / PAGE);
  if (rc == PMA_OK) rc = pma_dirty_pages(p, nbm, (bm_bytes + PAGE - 1) / PAGE);
  if (rc != PMA_OK) return rc;
  memcpy((void *)(uintptr_t)(p->base + npt * PAGE), (void *)(uintptr_t)(p->base + opt * PAGE),
         (size_t)pt_bytes);
  memcpy((void *)(uintptr_t)(p->base + nbm * PAGE), (void *)(uintptr_t)(p->base + obm * PAGE),
         (size_t)bm_bytes);
  pma_hd_dirty(p);
  hd->pt_page = npt;
  hd->pt_pages = ptp;
  hd->bm_page = nbm;
  hd->bm_pages = bmp;
  hd->cap = new_cap;
  hd->frontier = fr + ptp + bmp;
  for (uint64_t i = fr; i < fr + ptp + bmp; i++) pte_set(p, i, K_SIDE, 0, 0, 0, 0);
  uint64_t g = pma_cur_gen(p);
  pma_free_run(p, opt, optn, g);
  pma_free_run(p, obm, obmn, g);
  return PMA_OK;
}

/* ---------- slabs ---------- */

static int slab_on_list_eligible(const pte *e, unsigned cls) {
  return (uint64_t)e->nfree * 4 >= pma_slab_slots(cls);
}

static void partial_push(pma *p, uint64_t s) {
  heapdesc *hd = HD(p);
  pte e = *PTE(p, s);
  unsigned c = e.cls;
  uint32_t old = hd->partial[c];
  e.len |= SLAB_ON_LIST;
  e.aux = links(old, 0);
  pma_pte_write(p, s, &e);
  if (old != 0) {
    pte q = *PTE(p, old);
    set_links(p, old, link_next(&q), (uint32_t)s);
  }
  pma_hd_dirty(p);
  hd->partial[c] = (uint32_t)s;
}

static void partial_remove(pma *p, uint64_t s) {
  heapdesc *hd = HD(p);
  pte e = *PTE(p, s);
  unsigned c = e.cls;
  uint32_t nx = link_next(&e), pv = link_prev(&e);
  if (pv != 0) {
    pte q = *PTE(p, pv);
    set_links(p, pv, nx, link_prev(&q));
  } else if (hd->partial[c] == s) {
    pma_hd_dirty(p);
    hd->partial[c] = nx;
  }
  if (nx != 0) {
    pte q = *PTE(p, nx);
    set_links(p, nx, link_next(&q), pv);
  }
  e.len &= ~SLAB_ON_LIST;
  e.aux = 0;
  pma_pte_write(p, s, &e);
}

static int64_t reserve_page(pma *p) {
  heapdesc *hd = HD(p);
  if (hd->reserve_next >= hd->reserve_end) {
    int64_t r = run_alloc(p, RESERVE_RUN);
    if (r < 0) return r;
    map_fresh_anon(p, (uint64_t)r, RESERVE_RUN, 1);
    for (uint64_t i = 0; i < RESERVE_RUN; i++) pte_set(p, (uint64_t)r + i, K_RESERVE, 0, 0, 0, 0);
    pma_hd_dirty(p);
    hd->reserve_next = (uint64_t)r;
    hd->reserve_end = (uint64_t)r + RESERVE_RUN;
  }
  pma_hd_dirty(p);
  return (int64_t)hd->reserve_next++;
}

static void bm_dirty(pma *p, uint64_t s) {
  uint64_t pg = ((uint64_t)(uintptr_t)SLABBM(p, s) - p->base) / PAGE;
  if (!bit_get(p->dirty, pg)) pma_dirty_pages(p, pg, 1);
}

static int64_t new_slab(pma *p, unsigned c) {
  heapdesc *hd = HD(p);
  int64_t s = 0;
  if (p->alloc_mode != PMA_ALLOC_FRESH_ONLY && hd->partial[c] != 0) {
    s = hd->partial[c];
    if ((uint64_t)s >= hd->frontier || PTE(p, (uint64_t)s)->kind != K_SLAB ||
        PTE(p, (uint64_t)s)->cls != c) {
      p->poisoned = 1;
      return pma_set_error(PMA_E_CORRUPT, "%s: partial slab list %u corrupt", p->dir, c);
    }
    partial_remove(p, (uint64_t)s);
    pte e = *PTE(p, (uint64_t)s);
    e.len |= SLAB_CURRENT;
    pma_pte_write(p, (uint64_t)s, &e);
  } else {
    s = reserve_page(p);
    if (s < 0) return s;
    uint64_t n = pma_slab_slots(c);
    pte_set(p, (uint64_t)s, K_SLAB, (uint8_t)c, (uint16_t)n, SLAB_CURRENT, 0);
    uint64_t *bm = SLABBM(p, (uint64_t)s);
    int z = 1;
    for (unsigned w = 0; w < BM_BYTES / 8; w++) z &= bm[w] == 0;
    if (!z) {
      bm_dirty(p, (uint64_t)s);
      memset(bm, 0, BM_BYTES);
    }
  }
  return s;
}

static inline void ensure_dirty(pma *p, const void *addr) {
  uint64_t pg = ((uint64_t)(uintptr_t)addr - p->base) / PAGE;
  if (!bit_get(p->dirty, pg)) pma_dirty_pages(p, pg, 1);
}

static const uint16_t class_slots[NCLASS] = {
    1024, 682, 512, 341, 256, 204, 170, 128, 102, 85, 64, 51, 42,
    32,   25,  21,  16,  12,  10,  8,   6,   5,   4,   3,  2,  2};

static void *alloc_small(pma *p, unsigned c) {
  heapdesc *hd = HD(p);
  uint64_t s = hd->cur[c];
  if (s != 0 && p->poisoned == 0) {
    /* fast path: a slot in the current slab */
    pte *e = PTE(p, s);
    if (e->nfree != 0 && e->kind == K_SLAB && e->cls == c) {
      uint64_t *bm = SLABBM(p, s);
      for (unsigned w = 0; w < BM_BYTES / 8; w++) {
        if (bm[w] != ~0ull) {
          uint64_t slot = (uint64_t)w * 64 + (uint64_t)__builtin_ctzll(~bm[w]);
          if (slot >= class_slots[c]) break;
          ensure_dirty(p, e);
          ensure_dirty(p, bm);
          ensure_dirty(p, hd);
          if (!bit_get(p->dirty, s)) pma_dirty_pages(p, s, 1);
          bm[w] |= 1ull << (slot & 63);
          e->nfree--;
          hd->bytes_in_use += pma_class_size[c];
          hd->blocks_in_use++;
          hd->alloc_since_gc += pma_class_size[c];
          return (void *)(uintptr_t)(p->base + s * PAGE + slot * pma_class_size[c]);
        }
      }
    }
  }
  if (s != 0 && PTE(p, s)->nfree == 0) {
    /* retire the exhausted current slab */
    pte e = *PTE(p, s);
    e.len &= ~SLAB_CURRENT;
    pma_pte_write(p, s, &e);
    pma_hd_dirty(p);
    hd->cur[c] = 0;
    s = 0;
  }
  if (s == 0) {
    int64_t ns = new_slab(p, c);
    if (ns < 0) return NULL;
    s = (uint64_t)ns;
    pma_hd_dirty(p);
    hd->cur[c] = (uint32_t)s;
  }
  uint64_t *bm = SLABBM(p, s);
  uint64_t nslots = pma_slab_slots(c);
  uint64_t slot = nslots;
  for (unsigned w = 0; w < BM_BYTES / 8; w++) {
    if (bm[w] != ~0ull) {
      uint64_t b = (uint64_t)__builtin_ctzll(~bm[w]);
      slot = (uint64_t)w * 64 + b;
      break;
    }
  }
  if (slot >= nslots) {
    p->poisoned = 1;
    pma_set_error(PMA_E_CORRUPT, "%s: slab %llu bitmap disagrees with its free count", p->dir,
                  (unsigned long long)s);
    return NULL;
  }
  bm_dirty(p, s);
  bm[slot >> 6] |= 1ull << (slot & 63);
  pte e = *PTE(p, s);
  e.nfree--;
  pma_pte_write(p, s, &e);
  if (!bit_get(p->dirty, s) && pma_dirty_pages(p, s, 1) != PMA_OK) return NULL;
  pma_hd_dirty(p);
  hd->bytes_in_use += pma_class_size[c];
  hd->blocks_in_use++;
  hd->alloc_since_gc += pma_class_size[c];
  return (void *)(uintptr_t)(p->base + s * PAGE + slot * pma_class_size[c]);
}

static void *alloc_large(pma *p, size_t bytes) {
  uint64_t n = (bytes + PAGE - 1) / PAGE;
  if (n > UINT32_MAX) {
    pma_set_error(PMA_E_NOSPC, "allocation of %zu bytes too large", bytes);
    return NULL;
  }
  int64_t h = run_alloc(p, n);
  if (h < 0) return NULL;
  uint64_t s = (uint64_t)h;
  map_fresh_anon(p, s, n, 0);
  pte_set(p, s, K_LARGE_HEAD, 0, 0, (uint32_t)n, 0);
  for (uint64_t i = 1; i < n; i++) pte_set(p, s + i, K_LARGE_BODY, 0, 0, (uint32_t)i, 0);
  if (pma_dirty_pages(p, s, n) != PMA_OK) return NULL;
  heapdesc *hd = HD(p);
  pma_hd_dirty(p);
  hd->bytes_in_use += n * PAGE;
  hd->blocks_in_use++;
  hd->alloc_since_gc += n * PAGE;
  return (void *)(uintptr_t)(p->base + s * PAGE);
}

void *pma_alloc(pma *p, size_t bytes) {
  if (p == NULL) {
    pma_set_error(PMA_E_BADARG, "pma_alloc: null handle");
    return NULL;
  }
  if (p->poisoned) {
    pma_set_error(PMA_E_POISONED, "%s: handle is poisoned", p->dir);
    return NULL;
  }
  if (p->in_gc) {
    pma_set_error(PMA_E_BADARG, "%s: pma_alloc during GC", p->dir);
    return NULL;
  }
  if (bytes == 0) bytes = 8;
  if (bytes <= SLAB_MAX) return alloc_small(p, class_fast(bytes));
  return alloc_large(p, bytes);
}

/* Locate a block: returns 0 and fills page/slot info if `a` is a block start. */
static int find_block(const pma *p, uint64_t a, uint64_t *page, int *is_slab, uint64_t *slot) {
  const heapdesc *hd = HD(p);
  if (a < p->base + META_PAGES * PAGE || a >= p->base + hd->frontier * PAGE || (a & 7) != 0)
    return -1;
  uint64_t i = (a - p->base) / PAGE, off = (a - p->base) % PAGE;
  const pte *e = PTE(p, i);
  if (e->kind == K_SLAB && e->cls < NCLASS) {
    uint64_t sz = pma_class_size[e->cls];
    if (off % sz != 0 || off / sz >= pma_slab_slots(e->cls)) return -1;
    if (!bit_get(SLABBM(p, i), off / sz)) return -1;
    *page = i;
    *is_slab = 1;
    *slot = off / sz;
    return 0;
  }
  if (e->kind == K_LARGE_HEAD && off == 0 && e->len >= 1 && i + e->len <= hd->frontier) {
    *page = i;
    *is_slab = 0;
    *slot = 0;
    return 0;
  }
  return -1;
}

size_t pma_block_size(const pma *p, const void *block) {
  uint64_t pg, slot;
  int slab;
  if (p == NULL || find_block(p, (uint64_t)(uintptr_t)block, &pg, &slab, &slot) != 0) return 0;
  const pte *e = PTE(p, pg);
  return slab ? pma_class_size[e->cls] : (size_t)e->len * PAGE;
}

/* Free a slab slot; also used by the sweeper (which rewrites bitmaps itself). */
static void slab_after_free(pma *p, uint64_t pg) {
  pte e = *PTE(p, pg);
  unsigned c = e.cls;
  if (e.len & SLAB_CURRENT) return;
  if (e.nfree == pma_slab_slots(c)) {
    if (e.len & SLAB_ON_LIST) partial_remove(p, pg);
    pma_free_run(p, pg, 1, pma_cur_gen(p));
    return;
  }
  if (!(e.len & SLAB_ON_LIST) && slab_on_list_eligible(&e, c)) partial_push(p, pg);
}

void pma_free(pma *p, void *block) {
  uint64_t pg, slot;
  int slab;
  if (p == NULL || p->poisoned) return;
  if (find_block(p, (uint64_t)(uintptr_t)block, &pg, &slab, &slot) != 0) {
    pma_set_error(PMA_E_BADARG, "pma_free: %p is not an allocated block", block);
    return;
  }
  heapdesc *hd = HD(p);
  pte e = *PTE(p, pg);
  pma_hd_dirty(p);
  if (slab) {
    bm_dirty(p, pg);
    uint64_t *bm = SLABBM(p, pg);
    bm[slot >> 6] &= ~(1ull << (slot & 63));
    e.nfree++;
    pma_pte_write(p, pg, &e);
    hd->bytes_in_use -= pma_class_size[e.cls];
    hd->blocks_in_use--;
    slab_after_free(p, pg);
  } else {
    hd->bytes_in_use -= (uint64_t)e.len * PAGE;
    hd->blocks_in_use--;
    pma_free_run(p, pg, e.len, pma_cur_gen(p));
  }
}

void pma_alloc_mode(pma *p, unsigned mode) {
  if (p != NULL) p->alloc_mode = mode;
}

/* Exposed to gc.c */
void pma_slab_after_free(pma *p, uint64_t pg);
void pma_slab_after_free(pma *p, uint64_t pg) { slab_after_free(p, pg); }
void pma_partial_push(pma *p, uint64_t s);
void pma_partial_push(pma *p, uint64_t s) { partial_push(p, s); }
