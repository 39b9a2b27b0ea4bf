/* Creation, recovery (decision table), mapping, close and inspect. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pma_int.h"

_Static_assert(sizeof(superblock) == SB_BYTES, "superblock is 512 bytes");
_Static_assert(sizeof(wal_header) == WAL_HDR_BYTES, "wal header is 4 KiB");
_Static_assert(sizeof(pte) == PTE_BYTES, "page table entry is 16 bytes");
_Static_assert(sizeof(heapdesc) <= PMA_PAGE, "heap descriptor fits a page");

/* ---------- small I/O helpers ---------- */

int pma_write_full(int fd, const void *buf, size_t len, uint64_t off) {
  const char *b = (const char *)buf;
#ifdef PMA_FAULT_INJECTION
  pma_power_before_write(fd, off, len);
#endif
  while (len > 0) {
    ssize_t n = pwrite(fd, b, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    b += n;
    len -= (size_t)n;
    off += (uint64_t)n;
  }
  return 0;
}

int pma_read_full(int fd, void *buf, size_t len, uint64_t off, size_t *got) {
  char *b = (char *)buf;
  size_t total = 0;
  while (total < len) {
    ssize_t n = pread(fd, b + total, len - total, (off_t)(off + total));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    total += (size_t)n;
  }
  if (got != NULL) *got = total;
  return 0;
}

int pma_sync(pma *p, int fd) {
  if (p != NULL) p->barriers++;
  while (fdatasync(fd) != 0) {
    if (errno != EINTR) return -1;
  }
#ifdef PMA_FAULT_INJECTION
  pma_power_synced(fd);
#endif
  return 0;
}

static int fsync_dir(int dfd) {
  while (fsync(dfd) != 0) {
    if (errno != EINTR) return -1;
  }
  return 0;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------- superblocks ---------- */

uint64_t pma_sb_checksum(const superblock *sb) { return pma_xxh64(sb, SB_SUMMED, 0); }

static int all_zero(const void *buf, size_t len) {
  const unsigned char *b = (const unsigned char *)buf;
  for (size_t i = 0; i < len; i++)
    if (b[i] != 0) return 0;
  return 1;
}

enum { SLOT_ZERO = 0, SLOT_VALID = 1, SLOT_CORRUPT = 2, SLOT_SHORT = 3 };

/* Classify a slot; on corrupt, write the reason into why.  *version_err is set
   when the only problem is a newer major version or unknown incompat bits. */
static int classify_sb(const superblock *sb, unsigned slot, char *why, size_t whylen,
                       int *version_err) {
  *version_err = 0;
  if (all_zero(sb, sizeof *sb)) return SLOT_ZERO;
  if (memcmp(sb->magic, SB_MAGIC, 8) != 0) {
    snprintf(why, whylen, "bad magic");
    return SLOT_CORRUPT;
  }
  if (sb->summed != SB_SUMMED) {
    snprintf(why, whylen, "checksummed length %u != %u", sb->summed, SB_SUMMED);
    return SLOT_CORRUPT;
  }
  if (pma_sb_checksum(sb) != sb->checksum) {
    snprintf(why, whylen, "checksum mismatch");
    return SLOT_CORRUPT;
  }
  if (sb->major > FMT_MAJOR || sb->incompat != 0) {
    snprintf(why, whylen, "format %u.%u incompat 0x%x not supported (ours %u.%u)", sb->major,
             sb->minor, sb->incompat, FMT_MAJOR, FMT_MINOR);
    *version_err = 1;
    return SLOT_CORRUPT;
  }
  if (sb->major != FMT_MAJOR) {
    snprintf(why, whylen, "format major %u unknown", sb->major);
    *version_err = 1;
    return SLOT_CORRUPT;
  }
  if (sb->page_size != PMA_PAGE) {
    snprintf(why, whylen, "page size %u != %u", sb->page_size, PMA_PAGE);
    return SLOT_CORRUPT;
  }
  if (sb->slot != slot) {
    snprintf(why, whylen, "slot index %u at position %u", sb->slot, slot);
    return SLOT_CORRUPT;
  }
  if (sb->generation == 0 || (sb->generation + 1) % 2 != slot) {
    snprintf(why, whylen, "generation %llu does not belong in slot %u",
             (unsigned long long)sb->generation, slot);
    return SLOT_CORRUPT;
  }
  if (!all_zero(sb->reserved, sizeof sb->reserved)) {
    snprintf(why, whylen, "reserved bytes not zero");
    return SLOT_CORRUPT;
  }
  return SLOT_VALID;
}

/* Semantic checks of a chosen superblock (after checksum). */
static int sb_sane(const superblock *sb, char *why, size_t whylen) {
  if (sb->base == 0 || sb->base % PAGE != 0 || sb->reserve == 0 || sb->reserve % PAGE != 0 ||
      sb->base + sb->reserve < sb->base || sb->base + sb->reserve > (1ull << 47)) {
    snprintf(why, whylen, "bad address range base 0x%llx reserve 0x%llx",
             (unsigned long long)sb->base, (unsigned long long)sb->reserve);
    return 0;
  }
  if (sb->arena_bytes % PAGE != 0 || sb->arena_bytes < (META_PAGES + 1) * PAGE ||
      sb->arena_bytes > sb->reserve || sb->reserve / PAGE > (1ull << 32)) {
    snprintf(why, whylen, "bad arena_bytes %llu", (unsigned long long)sb->arena_bytes);
    return 0;
  }
  if (sb->heap_off != HD_PAGE * PAGE) {
    snprintf(why, whylen, "bad heap descriptor offset %llu", (unsigned long long)sb->heap_off);
    return 0;
  }
  return 1;
}

static void sb_seal(superblock *sb, unsigned slot) {
  sb->slot = slot;
  sb->checksum = pma_sb_checksum(sb);
}

static void sb_init(superblock *sb, const uint8_t uuid[16], uint64_t base, uint64_t reserve,
                    uint64_t arena_bytes) {
  memset(sb, 0, sizeof *sb);
  memcpy(sb->magic, SB_MAGIC, 8);
  sb->major = FMT_MAJOR;
  sb->minor = FMT_MINOR;
  sb->summed = SB_SUMMED;
  sb->page_size = PMA_PAGE;
  memcpy(sb->uuid, uuid, 16);
  sb->generation = 1;
  sb->base = base;
  sb->reserve = reserve;
  sb->arena_bytes = arena_bytes;
  sb->heap_off = HD_PAGE * PAGE;
  sb->commit_ns = now_ns();
  snprintf(sb->writer, sizeof sb->writer, "mars-pma %u.%u", FMT_MAJOR, FMT_MINOR);
}

/* ---------- creation ---------- */

static void make_uuid(uint8_t out[16]) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  if (fd >= 0) {
    if (pma_read_full(fd, out, 16, 0, &got) != 0) got = 0;
    close(fd);
  }
  if (got != 16) {
    uint64_t a = now_ns() ^ (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
    uint64_t b = pma_xxh64(&a, 8, 42);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
  }
}

static uint64_t side_pages(uint64_t cap, uint64_t per) { return (cap * per + PAGE - 1) / PAGE; }

static int create_image(int dfd, const char *dir, uint64_t base, uint64_t reserve) {
  uint64_t cap = INIT_CAP;
  uint64_t ptp = side_pages(cap, PTE_BYTES), bmp = side_pages(cap, BM_BYTES);
  uint64_t frontier = META_PAGES + ptp + bmp;
  uint64_t bytes = frontier * PAGE;
  unsigned char *img = calloc(1, (size_t)bytes);
  if (img == NULL) return pma_set_error(PMA_E_NOMEM, "%s/pma.img.tmp: out of memory", dir);
  uint8_t uuid[16];
  make_uuid(uuid);
  superblock *sa = (superblock *)img;
  sb_init(sa, uuid, base, reserve, bytes);
  sb_seal(sa, 0);
  heapdesc *hd = (heapdesc *)(img + HD_PAGE * PAGE);
  hd->magic = HD_MAGIC;
  hd->frontier = frontier;
  hd->cap = cap;
  hd->pt_page = META_PAGES;
  hd->pt_pages = ptp;
  hd->bm_page = META_PAGES + ptp;
  hd->bm_pages = bmp;
  pte *pt = (pte *)(img + META_PAGES * PAGE);
  for (uint64_t i = 0; i < frontier; i++) pt[i].kind = i < META_PAGES ? K_META : K_SIDE;
  int rc = PMA_OK;
  unlinkat(dfd, "pma.img.tmp", 0);
  int fd = openat(dfd, "pma.img.tmp", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = pma_set_error(PMA_E_IO, "%s/pma.img.tmp: create: %s", dir, strerror(errno));
  } else if (pma_write_full(fd, img, (size_t)bytes, 0) != 0 || pma_sync(NULL, fd) != 0) {
    rc = pma_set_error(errno == ENOSPC ? PMA_E_NOSPC : PMA_E_IO, "%s/pma.img.tmp: write: %s", dir,
                       strerror(errno));
  }
  free(img);
  if (fd >= 0) close(fd);
  if (rc != PMA_OK) return rc;
  CRASH_POINT(18);
  unlinkat(dfd, "pma.wal", 0);
  if (renameat(dfd, "pma.img.tmp", dfd, "pma.img") != 0 || fsync_dir(dfd) != 0)
    return pma_set_error(PMA_E_IO, "%s/pma.img: rename: %s", dir, strerror(errno));
  return PMA_OK;
}

/* ---------- WAL validation ---------- */

enum { WAL_ABSENT = 0, WAL_VALID = 1, WAL_INVALID = 2 };

typedef struct wal_state {
  int state;
  wal_header h;
  superblock sb;     /* embedded superblock (valid when state == WAL_VALID) */
  wal_entry *index;  /* malloc'd */
  uint64_t file_len;
  uint64_t retired_gen; /* generation proven checkpointed by a retired header, or 0 */
  char why[96];
} wal_state;

static int read_wal(int fd, const uint8_t *uuid, wal_state *w) {
  memset(w, 0, sizeof *w);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return WAL_ABSENT;
  w->file_len = (uint64_t)st.st_size;
  if (w->file_len < WAL_HDR_BYTES) {
    w->state = WAL_ABSENT;
    return w->state;
  }
  size_t got = 0;
  if (pma_read_full(fd, &w->h, sizeof w->h, 0, &got) != 0 || got != sizeof w->h) {
    snprintf(w->why, sizeof w->why, "short header read");
    return w->state = WAL_INVALID;
  }
  if (all_zero(w->h.magic, 8)) {
    /* Retired: if the rest of the header still verifies (with the magic restored), it
       proves generation new_gen was checkpointed. */
    wal_header t = w->h;
    memcpy(t.magic, WAL_MAGIC, 8);
    if (pma_xxh64(&t, WAL_HDR_BYTES - 8, 0) == t.checksum && uuid != NULL &&
        memcmp(t.uuid, uuid, 16) == 0)
      w->retired_gen = t.new_gen;
    return w->state = WAL_ABSENT;
  }
  if (memcmp(w->h.magic, WAL_MAGIC, 8) != 0) {
    snprintf(w->why, sizeof w->why, "bad magic");
    return w->state = WAL_INVALID;
  }
  if (pma_xxh64(&w->h, WAL_HDR_BYTES - 8, 0) != w->h.checksum) {
    snprintf(w->why, sizeof w->why, "header checksum mismatch");
    return w->state = WAL_INVALID;
  }
  if (w->h.major != FMT_MAJOR) {
    snprintf(w->why, sizeof w->why, "version %u", w->h.major);
    return w->state = WAL_INVALID;
  }
  if (uuid == NULL || memcmp(w->h.uuid, uuid, 16) != 0) {
    snprintf(w->why, sizeof w->why, "UUID does not match the image");
    return w->state = WAL_INVALID;
  }
  memcpy(&w->sb, w->h.sb, SB_BYTES);
  int verr = 0;
  char why[96];
  unsigned slot = (unsigned)((w->h.new_gen + 1) % 2);
  if (w->h.new_gen == 0 || w->h.new_gen != w->h.base_gen + 1 ||
      classify_sb(&w->sb, slot, why, sizeof why, &verr) != SLOT_VALID ||
      w->sb.generation != w->h.new_gen || memcmp(w->sb.uuid, uuid, 16) != 0 ||
      !sb_sane(&w->sb, why, sizeof why)) {
    snprintf(w->why, sizeof w->why, "embedded superblock invalid");
    return w->state = WAL_INVALID;
  }
  uint64_t n = w->h.npages;
  uint64_t idx_bytes = n * sizeof(wal_entry);
  uint64_t idx_pad = (idx_bytes + PAGE - 1) / PAGE * PAGE;
  if (n > w->file_len / PAGE || (n > 0 && WAL_INDEX_OFF + idx_pad + n * PAGE > w->file_len)) {
    snprintf(w->why, sizeof w->why, "file too short for %llu pages", (unsigned long long)n);
    return w->state = WAL_INVALID;
  }
  w->index = malloc(idx_bytes ? (size_t)idx_bytes : 1);
  if (w->index == NULL) {
    snprintf(w->why, sizeof w->why, "out of memory for index");
    return w->state = WAL_INVALID;
  }
  if (pma_read_full(fd, w->index, (size_t)idx_bytes, WAL_INDEX_OFF, &got) != 0 ||
      got != idx_bytes || pma_xxh64(w->index, (size_t)idx_bytes, 0) != w->h.index_xxh) {
    snprintf(w->why, sizeof w->why, "index checksum mismatch");
    return w->state = WAL_INVALID;
  }
  uint64_t limit = w->sb.arena_bytes / PAGE;
  for (uint64_t i = 0; i < n; i++) {
    if (w->index[i].page < HD_PAGE || w->index[i].page >= limit ||
        (i > 0 && w->index[i].page <= w->index[i - 1].page)) {
      snprintf(w->why, sizeof w->why, "index entry %llu out of order or range",
               (unsigned long long)i);
      return w->state = WAL_INVALID;
    }
  }
  return w->state = WAL_VALID;
}

static int retire_wal(int fd) {
  static const char zero[8] = {0};
  if (fd < 0) return 0;
  return pma_write_full(fd, zero, 8, 0);
}

/* Replay a valid WAL into the image (open step 5). */
static int replay(const char *dir, int img_fd, int wal_fd, wal_state *w) {
  uint64_t n = w->h.npages;
  uint64_t idx_pad = (n * sizeof(wal_entry) + PAGE - 1) / PAGE * PAGE;
  uint64_t data = WAL_INDEX_OFF + idx_pad;
  unsigned char *buf = malloc(PAGE);
  if (buf == NULL) return pma_set_error(PMA_E_NOMEM, "%s: out of memory", dir);
  size_t got;
  for (uint64_t i = 0; i < n; i++) {
    if (pma_read_full(wal_fd, buf, PAGE, data + i * PAGE, &got) != 0 || got != PAGE ||
        pma_xxh64(buf, PAGE, 0) != w->index[i].xxh) {
      free(buf);
      return pma_set_error(PMA_E_CORRUPT,
                           "%s/pma.wal: payload %llu (arena page %llu) of generation %llu fails "
                           "its checksum while the header is valid: media damage",
                           dir, (unsigned long long)i, (unsigned long long)w->index[i].page,
                           (unsigned long long)w->h.new_gen);
    }
  }
  for (uint64_t i = 0; i < n; i++) {
    if (i == n / 2) CRASH_POINT(14);
    if (pma_read_full(wal_fd, buf, PAGE, data + i * PAGE, &got) != 0 || got != PAGE ||
        pma_write_full(img_fd, buf, PAGE, w->index[i].page * PAGE) != 0) {
      free(buf);
      return pma_set_error(PMA_E_IO, "%s/pma.img: replay write: %s", dir, strerror(errno));
    }
  }
  free(buf);
  if (n > 0 && pma_sync(NULL, img_fd) != 0)
    return pma_set_error(PMA_E_IO, "%s/pma.img: fdatasync: %s", dir, strerror(errno));
  CRASH_POINT(15);
  unsigned slot = (unsigned)((w->h.new_gen + 1) % 2);
#ifdef PMA_FAULT_INJECTION
  if (getenv("MARS_PMA_CRASH_AT") != NULL && atoi(getenv("MARS_PMA_CRASH_AT")) == 16) {
    if (pma_write_full(img_fd, &w->sb, SB_BYTES / 2, slot * PAGE) != 0) return PMA_E_IO;
    CRASH_POINT(16);
  }
#endif
  if (pma_write_full(img_fd, &w->sb, SB_BYTES, slot * PAGE) != 0 || pma_sync(NULL, img_fd) != 0)
    return pma_set_error(PMA_E_IO, "%s/pma.img: superblock write: %s", dir, strerror(errno));
  CRASH_POINT(17);
  retire_wal(wal_fd);
  return PMA_OK;
}

/* ---------- registry for pma_fault_any ---------- */

static _Atomic(pma *) registry[16];

void pma_registry_add(pma *p) {
  for (int i = 0; i < 16; i++) {
    pma *expect = NULL;
    if (atomic_compare_exchange_strong(&registry[i], &expect, p)) return;
  }
}

void pma_registry_remove(pma *p) {
  for (int i = 0; i < 16; i++) {
    pma *expect = p;
    if (atomic_compare_exchange_strong(&registry[i], &expect, NULL)) return;
  }
}

int pma_fault_any(void *addr) {
  for (int i = 0; i < 16; i++) {
    pma *p = atomic_load(&registry[i]);
    if (p != NULL && pma_fault(p, addr)) return 1;
  }
  return 0;
}

/* ---------- open ---------- */

static const char *slot_name(unsigned s) { return s == 0 ? "A" : "B"; }

static void free_handle(pma *p) {
  if (p == NULL) return;
  if (p->dirty != NULL) munmap(p->dirty, p->bm_words * 8);
  if (p->fresh != NULL) munmap(p->fresh, p->bm_words * 8);
  if (p->summary != NULL) munmap(p->summary, (p->bm_words / 64 + 1) * 8);
  if (p->img_fd >= 0) close(p->img_fd);
  if (p->wal_fd >= 0) close(p->wal_fd);
  if (p->dir_fd >= 0) close(p->dir_fd);
  free(p->dir);
  free(p);
}

static void *anon(size_t bytes) {
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return m == MAP_FAILED ? NULL : m;
}

int pma_open(const char *dir, const pma_opts *opts, pma **out) {
  if (dir == NULL || out == NULL) return pma_set_error(PMA_E_BADARG, "pma_open: null argument");
  *out = NULL;
  if (sysconf(_SC_PAGESIZE) <= 0 || PMA_PAGE % (uint64_t)sysconf(_SC_PAGESIZE) != 0)
    return pma_set_error(PMA_E_BADARG, "OS page size does not divide %u", PMA_PAGE);
  pma_opts o = {0};
  if (opts != NULL) o = *opts;
  uint64_t cbase = o.base ? o.base : PMA_DEFAULT_BASE;
  uint64_t creserve = o.reserve_bytes ? o.reserve_bytes : PMA_DEFAULT_RESERVE;
  if (cbase % PAGE != 0 || creserve % PAGE != 0 || creserve < 64 * PAGE ||
      cbase + creserve > (1ull << 47) || creserve / PAGE > (1ull << 32))
    return pma_set_error(PMA_E_BADARG, "bad base 0x%llx or reserve 0x%llx",
                         (unsigned long long)cbase, (unsigned long long)creserve);

  pma *p = calloc(1, sizeof *p);
  if (p == NULL) return pma_set_error(PMA_E_NOMEM, "out of memory");
  p->img_fd = p->wal_fd = p->dir_fd = -1;
  p->dir = strdup(dir);
  p->flags = o.flags;
  p->max_dirty_runs = o.max_dirty_runs ? o.max_dirty_runs : 8192;
  const char *strict = getenv("MARS_PMA_STRICT");
  if (strict != NULL && strcmp(strict, "1") == 0) p->flags |= PMA_O_STRICT;
  const char *chk = getenv("MARS_PMA_CHECK");
  if (chk != NULL && strcmp(chk, "1") == 0) p->flags |= PMA_O_CHECK;
  int rc;

  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    rc = pma_set_error(PMA_E_IO, "%s: mkdir: %s", dir, strerror(errno));
    goto fail;
  }
  p->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (p->dir_fd < 0) {
    rc = pma_set_error(PMA_E_IO, "%s: open: %s", dir, strerror(errno));
    goto fail;
  }
  p->img_fd = openat(p->dir_fd, "pma.img", O_RDWR | O_CLOEXEC);
  if (p->img_fd < 0 && errno == ENOENT) {
    rc = create_image(p->dir_fd, dir, cbase, creserve);
    if (rc != PMA_OK) goto fail;
    p->img_fd = openat(p->dir_fd, "pma.img", O_RDWR | O_CLOEXEC);
  } else {
    unlinkat(p->dir_fd, "pma.img.tmp", 0);
  }
  if (p->img_fd < 0) {
    rc = pma_set_error(PMA_E_IO, "%s/pma.img: open: %s", dir, strerror(errno));
    goto fail;
  }
  if (flock(p->img_fd, LOCK_EX | LOCK_NB) != 0) {
    rc = errno == EWOULDBLOCK
             ? pma_set_error(PMA_E_LOCKED, "%s/pma.img: locked by another process", dir)
             : pma_set_error(PMA_E_IO, "%s/pma.img: flock: %s", dir, strerror(errno));
    goto fail;
  }

  /* Read both slots. */
  superblock sb[2];
  int st[2], verr[2];
  char why[2][96];
  for (unsigned s = 0; s < 2; s++) {
    size_t got = 0;
    memset(&sb[s], 0, sizeof sb[s]);
    why[s][0] = 0;
    if (pma_read_full(p->img_fd, &sb[s], SB_BYTES, s * PAGE, &got) != 0) {
      rc = pma_set_error(PMA_E_IO, "%s/pma.img: read slot %s: %s", dir, slot_name(s),
                         strerror(errno));
      goto fail;
    }
    if (got < SB_BYTES && !all_zero(&sb[s], got)) {
      st[s] = SLOT_CORRUPT;
      verr[s] = 0;
      snprintf(why[s], sizeof why[s], "truncated (%zu bytes)", got);
    } else {
      st[s] = classify_sb(&sb[s], s, why[s], sizeof why[s], &verr[s]);
    }
  }
  int newest = -1;
  for (unsigned s = 0; s < 2; s++)
    if (st[s] == SLOT_VALID && (newest < 0 || sb[s].generation > sb[newest].generation))
      newest = (int)s;
  if (newest < 0) {
    int code = (verr[0] || verr[1]) ? PMA_E_VERSION : PMA_E_CORRUPT;
    rc = pma_set_error(code, "%s/pma.img: no valid superblock (slot A: %s; slot B: %s)", dir,
                       st[0] == SLOT_ZERO ? "zero" : why[0], st[1] == SLOT_ZERO ? "zero" : why[1]);
    goto fail;
  }
  int other = 1 - newest;
  uint64_t G = sb[newest].generation;
  if (st[other] == SLOT_VALID && sb[other].generation == G) {
    rc = pma_set_error(PMA_E_CORRUPT, "%s/pma.img: both slots claim generation %llu", dir,
                       (unsigned long long)G);
    goto fail;
  }

  /* WAL. */
  p->wal_fd = openat(p->dir_fd, "pma.wal", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (p->wal_fd < 0) {
    rc = pma_set_error(PMA_E_IO, "%s/pma.wal: open: %s", dir, strerror(errno));
    goto fail;
  }
  wal_state w;
  read_wal(p->wal_fd, sb[newest].uuid, &w);
  superblock chosen = sb[newest];
  if (w.state == WAL_VALID && w.h.new_gen == G + 1 && w.h.base_gen == G) {
    rc = replay(dir, p->img_fd, p->wal_fd, &w);
    if (rc != PMA_OK) {
      free(w.index);
      goto fail;
    }
    chosen = w.sb;
    p->replayed = 1;
  } else if (w.state == WAL_VALID && w.h.new_gen <= G) {
    retire_wal(p->wal_fd);
  } else if (w.state == WAL_VALID) {
    rc = pma_set_error(PMA_E_CORRUPT,
                       "%s: pma.wal holds generation %llu (base %llu) but the newest valid "
                       "superblock is slot %s at generation %llu (slot %s: %s)",
                       dir, (unsigned long long)w.h.new_gen, (unsigned long long)w.h.base_gen,
                       slot_name((unsigned)newest), (unsigned long long)G,
                       slot_name((unsigned)other),
                       st[other] == SLOT_VALID  ? "valid"
                       : st[other] == SLOT_ZERO ? "zero"
                                                : why[other]);
    free(w.index);
    goto fail;
  } else if (st[other] == SLOT_CORRUPT) {
    if (verr[other]) {
      rc = pma_set_error(PMA_E_VERSION, "%s/pma.img: slot %s: %s", dir,
                         slot_name((unsigned)other), why[other]);
    } else {
      rc = pma_set_error(PMA_E_CORRUPT,
                         "%s/pma.img: slot %s is corrupt (%s) and pma.wal is %s; newest valid is "
                         "slot %s at generation %llu; refusing to guess",
                         dir, slot_name((unsigned)other), why[other],
                         w.state == WAL_ABSENT ? "absent" : w.why, slot_name((unsigned)newest),
                         (unsigned long long)G);
    }
    free(w.index);
    goto fail;
  } else if (w.state == WAL_ABSENT && w.retired_gen > G) {
    rc = pma_set_error(PMA_E_CORRUPT,
                       "%s: retired pma.wal proves generation %llu was checkpointed, but the "
                       "newest valid superblock is slot %s at generation %llu (slot %s: %s)",
                       dir, (unsigned long long)w.retired_gen, slot_name((unsigned)newest),
                       (unsigned long long)G, slot_name((unsigned)other),
                       st[other] == SLOT_ZERO ? "zero" : why[other]);
    free(w.index);
    goto fail;
  } else if (st[other] == SLOT_ZERO && G > 1) {
    rc = pma_set_error(PMA_E_CORRUPT,
                       "%s/pma.img: slot %s is zero but slot %s is at generation %llu (both "
                       "slots are written by generation 2); refusing to guess",
                       dir, slot_name((unsigned)other), slot_name((unsigned)newest),
                       (unsigned long long)G);
    free(w.index);
    goto fail;
  } else {
    if (w.state == WAL_INVALID) retire_wal(p->wal_fd);
  }
  free(w.index);

  /* Validate after recovery. */
  {
    char sw[96];
    if (!sb_sane(&chosen, sw, sizeof sw)) {
      rc = pma_set_error(PMA_E_CORRUPT, "%s/pma.img: superblock generation %llu: %s", dir,
                         (unsigned long long)chosen.generation, sw);
      goto fail;
    }
  }
  struct stat ist;
  if (fstat(p->img_fd, &ist) != 0) {
    rc = pma_set_error(PMA_E_IO, "%s/pma.img: stat: %s", dir, strerror(errno));
    goto fail;
  }
  if ((uint64_t)ist.st_size < chosen.arena_bytes) {
    rc = pma_set_error(PMA_E_CORRUPT,
                       "%s/pma.img: file is %llu bytes but generation %llu needs %llu", dir,
                       (unsigned long long)ist.st_size, (unsigned long long)chosen.generation,
                       (unsigned long long)chosen.arena_bytes);
    goto fail;
  }
  if ((uint64_t)ist.st_size > chosen.arena_bytes &&
      ftruncate(p->img_fd, (off_t)chosen.arena_bytes) != 0) {
    rc = pma_set_error(PMA_E_IO, "%s/pma.img: truncate: %s", dir, strerror(errno));
    goto fail;
  }

  p->sb = chosen;
  p->base = chosen.base;
  p->reserve = chosen.reserve;
  memcpy(p->uuid, chosen.uuid, 16);
  memcpy(p->roots, chosen.roots, sizeof p->roots);
  p->committed_pages = chosen.arena_bytes / PAGE;
  p->mapped = chosen.arena_bytes;

  /* Reserve the address range, then map the image. */
  void *want = (void *)(uintptr_t)p->base;
  void *r = mmap(want, (size_t)p->reserve, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (r == MAP_FAILED || r != want) {
    if (r != MAP_FAILED) munmap(r, (size_t)p->reserve);
    rc = pma_set_error(PMA_E_ADDR_IN_USE, "%s: address range 0x%llx+0x%llx is in use", dir,
                       (unsigned long long)p->base, (unsigned long long)p->reserve);
    p->base = 0;
    goto fail;
  }
  if (mmap(want, (size_t)p->mapped, PROT_READ, MAP_PRIVATE | MAP_FIXED, p->img_fd, 0) ==
      MAP_FAILED) {
    rc = pma_set_error(PMA_E_NOMEM, "%s/pma.img: mmap: %s", dir, strerror(errno));
    goto fail_unmap;
  }
  /* Heap descriptor sanity: everything the allocator indexes must be in range. */
  {
    const heapdesc *hd = HD(p);
    uint64_t fr = hd->frontier;
    int ok = hd->magic == HD_MAGIC && fr >= META_PAGES + 2 && fr <= p->committed_pages &&
             hd->cap >= fr && hd->cap <= p->reserve / PAGE && hd->pt_page >= META_PAGES &&
             hd->pt_pages == side_pages(hd->cap, PTE_BYTES) &&
             hd->pt_page + hd->pt_pages <= fr && hd->bm_page >= META_PAGES &&
             hd->bm_pages == side_pages(hd->cap, BM_BYTES) && hd->bm_page + hd->bm_pages <= fr &&
             hd->reserve_next <= hd->reserve_end && hd->reserve_end <= fr;
    for (unsigned c = 0; ok && c < NCLASS; c++) ok = hd->cur[c] < fr && hd->partial[c] < fr;
    for (unsigned b = 0; ok && b < NBUCKET; b++) ok = hd->bucket[b] < fr;
    if (!ok) {
      rc = pma_set_error(PMA_E_CORRUPT,
                         "%s/pma.img: heap descriptor (arena page 2) of generation %llu is "
                         "inconsistent",
                         dir, (unsigned long long)chosen.generation);
      goto fail_unmap;
    }
    /* Page-table entries beyond the frontier are unused: those pages were never handed out, and the allocator trusts
       their entries when the frontier advances. A non-zero entry is corruption (found by the pma_open fuzz target:
       one flipped byte there opened an arena that fails pma_check). O(cap - frontier) entries, all in mapped
       page-table pages (pt_page + pt_pages <= frontier). */
    for (uint64_t k = fr; k < hd->cap; k++) {
      const pte *e = PTE(p, k);
      if (e->kind != K_UNUSED) {
        rc = pma_set_error(PMA_E_CORRUPT,
                           "%s/pma.img: page %llu beyond the frontier (%llu) of generation %llu has a kind "
                           "(corrupt page table)",
                           dir, (unsigned long long)k, (unsigned long long)fr,
                           (unsigned long long)chosen.generation);
        goto fail_unmap;
      }
    }
  }
  p->bm_words = (size_t)((p->reserve / PAGE + 63) / 64);
  p->dirty = anon(p->bm_words * 8);
  p->fresh = anon(p->bm_words * 8);
  p->summary = anon((p->bm_words / 64 + 1) * 8);
  if (p->dirty == NULL || p->fresh == NULL || p->summary == NULL) {
    rc = pma_set_error(PMA_E_NOMEM, "%s: bitmaps: %s", dir, strerror(errno));
    goto fail_unmap;
  }
  if (p->flags & PMA_O_CHECK) {
    pma_check_report cr;
    pma_check(p, 0, &cr);
    if (cr.errors != 0) {
      rc = pma_set_error(PMA_E_CORRUPT, "%s/pma.img: generation %llu fails pma_check (%llu errors): %s",
                         dir, (unsigned long long)chosen.generation,
                         (unsigned long long)cr.errors, cr.first_error);
      goto fail_unmap;
    }
  }
  pma_registry_add(p);
#ifdef PMA_FAULT_INJECTION
  pma_power_watch(p->img_fd, p->wal_fd);
#endif
  *out = p;
  return PMA_OK;

fail_unmap:
  munmap((void *)(uintptr_t)p->base, (size_t)p->reserve);
fail:
  free_handle(p);
  return rc;
}

int pma_close(pma *p) {
  if (p == NULL) return PMA_E_BADARG;
  pma_registry_remove(p);
  if (p->mark != NULL) munmap(p->mark, p->mark_bytes);
  munmap((void *)(uintptr_t)p->base, (size_t)p->reserve);
  free_handle(p); /* closing img_fd releases the flock */
  return PMA_OK;
}

int pma_roots(const pma *p, uint64_t roots[PMA_NROOTS], pma_meta *meta) {
  if (p == NULL) return PMA_E_BADARG;
  if (roots != NULL) memcpy(roots, p->roots, sizeof p->roots);
  if (meta != NULL) {
    memset(meta, 0, sizeof *meta);
    meta->generation = p->sb.generation;
    meta->event = p->sb.event;
    meta->epoch = p->sb.epoch;
    meta->kernel_mug = (uint32_t)p->sb.kernel_mug;
    meta->replayed = (uint32_t)p->replayed;
    meta->arena_bytes = p->sb.arena_bytes;
    meta->base = p->base;
    meta->reserve_bytes = p->reserve;
    memcpy(meta->uuid, p->uuid, 16);
    meta->commit_time_ns = p->sb.commit_ns;
  }
  return PMA_OK;
}

void pma_root_set(pma *p, unsigned slot, uint64_t value) {
  if (p != NULL && slot < PMA_NROOTS) p->roots[slot] = value;
}

void pma_bounds(const pma *p, uintptr_t *base, uintptr_t *limit) {
  if (base != NULL) *base = (uintptr_t)p->base;
  if (limit != NULL) *limit = (uintptr_t)(p->base + p->reserve);
}

/* ---------- inspect (read-only, no lock, no mapping) ---------- */

int pma_inspect(const char *dir, pma_inspect_info *out) {
  if (dir == NULL || out == NULL) return pma_set_error(PMA_E_BADARG, "pma_inspect: null argument");
  memset(out, 0, sizeof *out);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return pma_set_error(PMA_E_IO, "%s: open: %s", dir, strerror(errno));
  int fd = openat(dfd, "pma.img", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    close(dfd);
    return pma_set_error(PMA_E_IO, "%s/pma.img: open: %s", dir, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) == 0) out->image_bytes = (uint64_t)st.st_size;
  const uint8_t *uuid = NULL;
  superblock sb[2];
  for (unsigned s = 0; s < 2; s++) {
    size_t got = 0;
    pma_slot_info *si = &out->slots[s];
    memset(&sb[s], 0, sizeof sb[s]);
    si->slot = s;
    if (pma_read_full(fd, &sb[s], SB_BYTES, s * PAGE, &got) != 0 || got < SB_BYTES) {
      si->state = all_zero(&sb[s], got) && got == 0 ? SLOT_SHORT : SLOT_CORRUPT;
      snprintf(si->why, sizeof si->why, "short read (%zu bytes)", got);
      continue;
    }
    int verr;
    si->state = classify_sb(&sb[s], s, si->why, sizeof si->why, &verr);
    si->generation = sb[s].generation;
    si->event = sb[s].event;
    si->epoch = sb[s].epoch;
    si->kernel_mug = (uint32_t)sb[s].kernel_mug;
    si->version_major = sb[s].major;
    si->arena_bytes = sb[s].arena_bytes;
    si->base = sb[s].base;
    si->reserve_bytes = sb[s].reserve;
    memcpy(si->roots, sb[s].roots, sizeof si->roots);
    if (si->state == SLOT_VALID &&
        (uuid == NULL || sb[s].generation > sb[uuid == sb[0].uuid ? 0 : 1].generation))
      uuid = sb[s].uuid;
  }
  int wfd = openat(dfd, "pma.wal", O_RDONLY | O_CLOEXEC);
  wal_state w;
  memset(&w, 0, sizeof w);
  if (wfd >= 0) {
    read_wal(wfd, uuid, &w);
    close(wfd);
  }
  out->wal_state = w.state;
  out->wal_bytes = w.file_len;
  if (w.state == WAL_VALID || w.state == WAL_INVALID) {
    out->wal_generation = w.h.new_gen;
    out->wal_base_generation = w.h.base_gen;
    out->wal_pages = w.h.npages;
  }
  snprintf(out->wal_why, sizeof out->wal_why, "%s", w.why);
  free(w.index);
  close(fd);
  close(dfd);
  return PMA_OK;
}
