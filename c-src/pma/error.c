/* Error codes, per-thread error messages, crash points. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pma_int.h"

static _Thread_local int last_code;
static _Thread_local char last_msg[512];

int pma_set_error(int code, const char *fmt, ...) {
  va_list ap;
  last_code = code;
  va_start(ap, fmt);
  vsnprintf(last_msg, sizeof last_msg, fmt, ap);
  va_end(ap);
  return code;
}

int pma_last_error(void) { return last_code; }

const char *pma_last_message(void) { return last_msg; }

const char *pma_error_string(int code) {
  switch (code) {
  case PMA_OK: return "success";
  case PMA_E_IO: return "I/O error";
  case PMA_E_NOSPC: return "no space (disk or address reservation exhausted)";
  case PMA_E_CORRUPT: return "arena files are corrupt or inconsistent";
  case PMA_E_VERSION: return "unsupported arena format version or feature";
  case PMA_E_LOCKED: return "arena is locked by another process";
  case PMA_E_ADDR_IN_USE: return "arena address range is already in use";
  case PMA_E_NOMEM: return "out of memory or mappings";
  case PMA_E_POISONED: return "handle poisoned by an earlier failed commit";
  case PMA_E_BADARG: return "invalid argument";
  default: return "unknown error";
  }
}

#ifdef PMA_FAULT_INJECTION
/* Power-loss simulation: with MARS_PMA_POWERLOG=<file>, every write to the watched image and
   WAL descriptors since the last fdatasync of that descriptor is recorded with its previous
   contents; at a crash point the records are dumped to <file> before _exit, so a harness can
   build variants that drop, keep or tear each unsynced write. */
typedef struct prec {
  uint32_t file, kind; /* file: 0 image, 1 WAL; kind: 0 write, 1 truncate */
  uint64_t off, len, old_valid;
  unsigned char *old;
} prec;
static prec *recs;
static size_t nrecs, caprecs;
static int watch_fd[2] = {-1, -1};

void pma_power_watch(int img_fd, int wal_fd) {
  const char *s = getenv("MARS_PMA_POWERLOG");
  if (s == NULL || *s == '\0') return;
  watch_fd[0] = img_fd;
  watch_fd[1] = wal_fd;
}

static int which(int fd) {
  if (fd < 0) return -1;
  if (fd == watch_fd[0]) return 0;
  if (fd == watch_fd[1]) return 1;
  return -1;
}

static void add_rec(uint32_t file, uint32_t kind, int fd, uint64_t off, uint64_t len) {
  if (nrecs == caprecs) {
    size_t nc = caprecs ? caprecs * 2 : 64;
    prec *n = realloc(recs, nc * sizeof *n);
    if (n == NULL) return;
    recs = n;
    caprecs = nc;
  }
  prec *r = &recs[nrecs];
  r->file = file;
  r->kind = kind;
  r->off = off;
  r->len = len;
  r->old = calloc(1, len ? (size_t)len : 1);
  if (r->old == NULL) return;
  struct stat st;
  uint64_t flen = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  if (kind == 1) {
    r->old_valid = flen;
  } else {
    r->old_valid = flen > off ? (flen - off < len ? flen - off : len) : 0;
  }
  uint64_t want = kind == 1 ? (flen < len ? flen : len) : r->old_valid;
  size_t got = 0;
  pma_read_full(fd, r->old, (size_t)want, off, &got);
  nrecs++;
}

void pma_power_before_write(int fd, uint64_t off, uint64_t len) {
  int f = which(fd);
  if (f >= 0) add_rec((uint32_t)f, 0, fd, off, len);
}

void pma_power_truncate(int fd) {
  int f = which(fd);
  if (f >= 0) add_rec((uint32_t)f, 1, fd, 0, 4096);
}

void pma_power_synced(int fd) {
  int f = which(fd);
  if (f < 0) return;
  size_t j = 0;
  for (size_t i = 0; i < nrecs; i++) {
    if (recs[i].file == (uint32_t)f) {
      free(recs[i].old);
    } else {
      recs[j++] = recs[i];
    }
  }
  nrecs = j;
}

static void dump_records(void) {
  const char *s = getenv("MARS_PMA_POWERLOG");
  if (s == NULL || *s == '\0' || watch_fd[0] < 0) return;
  FILE *f = fopen(s, "wb");
  if (f == NULL) return;
  unsigned char *buf = NULL;
  for (size_t i = 0; i < nrecs; i++) {
    prec *r = &recs[i];
    fwrite(&r->file, 4, 1, f);
    fwrite(&r->kind, 4, 1, f);
    fwrite(&r->off, 8, 1, f);
    fwrite(&r->len, 8, 1, f);
    fwrite(&r->old_valid, 8, 1, f);
    fwrite(r->old, 1, (size_t)r->len, f);
    free(buf);
    buf = calloc(1, r->len ? (size_t)r->len : 1);
    if (buf != NULL && r->kind == 0) {
      size_t got = 0;
      pma_read_full(watch_fd[r->file], buf, (size_t)r->len, r->off, &got);
    }
    if (buf != NULL) fwrite(buf, 1, (size_t)r->len, f);
  }
  free(buf);
  fclose(f);
}

/* MARS_PMA_CRASH_AT=k or k:n -> _exit(77) at the n-th time crash point k is reached. */
void pma_crash_point(int k) {
  static int want = -1, nth = 1, seen = 0;
  if (want == -1) {
    const char *s = getenv("MARS_PMA_CRASH_AT");
    want = 0;
    if (s != NULL && *s != '\0') {
      char *end = NULL;
      want = (int)strtol(s, &end, 10);
      if (end != NULL && *end == ':') nth = (int)strtol(end + 1, NULL, 10);
      if (nth < 1) nth = 1;
    }
  }
  if (want == k && ++seen == nth) {
    dump_records();
    static const char msg[] = "pma: crash point reached\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(77);
  }
}
#endif
